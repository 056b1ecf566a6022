#!/usr/bin/env bash
# tests/cli/test_tasks.sh: Task states under `stepdeploy exec`: --mocks
# (by state name, by Resource, lists, reused objects, errors with Retry and
# Catch, used-up and missing mocks) and --handler commands (success, the
# {"errorType","errorMessage"} failure, garbage and stderr, Retry, Catch,
# Parameters, big payloads, the hello-world example).
#
# Lambda's answers and errors as a Task sees them:
# https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html and
# https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
#
#   STEPDEPLOY=build/asan/stepdeploy bash tests/cli/test_tasks.sh
set -euo pipefail

. "$(dirname "$0")/lib.sh"
# ---------------------------------------------------------------- tests
FN=arn:aws:lambda:us-east-1:000000000000:function
INVOKE=arn:aws:states:::lambda:invoke

mkjson one.json '{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"'$FN':worker","End":true}}}'
# Two Tasks with the same Resource, results kept under $.a and $.b.
mkjson two.json '{"StartAt":"First","States":{
 "First":{"Type":"Task","Resource":"'$FN':shared","ResultPath":"$.a","Next":"Second"},
 "Second":{"Type":"Task","Resource":"'$FN':shared","ResultPath":"$.b","End":true}}}'
# Retry twice on Flaky (virtual intervals of 5 and 10 s), catch the rest.
mkjson retry.json '{"StartAt":"Work","States":{
 "Work":{"Type":"Task","Resource":"'$FN':worker",
  "Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":5,"MaxAttempts":2,"BackoffRate":2}],
  "Catch":[{"ErrorEquals":["Fatal"],"ResultPath":"$.err","Next":"Caught"}],"End":true},
 "Caught":{"Type":"Pass","End":true}}}'

# ---------------------------------------------------------------- mocks
t "mock by state name"
mkjson m.json '{"Work":[{"result":{"x":1}}]}'
run exec "$T/one.json" --mocks "$T/m.json" --input '{"in":true}'
expect_status SUCCEEDED
expect_json output '{"x":1}'

t "mock by Resource"
mkjson m.json '{"'$FN':worker":[{"result":"by resource"}]}'
run exec "$T/one.json" --mocks "$T/m.json"
expect_status SUCCEEDED
expect_json output '"by resource"'

t "state name wins over Resource"
mkjson m.json '{"'$FN':worker":[{"result":"resource"}],"Work":[{"result":"state"}]}'
run exec "$T/one.json" --mocks "$T/m.json"
expect_status SUCCEEDED
expect_json output '"state"'

t "mock results that are not objects"
for v in '[1,2]' '7' 'null' 'false' '"s"'; do
	mkjson m.json '{"Work":[{"result":'"$v"'}]}'
	run exec "$T/one.json" --mocks "$T/m.json"
	expect_status SUCCEEDED
	expect_json output "$v"
done

t "a list is used in order across Tasks sharing a key"
mkjson m.json '{"'$FN':shared":[{"result":1},{"result":2}]}'
run exec "$T/two.json" --mocks "$T/m.json" --input '{}'
expect_status SUCCEEDED
expect_json output '{"a":1,"b":2}'

t "a single object is reused for every call"
mkjson m.json '{"'$FN':shared":{"result":"same"}}'
run exec "$T/two.json" --mocks "$T/m.json" --input '{}'
expect_status SUCCEEDED
expect_json output '{"a":"same","b":"same"}'

t "a used-up list fails naming the state"
mkjson m.json '{"'$FN':shared":[{"result":1}]}'
run exec "$T/two.json" --mocks "$T/m.json" --input '{}' --path
expect_status FAILED
expect_names Second
expect_json path '["First","Second"]'
expect_absent output

t "an empty list fails naming the state"
mkjson m.json '{"Work":[]}'
run exec "$T/one.json" --mocks "$T/m.json"
expect_status FAILED
expect_names Work

t "no mock for the Task fails naming the state"
mkjson m.json '{"Other":[{"result":1}]}'
run exec "$T/two.json" --mocks "$T/m.json" --input '{}'
expect_status FAILED
expect_names First

t "no --mocks and no --handler fails naming the state"
run exec "$T/one.json"
expect_status FAILED
expect_names Work

t "an error mock fails the execution with its error and cause"
mkjson m.json '{"Work":[{"error":"Boom","cause":"it broke"}]}'
run exec "$T/one.json" --mocks "$T/m.json"
expect_status FAILED
expect_json error '"Boom"'
expect_json cause '"it broke"'
expect_absent output

t "error mocks retried, then a result"
mkjson m.json '{"Work":[{"error":"Flaky","cause":"1"},{"error":"Flaky","cause":"2"},{"result":{"ok":true}}]}'
run exec "$T/retry.json" --mocks "$T/m.json" --path --history
expect_status SUCCEEDED
expect_json output '{"ok":true}'
expect_json path '["Work"]'
expect_faster 10000
expect_types "ExecutionStarted TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionFailed LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionFailed LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionSucceeded TaskStateExited ExecutionSucceeded"

t "retries used up: the last error fails the execution"
mkjson m.json '{"Work":[{"error":"Flaky","cause":"1"},{"error":"Flaky","cause":"2"},{"error":"Flaky","cause":"3"},{"result":"never"}]}'
run exec "$T/retry.json" --mocks "$T/m.json"
expect_status FAILED
expect_json error '"Flaky"'
expect_json cause '"3"'

t "an error mock caught by name"
mkjson m.json '{"Work":{"error":"Fatal","cause":"no way"}}'
run exec "$T/retry.json" --mocks "$T/m.json" --input '{"k":1}' --path
expect_status SUCCEEDED
expect_json output '{"k":1,"err":{"Error":"Fatal","Cause":"no way"}}'
expect_json path '["Work","Caught"]'

t "an error that no Retry or Catch matches"
mkjson m.json '{"Work":{"error":"Other","cause":"x"}}'
run exec "$T/retry.json" --mocks "$T/m.json"
expect_status FAILED
expect_json error '"Other"'

t "task.json: retried then succeeds (lambda:invoke Resource)"
mkjson m.json '{"'$INVOKE'":[{"error":"Flaky","cause":"c1"},{"error":"Flaky","cause":"c2"},{"result":{"ok":true}}]}'
run exec "$DEFS/task.json" --mocks "$T/m.json" --input '{"x":1}'
expect_status SUCCEEDED
# The result as mocked, or wrapped as Payload of Lambda's Invoke response.
expect_py "output.work is not the mocked result" \
    'r["output"]["x"] == 1 and (eq(r["output"]["work"], {"ok": True}) or eq(r["output"]["work"].get("Payload"), {"ok": True}))'

t "task.json: retries used up, caught by States.ALL"
mkjson m.json '{"'$INVOKE'":[{"error":"Flaky","cause":"c1"},{"error":"Flaky","cause":"c2"},{"error":"Flaky","cause":"c3"}]}'
run exec "$DEFS/task.json" --mocks "$T/m.json" --input '{"x":1}'
expect_status SUCCEEDED
expect_json output '{"x":1,"error":{"Error":"Flaky","Cause":"c3"},"status":"recovered"}'

t "task.json: a non-retried error caught by States.ALL"
mkjson m.json '{"'$INVOKE'":{"error":"Boom","cause":"bad"}}'
run exec "$DEFS/task.json" --mocks "$T/m.json" --input '{"x":1}'
expect_status SUCCEEDED
expect_json output '{"x":1,"error":{"Error":"Boom","Cause":"bad"},"status":"recovered"}'

t "--history of a mocked Task (TaskScheduled, TaskSucceeded)"
mkjson invoke.json '{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"'$INVOKE'","Parameters":{"FunctionName":"f","Payload.$":"$"},"End":true}}}'
mkjson m.json '{"Call":[{"result":{"Payload":"done"}}]}'
run exec "$T/invoke.json" --mocks "$T/m.json" --history
expect_status SUCCEEDED
expect_types "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskSucceeded TaskStateExited ExecutionSucceeded"
# AWS: taskScheduledEventDetails {resourceType, resource, region, parameters}
expect_py "TaskScheduled details are not AWS's {resourceType: lambda, resource: invoke, parameters}" \
    'any(e["type"] == "TaskScheduled" and e["taskScheduledEventDetails"].get("resourceType") == "lambda" and e["taskScheduledEventDetails"].get("resource") == "invoke" and eq(json.loads(e["taskScheduledEventDetails"]["parameters"]), {"FunctionName": "f", "Payload": {}}) for e in hist)'

t "--history of a failing mocked Task (TaskFailed, ExecutionFailed)"
mkjson m.json '{"Call":[{"error":"Boom","cause":"bad"}]}'
run exec "$T/invoke.json" --mocks "$T/m.json" --history
expect_status FAILED
expect_types_has "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskFailed ExecutionFailed"
expect_py "TaskFailed lacks error/cause" \
    'any(e["type"] == "TaskFailed" and e["taskFailedEventDetails"].get("error") == "Boom" and e["taskFailedEventDetails"].get("cause") == "bad" for e in hist)'

# A mock's result is the Task's result, as in the peer (run.js) and in AWS
# Step Functions Local's MockConfigFile ("Return" is the whole response).
t "lambda:invoke: a mock result is the Task's result (ResultSelector, ResultPath)"
mkjson sel.json '{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"'$INVOKE'","Parameters":{"FunctionName":"f"},"ResultSelector":{"v.$":"$.Payload.v"},"ResultPath":"$.r","End":true}}}'
mkjson m.json '{"Call":{"result":{"Payload":{"v":42},"StatusCode":200}}}'
run exec "$T/sel.json" --mocks "$T/m.json" --input '{"keep":1}'
expect_status SUCCEEDED
expect_json output '{"keep":1,"r":{"v":42}}'

t "a mocked Task inside a Map, reused per item"
mkjson map.json '{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"Inner","States":{"Inner":{"Type":"Task","Resource":"'$FN':inner","End":true}}},"End":true}}}'
mkjson m.json '{"Inner":{"result":"x"}}'
run exec "$T/map.json" --mocks "$T/m.json" --input '[1,2,3]'
expect_status SUCCEEDED
expect_json output '["x","x","x"]'

t "a mocked Task inside a Map, a list used up by the items"
mkjson m.json '{"Inner":[{"result":"x"}]}'
run exec "$T/map.json" --mocks "$T/m.json" --input '[1,2,3]'
expect_status FAILED
expect_names Inner

# ---------------------------------------------------------------- handlers
t "--handler cat: the Task's input on stdin, stdout is the result"
run exec "$T/one.json" --handler Work=cat --input '{"a":[1,{"b":null}]}'
expect_status SUCCEEDED
expect_json output '{"a":[1,{"b":null}]}'

t "--handler: the input is the effective input, after Parameters"
mkjson params.json '{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"'$FN':worker","InputPath":"$.in","Parameters":{"v.$":"$.v","const":"c"},"ResultPath":"$.out","End":true}}}'
run exec "$T/params.json" --handler Work=cat --input '{"in":{"v":5,"drop":1}}'
expect_status SUCCEEDED
expect_json output '{"in":{"v":5,"drop":1},"out":{"v":5,"const":"c"}}'

t "--handler: a shell command line (/bin/sh -c)"
run exec "$T/one.json" --handler 'Work=cat >/dev/null; echo "{\"v\": 1}" | cat'
expect_status SUCCEEDED
expect_json output '{"v":1}'

t "--handler: non-object input and result"
run exec "$T/one.json" --handler Work=cat --input '[1,"two"]'
expect_status SUCCEEDED
expect_json output '[1,"two"]'

t "--handler for two states"
run exec "$T/two.json" --handler 'First=cat >/dev/null; echo 1' \
    --handler 'Second=cat >/dev/null; echo "\"two\""' --input '{}'
expect_status SUCCEEDED
expect_json output '{"a":1,"b":"two"}'

t "--handler for one state, a mock for the other"
mkjson m.json '{"Second":[{"result":"mocked"}]}'
run exec "$T/two.json" --handler 'First=cat >/dev/null; echo 1' --mocks "$T/m.json" --input '{}'
expect_status SUCCEEDED
expect_json output '{"a":1,"b":"mocked"}'

t "--handler inside a Map: one call per item"
run exec "$T/map.json" --handler 'Inner=read x || true; echo $((x * 10))' --input '[1,2,3]'
expect_status SUCCEEDED
expect_json output '[10,20,30]'

t "--handler keyed by Resource"
run exec "$T/two.json" --handler "$FN:shared=cat >/dev/null; echo 5" --input '{}'
expect_status SUCCEEDED
expect_json output '{"a":5,"b":5}'

t "--handler keyed by state name wins over one keyed by Resource"
run exec "$T/two.json" --handler "$FN:shared=cat >/dev/null; echo 5" \
    --handler 'Second=cat >/dev/null; echo 6' --input '{}'
expect_status SUCCEEDED
expect_json output '{"a":5,"b":6}'

t "--handler '*' answers every Task"
run exec "$T/two.json" --handler '*=cat >/dev/null; echo 7' --input '{}'
expect_status SUCCEEDED
expect_json output '{"a":7,"b":7}'

t "--handler exits non-zero printing errorType/errorMessage"
cat >"$T/err-handler.sh" <<'SH'
cat >/dev/null
echo '{"errorType":"Custom.Bad","errorMessage":"bad input here"}'
exit 3
SH
run exec "$T/one.json" --handler "Work=sh $T/err-handler.sh"
expect_status FAILED
expect_json error '"Custom.Bad"'
expect_json cause '"bad input here"'

t "--handler error caught by Catch"
sed 's/Custom.Bad/Fatal/' "$T/err-handler.sh" >"$T/fatal-handler.sh"
run exec "$T/retry.json" --handler "Work=sh $T/fatal-handler.sh" --input '{}' --path
expect_status SUCCEEDED
expect_json output '{"err":{"Error":"Fatal","Cause":"bad input here"}}'
expect_json path '["Work","Caught"]'

t "--handler error retried: fails once, then succeeds"
cat >"$T/flaky.sh" <<SH
if [ -e "$T/flaky.flag" ]; then cat; exit 0; fi
cat >/dev/null
: >"$T/flaky.flag"
echo '{"errorType":"Flaky","errorMessage":"try again"}'
exit 1
SH
run exec "$T/retry.json" --handler "Work=sh $T/flaky.sh" --input '{"n":1}' --history
expect_status SUCCEEDED
expect_json output '{"n":1}'
expect_types_has "LambdaFunctionFailed LambdaFunctionSucceeded"
expect_faster 10000

t "--handler exits non-zero printing garbage: States.TaskFailed with its stderr"
cat >"$T/garbage.sh" <<'SH'
cat >/dev/null
echo 'this is not json'
echo 'oops on stderr' >&2
exit 2
SH
run exec "$T/one.json" --handler "Work=sh $T/garbage.sh"
expect_status FAILED
expect_json error '"States.TaskFailed"'
expect_has cause 'oops on stderr'

t "--handler exits non-zero printing nothing"
run exec "$T/one.json" --handler 'Work=cat >/dev/null; echo "fell over" >&2; exit 1'
expect_status FAILED
expect_json error '"States.TaskFailed"'
expect_has cause 'fell over'

t "--handler garbage failure caught as States.TaskFailed"
mkjson catch-tf.json '{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"'$FN':worker","Catch":[{"ErrorEquals":["States.TaskFailed"],"ResultPath":"$.e","Next":"Done"}],"End":true},"Done":{"Type":"Pass","OutputPath":"$.e.Error","End":true}}}'
run exec "$T/catch-tf.json" --handler "Work=sh $T/garbage.sh"
expect_status SUCCEEDED
expect_json output '"States.TaskFailed"'

t "--handler command not found"
run exec "$T/one.json" --handler "Work=$T/no-such-program"
expect_status FAILED
expect_json error '"States.TaskFailed"'
expect_has cause 'no-such-program'

t "--handler exits 0 printing no JSON"
run exec "$T/one.json" --handler 'Work=cat >/dev/null; echo not json'
expect_status FAILED

t "--handler that does not read a large input"
head -c 200000 /dev/zero | tr '\0' 'a' >"$T/big.txt"
{ printf '{"s":"'; cat "$T/big.txt"; printf '"}\n'; } >"$T/big.json"
run exec "$T/one.json" --handler 'Work=echo "{\"a\": 1}"' --input "@$T/big.json"
expect_status SUCCEEDED
expect_json output '{"a":1}'

t "--handler echoing a large input back (no pipe deadlock)"
run exec "$T/one.json" --handler Work=cat --input "@$T/big.json"
expect_status SUCCEEDED
expect_py "output differs from the 200 kB input" 'r["output"] == {"s": "a" * 200000}'

t "--handler name that matches no state: the Task still has no handler"
run exec "$T/one.json" --handler Nope=cat
expect_status FAILED
expect_names Work

# ---------------------------------------------------------------- hello-world
HELLO=${HELLO_WORLD:-}
for h in "$(dirname "$STEPDEPLOY")/hello-world" "$(dirname "$STEPDEPLOY")/../hello-world" \
    "$ROOT/build/hello-world"; do
	if [ -z "$HELLO" ] && [ -x "$h" ]; then
		HELLO=$h
	fi
done
if [ -n "$HELLO" ]; then
	EX=$ROOT/examples/hello-world
	"$HELLO" json >"$T/hello.json"
	HM=$T/hello.json

	t "hello-world example"
	run exec "$HM" --input "@$EX/input.json" --handler "Hello=$HELLO handle" --path --history
	expect_status SUCCEEDED
	expect_json output '{"Greeting":"Hello World"}'
	expect_json path '["Hello"]'
	# A Lambda function ARN as Resource: AWS records LambdaFunction* events.
	expect_types "ExecutionStarted TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionSucceeded TaskStateExited ExecutionSucceeded"

	t "hello-world keeps a greeting"
	run exec "$HM" --input '{"Greeting":"Hi","x":1}' --handler "Hello=$HELLO handle"
	expect_status SUCCEEDED
	expect_json output '{"Greeting":"Hi","x":1}'

	t "hello-world on bad input: InvalidInput"
	run exec "$HM" --input '{"Greeting":5}' --handler "Hello=$HELLO handle"
	expect_status FAILED
	expect_json error '"InvalidInput"'
	expect_has cause 'Greeting'

	t "hello-world on an array: InvalidInput"
	run exec "$HM" --input '[1]' --handler "Hello=$HELLO handle"
	expect_status FAILED
	expect_json error '"InvalidInput"'
else
	echo "(hello-world checks skipped: no hello-world binary next to $STEPDEPLOY; set HELLO_WORLD)" >&2
fi

# ---------------------------------------------------------------- task tokens
# AWS ("Wait for a Callback with Task Token", docs.aws.amazon.com/step-functions/
# latest/dg/connect-to-resource.html#connect-wait-token): a .waitForTaskToken
# Task's Parameters pass $$.Task.Token on; each attempt gets a fresh token.
t ".waitForTaskToken: Parameters see \$\$.Task.Token, a new one per attempt"
mkjson tok.json '{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
 "Parameters":{"MessageBody":{"token.$":"$$.Task.Token"}},"Retry":[{"ErrorEquals":["Busy"],"IntervalSeconds":1}],"End":true}}}'
mkjson tokm.json '{"T":[{"error":"Busy","cause":"again"},{"result":{"ok":true}}]}'
run exec "$T/tok.json" --mocks "$T/tokm.json" --history
expect_status SUCCEEDED
expect_py "two TaskScheduled events with two different tokens" '(lambda ps: len(ps) == 2 and ps[0] != ps[1] and all(json.loads(p)["MessageBody"]["token"].startswith("token-") for p in ps))([e["taskScheduledEventDetails"]["parameters"] for e in hist if e["type"] == "TaskScheduled"])'
t "a Task without .waitForTaskToken has no \$\$.Task"
mkjson notok.json '{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","Parameters":{"t.$":"$$.Task.Token"},"End":true}}}'
run exec "$T/notok.json" --handler T=cat
expect_status FAILED
expect_json error '"States.Runtime"'

# ---------------------------------------------------------------- heartbeats
# AWS ("Task state", HeartbeatSeconds): a Task that sends no heartbeat for
# HeartbeatSeconds fails with States.HeartbeatTimeout (a TaskTimedOut event).
# A mock's "delaySeconds" is how long its task runs, "heartbeatSeconds" how
# often it sends a heartbeat.
mkjson hb.json '{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
 "HeartbeatSeconds":10,"TimeoutSeconds":100,"Parameters":{"t.$":"$$.Task.Token"},"End":true}}}'
t "no heartbeat within HeartbeatSeconds: States.HeartbeatTimeout at 10 s"
mkjson hbm.json '{"T":{"result":{"ok":1},"delaySeconds":50}}'
run exec "$T/hb.json" --mocks "$T/hbm.json" --history
expect_status FAILED
expect_json error '"States.HeartbeatTimeout"'
expect_py "TaskTimedOut with the error; scheduled with heartbeatInSeconds" '"TaskTimedOut" in types and any(e.get("taskScheduledEventDetails", {}).get("heartbeatInSeconds") == 10 for e in hist)'
t "heartbeats every 5 s keep it alive"
mkjson hbm2.json '{"T":{"result":{"ok":1},"delaySeconds":50,"heartbeatSeconds":5}}'
run exec "$T/hb.json" --mocks "$T/hbm2.json"
expect_status SUCCEEDED
expect_json output '{"ok":1}'
t "TimeoutSeconds still applies with heartbeats"
mkjson hbm3.json '{"T":{"result":{"ok":1},"delaySeconds":500,"heartbeatSeconds":5}}'
run exec "$T/hb.json" --mocks "$T/hbm3.json"
expect_status FAILED
expect_json error '"States.Timeout"'
t "HeartbeatSecondsPath from the input"
mkjson hbp.json '{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","HeartbeatSecondsPath":"$.hb","End":true}}}'
run exec "$T/hbp.json" --mocks "$T/hbm.json" --input '{"hb":60}'
expect_status SUCCEEDED
run exec "$T/hbp.json" --mocks "$T/hbm.json" --input '{"hb":20}'
expect_json error '"States.HeartbeatTimeout"'

finish
