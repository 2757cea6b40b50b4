"""Lifetime tests: the "Held longest" section and JSON `lifetimes` of tests/progs/lifetimes.c (a
1 MiB cache freed at exit, ten per-request buffers held 6, 12, ... 60 ms, a 16-byte block moved by
a realloc to 256 KiB, a 1000-byte leak, the mark "mid" after request 5).

Two truths: the merged dump's exact event times (a reference model of blocks, lifetimes and
byte-seconds computed here: the analyzer must agree exactly, to the nanosecond, and to 1e-9 in
byte-seconds), and the lifetimes the program measured itself with CLOCK_MONOTONIC.  Against the
latter a lifetime may differ by less than one tick (the recorder rounds both ends down to 2^16 ns)
plus the time the hooks take between the recorder's clock read and the program's (a few us;
SLACK_NS allows for the process being preempted there while `make -j2 test` loads the machine)."""
import json
import re
from decimal import Decimal

from lib import analyze, events, expect, find_stack, prog, record, tmp

TICK_NS = 1 << 16
SLACK_NS = 1000000
MIB = 1 << 20

_TRACE = {}


def _trace():
    """Records the program once; returns (trace, {"request": [ns by k], "cache": ns, ...})."""
    if not _TRACE:
        p, trace = record([prog("lifetimes")], trace=tmp("lifetimes.zst"))
        expect(p.returncode == 0, f"lifetimes exited {p.returncode}: {p.stderr[-500:]}")
        facts = {"request": {}}
        for line in p.stdout.decode().splitlines():
            parts = line.split()
            if parts[0] == "request":
                facts["request"][int(parts[1])] = int(parts[2])
            else:
                facts[parts[0]] = int(parts[1])
        expect(len(facts["request"]) == 10 and "cache" in facts, f"program printed {p.stdout!r}")
        _TRACE.update(trace=trace, facts=facts)
    return _TRACE["trace"], _TRACE["facts"]


def _json(trace, *args):
    return json.loads(analyze("--json", "-n", "0", *args, trace).stdout, parse_float=Decimal)


def _ns(seconds):
    return None if seconds is None else int(Decimal(seconds) * 1000000000)


def _rank(values, p):
    """Nearest rank: the smallest value with at least ceil(p% of n) values at or below it."""
    v = sorted(values)
    k = max(1, -(-len(v) * p // 100))
    return v[k - 1]


def _model(trace, from_ns, to_ns, stop=None):
    """Per stack id, from the merged dump: blocks allocated in [from, to) ("allocations"), of those
    freed in it (their lifetimes) and live at its end, and size x time held clipped to the window.
    A realloc (rfree + ralloc) ends a block and starts one.  Events at or after `stop` (a --to) are
    not applied."""
    live, stacks = {}, {}

    def st(sid):
        return stacks.setdefault(sid, {"allocations": 0, "lifetimes": [], "live": 0, "bns": 0})

    for ev in events(trace, merged=True):
        t = ev["t"]
        if stop is not None and t >= stop:
            break
        if ev["kind"] in ("alloc", "ralloc"):
            live[ev["id"]] = (t, ev["size"], ev["stack"])
            if t >= from_ns:
                st(ev["stack"])["allocations"] += 1
        elif ev["id"] in live:
            birth, size, sid = live.pop(ev["id"])
            s = st(sid)
            s["bns"] += size * max(0, t - max(birth, from_ns))
            if birth >= from_ns:
                s["lifetimes"].append(t - birth)
    for birth, size, sid in live.values():
        s = st(sid)
        s["bns"] += size * max(0, to_ns - max(birth, from_ns))
        if birth >= from_ns:
            s["live"] += 1
    return stacks


def _entry(d, function):
    found = find_stack(d["lifetimes"], function)
    expect(len(found) == 1, f"{len(found)} lifetimes entries in {function}")
    return found[0]


def _check_model(d, model):
    """Every entry against the reference model: counts, percentiles, max and byte-seconds."""
    seen = set()
    for e in d["lifetimes"]:
        m = {"allocations": 0, "lifetimes": [], "live": 0, "bns": 0}
        for sid in e["stack_ids"]:
            s = model.get(sid)
            if s:
                m = {"allocations": m["allocations"] + s["allocations"],
                     "lifetimes": m["lifetimes"] + s["lifetimes"], "live": m["live"] + s["live"],
                     "bns": m["bns"] + s["bns"]}
            seen.add(sid)
        name = e["stack"][0]["function"] if e["stack"] else e["stack_ids"]
        got = (e["allocations"], e["freed"], e["live_at_end"])
        want = (m["allocations"], len(m["lifetimes"]), m["live"])
        expect(got == want, f"{name}: allocations, freed, live at end {got}, the dump says {want}")
        lt = m["lifetimes"]
        want = ((_rank(lt, 50), _rank(lt, 90), max(lt)) if lt else (None, None, None))
        got = (_ns(e["p50_s"]), _ns(e["p90_s"]), _ns(e["max_s"]))
        expect(got == want, f"{name}: p50, p90, max {got} ns, the dump says {want}")
        expect(e["lifetimes_kept"] == len(lt), f"{name}: {e['lifetimes_kept']} lifetimes kept")
        bs = Decimal(m["bns"]) / Decimal(10**9)
        expect(abs(Decimal(e["byte_seconds"]) - bs) <= bs * Decimal("1e-9"),
               f"{name}: {e['byte_seconds']} byte-seconds, the dump says {bs}")
    held = {sid for sid, s in model.items() if s["bns"]}
    expect(held <= seen, f"stacks holding bytes but not listed: {sorted(held - seen)}")
    bs = [Decimal(e["byte_seconds"]) for e in d["lifetimes"]]
    expect(bs == sorted(bs, reverse=True), "lifetimes not sorted by byte_seconds")


def test_lifetimes_whole_run():
    trace, facts = _trace()
    d = _json(trace)
    end = _ns(d["summary"]["duration_s"])
    _check_model(d, _model(trace, 0, end))
    req, cache = _entry(d, "request_buffer"), _entry(d, "cache_create")
    expect(d["lifetimes"][0] is cache, "the cache does not hold the most byte-seconds: "
           f"{[(e['stack'][0]['function'], e['byte_seconds']) for e in d['lifetimes'][:3]]}")
    for fn, counts in (("cache_create", (1, 1, 0)), ("request_buffer", (10, 10, 0)),
                       ("grow_start", (1, 1, 0)), ("grow_more", (1, 1, 0)), ("leak_some", (1, 0, 1))):
        e = _entry(d, fn)
        got = (e["allocations"], e["freed"], e["live_at_end"])
        expect(got == counts, f"{fn}: allocations, freed, live at end {got}, want {counts}")
    # against the program's own clock: within a tick (+ the hooks' time)
    truth = list(facts["request"].values())
    for key, want in (("p50_s", _rank(truth, 50)), ("p90_s", _rank(truth, 90)), ("max_s", max(truth))):
        diff = _ns(req[key]) - want
        expect(-TICK_NS < diff < TICK_NS + SLACK_NS,
               f"request {key} {req[key]} s, the program measured {want} ns")
    for fn, key in (("cache_create", "cache"), ("grow_start", "grown"), ("grow_more", "regrown")):
        diff = _ns(_entry(d, fn)["max_s"]) - facts[key]
        expect(-TICK_NS < diff < TICK_NS + SLACK_NS,
               f"{fn} lived {_entry(d, fn)['max_s']} s, the program measured {facts[key]} ns")
    # the cache: 1 MiB x its lifetime; the per-request buffers hold almost nothing next to it
    bs = Decimal(cache["byte_seconds"])
    expect(abs(bs - MIB * Decimal(_ns(cache["max_s"])) / 10**9) <= bs * Decimal("1e-9"),
           f"cache byte-seconds {bs}, lifetime {cache['max_s']} s")
    expect(abs(bs - MIB * Decimal(facts["cache"]) / 10**9) <= MIB * Decimal(TICK_NS + SLACK_NS) / 10**9,
           f"cache byte-seconds {bs}, measured lifetime {facts['cache']} ns")
    expect(Decimal(req["byte_seconds"]) * 100 < bs, f"requests hold {req['byte_seconds']} byte-seconds")
    # the text section
    text = analyze(trace).stdout
    expect("Held longest: byte-seconds" in text, "no 'Held longest' section")
    section = text.split("Held longest")[1]
    expect(section.index("cache_create") < section.index("request_buffer"),
           "the cache is not listed before the requests")
    expect("10 allocations, 10 freed, 0 live at the end; lived p50 " in section,
           "the request line is missing")
    # the HTML page has the table, in the same order
    page = tmp("lifetimes.html")
    analyze("html", "-o", page, trace)
    with open(page, encoding="utf-8") as f:
        html = f.read()
    expect('"id": "held"' in html, "no 'held' table in the HTML report")
    rows = re.findall(r'"values": \[([-0-9.e]+), (\d+), (\d+), (\d+),',
                      html[html.index('"id": "held"'):].split('"id": "suspects"')[0])
    got = [(Decimal(r[0]), int(r[1]), int(r[2]), int(r[3])) for r in rows]
    want = [(Decimal(e["byte_seconds"]), e["allocations"], e["freed"], e["live_at_end"])
            for e in d["lifetimes"]]
    expect(len(got) == len(want) and all(abs(g[0] - w[0]) <= w[0] * Decimal("1e-12") and g[1:] == w[1:]
                                         for g, w in zip(got, want)),
           f"the HTML table {got} is not the JSON's {want}")


def test_lifetimes_window():
    trace, facts = _trace()
    # from the mark: the cache and the 16-byte block were allocated before it
    d = _json(trace, "--from", "mid")
    w = d["window"]
    _check_model(d, _model(trace, _ns(w["from_s"]), _ns(w["to_s"])))
    cache, req = _entry(d, "cache_create"), _entry(d, "request_buffer")
    expect((cache["allocations"], cache["freed"], cache["live_at_end"]) == (0, 0, 0),
           f"cache in the window: {cache}")
    expect(cache["max_s"] is None, "a lifetime for a block allocated before the window")
    expect(d["lifetimes"][0] is cache, "the cache does not hold the most byte-seconds in the window")
    expect((req["allocations"], req["freed"]) == (5, 5), f"requests in the window: {req}")
    truth = [facts["request"][k] for k in range(6, 11)]
    diff = _ns(req["p50_s"]) - _rank(truth, 50)
    expect(-TICK_NS < diff < TICK_NS + SLACK_NS, f"window p50 {req['p50_s']}, measured {truth}")
    # the 16-byte block, allocated before the window, moved by a realloc in it (listed only if a
    # tick passed between the mark and the realloc)
    for e in find_stack(d["lifetimes"], "grow_start"):
        expect(e["allocations"] == e["freed"] == 0, f"the block allocated before the window: {e}")
    moved = _entry(d, "grow_more")
    expect((moved["allocations"], moved["freed"], moved["live_at_end"]) == (1, 1, 0),
           f"the moved block in the window: {moved}")
    # to the mark: the cache is live at the window's end
    d = _json(trace, "--from", "0", "--to", "mid")
    w = d["window"]
    _check_model(d, _model(trace, _ns(w["from_s"]), _ns(w["to_s"]), stop=_ns(w["to_s"])))
    cache, req = _entry(d, "cache_create"), _entry(d, "request_buffer")
    expect((cache["allocations"], cache["freed"], cache["live_at_end"]) == (1, 0, 1),
           f"cache in the window: {cache}")
    expect((req["allocations"], req["freed"]) == (5, 5), f"requests in the window: {req}")
    expect(not find_stack(d["lifetimes"], "leak_some"), "the leak after the window listed")
