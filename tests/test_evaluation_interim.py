"""The interim forecast learns from the data (simkit.model.interim).

(a) Synthetic interim data from a parameter set far from the scenario's: the course's mean time to
    dropout is 45 weeks (prior median 110, log-sd 0.307: 2.9 standard deviations below); the data-
    weighted mean of that parameter moves towards 45 as the as-of date moves later.
(b) Calibration: over cohorts drawn from the prior, predicted P(met by the end) agrees, bin by bin,
    with the observed share of cohorts meeting the target.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import simkit
from simkit.contract import repayment
from simkit.engine import _param_rows
from simkit.model import interim
from simkit.model.engine import arm_spells
from simkit.model.indicators import count
from simkit.model.simulate import simulate_histories

TRUE_DROPOUT = 45.0


@pytest.fixture(scope="module")
def sc():
    # the forecast of payment targets (the default's rate card has none)
    return simkit.load_scenario(["norddjurs", "norddjurs_threshold"])


def _cohorts(sc, params, seed):
    h = simulate_histories(sc, params, seed=seed, block=0)
    return h, arm_spells(h, "programme", sc.model)


def _summaries(sc, ref, h, sp, day):
    wk = sc.week_of(day)
    referred = sp.referral <= wk
    s = interim._summary(sc, sp, wk, ref.indicators, interim._first_states(sc, ref.indicators), referred)
    return s, np.flatnonzero(referred) // h.persons


def test_weighted_parameter_moves_towards_the_truth_as_the_interim_date_moves_later(sc):
    n = 4
    truth = _param_rows(sc, 5, 0, n)
    truth["dropout_mean_weeks"][:] = TRUE_DROPOUT
    h, sp = _cohorts(sc, truth, 5)
    prior_mean = None
    means, ses = [], []
    for day in (dt.date(2026, 3, 1), dt.date(2026, 7, 1), dt.date(2026, 11, 1)):
        ref = interim.reference(sc, day, seed=7, draws=256, replicates=8)
        v = ref.params["dropout_mean_weeks"]
        prior_mean = v.mean()
        s, cell = _summaries(sc, ref, h, sp, day)
        m, var = [], []
        for c in range(n):
            sel = cell == c
            f = interim._forecast(sc, ref, interim._subset(s, sel), sc.agreement.cohort_size - int(sel.sum()),
                                  samples=8, rng=np.random.default_rng(c))
            mu = f.weights @ v
            m.append(mu)
            var.append((f.weights @ (v - mu) ** 2) / f.ess)
        means.append(float(np.mean(m)))
        # SE of the mean over the cohorts: their spread, and the weights' own Monte Carlo error
        ses.append(float(np.sqrt(np.var(m, ddof=1) / n + np.mean(var) / n)))
    assert means[0] < prior_mean
    for a, b, sa, sb in zip(means, means[1:], ses, ses[1:], strict=False):
        assert b < a + 2 * np.hypot(sa, sb), (means, ses)     # monotone within 2 SE
    assert means[-1] < means[0] - 2 * np.hypot(ses[0], ses[-1]), (means, ses)
    assert abs(means[-1] - TRUE_DROPOUT) < abs(prior_mean - TRUE_DROPOUT) / 2


@pytest.mark.slow
def test_p_met_is_calibrated_over_cohorts_drawn_from_the_prior(sc):
    day = dt.date(2026, 11, 1)
    ref = interim.reference(sc, day, seed=7, draws=256, replicates=8)
    N = 200
    h, sp = _cohorts(sc, _param_rows(sc, 99, 0, N), 99)
    s, cell = _summaries(sc, ref, h, sp, day)
    st = interim._statuses(sc, sp, sc.week_of(sc.terms.measurement_date), True, ref.indicators)
    met = repayment(sc.contract, count(st, N, h.persons, sc.model.completion_indicator)).met
    pred = {k: np.empty(N) for k in met}
    for c in range(N):
        sel = cell == c
        f = interim._forecast(sc, ref, interim._subset(s, sel), sc.agreement.cohort_size - int(sel.sum()),
                              samples=16, rng=np.random.default_rng(c))
        for k in pred:
            pred[k][c] = f.targets[k]["p_met"]
    chi2, bins_used = 0.0, 0
    for k, p in pred.items():
        obs = np.asarray(met[k], dtype=float)
        b = np.minimum((p * 5).astype(int), 4)
        for j in range(5):
            m = b == j
            if m.sum() < 10:
                continue
            se = np.sqrt((p[m] * (1 - p[m])).sum()) / m.sum()   # binomial SE of the bin's observed share
            z = (obs[m].mean() - p[m].mean()) / max(se, 1e-3)
            assert abs(z) < 3.5, (k, j, m.sum(), p[m].mean(), obs[m].mean())
            chi2 += z * z
            bins_used += 1
    # chi-square over the bins: below the 99.9 % point for the number of bins (at most 10: 29.6)
    assert chi2 < {n: q for n, q in zip(range(1, 11), (10.8, 13.8, 16.3, 18.5, 20.5, 22.5, 24.3, 26.1, 27.9,
                                                        29.6), strict=True)}[bins_used]
