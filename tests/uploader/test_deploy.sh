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
NAME=test_deploy
source "$(dirname "$0")/lib.sh"

# The policy's "aws" settings: 3 tries a call (and lib.sh's short waits).
POLICY_EXTRA='{"aws": {"attempts": 3}}'
up_start --update-delay 0.3

# ---------------------------------------------------------------- clean deploy
t deploy-clean
deploy r-1 b
expect_rc 0
for s in Validate Lock ValidateResources Upload Snapshot UpdateLambda \
    PublishVersion UpdateStateMachine Verify Record ReleaseLock; do
	expect_has "==> $s"
done
expect_has "deploy r-1: Deployed"
expect_eq CodeSha256 "$(state 'fn("acme-hello")["CodeSha256"]')" "$(b64sha256 "$T/b.zip")"
expect_eq definition "$(state 'canon(sm("acme-hello")["definition"])')" "$(canon_file "$T/r-1-def.json")"
expect_eq lock-held "$(state 'has_lock()')" false
expect_eq journal-last "$(tail -n 1 "$T/j/r-1.journal" | "$PY" -c 'import json,sys; e=json.load(sys.stdin); print(e["step"], e["phase"], e["data"]["status"])')" "End done Deployed"
# Record: the release's result and the config's history.
expect_eq result "$(jget "$(s3get acme/hello/production/r-1/result.json)" 'v["status"]')" Deployed
expect_eq history "$(jget "$(s3get acme/hello/production/deployed.json)" '[h["release_id"] for h in v["history"]]')" '["r-1"]'

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
# does not retry (a 4xx it never retries, or a 500 on every try the
# policy allows), deploy c.zip + the r-2 definition under a fresh release id, and
# check the failure is reported at the right step and that the code,
# the definition read back from the stand-in are what they were, with no
# lock left. Failures at Lock take no lock (refused); then, before
# UpdateLambda, nothing has changed (ReleaseLockOnError); from UpdateLambda
# on the flow rolls back (Rollback, ReleaseLockAfterRollback).
fault_fired() { control GET faults | "$PY" -c 'import json,sys
r = json.load(sys.stdin)["faults"]
print("yes" if r and all(x.get("fired", 0) >= 1 for x in r) else "no: %s" % json.dumps(r))'; }
NEW_SHA=$(b64sha256 "$T/c.zip")
NEW_DEF=$(canon_file "$T/r-2-def.json")
N=0
# fault_case NAME STEP refused|release|rollback FAULTS-JSON [stderr text]
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
	elif [ "$how" = refused ]; then
		expect_lacks "==> ValidateResources"
		expect_lacks "==> ReleaseLock"
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

# Lock: the freeze marker's read, the lock's PUT, the release's claim.
fault_case freeze-read Lock refused \
	"$(err s3:GetObject 403 AccessDenied '"path":"/freeze","nth":1')"
fault_case lock-put Lock refused \
	"$(err s3:PutObject 403 AccessDenied '"path":"/lock","nth":1')"
fault_case claim-release Lock refused \
	"$(err s3:PutObject 403 AccessDenied '"path":"/release.json"')"
# ValidateResources: the tag reads.
fault_case lambda-list-tags ValidateResources release \
	"$(err lambda:ListTags 403 AccessDeniedException)"
fault_case sfn-list-tags ValidateResources release \
	"$(err states:ListTagsForResource 400 ValidationException)"
# Upload: PutObject of lambda.zip.
fault_case put-lambda-zip Upload release \
	"$(err s3:PutObject 403 AccessDenied '"path":"/lambda.zip"')"
# Snapshot: GetFunction (a 500 on every one of the 3 tries the policy allows),
# DescribeStateMachine, the Code.Location download, PutObject of previous.zip.
fault_case get-function-500x3 Snapshot release \
	'{"faults":[{"op":"lambda:GetFunction","fault":"500","times":3}]}' "after 3 tries"
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
# UpdateLambda makes exactly one call before it; Verify reads the published
# version) and DescribeStateMachine
# (below).
control POST config '{"lambda_update_delay": 0}' >/dev/null
fault_case verify-get-function-configuration Verify rollback \
	"$(err lambda:GetFunctionConfiguration 403 AccessDeniedException '"nth":2')"
control POST config '{"lambda_update_delay": 0.3}' >/dev/null
# UpdateStateMachine first checks the state machine is unchanged since
# the snapshot (the second DescribeStateMachine); Verify's is the third.
fault_case guard-describe-state-machine UpdateStateMachine rollback \
	"$(err states:DescribeStateMachine 400 ValidationException '"nth":2')"
fault_case verify-describe-state-machine Verify rollback \
	"$(err states:DescribeStateMachine 400 ValidationException '"nth":3')"

# UpdateStateMachine and Record renew the lease too (the lock's third and
# fourth PutObject).
fault_case renew-lock-2 UpdateStateMachine rollback \
	"$(err s3:PutObject 412 PreconditionFailed '"path":"/lock","nth":3')" "renewed"
fault_case renew-lock-3 Record rollback \
	"$(err s3:PutObject 412 PreconditionFailed '"path":"/lock","nth":4')" "renewed"
# Record: its read of deployed.json and its PutObjects (a failure there
# rolls the verified release back).
fault_case record-read-history Record rollback \
	"$(err s3:GetObject 403 AccessDenied '"path":"/deployed.json"')"
fault_case record-result Record rollback \
	"$(err s3:PutObject 403 AccessDenied '"path":"/result.json"')"
fault_case record-history Record rollback \
	"$(err s3:PutObject 403 AccessDenied '"path":"/deployed.json"')"
# The lease renewed before UpdateLambda (the second PutObject of the lock):
# a holder that lost its lock changes nothing.
fault_case renew-lock UpdateLambda rollback \
	"$(err s3:PutObject 412 PreconditionFailed '"path":"/lock","nth":2')" "renewed"

# ReleaseLock: the release is in place and verified; a lock that cannot be
# deleted is left to its lease, with a warning (and `stepdeploy unlock`).
t fault-release-lock
mkrel f-lock
control POST faults "$(err s3:DeleteObject 403 AccessDenied '"path":"/lock"')" >/dev/null
deploy f-lock c
control DELETE faults >/dev/null
expect_rc 0
expect_has "deploy f-lock: Deployed"
expect_err_has "its lock could not be released"
expect_eq CodeSha256 "$(state 'fn("acme-hello")["CodeSha256"]')" "$NEW_SHA"
expect_eq definition "$(state 'canon(sm("acme-hello")["definition"])')" "$NEW_DEF"
expect_eq lock-held "$(state 'has_lock()')" true
run "$SD" unlock acme/hello production --force --reason "test_deploy: left by f-lock" \
	--policy "$T/policy.json" --signer "$SOCK"
expect_rc 0
expect_eq lock-held "$(state 'has_lock()')" false
# (back to a state that is not c/r-2 for the next cases)
mkrel f-back r-1
deploy f-back b
expect_rc 0

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
expect_err_has "try 2 of 3"
expect_eq fault-fired "$(fault_fired)" yes
control DELETE faults >/dev/null
expect_eq CodeSha256 "$(state 'fn("acme-hello")["CodeSha256"]')" "$NEW_SHA"
expect_eq definition "$(state 'canon(sm("acme-hello")["definition"])')" "$NEW_DEF"
expect_eq lock-held "$(state 'has_lock()')" false

up_end
