"""`simkit evaluate` and `simkit synth` from the command line; the committed examples."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import simkit
from simkit.cli import main
from simkit.io.observed import read_observed, write_observed_csv
from simkit.synth import synthesize

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "data" / "examples"
HEADER = ("id,referral_date,course_status,course_status_date,outcome_type,outcome_start,"
          "outcome_end,weekly_hours,dp_award_date,qol_baseline,qol_followup\n")

@pytest.fixture(autouse=True)
def _v1_default(monkeypatch):
    # the 0.1 participant-data format and targets: the embedded default is norddjurs_v1 here (the
    # declarative model's evaluate and synth: tests/test_model_cli.py)
    monkeypatch.setattr("simkit.io.scenario.DEFAULT_SCENARIO", "norddjurs_v1")


@pytest.fixture(scope="module")
def interim_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "interim.csv"
    df = synthesize(simkit.load_scenario("norddjurs_v1"), seed=21, as_of="2026-11-01")   # the 0.1 format
    write_observed_csv(df, path, dialect="danish")
    return path, list(df["id"])


def test_evaluate_prints_report_and_writes_json(tmp_path, capsys, interim_csv):
    path, ids = interim_csv
    out = tmp_path / "eval.json"
    assert main(["evaluate", str(path), "--as-of", "2026-11-01", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    d = json.loads(out.read_text(encoding="utf-8"))
    assert set(d) >= {"as_of", "n_referred", "targets", "repayment_due"}
    assert d["as_of"] == "2026-11-01" and d["n_referred"] == len(ids)
    assert set(d["targets"]) == {"completion", "edu_work"}
    for t in d["targets"].values():
        assert set(t) >= {"achieved", "failed", "pending", "denominator", "rate", "ci_low",
                          "ci_high", "threshold", "status", "p_met_final"}
    assert set(d["repayment_due"]) >= {"min", "max", "expected"}
    assert "interim evaluation" in printed and "P(met at measurement)" in printed
    # no person id anywhere in the outputs
    text = printed + out.read_text(encoding="utf-8")
    assert not [pid for pid in ids if pid in text]


def test_min_cell_and_scenario_options(tmp_path, capsys, interim_csv):
    path, _ = interim_csv
    out = tmp_path / "e.json"
    assert main(["evaluate", str(path), "--scenario", "norddjurs_v1", "--as-of", "2026-11-01",
                 "--min-cell", "100", "--prior", "scenario", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "<100" in printed
    d = json.loads(out.read_text())
    assert d["provenance"]["prior"] == "scenario"
    assert all(isinstance(t["achieved"], int) for t in d["targets"].values())  # exact in JSON


def test_bad_data_exit_2_names_row_column_value_and_writes_no_json(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER
                   + "P1,2026-01-05,completed,2026-07-06,job,2026-08-03,,99,,,\n"
                   + "P2,2026-31-01,ongoing,,none,,,,,,\n", encoding="utf-8")
    out = tmp_path / "e.json"
    proc = subprocess.run([sys.executable, "-m", "simkit", "evaluate", str(bad), "--scenario", "norddjurs_v1",
                           "--json", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "row 2, column 'weekly_hours'" in proc.stderr and "'99'" in proc.stderr
    assert "row 3, column 'referral_date'" in proc.stderr and "'2026-31-01'" in proc.stderr
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


def test_cpr_like_ids_are_refused(tmp_path, capsys):
    bad = tmp_path / "cpr.csv"
    bad.write_text(HEADER + "010203-1234,2026-01-05,ongoing,,,,,,,,\n", encoding="utf-8")
    out = tmp_path / "e.json"
    assert main(["evaluate", str(bad), "--json", str(out)]) == 2
    err = capsys.readouterr().err
    assert "pseudonymise" in err and "010203-****" in err and "1234" not in err
    assert not out.exists()


def test_output_path_problems_fail_before_computing(tmp_path, capsys, interim_csv):
    path, _ = interim_csv
    assert main(["evaluate", str(path), "--json", str(tmp_path / "no" / "e.json")]) == 2
    assert main(["evaluate", str(path), "--json", str(path)]) == 2
    assert "not one of the command's inputs" in capsys.readouterr().err
    assert read_observed(path) is not None   # the input is untouched
    assert main(["evaluate", str(path), "--as-of", "2029-01-01"]) == 2


def test_synth_writes_csv_in_both_dialects_and_xlsx(tmp_path, capsys):
    base = ["synth", "--seed", "4", "--as-of", "2027-01-15"]
    assert main([*base, "-o", str(tmp_path / "d.csv")]) == 0
    assert main([*base, "--dialect", "iso", "-o", str(tmp_path / "i.csv")]) == 0
    assert main([*base, "-o", str(tmp_path / "x.xlsx")]) == 0
    assert "synthetic persons" in capsys.readouterr().out
    d, i, x = (read_observed(tmp_path / n) for n in ("d.csv", "i.csv", "x.xlsx"))
    pd.testing.assert_frame_equal(d, i)
    pd.testing.assert_frame_equal(d, x)
    expected = synthesize(simkit.load_scenario(), seed=4, as_of="2027-01-15")
    pd.testing.assert_frame_equal(d, expected)
    raw = (tmp_path / "d.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b";" in raw.splitlines()[0]


def test_synth_bad_arguments_write_nothing(tmp_path, capsys):
    assert main(["synth", "--seed", "1", "--format", "xlsx", "-o", str(tmp_path / "a.csv")]) == 2
    assert main(["synth", "--seed", "1", "-o", str(tmp_path / "missing" / "a.csv")]) == 2
    assert main(["synth", "--seed", "1", "--as-of", "2025-10-01", "-o", str(tmp_path / "a.csv")]) == 2
    assert main(["synth", "no_such_scenario.toml", "-o", str(tmp_path / "a.csv")]) == 2
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(SystemExit):
        main(["synth", "--as-of", "1-11-2026", "-o", str(tmp_path / "a.csv")])


# ---------------------------------------------------------------------------
# the committed examples
# ---------------------------------------------------------------------------


def _make_examples_module():
    spec = importlib.util.spec_from_file_location("make_examples", ROOT / "scripts" / "make_examples.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_examples_regenerate_byte_identical(tmp_path, capsys):
    mod = _make_examples_module()
    written = mod.make_examples(tmp_path)
    assert {p.name for p in written} == set(mod.EXAMPLES)
    for p in written:
        committed = EXAMPLES / p.name
        assert committed.exists(), f"missing {committed}; run scripts/make_examples.py"
        assert p.read_bytes() == committed.read_bytes(), (
            f"{p.name} differs from the committed example; regenerate with "
            "`uv run python scripts/make_examples.py` and check data/examples/README.md")
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    for name, args in mod.EXAMPLES.items():
        assert name in readme and " ".join(args[1:]) in readme


def test_examples_are_synthetic_and_evaluate(capsys):
    interim = read_observed(EXAMPLES / "norddjurs_interim_2026-11-01.csv")
    final = read_observed(EXAMPLES / "norddjurs_final.csv")
    assert interim["id"].str.fullmatch(r"SK-[0-9a-f]{8}").all()
    assert set(interim["id"]) <= set(final["id"]) and len(final) == 95
    assert main(["evaluate", str(EXAMPLES / "norddjurs_interim_2026-11-01.csv"),
                 "--as-of", "2026-11-01"]) == 0
    assert main(["evaluate", str(EXAMPLES / "norddjurs_final.csv")]) == 0
    printed = capsys.readouterr().out
    assert not [pid for pid in final["id"] if pid in printed]
