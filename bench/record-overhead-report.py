#!/usr/bin/env python3
"""Prints the result of bench/record-overhead.sh from the sessions it recorded.

    record-overhead-report.py OUT_DIR

OUT_DIR holds ROUND-KIND session directories, KIND untraced or a `vqscope record --level` (minimal,
default, full; a directory of an older run named ROUND-traced is read as full). Prints each session's
fio read IOPS (from workload.txt), the mean IOPS of each kind and each level's ratio to untraced (with
its target where the recording-overhead issue set one), the mode from a traced session's meta.json,
and the mean BPF run time per event of each probe program (bpf-prog-stats.json of the full sessions),
each beside its floor when the probe attached one (the do-nothing program floor_btf_X / floor_raw_X on
the same attach point, same run) and the ratio.
"""
import glob
import json
import os
import re
import sys

LEVELS = ('minimal', 'default', 'full')
TARGETS = {'minimal': 0.97, 'default': 0.95}


def main():
    out = sys.argv[1]
    iops = {}
    dirs = {}
    for d in sorted(glob.glob(os.path.join(out, '*-*'))):
        kind = d.rsplit('-', 1)[1]
        kind = 'full' if kind == 'traced' else kind
        text = open(os.path.join(d, 'workload.txt')).read()
        m = re.search(r'read: IOPS=([\d.]+)(k?)', text)
        if not m:
            sys.exit(f'{d}/workload.txt: no "read: IOPS=" line (fio did not finish?)')
        v = float(m.group(1)) * (1000 if m.group(2) else 1)
        iops.setdefault(kind, []).append(v)
        dirs.setdefault(kind, []).append(d)
        print(f'{os.path.basename(d):<14} {v:>10.0f} IOPS')
    if not iops.get('untraced'):
        sys.exit(f'{out}: no untraced session to compare with')
    u = sum(iops['untraced']) / len(iops['untraced'])
    traced = [d for k in LEVELS for d in dirs.get(k, [])]
    mode = json.load(open(os.path.join(traced[0], 'meta.json')))['mode'] if traced else '?'
    print(f'mode {mode}: untraced {u:.0f} IOPS')
    for level in LEVELS:
        if not iops.get(level):
            continue
        v = sum(iops[level]) / len(iops[level])
        target = f' (target >= {TARGETS[level]})' if level in TARGETS else ''
        print(f'mode {mode}: --level {level:<7} {v:.0f} IOPS, {level}/untraced = {v / u:.3f}{target}')
    tot_ns = tot_cnt = 0
    runs = {}   # program -> [run_cnt, run_time_ns] over the full sessions
    for d in dirs.get('full', []):
        f = os.path.join(d, 'bpf-prog-stats.json')
        if not os.path.exists(f):
            continue
        for p in json.load(open(f)):
            if p.get('run_cnt'):
                r = runs.setdefault(p['name'], [0, 0])
                r[0] += p['run_cnt']
                r[1] += p['run_time_ns']
    for name, (cnt, ns) in sorted(runs.items()):
        if not name.startswith(('tp_', 'raw_', 'btf_', 'fentry_', 'kprobe_', 'fexit_')):
            continue
        tot_ns += ns
        tot_cnt += cnt
        floor = runs.get('floor_' + name)
        line = f"  {name:<24} {cnt:>8} runs {ns / cnt:>9.0f} ns/run"
        if floor:
            line += (f"   floor {floor[1] / floor[0]:>6.0f} ns/run, ratio "
                     f"{(ns / cnt) / (floor[1] / floor[0]):.2f} (target <= 1.5)")
        print(line)
    if tot_cnt:
        print(f'mean BPF run time per event (full): {tot_ns / tot_cnt:.0f} ns over {tot_cnt} runs (target <= 150 ns)')


if __name__ == '__main__':
    main()
