"""Contract variants written as short specs (the grammar is in :mod:`simkit.design`), presets and defaults."""

from __future__ import annotations

import dataclasses
import math
from typing import Literal, overload

from simkit.contract import DENOMINATORS, RULES, Contract, RateCardLine, Target, needed_count
from simkit.errors import InputError, Problem, ScenarioError, did_you_mean
from simkit.spec import SCHEMA

__all__ = [
    "GRADUATED_STEPS",
    "PRESETS",
    "PRO_RATA_FLOOR_GAP",
    "default_variants",
    "split_label",
    "variant",
]


PRESETS: tuple[str, ...] = ("base", "threshold", "pro_rata", "graduated", "rate_card", "completer")
"""Preset names accepted in a variant spec (module docstring)."""

#: Default floor distance below the threshold for the ``pro_rata`` preset.
PRO_RATA_FLOOR_GAP = 0.20
#: Offsets below the threshold and factors of the ``graduated`` preset.
GRADUATED_STEPS = ((-0.15, 0.25), (-0.10, 0.50), (-0.05, 0.75), (0.0, 1.0))

_CONTRACT_KEYS = ("premium", "grant", "cap", "max_loss", "max_annual_return")
_TARGET_KEYS = ("rule", "floor", "threshold", "weight", "denominator", "steps")
_OPTIONAL = ("cap", "max_loss", "max_annual_return", "floor")


def _bad(spec: str, item: str, expected: str) -> InputError:
    return InputError(Problem(f"contract variant {spec!r}", item, expected))


@overload
def _number(spec: str, item: str, text: str, allow_none: Literal[False] = ...) -> float: ...
@overload
def _number(spec: str, item: str, text: str, allow_none: bool) -> float | None: ...
def _number(spec: str, item: str, text: str, allow_none: bool = False) -> float | None:
    if allow_none and text.strip().lower() in ("none", "null", ""):
        return None
    try:
        v = float(text.strip().rstrip("%")) / (100.0 if text.strip().endswith("%") else 1.0)
    except ValueError:
        raise _bad(spec, item, "a number" + (" or 'none'" if allow_none else "")) from None
    if not math.isfinite(v):
        raise _bad(spec, item, "a finite number")
    return v


def _steps(spec: str, item: str, text: str) -> tuple[tuple[float, float], ...]:
    out: list[tuple[float, float]] = []
    for part in text.split("/"):
        bits = part.split(":")
        if len(bits) != 2:
            raise _bad(spec, item, "steps written level:factor/level:factor (e.g. 0.4:0.5/0.5:1)")
        out.append((_number(spec, item, bits[0]), _number(spec, item, bits[1])))
    return tuple(out)


def _with_rule(t: Target, rule: str) -> Target:
    if rule == "pro_rata":
        floor = t.floor if t.rule == "pro_rata" else round(max(0.0, t.threshold - PRO_RATA_FLOOR_GAP), 12)
        floor = min(floor, max(0.0, t.threshold - 1e-6))  # type: ignore[type-var]  # a pro-rata target has a floor
        return dataclasses.replace(t, rule="pro_rata", floor=floor, steps=())
    if rule == "graduated":
        steps = t.steps if t.rule == "graduated" else _graduated_steps(t.threshold)
        return dataclasses.replace(t, rule="graduated", floor=None, steps=steps)
    return dataclasses.replace(t, rule=rule, floor=None, steps=())


def _graduated_steps(threshold: float) -> tuple[tuple[float, float], ...]:
    out: list[tuple[float, float]] = []
    for off, factor in GRADUATED_STEPS:
        level = round(min(1.0, max(0.0, threshold + off)), 12)
        if out and level <= out[-1][0]:
            out[-1] = (out[-1][0], factor)  # thresholds near 0: merge steps
        else:
            out.append((level, factor))
    return tuple(out)


def _set_target(spec: str, item: str, t: Target, key: str, text: str) -> Target:
    if key == "rule":
        rule = text.strip()
        if rule not in RULES:
            raise _bad(spec, item, f"a rule among {', '.join(RULES)}"
                       + did_you_mean(rule, RULES))
        return _with_rule(t, rule)
    if key == "denominator":
        den = text.strip()
        if den not in DENOMINATORS:
            raise _bad(spec, item, f"a denominator among {', '.join(DENOMINATORS)}")
        return dataclasses.replace(t, denominator=den)
    if key == "steps":
        return dataclasses.replace(t, rule="graduated", floor=None, steps=_steps(spec, item, text))
    if key == "floor":
        return dataclasses.replace(t, floor=_number(spec, item, text, allow_none=True))
    return dataclasses.replace(t, **{key: _number(spec, item, text)})  # type: ignore[arg-type]  # key is one of the target's numeric fields


def _rate_card(c: Contract, cohort_size: int) -> Contract:
    lines = list(c.rate_card)
    unit = c.target_unit
    for t in c.targets:
        k = max(int(needed_count(t.threshold, cohort_size)), 1)
        lines.append(RateCardLine(id=t.id, indicator=t.indicator, price=t.weight * t.max_factor * unit / k,
                                  max_count=k))
    return dataclasses.replace(c, targets=(), rate_card=tuple(lines))


def _apply_preset(c: Contract, base: Contract, name: str, cohort_size: int) -> Contract:
    if name == "base":
        return base
    if name in ("threshold", "pro_rata", "graduated"):
        return dataclasses.replace(c, targets=tuple(_with_rule(t, name) for t in c.targets))
    if name == "rate_card":
        return _rate_card(c, cohort_size)
    # completer
    return dataclasses.replace(c, targets=tuple(
        dataclasses.replace(t, denominator="completed") if t.indicator != "completion" else t
        for t in c.targets))


def variant(contract: Contract, spec: str, *, cohort_size: int) -> Contract:
    """Build a contract variant from a short spec (grammar in the module docstring).

    Parameters
    ----------
    contract : Contract
        The starting contract (usually ``scenario.contract``).
    spec : str
        E.g. ``"pro_rata,edu_work.floor=0.3"``, ``"premium=0.08"``,
        ``"rate_card"``, ``"completion.weight=0.3,edu_work.weight=0.7"``.
    cohort_size : int
        Number referred (used by the ``rate_card`` preset).

    Returns
    -------
    Contract

    Raises
    ------
    simkit.errors.InputError
        Naming the spec item and what was expected (unknown keys get a
        close-match suggestion).

    Examples
    --------
    >>> import simkit
    >>> sc = simkit.load_scenario(["norddjurs", "norddjurs_threshold"])  # a contract with targets
    >>> c = variant(sc.contract, "pro_rata,edu_work.floor=0.3", cohort_size=95)
    >>> [(t.rule, t.floor) for t in c.targets]
    [('pro_rata', 0.6), ('pro_rata', 0.3)]
    """
    if not isinstance(spec, str) or not spec.strip():
        raise _bad(str(spec), str(spec), "a non-empty variant spec such as 'pro_rata' or 'premium=0.08'")
    ids = [t.id for t in contract.targets]
    c = contract
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        try:
            if "=" not in item:
                if item not in PRESETS:
                    raise _bad(spec, item, f"a preset among {', '.join(PRESETS)} or KEY=VALUE"
                               + did_you_mean(item, PRESETS))
                c = _apply_preset(c, contract, item, cohort_size)
                continue
            key, text = (s.strip() for s in item.split("=", 1))
            if key in _CONTRACT_KEYS:
                v = _number(spec, item, text, allow_none=key in _OPTIONAL)
                if v is not None:  # the same bounds as in a scenario file (premium=3 is not 300 %)
                    issues: list = []
                    SCHEMA.fields["contract"].fields[key].check(v, f"contract.{key}", issues)  # type: ignore[attr-defined]  # the contract node is a table of fields
                    if issues:
                        raise _bad(spec, item, f"{issues[0].expected} (as in a scenario file's "
                                   f"contract.{key}; a premium of 8 % is written 0.08 or 8%)")
                c = dataclasses.replace(c, **{key: v})  # type: ignore[arg-type]  # key is one of the contract's numeric fields
                continue
            if "." in key:
                tid, tkey = key.split(".", 1)
                cur_ids = [t.id for t in c.targets]
                if tid not in cur_ids:
                    raise _bad(spec, item, f"a target id among {', '.join(cur_ids) or '(none)'}"
                               + did_you_mean(tid, cur_ids or ids))
                targets = [t for t in c.targets if t.id == tid]
            else:
                tkey, targets = key, list(c.targets)
            if tkey not in _TARGET_KEYS:
                known = [*_CONTRACT_KEYS, *_TARGET_KEYS]
                raise _bad(spec, item, f"a key among {', '.join(known)}, or <target>.<key>"
                           + did_you_mean(tkey, known))
            if not targets:
                raise _bad(spec, item, "a contract with payment targets (this one has none)")
            chosen = {t.id for t in targets}
            if tkey == "floor" and "." not in key:  # all pro-rata targets
                chosen = {t.id for t in targets if t.rule == "pro_rata"}
                if not chosen:
                    raise _bad(spec, item, "pro-rata targets to set a floor on (use 'pro_rata' first)")
            c = dataclasses.replace(c, targets=tuple(
                _set_target(spec, item, t, tkey, text) if t.id in chosen else t for t in c.targets))
        except ScenarioError as exc:
            raise InputError([Problem(f"contract variant {spec!r} ({item})", q.value, q.expected)
                              for q in exc.problems]) from None
    return c


def default_variants(contract: Contract) -> dict[str, str]:
    """Return the side-by-side comparison shown when no variants are given: label -> spec.

    Always ``base``; the other rules, ``rate_card`` and ``completer`` where
    they differ from the base; and a premium 3 points higher (if it stays within 100 %).

    Examples
    --------
    >>> import simkit
    >>> sc = simkit.load_scenario("norddjurs_v1")
    >>> list(default_variants(sc.contract))[:3]
    ['base', 'pro_rata', 'graduated']
    """
    out = {"base": "base"}
    rules = {t.rule for t in contract.targets}
    for rule in ("threshold", "pro_rata", "graduated"):
        if contract.targets and rules != {rule}:
            out[rule] = rule
    if contract.targets:
        out["rate_card"] = "rate_card"
    if any(t.indicator != "completion" and t.denominator != "completed" for t in contract.targets):
        out["completer"] = "completer"
    if contract.premium + 0.03 <= 1:  # premiums above 100 % are outside the scenario schema
        out[f"premium {contract.premium + 0.03:.0%}"] = f"premium={contract.premium + 0.03:.4g}"
    return out


def split_label(text: str) -> tuple[str, str]:
    """``"label:spec"`` -> (label, spec); a bare spec is its own label.

    A colon inside ``steps=0.4:0.5/...`` is not a label separator.

    Examples
    --------
    >>> split_label("pr:pro_rata"), split_label("pro_rata")
    (('pr', 'pro_rata'), ('pro_rata', 'pro_rata'))
    >>> split_label("edu_work.steps=0.4:0.5/0.5:1")[0]  # a colon in steps is not a label
    'edu_work.steps=0.4:0.5/0.5:1'
    """
    head, sep, tail = text.partition(":")
    if sep and "=" not in head and "," not in head and head.strip() and head.strip() not in PRESETS:
        return head.strip(), tail.strip()
    return text.strip(), text.strip()
