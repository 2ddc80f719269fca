#!/usr/bin/env python3
"""An --ab session (vqscope record --ab A,B) checked from its files alone.

    check_ab_session.py SESSION --ab A,B --blocks N --seed S --order ORDER --ios-per-block K

ORDER is the order the caller drew from the seed itself (bash, RANDOM=S: AB or BA per pair). Passes if
  - meta.json is complete, its "ioeventfd" is A,B and its "ab" block has the seed, N, ORDER and the two
    disks (label, QEMU id, PCI address, ioeventfd) as bin/SESSION-FORMAT.md says;
  - guest.trace's header names both disks ('# ab-disk: A NAME 0000:00:04.0', B at 0000:00:05.0, two
    names) and has BAR lines for both PCI addresses;
  - its trace_marker lines are 'vqscope-block seq=K disk=L dev=NAME begin', then '... end', for K = 1..2N
    in turn, L = ORDER[K-1], NAME disk L's; every driver request was submitted inside a block, and
    request ids are unique across the two disks (the driver's module-wide counter);
  - the block layer's requests of each block went to one device, disk L's (the same one for every block
    of L, another for the other disk); with the QEMU trace decoded (analysis/vqscope-tracedump), every
    request of a block reached the QEMU device of its disk;
  - workload.txt holds 2N fio reports in the same order, each after its 'vqscope-block seq=K disk=L
    dev=NAME' line, each having issued K I/Os (and, where fio printed disk stats, on NAME).
Prints what it found and exits 1 naming every expectation that does not hold.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import guest_lines

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PCI = {'A': '0000:00:04.0', 'B': '0000:00:05.0'}
QEMU_ID = {'A': 'xblk-a', 'B': 'xblk-b'}
MARKER = re.compile(r'tracing_mark_write: vqscope-block seq=(\d+) disk=([AB]) dev=(\S+) (begin|end)\s*$')
SUBMIT = re.compile(r'virtio_xblk_submit: .*\bid=(\d+)')
RQ_ISSUE = re.compile(r'block_rq_issue: (\d+,\d+) ')
WORKLOAD_BLOCK = re.compile(r'^vqscope-block seq=(\d+) disk=([AB]) dev=(\S+)$', re.M)
ISSUED = re.compile(r'issued rwts: total=(\d+),(\d+),(\d+),(\d+)')


def check_meta(meta, args, problems):
    if meta.get('status') != 'complete':
        problems.append(f"meta.json status {meta.get('status')!r} ({meta.get('why')})")
    if meta.get('ioeventfd') != args.ab:
        problems.append(f"meta.json ioeventfd {meta.get('ioeventfd')!r}, expected {args.ab!r}")
    values = dict(zip('AB', args.ab.split(',')))
    expect = {'seed': args.seed, 'blocks': args.blocks, 'order': args.order,
              'disks': [{'label': label, 'qemu_id': QEMU_ID[label], 'pci': PCI[label], 'ioeventfd': values[label]}
                        for label in 'AB']}
    if meta.get('ab') != expect:
        problems.append(f"meta.json ab {meta.get('ab')}, expected {expect}")


def read_trace(path, problems):
    """The header's disks and BAR addresses, and the body's blocks: [{seq, label, name, ids, devs}]."""
    disks, bars, blocks, outside, ids = {}, set(), [], 0, []
    current = None
    for line in guest_lines.lines(path):
        if line.startswith('# ab-disk: '):
            label, name, pci = line.split()[2:5]
            disks[label] = (name, pci)
        elif line.startswith('# device-bar: '):
            bars.add(line.split()[2])
        m = MARKER.search(line)
        if m:
            seq, label, name, edge = int(m.group(1)), m.group(2), m.group(3), m.group(4)
            if edge == 'begin':
                if current is not None:
                    problems.append(f"block {seq} begins inside block {current['seq']}")
                current = {'seq': seq, 'label': label, 'name': name, 'ids': [], 'devs': set()}
                blocks.append(current)
            elif current is None or current['seq'] != seq:
                problems.append(f'block {seq} ends outside itself: {line.strip()}')
            else:
                current['ended'] = True
                current = None
            continue
        m = SUBMIT.search(line)
        if m:
            ids.append(int(m.group(1)))
            if current is None:
                outside += 1
            else:
                current['ids'].append(int(m.group(1)))
            continue
        m = RQ_ISSUE.search(line)
        if m and current is not None:
            current['devs'].add(m.group(1))
    if outside:
        problems.append(f'{outside} driver requests submitted outside every block')
    if len(ids) != len(set(ids)):
        problems.append(f'{len(ids) - len(set(ids))} request ids used twice: ids are not unique across the disks')
    return disks, bars, blocks, ids


def qemu_vdev_of_ids(session):
    """{request id: vdev} from QEMU's virtio_xblk_req_begin events."""
    out = subprocess.run([f'{TOP}/analysis/vqscope-tracedump', 'simple', os.path.join(session, 'qemu.simpletrace'),
                          '--events', os.path.join(session, 'qemu-trace-events')],
                         capture_output=True, text=True, check=True).stdout
    vdevs = {}
    for line in out.splitlines():
        parts = line.split(' ', 2)
        if len(parts) == 3 and parts[1] == 'virtio_xblk_req_begin':
            fields = dict(re.findall(r'(\w+)=(\S+)', parts[2]))
            vdevs[int(fields['id'])] = fields['vdev']
    return vdevs


def check_blocks(blocks, disks, args, problems):
    want = [(k + 1, label, disks.get(label, ('?',))[0]) for k, label in enumerate(args.order)]
    got = [(b['seq'], b['label'], b['name']) for b in blocks]
    if got != want:
        problems.append(f'trace_marker blocks (seq, disk, dev) {got}, expected {want}')
    unended = [b['seq'] for b in blocks if not b.get('ended')]
    if unended:
        problems.append(f'blocks without an end marker: {unended}')
    dev_of = {}
    for b in blocks:
        if not b['ids']:
            problems.append(f"block {b['seq']} (disk {b['label']}): no driver request")
        if len(b['devs']) != 1:
            problems.append(f"block {b['seq']} (disk {b['label']}): block layer requests on devices {sorted(b['devs'])}")
            continue
        dev_of.setdefault(b['label'], set()).update(b['devs'])
    if any(len(d) != 1 for d in dev_of.values()) or len(set().union(*dev_of.values())) != 2:
        problems.append(f'block layer devices per disk {dev_of}: expected one each, and two in all')


def check_qemu(session, blocks, problems):
    vdevs = qemu_vdev_of_ids(session)
    vdev_of = {}
    for b in blocks:
        seen = {vdevs.get(i) for i in b['ids']}
        if None in seen:
            problems.append(f"block {b['seq']}: requests without a QEMU virtio_xblk_req_begin")
        vdev_of.setdefault(b['label'], set()).update(seen - {None})
    if any(len(v) != 1 for v in vdev_of.values()) or len(set().union(*vdev_of.values())) != 2:
        problems.append(f'QEMU devices per disk {vdev_of}: expected one each, and two in all')
    return vdev_of


def check_workload(text, disks, args, problems):
    heads = list(WORKLOAD_BLOCK.finditer(text))
    want = [(k + 1, label, disks.get(label, ('?',))[0]) for k, label in enumerate(args.order)]
    got = [(int(m.group(1)), m.group(2), m.group(3)) for m in heads]
    if got != want:
        problems.append(f'workload.txt blocks {got}, expected {want}')
    for i, m in enumerate(heads):
        report = text[m.end():heads[i + 1].start() if i + 1 < len(heads) else len(text)]
        issued = ISSUED.findall(report)
        total = sum(int(n) for n in issued[0][:3]) if len(issued) == 1 else None
        if total != args.ios_per_block:
            problems.append(f'workload.txt block {m.group(1)}: issued {issued}, expected one job of '
                            f'{args.ios_per_block} I/Os')
        if 'Disk stats' in report and not re.search(rf'^\s+{re.escape(m.group(3))}: ios=', report, re.M):
            problems.append(f'workload.txt block {m.group(1)}: fio\'s disk stats do not name {m.group(3)}')
    return len(heads)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('session')
    ap.add_argument('--ab', required=True)
    ap.add_argument('--blocks', type=int, required=True)
    ap.add_argument('--seed', type=int, required=True)
    ap.add_argument('--order', required=True)
    ap.add_argument('--ios-per-block', type=int, required=True)
    args = ap.parse_args()
    s, problems = args.session, []
    with open(os.path.join(s, 'meta.json')) as f:
        check_meta(json.load(f), args, problems)

    disks, bars, blocks, ids = read_trace(os.path.join(s, 'guest.trace'), problems)
    for label in 'AB':
        if label not in disks or disks[label][1] != PCI[label] or PCI[label] not in bars:
            problems.append(f"guest.trace header: disk {label} {disks.get(label)}, expected at {PCI[label]} "
                            f'with its BARs (device-bar lines for {sorted(bars)})')
    if len({name for name, _ in disks.values()}) != 2:
        problems.append(f'guest.trace header: the disks are not two: {disks}')
    check_blocks(blocks, disks, args, problems)
    vdev_of = check_qemu(s, blocks, problems)
    with open(os.path.join(s, 'workload.txt'), errors='replace') as f:
        reports = check_workload(f.read(), disks, args, problems)

    print(json.dumps({'disks': disks, 'blocks': [(b['seq'], b['label'], b['name'], len(b['ids']), sorted(b['devs']))
                                                 for b in blocks],
                      'requests': len(ids), 'qemu_vdevs': {k: sorted(v) for k, v in vdev_of.items()},
                      'fio_reports': reports}))
    for p in problems:
        print('problem:', p)
    sys.exit(1 if problems else 0)


if __name__ == '__main__':
    main()
