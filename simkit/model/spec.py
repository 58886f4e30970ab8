"""The declarative multi-state cohort model: schema, validation, frozen objects.

A scenario file with ``[scenario] version = 2`` declares its own model:

* ``[states.<id>]`` — any number of states, each with a ``kind`` (from
  :data:`STATE_KINDS`), a weekly cost per payer with dated rates, whether the
  reimbursement staircase applies and whether it counts as self-support for
  the staircase restart;
* ``[[transitions]]`` — per arm (``bau``, ``programme``), competing
  destinations with a baseline hazard from :data:`simkit.model.hazards.HAZARD_KINDS`
  (or a state ``sojourn`` with destination ``probability`` values), re-entry
  allowed, an optional ``event`` label (``"completed"``, ``"dropout"``);
* ``[[effects]]`` — the programme's hazard ratios on named transitions with
  an optional decay by time since referral;
* ``[[changes]]`` — dated hazard ratios by calendar date or by referral date;
* ``[[subgroups]]`` — a mix (counts or shares) with their own hazard ratios,
  initial states, prices and staircase position;
* ``[parameters.<name>]`` — freely named uncertain parameters; any number in
  a transition, effect, change, cost or indicator may be a parameter's name;
* ``[[indicators]]`` — from :data:`simkit.model.indicators.INDICATOR_KINDS`,
  one definition used by the simulation and the evaluation.

The reference for every key is ``docs/scenario-v2.md``; a test checks that it
documents exactly the keys this schema accepts.

Validation collects every problem (file, key path, value, what was expected,
with "did you mean") before anything is computed.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simkit.contract import Contract, RateCardLine, Target
from simkit.errors import Problem, ScenarioError, did_you_mean
from simkit.io.scenario import merge_documents
from simkit.model.hazards import HAZARD_KINDS
from simkit.model.indicators import INDICATOR_KINDS
from simkit.params import copula_cholesky
from simkit.spec import (
    DAYS_PER_WEEK,
    WEEKS_PER_YEAR,
    Agreement,
    ContractTerms,
    FrozenMap,
    IntakeWindow,
    Parameter,
    _make_dist,
    _param_node,
    _where,
    canonical_hash,
)
from simkit.spec import _schema as S

__all__ = [
    "ARMS",
    "PAYERS",
    "STATE_KINDS",
    "CalibrationTarget",
    "Ceiling",
    "Change",
    "CostChange",
    "CostLine",
    "Effect",
    "IndicatorSpec",
    "Model",
    "ModelBudget",
    "ModelScenario",
    "State",
    "StateKind",
    "Subgroup",
    "Transition",
    "build_model_scenario",
    "register_state_kind",
]

ARMS = ("bau", "programme")
PAYERS = ("municipality", "state", "region")
Ref = float | str  # a number, or the name of an uncertain parameter


@dataclass(frozen=True)
class StateKind:
    """Defaults of a kind of state (a registry entry; see :func:`register_state_kind`)."""

    name: str
    absorbing: bool = False
    self_support: bool = False
    staircase: bool = False
    excluded: bool = False   # leaves the indicators' denominators (moved away, died)
    meaning: str = ""


STATE_KINDS: dict[str, StateKind] = {}



def _bool_value(v: Any, path: str, issues: list) -> Any:
    """Return ``v`` if it is ``true`` or ``false``; otherwise record an issue."""
    if isinstance(v, bool):
        return v
    issues.append(S.Issue(path, v, "true or false"))
    return S.MISSING

def register_state_kind(kind: StateKind) -> StateKind:
    """Add a kind of state (usable as ``kind = "<name>"`` in scenario files).

    Examples
    --------
    >>> k = register_state_kind(StateKind("demo_leave", self_support=True))
    >>> STATE_KINDS.pop("demo_leave").self_support
    True
    """
    STATE_KINDS[kind.name] = kind
    return kind


for _k in (
    StateKind("benefit", staircase=True, meaning="on a public benefit (cash benefit, sick-leave benefit, ...)"),
    StateKind("education", self_support=True, meaning="in education (SU, FGU, STU, ...)"),
    StateKind("job", self_support=True, meaning="in work (ordinary, subsidised, flex job)"),
    StateKind("pension", absorbing=True, staircase=True, meaning="disability pension (absorbing)"),
    StateKind("exclusion", absorbing=True, excluded=True, meaning="moved away or died: leaves the indicators"),
    StateKind("programme", staircase=True, meaning="a phase of the programme (benefit continues)"),
    StateKind("other", meaning="anything else (no staircase, not self-support)"),
):
    register_state_kind(_k)


@dataclass(frozen=True)
class CostLine:
    """A dated weekly cost of being in a state, for one payer."""

    payer: str
    start: dt.date
    weekly: float
    subgroups: tuple[str, ...] | None
    factor: str | None
    source: str
    item: str | None = None          # a spending item (e.g. "activation"), read by a budget ceiling
    staircase: bool | None = None    # None: the state's setting; False: never reimbursed by the staircase


@dataclass(frozen=True)
class CostChange:
    """A dated multiplier on the cost lines of one spending ``item`` (a reform's lower spending)."""

    item: str
    states: tuple[int, ...] | None     # state indices (None: every state)
    start: dt.date
    multiply: float
    source: str


@dataclass(frozen=True)
class CalibrationTarget:
    """A stated calibration target of one arm.

    A share in ``states`` at ``at_months``, or weeks in them within the first ``within_months``
    after referral.
    """

    id: str
    arm: str
    states: tuple[str, ...]
    at_months: float | None
    within_months: float | None
    target: float
    tolerance: float
    source: str

    @property
    def kind(self) -> str:
        """``"share"`` (a share at a time) or ``"weeks"`` (weeks in the states within a window)."""
        return "share" if self.at_months is not None else "weeks"


@dataclass(frozen=True)
class State:
    """A state of the multi-state model: its kind, flags, costs per payer and source."""

    id: str
    index: int
    kind: str
    label: str
    staircase: bool
    self_support: bool
    absorbing: bool
    excluded: bool
    costs: tuple[CostLine, ...]
    weekly_hours: float | None
    planned_weeks: float | None
    source: str


@dataclass(frozen=True)
class Transition:
    """A transition between two states: arms, subgroups, the hazard (or split form), clock and event label."""

    index: int
    source_state: int
    target_state: int
    arms: tuple[str, ...]
    subgroups: tuple[str, ...] | None
    dist: str                          # a HAZARD_KINDS name, or "split" (state sojourn + probability)
    args: Mapping[str, Any]            # name -> Ref (or list of Ref)
    clock: str                         # "in_state" or "since_referral"
    event: str | None
    probability: Ref | None
    where: str


@dataclass(frozen=True)
class StepFunction:
    """A hazard multiplier that steps at ``breaks`` (weeks on ``clock``)."""

    clock: str                          # "referral" (weeks since referral) or "calendar" (weeks since start)
    breaks: tuple[float, ...]           # first is -inf / 0
    values: tuple[Ref, ...]


@dataclass(frozen=True)
class Effect:
    """The programme's effect on transitions: a hazard-ratio step function per arm and subgroup."""

    transitions: tuple[int, ...]
    arms: tuple[str, ...]
    subgroups: tuple[str, ...] | None
    multiplier: StepFunction
    source: str


@dataclass(frozen=True)
class Change:
    """A dated change of the hazards of transitions, by calendar date or by referral date."""

    transitions: tuple[int, ...]
    arms: tuple[str, ...]
    start: dt.date
    by: str                              # "calendar" or "referral"
    hazard_ratio: Ref
    source: str


@dataclass(frozen=True)
class Subgroup:
    """A subgroup of the cohort: its count, initial states, prior benefit weeks and hazard ratios."""

    id: str
    index: int
    label: str
    count: int
    initial: Mapping[str, int]           # arm -> state index
    prior_benefit_weeks: float
    hazard_ratios: tuple[tuple[int, Ref], ...]   # (transition index, ratio)
    source: str


@dataclass(frozen=True)
class IndicatorSpec:
    """An indicator of the scenario: its kind from the registry and its settings."""

    id: str
    kind: str
    label: str
    settings: Mapping[str, Any]
    source: str


@dataclass(frozen=True)
class Model:
    """The validated multi-state cohort model of a version-2 scenario."""

    states: tuple[State, ...]
    transitions: tuple[Transition, ...]
    effects: tuple[Effect, ...]
    changes: tuple[Change, ...]
    subgroups: tuple[Subgroup, ...]
    indicators: tuple[IndicatorSpec, ...]
    sojourns: Mapping[int, tuple[str, Mapping[str, Any]]]   # state index -> (dist, args) for split form
    completion_indicator: str | None
    cost_changes: tuple[CostChange, ...] = ()

    def state(self, name: str) -> State:
        """Return the state called ``name``.

        Examples
        --------
        >>> import simkit
        >>> simkit.load_scenario().model.state("course").id
        'course'
        """
        return next(s for s in self.states if s.id == name)

    def state_ids(self, names) -> np.ndarray:
        """Return the indices of the states called ``names``.

        Examples
        --------
        >>> import simkit
        >>> simkit.load_scenario().model.state_ids(["neet", "course"])  # the order the file declares them
        array([0, 1], dtype=int16)
        """
        idx = {s.id: s.index for s in self.states}
        return np.array([idx[n] for n in names], dtype=np.int16)

    def indicator(self, name: str) -> IndicatorSpec:
        """Return the indicator called ``name``.

        Examples
        --------
        >>> import simkit
        >>> simkit.load_scenario().model.indicator("completion").kind
        'completion'
        """
        return next(i for i in self.indicators if i.id == name)


@dataclass(frozen=True)
class PerReferralCost:
    name: str
    arms: tuple[str, ...]
    payer: str
    amount: Ref
    source: str


@dataclass(frozen=True)
class DatedCost:
    name: str
    date: dt.date
    amount: float
    payer: str
    source: str


@dataclass(frozen=True)
class Ceiling:
    """An aggregate spending ceiling per budget year (L 77 § 203 a).

    Spending above ``person-years in states × per_person_year`` is not compensated (a municipal
    cost at year end).
    """

    name: str
    start: dt.date                      # first budget year is the calendar year of this date
    per_person_year: Ref
    states: tuple[int, ...]             # person-years in these states set the ceiling
    cost_items: tuple[str, ...]         # state cost lines (municipal) with these items count as spending
    per_referral: tuple[str, ...]       # per-referral costs (by name) counting as spending, in the referral's year
    per_referral_share: Ref             # share of those per-referral costs that counts
    source: str


@dataclass(frozen=True)
class ModelBudget:
    """Budget settings of a version-2 scenario: discounting, horizon, reimbursement, staircase restart, extra costs."""

    discount_rate: float
    discount_rate_long: float           # after year 35 (Ministry of Finance: 2.5 %)
    horizon_years: int
    reimbursement: tuple[tuple[int, float], ...]
    restart_weeks: float                # self-support weeks ...
    restart_window_weeks: float         # ... within this many weeks restart the staircase count
    per_referral: tuple[PerReferralCost, ...]
    other_costs: tuple[DatedCost, ...]
    avoided_cost: Ref                   # activation spending per person the programme replaces (bau arm)
    ceilings: tuple[Ceiling, ...] = ()

    @property
    def horizon_weeks(self) -> float:
        """The budget horizon in weeks."""
        return self.horizon_years * WEEKS_PER_YEAR


@dataclass(frozen=True)
class ModelScenario:
    """A validated version-2 scenario (declarative model). Build it with :func:`simkit.load_scenario`."""

    name: str
    currency: str
    description: str
    agreement: Agreement
    model: Model
    parameters: Mapping[str, Parameter]
    rank_correlation: Mapping[tuple[str, str], float]
    budget: ModelBudget
    terms: ContractTerms
    sources: tuple[str, ...]
    document: Mapping[str, Any] = field(repr=False)
    sha256: str = ""
    version: int = 2
    calibration: tuple[CalibrationTarget, ...] = ()

    @property
    def contract(self) -> Contract:
        """The contract (grant, targets, rules) of the scenario's terms."""
        return self.terms.contract

    def week_of(self, day: dt.date) -> float:
        """Weeks (fractional) from the agreement start to ``day``.

        Examples
        --------
        >>> import datetime as dt
        >>> import simkit
        >>> simkit.load_scenario().week_of(dt.date(2025, 11, 4))  # 3 days after the start, 1 November 2025
        0.42857142857142855
        """
        return (day - self.agreement.start).days / DAYS_PER_WEEK

    def day_of(self, day: dt.date) -> int:
        """Return the days from the agreement start to ``day``.

        Examples
        --------
        >>> import datetime as dt
        >>> import simkit
        >>> simkit.load_scenario().day_of(dt.date(2026, 1, 1))  # 30 + 31 days after 1 November 2025
        61
        """
        return (day - self.agreement.start).days

    def referral_days(self) -> np.ndarray:
        """Referral day of each person, spread evenly within each intake window.

        Examples
        --------
        >>> import simkit
        >>> simkit.load_scenario().referral_days()[:3]  # 35 persons over 181 days: floor((i + 0.5) 181 / 35)
        array([ 2,  7, 12])
        """
        days = []
        for w in self.agreement.intake:
            a, b = self.day_of(w.start), self.day_of(w.end)
            span = b - a + 1
            days.append(a + np.floor((np.arange(w.count) + 0.5) * span / w.count).astype(int))
        return np.concatenate(days) if days else np.zeros(0, dtype=int)

    def referral_weeks(self) -> np.ndarray:
        """Return the referral week (fractional) of each person.

        Examples
        --------
        >>> import simkit
        >>> simkit.load_scenario().referral_weeks()[:2] * 7  # the referral days, in weeks
        array([2., 7.])
        """
        return self.referral_days() / DAYS_PER_WEEK

    def subgroup_of_person(self) -> np.ndarray:
        """Subgroup index of each person: each subgroup spread evenly over the intake order.

        Examples
        --------
        >>> import numpy as np
        >>> import simkit
        >>> sc = simkit.load_scenario()  # subgroups of 10, 19, 33 and 33 persons
        >>> np.bincount(sc.subgroup_of_person()).tolist()
        [10, 19, 33, 33]
        """
        keys, labels = [], []
        for g in self.model.subgroups:
            keys.append((np.arange(g.count) + 0.5) / max(g.count, 1))
            labels.append(np.full(g.count, g.index, dtype=np.int16))
        if not keys:
            return np.zeros(self.agreement.cohort_size, dtype=np.int16)
        k, lab = np.concatenate(keys), np.concatenate(labels)
        return lab[np.lexsort((lab, k))]

    @property
    def chol(self):
        """Cholesky factor of the parameters' normal-copula correlation."""
        return copula_cholesky(list(self.parameters), dict(self.rank_correlation))

    def cash_points(self) -> tuple[tuple[str, dt.date], ...]:
        """Return the dates of the cash view, in order, with their labels.

        Each budget (calendar) year's end within the horizon and each
        repayment date; labels ``"budget year 2026"`` / ``"repayment 2028-06-30"``.

        Examples
        --------
        >>> import simkit
        >>> simkit.load_scenario().cash_points()[0]
        ('budget year 2025', datetime.date(2025, 12, 31))
        """
        end = self.agreement.start + dt.timedelta(days=round(self.budget.horizon_years * 365.25))
        pts = [(f"budget year {y}", dt.date(y, 12, 31)) for y in range(self.agreement.start.year, end.year + 1)
               if dt.date(y, 12, 31) < end]
        pts += [(f"repayment {d.isoformat()}", d) for d, _ in self.terms.schedule]
        return tuple(sorted(pts, key=lambda x: (x[1], x[0])))

    def with_updates(self, updates: Mapping[str, Any], label: str = "(update)") -> ModelScenario:
        """Return a new scenario with ``updates`` (a TOML-like nested dict) layered on top.

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario().with_updates({"contract": {"grant": 1_000_000}})
        >>> sc.contract.grant, sc.sources[-1]
        (1000000.0, '(update)')
        """
        doc, prov = merge_documents([(" + ".join(self.sources), self.document), (label, updates)])
        return build_model_scenario(doc, sources=(*self.sources, label), provenance=prov)

    def _repr_html_(self) -> str:  # pragma: no cover - cosmetic
        rows = "".join(
            f"<tr><td>{p.name}</td><td>{p.dist.describe()}</td><td>{p.source}</td></tr>"
            for p in self.parameters.values()
        )
        return (f"<b>{self.name}</b> — {self.agreement.cohort_size} persons, "
                f"{len(self.model.states)} states, {len(self.model.transitions)} transitions"
                f"<table><tr><th>parameter</th><th>distribution</th><th>source</th></tr>{rows}</table>")


# --------------------------------------------------------------------------
# schema
# --------------------------------------------------------------------------


def _ref(value: Any, path: str, issues: list[S.Issue]) -> Any:
    """Return a number, or the name of a parameter (checked once all parameters are known)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        issues.append(S.Issue(path, value, "a number or the name of a parameter"))
        return S.MISSING
    if isinstance(value, float) and not math.isfinite(value):
        issues.append(S.Issue(path, value, "a finite number or the name of a parameter"))
        return S.MISSING
    return float(value) if not isinstance(value, str) else value


REF = S.OneOf(_ref)


def _hint(name: str, options) -> str:
    """Return the one "did you mean" of the version-2 schema."""
    return did_you_mean(str(name), list(options))


def _known(kind: Any, registry: Mapping[str, Any], path: str, issues: list[S.Issue]) -> bool:
    """Whether ``kind`` is registered; if not, one issue listing the registry with a suggestion."""
    if kind in registry:
        return True
    issues.append(S.Issue(path, kind, f"one of {', '.join(map(repr, registry))}{_hint(kind, registry)}"))
    return False


def _ref_list(value, path, issues):
    if not isinstance(value, list) or not value:
        issues.append(S.Issue(path, value, "a non-empty list of numbers or parameter names"))
        return S.MISSING
    out = [_ref(v, S.join(path, i), issues) for i, v in enumerate(value)]
    return S.MISSING if any(o is S.MISSING for o in out) else out


def _hazard_node(value: Any, path: str, issues: list[S.Issue]) -> Any:
    if not isinstance(value, Mapping):
        issues.append(S.Issue(path, value, "a table with 'dist' (one of "
                              f"{', '.join(HAZARD_KINDS)}) and its arguments"))
        return S.MISSING
    kind = value.get("dist")
    if not _known(kind, HAZARD_KINDS, S.join(path, "dist"), issues):
        return S.MISSING
    hk = HAZARD_KINDS[str(kind)]
    fields: dict[str, S.Node] = {"dist": S.Str(), "clock": S.Str(choices=("in_state", "since_referral"))}
    fields.update({a: REF for a in hk.args})
    fields.update({a: S.OneOf(_ref_list) for a in hk.list_args})
    out = S.Table(fields).check(value, path, issues)
    if out is S.MISSING:
        return out
    given = [a for a in hk.args if a in out]
    if kind == "exponential":
        if len(given) != 1:
            issues.append(S.Issue(path, dict(value), "exactly one of 'mean_weeks' or 'rate'"))
    else:
        for a in hk.args:
            if a not in out:
                issues.append(S.Issue(S.join(path, a), None, f"a number or parameter name (needed by dist = {kind!r})"))
        for a in hk.list_args:
            if a not in out:
                issues.append(S.Issue(S.join(path, a), None, f"a list (needed by dist = {kind!r})"))
    if hk.check is not None and all(a in out for a in hk.list_args):
        msg = hk.check(out)
        if msg:
            issues.append(S.Issue(path, {k: v for k, v in out.items() if k != "dist"}, msg))
    return out


def _dated_share() -> S.Table:
    return S.Table({"date": S.Date(required=True),
                    "share": S.Num(required=True, min=0.0, max=1.0, min_exclusive=True)})


_TRANSITION_REF = S.Table({"from": S.Str(required=True), "to": S.Str(required=True)})


def _indicator_node(value, path, issues):
    if not isinstance(value, Mapping):
        issues.append(S.Issue(path, value, "a table with 'id' and 'kind'"))
        return S.MISSING
    kind = value.get("kind")
    if not _known(kind, INDICATOR_KINDS, S.join(path, "kind"), issues):
        return S.MISSING
    fields = {"id": S.Str(required=True), "kind": S.Str(), "label": S.Str(default=""),
              "source": S.Str(default=""), **INDICATOR_KINDS[kind].fields}
    return S.Table(fields).check(value, path, issues)


SCHEMA = S.Table({
    "scenario": S.Table({"name": S.Str(required=True), "currency": S.Str(default="DKK"),
                         "description": S.Str(default=""),
                         "version": S.Num(integer=True, min=2, max=2, required=True)}, required=True),
    "agreement": S.Table({
        "municipality": S.Str(required=True),
        "fund": S.Str(default="Den Sociale Investeringsfond (DSI)"),
        "signed": S.Date(), "start": S.Date(required=True), "end": S.Date(required=True),
        "cohort_size": S.Num(required=True, integer=True, min=1, max=100_000),
        "intake": S.ListOf(S.Table({"from": S.Date(required=True), "to": S.Date(required=True),
                                    "count": S.Num(required=True, integer=True, min=0),
                                    "source": S.Str()}), required=True, min_len=1),
        "source": S.Str(),
    }, required=True),
    "states": S.MapOf(S.Table({
        "kind": S.Str(required=True),
        "label": S.Str(default=""),
        "staircase": S.OneOf(lambda v, p, i: v if isinstance(v, bool) else S.refuse(i, p, v, "true or false")),
        "self_support": S.OneOf(lambda v, p, i: v if isinstance(v, bool) else S.refuse(i, p, v, "true or false")),
        "absorbing": S.OneOf(lambda v, p, i: v if isinstance(v, bool) else S.refuse(i, p, v, "true or false")),
        "weekly_hours": S.Num(min=0.0, max=80.0),
        "planned_weeks": S.Num(min=0.0),
        "sojourn": S.OneOf(_hazard_node),
        "source": S.Str(default=""),
        "cost": S.ListOf(S.Table({
            "payer": S.Str(required=True, choices=PAYERS),
            "from": S.Date(required=True),
            "monthly": S.Num(min=0.0), "weekly": S.Num(min=0.0),
            "subgroups": S.ListOf(S.Str()),
            "factor": S.Str(),
            "item": S.Str(),
            "staircase": S.OneOf(_bool_value),
            "source": S.Str(required=True),
        }), default=list),
    }), required=True),
    "cost_changes": S.ListOf(S.Table({
        "item": S.Str(required=True),
        "states": S.ListOf(S.Str(), min_len=1),
        "from": S.Date(required=True),
        "multiply": S.Num(required=True, min=0.0),
        "source": S.Str(required=True),
    }), default=list),
    "calibration": S.ListOf(S.Table({
        "id": S.Str(required=True),
        "arm": S.Str(choices=ARMS, default="bau"),
        "states": S.ListOf(S.Str(), required=True, min_len=1),
        "at_months": S.Num(min=0.0, min_exclusive=True),
        "within_months": S.Num(min=0.0, min_exclusive=True),
        "target": S.Num(required=True, min=0.0),
        "tolerance": S.Num(required=True, min=0.0, min_exclusive=True),
        "source": S.Str(required=True),
    }), default=list),
    "arms": S.Table({a: S.Table({"initial": S.Str(required=True), "label": S.Str(default=a)},
                                required=True) for a in ARMS}, required=True),
    "transitions": S.ListOf(S.Table({
        "from": S.OneOf(lambda v, p, i: v if isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v))
                        else S.refuse(i, p, v, "a state name, a list of state names, or '*'")),
        "to": S.Str(required=True),
        "arms": S.ListOf(S.Str(choices=ARMS), min_len=1, default=lambda: list(ARMS)),
        "subgroups": S.ListOf(S.Str(), min_len=1),
        "hazard": S.OneOf(_hazard_node),
        "probability": REF,
        "event": S.Str(),
        "source": S.Str(default=""),
    }), required=True, min_len=1),
    "effects": S.ListOf(S.Table({
        "transitions": S.ListOf(_TRANSITION_REF, required=True, min_len=1),
        "arms": S.ListOf(S.Str(choices=ARMS), min_len=1, default=lambda: ["programme"]),
        "subgroups": S.ListOf(S.Str(), min_len=1),
        "hazard_ratio": REF,
        "decay": S.ListOf(S.Table({"after_weeks": S.Num(required=True, min=0.0, min_exclusive=True),
                                   "hazard_ratio": REF}), default=list),
        "source": S.Str(required=True),
    }), default=list),
    "changes": S.ListOf(S.Table({
        "transitions": S.ListOf(_TRANSITION_REF, required=True, min_len=1),
        "arms": S.ListOf(S.Str(choices=ARMS), min_len=1, default=lambda: list(ARMS)),
        "from": S.Date(required=True),
        "by": S.Str(choices=("calendar", "referral"), default="calendar"),
        "hazard_ratio": REF,
        "source": S.Str(required=True),
    }), default=list),
    "subgroups": S.ListOf(S.Table({
        "id": S.Str(required=True), "label": S.Str(default=""),
        "count": S.Num(integer=True, min=0), "share": S.Num(min=0.0, max=1.0),
        "initial": S.MapOf(S.Str(), keys=ARMS),
        "prior_benefit_weeks": S.Num(min=0.0),
        "hazard_ratios": S.ListOf(S.Table({"from": S.Str(required=True), "to": S.Str(required=True),
                                           "hazard_ratio": REF}), default=list),
        "source": S.Str(required=True),
    }), default=list),
    "parameters": S.MapOf(S.OneOf(_param_node), default=dict),
    "correlation": S.ListOf(S.Table({"a": S.Str(required=True), "b": S.Str(required=True),
                                     "rank": S.Num(required=True, min=-1.0, max=1.0), "source": S.Str()}),
                            default=list),
    "indicators": S.ListOf(S.OneOf(_indicator_node), required=True, min_len=1),
    "completion_indicator": S.Str(),
    "contract": S.Table({
        "grant": S.Num(required=True, min=0.0, min_exclusive=True),
        "premium": S.Num(min=0.0, max=1.0, default=0.0),
        "cap": S.Num(min=0.0), "max_loss": S.Num(min=0.0, max=1.0), "max_annual_return": S.Num(min=0.0),
        "outcome_window_end": S.Date(), "measurement_date": S.Date(),
        "disbursement": S.ListOf(_dated_share(), min_len=1),
        "schedule": S.ListOf(_dated_share(), required=True, min_len=1),
        "targets": S.ListOf(S.Table({
            "id": S.Str(required=True), "indicator": S.Str(required=True), "label": S.Str(),
            "threshold": S.Num(required=True, min=0.0, max=1.0),
            "weight": S.Num(required=True, min=0.0, max=1.0),
            "rule": S.Str(default="threshold"),   # a PAYMENT_RULES name, checked by the Target
            "denominator": S.Str(default="referred", choices=("referred", "completed")),
            "floor": S.Num(min=0.0, max=1.0), "steps": S.ListOf(S.ListOf(S.Num(min=0.0, max=1.0))),
            "source": S.Str(),
        }), default=list),
        "rate_card": S.ListOf(S.Table({
            "id": S.Str(required=True), "indicator": S.Str(required=True), "label": S.Str(),
            "price": S.Num(required=True, min=0.0), "max_count": S.Num(integer=True, min=0),
            "cap": S.Num(min=0.0), "source": S.Str(),
        }), default=list),
        "source": S.Str(),
    }, required=True),
    "budget": S.Table({
        "discount_rate": S.Num(min=0.0, max=1.0, required=True),
        "discount_rate_long": S.Num(min=0.0, max=1.0),
        "horizon_years": S.Num(integer=True, min=1, max=70, required=True),
        "prior_benefit_weeks": S.Num(min=0.0, default=0.0),
        "restart_self_support_weeks": S.Num(min=0.0, min_exclusive=True, default=52.0),
        "restart_window_weeks": S.Num(min=0.0, min_exclusive=True, default=156.0),
        "reimbursement": S.ListOf(S.Table({"from_week": S.Num(integer=True, min=1, required=True),
                                           "rate": S.Num(min=0.0, max=1.0, required=True),
                                           "source": S.Str()}), default=list),
        "per_referral": S.ListOf(S.Table({"name": S.Str(required=True),
                                          "arms": S.ListOf(S.Str(choices=ARMS), min_len=1,
                                                           default=lambda: ["programme"]),
                                          "payer": S.Str(choices=PAYERS, default="municipality"),
                                          "amount": REF, "source": S.Str(required=True)}), default=list),
        "other_costs": S.ListOf(S.Table({"name": S.Str(required=True), "date": S.Date(required=True),
                                         "amount": S.Num(required=True, min=0.0),
                                         "payer": S.Str(choices=PAYERS, default="municipality"),
                                         "source": S.Str(required=True)}), default=list),
        "avoided_cost_per_person": REF,
        "ceiling": S.ListOf(S.Table({
            "name": S.Str(required=True),
            "from": S.Date(required=True),
            "per_person_year": REF,
            "states": S.ListOf(S.Str(), required=True, min_len=1),
            "cost_items": S.ListOf(S.Str(), default=list),
            "per_referral": S.ListOf(S.Str(), default=list),
            "per_referral_share": REF,
            "source": S.Str(required=True),
        }), default=list),
        "sources": S.Str(),
    }, required=True),
    # how one-row-per-person observed data map onto states (simkit.model.observed.one_row_to_spells)
    "observed": S.Table({"outcomes": S.MapOf(S.Str(), keys=("education", "job")), "course": S.Str(),
                         "pension": S.Str(), "source": S.Str()}),
})


# --------------------------------------------------------------------------
# build
# --------------------------------------------------------------------------


def build_model_scenario(doc: Mapping[str, Any], *, sources: tuple[str, ...] = ("(in memory)",),
                         provenance: Mapping[str, str] | None = None) -> ModelScenario:
    """Validate a merged version-2 scenario document and build the frozen :class:`ModelScenario`.

    Raises
    ------
    ScenarioError
        Listing every problem found (file, key path, value, what was expected).

    Examples
    --------
    >>> import simkit
    >>> sc = simkit.load_scenario("sundinvest_2021")
    >>> sc.version, len(sc.model.states) > 3
    (2, True)
    """
    norm, issues = S.check(SCHEMA, doc)
    sc = None
    if not issues:
        b = _Builder(norm, issues)
        sc = b.build(doc, sources)
    if issues:
        raise ScenarioError(
            [Problem(_where(i.where, provenance, sources), i.value, i.expected) for i in issues],
            header=f"scenario {' + '.join(sources)}: {len(issues)} problem(s)",
        )
    assert sc is not None  # built whenever there are no issues
    return sc




class _Builder:
    def __init__(self, n: dict, issues: list[S.Issue]):
        self.n = n
        self.issues = issues

    def add(self, path, value, expected):
        self.issues.append(S.Issue(path, value, expected))

    # -- references ----------------------------------------------------------
    def ref(self, v, path, bounds=(0.0, math.inf)):
        if isinstance(v, str):
            if v not in self.params:
                self.add(path, v, f"a number or the name of a parameter{_hint(v, self.params)}"
                         f" (parameters: {', '.join(sorted(self.params)) or 'none'})")
            else:
                self.used.add(v)
                lo, hi = bounds
                d = self.params[v].dist
                q = d.ppf(np.array([1e-9, 1 - 1e-9]))
                if q.min() < lo - 1e-12 or q.max() > hi + 1e-12:
                    self.add(path, v, f"a parameter whose values lie in [{lo:g}, {hi:g}] "
                             f"(parameters.{v} is {d.describe()})")
            return v
        lo, hi = bounds
        if not lo <= v <= hi:
            self.add(path, v, f"a number in [{lo:g}, {hi:g}]")
        return v

    def hazard_ratio(self, table, path):
        """Return the table's ``hazard_ratio`` (a number or parameter name, checked), or None after an issue."""
        if "hazard_ratio" not in table:
            self.add(f"{path}.hazard_ratio", None, "a number or parameter name")
            return None
        return self.ref(table["hazard_ratio"], f"{path}.hazard_ratio")

    def state_index(self, name, path):
        if name not in self.state_idx:
            self.add(path, name, f"a declared state{_hint(name, self.state_idx)} (states: {', '.join(self.state_idx)})")
            return None
        return self.state_idx[name]

    # -- parts ---------------------------------------------------------------
    def build(self, raw, sources):
        n = self.n
        ag = n["agreement"]
        if ag["end"] <= ag["start"]:
            self.add("agreement.end", str(ag["end"]), f"a date after agreement.start ({ag['start']})")
        intake = []
        for i, w in enumerate(ag["intake"]):
            if w["to"] < w["from"]:
                self.add(f"agreement.intake[{i}].to", str(w["to"]), f"a date on or after 'from' ({w['from']})")
            if w["from"] < ag["start"] or w["to"] > ag["end"]:
                self.add(f"agreement.intake[{i}]", f"{w['from']}..{w['to']}",
                         f"a window inside the agreement period {ag['start']}..{ag['end']}")
            intake.append(IntakeWindow(w["from"], w["to"], w["count"]))
        total = sum(w.count for w in intake)
        if total != ag["cohort_size"]:
            self.add("agreement.intake", f"counts summing to {total}",
                     f"counts summing to agreement.cohort_size = {ag['cohort_size']}")
        agreement = Agreement(ag["municipality"], ag["fund"], ag.get("signed"), ag["start"], ag["end"],
                              ag["cohort_size"], tuple(intake))
        self.start = ag["start"]

        # parameters (free names)
        self.params: dict[str, Parameter] = {}
        self.used: set[str] = set()
        for name, d in n["parameters"].items():
            dist = _make_dist(d, f"parameters.{name}", self.issues)
            if dist is not None:
                self.params[name] = Parameter(name, dist, d.get("source", ""), d.get("sens_low"), d.get("sens_high"))
        corr = {}
        for i, c in enumerate(n["correlation"]):
            for k in ("a", "b"):
                if c[k] not in self.params:
                    self.add(f"correlation[{i}].{k}", c[k], f"a parameter name{_hint(c[k], self.params)}")
            if c["a"] == c["b"]:
                self.add(f"correlation[{i}].b", c["b"], "a parameter other than 'a'")
            corr[(c["a"], c["b"])] = c["rank"]
        if corr and not self.issues:
            try:
                copula_cholesky(list(self.params), corr)
            except ValueError as exc:
                self.add("correlation", [[*list(k), v] for k, v in corr.items()], str(exc))

        subgroup_ids = [g["id"] for g in n["subgroups"]]
        self.subgroup_ids = subgroup_ids
        states = self.states(n["states"], subgroup_ids)
        transitions, sojourns = self.transitions(n["transitions"], states, subgroup_ids)
        self.transitions_built = transitions
        effects = self.effects(n["effects"], transitions, subgroup_ids)
        changes = self.changes(n["changes"], transitions)
        subgroups = self.subgroups(n["subgroups"], ag["cohort_size"], states, transitions)
        self.check_structure(states, transitions, sojourns, subgroups)
        indicators = self.indicators(n["indicators"], states)
        comp = n.get("completion_indicator")
        ind_ids = [i.id for i in indicators]
        if comp is not None and comp not in ind_ids:
            self.add("completion_indicator", comp, f"an indicator id{_hint(comp, ind_ids)}")
        if comp is None:
            comp = next((i.id for i in indicators if i.kind == "completion"), None)
        model = Model(tuple(states), tuple(transitions), tuple(effects), tuple(changes), tuple(subgroups),
                      tuple(indicators), FrozenMap(sojourns), comp, self.cost_changes(n["cost_changes"], states))
        budget = self.budget(n["budget"])
        calibration = self.calibration(n["calibration"])
        terms = self.contract(n["contract"], agreement, budget, indicators, comp)
        for name in self.params:
            if name not in self.used:
                self.add(f"parameters.{name}", name, "a parameter that the model, budget or an indicator "
                         "refers to (this one is declared but never used)")
        if self.issues:
            return None
        sc = n["scenario"]
        return ModelScenario(
            name=sc["name"], currency=sc["currency"], description=sc["description"], agreement=agreement,
            model=model, parameters=FrozenMap(self.params), rank_correlation=FrozenMap(corr),
            budget=budget, terms=terms, sources=tuple(sources), document=FrozenMap(dict(raw)),
            sha256=canonical_hash(raw), calibration=calibration,
        )

    def cost_changes(self, lst, states):
        out = []
        items = {c.item for s in states for c in s.costs if c.item}
        for i, c in enumerate(lst):
            path = f"cost_changes[{i}]"
            if c["item"] not in items:
                self.add(f"{path}.item", c["item"], f"a cost-line item declared in states.*.cost[].item"
                         f"{_hint(c['item'], items)} (items: {', '.join(sorted(items)) or 'none'})")
            idx = None
            if c.get("states"):
                idx = tuple(k for j, nm in enumerate(c["states"])
                            if (k := self.state_index(nm, f"{path}.states[{j}]")) is not None)
            out.append(CostChange(c["item"], idx, c["from"], float(c["multiply"]), c["source"]))
        return tuple(out)

    def calibration(self, lst):
        out, ids = [], []
        for i, c in enumerate(lst):
            path = f"calibration[{i}]"
            if c["id"] in ids:
                self.add(f"{path}.id", c["id"], "an id not used by another calibration target")
            ids.append(c["id"])
            for j, nm in enumerate(c["states"]):
                self.state_index(nm, f"{path}.states[{j}]")
            if ("at_months" in c) == ("within_months" in c):
                self.add(path, {k: v for k, v in c.items() if k in ("at_months", "within_months")},
                         "exactly one of 'at_months' (a share) or 'within_months' (weeks in the states)")
                continue
            if "at_months" in c and c["target"] > 1:
                self.add(f"{path}.target", c["target"], "a share in [0, 1] (with at_months)")
            out.append(CalibrationTarget(c["id"], c["arm"], tuple(c["states"]), c.get("at_months"),
                                         c.get("within_months"), float(c["target"]), float(c["tolerance"]),
                                         c["source"]))
        return tuple(out)

    def states(self, d, subgroup_ids):
        self.state_idx = {name: i for i, name in enumerate(d)}
        out = []
        for i, (name, s) in enumerate(d.items()):
            path = f"states.{name}"
            if not _known(s["kind"], STATE_KINDS, f"{path}.kind", self.issues):
                continue
            k = STATE_KINDS[s["kind"]]
            costs = []
            for j, c in enumerate(s["cost"]):
                cp = f"{path}.cost[{j}]"
                if ("monthly" in c) == ("weekly" in c):
                    self.add(cp, {kk: vv for kk, vv in c.items() if kk != "source"}, "exactly one of 'monthly' or 'weekly'")
                    continue
                weekly = c["weekly"] if "weekly" in c else c["monthly"] * 12.0 / WEEKS_PER_YEAR
                for g in c.get("subgroups") or ():
                    if g not in subgroup_ids:
                        self.add(f"{cp}.subgroups", g, f"a declared subgroup id{_hint(g, subgroup_ids)}")
                if "factor" in c:
                    self.ref(c["factor"], f"{cp}.factor")
                costs.append(CostLine(c["payer"], c["from"], float(weekly),
                                      tuple(c["subgroups"]) if c.get("subgroups") else None,
                                      c.get("factor"), c["source"], c.get("item"), c.get("staircase")))
            out.append(State(
                id=name, index=i, kind=s["kind"], label=s["label"] or name.replace("_", " "),
                staircase=s.get("staircase", k.staircase), self_support=s.get("self_support", k.self_support),
                absorbing=s.get("absorbing", k.absorbing), excluded=k.excluded, costs=tuple(costs),
                weekly_hours=s.get("weekly_hours"), planned_weeks=s.get("planned_weeks"), source=s["source"],
            ))
            if "sojourn" in s:
                self._sojourn_raw = getattr(self, "_sojourn_raw", {})
                self._sojourn_raw[i] = (s["sojourn"], f"{path}.sojourn")
        return out

    def hazard_args(self, h, path):
        hk = HAZARD_KINDS[h["dist"]]
        args = {}
        for a in hk.args:
            if a in h:
                bounds = (0.0, 1.0) if a == "probability" else (0.0, math.inf)
                args[a] = self.ref(h[a], f"{path}.{a}", bounds)
                if a in ("mean_weeks", "scale_weeks", "shape") and not isinstance(h[a], str) and h[a] <= 0:
                    self.add(f"{path}.{a}", h[a], "a number > 0")
        for a in hk.list_args:
            if a in h:
                args[a] = [v if a == "breaks_weeks" else self.ref(v, f"{path}.{a}[{j}]")
                           for j, v in enumerate(h[a])]
        return args

    def transitions(self, lst, states, subgroup_ids):
        out, sojourns = [], {}
        raw_soj = getattr(self, "_sojourn_raw", {})
        for i, sp in raw_soj.items():
            h, path = sp
            sojourns[i] = (h["dist"], FrozenMap(self.hazard_args(h, path)))
        for i, t in enumerate(lst):
            path = f"transitions[{i}]"
            src = t["from"]
            if src == "*":
                froms = [s.index for s in states if not s.absorbing and s.id != t["to"]]
            else:
                froms = []
                for j, name in enumerate([src] if isinstance(src, str) else src):
                    k = self.state_index(name, f"{path}.from" if isinstance(src, str) else f"{path}.from[{j}]")
                    if k is not None:
                        froms.append(k)
            dst = self.state_index(t["to"], f"{path}.to")
            for g in t.get("subgroups") or ():
                if g not in subgroup_ids:
                    self.add(f"{path}.subgroups", g, f"a declared subgroup id{_hint(g, subgroup_ids)}")
            if dst is None:
                continue
            has_h, has_p = "hazard" in t, "probability" in t
            for f in froms:
                st = states[f] if f < len(states) else None
                if st is not None and st.absorbing:
                    self.add(f"{path}.from", st.id, f"a non-absorbing state ({st.id!r} is absorbing: kind "
                             f"{st.kind!r}; nothing leaves it)")
                    continue
                split = f in sojourns
                if split and not has_p:
                    self.add(f"{path}.probability", None, f"a destination probability: state {states[f].id!r} "
                             "declares a sojourn, so its transitions give probabilities, not hazards")
                    continue
                if not split and not has_h:
                    self.add(f"{path}.hazard", None, "a table with 'dist' and its arguments (or give the "
                             f"state {states[f].id!r} a 'sojourn' and this transition a 'probability')")
                    continue
                if split and has_h:
                    self.add(f"{path}.hazard", dict(t["hazard"]), f"no hazard: state {states[f].id!r} declares "
                             "a sojourn, so its transitions give a 'probability'")
                    continue
                if has_p and not split:
                    self.add(f"{path}.probability", t["probability"], f"no probability unless state "
                             f"{states[f].id!r} declares a 'sojourn'")
                    continue
                if split:
                    dist, args, clock = "split", {}, "in_state"
                    prob = (self.ref(t["probability"], f"{path}.probability", (0.0, 1.0))
                            if t["probability"] != "rest" else None)
                else:
                    dist, clock = t["hazard"]["dist"], t["hazard"].get("clock", "in_state")
                    args = self.hazard_args(t["hazard"], f"{path}.hazard")
                    prob = None
                out.append(Transition(len(out), f, dst, tuple(t["arms"]),
                                      tuple(t["subgroups"]) if t.get("subgroups") else None,
                                      dist, FrozenMap(args), clock, t.get("event"), prob, path))
        return out, sojourns

    def find_transitions(self, refs, path, transitions):
        idx = []
        for j, r in enumerate(refs):
            a = self.state_index(r["from"], f"{path}[{j}].from")
            b = self.state_index(r["to"], f"{path}[{j}].to")
            if a is None or b is None:
                continue
            hit = [t.index for t in transitions if t.source_state == a and t.target_state == b]
            if not hit:
                self.add(f"{path}[{j}]", f"{r['from']} -> {r['to']}", "a declared transition")
            elif any(transitions[h].dist in ("split", "fixed") for h in hit):
                self.add(f"{path}[{j}]", f"{r['from']} -> {r['to']}",
                         "a transition with a hazard (a hazard ratio cannot act on a fixed sojourn or a "
                         "destination probability)")
            idx.extend(hit)
        return tuple(idx)

    def effects(self, lst, transitions, subgroup_ids):
        out = []
        for i, e in enumerate(lst):
            path = f"effects[{i}]"
            tr = self.find_transitions(e["transitions"], f"{path}.transitions", transitions)
            hr = self.hazard_ratio(e, path)
            if hr is None:
                continue
            breaks, values = [0.0], [hr]
            for j, d in enumerate(e["decay"]):
                if d["after_weeks"] <= breaks[-1]:
                    self.add(f"{path}.decay[{j}].after_weeks", d["after_weeks"], f"weeks after {breaks[-1]:g} (increasing)")
                breaks.append(d["after_weeks"])
                v = self.hazard_ratio(d, f"{path}.decay[{j}]")
                values.append(1.0 if v is None else v)
            for g in e.get("subgroups") or ():
                if g not in subgroup_ids:
                    self.add(f"{path}.subgroups", g, f"a declared subgroup id{_hint(g, subgroup_ids)}")
            out.append(Effect(tr, tuple(e["arms"]), tuple(e["subgroups"]) if e.get("subgroups") else None,
                              StepFunction("referral", tuple(breaks), tuple(values)), e["source"]))
        return out

    def changes(self, lst, transitions):
        out = []
        for i, c in enumerate(lst):
            path = f"changes[{i}]"
            tr = self.find_transitions(c["transitions"], f"{path}.transitions", transitions)
            hr = self.hazard_ratio(c, path)
            if hr is None:
                continue
            out.append(Change(tr, tuple(c["arms"]), c["from"], c["by"], hr, c["source"]))
        return out

    def subgroups(self, lst, cohort_size, states, transitions):
        if not lst:
            init = {a: self.state_index(self.n["arms"][a]["initial"], f"arms.{a}.initial") for a in ARMS}
            return [Subgroup("all", 0, "everyone", cohort_size, FrozenMap(init),
                             float(self.n["budget"]["prior_benefit_weeks"]), (), "")]
        ids = [g["id"] for g in lst]
        dup = sorted({x for x in ids if ids.count(x) > 1})
        if dup:
            self.add("subgroups", dup, "unique subgroup ids")
        counts = []
        uses_share = [("share" in g) for g in lst]
        if all(uses_share):
            shares = np.array([g["share"] for g in lst])
            if abs(shares.sum() - 1.0) > 1e-6:
                self.add("subgroups", [g["share"] for g in lst], "shares summing to 1")
            raw = shares * cohort_size
            base = np.floor(raw).astype(int)
            rest = cohort_size - base.sum()
            order = np.argsort(-(raw - base), kind="stable")[:max(rest, 0)]
            base[order] += 1  # largest remainder
            counts = base.tolist()
        elif not any(uses_share) and all("count" in g for g in lst):
            counts = [g["count"] for g in lst]
            if sum(counts) != cohort_size:
                self.add("subgroups", f"counts summing to {sum(counts)}",
                         f"counts summing to agreement.cohort_size = {cohort_size}")
        else:
            self.add("subgroups", [g.get("id") for g in lst], "every subgroup with a 'count', or every one with a 'share'")
            counts = [0] * len(lst)
        out = []
        for i, g in enumerate(lst):
            path = f"subgroups[{i}]"
            init = {}
            for a in ARMS:
                name = (g.get("initial") or {}).get(a, self.n["arms"][a]["initial"])
                init[a] = self.state_index(name, f"{path}.initial.{a}" if a in (g.get("initial") or {}) else f"arms.{a}.initial")
            hrs = []
            for j, h in enumerate(g["hazard_ratios"]):
                tr = self.find_transitions([h], f"{path}.hazard_ratios", transitions)
                r = self.hazard_ratio(h, f"{path}.hazard_ratios[{j}]")
                if r is None:
                    continue
                hrs.extend((t, r) for t in tr)
            out.append(Subgroup(g["id"], i, g["label"] or g["id"], int(counts[i]), FrozenMap(init),
                                float(g.get("prior_benefit_weeks", self.n["budget"]["prior_benefit_weeks"])),
                                tuple(hrs), g["source"]))
        return out

    def check_structure(self, states, transitions, sojourns, subgroups):
        outgoing: dict[int, list[Transition]] = {}
        for t in transitions:
            outgoing.setdefault(t.source_state, []).append(t)
        for i, (dist, _args) in sojourns.items():
            ts = outgoing.get(i, [])
            probs = [t.probability for t in ts]
            if sum(p is None for p in probs) > 1:
                self.add(f"states.{states[i].id}", "several transitions with probability = 'rest'",
                         "at most one transition per state taking the rest")
            if all(isinstance(p, float) for p in probs) and ts:
                for arm in ARMS:
                    tot = sum(p for t, p in zip(ts, probs, strict=True) if arm in t.arms)
                    if abs(tot - 1.0) > 1e-6:
                        self.add(f"states.{states[i].id}", f"probabilities summing to {tot:g} ({arm})",
                                 f"destination probabilities out of {states[i].id!r} summing to 1 in each arm")
            if not ts:
                self.add(f"states.{states[i].id}.sojourn", dist, "transitions out of the state (it declares a sojourn)")
        # cycles of zero sojourn: fixed 0-week transitions forming a loop
        zero = {}
        for t in transitions:
            if t.dist == "fixed" and not isinstance(t.args.get("weeks"), str) and t.args.get("weeks", 1) == 0:
                zero.setdefault(t.source_state, set()).add(t.target_state)
        for s in list(zero):
            seen, stack = set(), [s]
            while stack:
                x = stack.pop()
                for y in zero.get(x, ()):
                    if y == s:
                        self.add(f"states.{states[s].id}", "a cycle of transitions with 0 weeks",
                                 "a positive sojourn somewhere on every cycle")
                        stack = []
                        break
                    if y not in seen:
                        seen.add(y)
                        stack.append(y)
        # every non-absorbing state reachable should have somewhere to go, or be explicitly terminal
        for g in subgroups:
            for a, s in g.initial.items():
                if s is not None and states[s].absorbing:
                    self.add(f"arms.{a}.initial", states[s].id, "a non-absorbing initial state")

    def indicators(self, lst, states):
        out, ids = [], []
        for i, d in enumerate(lst):
            path = f"indicators[{i}]"
            if d["id"] in ids:
                self.add(f"{path}.id", d["id"], "an id not used by another indicator")
            ids.append(d["id"])
            kind = INDICATOR_KINDS[d["kind"]]
            settings = {k: v for k, v in d.items() if k not in ("id", "kind", "label", "source")}
            settings = kind.prepare(settings, path, self, states)
            out.append(IndicatorSpec(d["id"], d["kind"], d["label"] or d["id"].replace("_", " "),
                                     FrozenMap(settings), d["source"]))
        return out

    def budget(self, b):
        reimb = tuple((r["from_week"], r["rate"]) for r in b["reimbursement"])
        if reimb and (reimb[0][0] != 1 or any(y[0] <= x[0] for x, y in itertools.pairwise(reimb))):
            self.add("budget.reimbursement", [r[0] for r in reimb], "steps with from_week starting at 1 and strictly increasing")
        per_ref = tuple(PerReferralCost(c["name"], tuple(c["arms"]), c["payer"],
                                        self.ref(c["amount"], f"budget.per_referral[{i}].amount")
                                        if "amount" in c else self._missing(f"budget.per_referral[{i}].amount"),
                                        c["source"]) for i, c in enumerate(b["per_referral"]))
        other = tuple(DatedCost(c["name"], c["date"], c["amount"], c["payer"], c["source"]) for c in b["other_costs"])
        avoided = self.ref(b["avoided_cost_per_person"], "budget.avoided_cost_per_person") \
            if "avoided_cost_per_person" in b else 0.0
        ceilings = []
        items = {c["item"] for s in self.n["states"].values() for c in s["cost"] if c.get("item")}
        names = [c.name for c in per_ref]
        for i, c in enumerate(b["ceiling"]):
            path = f"budget.ceiling[{i}]"
            rate = (self.ref(c["per_person_year"], f"{path}.per_person_year") if "per_person_year" in c
                    else self._missing(f"{path}.per_person_year"))
            share = (self.ref(c["per_referral_share"], f"{path}.per_referral_share", (0.0, 1.0))
                     if "per_referral_share" in c else 1.0)
            idx = tuple(k for j, nm in enumerate(c["states"])
                        if (k := self.state_index(nm, f"{path}.states[{j}]")) is not None)
            for j, it in enumerate(c["cost_items"]):
                if it not in items:
                    self.add(f"{path}.cost_items[{j}]", it, f"a cost-line item declared in states.*.cost[].item"
                             f"{_hint(it, items)} (items: {', '.join(sorted(items)) or 'none'})")
            for j, nm in enumerate(c["per_referral"]):
                if nm not in names:
                    self.add(f"{path}.per_referral[{j}]", nm, f"the name of a budget.per_referral item"
                             f"{_hint(nm, names)} (items: {', '.join(names) or 'none'})")
            ceilings.append(Ceiling(c["name"], c["from"], rate, idx, tuple(c["cost_items"]),
                                    tuple(c["per_referral"]), share, c["source"]))
        return ModelBudget(b["discount_rate"], b.get("discount_rate_long", b["discount_rate"]), b["horizon_years"],
                           reimb, b["restart_self_support_weeks"], b["restart_window_weeks"], per_ref, other, avoided,
                           tuple(ceilings))

    def _missing(self, path):
        self.add(path, None, "a number or parameter name")
        return 0.0

    def contract(self, co, agreement, budget, indicators, completion):
        ind_ids = [i.id for i in indicators]
        window_end = co.get("outcome_window_end", agreement.end)
        measurement = co.get("measurement_date", window_end + dt.timedelta(days=182))
        horizon_end = agreement.start + dt.timedelta(days=round(budget.horizon_years * 365.25))
        if window_end < agreement.start:
            self.add("contract.outcome_window_end", str(window_end), "a date after agreement.start")
        if measurement < window_end:
            self.add("contract.measurement_date", str(measurement),
                     f"a date on or after contract.outcome_window_end ({window_end})")
        if measurement >= horizon_end:
            self.add("contract.measurement_date", str(measurement), f"a date before the budget horizon ends ({horizon_end})")
        disb = tuple((x["date"], x["share"]) for x in co.get("disbursement", [{"date": agreement.start, "share": 1.0}]))
        sched = tuple((x["date"], x["share"]) for x in co["schedule"])
        for key, lst in (("disbursement", disb), ("schedule", sched)):
            tot = sum(s for _, s in lst)
            if abs(tot - 1.0) > 1e-9:
                self.add(f"contract.{key}", [s for _, s in lst], "shares summing to 1")
            for i, (d, _) in enumerate(lst):
                if d < agreement.start or d >= horizon_end:
                    self.add(f"contract.{key}[{i}].date", str(d),
                             f"a date inside the budget horizon {agreement.start}..{horizon_end}")
        for i, t in enumerate(co["targets"]):
            if t["indicator"] not in ind_ids:
                self.add(f"contract.targets[{i}].indicator", t["indicator"],
                         f"a declared indicator id{_hint(t['indicator'], ind_ids)} (indicators: {', '.join(ind_ids)})")
            if t["denominator"] == "completed" and completion is None:
                self.add(f"contract.targets[{i}].denominator", "completed",
                         "'referred' (no completion indicator is declared)")
            if t["indicator"] == completion and t["denominator"] == "completed":
                self.add(f"contract.targets[{i}].denominator", "completed",
                         "'referred' for a completion target (a completion rate among completers is always 100 %)")
        for i, x in enumerate(co["rate_card"]):
            if x["indicator"] not in ind_ids:
                self.add(f"contract.rate_card[{i}].indicator", x["indicator"],
                         f"a declared indicator id{_hint(x['indicator'], ind_ids)} (indicators: {', '.join(ind_ids)})")
        if not co["targets"] and not co["rate_card"]:
            self.add("contract.targets", [], "at least one payment target or rate-card line")
        ids = [t["id"] for t in co["targets"]] + [x["id"] for x in co["rate_card"]]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            self.add("contract.targets", dup, "unique ids across targets and rate-card lines")
        if self.issues:
            return None
        grant_day = disb[0][0]
        try:
            targets = tuple(Target(id=t["id"], indicator=t["indicator"], threshold=t["threshold"], weight=t["weight"],
                                   denominator=t["denominator"], rule=t["rule"], floor=t.get("floor"),
                                   steps=tuple(tuple(s) for s in t.get("steps", ())), where=f"contract.targets[{i}]")
                            for i, t in enumerate(co["targets"]))
            lines = tuple(RateCardLine(id=x["id"], indicator=x["indicator"], price=x["price"],
                                       max_count=x.get("max_count"), cap=x.get("cap"), where=f"contract.rate_card[{i}]")
                          for i, x in enumerate(co["rate_card"]))
            contract = Contract(grant=co["grant"], premium=co["premium"], targets=targets, rate_card=lines,
                                cap=co.get("cap"), max_loss=co.get("max_loss"),
                                max_annual_return=co.get("max_annual_return"),
                                schedule=tuple(((d - grant_day).days / 365.25, s) for d, s in sched),
                                currency=self.n["scenario"]["currency"], where="contract")
        except ScenarioError as exc:
            self.issues.extend(S.Issue(p.where, p.value, p.expected) for p in exc.problems)
            return None
        return ContractTerms(contract, window_end, measurement, disb, sched)
