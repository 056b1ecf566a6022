#!/usr/bin/env bash
# tests/cli/test_sign.sh: `stepdeploy sign` over every case of AWS's SigV4
# test suite ($SHARED/sigv4-testsuite/v4, SHARED defaulting to ../shared
# beside the repository): the signed request (header form) and the
# presigned URL (--query) must match header-signed-request.txt and
# query-signed-request.txt byte for byte, --json the signature files, and
# --explain the canonical requests and strings to sign. Then stdin, --help
# and the bad-input paths (exit 2, one line on stderr, never the secret).
#
#   STEPDEPLOY=build/asan/stepdeploy bash tests/cli/test_sign.sh
set -euo pipefail

# ---------------------------------------------------------------- helpers
# (the same block heads every tests/cli/test_*.sh)
#
# run ARGS...          run $STEPDEPLOY (stdin: $STDIN, default /dev/null);
#                      sets OUT, ERR, RC and MS (wall ms)
# t NAME               name the case the next checks belong to
# expect_status S      exit code matches S (0 SUCCEEDED, else 1) and stdout
#                      is one JSON object whose "status" is S
# expect_json K V      top-level key K equals the JSON value V (written
#                      compact, in the engine's key order, for the grep
#                      fallback used when python3 is missing)
# expect_absent K      top-level key K is left out
# expect_has K SUB     string K contains SUB
# expect_names STATE   the error or the cause names STATE
# expect_types "T..."  history event types are exactly these
# expect_types_has "T..."  these history event types occur, in this order
# expect_usage [SUB]   exit 2, nothing on stdout, a message on stderr (with SUB)
# expect_faster MS     the run took less than MS milliseconds
# expect_py DESC EXPR  a python3 check (r = stdout's JSON); skipped without python3
: "${STEPDEPLOY:?set STEPDEPLOY to the stepdeploy binary to test}"
case $STEPDEPLOY in /*) ;; *) STEPDEPLOY=$PWD/$STEPDEPLOY ;; esac
if [ ! -x "$STEPDEPLOY" ]; then
	echo "$0: STEPDEPLOY=$STEPDEPLOY is not an executable" >&2
	exit 1
fi
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DEFS=$ROOT/tests/data/definitions
T=$(mktemp -d "${TMPDIR:-/tmp}/stepdeploy-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT
PY=python3
if [ -n "${CLI_TEST_NO_PYTHON:-}" ] || ! command -v python3 >/dev/null 2>&1; then
	PY=
fi
TIMEOUT=
if command -v timeout >/dev/null 2>&1; then
	TIMEOUT="timeout ${CLI_TEST_TIMEOUT:-60}"
fi
PASSED=0 FAILED=0 SKIPPED=0 CASE=- CMD= OUT= ERR= RC=0 MS=0

now_ms() { echo $(($(date +%s%N) / 1000000)); }
t() { CASE=$1; }
ok() { PASSED=$((PASSED + 1)); }
bad() {
	FAILED=$((FAILED + 1))
	printf 'FAIL [%s] %s\n    $ %s\n    exit %s; stdout: %.800s\n    stderr: %.800s\n' \
	    "$CASE" "$1" "$CMD" "$RC" "$OUT" "$ERR"
}
# mkjson FILE TEXT: write TEXT to $T/FILE.
mkjson() { printf '%s\n' "$2" >"$T/$1"; }

run() {
	local start
	CMD="stepdeploy $*"
	RC=0
	start=$(now_ms)
	$TIMEOUT "$STEPDEPLOY" "$@" >"$T/out" 2>"$T/err" <"${STDIN:-/dev/null}" || RC=$?
	MS=$(($(now_ms) - start))
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
	if grep -qE 'Sanitizer|runtime error:' "$T/err"; then
		bad "sanitizer report on stderr"
	fi
	if [ -n "$TIMEOUT" ] && [ "$RC" -eq 124 ]; then
		bad "still running after ${CLI_TEST_TIMEOUT:-60} s (killed)"
	fi
	return 0
}

PYLIB='
import json, sys
def eq(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(eq(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(eq(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b
def subseq(want, have):
    it = iter(have)
    return all(any(w == h for h in it) for w in want)
try:
    with open(sys.argv[1]) as f:
        r = json.load(f)
except ValueError:
    sys.exit(3)
args = sys.argv[3:]
hist = r.get("history") if isinstance(r, dict) else None
types = [e.get("type") if isinstance(e, dict) else None for e in hist] \
    if isinstance(hist, list) else None
try:
    good = eval(sys.argv[2])
except Exception:
    good = False
sys.exit(0 if good else 1)
'
pyq() { python3 -c "$PYLIB" "$T/out" "$@"; }
# The compact output without its history (the grep fallbacks look there).
top() {
	case $OUT in
	*',"history":'*) printf '%s}\n' "${OUT%%,\"history\":*}" ;;
	*) printf '%s\n' "$OUT" ;;
	esac
}
# The history's event types, one line each, from the compact output.
grep_types() { grep -o '"type":"[A-Za-z]*"' "$T/out" | sed 's/"type":"//; s/"$//'; }

expect_status() {
	local want=1 good=0
	[ "$1" = SUCCEEDED ] && want=0
	if [ "$RC" = "$want" ]; then ok; else bad "exit status $RC, want $want for $1"; fi
	if [ -n "$PY" ]; then
		pyq 'isinstance(r, dict) and r.get("status") == args[0]' "$1" && good=1
	else
		case $OUT in "{\"status\":\"$1\""*"}") good=1 ;; esac
	fi
	if [ "$good" = 1 ]; then ok; else bad "stdout is not one JSON object with status $1"; fi
}
expect_json() {
	local good=0
	if [ -n "$PY" ]; then
		pyq 'isinstance(r, dict) and args[0] in r and eq(r[args[0]], json.loads(args[1]))' \
		    "$1" "$2" && good=1
	else
		top | grep -qF -e "\"$1\":$2," -e "\"$1\":$2}" && good=1
	fi
	if [ "$good" = 1 ]; then ok; else bad "$1 is not $2"; fi
}
expect_absent() {
	local good=0
	if [ -n "$PY" ]; then
		pyq 'isinstance(r, dict) and args[0] not in r' "$1" && good=1
	else
		top | grep -qF "\"$1\":" || good=1
	fi
	if [ "$good" = 1 ]; then ok; else bad "$1 should be left out"; fi
}
expect_has() {
	local good=0
	if [ -n "$PY" ]; then
		pyq 'isinstance(r, dict) and isinstance(r.get(args[0]), str) and args[1] in r[args[0]]' \
		    "$1" "$2" && good=1
	else
		top | grep -qF -- "$2" && good=1
	fi
	if [ "$good" = 1 ]; then ok; else bad "$1 does not contain \"$2\""; fi
}
expect_names() {
	local good=0
	if [ -n "$PY" ]; then
		pyq 'isinstance(r, dict) and args[0] in "%s %s" % (r.get("error") or "", r.get("cause") or "")' \
		    "$1" && good=1
	else
		top | grep -qF -- "$1" && good=1
	fi
	if [ "$good" = 1 ]; then ok; else bad "neither error nor cause names \"$1\""; fi
}
expect_types() {
	local good=0
	if [ -n "$PY" ]; then
		pyq 'types == args[0].split()' "$1" && good=1
	else
		[ "$(grep_types | tr '\n' ' ')" = "$1 " ] && good=1
	fi
	if [ "$good" = 1 ]; then ok; else bad "history types are not: $1"; fi
}
expect_types_has() {
	local good=0 want have
	if [ -n "$PY" ]; then
		pyq 'types is not None and subseq(args[0].split(), types)' "$1" && good=1
	else
		have=$(grep_types | tr '\n' ' ')
		good=1
		for want in $1; do
			case " $have" in
			*" $want "*) have=${have#*"$want "} ;;
			*) good=0 ;;
			esac
		done
	fi
	if [ "$good" = 1 ]; then ok; else bad "history lacks, in order: $1"; fi
}
expect_usage() {
	if [ "$RC" = 2 ]; then ok; else bad "exit status $RC, want 2"; fi
	if [ -z "$OUT" ]; then ok; else bad "stdout should be empty"; fi
	if [ -n "$ERR" ]; then ok; else bad "no message on stderr"; fi
	if [ $# -gt 0 ]; then
		if grep -qF -- "$1" "$T/err"; then ok; else bad "stderr does not mention \"$1\""; fi
	fi
}
expect_faster() {
	if [ "$MS" -lt "$1" ]; then ok; else bad "took $MS ms, want < $1 ms"; fi
}
expect_py() {
	if [ -z "$PY" ]; then
		SKIPPED=$((SKIPPED + 1))
		return 0
	fi
	if pyq "$2" "${@:3}"; then ok; else bad "$1"; fi
}
finish() {
	if [ "$SKIPPED" -gt 0 ]; then
		echo "($SKIPPED checks skipped: they need python3)" >&2
	fi
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}
# ---------------------------------------------------------------- sign helpers
SUITE=${SHARED:-$ROOT/../shared}/sigv4-testsuite/v4
# same FILE WHAT: stdout ($T/out) is FILE byte for byte.
same() {
	if cmp -s "$T/out" "$1"; then ok; else
		bad "$2 differs from $1: $(diff "$T/out" "$1" | head -n 6 | tr '\n' '|')"
	fi
}
# section NAME: the text of an --explain section (up to the next "--- ").
section() {
	awk -v want="--- $1" '
		$0 == want { on = 1; next }
		/^--- / { on = 0 }
		on { if (n++) printf "\n"; printf "%s", $0 }' "$T/out"
}
expect_one_line_error() {
	expect_usage "$@"
	if [ "$(wc -l <"$T/err")" -eq 1 ]; then ok; else bad "stderr is not one line"; fi
}

# ---------------------------------------------------------------- the suite
if [ ! -d "$SUITE" ]; then
	echo "$0: the SigV4 test suite is not in $SUITE (set SHARED)" >&2
	exit 1
fi
ncases=0
for dir in "$SUITE"/*/; do
	dir=${dir%/}
	[ -f "$dir/request.txt" ] || continue
	name=${dir##*/}
	ncases=$((ncases + 1))

	t "$name: header form"
	run sign --request "$dir/request.txt" --context "$dir/context.json"
	if [ "$RC" = 0 ]; then ok; else bad "exit $RC"; fi
	same "$dir/header-signed-request.txt" "signed request"

	t "$name: --explain"
	run sign --request "$dir/request.txt" --context "$dir/context.json" --explain
	if [ "$(section 'canonical request')" = "$(cat "$dir/header-canonical-request.txt")" ]; then ok; else
		bad "canonical request differs from header-canonical-request.txt"
	fi
	if [ "$(section 'string to sign')" = "$(cat "$dir/header-string-to-sign.txt")" ]; then ok; else
		bad "string to sign differs from header-string-to-sign.txt"
	fi

	t "$name: --json"
	run sign --request "$dir/request.txt" --context "$dir/context.json" --json
	case $OUT in
	*"\"signature\":\"$(tr -d '\r\n' <"$dir/header-signature.txt")\""*) ok ;;
	*) bad "signature is not header-signature.txt's" ;;
	esac
	expect_py "request is header-signed-request.txt" \
	    'r["request"] == open(args[0], encoding="utf-8").read()' "$dir/header-signed-request.txt"

	t "$name: --query"
	run sign --request "$dir/request.txt" --context "$dir/context.json" --query
	host=$(grep -i -m 1 '^host:' "$dir/request.txt" | cut -d: -f2- | tr -d ' \r')
	line=$(head -n 1 "$dir/query-signed-request.txt")
	target=${line#* }
	target=${target% HTTP/1.1}
	if [ "$RC" = 0 ] && [ "$OUT" = "https://$host$target" ]; then ok; else
		bad "URL is not https://$host$target"
	fi

	t "$name: --query --json --explain"
	run sign --request "$dir/request.txt" --context "$dir/context.json" --query --json --explain
	case $OUT in
	*"\"signature\":\"$(tr -d '\r\n' <"$dir/query-signature.txt")\""*) ok ;;
	*) bad "signature is not query-signature.txt's" ;;
	esac
	expect_py "request is query-signed-request.txt" \
	    'r["request"] == open(args[0], encoding="utf-8").read()' "$dir/query-signed-request.txt"
	expect_py "canonical_request is query-canonical-request.txt" \
	    'r["canonical_request"] == open(args[0], encoding="utf-8").read()' "$dir/query-canonical-request.txt"
	expect_py "string_to_sign is query-string-to-sign.txt" \
	    'r["string_to_sign"] == open(args[0], encoding="utf-8").read()' "$dir/query-string-to-sign.txt"
done
t "the suite has its 38 cases"
if [ "$ncases" -ge 38 ]; then ok; else bad "only $ncases cases in $SUITE"; fi

# ---------------------------------------------------------------- stdin, help
V=$SUITE/get-vanilla
t "request on stdin"
STDIN=$V/request.txt run sign --request - --context "$V/context.json"
same "$V/header-signed-request.txt" "signed request"
t "context on stdin"
STDIN=$V/context.json run sign --context - --request "$V/request.txt"
same "$V/header-signed-request.txt" "signed request"
t "--help"
run sign --help
if [ "$RC" = 0 ] && grep -q -- '--context' "$T/out"; then ok; else bad "--help"; fi
t "listed in stepdeploy --help"
run --help
case $OUT in *sign*) ok ;; *) bad "sign is not listed" ;; esac

# ---------------------------------------------------------------- S3 and our context keys
printf 'PUT /acme/hello/production/lock HTTP/1.1\nHost:deploy-bucket.s3.us-east-1.amazonaws.com\nIf-None-Match:*\nContent-Length:2\n\n{}' >"$T/s3.txt"
mkjson s3.json '{"credentials":{"access_key_id":"AKIDEXAMPLE","secret_access_key":"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},"region":"us-east-1","service":"s3","timestamp":"2026-11-25T12:00:00Z","unsigned_payload":true}'
t "S3 PutObject, UNSIGNED-PAYLOAD"
run sign --request "$T/s3.txt" --context "$T/s3.json" --explain
if [ "$RC" = 0 ]; then ok; else bad "exit $RC"; fi
case $OUT in *"x-amz-content-sha256:UNSIGNED-PAYLOAD"*"if-none-match:*"*) bad "order" ;; *) ok ;; esac
case $OUT in *"if-none-match:*"*"x-amz-content-sha256:UNSIGNED-PAYLOAD"*"SignedHeaders=content-length;host;if-none-match;x-amz-content-sha256;x-amz-date,"*) ok ;;
*) bad "S3 headers not signed as expected" ;; esac

# ---------------------------------------------------------------- bad input
mkjson ctx.json '{"credentials":{"access_key_id":"AKIDEXAMPLE","secret_access_key":"TOPSECRETKEY"},"region":"us-east-1","service":"service","timestamp":"2015-08-30T12:36:00Z"}'
t "no --context"
run sign --request "$V/request.txt"
expect_one_line_error "--context"
t "no --request"
run sign --context "$T/ctx.json"
expect_one_line_error "--request"
t "unknown option"
run sign --request "$V/request.txt" --context "$T/ctx.json" --bogus
expect_one_line_error "--bogus"
t "extra argument"
run sign --request "$V/request.txt" --context "$T/ctx.json" extra
expect_one_line_error "extra"
t "both on stdin"
run sign --request - --context -
expect_one_line_error "stdin"
t "missing request file"
run sign --request "$T/nope.txt" --context "$T/ctx.json"
expect_one_line_error "nope.txt"
t "missing context file"
run sign --request "$V/request.txt" --context "$T/nope.json"
expect_one_line_error "nope.json"
t "context is not JSON (the secret is not quoted back)"
printf '{"credentials":{"access_key_id":"A","secret_access_key":"TOPSECRETKEY' >"$T/trunc.json"
run sign --request "$V/request.txt" --context "$T/trunc.json"
expect_one_line_error "JSON"
if grep -q TOPSECRET "$T/err"; then bad "the secret is on stderr"; else ok; fi
t "context with an unknown key"
mkjson unknown.json '{"credentials":{"access_key_id":"A","secret_access_key":"TOPSECRETKEY"},"region":"r","service":"s","colour":"red"}'
run sign --request "$V/request.txt" --context "$T/unknown.json"
expect_one_line_error "colour"
if grep -q TOPSECRET "$T/err"; then bad "the secret is on stderr"; else ok; fi
t "context without region"
mkjson noregion.json '{"credentials":{"access_key_id":"A","secret_access_key":"S"},"service":"s"}'
run sign --request "$V/request.txt" --context "$T/noregion.json"
expect_one_line_error "region"
t "bad timestamp"
mkjson badts.json '{"credentials":{"access_key_id":"A","secret_access_key":"S"},"region":"r","service":"s","timestamp":"yesterday"}'
run sign --request "$V/request.txt" --context "$T/badts.json"
expect_one_line_error "timestamp"
t "expiration out of range"
mkjson badexp.json '{"credentials":{"access_key_id":"A","secret_access_key":"S"},"region":"r","service":"s","expiration_in_seconds":604801}'
run sign --request "$V/request.txt" --context "$T/badexp.json" --query
expect_one_line_error "expiration_in_seconds"
t "request without Host"
printf 'GET / HTTP/1.1\nX-A:b\n' >"$T/nohost.txt"
run sign --request "$T/nohost.txt" --context "$T/ctx.json"
expect_one_line_error "Host"
t "request that already has Authorization"
printf 'GET / HTTP/1.1\nHost:h\nAuthorization:AWS4-HMAC-SHA256 x\n' >"$T/auth.txt"
run sign --request "$T/auth.txt" --context "$T/ctx.json"
expect_one_line_error "Authorization"
t "bad request line"
printf 'GET / HTTP/2\nHost:h\n' >"$T/badline.txt"
run sign --request "$T/badline.txt" --context "$T/ctx.json"
expect_one_line_error "line 1"
t "Content-Length that does not match the body"
printf 'POST / HTTP/1.1\nHost:h\nContent-Length:3\n\nbody' >"$T/cl.txt"
run sign --request "$T/cl.txt" --context "$T/ctx.json"
expect_one_line_error "Content-Length"
t "S3 path with a bad escape"
printf 'GET /a%%zz HTTP/1.1\nHost:h\n' >"$T/esc.txt"
run sign --request "$T/esc.txt" --context "$T/s3.json"
expect_one_line_error "percent"

finish
