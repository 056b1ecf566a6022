#!/usr/bin/env bash
# tests/cli/test_signer.sh: stepdeploy-signer as a process. Starts the
# daemon in a short temporary runtime directory with a test policy naming
# the current user and test credentials (mode 0600), drives it with
# build/asan/signer-client-test, and checks: allowed requests of every
# action are signed (the signature recomputed with the SigV4 library and,
# when python3 has botocore, with botocore), out-of-policy and malformed
# requests refused with their reason, an unauthorized uid rejected (as
# root), bad and oversized frames answered and the connection closed
# without the daemon dying, a client vanishing mid-frame harmless, SIGHUP
# re-reading changed credentials, credentials files refused at start, and
# the seccomp sandbox killing the plain build (SIGSYS) when it makes a
# forbidden call (a preloaded probe, build/signer-sandbox-probe.so: the
# shipped binary carries no test hook). The functional part runs against
# the plain build and the ASan build (the daemon with detect_leaks=0:
# LeakSanitizer cannot work under the filter).
#
#   bash tests/cli/test_signer.sh
#   (SIGNER, ASAN_SIGNER, SIGNER_CLIENT, SIGNER_PROBE override the paths)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SIGNER=${SIGNER:-$ROOT/build/stepdeploy-signer}
ASAN_SIGNER=${ASAN_SIGNER:-$ROOT/build/asan/stepdeploy-signer}
CLIENT=${SIGNER_CLIENT:-$ROOT/build/asan/signer-client-test}
PROBE=${SIGNER_PROBE:-$ROOT/build/signer-sandbox-probe.so}
for b in "$SIGNER" "$CLIENT"; do
	if [ ! -x "$b" ]; then
		echo "$0: $b is missing (make build/stepdeploy-signer build/asan/signer-client-test)" >&2
		exit 1
	fi
done
# The sanitized daemon runs under its seccomp filter, where LeakSanitizer's
# exit-time work cannot: no leak check for it (the client keeps its own).
DAEMON_ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

# A short runtime directory: a socket path must stay under 108 bytes.
T=$(mktemp -d /tmp/sdXXXX)
chmod 711 "$T"
SOCK=$T/sign.sock
LOG=$T/signer.log
SPID=
cleanup() {
	if [ -n "$SPID" ] && kill -0 "$SPID" 2>/dev/null; then
		kill "$SPID" 2>/dev/null || true
		wait "$SPID" 2>/dev/null || true
	fi
	rm -rf "$T"
}
trap cleanup EXIT

PASSED=0 FAILED=0 SKIPPED=0 CASE=- OUT= RC=0 FLAVOUR=plain
t() { CASE="$FLAVOUR: $1"; }
ok() { PASSED=$((PASSED + 1)); }
bad() {
	FAILED=$((FAILED + 1))
	printf 'FAIL [%s] %s\n    exit %s; output: %.1200s\n' "$CASE" "$1" "$RC" "$OUT"
	if [ -f "$LOG" ]; then
		printf '    signer log (last lines):\n'
		tail -n 5 "$LOG" | sed 's/^/      /'
	fi
}
skip() { SKIPPED=$((SKIPPED + 1)); echo "skip [$CASE] $1"; }

PY=
if command -v python3 >/dev/null 2>&1 && python3 -c 'import botocore' 2>/dev/null; then
	PY=python3
fi

# ---------------------------------------------------------------- fixtures
ME=$(id -u)
EMPTY=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
LFN=arn:aws:lambda:us-east-1:000000000000:function:acme-hello
LFN_ENC=arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Aacme-hello
SM=arn:aws:states:us-east-1:000000000000:stateMachine:acme-hello

cat >"$T/policy.json" <<EOF
{
  "version": 1,
  "sockets": { "sign": [$ME] },
  "projects": {
    "acme/hello": {
      "submitters": [],
      "configs": ["production"],
      "accounts": ["000000000000"],
      "regions": ["us-east-1"],
      "bucket": "acme-stepdeploy",
      "lambda_arns": ["$LFN"],
      "state_machine_arns": ["$SM"]
    },
    "other/thing": {
      "submitters": [],
      "configs": ["prod"],
      "accounts": ["111111111111"],
      "regions": ["eu-west-1"],
      "bucket": "other-bucket",
      "lambda_arns": ["arn:aws:lambda:eu-west-1:111111111111:function:other-*"],
      "state_machine_arns": ["arn:aws:states:eu-west-1:111111111111:stateMachine:other"]
    }
  }
}
EOF

write_creds() {	# FILE SECRET [TOKEN]
	{
		printf '# test credentials\n[unused]\naws_access_key_id = AKIDUNUSED\n'
		printf 'aws_secret_access_key = unused\n\n[default]\n'
		printf 'aws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = %s\n' "$2"
		if [ -n "${3:-}" ]; then
			printf 'aws_session_token = %s\n' "$3"
		fi
		printf 'region = us-east-1\n'
	} >"$1"
}
write_creds "$T/creds" 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' 'AQoDYXdzEPT//////////wEXAMPLEtoken'
chmod 600 "$T/creds"

b64() { printf '%s' "$1" | base64 | tr -d '\n'; }

# req NAME METHOD HOST PATH HEADERS PAYLOAD [EXTRA]: a request file;
# PAYLOAD is the JSON member for the payload ("payload_sha256": ... or
# "body": ...).
req() {
	printf '{"method":"%s","host":"%s","path":"%s","headers":%s,%s,"region":"us-east-1"%s}\n' \
	    "$2" "$3" "$4" "$5" "$6" "${7:-}" >"$T/$1.json"
}
HASH="\"payload_sha256\":\"$EMPTY\""
ZIPHASH="\"payload_sha256\":\"$(printf 'zip' | sha256sum | cut -d' ' -f1)\""
JSON10='["Content-Type","application/x-amz-json-1.0"]'
target() { printf '[%s,["X-Amz-Target","AWSStepFunctions.%s"]]' "$JSON10" "$1"; }
body() { printf '"body":"%s"' "$(b64 "$1")"; }

S3=s3.us-east-1.amazonaws.com
LAMBDA=lambda.us-east-1.amazonaws.com
STATES=states.us-east-1.amazonaws.com
KEY=acme/hello/production/r-1

# Allowed, one per action.
req s3-put PUT $S3 "/acme-stepdeploy/$KEY/lambda.zip" '[["Content-Type","application/zip"],["If-None-Match","*"]]' "$ZIPHASH"
req s3-put-body PUT $S3 "/acme-stepdeploy/acme/hello/production/lock" '[["If-None-Match","*"]]' "$(body '{"release":"r-1"}')"
req s3-get-vhost GET acme-stepdeploy.$S3 "/$KEY/release.json" '[]' "$HASH"
req s3-head HEAD $S3 "/acme-stepdeploy/$KEY/result.json" '[]' "$HASH"
req s3-delete DELETE $S3 "/acme-stepdeploy/acme/hello/production/lock" '[["If-Match","\"abc\""]]' "$HASH"
req l-get GET $LAMBDA "/2015-03-31/functions/$LFN_ENC" '[]' "$HASH"
req l-getq GET $LAMBDA "/2015-03-31/functions/$LFN_ENC" '[]' "$HASH" ',"query":"Qualifier=%24LATEST"'
req l-conf GET $LAMBDA "/2015-03-31/functions/$LFN/configuration" '[]' "$HASH"
req l-code PUT $LAMBDA "/2015-03-31/functions/$LFN_ENC/code" '[["Content-Type","application/json"]]' \
    "$(body "{\"S3Bucket\":\"acme-stepdeploy\",\"S3Key\":\"$KEY/lambda.zip\",\"Publish\":false}")"
req l-publish POST $LAMBDA "/2015-03-31/functions/$LFN_ENC/versions" '[["Content-Type","application/json"]]' "$(body '{"CodeSha256":"abc"}')"
req l-tags GET $LAMBDA "/2017-03-31/tags/$LFN_ENC" '[]' "$HASH"
req sf-describe POST $STATES / "$(target DescribeStateMachine)" "$(body "{\"stateMachineArn\":\"$SM\"}")"
req sf-update POST $STATES / "$(target UpdateStateMachine)" \
    "$(body "{\"stateMachineArn\":\"$SM\",\"definition\":\"{\\\"StartAt\\\":\\\"A\\\",\\\"States\\\":{\\\"A\\\":{\\\"Type\\\":\\\"Pass\\\",\\\"End\\\":true}}}\"}")"
req sf-tags POST $STATES / "$(target ListTagsForResource)" "$(body "{\"resourceArn\":\"$SM\"}")"
ALLOWED="s3-put s3-put-body s3-get-vhost s3-head s3-delete l-get l-getq l-conf l-code l-publish l-tags sf-describe sf-update sf-tags"

# Refused by the policy: name, then the reason the signer must give.
req r-s3-bucket PUT $S3 "/evil-bucket/$KEY/x" '[]' "$ZIPHASH"
req r-s3-prefix PUT $S3 "/acme-stepdeploy/acme/hello/staging/x" '[]' "$ZIPHASH"
req r-s3-cross PUT $S3 "/acme-stepdeploy/other/thing/prod/x" '[]' "$ZIPHASH"
req r-s3-dotdot GET $S3 "/acme-stepdeploy/$KEY/../../../x" '[]' "$HASH"
req r-s3-list GET $S3 "/acme-stepdeploy" '[]' "$HASH" ',"query":"list-type=2"'
req r-s3-acl PUT $S3 "/acme-stepdeploy/$KEY/x" '[["x-amz-acl","public-read"]]' "$ZIPHASH"
req r-l-other GET $LAMBDA "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Aevil" '[]' "$HASH"
req r-l-name GET $LAMBDA "/2015-03-31/functions/acme-hello" '[]' "$HASH"
req r-l-delete DELETE $LAMBDA "/2015-03-31/functions/$LFN_ENC" '[]' "$HASH"
req r-l-invoke POST $LAMBDA "/2015-03-31/functions/$LFN_ENC/invocations" '[]' "$(body '{}')"
req r-l-code-hash PUT $LAMBDA "/2015-03-31/functions/$LFN_ENC/code" '[]' "$ZIPHASH"
req r-l-code-bucket PUT $LAMBDA "/2015-03-31/functions/$LFN_ENC/code" '[]' \
    "$(body '{"S3Bucket":"evil-bucket","S3Key":"acme/hello/production/r-1/lambda.zip"}')"
req r-sf-delete POST $STATES / "$(target DeleteStateMachine)" "$(body "{\"stateMachineArn\":\"$SM\"}")"
req r-sf-other POST $STATES / "$(target DescribeStateMachine)" \
    "$(body '{"stateMachineArn":"arn:aws:states:us-east-1:000000000000:stateMachine:evil"}')"
req r-sf-role POST $STATES / "$(target UpdateStateMachine)" \
    "$(body "{\"stateMachineArn\":\"$SM\",\"roleArn\":\"arn:aws:iam::000000000000:role/admin\"}")"
req r-sf-hash POST $STATES / "$(target DescribeStateMachine)" "$HASH"
req r-host GET sts.amazonaws.com / '[]' "$HASH"
REFUSED=(
	"r-s3-bucket|S3: bucket evil-bucket is not the bucket of any project"
	"r-s3-prefix|S3: key acme/hello/staging/x is not under PROJECT/CONFIG/ of a project that uses bucket acme-stepdeploy"
	"r-s3-cross|S3: key other/thing/prod/x is not under PROJECT/CONFIG/ of a project that uses bucket acme-stepdeploy"
	"r-s3-dotdot|S3: the object key must be 1-1024 of [A-Za-z0-9._/-]"
	"r-s3-list|S3: a query string is not allowed (object requests only)"
	"r-s3-acl|S3: header x-amz-acl is not allowed"
	"r-l-other|Lambda: no project may change function arn:aws:lambda:us-east-1:000000000000:function:evil"
	"r-l-name|Lambda: name the function by its full ARN, not \"acme-hello\""
	"r-l-delete|Lambda: DELETE /2015-03-31/functions/$LFN_ENC is not an action the deployer may use"
	"r-l-invoke|Lambda: POST /2015-03-31/functions/$LFN_ENC/invocations is not an action the deployer may use"
	"r-l-code-hash|Lambda: UpdateFunctionCode must send its body, not its hash"
	"r-l-code-bucket|Lambda: UpdateFunctionCode must take the code from project acme/hello's bucket acme-stepdeploy, not evil-bucket"
	"r-sf-delete|Step Functions: action AWSStepFunctions.DeleteStateMachine is not allowed"
	"r-sf-other|Step Functions: no project may change state machine arn:aws:states:us-east-1:000000000000:stateMachine:evil"
	"r-sf-role|Step Functions: UpdateStateMachine field roleArn is not allowed"
	"r-sf-hash|Step Functions: send the body, not its hash"
	"r-host|host sts.amazonaws.com is not an S3, Lambda or Step Functions endpoint for region us-east-1"
)

# Malformed requests (well-formed frames): the field and the reason.
printf '%s\n' '{"method":"GET","host":"s3.us-east-1.amazonaws.com","path":"/a/b","headers":[],"payload_sha256":"'$EMPTY'","region":"us-east-1","extra":1}' >"$T/m-unknown.json"
printf '%s\n' '{"method":"GET","host":"s3.us-east-1.amazonaws.com","path":"/a/b","headers":[],"payload_sha256":"'$EMPTY'","body":"","region":"us-east-1"}' >"$T/m-both.json"
printf '%s\n' '{"method":"PATCH","host":"s3.us-east-1.amazonaws.com","path":"/a/b","headers":[],"payload_sha256":"'$EMPTY'","region":"us-east-1"}' >"$T/m-method.json"
printf '%s\n' '{"method":"GET","host":"s3.us-east-1.amazonaws.com","path":"/a/b","headers":[["Authorization","x"]],"payload_sha256":"'$EMPTY'","region":"us-east-1"}' >"$T/m-auth.json"
printf '%s\n' '{"method":"GET","host":"s3.us-east-1.amazonaws.com","path":"/a/b","headers":[],"payload_sha256":"UNSIGNED-PAYLOAD","region":"us-east-1"}' >"$T/m-unsigned.json"
printf '%s\n' '{"method":"GET","host":"s3.us-east-1.amazonaws.com","path":"/a/b","headers":[],"payload_sha256":"'$EMPTY'","region":"us-east-1","time":1}' >"$T/m-time.json"
printf '%s\n' '{"method":"GET","host":"s3.us-east-1.amazonaws.com","path":"/a/b","headers":[["X-A","a\r\nX-B: b"]],"payload_sha256":"'$EMPTY'","region":"us-east-1"}' >"$T/m-crlf.json"
MALFORMED=(
	"m-unknown|/extra: unknown field"
	"m-both|/payload_sha256: give exactly one of payload_sha256 and body"
	"m-method|/method: must be GET, HEAD, PUT, POST or DELETE"
	"m-auth|/headers/0: header Authorization is added by the signer"
	"m-unsigned|/payload_sha256: must be 64 lower-case hex digits"
	"m-time|/time: more than 300 seconds away from the signer's clock"
	"m-crlf|/headers/0: header X-A: value byte 1 is not printable ASCII"
)

# ---------------------------------------------------------------- helpers
# start BIN [ENV=VALUE...]: start the signer in the foreground (stderr to
# $LOG through a pipe: the sandbox's RLIMIT_FSIZE 0 forbids writing files)
# and wait until it listens.
start() {
	local bin=$1 i
	shift
	rm -f "$SOCK"
	: >"$LOG"
	env ASAN_OPTIONS="$DAEMON_ASAN_OPTIONS" "$@" "$bin" \
	    --policy "$T/policy.json" --socket "$SOCK" \
	    --credentials "$T/creds" --foreground --log-level debug \
	    2> >(exec cat >>"$LOG") &
	SPID=$!
	for i in $(seq 1 100); do
		if grep -q 'listening on' "$LOG" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$SPID" 2>/dev/null; then
			return 1
		fi
		sleep 0.1
	done
	return 1
}
# stop: SIGTERM, wait, the exit status in RC.
stop() {
	RC=0
	if [ -n "$SPID" ]; then
		kill -TERM "$SPID" 2>/dev/null || true
		wait "$SPID" || RC=$?
	fi
	SPID=
	sleep 0.1
}
alive() { [ -n "$SPID" ] && kill -0 "$SPID" 2>/dev/null; }
client() {	# ARGS...: run the client; OUT and RC
	RC=0
	OUT=$(timeout 20 "$CLIENT" "$@" 2>&1) || RC=$?
}
expect_rc() { if [ "$RC" = "$1" ]; then ok; else bad "exit status $RC, want $1"; fi; }
expect_out() { case $OUT in *"$1"*) ok ;; *) bad "output lacks: $1" ;; esac; }
expect_not_out() { case $OUT in *"$1"*) bad "output has: $1" ;; *) ok ;; esac; }
expect_log() {	# the log gets the line within 5 s
	local i
	for i in $(seq 1 50); do
		if grep -qF -- "$1" "$LOG"; then
			ok
			return
		fi
		sleep 0.1
	done
	bad "log lacks: $1"
}
expect_alive() { if alive; then ok; else bad "the signer is gone"; fi; }

# The signature recomputed by botocore (an implementation not ours).
BOTO='
import base64, json, sys
from botocore.auth import SigV4Auth, S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
r = json.load(open(sys.argv[1]))
hdrs = dict(json.loads(sys.argv[2].split(" ", 1)[1]))
ini = {}
sect = None
for line in open(sys.argv[3]):
    line = line.strip()
    if line.startswith("["):
        sect = line[1:-1]
    elif "=" in line and sect == "default":
        k, v = line.split("=", 1)
        ini[k.strip()] = v.strip()
host = r["host"]
svc = "s3" if ".s3." in "." + host else host.split(".")[0]
url = "https://" + host + r["path"] + ("?" + r["query"] if r.get("query") else "")
body = base64.b64decode(r["body"]) if "body" in r else b""
req = AWSRequest(method=r["method"], url=url, headers=dict(r["headers"]), data=body)
req.context["timestamp"] = hdrs["X-Amz-Date"]
creds = Credentials(ini["aws_access_key_id"], ini["aws_secret_access_key"], ini.get("aws_session_token"))
auth = (S3SigV4Auth if svc == "s3" else SigV4Auth)(creds, svc, r["region"])
auth._modify_request_before_signing(req)
if svc == "s3" and "payload_sha256" in r:
    del req.headers["X-Amz-Content-SHA256"]
    req.headers["X-Amz-Content-SHA256"] = r["payload_sha256"]
cr = auth.canonical_request(req)
sig = auth.signature(auth.string_to_sign(req, cr), req)
got = hdrs["Authorization"].rsplit("Signature=", 1)[1]
if sig != got:
    print("botocore: signature %s, the signer gave %s\ncanonical request:\n%s" % (sig, got, cr))
    sys.exit(1)
if hdrs.get("X-Amz-Security-Token") != ini.get("aws_session_token"):
    print("botocore: security token differs")
    sys.exit(1)
'

# ---------------------------------------------------------------- the suite
suite() {
	local bin=$1 name pair want

	t "start"
	if start "$bin"; then ok; else bad "did not start"; return; fi
	expect_log "sandboxed (seccomp), ready"

	for name in $ALLOWED; do
		t "allowed $name: signed, recomputed with the library"
		client "$SOCK" sign "$T/$name.json" "$T/policy.json" "$T/creds"
		expect_rc 0
		expect_out "verified "
		expect_out '["Authorization","AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/'
		expect_out '["X-Amz-Security-Token","AQoDYXdzEPT//////////wEXAMPLEtoken"]'
		case $name in
		s3-*) expect_out '["x-amz-content-sha256","' ;;
		*) expect_not_out 'x-amz-content-sha256' ;;
		esac
		if [ -n "$PY" ]; then
			t "allowed $name: recomputed with botocore"
			RC=0
			OUT=$($PY -c "$BOTO" "$T/$name.json" "$(grep '^HEADERS ' <<<"$OUT")" "$T/creds" 2>&1) || RC=$?
			expect_rc 0
		fi
	done
	t "every signature logged"
	expect_log "signed s3:PutObject s3://acme-stepdeploy/$KEY/lambda.zip for project acme/hello"
	expect_log "signed lambda:UpdateFunctionCode $LFN for project acme/hello"
	expect_log "signed states:UpdateStateMachine $SM for project acme/hello"
	t "no secret in the log"
	if grep -q 'wJalrXUtnFEMI\|EXAMPLEtoken' "$LOG"; then bad "a secret was logged"; else ok; fi

	for pair in "${REFUSED[@]}"; do
		name=${pair%%|*}
		want=${pair#*|}
		t "refused $name"
		client "$SOCK" sign "$T/$name.json"
		expect_rc 1
		expect_out "REFUSED -4 signer: policy: $want"
		expect_log "refused a request from uid $ME"
	done

	for pair in "${MALFORMED[@]}"; do
		name=${pair%%|*}
		want=${pair#*|}
		t "malformed $name"
		client "$SOCK" request "$T/$name.json"
		expect_rc 1
		expect_out "$want"
	done

	t "several requests on one connection, back to back"
	client "$SOCK" repeat 25 "$T/sf-describe.json"
	expect_rc 0
	expect_out "signed 25 of 25"

	t "a payload that is not JSON: error, connection closed"
	client "$SOCK" raw 000000040a7b6261
	expect_out '"code":-3'
	expect_out closed
	expect_alive
	t "a payload that is a JSON array"
	client "$SOCK" raw 000000030a5b5d
	expect_out "a sign request must be a JSON object"
	expect_out closed
	t "an oversized frame: error, connection closed"
	client "$SOCK" raw 7fffffff0a
	expect_out "a frame of 2147483647 bytes is over the limit of 4194304"
	expect_out closed
	expect_alive
	t "a frame one byte over the limit"
	client "$SOCK" raw 004000020a
	expect_out "over the limit"
	expect_out closed
	t "an unknown message type"
	client "$SOCK" raw 00000003637b7d
	expect_out "unknown message type 99"
	expect_out closed
	t "a SUBMIT frame on the sign socket"
	client "$SOCK" raw 00000003147b7d
	expect_out "unexpected message type SUBMIT"
	expect_out closed
	t "a zero-length frame"
	client "$SOCK" raw 0000000000
	expect_out "a frame of length 0"
	expect_out closed
	t "a client vanishing inside a frame is harmless"
	client "$SOCK" partial
	expect_rc 0
	expect_log "peer left inside a frame"
	expect_alive
	client "$SOCK" sign "$T/l-get.json" "$T/policy.json" "$T/creds"
	expect_rc 0
	expect_out "verified "

	t "an unauthorized uid is rejected"
	if [ "$(id -u)" = 0 ]; then
		chgrp 65534 "$SOCK"
		client --uid 65534 "$SOCK" request "$T/l-get.json"
		expect_rc 1
		expect_out "ERROR "
		expect_out "uid 65534 may not connect to sign.sock"
		expect_log "refused a connection from uid 65534"
		expect_alive
	else
		skip "needs root to connect as uid 65534"
	fi

	t "SIGTERM stops it cleanly"
	stop
	expect_rc 0
	expect_log "stopping:"
	if grep -qE 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$LOG"; then
		bad "sanitizer report in the log"
		grep -E -A20 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$LOG" | head -40
	else
		ok
	fi
}

suite "$SIGNER"
if [ -x "$ASAN_SIGNER" ]; then
	FLAVOUR=asan
	suite "$ASAN_SIGNER"
	FLAVOUR=plain
else
	echo "note: $ASAN_SIGNER missing: the ASan pass is skipped"
fi

# ---------------------------------------------------------------- SIGHUP
t "SIGHUP re-reads credentials rewritten in place"
start "$SIGNER" || bad "did not start"
cp "$T/creds" "$T/creds.old"
write_creds "$T/creds.new" 'NEWSECRETnewsecretNEWSECRETnewsecret0000'
cat "$T/creds.new" >"$T/creds"	# same inode, same mode
kill -HUP "$SPID"
sleep 0.5
expect_log "SIGHUP: credentials re-read from $T/creds"
client "$SOCK" sign "$T/sf-describe.json" "$T/policy.json" "$T/creds.new"
expect_rc 0
expect_out "verified "
expect_not_out "X-Amz-Security-Token"
t "the old credentials are no longer used"
cp "$T/creds.old" "$T/creds.check"
chmod 600 "$T/creds.check"
client "$SOCK" sign "$T/sf-describe.json" "$T/policy.json" "$T/creds.check"
expect_rc 4
expect_out "Authorization differs"
t "a broken rewrite keeps the credentials in use"
printf '[default]\naws_access_key_id = AKIDEXAMPLE\n' >"$T/creds"
kill -HUP "$SPID"
sleep 0.5
expect_log "profile [default] has no aws_secret_access_key; keeping the credentials in use"
client "$SOCK" sign "$T/sf-describe.json" "$T/policy.json" "$T/creds.new"
expect_rc 0
expect_out "verified "
t "a reload that finds a wider mode refuses it"
cat "$T/creds.new" >"$T/creds"
chmod 644 "$T/creds"
kill -HUP "$SPID"
sleep 0.5
expect_log "mode 0644: the credentials must be mode 0400 or 0600"
expect_alive
stop
cp "$T/creds.old" "$T/creds"
chmod 600 "$T/creds"

# ---------------------------------------------------------------- start-up checks
startup_refused() {	# WANT: the signer must exit 1 saying WANT
	RC=0
	rm -f "$SOCK"
	OUT=$(timeout 20 "$SIGNER" --policy "$T/policy.json" --socket "$SOCK" \
	    --credentials "$T/bad-creds" --foreground 2>&1) || RC=$?
	expect_rc 1
	expect_out "$1"
}
t "credentials of mode 0644 are refused"
cp "$T/creds" "$T/bad-creds"
chmod 644 "$T/bad-creds"
startup_refused "mode 0644: the credentials must be mode 0400 or 0600 (chmod 600 it)"
t "credentials of mode 0400 are fine"
chmod 400 "$T/bad-creds"
RC=0
OUT=$(timeout 20 "$SIGNER" --policy "$T/policy.json" --socket /nonexistent/dir/s.sock \
    --credentials "$T/bad-creds" --foreground 2>&1) || RC=$?
expect_out "credentials read from"
rm -f "$T/bad-creds"
t "credentials through a symbolic link are refused"
ln -s "$T/creds" "$T/bad-creds"
startup_refused "is a symbolic link: name the file itself"
rm -f "$T/bad-creds"
t "credentials owned by another uid are refused"
if [ "$(id -u)" = 0 ]; then
	cp "$T/creds" "$T/bad-creds"
	chown 65534 "$T/bad-creds"
	startup_refused "owned by uid 65534: the credentials must be owned by the signer's uid 0"
	rm -f "$T/bad-creds"
else
	skip "needs root to chown"
fi
t "\$CREDENTIALS_DIRECTORY/aws is read when --credentials is not given"
mkdir -p "$T/cd"
cp "$T/creds" "$T/cd/aws"
RC=0
OUT=$(CREDENTIALS_DIRECTORY=$T/cd timeout 20 "$SIGNER" --policy "$T/policy.json" \
    --socket /nonexistent/dir/s.sock --foreground 2>&1) || RC=$?
expect_out "credentials read from $T/cd/aws (profile default, with a session token)"
t "a LoadCredential= file (root, 0440, an ACL for the signer's user) is accepted"
NOBODY=$(getent passwd 65534 | cut -d: -f1 || true)
if [ "$(id -u)" = 0 ] && [ -n "$NOBODY" ] && command -v python3 >/dev/null 2>&1 &&
    python3 - "$T/cd/aws" <<'PYEOF'
import os, struct, sys
f = sys.argv[1]
os.chmod(f, 0o400)
e = lambda tag, perm, uid: struct.pack("<HHI", tag, perm, uid)
acl = struct.pack("<I", 2) + e(1, 4, 0xffffffff) + e(2, 4, 65534) + \
    e(4, 0, 0xffffffff) + e(0x10, 4, 0xffffffff) + e(0x20, 0, 0xffffffff)
os.setxattr(f, "system.posix_acl_access", acl)
PYEOF
then
	RC=0
	OUT=$(CREDENTIALS_DIRECTORY=$T/cd timeout 20 "$SIGNER" --policy "$T/policy.json" \
	    --user "$NOBODY" --socket /nonexistent/dir/s.sock --foreground 2>&1) || RC=$?
	expect_out "credentials read from $T/cd/aws"
	t "the same file named with --credentials is refused (not systemd's)"
	RC=0
	OUT=$(timeout 20 "$SIGNER" --policy "$T/policy.json" --user "$NOBODY" \
	    --credentials "$T/cd/aws" --socket /nonexistent/dir/s.sock --foreground 2>&1) || RC=$?
	expect_rc 1
	expect_out "owned by uid 0: the credentials must be owned by the signer's uid 65534"
else
	skip "needs root, a user 65534, python3 and ACLs on $T"
fi
rm -rf "$T/cd"
t "a directory is refused"
mkdir "$T/bad-creds"
startup_refused "not a regular file"
rmdir "$T/bad-creds"
t "a missing profile is refused"
cp "$T/creds" "$T/bad-creds"
RC=0
OUT=$(timeout 20 "$SIGNER" --policy "$T/policy.json" --socket "$SOCK" \
    --credentials "$T/bad-creds" --profile nope --foreground 2>&1) || RC=$?
expect_rc 1
expect_out "no profile [nope] in the credentials"
rm -f "$T/bad-creds"
t "a socket path of 108 bytes is refused"
RC=0
OUT=$(timeout 20 "$SIGNER" --policy "$T/policy.json" --credentials "$T/creds" \
    --socket "/tmp/$(printf 'x%.0s' $(seq 1 103))" --foreground 2>&1) || RC=$?
expect_rc 1
expect_out "a socket path must be 1-107 bytes"
t "a second signer on a live socket is refused"
start "$SIGNER" || bad "did not start"
RC=0
OUT=$(timeout 20 "$SIGNER" --policy "$T/policy.json" --credentials "$T/creds" \
    --socket "$SOCK" --foreground 2>&1) || RC=$?
expect_rc 1
expect_out "another process listens on this socket"
expect_alive
t "the socket is mode 0660"
case $(stat -c %a "$SOCK") in 660) ok ;; *) bad "mode $(stat -c %a "$SOCK")" ;; esac
stop

# ---------------------------------------------------------------- the sandbox
# The plain build, the binary that ships: a forbidden call after the
# filter is in place kills it with SIGSYS (exit status 128 + 31).
if [ -f "$PROBE" ]; then
	t "the probe alone changes nothing"
	if start "$SIGNER" LD_PRELOAD="$PROBE"; then ok; else bad "did not start"; fi
	client "$SOCK" sign "$T/l-get.json" "$T/policy.json" "$T/creds"
	expect_rc 0
	stop
	for call in open socket execve fork ptrace; do
		t "sandbox: $call after the filter is killed by SIGSYS"
		rm -f "$SOCK"
		RC=0
		OUT=$(timeout 20 env LD_PRELOAD="$PROBE" SD_SANDBOX_PROBE=$call \
		    "$SIGNER" --policy "$T/policy.json" --socket "$SOCK" \
		    --credentials "$T/creds" --foreground 2>&1) || RC=$?
		expect_rc 159
		expect_out "sandboxed (seccomp), ready"
		expect_out "PROBE: trying $call"
		expect_not_out "was not blocked"
	done
else
	t "sandbox"
	skip "$PROBE is missing (make build/signer-sandbox-probe.so)"
fi

if [ "$SKIPPED" -gt 0 ]; then
	echo "($SKIPPED checks skipped)"
fi
if [ -z "$PY" ]; then
	echo "(botocore checks skipped: no python3 with botocore)"
fi
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
