#!/usr/bin/env bash
# tests/uploader/test_crash.sh: the uploader killed with SIGKILL at every
# step of the deploy flow, then `stepdeploy recover`: the end state is
# always the complete new release or the complete old one, never a mix,
# with no lock left and the journal ended.
#
#   bash tests/uploader/test_crash.sh	(STEPDEPLOY, SIGNER override)
#
# Two ways to die:
#  - at a point of the flow: STEPDEPLOY_TEST_CRASH=STATE:intent (its intent
#    on disk, no AWS call made yet) or STATE:applied (its AWS calls made,
#    the outcome not journaled), for every state - a real SIGKILL the
#    SD_TESTING build raises on itself there;
#  - in the middle of an AWS call: the stand-in holds the request (a
#    "pause" fault, before or after applying it), the test kills the
#    deploy with SIGKILL, then lets the request go on.
# The recovery is killed part way too, and the next one finishes its work.
# "Never a mix": the function's code ($LATEST) and the definition read back
# are both the old release's or both the new one's, and the version the
# deployed definition names has the same code as $LATEST.
NAME=test_crash
source "$(dirname "$0")/lib.sh"

up_start --update-delay 0.2

xy_fixtures

journal_ended() { "$PY" -c 'import json,sys
last = json.loads(open(sys.argv[1]).read().splitlines()[-1])
print(last["step"], last["data"].get("status", "?"))' "$1"; }

t clean-deploy
mkrel k-0 x
deploy k-0 b
expect_rc 0
expect_eq state "$(which)" x
expect_eq lock-held "$(state 'has_lock()')" false
# The deployed definition names the version just published.
expect_eq qualified "$(state 'json.loads(sm("acme-hello")["definition"])["States"]["Call"]["Resource"]')" \
	"$FN:$(state 'max(fn("acme-hello")["Versions"], key=int)')"
CUR=x
N=0

# after_crash EXPECT-OUTCOME EXPECT-STATE(old|new) RID: recover, then check.
after_crash() {
	local want_outcome=$1 want=$2 rid=$3 old=$CUR new
	new=$([ "$CUR" = x ] && echo y || echo x)
	expect_eq lock-or-journal-left "$( [ -f "$T/j/$rid.journal" ] && echo yes || echo no)" yes
	recover
	expect_rc 0
	expect_has "recover $rid: $want_outcome"
	expect_eq "state ($want)" "$(which)" "$([ "$want" = new ] && echo "$new" || echo "$old")"
	expect_eq lock-held "$(state 'has_lock()')" false
	expect_eq journal-ended "$(journal_ended "$T/j/$rid.journal" | cut -d' ' -f1)" End
	[ "$want" = new ] && CUR=$new
	# A second recovery finds nothing left to do.
	recover
	expect_rc 0
	expect_lacks "recover $rid"
}

# crash_at STATE:POINT OUTCOME old|new
crash_at() {
	local point=$1 outcome=$2 want=$3 rid new
	N=$((N + 1)); rid=k-$N
	new=$([ "$CUR" = x ] && echo y || echo x)
	t "crash-$point"
	mkrel "$rid" "$new"
	CMD="STEPDEPLOY_TEST_CRASH=$point stepdeploy deploy $rid"
	set +e
	# (the braces' 2>/dev/null keeps bash's own "Killed" notice out)
	{ STEPDEPLOY_TEST_CRASH=$point "$SD" deploy --release "$T/$rid.json" --zip "$T/${ZIP[$new]}.zip" \
		--policy "$T/policy.json" --signer "$SOCK" --journal-dir "$T/j" >"$T/out" 2>"$T/err"; } 2>/dev/null
	RC=$?
	set -e
	OUT=$(cat "$T/out"); ERR=$(cat "$T/err")
	expect_rc 137
	after_crash "$outcome" "$want" "$rid"
}

# Before the snapshot nothing has changed: the lock (if taken) is released.
crash_at Validate:intent Nothing old
crash_at Validate:applied Nothing old
crash_at Lock:intent Nothing old
crash_at Lock:applied Released old
crash_at ValidateResources:intent Released old
crash_at ValidateResources:applied Released old
crash_at Upload:intent Released old
crash_at Upload:applied Released old
crash_at Snapshot:intent Released old
crash_at Snapshot:applied Released old
# From the first change until the new definition is in place: rolled back.
crash_at UpdateLambda:intent RolledBack old
crash_at UpdateLambda:applied RolledBack old
crash_at PublishVersion:intent RolledBack old
crash_at PublishVersion:applied RolledBack old
crash_at UpdateStateMachine:intent RolledBack old
# Once both are in place and verify: completed.
crash_at UpdateStateMachine:applied Completed new
crash_at Verify:intent Completed new
crash_at Verify:applied Completed new
crash_at Record:intent Completed new
crash_at Record:applied Completed new
crash_at ReleaseLock:intent Completed new
crash_at ReleaseLock:applied Completed new

# The recovery itself killed part way: the next recovery takes over.
# crash_recovery DEPLOY-POINT RECOVER-POINT OUTCOME old|new
crash_recovery() {
	local dpoint=$1 rpoint=$2 outcome=$3 want=$4 rid new
	N=$((N + 1)); rid=k-$N
	new=$([ "$CUR" = x ] && echo y || echo x)
	t "crash-$dpoint-then-recovery-at-$rpoint"
	mkrel "$rid" "$new"
	{ STEPDEPLOY_TEST_CRASH=$dpoint "$SD" deploy --release "$T/$rid.json" --zip "$T/${ZIP[$new]}.zip" \
		--policy "$T/policy.json" --signer "$SOCK" --journal-dir "$T/j" >/dev/null 2>&1; } 2>/dev/null || true
	CMD="STEPDEPLOY_TEST_CRASH=$rpoint stepdeploy recover"
	set +e
	{ STEPDEPLOY_TEST_CRASH=$rpoint "$SD" recover --policy "$T/policy.json" --signer "$SOCK" \
		--journal-dir "$T/j" >"$T/out" 2>"$T/err"; } 2>/dev/null
	RC=$?
	set -e
	OUT=$(cat "$T/out"); ERR=$(cat "$T/err")
	expect_rc 137
	after_crash "$outcome" "$want" "$rid"
}
crash_recovery UpdateLambda:applied Rollback:intent RolledBack old
crash_recovery UpdateLambda:applied Rollback:applied RolledBack old
crash_recovery UpdateStateMachine:applied Verify:applied Completed new
crash_recovery UpdateStateMachine:applied Record:applied Completed new
crash_recovery Record:applied ReleaseLock:intent Completed new

# The next deploy recovers first - the crashed release itself too, when
# it is deployed again; its S3 claim then refuses the replay, and its
# ended journal is set aside for the new attempt's.
N=$((N + 1)); RID=k-$N
NEW=$([ "$CUR" = x ] && echo y || echo x)
t redeploy-after-crash
mkrel "$RID" "$NEW"
{ STEPDEPLOY_TEST_CRASH=UpdateLambda:applied "$SD" deploy --release "$T/$RID.json" --zip "$T/${ZIP[$NEW]}.zip" \
	--policy "$T/policy.json" --signer "$SOCK" --journal-dir "$T/j" >/dev/null 2>&1; } 2>/dev/null || true
deploy "$RID" "${ZIP[$NEW]}"
expect_rc 1
expect_has "recover $RID: RolledBack"
expect_err_has "submitted before"
expect_eq state "$(which)" "$CUR"
expect_eq lock-held "$(state 'has_lock()')" false
expect_eq set-aside "$(journal_ended "$T/j/$RID.journal.1")" "End RolledBack"
expect_eq new-journal "$(journal_ended "$T/j/$RID.journal")" "End Failed"

# Its lock taken over meanwhile (it expired; another deployer holds it):
# the recovery leaves the Lambda and state machine alone - the new code is
# in $LATEST only, the live definition still names the old version - and
# keeps the journal in flight until an operator abandons it.
N=$((N + 1)); RID=k-$N
NEW=$([ "$CUR" = x ] && echo y || echo x)
t lock-lost
mkrel "$RID" "$NEW"
BEFORE_DEF=$(state 'canon(sm("acme-hello")["definition"])')
{ STEPDEPLOY_TEST_CRASH=UpdateLambda:applied "$SD" deploy --release "$T/$RID.json" --zip "$T/${ZIP[$NEW]}.zip" \
	--policy "$T/policy.json" --signer "$SOCK" --journal-dir "$T/j" >/dev/null 2>&1; } 2>/dev/null || true
lockbody other-release other-host:1:abc -5 600 >"$T/other-lock"
expect_eq plant-lock "$(s3req PUT acme/hello/production/lock "$T/other-lock")" 200
recover
expect_rc 1
expect_has "recover $RID: Failed"
expect_has "now held by other-host:1:abc"
expect_has "--abandon $RID"
expect_eq definition-untouched "$(state 'canon(sm("acme-hello")["definition"])')" "$BEFORE_DEF"
expect_eq code-in-latest-only "$(state 'fn("acme-hello")["CodeSha256"]')" "$(b64sha256 "$T/${ZIP[$NEW]}.zip")"
expect_eq journal-open "$(journal_ended "$T/j/$RID.journal" | cut -d' ' -f1)" Recover
run "$SD" recover --abandon "$RID" --journal-dir "$T/j"
expect_rc 2
expect_err_has "--abandon needs --reason"
run "$SD" recover --abandon "$RID" --reason "checked by hand" --journal-dir "$T/j"
expect_rc 0
expect_has "recover $RID: Abandoned"
expect_eq journal-ended "$(journal_ended "$T/j/$RID.journal")" "End Abandoned"
run "$SD" recover --abandon "$RID" --reason again --journal-dir "$T/j"
expect_rc 1
expect_err_has "ended already"
recover
expect_rc 0
expect_lacks "recover $RID"
expect_eq other-lock-kept "$(s3get acme/hello/production/lock)" "$(cat "$T/other-lock")"
run "$SD" unlock acme/hello production --force --reason "test_crash: the other holder is gone" \
	--policy "$T/policy.json" --signer "$SOCK"
expect_rc 0
# Back to a consistent pair for what follows: deploy the current one again.
N=$((N + 1)); mkrel "k-$N" "$CUR"
deploy "k-$N" "${ZIP[$CUR]}"
expect_rc 0
expect_eq state "$(which)" "$CUR"

# Killed during a rollback (UpdateStateMachine refused): the recovery
# finishes the rollback.
for point in Rollback:intent Rollback:applied; do
	control POST faults '{"faults":[{"op":"UpdateStateMachine","fault":"error","status":400,"code":"InvalidDefinition","message":"injected by test_crash","times":1}]}' >/dev/null
	crash_at "$point" RolledBack old
	control DELETE faults >/dev/null
done

# Killed in the middle of an AWS call: the stand-in holds the request,
# before applying it or after, then lets it go on once the uploader is
# dead (as AWS would finish a request whose client went away).
pause_kill() {
	local op=$1 when=$2 outcome=$3 want=$4 path=${5-} rid new pid rule mark
	N=$((N + 1)); rid=k-$N
	new=$([ "$CUR" = x ] && echo y || echo x)
	t "kill-in-$op-$when${path:+-$path}"
	mkrel "$rid" "$new"
	rule="{\"op\":\"$op\",\"fault\":\"pause\",\"when\":\"$when\",\"times\":1${path:+,\"path\":\"$path\"}}"
	mark=$(last_seq)
	control POST faults "{\"faults\":[$rule]}" >/dev/null
	"$SD" deploy --release "$T/$rid.json" --zip "$T/${ZIP[$new]}.zip" \
		--policy "$T/policy.json" --signer "$SOCK" --journal-dir "$T/j" >"$T/out" 2>"$T/err" &
	pid=$!
	BG_PIDS+=("$pid")
	if [ "$(control GET 'paused?wait=60' | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin).get("paused", [])))')" -ge 1 ]; then
		ok
	else
		bad "no request of $op was held"
	fi
	kill -9 "$pid"
	set +e; { wait "$pid"; } 2>/dev/null; RC=$?; set -e
	OUT=$(cat "$T/out"); ERR=$(cat "$T/err"); CMD="deploy $rid (killed in $op, $when)"
	expect_rc 137
	control POST release >/dev/null
	control DELETE faults >/dev/null
	# The held request finishes (the stand-in logs a call once it has
	# been applied) before the recovery looks.
	for _ in $(seq 1 200); do
		[ "$(calls "$mark" "len(st('${op#*:}', '$path'))")" -ge 1 ] && break
		sleep 0.05
	done
	after_crash "$outcome" "$want" "$rid"
}
pause_kill s3:PutObject after Released old /lock
pause_kill s3:PutObject before Released old /lambda.zip
pause_kill lambda:GetFunction after Released old
pause_kill lambda:UpdateFunctionCode before RolledBack old
pause_kill lambda:UpdateFunctionCode after RolledBack old
pause_kill lambda:PublishVersion after RolledBack old
pause_kill states:UpdateStateMachine before Completed new
pause_kill states:UpdateStateMachine after Completed new
pause_kill s3:DeleteObject after Completed new /lock

up_end
