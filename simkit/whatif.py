"""What-if helpers for notebooks: change one assumption, compare scenarios on common random numbers.

``set_parameter`` changes a parameter's centre and keeps its spread (a new
mean with the same standard deviation, in the same family), where writing a
bare number in a layer would silently fix it. ``compare`` simulates several
scenarios with the same seed — the same parameter and cohort random numbers
wherever the scenarios share a structure — and returns one table of the
headline figures, with Monte Carlo standard errors.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from simkit.engine import simulate
from simkit.errors import InputError, Problem, did_you_mean
from simkit.params import Beta, Fixed, Gamma, LogNormal, Normal, Pert, Triangular, Uniform
from simkit.results import mean_and_se

__all__ = ["compare", "set_parameter"]


def _spread_update(dist, mean: float) -> dict[str, Any]:
    """Document keys for the same family with the new ``mean`` and the old standard deviation."""
    sd = None
    if not isinstance(dist, Fixed):
        u = (np.arange(20_000) + 0.5) / 20_000
        sd = float(np.std(dist.ppf(u)))
    shift = mean - dist.mean
    if isinstance(dist, Fixed):
        return {"dist": "fixed", "value": mean}
    if isinstance(dist, Beta):
        return {"dist": "beta", "mean": mean, "sd": sd}
    if isinstance(dist, LogNormal):
        return {"dist": "lognormal", "mean": mean, "sd": sd}
    if isinstance(dist, Gamma):
        return {"dist": "gamma", "mean": mean, "sd": sd}
    if isinstance(dist, Normal):
        return {"dist": "normal", "mean": mean, "sd": dist.sd}
    if isinstance(dist, Uniform):
        return {"dist": "uniform", "low": dist.low + shift, "high": dist.high + shift}
    if isinstance(dist, Pert):
        return {"dist": "pert", "min": dist.min + shift, "mode": dist.mode + shift, "max": dist.max + shift,
                "lamb": dist.lamb}
    if isinstance(dist, Triangular):
        return {"dist": "triangular", "min": dist.min + shift, "mode": dist.mode + shift, "max": dist.max + shift}
    raise InputError(Problem("distribution", dist.describe(), "a distribution simkit can re-centre"))


def set_parameter(scenario, name: str, *, mean: float | None = None, value: float | None = None,
                  source: str | None = None):
    """Return a new scenario with parameter ``name`` re-centred at ``mean`` (same family and spread) or fixed at ``value``.

    Parameters
    ----------
    scenario : Scenario or ModelScenario
    name : str
        A parameter of the scenario.
    mean : float, optional
        The new mean; the standard deviation (or, for uniform, triangular and
        PERT, the width) stays as it is.
    value : float, optional
        Fix the parameter at this value instead (no uncertainty).
    source : str, optional
        Why (recorded in the scenario, like any source); default "what-if".

    Examples
    --------
    >>> import simkit
    >>> sc = simkit.load_scenario("sundinvest_2021")
    >>> new = set_parameter(sc, "hr_return", mean=1.6)
    >>> round(new.parameters["hr_return"].dist.mean, 3)
    1.6
    """
    if name not in scenario.parameters:
        hint = did_you_mean(name, list(scenario.parameters))
        raise InputError(Problem("name", name, f"a parameter of the scenario{hint}"))
    if (mean is None) == (value is None):
        raise InputError(Problem("mean/value", (mean, value), "exactly one of mean= or value="))
    new = value if value is not None else mean
    if isinstance(new, bool) or not isinstance(new, int | float) or not math.isfinite(new):
        raise InputError(Problem("mean" if value is None else "value", new, "a finite number"))
    old = scenario.parameters[name]
    node = {"dist": "fixed", "value": float(new)} if value is not None else _spread_update(old.dist, float(new))
    node["source"] = source or f"what-if: {name} {'fixed at' if value is not None else 'mean'} {new:g}; was: {old.source}"
    return scenario.with_updates({"parameters": {name: node}}, label=f"(what-if {name})")


def compare(scenarios: Mapping[str, Any], *, draws: int = 20_000, seed: int = 2025, **kwargs):
    """Headline figures of several scenarios side by side, simulated with one seed.

    Scenarios that share their parameters and cohort (e.g. a base and a
    variant from :func:`set_parameter` or ``with_updates``) are compared on
    common random numbers: their differences are paired.

    Returns
    -------
    pandas.DataFrame
        One row per scenario: P(each target met), expected repayment,
        P(budget-neutral) and the mean net effect (present value), the
        fund's multiple and P(loss), with Monte Carlo standard errors.

    Examples
    --------
    >>> import simkit
    >>> base = simkit.load_scenario("sundinvest_2021")
    >>> df = compare({"base": base, "stronger": set_parameter(base, "hr_return", mean=2.0)}, draws=512, seed=1)
    >>> list(df.index)
    ['base', 'stronger']
    """
    rows = []
    for label, sc in scenarios.items():
        res = simulate(sc, draws=draws, seed=seed, **kwargs)
        s = res.summary()
        d = res.draws_
        row: dict[str, Any] = {"scenario": label}
        for tid, t in s["targets"].items():
            row[f"P(met: {tid})"] = t["p_met"]
            row[f"P(met: {tid}) se"] = t["p_met_se"]
        m, se = mean_and_se(d["repayment"])
        row["repayment mean"], row["repayment mean se"] = m, se
        row["P(budget-neutral)"], row["P(budget-neutral) se"] = s["budget"]["p_neutral"], s["budget"]["p_neutral_se"]
        m, se = mean_and_se(d["net_pv"])
        row["net effect mean (PV)"], row["net effect mean (PV) se"] = m, se
        row["fund multiple"] = s["fund"]["multiple_mean"]
        row["P(fund loses)"] = float(np.mean(d["fund_multiple"] < 1))
        rows.append(row)
    return pd.DataFrame(rows).set_index("scenario")
