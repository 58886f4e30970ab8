"""One-row-per-person data on a version-2 scenario: converted to spells and evaluated like them."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from openpyxl import Workbook

import simkit
from simkit.errors import DataError
from simkit.io.observed import read_observed
from simkit.io.spells import data_format, read_spells
from simkit.model.observed import cut_at, evaluate_spells, observed_states, read_participants

ONE_ROW = """id;referral_date;course_status;course_status_date;outcome_type;outcome_start;outcome_end;weekly_hours;dp_award_date
P1;03-11-2025;completed;04-05-2026;education;03-08-2026;;37;
P2;10-11-2025;completed;11-05-2026;job;20-04-2026;02-01-2027;37;
P3;17-11-2025;dropped_out;20-02-2026;job;20-03-2026;28-04-2028;20;
P4;24-11-2025;dropped_out;01-03-2026;none;;;;05-01-2027
P5;01-12-2025;completed;01-06-2026;job;01-07-2026;;37;
"""

# The same five persons written out by hand in the long format (one row per spell), following
# data/README.md: the course from referral to its status date with its exit; a spell starting while
# another runs ends that one the day before (P2's job started during the course: course to 19-04).
LONG = """person;referral_date;state;start;end;weekly_hours;exit
P1;03-11-2025;course;03-11-2025;04-05-2026;;completed
P1;03-11-2025;su_education;03-08-2026;;37;
P2;10-11-2025;course;10-11-2025;19-04-2026;;completed
P2;10-11-2025;job;20-04-2026;02-01-2027;37;
P3;17-11-2025;course;17-11-2025;20-02-2026;;dropout
P3;17-11-2025;job;20-03-2026;28-04-2028;20;
P4;24-11-2025;course;24-11-2025;01-03-2026;;dropout
P4;24-11-2025;disability_pension;05-01-2027;;;
P5;01-12-2025;course;01-12-2025;01-06-2026;;completed
P5;01-12-2025;job;01-07-2026;;37;
"""


@pytest.fixture(scope="module")
def sc():
    # the examples are extracted at the threshold variant's measurement date (the default's is a year later)
    return simkit.load_scenario(["norddjurs", "norddjurs_threshold"])


def _files(tmp_path):
    one, long = tmp_path / "one.csv", tmp_path / "long.csv"
    one.write_text(ONE_ROW, encoding="utf-8")
    long.write_text(LONG, encoding="utf-8")
    return one, long


def test_default_mapping_of_the_norddjurs_model(sc):
    assert observed_states(sc) == {"course": "course", "education": "su_education", "job": "job",
                                   "pension": "disability_pension"}


def test_one_row_file_and_its_hand_converted_long_file_give_identical_results(sc, tmp_path):
    one, long = _files(tmp_path)
    assert data_format(one) == "one_row" and data_format(long) == "spells"
    a, fmt = read_participants(sc, one)
    assert fmt == "one_row"
    b, _ = read_participants(sc, long)
    for as_of in (dt.date(2027, 2, 1), None):
        ca, cb = (cut_at(a, as_of)[0], cut_at(b, as_of)[0]) if as_of else (a, b)
        ra = evaluate_spells(sc, ca, as_of=as_of).to_dict()
        rb = evaluate_spells(sc, cb, as_of=as_of).to_dict()
        assert ra == rb
    final = evaluate_spells(sc, a).to_dict()
    # by hand: completion P1, P2 (early job), P5 = 3 of 5; edu_work: P1 (education from Aug 2026),
    # P2 (20-04-2026 to 02-01-2027: 258 days >= 182), P5 (job from Jul 2026) = 3; P3 part-time (20 h) no
    assert final["indicators"]["completion"]["achieved"] == 3
    assert final["indicators"]["edu_work"]["achieved"] == 3
    assert final["n_persons"] == 5


def test_one_row_interim_keeps_the_long_paths_date_guards(sc, tmp_path):
    one, _ = _files(tmp_path)
    df, _ = read_participants(sc, one)
    with pytest.raises(DataError, match="as-of date 2026-06-01"):
        evaluate_spells(sc, df, as_of=dt.date(2026, 6, 1))
    with pytest.raises(DataError, match="agreement start"):
        evaluate_spells(sc, df, as_of=dt.date(2025, 10, 1))


def test_as_of_long_after_the_latest_date_in_the_file_is_refused(sc, tmp_path):
    one, _ = _files(tmp_path)
    df, _ = read_participants(sc, one)
    cut, *_ = cut_at(df, dt.date(2027, 2, 1))
    # latest date after the cut: P4's award on 5 Jan 2027; 1 Jun 2027 is 147 days later
    with pytest.raises(DataError, match=r"latest date in \(data\) is 2027-01-05, 147 days earlier"):
        evaluate_spells(sc, cut, as_of=dt.date(2027, 6, 1))
    evaluate_spells(sc, cut, as_of=dt.date(2027, 2, 1))


def test_cut_at_as_of_flag_reports_the_count_cut(sc, tmp_path):
    one, _ = _files(tmp_path)
    df, _ = read_participants(sc, one)
    ev = evaluate_spells(sc, df, as_of=dt.date(2026, 6, 1), cut_at_as_of=True)
    acc = dict(ev.accounted)
    assert acc["spells after the as-of date cut (--cut-at-as-of)"] == 3
    assert acc["referred by the as-of date"] == 5
    assert acc["not in the file yet (cohort size less persons in the file)"] == 95 - 5
    assert "cut (--cut-at-as-of): <5" in ev.text()
    with pytest.raises(DataError, match="--cut-at-as-of"):
        evaluate_spells(sc, df, cut_at_as_of=True)


def test_cut_at_counts_what_it_cuts(sc, tmp_path):
    one, _ = _files(tmp_path)
    df, _ = read_participants(sc, one)
    out, dropped, blanked = cut_at(df, dt.date(2026, 6, 1))
    # after 1 Jun 2026 by hand: P1's education, P4's award, P5's job start later (3 dropped);
    # ends after it: P2's job (2 Jan 2027), P3's job (28 Apr 2028) and P5's course (1 Jun 2026,
    # running on the day) (3 blanked)
    assert (dropped, blanked) == (3, 3)
    assert out["person"].nunique() == 5
    ev = evaluate_spells(sc, out, as_of=dt.date(2026, 6, 1))
    assert ev.persons == 5


def test_tab_separated_and_sheet(sc, tmp_path):
    tab = tmp_path / "one.txt.csv"
    tab.write_text(ONE_ROW.replace(";", "\t"), encoding="utf-8")
    assert len(read_observed(tab)) == 5
    ltab = tmp_path / "long_tab.csv"
    ltab.write_text(LONG.replace(";", "\t"), encoding="utf-8")
    assert len(read_spells(ltab)) == 10
    for text, name in ((ONE_ROW, "one.xlsx"), (LONG, "long.xlsx")):
        wb = Workbook()
        wb.active.title = "notes"
        wb.active.append(["nothing here"])
        ws = wb.create_sheet("data")
        for line in text.strip().splitlines():
            ws.append(line.split(";"))
        path = tmp_path / name
        wb.save(path)
        df, _ = read_participants(sc, path, sheet="data")
        assert df["person"].nunique() == 5
        with pytest.raises(DataError, match="'data'"):
            read_participants(sc, path, sheet="Data ")


def test_unknown_state_in_the_mapping_is_named(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('[observed]\noutcomes = { job = "jobb" }\n', encoding="utf-8")
    sc = simkit.load_scenario(["norddjurs", str(f)])
    with pytest.raises(DataError, match=r"observed\.outcomes\.job.*did you mean 'job'"):
        observed_states(sc)
    assert isinstance(pd.DataFrame(), pd.DataFrame)


def test_a_simulated_cohort_written_one_row_per_person_keeps_its_achievements(sc):
    """Long -> one row per person -> long: the same persons achieve each indicator; only the exclusions,
    which the one-row format cannot record, stay in the denominator."""
    from simkit.io.observed import validate_observed
    from simkit.model.observed import one_row_to_spells, spells_to_one_row, synthesize_spells

    for day in (None, dt.date(2026, 11, 1)):
        long = synthesize_spells(sc, seed=41, as_of=day)
        one = validate_observed(spells_to_one_row(sc, long), "synthetic")
        assert len(one) == long["person"].nunique()
        a = evaluate_spells(sc, long, as_of=day).to_dict()
        b = evaluate_spells(sc, one_row_to_spells(sc, one), as_of=day).to_dict()
        for k in ("completion", "edu_work"):
            ia, ib = a["indicators"][k], b["indicators"][k]
            assert ia["achieved"] == ib["achieved"]
            assert ib["excluded"] == 0
            assert ib["denominator"] == ia["denominator"] + ia["excluded"]


def test_html_views_list_the_contract_terms_and_their_basis(sc, tmp_path):
    one, _ = _files(tmp_path)
    df, _ = read_participants(sc, one)
    page = evaluate_spells(sc, df)._repr_html_()
    assert "grant: 5,700,000 DKK (assumption)" in page and "count arithmetic is exact" in page
    from simkit.evaluation import evaluate

    v1 = evaluate(one, "norddjurs_v1", predictive_draws=50, scenario_draws=64)._repr_html_()
    assert "Contract terms used: grant 5,700,000 DKK (assumption)" in v1
