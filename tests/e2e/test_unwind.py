"""Fast unwinder tests: the recorder's own CFI unwinder (recorder/unwind.c) must give exactly the
stacks libunwind gives, on programs built to have hard stack shapes (tests/progs/unwind_*, built
by tests/unwind.mk): deep and mutual recursion, alloca/VLA frames, 64 KiB, 1 MiB and 1.5 MiB
frames, tail calls, noreturn calls, cold code, callbacks from inside libc, every malloc-family
function, shared libraries called through the PLT, libraries unloaded and replaced at the same
address, TLS, signal handlers and alternate signal stacks, threads, the same stack addresses
reused by other call chains (alternating callers, coroutines), Microsoft-ABI frames,
hand-written CFI, C++ exceptions and Rust panics.

Two programs show stacks on which libunwind 1.6 itself is wrong (see their sources): unwind_msabi
(it stops at a frame whose CFI saves XMM registers) and `unwind_dso reload` (after a library is
unloaded, it applies that library's CFI to the one loaded at the same address, and gives a word
of the new library's data as a frame).  The recorder keeps its own walker's stacks there (they
are complete, and checked frame by frame against the programs' own figures by leaks_PROG); for
these two, check_PROG allows differences and same_PROG compares the totals and requires that
every stack where the two differ is complete on the fast side and not on libunwind's.

For each program there are three tests:
  check_PROG   recorded with LEAKREC_UNWIND_CHECK=1: the recorder unwinds every stack both ways
               and prints "leakrec: unwind check: S stacks compared, D differ, F by libunwind".
               The program's stdout, exit status and stderr (without those lines) must be the
               native run's; D must be 0; every recorded allocation was compared (S >= the
               trace's allocations); the fast unwinder may hand a stack to libunwind (F) only
               for allocations with a "may decline" size (1000..1023 bytes, see
               tests/progs/unwind_common.h), so F == 0 for the programs without such shapes.
               Deep programs are checked at the default depth and at --depth 1024.
  leaks_PROG   recorded with the fast unwinder (the default) at --depth 1024: the leaks that
               leakanalyze --json reports, each attributed to its innermost frame named in the
               program's "expect FUNCTION ALLOCATIONS BYTES" lines, match those lines exactly,
               and add up to the summary's leaked_bytes; every such stack is complete (it ends in
               _start, or in clone/clone3 for a thread), except those of may-decline sizes, which
               may come from libunwind (it stops early on some valid CFI, see unwind_cfi.c).
  same_PROG    (deterministic programs) recorded with LEAKREC_UNWIND=libunwind and with the
               default unwinder: the leaked bytes and the allocations of every symbolized stack
               are the same.  A difference lists the stacks of each side.
"""
import collections
import os
import re
import shutil
import signal
import subprocess

import lib
from lib import Skip, expect, prog, report_json

TIMEOUT = 120
DECLINE_MIN, DECLINE_MAX = 1000, 1023
CHECK_RE = re.compile(
    r"^leakrec: unwind check: (\d+) stacks compared, (\d+) differ, (\d+) by libunwind$", re.M)
# The check's own lines on stderr (the summary and the detail of the first difference).
CHECK_LINE_RE = re.compile(r"^leakrec: (unwind check: |  libunwind )")
# Outermost frames of a complete stack: the main thread's _start, a thread's clone.
OUTERMOST = {"_start", "clone3", "clone", "__clone", "__clone3",
             "_dl_start_user"}  # the dynamic loader running the libraries' initializers


class P:
    """A test program: argv (relative to build/tests), whether it is deep (checked at --depth
    1024 as well), deterministic (allocations per stack the same run after run), written in
    Rust (skipped when rustc is missing)."""

    def __init__(self, name, args=(), deep=False, same=True, rust=False, libunwind_wrong=False):
        self.name, self.args, self.deep, self.same, self.rust = name, list(args), deep, same, rust
        self.libunwind_wrong = libunwind_wrong

    @property
    def key(self):
        return "_".join([self.name] + self.args)

    def argv(self):
        path = prog(self.name)
        if not os.path.exists(path):
            if self.rust and not shutil.which(os.environ.get("RUSTC", "rustc")):
                raise Skip("rustc not installed")
            raise AssertionError(f"{path} is missing: build it with make test (tests/unwind.mk)")
        return [path, *self.args]


PROGRAMS = [
    P("unwind_shapes", deep=True), P("unwind_shapes_O2", deep=True),
    P("unwind_shapes_Os", deep=True), P("unwind_shapes_O3", deep=True),
    P("unwind_shapes_clash", deep=True),
    P("unwind_threads", deep=True), P("unwind_threads_O2", deep=True),
    P("unwind_signal"), P("unwind_signal", ["async"], same=False),
    P("unwind_reuse"), P("unwind_reuse_O0"),
    P("unwind_msabi", libunwind_wrong=True),
    P("unwind_cfi"), P("unwind_cfi_O2"),
    P("unwind_dso"), P("unwind_dso", ["reload"], libunwind_wrong=True),
    P("unwind_cpp"), P("unwind_cpp_O2"),
    P("unwind_rs", rust=True), P("unwind_rs_O0", rust=True),
]


# ---- running ----

def _run(argv, env=None, timeout=TIMEOUT):
    """Runs argv in its own session (killed as a group on timeout: a hang fails the test)."""
    e = dict(os.environ)
    for k in ("LEAKREC_UNWIND", "LEAKREC_UNWIND_CHECK"):
        e.pop(k, None)
    e.update(env or {})
    p = subprocess.Popen(argv, env=e, cwd=lib.TMP, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        raise AssertionError(f"{' '.join(argv)} did not end within {timeout} s; "
                             f"stderr {err[-500:]!r}")
    return subprocess.CompletedProcess(argv, p.returncode, out, err)


def _record(pr, tag, env=None, extra=()):
    trace = lib.tmp(f"uw-{pr.key}-{tag}.zst")
    if os.path.exists(trace):
        os.unlink(trace)
    p = _run([lib.LEAKREC, "-q", "-o", trace, *extra, "--", *pr.argv()], env=env)
    expect(os.path.exists(trace), f"{pr.key}: no trace written; stderr {p.stderr[-1000:]!r}")
    return p, trace


def _split_stderr(stderr):
    """(the program's own stderr, the unwind check's lines)."""
    own, check = [], []
    for line in stderr.decode(errors="replace").splitlines(keepends=True):
        (check if CHECK_LINE_RE.match(line) else own).append(line)
    return "".join(own), "".join(check)


def _expected(stdout):
    """{function: (allocations, bytes)} from the program's 'expect' lines."""
    out = {}
    for line in stdout.decode().splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] == "expect":
            out[parts[1]] = (int(parts[2]), int(parts[3]))
    return out


def _base(fn):
    """'ns::f(int) const' -> 'ns::f' (C++); C and Rust names unchanged."""
    return re.sub(r"\(.*\)( const)?$", "", fn or "")


def _name_matches(frame_fn, want):
    b = _base(frame_fn)
    return b == want or b.endswith("::" + want)


def _frame_str(f):
    fn = f.get("function") or f.get("address", "?")
    mod = os.path.basename(f.get("module") or "?")
    return f"{fn}@{mod}" + (" [inlined]" if f.get("inlined") else "")


def _stack_str(stack, limit=12):
    s = " <- ".join(_frame_str(f) for f in stack[:limit])
    return s + (f" <- ... ({len(stack)} frames)" if len(stack) > limit else "")


def _decline_allocs(trace):
    """Allocations of the trace that may be left to libunwind (a 'may decline' size, or made
    while the dynamic loader runs the libraries' initializers: its entry code has no CFI), and
    all its allocations."""
    evs = [e for e in lib.events(trace) if e["kind"] in ("alloc", "ralloc")]
    startup = sum(e["allocations"] for e in lib.report_json(trace, "-n", "0")["allocators"]
                  if e["stack"] and e["stack"][-1].get("function") == "_dl_start_user")
    return sum(1 for e in evs if DECLINE_MIN <= e["size"] <= DECLINE_MAX) + startup, len(evs)


# ---- the tests ----

def _check(pr, extra=()):
    argv = pr.argv()
    native = _run(argv)
    p, trace = _record(pr, "check" + "".join(extra), env={"LEAKREC_UNWIND_CHECK": "1"},
                       extra=extra)
    own, check = _split_stderr(p.stderr)
    what = f"{pr.key}{' ' + ' '.join(extra) if extra else ''}"
    expect(p.returncode == native.returncode,
           f"{what}: exit status {p.returncode} under leakrec, {native.returncode} natively; "
           f"stderr {p.stderr[-1500:]!r}")
    if pr.same:
        expect(p.stdout == native.stdout,
               f"{what}: stdout differs:\n{p.stdout[-1500:]!r}\nnative:\n{native.stdout[-1500:]!r}")
    else:
        expect(_expected(p.stdout) == _expected(native.stdout),
               f"{what}: expect lines differ: {p.stdout[-1500:]!r} vs {native.stdout[-1500:]!r}")
    expect(own == native.stderr.decode(errors="replace"),
           f"{what}: stderr differs: {own[-1500:]!r}, native {native.stderr[-1500:]!r}")
    lines = CHECK_RE.findall(check)
    expect(lines, f"{what}: no 'leakrec: unwind check: S stacks compared, D differ, F by libunwind' "
                  f"line on stderr: the recorder does not implement LEAKREC_UNWIND_CHECK (is the "
                  f"fast unwinder in build/libleakrec.so? `strings build/libleakrec.so | grep "
                  f"'unwind check'`); stderr was {p.stderr[-1000:]!r}")
    expect(len(lines) == 1, f"{what}: {len(lines)} unwind check lines, want one:\n{check}")
    s, d, f = (int(x) for x in lines[0])
    declinable, allocs = _decline_allocs(trace)
    numbers = (f"S={s} stacks compared, D={d} differ, F={f} by libunwind; the trace has {allocs} "
               f"allocations, {declinable} of them with a may-decline size")
    if not pr.libunwind_wrong:
        expect(d == 0, f"{what}: the fast unwinder's stacks differ from libunwind's: {numbers}\n{check}")
    expect(s > 0, f"{what}: no stack compared: {numbers}")
    expect(s >= allocs, f"{what}: fewer stacks compared than allocations recorded: {numbers}")
    expect(f <= declinable,
           f"{what}: the fast unwinder left {f} stacks to libunwind, at most {declinable} may be "
           f"(only stacks through signal frames, DRAP/expression CFAs, rare CFI, no-FDE code or "
           f"frames over 1 MiB): {numbers}")


def _leaks(pr):
    p, trace = _record(pr, "fast", extra=["--depth", "1024"])
    expect(p.returncode == 0, f"{pr.key}: exit status {p.returncode}; stderr {p.stderr[-1500:]!r}")
    want = _expected(p.stdout)
    expect(want, f"{pr.key}: the program printed no 'expect' lines: {p.stdout[-500:]!r}")
    d = report_json(trace, "-n", "0")
    got = collections.defaultdict(lambda: [0, 0])
    stacks = collections.defaultdict(list)
    for e in d["leaks"]:
        name = None
        for fr in e["stack"]:  # innermost first
            name = next((w for w in want if _name_matches(fr.get("function"), w)), None)
            if name:
                break
        if name is None:
            continue
        got[name][0] += e["allocations"]
        got[name][1] += e["bytes"]
        stacks[name].append((e["stack"], e["bytes"] // max(1, e["allocations"])))
    bad = []
    for name, (allocs, nbytes) in sorted(want.items()):
        g = tuple(got.get(name, (0, 0)))
        if g != (allocs, nbytes):
            shown = "; ".join(_stack_str(st, 6) for st, _ in stacks.get(name, [])[:2])
            bad.append(f"{name}: leaked {g[0]} allocations, {g[1]} bytes; want {allocs}, {nbytes}"
                       + (f" (stacks: {shown})" if shown else ""))
    expect(not bad, f"{pr.key}: leaks per function differ from the program's figures:\n  "
                    + "\n  ".join(bad))
    total = sum(b for _, b in want.values())
    leaked = d["summary"]["leaked_bytes"]
    others = [_stack_str(e["stack"], 8) for e in d["leaks"]
              if not any(_name_matches(f.get("function"), w) for f in e["stack"] for w in want)]
    expect(leaked == total, f"{pr.key}: leaked_bytes {leaked}, the program's figures add up to "
                            f"{total}; leaks of no known function: {others[:4]}")
    incomplete = []
    for name, sts in sorted(stacks.items()):
        for st, avg in sts:
            if DECLINE_MIN <= avg <= DECLINE_MAX:
                continue  # left to libunwind, which does not follow every CFI (unwind_cfi.c)
            if not st or (st[-1].get("function") or "") not in OUTERMOST:
                incomplete.append(f"{name}: {_stack_str(st, 40)}")
    expect(not incomplete, f"{pr.key}: {len(incomplete)} leak stacks do not reach _start or a "
                           f"thread's clone (truncated or wrong unwinding):\n  "
                           + "\n  ".join(incomplete[:5]))


def _stack_key(stack):
    return tuple((f.get("function") or "?", os.path.basename(f.get("module") or "?"),
                  f.get("file") or "", f.get("line") or 0, bool(f.get("inlined")))
                 for f in stack)


def _per_stack(d):
    """{(section, stack key): [bytes, allocations]} of the leaks and allocators sections."""
    out = collections.defaultdict(lambda: [0, 0])
    for section in ("leaks", "allocators"):
        for e in d[section]:
            k = (section, _stack_key(e["stack"]))
            out[k][0] += e["bytes"]
            out[k][1] += e["allocations"]
    return out


def _same(pr):
    runs = {}
    for tag, env in (("libunwind", {"LEAKREC_UNWIND": "libunwind"}), ("fast", {})):
        p, trace = _record(pr, "ab-" + tag, env=env, extra=["--depth", "1024"])
        expect(p.returncode == 0, f"{pr.key} ({tag}): exit {p.returncode}; {p.stderr[-1000:]!r}")
        runs[tag] = (report_json(trace, "-n", "0"), p)
    a, b = _per_stack(runs["libunwind"][0]), _per_stack(runs["fast"][0])
    sa, sb = runs["libunwind"][0]["summary"], runs["fast"][0]["summary"]
    if a == b:
        expect(sa["leaked_bytes"] == sb["leaked_bytes"], f"{pr.key}: leaked_bytes differ")
        return
    only_a = sorted(k for k in a if a[k] != b.get(k))
    only_b = sorted(k for k in b if b[k] != a.get(k))
    if pr.libunwind_wrong:
        def complete(k):
            return bool(k[1]) and k[1][-1][0] in OUTERMOST
        expect(sa["leaked_bytes"] == sb["leaked_bytes"],
               f"{pr.key}: leaked_bytes {sa['leaked_bytes']} (libunwind) vs {sb['leaked_bytes']}")
        expect(all(complete(k) for k in only_b) and not any(complete(k) for k in only_a),
               f"{pr.key}: where the two differ, the fast stacks must be complete and "
               f"libunwind's not: {only_a[:3]} / {only_b[:3]}")
        return

    def show(keys, side):
        return "\n".join(f"    {k[0]} {side[k][0]} bytes in {side[k][1]}: "
                         + " <- ".join(f"{fn}@{mod}" for fn, mod, *_ in k[1][:10])
                         for k in keys[:6])
    raise AssertionError(
        f"{pr.key}: stacks recorded with LEAKREC_UNWIND=libunwind and with the fast unwinder "
        f"differ ({len(only_a)} entries only or other with libunwind, {len(only_b)} with the fast "
        f"unwinder; leaked {sa['leaked_bytes']} vs {sb['leaked_bytes']} bytes)\n"
        f"  libunwind:\n{show(only_a, a)}\n  fast:\n{show(only_b, b)}")


def _define():
    g = globals()
    for pr in PROGRAMS:
        g[f"test_unwind_check_{pr.key}"] = (lambda pr=pr: _check(pr))
        if pr.deep:
            g[f"test_unwind_check_depth1024_{pr.key}"] = (
                lambda pr=pr: _check(pr, extra=("--depth", "1024")))
        g[f"test_unwind_leaks_{pr.key}"] = (lambda pr=pr: _leaks(pr))
        if pr.same:
            g[f"test_unwind_same_{pr.key}"] = (lambda pr=pr: _same(pr))


_define()
