"""Two-way sensitivity analysis: any two parameters on a grid.

The two parameters take every combination of their grid values; all other
uncertain parameters stay at their central values. Every grid cell is
simulated on the same ``draws`` cohort realisations (same seed: common random
numbers), so the surface is smooth and monotone wherever the model is
monotone draw by draw (e.g. P(completion target met) in the completion rate).

Outputs are those of the tornado (:mod:`simkit.sensitivity.oneway`):
``p_neutral``, ``repayment_mean``, ``net_mean``, ``p_repayment``,
``fund_multiple_mean`` and ``p_met:<target>``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simkit.errors import InputError, Problem
from simkit.results import mean_and_se
from simkit.results.base import Provenance, Result
from simkit.rng import RngLike, root_seed
from simkit.sensitivity.model_common import (
    DEFAULT_SEED,
    as_scenario,
    central_values,
    check_count,
    check_level,
    check_params,
    check_ranges,
    output_names,
    per_draw,
    provenance,
    run_model,
)
from simkit.spec import MODEL_PARAMETERS

__all__ = ["TwoWayResult", "default_axes", "twoway"]


@dataclass(frozen=True, repr=False)
class TwoWayResult(Result):
    """Outputs on a grid of two parameters.

    Attributes
    ----------
    x, y : str
        Parameter names (``x`` varies along the first grid axis).
    x_values, y_values : numpy.ndarray
    outputs : tuple of str
    values, se : numpy.ndarray, shape (outputs, len(x_values), len(y_values))
        Expectation over the cohort draws, and its Monte Carlo SE.
    draws : int
        Cohort realisations per grid cell.
    currency : str
    provenance : Provenance
    """

    x: str
    y: str
    x_values: np.ndarray
    y_values: np.ndarray
    outputs: tuple[str, ...]
    values: np.ndarray
    se: np.ndarray
    draws: int
    currency: str = "DKK"
    provenance: Provenance = field(default_factory=lambda: Provenance.of(None, seed=None, draws=0),
                                   repr=False, compare=False)

    def grid(self, output: str = "p_neutral") -> pd.DataFrame:
        """One output as a table: rows ``y`` values, columns ``x`` values.

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> from simkit.sensitivity import twoway
        >>> res = twoway(sc, "completion_rate", "outcome_rate_bau", n_grid=2, draws=20, seed=1)
        >>> res.grid("p_neutral").shape
        (2, 2)
        """
        if output not in self.outputs:
            raise InputError(Problem("output", output, f"one of {', '.join(self.outputs)}"))
        j = self.outputs.index(output)
        return pd.DataFrame(self.values[j].T, index=pd.Index(self.y_values, name=self.y),
                            columns=pd.Index(self.x_values, name=self.x))

    def to_frame(self) -> pd.DataFrame:
        """One row per grid cell; a column per output and ``<output>_se``.

        Returns
        -------
        pandas.DataFrame
            Index ``(x, y)`` named by the parameters.

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> from simkit.sensitivity import twoway
        >>> res = twoway(sc, "completion_rate", "outcome_rate_bau", n_grid=2, draws=20, seed=1)
        >>> res.to_frame().shape[0]  # 2 x 2 grid cells
        4
        """
        idx = pd.MultiIndex.from_product([self.x_values, self.y_values], names=[self.x, self.y])
        cols: dict[str, np.ndarray] = {}
        for j, o in enumerate(self.outputs):
            cols[o] = self.values[j].ravel()
            cols[f"{o}_se"] = self.se[j].ravel()
        return pd.DataFrame(cols, index=idx)

    def to_dict(self) -> dict[str, Any]:
        """Return the stable JSON structure (:meth:`_result_dict`) with a ``"provenance"`` entry.

        Returns
        -------
        dict

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> from simkit.sensitivity import twoway
        >>> res = twoway(sc, "completion_rate", "outcome_rate_bau", n_grid=2, draws=20, seed=1)
        >>> res.to_dict()["x"], res.to_dict()["provenance"]["draws"]
        ('completion_rate', 20)
        """
        return {**self._result_dict(), "provenance": self.provenance.as_dict()}

    def _result_dict(self) -> dict[str, Any]:
        """Stable JSON structure (``--method twoway``, key ``result``).

        ``values[output][i][k]`` is the output at ``x_values[i]``,
        ``y_values[k]``; ``se`` likewise.
        """
        return {"x": self.x, "y": self.y, "x_values": self.x_values.tolist(),
                "y_values": self.y_values.tolist(), "draws_per_cell": self.draws,
                "currency": self.currency, "outputs": list(self.outputs),
                "values": {o: self.values[j].tolist() for j, o in enumerate(self.outputs)},
                "se": {o: self.se[j].tolist() for j, o in enumerate(self.outputs)}}

    def text(self, output: str = "p_neutral") -> str:
        """Write the grid of one output as plain text.

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> from simkit.sensitivity import twoway
        >>> res = twoway(sc, "completion_rate", "outcome_rate_bau", n_grid=2, draws=20, seed=1)
        >>> res.text().startswith("Two-way sensitivity: p_neutral")
        True
        """
        g = self.grid(output)
        prob = output.startswith("p_")
        fmt = (lambda v: f"{v:7.1%}") if prob else (lambda v: f"{v:>12,.0f}")
        width = 7 if prob else 12
        corner = f"{self.y} / {self.x}"
        head = f"{corner:>24}  " + "  ".join(f"{v:>{width}.4g}" for v in g.columns)
        lines = [f"Two-way sensitivity: {output} ({self.draws:,} cohort draws per cell, "
                 "common random numbers)", head]
        for yv, row in g.iterrows():
            lines.append(f"{yv:>24.4g}  " + "  ".join(fmt(v) for v in row))
        return "\n".join(lines)

    def __repr__(self) -> str:
        """Return the plain-text summary."""
        return self.text()


def _grid(values: Sequence[float] | None, lo: float, hi: float, n: int, name: str) -> np.ndarray:
    if values is None:
        return np.linspace(lo, hi, n)
    try:
        v = np.asarray([float(x) for x in values])
    except (TypeError, ValueError):
        raise InputError(Problem(name, values, "a list of numbers")) from None
    if v.size < 1 or not np.all(np.isfinite(v)):
        raise InputError(Problem(name, list(values), "at least one finite number"))
    return v


def default_axes(scenario: Any) -> tuple[str, str]:
    """Pick the two-way grid's default axes: the first two uncertain parameters, in declaration order.

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    (str, str)

    Examples
    --------
    >>> import simkit
    >>> default_axes(simkit.load_scenario("sundinvest_2021"))
    ('dropout_mean_weeks', 'weeks_to_own_job')
    """
    sc = as_scenario(scenario)
    names = [n for n, p in sc.parameters.items() if not p.dist.is_fixed]
    if len(names) < 2:
        raise InputError(Problem("parameters", names, "at least two uncertain parameters for a two-way grid"))
    return names[0], names[1]


def twoway(
    scenario: Any = None,
    x: str | None = None,
    y: str | None = None,
    *,
    x_values: Sequence[float] | None = None,
    y_values: Sequence[float] | None = None,
    n_grid: int = 7,
    draws: int = 1000,
    seed: RngLike = DEFAULT_SEED,
    level: float = 0.95,
    ranges: Mapping[str, Sequence[float]] | None = None,
    workers: int = 1,
    backend: str | None = None,
    chunk_size: int | None = None,
    progress: bool = False,
) -> TwoWayResult:
    """Two-way sensitivity of the outputs to parameters ``x`` and ``y``.

    Parameters
    ----------
    scenario : optional
        Default the embedded scenario.
    x, y : str, optional
        Parameter names; default the scenario's first two uncertain
        parameters in declaration order (:func:`default_axes`), for either
        scenario version.
    x_values, y_values : sequence of float, optional
        Grid values; default ``n_grid`` evenly spaced values over the
        parameter's range (named low/high, else the central ``level``
        interval, or ``ranges``).
    n_grid : int, default 7
    draws : int, default 1000
        Cohort realisations per grid cell.
    seed : None, int, SeedSequence or Generator
        Root seed (:func:`simkit.rng.root_seed`), the same for every cell
        (common random numbers).
    level : float
    ranges : mapping name -> (low, high), optional
    workers, backend, chunk_size, progress
        Passed to :func:`simkit.simulate` (``progress``: tqdm bars over each run's chunks).

    Returns
    -------
    TwoWayResult

    Examples
    --------
    >>> from simkit.sensitivity import twoway
    >>> res = twoway(n_grid=2, draws=200, seed=1)
    >>> res.grid("p_neutral").shape
    (2, 2)
    """
    sc = as_scenario(scenario)
    if x is None or y is None:
        dx, dy = default_axes(sc)
        x, y = x or (dy if dx == y else dx), y or (dx if dy == x else dy)
    rng_over = check_ranges(sc, ranges)
    given = tuple(n for n, v in ((x, x_values), (y, y_values)) if v is not None)
    names = check_params(sc, [x, y], where="x, y", allow_fixed=(*rng_over, *given))
    n_grid = check_count("n_grid", n_grid, 2)
    draws = check_count("draws", draws, 2)
    level = check_level(level)
    seed = root_seed(seed)

    grids = []
    for name, vals in zip(names, (x_values, y_values), strict=True):
        lo, hi = rng_over.get(name) or sc.parameters[name].range(level)
        g = _grid(vals, lo, hi, n_grid, f"{name} values")
        _, bmin, bmax = MODEL_PARAMETERS.get(name, ("", -math.inf, math.inf))
        if g.min() < bmin or g.max() > bmax:
            raise InputError(Problem(f"{name} values", g.tolist(), f"values within [{bmin:g}, {bmax:g}]"))
        grids.append(g)
    gx, gy = grids
    central = central_values(sc)
    outs = output_names(sc)
    values = np.empty((len(outs), gx.size, gy.size))
    se = np.empty_like(values)
    for i, xv in enumerate(gx):
        for k, yv in enumerate(gy):
            dr = run_model(sc, draws, seed=int(seed), fixed={**central, x: float(xv), y: float(yv)},
                           workers=workers, backend=backend, chunk_size=chunk_size, progress=progress)
            pdw = per_draw(dr, sc)
            for j, o in enumerate(outs):
                values[j, i, k], se[j, i, k] = mean_and_se(pdw[o])
    return TwoWayResult(x, y, gx, gy, outs, values, se, draws, sc.currency,
                        provenance(sc, int(seed), draws=draws, method="twoway"))
