"""CLI ``simkit sensitivity`` and ``simkit design``: JSON structures and user errors.

Every run uses tiny draws: these tests check the wiring (stable JSON keys,
exit code 2 with one message and no file on bad options), not the numbers,
which tests/test_sensitivity_model.py and tests/test_design.py check.
"""

from __future__ import annotations

import json

import pytest

from simkit.cli import main

HEADER = {"command", "method", "simkit_version", "scenario", "seed", "result"}

@pytest.fixture(autouse=True)
def _v1_default(monkeypatch):
    # these tests use the 0.1 model's parameter names and targets: the embedded default is norddjurs_v1 here
    monkeypatch.setattr("simkit.io.scenario.DEFAULT_SCENARIO", "norddjurs_v1")


def _run(tmp_path, *argv):
    out = tmp_path / "out.json"
    rc = main([*argv, "--json", str(out)])
    assert rc == 0
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("args", "keys"),
    [
        (["--method", "tornado", "--params", "completion_rate,outcome_rate_bau", "--draws", "100"],
         {"draws_per_run", "level", "currency", "outputs", "base", "base_se", "parameters"}),
        (["--method", "twoway", "--grid", "2", "--draws", "50"],
         {"x", "y", "x_values", "y_values", "draws_per_cell", "currency", "outputs", "values", "se"}),
        (["--method", "sobol", "--params", "completion_rate,outcome_rate_bau", "--n-base", "16",
          "--inner", "2", "--resamples", "10"],
         {"parameters", "held_fixed", "n", "inner", "n_evaluations", "n_cohort_draws",
          "confidence_level", "n_resamples", "correlations_ignored", "outputs"}),
        (["--method", "variance", "--outer", "20", "--inner", "2", "--cohort-sizes", "20,40",
          "--resamples", "5"],
         {"outer", "inner", "outputs", "cohort_sizes"}),
        (["--method", "evpi", "--draws", "2000", "--params", "spell_mean_weeks,outcome_rate_bau"],
         {"decision", "perspective", "currency", "options", "expected_net_benefit", "best_option",
          "evpi", "evpi_se", "evppi_all_parameters", "n_draws", "rows", "sentence"}),
        (["--method", "discovery", "--draws", "2000", "--events", "no_repayment"],
         {"n_draws", "events"}),
    ],
)
def test_sensitivity_json_structure(tmp_path, capsys, args, keys):
    d = _run(tmp_path, "sensitivity", "norddjurs_v1", *args)   # the 0.1 model's parameter names
    assert set(d) == HEADER
    assert d["command"] == "sensitivity" and d["method"] == args[1]
    assert set(d["scenario"]) == {"name", "sha256", "sources"}
    assert set(d["result"]) == keys
    assert capsys.readouterr().out.strip()


def test_sensitivity_details(tmp_path):
    d = _run(tmp_path, "sensitivity", "--method", "tornado", "--params", "completion_rate",
             "--range", "completion_rate=0.7,0.9", "--draws", "100", "--seed", "4")
    p = d["result"]["parameters"][0]
    assert (p["name"], p["low"], p["high"]) == ("completion_rate", 0.7, 0.9)
    assert d["seed"] == 4
    assert set(p["effects"]["repayment_mean"]) == {"low", "high", "swing", "low_se", "high_se",
                                                   "swing_se"}
    d = _run(tmp_path, "sensitivity", "--method", "evpi", "--draws", "2000", "--decision", "terms",
             "--variants", "threshold", "pro_rata", "--params", "completion_rate", "--group",
             "g=completion_rate,outcome_rate_completers")
    r = d["result"]
    assert r["options"] == ["threshold", "pro_rata"] and r["evpi"] == 0
    assert [row["name"] for row in r["rows"]] == ["completion_rate", "g"]
    d = _run(tmp_path, "sensitivity", "--method", "discovery", "--draws", "2000")
    ev = d["result"]["events"]
    assert [e["event"] for e in ev] == ["no_repayment", "budget_loss"]
    assert {"event", "phrase", "rate", "sentence", "box"} <= set(ev[0])


def test_design_json_structure(tmp_path, capsys):
    # the 0.1 model: the solvers need payment targets (the default pays per outcome)
    d = _run(tmp_path, "design", "norddjurs_v1", "--draws", "1000", "--compare", "base", "pr:pro_rata",
             "--solve", "premium", "threshold", "--target-multiple", "0.5",
             "--target-p-neutral", "0.5", "--target", "edu_work")
    assert set(d) == {"command", "simkit_version", "scenario", "seed", "draws", "comparison",
                      "solutions"}
    assert [v["label"] for v in d["comparison"]["variants"]] == ["base", "pr"]
    v = d["comparison"]["variants"][1]
    assert set(v) == {"label", "spec", "metrics", "contract"}
    assert v["contract"]["targets"][0]["rule"] == "pro_rata"
    assert [s["solve"] for s in d["solutions"]] == ["premium", "threshold"]
    s = d["solutions"][0]
    assert set(s) == {"solve", "target", "criterion", "goal", "value", "value_se", "achieved",
                      "achieved_se", "sentence", "metrics", "contract", "n_draws"}
    assert s["achieved"] == pytest.approx(0.5)
    assert "Solutions" in capsys.readouterr().out
    # no options: the default comparison (of a threshold contract: the 0.1 model's)
    d = _run(tmp_path, "design", "norddjurs_v1", "--draws", "500")
    assert d["solutions"] == [] and len(d["comparison"]["variants"]) >= 4


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sensitivity", "--method", "tornado", "--params", "completion_rat"],
         "did you mean 'completion_rate'"),
        (["sensitivity", "--method", "tornado", "--grid", "3"], "--grid"),
        (["sensitivity", "--method", "sobol", "--draws", "100"], "--draws"),
        (["sensitivity", "--method", "sobol", "--n-base", "100"], "power of 2"),
        (["sensitivity", "--method", "twoway", "--params", "completion_rate"], "exactly two"),
        (["sensitivity", "--method", "twoway", "--range", "completion_rate=0.5"], "NAME=LOW,HIGH"),
        (["sensitivity", "--method", "variance", "--outputs", "net"], "did you mean"),
        (["sensitivity", "--method", "variance", "--cohort-sizes", "0,95"], "whole numbers"),
        (["sensitivity", "--method", "evpi", "--variants", "pro_rata"], "--decision terms"),
        (["sensitivity", "--method", "evpi", "--group", "completion_rate=completion_rate,outcome_rate_bau"],
         "different from parameter names"),
        (["sensitivity", "--method", "discovery", "--events", "loss"], "one of"),
        (["sensitivity", "no_such_scenario.toml", "--method", "tornado"], "no_such_scenario"),
        (["design", "--solve", "premium"], "--target-multiple"),
        (["design", "--solve", "threshold"], "--target-p-neutral"),
        (["design", "--target-multiple", "1.0"], "--solve premium"),
        (["design", "--compare", "pro_rta"], "did you mean 'pro_rata'"),
        (["design", "--solve", "threshold", "--target-p-neutral", "0.9", "--target", "edu"],
         "target ids"),
        (["design", "--solve", "premium", "--target-multiple", "50", "--draws", "300"], "between"),
    ],
)

def test_user_errors_exit_2_without_output(tmp_path, capsys, argv, message):
    out = tmp_path / "out.json"
    rc = main([*argv, "--json", str(out)])
    err = capsys.readouterr().err
    assert rc == 2
    assert message in err and "Traceback" not in err
    assert not out.exists()


def test_missing_output_folder_is_refused_before_computing(tmp_path, capsys):
    rc = main(["sensitivity", "--method", "tornado", "--json", str(tmp_path / "no" / "x.json")])
    assert rc == 2 and "does not exist" in capsys.readouterr().err


def test_unknown_method_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["sensitivity", "--method", "morris"])
    assert exc.value.code == 2
