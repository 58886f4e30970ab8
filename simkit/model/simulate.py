"""Event-driven microsimulation of a declared multi-state model, both arms.

Axis order and units
--------------------
Time is in **weeks since the agreement start** (continuous: a spell may start
mid-week); a *cell* is one (draw, person) pair of a block of draws, with flat
key ``k = draw × persons + person``; each cell is simulated in both arms
(``arm`` 0 = business as usual, 1 = programme). Output is a flat table of
spells (:class:`Histories`), sorted by (arm, key, start).

Algorithm (no Python loop over persons, draws or weeks)
-------------------------------------------------------
All cells start in their arm's initial state at their referral week. At each
*step* every cell that is still active (not absorbed, not past the horizon)
leaves its current state: each transition out of that state that applies to
the cell's arm and subgroup draws a latent time from its baseline hazard and
multipliers (:mod:`simkit.model.hazards`), and the earliest wins (competing
risks). A state with a declared ``sojourn`` draws the time from it and the
destination from the transitions' probabilities instead. The loop runs over
steps and over the declared states and transitions — never over cells.

Random numbers (common random numbers, reproducible)
----------------------------------------------------
The uniform of (cell ``k``, step ``s``, slot ``j``) of block ``b`` is word
``j % 4`` of Philox4x64-10 (numpy's :class:`~numpy.random.Philox`) of the
counter ``(k, s, j // 4, 0)`` under the key drawn from
``SeedSequence(seed, spawn_key=(STREAM_TRANSITIONS, b))``, turned into a
double as numpy does (:mod:`simkit.model._kernel_nb`). A transition has one
slot, four if the programme's effect acts on it (base time, keep, thinned
restart, excess process); the slots of a state are fixed. Both arms of a cell
read the same number for the same (step, slot), so the arms are coupled
(common random numbers) for as long as their paths agree; a number depends
on its coordinates only, so results are bit-identical whatever the chunk
size, worker count or backend, and the compiled event loop
(:mod:`simkit.model._kernel`, used whenever every hazard kind of the scenario
has a compiled implementation) and the numpy path below read the same
numbers and give the same histories.

Staircase position
------------------
Each cell carries its accumulated weeks on staircase states (starting at its
subgroup's ``prior_benefit_weeks``). The count restarts (lov om kommunernes
finansiering af visse overførselsindkomster § 6, docs/domain.md [STAR]) when
the person has had ``restart_self_support_weeks`` (52) weeks of self-support
within the last ``restart_window_weeks`` (156, three years): checked at the
end of each self-support spell over that spell and the two before it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from simkit.model import _kernel
from simkit.model.hazards import HAZARD_KINDS
from simkit.model.spec import ARMS, ModelScenario
from simkit.rng import STREAMS

__all__ = ["STREAM_SCORES", "STREAM_TRANSITIONS", "Histories", "simulate_histories"]

#: spawn-key stream ids of the model's random numbers (the table is simkit.rng.STREAMS)
STREAM_TRANSITIONS = STREAMS["model_transitions"]
STREAM_SCORES = STREAMS["model_scores"]
_RING = 3          # self-support spells remembered for the restart rule
_MAX_STEPS = 10_000


@dataclass(frozen=True)
class Histories:
    """Spells of one block of draws in both arms (flat arrays of equal length).

    Attributes
    ----------
    draws, persons : int
        Block shape.
    referral : ndarray (persons,)
        Referral week of each person.
    subgroup : ndarray (persons,)
        Subgroup index of each person.
    key, arm, state, start, end, event_in, stair0 : ndarray (spells,)
        Cell key ``draw × persons + person``; arm (0 bau, 1 programme); state
        index; start and end week (end exclusive, at most the horizon);
        index of the transition that led into the state (−1: initial);
        staircase count (weeks) at the spell's start.
    horizon : float
        Horizon in weeks.
    uniforms : int
        Uniforms the simulation drew (for the benchmark's variates per draw).
    """

    draws: int
    persons: int
    referral: np.ndarray
    subgroup: np.ndarray
    key: np.ndarray
    arm: np.ndarray
    state: np.ndarray
    start: np.ndarray
    end: np.ndarray
    event_in: np.ndarray
    stair0: np.ndarray
    horizon: float
    uniforms: int = 0

    @property
    def draw(self) -> np.ndarray:
        """The draw index of each cell."""
        return self.key // self.persons

    @property
    def person(self) -> np.ndarray:
        """The person index of each cell."""
        return self.key % self.persons

    def arm_mask(self, arm: str) -> np.ndarray:
        """Return whether each cell is in ``arm`` (``"bau"`` or ``"programme"``).

        Examples
        --------
        >>> import simkit
        >>> from simkit.engine import _param_rows
        >>> sc = simkit.load_scenario("sundinvest_2021")
        >>> h = simulate_histories(sc, _param_rows(sc, 1, 0, 1), seed=1, block=0)
        >>> bau, prog = h.arm_mask("bau"), h.arm_mask("programme")
        >>> bool((bau ^ prog).all()), bool((h.arm[prog] == 1).all())  # every spell in exactly one arm
        (True, True)
        """
        return self.arm == ARMS.index(arm)

    def occupancy(self, state_ids, weeks, arm: str = "bau") -> np.ndarray:
        """Share of (draw, person) cells of ``arm`` in one of ``state_ids`` at each absolute week.

        Examples
        --------
        >>> import simkit
        >>> from simkit.engine import _param_rows
        >>> sc = simkit.load_scenario("sundinvest_2021")
        >>> h = simulate_histories(sc, _param_rows(sc, 1, 0, 1), seed=1, block=0)
        >>> every = [st.index for st in sc.model.states]
        >>> # before the first referral nobody is in a state; once all are referred everyone is in exactly
        >>> # one; at the horizon no spell is open (ends are exclusive)
        >>> h.occupancy(every, [0.0, h.referral.max(), h.horizon]).tolist()
        [0.0, 1.0, 0.0]
        """
        sel = self.arm_mask(arm) & np.isin(self.state, np.asarray(state_ids))
        s, e = self.start[sel], self.end[sel]
        w = np.asarray(weeks, dtype=float)
        return np.array([np.count_nonzero((s <= t) & (e > t)) for t in w]) / (self.draws * self.persons)


def _value(v, params: Mapping[str, np.ndarray], d: np.ndarray) -> np.ndarray | float:
    """Return a Ref resolved at cells with draw index ``d``."""
    if isinstance(v, str):
        return params[v][d]
    return float(v)


def _args_at(args: Mapping, params, d):
    out: dict[str, Any] = {}
    for k, v in args.items():
        if isinstance(v, list | tuple):
            if k == "breaks_weeks":
                out[k] = np.asarray(v, dtype=float)
            else:
                out[k] = np.stack([np.broadcast_to(_value(x, params, d), d.shape) for x in v], axis=-1)
        else:
            out[k] = _value(v, params, d)
    return out


class _Compiled:
    """Per-block view of the model: multipliers and arguments per transition."""

    def __init__(self, sc: ModelScenario, params: Mapping[str, np.ndarray]):
        m = sc.model
        self.sc, self.m, self.params = sc, m, params
        self.out: dict[int, list] = {}
        for t in m.transitions:
            self.out.setdefault(t.source_state, []).append(t)
        # uniform columns: 1 per transition, 4 for one with a programme effect (base time, keep,
        # thinned restart, excess process); the offsets are fixed per state
        self.offsets: dict[int, list[int]] = {}
        width = 2
        for s_, ts in self.out.items():
            off, o = [], 0
            for t in ts:
                off.append(o)
                o += 4 if (t.index in {j for e in sc.model.effects for j in e.transitions}
                           and not HAZARD_KINDS[t.dist].deterministic) else 1
            self.offsets[s_] = off
            width = max(width, o)
        self.slots = width
        self.absorbing = np.array([s.absorbing for s in m.states])
        self.staircase = np.array([s.staircase for s in m.states])
        self.self_support = np.array([s.self_support for s in m.states])
        self.sub_ids = [g.id for g in m.subgroups]
        # multipliers acting on each transition
        self.effects: dict[int, list] = {}
        for e in m.effects:
            for j in e.transitions:
                self.effects.setdefault(j, []).append(e)
        self.changes: dict[int, list] = {}
        for c in m.changes:
            for j in c.transitions:
                self.changes.setdefault(j, []).append(c)
        self.sub_hr: dict[int, list] = {}
        for g in m.subgroups:
            for j, r in g.hazard_ratios:
                self.sub_hr.setdefault(j, []).append((g.index, r))

    def applies(self, t, arm: np.ndarray, g: np.ndarray) -> np.ndarray:
        ok = np.isin(arm, [ARMS.index(a) for a in t.arms])
        if t.subgroups is not None:
            ok &= np.isin(g, [self.sub_ids.index(x) for x in t.subgroups])
        return ok

    def has_effect(self, t) -> bool:
        return t.index in self.effects and not HAZARD_KINDS[t.dist].deterministic

    def latent(self, t, t0, r, arm, g, d, e, *, effect: str = "none", t_from=None):
        """Latent transition times (absolute weeks) for cells entered at ``t0``, unit exponentials ``e``.

        ``effect`` says how the programme's hazard ratio ``m(t)`` of the
        transition's effects enters: ``"none"`` (left out), ``"thin"``
        (``min(m, 1)``) or ``"excess"`` (``max(m − 1, 0)``); the search starts
        at ``t_from`` (default ``t0``; the clock still counts from ``t0``).
        """
        kind = HAZARD_KINDS[t.dist]
        args = _args_at(t.args, self.params, d)
        if kind.deterministic:
            return t0 + kind.inverse(e, args)
        t_from = t0 if t_from is None else t_from
        # constant factor per cell: subgroup ratios and referral-date changes
        const = np.ones(t0.shape)
        for gi, rv in self.sub_hr.get(t.index, ()):
            const = np.where(g == gi, const * _value(rv, self.params, d), const)
        steps = []   # (clock, breaks, values per cell (n, nb), is_effect)
        for c in self.changes.get(t.index, ()):
            arm_ok = np.isin(arm, [ARMS.index(a) for a in c.arms])
            w = self.sc.week_of(c.start)
            hr = _value(c.hazard_ratio, self.params, d)
            if c.by == "referral":
                const = np.where(arm_ok & (r >= w), const * hr, const)
            else:
                vals = np.stack([np.ones(t0.shape), np.where(arm_ok, hr, 1.0) * np.ones(t0.shape)], axis=-1)
                steps.append(("calendar", np.array([-np.inf, w]), vals, False))
        if effect != "none":
            for ef in self.effects.get(t.index, ()):
                ok = np.isin(arm, [ARMS.index(a) for a in ef.arms])
                if ef.subgroups is not None:
                    ok &= np.isin(g, [self.sub_ids.index(x) for x in ef.subgroups])
                vals = np.stack([np.where(ok, np.broadcast_to(_value(v, self.params, d), t0.shape), 1.0)
                                 for v in ef.multiplier.values], axis=-1)
                steps.append(("referral", np.asarray(ef.multiplier.breaks, dtype=float), vals, True))
        clock0 = t0 if t.clock == "in_state" else r
        cum = kind.cumulative
        inv = kind.inverse

        def mult(at):
            m, me = const.copy(), np.ones(t0.shape)
            for clock, br, vals, is_eff in steps:
                pos = at if clock == "calendar" else at - r
                k = np.clip(np.searchsorted(br, pos, side="right") - 1, 0, br.size - 1)
                v = np.take_along_axis(vals, k[:, None], 1)[:, 0]
                if is_eff:
                    me = me * v
                else:
                    m = m * v
            if effect == "thin":
                m = m * np.minimum(me, 1.0)
            elif effect == "excess":
                m = m * np.maximum(me - 1.0, 0.0)
            return m

        cols = []
        for clock, br, _, _ in steps:
            for b in br[1:]:
                cols.append(np.full(t0.shape, b) if clock == "calendar" else r + b)
        B = np.stack(cols, axis=1) if cols else np.zeros((t0.size, 0))
        B = np.where(B > t_from[:, None], B, np.inf)
        B.sort(axis=1)
        B = np.concatenate([B, np.full((t0.size, 1), np.inf)], axis=1)
        a = t_from.copy()
        ha = cum(a - clock0, args)
        rem = e.copy()
        out = np.full(t0.shape, np.inf)
        todo = np.ones(t0.shape, dtype=bool)
        for k in range(B.shape[1]):
            b = B[:, k]
            m = mult(a)
            fin = np.isfinite(b)
            hb = np.where(fin, cum(np.where(fin, b, a) - clock0, args), np.inf)
            with np.errstate(invalid="ignore"):
                dh = np.where(m > 0, m * (hb - ha), 0.0)
            dh = np.nan_to_num(dh, nan=0.0, posinf=np.inf)
            hit = todo & (rem <= dh)
            if hit.any():
                with np.errstate(divide="ignore", invalid="ignore"):
                    target = ha + rem / np.where(m > 0, m, 1.0)
                    sub = {kk: (vv[hit] if np.ndim(vv) and np.shape(vv)[0] == hit.size and kk != "breaks_weeks"
                                else vv) for kk, vv in args.items()}
                    x = inv(target[hit], sub)
                out[hit] = clock0[hit] + x
            rem = np.where(todo & ~hit, rem - dh, rem)
            todo &= ~hit
            if not todo.any():
                break
            a, ha = np.where(fin, b, a), hb
        return out

    def effect_at(self, t, at, r, arm, g, d):
        """Return the programme's hazard ratio of transition ``t`` at week ``at`` (1 where no effect applies)."""
        me = np.ones(at.shape)
        for ef in self.effects.get(t.index, ()):
            ok = np.isin(arm, [ARMS.index(a) for a in ef.arms])
            if ef.subgroups is not None:
                ok &= np.isin(g, [self.sub_ids.index(x) for x in ef.subgroups])
            br = np.asarray(ef.multiplier.breaks, dtype=float)
            vals = np.stack([np.broadcast_to(_value(v, self.params, d), at.shape) for v in ef.multiplier.values], -1)
            k = np.clip(np.searchsorted(br, at - r, side="right") - 1, 0, br.size - 1)
            me = np.where(ok, me * np.take_along_axis(vals, k[:, None], 1)[:, 0], me)
        return me


def _generator(seed: int, stream: int, block: int, step: int | None = None) -> np.random.Generator:
    key = (stream, block) if step is None else (stream, block, step)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def simulate_histories(sc: ModelScenario, params: Mapping[str, np.ndarray], *, seed: int, block: int,
                       compiled: bool | None = None) -> Histories:
    """Simulate one block of draws of ``sc`` in both arms.

    Parameters
    ----------
    sc : ModelScenario
    params : mapping name -> ndarray (draws,)
        Parameter values of the block's draws.
    seed : int
        Root seed (keyword-only); ``block`` is the block number.
    compiled : bool, optional
        Run the compiled event loop (:mod:`simkit.model._kernel`) or the numpy
        path; by default the compiled one whenever every hazard kind of ``sc``
        has a compiled implementation. Both read the same random numbers.

    Returns
    -------
    Histories

    Examples
    --------
    >>> import simkit, numpy as np
    >>> sc = simkit.load_scenario("sundinvest_2021")
    >>> from simkit.engine import _param_rows
    >>> h = simulate_histories(sc, _param_rows(sc, 1, 0, 4), seed=1, block=0)
    >>> h.draws, h.persons
    (4, 50)
    """
    m = sc.model
    D = next(iter(params.values())).shape[0] if params else 1
    pkey = _kernel.philox_key(seed, STREAM_TRANSITIONS, block)
    if compiled is None:
        compiled = _kernel.compiled_supported(sc)
    if compiled:
        spells, count = _kernel.run(sc, params, D, pkey, _MAX_STEPS)
        k_, a_, s_, st_, en_, ev_, c_ = spells
        return Histories(D, sc.agreement.cohort_size, sc.referral_weeks().astype(float), sc.subgroup_of_person(),
                         k_, a_, s_, st_, en_, ev_, c_, float(sc.budget.horizon_weeks), int(count[0]))
    used = 0
    referral = sc.referral_weeks().astype(float)
    sub = sc.subgroup_of_person()
    P = referral.size
    H = float(sc.budget.horizon_weeks)
    C = _Compiled(sc, params)

    n0 = D * P
    key = np.tile(np.arange(n0, dtype=np.int64), 2)
    arm = np.repeat(np.array([0, 1], dtype=np.int8), n0)
    person = key % P
    g = sub[person]
    init = np.array([[grp.initial[a] for a in ARMS] for grp in m.subgroups], dtype=np.int16)
    state = init[g, arm]
    t0 = referral[person].copy()
    r = t0.copy()
    prior = np.array([grp.prior_benefit_weeks for grp in m.subgroups])
    stair = prior[g].astype(float)
    restart = np.zeros(key.size, dtype=bool)
    ring_s = np.full((key.size, _RING), -np.inf)
    ring_e = np.full((key.size, _RING), -np.inf)
    event_in = np.full(key.size, -1, dtype=np.int16)

    rec: list[tuple[np.ndarray, ...]] = []
    W, need = sc.budget.restart_window_weeks, sc.budget.restart_weeks
    for step in range(_MAX_STEPS):
        if key.size == 0:
            break
        d = key // P
        # uniforms (cell, step, slot) from the counter-based generator: both arms of a cell read the
        # same numbers, and the compiled path reads the very same ones
        ur = _kernel.nb().uniforms(pkey, key, step, C.slots)
        used += ur.size
        exit_t = np.full(key.size, np.inf)
        dest = state.copy()
        via = np.full(key.size, -1, dtype=np.int16)
        for s, ts in C.out.items():
            idx = np.flatnonzero(state == s)
            if idx.size == 0:
                continue
            if s in m.sojourns:
                dist, args = m.sojourns[s]
                kind = HAZARD_KINDS[dist]
                a_ = _args_at(args, params, d[idx])
                e = -np.log1p(-ur[idx, 0])
                soj = kind.inverse(e, a_)
                best = t0[idx] + soj
                cum = np.zeros(idx.size)
                chosen = np.full(idx.size, -1)
                for t in sorted(ts, key=lambda t: t.probability is None):  # the rest comes last
                    ok = C.applies(t, arm[idx], g[idx])
                    p = np.where(ok, 1.0 if t.probability is None else _value(t.probability, params, d[idx]), 0.0)
                    newly = (chosen < 0) & (ur[idx, 1] < cum + p)
                    chosen = np.where(newly, t.index, chosen)
                    cum = cum + p
                tgt = np.array([t.target_state for t in m.transitions], dtype=np.int16)
                ok = chosen >= 0
                exit_t[idx] = np.where(ok, best, np.inf)
                dest[idx] = np.where(ok, tgt[np.maximum(chosen, 0)], state[idx])
                via[idx] = np.where(ok, chosen, -1)
                continue
            best = np.full(idx.size, np.inf)
            bdest = state[idx].copy()
            bvia = np.full(idx.size, -1, dtype=np.int16)
            for slot, t in zip(C.offsets[s], ts, strict=True):
                ok = C.applies(t, arm[idx], g[idx])
                sel = idx[ok]
                if sel.size == 0:
                    continue
                e = -np.log1p(-ur[sel, slot])
                targs = (t, t0[sel], r[sel], arm[sel], g[sel], d[sel])
                lt = C.latent(*targs, e)
                if C.has_effect(t):
                    # the programme's effect couples the arms: the base event (same uniform in both
                    # arms) is kept with probability min(m, 1) (thinning); if not, the thinned process
                    # restarts there; an excess process of intensity (m - 1)+ adds events (superposition)
                    m_at = C.effect_at(t, np.where(np.isfinite(lt), lt, t0[sel]), r[sel], arm[sel], g[sel], d[sel])
                    kept = ur[sel, slot + 1] < np.minimum(m_at, 1.0)
                    again = C.latent(*targs, -np.log1p(-ur[sel, slot + 2]), effect="thin",
                                     t_from=np.where(np.isfinite(lt), lt, t0[sel]))
                    thinned = np.where(kept | ~np.isfinite(lt), lt, again)
                    extra = C.latent(*targs, -np.log1p(-ur[sel, slot + 3]), effect="excess")
                    lt = np.minimum(thinned, extra)
                full = np.full(idx.size, np.inf)
                full[ok] = lt
                win = full < best
                best = np.where(win, full, best)
                bdest = np.where(win, t.target_state, bdest)
                bvia = np.where(win, t.index, bvia)
            exit_t[idx], dest[idx], via[idx] = best, bdest, bvia
        absorbing = C.absorbing[state]
        exit_t = np.where(absorbing, np.inf, exit_t)
        if np.any(exit_t < t0):  # pragma: no cover - guarded by validation
            raise RuntimeError("a transition time before its entry time")
        t1 = np.minimum(exit_t, H)
        stc = C.staircase[state]
        c0 = np.where(stc & restart, 0.0, stair)
        rec.append((key, arm, state, t0, t1, event_in, np.where(stc, c0, stair)))
        # staircase bookkeeping
        stair = np.where(stc, c0 + (t1 - t0), stair)
        restart &= ~stc
        ss = C.self_support[state]
        if ss.any():
            ring_s = np.where(ss[:, None], np.concatenate([ring_s[:, 1:], t0[:, None]], axis=1), ring_s)
            ring_e = np.where(ss[:, None], np.concatenate([ring_e[:, 1:], t1[:, None]], axis=1), ring_e)
            lo = t1 - W
            within = np.clip(np.minimum(ring_e, t1[:, None]) - np.maximum(ring_s, lo[:, None]), 0.0, None).sum(axis=1)
            restart |= ss & (within >= need - 1e-9)
        go = (exit_t < H) & ~absorbing
        if not go.any():
            break
        sel = np.flatnonzero(go)
        key, arm, g, r = key[sel], arm[sel], g[sel], r[sel]
        t0, state, event_in = exit_t[sel], dest[sel], via[sel]
        stair, restart, ring_s, ring_e = stair[sel], restart[sel], ring_s[sel], ring_e[sel]
    else:  # pragma: no cover - guarded by validation
        raise RuntimeError("the model did not finish within 10,000 transitions per person")

    cat = [np.concatenate(x) for x in zip(*rec, strict=True)]
    k_, a_, s_, st_, en_, ev_, c_ = cat
    order = np.lexsort((st_, k_, a_))
    return Histories(D, P, referral, sub, k_[order], a_[order], s_[order].astype(np.int16), st_[order],
                     en_[order], ev_[order].astype(np.int16), c_[order], H, used)
