#!/usr/bin/env bash
# tests/service/test_security.sh: what the service refuses, each case
# checked against what the stand-in received and what the daemons logged:
# a uid that is no submitter (or a submitter of another project only), a
# release whose tests fail (zero AWS calls), deploy.sock and exec.sock
# from a uid other than the validator's, a spool file changed after
# validation, an out-of-policy request refused by the signer, hostile
# frames on every socket (malformed, oversized, unknown type, truncated,
# zero length) with the same daemon serving a good request after each,
# and each daemon killed by its seccomp filter on a forbidden system call
# (build/signer-sandbox-probe.so preloaded: the binaries carry no hook).
#
# The cases run as other uids need root (setpriv); CI is root. Run as
# another user they are skipped, and say so.
#
#   bash tests/service/test_security.sh	(STEPDEPLOY and the daemons override)
set -euo pipefail
NAME=test_security
ME=$(id -u)
NOBODY=65534	# a submitter of acme/other only
STRANGER=65533	# in no list of the policy
OTHER_FN=arn:aws:lambda:us-east-1:000000000000:function:acme-other
OTHER_SM=arn:aws:states:us-east-1:000000000000:stateMachine:acme-other
POLICY_EXTRA=$(cat <<JSON
{"sockets": {"submit": [$ME], "exec": [$ME], "deploy": [$ME], "sign": [$ME]},
 "projects": {"acme/hello": {"submitters": [$ME]},
  "acme/other": {"submitters": [$NOBODY], "configs": ["production"],
   "accounts": ["000000000000"], "regions": ["us-east-1"],
   "bucket": "acme-other", "lambda_arns": ["$OTHER_FN"],
   "state_machine_arns": ["$OTHER_SM"]}}}
JSON
)
source "$(dirname "$0")/lib.sh"
FRAMES=$SVC_HERE/frames.py
PROBE=${PROBE:-$SVC_ROOT/build/signer-sandbox-probe.so}
[ -f "$PROBE" ] || { echo "$0: $PROBE is missing (make $PROBE)" >&2; exit 1; }

svc_start
xy_fixtures
echo '[{"name": "calls the Lambda", "mocks": {"Call": {"result": {"ok": true}}},
  "expected": {"status": "SUCCEEDED"}}]' >"$T/tests-xy.json"
echo '[{"name": "expects a failure", "mocks": {"Call": {"result": {"ok": true}}},
  "expected": {"status": "FAILED"}}]' >"$T/tests-xyfail.json"
chmod 644 "$T"/*.json "$T"/*.zip

AS_OK=0
if [ "$ME" = 0 ]; then AS_OK=1; else
	echo "SKIP: the cases as other uids need root (setpriv)"
fi
# run "${AS[UID]}" CMD...: CMD run as UID, without groups.
declare -A AS
for u in "$NOBODY" "$STRANGER"; do AS[$u]="setpriv --reuid=$u --regid=$u --clear-groups"; done
# nlog FILE: the lines of FILE (0 when none).
nlog() { grep -c . "$1" 2>/dev/null || true; }
# since FILE N: FILE after its first N lines.
since() { tail -n +"$(($2 + 1))" "$1"; }
alive() { kill -0 "$1" 2>/dev/null && echo alive || echo dead; }

# ------------------------------------------------ who may submit
if [ "$AS_OK" = 1 ]; then
	t stranger-refused
	mkrel s1 x
	chmod 644 "$T/s1.json"
	SEQ=$(last_seq) L=$(nlog "$T/validator.log")
	run ${AS[$STRANGER]} "$SD" submit --release "$T/s1.json" --zip "$T/b.zip" \
	    --tests "$T/tests-xy.json" --socket "$SUBMIT_SOCK"
	expect_rc 1
	case "$OUT$ERR" in *"uid $STRANGER"*) ok ;; *) bad "the refusal does not name uid $STRANGER" ;; esac
	expect_eq aws-calls "$(calls "$SEQ" 'len(c)')" 0
	since "$T/validator.log" "$L" | grep -q "refused a connection: uid $STRANGER" && ok ||
	    bad "the validator did not log the refusal of uid $STRANGER"

	t other-project-refused
	SEQ=$(last_seq) L=$(nlog "$T/validator.log")
	run ${AS[$NOBODY]} "$SD" submit --release "$T/s1.json" --zip "$T/b.zip" \
	    --tests "$T/tests-xy.json" --socket "$SUBMIT_SOCK"
	expect_rc 1
	case "$OUT$ERR" in *"uid $NOBODY"*acme/hello*|*acme/hello*"uid $NOBODY"*) ok ;;
	    *) bad "the refusal does not name uid $NOBODY and acme/hello" ;; esac
	expect_eq aws-calls "$(calls "$SEQ" 'len(c)')" 0
	[ ! -e "$T/up/runs" ] || ! ls "$T/up/runs" | grep -q '^s1-' && ok ||
	    bad "s1 reached the uploader"
fi

t tests-fail-no-aws
mkrel tf x
SEQ=$(last_seq) L=$(nlog "$T/uploader.log")
submit tf b xyfail
expect_rc 1
expect_has "tests failed"
expect_has "refused tf"
expect_eq aws-calls "$(calls "$SEQ" 'len(c)')" 0
since "$T/uploader.log" "$L" | grep -q ' tf' && bad "the uploader heard of tf" || ok
run "$SD" status --socket "$DEPLOY_SOCK" tf
expect_lacks "tf "

# ------------------------------------------------ exec.sock, deploy.sock
EXEC_OK=$("$PY" -c 'import json,sys; print(json.dumps({"definition": open(sys.argv[1]).read(), "tests": open(sys.argv[2]).read()}))' "$T/x-def.json" "$T/tests-xy.json")
if [ "$AS_OK" = 1 ]; then
	t exec-sock-others
	for u in "$NOBODY" "$STRANGER"; do
		L=$(nlog "$T/executor.log")
		run ${AS[$u]} "$PY" "$FRAMES" "$EXEC_SOCK" good EXEC_REQUEST "$EXEC_OK"
		expect_rc 0
		expect_has "ERROR"
		expect_has "uid $u"
		expect_lacks "EXEC_RESULT"
		since "$T/executor.log" "$L" | grep -q "refused a connection.*uid $u" && ok ||
		    bad "the executor did not log the refusal of uid $u"
	done

	t deploy-sock-others
	# A submitter (of acme/other) may ask for status, never DEPLOY.
	mkdir -p "$T/val/spool/forged-0"
	cp "$T/x.json" "$T/val/spool/forged-0/release.json"
	cp "$T/b.zip" "$T/val/spool/forged-0/lambda.zip"
	RSHA=$(sha256sum "$T/x.json" | cut -d' ' -f1)
	ZSHA=$(sha256sum "$T/b.zip" | cut -d' ' -f1)
	DEP="{\"spool\": \"forged-0\", \"release_id\": \"x\", \"release_sha256\": \"$RSHA\", \"zip_sha256\": \"$ZSHA\", \"submitter\": $NOBODY}"
	SEQ=$(last_seq) L=$(nlog "$T/uploader.log")
	run ${AS[$NOBODY]} "$PY" "$FRAMES" "$DEPLOY_SOCK" good DEPLOY "$DEP"
	expect_rc 0
	expect_has "ERROR"
	expect_has "uid $NOBODY may not"
	expect_lacks "DEPLOY_RESULT"
	expect_lacks "PROGRESS"
	expect_eq aws-calls "$(calls "$SEQ" 'len(c)')" 0
	expect_eq taken "$( [ -e "$T/up/runs/forged-0" ] && echo yes || echo no)" no
	since "$T/uploader.log" "$L" | grep -q "uid $NOBODY.*closing the connection" && ok ||
	    bad "the uploader did not log the refused DEPLOY"
	run ${AS[$NOBODY]} "$PY" "$FRAMES" "$DEPLOY_SOCK" good STATUS '{}'
	expect_has "STATUS_RESULT"
	expect_eq own-projects-only "$(echo "$OUT" | sed -n 's/^STATUS_RESULT //p' |
	    "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["releases"]))')" 0
	run ${AS[$STRANGER]} "$PY" "$FRAMES" "$DEPLOY_SOCK" good STATUS '{}'
	expect_has "ERROR"
	expect_has "uid $STRANGER may not connect to deploy.sock"
	expect_lacks "STATUS_RESULT"
	rm -rf "$T/val/spool/forged-0"
fi

# ------------------------------------------------ the spool changed
t spool-altered
# What the validator would hand over, with each file then changed: the
# uploader hashes its own copy and refuses before any AWS call.
forge() {	# forge NAME FILE-TO-CHANGE: DEPLOY of a forged spool entry
	local d=$T/val/spool/$1
	mkdir -p "$d"
	cp "$T/x.json" "$d/release.json"
	cp "$T/b.zip" "$d/lambda.zip"
	local rsha zsha
	rsha=$(sha256sum "$d/release.json" | cut -d' ' -f1)
	zsha=$(sha256sum "$d/lambda.zip" | cut -d' ' -f1)
	printf ' ' >>"$d/$2"
	run "$PY" "$FRAMES" "$DEPLOY_SOCK" good DEPLOY "{\"spool\": \"$1\", \"release_id\": \"x\", \"release_sha256\": \"$rsha\", \"zip_sha256\": \"$zsha\", \"submitter\": $ME}"
}
for f in release.json lambda.zip; do
	SEQ=$(last_seq)
	forge "forged-${f%%.*}" "$f"
	expect_rc 0
	expect_has "spooled $f changed after validation"
	expect_lacks '"status": "Deployed"'
	expect_eq aws-calls "$(calls "$SEQ" 'len(c)')" 0
done
expect_no_lock

# ------------------------------------------------ hostile frames
# After each, the daemon is alive, logged it, and serves a good request.
good_submit() {	# a verdict served (refused: no tests, no AWS call)
	run "$SD" submit --release "$T/x.json" --zip "$T/b.zip" --socket "$SUBMIT_SOCK"
	expect_rc 1
	expect_has "TESTS_REQUIRED"
}
good_exec() {
	run "$PY" "$FRAMES" "$EXEC_SOCK" good EXEC_REQUEST "$EXEC_OK"
	expect_has "EXEC_RESULT"
	expect_has '"passed":1'
}
good_deploy() {
	run "$PY" "$FRAMES" "$DEPLOY_SOCK" good STATUS '{}'
	expect_has "STATUS_RESULT"
}
for sock in submit:SUBMIT:VALIDATOR exec:EXEC_REQUEST:EXECUTOR deploy:STATUS:UPLOADER; do
	IFS=: read -r name type daemon <<<"$sock"
	pidvar=${daemon}_PID log=$T/${daemon,,}.log path=$T/$name.sock
	for c in malformed oversized unknown truncated zero; do
		t "$name.sock $c"
		SEQ=$(last_seq) L=$(nlog "$log")
		run "$PY" "$FRAMES" "$path" "$c" "$type"
		expect_rc 0
		expect_has closed
		expect_lacks "_RESULT"
		expect_eq daemon "$(alive "${!pidvar}")" alive
		since "$log" "$L" | grep -q "closing the connection" && ok ||
		    bad "$daemon did not log the $c frame"
		expect_eq aws-calls "$(calls "$SEQ" 'len(c)')" 0
		"good_$name"
	done
done

t good-after-all
mkrel g1 x
submit g1 b xy
expect_rc 0
expect_has "deployed g1"
expect_eq state "$(which)" x

# ------------------------------------------------ the signer's own policy
t signer-refuses
# A signer whose policy names another Lambda: the uploader, made to ask
# for acme-hello's, is refused; the deploy fails cleanly, nothing of the
# Lambda is written, the old release stays whole.
"$PY" - "$T/policy.json" "$T/policy-narrow.json" "$OTHER_FN" <<'PYEOF'
import json, sys
p = json.load(open(sys.argv[1]))
p["projects"]["acme/hello"]["lambda_arns"] = [sys.argv[3]]
json.dump(p, open(sys.argv[2], "w"))
PYEOF
"$SIGNER" --policy "$T/policy-narrow.json" --socket "$T/sign2.sock" --credentials "$T/creds" \
    --foreground 2> >(exec cat >>"$T/signer2.log") &
S2=$!; BG_PIDS+=("$S2")
wait_log "$T/signer2.log" "$S2" "the narrow signer"
kill "$UPLOADER_PID"; wait "$UPLOADER_PID" 2>/dev/null || true
SOCK_SAVED=$SOCK SOCK=$T/sign2.sock
svc_uploader
SOCK=$SOCK_SAVED
mkrel n1 y
SEQ=$(last_seq)
submit n1 c xy
expect_rc 1
case "$OUT$ERR" in *"signer"*) ok ;; *) bad "the failure does not name the signer" ;; esac
expect_eq lambda-writes "$(calls "$SEQ" 'len([w for w in writes() if "/functions/" in w])')" 0
expect_eq state "$(which)" x
expect_no_lock
grep -q "refused" "$T/signer2.log" && ok || bad "the narrow signer logged no refusal"
kill "$UPLOADER_PID"; wait "$UPLOADER_PID" 2>/dev/null || true
svc_uploader

# ------------------------------------------------ seccomp
# probe DAEMON SYSCALL ARGS...: the daemon, preloaded with the probe,
# makes SYSCALL on its first ppoll (after its filter is on) and must die
# of SIGSYS.
probe() {
	local what=$1 sc=$2 log=$T/probe-$1-$2.log
	shift 2
	t "seccomp $what $sc"
	set +e
	# (the subshell keeps bash's "Bad system call" notice out of the output)
	RC=$( (SD_SANDBOX_PROBE=$sc LD_PRELOAD=$PROBE timeout 30 "$@" --foreground \
	    2>"$log" >/dev/null; echo $?) 2>/dev/null)
	set -e
	ERR=$(cat "$log")
	expect_rc 159	# 128 + SIGSYS
	expect_err_has "PROBE: trying $sc"
	case $ERR in *"was not blocked"*) bad "$sc was not blocked" ;; *) ok ;; esac
}
for sc in open socket execve; do
	probe executor "$sc" "$EXECUTOR" --policy "$T/policy.json" --socket "$T/p-exec.sock"
done
for sc in socket execve ptrace; do
	probe validator "$sc" "$VALIDATOR" --policy "$T/policy.json" --socket "$T/p-submit.sock" \
	    --state-dir "$T/p-val" --exec-socket "$EXEC_SOCK" --deploy-socket "$DEPLOY_SOCK"
done
for sc in execve ptrace; do
	probe uploader "$sc" "$UPLOADER" --policy "$T/policy.json" --socket "$T/p-deploy.sock" \
	    --state-dir "$T/p-up" --spool "$T/val/spool" --signer "$SOCK"
done

t still-serving
mkrel g2 y
submit g2 c xy
expect_rc 0
expect_eq state "$(which)" y

up_end
