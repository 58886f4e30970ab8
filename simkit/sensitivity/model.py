"""Sensitivity analysis applied to the simkit model.

The generic, model-independent core of :mod:`simkit.sensitivity`
(:func:`~simkit.sensitivity.sobol`, :func:`~simkit.sensitivity.evppi_table`,
:func:`~simkit.sensitivity.split_variance`, :func:`~simkit.sensitivity.prim`)
takes arrays; this module feeds it from :func:`simkit.simulate`:

* :func:`sobol_model` — Sobol' first- and total-order indices of repayment
  and net budget effect, with bootstrap intervals;
* :func:`variance_by_cohort_size` — parameter vs cohort variance
  (nested draws), and how the split changes with the cohort size;
* :func:`value_of_information` — EVPI and EVPPI per parameter and group for a
  decision given as a net-benefit matrix (draws × options), built for example
  by :func:`decision_enter` or :func:`decision_contracts`;
* :func:`discover`, :func:`discover_events` — scenario discovery (PRIM) of no
  repayment or a budget loss, in sentences an analyst can quote.

One-way (tornado) and two-way analyses are in :mod:`simkit.sensitivity.oneway`
and :mod:`simkit.sensitivity.twoway`; they share the helpers below.

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

import difflib
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simkit.backends import pick_backend
from simkit.errors import InputError, Problem
from simkit.rng import RngLike, root_seed
from simkit.sensitivity._common import fmt, pct
from simkit.sensitivity.discovery import PrimResult, prim
from simkit.sensitivity.sobol import SobolResult, sobol
from simkit.sensitivity.variance import VarianceSplit, split_variance
from simkit.sensitivity.voi import EvppiTable, VoiResult, evpi, evppi, evppi_table

__all__ = [
    "DEFAULT_GROUPS",
    "EVENTS",
    "CohortVarianceResult",
    "ModelSobolResult",
    "ScenarioDiscovery",
    "ValueOfInformation",
    "decision_contracts",
    "decision_enter",
    "discover",
    "discover_events",
    "scale_cohort",
    "sobol_model",
    "value_of_information",
    "variance_by_cohort_size",
]

DEFAULT_SEED = 2025
#: Largest group whose EVPPI uses pairwise interactions; larger groups use additive splines.
_MAX_INTERACTION_GROUP = 4

#: Parameter groups for EVPPI (members that are fixed in a scenario are dropped).
DEFAULT_GROUPS: dict[str, tuple[str, ...]] = {
    "programme effect": ("completion_rate", "outcome_rate_completers", "outcome_rate_dropouts",
                         "spell_mean_weeks"),
    "business as usual": ("outcome_rate_bau", "weeks_to_outcome_bau", "spell_mean_weeks_bau",
                          "dp_rate_bau"),
    "prices and costs": ("benefit_level_factor", "programme_cost_per_participant",
                         "bau_cost_per_person"),
}

#: Scenario-discovery events: name -> (phrase for sentences, per-draw test).
EVENTS: dict[str, tuple[str, Callable[[Mapping[str, np.ndarray]], np.ndarray]]] = {
    "no_repayment": ("no repayment", lambda d: np.asarray(d["repayment"]) <= 0),
    "budget_loss": ("a budget loss", lambda d: np.asarray(d["net_pv"]) < 0),
    "fund_loss": ("a loss for the fund", lambda d: np.asarray(d["fund_multiple"]) < 1),
}

#: Per-draw outputs accepted by :func:`sobol_model` and :func:`variance_by_cohort_size`
#: besides ``met:<target>``; ``neutral`` is the indicator ``net_pv >= 0``.
DRAW_OUTPUTS = ("repayment", "repayment_pv", "net_pv", "savings_pv", "fund_multiple", "neutral",
                "no_repayment")


# --------------------------------------------------------------------------
# shared helpers (also used by oneway and twoway)
# --------------------------------------------------------------------------


def as_scenario(scenario: Any = None):
    """Resolve a Scenario from None (embedded default), a path/name/list, or a Scenario."""
    from simkit.io.scenario import load_scenario
    from simkit.model.spec import ModelScenario
    from simkit.spec import Scenario

    if isinstance(scenario, Scenario | ModelScenario):
        return scenario
    return load_scenario(scenario)


def uncertain_parameters(sc: Any) -> tuple[str, ...]:
    """Names of the scenario's parameters that are not fixed, in scenario order."""
    return tuple(n for n, p in sc.parameters.items() if not p.dist.is_fixed)


def _suggest(name: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(str(name), list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_params(sc: Any, names: Sequence[str] | str | None, *, where: str = "params",
                 allow_fixed: Sequence[str] = ()) -> tuple[str, ...]:
    """Validate parameter names (close-match hints); default all uncertain parameters.

    A fixed parameter is accepted only if it is in ``allow_fixed`` (e.g. one
    given an explicit range).
    """
    if names is None:
        out = uncertain_parameters(sc)
        if not out:
            raise InputError(Problem(where, None, "a scenario with at least one uncertain parameter"))
        return out
    if isinstance(names, str):
        names = [s.strip() for s in names.split(",") if s.strip()]
    names = [str(n) for n in names]
    problems = []
    for n in names:
        if n not in sc.parameters:
            problems.append(Problem(where, n, "a parameter name among "
                                    f"{', '.join(sc.parameters)}{_suggest(n, list(sc.parameters))}"))
        elif sc.parameters[n].dist.is_fixed and n not in allow_fixed:
            problems.append(Problem(where, n, f"an uncertain parameter ({n!r} is fixed in this "
                                    "scenario; give it a range to vary it)"))
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        problems.append(Problem(where, dup, "each parameter once"))
    if not names:
        problems.append(Problem(where, [], "at least one parameter name"))
    if problems:
        raise InputError(problems)
    return tuple(names)


def check_ranges(sc: Any, ranges: Mapping[str, Sequence[float]] | None,
                 where: str = "ranges") -> dict[str, tuple[float, float]]:
    """Validate ``name -> (low, high)`` overrides against the model's bounds."""
    from simkit.spec import MODEL_PARAMETERS

    out: dict[str, tuple[float, float]] = {}
    problems = []
    for name, pair in (ranges or {}).items():
        if name not in sc.parameters:
            problems.append(Problem(where, name, "a parameter name among "
                                    f"{', '.join(sc.parameters)}{_suggest(name, list(sc.parameters))}"))
            continue
        try:
            lo, hi = (float(v) for v in pair)
        except (TypeError, ValueError):
            problems.append(Problem(f"{where}[{name!r}]", pair, "a (low, high) pair of numbers"))
            continue
        _, bmin, bmax = MODEL_PARAMETERS.get(name, ("", -math.inf, math.inf))
        if not (math.isfinite(lo) and math.isfinite(hi) and bmin <= min(lo, hi)
                and max(lo, hi) <= bmax and lo != hi):
            problems.append(Problem(f"{where}[{name!r}]", [lo, hi],
                                    f"two different finite values within [{bmin:g}, {bmax:g}]"))
            continue
        out[name] = (lo, hi)
    if problems:
        raise InputError(problems)
    return out


def central_values(sc: Any) -> dict[str, float]:
    """Central value (``dist.central``) of every uncertain parameter."""
    return {n: float(p.dist.central) for n, p in sc.parameters.items() if not p.dist.is_fixed}


def output_names(sc: Any) -> tuple[str, ...]:
    """Names of the expectation outputs of one-way and two-way analyses."""
    return ("p_neutral", "repayment_mean", "net_mean", "p_repayment", "fund_multiple_mean",
            *(f"p_met:{t.id}" for t in sc.contract.targets))


OUTPUT_LABELS = {
    "p_neutral": "P(budget-neutral)",
    "repayment_mean": "E[repayment]",
    "net_mean": "E[net budget effect]",
    "p_repayment": "P(repayment > 0)",
    "fund_multiple_mean": "fund E[multiple]",
}


def output_label(name: str) -> str:
    """Readable label of an output name (``p_met:edu_work`` -> ``P(edu_work met)``)."""
    if name.startswith("p_met:"):
        return f"P({name[6:]} met)"
    return OUTPUT_LABELS.get(name, name)


def per_draw(draws: Mapping[str, np.ndarray], sc: Any) -> dict[str, np.ndarray]:
    """Per-draw arrays whose means are the :func:`output_names` outputs."""
    out = {
        "p_neutral": np.asarray(draws["net_pv"]) >= 0,
        "repayment_mean": np.asarray(draws["repayment"], dtype=float),
        "net_mean": np.asarray(draws["net_pv"], dtype=float),
        "p_repayment": np.asarray(draws["repayment"]) > 0,
        "fund_multiple_mean": np.asarray(draws["fund_multiple"], dtype=float),
    }
    for t in sc.contract.targets:
        out[f"p_met:{t.id}"] = np.asarray(draws[f"met:{t.id}"])
    return {k: np.asarray(v, dtype=float) for k, v in out.items()}


def run_model(sc: Any, draws: int, *, seed: int, fixed: Mapping[str, Any] | None = None,
              workers: int = 1, backend: str | None = None, chunk_size: int | None = None,
              nested: tuple[int, int] | None = None, first: int = 0,
              progress: bool = False) -> Mapping[str, np.ndarray]:
    """``simkit.simulate(...).draws_`` without the cumulative curve.

    ``first`` > 0: draws ``[first, first + draws)`` of the run with ``seed``
    (the engine's per-draw outputs, without :func:`simkit.simulate`'s views).
    """
    from simkit.engine import simulate, simulate_arrays

    backend = pick_backend(backend, workers)  # "distributed" when SIMKIT_SCHEDULER names a cluster
    if first:
        return simulate_arrays(sc, draws, seed=seed, fixed=fixed, nested=nested, workers=workers,
                               backend=backend, chunk_size=chunk_size, curve_draws=0, first=first,
                               progress=progress)
    res = simulate(sc, draws, seed=seed, fixed=fixed, nested=nested, workers=workers,
                   backend=backend, chunk_size=chunk_size, curve_draws=0, progress=progress)
    return res.draws_


def provenance(sc: Any, seed: int, **extra: Any) -> dict[str, Any]:
    """Provenance dict of a sensitivity result."""
    from simkit import __version__

    return {"simkit_version": __version__,
            "scenario": {"name": sc.name, "sha256": sc.sha256, "sources": list(sc.sources)},
            "seed": int(seed), **extra}


def check_count(name: str, value: Any, minimum: int = 1) -> int:
    """Check a whole number >= minimum (booleans refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InputError(Problem(name, value, f"a whole number >= {minimum}"))
    return int(value)




def check_level(level: Any) -> float:
    try:
        v = float(level)
    except (TypeError, ValueError):
        v = float("nan")
    if not 0 < v < 1:
        raise InputError(Problem("level", level, "a probability strictly between 0 and 1 (e.g. 0.95)"))
    return v


def _check_outputs(sc: Any, outputs: Sequence[str] | str, where: str = "outputs") -> tuple[str, ...]:
    if isinstance(outputs, str):
        outputs = [s.strip() for s in outputs.split(",") if s.strip()]
    allowed = [*DRAW_OUTPUTS, *(f"met:{t.id}" for t in sc.contract.targets)]
    bad = [o for o in outputs if o not in allowed]
    if bad or not outputs:
        raise InputError([Problem(where, o, f"an output among {', '.join(allowed)}{_suggest(o, allowed)}")
                          for o in bad] or Problem(where, [], "at least one output"))
    return tuple(outputs)


def _draw_output(d: Mapping[str, np.ndarray], name: str) -> np.ndarray:
    if name == "neutral":
        return (np.asarray(d["net_pv"]) >= 0).astype(float)
    if name == "no_repayment":
        return (np.asarray(d["repayment"]) <= 0).astype(float)
    return np.asarray(d[name], dtype=float)


# --------------------------------------------------------------------------
# Sobol' indices
# --------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class ModelSobolResult:
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
        Wall-clock time (the only field that differs between identical runs).
    held_fixed : tuple of str
        Uncertain parameters held at their central values.
    correlations_ignored : bool
        The scenario has rank correlations, which Sobol' indices ignore.
    provenance : dict
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
    seconds: float
    held_fixed: tuple[str, ...]
    correlations_ignored: bool
    provenance: Mapping[str, Any] = field(repr=False)

    def ranked(self, output: str | None = None, order: str = "total") -> tuple[str, ...]:
        """Parameters by decreasing total-order (or first-order) index of one output."""
        j = self.outputs.index(output) if output else 0
        v = self.total_order[j] if order == "total" else self.first_order[j]
        return tuple(self.parameters[i] for i in np.argsort(-v, kind="stable"))

    def to_frame(self) -> pd.DataFrame:
        """One row per (output, parameter); corrected and raw indices with limits.

        Returns
        -------
        pandas.DataFrame
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
                "n_cohort_draws": self.n_cohort_draws, "seconds": self.seconds,
                "confidence_level": self.raw.confidence_level,
                "n_resamples": self.raw.n_resamples,
                "correlations_ignored": self.correlations_ignored, "outputs": outs}

    def text(self) -> str:
        """Write the indices as plain text."""
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
        provenance=provenance(sc, seed),
    )


# --------------------------------------------------------------------------
# variance split and cohort size
# --------------------------------------------------------------------------


def _largest_remainder(counts: Sequence[int], total: int) -> list[int]:
    c = np.asarray(counts, dtype=float)
    share = c / c.sum() * total
    out = np.floor(share).astype(int)
    rest = total - int(out.sum())
    order = np.argsort(-(share - out), kind="stable")
    out[order[:rest]] += 1
    return out.tolist()


def scale_cohort(scenario: Any, size: int):
    """Resize the scenario to a different cohort size, everything per person kept.

    The intake windows keep their dates; their counts are scaled (largest
    remainder, so they add up to ``size``). The grant, the overall cap and the
    rate-card lines' ``max_count`` and ``cap`` scale by ``size / cohort_size``
    so the grant still covers the same cost per person; thresholds are rates
    and stay; fixed other costs stay.

    Parameters
    ----------
    scenario : Scenario
    size : int
        New number referred (>= 1).

    Returns
    -------
    Scenario

    Examples
    --------
    >>> import simkit
    >>> from simkit.sensitivity import scale_cohort
    >>> big = scale_cohort(simkit.load_scenario(), 190)
    >>> big.agreement.cohort_size, big.contract.grant
    (190, 11400000.0)
    """
    sc = as_scenario(scenario)
    size = check_count("cohort size", size)
    n0 = sc.agreement.cohort_size
    if size == n0:
        return sc
    ratio = size / n0
    intake = [dict(w) for w in sc.document["agreement"]["intake"]]
    for w, c in zip(intake, _largest_remainder([w["count"] for w in intake], size), strict=True):
        w["count"] = int(c)
    doc_c = sc.document["contract"]
    contract: dict[str, Any] = {"grant": float(doc_c["grant"]) * ratio}
    if doc_c.get("cap") is not None:
        contract["cap"] = float(doc_c["cap"]) * ratio
    if doc_c.get("rate_card"):
        lines = []
        for ln in doc_c["rate_card"]:
            ln = dict(ln)
            if ln.get("max_count") is not None:
                ln["max_count"] = round(ln["max_count"] * ratio)
            if ln.get("cap") is not None:
                ln["cap"] = float(ln["cap"]) * ratio
            lines.append(ln)
        contract["rate_card"] = lines
    return sc.with_updates({"agreement": {"cohort_size": size, "intake": intake}, "contract": contract},
                           label=f"(cohort size {size})")


@dataclass(frozen=True, repr=False)
class CohortVarianceResult:
    """Parameter vs cohort variance of outputs, for several cohort sizes.

    Attributes
    ----------
    cohort_sizes : tuple of int
    outputs : tuple of str
    splits : tuple of tuple of VarianceSplit
        ``splits[i][j]``: cohort size ``i``, output ``j``.
    outer, inner : int
    provenance : dict
    """

    cohort_sizes: tuple[int, ...]
    outputs: tuple[str, ...]
    splits: tuple[tuple[VarianceSplit, ...], ...]
    outer: int
    inner: int
    provenance: Mapping[str, Any] = field(repr=False)

    def split(self, cohort_size: int, output: str) -> VarianceSplit:
        """Return the split for one cohort size and output."""
        return self.splits[self.cohort_sizes.index(cohort_size)][self.outputs.index(output)]

    def to_frame(self) -> pd.DataFrame:
        """One row per (cohort_size, output).

        Returns
        -------
        pandas.DataFrame
            Columns ``mean, total, parameter, cohort, parameter_share,
            cohort_share, total_se, parameter_se, cohort_se, parameter_share_se``.
        """
        rows, idx = [], []
        for size, row in zip(self.cohort_sizes, self.splits, strict=True):
            for o, s in zip(self.outputs, row, strict=True):
                idx.append((size, o))
                rows.append({k: getattr(s, k) for k in _SPLIT_KEYS})
        return pd.DataFrame(rows, index=pd.MultiIndex.from_tuples(idx, names=["cohort_size", "output"]))

    def to_dict(self) -> dict[str, Any]:
        """Stable JSON structure (``--method variance``, key ``result``)."""
        return {"outer": self.outer, "inner": self.inner, "outputs": list(self.outputs),
                "cohort_sizes": [
                    {"cohort_size": size,
                     "outputs": {o: {k: getattr(s, k) for k in _SPLIT_KEYS}
                                 for o, s in zip(self.outputs, row, strict=True)}}
                    for size, row in zip(self.cohort_sizes, self.splits, strict=True)]}

    def describe(self, output: str | None = None) -> str:
        """Sentences on how the cohort share of the variance changes with cohort size."""
        o = output or self.outputs[0]
        parts = [f"{pct(self.split(s, o).cohort_share)} with {s} people" for s in self.cohort_sizes]
        return (f"Share of the variance of {o} due to the randomness of the cohort (not to "
                f"uncertain parameters): {', '.join(parts)}.")

    def text(self) -> str:
        """Write the variance split as plain text."""
        lines = [f"Variance split: {self.outer:,} parameter sets × {self.inner} cohorts per cohort size"]
        for o in self.outputs:
            lines.append(f"  {o}")
            for size in self.cohort_sizes:
                s = self.split(size, o)
                lines.append(f"    {size:>6} people: sd {fmt(math.sqrt(max(s.total, 0)))}; "
                             f"parameters {pct(s.parameter_share)}, cohort {pct(s.cohort_share)} "
                             f"(± {pct(s.parameter_share_se)})")
        return "\n".join(lines)

    def __repr__(self) -> str:
        """Return the plain-text summary."""
        return self.text()


_SPLIT_KEYS = ("mean", "total", "parameter", "cohort", "parameter_share", "cohort_share",
               "total_se", "parameter_se", "cohort_se", "parameter_share_se")


def variance_by_cohort_size(
    scenario: Any = None,
    *,
    cohort_sizes: Sequence[int] | None = None,
    outputs: Sequence[str] | str = ("repayment", "net_pv"),
    outer: int = 2000,
    inner: int = 4,
    seed: RngLike = DEFAULT_SEED,
    n_resamples: int = 499,
    workers: int = 1,
    backend: str | None = None,
    progress: bool = False,
) -> CohortVarianceResult:
    """Split output variance into parameter and cohort parts, for several cohort sizes.

    Runs ``simulate(nested=(outer, inner))`` for each cohort size (the
    scenario rescaled by :func:`scale_cohort`) and applies
    :func:`~simkit.sensitivity.split_variance`. Larger cohorts average out
    individual luck, so the cohort share falls.

    Parameters
    ----------
    scenario : optional
    cohort_sizes : sequence of int, optional
        Default half, once, twice and four times the scenario's cohort
        (50, 95, 190, 380 for the default scenario).
    outputs : sequence of str
        As in :func:`sobol_model`.
    outer, inner : int
        Parameter sets and cohorts per set (``inner >= 2``).
    seed : None, int, SeedSequence or Generator
        Root seed (:func:`simkit.rng.root_seed`), the same for every size.
    n_resamples : int
        Bootstrap resamples of the outer draws for the standard errors.
    workers, backend, progress
        Passed to :func:`simkit.simulate` (``progress``: tqdm bars over each run's chunks).

    Returns
    -------
    CohortVarianceResult

    Examples
    --------
    >>> from simkit.sensitivity import variance_by_cohort_size
    >>> res = variance_by_cohort_size(cohort_sizes=[95], outer=200, inner=2, n_resamples=0, seed=1)
    >>> list(res.to_frame().index.get_level_values("output"))
    ['repayment', 'net_pv']
    """
    sc = as_scenario(scenario)
    outs = _check_outputs(sc, outputs)
    seed = root_seed(seed)
    outer = check_count("outer", outer, 2)
    inner = check_count("inner", inner, 2)
    check_count("n_resamples", n_resamples, 0)
    n0 = sc.agreement.cohort_size
    if cohort_sizes is None:
        cohort_sizes = sorted({max(1, round(n0 / 2)), n0, 2 * n0, 4 * n0})
    sizes = tuple(check_count("cohort_sizes", s) for s in cohort_sizes)
    if not sizes:
        raise InputError(Problem("cohort_sizes", [], "at least one cohort size"))
    scenarios = [scale_cohort(sc, s) for s in sizes]
    splits = []
    for s_sc in scenarios:
        dr = run_model(s_sc, outer * inner, seed=seed, nested=(outer, inner), workers=workers,
                       backend=backend, progress=progress)
        splits.append(tuple(
            split_variance(_draw_output(dr, o).reshape(outer, inner), rng=seed, n_resamples=n_resamples)
            for o in outs))
    return CohortVarianceResult(sizes, outs, tuple(splits), outer, inner, provenance(sc, seed))


# --------------------------------------------------------------------------
# value of information
# --------------------------------------------------------------------------


def _perspective(p: str) -> str:
    if p not in ("municipality", "fund"):
        raise InputError(Problem("perspective", p, "'municipality' or 'fund'"))
    return p


def decision_enter(result: Any, *, perspective: str = "municipality") -> pd.DataFrame:
    """Net benefit of entering the agreement or not, per draw.

    Parameters
    ----------
    result : SimulationResult
    perspective : {"municipality", "fund"}
        Municipality: ``net_pv`` against 0. Fund: the present value of the
        repayment minus that of the grant, against 0.

    Returns
    -------
    pandas.DataFrame
        Columns ``["do not enter", "enter"]``, one row per draw.
    """
    from simkit.design import _pv_unit

    _perspective(perspective)
    d = result.require_draws("the decision table")
    if perspective == "municipality":
        nb = np.asarray(d["net_pv"], dtype=float)
    else:
        sc = result.scenario
        nb = np.asarray(d["repayment_pv"], dtype=float) - sc.contract.grant * _pv_unit(
            sc, sc.terms.disbursement)
    return pd.DataFrame({"do not enter": np.zeros_like(nb), "enter": nb})


def decision_contracts(result: Any, variants: Mapping[str, Any] | Sequence[str] = ("threshold", "pro_rata"),
                       *, perspective: str = "municipality") -> pd.DataFrame:
    """Net benefit of contract variants on the same draws (via :func:`simkit.design.reprice`).

    Parameters
    ----------
    result : SimulationResult
    variants : mapping label -> Contract or spec, or a sequence of specs
        Default threshold vs pro-rata terms.
    perspective : {"municipality", "fund"}
        Municipality: its net budget effect under each contract. Fund:
        PV of the repayment minus PV of the grant.

    Returns
    -------
    pandas.DataFrame
        One column per variant, one row per draw.
    """
    from simkit.design import _pv_unit, reprice, split_label

    _perspective(perspective)
    if not isinstance(variants, Mapping):
        variants = dict(split_label(v) for v in variants)
    if len(variants) < 2:
        raise InputError(Problem("variants", list(variants), "at least two contract variants to choose from"))
    sc = result.scenario
    cols = {}
    for label, v in variants.items():
        rp = reprice(result, v)
        cols[str(label)] = (rp.net_pv_ if perspective == "municipality" else
                            rp.repayment_pv_ - rp.contract.grant * _pv_unit(sc, sc.terms.disbursement))
    return pd.DataFrame(cols)


@dataclass(frozen=True, repr=False)
class ValueOfInformation:
    """EVPI and EVPPI of a decision on simulated draws.

    Attributes
    ----------
    evpi : VoiResult
        Perfect information about everything, including which cohort
        realisation will happen (an upper bound: no study can tell that).
    all_parameters : VoiResult or None
        EVPPI of all parameters together (additive-spline regression): the
        most that learning the parameters could be worth.
    table : EvppiTable
        EVPPI per parameter and per group.
    decision : str
    perspective : str
    currency : str
    provenance : dict
    """

    evpi: VoiResult
    all_parameters: VoiResult | None
    table: EvppiTable
    decision: str
    perspective: str
    currency: str
    provenance: Mapping[str, Any] = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """EVPPI rows (parameters, groups, then ``all parameters``).

        Returns
        -------
        pandas.DataFrame
        """
        df = self.table.to_frame()
        if self.all_parameters is not None:
            a = self.all_parameters
            df.loc["all parameters"] = ["group", ", ".join(a.parameters), a.value, a.share_of_evpi,
                                        a.method, a.df]
        return df

    def describe(self) -> str:
        """Plain-English summary."""
        e = self.evpi
        cur = self.currency
        nb = ", ".join(f"{o} {fmt(v)} {cur}" for o, v in zip(e.options, e.expected_nb, strict=True))
        best_row = int(np.argmax(self.table.values)) if len(self.table.values) else None
        single = [(n, v) for n, m, v in zip(self.table.names, self.table.members, self.table.values,
                                            strict=True) if len(m) == 1 and m[0] == n]
        text = (f"On current information the best option is {e.best_option!r} (expected net benefit, "
                f"{self.perspective}'s view: {nb}). Perfect information about everything, including "
                f"the cohort's luck, would be worth {fmt(e.value)} {cur} per decision")
        if self.all_parameters is not None:
            text += f"; about the parameters alone {fmt(self.all_parameters.value)} {cur}"
        text += "."
        if e.value <= 0:
            return text + (" The same option is best in every draw, so no information can change "
                           "the decision.")
        if single and best_row is not None:
            n, v = max(single, key=lambda t: t[1])
            if v > 0.01 * e.value:
                text += f" The most valuable single parameter to learn is {n} ({fmt(v)} {cur})."
        return text

    def to_dict(self) -> dict[str, Any]:
        """Stable JSON structure (``--method evpi``, key ``result``)."""
        e = self.evpi
        rows = self.to_frame().reset_index()
        return {
            "decision": self.decision, "perspective": self.perspective, "currency": self.currency,
            "options": list(e.options),
            "expected_net_benefit": {o: float(v) for o, v in zip(e.options, e.expected_nb, strict=True)},
            "best_option": e.best_option, "evpi": e.value, "evpi_se": e.se,
            "evppi_all_parameters": None if self.all_parameters is None else self.all_parameters.value,
            "n_draws": e.n_draws,
            "rows": [{"name": r["name"], "kind": r["kind"], "parameters": r["parameters"].split(", "),
                      "evppi": r["evppi"], "share_of_evpi": r["share_of_evpi"], "method": r["method"],
                      "df": int(r["df"])} for _, r in rows.iterrows()],
            "sentence": self.describe(),
        }

    def text(self) -> str:
        """Write the value of information as plain text."""
        lines = [f"Value of information — decision: {self.decision} ({self.perspective}'s view, "
                 f"{self.currency})", "  " + self.describe(), repr(self.table)]
        if self.all_parameters is not None:
            lines.append(f"  all parameters: {fmt(self.all_parameters.value)}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        """Return the plain-text summary."""
        return self.text()


def value_of_information(
    result: Any,
    nb: Any = None,
    *,
    params: Sequence[str] | str | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
    method: str = "auto",
    all_parameters: bool = True,
    decision: str | None = None,
    perspective: str = "municipality",
) -> ValueOfInformation:
    """EVPI and EVPPI per parameter and group for a decision on simulated draws.

    Parameters
    ----------
    result : SimulationResult
        Its ``param:<name>`` draws are the regressors.
    nb : array_like or DataFrame, shape (draws, options), optional
        Net benefit per draw and option — the general interface. Default
        :func:`decision_enter` (enter the agreement or not).
    params : sequence of str, optional
        Parameters to report (default every uncertain one).
    groups : mapping name -> parameter names, optional
        Default :data:`DEFAULT_GROUPS` (members fixed in the scenario dropped;
        groups left with fewer than two members skipped).
    method : str
        Regression method of :func:`~simkit.sensitivity.evppi`.
    all_parameters : bool
        Also estimate the EVPPI of all parameters together.
    decision, perspective : str
        Labels for the report (``perspective`` also picks the default ``nb``).

    Returns
    -------
    ValueOfInformation
    """
    sc = result.scenario
    names = check_params(sc, params)
    if nb is None:
        nb = decision_enter(result, perspective=perspective)
        decision = decision or "enter the agreement or not"
    decision = decision or "custom options"
    members: Sequence[str]
    if groups is None:
        groups = {}
        for g, members in DEFAULT_GROUPS.items():
            m = [x for x in members if x in names]
            if len(m) >= 2:
                groups[g] = m
    else:
        for g, members in groups.items():
            check_params(sc, list(members), where=f"groups[{g!r}]")
    pdraws = {n: np.asarray(result.require_draws("value of information")[f"param:{n}"], dtype=float)
              for n in names}
    # a parameter constant on the draws carries no information
    pdraws = {n: v for n, v in pdraws.items() if np.ptp(v) > 0}
    groups = {g: [m for m in ms if m in pdraws] for g, ms in groups.items()}
    groups = {g: ms for g, ms in groups.items() if ms}
    options = list(nb.columns) if isinstance(nb, pd.DataFrame) else None
    e = evpi(nb, options=options)
    small = {g: ms for g, ms in groups.items() if len(ms) <= _MAX_INTERACTION_GROUP}
    table = evppi_table(nb, pdraws, small, method=method, options=options)
    if len(small) < len(groups):  # large groups: additive splines (interactions are too costly)
        rows = {n: (m, v, k, df) for n, m, v, k, df in zip(
            table.names, table.members, table.values, table.methods, table.dfs, strict=True)}
        for g, ms in groups.items():
            if g not in small:
                r = evppi(nb, np.column_stack([pdraws[m] for m in ms]),
                          method="additive" if method in ("auto", "interaction") else method,
                          options=options, names=ms)
                rows[g] = (tuple(ms), r.value, r.method, r.df)
        order = [*pdraws, *groups]
        table = EvppiTable(names=tuple(order), members=tuple(rows[n][0] for n in order),
                           values=np.array([rows[n][1] for n in order], dtype=float),
                           methods=tuple(rows[n][2] for n in order),
                           dfs=np.array([rows[n][3] for n in order], dtype=int),
                           evpi=table.evpi, n_draws=table.n_draws)
    alls = None
    if all_parameters and len(pdraws) > 1:
        x = np.column_stack(list(pdraws.values()))
        alls = evppi(nb, x, method="additive", options=options, names=list(pdraws))
    return ValueOfInformation(e, alls, table, decision, _perspective(perspective), sc.currency,
                              provenance(sc, result.provenance.seed, draws=result.n))


# --------------------------------------------------------------------------
# scenario discovery
# --------------------------------------------------------------------------


def discover(
    result: Any,
    event: str | Any = "no_repayment",
    *,
    params: Sequence[str] | str | None = None,
    event_name: str | None = None,
    **prim_options: Any,
) -> PrimResult:
    """Which regions of parameter space lead to an event (PRIM on ``param:*``).

    Parameters
    ----------
    result : SimulationResult
    event : str or array_like of bool
        ``"no_repayment"`` (repayment 0), ``"budget_loss"`` (net < 0),
        ``"fund_loss"`` (multiple < 1), or a boolean array per draw.
    params : sequence of str, optional
        Candidate parameters (default every uncertain one).
    event_name : str, optional
        Phrase used in the sentence (default from the event).
    **prim_options
        Passed to :func:`~simkit.sensitivity.prim` (``alpha``,
        ``min_coverage``, ...).

    Returns
    -------
    PrimResult
        ``describe()`` gives a sentence such as "When completion_rate < 0.77
        (45 % of draws), no repayment occurs in 80 % of cases (vs 43 %
        overall); ...".

    Raises
    ------
    simkit.errors.InputError
        Unknown event or parameter, or an event that never (or always) occurs.
    """
    sc = result.scenario
    names = check_params(sc, params)
    if isinstance(event, str):
        if event not in EVENTS:
            raise InputError(Problem("event", event, f"one of {', '.join(EVENTS)}{_suggest(event, list(EVENTS))}"
                                     " or a boolean array per draw"))
        phrase, test = EVENTS[event]
        y = test(result.require_draws("scenario discovery"))
        event_name = event_name or phrase
    else:
        y = np.asarray(event, dtype=bool)
        if y.shape != (result.n,):
            raise InputError(Problem("event", y.shape, f"one boolean per draw ({result.n},)"))
        event_name = event_name or "the event"
    k = int(y.sum())
    if k == 0 or k == y.size:
        raise InputError(Problem("event", event_name, "an event that occurs in some draws but not all "
                                 f"(it occurs in {k:,} of {y.size:,})"))
    X = pd.DataFrame({n: np.asarray(result.draws_[f"param:{n}"], dtype=float) for n in names})
    X = X.loc[:, X.max() > X.min()]
    return prim(X, y, event_name=event_name, **prim_options)


@dataclass(frozen=True, repr=False)
class ScenarioDiscovery:
    """PRIM boxes for several events on the same draws.

    Attributes
    ----------
    events : tuple of str
    phrases : tuple of str
    rates : numpy.ndarray
        Share of draws with each event.
    boxes : tuple of (PrimResult or None)
        None when the event never (or always) occurs.
    n_draws : int
    provenance : dict
    """

    events: tuple[str, ...]
    phrases: tuple[str, ...]
    rates: np.ndarray
    boxes: tuple[PrimResult | None, ...]
    n_draws: int
    provenance: Mapping[str, Any] = field(repr=False)

    def sentences(self) -> list[str]:
        """One quotable sentence per event."""
        out = []
        for phrase, rate, box in zip(self.phrases, self.rates, self.boxes, strict=True):
            if box is None:
                when = "never occurs" if rate == 0 else "occurs in every draw"
                out.append(f"{phrase[0].upper() + phrase[1:]} {when} in the {self.n_draws:,} draws.")
            else:
                out.append(box.describe())
        return out

    def to_dict(self) -> dict[str, Any]:
        """Stable JSON structure (``--method discovery``, key ``result``).

        Box bounds are ``null`` where a side is free.
        """
        items = []
        for ev, phrase, rate, box, sent in zip(self.events, self.phrases, self.rates, self.boxes,
                                               self.sentences(), strict=True):
            item: dict[str, Any] = {"event": ev, "phrase": phrase, "rate": float(rate),
                                    "sentence": sent, "box": None}
            if box is not None:
                item.update(mass=box.mass, coverage=box.coverage, density=box.density,
                            box=[{"parameter": p, "lower": float(lo), "upper": float(hi)}
                                 for p, lo, hi in zip(box.restricted, box.lower, box.upper, strict=True)])
            items.append(item)
        return {"n_draws": self.n_draws, "events": items}

    def text(self) -> str:
        """Write the scenario discovery as plain text."""
        return "\n".join([f"Scenario discovery (PRIM) on {self.n_draws:,} draws",
                          *(f"  {s}" for s in self.sentences())])

    def __repr__(self) -> str:
        """Return the plain-text summary."""
        return self.text()


def discover_events(
    result: Any,
    events: Sequence[str] = ("no_repayment", "budget_loss"),
    *,
    params: Sequence[str] | str | None = None,
    **prim_options: Any,
) -> ScenarioDiscovery:
    """:func:`discover` for several named events; events that never occur are reported, not raised.

    Parameters
    ----------
    result : SimulationResult
    events : sequence of str
        Names in :data:`EVENTS`.
    params : optional
        Candidate parameters.
    **prim_options
        Passed to :func:`~simkit.sensitivity.prim`.

    Returns
    -------
    ScenarioDiscovery
    """
    sc = result.scenario
    check_params(sc, params)
    bad = [e for e in events if e not in EVENTS]
    if bad or not events:
        raise InputError([Problem("events", e, f"one of {', '.join(EVENTS)}{_suggest(e, list(EVENTS))}")
                          for e in bad] or Problem("events", [], "at least one event"))
    boxes, rates, phrases = [], [], []
    for ev in events:
        phrase, test = EVENTS[ev]
        y = test(result.require_draws("scenario discovery"))
        rates.append(float(np.mean(y)))
        phrases.append(phrase)
        k = int(y.sum())
        boxes.append(None if k in (0, y.size) else discover(result, ev, params=params, **prim_options))
    return ScenarioDiscovery(tuple(events), tuple(phrases), np.array(rates), tuple(boxes), result.n,
                             provenance(sc, result.provenance.seed, draws=result.n))
