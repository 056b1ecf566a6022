#!/usr/bin/env bash
# tests/cli/test_exec_jsonata.sh: `stepdeploy exec` on machines that use
# the JSONata query language: QueryLanguage per machine and per state,
# "{% %}" in every field that takes it, $states, variables, the causes of
# States.QueryEvaluationError, and the definitions refused at load.
#
# The shapes follow AWS's documentation: "Transforming data with JSONata in
# Step Functions" (docs.aws.amazon.com/step-functions/latest/dg/
# transforming-data.html) and "Passing data between states with variables"
# (.../workflow-variables.html); the causes are those real executions
# recorded (../shared/conformance).
#
#   STEPDEPLOY=build/asan/stepdeploy bash tests/cli/test_exec_jsonata.sh
set -euo pipefail

. "$(dirname "$0")/lib.sh"

LAMBDA=arn:aws:lambda:us-east-1:123456789012:function:f

# expect_refused FILE TEXT: exec refuses the definition, naming TEXT.
expect_refused() {
	run exec "$1"
	if [ "$RC" = 2 ]; then ok; else bad "exit $RC, want 2 (refused at load)"; fi
	if grep -qF -- "$2" "$T/err"; then ok; else
		bad "stderr does not name \"$2\": $(cat "$T/err")"
	fi
}

# ---------------------------------------------------------------- Task
t "Task: Arguments, then Output and Assign see \$states.result"
mkjson task.json '{"QueryLanguage":"JSONata","StartAt":"A","States":{
 "A":{"Type":"Task","Resource":"'$LAMBDA'",
  "Arguments":{"x":"{% $states.input.a + 1 %}","lit":"$.a","k.$":"$"},
  "Output":{"r":"{% $states.result %}","in":"{% $states.input %}"},
  "Assign":{"v":"{% $states.result.x %}"},"Next":"B"},
 "B":{"Type":"Pass","Output":"{% $v * 10 %}","End":true}}}'
run exec "$T/task.json" --input '{"a":1}' --handler A=cat --trace
expect_status SUCCEEDED
expect_json output '20'
expect_py "trace or history as expected" 'r["trace"][0]["afterArguments"] == {"x": 2, "lit": "$.a", "k.$": "$"}'
expect_py "trace or history as expected" 'r["trace"][0]["output"] == {"r": {"x": 2, "lit": "$.a", "k.$": "$"}, "in": {"a": 1}}'
expect_py "trace or history as expected" 'r["trace"][0]["variables"] == {"v": 2}'

t "Task: TimeoutSeconds from an expression times the Task out"
mkjson timeout.json '{"QueryLanguage":"JSONata","StartAt":"A","States":{
 "A":{"Type":"Task","Resource":"'$LAMBDA'","TimeoutSeconds":"{% $states.input.t %}",
  "End":true}}}'
printf '{"A":[{"result":{},"delaySeconds":5}]}\n' >"$T/slow.json"
run exec "$T/timeout.json" --input '{"t":2}' --mocks "$T/slow.json"
expect_status FAILED
expect_json error '"States.Timeout"'

t "Task: a TimeoutSeconds expression that is not an integer"
run exec "$T/timeout.json" --input '{"t":"x"}' --mocks "$T/slow.json"
expect_status FAILED
expect_json error '"States.QueryEvaluationError"'
expect_has cause "The JSONata expression '\$states.input.t' specified for the field 'TimeoutSeconds' returned an unexpected result type. Expected 'integer', but was 'string' for value: \"x\""

# ---------------------------------------------------------------- Catch
t "Catch: Output and Assign see \$states.errorOutput"
mkjson catch.json '{"QueryLanguage":"JSONata","StartAt":"A","States":{
 "A":{"Type":"Task","Resource":"'$LAMBDA'","Assign":{"never":1},
  "End":true,"Catch":[{"ErrorEquals":["States.ALL"],"Next":"B",
   "Output":{"e":"{% $states.errorOutput.Error %}","in":"{% $states.input.a %}"},
   "Assign":{"cause":"{% $states.errorOutput.Cause %}"}}]},
 "B":{"Type":"Pass","Output":{"o":"{% $states.input %}","c":"{% $cause %}",
  "n":"{% $exists($never) %}"},"End":true}}}'
printf '{"A":[{"error":"Boom","cause":"bad"}]}\n' >"$T/boom.json"
run exec "$T/catch.json" --input '{"a":7}' --mocks "$T/boom.json"
expect_status SUCCEEDED
expect_json output '{"o":{"e":"Boom","in":7},"c":"bad","n":false}'

# ---------------------------------------------------------------- Choice
mkjson choice.json '{"QueryLanguage":"JSONata","StartAt":"C","States":{
 "C":{"Type":"Choice","Choices":[
   {"Condition":"{% $states.input.n > 10 %}","Next":"Big",
    "Output":{"size":"big"},"Assign":{"rule":0}},
   {"Condition":true,"Next":"Small"}],
  "Default":"Big","Output":{"size":"default"},"Assign":{"rule":-1}},
 "Big":{"Type":"Pass","Output":{"in":"{% $states.input %}","rule":"{% $rule %}"},"End":true},
 "Small":{"Type":"Pass","End":true}}}'
t "Choice: the matched rule's Output and Assign"
run exec "$T/choice.json" --input '{"n":11}'
expect_status SUCCEEDED
expect_json output '{"in":{"size":"big"},"rule":0}'
t "Choice: a rule without Output passes the input on"
run exec "$T/choice.json" --input '{"n":1}'
expect_status SUCCEEDED
expect_json output '{"n":1}'
t "Choice: a Condition that is not a boolean"
run exec "$T/choice.json" --input '{"n":"x"}'
expect_status FAILED
expect_json error '"States.QueryEvaluationError"'
expect_has cause "specified for the field 'Condition' threw an error during evaluation. T2009"

mkjson nomatch.json '{"QueryLanguage":"JSONata","StartAt":"C","States":{
 "C":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.n %}","Next":"D"}]},
 "D":{"Type":"Succeed"}}}'
t "Choice: a Condition giving a number"
run exec "$T/nomatch.json" --input '{"n":1}'
expect_status FAILED
expect_has cause "The JSONata expression '\$states.input.n' specified for the field 'Condition' returned an unexpected result type. Expected 'boolean', but was 'number' for value: 1"
t "Choice: no match and no Default"
run exec "$T/nomatch.json" --input '{"n":false}'
expect_status FAILED
expect_json error '"States.NoChoiceMatched"'

# ---------------------------------------------------------------- Wait, Fail, Succeed
t "Wait: Seconds and Timestamp from expressions, on the virtual clock"
mkjson wait.json '{"QueryLanguage":"JSONata","StartAt":"W","States":{
 "W":{"Type":"Wait","Seconds":"{% $states.input.s %}","Next":"T"},
 "T":{"Type":"Wait","Timestamp":"{% $states.input.ts %}","Output":{"done":true},"End":true}}}'
run exec "$T/wait.json" --input '{"s":30,"ts":"2030-01-01T00:00:00Z"}' --history
expect_status SUCCEEDED
expect_json output '{"done":true}'
expect_py "trace or history as expected" 'any(e["type"] == "WaitStateExited" for e in r["history"])'

t "Wait: a Timestamp expression giving no timestamp"
run exec "$T/wait.json" --input '{"s":0,"ts":"soon"}'
expect_status FAILED
expect_has cause "specified for the field 'Timestamp' returned \"soon\", which is not an ISO-8601"

t "Fail: Error and Cause from expressions"
mkjson fail.json '{"QueryLanguage":"JSONata","StartAt":"F","States":{
 "F":{"Type":"Fail","Error":"{% \"E.\" & $states.input.code %}","Cause":"{% $string($states.input) %}"}}}'
run exec "$T/fail.json" --input '{"code":"X"}'
expect_status FAILED
expect_json error '"E.X"'
expect_json cause '"{\"code\":\"X\"}"'

t "Succeed: Output"
mkjson succeed.json '{"QueryLanguage":"JSONata","StartAt":"S","States":{
 "S":{"Type":"Succeed","Output":["{% $states.context.State.Name %}", "{% $count($states.input) %}"]}}}'
run exec "$T/succeed.json" --input '[1,2,3]'
expect_status SUCCEEDED
expect_json output '["S",3]'

# ---------------------------------------------------------------- Map, Parallel
t "Map: Items, ItemSelector with \$states.context.Map.Item, settings from expressions"
mkjson map.json '{"QueryLanguage":"JSONata","StartAt":"M","States":{
 "M":{"Type":"Map","Items":"{% $states.input.xs %}","MaxConcurrency":"{% 1 %}",
  "ToleratedFailureCount":"{% 0 %}",
  "ItemSelector":{"v":"{% $states.context.Map.Item.Value %}","i":"{% $states.context.Map.Item.Index %}","k":"{% $states.input.k %}"},
  "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% $states.input.v * 2 + $states.input.i %}","End":true}}},
  "Output":{"sum":"{% $sum($states.result) %}","all":"{% $states.result %}"},"End":true}}}'
run exec "$T/map.json" --input '{"xs":[5,6,7],"k":"z"}'
expect_status SUCCEEDED
expect_json output '{"sum":39,"all":[10,13,16]}'

t "Map: Items that are not an array"
run exec "$T/map.json" --input '{"xs":{"a":1}}'
expect_status FAILED
expect_has cause "The JSONata expression '\$states.input.xs' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'object' for value: {\"a\":1}"

t "Parallel: Arguments are each branch's input; inner Assign stays inside"
mkjson par.json '{"QueryLanguage":"JSONata","StartAt":"P","States":{
 "P":{"Type":"Parallel","Arguments":{"n":"{% $states.input.n + 1 %}"},
  "Branches":[
   {"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"inner":1},"Output":"{% $states.input.n %}","End":true}}},
   {"StartAt":"B","States":{"B":{"Type":"Pass","Output":"{% $outer & \"!\" %}","End":true}}}],
  "Output":{"r":"{% $states.result %}","inner":"{% $exists($inner) %}"},"End":true}}}'
mkjson par-outer.json '{"QueryLanguage":"JSONata","StartAt":"S","States":{
 "S":{"Type":"Pass","Assign":{"outer":"hi"},"Next":"P"},
 "P":'"$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["States"]["P"]))' "$T/par.json")"'}}'
run exec "$T/par-outer.json" --input '{"n":1}'
expect_status SUCCEEDED
expect_json output '{"r":[2,"hi!"],"inner":false}'

# ---------------------------------------------------------------- mixing
t "a JSONPath machine with one JSONata state"
mkjson mixed.json '{"StartAt":"A","States":{
 "A":{"Type":"Pass","Parameters":{"x.$":"$.a"},"Next":"B"},
 "B":{"Type":"Pass","QueryLanguage":"JSONata","Output":{"y":"{% $states.input.x %}"},"Next":"C"},
 "C":{"Type":"Pass","OutputPath":"$.y","End":true}}}'
run exec "$T/mixed.json" --input '{"a":42}'
expect_status SUCCEEDED
expect_json output '42'

t "Map states inside a JSONata machine default to JSONata"
mkjson inner.json '{"QueryLanguage":"JSONata","StartAt":"M","States":{
 "M":{"Type":"Map","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% $states.input + 1 %}","End":true}}},"End":true}}}'
run exec "$T/inner.json" --input '[1,2]'
expect_status SUCCEEDED
expect_json output '[2,3]'

# ---------------------------------------------------------------- evaluation errors
t "an expression giving undefined"
mkjson undef.json '{"QueryLanguage":"JSONata","StartAt":"A","States":{
 "A":{"Type":"Pass","Output":{"deep":["{% $states.input.nothing %}"]},"End":true}}}'
run exec "$T/undef.json"
expect_status FAILED
expect_json error '"States.QueryEvaluationError"'
expect_json cause "\"An error occurred while executing the state 'A' (entered at the event id #2). The JSONata expression '\$states.input.nothing' specified for the field 'Output/deep[0]' returned nothing (undefined).\""

t "an expression that throws carries JSONata's code"
mkjson throw.json '{"QueryLanguage":"JSONata","StartAt":"A","States":{
 "A":{"Type":"Pass","Output":"{% $states.input.s + 1 %}","End":true}}}'
run exec "$T/throw.json" --input '{"s":"a"}'
expect_status FAILED
expect_json error '"States.QueryEvaluationError"'
expect_has cause "specified for the field 'Output' threw an error during evaluation. T2001"

t "an expression giving a function"
mkjson fn.json '{"QueryLanguage":"JSONata","StartAt":"A","States":{
 "A":{"Type":"Pass","Output":"{% function($x) { $x } %}","End":true}}}'
run exec "$T/fn.json"
expect_status FAILED
expect_has cause "specified for the field 'Output' returned an unsupported result type."

t "the error is caught like any other"
mkjson caught.json '{"QueryLanguage":"JSONata","StartAt":"A","States":{
 "A":{"Type":"Task","Resource":"'$LAMBDA'","Output":"{% $states.result.nope %}","End":true,
  "Catch":[{"ErrorEquals":["States.QueryEvaluationError"],"Next":"B"}]},
 "B":{"Type":"Pass","Output":"{% $states.input.Error %}","End":true}}}'
run exec "$T/caught.json" --handler A=cat
expect_status SUCCEEDED
expect_json output '"States.QueryEvaluationError"'

t "\$eval is not available (AWS: use \$parse)"
mkjson eval.json '{"QueryLanguage":"JSONata","StartAt":"A","States":{
 "A":{"Type":"Pass","Output":"{% $eval(\"1\") %}","End":true}}}'
run exec "$T/eval.json"
expect_status FAILED
expect_has cause "T1006"

# ---------------------------------------------------------------- refused at load
mkjson r1.json '{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"$.a","End":true}}}'
t "JSONata state with InputPath"
expect_refused "$T/r1.json" "/States/A/InputPath: The field 'InputPath' is not supported when the query language is JSONata"
mkjson r2.json '{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","QueryLanguage":"JSONPath","End":true}}}'
t "a JSONPath state in a JSONata machine"
expect_refused "$T/r2.json" "/States/A/QueryLanguage"
mkjson r3.json '{"StartAt":"A","States":{"A":{"Type":"Pass","Output":{"a":1},"End":true}}}'
t "Output in a JSONPath state"
expect_refused "$T/r3.json" "/States/A/Output: The field 'Output' is only supported when the query language is JSONata"
for bad in '{%10%}' '{% 10 %' '10 %}' '{%  %}' '{% 1 +  %}'; do
	mkjson r4.json '{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":{"x":"'"$bad"'"},"End":true}}}'
	t "a malformed JSONata string $bad"
	expect_refused "$T/r4.json" "/States/A/Output/x"
done
mkjson r5.json '{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":"{% 1 +  %}","End":true}}}'
t "a JSONata syntax error names the code"
expect_refused "$T/r5.json" "S0207: Unexpected end of expression"
mkjson r6.json '{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Result":1,"End":true}}}'
t "Pass Result in a JSONata state"
expect_refused "$T/r6.json" "/States/A/Result"
mkjson r7.json '{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Map","Items":5,"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}'
t "Map Items that is neither an array nor an expression"
expect_refused "$T/r7.json" "/States/A/Items"
mkjson r8.json '{"QueryLanguage":"JSONata","StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Condition":"yes","Next":"D"}]},"D":{"Type":"Succeed"}}}'
t "a Condition that is neither a boolean nor an expression"
expect_refused "$T/r8.json" "/States/C/Choices[0]/Condition"
mkjson r9.json '{"QueryLanguage":"JSONata","StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","IsPresent":true,"Next":"D"}]},"D":{"Type":"Succeed"}}}'
t "a JSONPath Choice Rule in a JSONata state"
expect_refused "$T/r9.json" "/States/C/Choices[0]/Variable"

finish
