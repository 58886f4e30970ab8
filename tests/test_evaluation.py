"""Evaluation of observed data against the payment targets (simkit.evaluation).

Expected values are independent of the code under test: statuses of small
hand-made datasets are written out by hand (day counts in the comments,
inclusive of both the first and the last day of a spell), predictive
probabilities come from beta-binomial sums written here with math.lgamma,
and the coverage check compares with the known true rates of a scenario
whose parameters are all fixed.

The default scenario: agreement start 2025-11-01, outcome window end
2027-10-31, measurement date 2028-04-30, 26 weeks = 182 days, full time =
37 hours a week, course length 26 weeks = 182 days.
"""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import special

import simkit
from simkit.errors import DataError, InputError
from simkit.evaluation import EvaluationResult, evaluate
from simkit.synth import synthesize

from .conftest import fixed_scenario

COLS = ["id", "referral_date", "course_status", "course_status_date", "outcome_type",
        "outcome_start", "outcome_end", "weekly_hours", "dp_award_date", "qol_baseline",
        "qol_followup"]


def person(pid, ref, course="ongoing", course_date="", kind="", start="", end="", hours="",
           dp="", qb="", qf=""):
    if kind and not hours:
        hours = "37"
    return [pid, ref, course, course_date, kind, start, end, hours, dp, qb, qf]


def frame(*rows) -> pd.DataFrame:
    return pd.DataFrame([list(r) for r in rows], columns=COLS)


def scenario(cohort: int, intake_to: str = "2026-10-31", targets=None):
    """The default scenario with a small cohort referred in one intake window."""
    layer: dict = {"agreement": {"cohort_size": cohort, "intake": [
        {"from": "2025-11-01", "to": intake_to, "count": cohort}]}}
    if targets is not None:
        layer["contract"] = {"targets": targets}
    return simkit.load_scenario(["norddjurs_v1", layer])


def betabinom_tail(k: int, m: int, a: float, b: float) -> float:
    """P(X >= k), X ~ BetaBinomial(m, a, b), summed term by term with lgamma."""
    def log_beta(x, y):
        return math.lgamma(x) + math.lgamma(y) - math.lgamma(x + y)

    total = 0.0
    for x in range(max(k, 0), m + 1):
        log_c = math.lgamma(m + 1) - math.lgamma(x + 1) - math.lgamma(m - x + 1)
        total += math.exp(log_c + log_beta(x + a, m - x + b) - log_beta(a, b))
    return total


@pytest.fixture(scope="module")
def default():
    # the 0.1 model's observed format and targets (the declarative model's evaluation: test_model_cli.py)
    return simkit.load_scenario("norddjurs_v1")


# ---------------------------------------------------------------------------
# statuses on hand-made data
# ---------------------------------------------------------------------------


def test_final_statuses_by_hand(default):
    data = frame(
        # 2026-08-03 .. 2027-01-31 is 182 days: exactly 26 weeks -> achieved
        person("A", "2026-01-05", "completed", "2026-07-06", "job", "2026-08-03", "2027-01-31"),
        # 2026-08-03 .. 2027-01-30 is 181 days: one day short -> failed at the end
        person("B", "2026-01-05", "completed", "2026-07-06", "job", "2026-08-03", "2027-01-30"),
        # part-time (30 h < 37 h) for years: does not count
        person("C", "2026-01-05", "completed", "2026-07-06", "job", "2026-08-03", "", "30"),
        # starts the day after the outcome window closed: does not count
        person("D", "2026-01-05", "completed", "2026-07-06", "education", "2027-11-01"),
        # starts on the window's last day, still running: 2027-10-31 .. 2028-04-30 is 183 days
        person("E", "2026-01-05", "completed", "2026-07-06", "job", "2027-10-31"),
        person("F", "2026-01-05", "dropped_out", "2026-02-01"),
        # referred on the agreement's last day, course still ongoing at the measurement date
        person("G", "2027-10-31"),
    )
    res = evaluate(data, default)
    assert res.as_of == dt.date(2028, 4, 30) and not res.interim
    assert res.n_referred == 7 and res.final_denominator == 7
    c, e = res.target("completion"), res.target("edu_work")
    assert (c.achieved, c.failed, c.pending, c.denominator) == (5, 1, 1, 7)
    assert (e.achieved, e.failed, e.pending, e.denominator) == (2, 5, 0, 7)
    # completion: 5 of 7 now, 6 of 7 at best < 80 % (needs 6 of 7: ceil(5.6)) -> undecided
    assert c.needed_final == 6 and c.status == "undecided"
    assert e.status == "not_met" and e.p_met_final == 0.0
    assert e.rate == pytest.approx(2 / 7) and c.rate == pytest.approx(5 / 6)
    assert any("still ongoing at the measurement date" in n for n in res.notes)


@pytest.mark.parametrize(("as_of", "edu_a", "edu_p"), [
    # the running spell 2026-01-05.. has lasted 182 days on 2026-07-05 (achieved), 181 the day before
    ("2026-07-05", 1, 3),
    ("2026-07-04", 0, 4),
])
def test_interim_running_spell_and_referral_on_the_as_of_day(default, as_of, edu_a, edu_p):
    data = frame(
        person("A", "2025-11-10", "completed", "2026-05-11", "job", "2026-01-05"),
        # spell ended after 31 days: pending until the window closes (may start another)
        person("B", "2025-11-10", "completed", "2026-05-11", "job", "2026-01-05", "2026-02-04"),
        person("C", "2025-11-10", "dropped_out", "2025-12-01"),
        # referred on the as-of date: in the denominator, pending
        person("D", as_of),
        # referred the day after: not yet referred
        person("E", (dt.date.fromisoformat(as_of) + dt.timedelta(days=1)).isoformat()),
    )
    res = evaluate(data, default, as_of)
    assert res.interim and res.n_referred == 4
    e, c = res.target("edu_work"), res.target("completion")
    assert (e.achieved, e.failed, e.pending, e.denominator) == (edu_a, 0, edu_p, 4)
    assert (c.achieved, c.failed, c.pending) == (2, 1, 1)
    # before the intake closes the final denominator is max(cohort size 95, rows 5)
    assert res.final_denominator == 95 and res.n_not_yet_referred == 91
    running = [g for g in e.groups if g.name == "spell running"]
    assert [g.size for g in running] == ([1] if edu_a == 0 else [])


def test_as_of_before_anyone_is_referred(default):
    data = frame(person("A", "2026-01-05"), person("B", "2026-02-05"))
    res = evaluate(data, default, "2025-12-01")
    assert res.n_referred == 0 and res.final_denominator == 95
    for t in res.targets:
        assert (t.achieved, t.failed, t.pending, t.denominator) == (0, 0, 0, 0)
        assert t.status == "undecided" and math.isnan(t.rate) and math.isnan(t.ci_low)
        assert 0.0 <= t.p_met_final <= 1.0
    assert res.repayment.min == 0.0
    assert res.repayment.max == pytest.approx(5_700_000 * 1.05)
    d = json.loads(res.to_json())
    assert d["targets"]["completion"]["rate"] is None


# ---------------------------------------------------------------------------
# met / not met / undecided
# ---------------------------------------------------------------------------


def _completion_rows(n_completed, n_dropped, n_ongoing):
    rows = [person(f"C{i}", "2025-11-03", "completed", "2026-05-04") for i in range(n_completed)]
    rows += [person(f"D{i}", "2025-11-03", "dropped_out", "2026-01-05") for i in range(n_dropped)]
    rows += [person(f"O{i}", "2026-05-15") for i in range(n_ongoing)]
    return frame(*rows)


@pytest.mark.parametrize(("counts", "status"), [
    ((8, 0, 2), "met"),        # 8 of 10 whatever the 2 in the course do
    ((7, 1, 2), "undecided"),  # 7 now, 9 at best
    ((6, 3, 1), "not_met"),    # 7 at best < 8
])
def test_completion_status_referred_denominator(counts, status):
    sc = scenario(10)
    res = evaluate(_completion_rows(*counts), sc, "2026-06-01")
    c = res.target("completion")
    assert c.needed_final == 8 and c.status == status
    assert c.p_met_final == {"met": 1.0, "not_met": 0.0}.get(status, c.p_met_final)
    assert 0 < c.p_met_final < 1 or status != "undecided"


def test_not_yet_referred_count_towards_the_final_denominator():
    sc = scenario(10)
    # 8 of 10 needed; 6 completed, 4 still to be referred -> undecided, not met
    res = evaluate(_completion_rows(6, 0, 0), sc, "2026-06-01")
    c = res.target("completion")
    assert res.n_not_yet_referred == 4 and c.worst_case == (6, 10) and c.best_case == (10, 10)
    assert c.status == "undecided"
    # 8 completed of a cohort of 10: met even if the other 2 never complete
    assert evaluate(_completion_rows(8, 0, 0), sc, "2026-06-01").target("completion").status == "met"
    # after the intake closed, rows missing from the cohort size are not expected any more
    res = evaluate(_completion_rows(6, 0, 0), sc, "2026-11-15")
    assert res.n_not_yet_referred == 0 and res.final_denominator == 6
    assert res.target("completion").status == "met"


COMPLETER_TARGET = [{"id": "edu_completers", "indicator": "edu_work", "threshold": 0.5,
                     "weight": 1.0, "denominator": "completed"}]


def _completer_rows(aa=0, af=0, pf=0, pa=0):
    """aa: completed + qualifying spell; af: completed, no spell; pf: still in the course, no
    spell; pa: still in the course with a qualifying spell. Evaluated after the window closed."""
    rows = [person(f"AA{i}", "2025-11-03", "completed", "2026-05-04", "job", "2026-06-01")
            for i in range(aa)]
    rows += [person(f"AF{i}", "2025-11-03", "completed", "2026-05-04") for i in range(af)]
    rows += [person(f"PF{i}", "2025-11-03") for i in range(pf)]
    rows += [person(f"PA{i}", "2025-11-03", "ongoing", "", "job", "2026-06-01") for i in range(pa)]
    return frame(*rows)


@pytest.mark.parametrize(("rows", "status", "worst", "best"), [
    # 2 of 3 completers now (67 %); if both still in the course complete (without a spell, the
    # window has closed) it is 2 of 5 = 40 %: an extra completer who fails lowers the rate
    (dict(aa=2, af=1, pf=2), "undecided", (2, 5), (2, 3)),
    # one in the course: 2 of 4 = 50 % at worst -> met
    (dict(aa=2, af=1, pf=1), "met", (2, 4), (2, 3)),
    # 1 of 4 now; the one in the course has a spell: 2 of 5 = 40 % at best -> not met
    (dict(aa=1, af=3, pa=1), "not_met", (1, 4), (2, 5)),
    # two such: 3 of 6 = 50 % at best
    (dict(aa=1, af=3, pa=2), "undecided", (1, 4), (3, 6)),
])
def test_completer_denominator_statuses(rows, status, worst, best):
    n = sum(rows.values())
    sc = scenario(n, intake_to="2026-04-30", targets=COMPLETER_TARGET)
    t = evaluate(_completer_rows(**rows), sc, "2027-12-01").target("edu_completers")
    assert t.status == status
    assert t.worst_case == worst and t.best_case == best
    assert t.denominator == rows.get("aa", 0) + rows.get("af", 0)


def test_completer_target_predictive_monte_carlo_against_closed_form():
    # 2 of 3 completers succeed; 2 persons in the course can no longer succeed. Met unless both
    # complete: P = 1 - E[p^2] with p ~ Beta(3.5, 0.5) (Jeffreys + the 3 completers, referred
    # more than 26 weeks earlier) = 1 - 3.5*4.5/(4*5) = 0.2125.
    sc = scenario(5, intake_to="2026-04-30", targets=COMPLETER_TARGET)
    t = evaluate(_completer_rows(aa=2, af=1, pf=2), sc, "2027-12-01").target("edu_completers")
    assert t.p_met_final_method == "monte_carlo"
    se = math.sqrt(0.2125 * 0.7875 / 20_000)
    assert abs(t.p_met_final - 0.2125) < 4 * se


# ---------------------------------------------------------------------------
# predictive probability: exact beta-binomial with one pending group
# ---------------------------------------------------------------------------


def test_predictive_completion_one_group_is_beta_binomial():
    sc = scenario(20)
    # 12 referred 2025-11-03 (more than 182 days before the as-of date): 9 completed, 3 dropped;
    # 8 of the cohort of 20 not yet referred; 16 needed (80 %), so 7 more of the 8.
    rows = [person(f"C{i}", "2025-11-03", "completed", "2026-05-04") for i in range(9)]
    rows += [person(f"D{i}", "2025-11-03", "dropped_out", "2026-01-05") for i in range(3)]
    t = evaluate(frame(*rows), sc, "2026-06-01").target("completion")
    (g,) = t.groups
    assert (g.size, g.a, g.b, g.basis) == (8, 9.5, 3.5, "data")
    assert t.p_met_final_method == "exact"
    assert t.p_met_final == pytest.approx(betabinom_tail(7, 8, 9.5, 3.5), abs=1e-12)

    # a recent dropout (referred less than a course length ago) is decided but stays out of the
    # reference set (dropouts are decided before completers); two recent referrals still in the
    # course join the not-yet-referred in the one group: 2 + (20 - 15) = 7 pending, all 7 needed
    rows += [person("D9", "2026-05-01", "dropped_out", "2026-05-20"),
             person("O1", "2026-05-15"), person("O2", "2026-05-20")]
    t = evaluate(frame(*rows), sc, "2026-06-01").target("completion")
    (g,) = t.groups
    assert (g.size, g.a, g.b) == (7, 9.5, 3.5)
    assert (g.reference_successes, g.reference_trials) == (9, 12)
    assert t.p_met_final == pytest.approx(betabinom_tail(7, 7, 9.5, 3.5), abs=1e-12)


def test_predictive_running_spells_one_group_is_beta_binomial():
    # As of 2027-12-01 the window has closed. Two spells running (started 2027-09-01 and
    # 2027-10-01: 92 and 62 days so far). Reference: full-time spells started by 2027-06-03 that
    # lasted >= 62 days: two reached 182 days, one ended after 91 days (2026-03-02..2026-05-31);
    # one that ended after 30 days and a part-time one are left out -> Beta(2.5, 1.5).
    # 2 achieved of 7; 4 needed -> both running spells must qualify:
    # P = B(4.5, 1.5) / B(2.5, 1.5) = Gamma(4.5) Gamma(4) / (Gamma(2.5) Gamma(6)) = 0.4375.
    rows = [
        person("R1", "2025-11-03", "completed", "2026-05-04", "job", "2027-09-01"),
        person("R2", "2025-11-03", "completed", "2026-05-04", "job", "2027-10-01"),
        person("F1", "2025-11-03", "completed", "2026-05-04", "job", "2026-03-02"),
        person("F2", "2025-11-03", "completed", "2026-05-04", "job", "2026-03-02", "2026-12-31"),
        person("F3", "2025-11-03", "completed", "2026-05-04", "job", "2026-03-02", "2026-05-31"),
        person("F4", "2025-11-03", "completed", "2026-05-04", "job", "2026-03-02", "2026-03-31"),
        person("F5", "2025-11-03", "completed", "2026-05-04", "job", "2026-03-02", "", "20"),
    ]
    sc = scenario(7, intake_to="2026-04-30")
    t = evaluate(frame(*rows), sc, "2027-12-01").target("edu_work")
    assert (t.achieved, t.failed, t.pending) == (2, 3, 2)
    (g,) = t.groups
    assert (g.name, g.size, g.a, g.b) == ("spell running", 2, 2.5, 1.5)
    assert (g.reference_successes, g.reference_trials) == (2, 3)
    assert t.p_met_final == pytest.approx(0.4375, abs=1e-12)
    assert t.p_met_final == pytest.approx(betabinom_tail(2, 2, 2.5, 1.5), abs=1e-12)


# ---------------------------------------------------------------------------
# repayment
# ---------------------------------------------------------------------------


def test_repayment_min_max_expected_by_hand():
    # Threshold rule, completion 30 %, education/work 70 % of G (1 + r) = 1,000,000 x 1.05.
    # As of 2027-12-01 (window closed): 6 of 10 have a qualifying spell (>= 5 needed: met);
    # completion 6 completed, 1 dropped, 3 still in the course: needs 8 -> 2 of the 3.
    sc = simkit.load_scenario(["norddjurs_v1", {
        "agreement": {"cohort_size": 10, "intake": [
            {"from": "2025-11-01", "to": "2026-04-30", "count": 10}]},
        "contract": {"grant": 1_000_000, "premium": 0.05, "targets": [
            {"id": "completion", "indicator": "completion", "threshold": 0.8, "weight": 0.3},
            {"id": "edu_work", "indicator": "edu_work", "threshold": 0.5, "weight": 0.7}]},
    }])
    rows = [person(f"C{i}", "2025-11-03", "completed", "2026-05-04", "job", "2026-06-01")
            for i in range(6)]
    rows += [person("D", "2025-11-03", "dropped_out", "2026-01-05")]
    rows += [person(f"O{i}", "2025-11-03") for i in range(3)]
    res = evaluate(frame(*rows), sc, "2027-12-01")
    c, e = res.target("completion"), res.target("edu_work")
    assert e.status == "met" and c.status == "undecided"
    # completion group: 3 in the course, Beta(0.5 + 6, 0.5 + 1) from the 7 decided
    p = betabinom_tail(2, 3, 6.5, 1.5)
    assert c.p_met_final == pytest.approx(p, abs=1e-12)
    r = res.repayment
    assert not r.exact
    assert r.min == pytest.approx(735_000) and r.max == pytest.approx(1_050_000)
    expected = 735_000 + 315_000 * p
    assert abs(r.expected - expected) < 4 * r.expected_se
    assert r.expected_se < 2_000


def test_repayment_exact_when_everything_is_decided(default):
    # The worked example of docs/design.md with this scenario's contract (equal weights, 5 % premium):
    # 78 of 95 completed (met), 45 of 95 in education/work (not met) -> 0.5 x 5,700,000 x 1.05
    rows = []
    for i in range(95):
        done = i < 78
        spell = ("job", "2026-06-01") if i < 45 else ("", "")
        rows.append(person(f"P{i}", "2025-11-03", "completed" if done else "dropped_out",
                           "2026-05-04" if done else "2026-01-05", *spell))
    res = evaluate(frame(*rows), default)
    c, e = res.target("completion"), res.target("edu_work")
    assert (c.achieved, c.failed, e.achieved, e.failed) == (78, 17, 45, 50)
    assert (c.status, e.status) == ("met", "not_met")
    assert res.repayment.exact
    assert res.repayment.min == res.repayment.max == res.repayment.expected == 2_992_500
    # Clopper-Pearson on all 95 (simkit.stats docstring: 0.729, 0.8922) and the Jeffreys
    # posterior P(p >= 0.8) = 1 - I_0.8(78.5, 17.5)
    assert (round(c.ci_low, 4), round(c.ci_high, 4)) == (0.729, 0.8922)
    assert c.p_rate_at_least == pytest.approx(float(special.betaincc(78.5, 17.5, 0.8)), rel=1e-12)


def test_scenario_prior_uses_the_completion_rate_beta(default):
    data = _completion_rows(7, 1, 0)
    res = evaluate(data, default, prior="scenario")
    dist = default.parameters["completion_rate"].dist
    c = res.target("completion")
    assert c.prior == pytest.approx((dist.a, dist.b))
    assert c.p_rate_at_least == pytest.approx(
        float(special.betaincc(dist.a + 7, dist.b + 1, 0.8)), rel=1e-12)
    e = res.target("edu_work")
    assert 0 < e.prior[0] and 0 < e.prior[1] and res.provenance.prior == "scenario"


# ---------------------------------------------------------------------------
# disability pension, quality of life
# ---------------------------------------------------------------------------


def test_disability_pension_and_quality_of_life(default):
    base = [40, 35, 50, 44, 38, 41]
    follow = [45, 35, 49, 50, "", 47]
    rows = [person(f"P{i}", "2025-11-03", "completed", "2026-05-04", qb=str(b), qf=str(f))
            for i, (b, f) in enumerate(zip(base, follow, strict=True))]
    rows[0][8] = "2027-03-01"  # one award
    res = evaluate(frame(*rows), default)
    d = res.disability_pension
    assert d.observed == 1 and d.expected > 0 and d.low <= d.expected <= d.high
    assert 0 <= d.p_at_most_observed <= 1 and d.expected_bau >= 0
    q = res.quality_of_life
    diffs = np.array([5, 0, -1, 6, 6], dtype=float)   # the pair with a blank follow-up drops out
    assert (q.instrument, q.n_pairs, q.n_incomplete) == ("WEMWBS", 5, 1)
    assert q.mean_diff == pytest.approx(diffs.mean())
    half = 2.7764451051977987 * diffs.std(ddof=1) / math.sqrt(5)   # t_{0.975, 4}
    assert (q.ci_low, q.ci_high) == pytest.approx((diffs.mean() - half, diffs.mean() + half))


# ---------------------------------------------------------------------------
# outputs
# ---------------------------------------------------------------------------


def test_json_structure_and_keys(default):
    res = evaluate(synthesize(default, seed=4, as_of="2026-11-01"), default, "2026-11-01")
    d = json.loads(res.to_json())
    assert set(d) >= {"as_of", "n_referred", "targets", "repayment_due", "provenance"}
    assert d["as_of"] == "2026-11-01" and isinstance(d["n_referred"], int)
    for t in d["targets"].values():
        assert set(t) >= {"achieved", "failed", "pending", "denominator", "rate", "ci_low",
                          "ci_high", "threshold", "status", "p_met_final"}
        assert t["status"] in ("met", "not_met", "undecided")
        assert t["achieved"] + t["failed"] + t["pending"] == t["denominator"]
    assert set(d["repayment_due"]) >= {"min", "max", "expected"}
    assert d["repayment_due"]["min"] <= d["repayment_due"]["expected"] <= d["repayment_due"]["max"]
    pv = d["provenance"]
    assert pv["scenario"]["sha256"] == default.sha256 and pv["as_of"] == "2026-11-01"
    assert len(pv["data"]["content_sha256"]) == 64 and pv["simkit_version"] == simkit.__version__


def test_publication_table_suppresses_small_counts(default):
    # completion: 3 completed, 20 dropped out, 0 pending -> "<5" for 3, secondary suppression of
    # the smallest other non-zero count (20, shown as "suppressed": it is not small), rates
    # hidden; zeros are shown
    rows = [person(f"C{i}", "2025-11-03", "completed", "2026-05-04") for i in range(3)]
    rows += [person(f"D{i}", "2025-11-03", "dropped_out", "2026-01-05") for i in range(20)]
    res = evaluate(frame(*rows), default)
    pub = res.publication_table()
    row = pub.loc["completion"]
    assert (row["achieved"], row["failed"], row["pending"], row["denominator"]) == (
        "<5", "suppressed", "0", "23")
    assert row["rate"] == row["95% CI"] == row["P(rate>=target)"] == "suppressed"
    assert res.to_frame().loc["completion", "achieved"] == 3      # exact for evaluators
    assert json.loads(res.to_json())["targets"]["completion"]["achieved"] == 3
    pub3 = res.publication_table(min_cell=3)
    assert pub3.loc["completion", "achieved"] == "3" and pub3.loc["completion", "rate"] != "suppressed"
    assert "<5" in res.text() and "<5" in res._repr_html_().replace("&lt;", "<")


def test_no_person_id_in_any_output(default):
    df = synthesize(default, seed=9, as_of="2026-11-01")
    res = evaluate(df, default, "2026-11-01")
    outputs = [res.to_json(), res.text(), res._repr_html_(), repr(res),
               res.to_frame().to_string(), res.publication_table().to_string()]
    for pid in df["id"]:
        assert not any(pid in out for out in outputs), pid
    assert isinstance(res, EvaluationResult)
    with pytest.raises(dataclass_error()):
        res.n_referred = 3


def dataclass_error():
    import dataclasses

    return dataclasses.FrozenInstanceError


def test_same_seed_same_result(default):
    df = synthesize(default, seed=5, as_of="2027-03-01")
    a = evaluate(df, default, "2027-03-01", seed=11).to_dict()
    b = evaluate(df, default, "2027-03-01", seed=11).to_dict()
    assert a == b


def test_bad_arguments_and_bad_data(default):
    data = frame(person("A", "2026-01-05"))
    with pytest.raises(InputError, match="measurement date"):
        evaluate(data, default, "2028-05-01")
    with pytest.raises(InputError, match="prior"):
        evaluate(data, default, prior="flat")
    with pytest.raises(InputError, match="min_cell"):
        evaluate(data, default, min_cell=0)
    bad = frame(person("A", "2026-13-05"), person("A", "2026-01-05", "finished"))
    with pytest.raises(DataError) as exc:
        evaluate(bad, default)
    text = str(exc.value)
    assert "row 2, column 'referral_date'" in text and "'2026-13-05'" in text
    assert "row 3, column 'id'" in text and "row 3, column 'course_status'" in text


def test_file_input_records_file_hash(tmp_path, default):
    import hashlib

    from simkit.io.observed import write_observed_csv

    df = synthesize(default, seed=2)
    p = write_observed_csv(df, tmp_path / "obs.csv", dialect="danish")
    q = write_observed_csv(df, tmp_path / "obs_iso.csv", dialect="iso")
    ra, rb = evaluate(p, default), evaluate(q, default)
    assert ra.provenance.data_sha256 == hashlib.sha256(p.read_bytes()).hexdigest()
    assert ra.provenance.data_source == "obs.csv"
    # the same content in both dialects
    assert ra.provenance.data_content_sha256 == rb.provenance.data_content_sha256
    assert ra.to_frame().equals(rb.to_frame())


# ---------------------------------------------------------------------------
# round trip: synthetic data from known true rates
# ---------------------------------------------------------------------------


def test_clopper_pearson_coverage_round_trip():
    """400 cohorts from a scenario with every parameter fixed, evaluated at the measurement date.

    True rates: completion 0.8; education/work 0.8 x 0.6 + 0.2 x 0.2 = 0.52 for every person
    (no waiting time, spells never end, every start falls inside the window), so each count
    is Binomial(95, p). Clopper–Pearson is conservative (coverage >= 95 % for every p), so the
    observed coverage must be at least 0.95 − 3 SE with SE = sqrt(0.95 × 0.05 / 400) = 0.011,
    i.e. >= 0.917 (observed when written: 0.97 for completion, 0.95 for education/work).
    """
    sc = fixed_scenario()
    seeds = 400
    hits = {"completion": 0, "edu_work": 0}
    truth = {"completion": 0.8, "edu_work": 0.8 * 0.6 + 0.2 * 0.2}
    mean_rate = {"completion": 0.0, "edu_work": 0.0}
    for s in range(seeds):
        res = evaluate(synthesize(sc, seed=s), sc, predictive_draws=100, scenario_draws=512)
        for tid, p in truth.items():
            t = res.target(tid)
            assert t.denominator == 95 and t.pending == 0
            hits[tid] += t.ci_low <= p <= t.ci_high
            mean_rate[tid] += t.rate / seeds
    floor = 0.95 - 3 * math.sqrt(0.95 * 0.05 / seeds)
    for tid, p in truth.items():
        assert hits[tid] / seeds >= floor, (tid, hits[tid])
        # and the point estimates are unbiased (SE of the mean rate < 0.0026)
        assert abs(mean_rate[tid] - p) < 4 * math.sqrt(p * (1 - p) / 95 / seeds)
