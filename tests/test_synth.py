"""Synthetic observed data (simkit.synth): realistic, censored, consistent with the simulation."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

import simkit
from simkit.engine import simulate_arrays
from simkit.errors import InputError
from simkit.evaluation import evaluate
from simkit.io.observed import read_observed, write_observed_csv
from simkit.synth import synthesize

CPR = re.compile(r"(?<!\d)\d{6}-?\d{4}(?!\d)")
DATES = ["referral_date", "course_status_date", "outcome_start", "outcome_end", "dp_award_date"]
INTERIM = dt.date(2026, 11, 1)


@pytest.fixture(scope="module")
def sc():
    return simkit.load_scenario("norddjurs_v1")   # the 0.1 model's observed format (v2: test_model_cli.py)


def test_ids_are_pseudonymous_unique_and_never_cpr(sc):
    df = synthesize(sc, seed=3)
    assert df["id"].str.fullmatch(r"SK-[0-9a-f]{8}").all()
    assert df["id"].is_unique
    assert not df["id"].str.contains(CPR).any()


def test_same_inputs_same_table_and_seed_or_draw_change_it(sc):
    a = synthesize(sc, seed=7, as_of=INTERIM)
    pd.testing.assert_frame_equal(a, synthesize(sc, seed=7, as_of="2026-11-01"))
    assert not a.equals(synthesize(sc, seed=8, as_of=INTERIM))
    assert not a.equals(synthesize(sc, seed=7, as_of=INTERIM, draw=1))


@pytest.mark.parametrize("seed", range(8))
def test_evaluating_at_the_measurement_date_reproduces_the_simulated_counts(sc, seed):
    draw = seed % 3
    out = simulate_arrays(sc, draw + 1, seed=seed)
    res = evaluate(synthesize(sc, seed=seed, draw=draw), sc, predictive_draws=100)
    for indicator in ("completion", "edu_work"):
        t = res.target(indicator)
        assert t.achieved == out[f"count:{indicator}:achieved"][draw]
        assert t.denominator == out[f"count:{indicator}:referred"][draw]
    assert res.repayment.exact
    assert res.repayment.expected == pytest.approx(out["repayment"][draw])


@pytest.mark.parametrize("seed", [1, 2])
def test_interim_file_is_the_final_file_censored(sc, seed):
    """The day-of-week offsets do not depend on the as-of date: an interim report is the
    final report of the same cohort censored on that date (same persons, same dates)."""
    interim = synthesize(sc, seed=seed, as_of=INTERIM).set_index("id")
    final = synthesize(sc, seed=seed).set_index("id")
    stamp = pd.Timestamp(INTERIM)
    assert set(interim.index) == set(final.index[final["referral_date"] <= stamp])
    f = final.loc[interim.index]
    assert (interim["referral_date"] == f["referral_date"]).all()
    known = interim["course_status"] != "ongoing"
    assert (interim.loc[known, "course_status_date"] == f.loc[known, "course_status_date"]).all()
    assert (f.loc[~known, "course_status_date"].isna() | (f.loc[~known, "course_status_date"] > stamp)).all()
    started = interim["outcome_type"] != "none"
    assert (interim.loc[started, "outcome_start"] == f.loc[started, "outcome_start"]).all()


def test_censored_at_the_as_of_date(sc):
    df = synthesize(sc, seed=5, as_of=INTERIM)
    stamp = pd.Timestamp(INTERIM)
    for col in DATES:
        assert (df[col].dropna() <= stamp).all(), col
    assert (df["referral_date"] <= stamp).all()
    ongoing = df["course_status"] == "ongoing"
    assert df.loc[ongoing, "course_status_date"].isna().all()
    assert df.loc[~ongoing, "course_status_date"].notna().all()
    # the same cohort reported at the end: every interim row is there, some still running then
    final = synthesize(sc, seed=5).set_index("id")
    assert set(df["id"]) <= set(final.index)
    running = df[(df["outcome_type"] != "none") & df["outcome_end"].isna()]
    ended_later = final.loc[running["id"], "outcome_end"].dropna()
    assert (ended_later > stamp).all()
    assert len(final) == sc.agreement.cohort_size


def test_dates_spread_over_weekdays_and_keep_durations(sc):
    df = synthesize(sc, seed=11)
    assert df["referral_date"].dt.day_of_week.nunique() >= 5
    done = df["course_status"] == "completed"
    weeks = 7 * sc.programme.course_weeks
    assert ((df.loc[done, "course_status_date"] - df.loc[done, "referral_date"]).dt.days == weeks).all()
    assert df["referral_date"].min() >= pd.Timestamp(sc.agreement.start)


def test_hours_and_quality_of_life_columns(sc):
    df = synthesize(sc, seed=12, part_time_share=1.0)
    spells = df[df["outcome_type"] != "none"]
    full = spells["weekly_hours"] >= sc.indicators.full_time_hours
    assert (~full).any() and full.any()
    assert spells.loc[~full, "weekly_hours"].between(10, 30).all()
    assert (spells.loc[~full, "outcome_type"] == "job").all()
    for col in ("qol_baseline", "qol_followup"):
        assert df[col].dropna().between(14, 70).all()
        assert (df[col].dropna() % 1 == 0).all()
    assert df.loc[df["course_status"] == "ongoing", "qol_followup"].isna().all()
    # part-time spells never count: the counts still match the simulation
    out = simulate_arrays(sc, 1, seed=12)
    t = evaluate(df, sc, predictive_draws=100).target("edu_work")
    assert t.achieved == out["count:edu_work:achieved"][0]


def test_round_trips_through_both_csv_dialects(tmp_path, sc):
    df = synthesize(sc, seed=13, as_of=INTERIM)
    for dialect in ("danish", "iso"):
        back = read_observed(write_observed_csv(df, tmp_path / f"{dialect}.csv", dialect=dialect))
        pd.testing.assert_frame_equal(back, df)


def test_bad_arguments(sc):
    with pytest.raises(InputError, match="first simulated referral"):
        synthesize(sc, seed=1, as_of="2025-10-01")
    with pytest.raises(InputError, match="seed"):
        synthesize(sc, seed=-1)
    with pytest.raises(InputError, match="as_of"):
        synthesize(sc, seed=1, as_of="1. november")
    # under three weeks in: only the first few referrals
    early = synthesize(sc, seed=1, as_of="2025-11-20")
    assert 0 < len(early) < 5 and (early["referral_date"] <= "2025-11-20").all()


def test_default_is_version_2_and_synthesizes_one_row_per_person():
    """The embedded default is a version-2 scenario: synthesize() without a scenario works on it.

    (It failed with KeyError 'cohort': the version-1 path read a version-2 run.) The default
    file states ``cohort_size = 95`` and refers everyone before its measurement date, so the
    one-row table has 95 persons, each id once, in the observed format.
    """
    df = synthesize(seed=1)
    assert len(df) == 95 and df["id"].is_unique
    assert {"id", "referral_date", "course_status", "outcome_type"} <= set(df.columns)
    assert df.equals(synthesize(simkit.load_scenario("norddjurs"), seed=1))


def test_version_2_without_a_one_row_mapping_names_what_to_pass():
    with pytest.raises(InputError, match=r"SundInvest 2021.*no complete \[observed\] mapping.*synthesize_spells") as e:
        synthesize(simkit.load_scenario("sundinvest_2021"), seed=1)
    assert "observed.outcomes.education" in str(e.value)  # the missing key, from the mapping check
