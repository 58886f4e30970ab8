"""What-if helpers against hand-built scenarios."""

from __future__ import annotations

import numpy as np
import pytest

import simkit
from simkit.errors import InputError
from simkit.io.scenario import DEFAULT_SCENARIO


def _sd(dist):
    u = (np.arange(200_000) + 0.5) / 200_000
    return float(np.std(dist.ppf(u)))


@pytest.mark.parametrize(("name", "new"), [("completion_rate", 0.7), ("spell_mean_weeks", 100.0),
                                           ("bau_cost_per_person", 12_000.0), ("weeks_to_outcome", 10.0)])
def test_set_parameter_recentres_and_keeps_the_spread(name, new):
    sc = simkit.load_scenario("norddjurs_v1")   # the 0.1 model's parameter names and completion target
    old = sc.parameters[name].dist
    changed = simkit.set_parameter(sc, name, mean=new)
    d = changed.parameters[name].dist
    assert d.mean == pytest.approx(new, rel=1e-6)
    assert _sd(d) == pytest.approx(_sd(old), rel=2e-3)
    assert type(d) is type(old)
    # nothing else moved
    assert {k: p.dist for k, p in changed.parameters.items() if k != name} == \
        {k: p.dist for k, p in sc.parameters.items() if k != name}
    assert "what-if" in changed.parameters[name].source


def test_set_parameter_value_fixes_and_bad_names_are_refused():
    sc = simkit.load_scenario("norddjurs_v1")   # the 0.1 model's parameter names and completion target
    fixed = simkit.set_parameter(sc, "completion_rate", value=0.75)
    assert fixed.parameters["completion_rate"].dist.is_fixed
    with pytest.raises(InputError, match="did you mean 'completion_rate'"):
        simkit.set_parameter(sc, "completion_rat", mean=0.7)
    with pytest.raises(InputError, match="exactly one"):
        simkit.set_parameter(sc, "completion_rate")


def test_compare_uses_common_random_numbers():
    """A scenario compared with an identical copy gives identical rows; a certain completion
    (rate fixed at 1) meets the completion target in every draw."""
    sc = simkit.load_scenario("norddjurs_v1")   # the 0.1 model's parameter names and completion target
    df = simkit.compare({"a": sc, "b": sc.with_updates({}), "all complete":
                         simkit.set_parameter(sc, "completion_rate", value=1.0)}, draws=1024, seed=3)
    assert df.loc["a"].equals(df.loc["b"])
    assert df.loc["all complete", "P(met: completion)"] == 1.0
    assert df.loc["all complete", "P(met: completion)"] >= df.loc["a", "P(met: completion)"]


def test_an_override_file_is_layered_on_the_default(tmp_path, capsys):
    from simkit.cli import main

    f = tmp_path / "premium.toml"
    f.write_text("[contract]\npremium = 0.08\n")
    sc = simkit.load_scenario([f])
    assert sc.contract.premium == 0.08
    assert sc.sources[0] == f"{DEFAULT_SCENARIO} (embedded)" and sc.sources[-1] == str(f)
    assert sc.agreement.cohort_size == simkit.load_scenario().agreement.cohort_size
    assert main(["run", str(f), "--draws", "1024"]) == 0
    err = capsys.readouterr().err
    assert "override" in err and "embedded default" in err


def test_out_writes_an_xlsx_workbook_with_numbers_and_a_danish_csv(tmp_path):
    import openpyxl
    import pandas as pd

    from simkit.cli import main

    out = tmp_path / "o"
    assert main(["run", "--draws", "1024", "--seed", "1", "--out", str(out), "--csv", "danish"]) == 0
    wb = openpyxl.load_workbook(out / "summary.xlsx")
    assert set(wb.sheetnames) == {"summary", "targets", "curve"}
    ws = wb["summary"]
    header = [c.value for c in ws[1]]
    vi, ui = header.index("value"), header.index("unit")
    rows = list(ws.iter_rows(min_row=2))
    assert all(isinstance(r[vi].value, int | float) for r in rows if r[vi].value is not None)
    prob = next(r for r in rows if r[ui].value == "probability")
    assert prob[vi].number_format == "0.0%"
    money = next(r for r in rows if r[ui].value == "DKK")
    assert money[vi].number_format == "#,##0"
    text = (out / "summary.csv").read_text(encoding="utf-8")
    assert ";" in text.splitlines()[0]
    df = pd.read_csv(out / "summary.csv", sep=";", decimal=",")
    assert df["value"].dtype.kind == "f"
    # normal permissions (the umask), not 0600
    import os
    import stat

    mode = stat.S_IMODE((out / "summary.xlsx").stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask


def test_progress_bar_only_on_request(capsys):
    """simulate(progress=True) draws a bar on stderr; by default (notebooks, pipes) nothing is printed."""
    sc = simkit.load_scenario()
    simkit.simulate(sc, draws=4096, seed=1)
    assert capsys.readouterr().err == ""
    simkit.simulate(sc, draws=4096, seed=1, progress=True)
    assert "chunk" in capsys.readouterr().err


def test_design_variants_are_held_to_the_scenario_schema(capsys):
    """`design --compare threshold,premium=3` was accepted as a 300 % premium; the schema allows [0, 1]."""
    from simkit.cli import main

    # the variant specs name the payment targets of the threshold contract
    assert main(["design", "norddjurs_threshold", "--compare", "threshold,premium=3", "--draws", "1024"]) == 2
    assert "<= 1" in capsys.readouterr().err
    assert main(["design", "norddjurs_threshold", "--compare", "threshold,premium=8%", "--draws", "1024"]) == 0
