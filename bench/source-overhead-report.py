#!/usr/bin/env python3
"""Prints the result of bench/source-overhead.sh: the cost of each trace source, inside one boot.

    source-overhead-report.py SESSION-DIR...

Each SESSION-DIR is a `vqscope record --sources` session. From its workload.txt, each block's fio read
IOPS (the 'read: IOPS=' line after 'vqscope-sources seq=K set=X'); from meta.json the level, the mode and
the order. Per set (U none, P host probes, Q QEMU's trace events, G guest tracepoints, A all): the blocks,
their mean IOPS, and the ratio of that mean to U's, with a 95 % percentile bootstrap interval (2000
resamples of the rounds, with replacement, each round keeping its five blocks together: what varies
from round to round is in the interval; seeded, the same on every run). The ratio of A, the whole
record, has the recording-overhead issue's target at the minimal (0.97) and default (0.95) levels, and
its interval's lower end 0.90. Then the probe programs' mean run time per event (bpf-prog-stats.json:
they ran only in the P and A blocks).
"""
import json
import os
import random
import re
import sys

SETS = ('U', 'P', 'Q', 'G', 'A')
NAMES = {'U': 'untraced', 'P': 'host probes', 'Q': 'QEMU events', 'G': 'guest tracepoints', 'A': 'all (the record)'}
TARGETS = {'minimal': 0.97, 'default': 0.95}
RESAMPLES = 2000


def block_iops(session):
    text = open(os.path.join(session, 'workload.txt')).read()
    parts = re.split(r'^vqscope-sources seq=(\d+) set=([UPQGA])$', text, flags=re.M)
    blocks = []
    for i in range(1, len(parts) - 2, 3):
        m = re.search(r'read: IOPS=([\d.]+)(k?)', parts[i + 2])
        if not m:
            sys.exit('%s/workload.txt: block %s (%s) has no "read: IOPS=" line' % (session, parts[i], parts[i + 1]))
        blocks.append((parts[i + 1], float(m.group(1)) * (1000 if m.group(2) else 1)))
    return blocks


def ratio(rounds, which):
    """mean IOPS of WHICH / mean IOPS of U over ROUNDS (each a dict set -> IOPS)."""
    u = sum(r['U'] for r in rounds)
    return sum(r[which] for r in rounds) / u if u else float('nan')


def report(session):
    try:
        meta = json.load(open(os.path.join(session, 'meta.json')))
    except (OSError, ValueError) as error:
        sys.exit('%s: no readable meta.json (%s): not a finished vqscope record session' % (session, error))
    if 'sources' not in meta:
        sys.exit('%s/meta.json: no "sources": not a vqscope record --sources session' % session)
    order = meta['sources']['order']
    blocks = block_iops(session)
    if [b[0] for b in blocks] != list(order):
        sys.exit('%s: the blocks of workload.txt (%s) are not meta.json\'s order %s (a block failed?)' %
                 (session, ''.join(b[0] for b in blocks), order))
    rounds = [dict(blocks[i:i + 5]) for i in range(0, len(blocks), 5)]
    level = meta.get('level', 'full')
    print('%s: mode %s, level %s, %d rounds of 5 blocks, order seed %s, pinned %s' %
          (session, meta['mode'], level, len(rounds), meta['sources']['seed'], 'yes' if meta.get('pin') else 'no'))
    rng = random.Random(12345)
    draws = [[rounds[rng.randrange(len(rounds))] for _ in rounds] for _ in range(RESAMPLES)]
    print('  %-18s %6s %10s %8s  %s' % ('set', 'blocks', 'mean IOPS', 'ratio', '95 % interval'))
    for which in SETS:
        values = [r[which] for r in rounds]
        line = '  %-18s %6d %10.0f' % (NAMES[which], len(values), sum(values) / len(values))
        if which != 'U':
            estimate = ratio(rounds, which)
            resampled = sorted(ratio(d, which) for d in draws)
            low, high = resampled[int(0.025 * RESAMPLES)], resampled[int(0.975 * RESAMPLES) - 1]
            line += ' %8.3f  [%.3f, %.3f]' % (estimate, low, high)
            if which == 'A' and level in TARGETS:
                met = estimate >= TARGETS[level] and low >= 0.90
                line += '  target >= %.2f, lower end >= 0.90: %s' % (TARGETS[level], 'met' if met else 'NOT met')
        print(line)
    stats = os.path.join(session, 'bpf-prog-stats.json')
    if os.path.exists(stats):
        for program in sorted(json.load(open(stats)), key=lambda p: p['name']):
            if program.get('run_cnt'):
                print('  probe %-24s %9d runs %7.0f ns/run' %
                      (program['name'], program['run_cnt'], program['run_time_ns'] / program['run_cnt']))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for session in sys.argv[1:]:
        report(session)


if __name__ == '__main__':
    main()
