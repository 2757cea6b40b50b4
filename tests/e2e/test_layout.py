"""The shape of the tree, checked on every `make test`: an include graph that runs one way, one
header per module whose prefix is the module's name, and tests that cannot vanish.

- common/ includes nothing from recorder/ or analyzer/; recorder/ and analyzer/ include nothing of
  each other.
- The modules of recorder/ include each other without a cycle, and so do analyzer/'s.
- analyzer/'s library (every module but main.c, cli and the cmd_* files) includes no command file.
- Every module X (X.c) has its header X.h (but for programs: main.c, leakrec.c, and files that
  only define interposed or command functions), and every function X.c defines outside `static`
  is named X_* (interposed functions and the commands' cmd_* excepted).
- Every tests/unit/test_*.c is built and run by `make test`, and every tests/e2e/test_*.py is
  listed in run.py's TEST_MODULES.
"""
import os
import re

import lib
from lib import expect

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
# A function definition at the start of a line: return type, name, parameters, then a line that
# opens the body.  Declarations end with ';' and do not match.
DEFINITION = re.compile(r"^(?!static\b)(?!typedef\b)(?:[A-Za-z_][\w \t\*]*?[\s\*])"
                        r"(?:__attribute__\(\(.*?\)\)\s+)?([A-Za-z_]\w*)\s*\([^;{]*?\)\s*\{",
                        re.M | re.S)

# Functions the preload library interposes, or exports to programs (leakrec.h).
INTERPOSED = {"malloc", "free", "calloc", "realloc", "reallocarray", "posix_memalign",
              "aligned_alloc", "memalign", "valloc", "pvalloc", "malloc_usable_size", "dlopen",
              "dlclose", "_exit", "_Exit", "execve", "execv", "execvp", "execvpe", "execl",
              "execlp", "execle", "daemon", "sigaction", "signal", "leakrec_record_mark",
              "leakrec_attach",
              "leakrec_mark"}
# Programs: their file defines main() and is no module.
PROGRAMS = {"analyzer/main.c", "recorder/leakrec.c"}


def _sources(folder):
    d = os.path.join(ROOT, folder)
    return sorted(f for f in os.listdir(d) if f.endswith((".c", ".h")))


def _read(folder, name):
    with open(os.path.join(ROOT, folder, name), encoding="utf-8") as f:
        return f.read()


def _strip_comments(text):
    return re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)


def _module(name):
    return os.path.splitext(name)[0]


def _graph(folder):
    """{module: {modules of the same folder it includes}} and {file: [included names]}."""
    graph, incs = {}, {}
    local = {_module(f) for f in _sources(folder)}
    for f in _sources(folder):
        names = INCLUDE.findall(_strip_comments(_read(folder, f)))
        incs[f] = names
        mod = _module(f)
        graph.setdefault(mod, set())
        for n in names:
            m = _module(os.path.basename(n))
            if m in local and m != mod and os.path.exists(os.path.join(ROOT, folder, n)):
                graph[mod].add(m)
    return graph, incs


def _cycle(graph):
    """A cycle of the graph as a list of modules, or None."""
    state, stack = {}, []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for n in sorted(graph.get(m, ())):
            if state.get(n) == 1:
                return stack[stack.index(n):] + [n]
            if not state.get(n):
                c = visit(n)
                if c:
                    return c
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if not state.get(m):
            c = visit(m)
            if c:
                return c
    return None


def _is_command(name):
    return name in ("main.c", "cli.c", "cli.h") or name.startswith("cmd_")


def test_layout_common_includes_only_common():
    common = set(_sources("common"))
    for f, names in _graph("common")[1].items():
        bad = [n for n in names if os.path.basename(n) not in common or "/" in n]
        expect(not bad, f"common/{f} includes {bad}: common/ may include only common/")


def test_layout_recorder_and_analyzer_apart():
    for folder, other in (("recorder", "analyzer"), ("analyzer", "recorder")):
        theirs = set(_sources(other)) - set(_sources(folder)) - set(_sources("common"))
        for f, names in _graph(folder)[1].items():
            bad = [n for n in names if os.path.basename(n) in theirs or n.startswith("../")]
            expect(not bad, f"{folder}/{f} includes {bad} of {other}/")


def test_layout_recorder_include_graph_acyclic():
    c = _cycle(_graph("recorder")[0])
    expect(c is None, f"recorder/ modules include each other in a circle: {' -> '.join(c or [])}")


def test_layout_analyzer_include_graph_acyclic():
    c = _cycle(_graph("analyzer")[0])
    expect(c is None, f"analyzer/ modules include each other in a circle: {' -> '.join(c or [])}")


def test_layout_analyzer_library_includes_no_command():
    for f, names in _graph("analyzer")[1].items():
        if _is_command(f):
            continue
        bad = [n for n in names if _is_command(os.path.basename(n))]
        expect(not bad, f"analyzer/{f} is library code and includes command files {bad}")


ATTRIBUTE = re.compile(r"__attribute__\s*\(\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\)\)")
# Words that may stand before `static` on a definition's line (attribute macros).
MACRO_WORDS = re.compile(r"^(?:[A-Z][A-Z0-9_]*\s+)+(?=static\b)", re.M)


def _defined_functions(folder, name):
    text = ATTRIBUTE.sub(" ", _strip_comments(_read(folder, name)))
    text = re.sub(r"^[ \t]+(?=static\b)", "", text, flags=re.M)
    text = MACRO_WORDS.sub("", text)
    text = re.sub(r"^EXPORT\s+", "", text, flags=re.M)
    return DEFINITION.findall(text)


def test_layout_one_header_per_module_and_prefix():
    problems = []
    for folder in ("common", "recorder", "analyzer"):
        files = set(_sources(folder))
        for f in sorted(x for x in files if x.endswith(".c")):
            path = f"{folder}/{f}"
            mod = _module(f)
            funcs = [fn for fn in _defined_functions(folder, f)
                     if fn not in INTERPOSED and not (folder == "analyzer" and fn.startswith("cmd_"))]
            if path in PROGRAMS:
                funcs = [fn for fn in funcs if fn != "main"]
            if funcs and mod + ".h" not in files and path not in PROGRAMS:
                problems.append(f"{path} defines {funcs[:3]} but has no header {mod}.h")
            bad = [fn for fn in funcs if not fn.startswith(mod + "_")]
            if bad:
                problems.append(f"{path}: {', '.join(bad[:6])}{' ...' if len(bad) > 6 else ''} "
                                f"not named {mod}_*")
    expect(not problems, "modules whose names disagree:\n  " + "\n  ".join(problems))


def test_layout_every_unit_test_runs():
    listed = {os.path.basename(u.split()[0]) for u in lib.UNITS}
    have = {f[:-2] for f in os.listdir(os.path.join(ROOT, "tests", "unit"))
            if f.startswith("test_") and f.endswith(".c")}
    expect(lib.UNITS, "run.py was given no unit test (--unit)")
    expect(have <= listed, f"unit tests that make test does not run: {sorted(have - listed)}")


def test_layout_every_e2e_module_listed():
    import run  # tests/e2e/run.py
    have = {f[:-3] for f in os.listdir(os.path.dirname(os.path.abspath(__file__)))
            if f.startswith("test_") and f.endswith(".py")}
    missing = have - set(run.TEST_MODULES)
    expect(not missing, f"test modules not in run.py's TEST_MODULES: {sorted(missing)}")
