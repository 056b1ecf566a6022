#!/usr/bin/env bash
# tests/cli/test_test.sh: `stepdeploy test DEFINITION TESTS.json`: the
# example release tests (tests/data/testfile), PASS/FAIL lines and the
# readable differences of each expected field, --json, per-test mocks,
# "error": null, a runaway loop, bad files named at their location, and
# bad usage.
#
#   STEPDEPLOY=build/asan/stepdeploy bash tests/cli/test_test.sh
set -euo pipefail

. "$(dirname "$0")/lib.sh"
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
if grep -qE "limit|maximum number of history events" "$T/out"; then ok; else bad "the limit is not mentioned"; fi

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
