#!/usr/bin/env python3
"""The clock alignment of one analysed session, as the end-to-end issue requires it.

    alignment_check.py REPORT.json

Under KVM (mode lab or kvm) the alignment must use the TSC: method "tsc", a stated error of at most
1 us, the TSC offset inside the causal interval (no bound violated), and no stitched request with a
negative stage. Without KVM (tcg) it must say "causal" and why. Prints the figures; exit 1 on the first
failed condition, 2 on unreadable input.
"""
import json
import sys

MAX_ERROR_NS = 1000


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    try:
        with open(sys.argv[1]) as f:
            report = json.load(f)
        alignment = report['alignment']
        mode = report['mode']
    except (OSError, ValueError, KeyError) as error:
        print('alignment_check: %s: %s' % (sys.argv[1], error), file=sys.stderr)
        return 2
    method = alignment.get('method')
    print('alignment: mode %s, method %s, error %s ns, causal [%s, %s], outside %s, reason %s; '
          '%s requests with a negative stage' % (mode, method, alignment.get('error_ns'), alignment.get('causal_lo'),
                                                 alignment.get('causal_hi'), alignment.get('outside'),
                                                 alignment.get('reason'), report['requests']['negative']))
    problems = []
    if mode in ('lab', 'kvm'):
        if method != 'tsc':
            problems.append('a %s session aligned by %s, not by the TSC (%s)' % (mode, method, alignment.get('reason')))
        elif alignment.get('error_ns') is None or alignment['error_ns'] > MAX_ERROR_NS:
            problems.append('stated alignment error %s ns > %d ns' % (alignment.get('error_ns'), MAX_ERROR_NS))
        if alignment.get('outside'):
            problems.append('the TSC offset falls outside the causal interval (%s bound)' % alignment['outside'])
    elif method != 'causal' or not alignment.get('reason'):
        problems.append('a %s session must say "causal" and why, not %s / %s' % (mode, method, alignment.get('reason')))
    if report['requests']['negative']:
        problems.append('%d stitched requests with a negative stage' % report['requests']['negative'])
    for problem in problems:
        print('FAIL: ' + problem)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
