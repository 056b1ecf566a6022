#!/usr/bin/env bash
# tests/cli/test_usage.sh: stepdeploy's bad-usage and bad-definition paths.
# Every one exits 2, prints nothing on stdout and says why on stderr; a
# definition that does not parse names the place, in AWS's form
# (/States/A/Next).
#
#   STEPDEPLOY=build/asan/stepdeploy bash tests/cli/test_usage.sh
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
# ---------------------------------------------------------------- tests
PASS='{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}'
mkjson pass.json "$PASS"
mkjson task.json '{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:000000000000:function:w","End":true}}}'
mkjson notjson.txt '{"StartAt": "A",'
mkjson array.json '[1, 2]'
P=$T/pass.json

# ---------------------------------------------------------------- command line
t "no arguments"
run
expect_usage

t "unknown command"
run frobnicate "$P"
expect_usage frobnicate

t "exec without a definition"
run exec
expect_usage

t "two definitions"
run exec "$P" "$P"
expect_usage

t "unknown flag"
run exec "$P" --bogus
expect_usage --bogus

t "--input without its value"
run exec "$P" --input
expect_usage --input

t "--input that is not JSON"
run exec "$P" --input '{"a":'
expect_usage

t "--input with trailing garbage"
run exec "$P" --input '{"a":1} x'
expect_usage

t "--input @FILE that does not exist"
run exec "$P" --input "@$T/nope.json"
expect_usage nope.json

t "--input @FILE that is not JSON"
run exec "$P" --input "@$T/notjson.txt"
expect_usage

t "--input @ with no file name"
run exec "$P" --input @
expect_usage

t "--mocks without its value"
run exec "$P" --mocks
expect_usage --mocks

t "--mocks FILE that does not exist"
run exec "$P" --mocks "$T/nope.json"
expect_usage nope.json

t "--mocks FILE that is not JSON"
run exec "$P" --mocks "$T/notjson.txt"
expect_usage

t "--mocks FILE that is not an object"
run exec "$P" --mocks "$T/array.json"
expect_usage

mkjson mock-number.json '{"Work": 5}'
t "a mock that is a number, not a list or object"
run exec "$T/task.json" --mocks "$T/mock-number.json"
expect_usage Work

mkjson mock-unknown.json '{"Work": [{"result": 1}, {"bogus": 2}]}'
t "a mock response with neither result nor error"
run exec "$T/task.json" --mocks "$T/mock-unknown.json"
expect_usage Work

mkjson mock-errtype.json '{"Work": {"error": 5}}'
t "a mock whose error is not a string"
run exec "$T/task.json" --mocks "$T/mock-errtype.json"
expect_usage Work

t "--handler without its value"
run exec "$P" --handler
expect_usage --handler

t "--handler without STATE="
run exec "$P" --handler cat
expect_usage

t "--handler with an empty state name"
run exec "$P" --handler =cat
expect_usage

t "exec --help"
run exec --help
if [ "$RC" = 0 ]; then ok; else bad "exit status $RC, want 0"; fi
if grep -q "usage" "$T/out" "$T/err"; then ok; else bad "no usage text"; fi

# ---------------------------------------------------------------- definitions
t "definition file that does not exist"
run exec "$T/missing.json"
expect_usage missing.json

t "definition that is a directory"
run exec "$T"
expect_usage

t "definition that is not JSON"
run exec "$T/notjson.txt"
expect_usage

t "definition that is an array"
run exec "$T/array.json"
expect_usage

t "empty definition file"
: >"$T/empty.json"
run exec "$T/empty.json"
expect_usage

# bad_def NAME LOCATION DEFINITION: exit 2 with LOCATION on stderr.
bad_def() {
	t "$1"
	mkjson bad.json "$3"
	run exec "$T/bad.json"
	expect_usage "$2"
}

bad_def "Next names no state" /States/A/Next \
    '{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nope"}}}'
bad_def "StartAt names no state" /StartAt \
    '{"StartAt":"Nope","States":{"A":{"Type":"Pass","End":true}}}'
bad_def "no StartAt" StartAt \
    '{"States":{"A":{"Type":"Pass","End":true}}}'
bad_def "no States" States \
    '{"StartAt":"A"}'
bad_def "unknown state Type" /States/A \
    '{"StartAt":"A","States":{"A":{"Type":"Teleport","End":true}}}'
bad_def "state without Type" /States/A \
    '{"StartAt":"A","States":{"A":{"End":true}}}'
bad_def "both Next and End" /States/A \
    '{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B","End":true},"B":{"Type":"Succeed"}}}'
bad_def "neither Next nor End" /States/A \
    '{"StartAt":"A","States":{"A":{"Type":"Pass"}}}'
bad_def "Task without Resource" /States/W \
    '{"StartAt":"W","States":{"W":{"Type":"Task","End":true}}}'
bad_def "Choice rule Next names no state" "/States/C/Choices[0]/Next" \
    '{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","IsPresent":true,"Next":"Nope"}],"Default":"D"},"D":{"Type":"Succeed"}}}'
bad_def "Choice Default names no state" /States/C/Default \
    '{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","IsPresent":true,"Next":"D"}],"Default":"Nope"},"D":{"Type":"Succeed"}}}'
bad_def "Catch Next names no state" "/States/W/Catch[0]/Next" \
    '{"StartAt":"W","States":{"W":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:000000000000:function:w","Catch":[{"ErrorEquals":["States.ALL"],"Next":"Nope"}],"End":true}}}'
bad_def "Wait without a duration" /States/A \
    '{"StartAt":"A","States":{"A":{"Type":"Wait","End":true}}}'
bad_def "InputPath that is not a path" /States/A/InputPath \
    '{"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"not a path","End":true}}}'
bad_def "Next names no state inside a Parallel branch" "/States/P/Branches[0]/States/X/Next" \
    '{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"X","States":{"X":{"Type":"Pass","Next":"Nope"}}}],"End":true}}}'
bad_def "Next names no state inside a Map processor" /States/M/ItemProcessor/States/X/Next \
    '{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"X","States":{"X":{"Type":"Pass","Next":"Nope"}}},"End":true}}}'
bad_def "Next to a state of the outer machine from a branch" "/States/P/Branches[0]/States/X/Next" \
    '{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"X","States":{"X":{"Type":"Pass","Next":"Out"}}}],"Next":"Out"},"Out":{"Type":"Succeed"}}}'

t "unknown intrinsic function"
mkjson bad.json '{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"States.Nope($.a)"},"End":true}}}'
run exec "$T/bad.json"
expect_usage /States/A

# ---------------------------------------------------------------- exit codes
t "exit 0 for SUCCEEDED"
run exec "$P"
expect_status SUCCEEDED

t "exit 1 for FAILED"
mkjson fail.json '{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E"}}}'
run exec "$T/fail.json"
expect_status FAILED

t "exit 1 for TIMED_OUT"
mkjson timeout.json '{"TimeoutSeconds":1,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"End":true}}}'
run exec "$T/timeout.json"
expect_status TIMED_OUT

finish
