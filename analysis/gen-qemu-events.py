#!/usr/bin/env python3
"""Writes the analyzer's QEMU event names from the one list beside the devices.

    gen-qemu-events.py LIST HEADER      (analysis/Makefile: device/qemu-events.list -> .build/qemu_events.h)

LIST has one QEMU trace event name per line; lines starting with '#' and blank lines are skipped.
HEADER gets one constant per event, VQ_QEMU_EVENT_<NAME in capitals> "name", and VQ_QEMU_EVENTS(X), which
applies X(constant suffix, "name", line in LIST) to every event (tests/unit/analysis_qemu_events.c checks
them against a QEMU build's trace-events-all). The collectors compare event names with the constants, so
an event renamed or removed from the list is a compile error where the analyzer reads it, not a name
that silently matches nothing.

Errors (exit 1): LIST:LINE: what was found, what was expected.
"""
import os
import re
import sys

# QEMU's tracetool takes event names as C identifiers (they become trace_<name>() functions).
NAME = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')


def read_list(path):
    """[(name, line number)] of LIST, in order; exits with LIST:LINE: on a malformed line."""
    events, seen = [], {}
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError as e:
        sys.exit(f'{path}: cannot read: {e.strerror}')
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith('#'):
            continue
        if not NAME.fullmatch(text):
            sys.exit(f"{path}:{number}: expected one event name (a C identifier) per line; found '{text}'")
        # the constant's name: two events differing only in case would make the same one
        if text.upper() in seen:
            sys.exit(f'{path}:{number}: {text} is listed twice (first on line {seen[text.upper()]})')
        seen[text.upper()] = number
        events.append((text, number))
    if not events:
        sys.exit(f'{path}: no event names; expected one per line')
    return events


def header(list_name, events):
    out = [f'/* Generated from {list_name} by analysis/gen-qemu-events.py: do not edit. */',
           '#ifndef VQSCOPE_ANALYSIS_QEMU_EVENTS_H',
           '#define VQSCOPE_ANALYSIS_QEMU_EVENTS_H',
           '',
           f'#define VQ_QEMU_EVENTS_LIST "{list_name}"',
           '']
    out += [f'#define VQ_QEMU_EVENT_{name.upper()} "{name}"' for name, _ in events]
    out += ['', '/* X(constant suffix, "name", line in the list) for every listed event. */',
            '#define VQ_QEMU_EVENTS(X) \\']
    out += [f'    X({name.upper()}, "{name}", {number}) \\' for name, number in events]
    out += ['', '#endif', '']
    return '\n'.join(out)


def main():
    if len(sys.argv) != 3:
        sys.exit('usage: gen-qemu-events.py LIST HEADER')
    list_path, header_path = sys.argv[1], sys.argv[2]
    # The name the messages give: relative to the tree's top when the list is inside it.
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    list_name = os.path.relpath(os.path.abspath(list_path), top)
    if list_name.startswith('..'):
        list_name = list_path
    text = header(list_name, read_list(list_path))
    with open(header_path, 'w') as f:
        f.write(text)


if __name__ == '__main__':
    main()
