"""Helpers of the end-to-end tests: run programs under leakrec, read traces with leakanalyze."""
import json
import os
import subprocess

BUILD = None
TMP = None
LEAKREC = None
ANALYZE = None
PROGS = None
UNITS = []  # the unit tests run.py was given (--unit)


class Skip(Exception):
    """Raised by a test that cannot run on this machine (says why)."""


def setup(build):
    global BUILD, LEAKREC, ANALYZE, PROGS
    # Debug info from debuginfod servers only where a test asks for it (test_debuginfod).
    os.environ.pop("DEBUGINFOD_URLS", None)
    BUILD = build
    LEAKREC = os.path.join(build, "leakrec")
    ANALYZE = os.path.join(build, "san", "leakanalyze")
    if not os.path.exists(ANALYZE):
        ANALYZE = os.path.join(build, "leakanalyze")
    PROGS = os.path.join(build, "tests")


def prog(name):
    return os.path.join(PROGS, name)


def tmp(name):
    return os.path.join(TMP, name)


def record(argv, trace=None, stdin=None, env=None, extra=(), timeout=120):
    """Runs argv under leakrec -q; returns (CompletedProcess, trace path)."""
    trace = trace or tmp(os.path.basename(argv[0]) + ".zst")
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([LEAKREC, "-q", "-o", trace, *extra, "--", *argv], input=stdin,
                       capture_output=True, env=e, timeout=timeout)
    return p, trace


def run_native(argv, stdin=None, timeout=120):
    return subprocess.run(argv, input=stdin, capture_output=True, timeout=timeout)


def analyze(*args, check=True, timeout=300):
    """Runs leakanalyze with args; returns the CompletedProcess (text)."""
    p = subprocess.run([ANALYZE, *args], capture_output=True, text=True, timeout=timeout)
    if "Sanitizer" in p.stderr or "runtime error" in p.stderr:
        raise AssertionError(f"sanitizer report from leakanalyze {' '.join(args)}:\n{p.stderr[-3000:]}")
    if check and p.returncode != 0:
        raise AssertionError(f"leakanalyze {' '.join(args)} exited {p.returncode}: {p.stderr[-2000:]}")
    return p


def report_json(trace, *args):
    p = analyze("--json", *args, trace)
    return json.loads(p.stdout)


def parse_kv(line):
    """'event t=1 tid=2 kind=alloc' -> ('event', {'t': '1', ...})."""
    parts = line.split(" ")
    d = {}
    for part in parts[1:]:
        if "=" in part:
            k, v = part.split("=", 1)
            d[k] = v
    return parts[0], d


def events(trace, merged=False):
    """The trace's events as dicts with int fields, in file order or merged time order.  `id` is
    the allocation's number (allocations) or the number of the allocation released (frees)."""
    args = ["dump", "--merged", trace] if merged else ["dump", trace]
    out = analyze(*args).stdout
    evs = []
    for line in out.splitlines():
        kind, d = parse_kv(line)
        if kind != "event":
            continue
        ev = {"t": int(d["t"]), "tid": int(d["tid"]), "kind": d["kind"], "func": d["func"],
              "id": int(d["id"])}
        if "size" in d:
            ev["size"] = int(d["size"])
            ev["stack"] = int(d["stack"])
        evs.append(ev)
    return evs


def records(trace, kind):
    """Every dump line of the given record kind, parsed."""
    out = analyze("dump", trace).stdout
    return [d for k, d in map(parse_kv, out.splitlines()) if k == kind]


def stack_functions(entry):
    return [f.get("function") or "" for f in entry["stack"]]


def find_stack(entries, function):
    """Entries (of a JSON section) whose stack has a frame in `function`."""
    return [e for e in entries if any(function == fn or fn.endswith("::" + function)
                                      for fn in stack_functions(e))]


def expect(cond, msg):
    if not cond:
        raise AssertionError(msg)
