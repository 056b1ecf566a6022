#!/usr/bin/env bash
# Validator benchmark (make bench): definitions linted per second by
# build/lint-bench, beside asl-validator (the peer's validate.js) on the
# same files: the 2,000-state big.json (definitions/s, validate.js --bench)
# and the whole lint corpus (files/s: ours the corpus's files one after
# another in-process, the peer's one `node validate.js FILE...` over them
# all, its start-up - node loading asl-validator - taken off). Each figure
# is the median of BENCH_REPEAT runs.
#
#   bash tests/bench/lint_run.sh [BUILD_DIR] [SHARED_DIR]
#
# Environment: see tests/bench/lib.sh.
set -euo pipefail

cd "$(dirname "$0")/../.."
# shellcheck source=tests/bench/lib.sh
source tests/bench/lib.sh
BUILD=${1:-build}
SHARED=${2:-../shared}
BENCH=$BUILD/lint-bench
BIG=$SHARED/peers/bench/big.json
CORPUS=$SHARED/lint-corpus
PEER_NAME=asl-validator

[ -x "$BENCH" ] || { echo "bench: $BENCH is missing: run 'make all'" >&2; exit 1; }
[ -r "$BIG" ] || { echo "bench: $BIG is missing (is SHARED=$SHARED right?)" >&2; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/lint-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
now_ns() { date +%s%N; }

bench_peers "$BUILD" "$SHARED"
if [ "$PEER" = 1 ] && ! bench_peer_has "$BUILD" asl-validator; then
	PEER=0 PEER_WHY="not in $BUILD/peers/node_modules"
fi
[ "$PEER" = 1 ] || bench_skip "$PEER_NAME" "$PEER_WHY"

echo
echo "== Validator (median of $BENCH_REPEAT runs)"
printf '%-34s %14s %16s %10s\n' "definition" "ours" "asl-validator" "ratio"

# big.json: definitions per second.
ours=$(bench_repeat definitions_per_sec "$BENCH" -n "$(bench_scaled 200)" "$BIG")
peer=-
if [ "$PEER" = 1 ]; then
	peer=$(bench_repeat definitions_per_sec node "$SHARED/peers/validate.js" --bench 5 "$BIG")
fi
ratio=$(bench_ratio "$ours" "$peer")
printf '%-34s %12.0f/s %14s/s %9sx\n' "big.json (2000 states)" "$ours" "$peer" "$ratio"
bench_row "validator big.json (2,000 states)" "$(printf '%.0f' "$ours")" definitions/s \
    "$PEER_NAME" "$([ "$peer" = - ] && echo - || printf '%.1f' "$peer")" "ratio>=100"

# The corpus: files per second over every file, one after another.
files=("$CORPUS"/valid/*.json "$CORPUS"/invalid/*.json)
n=${#files[@]}
[ -r "${files[0]}" ] || { echo "bench: no files in $CORPUS (is SHARED=$SHARED right?)" >&2; exit 1; }
k=$(bench_scaled 2000)
: >"$TMP/ours"
for _ in $(seq 1 "$BENCH_REPEAT"); do
	# Each file's rate; the corpus's is n over the sum of the times.
	"$BENCH" -n "$k" "${files[@]}" >"$TMP/run"
	{ grep -o '"definitions_per_sec":[0-9.eE+-]*' "$TMP/run" || true; } | cut -d: -f2 |
	    awk -v n="$n" '{ t += 1 / $1; c++ } END { if (c == n && t > 0) printf "%.1f\n", n / t }' >>"$TMP/ours"
done
ours=$(median <"$TMP/ours")
[ -n "$ours" ] || { echo "bench: lint-bench gave no rate for some corpus file" >&2; exit 1; }
peer=-
if [ "$PEER" = 1 ]; then
	: >"$TMP/peer"
	for _ in $(seq 1 "$BENCH_REPEAT"); do
		t0=$(now_ns)
		node -e 'require("asl-validator")'
		t1=$(now_ns)
		node "$SHARED/peers/validate.js" "${files[@]}" >"$TMP/verdicts"
		t2=$(now_ns)
		[ "$(wc -l <"$TMP/verdicts")" = "$n" ] || { echo "bench: validate.js did not answer for every file" >&2; exit 1; }
		awk -v n="$n" -v s="$((t1 - t0))" -v a="$((t2 - t1))" \
		    'BEGIN { d = a - s; if (d <= 0) d = a; printf "%.1f\n", n / (d / 1e9) }' >>"$TMP/peer"
	done
	peer=$(median <"$TMP/peer")
fi
ratio=$(bench_ratio "$ours" "$peer")
printf '%-34s %12.0f/s %14s/s %9sx\n' "lint corpus ($n files)" "$ours" "$peer" "$ratio"
bench_row "validator lint corpus ($n files)" "$(printf '%.0f' "$ours")" files/s \
    "$PEER_NAME" "$peer" -
echo "(ours: $BENCH in-process; the peer: $SHARED/peers/validate.js under node, in one"
echo " process per run, node's start-up and loading asl-validator taken off)"
