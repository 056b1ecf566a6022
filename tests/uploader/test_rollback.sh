#!/usr/bin/env bash
# tests/uploader/test_rollback.sh: `stepdeploy rollback` (redeploy the
# release before the current one, or --to one of the history, under a new
# release id), `stepdeploy halt` (a running deploy stops at its next step
# and rolls back) and `stepdeploy recover` with nothing to do, against the
# stand-in through the signer. Last line "N passed, M failed".
NAME=test_rollback
source "$(dirname "$0")/lib.sh"

up_start --update-delay 0.2
SHA_B=$(b64sha256 "$T/b.zip") SHA_C=$(b64sha256 "$T/c.zip")
DEF1=$(canon_file "$T/r-1-def.json") DEF2=$(canon_file "$T/r-2-def.json")
live() { echo "$(state 'fn("acme-hello")["CodeSha256"]') $(state 'canon(sm("acme-hello")["definition"])')"; }
history() { jget "$(s3get acme/hello/production/deployed.json)" '" ".join(h["release_id"] for h in v["history"])'; }

t rollback-no-history
run "$SD" rollback acme/hello production --policy "$T/policy.json" --signer "$SOCK" --journal-dir "$T/j"
expect_rc 1
expect_err_has "no deploy history"

t two-deploys
deploy r-1 b
expect_rc 0
deploy r-2 c
expect_rc 0
expect_eq live "$(live)" "$SHA_C $DEF2"
expect_eq history "$(history)" "r-2 r-1"

t rollback-to-previous
run "$SD" rollback acme/hello production --policy "$T/policy.json" --signer "$SOCK" --journal-dir "$T/j"
expect_rc 0
expect_has "from r-2 to r-1"
expect_has "==> Verify"
expect_eq live "$(live)" "$SHA_B $DEF1"
H=$(history)
case $H in "r-1.rollback-"*" r-2 r-1") ok ;; *) bad "history: $H" ;; esac
expect_eq lock-held "$(state 'has_lock()')" false

t rollback-to-named
run "$SD" rollback acme/hello production --to r-2 --policy "$T/policy.json" --signer "$SOCK" --journal-dir "$T/j"
expect_rc 0
expect_eq live "$(live)" "$SHA_C $DEF2"

t rollback-to-unknown
run "$SD" rollback acme/hello production --to r-9 --policy "$T/policy.json" --signer "$SOCK" --journal-dir "$T/j"
expect_rc 1
expect_err_has "r-9 is not in the deploy history"
expect_eq live "$(live)" "$SHA_C $DEF2"

t rollback-bad-usage
run "$SD" rollback acme/hello --policy "$T/policy.json" --signer "$SOCK"
expect_rc 2
run "$SD" rollback acme/other production --policy "$T/policy.json" --signer "$SOCK"
expect_rc 2
expect_err_has "not a project and config of the policy"

# ---------------------------------------------------------------- halt
t halt-running-deploy
mkrel h-1 r-1
control POST faults '{"faults":[{"op":"lambda:UpdateFunctionCode","fault":"pause","when":"after","times":1}]}' >/dev/null
"$SD" deploy --release "$T/h-1.json" --zip "$T/b.zip" --policy "$T/policy.json" \
	--signer "$SOCK" --journal-dir "$T/j" >"$T/h.out" 2>"$T/h.err" &
DPID=$!
BG_PIDS+=("$DPID")
control GET 'paused?wait=60' >/dev/null
run "$SD" halt h-1 --reason "bad build" --journal-dir "$T/j"
expect_rc 0
expect_has "halt h-1: requested by"
run "$SD" halt h-1 --journal-dir "$T/j"
expect_rc 0
expect_has "already requested"
control POST release >/dev/null
control DELETE faults >/dev/null
set +e; wait "$DPID"; RC=$?; set -e
OUT=$(cat "$T/h.out") ERR=$(cat "$T/h.err") CMD="deploy h-1 (halted)"
expect_rc 1
expect_err_has "Deploy.Halted"
expect_err_has "bad build"
expect_has "==> Rollback"
expect_lacks "==> UpdateStateMachine"
expect_eq live "$(live)" "$SHA_C $DEF2"
expect_eq lock-held "$(state 'has_lock()')" false

t halt-not-running
run "$SD" halt h-1 --journal-dir "$T/j"
expect_rc 1
expect_err_has "has ended"
run "$SD" halt nope --journal-dir "$T/j"
expect_rc 1
expect_err_has "no journal"
run "$SD" halt 'a/b' --journal-dir "$T/j"
expect_rc 2
run "$SD" halt
expect_rc 2

t recover-nothing
recover
expect_rc 0
expect_has "no release in flight"

# ---------------------------------------------------------------- --json
# One JSON object on stdout (the steps on stderr), for CI.
t deploy-json
mkrel j-1 r-1
run "$SD" deploy --json --release "$T/j-1.json" --zip "$T/b.zip" --policy "$T/policy.json" \
	--signer "$SOCK" --journal-dir "$T/j"
expect_rc 0
expect_eq json "$(jget "$OUT" '(v["release_id"], v["status"], [s["state"] for s in v["steps"]][-1], v["journal"].endswith("/j-1.journal"))')" '["j-1", "Deployed", "ReleaseLock", true]'
expect_err_has "==> Verify"
t deploy-json-failed
mkrel j-2 r-2
control POST faults '{"faults":[{"op":"UpdateStateMachine","fault":"error","status":400,"code":"InvalidDefinition","message":"injected by test_rollback","times":1}]}' >/dev/null
run "$SD" deploy --json --release "$T/j-2.json" --zip "$T/c.zip" --policy "$T/policy.json" \
	--signer "$SOCK" --journal-dir "$T/j"
control DELETE faults >/dev/null
expect_rc 1
expect_eq json "$(jget "$OUT" '(v["status"], v["error"], "injected by test_rollback" in v["cause"])')" '["RolledBack", "Deploy.UpdateStateMachine", true]'
t rollback-json
PREV=$(history | cut -d' ' -f2)
run "$SD" rollback acme/hello production --json --policy "$T/policy.json" --signer "$SOCK" --journal-dir "$T/j"
expect_rc 0
expect_eq json "$(jget "$OUT" '(v["rollback_from"], v["rollback_to"], v["status"])')" "[\"j-1\", \"$PREV\", \"Deployed\"]"
t recover-json
run "$SD" recover --json --policy "$T/policy.json" --signer "$SOCK" --journal-dir "$T/j"
expect_rc 0
expect_eq json "$OUT" '{"recovered":[]}'

up_end
