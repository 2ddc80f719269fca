#!/usr/bin/env python3
"""A multi-queue session's report (vqscope-analyze --format json) against issue 14's bar.

    check_queues.py REPORT.json QUEUES

Passes when: >= 99 % of the guest's requests are stitched, no request has a negative stage, exactly
QUEUES queues carried requests and each >= 20 % of its fair share (requests / QUEUES), every queue's
completions in the trace equal the driver's own count (guest.trace '# queue-completed:'), the queues'
submits add up to the session's, and kicks and interrupts were paired queue by queue (no warning that
they were paired in one sequence). Exits 1 naming
what does not hold.
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
    print("queues: " + ", ".join(f"vq{q['vq']} {q['submitted']} (driver {q['driver_completed']})" for q in rows)
          + f"; {r['stitched']}/{r['guest']} stitched, 0 negative")


if __name__ == "__main__":
    main()
