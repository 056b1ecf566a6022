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

. "$(dirname "$0")/lib.sh"
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
