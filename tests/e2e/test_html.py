"""`leakanalyze html` and `leakanalyze flamegraph`, checked in a real browser against the figures of
`leakanalyze --json` with the same options.

The browser is Debian's chromium (/usr/bin/chromium), driven by the npm package playwright-core,
which the first test installs into BUILD/npm (`npm install`; .ci/run installs chromium, nodejs and
npm).  When either is missing the tests FAIL and say what to install: they never pass silently.
tests/e2e/html_check.js does the browsing and prints what it saw; screenshots land in
BUILD/html-shots (failure-*.png when a page could not be driven).  With LEAKREC_DOCS_IMG=1 (make
docs-img) the screenshots of docs/leakanalyze-html.md are written into docs/img/.

Programs: tests/progs/leaks.c (leaks 12,288 bytes from leak_big, 5,000 from leak_grown, 1,000 from
leak_small), demo.c (for the screenshots), the builds of diffprog.c (diffprog_extra leaks 4,321
more bytes from extra_leak), and bench/churn1 (16 M events) for the size and time bounds.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import time
import xml.etree.ElementTree as ET

import lib
from lib import analyze, expect, prog, record, report_json, tmp

PLAYWRIGHT = "playwright-core@1.65.1"
CHROMIUM = "/usr/bin/chromium"
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
MAX_HTML_BYTES = 6 << 20  # "at most a few MB" (html.h: the bounds add up to about 5 MiB)

_cache = {}


def _npm_dir():
    """BUILD/npm with playwright-core installed (installed on first use); fails loudly."""
    if "npm" in _cache:
        return _cache["npm"]
    d = os.path.join(lib.BUILD, "npm")
    expect(os.access(CHROMIUM, os.X_OK),
           f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium); "
           "the HTML report is tested in a real browser")
    expect(shutil.which("node") and shutil.which("npm"),
           "node or npm is missing: install Debian's nodejs and npm (apt-get install nodejs npm)")
    if not os.path.exists(os.path.join(d, "node_modules", "playwright-core", "package.json")):
        os.makedirs(d, exist_ok=True)
        p = subprocess.run(["npm", "install", "--prefix", d, "--no-audit", "--no-fund", "--silent",
                            PLAYWRIGHT], capture_output=True, text=True, timeout=600)
        expect(p.returncode == 0, f"npm install {PLAYWRIGHT} failed (exit {p.returncode}): "
                                  f"{p.stderr[-1500:]}")
    _cache["npm"] = d
    return d


def _shots():
    d = os.path.join(lib.BUILD, "html-shots")
    os.makedirs(d, exist_ok=True)
    return d


def _browse(mode, page, arg=""):
    """Runs html_check.js; returns what it saw.  Any console error or request fails the test."""
    p = subprocess.run(["node", os.path.join(HERE, "html_check.js"), _npm_dir(), mode, page, _shots(),
                        arg], capture_output=True, text=True, timeout=300)
    try:
        out = json.loads(p.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise AssertionError(f"html_check.js {mode} printed no result (exit {p.returncode}): "
                             f"{p.stdout[-1000:]} {p.stderr[-2000:]}")
    expect("error" not in out, f"browsing {page} ({mode}) failed: {out.get('error')}; screenshot in "
                               f"{_shots()}/failure-{mode}.png")
    expect(out["console_errors"] == [], f"console errors on {page}: {out['console_errors'][:5]}")
    expect(out["requests"] == [], f"{page} made requests: {out['requests'][:5]}")
    return out


def _trace(name, argv=None):
    if name not in _cache:
        p, t = record(argv or [prog(name)], trace=tmp(name + ".zst"))
        expect(p.returncode == 0, f"{name}: exit {p.returncode} {p.stderr!r}")
        _cache[name] = t
    return _cache[name]


def _page_data(path):
    """The data object of a page, as its script reads it."""
    with open(path, encoding="utf-8") as f:
        html = f.read()
    m = re.search(r'<script type="application/json" id="leakrec-data">\n(.*?)</script>', html, re.S)
    expect(m, f"{path}: no data element")
    return json.loads(m.group(1)), html


def _function_totals(entries, key):
    """Per function, the sum of the figure over the entries whose stack holds it (once each)."""
    tot = {}
    for e in entries:
        for fn in {f["function"] for f in e["stack"] if f["function"]}:
            tot[fn] = tot.get(fn, 0) + e[key]
    return tot


def test_html_report_in_the_browser():
    trace = _trace("leaks")
    page = tmp("leaks.html")
    analyze("html", "-n", "0", "-o", page, trace)
    j = report_json(trace, "-n", "0")
    out = _browse("report", page, "leak_big")
    s = j["summary"]
    for k in ("allocations", "frees", "peak_heap_bytes", "leaked_bytes", "temporary_allocations",
              "runtime_leaked_bytes", "peak_rss_bytes"):
        expect(out["summary"][k] == s[k], f"summary {k}: page {out['summary'][k]}, --json {s[k]}")
    expect(out["chart_max"] == s["peak_heap_bytes"] == out["chart_line_max"],
           f"chart maximum {out['chart_max']}, peak_heap_bytes {s['peak_heap_bytes']}")
    expect(not out["incomplete_banner"], "a complete trace is flagged incomplete")
    # the leaking function's frame shows its exact bytes
    expect(out["hover"]["value"] == 12288 and "12,288 bytes" in out["hover"]["tooltip"] and
           "leaks.c:" in out["hover"]["tooltip"], f"hover {out['hover']}")
    expect(out["search"]["value"] == 12288 and out["search"]["hit_names"] == ["leak_big"] and
           "12,288 bytes" in out["search"]["text"] and "%" in out["search"]["text"],
           f"search {out['search']}")
    expect(out["keyboard_zoom"] > 0, "Enter on a frame did not zoom (no caller dimmed)")
    expect(set(out["bottom_up"]) == {"leak_big", "leak_grown", "leak_small"},
           f"bottom-up first level {out['bottom_up']}")
    expect(re.fullmatch(r"--from \d+\.\d{6}s --to \d+\.\d{6}s", out["range"]), f"range {out['range']}")
    expect("heap" in out["chart_tooltip"] and "bytes" in out["chart_tooltip"], out["chart_tooltip"])
    expect("leak_big" in out["row_stack"] and "leaks.c" in out["row_stack"], out["row_stack"])
    # every kind: the widths are the JSON's figures, per function, on the scale of the total
    lists = {"leaked": (j["leaks"], "bytes"), "peak": (j["peak"], "bytes"),
             "allocations": (j["allocators"], "allocations"), "allocated": (j["allocators"], "bytes"),
             "temporary": (j["temporary"], "allocations")}
    totals = {"leaked": s["leaked_bytes"], "peak": s["peak_heap_bytes"], "allocations": s["allocations"],
              "allocated": s["allocated_bytes"], "temporary": s["temporary_allocations"]}
    for kind, (entries, key) in lists.items():
        k = out["kinds"][kind]
        expect(k["total"] == totals[kind], f"{kind}: total {k['total']}, --json {totals[kind]}")
        want = _function_totals(entries, key)
        full = k["flame_width"]
        for fn in ("leak_big", "leak_grown", "leak_small", "no_leak"):
            got = [f for f in k["frames"] if f["fn"] == fn]
            if not want.get(fn):
                expect(not got, f"{kind}: {fn} drawn with nothing to show")
                continue
            expect(len(got) == 1 and got[0]["value"] == want[fn], f"{kind}: {fn} {got}, want {want[fn]}")
            w = got[0]["width"] / full
            expect(abs(w - want[fn] / totals[kind]) < 0.003,
                   f"{kind}: {fn} is {w:.4f} of the width, {want[fn] / totals[kind]:.4f} by --json")


def test_html_diff_marks_the_new_leak():
    base, new = _trace("diffprog"), _trace("diffprog_extra")
    page = tmp("diff.html")
    p = analyze("html", "--fail-on-new-leaks", "-o", page, base, new, check=False)
    expect(p.returncode == 1, f"html BASE NEW with a new leak: exit {p.returncode} {p.stderr}")
    out = _browse("diff", page, "extra_leak")
    expect(out["gates"].startswith("FAIL") and "exit status 1" in out["gates"], out["gates"])
    f = [x for x in out["frames"] if x["fn"] == "extra_leak"]
    expect(len(f) == 1 and f[0]["value"] == 4321 and f[0]["base"] == 0, f"extra_leak frame {f}")
    r, g, b = map(int, re.findall(r"\d+", f[0]["color"])[:3])
    expect(r == 255 and g < 120 and b < 120, f"extra_leak is not red: {f[0]['color']}")
    unchanged = [x for x in out["frames"] if x["fn"] == "keep_table"]
    expect(unchanged and unchanged[0]["value"] == unchanged[0]["base"] == 10000, f"keep_table {unchanged}")
    expect("+4,321" in out["hover"]["tooltip"] and "4,321 bytes" in out["hover"]["tooltip"],
           out["hover"]["tooltip"])
    expect(len(out["changed"]) == 1 and "appeared" in out["changed"][0], f"changed {out['changed']}")
    # the same gates and figures as diff --json
    d = json.loads(analyze("diff", "--json", "--fail-on-new-leaks", base, new, check=False).stdout)
    data, _ = _page_data(page)
    expect(data["gates"] == d["gates"], f"gates {data['gates']} != diff's {d['gates']}")
    for fig in data["summary"]:
        want = d["summary"][fig["key"]]
        expect((fig["base"], fig["new"]) == (want["base"], want["new"]), f"{fig} != {want}")
    expect(analyze("html", "-o", page, base, new).returncode == 0, "no gate: exit 0")


def test_html_escapes_the_trace_and_says_incomplete():
    data_dir = tmp("esc")
    os.makedirs(data_dir, exist_ok=True)
    trace = os.path.join(data_dir, "a<script>&\"'<!--\x01.zst")
    p, _ = record([prog("leaks")], trace=trace)
    expect(p.returncode == 0, p.stderr)
    # a program killed by SIGKILL leaves a trace without its end record: the page must say so
    cut = os.path.join(data_dir, "cut.zst")
    p = subprocess.Popen([lib.LEAKREC, "-q", "-o", cut, "--", prog("robust_end"), "kill"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    pid = None
    while pid is None:
        line = p.stdout.readline()
        expect(line, "robust_end ended early")
        if line.startswith(b"pid "):
            pid = int(line.split()[1])
    time.sleep(0.4)
    os.kill(pid, signal.SIGKILL)
    p.communicate(timeout=60)
    page = os.path.join(data_dir, "p.html")
    analyze("html", "-o", page, trace)
    data, html = _page_data(page)
    expect("<script>&" not in html.split('id="leakrec-data">')[1].split("</script>")[0],
           "trace path not escaped in the data")
    expect("\\u003cscript\\u003e\\u0026" in html, "trace path not escaped as \\u003c...")
    expect(data["trace"] == trace, f"trace path {data['trace']!r}")
    expect("Content-Security-Policy" in html and "default-src 'none'" in html, "no CSP")
    expect(not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html), "a reference to a host")
    p = analyze("html", "-o", os.path.join(data_dir, "cut.html"), cut, check=False)
    expect(p.returncode == 0, f"cut trace: exit {p.returncode} {p.stderr}")
    data, _ = _page_data(os.path.join(data_dir, "cut.html"))
    expect(data["diagnostics"]["complete"] is False, "cut trace reads complete")
    out = _browse("timing", os.path.join(data_dir, "cut.html"))
    expect(out["ready_ms"] > 0, out)
    js = open(os.path.join(ROOT, "analyzer", "web", "report.js"), encoding="utf-8").read()
    expect("innerHTML" not in js and "insertAdjacentHTML" not in js and "eval(" not in js,
           "report.js must build the page from text nodes only")


def test_html_suppressions_and_window_match_json():
    trace = _trace("leaks")
    sup = tmp("leaks.supp")
    with open(sup, "w") as f:
        f.write("leak:leak_big\n")
    page = tmp("sup.html")
    analyze("html", "--suppressions", sup, "-o", page, trace)
    data, _ = _page_data(page)
    j = report_json(trace, "--suppressions", sup)
    expect(data["summary"] == j["summary"], f"summary {data['summary']} != {j['summary']}")
    expect(data["suppressed"] == j["suppressed"] and j["suppressed"]["bytes"] == 12288,
           f"suppressed {data['suppressed']}")
    leaked = [k for k in data["flame"]["kinds"] if k["kind"] == "leaked"][0]
    expect(leaked["total"] == j["summary"]["leaked_bytes"] == 6000, f"leaked total {leaked['total']}")
    for args in (["--from", "50%", "--to", "100%"], ["--show-alloc-frames", "-n", "3"]):
        analyze("html", *args, "-o", page, trace)
        data, _ = _page_data(page)
        j = report_json(trace, *args)
        expect(data["summary"] == j["summary"] and data["window"] == j["window"],
               f"{args}: {data['summary']} != {j['summary']}")
        expect([r["values"][0] for r in data["tables"][0]["rows"]] == [e["bytes"] for e in j["leaks"]],
               f"{args}: leaks table differs from --json")
    p = analyze("html", "--from", "1", trace, trace, check=False)
    expect(p.returncode == 2 and "one trace" in p.stderr, f"--from with two traces: {p.stderr}")
    p = analyze("html", "--fail-on-new-leaks", trace, check=False)
    expect(p.returncode == 2 and "two traces" in p.stderr, f"a gate with one trace: {p.stderr}")
    p = analyze("html", "--help")
    expect(p.returncode == 0 and "usage: leakanalyze html" in p.stdout, p.stdout[:200])
    p = analyze("html", tmp("missing.zst"), check=False)
    expect(p.returncode == 2 and "cannot open" in p.stderr, p.stderr)


def test_flamegraph_svg():
    trace = _trace("leaks")
    svg = tmp("leaks.svg")
    analyze("flamegraph", "-o", svg, trace)
    root = ET.parse(svg).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    frames = [g for g in root.iter(ns + "g") if g.get("class") == "f"]
    expect(frames, "no frames")
    total = int(root.get("data-total"))
    width = float(root.get("width"))
    expect(total == report_json(trace)["summary"]["leaked_bytes"], f"total {total}")
    for g in frames:
        v = int(g.get("data-v"))
        w = float(g.find(ns + "rect").get("width"))
        expect(abs(w - v * width / total) < 0.01, f"{g.get('data-n')}: width {w} for {v} of {total}")
    big = [g for g in frames if g.get("data-n") == "leak_big"]
    expect(len(big) == 1 and "12288 bytes" in big[0].find(ns + "title").text, "leak_big's title")
    for kind, key in (("allocations", "allocations"), ("temporary", "temporary_allocations")):
        analyze("flamegraph", "--kind", kind, "-o", svg, trace)
        r = ET.parse(svg).getroot()
        expect(int(r.get("data-total")) == report_json(trace)["summary"][key], f"{kind} total")
    out = _browse("svg", _svg_leaked(trace), "leak_big")
    expect("12288 bytes" in out["matched"] and out["hits"] == 1, f"svg search {out}")
    expect(abs(out["zoomed_width"] - width) < 0.01, f"zoomed leak_big is {out['zoomed_width']} wide")
    base, new = _trace("diffprog"), _trace("diffprog_extra")
    analyze("flamegraph", "-o", svg, base, new)
    r = ET.parse(svg).getroot()
    extra = [g for g in r.iter(ns + "g") if g.get("data-n") == "extra_leak"]
    expect(len(extra) == 1 and extra[0].get("data-v") == "4321" and extra[0].get("data-b") == "0" and
           extra[0].find(ns + "rect").get("fill").startswith("rgb(255,"), "extra_leak in the diff svg")
    p = analyze("flamegraph", "--kind", "bogus", trace, check=False)
    expect(p.returncode == 2 and "--kind" in p.stderr, p.stderr)


def _svg_leaked(trace):
    svg = tmp("leaks-leaked.svg")
    analyze("flamegraph", "-o", svg, trace)
    return svg


def test_html_churn_size_time_and_interactive():
    """The 16 M-event churn trace (bench/churn1, default steps): the page stays within its bound,
    takes at most twice the time of --json (the unsanitized analyzer, best of 3), and is
    interactive within 1 s in headless chromium."""
    churn = os.path.join(lib.BUILD, "bench", "churn1")
    expect(os.access(churn, os.X_OK), f"{churn} missing (make bench-progs)")
    trace = _trace("churn1", [churn])
    fast = os.path.join(lib.BUILD, "leakanalyze")
    page = tmp("churn.html")

    def best(argv):
        t = []
        for _ in range(3):
            t0 = time.perf_counter()
            p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)
            t.append(time.perf_counter() - t0)
            expect(p.returncode == 0, f"{argv}: {p.stderr[-500:]}")
        return min(t)
    tj = best([fast, "--json", trace])
    th = best([fast, "html", "-o", page, trace])
    size = os.path.getsize(page)
    data, _ = _page_data(page)
    expect(data["diagnostics"]["events"] > 15_000_000, f"only {data['diagnostics']['events']} events")
    expect(size <= MAX_HTML_BYTES, f"churn page is {size} bytes")
    expect(th <= 2 * tj, f"html took {th:.3f} s, --json {tj:.3f} s")
    out = _browse("timing", page)
    expect(out["ready_ms"] < 1000, f"interactive after {out['ready_ms']} ms")
    print(f"     churn: {data['diagnostics']['events']} events, page {size} bytes, html {th:.3f} s, "
          f"--json {tj:.3f} s, interactive after {out['ready_ms']:.0f} ms")


def test_html_screenshots():
    """Screenshots of the demo program's report (light, dark, phone width); into docs/img/ with
    LEAKREC_DOCS_IMG=1."""
    trace = _trace("demo")
    page = tmp("demo.html")
    analyze("html", "-o", page, trace)
    _browse("shots", page, "send_error_reply")
    names = ["report-light", "report-dark", "report-phone", "flamegraph", "timeline"]
    for n in names:
        expect(os.path.getsize(os.path.join(_shots(), n + ".png")) > 10000, f"{n}.png is empty")
    if os.environ.get("LEAKREC_DOCS_IMG"):
        dst = os.path.join(ROOT, "docs", "img")
        os.makedirs(dst, exist_ok=True)
        for n in names:
            shutil.copy(os.path.join(_shots(), n + ".png"), os.path.join(dst, n + ".png"))
