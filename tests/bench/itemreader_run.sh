#!/usr/bin/env bash
# tests/bench/itemreader_run.sh: a Distributed Map over a 1,000,000-line
# JSONL object read with its ItemReader from a local S3 directory
# (stepdeploy exec --s3-dir), each item through a Pass child; prints the
# wall time, the transitions per second and the peak RSS (goal: under 1 GB).
# (make bench; no peer runs a Distributed Map from S3.)
#
#   bash tests/bench/itemreader_run.sh [BUILD] [LINES]
#
# Each figure is the median of BENCH_REPEAT runs; see tests/bench/lib.sh
# (BENCH_ROWS, BENCH_RUNS_SCALE; BENCH_MAP_ITEMS sets LINES too).
set -euo pipefail

cd "$(dirname "$0")/../.."
# shellcheck source=tests/bench/lib.sh
source tests/bench/lib.sh
BUILD=${1:-build}
LINES=${2:-${BENCH_MAP_ITEMS:-1000000}}
BIN=$BUILD/stepdeploy
if [ ! -x "$BIN" ]; then
	echo "itemreader bench: $BIN is missing (make all)" >&2
	exit 1
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ir-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/s3/bk"
awk -v n="$LINES" 'BEGIN { for (i = 0; i < n; i++) printf "{\"id\":%d,\"name\":\"item-%d\"}\n", i, i }' \
    >"$TMP/s3/bk/items.jsonl"
cat >"$TMP/m.json" <<'DEF'
{"StartAt":"M","States":{"M":{"Type":"Map",
 "ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSONL"},
  "Parameters":{"Bucket":"bk","Key":"items.jsonl"}},
 "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
  "StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},
 "ResultSelector":{"count.$":"States.ArrayLength($)"},"End":true}}}
DEF
# One run: "SECONDS PEAK_RSS_KIB" on stdout (RSS 0 without /usr/bin/time).
once() {
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%e %M' -o "$TMP/time" "$BIN" exec "$TMP/m.json" \
		    --s3-dir "$TMP/s3" >"$TMP/out"
		cat "$TMP/time"
	else
		start=$(date +%s%N)
		"$BIN" exec "$TMP/m.json" --s3-dir "$TMP/s3" >"$TMP/out"
		awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f 0\n", (b - a) / 1e9 }'
	fi
	grep -q "\"count\":$LINES" "$TMP/out" ||
	    { echo "itemreader bench: wrong result: $(cat "$TMP/out")" >&2; exit 1; }
}
: >"$TMP/runs"
for _ in $(seq 1 "$BENCH_REPEAT"); do
	once >>"$TMP/runs"
done
secs=$(awk '{ print $1 }' "$TMP/runs" | median)
kb=$(awk '{ print $2 }' "$TMP/runs" | median)
awk -v n="$LINES" -v s="$secs" -v kb="$kb" -v r="$BENCH_REPEAT" 'BEGIN {
	printf "%-28s %10s %14s %12s %s\n", "benchmark (median of " r ")", "seconds", "transitions/s", "peak RSS", "goal"
	printf "%-28s %10.2f %14.0f %8.0f MiB %s\n", "distributed map " n " JSONL", s, (n + 1) / s, kb / 1024,
	    kb == 0 ? "(RSS not measured: no /usr/bin/time)" : (kb < 1024 * 1024 ? "< 1 GB: met" : "< 1 GB: NOT met")
}'
bench_row "distributed map $(commify "$LINES") JSONL items (ItemReader)" \
    "$(awk -v n="$LINES" -v s="$secs" 'BEGIN { printf "%.0f", (n + 1) / s }')" transitions/s - - -
if [ "$kb" != 0 ]; then
	bench_row "distributed map $(commify "$LINES") JSONL items, peak RSS" \
	    "$(awk -v kb="$kb" 'BEGIN { printf "%.0f", kb / 1024 }')" MiB - - "ours<1024"
fi
