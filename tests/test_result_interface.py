"""The one result interface: every result object is a ``Result`` with one provenance format.

For a small instance of each result class: ``to_dict`` holds a ``"provenance"`` with the common
keys, ``to_json`` is strict JSON, ``to_frame`` a DataFrame, ``to_html`` a table, and no key of
``to_dict`` is a wall-clock time. The list of required classes is written out here, so a class
that stops being a ``Result`` fails the test; so does a new ``Result`` subclass without a small
instance below.
"""

import importlib
import json
import pkgutil

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import simkit
from simkit import contract, design, markov
from simkit import sensitivity as S
from simkit.model.calibrate import calibrate
from simkit.results.base import Provenance, Result

COMMON = {"simkit_version", "scenario", "seed", "draws", "nested", "fixed_parameters"}
WALL = {"seconds", "elapsed", "wall"}

REQUIRED = {
    "SimulationResult", "TornadoResult", "TwoWayResult", "SobolResult", "ModelSobolResult",
    "CohortVarianceResult", "VarianceSplit", "VoiResult", "EvppiTable", "ValueOfInformation",
    "PrimResult", "ScenarioDiscovery", "ContractComparison", "Solution", "Repriced", "Repayment",
    "FundView", "MarkovResult", "Fit", "EvaluationResult", "SpellEvaluation", "InterimForecast", "PortfolioResult",
}


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _all_result_classes():
    for m in pkgutil.walk_packages(simkit.__path__, "simkit."):
        if not m.name.endswith("__main__"):  # running it would run the command line
            importlib.import_module(m.name)
    return {c.__name__: c for c in _subclasses(Result) if c.__module__.startswith("simkit.")}


@pytest.fixture(scope="module")
def sim():
    # the 0.1 model: its contract has threshold targets the solvers can move
    return simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=400, seed=5, curve_draws=0)


@pytest.fixture(scope="module")
def instances(sim):
    """Name -> a small instance (cheap: few draws, or built directly)."""
    sc = sim.scenario
    two = ["completion_rate", "outcome_rate_bau"]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 400))
    nb = pd.DataFrame({"no": np.zeros(400), "yes": x[0] + x[1]})
    params = {"a": x[0], "b": x[1]}
    c = sc.contract
    counts = design.counts_from_draws(sim.draws_)
    rep = contract.repayment(c, counts)
    fit_sc = simkit.load_scenario("norddjurs")
    return {
        "SimulationResult": sim,
        "TornadoResult": S.tornado(sc, params=two, draws=50, seed=1),
        "TwoWayResult": S.twoway(sc, *two, n_grid=2, draws=20, seed=1),
        "SobolResult": S.sobol(lambda z: z[0] + 2 * z[1], [stats.norm(), stats.norm()], 32, rng=3,
                               n_resamples=5),
        "ModelSobolResult": S.sobol_model(sc, params=two, outputs=["repayment"], n=8, inner=2, seed=2,
                                          n_resamples=5),
        "CohortVarianceResult": S.variance_by_cohort_size(sc, outputs=["repayment"], outer=10, inner=2,
                                                          cohort_sizes=[20], seed=2, n_resamples=5),
        "VarianceSplit": S.split_variance(rng.normal(size=(20, 3)), rng=4, n_resamples=5),
        "VoiResult": S.evpi(nb),
        "EvppiTable": S.evppi_table(nb, params),
        "ValueOfInformation": S.value_of_information(sim, S.decision_enter(sim), params=two),
        "PrimResult": S.prim(np.column_stack([x[0], x[1]]), x[0] > 1, names=["a", "b"]),
        "ScenarioDiscovery": S.discover_events(sim, ["no_repayment"], params=two),
        "ContractComparison": design.compare_contracts(sim, ["base", "pro_rata"]),
        "Solution": design.solve_premium(sim, 0.5),
        "Repriced": design.reprice(sim),
        "Repayment": rep,
        "FundView": contract.fund_view(c, rep.total),
        "MarkovResult": markov.run([[0.9, 0.1], [0.0, 1.0]], [1.0, 0.0], 3, state_values={"ly": [1.0, 0.0]}),
        "Fit": calibrate(fit_sc, ["spell_mean_weeks"], seed=1, draws=10, max_evaluations=4),
        **_evaluation_instances(),
    }


def _evaluation_instances():
    """An evaluation on each path, an interim forecast and a small portfolio (small draws)."""
    import datetime as dt

    from simkit.blocks import _param_rows
    from simkit.evaluation import evaluate
    from simkit.model import interim
    from simkit.model.observed import (
        evaluate_spells,
        histories_to_frame,
        spells_from_frame,
        synthesize_spells,
    )
    from simkit.model.simulate import simulate_histories
    from simkit.portfolio import Agreement, Factor, Portfolio, simulate_portfolio

    v1 = simkit.load_scenario("norddjurs_v1")
    sund = simkit.load_scenario("sundinvest_2021")
    h = simulate_histories(sund, _param_rows(sund, 1, 0, 1), seed=1, block=0)
    fit_sc = simkit.load_scenario("norddjurs")
    day = dt.date(2026, 11, 1)
    sp, _ = spells_from_frame(fit_sc, synthesize_spells(fit_sc, seed=41, as_of=day), as_of=day)
    port = Portfolio("test", (Agreement("a", sund, {"lm": ("hr_return", 1.0)}),), (Factor("lm", 0.1),))
    return {
        "EvaluationResult": evaluate("data/examples/norddjurs_final.csv", v1, scenario_draws=64,
                                     predictive_draws=64),
        "SpellEvaluation": evaluate_spells(sund, histories_to_frame(sund, h)),
        "InterimForecast": interim.forecast(fit_sc, sp, day, seed=1, draws=16, replicates=2),
        "PortfolioResult": simulate_portfolio(port, 16, seed=1),
    }


def _keys(obj):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield k
            yield from _keys(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _keys(v)


def test_every_result_class_is_a_result_and_has_an_instance_here(instances):
    found = _all_result_classes()
    assert REQUIRED <= set(found), f"not Result subclasses: {sorted(REQUIRED - set(found))}"
    # a new Result subclass needs a small instance in _instances (examples in doctests don't count)
    toy = {n for n, c in found.items() if c.__module__ == "simkit.results.base"}
    assert set(found) - toy <= set(instances), sorted(set(found) - toy - set(instances))


def test_every_result_offers_the_views_with_one_provenance_format(instances):
    for name, res in instances.items():
        assert isinstance(res, Result), name
        assert isinstance(res.provenance, Provenance), name
        d = res.to_dict()
        prov = d["provenance"]
        assert COMMON <= set(prov), (name, sorted(COMMON - set(prov)))
        assert set(prov["scenario"]) == {"name", "sha256", "sources"}, name
        assert not WALL & set(_keys(d)), (name, sorted(WALL & set(_keys(d))))
        text = res.to_json()
        assert "NaN" not in text and "Infinity" not in text, name
        json.loads(text)
        assert isinstance(res.to_frame(), pd.DataFrame), name
        assert "<table" in res.to_html(), name
        assert isinstance(str(res), str) and str(res), name


def test_provenance_of_a_model_result_names_its_scenario_and_seed(sim):
    p = design.reprice(sim).to_dict()["provenance"]
    assert p["scenario"]["sha256"] == sim.scenario.sha256
    assert (p["seed"], p["draws"]) == (5, 400)
    assert sim.to_dict()["provenance"] == sim.provenance.as_dict()


def test_sobol_is_reproducible_byte_for_byte():
    def f(z):
        return z[0] * z[1] + z[2]

    dists = [stats.uniform(), stats.uniform(), stats.norm()]
    a = S.sobol(f, dists, 64, rng=9, n_resamples=20).to_json()
    b = S.sobol(f, dists, 64, rng=9, n_resamples=20).to_json()
    assert a == b
    assert json.loads(a)["provenance"]["seed"] == 9


def test_model_sobol_is_reproducible_byte_for_byte():
    sc = simkit.load_scenario("norddjurs_v1")
    kw = {"params": ["completion_rate", "outcome_rate_bau"], "outputs": ["repayment"], "n": 8,
          "inner": 2, "seed": 4, "n_resamples": 5}
    assert S.sobol_model(sc, **kw).to_json() == S.sobol_model(sc, **kw).to_json()
