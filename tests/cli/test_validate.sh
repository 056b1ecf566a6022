#!/usr/bin/env bash
# tests/cli/test_validate.sh: `stepdeploy validate`: the human and --json
# outputs, exit statuses (0 no error, 1 an error, 2 usage or unreadable
# file), malformed JSON and duplicate keys, stdin, --no-arn-check,
# --no-path-check, --zip and --release merged into the report, and the
# lint corpus (../shared/lint-corpus, or $SHARED/lint-corpus) through the
# command, known differences (tests/lint/known-differences) included.
#
# The --json shape and the codes: https://docs.aws.amazon.com/step-functions/latest/apireference/API_ValidateStateMachineDefinition.html
#
#   STEPDEPLOY=build/asan/stepdeploy bash tests/cli/test_validate.sh
set -euo pipefail

. "$(dirname "$0")/lib.sh"
# ---------------------------------------------------------------- validate helpers
#
# expect_rc N          exit status is N
# expect_line TEXT     a line of stdout is exactly TEXT
# expect_out_has SUB   stdout contains SUB
# expect_out_empty     nothing on stdout
# expect_err_has SUB   stderr contains SUB
expect_rc() {
	if [ "$RC" = "$1" ]; then ok; else bad "exit status $RC, want $1"; fi
}
expect_line() {
	if grep -qxF -- "$1" "$T/out"; then ok; else bad "no line: $1"; fi
}
expect_out_has() {
	if grep -qF -- "$1" "$T/out"; then ok; else bad "stdout lacks: $1"; fi
}
expect_out_empty() {
	if [ -z "$OUT" ]; then ok; else bad "stdout should be empty"; fi
}
expect_err_has() {
	if grep -qF -- "$1" "$T/err"; then ok; else bad "stderr lacks: $1"; fi
}

SHARED_DIR=${SHARED:-$ROOT/../shared}
CORPUS=$SHARED_DIR/lint-corpus
KNOWN=$ROOT/tests/lint/known-differences

# ---------------------------------------------------------------- tests
mkjson ok.json '{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}'
mkjson bad-next.json '{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"C":{"Type":"Succeed"}}}'
mkjson warn.json '{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"a":"$.x"},"End":true}}}'
mkjson arn.json '{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"lambda-f","End":true}}}'
mkjson path.json '{"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"$.a[","End":true}}}'
mkjson dup.json '{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}},"StartAt":"A"}'
printf '{"StartAt": "A",\n  "States": {\n' >"$T/broken.json"
: >"$T/empty.json"

t "a valid definition: exit 0, nothing printed"
run validate "$T/ok.json"
expect_rc 0
expect_out_empty

t "every finding, one line each"
run validate "$T/bad-next.json"
expect_rc 1
expect_line "error /States/A/Next: Missing 'Next' target: B"
expect_line 'error /States/C: State "C" is not reachable.'
if [ "$(printf '%s\n' "$OUT" | wc -l)" -eq 2 ]; then ok; else bad "want 2 lines"; fi
mkjson loop.json '{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"A"}}}'
run validate "$T/loop.json"
expect_rc 1
expect_line 'error /: Workflow has no terminal state (a Succeed or Fail state, or a state with "End": true)'

t "warnings alone: exit 0"
run validate "$T/warn.json"
expect_rc 0
expect_out_has "warning /States/A/Parameters/a: "

t "--json: AWS's response shape"
run validate --json "$T/bad-next.json"
expect_rc 1
expect_json result '"FAIL"'
expect_py "diagnostics with severity, code, message, location" \
	'all(set(d) == {"severity", "code", "message", "location"} for d in r["diagnostics"]) and len(r["diagnostics"]) == 2'
expect_py "the Next finding" \
	'{"severity": "ERROR", "code": "MISSING_TRANSITION_TARGET", "message": "Missing '"'"'Next'"'"' target: B", "location": "/States/A/Next"} in r["diagnostics"]'
run validate --json "$T/ok.json"
expect_rc 0
expect_json result '"OK"'
expect_json diagnostics '[]'
run validate --json "$T/warn.json"
expect_rc 0
expect_json result '"OK"'
expect_py "a NO_DOLLAR warning" 'r["diagnostics"][0]["severity"] == "WARNING" and r["diagnostics"][0]["code"] == "NO_DOLLAR"'
run validate --pretty "$T/ok.json"
expect_rc 0
expect_out_has '  "result": "OK",'

t "malformed JSON is a finding (exit 1), with line and column"
run validate "$T/broken.json"
expect_rc 1
expect_out_has "error: Invalid JSON at line 3"
run validate --json "$T/broken.json"
expect_rc 1
expect_py "INVALID_JSON_DESCRIPTION without a location" \
	'r["diagnostics"][0]["code"] == "INVALID_JSON_DESCRIPTION" and "location" not in r["diagnostics"][0]'

t "a duplicate key is a finding (exit 1)"
run validate --json "$T/dup.json"
expect_rc 1
expect_py "INVALID_JSON_DESCRIPTION naming the duplicate" \
	'r["diagnostics"][0]["code"] == "INVALID_JSON_DESCRIPTION" and "duplicate" in r["diagnostics"][0]["message"]'

t "an empty file: MISSING_DESCRIPTION (exit 1)"
run validate --json "$T/empty.json"
expect_rc 1
expect_py "MISSING_DESCRIPTION" 'r["diagnostics"][0]["code"] == "MISSING_DESCRIPTION"'

t "the definition on stdin"
STDIN=$T/bad-next.json run validate -
expect_rc 1
expect_line "error /States/A/Next: Missing 'Next' target: B"
STDIN=$T/ok.json run validate -
expect_rc 0

t "--no-arn-check"
run validate "$T/arn.json"
expect_rc 1
expect_out_has "error /States/A/Resource: "
run validate --no-arn-check "$T/arn.json"
expect_rc 0
expect_out_empty

t "--no-path-check"
run validate "$T/path.json"
expect_rc 1
expect_out_has "error /States/A/InputPath: "
run validate --no-path-check "$T/path.json"
expect_rc 0

t "usage errors and unreadable files: exit 2"
run validate
expect_usage "DEFINITION"
run validate "$T/ok.json" "$T/ok.json"
expect_usage "one DEFINITION"
run validate --bogus "$T/ok.json"
expect_usage
run validate "$T/missing.json"
expect_usage "missing.json"
run validate "$T"
expect_usage
run validate --zip "$T/missing.zip" "$T/ok.json"
expect_usage "missing.zip"
run validate --release "$T/missing-release.json" "$T/ok.json"
expect_usage "missing-release.json"
run validate --help
expect_rc 0
expect_out_has "usage: stepdeploy validate"

t "--zip: the zip's findings are merged"
if [ -n "$PY" ]; then
	python3 - "$T" <<'PYEOF'
import sys, zipfile
d = sys.argv[1]
with zipfile.ZipFile(d + "/good.zip", "w") as z:
    z.writestr("index.js", "exports.handler = async () => 1;\n")
with zipfile.ZipFile(d + "/evil.zip", "w") as z:
    z.writestr("../evil", "x")
PYEOF
	run validate "$T/ok.json" --zip "$T/good.zip"
	expect_rc 0
	run validate --json "$T/ok.json" --zip "$T/evil.zip"
	expect_rc 1
	expect_json result '"FAIL"'
	expect_py "ZIP_PATH_TRAVERSAL at evil.zip:../evil" \
		'any(d["code"] == "ZIP_PATH_TRAVERSAL" and d["location"] == "evil.zip:../evil" for d in r["diagnostics"])'
	run validate "$T/bad-next.json" --zip "$T/evil.zip"
	expect_rc 1
	expect_line "error /States/A/Next: Missing 'Next' target: B"
	expect_out_has "error evil.zip:../evil: "
else
	SKIPPED=$((SKIPPED + 1))
fi

t "--release: the release's findings are merged"
mkjson release.json '{"release_id":"../x","project_name":"acme/app"}'
run validate --json "$T/ok.json" --release "$T/release.json"
expect_rc 1
expect_py "RELEASE_BAD_ID at release.json:/release_id" \
	'any(d["code"] == "RELEASE_BAD_ID" and d["location"] == "release.json:/release_id" for d in r["diagnostics"])'
expect_py "a missing field" 'any(d["code"] == "RELEASE_MISSING_FIELD" for d in r["diagnostics"])'
mkjson release-bad.json '{"release_id":'
run validate "$T/ok.json" --release "$T/release-bad.json"
expect_rc 1
expect_out_has "error release-bad.json:/: "

t "the lint corpus through the command"
if [ -d "$CORPUS" ]; then
	for f in "$CORPUS"/valid/*.json "$CORPUS"/invalid/*.json; do
		[ -e "$f" ] || continue
		rel=${f#"$CORPUS"/}
		want=0
		case $rel in invalid/*) want=1 ;; esac
		if grep -q "^${rel}[[:space:]]" "$KNOWN"; then
			want=$((1 - want))
		fi
		t "corpus $rel"
		run validate "$f"
		expect_rc "$want"
		if [ "$want" = 1 ]; then expect_out_has "error "; fi
	done
else
	echo "($CORPUS not found: corpus cases skipped)" >&2
	SKIPPED=$((SKIPPED + 1))
fi

# ---------------------------------------------------------------- release + zip
# A release and its zip agree: provided.* needs an executable bootstrap, and
# lambda_sha256 must be the zip's hash.
if command -v python3 >/dev/null 2>&1; then
	python3 - "$T" <<'PY'
import datetime, hashlib, json, sys, zipfile
t = sys.argv[1]
for name, mode in (("good.zip", 0o100755), ("noexec.zip", 0o100644)):
    z = zipfile.ZipFile(f"{t}/{name}", "w")
    i = zipfile.ZipInfo("bootstrap")
    i.external_attr = mode << 16
    z.writestr(i, "#!/bin/sh\n")
    z.close()
good = hashlib.sha256(open(f"{t}/good.zip", "rb").read()).hexdigest()
now = datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
base = {"release_id": "r1", "project_name": "acme/hello",
        "config_name": "production", "aws_account_id": "000000000000",
        "aws_region": "us-east-1", "lambda_name": "acme-hello",
        "step_fn_name": "acme-hello", "created_at": now,
        "runtime": "provided.al2023",
        "state_machine": {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}}
json.dump(dict(base, lambda_sha256=good), open(f"{t}/rel-good.json", "w"))
json.dump(dict(base, lambda_sha256="0" * 64), open(f"{t}/rel-bad.json", "w"))
json.dump(base["state_machine"], open(f"{t}/sm.json", "w"))
PY
	t "release and zip that agree"
	run validate "$T/sm.json" --release "$T/rel-good.json" --zip "$T/good.zip"
	expect_rc 0
	t "zip hash differs from lambda_sha256"
	run validate "$T/sm.json" --release "$T/rel-bad.json" --zip "$T/good.zip"
	expect_rc 1
	expect_out_has "error release.json:/lambda_sha256: the release's lambda_sha256"
	t "provided runtime without an executable bootstrap"
	run validate "$T/sm.json" --release "$T/rel-good.json" --zip "$T/noexec.zip"
	expect_rc 1
	expect_out_has "noexec.zip:bootstrap"
	t "--policy: a project the policy does not name"
	sed 's/acme\/hello/acme\/other/' "$T/rel-good.json" >"$T/rel-other.json"
	run validate "$T/sm.json" --release "$T/rel-other.json" --policy "$ROOT/policy/policy.example.json"
	expect_rc 1
	expect_out_has "error rel-other.json:/project_name: no project acme/other in the policy"
	t "--policy: the example project passes"
	run validate "$T/sm.json" --release "$T/rel-good.json" --zip "$T/good.zip" --policy "$ROOT/policy/policy.example.json"
	expect_rc 0
	t "--policy: a policy that does not load is bad usage"
	run validate "$T/sm.json" --policy "$T/nonexistent.json"
	expect_rc 2
fi

finish
