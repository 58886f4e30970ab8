"""Budget: closed-form hand calculations and a brute-force weekly loop."""

from __future__ import annotations

import numpy as np
import pytest

import simkit
from simkit.budget import arm_costs, budget_tables

WPY = 365.25 / 7  # weeks per year


def _tiny(**extra):
    """Two persons referred in weeks 0 and 4, no randomness at all."""
    doc = {
        "scenario": {"name": "closed form"},
        "agreement": {
            "municipality": "Testby", "start": "2025-11-01", "end": "2027-10-31", "cohort_size": 2,
            "intake": [{"from": "2025-11-01", "to": "2025-11-01", "count": 1},
                       {"from": "2025-11-29", "to": "2025-11-29", "count": 1}],
        },
        "programme": {"phases": [{"name": "course", "weeks": 10}], "search_starts_after": "course"},
        "parameters": {
            "completion_rate": 1, "outcome_rate_completers": 1, "outcome_rate_dropouts": 0,
            "outcome_rate_bau": 0, "weeks_to_outcome": 0, "weeks_to_outcome_bau": 0,
            "spell_mean_weeks": 1e9, "spell_mean_weeks_bau": 1e9, "education_share": 0,
            "dp_rate_bau": 0, "dp_relative_risk": 1, "benefit_level_factor": 1,
            "programme_cost_per_participant": 1000, "bau_cost_per_person": 0,
        },
        "contract": {
            "grant": 2000, "premium": 0.1,
            "schedule": [{"date": "2026-11-01", "share": 1.0}],
            "targets": [{"id": "completion", "indicator": "completion", "threshold": 0.5, "weight": 1.0}],
        },
        "budget": {
            "discount_rate": 0.035, "horizon_years": 3, "prior_benefit_weeks": 60,
            "reimbursement": [{"from_week": 1, "rate": 0.8}, {"from_week": 5, "rate": 0.4},
                              {"from_week": 27, "rate": 0.3}, {"from_week": 53, "rate": 0.2}],
            "rates": {s: [{"from": "2025-01-01", "monthly": m}] for s, m in
                      (("benefit", 10_000), ("disability_pension", 20_000), ("education", 0), ("job", 0))},
        },
    }
    for k, v in extra.items():
        doc[k] = {**doc[k], **v}
    return simkit.load_scenario(doc)


def test_net_budget_equals_hand_calculation():
    sc = _tiny()
    res = simkit.simulate(sc, 50, seed=1)
    # Hand calculation. Weekly discount factor v = 1.035^(-1/52.18); horizon H = round(3 * 52.18) = 157.
    v = 1.035 ** (-1 / WPY)
    H = round(3 * WPY)
    assert H == 157
    weekly = 10_000 * 12 / WPY          # benefit per week
    share = 1 - 0.20                    # >= 53 weeks on benefit: state reimburses 20 %
    # Without the programme both stay on benefit to the horizon; with it each starts a job
    # in week r + 10 (r = 0 and r = 4) and keeps it: saving = sum_{t=s}^{H-1} v^t * weekly * share
    savings = sum(weekly * share * (v**s - v**H) / (1 - v) for s in (10, 14))
    programme = 1000 * (v**0 + v**4)     # paid at referral
    grant = 2000 * v**0                  # paid at the start
    repayment = 2000 * 1.10              # both complete: target met, 10 % premium
    rep_week = 365 // 7                  # 2026-11-01 is day 365 -> week 52
    net = savings - (programme - grant) - repayment * v**rep_week
    np.testing.assert_allclose(res.draws_["repayment"], repayment, rtol=1e-12)
    np.testing.assert_allclose(res.draws_["savings_pv"], savings, rtol=1e-10)
    np.testing.assert_allclose(res.draws_["net_pv"], net, rtol=1e-10)
    # cumulative curve: the last year equals the total
    np.testing.assert_allclose(res.curve_[:, -1], net, rtol=1e-10)
    assert res.summary()["budget"]["p_neutral"] == float(net >= 0)


def test_staircase_table_matches_weekly_loop():
    sc = _tiny()
    T = budget_tables(sc)
    v = 1.035 ** (-1 / WPY)
    weekly = 10_000 * 12 / WPY

    def brute(a, d0, stop):
        total = 0.0
        for t in range(a, stop):
            k = d0 + 1 + (t - a)  # benefit week number
            rate = 0.8 if k <= 4 else 0.4 if k <= 26 else 0.3 if k <= 52 else 0.2
            total += v**t * weekly * (1 - rate)
        return total

    for a, d0 in [(0, 0), (3, 2), (10, 25), (20, 51), (40, 52), (100, 0), (156, 10)]:
        assert T.stair["benefit"][-1, a, min(d0, T.d_cap)] == pytest.approx(brute(a, d0, T.horizon), rel=1e-12)
        # truncated at the end of year 1
        y1 = T.year_ends[0]
        assert T.stair["benefit"][0, a, min(d0, T.d_cap)] == pytest.approx(brute(a, d0, min(y1, T.horizon)),
                                                                             rel=1e-12, abs=1e-9)


def test_spell_then_return_to_benefit_restarts_staircase():
    sc = _tiny()
    T = budget_tables(sc)
    v = 1.035 ** (-1 / WPY)
    weekly = 10_000 * 12 / WPY
    r = np.array([0])
    # one person starts a job in week 5, keeps it 60 weeks (>= 52: staircase restarts), returns
    cost = arm_costs(T, r, np.array([[True]]), np.array([[5]]), np.array([[60]]), np.array([[False]]),
                     np.array([[False]]), np.array([[999]]), 1.0)
    full = T.stair["benefit"][-1, 0, min(60, T.d_cap)]  # the common term left out by arm_costs

    def share(k):
        return 1 - (0.8 if k <= 4 else 0.4 if k <= 26 else 0.3 if k <= 52 else 0.2)

    expected = sum(v**t * weekly * share(61 + t) for t in range(0, 5))
    expected += sum(v**t * weekly * share(t - 65 + 1) for t in range(65, T.horizon))
    assert cost[0, 0] + full == pytest.approx(expected, rel=1e-12)


def test_disability_pension_follows_staircase_after_award():
    sc = _tiny()
    T = budget_tables(sc)
    v = 1.035 ** (-1 / WPY)
    cost = arm_costs(T, np.array([0]), np.array([[False]]), np.array([[10**9]]), np.array([[1]]),
                     np.array([[False]]), np.array([[True]]), np.array([[30]]), 1.0)
    full = T.stair["benefit"][-1, 0, T.d_cap]
    ben, dp = 10_000 * 12 / WPY, 20_000 * 12 / WPY
    expected = sum(v**t * ben * 0.8 for t in range(30)) + sum(v**t * dp * 0.8 for t in range(30, T.horizon))
    assert cost[0, 0] + full == pytest.approx(expected, rel=1e-12)
