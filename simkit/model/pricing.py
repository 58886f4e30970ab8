"""Prices over state intervals: per payer, after the reimbursement staircase, discounted analytically.

Each state declares dated weekly costs per payer (:class:`simkit.model.spec.CostLine`).
A *series* is the step function of the lines that share (state, payer,
subgroups, factor). Its integral over an interval ``[a, b)`` of weeks,
discounted continuously at the Ministry of Finance rates (3.5 % a year for
years 0–35 and 2.5 % after, docs/domain.md [FM]) is exact and closed-form
per piece: with weekly rate ``c`` on a piece starting at ``g`` where the
discount factor is ``v(g)`` and the continuous weekly rate ``δ``,
``∫ c v(u) du = c v(g) (1 − e^{−δ (t − g)}) / δ`` — no week-by-week sums.

Staircase states (*refusionstrappe*, lov om kommunernes finansiering af visse
overførselsindkomster § 5–6, docs/domain.md [STAR]) split the
municipality's gross payments by the accumulated duration: with ``c0``
weeks accumulated at the spell's start, the piece of the spell in which the
count lies in ``[T_j, T_{j+1})`` is reimbursed at rate ``ρ_j``; the
reimbursed part is booked to the state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from simkit.model import _kernel
from simkit.model.spec import PAYERS, ModelScenario
from simkit.spec import DAYS_PER_WEEK, WEEKS_PER_YEAR

__all__ = ["Prices", "dated_pv", "discount_factor", "item_prices", "prices"]


@dataclass(frozen=True)
class Series:
    state: int
    payer: str
    subgroups: tuple[int, ...] | None
    factor: str | None
    staircase: bool
    grid: np.ndarray        # (k,) piece starts (weeks), grid[0] = 0
    rate: np.ndarray        # (k,) weekly cost on each piece
    cum_pv: np.ndarray      # (k,) discounted integral from 0 to grid[i]
    cum_cash: np.ndarray    # (k,) undiscounted integral from 0 to grid[i]
    vgrid: np.ndarray       # (k,) discount factor at grid[i]
    dgrid: np.ndarray       # (k,) continuous weekly discount rate on piece i (> 0 or 0)
    item: str | None = None  # the lines' spending item (e.g. "activation"), read by budget ceilings


@dataclass(frozen=True)
class Prices:
    """Tabulated prices of a scenario (see the module docstring)."""

    series: tuple[Series, ...]
    by_state: Mapping[int, tuple[int, ...]]
    steps: np.ndarray       # staircase count thresholds T_j (weeks), T_0 = 0
    rho: np.ndarray         # reimbursement rate on each step
    t35: float              # week at which the long-term discount rate starts
    d1: float               # continuous discount rate per week, years 0-35
    d2: float               # ... after

    def v(self, t: np.ndarray) -> np.ndarray:
        """Discount factor at week ``t`` (continuous).

        Examples
        --------
        >>> import simkit
        >>> P = prices(simkit.load_scenario("sundinvest_2021"))  # 3.5 % a year
        >>> [round(float(x), 6) for x in P.v(np.array([0.0, 365.25 / 7]))]  # 1 and 1 / 1.035 after a year
        [1.0, 0.966184]
        """
        return discount_factor(t, self.d1, self.d2, self.t35)

    def _integral(self, s: Series, t: np.ndarray, discounted: bool) -> np.ndarray:
        t = np.maximum(t, 0.0)
        k = np.searchsorted(s.grid, t, side="right") - 1
        g = s.grid[k]
        if not discounted:
            return s.cum_cash[k] + s.rate[k] * (t - g)
        d = s.dgrid[k]
        if self.d1 > 0 and self.d2 > 0:
            part = s.vgrid[k] * (-np.expm1(-d * (t - g))) / d
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                part = np.where(d > 0, s.vgrid[k] * (-np.expm1(-d * (t - g))) / np.where(d > 0, d, 1.0),
                                s.vgrid[k] * (t - g))
        return s.cum_pv[k] + s.rate[k] * part

    def interval(self, s: Series, a: np.ndarray, b: np.ndarray, discounted: bool = True) -> np.ndarray:
        """Integral of series ``s`` over ``[a, b)`` (arrays of weeks).

        Examples
        --------
        >>> import simkit
        >>> P = prices(simkit.load_scenario("sundinvest_2021"))
        >>> s = P.series[0]  # one weekly rate from week 0
        >>> a, b = np.array([0.0, 5.0, 0.0]), np.array([5.0, 10.0, 10.0])
        >>> cash = P.interval(s, a, b, discounted=False)
        >>> bool(np.allclose(cash, 5 * s.rate[0] * np.array([1, 1, 2]))), bool(np.isclose(cash[0] + cash[1], cash[2]))
        (True, True)
        >>> pv = P.interval(s, a, b)
        >>> bool(np.isclose(pv[0] + pv[1], pv[2]) and pv[1] < pv[0] < cash[0])  # later weeks weigh less
        True
        """
        return self._integral(s, b, discounted) - self._integral(s, a, discounted)


def discount_factor(t, d1: float, d2: float, t35: float) -> np.ndarray:
    """``exp(−δ1 t)`` up to week ``t35``, then ``exp(−δ1 t35 − δ2 (t − t35))``.

    Examples
    --------
    >>> d = np.log(1.035) / (365.25 / 7)
    >>> round(float(discount_factor(365.25 / 7, d, d, 1e9)), 6)  # one year at 3.5 %
    0.966184
    """
    t = np.asarray(t, dtype=float)
    return np.where(t <= t35, np.exp(-d1 * t), np.exp(-d1 * t35 - d2 * (t - t35)))


def dated_pv(sc: ModelScenario, items) -> float:
    """Present value at the agreement start of amounts paid on dates: ``Σ amount × v(week of date)``.

    Examples
    --------
    >>> import datetime as dt, simkit
    >>> sc = simkit.load_scenario("sundinvest_2021")
    >>> round(dated_pv(sc, [(dt.date(2023, 1, 1), 1.0)]), 4)  # one year at 3.5 %
    0.9662
    """
    b = sc.budget
    d1 = np.log1p(b.discount_rate) / WEEKS_PER_YEAR
    d2 = np.log1p(b.discount_rate_long) / WEEKS_PER_YEAR
    return float(sum(a * discount_factor(sc.week_of(day), d1, d2, 35 * WEEKS_PER_YEAR) for day, a in items))


def prices(sc: ModelScenario) -> Prices:
    """Tabulate the price series of ``sc``.

    Examples
    --------
    >>> import simkit
    >>> sc = simkit.load_scenario("sundinvest_2021")
    >>> P = prices(sc)
    >>> bool(np.isclose(P.d1, np.log(1.035) / (365.25 / 7))), P.t35 == 35 * 365.25 / 7  # 3.5 % a year, 35 years
    (True, True)
    >>> all(P.series[i].state == st for st, ix in P.by_state.items() for i in ix), all(s.grid[0] == 0 for s in P.series)
    (True, True)
    """
    b = sc.budget
    d1 = np.log1p(b.discount_rate) / WEEKS_PER_YEAR
    d2 = np.log1p(b.discount_rate_long) / WEEKS_PER_YEAR
    t35 = 35 * WEEKS_PER_YEAR
    sub_idx = {g.id: g.index for g in sc.model.subgroups}
    groups: dict[tuple, list] = {}
    for st in sc.model.states:
        for c in st.costs:
            subs = None if c.subgroups is None else tuple(sorted(sub_idx[x] for x in c.subgroups))
            stair = st.staircase if c.staircase is None else (st.staircase and c.staircase)
            groups.setdefault((st.index, c.payer, subs, c.factor, c.item, stair), []).append(c)
    series = []
    for (state, payer, subs, factor, item, stair), lines in groups.items():
        lines = sorted(lines, key=lambda c: c.start)
        starts = np.array([max(0.0, (c.start - sc.agreement.start).days / DAYS_PER_WEEK) for c in lines])
        rates = np.array([c.weekly for c in lines])
        # a later line starting on/before the agreement start replaces an earlier one
        keep = np.append(starts[1:] > starts[:-1], True)
        starts, rates = starts[keep], rates[keep]
        if starts[0] > 0:  # no cost before the first dated rate
            starts, rates = np.append(0.0, starts), np.append(0.0, rates)
        for ch in sc.model.cost_changes:   # dated multipliers on an item's lines (a reform)
            if item != ch.item or (ch.states is not None and state not in ch.states):
                continue
            w = max(0.0, (ch.start - sc.agreement.start).days / DAYS_PER_WEEK)
            if w not in starts:
                k = np.searchsorted(starts, w, side="right") - 1
                starts = np.insert(starts, k + 1, w)
                rates = np.insert(rates, k + 1, rates[k])
            rates = np.where(starts >= w, rates * ch.multiply, rates)
        if t35 not in starts:
            k = np.searchsorted(starts, t35, side="right") - 1
            starts = np.insert(starts, k + 1, t35)
            rates = np.insert(rates, k + 1, rates[k])
        widths = np.diff(starts)
        d = np.where(starts[:-1] >= t35, d2, d1)
        v0 = discount_factor(starts[:-1], d1, d2, t35)
        pv_piece = rates[:-1] * np.where(d > 0, v0 * -np.expm1(-d * widths) / np.where(d > 0, d, 1), v0 * widths)
        cum_pv = np.concatenate([[0.0], np.cumsum(pv_piece)])
        cum_cash = np.concatenate([[0.0], np.cumsum(rates[:-1] * widths)])
        staircase = stair and payer == "municipality"
        vgrid = discount_factor(starts, d1, d2, t35)
        dgrid = np.where(starts >= t35, d2, d1)
        series.append(Series(state, payer, subs, factor, staircase, starts, rates, cum_pv, cum_cash, vgrid, dgrid,
                             item))
    by_state: dict[int, list[int]] = {}
    for i, s in enumerate(series):
        by_state.setdefault(s.state, []).append(i)
    reimb = b.reimbursement or ((1, 0.0),)
    steps = np.array([w - 1 for w, _ in reimb], dtype=float)
    rho = np.array([r for _, r in reimb])
    return Prices(tuple(series), {k: tuple(v) for k, v in by_state.items()}, steps, rho, t35, d1, d2)


def item_prices(P: Prices, items) -> Prices:
    """Select the part of ``P`` whose series carry one of the spending ``items`` (for a budget ceiling).

    Examples
    --------
    >>> import simkit
    >>> P = prices(simkit.load_scenario("sundinvest_2021"))
    >>> len(item_prices(P, ["activation"]).series)   # no line of this scenario has an item
    0
    """
    keep = [i for i, s in enumerate(P.series) if s.item is not None and s.item in set(items)]
    series = tuple(P.series[i] for i in keep)
    by_state: dict[int, list[int]] = {}
    for j, s in enumerate(series):
        by_state.setdefault(s.state, []).append(j)
    return Prices(series, {k: tuple(v) for k, v in by_state.items()}, P.steps, P.rho, P.t35, P.d1, P.d2)


def spell_costs(P: Prices, state: np.ndarray, subgroup: np.ndarray, start: np.ndarray, end: np.ndarray,
                stair0: np.ndarray, factors: Mapping[str, np.ndarray], *, until: float | None = None,
                discounted: bool = True, compiled: bool = True,
                factor_index: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Cost of each spell per payer (``until``: only the part before that week).

    ``factors`` maps a parameter name to its value per spell (for lines with a ``factor``),
    or, with ``factor_index``, to values per row (e.g. per draw) with spell ``q`` reading
    row ``factor_index[q]`` (no per-spell copy of the values).
    ``compiled`` prices every spell in one compiled pass (:mod:`simkit.model._kernel`);
    ``False`` runs the same formulas as numpy passes per state and series.
    """
    if compiled:
        c = _kernel.price_spells(_kernel.price_tables(P), state, subgroup, start, end, stair0, factors,
                                 until, discounted, factor_index)
        return {p: c[:, i] for i, p in enumerate(PAYERS)}
    if factor_index is not None:
        factors = {k: np.asarray(v)[factor_index] for k, v in factors.items()}
    out = {p: np.zeros(state.size) for p in PAYERS}
    if until is not None:
        end = np.minimum(end, until)
        start = np.minimum(start, end)
    for st, idxs in P.by_state.items():
        sel = np.flatnonzero(state == st)
        if sel.size == 0:
            continue
        a, b_, c0, g = start[sel], end[sel], stair0[sel], subgroup[sel]
        for i in idxs:
            s = P.series[i]
            mask = np.ones(sel.size, dtype=bool) if s.subgroups is None else np.isin(g, s.subgroups)
            f = factors[s.factor][sel] if s.factor is not None else 1.0
            if not s.staircase:
                out[s.payer][sel] += mask * f * P.interval(s, a, b_, discounted)
                continue
            edges = [*list(P.steps[1:]), np.inf]
            for j, rho in enumerate(P.rho):
                lo = a + np.maximum(P.steps[j] - c0, 0.0)
                hi = np.minimum(a + np.maximum(edges[j] - c0, 0.0), b_)
                lo = np.minimum(lo, hi)
                part = mask * f * P.interval(s, lo, hi, discounted)
                out["municipality"][sel] += (1.0 - rho) * part
                out["state"][sel] += rho * part
    return out


def group_costs(P: Prices, state: np.ndarray, subgroup: np.ndarray, start: np.ndarray, end: np.ndarray,
                stair0: np.ndarray, factors: Mapping[str, np.ndarray], group: np.ndarray, weight: np.ndarray,
                groups: int, *, discounted: bool = True, factor_index: np.ndarray | None = None) -> np.ndarray:
    """Sum per group of ``weight`` × each spell's cost: ``(groups, payers)``, priced and summed in one pass.

    The same sums, in the same order, as ``np.bincount(group, weight * c)`` of each payer's
    :func:`spell_costs` ``c`` (bit-identical), without the table of costs per spell.
    ``factors`` and ``factor_index`` as in :func:`spell_costs`.

    Examples
    --------
    >>> import simkit
    >>> sc = simkit.load_scenario("sundinvest_2021")
    >>> P = prices(sc)
    >>> s = sc.model.state("sick_leave").index
    >>> one = np.array([s, s]), np.zeros(2, int), np.array([0.0, 5.0]), np.array([10.0, 8.0]), np.zeros(2)
    >>> c = spell_costs(P, *one, {}, discounted=False)["municipality"]
    >>> g = group_costs(P, *one, {}, np.zeros(2, int), np.array([1.0, -1.0]), 1, discounted=False)
    >>> bool(g[0, 0] == c[0] - c[1])
    True
    """
    return _kernel.price_groups(_kernel.price_tables(P), state, subgroup, start, end, stair0, factors, group,
                                weight, groups, discounted, factor_index)


def costs_until(P: Prices, state: np.ndarray, subgroup: np.ndarray, start: np.ndarray, end: np.ndarray,
                stair0: np.ndarray, factors: Mapping[str, np.ndarray], weeks, group: np.ndarray,
                weight: np.ndarray, groups: int, *, discounted: bool = True,
                factor_index: np.ndarray | None = None) -> np.ndarray:
    """Sum per group ``weight`` × each spell's cost before each of ``weeks``: ``(groups, weeks, payers)``.

    The same as calling :func:`spell_costs` with ``until=w`` for every ``w`` and
    summing by group, in one compiled pass (a spell that ends before ``w`` is
    priced once). ``factors`` and ``factor_index`` as in :func:`spell_costs`.

    Examples
    --------
    >>> import simkit
    >>> sc = simkit.load_scenario("sundinvest_2021")
    >>> P = prices(sc)
    >>> s = sc.model.state("sick_leave").index
    >>> one = np.array([s]), np.zeros(1, int), np.array([0.0]), np.array([10.0]), np.zeros(1)
    >>> c = costs_until(P, *one, {}, [5.0, 10.0, 20.0], np.zeros(1, int), np.ones(1), 1, discounted=False)
    >>> full = spell_costs(P, *one, {}, discounted=False)["municipality"][0]
    >>> bool(np.isclose(c[0, 1, 0], full) and c[0, 2, 0] == c[0, 1, 0] and 0 < c[0, 0, 0] < full)
    True
    """
    return _kernel.price_cuts(_kernel.price_tables(P), state, subgroup, start, end, stair0, factors, weeks,
                              group, weight, groups, discounted, factor_index)
