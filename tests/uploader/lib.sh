# tests/uploader/lib.sh: what the uploader's end-to-end tests share,
# sourced by tests/uploader/test_*.sh: the local AWS stand-in
# (tests/standin) and the real signer daemon started in a temporary
# directory and stopped from the EXIT trap (with any pid a test adds to
# BG_PIDS), a policy naming the current user (POLICY_EXTRA adds to it),
# the fixtures (zips a b c, releases r-1 r-2; mkzip, mkrel make more), the
# check helpers (the last line a test prints is "N passed, M failed"), and
# readers of the stand-in's state and calls log.
#
#   NAME=test_x; source "$(dirname "$0")/lib.sh"; up_start; ...; up_end
#
# STEPDEPLOY and SIGNER override the binaries; SIGNER_AUDIT names the
# signer's audit log.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
STANDIN=$ROOT/tests/standin/standin
SD=${STEPDEPLOY:-$ROOT/build/asan/stepdeploy}
SIGNER=${SIGNER:-$ROOT/build/stepdeploy-signer}
PY=/usr/bin/python3
# The stand-in serving HTTPS (up_standin --tls-cert F --tls-key K): a test
# sets STANDIN_SCHEME=https and STANDIN_CACERT (the CA that signed F) before
# up_standin; the policy's endpoints, control and s3get then use them.
STANDIN_SCHEME=${STANDIN_SCHEME:-http}
STANDIN_CACERT=${STANDIN_CACERT:-}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

for b in "$SD" "$SIGNER"; do
	[ -x "$b" ] || { echo "$0: $b is missing (make)" >&2; exit 1; }
done
if ! [ -x "$PY" ] || ! "$PY" -c 'import botocore' 2>/dev/null; then
	echo "SKIP: ${NAME:-$0}: the stand-in needs python3-botocore (make deps)"
	echo "0 passed, 0 failed"
	exit 0
fi
command -v curl >/dev/null || { echo "$0: curl is missing (make deps)" >&2; exit 1; }

T=$(mktemp -d /tmp/sdup.XXXXXX)
chmod 711 "$T"
STANDIN_PID= SIGNER_PID=
BG_PIDS=()
up_cleanup() {
	local rc=$? p
	for p in "${BG_PIDS[@]}"; do
		kill -9 "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
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
trap up_cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=checks.sh
source "$HERE/checks.sh"

control() {
	local data=()
	[ $# -ge 3 ] && data=(-H 'Content-Type: application/json' --data-binary "$3")
	curl -sS --max-time 60 ${STANDIN_CACERT:+--cacert "$STANDIN_CACERT"} \
	    -X "$1" "${data[@]}" "$STANDIN_SCHEME://127.0.0.1:$P_S3/_standin/$2"
}
# What the stand-in holds: state EXPR, r = GET /_standin/state; helpers
# fn(NAME), sm(NAME) (the function, the state machine), canon(JSON), and
# of the bucket $B: objs() (key -> object), keys(PREFIX) (sorted),
# has(SUFFIX) (a key ends with it), has_lock().
state() {
	control GET state | "$PY" -c 'import json,sys
r = json.load(sys.stdin)
B = sys.argv[2]
def fn(name):
    for k, v in r["lambda"].items():
        if k == name or k.endswith(":" + name): return v
def sm(name):
    for k, v in r["states"].items():
        if k == name or k.endswith(":" + name): return v
def canon(d):
    return json.dumps(json.loads(d) if isinstance(d, str) else d, sort_keys=True)
def objs(): return r["s3"].get(B, {}).get("objects", {})
def keys(prefix=""): return sorted(k for k in objs() if k.startswith(prefix))
def has(suffix): return any(k.endswith(suffix) for k in objs())
def has_lock(): return has("/lock")
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))' "$1" "$B"
}
expect_no_lock() { expect_eq lock-held "$(state 'has_lock()')" false; }
# The calls log after seq SINCE: calls SINCE EXPR, c = the calls; helpers
# st(OP, PATH) (the statuses of OP calls whose path has PATH, in order),
# writes() ("METHOD PATH STATUS" of the calls that may change something).
calls() {
	control GET "calls?since=$1" | "$PY" -c 'import json,sys
c = json.load(sys.stdin)["calls"]
def st(op, path=""):
    return [x["status"] for x in c if x["op"] == op and path in x["path"]]
def writes():
    return ["%s %s %s" % (x["method"], x["path"], x["status"]) for x in c
            if x["method"] not in ("GET", "HEAD") and not
            (x["service"] != "s3" and x["op"].startswith(("Get", "List", "Describe")))]
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))' "$2"
}
# The seq of the last call logged (0 when none).
last_seq() { control GET calls | "$PY" -c 'import json,sys; c = json.load(sys.stdin)["calls"]; print(c[-1]["seq"] if c else 0)'; }
b64sha256() { "$PY" -c 'import hashlib,base64,sys; print(base64.b64encode(hashlib.sha256(open(sys.argv[1],"rb").read()).digest()).decode())' "$1"; }
canon_file() { "$PY" -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])), sort_keys=True))' "$1"; }

# ---------------------------------------------------------------- fixtures
AK=AKIDSTANDINTEST
SK='standin/test+secret'
ACCT=000000000000
FN=arn:aws:lambda:us-east-1:$ACCT:function:acme-hello
SM=arn:aws:states:us-east-1:$ACCT:stateMachine:acme-hello
B=acme-stepdeploy
SOCK=$T/sign.sock

# mkzip NAME...: $T/NAME.zip, each with its own bootstrap (so its own
# CodeSha256).
mkzip() {
	"$PY" - "$T" "$@" <<'PYEOF'
import os, sys, zipfile
for name in sys.argv[2:]:
    with zipfile.ZipFile(os.path.join(sys.argv[1], name + ".zip"), "w") as z:
        z.writestr("bootstrap", "#!/bin/sh\necho %s\n" % name)
PYEOF
}

# Zips a b c (b and c the releases'), releases r-1 (b.zip) and r-2
# (c.zip) with their definitions in r-N-def.json, def1.json (seeded).
up_fixtures() {
	printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$AK" "$SK" >"$T/creds"
	chmod 600 "$T/creds"
	mkdir -p "$T/j"
	mkzip a b c
	"$PY" - "$T" <<'PYEOF'
import os, sys, json, hashlib, datetime
t = sys.argv[1]
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
PYEOF
	echo '{"StartAt":"Hello","States":{"Hello":{"Type":"Pass","End":true}}}' >"$T/def1.json"
}

# mkrel NEW-ID [BASE-ID [FIELD=VALUE...]]: a copy of release BASE (r-2)
# under a new id, with each FIELD set to VALUE (JSON, else a string);
# zip=NAME sets lambda_sha256 to $T/NAME.zip's.
mkrel() {
	"$PY" - "$T" "$1" "${2:-r-2}" "${@:3}" <<'PYEOF'
import hashlib, json, os, sys
t, rid, base = sys.argv[1:4]
r = json.load(open(os.path.join(t, base + ".json")))
r["release_id"] = rid
for a in sys.argv[4:]:
    k, v = a.split("=", 1)
    if k == "zip":
        k, v = "lambda_sha256", hashlib.sha256(open(os.path.join(t, v + ".zip"), "rb").read()).hexdigest()
    else:
        try: v = json.loads(v)
        except ValueError: pass
    r[k] = v
json.dump(r, open(os.path.join(t, rid + ".json"), "w"))
PYEOF
}

# Start the stand-in (extra arguments go to it), write the policy; a JSON
# object in POLICY_EXTRA is merged into it (objects member by member, any
# other value replaced).
up_standin() {
	"$STANDIN" --port 0 --port 0 --port 0 --dir "$T/state" --credentials "$T/creds" \
		--ready-file "$T/ready" "$@" >>"$T/standin.log" 2>&1 &
	STANDIN_PID=$!
	for _ in $(seq 1 300); do
		[ -s "$T/ready" ] && break
		kill -0 "$STANDIN_PID" 2>/dev/null || { echo "the stand-in died:"; cat "$T/standin.log"; exit 1; }
		sleep 0.1
	done
	[ -s "$T/ready" ] || { echo "the stand-in is not ready after 30 s"; exit 1; }
	read -r P_S3 P_LAMBDA P_STATES < <("$PY" -c \
		'import json,sys; print(*json.load(open(sys.argv[1]))["ports"])' "$T/ready")
	cat >"$T/policy.json" <<JSON
{
  "version": 1,
  "sockets": { "sign": [$(id -u)] },
  "endpoints": {
    "s3": "$STANDIN_SCHEME://127.0.0.1:$P_S3",
    "lambda": "$STANDIN_SCHEME://127.0.0.1:$P_LAMBDA",
    "states": "$STANDIN_SCHEME://127.0.0.1:$P_STATES"
  },
  "aws": { "backoff_base_ms": 20, "backoff_max_ms": 200, "poll_interval_ms": 50 },
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
JSON
	[ -z "${POLICY_EXTRA-}" ] || "$PY" - "$T/policy.json" "$POLICY_EXTRA" <<'PYEOF'
import json, sys
def merge(a, b):
    for k, v in b.items():
        a[k] = merge(a[k], v) if isinstance(v, dict) and isinstance(a.get(k), dict) else v
    return a
p = json.load(open(sys.argv[1]))
json.dump(merge(p, json.loads(sys.argv[2])), open(sys.argv[1], "w"), indent=2)
PYEOF
}

# Seed the bucket, the function (a.zip) and the state machine (def1.json).
up_seed() {
	run "$STANDIN" seed --dir "$T/state" --bucket "$B" \
		--function acme-hello --zip "$T/a.zip" \
		--tag ProjectName=acme/hello --tag ConfigName=production --tag DeployWith=stepdeploy \
		--state-machine acme-hello --definition "$T/def1.json" \
		--tag ProjectName=acme/hello --tag ConfigName=production --tag DeployWith=stepdeploy
}

up_signer() {
	"$SIGNER" --policy "$T/policy.json" --socket "$SOCK" --credentials "$T/creds" \
	    ${SIGNER_AUDIT:+--audit-log "$SIGNER_AUDIT"} \
	    --foreground 2> >(exec cat >>"$T/signer.log") &
	SIGNER_PID=$!
	for _ in $(seq 1 100); do
		grep -q 'listening on' "$T/signer.log" 2>/dev/null && break
		kill -0 "$SIGNER_PID" 2>/dev/null || { echo "the signer died:"; cat "$T/signer.log"; exit 1; }
		sleep 0.1
	done
}

# Everything above, for a test that needs nothing special.
up_start() {
	up_fixtures
	up_standin "$@"
	t seed
	up_seed
	expect_rc 0
	up_signer
}

# deploy RELEASE-ID ZIP-NAME: stepdeploy deploy of $T/ID.json with $T/ZIP.zip.
deploy() { run "$SD" deploy --release "$T/$1.json" --zip "$T/$2.zip" \
	--policy "$T/policy.json" --signer "$SOCK" --journal-dir "$T/j"; }
recover() { run "$SD" recover --policy "$T/policy.json" --signer "$SOCK" --journal-dir "$T/j"; }
# s3get KEY: the body of s3://$B/KEY from the stand-in (exit 1 if none).
s3get() {
	"$PY" - "$P_S3" "$AK" "$SK" "$B" "$1" "$STANDIN_SCHEME" "$STANDIN_CACERT" <<'PYEOF'
import sys, botocore.session
from botocore.config import Config
port, ak, sk, bucket, key, scheme, ca = sys.argv[1:]
c = botocore.session.get_session().create_client(
    "s3", endpoint_url=scheme + "://127.0.0.1:" + port, region_name="us-east-1",
    verify=ca or None,
    aws_access_key_id=ak, aws_secret_access_key=sk,
    config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
try:
    sys.stdout.write(c.get_object(Bucket=bucket, Key=key)["Body"].read().decode())
except c.exceptions.NoSuchKey:
    sys.exit(1)
PYEOF
}
# s3req METHOD KEY [FILE]: a signed S3 request of the test's own (as an
# operator or another deployer would make it, not through the signer) to
# s3://$B/KEY, FILE the body; prints the HTTP status, the response body is
# left in $T/s3req.out.
s3req() {
	local h body=()
	if [ $# -ge 3 ]; then
		h=$(sha256sum "$3" | cut -d' ' -f1)
		body=(-T "$3")
	else
		h=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
	fi
	curl -sS --max-time 30 ${STANDIN_CACERT:+--cacert "$STANDIN_CACERT"} \
	    --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" \
	    -H "x-amz-content-sha256: $h" -X "$1" "${body[@]}" -o "$T/s3req.out" \
	    -w '%{http_code}' "$STANDIN_SCHEME://127.0.0.1:$P_S3/$B/$2"
}
# lockbody RELEASE HOLDER ACQUIRED EXPIRES: a lock object's body, the times
# in seconds from now.
lockbody() {
	"$PY" -c 'import json,sys,time,datetime
f = lambda o: datetime.datetime.fromtimestamp(time.time() + int(o), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
print(json.dumps({"release_id": sys.argv[1], "holder": sys.argv[2], "acquired_at": f(sys.argv[3]), "expires_at": f(sys.argv[4])}, separators=(",", ":")))' "$@"
}
# jget JSON-TEXT EXPR: EXPR of the parsed JSON (v), printed.
jget() { "$PY" -c 'import json,sys; v = json.loads(sys.argv[1]); x = eval(sys.argv[2]); print(x if isinstance(x, str) else json.dumps(x))' "$1" "$2"; }

# xy_fixtures: releases that name the Lambda (so the definition deployed
# names the published version): x (b.zip) and y (c.zip), with their
# definitions in $T/x-def.json and $T/y-def.json; ZIP maps each to its zip.
declare -A ZIP=([x]=b [y]=c)
xy_fixtures() {
"$PY" - "$T" "$FN" <<'PYEOF'
import json, os, sys
t, fn = sys.argv[1], sys.argv[2]
defs = {
  "x": {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": fn, "Next": "Done"},
                                       "Done": {"Type": "Succeed"}}},
  "y": {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": fn, "End": True}}},
}
for name, base in (("x", "r-1"), ("y", "r-2")):
    r = json.load(open(os.path.join(t, base + ".json")))
    r["state_machine"] = defs[name]
    json.dump(r, open(os.path.join(t, name + ".json"), "w"))
    json.dump(defs[name], open(os.path.join(t, name + "-def.json"), "w"))
PYEOF
}

# which: "x" or "y" when the stand-in holds exactly that release (code,
# definition, and the version it names), else "mix: ...".
which() {
	control GET state | "$PY" -c '
import base64, hashlib, json, sys
t, fn = sys.argv[1], sys.argv[2]
r = json.load(sys.stdin)
f = next(v for k, v in r["lambda"].items() if k.endswith(":acme-hello"))
s = next(v for k, v in r["states"].items() if k.endswith(":acme-hello"))
d = json.loads(s["definition"])
named = set()
def strip(states):
    for st in states.values():
        res = st.get("Resource", "")
        if res.startswith(fn + ":"):
            named.add(res[len(fn) + 1:]); st["Resource"] = fn
        for b in st.get("Branches", []): strip(b["States"])
strip(d["States"])
def sha(z):
    return base64.b64encode(hashlib.sha256(open("%s/%s.zip" % (t, z), "rb").read()).digest()).decode()
for name, z in (("x", "b"), ("y", "c")):
    want = json.load(open("%s/%s-def.json" % (t, name)))
    if d == want and f["CodeSha256"] == sha(z) and \
       all(f["Versions"].get(v) == sha(z) for v in named):
        print(name); sys.exit(0)
print("mix: code %s, definition %s naming %s (versions %s)" % (
    f["CodeSha256"], json.dumps(d, sort_keys=True), sorted(named), f["Versions"]))
' "$T" "$FN"
}
