#!/usr/bin/env python3
"""A session's JSON report is the same with and without its rows, but for the rows.

    check_rows_optional.py WITH.json WITHOUT.json

WITH is `vqscope-analyze SESSION --format json --requests` (the analysis kept a row per request),
WITHOUT the same without --requests (no row kept: every figure from what was added up as each request
was emitted, analysis/src/emission.c). Passes if WITHOUT has no "rows", WITH has one per stitched request,
and every other key is equal. Exit 1 with the first differing keys otherwise.
"""
import json
import sys


def differences(a, b, where=''):
    """The paths where A and B differ (at most 10)."""
    if isinstance(a, dict) and isinstance(b, dict):
        found = []
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                found.append('%s.%s: only in %s' % (where, key, 'with' if key in a else 'without'))
            else:
                found += differences(a[key], b[key], '%s.%s' % (where, key))
        return found[:10]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        found = []
        for i, (x, y) in enumerate(zip(a, b)):
            found += differences(x, y, '%s[%d]' % (where, i))
        return found[:10]
    return [] if a == b else ['%s: %r vs %r' % (where, a, b)]


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    with_rows, without = (json.load(open(path)) for path in argv[1:3])
    failures = []
    if 'rows' in without:
        failures.append('%s: has "rows" without --requests' % argv[2])
    if len(with_rows.get('rows', [])) != with_rows['requests']['stitched']:
        failures.append('%s: %d rows for %d stitched requests' % (argv[1], len(with_rows.get('rows', [])),
                                                                  with_rows['requests']['stitched']))
    rows = len(with_rows.pop('rows', []))
    without.pop('rows', None)
    failures += differences(with_rows, without)
    for failure in failures:
        print('FAIL ' + failure)
    if not failures:
        print('the report without rows = the report with them, but for the %d rows' % rows)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
