"""A small declarative schema for scenario files: check, normalise, explain.

The scenario loader describes the accepted TOML structure with the node
types below; :func:`check` walks a parsed document, collects every problem
(key path, value, what was expected — with a "did you mean" for unknown
keys) and returns the normalised document with defaults filled in.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from simkit.errors import Problem, did_you_mean

_MISSING = object()
#: Largest magnitude of any number in a scenario (1e15: a million billion, of any currency).
MAX_MAGNITUDE = 1e15


#: One problem found by :func:`check`: (key path, value, what was expected).
#: The same class as :class:`simkit.errors.Problem` (its ``where`` is the key path).
Issue = Problem


def _type_name(v: Any) -> str:
    return type(v).__name__


def join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class Node:
    required: bool = False
    default: Any = _MISSING
    doc: str = ""

    def check(self, value: Any, path: str, issues: list[Issue]) -> Any:  # pragma: no cover
        raise NotImplementedError


@dataclass
class Str(Node):
    required: bool = False
    default: Any = _MISSING
    choices: tuple[str, ...] | None = None
    doc: str = ""

    def check(self, value, path, issues):
        if not isinstance(value, str):
            issues.append(Issue(path, value, "a text string"))
            return _MISSING
        if self.choices is not None and value not in self.choices:
            hint = did_you_mean(value, self.choices)
            issues.append(Issue(path, value, f"one of {', '.join(map(repr, self.choices))}{hint}"))
            return _MISSING
        return value


@dataclass
class Num(Node):
    """A real number (TOML integers accepted) with optional bounds."""

    required: bool = False
    default: Any = _MISSING
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    integer: bool = False
    doc: str = ""

    def describe(self) -> str:
        kind = "a whole number" if self.integer else "a number"
        parts = []
        if self.min is not None:
            parts.append(f"{'>' if self.min_exclusive else '>='} {self.min:g}")
        if self.max is not None:
            parts.append(f"<= {self.max:g}")
        return kind + (" " + " and ".join(parts) if parts else "")

    def check(self, value, path, issues):
        ok_type = isinstance(value, int | float) and not isinstance(value, bool)
        if self.integer:
            ok_type = isinstance(value, int) and not isinstance(value, bool)
        if not ok_type or (isinstance(value, float) and not math.isfinite(value)):
            issues.append(Issue(path, value, self.describe()))
            return _MISSING
        if self.min is not None and (value < self.min or (self.min_exclusive and value == self.min)):
            issues.append(Issue(path, value, self.describe()))
            return _MISSING
        if self.max is not None and value > self.max:
            issues.append(Issue(path, value, self.describe()))
            return _MISSING
        if abs(value) > MAX_MAGNITUDE:  # sums of squares of such numbers overflow to inf
            issues.append(Issue(path, value, f"{self.describe()} of magnitude at most {MAX_MAGNITUDE:g}"))
            return _MISSING
        return int(value) if self.integer else float(value)


def Prob(**kw) -> Num:
    """Return a probability or share in [0, 1]."""
    return Num(min=0.0, max=1.0, **kw)


@dataclass
class Date(Node):
    required: bool = False
    default: Any = _MISSING
    doc: str = ""

    def check(self, value, path, issues):
        if isinstance(value, _dt.datetime):
            return value.date()
        if isinstance(value, _dt.date):
            return value
        if isinstance(value, str):
            try:
                return _dt.date.fromisoformat(value)
            except ValueError:
                pass
        issues.append(Issue(path, value, "a date written YYYY-MM-DD (TOML date, no quotes)"))
        return _MISSING


@dataclass
class Table(Node):
    fields: Mapping[str, Node] = field(default_factory=dict)
    required: bool = False
    default: Any = _MISSING
    #: extra cross-field check: f(normalised dict, path, issues)
    post: Callable[[dict, str, list[Issue]], None] | None = None
    doc: str = ""

    def check(self, value, path, issues):
        if not isinstance(value, Mapping):
            issues.append(Issue(path or "(top level)", value, "a table"))
            return _MISSING
        out: dict[str, Any] = {}
        n_before = len(issues)
        for key, v in value.items():
            if key not in self.fields:
                hint = did_you_mean(key, list(self.fields), cutoff=0.5, sep="; ")
                valid = ", ".join(sorted(self.fields))
                issues.append(Issue(join(path, key), v, f"no such key{hint} (valid keys: {valid})"))
                continue
            checked = self.fields[key].check(v, join(path, key), issues)
            if checked is not _MISSING:
                out[key] = checked
        for key, node in self.fields.items():
            if key in value:
                continue
            if node.required:
                issues.append(Issue(join(path, key), None, f"a value ({_describe(node)})"))
            elif node.default is not _MISSING:
                val = node.default() if callable(node.default) else node.default
                # run defaults through the node so nested defaults are filled in
                out[key] = node.check(val, join(path, key), issues) if isinstance(node, Table) else val
        if self.post is not None and len(issues) == n_before:
            self.post(out, path, issues)
        return out


@dataclass
class ListOf(Node):
    item: Node = field(default_factory=Node)
    required: bool = False
    default: Any = _MISSING
    min_len: int = 0
    doc: str = ""

    def check(self, value, path, issues):
        if not isinstance(value, list):
            issues.append(Issue(path, value, "a list (array)"))
            return _MISSING
        if len(value) < self.min_len:
            issues.append(Issue(path, value, f"at least {self.min_len} entries"))
            return _MISSING
        out = []
        ok = True
        for i, v in enumerate(value):
            c = self.item.check(v, join(path, i), issues)
            ok &= c is not _MISSING
            out.append(c)
        return out if ok else _MISSING


@dataclass
class MapOf(Node):
    """A table whose keys are free (or limited to ``keys``) with values of one schema."""

    value: Node = field(default_factory=Node)
    keys: tuple[str, ...] | None = None
    required: bool = False
    default: Any = _MISSING
    doc: str = ""

    def check(self, value, path, issues):
        if not isinstance(value, Mapping):
            issues.append(Issue(path, value, "a table"))
            return _MISSING
        out = {}
        for k, v in value.items():
            if self.keys is not None and k not in self.keys:
                hint = did_you_mean(k, self.keys, cutoff=0.5, sep="; ")
                issues.append(Issue(join(path, k), v, f"a known name{hint} (valid: {', '.join(self.keys)})"))
                continue
            c = self.value.check(v, join(path, k), issues)
            if c is not _MISSING:
                out[k] = c
        return out


@dataclass
class OneOf(Node):
    """A value accepted by a custom checker function ``fn(value, path, issues)``."""

    fn: Callable[[Any, str, list[Issue]], Any] = field(default=lambda v, p, i: v)
    required: bool = False
    default: Any = _MISSING
    doc: str = ""

    def check(self, value, path, issues):
        return self.fn(value, path, issues)


def _describe(node: Node) -> str:
    if isinstance(node, Num):
        return node.describe()
    if isinstance(node, Str):
        return "one of " + ", ".join(node.choices) if node.choices else "a text string"
    if isinstance(node, Date):
        return "a date YYYY-MM-DD"
    if isinstance(node, Table):
        return "a table"
    if isinstance(node, ListOf):
        return "a list"
    return node.doc or "a value"


def check(schema: Node, doc: Mapping[str, Any]) -> tuple[dict, list[Issue]]:
    """Validate and normalise ``doc``; returns (normalised, issues)."""
    issues: list[Issue] = []
    out = schema.check(doc, "", issues)
    return (out if out is not _MISSING else {}), issues


MISSING = _MISSING


def refuse(issues: list[Issue], path: str, value: Any, expected: str) -> Any:
    """Record an issue and return :data:`MISSING`: the tail of a :class:`OneOf` checker.

    Examples
    --------
    >>> issues: list[Issue] = []
    >>> refuse(issues, "states.job.absorbing", "yes", "true or false") is MISSING
    True
    >>> issues[0].expected
    'true or false'
    """
    issues.append(Issue(path, value, expected))
    return MISSING
