"""SimulationResult frames and notebook display: numeric dtypes, one unit per row, a real HTML table."""

from __future__ import annotations

import html.parser
import json

import numpy as np
import pandas as pd
import pytest

import simkit


@pytest.fixture(scope="module")
def res():
    # the 0.1 model: the targets frame and rows below need payment targets (the default pays per outcome)
    return simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=2_000, seed=11)


def test_summary_frame_is_long_numeric_and_matches_the_json(res):
    df = res.to_frame()
    assert list(df.columns) == ["group", "target", "quantity", "label", "unit", "value", "mc_se"]
    assert df["value"].dtype == np.float64 and df["mc_se"].dtype == np.float64
    assert not any(dt is np.dtype(object) for dt in df.dtypes)
    s = json.loads(json.dumps(res.summary()))  # what --json writes
    for key, row in df.iterrows():
        v = s
        for part in key.split("."):
            v = v[part]
        assert row["value"] == pytest.approx(v, rel=0, abs=0), key
    assert df.loc["budget.p_neutral", "mc_se"] == s["budget"]["p_neutral_se"]
    assert df.loc["targets.edu_work.p_met", "mc_se"] == s["targets"]["edu_work"]["p_met_se"]
    assert np.isnan(df.loc["repayment.mean", "mc_se"])


def test_summary_frame_units(res):
    df = res.to_frame()
    units = dict(zip(df.index, df["unit"], strict=True))
    assert units["repayment.mean"] == "DKK" and units["budget.net_q05"] == "DKK" and units["fund.grant"] == "DKK"
    assert units["budget.p_neutral"] == "probability" and units["fund.p_loss"] == "probability"
    assert units["targets.completion.rate_mean"] == "share" and units["fund.multiple_mean"] == "multiple"
    # probabilities and shares are numbers in [0, 1]; money is not mixed into them
    probs = df[df["unit"].isin(["probability", "share"]) & (df["quantity"] != "irr_median")]["value"]
    assert probs.between(0, 1).all()
    money = df[df["unit"] == "DKK"]
    assert (money.loc[["repayment.max_possible", "fund.grant"], "value"] > 1e6).all()


def test_summary_frame_labels_in_both_languages(res):
    assert res.to_frame(lang="en").loc["budget.p_neutral", "label"] == \
        "Probability that the agreement is budget-neutral"
    assert res.to_frame(lang="da").loc["budget.p_neutral", "label"] == \
        "Sandsynlighed for at aftalen er udgiftsneutral"


def test_targets_frame_has_numeric_dtypes(res):
    t = res.to_frame("targets")
    for c in ("p_met", "p_met_se", "rate_mean", "rate_q05", "rate_q50", "rate_q95", "threshold"):
        assert t[c].dtype == np.float64, c
    for c in ("indicator", "denominator", "rule"):
        assert isinstance(t[c].dtype, pd.StringDtype), c
    assert t.loc["completion", "threshold"] == 0.8 and t.loc["edu_work", "threshold"] == 0.5
    assert t.loc["edu_work", "p_met"] == res.summary()["targets"]["edu_work"]["p_met"]
    assert t["p_met"].mean() >= 0  # arithmetic works (object columns made this awkward)


class _Cells(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.cells, self._in = [], [], False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in = tag in ("td", "th")
        if self._in:
            self.cells.append("")

    def handle_endtag(self, tag):
        self._in = False

    def handle_data(self, data):
        if self._in:
            self.cells[-1] += data


def test_html_repr_is_a_table_with_formatted_numbers(res):
    h = res._repr_html_()
    assert h.startswith("<table") and "<pre>" not in h
    p = _Cells()
    p.feed(h)
    assert {"table", "thead", "tbody", "tr", "td", "th"} <= set(p.tags)
    s = res.summary()
    cells = p.cells
    # the Danish value next to its label (formatted by hand: 1 decimal, comma, " %")
    i = cells.index("Sandsynlighed for at aftalen er udgiftsneutral")
    pn = s["budget"]["p_neutral"] * 100
    assert cells[i + 1] == f"{pn:.1f} %".replace(".", ",")
    i = cells.index("Forventet tilbagebetaling")
    assert cells[i + 1] == f"{round(s['repayment']['mean']):,} kr.".replace(",", ".")
    assert "edu_work" not in "".join(cells)  # ids replaced by plain language
    assert "Uddannelse eller job i mindst seks måneder: sandsynlighed for at målet nås" in cells
    en = res.to_html("en")
    assert "Probability that the agreement is budget-neutral" in en and f"{pn:.1f} %" in en


def test_summary_and_text_unchanged_in_shape(res):
    s = res.summary()
    assert set(s) >= {"simkit_version", "scenario", "seed", "draws", "targets", "repayment", "budget", "fund"}
    assert set(s["budget"]) >= {"net_mean", "net_q05", "net_q95", "p_neutral", "p_neutral_se", "horizon_years",
                                "break_even_year", "savings_mean", "uncovered_cost_mean", "repayment_pv_mean"}
    assert repr(res) == res.text()
