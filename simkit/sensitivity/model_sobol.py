"""Sobol' indices of the simkit model: :func:`sobol_model` and its result.

What the Sobol' output is
-------------------------
Each Monte Carlo draw of simkit is a parameter set *and* a cohort
realisation, so ``Y = h(θ, U)`` is random even for fixed parameters ``θ``.
The Sobol' analysis is of ``g(θ) = E[Y | θ]`` — what better knowledge of
the parameters could change — estimated for every design row by the mean of
``inner`` independent cohorts (``fixed`` per-draw arrays, each row repeated
``inner`` times). The cohort noise left in that mean, ``σ²/inner`` with
``σ² = E[Var(Y | θ)]``, is estimated from the within-row variance and
reported as ``noise_share`` (its share of the variance of the row means).
It biases the raw indices in a known way: the first-order numerator of
Saltelli (2010) is unbiased but the variance ``V`` is inflated by ``σ²/k``,
and Jansen's total-order numerator is inflated by ``σ²/k`` too. The reported
indices are corrected::

    S_i  = S_i,raw · V / (V − σ²/k)
    ST_i = (ST_i,raw · V − σ²/k) / (V − σ²/k)

and so are the bootstrap limits (treating ``σ²/k`` and ``V`` as known: an
approximation; the raw indices and limits are kept). The cohort's own share
of the variance of ``Y`` is what :func:`variance_by_cohort_size` reports.
Inputs are treated as independent (Sobol' indices need it); rank
correlations of the scenario are ignored and flagged.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simkit.errors import InputError, Problem
from simkit.results.base import Provenance, Result
from simkit.rng import RngLike, root_seed
from simkit.sensitivity._common import pct
from simkit.sensitivity.model_common import (
    DEFAULT_SEED,
    _check_outputs,
    _draw_output,
    as_scenario,
    central_values,
    check_count,
    check_params,
    provenance,
    run_model,
)
from simkit.sensitivity.sobol import SobolResult, sobol

__all__ = [
    "ModelSobolResult",
    "sobol_model",
]


@dataclass(frozen=True, repr=False)
class ModelSobolResult(Result):
    """Sobol' indices of ``E[output | parameters]`` for the simkit model.

    Attributes
    ----------
    parameters : tuple of str
        Inputs varied (others are held at their central values).
    outputs : tuple of str
    first_order, total_order : numpy.ndarray, shape (outputs, parameters)
        Indices corrected for the cohort noise left in the row means
        (module docstring).
    first_order_low, first_order_high, total_order_low, total_order_high : numpy.ndarray
        Percentile bootstrap limits, corrected the same way.
    noise_share : numpy.ndarray, shape (outputs,)
        Share of the variance of the row means due to cohort noise
        (``σ² / inner / V``); NaN with ``inner == 1``.
    raw : SobolResult
        The core result on the row means (uncorrected).
    n : int
        Base sample size.
    inner : int
        Cohort realisations averaged per design row.
    n_evaluations : int
        Design rows (parameter sets), ``n × (parameters + 2)``.
    n_cohort_draws : int
        Simulated cohorts, ``n_evaluations × inner``.
    seconds : float
        Wall-clock time; not part of :meth:`to_dict` or of equality (results are reproducible
        byte for byte; ``simkit sensitivity`` prints the time it measures itself).
    held_fixed : tuple of str
        Uncertain parameters held at their central values.
    correlations_ignored : bool
        The scenario has rank correlations, which Sobol' indices ignore.
    provenance : Provenance
    """

    parameters: tuple[str, ...]
    outputs: tuple[str, ...]
    first_order: np.ndarray
    total_order: np.ndarray
    first_order_low: np.ndarray
    first_order_high: np.ndarray
    total_order_low: np.ndarray
    total_order_high: np.ndarray
    noise_share: np.ndarray
    raw: SobolResult = field(repr=False)
    n: int
    inner: int
    n_evaluations: int
    n_cohort_draws: int
    seconds: float = field(compare=False)
    held_fixed: tuple[str, ...]
    correlations_ignored: bool
    provenance: Provenance = field(repr=False)

    def ranked(self, output: str | None = None, order: str = "total") -> tuple[str, ...]:
        """Parameters by decreasing total-order (or first-order) index of one output.

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> from simkit.sensitivity import sobol_model
        >>> res = sobol_model(sc, params=["completion_rate", "outcome_rate_bau"], outputs=["repayment"], n=8,
        ...                   inner=2, seed=2, n_resamples=5)
        >>> sorted(res.ranked("repayment"))
        ['completion_rate', 'outcome_rate_bau']
        """
        j = self.outputs.index(output) if output else 0
        v = self.total_order[j] if order == "total" else self.first_order[j]
        return tuple(self.parameters[i] for i in np.argsort(-v, kind="stable"))

    def to_frame(self) -> pd.DataFrame:
        """One row per (output, parameter); corrected and raw indices with limits.

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> from simkit.sensitivity import sobol_model
        >>> res = sobol_model(sc, params=["completion_rate", "outcome_rate_bau"], outputs=["repayment"], n=8,
        ...                   inner=2, seed=2, n_resamples=5)
        >>> res.to_frame().shape
        (2, 9)
        """
        idx = pd.MultiIndex.from_product([list(self.outputs), list(self.parameters)],
                                         names=["output", "parameter"])
        raw = self.raw
        cols = {
            "first_order": self.first_order, "first_order_low": self.first_order_low,
            "first_order_high": self.first_order_high, "total_order": self.total_order,
            "total_order_low": self.total_order_low, "total_order_high": self.total_order_high,
            "first_order_raw": raw.first_order, "total_order_raw": raw.total_order,
            "noise_share": np.repeat(self.noise_share[:, None], len(self.parameters), axis=1),
        }
        return pd.DataFrame({k: np.asarray(v).ravel() for k, v in cols.items()}, index=idx)

    def to_dict(self) -> dict[str, Any]:
        """Return the stable JSON structure (:meth:`_result_dict`) with a ``"provenance"`` entry.

        Returns
        -------
        dict

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> from simkit.sensitivity import sobol_model
        >>> res = sobol_model(sc, params=["completion_rate", "outcome_rate_bau"], outputs=["repayment"], n=8,
        ...                   inner=2, seed=2, n_resamples=5)
        >>> res.to_dict()["n"], "seconds" in res.to_dict()
        (8, False)
        """
        return {**self._result_dict(), "provenance": self.provenance.as_dict()}

    def _result_dict(self) -> dict[str, Any]:
        """Stable JSON structure (``simkit sensitivity --method sobol``, key ``result``)."""
        outs = {}
        for j, o in enumerate(self.outputs):
            outs[o] = {
                "noise_share": float(self.noise_share[j]),
                "indices": [
                    {"parameter": p,
                     "first_order": self.first_order[j, i],
                     "first_order_low": self.first_order_low[j, i],
                     "first_order_high": self.first_order_high[j, i],
                     "total_order": self.total_order[j, i],
                     "total_order_low": self.total_order_low[j, i],
                     "total_order_high": self.total_order_high[j, i],
                     "first_order_raw": self.raw.first_order[j, i],
                     "total_order_raw": self.raw.total_order[j, i]}
                    for i, p in enumerate(self.parameters)],
            }
        return {"parameters": list(self.parameters), "held_fixed": list(self.held_fixed),
                "n": self.n, "inner": self.inner, "n_evaluations": self.n_evaluations,
                "n_cohort_draws": self.n_cohort_draws,
                "confidence_level": self.raw.confidence_level,
                "n_resamples": self.raw.n_resamples,
                "correlations_ignored": self.correlations_ignored, "outputs": outs}

    def text(self) -> str:
        """Write the indices as plain text.

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> from simkit.sensitivity import sobol_model
        >>> res = sobol_model(sc, params=["completion_rate", "outcome_rate_bau"], outputs=["repayment"], n=8,
        ...                   inner=2, seed=2, n_resamples=5)
        >>> res.text().startswith("Sobol' indices of E[output | parameters]: n = 8")
        True
        """
        lvl = f"{100 * self.raw.confidence_level:g} %"
        lines = [f"Sobol' indices of E[output | parameters]: n = {self.n}, {self.n_evaluations:,} "
                 f"parameter sets × {self.inner} cohorts = {self.n_cohort_draws:,} simulated cohorts; "
                 f"{lvl} bootstrap intervals"]
        w = max(len(p) for p in self.parameters)
        for j, o in enumerate(self.outputs):
            lines.append(f"  {o} (cohort noise left in the row means: {pct(self.noise_share[j])})")
            lines.append(f"    {'':<{w}}  {'first order':>22}  {'total order':>22}")
            for p in self.ranked(o):
                i = self.parameters.index(p)
                lines.append(
                    f"    {p:<{w}}  {self.first_order[j, i]:6.3f} [{self.first_order_low[j, i]:6.3f}, "
                    f"{self.first_order_high[j, i]:6.3f}]  {self.total_order[j, i]:6.3f} "
                    f"[{self.total_order_low[j, i]:6.3f}, {self.total_order_high[j, i]:6.3f}]")
        if self.correlations_ignored:
            lines.append("  note: the scenario's rank correlations are ignored (independent inputs)")
        return "\n".join(lines)

    def __repr__(self) -> str:
        """Return the plain-text summary."""
        return self.text()


def _correct(s1: np.ndarray, st: np.ndarray, v: np.ndarray, s2: np.ndarray):
    """Noise-corrected first/total indices (rows = outputs)."""
    v = v[:, None]
    s2 = s2[:, None]
    denom = v - s2
    ok = denom > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        c1 = np.where(ok, s1 * v / denom, np.nan)
        ct = np.where(ok, (st * v - s2) / denom, np.nan)
    return c1, ct


def sobol_model(
    scenario: Any = None,
    *,
    params: Sequence[str] | str | None = None,
    outputs: Sequence[str] | str = ("repayment", "net_pv"),
    n: int = 1024,
    inner: int = 8,
    seed: RngLike = DEFAULT_SEED,
    n_resamples: int = 499,
    confidence_level: float = 0.95,
    batch_draws: int = 262_144,
    workers: int = 1,
    backend: str | None = None,
    progress: bool = False,
) -> ModelSobolResult:
    """Sobol' first- and total-order indices of repayment and net budget effect.

    Parameters
    ----------
    scenario : Scenario, path, name or list, optional
        Default the embedded scenario.
    params : sequence of str or "a,b,c", optional
        Parameters to vary (default every uncertain one); the others are
        held at their central values.
    outputs : sequence of str
        Per-draw outputs (``repayment``, ``repayment_pv``, ``net_pv``,
        ``savings_pv``, ``fund_multiple``, ``neutral`` = 1{net ≥ 0},
        ``no_repayment``, ``met:<target>``); the index is of the output's
        conditional mean given the parameters.
    n : int, default 1024
        Base sample, a power of 2; ``n × (d + 2)`` parameter sets.
    inner : int, default 8
        Cohorts averaged per parameter set (>= 2 to estimate the noise).
    seed : None, int, SeedSequence or Generator
        Seeds the design, the bootstrap and the cohorts
        (:func:`simkit.rng.root_seed`).
    n_resamples : int, default 499
        Bootstrap resamples (0: no intervals).
    confidence_level : float, default 0.95
    batch_draws : int
        Most cohorts simulated per engine call (bounds memory). Batches are
        consecutive draws of one run with ``seed``, so the result does not
        depend on this setting.
    workers, backend, progress
        Passed to :func:`simkit.simulate` (``progress``: tqdm bars over each run's chunks).

    Returns
    -------
    ModelSobolResult

    Examples
    --------
    >>> from simkit.sensitivity import sobol_model
    >>> import simkit
    >>> v1 = simkit.load_scenario("norddjurs_v1")  # the 0.1 model: a quick example
    >>> res = sobol_model(v1, params="completion_rate,outcome_rate_completers", n=64, inner=2,
    ...                   n_resamples=0, seed=1)
    >>> res.n_evaluations, res.n_cohort_draws
    (256, 512)
    """
    sc = as_scenario(scenario)
    names = check_params(sc, params)
    outs = _check_outputs(sc, outputs)
    seed = root_seed(seed)
    inner = check_count("inner", inner)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2 or n & (n - 1):
        raise InputError(Problem("n", n, "a power of 2, at least 2 (e.g. 1024)"))
    n = int(n)
    check_count("n_resamples", n_resamples, 0)
    if not 0 < float(confidence_level) < 1:
        raise InputError(Problem("confidence_level", confidence_level, "a number in (0, 1)"))
    batch_draws = check_count("batch_draws", batch_draws)
    d = len(names)
    central = central_values(sc)
    held = tuple(k for k in central if k not in names)
    dists = [sc.parameters[k].dist for k in names]
    noise = np.full(len(outs), np.nan)
    row_var = np.full(len(outs), np.nan)

    def func(x: np.ndarray) -> np.ndarray:
        m = x.shape[1]
        rows_per_batch = max(1, batch_draws // inner)
        means = np.empty((len(outs), m))
        row_within = np.zeros((len(outs), m))  # summed once at the end: no batch-size rounding
        for start in range(0, m, rows_per_batch):
            stop = min(m, start + rows_per_batch)
            rows = stop - start
            fixed: dict[str, Any] = {k: central[k] for k in held}
            for i, k in enumerate(names):
                fixed[k] = np.repeat(x[i, start:stop], inner)
            # draws [start * inner, stop * inner) of one run: the same cohorts whatever the batches
            dr = run_model(sc, rows * inner, seed=seed, fixed=fixed, workers=workers, backend=backend,
                           first=start * inner, progress=progress)
            for j, o in enumerate(outs):
                y = _draw_output(dr, o).reshape(rows, inner)
                means[j, start:stop] = y.mean(axis=1)
                if inner > 1:
                    row_within[j, start:stop] = y.var(axis=1, ddof=1)
        if inner > 1:
            noise[:] = row_within.sum(axis=1) / m / inner
        nb = 2 * (m // (d + 2))
        row_var[:] = means[:, :nb].var(axis=1)
        return means

    t0 = time.perf_counter()
    raw = sobol(func, dists, n, rng=seed, n_resamples=n_resamples,
                confidence_level=confidence_level, names=names, output_names=outs)
    seconds = time.perf_counter() - t0
    if inner > 1:
        s2 = noise
        c1, ct = _correct(raw.first_order, raw.total_order, row_var, s2)
        l1, lt = _correct(raw.first_order_low, raw.total_order_low, row_var, s2)
        h1, ht = _correct(raw.first_order_high, raw.total_order_high, row_var, s2)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(row_var > 0, s2 / row_var, np.nan)
    else:
        c1, ct = raw.first_order, raw.total_order
        l1, lt, h1, ht = (raw.first_order_low, raw.total_order_low, raw.first_order_high,
                          raw.total_order_high)
        share = np.full(len(outs), np.nan)
    return ModelSobolResult(
        parameters=names, outputs=outs, first_order=c1, total_order=ct,
        first_order_low=l1, first_order_high=h1, total_order_low=lt, total_order_high=ht,
        noise_share=share, raw=raw, n=n, inner=inner, n_evaluations=raw.n_evaluations,
        n_cohort_draws=raw.n_evaluations * inner, seconds=float(seconds), held_fixed=held,
        correlations_ignored=bool(sc.rank_correlation),
        provenance=provenance(sc, seed, draws=raw.n_evaluations * inner, method="sobol", n=n,
                              inner=inner, n_resamples=raw.n_resamples,
                              confidence_level=raw.confidence_level),
    )
