#!/usr/bin/env python3
"""The meta.json that bin/session-meta.py wrote for the fixed options and files of tests/unit/recorder_scripts.

    check_session_meta.py META_JSON

Passes if every field says what those options (partial, lab, xblk, fio job.fio, ioeventfd off, iothread,
2 queues, kick hold 1000 ns, no probes, no --level or --pin, 7 s) and files (guest kernel 6.1.0-test, guest clock pairs
tsc 1000 and 3000, tsc_offset -12345, the file list) say; prints each difference and exits 1 otherwise.
"""
import json, sys
m = json.load(open(sys.argv[1]))
expect = {'format': 'vqscope-session', 'version': 2, 'status': 'partial', 'why': 'interrupted by the user',
          'mode': 'lab', 'device': 'xblk', 'ioeventfd': 'off', 'iothread': True, 'queues': 2,
          'delay_ns': 0, 'kick_hold_ns': 1000, 'notify_delay_ns': 0, 'kvm_events_expected': True,
          'note': None, 'tracing': True, 'host_hook': None, 'level': 'default', 'pin': None, 'probes': {'enabled': False}, 'duration_s': 7,
          'lab_reruns': 1, 'files': ['console.log', 'console.log.failed-run-1', 'guest.trace', 'tsc-offset.txt']}
bad = {k: (m.get(k), v) for k, v in expect.items() if m.get(k) != v}
w = m['workload']
if w != {'kind': 'fio', 'spec': 'job.fio', 'exit': 0}:
    bad['workload'] = w
if m['kernels']['guest'] != '6.1.0-test' or m['kernels']['l1'] is None or m['clocks']['host_side'] != 'L1':
    bad['kernels/clocks'] = (m['kernels'], m['clocks'])
t = m['tsc']
if t.get('tsc_offset') != -12345 or [p['tsc'] for p in t['guest_pairs']] != [1000, 3000] or t['host_pairs']:
    bad['tsc'] = t
for k, v in bad.items():
    print(f'meta.json {k}: got/expected {v}')
sys.exit(1 if bad else 0)
