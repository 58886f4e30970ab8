"""Tests for simkit.contract: closed-form cases, reference case R5, properties.

Expected values are computed by hand in each test (not by calling the code
under test); sources: the worked example of docs/design.md and docs/reference-cases.md R5
(UK Fair Chance Fund project with a binding overall cap).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simkit.contract import (
    RULES,
    Contract,
    RateCardLine,
    Target,
    count_keys,
    fund_view,
    max_repayment,
    needed_count,
    repayment,
)
from simkit.errors import ScenarioError

G6 = 5_700_000  # worked example (docs/design.md): 95 × 60,000


def design6(rule2: str = "threshold", **kw) -> Contract:
    """The worked example's contract (docs/design.md); ``rule2`` for the education/work target."""
    extra = {"floor": 0.30} if rule2 == "pro_rata" else {}
    return Contract(
        G6,
        premium=0.05,
        targets=(
            Target("completion", "completion", threshold=0.80, weight=0.30),
            Target("edu_work", "edu_work", threshold=0.50, weight=0.70, rule=rule2, **extra),
        ),
        **kw,
    )


def counts6(completed=78, qualifying=45, referred=95, qual_completed=40):
    return {
        "completion": {"achieved": completed, "referred": referred},
        "edu_work": {
            "achieved": qualifying,
            "referred": referred,
            "achieved_completed": qual_completed,
            "completed": completed,
        },
    }


# --------------------------------------------------------------------------
# needed_count
# --------------------------------------------------------------------------


def test_needed_count_design_numbers():
    # 0.8 × 95 = 76; 0.5 × 95 = 47.5 -> 48.
    assert needed_count(0.8, 95) == 76
    assert needed_count(0.5, 95) == 48
    # Floating point: 0.55 × 100 = 55.00000000000001, 0.07 × 100 = 7.000000000000001,
    # 0.28 × 25 = 7.000000000000001; the rates 55/100, 7/100, 7/25 still meet them.
    assert needed_count(0.55, 100) == 55
    assert needed_count(0.07, 100) == 7
    assert needed_count(0.28, 25) == 7
    assert needed_count(0.8, np.array([0, 1, 5, 10, 95])).tolist() == [0, 1, 4, 8, 76]


def test_76_of_95_meets_80_percent_exactly():
    c = Contract(1_000, targets=(Target("c", "completion", 0.8, 1.0),))
    got = repayment(c, {"completion": {"achieved": np.array([75, 76]), "referred": 95}})
    assert got.met["c"].tolist() == [False, True]  # 75/95 = 0.789..., 76/95 = 0.8
    assert got.total.tolist() == [0.0, 1_000.0]


# --------------------------------------------------------------------------
# worked example of docs/design.md
# --------------------------------------------------------------------------


def test_design6_threshold_rule():
    rep = repayment(design6(), counts6())
    # 78/95 = 82.1 % >= 80 % met; 45/95 = 47.4 % < 50 % not met.
    # Repayment = 0.30 × 5,700,000 × 1.05 = 1,795,500.
    assert float(rep.total) == pytest.approx(1_795_500, abs=1e-6)
    assert bool(rep.met["completion"]) and not bool(rep.met["edu_work"])
    assert float(rep.by_target["edu_work"]) == 0.0
    assert not bool(rep.capped)
    fv = fund_view(design6(), rep.total)
    # multiple = 1,795,500 / 5,700,000 = 0.315: the fund loses 68.5 %.
    assert float(fv.multiple) == pytest.approx(0.315, abs=1e-12)
    assert bool(fv.loss)


def test_design6_pro_rata_second_target():
    rep = repayment(design6("pro_rata"), counts6())
    # factor = (45/95 − 3/10) / (1/2 − 3/10) = (9/19 − 3/10) × 5 = 33/38 = 0.8684...
    factor = (Fraction(45, 95) - Fraction(3, 10)) / (Fraction(1, 2) - Fraction(3, 10))
    assert factor == Fraction(33, 38)
    # added = 0.70 × 33/38 × 5,700,000 × 1.05 = 4,189,500 × 33/38 = 3,638,250 exactly.
    # (The worked example's "≈ 3,637,000" uses the factor rounded to 0.868.)
    added = Fraction(7, 10) * factor * G6 * Fraction(105, 100)
    assert added == 3_638_250
    assert float(rep.factor["edu_work"]) == pytest.approx(33 / 38, rel=1e-14)
    assert float(rep.by_target["edu_work"]) == pytest.approx(3_638_250, rel=1e-12)
    assert float(rep.total) == pytest.approx(1_795_500 + 3_638_250, rel=1e-12)


def test_pro_rata_boundaries():
    c = design6("pro_rata")
    # floor 30 % of 95 = 28.5: 28 pays 0; target 48 (>= 47.5) pays in full.
    got = repayment(c, counts6(qualifying=np.array([0, 28, 29, 47, 48, 95])))
    f = got.factor["edu_work"]
    assert f[0] == 0 and f[1] == 0
    assert f[2] == pytest.approx((29 / 95 - 0.3) / 0.2)
    assert f[3] == pytest.approx((47 / 95 - 0.3) / 0.2) and f[3] < 1
    assert f[4] == 1 and f[5] == 1
    assert got.met["edu_work"].tolist() == [False] * 4 + [True] * 2


def test_completer_denominator():
    c = Contract(
        1_000_000,
        targets=(Target("ew", "edu_work", 0.5, 1.0, denominator="completed"),),
    )
    assert count_keys("completed") == ("achieved_completed", "completed")
    # 78 completers: needed ceil(39) = 39. 40/78 = 51.3 % met; 38/78 = 48.7 % not.
    # The referred-based keys (45 of 95 = 47.4 %) are ignored by this target.
    got = repayment(c, counts6(qual_completed=np.array([38, 39, 40])))
    assert got.met["ew"].tolist() == [False, True, True]
    assert got.total.tolist() == [0.0, 1_000_000.0, 1_000_000.0]


@pytest.mark.parametrize(
    "extra",
    [
        {"rule": "threshold"},
        {"rule": "pro_rata", "floor": 0.0},
        {"rule": "graduated", "steps": ((0.0, 0.5), (0.5, 1.0))},
        {"rule": "threshold", "threshold": 0.0},
    ],
)
def test_denominator_zero_is_not_met(extra):
    kw = {"threshold": 0.5, **extra}
    c = Contract(
        1_000, targets=(Target("ew", "edu_work", weight=1.0, denominator="completed", **kw),)
    )
    got = repayment(c, counts6(completed=0, qual_completed=0))
    assert not bool(got.met["ew"])
    assert float(got.factor["ew"]) == 0.0 and float(got.total) == 0.0


def test_graduated_steps():
    steps = ((0.40, 0.25), (0.45, 0.50), (0.50, 1.00))
    c = Contract(
        2_000_000,
        premium=0.10,
        targets=(Target("ew", "edu_work", 0.5, 0.5, rule="graduated", steps=steps),),
    )
    # levels of 95: 0.40 -> 38, 0.45 -> ceil(42.75) = 43, 0.50 -> 48.
    got = repayment(c, counts6(qualifying=np.array([0, 37, 38, 42, 43, 45, 47, 48, 95])))
    assert got.factor["ew"].tolist() == [0, 0, 0.25, 0.25, 0.5, 0.5, 0.5, 1, 1]
    # amount = 0.5 × factor × 2,000,000 × 1.1 = factor × 1,100,000
    assert got.total[5] == pytest.approx(550_000)
    assert got.met["ew"].tolist() == [False] * 7 + [True] * 2
    assert max_repayment(c) == pytest.approx(1_100_000)


# --------------------------------------------------------------------------
# rate card, docs/reference-cases.md R5
# --------------------------------------------------------------------------

# 21 illustrative outcome lines in the style of a UK Fair Chance Fund rate card
# (GBP per person); (id, price, achieved count). Hand sum:
#  240,000 + 130,000 + 315,000 + 255,000 + 120,000 + 75,000 + 120,000
#  + 195,000 + 190,000 + 120,000 + 80,000 + 47,500 + 65,000 + 95,000
#  + 120,000 + 78,000 + 300,000 + 308,000 + 76,250 + 25,500 + 77,700 = 3,032,950
R5_LINES = [
    ("initial_assessment", 500, 480),
    ("entry_accommodation", 500, 260),
    ("accommodation_3m", 1500, 210),
    ("accommodation_6m", 1500, 170),
    ("accommodation_12m", 1000, 120),
    ("accommodation_18m", 1000, 75),
    ("entry_education", 500, 240),
    ("entry_level_qualification", 1500, 130),
    ("level1_qualification", 2000, 95),
    ("level2_qualification", 2500, 48),
    ("volunteering_6w", 500, 160),
    ("volunteering_13w", 500, 95),
    ("entry_part_time_work", 500, 130),
    ("entry_full_time_work", 500, 190),
    ("part_time_work_13w", 1500, 80),
    ("part_time_work_26w", 1500, 52),
    ("full_time_work_13w", 2500, 120),
    ("full_time_work_sustained_26w", 3500, 88),
    ("education_sustained_6m", 1250, 61),
    ("apprenticeship_start", 750, 34),
    ("wellbeing_improved", 350, 222),
]


def r5_contract(cap=2_513_800.0) -> Contract:
    lines = tuple(RateCardLine(i, i, price) for i, price, _ in R5_LINES)
    return Contract(3_000_000, rate_card=lines, cap=cap, currency="GBP")


def r5_counts(scale=1):
    return {i: {"achieved": np.asarray(k) * scale} for i, _, k in R5_LINES}


def test_r5_overall_cap_binds():
    assert len(R5_LINES) == 21
    assert sum(p * k for _, p, k in R5_LINES) == 3_032_950
    rep = repayment(r5_contract(), r5_counts())
    assert float(rep.subtotal) == 3_032_950  # earned at list prices
    assert float(rep.total) == 2_513_800  # paid: the contract maximum
    assert bool(rep.capped)
    assert float(rep.by_line["full_time_work_sustained_26w"]) == 3500 * 88
    # without the cap the list-price amount is paid
    assert float(repayment(r5_contract(cap=None), r5_counts()).total) == 3_032_950
    assert max_repayment(r5_contract()) == 2_513_800
    assert max_repayment(r5_contract(cap=None)) == math.inf


def test_rate_card_accepts_bare_count_arrays():
    counts = {i: np.array([k, 0]) for i, _, k in R5_LINES}
    rep = repayment(r5_contract(cap=None), counts)
    assert rep.total.tolist() == [3_032_950, 0]


def test_rate_card_line_max_count():
    line = RateCardLine("ft26", "ft26", price=3500, max_count=80)
    c = Contract(1_000_000, rate_card=(line,))
    rep = repayment(c, {"ft26": {"achieved": np.array([0, 79, 80, 88])}})
    # 3500 × min(count, 80)
    assert rep.by_line["ft26"].tolist() == [0, 276_500, 280_000, 280_000]
    assert rep.capped.tolist() == [False, False, False, True]
    assert max_repayment(c) == 280_000


def test_rate_card_line_cap():
    line = RateCardLine("entry", "entry", price=500, cap=60_000)
    c = Contract(1_000_000, rate_card=(line,))
    rep = repayment(c, {"entry": {"achieved": np.array([100, 120, 121, 190])}})
    # min(500 × count, 60,000)
    assert rep.by_line["entry"].tolist() == [50_000, 60_000, 60_000, 60_000]
    assert rep.capped.tolist() == [False, False, True, True]


def test_premium_not_applied_to_rate_card():
    c = Contract(
        1_000_000,
        premium=0.5,
        targets=(Target("t", "x", 0.5, 0.2),),
        rate_card=(RateCardLine("l", "y", price=1_000),),
    )
    rep = repayment(c, {"x": {"achieved": 10, "referred": 10}, "y": 7})
    # 0.2 × 1,000,000 × 1.5 + 7 × 1,000
    assert float(rep.total) == 300_000 + 7_000


# --------------------------------------------------------------------------
# afkastloft, afkastgulv, fund view
# --------------------------------------------------------------------------


def test_afkastloft_two_instalments():
    # G = 1,000,000 out at year 0; repaid 50 % after 1 year, 50 % after 2.
    # Return cap 8 %: R_max = G / (0.5/1.08 + 0.5/1.08²) = G × 2 × 1.08² / 2.08
    #   = 1,000,000 × 2.3328 / 2.08 = 1,121,538.4615...
    r_max = 1_000_000 * 2 * 1.08**2 / 2.08
    assert r_max == pytest.approx(1_121_538.4615, abs=1e-3)
    c = Contract(
        1_000_000,
        premium=0.20,
        targets=(Target("t", "x", 0.5, 1.0),),
        max_annual_return=0.08,
        schedule=((1.0, 0.5), (2.0, 0.5)),
    )
    assert c.return_cap_amount == pytest.approx(r_max, rel=1e-14)
    rep = repayment(c, {"x": {"achieved": np.array([10, 0]), "referred": 10}})
    # met: 1,200,000 earned, capped at R_max; not met: 0 (below the cap).
    assert rep.total[0] == pytest.approx(r_max, rel=1e-14)
    assert rep.subtotal[0] == pytest.approx(1_200_000)
    assert rep.capped.tolist() == [True, False]
    fv = fund_view(c, rep.total)
    assert fv.irr[0] == pytest.approx(0.08, abs=1e-12)
    assert fv.irr[1] == -1
    assert max_repayment(c) == pytest.approx(r_max, rel=1e-14)


def test_afkastgulv_floor():
    # max_loss 40 %: the fund gets back at least 0.6 × 1,000,000 = 600,000.
    c = Contract(
        1_000_000, premium=0.1, targets=(Target("t", "x", 0.5, 1.0),), max_loss=0.4, cap=1_050_000
    )
    rep = repayment(c, {"x": {"achieved": np.array([0, 4, 5]), "referred": 10}})
    assert rep.total.tolist() == [600_000, 600_000, 1_050_000]
    assert rep.floored.tolist() == [True, True, False]
    assert rep.capped.tolist() == [True, True, True]  # floor, floor, cap (1,100,000)
    assert fund_view(c, rep.total).loss.tolist() == [True, True, False]


def test_fund_irr_closed_forms():
    # One instalment after 2 years: (1 + ρ)² = multiple.
    c = Contract(1_000_000, schedule=((2.0, 1.0),))
    fv = fund_view(c, np.array([0.0, 250_000, 1_000_000, 1_166_400]))
    np.testing.assert_allclose(fv.irr, [-1, -0.5, 0, 0.08], atol=1e-12)
    # Two annual halves and multiple 1.5: 0.75 v + 0.75 v² = 1 with v = 1/(1+ρ)
    # → v = (−0.75 + sqrt(0.5625 + 3)) / 1.5.
    v = (-0.75 + math.sqrt(0.5625 + 3)) / 1.5
    c2 = Contract(1_000_000, schedule=((1.0, 0.5), (2.0, 0.5)))
    assert float(fund_view(c2, 1_500_000).irr) == pytest.approx(1 / v - 1, rel=1e-12)
    # 30 % at year 0: year-0 share alone returns the grant when total >= G / 0.3.
    c3 = Contract(1_000_000, schedule=((0.0, 0.3), (3.0, 0.7)))
    irr3 = fund_view(c3, np.array([1_000_000, 3_400_000, 1e12])).irr
    assert irr3[0] == pytest.approx(0, abs=1e-12) and np.isinf(irr3[1:]).all()
    # Everything at year 0 (default schedule): no rate of return is defined.
    irr0 = fund_view(Contract(1_000_000), np.array([0, 5e5, 2e6])).irr
    assert irr0[0] == -1 and np.isnan(irr0[1:]).all()


def test_fund_irr_solves_equation_many_values():
    sched = ((0.5, 0.2), (1.5, 0.3), (4.0, 0.5))
    c = Contract(1_000_000, schedule=sched)
    totals = np.random.default_rng(3).uniform(1, 3e6, size=2_000)
    fv = fund_view(c, totals)
    v = 1 / (1 + fv.irr)
    npv = sum(s * totals * v**t for t, s in sched) - 1_000_000
    np.testing.assert_allclose(npv, 0, atol=1e-6)


# --------------------------------------------------------------------------
# results objects and inputs
# --------------------------------------------------------------------------


def test_to_frame_and_repr():
    rep = repayment(design6(), counts6(qualifying=np.array([45, 48])))
    df = rep.to_frame()
    assert list(df.columns[:4]) == ["total", "subtotal", "capped", "floored"]
    assert df["total"].tolist() == pytest.approx([1_795_500, 5_985_000])
    assert df["met[edu_work]"].tolist() == [False, True]
    assert df.index.name == "draw"
    assert "2 draws" in repr(rep)
    assert len(repayment(design6(), counts6()).to_frame()) == 1  # scalar = one draw
    assert list(fund_view(design6(), rep.total).to_frame().columns) == ["multiple", "loss", "irr"]


def test_missing_counts_are_named():
    with pytest.raises(KeyError, match="edu_work"):
        repayment(design6(), {"completion": {"achieved": 1, "referred": 2}})
    c = Contract(1, targets=(Target("t", "x", 0.5, 1.0, denominator="completed"),))
    with pytest.raises(KeyError, match="achieved_completed"):
        repayment(c, {"x": {"achieved": 1, "referred": 2}})


# --------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------


def _target(**kw):
    base = {"id": "t", "indicator": "x", "threshold": 0.5, "weight": 0.5}
    return Target(**{**base, **kw}, where="contract.targets[1]")


@pytest.mark.parametrize(
    ("build", "path", "value"),
    [
        (lambda: _target(threshold=1.5), "contract.targets[1].threshold", "1.5"),
        (lambda: _target(threshold="80%"), "contract.targets[1].threshold", "'80%'"),
        (lambda: _target(weight=-0.1), "contract.targets[1].weight", "-0.1"),
        (
            lambda: _target(rule="pro_rata", floor=0.5),
            "contract.targets[1].floor",
            "0.5",
        ),
        (lambda: _target(rule="pro_rata"), "contract.targets[1].floor", "(missing)"),
        (lambda: _target(floor=0.2), "contract.targets[1].floor", "0.2"),
        (
            lambda: _target(rule="graduated", steps=((0.3, 0.5), (0.2, 1.0))),
            "contract.targets[1].steps[1]",
            "(0.2, 1.0)",
        ),
        (
            lambda: Contract(
                1_000,
                targets=(
                    Target("a", "x", 0.5, 0.6),
                    Target("b", "x", 0.5, 0.5),
                ),
            ),
            "contract.targets",
            "1.1",
        ),
        (
            lambda: RateCardLine("l", "x", price=-5, where="contract.rate_card[3]"),
            "contract.rate_card[3].price",
            "-5",
        ),
        (
            lambda: RateCardLine("l", "x", price=5, max_count=2.5, where="contract.rate_card[0]"),
            "contract.rate_card[0].max_count",
            "2.5",
        ),
        (lambda: Contract(0), "contract.grant", "0"),
        (
            lambda: Contract(1_000, schedule=((1.0, 0.5), (2.0, 0.4))),
            "contract.schedule",
            "[[1.0, 0.5], [2.0, 0.4]]",
        ),
        (
            lambda: Contract(1_000, schedule=((2.0, 0.5), (1.0, 0.5))),
            "contract.schedule[1]",
            "(1.0, 0.5)",
        ),
        (lambda: Contract(1_000, max_loss=1.2), "contract.max_loss", "1.2"),
        (lambda: Contract(1_000, cap=500, max_loss=0.2), "contract.max_loss", "0.2"),
        (
            lambda: Contract(1_000, max_annual_return=0.08),
            "contract.schedule",
            "[[0.0, 1.0]]",
        ),
        (
            lambda: Contract(1_000, targets=(Target("a", "x", 0.5, 0.1),) * 2),
            "contract.targets[1].id",
            "'a'",
        ),
    ],
)
def test_invalid_inputs_name_path_and_value(build, path, value):
    with pytest.raises(ScenarioError) as info:
        build()
    text = str(info.value)
    assert f"{path}: got {value};" in text, text


@pytest.mark.parametrize(
    ("field", "value", "suggestion"),
    [
        ("rule", "prorata", "pro_rata"),
        ("rule", "treshold", "threshold"),
        ("denominator", "completers", "completed"),
    ],
)
def test_unknown_choice_suggests_close_match(field, value, suggestion):
    with pytest.raises(ScenarioError, match=f"did you mean '{suggestion}'") as info:
        _target(**{field: value})
    assert f"contract.targets[1].{field}: got {value!r}" in str(info.value)


def test_all_problems_reported_together():
    with pytest.raises(ScenarioError) as info:
        Target("", "x", threshold=2, weight=3, rule="steps")
    where = [p.where for p in info.value.problems]
    assert where == ["target.id", "target.threshold", "target.weight", "target.rule"]


def test_toml_like_lists_become_tuples():
    t = Target("g", "x", 0.5, 1.0, rule="graduated", steps=[[0.25, 0.5], [0.5, 1]])
    c = Contract(100, targets=[t], schedule=[[1, 0.5], [2, 0.5]])
    assert t.steps == ((0.25, 0.5), (0.5, 1.0))
    assert c.targets == (t,) and c.schedule == ((1.0, 0.5), (2.0, 0.5))
    hash(c)  # frozen and hashable


# --------------------------------------------------------------------------
# property tests
# --------------------------------------------------------------------------

INDICATORS = ("a", "b", "c")


@st.composite
def contracts(draw):
    grant = draw(st.integers(10_000, 10_000_000))
    targets = []
    n_targets = draw(st.integers(0, 3))
    raw_weights = [draw(st.floats(0, 1)) for _ in range(n_targets)]
    scale = max(1.0, sum(raw_weights))
    for i, w in enumerate(raw_weights):
        threshold = draw(st.integers(0, 100)) / 100
        rule = draw(st.sampled_from(RULES))
        kw = {}
        if rule == "pro_rata":
            if threshold == 0:
                rule = "threshold"
            else:
                kw["floor"] = threshold * draw(st.integers(0, 99)) / 100
        if rule == "graduated":
            levels = sorted(draw(st.sets(st.integers(0, 100), min_size=1, max_size=4)))
            facs = sorted(
                draw(st.sets(st.integers(1, 100), min_size=len(levels), max_size=len(levels)))
            )
            kw["steps"] = tuple((lv / 100, f / 100) for lv, f in zip(levels, facs, strict=True))
        targets.append(
            Target(
                f"t{i}",
                draw(st.sampled_from(INDICATORS)),
                threshold,
                w / scale,
                denominator=draw(st.sampled_from(("referred", "completed"))),
                rule=rule,
                **kw,
            )
        )
    lines = [
        RateCardLine(
            f"l{i}",
            draw(st.sampled_from(INDICATORS)),
            draw(st.integers(0, 5_000)),
            max_count=draw(st.none() | st.integers(0, 100)),
            cap=draw(st.none() | st.integers(0, 200_000)),
        )
        for i in range(draw(st.integers(0, 3)))
    ]
    cap = draw(st.none() | st.integers(0, 2 * grant))
    max_loss = draw(st.none() | st.floats(0, 1))
    if cap is not None and max_loss is not None and grant * (1 - max_loss) > cap:
        max_loss = None
    n_inst = draw(st.integers(1, 3))
    times = sorted(draw(st.sets(st.integers(0, 10), min_size=n_inst, max_size=n_inst)))
    shares = [draw(st.integers(1, 10)) for _ in times]
    schedule = tuple((float(t), s / sum(shares)) for t, s in zip(times, shares, strict=True))
    max_annual_return = draw(st.none() | st.floats(0, 0.3))
    if max_annual_return is not None and times[-1] == 0:
        schedule = ((1.0, 1.0),)
    return Contract(
        grant,
        premium=draw(st.floats(0, 0.2)),
        targets=tuple(targets),
        rate_card=tuple(lines),
        cap=cap,
        max_loss=max_loss,
        max_annual_return=max_annual_return,
        schedule=schedule,
    )


@st.composite
def count_sets(draw, draws=6):
    """Counts for every indicator, ``draws`` draws, consistent (achieved <= n)."""
    counts = {}
    for ind in INDICATORS:
        cols = {"achieved": [], "referred": [], "achieved_completed": [], "completed": []}
        for _ in range(draws):
            n = draw(st.integers(0, 150))
            done = draw(st.integers(0, n))
            cols["referred"].append(n)
            cols["achieved"].append(draw(st.integers(0, n)))
            cols["completed"].append(done)
            cols["achieved_completed"].append(draw(st.integers(0, done)))
        counts[ind] = {k: np.array(v) for k, v in cols.items()}
    return counts


@settings(max_examples=200, deadline=None)
@given(contracts(), count_sets())
def test_repayment_bounds(contract, counts):
    total = repayment(contract, counts).total
    assert (total >= 0).all()
    assert (total <= max_repayment(contract) * (1 + 1e-12)).all()
    if contract.cap is not None:
        assert (total <= contract.cap).all()
    assert (total >= contract.floor_amount).all()


@settings(max_examples=200, deadline=None)
@given(
    contracts(),
    count_sets(),
    st.sampled_from(INDICATORS),
    st.sampled_from(("achieved", "achieved_completed")),
    st.integers(1, 50),
)
def test_repayment_never_falls_when_an_achieved_count_rises(contract, counts, ind, key, delta):
    before = repayment(contract, counts)
    denominator = counts[ind]["referred" if key == "achieved" else "completed"]
    more = {k: dict(v) for k, v in counts.items()}
    more[ind][key] = np.minimum(counts[ind][key] + delta, denominator)
    after = repayment(contract, more)
    assert (after.total >= before.total).all()
    for tid in before.factor:
        assert (after.factor[tid] >= before.factor[tid]).all()


# --------------------------------------------------------------------------
# vectorisation and speed
# --------------------------------------------------------------------------


def full_contract() -> Contract:
    return Contract(
        5_700_000,
        premium=0.05,
        targets=(
            Target("completion", "completion", 0.8, 0.3),
            Target("edu_work", "edu_work", 0.5, 0.4, rule="pro_rata", floor=0.3),
            Target(
                "edu_work_c",
                "edu_work",
                0.6,
                0.2,
                denominator="completed",
                rule="graduated",
                steps=((0.4, 0.3), (0.5, 0.6), (0.6, 1.0)),
            ),
        ),
        rate_card=(
            RateCardLine("ft26", "edu_work", 20_000, max_count=40),
            RateCardLine("entry", "completion", 2_000, cap=120_000),
        ),
        cap=6_000_000,
        max_loss=0.5,
        max_annual_return=0.06,
        schedule=((1.0, 0.5), (2.0, 0.5)),
    )


def random_counts(size, seed=7):
    rng = np.random.default_rng(seed)
    n = 95
    completed = rng.binomial(n, rng.beta(16, 4, size))
    edu = rng.binomial(n, rng.beta(10, 10, size))
    edu_c = rng.binomial(completed, 0.55)
    return {
        "completion": {"achieved": completed, "referred": n},
        "edu_work": {
            "achieved": edu,
            "referred": n,
            "achieved_completed": edu_c,
            "completed": completed,
        },
    }


def test_vectorised_equals_per_draw_scalars():
    contract = full_contract()
    counts = random_counts(1_000_000)
    rep = repayment(contract, counts)
    assert rep.total.shape == (1_000_000,)
    assert rep.capped.any() and rep.floored.any() and not rep.capped.all()
    sample = np.random.default_rng(1).choice(1_000_000, size=300, replace=False)
    for i in sample:
        one = {
            k: {kk: int(np.asarray(vv)[i] if np.ndim(vv) else vv) for kk, vv in v.items()}
            for k, v in counts.items()
        }
        r1 = repayment(contract, one)
        assert r1.total.shape == ()
        assert float(r1.total) == pytest.approx(rep.total[i], rel=1e-14)
        assert bool(r1.capped) == rep.capped[i]
        for tid in rep.factor:
            assert float(r1.factor[tid]) == rep.factor[tid][i]
            assert bool(r1.met[tid]) == rep.met[tid][i]
        for lid in rep.by_line:
            assert float(r1.by_line[lid]) == rep.by_line[lid][i]


def test_max_repayment_rounds_like_repayment():
    """Found by hypothesis: weight 5e-324 with a graduated factor 0.01 gave a repayment of 4.94e-322
    while max_repayment (weight × factor × unit, which underflows to 0) said 0."""
    c = Contract(10_000.0, targets=(Target("t0", "b", 0.0, 5e-324, rule="graduated", steps=((0.0, 0.01),)),))
    rep = repayment(c, {"b": {"achieved": np.array([0]), "referred": np.array([1])}})
    assert rep.total[0] <= max_repayment(c)


def test_needed_count_is_one_function():
    """contract and stats name the same object; hand-calculated cases."""
    from simkit import stats
    from simkit.errors import InputError

    assert stats.needed_count is needed_count
    assert int(needed_count(0.55, 100)) == 55  # 0.55 * 100 = 55.00000000000001, still 55
    assert int(needed_count(0.8, 95)) == 76  # 0.8 * 95 = 76 exactly
    with pytest.raises(InputError):
        needed_count(1.2, 10)
