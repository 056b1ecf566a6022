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
	echo "SKIP: test_ops: the stand-in needs python3-botocore (make deps)"
	echo "0 passed, 0 failed"
	exit 0
fi
command -v curl >/dev/null || { echo "$0: curl is missing (make deps)" >&2; exit 1; }

T=$(mktemp -d /tmp/sdops.XXXXXX)
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
expect_lacks() { case $OUT in *"$1"*) bad "stdout has '$1'" ;; *) ok ;; esac; }
expect_err_has() { case $ERR in *"$1"*) ok ;; *) bad "stderr lacks '$1'" ;; esac; }
# stderr is one line: "stepdeploy CMD: ..." (warnings aside)
expect_err_line() {
	case $ERR in "stepdeploy $1: "*) ok ;; *) bad "stderr does not start 'stepdeploy $1: '" ;; esac
}
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
def objects():
    return sorted(k for b in r["s3"].values() for k in b["objects"])
def has(suffix):
    return any(k.endswith(suffix) for k in objects())
def summary():
    f, s = fn("acme-hello"), sm("acme-hello")
    return json.dumps({"objects": {k: v for b in r["s3"].values() for k, v in b["objects"].items()},
        "code": f["CodeSha256"], "rev": f["RevisionId"], "versions": f["Versions"],
        "def": s["definition"], "smrev": s["revisionId"]}, sort_keys=True)
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))' "$1"
}
# The call log since SEQ: calls_since SEQ EXPR (c = the list of calls).
last_seq() { control GET calls | "$PY" -c 'import json,sys; c = json.load(sys.stdin)["calls"]; print(c[-1]["seq"] if c else 0)'; }
calls_since() {
	control GET "calls?since=$1" | "$PY" -c 'import json,sys
c = json.load(sys.stdin)["calls"]
READ = {"GetObject", "HeadObject", "GetFunction", "GetFunctionConfiguration",
        "ListTags", "DescribeStateMachine", "ListTagsForResource"}
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))' "$2"
}
b64sha256() { "$PY" -c 'import hashlib,base64,sys; print(base64.b64encode(hashlib.sha256(open(sys.argv[1],"rb").read()).digest()).decode())' "$1"; }
# A signed S3 request straight to the stand-in (not through our signer):
# s3 METHOD KEY [FILE]; prints the body then "HTTP <code>" on its own line.
EMPTY_SHA=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
s3() {
	local m=$1 key=$2 f=${3-} sha=$EMPTY_SHA
	local args=(-sS --max-time 30 --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" -w '\nHTTP %{http_code}\n' -X "$m")
	if [ -n "$f" ]; then
		sha=$(sha256sum "$f" | cut -d' ' -f1)
		args+=(--data-binary "@$f" -H 'Content-Type: application/json')
	fi
	curl "${args[@]}" -H "x-amz-content-sha256: $sha" "http://127.0.0.1:$P_S3/$B/$key"
}

# ---------------------------------------------------------------- fixtures
AK=AKIDSTANDINTEST
SK='standin/test+secret'
ACCT=000000000000
FN=arn:aws:lambda:us-east-1:$ACCT:function:acme-hello
SM=arn:aws:states:us-east-1:$ACCT:stateMachine:acme-hello
FN_GONE=arn:aws:lambda:us-east-1:$ACCT:function:acme-gone
SM_GONE=arn:aws:states:us-east-1:$ACCT:stateMachine:acme-gone
B=acme-stepdeploy
P=acme/hello
C=production
WHO="$(id -un)@$(hostname)"
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$AK" "$SK" >"$T/creds"
chmod 600 "$T/creds"
mkdir -p "$T/j"
"$PY" - "$T" "$FN" <<'EOF'
import os, sys, zipfile, json, hashlib, datetime
t, fn = sys.argv[1], sys.argv[2]
for name in "abcd":
    with zipfile.ZipFile(os.path.join(t, name + ".zip"), "w") as z:
        z.writestr("bootstrap", "#!/bin/sh\necho %s\n" % name)
# Over the 2 MiB of an inline zip: incompressible, stored.
with zipfile.ZipFile(os.path.join(t, "big.zip"), "w", zipfile.ZIP_STORED) as z:
    z.writestr("bootstrap", "#!/bin/sh\necho big\n")
    z.writestr("blob", os.urandom(3 << 20))
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
task = lambda name: {"StartAt": name, "States": {name: {"Type": "Task", "Resource": fn, "End": True}}}
defs = {
  "r-1": {"StartAt": "Hi", "States": {"Hi": {"Type": "Succeed"}}},
  "r-2": task("Bye"),
  "boot-1": task("Boot"),
}
def sha(z):
    return hashlib.sha256(open(os.path.join(t, z + ".zip"), "rb").read()).hexdigest()
def rel(rid, zipname, d, **kw):
    r = {"release_id": rid, "project_name": "acme/hello",
         "config_name": "production", "aws_account_id": "000000000000",
         "aws_region": "us-east-1", "lambda_name": "acme-hello",
         "step_fn_name": "acme-hello", "created_at": now,
         "lambda_sha256": sha(zipname), "state_machine": d}
    r.update(kw)
    json.dump(r, open(os.path.join(t, rid + ".json"), "w"))
    json.dump(d, open(os.path.join(t, rid + "-def.json"), "w"))
rel("r-1", "b", defs["r-1"])
rel("r-2", "c", defs["r-2"])
rel("boot-1", "d", defs["boot-1"])
rel("bad-sha", "b", defs["r-2"])		# its zip will be c
rel("gone-fn", "d", defs["boot-1"], lambda_name="acme-gone")
rel("gone-sm", "d", defs["boot-1"], step_fn_name="acme-gone")
rel("big-1", "big", defs["boot-1"])
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
      "lambda_arns": ["$FN", "$FN_GONE"],
      "state_machine_arns": ["$SM", "$SM_GONE"]
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

AWSOPT=(--policy "$T/policy.json" --signer "$SOCK")
deploy() { run "$SD" deploy --release "$T/$1.json" --zip "$T/$2.zip" "${AWSOPT[@]}" --journal-dir "$T/j"; }
plan() { run "$SD" plan --release "$T/$1.json" --zip "$T/$2.zip" "${AWSOPT[@]}" "${@:3}"; }
bootstrap() { run "$SD" bootstrap --release "$T/$1.json" --zip "$T/$2.zip" "${AWSOPT[@]}"; }
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
expect_eq audit-written "$(state 'has("/unlock-") or any("/audit/" in k for k in objects())')" false

# ---------------------------------------------------------------- freeze
t freeze
run "$SD" freeze "$P" "$C" --reason "incident 42: payments down" "${AWSOPT[@]}"
expect_rc 0
expect_has "froze acme/hello production: by $WHO"
expect_has "incident 42: payments down"
expect_eq freeze-object "$(state 'has("acme/hello/production/freeze")')" true
FREEZE=$(s3 GET "$P/$C/freeze")
expect_eq freeze-by "$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1].rsplit("\nHTTP", 1)[0])["by"])' "$FREEZE")" "$WHO"
expect_eq freeze-reason "$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1].rsplit("\nHTTP", 1)[0])["reason"])' "$FREEZE")" "incident 42: payments down"

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
expect_eq lock-held "$(state 'has("/lock")')" false
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
BEFORE=$(state 'summary()')
plan r-1 b
expect_rc 0
expect_has "CodeSha256    $A_SHA -> $B_SHA"
expect_has "lock            free"
expect_has "release id      not used before"
expect_has "@@ "
expect_has '-  "StartAt": "Hello",'
expect_has '+  "StartAt": "Hi",'
expect_has "plan: a deploy of r-1 would proceed"
expect_eq state-unchanged "$(state 'summary()')" "$BEFORE"
expect_eq only-reads "$(calls_since "$SEQ" 'sorted({x["op"] for x in c if x["op"] not in READ})')" "[]"
expect_eq some-reads "$(calls_since "$SEQ" 'len(c) >= 7')" true

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
BEFORE=$(state 'summary()')
plan r-2 c
expect_rc 0
expect_has "CodeSha256    $B_SHA -> $C_SHA"
expect_has "definition    changes"
expect_has "--- deployed definition ($SM)"
expect_has '-    "Hi": {'
expect_has '+    "Bye": {'
expect_has "+      \"Resource\": \"$FN:<next version>\","
expect_has "tags            ok"
expect_eq state-unchanged "$(state 'summary()')" "$BEFORE"
expect_eq only-reads "$(calls_since "$SEQ" 'sorted({x["op"] for x in c if x["op"] not in READ})')" "[]"
expect_eq only-read-methods "$(calls_since "$SEQ" 'sorted({x["method"] for x in c if x["service"] != "states"})')" '["GET", "HEAD"]'

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
lockbody() {	# lockbody RELEASE HOLDER ACQUIRED-OFFSET EXPIRES-OFFSET (seconds from now)
	"$PY" -c 'import json,sys,time,datetime
f = lambda o: datetime.datetime.fromtimestamp(time.time() + int(o), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
print(json.dumps({"release_id": sys.argv[1], "holder": sys.argv[2], "acquired_at": f(sys.argv[3]), "expires_at": f(sys.argv[4])}, separators=(",", ":")))' "$@"
}
t plan-lock-held
lockbody r-live ci-7:4242:beef 0 600 >"$T/live.lock"
OUT=$(s3 PUT "$P/$C/lock" "$T/live.lock")
expect_has "HTTP 200"
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
expect_eq lock-held "$(state 'has("/lock")')" true
expect_eq audit-written "$(state 'any("/audit/" in k for k in objects())')" false

t plan-lock-expired
lockbody r-stuck ci-3:999:dead -7200 -3600 >"$T/stale.lock"
OUT=$(s3 PUT "$P/$C/lock" "$T/stale.lock")
expect_has "HTTP 200"
STALE_ETAG=$(state 'r["s3"]["'"$B"'"]["objects"]["'"$P/$C"'/lock"]["etag"]')
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
expect_eq lock-held "$(state 'has("/lock")')" false
expect_eq delete-if-match "$(calls_since "$SEQ" '[x["status"] for x in c if x["op"] == "DeleteObject"]')" "[204]"
AUDIT_KEY=$(state '"\n".join(k for k in objects() if "/audit/" in k)')
case $AUDIT_KEY in
acme/hello/production/audit/unlock-[0-9]*T[0-9]*Z-*.json) ok ;;
*) bad "audit key '$AUDIT_KEY'" ;;
esac
expect_eq audit-key-format "$("$PY" -c 'import re,sys; print(bool(re.fullmatch(r"acme/hello/production/audit/unlock-\d{8}T\d{6}Z-[0-9a-f]{16}\.json", sys.argv[1])))' "$AUDIT_KEY")" True
AUDIT=$(s3 GET "$AUDIT_KEY")
expect_eq audit-record "$("$PY" -c 'import json,sys
a = json.loads(sys.argv[1].rsplit("\nHTTP", 1)[0])
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
BEFORE_OBJECTS=$(state 'objects()')
run "$SD" bootstrap --release "$T/boot-1.json" --zip "$T/d.zip" "${AWSOPT[@]}"
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
	"$("$PY" -c 'import json,sys; d = json.load(open(sys.argv[1])); d["States"]["Boot"]["Resource"] += ":" + sys.argv[2]; print(json.dumps(d, sort_keys=True))' "$T/boot-1-def.json" "$VERSION")"
expect_eq no-s3-writes "$(state 'objects()')" "$BEFORE_OBJECTS"
expect_eq lock-held "$(state 'has("/lock")')" false

missing_case() {	# missing_case NAME RELEASE MESSAGE
	t "$1"
	local seq before
	seq=$(last_seq)
	before=$(state 'summary()')
	bootstrap "$2" d
	expect_rc 1
	expect_err_line bootstrap
	expect_err_has "$3 does not exist; bootstrap never creates resources: create it first"
	case $OUT in *"==> UpdateFunctionCode"*) bad "it went on to update" ;; *) ok ;; esac
	expect_eq state-unchanged "$(state 'summary()')" "$before"
	expect_eq only-reads "$(calls_since "$seq" 'sorted({x["op"] for x in c if x["op"] not in READ})')" "[]"
}
missing_case bootstrap-missing-function gone-fn "Lambda function $FN_GONE"
missing_case bootstrap-missing-state-machine gone-sm "state machine $SM_GONE"

t bootstrap-zip-too-large
SEQ=$(last_seq)
bootstrap big-1 big
expect_rc 1
expect_err_has "bootstrap sends the code inline"
expect_eq no-calls "$(calls_since "$SEQ" 'len(c)')" 0
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

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
