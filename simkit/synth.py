"""Synthetic observed participant data drawn from a scenario — never real people.

:func:`synthesize` turns **one Monte Carlo draw** of a scenario (one parameter
set and one realisation of the cohort, exactly as :mod:`simkit.engine`
simulates it) into a table in the observed-data format of
:mod:`simkit.io.observed`, as a municipality would report it on a given date.
It is used for examples, tests and notebooks: evaluating the synthetic data
with :func:`simkit.evaluation.evaluate` must give back the simulated counts,
because both go through the one indicator definition (:mod:`simkit.indicators`).

From weeks to dates
-------------------
The engine works in whole weeks since the agreement start; week ``w`` starts on
day ``7 w``. Every date of a person is shifted by the same random
**day-of-week offset** ``o`` in 0–6 (so referrals do not all fall on the
agreement start's weekday, and durations are unchanged):

* referral ``7 r + o``; course completion/dropout ``7 e + o``;
* education/job spell: first day ``7 s + o``, last day (inclusive)
  ``7 (s + length) − 1 + o``;
* disability-pension award ``7 d + o``.

The offset is reduced for a person where it would move one of their dates
across a fixed contract date the indicators compare with (the outcome-window
end, the measurement date, "26 weeks before" the measurement date, the
agreement end), so the indicator statuses of the synthetic data as of the
measurement date are exactly those of the simulated weeks. The offset does not
depend on the as-of date: data reported at an interim date are exactly the
final data censored on that date.

Censoring at the as-of date
---------------------------
Only persons referred on or before ``as_of`` are included. What happens after
``as_of`` is unknown: a course that ends later is ``ongoing`` (blank date), a
spell that starts later is not reported, a spell still running has a blank end
date, an award dated later is blank. Rows are sorted by referral date.

Other columns (assumptions, for realism only; they do not enter the targets)
-------------------------------------------------------------------------------
* ``weekly_hours``: the scenario's full-time hours (37) for the simulated
  education/job spells, which are full-time by construction. A share
  ``part_time_share`` (default 10 %) of the persons with no simulated spell
  and no award get a **part-time** job (10–30 hours a week) starting 0–20
  weeks after their course ended and lasting 4–52 weeks; it does not count.
* Quality of life on a WEMWBS-like scale (14 items scored 1–5: 14–70):
  baseline ``round(N(41, 8))``, 5 % missing; a follow-up only for persons
  whose course status is known by ``as_of``, baseline + ``N(4, 6)`` for
  completers and ``N(1, 6)`` for dropouts, 10 % missing; clipped to 14–70.
* ``id``: ``"SK-"`` and 8 random hexadecimal digits — pseudonymous, unique,
  never shaped like a CPR number.

Random numbers: the engine's streams (root seed ``seed``) for the draw, and a
separate named stream ``"synth_details"`` (:mod:`simkit.rng`;
``SeedSequence(seed, spawn_key=(7, draw))``) for offsets,
hours, scores and ids, so the same ``(scenario, seed, as_of, draw)`` always
gives the same table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from simkit.engine import simulate_arrays
from simkit.errors import DataError, InputError, Problem
from simkit.io.observed import validate_observed
from simkit.model.observed import spells_to_one_row, synthesize_spells
from simkit.model.spec import ModelScenario
from simkit.rng import RngLike, root_seed, stream_generator
from simkit.scenario import load_scenario

__all__ = ["synthesize"]

#: quality-of-life scale (WEMWBS: 14 items scored 1-5)
QOL_MIN, QOL_MAX = 14, 70
_QOL_BASELINE = (41.0, 8.0)        # mean, sd (assumption)
_QOL_CHANGE = {True: (4.0, 6.0), False: (1.0, 6.0)}  # completers / dropouts (assumption)
_QOL_MISSING_BASELINE = 0.05
_QOL_MISSING_FOLLOWUP = 0.10
#: Largest ``draw`` index: draw ``d`` simulates draws 0..d, which must fit in memory.
MAX_DRAW = 9_999


def _as_date(value, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InputError(Problem(name, value, "a date as YYYY-MM-DD"))


def _max_offsets(events: Sequence[np.ndarray], thresholds: Sequence[int]) -> np.ndarray:
    """Largest offset (<= 6) per person that moves no event day across a threshold day.

    An event on day ``x`` and a threshold ``K`` with ``x <= K`` allow offsets
    ``o <= K - x`` (so ``x + o <= K`` still holds); NaN events impose nothing.
    """
    cap = np.full(events[0].shape, 6.0)
    for x in events:
        for k in thresholds:
            room = np.where(np.isfinite(x) & (x <= k), k - x, np.inf)
            cap = np.minimum(cap, room)
    return cap.astype(np.int64)


def _pick_draw(out: dict, draw: int):
    """Return the cohort chunk holding ``draw`` and the index of the draw inside it."""
    first = 0
    for chunk in out["cohort"]:
        size = chunk.completed.shape[0]
        if draw < first + size:
            return chunk, draw - first
        first += size
    raise IndexError(draw)  # pragma: no cover - draws = draw + 1


def synthesize(
    scenario=None,
    *,
    seed: RngLike,
    as_of: dt.date | str | None = None,
    draw: int = 0,
    part_time_share: float = 0.10,
) -> pd.DataFrame:
    """Synthetic observed data: one simulated cohort of a scenario, as reported on ``as_of``.

    Parameters
    ----------
    scenario : Scenario or ModelScenario, optional
        From :func:`simkit.load_scenario`; default the embedded Norddjurs–DSI
        scenario (version 2). A version-2 scenario's cohort is simulated as
        spells (:func:`simkit.model.observed.synthesize_spells`, as
        ``simkit synth --layout one-row``) and returned one row per person;
        ``part_time_share`` applies to version 1 only.
    seed : int, SeedSequence or Generator
        Root seed of the simulation (keyword-only, required: synthetic data
        must be reproducible; see :func:`simkit.rng.root_seed`).
    as_of : date or "YYYY-MM-DD", optional
        Reporting date: the data are censored here (module docstring).
        Default: the scenario's measurement date.
    draw : int, default 0
        Which Monte Carlo draw of the run with this seed to use (0 to :data:`MAX_DRAW`).
    part_time_share : float, default 0.10
        Share of persons without a simulated spell who get a part-time job
        (which never counts towards the targets).

    Returns
    -------
    pandas.DataFrame
        The canonical observed-data frame (as from
        :func:`simkit.io.observed.read_observed`), one row per person referred
        by ``as_of``; write it with :func:`simkit.io.observed.write_observed_csv`.

    Raises
    ------
    simkit.errors.InputError
        If ``as_of`` is not a date, or nobody is referred by then, or a
        version-2 scenario has no ``[observed]`` mapping for the one-row format.

    Examples
    --------
    >>> import simkit
    >>> df = synthesize(simkit.load_scenario("norddjurs_v1"), seed=1, as_of="2028-04-30")  # the one-row format of the 0.1 model
    >>> len(df), df["id"].str.match(r"^SK-[0-9a-f]{8}$").all()
    (95, np.True_)
    """
    sc = scenario if scenario is not None else load_scenario()
    problems = []
    try:
        seed = root_seed(seed, allow_none=False)
    except InputError as exc:
        problems += exc.problems
    if (isinstance(draw, bool) or not isinstance(draw, int | np.integer)
            or not 0 <= draw <= MAX_DRAW):
        problems.append(Problem("draw", draw, f"a whole number from 0 to {MAX_DRAW:,} (vary the "
                                              "seed for more cohorts)"))
    if not (isinstance(part_time_share, int | float) and 0 <= part_time_share <= 1):
        problems.append(Problem("part_time_share", part_time_share, "a share between 0 and 1"))
    if problems:
        raise InputError(problems, header="synthesize")
    as_of_date = sc.terms.measurement_date if as_of is None else _as_date(as_of, "as_of")
    seed, draw = int(seed), int(draw)  # type: ignore[arg-type]  # whole numbers: checked above
    if isinstance(sc, ModelScenario):  # a declared model: its spells, one row per person
        spells = synthesize_spells(sc, seed=seed, draw=draw, as_of=as_of_date)
        try:
            one_row = spells_to_one_row(sc, spells)
        except DataError as exc:
            raise InputError(exc.problems, header=f"synthesize: scenario {sc.name!r} has no complete [observed] "
                             "mapping for the one-row format; pass a scenario that has one (e.g. the default, "
                             "'norddjurs') or take its long format, "
                             "simkit.model.observed.synthesize_spells(scenario, seed=...)") from None
        return validate_observed(one_row, "synthetic")

    out = simulate_arrays(sc, draw + 1, seed=seed, keep_persons=True, curve_draws=0)
    c, i = _pick_draw(out, draw)
    rng = stream_generator(seed, "synth_details", draw)

    w = 7
    ref_w = np.asarray(c.referral)
    n = ref_w.size
    completed = np.asarray(c.completed[i])
    outcome = np.asarray(c.outcome[i])
    education = np.asarray(c.education[i])
    dp = np.asarray(c.dp[i])
    ref = (w * ref_w).astype(float)
    status = (w * c.course_end[i]).astype(float)
    start = np.where(outcome, w * c.start[i], np.nan).astype(float)
    end = np.where(outcome, w * (c.start[i] + c.spell[i]) - 1, np.nan).astype(float)
    award = np.where(dp, w * c.dp_week[i], np.nan).astype(float)

    day = sc.day_of
    T, W, M = day(as_of_date), day(sc.terms.outcome_window_end), day(sc.terms.measurement_date)
    Q = sc.indicators.min_spell_days
    # fixed contract dates only (not the as-of date), so a file reported at an interim date is
    # exactly the final file censored on that date
    thresholds = (W, M, M - Q + 1, day(sc.agreement.end))
    cap = _max_offsets((ref, status, start, end, award), thresholds)
    # one uniform per person, then a uniform offset in 0..cap (cap >= 0)
    offset = np.floor(rng.random(n) * (cap + 1)).astype(np.int64)
    ref, status, start, end, award = (x + offset for x in (ref, status, start, end, award))

    # part-time jobs (never qualifying) for persons without a spell or award
    pt_pick = rng.random(n) < part_time_share
    pt_delay = rng.integers(0, 21, n) * w
    pt_len = rng.integers(4, 53, n) * w
    pt_hours = rng.integers(10, 31, n).astype(float)
    part_time = pt_pick & ~outcome & ~dp
    start = np.where(part_time, status + pt_delay, start)
    end = np.where(part_time, status + pt_delay + pt_len - 1, end)

    # quality of life
    base = np.clip(np.round(rng.normal(*_QOL_BASELINE, n)), QOL_MIN, QOL_MAX)
    change = np.where(completed, rng.normal(*_QOL_CHANGE[True], n), rng.normal(*_QOL_CHANGE[False], n))
    follow = np.clip(np.round(base + change), QOL_MIN, QOL_MAX)
    base_missing = rng.random(n) < _QOL_MISSING_BASELINE
    follow_missing = rng.random(n) < _QOL_MISSING_FOLLOWUP

    # pseudonymous ids: 'SK-' + 8 hex digits, unique
    ids: list[str] = []
    seen: set[str] = set()
    while len(ids) < n:
        for v in rng.integers(0, 2**32, n - len(ids), dtype=np.uint64):
            code = f"SK-{int(v):08x}"
            if code not in seen:
                seen.add(code)
                ids.append(code)

    # censor at the as-of date
    referred = ref <= T
    if not referred.any():
        first = sc.agreement.start + dt.timedelta(days=int(ref.min()))
        raise InputError(Problem("as_of", as_of_date.isoformat(),
                                 f"a date on or after the first simulated referral ({first})"))
    known_status = status <= T
    started = np.isfinite(start) & (start <= T)
    ended = started & (end <= T)
    awarded = np.isfinite(award) & (award <= T)
    hours = np.where(part_time, pt_hours, float(sc.indicators.full_time_hours))

    def date_of(x: float) -> dt.date:
        return sc.agreement.start + dt.timedelta(days=int(x))

    rows = []
    for k in np.flatnonzero(referred):
        course = ("completed" if completed[k] else "dropped_out") if known_status[k] else "ongoing"
        if started[k]:
            kind = "job" if part_time[k] or not education[k] else "education"
        else:
            kind = "none"
        rows.append({
            "id": ids[k],
            "referral_date": date_of(ref[k]),
            "course_status": course,
            "course_status_date": date_of(status[k]) if known_status[k] else None,
            "outcome_type": kind,
            "outcome_start": date_of(start[k]) if started[k] else None,
            "outcome_end": date_of(end[k]) if ended[k] else None,
            "weekly_hours": hours[k] if started[k] else None,
            "dp_award_date": date_of(award[k]) if awarded[k] else None,
            "qol_baseline": None if base_missing[k] else base[k],
            "qol_followup": None if (follow_missing[k] or not known_status[k]) else follow[k],
        })
    raw = pd.DataFrame(rows)
    raw = raw.sort_values(["referral_date", "id"], kind="stable").reset_index(drop=True)
    return validate_observed(raw, source=f"synthetic data (seed {seed}, draw {draw})")
