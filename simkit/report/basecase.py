"""The base case by payer and budget year (the state's business-case model, SØM, style).

For a declarative-model (version-2) scenario the report shows, beside the
Monte Carlo ranges, what the agreement costs and saves each *payer*
(municipality, state, region) in each *budget year* (calendar year) with every
uncertain parameter at its central value (:func:`simkit.report.base_case_fixed`:
the mean, the median for a lognormal distribution).

Definitions (all amounts nominal, in the scenario's currency, per budget year)
-----------------------------------------------------------------------------
*Without the programme* (business as usual): the cost of the states the
persons are in (benefits, education) in the business-as-usual arm, priced per
payer by :mod:`simkit.model.pricing` (the reimbursement staircase splits a
staircase state's gross payment between the municipality and the state), plus
the per-referral costs of that arm and the activation spending the programme
replaces (``budget.avoided_cost_per_person``, municipality), booked on the
referral date.

*With the programme*: the same for the programme arm, plus the per-referral
costs of that arm (the course) and the dated costs (``budget.other_costs``),
each for its payer.

*Saving* = without − with. For the municipality the grant (on its
disbursement dates) and the repayment (on its instalment dates, the base
case's expected repayment) are added: *net* = saving + grant − repayment, and
its running sum is the municipality's cumulative cash position at each budget
year's end (the engine's cash view, ``SimulationResult.cash_``).

The base case is "expected at central assumptions": the parameters are fixed,
the persons' courses are still random, so the flows are averaged over the
base case's cohort realisations (the same seed and draws as its run, so the
histories are the run's own).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from simkit.engine import BLOCK
from simkit.model.pricing import costs_until, prices
from simkit.model.simulate import simulate_histories
from simkit.model.spec import PAYERS, ModelScenario
from simkit.results import SimulationResult

__all__ = ["PayerYears", "budget_periods", "payer_years"]


@dataclass(frozen=True)
class PayerYears:
    """Base-case flows per payer and budget year (nominal; see the module docstring).

    Attributes
    ----------
    years : tuple of int
        The budget (calendar) years, from the agreement start's year.
    ends : tuple of datetime.date
        The last day counted in each year's column: 31 December, or the day
        before the horizon ends for the last one.
    without, with_, saving : dict payer -> ndarray (years,)
        Costs without and with the programme and their difference, per payer.
    grant, repayment : ndarray (years,)
        Grant received and repayment paid by the municipality in each year.
    draws : int
        Cohort realisations averaged.
    """

    years: tuple[int, ...]
    ends: tuple[dt.date, ...]
    without: dict[str, np.ndarray]
    with_: dict[str, np.ndarray]
    saving: dict[str, np.ndarray]
    grant: np.ndarray
    repayment: np.ndarray
    draws: int

    @property
    def net(self) -> np.ndarray:
        """The municipality's net effect per year: saving + grant − repayment."""
        return self.saving["municipality"] + self.grant - self.repayment

    @property
    def cumulative(self) -> np.ndarray:
        """The municipality's cumulative cash position at each year's end."""
        return np.cumsum(self.net)

    @property
    def cumulative_operating(self) -> np.ndarray:
        """The same without the grant and the repayment (the programme's own payback)."""
        return np.cumsum(self.saving["municipality"])

    def payback_year(self) -> int | None:
        """First budget year from which :attr:`cumulative_operating` stays ≥ 0 (None: never).

        Examples
        --------
        >>> z = np.zeros(3)
        >>> s = {"municipality": np.array([-5.0, 3.0, 4.0]), "state": z, "region": z}
        >>> PayerYears((2025, 2026, 2027), (), s, s, s, z, z, 1).payback_year()
        2027
        """
        ok = self.cumulative_operating >= -1e-9
        for i in range(len(ok)):
            if ok[i:].all():
                return self.years[i]
        return None


def budget_periods(sc: ModelScenario) -> tuple[tuple[int, ...], tuple[dt.date, ...], np.ndarray]:
    """Budget years of the horizon, the last day of each and its end in weeks from the start.

    A year's column counts everything up to the end of 31 December (week
    ``week_of(31 Dec) + 1/7``); the last year ends with the horizon.

    Examples
    --------
    >>> import simkit
    >>> years, ends, weeks = budget_periods(simkit.load_scenario("sundinvest_2021"))
    >>> years[0], ends[0], round(float(weeks[0]), 4)   # 1 Jan 2022 to 31 Dec 2022: 365 days
    (2022, datetime.date(2022, 12, 31), 52.1429)
    """
    start = sc.agreement.start
    horizon = sc.budget.horizon_weeks
    years, ends, weeks = [], [], []
    y = start.year
    while True:
        dec31 = dt.date(y, 12, 31)
        w = sc.week_of(dec31) + 1 / 7
        if w >= horizon - 1e-9:
            years.append(y)
            ends.append(start + dt.timedelta(days=int(np.floor(horizon * 7 + 1e-9)) - 1))
            weeks.append(horizon)
            break
        years.append(y)
        ends.append(dec31)
        weeks.append(w)
        y += 1
    return tuple(years), tuple(ends), np.array(weeks)


def _amount(ref, p: dict[str, np.ndarray], n: int) -> np.ndarray:
    return np.asarray(p[ref], dtype=float) if isinstance(ref, str) else np.full(n, float(ref))


def _by_period(weeks_of_items: np.ndarray, amounts: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """Sum of ``amounts`` by the period (between consecutive ``cuts``) their week falls in."""
    k = np.searchsorted(cuts, weeks_of_items, side="right")  # period index; == len(cuts): beyond
    out = np.bincount(k, weights=amounts, minlength=cuts.size + 1)
    return out[: cuts.size]


def payer_years(base: SimulationResult, *, draws: int | None = None) -> PayerYears:
    """Compute the base case's flows per payer and budget year, from the base run's own histories.

    Parameters
    ----------
    base : SimulationResult
        The base-case run of a version-2 scenario
        (``simulate(sc, n, seed=s, fixed=base_case_fixed(sc))``); its histories
        are simulated again from the same seed and draws.
    draws : int, optional
        Use only the first ``draws`` draws of the run (default all; whole blocks
        of 1,024 are cheapest).

    Returns
    -------
    PayerYears

    Examples
    --------
    >>> import simkit
    >>> from simkit.report import base_case_fixed
    >>> sc = simkit.load_scenario("sundinvest_2021")
    >>> base = simkit.simulate(sc, 64, seed=1, fixed=base_case_fixed(sc))
    >>> t = payer_years(base)
    >>> t.years[:2], bool(np.isclose(t.grant.sum(), sc.contract.grant))
    ((2022, 2023), True)
    """
    sc: ModelScenario = base.scenario  # type: ignore[assignment]  # a version-2 run, checked next
    if getattr(sc, "version", 1) != 2:
        raise ValueError("payer_years needs a version-2 (declarative-model) scenario")
    if base.provenance.nested:
        raise ValueError("payer_years needs a run that is not nested")
    seed = int(base.provenance.seed or 0)   # a simulation's provenance always has its seed
    names = [k.removeprefix("param:") for k in base.draws_ if k.startswith("param:")]
    n = base.n if draws is None else max(1, min(int(draws), base.n))
    years, ends, cuts = budget_periods(sc)
    K = cuts.size
    pr = prices(sc)
    used = {x.factor for x in pr.series if x.factor is not None}
    ref_weeks = sc.referral_weeks()
    b = sc.budget
    without = {p: np.zeros(K) for p in PAYERS}
    with_ = {p: np.zeros(K) for p in PAYERS}
    state_cum = np.zeros((2, K, len(PAYERS)))
    c: Any  # a per-referral cost in the first loop below, a dated cost in the last
    for blk in range((n - 1) // BLOCK + 1):
        lo, hi = blk * BLOCK, min(n, (blk + 1) * BLOCK)
        D = hi - lo
        # the run's own parameter values (fixed ones included), so the histories are the run's
        p = {k: np.asarray(base.draws_[f"param:{k}"][lo:hi], dtype=float) for k in names}
        h = simulate_histories(sc, p if p else {"_draws": np.zeros(D)}, seed=seed, block=blk)
        draw = h.draw
        fac = {k: v[draw] for k, v in p.items() if k in used}
        state_cum += costs_until(pr, h.state, h.subgroup[h.person], h.start, h.end, h.stair0, fac, cuts,
                                 h.arm.astype(np.int64), np.ones(h.state.size), 2, discounted=False)
        # per-referral costs: amount per draw × persons referred in each period
        for c in b.per_referral:
            amt = _amount(c.amount, p, D).sum()
            per = _by_period(ref_weeks, np.full(ref_weeks.size, amt), cuts)
            for arm in c.arms:
                (without if arm == "bau" else with_)[c.payer] += per
        avoided = _amount(b.avoided_cost, p, D).sum()
        without["municipality"] += _by_period(ref_weeks, np.full(ref_weeks.size, avoided), cuts)
    state_flow = np.diff(np.concatenate([np.zeros((2, 1, len(PAYERS))), state_cum], axis=1), axis=1) / n
    for i, payer in enumerate(PAYERS):
        without[payer] = without[payer] / n + state_flow[0, :, i]
        with_[payer] = with_[payer] / n + state_flow[1, :, i]
    for c in b.other_costs:
        with_[c.payer] += _by_period(np.array([sc.week_of(c.date)]), np.array([float(c.amount)]), cuts)
    saving = {p: without[p] - with_[p] for p in PAYERS}
    g = sc.terms.disbursement
    grant = _by_period(np.array([sc.week_of(d) for d, _ in g]), sc.contract.grant * np.array([s for _, s in g]),
                       cuts)
    rep_mean = float(np.mean(base.draws_["repayment"][:n]))
    r = sc.terms.schedule
    repayment = _by_period(np.array([sc.week_of(d) for d, _ in r]), rep_mean * np.array([s for _, s in r]), cuts)
    return PayerYears(years, ends, without, with_, saving, grant, repayment, n)
