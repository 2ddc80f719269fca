#!/usr/bin/env python3
"""Checks a recorded vqscope session directory from its files alone (not from logs).

    session_check.py SESSION [--min-requests N] [--expect ioeventfd-on|ioeventfd-off|tcg]

Reads guest.trace (the guest driver's tracepoints), the QEMU trace (qemu.simpletrace or qemu-ctf/,
through analysis/vqscope-tracedump) and host-probe.vqp (through probes/vqscope-probe-dump), prints the
counts as JSON and exits 1 naming every expectation that does not hold:
  - meta.json is complete and says what ran;
  - every request id the guest submitted has the device's begin and end events in the QEMU trace, and
    there are at least as many virtqueue_pop / virtqueue_flush events as requests;
  - drops: none, or reported in the stream;
  - KVM sessions: kvm_exit events exist; MSI/irqfd injections match QEMU's notifications; with ioeventfd
    on, ~one ioeventfd signal per kick that notified, and few user-space MMIO exits; with it off, no
    ioeventfd signals for the device and at least one user-space MMIO exit per notifying kick;
  - tcg sessions: no KVM events, and meta.json says so;
  - scheduler records (sched_switch) at --level full, none below it.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import guest_lines

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GUEST_EVENT = re.compile(r':\s+(virtio_(?:xblk|demo)_\w+): (.*)$')
KV = re.compile(r'(\w+)=(\S+)')


def guest_events(path):
    """Yields (name, {field: value}) for every guest tracepoint line."""
    for line in guest_lines.lines(path):
        m = GUEST_EVENT.search(line)
        if m:
            yield m.group(1), dict(KV.findall(m.group(2)))


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f'session_check: {" ".join(cmd)} failed ({p.returncode}): {p.stderr.strip()[-500:]}')
    return p.stdout


def qemu_events(session, meta):
    if meta['qemu']['trace_backend'] == 'ust':
        out = run([f'{TOP}/analysis/vqscope-tracedump', 'ctf', os.path.join(session, 'qemu-ctf')])
    else:
        out = run([f'{TOP}/analysis/vqscope-tracedump', 'simple', os.path.join(session, 'qemu.simpletrace'),
                   '--events', os.path.join(session, 'qemu-trace-events')])
    for line in out.splitlines():
        if line.startswith('#'):
            continue
        parts = line.split(' ', 2)
        if len(parts) >= 2:
            yield parts[1], dict(KV.findall(parts[2] if len(parts) > 2 else ''))


def device_bars(path):
    """The traced device's memory BARs, from the guest trace header: [(start, end)]."""
    bars = []
    with open(path, errors='replace') as f:
        for line in f:
            if not line.startswith('#'):
                break
            m = re.match(r'# device-bar: \S+ \S+ (0x[0-9a-f]+) (0x[0-9a-f]+)', line)
            if m:
                bars.append((int(m.group(1), 16), int(m.group(2), 16)))
    return bars


def probe_counts(session, bars):
    path = os.path.join(session, 'host-probe.vqp')
    if not os.path.exists(path):
        return None
    out = run([f'{TOP}/probes/vqscope-probe-dump', path])
    counts, drops, end = {}, None, False
    for line in out.splitlines():
        m = re.match(r'summary: count (\w+) (\d+)', line)
        if m:
            counts[m.group(1)] = int(m.group(2))
        m = re.match(r'summary: drops (\d+)', line)
        if m:
            drops = int(m.group(1))
        if line.startswith('summary: end record: present'):
            end = True
    # user-space exits by reason: KVM_EXIT_MMIO (6) is the notify path with ioeventfd off
    mmio = sum(1 for line in out.splitlines() if ' kvm_userspace_exit ' in line and re.search(r'\breason=6\b', line))

    def in_device(line):
        m = re.search(r'\bgpa=(0x[0-9a-f]+)', line)
        return m is not None and any(a <= int(m.group(1), 16) <= b for a, b in bars)
    # the traced device's own notifications: ioeventfd signals and MMIO writes (kvm_mmio type 2), and
    # which of those writes went on to user space: a KVM_EXIT_MMIO exit on the same vCPU thread after the
    # write and before the thread re-enters the guest
    # The doorbells: the device's most-written addresses (one per queue). Its set-up writes (common
    # config, MSI-X table) are spread over many addresses, each written a few times.
    writes_by_gpa = {}
    for line in out.splitlines():
        if ' kvm_mmio ' in line and ' type=2 ' in line and in_device(line):
            gpa = re.search(r'\bgpa=(0x[0-9a-f]+)', line).group(1)
            writes_by_gpa[gpa] = writes_by_gpa.get(gpa, 0) + 1
    top = max(writes_by_gpa.values(), default=0)
    doorbells = {g for g, n in writes_by_gpa.items() if n >= max(10, top // 10)}

    def at_doorbell(line):
        m = re.search(r'\bgpa=(0x[0-9a-f]+)', line)
        return m is not None and m.group(1) in doorbells
    dev_ioeventfd = dev_mmio_writes = dev_userspace = 0
    pending = {}
    for line in out.splitlines():
        m = re.search(r' pid=(\d+) ', line)
        if not m:
            continue
        tid = m.group(1)
        if ' ioeventfd_write ' in line and in_device(line):
            dev_ioeventfd += 1
        elif ' kvm_mmio ' in line and ' type=2 ' in line and at_doorbell(line):
            dev_mmio_writes += 1
            pending[tid] = True
        elif ' kvm_userspace_exit ' in line:
            if pending.pop(tid, False) and re.search(r'\breason=6\b', line):
                dev_userspace += 1
        elif ' kvm_entry ' in line:
            pending.pop(tid, None)
    return {'counts': counts, 'drops': drops, 'end': end, 'userspace_mmio': mmio,
            'device_ioeventfd': dev_ioeventfd, 'device_mmio_writes': dev_mmio_writes,
            'device_userspace_mmio': dev_userspace, 'doorbells': sorted(doorbells)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('session')
    ap.add_argument('--min-requests', type=int, default=2000)
    ap.add_argument('--expect', choices=['ioeventfd-on', 'ioeventfd-off', 'tcg'], required=True)
    args = ap.parse_args()
    s = args.session
    problems = []
    with open(os.path.join(s, 'meta.json')) as f:
        meta = json.load(f)
    if meta.get('status') != 'complete':
        problems.append(f"meta.json status {meta.get('status')!r} ({meta.get('why')})")
    dev = meta['device']

    submitted, completed, kicks_notified, kicks, guest_irqs = set(), {}, 0, 0, 0
    for name, f in guest_events(os.path.join(s, 'guest.trace')):
        if name.endswith('_submit') and 'id' in f:
            submitted.add(int(f['id']))
        elif name.endswith('_complete') and 'id' in f:
            completed[int(f['id'])] = int(f['status'])
        elif name.endswith('_kick'):
            kicks += 1
            kicks_notified += f.get('notified', f.get('notify', '1')) in ('1', 'true')
        elif name.endswith('_irq'):
            guest_irqs += 1
    submitted.discard(0)  # raw (debug-path) requests carry no driver id

    # QEMU event -> its counter in q
    counted = {'virtqueue_pop': 'pop', 'virtqueue_fill': 'fill', 'virtqueue_flush': 'flush',
               'virtio_queue_notify': 'queue_notify', 'virtio_notify': 'notify',
               'virtio_notify_irqfd': 'notify_irqfd'}
    q = dict.fromkeys(counted.values(), 0)
    begin_ids, end_ids = set(), set()
    for name, f in qemu_events(s, meta):
        if name in counted:
            q[counted[name]] += 1
        elif name == f'virtio_{dev}_req_begin':
            begin_ids.add(int(f['id']))
        elif name == f'virtio_{dev}_req_end':
            end_ids.add(int(f['id']))

    bars = device_bars(os.path.join(s, 'guest.trace'))
    if not bars:
        problems.append('guest.trace names no device BAR (# device-bar): host events cannot be attributed')
    probes = probe_counts(s, bars)
    summary = {'requests': len(submitted), 'completed': len(completed),
               'failed': sum(1 for v in completed.values() if v != 0),
               'kicks': kicks, 'kicks_notified': kicks_notified, 'guest_irqs': guest_irqs,
               'qemu': q, 'begin_ids': len(begin_ids), 'end_ids': len(end_ids), 'probes': probes}
    print(json.dumps(summary, sort_keys=True))

    if len(submitted) < args.min_requests:
        problems.append(f'{len(submitted)} requests submitted by the guest, expected >= {args.min_requests}')
    if set(completed) != submitted:
        problems.append(f'{len(submitted - set(completed))} submitted requests never completed in the guest')
    if summary['failed']:
        problems.append(f"{summary['failed']} requests completed with an error status")
    for what, ids in (('begin', begin_ids), ('end', end_ids)):
        missing = submitted - ids
        if missing:
            problems.append(f'{len(missing)} guest request ids have no virtio_{dev}_req_{what} in the QEMU trace '
                            f'(e.g. {sorted(missing)[:5]})')
    if q['pop'] < len(submitted) or q['flush'] < 1 or q['fill'] < len(submitted):
        problems.append(f"QEMU virtqueue events too few for {len(submitted)} requests: {q}")

    if probes is None:
        problems.append('no host-probe.vqp in the session')
    else:
        c = probes['counts']
        if not probes['end']:
            problems.append('the probe stream has no end record (cut short)')
        if probes['drops'] is None:
            problems.append('the probe stream reports no drop count')
        elif probes['drops'] > 0:
            print(f"note: {probes['drops']} probe records dropped (reported in the stream)")
        # the probe's own per-program figures (the overhead benchmark's input): the programs whose
        # events the stream holds ran, and were timed (the recorder enables kernel.bpf_stats_enabled)
        try:
            with open(os.path.join(s, 'bpf-prog-stats.json')) as f:
                stats = {p['name']: p for p in json.load(f)}
        except (OSError, ValueError, KeyError, TypeError) as e:
            stats = None
            problems.append(f'bpf-prog-stats.json missing or unreadable: {e}')
        if stats is not None:
            # the scheduler events run as tp_btf where the kernel takes it, else as raw_tp
            sched = 'btf_sched_switch' if stats.get('btf_sched_switch', {}).get('run_cnt') else 'raw_sched_switch'
            for program, event in ((sched, 'sched_switch'), ('tp_kvm_exit', 'kvm_exit')):
                if c.get(event, 0) and not (stats.get(program, {}).get('run_cnt', 0) >= c[event] and
                                            stats[program].get('run_time_ns', 0) > 0):
                    problems.append(f'bpf-prog-stats.json: {program} {stats.get(program)} for {c[event]} '
                                    f'{event} records')
        # the host scheduler is recorded at --level full only (sessions from before --level: everything)
        sched_counts = {k: c.get(k, 0) for k in ('sched_switch', 'sched_wakeup')}
        if meta.get('level', 'full') == 'full':
            if sched_counts['sched_switch'] == 0:
                problems.append('level full: no sched_switch records for the QEMU threads')
        elif any(sched_counts.values()):
            problems.append(f"level {meta.get('level')}: scheduler records in the probe stream: {sched_counts}")
        injections = c.get('kvm_msi_set_irq', 0) + c.get('irqfd_inject', 0)
        notifications = q['notify'] + q['notify_irqfd']
        if args.expect == 'tcg':
            kvm = {k: v for k, v in c.items() if k.startswith(('kvm_', 'ioeventfd', 'irqfd')) and v}
            if kvm:
                problems.append(f'tcg session with KVM events: {kvm}')
            if meta.get('kvm_events_expected') is not False or 'no KVM' not in (meta.get('note') or ''):
                problems.append('meta.json of a tcg session does not say that KVM events are absent')
        else:
            if c.get('kvm_exit', 0) < len(submitted):
                problems.append(f"only {c.get('kvm_exit', 0)} kvm_exit records for {len(submitted)} requests")
            # every notification QEMU decided to send became one injection (MSI or irqfd), give or take
            # the few config interrupts around driver start-up (all devices: the 9p share's too)
            if abs(injections - notifications) > max(10, notifications // 50):
                problems.append(f'{injections} MSI/irqfd injections for {notifications} QEMU notifications')
            if guest_irqs > injections + 10:
                problems.append(f'the guest saw {guest_irqs} interrupts but only {injections} were injected')
            iofd, writes = probes['device_ioeventfd'], probes['device_mmio_writes']
            if args.expect == 'ioeventfd-on':
                # one signal per kick that notified (a few more: kicks before the guest trace started)
                if abs(iofd - kicks_notified) > max(10, kicks_notified // 20):
                    problems.append(f'ioeventfd=on: {iofd} ioeventfd signals for {kicks_notified} notifying kicks')
                # the kicks stay in the kernel: (almost) none of the device's writes reach user space
                if probes['device_userspace_mmio'] > kicks_notified // 100:
                    problems.append(f"ioeventfd=on: {probes['device_userspace_mmio']} of the device's notify "
                                    f'writes exited to user space ({kicks_notified} notifying kicks)')
            else:
                if iofd != 0:
                    problems.append(f'ioeventfd=off: {iofd} ioeventfd signals for the device')
                if writes < kicks_notified or probes['device_userspace_mmio'] < kicks_notified:
                    problems.append(f"ioeventfd=off: {writes} notify writes, {probes['device_userspace_mmio']} "
                                    f'of them exiting to user space, for {kicks_notified} notifying kicks')
    for p in problems:
        print('problem:', p)
    sys.exit(1 if problems else 0)


if __name__ == '__main__':
    main()
