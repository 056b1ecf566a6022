#!/usr/bin/env bash
# tests/service/test_two_hosts.sh: two build hosts — two complete service
# instances, each with its own runtime directory, spool, journals and
# signer — deploying to one account (one stand-in) at once. Per config
# only one deploys at a time (the stand-in's calls log shows no two
# holders of a lock); the other waits its turn or is refused naming the
# holder; every submit ends deployed or refused so, none lost, and the
# account ends as the release deployed last, whole.
#
#   bash tests/service/test_two_hosts.sh	(STEPDEPLOY and the daemons override)
set -euo pipefail
NAME=test_two_hosts
ME=$(id -u)
ROUNDS=${ROUNDS:-4}
ARN_L=arn:aws:lambda:us-east-1:000000000000:function
ARN_S=arn:aws:states:us-east-1:000000000000:stateMachine
POLICY_EXTRA=$(cat <<JSON
{"sockets": {"submit": [$ME], "exec": [$ME], "deploy": [$ME], "sign": [$ME]},
 "projects": {"acme/hello": {"submitters": [$ME], "configs": ["production", "staging"],
   "lambda_arns": ["$ARN_L:acme-hello", "$ARN_L:acme-hello-staging"],
   "state_machine_arns": ["$ARN_S:acme-hello", "$ARN_S:acme-hello-staging"]}}}
JSON
)
source "$(dirname "$0")/lib.sh"

svc_start	# host a, in $T
declare -A HOST_DIR=([a]=$T [b]=$T/b)
mkdir -m 711 "$T/b"
svc_host "$T/b"
svc_signer
svc_daemons
svc_host "$T"

t seed-staging
run "$STANDIN" seed --dir "$T/state" \
    --function acme-hello-staging --zip "$T/a.zip" \
    --tag ProjectName=acme/hello --tag ConfigName=staging --tag DeployWith=stepdeploy \
    --state-machine acme-hello-staging --definition "$T/def1.json" \
    --tag ProjectName=acme/hello --tag ConfigName=staging --tag DeployWith=stepdeploy
expect_rc 0

# Release HOST-CONFIG-N: its own definition (a state named after it), the
# zips alternating between the hosts.
"$PY" - "$T" "$ROUNDS" <<'PYEOF'
import hashlib, json, os, sys
t, n = sys.argv[1], int(sys.argv[2])
base = json.load(open(os.path.join(t, "r-1.json")))
for h, z in (("a", "b"), ("b", "c")):
    for cfg in ("production", "staging"):
        for k in range(1, n + 1):
            rid = "%s-%s-%d" % (h, cfg, k)
            name = "acme-hello" + ("" if cfg == "production" else "-staging")
            st = "S_" + rid.replace("-", "_")
            r = dict(base, release_id=rid, config_name=cfg, lambda_name=name,
                     step_fn_name=name,
                     lambda_sha256=hashlib.sha256(open(os.path.join(t, z + ".zip"), "rb").read()).hexdigest(),
                     state_machine={"StartAt": st, "States": {st: {"Type": "Succeed"}}})
            json.dump(r, open(os.path.join(t, rid + ".json"), "w"))
PYEOF
declare -A HOST_ZIP=([a]=b [b]=c)

# Each lock held long enough for the other host to find it taken.
control POST faults '{"faults":[{"op":"lambda:UpdateFunctionCode","fault":"delay","seconds":0.4,"times":1000}]}' >/dev/null
SEQ=$(last_seq)

t both-at-once
# Each round: both hosts submit both configs at the same moment.
go() {	# go HOST RID
	local h=$1 rid=$2 rc=0
	"$SD" submit --release "$T/$rid.json" --zip "$T/${HOST_ZIP[$h]}.zip" \
	    --tests "$T/tests-ok.json" --socket "${HOST_DIR[$h]}/submit.sock" \
	    >"$T/$rid.out" 2>"$T/$rid.err" || rc=$?
	echo "$rid $rc" >>"$T/rounds.rc"
}
for k in $(seq 1 "$ROUNDS"); do
	P=()
	for h in a b; do for cfg in production staging; do
		go "$h" "$h-$cfg-$k" & P+=($!); BG_PIDS+=($!)
	done; done
	for p in "${P[@]}"; do wait "$p" || true; done
done
control DELETE faults >/dev/null
TOTAL=$((ROUNDS * 4))
expect_eq submits "$(wc -l <"$T/rounds.rc")" "$TOTAL"

t each-deployed-or-refused
DEPLOYED=0 REFUSED=0
while read -r rid rc; do
	h=${rid%%-*} rest=${rid#*-}
	cfg=${rest%-*} k=${rest##*-}
	other=$([ "$h" = a ] && echo b || echo a)-$cfg-$k
	if [ "$rc" = 0 ] && grep -q "^deployed $rid" "$T/$rid.out"; then
		DEPLOYED=$((DEPLOYED + 1))
	elif [ "$rc" = 1 ] && grep -q "is locked by .* for release $other" "$T/$rid.out" "$T/$rid.err"; then
		REFUSED=$((REFUSED + 1))
	else
		bad "$rid: exit $rc, neither deployed nor refused naming the holder: $(tail -n 4 "$T/$rid.out" "$T/$rid.err")"
	fi
done <"$T/rounds.rc"
expect_eq accounted "$((DEPLOYED + REFUSED))" "$TOTAL"
# Every round of every config deployed at least once; the hosts met.
expect_eq per-round "$([ "$DEPLOYED" -ge $((ROUNDS * 2)) ] && echo yes || echo "no: $DEPLOYED")" yes
expect_eq contended "$([ "$REFUSED" -ge 1 ] && echo yes || echo "no refusal at all")" yes
echo "two hosts: $DEPLOYED deployed, $REFUSED refused naming the holder"

t status-per-host
# Each host's uploader knows its own releases, and only those.
for h in a b; do
	"$SD" status --socket "${HOST_DIR[$h]}/deploy.sock" --json >"$T/status-$h.json"
done
expect_eq status "$("$PY" - "$T" <<'PYEOF'
import json, sys
t = sys.argv[1]
rc = dict(l.split() for l in open(t + "/rounds.rc"))
bad = []
for h in "ab":
    st = {x["release_id"]: x for x in json.load(open("%s/status-%s.json" % (t, h)))["releases"]}
    for rid, code in rc.items():
        mine = rid.startswith(h + "-")
        if mine != (rid in st):
            bad.append("%s %s on host %s" % (rid, "missing" if mine else "shown", h))
        elif mine:
            s = st[rid]
            want = "Deployed" if code == "0" else None
            if s["state"] != "done" or (want and s["result"]["status"] != want) or \
               (not want and s["result"]["status"] == "Deployed"):
                bad.append("%s on %s: %s %s" % (rid, h, s["state"], s.get("result")))
print("; ".join(bad) or "ok")
PYEOF
)" ok

t one-holder-at-a-time
expect_eq locks "$(lock_check "$SEQ" | cut -d' ' -f1)" none
expect_no_lock

t whole
# Each config holds the release of the two hosts' that finished last.
control GET state >"$T/state.json"
expect_eq final "$("$PY" - "$T" <<'PYEOF'
import base64, hashlib, json, sys
t = sys.argv[1]
s = json.load(open(t + "/state.json"))
rel = []
for h in "ab":
    for x in json.load(open("%s/status-%s.json" % (t, h)))["releases"]:
        if x["state"] == "done" and x["result"]["status"] == "Deployed":
            rel.append((x["ended_at"], x["release_id"], h))
bad = []
for cfg, name in (("production", "acme-hello"), ("staging", "acme-hello-staging")):
    _, rid, h = max(r for r in rel if "-%s-" % cfg in r[1])
    r = json.load(open("%s/%s.json" % (t, rid)))
    z = "b" if h == "a" else "c"
    sha = base64.b64encode(hashlib.sha256(open("%s/%s.zip" % (t, z), "rb").read()).digest()).decode()
    f = next(v for k, v in s["lambda"].items() if k.endswith(":" + name))
    m = next(v for k, v in s["states"].items() if k.endswith(":" + name))
    if json.loads(m["definition"]) != r["state_machine"] or f["CodeSha256"] != sha:
        bad.append("%s is not %s" % (cfg, rid))
print("; ".join(bad) or "ok")
PYEOF
)" ok

t own-journals
# Each host journaled its own deploys only.
for h in a b; do
	n=$(ls "${HOST_DIR[$h]}/up/journals" 2>/dev/null | grep -vc "^$h-" || true)
	expect_eq "foreign journals on $h" "$n" 0
done

up_end
