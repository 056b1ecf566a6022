#!/usr/bin/env bash
# tests/cli/test_test_state.sh: `stepdeploy test-state`: one state run like
# AWS's TestState — every state type, the inspection data of each
# processing step, mocked results and errors, RETRIABLE and CAUGHT_ERROR
# by --retry-count, --context, the exit codes and bad usage; AWS's
# stateConfiguration (--state-configuration), mocked Map and Parallel
# states, and the mock's fieldValidationMode (--mock-validation), with the
# outputs and messages AWS gives.
#
# The shapes come from AWS's pages:
#   TestState API (request, response, inspectionData, status values):
#     https://docs.aws.amazon.com/step-functions/latest/apireference/API_TestState.html
#   InspectionData:
#     https://docs.aws.amazon.com/step-functions/latest/apireference/API_InspectionData.html
#   Using TestState (INFO/DEBUG/TRACE, RETRIABLE, CAUGHT_ERROR, mocks):
#     https://docs.aws.amazon.com/step-functions/latest/dg/test-state-isolation.html
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

# ---------------------------------------------------------------- AWS's stateConfiguration
# https://docs.aws.amazon.com/step-functions/latest/apireference/API_TestStateConfiguration.html
# expect_whole V   stdout is exactly the JSON value V (every field, nothing else)
expect_whole() {
	expect_py "stdout is not exactly $1" 'eq(r, json.loads(args[0]))' "$1"
}

mkjson lretry.json '{"QueryLanguage":"JSONata","StartAt":"Call","States":{
 "Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
  "Arguments":{"FunctionName":"foo","Payload":"bar"},
  "Retry":[{"ErrorEquals":["MockException"],"IntervalSeconds":1,"MaxAttempts":5,"BackoffRate":2.0}],
  "End":true}}}'

t "retrierRetryCount 4 of MaxAttempts 5: RETRIABLE with the backoff 1*2^4 (AWS's errorDetails)"
run test-state "$T/lretry.json" Call --input '{"Values":[1]}' --state-configuration '{"retrierRetryCount":4}' \
    --mock-error MockException --mock-cause "Mock the cause of the error."
expect_ts RETRIABLE
expect_whole '{"status":"RETRIABLE","error":"MockException","cause":"Mock the cause of the error.",
 "inspectionData":{"input":{"Values":[1]},"afterArguments":{"FunctionName":"foo","Payload":"bar"},
 "errorDetails":{"retryBackoffIntervalSeconds":16,"retryIndex":0}}}'

t "retrierRetryCount 5 of MaxAttempts 5: the retries are used up, FAILED (retryIndex still named)"
run test-state "$T/lretry.json" Call --input '{"Values":[1]}' --state-configuration '{"retrierRetryCount":5}' \
    --mock-error MockException --mock-cause "Mock the cause of the error."
expect_ts FAILED
expect_whole '{"status":"FAILED","error":"MockException","cause":"Mock the cause of the error.",
 "inspectionData":{"input":{"Values":[1]},"afterArguments":{"FunctionName":"foo","Payload":"bar"},
 "errorDetails":{"retryIndex":0}}}'

t "--retry-count N is the same as retrierRetryCount N"
run test-state "$T/lretry.json" Call --input '{}' --retry-count 2 --mock-error MockException
expect_ts RETRIABLE
expect_insp errorDetails '{"retryBackoffIntervalSeconds":4,"retryIndex":0}'
t "--retry-count and retrierRetryCount that agree"
run test-state "$T/lretry.json" Call --input '{}' --retry-count 2 --state-configuration '{"retrierRetryCount":2}' --mock-error MockException
expect_ts RETRIABLE
t "--state-configuration @FILE"
mkjson cfg.json '{"retrierRetryCount":3}'
run test-state "$T/lretry.json" Call --input '{}' --state-configuration "@$T/cfg.json" --mock-error MockException
expect_insp errorDetails '{"retryBackoffIntervalSeconds":8,"retryIndex":0}'

t "the backoff is capped by MaxDelaySeconds, the second retrier named by its index"
mkjson cap.json '{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage",
 "Retry":[{"ErrorEquals":["Other"]},{"ErrorEquals":["States.ALL"],"IntervalSeconds":3,"MaxDelaySeconds":10}],
 "Catch":[{"ErrorEquals":["Nope"],"Next":"H"},{"ErrorEquals":["States.ALL"],"Next":"H"}],"End":true},
 "H":{"Type":"Pass","End":true}}}'
run test-state "$T/cap.json" Call --input '{}' --retry-count 2 --mock-error Boom
expect_ts RETRIABLE
expect_insp errorDetails '{"retryBackoffIntervalSeconds":10,"retryIndex":1}'
t "retries used up, then a Catch: CAUGHT_ERROR keeps the error and cause, errorDetails names both"
run test-state "$T/cap.json" Call --input '{"k":1}' --retry-count 3 --mock-error Boom --mock-cause why
expect_ts CAUGHT_ERROR
expect_whole '{"status":"CAUGHT_ERROR","error":"Boom","cause":"why","nextState":"H",
 "output":{"Error":"Boom","Cause":"why"},
 "inspectionData":{"input":{"k":1},"afterInputPath":{"k":1},"afterParameters":{"k":1},
 "errorDetails":{"retryIndex":1,"catchIndex":1}}}'

t "a caught error on the first attempt: catchIndex (AWS's CAUGHT_ERROR has error and cause)"
run test-state "$T/retry.json" Call --input '{}' --mock-error Fatal --mock-cause boom
expect_ts CAUGHT_ERROR
expect_json error '"Fatal"'
expect_json cause '"boom"'
expect_insp errorDetails '{"catchIndex":0}'

# ---------------------------------------------------------------- mocked Map
# A Map or Parallel state is tested only with a mock (TestState API page);
# its inspectionData fields: API_InspectionData.html (above).
mkjson jmap.json '{"QueryLanguage":"JSONata","StartAt":"M","States":{
 "M":{"Type":"Map","Items":"{% $states.input.Values %}",
  "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
   "StartAt":"TestState","States":{"TestState":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
    "Arguments":{"FunctionName":"foo","Payload":"bar"},"End":true}}},
  "Catch":[{"ErrorEquals":["MockException"],"Output":"{% $states.errorOutput %}","Next":"HandleMockError"},
   {"ErrorEquals":["States.ExceedToleratedFailureThreshold"],"Output":"{% $states.errorOutput %}","Next":"HandleThreshold"}],
  "ToleratedFailureCount":1,"End":true},
 "HandleMockError":{"Type":"Succeed"},"HandleThreshold":{"Type":"Succeed"}}}'
IN3='{"Values":["first","second","third"]}'

t "Map, mocked result, mapIterationFailureCount 0: SUCCEEDED with the mock as its result (AWS)"
run test-state "$T/jmap.json" M --input "$IN3" --mock-result '[1,1,1]' --state-configuration '{"mapIterationFailureCount":0}'
expect_ts SUCCEEDED
expect_whole '{"status":"SUCCEEDED","output":[1,1,1],
 "inspectionData":{"input":{"Values":["first","second","third"]},"maxConcurrency":0,"toleratedFailureCount":1}}'

t "Map, 2 failed iterations over ToleratedFailureCount 1: States.ExceedToleratedFailureThreshold, caught"
run test-state "$T/jmap.json" M --input "$IN3" --mock-result '[0,0,1]' --state-configuration '{"mapIterationFailureCount":2}'
expect_ts CAUGHT_ERROR
expect_whole '{"status":"CAUGHT_ERROR","error":"States.ExceedToleratedFailureThreshold",
 "cause":"The specified tolerated failure threshold was exceeded","nextState":"HandleThreshold",
 "output":{"Error":"States.ExceedToleratedFailureThreshold","Cause":"The specified tolerated failure threshold was exceeded"},
 "inspectionData":{"input":{"Values":["first","second","third"]},"errorDetails":{"catchIndex":1},
 "maxConcurrency":0,"toleratedFailureCount":1}}'

t "Map, 1 failed iteration of ToleratedFailureCount 1: within the tolerance"
run test-state "$T/jmap.json" M --input "$IN3" --mock-result '[0,1,1]' --state-configuration '{"mapIterationFailureCount":1}'
expect_ts SUCCEEDED
expect_json output '[0,1,1]'

t "Map, a Retry for the threshold: RETRIABLE with its index and backoff"
mkjson jmapr.json '{"QueryLanguage":"JSONata","StartAt":"M","States":{
 "M":{"Type":"Map","Items":"{% $states.input.Values %}",
  "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},
  "Retry":[{"ErrorEquals":["MockException"],"MaxAttempts":3},{"ErrorEquals":["States.ExceedToleratedFailureThreshold"],"MaxAttempts":2}],
  "ToleratedFailureCount":1,"Output":{"n":"{% $count($states.result) %}"},"End":true}}}'
run test-state "$T/jmapr.json" M --input "$IN3" --mock-result '[0,0,1]' --state-configuration '{"mapIterationFailureCount":2}'
expect_ts RETRIABLE
expect_whole '{"status":"RETRIABLE","error":"States.ExceedToleratedFailureThreshold",
 "cause":"The specified tolerated failure threshold was exceeded",
 "inspectionData":{"input":{"Values":["first","second","third"]},
 "errorDetails":{"retryBackoffIntervalSeconds":1,"retryIndex":1},"maxConcurrency":0,"toleratedFailureCount":1}}'
t "Map, the Output sees the mocked result"
run test-state "$T/jmapr.json" M --input "$IN3" --mock-result '[1,1,1]'
expect_ts SUCCEEDED
expect_json output '{"n":3}'

t "Map without a tolerance: failed iterations do not decide (AWS)"
mkjson jmapn.json '{"QueryLanguage":"JSONata","StartAt":"M","States":{
 "M":{"Type":"Map","Items":"{% $states.input.Values %}","MaxConcurrency":2,
  "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}'
run test-state "$T/jmapn.json" M --input "$IN3" --mock-result '[0,0,1]' --state-configuration '{"mapIterationFailureCount":2}'
expect_ts SUCCEEDED
expect_insp maxConcurrency 2
expect_insp_absent toleratedFailureCount

t "Map, ToleratedFailurePercentage: 1 of 3 within 50%, 2 of 3 over it"
mkjson pct.json '{"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailurePercentage":50,
 "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}'
run test-state "$T/pct.json" M --input '[1,2,3]' --mock-result '[1,2,3]' --state-configuration '{"mapIterationFailureCount":1}'
expect_ts SUCCEEDED
expect_insp toleratedFailurePercentage 50
run test-state "$T/pct.json" M --input '[1,2,3]' --mock-result '[1,2,3]' --state-configuration '{"mapIterationFailureCount":2}'
expect_ts FAILED
expect_json error '"States.ExceedToleratedFailureThreshold"'

mkjson pmap.json '{"StartAt":"State0","States":{"State0":{"Type":"Map","InputPath":"$.in","ItemsPath":"$.Values",
 "ItemSelector":{"v.$":"$$.Map.Item.Value","i.$":"$$.Map.Item.Index","tag.$":"$.tag"},
 "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
  "StartAt":"HandleItem","States":{"HandleItem":{"Type":"Pass","End":true}}},
 "ResultSelector":{"all.$":"$"},"ResultPath":"$.out","ToleratedFailureCount":2,"End":true}}}'
t "JSONPath Map, mocked error from a state inside (errorCausedByState): FAILED, items and ItemSelector shown"
run test-state "$T/pmap.json" State0 --input '{"in":{"Values":["a","b"],"tag":"t"}}' \
    --mock-error MockException --mock-cause "Mock the error cause." \
    --state-configuration '{"errorCausedByState":"HandleItem","mapIterationFailureCount":0}'
expect_ts FAILED
expect_whole '{"status":"FAILED","error":"MockException","cause":"Mock the error cause.",
 "inspectionData":{"input":{"in":{"Values":["a","b"],"tag":"t"}},"afterInputPath":{"Values":["a","b"],"tag":"t"},
 "afterItemsPath":["a","b"],"afterItemSelector":[{"v":"a","i":0,"tag":"t"},{"v":"b","i":1,"tag":"t"}],
 "maxConcurrency":0,"toleratedFailureCount":2}}'
t "JSONPath Map, mocked result: ResultSelector and ResultPath apply to it"
run test-state "$T/pmap.json" State0 --input '{"in":{"Values":["a","b"],"tag":"t"}}' --mock-result '["x","y"]'
expect_ts SUCCEEDED
# ResultPath places the result into the raw input (before InputPath).
expect_json output '{"in":{"Values":["a","b"],"tag":"t"},"out":{"all":["x","y"]}}'
expect_insp afterResultSelector '{"all":["x","y"]}'
expect_insp_absent result
t "Map whose items are not an array: FAILED as the Map would"
run test-state "$T/pmap.json" State0 --input '{"in":{"Values":"no","tag":"t"}}' --mock-result '[]'
expect_ts FAILED
expect_json error '"States.Runtime"'

mkjson rmap.json '{"QueryLanguage":"JSONata","StartAt":"State0","States":{"State0":{"Type":"Map","MaxConcurrency":1,
 "ItemReader":{"ReaderConfig":{"InputType":"JSON"},"Resource":"arn:aws:states:::s3:getObject",
  "Arguments":{"Bucket":"{% $states.input.Bucket %}","Key":"{% $states.input.Key %}"}},
 "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
  "StartAt":"HandleItem","States":{"HandleItem":{"Type":"Pass","End":true}}},
 "ToleratedFailurePercentage":40,"End":true}}}'
t "Map with an ItemReader and mapItemReaderData: SUCCEEDED with the mock (AWS)"
run test-state "$T/rmap.json" State0 --input '{"Bucket":"b","Key":"k"}' --mock-result '[1,4,9]' \
    --state-configuration '{"mapItemReaderData":"[1,2,3]"}'
expect_ts SUCCEEDED
expect_whole '{"status":"SUCCEEDED","output":[1,4,9],
 "inspectionData":{"input":{"Bucket":"b","Key":"k"},"maxConcurrency":1,"toleratedFailurePercentage":40}}'
t "mapItemReaderData that is not JSON: bad usage naming it"
run test-state "$T/rmap.json" State0 --input '{}' --mock-result '[1]' --state-configuration '{"mapItemReaderData":"[1,"}'
expect_usage "mapItemReaderData is not JSON"
t "mapItemReaderData of a JSON reader that is not an array"
run test-state "$T/rmap.json" State0 --input '{}' --mock-result '[1]' --state-configuration '{"mapItemReaderData":"{}"}'
expect_usage "must hold a JSON array"
t "mapItemReaderData of a JSONL reader: one value a line"
sed 's/"InputType":"JSON"/"InputType":"JSONL"/' "$T/rmap.json" >"$T/lmap.json"
run test-state "$T/lmap.json" State0 --input '{}' --mock-result '[1,2]' --state-configuration '{"mapItemReaderData":"{\"a\":1}\n\n{\"a\":2}\n"}'
expect_ts SUCCEEDED
run test-state "$T/lmap.json" State0 --input '{}' --mock-result '[1,2]' --state-configuration '{"mapItemReaderData":"{\"a\":1}\n{x"}'
expect_usage "line 2"
# mapItemReaderData of a CSV reader: the object's text, its rows as the
# ItemReader delivers them ("ItemReader (Map)", CSV: objects of strings,
# headers from the FIRST_ROW or GIVEN; docs.aws.amazon.com/step-functions/
# latest/dg/input-output-itemreader.html). The items feed the processor's
# ItemSelector (inspectionData.afterItemSelector); MaxItems applies.
t "mapItemReaderData of a CSV reader (FIRST_ROW): parsed as the exec ItemReader parses"
mkjson cmap.json '{"StartAt":"State0","States":{"State0":{"Type":"Map",
 "ItemSelector":{"row.$":"$$.Map.Item.Value"},
 "ItemReader":{"ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW","MaxItems":2},"Resource":"arn:aws:states:::s3:getObject",
  "Parameters":{"Bucket":"b","Key":"k"}},
 "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
  "StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}'
run test-state "$T/cmap.json" State0 --input '{}' --mock-result '[0]' --state-configuration '{"mapItemReaderData":"a,b\n1,\"x, y\"\n2,3\n4,5\n"}'
expect_ts SUCCEEDED
expect_py "the rows as items" 'r["inspectionData"]["afterItemSelector"] == [{"row": {"a": "1", "b": "x, y"}}, {"row": {"a": "2", "b": "3"}}]'
t "mapItemReaderData of a CSV reader (GIVEN, PIPE)"
mkjson cmap2.json '{"StartAt":"State0","States":{"State0":{"Type":"Map",
 "ItemSelector":{"row.$":"$$.Map.Item.Value"},
 "ItemReader":{"ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"GIVEN","CSVHeaders":["k","v"],"CSVDelimiter":"PIPE"},"Resource":"arn:aws:states:::s3:getObject",
  "Parameters":{"Bucket":"b","Key":"k"}},
 "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
  "StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}'
run test-state "$T/cmap2.json" State0 --input '{}' --mock-result '[0]' --state-configuration '{"mapItemReaderData":"a|1\nb|2\n"}'
expect_ts SUCCEEDED
expect_py "the rows as items" 'r["inspectionData"]["afterItemSelector"] == [{"row": {"k": "a", "v": "1"}}, {"row": {"k": "b", "v": "2"}}]'
t "mapItemReaderData of a CSV reader that is not valid CSV: bad usage naming it"
run test-state "$T/cmap.json" State0 --input '{}' --mock-result '[0]' --state-configuration '{"mapItemReaderData":"a,b\n\"open\n"}'
expect_usage "mapItemReaderData: row 2 is not valid CSV"
t "mapItemReaderData for a Map without an ItemReader"
run test-state "$T/jmapn.json" M --input "$IN3" --mock-result '[1]' --state-configuration '{"mapItemReaderData":"[]"}'
expect_usage "has none"

# A ResultWriter's result (child records, or the details of files written
# to S3) cannot come from a mocked array, and TestState's page documents
# none (docs.aws.amazon.com/step-functions/latest/dg/test-state-isolation.html):
# the field is refused, not passed over; a mocked error still works.
mkjson rwmap.json '{"StartAt":"M","States":{"M":{"Type":"Map",
 "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
  "StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},
 "ResultWriter":{"Resource":"arn:aws:states:::s3:putObject",
  "Parameters":{"Bucket":"b","Prefix":"p"}},"End":true}}}'
t "Map with a ResultWriter and a mocked result: refused, naming the field"
run test-state "$T/rwmap.json" M --input '[1]' --mock-result '[1]'
expect_usage "M: test-state does not apply the Map's ResultWriter to a mocked result"
t "Map with a ResultWriter and a mocked error"
run test-state "$T/rwmap.json" M --input '[1]' --mock-error Boom --mock-cause why
expect_ts FAILED
expect_json error '"Boom"'
expect_json cause '"why"'

t "Map with a mocked result that is not an array (AWS's message)"
run test-state "$T/jmap.json" M --input "$IN3" --mock-result '{"a":1}'
expect_usage "Mocked result must be an array."
t "Map without a mock (AWS's message)"
run test-state "$T/jmap.json" M --input "$IN3"
expect_usage "TestState API does not support Map or Parallel states"
t "mapIterationFailureCount over the mocked iterations (AWS's message)"
run test-state "$T/jmap.json" M --input "$IN3" --mock-result '[1,1,1]' --state-configuration '{"mapIterationFailureCount":4}'
expect_usage "Map iteration failure count must be less than or equal to the number of Map iterations"
t "mapIterationFailureCount without a mock (AWS's message)"
run test-state "$T/task.json" Work --input '{}' --state-configuration '{"mapIterationFailureCount":0}'
expect_usage "TestState does not support MapIterationFailureCount when a mock is not specified."
t "mapIterationFailureCount for a Task"
run test-state "$T/task.json" Work --input '{}' --mock-error E --state-configuration '{"mapIterationFailureCount":0}'
expect_usage "applies to a Map state"

# ---------------------------------------------------------------- mocked Parallel
mkjson ppar.json '{"StartAt":"Par","States":{"Par":{"Type":"Parallel","InputPath":"$.parallelInput",
 "ResultPath":"$.parallelResult","Branches":[{"StartAt":"B1","States":{"B1":{"Type":"Pass","End":true}}},
 {"StartAt":"B2","States":{"B2":{"Type":"Pass","End":true}}}],
 "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"H"}],"Next":"H"},
 "H":{"Type":"Pass","End":true}}}'
t "Parallel, mocked result: one per branch, through ResultPath (AWS's inspectionData)"
run test-state "$T/ppar.json" Par --input '{"parallelInput":{"data":"v"}}' --mock-result '[{"branch1":"r"},{"branch2":"r"}]'
expect_ts SUCCEEDED
expect_whole '{"status":"SUCCEEDED","nextState":"H",
 "output":{"parallelInput":{"data":"v"},"parallelResult":[{"branch1":"r"},{"branch2":"r"}]},
 "inspectionData":{"input":{"parallelInput":{"data":"v"}},
 "afterResultSelector":[{"branch1":"r"},{"branch2":"r"}],
 "afterResultPath":{"parallelInput":{"data":"v"},"parallelResult":[{"branch1":"r"},{"branch2":"r"}]}}}'
t "Parallel, mocked error from a branch's state: caught"
run test-state "$T/ppar.json" Par --input '{"parallelInput":{}}' --mock-error Boom --state-configuration '{"errorCausedByState":"B2"}'
expect_ts CAUGHT_ERROR
expect_json output '{"parallelInput":{},"err":{"Error":"Boom"}}'
expect_insp errorDetails '{"catchIndex":0}'
t "Parallel, a mocked result with the wrong number of branches (AWS's message)"
run test-state "$T/ppar.json" Par --input '{"parallelInput":{}}' --mock-result '[1]'
expect_usage "Mocked result must contain the same number of items as number of Parallel branches."
t "Parallel, a mocked result that is not an array"
run test-state "$T/ppar.json" Par --input '{"parallelInput":{}}' --mock-result '{}'
expect_usage "Mocked result must be an array."
t "Parallel without a mock"
run test-state "$T/ppar.json" Par --input '{"parallelInput":{}}'
expect_usage "Map or Parallel"
t "errorCausedByState naming no state inside"
run test-state "$T/ppar.json" Par --input '{}' --mock-error Boom --state-configuration '{"errorCausedByState":"H"}'
expect_usage "no state named 'H' inside the Parallel state 'Par'"
t "errorCausedByState without a mocked error"
run test-state "$T/ppar.json" Par --input '{}' --mock-result '[1,2]' --state-configuration '{"errorCausedByState":"B1"}'
expect_usage "needs a mocked error"
t "errorCausedByState for a Task"
run test-state "$T/task.json" Work --input '{}' --mock-error E --state-configuration '{"errorCausedByState":"Work"}'
expect_usage "applies to a Map or Parallel state"

t "a mock for a Pass state is refused (AWS's message)"
run test-state "$T/mixed.json" P --input '{"a":1}' --mock-result '{}'
expect_usage "State type 'Pass' is not supported when a mock is specified"
t "a mocked error for a Choice state is refused"
run test-state "$T/mixed.json" C --input '{"a":1}' --mock-error E
expect_usage "State type 'Choice' is not supported when a mock is specified"
t "retrierRetryCount for a state without Retry"
run test-state "$T/task.json" Work --input '{}' --mock-error E --retry-count 1
expect_usage "has none"

# ---------------------------------------------------------------- --state-configuration bad input
for bad in '[]' '"x"'; do
	t "--state-configuration $bad is not an object"
	run test-state "$T/lretry.json" Call --input '{}' --mock-error E --state-configuration "$bad"
	expect_usage "must be a JSON object"
done
t "--state-configuration that is not JSON"
run test-state "$T/lretry.json" Call --input '{}' --mock-error E --state-configuration '{'
expect_usage --state-configuration
t "--state-configuration with an unknown field"
run test-state "$T/lretry.json" Call --input '{}' --mock-error E --state-configuration '{"retryCount":1}'
expect_usage 'unknown field "retryCount"'
for v in -1 1.5 '"2"' 2147483648 null; do
	t "retrierRetryCount $v"
	run test-state "$T/lretry.json" Call --input '{}' --mock-error E --state-configuration "{\"retrierRetryCount\":$v}"
	expect_usage "retrierRetryCount wants a whole number from 0 to 2147483647"
	t "mapIterationFailureCount $v"
	run test-state "$T/jmap.json" M --input "$IN3" --mock-result '[1]' --state-configuration "{\"mapIterationFailureCount\":$v}"
	expect_usage "mapIterationFailureCount wants a whole number"
done
t "errorCausedByState \"\", 81 characters, a number"
for v in '""' "\"$(printf 'a%.0s' $(seq 81))\"" 5; do
	run test-state "$T/ppar.json" Par --input '{}' --mock-error E --state-configuration "{\"errorCausedByState\":$v}"
	expect_usage "errorCausedByState wants a state name of 1 to 80 characters"
done
t "mapItemReaderData that is not a string"
run test-state "$T/rmap.json" State0 --input '{}' --mock-result '[1]' --state-configuration '{"mapItemReaderData":[1,2]}'
expect_usage "mapItemReaderData wants the text"
t "--retry-count and retrierRetryCount that disagree"
run test-state "$T/lretry.json" Call --input '{}' --mock-error E --retry-count 1 --state-configuration '{"retrierRetryCount":2}'
expect_usage disagree

# ---------------------------------------------------------------- --mock-validation
# fieldValidationMode STRICT | PRESENT | NONE:
#   https://docs.aws.amazon.com/step-functions/latest/apireference/API_MockInput.html
mkjson lam.json '{"StartAt":"L","States":{"L":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}}'
mkjson sfn.json '{"StartAt":"S","States":{"S":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution","ResultPath":"$.r","End":true}}}'
mkjson ddb.json '{"StartAt":"D","States":{"D":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:putItem","End":true}}}'
t "lambda:invoke, STRICT by default: a StatusCode that is not a number (AWS's message)"
run test-state "$T/lam.json" L --input '{}' --mock-result '{"StatusCode":"200"}'
expect_usage "Mock result schema validation error: Field 'StatusCode' must be a number"
t "lambda:invoke, PRESENT checks the types too"
run test-state "$T/lam.json" L --input '{}' --mock-result '{"StatusCode":"200"}' --mock-validation PRESENT
expect_usage "Field 'StatusCode' must be a number"
t "lambda:invoke, NONE checks nothing"
run test-state "$T/lam.json" L --input '{}' --mock-result '{"StatusCode":"200"}' --mock-validation NONE
expect_ts SUCCEEDED
expect_json output '{"StatusCode":"200"}'
t "lambda:invoke, a valid result and fields the API does not name pass STRICT"
run test-state "$T/lam.json" L --input '{}' --mock-result '{"Payload":"function output","StatusCode":200,"SdkHttpMetadata":{"HttpStatusCode":200}}'
expect_ts SUCCEEDED
expect_json output '{"Payload":"function output","StatusCode":200,"SdkHttpMetadata":{"HttpStatusCode":200}}'
t "lambda:invoke, Payload is the function's answer as JSON, as Step Functions gives it"
run test-state "$T/lam.json" L --input '{}' --mock-result '{"Payload":{"a":1},"StatusCode":200}'
expect_ts SUCCEEDED
expect_json output '{"Payload":{"a":1},"StatusCode":200}'
t "lambda:invoke, a result that is not an object"
run test-state "$T/lam.json" L --input '{}' --mock-result '[1]'
expect_usage "must be a JSON object, not array"
t "states:startExecution, STRICT: a required field missing (AWS's message)"
run test-state "$T/sfn.json" S --input '{}' --mock-result '{}'
expect_usage "Mock result schema validation error: Required field 'ExecutionArn' is missing"
t "states:startExecution, PRESENT: required fields need not be there"
run test-state "$T/sfn.json" S --input '{}' --mock-result '{}' --mock-validation PRESENT
expect_ts SUCCEEDED
expect_json output '{"r":{}}'
t "states:startExecution, PRESENT: a StartDate that is not a string"
run test-state "$T/sfn.json" S --input '{}' --mock-result '{"StartDate":true}' --mock-validation PRESENT
expect_usage "Field 'StartDate' must be a string"
t "states:startExecution, STRICT: a full result passes"
run test-state "$T/sfn.json" S --input '{}' --mock-result '{"ExecutionArn":"arn:x","StartDate":"2024-01-01T00:00:00Z"}'
expect_ts SUCCEEDED
# startExecution.sync answers as DescribeExecution does:
#   https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html
mkjson sync.json '{"StartAt":"S","States":{"S":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync","End":true}}}'
mkjson sync2.json '{"StartAt":"S","States":{"S":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2","End":true}}}'
SYNC_OK='{"ExecutionArn":"arn:aws:states:us-east-1:123456789012:execution:c:e","StateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:c","Status":"SUCCEEDED","StartDate":"2024-01-01T00:00:00Z","StopDate":"2024-01-01T00:00:01Z"'
t "states:startExecution.sync, STRICT: DescribeExecution's output with Output as JSON text passes"
run test-state "$T/sync.json" S --input '{}' --mock-result "$SYNC_OK"',"Output":"{\"a\":1}"}'
expect_ts SUCCEEDED
expect_py "the mocked result is the output" 'r["output"]["Output"] == "{\"a\":1}" and r["output"]["Status"] == "SUCCEEDED"'
t "states:startExecution.sync, STRICT: Status missing"
run test-state "$T/sync.json" S --input '{}' --mock-result '{"ExecutionArn":"arn:x","StateMachineArn":"arn:y","StartDate":"2024-01-01T00:00:00Z"}'
expect_usage "Mock result schema validation error: Required field 'Status' is missing"
t "states:startExecution.sync: Output must be JSON text"
run test-state "$T/sync.json" S --input '{}' --mock-result "$SYNC_OK"',"Output":{"a":1}}'
expect_usage "Field 'Output' must be a string"
t "states:startExecution.sync:2: Output is the child's output as JSON"
run test-state "$T/sync2.json" S --input '{}' --mock-result "$SYNC_OK"',"Output":{"a":1}}'
expect_ts SUCCEEDED
expect_py "the output's Output is JSON" 'r["output"]["Output"] == {"a": 1}'
t "a resource whose output shape is not known: STRICT refuses, naming it"
run test-state "$T/ddb.json" D --input '{}' --mock-result '{}'
expect_usage "cannot be checked against the output of 'arn:aws:states:::dynamodb:putItem'"
run test-state "$T/ddb.json" D --input '{}' --mock-result '{}' --mock-validation PRESENT
expect_usage "--mock-validation NONE"
t "... and NONE lets it through"
run test-state "$T/ddb.json" D --input '{}' --mock-result '{"x":1}' --mock-validation NONE
expect_ts SUCCEEDED
t "a Lambda function's result is any JSON"
mkjson fn.json '{"StartAt":"F","States":{"F":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f","End":true}}}'
run test-state "$T/fn.json" F --input '{}' --mock-result '[1,"two"]'
expect_ts SUCCEEDED
expect_json output '[1,"two"]'
t "--mock-validation takes STRICT, PRESENT or NONE"
run test-state "$T/lam.json" L --input '{}' --mock-result '{}' --mock-validation LAX
expect_usage --mock-validation
t "--mock-validation without a mock"
run test-state "$T/lam.json" L --input '{}' --mock-validation NONE
expect_usage "needs --mock-result"
t "a mocked error is not checked"
run test-state "$T/lam.json" L --input '{}' --mock-error Lambda.Unknown --mock-validation STRICT
expect_ts FAILED

t "test-state --help"
run test-state --help
expect_rc 0
if grep -q "usage" "$T/out"; then ok; else bad "no usage text"; fi
for w in --state-configuration --mock-validation retrierRetryCount errorCausedByState \
    mapIterationFailureCount mapItemReaderData errorDetails STRICT PRESENT NONE; do
	if grep -qF -- "$w" "$T/out"; then ok; else bad "--help does not mention $w"; fi
done

t "stepdeploy --help lists test-state"
run --help
expect_rc 0
if grep -q "test-state" "$T/out"; then ok; else bad "test-state is not listed"; fi

finish
