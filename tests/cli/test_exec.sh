#!/usr/bin/env bash
# tests/cli/test_exec.sh: `stepdeploy exec` on machines without Tasks:
# inputs (default, inline, @FILE, non-object), outputs of every state type,
# Fail's error and cause, --path, --history, the virtual clock, --real-time
# and the machine's TimeoutSeconds.
#
#   STEPDEPLOY=build/asan/stepdeploy bash tests/cli/test_exec.sh
set -euo pipefail

# ---------------------------------------------------------------- helpers
# (the same block heads every tests/cli/test_*.sh)
#
# run ARGS...          run $STEPDEPLOY (stdin: $STDIN, default /dev/null);
#                      sets OUT, ERR, RC and MS (wall ms)
# t NAME               name the case the next checks belong to
# expect_status S      exit code matches S (0 SUCCEEDED, else 1) and stdout
#                      is one JSON object whose "status" is S
# expect_json K V      top-level key K equals the JSON value V (written
#                      compact, in the engine's key order, for the grep
#                      fallback used when python3 is missing)
# expect_absent K      top-level key K is left out
# expect_has K SUB     string K contains SUB
# expect_names STATE   the error or the cause names STATE
# expect_types "T..."  history event types are exactly these
# expect_types_has "T..."  these history event types occur, in this order
# expect_usage [SUB]   exit 2, nothing on stdout, a message on stderr (with SUB)
# expect_faster MS     the run took less than MS milliseconds
# expect_py DESC EXPR  a python3 check (r = stdout's JSON); skipped without python3
: "${STEPDEPLOY:?set STEPDEPLOY to the stepdeploy binary to test}"
case $STEPDEPLOY in /*) ;; *) STEPDEPLOY=$PWD/$STEPDEPLOY ;; esac
if [ ! -x "$STEPDEPLOY" ]; then
	echo "$0: STEPDEPLOY=$STEPDEPLOY is not an executable" >&2
	exit 1
fi
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DEFS=$ROOT/tests/data/definitions
T=$(mktemp -d "${TMPDIR:-/tmp}/stepdeploy-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT
PY=python3
if [ -n "${CLI_TEST_NO_PYTHON:-}" ] || ! command -v python3 >/dev/null 2>&1; then
	PY=
fi
TIMEOUT=
if command -v timeout >/dev/null 2>&1; then
	TIMEOUT="timeout ${CLI_TEST_TIMEOUT:-60}"
fi
PASSED=0 FAILED=0 SKIPPED=0 CASE=- CMD= OUT= ERR= RC=0 MS=0

now_ms() { echo $(($(date +%s%N) / 1000000)); }
t() { CASE=$1; }
ok() { PASSED=$((PASSED + 1)); }
bad() {
	FAILED=$((FAILED + 1))
	printf 'FAIL [%s] %s\n    $ %s\n    exit %s; stdout: %.800s\n    stderr: %.800s\n' \
	    "$CASE" "$1" "$CMD" "$RC" "$OUT" "$ERR"
}
# mkjson FILE TEXT: write TEXT to $T/FILE.
mkjson() { printf '%s\n' "$2" >"$T/$1"; }

run() {
	local start
	CMD="stepdeploy $*"
	RC=0
	start=$(now_ms)
	$TIMEOUT "$STEPDEPLOY" "$@" >"$T/out" 2>"$T/err" <"${STDIN:-/dev/null}" || RC=$?
	MS=$(($(now_ms) - start))
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
	if grep -qE 'Sanitizer|runtime error:' "$T/err"; then
		bad "sanitizer report on stderr"
	fi
	if [ -n "$TIMEOUT" ] && [ "$RC" -eq 124 ]; then
		bad "still running after ${CLI_TEST_TIMEOUT:-60} s (killed)"
	fi
	return 0
}

PYLIB='
import json, sys
def eq(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(eq(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(eq(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b
def subseq(want, have):
    it = iter(have)
    return all(any(w == h for h in it) for w in want)
try:
    with open(sys.argv[1]) as f:
        r = json.load(f)
except ValueError:
    sys.exit(3)
args = sys.argv[3:]
hist = r.get("history") if isinstance(r, dict) else None
types = [e.get("type") if isinstance(e, dict) else None for e in hist] \
    if isinstance(hist, list) else None
try:
    good = eval(sys.argv[2])
except Exception:
    good = False
sys.exit(0 if good else 1)
'
pyq() { python3 -c "$PYLIB" "$T/out" "$@"; }
# The compact output without its history (the grep fallbacks look there).
top() {
	case $OUT in
	*',"history":'*) printf '%s}\n' "${OUT%%,\"history\":*}" ;;
	*) printf '%s\n' "$OUT" ;;
	esac
}
# The history's event types, one line each, from the compact output.
grep_types() { grep -o '"type":"[A-Za-z]*"' "$T/out" | sed 's/"type":"//; s/"$//'; }

expect_status() {
	local want=1 good=0
	[ "$1" = SUCCEEDED ] && want=0
	if [ "$RC" = "$want" ]; then ok; else bad "exit status $RC, want $want for $1"; fi
	if [ -n "$PY" ]; then
		pyq 'isinstance(r, dict) and r.get("status") == args[0]' "$1" && good=1
	else
		case $OUT in "{\"status\":\"$1\""*"}") good=1 ;; esac
	fi
	if [ "$good" = 1 ]; then ok; else bad "stdout is not one JSON object with status $1"; fi
}
expect_json() {
	local good=0
	if [ -n "$PY" ]; then
		pyq 'isinstance(r, dict) and args[0] in r and eq(r[args[0]], json.loads(args[1]))' \
		    "$1" "$2" && good=1
	else
		top | grep -qF -e "\"$1\":$2," -e "\"$1\":$2}" && good=1
	fi
	if [ "$good" = 1 ]; then ok; else bad "$1 is not $2"; fi
}
expect_absent() {
	local good=0
	if [ -n "$PY" ]; then
		pyq 'isinstance(r, dict) and args[0] not in r' "$1" && good=1
	else
		top | grep -qF "\"$1\":" || good=1
	fi
	if [ "$good" = 1 ]; then ok; else bad "$1 should be left out"; fi
}
expect_has() {
	local good=0
	if [ -n "$PY" ]; then
		pyq 'isinstance(r, dict) and isinstance(r.get(args[0]), str) and args[1] in r[args[0]]' \
		    "$1" "$2" && good=1
	else
		top | grep -qF -- "$2" && good=1
	fi
	if [ "$good" = 1 ]; then ok; else bad "$1 does not contain \"$2\""; fi
}
expect_names() {
	local good=0
	if [ -n "$PY" ]; then
		pyq 'isinstance(r, dict) and args[0] in "%s %s" % (r.get("error") or "", r.get("cause") or "")' \
		    "$1" && good=1
	else
		top | grep -qF -- "$1" && good=1
	fi
	if [ "$good" = 1 ]; then ok; else bad "neither error nor cause names \"$1\""; fi
}
expect_types() {
	local good=0
	if [ -n "$PY" ]; then
		pyq 'types == args[0].split()' "$1" && good=1
	else
		[ "$(grep_types | tr '\n' ' ')" = "$1 " ] && good=1
	fi
	if [ "$good" = 1 ]; then ok; else bad "history types are not: $1"; fi
}
expect_types_has() {
	local good=0 want have
	if [ -n "$PY" ]; then
		pyq 'types is not None and subseq(args[0].split(), types)' "$1" && good=1
	else
		have=$(grep_types | tr '\n' ' ')
		good=1
		for want in $1; do
			case " $have" in
			*" $want "*) have=${have#*"$want "} ;;
			*) good=0 ;;
			esac
		done
	fi
	if [ "$good" = 1 ]; then ok; else bad "history lacks, in order: $1"; fi
}
expect_usage() {
	if [ "$RC" = 2 ]; then ok; else bad "exit status $RC, want 2"; fi
	if [ -z "$OUT" ]; then ok; else bad "stdout should be empty"; fi
	if [ -n "$ERR" ]; then ok; else bad "no message on stderr"; fi
	if [ $# -gt 0 ]; then
		if grep -qF -- "$1" "$T/err"; then ok; else bad "stderr does not mention \"$1\""; fi
	fi
}
expect_faster() {
	if [ "$MS" -lt "$1" ]; then ok; else bad "took $MS ms, want < $1 ms"; fi
}
expect_py() {
	if [ -z "$PY" ]; then
		SKIPPED=$((SKIPPED + 1))
		return 0
	fi
	if pyq "$2" "${@:3}"; then ok; else bad "$1"; fi
}
finish() {
	if [ "$SKIPPED" -gt 0 ]; then
		echo "($SKIPPED checks skipped: they need python3)" >&2
	fi
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}
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
