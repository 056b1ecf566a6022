#!/usr/bin/env python3
"""The differential test of sd_jsonata against jsonata-js.

Random expressions from a small grammar (paths, predicates, arithmetic,
comparisons, strings, library functions, lambdas, constructors, grouping,
blocks and variables) over a few data sets are evaluated by jsonata-js
(tests/jsonata/diff-peer.js, node) and by ours (jsonata-suite --batch: one
process, each expression in a child), and the answers compared: the value
(numbers by value, with a relative 1e-12 slack), undefined, or the error
code. Mismatches are printed; --regress FILE writes them as cases in the
test suite's format (tests/jsonata/regress/*.json).

    python3 tests/jsonata/diff.py [--count N] [--seed S] [--suite BIN]
        [--node-path DIR] [--regress FILE] [--show N] [--keep DIR]

Exit 1 when some answer differs, 0 when all agree, 2 when a side cannot
run (node or jsonata missing).
"""
import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

DATASETS = [
    {
        "Account": {
            "Name": "Firefly",
            "Order": [
                {"OrderID": "order103", "Product": [
                    {"Name": "Bowler Hat", "ProductID": 858383, "SKU": "0406654608",
                     "Price": 34.45, "Quantity": 2, "Tags": ["hat", "black"]},
                    {"Name": "Trilby hat", "ProductID": 858236, "SKU": "0406634348",
                     "Price": 21.67, "Quantity": 1, "Tags": ["hat"]}]},
                {"OrderID": "order104", "Product": [
                    {"Name": "Bowler Hat", "ProductID": 858383, "SKU": "040657863",
                     "Price": 34.45, "Quantity": 4, "Tags": []},
                    {"Name": "Cloak", "ProductID": 345664, "SKU": "0406654603",
                     "Price": 107.99, "Quantity": 1, "Tags": ["coat", "black"]}]},
            ],
        }
    },
    {
        "items": [
            {"name": "  apple ", "category": "fruit", "price": 1.25, "qty": 4, "ok": True},
            {"name": "banana", "category": "fruit", "price": 0.5, "qty": 12, "ok": False},
            {"name": "Carrot", "category": "veg", "price": 0.1, "qty": 30, "ok": True},
            {"name": "daikon radish", "category": "veg", "price": 2, "qty": 1, "ok": None},
            {"name": "Eggs", "category": "dairy", "price": 3.99, "qty": 0, "ok": True},
        ],
        "tax": 0.2,
        "label": "Store #1",
    },
    {
        "a": 1, "b": -2.5, "c": "text", "d": True, "e": None,
        "f": [1, 2, 3, 4, 5], "g": ["x", "y", "z"], "h": [[1, 2], [3], []],
        "i": {"j": {"k": [{"l": 1}, {"l": 2}, {"m": 3}]}},
        "n": [{"v": 3}, {"v": 1}, {"v": 2}], "s": "Hello, World",
        "z": 0, "big": 1e21, "tiny": 1e-7, "neg": -0.0001,
    },
]

FIELDS = {
    0: ["Account", "Name", "Order", "OrderID", "Product", "ProductID", "SKU",
        "Price", "Quantity", "Tags", "Missing"],
    1: ["items", "name", "category", "price", "qty", "ok", "tax", "label", "nope"],
    2: ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n",
        "v", "s", "z", "big", "tiny", "neg", "q"],
}
PATHS = {
    0: ["Account.Order.Product", "Account.Order", "Account.Order.Product.Price",
        "Account.Order.Product.Name", "Account.Order.OrderID", "Account.Name",
        "Account.Order.Product.Tags", "Account.Order.Product.Quantity",
        "Account.*.Product", "**.Price", "Account.Order[0].Product",
        "Account.Order.Product.SKU"],
    1: ["items", "items.price", "items.qty", "items.name", "items.category",
        "items.ok", "tax", "label", "items[price > 1]", "items.(price * qty)"],
    2: ["f", "g", "h", "i.j.k", "i.j.k.l", "n", "n.v", "s", "a", "b", "c",
        "**.l", "i.*", "h[0]", "$"],
}
NUMPATHS = {
    0: ["Account.Order.Product.Price", "Account.Order.Product.Quantity",
        "Account.Order.Product.ProductID"],
    1: ["items.price", "items.qty", "tax", "items.(price * qty)"],
    2: ["f", "n.v", "a", "b", "i.j.k.l", "z", "tiny", "neg"],
}
STRPATHS = {
    0: ["Account.Name", "Account.Order.OrderID", "Account.Order.Product.Name",
        "Account.Order.Product.SKU"],
    1: ["items.name", "items.category", "label"],
    2: ["c", "s", "g"],
}
STRINGS = ['"abc"', '"Hello"', '""', '"a,b,c"', "'x y z'", '"hat"', '"fruit"',
           '"  pad  "', '"ÀÉ ü"', '"order104"', '"1.5"', '"-"']
NUMBERS = ["0", "1", "2", "3", "10", "-1", "0.5", "2.5", "100", "1e3", "7", "0.1"]


class Gen:
    def __init__(self, rng, ds):
        self.r = rng
        self.ds = ds
        self.depth = 0

    def pick(self, xs):
        return self.r.choice(xs)

    def deeper(self, f, *a):
        self.depth += 1
        try:
            return f(*a)
        finally:
            self.depth -= 1

    def leaf_num(self):
        return self.pick(NUMBERS)

    def leaf_str(self):
        return self.pick(STRINGS)

    def num(self):
        if self.depth > 3:
            return self.pick([self.leaf_num(), self.pick(NUMPATHS[self.ds])])
        k = self.r.randrange(12)
        if k == 0:
            return self.leaf_num()
        if k == 1:
            return "$sum(%s)" % self.pick(NUMPATHS[self.ds])
        if k == 2:
            return "$count(%s)" % self.deeper(self.any)
        if k == 3:
            return "(%s %s %s)" % (self.deeper(self.num), self.pick("+-*/%"),
                                   self.deeper(self.num))
        if k == 4:
            return "$%s(%s)" % (self.pick(["max", "min", "average", "sum"]),
                                self.pick(NUMPATHS[self.ds]))
        if k == 5:
            return "$%s(%s)" % (self.pick(["abs", "floor", "ceil", "round", "sqrt"]),
                                self.deeper(self.num))
        if k == 6:
            return "$round(%s, %s)" % (self.deeper(self.num), self.pick(["0", "1", "2", "-1"]))
        if k == 7:
            return "$length(%s)" % self.deeper(self.str)
        if k == 8:
            return "$number(%s)" % self.pick(['"12"', '"1.5e2"', '"0x1F"', "true",
                                              '"-3"', self.deeper(self.str)])
        if k == 9:
            return "-%s" % self.deeper(self.num)
        if k == 10:
            return "$power(%s, %s)" % (self.deeper(self.num), self.pick(["2", "0.5", "3", "-1"]))
        return self.pick(NUMPATHS[self.ds])

    def str(self):
        if self.depth > 3:
            return self.pick([self.leaf_str(), self.pick(STRPATHS[self.ds])])
        k = self.r.randrange(13)
        if k == 0:
            return self.leaf_str()
        if k == 1:
            return "$uppercase(%s)" % self.deeper(self.str)
        if k == 2:
            return "$lowercase(%s)" % self.deeper(self.str)
        if k == 3:
            return "$trim(%s)" % self.deeper(self.str)
        if k == 4:
            return "$substring(%s, %s%s)" % (
                self.deeper(self.str), self.pick(["0", "1", "-2", "3"]),
                self.pick(["", ", 2", ", 0", ", 5", ", -1"]))
        if k == 5:
            return "(%s & %s)" % (self.deeper(self.str), self.deeper(self.any))
        if k == 6:
            return "$string(%s)" % self.deeper(self.any)
        if k == 7:
            return "$join(%s%s)" % (self.pick(STRPATHS[self.ds] + ['["a","b"]']),
                                    self.pick(["", ', ", "', ', "-"']))
        if k == 8:
            return "$substringBefore(%s, %s)" % (self.deeper(self.str), self.leaf_str())
        if k == 9:
            return "$substringAfter(%s, %s)" % (self.deeper(self.str), self.leaf_str())
        if k == 10:
            return "$pad(%s, %s%s)" % (self.deeper(self.str), self.pick(["5", "-6", "0"]),
                                       self.pick(["", ', "#"', ', "ab"']))
        if k == 11:
            return "$replace(%s, %s, %s)" % (self.deeper(self.str), self.pick(['"a"', '" "', '"l"']),
                                            self.pick(['"_"', '""', '"AA"']))
        return self.pick(STRPATHS[self.ds])

    def bool(self):
        if self.depth > 3:
            return self.pick(["true", "false"])
        k = self.r.randrange(9)
        if k == 0:
            return self.pick(["true", "false"])
        if k == 1:
            return "(%s %s %s)" % (self.deeper(self.num), self.pick(["=", "!=", "<", "<=", ">", ">="]),
                                   self.deeper(self.num))
        if k == 2:
            return "(%s %s %s)" % (self.deeper(self.str), self.pick(["=", "!=", "<", ">"]),
                                   self.deeper(self.str))
        if k == 3:
            return "(%s %s %s)" % (self.deeper(self.bool), self.pick(["and", "or"]),
                                   self.deeper(self.bool))
        if k == 4:
            return "$not(%s)" % self.deeper(self.any)
        if k == 5:
            return "$exists(%s)" % self.deeper(self.path)
        if k == 6:
            return "$contains(%s, %s)" % (self.deeper(self.str), self.leaf_str())
        if k == 7:
            return "(%s in %s)" % (self.leaf_str(), self.deeper(self.arr))
        return "$boolean(%s)" % self.deeper(self.any)

    def pred(self):
        f = self.pick(FIELDS[self.ds])
        k = self.r.randrange(5)
        if k == 0:
            return "[%s]" % self.pick(["0", "1", "-1", "5", "[0,1]", "[0..1]"])
        if k == 1:
            return "[%s %s %s]" % (f, self.pick(["=", "!=", ">", "<"]),
                                   self.pick(NUMBERS + STRINGS))
        if k == 2:
            return "[%s]" % f
        if k == 3:
            return "[$not(%s)]" % f
        return "[%s]" % self.deeper(self.bool)

    def path(self):
        p = self.pick(PATHS[self.ds])
        k = self.r.randrange(8)
        if k == 0:
            p += self.pred()
        elif k == 1:
            p += "." + self.pick(FIELDS[self.ds])
        elif k == 2:
            p += self.pred() + "." + self.pick(FIELDS[self.ds])
        elif k == 3:
            p += "^(%s%s)" % (self.pick(["", ">", "<"]), self.pick(FIELDS[self.ds]))
        elif k == 4:
            p += "#$i[$i %s 2 = 0]" % "%"
        elif k == 5:
            p = "%s[%s]" % (p, self.pick(["0", "-1"]))
        return p

    def lam1(self):
        body = self.pick([
            "$x * 2", "$x & \"!\"", "$string($x)", "$x.%s" % self.pick(FIELDS[self.ds]),
            "$type($x)", "$x > 1", "[$x]", "{\"v\": $x}", "$count($x)"])
        return "function($x){ %s }" % body

    def arr(self):
        if self.depth > 3:
            return self.pick(["[1,2,3]", '["a","b"]', "[]", self.pick(PATHS[self.ds])])
        k = self.r.randrange(16)
        if k == 0:
            return "[%s]" % ", ".join(self.deeper(self.any) for _ in range(self.r.randrange(4)))
        if k == 1:
            return "[%s..%s]" % (self.pick(["0", "1", "-2"]), self.pick(["0", "3", "5"]))
        if k == 2:
            return "$map(%s, %s)" % (self.deeper(self.path), self.lam1())
        if k == 3:
            return "$filter(%s, function($v, $i){ %s })" % (
                self.deeper(self.path), self.pick(["$i < 2", "$v", "$exists($v.%s)" %
                                                   self.pick(FIELDS[self.ds])]))
        if k == 4:
            return "$sort(%s%s)" % (self.pick(NUMPATHS[self.ds] + STRPATHS[self.ds]),
                                    self.pick(["", ", function($a, $b){ $a < $b }"]))
        if k == 5:
            return "$reverse(%s)" % self.deeper(self.path)
        if k == 6:
            return "$distinct(%s)" % self.deeper(self.path)
        if k == 7:
            return "$append(%s, %s)" % (self.deeper(self.any), self.deeper(self.any))
        if k == 8:
            return "$split(%s, %s%s)" % (self.deeper(self.str), self.pick(['","', '" "', '""', '"l"']),
                                         self.pick(["", ", 2"]))
        if k == 9:
            return "$keys(%s)" % self.deeper(self.path)
        if k == 10:
            return "$zip(%s, %s)" % (self.pick(NUMPATHS[self.ds]), self.pick(STRPATHS[self.ds]))
        if k == 11:
            return "%s.%s" % (self.deeper(self.path), self.pick(["$string()", "$type($)", "[0]"]))
        if k == 12:
            return "$each(%s, function($v, $k){ $k })" % self.deeper(self.obj)
        return self.deeper(self.path)

    def obj(self):
        if self.depth > 3:
            return '{"a": 1}'
        k = self.r.randrange(7)
        if k == 0:
            return "{%s}" % ", ".join('"%s": %s' % (self.pick("kxyz") + str(i), self.deeper(self.any))
                                      for i in range(self.r.randrange(4)))
        if k == 1:
            p = self.pick(PATHS[self.ds])
            return "%s{%s: %s}" % (p, self.pick(FIELDS[self.ds] + ["$string($)"]),
                                   self.pick(["$count($)", "$sum(%s)" % self.pick(FIELDS[self.ds]),
                                              self.pick(FIELDS[self.ds])]))
        if k == 2:
            return "$merge([%s, %s])" % (self.deeper(self.obj), self.deeper(self.obj))
        if k == 3:
            return "$lookup(%s, %s)" % (self.deeper(self.path), self.pick(['"%s"' % f for f in FIELDS[self.ds]]))
        if k == 4:
            return "$spread(%s)" % self.deeper(self.path)
        if k == 5:
            return "$sift(%s, function($v){ $type($v) = \"number\" })" % self.deeper(self.path)
        return self.deeper(self.path)

    def any(self):
        k = self.r.randrange(12)
        if k < 2:
            return self.deeper(self.num)
        if k < 4:
            return self.deeper(self.str)
        if k < 5:
            return self.deeper(self.bool)
        if k < 7:
            return self.deeper(self.arr)
        if k < 8:
            return self.deeper(self.obj)
        if k < 9:
            return "(%s ? %s : %s)" % (self.deeper(self.bool), self.deeper(self.any),
                                       self.deeper(self.any))
        if k < 10:
            return "($v := %s; %s)" % (self.deeper(self.any),
                                       self.pick(["$v", "$count($v)", "$string($v)", "[$v, $v]",
                                                  "$type($v)"]))
        if k < 11:
            return "$reduce(%s, function($a, $b){ %s })" % (
                self.pick(NUMPATHS[self.ds] + STRPATHS[self.ds]),
                self.pick(["$a + $b", "$a & $b", "$max([$a, $b])"]))
        return self.deeper(self.path)

    def top(self):
        return self.any()


def nums_equal(a, b):
    if a == b:
        return True
    if isinstance(a, float) or isinstance(b, float):
        if math.isfinite(a) and math.isfinite(b):
            return abs(a - b) <= 1e-12 * max(abs(a), abs(b))
    return False


def jeq(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return nums_equal(a, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(jeq(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(jeq(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def agree(peer, ours):
    if "code" in peer or "code" in ours or "crash" in ours:
        return peer.get("code") == ours.get("code") and "crash" not in ours
    if "undefined" in peer or "undefined" in ours:
        return "undefined" in peer and "undefined" in ours
    return jeq(peer.get("result"), ours.get("result"))


def show(a):
    if "result" in a:
        s = json.dumps(a["result"], separators=(",", ":"))
        return s if len(s) < 300 else s[:300] + "..."
    if "undefined" in a:
        return "undefined"
    if "crash" in a:
        return "CRASH " + a["crash"]
    return "error %s: %s" % (a.get("code"), a.get("message", ""))


def run(cmd, lines, env=None):
    p = subprocess.run(cmd, input="".join(lines), capture_output=True, text=True,
                       env=env)
    out = [l for l in p.stdout.splitlines() if l.strip()]
    if p.returncode != 0 or len(out) != len(lines):
        sys.stderr.write("diff: %s: exit %d, %d answers for %d\n%s" % (
            " ".join(cmd), p.returncode, len(out), len(lines), p.stderr[-2000:]))
        return None
    return [json.loads(l) for l in out]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--suite", default=os.path.join(ROOT, "build/asan/jsonata-suite"))
    ap.add_argument("--node-path", default=os.path.join(ROOT, "build/peers/node_modules"))
    ap.add_argument("--regress", help="write the mismatches as suite cases here")
    ap.add_argument("--show", type=int, default=40, help="mismatches printed")
    ap.add_argument("--skip-ours", action="append", default=[], metavar="CODE",
                    help="leave out mismatches where ours raised CODE (e.g. T1006 "
                    "while the library is incomplete)")
    args = ap.parse_args()

    if not os.path.isdir(os.path.join(args.node_path, "jsonata")):
        sys.stderr.write("diff: no jsonata in %s (make the peers: see tests/bench/run.sh)\n"
                         % args.node_path)
        return 2
    rng = random.Random(args.seed)
    reqs = []
    seen = set()
    while len(reqs) < args.count:
        ds = rng.randrange(len(DATASETS))
        e = Gen(rng, ds).top()
        if (e, ds) in seen:
            continue
        seen.add((e, ds))
        reqs.append({"expr": e, "input": DATASETS[ds], "ds": ds})
    lines = [json.dumps({"expr": r["expr"], "input": r["input"]}) + "\n" for r in reqs]
    env = dict(os.environ, NODE_PATH=args.node_path)
    peer = run(["node", os.path.join(HERE, "diff-peer.js")], lines, env)
    ours = run([args.suite, "--batch", "--timeout", "10"], lines)
    if peer is None or ours is None:
        return 2
    bad = []
    kinds = {}
    for r, p, o in zip(reqs, peer, ours):
        if not agree(p, o):
            if o.get("code") in args.skip_ours:
                kinds["skipped " + o["code"]] = kinds.get("skipped " + o["code"], 0) + 1
                continue
            bad.append((r, p, o))
            k = "crash" if "crash" in o else "code" if ("code" in p or "code" in o) else "value"
            kinds[k] = kinds.get(k, 0) + 1
    ocodes = {}
    for r, p, o in bad:
        k = o.get("code") or ("crash" if "crash" in o else "value")
        ocodes[k] = ocodes.get(k, 0) + 1
    for r, p, o in bad[: args.show]:
        print("MISMATCH %s" % r["expr"])
        print("      data set %d; jsonata-js: %s" % (r["ds"], show(p)))
        print("      ours:          %s" % show(o))
    if args.regress and bad:
        cases = []
        for r, p, o in bad:
            c = {"expr": r["expr"], "data": r["input"], "bindings": {}}
            if "code" in p:
                c["code"] = p["code"]
            elif "undefined" in p:
                c["undefinedResult"] = True
            else:
                c["result"] = p["result"]
            cases.append(c)
        with open(args.regress, "w", encoding="utf-8") as fp:
            json.dump(cases, fp, indent=1, ensure_ascii=False)
            fp.write("\n")
        print("diff: %d cases written to %s" % (len(cases), args.regress))
    errs = sum(1 for p in peer if "code" in p)
    skipped = sum(v for k, v in kinds.items() if k.startswith("skipped "))
    print("jsonata diff: %d expressions (seed %d; %d are errors in jsonata-js), "
          "%d agree, %d differ%s" % (
              len(reqs), args.seed, errs, len(reqs) - len(bad) - skipped, len(bad),
              (" (" + ", ".join("%s %d" % kv for kv in sorted(kinds.items())) + ")")
              if kinds else ""))
    if ocodes:
        print("jsonata diff: ours, in the mismatches: " + ", ".join(
            "%s %d" % kv for kv in sorted(ocodes.items(), key=lambda kv: -kv[1])))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
