"""Sensitivity analysis of the simkit model (simkit.sensitivity.model / oneway / twoway).

Kinds of test (STYLE.md):

* closed form — a tornado whose expected repayment is a binomial tail
  (scipy.stats.binom), a variance split whose parts are integrals of that
  tail over a beta prior, EVPI of "enter or not" equal to the expected loss;
* exact properties of common random numbers — outputs that cannot depend on
  a parameter do not move at all; two-way surfaces monotone where the model is
  monotone draw by draw;
* seeded statistical checks with a tolerance of 4 Monte Carlo (or bootstrap)
  standard errors — a false alarm below 1e-4 per assertion.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy import stats

import simkit
from simkit.errors import InputError
from simkit.sensitivity import (
    decision_contracts,
    decision_enter,
    discover,
    discover_events,
    scale_cohort,
    sobol_model,
    tornado,
    twoway,
    value_of_information,
    variance_by_cohort_size,
)

from .conftest import FIXED


@pytest.fixture(autouse=True)
def _v1_default(monkeypatch):
    # these tests use the 0.1 model's parameter names and targets: the embedded default is norddjurs_v1 here
    monkeypatch.setattr("simkit.io.scenario.DEFAULT_SCENARIO", "norddjurs_v1")


def _completion_only(**completion):
    """Every parameter fixed except completion_rate; only the completion target pays."""
    dist = {"dist": "beta", "mean": 0.8, "low": 0.65, "high": 0.92, "source": "test", **completion}
    sc = simkit.load_scenario(["norddjurs_v1", {
        "parameters": {**FIXED, "completion_rate": dist},
        "contract": {"targets": [
            {"id": "completion", "indicator": "completion", "threshold": 0.8, "weight": 0.5},
            {"id": "edu_work", "indicator": "edu_work", "threshold": 0.5, "weight": 0.0},
        ]},
    }])
    assert not any(c.parameter == "completion_rate" for c in sc.changes)
    return sc


# ----------------------------------------------------------------- tornado


def test_tornado_expected_repayment_is_a_binomial_tail():
    # 95 referred, threshold 80 % -> at least 76 completers; weight 0.5, premium r:
    # E[repayment | p] = 0.5 G (1 + r) P(Bin(95, p) >= 76).
    sc = _completion_only(sens_low=0.72, sens_high=0.86)
    draws = 3000
    res = tornado(sc, params=["completion_rate"], draws=draws, seed=3)
    c = sc.contract
    unit = 0.5 * c.grant * (1 + c.premium)
    j_rep, j_met = res.outputs.index("repayment_mean"), res.outputs.index("p_met:completion")
    for p, got_rep, got_met in ((0.72, res.low[j_rep, 0], res.low[j_met, 0]),
                                (0.86, res.high[j_rep, 0], res.high[j_met, 0]),
                                (0.80, res.base[j_rep], res.base[j_met])):
        q = stats.binom.sf(75, 95, p)
        se = math.sqrt(q * (1 - q) / draws)
        assert got_met == pytest.approx(q, abs=4 * se + 1e-12)
        assert got_rep == pytest.approx(unit * q, abs=4 * unit * se + 1e-6)
    assert res.param_low[0] == 0.72 and res.param_high[0] == 0.86
    assert res.central[0] == pytest.approx(0.8)


def test_tornado_parameters_that_cannot_move_repayment_do_not_move_it():
    # repayment depends on the programme arm only; with common random numbers a
    # business-as-usual or cost parameter leaves every draw's repayment unchanged
    res = tornado(params="outcome_rate_bau,programme_cost_per_participant,completion_rate",
                  draws=400, seed=5)
    j = res.outputs.index("repayment_mean")
    assert res.swing[j, 0] == 0 and res.swing[j, 1] == 0
    assert res.swing_se[j, 0] == 0
    # ... but they move the net budget, and the completion target moves with completion
    jn = res.outputs.index("net_mean")
    assert res.swing[jn, 0] < 0 and res.swing[jn, 1] < 0  # more BAU outcomes, dearer programme
    jm = res.outputs.index("p_met:completion")
    assert res.high[jm, 2] > res.low[jm, 2]
    assert res.ranked("repayment_mean")[0] == "completion_rate"
    df = res.to_frame()
    assert df.shape == (len(res.outputs) * 3, 10)
    d = res.to_dict()
    assert [p["name"] for p in d["parameters"]] == list(res.parameters)
    assert set(d["parameters"][0]["effects"]["p_neutral"]) == {
        "low", "high", "swing", "low_se", "high_se", "swing_se"}


def test_tornado_validates_before_computing():
    with pytest.raises(InputError, match="did you mean 'completion_rate'"):
        tornado(params="completion_rat", draws=10)
    with pytest.raises(InputError, match="fixed in this scenario"):
        tornado(params="education_share", draws=10)
    with pytest.raises(InputError, match="within"):
        tornado(params="completion_rate", ranges={"completion_rate": (0.5, 1.5)}, draws=10)
    # a fixed parameter can be moved when given a range
    res = tornado(params="education_share", ranges={"education_share": (0.2, 0.8)}, draws=50, seed=1)
    assert res.param_low[0] == 0.2


# ----------------------------------------------------------------- two-way


def test_twoway_surfaces_are_monotone_where_the_model_is():
    # with common random numbers each person's completion (u < p) and each
    # completer's start (u < p_oc) can only switch on as the rate rises
    res = twoway(x="completion_rate", y="outcome_rate_completers", n_grid=4, draws=300, seed=7)
    comp = res.values[res.outputs.index("p_met:completion")]
    edu = res.values[res.outputs.index("p_met:edu_work")]
    rep = res.values[res.outputs.index("repayment_mean")]
    assert np.all(np.diff(comp, axis=0) >= 0)  # along x
    assert np.all(np.diff(comp, axis=1) == 0)  # y cannot change completion
    assert np.all(np.diff(edu, axis=1) >= 0)  # along y
    assert np.all(np.diff(rep, axis=1) >= 0)
    assert comp[-1, 0] > comp[0, 0]
    g = res.grid("p_met:completion")
    assert g.shape == (4, 4) and g.columns.name == "completion_rate"
    d = res.to_dict()
    assert np.asarray(d["values"]["p_neutral"]).shape == (4, 4)


def test_twoway_needs_two_distinct_parameters():
    with pytest.raises(InputError, match="each parameter once"):
        twoway(x="completion_rate", y="completion_rate", draws=10)
    with pytest.raises(InputError, match="did you mean"):
        twoway(x="completion_rate", y="outcome_rate_completer", draws=10)


# ----------------------------------------------------------------- Sobol'


def test_sobol_model_removes_cohort_noise_from_inert_parameters():
    # repayment cannot depend on outcome_rate_bau or on the programme cost, so their
    # total-order indices of E[repayment | θ] are 0. Averaging 4 cohorts leaves noise
    # σ²/4 in every row mean, which biases Jansen's raw total index up by the noise
    # share; the corrected index must be back near 0.
    params = ["completion_rate", "outcome_rate_completers", "outcome_rate_bau",
              "programme_cost_per_participant"]
    res = sobol_model(params=params, outputs=["repayment"], n=256, inner=4, seed=11,
                      n_resamples=199)
    assert res.n_evaluations == 256 * (len(params) + 2)
    assert res.n_cohort_draws == res.n_evaluations * 4
    assert res.seconds > 0
    noise = res.noise_share[0]
    assert 0 < noise < 0.5
    se_t = res.raw.total_order_se[0]
    for k in (2, 3):
        assert res.raw.total_order[0, k] == pytest.approx(noise, abs=4 * se_t[k] + 0.01)
        assert abs(res.total_order[0, k]) <= 4 * se_t[k] / (1 - noise) + 0.01
    # completion decides the completion target: it dominates repayment
    assert res.ranked("repayment")[0] == "completion_rate"
    assert res.first_order[0, 0] > 0.5
    df = res.to_frame()
    assert {"first_order", "total_order_high", "noise_share", "total_order_raw"} <= set(df.columns)
    d = res.to_dict()
    # no wall-clock time in the stable structure (reproducible byte for byte); the method's settings
    # are in its provenance
    assert d["n_evaluations"] == res.n_evaluations and "seconds" not in d
    assert d["provenance"]["seed"] == 11 and d["provenance"]["inner"] == 4
    assert [r["parameter"] for r in d["outputs"]["repayment"]["indices"]] == params


def test_sobol_model_validates_options():
    with pytest.raises(InputError, match="power of 2"):
        sobol_model(n=100)
    with pytest.raises(InputError, match="did you mean 'net_pv'"):
        sobol_model(outputs=["net_p"], n=16)


# ----------------------------------------------------------- variance split


def test_variance_split_matches_integrals_over_the_beta_prior():
    # Y = 1{completion target met}; given p, Y ~ Bernoulli(q(p)), q(p) = P(Bin(95, p) >= 76).
    # parameter part = Var_p q(p), cohort part = E_p[q (1 - q)] (law of total variance),
    # integrated on 20,000 midpoint quantiles of the prior.
    sc = _completion_only()
    dist = sc.parameters["completion_rate"].dist
    p = dist.ppf((np.arange(20_000) + 0.5) / 20_000)
    q = stats.binom.sf(75, 95, p)
    param_exact, cohort_exact = q.var(), np.mean(q * (1 - q))
    res = variance_by_cohort_size(sc, cohort_sizes=[95], outputs=["met:completion"], outer=2000,
                                  inner=4, seed=13, n_resamples=199)
    s = res.split(95, "met:completion")
    assert s.parameter == pytest.approx(param_exact, abs=4 * s.parameter_se)
    assert s.cohort == pytest.approx(cohort_exact, abs=4 * s.cohort_se)


def test_cohort_share_of_variance_falls_with_cohort_size():
    res = variance_by_cohort_size(cohort_sizes=[48, 380], outer=600, inner=2, seed=17,
                                  n_resamples=99)
    small, big = res.split(48, "repayment"), res.split(380, "repayment")
    gap = small.cohort_share - big.cohort_share
    assert gap > 4 * math.hypot(small.parameter_share_se, big.parameter_share_se)
    df = res.to_frame()
    assert list(df.index.get_level_values("cohort_size")) == [48, 48, 380, 380]
    assert "48 people" in res.describe()


def test_scale_cohort_keeps_per_person_terms():
    sc = simkit.load_scenario()
    big = scale_cohort(sc, 190)
    assert big.agreement.cohort_size == 190
    assert sum(w.count for w in big.agreement.intake) == 190
    assert [w.start for w in big.agreement.intake] == [w.start for w in sc.agreement.intake]
    assert big.contract.grant == pytest.approx(sc.contract.grant * 2)
    assert [t.threshold for t in big.contract.targets] == [t.threshold for t in sc.contract.targets]
    assert scale_cohort(sc, sc.agreement.cohort_size) is sc


# ------------------------------------------------------ value of information


@pytest.fixture(scope="module")
def sim():
    # module scope runs before the autouse pin above: name the 0.1 model here
    return simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=4000, seed=19, curve_draws=0)


def test_evpi_of_entering_is_the_expected_loss(sim):
    # options: 0 (do not enter) and net (enter). If E[net] > 0, EVPI = E[max(0, net)] - E[net]
    # = E[max(0, -net)]: the expected size of a budget loss.
    net = sim.draws_["net_pv"]
    assert net.mean() > 0
    voi = value_of_information(sim, params=["spell_mean_weeks", "outcome_rate_bau"],
                               groups={"two": ["spell_mean_weeks", "outcome_rate_bau"]})
    assert voi.evpi.value == pytest.approx(np.maximum(0, -net).mean(), rel=1e-12)
    assert voi.evpi.best_option == "enter"
    assert np.all(voi.table.values <= voi.evpi.value + 1e-9)
    assert list(voi.to_frame().index) == ["spell_mean_weeks", "outcome_rate_bau", "two",
                                          "all parameters"]
    d = voi.to_dict()
    assert d["best_option"] == "enter" and d["rows"][2]["kind"] == "group"
    assert "worth" in voi.describe()


def test_evpi_is_zero_when_one_option_dominates_every_draw(sim):
    # a pro-rata target pays at least what a threshold target pays in every draw, so the
    # municipality's net benefit under threshold terms is never lower: nothing to learn
    nb = decision_contracts(sim, ["threshold", "pro_rata"])
    assert np.all(nb["threshold"] >= nb["pro_rata"])
    voi = value_of_information(sim, nb, params=["completion_rate"], groups={}, all_parameters=False)
    assert voi.evpi.value == 0 and voi.table.values[0] == 0
    fund = decision_enter(sim, perspective="fund")
    assert list(fund.columns) == ["do not enter", "enter"]
    # the grant is paid at the agreement start (discount factor 1)
    assert np.allclose(fund["enter"], sim.draws_["repayment_pv"] - sim.scenario.contract.grant)
    with pytest.raises(InputError):
        decision_enter(sim, perspective="state")


# ---------------------------------------------------------- scenario discovery


def test_discovery_of_no_repayment_points_at_the_completion_rate(sim):
    box = discover(sim, "no_repayment")
    assert "completion_rate" in box.restricted
    i = box.restricted.index("completion_rate")
    assert np.isfinite(box.upper[i])  # low completion rates lead to no repayment
    assert box.density > box.base_rate
    assert "no repayment" in box.describe()
    with pytest.raises(InputError, match="did you mean 'budget_loss'"):
        discover(sim, "budget_los")


def test_discovery_reports_events_that_never_occur(sim):
    never = dataclasses.replace(sim, draws_={**sim.draws_, "fund_multiple": np.full(sim.n, 2.0)})
    res = discover_events(never, ["fund_loss", "no_repayment"])
    assert res.boxes[0] is None and res.boxes[1] is not None
    assert res.sentences()[0].startswith("A loss for the fund never occurs")
    d = res.to_dict()
    assert d["events"][0]["box"] is None and d["events"][1]["box"]
    with pytest.raises(InputError):
        discover(never, "fund_loss")
