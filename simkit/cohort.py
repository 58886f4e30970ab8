"""Person-level events in both arms, with common random numbers.

Arrays have shape ``(draw, person)``. Times are whole weeks since the
agreement start. Each person gets eight uniforms (the last axis of ``u``):

====  ========================================================================
u[0]  completes the course?  ``u < completion_rate``
u[1]  dropout week within the course (dropouts only)
u[2]  starts education/work? programme: ``u < outcome_rate_completers`` (or
      ``_dropouts``); business as usual: ``u < outcome_rate_bau``
u[3]  waiting time to the start (exponential, mean ``weeks_to_outcome[_bau]``)
u[4]  spell length (exponential, mean ``spell_mean_weeks[_bau]``), >= 1 week
u[5]  education (``u < education_share``) or ordinary work
u[6]  disability-pension award? (persons without an education/job start)
u[7]  award week, uniform from 26 weeks after referral to the horizon
====  ========================================================================

The same uniform drives the same event in both arms (inverse-CDF coupling),
so the two arms are positively coupled and the saving per person is paired:
with ``outcome_rate_completers >= outcome_rate_bau`` everyone who would have
started without the programme also starts with it.

Programme arm: referral week ``r``; the course lasts the sum of the phase
weeks for completers; dropouts leave after ``1 + floor(u1 (L − 1))`` weeks;
job search starts after the phase named ``search_starts_after`` (completers)
or at dropout; the spell starts ``floor(E)`` weeks later. Business as usual:
search starts at referral. A person with no start may be awarded a
disability pension; a person whose spell ends returns to benefits and stays
there (a simplification: no second spell, no later award).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["N_UNIFORMS", "Cohort", "simulate_cohort"]

N_UNIFORMS = 8
_NEVER = 2**24  # "does not happen" / "beyond any horizon" as a week number (x 7 fits int32)


@dataclass(frozen=True)
class Cohort:
    """Event weeks of one chunk of draws, shape (draw, person); both arms."""

    referral: np.ndarray        # (person,) referral week
    completed: np.ndarray       # bool
    course_end: np.ndarray      # week the course ended (completion or dropout)
    outcome: np.ndarray         # bool, programme arm starts education/work
    start: np.ndarray           # start week (programme), meaningful where outcome
    spell: np.ndarray           # spell length in weeks (programme)
    education: np.ndarray       # bool, spell is education (shared by both arms)
    dp: np.ndarray              # bool, programme arm disability pension award
    dp_week: np.ndarray         # award week (shared by both arms)
    outcome_bau: np.ndarray
    start_bau: np.ndarray
    spell_bau: np.ndarray
    dp_bau: np.ndarray


def _exp_weeks(mean, e):
    """floor(mean × E) for a standard exponential E: waiting time in whole weeks."""
    return np.minimum(np.asarray(mean, dtype=np.float32) * e, _NEVER).astype(np.int32)


def simulate_cohort(
    u: np.ndarray,
    p: dict[str, np.ndarray],
    referral: np.ndarray,
    *,
    course_weeks: int,
    search_offset: int,
    horizon_weeks: int,
) -> Cohort:
    """Turn uniforms into events for both arms.

    Parameters
    ----------
    u : ndarray, shape (draw, person, 8)
        Uniforms in [0, 1).
    p : dict name -> ndarray broadcastable to (draw, person)
        Parameter values (per draw, or per draw and person after dated changes).
    referral : ndarray, shape (person,)
        Referral weeks.
    course_weeks, search_offset, horizon_weeks : int
        Course length, weeks from referral to the start of job search for
        completers, and the budget horizon (award weeks are drawn before it).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> p = {k: np.array([[v]]) for k, v in dict(completion_rate=1, outcome_rate_completers=1,
    ...     outcome_rate_dropouts=0, outcome_rate_bau=0, weeks_to_outcome=0, weeks_to_outcome_bau=0,
    ...     spell_mean_weeks=52, spell_mean_weeks_bau=52, education_share=0.5, dp_rate_bau=0,
    ...     dp_relative_risk=1).items()}
    >>> c = simulate_cohort(rng.random((1, 3, 8)), p, np.array([0, 1, 2]), course_weeks=26,
    ...                     search_offset=14, horizon_weeks=520)
    >>> c.start.tolist()
    [[14, 15, 16]]
    """
    r = referral.astype(np.int32)[None, :]
    u = np.asarray(u)
    u0, u1, u2, u3, u4, u5, u6, u7 = (u[..., k] for k in range(N_UNIFORMS))

    completed = u0 < p["completion_rate"]
    drop_after = 1 + (u1 * max(course_weeks - 1, 0)).astype(np.int32)
    drop_after = np.minimum(drop_after, course_weeks)
    course_end = np.where(completed, r + course_weeks, r + drop_after)
    search = np.where(completed, r + search_offset, r + drop_after)
    p_out = np.where(completed, p["outcome_rate_completers"], p["outcome_rate_dropouts"])

    outcome = u2 < p_out
    outcome_bau = u2 < p["outcome_rate_bau"]
    e3, e4 = -np.log1p(-u3), -np.log1p(-u4)  # standard exponentials, shared by both arms
    start = search + _exp_weeks(p["weeks_to_outcome"], e3)
    start_bau = r + _exp_weeks(p["weeks_to_outcome_bau"], e3)
    spell = 1 + _exp_weeks(p["spell_mean_weeks"], e4)
    spell_bau = 1 + _exp_weeks(p["spell_mean_weeks_bau"], e4)
    education = u5 < p["education_share"]

    p_dp_bau = p["dp_rate_bau"]
    p_dp = np.minimum(p_dp_bau * p["dp_relative_risk"], 1.0)
    dp = ~outcome & (u6 < p_dp)
    dp_bau = ~outcome_bau & (u6 < p_dp_bau)
    first = r + 26
    span = np.maximum(horizon_weeks - first, 1)
    dp_week = first + (u7 * span).astype(np.int32)

    return Cohort(
        referral=referral, completed=completed, course_end=course_end, outcome=outcome,
        start=np.where(outcome, start, _NEVER), spell=spell, education=education, dp=dp,
        dp_week=dp_week, outcome_bau=outcome_bau, start_bau=np.where(outcome_bau, start_bau, _NEVER),
        spell_bau=spell_bau, dp_bau=dp_bau,
    )
