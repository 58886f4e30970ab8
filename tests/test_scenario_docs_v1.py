"""data/README.md documents the version-1 scenario schema: every key it accepts, and no other table.

The mirror of tests/test_scenario_docs.py (version 2, docs/scenario-v2.md):
each top-level table of :data:`simkit.spec.SCHEMA` has a section headed
``### `[name]` `` (or ``[[name]]``, ``[name.<name>]``) in the "Scenario files"
part of data/README.md, and every key below it is named in backticks there
(alone, or in a backticked table such as ``{from, to, count, source}``).
"""

from __future__ import annotations

import re
from pathlib import Path

from simkit import spec
from simkit.spec import _schema as S

README = (Path(__file__).resolve().parents[1] / "data" / "README.md").read_text(encoding="utf-8")
PART = README.split("## Scenario files (TOML)", 1)[1].split("\n## ", 1)[0]


def _sections() -> dict[str, str]:
    """Top-level table name -> the text of its section."""
    out: dict[str, str] = {}
    for block in re.split(r"\n(?=### )", PART):
        head = re.match(r"### `\[\[?([a-z_]+)", block)
        if head:
            out[head[1]] = out.get(head[1], "") + block
    return out


def _paths(node: S.Node, path: str, out: list[str]) -> list[str]:
    if isinstance(node, S.Table):
        for k, v in node.fields.items():
            p = f"{path}.{k}" if path else k
            out.append(p)
            _paths(v, p, out)
    elif isinstance(node, S.ListOf):
        _paths(node.item, path + "[]", out)
    elif isinstance(node, S.MapOf):
        _paths(node.value, path + ".<name>", out)
    return out


def test_every_top_level_table_has_a_section_and_no_other():
    assert isinstance(spec.SCHEMA, S.Table)
    assert set(_sections()) == set(spec.SCHEMA.fields)


def test_every_schema_key_is_documented_in_its_section():
    sections = _sections()
    missing = []
    for p in _paths(spec.SCHEMA, "", []):
        top, _, rest = p.partition(".")
        top = top.removesuffix("[]")
        leaf = re.sub(r"\[\]$", "", p.rsplit(".", 1)[-1])
        named = {w for span in re.findall(r"`([^`]+)`", sections[top]) for w in re.findall(r"[a-z_]+", span)}
        if rest and leaf != "<name>" and leaf not in named:
            missing.append(p)
    assert not missing, f"version-1 keys missing from data/README.md: {missing}"


def test_the_version_key_is_documented_with_its_value():
    assert "`version` (`1` for this schema" in _sections()["scenario"]
    assert spec.build_scenario.__module__ == "simkit.spec.v1"
