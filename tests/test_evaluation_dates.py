"""Date guards of the one-row-per-person (version-1) evaluation path: each guard refused or cut, counted."""

from __future__ import annotations

import pandas as pd
import pytest

import simkit
from simkit.errors import DataError, InputError
from simkit.evaluation import evaluate

# four persons; dates by hand: the latest event is P3's job start on 2026-09-07
ROWS = pd.DataFrame({
    "id": ["P1", "P2", "P3", "P4"],
    "referral_date": ["2025-11-10", "2025-12-01", "2026-01-05", "2026-07-06"],
    "course_status": ["completed", "dropped_out", "completed", "ongoing"],
    "course_status_date": ["2026-05-11", "2026-02-02", "2026-07-06", ""],
    "outcome_type": ["job", "none", "job", "none"],
    "outcome_start": ["2026-06-01", "", "2026-09-07", ""],
    "outcome_end": ["", "", "", ""],
    "weekly_hours": ["37", "", "37", ""],
})
KW = {"predictive_draws": 50, "scenario_draws": 64}


@pytest.fixture(scope="module")
def sc():
    return simkit.load_scenario("norddjurs_v1")


def test_as_of_before_the_agreement_start_is_refused(sc):
    with pytest.raises(InputError, match="on or after the agreement start 2025-11-01"):
        evaluate(ROWS, sc, "2025-10-01", **KW)


def test_events_after_the_as_of_date_are_refused_naming_row_and_column(sc):
    # after 2026-06-01: P3's status date and job start (row 4); P4's later referral is no event (row 5:
    # not yet referred)
    with pytest.raises(DataError) as e:
        evaluate(ROWS, sc, "2026-06-01", **KW)
    text = str(e.value)
    assert "2 date(s) after the as-of date 2026-06-01" in text
    assert "row 4, column 'course_status_date'" in text and "row 4, column 'outcome_start'" in text
    assert "row 5" not in text and "--cut-at-as-of" in text


def test_cut_at_as_of_cuts_and_counts(sc):
    res = evaluate(ROWS, sc, "2026-06-01", cut_at_as_of=True, min_cell=1, **KW)
    # by hand on 2026-06-01: P1 completed (11 May), P2 dropped out, P3's course running (cut), P4 not yet
    # referred; every row accounted for: 3 referred + 1 not yet referred
    t = res.target("completion")
    assert (t.achieved, t.failed, t.pending) == (1, 1, 1)
    assert res.n_referred == 3 and res.n_rows == 4
    assert any("2 date(s) after the as-of date were cut" in n for n in res.notes)


def test_cut_needs_an_as_of_date(sc):
    with pytest.raises(InputError, match="cut_at_as_of"):
        evaluate(ROWS, sc, cut_at_as_of=True, **KW)


def test_a_stale_file_without_as_of_is_refused_saying_which_date_to_give(sc):
    with pytest.raises(DataError, match=r"latest date 2026-09-07.*--as-of"):
        evaluate(ROWS, sc, refuse_stale=True, **KW)
    evaluate(ROWS, sc, "2026-09-07", refuse_stale=True, **KW)   # with the extraction date it runs
