"""Person-level states as of a date (they never leave the evaluation package) and their cross-tab."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simkit import indicators as ind
from simkit.evaluation.data import _days


@dataclass(frozen=True)
class _States:
    ref: np.ndarray
    completion: np.ndarray
    edu: np.ndarray
    running: np.ndarray         # edu pending because a full-time spell is running
    lasted: np.ndarray          # days a full-time spell has lasted by the as-of date (NaN: none)
    spell_start: np.ndarray     # full-time spells only (NaN otherwise)
    dp: np.ndarray
    latest_day: float


def _person_states(df: pd.DataFrame, sc, T: int) -> _States:
    start = sc.agreement.start
    W = sc.day_of(sc.terms.outcome_window_end)
    Q = sc.indicators.min_spell_days
    ref = _days(df["referral_date"], start)
    codes = {"completed": ind.COMPLETED, "dropped_out": ind.DROPPED_OUT, "ongoing": ind.ONGOING}
    course = df["course_status"].map(codes).to_numpy(dtype=np.int64)
    sday = _days(df["course_status_date"], start)
    completion = ind.completion_status(ref, course, np.where(np.isnan(sday), np.inf, sday), T)

    has_spell = df["outcome_type"].isin(["education", "job"]).to_numpy(dtype=bool)
    s0 = np.where(has_spell, _days(df["outcome_start"], start), np.nan)
    e_raw = _days(df["outcome_end"], start)
    e0 = np.where(has_spell, np.where(np.isnan(e_raw), np.inf, e_raw), np.nan)
    hours = df["weekly_hours"].to_numpy(dtype=float)
    full_time = has_spell & (np.nan_to_num(hours, nan=-1.0) >= sc.indicators.full_time_hours)
    edu = ind.edu_work_status(ref, s0, e0, full_time, T, W, Q)
    with np.errstate(invalid="ignore"):
        started = full_time & (s0 <= min(T, W))
        running = (edu == ind.PENDING) & started & (e0 > T)
        lasted = np.where(full_time & (s0 <= T), np.minimum(e0, T) - s0 + 1, np.nan)
    dp = ind.dp_status(ref, _days(df["dp_award_date"], start), T)

    all_days = np.concatenate([_days(df[c], start) for c in (
        "referral_date", "course_status_date", "outcome_start", "outcome_end", "dp_award_date")])
    latest = float(np.nanmax(all_days)) if np.isfinite(all_days).any() else math.nan
    return _States(ref, completion, edu, running, lasted, np.where(full_time, s0, np.nan), dp,
                   latest)


def _cross_tab(st: _States, referred: np.ndarray) -> dict[tuple[str, str], int]:
    """Count referred persons by completion status (A/F/P) and education/work state (A/F/S/N)."""
    A, F, P = ind.ACHIEVED, ind.FAILED, ind.PENDING
    comp = {"A": st.completion == A, "F": st.completion == F, "P": st.completion == P}
    edu = {"A": st.edu == A, "F": st.edu == F, "S": st.running,
           "N": (st.edu == P) & ~st.running}
    return {(c, e): int((referred & cm & em).sum()) for c, cm in comp.items()
            for e, em in edu.items()}
