#!/usr/bin/env python3
"""Checks a `vqscope record --sources` session: each trace source recorded in its own blocks only.

    check_sources.py SESSION-DIR --probe-dump BIN --tracedump BIN

meta.json's sources.order names the set of sources of each block (U none, P host probes, Q QEMU's trace
events, G guest tracepoints, A all). sources.log gives the host's switch before each block (seen_ns: the
guest's request read, done_ns: both host sources switched), so block K ran on the host from done_ns(K)
to seen_ns(K + 1) (the last: to the end). Asserts:
  - sources.log has one switch per block, in order, each with the set meta.json names and the probe and
    QEMU states that set means;
  - host probe records (vqscope-probe-dump, drop counters aside) and QEMU trace events
    (vqscope-tracedump) fall only where their source was on: none inside a block whose set has it off,
    and none between switches that left it off; at least one inside every block whose set has it on;
  - guest events (guest.trace) between a block's 'vqscope-sources seq=K set=X begin' and '... end'
    markers: at least one virtio_xblk event when X is G or A, none at all otherwise; and none lost
    (the header's '# overrun:' is 0: an overrun loses the oldest blocks' events and markers);
  - workload.txt has each block's fio report (IOPS > 0), after its 'vqscope-sources seq=K set=X' line.
Prints the per-block counts; exit 1 on any failure.
"""
import argparse
import bisect
import json
import os
import re
import subprocess
import sys
import guest_lines

HAS = {'U': (False, False, False), 'P': (True, False, False), 'Q': (False, True, False),
       'G': (False, False, True), 'A': (True, True, True)}
SWITCH = re.compile(r'^seq=(\d+) set=([UPQGA]) probes=(on|off|none) qemu=(on|off|none) seen_ns=(\d+) done_ns=(\d+)$')
MARKER = re.compile(r'tracing_mark_write: vqscope-sources seq=(\d+) set=([UPQGA]) (begin|end)$')
IOPS = re.compile(r'IOPS=([0-9.]+)(k?)')


def host_times(command, skip):
    """Timestamps (first column) of the lines COMMAND prints, sorted; lines for which SKIP is true left out."""
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    times = []
    for line in output.splitlines():
        first = line.split(' ', 1)[0]
        if first.isdigit() and not skip(line):
            times.append(int(first))
    return sorted(times)


def count_between(times, start, end):
    return bisect.bisect_left(times, end) - bisect.bisect_left(times, start)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('session')
    ap.add_argument('--probe-dump', required=True)
    ap.add_argument('--tracedump', required=True)
    args = ap.parse_args()
    s = args.session
    failures = []
    meta = json.load(open(os.path.join(s, 'meta.json')))
    order = meta['sources']['order']
    switches = [SWITCH.match(line.strip()) for line in open(os.path.join(s, 'sources.log'))]
    if None in switches or len(switches) != len(order):
        sys.exit('FAIL %s/sources.log: %d lines, expected %d of the form seq=K set=X probes=.. qemu=.. seen_ns= done_ns='
                 % (s, len(switches), len(order)))
    for k, (m, want) in enumerate(zip(switches, order), 1):
        seq, which, probes, qemu = int(m.group(1)), m.group(2), m.group(3), m.group(4)
        if (seq, which) != (k, want):
            failures.append('switch %d: seq %d set %s, meta.json says %s' % (k, seq, which, want))
        if (probes, qemu) != tuple('on' if on else 'off' for on in HAS[want][:2]):
            failures.append('switch %d (%s): probes %s, qemu %s' % (k, want, probes, qemu))
    seen = [int(m.group(5)) for m in switches]
    done = [int(m.group(6)) for m in switches]

    probe = host_times([args.probe_dump, os.path.join(s, 'host-probe.vqp')],
                       lambda line: ' drops total=' in line or ' end records=' in line)
    qemu = host_times([args.tracedump, 'simple', os.path.join(s, 'qemu.simpletrace'), '--events',
                       os.path.join(s, 'qemu-trace-events')], lambda line: False)
    end_of_time = 1 << 63
    for name, times, index in (('host probe records', probe, 0), ('QEMU trace events', qemu, 1)):
        # outside the blocks: between switch K's start and its end the source may be either; from the
        # end of a switch that left it off to the start of the next, nothing
        for k in range(len(order)):
            block_end = seen[k + 1] if k + 1 < len(order) else end_of_time
            n = count_between(times, done[k], block_end)
            on = HAS[order[k]][index]
            print('block %2d %s: %-18s %7d' % (k + 1, order[k], name, n))
            if on and n == 0:
                failures.append('block %d (%s): no %s, though on' % (k + 1, order[k], name))
            if not on and n:
                failures.append('block %d (%s): %d %s, though off (first at %d, block from %d to %d)' %
                                (k + 1, order[k], n, name, times[bisect.bisect_left(times, done[k])], done[k], block_end))

    inside, events, blocks = None, {}, []
    for number, line in enumerate(guest_lines.lines(os.path.join(s, 'guest.trace')), 1):
        overrun = re.match(r'# overrun: (\d+)', line)
        if overrun and int(overrun.group(1)):
            # the oldest blocks' events and markers were overwritten: nothing below could be judged
            failures.append('guest.trace: the guest\'s ftrace buffer overran (%s events lost): the blocks are '
                            'too long for it (a shorter job)' % overrun.group(1))
        if line.startswith('#'):
            continue
        m = MARKER.search(line.rstrip('\n'))
        if m:
            seq, which, edge = int(m.group(1)), m.group(2), m.group(3)
            if edge == 'begin':
                inside = (seq, which)
                events[inside] = {'all': 0, 'xblk': 0}
                blocks.append(inside)
            else:
                inside = None
            continue
        if inside and line.strip():
            events[inside]['all'] += 1
            events[inside]['xblk'] += ' virtio_xblk_' in line
    if blocks != [(k, x) for k, x in enumerate(order, 1)]:
        failures.append('guest.trace: markers of blocks %s, expected %s' % (blocks, list(enumerate(order, 1))))
    for (seq, which), count in events.items():
        print('block %2d %s: guest events %7d (virtio_xblk %d)' % (seq, which, count['all'], count['xblk']))
        if HAS[which][2] and count['xblk'] == 0:
            failures.append('block %d (%s): no virtio_xblk event in the guest trace, though on' % (seq, which))
        if not HAS[which][2] and count['all']:
            failures.append('block %d (%s): %d guest events, though off' % (seq, which, count['all']))

    text = open(os.path.join(s, 'workload.txt')).read()
    parts = re.split(r'^vqscope-sources seq=(\d+) set=([UPQGA])$', text, flags=re.M)
    reports = [(int(parts[i]), parts[i + 1], parts[i + 2]) for i in range(1, len(parts) - 2, 3)]
    if [(k, x) for k, x, _ in reports] != [(k, x) for k, x in enumerate(order, 1)]:
        failures.append('workload.txt: blocks %s' % [(k, x) for k, x, _ in reports])
    for k, which, report in reports:
        m = IOPS.search(report)
        if not m or float(m.group(1)) <= 0:
            failures.append('workload.txt: block %d (%s) has no IOPS > 0' % (k, which))
    for failure in failures:
        print('FAIL ' + failure)
    if not failures:
        print('sources: %d blocks, each source recorded in its own blocks only' % len(order))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
