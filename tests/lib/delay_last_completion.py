#!/usr/bin/env python3
"""delay_last_completion.py IN OUT DELAY_NS: a guest.trace whose last virtio_xblk_complete comes DELAY_NS
later (its ts_ns field and ftrace's timestamp column), moved to the end so that the trace stays in time
order. For tests of what a request completing long after its submit does to the analyzer."""
import re
import sys


def main():
    source, target, delay = sys.argv[1], sys.argv[2], int(sys.argv[3])
    lines = open(source).read().splitlines(keepends=True)
    last = max(i for i, line in enumerate(lines) if "virtio_xblk_complete:" in line)
    line = lines.pop(last)
    ts = int(re.search(r"ts_ns=(\d+)", line).group(1))
    line = re.sub(r"ts_ns=\d+", "ts_ns=%d" % (ts + delay), line)
    column = re.search(r"(\d+)\.(\d{6}): virtio_xblk_complete", line)
    seconds = int(column.group(1)) * 1000000 + int(column.group(2)) + delay // 1000
    line = line.replace(column.group(0), "%d.%06d: virtio_xblk_complete" % divmod(seconds, 1000000))
    lines.append(line)
    open(target, "w").write("".join(lines))


if __name__ == "__main__":
    main()
