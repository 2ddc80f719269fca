#!/usr/bin/env python3
"""Checks the analyzer's split of an A/B session (vqscope record --ab) by disk against the session.

    check_ab_split.py SESSION REPORT-A.json REPORT-B.json COMPARE.json CSV-A CSV-B

REPORT-*: `vqscope-analyze report SESSION@A|B --format json`; COMPARE: `compare SESSION@A SESSION@B
--format json`; CSV-*: `report SESSION@A|B --format csv`. Each disk's rows must be exactly the driver
requests submitted inside that disk's blocks (read here from guest.trace's markers), all stitched, with
the disk's ioeventfd from meta.json, fio's own figures of that disk's blocks only, and the compare's
intervals resampling blocks (as many as each disk ran).
"""
import json
import re
import sys
import guest_lines

MARK = re.compile(r'vqscope-block seq=(\d+) disk=([AB]) dev=\S+ (begin|end)')
SUBMIT = re.compile(r'virtio_xblk_submit: ts_ns=\d+ id=(\d+)')


def fail(message):
    print(f"check_ab_split: {message}")
    sys.exit(1)


def main():
    session, report_paths, compare_path, csv_paths = sys.argv[1], sys.argv[2:4], sys.argv[4], sys.argv[5:7]
    meta = json.load(open(f"{session}/meta.json"))
    ioeventfd = {d["label"]: d["ioeventfd"] for d in meta["ab"]["disks"]}
    # the ids submitted in each disk's blocks, in trace order (markers and submits interleave in time)
    ids, disk = {"A": set(), "B": set()}, None
    for line in guest_lines.lines(f"{session}/guest.trace"):
        mark = MARK.search(line)
        if mark:
            disk = mark.group(2) if mark.group(3) == "begin" else None
            continue
        submit = SUBMIT.search(line)
        if submit:
            if disk is None:
                fail(f"request {submit.group(1)} submitted outside any block")
            ids[disk].add(int(submit.group(1)))
    blocks = len(meta["ab"]["order"]) // 2
    for label, report_path, csv_path in zip("AB", report_paths, csv_paths):
        report = json.load(open(report_path))
        rows = {int(line.split(",")[0]) for line in open(csv_path).readlines()[1:]}
        if rows != ids[label]:
            fail(f"disk {label}: {len(rows)} rows, its blocks hold {len(ids[label])} requests; "
                 f"{len(rows - ids[label])} rows from elsewhere, {len(ids[label] - rows)} requests missing")
        if report["requests"]["stitched"] != len(ids[label]) or report["requests"]["guest"] != len(ids[label]):
            fail(f"disk {label}: requests {report['requests']}, expected {len(ids[label])} stitched")
        if report["part"] != label or report["blocks"] != blocks or report["ioeventfd"] != ioeventfd[label]:
            fail(f"disk {label}: part {report['part']}, blocks {report['blocks']}, ioeventfd {report['ioeventfd']}; "
                 f"expected {label}, {blocks}, {ioeventfd[label]}")
        coverage = report.get("coverage") or {}
        if coverage.get("ios") != len(ids[label]) or not coverage.get("fio_iops"):
            fail(f"disk {label}: fio's issued I/Os {coverage.get('ios')} (expected {len(ids[label])}, that disk's "
                 f"blocks only), IOPS {coverage.get('fio_iops')}")
        print(f"disk {label} (ioeventfd {ioeventfd[label]}): {len(rows)} rows = its blocks' requests; fio "
              f"{coverage['fio_mean_ns'] / 1000:.1f} us mean, {coverage['fio_iops']:.0f} IOPS")
    compare = json.load(open(compare_path))
    if (compare["interval"], compare["blocks_a"], compare["blocks_b"]) != ("blocks", blocks, blocks):
        fail(f"compare: interval {compare['interval']} over {compare['blocks_a']}/{compare['blocks_b']} blocks; "
             f"expected blocks over {blocks}/{blocks}")
    total = compare["stages"]["total"]
    if not total["ci_low"] <= total["shift"] <= total["ci_high"]:
        fail(f"compare: total shift {total['shift']} outside its interval [{total['ci_low']}, {total['ci_high']}]")
    print(f"compare B - A, total: {total['shift'] / 1000:+.1f} us [{total['ci_low'] / 1000:+.1f}, "
          f"{total['ci_high'] / 1000:+.1f}] ({blocks} blocks a side)")


if __name__ == "__main__":
    main()
