"""Robustness tests: the recorder across fork and exec, refused programs, every way a
program ends, write errors, 10,000 threads, dlopen/dlclose, signals, and real Debian programs.

Every run has a timeout (a hang is a failure, not a stuck test run; the whole group is killed).
Recorded runs are compared with the native run (stdout, stderr, exit status: 128+N under leakrec
when the native program died of signal N) wherever the output does not depend on pids or timing,
and traces are checked against the figures the programs print or are built to produce."""
import collections
import os
import re
import resource
import select
import shutil
import signal
import stat
import subprocess
import time

import lib
from lib import Skip, analyze, events, expect, prog, report_json

TIMEOUT = 30


# ---- helpers ----

def _fresh(name):
    """An empty folder under the test run's temporary folder."""
    d = os.path.join(lib.TMP, "robust-" + name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def _limits(fsize=None, block_signals=False):
    """preexec_fn: no core files (the fatal-signal tests run in temporary folders, but a core of a
    crashing program is never wanted), optionally `ulimit -f` and every signal blocked."""
    def pre():
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        if block_signals:
            signal.pthread_sigmask(signal.SIG_BLOCK, range(1, signal.NSIG))
    return pre


def _run(argv, cwd=None, env=None, stdin=None, timeout=TIMEOUT, preexec=None):
    """Runs argv in its own session; on timeout kills the whole group and fails."""
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.Popen(argv, cwd=cwd or lib.TMP, env=e, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         preexec_fn=preexec or _limits(), start_new_session=True)
    try:
        out, err = p.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        raise AssertionError(f"{' '.join(argv)} did not end within {timeout} s (killed); "
                             f"stdout {out[-300:]!r} stderr {err[-300:]!r}")
    return subprocess.CompletedProcess(argv, p.returncode, out, err)


def _leakrec(argv, trace, extra=(), quiet=True, **kw):
    opts = ["-q"] if quiet else []
    return _run([lib.LEAKREC, *opts, "-o", trace, *extra, "--", *argv], **kw)


def _status(native_rc):
    """The exit status leakrec gives for a native run that ended with native_rc."""
    return 128 - native_rc if native_rc < 0 else native_rc


def _same(native, rec, what, stdout=True, stderr=True):
    expect(rec.returncode == _status(native.returncode),
           f"{what}: status {rec.returncode}, native {native.returncode}; stderr {rec.stderr[-500:]!r}")
    if stdout:
        expect(rec.stdout == native.stdout, f"{what}: stdout {rec.stdout[-500:]!r}, native {native.stdout[-500:]!r}")
    if stderr:
        expect(rec.stderr == native.stderr, f"{what}: stderr {rec.stderr[-500:]!r}, native {native.stderr[-500:]!r}")


_DUMPS = {}


def _recs(trace, kind):
    """The trace's records of one kind (header, end, rss, ...) as dicts, from one `dump` per trace
    (event lines, the bulk, are not parsed here)."""
    key = (trace, os.path.getmtime(trace), os.path.getsize(trace))
    if key not in _DUMPS:
        by = collections.defaultdict(list)
        for line in analyze("dump", trace).stdout.splitlines():
            k = line.split(" ", 1)[0]
            if k not in ("event", "events", "stack", "module"):
                by[k].append(lib.parse_kv(line)[1])
        _DUMPS.clear()
        _DUMPS[key] = by
    return _DUMPS[key][kind]


def _end(trace, evs):
    """The END record, checked against the events read: nothing lost, nothing dropped."""
    end = _recs(trace, "end")
    expect(len(end) == 1, f"{trace}: {len(end)} END records")
    e = end[0]
    expect(int(e["events"]) == len(evs), f"{trace}: END says {e['events']} events, {len(evs)} read")
    expect(int(e["dropped"]) == 0, f"{trace}: END says {e['dropped']} dropped")
    return e


class Sizes:
    """Per requested size: allocations, frees of those blocks, and blocks still live at the end
    (the events replayed in time order)."""

    def __init__(self, evs):
        self.allocs = collections.Counter()
        self.frees = collections.Counter()
        self.live = collections.Counter()
        self.problems = []
        live = {}
        for e in evs:
            if e["kind"] in ("alloc", "ralloc"):
                if e["id"] in live:
                    self.problems.append(f"alloc of live {e['id']} at t={e['t']}")
                live[e["id"]] = e["size"]
                self.allocs[e["size"]] += 1
            elif e["id"] in live:
                self.frees[live.pop(e["id"])] += 1
            else:
                self.problems.append(f"{e['kind']} of {e['id']} not live at t={e['t']}")
        for size in live.values():
            self.live[size] += 1

    def of(self, size):
        return self.allocs[size], self.frees[size], self.live[size]


def _listed(stderr):
    """{path: (allocations, frees)} of the launcher's 'leakrec: trace PATH: A allocations, F frees'."""
    out = {}
    for m in re.finditer(r"^leakrec: trace (.+): (\d+) allocations?, (\d+) frees?", stderr.decode(), re.M):
        out[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    return out


def _counts(evs):
    a = sum(1 for e in evs if e["kind"] in ("alloc", "ralloc"))
    return a, len(evs) - a


def _header(trace):
    return _recs(trace, "header")[0]


# ---- processes: fork ----

def _fork_run(extra=()):
    d = _fresh("fork" + "".join(extra))
    root = os.path.join(d, "fork.zst")
    p = _leakrec([prog("robust_fork")], root, extra=extra, quiet=False, cwd=d, timeout=60)
    expect(p.returncode == 0, f"robust_fork exited {p.returncode}: {p.stderr[-1000:]!r}")
    out = p.stdout.decode()
    parent = int(re.search(r"^parent (\d+)$", out, re.M).group(1))
    children = [int(x) for x in re.findall(r"^child (\d+)$", out, re.M)]
    grand = [int(x) for x in re.findall(r"^grandchild (\d+)$", out, re.M)]
    workers = int(re.search(r"^workers (\d+)$", out, re.M).group(1))
    expect(len(children) == 12 and len(grand) == 1, f"program output: {out!r}")
    return d, root, p, parent, children, grand[0], workers


def _check_fork_parent(root, parent, workers):
    evs = events(root, merged=True)
    s = Sizes(evs)
    expect(not s.problems, f"parent trace: {'; '.join(s.problems[:5])}")
    expect(int(_header(root)["pid"]) == parent, "parent trace's pid")
    expect(s.of(777) == (workers, workers, 0),
           f"worker blocks (allocs, frees, live) {s.of(777)}, want {(workers, workers, 0)}")
    expect(s.of(1111) == (10, 5, 5), f"main's blocks {s.of(1111)}, want (10, 5, 5)")
    foreign = [z for z in s.allocs if 2000 <= z < 2012 or z == 3000]
    expect(not foreign, f"children's sizes {foreign} in the parent's trace")
    _end(root, evs)
    return evs


def test_robust_fork_while_threads_allocate():
    d, root, p, parent, children, grand, workers = _fork_run()
    _check_fork_parent(root, parent, workers)
    base = root[:-4]
    want = {root} | {f"{base}.{c}.zst" for c in children} | {f"{base}.{children[0]}.{grand}.zst"}
    got = {os.path.join(d, f) for f in os.listdir(d)}
    expect(got == want, f"traces: extra {sorted(got - want)}, missing {sorted(want - got)}")
    listed = _listed(p.stderr)
    expect(set(listed) == want, f"leakrec lists {sorted(listed)}; missing {sorted(want - set(listed))}")
    for i, c in enumerate(children):
        t = f"{base}.{c}.zst"
        evs = events(t, merged=True)
        s = Sizes(evs)
        expect(int(_header(t)["pid"]) == c, f"{t}: header pid {_header(t)['pid']}")
        expect(not s.problems, f"{t}: {'; '.join(s.problems[:5])}")
        expect(dict(s.allocs) == {2000 + i: 5} and dict(s.frees) == {2000 + i: 3},
               f"child {i} ({t}): allocs {dict(s.allocs)} frees {dict(s.frees)}, "
               f"want {{{2000 + i}: 5}} and {{{2000 + i}: 3}}")
        _end(t, evs)
        expect(listed[t] == (5, 3), f"leakrec lists {t} with {listed[t]}")
    t = f"{base}.{children[0]}.{grand}.zst"
    evs = events(t, merged=True)
    s = Sizes(evs)
    expect(dict(s.allocs) == {3000: 3} and not s.frees, f"grandchild: {dict(s.allocs)} {dict(s.frees)}")
    _end(t, evs)
    expect(listed[root] == _counts(events(root)), f"leakrec lists {root} with {listed[root]}")


def test_robust_fork_no_children():
    d, root, p, parent, children, grand, workers = _fork_run(extra=("--no-children",))
    got = sorted(os.listdir(d))
    expect(got == ["fork.zst"], f"--no-children wrote {got}")
    expect(set(_listed(p.stderr)) == {root}, f"leakrec lists {_listed(p.stderr)}")
    _check_fork_parent(root, parent, workers)


# ---- processes: exec ----

def _norm_pids(b):
    return re.sub(rb"(exec |child |pid=)\d+", rb"\1PID", b)


_EXEC_RUNS = {}


def _exec_run(extra=()):
    """robust_exec under leakrec (once per option set): (folder, root trace, run, {tag: pid})."""
    if extra in _EXEC_RUNS and os.path.exists(_EXEC_RUNS[extra][0]):
        return _EXEC_RUNS[extra]
    d = _fresh("exec" + "".join(extra))
    root = os.path.join(d, "exec.zst")
    argv = [prog("robust_exec"), prog("robust_leaker")]
    native = _run(argv, cwd=d)
    p = _leakrec(argv, root, extra=extra, quiet=False, cwd=d)
    expect(native.returncode == 0, f"native robust_exec: {native.returncode} {native.stderr!r}")
    _same(native, p, "robust_exec", stdout=False, stderr=False)
    rec_err = b"".join(line for line in p.stderr.splitlines(True) if not line.startswith(b"leakrec: "))
    expect(rec_err == native.stderr, f"stderr {p.stderr!r}, native {native.stderr!r}")
    expect(_norm_pids(p.stdout) == _norm_pids(native.stdout),
           f"stdout {p.stdout!r}, native {native.stdout!r}")
    out = p.stdout.decode()
    leakers = {m.group(2): int(m.group(1)) for m in re.finditer(r"leaker pid=(\d+) tag=(\w+)", out)}
    expect(set(leakers) == {"forkexec", "system"}, f"program output {out!r}")
    _EXEC_RUNS[extra] = d, root, p, leakers
    return _EXEC_RUNS[extra]


def test_robust_exec_children_traced():
    d, root, p, leakers = _exec_run()
    d_json = report_json(root, "-n", "0")
    main_leaks = lib.find_stack(d_json["leaks"], "main")
    expect(sum(e["bytes"] for e in main_leaks) == 4444, f"robust_exec's own leak: {main_leaks}")
    files = sorted(os.listdir(d))
    listed = _listed(p.stderr)
    expect(set(listed) == {os.path.join(d, f) for f in files},
           f"leakrec lists {sorted(listed)}, folder holds {files}")
    for tag, pid in leakers.items():
        mine = [f for f in files if re.fullmatch(rf"exec\.{pid}(\.\d+)?\.zst", f)]
        leaker = [f for f in mine if _header(os.path.join(d, f))["exe"].endswith('/robust_leaker"')]
        expect(len(leaker) == 1, f"{tag}: traces of pid {pid}: {mine}, of robust_leaker: {leaker}")
        t = os.path.join(d, leaker[0])
        j = report_json(t, "-n", "0")
        expect(tag in j["program"]["argv"], f"{t}: argv {j['program']['argv']}")
        sites = lib.find_stack(j["leaks"], "leak_known")
        got = (sum(e["bytes"] for e in sites), sum(e["allocations"] for e in sites))
        expect(got == (8638, 7), f"{tag} ({t}): leak_known leaked {got}, want (8638, 7)")
        if len(mine) > 1:  # /bin/sh had the pid first: the exec'd program's name takes a suffix
            expect(leaker[0] == f"exec.{pid}.{len(mine)}.zst", f"{tag}: {mine}")


def test_robust_exec_ends_the_traced_image():
    """The forked child allocates 2 blocks of 5555 bytes, then execs robust_leaker (same pid): its
    trace (fork naming) holds those two allocations and is finished (END record); the leaker's
    trace takes the next name (".2")."""
    d, root, p, leakers = _exec_run()
    pid = leakers["forkexec"]
    t = os.path.join(d, f"exec.{pid}.zst")
    expect(os.path.exists(t), f"no trace {t}: {sorted(os.listdir(d))}")
    expect(_header(t)["exe"].endswith('/robust_exec"'), f"{t} is of {_header(t)['exe']}")
    expect(os.path.exists(os.path.join(d, f"exec.{pid}.2.zst")), f"{sorted(os.listdir(d))}")
    evs = events(t, merged=True)
    s = Sizes(evs)
    expect(dict(s.allocs) == {5555: 2} and not s.frees,
           f"{t}: allocations {dict(s.allocs)}, want {{5555: 2}}: the events before the exec are lost "
           f"(launcher: {[ln for ln in p.stderr.decode().splitlines() if t in ln]})")
    _end(t, evs)


def test_robust_exec_no_children():
    d, root, p, leakers = _exec_run(extra=("--no-children",))
    files = sorted(os.listdir(d))
    expect(files == ["exec.zst"], f"--no-children wrote {files}")
    expect(set(_listed(p.stderr)) == {root}, f"leakrec lists {_listed(p.stderr)}")


# ---- programs that cannot be recorded ----

def _refused(path, reason, d):
    trace = os.path.join(d, "refused.zst")
    p = _leakrec([path], trace, quiet=False, cwd=d)
    expect(p.returncode == 126, f"{path}: status {p.returncode}, want 126; stderr {p.stderr!r}")
    lines = p.stderr.decode().splitlines()
    expect(len(lines) == 1 and reason in lines[0] and path in lines[0],
           f"{path}: want one line naming it and saying {reason!r}, got {lines}")
    expect(p.stdout == b"", f"{path}: the program ran: {p.stdout!r}")
    expect(os.listdir(d) == [], f"{path}: files left: {os.listdir(d)}")


def test_robust_static_refused():
    path = prog("robust_static.static")
    if not os.path.exists(path):
        raise Skip("build/tests/robust_static.static was not built: the C library's static "
                   "archive (libc.a, package libc6-dev) is missing, so gcc -static cannot link")
    native = _run([path])
    expect(native.returncode == 0 and native.stdout.startswith(b"ran"), f"native: {native}")
    _refused(path, "statically linked", _fresh("static"))


def test_robust_setuid_refused():
    """As root, a copy of robust_static owned by nobody with the setuid bit: running it switches
    the effective uid (checked natively), so the loader is in secure mode and ignores
    LD_PRELOAD.  Other users cannot make a meaningful setuid file (setuid to oneself changes
    nothing): they check a setuid-root program of the system, which leakrec refuses before
    running it."""
    d = _fresh("setuid")
    if os.geteuid() == 0:
        path = os.path.join(lib.TMP, "robust_setuid")
        shutil.copy(prog("robust_static"), path)
        os.chown(path, 65534, 65534)
        os.chmod(path, 0o4755)
        native = _run([path])
        if native.stdout != b"ran euid=65534\n":
            raise Skip(f"the setuid bit has no effect here (nosuid mount?): {native.stdout!r}")
    else:
        cands = [p for p in ("/usr/bin/passwd", "/usr/bin/su", "/bin/su", "/usr/bin/chsh",
                             "/usr/bin/newgrp", "/usr/bin/mount", "/bin/mount")
                 if os.path.exists(p) and os.stat(p).st_mode & stat.S_ISUID
                 and os.stat(p).st_uid != os.geteuid()]
        if not cands:
            raise Skip("not root (cannot make a file setuid to another user) and no setuid "
                       "program of the system found")
        path = cands[0]
    _refused(path, "setuid", d)


# ---- endings ----

def _known(trace, complete=True):
    """robust_end's known(): 100 blocks of 4099 bytes, 40 freed; END record when complete."""
    evs = events(trace, merged=True)
    s = Sizes(evs)
    expect(not s.problems, f"{trace}: {'; '.join(s.problems[:5])}")
    expect(s.of(4099) == (100, 40, 60), f"{trace}: known blocks (allocs, frees, live) {s.of(4099)}, "
                                        "want (100, 40, 60)")
    if complete:
        _end(trace, evs)
    else:
        expect(not _recs(trace, "end"), f"{trace}: END record after SIGKILL?")
    return evs, s


def _ending(mode, want_native, timeout=TIMEOUT):
    argv = [prog("robust_end"), mode] if mode != "cpp" else [prog("robust_end_cpp")]
    d = _fresh("end-" + mode)
    native = _run(argv, cwd=d, timeout=timeout)
    expect(native.returncode == want_native, f"native {mode}: {native.returncode}")
    p = _leakrec(argv, os.path.join(d, "end.zst"), cwd=d, timeout=timeout)
    _same(native, p, mode)
    return _known(os.path.join(d, "end.zst"))


def test_robust_end_return():
    _ending("return", 0)


def test_robust_end_exit():
    _ending("exit", 5)


def test_robust_end__exit():
    _ending("_exit", 6)


def test_robust_end_pthread_exit():
    """main calls pthread_exit while a worker allocates: the process ends (exit status 0) when
    the worker, the last thread of the program, returns."""
    evs, s = _ending("pthread_exit", 0, timeout=10)  # natively well under 1 s
    expect(s.of(333) == (20000, 20000, 0), f"worker blocks {s.of(333)}, want (20000, 20000, 0)")


def test_robust_end_cpp_uncaught_exception():
    _ending("cpp", -signal.SIGABRT)


def test_robust_end_sigsegv():
    _ending("segv", -signal.SIGSEGV)


def _start(argv, cwd):
    e = dict(os.environ)
    # Unbuffered: _readline selects on the pipe, so no line may wait in a Python buffer.
    return subprocess.Popen(argv, cwd=cwd, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=_limits(), start_new_session=True, bufsize=0)


def _readline(p, timeout=TIMEOUT):
    r, _, _ = select.select([p.stdout], [], [], timeout)
    if not r:
        os.killpg(p.pid, signal.SIGKILL)
        raise AssertionError(f"no output from {p.args} within {timeout} s")
    return p.stdout.readline()


def _finish(p, timeout=TIMEOUT):
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        raise AssertionError(f"{p.args} did not end within {timeout} s after the signal")
    return out, err


def test_robust_end_sigterm_from_outside():
    """SIGTERM sent to leakrec (which passes it on) while the program allocates; natively sent to
    the program itself."""
    d = _fresh("end-term")
    argv = [prog("robust_end"), "term"]
    runs = {}
    for name, cmd in (("native", argv), ("leakrec", [lib.LEAKREC, "-q", "-o", os.path.join(d, "end.zst"), "--", *argv])):
        p = _start(cmd, d)
        head = _readline(p) + _readline(p)
        expect(head == b"known 100 40\nready\n", f"{name}: {head!r}")
        time.sleep(0.3)
        p.send_signal(signal.SIGTERM)
        out, err = _finish(p)
        runs[name] = subprocess.CompletedProcess(cmd, p.returncode, head + out, err)
    expect(runs["native"].returncode == -signal.SIGTERM, f"native {runs['native'].returncode}")
    _same(runs["native"], runs["leakrec"], "term")
    evs, s = _known(os.path.join(d, "end.zst"))
    a, f, live = s.of(512)
    expect(a > 100 and a - f in (0, 1) and live == a - f, f"the loop's blocks (allocs, frees, live) {s.of(512)}")


def test_robust_end_sigkill_from_outside():
    """SIGKILL after ~1 s of steady allocation: the trace is readable and holds every event up to
    at most the last 300 ms (the writer ends a zstd frame every 100 ms, the design promises
    200 ms)."""
    d = _fresh("end-kill")
    trace = os.path.join(d, "end.zst")
    p = _start([lib.LEAKREC, "-q", "-o", trace, "--", prog("robust_end"), "kill"], d)
    head = _readline(p)
    expect(head == b"known 100 40\n", f"{head!r}")
    pid = int(_readline(p).split()[1])
    ticks = []
    t_first = None
    while True:
        line = _readline(p)
        parts = line.split()
        expect(len(parts) == 3 and parts[0] == b"tick", f"line {line!r}")
        ticks.append((int(parts[1]), int(parts[2])))
        t_first = t_first or time.monotonic()
        if time.monotonic() - t_first >= 1.0:
            break
    t_kill = time.monotonic_ns()
    os.kill(pid, signal.SIGKILL)
    out, err = _finish(p)
    for line in out.splitlines():
        parts = line.split()
        ticks.append((int(parts[1]), int(parts[2])))
    expect(p.returncode == 128 + signal.SIGKILL, f"status {p.returncode}, want 137")
    expect(err == b"", f"stderr {err!r}")
    analyze("--json", trace)  # the report works on a killed trace
    evs, s = _known(trace, complete=False)
    origin = int(_header(trace)["clock_origin_ns"])
    last = origin + max(e["t"] for e in evs)
    lag_ms = (t_kill - last) / 1e6
    expect(lag_ms <= 300, f"the last event recorded is {lag_ms:.0f} ms before the kill, want <= 300")
    got = s.of(256)[0]
    before = [n for t, n in ticks if t <= t_kill - 300_000_000]
    expect(before and got >= before[-1],
           f"{got} malloc(256) recorded, but the program had done {before[-1] if before else '?'} "
           "300 ms before the kill")
    expect(got <= ticks[-1][1] + 50, f"{got} malloc(256) recorded, the program did at most {ticks[-1][1] + 50}")


# ---- write errors ----

def test_robust_write_error_fsize():
    """`ulimit -f 16` (16 KiB): the trace hits EFBIG; one message, the program runs on."""
    d = _fresh("fsize")
    trace = os.path.join(d, "fsize.zst")
    limit = 16 * 1024  # the trace of robust_fsize is ~64 KiB
    argv = [prog("robust_fsize")]
    native = _run(argv, cwd=d, preexec=_limits(fsize=limit))
    expect(native.returncode == 0 and native.stdout.endswith(b"done\n"), f"native: {native}")
    p = _leakrec(argv, trace, cwd=d, preexec=_limits(fsize=limit), timeout=60)
    _same(native, p, "robust_fsize under ulimit -f", stderr=False)
    lines = p.stderr.decode().splitlines()
    expect(len(lines) == 1 and "recording stopped" in lines[0],
           f"want one line saying 'recording stopped', got {lines}")
    expect(os.path.getsize(trace) <= limit, f"trace of {os.path.getsize(trace)} bytes")
    r = analyze("dump", trace, check=False)
    expect(r.returncode == 0, f"leakanalyze dump of the cut trace exited {r.returncode}: {r.stderr[-500:]}")
    n = sum(1 for line in r.stdout.splitlines() if line.startswith("event "))
    expect(n >= 128, f"{n} events before the write error, want at least the first slow round's 128")


def test_robust_write_error_missing_folder():
    d = _fresh("nofolder")
    trace = os.path.join(d, "does-not-exist", "x.zst")
    argv = [prog("robust_leaker"), "nofolder"]
    native = _run(argv, cwd=d)
    p = _leakrec(argv, trace, cwd=d)
    _same(native, p, "robust_leaker with a missing output folder", stdout=False, stderr=False)
    expect(_norm_pids(p.stdout) == _norm_pids(native.stdout), f"stdout {p.stdout!r} vs {native.stdout!r}")
    lines = p.stderr.decode().splitlines()
    expect(len(lines) == 1 and "does-not-exist" in lines[0], f"want one line naming the path, got {lines}")
    expect(os.listdir(d) == [], f"files: {os.listdir(d)}")


# ---- scale and change ----

RSS_BOUND = 64 << 20


def test_robust_threads_10000():
    """10,000 threads, 100 at a time, each with one malloc(1234)/free.  Every event is recorded,
    and the recorder's memory stays bounded: a thread's ring costs at least two resident pages
    (its header and the events it wrote), so rings not reclaimed would add >= 80 MB for 10,000
    threads; reclaimed, the process stays about 20 MB (2 MB natively).  Bound: 64 MiB."""
    d = _fresh("threads")
    trace = os.path.join(d, "t.zst")
    argv = [prog("robust_threads10k")]
    native = _run(argv, cwd=d, timeout=60)
    p = _leakrec(argv, trace, cwd=d, timeout=60)
    _same(native, p, "robust_threads10k")
    evs = events(trace, merged=True)
    s = Sizes(evs)
    expect(not s.problems, f"{'; '.join(s.problems[:5])}")
    expect(s.of(1234) == (10000, 10000, 0), f"threads' blocks (allocs, frees, live) {s.of(1234)}")
    pid = int(_header(trace)["pid"])
    tids = {e["tid"] for e in evs if e.get("size") == 1234}
    expect(pid not in tids and len(tids) >= 1000, f"{len(tids)} distinct threads allocated")
    end = _end(trace, evs)
    rss = max(int(r["bytes"]) for r in _recs(trace, "rss"))
    expect(0 < rss < RSS_BOUND, f"peak RSS {rss >> 20} MiB, bound {RSS_BOUND >> 20} MiB "
                                f"(END record {end})")


def test_robust_small_thread_stacks():
    """Threads with 16 KiB stacks (PTHREAD_STACK_MIN), 6 KiB of it used, allocate: the recorder's
    stack use and static TLS must fit in what is left (a 16 KiB frame buffer on the stack, or
    8 KiB of static TLS, crashed this program).  Every event is recorded."""
    d = _fresh("smallstack")
    trace = os.path.join(d, "s.zst")
    argv = [prog("robust_smallstack")]
    native = _run(argv, cwd=d)
    expect(native.returncode == 0, f"native run failed: {native.returncode}")
    p = _leakrec(argv, trace, cwd=d)
    _same(native, p, "robust_smallstack")
    s = Sizes(events(trace, merged=True))
    expect(not s.problems, f"{'; '.join(s.problems[:5])}")
    expect(s.of(48) == (2000, 2000, 0), f"48-byte blocks (allocs, frees, live) {s.of(48)}")
    expect(s.of(4321) == (4, 0, 4), f"4321-byte blocks (allocs, frees, live) {s.of(4321)}")


def test_robust_dlopen_same_address():
    """librobust_a.so and librobust_b.so have the same layout; A is loaded, leaks, is unloaded,
    then B (usually at A's old address, so both leaks have the same return addresses): each leak
    is attributed to its own library and function."""
    d = _fresh("dl")
    trace = os.path.join(d, "dl.zst")
    argv = [prog("robust_dl"), lib.PROGS]
    native = _run(argv, cwd=d)
    p = _leakrec(argv, trace, cwd=d)
    expect(p.returncode == 0 and native.returncode == 0, f"status {p.returncode}: {p.stderr!r}")
    expect(p.stderr == native.stderr == b"", f"stderr {p.stderr!r}")
    same = b"same_address 1" in p.stdout
    j = report_json(trace, "-n", "0")
    where = f"(B at A's old address: {same}; program said {p.stdout.decode()!r})"
    for fn, other, lib_name, want in (("robust_liba_leak", "robust_libb_leak", "librobust_a.so", (3333, 3)),
                                      ("robust_libb_leak", "robust_liba_leak", "librobust_b.so", (11110, 5))):
        sites = lib.find_stack(j["leaks"], fn)
        got = (sum(e["bytes"] for e in sites), sum(e["allocations"] for e in sites))
        expect(got == want, f"{fn}: leaked {got}, want {want} {where}")
        for e in sites:
            top = e["stack"][0]
            expect(top["function"] == fn and (top["module"] or "").endswith(lib_name),
                   f"{fn}: first frame {top} {where}")
            expect(other not in lib.stack_functions(e), f"{fn}'s stack names {other} {where}")
    s = j["summary"]
    expect((s["leaked_bytes"], s["leaked_allocations"]) == (3333 + 11110, 3 + 5),
           f"summary leaked {s['leaked_bytes']} bytes in {s['leaked_allocations']} {where}")


# ---- signals ----

def test_robust_signal_handler_allocates():
    """SIGALRM every 50 us, the handler allocating, interrupts malloc/free and the recorder."""
    d = _fresh("sig")
    trace = os.path.join(d, "sig.zst")
    p = _leakrec([prog("robust_sig"), "alarm"], trace, cwd=d, timeout=60)
    expect(p.returncode == 0 and p.stderr == b"", f"status {p.returncode}: {p.stderr!r}")
    m = re.fullmatch(rb"loop 200000\nhandler (\d+)\n", p.stdout)
    expect(m, f"stdout {p.stdout!r}")
    handler = int(m.group(1))
    evs = events(trace, merged=True)
    s = Sizes(evs)
    expect(not s.problems, f"{'; '.join(s.problems[:5])}")
    expect(s.of(64) == (200001, 200001, 0), f"main's blocks {s.of(64)}, want (200001, 200001, 0)")
    a, f, live = s.of(77)
    # A handler that interrupts the recorder itself goes unrecorded (malloc and free alike).
    expect(a == f and live == 0 and 0 < a <= handler + 1,
           f"handler blocks (allocs, frees, live) {s.of(77)}, handler ran {handler} times")
    _end(trace, evs)


def test_robust_all_signals_blocked():
    """Every signal blocked from the start (the mask is inherited through leakrec and exec) and
    again by the program; four threads allocate."""
    d = _fresh("block")
    trace = os.path.join(d, "block.zst")
    argv = [prog("robust_sig"), "blockall"]
    native = _run(argv, cwd=d, preexec=_limits(block_signals=True))
    p = _leakrec(argv, trace, cwd=d, preexec=_limits(block_signals=True))
    _same(native, p, "robust_sig blockall")
    evs = events(trace, merged=True)
    s = Sizes(evs)
    expect(not s.problems, f"{'; '.join(s.problems[:5])}")
    expect(s.of(96) == (100000, 100000, 0), f"threads' blocks {s.of(96)}, want (100000, 100000, 0)")
    _end(trace, evs)


# ---- real programs ----

def _real(argv, name, cwd=None, env=None, stdin=None, traces=None):
    """Runs argv natively and under leakrec; same output and status; the trace analyzes."""
    d = traces or _fresh("real-" + name)
    trace = os.path.join(d, name + ".zst")
    native = _run(argv, cwd=cwd or d, env=env, stdin=stdin, timeout=60)
    p = _leakrec(argv, trace, cwd=cwd or d, env=env, stdin=stdin, timeout=60)
    _same(native, p, " ".join(argv))
    j = report_json(trace)
    expect(j["summary"]["allocations"] > 0, f"{name}: summary {j['summary']}")
    return native, p, j


PY_SCRIPT = """
import collections, json
d = {i: str(i) * (i % 50) for i in range(20000)}
blobs = [bytes(1000 + i % 3000) for i in range(2000)]
print(len(d), sum(len(v) for v in d.values()), sum(len(b) for b in blobs))
print(json.dumps(sorted(collections.Counter(len(v) for v in d.values()).items())[:5]))
"""


def test_robust_real_python3():
    py = "/usr/bin/python3"
    if not os.path.exists(py):
        raise Skip("/usr/bin/python3 is not installed (package python3)")
    d = _fresh("real-python")
    script = os.path.join(d, "alloc.py")
    with open(script, "w") as f:
        f.write(PY_SCRIPT)
    native, p, j = _real([py, "-I", script], "python3", env={"PYTHONHASHSEED": "0"})
    expect(native.stdout.startswith(b"20000 "), f"python said {native.stdout!r}")
    expect(j["summary"]["allocated_bytes"] > 2000 * 1000, f"summary {j['summary']}")


def test_robust_real_git():
    git = shutil.which("git")
    if not git:
        raise Skip("git is not installed (package git)")
    base = _fresh("real-git")
    env = {"HOME": base, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
           "GIT_AUTHOR_NAME": "Robust Test", "GIT_AUTHOR_EMAIL": "robust@example.org",
           "GIT_AUTHOR_DATE": "2020-01-01T00:00:00+0000", "GIT_COMMITTER_NAME": "Robust Test",
           "GIT_COMMITTER_EMAIL": "robust@example.org", "GIT_COMMITTER_DATE": "2020-01-01T00:00:00+0000",
           "LANG": "C", "LC_ALL": "C", "TZ": "UTC", "GIT_PAGER": "cat", "PAGER": "cat"}
    # The same commands in two identical repositories, natively and under leakrec: same output.
    steps = [["-c", "init.defaultBranch=main", "init", "-q"], ["add", "a.txt", "b.txt"],
             ["commit", "-m", "first commit"], ["log", "--stat"], ["status", "--short"]]
    repos = {}
    for kind in ("native", "rec"):
        repos[kind] = os.path.join(base, kind, "repo")
        os.makedirs(repos[kind])
        with open(os.path.join(repos[kind], "a.txt"), "w") as f:
            f.write("alpha\n" * 100)
        with open(os.path.join(repos[kind], "b.txt"), "w") as f:
            f.write("beta\n")
    traces = os.path.join(base, "traces")
    os.makedirs(traces)
    for i, step in enumerate(steps):
        argv = [git, *step]
        trace = os.path.join(traces, f"git{i}.zst")
        native = _run(argv, cwd=repos["native"], env=env, timeout=60)
        p = _leakrec(argv, trace, cwd=repos["rec"], env=env, timeout=60)
        _same(native, p, "git " + " ".join(step))
        j = report_json(trace)
        expect(j["summary"]["allocations"] > 0, f"git {step}: summary {j['summary']}")


SQL = b"""
create table t(id integer primary key, name text, v real);
with recursive n(i) as (select 1 union all select i + 1 from n where i < 2000)
insert into t select i, 'name' || i, i * 0.5 from n;
create index t_name on t(name);
select count(*), sum(v), max(length(name)) from t;
select name from t where id % 500 = 0 order by name;
delete from t where id > 100;
select count(*) from t;
"""


def test_robust_real_sqlite3():
    sq = shutil.which("sqlite3")
    if not sq:
        raise Skip("sqlite3 is not installed (apt-get install sqlite3)")
    d = _fresh("real-sqlite")
    for kind in ("native", "rec"):
        os.makedirs(os.path.join(d, kind))
    traces = os.path.join(d, "traces")
    os.makedirs(traces)
    trace = os.path.join(traces, "sqlite3.zst")
    native = _run([sq, "db.sqlite"], cwd=os.path.join(d, "native"), stdin=SQL, timeout=60)
    p = _leakrec([sq, "db.sqlite"], trace, cwd=os.path.join(d, "rec"), stdin=SQL, timeout=60)
    _same(native, p, "sqlite3")
    expect(native.stdout.startswith(b"2000|1000500.0|8\n"), f"sqlite3 said {native.stdout!r}")
    j = report_json(trace)
    expect(j["summary"]["allocations"] > 0, f"summary {j['summary']}")


def test_robust_real_rust():
    path = prog("leaks_rs")
    if not os.path.exists(path):
        raise Skip("build/tests/leaks_rs was not built (no rustc)")
    _real([path], "leaks_rs")
