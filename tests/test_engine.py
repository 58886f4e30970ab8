"""Monte Carlo engine against exact answers, and reproducibility.

Seeded Monte Carlo checks use a tolerance of 4 Monte Carlo standard errors,
``4 * sqrt(p (1 - p) / draws)`` with the exact ``p`` — a false alarm
probability below 1e-4 per assertion.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

import simkit
from simkit.engine import BLOCK

from .conftest import FIXED, fixed_scenario

DRAWS = 20_000


def _within_4se(p_mc: float, p_exact: float, n: int) -> None:
    se = math.sqrt(p_exact * (1 - p_exact) / n)
    assert abs(p_mc - p_exact) <= 4 * se, (p_mc, p_exact, se)


def test_completion_target_equals_exact_binomial_tail():
    # R4-style: 95 referred, fixed p = 0.78, target 80 % -> need 76 completers
    sc = fixed_scenario(completion_rate=0.78)
    res = simkit.simulate(sc, DRAWS, seed=11)
    exact = stats.binom.sf(76 - 1, 95, 0.78)  # P(X >= 76)
    _within_4se(res.p("met:completion")[0], exact, DRAWS)
    assert res.summary()["targets"]["completion"]["rate_mean"] == pytest.approx(0.78, abs=4 * 0.0425 / math.sqrt(DRAWS))


def test_completion_target_with_beta_prior_equals_beta_binomial_tail():
    sc = simkit.load_scenario(["norddjurs_v1", {"parameters": {
        **FIXED,
        "completion_rate": {"dist": "beta", "a": 30.0, "b": 8.0, "source": "test"}}}])
    res = simkit.simulate(sc, DRAWS, seed=12)
    exact = stats.betabinom.sf(76 - 1, 95, 30.0, 8.0)
    _within_4se(res.p("met:completion")[0], exact, DRAWS)


def test_edu_work_target_equals_binomial_tail_of_mixed_rate():
    # every start is immediate and every spell lasts: the per-person probability of a
    # qualifying spell is p_c p_oc + (1 - p_c) p_od = 0.8*0.6 + 0.2*0.2 = 0.52
    sc = fixed_scenario()
    res = simkit.simulate(sc, DRAWS, seed=13)
    exact = stats.binom.sf(48 - 1, 95, 0.52)  # "at least half" of 95 -> 48
    _within_4se(res.p("met:edu_work")[0], exact, DRAWS)


def test_spell_length_rule_matches_exponential_survival():
    # spells exponential with mean 52 weeks in whole weeks: S = 1 + floor(52 E);
    # S >= 26  <=>  floor(52 E) >= 25  <=>  E >= 25/52, so P = exp(-25/52)
    sc = fixed_scenario(completion_rate=1.0, outcome_rate_completers=1.0, spell_mean_weeks=52)
    res = simkit.simulate(sc, DRAWS, seed=14)
    rate = res.summary()["targets"]["edu_work"]["rate_mean"]
    p = math.exp(-25 / 52)
    se = math.sqrt(p * (1 - p) / (95 * DRAWS))
    assert abs(rate - p) <= 4 * se


def _summary_json(res) -> str:
    return json.dumps(res.summary(), sort_keys=True)


def test_same_seed_same_json_and_chunking_does_not_matter(default_scenario):
    a = simkit.simulate(default_scenario, 5 * BLOCK + 17, seed=5)
    b = simkit.simulate(default_scenario, 5 * BLOCK + 17, seed=5, chunk_size=BLOCK)
    c = simkit.simulate(default_scenario, 5 * BLOCK + 17, seed=5, chunk_size=3 * BLOCK)
    assert _summary_json(a) == _summary_json(b) == _summary_json(c)
    for k in a.draws_:
        np.testing.assert_array_equal(a.draws_[k], b.draws_[k])
    np.testing.assert_array_equal(a.curve_, c.curve_)
    d = simkit.simulate(default_scenario, 5 * BLOCK + 17, seed=6)
    assert _summary_json(a) != _summary_json(d)


def test_workers_and_backend_do_not_matter(default_scenario):
    a = simkit.simulate(default_scenario, 3 * BLOCK, seed=8, chunk_size=BLOCK)
    b = simkit.simulate(default_scenario, 3 * BLOCK, seed=8, chunk_size=BLOCK, workers=2, backend="processes")
    assert _summary_json(a) == _summary_json(b)


def test_first_draws_do_not_depend_on_total(default_scenario):
    a = simkit.simulate(default_scenario, 1500, seed=9)
    b = simkit.simulate(default_scenario, 4000, seed=9)
    for k in a.draws_:
        np.testing.assert_array_equal(a.draws_[k], b.draws_[k][:1500])


def test_fixed_parameters_keep_common_random_numbers(v1_scenario):
    # the 0.1 model's parameter names (completion_rate, outcome_rate_bau)
    lo = simkit.simulate(v1_scenario, 3000, seed=3, fixed={"completion_rate": 0.7})
    hi = simkit.simulate(v1_scenario, 3000, seed=3, fixed={"completion_rate": 0.9})
    # same uniforms: raising the completion probability never lowers a draw's completions
    assert np.all(hi.draws_["achieved:completion"] >= lo.draws_["achieved:completion"])
    np.testing.assert_array_equal(lo.draws_["param:outcome_rate_bau"], hi.draws_["param:outcome_rate_bau"])


def test_nested_draws_share_parameters(v1_scenario):
    # the 0.1 model's parameter names (completion_rate, outcome_rate_bau)
    res = simkit.simulate(v1_scenario, seed=4, nested=(50, 20))
    p = res.draws_["param:completion_rate"].reshape(50, 20)
    assert np.all(p == p[:, :1])
    assert len(np.unique(p[:, 0])) == 50
    assert res.provenance.nested == (50, 20)


def test_bad_fixed_parameter_names_closest(v1_scenario):
    # the 0.1 model's parameter names (completion_rate, outcome_rate_bau)
    with pytest.raises(ValueError, match="completion_rate"):
        simkit.simulate(v1_scenario, 100, seed=1, fixed={"completion_rat": 0.5})


def test_provenance_on_result(default_scenario):
    res = simkit.simulate(default_scenario, 1000, seed=2025)
    s = res.summary()
    assert s["simkit_version"] == simkit.__version__
    assert s["scenario"]["sha256"] == default_scenario.sha256 and len(default_scenario.sha256) == 64
    assert s["seed"] == 2025 and s["draws"] == 1000


def test_seed_none_is_recorded_and_reproducible(default_scenario):
    a = simkit.simulate(default_scenario, 500)
    b = simkit.simulate(default_scenario, 500, seed=a.provenance.seed)
    assert _summary_json(a) == _summary_json(b)


def test_dask_backend_gives_identical_results(default_scenario):
    a = simkit.simulate(default_scenario, 2 * BLOCK, seed=21, chunk_size=BLOCK)
    b = simkit.simulate(default_scenario, 2 * BLOCK, seed=21, chunk_size=BLOCK, workers=2, backend="dask")
    assert _summary_json(a) == _summary_json(b)
