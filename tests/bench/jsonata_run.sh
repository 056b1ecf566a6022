#!/usr/bin/env bash
# tests/bench/jsonata_run.sh: sd_jsonata (BUILD/jsonata-bench) and
# jsonata-js (tests/bench/jsonata-peer.js, node) on the same expressions
# and data, side by side with the ratio (make bench; goal: ours at least
# 10x the peer on each). Each figure is the median of BENCH_REPEAT runs.
# Without node or the peer packages (BUILD/peers/node_modules, installed
# once with npm ci by tests/bench/lib.sh) the peer is skipped with a note.
#
#   bash tests/bench/jsonata_run.sh [BUILD] [SECONDS] [SHARED]
#
# Environment: see tests/bench/lib.sh (BENCH_RUNS_SCALE scales SECONDS).
set -euo pipefail

cd "$(dirname "$0")/../.."
# shellcheck source=tests/bench/lib.sh
source tests/bench/lib.sh
BUILD=${1:-build}
SECS=${2:-$(awk -v s="$BENCH_SCALE" 'BEGIN { t = 1 * s; print (t < 0.05 ? 0.05 : t) }')}
SHARED=${3:-../shared}
BIN=$BUILD/jsonata-bench
PEER_NAME=jsonata
if [ ! -x "$BIN" ]; then
	echo "jsonata bench: $BIN is missing (make $BIN)" >&2
	exit 1
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/jsonata-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# medians FILE: "NAME MEDIAN" for each NAME in FILE's "NAME RATE" lines,
# in the order they first appear.
medians() {
	awk '{ if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
	    END { for (i = 1; i <= n; i++) print order[i] }' "$1" |
	while read -r name; do
		echo "$name $(awk -v n="$name" '$1 == n { print $2 }' "$1" | median)"
	done
}

echo "jsonata bench: each expression compiled once, evaluated for ${SECS}s; median of $BENCH_REPEAT runs"
rc=0
: >"$TMP/ours.all"
for _ in $(seq 1 "$BENCH_REPEAT"); do
	"$BIN" "$SECS" >>"$TMP/ours.all" || rc=$?
done
medians "$TMP/ours.all" >"$TMP/ours"
bench_peers "$BUILD" "$SHARED"
if [ "$PEER" = 1 ] && ! bench_peer_has "$BUILD" jsonata; then
	PEER=0 PEER_WHY="no $BUILD/peers/node_modules/jsonata"
fi
if [ "$PEER" = 1 ]; then
	: >"$TMP/peer.all"
	for _ in $(seq 1 "$BENCH_REPEAT"); do
		if ! node tests/bench/jsonata-peer.js "$SECS" >>"$TMP/peer.all"; then
			PEER=0 PEER_WHY="jsonata-peer.js failed"
			break
		fi
	done
	medians "$TMP/peer.all" >"$TMP/peer"
fi
[ "$PEER" = 1 ] || bench_skip "$PEER_NAME" "$PEER_WHY"
printf '%-18s %14s %14s %8s\n' benchmark "sd_jsonata/s" "jsonata-js/s" ratio
while read -r name ours; do
	peer=-
	ratio=-
	if [ "$PEER" = 1 ]; then
		peer=$(awk -v n="$name" '$1 == n { printf "%.0f", $2 }' "$TMP/peer")
		ratio=$(bench_ratio "$ours" "${peer:--}")
		[ "$ratio" = - ] || ratio=${ratio}x
	fi
	ours=$(printf '%.0f' "$ours")
	printf '%-18s %14s %14s %8s\n' "$name" "$ours" "${peer:--}" "$ratio"
	bench_row "jsonata $name" "$ours" evaluations/s "$PEER_NAME" \
	    "${peer:--}" "ratio>=10"
done <"$TMP/ours"
if [ "$rc" -ne 0 ]; then
	echo "jsonata bench: sd_jsonata failed on some expression (exit $rc)" >&2
fi
exit "$rc"
