#!/usr/bin/env bash
# tests/bench/table.sh: every bench of make bench in one run, then ONE
# table: ours beside each peer, the ratio (ours / peer), the goal and
# whether it is met.
#
#   bash tests/bench/table.sh [BUILD_DIR] [SHARED_DIR]     (default: build ../shared)
#
# The scripts (tests/bench/*_run.sh, run.sh) run one after another, each
# writing its rows (tests/bench/lib.sh: BENCH_ROWS) and its own detailed
# output, kept in BUILD/bench-logs/NAME.log (BENCH_VERBOSE=1 shows it as
# it runs). The peers (npm packages from SHARED/peers) are installed once
# in BUILD/peers; a peer that cannot run is skipped, with the reason under
# the table, and our figures print without it. Each figure is the median
# of BENCH_REPEAT runs (default 3); BENCH_RUNS_SCALE=0.1 makes a quick
# try. Exits 1 if a script failed (its rows after the failure are missing;
# see its log).
set -euo pipefail

cd "$(dirname "$0")/../.."
# shellcheck source=tests/bench/lib.sh
source tests/bench/lib.sh
BUILD=${1:-build}
SHARED=${2:-../shared}
LOGS=$BUILD/bench-logs
PY=${PYTHON:-python3}

command -v "$PY" >/dev/null || { echo "bench: $PY is missing (make deps)" >&2; exit 1; }
rm -rf "$LOGS"
mkdir -p "$LOGS"
BENCH_ROWS=$(cd "$LOGS" && pwd)/rows.tsv
BENCH_SKIPS=$(cd "$LOGS" && pwd)/skips.tsv
: >"$BENCH_ROWS"
: >"$BENCH_SKIPS"
export BENCH_ROWS BENCH_SKIPS BENCH_REPEAT

# The peers once, before the scripts (each would otherwise try).
bench_peers "$BUILD" "$SHARED"
if [ "$PEER" = 0 ]; then
	# Each script then notes its own peers as skipped, with this reason.
	BENCH_NO_PEER=1 BENCH_PEER_WHY=$PEER_WHY
	export BENCH_NO_PEER BENCH_PEER_WHY
fi

# name | script and arguments
SCRIPTS=(
	"engine|tests/bench/run.sh $BUILD $SHARED"
	"validator|tests/bench/lint_run.sh $BUILD $SHARED"
	"signer|tests/bench/sign_run.sh $BUILD $SHARED"
	"jsonata|tests/bench/jsonata_run.sh $BUILD '' $SHARED"
	"deploy|tests/bench/deploy_run.sh $BUILD"
	"service|tests/bench/service_run.sh $BUILD"
	"itemreader|tests/bench/itemreader_run.sh $BUILD"
)

failed=
t_all=$(date +%s)
for s in "${SCRIPTS[@]}"; do
	name=${s%%|*}
	cmd=${s#*|}
	t0=$(date +%s)
	printf 'bench: %-11s ' "$name" >&2
	if [ -n "${BENCH_VERBOSE:-}" ]; then
		echo >&2
		# shellcheck disable=SC2086 # cmd is words without spaces in them
		set +e
		eval bash $cmd 2>&1 | tee "$LOGS/$name.log"
		rc=${PIPESTATUS[0]}
		set -e
	else
		rc=0
		eval bash $cmd >"$LOGS/$name.log" 2>&1 || rc=$?
	fi
	if [ "$rc" = 0 ]; then
		echo "done ($(( $(date +%s) - t0 )) s)" >&2
	else
		echo "FAILED (exit $rc; $LOGS/$name.log)" >&2
		failed+=" $name"
	fi
done

echo
"$PY" - "$BENCH_ROWS" "$BENCH_SKIPS" "$BENCH_REPEAT" <<'PYEOF'
import sys

rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
skips = [l.rstrip("\n").split("\t", 1) for l in open(sys.argv[2]) if l.strip()]
repeat = sys.argv[3]
UNITS = {"us": "µs"}


def num(v, unit):
    if v in ("", "-"):
        return "—"
    try:
        x = float(v)
    except ValueError:
        return v
    if unit in ("ms", "us") or abs(x) < 100:
        return "{:,.1f}".format(x)
    return "{:,.0f}".format(x)


def goal(g, unit):
    if g in ("", "-"):
        return "—"
    u = UNITS.get(unit, unit)
    if g.startswith("ratio>="):
        return "≥ %s×" % g[7:]
    if g.startswith("ours<"):
        if unit == "MiB" and g[5:] == "1024":
            return "< 1 GB"
        return "< %s %s" % (g[5:], u)
    if g.startswith("ours>="):
        return "≥ %s %s" % (g[6:], u)
    return g


table = [("bench", "ours", "unit", "peer", "peer's", "ratio", "goal", "met")]
for r in rows:
    r = (r + ["-"] * 8)[:8]
    name, ours, unit, pname, peer, ratio, g, met = r
    table.append((name, num(ours, unit), UNITS.get(unit, unit),
                  "—" if pname in ("", "-") else pname, num(peer, unit),
                  "—" if ratio in ("", "-") else "{:,.1f}×".format(float(ratio)),
                  goal(g, unit), "—" if met in ("", "-") else met))
w = [max(len(t[i]) for t in table) for i in range(8)]
right = {1, 4, 5}
for j, t in enumerate(table):
    print("  ".join(c.rjust(w[i]) if i in right else c.ljust(w[i])
                    for i, c in enumerate(t)).rstrip())
    if j == 0:
        print("  ".join("-" * x for x in w))
print()
print("ratio = ours / peer (higher is better); each figure the median of %s runs." % repeat)
seen = []
for s in skips:
    s = (s + [""])[:2]
    if s not in seen:
        seen.append(s)
if seen:
    print("peers skipped: " + "; ".join("%s (%s)" % (p, why) for p, why in seen))
else:
    print("peers skipped: none")
missed = [r[0] for r in rows if r[7:8] == ["NO"]]
if missed:
    print("goals not met: " + ", ".join(missed))
PYEOF
echo "details: $LOGS/*.log ($(( $(date +%s) - t_all )) s in all)"
if [ -n "$failed" ]; then
	echo "bench: failed:$failed (rows after the failure are missing; see the logs)" >&2
	exit 1
fi
