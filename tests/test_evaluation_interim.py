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
from simkit.model.indicators import ACHIEVED, FAILED, PENDING, count
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


def test_observed_spell_lengths_move_the_spell_length_parameter_the_right_way(sc):
    """Short spells (the prior's low, 210 weeks) against long ones (its high, 530) and the median.

    The same cohorts (one seed: the same other parameters and random numbers) with only the mean
    spell length changed; the data-weighted mean of log ``spell_mean_weeks`` must rise with the
    truth, monotone within 2 SE (paired differences over the cohorts), short < long by 2 SE.
    """
    day = dt.date(2027, 10, 1)   # late: about a year of spells seen
    ref = interim.reference(sc, day, seed=7, draws=256, replicates=8)
    v = np.log(ref.params["spell_mean_weeks"])
    n = 8
    post = []
    for truth in (210.0, 340.0, 530.0):
        p = _param_rows(sc, 5, 0, n)
        p["spell_mean_weeks"][:] = truth
        h, sp = _cohorts(sc, p, 5)
        s, cell = _summaries(sc, ref, h, sp, day)
        post.append(np.array([interim._weights(ref, interim._subset(s, cell == c)) @ v for c in range(n)]))
    for a, b in ((0, 1), (1, 2)):
        d = post[b] - post[a]
        assert d.mean() > -2 * d.std(ddof=1) / np.sqrt(n), (a, b, d)
    d = post[2] - post[0]
    assert d.mean() > 2 * d.std(ddof=1) / np.sqrt(n), d


def test_hours_rule_and_exclusions_enter_the_summary(sc):
    """A 20-hour job is not a counted start (the indicator's 37-hour rule); an exclusion is timed."""
    day = dt.date(2026, 11, 1)
    wk = sc.week_of(day)
    ids = ("completion", "edu_work")
    states = {x.id: x.index for x in sc.model.states}
    # person 0: course, then a 20-hour job from week 30; person 1: course, full-time job from week 30;
    # person 2: course, moved away at week 40 (referral week 0 for all)
    sp = interim.PersonSpells(
        3, np.zeros(3), np.array([0, 0, 1, 1, 2, 2]),
        np.array([states["course"], states["job"]] * 2 + [states["course"], states["moved_away"]], dtype=np.int16),
        np.array([0.0, 30.0, 0.0, 30.0, 0.0, 40.0]), np.array([26.0, np.inf, 26.0, np.inf, 26.0, np.inf]),
        np.full(6, -1, dtype=np.int16), hours=np.array([np.nan, 20.0, np.nan, 37.0, np.nan, np.nan]))
    s = interim._summary(sc, sp, wk, ids, interim._first_states(sc, ids), np.ones(3, dtype=bool))
    assert 52 < wk < 53                              # 2026-11-01 is 365 days after the start: 52.14 weeks
    assert list(s.first) == [interim.N_FIRST, 2, interim.N_FIRST]   # 30 weeks: the third 13-week bin
    # person 1's job started at week 30 and runs: 22.1 weeks so far, "running" in the 13-26 bin (index 1)
    assert list(s.dur) == [0, 1 + interim.N_DUR + 1, 0]
    assert list(s.excl) == [0, 0, 1 + 1]             # 40 weeks after referral: the 26-52 bin


def _hand_reference(sc, ids, donor, future):
    """A reference of two parameter sets with equal likelihoods and the given donors (status, claims)."""
    E = interim.N_EXPOSURE
    zeros = (np.zeros((2, E, 4)), np.zeros((2, E, interim.N_FIRST + 1)),
             np.zeros((2, interim.N_AVAIL, 1 + 2 * interim.N_DUR)), np.zeros((2, E * 4, interim.N_EXCL)))

    def donors(st, cl):
        return interim._Donors(np.array([0, 1]), np.zeros(2, dtype=np.int64), np.zeros(2, dtype=np.int64),
                               np.array([st, st], dtype=np.int8), np.array([cl, cl], dtype=np.int32))

    return interim.InterimReference(dt.date(2026, 11, 1), 2, 1, ids, {}, *zeros, donors(*donor), donors(*future))


def test_rate_card_lines_with_follow_up_claims_are_forecast_as_a_hand_calculation_says():
    """Deterministic case on the default's rate card (19,000 / 42,500 / 24,500 DKK per outcome).

    Person A is decided: completed, a six-month spell, 2 follow-up claims. Person B completed
    (decided) but the spell is pending and 1 claim is in with a follow-up to come; the donor of
    every set ends as (not completed, spell achieved, 2 claims): B keeps the completion and takes
    the spell and 2 claims. One person still to be referred ends as the future donor: completed,
    no spell, 1 claim. Counts: completion 3, spell 2, claims 2 + 2 + 1 = 5; repayment
    3 × 19,000 + 2 × 42,500 + 5 × 24,500 = 264,500 DKK (far below the cap of 5,985,000).
    """
    sc = simkit.load_scenario("norddjurs")
    ids = ("completion", "edu_work", "edu_work_followup")
    assert interim._indicators(sc) == (ids, ())
    A, F, P = ACHIEVED, FAILED, PENDING
    s = interim._Summary(
        exposure=np.zeros(2, dtype=np.int64), status=np.array([1, 1]), first=np.zeros(2, dtype=np.int64),
        key=np.zeros(2, dtype=np.int64), open=np.array([False, True]), dur=np.zeros(2, dtype=np.int64),
        avail=np.zeros(2, dtype=np.int64), excl=np.zeros(2, dtype=np.int64),
        decided=np.array([[True, True, True], [True, False, False]]),
        now_status=np.array([[A, A, A], [A, P, A]], dtype=np.int8),
        now_claims=np.array([[0, 0, 2], [0, 0, 1]], dtype=np.int32))
    ref = _hand_reference(sc, ids, donor=([F, A, A], [0, 0, 2]), future=([A, F, A], [0, 0, 1]))
    f = interim._forecast(sc, ref, s, 1, samples=4, rng=np.random.default_rng(0))
    assert f.ess == pytest.approx(2.0)
    assert {k: v["expected_count"] for k, v in f.lines.items()} == {"completion": 3, "edu_work": 2,
                                                                     "edu_work_followup": 5}
    assert f.lines["edu_work_followup"]["expected_payment"] == pytest.approx(5 * 24_500)
    assert f.expected_repayment == pytest.approx(3 * 19_000 + 2 * 42_500 + 5 * 24_500)
    assert f.repayment_range == pytest.approx((264_500, 264_500))
    assert f.expected_repayment_prior == pytest.approx(264_500)


def test_the_rate_card_default_reports_an_expected_repayment_at_an_interim_date():
    from simkit.model.observed import spells_from_frame, synthesize_spells

    sc = simkit.load_scenario("norddjurs")
    day = dt.date(2026, 11, 1)
    sp, _ = spells_from_frame(sc, synthesize_spells(sc, seed=41, as_of=day), as_of=day)
    f = interim.forecast(sc, sp, day, seed=1, draws=16, replicates=2)
    assert f.unsupported == () and f.expected_repayment is not None
    lo, hi = f.repayment_range
    assert 0 <= lo <= f.expected_repayment <= hi <= 5_985_000     # the cap
    # the follow-up claims: at most two per person of the cohort of 95
    assert 0 < f.lines["edu_work_followup"]["expected_count"] <= 2 * 95
    assert f.to_dict()["provenance"]["seed"] == 1
