#!/usr/bin/env bash
# tests/uploader/test_aws.sh: the uploader's AWS clients and S3 lock
# (uploader/sd_aws.h, uploader/sd_lock.h) against the local AWS stand-in,
# through build/asan/aws-driver (one operation per run, JSON out).
#
#   bash tests/uploader/test_aws.sh
#   (AWS_DRIVER, SIGNER override the binaries)
#
# Requests are signed by the real signer daemon (build/stepdeploy-signer,
# started here with a test policy naming the current user) when it is
# built and works; otherwise, and for the cases that need a signature the
# signer would refuse to make (a wrong secret, an action outside its
# policy), by the driver's TEST-ONLY in-process signer reading a test
# credentials file. The stand-in checks every signature with botocore.
#
# Checked: every operation; S3 conditional writes (412s); the lock race
# (drivers at once: exactly one acquires), expired-lock takeover (and its
# race), renew, release of a lock taken over, freeze, replayed release ids;
# throttling and 5xx of each service retried until success; a dropped
# connection and a timeout retried; a dropped conditional write recognised
# as our own; retries giving up; a bad signature (403) and an unknown key
# not retried and reported clearly; signer refusals; endpoint rules.
# Timeouts and backoff run at a 100 ms scale. The stand-in (and the signer)
# are killed from the EXIT trap. The last line is "N passed, M failed".
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
STANDIN=$ROOT/tests/standin/standin
DRIVER=${AWS_DRIVER:-$ROOT/build/asan/aws-driver}
SIGNER=${SIGNER:-$ROOT/build/stepdeploy-signer}
PY=/usr/bin/python3
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

if [ ! -x "$DRIVER" ]; then
	echo "$0: $DRIVER is missing (make build/asan/aws-driver)" >&2
	exit 1
fi
if ! [ -x "$PY" ] || ! "$PY" -c 'import botocore' 2>/dev/null; then
	echo "SKIP: test_aws: the stand-in needs Debian's python3-botocore" \
	    "(make deps); the uploader's AWS clients were NOT tested"
	echo "0 passed, 0 failed"
	exit 0
fi

# ---------------------------------------------------------------- scratch, trap
# A short directory: the signer's socket path must stay under 108 bytes.
T=$(mktemp -d /tmp/sdaws.XXXXXX)
chmod 711 "$T"
STANDIN_PID= SIGNER_PID=
BG_PIDS=()
cleanup() {
	local rc=$? p
	for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "$SIGNER_PID" "$STANDIN_PID"; do
		if [ -n "$p" ]; then
			kill "$p" 2>/dev/null || true
			wait "$p" 2>/dev/null || true
		fi
	done
	if [ "$rc" != 0 ] && [ -f "$T/standin.log" ]; then
		echo "--- stand-in log (last 20 lines)"
		tail -n 20 "$T/standin.log"
	fi
	rm -rf "$T"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- helpers
# shellcheck source=checks.sh
source "$HERE/checks.sh"
# Every run: fast timeouts and backoff (100 ms scale).
FAST=(--attempts 4 --backoff-ms 100 --backoff-max-ms 200
      --connect-timeout-ms 1000 --timeout-ms 3000 --poll-ms 100 --wait-ms 10000)
SIGN=()		# set below: the real signer, or the test-only one
drv() { run "$DRIVER" "${FAST[@]}" "${SIGN[@]}" "$@"; }
# The TEST-ONLY in-process signer, for what the signer refuses to sign.
drv_test() {
	run "$DRIVER" "${FAST[@]}" --policy "$T/policy.json" \
	    --test-credentials "${CREDS_FILE:-$T/creds}" "$@"
}
jget() {
	"$PY" -c 'import json,sys
r = json.loads(sys.stdin.read())
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))' "$1" <<<"$OUT" 2>/dev/null ||
	    echo "<no $1>"
}
expect_j() { expect_eq "$1" "$(jget "$1")" "$2"; }
expect_err_lacks() { case $ERR in *"$1"*) bad "stderr has '$1'" ;; *) ok ;; esac; }
control() { # control METHOD WHAT [JSON]
	local data=()
	[ $# -ge 3 ] && data=(-H 'Content-Type: application/json' --data-binary "$3")
	curl -sS --max-time 60 -X "$1" "${data[@]}" "http://127.0.0.1:$P_S3/_standin/$2"
}
faults() { control POST faults "{\"faults\": [$1]}" >/dev/null; }
no_faults() { control DELETE faults >/dev/null; }
last_seq() {
	control GET calls | "$PY" -c 'import json,sys
c = json.load(sys.stdin)["calls"]
print(c[-1]["seq"] if c else 0)'
}
# The statuses of OP's calls after SEQ, comma-separated ("503,503,200").
calls_since() {
	control GET "calls?since=$1&op=$2" | "$PY" -c 'import json,sys
print(",".join(str(c["status"]) + ("d" if c.get("dropped") else "")
               for c in json.load(sys.stdin)["calls"]))'
}
count_calls_since() {
	control GET "calls?since=$1" | "$PY" -c 'import json,sys
print(len(json.load(sys.stdin)["calls"]))'
}
b64sha256() { "$PY" -c 'import hashlib,base64,sys; print(base64.b64encode(hashlib.sha256(open(sys.argv[1],"rb").read()).digest()).decode())' "$1"; }

# ---------------------------------------------------------------- fixtures
AK=AKIDSTANDINTEST
SK='standin/test+secret'
ACCT=000000000000
FN=arn:aws:lambda:us-east-1:$ACCT:function:acme-hello
FN_MISSING=arn:aws:lambda:us-east-1:$ACCT:function:acme-missing
SM=arn:aws:states:us-east-1:$ACCT:stateMachine:acme-hello
SM_MISSING=arn:aws:states:us-east-1:$ACCT:stateMachine:acme-missing
B=acme-stepdeploy
P=acme/hello
C=production
PFX=$P/$C
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$AK" "$SK" >"$T/creds"
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = wrong\n' "$AK" >"$T/creds-wrong"
printf '[default]\naws_access_key_id = AKIDNOBODY\naws_secret_access_key = %s\n' "$SK" >"$T/creds-unknown"
chmod 600 "$T"/creds*
"$PY" - "$T" <<'EOF'
import os, sys, zipfile
t = sys.argv[1]
for name in "abc":
    with zipfile.ZipFile(os.path.join(t, name + ".zip"), "w") as z:
        z.writestr("bootstrap", "#!/bin/sh\necho %s\n" % name)
with open(os.path.join(t, "big.bin"), "wb") as f:
    f.write(os.urandom(2 * 1024 * 1024 + 17))
EOF
echo '{"StartAt":"Hello","States":{"Hello":{"Type":"Pass","End":true}}}' >"$T/def1.json"
echo '{"StartAt":"Hi","States":{"Hi":{"Type":"Succeed"}}}' >"$T/def2.json"
echo '{"StartAt":' >"$T/def-bad.json"
printf '{"release_id":"r-1","project_name":"acme/hello"}' >"$T/release1.json"
printf '{"release_id":"r-2","project_name":"acme/hello"}' >"$T/release2.json"

# ---------------------------------------------------------------- the stand-in
"$STANDIN" --port 0 --port 0 --port 0 --dir "$T/state" --credentials "$T/creds" \
	--update-delay 0.5 --ready-file "$T/ready" >>"$T/standin.log" 2>&1 &
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
      "lambda_arns": ["$FN", "$FN_MISSING"],
      "state_machine_arns": ["$SM", "$SM_MISSING"]
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

# ---------------------------------------------------------------- the signer
MODE=test-only
if [ -x "$SIGNER" ]; then
	SOCK=$T/sign.sock
	"$SIGNER" --policy "$T/policy.json" --socket "$SOCK" --credentials "$T/creds" \
	    --foreground 2> >(exec cat >>"$T/signer.log") &
	SIGNER_PID=$!
	for _ in $(seq 1 100); do
		grep -q 'listening on' "$T/signer.log" 2>/dev/null && break
		kill -0 "$SIGNER_PID" 2>/dev/null || break
		sleep 0.1
	done
	SIGN=(--signer "$SOCK" --policy "$T/policy.json")
	run "$DRIVER" "${FAST[@]}" "${SIGN[@]}" s3-head "$B" "$PFX/nothing-here"
	if [ "$RC" = 1 ] && [ "$(jget 'r["status"]')" = 404 ]; then
		MODE=signer
	else
		echo "note: $SIGNER does not work here (exit $RC: $OUT $ERR):" \
		    "falling back to the test-only in-process signer"
		kill "$SIGNER_PID" 2>/dev/null || true
		wait "$SIGNER_PID" 2>/dev/null || true
		SIGNER_PID=
	fi
else
	echo "note: $SIGNER is not built: requests are signed by the driver's test-only signer"
fi
if [ "$MODE" = test-only ]; then
	SIGN=(--test-credentials "$T/creds" --policy "$T/policy.json")
fi
echo "test_aws: stand-in on 127.0.0.1:$P_S3 (s3) :$P_LAMBDA (lambda) :$P_STATES (states); signing: $MODE"

# ================================================================ S3
t s3-put-create
drv s3-put "$B" "$PFX/obj" --body hello --if-none-match --content-type text/plain
expect_rc 0
expect_j 'r["etag"]' "\"$(printf hello | md5sum | cut -d' ' -f1)\""
expect_j 'r["attempts"]' 1
ETAG1=$(jget 'r["etag"]')

t s3-put-if-none-match-412
drv s3-put "$B" "$PFX/obj" --body other --if-none-match
expect_rc 1
expect_j 'r["kind"]' "precondition failed"
expect_j 'r["status"]' 412
expect_j 'r["code"]' PreconditionFailed
expect_j 'r["attempts"]' 1
expect_j 'r["maybe_applied"]' false
expect_j 'r["error"]' "S3 PutObject s3://$B/$PFX/obj: HTTP 412 PreconditionFailed: At least one of the pre-conditions you specified did not hold"

t s3-get
drv s3-get "$B" "$PFX/obj"
expect_rc 0
expect_j 'r["body"]' hello
expect_j 'r["etag"]' "$ETAG1"
expect_j 'r["size"]' 5

t s3-get-if-match
drv s3-get "$B" "$PFX/obj" --if-match "$ETAG1"
expect_rc 0
drv s3-get "$B" "$PFX/obj" --if-match '"0123"'
expect_rc 1
expect_j 'r["status"]' 412

t s3-head
drv s3-head "$B" "$PFX/obj"
expect_rc 0
expect_j 'r["size"]' 5
expect_j 'r["etag"]' "$ETAG1"
drv s3-head "$B" "$PFX/nope"
expect_rc 1
expect_j 'r["kind"]' "not found"
expect_j 'r["code"]' NotFound

t s3-put-if-match
drv s3-put "$B" "$PFX/obj" --body v2 --if-match "$ETAG1"
expect_rc 0
ETAG2=$(jget 'r["etag"]')
expect_eq "new ETag" "$ETAG2" "\"$(printf v2 | md5sum | cut -d' ' -f1)\""
drv s3-put "$B" "$PFX/obj" --body v3 --if-match "$ETAG1"
expect_rc 1
expect_j 'r["status"]' 412
drv s3-put "$B" "$PFX/missing" --body v3 --if-match "$ETAG1"
expect_rc 1
expect_j 'r["kind"]' "not found"
expect_j 'r["code"]' NoSuchKey

t s3-put-file
SHA=$(sha256sum "$T/big.bin" | cut -d' ' -f1)
drv s3-put "$B" "$PFX/r-1/big.bin" --file "$T/big.bin" --sha256 "$SHA" --content-type application/zip
expect_rc 0
expect_j 'r["etag"]' "\"$(md5sum "$T/big.bin" | cut -d' ' -f1)\""
drv s3-head "$B" "$PFX/r-1/big.bin"
expect_j 'r["size"]' "$(stat -c %s "$T/big.bin")"
t s3-put-file-wrong-sha256
drv s3-put "$B" "$PFX/r-1/big2.bin" --file "$T/big.bin" --sha256 "$(sha256sum "$T/a.zip" | cut -d' ' -f1)"
expect_rc 1
expect_j 'r["code"]' XAmzContentSHA256Mismatch
expect_j 'r["attempts"]' 1

t s3-no-such-key
drv s3-get "$B" "$PFX/nope"
expect_rc 1
expect_j 'r["kind"]' "not found"
expect_j 'r["rc"]' -7
expect_has "HTTP 404 NoSuchKey: The specified key does not exist."

t s3-response-cap
drv s3-get "$B" "$PFX/obj" --max 1
expect_rc 1
expect_has "the answer is larger than 1 bytes"
expect_j 'r["attempts"]' 1

t s3-delete
drv s3-put "$B" "$PFX/del" --body d
ETAG=$(jget 'r["etag"]')
drv s3-delete "$B" "$PFX/del" --if-match '"stale"'
expect_rc 1
expect_j 'r["status"]' 412
drv s3-delete "$B" "$PFX/del" --if-match "$ETAG"
expect_rc 0
expect_j 'r["status"]' 204
drv s3-delete "$B" "$PFX/del" --if-match "$ETAG"
expect_rc 1
expect_j 'r["kind"]' "not found"
drv s3-delete "$B" "$PFX/del"
expect_rc 0

t endpoints-explicit
run "$DRIVER" "${FAST[@]}" --test-credentials "$T/creds" --s3 "http://127.0.0.1:$P_S3/" \
    --lambda "http://127.0.0.1:$P_LAMBDA" --states "http://[::1]:1" s3-get "$B" "$PFX/obj"
expect_rc 0
expect_j 'r["body"]' v2
t endpoint-http-not-loopback
run "$DRIVER" "${FAST[@]}" --test-credentials "$T/creds" --s3 http://s3.example.com s3-get "$B" "$PFX/obj"
expect_rc 1
expect_has "plain http is allowed only to a loopback host"

# ================================================================ Lambda
control POST config '{"lambda_update_delay": 0.5}' >/dev/null

t lambda-get
drv lambda-get "$FN" --download "$T/current.zip"
expect_rc 0
expect_j 'r["code_sha256"]' "$(b64sha256 "$T/a.zip")"
expect_j 'r["downloaded_sha256"]' "$(b64sha256 "$T/a.zip")"
expect_j 'r["state"]' Active
expect_j 'r["last_update_status"]' Successful
expect_j 'r["tags"]["DeployWith"]' stepdeploy
if cmp -s "$T/a.zip" "$T/current.zip"; then ok; else bad "the downloaded zip differs"; fi
REV=$(jget 'r["revision_id"]')

t lambda-download-checked
# A bad token (the stand-in answers as S3 does for a presigned URL); the
# URL's query - a credential on AWS - is never shown.
drv download "http://127.0.0.1:$P_LAMBDA/_standin/code/acme-hello/x.zip?expires=1&token=bad" "$T/bad.zip"
expect_rc 1
expect_j 'r["status"]' 403
expect_j 'r["code"]' AccessDenied
expect_has "S3 download http://127.0.0.1:$P_LAMBDA/_standin/code/acme-hello/x.zip: HTTP 403 AccessDenied: "
expect_err_lacks "token=bad"
if [ -e "$T/bad.zip" ]; then bad "a failed download left its file"; else ok; fi
drv download "https://127.0.0.1:1/x?X-Amz-Security-Token=secret" "$T/x.zip" --attempts 1
expect_rc 1
case $OUT in *secret*) bad "the URL's query was shown" ;; *) ok ;; esac
run "$DRIVER" "${FAST[@]}" --test-credentials "$T/creds" --s3 https://s3.example.com \
    --lambda https://lambda.example.com --states https://states.example.com \
    download "http://127.0.0.1:$P_LAMBDA/x" "$T/y.zip"
expect_rc 1
expect_has "no http loopback endpoint"

t lambda-get-configuration
drv lambda-config "$FN"
expect_rc 0
expect_j 'r["revision_id"]' "$REV"
expect_j 'r["version"]' '$LATEST'
drv lambda-config "$FN" --qualifier '$LATEST'
expect_rc 0

t lambda-list-tags
drv lambda-tags "$FN"
expect_rc 0
expect_j 'r["tags"]' '{"ConfigName": "production", "DeployWith": "stepdeploy", "ProjectName": "acme/hello"}'

t lambda-update-code-zip
drv lambda-update-code "$FN" --zip "$T/b.zip" --revision-id "$REV"
expect_rc 0
expect_j 'r["last_update_status"]' InProgress
expect_j 'r["code_sha256"]' "$(b64sha256 "$T/b.zip")"
t lambda-update-in-progress-conflict
drv lambda-update-code "$FN" --zip "$T/c.zip"
expect_rc 1
expect_j 'r["kind"]' conflict
expect_j 'r["code"]' ResourceConflictException
expect_j 'r["status"]' 409
expect_j 'r["attempts"]' 1
t lambda-wait-updated
drv lambda-wait "$FN"
expect_rc 0
expect_j 'r["last_update_status"]' Successful
expect_j 'r["code_sha256"]' "$(b64sha256 "$T/b.zip")"
t lambda-wait-times-out
drv lambda-update-code "$FN" --zip "$T/a.zip"
expect_rc 0
drv lambda-wait "$FN" --wait-ms 150
expect_rc 1
expect_has "still InProgress after 150 ms"
drv lambda-wait "$FN"
expect_rc 0
t lambda-update-stale-revision
drv lambda-update-code "$FN" --zip "$T/c.zip" --revision-id "$REV"
expect_rc 1
expect_j 'r["kind"]' "precondition failed"
expect_j 'r["code"]' PreconditionFailedException
expect_j 'r["status"]' 412

t lambda-update-code-s3
sleep 0.3
drv s3-put "$B" "$PFX/r-2/lambda.zip" --file "$T/c.zip" --sha256 "$(sha256sum "$T/c.zip" | cut -d' ' -f1)"
expect_rc 0
drv lambda-wait "$FN"
drv lambda-update-code "$FN" --s3-code "$B/$PFX/r-2/lambda.zip"
expect_rc 0
expect_j 'r["code_sha256"]' "$(b64sha256 "$T/c.zip")"
drv lambda-wait "$FN"
expect_rc 0
REV=$(jget 'r["revision_id"]')

t lambda-publish-version
drv lambda-publish "$FN" --code-sha256 "$(b64sha256 "$T/c.zip")" --revision-id "$REV" --description d1
expect_rc 0
expect_j 'r["version"]' 1
expect_j 'r["status"]' 201
drv lambda-publish "$FN" --code-sha256 "$(b64sha256 "$T/a.zip")"
expect_rc 1
expect_j 'r["code"]' InvalidParameterValueException
expect_j 'r["kind"]' refused

t lambda-not-found
drv lambda-get "$FN_MISSING"
expect_rc 1
expect_j 'r["kind"]' "not found"
expect_j 'r["code"]' ResourceNotFoundException
expect_has "Lambda GetFunction $FN_MISSING: HTTP 404 ResourceNotFoundException: Function not found"

t lambda-name-not-arn
drv lambda-get acme-hello
expect_rc 1
expect_has "name the function by its full ARN"
expect_j 'r["attempts"]' 0

# ================================================================ Step Functions
t sfn-describe
drv sfn-describe "$SM"
expect_rc 0
expect_j 'r["definition"]' "$(cat "$T/def1.json")"
expect_j 'r["sm_status"]' ACTIVE
SMREV=$(jget 'r["revision_id"]')

t sfn-update
drv sfn-update "$SM" --definition "$T/def2.json" --publish --version-description "release r-1"
expect_rc 0
expect_j 'r["version_arn"]' "$SM:1"
drv sfn-describe "$SM"
expect_j 'r["definition"]' "$(cat "$T/def2.json")"
if [ "$(jget 'r["revision_id"]')" != "$SMREV" ]; then ok; else bad "revisionId unchanged"; fi
# A version ARN: the signer signs unqualified ARNs only, so through the
# test-only signer (the client takes it; the deploy flow verifies the
# machine itself, not the version).
drv_test sfn-describe "$SM:1"
expect_rc 0
expect_j 'r["definition"]' "$(cat "$T/def2.json")"
if [ "$MODE" = signer ]; then
	drv sfn-describe "$SM:1"
	expect_rc 1
	expect_has "is not an unqualified state machine ARN"
fi

t sfn-update-invalid-definition
drv sfn-update "$SM" --definition "$T/def-bad.json"
expect_rc 1
expect_j 'r["code"]' InvalidDefinition
expect_j 'r["kind"]' refused
expect_j 'r["attempts"]' 1

t sfn-list-tags
drv sfn-tags "$SM"
expect_rc 0
expect_j 'r["tags"]["ConfigName"]' production

t sfn-not-found
drv sfn-describe "$SM_MISSING"
expect_rc 1
expect_j 'r["kind"]' "not found"
expect_j 'r["code"]' StateMachineDoesNotExist

t sfn-publish-version
if [ "$MODE" = signer ]; then
	drv sfn-publish "$SM"
	expect_rc 1
	expect_j 'r["kind"]' "not signed"
	expect_j 'r["attempts"]' 0
	expect_has "action AWSStepFunctions.PublishStateMachineVersion is not allowed"
fi
drv_test sfn-update "$SM" --definition "$T/def1.json"
SMREV=$(jget 'r["revision_id"]')
drv_test sfn-publish "$SM" --revision-id "$SMREV" --description "v2"
expect_rc 0
expect_j 'r["version_arn"]' "$SM:2"
drv_test sfn-publish "$SM" --revision-id "stale-revision"
expect_rc 1
expect_j 'r["code"]' ConflictException
expect_j 'r["kind"]' conflict

# ================================================================ signing failures
t bad-signature-403-not-retried
for op in "s3-get $B $PFX/obj|SignatureDoesNotMatch" \
    "lambda-config $FN|InvalidSignatureException" \
    "sfn-describe $SM|InvalidSignatureException"; do
	SEQ=$(last_seq)
	# shellcheck disable=SC2086
	CREDS_FILE=$T/creds-wrong drv_test ${op%%|*}
	expect_rc 1
	expect_j 'r["kind"]' denied
	expect_j 'r["status"]' 403
	expect_j 'r["code"]' "${op#*|}"
	expect_j 'r["attempts"]' 1
	expect_has "HTTP 403 ${op#*|}: The request signature we calculated does not match"
	expect_err_lacks "try 2"
	expect_eq "requests sent" "$(count_calls_since "$SEQ")" 1
done
t unknown-access-key
CREDS_FILE=$T/creds-unknown drv_test lambda-tags "$FN"
expect_rc 1
expect_j 'r["code"]' UnrecognizedClientException
expect_j 'r["kind"]' denied
CREDS_FILE=$T/creds-unknown drv_test s3-head "$B" "$PFX/obj"
expect_rc 1
expect_j 'r["status"]' 403

if [ "$MODE" = signer ]; then
	t signer-refuses
	SEQ=$(last_seq)
	drv s3-put evil-bucket "$PFX/x" --body x
	expect_rc 1
	expect_j 'r["kind"]' "not signed"
	expect_j 'r["attempts"]' 0
	expect_has "S3 PutObject s3://evil-bucket/$PFX/x: not signed: signer: policy: S3: bucket evil-bucket is not the bucket of any project"
	drv s3-put "$B" "other/project/x" --body x
	expect_rc 1
	expect_has "is not under PROJECT/CONFIG/"
	expect_eq "requests sent" "$(count_calls_since "$SEQ")" 0
fi

# ================================================================ retries
t throttling-retried
for spec in "GetObject|503|s3-get $B $PFX/obj" \
    "GetFunctionConfiguration|429|lambda-config $FN" \
    "DescribeStateMachine|400|sfn-describe $SM"; do
	IFS='|' read -r op status args <<<"$spec"
	SEQ=$(last_seq)
	faults "{\"op\": \"$op\", \"fault\": \"throttle\", \"times\": 2}"
	# shellcheck disable=SC2086
	drv $args
	expect_rc 0
	expect_j 'r["attempts"]' 3
	expect_eq "$op calls" "$(calls_since "$SEQ" "$op")" "$status,$status,200"
done
no_faults

t server-errors-retried
for spec in "PutObject|InternalError|s3-put $B $PFX/retry --body x" \
    "ListTags|ServiceException|lambda-tags $FN" \
    "ListTagsForResource|InternalFailure|sfn-tags $SM"; do
	IFS='|' read -r op code args <<<"$spec"
	SEQ=$(last_seq)
	faults "{\"op\": \"$op\", \"fault\": \"500\", \"times\": 2}"
	# shellcheck disable=SC2086
	drv $args
	expect_rc 0
	expect_j 'r["attempts"]' 3
	expect_eq "$op calls" "$(calls_since "$SEQ" "$op")" "500,500,200"
	expect_err_has "HTTP 500 $code; try 2 of 4"
done
no_faults

t retries-give-up
faults '{"op": "lambda:GetFunction", "fault": "throttle"}'
drv lambda-get "$FN"
expect_rc 1
expect_j 'r["attempts"]' 4
expect_j 'r["kind"]' throttled
expect_has "HTTP 429 TooManyRequestsException: Rate exceeded (after 4 tries)"
no_faults

t dropped-connection-retried
SEQ=$(last_seq)
faults '{"op": "GetFunction", "fault": "drop", "times": 1}'
drv lambda-get "$FN"
expect_rc 0
expect_j 'r["attempts"]' 2
expect_err_has "transfer closed with"
expect_eq "calls" "$(calls_since "$SEQ" GetFunction)" "200d,200"
SEQ=$(last_seq)
faults '{"op": "PutObject", "fault": "drop", "when": "before", "times": 1}'
drv s3-put "$B" "$PFX/dropped" --body x
expect_rc 0
expect_j 'r["attempts"]' 2
expect_j 'r["maybe_applied"]' true
no_faults

t dropped-conditional-write-is-ours
faults '{"op": "PutObject", "fault": "drop", "times": 1}'
drv s3-put "$B" "$PFX/cond" --body mine --if-none-match
# The first try was applied, its answer lost: the retry is refused by its
# own condition, and says so.
expect_rc 1
expect_j 'r["status"]' 412
expect_j 'r["maybe_applied"]' true
expect_j 'r["attempts"]' 2
no_faults

t timeout-retried
faults '{"op": "GetObject", "fault": "delay", "seconds": 20, "times": 1}'
drv s3-get "$B" "$PFX/obj" --timeout-ms 500
expect_rc 0
expect_j 'r["attempts"]' 2
expect_err_has "Operation timed out after"
control POST release '{}' >/dev/null
no_faults

t connection-refused
drv_test --s3 http://127.0.0.1:1 s3-get "$B" "$PFX/obj"
# (--s3 overrides the policy's endpoint)
expect_rc 1
expect_j 'r["kind"]' "no answer"
expect_j 'r["attempts"]' 4
expect_has "no answer: "
expect_has "(after 4 tries)"

# ================================================================ the lock
NOW=$(date +%s)
t lock-acquire
drv lock-acquire "$B" "$P" "$C" r-1 --holder "deployer-A"
expect_rc 0
expect_j 'r["key"]' "$PFX/lock"
LOCK_ETAG=$(jget 'r["etag"]')
drv lock-read "$B" "$P" "$C"
expect_rc 0
expect_j 'r["lock"]["release_id"]' r-1
expect_j 'r["lock"]["holder"]' deployer-A
expect_j 'r["lock"]["etag"]' "$LOCK_ETAG"
drv s3-get "$B" "$PFX/lock"
expect_has '{\"release_id\":\"r-1\",\"holder\":\"deployer-A\",\"acquired_at\":\"'

t lock-held
drv lock-acquire "$B" "$P" "$C" r-2 --holder deployer-B
expect_rc 1
expect_has "acme/hello production is locked by deployer-A for release r-1 since"
expect_j 'r["held"]["release_id"]' r-1
expect_j 'r["held"]["holder"]' deployer-A

t lock-release
drv lock-release "$B" "$P" "$C" r-1 --etag '"not-the-etag"'
expect_rc 1
expect_has "is no longer ours"
drv lock-release "$B" "$P" "$C" r-1 --etag "$LOCK_ETAG"
expect_rc 0
drv lock-read "$B" "$P" "$C"
expect_rc 1
expect_j 'r["rc"]' -7

t lock-renew
drv lock-acquire "$B" "$P" "$C" r-3 --holder deployer-C --lease 60 --now "$NOW"
E1=$(jget 'r["etag"]')
expect_j 'r["expires_at"]' $((NOW + 60))
drv lock-renew "$B" "$P" "$C" r-3 --holder deployer-C --lease 600 --now $((NOW + 30)) --etag "$E1"
expect_rc 0
expect_j 'r["expires_at"]' $((NOW + 630))
E2=$(jget 'r["etag"]')
if [ "$E1" != "$E2" ]; then ok; else bad "renew kept the ETag"; fi
drv lock-release "$B" "$P" "$C" r-3 --etag "$E1"
expect_rc 1
drv lock-release "$B" "$P" "$C" r-3 --etag "$E2"
expect_rc 0

t lock-race
for round in 1 2 3 4 5 6; do
	n=2
	[ "$round" -gt 4 ] && n=6
	rm -f "$T"/race.* "$T/go"
	pids=()
	for i in $(seq 1 "$n"); do
		( while [ ! -e "$T/go" ]; do sleep 0.005; done
		  exec "$DRIVER" "${FAST[@]}" "${SIGN[@]}" lock-acquire "$B" "$P" "$C" \
		      "r-race-$round-$i" --holder "racer-$i" ) >"$T/race.$i" 2>"$T/race.$i.err" &
		pids+=($!)
		BG_PIDS+=($!)
	done
	sleep 0.2
	touch "$T/go"
	for p in "${pids[@]}"; do wait "$p" || true; done
	winners=$(grep -l '"ok":true' "$T"/race.[0-9] | wc -l)
	losers=$(grep -l 'is locked by racer-' "$T"/race.[0-9] | wc -l)
	CMD="round $round: $n drivers at once"
	OUT=$(cat "$T"/race.[0-9])
	ERR=$(cat "$T"/race.*.err)
	expect_eq "winners of $n" "$winners" 1
	expect_eq "losers told who holds it" "$losers" $((n - 1))
	case $ERR in *Sanitizer*|*"runtime error:"*) bad "sanitizer report" ;; esac
	w=$(grep -l '"ok":true' "$T"/race.[0-9] | head -1)
	OUT=$(cat "$w")
	drv lock-release "$B" "$P" "$C" "r-race" --etag "$(jget 'r["etag"]')"
	expect_rc 0
done

t lock-expired-takeover
drv lock-acquire "$B" "$P" "$C" r-old --holder deployer-old --lease 60 --now $((NOW - 1000))
expect_rc 0
OLD_ETAG=$(jget 'r["etag"]')
drv lock-acquire "$B" "$P" "$C" r-new --holder deployer-new --now $((NOW - 990))
expect_rc 1
expect_has "locked by deployer-old for release r-old"
drv lock-acquire "$B" "$P" "$C" r-new --holder deployer-new --lease 600
expect_rc 0
expect_j 'r["took_over"]["holder"]' deployer-old
expect_j 'r["took_over"]["release_id"]' r-old
NEW_ETAG=$(jget 'r["etag"]')
t lock-release-after-takeover
drv lock-release "$B" "$P" "$C" r-old --etag "$OLD_ETAG"
expect_rc 1
expect_has "the lock for release r-old is no longer ours: deployer-new holds it for release r-new; left alone"
drv lock-read "$B" "$P" "$C"
expect_j 'r["lock"]["holder"]' deployer-new
drv lock-renew "$B" "$P" "$C" r-old --etag "$OLD_ETAG"
expect_rc 1
expect_has "no longer ours"
drv lock-release "$B" "$P" "$C" r-new --etag "$NEW_ETAG"
expect_rc 0

t lock-takeover-race
drv lock-acquire "$B" "$P" "$C" r-stale --holder deployer-stale --lease 10 --now $((NOW - 100))
expect_rc 0
rm -f "$T"/race.* "$T/go"
pids=()
for i in 1 2 3 4; do
	( while [ ! -e "$T/go" ]; do sleep 0.005; done
	  exec "$DRIVER" "${FAST[@]}" "${SIGN[@]}" lock-acquire "$B" "$P" "$C" \
	      "r-taker-$i" --holder "taker-$i" ) >"$T/race.$i" 2>"$T/race.$i.err" &
	pids+=($!)
	BG_PIDS+=($!)
done
sleep 0.2
touch "$T/go"
for p in "${pids[@]}"; do wait "$p" || true; done
OUT=$(cat "$T"/race.[0-9])
expect_eq "takers that won" "$(grep -l '"ok":true' "$T"/race.[0-9] | wc -l)" 1
expect_eq "winner took over the stale lock" "$(grep -l '"took_over":{[^}]*"holder":"deployer-stale"' "$T"/race.[0-9] | wc -l)" 1
OUT=$(cat "$(grep -l '"ok":true' "$T"/race.[0-9] | head -1)")
drv lock-release "$B" "$P" "$C" r-x --etag "$(jget 'r["etag"]')"
expect_rc 0

t lock-dropped-put-is-ours
SEQ=$(last_seq)
faults '{"op": "PutObject", "path": "/lock", "fault": "drop", "times": 1}'
drv lock-acquire "$B" "$P" "$C" r-drop --holder deployer-drop --log-level info
expect_rc 0
expect_err_has "an earlier try was applied (the object is ours)"
expect_eq "PutObject calls" "$(calls_since "$SEQ" PutObject)" "200d,412"
drv lock-read "$B" "$P" "$C"
expect_j 'r["lock"]["holder"]' deployer-drop
no_faults
drv lock-release "$B" "$P" "$C" r-drop --etag "$(jget 'r["lock"]["etag"]')"
expect_rc 0

t lock-dropped-delete
drv lock-acquire "$B" "$P" "$C" r-dd --holder deployer-dd
E=$(jget 'r["etag"]')
faults '{"op": "DeleteObject", "path": "/lock", "fault": "drop", "times": 1}'
drv lock-release "$B" "$P" "$C" r-dd --etag "$E"
expect_rc 0
no_faults
drv lock-read "$B" "$P" "$C"
expect_rc 1
expect_j 'r["rc"]' -7

t freeze
drv freeze "$B" "$P" "$C" --by alice --reason "incident 42: hold all deploys" --now "$NOW"
expect_rc 0
drv freeze-read "$B" "$P" "$C"
expect_rc 0
expect_j 'r["frozen"]["by"]' alice
expect_j 'r["frozen"]["at"]' "$NOW"
drv lock-acquire "$B" "$P" "$C" r-f --holder deployer-f
expect_rc 1
expect_has "acme/hello production is frozen by alice since $(date -u -d "@$NOW" +%Y-%m-%dT%H:%M:%SZ): incident 42: hold all deploys"
expect_j 'r["frozen"]["reason"]' "incident 42: hold all deploys"
drv lock-read "$B" "$P" "$C"
expect_rc 1
t freeze-twice
drv freeze "$B" "$P" "$C" --by bob --reason "me too"
expect_rc 1
expect_has "already frozen: acme/hello production is frozen by alice"
t unfreeze
drv unfreeze "$B" "$P" "$C"
expect_rc 0
drv unfreeze "$B" "$P" "$C"
expect_rc 0
drv lock-acquire "$B" "$P" "$C" r-f --holder deployer-f
expect_rc 0
F_ETAG=$(jget 'r["etag"]')
t freeze-while-held
drv freeze "$B" "$P" "$C" --by carol
expect_rc 0
drv lock-release "$B" "$P" "$C" r-f --etag "$F_ETAG"
expect_rc 0
drv lock-acquire "$B" "$P" "$C" r-g
expect_rc 1
expect_has "is frozen by carol since"
expect_has "(no reason given)"
drv unfreeze "$B" "$P" "$C"

t replayed-release-id
drv claim-release "$B" "$P" "$C" r-1 --file "$T/release1.json"
expect_rc 0
drv s3-get "$B" "$PFX/r-1/release.json"
expect_j 'r["body"]' "$(cat "$T/release1.json")"
drv claim-release "$B" "$P" "$C" r-1 --file "$T/release1.json"
expect_rc 1
expect_has "release r-1 of acme/hello production was submitted before (s3://$B/$PFX/r-1/release.json exists"
expect_has "a release id is never deployed twice"
drv claim-release "$B" "$P" "$C" r-1 --file "$T/release2.json"
expect_rc 1
drv claim-release "$B" "$P" "$C" r-2 --file "$T/release2.json"
expect_rc 0
t claim-dropped-is-ours
faults '{"op": "PutObject", "path": "/r-3/", "fault": "drop", "times": 1}'
drv claim-release "$B" "$P" "$C" r-3 --file "$T/release1.json" --log-level info
expect_rc 0
expect_err_has "an earlier try was applied"
no_faults
t lock-bad-names
drv lock-acquire "$B" "acme" "$C" r-1
expect_rc 1
expect_has "is not a project name"
drv lock-acquire "$B" "$P" "$C" "../r"
expect_rc 1
expect_has "is not a release id"

# ---------------------------------------------------------------- the signer's log
if [ "$MODE" = signer ]; then
	t signer-logged
	if grep -q "signed s3:PutObject s3://$B/$PFX/lock for project acme/hello" "$T/signer.log"; then
		ok
	else
		bad "the signer did not log the lock's PutObject"
	fi
fi

up_end
