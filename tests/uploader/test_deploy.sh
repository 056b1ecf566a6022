#!/usr/bin/env bash
# tests/uploader/test_deploy.sh: `stepdeploy deploy` (the deploy flow,
# uploader/deploy_tasks.c) against the local AWS stand-in, signed by the
# real signer daemon (build/stepdeploy-signer).
#
#   bash tests/uploader/test_deploy.sh	(STEPDEPLOY, SIGNER override)
#
# Checked: a clean deploy leaves the new code (CodeSha256) and definition
# in place and no lock; a fault at UpdateStateMachine rolls back to the
# previous code and definition and releases the lock; so does a fault
# the client does not retry at each AWS call after Lock (ValidateResources
# to Verify); faults retried once still deploy. Everything started
# is killed from the EXIT trap. The last line is "N passed, M failed".
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
STANDIN=$ROOT/tests/standin/standin
SD=${STEPDEPLOY:-$ROOT/build/asan/stepdeploy}
SIGNER=${SIGNER:-$ROOT/build/stepdeploy-signer}
PY=/usr/bin/python3
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

for b in "$SD" "$SIGNER"; do
	[ -x "$b" ] || { echo "$0: $b is missing (make)" >&2; exit 1; }
done
if ! [ -x "$PY" ] || ! "$PY" -c 'import botocore' 2>/dev/null; then
	echo "SKIP: test_deploy: the stand-in needs python3-botocore (make deps)"
	echo "0 passed, 0 failed"
	exit 0
fi

T=$(mktemp -d /tmp/sddep.XXXXXX)
chmod 711 "$T"
STANDIN_PID= SIGNER_PID=
cleanup() {
	local rc=$? p
	for p in "$SIGNER_PID" "$STANDIN_PID"; do
		if [ -n "$p" ]; then
			kill "$p" 2>/dev/null || true
			wait "$p" 2>/dev/null || true
		fi
	done
	if [ "$rc" != 0 ] && [ -f "$T/standin.log" ]; then
		echo "--- stand-in log (last 20 lines)"; tail -n 20 "$T/standin.log"
	fi
	rm -rf "$T"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PASSED=0 FAILED=0 CASE=- CMD= OUT= ERR= RC=0
t() { CASE=$1; }
ok() { PASSED=$((PASSED + 1)); }
bad() {
	FAILED=$((FAILED + 1))
	printf 'FAIL [%s] %s\n    $ %.300s\n    exit %s; stdout: %.1500s\n    stderr: %.900s\n' \
	    "$CASE" "$1" "$CMD" "$RC" "$OUT" "$ERR"
}
run() {
	CMD="$*"
	set +e
	OUT=$(timeout 120 "$@" 2>"$T/err")
	RC=$?
	set -e
	ERR=$(cat "$T/err")
	case $ERR in *Sanitizer*|*"runtime error:"*) bad "sanitizer report" ;; esac
}
expect_rc() { if [ "$RC" = "$1" ]; then ok; else bad "exit $RC, expected $1"; fi; }
expect_eq() { if [ "$2" = "$3" ]; then ok; else bad "$1: got '$2', expected '$3'"; fi; }
expect_has() { case $OUT in *"$1"*) ok ;; *) bad "stdout lacks '$1'" ;; esac; }
expect_err_has() { case $ERR in *"$1"*) ok ;; *) bad "stderr lacks '$1'" ;; esac; }
control() {
	local data=()
	[ $# -ge 3 ] && data=(-H 'Content-Type: application/json' --data-binary "$3")
	curl -sS --max-time 60 -X "$1" "${data[@]}" "http://127.0.0.1:$P_S3/_standin/$2"
}
# What the stand-in holds: state EXPR, r = GET /_standin/state.
state() {
	control GET state | "$PY" -c 'import json,sys
r = json.load(sys.stdin)
def fn(name):
    for k, v in r["lambda"].items():
        if k == name or k.endswith(":" + name): return v
def sm(name):
    for k, v in r["states"].items():
        if k == name or k.endswith(":" + name): return v
def canon(d):
    return json.dumps(json.loads(d) if isinstance(d, str) else d, sort_keys=True)
def has_lock():
    for b in r["s3"].values():
        for k in b["objects"]:
            if k.endswith("/lock"): return True
    return False
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))' "$1"
}
b64sha256() { "$PY" -c 'import hashlib,base64,sys; print(base64.b64encode(hashlib.sha256(open(sys.argv[1],"rb").read()).digest()).decode())' "$1"; }
canon_file() { "$PY" -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])), sort_keys=True))' "$1"; }

# ---------------------------------------------------------------- fixtures
AK=AKIDSTANDINTEST
SK='standin/test+secret'
ACCT=000000000000
FN=arn:aws:lambda:us-east-1:$ACCT:function:acme-hello
SM=arn:aws:states:us-east-1:$ACCT:stateMachine:acme-hello
B=acme-stepdeploy
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$AK" "$SK" >"$T/creds"
chmod 600 "$T/creds"
mkdir -p "$T/j"
"$PY" - "$T" <<'EOF'
import os, sys, zipfile, json, hashlib, datetime
t = sys.argv[1]
for name in "abc":
    with zipfile.ZipFile(os.path.join(t, name + ".zip"), "w") as z:
        z.writestr("bootstrap", "#!/bin/sh\necho %s\n" % name)
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
defs = {
  "r-1": {"StartAt": "Hi", "States": {"Hi": {"Type": "Succeed"}}},
  "r-2": {"StartAt": "Bye", "States": {"Bye": {"Type": "Pass", "End": True}}},
}
for rid, zipname in (("r-1", "b"), ("r-2", "c")):
    sha = hashlib.sha256(open(os.path.join(t, zipname + ".zip"), "rb").read()).hexdigest()
    rel = {"release_id": rid, "project_name": "acme/hello",
           "config_name": "production", "aws_account_id": "000000000000",
           "aws_region": "us-east-1", "lambda_name": "acme-hello",
           "step_fn_name": "acme-hello", "created_at": now,
           "lambda_sha256": sha, "state_machine": defs[rid]}
    json.dump(rel, open(os.path.join(t, rid + ".json"), "w"))
    json.dump(defs[rid], open(os.path.join(t, rid + "-def.json"), "w"))
EOF
echo '{"StartAt":"Hello","States":{"Hello":{"Type":"Pass","End":true}}}' >"$T/def1.json"

# ---------------------------------------------------------------- the stand-in
"$STANDIN" --port 0 --port 0 --port 0 --dir "$T/state" --credentials "$T/creds" \
	--update-delay 0.3 --ready-file "$T/ready" >>"$T/standin.log" 2>&1 &
STANDIN_PID=$!
for _ in $(seq 1 300); do
	[ -s "$T/ready" ] && break
	kill -0 "$STANDIN_PID" 2>/dev/null || { echo "the stand-in died:"; cat "$T/standin.log"; exit 1; }
	sleep 0.1
done
[ -s "$T/ready" ] || { echo "the stand-in is not ready after 30 s"; exit 1; }
read -r P_S3 P_LAMBDA P_STATES < <("$PY" -c \
	'import json,sys; print(*json.load(open(sys.argv[1]))["ports"])' "$T/ready")
cat >"$T/policy.json" <<EOF
{
  "version": 1,
  "sockets": { "sign": [$(id -u)] },
  "endpoints": {
    "s3": "http://127.0.0.1:$P_S3",
    "lambda": "http://127.0.0.1:$P_LAMBDA",
    "states": "http://127.0.0.1:$P_STATES"
  },
  "projects": {
    "acme/hello": {
      "submitters": [],
      "configs": ["production"],
      "accounts": ["$ACCT"],
      "regions": ["us-east-1"],
      "bucket": "$B",
      "lambda_arns": ["$FN"],
      "state_machine_arns": ["$SM"]
    }
  }
}
EOF
t seed
run "$STANDIN" seed --dir "$T/state" --bucket "$B" \
	--function acme-hello --zip "$T/a.zip" \
	--tag ProjectName=acme/hello --tag ConfigName=production --tag DeployWith=stepdeploy \
	--state-machine acme-hello --definition "$T/def1.json" \
	--tag ProjectName=acme/hello --tag ConfigName=production --tag DeployWith=stepdeploy
expect_rc 0

SOCK=$T/sign.sock
"$SIGNER" --policy "$T/policy.json" --socket "$SOCK" --credentials "$T/creds" \
    --foreground 2> >(exec cat >>"$T/signer.log") &
SIGNER_PID=$!
for _ in $(seq 1 100); do
	grep -q 'listening on' "$T/signer.log" 2>/dev/null && break
	kill -0 "$SIGNER_PID" 2>/dev/null || { echo "the signer died:"; cat "$T/signer.log"; exit 1; }
	sleep 0.1
done

deploy() { run "$SD" deploy --release "$T/$1.json" --zip "$T/$2.zip" \
	--policy "$T/policy.json" --signer "$SOCK" --journal-dir "$T/j"; }

# ---------------------------------------------------------------- clean deploy
t deploy-clean
deploy r-1 b
expect_rc 0
for s in Validate Lock ValidateResources Upload Snapshot UpdateLambda \
    PublishVersion UpdateStateMachine Verify ReleaseLock; do
	expect_has "==> $s"
done
expect_has "deploy r-1: Deployed"
expect_eq CodeSha256 "$(state 'fn("acme-hello")["CodeSha256"]')" "$(b64sha256 "$T/b.zip")"
expect_eq definition "$(state 'canon(sm("acme-hello")["definition"])')" "$(canon_file "$T/r-1-def.json")"
expect_eq lock-held "$(state 'has_lock()')" false
expect_eq journal-last "$(tail -n 1 "$T/j/r-1.journal" | "$PY" -c 'import json,sys; e=json.load(sys.stdin); print(e["step"], e["phase"])')" "ReleaseLock done"

t deploy-replay-refused
deploy r-1 b
expect_rc 1
expect_err_has "Deploy.Lock"
expect_eq lock-held "$(state 'has_lock()')" false

# ---------------------------------------------------------------- failure at UpdateStateMachine
t deploy-fault-rollback
control POST faults '{"faults":[{"op":"UpdateStateMachine","fault":"error","status":400,"code":"InvalidDefinition","message":"injected by test_deploy","times":1}]}' >/dev/null
deploy r-2 c
expect_rc 1
expect_has "==> Rollback"
expect_has "==> ReleaseLockAfterRollback"
expect_err_has "Deploy.UpdateStateMachine"
expect_err_has "injected by test_deploy"
control DELETE faults >/dev/null
expect_eq CodeSha256 "$(state 'fn("acme-hello")["CodeSha256"]')" "$(b64sha256 "$T/b.zip")"
expect_eq definition "$(state 'canon(sm("acme-hello")["definition"])')" "$(canon_file "$T/r-1-def.json")"
expect_eq lock-held "$(state 'has_lock()')" false

# ---------------------------------------------------------------- a failure at every call after Lock
# Each case: read back what is deployed, install one fault that the client
# does not retry (a 4xx it never retries, or a 500 on more attempts than
# its 5), deploy c.zip + the r-2 definition under a fresh release id, and
# check the failure is reported at the right step and that the code,
# the definition read back from the stand-in are what they were, with no
# lock left. Failures before UpdateLambda change nothing (ReleaseLockOnError);
# from UpdateLambda on the flow rolls back (Rollback, ReleaseLockAfterRollback).
mkrel() { "$PY" -c 'import json,sys; r = json.load(open(sys.argv[1])); r["release_id"] = sys.argv[2]; json.dump(r, open(sys.argv[3], "w"))' \
	"$T/r-2.json" "$1" "$T/$1.json"; }
fault_fired() { control GET faults | "$PY" -c 'import json,sys
r = json.load(sys.stdin)["faults"]
print("yes" if r and all(x.get("fired", 0) >= 1 for x in r) else "no: %s" % json.dumps(r))'; }
NEW_SHA=$(b64sha256 "$T/c.zip")
NEW_DEF=$(canon_file "$T/r-2-def.json")
N=0
# fault_case NAME STEP rollback|release FAULTS-JSON [stderr text]
fault_case() {
	local name=$1 step=$2 how=$3 faults=$4 msg=${5-injected by test_deploy}
	local prev_sha prev_def rid
	N=$((N + 1)); rid=f-$N
	t "fault-$name"
	mkrel "$rid"
	prev_sha=$(state 'fn("acme-hello")["CodeSha256"]')
	prev_def=$(state 'canon(sm("acme-hello")["definition"])')
	expect_eq prev-lock-held "$(state 'has_lock()')" false
	if [ "$prev_sha" = "$NEW_SHA" ] || [ "$prev_def" = "$NEW_DEF" ]; then
		bad "the deployed state is already the release's"
	fi
	if [ -n "$faults" ]; then
		control POST faults "$faults" >/dev/null
	fi
	deploy "$rid" c
	expect_rc 1
	expect_err_has "Deploy.$step"
	[ -z "$msg" ] || expect_err_has "$msg"
	if [ "$how" = rollback ]; then
		expect_has "==> Rollback"
		expect_has "==> ReleaseLockAfterRollback"
	else
		expect_has "==> ReleaseLockOnError"
		case $OUT in *"==> UpdateLambda"*) bad "UpdateLambda ran" ;; *) ok ;; esac
	fi
	if [ -n "$faults" ]; then
		expect_eq fault-fired "$(fault_fired)" yes
		control DELETE faults >/dev/null
	fi
	expect_eq CodeSha256 "$(state 'fn("acme-hello")["CodeSha256"]')" "$prev_sha"
	expect_eq definition "$(state 'canon(sm("acme-hello")["definition"])')" "$prev_def"
	expect_eq lock-held "$(state 'has_lock()')" false
}
err() {	# err OP STATUS CODE [extra JSON members]
	printf '{"faults":[{"op":"%s","fault":"error","status":%s,"code":"%s","message":"injected by test_deploy"%s}]}' \
	    "$1" "$2" "$3" "${4:+,$4}"
}

# ValidateResources: the tag reads.
fault_case lambda-list-tags ValidateResources release \
	"$(err lambda:ListTags 403 AccessDeniedException)"
fault_case sfn-list-tags ValidateResources release \
	"$(err states:ListTagsForResource 400 ValidationException)"
# Upload: PutObject of lambda.zip.
fault_case put-lambda-zip Upload release \
	"$(err s3:PutObject 403 AccessDenied '"path":"/lambda.zip"')"
# Snapshot: GetFunction (a 500 on every one of the client's 5 attempts),
# DescribeStateMachine, the Code.Location download, PutObject of previous.zip.
fault_case get-function-500x5 Snapshot release \
	'{"faults":[{"op":"lambda:GetFunction","fault":"500","times":5}]}' "after 5 tries"
fault_case describe-state-machine Snapshot release \
	"$(err states:DescribeStateMachine 400 ValidationException '"nth":1')"
# The Code.Location download is a control-endpoint GET of the stand-in
# (no fault rules apply there): take the code file away, so it is a 404.
CUR_HEX=$(state 'fn("acme-hello")["CodeSha256"]' | "$PY" -c 'import base64,sys; print(base64.b64decode(sys.stdin.read().strip()).hex())')
CODE_FILE=$T/state/lambda/code/$CUR_HEX.zip
if [ -f "$CODE_FILE" ]; then
	mv "$CODE_FILE" "$CODE_FILE.aside"
	fault_case code-location-download Snapshot release "" "404"
	mv "$CODE_FILE.aside" "$CODE_FILE"
else
	t fault-code-location-download; bad "no $CODE_FILE"
fi
fault_case put-previous-zip Snapshot release \
	"$(err s3:PutObject 403 AccessDenied '"path":"/previous.zip"')"
# UpdateLambda: UpdateFunctionCode, and the first GetFunctionConfiguration
# (the poll: the update stays InProgress for --update-delay).
fault_case update-function-code UpdateLambda rollback \
	"$(err lambda:UpdateFunctionCode 400 InvalidParameterValueException '"times":1')"
fault_case poll-get-function-configuration UpdateLambda rollback \
	"$(err lambda:GetFunctionConfiguration 403 AccessDeniedException '"nth":1')"
# PublishVersion, UpdateStateMachine (a 403 this time).
fault_case publish-version PublishVersion rollback \
	"$(err lambda:PublishVersion 400 InvalidParameterValueException '"times":1')"
fault_case update-state-machine-403 UpdateStateMachine rollback \
	"$(err states:UpdateStateMachine 403 AccessDeniedException '"times":1')"
# Verify: its GetFunctionConfiguration (with no update delay, the poll in
# UpdateLambda makes exactly one call before it) and DescribeStateMachine
# (the second: the first is the Snapshot's).
control POST config '{"lambda_update_delay": 0}' >/dev/null
fault_case verify-get-function-configuration Verify rollback \
	"$(err lambda:GetFunctionConfiguration 403 AccessDeniedException '"nth":2')"
control POST config '{"lambda_update_delay": 0.3}' >/dev/null
fault_case verify-describe-state-machine Verify rollback \
	"$(err states:DescribeStateMachine 400 ValidationException '"nth":2')"

# ---------------------------------------------------------------- retried faults: still deployed
t deploy-retried-faults
mkrel ok-1
control POST faults '{"faults":[
 {"op":"s3:PutObject","path":"/lambda.zip","fault":"throttle","nth":1},
 {"op":"lambda:GetFunction","fault":"500","nth":1},
 {"op":"lambda:UpdateFunctionCode","fault":"throttle","nth":1},
 {"op":"lambda:PublishVersion","fault":"500","nth":1},
 {"op":"states:UpdateStateMachine","fault":"throttle","nth":1}]}' >/dev/null
deploy ok-1 c
expect_rc 0
expect_has "deploy ok-1: Deployed"
case $OUT in *"==> Rollback"*) bad "rolled back" ;; *) ok ;; esac
expect_err_has "try 2 of 5"
expect_eq fault-fired "$(fault_fired)" yes
control DELETE faults >/dev/null
expect_eq CodeSha256 "$(state 'fn("acme-hello")["CodeSha256"]')" "$NEW_SHA"
expect_eq definition "$(state 'canon(sm("acme-hello")["definition"])')" "$NEW_DEF"
expect_eq lock-held "$(state 'has_lock()')" false

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
