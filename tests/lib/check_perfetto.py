#!/usr/bin/env python3
"""vqscope-analyze's Perfetto (Chrome trace event JSON) export against its JSON report (test 81).

    check_perfetto.py REPORT_JSON PERFETTO_JSON

Passes if the export is valid JSON with guest and host tracks; every stitched request has one slice per
stage it has, of that stage's duration, all inside the request's total (except, for batched requests,
handler>begin and at most 1 % of requests with host slices before the guest's submit event, counted and
printed); and one flow per request from a guest slice through host slices back to a guest slice, each step
on a slice of the same request and track, in time order. Fails with an AssertionError otherwise.
"""
import collections, json, sys

report = json.load(open(sys.argv[1]))
try:
    trace = json.load(open(sys.argv[2]))
except ValueError as err:
    sys.exit(f"not valid JSON: {err}")
events = trace["traceEvents"]
GUEST = 1          # pid of the guest track group; 2 = host kernel (vCPU threads), 3 = QEMU device
EPS = 0.002        # us: timestamps are printed with 3 decimals (ns), so two roundings apart at most
names = {e["pid"]: e["args"]["name"] for e in events if e.get("ph") == "M" and e.get("name") == "process_name"}
assert GUEST in names and names[GUEST].startswith("guest"), f"process names {names}"
assert {2, 3} <= set(names), f"no host tracks: {names}"

slices, flows = collections.defaultdict(list), collections.defaultdict(list)
for e in events:
    if e.get("ph") == "X":
        assert e["dur"] >= 0, f"negative slice {e}"
        if "id" in e.get("args", {}):
            slices[e["args"]["id"]].append(e)
    elif e.get("ph") in ("s", "t", "f"):
        assert e.get("cat") == "request", f"flow of another category {e}"
        flows[e["id"]].append(e)

rows = {row["id"]: row for row in report["rows"]}
assert len(rows) == report["requests"]["stitched"] > 0, "report rows"
missing = set(rows) - set(slices)
assert not missing, f"{len(missing)} stitched requests without slices, e.g. {sorted(missing)[:5]}"
extra = set(slices) - set(rows)
assert not extra, f"slices for requests the report does not have: {sorted(extra)[:5]}"

stages = [s for s in report["stages"] if s != "total"]
outside, early, before_submit = 0, [], set()
for rid, row in rows.items():
    mine = slices[rid]
    by_name = collections.Counter(e["name"] for e in mine)
    assert all(n == 1 for n in by_name.values()), f"request {rid}: a stage twice {by_name}"
    # Slices exist for the stages on one track; the cross stages (kick>exit, inject>irq) and
    # signal>handler are the gaps between tracks.
    for e in mine:
        assert e["name"] in stages, f"request {rid}: unknown slice {e['name']}"
        assert abs(e["dur"] * 1000 - row[e["name"]]) <= 1, f"request {rid} {e['name']}: {e['dur']} us vs {row[e['name']]} ns"
    first = [e for e in mine if e["name"] == "submit>kick"]
    last = [e for e in mine if e["name"] == "irq>complete"]
    assert first and last and first[0]["pid"] == last[0]["pid"] == GUEST, f"request {rid}: no guest ends"
    start = first[0]["ts"]
    end = start + row["total"] / 1000
    assert abs(last[0]["ts"] + last[0]["dur"] - end) <= EPS, f"request {rid}: complete not at submit + total"
    for e in mine:
        if e["ts"] + e["dur"] > end + EPS:
            outside += 1
        elif e["ts"] < start - EPS:
            # Known exceptions, batched requests only (a handler run already under way pops them):
            # - handler>begin counts from the notify of the run that popped the request (the analyzer's
            #   definition), which can precede the request's own submit;
            # - the guest traces virtio_xblk_submit after virtqueue_add_sgs has published the request,
            #   so the run can begin it (and more) before its submit event: rare, counted, bounded.
            if row["batched"] and e["name"] == "handler>begin":
                early.append(start - e["ts"])
                continue
            if row["batched"] and e["pid"] != GUEST:
                before_submit.add(rid)
                continue
            outside += 1
        else:
            continue
        if outside <= 5:
            print(f"request {rid}: {e['name']} [{e['ts']}, {e['ts'] + e['dur']}] outside [{start}, {end}]")
assert outside == 0, f"{outside} slices outside their request's total"
assert len(before_submit) <= max(5, len(rows) // 100), \
    f"{len(before_submit)} batched requests begun by the device before their guest submit event"
if before_submit:
    print(f"note: {len(before_submit)} batched requests {sorted(before_submit)[:8]} were begun by the device before "
          f"their guest submit event (virtio_xblk_submit is traced after virtqueue_add_sgs publishes them)")
if early:
    print(f"note: {len(early)} batched requests' handler>begin slices start before their submit "
          f"(by up to {max(early):.1f} us): the handler run that popped them began earlier")

assert set(flows) == set(rows), f"flows for {len(flows)} requests, {len(rows)} stitched"
for rid, steps in flows.items():
    phases = [e["ph"] for e in steps]
    assert phases[0] == "s" and phases[-1] == "f" and set(phases[1:-1]) <= {"t"}, f"request {rid}: flow {phases}"
    assert steps[0]["pid"] == steps[-1]["pid"] == GUEST, f"request {rid}: flow does not start and end in the guest"
    assert any(e["pid"] != GUEST for e in steps), f"request {rid}: flow never reaches the host"
    # A harvested request was taken by a guest irq handler that was already running (it polls the
    # ring until it is empty): its irq>complete slice, where the flow ends, starts at that earlier irq,
    # which can precede the host's work on it. The steps before the last must still be in order.
    ordered = steps[:-1] if rows[rid].get("harvested") else steps
    assert rid in before_submit or all(a["ts"] <= b["ts"] + EPS for a, b in zip(ordered, ordered[1:])), \
        f"request {rid}: flow out of order"
    for e in steps:  # each step binds to an enclosing slice of the same request on the same track
        assert any(s["pid"] == e["pid"] and s["tid"] == e["tid"] and s["ts"] - EPS <= e["ts"] <= s["ts"] + s["dur"] + EPS
                   for s in slices[rid]), f"request {rid}: flow step {e} on no slice of its own"
counts = collections.Counter(e["ph"] for e in events)
print(f"ok: {len(rows)} requests, {sum(len(v) for v in slices.values())} slices inside their totals, "
      f"{len(flows)} flows ({counts['t']} host steps); tracks {sorted(names.values())}")
