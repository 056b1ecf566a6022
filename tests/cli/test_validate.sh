#!/usr/bin/env bash
# tests/cli/test_validate.sh: `stepdeploy validate`: the human and --json
# outputs, exit statuses (0 no error, 1 an error, 2 usage or unreadable
# file), malformed JSON and duplicate keys, stdin, --no-arn-check,
# --no-path-check, --zip and --release merged into the report, and the
# lint corpus (../shared/lint-corpus, or $SHARED/lint-corpus) through the
# command, known differences (tests/lint/known-differences) included.
#
#   STEPDEPLOY=build/asan/stepdeploy bash tests/cli/test_validate.sh
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
# ---------------------------------------------------------------- validate helpers
#
# expect_rc N          exit status is N
# expect_line TEXT     a line of stdout is exactly TEXT
# expect_out_has SUB   stdout contains SUB
# expect_out_empty     nothing on stdout
# expect_err_has SUB   stderr contains SUB
expect_rc() {
	if [ "$RC" = "$1" ]; then ok; else bad "exit status $RC, want $1"; fi
}
expect_line() {
	if grep -qxF -- "$1" "$T/out"; then ok; else bad "no line: $1"; fi
}
expect_out_has() {
	if grep -qF -- "$1" "$T/out"; then ok; else bad "stdout lacks: $1"; fi
}
expect_out_empty() {
	if [ -z "$OUT" ]; then ok; else bad "stdout should be empty"; fi
}
expect_err_has() {
	if grep -qF -- "$1" "$T/err"; then ok; else bad "stderr lacks: $1"; fi
}

SHARED_DIR=${SHARED:-$ROOT/../shared}
CORPUS=$SHARED_DIR/lint-corpus
KNOWN=$ROOT/tests/lint/known-differences

# ---------------------------------------------------------------- tests
mkjson ok.json '{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}'
mkjson bad-next.json '{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"C":{"Type":"Succeed"}}}'
mkjson warn.json '{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"a":"$.x"},"End":true}}}'
mkjson arn.json '{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"lambda-f","End":true}}}'
mkjson path.json '{"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"$.a[","End":true}}}'
mkjson dup.json '{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}},"StartAt":"A"}'
printf '{"StartAt": "A",\n  "States": {\n' >"$T/broken.json"
: >"$T/empty.json"

t "a valid definition: exit 0, nothing printed"
run validate "$T/ok.json"
expect_rc 0
expect_out_empty

t "every finding, one line each"
run validate "$T/bad-next.json"
expect_rc 1
expect_line "error /States/A/Next: Missing 'Next' target: B"
expect_line 'error /States/C: State "C" is not reachable.'
if [ "$(printf '%s\n' "$OUT" | wc -l)" -eq 2 ]; then ok; else bad "want 2 lines"; fi
mkjson loop.json '{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"A"}}}'
run validate "$T/loop.json"
expect_rc 1
expect_line 'error /: Workflow has no terminal state (a Succeed or Fail state, or a state with "End": true)'

t "warnings alone: exit 0"
run validate "$T/warn.json"
expect_rc 0
expect_out_has "warning /States/A/Parameters/a: "

t "--json: AWS's response shape"
run validate --json "$T/bad-next.json"
expect_rc 1
expect_json result '"FAIL"'
expect_py "diagnostics with severity, code, message, location" \
	'all(set(d) == {"severity", "code", "message", "location"} for d in r["diagnostics"]) and len(r["diagnostics"]) == 2'
expect_py "the Next finding" \
	'{"severity": "ERROR", "code": "MISSING_TRANSITION_TARGET", "message": "Missing '"'"'Next'"'"' target: B", "location": "/States/A/Next"} in r["diagnostics"]'
run validate --json "$T/ok.json"
expect_rc 0
expect_json result '"OK"'
expect_json diagnostics '[]'
run validate --json "$T/warn.json"
expect_rc 0
expect_json result '"OK"'
expect_py "a NO_DOLLAR warning" 'r["diagnostics"][0]["severity"] == "WARNING" and r["diagnostics"][0]["code"] == "NO_DOLLAR"'
run validate --pretty "$T/ok.json"
expect_rc 0
expect_out_has '  "result": "OK",'

t "malformed JSON is a finding (exit 1), with line and column"
run validate "$T/broken.json"
expect_rc 1
expect_out_has "error: Invalid JSON at line 3"
run validate --json "$T/broken.json"
expect_rc 1
expect_py "INVALID_JSON_DESCRIPTION without a location" \
	'r["diagnostics"][0]["code"] == "INVALID_JSON_DESCRIPTION" and "location" not in r["diagnostics"][0]'

t "a duplicate key is a finding (exit 1)"
run validate --json "$T/dup.json"
expect_rc 1
expect_py "INVALID_JSON_DESCRIPTION naming the duplicate" \
	'r["diagnostics"][0]["code"] == "INVALID_JSON_DESCRIPTION" and "duplicate" in r["diagnostics"][0]["message"]'

t "an empty file: MISSING_DESCRIPTION (exit 1)"
run validate --json "$T/empty.json"
expect_rc 1
expect_py "MISSING_DESCRIPTION" 'r["diagnostics"][0]["code"] == "MISSING_DESCRIPTION"'

t "the definition on stdin"
STDIN=$T/bad-next.json run validate -
expect_rc 1
expect_line "error /States/A/Next: Missing 'Next' target: B"
STDIN=$T/ok.json run validate -
expect_rc 0

t "--no-arn-check"
run validate "$T/arn.json"
expect_rc 1
expect_out_has "error /States/A/Resource: "
run validate --no-arn-check "$T/arn.json"
expect_rc 0
expect_out_empty

t "--no-path-check"
run validate "$T/path.json"
expect_rc 1
expect_out_has "error /States/A/InputPath: "
run validate --no-path-check "$T/path.json"
expect_rc 0

t "usage errors and unreadable files: exit 2"
run validate
expect_usage "DEFINITION"
run validate "$T/ok.json" "$T/ok.json"
expect_usage "one DEFINITION"
run validate --bogus "$T/ok.json"
expect_usage
run validate "$T/missing.json"
expect_usage "missing.json"
run validate "$T"
expect_usage
run validate --zip "$T/missing.zip" "$T/ok.json"
expect_usage "missing.zip"
run validate --release "$T/missing-release.json" "$T/ok.json"
expect_usage "missing-release.json"
run validate --help
expect_rc 0
expect_out_has "usage: stepdeploy validate"

t "--zip: the zip's findings are merged"
if [ -n "$PY" ]; then
	python3 - "$T" <<'PYEOF'
import sys, zipfile
d = sys.argv[1]
with zipfile.ZipFile(d + "/good.zip", "w") as z:
    z.writestr("index.js", "exports.handler = async () => 1;\n")
with zipfile.ZipFile(d + "/evil.zip", "w") as z:
    z.writestr("../evil", "x")
PYEOF
	run validate "$T/ok.json" --zip "$T/good.zip"
	expect_rc 0
	run validate --json "$T/ok.json" --zip "$T/evil.zip"
	expect_rc 1
	expect_json result '"FAIL"'
	expect_py "ZIP_PATH_TRAVERSAL at evil.zip:../evil" \
		'any(d["code"] == "ZIP_PATH_TRAVERSAL" and d["location"] == "evil.zip:../evil" for d in r["diagnostics"])'
	run validate "$T/bad-next.json" --zip "$T/evil.zip"
	expect_rc 1
	expect_line "error /States/A/Next: Missing 'Next' target: B"
	expect_out_has "error evil.zip:../evil: "
else
	SKIPPED=$((SKIPPED + 1))
fi

t "--release: the release's findings are merged"
mkjson release.json '{"release_id":"../x","project_name":"acme/app"}'
run validate --json "$T/ok.json" --release "$T/release.json"
expect_rc 1
expect_py "RELEASE_BAD_ID at release.json:/release_id" \
	'any(d["code"] == "RELEASE_BAD_ID" and d["location"] == "release.json:/release_id" for d in r["diagnostics"])'
expect_py "a missing field" 'any(d["code"] == "RELEASE_MISSING_FIELD" for d in r["diagnostics"])'
mkjson release-bad.json '{"release_id":'
run validate "$T/ok.json" --release "$T/release-bad.json"
expect_rc 1
expect_out_has "error release-bad.json:/: "

t "the lint corpus through the command"
if [ -d "$CORPUS" ]; then
	for f in "$CORPUS"/valid/*.json "$CORPUS"/invalid/*.json; do
		[ -e "$f" ] || continue
		rel=${f#"$CORPUS"/}
		want=0
		case $rel in invalid/*) want=1 ;; esac
		if grep -q "^${rel}[[:space:]]" "$KNOWN"; then
			want=$((1 - want))
		fi
		t "corpus $rel"
		run validate "$f"
		expect_rc "$want"
		if [ "$want" = 1 ]; then expect_out_has "error "; fi
	done
else
	echo "($CORPUS not found: corpus cases skipped)" >&2
	SKIPPED=$((SKIPPED + 1))
fi

# ---------------------------------------------------------------- release + zip
# A release and its zip agree: provided.* needs an executable bootstrap, and
# lambda_sha256 must be the zip's hash.
if command -v python3 >/dev/null 2>&1; then
	python3 - "$T" <<'PY'
import datetime, hashlib, json, sys, zipfile
t = sys.argv[1]
for name, mode in (("good.zip", 0o100755), ("noexec.zip", 0o100644)):
    z = zipfile.ZipFile(f"{t}/{name}", "w")
    i = zipfile.ZipInfo("bootstrap")
    i.external_attr = mode << 16
    z.writestr(i, "#!/bin/sh\n")
    z.close()
good = hashlib.sha256(open(f"{t}/good.zip", "rb").read()).hexdigest()
now = datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
base = {"release_id": "r1", "project_name": "acme/hello",
        "config_name": "production", "aws_account_id": "000000000000",
        "aws_region": "us-east-1", "lambda_name": "acme-hello",
        "step_fn_name": "acme-hello", "created_at": now,
        "runtime": "provided.al2023",
        "state_machine": {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}}
json.dump(dict(base, lambda_sha256=good), open(f"{t}/rel-good.json", "w"))
json.dump(dict(base, lambda_sha256="0" * 64), open(f"{t}/rel-bad.json", "w"))
json.dump(base["state_machine"], open(f"{t}/sm.json", "w"))
PY
	t "release and zip that agree"
	run validate "$T/sm.json" --release "$T/rel-good.json" --zip "$T/good.zip"
	expect_rc 0
	t "zip hash differs from lambda_sha256"
	run validate "$T/sm.json" --release "$T/rel-bad.json" --zip "$T/good.zip"
	expect_rc 1
	expect_out_has "error release.json:/lambda_sha256: the release's lambda_sha256"
	t "provided runtime without an executable bootstrap"
	run validate "$T/sm.json" --release "$T/rel-good.json" --zip "$T/noexec.zip"
	expect_rc 1
	expect_out_has "noexec.zip:bootstrap"
	t "--policy: a project the policy does not name"
	sed 's/acme\/hello/acme\/other/' "$T/rel-good.json" >"$T/rel-other.json"
	run validate "$T/sm.json" --release "$T/rel-other.json" --policy "$ROOT/policy/policy.example.json"
	expect_rc 1
	expect_out_has "error rel-other.json:/project_name: no project acme/other in the policy"
	t "--policy: the example project passes"
	run validate "$T/sm.json" --release "$T/rel-good.json" --zip "$T/good.zip" --policy "$ROOT/policy/policy.example.json"
	expect_rc 0
	t "--policy: a policy that does not load is bad usage"
	run validate "$T/sm.json" --policy "$T/nonexistent.json"
	expect_rc 2
fi

finish
