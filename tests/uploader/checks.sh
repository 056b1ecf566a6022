# tests/uploader/checks.sh: the check helpers of the uploader's tests
# (sourced by lib.sh, and by test_aws.sh, which drives its own binary):
# t NAME starts a case, run CMD... records its exit status and output
# (T must name a scratch directory), expect_* count a check as passed or
# print why it failed; up_end prints "N passed, M failed" and sets the
# status.

PASSED=0 FAILED=0 CASE=- CMD= OUT= ERR= RC=0
t() { CASE=$1; }
ok() { PASSED=$((PASSED + 1)); }
bad() {
	FAILED=$((FAILED + 1))
	printf 'FAIL [%s] %s\n    $ %.300s\n    exit %s; stdout: %.1500s\n    stderr: %.900s\n' \
	    "$CASE" "$1" "$CMD" "$RC" "$OUT" "$ERR"
}
run() {
	CMD="$*"
	set +e
	OUT=$(timeout 120 "$@" 2>"$T/err")
	RC=$?
	set -e
	ERR=$(cat "$T/err")
	sanitizer_check
}
# A failed check when ERR holds a sanitizer's report.
sanitizer_check() {
	case $ERR in *Sanitizer*|*"runtime error:"*) bad "sanitizer report" ;; esac
}
expect_rc() { if [ "$RC" = "$1" ]; then ok; else bad "exit $RC, expected $1"; fi; }
expect_eq() { if [ "$2" = "$3" ]; then ok; else bad "$1: got '$2', expected '$3'"; fi; }
expect_has() { case $OUT in *"$1"*) ok ;; *) bad "stdout lacks '$1'" ;; esac; }
expect_lacks() { case $OUT in *"$1"*) bad "stdout has '$1'" ;; *) ok ;; esac; }
expect_err_has() { case $ERR in *"$1"*) ok ;; *) bad "stderr lacks '$1'" ;; esac; }
# The end line and status.
up_end() { echo "$PASSED passed, $FAILED failed"; [ "$FAILED" = 0 ]; }
