#!/usr/bin/env python3
"""A multi-queue session's report (vqscope-analyze --format json) against issue 14's bar.

    check_queues.py REPORT.json QUEUES

Passes when: >= 99 % of the guest's requests are stitched, no request has a negative stage, exactly
QUEUES queues carried requests and each >= 20 % of its fair share (requests / QUEUES), every queue's
completions in the trace equal the guest's own count (guest.trace '# queue-completed:': xblk's driver,
stock virtio-blk's fio jobs pinned to the queue's CPUs), the queues' submits add up to the session's,
and kicks and interrupts were paired queue by queue (no warning that they were paired in one
sequence). Per vCPU (the report's "vcpus", one job per vCPU, so QUEUES CPUs): every CPU submitted, the
CPUs' submits add up to the session's, and under KVM each CPU's kicks exited on one vCPU thread of its
own (>= 90 % of its rows' exits on its most frequent thread, no thread shared by two CPUs). Exits 1
naming what does not hold.
"""
import json
import sys


def fail(message):
    print(f"check_queues: {message}")
    sys.exit(1)


def main():
    report, queues = json.load(open(sys.argv[1])), int(sys.argv[2])
    r = report["requests"]
    if r["stitched"] < 0.99 * r["guest"]:
        fail(f"{r['stitched']} of {r['guest']} requests stitched (< 99 %)")
    if r["negative"]:
        fail(f"{r['negative']} requests with a negative stage")
    rows = [q for q in report["queues"] if q["submitted"]]
    if len(rows) != queues:
        fail(f"{len(rows)} queues carried requests, expected {queues}: {report['queues']}")
    fair = r["guest"] / queues
    for q in rows:
        if q["submitted"] < 0.2 * fair:
            fail(f"queue {q['vq']}: {q['submitted']} requests, under 20 % of its fair share {fair:.0f}")
        if q["driver_completed"] is None or q["completed"] != q["driver_completed"]:
            fail(f"queue {q['vq']}: {q['completed']} completions in the trace, the driver counted "
                 f"{q['driver_completed']}")
    if sum(q["submitted"] for q in report["queues"]) != r["guest"]:
        fail(f"the queues' submits add up to {sum(q['submitted'] for q in report['queues'])}, not {r['guest']}")
    one_sequence = [w for w in report["warnings"] if "paired in one sequence" in w]
    if one_sequence:
        fail(f"kicks and interrupts were not paired queue by queue: {one_sequence[0]}")
    vcpus = report.get("vcpus", [])
    if len(vcpus) != queues:
        fail(f"{len(vcpus)} guest CPUs submitted requests, expected {queues} (one fio job per vCPU): {vcpus}")
    if sum(v["submitted"] for v in vcpus) != r["guest"]:
        fail(f"the CPUs' submits add up to {sum(v['submitted'] for v in vcpus)}, not {r['guest']}")
    tids = [v["exit_tid"] for v in vcpus if v["exit_tid"] is not None]
    if tids:   # KVM: the doorbell write exits on the vCPU that wrote it
        if len(tids) != len(vcpus) or len(set(tids)) != len(tids):
            fail(f"the CPUs' exit threads are not one per CPU: {[(v['cpu'], v['exit_tid']) for v in vcpus]}")
        for v in vcpus:
            if v["exit_tid_rows"] < 0.9 * v["exit_rows"]:
                fail(f"CPU {v['cpu']}: {v['exit_tid_rows']} of {v['exit_rows']} exits on thread {v['exit_tid']}")
    print("queues: " + ", ".join(f"vq{q['vq']} {q['submitted']} (driver {q['driver_completed']})" for q in rows)
          + f"; {r['stitched']}/{r['guest']} stitched, 0 negative; CPUs: "
          + ", ".join(f"cpu{v['cpu']} {v['submitted']}"
                      + (f" exits on {v['exit_tid']} ({v['exit_tid_rows']}/{v['exit_rows']})" if v["exit_tid"] else "")
                      for v in vcpus))


if __name__ == "__main__":
    main()
