#!/usr/bin/env bash
# tests/install/test_install.sh: make install into a temporary DESTDIR, as
# a build host would get it (PREFIX=/usr), checked:
#   - every file where it belongs, with its mode; the units' paths follow
#     PREFIX (no @...@ left, ExecStart names the installed binary);
#   - a second install keeps an edited /etc/stepdeploy/policy.json;
#   - the sysusers.d and tmpfiles.d files parse (systemd-sysusers
#     --dry-run); as root, they also create the users and /run/stepdeploy
#     (1771 root:stepdeploy) in a scratch --root;
#   - systemd-analyze verify passes, silently, for each unit;
#   - systemd-analyze security --offline=true rates each unit 2.0 or below
#     (each score is printed).
#
# How verify runs (systemd 252): `systemd-analyze verify --root=DESTDIR`
# looks up everything in DESTDIR, the units the service depends on by
# default (sysinit.target, ...) and ExecReload's /bin/kill included, which a
# DESTDIR does not have ("Unit sysinit.target not found"); without --root it
# wants ExecStart's binary at its real path. So verify runs on a second
# install with real paths: PREFIX=$tmp/prefix SYSCONFDIR=$tmp/prefix/etc and
# no DESTDIR, unit files given by path, MANPATH pointing at the installed
# man pages (verify runs `man` for each Documentation=man:...; --man=no when
# there is no man). verify exits
# 0 on unknown keys and bad values (it only warns), so any output fails.
# security --offline=true reads a unit file by path and needs nothing else:
# it rates the DESTDIR (PREFIX=/usr) units themselves.
#
# Needs nothing root-only: SKIP (exit 0) only when systemd-analyze is absent.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
MAKE=${MAKE:-make}
MAX_SCORE=${MAX_SCORE:-2.0}
UNITS="stepdeploy-signer stepdeploy-executor stepdeploy-uploader stepdeploy-validator"
PROGS="stepdeploy stepdeploy-signer stepdeploy-executor stepdeploy-uploader stepdeploy-validator"

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIP: test_install.sh: systemd-analyze is not installed"
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/stepdeploy-install.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

failed=0
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; failed=1; }

# mode_is FILE MODE: FILE exists (not a symlink) with octal MODE.
mode_is() {
	local m
	if [ ! -e "$1" ] || [ -L "$1" ]; then fail "$1 is missing"; return; fi
	m=$(stat -c %a "$1")
	[ "$m" = "$2" ] && ok "$1 $m" || fail "$1 has mode $m, not $2"
}

# ---------------------------------------------------------------- install
D=$tmp/root
if ! $MAKE -s -C "$ROOT" install DESTDIR="$D" PREFIX=/usr >"$tmp/install.log" 2>&1; then
	cat "$tmp/install.log"; echo "FAIL: make install DESTDIR=$D PREFIX=/usr"; exit 1
fi
ok "make install DESTDIR=\$tmp/root PREFIX=/usr"

for p in $PROGS; do
	mode_is "$D/usr/bin/$p" 755
	"$D/usr/bin/$p" --help >/dev/null 2>&1 || fail "$p --help exits non-zero"
done
for u in $UNITS; do
	f=$D/usr/lib/systemd/system/$u.service
	mode_is "$f" 644
	[ -e "$f" ] || continue
	if grep -n '@[A-Z]*@' "$f"; then fail "$f: a template variable is left"; fi
	grep -q "^ExecStart=/usr/bin/$u " "$f" && ok "$u: ExecStart=/usr/bin/$u" ||
	    fail "$f: ExecStart is not /usr/bin/$u"
	grep -q -- "--policy /etc/stepdeploy/policy.json" "$f" ||
	    fail "$f: not --policy /etc/stepdeploy/policy.json"
done
mode_is "$D/usr/lib/sysusers.d/stepdeploy.conf" 644
mode_is "$D/usr/lib/tmpfiles.d/stepdeploy.conf" 644
mode_is "$D/etc/stepdeploy" 755
mode_is "$D/etc/stepdeploy/policy.json" 644
cmp -s "$D/etc/stepdeploy/policy.json" "$ROOT/policy/policy.example.json" &&
    ok "policy.json is the example" || fail "policy.json is not policy/policy.example.json"
mode_is "$D/usr/share/man/man1/stepdeploy.1" 644
for u in $UNITS; do mode_is "$D/usr/share/man/man8/$u.8" 644; done
if command -v man >/dev/null 2>&1; then
	for m in "$D"/usr/share/man/man*/*; do
		w=$(MANWIDTH=80 man --warnings -l "$m" 2>&1 >/dev/null)
		[ -z "$w" ] && ok "man -l $(basename "$m")" || fail "man -l $m: $w"
	done
fi

# ---------------------------------------------------------------- the policy is kept
echo '{"version": 1, "edited": "by the admin"}' >"$D/etc/stepdeploy/policy.json"
chmod 0640 "$D/etc/stepdeploy/policy.json"
if ! $MAKE -s -C "$ROOT" install DESTDIR="$D" PREFIX=/usr >"$tmp/install2.log" 2>&1; then
	cat "$tmp/install2.log"; fail "a second make install"
fi
if grep -q '"edited": "by the admin"' "$D/etc/stepdeploy/policy.json" &&
    [ "$(stat -c %a "$D/etc/stepdeploy/policy.json")" = 640 ]; then
	ok "a second install keeps the edited policy.json (and its mode)"
else
	fail "a second install overwrote the edited policy.json"
fi
grep -q "keeping $D/etc/stepdeploy/policy.json" "$tmp/install2.log" &&
    ok "the second install says it keeps it" || fail "the second install does not say it keeps policy.json"

# ---------------------------------------------------------------- sysusers, tmpfiles
SU=$D/usr/lib/sysusers.d/stepdeploy.conf TF=$D/usr/lib/tmpfiles.d/stepdeploy.conf
if command -v systemd-sysusers >/dev/null 2>&1; then
	mkdir -p "$tmp/sys/etc"
	if out=$(systemd-sysusers --dry-run --root="$tmp/sys" "$SU" 2>&1); then
		ok "systemd-sysusers --dry-run"
	else
		fail "systemd-sysusers --dry-run: $out"
	fi
	if [ "$(id -u)" = 0 ] && command -v systemd-tmpfiles >/dev/null 2>&1; then
		systemd-sysusers --root="$tmp/sys" "$SU" >/dev/null 2>&1 ||
		    fail "systemd-sysusers --root"
		for u in $UNITS; do
			grep -q "^$u:x:[0-9]*:[0-9]*:[^:]*:/:/usr/sbin/nologin$" "$tmp/sys/etc/passwd" &&
			    ok "user $u" || fail "systemd-sysusers made no user $u"
		done
		gid=$(awk -F: '$1 == "stepdeploy" { print $3 }' "$tmp/sys/etc/group")
		[ -n "$gid" ] && ok "group stepdeploy ($gid)" || fail "systemd-sysusers made no group stepdeploy"
		if systemd-tmpfiles --root="$tmp/sys" --create "$TF" >"$tmp/tmpfiles.log" 2>&1; then
			got=$(stat -c '%a %u %g' "$tmp/sys/run/stepdeploy" 2>/dev/null)
			[ "$got" = "1771 0 $gid" ] && ok "systemd-tmpfiles: /run/stepdeploy 1771 root:stepdeploy" ||
			    fail "/run/stepdeploy is '$got', not '1771 0 $gid'"
			# Each state directory as its unit's StateDirectory= makes it.
			for u in $UNITS; do
				d=${u#stepdeploy-}
				want=$(sed -n 's/^StateDirectoryMode=0*//p' "$D/usr/lib/systemd/system/$u.service")
				uid=$(awk -F: -v n="$u" '$1 == n { print $3 ":" $4 }' "$tmp/sys/etc/passwd")
				got=$(stat -c '%a %u:%g' "$tmp/sys/var/lib/stepdeploy/$d" 2>/dev/null)
				[ "$got" = "$want $uid" ] && ok "systemd-tmpfiles: /var/lib/stepdeploy/$d $got" ||
				    fail "/var/lib/stepdeploy/$d is '$got', not '$want $uid' (StateDirectoryMode=)"
			done
		else
			cat "$tmp/tmpfiles.log"; fail "systemd-tmpfiles --create"
		fi
	else
		echo "note: not root: users and /run/stepdeploy not created in a scratch root"
	fi
fi

# ---------------------------------------------------------------- verify
P=$tmp/prefix
if ! $MAKE -s -C "$ROOT" install-signer install-service install-systemd install-man \
    PREFIX="$P" SYSCONFDIR="$P/etc" >"$tmp/install3.log" 2>&1; then
	cat "$tmp/install3.log"; fail "make install-systemd PREFIX=\$tmp/prefix"
fi
# verify runs man(1) for each Documentation=man:...; without man, --man=no.
MANCHECK=--man=yes
command -v man >/dev/null 2>&1 || { MANCHECK=--man=no; echo "note: no man(1): verify --man=no"; }
for u in $UNITS; do
	f=$P/lib/systemd/system/$u.service
	grep -q "^ExecStart=$P/bin/$u " "$f" || fail "$f: ExecStart does not follow PREFIX"
	if out=$(MANPATH=$P/share/man systemd-analyze verify "$MANCHECK" "$f" 2>&1) &&
	    [ -z "$out" ]; then
		ok "systemd-analyze verify $u.service"
	else
		echo "$out"; fail "systemd-analyze verify $u.service"
	fi
done

# ---------------------------------------------------------------- security
echo "systemd-analyze security --offline=true (at most $MAX_SCORE):"
for u in $UNITS; do
	f=$D/usr/lib/systemd/system/$u.service
	out=$(systemd-analyze security --offline=true --no-pager "$f" 2>&1)
	score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9.]*\).*/\1/p')
	if [ -z "$score" ]; then
		echo "$out"; fail "$u.service: no overall exposure level"; continue
	fi
	if awk -v s="$score" -v m="$MAX_SCORE" 'BEGIN { exit !(s <= m) }'; then
		echo "  $u.service: $score"
	else
		printf '%s\n' "$out" | grep '✗'
		fail "$u.service: exposure $score, above $MAX_SCORE"
	fi
done

if [ "$failed" != 0 ]; then echo "test_install.sh: FAILED"; exit 1; fi
echo "test_install.sh: ok"
