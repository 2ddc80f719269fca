#!/usr/bin/env python3
"""Build vqscope's static HTML dashboard from the analyzer's JSON.

usage: dashboards/build.py INPUT [INPUT] [--compare COMPARE.json] [-o FILE] [--title TEXT]
                           [--kick-report FILE]

INPUT is a report written by `vqscope-analyze report SESSION --format json` (its "rows" are the
per-request table) or a session directory, which is analysed with analysis/vqscope-analyze. With two
inputs and no --compare, the compare of the first (A) and the second (B) is run when both are
directories. The page is one self-contained file: data, CSS and the SVG-drawing script are inline; it
loads nothing from the network. --kick-report also writes a plain-text per-kick report.

Every number the page shows is the analyzer's (analysis/FORMAT.md): medians and counts, CDF points,
requests per kick, the kick -> begin histogram, exits per request, the end-to-end shares, the cost per
request (notify exit, CPU by thread class, exits, wakeups), the compare.
This script only picks them out of the JSON (and trims the histogram's empty bins); the page's script
only draws. Every chart carries its data in data-* attributes (data-series, data-session, data-stage,
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


def load_report(path):
    if os.path.isdir(path):
        report = run_analyzer(["report", path, "--format", "json", "--requests"])
        where = f"vqscope-analyze report {path}"
    else:
        try:
            with open(path) as f:
                report = json.load(f)
        except (OSError, ValueError) as err:
            die(f"{path}: {err}")
        where = path
    check_schema(where, report, REPORT_SCHEMA, "vqscope-analyze report --format json")
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
    label = f"ioeventfd {report.get('ioeventfd', '?')}"
    if sum(1 for r in others if r.get("ioeventfd") == report.get("ioeventfd")) > 1:
        label += f" ({os.path.basename(os.path.normpath(report.get('session', '?')))})"
    return label


def prepare(reports, compare):
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
            # the host's cost per request as the analyzer computed it (null: not measured; absent from
            # reports written before it existed)
            "cost": report.get("cost"),
        })
    if compare:
        data["compare"] = {"a": compare.get("a"), "b": compare.get("b"), "level": compare.get("level"),
                           "stages": compare["stages"], "exits_per_request": compare.get("exits_per_request", []),
                           "cost": compare.get("cost")}
        labels = {}
        for s in data["sessions"]:
            labels[os.path.normpath(s["session"] or "")] = s["label"]
        data["compare"]["label_a"] = labels.get(os.path.normpath(compare.get("a", "")), "A")
        data["compare"]["label_b"] = labels.get(os.path.normpath(compare.get("b", "")), "B")
    return data


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
    parser.add_argument("-o", "--output", default="dashboard.html", help="HTML file (default dashboard.html)")
    parser.add_argument("--title", default="vqscope dashboard")
    parser.add_argument("--kick-report", metavar="FILE", help="also write a plain-text per-kick report")
    args = parser.parse_args()
    if len(args.inputs) > 2:
        parser.error("one or two inputs (sessions or report JSON files)")
    reports = [load_report(p) for p in args.inputs]
    compare = None
    if args.compare:
        try:
            with open(args.compare) as f:
                compare = json.load(f)
        except (OSError, ValueError) as err:
            die(f"{args.compare}: {err}")
        check_schema(args.compare, compare, COMPARE_SCHEMA, "vqscope-analyze compare --format json")
    elif len(args.inputs) == 2 and all(os.path.isdir(p) for p in args.inputs):
        compare = run_analyzer(["compare", args.inputs[0], args.inputs[1], "--format", "json"])
        check_schema("vqscope-analyze compare", compare, COMPARE_SCHEMA, "vqscope-analyze compare --format json")
    data = prepare(reports, compare)
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
