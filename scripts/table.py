#!/usr/bin/env python3
"""Markdown tables from simulate JSON outputs. usage: table.py OUTDIR [seq|sampled]"""
import json, sys, os
out = sys.argv[1]; tag = sys.argv[2] if len(sys.argv) > 2 else 'seq'
traces = ['default', 'gpushare40', 'multigpu30', 'gpuspec25', 'cpu100']
pols = ['best-fit', 'fgd', 'plimsoll']
D = {}
for t in traces:
    for p in pols:
        f = f"{out}/{t}_{p}_{tag}.json"
        if os.path.exists(f):
            D[(t, p)] = json.load(open(f))
print("| trace | best-fit @100 | best-fit @130 | fgd @100 | fgd @130 | plimsoll @100 | plimsoll @130 | plimsoll − fgd @100 / @130 | placements/s bf / fgd / plimsoll |")
print("|---|---|---|---|---|---|---|---|---|")
for t in traces:
    row = [t]
    for p in pols:
        d = D.get((t, p))
        row += [f"{d['allocatedPctAt100']:.3f}", f"{d['allocatedPctAt130']:.3f}"] if d else ['', '']
    f, q = D.get((t, 'fgd')), D.get((t, 'plimsoll'))
    row.append(f"{q['allocatedPctAt100']-f['allocatedPctAt100']:+.3f} / {q['allocatedPctAt130']-f['allocatedPctAt130']:+.3f}" if f and q else '')
    row.append(' / '.join(f"{D[(t,p)]['placementsPerSecond']:.0f}" if (t, p) in D else '' for p in pols))
    print('| ' + ' | '.join(row) + ' |')
print()
print("Per seed (@100 / @130):")
print()
for t in traces:
    print(f"| {t} | " + " | ".join(str(r['seed']) for r in D[(t, 'fgd')]['runs']) + " |")
    print("|---|" + "---|" * len(D[(t, 'fgd')]['runs']))
    for p in pols:
        if (t, p) in D:
            print(f"| {p} | " + " | ".join(f"{r['allocatedPctAt100']:.2f} / {r['allocatedPctAt130']:.2f}" for r in D[(t, p)]['runs']) + " |")
    if (t, 'fgd') in D and (t, 'plimsoll') in D:
        w = sum(1 for a, b in zip(D[(t, 'fgd')]['runs'], D[(t, 'plimsoll')]['runs']) if b['allocatedPctAt130'] > a['allocatedPctAt130'])
        print(f"\nplimsoll beats fgd @130 on {w} of {len(D[(t, 'fgd')]['runs'])} seeds\n")
