"""Command line with declarative-model scenarios: run, synth and evaluate in long format."""

from __future__ import annotations

import json

from simkit.cli import main


def test_synth_then_evaluate_round_trip(tmp_path, capsys):
    data = tmp_path / "histories.csv"
    # the threshold variant of the default: its contract has the two payment targets checked below
    assert main(["synth", "norddjurs_threshold", "--seed", "3", "-o", str(data)]) == 0
    out = tmp_path / "eval.json"
    assert main(["evaluate", str(data), "--scenario", "norddjurs_threshold", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "final measurement date: every case decided" in text
    assert "(assumption)" in text and "exact" in text
    res = json.loads(out.read_text())
    assert set(res["targets"]) == {"completion", "edu_work"}
    assert res["final"] is True
    assert all(v["pending"] == 0 for v in res["indicators"].values())


def test_interim_file_without_as_of_is_refused_with_the_date_to_give(tmp_path, capsys):
    data = tmp_path / "interim.csv"
    assert main(["synth", "norddjurs", "--seed", "3", "--as-of", "2026-10-01", "-o", str(data)]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(data), "--scenario", "norddjurs"]) == 2
    err = capsys.readouterr().err
    assert "--as-of" in err and "Traceback" not in err
    assert main(["evaluate", str(data), "--scenario", "norddjurs", "--as-of", "2026-10-01"]) == 0
    assert "interim" in capsys.readouterr().out
    assert main(["evaluate", str(data), "--scenario", "norddjurs", "--as-of", "2025-10-01"]) == 2


def test_bad_history_file_names_row_and_column(tmp_path, capsys):
    data = tmp_path / "bad.csv"
    data.write_text("person;referral_date;state;start;end\nA1;01-12-2025;jobb;05-01-2026;\n"
                    "A2;01-12-2025;job;05-03-2026;01-02-2026\n", encoding="cp1252")
    assert main(["evaluate", str(data), "--scenario", "norddjurs"]) == 2
    err = capsys.readouterr().err
    assert "row 2, column 'state'" in err and "did you mean 'job'" in err
    assert "row 3, column 'end'" in err and "Traceback" not in err


def test_cpr_number_in_a_history_file_is_refused_masked(tmp_path, capsys):
    data = tmp_path / "cpr.csv"
    data.write_text("person,referral_date,state,start,end\n140699-7209,2025-12-01,job,2026-01-05,\n")
    assert main(["evaluate", str(data), "--scenario", "norddjurs"]) == 2
    err = capsys.readouterr().err
    assert "140699-****" in err and "7209" not in err


def test_run_json_has_the_cash_view(tmp_path, capsys):
    out = tmp_path / "run.json"
    assert main(["run", "sundinvest_2021", "--draws", "256", "--seed", "1", "--json", str(out)]) == 0
    s = json.loads(out.read_text())
    labels = [p["label"] for p in s["cash"]["points"]]
    assert any(lab.startswith("repayment") for lab in labels) and "budget year 2022" in labels
