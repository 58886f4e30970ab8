"""Observed participant histories (long format) through the model's own indicators.

One row per spell; the declared indicators (:mod:`simkit.model.indicators`)
are evaluated on these rows exactly as on simulated histories, so the
simulation and the evaluation cannot disagree on what "met" means.

========================  ========================================================================
column                    meaning
========================  ========================================================================
``person``                pseudonymous id (never a CPR number); the same on every row of a person
``referral_date``         date of referral (the same on every row of a person)
``state``                 a state id of the scenario (``su_education``, ``fgu``, ``job``, ``course``, ...)
``start``                 first day of the spell
``end``                   last day of the spell (inclusive); blank: still running
``planned_end``           optional: planned last day (for ``duration = "planned"`` readings)
``weekly_hours``          optional: hours per week (for an indicator's hours rule)
``exit``                  optional: event of the transition out of the spell (``completed``,
                          ``dropout``); blank: none
``qol_baseline``          optional: the person's well-being score at the start (the scenario's score
                          indicator's instrument); on any one row of the person, blank on the others
``qol_followup``          optional: the same score at follow-up
========================  ========================================================================

A person whose only row has a blank ``state`` is referred with no spell
recorded. Times are whole days from the agreement start (``day / 7`` weeks);
a spell's exclusive end is the day after its last day.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simkit import labels as lb
from simkit.blocks import BLOCK, _param_rows
from simkit.contract import needed_count, repayment
from simkit.errors import DataError, Problem, did_you_mean
from simkit.evaluation import render as rd
from simkit.io.observed import read_observed
from simkit.io.spells import data_format, read_spells
from simkit.model.engine import arm_spells
from simkit.model.indicators import (
    ACHIEVED,
    EXCLUDED,
    NOT_REFERRED,
    PENDING,
    Context,
    IndicatorCounts,
    PersonSpells,
    count,
    evaluate_indicators,
)
from simkit.model.interim import InterimForecast, forecast
from simkit.model.simulate import Histories, simulate_histories
from simkit.model.spec import ModelScenario
from simkit.results.base import Provenance, Result
from simkit.rng import root_seed
from simkit.stats import clopper_pearson, paired_difference
from simkit.terms import terms_used

__all__ = ["SPELL_COLUMNS", "SpellEvaluation", "cut_at", "evaluate_spells", "histories_to_frame", "observed_states",
           "one_row_to_spells", "read_participants", "scores_from_frame", "spells_from_frame", "spells_to_one_row",
           "synthesize_spells"]

SPELL_COLUMNS = ("person", "referral_date", "state", "start", "end", "planned_end", "weekly_hours", "exit",
                 "qol_baseline", "qol_followup")
SCORE_COLUMNS = ("qol_baseline", "qol_followup")
_STATUS = {ACHIEVED: "achieved", 0: "failed", PENDING: "pending", NOT_REFERRED: "not_referred", EXCLUDED: "excluded"}


def histories_to_frame(sc: ModelScenario, h: Histories, *, draw: int = 0, arm: str = "programme",
                       prefix: str = "S", extracted: dt.date | None = None):
    """One simulated cohort (draw ``draw`` of ``h``, one arm) as a long-format frame of synthetic persons.

    The history is cut as a data extraction on ``extracted`` (default: the final measurement
    date) would see it: later spells are left out, a spell running then has a blank end.

    Examples
    --------
    >>> import simkit
    >>> from simkit.engine import _param_rows
    >>> from simkit.model.simulate import simulate_histories
    >>> sc = simkit.load_scenario("sundinvest_2021")
    >>> h = simulate_histories(sc, _param_rows(sc, 1, 0, 2), seed=1, block=0)
    >>> df = histories_to_frame(sc, h)
    >>> sorted(df["person"].unique())[:2]
    ['S001', 'S002']
    """
    sp = arm_spells(h, arm, sc.model)
    lo, hi = draw * h.persons, (draw + 1) * h.persons
    start0 = sc.agreement.start
    cut = ((extracted or sc.terms.measurement_date) - start0).days / 7
    sel = (sp.cell >= lo) & (sp.cell < hi) & (sp.end > sp.start) & (sp.start <= cut)
    names = np.array([s.id for s in sc.model.states], dtype=object)

    def date(day):
        return start0 + dt.timedelta(days=int(day))

    rows = []
    H = h.horizon
    for c, st, a, b, ev in zip(sp.cell[sel], sp.state[sel], sp.start[sel], sp.end[sel], sp.exit_event[sel], strict=True):  # type: ignore[index]  # simulated spells carry exit events
        p = int(c - lo)
        running = b >= np.floor(H * 7 + 1e-9) / 7 - 1e-12 or b > cut + 1 / 7 - 1e-9
        rows.append({"person": f"{prefix}{p + 1:03d}", "referral_date": date(round(h.referral[p] * 7)),
                     "state": names[st], "start": date(round(a * 7)),
                     "end": None if running else date(round(b * 7) - 1), "exit": None if running else ev or None})
    return pd.DataFrame(rows, columns=["person", "referral_date", "state", "start", "end", "exit"])


def spells_from_frame(sc: ModelScenario, df, *, source: str = "(data)", as_of: dt.date | None = None
                      ) -> tuple[PersonSpells, list[str]]:
    """Validate a long-format frame and turn it into :class:`PersonSpells` (persons in order of first row).

    Raises
    ------
    DataError
        Listing every problem: row, column, value and what was expected.

    Examples
    --------
    >>> import simkit
    >>> sc = simkit.load_scenario("sundinvest_2021")
    >>> df = pd.DataFrame({"person": ["B", "A", "B"], "referral_date": [dt.date(2022, 1, 6)] * 3,
    ...                    "state": ["assessment", "assessment", "sick_leave"],
    ...                    "start": [dt.date(2022, 1, 6), dt.date(2022, 1, 6), dt.date(2022, 2, 3)],
    ...                    "end": [dt.date(2022, 2, 2), None, None]})
    >>> sp, persons = spells_from_frame(sc, df)
    >>> persons  # in order of first row
    ['B', 'A']
    >>> spells_from_frame(sc, df.drop(columns="start"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    simkit.errors.DataError: (data): got ['person', 'referral_date', 'state', 'end']; expected columns ... (missing: start)
    """
    problems: list[Problem] = []
    missing = [c for c in ("person", "referral_date", "state", "start") if c not in df.columns]
    if missing:
        raise DataError([Problem(source, list(df.columns), f"columns {', '.join(SPELL_COLUMNS)} "
                                 f"(missing: {', '.join(missing)})")])
    unknown = [c for c in df.columns if c not in SPELL_COLUMNS and c != "source_row"]
    for c in unknown:
        hint = did_you_mean(str(c), SPELL_COLUMNS)
        problems.append(Problem(f"{source}: column {c!r}", c, f"one of {', '.join(SPELL_COLUMNS)}{hint}"))
    states = {s.id: s.index for s in sc.model.states}
    start0 = sc.agreement.start

    def day(v):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
            return None
        if isinstance(v, str):
            v = dt.date.fromisoformat(v)
        if hasattr(v, "date") and not isinstance(v, dt.date):
            v = v.date()
        elif isinstance(v, dt.datetime):
            v = v.date()
        return (v - start0).days

    persons: list[str] = []
    pindex: dict[str, int] = {}
    referral: dict[int, int] = {}
    rec = []
    for i, row in enumerate(df.to_dict("records")):
        where = f"{source}: row {int(row.get('source_row', i + 2))}"
        pid = str(row["person"]).strip()
        if pid not in pindex:
            pindex[pid] = len(persons)
            persons.append(pid)
        p = pindex[pid]
        try:
            r = day(row["referral_date"])
            a = day(row["start"]) if row.get("state") not in (None, "") else None
            e = day(row.get("end"))
        except (TypeError, ValueError):
            problems.append(Problem(f"{where}", {k: row.get(k) for k in ("referral_date", "start", "end")},
                                    "dates written YYYY-MM-DD"))
            continue
        if r is None:
            problems.append(Problem(f"{where}, column 'referral_date'", None, "a referral date"))
            continue
        if p in referral and referral[p] != r:
            problems.append(Problem(f"{where}, column 'referral_date'", str(row["referral_date"]),
                                    f"the same referral date on every row of person {pid!r}"))
        referral[p] = r
        st = row.get("state")
        if st in (None, "") or (isinstance(st, float) and np.isnan(st)):
            continue
        if st not in states:
            hint = did_you_mean(str(st), list(states))
            problems.append(Problem(f"{where}, column 'state'", st, f"a state of the scenario{hint} "
                                    f"({', '.join(states)})"))
            continue
        if a is None:
            problems.append(Problem(f"{where}, column 'start'", None, "the first day of the spell"))
            continue
        if a < r:
            kind = sc.model.states[states[st]].kind
            what = "an exclusion" if kind == "exclusion" else "a spell"
            problems.append(Problem(f"{where}, column 'start'", str(row["start"]),
                                    f"{what} starting on or after the referral date ({row['referral_date']})"))
        if e is not None and e < a:
            problems.append(Problem(f"{where}, column 'end'", str(row["end"]),
                                    f"a last day on or after the start ({row['start']})"))
        if as_of is not None:
            lim = (as_of - start0).days
            for col, v in (("start", a), ("end", e)):
                if v is not None and v > lim:
                    problems.append(Problem(f"{where}, column {col!r}", str(row[col]),
                                            f"a date on or before the as-of date {as_of} (the file holds events "
                                            "after it: give the date the data were extracted, or cut them "
                                            "with --cut-at-as-of)"))
        hours = row.get("weekly_hours")
        planned = day(row.get("planned_end")) if "planned_end" in row else None
        ex = row.get("exit")
        ex = "" if ex is None or (isinstance(ex, float) and np.isnan(ex)) else str(ex)
        rec.append((p, states[st], a, None if e is None else e + 1, planned, hours, ex, where))
    # overlapping spells of one person
    rec.sort(key=lambda x: (x[0], x[2]))
    prev: Any  # the previous record in this check, then the previous state per spell
    for prev, cur in itertools.pairwise(rec):
        if prev[0] == cur[0] and (prev[3] is None or prev[3] > cur[2]):
            problems.append(Problem(f"{cur[7]}, column 'start'", cur[2],
                                    f"a spell that starts after the person's previous spell ends ({prev[7]})"))
    if problems:
        shown = problems[:50]
        more = len(problems) - len(shown)
        header = f"{source}: {len(problems)} problem(s)" + (f" (first 50 shown, and {more} more)" if more else "")
        raise DataError(shown, header=header)
    n = len(persons)
    ref = np.array([referral[i] for i in range(n)], dtype=float) / 7
    cell = np.array([x[0] for x in rec], dtype=np.int64)
    state = np.array([x[1] for x in rec], dtype=np.int16)
    start = np.array([x[2] for x in rec], dtype=float) / 7
    end = np.array([np.inf if x[3] is None else x[3] for x in rec], dtype=float) / 7
    planned = np.array([np.nan if x[4] is None else x[4] + 1 for x in rec], dtype=float) / 7
    hours = np.array([np.nan if x[5] is None or x[5] == "" else float(x[5]) for x in rec], dtype=float)
    exit_ev = np.array([x[6] for x in rec], dtype=object)
    same = np.zeros(cell.size, dtype=bool)
    same[1:] = (cell[1:] == cell[:-1]) & np.isclose(start[1:], end[:-1])
    prev = np.where(same, np.roll(state, 1), -1)
    sp = PersonSpells(n, ref, cell, state, start, end, np.full(cell.size, -1, dtype=np.int16),
                      hours=hours if "weekly_hours" in df.columns else None,
                      planned_end=planned if "planned_end" in df.columns else None,
                      exit_event=exit_ev, prev_state=prev)
    return sp, persons


def scores_from_frame(df: pd.DataFrame, persons: list[str], *, source: str = "(data)"
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Return each person's well-being score at baseline and at follow-up (NaN where not given).

    A person's score may stand on any one of their rows (blank on the others) or repeat the same
    value on several.

    Raises
    ------
    DataError
        A score that is not a number, or two different scores of one person.

    Examples
    --------
    >>> df = pd.DataFrame({"person": ["A", "A", "B"], "qol_baseline": ["40", None, "38,5"],
    ...                    "qol_followup": [None, 45.0, None]})
    >>> b, f = scores_from_frame(df, ["A", "B"])
    >>> b.tolist(), f.tolist()
    ([40.0, 38.5], [45.0, nan])
    """
    index = {p: i for i, p in enumerate(persons)}
    out = {c: np.full(len(persons), np.nan) for c in SCORE_COLUMNS}
    problems: list[Problem] = []
    for c in SCORE_COLUMNS:
        if c not in df.columns:
            continue
        for i, (pid, v) in enumerate(zip(df["person"], df[c], strict=True)):
            if v is None or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip()):
                continue
            row = int(df["source_row"].iloc[i]) if "source_row" in df.columns else i + 2
            try:
                x = float(str(v).replace(",", ".")) if isinstance(v, str) else float(v)
            except ValueError:
                problems.append(Problem(f"{source}: row {row}, column {c!r}", v, "a score, a number"))
                continue
            j = index[str(pid).strip()]
            if np.isfinite(out[c][j]) and out[c][j] != x:
                problems.append(Problem(f"{source}: row {row}, column {c!r}", v,
                                        f"the same score on every row of person {pid!r} ({out[c][j]:g})"))
            out[c][j] = x
    if problems:
        raise DataError(problems[:50], header=f"{source}: {len(problems)} problem(s)")
    return out["qol_baseline"], out["qol_followup"]


def _quality_of_life(sc: ModelScenario, before: np.ndarray, after: np.ndarray) -> dict[str, Any] | None:
    """Return the paired change of the declared score indicator's instrument, as v1's QualityOfLife."""
    score = next((i for i in sc.model.indicators if i.kind == "score"), None)
    complete = np.isfinite(before) & np.isfinite(after)
    if score is None or complete.sum() < 2:
        return None
    r = paired_difference(before, after, level=0.95)
    return {"instrument": str(score.settings.get("instrument", score.id)), "indicator": score.id,
            "n_pairs": int(r.n), "n_incomplete": int(r.n_dropped),
            "mean_baseline": float(before[complete].mean()), "mean_followup": float(after[complete].mean()),
            "mean_diff": float(r.mean_diff), "ci_low": float(r.ci.low), "ci_high": float(r.ci.high),
            "p_value": float(r.p_value), "cohen_dz": float(r.cohen_dz), "dz_ci_low": float(r.dz_ci.low),
            "dz_ci_high": float(r.dz_ci.high), "level": 0.95}


def observed_states(sc: ModelScenario) -> dict[str, str]:
    """Return the states a one-row-per-person record maps onto: course, education, job, pension.

    From the scenario's optional ``[observed]`` table; by default the programme arm's initial
    state, the first state of kind ``education``, the first self-supporting state of kind ``job``
    and the first state of kind ``pension``.

    Raises
    ------
    DataError
        When a named state does not exist, or a default cannot be found.

    Examples
    --------
    >>> import simkit
    >>> sorted(observed_states(simkit.load_scenario("norddjurs")).items())
    [('course', 'course'), ('education', 'su_education'), ('job', 'job'), ('pension', 'disability_pension')]
    """
    decl = dict(sc.document.get("observed") or {})
    outcomes = dict(decl.get("outcomes") or {})
    states = sc.model.states
    ids = [s.id for s in states]

    def first(pred) -> str | None:
        return next((s.id for s in states if pred(s)), None)

    out = {"course": decl.get("course") or _initial(sc),
           "education": outcomes.get("education") or first(lambda s: s.kind == "education"),
           "job": outcomes.get("job") or first(lambda s: s.kind == "job" and s.self_support),
           "pension": decl.get("pension") or first(lambda s: s.kind == "pension")}
    problems = []
    for key, v in out.items():
        path = "observed.outcomes." + key if key in ("education", "job") else "observed." + key
        if v is None:
            problems.append(Problem(f"{sc.name}: {path}", None, f"a state for the one-row format's {key} "
                                    "(the scenario has no default for it)"))
        elif v not in ids:
            hint = did_you_mean(str(v), ids)
            problems.append(Problem(f"{sc.name}: {path}", v, f"a state of the scenario{hint}"))
    if problems:
        raise DataError(problems)
    return {k: str(v) for k, v in out.items()}


def _initial(sc: ModelScenario) -> str:
    """Return the programme arm's initial state id (of the first subgroup)."""
    return str(sc.document["arms"]["programme"]["initial"])


def one_row_to_spells(sc: ModelScenario, df: pd.DataFrame) -> pd.DataFrame:
    """Convert one-row-per-person observed data to long-format spells of a version-2 scenario.

    The input is the canonical frame of :func:`simkit.io.observed.read_observed`.

    Each person gives up to three spells, in :func:`observed_states`' states:

    * the course, from the referral date to ``course_status_date`` (its last day), leaving with the
      event ``completed`` or ``dropout``; ongoing: no end;
    * the outcome (``education``/``job``) from ``outcome_start`` to ``outcome_end`` with the
      record's ``weekly_hours``;
    * the disability pension from ``dp_award_date`` on.

    The model holds one state at a time: a spell that starts while an earlier one runs ends the
    earlier one the day before (a job started during the course ends the course spell; the
    course's recorded exit is kept). Time between spells is no spell. ``source_row`` is kept, so
    every problem found later cites the row of the one-row file.

    Examples
    --------
    >>> import simkit
    >>> from simkit.io.observed import validate_observed
    >>> one = validate_observed(pd.DataFrame({
    ...     "id": ["P1"], "referral_date": ["2025-11-10"], "course_status": ["completed"],
    ...     "course_status_date": ["2026-05-10"], "outcome_type": ["job"],
    ...     "outcome_start": ["2026-06-01"], "weekly_hours": ["37"]}), "example")
    >>> long = one_row_to_spells(simkit.load_scenario("norddjurs"), one)
    >>> long[["state", "start", "end"]].values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['course', datetime.date(2025, 11, 10), datetime.date(2026, 5, 10)],
     ['job', datetime.date(2026, 6, 1), None]]
    >>> long["exit"].tolist()[0]
    'completed'

    """
    names = observed_states(sc)
    exit_of = {"completed": "completed", "dropped_out": "dropout"}
    one_day = dt.timedelta(days=1)
    rows: list[dict[str, Any]] = []

    def date(v) -> dt.date | None:
        return None if v is None or pd.isna(v) else pd.Timestamp(v).date()

    for rec in df.to_dict("records"):
        ref = date(rec["referral_date"])
        base = {"person": str(rec["id"]), "referral_date": ref, "source_row": int(rec.get("source_row", 0)),
                **{c: (None if rec.get(c) is None or pd.isna(rec.get(c)) else float(rec[c])) for c in SCORE_COLUMNS}}
        spells: list[dict[str, Any]] = []
        status = rec.get("course_status")
        spells.append({"state": names["course"], "start": ref,
                       "end": date(rec.get("course_status_date")) if status != "ongoing" else None,
                       "exit": exit_of.get(status), "weekly_hours": None})
        kind = rec.get("outcome_type")
        if kind in ("education", "job") and date(rec.get("outcome_start")) is not None:
            h = rec.get("weekly_hours")
            spells.append({"state": names[kind], "start": date(rec["outcome_start"]), "end": date(rec.get("outcome_end")),
                           "exit": None, "weekly_hours": None if h is None or pd.isna(h) else float(h)})
        if date(rec.get("dp_award_date")) is not None:
            spells.append({"state": names["pension"], "start": date(rec["dp_award_date"]), "end": None, "exit": None,
                           "weekly_hours": None})
        spells.sort(key=lambda x: x["start"])
        for a, b in itertools.pairwise(spells):
            if a["end"] is None or a["end"] >= b["start"]:
                a["end"] = max(b["start"] - one_day, a["start"])
                if b["start"] <= a["start"]:          # both on one day: the later spell from the next day
                    b["start"] = a["start"] + one_day
        rows += [{**base, **x} for x in spells]
    cols = ["person", "referral_date", "state", "start", "end", "weekly_hours", "exit", *SCORE_COLUMNS, "source_row"]
    return pd.DataFrame(rows, columns=cols)


def spells_to_one_row(sc: ModelScenario, df: pd.DataFrame) -> pd.DataFrame:
    """Long-format spells as one row per person (the raw columns of :mod:`simkit.io.observed`).

    The one-row format holds one course, one outcome spell and one award, so this is a summary:

    * ``course_status`` from the course spell (:func:`observed_states`): ``completed`` or
      ``dropped_out`` by its exit; left early for another state: ``completed`` when the
      scenario's completion indicator counts that exit (``early_exit_to``), else ``dropped_out``;
      still running: ``ongoing``; ``course_status_date`` its last day;
    * the outcome: of the person's spells in a state of kind ``education`` or ``job`` starting
      on or after the referral, the first that lasted the qualifying length of the scenario's
      spell indicator if any, else the first; ``weekly_hours`` the state's (education: 37,
      an assumption: the one-row format asks for hours, the model's hours rule is for jobs);
    * ``dp_award_date``: the start of the first spell in a state of kind ``pension``.

    Re-entries, other spells and exclusions (moved away, died) are not in the one-row format:
    a file written from this can evaluate differently from the long file (data/README.md).

    Examples
    --------
    >>> import simkit
    >>> sc = simkit.load_scenario("norddjurs")
    >>> long = pd.DataFrame({"person": ["A", "A"], "referral_date": [dt.date(2026, 1, 5)] * 2,
    ...                      "state": ["course", "job"], "start": [dt.date(2026, 1, 5), dt.date(2026, 7, 6)],
    ...                      "end": [dt.date(2026, 7, 5), None], "exit": ["completed", None]})
    >>> row = spells_to_one_row(sc, long).iloc[0]
    >>> row["course_status"], row["outcome_type"], float(row["weekly_hours"])
    ('completed', 'job', 37.0)
    """
    names = observed_states(sc)
    kinds = {x.id: x.kind for x in sc.model.states}
    hours = {x.id: x.weekly_hours for x in sc.model.states}
    comp = sc.model.completion_indicator
    early = set(sc.model.indicator(comp).settings.get("early_exit_to") or []) if comp else set()
    spell_ind = next((i for i in sc.model.indicators if i.kind == "spell"), None)
    need_days = 7 * float(spell_ind.settings["min_weeks"]) if spell_ind is not None else 0.0
    measured = sc.terms.measurement_date
    rows = []
    for pid, g in df.groupby("person", sort=False):
        g = g[g["state"].map(lambda v: isinstance(v, str) and v != "")].sort_values("start")
        ref = df.loc[df["person"] == pid, "referral_date"].iloc[0]
        rec: dict[str, Any] = {"id": pid, "referral_date": ref, "course_status": "ongoing"}
        recs = g.to_dict("records")
        for j, r in enumerate(recs):
            if r["state"] != names["course"]:
                continue
            end = r.get("end")
            nxt = recs[j + 1]["state"] if j + 1 < len(recs) else None
            ex = r.get("exit") if isinstance(r.get("exit"), str) else ""
            if isinstance(end, dt.date):
                ok = ex == "completed" or (ex != "dropout" and nxt in early)
                rec["course_status"], rec["course_status_date"] = ("completed" if ok else "dropped_out"), end
            break
        outs = [r for r in recs if kinds.get(r["state"]) in ("education", "job") and r["start"] >= ref]

        def lasted(r) -> float:
            e = r.get("end") if isinstance(r.get("end"), dt.date) else measured
            return (e - r["start"]).days + 1

        if outs:
            o = next((r for r in outs if lasted(r) >= need_days), outs[0])
            k = kinds[o["state"]]
            h = hours.get(o["state"])
            rec.update({"outcome_type": k, "outcome_start": o["start"],
                        "outcome_end": o["end"] if isinstance(o.get("end"), dt.date) else None,
                        "weekly_hours": float(h) if h is not None else 37.0})
        else:
            rec["outcome_type"] = "none"
        award = next((r["start"] for r in recs if kinds.get(r["state"]) == "pension"), None)
        rec["dp_award_date"] = award
        rows.append(rec)
    cols = ["id", "referral_date", "course_status", "course_status_date", "outcome_type", "outcome_start",
            "outcome_end", "weekly_hours", "dp_award_date"]
    return pd.DataFrame(rows, columns=cols)


def read_participants(sc: ModelScenario, path, *, sheet: str | None = None) -> tuple[pd.DataFrame, str]:
    """Read a participant-data file in either format as long-format spells of ``sc``.

    Returns the frame and the format read (``"spells"`` or ``"one_row"``, converted by
    :func:`one_row_to_spells`).

    Examples
    --------
    >>> import simkit
    >>> df, fmt = read_participants(simkit.load_scenario("norddjurs"),
    ...                             "data/examples/norddjurs_final.csv")  # doctest: +SKIP
    """
    if data_format(path, sheet=sheet) == "one_row":
        return one_row_to_spells(sc, read_observed(path, sheet=sheet)), "one_row"
    return read_spells(path, sheet=sheet), "spells"


def cut_at(df: pd.DataFrame, as_of: dt.date) -> tuple[pd.DataFrame, int, int]:
    """Cut the long-format frame as an extraction on ``as_of`` would have seen it.

    Spells starting after ``as_of`` are dropped; a spell ending after it becomes running (blank
    end and exit). Returns the cut frame, the number of spells dropped and of ends blanked.
    A person whose every spell is dropped keeps one row with a blank state (referred, no spell).

    Examples
    --------
    >>> df = pd.DataFrame({"person": ["A", "A"], "referral_date": [dt.date(2026, 1, 1)] * 2,
    ...                    "state": ["course", "job"], "start": [dt.date(2026, 1, 1), dt.date(2026, 9, 1)],
    ...                    "end": [dt.date(2026, 6, 30), None], "exit": ["completed", None]})
    >>> out, dropped, blanked = cut_at(df, dt.date(2026, 3, 1))
    >>> out["end"].tolist(), dropped, blanked
    ([None], 1, 1)
    """
    out = df.copy()
    starts = out["start"].map(lambda d: d if isinstance(d, dt.date) else None)
    has_state = out["state"].map(lambda v: isinstance(v, str) and v != "")
    late = has_state & starts.map(lambda d: d is not None and d > as_of)
    ends = out["end"].map(lambda d: d if isinstance(d, dt.date) else None) if "end" in out else None
    blank = (~late) & ends.map(lambda d: d is not None and d >= as_of) if ends is not None else late & False
    # an end on the as-of date itself is seen as running: the exit happens the day after
    if ends is not None:
        out.loc[blank, "end"] = None
        if "exit" in out:
            out.loc[blank, "exit"] = None
    keep = ~late
    gone = set(out.loc[late, "person"]) - set(out.loc[keep, "person"])
    blanks = out[late & out["person"].isin(gone)].drop_duplicates("person").copy()
    for c in ("state", "start", "end", "exit", "planned_end", "weekly_hours"):
        if c in blanks:
            blanks[c] = None
    out = pd.concat([out[keep], blanks], ignore_index=True) if len(blanks) else out[keep].reset_index(drop=True)
    return out, int(late.sum()), int(blank.sum())


def synthesize_spells(sc: ModelScenario, *, seed: int, draw: int = 0, as_of: dt.date | None = None):
    """Synthesise long-format participant data (never real people).

    Draw ``draw`` of a seeded run, the programme arm, as extracted on ``as_of`` (default: the final
    measurement date).

    Examples
    --------
    >>> import simkit
    >>> df = synthesize_spells(simkit.load_scenario("sundinvest_2021"), seed=1)
    >>> df["person"].nunique()
    50
    """
    seed = root_seed(seed, allow_none=False)
    block, row = divmod(int(draw), BLOCK)
    p = _param_rows(sc, seed, block * BLOCK, block * BLOCK + row + 1)
    h = simulate_histories(sc, p if p else {"_draws": np.zeros(row + 1)}, seed=seed, block=block)
    return histories_to_frame(sc, h, draw=row, extracted=as_of)


@dataclass(frozen=True)
class SpellEvaluation(Result):
    """Statuses and counts of the declared indicators on observed histories, and the repayment due.

    ``repayment`` is exact count arithmetic *on the scenario's contract terms*; where those terms are
    assumptions (the default scenario's are), so is the amount.
    """

    as_of: dt.date
    final: bool
    statuses: dict[str, np.ndarray]
    counts: dict[str, Any]
    repayment: float
    met: dict[str, bool]
    persons: int

    targets: tuple[dict, ...] = ()
    repayment_min: float = 0.0
    repayment_max: float = 0.0
    terms: tuple[tuple[str, str, str], ...] = ()   # (term, value, "from the agreement" | "assumption")
    forecast: InterimForecast | None = None
    accounted: tuple[tuple[str, int], ...] = ()     # (what, persons or spells): every row accounted for
    data_format: str = "spells"
    line_labels: tuple[tuple[str, str], ...] = ()   # (rate-card line id, its label)
    quality_of_life: dict[str, Any] | None = None   # paired change of the score indicator (v1's keys)
    provenance: Provenance = field(default_factory=lambda: Provenance("", "", "", (), None, 0), compare=False)

    def to_dict(self) -> dict[str, Any]:
        """Exact counts, for evaluators (not for publication: small counts are not suppressed).

        Examples
        --------
        >>> ev = SpellEvaluation(dt.date(2026, 1, 1), True, {}, {}, 0.0, {}, 3,
        ...                      accounted=(("referred by the as-of date", 3),))
        >>> d = ev.to_dict()
        >>> d["as_of"], d["n_persons"], d["accounted"], d["repayment_due"]["value"]  # 3 kept exact (the text shows <5)
        ('2026-01-01', 3, {'referred by the as-of date': 3}, 0.0)
        """
        out = self._dict()
        out["data_format"] = self.data_format
        out["accounted"] = dict(self.accounted)
        out["quality_of_life"] = self.quality_of_life
        out["provenance"] = self.provenance.as_dict()
        if self.forecast is not None:
            out["forecast"] = self.forecast.to_dict()
        return out

    def _dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(), "final": self.final, "n_persons": self.persons,
            "indicators": {k: {"achieved": int(c.achieved[0]), "denominator": int(c.referred[0]),
                               "pending": int(c.pending[0]), "excluded": int(c.excluded[0])}
                           for k, c in self.counts.items()},
            "targets": {t["id"]: {k: v for k, v in t.items() if k != "id"} for t in self.targets},
            "targets_met": {k: bool(v) for k, v in self.met.items()},
            "repayment_due": {"value": float(self.repayment), "min": float(self.repayment_min),
                              "max": float(self.repayment_max),
                              "exact": "the count arithmetic; the amount rests on the contract terms listed"},
            "terms": [{"term": a, "value": b, "basis": c} for a, b, c in self.terms],
        }

    def to_frame(self, lang: str | None = None) -> pd.DataFrame:
        """Per-target table with exact counts (index: target id; ``lang``: plain column names).

        Examples
        --------
        >>> SpellEvaluation(dt.date(2026, 1, 1), True, {}, {}, 0.0, {}, 0).to_frame().shape
        (0, 10)
        """
        cols = ["achieved", "denominator", "pending", "not_yet_referred", "rate", "ci_low", "ci_high",
                "threshold", "needed", "status"]
        frame = pd.DataFrame([{c: t[c] for c in cols} for t in self.targets], columns=cols,
                             index=pd.Index([t["id"] for t in self.targets], name="target"))
        if lang is None:
            return frame
        L = rd.resolve_lang(lang)
        names = {c: rd.phrase(f"frame_{c}", L) for c in cols if c not in ("not_yet_referred", "needed")}
        names |= {"not_yet_referred": rd.phrase("v2_not_yet_col", L), "needed": rd.phrase("frame_needed_final", L)}
        return frame.rename(columns=names).rename_axis(rd.phrase("col_target", L))

    def to_text(self, lang: str | None = None, min_cell: int = 5) -> str:
        """Return :meth:`text` (the one result interface's name for it).

        Examples
        --------
        >>> ev = SpellEvaluation(dt.date(2026, 1, 1), True, {}, {}, 0.0, {}, 0)  # no persons, no targets
        >>> print(ev.to_text().splitlines()[0])
        Evaluation as of 2026-01-01 (final measurement date: every case decided)
        >>> print(ev.to_text(lang="da").splitlines()[0])
        Evaluering pr. 1. januar 2026 (endelig målingsdato: alle sager er afgjort)
        """
        return self.text(min_cell=min_cell, lang=lang)

    def _repr_html_(self) -> str:
        """Show the signer's page in a notebook: the same text (counts below 5 suppressed), terms included."""
        return f"<pre>{html.escape(self.text())}</pre>"

    def text(self, *, min_cell: int = 5, lang: str | None = None) -> str:
        """Write a page for the signer; counts below ``min_cell`` are shown as "<N" (JSON keeps them exact).

        ``lang`` (``"da"``/``"en"``, default English) sets the language of the labels, numbers and
        dates; the forecast's lines are in English.

        Examples
        --------
        >>> ev = SpellEvaluation(dt.date(2026, 1, 1), True, {}, {}, 0.0, {}, 3,
        ...                      accounted=(("referred by the as-of date", 3),))
        >>> ev.text().splitlines()[1:3]  # 3 persons: below the default min_cell of 5
        ['persons in the data: <5', '  referred by the as-of date: <5']
        >>> ev.text(min_cell=1).splitlines()[1:3]
        ['persons in the data: 3', '  referred by the as-of date: 3']
        """
        L = rd.resolve_lang(lang)

        def n(k: int) -> str:
            return f"<{min_cell}" if 0 < k < min_cell else (f"{k:,}" if L == "en" else rd.count(k, min_cell, L))

        def acc(what: str) -> str:
            keys = {"referred by the as-of date": "acc_referred",
                    "in the file but referred after the as-of date": "acc_later",
                    "not in the file yet (cohort size less persons in the file)": "acc_not_in_file"}
            if L == "en":
                return what
            if what in keys:
                return rd.phrase(keys[what], L)
            if what.startswith("of them excluded: "):
                return rd.phrase("acc_excluded", L, what=what[len("of them excluded: "):])
            return what

        lines = [rd.phrase("v2_head", L, date=rd.date(self.as_of, L),
                          kind=rd.phrase("v2_final" if self.final else "v2_interim", L)),
                 rd.phrase("v2_persons", L, n=n(self.persons))
                 + (rd.phrase("v2_one_row", L) if self.data_format == "one_row" else "")]
        lines += [f"  {acc(what)}: {n(k)}" for what, k in self.accounted if k]
        lines += ["", rd.phrase("v2_targets_head", L)]
        for t in self.targets:
            hide = t["denominator"] == 0 or min(t["achieved"], t["denominator"] - t["achieved"]) < min_cell
            pc = (lambda x: f"{x:.1%}") if L == "en" else (lambda x: rd.pct(x, L))
            rate = "" if hide else (rd.phrase("v2_rate", L, rate=pc(t["rate"]), low=pc(t["ci_low"]),
                                              high=pc(t["ci_high"])) if L == "en" else
                                    f" ({pc(t['rate'])}; 95 %-KI {rd.ci(t['ci_low'], t['ci_high'], L)}, Clopper–Pearson)")
            name = t["label"] if L == "en" or not lb._entry(t["id"], "targets") else \
                lb.label(t["id"], L, kind="targets")
            over = t["denominator_label"] if L == "en" else rd.phrase(
                "over_referred" if t["denominator_label"] == "referred" else "over_completed", L)
            lines.append(rd.phrase("v2_target", L, label=name, achieved=n(t["achieved"]),
                                  denominator=n(t["denominator"]), over=over, rate=rate,
                                  threshold=f"{t['threshold']:.0%}" if L == "en" else rd.pct(t["threshold"], L),
                                  status=t["status"].replace("_", " ") if L == "en"
                                  else rd.status_word(t["status"], L))
                         + (rd.phrase("v2_pending", L, n=n(t["pending"]))
                            + (rd.phrase("v2_not_yet", L, n=n(t["not_yet_referred"])) if t["not_yet_referred"] else "")
                            + ")" if t["pending"] or t["not_yet_referred"] else ""))
        if L != "en":
            lines.append(rd.phrase("v2_met_explained", L))
        amount = (rd.money(self.repayment, L) if self.final or self.repayment_min == self.repayment_max
                  else rd.phrase("v2_range", L, low=rd.money(self.repayment_min, L), high=rd.money(self.repayment_max, L)))
        lines += ["", rd.phrase("v2_repayment", L, amount=amount), rd.phrase("v2_terms", L)]
        lines += [f"  - {a}: {b} ({c})" for a, b, c in rd.terms_list(self.terms, L)]
        if any(c == "assumption" for _, _, c in self.terms):
            lines.append(rd.phrase("v2_assumed", L))
        q = self.quality_of_life
        if q is not None:   # a mean of fewer than min_cell pairs is not shown (as v1's)
            lines.append("")
            if q["n_pairs"] < min_cell:
                lines.append(rd.phrase("v2_qol_suppressed", L, instrument=q["instrument"], k=min_cell))
            else:
                f2 = (lambda x: f"{x:+.2f}") if L == "en" else (lambda x: ("+" if x >= 0 else "−")
                                                                 + lb.format_number(abs(x), L, decimals=2))
                lines.append(rd.phrase(
                    "v2_qol", L, instrument=q["instrument"], n=q["n_pairs"], mean=f2(q["mean_diff"]),
                    level=f"{q['level']:.0%}" if L == "en" else f"{round(100 * q['level'])} %",
                    lo=f2(q["ci_low"]), hi=f2(q["ci_high"]), p=f"{q['p_value']:.3g}",
                    dz=rd.number(q["cohen_dz"], L, 2), dzlo=rd.number(q["dz_ci_low"], L, 2),
                    dzhi=rd.number(q["dz_ci_high"], L, 2)))
        if self.forecast is not None:
            labels = {t["id"]: t["label"] for t in self.targets}
            labels.update({f"rate card: {k}": v for k, v in self.line_labels})
            lines += ["", self.forecast.text(labels, lang=L)]
            fc = self.forecast
            if fc.expected_repayment is None:
                lines.append("  " + rd.phrase("v2_forecast_no_repayment", L, kinds=", ".join(fc.unsupported)))
            else:
                rng = "" if fc.repayment_range is None else rd.phrase(
                    "v2_forecast_range", L, low=rd.money(fc.repayment_range[0], L),
                    high=rd.money(fc.repayment_range[1], L))
                lines.append("  " + rd.phrase("v2_forecast_repayment", L, amount=rd.money(fc.expected_repayment, L),
                                              range=rng, prior=rd.money(fc.expected_repayment_prior or 0.0, L)))
        return "\n".join(lines)


def evaluate_spells(sc: ModelScenario, df, *, as_of: dt.date | None = None, source: str = "(data)",
                    cut_at_as_of: bool = False, seed: int = 2025, forecast_draws: int = 0,
                    forecast_replicates: int = 16, data_format: str = "spells") -> SpellEvaluation:
    """Evaluate long-format observed histories against the scenario's indicators and contract.

    At the final measurement date (the default ``as_of``) every case is decided, exactly as in the
    simulation; before it, running spells and courses are pending.

    Examples
    --------
    >>> import simkit
    >>> from simkit.engine import _param_rows
    >>> from simkit.model.simulate import simulate_histories
    >>> sc = simkit.load_scenario("sundinvest_2021")
    >>> h = simulate_histories(sc, _param_rows(sc, 1, 0, 1), seed=1, block=0)
    >>> ev = evaluate_spells(sc, histories_to_frame(sc, h))
    >>> ev.final, ev.persons
    (True, 50)
    """
    measurement = sc.terms.measurement_date
    if as_of is not None and as_of < sc.agreement.start:
        raise DataError([Problem("--as-of", str(as_of), f"a date on or after the agreement start {sc.agreement.start}")])
    dropped = blanked = 0
    if cut_at_as_of:
        if as_of is None:
            raise DataError([Problem("--cut-at-as-of", None, "an --as-of date to cut the data at")])
        df, dropped, blanked = cut_at(df, as_of)
    sp, persons = spells_from_frame(sc, df, source=source, as_of=as_of)   # validate first
    dates = [d for col in ("start", "end", "referral_date") if col in df.columns for d in df[col]
             if isinstance(d, dt.date)] if len(df) else []
    latest = max(dates) if dates else None
    if as_of is not None and as_of < measurement and latest is not None and (as_of - latest).days > 90:
        raise DataError([Problem("--as-of", str(as_of),
                                 f"the date the data were extracted: the latest date in {source} is {latest}, "
                                 f"{(as_of - latest).days} days earlier (with a later as-of date running "
                                 "spells and courses would be read as still running then)")])
    if as_of is None and len(df) and "start" in df.columns:
        if latest is not None and (measurement - latest).days > 90:
            raise DataError([Problem(f"{source}", f"latest event {latest}",
                                     f"--as-of: the date the data were extracted (without it the file is "
                                     f"evaluated as of the final measurement date {measurement}, "
                                     f"long after its latest event)")])
    if as_of is None:
        as_of = measurement
        sp, persons = spells_from_frame(sc, df, source=source, as_of=as_of)   # no events after it either
    final = as_of >= measurement
    before, after = scores_from_frame(df, persons, source=source)
    change = after - before
    scores = {i.id: change for i in sc.model.indicators if i.kind == "score"}
    ctx = Context(sc.model, (as_of - sc.agreement.start).days / 7, final,
                  sc.week_of(sc.terms.outcome_window_end), "programme", {}, None, observed_scores=scores)
    st = evaluate_indicators(sc.model, sp, ctx)
    counts = count(st, 1, sp.cells, sc.model.completion_indicator)
    rep = repayment(sc.contract, counts)
    # persons still to be referred (the cohort size less the persons in the data) may still count
    not_yet = 0 if final else max(0, sc.agreement.cohort_size - len(persons))
    # the range still possible: every open case achieved (max) or failed (min)
    best = {k: IndicatorCounts(c.achieved + c.pending + not_yet, c.referred + not_yet, c.pending * 0, c.excluded,
                               c.completed, c.achieved_completed) for k, c in counts.items()}
    worst = {k: IndicatorCounts(c.achieved, c.referred + not_yet, c.pending * 0, c.excluded, c.completed,
                                c.achieved_completed) for k, c in counts.items()}
    hi = float(repayment(sc.contract, best).total[0])
    lo = float(repayment(sc.contract, worst).total[0]) if not final else float(rep.total[0])
    targets = []
    for t in sc.contract.targets:
        c = counts[t.indicator]
        a, den = (int(c.achieved[0]), int(c.referred[0])) if t.denominator == "referred" else \
            (int(c.achieved_completed[0]), int(c.completed[0]))
        pend = int(c.pending[0])
        ci = clopper_pearson(a, den) if den else None
        final_den = den + (not_yet if t.denominator == "referred" else 0)
        need = int(needed_count(t.threshold, final_den)) if final_den else 0
        status = ("met" if final_den and a >= need else
                  "not_met" if final or a + pend + (not_yet if t.denominator == "referred" else 0) < need
                  else "undecided")
        targets.append({"id": t.id, "label": sc.model.indicator(t.indicator).label, "achieved": a, "denominator": den,
                        "denominator_label": "referred" if t.denominator == "referred" else "who completed",
                        "pending": pend, "not_yet_referred": not_yet, "rate": a / den if den else float("nan"),
                        "ci_low": float(ci.low) if ci else float("nan"), "ci_high": float(ci.high) if ci else float("nan"),
                        "threshold": t.threshold, "needed": need, "status": status})
    week = sc.week_of(as_of)
    referred = sp.referral <= week
    accounted: list[tuple[str, int]] = [("referred by the as-of date", int(referred.sum())),
                                        ("in the file but referred after the as-of date", int((~referred).sum()))]
    for x in sc.model.states:
        if x.excluded:
            hit = np.unique(sp.cell[(sp.state == x.index) & (sp.start <= week)])
            accounted.append((f"of them excluded: {x.label}", int(hit.size)))
    accounted.append(("not in the file yet (cohort size less persons in the file)", not_yet))
    if cut_at_as_of:
        accounted += [("spells after the as-of date cut (--cut-at-as-of)", dropped),
                      ("spells running past the as-of date, read as running", blanked)]
    fc = forecast(sc, sp, as_of, seed=seed, draws=forecast_draws, replicates=forecast_replicates, scores=scores) \
        if forecast_draws and not final else None
    return SpellEvaluation(as_of, final, {k: v.status for k, v in st.items()}, counts, lo,
                           {k: bool(v[0]) for k, v in rep.met.items()}, len(persons), tuple(targets),
                           lo, hi, terms_used(sc), fc, tuple(accounted), data_format,
                           tuple((ln.id, sc.model.indicator(ln.indicator).label) for ln in sc.contract.rate_card),
                           _quality_of_life(sc, before[referred], after[referred]),
                           Provenance.of(sc, seed=seed, draws=forecast_draws if fc is not None else 0,
                                         as_of=as_of.isoformat(), data_format=data_format))
