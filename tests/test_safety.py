"""Issue 12, "nothing lost, nothing leaked": one test per failure it lists, and the interrupt tests.

Each of the first tests failed on the code before the fix (the failure is
named in its docstring). The corpus (tests/test_corpus.py) covers the same
ground more broadly; these check the details.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import simkit
from simkit.cli import main
from simkit.errors import InputError, Interrupted, Problem, ScenarioError, find_cpr, mask_cpr
from simkit.io.files import OutputDir, neutralise_formula, write_frame_csv
from simkit.io.observed import read_observed, write_observed_csv

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "data" / "scenarios" / "norddjurs_v1.toml"
HEADER = ("id,referral_date,course_status,course_status_date,outcome_type,outcome_start,"
          "outcome_end,weekly_hours,dp_award_date,qol_baseline,qol_followup")


@pytest.fixture
def base(tmp_path):
    p = tmp_path / "base.toml"
    p.write_bytes(SCENARIO.read_bytes())
    return p


def _csv(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------- inputs never written


@pytest.mark.parametrize("how", ["same", "dotdot", "symlink"])
def test_run_json_onto_its_scenario_is_refused(base, tmp_path, capsys, how):
    """Was: exit 0, and base.toml replaced by JSON."""
    (tmp_path / "x").mkdir()
    target = {"same": str(base), "dotdot": str(tmp_path / "x" / ".." / "base.toml"),
              "symlink": str(tmp_path / "link.toml")}[how]
    if how == "symlink":
        (tmp_path / "link.toml").symlink_to(base)
    before = base.read_bytes()
    assert main(["run", str(base), "--draws", "1000", "--json", target]) == 2
    assert "inputs are never overwritten" in capsys.readouterr().err
    assert base.read_bytes() == before


@pytest.mark.parametrize("argv", [
    ["evaluate", "{data}", "--scenario", "{base}", "--json", "{base}"],
    ["sensitivity", "{base}", "--method", "tornado", "--draws", "200", "--json", "{base}"],
    ["design", "{base}", "--draws", "500", "--json", "{base}"],
])
def test_other_commands_never_write_onto_an_input(base, tmp_path, capsys, argv):
    """Was: evaluate --json onto --scenario, sensitivity --json and design --json all replaced it."""
    data = _csv(tmp_path / "d.csv", ["P1,2025-11-06,ongoing,,none,,,,,,"])
    before = base.read_bytes()
    assert main([a.format(base=base, data=data) for a in argv]) == 2
    assert "inputs are never overwritten" in capsys.readouterr().err
    assert base.read_bytes() == before


def test_out_dir_with_earlier_outputs_needs_force_and_names_them(tmp_path, capsys):
    """Was: --out DIR silently replaced an older summary.json."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text("old")
    (out / "mine.txt").write_text("keep")
    assert main(["run", "--draws", "1000", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "summary.json" in err and "--force" in err
    assert (out / "summary.json").read_text() == "old"
    assert sorted(p.name for p in out.iterdir()) == ["mine.txt", "summary.json"]
    assert main(["run", "--draws", "1000", "--out", str(out), "--force"]) == 0
    assert json.loads((out / "summary.json").read_text())["draws"] == 1000
    assert (out / "mine.txt").read_text() == "keep"
    assert not [p for p in tmp_path.rglob("*.tmp")]


def test_synth_never_replaces_an_existing_file_without_force(tmp_path, capsys):
    """Was: synth -o data.csv silently replaced participant data with synthetic rows."""
    data = _csv(tmp_path / "data.csv", ["P1,2025-11-06,ongoing,,none,,,,,,"])
    before = data.read_bytes()
    assert main(["synth", "norddjurs_v1", "-o", str(data)]) == 2   # the 0.1 format of the data file
    assert "--force" in capsys.readouterr().err
    assert data.read_bytes() == before
    assert main(["synth", "norddjurs_v1", "-o", str(data), "--force"]) == 0
    assert len(read_observed(data)) > 1


def test_outputs_get_normal_permissions(tmp_path, capsys):
    """Was: every output file came out 0600 (the temporary file's mode)."""
    old = os.umask(0o022)
    try:
        assert main(["run", "--draws", "1000", "--json", str(tmp_path / "r.json"),
                     "--out", str(tmp_path / "out")]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "r.json").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "out" / "summary.json").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "out" / "repayment.png").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o755


# ---------------------------------------------------------------- user errors are messages


@pytest.mark.parametrize("flag_value", ["{dir}", "", "/dev/null/x.json"])
def test_json_to_a_folder_or_nowhere_is_a_message(tmp_path, capsys, flag_value):
    """Was: IsADirectoryError / FileNotFoundError tracebacks (exit 1)."""
    assert main(["run", "--draws", "1000", "--json", flag_value.format(dir=tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("simkit run: error: --json") and "Traceback" not in err


def test_out_onto_a_file_and_scenario_folder_are_messages(tmp_path, capsys):
    """Was: FileExistsError and IsADirectoryError tracebacks."""
    f = tmp_path / "f.txt"
    f.write_text("x")
    assert main(["run", "--draws", "1000", "--out", str(f)]) == 2
    assert "existing file" in capsys.readouterr().err
    assert main(["run", str(tmp_path)]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_deep_toml_is_a_message(tmp_path, capsys):
    """Was: RecursionError traceback for arrays nested 5,000 deep."""
    p = tmp_path / "deep.toml"
    p.write_text("a = " + "[" * 5000 + "]" * 5000)
    with pytest.raises(ScenarioError, match="nested at most"):
        simkit.load_scenario(p)
    assert main(["validate", str(p)]) == 2


@pytest.mark.parametrize("argv", [
    ["synth", "--draw", "100000000", "-o", "x.csv"],
])
def test_huge_runs_are_refused_up_front(tmp_path, capsys, argv, monkeypatch):
    """Was: MemoryError traceback (per-draw arrays allocated for all draws)."""
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and ("GB" in err or "9,999" in err)
    assert list(tmp_path.iterdir()) == []


def test_huge_runs_are_streamed_in_flat_memory():
    """Was: MemoryError traceback (per-draw arrays allocated for all draws); now a run beyond
    simkit.engine.KEEP_DRAWS is streamed, and its memory estimate does not grow with the draws."""
    from simkit.engine import KEEP_DRAWS
    from simkit.limits import estimate_memory, memory_bound

    sc = simkit.load_scenario()
    est = [estimate_memory(sc, n, keep_draws=KEEP_DRAWS) for n in (10**9, 10**12)]
    assert est[0] == est[1] < memory_bound()


def test_memory_refusal_states_the_figure_and_the_way_out(monkeypatch):
    monkeypatch.setenv("SIMKIT_MAX_MEMORY_MB", "1000")
    with pytest.raises(InputError) as exc:  # every draw kept in memory; the 0.1 model's figures below
        simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=100_000_000, seed=1, keep_draws=True)
    err = str(exc.value)
    # 1e8 draws x (192 + 8 * 6 * 2 targets) bytes = 28.8e9, + baseline 256 MiB (0.268e9)
    # + chunk 160 B x 95 persons x 2048 draws (0.031e9) + curve 8 x 20,000 x 10 (0.0016e9) = 29.1e9
    assert "about 29.1 GB" in err and "bound of 1.0 GB" in err and "fewer --draws" in err


def test_memory_refusal_of_the_declarative_default_states_its_figure(monkeypatch):
    monkeypatch.setenv("SIMKIT_MAX_MEMORY_MB", "1000")
    monkeypatch.setenv("SIMKIT_MAX_CPU_HOURS", "1000000")  # past the time bound, to reach the memory one
    with pytest.raises(InputError) as exc:  # every draw kept in memory
        simkit.simulate(draws=100_000_000, seed=1, keep_draws=True)
    err = str(exc.value)
    # per draw 8 x (11 parameters + 16) + 4 x 7 x 4 indicators + 8 x 3 x 3 rate-card lines + 32 = 432 bytes:
    # 1e8 draws = 43.2e9; + baseline 320 MiB (0.336e9) + one block 2,600 B x 95 persons x 1,024 draws (0.253e9)
    # + curve and cash view 2 x 8 x 20,000 x (10 years + 2 + 4 instalments) (0.005e9) = 43.79e9
    assert "about 43.8 GB" in err and "bound of 1.0 GB" in err and "fewer --draws" in err


def test_a_run_of_the_declarative_default_that_would_take_days_is_refused_up_front(capsys):
    """Was: with streamed results memory no longer refuses it, and `simkit run --draws 10**8` ran for a day."""
    assert main(["run", "--draws", "100000000"]) == 2
    err = capsys.readouterr().err
    # lower bound 5 us per person and draw: 1e8 x 95 x 5e-6 s = 47,500 s = 13.2 h > the 12-hour bound;
    # the largest accepted run is 12 / 13.19 x 1e8 = 90,947,368 draws
    assert "at least 13 CPU hours" in err and "at most 90,947,368 draws" in err and "fewer --draws" in err


def test_huge_cohort_is_refused_with_the_bound(tmp_path, capsys):
    """Was: MemoryError for cohort_size 10^9."""
    p = tmp_path / "c.toml"
    p.write_text("[agreement]\ncohort_size = 1000000000\n[[agreement.intake]]\nfrom = 2025-11-01\n"
                 "to = 2027-04-30\ncount = 1000000000\n")
    assert main(["run", "norddjurs_v1", str(p), "--draws", "10"]) == 2
    assert "<= 100000" in capsys.readouterr().err


def test_many_unknown_keys_give_a_bounded_message(tmp_path, capsys):
    """Was: a 214-million-character message for a 50 MB file of unknown keys."""
    p = tmp_path / "k.toml"
    p.write_text("".join(f"key_{i} = {i}\n" for i in range(5000)))
    assert main(["validate", "norddjurs_v1", str(p)]) == 2
    err = capsys.readouterr().err
    assert len(err) < 10_000 and "and 4,980 more problem(s)" in err


def test_problem_values_are_shortened():
    text = str(Problem("f.toml: k", "x" * 10_000, "a short text"))
    assert len(text) < 400 and "more characters" in text


def test_grant_1e300_never_gives_null_in_json(tmp_path, capsys):
    """Was: exit 0 with "sd": null (the squares overflowed)."""
    p = tmp_path / "g.toml"
    p.write_text("[contract]\ngrant = 1e300\n")
    assert main(["run", "norddjurs_v1", str(p), "--draws", "1000", "--json",
                 str(tmp_path / "r.json")]) == 2
    assert "magnitude at most 1e+15" in capsys.readouterr().err
    assert not (tmp_path / "r.json").exists()


def test_repayment_sd_does_not_overflow():
    import numpy as np

    from simkit.results import _sd

    x = np.array([1.0, 2.0, 4.0])
    # sd of (1, 2, 4): mean 7/3, squares (16 + 1 + 25) / 9 = 42/9, / (n - 1) = 7/3
    assert _sd(x * 1e300) == pytest.approx(np.sqrt(7 / 3) * 1e300, rel=1e-12)
    assert _sd(x) == pytest.approx(np.sqrt(7 / 3), rel=1e-15)


def test_nul_byte_in_a_cell_is_refused_with_row_and_column(tmp_path):
    """Was: accepted silently."""
    p = _csv(tmp_path / "d.csv", ["P1,2025-11-06,ongoing,,none,,,,,,", "P\x002,2025-11-06,ongoing,,none,,,,,,"])
    with pytest.raises(simkit.errors.DataError, match=r"row 3, column 'id'.*U\+0000"):
        read_observed(p)


def test_xlsm_says_xlsx_is_expected(tmp_path, capsys):
    """Was: read as a scenario by validate (a TOML error); evaluate did not name .xlsx."""
    p = tmp_path / "d.xlsm"
    p.write_bytes(b"PK\x03\x04")
    assert main(["validate", str(p)]) == 2
    assert ".xlsx" in capsys.readouterr().err
    assert main(["evaluate", str(p), "--scenario", "norddjurs_v1"]) == 2   # the 0.1 data format
    assert "Excel Workbook (*.xlsx)" in capsys.readouterr().err


# ---------------------------------------------------------------- privacy


def test_cpr_in_a_header_is_masked(tmp_path, capsys):
    """Was: the header 140699-7209 was echoed unmasked (as an unknown column)."""
    p = tmp_path / "d.csv"
    p.write_text("id,referral_date,course_status,140699-7209\nP1,2025-11-06,ongoing,\n")
    assert main(["validate", str(p)]) == 2
    err = capsys.readouterr().err
    assert "140699-****" in err and "7209" not in err


@pytest.mark.parametrize("written", ["140699 7209", "cpr_140699-7209", "x1406997209", "140699-7209"])
def test_cpr_in_all_common_spellings_is_refused(tmp_path, written):
    """Was: the space and the glued-with-underscore spellings were accepted."""
    p = _csv(tmp_path / "d.csv", [f"{written},2025-11-06,ongoing,,none,,,,,,"])
    with pytest.raises(simkit.errors.DataError, match="CPR") as info:
        read_observed(p)
    assert "7209" not in str(info.value)


def test_cpr_detection_leaves_other_numbers_alone():
    assert find_cpr("310299-1234") is None        # 31 Feb is no date
    assert find_cpr("12.5 1406997209.5") is None  # a decimal number
    assert find_cpr("11406997209") is None        # eleven digits
    assert mask_cpr("run 2025-11-01 seed 2025") == "run 2025-11-01 seed 2025"


def test_cpr_shaped_file_name_is_masked_in_stdout_and_provenance(tmp_path, capsys):
    """Was: copied into stdout and into the JSON provenance."""
    data = _csv(tmp_path / "140699-7209.csv", ["P1,2025-11-06,ongoing,,none,,,,,,"])
    out = tmp_path / "e.json"
    assert main(["evaluate", str(data), "--scenario", "norddjurs_v1", "--as-of", "2025-11-06", "--json", str(out)]) == 0   # 0.1 format
    printed = capsys.readouterr().out
    assert "140699-****" in printed and "7209" not in printed
    assert "7209" not in out.read_text()
    scen = tmp_path / "0101901234.toml"
    scen.write_text("[contract]\npremium = 0.06\n")
    assert main(["run", "norddjurs_v1", str(scen), "--draws", "1000", "--json", str(out)]) == 0
    assert "0101901234" not in out.read_text() and "010190****" in out.read_text()


def test_printed_notes_suppress_small_counts(tmp_path, capsys):
    """Was: notes printed "3 persons", "2 row(s) referred before the start", "2 course(s) still ongoing"."""
    p = _csv(tmp_path / "d.csv", [
        "P1,2025-10-01,ongoing,,none,,,,,,",             # before the agreement start
        "P2,2025-10-02,ongoing,,none,,,,,,",             # before the agreement start
        "P3,2025-11-06,completed,2026-05-07,none,,,,,,",
    ])
    out = tmp_path / "e.json"
    assert main(["evaluate", str(p), "--scenario", "norddjurs_v1", "--as-of", "2028-04-30", "--json", str(out),
                 "--min-cell", "10"]) == 0
    printed = capsys.readouterr().out
    notes = printed[printed.index("Notes:"):]
    assert "<10 row(s) referred before the agreement start" in notes
    assert "<10 persons referred" in notes
    assert "<10 course(s) still ongoing" in notes
    for exact in ("2 row(s)", "3 persons", "2 course(s)"):
        assert exact not in printed
    kept = json.loads(out.read_text())["notes"]   # the evaluators' JSON keeps exact counts
    assert any(n.startswith("2 row(s) referred before") for n in kept)
    assert any(n.startswith("3 persons referred") for n in kept)


def test_formula_leading_ids_are_inert_in_csv_and_xlsx(tmp_path):
    """Was: an id "=HYPERLINK(...)" was re-exported as a live formula (CSV injection)."""
    import openpyxl

    from simkit.cli.synth import write_xlsx as _write_xlsx

    ids = ['=HYPERLINK("http://example.invalid","x")', "+1", "-2", "@SUM(A1)", "P5"]
    raw = pd.DataFrame({"id": ids, "referral_date": ["2025-11-06"] * 5,
                        "course_status": ["ongoing"] * 5})
    write_observed_csv(raw, tmp_path / "o.csv", dialect="iso")
    cells = [line.split(",")[0] for line in (tmp_path / "o.csv").read_text().splitlines()[1:]]
    assert [c.strip('"') for c in cells[1:]] == ["'+1", "'-2", "'@SUM(A1)", "P5"]
    assert cells[0].startswith("\"'=HYPERLINK")
    df = read_observed(tmp_path / "o.csv")
    _write_xlsx(df, str(tmp_path / "o.xlsx"))
    ws = openpyxl.load_workbook(tmp_path / "o.xlsx").active
    assert all(c.data_type == "s" for c in ws["A"][1:])
    assert ws["A2"].value.startswith("'=")


def test_results_csv_neutralises_formula_text_but_not_numbers(tmp_path):
    df = pd.DataFrame({"label": ["=1+1", "ok"], "value": [-3.5, 2.0]}, index=["@x", "y"])
    write_frame_csv(tmp_path / "t.csv", df)
    text = (tmp_path / "t.csv").read_text().splitlines()
    assert text[1] == "'@x,'=1+1,-3.5" and text[2] == "y,ok,2.0"
    assert neutralise_formula("\tx") == "'\tx" and neutralise_formula(-1) == -1


# ---------------------------------------------------------------- interrupts


def test_output_dir_is_all_or_nothing(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt), OutputDir(out) as tmp:
        for i in range(4):
            (tmp / f"f{i}.csv").write_text("x")
        raise Interrupted(signal.SIGINT)
    assert list(tmp_path.iterdir()) == []


def test_interrupt_while_writing_out_leaves_nothing(tmp_path, capsys, monkeypatch):
    """Was: an interrupt while --out was written left 4-5 of the files."""
    import simkit.cli.run as cli

    def interrupted(res, out):
        raise Interrupted(signal.SIGINT)

    monkeypatch.setattr(cli, "_figures", interrupted)
    assert main(["run", "--draws", "1000", "--out", str(tmp_path / "out"),
                 "--json", str(tmp_path / "r.json")]) == 130
    assert capsys.readouterr().err.strip().count("\n") == 0
    assert list(tmp_path.iterdir()) == []


def _spawn(argv: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "simkit", *argv], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc to see the run")
@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_during_a_run_exits_cleanly(tmp_path, sig, code):
    """SIGINT/SIGTERM while simulating: one line, exit 130/143, no output or temporary file."""
    proc = _spawn(["run", "--draws", "5000000", "--json", "r.json", "--out", "out"], tmp_path)
    deadline = time.monotonic() + 120
    # the per-draw arrays fill while simulating: RSS beyond the libraries' ~150 MB means it runs
    while _rss_mb(proc.pid) < 230 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code
    assert "Traceback" not in err
    assert err.strip().splitlines() == [f"simkit run: interrupted ({sig.name}); no output written"]
    assert list(tmp_path.iterdir()) == []


def test_sigint_during_start_up_exits_130(tmp_path):
    """Was: KeyboardInterrupt traceback and exit -2 (pandas and scipy loaded before any handler)."""
    proc = _spawn(["run", "--draws", "5000000", "--json", "r.json"], tmp_path)
    time.sleep(1.0)  # the CLI is still importing its libraries
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- memory


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc")
def test_memory_bound_holds_at_the_largest_accepted_draws(tmp_path):
    """Beyond the bound the run is refused quickly; at the largest accepted size peak RSS stays below it."""
    env = {**os.environ, "SIMKIT_MAX_MEMORY_MB": "320"}
    # the 0.1 model: with --out the run keeps up to a million draws for the figures (without it, 10^7
    # draws are streamed and fit: tests/test_streaming.py); the declarative model's bound: test below
    r = subprocess.run([sys.executable, "-m", "simkit", "run", "norddjurs_v1", "--draws", "10000000", "--out", "o"],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "bound of 0.3 GB" in r.stderr
    most = int(r.stderr.split("at most ")[1].split(" draws")[0].replace(",", ""))
    assert 10_000 < most < 1_000_000
    # VmHWM is this process's own peak (ru_maxrss would carry the forking parent's over exec)
    code = ("import sys\nfrom pathlib import Path\nfrom simkit.cli import main\n"
            f"rc = main(['run', 'norddjurs_v1', '--draws', '{most}'])\n"
            "hwm = [x for x in Path('/proc/self/status').read_text().splitlines() if x.startswith('VmHWM')]\n"
            "print('peak', hwm[0].split()[1], file=sys.stderr)\n"
            "sys.exit(rc)\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    peak_kb = int(r.stderr.split("peak ")[1].split()[0])
    assert peak_kb * 1024 < 320 * 2**20, f"peak RSS {peak_kb / 1024:.0f} MB"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc")
def test_memory_estimate_of_the_declarative_model_is_an_upper_bound(tmp_path):
    """Peak RSS of a run of the declarative default (two blocks; 380 persons) stays below the estimate."""
    big = tmp_path / "big.toml"   # four times the cohort: the per-person part dominates
    big.write_text("[agreement]\ncohort_size = 380\n" + "".join(
        f"[[agreement.intake]]\nfrom = {a}\nto = {b}\ncount = {n}\n"
        for a, b, n in (("2025-11-01", "2026-04-30", 140), ("2026-05-01", "2026-10-31", 140),
                        ("2026-11-01", "2027-04-30", 100))))
    code = ("import sys\nfrom pathlib import Path\nimport simkit\nfrom simkit.limits import estimate_memory\n"
            "sc = simkit.load_scenario(['norddjurs', sys.argv[1]])\n"
            "simkit.simulate(sc, 2048, seed=1, backend='serial')\n"
            "hwm = [x for x in Path('/proc/self/status').read_text().splitlines() if x.startswith('VmHWM')]\n"
            "print(int(hwm[0].split()[1]) * 1024, estimate_memory(sc, 2048))\n")
    r = subprocess.run([sys.executable, "-c", code, str(big)], cwd=tmp_path, capture_output=True, text=True,
                       timeout=900)
    assert r.returncode == 0, r.stderr
    peak, estimate = (int(x) for x in r.stdout.split())
    assert peak < estimate, f"peak RSS {peak / 1e6:.0f} MB, estimate {estimate / 1e6:.0f} MB"


def test_notes_render_suppressed_in_text_and_html_and_exact_in_json(tmp_path):
    from simkit.evaluation import Note

    n = Note.make("{n} row(s) referred before the agreement start 2025-11-01.", n=2)
    assert str(n) == "2 row(s) referred before the agreement start 2025-11-01."
    assert n.render(5) == "<5 row(s) referred before the agreement start 2025-11-01."
    assert n.render(2) == str(n)  # 2 is not below a min-cell of 2
    p = _csv(tmp_path / "d.csv", ["P1,2025-10-01,ongoing,,none,,,,,,",
                                  "P2,2025-11-06,ongoing,,none,,,,,,"])
    res = simkit.evaluate(p, simkit.load_scenario("norddjurs_v1"), min_cell=5)   # the 0.1 data format
    html = res._repr_html_()
    assert "&lt;5 row(s) referred before" in html and "1 row(s)" not in html
    assert any(x.startswith("1 row(s) referred before") for x in json.loads(res.to_json())["notes"])


def test_control_characters_inside_a_cell_but_not_around_it(tmp_path):
    ok = tmp_path / "ok.csv"
    ok.write_text(f'{HEADER}\n"P1\n",2025-11-06,ongoing,,none,,,,,,\n')
    assert read_observed(ok)["id"].tolist() == ["P1"]
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\nP1,2025-11-06,on\tgoing,,none,,,,,,\n")
    with pytest.raises(simkit.errors.DataError, match=r"row 2, column 'course_status'.*U\+0009"):
        read_observed(bad)
