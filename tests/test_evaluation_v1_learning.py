"""The v1 one-row evaluation learns from the interim data (simkit.evaluation.scenario_model).

Synthetic interim data from a parameter set far from the scenario's: the share of completers who
start a qualifying spell is 0.30 (prior mean 0.60, 5 % point 0.43 in the scenario file). The
data-weighted mean of that parameter over the scenario's parameter sets must move towards 0.30 as
the as-of date moves later (monotone within 2 SE), and P(education/work met) with the data must
lie below the prior-only figure (the target is missed by these cohorts: the truth is 0).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import simkit
from simkit import synth
from simkit.engine import _param_rows
from simkit.evaluation import evaluate
from simkit.evaluation.scenario_model import _scenario_model, _set_weights
from simkit.evaluation.states import _person_states

TRUE_RATE = 0.30
SEED, DRAWS, COHORTS = 11, 2048, 6


@pytest.fixture(scope="module")
def sc():
    return simkit.load_scenario("norddjurs_v1")


@pytest.fixture
def far_synth(monkeypatch):
    """Synthesise cohorts with ``outcome_rate_completers`` fixed at the far value."""
    orig = synth.simulate_arrays
    monkeypatch.setattr(synth, "simulate_arrays",
                        lambda s, d, **kw: orig(s, d, fixed={"outcome_rate_completers": TRUE_RATE}, **kw))
    return synth.synthesize


def test_weights_move_the_parameter_and_p_met_towards_the_truth_as_the_interim_date_moves_later(sc, far_synth):
    # the parameter sets of the evaluation's scenario model: draw rows 0..sets-1 of its seed
    v = _param_rows(sc, SEED, 0, DRAWS // 8)["outcome_rate_completers"]
    prior_mean = float(v.mean())
    means, ses = [], []
    for day in ("2026-10-31", "2027-03-31", "2027-07-31"):
        T = sc.day_of(dt.date.fromisoformat(day))
        model = _scenario_model(sc, T, SEED, DRAWS)
        m, var = [], []
        for c in range(COHORTS):
            w = _set_weights(model, _person_states(far_synth(sc, seed=100 + c, as_of=day), sc, T), T)
            mu = float(w @ v)
            m.append(mu)
            var.append(float(w @ (v - mu) ** 2) * float(np.sum(w ** 2)))   # / ESS: the weights' own MC error
        means.append(float(np.mean(m)))
        ses.append(float(np.sqrt(np.var(m, ddof=1) / COHORTS + np.mean(var) / COHORTS)))
    assert means[0] < prior_mean
    for a, b, sa, sb in zip(means, means[1:], ses, ses[1:], strict=False):
        assert b < a + 2 * np.hypot(sa, sb), (means, ses)     # monotone within 2 SE
    assert means[-1] < means[0] - 2 * np.hypot(ses[0], ses[-1]), (means, ses)
    assert abs(means[-1] - TRUE_RATE) < abs(prior_mean - TRUE_RATE) / 2

    # P(met by the end): the truth is 0 (missed); with the data it is below the prior-only figure
    day = "2026-10-31"
    p, p0 = [], []
    for c in range(COHORTS):
        df = far_synth(sc, seed=100 + c, as_of=day)
        t = evaluate(df, sc, as_of=day, seed=SEED, scenario_draws=DRAWS, predictive_draws=500).target("edu_work")
        assert t.status == "undecided"
        p.append(t.p_met_final)
        p0.append(t.p_met_final_prior)
        assert evaluate(far_synth(sc, seed=100 + c), sc, seed=SEED, scenario_draws=DRAWS,
                        predictive_draws=10).target("edu_work").status == "not_met"
    assert np.mean(p) < np.mean(p0), (p, p0)


def test_the_v1_result_reports_the_prior_only_figure_and_the_ess(sc):
    day = "2026-10-31"
    df = synth.synthesize(sc, seed=3, as_of=day)
    res = evaluate(df, sc, as_of=day, seed=SEED, scenario_draws=DRAWS, predictive_draws=500)
    assert res.parameter_sets == DRAWS // 8
    assert 1 <= res.effective_sample_size <= res.parameter_sets
    d = res.to_dict()
    assert d["effective_sample_size"] == res.effective_sample_size
    assert all("p_met_final_prior" in t for t in d["targets"].values())
    assert "prior only" in res.text()


@pytest.mark.slow
def test_p_met_is_calibrated_over_cohorts_drawn_from_the_prior(sc):
    # 48 synthetic cohorts, each from its own prior draw (synthesize: draw 0 of its seed), evaluated at
    # an interim date and again at the measurement date. Binned by predicted P(met) (both targets pooled:
    # two predictions of one cohort are not independent, so the binomial SE is a little optimistic), the
    # share met must be within 3.5 SE of the mean prediction in every bin with >= 10 predictions, and
    # overall.
    day, n = "2027-03-31", 48
    pred, met = [], []
    for s in range(n):
        r = evaluate(synth.synthesize(sc, seed=1000 + s, as_of=day), sc, as_of=day, seed=SEED,
                     scenario_draws=DRAWS, predictive_draws=10)
        f = evaluate(synth.synthesize(sc, seed=1000 + s), sc, seed=SEED, scenario_draws=DRAWS, predictive_draws=10)
        for t in r.targets:
            pred.append(t.p_met_final)
            met.append(f.target(t.id).status == "met")
    p, obs = np.asarray(pred), np.asarray(met, dtype=float)
    b = np.minimum((p * 5).astype(int), 4)
    used = 0
    for sel in [b == j for j in range(5)] + [np.ones(p.size, dtype=bool)]:
        if sel.sum() < 10:
            continue
        se = np.sqrt((p[sel] * (1 - p[sel])).sum()) / sel.sum()
        z = (obs[sel].mean() - p[sel].mean()) / max(se, 1e-3)
        assert abs(z) < 3.5, (int(sel.sum()), p[sel].mean(), obs[sel].mean())
        used += 1
    assert used >= 3
