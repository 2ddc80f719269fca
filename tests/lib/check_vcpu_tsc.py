#!/usr/bin/env python3
"""Per-vCPU clocks of a KVM session with several vCPUs (issue 14, part 4).

    check_vcpu_tsc.py SESSION REPORT.json VCPUS

Passes when: tsc-offset.txt lists KVM's tsc-offset of each of the VCPUS vCPUs (vcpu_tsc_offset K N),
guest.trace has a start and an end clock pair taken on each guest CPU (cpu=K), the report's tsc_check
counts VCPUS vCPUs with both, and the offsets their own pairs predict (each with its vCPU's tsc-offset)
differ by no more than twice the error the report states for the offset (two predictions, each within
that error of the truth). Prints the figures; exit 1 naming what does not hold.
"""
import json
import re
import sys


def fail(message):
    print(f"check_vcpu_tsc: {message}")
    sys.exit(1)


def main():
    session, report, vcpus = sys.argv[1], json.load(open(sys.argv[2])), int(sys.argv[3])
    offsets = {}
    for line in open(f"{session}/tsc-offset.txt"):
        m = re.fullmatch(r"vcpu_tsc_offset (\d+) (-?\d+)\s*", line)
        if m:
            offsets[int(m.group(1))] = int(m.group(2))
    if sorted(offsets) != list(range(vcpus)):
        fail(f"tsc-offset.txt lists the offsets of vCPUs {sorted(offsets)}, expected 0..{vcpus - 1}")
    pairs = {}
    for line in open(f"{session}/guest.trace"):
        if not line.startswith("#"):
            break
        m = re.match(r"# clock-pair: (\w+) tsc=\d+ mono_ns=\d+ bracket=\d+ cpu=(\d+)$", line.rstrip("\n"))
        if m:
            pairs.setdefault(int(m.group(2)), []).append(m.group(1))
    for cpu in range(vcpus):
        if pairs.get(cpu) != ["start", "end"]:
            fail(f"guest CPU {cpu}: clock pairs {pairs.get(cpu)}, expected a start and an end pair")
    t = report["tsc_check"]
    if t is None or t.get("vcpus") != vcpus:
        fail(f"the report's tsc_check counts {None if t is None else t.get('vcpus')} vCPUs, expected {vcpus}")
    spread, error = t["vcpu_prediction_spread_ns"], t["error_ns"]
    if spread > 2 * error:
        fail(f"the vCPUs' own pairs predict offsets {spread} ns apart, more than twice the stated error {error} ns")
    print(f"per-vCPU TSC: {vcpus} vCPUs, tsc-offsets {sorted(set(offsets.values()))} "
          f"(spread {t['vcpu_offset_spread_cycles']} cycles), predictions within {spread} ns "
          f"(stated error +-{error} ns)")


if __name__ == "__main__":
    main()
