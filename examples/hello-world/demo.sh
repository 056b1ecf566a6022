#!/usr/bin/env bash
# The hello-world example: a state machine and its Lambda built together
# with libstep into one program (build/hello-world), run locally by
# `stepdeploy exec` with that program answering the Task.
#
#   bash examples/hello-world/demo.sh [BUILD_DIR]     (make demo does this)
#
# With Graphviz installed it also draws the machine and the run's path
# (stepdeploy dot --path | dot -Tsvg) as BUILD_DIR/demo/hello-world.svg.
#
# Exits 0 when the execution succeeded and its output's Greeting is
# "Hello World", non-zero otherwise.
set -euo pipefail

cd "$(dirname "$0")/../.."
BUILD=${1:-build}
EX=examples/hello-world
STEPDEPLOY=$BUILD/stepdeploy
HANDLER=$BUILD/hello-world

section() { printf '\n== %s\n' "$*"; }
fail() { printf '\ndemo: FAILED: %s\n' "$*" >&2; exit 1; }

for f in "$STEPDEPLOY" "$HANDLER"; do
	[ -x "$f" ] || fail "$f is missing: build it first with 'make all'"
done

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
MACHINE=$TMP/machine.json

section "What this is"
cat <<EOF
examples/hello-world is one C program built with libstep: it holds a state
machine whose one state, "Hello", is a TaskFn (a Task run by the program's
own Lambda), and the C function that answers it. Run with no arguments it
is the Lambda; 'json' prints the machine as AWS must receive it; 'exec'
runs it locally; 'handle' answers one Task payload on stdin. Here it runs
locally; deploy_demo.sh (next in 'make demo') deploys it.
EOF

section "The state machine, as AWS will get it"
printf '$ %s json\n' "$HANDLER"
"$HANDLER" json >"$MACHINE"
cat "$MACHINE"

section "The program runs its own machine"
printf '$ %s exec %s\n' "$HANDLER" "'$(tr -d '\n' <"$EX/input.json")'"
"$HANDLER" exec "$(cat "$EX/input.json")"

# draw_svg: the machine and the states this run took, as
# $BUILD/demo/hello-world.svg (stepdeploy dot | dot -Tsvg).
draw_svg() {
	local dir=$BUILD/demo svg=$BUILD/demo/hello-world.svg
	section "The machine and this run's path, drawn"
	if ! command -v dot >/dev/null 2>&1; then
		echo "(skipped: Graphviz 'dot' is not installed; 'make deps' installs it)"
		return 0
	fi
	mkdir -p "$dir"
	printf '%s\n' "$result" >"$TMP/run.json"
	printf '$ %s dot %s --path run.json | dot -Tsvg -o %s\n' "$STEPDEPLOY" \
	    "$MACHINE" "$svg"
	"$STEPDEPLOY" dot "$MACHINE" --path "$TMP/run.json" >"$TMP/machine.dot" ||
	    fail "stepdeploy dot failed"
	dot -Tsvg -o "$svg" "$TMP/machine.dot" || fail "dot -Tsvg failed"
	echo "wrote $svg"
}

cmd=("$STEPDEPLOY" exec "$MACHINE" --input "@$EX/input.json"
	--handler "Hello=$HANDLER handle" --path --history)
section "stepdeploy runs the machine, the program answers the Task"
printf '$'; printf ' %q' "${cmd[@]}"; echo
rc=0
result=$("${cmd[@]}") || rc=$?
echo "(exit status $rc: 0 succeeded, 1 failed or timed out, 2 bad usage)"
[ -n "$result" ] || fail "stepdeploy printed nothing"

if ! command -v python3 >/dev/null 2>&1; then
	section "Result"
	printf '%s\n' "$result"
	case $result in
	*'"status":"SUCCEEDED"'*'"Greeting":"Hello World"'*) ;;
	*) fail "expected status SUCCEEDED and Greeting \"Hello World\"" ;;
	esac
	[ "$rc" -eq 0 ] || fail "stepdeploy exited $rc"
	draw_svg
	section "OK: the machine greeted the world"
	exit 0
fi

# One python3 pass prints the sections and checks the output.
RESULT=$result python3 - "$rc" <<'EOF'
import json, os, sys

rc = int(sys.argv[1])
try:
    res = json.loads(os.environ["RESULT"])
except ValueError as e:
    sys.exit("\ndemo: FAILED: stepdeploy's output is not JSON (%s):\n%s"
             % (e, os.environ["RESULT"]))

def section(title):
    print("\n== " + title)

section("Status")
print(res.get("status"))
if res.get("status") != "SUCCEEDED":
    print("error: %s\ncause: %s" % (res.get("error"), res.get("cause")))

section("Output")
print(json.dumps(res.get("output"), indent=2))

section("Path (the states entered, in order)")
print(" -> ".join(res.get("path", [])) or "(none)")

section("History (the events AWS Step Functions would record)")
for i, ev in enumerate(res.get("history", []), 1):
    print("%3d  %s" % (i, ev.get("type", "?") if isinstance(ev, dict) else ev))

problems = []
if rc != 0:
    problems.append("stepdeploy exited %d" % rc)
if res.get("status") != "SUCCEEDED":
    problems.append("status is %r, not SUCCEEDED" % res.get("status"))
out = res.get("output")
if not isinstance(out, dict) or out.get("Greeting") != "Hello World":
    problems.append('output.Greeting is not "Hello World"')
if problems:
    sys.exit("\ndemo: FAILED: " + "; ".join(problems))
section('OK: output.Greeting == "Hello World"')
EOF
draw_svg
