#!/usr/bin/env python3
"""Checks a session recorded with `vqscope record --level minimal` against its report.

    check_level_minimal.py SESSION REPORT_JSON [--kvm]

minimal records what the per-request stages need and nothing else. Exits 1 naming every expectation
that does not hold:
  - meta.json says level minimal and status complete, and the report says level minimal;
  - the host probe stream holds no scheduler record (vqscope-probe-dump), and the probe was not asked
    for them (probe-report.json names no sched_* event); --kvm: it holds kvm_exit records, and the
    report counts VM exits;
  - guest.trace holds the driver's events (as many submits as completions, at least one) and none of
    the application's syscalls or the block layer's events;
  - every guest request is stitched, with no negative stage; the report has no end-to-end rows and no
    host CPU cost (no scheduler events to draw it from), rather than zeros.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import guest_lines

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('session')
    ap.add_argument('report')
    ap.add_argument('--kvm', action='store_true', help='a KVM session (lab, kvm): exits expected')
    args = ap.parse_args()
    errors = []
    meta = json.load(open(os.path.join(args.session, 'meta.json')))
    report = json.load(open(args.report))
    if meta.get('level') != 'minimal' or meta.get('status') != 'complete':
        errors.append('meta.json: level %r, status %r (expected minimal, complete)' %
                      (meta.get('level'), meta.get('status')))
    if report.get('level') != 'minimal':
        errors.append('report: level %r, expected minimal' % report.get('level'))

    attach = json.load(open(os.path.join(args.session, 'probe-report.json')))
    asked = sorted(e for e in attach.get('events', {}) if e.startswith('sched_'))
    if asked:
        errors.append('probe-report.json: the probe was asked for %s' % asked)
    dump = subprocess.run([os.path.join(TOP, 'probes', 'vqscope-probe-dump'),
                           os.path.join(args.session, 'host-probe.vqp')], capture_output=True, text=True)
    if dump.returncode != 0:
        errors.append('vqscope-probe-dump failed: %s' % dump.stderr.strip()[-300:])
    names = {}
    for line in dump.stdout.splitlines():
        fields = line.split()
        if len(fields) > 5 and fields[0].isdigit():
            names[fields[5]] = names.get(fields[5], 0) + 1
    if any(n.startswith('sched_') for n in names):
        errors.append('host-probe.vqp holds scheduler records: %s' %
                      {n: c for n, c in names.items() if n.startswith('sched_')})
    if args.kvm:
        if not names.get('kvm_exit'):
            errors.append('host-probe.vqp holds no kvm_exit record (records: %s)' % names)
        if not report.get('exits'):
            errors.append('report: no VM exits counted')

    guest = {}
    for line in guest_lines.lines(os.path.join(args.session, 'guest.trace')):
        m = re.search(r':\s+(\w+): ', line)
        if m and not line.startswith('#'):
            guest[m.group(1)] = guest.get(m.group(1), 0) + 1
    submits, completes = guest.get('virtio_xblk_submit', 0), guest.get('virtio_xblk_complete', 0)
    if not submits or submits != completes:
        errors.append('guest.trace: %d submits, %d completions' % (submits, completes))
    extra = {n: c for n, c in guest.items() if n.startswith(('sys_', 'block_', 'io_uring_'))}
    if extra:
        errors.append('guest.trace holds the application\'s or the block layer\'s events: %s' % extra)

    requests = report['requests']
    if requests['stitched'] != requests['guest'] or requests['guest'] != submits or requests['negative']:
        errors.append('report: %s, guest submits %d' % (requests, submits))
    coverage = report.get('coverage') or {}
    if coverage.get('traced') or coverage.get('matched'):
        errors.append('report: end-to-end rows without the events they come from: %s' %
                      {k: coverage.get(k) for k in ('traced', 'matched')})
    every = ((report.get('cost') or {}).get('threads') or {}).get('all') or {}
    figures = {k: every.get(k) for k in ('cpu_ns', 'cpu_per_request_ns', 'wakeups') if every.get(k) is not None}
    if figures:
        errors.append('report: a host CPU cost %s without scheduler events' % figures)

    print(json.dumps({'level': meta.get('level'), 'probe_records': names, 'guest_events': guest,
                      'requests': requests}, sort_keys=True))
    for error in errors:
        print('FAIL: ' + error)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
