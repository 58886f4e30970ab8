"""The numbers of the committee report, computed from simulation results (no formatting here).

Definitions used in the report
------------------------------
*Year* ``y`` of the agreement runs from the ``y - 1``-th to the day before the
``y``-th anniversary of the agreement start (the model's year ends are whole
weeks, within four days of that date).

*Cumulative net effect* at the end of year ``y``: the municipality's
discounted net budget effect from the agreement start to that year end,
grant and repayment included (``SimulationResult.curve_``).

*Operating effect* (``operating``): the same without the grant and the
repayment, i.e. savings on benefits + avoided activation − programme and
other costs. It does not depend on how the programme is financed.

*Payback year*: the first year end from which the *expected* operating
effect stays ≥ 0 — the year in which the savings have paid back the
programme's cost. Counting the grant instead would make year 1 the payback
year merely because the grant arrives up front.

*Position at a repayment date*: the cumulative net effect just after an
instalment is paid. The curve is known at year ends only, so the operating
effect is interpolated linearly within the year (savings accrue roughly
evenly); the grant and the repayment enter at their own dates.

*Base case*: every uncertain parameter held at its central value (its
mean) and the results averaged over many cohort realisations, so what is
left is the expected result at central assumptions (the role of the
deterministic base case in the state's business-case model); the Monte
Carlo ranges beside it add parameter uncertainty and cohort luck.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from simkit.budget import budget_tables, dated_pv
from simkit.model.pricing import dated_pv as model_dated_pv
from simkit.report.basecase import PayerYears, payer_years
from simkit.results import SimulationResult
from simkit.spec import WEEKS_PER_YEAR, year_end_week

__all__ = ["CashPoint", "CashPosition", "Neutrality", "ReportData", "base_case_fixed", "neutrality",
           "report_data"]


@dataclass(frozen=True)
class CashPosition:
    """The cumulative net effect just after one repayment instalment."""

    date: dt.date
    share: float            # share of the repayment paid on this date
    mean: float             # expected cumulative net effect (currency, present value)
    q05: float
    q50: float
    q95: float
    p_negative: float       # P(cumulative net effect < 0)
    basis: str = "pv"       # "pv": present value at the start (version 1); "nominal": cash (version 2)
    key: str | None = None  # its place in the run summary, when it is there ("cash.points.3")


@dataclass(frozen=True)
class CashPoint:
    """The municipality's cumulative nominal cash position at one point of the cash view (version 2).

    ``index`` is its place in ``summary()["cash"]["points"]``; ``operating_mean``
    is the expected position without the grant and the repayment.
    """

    index: int
    label: str              # "budget year 2026", "repayment 2028-06-30"
    kind: str               # "budget_year" or "repayment"
    date: dt.date
    mean: float
    q05: float
    q50: float
    q95: float
    p_negative: float
    operating_mean: float


@dataclass(frozen=True)
class Neutrality:
    """The condition for budget neutrality, with the run's means (present values at the start).

    The municipality's net effect is ``savings + avoided − uncovered − repayment``,
    so the agreement is budget-neutral when::

        repayment ≤ savings + avoided − uncovered

    and, written per outcome (``outcomes`` persons achieving the outcome with the
    programme, ``outcomes_bau`` without it, at the final measurement date)::

        price per outcome × outcomes ≤ saving per additional outcome × additional outcomes
                                       + avoided − uncovered

    with price per outcome = repayment / outcomes and saving per additional
    outcome = savings / (outcomes − outcomes_bau).
    """

    repayment: float        # budget.repayment_pv_mean
    savings: float          # budget.savings_mean
    avoided: float          # budget.avoided_bau_cost_mean
    uncovered: float        # budget.uncovered_cost_mean
    indicator: str | None
    outcomes: float
    outcomes_bau: float

    @property
    def margin(self) -> float:
        """The margin: savings + avoided − uncovered − repayment (= the mean net effect)."""
        return self.savings + self.avoided - self.uncovered - self.repayment

    @property
    def additional(self) -> float:
        """Additional outcomes: outcomes − outcomes_bau."""
        return self.outcomes - self.outcomes_bau

    @property
    def price_per_outcome(self) -> float:
        """Repayment (present value) per outcome achieved with the programme."""
        return self.repayment / self.outcomes if self.outcomes > 0 else float("nan")

    @property
    def saving_per_additional(self) -> float:
        """Savings (present value) per additional outcome."""
        return self.savings / self.additional if self.additional > 0 else float("nan")

    @property
    def holds(self) -> bool:
        """Whether the condition holds for the means (the mean net effect is ≥ 0)."""
        return self.margin >= 0


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows, as numbers (see the module docstring for definitions)."""

    result: SimulationResult
    base: SimulationResult | None
    summary: dict
    year_end_dates: tuple[dt.date, ...]
    cumulative: np.ndarray          # (curve draws, years)
    operating: np.ndarray           # (curve draws, years): without grant and repayment
    payback_year: int | None
    p_paid_back: np.ndarray         # (years,) P(operating effect >= 0) at each year end
    positions: tuple[CashPosition, ...]
    base_cumulative: np.ndarray | None = None   # (years,) expected cumulative net effect, base case
    base_operating: np.ndarray | None = None
    cash: tuple[CashPoint, ...] = ()               # version 2: the cash view
    cash_payback_year: int | None = None           # version 2: budget year (see _cash_payback)
    payers: PayerYears | None = None               # version 2: the base case by payer and budget year
    variants: dict = field(default_factory=dict)   # name -> SimulationResult (the range)
    variant_summaries: dict = field(default_factory=dict)   # name -> its summary()
    neutrality: Neutrality | None = None
    extra: dict = field(default_factory=dict)    # room for later sections


def base_case_fixed(scenario) -> dict[str, float]:
    """Every uncertain parameter at its central value: the ``fixed=`` argument of a base-case run.

    Examples
    --------
    >>> import simkit
    >>> base_case_fixed(simkit.load_scenario("norddjurs_v1"))["completion_rate"]
    0.8
    """
    return {k: float(p.dist.central) for k, p in scenario.parameters.items() if not p.dist.is_fixed}


def _is_model(sc) -> bool:
    """Whether ``sc`` is a declarative-model (version-2) scenario."""
    return getattr(sc, "version", 1) == 2


class _Timing:
    """Weeks of the year ends and present values of dated items, for either kind of scenario.

    Version 1 discounts by whole weeks with the budget tables (:mod:`simkit.budget`);
    version 2 continuously (:func:`simkit.model.pricing.dated_pv`). The curve's
    year ends are ``round(y × 365.25 / 7)`` weeks (version 1) or ``y × 365.25 / 7``
    (version 2), and an item counts at a year end when its week is before it
    (version 1) or not after it (version 2), as the engines count them.
    """

    def __init__(self, sc, years: np.ndarray):
        self.sc = sc
        if _is_model(sc):
            self.ends = np.asarray(years, dtype=float) * WEEKS_PER_YEAR
            self.T = None
        else:
            self.ends = np.array([float(year_end_week(int(y))) for y in years])
            self.T = budget_tables(sc)

    def dated(self, items) -> tuple[np.ndarray, np.ndarray]:
        """Per item: its week from the start and its present value per unit amount."""
        sc = self.sc
        if self.T is None:
            weeks = np.array([sc.week_of(d) for d, _ in items], dtype=float)
            pv = np.array([model_dated_pv(sc, ((d, a),)) for d, a in items], dtype=float)
            return weeks, pv
        weeks = np.array([max(sc.week_of(d), 0) for d, _ in items], dtype=float)
        pv = np.array([dated_pv(self.T, sc, ((d, a),)) for d, a in items], dtype=float)
        return weeks, pv

    def curve(self, items) -> np.ndarray:
        """Present value of the items paid by each year end (the engines' cumulative curve)."""
        if self.T is not None:
                return np.asarray(dated_pv(self.T, self.sc, items, curve=True), dtype=float)
        weeks, pv = self.dated(items)
        return np.array([pv[weeks <= e].sum() for e in self.ends], dtype=float)


def _operating(result: SimulationResult, tm: _Timing) -> np.ndarray:
    """Compute the cumulative curve without the grant and the repayment."""
    sc = result.scenario
    curve = result.curve_
    grant_y = sc.contract.grant * tm.curve(sc.terms.disbursement)
    rep_y = tm.curve(sc.terms.schedule)
    m = curve.shape[0]
    return curve - grant_y[None, :] + result.draws_["repayment"][:m, None] * rep_y[None, :]


def _anniversary(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _payback(op_mean: np.ndarray) -> int | None:
    ok = op_mean >= 0
    for y in range(len(ok)):
        if ok[y:].all():
            return y + 1
    return None


def _outcome_indicator(sc, draws) -> tuple[str, str, str] | None:
    """Find the outcome the condition for budget neutrality counts: (indicator id, programme key, bau key).

    The indicator of the last payment target or rate-card line that is not the
    completion indicator (Norddjurs: education or work); version-1 runs count
    the persons with an education or job outcome (``outcomes``).
    """
    c = sc.contract
    comp = getattr(getattr(sc, "model", None), "completion_indicator", None)
    inds = [t.indicator for t in c.targets] + [ln.indicator for ln in c.rate_card]
    for ind in [*reversed([i for i in inds if i != comp]), *[i for i in inds if i == comp]]:
        if f"count:{ind}:achieved" in draws and f"count_bau:{ind}:achieved" in draws:
            return ind, f"count:{ind}:achieved", f"count_bau:{ind}:achieved"
    if "outcomes" in draws and "outcomes_bau" in draws:
        return "edu_work", "outcomes", "outcomes_bau"
    return None


def neutrality(result: SimulationResult) -> Neutrality:
    """Compute the condition for budget neutrality with the run's means (see :class:`Neutrality`).

    Examples
    --------
    >>> import simkit
    >>> n = neutrality(simkit.simulate(draws=500, seed=1))
    >>> s = simkit.simulate(draws=500, seed=1).summary()["budget"]
    >>> bool(np.isclose(n.margin, s["net_mean"]))
    True
    """
    d = result.draws_
    out = _outcome_indicator(result.scenario, d)
    ind, n, n0 = (out[0], float(np.mean(d[out[1]])), float(np.mean(d[out[2]]))) if out else (None, np.nan, np.nan)
    return Neutrality(float(d["repayment_pv"].mean()), float(d["savings_pv"].mean()),
                      float(d["bau_cost_pv"].mean()), float(d["uncovered_pv"].mean()), ind, n, n0)


def _cash_points(result: SimulationResult) -> tuple[CashPoint, ...]:
    """Compute the engine's cash view (version 2), with the same cumulative position without grant and repayment."""
    c = result.cash_
    if c is None or not c.size:
        return ()
    sc = result.scenario
    m = c.shape[0]
    rep = result.draws_["repayment"][:m]
    out = []
    for k, (lab, day) in enumerate(sc.cash_points()):  # type: ignore[attr-defined]  # cash_ is set only for version-2 (ModelScenario) runs
        wk = sc.week_of(day)
        grant = sc.contract.grant * sum(sh for d, sh in sc.terms.disbursement if sc.week_of(d) <= wk)
        paid = rep * sum(sh for d, sh in sc.terms.schedule if sc.week_of(d) <= wk)
        x = c[:, k]
        q = np.quantile(x, [0.05, 0.5, 0.95])
        out.append(CashPoint(k, lab, "repayment" if lab.startswith("repayment") else "budget_year", day,
                             float(x.mean()), float(q[0]), float(q[1]), float(q[2]), float(np.mean(x < 0)),
                             float(np.mean(x - grant + paid))))
    return tuple(out)


def _cash_payback(points: tuple[CashPoint, ...]) -> int | None:
    """First budget year from whose end the expected cash position without grant and repayment stays ≥ 0."""
    ends = [p for p in points if p.kind == "budget_year"]
    for i, p in enumerate(ends):
        if all(q.operating_mean >= 0 for q in ends[i:]):
            return p.date.year
    return None


def report_data(result: SimulationResult, base: SimulationResult | None = None, *,
                variants: Mapping[str, SimulationResult] | None = None,
                payer_draws: int | None = None) -> ReportData:
    """Derive the report's numbers from a Monte Carlo result (and an optional base-case result).

    Parameters
    ----------
    result : SimulationResult
        The Monte Carlo run; its ``summary()`` gives every headline number.
    base : SimulationResult, optional
        A run with every parameter at its central value
        (``simulate(sc, fixed=base_case_fixed(sc))``).
    variants : mapping name -> SimulationResult, optional
        The range: ``{"sceptical": ..., "optimistic": ...}`` runs of the same
        scenario with a layer on top, on the same draws and seed.
    payer_draws : int, optional
        Draws of the base case behind the table by payer and budget year
        (version 2; default all of them).

    Examples
    --------
    >>> import simkit
    >>> d = report_data(simkit.simulate(draws=1_000, seed=1))
    >>> d.operating.shape == d.cumulative.shape and d.payback_year is None or d.payback_year >= 1
    True
    """
    sc = result.scenario
    years = result.year_ends
    tm = _Timing(sc, years)
    start = sc.agreement.start
    year_end_dates = tuple(_anniversary(start, int(y)) - dt.timedelta(days=1) for y in years)
    curve = result.curve_
    op = _operating(result, tm)
    m = curve.shape[0]
    payback = _payback(op.mean(axis=0)) if m else None
    p_paid = (op >= 0).mean(axis=0) if m else np.full(len(years), np.nan)
    cash = _cash_points(result)

    positions = []
    if cash:
        # version 2: the engine's exact nominal cash view at each repayment date
        shares = dict(sc.terms.schedule)
        for p in cash:
            if p.kind == "repayment":
                positions.append(CashPosition(p.date, float(shares[p.date]), p.mean, p.q05, p.q50, p.q95,
                                              p.p_negative, basis="nominal", key=f"cash.points.{p.index}"))
    else:
        # version 1: present value; the operating part interpolated within the year
        ye = np.concatenate([[0.0], tm.ends])
        op0 = np.concatenate([np.zeros((m, 1)), op], axis=1)
        g_weeks, g_pv = tm.dated(sc.terms.disbursement)
        r_weeks, r_pv = tm.dated(sc.terms.schedule)
        rep = result.draws_["repayment"][:m]
        for (day, share), w in zip(sc.terms.schedule, r_weeks, strict=True):
            if w >= ye[-1] or m == 0:
                continue
            k = int(np.searchsorted(ye, w, side="right"))  # ye[k-1] <= w < ye[k]
            frac = (w - ye[k - 1]) / (ye[k] - ye[k - 1])
            op_w = op0[:, k - 1] + frac * (op0[:, k] - op0[:, k - 1])
            grant_w = sc.contract.grant * g_pv[g_weeks <= w].sum()
            rep_w = rep * r_pv[r_weeks <= w].sum()
            pos = op_w + grant_w - rep_w
            q = np.quantile(pos, [0.05, 0.5, 0.95])
            positions.append(CashPosition(day, float(share), float(pos.mean()), float(q[0]), float(q[1]),
                                          float(q[2]), float(np.mean(pos < 0))))

    base_cum = base_op = None
    payers = None
    if base is not None and base.curve_.shape[0]:
        base_cum = base.curve_.mean(axis=0)
        base_op = _operating(base, tm).mean(axis=0)
    if base is not None and _is_model(sc):
        payers = payer_years(base, draws=payer_draws)
    return ReportData(result, base, result.summary(), year_end_dates, curve, op, payback, p_paid,
                      tuple(positions), base_cum, base_op, cash=cash, cash_payback_year=_cash_payback(cash),
                      payers=payers, variants=dict(variants or {}),
                      variant_summaries={k: v.summary() for k, v in (variants or {}).items()},
                      neutrality=neutrality(result))
