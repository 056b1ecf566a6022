#!/usr/bin/env bash
# tests/uploader/test_tls.sh: `stepdeploy deploy` over HTTPS: the local AWS
# stand-in serving TLS (standin --tls-cert/--tls-key) with a throwaway CA
# made here by the openssl CLI, the policy's endpoints https://127.0.0.1:P,
# signed by the real signer daemon (build/stepdeploy-signer).
#
#   bash tests/uploader/test_tls.sh	(STEPDEPLOY, SIGNER override)
#
# Checked: with --ca-bundle naming the CA the deploy goes through (code and
# definition read back from the stand-in, the Code.Location download
# included); without --ca-bundle, or with another CA's, it is refused at
# the first call with a TLS verification error naming the endpoint, not
# retried, nothing changed, no call reached the stand-in, no lock; a
# certificate for another name (IP:127.0.0.2) is refused even with the
# right CA; a dead https_proxy/HTTPS_PROXY/ALL_PROXY does not touch
# loopback endpoints. Everything started is killed from the EXIT trap.
# The last line is "N passed, M failed".
set -euo pipefail
NAME=test_tls
source "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || { echo "$0: openssl is missing (make deps)" >&2; exit 1; }

# ---------------------------------------------------------------- certificates
# ca.pem signs srv.pem (IP:127.0.0.1) and wrong.pem (IP:127.0.0.2 only);
# other-ca.pem signs nothing here.
C=$T/tls
mkdir -p "$C"
(
	cd "$C"
	for ca in ca other-ca; do
		openssl req -x509 -newkey rsa:2048 -nodes -keyout "$ca.key" -out "$ca.pem" \
			-days 2 -subj "/CN=stepdeploy test_tls $ca" \
			-addext basicConstraints=critical,CA:TRUE \
			-addext keyUsage=critical,keyCertSign,cRLSign
	done
	for s in srv:127.0.0.1 wrong:127.0.0.2; do
		openssl req -newkey rsa:2048 -nodes -keyout "${s%%:*}.key" \
			-out "${s%%:*}.csr" -subj "/CN=stand-in ${s#*:}"
		printf 'subjectAltName=IP:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
			"${s#*:}" >"${s%%:*}.ext"
		openssl x509 -req -in "${s%%:*}.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
			-out "${s%%:*}.pem" -days 2 -extfile "${s%%:*}.ext"
	done
) >"$T/openssl.log" 2>&1 || { echo "openssl failed:"; cat "$T/openssl.log"; exit 1; }

# lib.sh's hook: the policy's endpoints, control and s3get speak https and
# trust ca.pem.
STANDIN_SCHEME=https
STANDIN_CACERT=$C/ca.pem

up_start --update-delay 0.3 --tls-cert "$C/srv.pem" --tls-key "$C/srv.key"

# restart_standin NAME: the stand-in again on the same ports and state,
# serving NAME.pem.
restart_standin() {
	kill "$STANDIN_PID" 2>/dev/null || true
	wait "$STANDIN_PID" 2>/dev/null || true
	rm -f "$T/ready"
	"$STANDIN" --port "$P_S3" --port "$P_LAMBDA" --port "$P_STATES" --dir "$T/state" \
		--credentials "$T/creds" --update-delay 0.3 --ready-file "$T/ready" \
		--tls-cert "$C/$1.pem" --tls-key "$C/$1.key" >>"$T/standin.log" 2>&1 &
	STANDIN_PID=$!
	for _ in $(seq 1 300); do
		[ -s "$T/ready" ] && return 0
		kill -0 "$STANDIN_PID" 2>/dev/null || { echo "the stand-in died:"; cat "$T/standin.log"; exit 1; }
		sleep 0.1
	done
	echo "the stand-in is not ready after 30 s"
	exit 1
}
# tdeploy ID ZIP [ARGS...]: stepdeploy deploy of $T/ID.json with $T/ZIP.zip,
# ARGS added (--ca-bundle ...).
tdeploy() {
	local id=$1 zip=$2
	shift 2
	run "$SD" deploy --release "$T/$id.json" --zip "$T/$zip.zip" \
		--policy "$T/policy.json" --signer "$SOCK" --journal-dir "$T/j" "$@"
}
ncalls() { "$PY" -c 'import sys; print(sum(1 for l in open(sys.argv[1]) if l.strip()))' \
	"$T/state/_standin/calls.jsonl" 2>/dev/null || echo 0; }

# before_refusal / after_refusal TEXT: around a deploy that must be refused
# at its first call (Lock's) for TLS: exit 1, the verification error TEXT
# naming the S3 endpoint, one try, no step after Lock, nothing changed and
# no call logged by the stand-in.
before_refusal() {
	PREV_SHA=$(state 'fn("acme-hello")["CodeSha256"]')
	PREV_DEF=$(state 'canon(sm("acme-hello")["definition"])')
	PREV_CALLS=$(ncalls)
}
after_refusal() {
	expect_rc 1
	expect_err_has "Deploy.Lock"
	expect_err_has "https://127.0.0.1:$P_S3"
	expect_err_has "$1"
	case $ERR in *"try 2 of"*) bad "a TLS verification failure was retried" ;; *) ok ;; esac
	case $OUT in *"==> UpdateLambda"*|*"==> Upload"*) bad "the deploy went on" ;; *) ok ;; esac
	expect_eq calls-logged "$(ncalls)" "$PREV_CALLS"
	expect_eq CodeSha256 "$(state 'fn("acme-hello")["CodeSha256"]')" "$PREV_SHA"
	expect_eq definition "$(state 'canon(sm("acme-hello")["definition"])')" "$PREV_DEF"
	expect_eq lock-held "$(state 'has_lock()')" false
}

# ---------------------------------------------------------------- the set-up itself
t policy-https
expect_eq s3-endpoint "$(jget "$(cat "$T/policy.json")" 'v["endpoints"]["s3"]')" \
	"https://127.0.0.1:$P_S3"
t control-over-tls
OUT=$(control GET health)
expect_eq scheme "$(jget "$OUT" 'v["scheme"]')" https
run curl -sS --max-time 10 "https://127.0.0.1:$P_S3/_standin/health"
expect_rc 60	# curl's own trust store does not have the throwaway CA

# ---------------------------------------------------------------- refused: no CA bundle, another CA
t refused-without-ca-bundle
before_refusal
tdeploy r-1 b
after_refusal "SSL certificate problem"

t refused-other-ca
before_refusal
tdeploy r-1 b --ca-bundle "$C/other-ca.pem"
after_refusal "SSL certificate problem"

# ---------------------------------------------------------------- deployed with the CA
t deploy-with-ca-bundle
tdeploy r-1 b --ca-bundle "$C/ca.pem"
expect_rc 0
for s in Lock ValidateResources Upload Snapshot UpdateLambda PublishVersion \
    UpdateStateMachine Verify Record ReleaseLock; do
	expect_has "==> $s"
done
expect_has "deploy r-1: Deployed"
expect_eq CodeSha256 "$(state 'fn("acme-hello")["CodeSha256"]')" "$(b64sha256 "$T/b.zip")"
expect_eq definition "$(state 'canon(sm("acme-hello")["definition"])')" "$(canon_file "$T/r-1-def.json")"
expect_eq lock-held "$(state 'has_lock()')" false
expect_eq result "$(jget "$(s3get acme/hello/production/r-1/result.json)" 'v["status"]')" Deployed
# Snapshot downloaded the previous code from its https Code.Location.
expect_eq previous.zip-md5 \
	"$(state 'r["s3"]["'"$B"'"]["objects"]["acme/hello/production/r-1/previous.zip"]["etag"].strip("\"")')" \
	"$(md5sum <"$T/a.zip" | cut -d' ' -f1)"

# ---------------------------------------------------------------- a dead proxy is not used for loopback
t loopback-bypasses-proxy
DEAD=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
PROXY=(env -u no_proxy -u NO_PROXY https_proxy="http://127.0.0.1:$DEAD"
	HTTPS_PROXY="http://127.0.0.1:$DEAD" http_proxy="http://127.0.0.1:$DEAD"
	ALL_PROXY="http://127.0.0.1:$DEAD" all_proxy="http://127.0.0.1:$DEAD")
# The proxy is live in this environment: curl itself goes through it (and fails).
run "${PROXY[@]}" curl -sS --max-time 10 --cacert "$C/ca.pem" "https://127.0.0.1:$P_S3/_standin/health"
expect_rc 7
expect_err_has "$DEAD"
mkrel r-proxy r-2
run "${PROXY[@]}" "$SD" deploy --release "$T/r-proxy.json" --zip "$T/c.zip" \
	--policy "$T/policy.json" --signer "$SOCK" --journal-dir "$T/j" --ca-bundle "$C/ca.pem"
expect_rc 0
expect_has "deploy r-proxy: Deployed"
expect_eq CodeSha256 "$(state 'fn("acme-hello")["CodeSha256"]')" "$(b64sha256 "$T/c.zip")"
expect_eq definition "$(state 'canon(sm("acme-hello")["definition"])')" "$(canon_file "$T/r-2-def.json")"
expect_eq lock-held "$(state 'has_lock()')" false

# ---------------------------------------------------------------- refused: a certificate for another name
t refused-wrong-name
before_refusal
restart_standin wrong
mkrel r-wrong-name r-1
tdeploy r-wrong-name b --ca-bundle "$C/ca.pem"
restart_standin srv
after_refusal "no alternative certificate subject name matches"

up_end
