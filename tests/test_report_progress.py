"""Progress bars (tqdm on stderr) on the long library calls behind `report`, `sensitivity` and `design`.

The bars are off by default (notebook outputs stay clean), change no number,
and the command line turns them on only when stderr is a terminal.
"""

from __future__ import annotations

import sys

import pytest

import simkit
from simkit import sensitivity as S
from simkit.report import make_report

V1 = "norddjurs_v1"


def _bar_on(err: str) -> bool:
    return "chunk" in err and "%" in err


@pytest.mark.parametrize("method", ["tornado", "twoway", "sobol", "variance"])
def test_sensitivity_progress_is_passed_down_and_changes_nothing(method, capsys):
    sc = simkit.load_scenario(V1)
    calls = {
        "tornado": lambda **kw: S.tornado(sc, params=["completion_rate"], draws=256, seed=1, **kw).to_dict(),
        "twoway": lambda **kw: S.twoway(sc, n_grid=2, draws=128, seed=1, **kw).to_dict(),
        "sobol": lambda **kw: S.sobol_model(sc, params=["completion_rate", "outcome_rate_bau"], n=64, inner=2,
                                            seed=1, n_resamples=9, **kw).to_dict(),
        "variance": lambda **kw: S.variance_by_cohort_size(sc, cohort_sizes=[50], outer=64, inner=2, seed=1,
                                                           n_resamples=9, **kw).to_dict(),
    }
    quiet = calls[method]()
    assert not _bar_on(capsys.readouterr().err)
    loud = calls[method](progress=True)
    assert _bar_on(capsys.readouterr().err)
    # the same numbers with or without bars (timings aside)
    assert quiet.keys() == loud.keys()
    for k in quiet:
        if k not in ("seconds", "provenance"):
            assert repr(quiet[k]) == repr(loud[k]), k


def test_report_progress_is_passed_down(capsys):
    html, _ = make_report(simkit.load_scenario(V1), draws=256, base_draws=128, seed=1, progress=True)
    assert _bar_on(capsys.readouterr().err)
    html2, _ = make_report(simkit.load_scenario(V1), draws=256, base_draws=128, seed=1)
    assert not _bar_on(capsys.readouterr().err)
    assert html == html2


COMMANDS = {
    "report": lambda out: ["report", V1, "--draws", "256", "--base-draws", "128", "-o", str(out / "r.html")],
    "sensitivity": lambda out: ["sensitivity", V1, "--method", "tornado", "--params", "completion_rate",
                                "--draws", "256"],
    "design": lambda out: ["design", V1, "--draws", "256"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_command_line_bars_only_on_a_terminal(command, tmp_path, capsys, monkeypatch):
    from simkit.cli import main

    assert main(COMMANDS[command](tmp_path)) == 0
    assert not _bar_on(capsys.readouterr().err)  # stderr captured: not a terminal, no bar
    (tmp_path / "r.html").unlink(missing_ok=True)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(COMMANDS[command](tmp_path)) == 0
    assert _bar_on(capsys.readouterr().err)
