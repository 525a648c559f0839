#!/usr/bin/env python3
"""Compare simulate JSON outputs with published_allocation.csv. usage: compare.py OUTDIR [tag]"""
import csv, json, sys, os
out = sys.argv[1]; tag = sys.argv[2] if len(sys.argv) > 2 else 'seq'
pub = {}
for r in csv.DictReader(open(os.environ.get('OPENB', '../shared/traces/openb') + '/published_allocation.csv')):
    pub[(r['trace'], r['policy'], int(r['seed']))] = (float(r['allocated_pct_at_100']), float(r['allocated_pct_at_130']))
names = {'best-fit': 'BestFit', 'fgd': 'FGD'}
print(f"{'trace':11s} {'policy':9s} {'@100':>7s} {'@130':>7s} {'pub100':>7s} {'pub130':>7s} {'maxdiff':>7s} {'pl/s':>7s}")
for trace in ['default', 'gpushare40', 'multigpu30', 'gpuspec25', 'cpu100']:
    for pol in ['best-fit', 'fgd', 'plimsoll']:
        f = f"{out}/{trace}_{pol}_{tag}.json"
        if not os.path.exists(f):
            continue
        d = json.load(open(f))
        m100, m130 = d['allocatedPctAt100'], d['allocatedPctAt130']
        p = [pub.get((trace, names.get(pol, ''), r['seed'])) for r in d['runs']]
        if all(p):
            diff = max(max(abs(r['allocatedPctAt100'] - q[0]), abs(r['allocatedPctAt130'] - q[1])) for r, q in zip(d['runs'], p))
            p100 = sum(q[0] for q in p) / len(p); p130 = sum(q[1] for q in p) / len(p)
            print(f"{trace:11s} {pol:9s} {m100:7.3f} {m130:7.3f} {p100:7.3f} {p130:7.3f} {diff:7.2f} {d['placementsPerSecond']:7.0f}")
        else:
            print(f"{trace:11s} {pol:9s} {m100:7.3f} {m130:7.3f} {'':7s} {'':7s} {'':7s} {d['placementsPerSecond']:7.0f}")
