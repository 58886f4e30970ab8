"""Calibration of a declarative model to stated targets: modelled shares over time, and a fit.

A version-2 scenario states its calibration targets as ``[[calibration]]``
entries (docs/scenario-v2.md): for one arm and a set of states, either the
*share* of the referred in those states a number of months after referral
(``at_months``), or the mean *weeks* spent in them within the first months
(``within_months``), each with a target, a tolerance and a source.

:func:`modelled_targets` computes the model's value of each target at fixed
parameters (by default every parameter at its median): it simulates
``draws`` independent cohorts and reports the mean over cohorts with its
Monte Carlo standard error (the standard deviation of the per-cohort values
over √draws, so the persons of one cohort are not counted as independent).
Everyone referred is in the denominator, including persons who moved away.

:func:`calibrate` fits named parameters (for example ``bau_weeks_to_start``
and ``spell_mean_weeks``) by weighted least squares,
``Σ ((modelled − target) / tolerance)²``, on common random numbers: every
evaluation simulates the same cohorts from the same seed, so the objective is
a deterministic function of the parameters and differences between candidate
values are not Monte Carlo noise. The search is Nelder–Mead on the logarithm of
the parameters (:func:`scipy.optimize.minimize`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from simkit.model.simulate import Histories, simulate_histories
from simkit.model.spec import ARMS, CalibrationTarget, ModelScenario
from simkit.results.base import Provenance, Result, jsonable
from simkit.rng import root_seed
from simkit.spec import WEEKS_PER_YEAR

__all__ = ["Fit", "TargetValue", "calibrate", "fixed_parameters", "modelled_targets", "share_curve", "targets_table"]

#: weeks in a month (365.25 / 12 / 7)
WEEKS_PER_MONTH = WEEKS_PER_YEAR / 12.0


@dataclass(frozen=True)
class TargetValue:
    """A calibration target and the model's value of it (mean over cohorts, with its MC SE)."""

    target: CalibrationTarget
    modelled: float
    se: float

    @property
    def gap(self) -> float:
        """Modelled − target."""
        return self.modelled - self.target.target

    def within(self, mc_se: float = 4.0) -> bool:
        """Whether the gap is within the stated tolerance plus ``mc_se`` Monte Carlo SEs.

        Examples
        --------
        >>> from simkit.model.spec import CalibrationTarget
        >>> t = CalibrationTarget("bau_18m", "bau", ("job",), 18.0, None, target=0.465, tolerance=0.05, source="assumption")
        >>> # gap 0.065 against 0.05 + 4 SE: 0.09 (SE 0.01) or 0.062 (SE 0.003)
        >>> TargetValue(t, modelled=0.40, se=0.01).within(), TargetValue(t, modelled=0.40, se=0.003).within()
        (True, False)
        """
        return abs(self.gap) <= self.target.tolerance + mc_se * self.se


def fixed_parameters(sc: ModelScenario, draws: int, values: Mapping[str, float] | None = None
                     ) -> dict[str, np.ndarray]:
    """Every parameter of ``sc`` at its median (or at ``values``), repeated for ``draws`` draws.

    Examples
    --------
    >>> import simkit
    >>> sc = simkit.load_scenario("norddjurs")
    >>> p = fixed_parameters(sc, 3, {"hr_starts": 1.0})
    >>> p["hr_starts"].tolist()
    [1.0, 1.0, 1.0]
    """
    _require_model(sc)
    values = dict(values or {})
    unknown = sorted(set(values) - set(sc.parameters))
    if unknown:
        raise KeyError(f"not parameters of {sc.name!r}: {', '.join(unknown)}")
    return {name: np.full(draws, float(values.get(name, p.dist.central))) for name, p in sc.parameters.items()}


def _require_model(sc) -> None:
    if not isinstance(sc, ModelScenario):
        raise TypeError(f"calibration needs a version-2 scenario (a declarative model); {sc.name!r} is "
                        "version 1, which has no [[calibration]] targets")


def _histories(sc: ModelScenario, params: Mapping[str, np.ndarray], seed: int) -> Histories:
    _require_model(sc)
    return simulate_histories(sc, params if params else {"_draws": np.zeros(1)}, seed=seed, block=0)


def _per_cohort(sc: ModelScenario, h: Histories, arm: str, states: Sequence[str], *,
                at_months: float | None = None, within_months: float | None = None) -> np.ndarray:
    """Compute per cohort (draw) the share in ``states`` at a time, or weeks in them.

    The share is taken at ``at_months``; the mean weeks within ``within_months`` of referral.
    """
    sel = h.arm_mask(arm) & np.isin(h.state, sc.model.state_ids(states))
    ref = h.referral[h.person[sel]]
    s, e, d = h.start[sel], h.end[sel], h.draw[sel]
    if at_months is not None:
        t = ref + at_months * WEEKS_PER_MONTH
        inside = (s <= t) & (e > t)
        x = np.bincount(d[inside], minlength=h.draws)
    else:
        assert within_months is not None
        t = ref + within_months * WEEKS_PER_MONTH
        ov = np.clip(np.minimum(e, t) - np.maximum(s, ref), 0.0, None)
        x = np.bincount(d, weights=ov, minlength=h.draws)
    return x / h.persons


def _summaries(sc: ModelScenario, h: Histories, targets: Iterable[CalibrationTarget]) -> list[TargetValue]:
    out = []
    for t in targets:
        v = _per_cohort(sc, h, t.arm, t.states, at_months=t.at_months, within_months=t.within_months)
        se = float(v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else float("nan")
        out.append(TargetValue(t, float(v.mean()), se))
    return out


def modelled_targets(sc: ModelScenario, *, seed: int, draws: int = 400,
                     values: Mapping[str, float] | None = None) -> list[TargetValue]:
    """Compute the model's value of each ``[[calibration]]`` target of ``sc`` at fixed parameters.

    Parameters
    ----------
    sc : ModelScenario
        A version-2 scenario with ``[[calibration]]`` entries.
    seed : int
        Root seed (keyword-only).
    draws : int
        Independent cohorts simulated at the same parameter values.
    values : mapping, optional
        Parameter values; every other parameter is at its median.

    Returns
    -------
    list of TargetValue
        In the order of the file's targets.

    Examples
    --------
    >>> import simkit
    >>> sc = simkit.load_scenario("norddjurs")
    >>> v = modelled_targets(sc, seed=1, draws=20)
    >>> [x.target.id for x in v][:2], all(x.se > 0 for x in v)
    (['bau_6m', 'bau_18m'], True)
    """
    return _summaries(sc, _histories(sc, fixed_parameters(sc, draws, values), seed), sc.calibration)


def targets_table(values: Sequence[TargetValue], mc_se: float = 4.0) -> pd.DataFrame:
    """One row per target: arm, what, target, tolerance, modelled, MC SE, within (tolerance + ``mc_se`` SE), source.

    Shares are in percent, weeks in weeks.

    Examples
    --------
    >>> import simkit
    >>> v = modelled_targets(simkit.load_scenario("norddjurs"), seed=1, draws=10)
    >>> list(targets_table(v).columns)[:4]
    ['target', 'arm', 'measure', 'target value']
    """
    rows = []
    for x in values:
        t = x.target
        k = 100.0 if t.kind == "share" else 1.0
        what = (f"% in {', '.join(t.states)} at {t.at_months:g} months" if t.kind == "share"
                else f"weeks in {', '.join(t.states)} in the first {t.within_months:g} months")
        rows.append({"target": t.id, "arm": t.arm, "measure": what, "target value": k * t.target,
                     "tolerance": k * t.tolerance, "modelled": k * x.modelled, "MC SE": k * x.se,
                     "within": x.within(mc_se), "source": t.source})
    return pd.DataFrame(rows)


def share_curve(sc: ModelScenario, states: Sequence[str], months: Sequence[float], *, seed: int,
                draws: int = 400, values: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Share of each arm in ``states`` at each of ``months`` after referral, at fixed parameters.

    Returns
    -------
    pandas.DataFrame
        Columns ``months``, ``arm``, ``share``, ``se`` (MC SE over cohorts).

    Examples
    --------
    >>> import simkit
    >>> sc = simkit.load_scenario("norddjurs")
    >>> c = share_curve(sc, ["job"], [0.0, 12.0], seed=1, draws=10)
    >>> c.shape, float(c["share"].iloc[0])
    ((4, 4), 0.0)
    """
    h = _histories(sc, fixed_parameters(sc, draws, values), seed)
    rows = []
    for arm in ARMS:
        for m in months:
            v = _per_cohort(sc, h, arm, states, at_months=float(m))
            rows.append({"months": float(m), "arm": arm, "share": float(v.mean()),
                         "se": float(v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else float("nan")})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Fit(Result):
    """The result of :func:`calibrate`.

    Attributes
    ----------
    values : dict
        Fitted parameter values.
    start : dict
        The values the search started from.
    objective, objective_start : float
        ``Σ ((modelled − target) / tolerance)²`` at the fit and at the start.
    before, after : list of TargetValue
        The targets at the start and at the fit (same cohorts).
    evaluations : int
        Model evaluations the search used.
    provenance : Provenance
        The scenario, seed and draws per evaluation; the parameters fitted.
    """

    values: dict[str, float]
    start: dict[str, float]
    objective: float
    objective_start: float
    before: list[TargetValue]
    after: list[TargetValue]
    evaluations: int
    provenance: Provenance = field(default_factory=lambda: Provenance.of(None, seed=None, draws=0),
                                   repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """Return the fitted and starting values, the objectives and the provenance.

        Returns
        -------
        dict

        Examples
        --------
        >>> from simkit.model.spec import CalibrationTarget
        >>> t = CalibrationTarget("bau_18m", "bau", ("job",), 18.0, None, target=0.465, tolerance=0.05, source="assumption")
        >>> # one target, 0.365 at the start and 0.44 at the fit: objective ((0.44 - 0.465) / 0.05)² = 0.25
        >>> fit = Fit({"hr_starts": 1.2}, {"hr_starts": 1.0}, 0.25, 4.0,
        ...           before=[TargetValue(t, 0.365, 0.01)], after=[TargetValue(t, 0.44, 0.01)], evaluations=12)
        >>> d = fit.to_dict()
        >>> d["values"], d["objective"], d["objective_start"], d["evaluations"]
        ({'hr_starts': 1.2}, 0.25, 4.0, 12)
        >>> d["targets"][0]["target"], d["targets"][0]["before fit"], d["targets"][0]["modelled"]  # in %
        ('bau_18m', 36.5, 44.0)
        """
        return jsonable({"values": self.values, "start": self.start, "objective": self.objective,
                         "objective_start": self.objective_start, "evaluations": self.evaluations,
                         "targets": self.table().reset_index().to_dict(orient="records")}) | {
            "provenance": self.provenance.as_dict()}

    def to_frame(self) -> pd.DataFrame:
        """Return :meth:`table`.

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> from simkit.model.spec import CalibrationTarget
        >>> t = CalibrationTarget("bau_18m", "bau", ("job",), 18.0, None, target=0.465, tolerance=0.05, source="assumption")
        >>> # one target, 0.365 at the start and 0.44 at the fit: objective ((0.44 - 0.465) / 0.05)² = 0.25
        >>> fit = Fit({"hr_starts": 1.2}, {"hr_starts": 1.0}, 0.25, 4.0,
        ...           before=[TargetValue(t, 0.365, 0.01)], after=[TargetValue(t, 0.44, 0.01)], evaluations=12)
        >>> frame = fit.to_frame()  # percentages
        >>> frame["target"].tolist(), frame["before fit"].tolist(), frame["modelled"].tolist(), frame["within"].tolist()
        (['bau_18m'], [36.5], [44.0], [True])
        """
        return self.table()

    def table(self) -> pd.DataFrame:
        """Return the fit table: each target with its value before and after the fit.

        Examples
        --------
        >>> import simkit
        >>> from simkit.model.calibrate import modelled_targets
        >>> v = modelled_targets(simkit.load_scenario("norddjurs"), seed=1, draws=10)
        >>> t = Fit({}, {}, 0.0, 0.0, v, v, 0).table()  # a fit that moved nothing: before = after
        >>> bool((t["before fit"] == t["modelled"]).all())
        True
        """
        t = targets_table(self.after)
        t.insert(5, "before fit", targets_table(self.before)["modelled"])
        return t


def calibrate(sc: ModelScenario, names: Sequence[str], *, seed: int, draws: int = 200,
              start: Mapping[str, float] | None = None, targets: Sequence[str] | None = None,
              max_evaluations: int = 120) -> Fit:
    """Fit parameters ``names`` to the ``[[calibration]]`` targets by weighted least squares.

    Each target weighs ``1 / tolerance²``; every other parameter stays at its
    median. The same cohorts (same ``seed``) are simulated at every candidate
    (common random numbers); the search is Nelder–Mead on ``log(value)``.

    Parameters
    ----------
    sc : ModelScenario
    names : sequence of str
        Parameters to fit (positive-valued, e.g. mean durations in weeks).
    seed : int
        Root seed (keyword-only).
    draws : int
        Cohorts per evaluation.
    start : mapping, optional
        Starting values (default: the medians).
    targets : sequence of str, optional
        Target ids to fit (default: all).
    max_evaluations : int
        Budget of model evaluations.

    Returns
    -------
    Fit

    Examples
    --------
    >>> import simkit
    >>> sc = simkit.load_scenario("norddjurs")
    >>> f = calibrate(sc, ["spell_mean_weeks"], seed=1, draws=10, max_evaluations=8)
    >>> f.objective <= f.objective_start
    True
    """
    seed = root_seed(seed, allow_none=False)
    _require_model(sc)
    chosen = [t for t in sc.calibration if targets is None or t.id in targets]
    if not chosen:
        raise ValueError(f"{sc.name!r} states no calibration targets to fit (add [[calibration]] entries)")
    base = {n: float(sc.parameters[n].dist.central) for n in names}
    x0 = np.log([float((start or {}).get(n, base[n])) for n in names])
    params = fixed_parameters(sc, draws)
    evaluations = 0

    def values_at(x) -> list[TargetValue]:
        nonlocal evaluations
        evaluations += 1
        p = dict(params)
        for n, v in zip(names, np.exp(x), strict=True):
            p[n] = np.full(draws, float(v))
        return _summaries(sc, _histories(sc, p, seed), chosen)

    def objective(vals: list[TargetValue]) -> float:
        return float(sum((v.gap / v.target.tolerance) ** 2 for v in vals))

    before = values_at(x0)
    res = minimize(lambda x: objective(values_at(x)), x0, method="Nelder-Mead",
                   options={"maxfev": max_evaluations, "xatol": 1e-3, "fatol": 1e-4,
                            "initial_simplex": np.vstack([x0] + [x0 + 0.2 * np.eye(len(x0))[i]
                                                                 for i in range(len(x0))])})
    after = values_at(res.x)
    return Fit(dict(zip(names, map(float, np.exp(res.x)), strict=True)), dict(zip(names, map(float, np.exp(x0)),
               strict=True)), objective(after), objective(before), before, after, evaluations,
               Provenance.of(sc, seed=seed, draws=draws, method="calibrate", parameters=list(names)))
