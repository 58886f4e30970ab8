"""The scenario specification: validated, frozen, ready to simulate.

A scenario is built from one or more TOML documents layered in order (see
:mod:`simkit.io.scenario`); this module holds the accepted structure (the
schema, documented in ``data/README.md``), the checks that go beyond types
(end after start, intake adding up to the cohort, ...), and the frozen
:class:`Scenario` the rest of simkit works with.

Time conventions
----------------
Model time is in whole **weeks since the agreement start** (week 0 starts on
``agreement.start``); the indicator module works in **days** since the
agreement start so that observed dates and simulated weeks share one
definition (week ``w`` starts on day ``7 w``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simkit.contract import Contract, RateCardLine, Target
from simkit.errors import Problem, ScenarioError, did_you_mean
from simkit.io.scenario import merge_documents
from simkit.params import (
    Beta,
    Distribution,
    Fixed,
    Gamma,
    LogNormal,
    Normal,
    Pert,
    Triangular,
    Uniform,
    copula_cholesky,
)
from simkit.spec import _schema as S

__all__ = ["MODEL_PARAMETERS", "Scenario", "build_scenario"]

#: days per week and weeks per (Julian) year, used for all date <-> week conversions
DAYS_PER_WEEK = 7
#: Largest cohort a scenario may declare (memory per draw grows with it; see simkit.limits).
MAX_COHORT_SIZE = 100_000
WEEKS_PER_YEAR = 365.25 / 7

#: The cohort model's parameters: name -> (meaning, bounds) — every scenario defines all.
MODEL_PARAMETERS: dict[str, tuple[str, float, float]] = {
    "completion_rate": ("probability that a referred person completes the course", 0.0, 1.0),
    "outcome_rate_completers": (
        "probability that a completer starts education or ordinary work", 0.0, 1.0),
    "outcome_rate_dropouts": ("probability that a dropout starts education or ordinary work", 0.0, 1.0),
    "outcome_rate_bau": (
        "probability of starting education or ordinary work without the programme", 0.0, 1.0),
    "weeks_to_outcome": (
        "mean weeks from the start of job search in the programme to the start of education/work",
        0.0, math.inf),
    "weeks_to_outcome_bau": ("mean weeks from referral to education/work without the programme",
                             0.0, math.inf),
    "spell_mean_weeks": ("mean length in weeks of an education/job spell (programme)", 0.0, math.inf),
    "spell_mean_weeks_bau": ("mean length in weeks of an education/job spell (business as usual)",
                             0.0, math.inf),
    "education_share": ("share of education/job starts that are education", 0.0, 1.0),
    "dp_rate_bau": ("probability of a disability-pension award within the horizon for a person "
                    "without an education/job spell, business as usual", 0.0, 1.0),
    "dp_relative_risk": ("relative risk of a disability-pension award with the programme", 0.0, math.inf),
    "benefit_level_factor": ("multiplier on the benefit rates (cohort benefit mix)", 0.0, math.inf),
    "programme_cost_per_participant": ("programme cost per referred person (DKK)", 0.0, math.inf),
    "bau_cost_per_person": ("activation cost per person avoided by the programme (DKK)", 0.0, math.inf),
}

#: Indicators with one definition (see :mod:`simkit.indicators`) usable in contracts.
INDICATORS = ("completion", "edu_work")
#: Budget states with a monthly rate; the first two are reimbursed by the staircase.
STATES = ("benefit", "disability_pension", "education", "job")
STAIRCASE_STATES = ("benefit", "disability_pension")


class FrozenMap(Mapping):
    """A read-only, picklable mapping (``types.MappingProxyType`` cannot be pickled)."""

    __slots__ = ("_d",)

    def __init__(self, d: Mapping | None = None):
        self._d = dict(d or {})

    def __getitem__(self, k):
        return self._d[k]

    def __iter__(self):
        return iter(self._d)

    def __len__(self):
        return len(self._d)

    def __repr__(self):
        return f"FrozenMap({self._d!r})"

    def __getstate__(self):
        return self._d

    def __setstate__(self, d):
        self._d = d


# --------------------------------------------------------------------------
# frozen specification objects
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class IntakeWindow:
    start: dt.date
    end: dt.date
    count: int


@dataclass(frozen=True)
class Agreement:
    municipality: str
    fund: str
    signed: dt.date | None
    start: dt.date
    end: dt.date
    cohort_size: int
    intake: tuple[IntakeWindow, ...]


@dataclass(frozen=True)
class Phase:
    name: str
    weeks: int


@dataclass(frozen=True)
class Programme:
    name: str
    phases: tuple[Phase, ...]
    search_starts_after: str | None

    @property
    def course_weeks(self) -> int:
        return sum(p.weeks for p in self.phases)

    @property
    def search_offset_weeks(self) -> int:
        """Weeks from referral until job search starts (end of the named phase)."""
        if self.search_starts_after is None:
            return self.course_weeks
        total = 0
        for p in self.phases:
            total += p.weeks
            if p.name == self.search_starts_after:
                return total
        return self.course_weeks  # pragma: no cover - validated


@dataclass(frozen=True)
class IndicatorSettings:
    min_spell_weeks: int = 26
    full_time_hours: float = 37.0
    qol_instrument: str = "WEMWBS"

    @property
    def min_spell_days(self) -> int:
        return self.min_spell_weeks * DAYS_PER_WEEK


@dataclass(frozen=True)
class Parameter:
    name: str
    dist: Distribution
    source: str
    low: float | None = None   # named low/high for one-way sensitivity (optional)
    high: float | None = None

    def range(self, level: float = 0.95) -> tuple[float, float]:
        """Low and high values for one-way sensitivity: the named ones or the central interval."""
        lo, hi = self.dist.interval(level)
        return (self.low if self.low is not None else lo, self.high if self.high is not None else hi)


@dataclass(frozen=True)
class Change:
    """A dated change of a person-level parameter: applies to persons referred on/after ``start``."""

    parameter: str
    start: dt.date
    multiply: float = 1.0
    add: float = 0.0
    source: str = ""


@dataclass(frozen=True)
class RateStep:
    start: dt.date
    monthly: float


@dataclass(frozen=True)
class Budget:
    discount_rate: float
    horizon_years: int
    prior_benefit_weeks: int
    reset_weeks: int
    reimbursement: tuple[tuple[int, float], ...]   # (from benefit week, state reimbursement rate)
    rates: Mapping[str, tuple[RateStep, ...]]
    other_costs: tuple[tuple[str, dt.date, float], ...]

    @property
    def horizon_weeks(self) -> int:
        return year_end_week(self.horizon_years)


@dataclass(frozen=True)
class ContractTerms:
    contract: Contract
    outcome_window_end: dt.date
    measurement_date: dt.date
    disbursement: tuple[tuple[dt.date, float], ...]
    schedule: tuple[tuple[dt.date, float], ...]


@dataclass(frozen=True)
class Scenario:
    """A validated scenario. Build it with :func:`simkit.load_scenario`."""

    name: str
    currency: str
    description: str
    agreement: Agreement
    programme: Programme
    indicators: IndicatorSettings
    parameters: Mapping[str, Parameter]
    rank_correlation: Mapping[tuple[str, str], float]
    changes: tuple[Change, ...]
    budget: Budget
    terms: ContractTerms
    sources: tuple[str, ...]
    document: Mapping[str, Any] = field(repr=False)
    sha256: str = ""
    version: int = 1

    # convenience -------------------------------------------------------
    @property
    def contract(self) -> Contract:
        """The contract (grant, targets, rules) of the scenario's terms."""
        return self.terms.contract

    def week_of(self, day: dt.date) -> int:
        """Whole weeks from the agreement start to ``day`` (floor).

        Examples
        --------
        >>> import datetime as dt
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")  # starts 1 November 2025
        >>> sc.week_of(dt.date(2025, 11, 15)), sc.week_of(dt.date(2025, 11, 14))  # 14 days, 13 days
        (2, 1)
        """
        return (day - self.agreement.start).days // DAYS_PER_WEEK

    def day_of(self, day: dt.date) -> int:
        """Return the days from the agreement start to ``day``.

        Examples
        --------
        >>> import datetime as dt
        >>> import simkit
        >>> simkit.load_scenario("norddjurs_v1").day_of(dt.date(2026, 1, 1))  # 30 + 31 days after 1 November
        61
        """
        return (day - self.agreement.start).days

    def referral_weeks(self):
        """Referral week of each person, from the intake schedule (evenly spread in each window).

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")  # first window: 35 persons over 181 days from the start
        >>> sc.referral_weeks()[:3]  # days floor((i + 0.5) 181 / 35) = 2, 7, 12
        array([0, 1, 1])
        """
        weeks = []
        for w in self.agreement.intake:
            a, b = self.day_of(w.start), self.day_of(w.end)
            span = b - a + 1
            days = a + np.floor((np.arange(w.count) + 0.5) * span / w.count).astype(int)
            weeks.append(days // DAYS_PER_WEEK)
        return np.concatenate(weeks) if weeks else np.zeros(0, dtype=int)

    @property
    def chol(self):
        """Cholesky factor of the parameters' normal-copula correlation."""
        return copula_cholesky(list(self.parameters), dict(self.rank_correlation))

    def with_updates(self, updates: Mapping[str, Any], label: str = "(update)") -> Scenario:
        """Return a new scenario with ``updates`` (a TOML-like nested dict) layered on top.

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1").with_updates({"contract": {"grant": 1_000_000}})
        >>> sc.contract.grant, sc.sources[-1]
        (1000000.0, '(update)')
        """
        doc, prov = merge_documents([(" + ".join(self.sources), self.document), (label, updates)])
        return build_scenario(doc, sources=(*self.sources, label), provenance=prov)

    def _repr_html_(self) -> str:  # pragma: no cover - cosmetic
        rows = "".join(
            f"<tr><td>{p.name}</td><td>{p.dist.describe()}</td><td>{p.source}</td></tr>"
            for p in self.parameters.values()
        )
        return (
            f"<b>{self.name}</b> — {self.agreement.cohort_size} persons, "
            f"{self.agreement.start}–{self.agreement.end}, grant "
            f"{self.contract.grant:,.0f} {self.currency}, premium {self.contract.premium:.1%}"
            f"<table><tr><th>parameter</th><th>distribution</th><th>source</th></tr>{rows}</table>"
            f"<small>sha256 {self.sha256[:12]}…</small>"
        )


def year_end_week(years: float) -> int:
    """Week index at which ``years`` years after the agreement start end (rounded)."""
    return round(years * WEEKS_PER_YEAR)


# --------------------------------------------------------------------------
# schema
# --------------------------------------------------------------------------


def _param_node(value: Any, path: str, issues: list[S.Issue]) -> Any:
    """Return a parameter: a number (fixed) or a table with ``dist`` and its arguments."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"dist": "fixed", "value": float(value), "source": ""}
    if not isinstance(value, Mapping):
        issues.append(S.Issue(path, value, "a number or a table with 'dist' (or 'value') and 'source'"))
        return S.MISSING
    forms = {
        "fixed": ("value",),
        "beta": ("mean", "low", "high", "sd", "a", "b"),
        "pert": ("min", "mode", "max", "lamb"),
        "triangular": ("min", "mode", "max"),
        "uniform": ("low", "high"),
        "normal": ("mean", "sd"),
        "lognormal": ("median", "low", "high", "mean", "sd"),
        "gamma": ("shape", "scale", "mean", "sd"),
    }
    dist = value.get("dist", "fixed" if "value" in value else None)
    fields: dict[str, S.Node] = {
        "dist": S.Str(choices=tuple(forms)),
        "source": S.Str(required=True),
        "sens_low": S.Num(),
        "sens_high": S.Num(),
    }
    if dist in forms:
        for k in forms[dist]:
            fields[k] = S.Num()
    elif dist is None:
        issues.append(S.Issue(S.join(path, "dist"), None, f"one of {', '.join(forms)}"))
        return S.MISSING
    out = S.Table(fields).check(value, path, issues)
    if out is S.MISSING:
        return out
    out.setdefault("dist", dist)
    return out


def _intake_post(d, path, issues):
    if d["to"] < d["from"]:
        issues.append(S.Issue(S.join(path, "to"), str(d["to"]), f"a date on or after 'from' ({d['from']})"))


def _rate_step() -> S.Table:
    return S.Table({"from": S.Date(required=True), "monthly": S.Num(required=True, min=0.0),
                    "source": S.Str()})


def _dated_share() -> S.Table:
    return S.Table({"date": S.Date(required=True), "share": S.Num(required=True, min=0.0, max=1.0,
                                                                   min_exclusive=True)})


SCHEMA = S.Table(
    {
        "scenario": S.Table(
            {"version": S.Num(integer=True, min=1, max=1, default=1),
             "name": S.Str(required=True), "currency": S.Str(default="DKK"),
             "description": S.Str(default="")},
            required=True,
        ),
        "agreement": S.Table(
            {
                "municipality": S.Str(required=True),
                "fund": S.Str(default="Den Sociale Investeringsfond (DSI)"),
                "signed": S.Date(),
                "start": S.Date(required=True),
                "end": S.Date(required=True),
                "cohort_size": S.Num(required=True, integer=True, min=1, max=MAX_COHORT_SIZE),
                "intake": S.ListOf(
                    S.Table({"from": S.Date(required=True), "to": S.Date(required=True),
                             "count": S.Num(required=True, integer=True, min=0),
                             "source": S.Str()}, post=_intake_post),
                    required=True, min_len=1,
                ),
            },
            required=True,
        ),
        "programme": S.Table(
            {
                "name": S.Str(default="programme"),
                "search_starts_after": S.Str(),
                "phases": S.ListOf(
                    S.Table({"name": S.Str(required=True),
                             "weeks": S.Num(required=True, integer=True, min=1),
                             "source": S.Str()}),
                    required=True, min_len=1,
                ),
            },
            required=True,
        ),
        "indicators": S.Table(
            {"min_spell_weeks": S.Num(integer=True, min=1, default=26),
             "full_time_hours": S.Num(min=0.0, max=80.0, default=37.0),
             "qol_instrument": S.Str(default="WEMWBS")},
            default=dict,
        ),
        "parameters": S.MapOf(S.OneOf(_param_node), keys=tuple(MODEL_PARAMETERS), required=True),
        "correlation": S.ListOf(
            S.Table({"a": S.Str(choices=tuple(MODEL_PARAMETERS), required=True),
                     "b": S.Str(choices=tuple(MODEL_PARAMETERS), required=True),
                     "rank": S.Num(required=True, min=-1.0, max=1.0), "source": S.Str()}),
            default=list,
        ),
        "changes": S.ListOf(
            S.Table({"parameter": S.Str(choices=tuple(MODEL_PARAMETERS), required=True),
                     "from": S.Date(required=True), "multiply": S.Num(min=0.0, default=1.0),
                     "add": S.Num(default=0.0), "source": S.Str(default="")}),
            default=list,
        ),
        "contract": S.Table(
            {
                "grant": S.Num(required=True, min=0.0, min_exclusive=True),
                "source": S.Str(),   # where the terms come from (the agreement, or "assumption")
                "premium": S.Num(min=0.0, max=1.0, default=0.0),
                "cap": S.Num(min=0.0),
                "max_loss": S.Num(min=0.0, max=1.0),
                "max_annual_return": S.Num(min=0.0),
                "outcome_window_end": S.Date(),
                "measurement_date": S.Date(),
                "disbursement": S.ListOf(_dated_share(), min_len=1),
                "schedule": S.ListOf(_dated_share(), required=True, min_len=1),
                "targets": S.ListOf(
                    S.Table({
                        "id": S.Str(required=True),
                        "indicator": S.Str(required=True, choices=INDICATORS),
                        "threshold": S.Num(required=True, min=0.0, max=1.0),
                        "weight": S.Num(required=True, min=0.0, max=1.0),
                        "rule": S.Str(default="threshold", choices=("threshold", "pro_rata", "graduated")),
                        "denominator": S.Str(default="referred", choices=("referred", "completed")),
                        "floor": S.Num(min=0.0, max=1.0),
                        "steps": S.ListOf(S.ListOf(S.Num(min=0.0, max=1.0))),
                        "source": S.Str(),
                    }),
                    default=list,
                ),
                "rate_card": S.ListOf(
                    S.Table({
                        "id": S.Str(required=True),
                        "indicator": S.Str(required=True, choices=INDICATORS),
                        "price": S.Num(required=True, min=0.0),
                        "max_count": S.Num(integer=True, min=0),
                        "cap": S.Num(min=0.0),
                        "source": S.Str(),
                    }),
                    default=list,
                ),
            },
            required=True,
        ),
        "budget": S.Table(
            {
                "discount_rate": S.Num(min=0.0, max=1.0, required=True),
                "horizon_years": S.Num(integer=True, min=1, max=70, required=True),
                "prior_benefit_weeks": S.Num(integer=True, min=0, default=0),
                "reset_weeks": S.Num(integer=True, min=1, default=52),
                "reimbursement": S.ListOf(
                    S.Table({"from_week": S.Num(integer=True, min=1, required=True),
                             "rate": S.Num(min=0.0, max=1.0, required=True)}),
                    default=list,
                ),
                "rates": S.Table({s: S.ListOf(_rate_step(), min_len=1) for s in STATES}, required=True),
                "other_costs": S.ListOf(
                    S.Table({"name": S.Str(required=True), "date": S.Date(required=True),
                             "amount": S.Num(required=True, min=0.0), "source": S.Str()}),
                    default=list,
                ),
            },
            required=True,
        ),
    }
)


# --------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------


def _make_dist(d: Mapping[str, Any], path: str, issues: list[S.Issue]) -> Distribution | None:
    kind = d["dist"]
    has = set(d) - {"dist", "source", "sens_low", "sens_high"}

    def need(*keys):
        missing = [k for k in keys if k not in d]
        for k in missing:
            issues.append(S.Issue(S.join(path, k), None, f"a number (needed for dist = {kind!r})"))
        return not missing

    positive = {"sd", "a", "b", "shape", "scale", "lamb"} | ({"mean", "median"} if kind in ("lognormal", "gamma") else set())
    bad = [k for k in sorted(positive & has) if not d[k] > 0]
    for k in bad:
        issues.append(S.Issue(S.join(path, k), d[k], f"a number > 0 (for dist = {kind!r})"))
    if bad:
        return None
    try:
        if kind == "fixed":
            return Fixed(d["value"]) if need("value") else None
        if kind == "beta":
            if {"a", "b"} <= has:
                if d["a"] <= 0 or d["b"] <= 0:
                    issues.append(S.Issue(S.join(path, "a"), d["a"], "a > 0 and b > 0"))
                    return None
                return Beta(d["a"], d["b"])
            if {"mean", "sd"} <= has:
                return Beta.from_mean_sd(d["mean"], d["sd"])
            return Beta.from_mean_interval(d["mean"], d["low"], d["high"]) if need("mean", "low", "high") else None
        if kind in ("pert", "triangular"):
            if not need("min", "mode", "max"):
                return None
            if not d["min"] <= d["mode"] <= d["max"] or d["min"] == d["max"]:
                issues.append(S.Issue(S.join(path, "mode"), d["mode"],
                                      f"min <= mode <= max with min < max (min {d['min']}, max {d['max']})"))
                return None
            if kind == "pert":
                return Pert(d["min"], d["mode"], d["max"], d.get("lamb", 4.0))
            return Triangular(d["min"], d["mode"], d["max"])
        if kind == "uniform":
            if not need("low", "high"):
                return None
            if not d["low"] < d["high"]:
                issues.append(S.Issue(S.join(path, "high"), d["high"], f"a number above low ({d['low']})"))
                return None
            return Uniform(d["low"], d["high"])
        if kind == "normal":
            if not need("mean", "sd"):
                return None
            if d["sd"] <= 0:
                issues.append(S.Issue(S.join(path, "sd"), d["sd"], "sd > 0"))
                return None
            return Normal(d["mean"], d["sd"])
        if kind == "lognormal":
            if {"mean", "sd"} <= has:
                return LogNormal.from_mean_sd(d["mean"], d["sd"])
            return (LogNormal.from_median_interval(d["median"], d["low"], d["high"])
                    if need("median", "low", "high") else None)
        if kind == "gamma":
            if {"shape", "scale"} <= has:
                return Gamma(d["shape"], d["scale"])
            return Gamma.from_mean_sd(d["mean"], d["sd"]) if need("mean", "sd") else None
    except (ValueError, ZeroDivisionError) as exc:
        issues.append(S.Issue(path, {k: v for k, v in d.items() if k != "source"}, str(exc)))
        return None
    return None  # pragma: no cover


def _check_bounds(name: str, dist: Distribution, path: str, issues: list[S.Issue]) -> None:
    _, lo, hi = MODEL_PARAMETERS[name]
    if isinstance(dist, Fixed):
        v = dist.value
        if not lo <= v <= hi:
            issues.append(S.Issue(S.join(path, "value"), v, f"a value in [{lo:g}, {hi:g}]"))
        return
    q = dist.ppf(np.array([1e-9, 0.5, 1 - 1e-9]))
    if not np.all(np.isfinite(q[:2])) or q.min() < lo - 1e-12 or q.max() > hi + 1e-12:
        issues.append(S.Issue(path, dist.describe(),
                              f"a distribution within [{lo:g}, {hi:g}] (this parameter is a "
                              f"{MODEL_PARAMETERS[name][0]})"))


def canonical_hash(doc: Mapping[str, Any]) -> str:
    """SHA-256 of the merged scenario content (key order and formatting do not matter)."""
    text = json.dumps(doc, sort_keys=True, default=str, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def build_scenario(
    doc: Mapping[str, Any],
    *,
    sources: tuple[str, ...] = ("(in memory)",),
    provenance: Mapping[str, str] | None = None,
) -> Scenario:
    """Validate a merged scenario document and build the frozen :class:`Scenario`.

    Raises
    ------
    ScenarioError
        Listing every problem found, each with the file (from ``provenance``),
        key path, value and what was expected.

    Examples
    --------
    >>> from simkit.io.scenario import read_layers
    >>> doc, prov, sources = read_layers("norddjurs_v1")
    >>> build_scenario(doc, sources=sources, provenance=prov).agreement.cohort_size
    95
    """
    norm, issues = S.check(SCHEMA, doc)
    sc = None
    if not issues:
        sc = _build(norm, doc, sources, issues)
    if issues:
        raise ScenarioError(
            [Problem(_where(i.where, provenance, sources), i.value, i.expected) for i in issues],
            header=f"scenario {' + '.join(sources)}: {len(issues)} problem(s)",
        )
    assert sc is not None  # built whenever there are no issues
    return sc


def _where(path: str, provenance: Mapping[str, str] | None, sources: tuple[str, ...]) -> str:
    file = sources[-1]
    if provenance:
        p = path
        while p:
            if p in provenance:
                file = provenance[p]
                break
            cut = max(p.rfind("."), p.rfind("["))
            p = p[:cut] if cut > 0 else ""
    return f"{file}: {path or '(top level)'}"


def _build(n: dict, raw: Mapping[str, Any], sources, issues: list[S.Issue]) -> Scenario | None:
    ag = n["agreement"]
    if ag["end"] <= ag["start"]:
        issues.append(S.Issue("agreement.end", str(ag["end"]), f"a date after agreement.start ({ag['start']})"))
    if ag.get("signed") and ag["signed"] > ag["end"]:
        issues.append(S.Issue("agreement.signed", str(ag["signed"]), "a date on or before agreement.end"))
    intake = []
    for i, w in enumerate(ag["intake"]):
        if w["from"] < ag["start"] or w["to"] > ag["end"]:
            issues.append(S.Issue(f"agreement.intake[{i}]", f"{w['from']}..{w['to']}",
                                  f"a window inside the agreement period {ag['start']}..{ag['end']}"))
        intake.append(IntakeWindow(w["from"], w["to"], w["count"]))
    total = sum(w.count for w in intake)
    if total != ag["cohort_size"]:
        issues.append(S.Issue("agreement.intake", f"counts summing to {total}",
                              f"counts summing to agreement.cohort_size = {ag['cohort_size']}"))
    agreement = Agreement(ag["municipality"], ag["fund"], ag.get("signed"), ag["start"], ag["end"],
                          ag["cohort_size"], tuple(intake))

    pr = n["programme"]
    phases = tuple(Phase(p["name"], p["weeks"]) for p in pr["phases"])
    names = [p.name for p in phases]
    ssa = pr.get("search_starts_after")
    if ssa is not None and ssa not in names:
        hint = did_you_mean(ssa, names)
        issues.append(S.Issue("programme.search_starts_after", ssa, f"one of the phase names {names}{hint}"))
    programme = Programme(pr["name"], phases, ssa)
    indicators = IndicatorSettings(n["indicators"]["min_spell_weeks"], n["indicators"]["full_time_hours"],
                                   n["indicators"]["qol_instrument"])

    params: dict[str, Parameter] = {}
    for name in MODEL_PARAMETERS:
        if name not in n["parameters"]:
            issues.append(S.Issue(f"parameters.{name}", None,
                                  f"a number or distribution for the {MODEL_PARAMETERS[name][0]}"))
            continue
        d = n["parameters"][name]
        dist = _make_dist(d, f"parameters.{name}", issues)
        if dist is None:
            continue
        _check_bounds(name, dist, f"parameters.{name}", issues)
        params[name] = Parameter(name, dist, d.get("source", ""), d.get("sens_low"), d.get("sens_high"))

    corr = {}
    for i, c in enumerate(n["correlation"]):
        if c["a"] == c["b"]:
            issues.append(S.Issue(f"correlation[{i}].b", c["b"], "a parameter other than 'a'"))
        corr[(c["a"], c["b"])] = c["rank"]
    if corr and not issues:
        try:
            copula_cholesky(list(params), corr)
        except ValueError as exc:
            issues.append(S.Issue("correlation", [[*list(k), v] for k, v in corr.items()], str(exc)))

    changes = tuple(Change(c["parameter"], c["from"], c["multiply"], c["add"], c["source"])
                    for c in n["changes"])

    bu = n["budget"]
    reimb = tuple((r["from_week"], r["rate"]) for r in bu["reimbursement"])
    if reimb and (reimb[0][0] != 1 or any(b[0] <= a[0] for a, b in itertools.pairwise(reimb))):
        issues.append(S.Issue("budget.reimbursement", [r[0] for r in reimb],
                              "steps with from_week starting at 1 and strictly increasing"))
    rates = {}
    for s in STATES:
        steps = bu["rates"].get(s)
        if steps is None:
            issues.append(S.Issue(f"budget.rates.{s}", None, "a list of {from, monthly} rate steps"))
            continue
        steps = sorted(steps, key=lambda r: r["from"])
        if steps[0]["from"] > ag["start"]:
            issues.append(S.Issue(f"budget.rates.{s}[0].from", str(steps[0]["from"]),
                                  f"a date on or before agreement.start ({ag['start']})"))
        rates[s] = tuple(RateStep(r["from"], r["monthly"]) for r in steps)
    other = tuple((c["name"], c["date"], c["amount"]) for c in bu["other_costs"])
    budget = Budget(bu["discount_rate"], bu["horizon_years"], bu["prior_benefit_weeks"],
                    bu["reset_weeks"], reimb, FrozenMap(rates), other)
    horizon_end = ag["start"] + dt.timedelta(days=round(bu["horizon_years"] * 365.25))

    co = n["contract"]
    window_end = co.get("outcome_window_end", ag["end"])
    measurement = co.get("measurement_date",
                         window_end + dt.timedelta(days=indicators.min_spell_days))
    if window_end < ag["start"]:
        issues.append(S.Issue("contract.outcome_window_end", str(window_end), "a date after agreement.start"))
    if measurement < window_end:
        issues.append(S.Issue("contract.measurement_date", str(measurement),
                              f"a date on or after contract.outcome_window_end ({window_end})"))
    disb = tuple((x["date"], x["share"]) for x in co.get("disbursement", [{"date": ag["start"], "share": 1.0}]))
    sched = tuple((x["date"], x["share"]) for x in co["schedule"])
    for key, lst in (("disbursement", disb), ("schedule", sched)):
        tot = sum(s for _, s in lst)
        if abs(tot - 1.0) > 1e-9:
            issues.append(S.Issue(f"contract.{key}", [s for _, s in lst], "shares summing to 1"))
        for i, (d, _) in enumerate(lst):
            if d < ag["start"] or d >= horizon_end:
                issues.append(S.Issue(f"contract.{key}[{i}].date", str(d),
                                      f"a date inside the budget horizon {ag['start']}..{horizon_end}"))
    if issues:
        return None
    grant_day = disb[0][0]
    try:
        return _build_contract(n, raw, sources, co, grant_day, agreement, programme, indicators,
                               params, corr, changes, budget, window_end, measurement, disb, sched, issues)
    except ScenarioError as exc:
        issues.extend(S.Issue(p.where, p.value, p.expected) for p in exc.problems)
        return None


def _build_contract(n, raw, sources, co, grant_day, agreement, programme, indicators, params, corr,
                    changes, budget, window_end, measurement, disb, sched, issues):
    targets = tuple(
        Target(
            id=t["id"], indicator=t["indicator"], threshold=t["threshold"], weight=t["weight"],
            denominator=t["denominator"], rule=t["rule"], floor=t.get("floor"),
            steps=tuple(tuple(s) for s in t.get("steps", ())), where=f"contract.targets[{i}]",
        )
        for i, t in enumerate(co["targets"])
    )
    lines = tuple(
        RateCardLine(id=x["id"], indicator=x["indicator"], price=x["price"], max_count=x.get("max_count"),
                     cap=x.get("cap"), where=f"contract.rate_card[{i}]")
        for i, x in enumerate(co["rate_card"])
    )
    if not targets and not lines:
        issues.append(S.Issue("contract.targets", [], "at least one payment target or rate-card line"))
        return None
    for i, t in enumerate(targets):
        if t.indicator == "completion" and t.denominator == "completed":
            issues.append(S.Issue(f"contract.targets[{i}].denominator", t.denominator,
                                  "'referred' for a completion target (a completion rate among "
                                  "completers is always 100 %)"))
            return None
    ids = [t.id for t in targets] + [x.id for x in lines]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        issues.append(S.Issue("contract.targets", dup, "unique ids across targets and rate-card lines"))
        return None
    contract = Contract(
        grant=co["grant"], premium=co["premium"], targets=targets, rate_card=lines,
        cap=co.get("cap"), max_loss=co.get("max_loss"), max_annual_return=co.get("max_annual_return"),
        schedule=tuple(((d - grant_day).days / 365.25, s) for d, s in sched),
        currency=n["scenario"]["currency"], where="contract",
    )
    terms = ContractTerms(contract, window_end, measurement, disb, sched)
    sc = n["scenario"]
    return Scenario(
        name=sc["name"], currency=sc["currency"], description=sc["description"],
        agreement=agreement, programme=programme, indicators=indicators,
        parameters=FrozenMap(params), rank_correlation=FrozenMap(corr),
        changes=changes, budget=budget, terms=terms, sources=tuple(sources),
        document=FrozenMap(dict(raw)), sha256=canonical_hash(_without_default_version(raw)),
    )


def _without_default_version(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    """Return ``doc`` without ``scenario.version = 1``: a file saying so is the same scenario as one without."""
    head = doc.get("scenario")
    if not isinstance(head, Mapping) or head.get("version") != 1:
        return doc
    return {**doc, "scenario": {k: v for k, v in head.items() if k != "version"}}
