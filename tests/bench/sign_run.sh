#!/usr/bin/env bash
# SigV4 signatures per second: ours (BUILD/sign-bench, in-process) beside
# the peers on the same Lambda UpdateFunctionCode request:
# @smithy/signature-v4 (SHARED/peers/sign-bench.js) and aws-c-auth through
# aws-crt (SHARED/peers/sign-bench-crt.js); then one signature's round
# trip over sign.sock (BUILD/signer-latency against the signer daemon).
# Each figure is the median of BENCH_REPEAT runs.
#
#   bash tests/bench/sign_run.sh [BUILD_DIR] [SHARED_DIR]   (default: build ../shared)
#
# The peers' npm packages are used from BUILD/peers/node_modules (installed
# once with npm ci, as tests/bench/lib.sh does); without them, or
# without node, only our figures are printed. Also checks that our
# signature is the one smithy computes for that request.
#
# Environment: see tests/bench/lib.sh; SIGN_BENCH_N, SIGN_BENCH_PEER_N,
# SIGN_SOCKET_N set the signatures per run (ours, the peers', over the
# socket).
set -euo pipefail

cd "$(dirname "$0")/../.."
# shellcheck source=tests/bench/lib.sh
source tests/bench/lib.sh
BUILD=${1:-build}
SHARED=${2:-../shared}
N=${SIGN_BENCH_N:-$(bench_scaled 1000000)}
PEER_N=${SIGN_BENCH_PEER_N:-$(bench_scaled 20000)}
SOCK_N=${SIGN_SOCKET_N:-$(bench_scaled 20000)}

[ -x "$BUILD/sign-bench" ] || { echo "sign bench: $BUILD/sign-bench is missing" >&2; exit 1; }

ours=$("$BUILD/sign-bench" -n "$N")
echo "ours:   $ours"
o=$(bench_repeat signatures_per_sec "$BUILD/sign-bench" -n "$N")

bench_peers "$BUILD" "$SHARED"
p= c=
if [ "$PEER" = 1 ] && bench_peer_has "$BUILD" @smithy/signature-v4; then
	peer=$(node "$SHARED/peers/sign-bench.js" "$PEER_N")
	echo "smithy: $peer"
	p=$(bench_repeat signatures_per_sec node "$SHARED/peers/sign-bench.js" "$PEER_N")
	if crt=$(node "$SHARED/peers/sign-bench-crt.js" "$PEER_N" 2>/dev/null); then
		echo "crt:    $crt"
		c=$(bench_repeat signatures_per_sec node "$SHARED/peers/sign-bench-crt.js" "$PEER_N" 2>/dev/null)
	else
		bench_skip aws-c-auth "sign-bench-crt.js failed (aws-crt would not load)"
	fi
	# The same request through sign.js: the signatures must agree.
	want=$(printf '%s' '{"method":"PUT","host":"lambda.us-east-1.amazonaws.com","path":"/2015-03-31/functions/acme-hello/code","headers":{"host":"lambda.us-east-1.amazonaws.com","content-type":"application/json"},"body":"{\"S3Bucket\":\"deploy-bucket\",\"S3Key\":\"acme/hello/production/r-1/lambda.zip\",\"RevisionId\":\"abc\"}","region":"us-east-1","service":"lambda","accessKeyId":"AKIDEXAMPLE","secretAccessKey":"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY","date":"2026-11-25T12:00:00Z","applyChecksum":true}' |
	    node "$SHARED/peers/sign.js" | grep -o '"signature": "[0-9a-f]*"' | cut -d'"' -f4)
	case $ours in
	*"\"signature\":\"$want\""*) echo "signature: same as smithy's ($want)" ;;
	*) echo "sign bench: our signature differs from smithy's ($want)" >&2; exit 1 ;;
	esac
else
	why=${PEER_WHY:-"@smithy/signature-v4 is not in $BUILD/peers/node_modules"}
	echo "(no peer figures: $why)"
	bench_skip "@smithy/signature-v4, aws-c-auth" "$why"
fi
echo
echo "(median of $BENCH_REPEAT runs; $N signatures a run, the peers $PEER_N)"
printf '%-28s %14s %8s\n' signer "signatures/s" "ours/this"
printf '%-28s %14s %8s\n' "stepdeploy (C, in-process)" "$o" "1.0x"
ratio() { awk -v o="$o" -v x="$1" 'BEGIN { if (x == "" || x == 0) print "-"; else printf "%.1fx\n", o / x }'; }
[ -n "$p" ] && printf '%-28s %14s %8s\n' "@smithy/signature-v4 (node)" "$p" "$(ratio "$p")"
[ -n "$c" ] && printf '%-28s %14s %8s\n' "aws-c-auth via aws-crt" "$c" "$(ratio "$c")"
bench_row "signer in-process" "$o" signatures/s @smithy/signature-v4 "${p:--}" "ratio>=30"
bench_row "signer in-process" "$o" signatures/s aws-c-auth "${c:--}" "ratio>=15"

# ---------------------------------------------------------------- over sign.sock
# The daemon in a short temporary runtime directory, with a policy naming
# the current user and test credentials (mode 0600); stopped from a trap.
if [ -x "$BUILD/stepdeploy-signer" ] && [ -x "$BUILD/signer-latency" ]; then
	RT=$(mktemp -d /tmp/sdb.XXXXXX)
	SPID=
	trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; wait 2>/dev/null; rm -rf "$RT"' EXIT
	SM=arn:aws:states:us-east-1:000000000000:stateMachine:acme-hello
	cat >"$RT/policy.json" <<EOF
{ "version": 1, "sockets": { "sign": [$(id -u)] },
  "projects": { "acme/hello": { "submitters": [], "configs": ["production"],
    "accounts": ["000000000000"], "regions": ["us-east-1"],
    "bucket": "acme-stepdeploy",
    "lambda_arns": ["arn:aws:lambda:us-east-1:000000000000:function:acme-hello"],
    "state_machine_arns": ["$SM"] } } }
EOF
	printf '[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = %s\n' \
	    wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY >"$RT/creds"
	chmod 600 "$RT/creds"
	body=$(printf '{"stateMachineArn":"%s"}' "$SM" | base64 -w0)
	printf '{"method":"POST","host":"states.us-east-1.amazonaws.com","path":"/",%s,"body":"%s","region":"us-east-1"}\n' \
	    '"headers":[["Content-Type","application/x-amz-json-1.0"],["X-Amz-Target","AWSStepFunctions.DescribeStateMachine"]]' \
	    "$body" >"$RT/req.json"
	"$BUILD/stepdeploy-signer" --policy "$RT/policy.json" --socket "$RT/s.sock" \
	    --credentials "$RT/creds" --foreground --log-level error 2>"$RT/log" &
	SPID=$!
	for _ in $(seq 1 100); do [ -S "$RT/s.sock" ] && break; sleep 0.05; done
	echo
	echo "== A signature over sign.sock (Step Functions DescribeStateMachine)"
	[ -S "$RT/s.sock" ] || { echo "sign bench: the signer did not start:"; cat "$RT/log"; exit 1; }
	: >"$RT/lat"
	for _ in $(seq 1 "$BENCH_REPEAT"); do
		"$BUILD/signer-latency" -n "$SOCK_N" "$RT/s.sock" "$RT/req.json" | tee -a "$RT/lat"
	done
	p50=$(jmedian p50_us "$RT/lat")
	p99=$(jmedian p99_us "$RT/lat")
	rate=$(jmedian per_sec "$RT/lat")
	echo "median of $BENCH_REPEAT runs of $SOCK_N: p50 $p50 us, p99 $p99 us, $rate signatures/s" \
	    "(goal p99 < 100 us: $(awk -v x="$p99" 'BEGIN { print (x < 100 ? "met" : "NOT met") }'))"
	bench_row "signature over sign.sock, p99" "$p99" "us" - - "ours<100"
	bench_row "signatures over sign.sock" "$rate" signatures/s - - -
else
	echo "sign bench: $BUILD/stepdeploy-signer or $BUILD/signer-latency is missing: no socket figures" >&2
	exit 1
fi
exit 0
