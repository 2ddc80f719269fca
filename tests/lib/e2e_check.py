#!/usr/bin/env python3
"""The end-to-end rows of one analysed session, as the end-to-end issue requires them.

    e2e_check.py REPORT.json [--api psync|libaio|io_uring] [--min-matched F] [--max-fio-diff F]

REPORT.json is `vqscope-analyze SESSION --format json` (rows included). Checks:
  - the guest trace had the application side (coverage is not null), and at least --min-matched
    (default 0.95) of the workload's I/Os (fio's issued count) are matched end to end;
  - the mean end-to-end total is within --max-fio-diff of fio's own mean total latency (default 0.05
    under KVM, lab or kvm mode; 0.10 in tcg mode, where fio's own user-space time is a visible share);
  - every matched request is of the workload's API (--api), no end-to-end stage is negative;
  - each matched row adds up exactly: app>queue + queue>issue + issue>submit + the driver's total +
    complete>done + done>app = app total (stock virtio-blk: its driver submit is the block layer's
    issue, so without issue>submit and complete>done), and its three layers add up to its app total;
  - the layers' shares of the mean add up to 1.
Prints the figures; exit 1 on the first failed condition, 2 on unreadable input.
"""
import argparse
import json
import sys


def fail(message):
    print('e2e_check: FAIL: ' + message)
    return 1


def check(report, args):
    coverage = report.get('coverage')
    if not coverage:
        return fail('no end-to-end coverage: the guest trace has no application-side events')
    kvm = report['mode'] in ('lab', 'kvm')
    max_diff = args.max_fio_diff if args.max_fio_diff is not None else (0.05 if kvm else 0.10)
    matched, ios = coverage['matched'], coverage['ios']
    shares = coverage['shares']
    print('end to end: %d/%d matched (%s), mean %.1f us, fio %s us (%+.2f %%), apis %s, unmatched %s' % (
        matched, ios, coverage['ios_from'], coverage['app_mean_ns'] / 1e3,
        '-' if coverage['fio_mean_ns'] is None else '%.1f' % (coverage['fio_mean_ns'] / 1e3),
        100 * (coverage['app_vs_fio'] or 0), coverage['apis'], coverage['unmatched']))
    print('layers: ' + ', '.join('%s %.1f %% of the mean (median %.1f %%, p99 %.1f %%)' % (
        k, 100 * v['share_of_mean'], 100 * v['median_share'], 100 * v['p99_share'])
        for k, v in shares.items() if v['requests']))
    if coverage['ios_from'] != 'fio':
        return fail("fio's issued count was not read from the workload's output")
    if ios == 0 or matched / ios < args.min_matched:
        return fail('%d of %d I/Os matched end to end, below %.0f %%' % (matched, ios, 100 * args.min_matched))
    if coverage['fio_mean_ns'] is None or coverage['app_vs_fio'] is None:
        return fail("fio's own mean latency is missing")
    if abs(coverage['app_vs_fio']) > max_diff:
        return fail('end-to-end mean %.1f us is %+.1f %% from fio\'s %.1f us (allowed +-%.0f %%)' % (
            coverage['app_mean_ns'] / 1e3, 100 * coverage['app_vs_fio'], coverage['fio_mean_ns'] / 1e3,
            100 * max_diff))
    if args.api and coverage['apis'][args.api] != matched:
        return fail('matched requests by API %s, expected all %s' % (coverage['apis'], args.api))
    negative = {k: v['negative'] for k, v in coverage['stages'].items() if v['negative']}
    if negative:
        return fail('negative end-to-end stages: %s' % negative)
    total_share = sum(v['share_of_mean'] for v in shares.values() if v['share_of_mean'] is not None)
    if abs(total_share - 1) > 0.001:
        return fail('layer shares of the mean add up to %.4f, not 1' % total_share)
    stock = report.get('matched_by') == 'sectors'
    parts = ['app>queue', 'queue>issue', 'done>app'] + ([] if stock else ['issue>submit', 'complete>done'])
    checked = 0
    for row in report['rows']:
        app = row.get('app')
        if not app or not app['matched']:
            continue
        if 'total' not in row:
            return fail('row %d is matched end to end without a driver total' % row['id'])
        added = sum(app[p] for p in parts) + row['total']
        if added != app['app total']:
            return fail('row %d: stages add up to %d ns, its app total is %d' % (row['id'], added, app['app total']))
        layers = [app[k + '_ns'] for k in shares if k + '_ns' in app]
        if layers and sum(layers) != app['app total']:
            return fail('row %d: layers %s do not add up to its app total %d' % (row['id'], layers, app['app total']))
        checked += 1
    if checked != matched:
        return fail('%d matched rows in the report, coverage says %d' % (checked, matched))
    print('end to end: ok (%d rows add up, fio within %.0f %%)' % (checked, 100 * max_diff))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('report')
    parser.add_argument('--api', choices=('psync', 'libaio', 'io_uring'))
    parser.add_argument('--min-matched', type=float, default=0.95)
    parser.add_argument('--max-fio-diff', type=float)
    args = parser.parse_args()
    try:
        with open(args.report) as f:
            report = json.load(f)
        report['mode'], report['rows']
    except (OSError, ValueError, KeyError) as error:
        print('e2e_check: %s: %s' % (args.report, error), file=sys.stderr)
        return 2
    return check(report, args)


if __name__ == '__main__':
    sys.exit(main())
