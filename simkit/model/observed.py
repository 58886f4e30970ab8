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
========================  ========================================================================

A person whose only row has a blank ``state`` is referred with no spell
recorded. Times are whole days from the agreement start (``day / 7`` weeks);
a spell's exclusive end is the day after its last day.
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..contract import repayment
from ..errors import DataError, Problem
from .engine import arm_spells
from .indicators import (
    ACHIEVED,
    EXCLUDED,
    NOT_REFERRED,
    PENDING,
    Context,
    PersonSpells,
    count,
    evaluate_indicators,
)
from .simulate import Histories
from .spec import ModelScenario

__all__ = ["SPELL_COLUMNS", "SpellEvaluation", "evaluate_spells", "histories_to_frame", "spells_from_frame"]

SPELL_COLUMNS = ("person", "referral_date", "state", "start", "end", "planned_end", "weekly_hours", "exit")
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
    import pandas as pd

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
    for c, st, a, b, ev in zip(sp.cell[sel], sp.state[sel], sp.start[sel], sp.end[sel], sp.exit_event[sel], strict=True):
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
    """
    import pandas as pd

    problems: list[Problem] = []
    missing = [c for c in ("person", "referral_date", "state", "start") if c not in df.columns]
    if missing:
        raise DataError([Problem(source, list(df.columns), f"columns {', '.join(SPELL_COLUMNS)} "
                                 f"(missing: {', '.join(missing)})")])
    unknown = [c for c in df.columns if c not in SPELL_COLUMNS and c != "source_row"]
    for c in unknown:
        close = difflib.get_close_matches(str(c), SPELL_COLUMNS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
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
            close = difflib.get_close_matches(str(st), list(states), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
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
                                            "after it)"))
        hours = row.get("weekly_hours")
        planned = day(row.get("planned_end")) if "planned_end" in row else None
        ex = row.get("exit")
        ex = "" if ex is None or (isinstance(ex, float) and np.isnan(ex)) else str(ex)
        rec.append((p, states[st], a, None if e is None else e + 1, planned, hours, ex, where))
    # overlapping spells of one person
    rec.sort(key=lambda x: (x[0], x[2]))
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


@dataclass(frozen=True)
class SpellEvaluation:
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(), "final": self.final, "n_persons": self.persons,
            "indicators": {k: {"achieved": int(c.achieved[0]), "denominator": int(c.referred[0]),
                               "pending": int(c.pending[0]), "excluded": int(c.excluded[0])}
                           for k, c in self.counts.items()},
            "targets_met": {k: bool(v) for k, v in self.met.items()},
            "repayment_due": float(self.repayment),
        }


def evaluate_spells(sc: ModelScenario, df, *, as_of: dt.date | None = None, source: str = "(data)"
                    ) -> SpellEvaluation:
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
    as_of = measurement if as_of is None else as_of
    if as_of < sc.agreement.start:
        raise DataError([Problem("--as-of", str(as_of), f"a date on or after the agreement start {sc.agreement.start}")])
    sp, persons = spells_from_frame(sc, df, source=source, as_of=as_of)
    final = as_of >= measurement
    ctx = Context(sc.model, (as_of - sc.agreement.start).days / 7, final,
                  sc.week_of(sc.terms.outcome_window_end), "programme", {}, None, observed_scores={})
    st = evaluate_indicators(sc.model, sp, ctx)
    counts = count(st, 1, sp.cells, sc.model.completion_indicator)
    rep = repayment(sc.contract, counts)
    return SpellEvaluation(as_of, final, {k: v.status for k, v in st.items()}, counts, float(rep.total[0]),
                           {k: bool(v[0]) for k, v in rep.met.items()}, len(persons))
