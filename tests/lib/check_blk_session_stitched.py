#!/usr/bin/env python3
"""A stock virtio-blk session recorded in the nested lab and its JSON report, stitched by sectors (test 65).

    check_blk_session_stitched.py SESSION REPORT_JSON QEMU_HANDLES

QEMU_HANDLES: the number of virtio_blk_handle_read/write events in the session's QEMU trace. Passes if
the session is complete and of device blk; the report matched by sectors; it saw every block_rq_issue of
guest.trace (>= 2000), and guest.trace has vqscope_blk_kick events; every request is stitched or unmatched
with a reason, >= 99 % stitched, at most QEMU_HANDLES and no more than 64 fewer; none with a negative
stage; the alignment usable, without contradiction, narrower than 2 ms; begin>end for every stitched
request, and exit>signal and kick>exit present. Fails with an AssertionError otherwise.
"""
import json, re, sys
import guest_lines
session, report, qemu_handles = sys.argv[1], json.load(open(sys.argv[2])), int(sys.argv[3])
meta = json.load(open(f"{session}/meta.json"))
assert meta["status"] == "complete" and meta["device"] == "blk", f"meta: {meta['status']} {meta['device']}"
guest = list(guest_lines.lines(f"{session}/guest.trace"))
issues = sum(1 for line in guest if ": block_rq_issue: " in line)
kicks = sum(1 for line in guest if ": vqscope_blk_kick: " in line)
req, a, stages = report["requests"], report["alignment"], report["stages"]
print(f"guest.trace: {issues} block_rq_issue, {kicks} kicks; QEMU: {qemu_handles} handle_read/write; report {req}")
assert report["matched_by"] == "sectors", f"matched_by {report['matched_by']}"
assert req["guest"] == issues >= 2000, f"the analyzer saw {req['guest']} requests, guest.trace has {issues}"
assert kicks > 0, "no vqscope_blk_kick events: the kprobe or its filter did not work"
assert req["stitched"] + req["unmatched"] == req["guest"], f"requests lost: {req}"
assert all(u["reason"] for u in report["unmatched"]), "an unmatched request without a reason"
assert req["stitched"] >= 0.99 * req["guest"], f"only {req['stitched']} of {req['guest']} stitched: {report['unmatched'][:3]}"
assert req["stitched"] <= qemu_handles, f"{req['stitched']} stitched but QEMU handled only {qemu_handles}"
assert qemu_handles - req["stitched"] <= 64, f"{qemu_handles - req['stitched']} QEMU requests left unmatched"
assert req["negative"] == 0, f"{req['negative']} requests with a negative stage (a wrong match?)"
assert a["usable"] and not a["contradiction"], f"alignment {a}"
assert a["width_ns"] < 2_000_000, f"alignment width {a['width_ns']} ns: the matched pairs bound it poorly"
assert stages["begin>end"]["count"] == req["stitched"], "begin>end missing for stitched requests"
assert stages["exit>signal"]["count"] > 0, "no exit>signal: the KVM ioeventfd path was not stitched"
assert stages["kick>exit"]["count"] > 0, "no kick>exit"
print(f"ok: {req['stitched']}/{req['guest']} stitched by sectors, width {a['width_ns']} ns, "
      f"median total {stages['total']['p50'] / 1000:.1f} us, backend {stages['begin>end']['p50'] / 1000:.1f} us")
