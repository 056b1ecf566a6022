#!/usr/bin/env bash
# tests/service/test_service.sh: the whole chain end to end — stepdeploy
# submit -> the validator -> the tests on the executor -> the uploader's
# queue -> the signer -> the deploy on the stand-in -> verified — and
# what a user of the service sees: progress, the verdicts, --json,
# --no-wait and status, a rollback, a halt, the service unreachable, and
# the uploader killed mid-deploy and restarted.
#
#   bash tests/service/test_service.sh	(STEPDEPLOY and the daemons override)
set -euo pipefail
NAME=test_service
ME=$(id -u)
# The policy of tests/service/lib.sh, with a small zip limit for one case.
POLICY_EXTRA="{\"sockets\": {\"submit\": [$ME], \"exec\": [$ME], \"deploy\": [$ME], \"sign\": [$ME]}, \"projects\": {\"acme/hello\": {\"submitters\": [$ME], \"limits\": {\"zip_max_bytes\": 100000}}}}"
source "$(dirname "$0")/lib.sh"

svc_start
xy_fixtures
echo '[{"name": "calls the Lambda", "mocks": {"Call": {"result": {"ok": true}}},
  "expected": {"status": "SUCCEEDED"}}]' >"$T/tests-xy.json"

# wait_status RID STATE [SECONDS]: until `status RID` says STATE.
wait_status() {
	local i
	for i in $(seq 1 $((${3:-30} * 20))); do
		"$SD" status --socket "$DEPLOY_SOCK" --json "$1" 2>/dev/null |
		    "$PY" -c 'import json,sys; r=json.load(sys.stdin)["releases"]; sys.exit(0 if r and r[-1]["state"] == sys.argv[1] else 1)' "$2" && return 0
		sleep 0.05
	done
	return 1
}
# st_field RID EXPR: EXPR of the newest status of RID (s).
st_field() {
	"$SD" status --socket "$DEPLOY_SOCK" --json "$1" | "$PY" -c 'import json,sys
s = json.load(sys.stdin)["releases"][-1]
v = eval(sys.argv[1]); print(v if isinstance(v, str) else json.dumps(v))' "$2"
}

t deploy-x
mkrel x1 x
SEQ=$(last_seq)
submit x1 b xy
expect_rc 0
for line in "received: release x1" "validated" "tests passed: 1 passed, 0 failed" \
    "queued: next for acme/hello/production" "locked" "uploaded" "Lambda updated" \
    "version published" "state machine updated" "verified" "deployed x1 (Lambda version"; do
	expect_has "$line"
done
expect_eq state "$(which)" x
expect_no_lock
# Every AWS call went through the signer: the stand-in saw signed ones.
expect_eq aws-calls "$( [ "$(last_seq)" -gt "$SEQ" ] && echo some || echo none)" some

t status-after
status
expect_rc 0
expect_has "x1 "
expect_has "Deployed"
expect_eq status-json "$(st_field x1 's["state"] + " " + s["result"]["status"]')" "done Deployed"

t json
mkrel y1 y
submit y1 c xy --json
expect_rc 0
expect_eq json-status "$(echo "$OUT" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["status"])')" Deployed
expect_err_has "state machine updated"
expect_eq json-steps "$(echo "$OUT" | "$PY" -c 'import json,sys; print(any(s["step"] == "verified" for s in json.load(sys.stdin)["steps"]))')" True
expect_eq state "$(which)" y

t no-tests-refused
mkrel nt x zip=b
SEQ=$(last_seq)
run "$SD" submit --release "$T/nt.json" --zip "$T/b.zip" --socket "$SUBMIT_SOCK"
expect_rc 1
expect_has "TESTS_REQUIRED"
expect_has "refused nt"
expect_eq aws-calls "$(calls "$SEQ" 'len(c)')" 0

t bad-release-refused
mkrel br x zip=a
SEQ=$(last_seq)
submit br b xy
expect_rc 1
expect_has "RELEASE_ZIP_SHA256_MISMATCH"
expect_eq aws-calls "$(calls "$SEQ" 'len(c)')" 0

t zip-over-the-limit
# Refused from what SUBMIT announces, before the zip is read: the client
# sees the verdict, not a broken connection.
head -c 300000 /dev/urandom >"$T/big.bin"
"$PY" -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z: z.write(sys.argv[2], "bootstrap")' "$T/big.zip" "$T/big.bin"
mkrel bz x zip=big
SEQ=$(last_seq)
submit bz big xy
expect_rc 1
expect_has "ZIP_TOO_LARGE"
expect_has "refused bz"
expect_lacks "closed the connection"
expect_eq aws-calls "$(calls "$SEQ" 'len(c)')" 0

t journal-dir-made
# `stepdeploy deploy --journal-dir` creates a missing directory (0700) ...
mkrel jd y
run "$SD" deploy --release "$T/jd.json" --zip "$T/c.zip" --policy "$T/policy.json" \
    --signer "$SOCK" --journal-dir "$T/new/journals"
expect_rc 0
expect_eq mode "$(stat -c %a "$T/new/journals")" 700
expect_eq journal "$( [ -f "$T/new/journals/jd.journal" ] && echo yes || echo no)" yes
expect_eq state "$(which)" y
# ... and refuses one others may write to, in one line.
mkdir -m 777 "$T/open"
chmod 777 "$T/open"
mkrel jo x
run "$SD" deploy --release "$T/jo.json" --zip "$T/b.zip" --policy "$T/policy.json" \
    --signer "$SOCK" --journal-dir "$T/open"
expect_rc 1
expect_err_has "world-writable"
expect_eq err-lines "$(printf '%s\n' "$ERR" | grep -c .)" 1

t rolled-back
mkrel rb x
control POST faults '{"faults":[{"op":"states:UpdateStateMachine","fault":"error","status":400,"code":"InvalidDefinition","message":"injected by the test","times":1}]}' >/dev/null
submit rb b xy
expect_rc 1
expect_has "rolled back"
expect_has "rolledback rb"
expect_err_has "injected by the test"
expect_eq state "$(which)" y
expect_no_lock
control DELETE faults >/dev/null
expect_eq status "$(st_field rb 's["result"]["status"]')" RolledBack

t no-wait
mkrel nw x
submit nw b xy --no-wait
expect_rc 0
expect_has "queued nw"
expect_eq done "$(wait_status nw done && echo yes || echo no)" yes
expect_eq status "$(st_field nw 's["result"]["status"]')" Deployed
expect_eq state "$(which)" x

t unreachable
run "$SD" submit --release "$T/x.json" --zip "$T/b.zip" --tests "$T/tests-xy.json" --socket "$T/nobody.sock"
expect_rc 3
expect_err_has "cannot be reached at $T/nobody.sock"
run "$SD" status --socket "$T/nobody.sock"
expect_rc 3

t usage
run "$SD" submit --zip "$T/b.zip"
expect_rc 2
run "$SD" submit --help
expect_rc 0
expect_has "usage: stepdeploy submit"

t halt
mkrel ht y
control POST faults '{"faults":[{"op":"lambda:UpdateFunctionCode","fault":"delay","seconds":2,"times":1}]}' >/dev/null
"$SD" submit --release "$T/ht.json" --zip "$T/c.zip" --tests "$T/tests-xy.json" \
    --socket "$SUBMIT_SOCK" >"$T/ht.out" 2>"$T/ht.err" &
HT=$!
BG_PIDS+=("$HT")
wait_status ht running 10 || true
run "$SD" halt ht --socket "$DEPLOY_SOCK"
expect_rc 0
expect_has "halt ht: requested"
set +e; wait "$HT"; RC=$?; set -e
OUT=$(cat "$T/ht.out"); ERR=$(cat "$T/ht.err")
expect_rc 1
expect_err_has "Deploy.Halted"
expect_eq state "$(which)" x
expect_no_lock
control DELETE faults >/dev/null

t uploader-killed
mkrel kd y
control POST faults '{"faults":[{"op":"states:UpdateStateMachine","fault":"delay","seconds":2,"times":1}]}' >/dev/null
"$SD" submit --release "$T/kd.json" --zip "$T/c.zip" --tests "$T/tests-xy.json" \
    --socket "$SUBMIT_SOCK" >"$T/kd.out" 2>"$T/kd.err" &
KD=$!
BG_PIDS+=("$KD")
for _ in $(seq 1 200); do
	[ "$(st_field kd 's.get("step", "")' 2>/dev/null)" = UpdateStateMachine ] && break
	sleep 0.05
done
expect_eq killed-at "$(st_field kd 's.get("step", "")')" UpdateStateMachine
kill -9 "$UPLOADER_PID"
set +e; wait "$KD"; RC=$?; set -e
expect_rc 1
sleep 2.5	# the held UpdateStateMachine lands (or not) in the stand-in
control DELETE faults >/dev/null
svc_uploader
expect_eq done "$(wait_status kd done && echo yes || echo no)" yes
# Complete old or complete new, never a mix, and status says which.
W=$(which)
case $W in x|y) ok ;; *) bad "after the restart: $W" ;; esac
expect_no_lock
R=$(st_field kd 's["result"]["status"]')
case "$W/$R" in y/Deployed|x/RolledBack|x/Failed) ok ;; *) bad "state $W but status $R" ;; esac
grep -q "recover kd" "$T/uploader.log" && ok || bad "the restarted uploader did not recover kd"

t next-after-restart
mkrel nx x
submit nx b xy
expect_rc 0
expect_eq state "$(which)" x

up_end
