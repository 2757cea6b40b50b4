"""The benchmark's smoke run: one round of tiny runs of every workload, native, under
leakrec and (when installed) under heaptrack; it fails when a run crashes, a checksum changes or a
trace is unreadable or incomplete.  The figures themselves are checked by `make bench`."""
import os
import subprocess
import sys

import lib
from lib import expect


def test_bench_smoke():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    p = subprocess.run([sys.executable, os.path.join(root, "bench", "run.py"), "--build", lib.BUILD,
                        "--smoke"], capture_output=True, text=True, timeout=600)
    expect(p.returncode == 0, f"bench/run.py --smoke exited {p.returncode}:\n{p.stdout[-3000:]}\n{p.stderr[-2000:]}")
    expect("nothing lost" in p.stdout, f"no loss check in the output:\n{p.stdout[-2000:]}")
