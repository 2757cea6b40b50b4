"""Growth tests: growth suspects ranked against the true rate a program prints, windows
by percent and by mark checked against the merged dump's exact event times, the timeline's
maximum, the allocation size histogram, usage errors.

tests/progs/growth_server.c serves simulated requests for about 1.5 s: a cache growing by one
entry per request (freed at exit), a pool allocated once, per-request buffers freed at the end of
each request, a real leak of 3 x 777 bytes, and marks "warmup done", "half", "draining"."""
import json
import re
from decimal import Decimal

from lib import analyze, events, expect, find_stack, prog, record, tmp

_TRACE = {}


def _trace():
    """Records growth_server once; returns (trace, cache facts, leak facts)."""
    if not _TRACE:
        p, trace = record([prog("growth_server")], trace=tmp("growth_server.zst"))
        expect(p.returncode == 0, f"growth_server exited {p.returncode}: {p.stderr[-500:]}")
        facts = {}
        for line in p.stdout.decode().splitlines():
            parts = line.split()
            facts[parts[0]] = [int(x) for x in parts[1:]]
        expect("cache" in facts and "leak" in facts, f"program printed {p.stdout!r}")
        _TRACE.update(trace=trace, facts=facts)
    return _TRACE["trace"], _TRACE["facts"]


def _json(trace, *args):
    p = analyze("--json", *args, trace)
    return json.loads(p.stdout, parse_float=Decimal)


def _ns(seconds):
    return int(Decimal(seconds) * 1000000000)


def _size_class(size):
    """(min, max) of a size's histogram class: [0, 16), then [2^k, 2^(k+1))."""
    if size < 16:
        return 0, 16
    k = size.bit_length() - 1
    return 1 << k, 1 << (k + 1)


def _replay(evs, from_ns, to_ns=None):
    """What the window [from_ns, to_ns) holds, from merged events (malloc/free only)."""
    live = {}
    heap = 0
    out = {"allocations": 0, "allocated_bytes": 0, "frees": 0, "peak": None, "classes": {}}
    opened = False
    for e in evs:
        if to_ns is not None and e["t"] >= to_ns:
            break
        if not opened and e["t"] >= from_ns:
            opened = True
            out["peak"] = heap
        if e["kind"] == "alloc":
            live[e["id"]] = (e["size"], e["t"])
            heap += e["size"]
            if opened:
                out["allocations"] += 1
                out["allocated_bytes"] += e["size"]
                c = out["classes"].setdefault(_size_class(e["size"]), [0, 0])
                c[0] += 1
                c[1] += e["size"]
                out["peak"] = max(out["peak"], heap)
        elif e["kind"] == "free" and e["id"] in live:
            size, _ = live.pop(e["id"])
            heap -= size
            if opened:
                out["frees"] += 1
    out["window_live"] = sum(s for s, t in live.values() if t >= from_ns)
    if out["peak"] is None:
        out["peak"] = heap
    return out


def test_growth_suspects_and_leak():
    trace, facts = _trace()
    entries, entry_bytes, first_ns, last_ns = facts["cache"]
    true_rate = (entries - 1) * entry_bytes / ((last_ns - first_ns) / 1e9)
    d = _json(trace, "-n", "0")
    sus = d["growth"]["suspects"]
    expect(sus, "no growth suspects")
    first = [f.get("function") for f in sus[0]["stack"]]
    expect("cache_insert" in first, f"first suspect is {first[:3]}, want cache_insert")
    rate = float(sus[0]["slope_bytes_per_s"])
    expect(abs(rate - true_rate) <= 0.10 * true_rate,
           f"cache growth {rate:.0f} B/s, true rate {true_rate:.0f} B/s")
    expect(float(sus[0]["score"]) > 0 and float(sus[0]["r2"]) >= 0.8, f"score {sus[0]['score']}")
    expect(sus[0]["live_bytes_start"] == 0 and sus[0]["live_bytes_end"] == 0 and
           0.9 * entries * entry_bytes <= sus[0]["max_bytes"] <= entries * entry_bytes,
           f"cache start/end/max {sus[0]['live_bytes_start']} {sus[0]['live_bytes_end']} "
           f"{sus[0]['max_bytes']} (freed at exit, {entries * entry_bytes} at most)")
    expect(max(sus[0]["series"]) == sus[0]["max_bytes"] and sus[0]["series"][-1] == 0,
           f"series {sus[0]['series']}")
    for fn in ("pool_init", "handle_request", "leak_once"):
        expect(not find_stack(sus, fn), f"{fn} is a growth suspect")
    nallocs, nbytes = facts["leak"]
    # one entry per leak kind of the stack (a copy of a pointer left on the stack makes one of
    # the three still reachable): together the leak, exactly
    leaks = find_stack(d["leaks"], "leak_once")
    expect(len({e["kind"] for e in leaks}) == len(leaks)
           and sum(e["bytes"] for e in leaks) == nbytes
           and sum(e["allocations"] for e in leaks) == nallocs, f"leak_once leaks {leaks}")
    expect(d["summary"]["leaked_bytes"] == nbytes, f"leaked_bytes {d['summary']['leaked_bytes']}")
    one = _json(trace, "-n", "1")["growth"]["suspects"]
    expect(len(one) == 1 and one[0]["stack_id"] == sus[0]["stack_id"], "-n 1 keeps the top suspect")


def test_window_percent_exact():
    trace, _ = _trace()
    evs = events(trace, merged=True)
    expect(all(e["kind"] in ("alloc", "free") for e in evs), "only malloc and free expected")
    d = _json(trace, "--from", "50%", "--to", "100%")
    w = d["window"]
    run = _ns(w["run_duration_s"])
    from_ns = _ns(w["from_s"])
    expect(from_ns == run * 50 // 100 and _ns(w["to_s"]) == run, f"window {w}, run {run} ns")
    want = _replay(evs, from_ns)
    s = d["summary"]
    for key in ("allocations", "allocated_bytes", "frees"):
        expect(s[key] == want[key], f"{key} in the second half: {s[key]}, dump says {want[key]}")
    expect(s["peak_heap_bytes"] == want["peak"], f"window peak {s['peak_heap_bytes']}, want {want['peak']}")
    expect(s["leaked_bytes"] + s["runtime_leaked_bytes"] == want["window_live"],
           f"window leaks {s['leaked_bytes']}+{s['runtime_leaked_bytes']}, want {want['window_live']}")
    expect(not find_stack(d["leaks"], "leak_once"), "the leak happened in the first half")
    expect(_ns(s["duration_s"]) == run - from_ns, f"duration_s {s['duration_s']} is the window's")
    # the two halves add up to the whole run
    d1 = _json(trace, "--to", "50%")
    full = _json(trace)
    expect(d1["summary"]["allocations"] + s["allocations"] == full["summary"]["allocations"],
           "halves add up")
    sus = d["growth"]["suspects"]
    expect(sus and "cache_insert" in [f.get("function") for f in sus[0]["stack"]],
           "cache still the top suspect in the second half")
    expect(sus[0]["live_bytes_start"] > 0, f"cache at the window's start {sus[0]['live_bytes_start']}")


def test_window_by_mark():
    trace, _ = _trace()
    dump = analyze("dump", trace).stdout
    marks = {m.group(2): int(m.group(1))
             for m in re.finditer(r'^mark t=(\d+) tid=\d+ label="(.*)"$', dump, re.M)}
    expect(set(marks) == {"warmup done", "half", "draining"}, f"marks {marks}")
    evs = events(trace, merged=True)
    d = _json(trace, "--from", "warmup done", "--to", "half")
    expect(_ns(d["window"]["from_s"]) == marks["warmup done"] and
           _ns(d["window"]["to_s"]) == marks["half"], f"window {d['window']}")
    want = _replay(evs, marks["warmup done"], marks["half"])
    for key in ("allocations", "allocated_bytes", "frees"):
        expect(d["summary"][key] == want[key], f"{key}: {d['summary'][key]}, want {want[key]}")
    leaks = find_stack(d["leaks"], "leak_once")
    expect(len(leaks) == 1 and leaks[0]["bytes"] == 3 * 777, f"leak inside the window: {leaks}")
    expect([m["label"] for m in d["marks"]] == ["warmup done", "half", "draining"], "JSON marks")
    text = analyze("--from", "mark:half", trace).stdout
    expect("window" in text and "'half'" in text, "text report names the window and marks")
    p = analyze("--from", "no such mark", trace, check=False)
    expect(p.returncode == 2 and "no mark labelled 'no such mark'" in p.stderr and "'half'" in p.stderr,
           f"unknown mark: {p.returncode} {p.stderr!r}")
    p = analyze("--from", "half", "--to", "warmup done", trace, check=False)
    expect(p.returncode == 2 and "is after --to" in p.stderr, f"from > to: {p.stderr!r}")
    p = analyze("--from", "1.5", "--to", "0.5", trace, check=False)
    expect(p.returncode == 2 and "is after --to" in p.stderr, f"from > to: {p.stderr!r}")
    p = analyze("--from", "120%", trace, check=False)
    expect(p.returncode == 2 and "120%" in p.stderr, f"120%: {p.stderr!r}")
    p = analyze("--points", "1", trace, check=False)
    expect(p.returncode == 2 and "--points" in p.stderr, f"--points 1: {p.stderr!r}")


def test_timeline_max_is_peak():
    trace, _ = _trace()
    for args in ((), ("--points", "50"), ("--from", "25%", "--to", "75%")):
        d = _json(trace, *args)
        tl = d["growth"]["timeline"]
        limit = 50 if args[:1] == ("--points",) else 300
        expect(1 < len(tl) <= limit, f"{args}: {len(tl)} points")
        top = max(tl, key=lambda p: p[1])
        s = d["summary"]
        expect(top[1] == s["peak_heap_bytes"] and top[0] == s["peak_time_s"],
               f"{args}: timeline max {top}, peak {s['peak_heap_bytes']} at {s['peak_time_s']}")
        times = [p[0] for p in tl]
        w = d["window"]
        expect(all(w["from_s"] <= t <= w["to_s"] for t in times), f"{args}: points outside the window")
        expect(any(p[2] > 0 for p in tl), f"{args}: no RSS in the timeline")


def test_histogram_exact():
    trace, _ = _trace()
    evs = events(trace, merged=True)
    want = _replay(evs, 0)["classes"]
    d = _json(trace)
    hist = d["histogram"]
    got = {(h["min"], h["max"]): [h["allocations"], h["bytes"]] for h in hist if h["allocations"]}
    expect(got == want, f"histogram {got}, dump says {want}")
    expect(sum(h["allocations"] for h in hist) == d["summary"]["allocations"], "histogram total")
    bounds = [(h["min"], h["max"]) for h in hist]
    expect(all(a[1] == b[0] for a, b in zip(bounds, bounds[1:])), f"classes contiguous: {bounds}")
    text = analyze(trace).stdout
    for title in ("Heap over time", "Growth suspects", "Allocation sizes"):
        expect(title in text, f"text section {title!r} missing")
    section = text.split("Growth suspects", 1)[1].split("Allocation sizes", 1)[0]
    expect("cache_insert" in section and "pool_init" not in section and
           "handle_request" not in section, f"text suspects:\n{section}")
    expect("\u2588" in text, "chart drawn with block characters")
