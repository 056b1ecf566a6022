#!/usr/bin/env bash
# Engine benchmarks, side by side with a peer engine (make bench).
#
#   bash tests/bench/run.sh [BUILD_DIR] [SHARED_DIR]      (default: build ../shared)
#
# For each bench (loop: n=50000, 100003 transitions; map: 10,000 items;
# parallel: 4 branches of 10 Pass states; big: 2000 chained Pass states) it
# runs BUILD/step-bench (libstep, in-process) and the peer
# aws-local-stepfunctions through SHARED/peers/run.js --bench, then prints a
# table of transitions per second, the ratio, and peak RSS.
#
# The peer's npm packages are installed once under BUILD/peers (npm ci, only
# when BUILD/peers/node_modules is missing). Without node/npm, or when the
# install fails, only our figures are printed.
#
# Environment: BENCH_RUNS_SCALE=0.1 (say) scales every run count down for a
# quick try; BENCH_NO_PEER=1 skips the peer.
set -euo pipefail

cd "$(dirname "$0")/../.."
BUILD=${1:-build}
SHARED=${2:-../shared}
PEERS=$SHARED/peers
PB=$PEERS/bench
BENCH=$BUILD/step-bench
SCALE=${BENCH_RUNS_SCALE:-1}

die() { echo "bench: $*" >&2; exit 1; }

[ -x "$BENCH" ] || die "$BENCH is missing: run 'make all' first"
for f in map.json map-input.json parallel.json parallel-input.json big.json big-input.json loop.json; do
	[ -r "$PB/$f" ] || die "$PB/$f is missing (is SHARED=$SHARED right?)"
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/stepdeploy-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# The loop bench with n = 50000: 2n + 3 = 100003 transitions.
LOOP_N=50000
printf '{"n": %d}\n' "$LOOP_N" >"$TMP/loop-input.json"

# name | definition | input | our runs | peer runs | step-bench flags
# (map's input is 1.27 MB, over AWS's 256 KiB payload limit: -u lifts it)
BENCHES=(
	"loop|$PB/loop.json|$TMP/loop-input.json|20|3|"
	"map|$PB/map.json|$PB/map-input.json|10|3|-u"
	"parallel|$PB/parallel.json|$PB/parallel-input.json|20000|2000|"
	"big|$PB/big.json|$PB/big-input.json|1000|200|"
)

scaled() { awk -v n="$1" -v s="$SCALE" 'BEGIN { n = int(n * s); print (n < 1 ? 1 : n) }'; }
# jnum KEY: the number under KEY in the JSON line on stdin.
jnum() { grep -o "\"$1\":[0-9.eE+-]*" | head -n 1 | cut -d: -f2; }
fmt_int() { awk -v n="$1" 'BEGIN { if (n == "") print "-"; else printf "%.0f\n", n }'; }
mib() { awk -v k="$1" 'BEGIN { if (k == "") print "-"; else printf "%.1f MiB\n", k / 1024 }'; }

# ---------------------------------------------------------------- the peer
PEER=1
PEER_WHY=
if [ -n "${BENCH_NO_PEER:-}" ]; then
	PEER=0 PEER_WHY="BENCH_NO_PEER is set"
elif ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	PEER=0 PEER_WHY="node or npm is not installed"
elif [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -lt 20 ]; then
	PEER=0 PEER_WHY="node $(node --version) is older than 20"
elif [ ! -d "$BUILD/peers/node_modules" ]; then
	echo "bench: installing the peer packages in $BUILD/peers (npm ci, once)"
	mkdir -p "$BUILD/peers"
	cp "$PEERS/package.json" "$PEERS/package-lock.json" "$BUILD/peers/"
	if ! (cd "$BUILD/peers" && npm ci --no-audit --no-fund >"$TMP/npm.log" 2>&1); then
		tail -n 5 "$TMP/npm.log" >&2
		rm -rf "$BUILD/peers/node_modules"
		PEER=0 PEER_WHY="npm ci failed in $BUILD/peers (log above)"
	fi
fi
NODE_PATH=$(cd "$BUILD" && pwd)/peers/node_modules
export NODE_PATH
TIME=
if [ -x /usr/bin/time ]; then
	TIME=/usr/bin/time
fi
if [ "$PEER" = 0 ]; then
	echo "bench: no peer figures: $PEER_WHY; printing ours alone"
fi

# ---------------------------------------------------------------- run
rows=()
status=0
for b in "${BENCHES[@]}"; do
	IFS='|' read -r name def input ours_n peer_n flags <<<"$b"
	ours_n=$(scaled "$ours_n")
	peer_n=$(scaled "$peer_n")

	echo "bench: $name: step-bench -n $ours_n $flags" >&2
	# shellcheck disable=SC2086 # flags is zero or one word
	if ! ours=$("$BENCH" -n "$ours_n" $flags "$def" "$input"); then
		echo "bench: $name: step-bench failed" >&2
		status=1
		rows+=("$name|-|failed|-|-|-|-|-")
		continue
	fi
	o_tps=$(jnum transitions_per_sec <<<"$ours")
	o_tpe=$(jnum transitions_per_execution <<<"$ours")
	o_rss=$(jnum peak_rss_kib <<<"$ours")
	if [ "$name" = loop ] && [ "$o_tpe" != $((2 * LOOP_N + 3)) ]; then
		echo "bench: loop: $o_tpe transitions per execution, want $((2 * LOOP_N + 3))" >&2
		status=1
	fi

	p_tps= p_tpe= p_rss=
	if [ "$PEER" = 1 ]; then
		echo "bench: $name: node run.js --bench $peer_n" >&2
		cmd=(node "$PEERS/run.js" --bench "$peer_n" "$def" "$input")
		if [ -n "$TIME" ]; then
			cmd=("$TIME" -f '%M' -o "$TMP/rss" "${cmd[@]}")
		fi
		if peer=$("${cmd[@]}" 2>"$TMP/peer.err"); then
			p_tps=$(jnum transitions_per_sec <<<"$peer")
			p_tpe=$(jnum transitions_per_execution <<<"$peer")
			if [ -n "$TIME" ]; then
				p_rss=$(tail -n 1 "$TMP/rss")
			fi
		else
			echo "bench: $name: the peer failed:" >&2
			tail -n 5 "$TMP/peer.err" >&2
		fi
	fi

	ratio=-
	if [ -n "$p_tps" ] && [ "$p_tps" != 0 ]; then
		ratio=$(awk -v o="$o_tps" -v p="$p_tps" 'BEGIN { printf "%.1fx\n", o / p }')
	fi
	note=
	if [ -n "$p_tpe" ] && [ "$p_tpe" != "$o_tpe" ]; then
		note=" (peer counts $p_tpe)"
	fi
	rows+=("$name|$o_tpe$note|$(fmt_int "$o_tps")|$(fmt_int "$p_tps")|$ratio|$(mib "$o_rss")|$(mib "$p_rss")")
done

# ---------------------------------------------------------------- table
echo
printf '%-9s %-14s %16s %16s %8s %14s %14s\n' bench "transitions/ex" "ours trans/s" \
    "peer trans/s" ratio "our peak RSS" "peer peak RSS"
for r in "${rows[@]}"; do
	IFS='|' read -r name tpe ot pt ratio orss prss <<<"$r"
	printf '%-9s %-14s %16s %16s %8s %14s %14s\n' "$name" "$tpe" "$ot" "$pt" "$ratio" \
	    "$orss" "$prss"
done
echo
echo "ours: $BENCH (libstep in-process, virtual clock); peer: aws-local-stepfunctions"
echo "via $PEERS/run.js --bench; ratio = ours / peer; RSS is the whole process's peak."
exit "$status"
