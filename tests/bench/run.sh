#!/usr/bin/env bash
# Engine benchmarks, side by side with a peer engine (make bench).
#
#   bash tests/bench/run.sh [BUILD_DIR] [SHARED_DIR]      (default: build ../shared)
#
# For each bench (loop: n=50000, 100003 transitions; map: 10,000 items;
# parallel: 4 branches of 10 Pass states; big: 2000 chained Pass states;
# intrinsic: a Pass loop calling intrinsic functions, 10003 transitions,
# tests/bench/data/intrinsic.json) it runs BUILD/step-bench (libstep,
# in-process) and the peer aws-local-stepfunctions through
# SHARED/peers/run.js --bench, then prints a table of transitions per
# second, the ratio, and peak RSS; each figure is the median of
# BENCH_REPEAT runs. Then an inline Map over 1,000,000 items
# (tests/bench/data/map1m.json, ours only): transitions per second and
# peak RSS (goal under 1 GB).
#
# The intrinsic machine's States.JsonMerge merges a copy of $.base
# (StringToJson(JsonToString($.base))): aws-local-stepfunctions 3.0.0
# merges into its first argument in place, so merging $.base itself
# changes $.base for the next iteration there and its answer goes wrong.
#
# The peer's npm packages are installed once under BUILD/peers (npm ci, only
# when BUILD/peers/node_modules is missing). Without node/npm, or when the
# install fails, only our figures are printed.
#
# Environment: see tests/bench/lib.sh (BENCH_RUNS_SCALE, BENCH_REPEAT,
# BENCH_ROWS, BENCH_SKIPS, BENCH_NO_PEER); BENCH_MAP_ITEMS changes the
# 1,000,000.
set -euo pipefail

cd "$(dirname "$0")/../.."
# shellcheck source=tests/bench/lib.sh
source tests/bench/lib.sh
BUILD=${1:-build}
SHARED=${2:-../shared}
PEERS=$SHARED/peers
PB=$PEERS/bench
DATA=tests/bench/data
BENCH=$BUILD/step-bench
SD=$BUILD/stepdeploy
MAP_ITEMS=${BENCH_MAP_ITEMS:-1000000}

die() { echo "bench: $*" >&2; exit 1; }

[ -x "$BENCH" ] || die "$BENCH is missing: run 'make all' first"
[ -x "$SD" ] || die "$SD is missing: run 'make all' first"
for f in map.json map-input.json parallel.json parallel-input.json big.json big-input.json loop.json; do
	[ -r "$PB/$f" ] || die "$PB/$f is missing (is SHARED=$SHARED right?)"
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/stepdeploy-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# The loop bench with n = 50000: 2n + 3 = 100003 transitions.
LOOP_N=50000
printf '{"n": %d}\n' "$LOOP_N" >"$TMP/loop-input.json"

# name | definition | input | our runs | peer runs | step-bench flags | goal
# (map's input is 1.27 MB, over AWS's 256 KiB payload limit: -u lifts it)
BENCHES=(
	"loop|$PB/loop.json|$TMP/loop-input.json|20|3||ratio>=100"
	"map|$PB/map.json|$PB/map-input.json|10|3|-u|ratio>=100"
	"parallel|$PB/parallel.json|$PB/parallel-input.json|20000|2000||ratio>=100"
	"big|$PB/big.json|$PB/big-input.json|1000|200||ratio>=100"
	"intrinsic|$DATA/intrinsic.json|$DATA/intrinsic-input.json|100|3||-"
)

fmt_int() { awk -v n="$1" 'BEGIN { if (n == "") print "-"; else printf "%.0f\n", n }'; }
mib() { awk -v k="$1" 'BEGIN { if (k == "") print "-"; else printf "%.1f MiB\n", k / 1024 }'; }
# same_json A B: the two files hold the same JSON value.
same_json() { [ "$(jq -cS . "$1")" = "$(jq -cS . "$2")" ]; }

# ---------------------------------------------------------------- the peer
bench_peers "$BUILD" "$SHARED"
PEER_NAME=aws-local-stepfunctions
TIME=
if [ -x /usr/bin/time ]; then
	TIME=/usr/bin/time
fi
if [ "$PEER" = 0 ]; then
	bench_skip "$PEER_NAME" "$PEER_WHY"
elif ! bench_peer_has "$BUILD" aws-local-stepfunctions; then
	PEER=0
	bench_skip "$PEER_NAME" "not in $BUILD/peers/node_modules"
fi

# The intrinsic machine must give the right answer, ours and the peer's
# (else the peer is not run on it).
INTRINSIC_PEER=$PEER
"$SD" exec "$DATA/intrinsic.json" --input "@$DATA/intrinsic-input.json" >"$TMP/intr.out" ||
    die "intrinsic: stepdeploy exec failed: $(cat "$TMP/intr.out")"
same_json "$TMP/intr.out" "$DATA/intrinsic-expected.json" ||
    die "intrinsic: wrong answer: $(cat "$TMP/intr.out")"
if [ "$PEER" = 1 ]; then
	node "$PEERS/run.js" "$DATA/intrinsic.json" "$DATA/intrinsic-input.json" \
	    >"$TMP/intr.peer" 2>"$TMP/intr.peer.err" || true
	if ! same_json "$TMP/intr.peer" "$DATA/intrinsic-expected.json" 2>/dev/null; then
		INTRINSIC_PEER=0
		bench_skip "$PEER_NAME on the intrinsic machine" \
		    "wrong answer: $(head -c 200 "$TMP/intr.peer") $(head -c 200 "$TMP/intr.peer.err")"
	fi
fi

# ---------------------------------------------------------------- run
# peer_once N DEF INPUT: one run.js --bench; prints its JSON line with
# "peak_rss_kib" added.
peer_once() {
	local out rss=
	if [ -n "$TIME" ]; then
		out=$("$TIME" -f '%M' -o "$TMP/rss" node "$PEERS/run.js" --bench "$@" 2>"$TMP/peer.err") || return 1
		rss=$(tail -n 1 "$TMP/rss")
	else
		out=$(node "$PEERS/run.js" --bench "$@" 2>"$TMP/peer.err") || return 1
	fi
	printf '%s,"peak_rss_kib":%s}\n' "${out%\}}" "${rss:-0}"
}

rows=()
status=0
for b in "${BENCHES[@]}"; do
	IFS='|' read -r name def input ours_n peer_n flags goal <<<"$b"
	ours_n=$(bench_scaled "$ours_n")
	peer_n=$(bench_scaled "$peer_n")

	echo "bench: $name: step-bench -n $ours_n $flags (x$BENCH_REPEAT)" >&2
	: >"$TMP/ours"
	failed=
	for _ in $(seq 1 "$BENCH_REPEAT"); do
		# shellcheck disable=SC2086 # flags is zero or one word
		if ! "$BENCH" -n "$ours_n" $flags "$def" "$input" >>"$TMP/ours"; then
			failed=1
			break
		fi
		echo >>"$TMP/ours"
	done
	if [ -n "$failed" ]; then
		echo "bench: $name: step-bench failed" >&2
		status=1
		rows+=("$name|-|failed|-|-|-|-|-")
		bench_row "engine $name" failed transitions/s "$PEER_NAME" - "$goal"
		continue
	fi
	o_tps=$(jmedian transitions_per_sec "$TMP/ours")
	o_tpe=$(head -n 1 "$TMP/ours" | jnum transitions_per_execution)
	o_rss=$(jmedian peak_rss_kib "$TMP/ours")
	if [ "$name" = loop ] && [ "$o_tpe" != $((2 * LOOP_N + 3)) ]; then
		echo "bench: loop: $o_tpe transitions per execution, want $((2 * LOOP_N + 3))" >&2
		status=1
	fi

	p_tps= p_tpe= p_rss=
	run_peer=$PEER
	[ "$name" = intrinsic ] && run_peer=$INTRINSIC_PEER
	if [ "$run_peer" = 1 ]; then
		echo "bench: $name: node run.js --bench $peer_n (x$BENCH_REPEAT)" >&2
		: >"$TMP/peer"
		for _ in $(seq 1 "$BENCH_REPEAT"); do
			if ! peer_once "$peer_n" "$def" "$input" >>"$TMP/peer"; then
				echo "bench: $name: the peer failed:" >&2
				tail -n 5 "$TMP/peer.err" >&2
				: >"$TMP/peer"
				break
			fi
		done
		if [ -s "$TMP/peer" ]; then
			p_tps=$(jmedian transitions_per_sec "$TMP/peer")
			p_tpe=$(head -n 1 "$TMP/peer" | jnum transitions_per_execution)
			p_rss=$(jmedian peak_rss_kib "$TMP/peer")
			[ "$p_rss" = 0 ] && p_rss=
		fi
	fi

	ratio=$(bench_ratio "$o_tps" "$p_tps")
	[ "$ratio" != - ] && ratio=${ratio}x
	note=
	if [ -n "$p_tpe" ] && [ "$p_tpe" != "$o_tpe" ]; then
		note=" (peer counts $p_tpe)"
	fi
	rows+=("$name|$o_tpe$note|$(fmt_int "$o_tps")|$(fmt_int "$p_tps")|$ratio|$(mib "$o_rss")|$(mib "$p_rss")")
	bench_row "engine $name ($(commify "$o_tpe") transitions)" "$(fmt_int "$o_tps")" transitions/s \
	    "$PEER_NAME" "$(fmt_int "$p_tps")" "$goal"
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
echo "via $PEERS/run.js --bench; ratio = ours / peer; RSS is the whole process's peak;"
echo "each figure the median of $BENCH_REPEAT runs."

# ---------------------------------------------------------------- Map, 1,000,000 items
# One warm-up and one timed execution per run (step-bench -n 1 -u: the
# input is over AWS's 256 KiB, which stepdeploy exec refuses); the
# warm-up's output is checked once (-o).
echo
echo "== An inline Map over $MAP_ITEMS items ($DATA/map1m.json)"
awk -v n="$MAP_ITEMS" 'BEGIN { printf "{\"items\":["
	for (i = 0; i < n; i++) printf "%s{\"id\":%d}", (i ? "," : ""), i; print "]}" }' \
    >"$TMP/map1m-input.json"
if ! "$BENCH" -n 1 -u -o "$TMP/map1m.out" "$DATA/map1m.json" "$TMP/map1m-input.json" >/dev/null ||
    [ "$(cat "$TMP/map1m.out")" != "{\"count\":$MAP_ITEMS}" ]; then
	echo "bench: map $MAP_ITEMS: wrong result: $(head -c 300 "$TMP/map1m.out")" >&2
	status=1
else
	: >"$TMP/m1m"
	for _ in $(seq 1 "$BENCH_REPEAT"); do
		"$BENCH" -n 1 -u "$DATA/map1m.json" "$TMP/map1m-input.json" >>"$TMP/m1m" || { status=1; break; }
		echo >>"$TMP/m1m"
	done
	m_tps=$(jmedian transitions_per_sec "$TMP/m1m")
	m_rss=$(jmedian peak_rss_kib "$TMP/m1m")
	m_mib=$(awk -v k="$m_rss" 'BEGIN { printf "%.0f", k / 1024 }')
	printf '%-28s %14s %12s %s\n' items "transitions/s" "peak RSS" goal
	printf '%-28s %14s %8s MiB %s\n' "$MAP_ITEMS" "$(fmt_int "$m_tps")" "$m_mib" \
	    "$([ "$m_mib" -lt 1024 ] && echo "< 1 GB: met" || echo "< 1 GB: NOT met")"
	bench_row "map $(commify "$MAP_ITEMS") items (inline)" "$(fmt_int "$m_tps")" transitions/s - - -
	bench_row "map $(commify "$MAP_ITEMS") items (inline), peak RSS" "$m_mib" MiB - - "ours<1024"
	if [ "$PEER" = 1 ]; then
		bench_skip "$PEER_NAME on the map over $(commify "$MAP_ITEMS") items" \
		    "not run: at 10,000 items it does about 9,000 transitions/s and grows past 500 MiB"
	fi
fi
exit "$status"
