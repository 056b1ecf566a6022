#!/usr/bin/env bash
# tests/cli/test_dot.sh: `stepdeploy dot DEFINITION [--path FILE]`: the
# exact DOT of a small machine (tests/data/dot/small.dot), every state
# type, Choice labels (JSONPath and JSONata), Catch and Retry edges, nested
# Parallel/Map clusters with shared state names, awkward names, --path
# highlighting of an exec run (rendered with `dot -Tsvg` when Graphviz is
# installed) and bad input.
#
#   STEPDEPLOY=build/asan/stepdeploy bash tests/cli/test_dot.sh
set -euo pipefail

. "$(dirname "$0")/lib.sh"
DATA=$ROOT/tests/data/dot
HAVE_DOT=1
if ! command -v dot >/dev/null 2>&1; then
	HAVE_DOT=
	echo "note: Graphviz 'dot' is missing: the render checks are skipped" >&2
fi

# expect_line LINE: stdout holds exactly this line.
expect_line() {
	if grep -qxF -- "$1" "$T/out"; then ok; else bad "no line: $1"; fi
}
expect_no_line() {
	if grep -qxF -- "$1" "$T/out"; then bad "unexpected line: $1"; else ok; fi
}
# expect_ok: exit 0, nothing on stderr, a digraph on stdout.
expect_ok() {
	if [ "$RC" = 0 ]; then ok; else bad "exit status $RC, want 0"; fi
	if [ -z "$ERR" ]; then ok; else bad "stderr should be empty"; fi
	case $OUT in 'digraph "state machine" {'*'}') ok ;; *) bad "not a digraph" ;; esac
}
# expect_render NAME: stdout renders with dot -Tsvg into $T/NAME.svg.
expect_render() {
	[ -n "$HAVE_DOT" ] || return 0
	if dot -Tsvg "$T/out" >"$T/$1.svg" 2>"$T/dot.err" && [ ! -s "$T/dot.err" ] &&
	    grep -q '<svg' "$T/$1.svg"; then
		ok
	else
		bad "dot -Tsvg failed: $(cat "$T/dot.err")"
	fi
}
# expect_svg_title NAME ID: the SVG holds a node titled ID (XML-escaped).
expect_svg_title() {
	[ -n "$HAVE_DOT" ] || return 0
	if grep -qF -- "<title>$2</title>" "$T/$1.svg"; then ok; else bad "no SVG title $2"; fi
}
# hot_nodes: the ids of the highlighted nodes (penwidth=3), sorted.
hot_nodes() {
	grep -E '^	"[^"]*" \[label=.*penwidth=3' "$T/out" | sed 's/^	"\([^"]*\)".*/\1/' | sort
}
# expect_hot "ID..." : exactly these nodes are highlighted.
expect_hot() {
	local want got
	want=$(printf '%s\n' $1 | sort)
	got=$(hot_nodes)
	if [ "$got" = "$want" ]; then ok; else bad "highlighted: $(echo $got), want: $(echo $want)"; fi
}

# ---------------------------------------------------------------- golden
t "a small machine: exactly the golden DOT"
run dot "$DATA/small.json"
expect_ok
if diff -u "$DATA/small.dot" "$T/out" >"$T/diff"; then ok; else bad "differs from small.dot: $(cat "$T/diff")"; fi
expect_render small

t "every state type has its own shape and fill"
expect_line '	"Fetch" [label="Fetch\nTask", shape=box, style="rounded,filled", fillcolor="#dae8fc"];'
expect_line '	"Decide" [label="Decide\nChoice", shape=diamond, style=filled, fillcolor="#fff2cc"];'
expect_line '	"Pause" [label="Pause\nWait", shape=octagon, style=filled, fillcolor="#e1d5e7"];'
expect_line '	"Shape" [label="Shape\nPass", shape=box, style=filled, fillcolor="#eeeeee"];'
expect_line '	"Done" [label="Done\nSucceed", shape=oval, style=filled, fillcolor="#d5e8d4"];'
expect_line '	"Broken" [label="Broken\nFail", shape=oval, style=filled, peripheries=2, fillcolor="#f8cecc"];'

t "start and end markers"
expect_line '	"^start" -> "Fetch";'
expect_line '	"Done" -> "^end";'
expect_line '	"Broken" -> "^end";'

t "Choice rules and Default as labelled edges"
expect_line '	"Decide" -> "Pause" [label="$.x NumericGreaterThan 10"];'
expect_line '	"Decide" -> "Done" [label="$.name StringEquals \"bob\""];'
expect_line '	"Decide" -> "Shape" [label="$.a IsPresent true And Not ($.b BooleanEqualsPath $.c)"];'
expect_line '	"Decide" -> "Broken" [label="Default"];'

t "Catch dashed with the error names, Retry a dotted self-loop with MaxAttempts"
expect_line '	"Fetch" -> "Broken" [label="States.ALL", style=dashed, color="#b85450", fontcolor="#b85450"];'
expect_line '	"Fetch" -> "Fetch" [label="Retry States.Timeout, Lambda.ServiceException ×5", style=dotted, color="#6c8ebf", fontcolor="#6c8ebf"];'
expect_line '	"Fetch" -> "Fetch" [label="Retry States.ALL ×3", style=dotted, color="#6c8ebf", fontcolor="#6c8ebf"];'

t "DEFINITION - reads stdin"
STDIN=$DATA/small.json run dot -
expect_ok
if diff -u "$DATA/small.dot" "$T/out" >"$T/diff"; then ok; else bad "differs from small.dot"; fi

# ---------------------------------------------------------------- nesting
t "Parallel and Map (ItemProcessor and legacy Iterator) as nested clusters"
run dot "$DATA/nested.json"
expect_ok
expect_render nested
expect_line '	subgraph "cluster_Outer/0/" {'
expect_line '	subgraph "cluster_Outer/0/Each/items/" {'
expect_line '	subgraph "cluster_Outer/0/Each/items/Inner/0/" {'
expect_line '	subgraph "cluster_Outer/1/" {'
expect_line '	subgraph "cluster_Outer/1/Work/items/" {'
expect_line '	label="Outer: branch 2";'
expect_line '	label="Each: items";'
expect_line '	"Outer" [label="Outer\nParallel", shape=box, style=filled, peripheries=2, fillcolor="#ffe6cc"];'
expect_line '	"Outer/1/Work" [label="Work\nMap", shape=box3d, style=filled, fillcolor="#d0e0e3"];'

t "each cluster has its own start and end; the parent points at the start"
expect_line '	"Outer/0/Each/items/Inner/0/^start" -> "Outer/0/Each/items/Inner/0/Work";'
expect_line '	"Outer/0/Each/items/Inner/0/Work" -> "Outer/0/Each/items/Inner/0/^end";'
expect_line '	"Outer/0/Each/items/Inner" -> "Outer/0/Each/items/Inner/0/^start" [style=bold, color="#888888", arrowhead=none];'
expect_line '	"Outer" -> "Outer/1/^start" [style=bold, color="#888888", arrowhead=none];'

t "the same name in different scopes: distinct node ids"
n=$(grep -cE '^	"[^"]*" \[label="Work\\n' "$T/out" || true)
if [ "$n" = 4 ]; then ok; else bad "$n nodes labelled Work, want 4"; fi
n=$(grep -E '^	"[^"]*" \[label=' "$T/out" | sed 's/^	"\([^"]*\)".*/\1/' | sort | uniq -d | wc -l)
if [ "$n" = 0 ]; then ok; else bad "duplicate node ids"; fi
expect_svg_title nested 'Outer/0/Each/items/Inner/0/Work'
expect_svg_title nested 'Outer/1/Work/items/Work'

t "a JSONata Condition: the expression, cut with an ellipsis"
expect_line '	"Check" -> "Done" [label="$states.input.items[0] > 1 and $count($states.input.items) <…"];'

# ---------------------------------------------------------------- names
t "awkward names: quotes, backslash, newline, tab, unicode, / % ^ < &"
mkjson awk.json '{"StartAt":"say \"hi\"","States":{
 "say \"hi\"":{"Type":"Pass","Next":"back\\slash"},
 "back\\slash":{"Type":"Pass","Next":"two\nlines"},
 "two\nlines":{"Type":"Pass","Next":"héllo ☃ 日本"},
 "héllo ☃ 日本":{"Type":"Pass","Next":"a/b%c^d"},
 "a/b%c^d":{"Type":"Pass","Next":"^start"},
 "^start":{"Type":"Pass","Next":"%x"},
 "%x":{"Type":"Pass","Next":"tab\there"},
 "tab\there":{"Type":"Pass","Next":"<b>&amp;"},
 "<b>&amp;":{"Type":"Pass","End":true}}}'
run dot "$T/awk.json"
expect_ok
expect_line '	"say ^22hi^22" [label="say \"hi\"\nPass", shape=box, style=filled, fillcolor="#eeeeee"];'
expect_line '	"back^5Cslash" [label="back\\slash\nPass", shape=box, style=filled, fillcolor="#eeeeee"];'
expect_line '	"two^0Alines" [label="two\nlines\nPass", shape=box, style=filled, fillcolor="#eeeeee"];'
expect_line '	"héllo ☃ 日本" [label="héllo ☃ 日本\nPass", shape=box, style=filled, fillcolor="#eeeeee"];'
expect_line '	"a^2Fb^25c^5Ed" [label="a/b%c^d\nPass", shape=box, style=filled, fillcolor="#eeeeee"];'
expect_line '	"^5Estart" [label="^start\nPass", shape=box, style=filled, fillcolor="#eeeeee"];'
expect_line '	"^25x" [label="%x\nPass", shape=box, style=filled, fillcolor="#eeeeee"];'
expect_line '	"tab^09here" [label="tab here\nPass", shape=box, style=filled, fillcolor="#eeeeee"];'
expect_line '	"^start" -> "say ^22hi^22";'
expect_line '	"<b>&amp;" -> "^end";'
expect_render awk
expect_svg_title awk 'say ^22hi^22'
expect_svg_title awk '^25x'
expect_svg_title awk '&lt;b&gt;&amp;'  # Graphviz keeps an entity as is
expect_svg_title awk 'héllo ☃ 日本'
if [ -n "$HAVE_DOT" ]; then
	n=$(grep -c '<g id="node' "$T/awk.svg" || true)
	if [ "$n" = 11 ]; then ok; else bad "$n SVG nodes, want 11 (9 states, 2 markers)"; fi
fi

# ---------------------------------------------------------------- --path
t "--path of a succeeded run: the states and edges it took, the last green"
run exec "$DATA/nested.json" --input '{"items":[1,2]}' --path
cp "$T/out" "$T/run-nested.json"
run dot "$DATA/nested.json" --path "$T/run-nested.json"
expect_ok
expect_hot "Outer Outer/0/Work Outer/0/Each Outer/0/Each/items/Inner Outer/0/Each/items/Inner/0/Work Outer/1/Work Outer/1/Work/items/Work Check Done"
expect_line '	"Done" [label="Done\nSucceed", shape=oval, style=filled, fillcolor="#7ccd7c", color="#1f4e79", penwidth=3, fontname="Helvetica-Bold"];'
expect_line '	"Outer" -> "Check" [color="#1f4e79", penwidth=2.5];'
expect_line '	"Outer/0/Work" -> "Outer/0/Each" [color="#1f4e79", penwidth=2.5];'
expect_line '	"Done" -> "^end" [color="#1f4e79", penwidth=2.5];'
expect_line '	"^start" -> "Outer" [color="#1f4e79", penwidth=2.5];'
expect_render nested-path
for id in Outer Outer/0/Each/items/Inner/0/Work Outer/1/Work/items/Work Check Done; do
	expect_svg_title nested-path "$id"
done
if [ -n "$HAVE_DOT" ]; then
	n=$(grep -c 'stroke="#1f4e79" stroke-width="3"' "$T/nested-path.svg" || true)
	if [ "$n" -ge 9 ]; then ok; else bad "$n SVG shapes drawn highlighted, want 9 or more"; fi
fi

t "--path of a failed run: only the states entered, the last red"
mkjson choose.json '{"StartAt":"A","States":{
 "A":{"Type":"Pass","Next":"C"},
 "C":{"Type":"Choice","Choices":[{"Variable":"$.go","BooleanEquals":true,"Next":"Ok"}],"Default":"Bad"},
 "Ok":{"Type":"Succeed"},
 "Bad":{"Type":"Fail","Error":"No","Cause":"no"}}}'
run exec "$T/choose.json" --input '{"go":false}' --path
cp "$T/out" "$T/run-bad.json"
run dot "$T/choose.json" --path "$T/run-bad.json"
expect_ok
expect_hot "A C Bad"
expect_line '	"Bad" [label="Bad\nFail", shape=oval, style=filled, peripheries=2, fillcolor="#ff7f7f", color="#1f4e79", penwidth=3, fontname="Helvetica-Bold"];'
expect_line '	"C" -> "Bad" [label="Default", color="#1f4e79", penwidth=2.5];'
expect_line '	"C" -> "Ok" [label="$.go BooleanEquals true"];'
expect_line '	"Ok" [label="Ok\nSucceed", shape=oval, style=filled, fillcolor="#d5e8d4"];'
expect_line '	"Bad" -> "^end";'
expect_render bad-path
expect_svg_title bad-path Bad

t "--path through a Catch"
mkjson catch.json '{"StartAt":"T","States":{
 "T":{"Type":"Fail","Error":"X"}}}'
mkjson catch2.json '{"StartAt":"P","States":{
 "P":{"Type":"Parallel","Branches":[{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Oops"}}}],
  "Catch":[{"ErrorEquals":["Oops"],"Next":"H"}],"End":true},
 "H":{"Type":"Pass","End":true}}}'
run exec "$T/catch2.json" --path
cp "$T/out" "$T/run-catch.json"
run dot "$T/catch2.json" --path "$T/run-catch.json"
expect_ok
expect_hot "P P/0/F H"
expect_line '	"P" -> "H" [label="Oops", style=dashed, fontcolor="#b85450", color="#1f4e79", penwidth=2.5];'
expect_render catch-path

# ---------------------------------------------------------------- errors
t "--help"
run dot --help
if [ "$RC" = 0 ]; then ok; else bad "exit $RC"; fi
case $OUT in usage:\ stepdeploy\ dot*) ok ;; *) bad "no usage" ;; esac

t "no DEFINITION"
run dot
expect_usage "no DEFINITION"

t "an invalid definition: exit 2 with the engine's error"
mkjson invalid.json '{"StartAt":"Nope","States":{"A":{"Type":"Pass","End":true}}}'
run dot "$T/invalid.json"
expect_usage "invalid definition"

t "malformed JSON"
mkjson broken.json '{"StartAt":'
run dot "$T/broken.json"
expect_usage

t "a --path file that cannot be read"
run dot "$DATA/small.json" --path "$T/no-such-file.json"
expect_usage "no-such-file.json"

t "a --path file not in exec's shape"
mkjson notexec.json '{"states":["A"]}'
run dot "$DATA/small.json" --path "$T/notexec.json"
expect_usage "notexec.json"
mkjson notnames.json '{"status":"SUCCEEDED","path":["A",1]}'
run dot "$DATA/small.json" --path "$T/notnames.json"
expect_usage "notnames.json"

t "an unknown option"
run dot "$DATA/small.json" --bogus
expect_usage "--bogus"

finish
