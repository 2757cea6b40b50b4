#!/usr/bin/env python3
"""End-to-end tests of leakrec.

Records the programs of tests/progs with the real recorder (build/leakrec), reads the traces
with the sanitized analyzer (build/san/leakanalyze) and checks exact, known figures.  Also runs
the unit test binaries given with --unit and adds up their counts.  The last line is
`N passed, M failed, K skipped`; the exit status is non-zero when anything failed.  A test
module of TEST_MODULES or a unit test that is missing counts as a failure, and every skipped
test is listed with its reason before the last line, so that no test vanishes silently.

    python3 tests/e2e/run.py --build build [--unit build/tests/test_tf ...] [-k PATTERN]
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import lib  # noqa: E402  (tests/e2e/lib.py)

TEST_MODULES = ["test_layout", "test_recorder", "test_analyzer", "test_diff", "test_growth",
                "test_robust", "test_bench", "test_unwind", "test_programs", "test_html", "test_export",
                "test_debuginfod", "test_reach", "test_lifetimes", "test_sample", "test_attached_trace",
                "test_attach"]


def run_units(paths):
    passed = failed = 0
    for path in paths:
        if not os.access(path.split()[0], os.X_OK):
            print(f"FAIL {path.split()[0]}: unit test missing")
            failed += 1
            continue
        p = subprocess.run(path.split(), capture_output=True, text=True)
        lines = p.stdout.strip().splitlines()
        m = re.match(r"(\d+) passed, (\d+) failed", lines[-1]) if lines else None
        if not m:
            print(f"FAIL {path}: no summary line (exit {p.returncode})\n{p.stdout}{p.stderr}")
            failed += 1
            continue
        passed += int(m.group(1))
        failed += int(m.group(2))
        bad = p.returncode != 0 and int(m.group(2)) == 0
        if bad:
            failed += 1
        for line in lines:
            if line.startswith("FAIL"):
                print(f"{os.path.basename(path)}: {line}")
        if bad:
            print(f"FAIL {path}: exit status {p.returncode}\n{p.stderr[-2000:]}")
        print(f"unit {os.path.basename(path.split()[0])}: {lines[-1]}")
    return passed, failed


def default_signals():
    """A runner started in the background (`make test &`) inherits SIGINT and SIGQUIT ignored,
    and so would every program it starts: the tests of signal endings need them at their
    defaults, as a terminal's shell gives them."""
    for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGHUP, signal.SIGTERM, signal.SIGUSR1,
                signal.SIGUSR2, signal.SIGALRM):
        if signal.getsignal(sig) == signal.SIG_IGN:
            signal.signal(sig, signal.default_int_handler if sig == signal.SIGINT else signal.SIG_DFL)


def main():
    default_signals()
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--unit", action="append", default=[])
    ap.add_argument("-k", default="")
    args = ap.parse_args()
    lib.setup(os.path.abspath(args.build))
    lib.UNITS = list(args.unit)

    passed, failed = run_units(args.unit)
    skipped = []
    with tempfile.TemporaryDirectory(prefix="leakrec-e2e-") as tmp:
        lib.TMP = tmp
        for modname in TEST_MODULES:
            if not os.path.exists(os.path.join(HERE, modname + ".py")):
                print(f"FAIL {modname}: test module missing (tests/e2e/{modname}.py)")
                failed += 1
                continue
            mod = __import__(modname)
            for name in sorted(n for n in dir(mod) if n.startswith("test_")):
                if args.k and args.k not in name:
                    continue
                fn = getattr(mod, name)
                try:
                    fn()
                    print(f"ok   {modname}.{name}")
                    passed += 1
                except lib.Skip as e:
                    print(f"skip {modname}.{name}: {e}")
                    skipped.append(f"{modname}.{name}: {e}")
                except Exception as e:  # noqa: BLE001  (a test failure of any kind)
                    failed += 1
                    print(f"FAIL {modname}.{name}: {e}")
                    if not isinstance(e, AssertionError):
                        traceback.print_exc()
    for s in skipped:
        print(f"skipped: {s}")
    print(f"{passed} passed, {failed} failed, {len(skipped)} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
