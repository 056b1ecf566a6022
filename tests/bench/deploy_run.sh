#!/usr/bin/env bash
# The deploy flow's own cost (make bench): N deploys of alternating
# releases through the signer against the local stand-in, with no Lambda
# update delay, so what is measured is stepdeploy, the signer round trips
# and the stand-in's answers - not AWS's. Prints the wall time per deploy
# (median, min, max), stepdeploy's mean CPU time and peak RSS, and
# the AWS calls each deploy makes.
#
#   bash tests/bench/deploy_run.sh [BUILD_DIR] [N]	(default: build 20)
#
# Environment: see tests/bench/lib.sh (BENCH_RUNS_SCALE scales N, at
# least 3; BENCH_ROWS gets the median wall time per deploy).
set -euo pipefail
# shellcheck source=tests/bench/lib.sh
source "$(dirname "$0")/lib.sh"
BUILD=$(cd "${1:-build}" && pwd)
N=${2:-$(bench_scaled 20)}
[ "$N" -ge 3 ] || N=3
export STEPDEPLOY=$BUILD/stepdeploy SIGNER=$BUILD/stepdeploy-signer
NAME=deploy_bench
POLICY_EXTRA='{"aws": {"poll_interval_ms": 5}}'
# shellcheck source=../uploader/lib.sh
source "$(dirname "$0")/../uploader/lib.sh"

echo
echo "== The deploy flow: $N deploys against the local stand-in"
up_start --update-delay 0 >/dev/null
[ "$FAILED" = 0 ] || { echo "deploy bench: the stand-in would not start"; exit 1; }
before=$(control GET calls | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["calls"]))')
: >"$T/times"
for i in $(seq 1 "$N"); do
	if [ $((i % 2)) = 1 ]; then base=r-1 zip=b; else base=r-2 zip=c; fi
	mkrel "bench-$i" "$base"
	t0=$(date +%s%N)
	/usr/bin/time -f "%U %S %M" -o "$T/rusage" "$SD" deploy --release "$T/bench-$i.json" \
		--zip "$T/$zip.zip" --policy "$T/policy.json" --signer "$SOCK" \
		--journal-dir "$T/j" >/dev/null 2>"$T/err" ||
		{ echo "deploy bench: deploy $i failed:"; cat "$T/err"; exit 1; }
	t1=$(date +%s%N)
	echo "$(( (t1 - t0) / 1000 )) $(cat "$T/rusage")" >>"$T/times"
done
after=$(control GET calls | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["calls"]))')
"$PY" - "$T/times" "$N" "$((after - before))" "$T/summary" <<'PYEOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
n, calls = int(sys.argv[2]), int(sys.argv[3])
wall = sorted(int(r[0]) / 1000 for r in rows)
# (rusage is in 10 ms steps: the mean over the runs, not one run's)
cpu = sum((float(r[1]) + float(r[2])) * 1000 for r in rows) / len(rows)
rss = max(int(r[3]) for r in rows) / 1024
print("deploys  wall ms/deploy (median min max)   stepdeploy CPU ms (mean)  peak RSS   AWS calls/deploy")
print("%-8d %8.1f %8.1f %8.1f %23.1f %13.1f MiB %12.1f" % (
    n, statistics.median(wall), wall[0], wall[-1], cpu, rss, calls / n))
print("(release build; each deploy: Validate .. ReleaseLock, %d signatures over sign.sock)" % round(calls / n))
with open(sys.argv[4], "w") as f:
    f.write("%.1f %.1f %.1f %d\n" % (statistics.median(wall), cpu, rss, round(calls / n)))
PYEOF
read -r wall cpu _ calls <"$T/summary"
bench_row "deploy flow ($calls AWS calls), wall per deploy" "$wall" ms - - -
bench_row "deploy flow, stepdeploy CPU per deploy (mean)" "$cpu" ms - - -
