"""Every public function and method of simkit has a numpydoc ``Examples`` section (run as a doctest).

Read from the source with ``ast`` (fast, nothing imported). Public: a module
whose path has no part starting with ``_``; in it, the names in ``__all__``
(or, without one, every name not starting with ``_``) that are functions, and
the methods of such classes (not properties, not ``_``-names). The examples
themselves run under ``pytest --doctest-modules`` (pyproject's ``addopts``).

``MISSING`` lists, by name, what has none yet — the modules other work is
splitting or rewriting, to be cleared after that is merged. A public function
added anywhere else without an example fails here; so does an entry in
``MISSING`` that has since got one (so the list only shrinks).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "simkit"

#: module -> public callables still without an example (being split or rewritten at the time of writing)
MISSING: dict[str, set[str]] = {}


def _all_names(tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            try:
                return list(ast.literal_eval(node.value))
            except ValueError:
                return None
    return None


def _is_property(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    names = {d.id if isinstance(d, ast.Name) else d.attr if isinstance(d, ast.Attribute) else "" for d in fn.decorator_list}
    return bool(names & {"property", "cached_property", "setter", "overload"})


def _has_examples(node) -> bool:
    doc = ast.get_docstring(node) or ""
    return "\nExamples\n--------\n" in f"\n{doc}\n" and ">>> " in doc.split("Examples\n--------", 1)[1]


def public_callables() -> dict[str, dict[str, bool]]:
    """module -> qualified name -> has an Examples section with a doctest."""
    out: dict[str, dict[str, bool]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        if any(p.startswith("_") for p in rel.parts if p != "__init__"):
            continue
        mod = ".".join(p for p in rel.parts if p != "__init__")
        tree = ast.parse(path.read_text("utf-8"))
        exported = _all_names(tree)
        found: dict[str, bool] = {}
        for node in tree.body:
            name = getattr(node, "name", None)
            if name is None or name.startswith("_") or (exported is not None and name not in exported):
                continue
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                found[name] = _has_examples(node)
            elif isinstance(node, ast.ClassDef):
                for m in node.body:
                    if (isinstance(m, ast.FunctionDef | ast.AsyncFunctionDef) and not m.name.startswith("_")
                            and not _is_property(m)):
                        found[f"{name}.{m.name}"] = _has_examples(m)
        if found:
            out[mod] = found
    return out


def test_the_reader_finds_a_function_without_examples(tmp_path):
    tree = ast.parse('def f():\n    """Do.\n\n    Examples\n    --------\n    >>> 1\n    1\n    """\n\n'
                     'def g():\n    """Do, with no example."""\n')
    assert [_has_examples(n) for n in tree.body] == [True, False]


def test_every_public_callable_has_an_example():
    found = public_callables()
    missing = sorted(f"{m}.{n}" for m, names in found.items() for n, ok in names.items()
                     if not ok and n not in MISSING.get(m, set()))
    assert not missing, ("public functions/methods without an Examples section (a short doctest that "
                         "runs in < 1 s):\n  " + "\n  ".join(missing))


def test_the_list_of_exceptions_only_shrinks():
    found = public_callables()
    stale = sorted(f"{m}.{n}" for m, names in MISSING.items() for n in names
                   if found.get(m, {}).get(n, True))
    assert not stale, "in MISSING but has an example now (or is gone): remove from the list:\n  " + "\n  ".join(stale)
