"""Portfolio of agreements with shared factors: independence, shared shocks, contributions, backends.

Independent sources: the variance of a sum of independent terms is the sum of
their variances (the cross terms' sampling SD is written out below); Euler's
allocation sums to the total by construction of the covariance; the run of an
agreement on its own.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import simkit
from simkit import backends
from simkit.errors import InputError
from simkit.portfolio import (
    PORTFOLIO_EXAMPLE,
    Agreement,
    Factor,
    Portfolio,
    agreement_seed,
    load_portfolio,
    simulate_portfolio,
)
from simkit.sensitivity import scale_cohort

DRAWS = 2048


@pytest.fixture(scope="module")
def agreements():
    """Three small agreements: two version-2 (Sundinvest) and the default scenario (either version)."""
    sund = simkit.load_scenario("sundinvest_2021")
    default = simkit.load_scenario()
    hr_default = "hr_starts" if "hr_starts" in default.parameters else "outcome_rate_completers"
    return (Agreement("s20", scale_cohort(sund, 20), {"lm": ("hr_return", 1.0)}),
            Agreement("s30", scale_cohort(sund, 30), {"lm": ("hr_return", 1.0)}),
            Agreement("d", default, {"lm": (hr_default, 1.0)}))


def _run(agreements, sd, **kw):
    return simulate_portfolio(Portfolio("test", agreements, (Factor("lm", sd),)), DRAWS, seed=5, **kw)


@pytest.fixture(scope="module")
def independent(agreements):
    return _run(agreements, 0.0)


@pytest.fixture(scope="module")
def shared(agreements):
    return _run(agreements, 0.6)


def test_factor_sd_0_gives_each_agreements_stand_alone_run(agreements, independent):
    for k, ag in enumerate(agreements):
        alone = simkit.simulate(ag.scenario, DRAWS, seed=agreement_seed(5, k), curve_draws=0)
        np.testing.assert_array_equal(independent.repayment[:, k], alone.draws_["repayment"])


def test_independent_agreements_add_means_and_variances(independent):
    r = independent.repayment
    s = independent.summary()["total_repayment"]
    assert s["mean"] == pytest.approx(r.mean(axis=0).sum(), rel=1e-12)
    var_i = r.var(axis=0, ddof=1)
    # var(total) - sum var_i = sum over ordered pairs i != j of cov_ij; under independence each
    # sample cov_ij has SD sd_i sd_j / sqrt(n), so the sum has SD 2 sqrt(sum_{i<j} var_i var_j / n)
    pairs = sum(var_i[i] * var_i[j] for i in range(len(var_i)) for j in range(i + 1, len(var_i)))
    se = 2 * math.sqrt(pairs / DRAWS)
    assert abs(s["sd"] ** 2 - var_i.sum()) <= 4 * se


def test_a_shared_factor_raises_the_variance(independent, shared):
    r = shared.repayment
    var_i = r.var(axis=0, ddof=1)
    pairs = sum(var_i[i] * var_i[j] for i in range(len(var_i)) for j in range(i + 1, len(var_i)))
    se = 2 * math.sqrt(pairs / DRAWS)
    assert shared.summary()["total_repayment"]["sd"] ** 2 > var_i.sum() + 4 * se
    assert shared.summary()["total_repayment"]["sd"] > independent.summary()["total_repayment"]["sd"]


@pytest.mark.parametrize("which", ["independent", "shared"])
def test_risk_contributions_add_up_to_the_total(which, request):
    res = request.getfixturevalue(which)
    s = res.summary()
    assert sum(a["variance_share"] for a in s["agreements"]) == pytest.approx(1.0, rel=1e-9)
    assert sum(a["cvar_contribution"] for a in s["agreements"]) == pytest.approx(s["expected_shortfall_05"],
                                                                                 rel=1e-9)
    # expected shortfall by hand: the mean loss over the worst ceil(5 % of n) draws
    loss = res.grants.sum() - res.total
    assert s["expected_shortfall_05"] == pytest.approx(np.sort(loss)[::-1][: math.ceil(0.05 * DRAWS)].mean())
    assert s["p_loss"] == float(np.mean(res.total < res.grants.sum()))


def test_capital_recycling_ends_with_all_grants_out_and_all_repayments_in(shared):
    last = shared.summary()["capital"][-1]
    assert last["cash_out"] == pytest.approx(shared.grants.sum())
    assert last["cash_in_mean"] == pytest.approx(shared.total.mean())


@pytest.mark.parametrize("backend", ["processes", "distributed"])
def test_portfolio_is_bit_identical_on_two_workers(agreements, shared, backend):
    pytest.importorskip("distributed")
    res = _run(agreements, 0.6, workers=2, backend=backend, chunk_size=1024,
               scheduler=backends._local_client(2) if backend == "distributed" else None)
    assert json.dumps(res.summary(), sort_keys=True) == json.dumps(shared.summary(), sort_keys=True)


def test_example_portfolio_loads_twelve_synthetic_agreements():
    p = load_portfolio(PORTFOLIO_EXAMPLE)
    assert len(p.agreements) == 12 and "synthetic" in p.name.lower()
    assert {a.scenario.name for a in p.agreements} >= {simkit.load_scenario("sundinvest_2021").name}


@pytest.mark.parametrize("text, where", [
    ('[[agreements]]\nid = "a"\nscenario = "sundinvest_2021"\nscales = { nope = "hr_return" }\n', "scales.nope"),
    ('[[factors]]\nname = "lm"\nsd = -1\n[[agreements]]\nid = "a"\nscenario = "sundinvest_2021"\n', "sd"),
    ('[[factors]]\nname = "lm"\n[[agreements]]\nid = "a"\nscenario = "sundinvest_2021"\n'
     'scales = { lm = "hr_retrn" }\n', "scales.lm"),
    ('[[agreements]]\nid = "a"\nscenario = "sundinvest_2021"\ncohort_size = 0\n', "cohort_size"),
])
def test_bad_portfolio_files_name_the_key(tmp_path, text, where):
    f = tmp_path / "p.toml"
    f.write_text(text)
    with pytest.raises(InputError, match=where.replace(".", r"\.")):
        load_portfolio(f)
