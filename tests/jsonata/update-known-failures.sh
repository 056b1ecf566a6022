#!/usr/bin/env bash
# tests/jsonata/update-known-failures.sh: rewrite a known-failures list
# from a run of the suite: the cases that fail now, each with its reason
# from the old list when it had one, else the failure's first line.
# Only for a new list, or to take a list down after fixes; review the diff.
#
#   bash tests/jsonata/update-known-failures.sh [SUITE_BIN] [LIST] [SUITE_DIR]
set -euo pipefail

cd "$(dirname "$0")/../.."
BIN=${1:-build/asan/jsonata-suite}
LIST=${2:-tests/jsonata/known-failures}
DIR=${3:-../shared/jsonata-testsuite}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/jsonata-known.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

"$BIN" --jobs "${JOBS:-2}" "$DIR" >"$TMP/run" 2>&1 || true
tail -n 1 "$TMP/run"
{
	grep '^#' "$LIST" || true
	awk -v old="$LIST" '
	BEGIN {
		while ((getline l < old) > 0) {
			if (l ~ /^#/ || l ~ /^[ \t]*$/) continue
			n = split(l, f, /[ \t]+/)
			r = l; sub(/^[^ \t]+[ \t]+/, "", r)
			if (r != l) why[f[1]] = r
		}
	}
	/^FAIL / {
		name = $2; sub(/:$/, "", name)
		r = $0; sub(/^FAIL +[^ ]+ /, "", r)
		print name "  " (name in why ? why[name] : r)
	}' "$TMP/run" | sort -t/ -k1,1 -k2,2V
} >"$TMP/new"
mv "$TMP/new" "$LIST"
echo "$(grep -vc '^#' "$LIST" || true) cases listed in $LIST"
