#!/usr/bin/env python3
"""Minimal QMP client (the recorder's source switch, tests): connects to a QEMU QMP unix socket and runs commands.

    qmp.py SOCKET hmp "info virtio"         prints the HMP output
    qmp.py SOCKET qmp '{"execute": ...}'     prints the JSON "return" value
"""
import json
import socket
import sys
import time


class QMP:
    def __init__(self, path, timeout=30.0):
        deadline = time.time() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        self.sock.settimeout(timeout)
        self.buf = b''
        self._read()  # greeting
        self.execute('qmp_capabilities')

    def _read(self):
        while b'\n' not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError('QMP socket closed')
            self.buf += chunk
        line, self.buf = self.buf.split(b'\n', 1)
        return json.loads(line)

    def execute(self, command, **arguments):
        msg = {'execute': command}
        if arguments:
            msg['arguments'] = arguments
        self.sock.sendall(json.dumps(msg).encode() + b'\n')
        while True:
            reply = self._read()
            if 'event' in reply:
                continue
            if 'error' in reply:
                raise RuntimeError(f"{command}: {reply['error'].get('desc')}")
            return reply['return']

    def hmp(self, line):
        return self.execute('human-monitor-command', **{'command-line': line})


def main():
    if len(sys.argv) != 4 or sys.argv[2] not in ('hmp', 'qmp'):
        sys.exit(__doc__)
    q = QMP(sys.argv[1])
    if sys.argv[2] == 'hmp':
        sys.stdout.write(q.hmp(sys.argv[3]))
    else:
        cmd = json.loads(sys.argv[3])
        print(json.dumps(q.execute(cmd['execute'], **cmd.get('arguments', {}))))


if __name__ == '__main__':
    main()
