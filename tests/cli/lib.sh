# tests/cli/lib.sh: the helpers every tests/cli/test_*.sh script sources:
# a temporary directory removed from a trap, running the command under
# test with a time limit, and the expect_* checks that count passes and
# failures; finish prints "N passed, N failed".
#
#   . "$(dirname "$0")/lib.sh"

# ---------------------------------------------------------------- helpers
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
