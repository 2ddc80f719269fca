#!/usr/bin/env python3
"""vqscope-probe's stream of L2's QEMU, recorded in the nested lab's L1, for virtio-demo requests (test 51).

    check_probe_lab_stream.py DUMP ATTACH_JSON on|off REQUESTS

DUMP: vqscope-probe-dump's text; on|off: the demo device's ioeventfd. Passes if the KVM, eventfd and
sched events attached; there are >= REQUESTS kvm_exit records, all of the target; >= REQUESTS injections
(kvm_msi_set_irq or irqfd_wakeup); on: REQUESTS .. 1.1 x REQUESTS + 50 ioeventfd_write records; off:
< 100 of them and >= REQUESTS KVM_EXIT_MMIO userspace exits; drops reported; the end record present.
Prints the counts and each problem, exits 1 if any.
"""
import json, re, sys
dump, report, ioeventfd, requests = sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3] == 'on', int(sys.argv[4])
counts, drops, end, userspace_mmio, tgid = {}, None, False, 0, None
other_tgids = set()
ioeventfd_gpas = {}
for line in open(dump):
    m = re.match(r'summary: count (\S+) (\d+)', line)
    if m: counts[m.group(1)] = int(m.group(2))
    m = re.match(r'summary: drops (\d+)', line)
    if m: drops = int(m.group(1))
    if line.startswith('summary: end record: present'): end = True
    m = re.match(r'header: .* target_tgid=(\d+)', line)
    if m: tgid = m.group(1)
    if ' kvm_userspace_exit reason=6 ' in line: userspace_mmio += 1
    m = re.match(r'\d+ \S+ cpu=\d+ pid=\d+ tgid=(\d+) (kvm_exit|kvm_entry|ioeventfd_write|irqfd_wakeup) ', line)
    if m and m.group(1) != tgid: other_tgids.add(m.group(1))
    m = re.search(r' ioeventfd_write gpa=(\S+)', line)
    if m: ioeventfd_gpas[m.group(1)] = ioeventfd_gpas.get(m.group(1), 0) + 1
print('counts', counts, 'drops', drops, 'userspace MMIO exits', userspace_mmio, 'ioeventfd_write by gpa', ioeventfd_gpas)
print('attach points', {k: v['attach_point'] for k, v in report['events'].items()})
problems = []
for ev in ('kvm_exit', 'kvm_msi_set_irq', 'ioeventfd_write', 'irqfd_wakeup', 'sched_switch'):
    if not report['events'][ev]['attached']:
        problems.append(f"{ev} not attached in L1: {report['events'][ev]['error']}")
if counts.get('kvm_exit', 0) < requests:
    problems.append(f"only {counts.get('kvm_exit', 0)} kvm_exit records")
if other_tgids:
    problems.append(f"vCPU/eventfd records from other processes: {sorted(other_tgids)}")
injections = max(counts.get('kvm_msi_set_irq', 0), counts.get('irqfd_wakeup', 0))
if injections < requests:
    problems.append(f"{injections} injections (kvm_msi_set_irq / irqfd_wakeup) for {requests} requests")
if ioeventfd:
    n = counts.get('ioeventfd_write', 0)
    if not requests <= n <= requests * 1.1 + 50:
        problems.append(f"ioeventfd=on: {n} ioeventfd_write records for {requests} requests")
else:
    # the guest's other virtio devices (the 9p share) keep their ioeventfds: a handful of records
    if counts.get('ioeventfd_write', 0) >= 100:
        problems.append(f"ioeventfd=off but {counts['ioeventfd_write']} ioeventfd_write records")
    if userspace_mmio < requests:
        problems.append(f"ioeventfd=off: only {userspace_mmio} KVM_EXIT_MMIO userspace exits")
if drops is None:
    problems.append('no drops reported')
elif drops:
    print(f'note: {drops} records dropped (reported in the stream)')
if not end:
    problems.append('no end record')
for p in problems:
    print('problem:', p)
sys.exit(1 if problems else 0)
