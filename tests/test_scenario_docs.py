"""docs/scenario-v2.md documents exactly the keys the version-2 schema accepts, and every registered kind."""

from __future__ import annotations

from pathlib import Path

from simkit.model import spec
from simkit.model.hazards import HAZARD_KINDS
from simkit.model.indicators import INDICATOR_KINDS
from simkit.spec import _schema as S

DOC = (Path(__file__).resolve().parents[1] / "docs" / "scenario-v2.md").read_text(encoding="utf-8")


def _paths(node, path, out):
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


def test_every_schema_key_is_documented():
    missing = [p for p in _paths(spec.SCHEMA, "", []) if f"`{p}`" not in DOC]
    assert not missing, f"keys missing from docs/scenario-v2.md: {missing}"


def test_every_documented_key_exists():
    import re

    known = set(_paths(spec.SCHEMA, "", []))
    documented = {m for m in re.findall(r"`([a-z_]+(?:\.[a-z_<>\[\]]+)+)`", DOC) if m.split(".")[0] in
                  {"scenario", "agreement", "states", "arms", "transitions", "effects", "changes", "subgroups",
                   "correlation", "contract", "budget"}}
    assert documented - known == set()


def test_every_kind_is_documented():
    for name in list(HAZARD_KINDS) + list(INDICATOR_KINDS) + list(spec.STATE_KINDS):
        assert f"`{name}`" in DOC, name
