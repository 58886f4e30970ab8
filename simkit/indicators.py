"""Payment-target indicators: ONE definition for simulated and observed data.

The simulation (:mod:`simkit.engine`) and the evaluation of observed data
(:mod:`simkit.evaluation`) both call these functions, so they cannot disagree
on what "met" means. Everything is in **days since the agreement start**;
simulated weeks enter as ``7 × week``. Arrays have the person axis last and
any leading axes (draws) broadcast.

Status codes (``int8``):

=============  =====  ========================================================
``ACHIEVED``     1    counts towards the target, whatever happens later
``FAILED``       0    can no longer count
``PENDING``      2    not decided yet (censored): e.g. a spell still running
``NOT_REFERRED`` -1   not referred by the as-of date: outside the denominator
=============  =====  ========================================================

Definitions
-----------
*Completion* (target: "80 % of the referred complete the course"): achieved
when the course status is *completed* with its date on or before the as-of
date; failed when *dropped out* on or before it; otherwise pending.

*Education or ordinary full-time work for at least six months* ("mindst
halvdelen påbegynder uddannelse eller ordinært arbejde på fuld tid af minimum
seks måneders varighed"): a spell counts when it

1. starts on or before the outcome window end (and on or before the as-of date),
2. is full-time: weekly hours >= ``full_time_hours`` (unknown hours count as
   full-time only for simulated spells, which are generated as qualifying), and
3. has lasted ``min_days`` days (26 weeks = 182 days) by the as-of date,
   counting both the first and the last day: ``min(end, as_of) − start + 1``.

A spell that started but has not yet lasted ``min_days`` is *pending* while it
runs. A person with no qualifying spell (none yet, part-time, ended early) is
pending until the window end — they can still start one — and failed after.
``end`` is the spell's last day (inclusive); ``+inf`` means still running.

*Disability pension award*: an award date on or before the as-of date.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = [
    "ACHIEVED",
    "COMPLETED",
    "DROPPED_OUT",
    "FAILED",
    "NOT_REFERRED",
    "ONGOING",
    "PENDING",
    "completion_status",
    "count_statuses",
    "dp_status",
    "edu_work_status",
]

ACHIEVED, FAILED, PENDING, NOT_REFERRED = 1, 0, 2, -1
#: course status codes (final status known so far; its date says when it happened)
COMPLETED, DROPPED_OUT, ONGOING = 1, 0, 2


def completion_status(referral_day, course_status, status_day, as_of):
    """Completion status of each person as of day ``as_of``.

    Parameters
    ----------
    referral_day : array_like
        Day of referral.
    course_status : array_like of int
        ``COMPLETED``, ``DROPPED_OUT`` or ``ONGOING``.
    status_day : array_like
        Day on which the course was completed or dropped (ignored if ongoing).
        A status dated after ``as_of`` is not yet known: pending.
    as_of : int
        Day of assessment.

    Examples
    --------
    >>> completion_status([0, 0, 0], [COMPLETED, DROPPED_OUT, COMPLETED], [10, 5, 40], 30).tolist()
    [1, 0, 2]
    """
    referral_day = np.asarray(referral_day)
    course_status = np.asarray(course_status)
    status_day = np.asarray(status_day)
    known = status_day <= as_of
    # branch-free: statuses as sums of 0/1 terms (fast on random masks, same result as selects)
    ach = ((course_status == COMPLETED) & known).astype(np.int8)
    fail = ((course_status == DROPPED_OUT) & known).astype(np.int8)
    out = PENDING + ach * np.int8(ACHIEVED - PENDING) + fail * np.int8(FAILED - PENDING)
    return _not_referred(out, referral_day, as_of)


def _not_referred(out: np.ndarray, referral_day: np.ndarray, as_of) -> np.ndarray:
    """Set NOT_REFERRED where the referral is after ``as_of`` (arithmetic, no masks)."""
    nr = (referral_day > as_of).astype(np.int8)
    out = out + nr * (np.int8(NOT_REFERRED) - out)
    shape = np.broadcast_shapes(out.shape, nr.shape)
    return np.broadcast_to(out, shape).astype(np.int8, copy=True)


def edu_work_status(referral_day, start_day, end_day, full_time, as_of, window_end, min_days):
    """Education/ordinary full-time work status as of day ``as_of``.

    Parameters
    ----------
    referral_day : array_like
    start_day : array_like of float
        First day of the spell; ``nan`` or ``+inf`` for no spell.
    end_day : array_like of float
        Last day of the spell (inclusive); ``+inf`` if still running.
    full_time : array_like of bool
        Whether the spell meets the full-time hours rule.
    as_of, window_end, min_days : int
        Assessment day, last day a spell may start, qualifying length in days.

    Examples
    --------
    A spell from day 0 to day 181 lasts exactly 182 days (26 weeks) and counts;
    one ending on day 180 does not:

    >>> edu_work_status([0, 0], [0, 0], [181, 180], [True, True], 400, 300, 182).tolist()
    [1, 0]
    """
    referral_day = np.asarray(referral_day)
    start, end = _floating(start_day), _floating(end_day)
    full_time = np.asarray(full_time, dtype=bool)
    started = (start <= as_of) & (start <= window_end) & full_time  # nan compares False
    lasted = np.minimum(end, as_of) - start + 1
    achieved = started & (lasted >= min_days)
    running = started & ~achieved & (end > as_of)
    base = np.int8(FAILED if as_of >= window_end else PENDING)
    out = (base + running.astype(np.int8) * (np.int8(PENDING) - base)
           + achieved.astype(np.int8) * (np.int8(ACHIEVED) - base))  # running, achieved exclusive
    return _not_referred(out, referral_day, as_of)


def _floating(x) -> np.ndarray:
    """Days as a floating array (float32 stays float32: whole days up to 2**24 are exact)."""
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


def dp_status(referral_day, award_day, as_of):
    """Disability-pension award status: ACHIEVED (= awarded) if the award day is on/before ``as_of``.

    Examples
    --------
    >>> dp_status([0, 0, 40], [10, 50, 60], 30).tolist()  # awarded by day 30; later; referred after day 30
    [1, 0, -1]
    """
    referral_day = np.asarray(referral_day)
    award = _floating(award_day)
    out = FAILED + (award <= as_of).astype(np.int8) * np.int8(ACHIEVED - FAILED)
    return _not_referred(out, referral_day, as_of)


def count_statuses(completion: np.ndarray, edu_work: np.ndarray) -> Mapping[str, Mapping[str, np.ndarray]]:
    """Return counts over the person axis (last) in the structure :func:`simkit.contract.repayment` reads.

    ``referred`` counts everyone referred by the as-of date; the completer
    denominator counts completions achieved, and ``achieved_completed`` the
    education/work achievements among them.

    Examples
    --------
    >>> import numpy as np
    >>> c = count_statuses(np.array([[1, 1, 0, -1]]), np.array([[1, 0, 1, -1]]))  # four persons, one not referred
    >>> int(c["completion"]["achieved"][0]), int(c["edu_work"]["referred"][0]), int(c["edu_work"]["achieved_completed"][0])
    (2, 3, 1)
    """
    referred = (completion != NOT_REFERRED).sum(axis=-1)
    done = completion == ACHIEVED
    ew = edu_work == ACHIEVED
    return {
        "completion": {"achieved": done.sum(axis=-1), "referred": referred},
        "edu_work": {
            "achieved": ew.sum(axis=-1),
            "referred": referred,
            "achieved_completed": (ew & done).sum(axis=-1),
            "completed": done.sum(axis=-1),
        },
    }
