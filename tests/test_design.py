"""Contract design (simkit.design): repricing, variants, comparison, solvers.

Expected values are computed in the tests from the simulated per-draw arrays
by hand (not through simkit.design): repricing the scenario's own contract is
exact; the premium solver is checked where the expected multiple is linear in
(1 + r); the threshold and share solvers against a direct search over the
same draws.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import simkit
from simkit.contract import fund_view
from simkit.design import (
    compare_contracts,
    default_variants,
    reprice,
    solve_premium,
    solve_share,
    solve_threshold,
    variant,
)
from simkit.errors import InputError

DRAWS = 6000


@pytest.fixture(scope="module")
def res():
    # the 0.1 model: the variants and solvers below name its two threshold targets
    return simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=DRAWS, seed=23, curve_draws=0)


def _plain(contract):
    """Targets only: no cap, no floor, no return cap (repayment linear in 1 + r)."""
    return dataclasses.replace(contract, cap=None, max_loss=None, max_annual_return=None)


def test_reprice_of_the_scenarios_contract_is_exact(res):
    rp = reprice(res)
    d = res.draws_
    for got, key in ((rp.repayment_, "repayment"), (rp.repayment_pv_, "repayment_pv"),
                     (rp.net_pv_, "net_pv"), (rp.fund_multiple_, "fund_multiple")):
        assert np.array_equal(got, d[key]), key
    for t in res.scenario.contract.targets:
        assert np.array_equal(rp.met_[t.id], d[f"met:{t.id}"])
    m = rp.metrics()
    assert m["p_neutral"] == res.p_neutral[0]
    assert m["repayment_mean"] == pytest.approx(d["repayment"].mean())


def test_reprice_moves_net_by_the_change_in_repayment_and_grant(res):
    d = res.draws_
    sc = res.scenario
    pv_factor = d["repayment_pv"][d["repayment"] > 0][0] / d["repayment"][d["repayment"] > 0][0]
    rp = reprice(res, "premium=0.2")
    # premium only scales target amounts: repayment × (1.2 / (1 + r0))
    assert np.allclose(rp.repayment_, d["repayment"] * 1.2 / (1 + sc.contract.premium))
    assert np.allclose(rp.net_pv_, d["net_pv"] - (rp.repayment_ - d["repayment"]) * pv_factor)
    # a larger grant paid at the start (discount factor 1) covers more of the programme cost
    bigger = reprice(res, f"grant={sc.contract.grant + 100_000}")
    delta = bigger.net_pv_ - d["net_pv"] + (bigger.repayment_pv_ - d["repayment_pv"])
    assert np.allclose(delta, 100_000)
    fv = fund_view(bigger.contract, bigger.repayment_)
    assert np.array_equal(bigger.fund_multiple_, fv.multiple)


def test_variants_pay_at_least_the_threshold_rule_in_every_draw(res):
    base = reprice(res, "threshold").repayment_
    for spec in ("pro_rata", "graduated", "rate_card"):
        assert np.all(reprice(res, spec).repayment_ >= base - 1e-6), spec
    # rate card: price × min(count, k) with price = w G (1 + r) / k pays the target's amount
    # exactly when the count reaches k
    rc = variant(res.scenario.contract, "rate_card", cohort_size=95)
    assert [ln.max_count for ln in rc.rate_card] == [76, 48]
    c = res.scenario.contract
    assert rc.rate_card[0].price * 76 == pytest.approx(c.targets[0].weight * c.grant * (1 + c.premium))


def test_variant_specs():
    c = simkit.load_scenario("norddjurs_threshold").contract   # the variants name its two payment targets
    v = variant(c, "pro_rata,edu_work.floor=0.3,premium=0.08", cohort_size=95)
    assert [t.rule for t in v.targets] == ["pro_rata", "pro_rata"]
    assert v.targets[1].floor == 0.3 and v.premium == 0.08
    v = variant(c, "completer,completion.weight=0.3,edu_work.weight=0.7", cohort_size=95)
    assert [t.denominator for t in v.targets] == ["referred", "completed"]
    assert [t.weight for t in v.targets] == [0.3, 0.7]
    v = variant(c, "edu_work.steps=0.4:0.5/0.5:1", cohort_size=95)
    assert v.targets[1].rule == "graduated" and v.targets[1].steps == ((0.4, 0.5), (0.5, 1.0))
    assert variant(c, "pro_rata,base", cohort_size=95) == c
    with pytest.raises(InputError, match="did you mean 'pro_rata'"):
        variant(c, "prorata", cohort_size=95)
    with pytest.raises(InputError, match="did you mean 'edu_work'"):
        variant(c, "edu_wrk.threshold=0.4", cohort_size=95)
    with pytest.raises(InputError, match="only rule 'pro_rata'"):
        variant(c, "edu_work.floor=0.3", cohort_size=95)
    with pytest.raises(InputError, match="at most 1"):
        variant(c, "completion.weight=0.9", cohort_size=95)
    assert "base" in default_variants(c) and "pro_rata" in default_variants(c)


def test_comparison_frame_and_dict(res):
    cmp = compare_contracts(res, ["base", "low:premium=0", "pro_rata"])
    df = cmp.to_frame()
    assert list(df.index) == ["base", "low", "pro_rata"]
    assert df.loc["base", "p_neutral"] == res.p_neutral[0]
    assert df.loc["pro_rata", "repayment_mean"] >= df.loc["base", "repayment_mean"]
    d = cmp.to_dict()
    assert d["variants"][1]["spec"] == "premium=0"
    assert {"p_repayment", "p_neutral", "fund_multiple_mean", "p_loss", "p_met"} <= set(
        d["variants"][0]["metrics"])


def test_premium_solver_recovers_the_linear_case(res):
    # targets only, no caps: multiple = (1 + r) Σ_t w_t f_t, so E[multiple] = (1 + r) S and
    # the premium giving a multiple m is m / S - 1, with S from the simulated factors
    c = _plain(res.scenario.contract)
    S = sum(t.weight * res.draws_[f"factor:{t.id}"] for t in c.targets).mean()
    goal = 0.6
    sol = solve_premium(res, goal, contract=c)
    assert sol.value == pytest.approx(goal / S - 1, rel=1e-9)
    assert sol.achieved == pytest.approx(goal, rel=1e-9)
    # MC SE of the mean multiple, and of the premium by the delta method
    mult = (1 + sol.value) * sum(t.weight * res.draws_[f"factor:{t.id}"] for t in c.targets)
    assert sol.achieved_se == pytest.approx(mult.std(ddof=1) / math.sqrt(DRAWS), rel=1e-6)
    assert sol.value_se == pytest.approx(sol.achieved_se / S, rel=1e-3)
    with pytest.raises(InputError, match="between"):
        solve_premium(res, 0.01, contract=c)


def _p_neutral_for_edu_threshold(res, k):
    """P(net >= 0) when edu_work needs k of 95, computed by hand on the draws."""
    d = res.draws_
    c = res.scenario.contract
    unit = c.grant * (1 + c.premium)
    w = {t.id: t.weight for t in c.targets}
    rep = unit * (w["completion"] * d["met:completion"] + w["edu_work"] * (d["achieved:edu_work"] >= k))
    pos = d["repayment"] > 0
    pv = (d["repayment_pv"][pos] / d["repayment"][pos])[0]
    net = d["net_pv"] - (rep * pv - d["repayment_pv"])
    return float(np.mean(net >= 0))


def test_threshold_solver_finds_the_smallest_count_reaching_the_goal(res):
    assert np.all(res.draws_["count:edu_work:referred"] == 95)
    p = {k: _p_neutral_for_edu_threshold(res, k) for k in range(30, 96)}
    goal = 0.5 * (p[36] + p[60])
    expected_k = min(k for k in p if p[k] >= goal)
    sol = solve_threshold(res, goal, target="edu_work")
    assert sol.value == pytest.approx(expected_k / 95, abs=1e-12)
    assert sol.achieved == pytest.approx(p[expected_k], abs=1e-12)
    assert sol.achieved_se == pytest.approx(math.sqrt(sol.achieved * (1 - sol.achieved) / DRAWS),
                                            rel=1e-3)
    with pytest.raises(InputError, match="one of the target ids"):
        solve_threshold(res, goal)  # two targets: which one?
    with pytest.raises(InputError, match="did you mean 'edu_work'"):
        solve_threshold(res, goal, target="edu_wrk")


def test_share_solver_matches_the_quantile_of_critical_shares(res):
    # scaling every weight by s / W0 scales every threshold-rule repayment likewise, so draw i
    # is budget-neutral iff s <= s_i = W0 (net_i + rp_i) / rp_i (rp_i = PV of its repayment);
    # the largest s with P >= goal is the ceil(goal n)-th largest s_i (capped at 1)
    d = res.draws_
    w0 = sum(t.weight for t in res.scenario.contract.targets)
    rp = d["repayment_pv"]
    with np.errstate(divide="ignore", invalid="ignore"):
        crit = np.where(rp > 0, w0 * (d["net_pv"] + rp) / rp, np.where(d["net_pv"] >= 0, np.inf, -np.inf))
    goal = 0.97
    k = math.ceil(goal * DRAWS - 1e-9)
    expected = min(1.0, np.sort(crit)[::-1][k - 1])
    sol = solve_share(res, goal)
    assert sol.value == pytest.approx(expected, abs=1e-7)
    assert sol.achieved >= goal
    assert sum(t.weight for t in sol.contract.targets) == pytest.approx(sol.value)
    one = solve_share(res, goal, target="edu_work")
    assert one.achieved >= goal and 0 <= one.value <= 0.5 + 1e-12
    assert "budget-neutral with probability" in one.describe()
