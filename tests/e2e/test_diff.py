"""`leakanalyze diff` and `leakanalyze check`: builds of tests/progs/diffprog.c
(tests/diff.mk) compared with exact known figures.

    diffprog        -O2, frame pointers                       leaks 10,960 bytes in 24 blocks
    diffprog_extra  the same with one more leak in extra_leak  + 4,321 bytes in 1 block
    diffprog_moved  every function moved down (comment lines inserted), no frame pointers

The peak heap is 100,960 bytes in every build (extra_leak runs after the spike is freed).
"""
import json
import os

from lib import analyze, expect, prog, record, report_json, tmp

BASE_LEAKED = 4 * 2500 + 20 * 48
EXTRA = 4321
PEAK = BASE_LEAKED + 3 * 30000
BASE_ALLOCS = 4 + 20 + 200 + 3

_traces = {}


def _trace(name):
    """Records build `name` once per run; returns its trace."""
    if name not in _traces:
        p, trace = record([prog(name)], trace=tmp(name + ".zst"))
        expect(p.returncode == 0, f"{name}: exit {p.returncode} {p.stderr!r}")
        _traces[name] = trace
    return _traces[name]


def _diff_json(*args, status=0):
    p = analyze("diff", "--json", *args, check=False)
    expect(p.returncode == status, f"diff {' '.join(args)}: exit {p.returncode}, want {status}: "
                                   f"{p.stderr[-2000:]}")
    d = json.loads(p.stdout)
    expect(d["exit_status"] == status, f"exit_status {d['exit_status']}")
    return d


def _gate(d, name):
    gates = [g for g in d["gates"] if g["name"] == name]
    expect(len(gates) == 1, f"gate {name}: {d['gates']}")
    return gates[0]


def _exit(*args):
    return analyze(*args, check=False).returncode


def test_diff_names_the_new_leak_exactly():
    base, extra = _trace("diffprog"), _trace("diffprog_extra")
    d = _diff_json("-n", "0", base, extra)
    s = d["summary"]
    expect(s["leaked_bytes"] == {"base": BASE_LEAKED, "new": BASE_LEAKED + EXTRA, "change": EXTRA},
           f"leaked_bytes {s['leaked_bytes']}")
    expect(s["leaked_allocations"]["change"] == 1, f"leaked_allocations {s['leaked_allocations']}")
    expect(s["allocations"] == {"base": BASE_ALLOCS, "new": BASE_ALLOCS + 1, "change": 1},
           f"allocations {s['allocations']}")
    expect(s["allocated_bytes"]["change"] == EXTRA, f"allocated_bytes {s['allocated_bytes']}")
    expect(s["peak_heap_bytes"] == {"base": PEAK, "new": PEAK, "change": 0},
           f"peak {s['peak_heap_bytes']}")
    expect(s["temporary_allocations"]["change"] == 0, f"temporary {s['temporary_allocations']}")
    expect(d["stacks_changed"] == 1 and len(d["stacks"]) == 1, f"stacks {d['stacks']}")
    e = d["stacks"][0]
    expect(e["status"] == "appeared" and e["key"] == "extra_leak;main", f"entry {e['status']} {e['key']}")
    expect(e["stack"][0]["function"] == "extra_leak" and e["stack"][0]["line"] > 0,
           f"first frame {e['stack'][0]}")
    expect(e["leaked_bytes"] == {"base": 0, "new": EXTRA, "change": EXTRA}, f"{e['leaked_bytes']}")
    expect(e["leaked_allocations"]["change"] == 1 and e["peak_bytes"]["change"] == 0,
           f"{e['leaked_allocations']} {e['peak_bytes']}")
    expect(d["gates"] == [], "no gate asked for")
    text = analyze("diff", base, extra).stdout
    expect("appeared" in text and "extra_leak" in text and "+4.2 KiB" in text, text)
    # the other way round the leak disappears, and nothing new leaks
    r = _diff_json("--fail-on-new-leaks", extra, base)
    expect(r["stacks"][0]["status"] == "disappeared" and r["stacks"][0]["key"] == "extra_leak;main",
           f"reverse {r['stacks'][:1]}")
    expect(r["summary"]["leaked_bytes"]["change"] == -EXTRA, f"{r['summary']['leaked_bytes']}")


def test_gates_cross_at_exact_thresholds():
    base, extra = _trace("diffprog"), _trace("diffprog_extra")
    d = _diff_json("--fail-on-new-leaks", base, extra, status=1)
    g = _gate(d, "fail-on-new-leaks")
    expect(g["crossed"] and g["value"] == 1, f"gate {g}")
    expect(len(g["stacks"]) == 1 and g["stacks"][0]["amount"] == EXTRA and
           g["stacks"][0]["stack"][0]["function"] == "extra_leak", f"responsible {g['stacks']}")
    p = analyze("diff", "--fail-on-new-leaks", base, extra, check=False)
    expect(p.returncode == 1 and "FAIL" in p.stdout and "extra_leak <- main" in p.stdout, p.stdout)
    for args, status in [(["--max-leak-increase", str(EXTRA)], 0),
                         (["--max-leak-increase", str(EXTRA - 1)], 1),
                         (["--max-leak-increase", "4K"], 1),       # 4096 < 4321
                         (["--max-leak-increase", "4.5KiB"], 0),   # 4608
                         (["--max-leak-increase", "5KB"], 0),      # 5000
                         (["--max-peak-increase", "0"], 0),
                         (["--max-peak-increase", "0%"], 0),
                         (["--max-allocations-increase", "0"], 1),
                         (["--max-allocations-increase", "1"], 0),
                         (["--max-allocations-increase", "0.4%"], 1),  # 1/227 = 0.44%
                         (["--max-allocations-increase", "0.5%"], 0)]:
        got = _exit("diff", *args, base, extra)
        expect(got == status, f"diff {' '.join(args)}: exit {got}, want {status}")
    d = _diff_json("--max-leak-increase", "1000", "--max-peak-increase", "1%", base, extra, status=1)
    g = _gate(d, "max-leak-increase")
    expect(g["crossed"] and g["limit"] == 1000 and g["value"] == EXTRA and g["unit"] == "bytes",
           f"gate {g}")
    p = _gate(d, "max-peak-increase")
    expect(not p["crossed"] and p["unit"] == "percent" and p["value"] == 0 and p["stacks"] == [],
           f"gate {p}")


def test_markdown_lists_the_new_leak():
    base, extra = _trace("diffprog"), _trace("diffprog_extra")
    p = analyze("diff", "--markdown", "--fail-on-new-leaks", base, extra, check=False)
    expect(p.returncode == 1, f"exit {p.returncode}")
    md = p.stdout
    expect(md.startswith("### ") and "| --- " not in md, md[:200])
    rows = [l for l in md.splitlines() if l.startswith("| appeared |")]
    expect(len(rows) == 1 and "`extra_leak` ← `main`" in rows[0] and "+4.2 KiB" in rows[0],
           f"rows {rows}")
    expect("`--fail-on-new-leaks`" in md and "❌" in md, md)
    for line in md.splitlines():
        if line.startswith("|"):
            expect(line.endswith("|"), f"table row {line!r}")


def test_moved_code_without_frame_pointers_gives_an_empty_diff():
    base, moved = _trace("diffprog"), _trace("diffprog_moved")
    # the builds really differ: every function's lines moved, and so did the addresses
    a, b = report_json(base, "-n", "0"), report_json(moved, "-n", "0")
    lines_a = {e["stack"][0]["function"]: e["stack"][0]["line"] for e in a["leaks"]}
    lines_b = {e["stack"][0]["function"]: e["stack"][0]["line"] for e in b["leaks"]}
    expect(set(lines_a) == set(lines_b) == {"keep_table", "make_node"}, f"{lines_a} {lines_b}")
    expect(all(lines_a[f] != lines_b[f] for f in lines_a), f"lines did not move: {lines_a} {lines_b}")
    d = _diff_json("-n", "0", "--fail-on-new-leaks", "--max-leak-increase", "0",
                   "--max-peak-increase", "0", "--max-allocations-increase", "0", base, moved)
    for k in ("leaked_bytes", "leaked_allocations", "peak_heap_bytes", "allocations",
              "allocated_bytes", "temporary_allocations"):
        expect(d["summary"][k]["change"] == 0, f"{k} {d['summary'][k]}")
    expect(d["stacks_changed"] == 0 and d["stacks"] == [], f"stacks {d['stacks'][:2]}")
    expect(not any(g["crossed"] for g in d["gates"]) and len(d["gates"]) == 4, f"{d['gates']}")
    text = analyze("diff", base, moved).stdout
    expect("Changed stacks: none" in text, text)
    # matching by file:line sees every stack move
    m = _diff_json("--match", "lines", "-n", "0", base, moved)
    expect(m["match"] == "lines" and m["stacks_changed"] == 8 and
           {e["status"] for e in m["stacks"]} == {"appeared", "disappeared"},
           f"--match lines: {m['stacks_changed']} {[e['key'] for e in m['stacks']]}")
    expect(m["summary"]["leaked_bytes"]["change"] == 0, "summary does not depend on matching")


def test_suppressions_remove_the_leak():
    base, extra = _trace("diffprog"), _trace("diffprog_extra")
    supp = tmp("diff.supp")
    with open(supp, "w") as f:
        f.write("# known leak, fixed upstream\n\n  leak:extra_leak  \n")
    d = _diff_json("--suppressions", supp, "--fail-on-new-leaks", "--max-leak-increase", "0",
                   base, extra)
    expect(d["summary"]["leaked_bytes"]["change"] == 0, f"{d['summary']['leaked_bytes']}")
    expect(d["suppressed"]["new"] == {"bytes": EXTRA, "allocations": 1, "stacks": 1},
           f"suppressed {d['suppressed']}")
    expect(d["suppressed"]["base"]["bytes"] == 0, f"{d['suppressed']['base']}")
    rule = d["suppressed"]["rules"]
    expect(len(rule) == 1 and rule[0]["pattern"] == "extra_leak" and rule[0]["line"] == 3 and
           rule[0]["new"]["bytes"] == EXTRA, f"rules {rule}")
    text = analyze("diff", "--suppressions", supp, base, extra).stdout
    expect("Suppressed" in text and "4.2 KiB in 1 allocation from 1 stack" in text, text)
    # LeakSanitizer's pattern syntax: anchors and wildcards, file and module names
    for pattern, status in [("^extra_l*k$", 0), ("^xtra_leak", 1), ("extra_lea$", 1),
                            ("no_such_function", 1), ("diffprog_extra", 0), ("diffprog.c", 0)]:
        with open(supp, "w") as f:
            f.write(f"leak:{pattern}\n")
        got = _exit("diff", "--suppressions", supp, "--fail-on-new-leaks", base, extra)
        expect(got == status, f"leak:{pattern}: exit {got}, want {status}")
    # module name: every leak of diffprog_extra is suppressed, none of diffprog
    with open(supp, "w") as f:
        f.write("leak:diffprog_extra\n")
    d = _diff_json("--suppressions", supp, base, extra)
    expect(d["summary"]["leaked_bytes"]["new"] == 0 and
           d["suppressed"]["new"]["bytes"] == BASE_LEAKED + EXTRA and
           d["suppressed"]["new"]["stacks"] == 3, f"{d['summary']['leaked_bytes']} {d['suppressed']}")
    # bad files
    with open(supp, "w") as f:
        f.write("leak:ok\nrace:extra_leak\n")
    p = analyze("diff", "--suppressions", supp, base, extra, check=False)
    expect(p.returncode == 2 and f"{supp}:2:" in p.stderr and not p.stdout, p.stderr)
    with open(supp, "w") as f:
        f.write("extra_leak\n")
    p = analyze("check", "--suppressions", supp, extra, check=False)
    expect(p.returncode == 2 and f"{supp}:1:" in p.stderr, p.stderr)
    p = analyze("diff", "--suppressions", tmp("no.supp"), base, extra, check=False)
    expect(p.returncode == 2 and "cannot read suppressions" in p.stderr and
           "No such file" in p.stderr, p.stderr)


def test_check_gates_one_run():
    base, extra = _trace("diffprog"), _trace("diffprog_extra")
    leaked = BASE_LEAKED + EXTRA
    for args, status in [(["--max-leaked", str(leaked)], 0),
                         (["--max-leaked", str(leaked - 1)], 1),
                         (["--max-leaked", "15K"], 0),         # 15360
                         (["--max-leaked", "14.9KiB"], 1),     # 15257
                         (["--max-peak", str(PEAK)], 0),
                         (["--max-peak", str(PEAK - 1)], 1),
                         (["--max-leaked", "1M", "--max-peak", "98K"], 1),  # 100352
                         ([], 0)]:
        got = _exit("check", *args, extra)
        expect(got == status, f"check {' '.join(args)}: exit {got}, want {status}")
    p = analyze("check", "--json", "-n", "0", "--max-leaked", "0", "--max-peak", "1MiB", extra,
                check=False)
    expect(p.returncode == 1, f"exit {p.returncode} {p.stderr}")
    d = json.loads(p.stdout)
    expect(d["summary"]["leaked_bytes"] == leaked and d["summary"]["peak_heap_bytes"] == PEAK,
           f"summary {d['summary']}")
    g = {x["name"]: x for x in d["gates"]}
    expect(g["max-leaked"]["crossed"] and g["max-leaked"]["value"] == leaked and
           g["max-leaked"]["limit"] == 0, f"{g['max-leaked']}")
    expect(not g["max-peak"]["crossed"] and g["max-peak"]["limit"] == 1 << 20, f"{g['max-peak']}")
    amounts = {x["stack"][0]["function"]: x["amount"] for x in g["max-leaked"]["stacks"]}
    expect(amounts == {"keep_table": 10000, "extra_leak": EXTRA, "make_node": 960}, f"{amounts}")
    expect([e["bytes"] for e in d["leaks"]] == [10000, EXTRA, 960], f"leaks {d['leaks']}")
    expect(d["exit_status"] == 1, "exit_status")
    # with the known leak suppressed, the base's figure passes
    supp = tmp("check.supp")
    with open(supp, "w") as f:
        f.write("leak:extra_leak\n")
    expect(_exit("check", "--suppressions", supp, "--max-leaked", str(BASE_LEAKED), extra) == 0,
           "suppressed check")
    d = json.loads(analyze("check", "--json", "--suppressions", supp, extra).stdout)
    expect(d["suppressed"]["bytes"] == EXTRA and d["suppressed"]["stacks"] == 1 and
           d["summary"]["leaked_bytes"] == BASE_LEAKED, f"{d['suppressed']}")
    md = analyze("check", "--markdown", "--max-leaked", "0", extra, check=False).stdout
    expect("`extra_leak` ← `main`" in md and "❌" in md, md)


def test_unreadable_inputs_and_usage():
    base = _trace("diffprog")
    missing = tmp("missing.zst")
    for args in (["diff", base, missing], ["diff", missing, base], ["check", missing]):
        p = analyze(*args, check=False)
        expect(p.returncode == 2 and
               p.stderr == f"leakanalyze: cannot open '{missing}': No such file or directory\n"
               and not p.stdout, f"{args}: {p.returncode} {p.stderr!r}")
    junk = tmp("junk-diff.zst")
    with open(junk, "wb") as f:
        f.write(os.urandom(3000))
    for args in (["diff", base, junk], ["check", "--max-leaked", "0", junk]):
        p = analyze(*args, check=False)
        expect(p.returncode == 2 and junk in p.stderr and not p.stdout, f"{args}: {p.stderr!r}")
    for args in (["diff", base], ["diff", base, base, base], ["diff", "--max-leak-increase", "10Q",
                 base, base], ["diff", "--max-peak-increase", "-5%", base, base],
                 ["diff", "--match", "files", base, base], ["diff", "--json", "--markdown", base, base],
                 ["check"], ["check", "--max-peak", "x", base], ["diff", "--no-such", base, base]):
        p = analyze(*args, check=False)
        expect(p.returncode == 2 and p.stderr.startswith("leakanalyze: ") and not p.stdout,
               f"{args}: {p.returncode} {p.stderr!r}")
    for cmd in ("diff", "check"):
        h = analyze(cmd, "--help")
        expect(h.stdout.startswith(f"usage: leakanalyze {cmd}") and not h.stderr, h.stdout[:80])
    # the same trace twice: nothing changed, every gate passes
    d = _diff_json("--fail-on-new-leaks", "--max-leak-increase", "0", "--max-peak-increase", "0%",
                   "--max-allocations-increase", "0%", base, base)
    expect(d["stacks_changed"] == 0, f"{d['stacks'][:1]}")
