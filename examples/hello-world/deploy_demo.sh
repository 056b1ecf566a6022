#!/usr/bin/env bash
# The hello-world example deployed through the service, as CI would:
# `stepdeploy submit` hands the release to the validator daemon, which
# checks it and has the executor daemon run its tests, then spools it for
# the uploader daemon, which deploys it to the local AWS stand-in
# (tests/standin/standin) with every AWS call signed by the signer daemon.
# Then a release whose test fails (refused before any AWS call) and one
# that fails half-way (a fault the stand-in injects) and is rolled back.
#
#   bash examples/hello-world/deploy_demo.sh [BUILD_DIR]   (make demo does this)
#
# Everything runs in a temporary directory (/tmp/sddemo.XXXXXX) on
# 127.0.0.1: nothing reaches real AWS and the credentials are made up.
# The stand-in and the four daemons are stopped and the directory removed
# on exit, Ctrl-C included (DEMO_KEEP=1 keeps the directory to look around).
# The demo is also a smoke test: it exits non-zero when anything it shows
# is not as it should be.
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
SD=$BUILD/stepdeploy
SIGNER=$BUILD/stepdeploy-signer
EXECUTOR=$BUILD/stepdeploy-executor
VALIDATOR=$BUILD/stepdeploy-validator
UPLOADER=$BUILD/stepdeploy-uploader
HELLO=$BUILD/hello-world
STANDIN=$ROOT/tests/standin/standin
PY=/usr/bin/python3		# Debian's: python3-botocore installs there

section() { printf '\n== %s\n' "$*"; }
say() { printf '%s\n' "$@"; }
fail() { printf '\ndeploy demo: FAILED: %s\n' "$*" >&2; exit 1; }
# Print a command as it is about to run, with the temporary directory as
# $DEMO and the repository's paths relative to it.
show() {
	local a out=
	for a in "$@"; do
		a=${a//"$T"/\$DEMO}
		a=${a//"$ROOT/"/}
		case $a in
		'&'|'>') out+=" $a" ;;
		*[!A-Za-z0-9_./:=@%+,\$-]*) out+=" '${a//\'/\'\\\'\'}'" ;;
		*) out+=" $a" ;;
		esac
	done
	printf '$%s\n' "$out"
}
indent() { sed 's/^/    /'; }

for f in "$SD" "$SIGNER" "$EXECUTOR" "$VALIDATOR" "$UPLOADER" "$HELLO"; do
	[ -x "$f" ] || fail "$f is missing: build it first with 'make all'"
done
if ! [ -x "$PY" ] || ! "$PY" -c 'import botocore' 2>/dev/null; then
	fail "the stand-in needs Debian's python3-botocore: run 'make deps'"
fi
command -v curl >/dev/null || fail "curl is missing: run 'make deps'"

# ---------------------------------------------------------------- set-up
# A short path: the signer's socket lives here (sun_path < 108 bytes).
T=$(mktemp -d /tmp/sddemo.XXXXXX)
STANDIN_PID='' SIGNER_PID='' EXECUTOR_PID='' VALIDATOR_PID='' UPLOADER_PID=''
cleanup() {
	local rc=$? p
	trap - EXIT INT TERM
	for p in "$VALIDATOR_PID" "$UPLOADER_PID" "$EXECUTOR_PID" "$SIGNER_PID" "$STANDIN_PID"; do
		if [ -n "$p" ]; then
			kill "$p" 2>/dev/null || true
			wait "$p" 2>/dev/null || true
		fi
	done
	case $rc in
	0) ;;
	130|143) printf '\ndeploy demo: interrupted\n' >&2 ;;
	*)	for f in standin.log signer.log executor.log validator.log uploader.log; do
			if [ -s "$T/$f" ]; then
				printf '\n--- %s (last 15 lines)\n' "$f" >&2
				tail -n 15 "$T/$f" >&2
			fi
		done ;;
	esac
	if [ -n "${DEMO_KEEP:-}" ]; then
		echo "(DEMO_KEEP: $T is kept)" >&2
	else
		rm -rf "$T"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The helpers below (zips, releases, reading the stand-in's state, the
# journal and the call log) are small Python programs in one file.
cat >"$T/demo.py" <<'PYEOF'
import base64, datetime, hashlib, json, os, re, sys, time, urllib.request, zipfile

cmd, args = sys.argv[1], sys.argv[2:]
CONTROL = os.environ.get("CONTROL", "")

def get(path):
    with urllib.request.urlopen(CONTROL + path, timeout=30) as r:
        return json.load(r)

def canon(v):
    return json.dumps(json.loads(v) if isinstance(v, str) else v,
                      sort_keys=True, separators=(",", ":"))

def b64sha(path):
    return base64.b64encode(hashlib.sha256(open(path, "rb").read()).digest()).decode()

def find(d, name):
    for k, v in d.items():
        if k == name or k.endswith(":" + name):
            return v
    raise SystemExit("the stand-in holds no %r" % name)

def has_lock(st):
    return [k for b in st["s3"].values() for k in b["objects"] if k.endswith("/lock")]

def unqualify(defn, fn_arn):
    """The definition with FN_ARN:N (a published version) put back to FN_ARN,
    and the versions it named."""
    seen = set()
    def sub(m):
        seen.add(m.group(1))
        return fn_arn
    text = re.sub(re.escape(fn_arn) + r":(\d+)(?=\")", sub, canon(defn))
    return json.loads(text), sorted(seen)

if cmd == "zip":			# zip OUT BOOTSTRAP [NAME=TEXT]...
    out, boot = args[0], args[1]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        zi = zipfile.ZipInfo("bootstrap", (2026, 1, 1, 0, 0, 0))
        zi.external_attr = 0o100755 << 16	# an executable file
        zi.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(zi, open(boot, "rb").read())
        for extra in args[2:]:
            name, text = extra.split("=", 1)
            zi = zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0))
            zi.external_attr = 0o100644 << 16
            z.writestr(zi, text)
    with zipfile.ZipFile(out) as z:
        for i in z.infolist():
            print("%-10s %9d bytes  mode %o" % (i.filename, i.file_size, i.external_attr >> 16 & 0o777))
    print("lambda.zip %9d bytes  sha256 %s"
          % (os.path.getsize(out), hashlib.sha256(open(out, "rb").read()).hexdigest()))

elif cmd == "release":			# release OUT ZIP DEFINITION ID COMMENT
    out, zp, dp, rid, comment = args
    sm = json.load(open(dp))
    if comment:
        sm["Comment"] = comment
        json.dump(sm, open(dp, "w"), indent=2)
    rel = {
        "release_id": rid,
        "project_name": os.environ["PROJECT"],
        "config_name": os.environ["CONFIG"],
        "aws_account_id": os.environ["ACCOUNT"],
        "aws_region": os.environ["REGION"],
        "lambda_name": os.environ["NAME"],
        "step_fn_name": os.environ["NAME"],
        "created_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "lambda_sha256": hashlib.sha256(open(zp, "rb").read()).hexdigest(),
        "runtime": "provided.al2023",
        "metadata": {"source": "examples/hello-world", "built_by": "make demo"},
        "state_machine": sm,
    }
    json.dump(rel, open(out, "w"), indent=2)
    rel["state_machine"] = "@SM@"
    print(json.dumps(rel, indent=2).replace('"@SM@"', "{ the machine 'hello-world json' printed }"))

elif cmd == "ports":			# ports READY-FILE
    print(*json.load(open(args[0]))["ports"])

elif cmd == "seq":			# the last call's sequence number
    calls = get("/_standin/calls").get("calls", [])
    print(calls[-1]["seq"] if calls else 0)

elif cmd == "state":			# state NAME: what the stand-in holds
    st = get("/_standin/state")
    fn = find(st["lambda"], args[0])
    sm = find(st["states"], args[0])
    print(json.dumps({"CodeSha256": fn["CodeSha256"],
                      "LastUpdateStatus": fn.get("LastUpdateStatus"),
                      "versions": fn.get("Versions"),
                      "definition": json.loads(sm["definition"]) if isinstance(sm["definition"], str) else sm["definition"],
                      "lock": has_lock(st),
                      "objects": {b: sorted(v["objects"]) for b, v in st["s3"].items()}}))

elif cmd == "show":	# show STATE-JSON FN_ARN [--compact | --same-as STATE-JSON LABEL] [ZIP LABEL]...
    s = json.load(open(args[0]))
    fn_arn, rest, compact, same = args[1], args[2:], False, None
    if rest[:1] == ["--compact"]:
        compact, rest = True, rest[1:]
    elif rest[:1] == ["--same-as"]:
        ref = json.load(open(rest[1]))
        if canon(ref["definition"]) == canon(s["definition"]):
            same = rest[2]
        rest = rest[3:]
    names = {b64sha(rest[i]): rest[i + 1] for i in range(0, len(rest), 2)}
    print("Lambda %s" % fn_arn)
    print("  CodeSha256        %s  (%s)" % (s["CodeSha256"], names.get(s["CodeSha256"], "?")))
    print("  LastUpdateStatus  %s" % s["LastUpdateStatus"])
    v = s.get("versions") or {}
    for n in sorted(v, key=lambda x: int(x) if x.isdigit() else 0):
        print("  version %-9s %s  (%s)" % (n, v[n], names.get(v[n], "?")))
    print("State machine %s" % fn_arn.replace(":lambda:", ":states:").replace(":function:", ":stateMachine:"))
    if same:
        print("  definition: the same as %s" % same)
    elif compact:
        print("  definition: " + json.dumps(s["definition"]))
    else:
        print("  definition:")
        print("\n".join("    " + l for l in json.dumps(s["definition"], indent=2).splitlines()))
    _, vers = unqualify(s["definition"], fn_arn)
    if vers:
        print("  (the Task names the Lambda by its published version: %s)"
              % ", ".join(fn_arn + ":" + x for x in vers))
    elif fn_arn in canon(s["definition"]):
        print("  (the Task names the Lambda without a version: it runs $LATEST)")
    for b, keys in sorted(s.get("objects", {}).items()):
        groups = {}
        for k in keys:
            d, _, f = k.rpartition("/")
            groups.setdefault(d + "/", []).append(f)
        print("S3 objects in s3://%s/%s" % (b, "" if groups else ": none"))
        for d, fs in groups.items():
            print("  %-45s %s" % (d, ", ".join(fs)))
    print("Lock  %s" % (", ".join(s["lock"]) if s["lock"] else "none"))

elif cmd == "check":			# check STATE-JSON FN_ARN ZIP DEFINITION
    s = json.load(open(args[0]))
    fn_arn, zp, dp = args[1:4]
    bad = []
    want = b64sha(zp)
    if s["CodeSha256"] != want:
        bad.append("Lambda CodeSha256 is %s, not %s's %s" % (s["CodeSha256"], zp, want))
    plain, vers = unqualify(s["definition"], fn_arn)
    if canon(plain) != canon(json.load(open(dp))):
        bad.append("the deployed definition is not %s's" % dp)
    for n in vers:
        c = (s.get("versions") or {}).get(n)
        if c != want:
            bad.append("the definition names version %s, whose code is %s, not %s" % (n, c, want))
    if s["lock"]:
        bad.append("a lock is left: %s" % ", ".join(s["lock"]))
    for b in bad:
        print("  MISMATCH: " + b)
    sys.exit(1 if bad else 0)

elif cmd == "same":			# same STATE-JSON STATE-JSON: code, definition
    a, b = (json.load(open(x)) for x in args)
    sys.exit(0 if a["CodeSha256"] == b["CodeSha256"] and
             canon(a["definition"]) == canon(b["definition"]) else 1)

elif cmd == "calls":			# calls SINCE-SEQ SIGNER-LOG SKIP: one line per call
    # The calls the stand-in received after SINCE-SEQ beside the signatures
    # the signer logged after its first SKIP: one client, in order, so the
    # Nth call of the deploy is its Nth signature.
    calls = get("/_standin/calls?since=%s" % args[0]).get("calls", [])
    for _ in range(50):		# the signer's log reaches its file through a pipe
        sigs, refusals = [], 0
        for line in open(args[1], errors="replace").read().splitlines():
            m = re.search(r": info: signed (\S+) (\S+) for project", line)
            if m:
                sigs.append(m.groups())
            elif "refused a request" in line or "malformed request" in line:
                refusals += 1
        sigs = sigs[int(args[2]):]
        if len(sigs) >= len(calls):
            break
        time.sleep(0.1)
    prefix = os.environ.get("S3_PREFIX", "")
    def short(res):
        if prefix and res.startswith(prefix):
            return res[len(prefix):]
        return res.split(":", 5)[-1] if res.startswith("arn:") else res
    first = 0
    if len(args) > 3 and args[3] == "from-fault":
        first = next((i for i, c in enumerate(calls) if c.get("fault")), 0)
    bad = 0
    print("  %5s  %-32s %-28s %s" % ("call", "signed by the signer", "for", "the stand-in answered"))
    if first:
        print("  %5s  (%d earlier calls, not shown)" % ("%s-%s" % (calls[0]["seq"], calls[first - 1]["seq"]), first))
    for i, c in enumerate(calls):
        what = "%s:%s" % (c.get("service"), c.get("op"))
        act, res = sigs[i] if i < len(sigs) else ("(no signature)", "")
        note = ""
        if act != what:
            note, bad = "  <- the call is %s" % what, bad + 1
        if c.get("auth"):
            note, bad = "  <- signature refused: %s" % c["auth"], bad + 1
        if c.get("fault"):
            note = "  <- FAULT INJECTED BY THE STAND-IN"
        answer = "%s %s" % (c.get("status"), c.get("error") or "")
        if i >= first or note:
            print("  %5s  %-32s %-28s %s%s" % (c.get("seq"), act, short(res), answer.strip(), note))
    print("  %d calls, %d signatures issued, %d requests refused by the signer, "
          "%d signatures refused by the stand-in"
          % (len(calls), len(sigs), refusals, sum(1 for c in calls if c.get("auth"))))
    if bad or len(sigs) != len(calls):
        sys.exit("the calls and the signatures do not match")

elif cmd == "journal":			# journal FILE ok|failed: one line per step
    show = ("key", "Version", "CodeSha256", "versionArn", "definition",
            "codeRestored", "definitionRestored", "released")
    start, n, any_failed, phase = {}, 0, False, None
    def ms(a, b):
        t = lambda s: datetime.datetime.strptime(s.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z")
        return "%5d ms" % round((t(b) - t(a)).total_seconds() * 1000)
    for line in open(args[0]):
        e = json.loads(line)
        n += 1
        step, phase, data = e.get("step"), e.get("phase"), e.get("data")
        if phase == "intent":
            start[step] = e.get("at")
            continue
        took = ms(start[step], e["at"]) if step in start else ""
        if phase == "failed":
            any_failed = True
            detail = (data or {}).get("error", "")
        else:
            d = data if isinstance(data, dict) else {}
            detail = " ".join("%s=%s" % (k, json.dumps(d[k]).strip('"'))
                              for k in show if k in d and not isinstance(d[k], (dict, list))
                              and len(json.dumps(d[k])) < 80)
        print("  %-25s %-6s %s  %s" % (step, phase, took, detail))
    print("  (%d entries: an intent before each step's AWS calls, its outcome after)" % n)
    # ok: no step failed; failed: one did. Either way the last one is done.
    if (args[1] == "ok") == any_failed or phase != "done":
        sys.exit("the journal is not that of a deploy that %s" %
                 ("succeeded" if args[1] == "ok" else "failed, then rolled back"))

elif cmd == "faults":			# faults: did every rule fire?
    r = get("/_standin/faults")["faults"]
    sys.exit(0 if r and all(x.get("fired", 0) >= 1 for x in r) else 1)
else:
    sys.exit("demo.py: unknown command " + cmd)
PYEOF
py() { "$PY" "$T/demo.py" "$@"; }

# The names the release uses: build/hello-world's machine names the Lambda
# arn:aws:lambda:us-east-1:000000000000:function:hello-world.
export PROJECT=examples/hello-world CONFIG=demo ACCOUNT=000000000000 \
	REGION=us-east-1 NAME=hello-world
FN_ARN=arn:aws:lambda:$REGION:$ACCOUNT:function:$NAME
SM_ARN=arn:aws:states:$REGION:$ACCOUNT:stateMachine:$NAME
BUCKET=hello-world-releases
export S3_PREFIX=s3://$BUCKET/$PROJECT/$CONFIG/
TAGS=(--tag "ProjectName=$PROJECT" --tag "ConfigName=$CONFIG" --tag DeployWith=stepdeploy)

section "Deploying hello-world (to a local stand-in for AWS)"
say "No real AWS is involved: tests/standin/standin serves S3, Lambda and Step" \
    "Functions on 127.0.0.1 and checks every request's SigV4 signature with" \
    "botocore. Four daemons make the service, each in its own seccomp sandbox:" \
    "  stepdeploy-validator  submit.sock  checks what CI submits, spools it" \
    "  stepdeploy-executor   exec.sock    runs the release's tests (mocks only)" \
    "  stepdeploy-uploader   deploy.sock  deploys, one release per config at a time" \
    "  stepdeploy-signer     sign.sock    the only one holding the (made-up)" \
    "                                     credentials; signs what the policy allows" \
    "" \
    "Working directory: DEMO=$T (removed at the end)"

printf '[default]\naws_access_key_id = AKIDSTANDINDEMO\naws_secret_access_key = demo/not+a+real+secret\n' >"$T/credentials"
chmod 600 "$T/credentials"

# ---------------------------------------------------------------- stand-in
section "Start the AWS stand-in"
cmd=("$STANDIN" --port 0 --port 0 --port 0 --dir "$T/state"
	--credentials "$T/credentials" --update-delay 0.2
	--stepdeploy "$SD" --ready-file "$T/ready")
show "${cmd[@]}" '&'
"${cmd[@]}" >>"$T/standin.log" 2>&1 &
STANDIN_PID=$!
for _ in $(seq 1 300); do
	[ -s "$T/ready" ] && break
	kill -0 "$STANDIN_PID" 2>/dev/null || fail "the stand-in died"
	sleep 0.1
done
[ -s "$T/ready" ] || fail "the stand-in is not ready after 30 s"
read -r P_S3 P_LAMBDA P_STATES < <(py ports "$T/ready")
export CONTROL=http://127.0.0.1:$P_S3
say "    S3 on 127.0.0.1:$P_S3, Lambda on :$P_LAMBDA, Step Functions on :$P_STATES"

# ---------------------------------------------------------------- policy
# Every socket admits the user running the demo (root too), who is also
# the project's submitter: by name, or by uid when the name does not
# resolve. (On a build host each daemon has its own user.)
ME=$(id -un 2>/dev/null || true)
if [[ $ME =~ ^[A-Za-z0-9._][A-Za-z0-9._-]{0,31}$ ]]; then ME_JSON="\"$ME\""; else ME=$(id -u) ME_JSON=$ME; fi
cat >"$T/policy.json" <<EOF
{
  "version": 1,
  "sockets": { "submit": [$ME_JSON], "exec": [$ME_JSON], "deploy": [$ME_JSON], "sign": [$ME_JSON] },
  "endpoints": {
    "s3": "http://127.0.0.1:$P_S3",
    "lambda": "http://127.0.0.1:$P_LAMBDA",
    "states": "http://127.0.0.1:$P_STATES"
  },
  "projects": {
    "$PROJECT": {
      "submitters": [$ME_JSON],
      "configs": ["$CONFIG"],
      "accounts": ["$ACCOUNT"],
      "regions": ["$REGION"],
      "bucket": "$BUCKET",
      "lambda_arns": ["$FN_ARN"],
      "state_machine_arns": ["$SM_ARN"]
    }
  }
}
EOF
section "The policy (\$DEMO/policy.json)"
say "Who may use each socket and submit releases (you: $ME), where \"AWS\" is," \
    "and what the project $PROJECT may change. The Lambda and the" \
    "state machine must also carry the tags ProjectName=$PROJECT," \
    "ConfigName=$CONFIG and DeployWith=stepdeploy (the default rule)."
indent <"$T/policy.json"

# ---------------------------------------------------------------- audit
section "The audit logs: one per daemon, made before it starts"
say "Each key printed is its log's first epoch's public key: on a real host it" \
    "is kept off the host, and \`stepdeploy audit verify --key\` needs only it."
mkdir -p "$T/validator" "$T/uploader"
declare -A AUDIT_KEY
for d in validator uploader signer; do
	log=$T/$d/audit.log
	[ "$d" != signer ] || log=$T/signer-audit.log
	cmd=("$SD" audit init "$log" --process "$d")
	show "${cmd[@]}"
	AUDIT_KEY[$d]=$("${cmd[@]}" 2>/dev/null) || fail "audit init $d failed"
	say "    ${AUDIT_KEY[$d]}"
done

# ---------------------------------------------------------------- signer
section "Start the signer daemon"
cmd=("$SIGNER" --policy "$T/policy.json" --socket "$T/sign.sock"
	--credentials "$T/credentials" --audit-log "$T/signer-audit.log" --foreground)
show "${cmd[@]}" '&'
# Its log goes through a pipe: in its sandbox (RLIMIT_FSIZE 0) it could
# not write to a regular file.
"${cmd[@]}" 2> >(exec cat >>"$T/signer.log") &
SIGNER_PID=$!
for _ in $(seq 1 100); do
	grep -q 'listening on' "$T/signer.log" 2>/dev/null && break
	kill -0 "$SIGNER_PID" 2>/dev/null || fail "the signer died"
	sleep 0.1
done
grep -q 'listening on' "$T/signer.log" || fail "the signer is not listening after 10 s"
say "    listening on \$DEMO/sign.sock"

# start_daemon NAME PIDVAR BINARY ARGS...: in the foreground of its own
# job, its log in $DEMO/NAME.log, until it says it listens.
start_daemon() {
	local name=$1 var=$2 pid
	shift 2
	show "$@" '&'
	"$@" --foreground 2> >(exec cat >>"$T/$name.log") &
	pid=$!
	printf -v "$var" '%s' "$pid"
	for _ in $(seq 1 200); do
		grep -q 'listening on' "$T/$name.log" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || fail "the $name died"
		sleep 0.05
	done
	grep -q 'listening on' "$T/$name.log" || fail "the $name is not listening after 10 s"
}
section "Start the executor, the uploader and the validator"
start_daemon executor EXECUTOR_PID "$EXECUTOR" --policy "$T/policy.json" \
	--socket "$T/exec.sock"
start_daemon uploader UPLOADER_PID "$UPLOADER" --policy "$T/policy.json" \
	--socket "$T/deploy.sock" --state-dir "$T/uploader" --spool "$T/validator/spool" \
	--signer "$T/sign.sock"
start_daemon validator VALIDATOR_PID "$VALIDATOR" --policy "$T/policy.json" \
	--socket "$T/submit.sock" --state-dir "$T/validator" \
	--exec-socket "$T/exec.sock" --deploy-socket "$T/deploy.sock"
say "    listening on \$DEMO/exec.sock, \$DEMO/deploy.sock and \$DEMO/submit.sock"

# ---------------------------------------------------------------- seed
section "What is deployed today: an older hello-world"
say "Deployers change existing resources, they do not create them. The stand-in" \
    "is seeded with the function and the state machine, tagged, holding v0."
mkdir -p "$T/v0" "$T/r1" "$T/r2" "$T/r3"
printf '#!/bin/sh\necho "hello-world v0"\n' >"$T/v0/bootstrap"
py zip "$T/v0/lambda.zip" "$T/v0/bootstrap" >/dev/null
cat >"$T/v0/definition.json" <<'EOF'
{"Comment": "hello-world v0", "StartAt": "Hello",
 "States": {"Hello": {"Type": "Pass", "Result": "Hello", "ResultPath": "$.Greeting", "End": true}}}
EOF
cmd=("$STANDIN" seed --dir "$T/state" --account "$ACCOUNT" --region "$REGION"
	--bucket "$BUCKET"
	--function "$NAME" --zip "$T/v0/lambda.zip" --runtime provided.al2023 "${TAGS[@]}"
	--state-machine "$NAME" --definition "$T/v0/definition.json" "${TAGS[@]}")
show "${cmd[@]}"
"${cmd[@]}" >"$T/seed.out" 2>&1 || { cat "$T/seed.out"; fail "seeding the stand-in failed"; }
py state "$NAME" >"$T/v0/state.json"
py show "$T/v0/state.json" "$FN_ARN" --compact "$T/v0/lambda.zip" "v0" | indent

# ---------------------------------------------------------------- release 1
R1=hello-world-001
section "Build release $R1 from build/hello-world"
say "The Lambda is a custom runtime (provided.al2023): the zip holds the program" \
    "as an executable 'bootstrap'. The state machine is the one the program prints."
show "$HELLO" json '>' "$T/r1/definition.json"
"$HELLO" json >"$T/r1/definition.json"
py zip "$T/r1/lambda.zip" "$HELLO" | indent
say "release.json (\$DEMO/r1/release.json):"
py release "$T/r1/release.json" "$T/r1/lambda.zip" "$T/r1/definition.json" "$R1" "" | indent

section "Check the release before deploying it"
cmd=("$SD" validate "$T/r1/definition.json" --zip "$T/r1/lambda.zip"
	--release "$T/r1/release.json" --policy "$T/policy.json")
show "${cmd[@]}"
rc=0
"${cmd[@]}" >"$T/validate.out" 2>&1 || rc=$?
indent <"$T/validate.out"
if [ "$rc" = 0 ] && ! [ -s "$T/validate.out" ]; then
	say "    (exit status 0: no error, no warning)"
else
	say "    (exit status $rc)"
fi
[ "$rc" = 0 ] || fail "stepdeploy validate found an error in $R1"

# How many signatures the signer has logged so far.
nsigs() { grep -c ': info: signed ' "$T/signer.log" || true; }

# Run stepdeploy submit, its output shown as it comes; SUBMIT_RC, $T/$1.out.
submit() {
	local rid=$1 dir=$2 tests=$3
	cmd=("$SD" submit --release "$T/$dir/release.json" --zip "$T/$dir/lambda.zip"
		--tests "$tests" --socket "$T/submit.sock")
	show "${cmd[@]}"
	set +e
	timeout --foreground 120 "${cmd[@]}" 2>&1 | tee "$T/$rid.out" | indent
	SUBMIT_RC=${PIPESTATUS[0]}
	set -e
	say "    (exit status $SUBMIT_RC)"
}
JOURNALS=$T/uploader/journals

section "Submit $R1, with its tests (examples/hello-world/tests.json)"
say "This is what CI runs. The progress comes from the validator, the" \
    "executor and the uploader as each step happens."
SEQ0=$(py seq)
SIGS0=$(nsigs)
submit "$R1" r1 "$ROOT/examples/hello-world/tests.json"
[ "$SUBMIT_RC" = 0 ] || fail "stepdeploy submit $R1 exited $SUBMIT_RC"
grep -q "tests passed: 2 passed, 0 failed" "$T/$R1.out" ||
	fail "the executor did not report hello-world's 2 tests passed"

section "What the stand-in holds now"
py state "$NAME" >"$T/r1/state.json"
py show "$T/r1/state.json" "$FN_ARN" "$T/v0/lambda.zip" "v0" \
	"$T/r1/lambda.zip" "$R1's lambda.zip" | indent
py check "$T/r1/state.json" "$FN_ARN" "$T/r1/lambda.zip" "$T/r1/definition.json" ||
	fail "the stand-in does not hold $R1"
say "OK: the code and the definition are $R1's, and no lock is held."

section "The trail of $R1"
say "The uploader's journal (\$DEMO/uploader/journals/$R1.journal), one line per step:"
py journal "$JOURNALS/$R1.journal" ok || fail "the journal of $R1 is not as expected"
say "" "Every AWS call: the signature the signer issued (\$DEMO/signer.log) and what" \
    "the stand-in answered after checking it with botocore (GET /_standin/calls)." \
    "S3 keys are under $S3_PREFIX."
py calls "$SEQ0" "$T/signer.log" "$SIGS0" || fail "the trail of $R1 is not as expected"
SEQ1=$(py seq)
SIGS1=$(nsigs)

# ---------------------------------------------------------------- a test fails
RB=hello-world-002
section "A release whose test fails: $RB"
say "$RB is hello-world with a test that expects \"Hello Mars\". The executor" \
    "runs it; it fails, so the validator refuses the release: nothing reaches" \
    "the uploader, the signer or AWS."
cp "$T/r1/definition.json" "$T/r2/definition.json"
cp "$T/r1/lambda.zip" "$T/r2/lambda.zip"
py release "$T/r2/release.json" "$T/r2/lambda.zip" "$T/r2/definition.json" "$RB" "" >/dev/null
sed 's/"Hello World"}, "path"/"Hello Mars"}, "path"/' "$ROOT/examples/hello-world/tests.json" >"$T/r2/tests.json"
grep -q "Hello Mars" "$T/r2/tests.json" || fail "could not make the failing test"
SEQB=$(py seq)
SIGSB=$(nsigs)
submit "$RB" r2 "$T/r2/tests.json"
[ "$SUBMIT_RC" = 1 ] || fail "stepdeploy submit $RB exited $SUBMIT_RC, expected 1 (refused)"
grep -q "TEST_FAILED" "$T/$RB.out" || fail "the refusal of $RB does not name the failed test"
[ "$(py seq)" = "$SEQB" ] || fail "the stand-in received calls for the refused $RB"
[ "$(nsigs)" = "$SIGSB" ] || fail "the signer signed something for the refused $RB"
! grep -q "$RB" "$T/uploader.log" || fail "the uploader heard of the refused $RB"
say "OK: refused by the validator; the stand-in received no call (its call log" \
    "still ends at #$SEQB) and the signer signed nothing."

# ---------------------------------------------------------------- release 2
R2=hello-world-003
section "A third release, $R2, that fails half-way"
say "$R2 changes the definition's Comment and adds a VERSION file" \
    "to the zip; it validates. What breaks is the deploy: the stand-in is told" \
    "to refuse UpdateStateMachine (400 InvalidDefinition). THIS FAULT IS" \
    "INJECTED BY THE STAND-IN (POST /_standin/faults); nothing is wrong with" \
    "the release. By then the deploy has already replaced the Lambda's code," \
    "so it must roll back."
cp "$T/r1/definition.json" "$T/r3/definition.json"
py zip "$T/r3/lambda.zip" "$HELLO" "VERSION=$R2" >/dev/null
py release "$T/r3/release.json" "$T/r3/lambda.zip" "$T/r3/definition.json" "$R2" \
	"Hello World ($R2)" >/dev/null
"$SD" validate "$T/r3/definition.json" --zip "$T/r3/lambda.zip" \
	--release "$T/r3/release.json" --policy "$T/policy.json" >/dev/null 2>&1 ||
	fail "stepdeploy validate found an error in $R2"
FAULT='{"faults":[{"op":"states:UpdateStateMachine","fault":"error","status":400,"code":"InvalidDefinition","message":"fault injected by the stand-in (make demo)","times":1}]}'
say "" "Install the fault:"
show curl -sS -d "$FAULT" "$CONTROL/_standin/faults"
curl -sS --max-time 30 -d "$FAULT" "$CONTROL/_standin/faults" >/dev/null

section "Submit $R2"
submit "$R2" r3 "$ROOT/examples/hello-world/tests.json"
py faults || fail "the injected fault did not fire"
curl -sS --max-time 30 -X DELETE "$CONTROL/_standin/faults" -o /dev/null
[ "$SUBMIT_RC" = 1 ] || fail "stepdeploy submit $R2 exited $SUBMIT_RC despite the fault"
grep -q "^rolledback $R2" "$T/$R2.out" || fail "stepdeploy submit $R2 did not say it was rolled back"
# Its last word is the original error: the step that failed and why.
ERRLINE=$(grep -E '^stepdeploy submit: .*UpdateStateMachine.*fault injected by the stand-in' \
	"$T/$R2.out" | tail -n 1) ||
	fail "stepdeploy submit $R2 did not report the original error (UpdateStateMachine, the injected fault)"
say "" "stepdeploy submit exited $SUBMIT_RC with the original error:" "    ${ERRLINE#stepdeploy submit: }"

section "After the rollback"
py state "$NAME" >"$T/r3/state.json"
py show "$T/r3/state.json" "$FN_ARN" --same-as "$T/r1/state.json" "after $R1's deploy (above)" \
	"$T/v0/lambda.zip" "v0" \
	"$T/r1/lambda.zip" "$R1's lambda.zip" "$T/r3/lambda.zip" "$R2's lambda.zip" | indent
py check "$T/r3/state.json" "$FN_ARN" "$T/r1/lambda.zip" "$T/r1/definition.json" ||
	fail "the stand-in does not hold $R1 after the rollback"
py same "$T/r1/state.json" "$T/r3/state.json" ||
	fail "the code or definition differs from what $R1 deployed"
say "OK: the code and the definition are $R1's again, and no lock is held."
say "" "The journal (\$DEMO/uploader/journals/$R2.journal):"
py journal "$JOURNALS/$R2.journal" failed || fail "the journal of $R2 is not as expected"
say "" "The AWS calls of this deploy, from the fault on (the rollback):"
py calls "$SEQ1" "$T/signer.log" "$SIGS1" from-fault || fail "the trail of $R2 is not as expected"

section "What the service says: stepdeploy status"
cmd=("$SD" status --socket "$T/deploy.sock")
show "${cmd[@]}"
"${cmd[@]}" >"$T/status.out" 2>&1 || fail "stepdeploy status failed"
indent <"$T/status.out"
grep -q "^$R1 .* done .*Deployed" "$T/status.out" || fail "status does not show $R1 deployed"
grep -q "^$R2 .* done .*RolledBack" "$T/status.out" || fail "status does not show $R2 rolled back"
! grep -q "^$RB " "$T/status.out" || fail "status shows the refused $RB, which never reached the uploader"

section "The audit trail: stepdeploy audit show, then verify"
LOGS=("$T/validator/audit.log" "$T/uploader/audit.log" "$T/signer-audit.log")
for r in "$R1" "$RB" "$R2"; do
	cmd=("$SD" audit show --release "$r" "${LOGS[@]}")
	show "${cmd[@]}"
	"${cmd[@]}" >"$T/audit.out" 2>&1 || fail "audit show failed"
	cut -c1-160 "$T/audit.out" | indent
	grep -q "submit.verdict" "$T/audit.out" || fail "the audit trail of $r has no verdict"
done
say "" "The signatures the signer issued for these deploys (its log, summed up):"
"$SD" audit show --process signer "${LOGS[@]}" | awk 'NR > 1 && $5 == "sign" {n[$6]++} END {for (k in n) printf "    %d %s\n", n[k], k}'
cmd=("$SD" audit verify --key "${AUDIT_KEY[validator]}" --key "${AUDIT_KEY[uploader]}"
	--key "${AUDIT_KEY[signer]}" --against-s3 --policy "$T/policy.json" --signer "$T/sign.sock"
	"${LOGS[@]}")
show "$SD" audit verify --key KEY... --against-s3 --policy \$DEMO/policy.json --signer \$DEMO/sign.sock LOG...
"${cmd[@]}" >"$T/verify.out" 2>&1 || { indent <"$T/verify.out"; fail "audit verify failed"; }
sed "s|$T|\$DEMO|g" "$T/verify.out" | cut -c1-160 | indent

section "OK: $R1 deployed; $RB refused (its test failed, no AWS call); $R2 failed at UpdateStateMachine (injected) and was rolled back"
