"""Registry of indicator kinds: ONE definition for simulated and observed histories.

An indicator is declared in the scenario (``[[indicators]]``) with a kind
from :data:`INDICATOR_KINDS`; it is evaluated on a :class:`PersonSpells`
table — the spells of one arm, simulated (:func:`simkit.model.simulate.simulate_histories`)
or observed — as of a week. The result is a status per person:

=================  =====  ======================================================
``ACHIEVED``         1    counts towards the target, whatever happens later
``FAILED``           0    can no longer count
``PENDING``          2    not decided yet (censored), e.g. a spell still running
``NOT_REFERRED``    −1    not referred by the as-of date: outside the denominator
``EXCLUDED``        −2    moved away / died (an ``exclusion`` state) before achieving
=================  =====  ======================================================

At the contract's **final measurement date** (``final=True``) nothing is
pending: every case is decided by the rule as it stands on that date (a spell
counts if it has lasted the required weeks by then; a course still running
has not been completed). The simulation always evaluates at that date with
``final=True``; the evaluation of observed data does so too when the as-of
date is the final measurement date, so both give the same statuses for the
same histories.

Kinds
-----
``completion``
    Achieved when the person makes a transition whose ``event`` is in
    ``events`` (default ``["completed"]``) by the as-of date; with
    ``early_exit_to = [states]``, leaving a programme phase directly for one
    of those states counts as completing. Failed once the person is in a
    state outside the programme without having completed.
``spell``
    *Start of a state in ``states`` within the window lasting at least
    ``min_weeks``*: consecutive qualifying spells separated by at most
    ``gap_weeks`` are one run; the run must start between the referral (or
    ``window_from``) and ``window_to`` (default: the contract's outcome
    window end). ``duration = "planned"`` reads the required length as the
    state's ``planned_weeks`` (observed data: the planned end) instead of
    the actual length. ``hours_min`` applies to spells in ``hours_states``
    (default: states of kind ``job``) and, only if listed there, to education.
``in_state``
    In a state of ``states`` at each follow-up (``followup_months`` or
    ``followup_weeks`` after referral); ``count = "claims"`` counts one per
    follow-up achieved (rate cards paying per follow-up), ``"persons"`` one
    per person with at least one.
``score``
    An unpriced outcome such as a well-being score: the change per person is
    Normal(``mean_change``, ``sd``) in the programme arm and
    Normal(``mean_change_bau``, ``sd``) without it (one standard normal per
    person shared by both arms); achieved when the change is above
    ``threshold``.

A new kind is one :func:`register_indicator` call plus a test
(``tests/test_model_extension.py`` adds one from outside the package).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simkit.spec import _schema as S

__all__ = [
    "ACHIEVED",
    "EXCLUDED",
    "FAILED",
    "INDICATOR_KINDS",
    "NOT_REFERRED",
    "PENDING",
    "Context",
    "IndicatorCounts",
    "IndicatorKind",
    "PersonSpells",
    "Status",
    "count",
    "evaluate_indicators",
    "register_indicator",
]

ACHIEVED, FAILED, PENDING, NOT_REFERRED, EXCLUDED = 1, 0, 2, -1, -2
WEEKS_PER_MONTH = 365.25 / 7 / 12


@dataclass(frozen=True)
class PersonSpells:
    """Spells of one arm for ``cells`` persons (a block of draws × persons, or observed persons).

    ``cell`` indexes the person (0..cells−1); spells are sorted by (cell, start).
    ``hours`` (weekly hours per spell, NaN = unknown) and ``planned_end`` are
    optional: simulated spells take them from their state.
    """

    cells: int
    referral: np.ndarray      # (cells,) referral week; +inf = not referred
    cell: np.ndarray          # (spells,)
    state: np.ndarray
    start: np.ndarray
    end: np.ndarray           # exclusive; +inf = still running
    event_in: np.ndarray      # transition index that led into the spell's state (−1 none / unknown)
    hours: np.ndarray | None = None
    planned_end: np.ndarray | None = None
    exit_event: np.ndarray | None = None   # (spells,) event label of the transition out of the spell ("" none)
    prev_state: np.ndarray | None = None   # (spells,) state of the spell just before (−1 none / a gap)
    exit_code: np.ndarray | None = None    # (spells,) index of the transition out (−1 none): exit_event as a number


@dataclass(frozen=True)
class Context:
    """What an indicator needs besides the spells."""

    model: Any                          # simkit.model.spec.Model
    as_of: float                        # week
    final: bool
    window_end: float                   # week: the contract's outcome window end
    arm: str
    params: Mapping[str, np.ndarray] = field(default_factory=dict)   # per cell values of parameters
    score_z: np.ndarray | None = None   # (cells,) standard normals for score indicators
    observed_scores: Mapping[str, np.ndarray] | None = None          # indicator id -> (cells,) change
    completion: np.ndarray | None = None  # statuses of the completion indicator, if computed first


@dataclass(frozen=True)
class Status:
    """Per-person status of one indicator (and claims per person for claim counts)."""

    status: np.ndarray
    claims: np.ndarray | None = None


@dataclass(frozen=True)
class IndicatorKind:
    """One indicator kind: its settings schema, a check, and its evaluation."""

    name: str
    fields: Mapping[str, S.Node]
    evaluate: Callable[[Mapping[str, Any], PersonSpells, Context], Status]
    prepare: Callable[[dict, str, Any, Any], dict] = field(default=lambda s, path, b, states: s)


INDICATOR_KINDS: dict[str, IndicatorKind] = {}


def register_indicator(kind: IndicatorKind) -> IndicatorKind:
    """Add an indicator kind to the registry (usable as ``kind = "<name>"`` in scenarios).

    Examples
    --------
    >>> import numpy as np
    >>> k = register_indicator(IndicatorKind("always_demo", {},
    ...     evaluate=lambda s, sp, ctx: Status(np.ones(sp.cells, dtype=np.int8))))
    >>> INDICATOR_KINDS.pop("always_demo").name
    'always_demo'
    """
    INDICATOR_KINDS[kind.name] = kind
    return kind


# ------------------------------------------------------------------ helpers


def _states_prepare(keys: tuple[str, ...]):
    def prepare(s, path, b, states):
        for key in keys:
            if key in s:
                for j, name in enumerate(s[key]):
                    b.state_index(name, f"{path}.{key}[{j}]")
        return s
    return prepare


def _referred(sp: PersonSpells, ctx: Context) -> np.ndarray:
    return sp.referral <= ctx.as_of


def _finish(out: np.ndarray, sp: PersonSpells, ctx: Context) -> np.ndarray:
    """NOT_REFERRED for persons not referred by the as-of date; EXCLUDED for exclusions before achieving."""
    out = np.where(_referred(sp, ctx), out, NOT_REFERRED).astype(np.int8)
    excl = [s.index for s in ctx.model.states if s.excluded]
    if excl:
        is_excl = np.zeros(max(len(ctx.model.states), int(sp.state.max()) + 1 if sp.state.size else 0), dtype=bool)
        is_excl[excl] = True   # state-set membership as a lookup by state index (np.isin sorts)
        hit = (sp.state >= 0) & is_excl[sp.state] & (sp.start <= ctx.as_of)
        gone = np.zeros(sp.cells, dtype=bool)
        gone[sp.cell[hit]] = True
        out = np.where(gone & (out != ACHIEVED) & (out != NOT_REFERRED), EXCLUDED, out).astype(np.int8)
    return out


def _current_state(sp: PersonSpells, t: np.ndarray | float) -> np.ndarray:
    """State of each cell at week ``t`` (−1 where none)."""
    t = np.broadcast_to(np.asarray(t, dtype=float), (sp.cells,))
    hit = (sp.start <= t[sp.cell]) & (sp.end > t[sp.cell])
    out = np.full(sp.cells, -1, dtype=np.int32)
    out[sp.cell[hit]] = sp.state[hit]
    return out


# ------------------------------------------------------------------ kinds


def _completion(s, sp: PersonSpells, ctx: Context) -> Status:
    m = ctx.model
    events = list(s.get("events", ["completed"]))
    prog = np.array([st.kind == "programme" for st in m.states])
    early = np.zeros(len(m.states), dtype=bool)
    if s.get("early_exit_to"):
        early[m.state_ids(s["early_exit_to"])] = True
    # the transition out of a spell carries the event; it happens at the spell's end
    prev = sp.prev_state if sp.prev_state is not None else np.full(sp.state.size, -1)
    if sp.exit_code is not None:   # simulated: the transition's label is one of the events (a lookup, no strings)
        labels = [t.event or "" for t in m.transitions] + [""]
        is_ev = np.array([lab in events for lab in labels])[sp.exit_code]
    else:
        exit_ev = np.asarray(sp.exit_event if sp.exit_event is not None else np.full(sp.state.size, ""))
        is_ev = np.zeros(exit_ev.shape, dtype=bool)
        for e in dict.fromkeys(events):   # a few labels: one comparison pass each (np.isin sorts the labels)
            is_ev |= exit_ev == e
    by_event = is_ev & (sp.end <= ctx.as_of)
    by_early = early[sp.state] & (prev >= 0) & prog[np.maximum(prev, 0)] & ~prog[sp.state] & (sp.start <= ctx.as_of)
    hit = by_event | by_early
    ach = np.zeros(sp.cells, dtype=bool)
    ach[sp.cell[hit]] = True
    cur = _current_state(sp, ctx.as_of)
    in_prog = (cur >= 0) & prog[np.maximum(cur, 0)]
    out = np.where(ach, ACHIEVED, np.where(ctx.final | ~in_prog, FAILED, PENDING))
    return Status(_finish(out, sp, ctx))


def _spell_prepare(s, path, b, states):
    _states_prepare(("states", "hours_states"))(s, path, b, states)
    if s.get("window_to") is not None:
        s["window_to_week"] = (s["window_to"] - b.start).days / 7
    if s.get("duration") == "planned":
        for name in s.get("states", []):
            st = next((x for x in states if x.id == name), None)
            if st is not None and st.planned_weeks is None:
                b.add(f"{path}.duration", "planned", f"'actual', or a planned_weeks for state {name!r}")
    return s


def _spell(s, sp: PersonSpells, ctx: Context) -> Status:
    m = ctx.model
    S_ = np.zeros(len(m.states), dtype=bool)
    S_[m.state_ids(s["states"])] = True
    hours_min = s.get("hours_min")
    q = S_[sp.state]
    if hours_min is not None:
        hs = s.get("hours_states") or [x.id for x in m.states if x.kind == "job"]
        applies = np.zeros(len(m.states), dtype=bool)
        applies[m.state_ids(hs)] = True
        if sp.hours is not None:
            h = sp.hours
        else:
            h = np.array([np.nan if x.weekly_hours is None else x.weekly_hours for x in m.states])[sp.state]
        ok = np.isnan(h) | (h >= hours_min - 1e-9)
        if sp.hours is not None:   # observed: unknown hours do not meet an hours rule
            ok = ~np.isnan(h) & (h >= hours_min - 1e-9)
        q &= ~applies[sp.state] | ok
    idx = np.flatnonzero(q)
    c, st, en = sp.cell[idx], sp.start[idx], sp.end[idx]
    gap = float(s.get("gap_weeks", 0.0))
    if idx.size:
        new = np.ones(idx.size, dtype=bool)
        new[1:] = (c[1:] != c[:-1]) | (st[1:] - en[:-1] > gap + 1e-9)
        starts = np.flatnonzero(new)
        rc, rs = c[starts], st[starts]
        re = np.maximum.reduceat(en, starts)
        if s.get("duration") == "planned":
            if sp.planned_end is not None:
                pe = np.where(np.isnan(sp.planned_end[idx]), en, sp.planned_end[idx])
            else:
                pw = np.array([0.0 if x.planned_weeks is None else x.planned_weeks for x in m.states])
                pe = st + pw[sp.state[idx]]
            rpe = np.maximum.reduceat(pe, starts)
            lasted = rpe - rs
        else:
            lasted = np.minimum(re, ctx.as_of) - rs
    else:
        rc = rs = re = lasted = np.zeros(0)
    win_to = s.get("window_to_week", ctx.window_end)
    lo = sp.referral[rc.astype(np.int64)] if idx.size else rs
    started = (rs >= lo - 1e-9) & (rs <= win_to + 1e-9) & (rs <= ctx.as_of)
    need = float(s["min_weeks"])
    achieved = started & (lasted >= need - 1e-9)
    running = started & ~achieved & (re > ctx.as_of)
    ach = np.zeros(sp.cells, dtype=bool)
    ach[rc[achieved].astype(np.int64)] = True
    pend = np.zeros(sp.cells, dtype=bool)
    pend[rc[running].astype(np.int64)] = True
    undecided = ~ctx.final & ((ctx.as_of < win_to) | pend)
    out = np.where(ach, ACHIEVED, np.where(undecided, PENDING, FAILED))
    return Status(_finish(out, sp, ctx))


def _followups(s) -> np.ndarray:
    if "followup_weeks" in s:
        return np.asarray(s["followup_weeks"], dtype=float)
    return np.asarray(s["followup_months"], dtype=float) * WEEKS_PER_MONTH


def _in_state_prepare(s, path, b, states):
    _states_prepare(("states",))(s, path, b, states)
    if ("followup_weeks" in s) == ("followup_months" in s):
        b.add(path, {k: v for k, v in s.items()}, "exactly one of 'followup_months' or 'followup_weeks'")
    return s


def _in_state(s, sp: PersonSpells, ctx: Context) -> Status:
    m = ctx.model
    S_ = np.zeros(len(m.states), dtype=bool)
    S_[m.state_ids(s["states"])] = True
    claims = np.zeros(sp.cells, dtype=np.int32)
    pending = np.zeros(sp.cells, dtype=bool)
    for f in _followups(s):
        t = sp.referral + f
        cur = _current_state(sp, t)
        reached = t <= ctx.as_of
        claims += (reached & (cur >= 0) & S_[np.maximum(cur, 0)]).astype(np.int32)
        pending |= ~reached & np.isfinite(t)
    if not ctx.final:
        out = np.where(claims > 0, ACHIEVED, np.where(pending, PENDING, FAILED))
    else:
        out = np.where(claims > 0, ACHIEVED, FAILED)
    per = s.get("count", "claims")
    status = _finish(out, sp, ctx)
    return Status(status, claims if per == "claims" else None)


def _score_prepare(s, path, b, states):
    for key in ("mean_change", "mean_change_bau", "sd"):
        if key in s:
            b.ref(s[key], f"{path}.{key}", (-1e9, 1e9) if key != "sd" else (0.0, 1e9))
    if "mean_change" not in s or "sd" not in s:
        b.add(path, None, "'mean_change' and 'sd' (numbers or parameter names)")
    return s


def _score(s, sp: PersonSpells, ctx: Context) -> Status:
    if ctx.observed_scores is not None:
        change = ctx.observed_scores.get(s["_id"]) if "_id" in s else None
        if change is None:
            change = np.full(sp.cells, np.nan)
        out = np.where(np.isnan(change), PENDING if not ctx.final else FAILED,
                       np.where(change > s.get("threshold", 0.0), ACHIEVED, FAILED))
        return Status(_finish(out, sp, ctx))
    key = "mean_change" if ctx.arm == "programme" else "mean_change_bau"
    mu = ctx.params.get(s.get(key, 0.0), s.get(key, 0.0)) if isinstance(s.get(key, 0.0), str) else s.get(key, 0.0)
    sd = ctx.params.get(s["sd"], s["sd"]) if isinstance(s["sd"], str) else s["sd"]
    z = ctx.score_z if ctx.score_z is not None else np.zeros(sp.cells)
    change = np.asarray(mu) + np.asarray(sd) * z
    ok = change > s.get("threshold", 0.0)
    # measured at the end of the course: decided once the person has been referred for 26 weeks
    decided = ctx.final | (sp.referral + float(s.get("measured_after_weeks", 26.0)) <= ctx.as_of)
    out = np.where(decided, np.where(ok, ACHIEVED, FAILED), PENDING)
    return Status(_finish(out, sp, ctx))


_STATES = S.ListOf(S.Str(), required=True, min_len=1)
register_indicator(IndicatorKind("completion", {
    "events": S.ListOf(S.Str(), min_len=1, default=lambda: ["completed"]),
    "early_exit_to": S.ListOf(S.Str(), default=list),
}, _completion, _states_prepare(("early_exit_to",))))
register_indicator(IndicatorKind("spell", {
    "states": _STATES,
    "min_weeks": S.Num(required=True, min=0.0),
    "gap_weeks": S.Num(min=0.0, default=0.0),
    "duration": S.Str(choices=("actual", "planned"), default="actual"),
    "hours_min": S.Num(min=0.0, max=80.0),
    "hours_states": S.ListOf(S.Str()),
    "window_to": S.Date(),
}, _spell, _spell_prepare))
register_indicator(IndicatorKind("in_state", {
    "states": _STATES,
    "followup_months": S.ListOf(S.Num(min=0.0), min_len=1),
    "followup_weeks": S.ListOf(S.Num(min=0.0), min_len=1),
    "count": S.Str(choices=("claims", "persons"), default="claims"),
}, _in_state, _in_state_prepare))
register_indicator(IndicatorKind("score", {
    "mean_change": S.OneOf(lambda v, p, i: v if isinstance(v, int | float | str) and not isinstance(v, bool)
                           else S.refuse(i, p, v, "a number or parameter name")),
    "mean_change_bau": S.OneOf(lambda v, p, i: v if isinstance(v, int | float | str) and not isinstance(v, bool)
                               else S.refuse(i, p, v, "a number or parameter name")),
    "sd": S.OneOf(lambda v, p, i: v if isinstance(v, int | float | str) and not isinstance(v, bool)
                  else S.refuse(i, p, v, "a number or parameter name")),
    "threshold": S.Num(default=0.0),
    "measured_after_weeks": S.Num(min=0.0, default=26.0),
    "instrument": S.Str(),
}, _score, _score_prepare))


# ------------------------------------------------------------------ counting


@dataclass(frozen=True)
class IndicatorCounts(Mapping):
    """Counts of one indicator per draw (first axis); the contract reads them by denominator.

    ``achieved`` counts persons (or claims, for a claims indicator);
    ``referred`` persons referred by the as-of date and not excluded;
    ``completed`` persons who achieved the completion indicator and
    ``achieved_completed`` those among them who achieved this one.
    """

    achieved: np.ndarray
    referred: np.ndarray
    pending: np.ndarray
    excluded: np.ndarray
    completed: np.ndarray
    achieved_completed: np.ndarray

    _KEYS = ("achieved", "referred", "pending", "excluded", "completed", "achieved_completed")

    def __getitem__(self, key: str) -> np.ndarray:  # the contract engine reads counts by key
        """Return the counts of ``key`` (``achieved:<id>``, ``denominator:<id>``, ...)."""
        if key not in self._KEYS:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self):
        """Iterate over the keys."""
        return iter(self._KEYS)

    def __len__(self) -> int:
        """Return the number of keys."""
        return len(self._KEYS)


def count(statuses: Mapping[str, Status], draws: int, persons: int, completion: str | None
          ) -> dict[str, IndicatorCounts]:
    """Per-draw counts of each indicator (one count function for simulation, evaluation and design).

    Examples
    --------
    >>> st = {"c": Status(np.array([1, 0, 2, -1], dtype=np.int8))}
    >>> k = count(st, 2, 2, completion="c")["c"]
    >>> k.achieved.tolist(), k.referred.tolist(), k.pending.tolist()
    ([1, 0], [2, 1], [0, 1])
    """
    comp = None if completion is None else (statuses[completion].status.reshape(draws, persons) == ACHIEVED)
    out = {}
    for name, st in statuses.items():
        s = st.status.reshape(draws, persons)
        ach = s == ACHIEVED
        achieved = (st.claims.reshape(draws, persons) * (s != NOT_REFERRED)).sum(axis=1) \
            if st.claims is not None else ach.sum(axis=1)
        referred = ((s != NOT_REFERRED) & (s != EXCLUDED)).sum(axis=1)
        c = comp if comp is not None else np.zeros_like(ach)
        out[name] = IndicatorCounts(achieved, referred, (s == PENDING).sum(axis=1), (s == EXCLUDED).sum(axis=1),
                                    c.sum(axis=1), (ach & c).sum(axis=1))
    return out


def evaluate_indicators(model, sp: PersonSpells, ctx: Context) -> dict[str, Status]:
    """Statuses of every declared indicator of ``model`` (the completion indicator first).

    Examples
    --------
    >>> import simkit
    >>> from simkit.engine import _param_rows
    >>> from simkit.model.engine import arm_spells
    >>> from simkit.model.simulate import simulate_histories
    >>> sc = simkit.load_scenario("sundinvest_2021")
    >>> p = _param_rows(sc, 1, 0, 1)
    >>> h = simulate_histories(sc, p, seed=1, block=0)
    >>> ctx = Context(sc.model, sc.week_of(sc.terms.measurement_date), True, sc.week_of(sc.terms.outcome_window_end),
    ...               "programme", {k: np.repeat(v, h.persons) for k, v in p.items()}, np.zeros(h.persons))
    >>> st = evaluate_indicators(sc.model, arm_spells(h, "programme", sc.model), ctx)
    >>> list(st) == [i.id for i in sc.model.indicators], {s.status.shape for s in st.values()}  # one per person
    (True, {(50,)})
    >>> any(bool((s.status == PENDING).any()) for s in st.values())  # final: every case decided
    False
    >>> len(set(st["wellbeing"].status.tolist()))  # score_z = 0: everyone gets the mean change, one status
    1
    """
    out: dict[str, Status] = {}
    order = sorted(model.indicators, key=lambda i: i.id != model.completion_indicator)
    for spec in order:
        settings = dict(spec.settings)
        settings["_id"] = spec.id
        out[spec.id] = INDICATOR_KINDS[spec.kind].evaluate(settings, sp, ctx)
    return {i.id: out[i.id] for i in model.indicators}
