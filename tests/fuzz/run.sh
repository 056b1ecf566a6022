#!/usr/bin/env bash
# Run every libFuzzer target for a fixed time (make fuzz).
#
#   bash tests/fuzz/run.sh [FUZZ_DIR] [SECONDS]        (default: build/fuzz 60)
#
# Each FUZZ_DIR/fuzz_NAME runs for SECONDS (-max_total_time) on its corpus
# FUZZ_DIR/corpus/NAME, seeded from tests/data/NAME/ (or tests/data/NAMEs/)
# when that exists. Crash inputs land in FUZZ_DIR/artifacts/NAME/. Prints
# the executions of each target and fails if any target crashed (or
# leaked, timed out, ran out of memory: anything libFuzzer reports as an
# error). FUZZ_JOBS (default 1) targets run at a time.
set -euo pipefail

cd "$(dirname "$0")/../.."
DIR=${1:-build/fuzz}
SECONDS_EACH=${2:-60}

JOBS=${FUZZ_JOBS:-1}

case $SECONDS_EACH in
'' | *[!0-9]*) echo "fuzz: SECONDS must be a whole number, not '$SECONDS_EACH'" >&2; exit 2 ;;
esac
case $JOBS in
'' | *[!0-9]* | 0) echo "fuzz: FUZZ_JOBS must be a positive whole number, not '$JOBS'" >&2; exit 2 ;;
esac

targets=()
for f in "$DIR"/fuzz_*; do
	if [ -f "$f" ] && [ -x "$f" ]; then
		targets+=("$f")
	fi
done
if [ ${#targets[@]} -eq 0 ]; then
	echo "fuzz: no fuzz_* targets in $DIR (build them with 'make fuzz-build')" >&2
	exit 1
fi

# Run one target; its table row goes to DIR/logs/NAME.row.
fuzz_one() {
	local bin=$1 name corpus artifacts log seeds s rc runs done_line persec size status
	name=${bin##*/fuzz_}
	corpus=$DIR/corpus/$name
	artifacts=$DIR/artifacts/$name
	log=$DIR/logs/$name.log
	mkdir -p "$corpus" "$artifacts" "$DIR/logs"
	seeds=()
	for s in "tests/data/$name" "tests/data/${name}s"; do
		if [ -d "$s" ]; then
			seeds+=("$s")
		fi
	done

	echo "fuzz: $name: ${SECONDS_EACH}s, corpus $corpus${seeds[*]:+, seeds ${seeds[*]}}"
	rc=0
	# The first directory is the corpus libFuzzer grows; the seed
	# directories are only read.
	"$bin" -max_total_time="$SECONDS_EACH" -timeout=25 -print_final_stats=1 \
	    -artifact_prefix="$artifacts/" "$corpus" ${seeds[@]+"${seeds[@]}"} \
	    >"$log" 2>&1 || rc=$?

	# "Done N runs in S second(s)" ends a clean run; after a crash only
	# the final stats say how far it got.
	runs=$(sed -n 's/^Done \([0-9][0-9]*\) runs in .*/\1/p' "$log" | tail -n 1)
	done_line=$runs
	if [ -z "$runs" ]; then
		runs=$(sed -n 's/^stat::number_of_executed_units:[[:space:]]*\([0-9]*\).*/\1/p' "$log" | tail -n 1)
	fi
	persec=$(sed -n 's/^stat::average_exec_per_sec:[[:space:]]*\([0-9]*\).*/\1/p' "$log" | tail -n 1)
	size=$(find "$corpus" -type f | wc -l | tr -d ' ')
	if [ "$rc" -eq 0 ] && [ -n "$done_line" ]; then
		status=ok
	else
		status="FAILED (exit $rc)"
		echo "fuzz: $name failed; the end of $log:" >&2
		tail -n 40 "$log" >&2
	fi
	echo "$name|${runs:--}|${persec:--}|$size|$status" >"$DIR/logs/$name.row"
}

mkdir -p "$DIR/logs"
running=0
for bin in "${targets[@]}"; do
	rm -f "$DIR/logs/${bin##*/fuzz_}.row"
	fuzz_one "$bin" &
	running=$((running + 1))
	if [ "$running" -ge "$JOBS" ]; then
		wait -n || true
		running=$((running - 1))
	fi
done
wait

rows=()
failed=0
for bin in "${targets[@]}"; do
	name=${bin##*/fuzz_}
	row=$(cat "$DIR/logs/$name.row" 2>/dev/null || echo "$name|-|-|-|FAILED (no result)")
	case $row in
	*"|ok") ;;
	*) failed=$((failed + 1)) ;;
	esac
	rows+=("$row")
done

echo
printf '%-24s %14s %10s %8s  %s\n' target executions "exec/s" corpus status
for r in "${rows[@]}"; do
	IFS='|' read -r name runs persec size status <<<"$r"
	printf '%-24s %14s %10s %8s  %s\n' "$name" "$runs" "$persec" "$size" "$status"
done
if [ "$failed" -gt 0 ]; then
	echo "fuzz: $failed of ${#targets[@]} targets failed (inputs in $DIR/artifacts/)" >&2
	exit 1
fi
echo "fuzz: ${#targets[@]} targets, no crashes"
