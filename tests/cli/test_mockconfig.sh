#!/usr/bin/env bash
# tests/cli/test_mockconfig.sh: the exec flags added with the mock files:
# --mock-config FILE --test-case NAME [--state-machine NAME] (AWS Step
# Functions Local's MockConfigFile, read as it is: AWS's own example, retry
# ranges, Throw caught, Return as the whole Lambda Invoke response, a
# hybrid with --handler, every bad file named at its location) and
# --trace (the per-state processing record).
#
# The file's format: https://docs.aws.amazon.com/step-functions/latest/dg/sfn-local-mock-cfg-file.html
#
#   STEPDEPLOY=build/asan/stepdeploy bash tests/cli/test_mockconfig.sh
set -euo pipefail

. "$(dirname "$0")/lib.sh"
# ---------------------------------------------------------------- more helpers
# expect_rc N          the exit code is N
expect_rc() {
	if [ "$RC" = "$1" ]; then ok; else bad "exit status $RC, want $1"; fi
}

# ---------------------------------------------------------------- tests
# AWS's example (MockConfigFile.json of the Step Functions Local guide) and
# a machine shaped like its LambdaSQSIntegration.
AWS=$ROOT/tests/data/mockconfig/seed_aws_example.json
mkjson lambda-sqs.json '{"StartAt":"LambdaState","States":{
 "LambdaState":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
  "Parameters":{"Payload.$":"$","FunctionName":"HelloWorldFunction"},
  "Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":2,"MaxAttempts":3,"BackoffRate":2}],
  "Next":"SQSState"},
 "SQSState":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage",
  "Parameters":{"QueueUrl":"https://sqs.us-east-1.amazonaws.com/123456789012/myQueue","MessageBody.$":"$"},
  "End":true}}}'
M=$T/lambda-sqs.json
SQS_RETURN='{"MD5OfMessageBody":"3bcb6e8e-7h85-4375-b0bc-1a59812c6e51","MessageId":"3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"}'

# ---------------------------------------------------------------- AWS's example
t "HappyPath: both states mocked"
run exec "$M" --mock-config "$AWS" --test-case HappyPath --path --input '{"x":1}'
expect_status SUCCEEDED
expect_json output "$SQS_RETURN"
expect_json path '["LambdaState","SQSState"]'

t "HappyPath names its state machine"
run exec "$M" --mock-config "$AWS" --test-case HappyPath --state-machine LambdaSQSIntegration
expect_status SUCCEEDED
expect_json output "$SQS_RETURN"

t "RetryPath: invocations 0, 1-2 throw, 3 returns; the Retry takes them all"
run exec "$M" --mock-config "$AWS" --test-case RetryPath --history
expect_status SUCCEEDED
expect_json output "$SQS_RETURN"
expect_py "not three TaskFailed events" 'types.count("TaskFailed") == 3'
expect_py "the failures are not in order" \
    '[e["taskFailedEventDetails"]["error"] for e in hist if e["type"] == "TaskFailed"] == ["Lambda.ResourceNotReadyException", "Lambda.TimeoutException", "Lambda.TimeoutException"]'
expect_py "the cause is not kept" \
    '[e["taskFailedEventDetails"].get("cause") for e in hist if e["type"] == "TaskFailed"][0] == "Lambda resource is not ready."'

t "HybridPath: the unmocked state fails naming it"
run exec "$M" --mock-config "$AWS" --test-case HybridPath
expect_status FAILED
expect_names SQSState

t "HybridPath with a --handler for the unmocked state"
run exec "$M" --mock-config "$AWS" --test-case HybridPath --handler 'SQSState=echo "{\"MessageId\":\"real\"}"'
expect_status SUCCEEDED
expect_json output '{"MessageId":"real"}'

# ---------------------------------------------------------------- Return and Throw
mkjson invoke.json '{"StartAt":"Call","States":{
 "Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
  "Parameters":{"FunctionName":"f","Payload.$":"$"},
  "ResultSelector":{"body.$":"$.Payload.body","code.$":"$.StatusCode"},
  "Retry":[{"ErrorEquals":["Busy"],"MaxAttempts":1}],
  "Catch":[{"ErrorEquals":["Fatal"],"ResultPath":"$.caught","Next":"Recover"}],
  "End":true},
 "Recover":{"Type":"Pass","End":true}}}'
mkjson cfg.json '{"StateMachines":{"Invoke":{"TestCases":{
  "Ok":{"Call":"InvokeOk"},
  "BusyThenOk":{"Call":"BusyOnceThenOk"},
  "BusyTwice":{"Call":"BusyTwice"},
  "Fatal":{"Call":"Fatal"},
  "FatalNoCause":{"Call":"FatalNoCause"},
  "UsedUp":{"Call":"BusyOnce"},
  "Empty":{}}}},
 "MockedResponses":{
  "InvokeOk":{"0":{"Return":{"StatusCode":200,"Payload":{"body":"hello"}}}},
  "BusyOnceThenOk":{"1":{"Return":{"StatusCode":200,"Payload":{"body":"late"}}},
                    "0":{"Throw":{"Error":"Busy","Cause":"try again"}}},
  "BusyTwice":{"0-1":{"Throw":{"Error":"Busy","Cause":"try again"}},
               "2":{"Return":{"StatusCode":200,"Payload":{"body":"too late"}}}},
  "Fatal":{"0":{"Throw":{"Error":"Fatal","Cause":"it broke"}}},
  "FatalNoCause":{"0":{"Throw":{"Error":"Fatal"}}},
  "BusyOnce":{"0":{"Throw":{"Error":"Busy","Cause":"c"}}}}}'

t "Return of a lambda:invoke Task is the whole Invoke response"
run exec "$T/invoke.json" --mock-config "$T/cfg.json" --test-case Ok --input '{"in":1}'
expect_status SUCCEEDED
expect_json output '{"body":"hello","code":200}'

t "a Throw retried, then a Return"
run exec "$T/invoke.json" --mock-config "$T/cfg.json" --test-case BusyThenOk
expect_status SUCCEEDED
expect_json output '{"body":"late","code":200}'

t "a range of Throws outlasts the Retry"
run exec "$T/invoke.json" --mock-config "$T/cfg.json" --test-case BusyTwice
expect_status FAILED
expect_json error '"Busy"'
expect_json cause '"try again"'

t "a Throw caught: Error and Cause reach the Catch"
run exec "$T/invoke.json" --mock-config "$T/cfg.json" --test-case Fatal --input '{"in":1}' --path
expect_status SUCCEEDED
expect_json output '{"in":1,"caught":{"Error":"Fatal","Cause":"it broke"}}'
expect_json path '["Call","Recover"]'

t "a Throw without a Cause"
run exec "$T/invoke.json" --mock-config "$T/cfg.json" --test-case FatalNoCause --input '{}'
expect_status SUCCEEDED
expect_py "the caught error is not Fatal" 'r["output"]["caught"]["Error"] == "Fatal"'

t "responses used up: the state is named"
run exec "$T/invoke.json" --mock-config "$T/cfg.json" --test-case UsedUp
expect_status FAILED
expect_json error '"States.Runtime"'
expect_names Call

t "an empty test case mocks nothing"
run exec "$T/invoke.json" --mock-config "$T/cfg.json" --test-case Empty
expect_status FAILED
expect_names Call

t "the mock file read from stdin"
STDIN=$T/cfg.json run exec "$T/invoke.json" --mock-config - --test-case Ok
expect_status SUCCEEDED
expect_json output '{"body":"hello","code":200}'

# ---------------------------------------------------------------- choosing
mkjson two.json '{"StateMachines":{
  "First":{"TestCases":{"T":{"Call":"One"}}},
  "Second":{"TestCases":{"T":{"Call":"Two"},"Other":{}}}},
 "MockedResponses":{"One":{"0":{"Return":{"Payload":{"body":1},"StatusCode":200}}},
                    "Two":{"0":{"Return":{"Payload":{"body":2},"StatusCode":200}}}}}'

t "--state-machine picks one of several"
run exec "$T/invoke.json" --mock-config "$T/two.json" --state-machine Second --test-case T
expect_status SUCCEEDED
expect_json output '{"body":2,"code":200}'

t "several state machines and no --state-machine: exit 2 listing them"
run exec "$T/invoke.json" --mock-config "$T/two.json" --test-case T
expect_usage --state-machine
if grep -qF '"First", "Second"' "$T/err"; then ok; else bad "the names are not listed"; fi

t "an unknown --state-machine: exit 2 listing the names"
run exec "$T/invoke.json" --mock-config "$T/two.json" --state-machine Third --test-case T
expect_usage 'no state machine named "Third"'
if grep -qF '"First", "Second"' "$T/err"; then ok; else bad "the names are not listed"; fi

t "an unknown --test-case: exit 2 listing the names"
run exec "$T/invoke.json" --mock-config "$T/two.json" --state-machine Second --test-case Nope
expect_usage '/StateMachines/Second/TestCases: no test case named "Nope"'
if grep -qF '"T", "Other"' "$T/err"; then ok; else bad "the names are not listed"; fi

# ---------------------------------------------------------------- bad files
# bad_cfg NAME WANT TEXT: mock file TEXT is refused with WANT on stderr.
bad_cfg() {
	t "$1"
	mkjson bad-cfg.json "$3"
	run exec "$T/invoke.json" --mock-config "$T/bad-cfg.json" --test-case T
	expect_usage "$2"
}
bad_cfg "a gap in the invocations" "/MockedResponses/R/2: invocation numbers must be contiguous" \
    '{"StateMachines":{"M":{"TestCases":{"T":{"Call":"R"}}}},"MockedResponses":{"R":{"0":{"Return":1},"2":{"Return":2}}}}'
bad_cfg "invocations not from 0" "/MockedResponses/R/1-2: invocation numbers start at 0" \
    '{"StateMachines":{"M":{"TestCases":{"T":{"Call":"R"}}}},"MockedResponses":{"R":{"1-2":{"Return":1}}}}'
bad_cfg "overlapping ranges" '/MockedResponses/R/1: overlaps "0-1"' \
    '{"StateMachines":{"M":{"TestCases":{"T":{"Call":"R"}}}},"MockedResponses":{"R":{"0-1":{"Return":1},"1":{"Return":2}}}}'
bad_cfg "a range backwards" "/MockedResponses/R/2-1: not an invocation number or range" \
    '{"StateMachines":{"M":{"TestCases":{"T":{"Call":"R"}}}},"MockedResponses":{"R":{"0":{"Return":1},"2-1":{"Return":2}}}}'
bad_cfg "both Return and Throw" '/MockedResponses/R/0: a response needs exactly one of "Return" and "Throw"' \
    '{"StateMachines":{"M":{"TestCases":{"T":{"Call":"R"}}}},"MockedResponses":{"R":{"0":{"Return":1,"Throw":{"Error":"E"}}}}}'
bad_cfg "a Throw without an Error" '/MockedResponses/R/0/Throw: "Error" is missing' \
    '{"StateMachines":{"M":{"TestCases":{"T":{"Call":"R"}}}},"MockedResponses":{"R":{"0":{"Throw":{"Cause":"c"}}}}}'
bad_cfg "a misspelt field in a response" "/MockedResponses/R/0/Retrun: unknown field" \
    '{"StateMachines":{"M":{"TestCases":{"T":{"Call":"R"}}}},"MockedResponses":{"R":{"0":{"Retrun":1}}}}'
bad_cfg "a test case naming no mocked response" '/StateMachines/M/TestCases/T: state "Call": no mocked response named "Missing"' \
    '{"StateMachines":{"M":{"TestCases":{"T":{"Call":"Missing"}}}},"MockedResponses":{}}'
bad_cfg "a bad response that no test case uses" "/MockedResponses/Unused/0: a response needs" \
    '{"StateMachines":{"M":{"TestCases":{"T":{}}}},"MockedResponses":{"Unused":{"0":{}}}}'
bad_cfg "no StateMachines" '"StateMachines" is missing' \
    '{"MockedResponses":{}}'
bad_cfg "an unknown top-level field" "/Version: unknown field" \
    '{"Version":1,"StateMachines":{"M":{"TestCases":{"T":{}}}},"MockedResponses":{}}'
bad_cfg "too many invocations" "/MockedResponses/R: too many invocations" \
    '{"StateMachines":{"M":{"TestCases":{"T":{"Call":"R"}}}},"MockedResponses":{"R":{"0-99999999":{"Return":1}}}}'
bad_cfg "a mock file that is not JSON" "bad-cfg.json" '{"StateMachines":'
bad_cfg "a duplicate key" "bad-cfg.json" \
    '{"StateMachines":{"M":{"TestCases":{"T":{}}}},"StateMachines":{},"MockedResponses":{}}'

t "a mock file that does not exist"
run exec "$T/invoke.json" --mock-config "$T/nope.json" --test-case T
expect_usage nope.json

# ---------------------------------------------------------------- usage
t "--mock-config without --test-case"
run exec "$T/invoke.json" --mock-config "$T/cfg.json"
expect_usage --test-case

t "--test-case without --mock-config"
run exec "$T/invoke.json" --test-case Ok
expect_usage --mock-config

t "--state-machine without --mock-config"
run exec "$T/invoke.json" --state-machine Invoke
expect_usage --mock-config

t "--mocks and --mock-config together"
mkjson mocks.json '{"Call":{"result":1}}'
run exec "$T/invoke.json" --mocks "$T/mocks.json" --mock-config "$T/cfg.json" --test-case Ok
expect_usage --mocks

t "--mock-config without its value"
run exec "$T/invoke.json" --test-case Ok --mock-config
expect_usage --mock-config

t "exec --help names the new flags"
run exec --help
expect_rc 0
for f in --mock-config --test-case --state-machine --trace; do
	if grep -qF -- "$f" "$T/out"; then ok; else bad "--help does not mention $f"; fi
done

# ---------------------------------------------------------------- --trace
mkjson traced.json '{"StartAt":"Prep","States":{
 "Prep":{"Type":"Pass","InputPath":"$.in","Parameters":{"v.$":"$.v"},"ResultPath":"$.p","Next":"Call"},
 "Call":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage",
  "ResultSelector":{"id.$":"$.MessageId"},"ResultPath":"$.sent",
  "Retry":[{"ErrorEquals":["Busy"],"MaxAttempts":1}],"End":true}}}'
mkjson traced-mocks.json '{"Call":[{"error":"Busy","cause":"c"},{"result":{"MessageId":"m-1"}}]}'

t "--trace: one record per state run, with each processing step"
run exec "$T/traced.json" --input '{"in":{"v":7}}' --mocks "$T/traced-mocks.json" --trace
expect_status SUCCEEDED
expect_json output '{"in":{"v":7},"p":{"v":7},"sent":{"id":"m-1"}}'
expect_absent path
expect_absent history
expect_py "trace states are not Prep, Call" \
    '[x["state"] for x in r["trace"]] == ["Prep", "Call"]'
expect_py "Prep record differs" \
    'r["trace"][0]["type"] == "Pass" and eq(r["trace"][0]["input"], {"in": {"v": 7}}) and eq(r["trace"][0]["afterInputPath"], {"v": 7}) and eq(r["trace"][0]["afterParameters"], {"v": 7}) and eq(r["trace"][0]["afterResultPath"], {"in": {"v": 7}, "p": {"v": 7}}) and r["trace"][0]["next"] == "Call"'
expect_py "the Task record (after one retry) differs" \
    'eq(r["trace"][1]["result"], {"MessageId": "m-1"}) and eq(r["trace"][1]["afterResultSelector"], {"id": "m-1"}) and r["trace"][1]["retryCount"] == 1 and eq(r["trace"][1]["output"], r["output"])'

t "--trace with --path and --history"
run exec "$T/traced.json" --input '{"in":{"v":7}}' --mocks "$T/traced-mocks.json" --trace --path --history
expect_status SUCCEEDED
expect_json path '["Prep","Call"]'
expect_py "no trace" 'len(r["trace"]) == 2'
expect_types_has "ExecutionStarted PassStateEntered TaskStateEntered ExecutionSucceeded"

t "--trace on a failed execution"
run exec "$T/traced.json" --input '{"in":{}}' --trace
expect_status FAILED
expect_py "the failed state is not recorded with its error" \
    'r["trace"][-1]["state"] == "Prep" and r["trace"][-1]["error"] == "States.Runtime"'

t "no --trace: no trace key"
run exec "$T/traced.json" --input '{"in":{"v":7}}' --mocks "$T/traced-mocks.json"
expect_status SUCCEEDED
expect_absent trace

t "--trace with a mock file"
run exec "$T/invoke.json" --mock-config "$T/cfg.json" --test-case BusyThenOk --trace
expect_status SUCCEEDED
expect_py "the record of Call differs" \
    '[x["state"] for x in r["trace"]] == ["Call"] and eq(r["trace"][0]["result"], {"StatusCode": 200, "Payload": {"body": "late"}}) and r["trace"][0]["retryCount"] == 1'

finish
