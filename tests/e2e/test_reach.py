"""Leak-kind tests: the reachability scan the recorder runs when the program ends, held against
programs whose every block has a known kind, and against valgrind memcheck.

tests/progs/reach.c      one block per kind, each of its own size (1001..1014 bytes): globals,
                         a static local, TLS, the stack and a register of threads blocked at
                         exit, an interior pointer, a lost block pointing at another, a cycle of
                         three, a pointer hidden by XOR, a forgotten block
tests/progs/reach_cpp.cc shared_ptr cycles of two and three nodes
tests/progs/reach_rs.rs  Rc<RefCell<_>> and Arc<Mutex<_>> cycles, Box::leak kept in a static,
                         mem::forget of a String
tests/progs/reach_big.c  1 GiB live at exit, all reachable but one forgotten block
tests/progs/reach_threads.c  10,000 threads blocked at exit, each holding a block on its stack"""
import json
import os
import re
import shutil
import signal
import subprocess
import xml.etree.ElementTree as ET

from lib import analyze, expect, find_stack, prog, record, records, tmp

# The kind of every block of reach.c, by its size.
TRUTH = {
    1001: "reachable",        # a global
    1002: "reachable",        # a function's static
    1003: "reachable",        # the main thread's __thread variable
    1004: "reachable",        # the stack of a thread blocked at exit
    1005: "reachable",        # a register (r12) of a thread blocked at exit
    1006: "possibly_lost",    # only a pointer into its interior
    1007: "definitely_lost",  # lost, points at 1008
    1008: "indirectly_lost",
    1009: "definitely_lost",  # the oldest of a cycle of three
    1010: "indirectly_lost",
    1011: "indirectly_lost",
    1012: "definitely_lost",  # the pointer is kept XORed
    1013: "definitely_lost",  # forgotten
    1014: "reachable",        # the __thread variable of a thread blocked at exit
}

MEMCHECK_KINDS = {
    "Leak_DefinitelyLost": "definitely_lost",
    "Leak_IndirectlyLost": "indirectly_lost",
    "Leak_PossiblyLost": "possibly_lost",
    "Leak_StillReachable": "reachable",
}


def _json(trace, *args):
    return json.loads(analyze("--json", "-n", "0", *args, trace).stdout)


def _kinds_by_size(d):
    """size -> kind for the program's own blocks (one block per entry)."""
    out = {}
    for e in d["leaks"]:
        expect(e["allocations"] == 1 or e["bytes"] not in TRUTH,
               f"entry of {e['allocations']} blocks: {e}")
        out[e["bytes"]] = e["kind"]
    return out


def _check_truth(d, what, per_block=True):
    if per_block:
        got = _kinds_by_size(d)
        wrong = {s: (got.get(s), k) for s, k in TRUTH.items() if got.get(s) != k}
        expect(not wrong, f"{what}: wrong kinds (size: (leakrec, truth)): {wrong}")
    s = d["summary"]
    totals = {}
    for size, kind in TRUTH.items():
        totals[kind] = totals.get(kind, 0) + size
    for kind, total in totals.items():
        key = "reachable_bytes" if kind == "reachable" else kind + "_bytes"
        expect(s[key] == total, f"{what}: summary.{key} {s[key]}, truth {total}")
    expect(s["definitely_lost_allocations"] == 4 and s["indirectly_lost_allocations"] == 3
           and s["possibly_lost_allocations"] == 1 and s["reachable_allocations"] == 6,
           f"{what}: counts {s}")
    r = s["reachability"]
    expect(r["scanned"] is True and r["scan_s"] > 0 and r["root_bytes"] > 0, f"{what}: {r}")


def test_reach_every_kind_exact():
    p, trace = record([prog("reach")], trace=tmp("reach.zst"))
    expect(p.returncode == 0, f"reach exited {p.returncode}: {p.stderr[-500:]!r}")
    d = _json(trace)
    _check_truth(d, "exit")
    r = d["summary"]["reachability"]
    expect(r["threads"] == 3 and r["threads_stopped"] == 2, f"threads: {r}")
    # the text report: the summary line with the four totals, the sections by kind
    out = analyze(trace).stdout
    expect(re.search(r"leak kinds +definitely lost 3\.9 KiB \(4\), indirectly lost 3\.0 KiB "
                     r"\(3\), possibly lost 1006 B \(1\), still reachable 5\.9 KiB \(6\)", out),
           f"summary line:\n{out[:1500]}")
    expect(re.search(r"reachability +scanned at the end in .*3 threads \(2 stopped\)", out),
           f"reachability line:\n{out[:1500]}")
    for title in ("Leaks, definitely lost: no pointer to them is left (3.9 KiB in 4 allocations)",
                  "Leaks, indirectly lost: pointed to only by lost blocks (3.0 KiB in 3 allocations)",
                  "Leaks, possibly lost: only pointers into their interior are left (1006 B in 1 allocation)",
                  "Leaks, still reachable: live at the end, and pointed to (5.9 KiB in 6 allocations)"):
        expect(title in out, f"no section {title!r}:\n{out}")
    # the dump shows the records
    reach = records(trace, "reach")
    expect(len(reach) == 1 and reach[0]["scanned"] == "1", f"reach records: {reach}")


def test_reach_same_kinds_as_memcheck():
    """valgrind memcheck on the same program: every block of the program the same kind."""
    vg = shutil.which("valgrind")
    expect(vg, "valgrind is not installed (apt-get install valgrind): it is the reference here")
    xml = tmp("reach.vg.xml")
    v = subprocess.run([vg, "--leak-check=full", "--show-leak-kinds=all", "--xml=yes",
                        f"--xml-file={xml}", prog("reach")], capture_output=True, timeout=300)
    expect(v.returncode == 0, f"valgrind exited {v.returncode}: {v.stderr[-500:]!r}")
    memcheck = {}
    for err in ET.parse(xml).getroot().iter("error"):
        kind = MEMCHECK_KINDS.get(err.findtext("kind"))
        if not kind:
            continue
        text = err.findtext("xwhat/text") or ""
        m = re.search(r"\(([\d,]+) direct", text)
        size = int((m.group(1) if m else err.findtext("xwhat/leakedbytes")).replace(",", ""))
        if size in TRUTH:
            memcheck[size] = kind
    expect(memcheck == TRUTH, f"memcheck's kinds differ from the truth: {memcheck}")
    _p, trace = record([prog("reach")], trace=tmp("reach_vs.zst"))
    got = {s: k for s, k in _kinds_by_size(_json(trace)).items() if s in TRUTH}
    expect(got == memcheck, f"leakrec {got} vs memcheck {memcheck}")


def test_reach_signal_ending():
    """Ended by SIGTERM: the writer thread finishes the trace and scans; same kinds."""
    p, trace = record([prog("reach"), "term"], trace=tmp("reach_term.zst"))
    expect(p.returncode == 128 + signal.SIGTERM, f"exit status {p.returncode}")
    d = _json(trace)
    expect(d["diagnostics"]["complete"], f"incomplete: {d['diagnostics']}")
    _check_truth(d, "SIGTERM")
    expect(d["summary"]["reachability"]["threads_stopped"] == 3,
           f"the dying thread is stopped too: {d['summary']['reachability']}")


def _program_entries(d, function):
    return [(e["kind"], e["allocations"]) for e in find_stack(d["leaks"], function)]


def test_reach_cpp_shared_ptr_cycles():
    p, trace = record([prog("reach_cpp")], trace=tmp("reach_cpp.zst"))
    expect(p.returncode == 0, f"exit {p.returncode}")
    d = _json(trace)
    for fn, n in (("cycle2()", 2), ("cycle3()", 3)):
        kinds = sorted(_program_entries(d, fn))
        want = sorted([("definitely_lost", 1)] + [("indirectly_lost", 1)] * (n - 1))
        expect(kinds == want, f"{fn}: {kinds}, want {want}")


def test_reach_rust_rc_arc_cycles_leak_and_forget():
    p, trace = record([prog("reach_rs")], trace=tmp("reach_rs.zst"))
    expect(p.returncode == 0, f"exit {p.returncode}")
    d = _json(trace)
    for fn, n in (("rc_cycle", 2), ("arc_cycle", 3)):
        kinds = sorted(_program_entries(d, fn))
        want = sorted([("definitely_lost", 1)] + [("indirectly_lost", 1)] * (n - 1))
        expect(kinds == want, f"{fn}: {kinds}, want {want}")
    kept = find_stack(d["leaks"], "keep_leak")
    expect([(e["kind"], e["bytes"]) for e in kept] == [("reachable", 1234)], f"Box::leak: {kept}")
    forgot = find_stack(d["leaks"], "forget")
    expect([(e["kind"], e["bytes"]) for e in forgot] == [("definitely_lost", 1321)],
           f"mem::forget: {forgot}")


def test_reach_one_gib_at_a_gigabyte_per_second():
    p, trace = record([prog("reach_big"), "1024"], trace=tmp("reach_big.zst"), timeout=600)
    expect(p.returncode == 0, f"exit {p.returncode}: {p.stderr[-300:]!r}")
    d = _json(trace)
    s = d["summary"]
    r = s["reachability"]
    expect(s["reachable_allocations"] == 16384 and s["reachable_bytes"] == 1 << 30,
           f"reachable: {s['reachable_allocations']} blocks, {s['reachable_bytes']} B")
    expect(s["definitely_lost_bytes"] == 777 and s["definitely_lost_allocations"] == 1,
           f"definitely lost: {s['definitely_lost_bytes']}")
    expect(r["heap_bytes"] >= 1 << 30, f"heap scanned: {r}")
    rate = (r["heap_bytes"] + r["root_bytes"]) / r["scan_s"]
    print(f"scan: {r['scan_s']:.3f} s for {(r['heap_bytes'] + r['root_bytes']) / 2**30:.2f} GiB: "
          f"{rate / 1e9:.2f} GB/s")
    expect(rate >= 1e9, f"scan rate {rate / 1e9:.2f} GB/s, below 1 GB/s: {r}")


def test_reach_ten_thousand_threads():
    p, trace = record([prog("reach_threads"), "10000"], trace=tmp("reach_threads.zst"),
                      timeout=600)
    expect(p.returncode == 0, f"exit {p.returncode}: {p.stderr[-300:]!r}")
    expect(p.stdout.decode().strip() == "threads 10000", f"program: {p.stdout!r}")
    d = _json(trace)
    s = d["summary"]
    r = s["reachability"]
    expect(r["threads_stopped"] == 10000 and r["threads"] == 10001, f"threads: {r}")
    expect(s["reachable_allocations"] == 10000 and s["reachable_bytes"] == 1000000,
           f"reachable: {s['reachable_allocations']}")
    expect(s["definitely_lost_bytes"] == 555, f"definitely lost {s['definitely_lost_bytes']}")
    print(f"10,000 threads: scan {r['scan_s']:.3f} s")
    expect(r["scan_s"] < 10, f"scan took {r['scan_s']} s")


def test_reach_off_leaves_the_trace_as_before():
    p, trace = record([prog("reach")], trace=tmp("reach_off.zst"), extra=["--no-reachability"])
    expect(p.returncode == 0, f"exit {p.returncode}")
    expect(not records(trace, "reach") and not records(trace, "reach_blocks"),
           "REACH records in a --no-reachability trace")
    out = analyze(trace).stdout
    expect("leak kinds" not in out and "reachability" not in out,
           f"text mentions the scan:\n{out[:800]}")
    expect("Leaks: bytes still allocated at the end" in out, "the leak section as before")
    d = _json(trace)
    s = d["summary"]
    expect(s["reachability"]["scanned"] is False and s["definitely_lost_bytes"] is None,
           f"summary: {s}")
    expect(all(e["kind"] is None for e in d["leaks"]), "kinds in a trace without scan")
    for args in (["check", "--max-lost", "0"], ["check", "--max-definitely-lost", "1K"]):
        c = analyze(*args, trace, check=False)
        expect(c.returncode == 2 and "--no-reachability" in c.stderr,
               f"{args}: exit {c.returncode}, {c.stderr!r}")
    c = analyze("diff", "--fail-on-new-lost", trace, trace, check=False)
    expect(c.returncode == 2 and "leak kinds" in c.stderr, f"diff: {c.returncode} {c.stderr!r}")


def test_reach_gates():
    trace = tmp("reach.zst")
    if not os.path.exists(trace):
        record([prog("reach")], trace=trace)
    # definitely lost 4041 B, lost (definitely + indirectly) 7070 B
    for args, status in ((["--max-definitely-lost", "4041"], 0),
                         (["--max-definitely-lost", "4040"], 1),
                         (["--max-lost", "7070"], 0), (["--max-lost", "7069"], 1)):
        c = analyze("check", *args, trace, check=False)
        expect(c.returncode == status, f"check {args}: exit {c.returncode}, want {status}:\n"
                                       f"{c.stdout[-800:]}")
    j = json.loads(analyze("check", "--json", "--max-lost", "7069", trace, check=False).stdout)
    expect(j["summary"]["definitely_lost_bytes"] == 4041, f"check JSON: {j['summary']}")
    gate = [g for g in j["gates"] if g["name"] == "max-lost"]
    expect(gate and gate[0]["crossed"] and gate[0]["value"] == 7070, f"gates: {j['gates']}")
    c = analyze("diff", "--fail-on-new-lost", trace, trace, check=False)
    expect(c.returncode == 0, f"diff of a trace with itself: exit {c.returncode}")
    base = tmp("reach_cpp.zst")
    if not os.path.exists(base):
        record([prog("reach_cpp")], trace=base)
    c = analyze("diff", "--fail-on-new-lost", base, trace, check=False)
    expect(c.returncode == 1 and "new stacks with lost bytes: 4" in c.stdout,
           f"diff: exit {c.returncode}:\n{c.stdout[-1200:]}")


def test_reach_window_before_the_end_has_no_kinds():
    trace = tmp("reach.zst")
    if not os.path.exists(trace):
        record([prog("reach")], trace=trace)
    d = _json(trace, "--to", "50%")
    expect(d["summary"]["definitely_lost_bytes"] is None, f"window: {d['summary']}")
    out = analyze("--to", "50%", trace).stdout
    expect("the window ends before the trace, so no leak kinds" in out, out[:1000])


def test_reach_without_debug_info():
    """reach.c built without -g: the leaks of its main are the program's (not start-up's, not
    the runtime's), with the same kinds (blocks of one function are one stack here: totals)."""
    p, trace = record([prog("reach_nog")], trace=tmp("reach_nog.zst"))
    expect(p.returncode == 0, f"exit {p.returncode}")
    d = _json(trace)
    expect(d["summary"]["leaked_bytes"] == sum(TRUTH), f"leaked {d['summary']['leaked_bytes']}")
    _check_truth(d, "no -g", per_block=False)


def test_reach_python_lost_as_memcheck():
    """Debian's python3, a program we did not write: its objects point at malloc'd blocks from
    obmalloc's own mmap'd arenas, which the scan reads as memcheck does.  What is lost (definitely
    and indirectly) is what memcheck says (nothing)."""
    vg = shutil.which("valgrind")
    expect(vg, "valgrind is not installed (apt-get install valgrind): it is the reference here")
    py = shutil.which("python3", path="/usr/bin")
    expect(py, "/usr/bin/python3 is missing (apt-get install python3)")
    code = "import json; d = [{'k': i, 's': str(i)} for i in range(3000)]; print(len(json.dumps(d)))"
    v = subprocess.run([vg, "--leak-check=full", "--show-leak-kinds=all", py, "-c", code],
                       capture_output=True, text=True, timeout=600)
    mc = {}
    for kind in ("definitely lost", "indirectly lost", "possibly lost", "still reachable"):
        m = re.search(kind + r": ([\d,]+) bytes in ([\d,]+) blocks", v.stderr)
        expect(m, f"no '{kind}' in valgrind's summary:\n{v.stderr[-1500:]}")
        mc[kind] = int(m.group(1).replace(",", ""))
    p, trace = record([py, "-c", code], trace=tmp("reach_py.zst"))
    expect(p.returncode == 0, f"python3 exited {p.returncode}")
    s = _json(trace)["summary"]
    got = {"definitely lost": s["definitely_lost_bytes"], "indirectly lost": s["indirectly_lost_bytes"]}
    print(f"python3: memcheck {mc}; leakrec {got}, possibly lost {s['possibly_lost_bytes']}, "
          f"still reachable {s['reachable_bytes']} (+ {s['runtime_leaked_bytes']} runtime-owned)")
    expect(got["definitely lost"] == mc["definitely lost"]
           and got["indirectly lost"] == mc["indirectly lost"], f"memcheck {mc}, leakrec {got}")
