#!/usr/bin/env bash
# tests/uploader/test_ops.sh: the operator's commands of `stepdeploy`
# (cli/cmd_ops.c freeze / unfreeze / unlock, cli/cmd_plan.c plan,
# cli/cmd_bootstrap.c bootstrap) against the local AWS stand-in, signed by
# the real signer daemon (build/stepdeploy-signer).
#
#   bash tests/uploader/test_ops.sh	(STEPDEPLOY, SIGNER override)
#
# Checked, by reading the stand-in's state back: a freeze makes a deploy
# fail at its Lock step naming who froze it and why, a second freeze is
# refused naming the first, unfreeze lets the deploy through; unlock wants
# --force and --reason, removes a planted stale lock only by its ETag and
# writes the audit record, and exits 1 when there is no lock; plan sends
# only reads, shows the code hash old -> new and a definition diff, and
# exits 1 for a replayed release id, a frozen config, a held lock, a wrong
# zip; bootstrap updates the code and the definition (qualified with the
# version it published) without writing to S3, and refuses with nothing
# changed when the function or the state machine is missing or the zip is
# too large to send inline. The last line is "N passed, M failed".
set -euo pipefail
NAME=test_ops
source "$(dirname "$0")/lib.sh"

# The policy also names a function and a state machine that do not exist.
FN_GONE=arn:aws:lambda:us-east-1:$ACCT:function:acme-gone
SM_GONE=arn:aws:states:us-east-1:$ACCT:stateMachine:acme-gone
POLICY_EXTRA="{\"projects\": {\"acme/hello\": {\"lambda_arns\": [\"$FN\", \"$FN_GONE\"],
	\"state_machine_arns\": [\"$SM\", \"$SM_GONE\"]}}}"
up_start --update-delay 0.3
P=acme/hello
C=production
WHO="$(id -un)@$(hostname)"
mkzip d
# Over the 2 MiB of an inline zip: incompressible, stored.
"$PY" - "$T" <<'EOF'
import os, sys, zipfile
with zipfile.ZipFile(os.path.join(sys.argv[1], "big.zip"), "w", zipfile.ZIP_STORED) as z:
    z.writestr("bootstrap", "#!/bin/sh\necho big\n")
    z.writestr("blob", os.urandom(3 << 20))
EOF
# r-1 (b.zip) is lib.sh's; r-2 (c.zip) and boot-1 (d.zip) run the function.
task() { printf '{"StartAt": "%s", "States": {"%s": {"Type": "Task", "Resource": "%s", "End": true}}}' "$1" "$1" "$FN"; }
mkrel r-2 r-2 state_machine="$(task Bye)"
mkrel boot-1 r-2 zip=d state_machine="$(task Boot)"
mkrel bad-sha r-2 zip=b		# its zip will be c
mkrel gone-fn boot-1 lambda_name=acme-gone
mkrel gone-sm boot-1 step_fn_name=acme-gone
mkrel big-1 boot-1 zip=big

AWSOPT=(--policy "$T/policy.json" --signer "$SOCK")
plan() { run "$SD" plan --release "$T/$1.json" --zip "$T/$2.zip" "${AWSOPT[@]}" "${@:3}"; }
bootstrap() { run "$SD" bootstrap --release "$T/$1.json" --zip "$T/$2.zip" "${AWSOPT[@]}"; }
# stderr is one line: "stepdeploy CMD: ..." (warnings aside)
expect_err_line() {
	case $ERR in "stepdeploy $1: "*) ok ;; *) bad "stderr does not start 'stepdeploy $1: '" ;; esac
}
# What a read-only command must leave as it was.
summary() {
	state 'json.dumps({"objects": objs(), "code": fn("acme-hello")["CodeSha256"],
	    "rev": fn("acme-hello")["RevisionId"], "versions": fn("acme-hello")["Versions"],
	    "def": sm("acme-hello")["definition"], "smrev": sm("acme-hello")["revisionId"]}, sort_keys=True)'
}
# expect_read_only SEQ BEFORE: a read-only command left summary() as it
# was (BEFORE) and made no call but reads since call SEQ.
expect_read_only() {
	expect_eq state-unchanged "$(summary)" "$2"
	expect_eq only-reads "$(calls "$1" 'sorted({x["op"] for x in c} - {"GetObject", "HeadObject",
	    "GetFunction", "GetFunctionConfiguration", "ListTags", "DescribeStateMachine", "ListTagsForResource"})')" "[]"
}
A_SHA=$(b64sha256 "$T/a.zip")
B_SHA=$(b64sha256 "$T/b.zip")
C_SHA=$(b64sha256 "$T/c.zip")
D_SHA=$(b64sha256 "$T/d.zip")

# ---------------------------------------------------------------- usage
for cmd in freeze unfreeze unlock plan bootstrap; do
	t "help-$cmd"
	run "$SD" "$cmd" --help
	expect_rc 0
	expect_has "usage: stepdeploy $cmd"
done
t usage-freeze-no-reason
run "$SD" freeze "$P" "$C" "${AWSOPT[@]}"
expect_rc 2
expect_err_line freeze
expect_err_has "--reason"
t usage-unlock-no-force
run "$SD" unlock "$P" "$C" --reason "stuck" "${AWSOPT[@]}"
expect_rc 2
expect_err_line unlock
expect_err_has "--force is required"
t usage-unlock-no-reason
run "$SD" unlock "$P" "$C" --force "${AWSOPT[@]}"
expect_rc 2
expect_err_has "--reason TEXT is required"
t usage-unlock-no-config
run "$SD" unlock "$P" --force --reason x "${AWSOPT[@]}"
expect_rc 2
expect_err_has "PROJECT and CONFIG are required"
t usage-unknown-option
run "$SD" freeze "$P" "$C" --reason x --bogus "${AWSOPT[@]}"
expect_rc 2
expect_err_line freeze
expect_err_has "--bogus"
t usage-unknown-project
run "$SD" freeze acme/nope "$C" --reason x "${AWSOPT[@]}"
expect_rc 2
expect_err_has "project acme/nope is not in the policy"
t usage-unknown-config
run "$SD" freeze "$P" staging --reason x "${AWSOPT[@]}"
expect_rc 2
expect_err_has "staging is not one of project acme/hello's configs"
t usage-reason-not-printable
run "$SD" freeze "$P" "$C" --reason $'two\nlines' "${AWSOPT[@]}"
expect_rc 2
expect_err_has "printable"
t usage-plan-no-zip
run "$SD" plan --release "$T/r-1.json" "${AWSOPT[@]}"
expect_rc 2
expect_err_line plan
t usage-plan-missing-release
run "$SD" plan --release "$T/nope.json" --zip "$T/b.zip" "${AWSOPT[@]}"
expect_rc 2
expect_err_line plan
expect_err_has "nope.json"
t usage-bootstrap-no-args
run "$SD" bootstrap
expect_rc 2
expect_err_line bootstrap

# ---------------------------------------------------------------- unlock: nothing locked
t unlock-not-locked
run "$SD" unlock "$P" "$C" --force --reason "nothing there" "${AWSOPT[@]}"
expect_rc 1
expect_err_line unlock
expect_err_has "is not locked"
expect_eq audit-written "$(state 'has("/unlock-") or any("/audit/" in k for k in keys())')" false

# ---------------------------------------------------------------- freeze
t freeze
run "$SD" freeze "$P" "$C" --reason "incident 42: payments down" "${AWSOPT[@]}"
expect_rc 0
expect_has "froze acme/hello production: by $WHO"
expect_has "incident 42: payments down"
expect_eq freeze-object "$(state 'has("acme/hello/production/freeze")')" true
FREEZE=$(s3get "$P/$C/freeze" || true)
expect_eq freeze-by "$(jget "$FREEZE" 'v["by"]')" "$WHO"
expect_eq freeze-reason "$(jget "$FREEZE" 'v["reason"]')" "incident 42: payments down"

t freeze-twice-refused
run "$SD" freeze "$P" "$C" --reason "second" "${AWSOPT[@]}"
expect_rc 1
expect_err_line freeze
expect_err_has "already frozen"
expect_err_has "frozen by $WHO since"
expect_err_has "incident 42: payments down"

t deploy-frozen-refused
deploy r-1 b
expect_rc 1
expect_err_has "Deploy.Lock"
expect_err_has "frozen by $WHO"
expect_err_has "incident 42: payments down"
expect_eq CodeSha256 "$(state 'fn("acme-hello")["CodeSha256"]')" "$A_SHA"
expect_no_lock
expect_eq release-claimed "$(state 'has("/r-1/release.json")')" false

t plan-frozen
plan r-1 b
expect_rc 1
expect_has "FROZEN by $WHO"
expect_has "would be refused"
expect_err_line plan
expect_err_has "incident 42: payments down"

t bootstrap-frozen
bootstrap boot-1 d
expect_rc 1
expect_err_has "is frozen by $WHO"
expect_eq CodeSha256 "$(state 'fn("acme-hello")["CodeSha256"]')" "$A_SHA"

t unfreeze
run "$SD" unfreeze "$P" "$C" "${AWSOPT[@]}"
expect_rc 0
expect_has "unfroze acme/hello production (frozen by $WHO since"
expect_has "incident 42: payments down"
expect_eq freeze-object "$(state 'has("/freeze")')" false
t unfreeze-not-frozen
run "$SD" unfreeze "$P" "$C" "${AWSOPT[@]}"
expect_rc 0
expect_has "is not frozen"

# ---------------------------------------------------------------- plan, then the deploy
t plan-first-release
SEQ=$(last_seq)
BEFORE=$(summary)
plan r-1 b
expect_rc 0
expect_has "CodeSha256    $A_SHA -> $B_SHA"
expect_has "lock            free"
expect_has "release id      not used before"
expect_has "@@ "
expect_has '-  "StartAt": "Hello",'
expect_has '+  "StartAt": "Hi",'
expect_has "plan: a deploy of r-1 would proceed"
expect_read_only "$SEQ" "$BEFORE"
expect_eq some-reads "$(calls "$SEQ" 'len(c) >= 7')" true

t deploy-after-unfreeze
deploy r-1 b
expect_rc 0
expect_has "deploy r-1: Deployed"
expect_eq CodeSha256 "$(state 'fn("acme-hello")["CodeSha256"]')" "$B_SHA"

t plan-replayed-release
plan r-1 b
expect_rc 1
expect_has "release id      USED BEFORE"
expect_has "release id r-1 was used before"
expect_err_has "would be refused"

t plan-changes
SEQ=$(last_seq)
BEFORE=$(summary)
plan r-2 c
expect_rc 0
expect_has "CodeSha256    $B_SHA -> $C_SHA"
expect_has "definition    changes"
expect_has "--- deployed definition ($SM)"
expect_has '-    "Hi": {'
expect_has '+    "Bye": {'
expect_has "+      \"Resource\": \"$FN:<next version>\","
expect_has "tags            ok"
expect_read_only "$SEQ" "$BEFORE"
expect_eq only-read-methods "$(calls "$SEQ" 'sorted({x["method"] for x in c if x["service"] != "states"})')" '["GET", "HEAD"]'

t plan-json
plan r-2 c --json
expect_rc 0
expect_eq json "$("$PY" -c 'import json,sys
p = json.loads(sys.argv[1])
print(p["proceed"], p["refusals"], p["lambda"]["code_sha256"]["new"] == sys.argv[2],
      p["state_machine"]["changes"], "<next version>" in p["state_machine"]["diff"],
      p["lock"]["state"], p["freeze"]["frozen"], p["release_id_used"], p["tags"]["ok"])' "$OUT" "$C_SHA")" \
	"True [] True True True free False False True"

t plan-wrong-zip
plan bad-sha c
expect_rc 1
expect_has "is not the release's lambda_sha256"
expect_has "DOES NOT match"

t plan-missing-function
plan gone-fn d
expect_rc 1
expect_has "Lambda function $FN_GONE does not exist"

# ---------------------------------------------------------------- a held lock, a stale lock
t plan-lock-held
lockbody r-live ci-7:4242:beef 0 600 >"$T/live.lock"
expect_eq plant-lock "$(s3req PUT "$P/$C/lock" "$T/live.lock")" 200
plan r-2 c
expect_rc 1
expect_has "lock            HELD: by ci-7:4242:beef for release r-live"
expect_has "the lock is held by ci-7:4242:beef for release r-live until"

t unlock-lock-changed-meanwhile
# The delete's If-Match fails (as when the lock is taken over between the
# read and the delete): nothing is removed, nothing recorded.
control POST faults '{"faults":[{"op":"s3:DeleteObject","fault":"error","status":412,"code":"PreconditionFailed","message":"injected by test_ops","times":1}]}' >/dev/null
run "$SD" unlock "$P" "$C" --force --reason "testing" "${AWSOPT[@]}"
expect_rc 1
expect_err_has "changed since it was read"
expect_err_has "nothing was removed"
control DELETE faults >/dev/null
expect_eq lock-held "$(state 'has_lock()')" true
expect_eq audit-written "$(state 'any("/audit/" in k for k in keys())')" false

t plan-lock-expired
lockbody r-stuck ci-3:999:dead -7200 -3600 >"$T/stale.lock"
expect_eq plant-lock "$(s3req PUT "$P/$C/lock" "$T/stale.lock")" 200
STALE_ETAG=$(state "objs()['$P/$C/lock']['etag']")
plan r-2 c
expect_rc 0
expect_has "lock            expired: by ci-3:999:dead for release r-stuck"

t unlock-stale
SEQ=$(last_seq)
run "$SD" unlock "$P" "$C" --force --reason "deployer crashed on ci-3" "${AWSOPT[@]}"
expect_rc 0
expect_has "release r-stuck, holder ci-3:999:dead"
expect_has "(expired)"
expect_has "removed s3://$B/$P/$C/lock"
expect_has "unlocked by $WHO"
expect_no_lock
expect_eq delete-if-match "$(calls "$SEQ" 'st("DeleteObject")')" "[204]"
AUDIT_KEY=$(state '"\n".join(k for k in keys() if "/audit/" in k)')
case $AUDIT_KEY in
acme/hello/production/audit/unlock-[0-9]*T[0-9]*Z-*.json) ok ;;
*) bad "audit key '$AUDIT_KEY'" ;;
esac
expect_eq audit-key-format "$("$PY" -c 'import re,sys; print(bool(re.fullmatch(r"acme/hello/production/audit/unlock-\d{8}T\d{6}Z-[0-9a-f]{16}\.json", sys.argv[1])))' "$AUDIT_KEY")" True
AUDIT=$(s3get "$AUDIT_KEY" || true)
expect_eq audit-record "$("$PY" -c 'import json,sys
a = json.loads(sys.argv[1])
l = a["lock"]
print(a["action"], a["by"], a["reason"], "T" in a["at"], l["release_id"], l["holder"], l["etag"],
      l["expires_at"] < a["at"], l["acquired_at"] < l["expires_at"])' "$AUDIT")" \
	"unlock $WHO deployer crashed on ci-3 True r-stuck ci-3:999:dead $STALE_ETAG True True"

t unlock-again-not-locked
run "$SD" unlock "$P" "$C" --force --reason "again" "${AWSOPT[@]}"
expect_rc 1
expect_err_has "is not locked"

# ---------------------------------------------------------------- bootstrap
t bootstrap
BEFORE_OBJECTS=$(state 'keys()')
bootstrap boot-1 d
expect_rc 0
for s in Validate CheckResources UpdateFunctionCode PublishVersion UpdateStateMachine Verify; do
	expect_has "==> $s"
done
expect_has "CodeSha256 $B_SHA -> $D_SHA"
VERSION=$(printf '%s\n' "$OUT" | sed -n 's/^bootstrap boot-1: done (Lambda version \(.*\))$/\1/p')
[ -n "$VERSION" ] && ok || bad "no version in the output"
expect_eq CodeSha256 "$(state 'fn("acme-hello")["CodeSha256"]')" "$D_SHA"
expect_eq version-code "$(state 'fn("acme-hello")["Versions"].get("'"$VERSION"'")')" "$D_SHA"
expect_eq definition "$(state 'canon(sm("acme-hello")["definition"])')" \
	"$("$PY" -c 'import json,sys; d = json.load(open(sys.argv[1]))["state_machine"]; d["States"]["Boot"]["Resource"] += ":" + sys.argv[2]; print(json.dumps(d, sort_keys=True))' "$T/boot-1.json" "$VERSION")"
expect_eq no-s3-writes "$(state 'keys()')" "$BEFORE_OBJECTS"
expect_no_lock

missing_case() {	# missing_case NAME RELEASE MESSAGE
	t "$1"
	local seq before
	seq=$(last_seq)
	before=$(summary)
	bootstrap "$2" d
	expect_rc 1
	expect_err_line bootstrap
	expect_err_has "$3 does not exist; bootstrap never creates resources: create it first"
	case $OUT in *"==> UpdateFunctionCode"*) bad "it went on to update" ;; *) ok ;; esac
	expect_read_only "$seq" "$before"
}
missing_case bootstrap-missing-function gone-fn "Lambda function $FN_GONE"
missing_case bootstrap-missing-state-machine gone-sm "state machine $SM_GONE"

t bootstrap-zip-too-large
SEQ=$(last_seq)
bootstrap big-1 big
expect_rc 1
expect_err_has "bootstrap sends the code inline"
expect_eq no-calls "$(calls "$SEQ" 'len(c)')" 0
expect_eq CodeSha256 "$(state 'fn("acme-hello")["CodeSha256"]')" "$D_SHA"

t bootstrap-wrong-zip
bootstrap bad-sha c
expect_rc 1
expect_err_has "is not the release's lambda_sha256"

# ---------------------------------------------------------------- a diff too large to compute
# Two chains of 1500 states with no line in common past the first: the
# LCS table would need far more than its 4 Mi cells, so the plan says the
# definitions differ instead (and still says a deploy would proceed).
t plan-diff-too-large
"$PY" - "$T" <<'EOF2'
import json, os, sys, hashlib, datetime
t = sys.argv[1]
def chain(prefix, n):
    st = {"%s%d" % (prefix, i): {"Type": "Pass", "Next": "%s%d" % (prefix, i + 1)} for i in range(n - 1)}
    st["%s%d" % (prefix, n - 1)] = {"Type": "Pass", "Result": prefix, "End": True}
    return {"StartAt": prefix + "0", "States": st}
tags = {"ProjectName": "acme/hello", "ConfigName": "production", "DeployWith": "stepdeploy"}
json.dump({"state_machines": [{"name": "acme-hello", "definition": chain("T", 1500), "tags": tags}]},
          open(os.path.join(t, "seed-big.json"), "w"))
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
json.dump({"release_id": "big-def", "project_name": "acme/hello", "config_name": "production",
           "aws_account_id": "000000000000", "aws_region": "us-east-1", "lambda_name": "acme-hello",
           "step_fn_name": "acme-hello", "created_at": now,
           "lambda_sha256": hashlib.sha256(open(os.path.join(t, "d.zip"), "rb").read()).hexdigest(),
           "state_machine": chain("S", 1500)}, open(os.path.join(t, "big-def.json"), "w"))
EOF2
control POST seed "@$T/seed-big.json" >/dev/null
plan big-def d
expect_rc 0
expect_has "the definitions differ (too large to diff line by line)"
expect_lacks "@@ "
expect_has "plan: a deploy of big-def would proceed"

up_end
