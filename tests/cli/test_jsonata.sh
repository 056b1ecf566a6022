#!/usr/bin/env bash
# tests/cli/test_jsonata.sh: `stepdeploy jsonata EXPR`: the result as one
# line of JSON, undefined (nothing, exit 0), errors (exit 1, the code first
# on stderr), --input inline and @FILE, --bindings, the limits
# (--time-limit-ms, --max-depth: U1001) and bad usage (exit 2).
#
#   STEPDEPLOY=build/asan/stepdeploy bash tests/cli/test_jsonata.sh
set -euo pipefail

. "$(dirname "$0")/lib.sh"

# expect_exact RC STDOUT STDERR: the exit code, stdout and stderr exactly.
expect_exact() {
	if [ "$RC" = "$1" ]; then ok; else bad "exit status $RC, want $1"; fi
	if [ "$OUT" = "$2" ]; then ok; else bad "stdout is not: $2"; fi
	if [ "$ERR" = "$3" ]; then ok; else bad "stderr is not: $3"; fi
}
# expect_error CODE: exit 1, nothing on stdout, stderr starts "CODE: ".
expect_error() {
	if [ "$RC" = 1 ]; then ok; else bad "exit status $RC, want 1"; fi
	if [ -z "$OUT" ]; then ok; else bad "stdout should be empty"; fi
	case $ERR in "$1: "?*) ok ;; *) bad "stderr does not start with \"$1: \"" ;; esac
}
# ---------------------------------------------------------------- data
ORDERS='{"Account":{"Order":[{"OrderID":"order103","Product":[{"SKU":"0406654608","Price":34.45},{"SKU":"0406634348","Price":21.67}]},{"OrderID":"order104","Product":[{"SKU":"040657863","Price":34.45},{"SKU":"0406654603","Price":107.99},{"SKU":"0406654601","Price":9.5}]}]}}'
mkjson orders.json "$ORDERS"

# ---------------------------------------------------------------- results
t "a path with predicates"
run jsonata 'Account.Order[OrderID="order104"].Product[Price > 30].SKU' --input "$ORDERS"
expect_exact 0 '["040657863","0406654603"]' ''

t "a number, an object, a string: compact JSON"
run jsonata '{"n": 1 + 2.5, "s": $uppercase("ab"), "a": [1..3]}'
expect_exact 0 '{"n":3.5,"s":"AB","a":[1,2,3]}' ''

t "a single value from a path"
run jsonata 'Account.Order[0].OrderID' --input "$ORDERS"
expect_exact 0 '"order103"' ''

t "undefined: nothing on stdout, exit 0"
run jsonata 'Account.Nothing' --input "$ORDERS"
expect_exact 0 '' ''

t "no --input: the input is undefined"
run jsonata '$exists($)'
expect_exact 0 'false' ''

t "--input @FILE"
run jsonata '$count(Account.Order.Product)' --input "@$T/orders.json"
expect_exact 0 '5' ''

t "--input @- reads stdin"
STDIN=$T/orders.json run jsonata '$sum(Account.Order.Product.Price)' --input @-
STDIN=
expect_exact 0 '208.06' ''

t "--bindings"
run jsonata '$x * factor' --bindings '{"x": 6}' --input '{"factor": 7}'
expect_exact 0 '42' ''

t "--bindings @FILE"
mkjson bind.json '{"greeting": "hello", "who": "world"}'
run jsonata '$greeting & ", " & $who' --bindings "@$T/bind.json"
expect_exact 0 '"hello, world"' ''

# ---------------------------------------------------------------- errors
t "T2001: the left side of - is not a number"
run jsonata '"a" - 1'
expect_exact 1 '' 'T2001: The left side of the "-" operator must evaluate to a number (position 5, token "-")'

t "a syntax error (S0xxx)"
run jsonata 'Account.('
expect_error S0203

t "an unknown function (T1006)"
run jsonata '$nosuchfunction(1)'
expect_error T1006

# A tail call does not nest: only the clock stops it.
t "--time-limit-ms on an infinite (tail) recursion: U1001"
run jsonata '($f := function($x) { $f($x + 1) }; $f(0))' --time-limit-ms 200
expect_error U1001
case $ERR in *"timeout"*) ok ;; *) bad "stderr does not say timeout" ;; esac
expect_faster 20000

t "an infinite recursion that nests: U1001 (depth or time)"
run jsonata '($f := function($x) { $f($x + 1) + 1 }; $f(0))' --time-limit-ms 1000
expect_error U1001

t "--max-depth: U1001 Stack overflow"
run jsonata '($f := function($x) { $x = 0 ? 0 : 1 + $f($x - 1) }; $f(200))' --max-depth 50
expect_error U1001
case $ERR in *"Stack overflow"*) ok ;; *) bad "stderr does not say Stack overflow" ;; esac

t "--max-depth high enough: the result"
run jsonata '($f := function($x) { $x = 0 ? 0 : 1 + $f($x - 1) }; $f(20))' --max-depth 500
expect_exact 0 '20' ''

# ---------------------------------------------------------------- usage
t "--help"
run jsonata --help
if [ "$RC" = 0 ]; then ok; else bad "exit status $RC, want 0"; fi
case $OUT in "usage: stepdeploy jsonata EXPR"*) ok ;; *) bad "no usage on stdout" ;; esac

t "no expression"
run jsonata
expect_usage "no expression"

t "two expressions"
run jsonata '1' '2'
expect_usage

t "bad --input names it"
run jsonata 'a' --input '{"a":'
expect_usage --input

t "--input @FILE that does not exist"
run jsonata 'a' --input "@$T/missing.json"
expect_usage --input

t "--bindings not an object"
run jsonata '$x' --bindings '[1]'
expect_usage --bindings

t "--time-limit-ms not a number"
run jsonata '1' --time-limit-ms soon
expect_usage --time-limit-ms

t "--max-depth 0"
run jsonata '1' --max-depth 0
expect_usage --max-depth

t "--input without its value"
run jsonata '1' --input
expect_usage --input

t "unknown option"
run jsonata '1' --bogus
expect_usage --bogus

finish
