#!/usr/bin/env bash
# tests/service/test_audit.sh: the audit trail of the whole service — the
# logs `stepdeploy audit init` makes for the validator, the uploader (small
# epochs, so its key evolves several times) and the signer; what `audit
# show` says after a deploy, a refusal and a rollback; `audit verify` with
# the keys kept "off the host", also against the heads recorded in S3;
# and each tampering detected and named: an edited field, a deleted, an
# inserted, two swapped lines, a tail cut after a deploy (--against-s3),
# a line re-signed with a later epoch's key (CVE-2023-31439's case), an
# earlier epoch rewritten by whoever holds the current seed; a torn last
# line reported as a crash; and no secret in any log, journal or spool.
#
#   bash tests/service/test_audit.sh	(STEPDEPLOY and the daemons override)
set -euo pipefail
NAME=test_audit
source "$(dirname "$0")/lib.sh"
FORGE=$SVC_HERE/audit_forge.py
if ! "$PY" -c 'import cryptography' 2>/dev/null; then
	echo "SKIP: $NAME: the forgeries need python3-cryptography (make deps)"
	echo "0 passed, 0 failed"
	exit 0
fi

t init
mkdir -p "$T/val" "$T/up"
run "$SD" audit init "$T/val/audit.log" --process validator
expect_rc 0
KV=$OUT
run "$SD" audit init "$T/up/audit.log" --process uploader --epoch-entries 8
expect_rc 0
KU=$OUT
run "$SD" audit init "$T/signer-audit.log" --process signer
expect_rc 0
KS=$OUT
expect_eq key-shape "$(printf "%s\n" "$KV" "$KU" "$KS" | grep -cE "^[0-9a-f]{64}$" || true)" 3
expect_err_has "Keep it off this host"
run "$SD" audit init "$T/val/audit.log" --process validator
expect_rc 1
expect_err_has "exists already"
SIGNER_AUDIT=$T/signer-audit.log
svc_start
xy_fixtures
echo '[{"name": "calls the Lambda", "mocks": {"Call": {"result": {"ok": true}}},
  "expected": {"status": "SUCCEEDED"}}]' >"$T/tests-xy.json"
echo '[{"name": "expects a failure", "mocks": {"Call": {"result": {"ok": true}}},
  "expected": {"status": "FAILED"}}]' >"$T/tests-xyfail.json"
LOGS=("$T/val/audit.log" "$T/up/audit.log" "$T/signer-audit.log")
KEYS=(--key "$KV" --key "$KU" --key "$KS")

t deploys
mkrel a1 x
submit a1 b xy
expect_rc 0
mkrel a2 y
submit a2 c xyfail
expect_rc 1
mkrel a3 y
control POST faults '{"faults":[{"op":"states:UpdateStateMachine","fault":"error","status":400,"code":"InvalidDefinition","message":"injected","times":1}]}' >/dev/null
submit a3 c xy
expect_rc 1
expect_has "rolled back"
control DELETE faults >/dev/null
# The uploader restarted: its log goes on, one chain.
kill "$UPLOADER_PID"; wait "$UPLOADER_PID" 2>/dev/null || true
svc_uploader
mkrel a4 y
submit a4 c xy
expect_rc 0

t verify
run "$SD" audit verify "${KEYS[@]}" "${LOGS[@]}"
expect_rc 0
expect_eq ok-lines "$(echo "$OUT" | grep -c ': ok: ')" 3
EPOCHS=$(echo "$OUT" | sed -n 's/.*audit.log: ok: [0-9]* lines, \([0-9]*\) epoch.*(uploader).*/\1/p')
expect_eq uploader-epochs "$([ "${EPOCHS:-0}" -ge 3 ] && echo ">=3" || echo "$EPOCHS")" ">=3"
run "$SD" audit verify --key "$KS" "$T/val/audit.log"
expect_rc 1
expect_has "the whole log was replaced"

t show
run "$SD" audit show "${LOGS[@]}"
expect_rc 0
expect_has "submit.received"
echo "$OUT" | grep -E "validator +$(id -u) +a1 +submit.received" >/dev/null && ok || bad "no submit.received of a1 by uid $(id -u)"
echo "$OUT" | grep -E "validator .* a2 +submit.verdict +Refused" >/dev/null && ok || bad "no Refused verdict of a2"
echo "$OUT" | grep -E "validator .* a2 +submit.tests +failed" >/dev/null && ok || bad "no failed tests of a2"
echo "$OUT" | grep -E "uploader .* a3 +deploy.finished +RolledBack" >/dev/null && ok || bad "no rollback of a3"
echo "$OUT" | grep -E "uploader .* a1 +deploy.step +done .*\"step\":\"UpdateLambda\"" >/dev/null && ok || bad "no UpdateLambda step of a1"
echo "$OUT" | grep -E "signer .* sign +issued .*lambda:UpdateFunctionCode" >/dev/null && ok || bad "no signature of UpdateFunctionCode"
echo "$OUT" | grep -E "uploader .* audit.epoch" >/dev/null && ok || bad "no epoch change shown"
"$PY" -c 'import sys; t = [l[:24] for l in sys.stdin.read().splitlines()[1:]]; sys.exit(t != sorted(t))' <<<"$OUT" && ok || bad "not in time order"
run "$SD" audit show --release a1 --json "${LOGS[@]}"
expect_rc 0
expect_eq only-a1 "$(echo "$OUT" | "$PY" -c 'import json,sys; print(sorted({json.loads(l)["release"] for l in sys.stdin}))')" "['a1']"
run "$SD" audit show --process signer "${LOGS[@]}"
expect_eq only-signer "$(echo "$OUT" | tail -n +2 | awk '{print $2}' | sort -u)" signer

t against-s3
run "$SD" audit verify "${KEYS[@]}" --against-s3 --policy "$T/policy.json" --signer "$SOCK" "${LOGS[@]}"
expect_rc 0
expect_has "all in the logs"
expect_lacks "S3: 0 recorded"

t operator
# Break-glass work in the foreground goes in the operator's log.
mkrel op1 x
run "$SD" deploy --release "$T/op1.json" --zip "$T/b.zip" --policy "$T/policy.json" \
    --signer "$SOCK" --journal-dir "$T/j" --audit-log "$T/operator.log"
expect_rc 0
expect_err_has "made the audit log $T/operator.log"
run "$SD" freeze acme/hello production --reason "audit test" --policy "$T/policy.json" \
    --signer "$SOCK" --audit-log "$T/operator.log"
expect_rc 0
run "$SD" unfreeze acme/hello production --policy "$T/policy.json" \
    --signer "$SOCK" --audit-log "$T/operator.log"
expect_rc 0
run "$SD" audit show "$T/operator.log"
echo "$OUT" | grep -E "operator +$(id -u) +op1 +deploy.finished +Deployed" >/dev/null && ok || bad "no deploy of op1 in the operator's log"
echo "$OUT" | grep -E "operator +$(id -u) +- +freeze +ok .*\"reason\":\"audit test\"" >/dev/null && ok || bad "no freeze in the operator's log"
echo "$OUT" | grep -E "operator +$(id -u) +- +unfreeze +ok" >/dev/null && ok || bad "no unfreeze in the operator's log"
run "$SD" audit verify "$T/operator.log"
expect_rc 0

# ------------------------------------------------ tampering
mkdir "$T/x"
tamper() {	# tamper NAME: $T/x/NAME.log (and .key), a copy of the uploader's
	cp "$T/up/audit.log" "$T/x/$1.log"
	cp "$T/up/audit.log.key" "$T/x/$1.log.key"
	echo "$T/x/$1.log"
}
verify_bad() {	# verify_bad LOG WORDS: exit 1 naming the line and WORDS
	run "$SD" audit verify --key "$KU" "$1"
	expect_rc 1
	expect_has "$2"
}

t edited
L=$(tamper edited)
sed -i '10s/"outcome":"[a-z]*"/"outcome":"done!"/' "$L"
verify_bad "$L" "$L:10: its signature does not verify under epoch"
expect_has "edited"

t deleted
L=$(tamper deleted)
sed -i '6d' "$L"
verify_bad "$L" "$L:6: seq 7 where 6 was due: 1 line(s) deleted"

t inserted
L=$(tamper inserted)
sed -i '5p' "$L"
verify_bad "$L" "$L:6: seq 5 where 6 was due: a line inserted, repeated or moved"

t swapped
L=$(tamper swapped)
sed -i -n '5{h;n;p;g;p;b};p' "$L"
verify_bad "$L" "$L:5: seq 6 where 5 was due"
expect_has "reordered"

t truncated-after-deploy
# A prefix of a log is a valid log: only S3's recorded head shows the cut.
L=$(tamper truncated)
N=$(wc -l <"$L")
head -n $((N - 12)) "$T/up/audit.log" >"$L"
run "$SD" audit verify --key "$KU" "$L"
expect_rc 0
run "$SD" audit verify --key "$KU" --against-s3 --policy "$T/policy.json" --signer "$SOCK" "$L"
expect_rc 1
expect_has "TRUNCATED: the deploy of a4 recorded its head"

t resigned-with-a-later-epoch
# CVE-2023-31439's case: an old line edited and signed again with the
# current key, which the attacker holds.
L=$(tamper resigned)
run "$PY" "$FORGE" resign "$L" 3
expect_rc 0
verify_bad "$L" "$L:3: signed with epoch"
expect_has "but it belongs to epoch 0 (re-signed with another epoch's key)"

t earlier-epoch-rewritten
# Everything from epoch 1 on rewritten with the current seed, chain and
# signatures made anew: epoch 0's lines still verify, the forgery fails at
# its first line (epoch 1's, which only epoch 0's key could vouch for).
L=$(tamper rewritten)
FIRST1=$(grep -n '"epoch":1,' "$L" | head -1 | cut -d: -f1)
run "$PY" "$FORGE" rewrite "$L" 1
expect_rc 0
verify_bad "$L" "$L:$FIRST1: signed with epoch"
head -n $((FIRST1 - 1)) "$L" >"$T/x/epoch0.log"
run "$SD" audit verify --key "$KU" "$T/x/epoch0.log"
expect_rc 0

t torn-tail
L=$(tamper torn)
printf '{"seq":%d,"time":"2026' "$(($(wc -l <"$L") + 1))" >>"$L"
run "$SD" audit verify --key "$KU" "$L"
expect_rc 0
expect_has "its last line is torn (a crash while it was written)"

t no-secrets
# The signer's secret key nowhere in what the service wrote.
HITS=$(grep -rlF -- "$SK" "$T/val" "$T/up" "$T/signer-audit.log" "$T"/*.log 2>/dev/null || true)
expect_eq secret-in "${HITS:-none}" none
HITS=$(grep -rlF -- "$SK" "$T/j" 2>/dev/null || true)
expect_eq secret-in-journals "${HITS:-none}" none

t audit-still-verifies
run "$SD" audit verify "${KEYS[@]}" "${LOGS[@]}"
expect_rc 0

up_end
