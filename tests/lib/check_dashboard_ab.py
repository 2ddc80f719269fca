#!/usr/bin/env python3
"""The rendered dashboard's A/B panel and A/A control against the analyzer's JSON (test 82).

    check_dashboard_ab.py WORK [--dom FILE] [--expect-cost] [--control-contains-zero]

WORK holds report-A.json, report-B.json (`vqscope-analyze report S@A` / `S@B`), compare.json (`compare S@A
S@B`), control.json (the A/A control's compare) and dom.html (Chromium's --dump-dom of the page built from
them; --dom names another). Passes if the page shows, from the DOM's data-* attributes and its text:
the disks' labels ("disk A, ioeventfd off"); how the intervals were made; the A/A control panel, marked,
with the control's total and notify-exit shifts, intervals and whether they contain 0 (the analyzer's
"significant" negated; none without an interval); the A/B panel's A, B, shift, interval and control
columns of every cost figure, equal to the compare's; fio's IOPS and mean per side equal to the
reports'. A value the JSON does not have (a key of a newer analyzer, or null: not measured) must show
as '-'. --expect-cost: the cost figures must be there (a KVM session). --control-contains-zero: the
control's total and notify-exit intervals must contain 0 (a degenerate control, a disk against itself).
Fails with an AssertionError naming the first difference.
"""
import argparse
import json
import os
import re
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
CLASSES = ("vcpu", "main_loop", "iothread", "other", "all")


class Dom(HTMLParser):
    """Every element: (tag, attributes, its text content), in document order."""
    def __init__(self):
        super().__init__()
        self.elements, self.stack = [], []

    def handle_starttag(self, tag, attrs):
        element = [tag, dict(attrs), []]
        self.elements.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        self.elements.append([tag, dict(attrs), []])

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        for element in self.stack:
            element[2].append(data)

    def find(self, tag=None, cls=None, **attrs):
        """Elements with TAG, the class CLS among their classes, and data-* ATTRS (underscores: dashes)."""
        out = []
        for t, a, text in self.elements:
            if tag and t != tag or cls and cls not in a.get("class", "").split():
                continue
            if all(a.get("data-" + k.replace("_", "-")) == v for k, v in attrs.items()):
                out.append((a, "".join(text).strip()))
        return out

    def by_id(self, ident):
        found = [(a, "".join(text).strip()) for t, a, text in self.elements if a.get("id") == ident]
        assert len(found) == 1, f"{len(found)} elements #{ident}"
        return found[0]

    def one(self, tag=None, cls=None, **attrs):
        found = self.find(tag, cls, **attrs)
        assert len(found) == 1, f"{len(found)} <{tag or '*'} class={cls} {attrs}> elements, expected 1"
        return found[0]


def at(document, *keys):
    """document[k1][k2]...; None where a key is missing or a level is null."""
    for key in keys:
        if not isinstance(document, dict):
            return None
        document = document.get(key)
    return document


def attr(value):
    """How the page writes VALUE into an attribute (JavaScript's String()): null, true, false, numbers."""
    return "null" if value is None else "true" if value is True else "false" if value is False else value


def same(shown, value, what):
    """An attribute holds VALUE exactly (numbers parse to the same double)."""
    if value is None or isinstance(value, bool):
        assert shown == attr(value), f"{what}: the page has {shown}, the JSON {json.dumps(value)}"
    else:
        assert shown not in (None, "null") and float(shown) == float(value), \
            f"{what}: the page has {shown}, the JSON {value}"


# the rounding of what the page prints: us with one decimal, counts with three, IOPS with one
HALF_STEP = {"ns": 50.0001, "count": 0.0005001, "iops": 0.05001}
SCALE = {"ns": 1000.0, "count": 1.0, "iops": 1.0}


def shows(text, value, unit, what):
    """TEXT is VALUE as the page prints it: '-' for none, else the number rounded."""
    if value is None:
        assert text == "-", f"{what}: shows {text!r} for a value the JSON does not have"
        return
    assert text != "-" and abs(float(text) * SCALE[unit] - value) <= HALF_STEP[unit], \
        f"{what}: shows {text!r}, the JSON {value}"


def shows_interval(text, low, high, unit, what):
    if low is None or high is None:
        assert text == "-", f"{what}: shows {text!r} without an interval in the JSON"
        return
    match = re.fullmatch(r"\[(\S+), (\S+)\]", text)
    assert match, f"{what}: shows {text!r}, not [low, high]"
    shows(match.group(1), low, unit, what + " low")
    shows(match.group(2), high, unit, what + " high")


def contains_zero(shift):
    """Whether an interval contains 0, as the analyzer says it (its "significant": the interval excludes
    0); None without an interval or without the analyzer's word."""
    if at(shift, "ci_low") is None or at(shift, "ci_high") is None or not isinstance(at(shift, "significant"), bool):
        return None
    return not shift["significant"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("work")
    parser.add_argument("--dom", default="dom.html")
    parser.add_argument("--expect-cost", action="store_true")
    parser.add_argument("--control-contains-zero", action="store_true")
    args = parser.parse_args()
    load = lambda name: json.load(open(os.path.join(args.work, name)))
    reports = {"a": load("report-A.json"), "b": load("report-B.json")}
    compare, control = load("compare.json"), load("control.json")
    for name, doc, schema in (("report-A", reports["a"], "vqscope-report"),
                              ("report-B", reports["b"], "vqscope-report"),
                              ("compare", compare, "vqscope-compare"), ("control", control, "vqscope-compare")):
        assert (doc.get("format"), doc.get("version")) == (schema, 1), \
            f"{name}: schema {doc.get('format')} {doc.get('version')}"
    assert [reports["a"].get("part"), reports["b"].get("part")] == ["A", "B"], "the reports are not disks A and B"
    assert (compare["a"], compare["b"]) == (reports["a"]["session"], reports["b"]["session"]), \
        f"compare.json compares {compare['a']} with {compare['b']}, not the reports' disks"
    if args.expect_cost:
        assert at(compare, "cost", "notify_exit_ns", "median_a") is not None and \
            at(compare, "cost", "per_request", "cpu_ns", "all", "a") is not None, \
            "no cost figures in compare.json (not a KVM session with host probes?)"
    dom = Dom()
    dom.feed(open(os.path.join(args.work, args.dom)).read())
    body = dom.one("body")[0]
    assert body.get("data-ready") == "ok", f"the page did not finish drawing: data-ready={body.get('data-ready')}"

    # The disks' labels, in input order (A, B), as the page names them everywhere.
    labels = {side: f"disk {r['part']}, ioeventfd {r['ioeventfd']}" for side, r in reports.items()}
    drawn = list(json.loads(dom.by_id("stage-bars")[0]["data-series"]))
    assert drawn == [labels["a"], labels["b"]], f"session labels {drawn}, expected {list(labels.values())}"
    assert (compare["ioeventfd_a"], compare["ioeventfd_b"]) == (reports["a"]["ioeventfd"], reports["b"]["ioeventfd"])

    # How the intervals were made: the compare panel's note and the A/B panel's say it.
    interval = compare.get("interval")
    for ident in ("ab-note", "compare-note"):
        note, text = dom.by_id(ident)
        assert note.get("data-interval") == attr(interval), f"#{ident}: data-interval {note.get('data-interval')}"
        want = "resample the blocks of one boot" if interval == "blocks" else "resample requests"
        assert want in text, f"#{ident} does not say how the intervals were made ({want!r}): {text!r}"
        if interval == "blocks":
            assert f"A {compare['blocks_a']} blocks, B {compare['blocks_b']}" in text, f"#{ident}: the blocks"

    # The A/A control: present, marked, its shifts beside the A/B ones.
    box = dom.by_id("ab-control")[0]
    assert "data-absent" not in box, f"no A/A control panel: {box.get('data-absent')}"
    aa = control["ioeventfd_a"] == control["ioeventfd_b"]
    title = f"A/A control: both disks ioeventfd {control['ioeventfd_a']}" if aa else None
    assert aa and box.get("data-control") == title and box.get("data-aa") == "true", \
        f"the control is not marked as an A/A control: {box.get('data-control')}"
    assert dom.one("h3", "control-mark")[1] == title, "the control panel's heading"
    assert (box["data-session-a"], box["data-session-b"]) == (control["a"], control["b"]), "the control's sessions"
    assert (box["data-ioeventfd-a"], box["data-ioeventfd-b"]) == (control["ioeventfd_a"], control["ioeventfd_b"])
    assert box["data-interval"] == attr(control.get("interval")), "the control's interval"
    headline = {"total": ("stages", "total"), "notify_exit_p50": ("cost", "notify_exit_ns")}
    for figure, path in headline.items():
        mine, theirs = at(compare, *path), at(control, *path)
        what = f"control row {figure}"
        a, text = dom.one("td", "control-ab-shift", figure=figure)
        same(a["data-value"], at(mine, "shift"), what + " A/B shift"); shows(text, at(mine, "shift"), "ns", what)
        a, text = dom.one("td", "control-ab-ci", figure=figure)
        same(a["data-ci-low"], at(mine, "ci_low"), what + " A/B ci_low")
        same(a["data-ci-high"], at(mine, "ci_high"), what + " A/B ci_high")
        shows_interval(text, at(mine, "ci_low"), at(mine, "ci_high"), "ns", what + " A/B interval")
        a, text = dom.one("td", "control-shift", figure=figure)
        same(a["data-value"], at(theirs, "shift"), what + " shift"); shows(text, at(theirs, "shift"), "ns", what)
        a, text = dom.one("td", "control-ci", figure=figure)
        same(a["data-ci-low"], at(theirs, "ci_low"), what + " ci_low")
        same(a["data-ci-high"], at(theirs, "ci_high"), what + " ci_high")
        shows_interval(text, at(theirs, "ci_low"), at(theirs, "ci_high"), "ns", what + " interval")
        a, text = dom.one("td", "control-zero", figure=figure)
        zero = contains_zero(theirs)
        same(a["data-contains-zero"], zero, what + " contains 0")
        assert text == {True: "yes", False: "no", None: "-"}[zero], f"{what}: contains 0 shows {text!r}"
        if args.control_contains_zero and (figure == "total" or args.expect_cost):
            assert zero is True and text == "yes", f"{what}: the degenerate control's interval does not contain 0"
        # the charts: the A/B shift and the control's under it
        svg = dom.by_id("ab-latency" if figure == "total" else "ab-notify")[0]
        series = json.loads(svg["data-series"])
        for kind, doc in (("ab", mine), ("control", theirs)):
            for key in ("shift", "ci_low", "ci_high"):
                assert series[kind][key] == at(doc, key), f"{svg['id']} {kind} {key}: {series[kind][key]}"
            assert series[kind]["contains_zero"] == contains_zero(doc), f"{svg['id']} {kind} contains 0"
        rows = dom.find("g", "ab-ci-row", figure=figure)
        if at(mine, "shift") is None:
            assert svg.get("data-absent") and not rows, f"{svg['id']}: no shift, not marked absent"
            continue
        assert [r["data-compare"] for r, _ in rows] == ["ab", "control"], f"{svg['id']}: rows {rows}"
        for (r, _), doc in zip(rows, (mine, theirs)):
            for key in ("shift", "ci_low", "ci_high", "significant"):
                same(r["data-" + key.replace("_", "-")], at(doc, key), f"{svg['id']} {r['data-compare']} {key}")
            same(r["data-contains-zero"], contains_zero(doc), f"{svg['id']} {r['data-compare']} contains 0")

    # The A/B table: every figure's A, B, shift, interval, and the control's shift and interval.
    expected = [("total", None, "ns", ("stages", "total"), ("median_a", "median_b")),
                ("notify_exit_p50", None, "ns", ("cost", "notify_exit_ns"), ("median_a", "median_b")),
                ("notify_exit_time_ns", None, "ns", ("cost", "per_request", "notify_exit_time_ns"), ("a", "b"))] + \
               [("cpu_ns", cls, "ns", ("cost", "per_request", "cpu_ns", cls), ("a", "b")) for cls in CLASSES] + \
               [("exits", None, "count", ("cost", "per_request", "exits"), ("a", "b")),
                ("userspace_exits", None, "count", ("cost", "per_request", "userspace_exits"), ("a", "b")),
                ("wakeups", "all", "count", ("cost", "per_request", "wakeups", "all"), ("a", "b")),
                ("fio_iops", None, "iops", None, ("coverage", "fio_iops")),
                ("fio_mean_ns", None, "ns", None, ("coverage", "fio_mean_ns"))]
    rows = dom.find("tr", "ab-row")
    assert [(a["data-figure"], a.get("data-class")) for a, _ in rows] == [(f, c) for f, c, *_ in expected], \
        f"A/B table rows {[(a['data-figure'], a.get('data-class')) for a, _ in rows]}"
    shown = 0
    for figure, cls, unit, path, sides in expected:
        what = f"A/B table {figure}" + (f" {cls}" if cls else "")
        keys = {"figure": figure} if cls is None else {"figure": figure, "class": cls}
        cells = {c: [x for x in dom.find("td", c, **keys) if cls is not None or "data-class" not in x[0]]
                 for c in ("ab-value", "ab-shift", "ab-ci", "ab-control-shift", "ab-control-ci")}
        if path is None:   # fio's own figures, from each disk's report; no shift
            values = {side: at(reports[side], *sides) for side in ("a", "b")}
            shift, control_shift = None, None
        else:
            shift, control_shift = at(compare, *path), at(control, *path)
            values = {"a": at(shift, sides[0]), "b": at(shift, sides[1])}
        assert [a["data-side"] for a, _ in cells["ab-value"]] == ["a", "b"], f"{what}: value cells"
        for a, text in cells["ab-value"]:
            side = a["data-side"]
            assert a["data-session"] == labels[side], f"{what} {side}: data-session {a['data-session']}"
            same(a["data-value"], values[side], f"{what} {side}")
            shows(text, values[side], unit, f"{what} {side}")
            shown += values[side] is not None
        (a, text), = cells["ab-shift"]
        same(a["data-value"], at(shift, "shift"), what + " shift")
        shows(text, at(shift, "shift"), unit, what + " shift")
        (a, text), = cells["ab-ci"]
        same(a["data-ci-low"], at(shift, "ci_low"), what + " ci_low")
        same(a["data-ci-high"], at(shift, "ci_high"), what + " ci_high")
        shows_interval(text, at(shift, "ci_low"), at(shift, "ci_high"), unit, what + " interval")
        if interval == "requests" and figure not in headline:
            assert at(shift, "ci_low") is None, f"{what}: an interval though the compare resampled requests"
        (a, text), = cells["ab-control-shift"]
        same(a["data-value"], at(control_shift, "shift"), what + " control shift")
        shows(text, at(control_shift, "shift"), unit, what + " control shift")
        (a, text), = cells["ab-control-ci"]
        same(a["data-ci-low"], at(control_shift, "ci_low"), what + " control ci_low")
        same(a["data-ci-high"], at(control_shift, "ci_high"), what + " control ci_high")
        same(a["data-contains-zero"], contains_zero(control_shift), what + " control contains 0")
        shows_interval(text, at(control_shift, "ci_low"), at(control_shift, "ci_high"), unit,
                       what + " control interval")
        if args.expect_cost and figure != "fio_iops" and figure != "fio_mean_ns":
            assert None not in values.values(), f"{what}: not measured in a KVM session"

    # The cost table's shift column: the compare's shift with its interval when the compare gives one.
    cost = compare.get("cost")
    if cost and any(r.get("cost") for r in reports.values()):
        paths = {"notify_exit_p50": ("notify_exit_ns",), "wakeups": ("per_request", "wakeups", "all"),
                 "cpu_ns": ("per_request", "cpu_ns", "all"),
                 **{k: ("per_request", k) for k in ("notify_exit_time_ns", "exits", "userspace_exits", "exit_time_ns",
                                                    "userspace_exit_time_ns")},
                 **{f"cpu_{k}": ("per_request", "cpu_ns", k) for k in CLASSES[:-1]}}
        cells = {a["data-figure"]: a for a, _ in dom.find("td", "cost-shift")}
        assert set(cells) == set(paths), f"cost table shifts {sorted(cells)}"
        for key, path in paths.items():
            for field in ("shift", "ci_low", "ci_high"):
                same(cells[key]["data-" + field.replace("_", "-")], at(cost, *path, field), f"cost table {key} {field}")

    fio = {side: (at(r, "coverage", "fio_iops"), at(r, "coverage", "fio_mean_ns")) for side, r in reports.items()}
    print(f"ok: labels {labels['a']!r} / {labels['b']!r}, interval {interval}, control {title!r} "
          f"(total contains 0: {contains_zero(control['stages']['total'])}), {len(rows)} A/B rows, "
          f"{shown} values shown, fio IOPS/mean A {fio['a']} B {fio['b']}")


if __name__ == "__main__":
    main()
