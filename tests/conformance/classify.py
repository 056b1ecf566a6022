#!/usr/bin/env python3
"""Print the failing conformance cases of a run_conformance log, grouped by
the features their definitions use (J JSONata, A Assign, I intrinsics)."""
import json, re, sys

def features(path):
    d = json.load(open(path))
    s = json.dumps(d['definition'])
    return (('J' if 'JSONata' in s else '') + ('A' if '"Assign"' in s else '') +
            ('I' if re.search(r'States\.[A-Za-z0-9]+\(', s) else ''))

log, cases = sys.argv[1], sys.argv[2]
fails, cur = {}, None
for line in open(log):
    if line.startswith('FAIL '):
        cur = line[5:].strip()
        fails[cur] = ''
    elif cur and line.startswith('      '):
        fails[cur] += line.strip() + ' '
for name, why in sorted(fails.items(), key=lambda kv: features(f'{cases}/{kv[0]}.json')):
    print(f'{features(f"{cases}/{name}.json") or "-":3} {name} :: {why[:400]}')
