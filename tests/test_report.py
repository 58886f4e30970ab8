"""The committee report: headline numbers equal the JSON's, Danish formats, definitions, self-contained HTML."""

from __future__ import annotations

import base64
import datetime as dt
import html.parser
import json
import re
import struct

import numpy as np
import pytest

import simkit
from simkit.cli import main
from simkit.report import base_case_fixed, build_report, report_data
from simkit.report.html import format_headline

DRAWS, SEED = 3_000, 7
MINUS = "\u2212"


class _Nums(html.parser.HTMLParser):
    """Collect the tagged headline numbers, the images and every URL-like attribute."""

    def __init__(self):
        super().__init__()
        self.nums, self.imgs, self.urls, self.tags = [], [], [], []
        self._cur = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "span" and a.get("class") == "num":
            self._cur = [a["data-key"], a["data-fmt"], ""]
        if tag == "img":
            self.imgs.append(a)
        for k in ("src", "href"):
            if k in a:
                self.urls.append(a[k])

    def handle_data(self, data):
        if self._cur is not None:
            self._cur[2] += data

    def handle_endtag(self, tag):
        if tag == "span" and self._cur is not None:
            self.nums.append(tuple(self._cur))
            self._cur = None


@pytest.fixture(scope="module")
def cli_outputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("report")
    assert main(["run", "--draws", str(DRAWS), "--seed", str(SEED), "--json", str(d / "run.json")]) == 0
    assert main(["report", "--draws", str(DRAWS), "--seed", str(SEED), "--base-draws", "1000", "--no-range",
                 "-o", str(d / "r.html")]) == 0
    assert main(["report", "--draws", str(DRAWS), "--seed", str(SEED), "--base-draws", "1000", "--no-range", "--lang", "en",
                 "-o", str(d / "r_en.html")]) == 0
    return (json.loads((d / "run.json").read_text(encoding="utf-8")),
            (d / "r.html").read_text(encoding="utf-8"), (d / "r_en.html").read_text(encoding="utf-8"))


def _lookup(s, key):
    for part in key.split("."):
        s = s[int(part)] if isinstance(s, list) else s[part]   # "cash.points.3.mean": a number indexes a list
    return s


def _danish_kr(x: float) -> str:
    """Hand-made Danish kroner: round half up, '.' thousands separator, proper minus."""
    n = int(np.floor(abs(x) + 0.5))
    text = f"{n:,}".replace(",", ".")
    return (MINUS if x < 0 and n else "") + text + " kr."


def _danish_pct(p: float) -> str:
    return f"{p * 100:.1f} %".replace(".", ",")


HEADLINES = ["budget.p_neutral", "budget.net_mean", "budget.net_q05", "budget.net_q95", "repayment.mean",
             "repayment.q05", "repayment.q50", "repayment.q95", "repayment.p_full", "repayment.p_none",
             "repayment.max_possible", "fund.multiple_mean", "fund.p_loss", "targets.completion.p_met",
             "targets.edu_work.p_met", "seed", "draws"]


def test_every_tagged_number_equals_the_json(cli_outputs):
    run, da, en = cli_outputs
    for text, lang in ((da, "da"), (en, "en")):
        p = _Nums()
        p.feed(text)
        assert len(p.nums) >= 30
        keys = {k for k, _, _ in p.nums}
        # the default's contract is a rate card: target lines only when the contract has targets
        ids = {t.id for t in simkit.load_scenario().contract.targets}
        need = {h for h in HEADLINES if not h.startswith("targets.") or h.split(".")[1] in ids}
        assert need <= keys, need - keys
        for key, fmt, shown in p.nums:
            v = _lookup(run, key)
            if fmt == "int":
                assert shown.replace(".", "").replace(",", "") == str(v), key
            else:
                assert shown == format_headline(v, fmt, lang), (key, fmt, shown, v)


def test_headline_numbers_in_danish_by_hand(cli_outputs):
    run, da, _ = cli_outputs
    b, r = run["budget"], run["repayment"]
    # the key sentence, with the number as a Danish reader writes it
    assert f"Sandsynligheden for at aftalen er udgiftsneutral er {_danish_pct(b['p_neutral'])}" in \
        re.sub(r"<[^>]+>", "", da)
    assert _danish_kr(r["mean"]) in da and _danish_kr(r["max_possible"]) in da
    assert _danish_pct(r["p_none"]) in da and _danish_pct(run["fund"]["p_loss"]) in da
    net_m = f"{abs(b['net_mean']) / 1e6:.1f}".replace(".", ",") + " mio. kr."
    assert net_m in da
    for t in run["targets"].values():
        assert _danish_pct(t["p_met"]) in da
    # dates in Danish: the agreement period and the repayment date
    plain = re.sub(r"<[^>]+>", "", da)
    assert "1. november 2025 til 31. oktober 2027" in plain
    assert "30. juni 2028" in plain
    ours = plain.split("Antagelser")[0]  # before the sources quoted from the (English) scenario file
    assert "DKK" not in ours  # kroner are written "kr." in Danish
    assert " m " not in ours and "million" not in ours


def test_english_report(cli_outputs):
    run, _, en = cli_outputs
    plain = re.sub(r"<[^>]+>", "", en)
    assert "The probability that the agreement is budget-neutral is " \
           f"{run['budget']['p_neutral'] * 100:.1f} %" in plain
    assert f"DKK {round(run['repayment']['max_possible']):,}" in plain
    assert "1 November 2025 to 31 October 2027" in plain
    assert '<html lang="en">' in en


def test_self_contained_and_figures_embedded(cli_outputs):
    _, da, _ = cli_outputs
    p = _Nums()
    p.feed(da)
    assert "script" not in p.tags and "link" not in p.tags and "iframe" not in p.tags
    assert not re.search(r"https?://", da)  # no network: nothing fetched, not even a font
    assert all(u.startswith("data:image/png;base64,") for u in p.urls)
    assert len(p.imgs) == 2  # repayment and fan chart: the default's rate card has no payment targets
    assert "<h2>Betalingsmål</h2>" not in da  # ... so no targets section, and no empty figure
    for img in p.imgs:
        png = base64.b64decode(img["src"].split(",", 1)[1])
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        w, h = struct.unpack(">II", png[16:24])
        # 16 cm at 200 dpi: print resolution for the A4 text width
        assert abs(w - 16 / 2.54 * 200) < 1 and h > 300
        assert img["alt"]
    assert "@page { size: A4" in da and '<html lang="da">' in da
    for tag in ("section", "table", "thead", "tbody", "tr", "td", "th", "ul", "li", "figure", "figcaption", "p",
                "span", "h2"):  # well-formed: every element closed
        assert da.count(f"<{tag}>") + da.count(f"<{tag} ") == da.count(f"</{tag}>"), tag


def test_report_is_reproducible():
    res = simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=500, seed=3)   # report: 0.1 model only
    html = build_report(res)
    assert html == build_report(res)
    # the 0.1 contract has two payment targets: their section with its figure (three figures in all)
    assert "<h2>Betalingsmål</h2>" in html and html.count("<img ") == 3


def test_user_errors_exit_2_and_write_nothing(tmp_path, capsys):
    out = tmp_path / "missing" / "r.html"
    assert main(["report", "--draws", "100", "-o", str(out)]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not out.parent.exists()
    bad = tmp_path / "bad.toml"
    bad.write_text("[parameters.completion_rate]\ndist = 'beta'\nmean = 1.7\n", encoding="utf-8")
    target = tmp_path / "r.html"
    assert main(["report", str(bad), "--draws", "100", "-o", str(target)]) == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err and "Traceback" not in err
    assert not target.exists()
    with pytest.raises(SystemExit) as e:
        main(["report", "--lang", "de", "-o", str(target)])
    assert e.value.code == 2


# ---------------------------------------------------------------- definitions (independent checks)
# The definitions below are checked on the version-1 model (its curve, staircase tables and parameter
# names); tests/test_report_v2.py checks them on a declarative-model scenario.
V1 = "norddjurs_v1"
GRANT = 5_700_000.0  # its grant, paid on the agreement start (discount factor 1)


def test_operating_effect_at_the_horizon_is_net_plus_repayment_minus_grant():
    # net = savings + avoided - (programme + other - grant) - repayment  (all PV), so the effect
    # without grant and repayment is net + repayment_pv - grant at the horizon, draw by draw
    res = simkit.simulate(simkit.load_scenario(V1), draws=1_500, seed=5)
    d = report_data(res)
    m = d.operating.shape[0]
    expected = res.draws_["net_pv"][:m] + res.draws_["repayment_pv"][:m] - GRANT
    np.testing.assert_allclose(d.operating[:, -1], expected, rtol=1e-9, atol=1e-3)
    np.testing.assert_allclose(d.cumulative[:, -1], res.draws_["net_pv"][:m], rtol=1e-9, atol=1e-3)


def test_payback_year_does_not_depend_on_the_grant_or_the_repayment():
    sc = simkit.load_scenario(V1)
    small = sc.with_updates({"contract": {"grant": 1_000_000, "premium": 0.0}})
    a = report_data(simkit.simulate(sc, draws=1_500, seed=5))
    b = report_data(simkit.simulate(small, draws=1_500, seed=5))
    np.testing.assert_allclose(a.operating, b.operating, rtol=1e-9, atol=1e-3)
    assert a.payback_year == b.payback_year
    # ...while the cumulative view moves with the grant, by its amount in year 1 (paid on day 0)
    shift = a.cumulative[:, 0] - b.cumulative[:, 0]
    assert np.allclose(shift, GRANT - 1_000_000, atol=1e-3)  # no repayment falls due in year 1
    # break-even counting the grant is year 1 (the grant's arrival); payback is later
    assert a.result.break_even_year() == 1 and a.payback_year > 1


def test_position_at_a_repayment_on_a_year_end_is_the_curve_minus_the_instalment():
    # repayment due exactly at the end of year 3 (week round(3 * 365.25 / 7) = 157, 4 Nov 2028): the
    # year-3 point of the curve counts payments before week 157 only, so the position just after the
    # instalment is cumulative(year 3) - repayment * v(157), v(w) = 1.035 ** (-w / (365.25 / 7))
    sc = simkit.load_scenario(V1)
    day = dt.date(2025, 11, 1) + dt.timedelta(weeks=157)
    assert day == dt.date(2028, 11, 4)
    sc3 = sc.with_updates({"contract": {"schedule": [{"date": day, "share": 1.0}]}})
    res = simkit.simulate(sc3, draws=1_500, seed=5)
    d = report_data(res)
    (pos,) = d.positions
    m = d.cumulative.shape[0]
    v = 1.035 ** (-157 / (365.25 / 7))
    expected = d.cumulative[:, 2] - res.draws_["repayment"][:m] * v
    assert pos.mean == pytest.approx(expected.mean(), rel=1e-9)
    assert pos.p_negative == pytest.approx(np.mean(expected < 0), abs=1e-12)


def test_base_case_holds_every_uncertain_parameter_at_its_mean():
    sc = simkit.load_scenario(V1)
    fixed = base_case_fixed(sc)
    assert "education_share" not in fixed  # already a fixed value
    # PERT(50,000, 60,000, 80,000): mean (a + 4m + b) / 6; triangular(0.5, 0.8, 1.0): (a + m + b) / 3
    assert fixed["programme_cost_per_participant"] == pytest.approx((50_000 + 4 * 60_000 + 80_000) / 6)
    assert fixed["dp_relative_risk"] == pytest.approx((0.5 + 0.8 + 1.0) / 3)
    assert fixed["completion_rate"] == pytest.approx(0.8)
    base = simkit.simulate(sc, draws=500, seed=1, fixed=fixed)
    assert np.all(base.draws_["param:completion_rate"] == pytest.approx(0.8))
