#!/usr/bin/env bash
# tests/cli/test_test_state.sh: `stepdeploy test-state`: one state run like
# AWS's TestState — every state type, the inspection data of each
# processing step, mocked results and errors, RETRIABLE and CAUGHT_ERROR
# by --retry-count, --context, the exit codes and bad usage.
#
#   STEPDEPLOY=build/asan/stepdeploy bash tests/cli/test_test_state.sh
set -euo pipefail

. "$(dirname "$0")/lib.sh"
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
run test-state "$T/retry.json" Call --input '{}' --mock-result '{"MessageId":"ok"}' --retry-count 1
expect_ts SUCCEEDED
expect_json output '{"MessageId":"ok"}'
expect_absent nextState
expect_insp_absent errorDetails

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

for n in -1 x 1.5 '' 2147483648 99999999999999999999; do
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

t "--variables: read by paths, Assign applied after the state (AWS TestState's variables)"
mkjson vars.json '{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"seen.$":"$x","old.$":"$y"},"Assign":{"y.$":"$.seen","z":1},"OutputPath":"$y","End":true}}}'
run test-state "$T/vars.json" A --input '{}' --variables '{"x":5,"y":"before"}'
expect_ts SUCCEEDED
expect_insp afterParameters '{"seen":5,"old":"before"}'
expect_insp variables '{"x":5,"y":5,"z":1}'
expect_json output '"before"'

t "a JSONata Task: afterArguments, result, Output and variables (TestState's inspectionData for JSONata)"
mkjson jvars.json '{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f","Arguments":{"n":"{% $states.input.n + $x %}"},"Assign":{"x":"{% $states.result.n %}"},"Output":{"got":"{% $states.result %}","x":"{% $x %}"},"End":true}}}'
run test-state "$T/jvars.json" A --input '{"n":1}' --variables '{"x":5}' --mock-result '{"n":42}'
expect_ts SUCCEEDED
expect_insp afterArguments '{"n":6}'
expect_insp result '{"n":42}'
expect_insp variables '{"x":42}'
expect_json output '{"got":{"n":42},"x":5}'

t "--inspection-level INFO leaves inspectionData out (AWS TestState inspectionLevel INFO)"
mkjson lvl.json '{"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"r":1},"ResultPath":"$.x","End":true}}}'
run test-state "$T/lvl.json" A --input '{"a":1}' --inspection-level INFO
expect_ts SUCCEEDED
expect_absent inspectionData
expect_json output '{"a":1,"x":{"r":1}}'
t "--inspection-level DEBUG and TRACE show it"
for lv in DEBUG TRACE; do
	run test-state "$T/lvl.json" A --input '{"a":1}' --inspection-level $lv
	expect_insp afterResultPath '{"a":1,"x":{"r":1}}'
done
t "--inspection-level takes INFO, DEBUG or TRACE"
run test-state "$T/lvl.json" A --input '{}' --inspection-level VERBOSE
expect_usage --inspection-level

t "--variables must be an object"
run test-state "$T/vars.json" A --input '{}' --variables '[1]'
expect_usage --variables

t "test-state --help"
run test-state --help
expect_rc 0
if grep -q "usage" "$T/out"; then ok; else bad "no usage text"; fi

t "stepdeploy --help lists test-state"
run --help
expect_rc 0
if grep -q "test-state" "$T/out"; then ok; else bad "test-state is not listed"; fi

finish
