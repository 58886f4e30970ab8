"""The municipality's budget: weekly costs after reimbursement, discounted.

Costs are piecewise constant over whole weeks. Instead of summing week by
week for every person, the present value of every *kind* of interval is
tabulated once per scenario (a few hundred kB) and looked up by its start
week and staircase position:

* ``E[s][y, t]`` — PV of one person in flat-rate state ``s`` (education,
  job) from week 0 up to ``min(t, T_y)``: a flat interval ``[a, b)`` costs
  ``E[b] − E[a]``.
* ``V[s][y, a, d]`` — PV of one person entering staircase state ``s``
  (benefit, disability pension) at week ``a`` with ``d`` earlier weeks on
  benefit, staying until ``T_y``: an interval ``[a, b)`` costs
  ``V[a, d] − V[b, d + b − a]``.

``T_y`` is the end of year ``y`` (``y = 1..horizon``); the last row is the
whole horizon. Cash in week ``t`` is discounted by ``v^t`` with
``v = (1 + rate)^(−1/52.18)`` — the Ministry of Finance's annual social
discount rate (3.5 % real for years 0–35) spread over weeks.

Reimbursement (refusionstrappe, star.dk): in benefit week ``k`` of the
accumulated duration the state reimburses ``rate_k`` (80 % weeks 1–4, 40 %
weeks 5–26, 30 % weeks 27–52, 20 % from week 53), so the municipality pays
``1 − rate_k``. The accumulated duration continues through benefit and
disability pension, and restarts after ``reset_weeks`` consecutive weeks off
benefits (a simplification of the rule's reference period; assumption).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from simkit.spec import (
    DAYS_PER_WEEK,
    STAIRCASE_STATES,
    STATES,
    WEEKS_PER_YEAR,
    Scenario,
    year_end_week,
)

__all__ = ["BudgetTables", "arm_costs", "budget_tables", "dated_pv"]


@dataclass(frozen=True)
class BudgetTables:
    """Cost and discount tables of a scenario per week, precomputed for pricing spells (:func:`budget_tables`)."""

    horizon: int                    # H, weeks
    year_ends: np.ndarray           # (Y,) T_1..T_Y (T_Y = H)
    v: np.ndarray                   # (H + 1,) discount factor per week
    flat: dict                      # state -> (Y, H + 1)
    stair: dict                     # state -> (Y, H + 1, DC)
    d_cap: int                      # DC − 1: durations >= d_cap behave alike
    prior: int                      # weeks on benefit before referral
    reset: int

    def discount(self, week) -> np.ndarray:
        """Return the discount factor at ``week`` (clipped to the horizon).

        Examples
        --------
        >>> import numpy as np
        >>> import simkit
        >>> T = budget_tables(simkit.load_scenario("norddjurs_v1"))  # 3.5 % a year, 522-week horizon
        >>> T.discount(np.array([0, 522])).round(4)  # 1.035 ** -(522 / 52.18) = 0.7088
        array([1.    , 0.7088])
        """
        return self.v[np.clip(week, 0, self.horizon)]


def _weekly_rates(sc: Scenario, state: str, weeks: int) -> np.ndarray:
    """Gross weekly cost per person in each week (monthly × 12 / 52.18), by the step in force."""
    steps = sc.budget.rates[state]
    days = np.array([(s.start - sc.agreement.start).days for s in steps])
    monthly = np.array([s.monthly for s in steps])
    week_days = np.arange(weeks) * DAYS_PER_WEEK
    idx = np.searchsorted(days, week_days, side="right") - 1
    return monthly[np.clip(idx, 0, None)] * 12.0 / WEEKS_PER_YEAR


def municipal_share(sc: Scenario, max_week: int) -> np.ndarray:
    """Municipal share ``1 − reimbursement`` for benefit weeks 1..max_week (index 0 unused)."""
    share = np.ones(max_week + 1)
    for from_week, rate in sc.budget.reimbursement:
        share[from_week:] = 1.0 - rate
    return share


def budget_tables(sc: Scenario) -> BudgetTables:
    """Tabulate discounted costs for a scenario (see the module docstring).

    Examples
    --------
    >>> import simkit
    >>> T = budget_tables(simkit.load_scenario("norddjurs_v1"))
    >>> T.horizon, len(T.year_ends)  # ten budget years of whole weeks
    (522, 10)
    """
    b = sc.budget
    H = b.horizon_weeks
    year_ends = np.array([year_end_week(y) for y in range(1, b.horizon_years + 1)])
    v = (1.0 + b.discount_rate) ** (-np.arange(H + 1) / WEEKS_PER_YEAR)
    last_step = max((w for w, _ in b.reimbursement), default=1)
    dc = max(last_step, 1)  # durations 0..dc-1 are distinct; d >= dc-1 behaves as dc-1
    share = municipal_share(sc, dc)  # index k = benefit week number, k <= dc
    in_year = np.arange(H)[None, :] < year_ends[:, None]  # (Y, H)

    flat, stair = {}, {}
    for state in STATES:
        pv_week = _weekly_rates(sc, state, H) * v[:H]  # (H,)
        masked = in_year * pv_week[None, :]
        if state not in STAIRCASE_STATES:
            E = np.zeros((len(year_ends), H + 1))
            np.cumsum(masked, axis=1, out=E[:, 1:])
            flat[state] = E
            continue
        V = np.zeros((len(year_ends), H + 1, dc))
        d = np.arange(dc)
        nxt = np.minimum(d + 1, dc)          # benefit week number this week
        nxt_d = np.minimum(d + 1, dc - 1)    # duration index next week
        sh = share[nxt]
        for a in range(H - 1, -1, -1):
            V[:, a, :] = masked[:, a, None] * sh[None, :] + V[:, a + 1, nxt_d]
        stair[state] = V
    return BudgetTables(H, year_ends, v, flat, stair, dc - 1, b.prior_benefit_weeks, b.reset_weeks)


def _gather(table: np.ndarray, curve: bool, a, d=None):
    """Look up ``table[..., a, d]`` for the full horizon (last year) or every year.

    Flat indices and ``np.take`` (no per-element bounds logic of 2-D fancy
    indexing); ``a`` and ``d`` are already clipped to the table by the caller.
    """
    if d is not None:
        a = np.asarray(a, dtype=np.intp) * table.shape[-1] + d
    if curve:
        return np.take(table.reshape(table.shape[0], -1), a, axis=1)
    return np.take(table[-1].reshape(-1), a)


def arm_costs(T: BudgetTables, referral, outcome, start, spell, education, dp, dp_week, benefit_factor,
              *, curve: bool = False) -> np.ndarray:
    """PV of one arm's municipal cost per person, *minus* the part common to both arms.

    Every person is on benefit from referral ``r`` with ``prior`` earlier weeks;
    that open-ended term ``V_benefit[r, prior]`` is the same in both arms and is
    left out, so ``arm_costs(counterfactual) − arm_costs(programme)`` is the
    saving. Shapes (draw, person); returns (draw, person), or (year, draw,
    person) with ``curve=True`` (cumulative to each year end).

    Examples
    --------
    One person referred at week 0 (52 weeks on benefit before: the staircase
    position is capped) leaves benefit at week 10; with an outcome it is a
    20-week spell (shorter than the reset), then benefit again from week 30:

    >>> import simkit
    >>> T = budget_tables(simkit.load_scenario("norddjurs_v1"))  # education and job cost the municipality 0
    >>> def cost(outcome, start=10, spell=20):
    ...     one = [np.array([[x]]) for x in (outcome, start, spell, False, False, 0)]
    ...     return float(arm_costs(T, np.zeros(1, np.int64), *one, 1.0)[0, 0])
    >>> V = T.stair["benefit"][-1].tolist()  # PV of benefit from week a at staircase position d, to the horizon
    >>> cost(False) == -V[10][T.d_cap], cost(True) == -V[10][T.d_cap] + V[30][T.d_cap]
    (True, True)
    >>> cost(True) - cost(False) > 0  # the return to benefit costs; a spell that outlasts the horizon does not
    True
    >>> cost(True, spell=600) == cost(False), cost(True, start=T.horizon)  # never off benefit: nothing saved
    (True, 0.0)
    """
    H, cap = T.horizon, T.d_cap
    # Branch-free: outcome and dp are 0/1 factors, never np.where on random masks (slow).
    out = np.asarray(outcome).astype(np.int32)
    dpf = (np.asarray(dp) & ~np.asarray(outcome)).astype(np.int32)
    r = np.broadcast_to(referral, np.shape(start))
    # leaving benefit at x1: the start of the spell, the award, or never (H)
    x1 = np.minimum(np.minimum(start, H + dpf * (np.asarray(dp_week) - H)), H)
    np.maximum(x1, 0, out=x1)
    d1 = np.minimum(T.prior + (x1 - r), cap)
    ben, dpt = T.stair["benefit"], T.stair["disability_pension"]
    cost = -_gather(ben, curve, x1, d1) * benefit_factor

    # education/job spell [s, e), then back on benefit (staircase restarts after reset weeks off)
    s = x1
    e = s + out * (np.clip(start + spell, 0, H) - s)
    d_after = d1 * (spell < T.reset)
    edu, job = T.flat["education"], T.flat["job"]
    job_cost = _gather(job, curve, e) - _gather(job, curve, s)
    edu_f = np.asarray(education).astype(np.float64)
    spell_cost = job_cost + edu_f * (_gather(edu, curve, e) - _gather(edu, curve, s) - job_cost)
    back = _gather(ben, curve, e, d_after) * benefit_factor
    cost = cost + out * (spell_cost + back)
    # disability pension from the award week to the horizon
    cost = cost + dpf * _gather(dpt, curve, x1, d1)
    return cost


def dated_pv(T: BudgetTables, sc: Scenario, items: tuple[tuple[dt.date, float], ...], *,
             curve: bool = False) -> float | np.ndarray:
    """PV of amounts on dates (per unit: multiply by the amount); per year-end if ``curve``.

    Examples
    --------
    >>> import datetime as dt
    >>> import simkit
    >>> sc = simkit.load_scenario("norddjurs_v1")  # starts 1 November 2025, 3.5 % a year
    >>> items = ((dt.date(2025, 11, 1), 1.0), (dt.date(2026, 11, 7), 1.0))  # week 0 and week 53
    >>> round(dated_pv(budget_tables(sc), sc, items), 4)  # 1 + 1.035 ** -(53 / 52.18)
    1.9657
    """
    weeks = np.array([max(sc.week_of(d), 0) for d, _ in items])
    amounts = np.array([a for _, a in items], dtype=float)
    pv = amounts * T.discount(weeks)
    if not curve:
        return float(pv[weeks < T.horizon].sum())
    return (pv[None, :] * (weeks[None, :] < T.year_ends[:, None])).sum(axis=1)


def referral_pv(T: BudgetTables, referral: np.ndarray, *, curve: bool = False):
    """PV of one unit paid per person at referral (sum over persons); per year-end if ``curve``."""
    pv = T.discount(referral)
    if not curve:
        return float(pv.sum())
    return (pv[None, :] * (referral[None, :] < T.year_ends[:, None])).sum(axis=1)
