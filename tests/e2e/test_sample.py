"""Sampled traces (`leakrec --sample R`) and bounded recordings (`--duration`, `--max-size`).

The program is tests/progs/sampling.c (known bytes at known call sites), recorded in full once
and sampled at R = 32 KiB with 20 fixed seeds (LEAKREC_SAMPLE_SEED=1..20: every run samples the
same way every time).  The accuracy targets of issue 16, over the 20 seeds against the full trace:

- peak heap within 5 % (the root mean square of the relative errors: one standard deviation);
- every stack that held at least 100 R at the peak within 10 % (the same measure);
- the top growth suspect the same as the full trace's in at least 19 of 20;
- the leak of 50 R (1,638,400 bytes in leak_small) found in 20 of 20.

Then one sampled trace through every output (report, --json, a window, diff, check, the exports,
html, flamegraph), each saying that its figures are estimates; and --duration / --max-size, with
and without sampling, end the trace at the right point, the program's output and exit status
unchanged.
"""
import gzip
import json
import math
import os

import lib
from lib import analyze, expect, prog, record, report_json, tmp

R = 32768
SEEDS = range(1, 21)
LEAK_BYTES = 16384 * 100  # leak_small
EXIT = 3  # sampling.c exits 3

_cache = {}


def _run(name, *extra, seed=None, args=()):
    key = (name, extra, seed, args)
    if key in _cache:
        return _cache[key]
    env = {"LEAKREC_SAMPLE_SEED": str(seed)} if seed is not None else {}
    p, trace = record([prog("sampling"), *args], trace=tmp(f"sample_{name}.zst"), env=env,
                      extra=extra)
    expect(p.returncode == EXIT, f"sampling under leakrec {' '.join(extra)} exited "
                                 f"{p.returncode}, not {EXIT}: {p.stderr[-800:]}")
    expect(p.stdout == b"sampling done\n", f"the program's output changed: {p.stdout!r}")
    _cache[key] = trace
    return trace


def _full():
    return _run("full")


def _sampled(seed):
    return _run(f"seed{seed}", "--sample", "32K", seed=seed)


def _by_function(entries, key="bytes"):
    out = {}
    for e in entries:
        fn = lib.stack_functions(e)[0]
        out[fn] = out.get(fn, 0) + e[key]
    return out


def _rms(errors):
    return math.sqrt(sum(x * x for x in errors) / len(errors))


_full_json = {}


def _full_report():
    if not _full_json:
        _full_json.update(report_json(_full(), "-n", "0"))
    return _full_json


def test_full_trace_figures():
    """The reference is what the program allocates: the figures the accuracy tests compare to."""
    d = _full_report()
    expect(d["summary"]["sample_rate_bytes"] == 0, "a full trace has sample_rate_bytes 0")
    expect("temporary_allocations" in d["summary"], "a full trace has its temporary allocations")
    peak = _by_function(d["peak"])
    want = {"big_block": 40 * 256 * 1024, "near_rate": 300 * 32 * 1024,
            "cache_small": 20000 * 512, "cache_slow": 1250 * 2000, "grow_buf": 64 * 65536,
            "zeroed": 8 * 65536, "leak_small": LEAK_BYTES}
    for fn, b in want.items():
        expect(peak.get(fn) == b, f"full trace: {fn} held {peak.get(fn)} at the peak, not {b}")
    leaks = _by_function(d["leaks"])
    expect(leaks.get("leak_small") == LEAK_BYTES, f"full trace leaks {leaks}")
    top = d["growth"]["suspects"][0]
    expect(lib.stack_functions(top)[0] == "cache_small",
           f"full trace: the top growth suspect is {lib.stack_functions(top)[:2]}")


def test_accuracy_over_20_seeds():
    full = _full_report()
    fpeak = full["summary"]["peak_heap_bytes"]
    fstacks = {fn: b for fn, b in _by_function(full["peak"]).items() if b >= 100 * R}
    expect(len(fstacks) == 4, f"the stacks holding >= 100 R: {sorted(fstacks)}")
    ftop = lib.stack_functions(full["growth"]["suspects"][0])[0]
    peak_err, stack_err = [], {fn: [] for fn in fstacks}
    same_top = found_leak = 0
    sizes = []
    for seed in SEEDS:
        trace = _sampled(seed)
        sizes.append(os.path.getsize(trace))
        d = report_json(trace, "-n", "0")
        s = d["summary"]
        expect(s["sample_rate_bytes"] == R, f"seed {seed}: sample_rate_bytes {s['sample_rate_bytes']}")
        expect(d["diagnostics"]["complete"], f"seed {seed}: the sampled trace is incomplete")
        peak_err.append(s["peak_heap_bytes"] / fpeak - 1)
        peak = _by_function(d["peak"])
        for fn, b in fstacks.items():
            stack_err[fn].append(peak.get(fn, 0) / b - 1)
        sus = d["growth"]["suspects"]
        same_top += bool(sus) and lib.stack_functions(sus[0])[0] == ftop
        found_leak += any(lib.stack_functions(e)[0] == "leak_small" for e in d["leaks"])
    msg = (f"peak heap: RMS error {_rms(peak_err):.2%} over 20 seeds "
           f"(worst {max(map(abs, peak_err)):.2%}); "
           + ", ".join(f"{fn}: {_rms(e):.2%}" for fn, e in stack_err.items())
           + f"; top growth suspect {same_top}/20; leak found {found_leak}/20; "
           f"sampled trace {sum(sizes) / len(sizes) / os.path.getsize(_full()):.4f} of the full")
    print("    " + msg)
    expect(_rms(peak_err) <= 0.05, "peak heap not within 5 %: " + msg)
    for fn, e in stack_err.items():
        expect(_rms(e) <= 0.10, f"{fn} not within 10 %: " + msg)
    expect(same_top >= 19, "top growth suspect: " + msg)
    expect(found_leak == 20, "leak of 50 R: " + msg)


def test_same_seed_same_trace():
    a = report_json(_sampled(1))
    b = report_json(_run("seed1again", "--sample", "32K", seed=1))
    expect(a["summary"]["peak_heap_bytes"] == b["summary"]["peak_heap_bytes"] and
           a["summary"]["allocations"] == b["summary"]["allocations"],
           "LEAKREC_SAMPLE_SEED=1 twice gave different samples")
    c = report_json(_sampled(2))
    expect(c["summary"]["allocations"] != a["summary"]["allocations"],
           "seeds 1 and 2 sampled the same allocations")


def test_sampled_frees_and_reallocs():
    """Only sampled blocks have events; every recorded block is freed but the leak, and the
    reallocated buffers are RALLOCs of sampled blocks or ALLOCs (func realloc) of blocks sampled
    by their growth."""
    evs = lib.events(_sampled(3))
    allocs = {e["id"]: e for e in evs if e["kind"] in ("alloc", "ralloc")}
    freed = {e["id"] for e in evs if e["kind"] in ("free", "rfree")}
    expect(all(e["id"] in allocs for e in evs if e["kind"] in ("free", "rfree")),
           "a free names an allocation that was not recorded")
    live_sizes = {allocs[i]["size"] for i in allocs if i not in freed}
    expect(live_sizes <= {100, 1024, 72704}, f"sizes left live: {sorted(live_sizes)[:10]}")
    grow = [e for e in evs if e["func"] == "realloc" and e["kind"] == "alloc"]
    expect(grow and all(e["size"] in (2048, 4096, 8192, 16384, 32768, 65536) for e in grow),
           f"ALLOCs of reallocated blocks: {[e['size'] for e in grow][:10]}")


def _sample_trace():
    return _sampled(4)


def test_report_marks_estimates():
    out = analyze(_sample_trace()).stdout
    for want in ("sampled       one allocation per 32.0 KiB allocated on average",
                 "peak heap     ~", "allocations   ~", "leaked        ~",
                 "temporary     not estimated", "Most temporary allocations: not estimated",
                 "Heap over time: peak ~"):
        expect(want in out, f"the text report lacks {want!r}:\n{out[:1500]}")
    expect("\n  ~" in out, "list entries are not marked ~")
    full = analyze(_full()).stdout
    expect("~" not in full and "sampled" not in full, "a full trace's report says ~ or sampled")


def test_json_marks_estimates():
    d = report_json(_sample_trace())
    s = d["summary"]
    expect(s["sample_rate_bytes"] == R, f"sample_rate_bytes {s.get('sample_rate_bytes')}")
    expect("temporary_allocations" not in s and "temporary_allocations" in s["not_estimated"],
           f"summary: {s}")
    expect(d["temporary"] == [], "a sampled trace lists temporaries")
    r = s["reachability"]
    expect(r["scanned"] is False and "sampled" in (r["note"] or ""),
           f"a sampled recording has no leak-kind scan: {r}")
    expect(s["definitely_lost_bytes"] is None, "leak kinds of a sampled trace")
    full = _full_report()
    expect(full["summary"]["reachability"]["scanned"] is True, "the full trace was scanned")
    # byte-seconds are estimated like the bytes: big_block's 10 MiB held from the start to
    # nearly the end, against the full trace's
    bs = {lib.stack_functions(e)[0]: e["byte_seconds"] for e in d["lifetimes"]}
    fbs = {lib.stack_functions(e)[0]: e["byte_seconds"] for e in full["lifetimes"]}
    expect("big_block" in bs and 0.5 < bs["big_block"] / fbs["big_block"] < 2.0,
           f"byte-seconds of big_block: {bs.get('big_block')} against {fbs.get('big_block')}")


def test_window():
    full = report_json(_full(), "--from", "50%")
    d = report_json(_sample_trace(), "--from", "50%")
    expect(d["summary"]["sample_rate_bytes"] == R, "window: no sample rate")
    # the heap grows all run long: its peak in the second half is the whole run's
    err = d["summary"]["peak_heap_bytes"] / full["summary"]["peak_heap_bytes"] - 1
    expect(abs(err) < 0.15, f"window peak {d['summary']['peak_heap_bytes']} against "
                            f"{full['summary']['peak_heap_bytes']}")
    out = analyze("--from", "50%", _sample_trace()).stdout
    expect("window" in out and "peak heap     ~" in out, f"window report:\n{out[:800]}")


def test_check_gates_estimates():
    p = analyze("check", "--max-leaked", "0", _sample_trace(), check=False)
    expect(p.returncode == 1, f"check --max-leaked 0 exited {p.returncode}: {p.stdout}")
    expect("SAMPLED       trace: leakrec --sample 32768: every figure is an estimate, and the "
           "gates compare estimates" in p.stdout, f"check does not say so:\n{p.stdout}")
    p = analyze("check", "--max-leaked", "10M", _sample_trace(), check=False)
    expect(p.returncode == 0, f"check --max-leaked 10M exited {p.returncode}")
    p = analyze("check", "--json", "--max-leaked", "0", _sample_trace(), check=False)
    d = json.loads(p.stdout)
    expect(d["sample_rate_bytes"] == R, f"check --json: {list(d)}")
    expect("temporary_allocations" not in d["summary"], "check --json gives temporaries")


def test_diff_gates_estimates():
    p = analyze("diff", _full(), _sample_trace(), check=False)
    expect(p.returncode == 0, f"diff exited {p.returncode}: {p.stderr}")
    expect("SAMPLED       new: leakrec --sample 32768" in p.stdout, f"diff:\n{p.stdout[:800]}")
    p = analyze("diff", "--json", _full(), _sample_trace(), check=False)
    d = json.loads(p.stdout)
    expect(d["base_sample_rate_bytes"] == 0 and d["new_sample_rate_bytes"] == R,
           "diff --json sample rates")
    expect("temporary_allocations" not in d["summary"], "diff --json compares temporaries")
    p = analyze("diff", _full(), _sample_trace(), check=False)
    expect("temporary allocations    not estimated in a sampled trace" in p.stdout,
           f"diff text:\n{p.stdout[:900]}")


def test_exports_say_estimates():
    t = _sample_trace()
    out = tmp("sample.pb.gz")
    p = analyze("export", "-f", "pprof", "-o", out, t)
    expect("estimates" in p.stderr, f"export pprof stderr: {p.stderr}")
    with gzip.open(out) as f:
        expect(b"estimated from a trace sampled by bytes" in f.read(), "pprof: no note")
    out = tmp("sample.massif")
    analyze("export", "-f", "massif", "-o", out, t)
    with open(out, encoding="utf-8") as f:
        text = f.read()
    desc = [ln for ln in text.splitlines() if ln.startswith("desc:")]
    expect(desc and "estimated from a trace sampled by bytes" in desc[0], f"massif desc {desc}")
    # the timed snapshots are estimates too: their largest is near the estimated peak
    heaps = [int(ln.split("=")[1]) for ln in text.splitlines() if ln.startswith("mem_heap_B=")]
    peak = report_json(t)["summary"]["peak_heap_bytes"]
    expect(max(heaps) == peak, f"massif's largest snapshot {max(heaps)}, the peak {peak}")
    out = tmp("sample.speedscope.json")
    analyze("export", "-f", "speedscope", "-o", out, t)
    with open(out, encoding="utf-8") as f:
        expect("estimated from a trace sampled by bytes" in f.read(), "speedscope: no note")
    p = analyze("export", "-f", "collapsed", t)
    expect("a sampled trace" in p.stderr and "estimates" in p.stderr, f"collapsed: {p.stderr}")
    leak = [ln for ln in p.stdout.splitlines() if ln.split(" ")[0].endswith(";leak_small")]
    d = report_json(t)
    expect(leak and int(leak[0].split(" ")[1]) == d["summary"]["leaked_bytes"],
           f"collapsed leak {leak} against {d['summary']['leaked_bytes']}")
    p = analyze("export", "-f", "collapsed", "-k", "temporary", t, check=False)
    expect(p.returncode == 2 and "not estimated" in p.stderr, f"temporary kind: {p.stderr}")


def test_html_and_flamegraph_say_estimates():
    t = _sample_trace()
    out = tmp("sample.html")
    analyze("html", "-o", out, t)
    with open(out, encoding="utf-8") as f:
        page = f.read()
    expect('"sample_rate_bytes":32768' in page.replace(" ", ""), "html: no sample rate")
    expect("Sampled trace" in page and "Most temporary allocations: not estimated" in page,
           "html: no note")
    out = tmp("sample.svg")
    analyze("flamegraph", "-o", out, t)
    with open(out, encoding="utf-8") as f:
        expect("every figure is an estimate" in f.read(), "flamegraph: no note")
    p = analyze("flamegraph", "--kind", "temporary", "-o", out, t, check=False)
    expect(p.returncode == 2 and "not estimated" in p.stderr, f"flamegraph temporary: {p.stderr}")


# ---- --duration and --max-size ----

def _end(trace):
    ends = lib.records(trace, "end")
    expect(len(ends) == 1, f"{trace}: {len(ends)} END records")
    return ends[0]


def test_duration():
    """Recording stops after the duration: the END record at 150 ms (+ a pass of 20 ms and the
    last pass; up to 0.4 s on a loaded machine), the program goes on (its 400 steps take a second
    or more: the allocations of the whole run are far more), output and exit status unchanged."""
    for extra in ((), ("--sample", "32K")):
        t = _run("dur" + "".join(extra), "--duration", "150ms", *extra, args=("400",), seed=5)
        d = report_json(t)
        expect(d["diagnostics"]["complete"], f"--duration {extra}: incomplete trace")
        end_s = int(_end(t)["t"]) / 1e9
        expect(0.150 <= end_s <= 0.400, f"--duration 150ms {extra}: END at {end_s:.3f} s")
        expect(d["summary"]["duration_s"] <= 0.400, f"duration {d['summary']['duration_s']}")
        # the run went on unrecorded: far fewer allocations than its ~1.4 million
        expect(d["summary"]["allocations"] < 1000000, f"allocations {d['summary']['allocations']}")


def test_max_size():
    """Recording stops once the file reaches the size: at least that big, and only the last
    pass and the END record beyond it."""
    for extra, size in (((), 65536), (("--sample", "4K"), 16384)):
        t = _run("max" + "".join(extra), "--max-size", str(size), *extra, args=("400",), seed=6)
        got = os.path.getsize(t)
        expect(size <= got <= size + 48 * 1024, f"--max-size {size} {extra}: {got} bytes")
        d = report_json(t)
        expect(d["diagnostics"]["complete"], f"--max-size {extra}: incomplete trace")
        expect(d["summary"]["duration_s"] < 1.0, f"--max-size {extra}: recorded "
                                                 f"{d['summary']['duration_s']} s")


def test_bad_options():
    for args in (["--sample", "0"], ["--sample", "12Q"], ["--duration", "soon"],
                 ["--max-size", "-1"]):
        p, _ = record([prog("sampling")], extra=args)
        expect(p.returncode == 2 and b"invalid" in p.stderr, f"{args}: {p.returncode} {p.stderr}")


def test_header_holds_the_rate():
    hdr = [ln for ln in analyze("dump", _sampled(1)).stdout.splitlines() if ln.startswith("header ")]
    expect(len(hdr) == 1 and hdr[0].endswith(" sample_rate=32768"), f"dump header: {hdr}")
    hdr = [ln for ln in analyze("dump", _full()).stdout.splitlines() if ln.startswith("header ")]
    expect(len(hdr) == 1 and "sample_rate" not in hdr[0], f"full trace's dump header: {hdr}")


def test_stacks_start_in_the_program():
    """Sampled malloc and calloc reach their recording path by a tail call (no frame of their
    own): every recorded stack's first frame is the program's call site, never the library's."""
    t = _sampled(7)
    lines = analyze("dump", t).stdout.splitlines()
    lib_ranges = []
    for ln in lines:
        if ln.startswith("module ") and "libleakrec.so" in ln:
            _, d = lib.parse_kv(ln)
            bias = int(d["bias"], 16)
            for seg in d["segments"].split(","):
                va, rest = seg.split("+")
                memsz = rest.split("@")[0]
                lib_ranges.append((bias + int(va, 16), bias + int(va, 16) + int(memsz, 16)))
    expect(lib_ranges, "no module record of libleakrec.so")
    firsts = [int(d["frames"].split(",")[0], 16) for k, d in map(lib.parse_kv, lines)
              if k == "stack" and d.get("frames")]
    expect(len(firsts) >= 7, f"{len(firsts)} stacks")
    inlib = [hex(a) for a in firsts if any(lo <= a < hi for lo, hi in lib_ranges)]
    expect(not inlib, f"stacks starting in libleakrec.so: {inlib[:5]}")
    fns = {lib.stack_functions(e)[0] for e in report_json(t, "-n", "0")["allocators"]}
    expect({"zeroed", "big_block", "grow_buf"} <= fns, f"first frames: {sorted(fns)}")
