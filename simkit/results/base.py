"""The one result interface every result object shares, and the one provenance format.

Every result of simkit (a simulation, an evaluation, a sensitivity analysis, a
contract design, a portfolio, ...) is a :class:`Result`:

* ``to_dict()`` — the stable JSON structure (plain Python types; it holds a
  ``"provenance"`` entry in the format of :meth:`Provenance.as_dict`);
* ``to_frame()`` — the main table as a :class:`pandas.DataFrame` with numeric
  dtypes (some results take a ``kind=`` to choose another table);
* ``to_json()`` — ``to_dict()`` as strict JSON (NaN and infinities → ``null``);
* ``to_text()`` (also ``str(result)``) — a plain-text view for a terminal;
* ``to_html()`` (also the notebook view) — an HTML table;
* ``provenance`` — a :class:`Provenance`: enough to reproduce the result exactly.

A subclass defines ``to_dict`` and ``to_frame`` and carries a ``provenance``
attribute (a dataclass field or a property); the other views have defaults
built on those two and may be overridden. A wall-clock time is never part of
``to_dict`` (results must be reproducible byte for byte).
"""

from __future__ import annotations

import dataclasses
import html
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from simkit import __version__

__all__ = ["Provenance", "Result", "fields_dict", "jsonable", "seed_of"]


def jsonable(obj: Any) -> Any:
    """Return a plain-JSON version of ``obj``: numpy scalars/arrays to Python, NaN/inf to ``None``.

    Parameters
    ----------
    obj : Any
        Nested dicts, lists, tuples, numpy arrays and scalars.

    Returns
    -------
    Any
        The same structure with only JSON types.

    Examples
    --------
    >>> jsonable({"a": np.float64(1.5), "b": [np.nan, np.int32(2)], "c": np.arange(2)})
    {'a': 1.5, 'b': [None, 2], 'c': [0, 1]}
    """
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def seed_of(rng: Any) -> int | None:
    """Return the whole-number seed an ``rng=`` argument names, else ``None``.

    A result computed with a ``Generator`` or ``SeedSequence`` (or fresh entropy) records no seed.

    Parameters
    ----------
    rng : Any
        The ``rng``/``seed`` argument as given.

    Returns
    -------
    int or None

    Examples
    --------
    >>> seed_of(7), seed_of(np.random.default_rng(7)), seed_of(True)
    (7, None, None)
    """
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool) and rng >= 0:
        return int(rng)
    return None


def fields_dict(obj: Any, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """Return a dataclass result's fields as plain JSON, its ``provenance`` as :meth:`Provenance.as_dict`.

    The ``to_dict`` of the array-level results: one key per field, in field order.

    Parameters
    ----------
    obj : dataclass instance
    exclude : tuple of str
        Fields left out.

    Returns
    -------
    dict

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class R:
    ...     x: np.ndarray
    ...     provenance: Provenance
    >>> fields_dict(R(np.arange(2), Provenance("0", None, None, (), None, 2)))["x"]
    [0, 1]
    """
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        if f.name in exclude:
            continue
        v = getattr(obj, f.name)
        out[f.name] = v.as_dict() if isinstance(v, Provenance) else jsonable(v)
    return out


@dataclass(frozen=True)
class Provenance:
    """Where a result came from: enough to reproduce it exactly (one format for every result).

    Attributes
    ----------
    simkit_version : str
    scenario_name, scenario_sha256 : str
        The (layered) scenario's name and the hash of its merged content.
    sources : tuple of str
        The scenario's layers, in order.
    seed : int or None
        The run's seed (``None`` for a result that draws no random numbers).
    draws : int
        Monte Carlo draws behind the result (0 if none).
    nested : (outer, inner) or None
        Nested draws: parameter sets × cohort replications.
    fixed : tuple of str
        Parameters held fixed.
    extra : mapping
        Further facts a result of this kind needs to be reproduced (e.g. the data file's
        hash, the evaluation date, a method's settings), appended to :meth:`as_dict` after
        the common keys. No wall-clock time.

    Examples
    --------
    >>> p = Provenance("0.2.0", "norddjurs", "ab12", ("norddjurs",), 2025, 1000, extra={"method": "tornado"})
    >>> sorted(p.as_dict())
    ['draws', 'fixed_parameters', 'method', 'nested', 'scenario', 'seed', 'simkit_version']
    """

    simkit_version: str
    scenario_name: str | None
    scenario_sha256: str | None
    sources: tuple[str, ...]
    seed: int | None
    draws: int
    nested: tuple[int, int] | None = None
    fixed: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, scenario: Any, *, seed: int | None, draws: int, nested: tuple[int, int] | None = None,
           fixed: tuple[str, ...] = (), **extra: Any) -> Provenance:
        """Build the provenance of a result computed from ``scenario``.

        Parameters
        ----------
        scenario : Scenario, ModelScenario or None
            Anything with ``name``, ``sha256`` and ``sources``; ``None`` for a result computed
            from arrays alone (the array-level core of :mod:`simkit.sensitivity`): its
            ``scenario`` entry is then ``{"name": null, "sha256": null, "sources": []}``.
        seed : int or None
            The seed used.
        draws : int
            Monte Carlo draws behind the result.
        nested : (int, int), optional
            Outer × inner draws.
        fixed : tuple of str
            Parameters held fixed.
        **extra
            Further entries of :attr:`extra`.

        Returns
        -------
        Provenance

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs")
        >>> d = Provenance.of(sc, seed=1, draws=10, method="example").as_dict()
        >>> d["scenario"]["sha256"] == sc.sha256, d["draws"], d["method"]
        (True, 10, 'example')
        >>> Provenance.of(None, seed=None, draws=0).as_dict()["scenario"]
        {'name': None, 'sha256': None, 'sources': []}
        """
        if scenario is None:
            return cls(__version__, None, None, (), seed, int(draws), nested, tuple(fixed), dict(extra))
        return cls(__version__, scenario.name, scenario.sha256, tuple(scenario.sources), seed, int(draws),
                   nested, tuple(fixed), dict(extra))

    def as_dict(self) -> dict[str, Any]:
        """Return the stable JSON structure: the common keys, then :attr:`extra`.

        Returns
        -------
        dict
            ``simkit_version``, ``scenario`` (name, sha256, sources), ``seed``, ``draws``,
            ``nested``, ``fixed_parameters``, then the entries of :attr:`extra`.

        Examples
        --------
        >>> Provenance("0.2.0", "s", "00", ("s",), None, 0).as_dict()["seed"] is None
        True
        """
        return {"simkit_version": self.simkit_version,
                "scenario": {"name": self.scenario_name, "sha256": self.scenario_sha256,
                             "sources": list(self.sources)},
                "seed": self.seed, "draws": self.draws,
                "nested": list(self.nested) if self.nested else None,
                "fixed_parameters": list(self.fixed),
                **jsonable(dict(self.extra))}


class Result:
    """Mixin: the views every result object offers (see the module docstring).

    A subclass defines :meth:`to_dict` and :meth:`to_frame` and has a ``provenance``.

    Examples
    --------
    >>> import pandas as pd
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Toy(Result):
    ...     x: float
    ...     provenance: Provenance
    ...     def to_dict(self):
    ...         return {"x": self.x, "provenance": self.provenance.as_dict()}
    ...     def to_frame(self):
    ...         return pd.DataFrame({"x": [self.x]})
    >>> t = Toy(float("nan"), Provenance("0", "s", "00", ("s",), None, 0))
    >>> t.to_json(indent=None)[:10]
    '{"x": null'
    >>> "<table" in t.to_html()
    True
    """

    if TYPE_CHECKING:  # a dataclass field or a property of each subclass
        @property
        def provenance(self) -> Provenance:
            """Where the result came from."""
            ...

    def to_dict(self) -> dict[str, Any]:
        """Return the stable JSON structure (with a ``"provenance"`` entry).

        Returns
        -------
        dict

        Examples
        --------
        >>> from simkit.sensitivity import evpi
        >>> r = evpi(np.array([1.0, -1.0, 2.0]))  # E[max(0, x)] - max(0, E[x]) = 1 - 2/3
        >>> r.to_dict()["provenance"]["draws"], round(r.to_dict()["value"], 3)
        (3, 0.333)
        """
        raise NotImplementedError(f"{type(self).__name__}.to_dict")

    def to_frame(self):  # -> pandas.DataFrame (pandas is imported by the subclasses that build frames)
        """Return the main table as a pandas DataFrame.

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> from simkit.sensitivity import evpi
        >>> evpi(np.array([1.0, -1.0, 2.0])).to_frame().shape
        (1, 10)
        """
        raise NotImplementedError(f"{type(self).__name__}.to_frame")

    def to_json(self, indent: int | None = 2) -> str:
        """Return :meth:`to_dict` as strict JSON (NaN and infinities become ``null``).

        Parameters
        ----------
        indent : int or None
            Indentation, as for :func:`json.dumps`.

        Returns
        -------
        str

        Examples
        --------
        >>> from simkit.sensitivity import evpi
        >>> r = evpi(np.array([1.0, -1.0, 2.0]))  # E[max(0, x)] - max(0, E[x]) = 1 - 2/3
        >>> r.to_json(indent=None)[:16]
        '{"kind": "EVPI",'
        """
        return json.dumps(jsonable(self.to_dict()), indent=indent, ensure_ascii=False, allow_nan=False)

    def to_text(self) -> str:
        """Return a plain-text view: the result's own ``text()`` or ``__repr__`` if it has one, else the main table.

        Returns
        -------
        str

        Examples
        --------
        >>> from simkit.sensitivity import evpi
        >>> r = evpi(np.array([1.0, -1.0, 2.0]))  # E[max(0, x)] - max(0, E[x]) = 1 - 2/3
        >>> r.to_text() == str(r) == repr(r)
        True
        """
        own = getattr(self, "text", None)
        if callable(own):
            return str(own())
        for cls in type(self).__mro__:  # a summary of the class's own (as ``print`` showed it before)
            if cls is Result:
                break
            if "__repr__" in cls.__dict__:
                return repr(self)
        return str(self.to_frame().to_string())

    def to_html(self) -> str:
        """Return an HTML view (default: the main table with the class name as caption).

        Returns
        -------
        str

        Examples
        --------
        >>> from simkit.sensitivity import evpi
        >>> r = evpi(np.array([1.0, -1.0, 2.0]))  # E[max(0, x)] - max(0, E[x]) = 1 - 2/3
        >>> r.to_html().startswith("<table")
        True
        """
        table = self.to_frame().to_html(classes="simkit-result", border=0, na_rep="")
        cap = html.escape(type(self).__name__)
        return table.replace(">", f"><caption style=\"text-align:left\">{cap}</caption>", 1) \
            if table.startswith("<table") else table

    def __str__(self) -> str:
        """Return :meth:`to_text`."""
        return self.to_text()

    def to_dict_without_provenance(self) -> dict[str, Any]:
        """Return :meth:`to_dict` less its ``"provenance"`` entry (for a file whose header holds it).

        Returns
        -------
        dict

        Examples
        --------
        >>> from simkit.sensitivity import evpi
        >>> r = evpi(np.array([1.0, -1.0, 2.0]))  # E[max(0, x)] - max(0, E[x]) = 1 - 2/3
        >>> "provenance" in r.to_dict_without_provenance()
        False
        """
        return {k: v for k, v in self.to_dict().items() if k != "provenance"}

    def _repr_html_(self) -> str:
        return self.to_html()
