#!/usr/bin/env python3
"""Counts the events of a simpletrace file with QEMU's own scripts/simpletrace.py, printing nothing per
event: the ingest side of analysis/bench/simpletrace-ingest.sh's comparison.

    simpletrace-count.py SIMPLETRACE_DIR TRACE_EVENTS TRACE_FILE    prints "events N"

SIMPLETRACE_DIR: the directory of QEMU's simpletrace.py (its scripts/).
"""
import sys
sys.path.insert(0, sys.argv[1])
import simpletrace

class Count(simpletrace.Analyzer2):
    """simpletrace.py's own record reading and argument unpacking, nothing printed."""
    events = 0

    def catchall(self, *rec_args, event, timestamp_ns, pid, event_id, **kwargs):
        self.events += 1

analyzer = Count()
simpletrace.process(sys.argv[2], sys.argv[3], analyzer)
print("events", analyzer.events)
