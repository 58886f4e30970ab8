"""The committed notebooks are executed, clean and reproducible (STYLE.md point 7).

nbval (``pytest --nbval``, configured in pyproject.toml) re-executes every
notebook and compares its outputs with the committed ones. That comparison
is only meaningful if the committed notebook was itself executed top to
bottom in a fresh kernel and holds nothing that changes from run to run.
These checks read the ``.ipynb`` files without running them:

* every non-empty code cell has an execution count, 1, 2, 3, ... in order
  (nbval silently skips cells without one; "restart and run all" gives 1..n);
* no error outputs and nothing on stderr (warnings are failures too);
* no timings, clock times, run dates, progress bars or memory addresses in
  outputs, and no clock or progress-bar calls in the code; an ISO date in an
  output must come from the inputs (data/ or the notebook's own text);
* figures are not echoed as ``<matplotlib...>`` / ``Text(...)`` reprs (end
  plot cells with ``;``), calls to ``simulate`` pass a seed, and no output
  holds a CPR-like identifier;
* no per-cell execution timestamps in the cell metadata (re-execute with
  ``--ExecutePreprocessor.record_timing=False``, see notebooks/README.md).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))

ISO_DATE = re.compile(r"(?<!\d)(?:19|20)\d{2}-[01]\d-[0-3]\d(?!\d)")

#: (what, pattern) searched in every text output
FORBIDDEN_OUTPUT = [
    ("a clock time", re.compile(r"(?<![\d.])\d{1,2}:\d{2}:\d{2}(?![\d])")),
    ("a timestamp", re.compile(r"(?:19|20)\d{2}-\d{2}-\d{2}[T ]\d{2}:\d{2}")),
    ("a timing", re.compile(r"\b(?:Wall time|CPU times|elapsed|per loop)\b", re.IGNORECASE)),
    ("a timing", re.compile(r"(?<![\w.])\d+(?:\.\d+)?\s?(?:ms|µs|us|ns|sec|seconds)\b")),
    ("a timing", re.compile(r"(?<![\w.])\d+\.\d+\s?s\b")),
    ("a progress bar", re.compile(r"\d+%\|")),
    ("a progress bar", re.compile(r"\d(?:it|s)/(?:s|it)\b|\bit/s\b")),
    ("a progress bar", re.compile(r"[█▉▊▋▌▍▎▏]{3,}")),
    ("a memory address", re.compile(r"0x[0-9a-fA-F]{6,}")),
    ("a figure echoed as text (end the plot cell with ';')",
     re.compile(r"^\[?<matplotlib\.|^Text\(|^\[<matplotlib|^<(?:Axes|AxesSubplot)\b", re.MULTILINE)),
    ("a CPR-like identifier", re.compile(r"(?<![\d.,])[0-3]\d[01]\d{3}-?\d{4}(?![\d.,])")),
]

#: (what, pattern) searched in every code cell's source
FORBIDDEN_SOURCE = [
    ("a timing magic", re.compile(r"^\s*%{1,2}(?:time|timeit|prun)\b", re.MULTILINE)),
    ("a clock call", re.compile(r"\b(?:time\.time|time\.perf_counter|time\.monotonic|datetime\.now|"
                                r"datetime\.utcnow|date\.today|Timestamp\.now|Timestamp\.today)\s*\(")),
    ("a progress bar", re.compile(r"\btqdm\b|progress\s*=\s*True")),
    ("an unseeded generator", re.compile(r"default_rng\(\s*\)|np\.random\.(?:rand|randn|random|seed)\(")),
]


@cache
def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _code_cells(path: Path) -> list[tuple[int, dict]]:
    return [(i, c) for i, c in enumerate(_load(path)["cells"]) if c["cell_type"] == "code"]


def _text(x) -> str:
    return "".join(x) if isinstance(x, list) else str(x)


def _output_texts(output: dict) -> list[str]:
    """Every piece of text an output carries (stream text, text/* and JSON data; no images)."""
    if output["output_type"] == "stream":
        return [_text(output.get("text", ""))]
    if output["output_type"] == "error":
        return [output.get("ename", ""), output.get("evalue", "")]
    return [_text(v) for k, v in output.get("data", {}).items() if not k.startswith("image/")]


@cache
def _input_dates() -> frozenset[str]:
    """ISO dates that appear in the project's data files (scenarios, examples, READMEs)."""
    found: set[str] = set()
    for f in (ROOT / "data").rglob("*"):
        if f.is_file() and f.suffix in {".toml", ".csv", ".md", ".json", ".txt"}:
            found.update(ISO_DATE.findall(f.name))
            found.update(ISO_DATE.findall(f.read_text(encoding="utf-8", errors="replace")))
    return frozenset(found)


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _where(path: Path, i: int) -> str:
    return f"{_rel(path)}, cell {i}"


def test_notebooks_exist():
    assert NOTEBOOKS, f"no notebooks found in {NOTEBOOK_DIR}"


each_notebook = pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])


@each_notebook
def test_every_code_cell_executed_once_in_order(path):
    counts = []
    for i, cell in _code_cells(path):
        if not _text(cell["source"]).strip():
            continue
        n = cell.get("execution_count")
        assert n is not None, (
            f"{_where(path, i)} has no execution count: nbval would skip it. "
            "Re-execute the whole notebook (see notebooks/README.md).")
        counts.append(n)
    assert counts == list(range(1, len(counts) + 1)), (
        f"{_rel(path)}: execution counts {counts} are not 1, 2, 3, ... in order; "
        "restart the kernel and run all cells (or use the nbconvert command in notebooks/README.md)")


@each_notebook
def test_no_errors_and_nothing_on_stderr(path):
    for i, cell in _code_cells(path):
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", (
                f"{_where(path, i)} has an error output: {out.get('ename')}: {out.get('evalue')}")
            if out["output_type"] == "stream":
                assert out["name"] != "stderr", (
                    f"{_where(path, i)} writes to stderr (a warning?): {_text(out['text'])[:300]!r}")


@each_notebook
def test_no_timings_clock_times_progress_bars_or_addresses_in_outputs(path):
    for i, cell in _code_cells(path):
        for out in cell.get("outputs", []):
            for text in _output_texts(out):
                for what, pat in FORBIDDEN_OUTPUT:
                    m = pat.search(text)
                    assert m is None, (
                        f"{_where(path, i)}: output contains {what}: {m.group(0)!r} in "
                        f"{text[max(0, m.start() - 60): m.end() + 60]!r}")


@each_notebook
def test_dates_in_outputs_come_from_the_inputs(path):
    # A date printed by a notebook must be an input (agreement dates, measurement dates, file
    # names of the example data) - never the day the notebook happened to be run.
    own = set()
    for cell in _load(path)["cells"]:
        own.update(ISO_DATE.findall(_text(cell["source"])))
    allowed = _input_dates() | own
    for i, cell in _code_cells(path):
        for out in cell.get("outputs", []):
            for text in _output_texts(out):
                for d in ISO_DATE.findall(text):
                    assert d in allowed, (
                        f"{_where(path, i)}: output contains the date {d}, which is in neither "
                        "data/ nor the notebook's text; is it the run date?")


@each_notebook
def test_code_has_no_clocks_progress_bars_or_unseeded_randomness(path):
    for i, cell in _code_cells(path):
        src = _text(cell["source"])
        for what, pat in FORBIDDEN_SOURCE:
            m = pat.search(src)
            assert m is None, f"{_where(path, i)}: code contains {what}: {m.group(0)!r}"


@each_notebook
def test_simulate_calls_pass_a_seed(path):
    call = re.compile(r"\bsimulate\(")
    for i, cell in _code_cells(path):
        src = _text(cell["source"])
        for m in call.finditer(src):
            depth, j = 0, m.end() - 1
            while j < len(src):  # find the matching parenthesis
                depth += {"(": 1, ")": -1}.get(src[j], 0)
                if depth == 0:
                    break
                j += 1
            args = src[m.end(): j]
            if src[max(0, m.start() - 4): m.start()] == "def ":
                continue
            assert re.search(r"\bseed\s*=", args), (
                f"{_where(path, i)}: simulate({args.strip()[:80]}) has no seed=: the numbers "
                "would change at every run")


@each_notebook
def test_no_execution_timestamps_in_metadata(path):
    for i, cell in _code_cells(path):
        assert "execution" not in cell.get("metadata", {}), (
            f"{_where(path, i)} carries execution timestamps in its metadata; re-execute with "
            "--ExecutePreprocessor.record_timing=False (see notebooks/README.md)")
