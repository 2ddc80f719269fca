#!/usr/bin/env python3
"""Prints the result of bench/record-overhead.sh from the sessions it recorded.

    record-overhead-report.py OUT_DIR

OUT_DIR holds ROUND-untraced, ROUND-minimal (--level minimal; optional) and ROUND-traced session
directories. Prints each session's fio read IOPS (from workload.txt), the mean IOPS of each kind and
the ratios traced/untraced and minimal/untraced (with the mode from a traced session's meta.json),
and the mean BPF run time per event of each probe program (bpf-prog-stats.json of the traced sessions), each beside its floor when the probe attached one (the
do-nothing program floor_btf_X / floor_raw_X on the same attach point, same run) and the ratio.
"""
import glob, json, os, re, sys
out = sys.argv[1]
iops = {'untraced': [], 'minimal': [], 'traced': []}
for d in sorted(glob.glob(os.path.join(out, '*-*'))):
    kind = d.rsplit('-', 1)[1]
    text = open(os.path.join(d, 'workload.txt')).read()
    m = re.search(r'read: IOPS=([\d.]+)(k?)', text)
    v = float(m.group(1)) * (1000 if m.group(2) else 1)
    iops[kind].append(v)
    print(f'{os.path.basename(d):<14} {v:>10.0f} IOPS')
u, t = sum(iops['untraced']) / len(iops['untraced']), sum(iops['traced']) / len(iops['traced'])
mode = json.load(open(glob.glob(os.path.join(out, '*-traced', 'meta.json'))[0]))['mode']
print(f'mode {mode}: untraced {u:.0f} IOPS, traced {t:.0f} IOPS, traced/untraced = {t / u:.3f} (target >= 0.95)')
if iops['minimal']:
    m = sum(iops['minimal']) / len(iops['minimal'])
    print(f'mode {mode}: --level minimal {m:.0f} IOPS, minimal/untraced = {m / u:.3f} (target >= 0.97)')
tot_ns = tot_cnt = 0
runs = {}   # program -> [run_cnt, run_time_ns] over the traced sessions
for f in glob.glob(os.path.join(out, '*-traced', 'bpf-prog-stats.json')):
    for p in json.load(open(f)):
        if p.get('run_cnt'):
            r = runs.setdefault(p['name'], [0, 0])
            r[0] += p['run_cnt']; r[1] += p['run_time_ns']
for name, (cnt, ns) in sorted(runs.items()):
    if not name.startswith(('tp_', 'raw_', 'btf_', 'fentry_', 'kprobe_', 'fexit_')):
        continue
    tot_ns += ns; tot_cnt += cnt
    floor = runs.get('floor_' + name)
    line = f"  {name:<24} {cnt:>8} runs {ns / cnt:>9.0f} ns/run"
    if floor:
        line += f"   floor {floor[1] / floor[0]:>6.0f} ns/run, ratio {(ns / cnt) / (floor[1] / floor[0]):.2f} (target <= 1.5)"
    print(line)
if tot_cnt:
    print(f'mean BPF run time per event: {tot_ns / tot_cnt:.0f} ns over {tot_cnt} runs (target <= 150 ns)')
