#!/usr/bin/env python3
"""Checks the session `vqscope top` left after q (tests/integration/86-top-tmux-tcg).

    check_top_session.py REPORT.json META.json

The report (vqscope-analyze --format json of the session) has stitched requests, and meta.json says the
session is partial because the user stopped it. Exit 1 naming what is not so.
"""
import json
import sys


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    report = json.load(open(sys.argv[1]))
    meta = json.load(open(sys.argv[2]))
    requests = report['requests']
    print('report: %d guest requests, %d stitched' % (requests['guest'], requests['stitched']))
    print('meta: status %s, why %r' % (meta['status'], meta['why']))
    errors = []
    if requests['stitched'] <= 0:
        errors.append('no stitched request in the report')
    if meta['status'] != 'partial':
        errors.append('meta.json status %r, expected partial (q stops the recording)' % meta['status'])
    if meta['why'] != 'interrupted by the user':
        errors.append('meta.json why %r, expected "interrupted by the user"' % meta['why'])
    for error in errors:
        print('error: ' + error)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
