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
from dataclasses import dataclass, field

import numpy as np

from ..results import SimulationResult

__all__ = ["CashPosition", "ReportData", "base_case_fixed", "report_data"]


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
    extra: dict = field(default_factory=dict)    # room for later sections


def base_case_fixed(scenario) -> dict[str, float]:
    """Every uncertain parameter at its central value: the ``fixed=`` argument of a base-case run.

    Examples
    --------
    >>> import simkit
    >>> base_case_fixed(simkit.load_scenario())["completion_rate"]
    0.8
    """
    return {k: float(p.dist.central) for k, p in scenario.parameters.items() if not p.dist.is_fixed}


def _dated(sc, items, T) -> tuple[np.ndarray, np.ndarray]:
    """Per item: its week from the start and its present value per unit amount."""
    from ..budget import dated_pv

    weeks = np.array([max(sc.week_of(d), 0) for d, _ in items], dtype=float)
    pv = np.array([dated_pv(T, sc, ((d, a),)) for d, a in items], dtype=float)
    return weeks, pv


def _split(result: SimulationResult, T) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cumulative curve, grant PV per year end and repayment PV per unit per year end."""
    from ..budget import dated_pv

    sc = result.scenario
    grant_y = sc.contract.grant * np.asarray(dated_pv(T, sc, sc.terms.disbursement, curve=True), dtype=float)
    rep_y = np.asarray(dated_pv(T, sc, sc.terms.schedule, curve=True), dtype=float)
    return result.curve_, grant_y, rep_y


def _operating(result: SimulationResult, T) -> np.ndarray:
    curve, grant_y, rep_y = _split(result, T)
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


def report_data(result: SimulationResult, base: SimulationResult | None = None) -> ReportData:
    """Derive the report's numbers from a Monte Carlo result (and an optional base-case result).

    Parameters
    ----------
    result : SimulationResult
        The Monte Carlo run; its ``summary()`` gives every headline number.
    base : SimulationResult, optional
        A run with every parameter at its central value
        (``simulate(sc, fixed=base_case_fixed(sc))``).

    Examples
    --------
    >>> import simkit
    >>> d = report_data(simkit.simulate(draws=1_000, seed=1))
    >>> d.operating.shape == d.cumulative.shape and d.payback_year is None or d.payback_year >= 1
    True
    """
    from ..budget import budget_tables
    from ..spec import year_end_week

    sc = result.scenario
    T = budget_tables(sc)
    years = result.year_ends
    start = sc.agreement.start
    year_end_dates = tuple(_anniversary(start, int(y)) - dt.timedelta(days=1) for y in years)
    curve = result.curve_
    op = _operating(result, T)
    m = curve.shape[0]
    payback = _payback(op.mean(axis=0)) if m else None
    p_paid = (op >= 0).mean(axis=0) if m else np.full(len(years), np.nan)

    # the position just after each instalment: operating part interpolated within the year
    ye = np.concatenate([[0.0], [float(year_end_week(int(y))) for y in years]])
    op0 = np.concatenate([np.zeros((m, 1)), op], axis=1)
    g_weeks, g_pv = _dated(sc, sc.terms.disbursement, T)
    r_weeks, r_pv = _dated(sc, sc.terms.schedule, T)
    rep = result.draws_["repayment"][:m]
    positions = []
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
    if base is not None and base.curve_.shape[0]:
        base_cum = base.curve_.mean(axis=0)
        base_op = _operating(base, T).mean(axis=0)
    return ReportData(result, base, result.summary(), year_end_dates, curve, op, payback, p_paid,
                      tuple(positions), base_cum, base_op)
