#!/usr/bin/env bash
# tests/service/test_load.sh: the service under load — 50 submits from 5
# concurrent clients over 3 configs (each its own Lambda and state
# machine). Every submit ends deployed (none lost, none half-applied);
# the stand-in's calls log shows no two holders of one config's lock at
# once, and each config ends as exactly the release that finished last
# there; each daemon's RSS after the run is within 20% of its RSS after
# the first submit (no leak per request).
#
#   bash tests/service/test_load.sh	(STEPDEPLOY and the daemons override)
#   CLIENTS=5 PER_CLIENT=10 override the load.
set -euo pipefail
NAME=test_load
ME=$(id -u)
CLIENTS=${CLIENTS:-5}
PER_CLIENT=${PER_CLIENT:-10}
CONFIGS=(production staging qa)
ARN_L=arn:aws:lambda:us-east-1:000000000000:function
ARN_S=arn:aws:states:us-east-1:000000000000:stateMachine
POLICY_EXTRA=$(cat <<JSON
{"sockets": {"submit": [$ME], "exec": [$ME], "deploy": [$ME], "sign": [$ME]},
 "projects": {"acme/hello": {"submitters": [$ME],
   "configs": ["production", "staging", "qa"],
   "lambda_arns": ["$ARN_L:acme-hello", "$ARN_L:acme-hello-staging", "$ARN_L:acme-hello-qa"],
   "state_machine_arns": ["$ARN_S:acme-hello", "$ARN_S:acme-hello-staging", "$ARN_S:acme-hello-qa"]}}}
JSON
)
source "$(dirname "$0")/lib.sh"

svc_start
# The two other configs' function and state machine.
t seed-configs
run "$STANDIN" seed --dir "$T/state" \
    --function acme-hello-staging --zip "$T/a.zip" \
    --tag ProjectName=acme/hello --tag ConfigName=staging --tag DeployWith=stepdeploy \
    --function acme-hello-qa --zip "$T/a.zip" \
    --tag ProjectName=acme/hello --tag ConfigName=qa --tag DeployWith=stepdeploy \
    --state-machine acme-hello-staging --definition "$T/def1.json" \
    --tag ProjectName=acme/hello --tag ConfigName=staging --tag DeployWith=stepdeploy \
    --state-machine acme-hello-qa --definition "$T/def1.json" \
    --tag ProjectName=acme/hello --tag ConfigName=qa --tag DeployWith=stepdeploy
expect_rc 0

# Release lC-K of client C, K-th submit: its config rotates, its zip
# alternates, its definition is its own (a state named after it).
"$PY" - "$T" "$CLIENTS" "$PER_CLIENT" "${CONFIGS[@]}" <<'PYEOF'
import hashlib, json, os, sys
t, nc, nk, configs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
base = json.load(open(os.path.join(t, "r-1.json")))
for c in range(1, nc + 1):
    for k in range(1, nk + 1):
        rid = "l%d-%d" % (c, k)
        cfg = configs[(c + k) % len(configs)]
        z = "b" if (c + k) % 2 else "c"
        r = dict(base)
        st = "S_" + rid.replace("-", "_")
        r.update(release_id=rid, config_name=cfg,
                 lambda_name="acme-hello" + ("" if cfg == "production" else "-" + cfg),
                 step_fn_name="acme-hello" + ("" if cfg == "production" else "-" + cfg),
                 lambda_sha256=hashlib.sha256(open(os.path.join(t, z + ".zip"), "rb").read()).hexdigest(),
                 state_machine={"StartAt": st, "States": {st: {"Type": "Succeed"}}})
        json.dump(r, open(os.path.join(t, rid + ".json"), "w"))
        open(os.path.join(t, rid + ".zipname"), "w").write(z)
PYEOF

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

t first-submit
mkrel warm r-1
submit warm b ok
expect_rc 0
declare -A RSS0
for d in EXECUTOR VALIDATOR UPLOADER; do p=${d}_PID; RSS0[$d]=$(rss "${!p}"); done
SEQ=$(last_seq)

t load
client() {	# client C: its submits in turn, "RID RC" per line
	local c=$1 k rid z rc
	for k in $(seq 1 "$PER_CLIENT"); do
		rid=l$c-$k z=$(cat "$T/$rid.zipname") rc=0
		"$SD" submit --release "$T/$rid.json" --zip "$T/$z.zip" --tests "$T/tests-ok.json" \
		    --socket "$SUBMIT_SOCK" >"$T/$rid.out" 2>"$T/$rid.err" || rc=$?
		echo "$rid $rc" >>"$T/client-$c.rc"
	done
}
CL=()
for c in $(seq 1 "$CLIENTS"); do client "$c" & CL+=($!); BG_PIDS+=($!); done
for p in "${CL[@]}"; do wait "$p" || true; done
TOTAL=$((CLIENTS * PER_CLIENT))
expect_eq submits "$(cat "$T"/client-*.rc | wc -l)" "$TOTAL"
expect_eq deployed "$(cat "$T"/client-*.rc | awk '$2 == 0' | wc -l)" "$TOTAL"
for f in "$T"/client-*.rc; do
	while read -r rid rc; do
		[ "$rc" = 0 ] || bad "$rid: exit $rc: $(tail -n 3 "$T/$rid.out" "$T/$rid.err")"
	done <"$f"
done

t none-lost
# The uploader's own record: every release done and Deployed.
"$SD" status --socket "$DEPLOY_SOCK" --json >"$T/status.json"
expect_eq status-deployed "$("$PY" - "$T/status.json" "$CLIENTS" "$PER_CLIENT" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))["releases"]
nc, nk = int(sys.argv[2]), int(sys.argv[3])
want = {"l%d-%d" % (c, k) for c in range(1, nc + 1) for k in range(1, nk + 1)}
got = {x["release_id"] for x in r if x["state"] == "done" and x.get("result", {}).get("status") == "Deployed"}
print(len(want & got))
PYEOF
)" "$TOTAL"

t no-overlap
# No two holders of one config's lock at once (lock_check, lib.sh).
OVERLAP=$(lock_check "$SEQ")
expect_eq overlaps "$OVERLAP" "none $TOTAL"
expect_no_lock

t final-state
# Each config holds the release that finished last there, whole.
control GET state >"$T/state.json"
expect_eq final "$("$PY" - "$T/status.json" "$T" <<'PYEOF'
import base64, hashlib, json, sys
s = json.load(open(sys.argv[2] + "/state.json"))
st = json.load(open(sys.argv[1]))["releases"]
t = sys.argv[2]
bad = []
for cfg in ("production", "staging", "qa"):
    done = [x for x in st if x.get("config") == cfg and x["state"] == "done" and x["release_id"].startswith("l")]
    last = max(done, key=lambda x: x["ended_at"])
    rel = json.load(open("%s/%s.json" % (t, last["release_id"])))
    name = rel["lambda_name"]
    f = next(v for k, v in s["lambda"].items() if k.endswith(":" + name))
    m = next(v for k, v in s["states"].items() if k.endswith(":" + rel["step_fn_name"]))
    z = open("%s/%s.zipname" % (t, last["release_id"])).read()
    sha = base64.b64encode(hashlib.sha256(open("%s/%s.zip" % (t, z), "rb").read()).digest()).decode()
    if json.loads(m["definition"]) != rel["state_machine"] or f["CodeSha256"] != sha:
        bad.append("%s: not %s" % (cfg, last["release_id"]))
print("; ".join(bad) or "ok")
PYEOF
)" ok

t rss
for d in EXECUTOR VALIDATOR UPLOADER; do
	p=${d}_PID
	now=$(rss "${!p}")
	if [ "$now" -le $((RSS0[$d] * 120 / 100)) ]; then ok; else
		bad "$d: RSS $now kB after the run, ${RSS0[$d]} kB after the first submit"
	fi
	echo "rss $d: ${RSS0[$d]} kB -> $now kB"
done

up_end
