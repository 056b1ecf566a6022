#!/usr/bin/env bash
# tests/cli/test_fields.sh: no state field is accepted and ignored. Every
# field the validator knows (validator/lint_state.c, fdefs) has a case here
# that shows its effect under `stepdeploy exec` (the exact result), or shows
# that the engine refuses it at load naming it, or is listed as metadata
# with no behaviour to emulate. A field added to the validator without a
# case here fails this test.
#
# The fields and their meaning: https://states-language.net/spec.html and
# https://docs.aws.amazon.com/step-functions/latest/dg/statemachine-structure.html.
#
#   STEPDEPLOY=build/asan/stepdeploy bash tests/cli/test_fields.sh
set -euo pipefail

. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

P1='"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}'
PD='"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}'
L=arn:aws:lambda:us-east-1:123456789012:function:f
declare -A CASES	# field -> "DEFINITION<TAB>INPUT<TAB>EXPECTED STDOUT|refused|meta"
c() { CASES[$1]="$2	$3	$4"; }

c Type '{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}' '{"a":1}' '{"status":"SUCCEEDED","output":{"a":1}}'
c Comment '{"StartAt":"A","States":{"A":{"Type":"Pass","Comment":"a note","End":true}}}' '1' meta
c QueryLanguage '{"StartAt":"A","States":{"A":{"Type":"Pass","QueryLanguage":"JSONata","Output":"{% $states.input + 1 %}","End":true}}}' '1' '{"status":"SUCCEEDED","output":2}'
c Next '{"StartAt":"A","States":{"A":{"Type":"Pass","Result":1,"Next":"B"},"B":{"Type":"Pass","Result":2,"End":true}}}' '0' '{"status":"SUCCEEDED","output":2}'
c End '{"StartAt":"A","States":{"A":{"Type":"Pass","Result":1,"End":true}}}' '0' '{"status":"SUCCEEDED","output":1}'
c InputPath '{"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"$.a","End":true}}}' '{"a":5}' '{"status":"SUCCEEDED","output":5}'
c OutputPath '{"StartAt":"A","States":{"A":{"Type":"Pass","OutputPath":"$.b","End":true}}}' '{"b":6}' '{"status":"SUCCEEDED","output":6}'
c Output '{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":{"x":"{% $states.input.a %}"},"End":true}}}' '{"a":7}' '{"status":"SUCCEEDED","output":{"x":7}}'
c Assign '{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"v":3},"Next":"B"},"B":{"Type":"Pass","Parameters":{"v.$":"$v"},"End":true}}}' '{}' '{"status":"SUCCEEDED","output":{"v":3}}'
c ResultPath '{"StartAt":"A","States":{"A":{"Type":"Pass","Result":1,"ResultPath":"$.r","End":true}}}' '{"a":1}' '{"status":"SUCCEEDED","output":{"a":1,"r":1}}'
c Parameters '{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"p.$":"$.a"},"End":true}}}' '{"a":2}' '{"status":"SUCCEEDED","output":{"p":2}}'
c ResultSelector '{"StartAt":"A","States":{"A":{"Type":"Parallel","Branches":[{"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}}],"ResultSelector":{"first.$":"$[0]"},"End":true}}}' '4' '{"status":"SUCCEEDED","output":{"first":4}}'
c Arguments '{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Parallel","Arguments":{"n":"{% $states.input * 2 %}"},"Branches":[{"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}}],"End":true}}}' '4' '{"status":"SUCCEEDED","output":[{"n":8}]}'
c Retry '{"StartAt":"A","States":{"A":{"Type":"Map","ItemsPath":"$.x","Retry":[{"ErrorEquals":["States.ALL"]}],'"$P1"',"End":true}}}' '{"x":[1]}' '{"status":"SUCCEEDED","output":[1]}'
c Catch '{"StartAt":"A","States":{"A":{"Type":"Parallel","Branches":[{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Oops","Cause":"c"}}}],"Catch":[{"ErrorEquals":["Oops"],"Next":"C"}],"End":true},"C":{"Type":"Pass","End":true}}}' '{}' '{"status":"SUCCEEDED","output":{"Error":"Oops","Cause":"c"}}'
c Result '{"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"k":1},"End":true}}}' '0' '{"status":"SUCCEEDED","output":{"k":1}}'
c Resource '{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"'$L'","End":true}}}' '{"in":1}' HANDLER
c TimeoutSeconds '{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"'$L'","TimeoutSeconds":5,"End":true}}}' '{}' MOCKSLOW
c HeartbeatSeconds '{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"'$L'","HeartbeatSeconds":5,"End":true}}}' '{}' MOCKSLOWHB
c TimeoutSecondsPath '{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"'$L'","TimeoutSecondsPath":"$.t","End":true}}}' '{"t":5}' MOCKSLOW
c HeartbeatSecondsPath '{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"'$L'","HeartbeatSecondsPath":"$.h","End":true}}}' '{"h":5}' MOCKSLOWHB
c Credentials '{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"'$L'","Credentials":{"RoleArn":"arn:aws:iam::123456789012:role/r"},"End":true}}}' '{}' meta
c Choices '{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":1,"Next":"B"}],"Default":"C"},"B":{"Type":"Pass","Result":"big","End":true},"C":{"Type":"Pass","Result":"small","End":true}}}' '{"n":2}' '{"status":"SUCCEEDED","output":"big"}'
c Default '{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":1,"Next":"B"}],"Default":"C"},"B":{"Type":"Pass","Result":"big","End":true},"C":{"Type":"Pass","Result":"small","End":true}}}' '{"n":0}' '{"status":"SUCCEEDED","output":"small"}'
c Seconds '{"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":2,"Next":"B"},"B":{"Type":"Pass","Parameters":{"s.$":"$$.Execution.StartTime","t.$":"$$.State.EnteredTime"},"End":true}}}' '{}' ELAPSED:2
c Timestamp '{"StartAt":"A","States":{"A":{"Type":"Wait","Timestamp":"2099-01-01T00:01:00Z","Next":"B"},"B":{"Type":"Pass","Parameters":{"s.$":"$$.Execution.StartTime","t.$":"$$.State.EnteredTime"},"End":true}}}' '{}' TS:2099-01-01T00:01:00.000Z
c SecondsPath '{"StartAt":"A","States":{"A":{"Type":"Wait","SecondsPath":"$.s","Next":"B"},"B":{"Type":"Pass","Parameters":{"s.$":"$$.Execution.StartTime","t.$":"$$.State.EnteredTime"},"End":true}}}' '{"s":3}' ELAPSED:3
c TimestampPath '{"StartAt":"A","States":{"A":{"Type":"Wait","TimestampPath":"$.ts","Next":"B"},"B":{"Type":"Pass","Parameters":{"s.$":"$$.Execution.StartTime","t.$":"$$.State.EnteredTime"},"End":true}}}' '{"ts":"2099-01-01T00:00:09Z"}' TS:2099-01-01T00:00:09.000Z
c Error '{"StartAt":"A","States":{"A":{"Type":"Fail","Error":"E1"}}}' '{}' '{"status":"FAILED","error":"E1"}'
c Cause '{"StartAt":"A","States":{"A":{"Type":"Fail","Cause":"why"}}}' '{}' '{"status":"FAILED","cause":"why"}'
c ErrorPath '{"StartAt":"A","States":{"A":{"Type":"Fail","ErrorPath":"$.e"}}}' '{"e":"E2"}' '{"status":"FAILED","error":"E2"}'
c CausePath '{"StartAt":"A","States":{"A":{"Type":"Fail","CausePath":"$.c"}}}' '{"c":"because"}' '{"status":"FAILED","cause":"because"}'
c Branches '{"StartAt":"A","States":{"A":{"Type":"Parallel","Branches":[{"StartAt":"B","States":{"B":{"Type":"Pass","Result":1,"End":true}}},{"StartAt":"C","States":{"C":{"Type":"Pass","Result":2,"End":true}}}],"End":true}}}' '{}' '{"status":"SUCCEEDED","output":[1,2]}'
c ItemProcessor '{"StartAt":"A","States":{"A":{"Type":"Map","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","Result":0,"End":true}}},"End":true}}}' '[1,2]' '{"status":"SUCCEEDED","output":[0,0]}'
c Iterator '{"StartAt":"A","States":{"A":{"Type":"Map","Iterator":{"StartAt":"P","States":{"P":{"Type":"Pass","Result":0,"End":true}}},"End":true}}}' '[1,2]' '{"status":"SUCCEEDED","output":[0,0]}'
c ItemSelector '{"StartAt":"A","States":{"A":{"Type":"Map","ItemSelector":{"i.$":"$$.Map.Item.Index"},'"$P1"',"End":true}}}' '["a","b"]' '{"status":"SUCCEEDED","output":[{"i":0},{"i":1}]}'
c ItemReader '{"StartAt":"A","States":{"A":{"Type":"Map","ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},"Parameters":{"Bucket":"b","Key":"k.json"}},'"$P1"',"End":true}}}' '{}' '{"status":"SUCCEEDED","output":[7,8]}'
c ItemBatcher '{"StartAt":"A","States":{"A":{"Type":"Map","ItemBatcher":{"MaxItemsPerBatch":2},'"$P1"',"End":true}}}' '[1,2,3]' '{"status":"SUCCEEDED","output":[{"Items":[1,2]},{"Items":[3]}]}'
c ResultWriter '{"StartAt":"A","States":{"A":{"Type":"Map","ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"b","Prefix":"p"}},'"$PD"',"End":true}}}' '[1]' '{"status":"SUCCEEDED","output":{"MapRunArn":"arn:aws:states:us-east-1:000000000000:mapRun:StateMachine/2df07178-668a-5603-8215-768456dd4632:a90f7676-5656-5d19-b603-1c16e5c28fca","ResultWriterDetails":{"Bucket":"b","Key":"p/a90f7676-5656-5d19-b603-1c16e5c28fca/manifest.json"}}}'
c MaxConcurrency '{"StartAt":"A","States":{"A":{"Type":"Map","MaxConcurrency":1,"ItemProcessor":{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"End":true}}},"Next":"B"},"B":{"Type":"Pass","Parameters":{"s.$":"$$.Execution.StartTime","t.$":"$$.State.EnteredTime"},"End":true}}}' '[1,2,3]' ELAPSED:30
c ToleratedFailureCount '{"StartAt":"A","States":{"A":{"Type":"Map","ToleratedFailureCount":1,"ItemProcessor":{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"X"}}},"End":true}}}' '[1]' '{"status":"SUCCEEDED","output":[{"Error":"X"}]}'
c ToleratedFailurePercentage '{"StartAt":"A","States":{"A":{"Type":"Map","ToleratedFailurePercentage":100,"ItemProcessor":{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"X"}}},"End":true}}}' '[1]' '{"status":"SUCCEEDED","output":[{"Error":"X"}]}'
c Label '{"StartAt":"A","States":{"A":{"Type":"Map","Label":"run",'"$P1"',"End":true}}}' '[1]' meta
c ItemsPath '{"StartAt":"A","States":{"A":{"Type":"Map","ItemsPath":"$.xs",'"$P1"',"End":true}}}' '{"xs":[4]}' '{"status":"SUCCEEDED","output":[4]}'
c MaxConcurrencyPath '{"StartAt":"A","States":{"A":{"Type":"Map","MaxConcurrencyPath":"$.m","ItemsPath":"$.xs","ItemProcessor":{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"End":true}}},"Next":"B"},"B":{"Type":"Pass","Parameters":{"s.$":"$$.Execution.StartTime","t.$":"$$.State.EnteredTime"},"End":true}}}' '{"m":2,"xs":[1,2,3]}' ELAPSED:20
c ToleratedFailureCountPath '{"StartAt":"A","States":{"A":{"Type":"Map","ToleratedFailureCountPath":"$.c","ItemsPath":"$.xs","ItemProcessor":{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"X"}}},"End":true}}}' '{"c":0,"xs":[1]}' '{"status":"FAILED","error":"States.ExceedToleratedFailureThreshold","cause":"The specified tolerance threshold was exceeded"}'
c ToleratedFailurePercentagePath '{"StartAt":"A","States":{"A":{"Type":"Map","ToleratedFailurePercentagePath":"$.p","ItemsPath":"$.xs","ItemProcessor":{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"X"}}},"End":true}}}' '{"p":100,"xs":[1]}' '{"status":"SUCCEEDED","output":[{"Error":"X"}]}'
c Items '{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Map","Items":"{% [1, 2] %}",'"$P1"',"End":true}}}' '{}' '{"status":"SUCCEEDED","output":[1,2]}'

mkdir -p "$T/s3/b"
printf '[7,8]' >"$T/s3/b/k.json"
printf '{"A":{"result":{"ok":1},"delaySeconds":60}}\n' >"$T/slow.json"
printf '{"A":{"result":{"ok":1},"delaySeconds":3}}\n' >"$T/fast.json"

fields=$(awk '/^static const struct fdef fdefs\[\] = {/,/^};/' "$ROOT/validator/lint_state.c" |
    grep -o '{ "[A-Za-z]*"' | sed 's/{ "//; s/"//')
[ -n "$fields" ] || { echo "no fields found in validator/lint_state.c" >&2; exit 1; }
for f in $fields; do
	t "field $f"
	if [ -z "${CASES[$f]+x}" ]; then
		bad "the validator knows \"$f\" but this test has no case for it"
		continue
	fi
	IFS=$'\t' read -r def input want <<<"${CASES[$f]}"
	grep -qF "\"$f\"" <<<"$def" || bad "the case for $f does not use it"
	mkjson def.json "$def"
	args=(exec "$T/def.json" --input "$input" --s3-dir "$T/s3")
	case $want in
	refused)
		run "${args[@]}"
		if [ "$RC" = 2 ] && grep -qF "/$f" "$T/err"; then ok; else
			bad "not refused naming $f: $(cat "$T/err")"
		fi
		;;
	meta)	# metadata for AWS only: the run is the same without it
		run "${args[@]}" --handler 'A=cat'
		a=$OUT
		python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d["States"]["A"]; s.pop(sys.argv[2]); json.dump(d,open(sys.argv[1],"w"))' "$T/def.json" "$f"
		run "${args[@]}" --handler 'A=cat'
		if [ "$RC" = 0 ] && [ "$a" = "$OUT" ]; then ok; else bad "with and without $f differ: $a / $OUT"; fi
		;;
	HANDLER)
		run "${args[@]}" --handler 'A=cat'
		expect_status SUCCEEDED
		expect_json output "$input"
		;;
	MOCKSLOW|MOCKSLOWHB)
		run "${args[@]}" --mocks "$T/slow.json"
		expect_status FAILED
		if [ "$want" = MOCKSLOW ]; then expect_json error '"States.Timeout"'; else
			expect_json error '"States.HeartbeatTimeout"'; fi
		run "${args[@]}" --mocks "$T/fast.json"
		expect_status SUCCEEDED
		;;
	ELAPSED:*|TS:*)
		run "${args[@]}"
		if python3 -c '
import json, sys, datetime
r = json.loads(sys.argv[1]); w = sys.argv[2]
o = r["output"]
p = lambda t: datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ")
if w.startswith("ELAPSED:"):
    ok = (p(o["t"]) - p(o["s"])).total_seconds() == float(w[8:])
else:
    ok = o["t"] == w[3:]
sys.exit(0 if r["status"] == "SUCCEEDED" and ok else 1)' "$OUT" "$want"; then ok; else bad "got $OUT, want $want"; fi
		;;
	*)
		run "${args[@]}" --name fields
		STDIN=/dev/null
		if [ "$OUT" = "$want" ]; then ok; else bad "got $OUT, want $want"; fi
		;;
	esac
done

finish
