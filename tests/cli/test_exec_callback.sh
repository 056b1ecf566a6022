#!/usr/bin/env bash
# tests/cli/test_exec_callback.sh: callback Tasks (.waitForTaskToken),
# .sync jobs and activities under `stepdeploy exec`, answered by --mocks
# and --handler commands in the shape of AWS's callback API calls, with the
# history AWS writes for each pattern.
#
#   STEPDEPLOY=build/asan/stepdeploy bash tests/cli/test_exec_callback.sh
set -euo pipefail

. "$(dirname "$0")/lib.sh"

# expect_events DESC JSON: the Task*/Activity* events of the history (not
# TaskStateEntered/Exited) are exactly JSON, each with its "timestamp"
# replaced by "t", the seconds since the execution started.
expect_events() {
	expect_py "$1" 'eq([dict({k: v for k, v in e.items() if k != "timestamp"}, t=ts(e) - ts(hist[0])) for e in hist if e["type"].startswith(("Task", "Activity")) and not e["type"].startswith("TaskState")], json.loads(args[0]))' "$2"
}
# ts(e) is defined for expect_events' expression.
PYLIB="import datetime
def ts(e):
    return datetime.datetime.strptime(e['timestamp'], '%Y-%m-%dT%H:%M:%S.%fZ').replace(tzinfo=datetime.timezone.utc).timestamp()
$PYLIB"

TOK=token-00005eed5eed5eed-1	# the first task token of an execution
SQS='"Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken"'
PARAMS='"Parameters":{"QueueUrl":"q","MessageBody":{"token.$":"$$.Task.Token"}}'
mkjson cb.json '{"StartAt":"T","States":{"T":{"Type":"Task",'"$SQS"',"HeartbeatSeconds":10,"TimeoutSeconds":100,'"$PARAMS"',"End":true}}}'
mkjson cbfree.json '{"StartAt":"T","States":{"T":{"Type":"Task",'"$SQS"','"$PARAMS"',"End":true}}}'
SCHED='{"t":0,"id":3,"previousEventId":2,"type":"TaskScheduled","taskScheduledEventDetails":{"resourceType":"sqs","resource":"sendMessage.waitForTaskToken","region":"us-east-1","parameters":"{\"QueueUrl\":\"q\",\"MessageBody\":{\"token\":\"'$TOK'\"}}","timeoutInSeconds":100,"heartbeatInSeconds":10}}'
SCHED_FREE='{"t":0,"id":3,"previousEventId":2,"type":"TaskScheduled","taskScheduledEventDetails":{"resourceType":"sqs","resource":"sendMessage.waitForTaskToken","region":"us-east-1","parameters":"{\"QueueUrl\":\"q\",\"MessageBody\":{\"token\":\"'$TOK'\"}}"}}'
RES='"resourceType":"sqs","resource":"sendMessage.waitForTaskToken"'
STARTED='{"t":0,"id":4,"previousEventId":3,"type":"TaskStarted","taskStartedEventDetails":{'"$RES"'}}'
SUBMITTED='{"t":0,"id":5,"previousEventId":4,"type":"TaskSubmitted","taskSubmittedEventDetails":{'"$RES"',"output":"{\"MessageId\":\"m-1\"}","outputDetails":{"truncated":false}}}'
CLOSED='The task token has either expired or the task associated with the token has already been closed.'

# ---------------------------------------------------------------- mocks
# AWS: "Wait for a Callback with Task Token" (docs.aws.amazon.com/
# step-functions/latest/dg/connect-to-resource.html#connect-wait-token) and
# the callback API (docs.aws.amazon.com/step-functions/latest/apireference/
# API_SendTaskSuccess.html, API_SendTaskFailure.html,
# API_SendTaskHeartbeat.html): the task waits until SendTaskSuccess (output:
# JSON text) or SendTaskFailure (error, cause) comes with its token; each
# SendTaskHeartbeat restarts the HeartbeatSeconds timer. The history
# (docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html,
# API_TaskSubmittedEventDetails.html, API_TaskSucceededEventDetails.html):
# TaskScheduled, TaskStarted {resourceType, resource}, TaskSubmitted
# {resourceType, resource, output: the service call's response,
# outputDetails}, then TaskSucceeded {.., output, outputDetails},
# TaskFailed {.., error, cause} or TaskTimedOut {.., error}.
t "heartbeats keep the task alive; SendTaskSuccess ends it with its output"
mkjson ok.json '{"T":{"submitted":{"MessageId":"m-1"},"callbacks":[
 {"afterSeconds":5,"SendTaskHeartbeat":{}},
 {"afterSeconds":14,"SendTaskHeartbeat":{"taskToken":"'$TOK'"}},
 {"afterSeconds":20,"SendTaskSuccess":{"taskToken":"'$TOK'","output":"{\"ok\":1}"}}]}}'
run exec "$T/cb.json" --mocks "$T/ok.json" --history
expect_status SUCCEEDED
expect_json output '{"ok":1}'
expect_absent refusedCallbacks
expect_types "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskSubmitted TaskSucceeded TaskStateExited ExecutionSucceeded"
expect_events "exact Task events" '['"$SCHED,$STARTED,$SUBMITTED"',
 {"t":20,"id":6,"previousEventId":5,"type":"TaskSucceeded","taskSucceededEventDetails":{'"$RES"',"output":"{\"ok\":1}","outputDetails":{"truncated":false}}}]'

t "no heartbeat within HeartbeatSeconds: States.HeartbeatTimeout 10 s after the last one"
mkjson hb.json '{"T":{"submitted":{"MessageId":"m-1"},"callbacks":[
 {"afterSeconds":5,"SendTaskHeartbeat":{}},
 {"afterSeconds":16,"SendTaskSuccess":{"output":"1"}}]}}'
run exec "$T/cb.json" --mocks "$T/hb.json" --history
expect_status FAILED
expect_json error '"States.HeartbeatTimeout"'
expect_py "no cause" '"cause" not in r'
expect_events "TaskTimedOut at 15 s" '['"$SCHED,$STARTED,$SUBMITTED"',
 {"t":15,"id":6,"previousEventId":5,"type":"TaskTimedOut","taskTimedOutEventDetails":{'"$RES"',"error":"States.HeartbeatTimeout"}}]'
# API_SendTaskSuccess.html, Errors: TaskTimedOut, "The task token has
# either expired or the task associated with the token has already been
# closed."
expect_json refusedCallbacks '[{"state":"T","afterSeconds":16,"call":"SendTaskSuccess","error":"TaskTimedOut","cause":"'"$CLOSED"'"}]'

t "a heartbeat exactly HeartbeatSeconds after the last is in time"
mkjson hbedge.json '{"T":{"callbacks":[{"afterSeconds":10,"SendTaskHeartbeat":{}},{"afterSeconds":20,"SendTaskSuccess":{"output":"2"}}]}}'
run exec "$T/cb.json" --mocks "$T/hbedge.json"
expect_status SUCCEEDED
expect_json output '2'

t "TimeoutSeconds passes however often the task beats: States.Timeout at 100 s"
mkjson to.json '{"T":{"callbacks":[
 {"afterSeconds":9,"SendTaskHeartbeat":{}},{"afterSeconds":18,"SendTaskHeartbeat":{}},
 {"afterSeconds":27,"SendTaskHeartbeat":{}},{"afterSeconds":36,"SendTaskHeartbeat":{}},
 {"afterSeconds":45,"SendTaskHeartbeat":{}},{"afterSeconds":54,"SendTaskHeartbeat":{}},
 {"afterSeconds":63,"SendTaskHeartbeat":{}},{"afterSeconds":72,"SendTaskHeartbeat":{}},
 {"afterSeconds":81,"SendTaskHeartbeat":{}},{"afterSeconds":90,"SendTaskHeartbeat":{}},
 {"afterSeconds":99,"SendTaskHeartbeat":{}},{"afterSeconds":105,"SendTaskHeartbeat":{}}]}}'
run exec "$T/cb.json" --mocks "$T/to.json" --history
expect_status FAILED
expect_json error '"States.Timeout"'
expect_events "TaskSubmitted without an output, TaskTimedOut at 100 s" '['"$SCHED,$STARTED"',
 {"t":0,"id":5,"previousEventId":4,"type":"TaskSubmitted","taskSubmittedEventDetails":{'"$RES"'}},
 {"t":100,"id":6,"previousEventId":5,"type":"TaskTimedOut","taskTimedOutEventDetails":{'"$RES"',"error":"States.Timeout"}}]'
expect_json refusedCallbacks '[{"state":"T","afterSeconds":105,"call":"SendTaskHeartbeat","error":"TaskTimedOut","cause":"'"$CLOSED"'"}]'

t "SendTaskFailure fails the task with its error and cause, which Catch takes"
mkjson catch.json '{"StartAt":"T","States":{"T":{"Type":"Task",'"$SQS"','"$PARAMS"',"Catch":[{"ErrorEquals":["Rejected"],"Next":"C"}],"End":true},"C":{"Type":"Pass","End":true}}}'
mkjson fail.json '{"T":{"submitted":{"MessageId":"m-1"},"callbacks":[{"afterSeconds":30,"SendTaskFailure":{"error":"Rejected","cause":"by a person"}}]}}'
run exec "$T/catch.json" --mocks "$T/fail.json" --history
expect_status SUCCEEDED
expect_json output '{"Error":"Rejected","Cause":"by a person"}'
expect_events "TaskFailed at 30 s" '['"$SCHED_FREE,$STARTED,$SUBMITTED"',
 {"t":30,"id":6,"previousEventId":5,"type":"TaskFailed","taskFailedEventDetails":{'"$RES"',"error":"Rejected","cause":"by a person"}}]'

# API_SendTaskSuccess.html, Errors: InvalidToken ("The provided token is
# not valid."), InvalidOutput ("The provided JSON output data is not
# valid."), TaskTimedOut. A refused call changes nothing: the task goes on
# waiting for one that Step Functions takes.
t "a wrong token, an output that is not JSON: refused; the next good call closes the task"
mkjson refuse.json '{"T":{"callbacks":[
 {"afterSeconds":1,"SendTaskSuccess":{"taskToken":"AAAAKgAAAAIAAAAA","output":"1"}},
 {"afterSeconds":2,"SendTaskFailure":{"taskToken":"token-00005eed5eed5eed-9","error":"X"}},
 {"afterSeconds":3,"SendTaskSuccess":{"output":"{\"ok\":"}},
 {"afterSeconds":4,"SendTaskSuccess":{"output":"\"fine\""}},
 {"afterSeconds":5,"SendTaskFailure":{"error":"Late"}}]}}'
run exec "$T/cbfree.json" --mocks "$T/refuse.json" --history
expect_status SUCCEEDED
expect_json output '"fine"'
expect_json refusedCallbacks '[
 {"state":"T","afterSeconds":1,"call":"SendTaskSuccess","error":"InvalidToken","cause":"The provided token is not valid."},
 {"state":"T","afterSeconds":2,"call":"SendTaskFailure","error":"InvalidToken","cause":"The provided token is not valid."},
 {"state":"T","afterSeconds":3,"call":"SendTaskSuccess","error":"InvalidOutput","cause":"The provided JSON output data is not valid. unexpected token near end of file"},
 {"state":"T","afterSeconds":5,"call":"SendTaskFailure","error":"TaskTimedOut","cause":"'"$CLOSED"'"}]'
expect_py "TaskSucceeded 4 s in" '[e["type"] for e in hist if ts(e) - ts(hist[0]) == 4] == ["TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"]'

t "the token of an earlier attempt belongs to a closed task: TaskTimedOut"
mkjson retry.json '{"StartAt":"T","States":{"T":{"Type":"Task",'"$SQS"','"$PARAMS"',"Retry":[{"ErrorEquals":["Busy"],"IntervalSeconds":1}],"End":true}}}'
mkjson old.json '{"T":[{"error":"Busy"},{"callbacks":[
 {"afterSeconds":1,"SendTaskSuccess":{"taskToken":"'$TOK'","output":"\"old\""}},
 {"afterSeconds":2,"SendTaskSuccess":{"taskToken":"token-00005eed5eed5eed-2","output":"\"new\""}}]}]}'
run exec "$T/retry.json" --mocks "$T/old.json" --history
expect_status SUCCEEDED
expect_json output '"new"'
expect_json refusedCallbacks '[{"state":"T","afterSeconds":1,"call":"SendTaskSuccess","error":"TaskTimedOut","cause":"'"$CLOSED"'"}]'
expect_types "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskSubmitted TaskFailed TaskScheduled TaskStarted TaskSubmitted TaskSucceeded TaskStateExited ExecutionSucceeded"

t "no callback closes a task without a timeout: the run stops, saying so"
mkjson never.json '{"T":{"callbacks":[{"afterSeconds":5,"SendTaskHeartbeat":{}}]}}'
run exec "$T/cbfree.json" --mocks "$T/never.json"
expect_status FAILED
expect_json error '"States.Runtime"'
expect_has cause "waits for a callback that never comes"

# AWS ("State machine structure", TimeoutSeconds): the execution times out
# while its Task waits.
t "the machine's TimeoutSeconds passes while the task waits: TIMED_OUT"
mkjson mt.json '{"TimeoutSeconds":10,"StartAt":"T","States":{"T":{"Type":"Task",'"$SQS"','"$PARAMS"',"End":true}}}'
mkjson mtm.json '{"T":{"callbacks":[{"afterSeconds":20,"SendTaskSuccess":{"output":"1"}}]}}'
run exec "$T/mt.json" --mocks "$T/mtm.json" --history
expect_status TIMED_OUT
expect_json error '"States.Timeout"'
expect_types "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskSubmitted ExecutionTimedOut"
expect_py "timed out at 10 s" 'ts(hist[-1]) - ts(hist[0]) == 10'

# The plain forms are an immediate callback: {"result": V} the
# SendTaskSuccess of V, {"error", "cause"} the SendTaskFailure.
t "{\"result\"} on a .waitForTaskToken Task: TaskSubmitted, then TaskSucceeded"
mkjson plain.json '{"T":[{"result":{"a":1},"delaySeconds":3}]}'
run exec "$T/cbfree.json" --mocks "$T/plain.json" --history
expect_status SUCCEEDED
expect_events "exact Task events" '['"$SCHED_FREE,$STARTED"',
 {"t":0,"id":5,"previousEventId":4,"type":"TaskSubmitted","taskSubmittedEventDetails":{'"$RES"'}},
 {"t":3,"id":6,"previousEventId":5,"type":"TaskSucceeded","taskSucceededEventDetails":{'"$RES"',"output":"{\"a\":1}","outputDetails":{"truncated":false}}}]'
t "{\"error\"} on a .waitForTaskToken Task: TaskSubmitted, then TaskFailed"
mkjson plainerr.json '{"T":{"error":"E","cause":"c","submitted":{"MessageId":"m-1"}}}'
run exec "$T/cbfree.json" --mocks "$T/plainerr.json" --history
expect_status FAILED
expect_events "exact Task events" '['"$SCHED_FREE,$STARTED,$SUBMITTED"',
 {"t":0,"id":6,"previousEventId":5,"type":"TaskFailed","taskFailedEventDetails":{'"$RES"',"error":"E","cause":"c"}}]'

# ---------------------------------------------------------------- .sync
# AWS: "Run a Job (.sync)" (connect-to-resource.html#connect-sync): the
# Task starts the job (TaskSubmitted: the start call's response) and waits
# for it to end (TaskSucceeded: the job's final description). For
# states:startExecution.sync the start response is {ExecutionArn,
# StartDate}, derived from the result when the mock gives no "submitted".
SFN='"resourceType":"states","resource":"startExecution.sync:2"'
mkjson sync.json '{"StartAt":"S","States":{"S":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2","Parameters":{"StateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:kid","Input":{}},"End":true}}}'
t "startExecution.sync:2: the start answer derived, the final result after the job's 30 s"
mkjson syncm.json '{"S":{"result":{"ExecutionArn":"arn:aws:states:us-east-1:123456789012:execution:kid:x","StartDate":1700000000,"Status":"SUCCEEDED","Output":{"a":1}},"delaySeconds":30}}'
run exec "$T/sync.json" --mocks "$T/syncm.json" --history
expect_status SUCCEEDED
expect_events "exact Task events" '[
 {"t":0,"id":3,"previousEventId":2,"type":"TaskScheduled","taskScheduledEventDetails":{'"$SFN"',"region":"us-east-1","parameters":"{\"StateMachineArn\":\"arn:aws:states:us-east-1:123456789012:stateMachine:kid\",\"Input\":{}}"}},
 {"t":0,"id":4,"previousEventId":3,"type":"TaskStarted","taskStartedEventDetails":{'"$SFN"'}},
 {"t":0,"id":5,"previousEventId":4,"type":"TaskSubmitted","taskSubmittedEventDetails":{'"$SFN"',"output":"{\"ExecutionArn\":\"arn:aws:states:us-east-1:123456789012:execution:kid:x\",\"StartDate\":1700000000}","outputDetails":{"truncated":false}}},
 {"t":30,"id":6,"previousEventId":5,"type":"TaskSucceeded","taskSucceededEventDetails":{'"$SFN"',"output":"{\"ExecutionArn\":\"arn:aws:states:us-east-1:123456789012:execution:kid:x\",\"StartDate\":1700000000,\"Status\":\"SUCCEEDED\",\"Output\":{\"a\":1}}","outputDetails":{"truncated":false}}}]'
t "batch:submitJob.sync: the mock's submit answer, the job's failure"
mkjson batch.json '{"StartAt":"B","States":{"B":{"Type":"Task","Resource":"arn:aws:states:::batch:submitJob.sync","Parameters":{"JobName":"j","JobQueue":"q","JobDefinition":"d"},"End":true}}}'
mkjson batchm.json '{"B":{"submitted":{"JobId":"j-1","JobName":"j"},"error":"States.TaskFailed","cause":"{\"Status\":\"FAILED\"}","delaySeconds":60}}'
run exec "$T/batch.json" --mocks "$T/batchm.json" --history
expect_status FAILED
expect_json error '"States.TaskFailed"'
expect_py "TaskSubmitted then TaskFailed 60 s in" '[(e["type"], ts(e) - ts(hist[0])) for e in hist[4:6]] == [("TaskSubmitted", 0), ("TaskFailed", 60)] and hist[4]["taskSubmittedEventDetails"]["output"] == "{\"JobId\":\"j-1\",\"JobName\":\"j\"}" and hist[5]["taskFailedEventDetails"] == {"resourceType": "batch", "resource": "submitJob.sync", "error": "States.TaskFailed", "cause": "{\"Status\":\"FAILED\"}"}'
t "a .sync job takes no callbacks"
mkjson synccb.json '{"S":{"callbacks":[{"SendTaskSuccess":{"output":"1"}}]}}'
run exec "$T/sync.json" --mocks "$T/synccb.json"
expect_status FAILED
expect_json error '"States.Runtime"'
expect_has cause "only a .waitForTaskToken Task or an activity takes"

# ---------------------------------------------------------------- activities
# AWS: "Activities" (docs.aws.amazon.com/step-functions/latest/dg/
# concepts-activities.html): a worker takes the task with GetActivityTask
# (its input and token) and answers with SendTaskSuccess/Failure/Heartbeat.
# History: ActivityScheduled {resource, input, timeoutInSeconds,
# heartbeatInSeconds}, ActivityStarted {workerName}, ActivitySucceeded
# {output, outputDetails}, ActivityFailed/ActivityTimedOut {error, cause}
# (API_ActivityScheduledEventDetails.html, API_ActivityStartedEventDetails.html).
ACT=arn:aws:states:us-east-1:123456789012:activity:review
mkjson act.json '{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"'$ACT'","HeartbeatSeconds":30,"TimeoutSeconds":300,"End":true}}}'
ASCHED='{"t":0,"id":3,"previousEventId":2,"type":"ActivityScheduled","activityScheduledEventDetails":{"resource":"'$ACT'","input":"{\"doc\":1}","timeoutInSeconds":300,"heartbeatInSeconds":30}}'
t "an activity worker beats and succeeds"
mkjson actm.json '{"A":{"workerName":"reviewer-1","callbacks":[{"afterSeconds":25,"SendTaskHeartbeat":{}},{"afterSeconds":50,"SendTaskSuccess":{"output":"{\"approved\":true}"}}]}}'
run exec "$T/act.json" --mocks "$T/actm.json" --input '{"doc":1}' --history
expect_status SUCCEEDED
expect_json output '{"approved":true}'
expect_events "exact Activity events" '['"$ASCHED"',
 {"t":0,"id":4,"previousEventId":3,"type":"ActivityStarted","activityStartedEventDetails":{"workerName":"reviewer-1"}},
 {"t":50,"id":5,"previousEventId":4,"type":"ActivitySucceeded","activitySucceededEventDetails":{"output":"{\"approved\":true}","outputDetails":{"truncated":false}}}]'
t "an activity worker that stops beating: ActivityTimedOut"
mkjson actto.json '{"A":{"callbacks":[{"afterSeconds":25,"SendTaskHeartbeat":{}},{"afterSeconds":60,"SendTaskSuccess":{"output":"1"}}]}}'
run exec "$T/act.json" --mocks "$T/actto.json" --input '{"doc":1}' --history
expect_status FAILED
expect_events "exact Activity events" '['"$ASCHED"',
 {"t":0,"id":4,"previousEventId":3,"type":"ActivityStarted"},
 {"t":55,"id":5,"previousEventId":4,"type":"ActivityTimedOut","activityTimedOutEventDetails":{"error":"States.HeartbeatTimeout"}}]'
t "an activity's plain error: ActivityFailed"
mkjson actf.json '{"A":{"error":"Refused","cause":"no"}}'
run exec "$T/act.json" --mocks "$T/actf.json" --input '{"doc":1}' --history
expect_status FAILED
expect_py "ActivityFailed with error and cause" 'hist[4] == {"id": 5, "previousEventId": 4, "timestamp": hist[4]["timestamp"], "type": "ActivityFailed", "activityFailedEventDetails": {"error": "Refused", "cause": "no"}}'
t "an activity has no service call's response"
mkjson actsub.json '{"A":{"submitted":{},"result":1}}'
run exec "$T/act.json" --mocks "$T/actsub.json"
expect_status FAILED
expect_json error '"States.Runtime"'
expect_has cause "only a .waitForTaskToken or .sync Task has"

# ---------------------------------------------------------------- handlers
# A --handler command sends the calls as JSON lines to the file
# $STEPDEPLOY_CALLBACKS, with the token in $STEPDEPLOY_TASK_TOKEN (as a
# worker calls `aws stepfunctions send-task-success --task-token ...`).
t "a handler command's callbacks"
cat >"$T/worker.sh" <<'EOF'
in=$(cat)
{
	printf '{"submitted":{"MessageId":"m-1"}}\n'
	printf '{"afterSeconds":8,"SendTaskHeartbeat":{"taskToken":"%s"}}\n' "$STEPDEPLOY_TASK_TOKEN"
	printf '{"afterSeconds":12,"SendTaskSuccess":{"taskToken":"%s","output":"%s"}}\n' "$STEPDEPLOY_TASK_TOKEN" "$(printf '%s' "$in" | sed 's/"/\\"/g')"
} >>"$STEPDEPLOY_CALLBACKS"
EOF
run exec "$T/cb.json" --handler "T=sh $T/worker.sh" --input '{"n":1}' --history
expect_status SUCCEEDED
expect_json output '{"QueueUrl":"q","MessageBody":{"token":"'$TOK'"}}'
expect_events "exact Task events" '['"$SCHED,$STARTED,$SUBMITTED"',
 {"t":12,"id":6,"previousEventId":5,"type":"TaskSucceeded","taskSucceededEventDetails":{'"$RES"',"output":"{\"QueueUrl\":\"q\",\"MessageBody\":{\"token\":\"'$TOK'\"}}","outputDetails":{"truncated":false}}}]'
t "a handler command that sends callbacks and prints a result fails the task"
run exec "$T/cb.json" --handler 'T=echo "{\"afterSeconds\":1,\"SendTaskSuccess\":{\"output\":\"1\"}}" >>"$STEPDEPLOY_CALLBACKS"; echo 2'
expect_status FAILED
expect_json error '"States.TaskFailed"'
expect_has cause "sent callbacks and also printed a result"
t "a malformed callback line fails the task, naming the line"
run exec "$T/cb.json" --handler 'T=printf "\n{\"SendTaskSucces\":{}}\n" >>"$STEPDEPLOY_CALLBACKS"'
expect_status FAILED
expect_json error '"States.TaskFailed"'
expect_has cause '$STEPDEPLOY_CALLBACKS line 2: unknown field'
expect_has cause 'SendTaskSucces'
t "a request-response Task's command cannot send callbacks"
mkjson rr.json '{"StartAt":"R","States":{"R":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","End":true}}}'
run exec "$T/rr.json" --handler 'R=echo "{\"SendTaskHeartbeat\":{}}" >>"$STEPDEPLOY_CALLBACKS"; test -z "$STEPDEPLOY_TASK_TOKEN"'
expect_status FAILED
expect_has cause "only a .waitForTaskToken Task or an activity is answered by"
t "a command that exits non-zero after sending callbacks: the call failed, its callbacks refused"
run exec "$T/cbfree.json" --handler 'T=echo "{\"afterSeconds\":1,\"SendTaskSuccess\":{\"output\":\"1\"}}" >>"$STEPDEPLOY_CALLBACKS"; echo "{\"errorType\":\"SQS.QueueDoesNotExist\",\"errorMessage\":\"no queue\"}"; exit 1' --history
expect_status FAILED
expect_json error '"SQS.QueueDoesNotExist"'
expect_types "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskFailed ExecutionFailed"
expect_json refusedCallbacks '[{"state":"T","afterSeconds":1,"call":"SendTaskSuccess","error":"TaskTimedOut","cause":"'"$CLOSED"'"}]'
t "a handler command's plain result is still an immediate SendTaskSuccess"
run exec "$T/cbfree.json" --handler 'T=echo "{\"done\":true}"' --history
expect_status SUCCEEDED
expect_json output '{"done":true}'
expect_types "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskSubmitted TaskSucceeded TaskStateExited ExecutionSucceeded"
t "an activity's command is given the activity task's token"
run exec "$T/act.json" --handler "A=printf '{\"SendTaskSuccess\":{\"taskToken\":\"%s\",\"output\":\"\\\\\"%s\\\\\"\"}}\n' \"\$STEPDEPLOY_TASK_TOKEN\" \"\$STEPDEPLOY_TASK_TOKEN\" >>\"\$STEPDEPLOY_CALLBACKS\""
expect_status SUCCEEDED
expect_json output '"'$TOK'"'

# ---------------------------------------------------------------- bad mocks
# A malformed mock is refused at load, naming where (exit 2).
t "callbacks out of order"
mkjson b1.json '{"T":{"callbacks":[{"afterSeconds":5,"SendTaskHeartbeat":{}},{"afterSeconds":3,"SendTaskSuccess":{"output":"1"}}]}}'
run exec "$T/cb.json" --mocks "$T/b1.json"
expect_usage '/T/callbacks[1]: "afterSeconds" 3 is before the previous callback'"'"'s (5)'
t "an unknown field in a call"
mkjson b2.json '{"T":[{"result":1},{"callbacks":[{"SendTaskSuccess":{"output":"1","Output":"2"}}]}]}'
run exec "$T/cb.json" --mocks "$T/b2.json"
expect_usage '/T[1]/callbacks[0]: unknown field "Output" in SendTaskSuccess'
t "SendTaskSuccess's output is JSON text, a string"
mkjson b3.json '{"T":{"callbacks":[{"SendTaskSuccess":{"output":{"a":1}}}]}}'
run exec "$T/cb.json" --mocks "$T/b3.json"
expect_usage '/T/callbacks[0]: SendTaskSuccess: "output" must be a string, not object'
t "SendTaskSuccess needs an output"
mkjson b4.json '{"T":{"callbacks":[{"SendTaskSuccess":{}}]}}'
run exec "$T/cb.json" --mocks "$T/b4.json"
expect_usage 'SendTaskSuccess needs "output"'
t "two calls in one callback"
mkjson b5.json '{"T":{"callbacks":[{"SendTaskHeartbeat":{},"SendTaskSuccess":{"output":"1"}}]}}'
run exec "$T/cb.json" --mocks "$T/b5.json"
expect_usage 'this one has both SendTaskHeartbeat and SendTaskSuccess'
t "callbacks with delaySeconds"
mkjson b6.json '{"T":{"callbacks":[],"delaySeconds":3}}'
run exec "$T/cb.json" --mocks "$T/b6.json"
expect_usage 'it takes no delaySeconds or heartbeatSeconds'
t "callbacks and result"
mkjson b7.json '{"T":{"callbacks":[],"result":1}}'
run exec "$T/cb.json" --mocks "$T/b7.json"
expect_usage 'exactly one of "result", "error" and "callbacks"'
t "SendTaskFailure's error is at most 256 characters (the API's limit)"
mkjson b8.json '{"T":{"callbacks":[{"SendTaskFailure":{"error":"'"$(printf 'e%.0s' $(seq 257))"'"}}]}}'
run exec "$T/cb.json" --mocks "$T/b8.json"
expect_usage '"error" must be 0 to 256 bytes long'
t "a cause without an error"
mkjson b9.json '{"T":{"result":1,"cause":"x"}}'
run exec "$T/cb.json" --mocks "$T/b9.json"
expect_usage '"cause" goes with "error"'

# ---------------------------------------------------------------- test-state
# AWS CLI test-state (docs.aws.amazon.com/cli/latest/reference/stepfunctions/
# test-state.html): "TestState only supports the following when a mock is
# specified: Activity tasks, .sync or .waitForTaskToken service integration
# patterns, Parallel, or Map states." The mocked result stands for the
# callback's output.
t "test-state: a .waitForTaskToken Task without a mock is refused"
run test-state "$T/cbfree.json" T --input '{}'
expect_usage 'only when a mock is specified'
t "test-state: an activity without a mock is refused"
run test-state "$T/act.json" A --input '{}'
expect_usage 'only when a mock is specified'
t "test-state: the mocked result is the callback's output"
run test-state "$T/cbfree.json" T --input '{}' --mock-result '{"ok":1}'
expect_status SUCCEEDED
expect_json output '{"ok":1}'
expect_py "inspectionData" 'r["inspectionData"] == {"input": {}, "afterInputPath": {}, "afterParameters": {"QueueUrl": "q", "MessageBody": {"token": r["inspectionData"]["afterParameters"]["MessageBody"]["token"]}}, "result": {"ok": 1}, "afterResultSelector": {"ok": 1}, "afterResultPath": {"ok": 1}}'

finish
