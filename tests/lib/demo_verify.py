#!/usr/bin/env python3
"""Checks virtio-demo results printed by the guest's demo-client, independently of the guest.

Every `pair I a=A b=B product=P sum=S flags=F status=ST` line is recomputed here with Python's exact
integers: product and sum must equal a*b and a+b modulo 2^64 (as signed 64-bit), and the overflow flags
must be set exactly when the exact result does not fit in 64 bits. Usage:

    demo_verify.py LOG --count N [--require-edges]

Exit 0 when there are exactly N pair lines, numbered 0..N-1, all right; 1 otherwise, naming the line.
"""
import argparse
import re
import sys

INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
F_PRODUCT_OVERFLOW, F_SUM_OVERFLOW = 1, 2
PAIR = re.compile(r'pair (\d+) a=(-?\d+) b=(-?\d+) product=(-?\d+) sum=(-?\d+) flags=(\d+) status=(\d+)')
EDGES = {0, 1, -1, INT64_MIN, INT64_MAX, -(1 << 31), (1 << 31) - 1}


def wrap(v):
    """v modulo 2^64, as a signed 64-bit value."""
    v &= (1 << 64) - 1
    return v - (1 << 64) if v >> 63 else v


def check_pair(a, b, product, total, flags, status):
    """Returns a list of what is wrong with one device answer (empty when right)."""
    errors = []
    if not (INT64_MIN <= a <= INT64_MAX and INT64_MIN <= b <= INT64_MAX):
        errors.append('operand outside int64')
    exact_product, exact_sum = a * b, a + b
    if status != 0:
        errors.append(f'status {status}, expected 0')
    if product != wrap(exact_product):
        errors.append(f'product {product}, expected {wrap(exact_product)}')
    if total != wrap(exact_sum):
        errors.append(f'sum {total}, expected {wrap(exact_sum)}')
    want_flags = (F_PRODUCT_OVERFLOW if exact_product != wrap(exact_product) else 0) | \
                 (F_SUM_OVERFLOW if exact_sum != wrap(exact_sum) else 0)
    if flags != want_flags:
        errors.append(f'flags {flags}, expected {want_flags}')
    return errors


def verify(lines, count, require_edges):
    """Returns (ok, messages)."""
    problems, seen, values = [], [], set()
    overflowed = 0
    for lineno, line in enumerate(lines, 1):
        m = PAIR.search(line)
        if not m:
            continue
        i, a, b, product, total, flags, status = (int(x) for x in m.groups())
        seen.append(i)
        values.update((a, b))
        overflowed += flags != 0
        for e in check_pair(a, b, product, total, flags, status):
            problems.append(f'line {lineno} (pair {i}, a={a} b={b}): {e}')
    if seen != list(range(count)):
        problems.append(f'expected pairs 0..{count - 1} in order, got {len(seen)} pair lines')
    if require_edges:
        missing = EDGES - values
        if missing:
            problems.append(f'edge values never sent: {sorted(missing)}')
        if overflowed == 0:
            problems.append('no pair overflowed: overflow behaviour not exercised')
    return not problems, problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('log')
    ap.add_argument('--count', type=int, required=True)
    ap.add_argument('--require-edges', action='store_true')
    args = ap.parse_args()
    try:
        with open(args.log, errors='replace') as f:
            lines = f.read().splitlines()
    except OSError as e:
        sys.exit(f'demo_verify: {e}')
    ok, problems = verify(lines, args.count, args.require_edges)
    for p in problems[:20]:
        print(f'demo_verify: {args.log}: {p}')
    if len(problems) > 20:
        print(f'demo_verify: ... and {len(problems) - 20} more')
    print(f'demo_verify: {args.count} pairs expected, {"all right" if ok else f"{len(problems)} problems"}')
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
