#!/usr/bin/env bash
# tests/bench/itemreader_run.sh: a Distributed Map over a 1,000,000-line
# JSONL object read with its ItemReader from a local S3 directory
# (stepdeploy exec --s3-dir), each item through a Pass child; prints the
# wall time, the transitions per second and the peak RSS (goal: under 1 GB).
#
#   bash tests/bench/itemreader_run.sh [BUILD] [LINES]
set -euo pipefail

cd "$(dirname "$0")/../.."
BUILD=${1:-build}
LINES=${2:-1000000}
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
if [ -x /usr/bin/time ]; then
	/usr/bin/time -f '%e %M' -o "$TMP/time" "$BIN" exec "$TMP/m.json" \
	    --s3-dir "$TMP/s3" >"$TMP/out"
	read -r secs kb <"$TMP/time"
else
	start=$(date +%s%N)
	"$BIN" exec "$TMP/m.json" --s3-dir "$TMP/s3" >"$TMP/out"
	secs=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
	kb=0
fi
grep -q "\"count\":$LINES" "$TMP/out" || { echo "itemreader bench: wrong result: $(cat "$TMP/out")" >&2; exit 1; }
awk -v n="$LINES" -v s="$secs" -v kb="$kb" 'BEGIN {
	printf "%-28s %10s %14s %12s %s\n", "benchmark", "seconds", "transitions/s", "peak RSS", "goal"
	printf "%-28s %10.2f %14.0f %9.0f MB %s\n", "distributed map " n " JSONL", s, (n + 1) / s, kb / 1024,
	    kb == 0 ? "(RSS not measured: no /usr/bin/time)" : (kb < 1024 * 1024 ? "< 1 GB: met" : "< 1 GB: NOT met")
}'
