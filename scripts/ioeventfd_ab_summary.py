#!/usr/bin/env python3
"""The summary of `make demo` (scripts/ioeventfd-ab.sh): per queue depth, one sentence built from the
measured figures and their intervals (what ioeventfd on changes against off in one boot, whether that is
larger than the A/A control, which stages move, what the vCPU and the host's threads save or pay per
request, fio's own IOPS and latency), then the per-stage medians and the end-to-end line of each disk.
Every number comes from the analyzer's JSON (analysis/FORMAT.md); nothing is recomputed here.

Usage: ioeventfd_ab_summary.py RESULTS-DIR REPEAT TAG... (TAG: qd1, qd16...: the files report-TAG-off.json,
report-TAG-on.json, compare-TAG.json, compare-TAG-aa.json (optional), and compare-TAG-K[-aa].json of boots
K = 2..REPEAT with compare-TAG[-aa]-boots.json, every boot pooled); prints to stdout.
"""
import json
import os
import sys

STAGES = ["submit>kick", "kick>exit", "exit>signal", "signal>handler", "handler>begin", "begin>end",
          "end>inject", "inject>irq", "irq>complete", "total"]


def us(ns, sign=False):
    if ns is None:
        return "-"
    return f"{ns / 1000:+.1f}" if sign else f"{ns / 1000:.1f}"


def load(out, name):
    path = os.path.join(out, name)
    return json.load(open(path)) if os.path.exists(path) else None


def with_interval(shift, low, high, unit=" us", scale=1000.0, digits=1):
    if shift is None:
        return "-"
    if low is None or high is None:
        return f"{shift / scale:+.{digits}f}{unit}"
    return f"{shift / scale:+.{digits}f}{unit} [{low / scale:+.{digits}f}, {high / scale:+.{digits}f}]"


def excludes_zero(d):
    return d.get("ci_low") is not None and (d["ci_low"] > 0 or d["ci_high"] < 0)


def latency_clause(compare, control):
    t = compare["stages"]["total"]
    if t["shift"] is None:
        return "no request was stitched on both disks"
    change = "longer" if t["shift"] > 0 else "shorter"
    text = (f"with ioeventfd on the median request takes {abs(t['shift']) / 1000:.1f} us {change} "
            f"({us(t['median_a'])} -> {us(t['median_b'])} us; shift "
            f"{with_interval(t['shift'], t['ci_low'], t['ci_high'])})")
    if control is None:
        return text + ("; its interval excludes 0 (no A/A control was recorded to compare with)"
                       if excludes_zero(t) else "; its interval contains 0: no change shown")
    c = control["stages"]["total"]
    aa = f"A/A control {with_interval(c['shift'], c['ci_low'], c['ci_high'])}"
    if excludes_zero(c):
        return text + f", but the {aa} excludes 0 too: the intervals understate the noise here; record more blocks"
    if excludes_zero(t) and abs(t["shift"]) > abs(c["shift"]):
        return text + f", larger than the noise: the {aa} contains 0"
    return text + f"; not larger than the noise: its interval contains 0, like the {aa}"


def stages_clause(compare):
    moved = sorted(((s, d) for s, d in compare["stages"].items() if s != "total" and excludes_zero(d)),
                   key=lambda kv: -abs(kv[1]["shift"]))
    if not moved:
        return "no single stage moves beyond its interval"
    return "the stages that move most: " + ", ".join(
        f"{s} {with_interval(d['shift'], d['ci_low'], d['ci_high'])}" for s, d in moved[:3])


def cost_clause(compare):
    cost = compare.get("cost")
    if not cost:
        return "no host cost figures (no probe stream)"
    n, per = cost["notify_exit_ns"], cost["per_request"]
    parts = []
    if n.get("shift") is not None:
        verb = "less" if n["shift"] < 0 else "more"
        parts.append(f"the vCPU spends {abs(n['shift']) / 1000:.1f} us {verb} in each notify exit "
                     f"({us(n['median_a'])} -> {us(n['median_b'])} us, "
                     f"{with_interval(n['shift'], n['ci_low'], n['ci_high'])})")
    else:
        parts.append("no notify exits (no KVM in this mode)")
    cpu = per["cpu_ns"]
    if cpu["all"]["shift"] is not None:
        classes = ", ".join(f"{label} {with_interval(cpu[key]['shift'], cpu[key]['ci_low'], cpu[key]['ci_high'])}"
                            for key, label in (("vcpu", "vCPU"), ("main_loop", "main loop"), ("iothread", "IOThread"))
                            if cpu[key]["shift"] is not None)
        parts.append(f"host CPU per request {with_interval(cpu['all']['shift'], cpu['all']['ci_low'], cpu['all']['ci_high'])}"
                     + (f" ({classes})" if classes else ""))
    for key, label in (("exits", "VM exits"), ("userspace_exits", "exits to user space")):
        f = per[key]
        if f["shift"] is not None:
            parts.append(f"{label} per request {f['a']:.2f} -> {f['b']:.2f} "
                         f"({with_interval(f['shift'], f['ci_low'], f['ci_high'], unit='', scale=1, digits=2)})")
    wakeups = per["wakeups"]["all"]
    if wakeups["shift"] is not None:
        parts.append(f"wakeups per request {wakeups['a']:.2f} -> {wakeups['b']:.2f}")
    return "; ".join(parts)


def fio_clause(off, on):
    a, b = off.get("coverage") or {}, on.get("coverage") or {}
    if not a.get("fio_iops") or not b.get("fio_iops"):
        return "fio's own figures unknown"
    change = 100.0 * (b["fio_iops"] - a["fio_iops"]) / a["fio_iops"]
    return (f"fio: {a['fio_iops']:.0f} -> {b['fio_iops']:.0f} IOPS ({change:+.1f} %), mean latency "
            f"{us(a.get('fio_mean_ns'))} -> {us(b.get('fio_mean_ns'))} us (no interval: one figure per disk)")


def end_to_end(c):
    if not c:
        return "no application-side events"
    pct = lambda v: "-" if v is None else f"{100 * v:.1f}%"
    fio = f"fio {us(c['fio_mean_ns'])} us ({pct(c['app_vs_fio'])})" if c["fio_mean_ns"] else "fio's mean unknown"
    return (f"{c['matched']}/{c['ios']} I/Os matched, mean {us(c['app_mean_ns'])} us vs {fio}; " +
            ", ".join(f"{k.replace('_', ' ')} {pct(v['share_of_mean'])}" for k, v in c["shares"].items()))


def main():
    out, repeat, tags = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    lines = []
    for tag in tags:
        off, on = load(out, f"report-{tag}-off.json"), load(out, f"report-{tag}-on.json")
        compare, control = load(out, f"compare-{tag}.json"), load(out, f"compare-{tag}-aa.json")
        if not lines:
            lines.append(f"vqscope ioeventfd A/B: {off['mode']} mode, virtio-xblk, disk A ioeventfd off vs disk B "
                         f"on in one boot, {compare['blocks_a']}/{compare['blocks_b']} blocks per disk, intervals "
                         f"95% ({compare['interval']} resampled)")
        lines.append("")
        lines.append(f"{tag} ({off['requests']['stitched']} + {on['requests']['stitched']} requests stitched): "
                     f"{latency_clause(compare, control)}; {stages_clause(compare)}; {cost_clause(compare)}; "
                     f"{fio_clause(off, on)}.")
        lines.append("  median us " + " ".join(f"{s[:8]:>8}" for s in STAGES))
        for side, report in (("off", off), ("on", on)):
            lines.append(f"  {side:<8} " + " ".join(f"{us(report['stages'][s]['p50']):>8}" for s in STAGES))
        for side, report in (("off", off), ("on", on)):
            lines.append(f"  end to end, ioeventfd {side}: {end_to_end(report.get('coverage'))}")
        if repeat > 1:
            boots = [compare] + [load(out, f"compare-{tag}-{k}.json") for k in range(2, repeat + 1)]
            controls = [control] + [load(out, f"compare-{tag}-{k}-aa.json") for k in range(2, repeat + 1)]
            lines.append("  boots, on - off total: " + "; ".join(
                with_interval(b["stages"]["total"]["shift"], b["stages"]["total"]["ci_low"],
                              b["stages"]["total"]["ci_high"]) for b in boots if b))
            if any(controls):
                lines.append("  boots, A/A control total: " + "; ".join(
                    with_interval(c["stages"]["total"]["shift"], c["stages"]["total"]["ci_low"],
                                  c["stages"]["total"]["ci_high"]) for c in controls if c))
            pooled = load(out, f"compare-{tag}-boots.json")
            if pooled:
                pooled_control = load(out, f"compare-{tag}-aa-boots.json")
                lines.append(f"  all {pooled['boots_a']} boots pooled (boots resampled): "
                             f"{latency_clause(pooled, pooled_control)}; {stages_clause(pooled)}; "
                             f"{cost_clause(pooled)}.")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
