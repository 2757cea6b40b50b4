"""Recorder tests: exact event counts per hooked function, thread ordering, realloc
races, transparency of output and exit status, the export list, truncated traces."""
import collections
import os
import signal
import subprocess

from lib import analyze, events, expect, prog, record, records, report_json, run_native, tmp


def _replay_order(evs):
    """Checks the merged order: every free/rfree hits a live block, no alloc hits a live one.
    Returns the live map {allocation id: event} at the end and the number of problems."""
    live = {}
    problems = []
    for ev in evs:
        if ev["kind"] in ("alloc", "ralloc"):
            if ev["id"] in live:
                problems.append(f"alloc of live {ev['id']} at t={ev['t']}")
            live[ev["id"]] = ev
        else:
            if ev["id"] not in live:
                problems.append(f"{ev['kind']} of {ev['id']} not live at t={ev['t']}")
            live.pop(ev["id"], None)
    return live, problems


def test_calls_exact_counts():
    p, trace = record([prog("calls")])
    expect(p.returncode == 0, f"exit {p.returncode}: {p.stderr}")
    evs = events(trace)
    count = collections.Counter((e["kind"], e["func"]) for e in evs)
    size = collections.Counter()
    for e in evs:
        size[(e["kind"], e["func"])] += e.get("size", 0)
    want = {
        ("alloc", "malloc"): (10, 880),
        ("alloc", "calloc"): (10, 880),
        ("alloc", "realloc"): (10, 880),
        ("rfree", "realloc"): (10, 0),
        ("ralloc", "realloc"): (10, 880 * 64),
        ("alloc", "reallocarray"): (10, 880),
        ("alloc", "posix_memalign"): (10, 880),
        ("alloc", "aligned_alloc"): (10, 64 * 55),
        ("alloc", "memalign"): (10, 880),
        ("alloc", "valloc"): (10, 880),
        ("alloc", "pvalloc"): (10, 880),
        ("free", "free"): (5 * 8 + 10, 0),
    }
    got = {k: (count[k], size[k]) for k in count}
    expect(got == want, f"per-function counts and byte sums differ:\n got {sorted(got.items())}\nwant {sorted(want.items())}")
    live, problems = _replay_order(events(trace, merged=True))
    expect(not problems, "; ".join(problems[:5]))
    expect(len(live) == 5 * 8, f"{len(live)} blocks live at the end, want 40")
    end = records(trace, "end")
    expect(len(end) == 1, "one end record")
    expect(int(end[0]["events"]) == len(evs) and int(end[0]["dropped"]) == 0,
           f"end record {end[0]} vs {len(evs)} events read")


def test_threads_merged_order():
    p, trace = record([prog("threads")])
    expect(p.returncode == 0, f"exit {p.returncode}: {p.stderr}")
    evs = events(trace, merged=True)
    warn = analyze(trace).stderr
    expect("late" not in warn and not warn.strip(), f"analyzer warnings: {warn!r}")
    pid = int(records(trace, "header")[0]["pid"])
    worker_allocs = [e for e in evs if e["kind"] == "alloc" and e["tid"] != pid]
    expect(len(worker_allocs) == 4 * 20000, f"{len(worker_allocs)} worker allocations, want 80000")
    expect(len({e["tid"] for e in worker_allocs}) == 4, "4 worker threads")
    live, problems = _replay_order(evs)
    expect(not problems, f"{len(problems)} ordering problems: " + "; ".join(problems[:5]))
    leftover = [e for e in live.values() if e["tid"] != pid]
    expect(not leftover, f"{len(leftover)} worker blocks never freed")
    cross = sum(1 for e in evs if e["kind"] == "free" and e["tid"] != pid) 
    expect(cross >= 80000 - 4 * 64, f"{cross} frees on worker threads")
    end = records(trace, "end")[0]
    expect(int(end["events"]) == len(evs) and int(end["dropped"]) == 0, f"end {end} vs {len(evs)}")


def test_realloc_race_keeps_sizes():
    p, trace = record([prog("realloc_race")])
    expect(p.returncode == 0, f"exit {p.returncode}: {p.stderr}")
    evs = events(trace, merged=True)
    live, problems = _replay_order(evs)
    expect(not problems, f"{len(problems)} ordering problems: " + "; ".join(problems[:5]))
    # Replay again, checking what each free releases.
    live = {}
    grown = 0
    bad = []
    for e in evs:
        if e["kind"] in ("alloc", "ralloc"):
            live[e["id"]] = e
            grown += e["kind"] == "ralloc" and e["size"] == 4000
        elif e["id"] in live:
            blk = live.pop(e["id"])
            if e["kind"] == "rfree" and blk["size"] != 24:
                bad.append(f"realloc released a {blk['size']}-byte block")
            if e["kind"] == "free" and blk["size"] == 4000 and blk["tid"] != e["tid"]:
                bad.append("a grown block freed by another thread")
    expect(grown == 20000, f"{grown} reallocs to 4000 bytes, want 20000")
    expect(not bad, "; ".join(bad[:5]))


def _same_as_native(argv, stdin=b"line one\nline two\n"):
    native = run_native(argv, stdin=stdin)
    p, trace = record(argv, stdin=stdin)
    expect(p.stdout == native.stdout, f"stdout differs: {p.stdout!r} vs {native.stdout!r}")
    expect(p.stderr == native.stderr, f"stderr differs: {p.stderr!r} vs {native.stderr!r}")
    return native, p, trace


def test_output_and_status_unchanged():
    native, p, trace = _same_as_native([prog("exit_status"), "exit", "3"])
    expect(native.returncode == 3 and p.returncode == 3, f"status {p.returncode}, native {native.returncode}")
    native, p, trace = _same_as_native([prog("exit_status")])
    expect(p.returncode == 0, f"status {p.returncode}")
    native, p, trace = _same_as_native([prog("exit_status"), "signal", str(int(signal.SIGTERM))])
    expect(native.returncode == -signal.SIGTERM, f"native {native.returncode}")
    expect(p.returncode == 128 + signal.SIGTERM, f"status {p.returncode}, want {128 + signal.SIGTERM}")
    analyze("dump", trace)  # readable even though the program was killed


def test_launcher_reports_and_usage():
    trace = tmp("summary.zst")
    p = subprocess.run([os.path.join(os.path.dirname(prog("x")), "..", "leakrec"), "-o", trace,
                        prog("calls")], capture_output=True, text=True)
    expect(p.returncode == 0, p.stderr)
    # the launcher's counts are the report's (a realloc counts once, its release no free)
    s = report_json(trace)["summary"]
    expect(f"trace {trace}: {s['allocations']} allocations, {s['frees']} frees" in p.stderr,
           f"{p.stderr} (report: {s['allocations']} allocations, {s['frees']} frees)")
    expect(f"leakanalyze {trace}" in p.stderr, p.stderr)
    leakrec = os.path.join(os.path.dirname(prog("x")), "..", "leakrec")
    h = subprocess.run([leakrec, "--help"], capture_output=True, text=True)
    expect(h.returncode == 0 and "usage: leakrec" in h.stdout and not h.stderr, "--help")
    u = subprocess.run([leakrec, "--bogus"], capture_output=True, text=True)
    expect(u.returncode == 2 and "usage" in u.stderr and not u.stdout, "bad usage exits 2")
    n = subprocess.run([leakrec, "-q", "/nonexistent/prog"], capture_output=True, text=True)
    expect(n.returncode == 127 and "cannot run '/nonexistent/prog'" in n.stderr, n.stderr)


def test_depth_option():
    p, trace = record([prog("calls")], extra=["--depth", "2"])
    expect(p.returncode == 0, p.stderr)
    cut = 0
    for s in records(trace, "stack"):
        frames = s["frames"].split(",") if s.get("frames") else []
        if frames and frames[-1] == "0x0":  # the mark of a stack cut at the depth
            frames.pop()
            cut += 1
        expect(len(frames) <= 2, f"stack of {len(frames)} frames with --depth 2")
    expect(cut > 0, "no stack marked as cut at the depth")
    d = report_json(trace, "-n", "0")
    expect(all(e["truncated"] and len(e["stack"]) <= 2 for e in d["allocators"]),
           f"cut stacks in JSON: {[(e['truncated'], len(e['stack'])) for e in d['allocators']]}")
    t = analyze("-n", "1", trace).stdout
    expect("[more frames not recorded: leakrec --depth 2 cut the stack]" in t, t)


def test_exports_only_hooks():
    lib = os.path.join(os.path.dirname(prog("x")), "..", "libleakrec.so")
    out = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True, text=True).stdout
    names = {line.split()[-1] for line in out.splitlines() if line.strip()}
    allowed = {"malloc", "free", "calloc", "realloc", "reallocarray", "posix_memalign",
               "aligned_alloc", "memalign", "valloc", "pvalloc", "malloc_usable_size", "dlopen",
               "dlclose", "daemon", "_exit", "_Exit", "execve", "execv", "execvp", "execvpe",
               "execl", "execlp", "execle", "sigaction", "signal", "leakrec_record_mark",
               "leakrec_attach"}  # leakrec_attach: called by leakrec -p (session.h)
    expect(names and names <= allowed, f"unexpected exports: {sorted(names - allowed)}")
    expect({"malloc", "free", "realloc", "calloc"} <= names, "hooks exported")


def test_truncated_trace_read_up_to_cut():
    _, trace = record([prog("steady")], trace=tmp("cut-src.zst"))
    data = open(trace, "rb").read()
    full = len(events(trace))
    seen_partial = False
    for frac in (0.999, 0.9, 0.75, 0.5, 0.3, 0.1, 0.02):
        cut = max(1, int(len(data) * frac))
        path = tmp(f"cut-{cut}.zst")
        with open(path, "wb") as f:
            f.write(data[:cut])
        p = analyze("dump", path, check=False)
        expect(p.returncode in (0, 2), f"cut at {cut}: exit {p.returncode}")
        expect(path in p.stderr and "byte" in p.stderr, f"cut at {cut}: message {p.stderr!r}")
        n = sum(1 for line in p.stdout.splitlines() if line.startswith("event "))
        expect(n <= full, f"cut at {cut}: {n} events of {full}")
        seen_partial |= 0 < n < full
    expect(seen_partial, "some cut trace still yields events")
    empty = tmp("empty.zst")
    open(empty, "wb").close()
    p = analyze("dump", empty, check=False)
    expect(p.returncode == 2 and empty in p.stderr, f"empty: {p.returncode} {p.stderr!r}")
