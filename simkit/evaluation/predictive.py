"""The predictive model of the evaluation.

The groups of pending persons, P(target met at the measurement date) and the Monte Carlo
repayment due (see the docstring of :mod:`simkit.evaluation`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from simkit import indicators as ind
from simkit import stats
from simkit.contract import max_repayment, repayment
from simkit.evaluation.constants import JEFFREYS
from simkit.evaluation.results import PredictiveGroup, RepaymentDue
from simkit.evaluation.scenario_model import _moment_beta, _scenario_prior, _ScenarioModel
from simkit.evaluation.states import _States
from simkit.rng import stream_generator


@dataclass(frozen=True)
class _Groups:
    completion: PredictiveGroup       # in course + not yet referred (data)
    running: PredictiveGroup          # spell running (data)
    no_spell: PredictiveGroup         # no qualifying spell yet, window open (scenario)
    future_edu: PredictiveGroup       # not yet referred, education/work (scenario)
    rates: Mapping[str, np.ndarray]   # per parameter set, for the scenario groups
    weights: np.ndarray | None = None  # per parameter set, given the data (None: equal weights)


def _data_group(name: str, size: int, prior_ab: tuple[float, float], s: int, n: int
                ) -> PredictiveGroup:
    a, b = float(prior_ab[0] + s), float(prior_ab[1] + n - s)
    mean = a / (a + b)
    sd = math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
    return PredictiveGroup(name, int(size), "data", mean, sd, a, b, int(s), int(n))


def _model_group(name: str, size: int, rates: np.ndarray, weights: np.ndarray | None = None
                 ) -> tuple[PredictiveGroup, np.ndarray]:
    """Build a scenario-based group.

    Parameter sets that never put anyone in the situation are
    given the mean of the others (all of them: a Jeffreys-like 1/2). ``mean`` and
    ``sd`` are over the sets weighted by ``weights`` (default equal).

    Examples
    --------
    >>> g, r = _model_group("g", 3, np.array([0.2, np.nan, 0.6]), np.array([0.5, 0.25, 0.25]))
    >>> r.tolist(), round(g.mean, 3)
    ([0.2, 0.4, 0.6], 0.35)
    """
    ok = np.isfinite(rates)
    fill = float(rates[ok].mean()) if ok.any() else 0.5
    r = np.where(ok, rates, fill)
    w = np.full(r.size, 1.0 / r.size) if weights is None else weights
    mean = float(w @ r)
    sd = float(np.sqrt(max(float(w @ (r - mean) ** 2), 0.0)))
    return PredictiveGroup(name, int(size), "scenario", mean, sd, parameter_sets=int(r.size)), r


def _groups(sc, st: _States, model: _ScenarioModel, T: int, W: int, prior: str, future: int,
            weights: np.ndarray | None = None) -> _Groups:
    Q = sc.indicators.min_spell_days
    A, F, P = ind.ACHIEVED, ind.FAILED, ind.PENDING
    # completion: reference = referred >= one course length ago, status known
    course_days = 7 * sc.programme.course_weeks
    ref_set = (st.ref <= T - course_days) & ((st.completion == A) | (st.completion == F))
    in_course = int((st.completion == P).sum())
    prior_c = JEFFREYS if prior == "jeffreys" else _scenario_prior(sc, model, "completion",
                                                                      "referred")
    g_c = _data_group("in course or not yet referred", in_course + future, prior_c,
                      int((ref_set & (st.completion == A)).sum()), int(ref_set.sum()))

    # running spells: P(reaching Q days | lasted at least the shortest running spell so far)
    n_running = int(st.running.sum())
    d_min = float(np.nanmin(st.lasted[st.running])) if n_running else 1.0
    with np.errstate(invalid="ignore"):
        follow = (st.spell_start <= W) & (st.spell_start + Q - 1 <= T) & (st.lasted >= d_min)
        s_ref = int((follow & (st.lasted >= Q)).sum())
    if prior == "jeffreys":
        prior_s = JEFFREYS
    else:
        days = model.spell_days
        trials = ((days > 0) & (days >= d_min)).sum(1)
        succ = ((days > 0) & (days >= Q)).sum(1)
        prior_s = _moment_beta(succ, trials) or JEFFREYS
    g_s = _data_group("spell running", n_running, prior_s, s_ref, int(follow.sum()))

    n_none = int(((st.edu == P) & ~st.running).sum())
    g_n, r_n = _model_group("no qualifying spell yet", n_none, model.no_spell, weights)
    g_f, r_f = _model_group("not yet referred", future, model.future, weights)
    return _Groups(g_c, g_s, g_n, g_f, {g_n.name: r_n, g_f.name: r_f}, weights)


def _p_final_referred(achieved: int, needed: int, groups: tuple[PredictiveGroup, ...],
                      rates: Mapping[str, np.ndarray], weights: np.ndarray | None = None) -> float:
    """Compute P(final count >= needed).

    Data groups are beta-binomial, scenario groups a mixture over
    parameter sets (binomial given the set, the sets weighted by ``weights``, default
    equal), all independent given the parameter set.
    """
    data = [(g.size, g.a, g.b) for g in groups if g.basis == "data"]
    model = [g for g in groups if g.basis == "scenario"]
    if not model:
        return float(stats.prob_final_at_least(achieved, data, needed))
    base = stats.predictive_count_pmf(data)
    short = max(needed - achieved, 0)
    pmfs = [sps.binom.pmf(np.arange(g.size + 1)[None, :], g.size, rates[g.name][:, None])
            for g in model]
    tails = np.empty(pmfs[0].shape[0])
    for o in range(tails.size):
        pmf = base
        for p in pmfs:
            pmf = np.convolve(pmf, p[o])
        tails[o] = pmf[short:].sum() if short < pmf.size else 0.0
    w = np.full(tails.size, 1.0 / tails.size) if weights is None else weights
    return min(1.0, float(w @ tails))


def _counts_dict(comp_a, edu_a, referred, ac, c):
    return {"completion": {"achieved": comp_a, "referred": referred},
            "edu_work": {"achieved": edu_a, "referred": referred, "achieved_completed": ac,
                         "completed": c}}


def _repayment_due(sc, targets, st, referred, cells, groups: _Groups, future, n_final, seed,
                   draws) -> tuple[RepaymentDue, dict[str, float]]:
    contract = sc.contract
    A, P = ind.ACHIEVED, ind.PENDING
    comp_a = int((referred & (st.completion == A)).sum())
    comp_p = int((referred & (st.completion == P)).sum())
    edu_a = int((referred & (st.edu == A)).sum())
    edu_p = int((referred & (st.edu == P)).sum())
    completer = [t for t in targets if t.denominator_kind == "completed"]
    wc = completer[0].worst_case if completer else (0, 0)
    bc = completer[0].best_case if completer else (0, 0)
    worst = _counts_dict(comp_a, edu_a, n_final, *wc)
    best = _counts_dict(comp_a + comp_p + future, edu_a + edu_p + future, n_final, *bc)
    lo = float(repayment(contract, worst).total)
    hi = float(repayment(contract, best).total)
    top = float(max_repayment(contract))
    pending_any = comp_p + edu_p + future > 0
    p_mc = {t.id: math.nan for t in targets}
    if not pending_any:
        return RepaymentDue(lo, hi, lo, 0.0, True, top, contract.currency, 0), p_mc

    rng = stream_generator(seed, "repayment_due")
    K = draws
    p_c = rng.beta(groups.completion.a, groups.completion.b, K)  # type: ignore[arg-type]  # the completion group is a data group (a and b set)
    r_n, r_f = groups.rates[groups.no_spell.name], groups.rates[groups.future_edu.name]
    # one scenario parameter set per draw, picked with the sets' weights (inverse CDF)
    if groups.weights is None:
        o = rng.integers(0, r_n.size, K)
    else:
        cdf = np.cumsum(groups.weights)
        o = np.minimum(np.searchsorted(cdf, rng.random(K) * cdf[-1], side="right"), r_n.size - 1)
    p_e = {"S": rng.beta(groups.running.a, groups.running.b, K), "N": r_n[o]}  # type: ignore[arg-type]  # the running group is a data group (a and b set)
    p_f = r_f[o]

    # per cell of the cross-tab: completions X, education/work successes Z, both Y
    completed = np.zeros(K, dtype=np.int64)
    edu_final = np.zeros(K, dtype=np.int64)
    both = np.zeros(K, dtype=np.int64)
    for (c, e), m in cells.items():
        if m == 0:
            continue
        X = rng.binomial(m, p_c) if c == "P" else np.full(K, m if c == "A" else 0)
        Z = rng.binomial(m, p_e[e]) if e in "SN" else np.full(K, m if e == "A" else 0)
        if c == "P" and e in "SN":
            # independent given the rates: the overlap is hypergeometric
            Y = rng.hypergeometric(Z, m - Z, X)
        else:
            Y = np.minimum(X, Z)   # one of the two is 0 or m
        completed += X
        edu_final += Z
        both += Y
    if future:
        X = rng.binomial(future, p_c)
        Z = rng.binomial(future, p_f)
        completed += X
        edu_final += Z
        both += rng.hypergeometric(Z, future - Z, X)
    rep = repayment(contract, _counts_dict(completed, edu_final, n_final, both, completed))
    total = np.asarray(rep.total, dtype=float)
    for t in targets:
        p_mc[t.id] = float(np.mean(rep.met[t.id]))
    exp = float(total.mean())
    se = float(total.std(ddof=1) / math.sqrt(K)) if K > 1 else math.nan
    # the expectation of a bounded quantity: keep it inside the exact bounds
    exp = min(max(exp, lo), hi)
    return RepaymentDue(lo, hi, exp, se, False, top, contract.currency, K), p_mc
