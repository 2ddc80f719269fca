"""The lines of a session's guest trace, whichever way its events left the guest.

guest.trace is a header of '#' lines, then either ftrace's text or, when the guest streamed its events
during the run, the line '# events: guest.stream': the events are then in that binary stream, which
vqscope-tracedump (analysis/src/guest_stream.c, the one reader of the format) prints as the same
ftrace text. lines(PATH) yields the header's lines, then the events' lines, so a check reads both kinds
of session alike. A stream that does not decode ends the check with the reader's message.
"""
import os
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRACEDUMP = os.path.join(TOP, 'analysis', 'vqscope-tracedump')


def lines(path):
    """Yields every line of the guest trace at PATH (guest.trace), the streamed events included."""
    stream = None
    with open(path, errors='replace') as f:
        for line in f:
            if line.startswith('# events: '):
                stream = os.path.join(os.path.dirname(path), line.split()[2])
            yield line
    if stream is None:
        return
    dump = subprocess.Popen([TRACEDUMP, 'guest', stream], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, errors='replace')
    for line in dump.stdout:
        if not line.startswith('# guest '):   # the dump's summary line
            yield line
    _, err = dump.communicate()
    if dump.returncode != 0:
        sys.exit('%s: %s' % (stream, err.strip()[-500:]))
