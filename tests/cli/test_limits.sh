#!/usr/bin/env bash
# tests/cli/test_limits.sh: every limit of README.md's "Limits" table that a
# command reaches, each just under (it works) and just over (the exact
# error, the exit status, nothing printed on stdout). The big inputs are
# made here, by python3, never kept in the tree.
#
#   STEPDEPLOY=build/asan/stepdeploy bash tests/cli/test_limits.sh
set -euo pipefail

. "$(dirname "$0")/lib.sh"

if [ -z "$PY" ]; then
	echo "$0: needs python3 to make its inputs (skipped)" >&2
	exit 0
fi
expect_rc() {
	if [ "$RC" = "$1" ]; then ok; else bad "exit status $RC, want $1"; fi
}
# expect_err TEXT: stderr is exactly the line TEXT.
expect_err() {
	if [ "$ERR" = "$1" ]; then ok; else bad "stderr is not: $1"; fi
}
expect_no_out() {
	if [ -z "$OUT" ]; then ok; else bad "stdout should be empty"; fi
}
# expect_out S OUTPUT: exit 0 and stdout exactly {"status":S,"output":OUTPUT}
# (its "history" apart).
expect_out() {
	expect_rc 0
	if [ "$(top)" = "{\"status\":\"$1\",\"output\":$2}" ]; then ok; else
		bad "stdout is not {\"status\":\"$1\",\"output\":$2}"; fi
}
# expect_fail ERROR CAUSE (JSON strings): exit 1 and stdout exactly
# {"status":"FAILED","error":ERROR,"cause":CAUSE} (its "history" apart).
expect_fail() {
	expect_rc 1
	if [ "$(top)" = "{\"status\":\"FAILED\",\"error\":$1,\"cause\":$2}" ]; then ok; else
		bad "stdout is not {\"status\":\"FAILED\",\"error\":$1,\"cause\":$2}"; fi
}
# gen FILE PYTHON: write what the python3 expression prints to $T/FILE.
gen() { python3 -c "import json, sys; sys.stdout.write($2)" >"$T/$1"; }

PASS='{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}'
mkjson pass.json "$PASS"

# ---------------------------------------------------------------- JSON nesting
# jansson's parser stops at 2048 levels; every entry point says so.
gen deep-ok.json "'[' * 2048 + ']' * 2048"
gen deep.json "'[' * 2049 + ']' * 2049"
DEEP="nested deeper than the limit of 2048 levels of arrays and objects"
AT="is not valid JSON (line 1, column 2049): $DEEP"

t "--input nested 2048 deep is taken whole"
run exec "$T/pass.json" --input "@$T/deep-ok.json"
expect_rc 0
if [ "$OUT" = "{\"status\":\"SUCCEEDED\",\"output\":$(cat "$T/deep-ok.json")}" ]; then ok; else
	bad "the output is not the input"; fi

t "--input nested 2049 deep"
run exec "$T/pass.json" --input "@$T/deep.json"
expect_usage
expect_err "stepdeploy exec: --input: $T/deep.json $AT"

t "a definition nested 2049 deep"
# Three objects, then 2046 arrays: the 2049th opener is at column 53 + 2046.
gen def-deep.json "'{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"Result\":' + '[' * 2046 + ']' * 2046 + ',\"End\":true}}}'"
run exec "$T/def-deep.json"
expect_usage
expect_err "stepdeploy exec: $T/def-deep.json is not valid JSON (line 1, column 2099): $DEEP"

t "--mocks nested 2049 deep"
run exec "$T/pass.json" --mocks "$T/deep.json"
expect_usage
expect_err "stepdeploy exec: --mocks: $T/deep.json $AT"

t "--mock-config nested 2049 deep"
run exec "$T/pass.json" --mock-config "$T/deep.json" --test-case X
expect_usage
expect_err "stepdeploy exec: --mock-config: $T/deep.json $AT"

t "a tests file nested 2049 deep"
run test "$T/pass.json" "$T/deep.json"
expect_usage
expect_err "stepdeploy test: $T/deep.json $AT"

t "test-state --input nested 2049 deep"
run test-state "$T/pass.json" A --input "@$T/deep.json"
expect_usage
expect_err "stepdeploy test-state: --input: $T/deep.json $AT"

t "a policy nested 2049 deep"
run validate "$T/pass.json" --policy "$T/deep.json"
expect_usage
expect_err "stepdeploy validate: --policy $T/deep.json: policy $AT"

t "a release.json nested 2049 deep"
run validate "$T/pass.json" --release "$T/deep.json"
expect_rc 1
if [ "$OUT" = "error deep.json:/: release.json $AT" ]; then ok; else
	bad "the finding is not the nesting limit"; fi

t "jsonata --input nested 2049 deep"
run jsonata '$' --input "@$T/deep.json"
expect_usage
expect_err "stepdeploy jsonata: --input: $T/deep.json $AT"

# ---------------------------------------------------------------- definition size
# https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
# "Maximum size of state machine definition: 1 MB" (a hard quota).
gen def-1m.json "json.dumps(json.loads('$PASS')).ljust(1048576)"
gen def-1m1.json "json.dumps(json.loads('$PASS')).ljust(1048577)"

t "a definition of 1,048,576 bytes runs"
run exec "$T/def-1m.json"
expect_out SUCCEEDED '{}'

t "a definition of 1,048,577 bytes"
run exec "$T/def-1m1.json"
expect_usage
expect_err "stepdeploy exec: $T/def-1m1.json is larger than 1048576 bytes, the limit on a state machine definition"

for cmd in test dot; do
	t "$cmd: a definition of 1,048,577 bytes"
	mkjson tests.json '[{"name":"t","expected":{"status":"SUCCEEDED"}}]'
	if [ "$cmd" = test ]; then run test "$T/def-1m1.json" "$T/tests.json"; else run dot "$T/def-1m1.json"; fi
	expect_usage
	expect_err "stepdeploy $cmd: $T/def-1m1.json is larger than 1048576 bytes, the limit on a state machine definition"
done

t "test-state: a definition of 1,048,577 bytes"
run test-state "$T/def-1m1.json" A --input "{}"
expect_usage
expect_err "stepdeploy test-state: $T/def-1m1.json is larger than 1048576 bytes, the limit on a state machine definition"

t "validate: a definition of 1,048,577 bytes"
run validate "$T/def-1m1.json"
expect_rc 1
if [ "$OUT" = "error /: The definition is 1048577 bytes, more than the limit of 1048576" ]; then ok; else
	bad "the finding is not the size limit"; fi

t "validate: a definition of 1,048,576 bytes"
run validate "$T/def-1m.json"
expect_rc 0

# ---------------------------------------------------------------- payloads
# https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
# "Maximum input or output size for a task, state, or execution: 256 KiB"
# (262,144 bytes of UTF-8); StartExecution's input "Maximum length of
# 262144" (API_StartExecution.html).
gen in-ok.json "json.dumps({'s': 'x' * (262144 - 8)}, separators=(',', ':'))"
gen in-over.json "json.dumps({'s': 'x' * (262144 - 7)}, separators=(',', ':'))"

t "an execution input of 262,144 bytes"
run exec "$T/pass.json" --input "@$T/in-ok.json"
expect_out SUCCEEDED "$(cat "$T/in-ok.json")"

t "an execution input of 262,145 bytes"
run exec "$T/pass.json" --input "@$T/in-over.json"
expect_usage
expect_err "stepdeploy exec: --input is 262145 bytes, more than the limit of 262144 bytes (256 KiB) on an input"

# https://docs.aws.amazon.com/step-functions/latest/apireference/API_TestState.html
# input: "Maximum length of 262144".
t "test-state: an input of 262,144 bytes"
run test-state "$T/pass.json" A --input "@$T/in-ok.json"
expect_rc 0

t "test-state: an input of 262,145 bytes"
run test-state "$T/pass.json" A --input "@$T/in-over.json"
expect_usage
expect_err "stepdeploy test-state: --input is 262145 bytes, more than the limit of 262144 bytes (256 KiB) on an input"

# A state output of exactly 262,144 bytes, and of 262,146.
mkjson twice.json '{"StartAt":"Twice","States":{"Twice":{"Type":"Pass","Parameters":{"a.$":"$.s","bb.$":"$.s"},"End":true}}}'
gen half-ok.json "json.dumps({'s': 'x' * 131064}, separators=(',', ':'))"
gen half-over.json "json.dumps({'s': 'x' * 131065}, separators=(',', ':'))"
HALF=$(printf '%131064s' '' | tr ' ' x)

t "a state output of 262,144 bytes"
run exec "$T/twice.json" --input "@$T/half-ok.json"
expect_out SUCCEEDED "{\"a\":\"$HALF\",\"bb\":\"$HALF\"}"

t "a state output of 262,146 bytes"
run exec "$T/twice.json" --input "@$T/half-over.json"
expect_fail '"States.DataLimitExceeded"' '"The state/task '"'"'Twice'"'"' returned a result with a size exceeding the maximum number of bytes service limit."'

# A Parallel's result is measured whole, not as the branches' outputs it
# holds (each of which was measured alone): 6 copies of a 40,008-byte
# input make 240,055 bytes, 7 make 280,063.
par_n() {
	python3 -c "import json, sys; n = int(sys.argv[1]); print(json.dumps({'StartAt': 'Par', 'States': {'Par': {'Type': 'Parallel', 'End': True, 'Branches': [{'StartAt': 'P%d' % i, 'States': {'P%d' % i: {'Type': 'Pass', 'End': True}}} for i in range(n)]}}}))" "$1" > "$T/par$1.json"
}
par_n 6
par_n 7
gen forty.json "json.dumps({'s': 'x' * 40000}, separators=(',', ':'))"
FORTY="{\"s\":\"$(printf '%40000s' '' | tr ' ' x)\"}"

t "a Parallel's result of 240,055 bytes, from 6 branches"
run exec "$T/par6.json" --input "@$T/forty.json"
expect_out SUCCEEDED "[$FORTY,$FORTY,$FORTY,$FORTY,$FORTY,$FORTY]"

t "a Parallel's result of 280,063 bytes, from 7 branches each within the limit"
run exec "$T/par7.json" --input "@$T/forty.json"
expect_fail '"States.DataLimitExceeded"' '"The state/task '"'"'Par'"'"' returned a result with a size exceeding the maximum number of bytes service limit."'

# https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html
# "the size of all variables assigned in a single state ... 256 KiB".
mkjson assign.json '{"StartAt":"Set","States":{"Set":{"Type":"Pass","Assign":{"v.$":"$.s","ww.$":"$.s"},"End":true}}}'

t "Assign of 262,144 bytes"
run exec "$T/assign.json" --input "@$T/half-ok.json"
expect_out SUCCEEDED "$(cat "$T/half-ok.json")"

t "Assign of 262,146 bytes"
run exec "$T/assign.json" --input "@$T/half-over.json"
expect_fail '"States.DataLimitExceeded"' '"An error occurred while executing the state '"'"'Set'"'"' (entered at the event id #2). The variables assigned by the state '"'"'Set'"'"' exceed the maximum size of 262144 bytes"'

# ---------------------------------------------------------------- history
# https://docs.aws.amazon.com/step-functions/latest/dg/bp-history-limit.html
# "a hard quota of 25,000 entries in the execution event history ... If
# the event number 25,000 is ExecutionSucceeded, the execution finishes
# successfully. If the event number 25,000 isn't ExecutionSucceeded, the
# ExecutionFailed event is logged and the state machine execution fails".
# A loop of N rounds has 4N + 4 events: 6249 rounds are 25,000.
mkjson count.json '{"StartAt":"Inc","States":{
 "Inc":{"Type":"Pass","Parameters":{"n.$":"States.MathAdd($.n, 1)","max.$":"$.max"},"Next":"Check"},
 "Check":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericLessThanPath":"$.max","Next":"Inc"}],"Default":"Done"},
 "Done":{"Type":"Succeed"}}}'
FULL='"The execution reached the maximum number of history events (25000)."'

t "25,000 events, the last ExecutionSucceeded"
run exec "$T/count.json" --input '{"n":0,"max":6249}' --history
expect_out SUCCEEDED '{"n":6249,"max":6249}'
expect_py "the history is not 25,000 events ending in ExecutionSucceeded" \
    'len(hist) == 25000 and hist[-1]["id"] == 25000 and types[-1] == "ExecutionSucceeded"'

t "25,004 events: ExecutionFailed is event 25,000"
run exec "$T/count.json" --input '{"n":0,"max":6250}' --history
expect_fail '"States.Runtime"' "$FULL"
expect_py "the history does not end at 25,000 with ExecutionFailed" \
    'len(hist) == 25000 and hist[-1]["id"] == 25000 and types[-1] == "ExecutionFailed" and hist[-1]["executionFailedEventDetails"] == {"error": "States.Runtime", "cause": json.loads(args[0])}' \
    "$FULL"

t "the history limit holds without --history"
run exec "$T/count.json" --input '{"n":0,"max":6250}'
expect_fail '"States.Runtime"' "$FULL"

t "a loop for ever stops at the history limit"
mkjson loop.json '{"StartAt":"L","States":{"L":{"Type":"Pass","Next":"L"}}}'
run exec "$T/loop.json"
expect_fail '"States.Runtime"' "$FULL"

t "neither Retry nor Catch takes the history limit"
mkjson caught.json '{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"L","States":{"L":{"Type":"Pass","Next":"L"}}}],
 "Retry":[{"ErrorEquals":["States.ALL"],"MaxAttempts":3}],"Catch":[{"ErrorEquals":["States.ALL"],"Next":"C"}],"End":true},"C":{"Type":"Succeed"}}}'
run exec "$T/caught.json"
expect_fail '"States.Runtime"' "$FULL"

t "an inline Map of 6,248 items: 24,998 events"
mkjson imap.json '{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"ResultSelector":{"n.$":"States.ArrayLength($)"},"End":true}}}'
gen items-6248.json "json.dumps(list(range(6248)))"
run exec "$T/imap.json" --input "@$T/items-6248.json"
expect_out SUCCEEDED '{"n":6248}'

t "an inline Map of 6,251 items"
gen items-6251.json "json.dumps(list(range(6251)))"
run exec "$T/imap.json" --input "@$T/items-6251.json"
expect_fail '"States.Runtime"' "$FULL"

# A Distributed Map's child executions each have their own history
# (https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html).
t "a Distributed Map of 10,000 items is not held to the parent's history limit"
mkjson dmap.json '{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"ResultSelector":{"n.$":"States.ArrayLength($)"},"End":true}}}'
gen items-10000.json "json.dumps(list(range(10000)))"
run exec "$T/dmap.json" --input "@$T/items-10000.json"
expect_out SUCCEEDED '{"n":10000}'

t "a Distributed Map's child execution is held to its own history limit"
mkjson dcount.json '{"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailurePercentage":50,"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"Inc","States":{
 "Inc":{"Type":"Pass","Parameters":{"n.$":"States.MathAdd($.n, 1)","max.$":"$.max"},"Next":"Check"},
 "Check":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericLessThanPath":"$.max","Next":"Inc"}],"Default":"Done"},
 "Done":{"Type":"Succeed"}}},"End":true}}}'
run exec "$T/dcount.json" --input '[{"n":0,"max":6249},{"n":0,"max":6250}]'
expect_out SUCCEEDED '[{"n":6249,"max":6249},{"Error":"States.Runtime","Cause":'"$FULL"'}]'

t "a child execution over the limit fails the Map at its tolerance, the parent's history goes on"
run exec "$T/dcount.json" --input '[{"n":0,"max":6250},{"n":0,"max":6250}]' --history
expect_fail '"States.ExceedToleratedFailureThreshold"' '"The specified tolerance threshold was exceeded"'
expect_py "the parent's history is not its own seven events" \
    'types == ["ExecutionStarted", "MapStateEntered", "MapStateStarted", "MapRunStarted", "MapRunFailed", "MapStateFailed", "ExecutionFailed"]'

t "stepdeploy test: the history limit"
mkjson count-tests.json '[{"name":"under","input":{"n":0,"max":6249},"expected":{"status":"SUCCEEDED"}},
 {"name":"over","input":{"n":0,"max":6250},"expected":{"status":"FAILED","error":"States.Runtime"}}]'
run test "$T/count.json" "$T/count-tests.json"
expect_rc 0

# ---------------------------------------------------------------- names
# https://docs.aws.amazon.com/step-functions/latest/apireference/API_StateEnteredEventDetails.html
# a state's name: "Maximum length of 80" (characters, not bytes).
for n in 80 81; do
	gen "name-$n.json" "json.dumps({'StartAt': 'A' * $n, 'States': {'A' * $n: {'Type': 'Pass', 'End': True}}})"
	gen "uname-$n.json" "json.dumps({'StartAt': 'é' * $n, 'States': {'é' * $n: {'Type': 'Pass', 'End': True}}}, ensure_ascii=False)"
	gen "var-$n.json" "json.dumps({'StartAt': 'A', 'States': {'A': {'Type': 'Pass', 'Assign': {'v' * $n: 1}, 'End': True}}})"
done
A81=$(printf 'A%.0s' $(seq 81))
V81=$(printf 'v%.0s' $(seq 81))

t "a state name of 80 characters"
run exec "$T/name-80.json"
expect_out SUCCEEDED '{}'

t "a state name of 80 two-byte characters"
run exec "$T/uname-80.json"
expect_out SUCCEEDED '{}'

t "a state name of 81 characters"
run exec "$T/name-81.json"
expect_usage
expect_err "stepdeploy exec: $T/name-81.json: invalid definition: /States/$A81: state names must be 1 to 80 characters"

t "a state name of 81 two-byte characters"
run exec "$T/uname-81.json"
expect_usage "state names must be 1 to 80 characters"

t "a variable name of 80 characters"
run exec "$T/var-80.json"
expect_out SUCCEEDED '{}'

t "a variable name of 81 characters"
run exec "$T/var-81.json"
expect_usage
expect_err "stepdeploy exec: $T/var-81.json: invalid definition: /States/A/Assign: variable names must be 1 to 80 characters"

# ---------------------------------------------------------------- nesting in a definition
# Parallel branches in Parallel branches: 63 levels below the machine.
nest_par() {
	gen "$1" "(lambda f: json.dumps(f(f, $2)))(lambda f, n: {'StartAt': 'P%d' % n, 'States': {'P%d' % n: {'Type': 'Parallel', 'Branches': [f(f, n - 1)], 'End': True}}} if n > 0 else {'StartAt': 'A', 'States': {'A': {'Type': 'Pass', 'End': True}}})"
}
nest_par par-63.json 63
nest_par par-64.json 64

t "Parallel nested 63 deep"
run exec "$T/par-63.json"
expect_out SUCCEEDED "$(printf '[%.0s' $(seq 63)){}$(printf ']%.0s' $(seq 63))"

t "Parallel nested 64 deep"
run exec "$T/par-64.json"
expect_usage "nested too deeply: at most 63 levels of Parallel branches and Map item processors"

# A payload template: 65 levels of objects above an expression.
gen tmpl-65.json "json.dumps({'StartAt': 'A', 'States': {'A': {'Type': 'Pass', 'Parameters': json.loads('{\"a\":' * 64 + '{\"b.\$\":\"\$.x\"}' + '}' * 64), 'End': True}}})"
gen tmpl-66.json "json.dumps({'StartAt': 'A', 'States': {'A': {'Type': 'Pass', 'Parameters': json.loads('{\"a\":' * 65 + '{\"b.\$\":\"\$.x\"}' + '}' * 65), 'End': True}}})"

t "a payload template 65 levels deep"
run exec "$T/tmpl-65.json" --input '{"x":7}'
expect_out SUCCEEDED "$(printf '{"a":%.0s' $(seq 64)){\"b\":7}$(printf '}%.0s' $(seq 64))"

t "a payload template 66 levels deep"
run exec "$T/tmpl-66.json" --input '{"x":7}'
expect_usage "nested too deeply: at most 65 levels of objects and arrays above an expression"

# ---------------------------------------------------------------- intrinsics
# https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html
# "You can nest up to 10 intrinsic functions within a field"; ArrayRange
# "can't generate an array that contains more than 1000 elements".
nest_intr() {
	gen "$1" "json.dumps({'StartAt': 'A', 'States': {'A': {'Type': 'Pass', 'Parameters': {'v.\$': 'States.Array(' * $2 + '\$.a' + ')' * $2}, 'End': True}}})"
}
nest_intr intr-10.json 10
nest_intr intr-11.json 11

t "10 intrinsic functions nested in one"
run exec "$T/intr-10.json" --input '{"a":1}'
expect_out SUCCEEDED '{"v":[[[[[[[[[[1]]]]]]]]]]}'

t "11 intrinsic functions nested in one"
run exec "$T/intr-11.json" --input '{"a":1}'
expect_usage "intrinsic functions nested more than 10 deep"

mkjson range.json '{"StartAt":"R","States":{"R":{"Type":"Pass","Parameters":{"v.$":"States.ArrayLength(States.ArrayRange(1, $.n, 1))"},"End":true}}}'
t "States.ArrayRange of 1,000 items"
run exec "$T/range.json" --input '{"n":1000}'
expect_out SUCCEEDED '{"v":1000}'

t "States.ArrayRange of 1,001 items"
run exec "$T/range.json" --input '{"n":1001}'
expect_fail '"States.Runtime"' '"An error occurred while executing the state '"'"'R'"'"' (entered at the event id #2). The function '"'"'States.ArrayLength(States.ArrayRange(1, $.n, 1))'"'"' had the following error: Invalid arguments in States.ArrayRange"'

# "The input string ... can't exceed 10,000 characters" (States.Hash).
mkjson hash.json '{"StartAt":"H","States":{"H":{"Type":"Pass","Parameters":{"v.$":"States.Hash($.s, '"'"'SHA-1'"'"')"},"End":true}}}'
A10000=$(printf '%10000s' '' | tr ' ' a)
t "States.Hash of 10,000 characters"
run exec "$T/hash.json" --input "{\"s\":\"$A10000\"}"
expect_out SUCCEEDED "{\"v\":\"$(python3 -c "import hashlib; print(hashlib.sha1(b'a' * 10000).hexdigest())")\"}"

t "States.Hash of 10,001 characters"
run exec "$T/hash.json" --input "{\"s\":\"${A10000}a\"}"
expect_fail '"States.Runtime"' "\"An error occurred while executing the state 'H' (entered at the event id #2). The function 'States.Hash(\$.s, 'SHA-1')' had the following error: Invalid arguments in States.Hash\""

# ---------------------------------------------------------------- JSONPath
for n in 4096 4097; do
	gen "path-$n.json" "json.dumps({'StartAt': 'A', 'States': {'A': {'Type': 'Pass', 'InputPath': '\$.' + 'a' * ($n - 2), 'End': True}}})"
done
t "a JSONPath of 4,096 bytes"
run exec "$T/path-4096.json" --input "{\"$(printf 'a%.0s' $(seq 4094))\":5}"
expect_out SUCCEEDED 5

t "a JSONPath of 4,097 bytes"
run exec "$T/path-4097.json"
expect_usage "is not a valid JSONPath: invalid JSONPath: longer than 4096 bytes"

# ---------------------------------------------------------------- JSONata
# Evaluation nesting: 499 levels of parentheses, then U1001 as jsonata-js
# reports a stack overflow.
J499=$(python3 -c "print('(' * 499 + '1' + ')' * 499)")
J500=$(python3 -c "print('(' * 500 + '1' + ')' * 500)")
U1001='U1001: Stack overflow error: Check for non-terminating recursive function.  Consider rewriting as tail-recursive.'

t "jsonata: 499 nested parentheses"
run jsonata "$J499"
expect_rc 0
if [ "$OUT" = 1 ]; then ok; else bad "the result is not 1"; fi

t "jsonata: 500 nested parentheses"
run jsonata "$J500"
expect_rc 1
expect_no_out
expect_err "$U1001 (position 501)"

t "a JSONata Output 500 levels deep fails the state"
gen jn-500.json "json.dumps({'QueryLanguage': 'JSONata', 'StartAt': 'A', 'States': {'A': {'Type': 'Pass', 'Output': '{% ' + '(' * 500 + '1' + ')' * 500 + ' %}', 'End': True}}})"
run exec "$T/jn-500.json"
expect_status FAILED
expect_json error '"States.QueryEvaluationError"'
expect_has cause "$U1001"

t "a JSONata expression nested 100,000 deep is refused at load"
gen jn-deep.json "json.dumps({'QueryLanguage': 'JSONata', 'StartAt': 'A', 'States': {'A': {'Type': 'Pass', 'Output': '{% ' + '(' * 100000 + '1' + ')' * 100000 + ' %}', 'End': True}}})"
run exec "$T/jn-deep.json"
expect_usage "U1001: Stack overflow error"

# ---------------------------------------------------------------- Map
# https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html
# MaxConcurrency is an integer; ours is bounded as the validator's.
mkjson maxc.json '{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":99999999,"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}'
t "MaxConcurrency 99,999,999 over 3 items"
run exec "$T/maxc.json" --input '[1,2,3]'
expect_out SUCCEEDED '[1,2,3]'

t "MaxConcurrency 100,000,000"
sed 's/99999999/100000000/' "$T/maxc.json" >"$T/maxc-over.json"
run exec "$T/maxc-over.json" --input '[1]'
expect_usage
expect_err "stepdeploy exec: $T/maxc-over.json: invalid definition: /States/M/MaxConcurrency: 100000000 is out of range (0 to 99999999)"

# ---------------------------------------------------------------- mock configs
mkjson call.json '{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"},"OutputPath":"$.Payload","End":true}}}'
mock_cfg() {
	mkjson "$1" '{"StateMachines":{"M":{"TestCases":{"T":{"Call":"R"}}}},"MockedResponses":{"R":{"'"$2"'":{"Return":{"Payload":1}}}}}'
}
mock_cfg mc-ok.json 0-99999
mock_cfg mc-over.json 0-100000

t "a mock config of 100,000 responses"
run exec "$T/call.json" --mock-config "$T/mc-ok.json" --test-case T
expect_out SUCCEEDED 1

t "a mock config of 100,001 responses"
run exec "$T/call.json" --mock-config "$T/mc-over.json" --test-case T
expect_usage "too many invocations: the mocks of one test case may hold at most 100000 responses"

# ---------------------------------------------------------------- zip entries
gen_zip() {
	python3 -c "
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    for i in range(int(sys.argv[2])):
        z.writestr('f%d' % i, '')" "$T/$1" "$2"
}
gen_zip z-10000.zip 10000
gen_zip z-10001.zip 10001

t "a zip of 10,000 entries"
run validate "$T/pass.json" --zip "$T/z-10000.zip" --no-arn-check
expect_rc 0
if grep -q "entries, more than" "$T/out"; then bad "10,000 entries refused"; else ok; fi

t "a zip of 10,001 entries"
run validate "$T/pass.json" --zip "$T/z-10001.zip" --no-arn-check
expect_rc 1
if grep -qxF "error z-10001.zip: 10001 entries, more than the limit of 10000" "$T/out"; then ok; else
	bad "the finding is not the entry limit"; fi

# ---------------------------------------------------------------- policy
t "a policy of 1,048,577 bytes"
python3 -c "import sys; sys.stdout.write(open(sys.argv[1]).read().ljust(1048577))" \
    "$ROOT/policy/policy.example.json" >"$T/policy-big.json"
run validate "$T/pass.json" --policy "$T/policy-big.json"
expect_usage
expect_err "stepdeploy validate: --policy $T/policy-big.json: policy is larger than 1048576 bytes"

t "a policy of 1,048,576 bytes"
python3 -c "import sys; sys.stdout.write(open(sys.argv[1]).read().ljust(1048576))" \
    "$ROOT/policy/policy.example.json" >"$T/policy-1m.json"
run validate "$T/pass.json" --policy "$T/policy-1m.json"
if [ "$RC" != 2 ]; then ok; else bad "a policy of 1 MiB is refused"; fi

finish
