#!/usr/bin/env bash
# tests/cli/test_test.sh: `stepdeploy test DEFINITION TESTS.json`: the
# example release tests (tests/data/testfile), PASS/FAIL lines and the
# readable differences of each expected field, --json, per-test mocks,
# "error": null, a runaway loop, bad files named at their location, and
# bad usage.
#
#   STEPDEPLOY=build/asan/stepdeploy bash tests/cli/test_test.sh
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
# expect_line LINE     stdout has exactly this line
# expect_no_line LINE  stdout does not have this line
# expect_last LINE     the last line of stdout is LINE
expect_rc() {
	if [ "$RC" = "$1" ]; then ok; else bad "exit status $RC, want $1"; fi
}
expect_line() {
	if grep -qxF -- "$1" "$T/out"; then ok; else bad "stdout lacks the line: $1"; fi
}
expect_no_line() {
	if grep -qxF -- "$1" "$T/out"; then bad "stdout has the line: $1"; else ok; fi
}
expect_last() {
	if [ "$(tail -n 1 "$T/out")" = "$1" ]; then ok; else bad "the last line is not: $1"; fi
}

# ---------------------------------------------------------------- tests
DATA=$ROOT/tests/data/testfile
mkjson pass.json '{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}'
mkjson task.json '{"StartAt":"Work","States":{
 "Work":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","ResultPath":"$.work","Next":"Check"},
 "Check":{"Type":"Choice","Choices":[{"Variable":"$.work.ok","BooleanEquals":true,"Next":"Done"}],"Default":"Bad"},
 "Done":{"Type":"Succeed"},
 "Bad":{"Type":"Fail","Error":"NotOk","Cause":"work said no"}}}'

# ---------------------------------------------------------------- passing
t "the example release tests all pass"
run test "$DATA/machine.json" "$DATA/tests.json"
expect_rc 0
expect_line "PASS happy path"
expect_line "PASS bank busy twice, then charged"
expect_line "PASS card declined"
expect_line "PASS empty order is rejected"
expect_last "4 passed, 0 failed"
if [ "$(wc -l <"$T/out")" -eq 5 ]; then ok; else bad "want 5 lines of output"; fi
if [ -z "$ERR" ]; then ok; else bad "stderr should be empty"; fi

t "the example with --json"
run test "$DATA/machine.json" "$DATA/tests.json" --json
expect_rc 0
expect_json passed 4
expect_json failed 0
expect_py "not 4 passed tests with no diffs" \
    'len(r["tests"]) == 4 and all(x["passed"] and x["diffs"] == [] for x in r["tests"])'
expect_py "the first result is not the happy path" \
    'r["tests"][0]["name"] == "happy path" and r["tests"][0]["result"]["path"] == ["Validate", "Charge", "Ship", "Done"]'
if [ "$(wc -l <"$T/out")" -eq 1 ]; then ok; else bad "--json should print one line"; fi

t "--json --pretty"
run test "$DATA/machine.json" "$DATA/tests.json" --json --pretty
expect_rc 0
expect_py "not 4 passed" 'r["passed"] == 4'
if [ "$(wc -l <"$T/out")" -gt 1 ]; then ok; else bad "--pretty printed a single line"; fi

t "no tests: 0 passed, 0 failed"
mkjson empty.json '[]'
run test "$T/pass.json" "$T/empty.json"
expect_rc 0
expect_last "0 passed, 0 failed"

t "tests read from stdin"
STDIN=$DATA/tests.json run test "$DATA/machine.json" -
expect_rc 0
expect_last "4 passed, 0 failed"

t "definition read from stdin"
STDIN=$DATA/machine.json run test - "$DATA/tests.json"
expect_rc 0
expect_last "4 passed, 0 failed"

t "expected fields left out are not checked"
mkjson loose.json '[{"name":"no expected","mocks":{"Work":{"error":"X"}}},
 {"name":"only status","mocks":{"Work":{"result":{"ok":true}}},"expected":{"status":"SUCCEEDED"}},
 {"name":"only path","mocks":{"Work":{"result":{"ok":false}}},"expected":{"path":["Work","Check","Bad"]}}]'
run test "$T/task.json" "$T/loose.json"
expect_rc 0
expect_last "3 passed, 0 failed"

t "\"error\": null and \"cause\": null expect none"
mkjson bare-fail.json '{"StartAt":"F","States":{"F":{"Type":"Fail"}}}'
mkjson nulls.json '[{"name":"bare","expected":{"status":"FAILED","error":null,"cause":null}}]'
run test "$T/bare-fail.json" "$T/nulls.json"
expect_rc 0
expect_line "PASS bare"

t "numbers compare by value, key order does not matter"
mkjson numbers.json '[{"name":"n","input":{"a":1,"b":{"c":2.0,"d":[0.5,100]}},"expected":{"output":{"b":{"d":[0.5,1e2],"c":2},"a":1.0}}}]'
run test "$T/pass.json" "$T/numbers.json"
expect_rc 0
expect_line "PASS n"

t "each test gets its own mocks, used from the start"
mkjson fresh.json '[
 {"name":"one","mocks":{"Work":[{"result":{"ok":true}}]},"expected":{"status":"SUCCEEDED"}},
 {"name":"two","mocks":{"Work":[{"result":{"ok":true}}]},"expected":{"status":"SUCCEEDED"}},
 {"name":"none","expected":{"status":"FAILED","error":"States.Runtime"}}]'
run test "$T/task.json" "$T/fresh.json"
expect_rc 0
expect_last "3 passed, 0 failed"

t "a Wait of a day is instant (virtual clock)"
mkjson wait.json '{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":86400,"End":true}}}'
mkjson wait-tests.json '[{"name":"w","input":{"x":1},"expected":{"output":{"x":1}}}]'
run test "$T/wait.json" "$T/wait-tests.json"
expect_rc 0
expect_faster 10000

t "a machine that loops for ever fails its test instead of hanging"
mkjson loop.json '{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"A"}}}'
mkjson loop-tests.json '[{"name":"loop","expected":{"status":"SUCCEEDED"}}]'
run test "$T/loop.json" "$T/loop-tests.json"
expect_rc 1
expect_line "FAIL loop"
if grep -qF "limit" "$T/out"; then ok; else bad "the limit is not mentioned"; fi

# ---------------------------------------------------------------- failing
mkjson failing.json '[
 {"name":"right","mocks":{"Work":{"result":{"ok":true}}},"expected":{"status":"SUCCEEDED"}},
 {"name":"wrong status","mocks":{"Work":{"result":{"ok":false}}},"expected":{"status":"SUCCEEDED"}},
 {"name":"wrong output","input":{"k":1,"l":[1,2]},"mocks":{"Work":{"result":{"ok":true,"x":"y"}}},
  "expected":{"output":{"k":2,"l":[1],"work":{"ok":true},"gone":0}}},
 {"name":"wrong error","mocks":{"Work":{"result":{"ok":false}}},"expected":{"error":"Other","cause":"work said no"}},
 {"name":"wrong path","mocks":{"Work":{"result":{"ok":true}}},"expected":{"path":["Work","Done"]}},
 {"name":"unexpected failure","expected":{"output":{}}}]'

t "failures: PASS and FAIL lines, count, exit 1"
run test "$T/task.json" "$T/failing.json"
expect_rc 1
expect_line "PASS right"
expect_line "FAIL wrong status"
expect_line "FAIL wrong output"
expect_line "FAIL wrong error"
expect_line "FAIL wrong path"
expect_line "FAIL unexpected failure"
expect_last "1 passed, 5 failed"
if [ -z "$ERR" ]; then ok; else bad "stderr should be empty"; fi

t "failures: the status difference"
expect_line '    status: expected "SUCCEEDED"'
expect_line '            got      "FAILED"'

t "failures: the output difference names the members"
expect_line '    output: expected {"k":2,"l":[1],"work":{"ok":true},"gone":0}'
expect_line '            got      {"k":1,"l":[1,2],"work":{"ok":true,"x":"y"}}'
expect_line '            differ at $.k, $.l[1], $.work.x, $.gone'

t "failures: the error difference, and a matching cause is not shown"
expect_line '    error: expected "Other"'
expect_line '           got      "NotOk"'
if grep -q '^    cause:' "$T/out"; then bad "the cause matched and should not be shown"; else ok; fi

t "failures: the path difference"
expect_line '    path: expected ["Work","Done"]'
expect_line '          got      ["Work","Check","Done"]'
expect_line '          differ at $[1], $[2]'

t "failures: a run that failed unexpectedly says how"
expect_line '            got      (none)'
if grep -q "^    (the run FAILED with States.Runtime: .*Work" "$T/out"; then ok; else
	bad "no line saying how the run failed"; fi

t "failures with --json"
run test "$T/task.json" "$T/failing.json" --json
expect_rc 1
expect_json passed 1
expect_json failed 5
expect_py "wrong status diff" \
    'r["tests"][1]["diffs"] == [{"field": "status", "expected": "SUCCEEDED", "got": "FAILED"}]'
expect_py "wrong output paths" \
    'r["tests"][2]["diffs"][0]["paths"] == ["$.k", "$.l[1]", "$.work.x", "$.gone"]'
expect_py "a missing output has no got" \
    '"got" not in r["tests"][5]["diffs"][0] and r["tests"][5]["result"]["status"] == "FAILED"'
expect_py "passed flags" '[x["passed"] for x in r["tests"]] == [True, False, False, False, False, False]'

t "a test name with a newline cannot fake a line"
mkjson newline.json '[{"name":"x\nPASS y","expected":{"status":"SUCCEEDED"}}]'
run test "$T/bare-fail.json" "$T/newline.json"
expect_rc 1
expect_no_line "PASS y"
expect_line 'FAIL x\x0aPASS y'

t "a long value is cut short"
mkjson long.json "[{\"name\":\"long\",\"input\":{\"s\":\"$(printf 'a%.0s' $(seq 1 2000))\"},\"expected\":{\"output\":{}}}]"
run test "$T/pass.json" "$T/long.json"
expect_rc 1
if grep -qE '^            got      \{"s":"a+\.\.\. \([0-9]+ bytes\)$' "$T/out"; then ok; else bad "the long value is not cut"; fi
if [ "$(awk '{ if (length($0) > m) m = length($0) } END { print m }' "$T/out")" -lt 1000 ]; then ok; else
	bad "a line is longer than 1000 characters"; fi

# ---------------------------------------------------------------- bad files
# bad_tests NAME WANT TEXT: tests file TEXT is refused with WANT on stderr.
bad_tests() {
	t "$1"
	mkjson bad-tests.json "$3"
	run test "$T/task.json" "$T/bad-tests.json"
	expect_usage "$2"
}
bad_tests "a misspelt expected field" "/2/expected/outptu: unknown field" \
    '[{"name":"a"},{"name":"b"},{"name":"c","expected":{"outptu":{}}}]'
bad_tests "a misspelt test field" "/1/inptu: unknown field" \
    '[{"name":"a"},{"name":"b","inptu":{}}]'
bad_tests "tests that are not a list" "tests must be a list" '{"name":"a"}'
bad_tests "a test that is not an object" "/0: a test must be an object" '["a"]'
bad_tests "a test without a name" '/0: "name" is missing' '[{"input":{}}]'
bad_tests "two tests with one name" '/1/name: a test named "a" comes earlier' \
    '[{"name":"a"},{"name":"a"}]'
bad_tests "an unknown status" "/0/expected/status: must be one of" \
    '[{"name":"a","expected":{"status":"PASSED"}}]'
bad_tests "an error that is not a string" "/0/expected/error: must be a string" \
    '[{"name":"a","expected":{"error":5}}]'
bad_tests "a path that is not a list" "/0/expected/path: must be a list" \
    '[{"name":"a","expected":{"path":"Work"}}]'
bad_tests "a malformed mock" "/1/mocks/Work[0]: a mock response needs exactly one" \
    '[{"name":"a"},{"name":"b","mocks":{"Work":[{"reslt":1}]}}]'
bad_tests "mocks that are not an object" "/0/mocks" \
    '[{"name":"a","mocks":[1]}]'
bad_tests "tests that are not JSON" "bad-tests.json" '[{"name":'
bad_tests "a duplicate key" "bad-tests.json" '[{"name":"a","name":"b"}]'

t "a bad last test: nothing runs"
mkjson bad-last.json '[{"name":"a","expected":{"status":"SUCCEEDED"}},{"name":"b","expected":{"x":1}}]'
run test "$T/task.json" "$T/bad-last.json"
expect_usage "/1/expected/x: unknown field"

t "tests file that does not exist"
run test "$T/task.json" "$T/nope.json"
expect_usage nope.json

t "invalid definition"
mkjson bad-def.json '{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nope"}}}'
run test "$T/bad-def.json" "$DATA/tests.json"
expect_usage /States/A/Next

# ---------------------------------------------------------------- usage
t "no arguments"
run test
expect_usage DEFINITION

t "no TESTS.json"
run test "$T/task.json"
expect_usage TESTS.json

t "an extra argument"
run test "$T/task.json" "$DATA/tests.json" extra
expect_usage extra

t "unknown flag"
run test "$T/task.json" "$DATA/tests.json" --bogus
expect_usage --bogus

t "both from stdin"
run test - -
expect_usage stdin

t "test --help"
run test --help
expect_rc 0
if grep -q "usage" "$T/out"; then ok; else bad "no usage text"; fi

t "stepdeploy --help lists test"
run --help
expect_rc 0
if grep -qE '^  test +' "$T/out"; then ok; else bad "test is not listed"; fi

finish
