"""Calibration targets, the sceptical/optimistic layers and the reform's spending ceiling."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simkit
from simkit.errors import ScenarioError
from simkit.model.calibrate import calibrate, modelled_targets, share_curve, targets_table
from simkit.model.engine import ceiling_excess
from simkit.model.simulate import simulate_histories
from simkit.spec import WEEKS_PER_YEAR

WPY = WEEKS_PER_YEAR   # 365.25 / 7
WPM = WPY / 12


def test_the_default_model_meets_its_stated_calibration_targets():
    """Every [[calibration]] target of the Norddjurs model (business as usual at 6, 18, 30 months and
    5 years and its weeks in education/work in the first 30 months; the programme arm at 18 and 30
    months), at the parameters' medians, is within its stated tolerance + 4 MC SE (seeded; the SE is
    over 300 independent cohorts)."""
    sc = simkit.load_scenario("norddjurs")
    ids = {t.id for t in sc.calibration}
    assert {"bau_6m", "bau_18m", "bau_30m", "bau_5y", "bau_weeks_30m"} <= ids
    values = modelled_targets(sc, seed=11, draws=300)
    for v in values:
        assert v.target.source.strip()
        assert abs(v.modelled - v.target.target) <= v.target.tolerance + 4 * v.se, (v.target.id, v.modelled)
    # the evidence itself, not the file's copy of it: IPS-DK control arm 46.5 % at 18 and 53 % at 30 months
    by = {v.target.id: v for v in values}
    assert abs(by["bau_18m"].modelled - 0.465) <= 0.03 + 4 * by["bau_18m"].se
    assert abs(by["bau_30m"].modelled - 0.53) <= 0.03 + 4 * by["bau_30m"].se
    table = targets_table(values)
    assert table["within"].all() and len(table) == len(values)


# --- a two-state toy with a closed form ---------------------------------------------------------
TOY = {
    "scenario": {"version": 2, "name": "toy"},
    "agreement": {"municipality": "Toy", "start": "2026-01-01", "end": "2026-12-31", "cohort_size": 50,
                  "intake": [{"from": "2026-01-01", "to": "2026-01-01", "count": 50}]},
    "states": {"a": {"kind": "benefit"}, "b": {"kind": "job"}},
    "arms": {"bau": {"initial": "a"}, "programme": {"initial": "a"}},
    "transitions": [
        {"from": "a", "to": "b", "hazard": {"dist": "exponential", "mean_weeks": "to_b"}},
        {"from": "b", "to": "a", "hazard": {"dist": "exponential", "mean_weeks": 40.0}},
    ],
    "parameters": {"to_b": {"dist": "lognormal", "median": 30.0, "low": 20.0, "high": 45.0, "source": "t"}},
    "indicators": [{"id": "in_b", "kind": "in_state", "states": ["b"], "followup_weeks": [26.0],
                    "count": "persons"}],
    "contract": {"grant": 1.0, "outcome_window_end": "2026-12-31", "measurement_date": "2027-06-30",
                 "schedule": [{"date": "2027-12-31", "share": 1.0}],
                 "targets": [{"id": "t", "indicator": "in_b", "threshold": 0.5, "weight": 1.0}]},
    "budget": {"discount_rate": 0.035, "horizon_years": 5},
}


def share_b(t_weeks, mean_to_b, mean_back=40.0):
    """Two-state Markov chain started in a: P(in b at t) = λ/(λ+μ) (1 − e^{−(λ+μ) t})."""
    lam, mu = 1 / mean_to_b, 1 / mean_back
    return lam / (lam + mu) * (1 - math.exp(-(lam + mu) * t_weeks))


def weeks_b(T, mean_to_b, mean_back=40.0):
    """∫_0^T P(in b at t) dt = λ/(λ+μ) (T − (1 − e^{−(λ+μ) T}) / (λ+μ))."""
    lam, mu = 1 / mean_to_b, 1 / mean_back
    k = lam + mu
    return lam / k * (T - (1 - math.exp(-k * T)) / k)


def toy(targets):
    doc = copy.deepcopy(TOY)
    doc["calibration"] = targets
    return simkit.load_scenario(doc)


def test_modelled_shares_and_weeks_match_the_closed_form():
    """At mean 30 weeks to b and 40 back: share in b at 6 and 12 months, weeks in b in the first 12 months,
    against the closed forms above (within 4 MC SE)."""
    sc = toy([{"id": "s6", "states": ["b"], "at_months": 6, "target": 0.3, "tolerance": 0.1, "source": "t"},
              {"id": "s12", "states": ["b"], "at_months": 12, "target": 0.3, "tolerance": 0.1, "source": "t"},
              {"id": "w12", "states": ["b"], "within_months": 12, "target": 10, "tolerance": 5, "source": "t"}])
    v = {x.target.id: x for x in modelled_targets(sc, seed=5, draws=400)}
    assert abs(v["s6"].modelled - share_b(6 * WPM, 30.0)) < 4 * v["s6"].se
    assert abs(v["s12"].modelled - share_b(12 * WPM, 30.0)) < 4 * v["s12"].se
    assert abs(v["w12"].modelled - weeks_b(12 * WPM, 30.0)) < 4 * v["w12"].se
    curve = share_curve(sc, ["b"], [0.0, 6.0], seed=5, draws=50)
    assert curve.loc[curve["months"] == 0.0, "share"].eq(0.0).all()   # everyone starts in a


def test_calibration_recovers_a_known_parameter():
    """Targets computed from the closed form at mean 20 weeks to b; the fit starts at the median 30 and
    must land within 2 weeks of 20 (the fitted shares then within their tolerance)."""
    targets = [{"id": f"m{m}", "states": ["b"], "at_months": m, "target": share_b(m * WPM, 20.0),
                "tolerance": 0.02, "source": "closed form"} for m in (3, 6, 12)]
    sc = toy(targets)
    fit = calibrate(sc, ["to_b"], seed=9, draws=300)
    assert fit.start["to_b"] == pytest.approx(30.0)
    assert abs(fit.values["to_b"] - 20.0) < 2.0, fit.values
    assert fit.objective < fit.objective_start
    assert all(abs(x.gap) <= x.target.tolerance for x in fit.after)
    assert list(fit.table()["target"]) == ["m3", "m6", "m12"]


def test_calibration_entries_are_validated_with_one_clear_message():
    with pytest.raises(ScenarioError) as e:
        toy([{"id": "x", "states": ["b", "nope"], "at_months": 6, "within_months": 6, "target": 1.5,
              "tolerance": 0.1, "source": "t"}])
    msg = str(e.value)
    assert "calibration[0].states[1]" in msg and "nope" in msg
    assert "exactly one of 'at_months'" in msg


# --- layers --------------------------------------------------------------------------------------
def test_sceptical_default_optimistic_are_ordered():
    """Same seed (common random numbers for the cohorts; the layers move parameters, mix, prices and
    horizon): P(budget-neutral) and the mean net effect are ordered sceptical <= default <= optimistic.
    Tolerance: 0 on the mean net effect; 2 SE of P(budget-neutral) (binomial, 1,500 draws)."""
    out = {}
    for name, layers in (("sceptical", ["norddjurs", "norddjurs_sceptical"]), ("default", ["norddjurs"]),
                         ("optimistic", ["norddjurs", "norddjurs_optimistic"])):
        b = simkit.simulate(simkit.load_scenario(layers), draws=1500, seed=2025).summary()["budget"]
        out[name] = b
    for lo, hi in (("sceptical", "default"), ("default", "optimistic")):
        assert out[lo]["net_mean"] <= out[hi]["net_mean"], (lo, hi)
        se = math.hypot(out[lo]["p_neutral_se"], out[hi]["p_neutral_se"])
        assert out[lo]["p_neutral"] <= out[hi]["p_neutral"] + 2 * se, (lo, hi)


@pytest.mark.parametrize("layer", ["norddjurs_sceptical", "norddjurs_optimistic", "reform_2027"])
def test_layers_are_override_layers_on_the_declarative_model(layer):
    doc = simkit.io.scenario.read_toml(layer)[1]
    assert "agreement" not in doc
    sc = simkit.load_scenario(["norddjurs", layer])
    assert sc.version == 2 and sc.agreement.cohort_size == 95


def test_the_version_1_reform_layer_still_works_on_the_version_1_model():
    sc = simkit.load_scenario(["norddjurs_v1", "reform_2027_v1"])
    assert "reform" in sc.name
    with pytest.raises(TypeError, match="version-2 scenario"):
        modelled_targets(sc, seed=1, draws=2)
    with pytest.raises(TypeError, match="version-2 scenario"):
        calibrate(sc, ["completion_rate"], seed=1)


# --- the ceiling (L 77 § 203 a) ------------------------------------------------------------------
def ceiling_doc(rate=10_000.0, share=0.5, changes=()):
    """10 persons referred 1 Jan 2026 (week 0). Business as usual: out of work (neet) for 26 weeks, then
    in a job for good. Programme: a 10-week course, then 26 weeks neet, then the job. Neet costs 400 a
    week of activation (no staircase) and 1,000 of benefit (not counted); the course costs 5,000 per
    referral, half of it counted under the ceiling."""
    return {
        "scenario": {"version": 2, "name": "ceiling toy"},
        "agreement": {"municipality": "Toy", "start": "2026-01-01", "end": "2026-12-31", "cohort_size": 10,
                      "intake": [{"from": "2026-01-01", "to": "2026-01-01", "count": 10}]},
        "states": {
            "neet": {"kind": "benefit", "cost": [
                {"payer": "municipality", "from": "2020-01-01", "weekly": 1000.0, "source": "t"},
                {"payer": "municipality", "from": "2020-01-01", "weekly": 400.0, "item": "activation",
                 "staircase": False, "source": "t"}]},
            "course": {"kind": "programme"},
            "job": {"kind": "job"},
        },
        "arms": {"bau": {"initial": "neet"}, "programme": {"initial": "course"}},
        "transitions": [
            {"from": "course", "to": "neet", "arms": ["programme"], "hazard": {"dist": "fixed", "weeks": 10.0}},
            {"from": "neet", "to": "job", "hazard": {"dist": "fixed", "weeks": 26.0}},
        ],
        "cost_changes": list(changes),
        "indicators": [{"id": "in_job", "kind": "in_state", "states": ["job"], "followup_weeks": [52.0],
                        "count": "persons"}],
        "contract": {"grant": 1.0, "outcome_window_end": "2026-12-31", "measurement_date": "2027-06-30",
                     "schedule": [{"date": "2027-12-31", "share": 1.0}],
                     "targets": [{"id": "t", "indicator": "in_job", "threshold": 0.5, "weight": 1.0}]},
        "budget": {"discount_rate": 0.035, "horizon_years": 3,
                   "per_referral": [{"name": "course", "amount": 5000.0, "source": "t"}],
                   "ceiling": [{"name": "L 77", "from": "2026-01-01", "per_person_year": rate,
                                "states": ["neet", "course"], "cost_items": ["activation"],
                                "per_referral": ["course"], "per_referral_share": share, "source": "t"}]},
    }


def _excess(doc):
    sc = simkit.load_scenario(doc)
    p = {"_": np.zeros(2)}
    return sc, ceiling_excess(sc, simulate_histories(sc, p, seed=1, block=0), p)


def test_ceiling_excess_equals_a_hand_calculation():
    """Year 2026, per person (a person-year is 365.25 / 7 = 52.1786 weeks):
    business as usual: spending 26 × 400 = 10,400; ceiling 26 / 52.1786 × 10,000 = 4,982.89;
      excess 5,417.11; × 10 persons = 54,171.1.
    programme: spending 26 × 400 + 0.5 × 5,000 = 12,900; ceiling (10 + 26) / 52.1786 × 10,000 = 6,899.38;
      excess 6,000.62; × 10 = 60,006.2.
    2027 and 2028: everyone in a job: no spending, no ceiling, no excess.
    The net effect falls by (60,006.2 − 54,171.1) discounted from 31 Dec 2026 (week 52) at 3.5 %."""
    sc, x = _excess(ceiling_doc())
    assert x.years == (2026, 2027, 2028)
    py = 1 / (365.25 / 7)
    bau = 10 * (26 * 400 - 26 * py * 10_000)
    prog = 10 * (26 * 400 + 0.5 * 5000 - 36 * py * 10_000)
    assert bau == pytest.approx(54_171.1, abs=0.1) and prog == pytest.approx(60_006.2, abs=0.1)
    assert x.spending[0, :, 0] == pytest.approx([104_000.0, 129_000.0])
    assert x.excess[0, :, 0] == pytest.approx([bau, prog])
    assert x.excess[:, :, 1:] == pytest.approx(0.0)
    with_ceiling = simkit.simulate(sc, draws=2, seed=1).draws_
    doc = ceiling_doc()
    doc["budget"].pop("ceiling")
    without = simkit.simulate(simkit.load_scenario(doc), draws=2, seed=1).draws_
    v = math.exp(-math.log(1.035) * 52 / (365.25 / 7))
    assert with_ceiling["net_pv"] - without["net_pv"] == pytest.approx(-(prog - bau) * v)
    assert with_ceiling["ceiling_excess_pv:programme"] == pytest.approx(prog * v)
    # in the summary's decomposition it is a cost the grant does not cover
    assert with_ceiling["uncovered_pv"] - without["uncovered_pv"] == pytest.approx((prog - bau) * v)


def test_a_dated_cost_change_halves_activation_from_its_date():
    """Activation halved from 2 Apr 2026 (week 13): business as usual spends 13 × 400 + 13 × 200 = 7,800
    per person in 2026 (the benefit line is not an activation item and is untouched)."""
    _, x = _excess(ceiling_doc(changes=[{"item": "activation", "from": "2026-04-02", "multiply": 0.5,
                                          "source": "t"}]))
    assert x.spending[0, 0, 0] == pytest.approx(10 * 7_800.0)


def test_ceiling_errors_name_the_key_and_the_choices():
    doc = ceiling_doc()
    doc["budget"]["ceiling"][0]["cost_items"] = ["activaton"]
    doc["budget"]["ceiling"][0]["per_referral"] = ["curse"]
    with pytest.raises(ScenarioError) as e:
        simkit.load_scenario(doc)
    msg = str(e.value)
    assert "budget.ceiling[0].cost_items[0]" in msg and "did you mean 'activation'" in msg
    assert "budget.ceiling[0].per_referral[0]" in msg and "did you mean 'course'" in msg


@settings(max_examples=15, deadline=None)
@given(rate=st.floats(0.0, 40_000.0), share=st.floats(0.0, 1.0))
def test_ceiling_excess_is_the_positive_part_and_falls_with_the_rate(rate, share):
    """Invariants: excess = max(0, spending − ceiling) >= 0; a higher ceiling never raises it."""
    _, x = _excess(ceiling_doc(rate=rate, share=share))
    _, y = _excess(ceiling_doc(rate=rate + 1000.0, share=share))
    assert (x.excess >= 0).all()
    assert x.excess == pytest.approx(np.maximum(x.spending - x.ceiling, 0.0))
    assert (y.excess <= x.excess + 1e-9).all()
