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

finish
