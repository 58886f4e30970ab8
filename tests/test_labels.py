"""Labels and number formats: hand-written expected strings (Danish and English)."""

from __future__ import annotations

import datetime as dt
import tomllib
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

import simkit
from simkit import labels as L

MINUS = "\u2212"


# ------------------------------------------------------------------ money
@pytest.mark.parametrize(("x", "lang", "millions", "expected"), [
    (2229263, "da", False, "2.229.263 kr."),
    (2229263, "da", True, "2,2 mio. kr."),
    (2229263, "en", False, "DKK 2,229,263"),
    (2229263, "en", True, "DKK 2.2 million"),
    (-2229263, "da", False, f"{MINUS}2.229.263 kr."),
    (-2229263, "da", True, f"{MINUS}2,2 mio. kr."),
    (-2229263, "en", False, f"DKK {MINUS}2,229,263"),
    (0, "da", False, "0 kr."),
    (999.5, "da", False, "1.000 kr."),          # half away from zero, carries into thousands
    (-999.5, "da", False, f"{MINUS}1.000 kr."),
    (2.5, "da", False, "3 kr."),                # not banker's rounding (which gives 2)
    (0.5, "en", False, "DKK 1"),
    (-0.4, "da", False, "0 kr."),               # rounds to zero: no sign
    (2250000, "da", True, "2,3 mio. kr."),      # 2.25 -> 2.3
    (2350000, "en", True, "DKK 2.4 million"),   # 2.35 -> 2.4 (binary 2.35 is 2.34999...)
    (5985000, "da", False, "5.985.000 kr."),
    (1234567890, "da", False, "1.234.567.890 kr."),
])
def test_money(x, lang, millions, expected):
    assert L.format_money(x, lang, millions=millions) == expected


def test_money_other_currency_and_missing():
    assert L.format_money(1500, "da", currency="EUR") == "1.500 EUR"
    assert L.format_money(1500, "en", currency="EUR") == "EUR 1,500"
    assert L.format_money(float("nan")) == "–"
    assert L.format_money(None) == "–"


# ------------------------------------------------------------------ percentages and numbers
@pytest.mark.parametrize(("x", "lang", "decimals", "expected"), [
    (0.56, "da", 1, "56,0 %"),
    (0.56, "en", 1, "56.0 %"),
    (0.5625, "da", 1, "56,3 %"),     # exactly half: up
    (0.0285, "da", 1, "2,9 %"),      # 0.0285 * 100 is 2.8499999999999996 in binary; as written: 2.85 -> 2.9
    (0.0005, "en", 1, "0.1 %"),
    (0.00049, "da", 1, "0,0 %"),
    (-0.1234, "da", 1, f"{MINUS}12,3 %"),
    (-0.00001, "da", 1, "0,0 %"),
    (1.0, "da", 0, "100 %"),
    (0.982, "en", 1, "98.2 %"),
    (0.00345, "da", 2, "0,35 %"),
])
def test_percent(x, lang, decimals, expected):
    assert L.format_percent(x, lang, decimals=decimals) == expected


@pytest.mark.parametrize(("x", "lang", "decimals", "expected"), [
    (1234567, "da", 0, "1.234.567"),
    (1234567, "en", 0, "1,234,567"),
    (1234.5, "da", 1, "1.234,5"),
    (1234.25, "en", 1, "1,234.3"),
    (-0.125, "da", 2, f"{MINUS}0,13"),
    (0.165, "da", 2, "0,17"),        # binary 0.165 is 0.16500000000000001; as written: half -> up
    (2.675, "en", 2, "2.68"),        # Python's f"{2.675:.2f}" gives 2.67
])
def test_number(x, lang, decimals, expected):
    assert L.format_number(x, lang, decimals=decimals) == expected


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_danish_integer_reads_back(n):
    text = L.format_number(n, "da")
    assert int(text.replace(".", "").replace(MINUS, "-")) == n
    assert "," not in text and ("-" not in text)
    groups = text.lstrip(MINUS).split(".")
    assert all(len(g) == 3 for g in groups[1:]) and 1 <= len(groups[0]) <= 3


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_danish_and_english_agree_up_to_separators(x):
    da, en = L.format_money(x, "da"), L.format_money(x, "en")
    swapped = da.removesuffix(" kr.").replace(".", "\0").replace(",", ".").replace("\0", ",")
    assert en == f"DKK {swapped}"


# ------------------------------------------------------------------ dates
@pytest.mark.parametrize(("d", "lang", "style", "expected"), [
    (dt.date(2025, 11, 1), "da", "long", "1. november 2025"),
    (dt.date(2025, 11, 1), "da", "short", "01-11-2025"),
    (dt.date(2025, 11, 1), "en", "long", "1 November 2025"),
    (dt.date(2025, 11, 1), "en", "short", "2025-11-01"),
    (dt.date(2028, 6, 30), "da", "long", "30. juni 2028"),
    (dt.date(2027, 3, 9), "da", "long", "9. marts 2027"),
    (dt.date(2026, 5, 15), "da", "long", "15. maj 2026"),
])
def test_dates(d, lang, style, expected):
    assert L.format_date(d, lang, style=style) == expected


def test_bad_language_and_style_are_refused():
    with pytest.raises(ValueError, match="lang must be one of da, en"):
        L.format_money(1, "de")
    with pytest.raises(ValueError, match="style"):
        L.format_date(dt.date(2025, 1, 1), style="iso")


# ------------------------------------------------------------------ labels
def test_every_parameter_target_and_indicator_of_the_default_has_both_languages():
    sc = simkit.load_scenario("norddjurs_v1")   # labels.toml covers the 0.1 model's names (phases too)
    data = tomllib.loads(resources.files("simkit").joinpath("labels.toml").read_text(encoding="utf-8"))
    ids = [("parameters", p) for p in sc.parameters] + [("targets", t.id) for t in sc.contract.targets] + \
          [("indicators", t.indicator) for t in sc.contract.targets] + \
          [("phases", p.name) for p in sc.programme.phases]
    for kind, i in ids:
        entry = data[kind][i]
        assert entry["da"] and entry["en"] and entry["da"] != entry["en"], (kind, i)
        assert entry["unit"] in data["units"], (kind, i)
    for section in data.values():
        for entry in section.values():
            assert set(entry) >= {"da", "en"}
    for name in sc.parameters:  # short labels for axes and compact tables, lower case
        for lang in ("da", "en"):
            short = L.label(name, lang, short=True)
            assert short == data["parameters"][name][f"short_{lang}"] and short[0].islower()


def test_every_summary_output_has_a_label_and_unit():
    s = simkit.simulate(draws=200, seed=1).summary()
    data = tomllib.loads(resources.files("simkit").joinpath("labels.toml").read_text(encoding="utf-8"))
    keys = [f"{g}.{k}" for g in ("repayment", "budget", "fund") for k in s[g]]
    keys += [f"targets.{k}" for t in s["targets"].values() for k in t
             if isinstance(t[k], float) and k not in ("threshold",)]
    missing = [k for k in keys if k not in data["outputs"]]
    assert not missing


def test_label_lookup_and_fallback():
    assert L.label("completion_rate") == "Andel der gennemfører forløbet"
    assert L.label("completion_rate", "en") == "Completion rate"
    assert L.label("budget.p_neutral") == "Sandsynlighed for at aftalen er udgiftsneutral"
    assert L.label("param:outcome_rate_bau", "en") == "Education/work rate without the programme"
    assert L.label("met:edu_work", "en") == ("Probability that the target is met: Education or work lasting "
                                             "six months")
    # unknown ids become readable, never raise
    assert L.label("outcome_rate_new_group", "da") == "Outcome rate new group"
    assert L.label("budget.net_q50", "en") == "Net q50"
    assert L.label("x") == "X"
    assert L.label("completion_rate", "da", short=True) == "gennemførelsesandel"
    assert L.label("param:programme_cost_per_participant", "en", short=True) == "programme cost per person (DKK)"
    assert L.label("budget.p_neutral", "en", short=True) == "Probability that the agreement is budget-neutral"


def test_scenario_label_overrides():
    doc = {"parameters": {"completion_rate": {"label": {"da": "Gennemførte", "en": "Completed"}},
                          "spell_mean_weeks": {"label": "Spell"}},
           "contract": {"targets": [{"id": "edu_work", "label": "Job eller uddannelse"}]}}
    assert L.label("completion_rate", "da", scenario=doc) == "Gennemførte"
    assert L.label("completion_rate", "en", scenario=doc) == "Completed"
    assert L.label("spell_mean_weeks", "en", scenario=doc) == "Spell"
    assert L.label("edu_work", "en", kind="targets", scenario=doc) == "Job eller uddannelse"
    assert L.label("outcome_rate_bau", "en", scenario=doc) == "Education/work rate without the programme"

    class FakeScenario:
        document = doc

    assert L.label("param:completion_rate", "da", scenario=FakeScenario()) == "Gennemførte"


def test_units_and_format_value():
    assert L.unit("repayment.mean") == "money" and L.unit_text("money") == "kr."
    assert L.format_value("budget.p_neutral", 0.9815) == "98,2 %"
    assert L.format_value("repayment.q50", 2992500.0, "en") == "DKK 2,992,500"
    assert L.format_value("weeks_to_outcome", 10.0) == "10 uger"
    assert L.format_value("weeks_to_outcome", 27.333, "en") == "27.3 weeks"
    assert L.format_value("fund.multiple_mean", 0.39215, "da") == "0,39"
    assert L.format_value("budget.horizon_years", 10, "da") == "10 år"
    assert L.format_value("budget.net_mean", float("nan")) == "–"


def test_distribution_in_words():
    sc = simkit.load_scenario("norddjurs_v1")   # the 0.1 model's completion_rate
    p = sc.parameters["completion_rate"]
    lo, hi = p.dist.interval(0.95)
    expected = (f"beta, middelværdi 80,0 %, 95 %-interval {L.format_percent(lo)} til {L.format_percent(hi)}")
    assert L.format_distribution(p.dist, unit_id="share") == expected
    cost = sc.parameters["programme_cost_per_participant"]  # PERT(50,000, 60,000, 80,000): mean 61,666.67
    assert L.format_distribution(cost.dist, "en", unit_id="money").startswith("PERT, mean DKK 61,667, 95 %")


def test_set_language_changes_displays_only():
    res = simkit.simulate(draws=200, seed=1)
    old = L.set_language("en")
    try:
        assert "Probability that the agreement is budget-neutral" in res._repr_html_()
    finally:
        L.set_language(old)
    assert "Sandsynlighed for at aftalen er udgiftsneutral" in res._repr_html_()
    assert "Sandsynlighed" not in res.text()  # the plain-text summary stays as it was


@given(st.floats(min_value=-10, max_value=10, allow_nan=False), st.integers(min_value=0, max_value=3))
def test_percent_is_within_half_a_unit_of_the_last_digit(x, decimals):
    text = L.format_percent(x, "da", decimals=decimals)
    assert text.endswith(" %")
    shown = float(text[:-2].replace(".", "").replace(",", ".").replace(MINUS, "-"))
    assert abs(shown - 100 * x) <= 0.5 * 10 ** -decimals + 1e-9
    assert (text.count(",") == 1) == (decimals > 0)


def test_danish_plot_labels():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from simkit import plotting

    # the 0.1 model: the plots below include plot_targets, which needs payment targets
    res = simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=400, seed=2)
    ax = plotting.plot_cumulative_budget(res, lang="da")
    fmt = ax.yaxis.get_major_formatter()
    assert fmt(2_500_000, 0) == "2,5" and fmt(14_000_000, 0) == "14" and fmt(-1_000_000, 0) == f"{MINUS}1"
    assert "mio. kr." in ax.get_ylabel() and ax.get_title() == "Akkumuleret nettoeffekt for kommunens budget"
    plt.close(ax.figure)
    ax = plotting.plot_targets(res, lang="en")
    # wrapped at 28 characters: "Education or work lasting six" would be 29
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Course completion",
                                                           "Education or work lasting\nsix months"]
    assert ax.xaxis.get_major_formatter()(0.5, 0) == "50 %"
    plt.close(ax.figure)
    ax = plotting.plot_targets(res)  # without lang: as before (ids, English)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["completion", "edu_work"]
    plt.close(ax.figure)


def test_tornado_names_parameters_by_their_labels():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from simkit import plotting
    from simkit.sensitivity import tornado

    # the 0.1 model's parameter names
    tor = tornado(simkit.load_scenario("norddjurs_v1"), draws=100, seed=1,
                  params="completion_rate,programme_cost_per_participant")
    ax = plotting.plot_tornado(tor, "net_mean", lang="da")
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    i = tor.parameters.index("completion_rate")
    lo, hi = tor.param_low[i], tor.param_high[i]
    assert f"gennemførelsesandel\n{L.format_percent(lo)} → {L.format_percent(hi)}" in ticks
    assert any(t.startswith("forløbsudgift pr. person (kr.)\n") and t.endswith(" kr.") for t in ticks)
    plt.close(ax.figure)
    ax = plotting.plot_tornado(tor, "net_mean")
    assert any(t.startswith("completion_rate\n") for t in (x.get_text() for x in ax.get_yticklabels()))
    plt.close(ax.figure)


@pytest.mark.parametrize("name", ["norddjurs", "norddjurs_v1"])
def test_every_parameter_target_and_indicator_of_both_norddjurs_models_has_both_languages(name):
    sc = simkit.load_scenario(name)
    data = tomllib.loads(resources.files("simkit").joinpath("labels.toml").read_text(encoding="utf-8"))
    ids = [("parameters", p) for p in sc.parameters] + [("targets", t.id) for t in sc.contract.targets] + \
          [("indicators", t.indicator) for t in sc.contract.targets]
    missing = [(kind, i) for kind, i in ids if i not in data[kind]]
    assert not missing
    for kind, i in ids:
        entry = data[kind][i]
        assert entry["da"] and entry["en"] and entry["da"] != entry["en"], (kind, i)
        assert entry["unit"] in data["units"], (kind, i)
