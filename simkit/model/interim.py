"""Interim forecast that learns from the data: P(target met by the end) under reweighted parameter sets.

At an interim as-of date the observed persons' statuses are partly decided. The
scenario's uncertain parameters say how the open cases will end, and the
observed interim data say which parameter sets are plausible. The forecast:

1. **Reference simulation.** ``M`` parameter sets are drawn from the scenario
   (its prior), and for each the programme arm of ``R`` cohorts is simulated
   (the same parameters, independent histories).
2. **Summary of a person at the as-of date**, for simulated and observed
   persons alike: the weeks since referral (in 13-week bins), the completion
   indicator's status (achieved, failed, pending, excluded), the time from
   referral to the first start of a spell the targets' spell indicators count
   (13-week bins, or none yet; a spell counts only if it meets the indicator's
   hours rule), that first spell's length (under 13, 13-26, 26-52, 52+ weeks),
   ended or still running at the as-of date (censored), and the time from
   referral to an exclusion (moved away, died, never started: none, under 26,
   26-52, 52+ weeks).
3. **Likelihood of the observed interim data under each parameter set**
   (an approximation, stated): the persons are independent given the
   parameters; ``log L_m = Σ_i log p_m(status_i | bin_i) + log p_m(exclusion_i
   | bin_i, status_i) + log p_m(first start_i | bin_i) + log p_m(length_i |
   weeks the spell had)``, i.e. the status and exclusion part and the start and
   length part are taken as independent given the weeks since referral. The
   probabilities ``p_m`` are the
   frequencies among the ``R`` simulated cohorts of set ``m``; to keep their
   simulation noise out of the weights, each log frequency is smoothed over
   the ``M`` sets by a least-squares fit on the sets' parameters (their
   z-scores and squares; log scale for positive ones).
4. **Weights** ``w_m ∝ L_m`` (log-sum-exp), with their effective sample size
   ``ESS = 1 / Σ w_m²``: ``M`` means the data did not discriminate (the
   figure is the prior's), 1 means one set carries it all.
5. **The end.** Decided persons keep their status. A person still pending at
   the as-of date ends as the simulated persons of set ``m`` with the same
   summary did (their frequencies shrunk towards those of all sets, so sparse
   cells borrow strength); persons not yet referred end as the simulated
   persons referred after the as-of date. ``K`` predictive cohorts per set
   give the count, the target's met/not met by the contract's own arithmetic
   (:func:`simkit.contract.repayment`) and the repayment.

``P(met)`` is the weighted share of the predictive cohorts meeting a target,
beside the **prior-only** figure (equal weights: the observed persons' fixed
outcomes are used, the parameters are not learnt from them). Targets on
indicators other than completion and spell kinds (scores, claims) are not
forecast (``None``).

Randomness: the reference simulation's root seed and the predictive draws
come from the stream ``interim_forecast`` of :data:`simkit.rng.STREAMS`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simkit.contract import repayment
from simkit.engine import _param_rows
from simkit.model.engine import arm_spells
from simkit.model.indicators import (
    ACHIEVED,
    EXCLUDED,
    FAILED,
    PENDING,
    Context,
    PersonSpells,
    Status,
    count,
    evaluate_indicators,
)
from simkit.model.simulate import simulate_histories
from simkit.model.spec import ModelScenario
from simkit.rng import root_seed, stream_generator

__all__ = ["InterimForecast", "InterimReference", "forecast", "reference"]

BIN_WEEKS = 13.0          # width of the time bins (a quarter)
N_EXPOSURE = 8            # weeks-since-referral bins: 0-13, ..., 91+ (last open)
N_FIRST = 8               # first-start bins; index N_FIRST = no start yet
_AS_OF = {FAILED: 0, ACHIEVED: 1, PENDING: 2, EXCLUDED: 3}      # status at the as-of date -> code
_AS_OF_CODE = np.zeros(5, dtype=np.int64)                       # indexed by status + 2
for _k, _v in _AS_OF.items():
    _AS_OF_CODE[_k + 2] = _v
DUR_EDGES = np.array([13.0, 26.0, 52.0])       # spell-length bins (weeks): <13, 13-26, 26-52, 52+
N_DUR = DUR_EDGES.size + 1
EXCL_EDGES = np.array([26.0, 52.0])            # time from referral to an exclusion: <26, 26-52, 52+ weeks
N_EXCL = EXCL_EDGES.size + 2                   # with "none"
AVAIL_EDGES = np.array([13.0, 26.0, 39.0, 52.0, 78.0])  # weeks from the first start to the as-of date
N_AVAIL = AVAIL_EDGES.size + 2                 # with "no start"
_FINAL_STATUS = np.array([FAILED, ACHIEVED, EXCLUDED], dtype=np.int8)
_SUPPORTED = ("completion", "spell")


@dataclass(frozen=True)
class _Summary:
    """Per-person summary at the as-of date (referred persons only)."""

    exposure: np.ndarray      # bin of weeks since referral
    status: np.ndarray        # completion indicator's status code (_AS_OF), or 0 without one
    first: np.ndarray         # first-start bin (N_FIRST = none yet)
    key: np.ndarray           # joint as-of status of the forecast indicators × first-start bin
    open: np.ndarray          # bool: some forecast indicator still pending
    final_now: np.ndarray     # joint final code for decided persons (-1 for open ones)
    dur: np.ndarray           # first counted spell: 0 none, 1 + bin ended, 1 + N_DUR + bin running at as-of
    avail: np.ndarray         # weeks from that spell's start to the as-of date: 0 no start, 1 + bin
    excl: np.ndarray          # exclusion (moved away, died, ...): 0 none, 1 + bin of its time from referral


@dataclass(frozen=True)
class InterimReference:
    """The reference simulation of a scenario at one as-of date (reusable for many data sets).

    Build it with :func:`reference`.
    """

    as_of: dt.date
    draws: int
    replicates: int
    indicators: tuple[str, ...]
    params: dict[str, np.ndarray]
    log_p_status: np.ndarray = field(repr=False)   # (M, E, 4) smoothed log p(status | exposure)
    log_p_first: np.ndarray = field(repr=False)    # (M, E, N_FIRST + 1)
    log_p_dur: np.ndarray = field(repr=False)      # (M, N_AVAIL, 1 + 2 N_DUR) p(spell length | time it had)
    log_p_excl: np.ndarray = field(repr=False)     # (M, E * 4, N_EXCL) p(exclusion timing | e, status)
    q_open: np.ndarray = field(repr=False)         # (M, E, keys, J) final code given the summary
    q_future: np.ndarray = field(repr=False)       # (M, J) final code of persons referred after as_of
    seed: int = 0
    unsupported: tuple[str, ...] = ()               # targets / rate-card lines not forecast (indicator kind)


@dataclass(frozen=True)
class InterimForecast:
    """P(each target met by the end) learnt from the interim data, beside the prior-only figure.

    ``targets`` maps target id -> dict with ``p_met`` (data-weighted), ``p_met_prior`` (equal
    weights), ``mc_se`` (Monte Carlo SE of ``p_met``); ``ess`` is the effective sample size of the
    weights out of ``draws``; ``posterior_mean`` / ``prior_mean`` the parameters' weighted means.
    """

    as_of: dt.date
    draws: int
    ess: float
    targets: dict[str, dict[str, float]]
    expected_repayment: float | None   # None: a rate-card line the forecast cannot follow
    expected_repayment_prior: float | None
    posterior_mean: dict[str, float]
    prior_mean: dict[str, float]
    weights: np.ndarray = field(repr=False)
    unsupported: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (no person-level data).

        Examples
        --------
        >>> f = InterimForecast(dt.date(2026, 11, 1), 4, 3.2, {"t": {"p_met": 0.5}}, 1.0, 2.0, {}, {},
        ...                     np.full(4, 0.25))
        >>> f.to_dict()["effective_sample_size"]
        3.2
        """
        return {"as_of": self.as_of.isoformat(), "parameter_sets": self.draws, "effective_sample_size": self.ess,
                "targets": self.targets, "expected_repayment": self.expected_repayment,
                "expected_repayment_prior": self.expected_repayment_prior,
                "posterior_mean": self.posterior_mean, "prior_mean": self.prior_mean,
                "not_forecast": list(self.unsupported),
                "method": ("parameter sets of the scenario reweighted by an approximate likelihood of the "
                           "interim data (completion status, exclusions and their timing, time to the first "
                           "start, that spell's length censored at the as-of date, by weeks since referral); "
                           "prior: equal weights")}

    def text(self, labels: dict[str, str] | None = None) -> str:
        """Lines for the signer: P(met) learnt from the data beside the prior's, and the ESS.

        Examples
        --------
        >>> f = InterimForecast(dt.date(2026, 11, 1), 4, 3.2, {"t": {"p_met": 0.5, "p_met_prior": 0.4,
        ...                     "mc_se": 0.01}}, 1.0, 2.0, {}, {}, np.full(4, 0.25))
        >>> print(f.text().splitlines()[1])
          t: 50% (prior only: 40%)
        """
        labels = labels or {}
        lines = [f"Forecast of the end, learning from the interim data ({self.draws:,} parameter sets of the "
                 f"scenario, weighted by how well each explains the data; effective sample size "
                 f"{self.ess:,.0f} of {self.draws:,})"]
        for tid, t in self.targets.items():
            lines.append(f"  {labels.get(tid, tid)}: {t['p_met']:.0%} (prior only: {t['p_met_prior']:.0%})")
        lines.append("  P(met) is the chance that the target is met when every case is decided at the final "
                     "measurement date; decided persons keep their status.")
        return "\n".join(lines)


# ---------------------------------------------------------------- summaries


def _indicators(sc: ModelScenario) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the indicators the forecast follows (the completion one first) and the targets it cannot."""
    comp = sc.model.completion_indicator
    ids: list[str] = [comp] if comp else []
    unsupported = []
    for t in sc.contract.targets:
        if sc.model.indicator(t.indicator).kind not in _SUPPORTED:
            unsupported.append(t.id)
        elif t.indicator not in ids:
            ids.append(t.indicator)
    for ln in sc.contract.rate_card:  # a rate card's lines are forecast like targets' indicators
        if sc.model.indicator(ln.indicator).kind not in _SUPPORTED:
            unsupported.append(f"rate card: {ln.id}")
        elif ln.indicator not in ids:
            ids.append(ln.indicator)
    return tuple(ids), tuple(unsupported)


def _first_states(sc: ModelScenario, ids: tuple[str, ...]) -> np.ndarray:
    mask = np.zeros(len(sc.model.states), dtype=bool)
    for i in ids:
        spec = sc.model.indicator(i)
        if spec.kind == "spell":
            mask[sc.model.state_ids(spec.settings["states"])] = True
    return mask


def _qualifying(sc: ModelScenario, sp: PersonSpells, ids: tuple[str, ...], mask: np.ndarray) -> np.ndarray:
    """Return per spell: in a state of ``mask`` and meeting the hours rule of a spell indicator counting it.

    The rule is the indicator's own (:mod:`simkit.model.indicators`): ``hours_min`` on the
    ``hours_states``; observed spells carry their hours, simulated ones take their state's.
    """
    ok = np.zeros(sp.state.size, dtype=bool)
    m = sc.model
    default_h = np.array([np.nan if x.weekly_hours is None else x.weekly_hours for x in m.states])
    for i in ids:
        spec = m.indicator(i)
        if spec.kind != "spell":
            continue
        inside = np.zeros(len(m.states), dtype=bool)
        inside[m.state_ids(spec.settings["states"])] = True
        q = inside[sp.state]
        hmin = spec.settings.get("hours_min")
        if hmin is not None:
            applies = np.zeros(len(m.states), dtype=bool)
            applies[m.state_ids(spec.settings.get("hours_states") or [x.id for x in m.states if x.kind == "job"])] = True
            if sp.hours is not None:   # observed: unknown hours do not meet an hours rule
                h = sp.hours
                meets = ~np.isnan(h) & (h >= hmin - 1e-9)
            else:
                h = default_h[sp.state]
                meets = np.isnan(h) | (h >= hmin - 1e-9)
            q &= ~applies[sp.state] | meets
        ok |= q
    return ok & mask[sp.state]


def _statuses(sc: ModelScenario, sp: PersonSpells, week: float, final: bool, ids) -> dict[str, Status]:
    ctx = Context(sc.model, week, final, sc.week_of(sc.terms.outcome_window_end), "programme", {}, None,
                  observed_scores={})
    st = evaluate_indicators(sc.model, sp, ctx)
    return {i: st[i] for i in ids}


def _summary(sc: ModelScenario, sp: PersonSpells, week: float, ids: tuple[str, ...], mask: np.ndarray,
             referred: np.ndarray) -> _Summary:
    st = _statuses(sc, sp, week, False, ids)
    exposure = np.clip(np.floor((week - sp.referral[referred]) / BIN_WEEKS), 0, N_EXPOSURE - 1).astype(np.int64)
    comp = sc.model.completion_indicator
    codes = {i: _AS_OF_CODE[st[i].status[referred].astype(np.int64) + 2] for i in ids}
    status = codes[comp] if comp else np.zeros(int(referred.sum()), dtype=np.int64)
    after = sp.start >= sp.referral[sp.cell] - 1e-9
    hit = _qualifying(sc, sp, ids, mask) & (sp.start <= week) & after
    first_t = np.full(sp.cells, np.inf)
    np.minimum.at(first_t, sp.cell[hit], sp.start[hit] - sp.referral[sp.cell[hit]])
    # the first counted spell's length, ended or running (censored) at the as-of date
    idx = np.flatnonzero(hit)
    is_first = np.isclose(sp.start[idx] - sp.referral[sp.cell[idx]], first_t[sp.cell[idx]])
    idx = idx[is_first]
    idx = idx[np.unique(sp.cell[idx], return_index=True)[1]]
    dur_all = np.zeros(sp.cells, dtype=np.int64)
    ended = sp.end[idx] <= week + 1e-9
    length = np.minimum(sp.end[idx], week) - sp.start[idx]
    dur_all[sp.cell[idx]] = 1 + np.searchsorted(DUR_EDGES, length, side="right") + np.where(ended, 0, N_DUR)
    avail_all = np.zeros(sp.cells, dtype=np.int64)
    avail_all[sp.cell[idx]] = 1 + np.searchsorted(AVAIL_EDGES, week - sp.start[idx], side="right")
    # the first exclusion (moved away, died, never started) and its time from referral
    ex_state = np.array([x.excluded for x in sc.model.states], dtype=bool)
    xh = ex_state[sp.state] & (sp.start <= week) & after
    excl_t = np.full(sp.cells, np.inf)
    np.minimum.at(excl_t, sp.cell[xh], sp.start[xh] - sp.referral[sp.cell[xh]])
    excl_t = excl_t[referred]
    excl = np.where(np.isfinite(excl_t), 1 + np.searchsorted(EXCL_EDGES, np.where(np.isfinite(excl_t), excl_t, 0),
                                                              side="right"), 0).astype(np.int64)
    dur = dur_all[referred]
    first_t = first_t[referred]
    first = np.where(np.isfinite(first_t), np.clip(np.floor(first_t / BIN_WEEKS), 0, N_FIRST - 1), N_FIRST)
    first = first.astype(np.int64)
    joint = np.zeros(status.size, dtype=np.int64)
    final_now = np.zeros(status.size, dtype=np.int64)
    is_open = np.zeros(status.size, dtype=bool)
    for j, i in enumerate(ids):
        c = codes[i]
        joint += c * 4 ** j
        is_open |= c == _AS_OF[PENDING]
        final_now += np.where(c == _AS_OF[ACHIEVED], 1, np.where(c == _AS_OF[EXCLUDED], 2, 0)) * 3 ** j
    return _Summary(exposure, status, first, joint * (N_FIRST + 1) + first, is_open, np.where(is_open, -1, final_now),
                    dur, avail_all[referred], excl)


def _final_codes(sc: ModelScenario, sp: PersonSpells, ids, cells: np.ndarray) -> np.ndarray:
    st = _statuses(sc, sp, sc.week_of(sc.terms.measurement_date), True, ids)
    out = np.zeros(cells.size, dtype=np.int64)
    for j, i in enumerate(ids):
        s = st[i].status[cells]
        out += np.where(s == ACHIEVED, 1, np.where(s == EXCLUDED, 2, 0)) * 3 ** j
    return out


def _smooth_log(freq_counts: np.ndarray, totals: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Return log p_m(c | e), the frequencies of each set smoothed by a least-squares fit on the sets' parameters.

    ``freq_counts`` (M, E, C), ``totals`` (M, E); ``z`` (M, F) features with a leading 1.
    """
    pool = (freq_counts.sum(axis=0) + 0.5 / freq_counts.shape[2]) / (totals.sum(axis=0)[:, None] + 0.5)
    raw = np.log((freq_counts + pool[None]) / (totals[..., None] + 1.0))
    M = raw.shape[0]
    coef, *_ = np.linalg.lstsq(z, raw.reshape(M, -1), rcond=None)
    fit = (z @ coef).reshape(raw.shape)
    fit -= np.log(np.exp(fit).sum(axis=2, keepdims=True))     # a distribution again
    return fit


def _history_parameters(sc: ModelScenario) -> set[str]:
    """Parameters the histories depend on: those named anywhere in transitions, effects, changes, subgroups."""
    names = set(sc.parameters)
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, str) and node in names:
            found.add(node)
        elif isinstance(node, dict):
            for k, v in node.items():
                if k != "cost":          # prices do not shape the histories
                    walk(v)
        elif isinstance(node, list | tuple):
            for v in node:
                walk(v)

    for key in ("states", "transitions", "effects", "changes", "subgroups"):
        walk(sc.document.get(key))
    return found


def _features(sc: ModelScenario, params: dict[str, np.ndarray]) -> np.ndarray:
    """Return a leading 1, then z-scores and their squares of the parameters the histories depend on."""
    cols = [np.ones(next(iter(params.values())).size)]
    used = _history_parameters(sc)
    for name, v in params.items():
        if name not in used:
            continue
        x = np.log(v) if np.all(v > 0) else v
        sd = x.std()
        if sd > 0:
            zz = (x - x.mean()) / sd
            cols += [zz, zz ** 2 - 1]
    return np.column_stack(cols)


def reference(sc: ModelScenario, as_of: dt.date, *, seed: int, draws: int = 512, replicates: int = 16
              ) -> InterimReference:
    """Simulate the reference of the interim forecast: ``draws`` parameter sets × ``replicates`` cohorts.

    Examples
    --------
    >>> import simkit
    >>> sc = simkit.load_scenario("norddjurs")
    >>> ref = reference(sc, dt.date(2026, 11, 1), seed=1, draws=16, replicates=2)
    >>> ref.q_open.shape[0], ref.indicators
    (16, ('completion', 'edu_work'))
    """
    seed = root_seed(seed, allow_none=False)
    sub = int(stream_generator(seed, "interim_forecast").integers(2 ** 63 - 1))
    ids, unsupported = _indicators(sc)
    mask = _first_states(sc, ids)
    params = _param_rows(sc, sub, 0, draws) if sc.parameters else {}
    rep = {k: np.repeat(v, replicates) for k, v in params.items()}
    h = simulate_histories(sc, rep if rep else {"_draws": np.zeros(draws * replicates)}, seed=sub, block=0)
    sp = arm_spells(h, "programme", sc.model)
    week = sc.week_of(as_of)
    P = h.persons
    cells = np.arange(sp.cells)
    m_of = cells // (P * replicates)
    referred = sp.referral <= week
    s = _summary(sc, sp, week, ids, mask, referred)
    final = _final_codes(sc, sp, ids, cells)
    J = 3 ** len(ids)
    mr = m_of[referred]
    E, C2 = N_EXPOSURE, N_FIRST + 1
    st_counts = np.zeros((draws, E, 4))
    np.add.at(st_counts, (mr, s.exposure, s.status), 1)
    first_counts = np.zeros((draws, E, C2))
    np.add.at(first_counts, (mr, s.exposure, s.first), 1)
    totals = st_counts.sum(axis=2)
    z = _features(sc, params) if params else np.ones((draws, 1))
    log_ps = _smooth_log(st_counts, totals, z)
    log_pf = _smooth_log(first_counts, totals, z)
    dur_counts = np.zeros((draws, N_AVAIL, 1 + 2 * N_DUR))   # spell length given the time it had ...
    np.add.at(dur_counts, (mr, s.avail, s.dur), 1)
    log_pd = _smooth_log(dur_counts, dur_counts.sum(axis=2), z)
    g_ex = s.exposure * 4 + s.status                # ... and the exclusion's timing given the status
    ex_counts = np.zeros((draws, E * 4, N_EXCL))
    np.add.at(ex_counts, (mr, g_ex, s.excl), 1)
    log_px = _smooth_log(ex_counts, ex_counts.sum(axis=2), z)
    keys = 4 ** len(ids) * C2
    open_counts = np.zeros((draws, E, keys, J))
    o = s.open
    np.add.at(open_counts, (mr[o], s.exposure[o], s.key[o], final[referred][o]), 1)
    q_open = _shrink(open_counts)
    fut = ~referred
    fut_counts = np.zeros((draws, J))
    np.add.at(fut_counts, (m_of[fut], final[fut]), 1)
    pool = (fut_counts.sum(axis=0) + 1.0 / J) / (fut_counts.sum() + 1.0)
    q_future = (fut_counts + 4.0 * pool) / (fut_counts.sum(axis=1, keepdims=True) + 4.0)
    return InterimReference(as_of, draws, replicates, ids, params, log_ps, log_pf, log_pd, log_px, q_open, q_future,
                            seed, unsupported)


def _shrink(c: np.ndarray, a: float = 4.0) -> np.ndarray:
    """Per-set frequencies (M, E, K, J) shrunk towards all sets' (E, K, J), those towards (K, J), then all."""
    J = c.shape[-1]
    all_ = (c.sum(axis=(0, 1, 2)) + 1.0 / J) / (c.sum() + 1.0)
    k = c.sum(axis=(0, 1))
    pk = (k + all_) / (k.sum(axis=1, keepdims=True) + 1.0)
    ek = c.sum(axis=0)
    pek = (ek + a * pk[None]) / (ek.sum(axis=2, keepdims=True) + a)
    return (c + a * pek[None]) / (c.sum(axis=3, keepdims=True) + a)


# ---------------------------------------------------------------- the forecast


def _weights(ref: InterimReference, s: _Summary) -> np.ndarray:
    loglik = (ref.log_p_status[:, s.exposure, s.status].sum(axis=1)
              + ref.log_p_first[:, s.exposure, s.first].sum(axis=1)
              + ref.log_p_dur[:, s.avail, s.dur].sum(axis=1)
              + ref.log_p_excl[:, s.exposure * 4 + s.status, s.excl].sum(axis=1))
    w = np.exp(loglik - loglik.max())
    return w / w.sum()


def _subset(s: _Summary, sel: np.ndarray) -> _Summary:
    """Return the summary of some of the persons (``sel`` indexes or masks the referred persons)."""
    return _Summary(s.exposure[sel], s.status[sel], s.first[sel], s.key[sel], s.open[sel], s.final_now[sel],
                    s.dur[sel], s.avail[sel], s.excl[sel])


def _forecast(sc: ModelScenario, ref: InterimReference, s: _Summary, n_future: int, *, samples: int = 64,
              rng: np.random.Generator) -> InterimForecast:
    M, J, ids = ref.draws, ref.q_future.shape[1], ref.indicators
    w = _weights(ref, s)
    n_dec = int((~s.open).sum())
    o = np.flatnonzero(s.open)
    # final joint codes: decided persons fixed; open and future persons drawn per set
    q = ref.q_open[:, s.exposure[o], s.key[o], :]                          # (M, n_open, J)
    cdf_o = np.cumsum(q, axis=2)
    cdf_f = np.cumsum(ref.q_future, axis=1)                               # (M, J)
    u_o = rng.random((M, samples, o.size))
    u_f = rng.random((M, samples, n_future))
    draw_o = (u_o[..., None] > cdf_o[:, None, :, :-1]).sum(axis=3)
    draw_f = (u_f[..., None] > cdf_f[:, None, None, :-1]).sum(axis=3)
    fixed = np.broadcast_to(s.final_now[~s.open], (M, samples, n_dec))
    codes = np.concatenate([fixed, draw_o, draw_f], axis=2).reshape(M * samples, -1)
    N = codes.shape[1]
    statuses = {i: Status(_FINAL_STATUS[(codes // 3 ** j) % 3].reshape(-1)) for j, i in enumerate(ids)}
    del J
    counts = count(statuses, M * samples, N, sc.model.completion_indicator)
    targets = {}
    if any(u.startswith("rate card: ") for u in ref.unsupported):
        # a rate-card line this forecast cannot follow (e.g. claims at follow-ups): no repayment forecast
        total = None
        met_of: dict[str, np.ndarray] = {}
        for t in sc.contract.targets:
            if t.id not in ref.unsupported:
                no_card = dataclasses.replace(sc.contract, rate_card=())
                met_of[t.id] = np.asarray(repayment(no_card, counts).met[t.id], dtype=float)
    else:
        rep = repayment(sc.contract, counts)
        total = np.asarray(rep.total, dtype=float).reshape(M, samples).mean(axis=1)
        met_of = {t.id: np.asarray(rep.met[t.id], dtype=float) for t in sc.contract.targets
                  if t.id not in ref.unsupported}
    for t in sc.contract.targets:
        if t.id in ref.unsupported:
            continue
        met = met_of[t.id].reshape(M, samples)
        pm = met.mean(axis=1)
        p = float(w @ pm)
        # SE: between sets (weighted) and within (the predictive samples)
        se = float(np.sqrt((w ** 2 * (pm - p) ** 2).sum() + (w ** 2 * pm * (1 - pm)).sum() / samples))
        targets[t.id] = {"p_met": p, "p_met_prior": float(pm.mean()), "mc_se": se}
    post = {k: float(w @ v) for k, v in ref.params.items()}
    prior = {k: float(v.mean()) for k, v in ref.params.items()}
    return InterimForecast(ref.as_of, M, float(1.0 / (w ** 2).sum()), targets,
                           None if total is None else float(w @ total),
                           None if total is None else float(total.mean()), post, prior, w, ref.unsupported)


def forecast(sc: ModelScenario, sp: PersonSpells, as_of: dt.date, *, seed: int, draws: int = 512,
             replicates: int = 16, ref: InterimReference | None = None) -> InterimForecast:
    """Forecast P(each target met by the end) from observed interim histories ``sp``.

    ``sp`` are the observed persons' spells (:func:`simkit.model.observed.spells_from_frame`);
    persons of the cohort not in them count as not yet referred.

    Examples
    --------
    >>> import simkit
    >>> from simkit.model.observed import spells_from_frame, synthesize_spells
    >>> sc = simkit.load_scenario(["norddjurs", "norddjurs_threshold"])  # a contract with targets
    >>> day = dt.date(2026, 11, 1)
    >>> sp, _ = spells_from_frame(sc, synthesize_spells(sc, seed=41, as_of=day), as_of=day)
    >>> f = forecast(sc, sp, day, seed=1, draws=32, replicates=2)
    >>> sorted(f.targets), 1 <= f.ess <= 32
    (['completion', 'edu_work'], True)
    """
    seed = root_seed(seed, allow_none=False)
    if ref is None:
        ref = reference(sc, as_of, seed=seed, draws=draws, replicates=replicates)
    week = sc.week_of(as_of)
    referred = sp.referral <= week
    s = _summary(sc, sp, week, ref.indicators, _first_states(sc, ref.indicators), referred)
    n_future = max(0, sc.agreement.cohort_size - int(referred.sum()))
    return _forecast(sc, ref, s, n_future, rng=stream_generator(seed, "interim_forecast", 1))
