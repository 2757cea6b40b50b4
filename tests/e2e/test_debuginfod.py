"""Symbols from debuginfod: Debian's debuginfod server, started here on 127.0.0.1 with a scratch
folder holding the debug file of a program this test builds and strips.

- with DEBUGINFOD_URLS pointing at it, the report of the stripped program equals the report with
  the unstripped binary in its place, and a progress line says what was downloaded;
- with the server stopped, one warning and [unknown] frames, at once;
- with a server that accepts connections and never answers, one warning after
  DEBUGINFOD_TIMEOUT seconds, not more.

The server (Debian debuginfod) and objcopy must be installed: .ci/run installs them.
"""
import os
import shutil
import socket
import subprocess
import time
import urllib.request

import lib
from lib import expect, record, tmp

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
_state = {}


def _tool(name, hint):
    path = shutil.which(name)
    expect(path, f"{name} is not installed ({hint}); .ci/run installs it")
    return path


def _run(*args, urls=None, cache=None, timeout_s=None):
    env = dict(os.environ)
    env.pop("DEBUGINFOD_URLS", None)
    if urls:
        env["DEBUGINFOD_URLS"] = urls
    env["DEBUGINFOD_CACHE_PATH"] = cache or tmp("dbgd-cache-none")
    if timeout_s:
        env["DEBUGINFOD_TIMEOUT"] = str(timeout_s)
    t0 = time.monotonic()
    p = subprocess.run([lib.ANALYZE, *args], capture_output=True, text=True, env=env, timeout=300)
    took = time.monotonic() - t0
    expect("Sanitizer" not in p.stderr and "runtime error" not in p.stderr,
           f"sanitizer report: {p.stderr[-3000:]}")
    expect(p.returncode == 0, f"leakanalyze {' '.join(args)} exited {p.returncode}: {p.stderr}")
    return p, took


def _setup():
    """Builds, strips and records the program once: (trace, program path, full, stripped,
    debug folder, build id)."""
    if _state:
        return _state
    cc = os.environ.get("CC", "cc")
    objcopy = _tool("objcopy", "Debian binutils")
    d = tmp("dbgd")
    srv = os.path.join(d, "srv")
    os.makedirs(srv, exist_ok=True)
    full, stripped, prog = (os.path.join(d, n) for n in ("leaks.full", "leaks.stripped", "leaks"))
    p = subprocess.run([cc, "-std=gnu11", "-g", "-O0", "-fno-omit-frame-pointer",
                        os.path.join(ROOT, "tests", "progs", "leaks.c"), "-o", full],
                       capture_output=True, text=True)
    expect(p.returncode == 0, f"building leaks.c: {p.stderr}")
    for args in (["--only-keep-debug", full, os.path.join(srv, "leaks.debug")],
                 ["--strip-all", full, stripped]):
        p = subprocess.run([objcopy, *args], capture_output=True, text=True)
        expect(p.returncode == 0, f"objcopy {args}: {p.stderr}")
    note = subprocess.run(["readelf", "-n", full], capture_output=True, text=True).stdout
    bid = [w for line in note.splitlines() if "Build ID" in line for w in line.split()][-1]
    shutil.copy(stripped, prog)
    p, trace = record([prog], trace=tmp("dbgd.zst"))
    expect(p.returncode == 0, f"recording: {p.stderr[-500:]}")
    _state.update(trace=trace, prog=prog, full=full, stripped=stripped, srv=srv, bid=bid, d=d)
    return _state


def _report(s, binary, **kw):
    shutil.copy(binary, s["prog"])
    p, took = _run("--json", "-n", "0", s["trace"], **kw)
    return p, took


def _free_port():
    with socket.socket() as sk:
        sk.bind(("127.0.0.1", 0))
        return sk.getsockname()[1]


def _start_server(s):
    server = _tool("debuginfod", "Debian debuginfod")
    port = _free_port()
    log = open(os.path.join(s["d"], "debuginfod.log"), "w")
    proc = subprocess.Popen([server, "-F", "-p", str(port), "-d", os.path.join(s["d"], "db.sqlite"),
                             "-t", "0", "-g", "0", s["srv"]], stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        expect(proc.poll() is None, f"debuginfod exited {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/buildid/{s['bid']}/debuginfo", timeout=5) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        expect(time.monotonic() < deadline, "debuginfod did not index the debug file in 60 s")
        time.sleep(0.3)
    return proc, url


def _program_frames(doc, prog):
    return [f for sec in ("leaks", "peak", "allocators") for e in doc[sec] for f in e["stack"]
            if f["module"] == prog]


def test_debuginfod_symbolizes_a_stripped_binary_as_the_unstripped_one():
    s = _setup()
    ref, _ = _report(s, s["full"])
    bare, _ = _report(s, s["stripped"])
    expect(ref.stdout != bare.stdout, "stripping changed nothing")
    import json
    frames = _program_frames(json.loads(bare.stdout), s["prog"])
    expect(frames and all(f["function"] is None for f in frames),
           f"the stripped binary still has symbols: {frames[:3]}")
    proc, url = _start_server(s)
    try:
        cache = tmp("dbgd-cache-1")
        got, _ = _report(s, s["stripped"], urls=url, cache=cache)
        expect(got.stdout == ref.stdout, "the report with debuginfod differs from the unstripped "
                                         f"one:\n{got.stdout[:1500]}\n---\n{ref.stdout[:1500]}")
        expect("debuginfod: downloading debug info of 'leaks' from " + url in got.stderr,
               f"no progress line: {got.stderr}")
        # from the client's cache the second time: no download
        again, _ = _report(s, s["stripped"], urls=url, cache=cache)
        expect(again.stdout == ref.stdout and "downloading" not in again.stderr,
               f"second run: {again.stderr}")
        # the exports symbolize the same way
        out = tmp("dbgd.folded")
        p, _ = _run("export", "-f", "collapsed", "-o", out, s["trace"], urls=url,
                    cache=tmp("dbgd-cache-2"))
        with open(out) as f:
            text = f.read()
        expect("main;leak_big 12288" in text, f"collapsed with debuginfod:\n{text}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    # the server is gone: one warning, the frames unknown, at once
    gone, took = _report(s, s["stripped"], urls=url, cache=tmp("dbgd-cache-3"))
    warnings = [ln for ln in gone.stderr.splitlines() if "debuginfod" in ln]
    expect(len(warnings) == 1 and "cannot fetch debug info of 'leaks'" in warnings[0],
           f"with the server stopped: {gone.stderr}")
    expect(gone.stdout == bare.stdout, "with the server stopped the frames are not [unknown]")
    expect(took < 10, f"with the server stopped it took {took:.1f} s")


def test_debuginfod_server_that_never_answers_is_bounded_by_the_timeout():
    s = _setup()
    bare, _ = _report(s, s["stripped"])
    with socket.socket() as sk:  # accepts connections (the kernel's backlog), never answers
        sk.bind(("127.0.0.1", 0))
        sk.listen(16)
        url = f"http://127.0.0.1:{sk.getsockname()[1]}"
        got, took = _report(s, s["stripped"], urls=url, cache=tmp("dbgd-cache-4"), timeout_s=2)
    warnings = [ln for ln in got.stderr.splitlines() if "debuginfod" in ln]
    expect(len(warnings) == 1 and "no answer from " + url + " within 2 s" in warnings[0],
           f"a server that never answers: {got.stderr}")
    expect(got.stdout == bare.stdout, "frames are not [unknown]")
    expect(2 <= took < 8, f"a 2 s timeout took {took:.1f} s")


def test_debuginfod_off_when_unset():
    s = _setup()
    p, took = _report(s, s["stripped"])
    lookups = [ln for ln in p.stderr.splitlines() if ln.startswith("leakanalyze: debuginfod:")]
    expect(not lookups and took < 30, f"DEBUGINFOD_URLS unset: {p.stderr}")
    # the stripped binary's frames are shown: one hint that says where debug info comes from
    hints = [ln for ln in p.stderr.splitlines() if ln.startswith("leakanalyze: no debug info for ")]
    expect(len(hints) == 1 and s["prog"] in hints[0] and "DEBUGINFOD_URLS=" in hints[0],
           f"hint: {p.stderr}")
