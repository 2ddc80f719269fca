#!/usr/bin/env python3
"""The results directory of scripts/ioeventfd-ab.sh (`make demo`) against its manual and its own JSON.

    check_ioeventfd_ab_results.py RESULTS-DIR TAG...      (TAG: qd1, qd4, ...: the depths run)

For each depth: the A/B and A/A sessions are complete A/B sessions (A off, B on; both off); the reports,
compares, kick report and dashboard exist; the summary has one sentence for the depth, and the figures it
states are the compare's (median total off -> on, the total shift with its interval), the A/A control's
(its total shift and interval) and the reports' (stitched requests, fio's IOPS). dashboard.html is the
first depth's. Exits 1 naming what does not hold.
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
    first = open(os.path.join(out, f"dashboard-{tags[0]}.html")).read()
    if open(os.path.join(out, "dashboard.html")).read() != first:
        fail("dashboard.html is not the first depth's dashboard")


if __name__ == "__main__":
    main()
