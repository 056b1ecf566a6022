#!/usr/bin/env bash
# tests/cli/test_exec.sh: `stepdeploy exec` on machines without Tasks:
# inputs (default, inline, @FILE, non-object), outputs of every state type,
# Fail's error and cause, --path, --history, the virtual clock, --real-time
# and the machine's TimeoutSeconds.
#
# Expected shapes from AWS's pages: the Amazon States Language
# (https://states-language.net/spec.html, ../shared/spec), error names and
# causes (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html),
# history events (https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html)
# and the context object (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html).
#
#   STEPDEPLOY=build/asan/stepdeploy bash tests/cli/test_exec.sh
set -euo pipefail

. "$(dirname "$0")/lib.sh"
# ---------------------------------------------------------------- tests
mkjson pass.json '{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}'
mkjson two.json '{"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"x":1},"ResultPath":"$.a","Next":"B"},"B":{"Type":"Pass","End":true}}}'

# ---------------------------------------------------------------- inputs
t "default input is {}"
run exec "$T/pass.json"
expect_status SUCCEEDED
expect_json output '{}'
expect_absent error
expect_absent cause

t "--input inline object"
run exec "$T/pass.json" --input '{"a":1,"b":[true,null,"s"],"c":{"d":1.5}}'
expect_status SUCCEEDED
expect_json output '{"a":1,"b":[true,null,"s"],"c":{"d":1.5}}'

t "--input @FILE"
printf '{\n  "from": "file",\n  "n": [1, 2, 3]\n}\n' >"$T/in.json"
run exec "$T/pass.json" --input "@$T/in.json"
expect_status SUCCEEDED
expect_json output '{"from":"file","n":[1,2,3]}'

t "--input @FILE holding an array"
printf '[ 1, "two", {"three": 3} ]\n' >"$T/in-array.json"
run exec "$T/pass.json" --input "@$T/in-array.json"
expect_status SUCCEEDED
expect_json output '[1,"two",{"three":3}]'

# Inputs that are not objects pass through a Pass state unchanged.
for v in '[1,2,3]' '[]' '42' '-7' '2.5' '"hello"' '""' 'true' 'false' 'null'; do
	t "non-object input $v"
	run exec "$T/pass.json" --input "$v"
	expect_status SUCCEEDED
	expect_json output "$v"
done

t "non-object input with a Result placed under ResultPath \$"
mkjson result.json '{"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"r":1},"End":true}}}'
run exec "$T/result.json" --input '[1,2]'
expect_status SUCCEEDED
expect_json output '{"r":1}'

t "array input indexed by a Parameters path"
mkjson index.json '{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"second.$":"$[1]"},"End":true}}}'
run exec "$T/index.json" --input '["a","b","c"]'
expect_status SUCCEEDED
expect_json output '{"second":"b"}'

t "ResultPath into a string input fails with States.ResultPathMatchFailure"
run exec "$T/two.json" --input '"text"'
expect_status FAILED
expect_json error '"States.ResultPathMatchFailure"'

t "unicode and escapes survive"
run exec "$T/pass.json" --input '{"s":"caf\u00e9 \"q\" \\ \n \u2603"}'
expect_status SUCCEEDED
expect_py "string not kept" 'r["output"]["s"] == "caf\u00e9 \"q\" \\ \n \u2603"'

t "large integers and decimals keep their value"
run exec "$T/pass.json" --input '{"big":9007199254740991,"neg":-12345678901,"f":0.1,"e":1e+21}'
expect_status SUCCEEDED
expect_py "numbers changed" 'eq(r["output"], {"big":9007199254740991,"neg":-12345678901,"f":0.1,"e":1e21})'

# ---------------------------------------------------------------- state types
t "Pass: Result, ResultPath and Parameters"
run exec "$DEFS/pass.json" --input '{"who":"me"}'
expect_status SUCCEEDED
expect_json output '{"who":"me","said":"hello","fixed":1}'

t "Pass: a Parameters path that matches nothing fails with States.Runtime"
run exec "$DEFS/pass.json" --input '{}'
expect_status FAILED
expect_json error '"States.Runtime"'
expect_absent output

t "InputPath that matches nothing fails with States.Runtime"
mkjson inpath.json '{"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"$.missing","End":true}}}'
run exec "$T/inpath.json" --input '{"a":1}'
expect_status FAILED
expect_json error '"States.Runtime"'

t "Choice: first rule"
run exec "$DEFS/choice.json" --input '{"n":11}' --path
expect_status SUCCEEDED
expect_json output '"big"'
expect_json path '["Route","Big"]'

t "Choice: compound rule"
run exec "$DEFS/choice.json" --input '{"n":1,"kind":"special"}' --path
expect_status SUCCEEDED
expect_json output '"special"'
expect_json path '["Route","Special"]'

t "Choice: Default"
run exec "$DEFS/choice.json" --input '{"n":1}' --path
expect_status SUCCEEDED
expect_json output '"small"'
expect_json path '["Route","Small"]'

t "Choice: no rule matches and no Default"
mkjson nodefault.json '{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEquals":1,"Next":"D"}]},"D":{"Type":"Succeed"}}}'
run exec "$T/nodefault.json" --input '{"n":2}'
expect_status FAILED
expect_json error '"States.NoChoiceMatched"'

t "Succeed passes its input"
run exec "$DEFS/succeed.json" --input '{"k":"v"}' --path
expect_status SUCCEEDED
expect_json output '{"k":"v"}'
expect_json path '["Done"]'

t "Parallel: branch results in order"
run exec "$DEFS/parallel.json" --input '{"v":7}'
expect_status SUCCEEDED
expect_json output '["left",7]'

t "Map: one result per item"
run exec "$DEFS/map.json" --input '{"items":[1,2,3]}'
expect_status SUCCEEDED
expect_json output '[{"i":0,"v":2},{"i":1,"v":4},{"i":2,"v":6}]'

t "Map: no items"
run exec "$DEFS/map.json" --input '{"items":[]}'
expect_status SUCCEEDED
expect_json output '[]'

t "Map: ItemsPath that is not an array fails with States.Runtime"
run exec "$DEFS/map.json" --input '{"items":5}'
expect_status FAILED
expect_json error '"States.Runtime"'

t "a loop: Pass, Choice and intrinsic"
mkjson loop.json '{"StartAt":"Init","States":{
 "Init":{"Type":"Pass","Parameters":{"n.$":"$.n","i":0},"Next":"Check"},
 "Check":{"Type":"Choice","Choices":[{"Variable":"$.i","NumericLessThanPath":"$.n","Next":"Incr"}],"Default":"Done"},
 "Incr":{"Type":"Pass","Parameters":{"n.$":"$.n","i.$":"States.MathAdd($.i, 1)"},"Next":"Check"},
 "Done":{"Type":"Succeed"}}}'
run exec "$T/loop.json" --input '{"n":3}' --path
expect_status SUCCEEDED
expect_json output '{"n":3,"i":3}'
expect_json path '["Init","Check","Incr","Check","Incr","Check","Incr","Check","Done"]'

# ---------------------------------------------------------------- other flags
t "definition - is read from stdin"
STDIN=$T/two.json run exec - --input '{"k":1}'
expect_status SUCCEEDED
expect_json output '{"k":1,"a":{"x":1}}'

t "--name sets \$\$.Execution.Name"
mkjson name.json '{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"n.$":"$$.Execution.Name"},"End":true}}}'
run exec "$T/name.json" --name my-run
expect_status SUCCEEDED
expect_json output '{"n":"my-run"}'

t "--pretty still prints one JSON object"
run exec "$T/two.json" --pretty --path
expect_status SUCCEEDED
expect_py "output or path differ" 'eq(r["output"], {"a": {"x": 1}}) and r["path"] == ["A", "B"]'
if [ "$(wc -l <"$T/out")" -gt 1 ]; then ok; else bad "--pretty printed a single line"; fi

# ---------------------------------------------------------------- Fail
t "Fail with Error and Cause"
run exec "$DEFS/fail.json"
expect_status FAILED
expect_json error '"Custom.Error"'
expect_json cause '"something went wrong"'
expect_absent output

t "Fail with neither Error nor Cause: no error or cause keys"
mkjson fail-bare.json '{"StartAt":"F","States":{"F":{"Type":"Fail"}}}'
run exec "$T/fail-bare.json"
expect_status FAILED
expect_absent error
expect_absent cause
expect_absent output

t "Fail with only Error"
mkjson fail-error.json '{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"OnlyError"}}}'
run exec "$T/fail-error.json"
expect_status FAILED
expect_json error '"OnlyError"'
expect_absent cause

t "Fail with only Cause"
mkjson fail-cause.json '{"StartAt":"F","States":{"F":{"Type":"Fail","Cause":"only cause"}}}'
run exec "$T/fail-cause.json"
expect_status FAILED
expect_absent error
expect_json cause '"only cause"'

t "Fail inside a Parallel branch fails the execution"
mkjson par-fail.json '{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[
 {"StartAt":"Ok","States":{"Ok":{"Type":"Pass","End":true}}},
 {"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Branch.Error","Cause":"from a branch"}}}],"End":true}}}'
run exec "$T/par-fail.json"
expect_status FAILED
expect_json error '"Branch.Error"'
expect_json cause '"from a branch"'

t "Fail inside a Parallel branch, caught"
mkjson par-catch.json '{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[
 {"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Branch.Error","Cause":"c"}}}],
 "Catch":[{"ErrorEquals":["Branch.Error"],"ResultPath":"$.caught","Next":"After"}],"End":true},
 "After":{"Type":"Pass","End":true}}}'
run exec "$T/par-catch.json" --input '{"k":1}' --path
expect_status SUCCEEDED
expect_json output '{"k":1,"caught":{"Error":"Branch.Error","Cause":"c"}}'
expect_py "path should start P and end After" 'r["path"][0] == "P" and r["path"][-1] == "After"'

# ---------------------------------------------------------------- --path
t "--path on a chain"
run exec "$T/two.json" --path
expect_status SUCCEEDED
expect_json path '["A","B"]'
expect_absent history

t "no --path: no path key"
run exec "$T/two.json"
expect_status SUCCEEDED
expect_absent path
expect_absent history

t "--path on a failed execution"
mkjson then-fail.json '{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"F"},"F":{"Type":"Fail","Error":"E"}}}'
run exec "$T/then-fail.json" --path
expect_status FAILED
expect_json path '["A","F"]'

t "--path through a Map names the Map first"
run exec "$DEFS/map.json" --input '{"items":[1,2]}' --path
expect_status SUCCEEDED
expect_py "path does not start with Each" 'r["path"][0] == "Each"'

# ---------------------------------------------------------------- --history
t "--history: Pass states"
run exec "$T/two.json" --history
expect_status SUCCEEDED
expect_types "ExecutionStarted PassStateEntered PassStateExited PassStateEntered PassStateExited ExecutionSucceeded"
expect_absent path
expect_py "event ids are not 1..n" '[e["id"] for e in hist] == list(range(1, len(hist) + 1))'
expect_py "events lack a timestamp" 'all("timestamp" in e for e in hist)'
expect_py "PassStateEntered lacks stateEnteredEventDetails.name" \
    'hist[1]["stateEnteredEventDetails"]["name"] == "A"'
expect_py "ExecutionSucceeded output differs from the output" \
    'eq(json.loads(hist[-1]["executionSucceededEventDetails"]["output"]), r["output"])'
expect_py "ExecutionStarted input is not the input" \
    'eq(json.loads(hist[0]["executionStartedEventDetails"]["input"]), {})'

t "--history and --path together"
run exec "$T/two.json" --history --path --input '{"z":0}'
expect_status SUCCEEDED
expect_json path '["A","B"]'
expect_types "ExecutionStarted PassStateEntered PassStateExited PassStateEntered PassStateExited ExecutionSucceeded"

t "flags in another order"
run exec "$T/two.json" --path --input '{"z":0}' --history
expect_status SUCCEEDED
expect_json output '{"z":0,"a":{"x":1}}'
expect_json path '["A","B"]'

t "--history: Choice, Wait, Succeed"
mkjson cws.json '{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.go","BooleanEquals":true,"Next":"W"}],"Default":"S"},"W":{"Type":"Wait","Seconds":5,"Next":"S"},"S":{"Type":"Succeed"}}}'
run exec "$T/cws.json" --input '{"go":true}' --history
expect_status SUCCEEDED
expect_types "ExecutionStarted ChoiceStateEntered ChoiceStateExited WaitStateEntered WaitStateExited SucceedStateEntered SucceedStateExited ExecutionSucceeded"

t "--history: Fail"
run exec "$DEFS/fail.json" --history
expect_status FAILED
expect_types "ExecutionStarted FailStateEntered ExecutionFailed"
expect_py "ExecutionFailed lacks error/cause" \
    'hist[-1]["executionFailedEventDetails"] == {"error": "Custom.Error", "cause": "something went wrong"}'

t "--history: Parallel"
run exec "$DEFS/parallel.json" --input '{"v":1}' --history
expect_status SUCCEEDED
expect_types_has "ExecutionStarted ParallelStateEntered ParallelStateStarted ParallelStateSucceeded ParallelStateExited ExecutionSucceeded"
expect_types_has "PassStateEntered PassStateExited"

t "--history: Map"
run exec "$DEFS/map.json" --input '{"items":[1,2]}' --history
expect_status SUCCEEDED
expect_types_has "ExecutionStarted MapStateEntered MapStateStarted MapIterationStarted MapIterationSucceeded MapStateSucceeded MapStateExited ExecutionSucceeded"
expect_py "not two MapIterationSucceeded" 'types.count("MapIterationSucceeded") == 2'

t "--history: runtime error"
run exec "$T/inpath.json" --input '{}' --history
expect_status FAILED
expect_types_has "ExecutionStarted PassStateEntered ExecutionFailed"

# ---------------------------------------------------------------- clock
t "Wait of an hour is instant on the virtual clock"
run exec "$DEFS/wait.json" --input '{"w":1}' --path
expect_status SUCCEEDED
expect_json output '{"w":1}'
expect_json path '["Pause","Done"]'
expect_faster 10000

t "Wait until a timestamp years away is instant"
mkjson wait-ts.json '{"StartAt":"W","States":{"W":{"Type":"Wait","TimestampPath":"$.until","End":true}}}'
run exec "$T/wait-ts.json" --input '{"until":"2099-01-01T00:00:00Z"}'
expect_status SUCCEEDED
expect_json output '{"until":"2099-01-01T00:00:00Z"}'
expect_faster 10000

t "Wait with a bad SecondsPath fails with States.Runtime"
mkjson wait-sp.json '{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","End":true}}}'
run exec "$T/wait-sp.json" --input '{"s":"soon"}'
expect_status FAILED
expect_json error '"States.Runtime"'

t "--real-time really waits"
mkjson wait2.json '{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":2,"End":true}}}'
run exec "$T/wait2.json" --real-time
expect_status SUCCEEDED
if [ "$MS" -ge 1900 ]; then ok; else bad "took $MS ms, want >= 2 s"; fi

t "without --real-time the same Wait is instant"
run exec "$T/wait2.json"
expect_status SUCCEEDED
expect_faster 1900

t "machine TimeoutSeconds passes during a Wait: TIMED_OUT"
mkjson timeout.json '{"TimeoutSeconds":10,"StartAt":"A","States":{"A":{"Type":"Pass","Next":"W"},"W":{"Type":"Wait","Seconds":3600,"Next":"B"},"B":{"Type":"Pass","End":true}}}'
run exec "$T/timeout.json" --path --history
expect_status TIMED_OUT
expect_json error '"States.Timeout"'
expect_absent output
expect_faster 10000
expect_py "B should not have run" '"B" not in r["path"]'
expect_types_has "ExecutionStarted PassStateEntered WaitStateEntered ExecutionTimedOut"
expect_py "ExecutionTimedOut is not the last event" 'types[-1] == "ExecutionTimedOut"'

t "machine TimeoutSeconds longer than the Waits: SUCCEEDED"
mkjson no-timeout.json '{"TimeoutSeconds":100,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"Next":"X"},"X":{"Type":"Wait","Seconds":30,"End":true}}}'
run exec "$T/no-timeout.json"
expect_status SUCCEEDED

t "TimeoutSeconds is hit by the sum of Waits"
mkjson sum-timeout.json '{"TimeoutSeconds":100,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"Next":"X"},"X":{"Type":"Wait","Seconds":60,"End":true}}}'
run exec "$T/sum-timeout.json"
expect_status TIMED_OUT
expect_json error '"States.Timeout"'

t "TimeoutSeconds inside a Map iteration"
mkjson map-timeout.json '{"TimeoutSeconds":30,"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}},"End":true}}}'
run exec "$T/map-timeout.json" --input '[1,2]'
expect_status TIMED_OUT
expect_faster 10000

finish
