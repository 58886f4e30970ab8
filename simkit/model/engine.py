"""Monte Carlo over a declared model: histories → indicators → contract and budget, per draw.

The engine knows nothing about the programme: it draws the parameters of a
block of draws (the same streams as :mod:`simkit.engine`), simulates the
block's histories in both arms (:func:`simkit.model.simulate.simulate_histories`),
counts the declared indicators at the final measurement date with the one
count function (:func:`simkit.model.indicators.count`), prices every spell
per payer (:mod:`simkit.model.pricing`) and hands back per-draw arrays with
the same keys as the 0.1 engine, so :class:`simkit.results.SimulationResult`,
sensitivity and contract design work on either.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from simkit.blocks import BLOCK, Job, _param_rows
from simkit.contract import fund_view, repayment
from simkit.model import _kernel
from simkit.model.indicators import Context, PersonSpells, count, evaluate_indicators
from simkit.model.pricing import costs_until, group_costs, item_prices, prices
from simkit.model.pricing import dated_pv as model_dated_pv
from simkit.model.simulate import STREAM_SCORES, Histories, _generator, simulate_histories
from simkit.model.spec import ARMS, PAYERS, ModelScenario
from simkit.spec import WEEKS_PER_YEAR

__all__ = ["CeilingExcess", "ModelJob", "arm_spells", "block_outputs", "ceiling_excess", "simulate_model_chunk",
           "simulate_model_shared_chunk"]


#: a chunk's job has the same fields for either kind of scenario
ModelJob = Job


_PRICE_CACHE: dict[str, object] = {}


def _prices(sc: ModelScenario):
    if sc.sha256 not in _PRICE_CACHE:
        if len(_PRICE_CACHE) > 8:
            _PRICE_CACHE.clear()
        _PRICE_CACHE[sc.sha256] = prices(sc)
    return _PRICE_CACHE[sc.sha256]


#: from this many spells on, :func:`arm_spells` runs its one compiled pass (below: numpy, no numba start-up)
COMPILED_SPELLS = 50_000


def arm_spells(h: Histories, arm: str, model=None, *, compiled: bool | None = None) -> PersonSpells:
    """Collect the spells of one arm as a :class:`PersonSpells` table over the block's cells.

    Times are cut to whole days (``floor(7 t) / 7``): the indicators are defined on
    dates, so simulated and observed histories are measured alike. ``compiled``
    (default: from :data:`COMPILED_SPELLS` spells on) builds the table in one compiled
    pass instead of numpy passes; both give the same table.

    Examples
    --------
    >>> import simkit
    >>> from simkit.engine import _param_rows
    >>> from simkit.model.simulate import simulate_histories
    >>> sc = simkit.load_scenario("norddjurs")
    >>> p = _param_rows(sc, 1, 0, 1)
    >>> h = simulate_histories(sc, p, seed=1, block=0)
    >>> sp = arm_spells(h, "programme", sc.model)
    >>> bool(np.all(sp.end > sp.start)), sp.cells == h.persons
    (True, True)
    """
    armv = ARMS.index(arm)
    labels = None if model is None else np.array([t.event or "" for t in model.transitions] + [""], dtype=object)
    if compiled is None:
        compiled = h.state.size >= COMPILED_SPELLS
    cols: tuple[np.ndarray, ...]
    if compiled:
        n = h.state.size
        cols = (np.empty(n, np.int64), np.empty(n, h.state.dtype), np.empty(n), np.empty(n),
                np.empty(n, h.event_in.dtype), np.empty(n, h.state.dtype), np.empty(n, np.int64))
        m = _kernel.nb().arm_table(h.arm, armv, h.key, h.state, h.start, h.end, h.event_in, *cols)
        cols = tuple(x[:m] for x in cols)
    else:
        cols = _arm_table(h, armv)
    cell, state, start, end, ev, prev, nxt = cols
    exit_event = np.full(cell.size, "", dtype=object) if labels is None else labels[nxt]
    return PersonSpells(h.draws * h.persons, np.tile(h.referral, h.draws), cell, state, start, end, ev,
                        exit_event=exit_event, prev_state=prev, exit_code=None if labels is None else nxt)


def _arm_table(h: Histories, armv: int):
    """:func:`arm_spells`' table by numpy passes (the reference of the compiled pass)."""
    sel = np.flatnonzero(h.arm == armv)
    start = np.floor(h.start[sel] * 7 + 1e-9) / 7
    end = np.floor(h.end[sel] * 7 + 1e-9) / 7
    # a spell shorter than a day has no day of its own; its event passes to the spell after it
    ev_all = h.event_in[sel]
    keep = end > start
    sel, start, end = sel[keep], start[keep], end[keep]
    idx_keep = np.flatnonzero(keep)
    # event into a kept spell: that of the first spell of the run of dropped spells before it (if any)
    first_of = idx_keep.copy()
    if idx_keep.size:
        prev_kept = np.concatenate([[-1], idx_keep[:-1]])
        first_of = np.where(idx_keep - prev_kept > 1, prev_kept + 1, idx_keep)
    cell, state, ev = h.key[sel], h.state[sel], ev_all[first_of]
    same = np.zeros(cell.size, dtype=bool)
    same[1:] = cell[1:] == cell[:-1]           # spells are sorted by (cell, start) within an arm
    prev = np.where(same, np.roll(state, 1), -1)
    nxt = np.append(ev[1:], -1)
    nxt = np.where(np.append(same[1:], False), nxt, -1)
    return cell, state, start, end, ev, prev, nxt


@dataclass(frozen=True)
class CeilingExcess:
    """Spending against a budget ceiling per budget year and arm (nominal DKK; arms: 0 bau, 1 programme).

    Attributes
    ----------
    years : tuple of int
        Budget (calendar) years from the ceiling's first year to the horizon.
    ends : ndarray (years,)
        Week (from the agreement start) at which each year's excess is booked: 31 Dec, or the
        horizon's last day in a last, partial year.
    spending, ceiling, excess : ndarray (draws, 2, years)
        Spending counted under the ceiling; the ceiling (person-years × rate); spending above it.
    """

    years: tuple[int, ...]
    ends: np.ndarray
    spending: np.ndarray
    ceiling: np.ndarray
    excess: np.ndarray


def ceiling_excess(sc: ModelScenario, h: Histories, p: Mapping[str, np.ndarray], ceiling_index: int = 0,
                   pr=None) -> CeilingExcess:
    """Per budget year and arm, the cohort's spending under a ``budget.ceiling`` and the excess over it.

    Spending in year *y* = the year's cash in the ceiling's state cost items (e.g. activation
    spending while out of education and work) + the counted share of the ceiling's per-referral
    costs for persons referred in *y* (e.g. the programme's cost); ceiling = person-years in the
    ceiling's states in *y* × ``per_person_year``; excess = max(0, spending − ceiling), not
    compensated (L 77 § 203 a, docs/domain.md [L77-2025]).

    Parameters
    ----------
    sc : ModelScenario
        A scenario with at least one ``budget.ceiling``.
    h : Histories
        Simulated histories of a block (both arms).
    p : mapping name -> ndarray (draws,)
        The block's parameter values.
    ceiling_index : int
        Which ``budget.ceiling`` entry.
    pr : Prices, optional
        The scenario's tabulated prices (computed if not given).

    Returns
    -------
    CeilingExcess

    Examples
    --------
    >>> import simkit
    >>> from simkit.engine import _param_rows
    >>> sc = simkit.load_scenario(["norddjurs", "reform_2027"])
    >>> p = _param_rows(sc, 1, 0, 2)
    >>> x = ceiling_excess(sc, simulate_histories(sc, p, seed=1, block=0), p)
    >>> x.years[0], x.excess.shape[:2], bool((x.excess >= 0).all())
    (2026, (2, 2), True)
    """
    c = sc.budget.ceilings[ceiling_index]
    pr = _prices(sc) if pr is None else pr
    D = h.draws
    horizon_end = sc.agreement.start + dt.timedelta(days=round(sc.budget.horizon_years * 365.25))
    years, bounds = [], []
    a: Any  # a date in this loop, a week bound in the ones below
    b: Any
    for y in range(max(c.start.year, sc.agreement.start.year), horizon_end.year + 1):
        a = max(dt.date(y, 1, 1), sc.agreement.start, c.start)
        b = min(dt.date(y + 1, 1, 1), horizon_end)
        if b > a:
            years.append(y)
            bounds.append((sc.week_of(a), sc.week_of(b)))
    lo = np.array([x[0] for x in bounds])
    hi = np.array([x[1] for x in bounds])
    group = h.draw * 2 + h.arm.astype(np.int64)
    sub = h.subgroup[h.person]
    pi = item_prices(pr, c.cost_items)
    spend = np.zeros((D, 2, len(years)))
    if pi.series:
        used = {x.factor for x in pi.series if x.factor is not None}
        fac = {k: v for k, v in p.items() if k in used}   # per draw; each spell reads its draw's value
        cut = costs_until(pi, h.state, sub, h.start, h.end, h.stair0, fac, np.concatenate([lo, hi]), group,
                          np.ones(h.state.size), 2 * D, discounted=False, factor_index=h.draw)[:, :, 0]
        spend += (cut[:, len(years):] - cut[:, :len(years)]).reshape(D, 2, len(years))
    share = p[c.per_referral_share] if isinstance(c.per_referral_share, str) else np.full(D, c.per_referral_share)
    referred = np.array([np.count_nonzero((h.referral >= a) & (h.referral < b)) for a, b in bounds], dtype=float)
    for item in sc.budget.per_referral:
        if item.name not in c.per_referral or item.payer != "municipality":
            continue
        amt = p[item.amount] if isinstance(item.amount, str) else np.full(D, float(item.amount))
        for arm in item.arms:
            spend[:, ARMS.index(arm), :] += (amt * share)[:, None] * referred[None, :]
    in_states = np.isin(h.state, np.asarray(c.states))
    py = np.zeros((2 * D, len(years)))
    for k, (a, b) in enumerate(bounds):
        ov = np.clip(np.minimum(h.end, b) - np.maximum(h.start, a), 0.0, None) * in_states
        py[:, k] = np.bincount(group, weights=ov, minlength=2 * D) / WEEKS_PER_YEAR
    rate = p[c.per_person_year] if isinstance(c.per_person_year, str) else np.full(D, float(c.per_person_year))
    ceil = py.reshape(D, 2, len(years)) * rate[:, None, None]
    ends = hi - 1.0 / 7.0   # booked on the year's last day (31 Dec), or the horizon's last day
    return CeilingExcess(tuple(years), ends, spend, ceil, np.maximum(spend - ceil, 0.0))


def statuses(sc: ModelScenario, h: Histories, params: Mapping[str, np.ndarray], score_z: np.ndarray,
             as_of_week: float, final: bool) -> dict[str, dict]:
    """Compute the indicator statuses of both arms of a block, as of a week."""
    cell_draw = np.arange(h.draws * h.persons) // h.persons
    per_cell = {k: v[cell_draw] for k, v in params.items()}
    out = {}
    for arm in ARMS:
        ctx = Context(sc.model, as_of_week, final, sc.week_of(sc.terms.outcome_window_end), arm,
                      per_cell, score_z.reshape(-1))
        out[arm] = evaluate_indicators(sc.model, arm_spells(h, arm, sc.model), ctx)
    return out


def block_outputs(sc: ModelScenario, p: Mapping[str, np.ndarray], seed: int, block: int,
                  curve_draws: int, draws: int) -> dict[str, np.ndarray]:
    """Per-draw outputs of one block of ``draws`` draws (``p``: parameter values of its draws).

    Examples
    --------
    >>> import simkit
    >>> sc = simkit.load_scenario("sundinvest_2021")
    >>> out = block_outputs(sc, _param_rows(sc, 1, 0, 3), 1, 0, 0, 3)
    >>> {np.shape(v) for v in out.values()}, "curve" in out  # one value per draw; no curve draws asked for
    ({(3,)}, False)
    >>> # the decomposition adds up: savings + avoided costs - uncovered costs - repayment
    >>> parts = out["savings_pv"] + out["bau_cost_pv"] - out["uncovered_pv"] - out["repayment_pv"]
    >>> bool(np.allclose(out["net_pv"], parts))
    True
    """
    D = draws
    # a scenario without uncertain parameters still has D draws (the kernel reads D from the values)
    h = simulate_histories(sc, p if p else {"_draws": np.zeros(D)}, seed=seed, block=block)
    P_ = h.persons
    z = _generator(seed, STREAM_SCORES, block).standard_normal((D, P_))
    meas = sc.week_of(sc.terms.measurement_date)
    st = statuses(sc, h, p, z, meas, final=True)
    comp = sc.model.completion_indicator
    counts = count(st["programme"], D, P_, comp)
    counts_bau = count(st["bau"], D, P_, comp)
    rep = repayment(sc.contract, counts)
    fund = fund_view(sc.contract, rep.total)

    pr = _prices(sc)
    draw = h.draw
    sub = h.subgroup[h.person]
    used = {x.factor for x in pr.series if x.factor is not None}
    fac = {k: v for k, v in p.items() if k in used}   # per draw (the prices' factors); spells read their draw's
    sign = np.where(h.arm == 0, 1.0, -1.0)   # bau cost − programme cost = saving
    by_draw = group_costs(pr, h.state, sub, h.start, h.end, h.stair0, fac, draw, sign, D, factor_index=draw)
    savings = {payer: by_draw[:, i] for i, payer in enumerate(PAYERS)}

    b = sc.budget
    v_ref = pr.v(h.referral)
    ref_pv = v_ref.sum()
    programme_pv = np.zeros(D)
    bau_pv = np.zeros(D)
    other_payers = {payer: np.zeros(D) for payer in PAYERS}
    for c in b.per_referral:
        amt = p[c.amount] if isinstance(c.amount, str) else np.full(D, float(c.amount))
        for arm in c.arms:
            if c.payer == "municipality":
                if arm == "programme":
                    programme_pv = programme_pv + amt * ref_pv
                else:
                    bau_pv = bau_pv + amt * ref_pv
            else:
                other_payers[c.payer] += (amt if arm == "bau" else -amt) * ref_pv
    avoided = p[b.avoided_cost] if isinstance(b.avoided_cost, str) else np.full(D, float(b.avoided_cost))
    bau_pv = bau_pv + avoided * ref_pv

    def dated_pv(items, curve_weeks=None):
        if curve_weeks is None:
            return model_dated_pv(sc, items)
        return sum(amount * float(pr.v(np.array(sc.week_of(day)))) * (curve_weeks >= sc.week_of(day))
                   for day, amount in items)

    grant = sc.contract.grant
    grant_pv = grant * dated_pv(sc.terms.disbursement)
    rep_unit = dated_pv(sc.terms.schedule)
    other_items = tuple((c.date, c.amount) for c in b.other_costs if c.payer == "municipality")
    other_pv = dated_pv(other_items) if other_items else 0.0
    repayment_pv = rep.total * rep_unit
    uncovered = programme_pv + other_pv - grant_pv
    net = savings["municipality"] + bau_pv - uncovered - repayment_pv
    excess = [ceiling_excess(sc, h, p, i, pr) for i in range(len(sc.budget.ceilings))]
    excess_pv = np.zeros((D, 2))
    for x in excess:   # not compensated: a municipal cost at each budget year's end, in each arm
        excess_pv += (x.excess * pr.v(x.ends)[None, None, :]).sum(axis=2)
    # what the programme adds above the ceiling is a cost the grant does not cover (so the summary's
    # decomposition savings + avoided − uncovered − repayment still adds up to the net effect)
    uncovered = uncovered + excess_pv[:, 1] - excess_pv[:, 0]
    net = net + excess_pv[:, 0] - excess_pv[:, 1]

    kinds = np.array([s.kind for s in sc.model.states])
    pension = (kinds == "pension")[h.state]
    eduwork = ((kinds == "education") | (kinds == "job"))[h.state]

    def persons_with(mask, arm):
        x = np.zeros(D * P_, dtype=bool)
        x[h.key[mask & (h.arm == arm)]] = True
        return x.reshape(D, P_).sum(axis=1, dtype=np.int32)

    out: dict[str, np.ndarray] = {
        **{f"param:{k}": v for k, v in p.items()},
        "repayment": rep.total, "repayment_pv": repayment_pv, "savings_pv": savings["municipality"],
        "savings_pv:state": savings["state"] + other_payers["state"],
        "savings_pv:region": savings["region"] + other_payers["region"],
        "bau_cost_pv": bau_pv, "uncovered_pv": uncovered, "net_pv": net,
        "fund_multiple": fund.multiple, "fund_irr": fund.irr,
        "ceiling_excess_pv:bau": excess_pv[:, 0], "ceiling_excess_pv:programme": excess_pv[:, 1],
        "dp_awards": persons_with(pension, 1), "dp_awards_bau": persons_with(pension, 0),
        "outcomes": persons_with(eduwork, 1), "outcomes_bau": persons_with(eduwork, 0),
    }
    for name, k in counts.items():
        for key in k.keys():
            out[f"count:{name}:{key}"] = np.asarray(k[key], dtype=np.int32)
        out[f"count_bau:{name}:achieved"] = np.asarray(counts_bau[name].achieved, dtype=np.int32)
    for t in sc.contract.targets:
        out[f"met:{t.id}"] = rep.met[t.id]
        out[f"factor:{t.id}"] = rep.factor[t.id]
    for ln in sc.contract.rate_card:
        out[f"line:{ln.id}"] = rep.by_line[ln.id]

    m = max(0, min(D, curve_draws))
    if m:
        sel = draw < m
        years = np.arange(1, b.horizon_years + 1) * WEEKS_PER_YEAR
        curve = costs_until(pr, h.state[sel], sub[sel], h.start[sel], h.end[sel], h.stair0[sel], fac, years,
                            draw[sel], sign[sel], m, factor_index=draw[sel])[:, :, 0]
        ref_y = (v_ref[None, :] * (h.referral[None, :] <= years[:, None])).sum(axis=1)
        pa = (programme_pv[:m] / ref_pv) if ref_pv else np.zeros(m)
        ba = (bau_pv[:m] / ref_pv) if ref_pv else np.zeros(m)
        other_y = dated_pv(other_items, years) if other_items else 0.0
        curve += ((ba - pa)[:, None] * ref_y[None, :] - other_y
                  + grant * dated_pv(sc.terms.disbursement, years)
                  - rep.total[:m, None] * dated_pv(sc.terms.schedule, years))
        cash = _cash(sc, pr, h, sign, sub, fac, draw, m, rep.total, p, D)
        pts = np.array([sc.week_of(d) for _, d in sc.cash_points()])
        for x in excess:
            diff = x.excess[:m, 0, :] - x.excess[:m, 1, :]
            curve += (diff * pr.v(x.ends)[None, :]) @ (x.ends[:, None] <= years[None, :] + 1e-9)
            cash += diff @ (x.ends[:, None] <= pts[None, :] + 1e-9).astype(float)
        out["curve"] = curve
        out["cash_curve"] = cash
    return out


def _cash(sc, pr, h, sign, sub, fac, draw, m, rep_total, p, D) -> np.ndarray:
    """Cumulative cash position of the municipality (undiscounted, nominal) at each cash point.

    savings on benefits and other costs (business as usual − programme) up to the date
    + activation spending avoided − programme costs for those referred by then
    − dated costs by then + grant received by then − repayments paid by then.
    """
    b = sc.budget
    pts = [sc.week_of(d) for _, d in sc.cash_points()]
    sel = draw < m
    out = np.zeros((m, len(pts)))
    per = np.zeros(m)
    for c in b.per_referral:
        if c.payer != "municipality":
            continue
        amt = p[c.amount][:m] if isinstance(c.amount, str) else np.full(m, float(c.amount))
        for arm in c.arms:
            per = per + (amt if arm == "bau" else -amt)
    avoided = p[b.avoided_cost][:m] if isinstance(b.avoided_cost, str) else np.full(m, float(b.avoided_cost))
    per = per + avoided
    out += costs_until(pr, h.state[sel], sub[sel], h.start[sel], h.end[sel], h.stair0[sel],
                       fac, pts, draw[sel], sign[sel], m, discounted=False, factor_index=draw[sel])[:, :, 0]
    for k, wk in enumerate(pts):
        out[:, k] += per * np.count_nonzero(h.referral <= wk)
        out[:, k] -= sum(c.amount for c in b.other_costs if c.payer == "municipality" and sc.week_of(c.date) <= wk)
        out[:, k] += sc.contract.grant * sum(sh for d, sh in sc.terms.disbursement if sc.week_of(d) <= wk)
        out[:, k] -= rep_total[:m] * sum(sh for d, sh in sc.terms.schedule if sc.week_of(d) <= wk)
    return out


def simulate_model_shared_chunk(sc: ModelScenario, job: ModelJob) -> dict[str, np.ndarray]:
    """:func:`simulate_model_chunk` of a job sent without its scenario (the workers hold ``sc``).

    Examples
    --------
    >>> import simkit
    >>> sc = simkit.load_scenario("sundinvest_2021")
    >>> a = simulate_model_shared_chunk(sc, ModelJob(None, 1, 0, 3, 1, {}, 0))
    >>> b = simulate_model_chunk(ModelJob(sc, 1, 0, 3, 1, {}, 0))
    >>> a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    True
    """
    return simulate_model_chunk(replace(job, scenario=sc))  # type: ignore[arg-type]  # Job.scenario is typed for version 1; version-2 jobs carry a ModelScenario


def simulate_model_chunk(job: ModelJob) -> dict[str, np.ndarray]:
    """Simulate draws [job.start, job.stop) of a version-2 scenario, block by block.

    Examples
    --------
    >>> import simkit
    >>> sc = simkit.load_scenario("sundinvest_2021")
    >>> out = simulate_model_chunk(ModelJob(sc, 1, 0, 3, 1, {}, 0))  # draws 0..2 of seed 1, no nesting
    >>> one = block_outputs(sc, _param_rows(sc, 1, 0, 3), 1, 0, 0, 3)  # the same draws as one block
    >>> out.keys() == one.keys() and all(np.array_equal(out[k], one[k]) for k in out)
    True
    """
    sc: ModelScenario = job.scenario  # type: ignore[assignment]  # a version-2 job carries its ModelScenario
    parts = []
    b0, b1 = job.start // BLOCK, (job.stop - 1) // BLOCK
    for blk in range(b0, b1 + 1):
        lo, hi = max(job.start, blk * BLOCK), min(job.stop, (blk + 1) * BLOCK)
        pstart, pstop = lo // job.inner, (hi - 1) // job.inner + 1
        prows = _param_rows(sc, job.seed, pstart, pstop)
        take = np.arange(lo, hi) // job.inner - pstart
        p = {k: v[take] for k, v in prows.items()}
        for k, v in job.fixed.items():
            arr = np.asarray(v, dtype=float)
            p[k] = np.broadcast_to(arr if arr.ndim == 0 else arr[lo - job.start:hi - job.start], (hi - lo,)).copy()
        # the cohort's random numbers are keyed by draw block: a chunk may start mid-block only
        # in nested mode, where cohort block = draw // BLOCK as well
        parts.append(block_outputs(sc, p, job.seed, blk, max(0, min(hi, job.curve_draws) - lo), hi - lo))
    if len(parts) == 1:
        return parts[0]
    keys = parts[0].keys()
    return {k: np.concatenate([q[k] for q in parts if k in q]) for k in keys if any(k in q for q in parts)}
