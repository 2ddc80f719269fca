#!/usr/bin/env python3
"""The results directory of scripts/ioeventfd-ab.sh (`make demo`) against its manual and its own JSON.

    check_ioeventfd_ab_results.py RESULTS-DIR TAG...      (TAG: qd1, qd4, ...: the depths run)

For each depth: the A/B and A/A sessions are complete A/B sessions (A off, B on; both off); the reports,
compares, kick report and dashboard exist; the summary has one sentence for the depth, and the figures it
states are the compare's (median total off -> on, the total shift with its interval), the A/A control's
(its total shift and interval) and the reports' (stitched requests, fio's IOPS). dashboard.html is the
first depth's. With --repeat N: every boot pooled per depth (check_pooled). Exits 1 naming what does not hold.
"""
import json
import os
import sys


def fail(message):
    print(f"check_ioeventfd_ab_results: {message}")
    sys.exit(1)


def load(path):
    if not os.path.exists(path):
        fail(f"{path}: missing")
    return json.load(open(path))


def us(ns, sign=False):
    return f"{ns / 1000:+.1f}" if sign else f"{ns / 1000:.1f}"


def check_pooled(out, tag, summary):
    """--repeat N: compare-TAG-boots.json pools the N boots (each side counts every boot's requests, the
    interval resamples boots) and the summary's pooled line states its total shift."""
    boots = sorted(int(name[len(f"session-{tag}-"):]) for name in os.listdir(out)
                   if name.startswith(f"session-{tag}-") and name[len(f"session-{tag}-"):].isdigit())
    if not boots:
        return
    n = 1 + len(boots)
    pooled = load(os.path.join(out, f"compare-{tag}-boots.json"))
    pooled_control = load(os.path.join(out, f"compare-{tag}-aa-boots.json"))
    singles = [load(os.path.join(out, f"compare-{tag}.json"))] + \
        [load(os.path.join(out, f"compare-{tag}-{k}.json")) for k in boots]
    for p in (pooled, pooled_control):
        if p["interval"] != "boots" or p["boots_a"] != n or p["boots_b"] != n:
            fail(f"{tag}: pooled compare {p['a']}: interval {p['interval']}, boots {p['boots_a']}/{p['boots_b']}; "
                 f"expected boots, {n}/{n}")
    for side in ("count_a", "count_b"):
        total = sum(s["stages"]["total"][side] for s in singles)
        if pooled["stages"]["total"][side] != total:
            fail(f"{tag}: pooled total {side} {pooled['stages']['total'][side]}, the boots' sum {total}")
    t = pooled["stages"]["total"]
    line = [l for l in summary.splitlines() if l.strip().startswith(f"all {n} boots pooled")]
    want = f"shift {us(t['shift'], True)} us [{us(t['ci_low'], True)}, {us(t['ci_high'], True)}]"
    if len(line) < 1 or not any(want in l for l in line):
        fail(f"summary: no pooled line for {tag} stating '{want}'")
    print(f"{tag}: {n} boots pooled: total {want}")


def main():
    out, tags = sys.argv[1], sys.argv[2:]
    summary = open(os.path.join(out, "summary.txt")).read()
    for tag in tags:
        for name, ab in ((f"session-{tag}", "off,on"), (f"session-{tag}-aa", "off,off")):
            meta = load(os.path.join(out, name, "meta.json"))
            if meta["status"] != "complete" or meta["ioeventfd"] != ab:
                fail(f"{name}: status {meta['status']}, ioeventfd {meta['ioeventfd']}; expected complete, {ab}")
        for name in (f"report-{tag}-off.txt", f"report-{tag}-on.txt", f"compare-{tag}.txt", f"kicks-{tag}.txt",
                     f"dashboard-{tag}.html"):
            if not os.path.getsize(os.path.join(out, name)):
                fail(f"{name}: empty")
        off, on = load(os.path.join(out, f"report-{tag}-off.json")), load(os.path.join(out, f"report-{tag}-on.json"))
        compare, control = load(os.path.join(out, f"compare-{tag}.json")), load(os.path.join(out, f"compare-{tag}-aa.json"))
        if (off["ioeventfd"], on["ioeventfd"], compare["interval"], control["interval"]) != ("off", "on", "blocks", "blocks"):
            fail(f"{tag}: ioeventfd {off['ioeventfd']}/{on['ioeventfd']}, intervals {compare['interval']}/"
                 f"{control['interval']}; expected off/on, blocks/blocks")
        sentence = [line for line in summary.splitlines() if line.startswith(f"{tag} (")]
        if len(sentence) != 1:
            fail(f"summary: {len(sentence)} sentences for {tag}, expected one")
        sentence = sentence[0]
        t, c = compare["stages"]["total"], control["stages"]["total"]
        wanted = [f"{off['requests']['stitched']} + {on['requests']['stitched']} requests stitched",
                  f"({us(t['median_a'])} -> {us(t['median_b'])} us; shift {us(t['shift'], True)} us "
                  f"[{us(t['ci_low'], True)}, {us(t['ci_high'], True)}])",
                  f"A/A control {us(c['shift'], True)} us [{us(c['ci_low'], True)}, {us(c['ci_high'], True)}]",
                  f"fio: {off['coverage']['fio_iops']:.0f} -> {on['coverage']['fio_iops']:.0f} IOPS"]
        for text in wanted:
            if text not in sentence:
                fail(f"summary's {tag} sentence does not say '{text}': {sentence}")
        print(f"{tag}: {sentence[:160]}...")
        check_pooled(out, tag, summary)
    first = open(os.path.join(out, f"dashboard-{tags[0]}.html")).read()
    if open(os.path.join(out, "dashboard.html")).read() != first:
        fail("dashboard.html is not the first depth's dashboard")


if __name__ == "__main__":
    main()
