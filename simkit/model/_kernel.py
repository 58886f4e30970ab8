"""The compiled path of the model: the scenario as arrays, and lazy access to the numba kernels.

:func:`tables` turns a :class:`~simkit.model.spec.ModelScenario` and a block's
parameter values into plain arrays (per transition: kind, clock, arms,
subgroups, arguments per draw; the programme's effects and dated changes as
step functions; subgroup ratios) that :mod:`simkit.model._kernel_nb` reads.
The compiled path covers the built-in hazard kinds (``exponential``,
``weekly``, ``weibull``, ``piecewise``, ``fixed``); a scenario that uses a
kind registered by the user (or a re-registered built-in) runs on the numpy
path of :mod:`simkit.model.simulate`, which reads the same random numbers.

numba is imported, and its kernels compiled, on the first call of :func:`nb`,
never at ``import simkit``: compiling takes 20–50 s once (measured on a busy
2-core machine) and is cached on disk next to the module (numba's
``cache=True``); later processes load the cache in about 2–3 s.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from simkit.model.hazards import HAZARD_KINDS
from simkit.model.spec import ARMS, PAYERS, ModelScenario

__all__ = ["BUILTIN_KINDS", "compiled_supported", "nb", "philox_key", "tables"]

#: the hazard-kind objects the kernel implements (a re-registered name falls back to numpy)
BUILTIN_KINDS = {name: HAZARD_KINDS[name] for name in ("exponential", "weekly", "weibull", "piecewise", "fixed")}
_KIND_CODE = {"exponential": 0, "weekly": 0, "weibull": 1, "piecewise": 2, "fixed": 3}
_MOD = None


def nb():
    """Return the compiled kernels (imports numba and compiles on first use)."""
    global _MOD
    if _MOD is None:
        # start-up speed: numba is imported (and the kernels compiled) on first use
        from simkit.model import _kernel_nb

        _MOD = _kernel_nb
    return _MOD


def philox_key(seed: int, stream: int, block: int) -> np.ndarray:
    """Return the Philox key (2 × uint64) of a stream and block: ``SeedSequence(seed, spawn_key=(stream, block))``."""
    return np.random.SeedSequence(seed, spawn_key=(stream, block)).generate_state(2, np.uint64)


def _builtin(name: str) -> bool:
    return name in BUILTIN_KINDS and HAZARD_KINDS.get(name) is BUILTIN_KINDS[name]


_MAX_BREAKS = 64   # hazard-ratio steps on one transition the compiled loop has room for


def compiled_supported(sc: ModelScenario) -> bool:
    """Whether every hazard and sojourn of ``sc`` has a compiled implementation."""
    m = sc.model
    for t in m.transitions:
        if t.dist != "split" and not _builtin(t.dist):
            return False
        steps = sum(1 for c in m.changes if t.index in c.transitions and c.by == "calendar")
        steps += sum(len(e.multiplier.breaks) - 1 for e in m.effects if t.index in e.transitions)
        if steps > _MAX_BREAKS:
            return False
    for dist, _ in m.sojourns.values():
        if not _builtin(dist) or dist == "piecewise":
            return False
    return True


def _per_draw(v, params: Mapping[str, np.ndarray], D: int) -> np.ndarray:
    if isinstance(v, str):
        return np.asarray(params[v], dtype=float)
    return np.full(D, float(v))


def _kind_args(dist: str, args: Mapping, params, D: int):
    """(code, a, b, pw) with a, b per draw; ``pw`` = (breaks, rates (k, D), cum (k, D)) for piecewise."""
    code = _KIND_CODE[dist]
    one = np.ones(D)
    if dist == "exponential":
        if "rate" in args:
            a = _per_draw(args["rate"], params, D)
        else:
            with np.errstate(divide="ignore"):
                a = 1.0 / _per_draw(args["mean_weeks"], params, D)
        return code, a, one, None
    if dist == "weekly":
        p = np.clip(_per_draw(args["probability"], params, D), 0.0, 1.0)
        with np.errstate(divide="ignore"):
            return code, -np.log1p(-p), one, None
    if dist == "weibull":
        return code, _per_draw(args["shape"], params, D), _per_draw(args["scale_weeks"], params, D), None
    if dist == "fixed":
        return code, _per_draw(args["weeks"], params, D), one, None
    b = np.asarray(args["breaks_weeks"], dtype=float)
    r = np.stack([_per_draw(x, params, D) for x in args["rates"]])          # (k, D)
    widths = np.diff(np.append(b, np.inf))
    pieces = np.where(np.isinf(widths)[:, None], 0.0, r * np.where(np.isinf(widths), 0.0, widths)[:, None])
    cum = np.concatenate([np.zeros((1, D)), np.cumsum(pieces, axis=0)], axis=0)[:-1]
    return code, one, one, (b, r, cum)


def tables(sc: ModelScenario, params: Mapping[str, np.ndarray], D: int) -> dict[str, Any]:
    """Return the arrays of the kernel's event loop for one block (``D`` draws)."""
    m = sc.model
    S, T, G = len(m.states), len(m.transitions), max(len(m.subgroups), 1)
    sub_ids = [g.id for g in m.subgroups]
    eff_tr = {j for e in m.effects for j in e.transitions}

    def armbits(arms) -> int:
        return sum(1 << ARMS.index(a) for a in arms)

    def submask(subs) -> np.ndarray:
        out = np.ones(G, dtype=np.bool_)
        if subs is not None:
            out[:] = False
            out[[sub_ids.index(x) for x in subs]] = True
        return out

    # states and their transitions (declared order; slot offsets as in simulate._Compiled)
    out_of: dict[int, list] = {}
    for t in m.transitions:
        out_of.setdefault(t.source_state, []).append(t)
    st_first, st_cnt = np.zeros(S, np.int64), np.zeros(S, np.int64)
    spl_first, spl_cnt = np.zeros(S, np.int64), np.zeros(S, np.int64)
    st_trs: list[int] = []
    spl_trs: list[int] = []
    tr_slot = np.zeros(T, np.int64)
    for s in range(S):
        ts = out_of.get(s, [])
        st_first[s], st_cnt[s] = len(st_trs), len(ts)
        st_trs.extend(t.index for t in ts)
        o = 0
        for t in ts:
            tr_slot[t.index] = o
            o += 4 if (t.index in eff_tr and not HAZARD_KINDS[t.dist].deterministic) else 1
        if s in m.sojourns:
            order = sorted(ts, key=lambda t: t.probability is None)
            spl_first[s], spl_cnt[s] = len(spl_trs), len(order)
            spl_trs.extend(t.index for t in order)
    sp_kind, sp_a, sp_b = np.zeros(S, np.int64), np.ones((S, D)), np.ones((S, D))
    st_split = np.zeros(S, np.bool_)
    for s, (dist, args) in m.sojourns.items():
        st_split[s] = True
        sp_kind[s], sp_a[s], sp_b[s], _ = _kind_args(dist, args, params, D)

    kmax = max([len(t.args["breaks_weeks"]) for t in m.transitions if t.dist == "piecewise"] or [1])
    tr_dst, tr_kind, tr_clock = np.zeros(T, np.int64), np.zeros(T, np.int64), np.zeros(T, np.int64)
    tr_arm, tr_sub, tr_eff = np.zeros(T, np.int64), np.ones((T, G), np.bool_), np.zeros(T, np.bool_)
    tr_a, tr_b, tr_prob, tr_rest = np.ones((T, D)), np.ones((T, D)), np.zeros((T, D)), np.zeros(T, np.bool_)
    pw_n, pw_br = np.ones(T, np.int64), np.zeros((T, kmax))
    pw_r, pw_c = np.zeros((T, kmax, D)), np.zeros((T, kmax, D))
    for t in m.transitions:
        i = t.index
        tr_dst[i], tr_clock[i] = t.target_state, 0 if t.clock == "in_state" else 1
        tr_arm[i], tr_sub[i] = armbits(t.arms), submask(t.subgroups)
        if t.dist == "split":
            tr_kind[i] = 3
            tr_rest[i] = t.probability is None
            if t.probability is not None:
                tr_prob[i] = _per_draw(t.probability, params, D)
            continue
        tr_kind[i], tr_a[i], tr_b[i], pw = _kind_args(t.dist, t.args, params, D)
        tr_eff[i] = i in eff_tr and not HAZARD_KINDS[t.dist].deterministic
        if pw is not None:
            k = pw[0].size
            pw_n[i], pw_br[i, :k], pw_r[i, :k], pw_c[i, :k] = k, pw[0], pw[1], pw[2]

    sub_hr = np.ones((T, G, D))
    for g in m.subgroups:
        for j, r in g.hazard_ratios:
            sub_hr[j, g.index] *= _per_draw(r, params, D)

    # referral-date changes (a constant factor per cell) and step functions (calendar changes, effects)
    rc: list[tuple] = []
    ent: list[tuple] = []   # (transition, is_effect, clock, breaks, values (nb, D), arm bits, subgroup mask)
    for i in range(T):
        for c in m.changes:
            if i not in c.transitions:
                continue
            w = sc.week_of(c.start)
            hr = _per_draw(c.hazard_ratio, params, D)
            if c.by == "referral":
                rc.append((i, armbits(c.arms), w, hr))
            else:
                ent.append((i, False, 0, np.array([-np.inf, w]), np.stack([np.ones(D), hr]),
                            armbits(c.arms), np.ones(G, np.bool_)))
        for ef in m.effects:
            if i not in ef.transitions or not tr_eff[i]:
                continue
            vals = np.stack([_per_draw(v, params, D) for v in ef.multiplier.values])
            ent.append((i, True, 1, np.asarray(ef.multiplier.breaks, dtype=float), vals,
                        armbits(ef.arms), submask(ef.subgroups)))
    rc_first, rc_cnt = np.zeros(T, np.int64), np.zeros(T, np.int64)
    for j, x in enumerate(rc):
        if rc_cnt[x[0]] == 0:
            rc_first[x[0]] = j
        rc_cnt[x[0]] += 1
    NR = max(len(rc), 1)
    rc_arm, rc_w, rc_hr = np.zeros(NR, np.int64), np.zeros(NR), np.ones((NR, D))
    for j, x in enumerate(rc):
        rc_arm[j], rc_w[j], rc_hr[j] = x[1], x[2], x[3]
    NE = max(len(ent), 1)
    MB = max([x[3].size for x in ent] or [1])
    e_first, e_cnt = np.zeros(T, np.int64), np.zeros(T, np.int64)
    e_iseff, e_clock, e_nb = np.zeros(NE, np.bool_), np.zeros(NE, np.int64), np.ones(NE, np.int64)
    e_br, e_vals = np.full((NE, MB), np.inf), np.ones((NE, MB, D))
    e_arm, e_sub, e_max = np.zeros(NE, np.int64), np.ones((NE, G), np.bool_), np.ones((NE, D))
    for j, (i, iseff, clock, br, vals, ab, sm) in enumerate(ent):
        if e_cnt[i] == 0:
            e_first[i] = j
        e_cnt[i] += 1
        e_iseff[j], e_clock[j], e_nb[j] = iseff, clock, br.size
        e_br[j, :br.size], e_vals[j, :br.size] = br, vals
        e_arm[j], e_sub[j] = ab, sm
        e_max[j] = np.maximum(vals.max(axis=0), 1.0)

    TI = np.stack([tr_dst, tr_kind, tr_clock, tr_arm, tr_slot, tr_eff.astype(np.int64), e_first, e_cnt,
                   rc_first, rc_cnt, pw_n], axis=1) if T else np.zeros((1, 11), np.int64)
    EI = np.stack([e_iseff.astype(np.int64), e_clock, e_nb, e_arm], axis=1)
    # per-draw tables draw-major (the loop runs over the cells of one draw after another)
    RF = np.concatenate([rc_w[None, :], rc_hr.T], axis=0)          # (1 + D, NR): row 0 the weeks
    tr_a, tr_b, tr_prob, sp_a, sp_b = (np.ascontiguousarray(x.T) for x in (tr_a, tr_b, tr_prob, sp_a, sp_b))
    pw_r, pw_c = (np.ascontiguousarray(x.transpose(2, 0, 1)) for x in (pw_r, pw_c))
    sub_hr = np.ascontiguousarray(sub_hr.transpose(2, 0, 1))
    e_vals = np.ascontiguousarray(e_vals.transpose(2, 0, 1))
    e_max = np.ascontiguousarray(e_max.T)
    init = np.array([[grp.initial[a] for a in ARMS] for grp in m.subgroups], dtype=np.int64)
    return dict(
        referral=sc.referral_weeks().astype(float), sub=sc.subgroup_of_person().astype(np.int64), init=init,
        prior=np.array([grp.prior_benefit_weeks for grp in m.subgroups], dtype=float),
        H=float(sc.budget.horizon_weeks), W=float(sc.budget.restart_window_weeks),
        need=float(sc.budget.restart_weeks),
        st_abs=np.array([s.absorbing for s in m.states]), st_stair=np.array([s.staircase for s in m.states]),
        st_ss=np.array([s.self_support for s in m.states]), st_split=st_split,
        st_first=st_first, st_cnt=st_cnt, st_trs=np.array(st_trs or [0], np.int64),
        sp_kind=sp_kind, sp_a=sp_a, sp_b=sp_b,
        spl_first=spl_first, spl_cnt=spl_cnt, spl_trs=np.array(spl_trs or [0], np.int64),
        TI=TI, tr_sub=tr_sub, tr_a=tr_a, tr_b=tr_b, tr_prob=tr_prob, tr_rest=tr_rest,
        pw_br=pw_br, pw_r=pw_r, pw_c=pw_c, sub_hr=sub_hr, rc_arm=rc_arm, RF=RF, EI=EI,
        e_br=e_br, e_vals=e_vals, e_sub=e_sub, e_max=e_max,
    )


_ORDER = ("referral", "sub", "init", "prior", "H", "W", "need")
_ORDER2 = ("st_abs", "st_stair", "st_ss", "st_split", "st_first", "st_cnt", "st_trs",
           "sp_kind", "sp_a", "sp_b", "spl_first", "spl_cnt", "spl_trs",
           "TI", "tr_sub", "tr_a", "tr_b", "tr_prob", "tr_rest", "pw_br", "pw_r", "pw_c", "sub_hr",
           "rc_arm", "RF", "EI", "e_br", "e_vals", "e_sub", "e_max")


def run(sc: ModelScenario, params: Mapping[str, np.ndarray], D: int, key: np.ndarray, max_steps: int,
        cap: int | None = None):
    """Run the compiled event loop; returns the spell arrays and (uniforms used, Philox blocks).

    ``cap`` is the room of the output buffers in spells (default: 32 per cell and
    arm; untouched pages of ``np.empty`` cost no memory); when they fill up the
    loop goes on from the cell where it stopped into fresh room.
    """
    tb = tables(sc, params, D)
    P = tb["referral"].size
    cap = max(2 * max_steps, 32 * 2 * D * P if cap is None else cap)
    out = (np.empty(cap, np.int64), np.empty(cap, np.int8), np.empty(cap, np.int16), np.empty(cap),
           np.empty(cap), np.empty(cap, np.int16), np.empty(cap))
    scratch = (np.zeros(2, np.int64), np.zeros(4, np.uint64), np.full(3, -1, np.int64), np.empty(_MAX_BREAKS + 1),
               np.empty(3), np.empty(3))
    parts: list[Any] = []
    arm, cell = 0, 0
    while True:
        arm, cell, pos, status = nb().run_histories(key, D, P, *(tb[k] for k in _ORDER), max_steps,
                                                    *(tb[k] for k in _ORDER2), *out, *scratch, arm, cell)
        if status == 2:  # pragma: no cover - guarded by validation
            raise RuntimeError(f"the model did not finish within {max_steps:,} transitions per person")
        if status == 0 and not parts:
            spells = [a[:pos] for a in out]
            break
        parts.append([a[:pos].copy() for a in out])
        if status == 0:
            spells = [np.concatenate(x) for x in zip(*parts, strict=True)]
            break
    return spells, scratch[0]


def price_tables(P) -> dict[str, np.ndarray]:
    """Return padded arrays of a :class:`simkit.model.pricing.Prices` for the compiled pricing kernel."""
    ns = len(P.series)
    k = max([s.grid.size for s in P.series] or [1])
    G = max([max(s.subgroups) + 1 for s in P.series if s.subgroups] or [1])
    nstate = max([s.state for s in P.series] or [0]) + 1
    grid = np.full((max(ns, 1), k), np.inf)
    rate, cpv, cash, v, d = (np.zeros((max(ns, 1), k)) for _ in range(5))
    s_n, s_payer = np.ones(max(ns, 1), np.int64), np.zeros(max(ns, 1), np.int64)
    s_stair = np.zeros(max(ns, 1), np.bool_)
    factors = sorted({s.factor for s in P.series if s.factor is not None})
    s_fac = np.full(max(ns, 1), -1, np.int64)
    for i, s in enumerate(P.series):
        n = s.grid.size
        s_n[i] = n
        grid[i, :n], rate[i, :n], cpv[i, :n], cash[i, :n], v[i, :n], d[i, :n] = (
            s.grid, s.rate, s.cum_pv, s.cum_cash, s.vgrid, s.dgrid)
        s_payer[i], s_stair[i] = PAYERS.index(s.payer), s.staircase
        if s.factor is not None:
            s_fac[i] = factors.index(s.factor)
    by_first, by_cnt = np.zeros(nstate, np.int64), np.zeros(nstate, np.int64)
    by_ser: list[Any] = []
    for st, idx in P.by_state.items():
        by_first[st], by_cnt[st] = len(by_ser), len(idx)
        by_ser.extend(idx)
    return dict(by_first=by_first, by_cnt=by_cnt, by_ser=np.array(by_ser or [0], np.int64), s_payer=s_payer,
                s_fac=s_fac, s_stair=s_stair, s_n=s_n, s_grid=grid, s_rate=rate, s_cpv=cpv, s_cash=cash,
                s_v=v, s_d=d, steps=np.asarray(P.steps, dtype=float), rho=np.asarray(P.rho, dtype=float),
                factors=factors, G=G, nstate=nstate, series=P.series)


def _submask(series, G: int, gmax: int) -> np.ndarray:
    out = np.ones((max(len(series), 1), gmax), np.bool_)
    for i, s in enumerate(series):
        if s.subgroups is not None:
            out[i] = False
            out[i, list(s.subgroups)] = True
    return out


def _price_args(pt: dict, state, subgroup, factors, factor_index=None):
    """Kernel arguments; ``factor_index`` (one row per spell) reads ``factors`` at rows, else one value per spell."""
    n = state.size
    state = np.asarray(state, dtype=np.int64)
    subgroup = np.asarray(subgroup, dtype=np.int64)
    gmax = max(pt["G"], int(subgroup.max()) + 1 if n else 1)
    s_sub = _submask(pt["series"], pt["G"], gmax)
    if factor_index is None:
        rows, fidx = n, np.arange(n)
    else:
        fidx = np.asarray(factor_index, dtype=np.int64)
        rows = max([np.size(factors[f]) for f in pt["factors"]] + [1])
    fac = np.stack([np.broadcast_to(np.asarray(factors[f], dtype=float), (rows,)) for f in pt["factors"]]) \
        if pt["factors"] else np.zeros((1, max(rows, 1)))
    by_first, by_cnt = pt["by_first"], pt["by_cnt"]
    smax = int(state.max()) + 1 if n else 1
    if smax > by_first.size:   # states without a price
        by_first = np.append(by_first, np.zeros(smax - by_first.size, np.int64))
        by_cnt = np.append(by_cnt, np.zeros(smax - by_cnt.size, np.int64))
    tables = (by_first, by_cnt, pt["by_ser"], pt["s_payer"], s_sub, pt["s_fac"], pt["s_stair"], pt["s_n"],
              pt["s_grid"], pt["s_rate"], pt["s_cpv"], pt["s_cash"], pt["s_v"], pt["s_d"], pt["steps"], pt["rho"])
    return state, subgroup, fac, fidx, tables


def price_spells(pt: dict, state, subgroup, start, end, stair0, factors, until, discounted,
                 factor_index=None) -> np.ndarray:
    """Costs (n, 3) per spell and payer through the compiled kernel."""
    state, subgroup, fac, fidx, tables = _price_args(pt, state, subgroup, factors, factor_index)
    out = np.zeros((state.size, 3))
    nb().spell_costs(state, subgroup, np.asarray(start, float), np.asarray(end, float),
                     np.asarray(stair0, float), fac, fidx, math.inf if until is None else float(until),
                     bool(discounted), *tables, out, np.zeros(3))
    return out


def price_groups(pt: dict, state, subgroup, start, end, stair0, factors, group, weight, groups: int,
                 discounted: bool, factor_index=None) -> np.ndarray:
    """``out[g, payer]``: sum over the spells of group ``g`` of ``weight`` × cost (one compiled pass)."""
    state, subgroup, fac, fidx, tables = _price_args(pt, state, subgroup, factors, factor_index)
    out = np.zeros((groups, 3))
    nb().group_costs(state, subgroup, np.asarray(start, float), np.asarray(end, float), np.asarray(stair0, float),
                     fac, fidx, np.asarray(group, dtype=np.int64), np.asarray(weight, dtype=float), bool(discounted),
                     *tables, out, np.zeros(3))
    return out


def price_cuts(pt: dict, state, subgroup, start, end, stair0, factors, cuts, group, weight, groups: int,
               discounted: bool, factor_index=None) -> np.ndarray:
    """``out[g, k, payer]``: sum over the spells of group ``g`` of ``weight`` × cost before week ``cuts[k]``."""
    state, subgroup, fac, fidx, tables = _price_args(pt, state, subgroup, factors, factor_index)
    cuts = np.asarray(cuts, dtype=float).reshape(-1)
    order = np.argsort(cuts, kind="stable")   # the kernel walks the cuts in order; out keeps the caller's
    out = np.zeros((groups, cuts.size, 3))
    nb().cut_costs(state, subgroup, np.asarray(start, float), np.asarray(end, float), np.asarray(stair0, float),
                   fac, fidx, cuts[order], order.astype(np.int64), np.asarray(group, dtype=np.int64),
                   np.asarray(weight, dtype=float), bool(discounted), *tables, out, np.zeros((cuts.size + 1, 3)),
                   np.zeros((groups, cuts.size, 3)))
    return out
