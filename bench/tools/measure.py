#!/usr/bin/env python3
"""Runs a command and writes its wall time and the peak resident memory of its children (the
largest one's: for a `sh -c` pipeline that is its biggest process) to FILE as
"wall_s max_rss_kb"; stdin and stdout pass through, so it can sit inside a pipeline.
   measure.py FILE COMMAND..."""
import resource
import subprocess
import sys
import time

start = time.monotonic()
rc = subprocess.call(sys.argv[2:])
wall = time.monotonic() - start
with open(sys.argv[1], "w") as f:
    f.write("%.3f %d\n" % (wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(rc)
