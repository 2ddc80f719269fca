#!/usr/bin/env python3
"""The summary of `make demo` (scripts/ioeventfd-ab.sh): ten lines of headline numbers, then one
end-to-end line per session, from the JSON reports and compares the dashboard was built from.

Usage: ioeventfd_ab_summary.py RESULTS-DIR REPEAT SIDE... (SIDE: off, on; prints to stdout)
"""
import json, os, sys
out, repeat, sides = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
r = {s: json.load(open(os.path.join(out, f"report-{s}.json"))) for s in sides}
us = lambda ns: "-" if ns is None else f"{ns / 1000:.1f}"
first = r[sides[0]]
stages = [s for s in first["stages"] if s != "total"]
lines = [f"vqscope ioeventfd A/B: {first['mode']} mode, xblk, " + ", ".join(
    f"ioeventfd {s}: {r[s]['requests']['stitched']}/{r[s]['requests']['guest']} requests stitched" for s in sides)]
head = "median us " + " ".join(f"{st:>8.8}" for st in ["sub>kick", "kick>ex", "ex>sig", "sig>hnd", "hnd>beg",
                                                         "beg>end", "end>inj", "inj>irq", "irq>cmp", "total"])
lines.append(head)
for s in sides:
    lines.append(f"  {s:<7} " + " ".join(f"{us(r[s]['stages'][st]['p50']):>8}" for st in stages + ["total"]))
if len(sides) == 2:
    c = json.load(open(os.path.join(out, "compare.json")))
    sig = sorted(((st, d) for st, d in c["stages"].items() if d["significant"] and st != "total"),
                 key=lambda kv: -abs(kv[1]["shift"]))
    t = c["stages"]["total"]
    lines.append(f"on - off, total: {us(t['shift'])} us [{us(t['ci_low'])}, {us(t['ci_high'])}]"
                 f"{' (significant)' if t['significant'] else ' (not significant)'}")
    lines.append("biggest significant shifts (on - off, us, 95% CI): " + "; ".join(
        f"{st} {us(d['shift'])} [{us(d['ci_low'])}, {us(d['ci_high'])}]" for st, d in sig[:3]) if sig else
        "no significant per-stage shift")
    if repeat >= 2:
        # Each pair's on - off total next to off vs off: is the verdict bigger than the run-to-run spread?
        shifts = [t["shift"]] + [json.load(open(os.path.join(out, f"compare-{k}.json")))["stages"]["total"]["shift"]
                                 for k in range(2, repeat + 1)]
        spread = json.load(open(os.path.join(out, "compare-off-off.json")))["stages"]["total"]["shift"]
        agree = all(x > 0 for x in shifts) or all(x < 0 for x in shifts)
        verdict = ("consistent" if agree and min(abs(x) for x in shifts) > abs(spread) else
                   "NOT consistent: the runs disagree or the spread is as large; record more runs")
        lines.append(f"runs: on - off total " + ", ".join(f"{us(x)}" for x in shifts) +
                     f" us; off vs off {us(spread)} us: {verdict}")
    else:
        lines.append("  more: " + "; ".join(f"{st} {us(d['shift'])}" for st, d in sig[3:6]) if len(sig) > 3 else "")
else:
    lines += ["(one session: no compare)", ""]
for s in sides:
    ex = sorted((e for e in r[s]["exits"] if e["per_request"] > 0), key=lambda e: -e["per_request"])
    total = sum(e["per_request"] for e in ex)
    lines.append(f"exits per request, ioeventfd {s}: {total:.1f} (" +
                 ", ".join(f"{e['reason']} {e['per_request']}" for e in ex[:5]) + ")" if ex else
                 f"exits per request, ioeventfd {s}: none seen (no KVM exits in this mode)")
def alignment(a):  # the offset the stages use: exact (TSC) under KVM, else the causal midpoint
    if a.get("method") == "tsc":
        return f"tsc +-{us(a['error_ns'])} us" + (f" (OUTSIDE the causal interval, {a['outside']} bound)"
                                                   if a.get("outside") else "")
    return f"causal, width {us(a['width_ns'])} us" if a["usable"] else "unusable"
lines.append("clock alignment: " + ", ".join(f"{s} {alignment(r[s]['alignment'])}" for s in sides) +
             "; kicks notified: " + ", ".join(
    f"{s} {r[s]['kicks']['notified']}/{r[s]['kicks']['kicks']}" for s in sides))
while len(lines) < 10:
    lines.append("")
lines = lines[:10]
# End to end, one line per session: the application's mean wait beside fio's, and its layers.
def end_to_end(c):
    if not c:
        return "no application-side events"
    pct = lambda v: "-" if v is None else f"{100 * v:.1f}%"
    fio = f"fio {us(c['fio_mean_ns'])} us ({pct(c['app_vs_fio'])})" if c["fio_mean_ns"] else "fio's mean unknown"
    return (f"{c['matched']}/{c['ios']} I/Os matched, mean {us(c['app_mean_ns'])} us vs {fio}; " +
            ", ".join(f"{k.replace('_', ' ')} {pct(v['share_of_mean'])} (p50 {pct(v['median_share'])}, "
                      f"p99 {pct(v['p99_share'])})" for k, v in c["shares"].items()))
lines += [f"end to end, ioeventfd {s}: {end_to_end(r[s].get('coverage'))}" for s in sides]
print("\n".join(lines).rstrip())
