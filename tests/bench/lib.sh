# shellcheck shell=bash disable=SC2034 # (PEER, PEER_WHY are for the scripts)
# tests/bench/lib.sh: what the bench scripts share (sourced; defines
# functions and a few variables, sets no trap).
#
#   source "$(dirname "$0")/lib.sh"
#
# Environment:
#   BENCH_RUNS_SCALE=F  scales every iteration count (and the number of
#                       repeats) down for a quick try (default 1)
#   BENCH_REPEAT=N      each figure is the median of N runs (default 3;
#                       scaled by BENCH_RUNS_SCALE, at least 1)
#   BENCH_ROWS=FILE     append one tab-separated row per figure to FILE:
#                       name ours unit peer-name peer ratio goal met
#                       ("-" where there is nothing; tests/bench/table.sh
#                       prints them as one table)
#   BENCH_SKIPS=FILE    append "peer<TAB>why" for each peer not run
#   BENCH_NO_PEER=1     run no peer (BENCH_PEER_WHY: the reason to give)

BENCH_SCALE=${BENCH_RUNS_SCALE:-1}
BENCH_ROWS=${BENCH_ROWS:-}
BENCH_SKIPS=${BENCH_SKIPS:-}

# bench_scaled N: N times the scale, at least 1.
bench_scaled() {
	awk -v n="$1" -v s="$BENCH_SCALE" 'BEGIN { n = int(n * s + 0.5); print (n < 1 ? 1 : n) }'
}
BENCH_REPEAT=$(bench_scaled "${BENCH_REPEAT:-3}")

# jnum KEY: the number under KEY in the JSON line on stdin.
jnum() { grep -o "\"$1\":[0-9.eE+-]*" | head -n 1 | cut -d: -f2; }

# commify N: N with a comma between each three digits (1,000,000).
commify() { awk -v n="$1" 'BEGIN { s = sprintf("%d", n); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s); print s }'; }

# median: the median of the numbers on stdin, one a line (nothing if none).
median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) exit
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# jmedian KEY FILE: the median of the numbers under KEY in FILE's JSON lines.
jmedian() { { grep -o "\"$1\":[0-9.eE+-]*" "$2" || true; } | cut -d: -f2 | median; }

# bench_repeat KEY CMD...: runs CMD BENCH_REPEAT times, prints the median
# of the number under KEY in its JSON output; returns 1 if a run fails.
bench_repeat() {
	local key=$1 out vals=
	shift
	for _ in $(seq 1 "$BENCH_REPEAT"); do
		out=$("$@") || return 1
		vals+="$(jnum "$key" <<<"$out")"$'\n'
	done
	printf '%s' "$vals" | grep . | median
}

# bench_ratio OURS PEER: OURS / PEER, or "-".
bench_ratio() {
	awk -v o="$1" -v p="$2" 'BEGIN {
		if (o == "" || o == "-" || p == "" || p == "-" || p + 0 == 0) print "-"
		else printf "%.1f\n", o / p }'
}

# bench_row NAME OURS UNIT PEER_NAME PEER GOAL: appends a row to
# BENCH_ROWS (when set). GOAL is "-", "ratio>=X" (ours/peer at least X),
# "ours<X" or "ours>=X"; the row's met is yes, NO, or "-" when the goal
# cannot be checked (no goal, or no peer figure).
bench_row() {
	local name=$1 ours=${2:--} unit=$3 pname=${4:--} peer=${5:--} goal=${6:--}
	local ratio met
	ratio=$(bench_ratio "$ours" "$peer")
	met=$(awk -v g="$goal" -v o="$ours" -v r="$ratio" 'BEGIN {
		if (g == "-" || o == "-" || o == "") { print "-"; exit }
		if (g ~ /^ratio>=/) { x = substr(g, 8); v = r }
		else if (g ~ /^ours</) { x = substr(g, 6); v = o
			if (v == "-") print "-"; else print (v + 0 < x + 0 ? "yes" : "NO"); exit }
		else if (g ~ /^ours>=/) { x = substr(g, 7); v = o }
		else { print "-"; exit }
		if (v == "-") print "-"; else print (v + 0 >= x + 0 ? "yes" : "NO") }')
	if [ -n "$BENCH_ROWS" ]; then
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$ours" "$unit" "$pname" \
		    "$peer" "$ratio" "$goal" "$met" >>"$BENCH_ROWS"
	fi
}

# bench_skip PEER WHY: notes that PEER was not run, on stderr and in
# BENCH_SKIPS.
bench_skip() {
	echo "bench: peer $1 skipped: $2" >&2
	if [ -n "$BENCH_SKIPS" ]; then
		printf '%s\t%s\n' "$1" "$2" >>"$BENCH_SKIPS"
	fi
}

# bench_peers BUILD SHARED: makes the peers' npm packages ready in
# BUILD/peers (a copy of SHARED/peers' package.json and package-lock.json,
# npm ci, once) and exports NODE_PATH. Sets PEER=1, or PEER=0 and
# PEER_WHY saying why not.
bench_peers() {
	local build=$1 shared=$2 log
	PEER=1
	PEER_WHY=
	if [ -n "${BENCH_NO_PEER:-}" ]; then
		PEER=0 PEER_WHY=${BENCH_PEER_WHY:-"BENCH_NO_PEER is set"}
	elif ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
		PEER=0 PEER_WHY="node or npm is not installed"
	elif [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -lt 20 ]; then
		PEER=0 PEER_WHY="node $(node --version) is older than 20"
	elif [ ! -r "$shared/peers/package-lock.json" ]; then
		PEER=0 PEER_WHY="$shared/peers/package-lock.json is missing"
	elif [ ! -d "$build/peers/node_modules" ]; then
		echo "bench: installing the peer packages in $build/peers (npm ci, once)" >&2
		mkdir -p "$build/peers"
		cp "$shared/peers/package.json" "$shared/peers/package-lock.json" "$build/peers/"
		log=$build/peers/npm.log
		if ! (cd "$build/peers" && npm ci --no-audit --no-fund >npm.log 2>&1); then
			tail -n 5 "$log" >&2
			rm -rf "$build/peers/node_modules"
			PEER=0 PEER_WHY="npm ci failed in $build/peers (see $log)"
		fi
	fi
	NODE_PATH=$(cd "$build" && pwd)/peers/node_modules
	export NODE_PATH
}

# bench_peer_has BUILD PACKAGE: the peers are ready and hold PACKAGE.
bench_peer_has() {
	[ "${PEER:-0}" = 1 ] && [ -d "$1/peers/node_modules/$2" ]
}
