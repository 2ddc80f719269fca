#!/usr/bin/env python3
"""Wakes the nested lab's L1 up now and then, so that it cannot sleep through a lost interrupt.

    l1-waker.py QMP-SOCKET [--every SEC]

lab/run starts it beside L0's QEMU in lab and l1 mode, on a QMP monitor of its own. L0's QEMU (TCG,
10.0.13) now and then leaves an L1 vCPU halted with a deliverable interrupt in its local APIC (seen
2026-12-02 with `info lapic`: IRR 236, the local timer; ISR empty; PPR 0x10; IF=1; an NMI was taken,
so GIF=1): the vCPU's interrupt request was lost, and only another interrupt makes QEMU look at that
APIC again. Until then L1 sleeps through its own timer: a guest console that stops mid-line while L1
idles (lab/run's "stall"), or with one L1 vCPU a hang. One keyboard event into L1 delivered the
stranded timer interrupt at once.

Every SEC seconds (default 5) this sends a shift key press and release (QMP send-key): IRQ 1, which
L1 routes to its CPU 0. L1's /init has each of its CPUs wake the others (lab/init), which covers a CPU
other than 0. Exits 0 when QEMU closes the socket; 1 if it cannot connect within 60 s.
"""
import argparse
import json
import select
import socket
import sys
import time


def connect(path, timeout_s):
    """A QMP session on PATH, after the greeting and qmp_capabilities."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(path)
            break
        except OSError:
            sock.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    stream = sock.makefile('rw')
    stream.readline()  # the greeting
    command(stream, 'qmp_capabilities')
    return sock, stream


def command(stream, name, **arguments):
    """Runs one QMP command; returns its reply (events in between are skipped)."""
    stream.write(json.dumps({'execute': name, 'arguments': arguments} if arguments else {'execute': name}) + '\n')
    stream.flush()
    while True:
        line = stream.readline()
        if not line:
            raise EOFError('QEMU closed the QMP socket')
        reply = json.loads(line)
        if 'return' in reply or 'error' in reply:
            return reply


def main():
    ap = argparse.ArgumentParser(description='Sends L1 a keyboard event every few seconds (lab/run).')
    ap.add_argument('socket', metavar='QMP-SOCKET')
    ap.add_argument('--every', type=float, default=5.0, metavar='SEC')
    args = ap.parse_args()
    try:
        sock, stream = connect(args.socket, 60)
    except OSError as e:
        print(f'l1-waker: cannot connect to {args.socket}: {e}', file=sys.stderr)
        return 1
    shift = {'keys': [{'type': 'qcode', 'data': 'shift'}]}
    try:
        while True:
            # wait, but notice at once when QEMU exits (the socket reads end-of-file)
            deadline = time.monotonic() + args.every
            while (left := deadline - time.monotonic()) > 0:
                if select.select([sock], [], [], left)[0] and not stream.readline():
                    return 0  # QEMU exited (anything else read is an event)
            reply = command(stream, 'send-key', **shift)
            if 'error' in reply:
                print(f"l1-waker: send-key: {reply['error'].get('desc')}", file=sys.stderr)
                return 1
    except (OSError, EOFError, ValueError):
        return 0  # QEMU exited
    finally:
        sock.close()


if __name__ == '__main__':
    sys.exit(main())
