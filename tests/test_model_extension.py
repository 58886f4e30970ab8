"""Extension points, proven from outside the package (in the spirit of pyhf's custom modifiers).

Each test adds a toy entry to a registry — a hazard kind, an indicator kind,
a payment rule, a state kind — uses it from a scenario written here, and
checks the result against a formula or hand calculation. Nothing else in
simkit changes.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from scipy import stats

import simkit
from simkit.contract import PAYMENT_RULES, register_rule
from simkit.errors import ScenarioError
from simkit.model.hazards import HAZARD_KINDS, HazardKind, register_hazard
from simkit.model.indicators import (
    ACHIEVED,
    FAILED,
    INDICATOR_KINDS,
    IndicatorKind,
    Status,
    register_indicator,
)
from simkit.model.pricing import prices, spell_costs
from simkit.model.spec import STATE_KINDS, StateKind, register_state_kind
from tests.test_model import BASE, block

WPY = 365.25 / 7


@pytest.fixture
def linear_hazard():
    """h(x) = k x: H(x) = k x² / 2, H⁻¹(y) = sqrt(2 y / k) (a Rayleigh sojourn)."""
    register_hazard(HazardKind("linear_toy", ("k",),
                               cumulative=lambda x, a: 0.5 * np.asarray(a["k"]) * np.asarray(x) ** 2,
                               inverse=lambda y, a: np.sqrt(2 * np.asarray(y) / np.asarray(a["k"]))))
    yield
    HAZARD_KINDS.pop("linear_toy")


def absorbing_doc(hazard):
    doc = copy.deepcopy(BASE)
    doc["states"]["b"] = {"kind": "pension", "staircase": False}
    doc["transitions"] = [{"from": "a", "to": "b", "hazard": hazard}]
    return doc


def test_a_toy_hazard_kind(linear_hazard):
    sc = simkit.load_scenario(absorbing_doc({"dist": "linear_toy", "k": 0.001}))
    h = block(sc)
    weeks = np.array([10.0, 40.0, 70.0])
    sim = h.occupancy(sc.model.state_ids(["a"]), weeks, arm="bau")
    exact = np.exp(-0.001 * weeks**2 / 2)                     # survival of a Rayleigh sojourn
    se = np.sqrt(exact * (1 - exact) / (h.draws * h.persons))
    assert np.all(np.abs(sim - exact) < 4 * se)


def test_a_toy_hazard_kind_is_refused_once_removed(linear_hazard):
    HAZARD_KINDS.pop("linear_toy")
    try:
        with pytest.raises(ScenarioError, match=r"transitions\[0\]\.hazard\.dist"):
            simkit.load_scenario(absorbing_doc({"dist": "linear_toy", "k": 0.001}))
    finally:
        register_hazard(HazardKind("linear_toy", ("k",), lambda x, a: x, lambda y, a: y))


@pytest.fixture
def ever_in():
    """Toy indicator: ever in one of ``states`` by the as-of date."""
    from simkit.spec import _schema as S

    def evaluate(s, sp, ctx):
        ids = ctx.model.state_ids(s["states"])
        hit = np.isin(sp.state, ids) & (sp.start <= ctx.as_of)
        ach = np.zeros(sp.cells, dtype=bool)
        ach[sp.cell[hit]] = True
        return Status(np.where(ach, ACHIEVED, FAILED).astype(np.int8))

    register_indicator(IndicatorKind("ever_in_toy", {"states": S.ListOf(S.Str(), required=True)}, evaluate))
    yield
    INDICATOR_KINDS.pop("ever_in_toy")


def test_a_toy_indicator_kind_has_the_exact_binomial_tail(ever_in):
    """All 100 referred on day 0; exponential exit with mean 50 weeks; measured on day 182: a move
    on any day up to and including day 182 counts (indicators work in whole days), i.e. before week
    26 + 1/7: p = 1 − e^{−(26 + 1/7)/50}; P(X >= 45 | 100, p) is an exact binomial tail."""
    doc = absorbing_doc({"dist": "exponential", "mean_weeks": 50.0})
    doc["indicators"] = [{"id": "ever_b", "kind": "ever_in_toy", "states": ["b"]}]
    doc["contract"]["targets"] = [{"id": "t", "indicator": "ever_b", "threshold": 0.45, "weight": 1.0}]
    doc["contract"]["measurement_date"] = "2026-07-02"   # day 182 = week 26 after the 1 Jan referral
    doc["contract"]["outcome_window_end"] = "2026-07-02"
    res = simkit.simulate(simkit.load_scenario(doc), draws=20_000, seed=4, curve_draws=0)
    p = 1 - np.exp(-(26 + 1 / 7) / 50)
    exact = stats.binom(100, p).sf(44)
    got, se = res.p("met:t")
    assert abs(got - exact) < 4 * se


@pytest.fixture
def linear_rule():
    """Toy payment rule: factor = min(rate / threshold, 1); met when the rate reaches the threshold."""
    def factor(t, a, n):
        rate = a / np.maximum(n, 1)
        return np.minimum(rate / t.threshold, 1.0), rate >= t.threshold

    register_rule("linear_toy", factor)
    yield
    PAYMENT_RULES.pop("linear_toy")


def test_a_toy_payment_rule(linear_rule):
    """40 of 100 against a 50 % target: factor 0.8, repayment 0.8 × 1,000,000 × 1.05 = 840,000."""
    from simkit.contract import Contract, Target, repayment

    c = Contract(1_000_000, premium=0.05, targets=(Target("t", "x", 0.5, 1.0, rule="linear_toy"),))
    rep = repayment(c, {"x": {"achieved": np.array([40, 50, 60]), "referred": np.array([100, 100, 100])}})
    assert rep.total.tolist() == pytest.approx([840_000.0, 1_050_000.0, 1_050_000.0])
    assert rep.met["t"].tolist() == [False, True, True]
    # and from a scenario file
    doc = copy.deepcopy(BASE)
    doc["contract"]["targets"][0]["rule"] = "linear_toy"
    sc = simkit.load_scenario(doc)
    assert sc.contract.targets[0].rule == "linear_toy"


def test_an_unknown_rule_is_refused_with_a_suggestion():
    doc = copy.deepcopy(BASE)
    doc["contract"]["targets"][0]["rule"] = "pro_ratta"
    with pytest.raises(ScenarioError, match="did you mean 'pro_rata'"):
        simkit.load_scenario(doc)


@pytest.fixture
def leave_kind():
    register_state_kind(StateKind("leave_toy", self_support=True, meaning="paid leave (toy)"))
    yield
    STATE_KINDS.pop("leave_toy")


def test_a_toy_state_kind_counts_as_self_support(leave_kind):
    """benefit 10 w -> leave 60 w -> benefit: 60 weeks of self-support restart the staircase (§ 6)."""
    doc = copy.deepcopy(BASE)
    doc["agreement"]["cohort_size"] = 1
    doc["agreement"]["intake"] = [{"from": "2026-01-01", "to": "2026-01-01", "count": 1}]
    doc["states"] = {"b1": {"kind": "benefit"}, "lv": {"kind": "leave_toy"}, "b2": {"kind": "benefit"}}
    doc["arms"] = {"bau": {"initial": "b1"}, "programme": {"initial": "b1"}}
    doc["transitions"] = [{"from": "b1", "to": "lv", "hazard": {"dist": "fixed", "weeks": 10.0}},
                          {"from": "lv", "to": "b2", "hazard": {"dist": "fixed", "weeks": 60.0}}]
    doc["indicators"] = [{"id": "x", "kind": "in_state", "states": ["lv"], "followup_weeks": [20.0]}]
    doc["contract"]["targets"] = [{"id": "t", "indicator": "x", "threshold": 0.5, "weight": 1.0}]
    doc["budget"]["prior_benefit_weeks"] = 30.0
    sc = simkit.load_scenario(doc)
    h = block(sc, n=1)
    sel = h.arm_mask("bau")
    assert [sc.model.states[s].id for s in h.state[sel]] == ["b1", "lv", "b2"]
    assert h.stair0[sel].tolist() == [30.0, 40.0, 0.0]


def test_three_state_model_priced_by_hand():
    """a (10 weeks, 1,000/week, municipality) -> b (20 weeks, 500/week to the region) -> c (absorbing,
    free), all referred at week 0, discounted continuously at 3.5 % a year (δ = ln 1.035 / 52.18 per week):
    municipality 1000 (1 − e^{−10δ})/δ; region 500 (e^{−10δ} − e^{−30δ})/δ."""
    doc = copy.deepcopy(BASE)
    doc["states"] = {
        "a": {"kind": "other", "cost": [{"payer": "municipality", "from": "2020-01-01", "weekly": 1000.0,
                                         "source": "t"}]},
        "b": {"kind": "other", "cost": [{"payer": "region", "from": "2020-01-01", "weekly": 500.0, "source": "t"}]},
        "c": {"kind": "pension", "staircase": False},
    }
    doc["transitions"] = [{"from": "a", "to": "b", "hazard": {"dist": "fixed", "weeks": 10.0}},
                          {"from": "b", "to": "c", "hazard": {"dist": "fixed", "weeks": 20.0}}]
    doc["indicators"] = [{"id": "x", "kind": "in_state", "states": ["c"], "followup_weeks": [40.0]}]
    doc["contract"]["targets"] = [{"id": "t", "indicator": "x", "threshold": 0.5, "weight": 1.0}]
    sc = simkit.load_scenario(doc)
    h = block(sc, n=2)
    sel = h.arm_mask("bau") & (h.key == 0)
    cost = spell_costs(prices(sc), h.state[sel], np.zeros(sel.sum(), dtype=np.int16), h.start[sel],
                       h.end[sel], h.stair0[sel], {})
    d = np.log(1.035) / WPY
    assert cost["municipality"].sum() == pytest.approx(1000 * -np.expm1(-10 * d) / d, rel=1e-12)
    assert cost["region"].sum() == pytest.approx(500 * (np.exp(-10 * d) - np.exp(-30 * d)) / d, rel=1e-12)
    assert cost["state"].sum() == 0.0
