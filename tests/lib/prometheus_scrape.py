#!/usr/bin/env python3
"""Drives a Prometheus server's HTTP API for tests/integration/83-metrics-prometheus.

    prometheus_scrape.py free-port
        a TCP port free on 127.0.0.1 now (the kernel's pick)
    prometheus_scrape.py wait PROMETHEUS_URL JOB SCRAPES SECONDS
        waits until JOB's target is up and has been scraped SCRAPES times (the series up{job=JOB} has that
        many samples), printing its state every second; exit 1 after SECONDS
    prometheus_scrape.py check PROMETHEUS_URL JOB REPORT.json SERVED.prom [--last]
        asks Prometheus, per stage, histogram_quantile(0.5, sum by (le, stage)
        (vqscope_stage_seconds_bucket{job=JOB})) and vqscope_requests_total; checks that every stage of the
        offline JSON report comes back, that each median is within 10 % of the report's exact p50 (stages
        whose p50 is at or below the first bucket, 1 us, are printed, not judged: check_metrics.py's rule),
        that it equals the median of the buckets the server served (SERVED.prom, as check_metrics.py
        interpolates them: what Prometheus stored is what was served), and the request count. Prints a
        table; exit 1 on any failure. --last: of each series' last sample (last_over_time over 10
        minutes), for a target that has stopped (its series are stale at the present)
    prometheus_scrape.py increases PROMETHEUS_URL JOB N
        checks that vqscope_requests_total of JOB took at least N increasing values over the last 10
        minutes (a target served while its session was recorded); prints them
"""
import json
import math
import os
import socket
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_metrics  # noqa: E402  (the exposition parser, the bucket median, the 10 % rule)

MEDIAN_QUERY = 'histogram_quantile(0.5, sum by (le, stage) (%s))'
BUCKETS = 'vqscope_stage_seconds_bucket{job="%s"}'
REQUESTS = 'vqscope_requests_total{job="%s"}'
LAST = 'last_over_time(%s[10m])'
# Prometheus and check_metrics.py interpolate the same buckets in float64: equal but for rounding
SAME_MEDIAN = 1e-9


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def api(base, path, **parameters):
    """The 'data' of a successful API answer; raises on anything else."""
    url = '%s/api/v1/%s?%s' % (base.rstrip('/'), path, urllib.parse.urlencode(parameters))
    with urllib.request.urlopen(url, timeout=5) as answer:
        document = json.load(answer)
    if document.get('status') != 'success':
        raise RuntimeError('%s: %s' % (url, document))
    return document['data']


def query(base, expression):
    data = api(base, 'query', query=expression)
    if data['resultType'] != 'vector':
        raise RuntimeError('%s: result type %s, expected vector' % (expression, data['resultType']))
    return [(sample['metric'], float(sample['value'][1])) for sample in data['result']]


def wait(base, job, scrapes, seconds):
    deadline = time.monotonic() + seconds
    state = 'no answer yet'
    while time.monotonic() < deadline:
        try:
            targets = [t for t in api(base, 'targets')['activeTargets'] if t['labels'].get('job') == job]
            if not targets:
                state = 'no target of job %s yet' % job
            else:
                target = targets[0]
                counted = query(base, 'count_over_time(up{job="%s"}[10m])' % job)
                done = int(counted[0][1]) if counted else 0
                state = 'target %s %s, %d scrape(s)%s' % (target['scrapeUrl'], target['health'], done,
                                                        ' (' + target['lastError'] + ')' if target['lastError'] else '')
                if target['health'] == 'up' and done >= scrapes:
                    print('--- prometheus: ' + state)
                    return 0
        except (OSError, RuntimeError, KeyError, ValueError) as error:
            state = 'API not answering: %s' % error
        print('--- prometheus: waiting: ' + state, flush=True)
        time.sleep(1)
    print('FAIL: after %d s: %s' % (seconds, state))
    return 1


def check(base, job, report_path, served_path, last=False):
    report = json.load(open(report_path))
    buckets, requests_series = BUCKETS % job, REQUESTS % job
    if last:
        buckets, requests_series = LAST % buckets, LAST % requests_series
    samples, _ = check_metrics.parse(served_path)
    served_buckets = {}
    for name, labels, number in samples:
        if name == 'vqscope_stage_seconds_bucket':
            le = float('inf') if labels['le'] == '+Inf' else float(labels['le'])
            served_buckets.setdefault(labels['stage'], []).append((le, number))
    medians = {labels.get('stage'): value for labels, value in query(base, MEDIAN_QUERY % buckets)}
    errors = []
    print('%-15s %7s %12s %12s %12s %8s' % ('stage', 'count', 'report p50', 'prometheus', 'served', 'error'))
    for stage, summary in report['stages'].items():
        if stage not in medians:
            errors.append('%s: no median from Prometheus (stages it has: %s)' % (stage, ', '.join(sorted(medians))))
            continue
        median = medians[stage]
        if not summary['count']:
            # no value in any bucket: Prometheus's quantile of nothing is NaN
            print('%-15s %7d %12s %12s' % (stage, 0, '-', median))
            if not math.isnan(median):
                errors.append('%s: no requests, yet Prometheus gives a median of %s' % (stage, median))
            continue
        exact = summary['p50'] / 1e9
        from_served = check_metrics.bucket_median(sorted(served_buckets.get(stage, [])))
        error, judged = check_metrics.median_error(median, exact)
        print('%-15s %7d %10.1f us %10.1f us %10.1f us %7.2f%%%s' % (
            stage, summary['count'], exact * 1e6, median * 1e6, from_served * 1e6, 100 * error,
            '' if judged else '  (at or below the first bucket, 1 us: not judged)'))
        if not math.isfinite(median):
            errors.append('%s: Prometheus gives a median of %s' % (stage, median))
            continue
        if abs(median - from_served) > SAME_MEDIAN * max(abs(from_served), 1e-9):
            errors.append('%s: Prometheus median %.9g s, but the served buckets give %.9g s' % (stage, median, from_served))
        if judged and error > check_metrics.MEDIAN_TOLERANCE:
            errors.append('%s: Prometheus median %.1f us, offline p50 %.1f us (%.1f %% > %.0f %%)' % (
                stage, median * 1e6, exact * 1e6, 100 * error, 100 * check_metrics.MEDIAN_TOLERANCE))
    extra = sorted(set(medians) - set(report['stages']))
    if extra:
        errors.append('Prometheus has stages the report does not: %s' % ', '.join(map(str, extra)))
    requests = query(base, requests_series)
    print('vqscope_requests_total: prometheus %s, report %s' % ([value for _, value in requests], report['requests']['guest']))
    if len(requests) != 1 or requests[0][1] != report['requests']['guest']:
        errors.append('vqscope_requests_total %s, report %s' % ([value for _, value in requests], report['requests']['guest']))
    for error in errors:
        print('error: ' + error)
    return 1 if errors else 0


def increases(base, job, wanted):
    data = api(base, 'query', query='%s[10m]' % (REQUESTS % job))
    values = [float(v) for series in data['result'] for _, v in series['values']]
    steps = sorted(set(values))
    print('vqscope_requests_total over the recording: %d samples, values %s' % (len(values), ' '.join('%d' % v for v in steps)))
    if len(steps) < wanted:
        print('FAIL: %d distinct values, expected at least %d (the session served while it was recorded)' % (len(steps), wanted))
        return 1
    if values != sorted(values):
        print('FAIL: the request count went down between scrapes')
        return 1
    return 0


def main():
    arguments = sys.argv[1:]
    if arguments[:1] == ['free-port'] and len(arguments) == 1:
        print(free_port())
        return 0
    if arguments[:1] == ['wait'] and len(arguments) == 5:
        return wait(arguments[1], arguments[2], int(arguments[3]), float(arguments[4]))
    if arguments[:1] == ['check'] and len(arguments) == 5:
        return check(*arguments[1:])
    if arguments[:1] == ['check'] and len(arguments) == 6 and arguments[5] == '--last':
        return check(*arguments[1:5], last=True)
    if arguments[:1] == ['increases'] and len(arguments) == 4:
        return increases(arguments[1], arguments[2], int(arguments[3]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main())
