#!/usr/bin/env bash
# tests/uploader/test_scenarios.sh: end-to-end scenarios of `stepdeploy
# deploy` against the local AWS stand-in (tests/standin), signed by the
# real signer daemon (build/stepdeploy-signer), in the style of
# test_deploy.sh.
#
#   bash tests/uploader/test_scenarios.sh	(STEPDEPLOY, SIGNER override)
#
# Scenarios (each reads the stand-in's state and calls log back):
#   1. two deploys of one project/config racing (their lock PUTs held by a
#      pause fault and let go together; then a plain race widened by a
#      delay fault): exactly one deploys, the other is refused at Lock,
#      before any change, naming the winner's holder and release;
#   2. an expired lock is taken over (If-Match) and the deploy succeeds;
#      an unexpired one refuses the deploy, naming its holder, and stays;
#   3. a frozen config refuses the deploy naming who froze it and why;
#      once the marker is removed the same release deploys;
#   4. a replayed release id (after a deploy, and after a failed and
#      rolled-back attempt) is refused before any change;
#   5. a zip whose SHA-256 is not the release's lambda_sha256 is refused
#      before any AWS call;
#   6. throttling and 5xx on calls across the flow are retried and the
#      deploy succeeds; the calls log shows the faulted statuses, then 2xx;
#      then a 5xx answered after the call was applied, one call at a time:
#      the retry meets its own write and the deploy still succeeds;
#   7. a stale holder (stalled past its lease, the lock taken over) changes
#      nothing more, not even by rolling back;
# and, last, that no deploy above left its journal in flight.
# The definitions deployed name no Lambda (Pass/Succeed states), so they
# are deployed unchanged whatever the flow does to Task Resources; step
# names are not asserted as a list. The last line is "N passed, M failed".
set -euo pipefail
NAME=test_scenarios
source "$(dirname "$0")/lib.sh"

# A short lease: no scenario waits for one to run out (expired locks are
# planted), but a deployer killed by a failing run frees the config soon.
POLICY_EXTRA='{"lock": {"lease_seconds": 60}}'
up_start --update-delay 0.3
mkzip d e f g h i
PFX=acme/hello/production
HOST=$(hostname)
# rel RID ZIP [SHA-OF-ZIP]: $T/RID.json, a release of acme/hello
# production whose definition (Pass states only, naming the release) is
# its own and whose lambda_sha256 is ZIP's (or SHA-OF-ZIP's).
rel() {
	mkrel "$1" r-2 zip="${3:-$2}" state_machine="{\"Comment\": \"release $1\", \"StartAt\": \"Start\",
	    \"States\": {\"Start\": {\"Type\": \"Pass\", \"Result\": {\"release\": \"$1\"}, \"Next\": \"Done\"},
	                 \"Done\": {\"Type\": \"Succeed\"}}}"
}
# reldef RID: the release's definition, canonical.
reldef() { jget "$(cat "$T/$1.json")" 'json.dumps(v["state_machine"], sort_keys=True)'; }

# bg_deploy RID ZIP: lib.sh's deploy in the background; its pid (the
# deployer's own: the holder of its lock is HOST:PID:RANDOM) in BG_PID.
bg_deploy() {
	"$SD" deploy --release "$T/$1.json" --zip "$T/$2.zip" \
	    --policy "$T/policy.json" --signer "$SOCK" --journal-dir "$T/j" \
	    >"$T/$1.out" 2>"$T/$1.err" &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
}
# bg_wait RID PID: wait (at most 90 s) for a background deploy; OUT, ERR,
# RC as run sets them.
bg_wait() {
	local i
	for i in $(seq 1 900); do
		kill -0 "$2" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$2" 2>/dev/null || true
	RC=0
	wait "$2" || RC=$?
	CMD="stepdeploy deploy --release $1.json (in the background)"
	OUT=$(cat "$T/$1.out")
	ERR=$(cat "$T/$1.err")
	sanitizer_check
}
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
# What is deployed now, for "nothing changed" checks.
snap() {
	SNAP_SHA=$(state 'fn("acme-hello")["CodeSha256"]')
	SNAP_DEF=$(state 'canon(sm("acme-hello")["definition"])')
	SNAP_OBJS=$(state 'sorted((k, v["etag"]) for k, v in objs().items())')
}
expect_unchanged() {
	expect_eq CodeSha256-unchanged "$(state 'fn("acme-hello")["CodeSha256"]')" "$SNAP_SHA"
	expect_eq definition-unchanged "$(state 'canon(sm("acme-hello")["definition"])')" "$SNAP_DEF"
	expect_eq s3-objects-unchanged "$(state 'sorted((k, v["etag"]) for k, v in objs().items())')" "$SNAP_OBJS"
}
# The release RID (with zip ZIP) is what is deployed.
expect_deployed() {
	expect_eq CodeSha256 "$(state 'fn("acme-hello")["CodeSha256"]')" "$(b64sha256 "$T/$2.zip")"
	expect_eq definition "$(state 'canon(sm("acme-hello")["definition"])')" "$(reldef "$1")"
}
# expect_etag NAME KEY FILE: s3://$B/KEY is FILE as it was put (its ETag
# is FILE's MD5).
expect_etag() {
	expect_eq "$1" "$(state "(objs().get('$2') or {}).get('etag', '').strip('\"')")" "$(md5sum "$3" | cut -d' ' -f1)"
}
# No Lambda or state machine change in the calls after SINCE.
expect_no_updates() {
	expect_eq "updates since seq $1" "$(calls "$1" '[x["op"] for x in c if x["op"] in ("UpdateFunctionCode", "PublishVersion", "UpdateStateMachine", "PublishStateMachineVersion", "UpdateAlias")]')" "[]"
}

# ================================================================ 1. racing deploys
# 1a: both lock PUTs are held by a pause fault until both are in, then let
# go together: two If-None-Match: * creates decided at the same moment.
race_check() {	# race_check RID1 PID1 ZIP1 RID2 PID2 ZIP2 SINCE
	local r1=$1 p1=$2 z1=$3 r2=$4 p2=$5 z2=$6 since=$7
	local w wz wp l lz out1 err1 rc1 holder
	bg_wait "$r1" "$p1"; out1=$OUT err1=$ERR rc1=$RC
	bg_wait "$r2" "$p2"
	if [ "$rc1" = 0 ] && [ "$RC" = 1 ]; then
		w=$r1 wz=$z1 wp=$p1 l=$r2 lz=$z2
	elif [ "$rc1" = 1 ] && [ "$RC" = 0 ]; then
		w=$r2 wz=$z2 wp=$p2 l=$r1 lz=$z1
		OUT=$out1 ERR=$err1 RC=$rc1
	else
		bad "exits $rc1 ($r1) and $RC ($r2): expected one 0 and one 1 (stderr $r1: $err1)"
		return
	fi
	ok
	# The loser (OUT/ERR are its): refused at Lock, naming the holder
	# (HOST:PID:RANDOM of the winner's process) and the winner's release.
	expect_has "deploy $l: FAILED"
	expect_err_has "Deploy.Lock"
	expect_err_has "is locked by $HOST:$wp:"
	expect_err_has "for release $w"
	holder=$(sed -n 's/.*lock s3:[^ ]* taken for release [^ ]* by \([^ ]*\) until.*/\1/p' "$T/$w.err" | head -n 1)
	if [ -n "$holder" ]; then expect_err_has "locked by $holder for release $w"; else bad "the winner's stderr names no holder"; fi
	for s in ValidateResources Upload Snapshot UpdateLambda UpdateStateMachine; do
		expect_lacks "==> $s"
	done
	expect_eq loser-prefix "$(state "keys('$PFX/$l/')")" "[]"
	expect_eq loser-calls "$(calls "$since" "[x['op'] + ' ' + str(x['status']) for x in c if '/$l/' in x['path']]")" "[]"
	# The winner deployed; nothing else did.
	OUT=$(cat "$T/$w.out") ERR=$(cat "$T/$w.err")
	expect_has "deploy $w: Deployed"
	expect_deployed "$w" "$wz"
	expect_no_lock
	expect_eq one-update "$(calls "$since" 'st("UpdateFunctionCode")')" "[200]"
	expect_eq one-sm-update "$(calls "$since" 'st("UpdateStateMachine")')" "[200]"
	# The lock's creates (PUT If-None-Match: *) are the two processes':
	# the winner's succeeded, the loser's was refused.  Of all the lock
	# PUTs (creates and the winner's renewals, in whatever order a loaded
	# machine logs them) only that create was refused.
	expect_eq lock-creates "$(calls "$since" 'sorted(x["status"] for x in c if x["op"] == "PutObject" and x["path"].endswith("/production/lock") and x.get("if_none_match") == "*")')" "[200, 412]"
	expect_eq lock-puts-refused "$(calls "$since" 'st("PutObject", "/production/lock").count(412)')" 1
}
t race-simultaneous-lock-put
rel race-a1 b
rel race-a2 c
SINCE=$(last_seq)
control POST faults '{"faults":[{"op":"s3:PutObject","path":"/production/lock","fault":"pause","times":2,"seconds":60}]}' >/dev/null
bg_deploy race-a1 b; P1=$BG_PID
bg_deploy race-a2 c; P2=$BG_PID
HELD=$(control GET 'paused?wait=60&kind=pause&count=2' | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["paused"]))')
expect_eq lock-puts-held "$HELD" 2
control POST release '{}' >/dev/null
race_check race-a1 "$P1" b race-a2 "$P2" c "$SINCE"
control DELETE faults >/dev/null

# 1b: both started at once with no pause; the winner's window is widened
# by a 3 s delay on UpdateFunctionCode, so the loser meets the lock held.
t race-started-together
rel race-b1 d
rel race-b2 e
SINCE=$(last_seq)
control POST faults '{"faults":[{"op":"lambda:UpdateFunctionCode","fault":"delay","seconds":3}]}' >/dev/null
bg_deploy race-b1 d; P1=$BG_PID
bg_deploy race-b2 e; P2=$BG_PID
race_check race-b1 "$P1" d race-b2 "$P2" e "$SINCE"
control DELETE faults >/dev/null

# 1c: the same release started twice at once (a CI job retried while the
# first still runs): one deploys it; the other is refused - by the journal
# (another process is deploying it), the lock or the release's claim -
# and changes nothing.
t race-same-release
rel race-c d
cp "$T/race-c.json" "$T/race-c-again.json"
control POST faults '{"faults":[{"op":"lambda:UpdateFunctionCode","fault":"delay","seconds":2}]}' >/dev/null
bg_deploy race-c d; P1=$BG_PID
bg_deploy race-c-again d; P2=$BG_PID
bg_wait race-c "$P1"; RC1=$RC OUT1=$OUT
bg_wait race-c-again "$P2"; RC2=$RC OUT2=$OUT ERR2=$ERR
control DELETE faults >/dev/null
expect_eq exit-statuses "$(printf '%s\n' "$RC1" "$RC2" | sort | tr '\n' ' ')" "0 1 "
if [ "$RC1" = 0 ]; then LOSER_OUT=$OUT2 LOSER_ERR=$ERR2; else LOSER_OUT=$OUT1 LOSER_ERR=$(cat "$T/race-c.err"); fi
case $LOSER_ERR in
*"another process is deploying release race-c"* | *"is locked by"* | *"submitted before"*) ok ;;
*) bad "the loser's refusal: $LOSER_ERR" ;;
esac
case $LOSER_OUT in *"==> UpdateLambda"*) bad "the loser changed something" ;; *) ok ;; esac
expect_deployed race-c d
expect_no_lock

# ================================================================ 2. planted locks
# 2a: an expired lock (another holder, long gone) is taken over with
# If-Match on its ETag, and the deploy goes through.
t lock-expired-taken-over
rel lock-1 f
lockbody r-ghost ghost-host:4242:deadbeef0001 -7200 -3600 >"$T/lock-expired"
expect_eq plant-expired-lock "$(s3req PUT "$PFX/lock" "$T/lock-expired")" 200
expect_etag planted-etag "$PFX/lock" "$T/lock-expired"
SINCE=$(last_seq)
deploy lock-1 f
expect_rc 0
expect_has "deploy lock-1: Deployed"
expect_err_has "ghost-host:4242:deadbeef0001"
expect_err_has "expired; taking it over"
expect_deployed lock-1 f
expect_no_lock
# The create refused (412), the lock read, replaced with If-Match (200);
# after the deploy's renewals (PUT If-Match, 200) it is deleted.
LOCK_CALLS=$(calls "$SINCE" '[x["op"] + " " + str(x["status"]) for x in c if x["path"].endswith("/production/lock")]')
expect_eq lock-takeover "$(echo "$LOCK_CALLS" | "$PY" -c 'import json,sys; print(json.dumps(json.load(sys.stdin)[:3]))')" \
	'["PutObject 412", "GetObject 200", "PutObject 200"]'
expect_eq lock-then "$(echo "$LOCK_CALLS" | "$PY" -c 'import json,sys; c = json.load(sys.stdin)[3:]; print(json.dumps(sorted(set(c[:-1])) + c[-1:]))')" \
	'["PutObject 200", "DeleteObject 204"]'

# 2b: an unexpired lock of another holder refuses the deploy, naming it,
# and is left exactly as it was; the release id is not used up.
t lock-held-refused
rel lock-2 g
lockbody r-other other-host:777:cafe00000002 -60 3600 >"$T/lock-held"
expect_eq plant-held-lock "$(s3req PUT "$PFX/lock" "$T/lock-held")" 200
snap
SINCE=$(last_seq)
deploy lock-2 g
expect_rc 1
expect_has "deploy lock-2: FAILED"
expect_err_has "Deploy.Lock"
expect_err_has "acme/hello production is locked by other-host:777:cafe00000002 for release r-other"
expect_lacks "==> ValidateResources"
expect_unchanged
expect_etag lock-left-in-place "$PFX/lock" "$T/lock-held"
expect_eq writes "$(calls "$SINCE" 'writes()')" "[\"PUT /$B/$PFX/lock 412\"]"
expect_no_updates "$SINCE"
# The holder is done with it (deleted by hand): the same release deploys.
t lock-held-then-freed
expect_eq delete-held-lock "$(s3req DELETE "$PFX/lock")" 204
deploy lock-2 g
expect_rc 0
expect_has "deploy lock-2: Deployed"
expect_deployed lock-2 g
expect_no_lock

# ================================================================ 3. freeze
t frozen-refused
rel frz-1 h
NOW=$(date +%s)
printf '{"by":"alice@ops","reason":"incident INC-42: no deploys until the postmortem","at":"%s"}' \
	"$(iso "$NOW")" >"$T/freeze"
expect_eq plant-freeze "$(s3req PUT "$PFX/freeze" "$T/freeze")" 200
snap
SINCE=$(last_seq)
deploy frz-1 h
expect_rc 1
expect_has "deploy frz-1: FAILED"
expect_err_has "Deploy.Lock"
expect_err_has "acme/hello production is frozen by alice@ops since $(iso "$NOW"): incident INC-42: no deploys until the postmortem"
expect_lacks "==> ValidateResources"
expect_unchanged
expect_no_lock
expect_eq release-prefix "$(state "keys('$PFX/frz-1/')")" "[]"
expect_eq writes "$(calls "$SINCE" 'writes()')" "[]"
expect_no_updates "$SINCE"
t unfrozen-deploys
expect_eq delete-freeze "$(s3req DELETE "$PFX/freeze")" 204
deploy frz-1 h
expect_rc 0
expect_has "deploy frz-1: Deployed"
expect_deployed frz-1 h
expect_no_lock

# ================================================================ 4. replays
# 4a: the release deployed last (frz-1), submitted again as it was, then
# with the same id but another zip and definition: refused at Lock before
# any change, and nothing under its prefix is touched.
replay_case() {	# replay_case RID ZIP
	snap
	SINCE=$(last_seq)
	deploy "$1" "$2"
	expect_rc 1
	expect_has "deploy $1: FAILED"
	expect_err_has "Deploy.Lock"
	expect_err_has "release $1 of acme/hello production was submitted before"
	expect_lacks "==> Upload"
	expect_lacks "==> UpdateLambda"
	expect_unchanged
	expect_no_lock
	expect_no_updates "$SINCE"
	# Its only writes: the lock, taken and given back, and the refused
	# claim of release.json.
	expect_eq writes "$(calls "$SINCE" '[w for w in writes() if not w.split()[1].endswith("/production/lock")]')" \
	    "[\"PUT /$B/$PFX/$1/release.json 412\"]"
	expect_eq lock-writes "$(calls "$SINCE" '[w.split()[0] + " " + w.split()[2] for w in writes() if w.split()[1].endswith("/production/lock")][-1:]')" \
	    '["DELETE 204"]'
}
t replay-after-deploy
replay_case frz-1 h
t replay-same-id-other-content
cp "$T/frz-1.json" "$T/frz-1.orig.json"
rel frz-1 a
replay_case frz-1 a
mv "$T/frz-1.orig.json" "$T/frz-1.json"
expect_deployed frz-1 h

# 4b: a release that failed and was rolled back cannot be tried again
# under the same id.
t replay-after-rollback
rel rb-1 b
snap
control POST faults '{"faults":[{"op":"states:UpdateStateMachine","fault":"error","status":400,"code":"InvalidDefinition","message":"injected by test_scenarios","times":1}]}' >/dev/null
deploy rb-1 b
control DELETE faults >/dev/null
expect_rc 1
expect_has "==> Rollback"
expect_err_has "Deploy.UpdateStateMachine"
expect_eq rolled-back-code "$(state 'fn("acme-hello")["CodeSha256"]')" "$SNAP_SHA"
expect_eq rolled-back-definition "$(state 'canon(sm("acme-hello")["definition"])')" "$SNAP_DEF"
expect_no_lock
replay_case rb-1 b

# ================================================================ 5. zip hash mismatch
# rb-1's zip is b.zip; hm-1 says c.zip's hash but is given d.zip.
t zip-hash-mismatch
rel hm-1 d c
snap
SINCE=$(last_seq)
deploy hm-1 d
expect_rc 1
expect_has "deploy hm-1: FAILED"
expect_err_has "Deploy.Validate"
expect_err_has "is not the release's lambda_sha256 $(sha256sum "$T/c.zip" | cut -d' ' -f1)"
expect_lacks "==> Lock"
expect_unchanged
expect_no_lock
expect_eq release-prefix "$(state "keys('$PFX/hm-1/')")" "[]"
expect_eq calls "$(calls "$SINCE" '[x["op"] for x in c]')" "[]"
# Nothing was used up: with the zip it names, the release deploys.
t zip-hash-match-deploys
deploy hm-1 c
expect_rc 0
expect_has "deploy hm-1: Deployed"
expect_deployed hm-1 c
expect_no_lock

# ================================================================ 6. throttling and 5xx, retried
# Faults "before" (not applied): every call is retried and succeeds.
t retried-throttle-and-5xx
rel rt-1 e
SINCE=$(last_seq)
control POST faults '{"faults":[
 {"op":"s3:PutObject","path":"/production/lock","fault":"throttle","times":2},
 {"op":"s3:PutObject","path":"/release.json","fault":"500","times":1},
 {"op":"s3:PutObject","path":"/lambda.zip","fault":"500","times":2},
 {"op":"s3:PutObject","path":"/previous.zip","fault":"throttle","times":1},
 {"op":"lambda:UpdateFunctionCode","fault":"throttle","times":2},
 {"op":"lambda:GetFunctionConfiguration","fault":"500","times":2},
 {"op":"states:UpdateStateMachine","fault":"500","times":2},
 {"op":"states:DescribeStateMachine","fault":"throttle","times":1},
 {"op":"s3:DeleteObject","path":"/production/lock","fault":"500","times":1}]}' >/dev/null
deploy rt-1 e
expect_rc 0
expect_has "deploy rt-1: Deployed"
expect_lacks "==> Rollback"
expect_err_has "try 2 of 5"
expect_err_has "try 3 of 5"
expect_eq all-fired "$(control GET faults | "$PY" -c 'import json,sys
r = json.load(sys.stdin)["faults"]
print("yes" if all(x["fired"] == x["times"] for x in r) else json.dumps([(x["op"], x.get("path"), x["fired"]) for x in r]))')" yes
control DELETE faults >/dev/null
expect_deployed rt-1 e
expect_no_lock
expect_eq lock-put "$(calls "$SINCE" 'st("PutObject", "/production/lock")[:3]')" "[503, 503, 200]"
expect_eq lock-renewals "$(calls "$SINCE" 'all(s == 200 for s in st("PutObject", "/production/lock")[3:])')" true
expect_eq release-json-put "$(calls "$SINCE" 'st("PutObject", "/rt-1/release.json")')" "[500, 200]"
expect_eq lambda-zip-put "$(calls "$SINCE" 'st("PutObject", "/rt-1/lambda.zip")')" "[500, 500, 200]"
expect_eq previous-zip-put "$(calls "$SINCE" 'st("PutObject", "/rt-1/previous.zip")')" "[503, 200]"
expect_eq update-function-code "$(calls "$SINCE" 'st("UpdateFunctionCode")')" "[429, 429, 200]"
expect_eq get-function-configuration "$(calls "$SINCE" 'st("GetFunctionConfiguration")[:3]')" "[500, 500, 200]"
expect_eq get-function-configuration-ok "$(calls "$SINCE" 'all(s == 200 for s in st("GetFunctionConfiguration")[2:])')" true
expect_eq update-state-machine "$(calls "$SINCE" 'st("UpdateStateMachine")')" "[500, 500, 200]"
expect_eq describe-state-machine "$(calls "$SINCE" 'st("DescribeStateMachine")[:2]')" "[400, 200]"
expect_eq lock-delete "$(calls "$SINCE" 'st("DeleteObject", "/production/lock")')" "[500, 204]"

# A 5xx the server answers after it applied the call (as S3 and Lambda
# may): the retry meets its own write. DESIGN.md: "throttling and 5xx
# are retried ...; the calls are idempotent or guarded by the journal".
# apply5xx NAME FAULT-JSON: deploy a fresh release (a zip other than the
# one deployed) with that one fault; APPLY_OK=1 when it exited 0 and left
# its code and definition in place, with no lock.
N=0
apply5xx() {
	local name=$1 rule=$2 rid i cur
	N=$((N + 1)); rid=ap-$N
	t "retried-5xx-after-applied-$name"
	cur=$(state 'fn("acme-hello")["CodeSha256"]')
	for i in a b c d e f g h; do
		ZIP=$i
		[ "$(b64sha256 "$T/$ZIP.zip")" != "$cur" ] && break
	done
	rel "$rid" "$ZIP"
	snap
	control POST faults "{\"faults\":[$rule]}" >/dev/null
	deploy "$rid" "$ZIP"
	FIRED=$(control GET faults | "$PY" -c 'import json,sys; print(sum(x["fired"] for x in json.load(sys.stdin)["faults"]))')
	control DELETE faults >/dev/null
	expect_eq fault-fired "$FIRED" 1
	APPLY_OK=0
	if [ "$RC" = 0 ] &&
	    [ "$(state 'fn("acme-hello")["CodeSha256"]')" = "$(b64sha256 "$T/$ZIP.zip")" ] &&
	    [ "$(state 'canon(sm("acme-hello")["definition"])')" = "$(reldef "$rid")" ] &&
	    [ "$(state 'has_lock()')" = false ]; then
		APPLY_OK=1
	else
		# Failed: then at least safely, with what was there before
		# (rolled back if anything had changed) and no lock.
		expect_eq failed-code-is-previous "$(state 'fn("acme-hello")["CodeSha256"]')" "$SNAP_SHA"
		expect_eq failed-definition-is-previous "$(state 'canon(sm("acme-hello")["definition"])')" "$SNAP_DEF"
		expect_no_lock
	fi
	WHY=$(printf '%s\n' "$ERR" | { grep -o 'stepdeploy deploy: .*' || true; } | tail -n 1 | cut -c1-240)
}
applied_ok() { if [ "$APPLY_OK" = 1 ]; then ok; else bad "not deployed: exit $RC: $WHY"; fi; }
# The lock and release.json go through lock.c's cond_put, which reads
# back what a retried conditional write finds; UpdateStateMachine is
# idempotent; a retried DELETE If-Match that finds nothing is success.
apply5xx lock-put '{"op":"s3:PutObject","path":"/production/lock","fault":"500","when":"after","times":1}'
applied_ok
apply5xx release-json-put '{"op":"s3:PutObject","path":"/release.json","fault":"500","when":"after","times":1}'
applied_ok
apply5xx update-state-machine '{"op":"states:UpdateStateMachine","fault":"500","when":"after","times":1}'
applied_ok
apply5xx lock-delete '{"op":"s3:DeleteObject","path":"/production/lock","fault":"500","when":"after","times":1}'
applied_ok
# lambda.zip and previous.zip (deploy_tasks.c t_upload, t_snapshot) are
# plain PUTs under the release's own prefix, which the claim of its
# release.json keeps to this deploy: the retry writes the same bytes again.
apply5xx lambda-zip-put '{"op":"s3:PutObject","path":"/lambda.zip","fault":"500","when":"after","times":1}'
applied_ok
apply5xx previous-zip-put '{"op":"s3:PutObject","path":"/previous.zip","fault":"500","when":"after","times":1}'
applied_ok
# UpdateFunctionCode carries the snapshot's RevisionId: once applied, the
# retry's is stale and refused; the uploader then reads the function back
# and takes the update as done when it already has the release's code.
apply5xx update-function-code '{"op":"lambda:UpdateFunctionCode","fault":"500","when":"after","times":1}'
applied_ok

# ================================================================ 7. a stale holder
# A deploy stalls past its lease (its UpdateFunctionCode answer held by the
# stand-in) while another deployer takes the lock over. When it wakes it
# changes nothing more: UpdateStateMachine's lease renewal fails, and its
# rollback refuses too - restoring its snapshot would overwrite what the
# new holder is doing. The live definition still names the old version;
# the new code sits in $LATEST only. Its journal stays in flight (reported
# by every recovery) until an operator abandons it.
t stale-holder
rel stale-1 i
snap
control POST faults '{"faults":[{"op":"lambda:UpdateFunctionCode","fault":"pause","when":"after","times":1}]}' >/dev/null
bg_deploy stale-1 i; P1=$BG_PID
HELD=$(control GET 'paused?wait=60&kind=pause' | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["paused"]))')
expect_eq update-held "$HELD" 1
lockbody other-release newer-holder:7:beef -1 600 >"$T/newer-lock"
expect_eq takeover "$(s3req PUT acme/hello/production/lock "$T/newer-lock")" 200
control POST release '{}' >/dev/null
control DELETE faults >/dev/null
bg_wait stale-1 "$P1"
expect_rc 1
expect_err_has "Deploy.RollbackFailed"
expect_err_has "not rolling back"
expect_lacks "==> Verify"
expect_eq definition-unchanged "$(state 'canon(sm("acme-hello")["definition"])')" "$SNAP_DEF"
expect_eq newer-lock-kept "$(s3get acme/hello/production/lock)" "$(cat "$T/newer-lock")"
recover
expect_rc 1
expect_has "recover stale-1: Failed"
expect_has "newer-holder:7:beef"
run "$SD" recover --abandon stale-1 --reason "the newer holder owns it" --journal-dir "$T/j"
expect_rc 0
run "$SD" unlock acme/hello production --force --reason "test_scenarios: newer holder gone" \
	--policy "$T/policy.json" --signer "$SOCK"
expect_rc 0
expect_no_lock

# ================================================================ the journals
# Every deploy above ended (deployed, refused or rolled back): none is
# left in flight for the next one to recover, and the next one deploys.
t no-journal-left-in-flight
LAST_ZIP=a
[ "$(state 'fn("acme-hello")["CodeSha256"]')" != "$(b64sha256 "$T/a.zip")" ] || LAST_ZIP=b
rel last-1 "$LAST_ZIP"
deploy last-1 "$LAST_ZIP"
expect_rc 0
expect_has "deploy last-1: Deployed"
expect_lacks "recover "
expect_deployed last-1 "$LAST_ZIP"
expect_no_lock

up_end
