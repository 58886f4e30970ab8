"""The scenario model of the evaluation.

The scenario simulated once per scenario, as-of day, seed and draws (cached), the
scenario's prior for a target's rate, and the weights of its parameter sets given the data.

The weights (the v1 path's forecast that learns) use the likelihood form of the version-2
interim forecast (:mod:`simkit.model.interim`): per parameter set, the simulated frequencies of
each referred person's completion status at the as-of date and of the time from referral to the
first full-time spell (quarters; "none yet"), both by quarters since referral, smoothed across
the sets by a least-squares fit on the sets' parameters (``interim._smooth_log``). The data's
log-likelihood under a set is the sum over referred persons; the weights are its self-normalised
exponentials. Spell lengths, hours and exclusions are not in it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simkit import indicators as ind
from simkit.engine import indicator_statuses, simulate_arrays
from simkit.evaluation.constants import INNER, JEFFREYS, KNOWN_CONCENTRATION
from simkit.model.interim import BIN_WEEKS, N_EXPOSURE, N_FIRST, _smooth_log
from simkit.params import Beta, Fixed

#: completion status at the as-of date -> likelihood category (achieved, failed, pending)
_STATUS_CODE = {ind.ACHIEVED: 0, ind.FAILED: 1, ind.PENDING: 2}


@dataclass(frozen=True)
class _ScenarioModel:
    draws: int
    completion: tuple[np.ndarray, np.ndarray]      # per draw (successes, trials) at the measurement date
    edu_referred: tuple[np.ndarray, np.ndarray]
    edu_completed: tuple[np.ndarray, np.ndarray]
    no_spell: np.ndarray                           # per parameter set: P(achieve | pending, no
                                                   # running spell at as-of); NaN if never so
    future: np.ndarray                             # per parameter set: P(achieve | not referred)
    spell_days: np.ndarray                         # (draw, person) spell length in days, 0 = none
    dp: np.ndarray                                 # awards by as-of, programme arm
    dp_bau: np.ndarray
    #: per parameter set: log P(completion status | quarters since referral), (sets, E, 3)
    log_p_status: np.ndarray | None = None
    #: per parameter set: log P(first full-time start's quarter or none | quarters since referral)
    log_p_first: np.ndarray | None = None


_MODEL_CACHE: dict[tuple, _ScenarioModel] = {}


def _scenario_model(sc, T: int, seed: int, draws: int) -> _ScenarioModel:
    """Simulate the scenario (nested: ``draws // INNER`` parameter sets × ``INNER`` cohorts)."""
    key = (sc.sha256, T, seed, draws)
    if key in _MODEL_CACHE:
        return _MODEL_CACHE[key]
    M = sc.day_of(sc.terms.measurement_date)
    W = sc.day_of(sc.terms.outcome_window_end)
    outer = max(1, draws // INNER)
    out = simulate_arrays(sc, outer * INNER, seed=seed, nested=(outer, INNER), keep_persons=True,
                          curve_draws=0)
    acc: dict[str, list] = {k: [] for k in (
        "c_s", "c_n", "er_s", "er_n", "ec_s", "ec_n", "ns_s", "ns_n", "f_s", "f_n", "spell",
        "dp", "dp_bau")}
    A, NR, P = ind.ACHIEVED, ind.NOT_REFERRED, ind.PENDING
    st_counts = np.zeros((outer, N_EXPOSURE, 3))
    first_counts = np.zeros((outer, N_EXPOSURE, N_FIRST + 1))
    d0 = 0
    for c in out["cohort"]:
        st_t = indicator_statuses(sc, c, T)
        st_m = indicator_statuses(sc, c, M)
        comp_m, edu_m, edu_t = st_m["completion"], st_m["edu_work"], st_t["edu_work"]
        decided_m = (comp_m == A) | (comp_m == ind.FAILED)
        acc["c_s"].append((comp_m == A).sum(1))
        acc["c_n"].append(decided_m.sum(1))
        ref_m = comp_m != NR
        acc["er_s"].append(((edu_m == A) & ref_m).sum(1))
        acc["er_n"].append(ref_m.sum(1))
        acc["ec_s"].append(((edu_m == A) & (comp_m == A)).sum(1))
        acc["ec_n"].append((comp_m == A).sum(1))
        start_day, end_day = 7 * c.start, 7 * (c.start + c.spell) - 1
        running = (edu_t == P) & c.outcome & (start_day <= min(T, W)) & (end_day > T)
        no_spell = (edu_t == P) & ~running
        acc["ns_s"].append((no_spell & (edu_m == A)).sum(1))
        acc["ns_n"].append(no_spell.sum(1))
        fut = edu_t == NR
        acc["f_s"].append((fut & (edu_m == A)).sum(1))
        acc["f_n"].append(fut.sum(1))
        acc["spell"].append(np.where(c.outcome, 7 * c.spell, 0).astype(np.int32))
        referred_t = (7 * c.referral <= T)[None, :]
        acc["dp"].append((c.dp & (7 * c.dp_week <= T) & referred_t).sum(1))
        acc["dp_bau"].append((c.dp_bau & (7 * c.dp_week <= T) & referred_t).sum(1))
        # the likelihood tables of the weights: status and first start by quarters since referral
        n_d = c.start.shape[0]
        comp_t = st_t["completion"]
        ref_w = np.broadcast_to(np.asarray(c.referral, dtype=float), c.start.shape)
        ref_ok = comp_t != NR
        sets = np.broadcast_to(((d0 + np.arange(n_d)) // INNER)[:, None], c.start.shape)[ref_ok]
        expo = _exposure(T, 7 * ref_w[ref_ok])
        code = np.select([comp_t == A, comp_t == ind.FAILED], [0, 1], 2)[ref_ok]
        started = c.outcome & (7 * c.start <= T)
        first = _first_bin(np.where(started, 7 * (c.start - ref_w), np.nan))[ref_ok]
        np.add.at(st_counts, (sets, expo, code), 1)
        np.add.at(first_counts, (sets, expo, first), 1)
        d0 += n_d
    cat = {k: np.concatenate(v) for k, v in acc.items()}

    def per_set(s_key: str, n_key: str) -> np.ndarray:
        s = cat[s_key].reshape(outer, INNER).sum(1).astype(float)
        n = cat[n_key].reshape(outer, INNER).sum(1).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(n > 0, s / n, np.nan)

    params = {k[6:]: np.asarray(v, dtype=float)[::INNER] for k, v in out.items()
              if k.startswith("param:")}
    z = _features(params, outer)
    totals = st_counts.sum(axis=2)
    model = _ScenarioModel(
        draws=outer * INNER,
        completion=(cat["c_s"], cat["c_n"]), edu_referred=(cat["er_s"], cat["er_n"]),
        edu_completed=(cat["ec_s"], cat["ec_n"]), no_spell=per_set("ns_s", "ns_n"),
        future=per_set("f_s", "f_n"), spell_days=cat["spell"], dp=cat["dp"],
        dp_bau=cat["dp_bau"], log_p_status=_smooth_log(st_counts, totals, z),
        log_p_first=_smooth_log(first_counts, totals, z),
    )
    if len(_MODEL_CACHE) > 16:
        _MODEL_CACHE.clear()
    _MODEL_CACHE[key] = model
    return model


def _exposure(T: float, ref_day: np.ndarray) -> np.ndarray:
    """Return the quarter since referral at day ``T`` (last bin open)."""
    return np.clip(np.floor((T - ref_day) / (7 * BIN_WEEKS)), 0, N_EXPOSURE - 1).astype(np.int64)


def _first_bin(days: np.ndarray) -> np.ndarray:
    """Return the quarter of the first start (days since referral; NaN: none yet -> ``N_FIRST``)."""
    ok = np.isfinite(days)
    q = np.clip(np.floor(np.where(ok, days, 0) / (7 * BIN_WEEKS)), 0, N_FIRST - 1)
    return np.where(ok, q, N_FIRST).astype(np.int64)


def _features(params: dict[str, np.ndarray], sets: int) -> np.ndarray:
    """Return a leading 1, then z-scores and squares of the parameters that shape the histories.

    Prices, business-as-usual and disability-pension parameters do not shape the programme
    arm's course and spell histories and are left out (fewer noisy columns in the fit).
    """
    cols = [np.ones(sets)]
    for name, v in params.items():
        if any(w in name for w in ("cost", "bau", "benefit", "dp_")):
            continue
        x = np.log(v) if np.all(v > 0) else v
        sd = x.std()
        if sd > 0:
            zz = (x - x.mean()) / sd
            cols += [zz, zz ** 2 - 1]
    return np.column_stack(cols)


def _set_weights(model: _ScenarioModel, st, T: int) -> np.ndarray:
    """Return the self-normalised weights of the parameter sets given the data (module docstring).

    ``st`` holds the data's person states as of day ``T`` (:class:`~simkit.evaluation.states._States`).

    Examples
    --------
    >>> m = _ScenarioModel(16, (np.zeros(16), np.zeros(16)), *[(np.zeros(16),) * 2] * 2, np.zeros(2),
    ...                    np.zeros(2), np.zeros((16, 1)), np.zeros(16), np.zeros(16))
    >>> _set_weights(m, None, 0)
    array([0.5, 0.5])
    """
    sets = model.no_spell.size
    if model.log_p_status is None or model.log_p_first is None:
        return np.full(sets, 1.0 / sets)
    referred = st.completion != ind.NOT_REFERRED
    expo = _exposure(T, st.ref[referred])
    code = np.select([st.completion == ind.ACHIEVED, st.completion == ind.FAILED], [0, 1], 2)[referred]
    with np.errstate(invalid="ignore"):
        started = np.isfinite(st.spell_start) & (st.spell_start <= T)
    first = _first_bin(np.where(started, st.spell_start - st.ref, np.nan))[referred]
    loglik = (model.log_p_status[:, expo, code].sum(axis=1)
              + model.log_p_first[:, expo, first].sum(axis=1))
    w = np.exp(loglik - loglik.max())
    return w / w.sum()


def _moment_beta(s: np.ndarray, n: np.ndarray) -> tuple[float, float] | None:
    """Beta with the mean and between-draw variance of per-draw rates ``s/n``.

    The variance of the rate behind the draws is the variance of ``s/n``
    minus its binomial part: ``var(p) = (var(s/n) − μ(1 − μ) E[1/n]) /
    (1 − E[1/n])``. ``None`` when no draw has ``n > 0``.
    """
    s, n = np.asarray(s, dtype=float), np.asarray(n, dtype=float)
    ok = n > 0
    if not ok.any():
        return None
    s, n = s[ok], n[ok]
    mu = float(s.sum() / n.sum())
    mu = min(max(mu, 1e-6), 1 - 1e-6)
    inv = float(np.mean(1.0 / n))
    var_r = float(np.var(s / n))
    var_p = (var_r - mu * (1 - mu) * inv) / (1 - inv) if inv < 1 else 0.0
    k_max = KNOWN_CONCENTRATION
    k = mu * (1 - mu) / var_p - 1 if var_p > mu * (1 - mu) / (k_max + 1) else k_max
    k = max(k, 1e-3)
    return mu * k, (1 - mu) * k


def _scenario_prior(sc, model: _ScenarioModel, indicator: str, denominator: str) -> tuple[float, float]:
    """Return the scenario's prior for a target's rate (module docstring)."""
    if indicator == "completion":
        dist = sc.parameters["completion_rate"].dist
        changed = any(ch.parameter == "completion_rate" for ch in sc.changes)
        if not changed and isinstance(dist, Beta):
            return float(dist.a), float(dist.b)
        if not changed and isinstance(dist, Fixed):
            mu = min(max(float(dist.value), 1e-6), 1 - 1e-6)
            return mu * KNOWN_CONCENTRATION, (1 - mu) * KNOWN_CONCENTRATION
        ab = _moment_beta(*model.completion)
    elif denominator == "completed":
        ab = _moment_beta(*model.edu_completed)
    else:
        ab = _moment_beta(*model.edu_referred)
    return ab if ab is not None else JEFFREYS
