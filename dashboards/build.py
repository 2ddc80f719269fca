#!/usr/bin/env python3
"""Build vqscope's static HTML dashboard from the analyzer's JSON.

usage: dashboards/build.py INPUT [INPUT] [--compare COMPARE.json] [--control AA-COMPARE.json] [-o FILE]
                           [--title TEXT] [--kick-report FILE]

INPUT is a report written by `vqscope-analyze report SESSION --format json --requests` (its "rows" are the
per-request table), a session directory, or DIR@A / DIR@B (one disk of an A/B session, `vqscope record
--ab`); directories and disks are analysed with analysis/vqscope-analyze. With two inputs and no
--compare, the compare of the first (A) and the second (B) is run when both are directories or disks.
--control is the compare of an A/A control (`vqscope record --ab off,off`, its two disks compared):
drawn beside the A/B shifts, marked as the control. The page is one self-contained file: data, CSS and
the SVG-drawing script are inline; it loads nothing from the network. --kick-report also writes a
plain-text per-kick report.

Every number the page shows is the analyzer's (analysis/FORMAT.md): medians and counts, CDF points,
requests per kick, the kick -> begin histogram, exits per request, the end-to-end shares, the cost per
request (notify exit, CPU by thread class, exits, wakeups), the compare and its A/A control, fio's own
IOPS and mean. This script only picks them out of the JSON (and trims the histogram's empty bins); the
page's script only draws. Every chart carries its data in data-* attributes (data-series, data-session, data-stage,
data-value) so tests read what is drawn; see dashboards/README.md.
"""
import argparse
import html
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
ANALYZER = os.environ.get("VQSCOPE_ANALYZE", os.path.join(TOP, "analysis", "vqscope-analyze"))

# The schemas this page is drawn from (analysis/FORMAT.md): a newer version is drawn for what this one
# defines, with a warning; another format, or none (a report older than the versioned ones), is refused.
REPORT_SCHEMA = ("vqscope-report", 1)
COMPARE_SCHEMA = ("vqscope-compare", 1)
REPORT_KEYS = ("stages", "cdf", "rows", "kicks", "exits", "exits_per_request", "requests", "alignment")


def die(message):
    print(f"dashboards/build.py: error: {message}", file=sys.stderr)
    sys.exit(1)


def warn(message):
    print(f"dashboards/build.py: warning: {message}", file=sys.stderr)


def check_schema(where, document, schema, command):
    """WHERE: format: expected ..., found ... (exits); a newer version warns."""
    name, version = schema
    found = document.get("format") if isinstance(document, dict) else None
    if found != name:
        die(f"{where}: format: expected \"{name}\", found {json.dumps(found) if found is not None else 'none'}: "
            f"not the output of `{command}` (or one older than its versioned JSON: run it again)")
    found = document.get("version")
    if not isinstance(found, int) or isinstance(found, bool) or found < 1:
        die(f"{where}: version: expected {version}, found {json.dumps(found)}")
    if found > version:
        warn(f"{where}: version: expected {version} (the newest this page knows), found {found}: "
             f"drawing what version {version} defines")


def run_analyzer(args):
    try:
        out = subprocess.run([ANALYZER] + args, check=True, capture_output=True, text=True)
    except FileNotFoundError:
        die(f"{ANALYZER} not found (make -C analysis)")
    except subprocess.CalledProcessError as err:
        die(f"vqscope-analyze {' '.join(args)} exited {err.returncode}: {err.stderr.strip()}")
    return json.loads(out.stdout)


def split_part(name):
    """DIR@A / DIR@B -> (DIR, "A" / "B"); any other name -> (name, None). The analyzer's spelling of one
    disk of an A/B session (analysis/FORMAT.md, "session")."""
    if len(name) >= 3 and name[-2] == "@" and name[-1] in ("A", "B"):
        return name[:-2], name[-1]
    return name, None


def is_session(path):
    """A session directory or one disk of one (DIR@A): analysed here. As the analyzer reads its
    arguments, a directory of that very name wins over the disk."""
    directory, part = split_part(path)
    return os.path.isdir(path) or (part is not None and not os.path.exists(path) and os.path.isdir(directory))


def session_key(name):
    """A session's name as reports and compares spell it, normalised: (directory, disk or None)."""
    directory, part = split_part(name or "")
    return os.path.normpath(directory), part


def load_report(path):
    if is_session(path):
        report = run_analyzer(["report", path, "--format", "json", "--requests"])
        where = f"vqscope-analyze report {path}"
    else:
        try:
            with open(path) as f:
                report = json.load(f)
        except (OSError, ValueError) as err:
            die(f"{path}: {err}")
        where = path
    check_schema(where, report, REPORT_SCHEMA, "vqscope-analyze report --format json --requests")
    if "rows" not in report:
        die(f"{where}: no \"rows\": written without --requests (the request explorer draws each request): "
            f"run `vqscope-analyze report SESSION --format json --requests` again")
    for key in REPORT_KEYS:
        if key not in report:
            die(f"{where}: no \"{key}\": expected in a {REPORT_SCHEMA[0]} version {REPORT_SCHEMA[1]}")
    return report


def kick_bins(reports):
    """The kick -> begin bins where some session has a kick: (first, end) indexes, end excluded. Every
    report's bins are the analyzer's fixed ones, so the same index is the same bin in each."""
    histograms = [r["kicks"]["kick_to_begin_histogram"] for r in reports]
    if any(h["edges_ns"] != histograms[0]["edges_ns"] for h in histograms):
        die("the reports' kick -> begin histograms have different bins (analyzers of different versions?)")
    used = [i for i in range(len(histograms[0]["counts"])) if any(h["counts"][i] for h in histograms)]
    return (used[0], used[-1] + 1) if used else (0, 0)


def session_label(report, others):
    """"ioeventfd on", or for one disk of an A/B session "disk A, ioeventfd off"; when other sessions would
    have the same label, the shortest end of the session's path that tells it from them is added
    ("ioeventfd on (61-record-lab.d/session)"), and its place among the inputs if nothing does (the same
    session given twice). Labels key the page's series: two equal ones would merge two sessions."""
    part, ioeventfd = report.get("part"), report.get("ioeventfd", "?")
    label = f"disk {part}, ioeventfd {ioeventfd}" if part else f"ioeventfd {ioeventfd}"
    alike = [r for r in others if (r.get("part"), r.get("ioeventfd", "?")) == (part, ioeventfd)]
    if len(alike) < 2:
        return label
    paths = [session_key(r.get("session", "?"))[0].split(os.sep) for r in alike]
    mine = session_key(report.get("session", "?"))[0].split(os.sep)
    for k in range(1, len(mine) + 1):
        if sum(1 for p in paths if p[-k:] == mine[-k:]) == 1:
            return f"{label} ({os.sep.join(mine[-k:])})"
    place = next(i for i, r in enumerate(others) if r is report) + 1
    return f"{label} ({os.sep.join(mine[-1:])} #{place})"


def side_index(sessions, name, ioeventfd):
    """The session a compare names as one side: the same name (normalised), else the only session of the
    same disk and ioeventfd (the names spelled from another directory); None when none or several."""
    key = session_key(name)
    found = [i for i, s in enumerate(sessions) if session_key(s["session"]) == key]
    if len(found) != 1 and ioeventfd is not None:
        found = [i for i, s in enumerate(sessions) if s["part"] == key[1] and s["ioeventfd"] == ioeventfd]
    return found[0] if len(found) == 1 else None


def value_at(document, *keys):
    """document[k1][k2]...; None where a key is missing or a level is null (keys of a newer analyzer
    that this JSON predates read as null, as analysis/FORMAT.md's null: not measured)."""
    for key in keys:
        if not isinstance(document, dict):
            return None
        document = document.get(key)
    return document


def interval(shift):
    """A shift as the analyzer gave it: shift, ci_low, ci_high (null: no interval), significant (the
    interval excludes 0) and contains_zero, which is its negation, only where the analyzer said."""
    picked = {k: value_at(shift, k) for k in ("shift", "ci_low", "ci_high", "significant")}
    has_interval = picked["ci_low"] is not None and picked["ci_high"] is not None
    picked["contains_zero"] = (not picked["significant"]) if has_interval and isinstance(picked["significant"], bool) \
        else None
    return picked


CLASSES = ("vcpu", "main_loop", "iothread", "other")


# Where each per-request cost figure is in a report's "cost", by the keys the page names them with (and the
# compare's cost_shift_paths below).
COST_FIGURE_PATHS = {
    "notify_exit_p50": ("notify_exit_ns", "p50"), "notify_exit_time_ns": ("notify_exits", "per_request_ns"),
    "exits": ("exits", "per_request"), "userspace_exits": ("exits", "userspace_per_request"),
    "exit_time_ns": ("exits", "time_per_request_ns"),
    "userspace_exit_time_ns": ("exits", "userspace_time_per_request_ns"),
    "wakeups": ("threads", "all", "wakeups_per_request"), "cpu_ns": ("threads", "all", "cpu_per_request_ns"),
}


def cost_figures(cost):
    """A report's cost as the page draws it (None: not measured): the per-request figures by key (cpu_<class>
    for each class), the classes told apart (a class is absent when it is not: TCG, without KVM events)
    with their CPU, threads, CPU share and wakeups, and what told them apart."""
    if cost is None:
        return None
    figures = {key: value_at(cost, *path) for key, path in COST_FIGURE_PATHS.items()}
    figures.update({f"cpu_{cls}": value_at(cost, "threads", cls, "cpu_per_request_ns") for cls in CLASSES})
    classes = {cls: {k: value_at(cost, "threads", cls, k) for k in ("cpu_per_request_ns", "threads", "cpu_share",
                                                                    "wakeups_per_request")}
               for cls in CLASSES if value_at(cost, "threads", cls) is not None}
    return {"figures": figures, "classes": classes, "classes_from": cost.get("classes_from")}


def cost_shift_paths():
    """Where each cost figure's shift is in a compare's "cost", by the keys the page's cost table names
    its rows with."""
    paths = {"notify_exit_p50": ("notify_exit_ns",), "wakeups": ("per_request", "wakeups", "all"),
             "cpu_ns": ("per_request", "cpu_ns", "all")}
    for key in ("notify_exit_time_ns", "exits", "userspace_exits", "exit_time_ns", "userspace_exit_time_ns"):
        paths[key] = ("per_request", key)
    for cls in CLASSES:
        paths[f"cpu_{cls}"] = ("per_request", "cpu_ns", cls)
    return paths


# The A/B panel's rows, in order: (figure, class, name, unit, the compare's object of the figure (its shift
# and interval), the keys of A and B in it). The stage's and the notify exit's sides are their medians, the
# per-request figures' their a and b; fio's own figures have no object in the compare (None): A and B are
# those keys of each side's report, with no shift.
AB_ROWS = ([("total", None, "total latency, median", "ns", ("stages", "total"), ("median_a", "median_b")),
            ("notify_exit_p50", None, "vCPU in the notify exit, median", "ns", ("cost", "notify_exit_ns"),
             ("median_a", "median_b")),
            ("notify_exit_time_ns", None, "vCPU in notify exits per request", "ns",
             ("cost", "per_request", "notify_exit_time_ns"), ("a", "b"))]
           + [("cpu_ns", cls, f"CPU per request, {name}", "ns", ("cost", "per_request", "cpu_ns", cls), ("a", "b"))
              for cls, name in (("vcpu", "vCPU"), ("main_loop", "main loop"), ("iothread", "IOThread"),
                                ("other", "other"), ("all", "all QEMU threads"))]
           + [("exits", None, "VM exits per request", "count", ("cost", "per_request", "exits"), ("a", "b")),
              ("userspace_exits", None, "exits to user space per request", "count",
               ("cost", "per_request", "userspace_exits"), ("a", "b")),
              ("wakeups", "all", "wakeups per request", "count", ("cost", "per_request", "wakeups", "all"),
               ("a", "b")),
              ("fio_iops", None, "fio IOPS", "iops", None, ("coverage", "fio_iops")),
              ("fio_mean_ns", None, "fio mean latency", "ns", None, ("coverage", "fio_mean_ns"))])


def compare_data(compare, sessions):
    """The compare as the page draws it: its stage shifts, the cost shifts keyed as the cost table's
    rows, how its intervals were made, and the sessions its sides are."""
    data = {k: compare.get(k) for k in ("a", "b", "level", "resamples", "seed", "interval", "blocks_a", "blocks_b",
                                         "ioeventfd_a", "ioeventfd_b")}
    data.update({"stages": compare["stages"], "exits_per_request": compare.get("exits_per_request", []),
                 "cost": compare.get("cost")})
    data["cost_shifts"] = {key: interval(value_at(compare, "cost", *path)) for key, path in cost_shift_paths().items()}
    for side in ("a", "b"):
        index = side_index(sessions, compare.get(side), compare.get(f"ioeventfd_{side}"))
        data[f"index_{side}"] = index
        data[f"label_{side}"] = sessions[index]["label"] if index is not None else side.upper()
        if index is None and len(sessions) == 2:
            warn(f"the compare's {side} ({compare.get(side)}) is none of the inputs: its side is labelled "
                 f"{side.upper()}, fio's figures of that side are not shown")
    return data


def control_data(control, compare):
    """The A/A control: what it compared, how, and its title on the page."""
    data = {k: control.get(k) for k in ("a", "b", "ioeventfd_a", "ioeventfd_b", "interval", "blocks_a", "blocks_b",
                                         "level", "resamples")}
    data["same_disk"] = session_key(control.get("a")) == session_key(control.get("b"))
    data["aa"] = control.get("ioeventfd_a") is not None and control.get("ioeventfd_a") == control.get("ioeventfd_b")
    if data["aa"]:
        data["title"] = f"A/A control: both disks ioeventfd {control['ioeventfd_a']}"
    else:
        data["title"] = (f"control: disk A ioeventfd {control.get('ioeventfd_a', '?')}, disk B ioeventfd "
                         f"{control.get('ioeventfd_b', '?')} (not an A/A pair)")
        warn(f"--control: ioeventfd {control.get('ioeventfd_a')} against {control.get('ioeventfd_b')}: "
             f"not an A/A control")
    if control.get("interval") != compare.get("interval"):
        warn(f"--control resampled {control.get('interval')}, the compare {compare.get('interval')}")
    return data


def ab_rows(compare, control, compare_sides, reports):
    """The A/B panel's rows: each figure's A, B, shift and interval, and the control's shift and interval."""
    rows = []
    for figure, cls, name, unit, path, sides in AB_ROWS:
        row = {"figure": figure, "class": cls, "name": name, "unit": unit}
        if path is None:   # fio's own figures: from each side's report
            for side in ("a", "b"):
                index = compare_sides[f"index_{side}"]
                row[side] = value_at(reports[index], *sides) if index is not None else None
            row.update(interval(None))
            row["control"] = None
        else:
            shift = value_at(compare, *path)
            row["a"], row["b"] = value_at(shift, sides[0]), value_at(shift, sides[1])
            row.update(interval(shift))
            row["control"] = interval(value_at(control, *path)) if control else None
        rows.append(row)
    return rows


def prepare(reports, compare, control):
    stages = [s for s in reports[0]["stages"] if s != "total"]
    all_stages = stages + ["total"]
    first_bin, end_bin = kick_bins(reports)

    data = {"stages": stages, "sessions": []}
    for report in reports:
        rows = report["rows"]
        kicks = report["kicks"]
        served = kicks["served_per_kick"]
        histogram = kicks["kick_to_begin_histogram"]
        data["sessions"].append({
            "label": session_label(report, reports),
            "session": report.get("session"),
            # one disk of an A/B session: its label and its blocks (null for a whole session)
            "part": report.get("part"), "blocks": report.get("blocks"),
            "mode": report.get("mode"), "device": report.get("device"),
            "ioeventfd": report.get("ioeventfd"), "qemu_trace": report.get("qemu_trace"),
            "requests": report["requests"],
            "matched_by": report.get("matched_by", "id"),
            "tsc_check": report.get("tsc_check"),
            "alignment": {k: report["alignment"].get(k) for k in ("usable", "width_ns", "offset_ns", "midpoint_ns",
                                                                   "method", "error_ns", "contradiction",
                                                                   "drift_detected")},
            "medians": {s: report["stages"][s]["p50"] for s in all_stages},
            "stage_counts": {s: report["stages"][s]["count"] for s in all_stages},
            "cdf": {s: {"count": report["stages"][s]["count"], "p50": report["stages"][s]["p50"],
                        "points": report["cdf"]["stages"][s]} for s in all_stages},
            "kicks": {k: v for k, v in kicks.items() if not isinstance(v, dict)},
            # requests served per notified kick: {requests: kicks} and {requests: fraction of those kicks}
            "served_kicks": served["kicks"],
            "requests_without_kick": served["requests_without_kick"],
            "requests_per_kick": {str(b["requests"]): b["kicks"] for b in served["by_requests"]},
            "requests_per_kick_fraction": {str(b["requests"]): b["fraction"] for b in served["by_requests"]},
            "kick_to_begin": {"count": kicks["kick_to_begin_ns"]["count"], "p50": kicks["kick_to_begin_ns"]["p50"],
                              "edges": histogram["edges_ns"][first_bin:end_bin + 1],
                              "counts": histogram["counts"][first_bin:end_bin],
                              "below": histogram["below"], "above": histogram["above"]},
            "exits": [{"reason": e["reason"], "per_request": e["per_request"], "count": e["count"],
                       "in_window": e["in_window"]} for e in report["exits"]],
            "exits_per_request": report["exits_per_request"],
            # Compact rows: [id, kick_id, batched, harvested, stage ns or null ..., total]
            "row_fields": ["id", "kick_id", "batched", "harvested"] + all_stages,
            "rows": [[row["id"], row["kick_id"], int(row["batched"]), int(row["harvested"])]
                     + [row.get(s) for s in all_stages] for row in rows],
            "warnings": report.get("warnings", []),
            # the analyzer's end-to-end figures as it computed them (null: no application-side events)
            "coverage": report.get("coverage"),
            # per virtqueue: submitted, completed, the driver's own count, stitched, total (null: a report
            # written before it existed)
            "queues": report.get("queues"),
            # the host's cost per request as the analyzer computed it (null: not measured, and for reports
            # written before it existed)
            "cost": cost_figures(report.get("cost")),
        })
    if compare:
        data["compare"] = compare_data(compare, data["sessions"])
        data["control"] = control_data(control, compare) if control else None
        data["ab"] = ab_rows(compare, control, data["compare"], reports)
    return data


def load_compare(path):
    try:
        with open(path) as f:
            compare = json.load(f)
    except (OSError, ValueError) as err:
        die(f"{path}: {err}")
    check_schema(path, compare, COMPARE_SCHEMA, "vqscope-analyze compare --format json")
    if not isinstance(compare.get("stages"), dict):
        die(f"{path}: no \"stages\": expected in a {COMPARE_SCHEMA[0]} version {COMPARE_SCHEMA[1]}")
    return compare


def kick_report(data, path):
    with open(path, "w") as out:
        for s in data["sessions"]:
            k = s["kicks"]
            out.write(f"session {s['session']} ({s['label']}, mode {s['mode']})\n")
            out.write(f"  guest kicks {k['kicks']}: {k['notified']} notified, {k['suppressed']} suppressed; "
                      f"{k['paired']} paired with a host notify (of {k['host_notifies']})\n")
            out.write(f"  queue handler runs {k['handler_runs']} ({k['empty_runs']} found nothing); "
                      f"guest irqs {k['guest_irqs']}, host injections {k['host_injections']}\n")
            out.write(f"  requests served per notified kick (the kick whose notify started the handler run; "
                      f"{s['served_kicks']} kicks):\n")
            fractions = s["requests_per_kick_fraction"]
            for n, count in s["requests_per_kick"].items():
                out.write(f"    {n:>3} request(s): {count:6d} kicks  {100.0 * fractions[n]:5.1f}%\n")
            kb = s["kick_to_begin"]
            p50 = "-" if kb["p50"] is None else f"{kb['p50'] / 1000:.1f}"
            out.write(f"  kick -> device begin (notified kicks, {kb['count']}): p50 {p50} us\n")
            if kb["below"] or kb["above"]:
                out.write(f"    ({kb['below']} below 0.1 us or negative, {kb['above']} at 10 s or above: not binned)\n")
            for lo, hi, count in zip(kb["edges"], kb["edges"][1:], kb["counts"]):
                if count:
                    out.write(f"    {lo / 1000:9.1f} .. {hi / 1000:9.1f} us  {count:6d}  "
                              f"{'#' * max(1, round(60 * count / max(kb['counts'])))}\n")
            out.write("\n")


def main():
    parser = argparse.ArgumentParser(description="Build the vqscope HTML dashboard from analyzer JSON.")
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="report JSON or session directory (1 or 2)")
    parser.add_argument("--compare", metavar="JSON", help="`vqscope-analyze compare A B --format json` output")
    parser.add_argument("--control", metavar="JSON",
                        help="the A/A control: `vqscope-analyze compare S@A S@B --format json` of an "
                             "--ab off,off session")
    parser.add_argument("-o", "--output", default="dashboard.html", help="HTML file (default dashboard.html)")
    parser.add_argument("--title", default="vqscope dashboard")
    parser.add_argument("--kick-report", metavar="FILE", help="also write a plain-text per-kick report")
    args = parser.parse_args()
    if len(args.inputs) > 2:
        parser.error("one or two inputs (sessions or report JSON files)")
    reports = [load_report(p) for p in args.inputs]
    compare = load_compare(args.compare) if args.compare else None
    if not compare and len(args.inputs) == 2 and all(is_session(p) for p in args.inputs):
        compare = run_analyzer(["compare", args.inputs[0], args.inputs[1], "--format", "json"])
        check_schema("vqscope-analyze compare", compare, COMPARE_SCHEMA, "vqscope-analyze compare --format json")
    control = load_compare(args.control) if args.control else None
    if control and not compare:
        parser.error("--control needs a compare to stand beside (two inputs, or --compare)")
    data = prepare(reports, compare, control)
    with open(os.path.join(HERE, "template.html")) as f:
        template = f.read()
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    page = template.replace("@TITLE@", html.escape(args.title)).replace("@DATA@", payload)
    with open(args.output, "w") as f:
        f.write(page)
    if args.kick_report:
        kick_report(data, args.kick_report)
    print(f"dashboard: {args.output} ({len(page) // 1024} KiB, {len(reports)} session(s))", file=sys.stderr)


if __name__ == "__main__":
    main()
