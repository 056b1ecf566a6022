#!/usr/bin/env bash
# Cross-check our SigV4 signer against the AWS SDK for JavaScript's
# (@smithy/signature-v4, through ../shared/peers/sign.js) on requests the
# AWS suite does not cover: the S3, Lambda and Step Functions calls the
# deployer makes (tests/sigv4/requests/, written by gen_requests.py; a name
# ending in -presign is signed in the query form).
#
#   bash tests/sigv4/cross_check.sh [STEPDEPLOY]
#
# STEPDEPLOY defaults to build/stepdeploy; SHARED (../shared) holds
# peers/; BUILD (build) is where the peer's npm packages are installed
# once (BUILD/peers, npm ci). Compares the Authorization headers (query
# form: X-Amz-Signature and X-Amz-SignedHeaders) and prints, per failure,
# both sides and both canonical requests; ends with "N passed, N failed".
# Without node (or when the peer cannot be installed) it says so and
# exits 0: skipped, not failed.
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$PWD
STEPDEPLOY=${1:-${STEPDEPLOY:-build/stepdeploy}}
SHARED=${SHARED:-../shared}
BUILD=${BUILD:-build}
PEERS=$SHARED/peers
CASES=tests/sigv4/requests

skip() { echo "cross-check skipped: $*"; exit 0; }

[ -x "$STEPDEPLOY" ] || { echo "cross-check: $STEPDEPLOY is not built (make all)" >&2; exit 1; }
command -v node >/dev/null 2>&1 || skip "node is not installed"
[ -r "$PEERS/sign.js" ] || skip "$PEERS/sign.js is missing (set SHARED)"
if [ ! -d "$BUILD/peers/node_modules/@smithy/signature-v4" ]; then
	command -v npm >/dev/null 2>&1 || skip "npm is not installed"
	echo "cross-check: installing the peer packages in $BUILD/peers (npm ci, once)"
	mkdir -p "$BUILD/peers"
	cp "$PEERS/package.json" "$PEERS/package-lock.json" "$BUILD/peers/"
	if ! (cd "$BUILD/peers" && npm ci --no-audit --no-fund >npm.log 2>&1); then
		tail -n 5 "$BUILD/peers/npm.log" >&2
		skip "npm ci failed in $BUILD/peers"
	fi
fi
NODE_PATH=$(cd "$BUILD/peers/node_modules" && pwd)
export NODE_PATH

T=$(mktemp -d "${TMPDIR:-/tmp}/stepdeploy-xcheck.XXXXXX")
trap 'rm -rf "$T"' EXIT

passed=0 failed=0
for dir in "$CASES"/*/; do
	dir=${dir%/}
	name=${dir##*/}
	q=
	case $name in *-presign) q=--query ;; esac
	if ! "$STEPDEPLOY" sign --request "$dir/request.txt" --context "$dir/context.json" \
	    --json --explain $q >"$T/ours.json" 2>"$T/ours.err"; then
		echo "FAIL $name: stepdeploy sign: $(cat "$T/ours.err")"
		failed=$((failed + 1))
		continue
	fi
	if ! node tests/sigv4/peer.js input "$dir" $q >"$T/in.json" ||
	    ! node "$PEERS/sign.js" <"$T/in.json" >"$T/peer.json" 2>"$T/peer.err"; then
		echo "FAIL $name: the peer failed: $(head -n 3 "$T/peer.err")"
		failed=$((failed + 1))
		continue
	fi
	if node tests/sigv4/peer.js compare "$T/ours.json" "$T/peer.json" $q >"$T/diff"; then
		passed=$((passed + 1))
	else
		echo "FAIL $name: signatures differ"
		cat "$T/diff"
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
