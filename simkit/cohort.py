"""Person-level events in both arms, with common random numbers.

Arrays have shape ``(draw, person)``; times are whole weeks since the
agreement start. Each person gets six uniforms (the last axis of ``u``):

====  =========================================================================
u[0]  completes the course if ``u < completion_rate``; for a dropout,
      ``(u − p)/(1 − p)`` — uniform and independent of the completion decision —
      places the dropout week within the course
u[1]  starts education/work? programme: ``u < outcome_rate_completers`` (or
      ``_dropouts``); business as usual: ``u < outcome_rate_bau``
u[2]  waiting time to the start: ``floor(mean × E)``, ``E = −log(1 − u)``
u[3]  spell length: ``1 + floor(mean × E)`` weeks (exponential)
u[4]  education (``u < education_share``) or ordinary work
u[5]  disability-pension award if ``u < p`` (persons without a start); the
      award week uses ``u / max(p_programme, p_bau)``, uniform given an award
      in either arm, from 26 weeks after referral to the horizon
====  =========================================================================

The same uniform drives the same event in both arms (inverse-CDF coupling),
so the arms are positively coupled and the saving per person is paired: with
``outcome_rate_completers >= outcome_rate_bau`` everyone who would have
started without the programme also starts with it, and the award week is the
same in both arms.

Programme arm: referral week ``r``; completers take the whole course (the sum
of the phase weeks); dropouts leave after ``1 + floor(v (L − 1))`` weeks; job
search starts after the phase named ``search_starts_after`` (completers) or
at dropout; the spell starts ``floor(mean E)`` weeks later. Business as
usual: search starts at referral. A person with no start may be awarded a
disability pension; a person whose spell ends returns to benefits and stays
there (a simplification: no second spell, no later award).

Only persons with an event (a start or an award in either arm) get the
per-person work — waiting times, spell lengths, award weeks — so those
arrays are *compressed*: 1-D over the flat indices ``idx`` of the active
(draw, person) cells. :meth:`Events.full` expands one to (draw, person).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["NEVER", "N_UNIFORMS", "Cohort", "Events", "simulate_cohort"]

N_UNIFORMS = 6
NEVER = 2**24  # "does not happen" / beyond any horizon, as a week number (x 7 still fits int32)


@dataclass(frozen=True)
class Events:
    """Events of one chunk of draws in both arms.

    ``completed``, ``course_end``, ``outcome``, ``outcome_bau``, ``dp``,
    ``dp_bau`` have shape (draw, person); the rest are compressed over the
    active cells ``idx`` (flat indices into (draw, person)).
    """

    shape: tuple[int, int]
    referral: np.ndarray       # (person,)
    completed: np.ndarray
    course_end: np.ndarray
    outcome: np.ndarray
    outcome_bau: np.ndarray
    dp: np.ndarray
    dp_bau: np.ndarray
    idx: np.ndarray            # (K,) active flat indices
    start: np.ndarray          # (K,) programme start week, NEVER if none
    spell: np.ndarray          # (K,)
    start_bau: np.ndarray
    spell_bau: np.ndarray
    education: np.ndarray      # (K,) bool
    dp_week: np.ndarray        # (K,) award week (shared by both arms)

    @property
    def draw_of(self) -> np.ndarray:
        """The draw index of each active cell."""
        return self.idx // self.shape[1]

    @property
    def person_of(self) -> np.ndarray:
        """The person index of each active cell."""
        return self.idx % self.shape[1]

    def take(self, name: str) -> np.ndarray:
        """Return a (draw, person) array restricted to the active cells.

        Examples
        --------
        >>> import numpy as np
        >>> p = {k: np.array([[v]]) for k, v in dict(completion_rate=1, outcome_rate_completers=1,
        ...     outcome_rate_dropouts=0, outcome_rate_bau=0, weeks_to_outcome=0, weeks_to_outcome_bau=0,
        ...     spell_mean_weeks=52, spell_mean_weeks_bau=52, education_share=0.5, dp_rate_bau=0,
        ...     dp_relative_risk=1).items()}
        >>> ev = simulate_cohort(np.random.default_rng(0).random((1, 3, 6)), p, np.array([0, 1, 2]),
        ...                      course_weeks=26, search_offset=14, horizon_weeks=520)
        >>> ev.take("outcome").tolist()  # everyone completes and finds work: all three cells are active
        [True, True, True]
        """
        return getattr(self, name).reshape(-1)[self.idx]

    def full(self, name: str, fill) -> np.ndarray:
        """Expand a compressed array to (draw, person), ``fill`` elsewhere.

        Examples
        --------
        >>> import numpy as np
        >>> p = {k: np.array([[v]]) for k, v in dict(completion_rate=1, outcome_rate_completers=1,
        ...     outcome_rate_dropouts=0, outcome_rate_bau=0, weeks_to_outcome=0, weeks_to_outcome_bau=0,
        ...     spell_mean_weeks=52, spell_mean_weeks_bau=52, education_share=0.5, dp_rate_bau=0,
        ...     dp_relative_risk=1).items()}
        >>> ev = simulate_cohort(np.random.default_rng(0).random((1, 3, 6)), p, np.array([0, 1, 2]),
        ...                      course_weeks=26, search_offset=14, horizon_weeks=520)
        >>> ev.full("start", -1).tolist()  # referral + 14 weeks' search offset, no wait
        [[14, 15, 16]]
        """
        v = getattr(self, name)
        out = np.full(self.shape[0] * self.shape[1], fill, dtype=v.dtype)
        out[self.idx] = v
        return out.reshape(self.shape)


@dataclass(frozen=True)
class Cohort:
    """Full (draw, person) event arrays of both arms (for synthetic data and inspection)."""

    referral: np.ndarray
    completed: np.ndarray
    course_end: np.ndarray
    outcome: np.ndarray
    start: np.ndarray
    spell: np.ndarray
    education: np.ndarray
    dp: np.ndarray
    dp_week: np.ndarray
    outcome_bau: np.ndarray
    start_bau: np.ndarray
    spell_bau: np.ndarray
    dp_bau: np.ndarray

    @classmethod
    def from_events(cls, ev: Events) -> Cohort:
        """Return the full (draw, person) arrays of compressed :class:`Events`.

        Examples
        --------
        >>> import numpy as np
        >>> p = {k: np.array([[v]]) for k, v in dict(completion_rate=1, outcome_rate_completers=1,
        ...     outcome_rate_dropouts=0, outcome_rate_bau=0, weeks_to_outcome=0, weeks_to_outcome_bau=0,
        ...     spell_mean_weeks=52, spell_mean_weeks_bau=52, education_share=0.5, dp_rate_bau=0,
        ...     dp_relative_risk=1).items()}
        >>> ev = simulate_cohort(np.random.default_rng(0).random((1, 3, 6)), p, np.array([0, 1, 2]),
        ...                      course_weeks=26, search_offset=14, horizon_weeks=520)
        >>> Cohort.from_events(ev).start.tolist()
        [[14, 15, 16]]
        """
        return cls(
            referral=ev.referral, completed=ev.completed, course_end=ev.course_end, outcome=ev.outcome,
            start=ev.full("start", NEVER), spell=ev.full("spell", 1), education=ev.full("education", False),
            dp=ev.dp, dp_week=ev.full("dp_week", NEVER), outcome_bau=ev.outcome_bau,
            start_bau=ev.full("start_bau", NEVER), spell_bau=ev.full("spell_bau", 1), dp_bau=ev.dp_bau,
        )


def _weeks(mean, e):
    """floor(mean × E) in whole weeks, capped at NEVER."""
    return np.minimum(np.asarray(mean, dtype=np.float32) * e, NEVER).astype(np.int32)


def _at(p: np.ndarray, draw: np.ndarray, person: np.ndarray) -> np.ndarray:
    """Parameter values (draw, 1) or (draw, person) at compressed cells."""
    return p[draw, 0] if p.shape[1] == 1 else p[draw, person]


def simulate_cohort(
    u: np.ndarray,
    p: dict[str, np.ndarray],
    referral: np.ndarray,
    *,
    course_weeks: int,
    search_offset: int,
    horizon_weeks: int,
) -> Events:
    """Turn uniforms into events for both arms.

    Parameters
    ----------
    u : ndarray, shape (draw, person, 6)
        Uniforms in [0, 1).
    p : dict name -> ndarray of shape (draw, 1) or (draw, person)
        Parameter values (per draw, or per person after dated changes).
    referral : ndarray, shape (person,)
        Referral weeks.
    course_weeks, search_offset, horizon_weeks : int
        Course length, weeks from referral to the start of job search for
        completers, and the budget horizon (award weeks fall before it).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> p = {k: np.array([[v]]) for k, v in dict(completion_rate=1, outcome_rate_completers=1,
    ...     outcome_rate_dropouts=0, outcome_rate_bau=0, weeks_to_outcome=0, weeks_to_outcome_bau=0,
    ...     spell_mean_weeks=52, spell_mean_weeks_bau=52, education_share=0.5, dp_rate_bau=0,
    ...     dp_relative_risk=1).items()}
    >>> ev = simulate_cohort(rng.random((1, 3, 6)), p, np.array([0, 1, 2]), course_weeks=26,
    ...                      search_offset=14, horizon_weeks=520)
    >>> ev.full("start", -1).tolist()
    [[14, 15, 16]]
    """
    n, persons = u.shape[0], u.shape[1]
    r = referral.astype(np.int32)[None, :]
    uc, uo = u[..., 0], u[..., 1]
    # Branch-free arithmetic throughout: np.where and boolean-mask indexing on random
    # masks cost several ns per element (branch misprediction); blends cost < 1 ns.
    L = np.int32(course_weeks)
    pc = p["completion_rate"]
    completed = uc < pc
    c32 = completed.astype(np.int32)
    # dropout week: (u - p)/(1 - p) is uniform on [0, 1) given a dropout
    v = (uc - pc) / np.maximum(1.0 - pc, 1e-12)
    np.clip(v, 0.0, 0.999999, out=v)
    drop_after = np.minimum(1 + (v * max(course_weeks - 1, 0)).astype(np.int32), L)
    course_end = r + drop_after + c32 * (L - drop_after)

    cf = completed.astype(np.float32)  # p * 1 + q * 0 is exactly p: same as a select
    outcome = uo < p["outcome_rate_completers"] * cf + p["outcome_rate_dropouts"] * (1 - cf)
    outcome_bau = uo < p["outcome_rate_bau"]
    p_dp_bau = p["dp_rate_bau"]
    p_dp = np.minimum(p_dp_bau * p["dp_relative_risk"], 1.0)
    ud = u[..., 5]
    dp = ~outcome & (ud < p_dp)
    dp_bau = ~outcome_bau & (ud < p_dp_bau)

    # per-person work only where something happens in either arm
    idx = np.flatnonzero((outcome | outcome_bau | dp | dp_bau).reshape(-1))
    d, q = idx // persons, idx % persons
    uf = np.take(u.reshape(n * persons, -1), idx, axis=0)  # take: 4x faster than fancy rows
    rr = referral.astype(np.int32)[q]
    comp = c32.reshape(-1)[idx]
    search = course_end.reshape(-1)[idx] - comp * (L - np.int32(search_offset))
    # exponentials E = -log(1 - u); float32 log is vectorised, log1p is not
    e_wait = -np.log(1 - uf[:, 2])
    e_spell = -np.log(1 - uf[:, 3])
    out_k = outcome.reshape(-1)[idx].astype(np.int32)
    outb_k = outcome_bau.reshape(-1)[idx].astype(np.int32)
    start = search + _weeks(_at(p["weeks_to_outcome"], d, q), e_wait)
    start = NEVER + out_k * (start - NEVER)
    start_bau = rr + _weeks(_at(p["weeks_to_outcome_bau"], d, q), e_wait)
    start_bau = NEVER + outb_k * (start_bau - NEVER)
    spell = 1 + _weeks(_at(p["spell_mean_weeks"], d, q), e_spell)
    spell_bau = 1 + _weeks(_at(p["spell_mean_weeks_bau"], d, q), e_spell)
    education = uf[:, 4] < _at(p["education_share"], d, q)
    p_max = np.maximum(_at(p_dp, d, q), _at(np.broadcast_to(p_dp_bau, p_dp.shape), d, q))
    w = np.clip(uf[:, 5] / np.maximum(p_max, 1e-12), 0.0, 0.999999)
    first = rr + 26
    dp_week = first + (w * np.maximum(horizon_weeks - first, 1)).astype(np.int32)

    return Events(
        shape=(n, persons), referral=referral, completed=completed, course_end=course_end,
        outcome=outcome, outcome_bau=outcome_bau, dp=dp, dp_bau=dp_bau, idx=idx,
        start=start.astype(np.int32), spell=spell, start_bau=start_bau.astype(np.int32),
        spell_bau=spell_bau, education=education, dp_week=dp_week.astype(np.int32),
    )
