#!/usr/bin/env python3
"""What ioeventfd must change between the two disks of one lab A/B session (A off, B on).

    check_ab_ioeventfd.py REPORT-A.json REPORT-B.json COMPARE.json

REPORT-*: `vqscope-analyze report SESSION@A|B --format json`; COMPARE: `compare SESSION@A SESSION@B
--format json` (B - A, blocks resampled). With ioeventfd off a doorbell write goes on to user space and
QEMU's vCPU thread serves it before the vCPU re-enters; with it on KVM signals an eventfd and re-enters.
So: A has userspace exits per request (at least one per notify exit that served a row), B's are fewer,
and the shift of both the userspace exits per request and the vCPU's time in the notify exit is below 0
with its whole interval below 0.
"""
import json
import sys


def fail(message):
    print(f"check_ab_ioeventfd: {message}")
    sys.exit(1)


def main():
    report_a, report_b, compare = (json.load(open(path)) for path in sys.argv[1:4])
    if (report_a["ioeventfd"], report_b["ioeventfd"]) != ("off", "on"):
        fail(f"expected disk A ioeventfd off and B on, found {report_a['ioeventfd']}, {report_b['ioeventfd']}")
    cost_a, cost_b = report_a["cost"], report_b["cost"]
    if not cost_a or not cost_b or cost_a["exits"] is None:
        fail("no cost figures with KVM exits (probes not attached?)")
    notify_a = cost_a["notify_exits"]["count"]
    userspace_a = cost_a["exits"]["userspace"]
    if not notify_a or userspace_a < notify_a:
        fail(f"disk A (off): {userspace_a} userspace exits for {notify_a} notify exits: each should go to user space")
    figures = compare["cost"]["per_request"]
    for key in ("userspace_exits", "notify_exit_time_ns"):
        f = figures[key]
        if f["ci_low"] is None or not (f["shift"] < 0 and f["ci_high"] < 0):
            fail(f"{key}: shift B - A {f['shift']} [{f['ci_low']}, {f['ci_high']}]: expected below 0, whole interval")
    n = compare["cost"]["notify_exit_ns"]
    if not (n["shift"] < 0 and n["ci_high"] < 0):
        fail(f"notify exit median shift {n['shift']} [{n['ci_low']}, {n['ci_high']}]: expected below 0")
    print(f"userspace exits per request: A {figures['userspace_exits']['a']}, B {figures['userspace_exits']['b']}; "
          f"notify exit median A {n['median_a'] / 1000:.1f} us, B {n['median_b'] / 1000:.1f} us, shift "
          f"{n['shift'] / 1000:+.1f} [{n['ci_low'] / 1000:+.1f}, {n['ci_high'] / 1000:+.1f}]")


if __name__ == "__main__":
    main()
