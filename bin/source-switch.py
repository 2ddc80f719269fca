#!/usr/bin/env python3
"""The host side of `vqscope record --sources`: switches the host's trace sources block by block.

    source-switch.py SESSION-DIR --qmp SOCKET --pid-file FILE [--timeout S]

Runs beside the guest's QEMU (bin/host-record.sh starts and stops it). Before each block of its
workload the guest (bin/guest-record.sh --sources) writes 'SEQ SET' into SESSION-DIR/.sources-request
and waits for SEQ in SESSION-DIR/.sources-ack. SET is one letter: U nothing traced, P the host probes
only, Q QEMU's trace events only, G the guest's tracepoints only (the guest switches those itself),
A all of them. For each request this script
  - detaches (SIGUSR1) or attaches again (SIGUSR2) vqscope-probe's programs (pid in .probe.pid) and
    waits for the probe's 'switched off/on' line in probe.log: after it, no detached program runs;
  - disables or enables QEMU's trace events of SESSION-DIR/qemu-events.list through QMP
    trace-event-set-state (nothing else of QEMU's is touched);
  - appends to SESSION-DIR/sources.log 'seq=K set=X probes=on|off|none qemu=on|off|none seen_ns=T0
    done_ns=T1' (host CLOCK_MONOTONIC: T0 when the request was read, T1 when both switches were done),
    then writes the ack.
A source the session does not record (no probe, --no-trace) is 'none' and left alone. At the start every
recorded source is on. Between requests it touches nothing of QEMU's (QMP is used only to switch: a
query would be main-loop work inside the blocks it measures). Exits 0 when QEMU (its pid in FILE) is
gone or on SIGTERM; 1 when a switch fails (the guest then times out waiting and says so), with the
reason on stderr.
"""
import argparse
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmp import QMP  # noqa: E402  (bin/qmp.py)

SETS = {'U': (False, False), 'P': (True, False), 'Q': (False, True), 'G': (False, False), 'A': (True, True)}
POLL_S = 0.05   # the request file is polled: in the lab, each poll is a 9p round trip through L1


def now_ns():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def fail(message):
    print('source-switch: ' + message, file=sys.stderr)
    sys.exit(1)


def read_request(path):
    """(seq, set) from the request file, None when absent or not yet complete."""
    try:
        text = open(path).read()
    except OSError:
        return None
    parts = text.split()
    if len(parts) != 2 or not parts[0].isdigit() or parts[1] not in SETS or not text.endswith('\n'):
        return None
    return int(parts[0]), parts[1]


def alive(pid_file):
    try:
        os.kill(int(open(pid_file).read()), 0)
        return True
    except (OSError, ValueError):
        return False


def switched_lines(log):
    try:
        return sum(1 for line in open(log, errors='replace') if ': switched o' in line)
    except OSError:
        return 0


class Probe:
    """vqscope-probe's programs, switched by signal and confirmed by its log line."""

    def __init__(self, directory):
        self.log = os.path.join(directory, 'probe.log')
        try:
            self.pid = int(open(os.path.join(directory, '.probe.pid')).read())
        except (OSError, ValueError):
            self.pid = None
        self.on = self.pid is not None

    def state(self):
        return 'none' if self.pid is None else ('on' if self.on else 'off')

    def set(self, on, timeout):
        if self.pid is None or on == self.on:
            return
        before = switched_lines(self.log)
        try:
            os.kill(self.pid, signal.SIGUSR2 if on else signal.SIGUSR1)
        except OSError as error:
            fail('cannot signal vqscope-probe (pid %d): %s' % (self.pid, error))
        deadline = time.monotonic() + timeout
        while switched_lines(self.log) <= before:
            if time.monotonic() > deadline:
                fail('vqscope-probe (pid %d) did not say "switched %s" in %s within %g s' %
                     (self.pid, 'on' if on else 'off', self.log, timeout))
            time.sleep(0.005)
        self.on = on


class QemuEvents:
    """QEMU's trace events of the session's list, switched through QMP."""

    def __init__(self, directory, qmp):
        path = os.path.join(directory, 'qemu-events.list')
        try:
            self.names = [line.strip() for line in open(path) if line.strip() and not line.startswith('#')]
        except OSError:
            self.names = []
        self.qmp = qmp
        self.on = bool(self.names)

    def state(self):
        return 'none' if not self.names else ('on' if self.on else 'off')

    def set(self, on):
        if not self.names or on == self.on:
            return
        for name in self.names:
            self.qmp.execute('trace-event-set-state', name=name, enable=on)
        self.on = on


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('directory')
    parser.add_argument('--qmp', required=True)
    parser.add_argument('--pid-file', required=True, help="QEMU's pid")
    parser.add_argument('--timeout', type=float, default=10.0, help='seconds to wait for the probe to switch')
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    request_path = os.path.join(args.directory, '.sources-request')
    ack_path = os.path.join(args.directory, '.sources-ack')
    log_path = os.path.join(args.directory, 'sources.log')
    try:
        qmp = QMP(args.qmp, timeout=120.0)
    except (OSError, ConnectionError) as error:
        fail('no QMP at %s: %s' % (args.qmp, error))
    deadline = time.monotonic() + 30
    while not alive(args.pid_file):   # QEMU answers QMP before, or just after, writing its pid file
        if time.monotonic() > deadline:
            fail('QMP answered but %s names no live process' % args.pid_file)
        time.sleep(0.1)
    probe, qemu = Probe(args.directory), QemuEvents(args.directory, qmp)
    last = None
    while True:
        request = read_request(request_path)
        if request is None or request[0] == last:
            if not alive(args.pid_file):
                return 0
            time.sleep(POLL_S)
            continue
        seen = now_ns()
        seq, which = request
        probes_on, qemu_on = SETS[which]
        probe.set(probes_on, args.timeout)
        try:
            qemu.set(qemu_on)
        except (OSError, ConnectionError, RuntimeError) as error:
            fail('block %d: QMP trace-event-set-state: %s' % (seq, error))
        done = now_ns()
        with open(log_path, 'a') as log:
            log.write('seq=%d set=%s probes=%s qemu=%s seen_ns=%d done_ns=%d\n' %
                      (seq, which, probe.state(), qemu.state(), seen, done))
        with open(ack_path + '.tmp', 'w') as ack:
            ack.write('%d\n' % seq)
        os.replace(ack_path + '.tmp', ack_path)
        last = seq


if __name__ == '__main__':
    sys.exit(main())
