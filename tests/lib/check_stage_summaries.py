#!/usr/bin/env python3
"""Checks a JSON report's stage table, its CDF points, each queue's total and the end-to-end stages
against its own rows (the report written with --requests).

    check_stage_summaries.py REPORT.json [--tolerance 0.004]

The stage table comes from the analyzer's fixed-size histograms (analysis/src/histogram.h), the rows
are the exact values: per stage (per queue: its stitched count and its total stage; end to end: the
stages of the rows matched to the application), the count and the negative count must equal the rows',
the mean too (the histogram keeps the exact sum), and p50, p90, p99 and p99.9 must be within the
tolerance (0.4 %: half a bucket, the histogram's bound) of the exact percentiles of the rows, linear interpolation
between closest ranks (numpy's default, vq_percentile_sorted), plus the JSON's 0.1 ns rounding. Each CDF
point [value, fraction] must be the value of its rank (fraction x count - 1) among the stage's rows within the
same tolerance (plus 0.5 ns: the JSON's integers), the ranks those vq_cdf_ranks draws, and the first
and last exactly the minimum and maximum. Prints the largest error per percentile; exit 1 on any failure.
"""
import json
import sys

PERCENTILES = (('p50', 50), ('p90', 90), ('p99', 99), ('p99.9', 99.9))


def percentile(values, p):
    rank = p / 100.0 * (len(values) - 1)
    below = int(rank)
    if below + 1 >= len(values):
        return float(values[-1])
    return values[below] + (rank - below) * (values[below + 1] - values[below])


def cdf_ranks(count, max_points):
    """The ranks the analyzer draws a CDF at (vq_cdf_ranks): every one, or MAX_POINTS evenly spaced."""
    if count <= max_points:
        return list(range(count))
    ranks = []
    for i in range(max_points):
        rank = int(float(i) * (count - 1) / (max_points - 1) + 0.5)
        if not ranks or rank != ranks[-1]:
            ranks.append(rank)
    return ranks


def compare(where, summary, values, tolerance, failures, worst):
    """Appends to FAILURES how SUMMARY (from a histogram) disagrees with the exact VALUES (sorted)."""
    if summary['count'] != len(values):
        failures.append('%s: count %d, rows %d' % (where, summary['count'], len(values)))
        return
    if summary['negative'] != sum(v < 0 for v in values):
        failures.append('%s: negative %d, rows %d' % (where, summary['negative'], sum(v < 0 for v in values)))
    if not values:
        if any(summary[name] is not None for name, _ in PERCENTILES) or summary['mean'] is not None:
            failures.append('%s: no value, but figures %s' % (where, summary))
        return
    mean = sum(values) / len(values)
    if abs(summary['mean'] - mean) > 0.051 + 1e-9 * abs(mean):
        failures.append('%s: mean %.1f, rows %.3f' % (where, summary['mean'], mean))
    for name, p in PERCENTILES:
        exact = percentile(values, p)
        error = abs(summary[name] - exact)
        allowed = tolerance * abs(exact) + 0.051
        if exact:
            worst[name] = max(worst[name], error / abs(exact))
        if error > allowed:
            failures.append('%s: %s %.1f, exact %.1f (off %.3f %%, allowed %.1f %% + 0.05 ns)' %
                            (where, name, summary[name], exact, 100 * error / abs(exact) if exact else 0,
                             100 * tolerance))


def main(argv):
    tolerance = 0.004
    if len(argv) == 4 and argv[2] == '--tolerance':
        tolerance = float(argv[3])
    elif len(argv) != 2:
        sys.exit(__doc__)
    report = json.load(open(argv[1]))
    failures, worst = [], {name: 0.0 for name, _ in PERCENTILES}
    for stage, summary in report['stages'].items():
        values = sorted(row[stage] for row in report['rows'] if stage in row)
        compare('%s: stage %s' % (argv[1], stage), summary, values, tolerance, failures, worst)
    cdf_worst = 0.0
    for stage, points in report['cdf']['stages'].items():
        values = sorted(row[stage] for row in report['rows'] if stage in row)
        for (value, fraction), rank in zip(points, cdf_ranks(len(values), report['cdf']['max_points'])):
            exact = values[rank]
            if abs(fraction - (rank + 1) / len(values)) > 0.5e-5 + 1e-12:
                failures.append('%s: cdf %s: fraction %.5f at rank %d of %d' % (argv[1], stage, fraction, rank,
                                                                              len(values)))
            if abs(value - exact) > tolerance * abs(exact) + 0.51:
                failures.append('%s: cdf %s at %.5f: %d, exact %d' % (argv[1], stage, fraction, value, exact))
            if exact:
                cdf_worst = max(cdf_worst, abs(value - exact) / abs(exact))
        if points and (points[0][0] != values[0] or points[-1][0] != values[-1]):
            failures.append('%s: cdf %s: ends %d .. %d, rows %d .. %d' % (argv[1], stage, points[0][0],
                                                                         points[-1][0], values[0], values[-1]))
    for queue in report['queues']:
        rows = [row for row in report['rows'] if row['vq'] == queue['vq']]
        if queue['stitched'] != len(rows):
            failures.append('%s: queue %d: stitched %d, rows %d' % (argv[1], queue['vq'], queue['stitched'], len(rows)))
        compare('%s: queue %d total' % (argv[1], queue['vq']), queue['total_ns'],
                sorted(row['total'] for row in rows if 'total' in row), tolerance, failures, worst)
    coverage = report.get('coverage')
    for stage, summary in (coverage['stages'].items() if coverage else ()):
        values = sorted(row['app'][stage] for row in report['rows']
                        if 'app' in row and row['app']['matched'] and stage in row['app'])
        compare('%s: end-to-end stage %s' % (argv[1], stage), summary, values, tolerance, failures, worst)
    print('stage, queue and end-to-end tables vs rows: largest relative error ' +
          ', '.join('%s %.3f %%' % (name, 100 * worst[name]) for name, _ in PERCENTILES) +
          ', CDF points %.3f %%' % (100 * cdf_worst))
    for failure in failures:
        print('FAIL ' + failure)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
