#!/usr/bin/env bash
# The service's cost (make bench): N releases submitted through the whole
# service (stepdeploy submit -> validator -> tests on the executor ->
# uploader -> signer -> the local stand-in) against N of the same
# releases deployed in the foreground (stepdeploy deploy, the same flow
# in one process), interleaved, with no Lambda update delay. Prints the
# submit-to-deployed wall time per release and the service's overhead
# (the difference of the medians; goal under 20 ms).
#
#   bash tests/bench/service_run.sh [BUILD_DIR] [N]	(default: build 20)
#
# Environment: see tests/bench/lib.sh (BENCH_RUNS_SCALE scales N, at
# least 3; BENCH_ROWS gets the medians).
set -euo pipefail
# shellcheck source=tests/bench/lib.sh
source "$(dirname "$0")/lib.sh"
BUILD=$(cd "${1:-build}" && pwd)
N=${2:-$(bench_scaled 20)}
[ "$N" -ge 3 ] || N=3
export STEPDEPLOY=$BUILD/stepdeploy SIGNER=$BUILD/stepdeploy-signer
export EXECUTOR=$BUILD/stepdeploy-executor VALIDATOR=$BUILD/stepdeploy-validator \
    UPLOADER=$BUILD/stepdeploy-uploader
NAME=service_bench
ME=$(id -u)
POLICY_EXTRA="{\"aws\": {\"poll_interval_ms\": 5}, \"sockets\": {\"submit\": [$ME], \"exec\": [$ME], \"deploy\": [$ME], \"sign\": [$ME]}, \"projects\": {\"acme/hello\": {\"submitters\": [$ME]}}}"
# shellcheck source=../service/lib.sh
source "$(dirname "$0")/../service/lib.sh"

echo
echo "== The service: $N releases submitted, beside $N deployed in the foreground"
svc_start --update-delay 0 >/dev/null
[ "$FAILED" = 0 ] || { echo "service bench: the stand-in would not start"; exit 1; }
: >"$T/times"
ms() { echo $(( ($(date +%s%N) - $1) / 1000 )); }
for i in $(seq 1 "$N"); do
	if [ $((i % 2)) = 1 ]; then base=r-1 zip=b; else base=r-2 zip=c; fi
	mkrel "fg-$i" "$base"
	mkrel "sv-$i" "$base"
	t0=$(date +%s%N)
	"$SD" deploy --release "$T/fg-$i.json" --zip "$T/$zip.zip" --policy "$T/policy.json" \
	    --signer "$SOCK" --journal-dir "$T/j" >/dev/null 2>"$T/err" ||
	    { echo "service bench: deploy fg-$i failed:"; cat "$T/err"; exit 1; }
	fg=$(ms "$t0")
	# The other release next, so that each deploy changes the code.
	if [ $((i % 2)) = 1 ]; then zip2=c; else zip2=b; fi
	mkrel "sv-$i" "$([ "$base" = r-1 ] && echo r-2 || echo r-1)"
	# submit's progress lines, each with the time it arrived
	"$PY" - "$SD" submit --release "$T/sv-$i.json" --zip "$T/$zip2.zip" \
	    --tests "$T/tests-ok.json" --socket "$SUBMIT_SOCK" >"$T/steps-$i" 2>"$T/err" <<'PYEOF' ||
import subprocess, sys, time
t0 = time.monotonic()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, text=True)
for line in p.stdout:
    print("%.3f %s" % ((time.monotonic() - t0) * 1000, line.strip().split(":")[0]))
print("%.3f end" % ((time.monotonic() - t0) * 1000))
sys.exit(p.wait())
PYEOF
	    { echo "service bench: submit sv-$i failed:"; cat "$T/err"; exit 1; }
	echo "$fg" >>"$T/times"
done
"$PY" - "$T" "$N" <<'PYEOF'
import statistics as st, sys
t, n = sys.argv[1], int(sys.argv[2])
fg = sorted(int(l) / 1000 for l in open(t + "/times"))
runs = []
for i in range(1, n + 1):
    d = {}
    for l in open("%s/steps-%d" % (t, i)):
        ms, step = l.split(" ", 1)
        d.setdefault(step.strip(), float(ms))
    runs.append(d)
sv = sorted(r["end"] for r in runs)
over = st.median(sv) - st.median(fg)
print("releases  wall ms/release (median min max)")
print("%-9d deploy (foreground) %8.1f %8.1f %8.1f" % (n, st.median(fg), fg[0], fg[-1]))
print("%-9s submit (service)    %8.1f %8.1f %8.1f" % ("", st.median(sv), sv[0], sv[-1]))
print("service overhead: %.1f ms per release (goal < 20 ms): %s" % (over, "met" if over < 20 else "NOT met"))
# Where the service's time goes: the median time from the submit's start
# to each step it reports.
print("submit's steps (median ms from its start):", ", ".join(
    "%s %.1f" % (s, st.median(r[s] for r in runs if s in r))
    for s in ("received", "validated", "tests passed", "queued", "checked again", "locked", "end")))
with open(t + "/summary", "w") as f:
    f.write("%.1f %.1f %.1f\n" % (st.median(sv), st.median(fg), over))
PYEOF
read -r sv fg over <"$T/summary"
bench_row "service: submit to deployed" "$sv" ms - - -
bench_row "service: the same deploy in the foreground" "$fg" ms - - -
bench_row "service: overhead over the foreground deploy" "$over" ms - - "ours<20"
