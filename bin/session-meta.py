#!/usr/bin/env python3
"""Writes a recorded session's meta.json (format vqscope-session, version 2).

    session-meta.py SESSION-DIR --status complete|partial|recording [--why TEXT] --mode kvm|lab|tcg
                    --device xblk|demo|blk --workload FIO-JOB|N [options]
                    [--ab A,B --ab-seed S --ab-blocks N --ab-order ORDER]
                    [--sources-seed S --sources-rounds N --sources-order ORDER]

bin/vqscope runs it first in `vqscope record` (status recording: the session is read while it is
recorded) and last, when the guest and the host side have stopped: what the
recorder was asked to do comes from the options; what happened (the guest kernel, the workload's exit
status, the clock pairs, the TSC offset, the probe report, the file list) is read from the session's
files. The keys are the contract with analysis/ and tests/lib/session_check.py, written down in
bin/SESSION-FORMAT.md: SESSION_VERSION changes when a key or a file changes meaning.
"""
import argparse
import json
import os
import re
import subprocess

# The session directory's schema (bin/SESSION-FORMAT.md); the analyzer's reader knows it as
# VQ_SESSION_FORMAT / VQ_SESSION_VERSION (analysis/src/session_dir.h) and warns on a newer one.
SESSION_FORMAT = 'vqscope-session'
SESSION_VERSION = 2

# The disks of an --ab session: label, QEMU device id, PCI address. bin/vqscope puts them in these
# slots (-device virtio-xblk-pci,id=...,addr=0x4 / 0x5) and bin/guest-record.sh finds them there.
AB_DISKS = (('A', 'xblk-a', '0000:00:04.0'), ('B', 'xblk-b', '0000:00:05.0'))
AB_IOEVENTFD = re.compile(r'(on|off),(on|off)')
AB_ORDER = re.compile(r'(AB|BA)+')


def read(session, name, default=None):
    """The text of SESSION/NAME, or DEFAULT if it cannot be read."""
    try:
        with open(os.path.join(session, name), errors='replace') as f:
            return f.read()
    except OSError:
        return default


def first_line(cmd):
    """The first line of CMD's output (a version), or why there is none."""
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip().splitlines()[0]
    except Exception as e:  # a missing binary, a timeout, no output: all end up in meta.json as such
        return f'unknown ({e})'


def clock_pairs(text):
    """The '<label> tsc=N mono_ns=N [bracket=N] [cpu=K]' lines of clock-pair's output (cpu: the CPU it
    was taken on, when it says)."""
    pairs = []
    for m in re.finditer(r'(\w+) tsc=(\d+) mono_ns=(\d+)(?: bracket=\d+)?(?: cpu=(\d+))?', text or ''):
        pair = dict(label=m.group(1), tsc=int(m.group(2)), mono_ns=int(m.group(3)))
        if m.group(4) is not None:
            pair['cpu'] = int(m.group(4))
        pairs.append(pair)
    return pairs


def tsc_report(session, guest_trace):
    """KVM's TSC offset of the guest (tsc-offset.txt) and the host's and the guest's clock pairs."""
    offsets = read(session, 'tsc-offset.txt')
    tsc = {'source': 'KVM debugfs vcpuN/tsc-offset of the guest, read while it ran' if offsets else None}
    for line in (offsets or '').splitlines():
        key, _, value = line.partition(' ')
        vcpu = re.fullmatch(r'vcpu_tsc_offset (\d+) (-?\d+)\s*', line)
        if vcpu:   # one per vCPU: {"0": N, "1": N, ...}
            tsc.setdefault('vcpu_tsc_offsets', {})[vcpu.group(1)] = int(vcpu.group(2))
        elif value.strip().lstrip('-').isdigit():
            tsc[key] = int(value)
    tsc['host_pairs'] = clock_pairs(read(session, 'host-clock.txt'))
    tsc['guest_pairs'] = clock_pairs('\n'.join(line for line in guest_trace.splitlines()
                                               if line.startswith('# clock-pair:')))
    return tsc


def probe_report(session):
    """probe-report.json as written by the probe loader, None without one."""
    report = read(session, 'probe-report.json')
    if not report:
        return None
    try:
        return json.loads(report)
    except ValueError as e:
        return {'error': f'probe-report.json unreadable: {e}'}


def ab_report(args):
    """meta.json's "ab": the seed, the blocks per disk, their order and the two disks."""
    ioeventfd = args.ab.split(',')
    return {'seed': args.ab_seed, 'blocks': args.ab_blocks, 'order': args.ab_order,
            'disks': [{'label': label, 'qemu_id': qemu_id, 'pci': pci, 'ioeventfd': value}
                      for (label, qemu_id, pci), value in zip(AB_DISKS, ioeventfd)]}


def session_meta(args):
    s = args.session
    console = read(s, 'console.log', '')
    guest_trace = read(s, 'guest.trace', '')
    kernel = re.search(r'^# kernel: (.*)$', guest_trace, re.M)
    workload_rc = re.search(r'^GUEST-WORKLOAD rc=(\d+)', console, re.M)
    files = sorted(f for f in os.listdir(s) if not f.startswith('.'))
    fio = args.device != 'demo'
    lab = args.mode == 'lab'
    meta = {
        'format': SESSION_FORMAT, 'version': SESSION_VERSION,
        'status': args.status, 'why': args.why or None,
        'mode': args.mode, 'device': args.device, 'ioeventfd': args.ab or args.ioeventfd,
        'iothread': args.iothread,
        'queues': args.queues, 'smp': args.smp, 'delay_ns': args.delay_ns, 'kick_hold_ns': args.kick_hold_ns,
        'notify_delay_ns': args.notify_delay_ns,
        'level': args.level,
        'workload': {'kind': 'fio' if fio else 'demo-client',
                     'spec': os.path.basename(args.workload) if fio else int(args.workload),
                     'exit': int(workload_rc.group(1)) if workload_rc else None},
        'kvm_events_expected': args.mode != 'tcg',
        'note': None if args.mode != 'tcg' else 'tcg mode: no KVM, so no kvm_* host events; QEMU emulates ioeventfd with an eventfd write from the vCPU thread',
        'qemu': {'binary': args.qemu, 'version': first_line([args.qemu, '--version']),
                 'trace_backend': args.trace_backend,
                 'trace': 'qemu-ctf' if args.trace_backend == 'ust' else 'qemu.simpletrace',
                 'trace_events': 'qemu-trace-events'},
        'kernels': {'host': os.uname().release, 'guest': kernel.group(1) if kernel else None,
                    'l1': 'same Debian image as the guest' if lab else None},
        'clocks': {'host': 'CLOCK_MONOTONIC (bpf_ktime_get_ns, QEMU simpletrace get_clock(), LTTng monotonic)',
                   'guest': 'guest CLOCK_MONOTONIC (ts_ns field of every guest event, ktime_get_ns)',
                   'host_side': 'L1' if lab else 'host'},
        'tsc': tsc_report(s, guest_trace),
        'tracing': args.tracing,
        'host_hook': args.host_hook or None,
        # --pin: pin.txt's lines (host-record.sh: "qemu PID cpus LIST", "vcpu TID NAME cpu N", or
        # "not pinned: WHY"); null without --pin
        'pin': read(s, 'pin.txt', '').splitlines() if args.pin else None,
        'probes': probe_report(s) if args.probes else {'enabled': False},
        'duration_s': args.duration_s,
        'lab_reruns': len([f for f in files if f.startswith('console.log.failed-run-')]),
        'files': files,
    }
    if args.ab:
        meta['ab'] = ab_report(args)
    if args.sources_order:
        # record --sources: the sets of sources on in each block, and the host's switches (sources.log)
        meta['sources'] = {'seed': args.sources_seed, 'rounds': args.sources_rounds, 'order': args.sources_order,
                           'sets': {'U': [], 'P': ['probes'], 'Q': ['qemu'], 'G': ['guest'],
                                    'A': ['probes', 'qemu', 'guest']}}
    return meta


def main():
    ap = argparse.ArgumentParser(description='Writes SESSION-DIR/meta.json.')
    ap.add_argument('session', metavar='SESSION-DIR')
    ap.add_argument('--status', choices=['complete', 'partial', 'recording'], required=True,
                    help='recording: written when the recording starts, replaced at its end')
    ap.add_argument('--why', default='', help='why the session is partial')
    ap.add_argument('--mode', choices=['kvm', 'lab', 'tcg'], required=True)
    ap.add_argument('--device', choices=['xblk', 'demo', 'blk'], required=True)
    ap.add_argument('--workload', required=True, help='the fio job file, or demo: the number of requests')
    ap.add_argument('--ioeventfd', choices=['on', 'off'], default='on')
    ap.add_argument('--ab', metavar='A,B', help="an A/B session: disk A's and disk B's ioeventfd")
    ap.add_argument('--ab-seed', type=int, help='--ab: the seed of the order')
    ap.add_argument('--ab-blocks', type=int, help='--ab: blocks per disk')
    ap.add_argument('--ab-order', help='--ab: which disk ran each block (AB or BA per pair)')
    ap.add_argument('--sources-seed', type=int, help='record --sources: the seed of the order')
    ap.add_argument('--sources-rounds', type=int, help='record --sources: rounds of five blocks')
    ap.add_argument('--sources-order', help='record --sources: the set of each block (U, P, Q, G, A)')
    ap.add_argument('--iothread', action='store_true')
    ap.add_argument('--queues', type=int, default=1)
    ap.add_argument('--smp', type=int, default=1, help="the guest's vCPUs")
    ap.add_argument('--delay-ns', type=int, default=0)
    ap.add_argument('--kick-hold-ns', type=int, default=0)
    ap.add_argument('--notify-delay-ns', type=int, default=0)
    ap.add_argument('--qemu', required=True, help='the QEMU binary')
    ap.add_argument('--trace-backend', choices=['simple', 'ust'], default='simple')
    ap.add_argument('--no-trace', dest='tracing', action='store_false')
    ap.add_argument('--no-probes', dest='probes', action='store_false')
    ap.add_argument('--host-hook', default='')
    ap.add_argument('--level', choices=['minimal', 'default', 'full'], default='default',
                    help='record --level: what was recorded')
    ap.add_argument('--pin', action='store_true', help="record --pin: QEMU's vCPU threads were to be pinned")
    ap.add_argument('--duration-s', type=int, required=True)
    args = ap.parse_args()
    if args.device == 'demo' and not args.workload.isdigit():
        ap.error(f'--workload for demo is a number of requests, not {args.workload!r}')
    ab_details = (args.ab_seed, args.ab_blocks, args.ab_order)
    if args.ab is None and ab_details != (None, None, None):
        ap.error('--ab-seed, --ab-blocks and --ab-order go with --ab')
    if args.ab is not None:
        if args.device != 'xblk' or not AB_IOEVENTFD.fullmatch(args.ab):
            ap.error(f'--ab is two xblk disks\' ioeventfd, A,B with each on or off, not {args.ab!r}')
        if None in ab_details:
            ap.error('--ab needs --ab-seed, --ab-blocks and --ab-order')
        if not AB_ORDER.fullmatch(args.ab_order) or len(args.ab_order) != 2 * args.ab_blocks:
            ap.error(f'--ab-order must be AB or BA for each of the {args.ab_blocks} pairs of blocks, '
                     f'not {args.ab_order!r}')
    sources_details = (args.sources_seed, args.sources_rounds, args.sources_order)
    if None in sources_details and sources_details != (None, None, None):
        ap.error('--sources-seed, --sources-rounds and --sources-order go together')
    if args.sources_order is not None and (
            len(args.sources_order) != 5 * args.sources_rounds or
            any(sorted(args.sources_order[i:i + 5]) != sorted('UPQGA') for i in range(0, len(args.sources_order), 5))):
        ap.error(f'--sources-order must be {args.sources_rounds} rounds of the five sets U P Q G A, '
                 f'not {args.sources_order!r}')
    meta = session_meta(args)
    # written aside and renamed: a reader of the session while it is recorded sees one meta.json whole
    aside = os.path.join(args.session, '.meta.json.new')
    with open(aside, 'w') as f:
        json.dump(meta, f, indent=2, sort_keys=True)
        f.write('\n')
    os.replace(aside, os.path.join(args.session, 'meta.json'))


if __name__ == '__main__':
    main()
