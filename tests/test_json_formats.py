"""docs/json-formats.md against the code: the keys each command's ``--json`` writes are the documented ones.

Each command runs once, in-process, on small inputs (version-1 and version-2
scenarios where the command takes both); every object the page describes
must be found in that output with exactly the listed keys (a key marked
*(only ...)* may be missing), and every top-level key written is documented.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from simkit.cli import main
from simkit.io.scenario import embedded_scenarios, load_scenario
from simkit.model.spec import ModelScenario

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "json-formats.md"
EXAMPLES = ROOT / "data" / "examples"


def _documented() -> dict[str, tuple[set[str], set[str]]]:
    """Heading path -> (every key, the keys marked *(only ...)*)."""
    out: dict[str, tuple[set[str], set[str]]] = {}
    path = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        head = re.fullmatch(r"### `([^`]+)`", line)
        if head:
            path = head[1]
            out[path] = (set(), set())
        elif line.startswith("## "):
            path = None
        elif path and (item := re.match(r"- `([^`]+)`:(.*)", line)):
            out[path][0].add(item[1])
            if "*(only" in item[2]:
                out[path][1].add(item[1])
    return out


def _norddjurs(version: int) -> str:
    """The embedded Norddjurs scenario of a version, whatever the names are today."""
    for name in ("norddjurs", "norddjurs_v1", "norddjurs_model"):
        if name in embedded_scenarios() and isinstance(load_scenario(name), ModelScenario) == (version == 2):
            return name
    raise AssertionError(f"no embedded Norddjurs scenario of version {version}")


def _json(tmp: Path, *argv: str) -> dict[str, Any]:
    out = tmp / f"{len(list(tmp.iterdir()))}.json"
    assert main([*argv, "--json", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """Root name in the page -> the JSON objects written for it."""
    tmp = tmp_path_factory.mktemp("json")
    v1, v2 = _norddjurs(1), _norddjurs(2)
    spells = tmp / "spells.csv"
    assert main(["synth", v2, "--seed", "3", "-o", str(spells)]) == 0
    sens = {m: _json(tmp, "sensitivity", v1, "--method", m, *args) for m, args in {
        "tornado": ["--params", "completion_rate,outcome_rate_bau", "--draws", "100"],
        "twoway": ["--grid", "2", "--draws", "50"],
        "sobol": ["--params", "completion_rate,outcome_rate_bau", "--n-base", "16", "--inner", "2",
                  "--resamples", "10"],
        "variance": ["--outer", "20", "--inner", "2", "--cohort-sizes", "20,40", "--resamples", "5"],
        "evpi": ["--draws", "2000", "--params", "spell_mean_weeks,outcome_rate_bau"],
        "discovery": ["--draws", "2000"],
    }.items()}
    fund = tmp / "fund.toml"
    fund.write_text('[[factors]]\nname = "lm"\nsd = 0.1\n[[agreements]]\nid = "a"\nscenario = "sundinvest_2021"\n'
                    'cohort_size = 10\nscales = { lm = "hr_return" }\n[[agreements]]\nid = "b"\n'
                    f'scenario = "{v1}"\ncohort_size = 10\n', encoding="utf-8")
    return {
        "portfolio": [_json(tmp, "portfolio", str(fund), "--draws", "64")],
        "run": [_json(tmp, "run", v1, "--draws", "300"), _json(tmp, "run", v2, "--draws", "300")],
        "evaluate.v1": [_json(tmp, "evaluate", str(EXAMPLES / "norddjurs_final.csv"), "--scenario", v1),
                        _json(tmp, "evaluate", str(EXAMPLES / "norddjurs_interim_2026-11-01.csv"),
                              "--scenario", v1, "--as-of", "2026-11-01")],
        "evaluate.v2": [_json(tmp, "evaluate", str(spells), "--scenario", v2),
                        _json(tmp, "evaluate", str(EXAMPLES / "norddjurs_spells_interim_2026-11-01.csv"),
                              "--scenario", "norddjurs", "--as-of", "2026-11-01", "--forecast-draws", "16"),
                        # the default's contract is a rate card; its threshold variant has payment targets
                        _json(tmp, "evaluate", str(EXAMPLES / "norddjurs_spells_final.csv"), "--scenario", v2,
                              "norddjurs_threshold"),
                        # one row per person with well-being scores, on version 2: quality of life
                        _json(tmp, "evaluate", str(EXAMPLES / "norddjurs_final.csv"), "--scenario", v2,
                              "--as-of", "2028-03-01")],
        "sensitivity": list(sens.values()),
        **{f"sensitivity.{m}": [d["result"]] for m, d in sens.items()},
        "design": [_json(tmp, "design", v1, "--draws", "500", "--compare", "base", "pr:pro_rata",
                         "--solve", "premium", "threshold", "--target-multiple", "0.5",
                         "--target-p-neutral", "0.5", "--target", "edu_work")],
    }


def _objects(obj: Any, parts: list[str]) -> Iterator[dict[str, Any]]:
    """The objects at a path: ``*`` every value of a mapping, ``name[]`` every element of a list."""
    if obj is None:  # a documented null, or an object present only in some cases
        return
    if not parts:
        yield obj
        return
    head, rest = parts[0], parts[1:]
    if head == "*":
        for v in obj.values():
            yield from _objects(v, rest)
    elif head.endswith("[]"):
        for v in obj[head[:-2]]:
            yield from _objects(v, rest)
    else:
        yield from _objects(obj.get(head), rest)  # a missing key: an *(only ...)* object


def _root(path: str, outputs: dict[str, list[dict[str, Any]]]) -> tuple[str, list[str]]:
    parts = path.split(".")
    for n in (2, 1):
        if ".".join(parts[:n]) in outputs:
            return ".".join(parts[:n]), parts[n:]
    raise AssertionError(f"docs/json-formats.md: heading `{path}` names no command's output")


def test_the_page_lists_every_command_and_method():
    doc = _documented()
    assert {"run", "evaluate.v1", "evaluate.v2", "sensitivity", "design"} <= set(doc)
    assert {f"sensitivity.{m}" for m in ("tornado", "twoway", "sobol", "variance", "evpi", "discovery")} <= set(doc)


@pytest.mark.parametrize("path", sorted(_documented()))
def test_documented_keys_are_the_written_keys(path, outputs):
    keys, optional = _documented()[path]
    root, parts = _root(path, outputs)
    found = [o for out in outputs[root] for o in _objects(out, parts)]
    assert found, f"no `{path}` object in the outputs"
    for obj in found:
        assert set(obj) - keys == set(), f"`{path}`: keys written but not documented"
        assert keys - optional - set(obj) == set(), f"`{path}`: keys documented but not written"
    present = set().union(*(set(o) for o in found))
    assert optional <= present, f"`{path}`: an *(only ...)* key never appears"
