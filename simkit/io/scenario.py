"""Reading scenario files (TOML), layering them, and the embedded default.

This module only reads and merges files; :mod:`simkit.scenario` builds the
validated scenario from what it returns (:func:`simkit.load_scenario`).

A scenario is one TOML file or several layered in order: each later file
overrides the earlier ones key by key (tables merge recursively; a list —
e.g. ``contract.targets`` — is replaced as a whole), except the top-level
``changes`` list (dated parameter changes), which accumulates so that
several reform files can be stacked, and each ``parameters.<name>``, which
is replaced whole (a fixed value never mixes with an earlier distribution).

The default scenario ships inside the package (``simkit/_data/scenarios``
in a wheel) and is read through :mod:`importlib.resources`; in a source
checkout it is read from ``data/scenarios`` beside the package.
"""

from __future__ import annotations

import copy
import importlib
import importlib.resources
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from simkit.errors import Problem, ScenarioError, mask_cpr

__all__ = ["DEFAULT_SCENARIO", "MAX_DEPTH", "embedded_scenarios", "merge_documents", "read_layers", "read_toml"]

DEFAULT_SCENARIO = "norddjurs"
_ACCUMULATE = ("changes",)


def _scenario_dir():
    packaged = importlib.resources.files("simkit") / "_data" / "scenarios"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "data" / "scenarios"


def embedded_scenarios() -> list[str]:
    """Names of the scenarios shipped with simkit (``load_scenario(name)`` loads one).

    Examples
    --------
    >>> {"norddjurs", "norddjurs_v1"} <= set(embedded_scenarios())
    True
    """
    return sorted(p.name[:-5] for p in _scenario_dir().iterdir() if p.name.endswith(".toml"))


#: Deepest nesting of tables and arrays accepted in a scenario file (the schema needs about 6).
MAX_DEPTH = 32


def read_toml(path: str | Path) -> tuple[str, dict[str, Any]]:
    """Read one scenario file; returns (label, document). Raises ScenarioError.

    The label is the path as given, with CPR-like numbers masked (it is
    printed and recorded in provenance).

    Examples
    --------
    >>> label, doc = read_toml("norddjurs_v1")  # an embedded name, or a path
    >>> label, doc["agreement"]["cohort_size"]
    ('norddjurs_v1 (embedded)', 95)
    """
    p = Path(path)
    shown = mask_cpr(str(path))
    if not p.exists():
        embedded = _scenario_dir() / f"{p.name.removesuffix('.toml')}.toml"
        if p.parent == Path(".") and embedded.is_file():
            return f"{p.name.removesuffix('.toml')} (embedded)", tomllib.loads(embedded.read_text("utf-8"))
        raise ScenarioError(Problem(shown, None,
                                    "an existing TOML scenario file or an embedded scenario name "
                                    f"({', '.join(embedded_scenarios())})"))
    if not p.is_file():
        raise ScenarioError(Problem(shown, None, "a TOML scenario file, not a folder"))
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ScenarioError(Problem(shown, None, f"a readable file ({exc.strerror})")) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(Problem(shown, f"byte {exc.start}", "a UTF-8 text file")) from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(Problem(shown, None, f"valid TOML syntax ({exc})")) from None
    except RecursionError:
        raise ScenarioError(Problem(shown, None, f"tables and arrays nested at most {MAX_DEPTH} deep "
                                                 "(the file nests far deeper)")) from None
    if _depth(doc) > MAX_DEPTH:
        raise ScenarioError(Problem(shown, None, f"tables and arrays nested at most {MAX_DEPTH} deep"))
    return shown, doc


def _depth(doc: Any) -> int:
    """Nesting depth of tables and arrays, without recursion."""
    deepest, stack = 0, [(doc, 0)]
    while stack:
        v, d = stack.pop()
        deepest = max(deepest, d)
        if d > MAX_DEPTH:
            break
        if isinstance(v, Mapping):
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, d + 1) for x in v)
    return deepest


def merge_documents(
    layers: Sequence[tuple[str, Mapping[str, Any]]],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Layer documents in order; returns (merged, provenance key path -> label).

    Examples
    --------
    >>> merged, prov = merge_documents([("a.toml", {"x": {"y": 1, "z": 2}, "changes": [1]}),
    ...                                 ("b.toml", {"x": {"y": 3}, "changes": [2]})])
    >>> merged, prov["x.y"], prov["x.z"]  # tables merge key by key, ``changes`` accumulates
    ({'x': {'y': 3, 'z': 2}, 'changes': [1, 2]}, 'b.toml', 'a.toml')
    """
    merged: dict[str, Any] = {}
    prov: dict[str, str] = {}

    def walk(dst: dict, src: Mapping, path: str, label: str, top: bool) -> None:
        for k, v in src.items():
            kp = f"{path}.{k}" if path else k
            prov[kp] = label
            atomic = path == "parameters"  # a parameter is replaced whole, never mixed
            if isinstance(v, Mapping) and isinstance(dst.get(k), dict) and not atomic:
                walk(dst[k], v, kp, label, False)
            elif top and k in _ACCUMULATE and isinstance(v, list) and isinstance(dst.get(k), list):
                dst[k] = dst[k] + copy.deepcopy(v)
            else:
                if k in dst:  # (only then: scanning every key for each new one is quadratic)
                    for stale in [p for p in prov if p.startswith((kp + ".", kp + "["))]:
                        del prov[stale]  # the replaced subtree's keys no longer come from earlier files
                dst[k] = copy.deepcopy(dict(v)) if isinstance(v, Mapping) else copy.deepcopy(v)
                _mark(dst[k], kp, label)

    def _mark(v: Any, path: str, label: str) -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                prov[f"{path}.{k}"] = label
                _mark(x, f"{path}.{k}", label)
        elif isinstance(v, list):
            for i, x in enumerate(v):
                prov[f"{path}[{i}]"] = label
                _mark(x, f"{path}[{i}]", label)

    for label, doc in layers:
        walk(merged, doc, "", label, True)
    return merged, prov


def read_layers(
    source: str | Path | Sequence[str | Path | Mapping[str, Any]] | Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, str], tuple[str, ...]]:
    """Read and layer a scenario's files; returns (merged document, key path -> label, labels).

    Nothing is validated here: :func:`simkit.load_scenario` (in :mod:`simkit.scenario`)
    hands the result to :mod:`simkit.spec` or :mod:`simkit.model.spec`.

    Parameters
    ----------
    source : None, path, embedded name, dict, or a list of these
        ``None`` reads the embedded default. A list is layered in order; a
        dict is an in-memory layer. When the first file is an *override*
        (it has no ``[agreement]`` table), it is layered on the embedded
        default, whose label then comes first.

    Returns
    -------
    doc : dict
        The merged document.
    provenance : dict
        Key path -> label of the file it came from.
    sources : tuple of str
        The labels, in layering order.

    Examples
    --------
    >>> doc, prov, sources = read_layers(["norddjurs_v1", {"agreement": {"cohort_size": 40}}])
    >>> doc["agreement"]["cohort_size"], prov["agreement.cohort_size"]
    (40, '(layer 2, in memory)')
    >>> sources
    ('norddjurs_v1 (embedded)', '(layer 2, in memory)')
    """
    if source is None:
        source = [DEFAULT_SCENARIO]
    elif isinstance(source, str | Path | Mapping):
        source = [source]
    layers = []
    for i, s in enumerate(source):
        if isinstance(s, Mapping):
            layers.append((f"(layer {i + 1}, in memory)", s))
        else:
            layers.append(read_toml(s))
    if layers and not isinstance(source[0], Mapping) and "agreement" not in layers[0][1]:
        layers.insert(0, read_toml(DEFAULT_SCENARIO))  # an override file: put it on the default
    doc, prov = merge_documents(layers)
    return doc, prov, tuple(label for label, _ in layers)


#: names that moved to :mod:`simkit.scenario` (they build a Scenario, which io does not)
_MOVED = ("auto_base", "load_scenario")


def __getattr__(name: str):
    """Compatibility alias: ``simkit.io.scenario.load_scenario`` is :func:`simkit.load_scenario`.

    The builder sits above io (``simkit.scenario`` imports io, never the other
    way), so the alias is resolved by name on first use.
    """
    if name in _MOVED:
        # compatibility alias, resolved on first use (start-up speed; io never imports the spec at import)
        return getattr(importlib.import_module("simkit.scenario"), name)
    raise AttributeError(f"module 'simkit.io.scenario' has no attribute {name!r}")
