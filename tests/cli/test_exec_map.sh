#!/usr/bin/env bash
# tests/cli/test_exec_map.sh: the Map state's ItemBatcher under `stepdeploy
# exec` (AWS: "ItemBatcher (Map)", docs.aws.amazon.com/step-functions/latest/
# dg/input-output-itembatcher.html): each child gets {"Items": [...],
# "BatchInput": {...}}, the Map returns one output per batch; MaxItemsPerBatch,
# MaxInputBytesPerBatch, their Path forms and JSONata expressions; ItemSelector
# applies to each item before batching.
#
#   STEPDEPLOY=build/asan/stepdeploy bash tests/cli/test_exec_map.sh
set -euo pipefail

. "$(dirname "$0")/lib.sh"

PROC='"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}'

t "MaxItemsPerBatch 2 and BatchInput over [1,2,3]"
mkjson b1.json '{"StartAt":"M","States":{"M":{"Type":"Map","ItemBatcher":{"MaxItemsPerBatch":2,"BatchInput":{"b":1}},'"$PROC"',"End":true}}}'
run exec "$T/b1.json" --input '[1,2,3]'
expect_status SUCCEEDED
expect_json output '[{"Items":[1,2],"BatchInput":{"b":1}},{"Items":[3],"BatchInput":{"b":1}}]'

t "BatchInput as a payload template, ItemSelector per item, ItemsPath"
mkjson b2.json '{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.xs",
 "ItemSelector":{"v.$":"$$.Map.Item.Value","i.$":"$$.Map.Item.Index"},
 "ItemBatcher":{"MaxItemsPerBatchPath":"$.n","BatchInput":{"tag.$":"$.tag"}},'"$PROC"',"End":true}}}'
run exec "$T/b2.json" --input '{"xs":["a","b","c"],"n":3,"tag":"T"}'
expect_status SUCCEEDED
expect_json output '[{"Items":[{"v":"a","i":0},{"v":"b","i":1},{"v":"c","i":2}],"BatchInput":{"tag":"T"}}]'

t "MaxInputBytesPerBatch: a batch's JSON stays within the limit"
# {"Items":[1,2]} is 15 bytes; {"Items":[1,2,3]} would be 17.
mkjson b3.json '{"StartAt":"M","States":{"M":{"Type":"Map","ItemBatcher":{"MaxInputBytesPerBatch":16},'"$PROC"',"End":true}}}'
run exec "$T/b3.json" --input '[1,2,3,4,5]'
expect_status SUCCEEDED
expect_json output '[{"Items":[1,2]},{"Items":[3,4]},{"Items":[5]}]'

t "an item larger than MaxInputBytesPerBatch fails the state"
run exec "$T/b3.json" --input '["a long string that cannot fit"]'
expect_status FAILED
expect_json error '"States.Runtime"'
expect_has cause "The item at index 0 does not fit in a batch of 16 bytes (MaxInputBytesPerBatch)"

t "MaxItemsPerBatchPath that is not a positive integer"
run exec "$T/b2.json" --input '{"xs":[1],"n":0,"tag":"T"}'
expect_status FAILED
expect_json error '"States.Runtime"'

t "JSONata: MaxItemsPerBatch and BatchInput from expressions"
mkjson b4.json '{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","Items":"{% $states.input.xs %}",
 "ItemBatcher":{"MaxItemsPerBatch":"{% $states.input.n %}","BatchInput":{"k":"{% $states.input.k %}"}},'"$PROC"',"End":true}}}'
run exec "$T/b4.json" --input '{"xs":[1,2,3,4],"n":3,"k":"v"}'
expect_status SUCCEEDED
expect_json output '[{"Items":[1,2,3],"BatchInput":{"k":"v"}},{"Items":[4],"BatchInput":{"k":"v"}}]'

t "an ItemBatcher without a limit is refused"
mkjson b5.json '{"StartAt":"M","States":{"M":{"Type":"Map","ItemBatcher":{"BatchInput":{}},'"$PROC"',"End":true}}}'
run exec "$T/b5.json" --input '[1]'
if [ "$RC" = 2 ] && grep -qF "/States/M/ItemBatcher" "$T/err"; then ok; else bad "not refused at /States/M/ItemBatcher: $(cat "$T/err")"; fi

t "an unknown ItemBatcher field is refused"
mkjson b6.json '{"StartAt":"M","States":{"M":{"Type":"Map","ItemBatcher":{"MaxItemsPerBatch":1,"Extra":1},'"$PROC"',"End":true}}}'
run exec "$T/b6.json" --input '[1]'
if [ "$RC" = 2 ] && grep -qF "/States/M/ItemBatcher/Extra" "$T/err"; then ok; else bad "not refused at /States/M/ItemBatcher/Extra: $(cat "$T/err")"; fi

t "ResultWriter without --s3-dir fails at run, saying so (tests/cli/test_exec_resultwriter.sh has the rest)"
mkjson b7.json '{"StartAt":"M","States":{"M":{"Type":"Map","ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"b","Prefix":"p"}},'"$PROC"',"End":true}}}'
run exec "$T/b7.json" --input '[1]'
expect_status FAILED
expect_json error '"States.ResultWriterFailed"'
expect_has cause "--s3-dir"

# ---------------------------------------------------------------- Map Run
# A Distributed Map starts a Map Run: the parent's history holds
# MapRunStarted (mapRunStartedEventDetails.mapRunArn) and MapRunSucceeded or
# MapRunFailed (mapRunFailedEventDetails: error, cause), and none of the
# children's events, each child being its own execution with its own history
# ("HistoryEvent", docs.aws.amazon.com/step-functions/latest/apireference/
# API_HistoryEvent.html; "Using Map state in Distributed mode",
# docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html).
SM=arn:aws:states:us-east-1:000000000000
RUNID=8f398c90-3d26-5ce6-adfb-fe759cde9b8c	# derived from --name run1, M, event 2
t "Distributed Map: MapRunStarted and MapRunSucceeded, no iteration events"
mkjson r1.json '{"StartAt":"M","States":{"M":{"Type":"Map","Label":"lbl",'"$PROC"',"End":true}}}'
run exec "$T/r1.json" --input '[1,2]' --name run1 --history
expect_status SUCCEEDED
expect_json output '[1,2]'
expect_types "ExecutionStarted MapStateEntered MapStateStarted MapRunStarted MapRunSucceeded MapStateSucceeded MapStateExited ExecutionSucceeded"
expect_py "MapRunStarted names the Map Run" \
    'r["history"][3] == {"id": 4, "previousEventId": 3, "timestamp": r["history"][3]["timestamp"], "type": "MapRunStarted", "mapRunStartedEventDetails": {"mapRunArn": "'$SM':mapRun:StateMachine/lbl:'$RUNID'"}} and "mapRunSucceededEventDetails" not in r["history"][4]'

t "the MapRunArn in the history is the one the ResultWriter reports"
mkjson r2.json '{"StartAt":"M","States":{"M":{"Type":"Map","Label":"lbl","ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"out"}},'"$PROC"',"End":true}}}'
mkdir -p "$T/s3/out"
run exec "$T/r2.json" --input '[1]' --name run1 --history --s3-dir "$T/s3"
expect_status SUCCEEDED
expect_py "same ARN" 'r["output"]["MapRunArn"] == r["history"][3]["mapRunStartedEventDetails"]["mapRunArn"] == "'$SM':mapRun:StateMachine/lbl:'$RUNID'"'

t "a failed child: MapRunFailed then MapStateFailed, with States.ExceedToleratedFailureThreshold"
# "Tolerated failure threshold for Distributed Map state",
# docs.aws.amazon.com/step-functions/latest/dg/maprun-fail-threshold.html:
# the default tolerance is zero, and a breach fails the Map Run with
# States.ExceedToleratedFailureThreshold.
mkjson r3.json '{"StartAt":"M","States":{"M":{"Type":"Map","Label":"lbl","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Bad","Cause":"no"}}},"End":true}}}'
run exec "$T/r3.json" --input '[1]' --name run1 --history
expect_status FAILED
expect_json error '"States.ExceedToleratedFailureThreshold"'
expect_json cause '"The specified tolerance threshold was exceeded"'
expect_types "ExecutionStarted MapStateEntered MapStateStarted MapRunStarted MapRunFailed MapStateFailed ExecutionFailed"
expect_py "mapRunFailedEventDetails" 'r["history"][4]["mapRunFailedEventDetails"] == {"error": "States.ExceedToleratedFailureThreshold", "cause": "The specified tolerance threshold was exceeded"}'

t "an inline Map keeps its iteration events and no Map Run"
mkjson r4.json '{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}'
run exec "$T/r4.json" --input '[1]' --history
expect_status SUCCEEDED
expect_types "ExecutionStarted MapStateEntered MapStateStarted MapIterationStarted PassStateEntered PassStateExited MapIterationSucceeded MapStateSucceeded MapStateExited ExecutionSucceeded"

t "an inline Map whose iteration fails, with --history: MapIterationFailed, MapStateFailed"
mkjson r5.json '{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Bad","Cause":"no"}}},"End":true}}}'
run exec "$T/r5.json" --input '[1]' --history
expect_status FAILED
expect_json error '"Bad"'
expect_types "ExecutionStarted MapStateEntered MapStateStarted MapIterationStarted FailStateEntered MapIterationFailed MapStateFailed ExecutionFailed"

# ---------------------------------------------------------------- context
# Each child of a Distributed Map is an execution of the Map's sub-workflow:
# its $$.Execution (Id: the child's execution ARN, as the ResultWriter's
# ExecutionArn; Name; Input: the child's input; StartTime; RoleArn) and
# $$.StateMachine (MACHINE/LABEL) are the child's ("Accessing execution
# data from the Context object", docs.aws.amazon.com/step-functions/latest/
# dg/input-output-contextobject.html; "ResultWriter (Map)").
t "a child returns \$\$: its own execution and state machine"
mkjson c1.json '{"StartAt":"M","States":{"M":{"Type":"Map","Label":"lbl","MaxConcurrency":1,"ItemSelector":{"v.$":"$$.Map.Item.Value"},"ResultWriter":{"WriterConfig":{"Transformation":"NONE"}},"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":2,"Next":"P"},"P":{"Type":"Pass","Parameters":{"ctx.$":"$$"},"End":true}}},"End":true}}}'
run exec "$T/c1.json" --input '[1,{"a":2}]' --name run1 --history
expect_status SUCCEEDED
expect_py "exact \$\$ of each child, its Id the record's ExecutionArn" '
(lambda fmt, t0: [json.loads(x["Output"]) for x in r["output"]] == [
 {"ctx": {"Execution": {"Id": "'$SM':execution:StateMachine/lbl:" + n, "Input": {"v": v},
   "Name": n, "RoleArn": "arn:aws:iam::000000000000:role/stepdeploy-local",
   "StartTime": fmt(t0 + 2 * i), "RedriveCount": 0},
  "StateMachine": {"Id": "'$SM':stateMachine:StateMachine/lbl", "Name": "StateMachine/lbl"},
  "State": {"EnteredTime": fmt(t0 + 2 * i + 2), "Name": "P", "RetryCount": 0}}}
 for i, (n, v) in enumerate([("1188f5ee-d36f-5b53-ba16-99d8631d13e8", 1), ("2ff6bb1d-2573-504b-bb5d-2a7273aae83b", {"a": 2})])]
 and [x["ExecutionArn"] for x in r["output"]] == ["'$SM':execution:StateMachine/lbl:1188f5ee-d36f-5b53-ba16-99d8631d13e8", "'$SM':execution:StateMachine/lbl:2ff6bb1d-2573-504b-bb5d-2a7273aae83b"])(
 lambda s: __import__("datetime").datetime.fromtimestamp(s, __import__("datetime").timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
 __import__("datetime").datetime.strptime(r["history"][0]["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=__import__("datetime").timezone.utc).timestamp())'

t "an inline Map's iterations keep the parent's \$\$.Execution"
mkjson c2.json '{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"id.$":"$$.Execution.Id","sm.$":"$$.StateMachine.Name","in.$":"$$.Execution.Input"},"End":true}}},"End":true}}}'
run exec "$T/c2.json" --input '[1]' --name run1
expect_status SUCCEEDED
expect_json output '[{"id":"'$SM':execution:StateMachine:run1","sm":"StateMachine","in":[1]}]'

finish
