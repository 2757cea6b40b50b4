"""Attached traces (HEADER `attached` 1, written by `leakrec -p PID`): what the analyzer says of them.

The traces are made here, record by record (docs/trace-format.md), so that every figure is known:
a service that, while the recorder was attached, allocated three blocks (ids 1000-1002) and
freed one of them, and freed blocks from before it attached: 2 FREE events that name numbers the
trace never allocated, and 5 more frees the recorder counted in END's `unmatched_frees`.  So 7
frees of unknown blocks, and 250 B in 2 allocations leaked while attached.  The same trace with
`attached` 0 is the control: every output of the attached trace equals the control's but for the
lines that say it is attached (and the notes line, which in an attached trace does not count those
frees as an anomaly).
"""
import calendar
import json
import shutil
import subprocess

import lib
from lib import analyze, expect, report_json, tmp

UNKNOWN_FREES = 7  # 2 FREE events of numbers never allocated + END.unmatched_frees 5
REALTIME_S = calendar.timegm((2026, 12, 2, 5, 40, 1))
ATTACHED_LINE = ("attached      recorded from 2026-12-02 05:40:01 UTC for 2.000 s after attaching "
                 "to a running process (leakrec -p); blocks allocated before are unknown "
                 f"({UNKNOWN_FREES} frees of them not counted); leaks are blocks allocated while "
                 "attached and still live at detach")
NOTE = ("recorded from 2026-12-02 05:40:01 UTC for 2.000 s after attaching to a running process "
        f"(leakrec -p); blocks allocated before are unknown ({UNKNOWN_FREES} frees of them not "
        "counted); leaks are blocks allocated while attached and still live at detach")


# ---- a small encoder of the trace format ----

def _u(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _s(v):
    return _u((v << 1) ^ (v >> 63))  # zigzag (Python's >> keeps the sign)


def _str(b):
    return _u(len(b)) + b


def _record(rtype, payload):
    return _u(rtype) + _u(len(payload)) + payload


def _header(attached, sample_rate=0, old=False):
    argv = [b"service", b"--port", b"80"]
    p = b"LEAKREC\x1a" + _u(1) + _u(4242) + _u(1) + _u(5_000_000_000) + _u(REALTIME_S * 10**9)
    p += _u(64) + _str(b"/usr/sbin/service") + _u(len(argv)) + _str(b"".join(a + b"\0" for a in argv))
    if not old and (sample_rate or attached):
        p += _u(sample_rate)
    if not old and attached:
        p += _u(attached)
    return _record(1, p)


def _stack(sid, frames):
    p = _u(sid) + _u(0) + _u(len(frames))
    prev = 0
    for f in frames:
        p += _s(f - prev)
        prev = f
    return _record(4, p)


ALLOC, FREE = 0, 1
FN_MALLOC, FN_FREE, FN_IMPLICIT = 0, 9, 10


def _events(first_id, evs):
    """One EVENTS record (shift 0: times in ns) of one thread; evs: (t, kind, func, id, size,
    stack).  Allocations must carry the record's next numbers."""
    cols = [bytearray() for _ in range(9)]
    nxt, prev_t = first_id, 0
    for i, (t, kind, func, num, size, stack) in enumerate(evs):
        slot = 3 if i == 0 else 0
        cols[0].append(kind | func << 2 | slot << 6)
        if slot == 3:
            cols[1] += _u(4242)
        cols[2] += _u(t - prev_t)
        prev_t = t
        if kind == ALLOC:
            assert num == nxt
            nxt += 1
            cols[3] += _u(size)
            cols[4].append(stack & 255)
            cols[5] += _u(stack >> 8)
        else:
            back = nxt - num
            cols[6].append(back & 255)
            cols[7] += _u(back >> 8)
    p = _u(0) + _u(0) + _u(first_id) + _u(len(evs))
    for c in cols:
        p += _u(len(c)) + bytes(c)
    return _record(5, p)


def _end(nevents, allocs, frees, unmatched, implicit):
    p = _u(2_000_000_000) + _u(allocs) + _u(frees) + _u(nevents) + _u(0) + _u(2) + _u(0) + _u(1)
    p += _u(unmatched) + _u(implicit)
    return _record(10, p)


def _reach(kinds):
    """REACH (scanned) and one REACH_BLOCKS record: kinds is [(number, kind)] ascending."""
    p = _u(1) + _u(818_000) + _u(4096) + _u(250) + _u(1) + _u(0) + _str(b"")
    b = _u(len(kinds)) + bytes(k for _, k in kinds)
    prev = 0
    for num, _ in kinds:
        b += _u(num - prev)
        prev = num
    return _record(11, p) + _record(12, b)


def _write(name, attached, implicit=False, reach=False, old=False):
    ms = 1_000_000
    evs = [(1 * ms, ALLOC, FN_MALLOC, 1000, 100, 1),
           (2 * ms, ALLOC, FN_MALLOC, 1001, 200, 2),
           (3 * ms, FREE, FN_FREE, 1000, 0, 0),
           (4 * ms, FREE, FN_FREE, 10, 0, 0),   # allocated before the recorder attached
           (5 * ms, FREE, FN_FREE, 11, 0, 0),
           (6 * ms, ALLOC, FN_MALLOC, 1002, 50, 1)]
    if implicit:
        evs.append((7 * ms, ALLOC, FN_MALLOC, 1003, 8, 2))
        evs.append((8 * ms, FREE, FN_IMPLICIT, 1003, 0, 0))
    raw = _header(attached, old=old)
    raw += _stack(1, [0x401234, 0x401100])
    raw += _stack(2, [0x405678, 0x401100])
    raw += _events(1000, evs)
    nalloc = sum(1 for e in evs if e[1] == ALLOC)
    if reach:
        raw += _reach([(1001, 1), (1002, 4)])
    raw += _end(len(evs), nalloc, len(evs) - nalloc, 5, 1 if implicit else 0)
    expect(shutil.which("zstd"), "the zstd command is not installed (apt-get install zstd)")
    frame = subprocess.run(["zstd", "-q", "-c", "--check"], input=raw, capture_output=True,
                           check=True).stdout
    path = tmp(name)
    with open(path, "wb") as f:
        f.write(frame)
    return path


def _pair(**kw):
    return _write("attached.zst", 1, **kw), _write("not_attached.zst", 0, **kw)


def _lines(*args):
    p = analyze(*args)
    expect(not p.stderr, f"leakanalyze {' '.join(args)} warned: {p.stderr}")
    return p.stdout.splitlines()


# ---- the tests ----

def test_attached_trace_text_report():
    att, ctl = _pair()
    a, c = _lines(att), _lines(ctl)
    expect(a[1] == ATTACHED_LINE, f"the attached line: {a[1]!r}\n" + "\n".join(a[:12]))
    expect(not [x for x in a if x.startswith("notes")], "an attached trace's frees of blocks from "
           "before are no anomaly: " + "\n".join(a[:14]))
    expect("notes         7 frees of unknown pointers, 0 implicit frees, 0 stale frees, "
           "0 invalid events" in c, "the control's notes line:\n" + "\n".join(c[:14]))
    title = "Leaks: bytes allocated while attached still live at detach (2 stacks)"
    expect(title in a and "Leaks: bytes still allocated at the end (2 stacks)" in c,
           "leaks titles: " + repr([x for x in a + c if x.startswith("Leaks")]))
    expect("leaked        250 B in 2 allocations" in a, "\n".join(a[:14]))
    # nothing else differs
    rest = [x for x in a if x != ATTACHED_LINE]
    rest = [x if x != title else "Leaks: bytes still allocated at the end (2 stacks)" for x in rest]
    expect(rest == [x for x in c if not x.startswith("notes")],
           "the attached report differs from the control's beyond its attached lines")


def test_attached_trace_notes_keep_other_anomalies():
    att, ctl = _pair(implicit=True)
    a, c = _lines(att), _lines(ctl)
    expect("notes         1 implicit frees, 0 stale frees, 0 invalid events" in a,
           "\n".join(a[:16]))
    expect("notes         7 frees of unknown pointers, 1 implicit frees, 0 stale frees, "
           "0 invalid events" in c, "\n".join(c[:16]))
    expect(a[1] == ATTACHED_LINE, a[1])


def test_attached_trace_leak_kinds_titles():
    att, ctl = _pair(reach=True)
    a, c = _lines(att), _lines(ctl)
    ta = [x for x in a if x.startswith("Leaks")]
    tc = [x for x in c if x.startswith("Leaks")]
    expect(ta == [x.replace("Leaks, ", "Leaks allocated while attached, ") for x in tc] and
           ta[0] == "Leaks allocated while attached, definitely lost: no pointer to them is left "
                    "(200 B in 1 allocation) (1 stack)",
           f"kinds titles: {ta} / {tc}")


def test_attached_trace_json():
    att, ctl = _pair()
    a, c = report_json(att), report_json(ctl)
    sa, sc = a["summary"], c["summary"]
    expect(sa["attached"] is True and sa["frees_before_attach"] == UNKNOWN_FREES,
           f"summary: {sa}")
    expect(sc["attached"] is False and "frees_before_attach" not in sc, f"control summary: {sc}")
    keys = list(sc)
    i = keys.index("attached")
    expect(list(sa) == keys[:i + 1] + ["frees_before_attach"] + keys[i + 1:],
           f"summary keys {list(sa)} / {keys}")
    expect(keys[i - 1] == "sample_rate_bytes", f"attached after sample_rate_bytes: {keys}")
    # the rest as the control's: diagnostics keep counting the unmatched frees
    expect(a["diagnostics"]["unmatched_frees"] == UNKNOWN_FREES, a["diagnostics"])
    del sa["attached"], sa["frees_before_attach"], sc["attached"]
    expect(a == c, "the attached JSON differs from the control's beyond summary.attached")
    expect(sa["leaked_bytes"] == 250 and sa["leaked_allocations"] == 2 and sa["frees"] == 1,
           f"figures: {sa}")


def test_attached_trace_old_header_reads_as_not_attached():
    old = _write("old.zst", 0, old=True)
    s = report_json(old)["summary"]
    expect(s["attached"] is False and "frees_before_attach" not in s, s)
    hdr = [x for x in _lines("dump", old) if x.startswith("header ")]
    expect(len(hdr) == 1 and "attached" not in hdr[0], f"dump header: {hdr}")


def test_attached_trace_dump():
    att, ctl = _pair()
    ha = [x for x in _lines("dump", att) if x.startswith("header ")]
    hc = [x for x in _lines("dump", ctl) if x.startswith("header ")]
    expect(len(ha) == 1 and ha[0].endswith(" attached=1") and ha[0] == hc[0] + " attached=1",
           f"dump headers: {ha} / {hc}")
    expect("attached" not in hc[0], hc)


def test_attached_trace_check_and_diff():
    att, ctl = _pair()
    a, c = _lines("check", att), _lines("check", ctl)
    expect(a[1] == "ATTACHED      trace: " + NOTE and a[2:] == c[1:], "check:\n" + "\n".join(a))
    a, c = _lines("check", "--markdown", att), _lines("check", "--markdown", ctl)
    expect(a[2:4] == ["> **Attached trace** (trace): " + NOTE + ".", ""] and a[:2] + a[4:] == c,
           "check --markdown:\n" + "\n".join(a))
    j = json.loads(analyze("check", "--json", att).stdout)
    expect(j["exit_status"] == 0 and "attached" not in j, "check --json keeps its keys")
    d = _lines("diff", ctl, att)
    expect("ATTACHED      new: " + NOTE in d and not [x for x in d if x.startswith("ATTACHED      base")],
           "diff:\n" + "\n".join(d))
    d = _lines("diff", "--markdown", att, ctl)
    expect("> **Attached trace** (base): " + NOTE + "." in d, "diff --markdown:\n" + "\n".join(d))


def test_attached_trace_html():
    att, ctl = _pair()
    for args in ((att,), (ctl, att)):
        page = tmp("attached.html")
        analyze("html", *args, "-o", page)
        with open(page, encoding="utf-8") as f:
            text = f.read()
        data = "".join(text.split())
        expect('"attached":true,"frees_before_attach":7' in data, f"html {args}: no attached data")
        expect("after attaching to a running process (leakrec -p)" in text,
               "the page's script has no attached banner")
