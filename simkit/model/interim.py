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
5. **The end.** Decided indicators keep their value. A person with an
   indicator still open at the as-of date takes, for the open ones, the end of
   a simulated person of set ``m`` with the same summary (a hot deck; with
   probability ``a / (n + a)`` the donor comes from all sets' persons with that
   summary, then from those with the same statuses, so sparse cells borrow
   strength); persons not yet referred end as the simulated persons referred
   after the as-of date. ``K`` predictive cohorts per set give the count, the
   target's met/not met by the contract's own arithmetic
   (:func:`simkit.contract.repayment`) and the repayment.

``P(met)`` is the weighted share of the predictive cohorts meeting a target,
beside the **prior-only** figure (equal weights: the observed persons' fixed
outcomes are used, the parameters are not learnt from them). Completion,
spell, score and in-state indicators are followed; an in-state indicator
counting claims at follow-ups stays open until its last follow-up (the key
holds the claims so far), so each rate-card line's expected number of
payable claims, the expected repayment and its 5-95 % range are forecast.
Indicators of other kinds are not forecast (``None``).

Randomness: the reference simulation's root seed and the predictive draws
come from the stream ``interim_forecast`` of :data:`simkit.rng.STREAMS`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simkit import labels as lb
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
    _followups,
    count,
    evaluate_indicators,
)
from simkit.model.simulate import simulate_histories
from simkit.model.spec import ModelScenario
from simkit.results.base import Provenance, Result
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
_SUPPORTED = ("completion", "spell", "score", "in_state")


@dataclass(frozen=True)
class _Summary:
    """Per-person summary at the as-of date (referred persons only)."""

    exposure: np.ndarray      # bin of weeks since referral
    status: np.ndarray        # completion indicator's status code (_AS_OF), or 0 without one
    first: np.ndarray         # first-start bin (N_FIRST = none yet)
    key: np.ndarray           # joint as-of codes of the key indicators × first-start bin
    open: np.ndarray          # bool: some forecast indicator not decided yet
    dur: np.ndarray           # first counted spell: 0 none, 1 + bin ended, 1 + N_DUR + bin running at as-of
    avail: np.ndarray         # weeks from that spell's start to the as-of date: 0 no start, 1 + bin
    excl: np.ndarray          # exclusion (moved away, died, ...): 0 none, 1 + bin of its time from referral
    decided: np.ndarray       # (n, indicators) bool: this indicator's final value is known
    now_status: np.ndarray    # (n, indicators) int8: the status (final where decided)
    now_claims: np.ndarray    # (n, indicators) int32: claims so far (0 for indicators without claims)


@dataclass(frozen=True)
class _Donors:
    """Simulated persons whose end an open (or future) observed person takes: set, summary, final values."""

    m: np.ndarray             # parameter set
    exposure: np.ndarray
    key: np.ndarray
    status: np.ndarray        # (n, indicators) int8 final status
    claims: np.ndarray        # (n, indicators) int32 final claims


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
    donors: _Donors = field(repr=False)            # simulated persons still open at the as-of date
    future: _Donors = field(repr=False)            # simulated persons referred after it
    seed: int = 0
    unsupported: tuple[str, ...] = ()               # targets / rate-card lines not forecast (indicator kind)


@dataclass(frozen=True)
class InterimForecast(Result):
    """P(each target met by the end) learnt from the interim data, beside the prior-only figure.

    ``lines`` holds per rate-card line the expected number of payable claims (or persons) and the
    expected payment, each beside its prior-only figure; ``repayment_range`` the 5 % and 95 %
    points of the predictive distribution of the repayment.

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
    lines: dict[str, dict[str, float]] = field(default_factory=dict)   # rate-card line id -> expected count, payment
    repayment_range: tuple[float, float] | None = None                # 5 % and 95 % points of the repayment
    provenance: Provenance = field(default_factory=lambda: Provenance("", "", "", (), None, 0), compare=False)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready dict (no person-level data).

        Returns
        -------
        dict
            The keys of ``evaluate.v2.forecast`` in docs/json-formats.md.

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
                "expected_repayment_range": None if self.repayment_range is None else list(self.repayment_range),
                "rate_card": self.lines,
                "provenance": self.provenance.as_dict(),
                "posterior_mean": self.posterior_mean, "prior_mean": self.prior_mean,
                "not_forecast": list(self.unsupported),
                "method": ("parameter sets of the scenario reweighted by an approximate likelihood of the "
                           "interim data (completion status, exclusions and their timing, time to the first "
                           "start, that spell's length censored at the as-of date, by weeks since referral); "
                           "prior: equal weights")}

    def to_frame(self) -> pd.DataFrame:
        """Return one row per target: P(met) with the data, prior only, and its Monte Carlo SE.

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> f = InterimForecast(dt.date(2026, 11, 1), 4, 3.2, {"t": {"p_met": 0.5, "p_met_prior": 0.4,
        ...                     "mc_se": 0.01}}, 1.0, 2.0, {}, {}, np.full(4, 0.25))
        >>> f.to_frame().loc["t", "p_met"]
        np.float64(0.5)
        """
        return pd.DataFrame.from_dict(self.targets, orient="index", columns=["p_met", "p_met_prior", "mc_se"],
                                      dtype=float)

    def to_text(self) -> str:
        """Return the plain-text view (:meth:`text` without labels).

        Returns
        -------
        str

        Examples
        --------
        >>> f = InterimForecast(dt.date(2026, 11, 1), 4, 3.2, {"t": {"p_met": 0.5, "p_met_prior": 0.4,
        ...                     "mc_se": 0.01}}, 1.0, 2.0, {}, {}, np.full(4, 0.25))
        >>> print(f.to_text().splitlines()[1])
          t: 50% (prior only: 40%)
        """
        return self.text()

    def text(self, labels: dict[str, str] | None = None, lang: str | None = None) -> str:
        """Lines for the signer: P(met) learnt from the data beside the prior's, and the ESS.

        Parameters
        ----------
        labels : dict, optional
            Plain-language names of the targets and rate-card lines (``"rate card: <id>"``).
        lang : {"en", "da"}, optional
            Language (default English).

        Returns
        -------
        str

        Examples
        --------
        >>> f = InterimForecast(dt.date(2026, 11, 1), 4, 3.2, {"t": {"p_met": 0.5, "p_met_prior": 0.4,
        ...                     "mc_se": 0.01}}, 1.0, 2.0, {}, {}, np.full(4, 0.25))
        >>> print(f.text().splitlines()[1])
          t: 50% (prior only: 40%)
        >>> print(f.text(lang="da").splitlines()[1])
          t: 50 % (kun forudsætningerne: 40 %)
        """
        labels = labels or {}
        L = "en" if lang is None else lang

        def ph(key: str, **v: object) -> str:
            return lb.label(key, L, kind="evaluation").format(**v)

        def pc(x: float) -> str:
            return f"{x:.0%}" if L == "en" else lb.format_percent(x, L, decimals=0)

        def num(x: float, d: int) -> str:
            return f"{x:,.{d}f}" if L == "en" else lb.format_number(x, L, decimals=d)

        lines = [ph("v2_forecast_head", draws=num(self.draws, 0), ess=num(self.ess, 0))]
        for tid, t in self.targets.items():
            lines.append("  " + ph("v2_forecast_target", target=labels.get(tid, tid), p=pc(t["p_met"]),
                                   prior=pc(t["p_met_prior"])))
        if self.targets:
            lines.append("  " + ph("v2_forecast_meaning"))
        for lid, ln in self.lines.items():
            lines.append("  " + ph("v2_forecast_line", line=labels.get("rate card: " + lid, lid),
                                   count=num(ln["expected_count"], 1), prior=num(ln["expected_count_prior"], 1),
                                   pay=num(ln["expected_payment"], 0)))
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


def _statuses(sc: ModelScenario, sp: PersonSpells, week: float, final: bool, ids, *,
              params: dict[str, np.ndarray] | None = None, score_z: np.ndarray | None = None,
              scores: dict[str, np.ndarray] | None = None) -> dict[str, Status]:
    """Return the statuses of the indicators ``ids`` as of ``week``.

    Simulated persons pass ``params`` (per person) and ``score_z`` (the score indicators' standard
    normals); observed persons their measured score changes ``scores`` (indicator id -> per person).
    """
    if params is None:
        ctx = Context(sc.model, week, final, sc.week_of(sc.terms.outcome_window_end), "programme", {}, None,
                      observed_scores=scores or {})
    else:
        ctx = Context(sc.model, week, final, sc.week_of(sc.terms.outcome_window_end), "programme", params, score_z)
    st = evaluate_indicators(sc.model, sp, ctx)
    return {i: st[i] for i in ids}


def _is_claims(sc: ModelScenario, i: str) -> bool:
    spec = sc.model.indicator(i)
    return spec.kind == "in_state" and spec.settings.get("count", "claims") == "claims"


def _decided(sc: ModelScenario, sp: PersonSpells, st: dict[str, Status], week: float, ids: tuple[str, ...],
             referred: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return per referred person and indicator: decided, the status, the claims so far.

    An indicator is decided when its status is not pending; one counting claims at follow-ups
    only once its last follow-up is reached (or the person is excluded): a claim can still come.
    """
    n = int(referred.sum())
    dec = np.zeros((n, len(ids)), dtype=bool)
    now_s = np.zeros((n, len(ids)), dtype=np.int8)
    now_c = np.zeros((n, len(ids)), dtype=np.int32)
    for j, i in enumerate(ids):
        s = st[i].status[referred]
        now_s[:, j] = s
        dec[:, j] = s != PENDING
        if _is_claims(sc, i):
            c = st[i].claims
            now_c[:, j] = 0 if c is None else c[referred]
            last = float(_followups(sc.model.indicator(i).settings).max())
            dec[:, j] = (s == EXCLUDED) | (sp.referral[referred] + last <= week)
    return dec, now_s, now_c


def _key_code(sc: ModelScenario, i: str, status: np.ndarray, claims: np.ndarray, decided: np.ndarray
              ) -> tuple[np.ndarray | None, int]:
    """Return an indicator's part of the key the open persons are matched on, and its radix.

    Completion and spell indicators: the status (4 codes); claims: the claims so far × (decided,
    open, excluded); scores are not matched on (they are measured once, at the end of the course).
    """
    spec = sc.model.indicator(i)
    if spec.kind == "score":
        return None, 1
    if _is_claims(sc, i):
        k = len(_followups(spec.settings))
        state = np.where(status == EXCLUDED, 2, np.where(decided, 0, 1))
        return np.minimum(claims, k) * 3 + state, 3 * (k + 1)
    return _AS_OF_CODE[status.astype(np.int64) + 2], 4


def _summary(sc: ModelScenario, sp: PersonSpells, week: float, ids: tuple[str, ...], mask: np.ndarray,
             referred: np.ndarray, *, st: dict[str, Status] | None = None) -> _Summary:
    st = _statuses(sc, sp, week, False, ids) if st is None else st
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
    dec, now_s, now_c = _decided(sc, sp, st, week, ids, referred)
    key = np.zeros(status.size, dtype=np.int64)
    mult = 1
    for j, i in enumerate(ids):
        c, radix = _key_code(sc, i, st[i].status[referred], now_c[:, j], dec[:, j])
        if c is not None:
            key += c * mult
            mult *= radix
    return _Summary(exposure, status, first, key * (N_FIRST + 1) + first, np.asarray(~dec.all(axis=1)), dur,
                    avail_all[referred], excl, dec, now_s, now_c)


def _final(sc: ModelScenario, sp: PersonSpells, ids, cells: np.ndarray, **kw: Any) -> tuple[np.ndarray, np.ndarray]:
    """Return the final statuses and claims (persons × indicators) at the measurement date."""
    st = _statuses(sc, sp, sc.week_of(sc.terms.measurement_date), True, ids, **kw)
    status = np.column_stack([st[i].status[cells] for i in ids]).astype(np.int8)
    cl = [st[i].claims for i in ids]
    claims = np.column_stack([np.zeros(cells.size, dtype=np.int32) if c is None else c[cells] for c in cl])
    return status, claims.astype(np.int32)


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
    >>> ref.indicators
    ('completion', 'edu_work', 'edu_work_followup')
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
    per_cell = {k: v[cells // P] for k, v in rep.items()}
    z = stream_generator(seed, "interim_forecast", 2).standard_normal(sp.cells)   # score indicators
    kw: dict[str, Any] = {"params": per_cell, "score_z": z}
    referred = sp.referral <= week
    s = _summary(sc, sp, week, ids, mask, referred, st=_statuses(sc, sp, week, False, ids, **kw))
    f_status, f_claims = _final(sc, sp, ids, cells, **kw)
    mr = m_of[referred]
    E, C2 = N_EXPOSURE, N_FIRST + 1
    st_counts = np.zeros((draws, E, 4))
    np.add.at(st_counts, (mr, s.exposure, s.status), 1)
    first_counts = np.zeros((draws, E, C2))
    np.add.at(first_counts, (mr, s.exposure, s.first), 1)
    totals = st_counts.sum(axis=2)
    zf = _features(sc, params) if params else np.ones((draws, 1))
    log_ps = _smooth_log(st_counts, totals, zf)
    log_pf = _smooth_log(first_counts, totals, zf)
    dur_counts = np.zeros((draws, N_AVAIL, 1 + 2 * N_DUR))   # spell length given the time it had ...
    np.add.at(dur_counts, (mr, s.avail, s.dur), 1)
    log_pd = _smooth_log(dur_counts, dur_counts.sum(axis=2), zf)
    g_ex = s.exposure * 4 + s.status                # ... and the exclusion's timing given the status
    ex_counts = np.zeros((draws, E * 4, N_EXCL))
    np.add.at(ex_counts, (mr, g_ex, s.excl), 1)
    log_px = _smooth_log(ex_counts, ex_counts.sum(axis=2), zf)
    o = s.open if s.open.any() else np.ones(s.open.size, dtype=bool)   # no open person: any referred one
    ro = np.flatnonzero(referred)[o]
    donors = _Donors(mr[o], s.exposure[o], s.key[o], f_status[ro], f_claims[ro])
    fut = np.flatnonzero(~referred)
    future = _Donors(m_of[fut], np.zeros(fut.size, dtype=np.int64), np.zeros(fut.size, dtype=np.int64),
                     f_status[fut], f_claims[fut])
    return InterimReference(as_of, draws, replicates, ids, params, log_ps, log_pf, log_pd, log_px, donors, future,
                            seed, unsupported)


# ---------------------------------------------------------------- the forecast


def _hot_deck(rng: np.random.Generator, levels: list[tuple[np.ndarray, np.ndarray, float]], n_donors: int,
              shape: tuple[int, ...]) -> np.ndarray:
    """Pick a donor for every query: from its own cell, or (shrinkage) from coarser cells.

    ``levels`` are (donor codes, query codes broadcastable to ``shape``, prior weight ``a``),
    finest first. At each level a query with ``n`` donors in its cell takes one of them with
    probability ``n / (n + a)``, else moves on to the next level; after the last, any donor.
    This draws from the frequencies ``(c + a p_coarser) / (n + a)`` of hierarchical shrinkage.
    """
    out = np.full(shape, -1, dtype=np.int64)
    for codes, query, a in levels:
        if not codes.size:
            continue
        order = np.argsort(codes, kind="stable")
        sorted_ = codes[order]
        q = np.broadcast_to(query, shape)
        lo = np.searchsorted(sorted_, q, side="left")
        n = np.searchsorted(sorted_, q, side="right") - lo
        u, v = rng.random(shape), rng.random(shape)
        take = (out < 0) & (u * (n + a) < n)
        pick = order[np.minimum(lo + (v * n).astype(np.int64), codes.size - 1)]
        out = np.where(take, pick, out)
    return np.where(out < 0, rng.integers(0, max(n_donors, 1), shape), out)


def _weights(ref: InterimReference, s: _Summary) -> np.ndarray:
    loglik = (ref.log_p_status[:, s.exposure, s.status].sum(axis=1)
              + ref.log_p_first[:, s.exposure, s.first].sum(axis=1)
              + ref.log_p_dur[:, s.avail, s.dur].sum(axis=1)
              + ref.log_p_excl[:, s.exposure * 4 + s.status, s.excl].sum(axis=1))
    w = np.exp(loglik - loglik.max())
    return w / w.sum()


def _subset(s: _Summary, sel: np.ndarray) -> _Summary:
    """Return the summary of some of the persons (``sel`` indexes or masks the referred persons)."""
    return _Summary(s.exposure[sel], s.status[sel], s.first[sel], s.key[sel], s.open[sel], s.dur[sel],
                    s.avail[sel], s.excl[sel], s.decided[sel], s.now_status[sel], s.now_claims[sel])


def _weighted_quantiles(x: np.ndarray, w: np.ndarray, qs: tuple[float, ...]) -> list[float]:
    """Return the ``qs`` quantiles of values ``x`` with weights ``w`` (the smallest x reaching each share).

    Examples
    --------
    >>> _weighted_quantiles(np.array([3.0, 1.0, 2.0]), np.array([0.1, 0.1, 0.8]), (0.05, 0.5, 0.95))
    [1.0, 2.0, 3.0]
    """
    o = np.argsort(x, kind="stable")
    c = np.cumsum(w[o])
    return [float(x[o][min(int(np.searchsorted(c, q * c[-1] - 1e-12, side="left")), x.size - 1)]) for q in qs]


def _forecast(sc: ModelScenario, ref: InterimReference, s: _Summary, n_future: int, *, samples: int = 64,
              rng: np.random.Generator) -> InterimForecast:
    M, ids, J = ref.draws, ref.indicators, len(ref.indicators)
    w = _weights(ref, s)
    dec = ~s.open
    o = np.flatnonzero(s.open)
    E = N_EXPOSURE
    d, fu = ref.donors, ref.future
    keys = int(max(d.key.max(initial=0), s.key.max(initial=0))) + 1
    m_q = np.arange(M)[:, None, None]
    pick_o = _hot_deck(rng, [((d.m * E + d.exposure) * keys + d.key, (m_q * E + s.exposure[o]) * keys + s.key[o], 4.0),
                             (d.exposure * keys + d.key, s.exposure[o] * keys + s.key[o], 4.0),
                             (d.key, s.key[o], 1.0)], d.m.size, (M, samples, o.size))
    pick_f = _hot_deck(rng, [(fu.m, m_q, 4.0)], fu.m.size, (M, samples, n_future))
    own = s.decided[o][None, None]                         # open persons keep their decided indicators
    status_o = np.where(own, s.now_status[o][None, None], d.status[pick_o])      # (M, samples, n_open, J)
    claims_o = np.where(own, s.now_claims[o][None, None], d.claims[pick_o])
    if fu.m.size:
        status_f, claims_f = fu.status[pick_f], fu.claims[pick_f]
    else:
        status_f = np.zeros((M, samples, n_future, J), dtype=np.int8)
        claims_f = np.zeros((M, samples, n_future, J), dtype=np.int32)
    n_dec = int(dec.sum())
    status = np.concatenate([np.broadcast_to(s.now_status[dec], (M, samples, n_dec, J)), status_o, status_f], axis=2)
    claims = np.concatenate([np.broadcast_to(s.now_claims[dec], (M, samples, n_dec, J)), claims_o, claims_f], axis=2)
    N = status.shape[2]
    statuses = {i: Status(np.ascontiguousarray(status[..., j]).reshape(-1),
                          np.ascontiguousarray(claims[..., j]).reshape(-1) if _is_claims(sc, i) else None)
                for j, i in enumerate(ids)}
    counts = count(statuses, M * samples, N, sc.model.completion_indicator)
    targets = {}
    lines: dict[str, dict[str, float]] = {}
    total_range: tuple[float, float] | None = None
    if any(u.startswith("rate card: ") for u in ref.unsupported):
        # a rate-card line of a kind this forecast cannot follow: no repayment forecast
        total = None
        met_of: dict[str, np.ndarray] = {}
        for t in sc.contract.targets:
            if t.id not in ref.unsupported:
                no_card = dataclasses.replace(sc.contract, rate_card=())
                met_of[t.id] = np.asarray(repayment(no_card, counts).met[t.id], dtype=float)
    else:
        rep = repayment(sc.contract, counts)
        every = np.asarray(rep.total, dtype=float).reshape(M, samples)
        total = every.mean(axis=1)
        lo, hi = _weighted_quantiles(every.reshape(-1), np.repeat(w, samples), (0.05, 0.95))
        total_range = (lo, hi)
        met_of = {t.id: np.asarray(rep.met[t.id], dtype=float) for t in sc.contract.targets
                  if t.id not in ref.unsupported}
        for ln in sc.contract.rate_card:
            k = np.asarray(counts[ln.indicator].achieved, dtype=float).reshape(M, samples).mean(axis=1)
            pay = np.asarray(rep.by_line[ln.id], dtype=float).reshape(M, samples).mean(axis=1)
            lines[ln.id] = {"expected_count": float(w @ k), "expected_count_prior": float(k.mean()),
                            "expected_payment": float(w @ pay), "expected_payment_prior": float(pay.mean())}
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
                           None if total is None else float(total.mean()), post, prior, w, ref.unsupported,
                           lines, total_range)


def forecast(sc: ModelScenario, sp: PersonSpells, as_of: dt.date, *, seed: int, draws: int = 512,
             replicates: int = 16, ref: InterimReference | None = None,
             scores: dict[str, np.ndarray] | None = None) -> InterimForecast:
    """Forecast P(each target met by the end) from observed interim histories ``sp``.

    ``sp`` are the observed persons' spells (:func:`simkit.model.observed.spells_from_frame`);
    persons of the cohort not in them count as not yet referred. ``scores`` are the persons'
    measured score changes per score indicator (NaN: not measured yet).

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
    st = _statuses(sc, sp, week, False, ref.indicators, scores=scores)
    s = _summary(sc, sp, week, ref.indicators, _first_states(sc, ref.indicators), referred, st=st)
    n_future = max(0, sc.agreement.cohort_size - int(referred.sum()))
    f = _forecast(sc, ref, s, n_future, rng=stream_generator(seed, "interim_forecast", 1))
    return dataclasses.replace(f, provenance=Provenance.of(sc, seed=seed, draws=ref.draws, as_of=as_of.isoformat(),
                                                           replicates=ref.replicates))

