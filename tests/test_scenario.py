"""Scenario files: the default, layering, and clear errors for bad input."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import simkit
from simkit.errors import ScenarioError
from simkit.io.scenario import _scenario_dir
from simkit.spec import MODEL_PARAMETERS

DEFAULT = _scenario_dir() / "norddjurs_v1.toml"


def test_default_scenario_facts_from_the_seeds(v1_scenario):
    sc = v1_scenario   # the 0.1 model's targets, phases and indicator settings
    assert sc.agreement.cohort_size == 95
    assert str(sc.agreement.start) == "2025-11-01" and str(sc.agreement.end) == "2027-10-31"
    assert str(sc.agreement.signed) == "2025-11-13"
    ids = {t.id: t for t in sc.contract.targets}
    assert ids["completion"].threshold == 0.80 and ids["edu_work"].threshold == 0.50
    assert ids["edu_work"].denominator == "referred"
    assert sc.indicators.min_spell_days == 182
    assert [p.name for p in sc.programme.phases] == ["assessment", "development_activation", "job_match", "aftercare"]
    assert len(sc.referral_weeks()) == 95


def test_every_parameter_has_a_source(v1_scenario):
    # the 0.1 model's fixed parameter set (the declarative model's sources: the citation test below)
    assert set(v1_scenario.parameters) == set(MODEL_PARAMETERS)
    for p in v1_scenario.parameters.values():
        assert p.source.strip(), p.name


@pytest.mark.parametrize("name", ["norddjurs_v1", "reform_2027", "reform_2027_v1", "norddjurs",
                                  "norddjurs_sceptical", "norddjurs_optimistic", "sundinvest_2021",
                                  "aarhus_ratecard", "norddjurs_threshold",
                                  "norddjurs_planned"])
def test_every_number_in_the_scenario_files_cites_a_source_or_says_assumption(name):
    # each line holding a number outside a table header needs a source key, a bracketed
    # reference or the word "assumption" on the line or in its table's `source`; and every
    # `source` names a key or says "assumption"
    text = (DEFAULT.parent / f"{name}.toml").read_text("utf-8")
    blocks = text.split("\n[")
    for block in blocks:
        lines = [ln for ln in block.splitlines() if ln and not ln.lstrip().startswith("#")]
        has_source = any(ln.startswith("source") for ln in lines)
        for ln in lines[1:]:
            key = ln.split("=")[0].strip()
            value = ln.split("=", 1)[1].split("#")[0].strip() if "=" in ln else ""
            if value and value[0] not in "\"'" and any(ch.isdigit() for ch in value) and key != "source":
                assert has_source or "#" in ln, f"{name}: no source for: {ln!r}"
        for ln in lines:
            if ln.startswith("source"):
                src = ln.split("=", 1)[1]
                assert "[" in src or "assumption" in src.lower(), f"{name}: source without a key: {ln!r}"


def test_layering_override_changes_only_named_keys(v1_scenario, tmp_path):
    default_scenario = v1_scenario   # the override below is layered on the 0.1 model
    f = tmp_path / "premium.toml"
    f.write_text("[contract]\npremium = 0.08\n")
    sc = simkit.load_scenario(["norddjurs_v1", f])
    assert sc.contract.premium == 0.08
    assert sc.contract.grant == default_scenario.contract.grant
    assert sc.sha256 != default_scenario.sha256
    assert sc.sources[-1] == str(f)


def test_changes_accumulate_across_layers(tmp_path):
    a = tmp_path / "a.toml"
    a.write_text('[[changes]]\nparameter = "outcome_rate_completers"\nfrom = 2027-01-01\nmultiply = 0.9\n')
    b = tmp_path / "b.toml"
    b.write_text('[[changes]]\nparameter = "completion_rate"\nfrom = 2027-01-01\nadd = -0.05\n')
    sc = simkit.load_scenario(["norddjurs_v1", a, b])
    assert [c.parameter for c in sc.changes] == ["outcome_rate_completers", "completion_rate"]


def test_hash_ignores_formatting(tmp_path):
    text = DEFAULT.read_text("utf-8")
    f = tmp_path / "copy.toml"
    f.write_text("# reformatted copy\n\n" + text.replace("\n[", "\n\n# a comment\n["))
    assert simkit.load_scenario(f).sha256 == simkit.load_scenario("norddjurs_v1").sha256   # DEFAULT is that file


def _bad(tmp_path, patch: str, *, extra: str = "") -> ScenarioError:
    f = tmp_path / "bad.toml"
    f.write_text(textwrap.dedent(patch))
    with pytest.raises(ScenarioError) as exc:
        simkit.load_scenario(["norddjurs_v1", f])
    return exc.value


@pytest.mark.parametrize(
    ("patch", "needles"),
    [
        ("[contract]\npremium = 'high'\n", ["bad.toml", "contract.premium", "'high'", "number"]),
        ("[contract]\npremum = 0.05\n", ["bad.toml", "contract.premum", "did you mean 'premium'"]),
        ("[agreement]\nend = 2025-01-01\n", ["agreement.end", "2025-01-01", "after agreement.start"]),
        ("[agreement]\ncohort_size = 96\n", ["agreement.intake", "95", "cohort_size = 96"]),
        ("[parameters.completion_rate]\nvalue = 1.2\nsource = 'x'\n",
         ["parameters.completion_rate.value", "1.2", "[0, 1]"]),
        ("[parameters.programme_cost_per_participant]\nvalue = -5\nsource = 'x'\n",
         ["parameters.programme_cost_per_participant", "-5"]),
        ("[parameters.completion_rte]\nvalue = 0.5\nsource = 'x'\n", ["did you mean 'completion_rate'"]),
        ("[budget]\ndiscount_rate = -0.01\n", ["budget.discount_rate", "-0.01", ">= 0"]),
        ("[[budget.other_costs]]\nname = 'x'\ndate = 2026-01-01\namount = -100\n",
         ["budget.other_costs[0].amount", "-100"]),
        ("[parameters.completion_rate]\ndist = 'beta'\nmean = 0.8\nlow = 0.9\nhigh = 0.95\nsource = 'x'\n",
         ["parameters.completion_rate", "low < mean < high"]),
        ("[contract]\nmeasurement_date = 2027-01-01\n", ["contract.measurement_date", "outcome_window_end"]),
        ("[parameters.spell_mean_weeks]\ndist = 'gamma'\nmean = -1\nsd = 2\nsource = 'x'\n",
         ["parameters.spell_mean_weeks.mean", "-1", "> 0"]),
        ("[parameters.weeks_to_outcome]\ndist = 'uniform'\nlow = -4\nhigh = 2\nsource = 'x'\n",
         ["parameters.weeks_to_outcome", "[0, inf]"]),
        ("[contract]\nschedule = [{date = 2028-06-30, share = 0.5}]\n", ["contract.schedule", "summing to 1"]),
    ],
)
def test_bad_input_names_file_key_and_value(tmp_path, patch, needles):
    msg = str(_bad(tmp_path, patch))
    for n in needles:
        assert n in msg, (n, msg)


def test_toml_syntax_error_names_file_and_line(tmp_path):
    f = tmp_path / "broken.toml"
    f.write_text("[contract\npremium = 0.05\n")
    with pytest.raises(ScenarioError) as exc:
        simkit.load_scenario(f)
    assert "broken.toml" in str(exc.value) and "line 1" in str(exc.value)


def test_all_problems_reported_together(tmp_path):
    err = _bad(tmp_path, "[contract]\npremium = -1\ngrant = 0\n")
    assert len(err.problems) == 2


def test_missing_file_is_a_clear_error():
    with pytest.raises(ScenarioError, match=r"no_such\.toml"):
        simkit.load_scenario("no_such.toml")


def test_default_loads_from_any_working_directory(tmp_path):
    code = "import simkit; print(simkit.load_scenario().agreement.cohort_size)"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(Path(simkit.__file__).parents[1])}, check=True)
    assert out.stdout.strip() == "95"


def test_a_replaced_list_is_blamed_on_the_file_that_replaced_it(tmp_path):
    err = _bad(tmp_path, "[contract]\ntargets = [{id = 'x'}]\n")
    assert all(p.where.startswith(str(tmp_path / "bad.toml")) for p in err.problems), err
    assert {p.where.split(": ")[1] for p in err.problems} == {
        "contract.targets[0].indicator", "contract.targets[0].threshold", "contract.targets[0].weight"}
