#!/usr/bin/env python3
"""Make the fuzz_jsonata seeds (tests/data/jsonata/) from the JSONata test
suite: each seed is an expression on one line, then its input as compact
JSON (when it has one under 4 KiB). A few from every group, up to N.

    python3 tests/jsonata/make_seeds.py [SUITE_DIR] [OUT_DIR] [N]
"""
import glob
import json
import os
import random
import sys

suite = sys.argv[1] if len(sys.argv) > 1 else "../shared/jsonata-testsuite"
out = sys.argv[2] if len(sys.argv) > 2 else "tests/data/jsonata"
n_max = int(sys.argv[3]) if len(sys.argv) > 3 else 400

datasets = {}
for f in glob.glob(os.path.join(suite, "datasets", "*.json")):
    with open(f, encoding="utf-8") as fp:
        datasets[os.path.basename(f)[:-5]] = json.load(fp)

groups = {}
for f in sorted(glob.glob(os.path.join(suite, "groups", "*", "*.json"))):
    with open(f, encoding="utf-8") as fp:
        try:
            cases = json.load(fp)
        except ValueError:
            continue
    if isinstance(cases, dict):
        cases = [cases]
    g = os.path.basename(os.path.dirname(f))
    for c in cases:
        expr = c.get("expr")
        if not isinstance(expr, str):
            continue
        expr = " ".join(expr.splitlines())
        if "data" in c:
            data = c["data"]
            has = True
        elif isinstance(c.get("dataset"), str):
            data = datasets.get(c["dataset"])
            has = data is not None
        else:
            data, has = None, False
        text = expr + "\n"
        if has:
            d = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
            if len(d) < 4096:
                text += d + "\n"
        groups.setdefault(g, []).append(text)

rng = random.Random(1)
per = max(1, n_max // max(1, len(groups)))
chosen = []
seen = set()
for g in sorted(groups):
    items = [t for t in groups[g] if t not in seen]
    rng.shuffle(items)
    for t in items[:per]:
        seen.add(t)
        chosen.append(t)
rest = [t for g in sorted(groups) for t in groups[g] if t not in seen]
rng.shuffle(rest)
for t in rest[: max(0, n_max - len(chosen))]:
    seen.add(t)
    chosen.append(t)

os.makedirs(out, exist_ok=True)
for f in glob.glob(os.path.join(out, "seed_*")):
    os.remove(f)
for i, t in enumerate(chosen):
    with open(os.path.join(out, "seed_%03d" % i), "w", encoding="utf-8",
              errors="surrogatepass") as fp:
        fp.write(t)
print("%d seeds in %s" % (len(chosen), out))
