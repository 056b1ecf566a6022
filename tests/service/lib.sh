# tests/service/lib.sh: the whole service for the end-to-end tests —
# everything tests/uploader/lib.sh starts (the stand-in, the signer, the
# fixtures), plus the executor, the uploader and the validator daemons in
# the same temporary directory, all as the current user, with a policy
# that names that user on every socket and as the project's submitter.
#
#   NAME=test_x; source "$(dirname "$0")/lib.sh"; svc_start; ...; up_end
#
# EXECUTOR, VALIDATOR, UPLOADER override the daemons' binaries.

SVC_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SVC_ROOT=$(cd "$SVC_HERE/../.." && pwd)
EXECUTOR=${EXECUTOR:-$SVC_ROOT/build/stepdeploy-executor}
VALIDATOR=${VALIDATOR:-$SVC_ROOT/build/stepdeploy-validator}
UPLOADER=${UPLOADER:-$SVC_ROOT/build/stepdeploy-uploader}
for b in "$EXECUTOR" "$VALIDATOR" "$UPLOADER"; do
	[ -x "$b" ] || { echo "$0: $b is missing (make)" >&2; exit 1; }
done
ME=$(id -u)
POLICY_EXTRA=${POLICY_EXTRA:-"{\"sockets\": {\"submit\": [$ME], \"exec\": [$ME], \"deploy\": [$ME], \"sign\": [$ME]}, \"projects\": {\"acme/hello\": {\"submitters\": [$ME]}}}"}
# shellcheck source=../uploader/lib.sh
source "$SVC_ROOT/tests/uploader/lib.sh"

# svc_host DIR: the paths of one service instance (one build host): its
# sockets, logs and state directories under DIR ($T for the first).
svc_host() {
	H=$1
	SUBMIT_SOCK=$H/submit.sock EXEC_SOCK=$H/exec.sock DEPLOY_SOCK=$H/deploy.sock
	SOCK=$H/sign.sock
}
svc_host "$T"
EXECUTOR_PID= VALIDATOR_PID= UPLOADER_PID=

# wait_log FILE PID WHAT: until FILE says "listening on", or fail.
wait_log() {
	local i
	for i in $(seq 1 200); do
		grep -q 'listening on' "$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || { echo "$3 died:"; cat "$1"; exit 1; }
		sleep 0.05
	done
	echo "$3 is not ready after 10 s:"; cat "$1"; exit 1
}

# A second host's signer (the first host's is up_signer's).
svc_signer() {
	"$SIGNER" --policy "$T/policy.json" --socket "$SOCK" --credentials "$T/creds" \
	    --foreground 2> >(exec cat >>"$H/signer.log") &
	SIGNER2_PID=$!; BG_PIDS+=("$SIGNER2_PID")
	wait_log "$H/signer.log" "$SIGNER2_PID" "the signer of $H"
}
svc_executor() {
	"$EXECUTOR" --policy "$T/policy.json" --socket "$EXEC_SOCK" --foreground \
	    "$@" 2> >(exec cat >>"$H/executor.log") &
	EXECUTOR_PID=$!; BG_PIDS+=("$EXECUTOR_PID")
	wait_log "$H/executor.log" "$EXECUTOR_PID" "the executor"
}
svc_uploader() {
	"$UPLOADER" --policy "$T/policy.json" --socket "$DEPLOY_SOCK" --foreground \
	    --state-dir "$H/up" --spool "$H/val/spool" --signer "$SOCK" \
	    "$@" 2> >(exec cat >>"$H/uploader.log") &
	UPLOADER_PID=$!; BG_PIDS+=("$UPLOADER_PID")
	wait_log "$H/uploader.log" "$UPLOADER_PID" "the uploader"
}
svc_validator() {
	"$VALIDATOR" --policy "$T/policy.json" --socket "$SUBMIT_SOCK" --foreground \
	    --state-dir "$H/val" --exec-socket "$EXEC_SOCK" --deploy-socket "$DEPLOY_SOCK" \
	    "$@" 2> >(exec cat >>"$H/validator.log") &
	VALIDATOR_PID=$!; BG_PIDS+=("$VALIDATOR_PID")
	wait_log "$H/validator.log" "$VALIDATOR_PID" "the validator"
}

# tests.json files: $T/tests-ok.json passes on r-1's and r-2's
# machines, $T/tests-bad.json fails on both.
svc_tests() {
	echo '[{"name": "succeeds", "expected": {"status": "SUCCEEDED"}}]' >"$T/tests-ok.json"
	echo '[{"name": "fails on purpose", "expected": {"status": "FAILED"}}]' >"$T/tests-bad.json"
}

# The stand-in, the signer and the three daemons.
svc_start() {
	up_start "$@"
	svc_tests
	svc_daemons
}
svc_daemons() {
	svc_executor
	svc_uploader
	svc_validator
}

# submit RELEASE-ID ZIP-NAME [TESTS-NAME [ARGS...]]: stepdeploy submit.
submit() {
	local rid=$1 zip=$2 tests=${3:-ok}
	shift 3 2>/dev/null || shift $#
	run "$SD" submit --release "$T/$rid.json" --zip "$T/$zip.zip" \
	    ${tests:+--tests "$T/tests-$tests.json"} --socket "$SUBMIT_SOCK" "$@"
}
status() { run "$SD" status --socket "$DEPLOY_SOCK" "$@"; }

# lock_check SINCE: from the stand-in's calls log after seq SINCE, "none
# N" (N locks taken) when each config's lock was taken (a PUT with
# If-None-Match answered 200) only while no one held it, refreshed
# (If-Match) only while held and released (DELETE) by a holder; else
# what broke the rule, and where.
lock_check() {
	control GET "calls?since=$1" | "$PY" -c '
import json, sys
held, bad, taken = {}, [], 0
for x in json.load(sys.stdin)["calls"]:
    if x["service"] != "s3" or not x["path"].endswith("/lock") or x["status"] >= 300:
        continue
    k = x["path"]
    if x["method"] == "PUT" and "if_none_match" in x:
        taken += 1
        if held.get(k):
            bad.append("%s taken again at seq %d" % (k, x["seq"]))
        held[k] = True
    elif x["method"] == "PUT" and not held.get(k):
        bad.append("%s refreshed unheld at seq %d" % (k, x["seq"]))
    elif x["method"] == "DELETE":
        if not held.get(k):
            bad.append("%s released unheld at seq %d" % (k, x["seq"]))
        held[k] = False
print("; ".join(bad) or "none %d" % taken)'
}
