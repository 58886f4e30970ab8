"""The package's import structure, read from the source with ``ast`` (nothing is imported).

* No import cycle between simkit's modules, counting imports at module top AND
  inside function bodies (an import inside a function only hides a cycle).
* Every import inside a function says why on its line or the line above: an
  optional dependency, start-up speed or an import cycle at run time that the
  graph does not see (a comment naming one of them; name the cycle).
* ``simkit/io/`` only reads and writes files: it imports nothing from the
  specification, the model or the engine.

Run this file on its own to see every cycle and every unexplained import:
``pytest tests/test_architecture.py -q``.
"""

from __future__ import annotations

import ast
import functools
import itertools
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "simkit"

#: words of which one must appear in the comment on (or above) an import inside a function
REASONS = ("optional", "start-up", "startup", "speed", "import cycle")

#: imports by name (``importlib.import_module("simkit...")``) left on purpose: a compatibility alias
#: of a moved name, resolved on first use. They are counted as imports everywhere else.
COMPAT_ALIASES = {
    # load_scenario and auto_base build a Scenario, so they moved up to simkit.scenario; the old path
    # stays importable for outside code (test_old_import_paths_still_work); simkit itself uses the new one
    ("simkit.io.scenario", "simkit.scenario"),
}

#: what io/ must not import (io reads and merges files; building a scenario is above it)
IO_FORBIDDEN = ("simkit.spec", "simkit.model", "simkit.engine", "simkit.scenario", "simkit.results")


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(target: str, known: dict[str, Path]) -> str | None:
    """The simkit module an import of ``target`` loads (its longest known prefix)."""
    while target:
        if target in known:
            return target
        target = target.rpartition(".")[0]
    return None


@functools.cache
def _constants(path: Path) -> set[str]:
    """Names a module assigns at its top before its first import (e.g. ``simkit.__version__``)."""
    names: set[str] = set()
    for node in ast.parse(path.read_text("utf-8")).body:
        if isinstance(node, ast.Import | ast.ImportFrom) and not (
                isinstance(node, ast.ImportFrom) and node.module == "__future__"):
            break
        if isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def imports_of(name: str, path: Path, known: dict[str, Path]) -> list[tuple[str, int, bool]]:
    """(imported simkit module, line, inside a function) for every import in one module.

    ``from simkit import __version__`` is no edge: the name is a constant the package
    sets before it imports anything, so it cannot take part in an import-order cycle
    (and the package's lazy ``__getattr__`` would otherwise tie every module to it).
    """
    tree = ast.parse(path.read_text("utf-8"))
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if (m := _resolve(alias.name, known)) is not None:
                        found.append((m, child.lineno, in_function))
            elif isinstance(child, ast.ImportFrom):
                if child.level:  # a relative import (ruff's TID bans them; resolve anyway)
                    base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                    base = base[: len(base) - child.level + 1]
                    mod = ".".join([*base, child.module] if child.module else base)
                else:
                    mod = child.module or ""
                for alias in child.names:  # `from simkit.io import observed` imports a module
                    m = _resolve(f"{mod}.{alias.name}", known) if f"{mod}.{alias.name}" in known else None
                    if m is None and mod in known and alias.name in _constants(known[mod]):
                        continue
                    m = m or _resolve(mod, known)
                    if m is not None:
                        found.append((m, child.lineno, in_function))
            elif (isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute | ast.Name)
                  and (child.func.attr if isinstance(child.func, ast.Attribute) else child.func.id) == "import_module"
                  and child.args and isinstance(child.args[0], ast.Constant) and isinstance(child.args[0].value, str)):
                m = _resolve(child.args[0].value, known)  # importlib.import_module("simkit.x")
                if m is not None and (name, m) not in COMPAT_ALIASES:
                    found.append((m, child.lineno, in_function))
            visit(child, inner)

    visit(tree, False)
    return [(m, line, f) for m, line, f in found if m != name]


@functools.cache
def import_graph() -> dict[str, dict[str, list[str]]]:
    """module -> imported module -> where ("path:line", "(in a function)" when so)."""
    known = modules()
    graph: dict[str, dict[str, list[str]]] = {}
    for name, path in known.items():
        edges: dict[str, list[str]] = {}
        for m, line, in_function in imports_of(name, path, known):
            where = f"{path.relative_to(PACKAGE.parent)}:{line}" + (" (in a function)" if in_function else "")
            edges.setdefault(m, []).append(where)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in graph:
                    continue
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(graph[w])))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def _shortest_cycle(graph, comp: list[str]) -> list[str]:
    """One shortest cycle through the component's first module (for the message)."""
    members = set(comp)
    start = comp[0]
    prev: dict[str, str] = {}
    frontier = [start]
    seen = {start}
    while frontier:
        nxt = []
        for v in frontier:
            for w in graph[v]:
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(prev[path[-1]])
                    return [*reversed(path), start]
                if w in members and w not in seen:
                    seen.add(w)
                    prev[w] = v
                    nxt.append(w)
        frontier = nxt
    return comp


def describe(graph, comp: list[str]) -> str:
    cyc = _shortest_cycle(graph, comp)
    steps = [f"  {a} -> {b}  [{', '.join(graph[a][b])}]" for a, b in itertools.pairwise(cyc)]
    return f"cycle among {', '.join(comp)}; for example:\n" + "\n".join(steps)


def _is_import_line(text: str) -> bool:
    return text.strip().startswith(("import ", "from "))


def _reason(lines: list[str], lineno: int) -> str:
    """The comment an import carries: on its line, or above it (above a run of imports that starts with it)."""
    here = lines[lineno - 1].partition("#")[2]
    k = lineno - 2
    while k >= 0 and (_is_import_line(lines[k]) or not lines[k].strip()):  # a run of imports shares the comment above its first
        here += " " + lines[k].partition("#")[2]
        k -= 1
    above = lines[k].strip() if k >= 0 else ""
    return (here + " " + (above[1:] if above.startswith("#") else "")).strip()


def function_level_imports() -> list[tuple[str, int, str]]:
    """(path, line, comment found) of every import statement inside a function body in simkit/."""
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = path.read_text("utf-8").splitlines()
        tree = ast.parse("\n".join(lines))
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    out.append((str(path.relative_to(PACKAGE.parent)), node.lineno, _reason(lines, node.lineno)))
    return sorted(set(out))


def test_the_graph_sees_imports_inside_functions(tmp_path):
    """The reader finds an import hidden in a function body (so a cycle through one is caught)."""
    known = {"simkit.a": tmp_path / "a.py", "simkit.b": tmp_path / "b.py"}
    known["simkit.a"].write_text("from simkit.b import x\n")
    known["simkit.b"].write_text("def f():\n    from simkit.a import y  # start-up speed\n    return y\n")
    graph = {n: {m: [str(line)] for m, line, _ in imports_of(n, p, known)} for n, p in known.items()}
    assert cycles(graph) == [["simkit.a", "simkit.b"]]
    assert "simkit.a -> simkit.b" in describe(graph, ["simkit.a", "simkit.b"])


def test_no_import_cycles():
    graph = import_graph()
    found = cycles(graph)
    assert not found, f"{len(found)} import cycle(s) in simkit/:\n" + "\n".join(describe(graph, c) for c in found)


def test_imports_inside_functions_say_why():
    bad = [f"{p}:{line}" for p, line, comment in function_level_imports()
           if not any(r in comment.lower() for r in REASONS)]
    assert not bad, ("imports inside a function without a comment saying why (optional dependency, "
                     "start-up speed or a named import cycle), on its line or the line above:\n  " + "\n  ".join(bad))


def test_io_reads_files_and_builds_nothing():
    graph = import_graph()
    bad = [f"{m} -> {t}  [{', '.join(w)}]" for m, edges in graph.items() if m.startswith("simkit.io")
           for t, w in edges.items() if t.startswith(IO_FORBIDDEN)]
    assert not bad, "simkit/io/ imports from the layers above it:\n  " + "\n  ".join(bad)


def test_old_import_paths_still_work():
    """What moved to break the cycles is still importable from where it was."""
    import simkit  # (test only: what is imported is the point of the test)
    from simkit import blocks, engine, headline, neutrality, scenario
    from simkit.io.scenario import auto_base, load_scenario

    assert load_scenario is scenario.load_scenario is simkit.load_scenario
    assert auto_base is scenario.auto_base
    assert (engine.Job, engine._param_rows, engine.BLOCK) == (blocks.Job, blocks._param_rows, blocks.BLOCK)
    assert headline.neutrality is neutrality.neutrality
    assert headline.neutrality_sentence is neutrality.neutrality_sentence
    assert headline.rate_card_lines is neutrality.rate_card_lines
