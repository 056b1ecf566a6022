#!/usr/bin/env bash
# tests/cli/test_test_state.sh: `stepdeploy test-state`: one state run like
# AWS's TestState — every state type, the inspection data of each
# processing step, mocked results and errors, RETRIABLE and CAUGHT_ERROR
# by --retry-count, --context, the exit codes and bad usage.
#
#   STEPDEPLOY=build/asan/stepdeploy bash tests/cli/test_test_state.sh
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
# ---------------------------------------------------------------- more helpers
# expect_rc N          the exit code is N
# expect_ts S          exit code 0 for SUCCEEDED/CAUGHT_ERROR, else 1, and
#                      stdout is one JSON object whose "status" is S
# expect_insp K V      inspectionData.K equals the JSON value V
# expect_insp_absent K inspectionData.K is left out
expect_rc() {
	if [ "$RC" = "$1" ]; then ok; else bad "exit status $RC, want $1"; fi
}
expect_ts() {
	local want=1 good=0
	case $1 in SUCCEEDED | CAUGHT_ERROR) want=0 ;; esac
	if [ "$RC" = "$want" ]; then ok; else bad "exit status $RC, want $want for $1"; fi
	if [ -n "$PY" ]; then
		pyq 'isinstance(r, dict) and r.get("status") == args[0]' "$1" && good=1
	else
		case $OUT in "{\"status\":\"$1\""*"}") good=1 ;; esac
	fi
	if [ "$good" = 1 ]; then ok; else bad "stdout is not one JSON object with status $1"; fi
}
expect_insp() {
	local good=0
	if [ -n "$PY" ]; then
		pyq 'isinstance(r.get("inspectionData"), dict) and args[0] in r["inspectionData"] and eq(r["inspectionData"][args[0]], json.loads(args[1]))' \
		    "$1" "$2" && good=1
	else
		grep -qF -e "\"$1\":$2," -e "\"$1\":$2}" "$T/out" && good=1
	fi
	if [ "$good" = 1 ]; then ok; else bad "inspectionData.$1 is not $2"; fi
}
expect_insp_absent() {
	expect_py "inspectionData.$1 should be left out" \
	    'isinstance(r.get("inspectionData"), dict) and args[0] not in r["inspectionData"]' "$1"
}

# ---------------------------------------------------------------- tests
mkjson task.json '{"StartAt":"Work","States":{
 "Work":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage",
  "InputPath":"$.in","Parameters":{"msg.$":"$.m","fixed":1},
  "ResultSelector":{"id.$":"$.MessageId"},"ResultPath":"$.sent",
  "OutputPath":"$.sent","Next":"After"},
 "After":{"Type":"Succeed"}}}'
mkjson retry.json '{"StartAt":"Call","States":{
 "Call":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage",
  "Retry":[{"ErrorEquals":["Flaky"],"MaxAttempts":2}],
  "Catch":[{"ErrorEquals":["Fatal"],"ResultPath":"$.err","Next":"Recover"}],
  "End":true},
 "Recover":{"Type":"Pass","End":true}}}'
mkjson mixed.json '{"StartAt":"P","States":{
 "P":{"Type":"Pass","Parameters":{"x.$":"$.a","ctx.$":"$$.Execution.Name"},"Next":"C"},
 "C":{"Type":"Choice","Choices":[{"Variable":"$.a","NumericGreaterThan":10,"Next":"Big"},
  {"Variable":"$.a","NumericLessThan":0,"Next":"W"}],"Default":"Small"},
 "Big":{"Type":"Succeed"},
 "Small":{"Type":"Fail","Error":"TooSmall","Cause":"a is small"},
 "W":{"Type":"Wait","Seconds":3600,"Next":"Big"}}}'

# ---------------------------------------------------------------- Task, mocked
t "Task with --mock-result: every processing step"
run test-state "$T/task.json" Work --input '{"in":{"m":"hi"},"other":1}' \
    --mock-result '{"MessageId":"m-1","MD5OfMessageBody":"x"}'
expect_ts SUCCEEDED
expect_json output '{"id":"m-1"}'
expect_json nextState '"After"'
expect_absent error
expect_absent cause
expect_insp input '{"in":{"m":"hi"},"other":1}'
expect_insp afterInputPath '{"m":"hi"}'
expect_insp afterParameters '{"msg":"hi","fixed":1}'
expect_insp result '{"MessageId":"m-1","MD5OfMessageBody":"x"}'
expect_insp afterResultSelector '{"id":"m-1"}'
# ResultPath places the result into the state's raw input.
expect_insp afterResultPath '{"in":{"m":"hi"},"other":1,"sent":{"id":"m-1"}}'

t "--mock-result @FILE"
mkjson result.json '{"MessageId":"from-file"}'
run test-state "$T/task.json" Work --input '{"in":{"m":"x"}}' --mock-result "@$T/result.json"
expect_ts SUCCEEDED
expect_json output '{"id":"from-file"}'

t "--input @FILE"
mkjson input.json '{"in":{"m":"file"}}'
run test-state "$T/task.json" Work --input "@$T/input.json" --mock-result '{"MessageId":"m"}'
expect_ts SUCCEEDED
expect_insp afterParameters '{"msg":"file","fixed":1}'

t "--pretty still prints one JSON object"
run test-state "$T/task.json" Work --input '{"in":{"m":"x"}}' --mock-result '{"MessageId":"m"}' --pretty
expect_rc 0
expect_py "status or output differ" 'r["status"] == "SUCCEEDED" and r["output"] == {"id": "m"}'
if [ "$(wc -l <"$T/out")" -gt 1 ]; then ok; else bad "--pretty printed a single line"; fi

t "Task with --mock-error and no Retry or Catch: FAILED"
run test-state "$T/task.json" Work --input '{"in":{"m":"x"}}' --mock-error Boom --mock-cause "it broke"
expect_ts FAILED
expect_json error '"Boom"'
expect_json cause '"it broke"'
expect_absent output
expect_absent nextState
expect_insp afterParameters '{"msg":"x","fixed":1}'
expect_insp_absent result

t "a Parameters path that matches nothing: FAILED with States.Runtime"
run test-state "$T/task.json" Work --input '{"in":{}}' --mock-result '{}'
expect_ts FAILED
expect_json error '"States.Runtime"'
expect_insp afterInputPath '{}'
expect_insp_absent afterParameters

t "a ResultSelector path that matches nothing: FAILED"
run test-state "$T/task.json" Work --input '{"in":{"m":"x"}}' --mock-result '{"Other":1}'
expect_ts FAILED
expect_json error '"States.Runtime"'
expect_insp result '{"Other":1}'

t "a Task without a mock or handler fails naming the state"
run test-state "$T/task.json" Work --input '{"in":{"m":"x"}}'
expect_ts FAILED
expect_names Work

# ---------------------------------------------------------------- Retry and Catch
t "retriable error on the first attempt: RETRIABLE"
run test-state "$T/retry.json" Call --input '{}' --mock-error Flaky
expect_ts RETRIABLE
expect_json error '"Flaky"'

t "retriable error with --retry-count 1: still RETRIABLE"
run test-state "$T/retry.json" Call --input '{}' --mock-error Flaky --retry-count 1
expect_ts RETRIABLE

t "retriable error with the retries used up (--retry-count 2): FAILED"
run test-state "$T/retry.json" Call --input '{}' --mock-error Flaky --retry-count 2
expect_ts FAILED
expect_json error '"Flaky"'

t "caught error: CAUGHT_ERROR with the Catch's output and next state"
run test-state "$T/retry.json" Call --input '{"k":1}' --mock-error Fatal --mock-cause boom
expect_ts CAUGHT_ERROR
expect_json output '{"k":1,"err":{"Error":"Fatal","Cause":"boom"}}'
expect_json nextState '"Recover"'

t "an error neither retried nor caught: FAILED"
run test-state "$T/retry.json" Call --input '{}' --mock-error Other
expect_ts FAILED
expect_json error '"Other"'

t "success on a retry: SUCCEEDED, End state has no nextState"
run test-state "$T/retry.json" Call --input '{}' --mock-result '"ok"' --retry-count 1
expect_ts SUCCEEDED
expect_json output '"ok"'
expect_absent nextState

# ---------------------------------------------------------------- other states
t "Pass: Parameters and the context object"
run test-state "$T/mixed.json" P --input '{"a":3}'
expect_ts SUCCEEDED
expect_json nextState '"C"'
expect_insp input '{"a":3}'
expect_py "afterParameters is not {x: 3, ctx: a string}" \
    'r["inspectionData"]["afterParameters"]["x"] == 3 and isinstance(r["inspectionData"]["afterParameters"]["ctx"], str)'
expect_py "output is not afterParameters" 'eq(r["output"], r["inspectionData"]["afterParameters"])'

t "--context is merged over the context object"
run test-state "$T/mixed.json" P --input '{"a":3}' --context '{"Execution":{"Name":"my-run"}}'
expect_ts SUCCEEDED
expect_json output '{"x":3,"ctx":"my-run"}'

t "--context @FILE"
mkjson ctx.json '{"Execution":{"Name":"file-run"}}'
run test-state "$T/mixed.json" P --input '{"a":3}' --context "@$T/ctx.json"
expect_ts SUCCEEDED
expect_json output '{"x":3,"ctx":"file-run"}'

t "Choice: the rule's next state"
run test-state "$T/mixed.json" C --input '{"a":11}'
expect_ts SUCCEEDED
expect_json nextState '"Big"'
expect_json output '{"a":11}'

t "Choice: Default"
run test-state "$T/mixed.json" C --input '{"a":1}'
expect_ts SUCCEEDED
expect_json nextState '"Small"'

t "Fail: FAILED with its error and cause"
run test-state "$T/mixed.json" Small --input '{}'
expect_ts FAILED
expect_json error '"TooSmall"'
expect_json cause '"a is small"'

t "Succeed: no nextState"
run test-state "$T/mixed.json" Big --input '{"z":1}'
expect_ts SUCCEEDED
expect_json output '{"z":1}'
expect_absent nextState

t "Wait of an hour is instant"
run test-state "$T/mixed.json" W --input '{"w":1}'
expect_ts SUCCEEDED
expect_json nextState '"Big"'
expect_faster 10000

t "a state other than StartAt, with a non-object input"
run test-state "$T/mixed.json" W --input '[]'
expect_ts SUCCEEDED
expect_json output '[]'

t "definition - is read from stdin"
STDIN=$T/mixed.json run test-state - Big --input '1'
expect_ts SUCCEEDED
expect_json output '1'

# ---------------------------------------------------------------- bad usage
t "unknown state: exit 2 naming it and the states there are"
run test-state "$T/mixed.json" Nope --input '{}'
expect_usage 'no state named "Nope"'
if grep -qF '"Big"' "$T/err"; then ok; else bad "stderr does not list the states"; fi

t "a state inside a Parallel is not at the top level"
mkjson par.json '{"StartAt":"Par","States":{"Par":{"Type":"Parallel","Branches":[{"StartAt":"In","States":{"In":{"Type":"Pass","End":true}}}],"End":true}}}'
run test-state "$T/par.json" In --input '{}'
expect_usage 'no state named "In"'

t "no --input"
run test-state "$T/mixed.json" Big
expect_usage --input

t "no STATE"
run test-state "$T/mixed.json" --input '{}'
expect_usage STATE

t "no arguments"
run test-state
expect_usage DEFINITION

t "an extra argument"
run test-state "$T/mixed.json" Big extra --input '{}'
expect_usage extra

t "--mock-result and --mock-error together"
run test-state "$T/retry.json" Call --input '{}' --mock-result 1 --mock-error E
expect_usage --mock-error

t "--mock-cause without --mock-error"
run test-state "$T/retry.json" Call --input '{}' --mock-cause c
expect_usage --mock-cause

for n in -1 x 1.5 '' 100000000 99999999999999999999; do
	t "--retry-count '$n'"
	run test-state "$T/retry.json" Call --input '{}' --mock-error Flaky --retry-count "$n"
	expect_usage --retry-count
done

t "--input that is not JSON"
run test-state "$T/mixed.json" Big --input '{"a":'
expect_usage --input

t "--mock-result that is not JSON"
run test-state "$T/retry.json" Call --input '{}' --mock-result '{'
expect_usage --mock-result

t "--context that is not an object"
run test-state "$T/mixed.json" P --input '{"a":1}' --context '[1]'
expect_usage --context

t "--mock-result @FILE that does not exist"
run test-state "$T/retry.json" Call --input '{}' --mock-result "@$T/nope.json"
expect_usage nope.json

t "unknown flag"
run test-state "$T/mixed.json" Big --input '{}' --bogus
expect_usage --bogus

t "invalid definition"
mkjson bad.json '{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nope"}}}'
run test-state "$T/bad.json" A --input '{}'
expect_usage /States/A/Next

t "definition file that does not exist"
run test-state "$T/missing.json" A --input '{}'
expect_usage missing.json

t "test-state --help"
run test-state --help
expect_rc 0
if grep -q "usage" "$T/out"; then ok; else bad "no usage text"; fi

t "stepdeploy --help lists test-state"
run --help
expect_rc 0
if grep -q "test-state" "$T/out"; then ok; else bad "test-state is not listed"; fi

finish
