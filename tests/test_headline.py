"""The headline of a run: the budget-neutrality condition (hand calculation) and the range."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import simkit
from simkit import headline as H
from simkit.io import scenario as io_scenario

#: ten persons referred on day 0; six reach work after one week in both arms, four only with the programme;
#: 100 a week while out of work, no staircase, no discounting, 7,000 per six-month job spell
TINY = """\
[scenario]
version = 2
name = "tiny"
[agreement]
municipality = "M"
fund = "F"
start = 2026-01-01
end = 2026-12-31
cohort_size = 10
source = "assumption"
[[agreement.intake]]
from = 2026-01-01
to = 2026-01-01
count = 10
source = "assumption"
[[subgroups]]
id = "always"
count = 6
source = "assumption"
[[subgroups]]
id = "helped"
count = 4
source = "assumption"
[states.neet]
kind = "benefit"
staircase = false
source = "assumption"
[[states.neet.cost]]
payer = "municipality"
from = 2020-01-01
weekly = 100
source = "assumption"
[states.job]
kind = "job"
source = "assumption"
[arms.bau]
initial = "neet"
[arms.programme]
initial = "neet"
[[transitions]]
from = "neet"
to = "job"
subgroups = ["always"]
hazard = { dist = "fixed", weeks = 1 }
source = "assumption"
[[transitions]]
from = "neet"
to = "job"
subgroups = ["helped"]
arms = ["programme"]
hazard = { dist = "fixed", weeks = 1 }
source = "assumption"
[[indicators]]
id = "job6"
kind = "spell"
states = ["job"]
min_weeks = 26
source = "assumption"
[contract]
grant = 50000
premium = 0.0
outcome_window_end = 2026-12-31
measurement_date = 2027-06-30
schedule = [{ date = 2027-06-30, share = 1.0 }]
[[contract.rate_card]]
id = "job6"
indicator = "job6"
price = 7000
source = "assumption"
[budget]
discount_rate = 0.0
horizon_years = 2
[[budget.per_referral]]
name = "programme cost"
arms = ["programme"]
amount = 1000
source = "assumption"
"""


@pytest.fixture(scope="module")
def tiny_result(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny") / "tiny.toml"
    path.write_text(TINY, "utf-8")
    return simkit.simulate(simkit.load_scenario(path), 1024, seed=1)


def test_neutrality_condition_matches_a_hand_calculation(tiny_result):
    n = H.neutrality(tiny_result)
    horizon_weeks = 2 * 365.25 / 7                 # horizon_years x 365.25 days
    savings = 4 * 100 * (horizon_weeks - 1)        # the four helped leave benefit after 1 week, not never
    repayment = 10 * 7000                          # every one of the ten has the six-month spell
    uncovered = 10 * 1000 - 50_000                 # programme cost minus the grant (both undiscounted)
    assert n["indicator"] == "job6"
    assert (n["outcomes"], n["outcomes_bau"], n["additional_outcomes"]) == (10.0, 6.0, 4.0)
    assert n["savings"] == pytest.approx(savings, rel=1e-12)
    assert n["repayment"] == pytest.approx(repayment, rel=1e-12)
    assert n["uncovered_costs"] == pytest.approx(uncovered, rel=1e-12)
    assert n["net"] == pytest.approx(savings - uncovered - repayment, rel=1e-12)
    assert n["repayment_per_additional"] == pytest.approx(70_000 / 4)
    assert n["savings_per_additional"] == pytest.approx(savings / 4)
    assert n["met_on_average"] and n["p_neutral"] == 1.0
    assert "DKK 17,500" in n["condition"] and f"DKK {savings / 4:,.0f}" in n["condition"]
    assert "10.0 − 6.0 = 4.0" in n["condition"]


def test_every_run_output_states_the_condition(tiny_result):
    s = tiny_result.summary()
    assert s["budget"]["neutrality"]["condition"].startswith("Budget-neutral (present value) when repayment")
    assert "Per additional outcome" in tiny_result.text()
    assert "Pr. ekstra resultat" in tiny_result.to_html("da")
    assert "Per additional outcome" in tiny_result.to_html("en")


def test_no_additional_outcome_is_said_plainly():
    n = {"indicator": "x", "measurement_date": "2029-05-31", "outcomes": 5.0, "outcomes_bau": 5.0,
         "additional_outcomes": 0.0, "repayment": 1e5, "savings": 2e4, "avoided_activation": 0.0,
         "uncovered_costs": 0.0, "net": -8e4, "repayment_per_additional": None, "met_on_average": False,
         "p_neutral": 0.2}
    text = H.neutrality_sentence(n)
    assert "adds no outcome on average" in text and "DKK 100,000" in text


def test_v1_runs_have_the_business_as_usual_count(v1_scenario):
    r = simkit.simulate(v1_scenario, 1024, seed=3)
    d = r.draws_
    assert (d["count_bau:edu_work:achieved"] <= d["count:edu_work:referred"]).all()
    # the programme adds starts and never removes one (common random numbers): more achievers on average
    assert d["count:edu_work:achieved"].mean() > d["count_bau:edu_work:achieved"].mean()


# ---------------------------------------------------------------- the range


def _with_siblings(tmp_path, monkeypatch, *, shift: float):
    """A copy of the embedded scenarios plus norddjurs_sceptical/_optimistic layers that move hr_starts."""
    d = tmp_path / "embedded"
    shutil.copytree(io_scenario._scenario_dir(), d)
    for name, median in (("sceptical", 1.5 - shift), ("optimistic", 1.5 + shift)):
        (d / f"norddjurs_{name}.toml").write_text(
            f"[parameters.hr_starts]\ndist = \"fixed\"\nvalue = {median}   # assumption: test layer\n"
            "source = \"assumption\"\n", "utf-8")
    monkeypatch.setattr(io_scenario, "_scenario_dir", lambda: d)
    return d


def test_range_layers_put_each_sibling_under_the_runs_layers(tmp_path, monkeypatch):
    _with_siblings(tmp_path, monkeypatch, shift=0.4)
    sc = simkit.load_scenario()
    assert H.range_layers(sc, None) == {"sceptical": ["norddjurs", "norddjurs_sceptical"],
                                        "optimistic": ["norddjurs", "norddjurs_optimistic"]}
    sc = simkit.load_scenario(["norddjurs_threshold"])
    assert H.range_layers(sc, ["norddjurs_threshold"])["sceptical"] == [
        "norddjurs", "norddjurs_sceptical", "norddjurs_threshold"]
    assert H.range_layers(simkit.load_scenario(["norddjurs_sceptical"]), ["norddjurs_sceptical"]) is None
    assert H.range_layers(simkit.load_scenario("sundinvest_2021"), ["sundinvest_2021"]) is None


def test_no_range_without_siblings():
    # until the calibrated layers exist, a scenario without embedded siblings has no range
    if {"norddjurs_sceptical", "norddjurs_optimistic"} <= set(io_scenario.embedded_scenarios()):
        pytest.skip("the embedded siblings exist")
    assert H.range_layers(simkit.load_scenario(), None) is None


def test_range_table_orders_sides_and_marks_missing():
    h = {"p_neutral": 0.25, "p_neutral_se": 0.01, "p_neutral_cash_years": None, "p_neutral_at_repayment": 0.5,
         "net_mean": -1234.0, "fund_multiple": 0.9, "fund_p_loss": 0.6}
    lines = H.range_table({"sceptical": h, "default": h, "optimistic": h}).splitlines()
    assert lines[0].split() == ["sceptical", "default", "optimistic"]
    assert lines[2].split()[-3:] == ["n/a", "n/a", "n/a"]
    assert lines[4].split()[-1] == "-1,234"


def test_headline_cash_probabilities_read_the_cash_view():
    sc = simkit.load_scenario()
    r = simkit.simulate(sc, 1024, seed=5)
    h = H.headline(r)
    pts = sc.cash_points()
    last = max(d for d, _ in sc.terms.schedule)
    k = next(i for i, (lab, d) in enumerate(pts) if lab.startswith("repayment") and d == last)
    assert h["p_neutral_at_repayment"] == np.mean(r.cash_[:, k] >= 0)
    upto = [i for i, (_, d) in enumerate(pts) if d <= last]
    assert h["p_neutral_cash_years"] == np.mean((r.cash_[:, upto] >= 0).all(axis=1))
    assert h["p_neutral_cash_years"] <= h["p_neutral_at_repayment"]
    assert h["fund_p_loss"] == np.mean(r.draws_["fund_multiple"] < 1)


def test_run_prints_and_writes_the_range_on_the_same_seed(tmp_path, monkeypatch, capsys):
    import json

    from simkit.cli import main

    _with_siblings(tmp_path, monkeypatch, shift=0.4)
    out = tmp_path / "r.json"
    assert main(["run", "--draws", "1024", "--seed", "3", "--range-draws", "1024", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Headline with its range (1,024 draws each, seed 3" in text
    assert text.splitlines()[-7].split() == ["sceptical", "default", "optimistic"]
    d = json.loads(out.read_text())
    rng = d["range"]
    assert set(rng["sides"]) == {"sceptical", "default", "optimistic"}
    assert rng["sides"]["default"]["p_neutral"] == d["budget"]["p_neutral"]
    assert rng["sides"]["default"]["fund_p_loss"] == d["fund"]["p_loss"]
    # the sceptical side is the same run with its layer: simulate it directly on the same seed
    sc = simkit.load_scenario(["norddjurs", "norddjurs_sceptical"])
    direct = H.headline(simkit.simulate(sc, 1024, seed=3))
    assert rng["sides"]["sceptical"] == pytest.approx(direct)
    assert main(["run", "--draws", "1024", "--no-range", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["range"] is None
    assert "Headline with its range" not in capsys.readouterr().out


def test_default_prices_give_back_about_grant_plus_premium_at_the_expected_effect():
    # the sizing rule stated in norddjurs.toml's header: with every uncertain parameter at its median the
    # rate card pays (before the cap) about grant x (1 + premium), within 10 %
    sc = simkit.load_scenario()
    med = {n: float(p.dist.ppf(np.array([0.5]))[0]) for n, p in sc.parameters.items()}
    d = simkit.simulate(sc, 4096, seed=2025, fixed=med, curve_draws=0).draws_
    due = sum(ln.price * d[f"count:{ln.indicator}:achieved"].mean() for ln in sc.contract.rate_card)
    assert due == pytest.approx(sc.contract.grant * (1 + sc.contract.premium), rel=0.10)
