"""Compiled (numba) kernels of the model: counter-based random numbers, the per-cell event loop, pricing.

Imported lazily by :mod:`simkit.model._kernel` on the first simulation, never
by ``import simkit``; compiled once and cached on disk (``cache=True``).

Random numbers
--------------
Philox4x64-10 (Salmon et al. 2011, "Parallel random numbers: as easy as 1,
2, 3"), the generator behind :class:`numpy.random.Philox`:
``philox(counter, key)`` is a bijection of a 256-bit counter under a 128-bit
key. The model's uniform for (cell, step, slot) is word ``slot % 4`` of
``philox((cell, step, slot // 4, 0), key)``, turned into a double in [0, 1)
like numpy does (``(x >> 11) · 2⁻⁵³``), where ``key`` comes from
``SeedSequence(seed, spawn_key=(stream, block))``. A number depends on its
coordinates only: both arms of a cell read the same number for the same
(step, slot) (common random numbers), only the numbers that are used are
computed, and results do not depend on chunking, workers or backends.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

_M0 = np.uint64(0xD2E7470EE14C6C93)
_M1 = np.uint64(0xCA5A826395121157)
_W0 = np.uint64(0x9E3779B97F4A7C15)
_W1 = np.uint64(0xBB67AE8584CAA73B)
_S11 = np.uint64(11)
_TWO53 = 1.0 / 9007199254740992.0

# hazard kinds in the kernel
K_RATE, K_WEIBULL, K_PIECEWISE, K_FIXED = 0, 1, 2, 3
INF = np.inf


@intrinsic
def _mulhi(typingctx, a, b):
    """High 64 bits of the 128-bit product of two uint64 (one machine multiply)."""
    sig = types.uint64(types.uint64, types.uint64)

    def codegen(context, builder, signature, args):
        i128 = ir.IntType(128)
        p = builder.mul(builder.zext(args[0], i128), builder.zext(args[1], i128))
        return builder.trunc(builder.lshr(p, ir.Constant(i128, 64)), ir.IntType(64))

    return sig, codegen


@nb.njit(cache=True, inline="always")
def philox4x64(c0, c1, c2, c3, k0, k1):
    """Philox4x64-10 of counter (c0..c3) under key (k0, k1); all uint64."""
    for i in range(10):
        if i > 0:
            k0 = k0 + _W0
            k1 = k1 + _W1
        hi0, lo0 = _mulhi(_M0, c0), _M0 * c0
        hi1, lo1 = _mulhi(_M1, c2), _M1 * c2
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
    return c0, c1, c2, c3


@nb.njit(cache=True)
def philox_blocks(counters, key):
    """Philox4x64-10 of each row of ``counters`` (n, 4) uint64 under ``key`` (2,) uint64."""
    out = np.empty_like(counters)
    for i in range(counters.shape[0]):
        a, b, c, d = philox4x64(counters[i, 0], counters[i, 1], counters[i, 2], counters[i, 3], key[0], key[1])
        out[i, 0], out[i, 1], out[i, 2], out[i, 3] = a, b, c, d
    return out


@nb.njit(cache=True, inline="always")
def _to_unit(x):
    return np.float64(x >> _S11) * _TWO53


@nb.njit(cache=True)
def uniforms(key, cells, step, slots):
    """Uniforms (n, slots): row i is (cells[i], step, 0..slots−1) (the numpy path's layout)."""
    n = cells.shape[0]
    out = np.empty((n, slots))
    ngroups = (slots + 3) // 4
    for i in range(n):
        for grp in range(ngroups):
            w0, w1, w2, w3 = philox4x64(np.uint64(cells[i]), np.uint64(step), np.uint64(grp), np.uint64(0),
                                        key[0], key[1])
            j = 4 * grp
            if j < slots:
                out[i, j] = _to_unit(w0)
            if j + 1 < slots:
                out[i, j + 1] = _to_unit(w1)
            if j + 2 < slots:
                out[i, j + 2] = _to_unit(w2)
            if j + 3 < slots:
                out[i, j + 3] = _to_unit(w3)
    return out


@nb.njit(cache=True, inline="always")
def _u(buf, cur, key, cell, step, slot, count):
    """Uniform (cell, step, slot); ``buf``/``cur`` cache the last Philox block."""
    grp = slot >> 2
    if cur[0] != cell or cur[1] != step or cur[2] != grp:
        w0, w1, w2, w3 = philox4x64(np.uint64(cell), np.uint64(step), np.uint64(grp), np.uint64(0),
                                    key[0], key[1])
        buf[0], buf[1], buf[2], buf[3] = w0, w1, w2, w3
        cur[0], cur[1], cur[2] = cell, step, grp
        count[1] += 1
    count[0] += 1
    return _to_unit(buf[slot & 3])


# ---------------------------------------------------------------- baseline hazards


@nb.njit(cache=True, inline="always")
def _h0(kind, t, x, d, tr_a, tr_b, n, pw_br, pw_r, pw_c):
    """Baseline cumulative hazard of transition ``t`` at ``x`` weeks on its clock, draw ``d``."""
    if kind == K_RATE:
        return tr_a[d, t] * x
    if kind == K_WEIBULL:
        return (max(x, 0.0) / tr_b[d, t]) ** tr_a[d, t]
    # piecewise
    x = max(x, 0.0)
    k = 0
    while k + 1 < n and pw_br[t, k + 1] <= x:
        k += 1
    return pw_c[d, t, k] + pw_r[d, t, k] * (x - pw_br[t, k])


@nb.njit(cache=True, inline="always")
def _h0inv(kind, t, y, d, tr_a, tr_b, n, pw_br, pw_r, pw_c):
    if kind == K_RATE:
        r = tr_a[d, t]
        return y / r if r > 0 else INF
    if kind == K_WEIBULL:
        return tr_b[d, t] * max(y, 0.0) ** (1.0 / tr_a[d, t])
    k = -1
    for j in range(n):
        if pw_c[d, t, j] <= y:
            k += 1
    k = min(max(k, 0), n - 1)
    rk = pw_r[d, t, k]
    if not rk > 0:
        return INF
    x = pw_br[t, k] + (y - pw_c[d, t, k]) / rk
    if k + 1 < n and x > pw_br[t, k + 1]:
        return INF
    return x


@nb.njit(cache=True, inline="always")
def _step_index(br, e, nb_, pos):
    k = 0
    while k + 1 < nb_ and br[e, k + 1] <= pos:
        k += 1
    return k


# columns of the transition table TI and of the step-function table EI
_DST, _KIND, _CLOCK, _ARM, _SLOT, _EFF, _EFIRST, _ECNT, _RFIRST, _RCNT, _PWN = range(11)
_ISEFF, _ECLOCK, _ENB, _EARM = range(4)


@nb.njit(cache=True, inline="always")
def _mult(t, at, r, abit, g, d, mode, const, TI, EI, e_br, e_vals, e_sub):
    """Hazard multiplier of ``t`` at week ``at``; mode 0 without the programme effect, 1 thinned, 2 excess."""
    m = const
    me = 1.0
    for e in range(TI[t, _EFIRST], TI[t, _EFIRST] + TI[t, _ECNT]):
        iseff = EI[e, _ISEFF] != 0
        if mode == 0 and iseff:
            continue
        if (EI[e, _EARM] & abit) == 0 or not e_sub[e, g]:
            continue
        pos = at if EI[e, _ECLOCK] == 0 else at - r
        v = e_vals[d, e, _step_index(e_br, e, EI[e, _ENB], pos)]
        if iseff:
            me *= v
        else:
            m *= v
    if mode == 1:
        m *= min(me, 1.0)
    elif mode == 2:
        m *= max(me - 1.0, 0.0)
    return m


@nb.njit(cache=True, inline="always")
def _effect_at(t, at, r, abit, g, d, TI, EI, e_br, e_vals, e_sub):
    me = 1.0
    for e in range(TI[t, _EFIRST], TI[t, _EFIRST] + TI[t, _ECNT]):
        if EI[e, _ISEFF] == 0 or (EI[e, _EARM] & abit) == 0 or not e_sub[e, g]:
            continue
        me *= e_vals[d, e, _step_index(e_br, e, EI[e, _ENB], at - r)]
    return me


@nb.njit(cache=True, inline="always")
def _latent(t, e0, mode, t_from, t0, r, abit, g, d, bp, TI, tr_a, tr_b, pw_br, pw_r, pw_c, sub_hr,
            rc_arm, RF, EI, e_br, e_vals, e_sub):
    """Latent time (absolute week) of transition ``t`` for unit exponential ``e0`` (see simulate._Compiled.latent)."""
    kind = TI[t, _KIND]
    npw = TI[t, _PWN]
    const = sub_hr[d, t, g]
    for j in range(TI[t, _RFIRST], TI[t, _RFIRST] + TI[t, _RCNT]):
        if (rc_arm[j] & abit) != 0 and r >= RF[0, j]:
            const *= RF[1 + d, j]
    clock0 = t0 if TI[t, _CLOCK] == 0 else r
    nbp = 0
    for e in range(TI[t, _EFIRST], TI[t, _EFIRST] + TI[t, _ECNT]):
        if mode == 0 and EI[e, _ISEFF] != 0:
            continue
        off = 0.0 if EI[e, _ECLOCK] == 0 else r
        for k in range(1, EI[e, _ENB]):
            b = off + e_br[e, k]
            if b > t_from:
                # insertion into the sorted breakpoints
                i = nbp
                while i > 0 and bp[i - 1] > b:
                    bp[i] = bp[i - 1]
                    i -= 1
                bp[i] = b
                nbp += 1
    a = t_from
    ha = _h0(kind, t, a - clock0, d, tr_a, tr_b, npw, pw_br, pw_r, pw_c)
    rem = e0
    for k in range(nbp + 1):
        b = bp[k] if k < nbp else INF
        m = _mult(t, a, r, abit, g, d, mode, const, TI, EI, e_br, e_vals, e_sub)
        hb = _h0(kind, t, b - clock0, d, tr_a, tr_b, npw, pw_br, pw_r, pw_c) if b < INF else INF
        dh = 0.0
        if m > 0:
            dh = m * (hb - ha)
            if dh != dh:
                dh = 0.0
        if rem <= dh:
            return clock0 + _h0inv(kind, t, ha + rem / m, d, tr_a, tr_b, npw, pw_br, pw_r, pw_c)
        rem -= dh
        a = b
        ha = hb
    return INF


# ---------------------------------------------------------------- the event loop


@nb.njit(cache=True, _nrt=False)  # type: ignore[call-overload]  # _nrt: numba option without a stub
def run_histories(key, D, P, referral, sub, init, prior, H, W, need, max_steps,
                  st_abs, st_stair, st_ss, st_split, st_first, st_cnt, st_trs,
                  sp_kind, sp_a, sp_b, spl_first, spl_cnt, spl_trs,
                  TI, tr_sub, tr_a, tr_b, tr_prob, tr_rest, pw_br, pw_r, pw_c, sub_hr,
                  rc_arm, RF, EI, e_br, e_vals, e_sub, e_max,
                  okey, oarm, ost, ot0, ot1, oev, oc0, count, buf, cur, bp, ring_s, ring_e, arm0, cell0):
    """Spells of the cells from (``arm0``, ``cell0``) on, sorted by (arm, key, start); see simulate.simulate_histories.

    Writes into the output arrays until they are full; returns ``(arm, cell, spells written, status)``
    with status 0 done, 1 full (call again from (arm, cell) with room), 2 a cell did not finish.
    No allocation here (compiled without reference counting): the caller owns every array.
    """
    n = D * P
    cap = okey.shape[0]
    pos = 0
    cur[0] = -1
    for arm in range(arm0, 2):
        abit = 1 << arm
        for cell in range(cell0 if arm == arm0 else 0, n):
            if cap - pos < max_steps:
                return arm, cell, pos, 1
            d = cell // P
            p = cell % P
            g = sub[p]
            s = init[g, arm]
            t0 = referral[p]
            r = t0
            stair = prior[g]
            restart = False
            ring_s[:] = -INF
            ring_e[:] = -INF
            ev = -1
            finished = False
            for step in range(max_steps):
                exit_t = INF
                dest = s
                via = -1
                if st_abs[s]:
                    pass
                elif st_split[s]:
                    e0 = -math.log1p(-_u(buf, cur, key, cell, step, 0, count))
                    k = sp_kind[s]
                    if k == K_FIXED:
                        soj = sp_a[d, s]
                    elif k == K_RATE:
                        soj = e0 / sp_a[d, s] if sp_a[d, s] > 0 else INF
                    else:
                        soj = sp_b[d, s] * max(e0, 0.0) ** (1.0 / sp_a[d, s])
                    u1 = _u(buf, cur, key, cell, step, 1, count)
                    cum = 0.0
                    chosen = -1
                    for j in range(spl_first[s], spl_first[s] + spl_cnt[s]):
                        t = spl_trs[j]
                        pr = 0.0
                        if (TI[t, _ARM] & abit) != 0 and tr_sub[t, g]:
                            pr = 1.0 if tr_rest[t] else tr_prob[d, t]
                        if chosen < 0 and u1 < cum + pr:
                            chosen = t
                        cum += pr
                    if chosen >= 0:
                        exit_t = t0 + soj
                        dest = TI[chosen, _DST]
                        via = chosen
                else:
                    for j in range(st_first[s], st_first[s] + st_cnt[s]):
                        t = st_trs[j]
                        if (TI[t, _ARM] & abit) == 0 or not tr_sub[t, g]:
                            continue
                        slot = TI[t, _SLOT]
                        if TI[t, _KIND] == K_FIXED:
                            lt = t0 + tr_a[d, t]
                        else:
                            e0 = -math.log1p(-_u(buf, cur, key, cell, step, slot, count))
                            lt = _latent(t, e0, 0, t0, t0, r, abit, g, d, bp,
                                         TI, tr_a, tr_b, pw_br, pw_r, pw_c, sub_hr,
                                         rc_arm, RF, EI, e_br, e_vals, e_sub)
                            if TI[t, _EFF] != 0:
                                # thinning (same base event in both arms, kept with probability min(m, 1),
                                # else the thinned process restarts there) + superposition of an excess
                                # process of intensity (m − 1)+; see simulate.simulate_histories
                                fin = lt < INF
                                at = lt if fin else t0
                                keep = min(_effect_at(t, at, r, abit, g, d, TI, EI, e_br, e_vals, e_sub), 1.0)
                                kept = True
                                if keep < 1.0:
                                    kept = _u(buf, cur, key, cell, step, slot + 1, count) < keep
                                thinned = lt
                                if fin and not kept:
                                    e2 = -math.log1p(-_u(buf, cur, key, cell, step, slot + 2, count))
                                    thinned = _latent(t, e2, 1, at, t0, r, abit, g, d, bp,
                                                      TI, tr_a, tr_b, pw_br, pw_r, pw_c, sub_hr,
                                                      rc_arm, RF, EI, e_br, e_vals, e_sub)
                                # can the product of the effects exceed 1 for this cell?
                                top = 1.0
                                for e in range(TI[t, _EFIRST], TI[t, _EFIRST] + TI[t, _ECNT]):
                                    if EI[e, _ISEFF] != 0 and (EI[e, _EARM] & abit) != 0 and e_sub[e, g]:
                                        top *= e_max[d, e]
                                extra = INF
                                if top > 1.0:
                                    e3 = -math.log1p(-_u(buf, cur, key, cell, step, slot + 3, count))
                                    extra = _latent(t, e3, 2, t0, t0, r, abit, g, d, bp,
                                                    TI, tr_a, tr_b, pw_br, pw_r, pw_c, sub_hr,
                                                    rc_arm, RF, EI, e_br, e_vals, e_sub)
                                lt = min(thinned, extra)
                        if lt < exit_t:
                            exit_t = lt
                            dest = TI[t, _DST]
                            via = t
                if st_abs[s]:
                    exit_t = INF
                t1 = min(exit_t, H)
                stc = st_stair[s]
                c0 = 0.0 if (stc and restart) else stair
                okey[pos] = cell
                oarm[pos] = arm
                ost[pos] = s
                ot0[pos] = t0
                ot1[pos] = t1
                oev[pos] = ev
                oc0[pos] = c0 if stc else stair
                pos += 1
                if stc:
                    stair = c0 + (t1 - t0)
                    restart = False
                if st_ss[s]:
                    ring_s[0], ring_s[1], ring_s[2] = ring_s[1], ring_s[2], t0
                    ring_e[0], ring_e[1], ring_e[2] = ring_e[1], ring_e[2], t1
                    lo = t1 - W
                    within = 0.0
                    for i in range(3):
                        within += max(min(ring_e[i], t1) - max(ring_s[i], lo), 0.0)
                    if within >= need - 1e-9:
                        restart = True
                if not (exit_t < H):
                    finished = True
                    break
                t0 = exit_t
                s = dest
                ev = via
            if not finished:
                return arm, cell, pos, 2
    return 2, 0, pos, 0


# ---------------------------------------------------------------- pricing


@nb.njit(cache=True, inline="always")
def _integral(i, t, discounted, s_n, s_grid, s_rate, s_cpv, s_cash, s_v, s_d):
    t = max(t, 0.0)
    k = 0
    n = s_n[i]
    while k + 1 < n and s_grid[i, k + 1] <= t:
        k += 1
    gk = s_grid[i, k]
    if not discounted:
        return s_cash[i, k] + s_rate[i, k] * (t - gk)
    dk = s_d[i, k]
    if dk > 0:
        part = s_v[i, k] * (-math.expm1(-dk * (t - gk))) / dk
    else:
        part = s_v[i, k] * (t - gk)
    return s_cpv[i, k] + s_rate[i, k] * part


@nb.njit(cache=True, inline="always")
def _one(q, st, g, a, b, c0, fac, fidx, discounted, by_first, by_cnt, by_ser, s_payer, s_sub, s_fac, s_stair, s_n,
         s_grid, s_rate, s_cpv, s_cash, s_v, s_d, steps, rho, res):
    """Cost of spell ``q`` (state ``st``, subgroup ``g``) over [a, b) per payer into ``res`` (3,).

    A line with a factor reads it at ``fac[factor, fidx[q]]`` (a spell's row, e.g. its draw).
    """
    res[0] = 0.0
    res[1] = 0.0
    res[2] = 0.0
    nst = steps.shape[0]
    for jj in range(by_first[st], by_first[st] + by_cnt[st]):
        i = by_ser[jj]
        if not s_sub[i, g]:
            continue
        f = 1.0 if s_fac[i] < 0 else fac[s_fac[i], fidx[q]]
        if not s_stair[i]:
            res[s_payer[i]] += f * (_integral(i, b, discounted, s_n, s_grid, s_rate, s_cpv, s_cash, s_v, s_d)
                                    - _integral(i, a, discounted, s_n, s_grid, s_rate, s_cpv, s_cash, s_v, s_d))
            continue
        # a step starts where the one before it ended: its integral there is reused (the same number)
        have_pe = False
        pe = 0.0
        pie = 0.0
        for j in range(nst):
            edge = steps[j + 1] if j + 1 < nst else INF
            lo = a + max(steps[j] - c0, 0.0)
            hi = min(a + max(edge - c0, 0.0), b)
            if not hi > lo:   # the count is past (or not yet at) this step during the spell
                have_pe = False
                continue
            ihi = _integral(i, hi, discounted, s_n, s_grid, s_rate, s_cpv, s_cash, s_v, s_d)
            if have_pe and lo == pe:
                ilo = pie
            else:
                ilo = _integral(i, lo, discounted, s_n, s_grid, s_rate, s_cpv, s_cash, s_v, s_d)
            part = f * (ihi - ilo)
            res[0] += (1.0 - rho[j]) * part
            res[1] += rho[j] * part
            have_pe, pe, pie = True, hi, ihi


@nb.njit(cache=True, _nrt=False)  # type: ignore[call-overload]  # _nrt: numba option without a stub
def spell_costs(state, subgroup, start, end, stair0, fac, fidx, until, discounted,
                by_first, by_cnt, by_ser, s_payer, s_sub, s_fac, s_stair, s_n, s_grid, s_rate, s_cpv, s_cash,
                s_v, s_d, steps, rho, out, res):
    """Cost per spell and payer into ``out`` (n, 3); see pricing.spell_costs."""
    for q in range(state.shape[0]):
        b = min(end[q], until)
        a = min(start[q], b)
        _one(q, state[q], subgroup[q], a, b, stair0[q], fac, fidx, discounted, by_first, by_cnt, by_ser, s_payer,
             s_sub, s_fac, s_stair, s_n, s_grid, s_rate, s_cpv, s_cash, s_v, s_d, steps, rho, res)
        out[q, 0], out[q, 1], out[q, 2] = res[0], res[1], res[2]
    return 0


@nb.njit(cache=True, _nrt=False)  # type: ignore[call-overload]  # _nrt: numba option without a stub
def group_costs(state, subgroup, start, end, stair0, fac, fidx, group, weight, discounted,
                by_first, by_cnt, by_ser, s_payer, s_sub, s_fac, s_stair, s_n, s_grid, s_rate, s_cpv, s_cash,
                s_v, s_d, steps, rho, out, res):
    """Add ``weight`` × the cost of each spell to ``out[group, payer]`` (pricing and the sum in one pass).

    The same sums, in the same order, as ``np.bincount(group, weight * cost)`` of :func:`spell_costs`.
    """
    for q in range(state.shape[0]):
        _one(q, state[q], subgroup[q], start[q], end[q], stair0[q], fac, fidx, discounted, by_first, by_cnt,
             by_ser, s_payer, s_sub, s_fac, s_stair, s_n, s_grid, s_rate, s_cpv, s_cash, s_v, s_d, steps, rho, res)
        r = group[q]
        w = weight[q]
        out[r, 0] += w * res[0]
        out[r, 1] += w * res[1]
        out[r, 2] += w * res[2]
    return 0


@nb.njit(cache=True, inline="always")
def _point(m, n_in, k0, cuts, b):
    """Week of evaluation point ``m`` of a spell: the cuts inside it, then its end."""
    return cuts[k0 + m] if m < n_in else b


@nb.njit(cache=True, _nrt=False)  # type: ignore[call-overload]  # _nrt: numba option without a stub
def cut_costs(state, subgroup, start, end, stair0, fac, fidx, cuts, order, group, weight, discounted,
              by_first, by_cnt, by_ser, s_payer, s_sub, s_fac, s_stair, s_n, s_grid, s_rate, s_cpv, s_cash,
              s_v, s_d, steps, rho, out, acc, after):
    """Add ``weight`` × the cost of each spell up to each week of ``cuts`` to ``out[group, cut, payer]``.

    ``cuts`` are sorted ascending and ``order[k]`` is the caller's index of sorted cut ``k``. A spell's
    full cost is added once into ``after`` at the first cut at or after its end (a cumulative sum
    over the cuts then carries it to every later cut), its partial costs only at the cuts inside
    it. Each spell's evaluation points (the cuts inside it, then its end) are priced together: the
    integrals at the spell's start and at its staircase steps are computed once, not once per
    point. Per point the sums are those of :func:`_one` in the same order (bit-identical);
    ``acc`` (cuts + 1, 3) and ``after`` (groups, cuts, 3) are scratch, ``after`` zero on entry.
    """
    K = cuts.shape[0]
    nst = steps.shape[0]
    for q in range(state.shape[0]):
        a = start[q]
        b = end[q]
        # first sorted cut after the start (c > a), then the cuts inside the spell (a < c < b)
        lo_ = 0
        hi_ = K
        while lo_ < hi_:
            mid = (lo_ + hi_) >> 1
            if cuts[mid] <= a:
                lo_ = mid + 1
            else:
                hi_ = mid
        k0 = lo_
        k1 = k0
        while k1 < K and cuts[k1] < b:
            k1 += 1
        n_in = k1 - k0
        npt = n_in + (1 if k1 < K else 0)
        if npt == 0:
            continue
        for m in range(npt):
            acc[m, 0] = 0.0
            acc[m, 1] = 0.0
            acc[m, 2] = 0.0
        st = state[q]
        g = subgroup[q]
        c0 = stair0[q]
        for jj in range(by_first[st], by_first[st] + by_cnt[st]):
            i = by_ser[jj]
            if not s_sub[i, g]:
                continue
            f = 1.0 if s_fac[i] < 0 else fac[s_fac[i], fidx[q]]
            if not s_stair[i]:
                ia = _integral(i, a, discounted, s_n, s_grid, s_rate, s_cpv, s_cash, s_v, s_d)
                py = s_payer[i]
                for m in range(npt):
                    x = _point(m, n_in, k0, cuts, b)
                    acc[m, py] += f * (_integral(i, x, discounted, s_n, s_grid, s_rate, s_cpv, s_cash, s_v, s_d)
                                       - ia)
                continue
            have_pe = False   # the integral at the end of the step before (where this one starts)
            pe = 0.0
            pie = 0.0
            for j in range(nst):
                edge = steps[j + 1] if j + 1 < nst else INF
                lo = a + max(steps[j] - c0, 0.0)
                ehi = a + max(edge - c0, 0.0)
                have_lo = False
                have_full = False
                ilo = 0.0
                pfull = 0.0
                ie = 0.0
                for m in range(npt):
                    x = _point(m, n_in, k0, cuts, b)
                    hi = min(ehi, x)
                    if not hi > lo:   # the count is past (or not yet at) this step by this point
                        continue
                    if not have_lo:
                        if have_pe and lo == pe:
                            ilo = pie
                        else:
                            ilo = _integral(i, lo, discounted, s_n, s_grid, s_rate, s_cpv, s_cash, s_v, s_d)
                        have_lo = True
                    if hi == ehi:     # the step ends before this point: its whole part
                        if not have_full:
                            ie = _integral(i, ehi, discounted, s_n, s_grid, s_rate, s_cpv, s_cash, s_v, s_d)
                            pfull = f * (ie - ilo)
                            have_full = True
                        part = pfull
                    else:
                        part = f * (_integral(i, x, discounted, s_n, s_grid, s_rate, s_cpv, s_cash, s_v, s_d)
                                    - ilo)
                    acc[m, 0] += (1.0 - rho[j]) * part
                    acc[m, 1] += rho[j] * part
                have_pe, pe, pie = have_full, ehi, ie
        w = weight[q]
        r = group[q]
        for m in range(n_in):
            o = order[k0 + m]
            out[r, o, 0] += w * acc[m, 0]
            out[r, o, 1] += w * acc[m, 1]
            out[r, o, 2] += w * acc[m, 2]
        if k1 < K:
            after[r, k1, 0] += w * acc[n_in, 0]
            after[r, k1, 1] += w * acc[n_in, 1]
            after[r, k1, 2] += w * acc[n_in, 2]
    for r in range(after.shape[0]):
        for k in range(1, K):
            after[r, k, 0] += after[r, k - 1, 0]
            after[r, k, 1] += after[r, k - 1, 1]
            after[r, k, 2] += after[r, k - 1, 2]
        for k in range(K):
            o = order[k]
            out[r, o, 0] += after[r, k, 0]
            out[r, o, 1] += after[r, k, 1]
            out[r, o, 2] += after[r, k, 2]
    return 0


# ---------------------------------------------------------------- spell tables


@nb.njit(cache=True)
def arm_table(arm, armv, key, state, start, end, event_in, o_cell, o_state, o_start, o_end, o_ev, o_prev, o_next):
    """One pass of engine.arm_spells over the spells of arm ``armv``; returns the number of spells written.

    Times cut to whole days (``floor(7 t + 1e-9) / 7``); a spell left without a day is dropped and
    the event into it passes to the next kept spell; ``o_prev`` is the state of the kept spell
    before in the same cell (−1 none), ``o_next`` the event into the kept spell after it in the
    same cell (−1 none): the transition out of this one.
    """
    m = 0
    pending = -1          # index (in the arm's spells) of the first of a run of dropped spells
    j = -1                # the arm's spells seen so far − 1
    for i in range(key.shape[0]):
        if arm[i] != armv:
            continue
        j += 1
        a = math.floor(start[i] * 7 + 1e-9) / 7
        b = math.floor(end[i] * 7 + 1e-9) / 7
        if not b > a:
            if pending < 0:
                pending = i
            continue
        o_cell[m] = key[i]
        o_state[m] = state[i]
        o_start[m] = a
        o_end[m] = b
        o_ev[m] = event_in[pending] if pending >= 0 else event_in[i]
        pending = -1
        o_next[m] = -1
        if m > 0 and o_cell[m - 1] == key[i]:
            o_prev[m] = o_state[m - 1]
            o_next[m - 1] = o_ev[m]
        else:
            o_prev[m] = -1
        m += 1
    return m
