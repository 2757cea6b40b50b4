#!/usr/bin/env python3
"""Benchmark of leakrec against heaptrack (docs/bench.md).

For each workload of bench/ (built into BUILD/bench by bench/bench.mk) it runs the program natively,
under `leakrec -q -o T.zst` and under `heaptrack -o H`, interleaved (native, leakrec, heaptrack,
native, ...), one warm-up round and then --runs measured rounds.  After each measured round it reads
that round's traces with `leakanalyze --json` and `heaptrack_print`, timing both and taking their
peak RSS from os.wait4.  It prints the machine, a table of medians [min-max] with the ratios
leakrec/heaptrack, and one line per target (docs/bench.md) saying met / NOT met.

    python3 bench/run.py --build build [--runs 5] [--only churn1,cxx] [--json FILE] [--keep DIR]
    python3 bench/run.py --build build --smoke     # 1 round, tiny sizes, no warm-up
    python3 bench/run.py --build build --svc /work/play/svc/target/release/svc --only none

With --svc SERVER (an HTTP service taking `PORT LIMIT` arguments, e.g. the tokio service of issue
16) it also measures the throughput `wrk` gets from it natively, under leakrec and under leakrec
--sample, interleaved, and prints the ratios of the medians.

It also measures the speed of bench/attach_speed before `leakrec -p PID` attached and after it
detached, against a control run left alone as long (`--only attach` runs only that; see
docs/bench.md).

The exit status is 0 unless something failed: a workload crashed or timed out natively or under
leakrec, its output changed under leakrec, or leakanalyze could not read a trace.  Targets not met
do not change the status (pass --enforce for that).  heaptrack's own failures are reported but do
not change the status either: it is the reference, not the tool under test.  Standard library only.
"""
import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

# name, binary (in BUILD/bench), arguments of a full run, of a smoke run, single-threaded?, what
WORKLOADS = [
    ("churn1", "churn1", [], ["20000"], True, "1 thread, 16..512 B, 6 sites, 10..30 frames"),
    ("churn4", "churn4", [], ["5000"], False, "4 threads, 1/4 of frees on another thread"),
    ("deep", "deep", [], ["5000"], True, "1 thread, 57..65 frames"),
    ("cxx", "cxx", [], ["5000"], True, "C++ map/string/vector/shared_ptr"),
]

TOOLS = ("native", "leakrec", "sampled", "heaptrack")
# The sampled mode (issue 16): `leakrec --sample SAMPLE_RATE`.
SAMPLE_RATE = "512K"


# ---------------------------------------------------------------- running and measuring

class Result:
    """One child process: wall time, CPU time (user + system of every thread of the child and its
    waited-for descendants), peak RSS (KiB, the same processes), exit code (negative: killed by
    that signal), whether it timed out, and its output files."""

    def __init__(self, wall, rss_kb, code, timed_out, out, err, cpu=None):
        self.wall, self.rss_kb, self.code, self.timed_out = wall, rss_kb, code, timed_out
        self.cpu = cpu
        self.out, self.err = out, err

    @property
    def ok(self):
        return self.code == 0 and not self.timed_out

    def why(self):
        if self.timed_out:
            return f"timed out after {self.wall:.0f} s"
        if self.code < 0:
            return f"killed by signal {-self.code} ({signal.Signals(-self.code).name})"
        return f"exit status {self.code}"

    def tail(self, n=600):
        """The end of the child's stderr, for error messages."""
        try:
            with open(self.err, "rb") as f:
                data = f.read()
        except OSError:
            return ""
        return data[-n:].decode("utf-8", "replace").strip()


def run(cmd, out, err, timeout):
    """Runs cmd with stdout and stderr to files, in its own session (so a timeout kills the whole
    tree), and measures it with os.wait4."""
    with open(out, "wb") as fo, open(err, "wb") as fe:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=fo, stderr=fe,
                             start_new_session=True)
        timed_out = threading.Event()

        def kill():
            timed_out.set()
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    p.returncode = code  # reaped here; keeps Popen from waiting again
    if timed_out.is_set():
        # The program may have left children in its session (heaptrack's interpreter).
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
    return Result(wall, ru.ru_maxrss, code, timed_out.is_set(), out, err,
                  ru.ru_utime + ru.ru_stime)


def read_text(path, limit=1 << 20):
    try:
        with open(path, "rb") as f:
            return f.read(limit).decode("utf-8", "replace")
    except OSError:
        return ""


def tail_text(path, n=8192):
    try:
        with open(path, "rb") as f:
            f.seek(max(0, os.path.getsize(path) - n))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def checksum_line(path):
    """The workload's `NAME checksum N` line (heaptrack mixes its own lines into stdout)."""
    for line in read_text(path).splitlines():
        if " checksum " in line:
            return line.strip()
    return None


def end_record(analyze, trace, timeout):
    """The END record as `leakanalyze dump` prints it, as a dict of ints, or None."""
    dump = subprocess.Popen([analyze, "dump", trace], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    grep = subprocess.Popen(["grep", "-a", "^end "], stdin=dump.stdout, stdout=subprocess.PIPE)
    dump.stdout.close()
    try:
        text, _ = grep.communicate(timeout=timeout)
        dump.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        dump.kill()
        grep.kill()
        dump.wait()
        grep.wait()
        return None
    lines = text.decode("utf-8", "replace").splitlines()
    if not lines:
        return None
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", lines[-1])}


# ---------------------------------------------------------------- statistics and formatting

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def span(xs):
    xs = [x for x in xs if x is not None]
    return (min(xs), max(xs)) if xs else (None, None)


def ratio(a, b):
    return a / b if a is not None and b else None


def fnum(x, digits=2):
    if x is None:
        return "n/a"
    if abs(x) >= 1000:
        return f"{x:.0f}"
    if abs(x) >= 100:
        return f"{x:.1f}"
    return f"{x:.{digits}f}"


def cell(xs, scale=1.0, digits=2):
    """median [min-max] of xs divided by scale."""
    xs = [x / scale for x in xs if x is not None]
    if not xs:
        return "n/a"
    m, (lo, hi) = med(xs), span(xs)
    if len(xs) == 1:
        return fnum(m, digits)
    return f"{fnum(m, digits)} [{fnum(lo, digits)}-{fnum(hi, digits)}]"


def count(n):
    if n is None:
        return "n/a"
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= div:
            return f"{n / div:.2f}{unit}"
    return str(n)


def series(xs):
    """A value per run, or `V (all N)` when every run gave the same."""
    if not xs:
        return "n/a"
    if len(xs) > 1 and all(x == xs[0] for x in xs):
        return f"{xs[0]} (all {len(xs)})"
    return ",".join(str(x) for x in xs)


def loadavg():
    parts = read_text("/proc/loadavg").split()
    return " ".join(parts[:3]) if len(parts) >= 3 else "unknown"


def table(header, rows):
    """Left-aligned first two columns, the rest right-aligned."""
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    out = []
    for r in [header] + rows:
        parts = []
        for i, v in enumerate(r):
            v = str(v)
            parts.append(v.ljust(widths[i]) if i < 2 else v.rjust(widths[i]))
        out.append("  ".join(parts).rstrip())
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


# ---------------------------------------------------------------- the machine

def machine():
    model = "unknown"
    for line in read_text("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem = None
    m = re.search(r"MemTotal:\s+(\d+) kB", read_text("/proc/meminfo"))
    if m:
        mem = int(m.group(1)) * 1024
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count()
    return {"nproc": cpus, "cpu_model": model, "kernel": platform.release(),
            "memory_bytes": mem, "python": platform.python_version()}


def version(cmd):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (p.stdout + p.stderr).strip().splitlines()
    return text[0] if text else None


# ---------------------------------------------------------------- one workload

class Bench:
    def __init__(self, args):
        self.args = args
        build = os.path.abspath(args.build)
        self.leakrec = os.path.join(build, "leakrec")
        self.analyze = os.path.join(build, "leakanalyze")
        self.bindir = os.path.join(build, "bench")
        self.heaptrack = shutil.which("heaptrack")
        self.heaptrack_print = shutil.which("heaptrack_print")
        self.failures = []   # things that make the exit status 1
        self.notes = []      # odd things that do not
        self.tmp = None

    def fail(self, msg):
        self.failures.append(msg)
        print(f"  FAILED: {msg}", flush=True)

    def note(self, msg):
        self.notes.append(msg)
        print(f"  note: {msg}", flush=True)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def record(self, wl, tool, tag, argv):
        """One run of the workload under tool; returns (Result, trace path or None)."""
        out, err = self.path(f"{wl}-{tag}-{tool}.stdout"), self.path(f"{wl}-{tag}-{tool}.stderr")
        trace = None
        if tool == "native":
            cmd = argv
        elif tool == "leakrec":
            trace = self.path(f"{wl}.{tag}.leakrec.zst")
            cmd = [self.leakrec, "-q", "-o", trace, "--"] + argv
        elif tool == "sampled":
            trace = self.path(f"{wl}.{tag}.sampled.zst")
            cmd = [self.leakrec, "-q", "--sample", SAMPLE_RATE, "-o", trace, "--"] + argv
        else:
            base = self.path(f"{wl}.{tag}.heaptrack")
            cmd = [self.heaptrack, "-o", base] + argv
        r = run(cmd, out, err, self.args.timeout)
        if tool == "heaptrack":
            # heaptrack picks the suffix: .zst, or .gz where zstd is missing.
            found = [base + ext for ext in (".zst", ".gz") if os.path.exists(base + ext)]
            trace = found[0] if found else None
        return r, trace

    def workload(self, name, binary, full_args, smoke_args):
        prog = os.path.join(self.bindir, binary)
        argv = [prog] + (smoke_args if self.args.smoke else full_args)
        tools = [t for t in TOOLS if t != "heaptrack" or self.heaptrack]
        runs = {t: [] for t in TOOLS}
        sums = {}

        if not self.args.smoke:
            for tool in tools:  # warm-up: page cache, CPU frequency, dynamic linking
                r, trace = self.record(name, tool, "warmup", argv)
                if not r.ok:
                    self.report_run_failure(name, tool, "warm-up", r)
                self.remove(trace)

        for i in range(self.args.runs):
            tag = f"run{i + 1}"
            for tool in tools:
                r, trace = self.record(name, tool, tag, argv)
                entry = {"wall_s": r.wall, "cpu_s": r.cpu, "rss_kb": r.rss_kb, "exit": r.code,
                         "timed_out": r.timed_out}
                runs[tool].append(entry)
                line = checksum_line(r.out)
                if r.ok and line:
                    sums.setdefault(line, []).append(f"{tool} {tag}")
                if not r.ok:
                    self.report_run_failure(name, tool, tag, r)
                elif line is None:
                    msg = f"{name} {tool} {tag}: no checksum line on stdout"
                    (self.note if tool == "heaptrack" else self.fail)(msg)
                if tool in ("leakrec", "sampled"):
                    self.analyze_leakrec(name, tag, trace, entry, dump=(i == 0 or self.args.dump_all
                                                                      or self.args.smoke))
                elif tool == "heaptrack":
                    self.analyze_heaptrack(name, tag, trace, entry, r)
                self.remove(trace)
            print(f"  {tag}: " + ", ".join(
                f"{t} {runs[t][-1]['wall_s']:.2f} s" for t in tools), flush=True)

        # The program must compute the same thing under every tool.
        by_tool = {}
        for line, who in sums.items():
            for w in who:
                by_tool.setdefault(w.split()[0], set()).add(line)
        ours = (by_tool.get("native", set()) | by_tool.get("leakrec", set())
                | by_tool.get("sampled", set()))
        if len(ours) > 1:
            self.fail(f"{name}: the output differs between native and leakrec runs (full or sampled): "
                      + "; ".join(f"{k!r} from {', '.join(v)}" for k, v in sums.items()))
        elif len(ours | by_tool.get("heaptrack", set())) > 1:
            self.note(f"{name}: the output differs under heaptrack: "
                      + "; ".join(f"{k!r} from {', '.join(v)}" for k, v in sums.items()))
        return {"argv": [binary] + argv[1:], "runs": runs, "checksums": sorted(sums)}

    def report_run_failure(self, name, tool, tag, r):
        msg = f"{name} under {tool} ({tag}): {r.why()}"
        tail = r.tail()
        if tail:
            msg += ": " + tail.replace("\n", " | ")[-400:]
        (self.note if tool == "heaptrack" else self.fail)(msg)

    def analyze_leakrec(self, name, tag, trace, entry, dump):
        if not trace or not os.path.exists(trace):
            if entry["exit"] == 0:
                self.fail(f"{name} leakrec {tag}: no trace file was written")
            return
        entry["trace_bytes"] = os.path.getsize(trace)
        out, err = self.path(f"{name}.{tag}.json"), self.path(f"{name}.{tag}.json.err")
        a = run([self.analyze, "--json", trace], out, err, self.args.timeout)
        entry["analyze_s"], entry["analyze_rss_kb"] = a.wall, a.rss_kb
        if not a.ok:
            self.fail(f"{name} leakanalyze --json ({tag}): {a.why()}: {a.tail()}")
            return
        try:
            with open(out, encoding="utf-8") as f:
                d = json.load(f).get("diagnostics", {})
        except (OSError, ValueError) as e:
            self.fail(f"{name} leakanalyze --json ({tag}): output is not JSON: {e}")
            return
        finally:
            self.remove(out)
        entry["events_read"] = d.get("events")
        entry["complete"] = d.get("complete")
        entry["dropped"] = d.get("dropped_events")
        warn = a.tail()
        if warn:
            self.note(f"{name} leakanalyze ({tag}) said: {warn}")
        if dump:
            end = end_record(self.analyze, trace, self.args.timeout)
            if end is None:
                self.fail(f"{name} leakanalyze dump ({tag}): no end record in the trace")
            else:
                entry["events_end"] = end.get("events")
                entry["allocs_end"] = end.get("allocs")
                entry["frees_end"] = end.get("frees")
                entry["stacks_end"] = end.get("stacks")
                entry["dropped"] = end.get("dropped", entry["dropped"])

    def analyze_heaptrack(self, name, tag, trace, entry, r):
        if not trace:
            if r.ok:
                self.note(f"{name} heaptrack {tag}: no output file was written")
            return
        entry["trace_bytes"] = os.path.getsize(trace)
        entry["trace_name"] = os.path.basename(trace)
        if not self.heaptrack_print:
            return
        out, err = self.path(f"{name}.{tag}.hp"), self.path(f"{name}.{tag}.hp.err")
        a = run([self.heaptrack_print, trace], out, err, self.args.timeout)
        entry["analyze_s"], entry["analyze_rss_kb"] = a.wall, a.rss_kb
        m = re.search(r"calls to allocation functions: (\d+)", tail_text(out))
        if m:
            entry["alloc_calls"] = int(m.group(1))
        self.remove(out)
        if not a.ok:
            self.note(f"{name} heaptrack_print ({tag}): {a.why()}: {a.tail()}")
            entry["analyze_s"] = entry["analyze_rss_kb"] = None

    def remove(self, path):
        if path and os.path.exists(path):
            if self.args.keep:
                shutil.move(path, os.path.join(self.args.keep, os.path.basename(path)))
            else:
                os.unlink(path)


# ---------------------------------------------------------------- summary, table, targets

def summarize(res):
    """Medians and per-round figures of one workload."""
    runs = res["runs"]
    lr = runs["leakrec"]
    ends = [e.get("events_end") for e in lr]
    reads = [e.get("events_read") for e in lr]
    events = med(ends) or med(reads)
    s = {"events": events}
    native = [e["wall_s"] if e["exit"] == 0 else None for e in runs["native"]]
    native_cpu = [e.get("cpu_s") if e["exit"] == 0 else None for e in runs["native"]]
    for tool in TOOLS:
        rr = runs[tool]
        if not rr:
            continue
        walls = [e["wall_s"] if e["exit"] == 0 and not e["timed_out"] else None for e in rr]
        slow = [w / n if w is not None and n else None for w, n in zip(walls, native)]
        cpus = [e.get("cpu_s") if e["exit"] == 0 and not e["timed_out"] else None for e in rr]
        cpu_x = [c / n if c is not None and n else None for c, n in zip(cpus, native_cpu)]
        size = [e.get("trace_bytes") for e in rr]
        bpe = [b / events if b is not None and events else None for b in size]
        s[tool] = {"wall": walls, "slowdown": slow, "cpu": cpus, "cpu_x": cpu_x,
                   "bytes": size, "bytes_per_event": bpe,
                   "analyze_s": [e.get("analyze_s") for e in rr],
                   "analyze_rss": [e.get("analyze_rss_kb") for e in rr],
                   "rss": [e.get("rss_kb") for e in rr]}
        s[tool]["median"] = {k: med(v) for k, v in s[tool].items() if isinstance(v, list)}
    if "sampled" in s and runs["sampled"]:
        s["size_ratio"] = [b / f if b is not None and f else None
                           for b, f in zip(s["sampled"]["bytes"], s["leakrec"]["bytes"])]
    lost = []
    for i, e in enumerate(lr + runs.get("sampled", [])):
        if e["exit"] != 0:
            continue
        if e.get("complete") is not True:
            lost.append(f"run {i % len(lr) + 1}{' sampled' if i >= len(lr) else ''}: analyzer "
                        f"says incomplete")
        if e.get("dropped"):
            lost.append(f"run {i + 1}: {e['dropped']} dropped")
        if e.get("events_end") is not None and e.get("events_end") != e.get("events_read"):
            lost.append(f"run {i + 1}: END counts {e['events_end']}, read {e.get('events_read')}")
    s["lost"] = lost
    s["ends"], s["reads"] = ends, reads
    return s


def print_tables(results, sums, have_ht):
    rows = []
    for name, s in sums.items():
        ev = s["events"]
        for tool in TOOLS:
            if tool not in s:
                continue
            t = s[tool]
            rows.append([name if tool == "native" else "", tool, cell(t["wall"]),
                         cell(t["slowdown"]) if tool != "native" else "1",
                         cell(t["cpu_x"]) if tool != "native" else "1",
                         cell(t["bytes"], 1 << 20) if tool != "native" else "",
                         fnum(med(t["bytes_per_event"])) if tool != "native" else "",
                         (fnum(ev / med(t["wall"]) / 1e6) if ev and med(t["wall"]) else "n/a")
                         if tool != "sampled" else ""])
        if have_ht and "heaptrack" in s:
            lm, hm = s["leakrec"]["median"], s["heaptrack"]["median"]
            rows.append(["", "leakrec/heaptrack", fnum(ratio(lm["wall"], hm["wall"])),
                         fnum(ratio(lm["slowdown"], hm["slowdown"])), "",
                         fnum(ratio(lm["bytes"], hm["bytes"])),
                         fnum(ratio(lm["bytes_per_event"], hm["bytes_per_event"])), ""])
    print("\nRecording: medians [min-max] over the measured runs; slowdown = wall / native wall "
          "of the same round, CPU x = (user + system time of every thread) / native's of the same "
          f"round; sampled = leakrec --sample {SAMPLE_RATE}")
    print(table(["workload", "tool", "wall s", "slowdown x", "CPU x", "trace MiB", "B/event",
                 "Mevents/s"], rows))
    rows = []
    for name, s in sums.items():
        if "size_ratio" in s:
            rows.append([name, "sampled/full", cell(s["size_ratio"], digits=4),
                         fnum(ratio(s["sampled"]["median"]["bytes"],
                                    s["leakrec"]["median"]["bytes"]), 4)])
    if rows:
        print(f"\nTrace size of leakrec --sample {SAMPLE_RATE} against the full trace of the same "
              f"round: median [min-max] of the per-round ratios, ratio of the medians")
        print(table(["workload", "ratio", "per round", "of medians"], rows))

    rows = []
    for name, s in sums.items():
        l = s.get("leakrec", {})
        h = s.get("heaptrack", {}) if have_ht else {}
        if l:
            rows.append([name, "leakanalyze --json", cell(l["analyze_s"]),
                         cell(l["analyze_rss"], 1024, 1)])
        if h:
            rows.append(["", "heaptrack_print", cell(h["analyze_s"]),
                         cell(h["analyze_rss"], 1024, 1)])
            rows.append(["", "leakanalyze/heaptrack_print",
                         fnum(ratio(l["median"]["analyze_s"], h["median"]["analyze_s"])),
                         fnum(ratio(l["median"]["analyze_rss"], h["median"]["analyze_rss"]))])
    print("\nAnalysis of the same round's trace: wall time and peak RSS of the analyzer")
    print(table(["workload", "analyzer", "wall s", "peak RSS MiB"], rows))

    rows = []
    for name, s in sums.items():
        lr = results[name]["runs"]["leakrec"]
        ht = results[name]["runs"].get("heaptrack") or []
        calls = med([e.get("alloc_calls") for e in ht])
        ends = [e.get("events_end") for e in lr if e.get("events_end") is not None]
        rows.append([name, count(s["events"]),
                     series(ends), series([e.get("events_read") for e in lr]),
                     series([e.get("dropped") for e in lr]),
                     count(med([e.get("allocs_end") for e in lr])), count(calls),
                     str(med([e.get("stacks_end") for e in lr]) or "n/a"),
                     "ok" if not s["lost"] else "LOST"])
    print("\nEvents: END record (leakanalyze dump), events read (leakanalyze --json), dropped; "
          "heaptrack's own count of allocation calls for comparison")
    print(table(["workload", "events", "END events", "read", "dropped", "leakrec allocs",
                 "heaptrack allocs", "stacks", "lost?"], rows))


def targets(sums, have_ht):
    """[(met or None, text)] for the targets of docs/bench.md (None: could not be measured)."""
    out = []

    def add(ok, text):
        out.append((ok, text))

    if not have_ht:
        add(None, "slowdown, trace size and analyzer figures against heaptrack: heaptrack not run")
    for name, s in sums.items():
        if not have_ht or "heaptrack" not in s:
            continue
        limit, lname = (1 / 3, "1/3") if name == "churn4" else (1 / 2, "1/2")
        r = ratio(s["leakrec"]["median"]["slowdown"], s["heaptrack"]["median"]["slowdown"])
        add(None if r is None else r <= limit,
            f"slowdown {name}: leakrec/heaptrack {fnum(r)} <= {lname}")
    if "churn1" in sums and "churn4" in sums:
        t = {}
        for n in ("churn1", "churn4"):
            ev, w = sums[n]["events"], sums[n]["leakrec"]["median"]["wall"]
            t[n] = ev / w if ev and w else None
        ok = None if None in t.values() else t["churn4"] >= t["churn1"]
        add(ok, f"throughput under leakrec: churn4 {fnum(t['churn4'] and t['churn4'] / 1e6)} "
                f">= churn1 {fnum(t['churn1'] and t['churn1'] / 1e6)} Mevents/s")
    for name, s in sums.items():
        if not have_ht or "heaptrack" not in s:
            continue
        single = next(w[4] for w in WORKLOADS if w[0] == name)
        limit, lname = (1 / 2, "1/2") if single else (1.0, "1")
        r = ratio(s["leakrec"]["median"]["bytes"], s["heaptrack"]["median"]["bytes"])
        add(None if r is None else r <= limit,
            f"trace size {name}: leakrec/heaptrack {fnum(r)} <= {lname}")
    for name, s in sums.items():
        if not have_ht or "heaptrack" not in s:
            continue
        lm, hm = s["leakrec"]["median"], s["heaptrack"]["median"]
        r = ratio(lm["analyze_s"], hm["analyze_s"])
        add(None if r is None else r <= 0.5,
            f"analyzer time {name}: leakanalyze/heaptrack_print {fnum(r)} <= 1/2")
        r = ratio(lm["analyze_rss"], hm["analyze_rss"])
        add(None if r is None else r <= 1.0,
            f"analyzer peak RSS {name}: leakanalyze/heaptrack_print {fnum(r)} <= 1")
    for name, s in sums.items():
        if "sampled" not in s:
            continue
        m = s["sampled"]["median"]
        add(None if m["slowdown"] is None else m["slowdown"] <= 1.03,
            f"sampled {name}: wall {fnum(m['slowdown'], 3)}x native <= 1.03 (issue 16)")
        add(None if m["cpu_x"] is None else m["cpu_x"] <= 1.05,
            f"sampled {name}: CPU time {fnum(m['cpu_x'], 3)}x native <= 1.05 (issue 16)")
        r = med(s.get("size_ratio", []))
        add(None if r is None else r <= 0.01,
            f"sampled {name}: trace {fnum(r, 4)} of the full trace <= 1/100 (issue 16)")
    for name, s in sums.items():
        n = sum(1 for e in s["reads"] if e is not None)
        if n == 0:
            add(None, f"nothing lost {name}: no leakrec run could be read")
        elif s["lost"]:
            add(False, f"nothing lost {name}: " + "; ".join(s["lost"]))
        else:
            add(True, f"nothing lost {name}: {n} of {len(s['reads'])} runs complete, END events "
                      f"== events read, 0 dropped")
    return out


# ---------------------------------------------------------------- attach and detach (issue 17)

# `--only attach` runs only this part (bench/attach_speed.c, docs/bench.md).
ATTACH = "attach"
ATTACH_PROG = "attach_speed"
ATTACH_TOL = 0.02  # the target: after/before at least 1 - ATTACH_TOL


class RateReader:
    """attach_speed's `rate N WALL CPU` lines as (arrival time, steps per CPU second, steps per
    wall second), read by a thread; its other lines (the checksum) kept apart."""

    def __init__(self, f):
        self.cv = threading.Condition()
        self.rates, self.other, self.done = [], [], False
        self.thread = threading.Thread(target=self._read, args=(f,), daemon=True)
        self.thread.start()

    def _read(self, f):
        for line in iter(f.readline, b""):
            parts = line.split()
            with self.cv:
                if len(parts) == 4 and parts[0] == b"rate":
                    self.rates.append((time.monotonic(), float(parts[3]), float(parts[2])))
                else:
                    self.other.append(line.decode("utf-8", "replace").strip())
                self.cv.notify_all()
        with self.cv:
            self.done = True
            self.cv.notify_all()

    def wait(self, pred, timeout):
        """True once pred(rates) holds; False when the program ended or the time ran out."""
        end = time.monotonic() + timeout
        with self.cv:
            while not pred(self.rates):
                left = end - time.monotonic()
                if self.done or left <= 0:
                    return False
                self.cv.wait(min(left, 0.5))
            return True


# The variants of attach_speed: single-threaded, and after a thread came and went (glibc's malloc
# then never again takes its single-thread path, with or without leakrec).
ATTACH_VARIANTS = (("1 thread", []), ("after a thread", ["thread"]))


def attach_round(b, args, mode, tag, hold_s=None, variant=()):
    """One run of attach_speed: its rate over `before` periods, then `leakrec -p PID --duration D`
    (mode "attach") or an idle wait of hold_s seconds (mode "control"), `settle` periods, then
    `after` periods.  Returns a dict with the medians and the ratio after/before, or None."""
    smoke = args.smoke
    period = 0.05 if smoke else 0.1
    skip, before, settle, after = (2, 3, 2, 3) if smoke else (3, 10, 6, 10)
    duration = "200ms" if smoke else "1s"
    prog = os.path.join(b.bindir, ATTACH_PROG)
    tag = tag + "".join("-" + v for v in variant)
    err = b.path(f"attach-{tag}-{mode}.stderr")
    limit = min(args.timeout, 120)
    with open(err, "wb") as fe:
        p = subprocess.Popen([prog, str(int(period * 1000)), *variant], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=fe, start_new_session=True)
    rr = RateReader(p.stdout)
    res = None
    try:
        if not rr.wait(lambda r: len(r) >= skip + before, limit):
            b.fail(f"attach {mode} {tag}: {ATTACH_PROG} printed {len(rr.rates)} rates, "
                   f"not {skip + before}: {read_text(err)[-300:]}")
            return None
        t_a = time.monotonic()
        entry = {"mode": mode}
        if mode == "attach":
            trace = b.path(f"attach.{tag}.zst")
            out, lerr = b.path(f"attach-{tag}-leakrec.stdout"), b.path(f"attach-{tag}-leakrec.stderr")
            r = run([b.leakrec, "-p", str(p.pid), "--duration", duration, "-o", trace], out, lerr,
                    limit)
            text = read_text(lerr)
            entry["leakrec_s"] = r.wall
            if not r.ok:
                b.fail(f"attach {tag}: leakrec -p {r.why()}: {text[-400:]}")
                return None
            for want in (f"leakrec: attached to {p.pid}", f"leakrec: detached from {p.pid}"):
                if want not in text:
                    b.fail(f"attach {tag}: leakrec -p did not say '{want}': {text[-400:]}")
                    return None
            entry.update(attach_trace(b, tag, trace))
            b.remove(trace)
        else:
            time.sleep(hold_s)
        t_d = time.monotonic()
        # a period whose line came at t covers (t - period, t]: after ones start settle periods
        # after the end of the attach
        first = t_d + settle * period

        def after_ones(rates):
            return [r for r in rates if r[0] - period >= first]

        if not rr.wait(lambda r: len(after_ones(r)) >= after, limit):
            b.fail(f"attach {mode} {tag}: {ATTACH_PROG} stopped reporting after "
                   f"{'the detach' if mode == 'attach' else 'the wait'}: {read_text(err)[-300:]}")
            return None
        with rr.cv:
            pre = [r for r in rr.rates if r[0] <= t_a][skip:][-before:]
            post = after_ones(rr.rates)[:after]
        entry["before"], entry["after"] = med([r[1] for r in pre]), med([r[1] for r in post])
        entry["ratio"] = ratio(entry["after"], entry["before"])
        entry["wall_ratio"] = ratio(med([r[2] for r in post]), med([r[2] for r in pre]))
        res = entry
    finally:
        try:
            p.stdin.close()
        except OSError:
            pass
        try:
            p.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            b.fail(f"attach {mode} {tag}: {ATTACH_PROG} did not end at EOF on stdin")
            res = None
        rr.thread.join(timeout=10)
    if p.returncode != 0:
        b.fail(f"attach {mode} {tag}: {ATTACH_PROG} exit status {p.returncode}: "
               f"{read_text(err)[-300:]}")
        return None
    sums = [ln for ln in rr.other if " checksum " in ln]
    if len(sums) != 1 or not sums[0].endswith(" errors 0"):
        b.fail(f"attach {mode} {tag}: {ATTACH_PROG} output {rr.other[-3:]}")
        return None
    if res is not None:
        res["checksum"] = sums[0]
    return res


def attach_trace(b, tag, trace):
    """The attached trace read back: complete, nothing lost."""
    out, err = b.path(f"attach.{tag}.json"), b.path(f"attach.{tag}.json.err")
    a = run([b.analyze, "--json", trace], out, err, b.args.timeout)
    got = {}
    try:
        with open(out, encoding="utf-8") as f:
            d = json.load(f)
        got = {"events_read": d["diagnostics"]["events"], "complete": d["diagnostics"]["complete"],
               "attached": d["summary"].get("attached")}
    except (OSError, ValueError, KeyError) as e:
        b.fail(f"attach {tag}: leakanalyze --json: {a.why()}: {e}: {a.tail()}")
        return got
    finally:
        b.remove(out)
    if not got["complete"]:
        b.fail(f"attach {tag}: the attached trace is incomplete: "
               f"{d['diagnostics'].get('incomplete_reason')}")
    if got["attached"] is not True:
        b.fail(f"attach {tag}: the trace does not say it was attached (summary.attached "
               f"{got['attached']!r})")
    return got


def attach_bench(b, args):
    """Rounds of attach_speed attached and detached (mode attach) and left alone for as long (mode
    control), interleaved after a warm-up round, for each variant; returns
    {variant: {mode: [entries]}}."""
    res = {name: {"attach": [], "control": []} for name, _ in ATTACH_VARIANTS}
    rounds = args.runs + (0 if args.smoke else 1)
    for i in range(rounds):
        tag = "warmup" if i == 0 and not args.smoke else f"run{i + (1 if args.smoke else 0)}"
        for name, variant in ATTACH_VARIANTS:
            a = attach_round(b, args, "attach", tag, variant=variant)
            hold = a["leakrec_s"] if a else (0.2 if args.smoke else 1.0)
            c = attach_round(b, args, "control", tag, hold, variant=variant)
            if tag == "warmup":
                continue
            for mode, e in (("attach", a), ("control", c)):
                if e:
                    res[name][mode].append(e)
            print(f"  {tag} {name}: " + ", ".join(f"{m} after/before {fnum(e['ratio'], 3)}"
                                                  for m, e in (("attach", a), ("control", c)) if e)
                  + (f", leakrec -p {a['leakrec_s']:.2f} s" if a else ""), flush=True)
    sums = {e["checksum"] for v in res.values() for m in v.values() for e in m}
    if len(sums) > 1:
        b.fail(f"attach: {ATTACH_PROG}'s checksum differs between runs: {sorted(sums)}")
    return res


def print_attach(res):
    print(f"\nAttach and detach: {ATTACH_PROG} (churn1's work, 1 thread) reports its steps per "
          f"second of its thread's CPU time every period; rate before (median of the periods "
          f"before), `leakrec -p PID --duration D` (attach) or an idle wait as long (control), rate "
          f"after (median of the periods after, once settled); wall x = the same ratio of steps "
          f"per wall second; medians [min-max] over the rounds")
    rows = []
    for (name, _), mode in ((v, m) for v in ATTACH_VARIANTS for m in ("attach", "control")):
        es = res[name][mode]
        rows.append([name if mode == "attach" else "", mode, cell([e["before"] for e in es], 1e6),
                     cell([e["after"] for e in es], 1e6),
                     cell([e["ratio"] for e in es], digits=3),
                     cell([e["wall_ratio"] for e in es], digits=3),
                     cell([e.get("leakrec_s") for e in es]) if mode == "attach" else ""])
    print(table(["variant", "mode", "before Msteps/s", "after Msteps/s", "after/before", "wall x",
                 "leakrec -p s"], rows))


def attach_targets(res):
    """[(met or None, text)] per variant: the speed after detach is the speed before (at least
    1 - ATTACH_TOL of it); the control (the same program left alone as long) is shown next to it:
    how much the ratio moves by itself."""
    out = []
    for name, _ in ATTACH_VARIANTS:
        ra = med([e["ratio"] for e in res[name]["attach"]])
        rc = med([e["ratio"] for e in res[name]["control"]])
        if ra is None or rc is None:
            out.append((None, f"attach ({name}): speed after detach / before: not measured"))
            continue
        out.append((ra >= 1 - ATTACH_TOL,
                    f"attach ({name}): speed after detach / before {fnum(ra, 3)} >= "
                    f"{1 - ATTACH_TOL:.2f} (control, left alone: {fnum(rc, 3)}) (issue 17)"))
    return out


# ---------------------------------------------------------------- a service under load

def wait_port(port, timeout=10.0):
    import socket
    t0 = time.time()
    while time.time() - t0 < timeout:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def svc_bench(b, args):
    """Throughput (wrk requests/s) of args.svc natively, under leakrec and leakrec --sample,
    interleaved over args.svc_runs rounds; returns {tool: [req/s]} and {tool: [trace bytes]}."""
    wrk = shutil.which("wrk")
    if not wrk:
        print("svc: wrk is not installed (apt-get install wrk); skipped")
        return None
    port = 18500 + os.getpid() % 400
    tools = ("native", "leakrec", "sampled")
    rps = {t: [] for t in tools}
    size = {t: [] for t in tools}
    for i in range(args.svc_runs + 1):  # round 0 warms up
        for tool in tools:
            port += 1
            trace = b.path(f"svc.{i}.{tool}.zst")
            cmd = [args.svc, str(port), "1000000000000"]
            if tool == "leakrec":
                cmd = [b.leakrec, "-q", "-o", trace, "--"] + cmd
            elif tool == "sampled":
                cmd = [b.leakrec, "-q", "--sample", SAMPLE_RATE, "-o", trace, "--"] + cmd
            p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 start_new_session=True)
            if not wait_port(port):
                b.fail(f"svc {tool}: the service did not listen on {port}")
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
                continue
            w = subprocess.run([wrk, f"-t{args.svc_threads}", f"-c{args.svc_conns}",
                                f"-d{args.svc_seconds}s", f"http://127.0.0.1:{port}/"],
                               capture_output=True, text=True)
            os.killpg(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
                b.fail(f"svc {tool}: did not end on SIGTERM")
            m = re.search(r"Requests/sec:\s+([\d.]+)", w.stdout)
            if not m:
                b.fail(f"svc {tool}: no throughput from wrk: {w.stdout[-300:]} {w.stderr[-300:]}")
                continue
            if i == 0:
                b.remove(trace)
                continue
            rps[tool].append(float(m.group(1)))
            if os.path.exists(trace):
                size[tool].append(os.path.getsize(trace))
                b.remove(trace)
        if i:
            print(f"  svc round {i}: " + ", ".join(f"{t} {rps[t][-1]:.0f} req/s"
                                                   for t in tools if rps[t]), flush=True)
    return rps, size


def print_svc(res, args):
    rps, size = res
    print(f"\nService under load: {os.path.basename(args.svc)}, wrk -t{args.svc_threads} "
          f"-c{args.svc_conns} -d{args.svc_seconds}s, {args.svc_runs} rounds interleaved; "
          f"throughput / native throughput of the same round")
    rows = []
    for t in ("native", "leakrec", "sampled"):
        per = [x / n for x, n in zip(rps[t], rps["native"]) if n]
        rows.append([t, cell(rps[t], digits=0), cell(per, digits=3) if t != "native" else "1",
                     cell(size[t], 1 << 20) if size[t] else ""])
    print(table(["tool", "req/s", "throughput x", "trace MiB"], rows))
    s = [x / n for x, n in zip(rps["sampled"], rps["native"]) if n]
    r = med(s)
    print(f"  {'n/a    ' if r is None else 'met    ' if r >= 0.97 else 'NOT met'}  sampled service: "
          f"throughput {fnum(r, 3)} of native >= 0.97 (issue 16)")


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build", help="build folder (default build)")
    ap.add_argument("--runs", type=int, default=5, help="measured rounds (default 5)")
    ap.add_argument("--smoke", action="store_true",
                    help="1 round, tiny sizes, no warm-up: checks that everything runs")
    ap.add_argument("--only", default="", help="comma-separated workloads")
    ap.add_argument("--json", metavar="FILE", help="write the raw figures to FILE")
    ap.add_argument("--keep", metavar="DIR", help="keep the traces and outputs in DIR")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per run (default 600)")
    ap.add_argument("--dump-all", action="store_true",
                    help="read the END record of every leakrec trace (default: first round only)")
    ap.add_argument("--enforce", action="store_true", help="exit 1 when a target is not met")
    ap.add_argument("--svc", metavar="SERVER", help="also measure this HTTP service under wrk")
    ap.add_argument("--svc-runs", type=int, default=5, help="measured rounds of --svc (default 5)")
    ap.add_argument("--svc-seconds", type=int, default=10, help="wrk's duration (default 10)")
    ap.add_argument("--svc-threads", type=int, default=2, help="wrk's threads (default 2)")
    ap.add_argument("--svc-conns", type=int, default=32, help="wrk's connections (default 32)")
    args = ap.parse_args()
    if args.smoke:
        args.runs = 1
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    names = [w[0] for w in WORKLOADS]
    only = [x for x in args.only.split(",") if x]
    for x in only:
        if x not in names and x not in ("none", ATTACH):
            ap.error(f"unknown workload {x!r} (known: {', '.join(names + [ATTACH])})")
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)

    b = Bench(args)
    missing = [p for p in [b.leakrec, b.analyze] +
               [os.path.join(b.bindir, w[1]) for w in WORKLOADS if not only or w[0] in only] +
               ([os.path.join(b.bindir, ATTACH_PROG)] if not only or ATTACH in only else [])
               if not os.access(p, os.X_OK)]
    if missing:
        print(f"run.py: missing {', '.join(missing)}: run `make bench` (or make -f ... "
              f"build/bench/...) first", file=sys.stderr)
        return 2

    mach = machine()
    mem = f", {mach['memory_bytes'] / (1 << 30):.1f} GiB" if mach["memory_bytes"] else ""
    print(f"leakrec benchmark{' (smoke run: tiny sizes, figures meaningless)' if args.smoke else ''}")
    print(f"machine: nproc {mach['nproc']}, {mach['cpu_model']}, Linux {mach['kernel']}{mem}; "
          f"load average {loadavg()}")
    lv = version([b.leakrec, "-V"])
    hv = version([b.heaptrack, "--version"]) if b.heaptrack else None
    print(f"tools: {lv or 'leakrec (version unknown)'}; "
          f"{hv or 'heaptrack: not installed'}")
    if not b.heaptrack:
        print("heaptrack: not found on PATH; skipping the heaptrack runs and every comparison "
              "with it (apt-get install heaptrack)")
    elif not b.heaptrack_print:
        print("heaptrack_print: not found on PATH; skipping the analyzer comparison")
    warm = "no warm-up" if args.smoke else "1 warm-up round"
    print(f"rounds: {warm}, then {args.runs} measured, each native, leakrec, sampled"
          f"{', heaptrack' if b.heaptrack else ''} in turn; "
          f"leakrec runs `leakrec -q -o T.zst`, sampled `leakrec -q --sample {SAMPLE_RATE} -o T.zst`"
          f"{', heaptrack `heaptrack -o H`' if b.heaptrack else ''}")

    results = {}
    svc = None
    att = None
    b.tmp = tempfile.mkdtemp(prefix="leakrec-bench-")
    try:
        if args.svc:
            print(f"\nsvc: {args.svc} under wrk", flush=True)
            svc = svc_bench(b, args)
        for name, binary, full_args, smoke_args, _, what in WORKLOADS:
            if only and name not in only:
                continue
            argv = smoke_args if args.smoke else full_args
            print(f"\n{name}: {what}; {binary} {' '.join(argv) or '(default size)'}", flush=True)
            results[name] = b.workload(name, binary, full_args, smoke_args)
        if not only or ATTACH in only:
            print(f"\n{ATTACH}: {ATTACH_PROG}'s speed before and after leakrec -p attached "
                  f"and detached, against a control left alone", flush=True)
            att = attach_bench(b, args)
    finally:
        shutil.rmtree(b.tmp, ignore_errors=True)

    mach["loadavg_end"] = loadavg()
    print(f"\nload average at the end: {mach['loadavg_end']} (anything else running makes "
          f"the figures noisier)")
    have_ht = b.heaptrack is not None
    sums = {name: summarize(r) for name, r in results.items()}
    if sums:
        print_tables(results, sums, have_ht)
    if svc:
        print_svc(svc, args)
    if att:
        print_attach(att)

    tg = targets(sums, have_ht)
    if att:
        tg += attach_targets(att)
    hdr = "Targets of issues 4, 16 and 17" + (" (smoke run: informative only, not enforced)"
                                  if args.smoke else "")
    print(f"\n{hdr}")
    for ok, text in tg:
        print(f"  {'n/a    ' if ok is None else 'met    ' if ok else 'NOT met'}  {text}")
    met = sum(1 for ok, _ in tg if ok)
    known = sum(1 for ok, _ in tg if ok is not None)
    print(f"  {met} of {known} measured targets met")

    if b.notes:
        print("\nNotes:")
        for n in b.notes:
            print(f"  {n}")
    if b.failures:
        print("\nFailures:")
        for f in b.failures:
            print(f"  {f}")

    if args.json:
        doc = {"machine": mach, "tools": {"leakrec": lv, "heaptrack": hv},
               "config": {"runs": args.runs, "smoke": args.smoke, "warmup": not args.smoke},
               "workloads": {n: {**results[n], "medians": {
                   t: sums[n][t]["median"] for t in TOOLS if t in sums[n]},
                   "events": sums[n]["events"]} for n in results},
               "attach": att,
               "targets": [{"met": ok, "text": text} for ok, text in tg],
               "notes": b.notes, "failures": b.failures}
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        print(f"\nraw figures written to {args.json}")

    if b.failures:
        return 1
    if args.enforce and any(ok is False for ok, _ in tg):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
