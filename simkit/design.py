"""Contract design: reprice contract variants on the same draws, compare them, solve for terms.

Savings do not depend on the contract: a simulated cohort's outcomes, and so
its budget savings, are the same whatever the payment terms. A contract
variant ``C`` is therefore evaluated on the draws of one
:func:`simkit.simulate` result without simulating again (:func:`reprice`):

* ``repayment_C = simkit.contract.repayment(C, counts)``, with the per-draw
  indicator counts the engine keeps (``count:<indicator>:<key>``);
* ``repayment_pv_C = repayment_C × v_C``, where ``v_C`` is the present value
  of one unit repaid on ``C``'s schedule (the scenario's dated schedule when
  ``C`` keeps it; otherwise its years-after-grant converted to dates);
* ``net_C = net + (G_C − G) × v_grant + repayment_pv − repayment_pv_C``: a
  larger grant covers more of the programme cost, a different repayment
  changes what is paid back;
* the fund's multiple ``repayment_C / G_C`` (:func:`simkit.contract.fund_view`).

Repricing the scenario's own contract reproduces the simulated repayment and
net budget exactly (a test checks it). Because every variant is evaluated on
the *same* draws, differences between variants are paired and precise.

Variants are written as short specs (:func:`variant`), for the CLI and for
notebooks alike::

    SPEC  := ITEM ("," ITEM)*
    ITEM  := PRESET | KEY "=" VALUE

Presets (applied to the contract as it stands at that point of the spec):

``base``
    the scenario's contract, unchanged;
``threshold`` / ``pro_rata`` / ``graduated``
    every target uses that rule. ``pro_rata`` gets the floor
    ``threshold − 0.20`` (the worked example of docs/design.md uses 30 % below a 50 % target);
    ``graduated`` gets four steps at ``threshold − 0.15, − 0.10, − 0.05,
    threshold`` paying 25, 50, 75 and 100 %;
``rate_card``
    every target becomes a rate-card line with price
    ``weight × G × (1 + r) / k`` and ``max_count = k``, where ``k`` is the
    count that meets the target's threshold with the whole cohort referred
    (so meeting the threshold pays what the target paid; fewer outcomes pay
    proportionally less). Later ``premium=`` items do not change these prices;
``completer``
    targets other than completion use completers as the denominator
    (docs/design.md: "half of those who completed").

Keys: ``premium``, ``grant``, ``cap``, ``max_loss``, ``max_annual_return``
(contract fields; ``none`` removes an optional one); ``rule``, ``floor``,
``threshold``, ``weight``, ``denominator``, ``steps`` for every target, or
``<target id>.<field>`` for one target. ``steps`` is written
``level:factor/level:factor/...``, e.g. ``edu_work.steps=0.4:0.5/0.5:1``.
Example: ``pro_rata,edu_work.floor=0.3,premium=0.08``.

Solvers (each returns a :class:`Solution` with the value found, the value
achieved on the draws and its Monte Carlo standard error):

* :func:`solve_premium` — the risk premium giving the fund a stated expected
  multiple (continuous and non-decreasing in the premium: Brent's method);
* :func:`solve_threshold` — the lowest threshold of one target at which the
  municipality is budget-neutral with a stated probability (a step function
  of the threshold: bisection, then the exact count boundary);
* :func:`solve_share` — the largest payment share (sum of target weights, or
  one target's weight) giving that probability.

Metrics of a contract on the draws (:meth:`Repriced.metrics`, stable keys):
``p_repayment`` (P(repayment > 0)), ``repayment_mean``, ``repayment_pv_mean``,
``p_full``, ``max_repayment``, ``p_neutral`` (P(net ≥ 0)), ``net_mean``,
``fund_multiple_mean``, ``p_loss`` (P(multiple < 1)), ``fund_irr_median`` and
``p_met`` (per target), each estimate with a ``<key>_se`` Monte Carlo
standard error where it is a mean.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np
from scipy.optimize import brentq

from simkit.contract import (
    Contract,
    RateCardLine,
    Target,
    fund_view,
    max_repayment,
    needed_count,
    repayment,
)
from simkit.errors import InputError, Problem
from simkit.results import mean_and_se

if TYPE_CHECKING:
    from simkit.spec import Scenario

__all__ = [
    "PRESETS",
    "ContractComparison",
    "Repriced",
    "Solution",
    "compare_contracts",
    "default_variants",
    "reprice",
    "solve_premium",
    "solve_share",
    "solve_threshold",
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


# --------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------


def _clusters(result: Any) -> int | None:
    nested = getattr(result.provenance, "nested", None)
    return int(nested[0]) if nested else None


def counts_from_draws(draws: Mapping[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    """Rebuild the ``counts`` mapping :func:`simkit.contract.repayment` reads.

    Parameters
    ----------
    draws : mapping
        ``SimulationResult.draws_``; reads the keys ``count:<indicator>:<key>``.

    Returns
    -------
    dict
        ``indicator -> {key: array}``.
    """
    counts: dict[str, dict[str, np.ndarray]] = {}
    for k, v in draws.items():
        if k.startswith("count:"):
            _, ind, key = k.split(":", 2)
            counts.setdefault(ind, {})[key] = v
    if not counts:
        raise InputError(Problem("result.draws_", sorted(draws)[:5],
                                 "per-draw indicator counts 'count:<indicator>:<key>' "
                                 "(a result of simkit.simulate)"))
    return counts


_PV_CACHE: dict[tuple[str, tuple], float] = {}


def _pv_unit(sc: Any, items: tuple[tuple[dt.date, float], ...]) -> float:
    """PV of one unit paid on dated instalments, cached per scenario."""
    from simkit.budget import budget_tables, dated_pv
    from simkit.model.pricing import dated_pv as model_dated_pv
    from simkit.model.spec import ModelScenario

    key = (sc.sha256, tuple(items))
    if key not in _PV_CACHE:
        if len(_PV_CACHE) > 64:
            _PV_CACHE.clear()
        _PV_CACHE[key] = (model_dated_pv(sc, tuple(items)) if isinstance(sc, ModelScenario)
                          else float(dated_pv(budget_tables(sc), sc, tuple(items))))
    return _PV_CACHE[key]


def _schedule_pv(sc: Any, contract: Contract) -> float:
    """PV factor of a contract's repayment schedule in the scenario's budget."""
    if tuple(contract.schedule) == tuple(sc.contract.schedule):
        return _pv_unit(sc, sc.terms.schedule)
    grant_day = sc.terms.disbursement[0][0]
    items = tuple((grant_day + dt.timedelta(days=round(t * 365.25)), s) for t, s in contract.schedule)
    return _pv_unit(sc, items)


# --------------------------------------------------------------------------
# repricing
# --------------------------------------------------------------------------


@dataclass(frozen=True, repr=False, eq=False)
class Repriced:
    """A contract evaluated on the draws of a simulation result.

    Attributes
    ----------
    contract : Contract
    repayment_, repayment_pv_, net_pv_, fund_multiple_, fund_irr_ : numpy.ndarray
        Per-draw arrays (nominal repayment, its present value, the
        municipality's discounted net budget effect, the fund's multiple and
        IRR).
    met_, factor_ : dict of str to numpy.ndarray
        Per target id.
    clusters : int or None
        Outer draws of a nested result (standard errors use cluster means).
    currency : str
    """

    contract: Contract
    repayment_: np.ndarray
    repayment_pv_: np.ndarray
    net_pv_: np.ndarray
    fund_multiple_: np.ndarray
    fund_irr_: np.ndarray
    met_: Mapping[str, np.ndarray]
    factor_: Mapping[str, np.ndarray]
    clusters: int | None = None
    currency: str = "DKK"

    @property
    def n(self) -> int:
        """Return the number of draws."""
        return int(self.repayment_.size)

    def metrics(self) -> dict[str, Any]:
        """Headline numbers with Monte Carlo SEs (keys in the module docstring).

        Returns
        -------
        dict
        """
        c = self.clusters
        rep, net, mult = self.repayment_, self.net_pv_, self.fund_multiple_
        top = max_repayment(self.contract)
        out: dict[str, Any] = {}
        for key, arr in (
            ("p_repayment", rep > 0),
            ("repayment_mean", rep),
            ("repayment_pv_mean", self.repayment_pv_),
            ("p_full", rep >= top * (1 - 1e-12) if math.isfinite(top) and top > 0 else
             np.zeros(rep.shape, bool)),
            ("p_neutral", net >= 0),
            ("net_mean", net),
            ("fund_multiple_mean", mult),
            ("p_loss", mult < 1),
        ):
            out[key], out[f"{key}_se"] = mean_and_se(arr, c)
        out["max_repayment"] = float(top)
        irr = self.fund_irr_[np.isfinite(self.fund_irr_)]
        out["fund_irr_median"] = float(np.median(irr)) if irr.size else float("nan")
        out["p_met"] = {k: mean_and_se(v, c)[0] for k, v in self.met_.items()}
        out["p_met_se"] = {k: mean_and_se(v, c)[1] for k, v in self.met_.items()}
        return out

    def __repr__(self) -> str:
        """Return a short summary for notebooks."""
        m = self.metrics()
        return (
            f"Repriced({self.n:,} draws: P(repayment) {m['p_repayment']:.1%}, "
            f"E[repayment] {m['repayment_mean']:,.0f} {self.currency}, "
            f"P(budget-neutral) {m['p_neutral']:.1%}, fund E[multiple] "
            f"{m['fund_multiple_mean']:.3f}, P(loss) {m['p_loss']:.1%})"
        )


def reprice(result: Any, contract: Contract | str | None = None) -> Repriced:
    """Evaluate a contract variant on the draws of a simulation result.

    Parameters
    ----------
    result : simkit.results.SimulationResult
        From :func:`simkit.simulate`.
    contract : Contract or str, optional
        A :class:`simkit.contract.Contract` or a variant spec (see
        :func:`variant`); default the scenario's own contract.

    Returns
    -------
    Repriced

    Examples
    --------
    >>> import numpy as np, simkit
    >>> from simkit.design import reprice
    >>> res = simkit.simulate(draws=2_000, seed=1)
    >>> same = reprice(res)
    >>> bool(np.array_equal(same.repayment_, res.draws_["repayment"]))
    True
    >>> reprice(res, "pro_rata").metrics()["repayment_mean"] >= same.metrics()["repayment_mean"]
    True
    """
    sc: Scenario = result.scenario
    if contract is None:
        contract = sc.contract
    elif isinstance(contract, str):
        contract = variant(sc.contract, contract, cohort_size=sc.agreement.cohort_size)
    elif not isinstance(contract, Contract):
        raise InputError(Problem("contract", type(contract).__name__,
                                 "a simkit.contract.Contract or a variant spec string"))
    d = result.require_draws("repricing a contract")
    rep = repayment(contract, counts_from_draws(d))
    total = np.asarray(rep.total, dtype=float)
    rep_pv = total * _schedule_pv(sc, contract)
    # the change in repayment PV is exactly 0 for the scenario's own contract, so net is reproduced
    net = np.asarray(d["net_pv"], dtype=float) - (rep_pv - np.asarray(d["repayment_pv"], dtype=float))
    if contract.grant != sc.contract.grant:
        net = net + (contract.grant - sc.contract.grant) * _pv_unit(sc, sc.terms.disbursement)
    fv = fund_view(contract, total)
    return Repriced(
        contract=contract,
        repayment_=total,
        repayment_pv_=rep_pv,
        net_pv_=net,
        fund_multiple_=np.asarray(fv.multiple),
        fund_irr_=np.asarray(fv.irr),
        met_=dict(rep.met),
        factor_=dict(rep.factor),
        clusters=_clusters(result),
        currency=sc.currency,
    )


# --------------------------------------------------------------------------
# variant specs
# --------------------------------------------------------------------------


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
        from simkit.contract import RULES

        rule = text.strip()
        if rule not in RULES:
            close = difflib.get_close_matches(rule, RULES, n=1)
            raise _bad(spec, item, f"a rule among {', '.join(RULES)}"
                       + (f" (did you mean {close[0]!r}?)" if close else ""))
        return _with_rule(t, rule)
    if key == "denominator":
        from simkit.contract import DENOMINATORS

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
    from simkit.errors import ScenarioError

    ids = [t.id for t in contract.targets]
    c = contract
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        try:
            if "=" not in item:
                if item not in PRESETS:
                    close = difflib.get_close_matches(item, PRESETS, n=1)
                    raise _bad(spec, item, f"a preset among {', '.join(PRESETS)} or KEY=VALUE"
                               + (f" (did you mean {close[0]!r}?)" if close else ""))
                c = _apply_preset(c, contract, item, cohort_size)
                continue
            key, text = (s.strip() for s in item.split("=", 1))
            if key in _CONTRACT_KEYS:
                v = _number(spec, item, text, allow_none=key in _OPTIONAL)
                if v is not None:  # the same bounds as in a scenario file (premium=3 is not 300 %)
                    from simkit.spec import SCHEMA

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
                    close = difflib.get_close_matches(tid, cur_ids or ids, n=1)
                    raise _bad(spec, item, f"a target id among {', '.join(cur_ids) or '(none)'}"
                               + (f" (did you mean {close[0]!r}?)" if close else ""))
                targets = [t for t in c.targets if t.id == tid]
            else:
                tkey, targets = key, list(c.targets)
            if tkey not in _TARGET_KEYS:
                known = [*_CONTRACT_KEYS, *_TARGET_KEYS]
                close = difflib.get_close_matches(tkey, known, n=1)
                raise _bad(spec, item, f"a key among {', '.join(known)}, or <target>.<key>"
                           + (f" (did you mean {close[0]!r}?)" if close else ""))
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


# --------------------------------------------------------------------------
# comparison
# --------------------------------------------------------------------------


_FRAME_METRICS = ("p_repayment", "repayment_mean", "p_neutral", "p_neutral_se", "net_mean",
                  "fund_multiple_mean", "fund_multiple_mean_se", "p_loss", "p_full", "max_repayment")


@dataclass(frozen=True, repr=False)
class ContractComparison:
    """Contract variants evaluated side by side on the same draws.

    Attributes
    ----------
    labels, specs : tuple of str
    contracts : tuple of Contract
    metrics : tuple of dict
        :meth:`Repriced.metrics` of each variant.
    n_draws : int
    currency : str
    """

    labels: tuple[str, ...]
    specs: tuple[str, ...]
    contracts: tuple[Contract, ...] = field(repr=False)
    metrics: tuple[dict, ...]
    n_draws: int
    currency: str = "DKK"

    def to_frame(self):
        """One row per variant; columns the headline metrics and ``p_met[<target>]``.

        Returns
        -------
        pandas.DataFrame
        """
        import pandas as pd

        rows = []
        for m in self.metrics:
            row = {k: m[k] for k in _FRAME_METRICS}
            row.update({f"p_met[{k}]": v for k, v in m["p_met"].items()})
            rows.append(row)
        return pd.DataFrame(rows, index=pd.Index(list(self.labels), name="variant"))

    def to_dict(self) -> dict[str, Any]:
        """Return the stable JSON structure (``simkit design --json``, key ``comparison``)."""
        return {
            "n_draws": self.n_draws,
            "currency": self.currency,
            "variants": [
                {"label": lab, "spec": spec, "metrics": m, "contract": _contract_dict(c)}
                for lab, spec, m, c in zip(self.labels, self.specs, self.metrics, self.contracts,
                                           strict=True)
            ],
        }

    def text(self) -> str:
        """Write the comparison as a plain-text table."""
        w = max(len(lab) for lab in self.labels)
        head = (f"{'variant':<{w}}  {'P(repay)':>8}  {'E[repayment]':>13}  {'P(neutral)':>10}  "
                f"{'E[net]':>12}  {'E[multiple]':>11}  {'P(loss)':>7}")
        lines = [f"Contract variants on the same {self.n_draws:,} draws ({self.currency})", head]
        for lab, m in zip(self.labels, self.metrics, strict=True):
            lines.append(
                f"{lab:<{w}}  {m['p_repayment']:>8.1%}  {m['repayment_mean']:>13,.0f}  "
                f"{m['p_neutral']:>10.1%}  {m['net_mean']:>12,.0f}  "
                f"{m['fund_multiple_mean']:>11.3f}  {m['p_loss']:>7.1%}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        """Return the plain-text table."""
        return self.text()


def _contract_dict(c: Contract) -> dict[str, Any]:
    return {
        "grant": c.grant, "premium": c.premium, "cap": c.cap, "max_loss": c.max_loss,
        "max_annual_return": c.max_annual_return,
        "targets": [{"id": t.id, "indicator": t.indicator, "threshold": t.threshold,
                     "weight": t.weight, "rule": t.rule, "denominator": t.denominator,
                     "floor": t.floor, "steps": [list(s) for s in t.steps]} for t in c.targets],
        "rate_card": [{"id": x.id, "indicator": x.indicator, "price": x.price,
                       "max_count": x.max_count, "cap": x.cap} for x in c.rate_card],
    }


def compare_contracts(
    result: Any, variants: Mapping[str, Contract | str] | Sequence[str] | None = None
) -> ContractComparison:
    """Compare contract variants side by side on the draws of one result.

    Parameters
    ----------
    result : SimulationResult
    variants : mapping label -> Contract or spec, or a sequence of specs, optional
        Default :func:`default_variants` of the scenario's contract. A
        sequence item may be labelled ``"label:spec"``.

    Returns
    -------
    ContractComparison

    Examples
    --------
    >>> import simkit
    >>> from simkit.design import compare_contracts
    >>> res = simkit.simulate(draws=2_000, seed=1)
    >>> cmp = compare_contracts(res, ["base", "pro_rata", "premium=0.08"])
    >>> list(cmp.to_frame().index)
    ['base', 'pro_rata', 'premium=0.08']
    """
    sc = result.scenario
    if variants is None:
        variants = default_variants(sc.contract)
    if not isinstance(variants, Mapping):
        variants = dict(split_label(v) for v in variants)
    if not variants:
        raise InputError(Problem("variants", [], "at least one contract variant"))
    labels, specs, contracts, metrics = [], [], [], []
    for label, v in variants.items():
        rp = reprice(result, v)
        labels.append(str(label))
        specs.append(v if isinstance(v, str) else "(contract)")
        contracts.append(rp.contract)
        metrics.append(rp.metrics())
    return ContractComparison(tuple(labels), tuple(specs), tuple(contracts), tuple(metrics),
                              result.n, sc.currency)


def split_label(text: str) -> tuple[str, str]:
    """``"label:spec"`` -> (label, spec); a bare spec is its own label.

    A colon inside ``steps=0.4:0.5/...`` is not a label separator.
    """
    head, sep, tail = text.partition(":")
    if sep and "=" not in head and "," not in head and head.strip() and head.strip() not in PRESETS:
        return head.strip(), tail.strip()
    return text.strip(), text.strip()


# --------------------------------------------------------------------------
# solvers
# --------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Solution:
    """A contract term solved on simulated draws.

    Attributes
    ----------
    quantity : {"premium", "threshold", "share"}
    target : str or None
        The target whose threshold or weight was solved (None: all weights).
    criterion : {"fund_multiple_mean", "p_neutral"}
    goal : float
        The stated value of the criterion.
    value : float
        The term found.
    value_se : float
        Monte Carlo SE of ``value`` by the delta method (premium only; NaN
        for the step functions of threshold and share).
    achieved, achieved_se : float
        The criterion on the draws at ``value``, and its Monte Carlo SE.
    contract : Contract
        The solved contract.
    metrics : dict
        :meth:`Repriced.metrics` of the solved contract.
    n_draws : int
    """

    quantity: str
    target: str | None
    criterion: str
    goal: float
    value: float
    value_se: float
    achieved: float
    achieved_se: float
    contract: Contract = field(repr=False)
    metrics: dict = field(repr=False)
    n_draws: int

    def describe(self) -> str:
        """One sentence an analyst can quote."""
        if self.quantity == "premium":
            se = f" (MC SE {self.value_se:.2%})" if math.isfinite(self.value_se) else ""
            return (f"A risk premium of {self.value:.2%}{se} gives the fund an expected multiple of "
                    f"{self.achieved:.4f} (MC SE {self.achieved_se:.4f}; goal {self.goal:g}).")
        what = (f"a {self.target!r} threshold of {self.value:.1%}" if self.quantity == "threshold"
                else (f"a {self.target!r} weight of {self.value:.1%}" if self.target
                      else f"a total payment share of {self.value:.1%}"))
        return (f"With {what}, the municipality is budget-neutral with probability "
                f"{self.achieved:.1%} (MC SE {self.achieved_se:.1%}; goal {self.goal:.1%}).")

    def to_dict(self) -> dict[str, Any]:
        """Stable JSON structure (``simkit design --json``, items of ``solutions``)."""
        return {"solve": self.quantity, "target": self.target, "criterion": self.criterion,
                "goal": self.goal, "value": self.value, "value_se": self.value_se,
                "achieved": self.achieved, "achieved_se": self.achieved_se,
                "sentence": self.describe(), "metrics": self.metrics,
                "contract": _contract_dict(self.contract), "n_draws": self.n_draws}

    def __repr__(self) -> str:
        """Return a short summary for notebooks."""
        return f"Solution({self.quantity}{'' if not self.target else ' ' + self.target}): {self.describe()}"


def _base_contract(result: Any, contract: Contract | str | None) -> Contract:
    sc = result.scenario
    if contract is None:
        return sc.contract
    if isinstance(contract, str):
        return variant(sc.contract, contract, cohort_size=sc.agreement.cohort_size)
    return contract


def _check_goal(name: str, value: float, lo: float, hi: float, what: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(Problem(name, value, what)) from None
    if not (math.isfinite(v) and lo <= v <= hi):
        raise InputError(Problem(name, value, what))
    return v


def solve_premium(
    result: Any,
    target_multiple: float,
    *,
    contract: Contract | str | None = None,
    max_premium: float = 10.0,
) -> Solution:
    """Find the risk premium giving the fund a stated expected multiple.

    The expected multiple ``E[repayment / G]`` on the draws is continuous and
    non-decreasing in the premium ``r`` (target amounts are ``∝ 1 + r``; caps
    and the floor only clip), so Brent's method finds the smallest root
    in ``[0, max_premium]``. With targets only and no caps it is linear:
    ``r = m / E[Σ w·f] − 1``.

    Parameters
    ----------
    result : SimulationResult
    target_multiple : float
        The fund's expected multiple wanted (e.g. 1.0: get the grant back on
        average).
    contract : Contract or str, optional
        Starting contract (default the scenario's); only its premium changes.
    max_premium : float, default 10.0
        Upper end of the search (1000 %).

    Returns
    -------
    Solution
        ``value_se`` by the delta method: SE of the expected multiple divided
        by its slope in the premium.

    Raises
    ------
    simkit.errors.InputError
        If the multiple cannot be reached with a premium in ``[0, max_premium]``.
    """
    base = _base_contract(result, contract)
    goal = _check_goal("target_multiple", target_multiple, 0.0, math.inf, "an expected multiple >= 0")
    if not base.targets:
        raise InputError(Problem("contract", "rate card only",
                                 "payment targets: the premium does not apply to rate-card prices"))

    def f(r: float) -> float:
        return float(reprice(result, dataclasses.replace(base, premium=r)).fund_multiple_.mean())

    lo_v, hi_v = f(0.0), f(max_premium)
    if not lo_v <= goal <= hi_v:
        raise InputError(Problem(
            "target_multiple", goal,
            f"an expected multiple between {lo_v:.4f} (premium 0) and {hi_v:.4f} "
            f"(premium {max_premium:.0%}) on these draws"))
    r = 0.0 if goal == lo_v else float(brentq(lambda x: f(x) - goal, 0.0, max_premium, xtol=1e-12))
    solved = dataclasses.replace(base, premium=r)
    rp = reprice(result, solved)
    m = rp.metrics()
    h = 1e-4
    slope = (f(r + h) - f(max(r - h, 0.0))) / (r + h - max(r - h, 0.0))
    value_se = m["fund_multiple_mean_se"] / slope if slope > 0 else float("nan")
    return Solution("premium", None, "fund_multiple_mean", goal, r, value_se,
                    m["fund_multiple_mean"], m["fund_multiple_mean_se"], solved, m, result.n)


def _pick_target(contract: Contract, target: str | None, *, allow_none: bool) -> Target | None:
    ids = [t.id for t in contract.targets]
    if not ids:
        raise InputError(Problem("contract", "no payment targets", "a contract with payment targets"))
    if target is None:
        if allow_none:
            return None
        if len(ids) == 1:
            return contract.targets[0]
        raise InputError(Problem("target", None, f"one of the target ids {', '.join(ids)}"))
    if target not in ids:
        close = difflib.get_close_matches(str(target), ids, n=1)
        raise InputError(Problem("target", target, f"one of the target ids {', '.join(ids)}"
                                 + (f" (did you mean {close[0]!r}?)" if close else "")))
    return contract.targets[ids.index(target)]


def _replace_target(c: Contract, tid: str, **kw: Any) -> Contract:
    return dataclasses.replace(c, targets=tuple(
        dataclasses.replace(t, **kw) if t.id == tid else t for t in c.targets))


def _p_neutral(result: Any, c: Contract) -> tuple[float, float]:
    return mean_and_se(reprice(result, c).net_pv_ >= 0, _clusters(result))


def solve_threshold(
    result: Any,
    target_p_neutral: float,
    *,
    target: str | None = None,
    contract: Contract | str | None = None,
) -> Solution:
    """Find the lowest threshold of one target giving a stated P(budget-neutral).

    Raising a threshold makes the target harder to meet, so less is repaid
    and P(net ≥ 0) cannot fall: the answer is the smallest threshold at
    which the probability on the draws reaches the goal. The probability is a
    step function (counts are whole numbers); bisection to 1e-9, then, when
    every draw has the same denominator ``n``, the threshold is reported as
    the exact boundary ``k / n``.

    Parameters
    ----------
    result : SimulationResult
    target_p_neutral : float
        Probability in [0, 1] that the net budget effect is >= 0.
    target : str, optional
        Target id; required when the contract has several targets.
    contract : Contract or str, optional
        Starting contract (default the scenario's).

    Returns
    -------
    Solution
        ``achieved_se`` is the binomial MC SE of the probability.

    Raises
    ------
    simkit.errors.InputError
        Unknown target, a graduated target (its payment does not depend on
        the threshold), or a goal not reached even at a threshold of 100 %.
    """
    base = _base_contract(result, contract)
    goal = _check_goal("target_p_neutral", target_p_neutral, 0.0, 1.0, "a probability in [0, 1]")
    t = _pick_target(base, target, allow_none=False)
    assert t is not None
    if t.rule == "graduated":
        raise InputError(Problem(f"target {t.id!r}", "rule 'graduated'",
                                 "a threshold or pro-rata target (graduated steps fix the payment)"))
    lo = (t.floor + 1e-9) if t.rule == "pro_rata" and t.floor is not None else 0.0

    def g(x: float) -> float:
        return _p_neutral(result, _replace_target(base, t.id, threshold=min(x, 1.0)))[0]

    if g(1.0) < goal:
        raise InputError(Problem("target_p_neutral", goal,
                                 f"a probability at most {g(1.0):.4f}: even a {t.id!r} threshold of "
                                 "100 % does not reach it on these draws"))
    if g(lo) >= goal:
        x = lo
    else:
        a, b = lo, 1.0  # g(a) < goal <= g(b)
        while b - a > 1e-9:
            mid = 0.5 * (a + b)
            if g(mid) >= goal:
                b = mid
            else:
                a = mid
        x = b
    den_key = "count:{}:{}".format(t.indicator, "referred" if t.denominator == "referred" else "completed")
    den = result.require_draws("a contract solver").get(den_key)
    if (t.rule == "threshold" and den is not None and den.size and np.all(den == den.flat[0])
            and den.flat[0] > 0):  # only 'met' depends on the threshold: report the count boundary
        n = int(den.flat[0])
        x = max(lo, float(needed_count(x, n)) / n)
    solved = _replace_target(base, t.id, threshold=min(x, 1.0))
    m = reprice(result, solved).metrics()
    return Solution("threshold", t.id, "p_neutral", goal, min(x, 1.0), float("nan"),
                    m["p_neutral"], m["p_neutral_se"], solved, m, result.n)


def solve_share(
    result: Any,
    target_p_neutral: float,
    *,
    target: str | None = None,
    contract: Contract | str | None = None,
) -> Solution:
    """Find the largest payment share giving a stated P(budget-neutral).

    The payment share is the sum of the target weights (the most repaid, as a
    share of ``G × (1 + r)``), scaled proportionally, or — with ``target`` —
    one target's weight with the others kept. Paying less can only raise
    P(net ≥ 0), so the answer is the largest share at which the probability
    on the draws reaches the goal (bisection to 1e-9).

    Parameters
    ----------
    result : SimulationResult
    target_p_neutral : float
    target : str, optional
        Solve one target's weight instead of the total share.
    contract : Contract or str, optional

    Returns
    -------
    Solution

    Raises
    ------
    simkit.errors.InputError
        Unknown target, or a goal not reached even with nothing repaid on
        the targets.
    """
    base = _base_contract(result, contract)
    goal = _check_goal("target_p_neutral", target_p_neutral, 0.0, 1.0, "a probability in [0, 1]")
    t = _pick_target(base, target, allow_none=True)
    if t is None:
        total = sum(x.weight for x in base.targets)
        weights = [x.weight / total if total > 0 else 1.0 / len(base.targets) for x in base.targets]

        def make(s: float) -> Contract:
            return dataclasses.replace(base, targets=tuple(
                dataclasses.replace(x, weight=min(1.0, s * w)) for x, w in zip(base.targets, weights,
                                                                            strict=True)))
        top = 1.0
    else:
        others = sum(x.weight for x in base.targets if x.id != t.id)
        top = max(0.0, 1.0 - others)

        def make(s: float) -> Contract:
            return _replace_target(base, t.id, weight=s)

    def g(s: float) -> float:
        return _p_neutral(result, make(s))[0]

    if g(0.0) < goal:
        raise InputError(Problem("target_p_neutral", goal,
                                 f"a probability at most {g(0.0):.4f}: even a payment share of 0 "
                                 "does not reach it on these draws"))
    if g(top) >= goal:
        s = top
    else:
        a, b = 0.0, top  # g(a) >= goal > g(b)
        while b - a > 1e-9:
            mid = 0.5 * (a + b)
            if g(mid) >= goal:
                a = mid
            else:
                b = mid
        s = a
    solved = make(s)
    m = reprice(result, solved).metrics()
    return Solution("share", None if t is None else t.id, "p_neutral", goal, s, float("nan"),
                    m["p_neutral"], m["p_neutral_se"], solved, m, result.n)
