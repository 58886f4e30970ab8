"""The committee report on declarative-model (version-2) scenarios.

The base case by payer and budget year, the cash view and the condition for
budget neutrality are checked against a hand calculation on a tiny
deterministic scenario (fixed sojourns, fixed costs: every draw is the same),
the headline numbers against ``simkit run --json``, and the range (default,
sceptical, optimistic) for common random numbers.
"""

from __future__ import annotations

import copy
import datetime as dt
import html.parser
import json
import re

import numpy as np
import pytest

import simkit
import simkit.errors
import simkit.io.scenario
from simkit.report import (
    apply_range,
    base_case_fixed,
    build_report,
    make_report,
    payer_years,
    range_layers,
)
from simkit.report.data import report_data
from simkit.report.html import format_headline, summary_value

# Ten persons referred on 1 Nov 2025, on a benefit (1,000 kr. a week, gross, municipality; 100 kr. a week,
# region). Without the programme they leave it for a job after exactly 40 weeks, with it after 10 weeks.
# Reimbursement staircase 80 / 40 / 30 % in weeks 1-4 / 5-26 / 27-52; no discounting.
TINY = {
    "scenario": {"version": 2, "name": "tiny"},
    "agreement": {"municipality": "Lille Kommune", "fund": "Fonden", "start": "2025-11-01", "end": "2026-10-31",
                  "cohort_size": 10, "intake": [{"from": "2025-11-01", "to": "2025-11-01", "count": 10}]},
    "states": {
        "benefit": {"kind": "benefit", "label": "On benefit", "cost": [
            {"payer": "municipality", "from": "2020-01-01", "weekly": 1000.0, "source": "test"},
            {"payer": "region", "from": "2020-01-01", "weekly": 100.0, "source": "test"}]},
        "job": {"kind": "job", "label": "In work"},
    },
    "arms": {"bau": {"initial": "benefit"}, "programme": {"initial": "benefit"}},
    "transitions": [
        {"from": "benefit", "to": "job", "arms": ["bau"], "hazard": {"dist": "fixed", "weeks": 40.0}},
        {"from": "benefit", "to": "job", "arms": ["programme"], "hazard": {"dist": "fixed", "weeks": 10.0}},
    ],
    "indicators": [{"id": "in_job", "kind": "in_state", "label": "In work at 30 weeks", "states": ["job"],
                    "followup_weeks": [30.0], "count": "persons"}],
    "contract": {"grant": 100_000.0, "premium": 0.1, "outcome_window_end": "2026-10-31",
                 "measurement_date": "2026-12-31",
                 "disbursement": [{"date": "2025-11-01", "share": 1.0}],
                 "schedule": [{"date": "2027-03-31", "share": 1.0}],
                 "targets": [{"id": "job", "indicator": "in_job", "threshold": 0.5, "weight": 1.0}]},
    "budget": {"discount_rate": 0.0, "discount_rate_long": 0.0, "horizon_years": 3, "prior_benefit_weeks": 0.0,
               "reimbursement": [{"from_week": 1, "rate": 0.8}, {"from_week": 5, "rate": 0.4},
                                 {"from_week": 27, "rate": 0.3}, {"from_week": 53, "rate": 0.2}],
               "per_referral": [{"name": "course", "arms": ["programme"], "amount": 5000.0, "source": "t"}],
               "other_costs": [{"name": "training", "date": "2026-06-01", "amount": 2000.0, "source": "t"}],
               "avoided_cost_per_person": 3000.0},
}

# Budget year 2025 runs to the end of 31 December: 61 days = 61/7 weeks after the start.
W25 = 61 / 7


def _tiny():
    return simkit.load_scenario(copy.deepcopy(TINY))


def test_base_case_by_payer_and_budget_year_by_hand():
    """Per person, gross benefit 1,000 a week, the municipality paying 20 % (weeks 0-4), 60 % (4-26), 70 % (26-52).

    2025 (weeks 0 to 61/7), both arms on benefit: municipality 4 × 200 + (61/7 − 4) × 600, state
    4 × 800 + (61/7 − 4) × 400, region 100 × 61/7. Without the programme the municipality also avoids no
    activation: the avoided 3,000 per person is a cost *without* it, booked at referral (2025); the course
    (5,000 per person) is a cost with it (2025); training 2,000 once, 1 Jun 2026, with it.
    2026: without, weeks 61/7-40: (26 − 61/7) × 600 + 14 × 700 municipal, (26 − 61/7) × 400 + 14 × 300 state,
    (40 − 61/7) × 100 region; with, weeks 61/7-10: (10 − 61/7) × 600, × 400, × 100.
    Saving 2026 per person: municipality 16 × 600 + 14 × 700 = 19,400 (then − 2,000 training once), state
    16 × 400 + 14 × 300 = 10,600, region 30 × 100 = 3,000. Everyone is in work at 30 weeks: target met,
    repayment 100,000 × 1.1 = 110,000 on 31 Mar 2027; the grant 100,000 arrives 1 Nov 2025.
    """
    sc = _tiny()
    base = simkit.simulate(sc, 8, seed=3, fixed=base_case_fixed(sc))
    t = payer_years(base)
    assert t.years == (2025, 2026, 2027, 2028)
    assert t.ends[:3] == (dt.date(2025, 12, 31), dt.date(2026, 12, 31), dt.date(2027, 12, 31))
    n = 10
    m25 = 4 * 200 + (W25 - 4) * 600
    s25 = 4 * 800 + (W25 - 4) * 400
    exp_without = {
        "municipality": [n * (m25 + 3000), n * ((26 - W25) * 600 + 14 * 700), 0, 0],
        "state": [n * s25, n * ((26 - W25) * 400 + 14 * 300), 0, 0],
        "region": [n * 100 * W25, n * (40 - W25) * 100, 0, 0],
    }
    exp_with = {
        "municipality": [n * (m25 + 5000), n * (10 - W25) * 600 + 2000, 0, 0],
        "state": [n * s25, n * (10 - W25) * 400, 0, 0],
        "region": [n * 100 * W25, n * (10 - W25) * 100, 0, 0],
    }
    for payer in ("municipality", "state", "region"):
        np.testing.assert_allclose(t.without[payer], exp_without[payer], atol=1e-6)
        np.testing.assert_allclose(t.with_[payer], exp_with[payer], atol=1e-6)
    np.testing.assert_allclose(t.saving["municipality"], [-20_000, 192_000, 0, 0], atol=1e-6)
    np.testing.assert_allclose(t.saving["state"], [0, 106_000, 0, 0], atol=1e-6)
    np.testing.assert_allclose(t.saving["region"], [0, 30_000, 0, 0], atol=1e-6)
    np.testing.assert_allclose(t.grant, [100_000, 0, 0, 0])
    np.testing.assert_allclose(t.repayment, [0, 0, 110_000, 0])
    np.testing.assert_allclose(t.cumulative, [80_000, 272_000, 162_000, 162_000], atol=1e-6)
    np.testing.assert_allclose(t.cumulative_operating, [-20_000, 172_000, 172_000, 172_000], atol=1e-6)
    assert t.payback_year() == 2026
    # with no discounting, the net present value is the cumulative cash position at the horizon
    assert base.summary()["budget"]["net_mean"] == pytest.approx(162_000)


def test_cash_view_and_neutrality_condition_by_hand():
    """Cash position (engine's view, at the start of each 31 Dec): 2025: grant 100,000 − course 50,000 +
    avoided 30,000 = 80,000 (no saving yet: both arms on benefit); just after the repayment on 31 Mar 2027:
    80,000 + 194,000 saved on benefit − 2,000 training − 110,000 = 162,000.
    Neutrality: repayment 110,000 ≤ savings 194,000 + avoided 30,000 − uncovered (50,000 + 2,000 − 100,000 =
    −48,000) = 272,000; per outcome: 10 in work at 30 weeks with the programme, 0 without, so the price per
    outcome is 11,000 and the saving per additional outcome 19,400."""
    sc = _tiny()
    res = simkit.simulate(sc, 8, seed=3)
    d = report_data(res)
    cash = {p.label: p for p in d.cash}
    assert cash["budget year 2025"].mean == pytest.approx(80_000)
    assert cash["repayment 2027-03-31"].mean == pytest.approx(162_000)
    assert cash["repayment 2027-03-31"].operating_mean == pytest.approx(162_000 - 100_000 + 110_000)
    assert cash["repayment 2027-03-31"].p_negative == 0.0
    assert d.cash_payback_year == 2026  # without the grant: −20,000 at the end of 2025, then positive
    (pos,) = d.positions
    assert pos.basis == "nominal" and pos.mean == pytest.approx(162_000)
    n = d.neutrality
    assert (n.repayment, n.savings, n.avoided, n.uncovered) == pytest.approx((110_000, 194_000, 30_000, -48_000))
    assert n.margin == pytest.approx(162_000) and n.holds
    assert (n.outcomes, n.outcomes_bau) == (10, 0)
    assert n.price_per_outcome == pytest.approx(11_000) and n.saving_per_additional == pytest.approx(19_400)


class _Cells(html.parser.HTMLParser):
    """Table rows as lists of cell texts, and the tagged numbers."""

    def __init__(self):
        super().__init__()
        self.rows, self.nums = [], []
        self._row = self._cell = self._num = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = ""
        elif tag == "span" and a.get("class") == "num":
            self._num = [a["data-key"], a["data-fmt"], a.get("data-run"), ""]

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        if self._num is not None:
            self._num[3] += data

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._row is not None:
            self._row.append(self._cell)
            self._cell = None
        elif tag == "tr":
            self.rows.append(self._row)
            self._row = None
        elif tag == "span" and self._num is not None:
            self.nums.append(tuple(self._num))
            self._num = None


def test_the_tiny_report_shows_the_hand_figures_in_danish():
    sc = _tiny()
    res = simkit.simulate(sc, 8, seed=3)
    base = simkit.simulate(sc, 8, seed=3, fixed=base_case_fixed(sc))
    text = build_report(res, base)
    p = _Cells()
    p.feed(text)
    rows = [r for r in p.rows if r]
    head = next(r for r in rows if r[0].startswith("1.000 kr."))
    assert head[1:] == ["2025", "2026", "2027", "2028", "I alt"]
    # thousands of kroner, Danish minus sign
    assert ["Besparelse", "\u221220", "192", "0", "0", "172"] in rows
    assert ["Akkumuleret kassebeholdning ultimo", "80", "272", "162", "162", "162"] in rows
    assert ["Besparelse", "0", "106", "0", "0", "106"] in rows          # the state
    assert ["Besparelse", "0", "30", "0", "0", "30"] in rows            # the region
    plain = re.sub(r"<[^>]+>", "", text)
    assert "fra og med budgetår 2026" in plain
    assert "Pris pr. resultat × resultater (11.000 kr. × 10,0)" in plain
    assert "(19.400 kr. × 10,0)" in plain


@pytest.fixture(scope="module")
def v2_outputs(tmp_path_factory):
    """`simkit run --json` and `simkit report` on the version-2 Norddjurs model, with a range of tmp layers."""
    from simkit.cli import main

    d = tmp_path_factory.mktemp("report_v2")
    low = d / "low.toml"
    high = d / "high.toml"
    for path, med, lo, hi in ((low, 1.15, 1.0, 1.4), (high, 2.0, 1.5, 2.7)):
        path.write_text(f'[parameters.hr_starts]\ndist = "lognormal"\nmedian = {med}\nlow = {lo}\nhigh = {hi}\n'
                        'source = "assumption: a test layer"\n', encoding="utf-8")
    args = ["--draws", "1024", "--seed", "11"]
    out = {}
    for name, layers in (("default", []), ("sceptical", [str(low)]), ("optimistic", [str(high)])):
        assert main(["run", "norddjurs", *layers, *args, "--json", str(d / f"{name}.json")]) == 0
        out[name] = json.loads((d / f"{name}.json").read_text(encoding="utf-8"))
    assert main(["report", "norddjurs", *args, "--base-draws", "1024", "--range", str(low), str(high),
                 "-o", str(d / "r.html")]) == 0
    return out, (d / "r.html").read_text(encoding="utf-8"), None


def test_every_tagged_number_equals_the_json_of_its_run_v2(v2_outputs):
    runs, text, _ = v2_outputs
    p = _Cells()
    p.feed(text)
    keys = {(k, r) for k, _, r, _ in p.nums}
    assert ("budget.p_neutral", "sceptical") in keys and ("budget.p_neutral", "optimistic") in keys
    assert any(k.startswith("cash.points.") for k, _ in keys)
    assert ("budget.savings_mean", None) in keys and ("budget.repayment_pv_mean", None) in keys
    for key, fmt, run, shown in p.nums:
        v = summary_value(runs[run or "default"], key)
        if fmt == "int":
            assert shown.replace(".", "").replace(",", "") == str(v), key
        else:
            assert shown == format_headline(v, fmt, "da"), (key, run, fmt, shown, v)


def test_headline_sentence_gives_the_default_with_its_range(v2_outputs):
    runs, text, _ = v2_outputs
    plain = re.sub(r"<[^>]+>", "", text)

    def pct(x):
        return f"{x * 100:.1f} %".replace(".", ",")

    b = {k: r["budget"]["p_neutral"] for k, r in runs.items()}
    assert (f"Sandsynligheden for at aftalen er udgiftsneutral er {pct(b['default'])} "
            f"(skeptisk: {pct(b['sceptical'])}, optimistisk: {pct(b['optimistic'])})") in plain
    # the cash position at the repayment date (nominal) from the JSON's cash view
    # (the default repays in instalments: the position at one of the repayment dates is stated)
    means = [q["mean"] for q in runs["default"]["cash"]["points"] if q["label"].startswith("repayment")]
    assert any(f"{abs(m) / 1e6:.1f}".replace(".", ",") + " mio. kr." in plain for m in means)
    assert "Standard, skeptisk og optimistisk" in plain and "Kassebeholdning pr. budgetår" in plain


def test_range_runs_share_the_random_numbers():
    """A layer that restates the scenario's own distribution gives bit-identical results (same draws, same
    seed); a more effective programme (hazard ratio median 2.0 instead of 1.5) meets the education-or-work
    count at least as often on average, within 3 paired Monte Carlo standard errors."""
    sc = simkit.load_scenario("norddjurs")
    own = sc.document["parameters"]["hr_starts"]
    up = {k: (2.0 if k == "median" else v) for k, v in own.items()}
    layers = apply_range(sc, {"same": ("same.toml", {"parameters": {"hr_starts": dict(own)}}),
                              "up": ("up.toml", {"parameters": {"hr_starts": up}})})
    a = simkit.simulate(sc, 512, seed=5)
    same = simkit.simulate(layers["same"], 512, seed=5)
    upr = simkit.simulate(layers["up"], 512, seed=5)
    np.testing.assert_array_equal(a.draws_["net_pv"], same.draws_["net_pv"])
    diff = upr.draws_["count:edu_work:achieved"].astype(float) - a.draws_["count:edu_work:achieved"]
    assert diff.mean() > -3 * diff.std(ddof=1) / np.sqrt(diff.size)
    assert diff.mean() > 0


def test_siblings_are_found_beside_a_file(tmp_path):
    base = tmp_path / "town.toml"
    base.write_text((simkit.io.scenario._scenario_dir() / "sundinvest_2021.toml").read_text(encoding="utf-8"),
                    encoding="utf-8")
    sc = simkit.load_scenario(str(base))
    assert range_layers(sc) is None
    for r in ("sceptical", "optimistic"):
        (tmp_path / f"town_{r}.toml").write_text("[contract]\npremium = 0.0\n", encoding="utf-8")
    found = range_layers(sc)
    assert set(found) == {"sceptical", "optimistic"}
    assert found["sceptical"][0].endswith("town_sceptical.toml") and found["sceptical"][1]["contract"]["premium"] == 0


def test_a_bad_range_layer_is_refused_before_any_simulation(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[parameters.hr_starts]\ndist = \"lognormal\"\nmedian = -1\nsource = \"x\"\n", encoding="utf-8")
    with pytest.raises(simkit.errors.ScenarioError) as e:
        make_report(simkit.load_scenario("sundinvest_2021"), draws=64, base_draws=64, range=(str(bad), str(bad)))
    assert "bad.toml" in str(e.value)


def test_range_and_output_errors_exit_2_and_write_nothing(tmp_path, capsys):
    from simkit.cli import main

    layer = tmp_path / "low.toml"
    layer.write_text('[contract]\npremium = 0.0\n', encoding="utf-8")
    out = tmp_path / "r.html"
    # the output may not be one of the inputs, a range layer included
    assert main(["report", "sundinvest_2021", "--draws", "64", "--range", str(layer), str(layer),
                 "-o", str(layer)]) == 2
    assert "low.toml" in capsys.readouterr().err and layer.read_text(encoding="utf-8").startswith("[contract]")
    # a range layer that does not exist, or is not valid, is named
    assert main(["report", "sundinvest_2021", "--draws", "64", "--range", str(tmp_path / "nope.toml"), str(layer),
                 "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "nope.toml" in err and "Traceback" not in err and not out.exists()
    bad = tmp_path / "bad.toml"
    bad.write_text("[contract]\npremium = -3\n", encoding="utf-8")
    assert main(["report", "sundinvest_2021", "--draws", "64", "--range", str(bad), str(layer), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err and "premium" in err and "Traceback" not in err and not out.exists()
    with pytest.raises(SystemExit) as e:  # one or the other
        main(["report", "--no-range", "--range", str(layer), str(layer), "-o", str(out)])
    assert e.value.code == 2


def test_embedded_siblings_give_the_range_by_themselves(monkeypatch):
    """When `<name>_sceptical` and `<name>_optimistic` are embedded, the report shows them without --range."""
    import simkit.report as R

    layers = {"sundinvest_2021_sceptical": {"contract": {"premium": 0.0}},
              "sundinvest_2021_optimistic": {"contract": {"premium": 0.2}}}
    real_read = R.read_toml
    monkeypatch.setattr(R, "embedded_scenarios", lambda: [*simkit.embedded_scenarios(), *layers])
    monkeypatch.setattr(R, "read_toml", lambda name: (f"{name} (embedded)", layers[name]) if name in layers
                        else real_read(name))
    sc = simkit.load_scenario("sundinvest_2021")
    found = range_layers(sc)
    assert [found[r][0] for r in ("sceptical", "optimistic")] == ["sundinvest_2021_sceptical (embedded)",
                                                                  "sundinvest_2021_optimistic (embedded)"]
    text, _ = make_report(sc, draws=64, base_draws=64, seed=2)
    assert "(skeptisk: " in text and "Standard, skeptisk og optimistisk" in text
    assert "--range sundinvest_2021_sceptical sundinvest_2021_optimistic" in text
    none, _ = make_report(sc, draws=64, base_draws=64, seed=2, range=False)
    assert "(skeptisk: " not in none
