#!/usr/bin/env bash
# Validator benchmark (make bench): definitions linted per second by
# build/lint-bench, beside asl-validator (the peer's validate.js --bench) on
# the same files: the 2,000-state big.json and every file of the lint corpus.
#
#   bash tests/bench/lint_run.sh [BUILD_DIR] [SHARED_DIR]
set -euo pipefail

cd "$(dirname "$0")/../.."
BUILD=${1:-build}
SHARED=${2:-../shared}
BENCH=$BUILD/lint-bench
BIG=$SHARED/peers/bench/big.json
CORPUS=$SHARED/lint-corpus

[ -x "$BENCH" ] || { echo "bench: $BENCH is missing: run 'make all'" >&2; exit 1; }
jnum() { grep -o "\"$1\":[0-9.eE+-]*" | head -n 1 | cut -d: -f2; }

PEER=
if [ -z "${BENCH_NO_PEER:-}" ] && command -v node >/dev/null 2>&1 &&
    [ -d "$BUILD/peers/node_modules/asl-validator" ]; then
	PEER=1
fi

echo
echo "== Validator: definitions per second"
printf '%-34s %14s %14s %10s\n' "definition" "ours/s" "asl-validator/s" "ratio"
row() {
	local name=$1 file=$2 n=$3 pn=$4 ours peer ratio
	ours=$("$BENCH" -n "$n" "$file" | jnum definitions_per_sec)
	peer=-
	ratio=-
	if [ -n "$PEER" ]; then
		peer=$(NODE_PATH=$BUILD/peers/node_modules node "$SHARED/peers/validate.js" \
		    --bench "$pn" "$file" | jnum definitions_per_sec)
		ratio=$(awk -v a="$ours" -v b="$peer" 'BEGIN { if (b > 0) printf "%.0fx", a / b; else print "-" }')
	fi
	printf '%-34s %14.0f %14s %10s\n' "$name" "$ours" "$peer" "$ratio"
}
row "big.json (2000 states)" "$BIG" 200 5
# The corpus: the harmonic mean rate over every file (time per definition
# averaged), ours and the peer's.
t_ours=0
t_peer=0
n=0
for f in "$CORPUS"/valid/*.json "$CORPUS"/invalid/*.json; do
	r=$("$BENCH" -n 2000 "$f" | jnum definitions_per_sec)
	t_ours=$(awk -v a="$t_ours" -v b="$r" 'BEGIN { print a + 1 / b }')
	if [ -n "$PEER" ]; then
		r=$(NODE_PATH=$BUILD/peers/node_modules node "$SHARED/peers/validate.js" \
		    --bench 3 "$f" | jnum definitions_per_sec)
		t_peer=$(awk -v a="$t_peer" -v b="$r" 'BEGIN { print a + 1 / b }')
	fi
	n=$((n + 1))
done
ours=$(awk -v t="$t_ours" -v n="$n" 'BEGIN { print n / t }')
peer=-
ratio=-
if [ -n "$PEER" ]; then
	peer=$(awk -v t="$t_peer" -v n="$n" 'BEGIN { printf "%.1f", n / t }')
	ratio=$(awk -v a="$ours" -v b="$peer" 'BEGIN { printf "%.0fx", a / b }')
fi
printf '%-34s %14.0f %14s %10s\n' "lint corpus ($n files)" "$ours" "$peer" "$ratio"
[ -n "$PEER" ] || echo "(asl-validator not run: install the peers with 'make bench' of the engine first, or node is missing)"
