"""`leakrec -p PID`: attaching the recorder to a running process and detaching again (issue 17).

The targets are tests/progs/attach_*.c and attach_svc_rs.rs.  The test drives their work through
stdin, so that what they do while leakrec is attached is known exactly: leakrec prints
`leakrec: attached to PID` once the recorder is active (what the target allocates after that line
is recorded) and `leakrec: detached from PID` once it is off again.  Every target's output and exit
status are compared with a run without attaching, every trace must be complete with its END
counters equal to what was read and no realloc cut in two (an RFREE that ends a thread's events:
these programs never realloc to size 0), and every subprocess has a timeout (a hang is a failure; the
process groups this module started are killed).

- services (C and Rust, 5 threads): attached 1 s after start for 2 s (stopped by SIGINT, or by
  --duration): the leak made while attached exactly, the frees of blocks from before exactly, the
  top growth suspect the grower's stack, checksum and exit status as unattached;
- 8 threads hammering malloc and free, 50 attach/detach cycles in a row;
- a process asleep in read(2) and in nanosleep(2), one whose signal handlers allocate, one that
  forks while attached, one that calls dlopen while attached, one that ends while attached;
- errors (one line, exit 1, the target untouched): no such process, another user's process,
  ptrace refused, a static binary, already attached.
"""
import collections
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import lib
from lib import analyze, expect, prog, tmp

TIMEOUT = 30          # any single wait
NOBODY = (65534, 65534)


# ---------------------------------------------------------------- processes

_started = []  # every Popen this module started, killed at the end of each test


class Proc:
    """A child in its own session whose stdout and stderr are read by threads into lines (bytes),
    each with its arrival time, so that a test can wait for a line with a timeout."""

    def __init__(self, argv, what, cwd=None, user=None, stdin=True):
        self.what = what
        if user is not None:
            argv = [shutil.which("setpriv") or "setpriv", f"--reuid={user[0]}",
                    f"--regid={user[1]}", "--clear-groups", *argv]
        self.p = subprocess.Popen(argv, cwd=cwd or lib.TMP,
                                  stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  start_new_session=True, bufsize=0)
        _started.append(self.p)
        self.pid = self.p.pid
        self.cv = threading.Condition()
        self.lines = {"out": [], "err": []}
        self.closed = {"out": False, "err": False}
        self.threads = [threading.Thread(target=self._read, args=(f, k), daemon=True)
                        for f, k in ((self.p.stdout, "out"), (self.p.stderr, "err"))]
        for t in self.threads:
            t.start()

    def _read(self, f, key):
        for line in iter(f.readline, b""):
            with self.cv:
                self.lines[key].append((time.monotonic(), line.rstrip(b"\n")))
                self.cv.notify_all()
        with self.cv:
            self.closed[key] = True
            self.cv.notify_all()

    def out(self):
        with self.cv:
            return [ln for _, ln in self.lines["out"]]

    def err(self):
        with self.cv:
            return [ln for _, ln in self.lines["err"]]

    def show(self):
        return f"stdout {self.out()[-8:]!r} stderr {self.err()[-8:]!r}"

    def wait_line(self, prefix, key="out", timeout=TIMEOUT, what=None, nth=1):
        """The nth line (from the start) that starts with prefix: (arrival time, line)."""
        end = time.monotonic() + timeout
        with self.cv:
            while True:
                hits = [(t, ln) for t, ln in self.lines[key] if ln.startswith(prefix)]
                if len(hits) >= nth:
                    return hits[nth - 1]
                left = end - time.monotonic()
                if self.closed[key] or left <= 0:
                    why = "ended" if self.closed[key] else f"did not come within {timeout} s"
                    raise AssertionError(f"{self.what}: {what or 'the line waited for'} {why}; "
                                         f"{self.show()}")
                self.cv.wait(min(left, 0.5))

    def send(self, data):
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def close(self):
        if self.p.stdin and not self.p.stdin.closed:
            self.p.stdin.close()

    def signal(self, sig):
        self.p.send_signal(sig)

    def wait(self, timeout=TIMEOUT):
        """The exit status; kills the process group and fails when it does not end in time."""
        try:
            rc = self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"{self.what} did not end within {timeout} s (killed); "
                                 f"{self.show()}")
        for t in self.threads:
            t.join(timeout=5)
        return rc

    def kill(self):
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass


def _cleanup():
    while _started:
        p = _started.pop()
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass


def _cleaned(fn):
    """Kills whatever the test left running, whatever its outcome."""
    def run():
        try:
            fn()
        finally:
            _cleanup()
    run.__name__ = fn.__name__
    run.__doc__ = fn.__doc__
    return run


def _target(name, *args, cwd=None, user=None):
    t = Proc([prog(name), *args], name, cwd=cwd, user=user)
    _, line = t.wait_line(b"ready ", what="the ready line")
    expect(int(line.split()[1]) == t.pid, f"{name}: ready line {line!r}, pid {t.pid}")
    return t


def _native(name, *args, stdin=b""):
    p = subprocess.run([prog(name), *args], input=stdin, capture_output=True, timeout=TIMEOUT,
                       cwd=lib.TMP)
    return p.returncode, _body(p.stdout.splitlines())


def _body(lines):
    """The output without the ready line (it holds the pid)."""
    return [ln for ln in lines if not ln.startswith(b"ready ")]


# ---------------------------------------------------------------- leakrec -p

class Attach(Proc):
    """`leakrec -p PID -o TRACE ...`, started; wait_attached() waits for the attached line."""

    def __init__(self, pid, trace, extra=(), cwd=None, user=None, what=None):
        self.target_pid = pid
        self.trace = trace
        argv = [lib.LEAKREC, "-p", str(pid), *(["-o", trace] if trace else []), *extra]
        super().__init__(argv, what or f"leakrec -p {pid} {' '.join(extra)}".strip(), cwd=cwd,
                         user=user, stdin=False)

    def wait_attached(self, timeout=TIMEOUT):
        t, _ = self.wait_line(f"leakrec: attached to {self.target_pid}".encode(), key="err",
                              timeout=timeout, what="the attached line")
        return t

    def finish(self, timeout=TIMEOUT, ended=False):
        """Waits for leakrec to end; checks exit 0 and the detached (or ended) line; returns the
        time the detached line came."""
        rc = self.wait(timeout)
        expect(rc == 0, f"{self.what}: exit {rc}, not 0; {self.show()}")
        err = self.err()
        if ended:
            expect(any(b"ended while attached" in ln for ln in err),
                   f"{self.what}: no 'ended while attached' line: {err!r}")
            return None
        t, _ = self.wait_line(f"leakrec: detached from {self.target_pid}".encode(), key="err",
                              timeout=1, what="the detached line")
        return t

    def stop(self, timeout=TIMEOUT):
        """SIGINT, then finish()."""
        self.signal(signal.SIGINT)
        return self.finish(timeout)


# ---------------------------------------------------------------- traces

def _dump(trace):
    """(END record, counters of the events read): the END record as a dict of ints (exactly one
    required), and the events `leakanalyze dump` read by kind, with their sizes."""
    out = analyze("dump", trace).stdout
    pairs = re.findall(r"^event [^\n]*? tid=(\d+) kind=(\w+)", out, re.M)
    kinds = collections.Counter(k for _, k in pairs)
    # A realloc is an RFREE and its RALLOC; these programs never realloc to size 0, so an RFREE
    # is always followed by its RALLOC on the same thread (dump's file order keeps each thread's
    # order): one that ends a thread's events is a realloc cut in two by the detach.
    last = {}
    for tid, k in pairs:
        last[tid] = k
    cut = sorted(tid for tid, k in last.items() if k == "rfree")
    expect(not cut, f"{trace}: the events of thread(s) {', '.join(cut)} end with an RFREE "
                    f"whose RALLOC is missing (a realloc cut in two by the detach)")
    sizes = collections.Counter(int(x) for x in re.findall(
        r"^event [^\n]*? kind=r?alloc [^\n]*? size=(\d+)", out, re.M))
    ends = [{k: int(v) for k, v in lib.parse_kv(line)[1].items() if v.isdigit()}
            for line in re.findall(r"^end [^\n]*", out, re.M)]
    expect(len(ends) == 1, f"{trace}: {len(ends)} END records (the trace must be complete)")
    return ends[0], kinds, sizes


def _check_end(trace):
    """Nothing lost, nothing doubled: END's counters equal the events read.  Returns (END, the
    sizes of the allocations read)."""
    end, kinds, sizes = _dump(trace)
    n = sum(kinds.values())
    allocs = kinds["alloc"] + kinds["ralloc"]
    frees = kinds["free"] + kinds["rfree"]
    expect(end["events"] == n and end["allocs"] == allocs and end["frees"] == frees
           and end["dropped"] == 0,
           f"{trace}: END says events={end['events']} allocs={end['allocs']} "
           f"frees={end['frees']} dropped={end['dropped']}; read {n} events, {allocs} allocs, "
           f"{frees} frees")
    return end, sizes


def _report(trace):
    p = analyze("--json", "-n", "0", trace)
    d = json.loads(p.stdout)
    diag = d["diagnostics"]
    expect(diag["complete"], f"{trace}: incomplete: {diag.get('incomplete_reason')} "
                             f"({p.stderr.strip()})")
    s = d["summary"]
    expect(s.get("attached") is True, f"{trace}: summary.attached is {s.get('attached')!r}")
    expect("frees_before_attach" in s, f"{trace}: no summary.frees_before_attach")
    return d


def _at(d, section, function):
    """(bytes, allocations) of the entries of d[section] whose stack has a frame in function."""
    es = lib.find_stack(d[section], function)
    return sum(e["bytes"] for e in es), sum(e["allocations"] for e in es)


def _not_injected(pid, what):
    """The target untouched: the recorder's library is not mapped into it."""
    with open(f"/proc/{pid}/maps", encoding="utf-8", errors="replace") as f:
        maps = f.read()
    expect("libleakrec" not in maps, f"{what}: libleakrec.so is mapped in the target after the "
                                     f"refused attach")


# ---------------------------------------------------------------- 1. services

K, M, AFTER = 20, 50, 30                 # commands before, while and after attached
LEAK_SIZE, NODE_SIZE, NSTART = 1536, 48, 4096


def _service(name, exit_status, by_duration):
    """The service test (see tests/progs/attach_svc.c): K commands, attach at 1 s with the churn
    threads paused at the attach instant, resume, M commands, pause, detach at 2 s, resume, AFTER
    more commands, EOF."""
    script = b"c" * K + b"pr" + b"c" * M + b"pr" + b"c" * AFTER
    want_rc, want = _native(name, stdin=script)
    expect(want_rc == exit_status and want[-1].startswith(b"checksum ")
           and want[-1].endswith(b" errors 0"),
           f"{name} unattached: exit {want_rc}, output ends {want[-2:]!r}")

    trace = tmp(f"{name}.attach.zst")
    t0 = time.monotonic()
    t = _target(name)
    t.send(b"c" * K)
    t.wait_line(f"ack {K}".encode())
    time.sleep(max(0.0, t0 + 1.0 - time.monotonic()))
    t.send(b"p")
    t.wait_line(b"paused")
    extra = ("--duration", "2s") if by_duration else ()
    a = Attach(t.pid, trace, extra)
    t_att = a.wait_attached()
    t.send(b"r")
    t.wait_line(b"resumed")
    time.sleep(0.3)                       # churn and growth while attached
    t.send(b"c" * M)
    t.wait_line(f"ack {K + M}".encode())
    time.sleep(0.3)
    t.send(b"p")
    t_paused, _ = t.wait_line(b"paused", nth=2, what="the second paused line")
    if by_duration:
        t_det = a.finish()
    else:
        time.sleep(max(0.0, t_att + 2.0 - time.monotonic()))
        t_det = a.stop()
    expect(t_det > t_paused, f"{name}: leakrec detached before the churn threads paused "
                              f"(the machine is too slow for the 2 s attach)")
    expect(t_det - t_att >= 1.9, f"{name}: attached for {t_det - t_att:.2f} s, not 2")
    t.send(b"r")
    t.wait_line(b"resumed", nth=2)
    t.send(b"c" * AFTER)
    t.wait_line(f"ack {K + M + AFTER}".encode())
    t.close()
    rc = t.wait()
    got = _body(t.out())
    expect(rc == exit_status, f"{name} attached: exit {rc}, unattached {exit_status}")
    expect(got == want, f"{name}: output differs from the unattached run:\n got {got[-4:]!r}\n"
                        f"want {want[-4:]!r}")
    expect(not t.err(), f"{name}: stderr {t.err()!r}")

    end, _ = _check_end(trace)
    d = _report(trace)
    s = d["summary"]
    lb, ln = _at(d, "leaks", "leak_block")
    expect((lb, ln) == (M * LEAK_SIZE, M),
           f"{name}: leaked at leak_block {lb} bytes in {ln} blocks, want {M * LEAK_SIZE} in {M}")
    rb, rn = _at(d, "leaks", "append_record")
    expect((rb, rn) == (M * NODE_SIZE, M),
           f"{name}: live at append_record {rb} bytes in {rn}, want {M * NODE_SIZE} in {M}")
    ab, an = _at(d, "allocators", "leak_block")
    expect(an == M, f"{name}: {an} allocations at leak_block recorded, want {M}")
    cb, cn = _at(d, "leaks", "churn_step")
    expect(cn == 0, f"{name}: {cn} churn blocks live at detach (the churn was paused)")
    _, churned = _at(d, "allocators", "churn_step")
    expect(churned > 1000, f"{name}: only {churned} churn allocations recorded")
    # frees of blocks from before the attach: the M start-up blocks the commands freed, nothing
    # else (the churn threads hold no block across the attach instant, the grower never frees)
    expect(s["frees_before_attach"] == M,
           f"{name}: frees_before_attach {s['frees_before_attach']}, want {M} (END "
           f"unmatched_frees {end.get('unmatched_frees')})")
    _, grown = _at(d, "leaks", "grow_step")
    expect(200 <= grown <= 500, f"{name}: {grown} grower blocks in 2 s (one per 5 ms)")
    sus = d["growth"]["suspects"]
    expect(sus and lib.find_stack(sus[:1], "grow_step"),
           f"{name}: the top growth suspect is "
           f"{lib.stack_functions(sus[0])[:4] if sus else 'none'}, not grow_step's stack")
    print(f"    {name}: attached {t_det - t_att:.2f} s, {s['allocations']} allocations, "
          f"{grown} grower blocks, frees_before_attach {s['frees_before_attach']}")


@_cleaned
def test_attach_service_c():
    """The C service, detached by SIGINT after 2 s."""
    _service("attach_svc", 7, by_duration=False)


@_cleaned
def test_attach_service_rust():
    """The Rust service (std threads), detached by --duration 2s."""
    expect(os.access(prog("attach_svc_rs"), os.X_OK),
           "attach_svc_rs is not built (rustc missing?): cannot test a Rust service")
    _service("attach_svc_rs", 9, by_duration=True)


# ---------------------------------------------------------------- 2. 50 cycles

@_cleaned
def test_attach_50_cycles_hammer():
    """8 threads hammer malloc and free; 50 attach/detach cycles in a row, of 100 ms
    (--duration) and every 10th stopped by SIGINT as soon as it attached: every one attaches,
    detaches, leaves a complete trace whose END counters equal the events read (every 5th also
    read whole by the analyzer: complete, its END call counts equal the replay's); the program
    computes what it computes unattached."""
    want_rc, want = _native_hammer()
    t = _target("attach_hammer")
    time.sleep(0.2)
    t_start = time.monotonic()
    bad = []  # traces that fail a check: every cycle runs, then the test fails with them all
    for i in range(50):
        trace = tmp(f"hammer{i}.zst")
        quick = i % 10 == 9
        a = Attach(t.pid, trace, () if quick else ("--duration", "100ms"),
                   what=f"cycle {i}: leakrec -p")
        a.wait_attached()
        if quick:
            a.stop()
        else:
            a.finish()
        expect(t.p.poll() is None, f"cycle {i}: the target ended ({t.p.returncode}); {t.show()}")
        try:
            end, _ = _check_end(trace)
            expect(quick or end["allocs"] > 100, f"{end['allocs']} allocations in 100 ms")
            if i % 5 == 0:
                _report(trace)
            os.unlink(trace)
        except AssertionError as e:
            bad.append(f"cycle {i}: {e}")
    took = time.monotonic() - t_start
    t.close()
    rc = t.wait()
    got = _body(t.out())
    expect(rc == want_rc == 0 and got == want,
           f"after 50 cycles: exit {rc}, output {got!r}; unattached {want_rc} {want!r}")
    print(f"    50 cycles in {took:.1f} s")
    expect(not bad, f"{len(bad)} of 50 traces fail their checks: " + "; ".join(bad))


def _native_hammer():
    t = _target("attach_hammer")
    time.sleep(0.3)
    t.close()
    rc = t.wait()
    out = _body(t.out())
    expect(rc == 0 and out and out[-1] == b"errors 0" and len(out) == 9,
           f"attach_hammer unattached: exit {rc}, {out!r}")
    return rc, out


# ---------------------------------------------------------------- 3. special targets

@_cleaned
def test_attach_blocked_in_read():
    """Single-threaded, blocked in read(2) when leakrec attaches: the read goes on and returns the
    line sent while attached (recorded: one block of 400 bytes), and after detach the next one."""
    trace = tmp("sleep_read.zst")
    t = _target("attach_sleep", "read")
    time.sleep(0.2)
    a = Attach(t.pid, trace)
    a.wait_attached()
    time.sleep(0.3)
    t.send(b"abc\n")
    t.wait_line(b"got 4 abc")
    a.stop()
    t.send(b"defgh\n")
    t.wait_line(b"got 6 defgh")
    t.close()
    rc = t.wait()
    want = [b"got 4 abc", b"got 6 defgh", b"eof 2 10"]
    expect(rc == 5 and _body(t.out()) == want, f"exit {rc}, output {t.out()!r}, want {want!r}")
    _check_end(trace)
    d = _report(trace)
    expect(_at(d, "leaks", "on_line") == (400, 1), f"leaked at on_line {_at(d, 'leaks', 'on_line')}")
    expect(d["summary"]["allocations"] == 1,
           f"{d['summary']['allocations']} allocations recorded, want the 1 of on_line")


@_cleaned
def test_attach_blocked_in_nanosleep():
    """Single-threaded, asleep in one nanosleep(2) of 2 s: attached 0.3 s in for 300 ms; the sleep
    returns 0 (no EINTR) after 2 s, not later (a restarted sleep would last longer)."""
    trace = tmp("sleep_nano.zst")
    t = _target("attach_sleep", "sleep", "2000")
    time.sleep(0.3)
    a = Attach(t.pid, trace, ("--duration", "300ms"))
    a.wait_attached()
    a.finish()
    rc = t.wait()
    out = _body(t.out())
    m = re.fullmatch(rb"slept rc=(-?\d+) errno=(\d+) elapsed_us=(\d+)", out[0] if out else b"")
    expect(rc == 0 and m and len(out) == 1, f"exit {rc}, output {out!r}")
    us = int(m.group(3))
    expect(m.group(1) == b"0" and m.group(2) == b"0", f"nanosleep returned {out[0]!r}")
    expect(2_000_000 <= us <= 2_200_000, f"the 2 s sleep took {us / 1e6:.3f} s")
    _check_end(trace)
    d = _report(trace)
    expect(d["summary"]["allocations"] == 0,
           f"{d['summary']['allocations']} allocations recorded from a sleeping process")


def _native_signal():
    t = _target("attach_signal")
    time.sleep(0.5)
    t.close()
    rc = t.wait()
    return rc, _body(t.out())


@_cleaned
def test_attach_signal_handlers_allocate():
    """SIGALRM every 200 us, its handler mallocs and frees 777 bytes: two attach/detach cycles of
    500 ms; the handler's blocks are recorded at a stack through on_alarm, allocated and freed
    (at most one in flight at detach), and the program's output is as unattached."""
    want_rc, want = _native_signal()
    expect(want_rc == 0 and len(want) == 1 and want[0].startswith(b"handled yes errors 0 main ")
           and want[0].endswith(b" errors 0"), f"attach_signal unattached: {want_rc} {want!r}")
    t = _target("attach_signal")
    time.sleep(0.3)
    traces = [tmp(f"signal{i}.zst") for i in range(2)]
    for tr in traces:
        a = Attach(t.pid, tr, ("--duration", "500ms"))
        a.wait_attached()
        a.finish()
        time.sleep(0.2)
    t.close()
    rc = t.wait()
    expect(rc == want_rc and _body(t.out()) == want,
           f"exit {rc}, output {t.out()!r}; unattached {want!r}")
    expect(not t.err(), f"stderr {t.err()!r}")
    for tr in traces:
        _check_end(tr)
        d = _report(tr)
        _, n = _at(d, "allocators", "on_alarm")
        lb, ln = _at(d, "leaks", "on_alarm")
        expect(n >= 50, f"{tr}: {n} allocations at on_alarm in 500 ms")
        expect(ln <= 1, f"{tr}: {ln} handler blocks live at detach (at most 1 in flight)")
        _, mn = _at(d, "allocators", "main_step")
        expect(mn >= 10, f"{tr}: {mn} allocations of the main thread")


@_cleaned
def test_attach_forks_while_attached():
    """Forks while attached: the children (status 10 + N, exit() and _exit()) run and end as
    unattached, their allocations are in no trace and no trace file of theirs appears; the parent's
    trace holds its 3 notes of 2222 bytes."""
    script = b"fffff"
    want_rc, want = _native("attach_fork", stdin=script)
    expect(want_rc == 0 and want[-1] == b"done 5" and b"WRONG" not in b"".join(want),
           f"attach_fork unattached: {want_rc} {want!r}")
    d = os.path.join(lib.TMP, "attach-fork")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    trace = os.path.join(d, "fork.zst")
    t = _target("attach_fork", cwd=d)
    t.send(b"f")
    t.wait_line(b"ack 0")
    a = Attach(t.pid, trace, cwd=d)
    a.wait_attached()
    t.send(b"fff")
    t.wait_line(b"ack 3")
    a.stop()
    t.send(b"f")
    t.wait_line(b"ack 4")
    t.close()
    rc = t.wait()
    expect(rc == want_rc and _body(t.out()) == want,
           f"exit {rc}, output {_body(t.out())!r}; unattached {want!r}")
    files = sorted(os.listdir(d))
    expect(files == ["fork.zst"], f"files in the folder: {files} (children must not record)")
    _, sizes = _check_end(trace)
    expect(sizes[3333] == 0, f"{sizes[3333]} child allocations (3333 bytes) in the parent's trace")
    r = _report(trace)
    expect(_at(r, "leaks", "note_child") == (3 * 2222, 3),
           f"live at note_child {_at(r, 'leaks', 'note_child')}, want (6666, 3)")
    expect(not lib.find_stack(r["allocators"], "child_work"), "child_work in the parent's trace")


@_cleaned
def test_attach_dlopen_while_attached():
    """dlopen while attached: the library's 7 blocks of 1234 bytes are recorded at a stack through
    attach_dl_work in libattach_dl.so; its second call, after detach, is not."""
    want_rc, want = _native("attach_dl", stdin=b"dd")
    expect(want_rc == 0 and len(want) == 3 and want[-1] == b"done", f"attach_dl: {want!r}")
    trace = tmp("dl.zst")
    t = _target("attach_dl")
    a = Attach(t.pid, trace)
    a.wait_attached()
    t.send(b"d")
    t.wait_line(b"dl 1 ")
    a.stop()
    t.send(b"d")
    t.wait_line(b"dl 2 ")
    t.close()
    rc = t.wait()
    expect(rc == 0 and _body(t.out()) == want, f"exit {rc}, {_body(t.out())!r}; want {want!r}")
    _check_end(trace)
    d = _report(trace)
    es = lib.find_stack(d["leaks"], "attach_dl_work")
    got = (sum(e["bytes"] for e in es), sum(e["allocations"] for e in es))
    expect(got == (7 * 1234, 7), f"leaked at attach_dl_work {got}, want (8638, 7)")
    mods = {f["module"] for e in es for f in e["stack"] if f.get("function") == "attach_dl_work"}
    expect(mods and all(m.endswith("libattach_dl.so") for m in mods),
           f"attach_dl_work's frames are in {mods}")
    expect(_at(d, "allocators", "attach_dl_work")[1] == 7, "the call after detach was recorded")


@_cleaned
def test_attach_target_ends_while_attached():
    """The target exits while attached: leakrec says so, exits 0, and the trace is complete (the
    block allocated while attached and freed at exit shows as allocated and freed)."""
    trace = tmp("ends.zst")
    t = _target("attach_sleep", "read")
    a = Attach(t.pid, trace)
    a.wait_attached()
    t.send(b"abc\n")
    t.wait_line(b"got 4 abc")
    t.close()
    rc = t.wait()
    expect(rc == 5 and _body(t.out()) == [b"got 4 abc", b"eof 1 4"], f"exit {rc}, {t.out()!r}")
    a.finish(ended=True)
    _check_end(trace)
    d = _report(trace)
    _, n = _at(d, "allocators", "on_line")
    expect(n == 1 and _at(d, "leaks", "on_line") == (0, 0),
           f"on_line: {n} allocations, leaked {_at(d, 'leaks', 'on_line')}")


# ---------------------------------------------------------------- 4. errors

def _refused(argv_target, pid, want, user=None, cwd=None, trace=True):
    """leakrec -p PID, expected to fail: exit 1, one line `leakrec: cannot attach to PID: ...`
    containing want."""
    out = [] if not trace else ["-o", os.path.join(cwd or lib.TMP, f"refused{pid}.zst")]
    argv = [lib.LEAKREC, "-p", str(pid), *out]
    if user is not None:
        argv = [shutil.which("setpriv"), f"--reuid={user[0]}", f"--regid={user[1]}",
                "--clear-groups", *argv]
    p = subprocess.run(argv, capture_output=True, timeout=TIMEOUT, cwd=cwd or lib.TMP)
    lines = p.stderr.decode("utf-8", "replace").splitlines()
    prefix = f"leakrec: cannot attach to {pid}: "
    expect(p.returncode == 1 and len(lines) == 1 and lines[0].startswith(prefix)
           and want in lines[0],
           f"{argv_target}: leakrec -p exited {p.returncode} with stderr {lines!r}; want exit 1 "
           f"and one line '{prefix}...{want}...'")
    return lines[0]


def _still_fine(t, what):
    """The target after a refused attach: its normal output, exit 5."""
    t.send(b"xy\n")
    t.wait_line(b"got 3 xy", what=f"{what}: the echo after the refused attach")
    t.close()
    rc = t.wait()
    expect(rc == 5 and _body(t.out()) == [b"got 3 xy", b"eof 1 3"],
           f"{what}: the target after the refused attach: exit {rc}, {t.out()!r}")


def _shared_dir():
    """A folder nobody can write (the tests' own folder is root's alone)."""
    d = tempfile.mkdtemp(prefix="leakrec-attach-")
    os.chmod(d, 0o777)
    return d


@_cleaned
def test_attach_refused_no_such_process():
    p = subprocess.Popen(["true"])
    p.wait(timeout=TIMEOUT)
    _refused("a finished process", p.pid, "no such process")


@_cleaned
def test_attach_refused_another_user():
    expect(os.geteuid() == 0, "not root: cannot run leakrec as another user (run the tests as root)")
    expect(shutil.which("setpriv"), "setpriv is missing (util-linux)")
    d = _shared_dir()
    try:
        t = _target("attach_sleep", "read")
        _refused("root's process, leakrec as nobody", t.pid, "another user", user=NOBODY, cwd=d)
        _not_injected(t.pid, "another user")
        _still_fine(t, "another user")
    finally:
        shutil.rmtree(d, ignore_errors=True)


@_cleaned
def test_attach_refused_ptrace():
    """nobody attaching to nobody's own process, made non-dumpable (no Yama on this machine)."""
    expect(os.geteuid() == 0, "not root: cannot run the processes as nobody (run the tests as root)")
    expect(shutil.which("setpriv"), "setpriv is missing (util-linux)")
    d = _shared_dir()
    try:
        t = _target("attach_sleep", "nodump", cwd=d, user=NOBODY)
        _refused("a non-dumpable process of the same user", t.pid, "ptrace", user=NOBODY, cwd=d)
        _not_injected(t.pid, "ptrace refused")
        _still_fine(t, "ptrace refused")
    finally:
        shutil.rmtree(d, ignore_errors=True)


@_cleaned
def test_attach_refused_static():
    expect(os.access(prog("attach_sleep.static"), os.X_OK),
           "attach_sleep.static is not built: the C library's static archive (libc.a) is missing")
    t = _target("attach_sleep.static", "read")
    _refused("a static binary", t.pid, "statically linked")
    _not_injected(t.pid, "static binary")
    _still_fine(t, "static binary")


@_cleaned
def test_attach_refused_already_attached():
    """A second leakrec -p while one is attached: refused; the first one detaches normally and
    its trace is complete."""
    trace = tmp("already.zst")
    t = _target("attach_sleep", "read")
    a = Attach(t.pid, trace)
    a.wait_attached()
    _refused("a process leakrec is attached to", t.pid, "already")
    t.send(b"ab\n")
    t.wait_line(b"got 3 ab")
    a.stop()
    _check_end(trace)
    d = _report(trace)
    expect(_at(d, "leaks", "on_line") == (300, 1), f"on_line {_at(d, 'leaks', 'on_line')}")
    t.send(b"xy\n")
    t.wait_line(b"got 3 xy")
    t.close()
    rc = t.wait()
    expect(rc == 5 and _body(t.out()) == [b"got 3 ab", b"got 3 xy", b"eof 2 6"],
           f"exit {rc}, {t.out()!r}")
