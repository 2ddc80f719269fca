#!/usr/bin/env python3
"""vqscope-analyze's JSON report of one nested-lab session (test 70).

    check_lab_report.py REPORT_JSON

Passes if there are guest requests, each stitched or unmatched with a reason; no request and no row with
a negative stage; the alignment usable with lo <= hi; and the TSC cross-check (KVM's tsc-offset of L2)
within 20 us of the interval, its start and end predictions within 20 us of each other. Fails with an
AssertionError otherwise.
"""
import json, sys
r = json.load(open(sys.argv[1]))
req, a = r["requests"], r["alignment"]
assert req["guest"] > 0, "no guest requests"
assert req["stitched"] + req["unmatched"] == req["guest"], f"requests lost: {req}"
assert all(u["reason"] for u in r["unmatched"]), "an unmatched request without a reason"
assert req["negative"] == 0, f"{req['negative']} requests with a negative stage"
negative = [row["id"] for row in r["rows"] if any(v < 0 for k, v in row.items() if ">" in k or k == "total")]
assert not negative, f"negative stages in rows {negative[:10]}"
assert a["usable"], "no usable alignment"
lo, hi = a["whole"]["lo"], a["whole"]["hi"]
assert lo <= hi, f"alignment contradicts: lo {lo} > hi {hi}"
# The independent check: KVM's tsc-offset of L2 (read in L1's debugfs) and both sides' (TSC, monotonic)
# pairs predict the offset; the causal interval must hold it (20 us of slack for the pairs' brackets
# and the TSC rate measured over the session), and its start and end predictions must agree (no drift).
t = r["tsc_check"]
assert t is not None, "no TSC cross-check in a lab session (tsc-offset.txt / clock pairs missing)"
assert abs(t["distance_ns"]) <= 20000, f"the TSC prediction {t['predicted_ns']} is {t['distance_ns']} ns outside [{lo}, {hi}]"
assert len(t["predicted_ns"]) == 2 and abs(t["predicted_ns"][1] - t["predicted_ns"][0]) <= 20000, \
    f"TSC predictions at start and end differ: {t['predicted_ns']}"
print(f"TSC cross-check: offset {t['predicted_ns'][0]} ({t['predicted_ns'][0] - a.get('midpoint_ns', a['offset_ns']):+} ns from the midpoint), "
      f"{t['distance_ns']} ns outside the interval")
print(f"ok: {req['stitched']}/{req['guest']} stitched, {req['unmatched']} unmatched; offset [{lo}, {hi}], "
      f"width {hi - lo} ns; median total {r['stages']['total']['p50']} ns")
