#!/usr/bin/env bash
# tests/bench/jsonata_run.sh: sd_jsonata (BUILD/jsonata-bench) and
# jsonata-js (tests/bench/jsonata-peer.js, node) on the same expressions
# and data, side by side with the ratio (make bench). Without node or the
# peer packages (BUILD/peers/node_modules, made by tests/bench/run.sh) the
# peer is skipped with a note.
#
#   bash tests/bench/jsonata_run.sh [BUILD] [SECONDS]
set -euo pipefail

cd "$(dirname "$0")/../.."
BUILD=${1:-build}
SECS=${2:-1}
BIN=$BUILD/jsonata-bench
if [ ! -x "$BIN" ]; then
	echo "jsonata bench: $BIN is missing (make $BIN)" >&2
	exit 1
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/jsonata-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

echo "jsonata bench: each expression compiled once, evaluated for ${SECS}s"
rc=0
"$BIN" "$SECS" >"$TMP/ours" || rc=$?
PEER=1 PEER_WHY=
if ! command -v node >/dev/null 2>&1; then
	PEER=0 PEER_WHY="node is not installed"
elif [ ! -d "$BUILD/peers/node_modules/jsonata" ]; then
	PEER=0 PEER_WHY="no $BUILD/peers/node_modules/jsonata (make bench installs the peers)"
elif ! NODE_PATH=$(cd "$BUILD" && pwd)/peers/node_modules node tests/bench/jsonata-peer.js "$SECS" >"$TMP/peer"; then
	PEER=0 PEER_WHY="jsonata-peer.js failed"
fi
printf '%-18s %14s %14s %8s\n' benchmark "sd_jsonata/s" "jsonata-js/s" ratio
while read -r name ours; do
	peer=-
	ratio=-
	if [ "$PEER" = 1 ]; then
		peer=$(awk -v n="$name" '$1 == n { print $2 }' "$TMP/peer")
		if [ -n "$peer" ] && [ "$peer" -gt 0 ] && [ "$ours" -gt 0 ]; then
			ratio=$(awk -v a="$ours" -v b="$peer" 'BEGIN { printf "%.1fx", a / b }')
		fi
	fi
	printf '%-18s %14s %14s %8s\n' "$name" "$ours" "${peer:--}" "$ratio"
done <"$TMP/ours"
if [ "$PEER" = 0 ]; then
	echo "jsonata bench: peer skipped: $PEER_WHY"
fi
if [ "$rc" -ne 0 ]; then
	echo "jsonata bench: sd_jsonata failed on some expression (exit $rc)" >&2
fi
exit "$rc"
