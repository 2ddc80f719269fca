#!/usr/bin/env python3
"""Times a command for analysis/bench/simpletrace-ingest.sh.

    measure.py RUNS COMMAND...

Runs COMMAND RUNS times (its stdout discarded; a failing run is an error) and prints one line
"CPU_S WALL_S PEAK_RSS_KIB": the best CPU time (user + sys of the children, from getrusage), the best
wall time and the largest peak RSS (from /usr/bin/time).
"""
import os, resource, subprocess, sys, tempfile, time
runs, command = int(sys.argv[1]), sys.argv[2:]
# Peak RSS from /usr/bin/time: getrusage's ru_maxrss of a child forked from this Python would count
# Python's own pages (the high-water mark survives exec).
rss_file = tempfile.NamedTemporaryFile(delete=False).name
best_cpu = best_wall = None
peak = 0
for _ in range(runs):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file] + command, stdout=subprocess.DEVNULL,
                   check=True)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)
    best_wall = wall if best_wall is None else min(best_wall, wall)
    peak = max(peak, int(open(rss_file).read().split()[-1]))  # KiB
os.unlink(rss_file)
print(f"{best_cpu:.3f} {best_wall:.3f} {peak}")
