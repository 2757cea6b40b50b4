"""`leakanalyze export`: every format read by its real consumer, with figures equal to the JSON
report's.

    pprof       go tool pprof (Debian golang-go): -raw, -top -sample_index=..., -traces, -diff_base
    collapsed   sums per function against --json; a name holding ';' and spaces round-trips
    massif      ms_print (valgrind): reads the file; the peak snapshot is peak_heap_bytes
    speedscope  the JSON schema the speedscope npm package ships (installed into build/npm),
                validated with ajv

A consumer that is missing makes its tests fail, never skip: .ci/run installs them.
"""
import gzip
import json
import os
import re
import shutil
import subprocess

import lib
from lib import analyze, expect, prog, record, report_json, tmp

_traces = {}


def _trace(name, *args):
    key = (name, args)
    if key not in _traces:
        p, trace = record([prog(name), *args], trace=tmp(f"export_{name}{len(_traces)}.zst"))
        expect(p.returncode == 0, f"{name} exited {p.returncode}: {p.stderr[-500:]}")
        _traces[key] = trace
    return _traces[key]


def _export(trace, fmt, *args, out=None):
    out = out or tmp(f"{os.path.basename(trace)}.{fmt}.{abs(hash(args))}")
    p = analyze("export", "--format", fmt, "-o", out, *args, trace)
    return out, p


def _tool(name, hint):
    path = shutil.which(name)
    expect(path, f"{name} is not installed ({hint}); .ci/run installs it")
    return path


# ---- the figures of the JSON report, per function ----

SECTIONS = {  # kind: (JSON list, figure)
    "leaked": ("leaks", "bytes"),
    "peak": ("peak", "bytes"),
    "allocations": ("allocators", "allocations"),
    "allocated": ("allocators", "bytes"),
    "temporary": ("temporary", "allocations"),
}


def _functions(entry):
    return [f["function"] if f["function"] is not None else None for f in entry["stack"]]


def _by_function(report, kind):
    """{function: (flat, cum)} of a kind from the JSON report (-n 0): flat counts the entries whose
    innermost frame the function is, cum every entry holding it once."""
    section, fig = SECTIONS[kind]
    out = {}
    for e in report[section]:
        fns = _functions(e)
        for fn in set(f for f in fns if f):
            flat, cum = out.get(fn, (0, 0))
            out[fn] = (flat + (e[fig] if fns and fns[0] == fn else 0), cum + e[fig])
    return out


def _total(report, kind):
    section, fig = SECTIONS[kind]
    return sum(e[fig] for e in report[section])


# ---- collapsed ----

def _unescape(name):
    return re.sub(rb"\\x([0-9a-f]{2})", lambda m: bytes([int(m.group(1), 16)]),
                  name.encode()).decode("utf-8", "replace")


def _collapsed(path):
    """[(frames root first, count)] of a collapsed file, names unescaped."""
    lines = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.fullmatch(r"(.*) (\d+)\n", line)
            expect(m, f"not a collapsed line: {line!r}")
            expect(not re.search(r" \d+(\.\d*)?$", m.group(1)),
                   f"the stack would read as two counts (flamegraph.pl's differential): {line!r}")
            frames = [_unescape(n[:-4] if n.endswith("_[i]") else n)
                      for n in m.group(1).split(";")]
            lines.append((frames, int(m.group(2))))
    return lines


def test_export_collapsed_sums_equal_the_json():
    trace = _trace("leaks")
    report = report_json(trace, "-n", "0")
    for kind in SECTIONS:
        out, _ = _export(trace, "collapsed", "--kind", kind)
        lines = _collapsed(out)
        expect(sum(c for _, c in lines) == _total(report, kind),
               f"{kind}: collapsed total {sum(c for _, c in lines)} != {_total(report, kind)}")
        for fn, (_, cum) in _by_function(report, kind).items():
            got = sum(c for frames, c in lines if fn in frames)
            expect(got == cum, f"{kind}: lines holding {fn} sum to {got}, the JSON says {cum}")
    leaked = dict((fr[-1], c) for fr, c in _collapsed(_export(trace, "collapsed")[0]))
    expect(leaked == {"leak_big": 12288, "leak_grown": 5000, "leak_small": 1000},
           f"leaked bytes by leaf: {leaked}")


def test_export_collapsed_names_with_semicolons_and_spaces_round_trip():
    trace = _trace("export_names")
    report = report_json(trace, "-n", "0")
    name = "weird;name with spaces 42"
    expect(any(name in _functions(e) for e in report["leaks"]),
           f"the JSON has no frame {name!r}: {[_functions(e) for e in report['leaks']]}")
    out, _ = _export(trace, "collapsed")
    with open(out, encoding="utf-8") as f:
        text = f.read()
    expect("weird\\x3bname with spaces\\x2042 777\n" in text, f"escaped name missing:\n{text}")
    lines = _collapsed(out)
    expect([(fr[-1], c) for fr, c in lines if fr[-1] == name] == [(name, 777)],
           f"the name did not round-trip: {lines}")


def test_export_suppressions_leave_leaks_out():
    trace = _trace("leaks")
    sup = tmp("export.supp")
    with open(sup, "w") as f:
        f.write("# leak_small is known\nleak:leak_small\n")
    lines = _collapsed(_export(trace, "collapsed", "--suppressions", sup)[0])
    expect(sum(c for _, c in lines) == 12288 + 5000, f"suppressed total: {lines}")
    expect(not any("leak_small" in fr for fr, _ in lines), f"leak_small still there: {lines}")
    out, _ = _export(trace, "pprof", "--suppressions", sup)
    _, samples, _ = _raw(out)
    expect(sum(v[3] for v, _ in samples) == 12288 + 5000, "pprof inuse_space with suppressions")
    expect(sum(v[1] for v, _ in samples) == report_json(trace)["summary"]["allocated_bytes"],
           "pprof alloc_space with suppressions")
    # the other kinds are not leaks: untouched
    lines = _collapsed(_export(trace, "collapsed", "--suppressions", sup, "--kind", "allocations")[0])
    expect(sum(c for _, c in lines) == 118, f"allocations with suppressions: {lines}")


# ---- pprof ----

def _pprof(*args, check=True):
    go = _tool("go", "Debian golang-go")
    home = tmp("gohome")
    os.makedirs(home, exist_ok=True)
    env = dict(os.environ, HOME=home, GOFLAGS="", GOPROXY="off", GOTOOLCHAIN="local")
    p = subprocess.run([go, "tool", "pprof", "-symbolize=none", *args], capture_output=True,
                       text=True, env=env, timeout=300)
    if check:
        expect(p.returncode == 0, f"go tool pprof {' '.join(args)} exited {p.returncode}:\n"
                                  f"{p.stderr[-2000:]}")
    return p


SAMPLE_TYPES = ["alloc_objects", "alloc_space", "inuse_objects", "inuse_space"]
INDEX_KIND = {"alloc_objects": "allocations", "alloc_space": "allocated",
              "inuse_objects": "leaked", "inuse_space": "leaked"}


def _raw(path):
    """(sample types, [(values, [location ids])], {location id: [functions]}) of -raw."""
    out = _pprof("-raw", path).stdout
    m = re.search(r"^Samples:\n(.*?)\n(.*?)^Locations\n(.*?)^Mappings\n", out, re.M | re.S)
    expect(m, f"no samples in -raw:\n{out[:3000]}")
    types = [t.split("/")[0].replace("[dflt]", "") for t in m.group(1).split()]
    samples = []
    for line in m.group(2).splitlines():
        s = re.match(r"\s+([\d ]+?):((?: \d+)*) ?$", line)
        if s:
            samples.append(([int(v) for v in s.group(1).split()], [int(i) for i in s.group(2).split()]))
    locs = {}
    for line in m.group(3).splitlines():
        lm = re.match(r"\s+(\d+): 0x[0-9a-f]+ (?:M=\d+ )?(.*)$", line)
        if lm:
            locs[int(lm.group(1))] = [lm.group(2).split(" ")[0]]
        elif line.strip() and locs:
            locs[max(locs)].append(line.split()[0])
    return types, samples, locs


def _top(path, index):
    """{function: (flat, cum)} of -top for a sample type, exact units."""
    out = _pprof("-top", "-nodecount=100000", "-nodefraction=0", "-edgefraction=0",
                 "-unit=byte" if index.endswith("space") else "-unit=count",
                 f"-sample_index={index}", path).stdout
    # the program's executable is the main mapping: pprof names it first
    first = out.splitlines()[0] if out else ""
    expect(first.startswith("File: ") and ".so" not in first, f"main binary: {first!r}")
    rows = {}
    for line in out.splitlines():
        m = re.match(r"\s*(\d+)B?\s+[\d.]+%\s+[\d.]+%\s+(\d+)B?\s+[\d.]+%\s+(.+)$", line)
        if m:
            rows[m.group(3).strip()] = (int(m.group(1)), int(m.group(2)))
    expect(rows, f"no rows in -top:\n{out}")
    return rows


def test_export_pprof_figures_equal_the_json():
    trace = _trace("leaks")
    report = report_json(trace, "-n", "0")
    out, _ = _export(trace, "pprof")
    with gzip.open(out) as f:
        expect(f.read(2) != b"", "empty profile")
    types, samples, locs = _raw(out)
    expect(types == SAMPLE_TYPES, f"sample types {types}")
    for i, t in enumerate(types):
        kind = INDEX_KIND[t]
        fig = "allocations" if t in ("alloc_objects",) else SECTIONS[kind][1]
        if t == "inuse_objects":
            want = sum(e["allocations"] for e in report["leaks"])
        elif t == "alloc_objects":
            want = sum(e["allocations"] for e in report["allocators"])
        else:
            want = sum(e[fig] for e in report[SECTIONS[kind][0]])
        got = sum(v[i] for v, _ in samples)
        expect(got == want, f"-raw total of {t}: {got} != {want} (JSON)")
    s = report["summary"]
    expect(sum(v[3] for v, _ in samples) == s["leaked_bytes"], "inuse_space != leaked_bytes")
    expect(sum(v[1] for v, _ in samples) == s["allocated_bytes"], "alloc_space != allocated_bytes")
    expect(sum(v[0] for v, _ in samples) == s["allocations"], "alloc_objects != allocations")
    # the innermost location of each leak is its function
    for v, ids in samples:
        if v[3]:
            expect(locs[ids[0]][0] in ("leak_small", "leak_big", "leak_grown"),
                   f"leaf of a leak: {locs[ids[0]]}")
    for index in SAMPLE_TYPES:
        kind = INDEX_KIND[index]
        top = _top(out, index)
        want = _by_function(report, kind)
        if index == "inuse_objects":  # the leaks' allocation counts
            want = {}
            for e in report["leaks"]:
                fns = _functions(e)
                for fn in set(f for f in fns if f):
                    flat, cum = want.get(fn, (0, 0))
                    want[fn] = (flat + (e["allocations"] if fns[0] == fn else 0),
                                cum + e["allocations"])
        for fn, (flat, cum) in want.items():
            expect(top.get(fn, (0, 0)) == (flat, cum),
                   f"-top -sample_index={index} {fn}: {top.get(fn)} != {(flat, cum)} (JSON)")
        for fn, (flat, cum) in top.items():
            expect(want.get(fn, (0, 0)) == (flat, cum), f"{index}: {fn} {flat} {cum} not in the JSON")
    traces = _pprof("-traces", "-unit=byte", "-sample_index=inuse_space", out).stdout
    blocks = [b for b in traces.split("-----------+") if re.search(r"\d+B\s+\S", b)]
    got = {}
    for b in blocks:
        m = re.search(r"^\s+(\d+)B\s+(\S+)", b, re.M)
        got[m.group(2)] = got.get(m.group(2), 0) + int(m.group(1))
    expect(got == {"leak_big": 12288, "leak_grown": 5000, "leak_small": 1000}, f"-traces: {got}")


def test_export_pprof_at_peak_and_window():
    trace = _trace("peak")
    out, _ = _export(trace, "pprof", "--at-peak")
    top = _top(out, "inuse_space")
    expect(top.get("spike_b", (0,))[0] == 100000 and top.get("hold_a", (0,))[0] == 10000,
           f"at the peak: {top}")
    _, samples, _ = _raw(out)
    peak = report_json(trace)["summary"]["peak_heap_bytes"]
    expect(sum(v[3] for v, _ in samples) == peak, f"inuse at peak != peak_heap_bytes {peak}")
    # a window: the same figures as --json with that window
    report = report_json(trace, "-n", "0", "--from", "0", "--to", "50%")
    out, _ = _export(trace, "pprof", "--from", "0", "--to", "50%")
    _, samples, _ = _raw(out)
    expect(sum(v[3] for v, _ in samples) == report["summary"]["leaked_bytes"], "window: inuse")
    expect(sum(v[1] for v, _ in samples) == report["summary"]["allocated_bytes"], "window: alloc")


def test_export_pprof_location_holds_the_inlined_chain():
    out, _ = _export(_trace("inline"), "pprof")
    _, samples, locs = _raw(out)
    leaf = [locs[ids[0]] for v, ids in samples if v[3]]
    expect(leaf and leaf[0][:2] == ["make_buffer", "build_record"],
           f"the leak's first location: {leaf} (make_buffer inlined into build_record)")


def test_export_pprof_diff_base_shows_the_new_leak():
    base, _ = _export(_trace("diffprog"), "pprof")
    new, _ = _export(_trace("diffprog_extra"), "pprof")
    top = _top(new, "inuse_space")
    out = _pprof("-top", "-unit=byte", "-nodefraction=0", "-sample_index=inuse_space",
                 f"-diff_base={base}", new).stdout
    rows = {}
    for line in out.splitlines():
        m = re.match(r"\s*(-?\d+)B\s+[-\d.]+%\s+[-\d.]+%\s+(-?\d+)B\s+[-\d.]+%\s+(.+)$", line)
        if m:
            rows[m.group(3).strip()] = int(m.group(1))
    expect(rows.get("extra_leak") == 4321, f"-diff_base: {rows}\n{out}")
    expect(all(v == 0 for k, v in rows.items() if k != "extra_leak"), f"-diff_base: {rows}")
    expect(top.get("extra_leak", (0,))[0] == 4321, f"new: {top}")


def test_export_pprof_rejects_a_damaged_profile():
    out, _ = _export(_trace("leaks"), "pprof")
    with gzip.open(out) as f:
        data = f.read()
    bad = tmp("damaged.pb.gz")
    with gzip.open(bad, "wb") as f:
        f.write(data[: len(data) // 2] + b"\xff\xff\xff")
    p = _pprof("-raw", bad, check=False)
    expect(p.returncode != 0, "go tool pprof accepted a damaged profile: the test could not fail")


# ---- massif ----

def _ms_print(path):
    ms = _tool("ms_print", "Debian valgrind")
    p = subprocess.run([ms, path], capture_output=True, text=True, timeout=120)
    expect(p.returncode == 0 and not p.stderr.strip(),
           f"ms_print exited {p.returncode}: {p.stderr[-2000:]}")
    return p.stdout


def _massif_snapshots(path):
    snaps, cur = [], None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("snapshot="):
                cur = {"n": int(line[9:]), "tree": []}
                snaps.append(cur)
            elif cur is not None and "=" in line and not line.startswith(" ") and \
                    not line.startswith("n"):
                k, v = line.split("=", 1)
                cur[k] = v
            elif cur is not None and re.match(r"\s*n\d+:", line):
                cur["tree"].append(line)
    return snaps


def test_export_massif_read_by_ms_print_with_the_exact_peak():
    trace = _trace("peak")
    report = report_json(trace, "-n", "0")
    out, _ = _export(trace, "massif")
    text = _ms_print(out)
    snaps = _massif_snapshots(out)
    peaks = [s for s in snaps if s.get("heap_tree") == "peak"]
    expect(len(peaks) == 1, f"{len(peaks)} peak snapshots")
    peak = peaks[0]
    expect(int(peak["mem_heap_B"]) == report["summary"]["peak_heap_bytes"] == 110000,
           f"peak snapshot {peak['mem_heap_B']} != {report['summary']['peak_heap_bytes']}")
    tree = {}
    for line in peak["tree"]:
        m = re.match(r"( *)n\d+: (\d+) 0x[0-9A-F]+: (\S+) ", line)
        if m and len(m.group(1)) == 1:
            tree[m.group(3)] = int(m.group(2))
    want = {e["stack"][0]["function"]: e["bytes"] for e in report["peak"]}
    expect(tree == want == {"spike_b": 100000, "hold_a": 10000}, f"peak tree {tree}, JSON {want}")
    expect("110,000" in text and "spike_b" in text, "ms_print does not show the peak")
    times = [int(s["time"]) for s in snaps]
    expect(times == sorted(times), f"snapshot times out of order: {times}")
    expect(int(snaps[-1]["mem_heap_B"]) == 60000, f"last snapshot {snaps[-1]}")
    with open(out) as f:
        head = f.read(400)
    expect(re.match(r"desc: .*\ncmd: .*peak\ntime_unit: ms\n", head), f"header: {head}")


def test_export_massif_snapshots_over_the_run():
    trace = _trace("growth_server", "60")
    report = report_json(trace)
    out, _ = _export(trace, "massif")
    _ms_print(out)
    snaps = _massif_snapshots(out)
    times = [int(s["time"]) for s in snaps]
    detailed = [s for s in snaps if s.get("heap_tree") == "detailed"]
    expect(len(snaps) >= 20 and times[-1] >= 300, f"{len(snaps)} snapshots, times {times}")
    expect(len(detailed) >= 3, f"{len(detailed)} detailed snapshots")
    for s in detailed:
        root = re.match(r"n\d+: (\d+) \(heap allocation functions\)", s["tree"][0])
        expect(root and int(root.group(1)) == int(s["mem_heap_B"]),
               f"a detailed tree's root is not its heap: {s['tree'][:1]} {s['mem_heap_B']}")
    peak = [s for s in snaps if s.get("heap_tree") == "peak"][0]
    expect(int(peak["mem_heap_B"]) == report["summary"]["peak_heap_bytes"], "peak")
    expect(max(int(s["mem_heap_B"]) for s in snaps) == report["summary"]["peak_heap_bytes"],
           "a snapshot above the peak")


def test_export_massif_escapes_what_ms_print_would_cut():
    trace = _trace("leaks_rs")
    out, _ = _export(trace, "massif")
    _ms_print(out)
    with open(out, encoding="utf-8") as f:
        text = f.read()
    tree = [ln for ln in text.splitlines() if re.match(r"\s*n\d+:", ln)]
    expect(not any("#" in ln for ln in tree), "a '#' in a heap tree line: ms_print cuts it there")
    expect(any("{closure\\x230}" in ln for ln in tree), "Rust's {closure#0} not written escaped")


# ---- speedscope ----

VALIDATE_JS = r"""
const Ajv = require(process.argv[2]);
const schema = require(process.argv[3]);
const data = JSON.parse(require('fs').readFileSync(process.argv[4], 'utf8'));
const ajv = new Ajv({strict: false, allErrors: true});
const ok = ajv.validate(schema, data);
if (!ok) { console.error(JSON.stringify(ajv.errors, null, 1)); process.exit(1); }
console.log('valid');
"""


def _speedscope_schema():
    """Installs the speedscope npm package and ajv into build/npm (once); returns (ajv, schema)."""
    prefix = os.path.join(lib.BUILD, "npm")
    mods = os.path.join(prefix, "node_modules")
    schema = os.path.join(mods, "speedscope", "dist", "release", "file-format-schema.json")
    ajv = os.path.join(mods, "ajv")
    if not (os.path.exists(schema) and os.path.isdir(ajv)):
        npm = _tool("npm", "Debian npm or Node.js")
        os.makedirs(prefix, exist_ok=True)
        p = subprocess.run([npm, "install", "--prefix", prefix, "--no-audit", "--no-fund",
                            "speedscope@1", "ajv@8"], capture_output=True, text=True,
                           timeout=600)
        expect(p.returncode == 0, f"npm install speedscope ajv failed: {p.stderr[-2000:]}")
    expect(os.path.exists(schema), f"the speedscope package ships no {schema}")
    return ajv, schema


def test_export_speedscope_validates_against_the_schema():
    ajv, schema = _speedscope_schema()
    node = _tool("node", "Debian nodejs")
    trace = _trace("leaks")
    report = report_json(trace, "-n", "0")
    out, _ = _export(trace, "speedscope", "--kind", "peak")
    script = tmp("validate.js")
    with open(script, "w") as f:
        f.write(VALIDATE_JS)
    p = subprocess.run([node, script, ajv, schema, out], capture_output=True, text=True, timeout=120)
    expect(p.returncode == 0, f"speedscope file does not validate:\n{p.stderr[-3000:]}")
    with open(out) as f:
        doc = json.load(f)
    # a file that breaks the schema is caught (the validation can fail)
    bad = dict(doc, profiles=[dict(doc["profiles"][0], unit="kilobytes")])
    badpath = tmp("bad.speedscope.json")
    with open(badpath, "w") as f:
        json.dump(bad, f)
    p = subprocess.run([node, script, ajv, schema, badpath], capture_output=True, text=True)
    expect(p.returncode != 0, "the validator accepted a wrong unit")
    kinds = ["leaked", "peak", "allocations", "allocated", "temporary"]
    expect(len(doc["profiles"]) == 5 and doc["activeProfileIndex"] == 1, "profiles")
    for kind, prof in zip(kinds, doc["profiles"]):
        expect(sum(prof["weights"]) == prof["endValue"] == _total(report, kind),
               f"{kind}: weights {sum(prof['weights'])} != {_total(report, kind)}")
        expect(prof["unit"] == ("bytes" if kind in ("leaked", "peak", "allocated") else "none"),
               f"{kind}: unit {prof['unit']}")
        names = [doc["shared"]["frames"][i]["name"] for s in prof["samples"] for i in s[-1:]]
        expect(all(i < len(doc["shared"]["frames"]) for s in prof["samples"] for i in s), "index")
        for fn, (flat, _) in _by_function(report, kind).items():
            got = sum(w for s, w in zip(prof["samples"], prof["weights"])
                      if doc["shared"]["frames"][s[-1]]["name"] == fn)
            expect(got == flat, f"{kind}: {fn} weighs {got} != {flat}; leaves {names}")


# ---- every format, an incomplete trace, usage ----

def test_export_incomplete_trace_says_so():
    trace = _trace("leaks")
    cut = tmp("export_cut.zst")
    with open(trace, "rb") as f:
        data = f.read()
    with open(cut, "wb") as f:
        f.write(data[: len(data) - 40])
    for fmt in ("pprof", "massif", "speedscope", "collapsed"):
        out, p = _export(cut, fmt)
        expect("incomplete trace" in p.stderr, f"{fmt}: stderr does not say so: {p.stderr}")
    out, _ = _export(cut, "pprof")
    expect("incomplete trace" in _pprof("-comments", out).stdout, "pprof comments")
    with open(_export(cut, "massif")[0]) as f:
        expect("incomplete trace" in f.readline(), "massif desc:")
    with open(_export(cut, "speedscope")[0]) as f:
        doc = json.load(f)
    expect("incomplete trace" in doc["profiles"][0]["name"], "speedscope name")


def test_export_usage():
    trace = _trace("leaks")
    p = analyze("export", "--help")
    expect(p.returncode == 0 and "usage: leakanalyze export" in p.stdout, "--help")
    for args, msg in ((["export", trace], "no --format"),
                      (["export", "-f", "svg", trace], "unknown format 'svg'"),
                      (["export", "-f", "pprof", "--kind", "peak", trace], "--kind applies"),
                      (["export", "-f", "collapsed", "--kind", "big", trace], "unknown kind"),
                      (["export", "-f", "collapsed", "--at-peak", trace], "--at-peak applies"),
                      (["export", "-f", "collapsed"], "no trace file")):
        p = analyze(*args, check=False)
        expect(p.returncode == 2 and msg in p.stderr, f"{args}: exit {p.returncode}: {p.stderr}")
    p = analyze("export", "-f", "collapsed", tmp("no-such.zst"), check=False)
    expect(p.returncode == 2 and "cannot open" in p.stderr, p.stderr)
    p = analyze("export", "-f", "collapsed", "-o", tmp("no/such/dir/x"), trace, check=False)
    expect(p.returncode == 2 and "cannot create" in p.stderr, p.stderr)
    p = analyze("--help")
    expect("export" in p.stdout, "leakanalyze --help does not list export")


def test_outputs_never_replace_a_device():
    """-o naming a FIFO or a device (/dev/null): leakanalyze writes into it in place (its
    FILE.tmp-and-rename would replace the node; as root, `-o /dev/null` replaced /dev/null with
    a regular file), and leakrec refuses it as a trace path.  A FIFO stands in for the device."""
    import stat
    import threading
    import lib
    trace = tmp("fifo_src.zst")
    p, _ = record([prog("leaks")], trace=trace)
    fifo = tmp("out.fifo")
    if os.path.exists(fifo):
        os.unlink(fifo)
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
    reader.start()
    analyze("export", "-f", "collapsed", "-o", fifo, trace)
    reader.join(timeout=60)
    expect(got and b";" in got[0], f"nothing came through the FIFO: {got!r}")
    expect(stat.S_ISFIFO(os.stat(fifo).st_mode), "the FIFO was replaced")
    r = subprocess.run([lib.LEAKREC, "-q", "-o", fifo, prog("leaks")], capture_output=True,
                       timeout=60)
    expect(r.returncode == 2 and b"no regular file" in r.stderr, f"leakrec -o FIFO: {r}")
    expect(stat.S_ISFIFO(os.stat(fifo).st_mode), "leakrec replaced the FIFO")
