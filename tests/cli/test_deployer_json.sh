#!/usr/bin/env bash
# tests/cli/test_deployer_json.sh: `stepdeploy deployer-json` prints the
# deployer's own state machine (uploader/sd_deploy.h); our validator
# accepts it, and libstep runs it end to end with every Task answered by
# the mocks in tests/data/deploy/: the success path, a failure before any
# change (no rollback), a failure at UpdateStateMachine that must take the
# Rollback path and re-raise the original error, and a failed rollback.
#
#   STEPDEPLOY=build/asan/stepdeploy bash tests/cli/test_deployer_json.sh
set -euo pipefail

. "$(dirname "$0")/lib.sh"
# ---------------------------------------------------------------- tests
MOCKS=$ROOT/tests/data/deploy
HEAD='"Validate","Lock","ValidateResources","Upload","Snapshot"'
CHANGES='"UpdateLambda","PublishVersion","UpdateStateMachine"'

t "deployer-json prints one JSON definition"
run deployer-json
if [ "$RC" = 0 ]; then ok; else bad "exit status $RC, want 0"; fi
if [ -z "$ERR" ]; then ok; else bad "stderr should be empty"; fi
cp "$T/out" "$T/deployer.json"
expect_py "not a definition starting at Validate" \
    'r["StartAt"] == "Validate" and r["States"]["DeployFailed"]["Type"] == "Fail"'
expect_py "a Task after the first change lacks a Catch into Rollback" \
    'all(r["States"][s]["Catch"][0]["Next"] == "Rollback" and
         r["States"][s]["Catch"][0]["ErrorEquals"] == ["States.ALL"]
         for s in ["UpdateLambda", "PublishVersion", "UpdateStateMachine", "Verify",
                   "Record"])'
expect_py "DeployFailed does not re-raise the caught error" \
    '(r["States"]["DeployFailed"].get("ErrorPath") == "$.Error.Error" and
      r["States"]["DeployFailed"].get("CausePath") == "$.Error.Cause")'

t "deployer-json --help"
run deployer-json --help
if [ "$RC" = 0 ]; then ok; else bad "exit status $RC, want 0"; fi
case $OUT in usage:*) ok ;; *) bad "no usage on stdout" ;; esac

t "deployer-json with an argument is bad usage"
run deployer-json extra
expect_usage extra

t "listed in stepdeploy --help"
run --help
case $OUT in *deployer-json*) ok ;; *) bad "deployer-json not listed" ;; esac

t "our validator accepts it"
run validate "$T/deployer.json"
if [ "$RC" = 0 ]; then ok; else bad "exit status $RC, want 0"; fi

t "our validator accepts it through a pipe: validate <(deployer-json)"
CMD="stepdeploy validate <(stepdeploy deployer-json)"
RC=0
"$STEPDEPLOY" validate <("$STEPDEPLOY" deployer-json) >"$T/out" 2>"$T/err" || RC=$?
OUT=$(cat "$T/out") ERR=$(cat "$T/err")
if [ "$RC" = 0 ]; then ok; else bad "exit status $RC, want 0"; fi

t "deployer-json --recovery: the recovery's machine, accepted by our validator"
run deployer-json --recovery
if [ "$RC" = 0 ]; then ok; else bad "exit status $RC, want 0"; fi
cp "$T/out" "$T/recovery.json"
expect_py "not the recovery machine" \
    '(r["StartAt"] == "Recover" and r["States"]["Decide"]["Type"] == "Choice" and
      r["States"]["Verify"]["Catch"][0]["Next"] == "Rollback")'
run validate "$T/recovery.json"
if [ "$RC" = 0 ]; then ok; else bad "exit status $RC, want 0"; fi

t "recovery with mocks: an interrupted release that verifies is completed"
printf '%s' '{"Recover":{"result":{"action":"complete","interruptedAt":"UpdateStateMachine","lockHeld":true}},
 "Verify":{"result":{}},"Record":{"result":{}},"ReleaseLock":{"result":{}}}' >"$T/rec-ok.json"
run exec "$T/recovery.json" --mocks "$T/rec-ok.json" --path
expect_status SUCCEEDED
expect_json path '["Recover","Decide","Verify","Record","ReleaseLock","Completed"]'

t "recovery with mocks: one that does not verify is rolled back"
printf '%s' '{"Recover":{"result":{"action":"complete","interruptedAt":"UpdateStateMachine","lockHeld":true}},
 "Verify":{"error":"Deploy.Verify","cause":"not the release"},"Rollback":{"result":{}},
 "ReleaseLockAfterRollback":{"result":{}}}' >"$T/rec-rb.json"
run exec "$T/recovery.json" --mocks "$T/rec-rb.json" --path
expect_status SUCCEEDED
expect_json path '["Recover","Decide","Verify","Rollback","ReleaseLockAfterRollback","RolledBack"]'

t "validate --json: result OK"
run validate "$T/deployer.json" --json
expect_json result '"OK"'

t "success: every step once, in order"
run exec "$T/deployer.json" --mocks "$MOCKS/success.json" --input '{"release":"r1"}' --path
expect_status SUCCEEDED
expect_json path "[$HEAD,$CHANGES,\"Verify\",\"Record\",\"ReleaseLock\",\"Deployed\"]"
expect_py "a step's result is not kept" \
    '(r["output"]["release"] == "r1" and r["output"]["Snapshot"]["RevisionId"] == "rev-1" and
      r["output"]["Version"] == {"Version": "2"} and r["output"]["ReleaseLock"] == {"released": True})'
expect_py "Rollback ran on success" '"Rollback" not in r["path"]'

t "a lock that cannot be released after a verified deploy: still deployed"
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); m["ReleaseLock"]={"error":"Deploy.ReleaseLock","cause":"403"}; json.dump(m,open(sys.argv[2],"w"))' \
    "$MOCKS/success.json" "$T/lockleft.json"
run exec "$T/deployer.json" --mocks "$T/lockleft.json" --path
if [ "$RC" = 0 ]; then ok; else bad "exit status $RC, want 0"; fi
expect_status SUCCEEDED
expect_json path "[$HEAD,$CHANGES,\"Verify\",\"Record\",\"ReleaseLock\",\"DeployedLockLeft\"]"

t "failure at UpdateStateMachine: Rollback, release, the original error"
run exec "$T/deployer.json" --mocks "$MOCKS/fail_update_state_machine.json" --path
expect_status FAILED
expect_json error '"StateMachineDeletingException"'
expect_json cause '"the state machine is being deleted"'
expect_json path "[$HEAD,$CHANGES,\"Rollback\",\"ReleaseLockAfterRollback\",\"RaiseError\",\"DeployFailed\"]"

t "failure at UpdateStateMachine, history: the Task failed, then Rollback ran"
run exec "$T/deployer.json" --mocks "$MOCKS/fail_update_state_machine.json" --history
expect_status FAILED
expect_types_has "ExecutionStarted LambdaFunctionFailed TaskStateExited TaskStateEntered LambdaFunctionSucceeded ChoiceStateEntered FailStateEntered ExecutionFailed"
expect_py "ExecutionFailed does not carry the original error" \
    'hist[-1]["executionFailedEventDetails"]["error"] == "StateMachineDeletingException"'

t "failure at Upload: no rollback, the lock is released, the original error"
run exec "$T/deployer.json" --mocks "$MOCKS/fail_upload.json" --path
expect_status FAILED
expect_json error '"S3.AccessDenied"'
expect_json cause '"PutObject denied on proj/cfg/r1/lambda.zip"'
expect_json path '["Validate","Lock","ValidateResources","Upload","ReleaseLockOnError","RaiseError","DeployFailed"]'

t "failure at Lock: nothing to release"
run exec "$T/deployer.json" --mocks "$MOCKS/fail_lock.json" --path
expect_status FAILED
expect_json error '"Lock.Held"'
expect_json path '["Validate","Lock"]'

t "a failure without a cause is re-raised without one"
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); m["Verify"]={"error":"Deploy.VerifyFailed"}; json.dump(m,open(sys.argv[2],"w"))' \
    "$MOCKS/success.json" "$T/nocause.json" 2>/dev/null ||
    sed 's/"Verify": {[^}]*}/"Verify": {"error": "Deploy.VerifyFailed"}/' "$MOCKS/success.json" >"$T/nocause.json"
run exec "$T/deployer.json" --mocks "$T/nocause.json" --path
expect_status FAILED
expect_json error '"Deploy.VerifyFailed"'
expect_absent cause
expect_json path "[$HEAD,$CHANGES,\"Verify\",\"Rollback\",\"ReleaseLockAfterRollback\",\"RaiseError\",\"DeployFailedNoCause\"]"

t "a failed rollback: Deploy.RollbackFailed, the lock stays held"
run exec "$T/deployer.json" --mocks "$MOCKS/fail_rollback.json" --path
expect_status FAILED
expect_json error '"Deploy.RollbackFailed"'
expect_json cause '"the function is being updated"'
expect_json path "[$HEAD,$CHANGES,\"Verify\",\"Rollback\",\"RollbackFailed\",\"RollbackFailedWithCause\"]"

finish
