#!/usr/bin/env python3
"""Checks `vqscope-analyze SESSION --format prometheus` against the same session's JSON report.

    check_metrics.py METRICS.prom REPORT.json [--median-tolerance 0.10]

The exposition text must parse line by line (text format 0.0.4: '# HELP'/'# TYPE' comments and
'name{label="value",...} number' samples, label values with \\\\, \\" and \\n escapes only); every
histogram's cumulative buckets never decrease and end at le="+Inf" equal to its _count; the counts
(per-stage _count, requests, kicks, exits, drops) equal the report's; and the median Prometheus would
compute from the buckets (histogram_quantile(0.5, ...): linear interpolation inside the bucket that
holds the rank) is within the tolerance of the report's exact p50 for every stage whose p50 is above
the first bucket (1 us). Prints the medians side by side; exit 1 on any failure.
"""
import json
import math
import re
import sys

# The first bucket's bound (report_metrics.h): a median at or below it is interpolated between 0 and 1 us,
# which says nothing about its size; it is printed, not judged. Shared with prometheus_scrape.py.
FIRST_BUCKET_SECONDS = 1e-6
MEDIAN_TOLERANCE = 0.10

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\"n])*)"(,|$)')


def parse(path):
    samples, types = [], {}
    for number, line in enumerate(open(path), 1):
        line = line.rstrip('\n')
        where = '%s:%d' % (path, number)
        if line.startswith('# '):
            parts = line.split(' ', 3)
            if parts[1] == 'TYPE':
                if parts[3] not in ('counter', 'gauge', 'histogram', 'summary', 'untyped'):
                    raise ValueError('%s: unknown type %r' % (where, parts[3]))
                types[parts[2]] = parts[3]
            elif parts[1] != 'HELP':
                raise ValueError('%s: comment neither HELP nor TYPE: %r' % (where, line))
            continue
        match = SAMPLE.match(line)
        if not match:
            raise ValueError('%s: not a sample line: %r' % (where, line))
        name, label_text, value = match.groups()
        labels, position = {}, 0
        while label_text and position < len(label_text):
            label = LABEL.match(label_text, position)
            if not label:
                raise ValueError('%s: malformed labels at %r' % (where, label_text[position:]))
            labels[label.group(1)] = label.group(2)
            position = label.end()
        samples.append((name, labels, float(value)))
    return samples, types


def bucket_median(buckets):
    """histogram_quantile(0.5): buckets [(le, cumulative count)], sorted, the last +Inf."""
    total = buckets[-1][1]
    rank = 0.5 * total
    previous_le, previous_count = 0.0, 0.0
    for le, count in buckets:
        if count >= rank:
            if math.isinf(le):
                return previous_le
            if count == previous_count:
                return le
            return previous_le + (le - previous_le) * (rank - previous_count) / (count - previous_count)
        previous_le, previous_count = le, count
    return previous_le


def median_error(estimate, exact):
    """(relative error of a median from the buckets against the exact one, whether it is judged)."""
    return (abs(estimate - exact) / exact if exact else 0.0), exact > FIRST_BUCKET_SECONDS


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    tolerance = float(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == '--median-tolerance' else MEDIAN_TOLERANCE
    samples, types = parse(sys.argv[1])
    report = json.load(open(sys.argv[2]))
    errors = []
    for name, kind in (('vqscope_stage_seconds', 'histogram'), ('vqscope_requests_total', 'counter'),
                       ('vqscope_requests_stitched_total', 'counter'), ('vqscope_requests_unmatched_total', 'counter'),
                       ('vqscope_requests_negative_total', 'counter'), ('vqscope_kicks_total', 'counter'),
                       ('vqscope_vm_exits_total', 'counter'), ('vqscope_probe_drops_total', 'counter')):
        if types.get(name) != kind:
            errors.append('%s: TYPE %s, expected %s' % (name, types.get(name), kind))
    value = {}
    buckets = {}
    for name, labels, number in samples:
        if name == 'vqscope_stage_seconds_bucket':
            le = float('inf') if labels['le'] == '+Inf' else float(labels['le'])
            buckets.setdefault(labels['stage'], []).append((le, number))
        else:
            key = (name,) + tuple(sorted((k, v) for k, v in labels.items() if k not in ('session', 'device', 'ioeventfd')))
            value[key] = number
    print('%-15s %10s %10s %8s' % ('stage', 'report p50', 'buckets', 'error'))
    for stage, summary in report['stages'].items():
        series = sorted(buckets.get(stage, []))
        count = value.get(('vqscope_stage_seconds_count', ('stage', stage)))
        if not series or not math.isinf(series[-1][0]):
            errors.append('%s: no buckets or no +Inf bucket' % stage)
            continue
        if any(b[1] < a[1] for a, b in zip(series, series[1:])):
            errors.append('%s: cumulative buckets decrease' % stage)
        if series[-1][1] != count or count != summary['count']:
            errors.append('%s: +Inf bucket %s, _count %s, report count %s' % (stage, series[-1][1], count, summary['count']))
        if not summary['count']:
            continue
        exact = summary['p50'] / 1e9
        estimate = bucket_median(series)
        error, judged = median_error(estimate, exact)
        print('%-15s %10.1f %10.1f %7.2f%%%s' % (stage, exact * 1e6, estimate * 1e6, 100 * error,
                                                '' if judged else '  (below the first bucket: not judged)'))
        if judged and error > tolerance:
            errors.append('%s: median from the buckets %.1f us, report %.1f us (%.1f %% > %.0f %%)' %
                          (stage, estimate * 1e6, exact * 1e6, 100 * error, 100 * tolerance))
    requests = report['requests']
    for name, expected in (('vqscope_requests_total', requests['guest']),
                           ('vqscope_requests_stitched_total', requests['stitched']),
                           ('vqscope_requests_unmatched_total', requests['unmatched']),
                           ('vqscope_requests_negative_total', requests['negative'])):
        got = value.get((name,))
        if got != expected:
            errors.append('%s %s, report %s' % (name, got, expected))
    for notified, key in (('true', 'notified'), ('false', 'suppressed')):
        got = value.get(('vqscope_kicks_total', ('notified', notified)))
        if got != report['kicks'][key]:
            errors.append('vqscope_kicks_total{notified="%s"} %s, report %s' % (notified, got, report['kicks'][key]))
    for error in errors:
        print('error: ' + error)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
