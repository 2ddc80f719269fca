#!/usr/bin/env python3
"""vqscope-probe's stream and attach report for a TCG guest's QEMU on this host (test 50).

    check_probe_host_stream.py DUMP ATTACH_JSON QEMU_PID

DUMP: vqscope-probe-dump's text (may be /dev/stdin). Passes if the header names QEMU_PID; there are >= 10
sched_wakeup and sched_switch records, all of QEMU_PID's process; no KVM records (TCG); the end record
says the target exited; the KVM tracepoints and sched raw tracepoints attached; the eventfd functions
either attached or not with a reason naming the kprobe attempt. Prints each problem, exits 1 if any.
"""
import json, re, sys
dump, report, tgid = sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3]
problems, counts, foreign = [], {}, []
header_tgid = end = None
for line in open(dump):
    m = re.match(r'summary: count (\S+) (\d+)', line)
    if m: counts[m.group(1)] = int(m.group(2))
    m = re.match(r'header: .*target_tgid=(\d+)', line)
    if m: header_tgid = m.group(1)
    m = re.search(r' sched_wakeup woken_pid=\d+ woken_tgid=(\d+)', line)
    if m and m.group(1) != tgid: foreign.append(line)
    m = re.search(r' sched_switch prev_pid=\d+ prev_tgid=(\d+) prev_state=\S+ next_pid=\d+ next_tgid=(\d+)', line)
    if m and tgid not in m.groups(): foreign.append(line)
    m = re.search(r' end records=\d+ drops=\d+ stop_reason=(\d+)', line)
    if m: end = int(m.group(1))
if header_tgid != tgid: problems.append(f'header target_tgid {header_tgid}, QEMU was {tgid}')
for ev in ('sched_wakeup', 'sched_switch'):
    if counts.get(ev, 0) < 10: problems.append(f'{counts.get(ev, 0)} {ev} records for a booting TCG guest')
if foreign: problems.append(f'{len(foreign)} sched records of other processes, e.g. {foreign[0].strip()}')
for ev in ('kvm_exit', 'kvm_entry', 'kvm_msi_set_irq'):
    if counts.get(ev, 0): problems.append(f'{counts[ev]} {ev} records under TCG')
if end != 2: problems.append(f'end record stop_reason {end}, expected 2 (target exited)')
events = report['events']
for ev, points in (('kvm_exit', ('tracepoint',)), ('kvm_userspace_exit', ('tracepoint',)),
                   ('sched_wakeup', ('tp_btf', 'raw_tp')), ('sched_switch', ('tp_btf', 'raw_tp'))):
    e = events[ev]
    if not e['attached'] or e['attach_point'] not in points:
        problems.append(f'{ev}: {e}, expected attached via {" or ".join(points)}')
for ev in ('ioeventfd_write', 'irqfd_wakeup', 'irqfd_inject'):
    e = events[ev]
    if e['attached']:
        print(f'note: {ev} attached via {e["attach_point"]} (this kernel has kprobes/fentry now)')
    elif not e['error'] or 'kprobe' not in e['error']:
        problems.append(f'{ev} not attached without a reason naming the kprobe attempt: {e}')
for p in problems: print('problem:', p)
sys.exit(1 if problems else 0)
