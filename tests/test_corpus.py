"""The corpus of malformed, hostile and extreme inputs (tests/corpus/cases.toml).

Each case runs the command line in-process (``simkit.cli.main``) in a fresh
folder holding only the case's inputs, and checks the exit code, the words of
the message, and the promises every case shares: no traceback, a bounded
message, no unmasked CPR-like number in the output, and — when the command
fails — nothing written or changed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import tomllib
from pathlib import Path

import pytest

from simkit.cli import main
from simkit.errors import mask_cpr

CORPUS = Path(__file__).parent / "corpus"
REPO = Path(__file__).resolve().parents[1]
MANIFEST = tomllib.loads((CORPUS / "cases.toml").read_text(encoding="utf-8"))
CASES = MANIFEST["case"]
HEADER = ("id,referral_date,course_status,course_status_date,outcome_type,outcome_start,"
          "outcome_end,weekly_hours,dp_award_date,qol_baseline,qol_followup")
MAX_MESSAGE = 20_000


def _bad_rows(n: int) -> str:
    return HEADER + "\n" + "".join(f"P{i},32-01-2026,ongoing,,none,,,,,,\n" for i in range(n))


GENERATORS = {
    "deep_array": lambda n: "a = " + "[" * n + "]" * n + "\n",
    "deep_table": lambda n: "a = " + "{b = " * n + "1" + "}" * n + "\n",
    "deep_dotted": lambda n: "a" + ".b" * n + " = 1\n",
    "unknown_keys": lambda n: "".join(f"unknown_key_{i} = {i}\n" for i in range(n)),
    "long_key": lambda n: "k" * n + " = 1\n",
    "long_value": lambda n: f'[contract]\npremium = "{"x" * n}"\n',
    "bad_rows": _bad_rows,
    "many_columns": lambda n: ("id,referral_date,course_status,"
                               + ",".join(f"extra{i}" for i in range(n))
                               + "\nP1,2025-11-06,ongoing" + "," * n + "\n"),
    "long_cell": lambda n: f"{HEADER}\nP1,2025-11-06,{'x' * n},,none,,,,,,\n",
}


def _xlsx_bytes(rows: list[list[object]]) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append([dt.datetime.fromisoformat(c[5:]) if isinstance(c, str) and c.startswith("date:")
                   else c for c in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _setup(case: dict, root: Path) -> None:
    def put(name: str, data: bytes) -> None:
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)

    for d in case.get("dirs", []):
        (root / d).mkdir(parents=True, exist_ok=True)
    for name in case.get("use", []):
        put(name, MANIFEST["shared"][name].encode("utf-8"))
    for name, text in case.get("files", {}).items():
        put(name, text.encode("utf-8"))
    for name, rows in case.get("rows", {}).items():
        put(name, (HEADER + "\n" + "\n".join(rows) + "\n").encode("utf-8"))
    for name, hexdata in case.get("hex", {}).items():
        put(name, bytes.fromhex(hexdata))
    for name, spec in case.get("gen", {}).items():
        kind, _, n = spec.partition(":")
        put(name, GENERATORS[kind](int(n)).encode("utf-8"))
    for name, rows in case.get("xlsx", {}).items():
        put(name, _xlsx_bytes(rows))
    for name, src in case.get("repo", {}).items():
        put(name, (REPO / src).read_bytes())
    for link, target in case.get("symlinks", {}).items():
        (root / link).symlink_to(target)
    for link, target in case.get("hardlinks", {}).items():
        os.link(root / target, root / link)
    for d in case.get("readonly", []):
        (root / d).chmod(0o555)


def _snapshot(root: Path) -> dict[str, bytes | None]:
    out: dict[str, bytes | None] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            p = Path(dirpath) / n
            rel = str(p.relative_to(root))
            out[rel] = p.read_bytes() if p.is_file() and not p.is_symlink() else None
    return out


def _finite_json(path: Path) -> None:
    """No null where the result should be a number (nullable keys listed)."""
    nullable = {"nested", "break_even_year", "irr_median",
                # budget.neutrality: per additional outcome is null when the programme adds none
                "repayment_per_additional", "savings_per_additional", "avoided_activation_per_additional",
                "uncovered_costs_per_additional", "net_per_additional"}

    def walk(v, key=""):
        if isinstance(v, dict):
            for k, x in v.items():
                walk(x, k)
        elif isinstance(v, list):
            for x in v:
                walk(x, key)
        else:
            assert v is not None or key in nullable, f"{path.name}: {key} is null"

    data = json.loads(path.read_text(encoding="utf-8"))
    walk({k: data[k] for k in ("repayment", "budget", "fund") if k in data})


def run_cli(argv: list[str], cwd: Path) -> tuple[int, str, str]:
    """``simkit ARGV`` in-process in ``cwd``; returns (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    old = Path.cwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        os.chdir(old)
    return code, out.getvalue(), err.getvalue()


def test_corpus_is_large_and_names_are_unique():
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names))
    assert sum(c["exit"] != 0 for c in CASES) >= 100
    assert sum(c["exit"] == 0 for c in CASES) >= 15


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_corpus_case(case, tmp_path):
    if case.get("root_skip") and os.geteuid() == 0:
        pytest.skip("permissions do not bind root")
    root = tmp_path / "work"
    root.mkdir()
    _setup(case, root)
    before = _snapshot(root)
    try:
        code, out, err = run_cli(case["argv"], root)
    finally:
        for d in case.get("readonly", []):
            (root / d).chmod(0o755)
    text = out + err
    assert code == case["exit"], f"exit {code}, expected {case['exit']}\n{text[:3000]}"
    assert "Traceback" not in err
    assert len(err) < MAX_MESSAGE, f"message of {len(err):,} characters"
    assert mask_cpr(text) == text, "a CPR-like number is shown unmasked"
    for w in case.get("words", []):
        assert w in text, f"{w!r} not in output:\n{text[:3000]}"
    after = _snapshot(root)
    leftovers = [n for n in after if n.endswith(".tmp") or "/.tmp" in n or ".tmp" in Path(n).name]
    assert not leftovers, f"temporary files left: {leftovers}"
    changes = set(case.get("changes", []))
    for name, data in before.items():
        if name not in changes:
            assert after.get(name, b"<gone>") == data, f"input {name} was changed"
    if code != 0:
        assert set(after) == set(before), f"files written on error: {set(after) - set(before)}"
    for name in case.get("created", []):
        assert (root / name).exists(), f"{name} not written"
    for name in case.get("finite_json", []):
        _finite_json(root / name)
    for name, words in case.get("not_in_files", {}).items():
        content = (root / name).read_text(encoding="utf-8")
        for w in words:
            assert w not in content, f"{w!r} in {name}"
