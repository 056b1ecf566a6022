#!/usr/bin/env bash
# tests/cli/test_usage.sh: stepdeploy's bad-usage and bad-definition paths.
# Every one exits 2, prints nothing on stdout and says why on stderr; a
# definition that does not parse names the place, in AWS's form
# (/States/A/Next).
#
#   STEPDEPLOY=build/asan/stepdeploy bash tests/cli/test_usage.sh
set -euo pipefail

. "$(dirname "$0")/lib.sh"
# ---------------------------------------------------------------- tests
PASS='{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}'
mkjson pass.json "$PASS"
mkjson task.json '{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:000000000000:function:w","End":true}}}'
mkjson notjson.txt '{"StartAt": "A",'
mkjson array.json '[1, 2]'
P=$T/pass.json

# ---------------------------------------------------------------- command line
t "no arguments"
run
expect_usage

t "unknown command"
run frobnicate "$P"
expect_usage frobnicate

t "exec without a definition"
run exec
expect_usage

t "two definitions"
run exec "$P" "$P"
expect_usage

t "unknown flag"
run exec "$P" --bogus
expect_usage --bogus

t "--input without its value"
run exec "$P" --input
expect_usage --input

t "--input that is not JSON"
run exec "$P" --input '{"a":'
expect_usage

t "--input with trailing garbage"
run exec "$P" --input '{"a":1} x'
expect_usage

t "--input @FILE that does not exist"
run exec "$P" --input "@$T/nope.json"
expect_usage nope.json

t "--input @FILE that is not JSON"
run exec "$P" --input "@$T/notjson.txt"
expect_usage

t "--input @ with no file name"
run exec "$P" --input @
expect_usage

t "--mocks without its value"
run exec "$P" --mocks
expect_usage --mocks

t "--mocks FILE that does not exist"
run exec "$P" --mocks "$T/nope.json"
expect_usage nope.json

t "--mocks FILE that is not JSON"
run exec "$P" --mocks "$T/notjson.txt"
expect_usage

t "--mocks FILE that is not an object"
run exec "$P" --mocks "$T/array.json"
expect_usage

mkjson mock-number.json '{"Work": 5}'
t "a mock that is a number, not a list or object"
run exec "$T/task.json" --mocks "$T/mock-number.json"
expect_usage Work

mkjson mock-unknown.json '{"Work": [{"result": 1}, {"bogus": 2}]}'
t "a mock response with neither result nor error"
run exec "$T/task.json" --mocks "$T/mock-unknown.json"
expect_usage Work

mkjson mock-errtype.json '{"Work": {"error": 5}}'
t "a mock whose error is not a string"
run exec "$T/task.json" --mocks "$T/mock-errtype.json"
expect_usage Work

t "--handler without its value"
run exec "$P" --handler
expect_usage --handler

t "--handler without STATE="
run exec "$P" --handler cat
expect_usage

t "--handler with an empty state name"
run exec "$P" --handler =cat
expect_usage

t "exec --help"
run exec --help
if [ "$RC" = 0 ]; then ok; else bad "exit status $RC, want 0"; fi
if grep -q "usage" "$T/out" "$T/err"; then ok; else bad "no usage text"; fi

# ---------------------------------------------------------------- definitions
t "definition file that does not exist"
run exec "$T/missing.json"
expect_usage missing.json

t "definition that is a directory"
run exec "$T"
expect_usage

t "definition that is not JSON"
run exec "$T/notjson.txt"
expect_usage

t "definition that is an array"
run exec "$T/array.json"
expect_usage

t "empty definition file"
: >"$T/empty.json"
run exec "$T/empty.json"
expect_usage

# bad_def NAME LOCATION DEFINITION: exit 2 with LOCATION on stderr.
bad_def() {
	t "$1"
	mkjson bad.json "$3"
	run exec "$T/bad.json"
	expect_usage "$2"
}

bad_def "Next names no state" /States/A/Next \
    '{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nope"}}}'
bad_def "StartAt names no state" /StartAt \
    '{"StartAt":"Nope","States":{"A":{"Type":"Pass","End":true}}}'
bad_def "no StartAt" StartAt \
    '{"States":{"A":{"Type":"Pass","End":true}}}'
bad_def "no States" States \
    '{"StartAt":"A"}'
bad_def "unknown state Type" /States/A \
    '{"StartAt":"A","States":{"A":{"Type":"Teleport","End":true}}}'
bad_def "state without Type" /States/A \
    '{"StartAt":"A","States":{"A":{"End":true}}}'
bad_def "both Next and End" /States/A \
    '{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B","End":true},"B":{"Type":"Succeed"}}}'
bad_def "neither Next nor End" /States/A \
    '{"StartAt":"A","States":{"A":{"Type":"Pass"}}}'
bad_def "Task without Resource" /States/W \
    '{"StartAt":"W","States":{"W":{"Type":"Task","End":true}}}'
bad_def "Choice rule Next names no state" "/States/C/Choices[0]/Next" \
    '{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","IsPresent":true,"Next":"Nope"}],"Default":"D"},"D":{"Type":"Succeed"}}}'
bad_def "Choice Default names no state" /States/C/Default \
    '{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","IsPresent":true,"Next":"D"}],"Default":"Nope"},"D":{"Type":"Succeed"}}}'
bad_def "Catch Next names no state" "/States/W/Catch[0]/Next" \
    '{"StartAt":"W","States":{"W":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:000000000000:function:w","Catch":[{"ErrorEquals":["States.ALL"],"Next":"Nope"}],"End":true}}}'
bad_def "Wait without a duration" /States/A \
    '{"StartAt":"A","States":{"A":{"Type":"Wait","End":true}}}'
bad_def "InputPath that is not a path" /States/A/InputPath \
    '{"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"not a path","End":true}}}'
bad_def "Next names no state inside a Parallel branch" "/States/P/Branches[0]/States/X/Next" \
    '{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"X","States":{"X":{"Type":"Pass","Next":"Nope"}}}],"End":true}}}'
bad_def "Next names no state inside a Map processor" /States/M/ItemProcessor/States/X/Next \
    '{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"X","States":{"X":{"Type":"Pass","Next":"Nope"}}},"End":true}}}'
bad_def "Next to a state of the outer machine from a branch" "/States/P/Branches[0]/States/X/Next" \
    '{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"X","States":{"X":{"Type":"Pass","Next":"Out"}}}],"Next":"Out"},"Out":{"Type":"Succeed"}}}'

t "unknown intrinsic function"
mkjson bad.json '{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"States.Nope($.a)"},"End":true}}}'
run exec "$T/bad.json"
expect_usage /States/A

# ---------------------------------------------------------------- exit codes
t "exit 0 for SUCCEEDED"
run exec "$P"
expect_status SUCCEEDED

t "exit 1 for FAILED"
mkjson fail.json '{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E"}}}'
run exec "$T/fail.json"
expect_status FAILED

t "exit 1 for TIMED_OUT"
mkjson timeout.json '{"TimeoutSeconds":1,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"End":true}}}'
run exec "$T/timeout.json"
expect_status TIMED_OUT

# ---------------------------------------------------------------- the uploader's commands
# Each has --help, refuses an unknown option and missing arguments with
# exit 2 and one line naming the command, and reaches no AWS (no policy
# or signer is needed to say so).
for cmd in deploy plan bootstrap freeze unfreeze unlock rollback recover halt; do
	t "$cmd --help"
	run "$cmd" --help
	if [ "$RC" = 0 ]; then ok; else bad "exit status $RC, want 0"; fi
	case $OUT in usage:*"stepdeploy $cmd"*) ok ;; *) bad "no usage line naming $cmd" ;; esac
	t "$cmd --no-such-option"
	run "$cmd" --no-such-option
	expect_usage
	t "$cmd with nothing"
	run "$cmd"
	expect_usage "stepdeploy $cmd"
	t "listed in stepdeploy --help: $cmd"
	run --help
	case $OUT in *"  $cmd "*) ok ;; *) bad "$cmd not listed" ;; esac
done

t "unlock without --force is refused before anything"
run unlock acme/hello production --reason x --policy /nonexistent --signer /nonexistent
expect_usage --force
t "halt: a release id, not a path"
run halt ../x
expect_usage "not a release id"

finish
