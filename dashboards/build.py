#!/usr/bin/env python3
"""Build vqscope's static HTML dashboard from the analyzer's JSON.

usage: dashboards/build.py INPUT [INPUT] [--compare COMPARE.json] [-o FILE] [--title TEXT]
                           [--kick-report FILE]

INPUT is a report written by `vqscope-analyze report SESSION --format json` (its "rows" are the
per-request table) or a session directory, which is analysed with analysis/vqscope-analyze. With two
inputs and no --compare, the compare of the first (A) and the second (B) is run when both are
directories. The page is one self-contained file: data, CSS and the SVG-drawing script are inline; it
loads nothing from the network. --kick-report also writes a plain-text per-kick report.

The data is prepared here (CDF points, histograms, compact rows) so that the page's script only draws.
Every chart carries its data in data-* attributes (data-series, data-session, data-stage, data-value)
so tests read what is drawn; see dashboards/README.md.
"""
import argparse
import bisect
import collections
import html
import json
import math
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
ANALYZER = os.environ.get("VQSCOPE_ANALYZE", os.path.join(TOP, "analysis", "vqscope-analyze"))

# The notify path of a kick (kick -> device begin), as the analyzer's kick_to_begin_ns adds it up.
KICK_TO_BEGIN = ("kick>exit", "exit>signal", "signal>handler", "handler>begin")
CDF_POINTS = 200  # points per CDF line: enough for a smooth curve, small enough for a light page


def die(message):
    print(f"dashboards/build.py: error: {message}", file=sys.stderr)
    sys.exit(1)


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
        return run_analyzer(["report", path, "--format", "json", "--requests"])
    try:
        with open(path) as f:
            report = json.load(f)
    except (OSError, ValueError) as err:
        die(f"{path}: {err}")
    for key in ("stages", "rows", "kicks", "exits", "requests"):
        if key not in report:
            die(f"{path}: no \"{key}\": not a `vqscope-analyze report --format json` output")
    return report


def percentile(sorted_values, q):
    """Linear interpolation between closest ranks (the analyzer's definition, src/stats.c)."""
    if not sorted_values:
        return None
    pos = (len(sorted_values) - 1) * q
    low = math.floor(pos)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (pos - low)


def cdf_points(sorted_values):
    """[value, fraction] pairs at evenly spaced ranks, first and last included."""
    n = len(sorted_values)
    if n == 0:
        return []
    ranks = sorted({round(i * (n - 1) / (CDF_POINTS - 1)) for i in range(CDF_POINTS)}) if n > CDF_POINTS \
        else range(n)
    return [[sorted_values[r], round((r + 1) / n, 5)] for r in ranks]


def log_histogram(values, edges):
    counts = [0] * (len(edges) - 1)
    for v in values:
        i = bisect.bisect_right(edges, v) - 1
        counts[max(0, min(i, len(counts) - 1))] += 1
    return counts


def session_label(report, others):
    label = f"ioeventfd {report.get('ioeventfd', '?')}"
    if sum(1 for r in others if r.get("ioeventfd") == report.get("ioeventfd")) > 1:
        label += f" ({os.path.basename(os.path.normpath(report.get('session', '?')))})"
    return label


def prepare(reports, compare):
    stages = [s for s in reports[0]["stages"] if s != "total"]
    all_stages = stages + ["total"]
    sessions = []
    kick_values_all = []
    for report in reports:
        rows = report["rows"]
        kick_to_begin = [sum(row[s] for s in KICK_TO_BEGIN) for row in rows
                         if all(s in row for s in KICK_TO_BEGIN)]
        kick_values_all.extend(kick_to_begin)
        sessions.append((report, rows, kick_to_begin))
    # Log-spaced bins common to all sessions, so their histograms share one axis.
    positive = [v for v in kick_values_all if v > 0] or [1]
    lo_exp, hi_exp = math.floor(math.log10(min(positive)) * 4), math.ceil(math.log10(max(positive)) * 4)
    edges = [10 ** (e / 4) for e in range(lo_exp, max(hi_exp, lo_exp + 1) + 1)]

    data = {"stages": stages, "sessions": []}
    for report, rows, kick_to_begin in sessions:
        cdf = {}
        for stage in all_stages:
            values = sorted(row[stage] for row in rows if stage in row)
            cdf[stage] = {"count": len(values), "p50": percentile(values, 0.5), "points": cdf_points(values)}
        per_kick = collections.Counter(row["kick_id"] for row in rows)
        requests_per_kick = collections.Counter(per_kick.values())
        kick_sorted = sorted(kick_to_begin)
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
            "cdf": cdf,
            "kicks": {k: v for k, v in report["kicks"].items() if not isinstance(v, dict)},
            "requests_per_kick": {str(k): requests_per_kick[k] for k in sorted(requests_per_kick)},
            "kick_to_begin": {"count": len(kick_sorted), "p50": percentile(kick_sorted, 0.5),
                              "edges": [round(e, 1) for e in edges],
                              "counts": log_histogram(kick_sorted, edges)},
            "exits": [{"reason": e["reason"], "per_request": e["per_request"], "count": e["count"],
                       "in_window": e["in_window"]} for e in report["exits"]],
            # Compact rows: [id, kick_id, batched, harvested, stage ns or null ..., total]
            "row_fields": ["id", "kick_id", "batched", "harvested"] + all_stages,
            "rows": [[row["id"], row["kick_id"], int(row["batched"]), int(row["harvested"])]
                     + [row.get(s) for s in all_stages] for row in rows],
            "warnings": report.get("warnings", []),
            # the analyzer's end-to-end figures as it computed them (null: no application-side events)
            "coverage": report.get("coverage"),
        })
    if compare:
        data["compare"] = {"a": compare.get("a"), "b": compare.get("b"), "level": compare.get("level"),
                           "stages": compare["stages"], "exits_per_request": compare.get("exits_per_request", [])}
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
            out.write("  requests served per notified kick (the kick whose notify started the handler run):\n")
            total = sum(s["requests_per_kick"].values())
            for n, count in s["requests_per_kick"].items():
                out.write(f"    {n:>3} request(s): {count:6d} kicks  {100.0 * count / total:5.1f}%\n")
            kb = s["kick_to_begin"]
            out.write(f"  kick -> device begin (notified kicks, {kb['count']}): p50 "
                      f"{(kb['p50'] or 0) / 1000:.1f} us\n")
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
        if "stages" not in compare:
            die(f"{args.compare}: not a `vqscope-analyze compare --format json` output")
    elif len(args.inputs) == 2 and all(os.path.isdir(p) for p in args.inputs):
        compare = run_analyzer(["compare", args.inputs[0], args.inputs[1], "--format", "json"])
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
