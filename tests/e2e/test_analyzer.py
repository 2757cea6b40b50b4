"""Analyzer tests: exact leaked bytes and allocations per known function in C, C++ and
Rust, the peak and who held it, inlined frames, runtime-owned memory, bad input."""
import os
import re
import shutil
import subprocess

from lib import Skip, analyze, expect, prog, record, report_json, tmp


def _base(fn):
    """'ns::f(int)' -> 'ns::f'; Rust closures and generics left as they are."""
    return re.sub(r"\(.*\)( const)?$", "", fn or "")


def _sites(entries, function):
    """Entries whose stack has a frame in `function` (by name, any namespace/crate path)."""
    out = []
    for e in entries:
        names = [_base(f.get("function")) for f in e["stack"]]
        if any(n == function or n.endswith("::" + function) for n in names):
            out.append(e)
    return out


def _totals(entries, function, key="bytes"):
    sites = _sites(entries, function)
    return sum(e[key] for e in sites), sum(e["allocations"] for e in sites)


def _expected_from_stdout(stdout):
    """'expect FUNCTION ALLOCATIONS BYTES' lines printed by a test program."""
    out = {}
    for line in stdout.decode().splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] == "expect":
            out[parts[1]] = (int(parts[2]), int(parts[3]))
    return out


def test_c_leaks_exact():
    p, trace = record([prog("leaks")])
    expect(p.returncode == 0, p.stderr)
    d = report_json(trace, "-n", "0")
    leaks = d["leaks"]
    for fn, (nbytes, nallocs) in {"leak_small": (1000, 10), "leak_big": (12288, 3),
                                  "leak_grown": (5000, 1)}.items():
        got = _totals(leaks, fn)
        expect(got == (nbytes, nallocs), f"{fn}: leaked {got}, want {(nbytes, nallocs)}")
    expect(not _sites(leaks, "no_leak"), "no_leak shows in leaks")
    s = d["summary"]
    expect(s["leaked_bytes"] == 18288 and s["leaked_allocations"] == 14,
           f"summary leaked {s['leaked_bytes']} in {s['leaked_allocations']}")
    tmp_sites = _sites(d["temporary"], "no_leak")
    expect(sum(e["allocations"] for e in tmp_sites) == 100, f"no_leak temporaries: {tmp_sites}")
    # realloc growth is not temporary, and counts: malloc + 4 growing reallocs = 5 allocations
    expect(not _sites(d["temporary"], "leak_grown"), "realloc growth counted as temporary")
    alloc_sites = _sites(d["allocators"], "leak_grown")
    expect(sum(e["allocations"] for e in alloc_sites) == 5, f"leak_grown allocations {alloc_sites}")
    expect(s["allocations"] == 10 + 3 + 5 + 100, f"allocations {s['allocations']}")
    expect(s["allocated_bytes"] == 1000 + 12288 + 10 + 1000 + 2000 + 3000 + 5000 + 5000,
           f"allocated_bytes {s['allocated_bytes']}")
    # stacks start at the caller of malloc: the first frame is the leaking function itself
    for e in leaks:
        expect(_base(e["stack"][0]["function"]) in ("leak_small", "leak_big", "leak_grown"),
               f"first frame {e['stack'][0]}")
        expect(e["stack"][0]["file"].endswith("leaks.c") and e["stack"][0]["line"] > 0,
               f"file:line of {e['stack'][0]}")
    expect(d["program"]["exe"].endswith("/leaks") and d["program"]["argv"][0].endswith("leaks"),
           f"program {d['program']}")


def test_cpp_shared_ptr_cycle():
    p, trace = record([prog("leaks_cpp")])
    expect(p.returncode == 0, p.stderr)
    want = _expected_from_stdout(p.stdout)
    expect(set(want) == {"make_cycle", "leak_array"}, f"program printed {want}")
    d = report_json(trace, "-n", "0")
    for fn, (nallocs, nbytes) in want.items():
        got = _totals(d["leaks"], fn)
        expect(got == (nbytes, nallocs), f"{fn}: leaked {got}, want {(nbytes, nallocs)}")
    total = sum(b for _, b in want.values())
    expect(d["summary"]["leaked_bytes"] == total,
           f"leaked_bytes {d['summary']['leaked_bytes']}, want {total} (stdio buffer is runtime)")
    expect(d["summary"]["runtime_leaked_bytes"] > 0, "stdout's buffer is runtime-owned")
    # operator new and the shared_ptr plumbing are folded: make_cycle is the first frame
    for e in _sites(d["leaks"], "make_cycle"):
        expect(_base(e["stack"][0]["function"]) == "make_cycle", f"first frame {e['stack'][0]}")
    d2 = report_json(trace, "-n", "0", "--show-alloc-frames")
    firsts = {_base(e["stack"][0]["function"]) for e in _sites(d2["leaks"], "make_cycle")}
    expect(any("operator new" in f for f in firsts), f"--show-alloc-frames first frames {firsts}")


def test_rust_rc_cycle_and_box_leak():
    if not os.path.exists(prog("leaks_rs")):
        raise Skip("rustc not installed")
    p, trace = record([prog("leaks_rs")])
    expect(p.returncode == 0, p.stderr)
    want = _expected_from_stdout(p.stdout)
    expect(set(want) == {"make_rc_cycle", "leak_box"}, f"program printed {want}")
    d = report_json(trace, "-n", "0")
    for fn, (nallocs, nbytes) in want.items():
        got = _totals(d["leaks"], fn)
        expect(got == (nbytes, nallocs), f"{fn}: leaked {got}, want {(nbytes, nallocs)}")
        for e in _sites(d["leaks"], fn):
            first = e["stack"][0]["function"]
            expect(first == "leaks_rs::" + fn, f"first frame of {fn}: {first} (plumbing not folded)")
    total = sum(b for _, b in want.values())
    expect(d["summary"]["leaked_bytes"] == total,
           f"leaked_bytes {d['summary']['leaked_bytes']}, want {total}")
    names = [f["function"] or "" for e in d["leaks"] + d["allocators"] for f in e["stack"]]
    expect(not any(n.startswith("_R") or n.startswith("_ZN") for n in names), "mangled names left")
    expect(not any(re.search(r"::h[0-9a-f]{16}$", n) for n in names), "Rust hash suffixes left")


def test_peak_exact():
    p, trace = record([prog("peak")])
    expect(p.returncode == 0, p.stderr)
    d = report_json(trace, "-n", "0")
    s = d["summary"]
    expect(110000 <= s["peak_heap_bytes"] <= 110000 + 1024, f"peak {s['peak_heap_bytes']}")
    expect(_totals(d["peak"], "spike_b") == (100000, 5), f"spike_b at peak {_totals(d['peak'], 'spike_b')}")
    expect(_totals(d["peak"], "hold_a") == (10000, 10), f"hold_a at peak {_totals(d['peak'], 'hold_a')}")
    expect(not _sites(d["peak"], "later_c"), "later_c was not live at the peak")
    expect(_base(d["peak"][0]["stack"][0]["function"]) == "spike_b", "largest at peak first")
    expect(s["leaked_bytes"] == 60000 and s["leaked_allocations"] == 60, f"leaked {s['leaked_bytes']}")
    expect(0 <= s["peak_time_s"] <= s["duration_s"], "peak time within the run")


def test_inlined_frame():
    p, trace = record([prog("inline")])
    expect(p.returncode == 0, p.stderr)
    src = os.path.join(os.path.dirname(__file__), "..", "progs", "inline.c")
    line = next(i for i, l in enumerate(open(src), 1) if "MAKE_BUFFER_LINE */" in l)
    d = report_json(trace, "-n", "0")
    expect(_totals(d["leaks"], "build_record") == (4 * 777, 4), f"{_totals(d['leaks'], 'build_record')}")
    for e in _sites(d["leaks"], "build_record"):
        f0, f1 = e["stack"][0], e["stack"][1]
        expect(f0["function"] == "make_buffer" and f0["inlined"] is True, f"frame 0 {f0}")
        expect(f0["file"].endswith("inline.c") and f0["line"] == line, f"frame 0 at {f0['file']}:{f0['line']}, want line {line}")
        expect(f1["function"] == "build_record" and f1["inlined"] is False, f"frame 1 {f1}")
    text = analyze(trace).stdout
    expect("make_buffer" in text and "inlined" in text, "text report marks the inlined frame")


def test_threads_runtime_memory_not_a_leak():
    p, trace = record([prog("threads")])
    expect(p.returncode == 0, p.stderr)
    d = report_json(trace)
    expect(d["summary"]["leaked_bytes"] == 0, f"leaked {d['summary']['leaked_bytes']}: {d['leaks'][:2]}")


def test_text_report_sections():
    p, trace = record([prog("leaks")])
    out = analyze(trace).stdout
    for title in ("Leaks", "Peak consumers", "Most allocations", "Most temporary allocations"):
        expect(title in out, f"section {title!r} missing")
    expect("leak_small" in out and "leaks.c:" in out, "frames with file:line")
    expect("\x1b[" not in out, "no colour when stdout is not a terminal")
    same = analyze("report", trace).stdout
    expect(same == out, "report is the default subcommand")


def test_bad_input():
    junk = tmp("junk.zst")
    with open(junk, "wb") as f:
        f.write(os.urandom(5000))
    p = analyze(junk, check=False)
    expect(p.returncode == 2 and junk in p.stderr and len(p.stderr.strip().splitlines()) == 1,
           f"random bytes: {p.returncode} {p.stderr!r}")
    p = analyze(tmp("missing.zst"), check=False)
    expect(p.returncode == 2 and "cannot open" in p.stderr and "No such file" in p.stderr, p.stderr)
    h = analyze("--help")
    expect("usage" in h.stdout.lower() and not h.stderr, "--help on stdout")
    u = analyze("--no-such-option", "x", check=False)
    expect(u.returncode == 2 and u.stderr, "bad usage exits 2")
    # a plain zstd file that is not a trace
    if shutil.which("zstd"):
        plain = tmp("plain.zst")
        subprocess.run(["zstd", "-q", "-f", "-o", plain, __file__], check=True)
        p = analyze(plain, check=False)
        expect(p.returncode == 2 and "not a leakrec trace" in p.stderr, p.stderr)


def test_corrupt_traces_never_crash():
    p, trace = record([prog("steady")], trace=tmp("fuzz-src.zst"))
    data = bytearray(open(trace, "rb").read())
    full = report_json(trace)["summary"]["allocations"]
    import random
    rnd = random.Random(1234)
    for i in range(12):
        bad = bytearray(data)
        for _ in range(1 + i % 4):
            pos = rnd.randrange(len(bad))
            bad[pos] ^= 1 << rnd.randrange(8)
        path = tmp(f"flip-{i}.zst")
        open(path, "wb").write(bad)
        r = analyze("--json", path, check=False)
        expect(r.returncode in (0, 2), f"flip {i}: exit {r.returncode}")
        if r.returncode == 0:
            import json
            got = json.loads(r.stdout)["summary"]["allocations"]
            expect(got <= full, f"flip {i}: {got} allocations of {full}")
    for cut in (len(data) // 3, len(data) // 2, len(data) - 7):
        path = tmp(f"cutr-{cut}.zst")
        open(path, "wb").write(data[:cut])
        r = analyze(path, check=False)
        expect(r.returncode == 0 and f"truncated at byte" in r.stderr and path in r.stderr,
               f"cut {cut}: {r.returncode} {r.stderr!r}")
