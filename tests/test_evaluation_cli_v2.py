"""`simkit evaluate` / `synth` on the version-2 model: both formats, --sheet, --cut-at-as-of, the forecast."""

from __future__ import annotations

import json
from pathlib import Path

from openpyxl import Workbook

from simkit.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "examples"


def test_one_row_example_on_the_version_2_model(tmp_path, capsys):
    out = tmp_path / "e.json"
    # the examples are extracted at the threshold variant's measurement date (the default's is a year later)
    assert main(["evaluate", str(EXAMPLES / "norddjurs_onerow_final.csv"), "--scenario", "norddjurs",
                 "norddjurs_threshold", "--json", str(out)]) == 0
    res = json.loads(out.read_text())
    assert res["data_format"] == "one_row" and res["n_persons"] == 95
    assert "read as spells of the model" in capsys.readouterr().out


def test_interim_forecast_is_printed_beside_the_prior(tmp_path, capsys):
    out = tmp_path / "e.json"
    assert main(["evaluate", str(EXAMPLES / "norddjurs_spells_interim_2026-11-01.csv"), "--scenario", "norddjurs",
                 "norddjurs_threshold", "--as-of", "2026-11-01", "--forecast-draws", "32", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "prior only:" in text and "effective sample size" in text
    fc = json.loads(out.read_text())["forecast"]
    assert fc["parameter_sets"] == 32 and 1 <= fc["effective_sample_size"] <= 32
    assert set(fc["targets"]) == {"completion", "edu_work"}


def test_cut_at_as_of_and_sheet(tmp_path, capsys):
    src = EXAMPLES / "norddjurs_spells_interim_2026-11-01.csv"
    args = ["evaluate", str(src), "--scenario", "norddjurs", "--as-of", "2026-06-01", "--forecast-draws", "0"]
    assert main(args) == 2
    assert "after it" in capsys.readouterr().err
    assert main([*args, "--cut-at-as-of"]) == 0
    assert "cut (--cut-at-as-of)" in capsys.readouterr().out
    wb = Workbook()
    wb.active.title = "readme"
    ws = wb.create_sheet("spells")
    for line in src.read_text(encoding="utf-8-sig").splitlines():
        ws.append(line.split(";"))
    book = tmp_path / "book.xlsx"
    wb.save(book)
    base = ["evaluate", str(book), "--scenario", "norddjurs", "--as-of", "2026-11-01", "--forecast-draws", "0"]
    assert main([*base, "--sheet", "spells"]) == 0
    assert main([*base, "--sheet", "nope"]) == 2
    err = capsys.readouterr().err
    assert "'readme', 'spells'" in err and "Traceback" not in err


def test_synth_one_row_layout(tmp_path, capsys):
    out = tmp_path / "one.csv"
    assert main(["synth", "norddjurs", "--seed", "41", "--layout", "one-row", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8-sig").startswith("id;referral_date;course_status")
