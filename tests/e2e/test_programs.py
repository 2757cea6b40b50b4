"""Right answers on programs of the shapes users bring: allocations before main and frees after it,
daemons, every signal that ends a process, stacks that print the same, runtime against program
memory, library plumbing, debug against release builds, incomplete traces, growth under a
teardown, and the launcher's and the analyzer's smaller promises.  Every figure is checked
against what the program is built to do (tests/progs/*: the truth is in their comments or
printed as 'expect FUNCTION ALLOCATIONS BYTES' lines)."""
import json
import os
import pty
import re
import select
import shutil
import signal
import stat
import subprocess
import time

import lib
from lib import analyze, expect, prog, report_json

TIMEOUT = 60


# ---- helpers ----

def _dir(name):
    d = os.path.join(lib.TMP, "programs-" + name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def _run(argv, cwd=None, env=None, timeout=TIMEOUT, **kw):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run(argv, cwd=cwd or lib.TMP, env=e, capture_output=True, timeout=timeout,
                       **kw)
    return p


def _leakrec(argv, trace, extra=(), quiet=True, **kw):
    return _run([lib.LEAKREC, *(["-q"] if quiet else []), "-o", trace, *extra, "--", *argv], **kw)


def _need(path, what):
    if not os.path.exists(path):
        raise AssertionError(f"{path} was not built ({what}): make test builds it; is {what} "
                             f"installed?")


def _expected(stdout):
    out = {}
    for line in (stdout.decode() if isinstance(stdout, bytes) else stdout).splitlines():
        p = line.split()
        if len(p) == 4 and p[0] == "expect":
            out[p[1]] = (int(p[2]), int(p[3]))
    return out


def _base(fn):
    return re.sub(r"\(.*\)( const)?$", "", fn or "")


def _names(entry):
    return [_base(f.get("function")) for f in entry["stack"]]


def _has(entry, function):
    return any(n == function or n.endswith("::" + function) for n in _names(entry))


def _sum(entries, function, key="bytes"):
    sel = [e for e in entries if _has(e, function)]
    return sum(e["allocations"] for e in sel), sum(e[key] for e in sel)


# ---- start-up and exit ----

def test_programs_startup_allocations_and_exit_frees():
    """A library's constructor and static std::map, the program's constructor and libstdc++'s
    emergency pool allocate before the recorder's constructor runs; destructors free at exit."""
    _need(prog("startup"), "g++")
    p, trace = lib.record([prog("startup")])
    expect(p.returncode == 0, f"exit {p.returncode}: {p.stderr!r}")
    d = report_json(trace, "-n", "0")
    s = d["summary"]
    # what valgrind counts for this program (2,061 allocs, 216,224 bytes; it frees the pool too)
    expect(s["allocations"] == 2061 and s["allocated_bytes"] == 216224,
           f"allocations {s['allocations']}, {s['allocated_bytes']} B (want 2061, 216224)")
    expect(s["frees"] == 1600, f"frees {s['frees']} (600 by the library's destructor, 1000 of "
                               f"the static map's nodes)")
    expect(s["peak_heap_bytes"] == 216224, f"peak {s['peak_heap_bytes']}")
    expect(s["leaked_bytes"] == 43520 and s["leaked_allocations"] == 460,
           f"leaked {s['leaked_bytes']} in {s['leaked_allocations']}")
    expect(s["runtime_leaked_bytes"] == 72704, f"runtime-owned {s['runtime_leaked_bytes']}: "
                                               f"libstdc++'s emergency pool is 72,704 B")
    for fn, want in {"lib_ctor_alloc": (400, 40000), "exe_ctor_alloc": (50, 3200),
                     "main_alloc": (10, 320)}.items():
        expect(_sum(d["leaks"], fn) == want, f"{fn}: leaked {_sum(d['leaks'], fn)}, want {want}")
    expect(_sum(d["peak"], "fill_lib_table") == (1000, 40000),
           f"the static map at the peak: {_sum(d['peak'], 'fill_lib_table')}")
    expect(d["diagnostics"]["unmatched_frees"] == 0 and d["diagnostics"]["complete"],
           f"diagnostics {d['diagnostics']}")
    vg = shutil.which("valgrind")
    expect(vg, "valgrind is not installed (apt-get install valgrind): it is the reference here")
    v = _run([vg, "--leak-check=no", prog("startup")])
    m = re.search(rb"total heap usage: ([\d,]+) allocs, ([\d,]+) frees, ([\d,]+) bytes", v.stderr)
    expect(m, f"valgrind said {v.stderr[-500:]!r}")
    allocs, frees, nbytes = (int(x.replace(b",", b"")) for x in m.groups())
    expect((allocs, nbytes) == (s["allocations"], s["allocated_bytes"]) and frees == s["frees"] + 1,
           f"valgrind: {allocs} allocs, {frees} frees, {nbytes} B; leakrec: {s['allocations']}, "
           f"{s['frees']} (+1: valgrind frees the pool at exit), {s['allocated_bytes']}")



def test_programs_name_service_caches_are_the_runtimes():
    """getpwuid/getgrgid: libc keeps the parsed nsswitch.conf, the modules and the static results
    (valgrind frees them with __libc_freeres and reports none); the program leaks 100 B."""
    p, trace = lib.record([prog("nss")])
    expect(p.returncode == 0, f"exit {p.returncode}: {p.stderr!r}")
    d = report_json(trace, "-n", "0")
    s = d["summary"]
    expect(s["leaked_bytes"] == 100 and s["leaked_allocations"] == 1,
           f"leaked {s['leaked_bytes']} in {s['leaked_allocations']}: {d['leaks']}")
    expect([lib.stack_functions(e)[0] for e in d["leaks"] if not e.get("runtime")] == ["main"],
           f"leaks {[lib.stack_functions(e)[:3] for e in d['leaks']]}")
    expect(s["runtime_leaked_bytes"] > 0, "libc's name service caches are runtime-owned")


# ---- daemons ----

def _wait_for(path, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        if os.path.exists(path):
            return True
        time.sleep(0.05)
    return False


def _complete(trace, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        p = analyze("--json", trace, check=False)
        if p.returncode == 0 and json.loads(p.stdout)["diagnostics"]["complete"]:
            return json.loads(p.stdout)
        time.sleep(0.1)
    raise AssertionError(f"{trace} did not become complete")


def test_programs_daemons():
    """double fork with setsid and stdio closed, daemon(3), a parent that exits first."""
    for mode in ("double", "daemon3", "late"):
        d = _dir("daemon-" + mode)
        trace = os.path.join(d, "t.zst")
        p = _leakrec([prog("daemon"), mode, d], trace, quiet=False, cwd=d)
        expect(p.returncode == 0, f"{mode}: exit {p.returncode} {p.stderr!r}")
        expect(_wait_for(os.path.join(d, "daemon.done")), f"{mode}: the daemon did not finish")
        pid = int(open(os.path.join(d, "daemon.pid")).read())
        mine = [f for f in os.listdir(d) if re.fullmatch(rf"t\.(\d+\.)*{pid}\.zst", f)]
        expect(len(mine) == 1, f"{mode}: traces {sorted(os.listdir(d))}, daemon pid {pid}")
        j = _complete(os.path.join(d, mine[0]))
        expect(j["program"]["pid"] == pid, f"{mode}: pid {j['program']['pid']}")
        expect(_sum(j["leaks"], "daemon_work") == (30, 1920) and j["summary"]["allocations"] == 100,
               f"{mode}: leaks {_sum(j['leaks'], 'daemon_work')}, {j['summary']['allocations']} "
               f"allocations")
        root = report_json(trace)
        expect(root["diagnostics"]["complete"], f"{mode}: the parent's trace is incomplete")
        if mode == "late":
            expect(f"trace {trace}: 1 allocation, 1 free\n" in p.stderr.decode(),
                   f"singular forms: {p.stderr!r}")


# ---- endings by signal ----

SIGNALS = ["SIGINT", "SIGHUP", "SIGQUIT", "SIGPIPE", "SIGALRM", "SIGUSR1", "SIGUSR2", "SIGXCPU",
           "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGTERM", "SIGSEGV", "SIGABRT", "SIGIO", "SIGPWR"]


def _sig_leak(trace, extra=0):
    j = report_json(trace, "-n", "0")
    expect(j["diagnostics"]["complete"], f"{trace}: incomplete: {j['diagnostics']}")
    expect(_sum(j["leaks"], "sig_work") == (8, 4000), f"{trace}: {_sum(j['leaks'], 'sig_work')}")
    return j


def test_programs_signal_endings():
    d = _dir("signals")
    names = SIGNALS + ["RT"]
    for name in names:
        num = signal.SIGRTMIN + 1 if name == "RT" else int(getattr(signal, name))
        argv = [prog("sigend"), "raise", str(num)]
        native = _run(argv, cwd=d)
        trace = os.path.join(d, f"{name}.zst")
        p = _leakrec(argv, trace, quiet=False, cwd=d)
        expect(native.returncode == -num, f"{name}: native {native.returncode}")
        expect(p.returncode == 128 + num, f"{name}: status {p.returncode}, want {128 + num}")
        sn = {"SIGIO": "SIGPOLL"}.get(name, name) if name != "RT" else f"SIGRT{num}"
        m = re.search(r"leakrec: program killed by (\S+)", p.stderr.decode())
        expect(m and (m.group(1) in (name, sn) or name == "RT"), f"{name}: {p.stderr!r}")
        _sig_leak(trace)
    # a program that handles the signal itself: its handler runs, allocates, exits 7
    trace = os.path.join(d, "handled.zst")
    p = _leakrec([prog("sigend"), "handled", str(int(signal.SIGINT))], trace, cwd=d)
    expect(p.returncode == 7, f"handled: status {p.returncode}")
    j = _sig_leak(trace)
    expect(_sum(j["leaks"], "handler_alloc") == (1, 77), f"handler's leak {_sum(j['leaks'], 'handler_alloc')}")


def _start_waiting(argv, trace, cwd, quiet=True):
    p = subprocess.Popen([lib.LEAKREC, *(["-q"] if quiet else []), "-o", trace, "--", *argv], cwd=cwd,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ready = select.select([p.stdout], [], [], TIMEOUT)[0]
    expect(ready and p.stdout.readline() == b"ready\n", "the program did not start")
    return p


def test_programs_signal_to_the_launcher_passed_on():
    """A supervisor's TERM, INT or HUP sent to the launcher alone reaches the program."""
    d = _dir("forward")
    for name in ("SIGTERM", "SIGINT", "SIGHUP"):
        num = int(getattr(signal, name))
        trace = os.path.join(d, f"{name}.zst")
        p = _start_waiting([prog("sigend"), "wait", str(num)], trace, d)
        p.send_signal(num)
        try:
            p.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            p.kill()
            raise AssertionError(f"{name} to the launcher was not passed on")
        expect(p.returncode == 128 + num, f"{name}: status {p.returncode}")
        _sig_leak(trace)


def _pty_run(argv, wait_for, timeout=TIMEOUT):
    """Runs argv on a pseudo-terminal, types Ctrl-C once wait_for was printed; returns (status,
    output)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(argv[0], argv)
    out = b""
    sent = False
    end = time.time() + timeout
    while time.time() < end:
        r = select.select([fd], [], [], 0.2)[0]
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        if not sent and wait_for in out:
            os.write(fd, b"\x03")
            sent = True
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out


def test_programs_ctrl_c_at_a_terminal():
    d = _dir("ctrlc")
    trace = os.path.join(d, "c.zst")
    status, out = _pty_run([lib.LEAKREC, "-q", "-o", trace, prog("sigend"), "wait",
                            str(int(signal.SIGINT))], b"ready")
    expect(status == 130, f"status {status}, output {out[-300:]!r}")
    _sig_leak(trace)
    # Python installs its own SIGINT handler when it finds the default: KeyboardInterrupt, and
    # it sees the same handlers as without the recorder
    py = shutil.which("python3")
    expect(py, "python3 is not installed")
    code = ("import signal, time\n"
            "print(signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM), flush=True)\n"
            "try:\n    print('ready', flush=True)\n    time.sleep(20)\n"
            "except KeyboardInterrupt:\n    print('caught', flush=True)\n")
    native_status, native_out = _pty_run([py, "-c", code], b"ready")
    trace = os.path.join(d, "py.zst")
    status, out = _pty_run([lib.LEAKREC, "-q", "-o", trace, py, "-c", code], b"ready")
    expect(b"caught" in native_out and b"caught" in out,
           f"KeyboardInterrupt natively {native_out[-200:]!r}, under leakrec {out[-200:]!r}")
    first = lambda o: o.replace(b"\r", b"").split(b"\n")[0]  # noqa: E731
    expect(first(out) == first(native_out), f"handlers seen: {first(out)!r}, natively "
                                            f"{first(native_out)!r}")
    expect(status == native_status == 0, f"status {status}, natively {native_status}")


# ---- stacks that print the same ----

def test_programs_merged_stacks():
    for name in ("samesite", "samesite_rs"):
        _need(prog(name), "rustc" if name.endswith("_rs") else "cc")
        p, trace = lib.record([prog(name)])
        expect(p.returncode == 0, f"{name}: exit {p.returncode}")
        j = report_json(trace, "-n", "0")
        sel = [e for e in j["leaks"] if _has(e, "store_grow")]
        expect(len(sel) == 1, f"{name}: {len(sel)} leak entries of store_grow, want one")
        e = sel[0]
        expect(e["allocations"] == 40 and e["bytes"] == 40000 and len(e["stack_ids"]) == 40,
               f"{name}: {e['bytes']} B in {e['allocations']}, {len(e['stack_ids'])} stacks merged")
        sus = j["growth"]["suspects"]
        expect(sus and _has(sus[0], "store_grow"), f"{name}: suspects {[_names(s)[:2] for s in sus]}")
        rate = sus[0]["slope_bytes_per_s"]
        expect(abs(rate - 200000) < 20000, f"{name}: store grows at {rate:.0f} B/s, truth 200,000")
        text = analyze("-n", "1", trace).stdout
        expect("39.1 KiB in 40 allocations" in text, f"{name}: text {text[:1500]}")


# ---- runtime against program memory ----

def test_programs_runtime_owned_versus_returned():
    _need(prog("owned_rs"), "rustc")
    f = os.path.join(lib.TMP, "owned-input.txt")
    with open(f, "w") as fh:
        fh.write("hello world file\n")
    p, trace = lib.record([prog("owned_rs"), f], env={"LEAKREC_TEST_VAR": "some-value-here"})
    expect(p.returncode == 0, f"exit {p.returncode}: {p.stderr!r}")
    want = _expected(p.stdout)
    expect(set(want) == {"leak_cwd", "leak_var", "leak_read", "leak_format", "leak_args"}, want)
    j = report_json(trace, "-n", "0")
    for fn, w in want.items():
        expect(_sum(j["leaks"], fn) == w, f"{fn}: leaked {_sum(j['leaks'], fn)}, want {w}")
    total = sum(b for _, b in want.values())
    expect(j["summary"]["leaked_bytes"] == total,
           f"leaked {j['summary']['leaked_bytes']}, the program's leaks are {total}: "
           f"{[(e['bytes'], _names(e)[:3]) for e in j['leaks']]}")
    expect(j["summary"]["runtime_leaked_bytes"] > 0, "the thread's bookkeeping is the runtime's")
    # C: stdio's buffer is the runtime's, the demo's leaks are the program's
    p, trace = lib.record([prog("demo")])
    s = report_json(trace)["summary"]
    expect(s["leaked_bytes"] == 44800 + 25600 and s["runtime_leaked_bytes"] == 4096,
           f"demo: leaked {s['leaked_bytes']}, runtime {s['runtime_leaked_bytes']}")


# ---- library plumbing folded ----

API = {"grow_map": "HashMap::insert", "push_grow": "Vec::push", "fill_tree": "operator[]",
       "fill_hash": "operator[]", "grow_vector": "push_back", "long_string": "basic_string"}
INTERNALS = re.compile(r"hashbrown::|raw_vec|RawVec|_M_realloc|_M_create|_M_construct|_Hashtable|"
                       r"_Rb_tree|alloc::fmt|core::fmt|ConvertVec|to_vec|__new_allocator|"
                       r"__rust_alloc|alloc::alloc::|operator new")


def _check_folded(name, j, want):
    for fn, (n, nbytes) in want.items():
        sel = [e for e in j["leaks"] if _has(e, fn)]
        got = (sum(e["allocations"] for e in sel), sum(e["bytes"] for e in sel))
        expect(got == (n, nbytes), f"{name} {fn}: leaked {got}, want {(n, nbytes)}")
        for e in sel:
            names = [f.get("function") or "" for f in e["stack"]]
            upto = next(i for i, x in enumerate(names) if _base(x) == fn or _base(x).endswith("::" + fn))
            before = names[:upto]
            expect(len(before) <= 1, f"{name} {fn}: frames before it {before}")
            expect(not any(INTERNALS.search(x) for x in before),
                   f"{name} {fn}: plumbing shown first: {before}")
            if before:
                bare = re.sub(r"<[^<>]*>", "", re.sub(r"<[^<>]*>", "", before[0]))
                expect(fn in API and API[fn] in bare, f"{name} {fn}: first frame {before[0]}")


def test_programs_plumbing_folded():
    builds = [("plumbing_rs_O0", "rustc"), ("plumbing_rs_O3", "rustc"),
              ("plumbing_cpp_O0", "g++"), ("plumbing_cpp_O2", "g++")]
    for name, what in builds:
        _need(prog(name), what)
        p, trace = lib.record([prog(name)])
        expect(p.returncode == 0, f"{name}: exit {p.returncode}")
        want = _expected(p.stdout)
        j = report_json(trace, "-n", "0")
        _check_folded(name, j, want)
        expect(j["summary"]["leaked_bytes"] == sum(b for _, b in want.values()),
               f"{name}: leaked {j['summary']['leaked_bytes']}, want {want}")
        raw = report_json(trace, "-n", "0", "--show-alloc-frames")
        firsts = [e["stack"][0].get("function") or "" for e in raw["leaks"] if _has(e, "grow_vector")
                  or _has(e, "grow_map")]
        expect(any(INTERNALS.search(x) for x in firsts),
               f"{name}: --show-alloc-frames keeps the plumbing: {firsts}")
        # text: up to the program's own frames, then how many are left; JSON keeps every frame
        text = analyze("-n", "1", trace).stdout
        expect(re.search(r"\.\.\. \d+ more frames? \(--frames 0 shows all\)", text), text[-2000:])
        full = analyze("-n", "1", "--frames", "0", trace).stdout
        expect("more frame" not in full and "__libc_start" in full, full[-2000:])


def test_programs_diff_debug_against_release():
    for a, b in (("plumbing_rs_O0", "plumbing_rs_O3"), ("plumbing_cpp_O0", "plumbing_cpp_O2")):
        traces = []
        for name in (a, b):
            _need(prog(name), "rustc/g++")
            p, t = lib.record([prog(name)])
            traces.append(t)
        p = analyze("diff", "--fail-on-new-leaks", "--json", *traces, check=False)
        expect(p.returncode == 0, f"{a} -> {b}: exit {p.returncode}: {p.stdout[-3000:]}")


# ---- incomplete traces ----

def _children(pid):
    """The pids whose parent is pid, from /proc (no procps needed)."""
    kids = []
    for e in os.listdir("/proc"):
        if e.isdigit():
            try:
                with open(f"/proc/{e}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(e)
    return kids


def _program_pid(launcher):
    """The program under a launcher: its child that is not the launcher's own sentinel."""
    for _ in range(100):
        for k in _children(launcher):
            try:
                if os.readlink(f"/proc/{k}/exe") != os.path.realpath(lib.LEAKREC):
                    return int(k)
            except OSError:
                pass
        time.sleep(0.02)
    raise AssertionError(f"no program under the launcher {launcher}")


def _killed_trace(d):
    trace = os.path.join(d, "killed.zst")
    p = _start_waiting([prog("sigend"), "wait", str(int(signal.SIGUSR1))], trace, d, quiet=False)
    os.kill(_program_pid(p.pid), signal.SIGKILL)
    p.wait(timeout=TIMEOUT)
    err = p.stderr.read().decode()
    expect(p.returncode == 137, f"status {p.returncode}")
    return trace, err


def test_programs_incomplete_traces():
    d = _dir("incomplete")
    trace, err = _killed_trace(d)
    j = report_json(trace)
    expect(not j["diagnostics"]["complete"] and "no END record" in j["diagnostics"]["incomplete_reason"],
           f"diagnostics {j['diagnostics']}")
    text = analyze(trace).stdout
    expect("INCOMPLETE" in text and "live when recording stopped" in text and
           "\nleaked " not in text, text[:1200])
    c = analyze("check", "--max-leaked", "0", trace, check=False)
    expect(c.returncode == 2 and "incomplete trace" in c.stderr and "--allow-incomplete" in c.stderr,
           f"check: {c.returncode} {c.stderr!r}")
    c = analyze("check", "--allow-incomplete", "--json", trace, check=False)
    cj = json.loads(c.stdout)
    expect(c.returncode == 0 and cj["complete"] is False and cj["incomplete_reason"],
           f"check --allow-incomplete: {c.returncode} {c.stdout[:300]}")
    base = lib.record([prog("sigend"), "raise", str(int(signal.SIGTERM))])[1]
    c = analyze("diff", base, trace, check=False)
    expect(c.returncode == 2 and "incomplete trace" in c.stderr, f"diff {c.returncode} {c.stderr!r}")
    c = analyze("diff", "--allow-incomplete", "--json", base, trace, check=False)
    dj = json.loads(c.stdout)
    expect(c.returncode == 0 and dj["base_complete"] and not dj["new_complete"], c.stdout[:400])
    # the launcher's words
    expect("killed by SIGKILL" in err, err)
    # a write error (ulimit -f): the trace stops early, the launcher says so
    trace = os.path.join(d, "fsize.zst")
    p = subprocess.run(["bash", "-c", f"ulimit -f 8; exec {lib.LEAKREC} -o {trace} "
                                      f"{prog('robust_fsize')}"],
                       cwd=d, capture_output=True, timeout=TIMEOUT)
    expect("stopped early" in p.stderr.decode() or "cannot write" in p.stderr.decode(),
           f"write error: {p.stderr!r}")
    j = json.loads(analyze("--json", trace, check=False).stdout)
    expect(not j["diagnostics"]["complete"], "a trace cut by a write error is complete?")


# ---- growth under teardown ----

TEARDOWN_RATE = 1280000  # tests/progs/teardown.c: 20 x 128 B every 2 ms


def test_programs_growth_under_teardown():
    cases = [("teardown", 1), ("teardown", 10), ("teardown", 30), ("teardown", 50), ("idle", 40),
             ("phase2", 30)]
    d = _dir("teardown")
    bad = []
    for mode, pct in cases:
        for k in range(10):
            trace = os.path.join(d, f"{mode}-{pct}-{k}.zst")
            p = _leakrec([prog("teardown"), mode, str(pct)], trace, cwd=d)
            expect(p.returncode == 0, f"{mode} {pct}: exit {p.returncode}")
            sus = report_json(trace)["growth"]["suspects"]
            first = sus[0] if sus else None
            if not first or not _has(first, "cache_put"):
                bad.append(f"{mode} {pct}% #{k}: first suspect "
                           f"{_names(first)[:1] if first else None}")
            elif abs(first["slope_bytes_per_s"] - TEARDOWN_RATE) > TEARDOWN_RATE / 10:
                bad.append(f"{mode} {pct}% #{k}: rate {first['slope_bytes_per_s']:.0f}")
    expect(not bad, "the cache is not the first suspect at its rate:\n  " + "\n  ".join(bad))


# ---- smaller promises ----

def test_programs_launcher_outputs():
    d = _dir("launcher")
    # -o DIR writes the default name inside it
    p = _run([lib.LEAKREC, "-o", d, prog("leaks")], cwd=d)
    made = [f for f in os.listdir(d) if re.fullmatch(r"leakrec\.leaks\.\d+\.zst", f)]
    expect(p.returncode == 0 and len(made) == 1, f"-o DIR: {os.listdir(d)} {p.stderr!r}")
    # -o FILE twice: the second run replaces the first trace
    t = os.path.join(d, "same.zst")
    _run([lib.LEAKREC, "-q", "-o", t, prog("leaks")])
    pid1 = report_json(t)["program"]["pid"]
    _run([lib.LEAKREC, "-q", "-o", t, prog("leaks")])
    expect(report_json(t)["program"]["pid"] != pid1 and os.listdir(d).count("same.zst") == 1,
           "the second run did not replace the trace")
    # a trace that could not be written is not announced
    p = _run([lib.LEAKREC, "-o", "/nonexistent/dir/x.zst", prog("leaks")])
    expect(p.returncode == 0 and b"next:" not in p.stderr and b"no trace was written" in p.stderr,
           p.stderr)


def _retrace(src, dst, version):
    raw = subprocess.run(["zstd", "-dc", src], capture_output=True, check=True).stdout
    i = raw.find(b"LEAKREC\x1a")
    raw = raw[:i + 8] + bytes([version]) + raw[i + 9:]
    frame = subprocess.run(["zstd", "-q", "-c"], input=raw, capture_output=True, check=True).stdout
    with open(dst, "wb") as f:
        f.write(frame * 3)


def test_programs_newer_format_one_line():
    expect(shutil.which("zstd"), "the zstd command is not installed (apt-get install zstd)")
    _, trace = lib.record([prog("leaks")])
    newer = os.path.join(lib.TMP, "newer.zst")
    _retrace(trace, newer, 99)
    for args in ([newer], ["dump", newer], ["check", newer]):
        p = analyze(*args, check=False)
        lines = [x for x in p.stderr.splitlines() if x]
        expect(p.returncode == 2 and len(lines) == 1 and "newer leakrec" in lines[0],
               f"{args}: {p.returncode} {lines}")


def test_programs_windows_in_units():
    _, trace = lib.record([prog("steady")])
    dur = report_json(trace)["summary"]["duration_s"]
    p = analyze("--from", f"{dur + 5:.3f}s", trace, check=False)
    expect(p.returncode == 2 and "after the end of the run" in p.stderr, p.stderr)
    for arg, secs in (("100us", 0.0001), ("0.2ms", 0.0002), ("0.00001min", 0.0006)):
        w = report_json(trace, "--from", arg)["window"]
        expect(abs(w["from_s"] - secs) < 1e-9, f"--from {arg}: {w}")


def test_programs_trace_from_stdin():
    _, trace = lib.record([prog("leaks")])
    with open(trace, "rb") as f:
        p = subprocess.run([lib.ANALYZE, "--json", "-"], stdin=f, capture_output=True, text=True)
    expect(p.returncode == 0, p.stderr)
    a, b = json.loads(p.stdout), report_json(trace)
    expect(a["summary"] == b["summary"] and a["leaks"] == b["leaks"], "stdin differs from the file")


def test_programs_realloc_null_is_an_allocation():
    _, trace = lib.record([prog("realloc_null")])
    j = report_json(trace, "-n", "0")
    expect(_sum(j["temporary"], "null_temp", key="allocations") == (10, 10),
           f"realloc(NULL) temporaries {_sum(j['temporary'], 'null_temp', key='allocations')}")
    expect(not any(_has(e, "resized") for e in j["temporary"]), "a resize counted as temporary")


def test_programs_setuid_child_named():
    if os.geteuid() != 0:
        raise lib.Skip("not root: cannot make a program setuid to another user")
    d = _dir("setuid")
    os.chmod(d, 0o755)
    target = os.path.join(d, "suid_prog")
    shutil.copy(prog("leaks"), target)
    os.chown(target, 65534, 65534)
    os.chmod(target, 0o4755)
    if not os.stat(target).st_mode & stat.S_ISUID:
        raise lib.Skip("the setuid bit did not stick here")
    p = _run([lib.LEAKREC, "-o", os.path.join(d, "t.zst"), "/bin/sh", "-c", target], cwd=d)
    expect(f"not recording '{target}'" in p.stderr.decode() and "setuid" in p.stderr.decode(),
           p.stderr)


# ---- a wrapper script: many traces, the program at the end of an exec chain ----

def test_programs_wrapper_script_lists_and_points_at_the_program():
    d = _dir("wrapper")
    trace = os.path.join(d, "w.zst")
    runs = 20
    script = (f'for i in $(seq {runs}); do "$1" >/dev/null; done; '
              f'exec env LEAKREC_TEST=1 "$1"')
    p = subprocess.run([lib.LEAKREC, "-o", trace, "--", "/bin/sh", "-c", script, "sh", prog("samesite")],
                       capture_output=True, text=True, timeout=TIMEOUT)
    expect(p.returncode == 0, f"status {p.returncode}: {p.stderr[-2000:]}")
    lines = p.stderr.splitlines()
    listed = [l for l in lines if l.startswith("leakrec: trace ")]
    files = [f for f in os.listdir(d) if f.endswith(".zst")]
    # sh's trace, env's and samesite's after the two execs, and the 20 children's (each samesite)
    expect(len(files) >= runs + 2, f"{len(files)} traces: {sorted(files)}")
    expect(len(listed) == 16, f"{len(listed)} traces listed, want 16:\n{p.stderr}")
    more = [l for l in lines if l.startswith("leakrec: ... and ")]
    m = re.match(r"leakrec: \.\.\. and (\d+) more traces of child processes \((\d+) allocations in all\): "
                 + re.escape(os.path.join(d, "w.")) + r"\*\.zst$", more[0] if more else "")
    expect(m and int(m.group(1)) == len(files) - 16, f"summary line {more}, {len(files)} traces")
    # the program as it finally ran: samesite (41 allocations) in the root pid's last exec image
    nxt = [l for l in lines if l.startswith("leakrec: next: ")]
    expect(len(nxt) == 1, f"next: {nxt}")
    m = re.match(r"leakrec: next: leakanalyze (\S+)   \(the program as it ran after 2 execs; "
                 r"the first image's trace is " + re.escape(trace) + r"\)$", nxt[0])
    expect(m, f"next line {nxt[0]!r}")
    final = m.group(1)
    expect(f"leakrec: trace {final}: 41 allocations, 1 free" in listed, f"{final} not listed: {listed}")
    j = report_json(final)
    expect(j["summary"]["allocations"] == 41 and j["summary"]["leaked_bytes"] == 40 * 1000,
           f"final image summary {j['summary']}")
    expect(listed[0].startswith(f"leakrec: trace {trace}: "), f"root first: {listed[0]}")
    # every listed line names a distinct file of this run
    names = [l.split()[2].rstrip(":") for l in listed]
    expect(len(set(names)) == len(names) and all(os.path.exists(n) for n in names), f"{names}")


# ---- module files changed after recording ----

def _frames_in(j, path):
    return [f for sec in ("leaks", "peak", "allocators") for e in j[sec] for f in e["stack"]
            if f.get("module") == path]


def test_programs_module_rebuilt_moved_deleted():
    d = _dir("modules")
    exe = os.path.join(d, "mod")
    shutil.copy(prog("samesite"), exe)
    trace = os.path.join(d, "mod.zst")
    p = subprocess.run([lib.LEAKREC, "-q", "-o", trace, exe], capture_output=True, timeout=TIMEOUT)
    expect(p.returncode == 0, p.stderr)
    ok = analyze("--json", trace)
    expect(not ok.stderr, f"stderr with the binary in place: {ok.stderr}")
    j = json.loads(ok.stdout)
    expect(j["diagnostics"]["modules"] == [], f"modules {j['diagnostics']['modules']}")
    expect(any(f.get("function") == "store_grow" for f in _frames_in(j, exe)), "symbolized")
    bid = [m for m in lib.records(trace, "module") if m["path"].strip("\"") == exe][0]["build_id"]

    def check(problem, words, extra=None):
        p = analyze("--json", trace)
        lines = p.stderr.splitlines()
        mine = [l for l in lines if exe in l]
        expect(len(mine) == 1 and words in mine[0], f"{problem}: stderr {lines}")
        mods = json.loads(p.stdout)["diagnostics"]["modules"]
        want = {"path": exe, "build_id": bid, "problem": problem, **(extra or {})}
        expect(mods == [want], f"{problem}: modules {mods}, want {[want]}")
        frames = _frames_in(json.loads(p.stdout), exe)
        expect(frames and all(not f.get("function") for f in frames),
               f"{problem}: frames of the changed binary symbolized: {frames[:3]}")
        text = analyze("-n", "1", trace)
        expect(text.stderr.count(exe) == 1 and "[unknown] in mod+0x" in text.stdout,
               f"{problem}: text report {text.stderr} {text.stdout[-600:]}")

    # rebuilt: another program at the same path
    shutil.copy(prog("leaks"), exe)
    other = [m for m in lib.records(lib.record([exe])[1], "module") if m["path"].strip("\"") == exe][0]["build_id"]
    check("rebuilt", f"rebuilt since it was recorded (build-id {bid} recorded, {other} now)",
          {"found_build_id": other})
    # not ELF any more
    with open(exe, "w") as f:
        f.write("#!/bin/sh\n")
    check("not_elf", "not an ELF file any more")
    # moved or deleted
    os.unlink(exe)
    check("missing", "not there any more (moved or deleted since it was recorded)")
    # the same binary without its debug info: symbol-table names and one hint
    subprocess.run(["strip", "-g", "-o", exe, prog("samesite")], check=True)
    p = analyze("--json", trace)
    hints = [l for l in p.stderr.splitlines() if l.startswith("leakanalyze: no debug info for ")]
    expect(len(hints) == 1 and exe in hints[0] and "DEBUGINFOD_URLS" in hints[0] and "-dbgsym" in hints[0],
           f"stderr {p.stderr}")
    j = json.loads(p.stdout)
    expect(j["diagnostics"]["modules"] == [{"path": exe, "build_id": bid, "problem": "no_debug_info"}],
           f"modules {j['diagnostics']['modules']}")
    frames = _frames_in(j, exe)
    expect(any(f.get("function") == "store_grow" and not f.get("file") for f in frames),
           f"stripped: {frames[:3]}")


def test_programs_signals_arrive_once():
    """A signal sent to the whole process group reaches the program from its sender; the launcher
    passes on only what was sent to it alone.  Each arrives exactly once, as without leakrec."""
    d = _dir("sigonce")
    for how in ("group", "launcher", "mixed"):
        p = subprocess.Popen([lib.LEAKREC, "-q", "-o", os.path.join(d, f"{how}.zst"), prog("sigcount"), "1.5"],
                             stdout=subprocess.PIPE, start_new_session=True)
        expect(p.stdout.readline().strip() == b"ready", "no ready line")
        for i, sig in enumerate((signal.SIGTERM, signal.SIGINT, signal.SIGHUP)):
            group = how == "group" or (how == "mixed" and i != 1)
            (os.killpg if group else os.kill)(p.pid, sig)
            time.sleep(0.2)
        out = p.stdout.read().decode().strip()
        expect(p.wait(timeout=TIMEOUT) == 0 and out == "TERM=1 INT=1 HUP=1",
               f"{how}: status {p.returncode}, program counted {out!r}")


def test_programs_signal_twice_while_threads_allocate():
    """SIGTERM sent twice at once to a program whose threads allocate: the second, delivered to
    another thread while the first's handler finishes the trace, must not end it half-way."""
    d = _dir("sigtwice")
    for n in range(8):
        trace = os.path.join(d, f"t{n}.zst")
        p = subprocess.Popen([lib.LEAKREC, "-q", "-o", trace, prog("busy_threads")], stdout=subprocess.PIPE,
                             start_new_session=True)
        expect(p.stdout.readline().strip() == b"ready", "no ready line")
        time.sleep(0.3)
        kid = _program_pid(p.pid)
        os.kill(kid, signal.SIGTERM)
        try:
            os.kill(kid, signal.SIGTERM)
        except ProcessLookupError:
            pass  # the first one was quick
        try:
            status = p.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            raise
        expect(status == 128 + signal.SIGTERM, f"status {p.returncode}")
        j = report_json(trace, "-n", "1")
        expect(j["diagnostics"]["complete"], f"run {n}: {j['diagnostics']}")


def test_programs_no_debug_hint_only_for_frames_that_need_lines():
    """libstdc++ has no debug info on Debian without its -dbgsym package; the std:: frames it
    adds to C++ stacks need none: no hint for them.  A stripped program of one's own gets it."""
    p, trace = lib.record([prog("plumbing_cpp_O2")])
    expect(p.returncode == 0, f"exit {p.returncode}")
    out = analyze("-n", "0", trace)
    expect("no debug info" not in out.stderr, f"hint for library internals: {out.stderr}")
