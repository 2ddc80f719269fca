#!/usr/bin/env python3
"""The rendered dashboard's per-queue table against the analyzer's report (test 75).

    check_dashboard_queues.py REPORT.json DOM.html

DOM.html is Chromium's --dump-dom of a page built from REPORT.json alone. Passes if the table has one row per queue of the report's `queues`, each showing the report's
submitted, completed, driver_completed ('-' for null), stitched, share of the submits and median / p99
total in us; fails with an AssertionError naming the first difference.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_dashboard_ab import Dom  # noqa: E402  (the DOM reader of the dashboard tests)


def main():
    report = json.load(open(sys.argv[1]))
    dom = Dom()
    dom.feed(open(sys.argv[2]).read())
    rows = dom.find("tr")
    labels = {a.get("data-session") for a, _ in rows if a.get("data-vq") is not None}
    assert len(labels) == 1, f"queue rows of {len(labels)} sessions on a page of one: {labels}"
    label = labels.pop()
    queues = report["queues"]
    total = sum(q["submitted"] for q in queues)
    shown = [a for a, _ in rows if a.get("data-vq") is not None]
    assert len(shown) == len(queues), f"{len(shown)} queue rows for {label}, the report has {len(queues)}"
    for q in queues:
        want = {"vq": str(q["vq"]), "submitted": str(q["submitted"]), "completed": str(q["completed"]),
                "driver_completed": "-" if q["driver_completed"] is None else str(q["driver_completed"]),
                "stitched": str(q["stitched"]), "share": f"{100 * q['submitted'] / total:.1f} %",
                "total_p50": f"{q['total_ns']['p50'] / 1000:.1f}", "total_p99": f"{q['total_ns']['p99'] / 1000:.1f}"}
        cells = {}
        # the cells of this queue's row: those after its <tr data-vq> and before the next row
        in_row = False
        for tag, attrs, text in dom.elements:
            if tag == "tr":
                in_row = attrs.get("data-session") == label and attrs.get("data-vq") == str(q["vq"])
            elif tag == "td" and in_row and attrs.get("data-field"):
                cells[attrs["data-field"]] = "".join(text).strip()
        for field, value in want.items():
            assert cells.get(field) == value, f"queue {q['vq']} {field}: page '{cells.get(field)}', report '{value}'"
    print(f"dashboard queues: {len(queues)} rows equal to the report's")


if __name__ == "__main__":
    main()
