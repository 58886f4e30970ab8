"""Solvers for a contract term: premium, threshold or share, on the draws of one simulation."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from simkit.contract import Contract, Target, needed_count
from simkit.design.comparison import _contract_dict
from simkit.design.repricing import _clusters, reprice, result_provenance
from simkit.design.variants import variant
from simkit.errors import InputError, Problem, did_you_mean
from simkit.results import mean_and_se
from simkit.results.base import Provenance, Result

__all__ = [
    "Solution",
    "solve_premium",
    "solve_share",
    "solve_threshold",
]


@dataclass(frozen=True, repr=False)
class Solution(Result):
    """A contract term solved on simulated draws.

    Attributes
    ----------
    quantity : {"premium", "threshold", "share"}
    target : str or None
        The target whose threshold or weight was solved (None: all weights).
    criterion : {"fund_multiple_mean", "p_neutral"}
    goal : float
        The stated value of the criterion.
    value : float
        The term found.
    value_se : float
        Monte Carlo SE of ``value`` by the delta method (premium only; NaN
        for the step functions of threshold and share).
    achieved, achieved_se : float
        The criterion on the draws at ``value``, and its Monte Carlo SE.
    contract : Contract
        The solved contract.
    metrics : dict
        :meth:`Repriced.metrics` of the solved contract.
    n_draws : int
    provenance : Provenance
    """

    quantity: str
    target: str | None
    criterion: str
    goal: float
    value: float
    value_se: float
    achieved: float
    achieved_se: float
    contract: Contract = field(repr=False)
    metrics: dict = field(repr=False)
    n_draws: int
    provenance: Provenance = field(default_factory=lambda: Provenance.of(None, seed=None, draws=0),
                                   repr=False, compare=False)

    def describe(self) -> str:
        """One sentence an analyst can quote.

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> res = simkit.simulate(sc, draws=400, seed=5, curve_draws=0)
        >>> from simkit import design
        >>> sol = design.solve_premium(res, 0.5)
        >>> sol.describe().startswith("A risk premium of")
        True
        """
        if self.quantity == "premium":
            se = f" (MC SE {self.value_se:.2%})" if math.isfinite(self.value_se) else ""
            return (f"A risk premium of {self.value:.2%}{se} gives the fund an expected multiple of "
                    f"{self.achieved:.4f} (MC SE {self.achieved_se:.4f}; goal {self.goal:g}).")
        what = (f"a {self.target!r} threshold of {self.value:.1%}" if self.quantity == "threshold"
                else (f"a {self.target!r} weight of {self.value:.1%}" if self.target
                      else f"a total payment share of {self.value:.1%}"))
        return (f"With {what}, the municipality is budget-neutral with probability "
                f"{self.achieved:.1%} (MC SE {self.achieved_se:.1%}; goal {self.goal:.1%}).")

    def to_dict(self) -> dict[str, Any]:
        """Stable JSON structure (``simkit design --json``, items of ``solutions``).

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> res = simkit.simulate(sc, draws=400, seed=5, curve_draws=0)
        >>> from simkit import design
        >>> sol = design.solve_premium(res, 0.5)
        >>> sol.to_dict()["solve"], sol.to_dict()["provenance"]["method"]
        ('premium', 'solve premium')
        """
        return {"solve": self.quantity, "target": self.target, "criterion": self.criterion,
                "goal": self.goal, "value": self.value, "value_se": self.value_se,
                "achieved": self.achieved, "achieved_se": self.achieved_se,
                "sentence": self.describe(), "metrics": self.metrics,
                "contract": _contract_dict(self.contract), "n_draws": self.n_draws,
                "provenance": self.provenance.as_dict()}

    def to_frame(self) -> pd.DataFrame:
        """Return the solution as a one-row table: the term found, the criterion achieved, their SEs.

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> res = simkit.simulate(sc, draws=400, seed=5, curve_draws=0)
        >>> from simkit import design
        >>> sol = design.solve_premium(res, 0.5)
        >>> sol.to_frame().index.tolist()
        ['premium']
        """
        return pd.DataFrame([{"value": self.value, "value_se": self.value_se, "goal": self.goal,
                              "achieved": self.achieved, "achieved_se": self.achieved_se,
                              "n_draws": self.n_draws}],
                            index=pd.Index([f"{self.quantity}{':' + self.target if self.target else ''}"],
                                           name="solve"))

    def __repr__(self) -> str:
        """Return a short summary for notebooks."""
        return f"Solution({self.quantity}{'' if not self.target else ' ' + self.target}): {self.describe()}"


def _base_contract(result: Any, contract: Contract | str | None) -> Contract:
    sc = result.scenario
    if contract is None:
        return sc.contract
    if isinstance(contract, str):
        return variant(sc.contract, contract, cohort_size=sc.agreement.cohort_size)
    return contract


def _check_goal(name: str, value: float, lo: float, hi: float, what: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(Problem(name, value, what)) from None
    if not (math.isfinite(v) and lo <= v <= hi):
        raise InputError(Problem(name, value, what))
    return v


def solve_premium(
    result: Any,
    target_multiple: float,
    *,
    contract: Contract | str | None = None,
    max_premium: float = 10.0,
) -> Solution:
    """Find the risk premium giving the fund a stated expected multiple.

    The expected multiple ``E[repayment / G]`` on the draws is continuous and
    non-decreasing in the premium ``r`` (target amounts are ``∝ 1 + r``; caps
    and the floor only clip), so Brent's method finds the smallest root
    in ``[0, max_premium]``. With targets only and no caps it is linear:
    ``r = m / E[Σ w·f] − 1``.

    Parameters
    ----------
    result : SimulationResult
    target_multiple : float
        The fund's expected multiple wanted (e.g. 1.0: get the grant back on
        average).
    contract : Contract or str, optional
        Starting contract (default the scenario's); only its premium changes.
    max_premium : float, default 10.0
        Upper end of the search (1000 %).

    Returns
    -------
    Solution
        ``value_se`` by the delta method: SE of the expected multiple divided
        by its slope in the premium.

    Raises
    ------
    simkit.errors.InputError
        If the multiple cannot be reached with a premium in ``[0, max_premium]``.

    Examples
    --------
    >>> import simkit
    >>> sc = simkit.load_scenario("norddjurs_v1")
    >>> res = simkit.simulate(sc, draws=400, seed=5, curve_draws=0)
    >>> from simkit import design
    >>> sol = design.solve_premium(res, 0.5)
    >>> sol.quantity, abs(sol.achieved - 0.5) < 3 * sol.achieved_se + 1e-9
    ('premium', True)
    """
    base = _base_contract(result, contract)
    goal = _check_goal("target_multiple", target_multiple, 0.0, math.inf, "an expected multiple >= 0")
    if not base.targets:
        raise InputError(Problem("contract", "rate card only",
                                 "payment targets: the premium does not apply to rate-card prices"))

    def f(r: float) -> float:
        return float(reprice(result, dataclasses.replace(base, premium=r)).fund_multiple_.mean())

    lo_v, hi_v = f(0.0), f(max_premium)
    if not lo_v <= goal <= hi_v:
        raise InputError(Problem(
            "target_multiple", goal,
            f"an expected multiple between {lo_v:.4f} (premium 0) and {hi_v:.4f} "
            f"(premium {max_premium:.0%}) on these draws"))
    r = 0.0 if goal == lo_v else float(brentq(lambda x: f(x) - goal, 0.0, max_premium, xtol=1e-12))
    solved = dataclasses.replace(base, premium=r)
    rp = reprice(result, solved)
    m = rp.metrics()
    h = 1e-4
    slope = (f(r + h) - f(max(r - h, 0.0))) / (r + h - max(r - h, 0.0))
    value_se = m["fund_multiple_mean_se"] / slope if slope > 0 else float("nan")
    return Solution("premium", None, "fund_multiple_mean", goal, r, value_se,
                    m["fund_multiple_mean"], m["fund_multiple_mean_se"], solved, m, result.n,
                    result_provenance(result, method="solve premium", goal=goal))


def _pick_target(contract: Contract, target: str | None, *, allow_none: bool) -> Target | None:
    ids = [t.id for t in contract.targets]
    if not ids:
        raise InputError(Problem("contract", "no payment targets", "a contract with payment targets"))
    if target is None:
        if allow_none:
            return None
        if len(ids) == 1:
            return contract.targets[0]
        raise InputError(Problem("target", None, f"one of the target ids {', '.join(ids)}"))
    if target not in ids:
        raise InputError(Problem("target", target, f"one of the target ids {', '.join(ids)}"
                                 + did_you_mean(str(target), ids)))
    return contract.targets[ids.index(target)]


def _replace_target(c: Contract, tid: str, **kw: Any) -> Contract:
    return dataclasses.replace(c, targets=tuple(
        dataclasses.replace(t, **kw) if t.id == tid else t for t in c.targets))


def _p_neutral(result: Any, c: Contract) -> tuple[float, float]:
    return mean_and_se(reprice(result, c).net_pv_ >= 0, _clusters(result))


def solve_threshold(
    result: Any,
    target_p_neutral: float,
    *,
    target: str | None = None,
    contract: Contract | str | None = None,
) -> Solution:
    """Find the lowest threshold of one target giving a stated P(budget-neutral).

    Raising a threshold makes the target harder to meet, so less is repaid
    and P(net ≥ 0) cannot fall: the answer is the smallest threshold at
    which the probability on the draws reaches the goal. The probability is a
    step function (counts are whole numbers); bisection to 1e-9, then, when
    every draw has the same denominator ``n``, the threshold is reported as
    the exact boundary ``k / n``.

    Parameters
    ----------
    result : SimulationResult
    target_p_neutral : float
        Probability in [0, 1] that the net budget effect is >= 0.
    target : str, optional
        Target id; required when the contract has several targets.
    contract : Contract or str, optional
        Starting contract (default the scenario's).

    Returns
    -------
    Solution
        ``achieved_se`` is the binomial MC SE of the probability.

    Raises
    ------
    simkit.errors.InputError
        Unknown target, a graduated target (its payment does not depend on
        the threshold), or a goal not reached even at a threshold of 100 %.

    Examples
    --------
    >>> import simkit
    >>> sc = simkit.load_scenario("norddjurs_v1")
    >>> res = simkit.simulate(sc, draws=400, seed=5, curve_draws=0)
    >>> from simkit import design
    >>> sol = design.solve_threshold(res, 0.5, target="edu_work")
    >>> sol.target, 0 <= sol.value <= 1
    ('edu_work', True)
    """
    base = _base_contract(result, contract)
    goal = _check_goal("target_p_neutral", target_p_neutral, 0.0, 1.0, "a probability in [0, 1]")
    t = _pick_target(base, target, allow_none=False)
    assert t is not None
    if t.rule == "graduated":
        raise InputError(Problem(f"target {t.id!r}", "rule 'graduated'",
                                 "a threshold or pro-rata target (graduated steps fix the payment)"))
    lo = (t.floor + 1e-9) if t.rule == "pro_rata" and t.floor is not None else 0.0

    def g(x: float) -> float:
        return _p_neutral(result, _replace_target(base, t.id, threshold=min(x, 1.0)))[0]

    if g(1.0) < goal:
        raise InputError(Problem("target_p_neutral", goal,
                                 f"a probability at most {g(1.0):.4f}: even a {t.id!r} threshold of "
                                 "100 % does not reach it on these draws"))
    if g(lo) >= goal:
        x = lo
    else:
        a, b = lo, 1.0  # g(a) < goal <= g(b)
        while b - a > 1e-9:
            mid = 0.5 * (a + b)
            if g(mid) >= goal:
                b = mid
            else:
                a = mid
        x = b
    den_key = "count:{}:{}".format(t.indicator, "referred" if t.denominator == "referred" else "completed")
    den = result.require_draws("a contract solver").get(den_key)
    if (t.rule == "threshold" and den is not None and den.size and np.all(den == den.flat[0])
            and den.flat[0] > 0):  # only 'met' depends on the threshold: report the count boundary
        n = int(den.flat[0])
        x = max(lo, float(needed_count(x, n)) / n)
    solved = _replace_target(base, t.id, threshold=min(x, 1.0))
    m = reprice(result, solved).metrics()
    return Solution("threshold", t.id, "p_neutral", goal, min(x, 1.0), float("nan"),
                    m["p_neutral"], m["p_neutral_se"], solved, m, result.n,
                    result_provenance(result, method="solve threshold", goal=goal, target=t.id))


def solve_share(
    result: Any,
    target_p_neutral: float,
    *,
    target: str | None = None,
    contract: Contract | str | None = None,
) -> Solution:
    """Find the largest payment share giving a stated P(budget-neutral).

    The payment share is the sum of the target weights (the most repaid, as a
    share of ``G × (1 + r)``), scaled proportionally, or — with ``target`` —
    one target's weight with the others kept. Paying less can only raise
    P(net ≥ 0), so the answer is the largest share at which the probability
    on the draws reaches the goal (bisection to 1e-9).

    Parameters
    ----------
    result : SimulationResult
    target_p_neutral : float
    target : str, optional
        Solve one target's weight instead of the total share.
    contract : Contract or str, optional

    Returns
    -------
    Solution

    Raises
    ------
    simkit.errors.InputError
        Unknown target, or a goal not reached even with nothing repaid on
        the targets.

    Examples
    --------
    >>> import simkit
    >>> sc = simkit.load_scenario("norddjurs_v1")
    >>> res = simkit.simulate(sc, draws=400, seed=5, curve_draws=0)
    >>> from simkit import design
    >>> sol = design.solve_share(res, 0.5)
    >>> sol.quantity, sol.target is None
    ('share', True)
    """
    base = _base_contract(result, contract)
    goal = _check_goal("target_p_neutral", target_p_neutral, 0.0, 1.0, "a probability in [0, 1]")
    t = _pick_target(base, target, allow_none=True)
    if t is None:
        total = sum(x.weight for x in base.targets)
        weights = [x.weight / total if total > 0 else 1.0 / len(base.targets) for x in base.targets]

        def make(s: float) -> Contract:
            return dataclasses.replace(base, targets=tuple(
                dataclasses.replace(x, weight=min(1.0, s * w)) for x, w in zip(base.targets, weights,
                                                                            strict=True)))
        top = 1.0
    else:
        others = sum(x.weight for x in base.targets if x.id != t.id)
        top = max(0.0, 1.0 - others)

        def make(s: float) -> Contract:
            return _replace_target(base, t.id, weight=s)

    def g(s: float) -> float:
        return _p_neutral(result, make(s))[0]

    if g(0.0) < goal:
        raise InputError(Problem("target_p_neutral", goal,
                                 f"a probability at most {g(0.0):.4f}: even a payment share of 0 "
                                 "does not reach it on these draws"))
    if g(top) >= goal:
        s = top
    else:
        a, b = 0.0, top  # g(a) >= goal > g(b)
        while b - a > 1e-9:
            mid = 0.5 * (a + b)
            if g(mid) >= goal:
                a = mid
            else:
                b = mid
        s = a
    solved = make(s)
    m = reprice(result, solved).metrics()
    return Solution("share", None if t is None else t.id, "p_neutral", goal, s, float("nan"),
                    m["p_neutral"], m["p_neutral_se"], solved, m, result.n,
                    result_provenance(result, method="solve share", goal=goal,
                                      target=None if t is None else t.id))
