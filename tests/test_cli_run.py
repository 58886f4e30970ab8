"""`simkit run` and `simkit validate` from the command line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from simkit.cli import main

KEYS = {
    "targets": {"p_met", "p_met_se", "rate_mean"},
    "repayment": {"mean", "sd", "q05", "q50", "q95", "p_full", "p_none"},
    "budget": {"net_mean", "net_q05", "net_q95", "p_neutral", "p_neutral_se", "horizon_years"},
    "fund": {"multiple_mean", "p_loss"},
}


def test_run_json_has_the_stable_structure(tmp_path, capsys):
    out = tmp_path / "r.json"
    # the default's contract is a rate card; its threshold variant has the two payment targets
    assert main(["run", "norddjurs_threshold", "--draws", "2000", "--seed", "7", "--json", str(out)]) == 0
    d = json.loads(out.read_text())
    assert isinstance(d["simkit_version"], str)
    assert set(d["scenario"]) >= {"name", "sha256"}
    assert d["seed"] == 7 and d["draws"] == 2000
    assert set(d["targets"]) == {"completion", "edu_work"}
    assert d["budget"]["neutrality"]["condition"].startswith("Budget-neutral (present value) when")
    for t in d["targets"].values():
        assert set(t) >= KEYS["targets"]
    for k in ("repayment", "budget", "fund"):
        assert set(d[k]) >= KEYS[k], k
    assert "P(budget-neutral)" in capsys.readouterr().out


def test_run_same_seed_same_json(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    main(["run", "--draws", "3000", "--seed", "1", "--json", str(a)])
    main(["run", "--draws", "3000", "--seed", "1", "--json", str(b), "--chunk-size", "1024"])
    assert a.read_text() == b.read_text()


def test_run_out_dir_writes_tables_and_figures(tmp_path):
    out = tmp_path / "out"
    assert main(["run", "--draws", "1500", "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"summary.json", "summary.csv", "targets.csv", "curve.csv", "repayment.png",
            "net_budget.png", "cumulative_budget.png", "targets.png"} <= names


@pytest.mark.parametrize("content", ["[contract\n", "[contract]\npremium = 'x'\n", "[agreement]\ncohort_size = 3\n"])
def test_bad_scenario_exit_2_no_traceback_no_output(tmp_path, content):
    bad = tmp_path / "bad.toml"
    bad.write_text(content)
    out = tmp_path / "r.json"
    proc = subprocess.run([sys.executable, "-m", "simkit", "run", "norddjurs_v1", str(bad), "--draws", "100",
                           "--json", str(out)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "bad.toml" in proc.stderr
    assert not out.exists()


def test_json_into_missing_folder_fails_before_computing(tmp_path, capsys):
    assert main(["run", "--draws", "100", "--json", str(tmp_path / "nope" / "r.json")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_bad_draws_argument_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["run", "--draws", "0"])
    assert exc.value.code == 2


def test_validate_checks_inputs_only(tmp_path, capsys):
    assert main(["validate", "norddjurs_v1"]) == 0
    assert "scenario OK" in capsys.readouterr().out
    bad = tmp_path / "bad.toml"
    bad.write_text("[budget]\nhorizon_years = 0\n")
    assert main(["validate", "norddjurs_v1", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "budget.horizon_years" in err and "bad.toml" in err


def test_workers_use_processes_and_give_the_same_json(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert main(["run", "--draws", "2500", "--seed", "4", "--json", str(a)]) == 0
    assert main(["run", "--draws", "2500", "--seed", "4", "--workers", "2", "--chunk-size", "1024",
                 "--json", str(b)]) == 0
    assert a.read_text() == b.read_text()
