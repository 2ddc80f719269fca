#!/usr/bin/env python3
"""The rendered HTML dashboard against the analyzer's JSON (test 80).

    check_dashboard.py WORK REQUEST

WORK holds report-off.json, report-on.json, compare.json, report-default.json (vqscope-analyze) and
dom.html, dom-one.html, dom-default.html, dom-mixed.html (Chromium's --dump-dom of the two-session page with
REQUEST in the timeline, of the one-session page, of a default-level session's page: no scheduler events,
and of that session beside the ioeventfd-on one, recorded at level full).
Passes if every chart is drawn with the analyzer's numbers (stage medians, layer shares, compare
intervals, CDF points, kicks, exits, cost and its shifts' intervals, TSC check, the request's timeline, the
A/B panel's note on how the intervals were made, its total shift, fio's figures) and those agree with the
analyzer's own rows; fails with an AssertionError naming the first difference otherwise.
"""
import json, math, os, sys
from html.parser import HTMLParser

work, request = sys.argv[1], int(sys.argv[2])

class Elements(HTMLParser):
    """Every start tag with its attributes, and each <select>'s options."""
    def __init__(self):
        super().__init__()
        self.elements, self.options, self.select = [], {}, None
    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        if tag == "select":
            self.select = attrs.get("id")
            self.options[self.select] = []
        elif tag == "option" and self.select:
            self.options[self.select].append(attrs)
    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None

def parse(name):
    p = Elements()
    p.feed(open(os.path.join(work, name)).read())
    return p

def by_id(p, ident):
    found = [a for t, a in p.elements if a.get("id") == ident]
    assert found, f"no element #{ident}"
    return found[0]

def close(a, b, what):
    assert a is not None and b is not None and abs(float(a) - float(b)) <= 0.51, f"{what}: {a} != {b}"

def close_to_exact(histogram, exact, what):
    """A percentile the analyzer drew from its histogram (analysis/src/histogram.h) against the exact one of
    the same values: within 0.4 % (half a bucket), plus the JSON's 0.1 ns rounding."""
    assert abs(float(histogram) - float(exact)) <= 0.004 * abs(float(exact)) + 0.051, \
        f"{what}: {histogram}, exact {exact} (off by more than 0.4 %)"

off = json.load(open(os.path.join(work, "report-off.json")))
on = json.load(open(os.path.join(work, "report-on.json")))
compare = json.load(open(os.path.join(work, "compare.json")))
for name, doc, schema in (("off", off, "vqscope-report"), ("on", on, "vqscope-report"),
                          ("compare", compare, "vqscope-compare")):
    assert (doc.get("format"), doc.get("version")) == (schema, 1), f"{name}: schema {doc.get('format')} {doc.get('version')}"
stages = [s for s in on["stages"] if s != "total"]
dom = parse("dom.html")
body = [a for t, a in dom.elements if t == "body"][0]
assert body.get("data-ready") == "ok", f"the page did not finish drawing: data-ready={body.get('data-ready')}"
# Session labels in input order (off, on): "ioeventfd off" / "ioeventfd on" for the sessions of 61/62.
labels = list(json.loads(by_id(dom, "stage-bars")["data-series"]))
assert len(labels) == 2, f"session labels {labels}"
reports = dict(zip(labels, (off, on)))

# The session table: the TSC cross-check of each session's alignment, as the analyzer computed it.
rows = {a["data-session"]: a for t, a in dom.elements if t == "tr" and "data-session" in a}
assert set(rows) == set(reports), f"session rows {set(rows)}"
for label, r in reports.items():
    assert r["tsc_check"] is not None, f"{label}: a lab session without the TSC cross-check"
    assert int(rows[label].get("data-tsc-distance")) == r["tsc_check"]["distance_ns"], f"{label}: TSC cell"
    if r["tsc_check"]["offset_from_midpoint_ns"] is not None:
        assert int(rows[label].get("data-tsc-from-midpoint")) == r["tsc_check"]["offset_from_midpoint_ns"], \
            f"{label}: TSC offset from the midpoint"

# Stacked stage bars: the analyzer's medians, one segment per stage per session.
bars = json.loads(by_id(dom, "stage-bars")["data-series"])
assert set(bars) == set(reports), f"stage-bars sessions {set(bars)}"
for label, r in reports.items():
    for st in stages + ["total"]:
        close(bars[label][st], r["stages"][st]["p50"], f"stage-bars {label} {st}")
segs = [a for t, a in dom.elements if t == "rect" and a.get("class") == "seg"]
assert len(segs) == 2 * len(stages), f"{len(segs)} bar segments"
for a in segs:
    close(a["data-value"], reports[a["data-session"]]["stages"][a["data-stage"]]["p50"], "segment")
assert all(float(a["data-value"]) > 0 for a in segs), "a zero-width stage median"

# End to end: each layer's share of the mean total, one segment per layer per session, as the analyzer
# computed it (the dashboard computes none of its own).
layers = [a for t, a in dom.elements if t == "rect" and a.get("data-layer")]
for label, r in reports.items():
    assert r["coverage"] and r["coverage"]["matched"] > 0, f"{label}: no end-to-end coverage"
    mine = {a["data-layer"]: float(a["data-share"]) for a in layers if a["data-session"] == label}
    want = {k: v["share_of_mean"] for k, v in r["coverage"]["shares"].items() if v["share_of_mean"] is not None}
    assert mine.keys() == want.keys() and all(abs(mine[k] - want[k]) < 1e-9 for k in want), \
        f"{label}: layer shares drawn {mine}, analyzer {want}"

# Compare: shifts and intervals of vqscope-analyze compare.
ci = json.loads(by_id(dom, "compare-ci")["data-series"])
assert ci == compare["stages"], "compare-ci data differ from compare.json"
rows = [a for t, a in dom.elements if a.get("class") == "ci-row"]
assert len(rows) == len(compare["stages"]), f"{len(rows)} compare rows"
for a in rows:
    d = compare["stages"][a["data-stage"]]
    for key in ("shift", "ci_low", "ci_high"):
        close(a["data-" + key.replace("_", "-")], d[key], f"compare {a['data-stage']} {key}")
    assert a["data-significant"] == str(d["significant"]).lower()

# CDFs: one per stage, one line per session: the analyzer's points, count and median.
lines = {(a["data-session"], a["data-stage"]): a for t, a in dom.elements
         if t == "path" and a.get("class") == "cdf-line"}
assert len(lines) == sum(1 for r in reports.values() for st in r["cdf"]["stages"] if r["cdf"]["stages"][st]), \
    f"{len(lines)} CDF lines"
for st in stages + ["total"]:
    svg = by_id(dom, "cdf-" + st.replace(">", "-"))
    series = json.loads(svg["data-series"])
    for label, r in reports.items():
        n, p50, points = r["stages"][st]["count"], r["stages"][st]["p50"], r["cdf"]["stages"][st]
        assert series[label]["count"] == n, f"cdf {st} {label} count"
        close(series[label]["p50"], p50, f"cdf {st} {label} p50")
        if not points:
            continue   # no request has this stage (TCG: no KVM exit): no line
        line = lines[(label, st)]
        assert int(line["data-points"]) == len(points) == line["d"].count("L") + 1, f"cdf {st} {label}: points drawn"
        assert min(n, 50) <= len(points) <= r["cdf"]["max_points"], f"cdf {st} {label}: {len(points)} points"
        # the analyzer's points agree with its median: below it up to half the requests, above it after
        # (the points are exact values, the median comes from the stage's histogram: within 0.4 %)
        values, fractions = [v for v, f in points], [f for v, f in points]
        assert values == sorted(values) and fractions == sorted(set(fractions)) and fractions[-1] == 1.0, \
            f"cdf {st} {label}: not a CDF"
        slack = 0.004 * abs(p50) + 0.05
        assert all(v <= p50 + slack for v, f in points if f < 0.5) and \
            all(v >= p50 - slack for v, f in points if f > 0.5 + 1.0 / n), \
            f"cdf {st} {label}: points on the wrong side of p50 {p50}"

# Kicks: requests served per notified kick and the kick -> begin histogram, as the analyzer counted them;
# every stitched request is served by one notified kick.
per_kick = json.loads(by_id(dom, "kick-requests")["data-series"])
kick_begin = json.loads(by_id(dom, "kick-begin")["data-series"])
edges = json.loads(by_id(dom, "kick-begin")["data-edges"])
bars, svg = {}, None   # {(chart, session): {category: value}}; the charts' <svg>s do not nest
for t, a in dom.elements:
    if t == "svg":
        svg = a.get("id")
    elif t == "rect" and a.get("data-category") is not None:
        bars.setdefault((svg, a["data-session"]), {})[a["data-category"]] = float(a["data-value"])
for label, r in reports.items():
    spk = r["kicks"]["served_per_kick"]
    assert per_kick[label] == {str(b["requests"]): b["kicks"] for b in spk["by_requests"]}, f"{label}: per kick"
    served = sum(int(n) * c for n, c in per_kick[label].items())
    assert served + spk["requests_without_kick"] == r["requests"]["stitched"], f"{label}: kicks serve {served} requests"
    drawn = bars[("kick-requests", label)]
    assert all(abs(drawn[str(b["requests"])] - b["fraction"]) < 1e-9 for b in spk["by_requests"]), \
        f"{label}: per-kick bars {drawn}"
    kb, want, hist = kick_begin[label], r["kicks"]["kick_to_begin_ns"], r["kicks"]["kick_to_begin_histogram"]
    assert kb["count"] == want["count"] == sum(hist["counts"]) + hist["below"] + hist["above"], \
        f"{label} kick->begin count {kb['count']}"
    close(kb["p50"], want["p50"], f"{label} kick->begin p50")
    first = hist["edges_ns"].index(edges[0])
    assert kb["counts"] == hist["counts"][first:first + len(kb["counts"])] and sum(kb["counts"]) == sum(hist["counts"]), \
        f"{label}: kick->begin bins drawn {kb['counts']}"
    assert list(bars[("kick-begin", label)].values()) == [float(c) for c in kb["counts"]], f"{label}: kick->begin bars"
    # The analyzer's kick -> begin against its own rows (under KVM): one per notified kick with the whole
    # notify path, kick>exit + exit>signal + signal>handler + handler>begin.
    if r["mode"] != "tcg":
        notify_path = ("kick>exit", "exit>signal", "signal>handler", "handler>begin")
        sums = sorted(sum(row[s] for s in notify_path) for row in r["rows"] if all(s in row for s in notify_path))
        assert len(sums) == want["count"], f"{label}: {len(sums)} rows with the notify path, kick->begin {want['count']}"
        middle = (len(sums) - 1) / 2
        close_to_exact(want["p50"], (sums[math.floor(middle)] + sums[math.ceil(middle)]) / 2,
                       f"{label} kick->begin p50 of the rows")
assert sum(len(v) for v in bars.values()) > 4, "kick bars"

# Exits per request by reason, and of every reason.
exits = json.loads(by_id(dom, "exits")["data-series"])
totals = {a["data-session"]: float(a["data-value"]) for t, a in dom.elements if a.get("class") == "exits-total"}
for label, r in reports.items():
    assert exits[label] == {e["reason"]: e["per_request"] for e in r["exits"]}, f"exits of {label}"
    assert totals[label] == r["exits_per_request"], f"{label}: exits per request {totals[label]}"
    assert abs(r["exits_per_request"] - sum(e["per_request"] for e in r["exits"])) <= 0.05 * len(r["exits"]) + 0.1, \
        f"{label}: exits per request {r['exits_per_request']} against its reasons"
drawn = [a for t, a in dom.elements if a.get("data-reason")]
want = {(l, e["reason"]) for l, r in reports.items() for e in r["exits"]}
assert drawn and all((a["data-session"], a["data-reason"]) in want for a in drawn), "exit bars"
assert any(float(a["data-value"]) > 0 for a in drawn), "no exits drawn"

# The cost side: the analyzer's per-request figures (its report's "cost"), drawn as it computed them; those
# figures against its own rows and exit table; the compare's shift of the notify exit with its interval.
classes = ("vcpu", "main_loop", "iothread", "other")
notify = json.loads(by_id(dom, "cost-notify")["data-series"])
cost_exits = json.loads(by_id(dom, "cost-exits")["data-series"])
cpu = json.loads(by_id(dom, "cost-cpu")["data-series"])
cost_bars = [a for t, a in dom.elements if t == "rect" and a.get("class") == "cost-bar"]
cpu_rects = [a for t, a in dom.elements if t == "rect" and a.get("class") == "cost-cpu"]
cells = [a for t, a in dom.elements if t == "td" and a.get("class") == "cost-value"]
for label, r in reports.items():
    c = r["cost"]
    assert c is not None and c["classes_from"] == "kvm", f"{label}: a lab session without cost figures"
    want_notify = {"notify_exit_p50": c["notify_exit_ns"]["p50"], "notify_exit_time_ns": c["notify_exits"]["per_request_ns"]}
    want_exits = {"exits": c["exits"]["per_request"], "userspace_exits": c["exits"]["userspace_per_request"],
                  "wakeups": c["threads"]["all"]["wakeups_per_request"]}
    want_cpu = {k: c["threads"][k]["cpu_per_request_ns"] for k in classes}
    assert notify[label] == want_notify, f"{label}: cost-notify {notify[label]}, analyzer {want_notify}"
    assert cost_exits[label] == want_exits, f"{label}: cost-exits {cost_exits[label]}, analyzer {want_exits}"
    assert cpu[label] == want_cpu, f"{label}: cost-cpu {cpu[label]}, analyzer {want_cpu}"
    mine = {a["data-figure"]: float(a["data-value"]) for a in cost_bars if a["data-session"] == label}
    assert mine == {**want_notify, **want_exits}, f"{label}: cost bars {mine}"
    mine = {a["data-class"]: float(a["data-value"]) for a in cpu_rects if a["data-session"] == label}
    assert mine == want_cpu, f"{label}: CPU segments {mine}"
    table = {a["data-figure"]: a["data-value"] for a in cells if a["data-session"] == label}
    for key, value in {**want_notify, **want_exits, "cpu_ns": c["threads"]["all"]["cpu_per_request_ns"]}.items():
        close(table[key], value, f"{label}: cost table {key}")
    # against the analyzer's own rows: one notify exit per kick whose rows have it, their median per request
    ne = sorted(row["notify_exit_ns"] for row in r["rows"] if "notify_exit_ns" in row)
    assert ne and len(ne) == c["notify_exit_ns"]["count"], f"{label}: {len(ne)} rows with a notify exit"
    close((ne[(len(ne) - 1) // 2] + ne[len(ne) // 2]) / 2, c["notify_exit_ns"]["p50"], f"{label}: notify exit p50 of the rows")
    kicks = {row["kick_id"] for row in r["rows"] if "notify_exit_ns" in row}
    assert c["notify_exits"]["count"] == len(kicks), f"{label}: {c['notify_exits']['count']} notify exits, {len(kicks)} kicks"
    # the exit table's window, the classes adding up, no thread on more than one CPU at a time
    assert c["exits"]["count"] == sum(e["in_window"] for e in r["exits"]), f"{label}: exits in the window"
    assert c["threads"]["all"]["cpu_ns"] == sum(c["threads"][k]["cpu_ns"] for k in classes), f"{label}: CPU classes"
    # (the main loop counts only when it ran or was woken in the window: with ioeventfd off the vCPU thread
    # serves the doorbell and the main loop can sleep through a whole workload: CI, 2026-12-02)
    assert c["threads"]["vcpu"]["threads"] >= 1 and c["threads"]["main_loop"]["threads"] <= 1, f"{label}: thread classes"
    assert all(c["threads"][k]["cpu_share"] <= c["threads"][k]["threads"] + 1e-3 for k in classes), f"{label}: CPU share"
    if r["ioeventfd"] == "off":
        # QEMU's vCPU thread serves the doorbell write: every notify exit goes on to user space
        assert c["exits"]["userspace"] >= c["notify_exits"]["count"], f"{label}: notify exits not to user space"
        assert c["exits"]["userspace_time_ns"] >= c["notify_exits"]["total_ns"], f"{label}: user space time"
d = compare["cost"]["notify_exit_ns"]
assert json.loads(by_id(dom, "cost-notify-shift")["data-series"]) == d, "cost-notify-shift data differ from compare.json"
shift = [a for t, a in dom.elements if t == "g" and a.get("class") == "cost-shift"]
assert len(shift) == 1 and d["bootstrap"] == "block", "the notify exit's shift"
for key in ("shift", "ci_low", "ci_high"):
    close(shift[0]["data-" + key.replace("_", "-")], d[key], f"notify exit {key}")
assert shift[0]["data-significant"] == str(d["significant"]).lower() and d["ci_low"] <= d["shift"] <= d["ci_high"]
shifts = {a["data-figure"]: a["data-shift"] for t, a in dom.elements if t == "td" and a.get("class") == "cost-shift"}
close(shifts["notify_exit_time_ns"], compare["cost"]["per_request"]["notify_exit_time_ns"]["shift"], "cost shift")
close(shifts["cpu_ns"], compare["cost"]["per_request"]["cpu_ns"]["all"]["shift"], "CPU shift")
# Their intervals: the compare's where it gives one (A/B blocks), none ("null") for two sessions' requests.
cis = {a["data-figure"]: a for t, a in dom.elements if t == "td" and a.get("class") == "cost-shift"}
for key, d in (("notify_exit_time_ns", compare["cost"]["per_request"]["notify_exit_time_ns"]),
               ("cpu_ns", compare["cost"]["per_request"]["cpu_ns"]["all"])):
    for end in ("ci_low", "ci_high"):
        want, shown = d.get(end), cis[key]["data-" + end.replace("_", "-")]
        assert shown == "null" if want is None else float(shown) == want, f"cost table {key} {end}: {shown}, {want}"

# Latency beside cost (the A/B panel; tests/lib/check_dashboard_ab.py checks it on an A/B session): two
# sessions, so the intervals resampled requests, which the page says; no A/A control was given.
note = by_id(dom, "ab-note")
assert note.get("data-interval") == compare.get("interval", "null") == "requests", f"ab-note: {note.get('data-interval')}"
assert by_id(dom, "compare-note").get("data-interval") == "requests", "compare-note: how the intervals were made"
assert by_id(dom, "ab-control").get("data-absent"), "a control panel without --control"
total = [a for t, a in dom.elements if t == "g" and a.get("class") == "ab-ci-row" and a.get("data-figure") == "total"]
assert [a["data-compare"] for a in total] == ["ab"], f"ab-latency rows {total}"
for key in ("shift", "ci_low", "ci_high"):
    close(total[0]["data-" + key.replace("_", "-")], compare["stages"]["total"][key], f"ab-latency {key}")
ab_cells = {(a["data-figure"], a.get("data-class"), a["data-side"]): a["data-value"] for t, a in dom.elements
            if t == "td" and a.get("class") == "ab-value"}
for side, r in (("a", off), ("b", on)):
    for key in ("fio_iops", "fio_mean_ns"):
        want, shown = (r["coverage"] or {}).get(key), ab_cells[(key, None, side)]
        assert shown == "null" if want is None else float(shown) == want, f"A/B {key} {side}: {shown}, analyzer {want}"
    assert float(ab_cells[("cpu_ns", "all", side)]) == r["cost"]["threads"]["all"]["cpu_per_request_ns"], f"A/B CPU {side}"

# Timeline of the chosen (batched) request.
tl = by_id(dom, "timeline")
row = next(x for x in on["rows"] if x["id"] == request)
assert int(tl["data-request"]) == request and tl["data-session"] == labels[1], "timeline request"
assert int(tl["data-total"]) == row["total"]
spans = [a for t, a in dom.elements if t == "rect" and a.get("class") == "span"]
present = sum(row[s] for s in stages if s in row)
assert int(spans[0]["data-start"]) == 0, "the timeline does not start at the submit"
assert int(spans[-1]["data-start"]) + int(spans[-1]["data-value"]) == row["total"], "nor end at the completion"
gap = [int(a["data-value"]) for a in spans if a["data-stage"] == "unattributed"]
assert gap == ([row["total"] - present] if present < row["total"] and row["batched"] | row["harvested"] else []), \
    f"unattributed span {gap}, total {row['total']}, stages {present}"
assert int(tl["data-overlap"]) == max(0, present - row["total"]), "overlap"
for a in spans:
    if a["data-stage"] != "unattributed":
        assert int(a["data-value"]) == row[a["data-stage"]], f"timeline {a['data-stage']}"
assert [a["data-stage"] for a in spans if a["data-stage"] != "unattributed"] == \
       [s for s in stages if s in row], "timeline stages"
assert len(dom.options["request-select"]) == len(on["rows"]), "request select box"
assert len(dom.options["session-select"]) == 2

# One session: everything but the compare.
one = parse("dom-one.html")
assert [a for t, a in one.elements if t == "body"][0].get("data-ready") == "ok", "one-session page"
assert by_id(one, "compare-ci").get("data-absent"), "one-session page: compare not marked absent"
assert by_id(one, "cost-notify-shift").get("data-absent"), "one-session page: cost shift not marked absent"
assert by_id(one, "ab-panel").get("data-absent") and by_id(one, "ab-latency").get("data-absent"), \
    "one-session page: the A/B panel not marked absent"
assert json.loads(by_id(one, "cost-cpu")["data-series"]) == {"ioeventfd on": {k: on["cost"]["threads"][k]["cpu_per_request_ns"] for k in classes}}
assert set(json.loads(by_id(one, "stage-bars")["data-series"])) == {"ioeventfd on"}

# A session recorded below --level full: its cost measured, its host CPU not recorded, and the page says
# so rather than drawing a zero.
plain = json.load(open(os.path.join(work, "report-default.json")))
assert plain["level"] == "default" and plain["cost"] and plain["cost"]["threads"]["all"]["cpu_per_request_ns"] is None, \
    f"report-default.json: level {plain['level']}, cost {plain['cost'] and plain['cost']['threads']['all']}"
page = parse("dom-default.html")
assert [a for t, a in page.elements if t == "body"][0].get("data-ready") == "ok", "default-level page"
assert "no scheduler events" in (by_id(page, "cost-cpu").get("data-absent") or ""), \
    f"default-level page: CPU not marked not recorded ({by_id(page, 'cost-cpu')})"
assert not [a for t, a in page.elements if a.get("class") in ("cost-cpu", "cost-cpu-total")], \
    "default-level page: CPU drawn without scheduler events"

# Both levels on one page: the full session's CPU per class as the analyzer has it, the default-level
# one's row says "not recorded" and has no bar (a zero would read as "no CPU spent").
page = parse("dom-mixed.html")
assert [a for t, a in page.elements if t == "body"][0].get("data-ready") == "ok", "mixed-level page"
labels = list(json.loads(by_id(page, "stage-bars")["data-series"]))
assert len(labels) == 2, f"mixed-level page: sessions {labels}"
plain_label, on_label = labels
mixed = json.loads(by_id(page, "cost-cpu")["data-series"])
assert mixed[on_label] == {k: on["cost"]["threads"][k]["cpu_per_request_ns"] for k in classes if on["cost"]["threads"].get(k)}, \
    f"mixed-level page: {on_label} CPU {mixed[on_label]}"
assert all(v is None for v in (mixed[plain_label] or {}).values()), f"mixed-level page: {plain_label} CPU {mixed[plain_label]}"
assert not by_id(page, "cost-cpu").get("data-absent"), "mixed-level page: the whole CPU chart marked absent"
drawn_cpu = {a["data-session"] for t, a in page.elements if t == "rect" and a.get("class") == "cost-cpu"}
assert drawn_cpu == {on_label}, f"mixed-level page: CPU bars for {drawn_cpu}"
marked = [a["data-session"] for t, a in page.elements if a.get("class") == "cost-cpu-absent"]
assert marked == [plain_label], f"mixed-level page: 'not recorded' on {marked}"
print(f"ok: {len(segs)} bar segments, {len(rows)} compare rows, {len(lines)} CDF lines, "
      f"{len(drawn)} exit bars, {len(cost_bars)} cost bars, {len(cpu_rects)} CPU segments, "
      f"timeline of request {request} ({len(spans)} spans, batched={row['batched']})")
