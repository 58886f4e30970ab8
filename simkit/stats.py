"""Exact statistics for deciding whether payment targets are met.

An evaluator has counts ("78 of the 95 referred completed") and targets
("80 % complete"). This module answers, exactly rather than by simulation:

* how many successes a target needs (:func:`needed_count`);
* what the observed rate says about the true rate: the Clopper–Pearson
  interval (:func:`clopper_pearson`) and a Beta posterior
  (:func:`beta_posterior`, :func:`prob_rate_at_least`);
* how likely a count target is to be met when the count is binomial or
  beta-binomial (:func:`binom_tail`, :func:`betabinom_tail`);
* at an interim date, how likely the target is to be met in the end, given
  what is already achieved and the persons still pending
  (:func:`predictive_count_pmf`, :func:`prob_final_at_least`);
* before/after changes on a scale measured twice on the same persons
  (:func:`paired_difference`).

Counts ``k``, ``n`` and the like broadcast against each other as numpy
arrays; a scalar in gives a numpy scalar out. This module is not on the
simulation hot path: clarity and exactness come before speed, and
``scipy.stats`` is used freely.

Invalid arguments raise :class:`simkit.errors.InputError` naming the function,
the argument, the offending value and what was expected.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, special
from scipy import stats as sps

from simkit.contract import needed_count  # the one definition, re-exported here
from simkit.errors import InputError, Problem

__all__ = [
    "NEEDED_COUNT_EPS",
    "Interval",
    "PairedDifference",
    "beta_posterior",
    "betabinom_pmf",
    "betabinom_tail",
    "binom_tail",
    "clopper_pearson",
    "needed_count",
    "paired_difference",
    "predictive_count_pmf",
    "prob_final_at_least",
    "prob_rate_at_least",
]

#: Absolute tolerance, on the count scale, used by :func:`needed_count`:
#: ``k`` counts as reaching ``threshold * n`` when ``k >= threshold * n - 1e-9``.
#: Floating-point products such as ``0.55 * 100 = 55.00000000000001`` are off by
#: about ``n * 1e-16``; genuine fractional parts are at least ``1 / q`` for a
#: threshold ``p / q`` — far larger than 1e-9 for any threshold written in
#: percent or per mille.
NEEDED_COUNT_EPS = 1e-9


class Interval(NamedTuple):
    """A two-sided interval; unpacks as ``low, high``."""

    low: float | np.ndarray
    high: float | np.ndarray


# ---------------------------------------------------------------------------
# validation helpers
# ---------------------------------------------------------------------------


def _first_bad(arr: np.ndarray, bad: np.ndarray) -> object:
    """Return the first offending element of ``arr`` (as a Python scalar)."""
    return np.broadcast_to(arr, bad.shape)[bad].flat[0].item()


def _as_float(x: ArrayLike, func: str, name: str) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise InputError(Problem(f"{func}: {name}", x, "a number or array of numbers")) from None
    return arr


def _check_integer(x: ArrayLike, func: str, name: str, *, minimum: int | None = 0) -> np.ndarray:
    """Integer-valued (possibly float-typed) array → int64 array, else InputError."""
    arr = _as_float(x, func, name)
    bad = ~np.isfinite(arr) | (arr != np.round(arr))
    if np.any(bad):
        raise InputError(Problem(f"{func}: {name}", _first_bad(arr, bad), "whole numbers"))
    if minimum is not None:
        bad = arr < minimum
        if np.any(bad):
            raise InputError(
                Problem(f"{func}: {name}", _first_bad(arr, bad), f"whole numbers >= {minimum}")
            )
    return arr.astype(np.int64)


def _check_counts(k: ArrayLike, n: ArrayLike, func: str) -> tuple[np.ndarray, np.ndarray]:
    """Validate ``0 <= k <= n`` (whole numbers) and broadcast."""
    k_arr = _check_integer(k, func, "k")
    n_arr = _check_integer(n, func, "n")
    try:
        k_arr, n_arr = np.broadcast_arrays(k_arr, n_arr)
    except ValueError:
        raise InputError(
            Problem(f"{func}: k, n", (k_arr.shape, n_arr.shape), "shapes that broadcast")
        ) from None
    bad = k_arr > n_arr
    if np.any(bad):
        raise InputError(
            Problem(f"{func}: k", _first_bad(k_arr, bad), "at most n (k successes of n)")
        )
    return k_arr, n_arr


def _check_unit(x: ArrayLike, func: str, name: str) -> np.ndarray:
    """Validate values in the closed interval [0, 1]."""
    arr = _as_float(x, func, name)
    bad = ~((arr >= 0.0) & (arr <= 1.0))  # also catches NaN
    if np.any(bad):
        raise InputError(Problem(f"{func}: {name}", _first_bad(arr, bad), "a number in [0, 1]"))
    return arr


def _check_positive(x: ArrayLike, func: str, name: str) -> np.ndarray:
    arr = _as_float(x, func, name)
    bad = ~((arr > 0.0) & np.isfinite(arr))
    if np.any(bad):
        raise InputError(Problem(f"{func}: {name}", _first_bad(arr, bad), "a finite number > 0"))
    return arr


def _check_level(level: float, func: str) -> float:
    try:
        value = float(level)
    except (TypeError, ValueError):
        value = math.nan
    if not 0.0 < value < 1.0:
        raise InputError(
            Problem(f"{func}: level", level, "a confidence level in (0, 1), e.g. 0.95")
        )
    return value


def _check_prior(prior: Sequence[float], func: str) -> tuple[float, float]:
    try:
        a, b = (float(v) for v in prior)
    except (TypeError, ValueError):
        raise InputError(
            Problem(f"{func}: prior", prior, "a pair (a, b) of Beta parameters > 0")
        ) from None
    if not (a > 0 and b > 0 and math.isfinite(a) and math.isfinite(b)):
        raise InputError(Problem(f"{func}: prior", prior, "a pair (a, b) of Beta parameters > 0"))
    return a, b


def _out(arr: np.ndarray) -> np.ndarray:
    """Return a numpy scalar for 0-d arrays, the array otherwise."""
    return arr[()]


# ---------------------------------------------------------------------------
# targets and intervals
# ---------------------------------------------------------------------------


def clopper_pearson(k: ArrayLike, n: ArrayLike, level: float = 0.95) -> Interval:
    """Exact (Clopper–Pearson) two-sided confidence interval for a binomial rate.

    With ``alpha = 1 - level`` the bounds solve
    ``P(X >= k | low) = alpha/2`` and ``P(X <= k | high) = alpha/2`` for
    ``X ~ Binomial(n, p)``, which in terms of Beta quantiles is
    ``low = B^{-1}(alpha/2; k, n-k+1)`` and
    ``high = B^{-1}(1-alpha/2; k+1, n-k)`` (Clopper & Pearson 1934,
    Biometrika 26(4) 404–413; Brown, Cai & DasGupta 2001, Statist. Sci.
    16(2) 101–133). By convention ``low = 0`` when ``k = 0`` and
    ``high = 1`` when ``k = n``. The coverage is at least ``level`` for every
    true rate ("exact" = conservative, never anti-conservative).

    Parameters
    ----------
    k, n : int or array_like
        Successes and trials, ``0 <= k <= n``; broadcast together.
    level : float, default 0.95
        Two-sided confidence level in (0, 1).

    Returns
    -------
    Interval
        ``(low, high)``; both NaN where ``n = 0``.

    Examples
    --------
    >>> low, high = clopper_pearson(78, 95)
    >>> round(float(low), 4), round(float(high), 4)
    (0.729, 0.8922)
    >>> clopper_pearson(0, 10).low
    np.float64(0.0)
    """
    func = "clopper_pearson"
    k_arr, n_arr = _check_counts(k, n, func)
    alpha = 1.0 - _check_level(level, func)
    kf = k_arr.astype(float)
    nf = n_arr.astype(float)
    has_low = k_arr > 0
    has_high = k_arr < n_arr
    # Dummy (valid) shape parameters where the bound is fixed by convention.
    low = special.betaincinv(
        np.where(has_low, kf, 1.0), np.where(has_low, nf - kf + 1.0, 1.0), alpha / 2
    )
    high = special.betaincinv(
        np.where(has_high, kf + 1.0, 1.0), np.where(has_high, nf - kf, 1.0), 1.0 - alpha / 2
    )
    low = np.where(has_low, low, 0.0)
    high = np.where(has_high, high, 1.0)
    empty = n_arr == 0
    low = np.where(empty, np.nan, low)
    high = np.where(empty, np.nan, high)
    return Interval(_out(low), _out(high))


def beta_posterior(
    k: ArrayLike, n: ArrayLike, prior: Sequence[float] = (0.5, 0.5)
) -> tuple[np.ndarray, np.ndarray]:
    """Beta posterior of a binomial rate after ``k`` successes in ``n`` trials.

    With prior ``Beta(a, b)`` the posterior is ``Beta(a + k, b + n - k)``
    (conjugacy; Gelman et al. 2013, *Bayesian Data Analysis*, 3rd ed., ch. 2).
    The default ``(0.5, 0.5)`` is the Jeffreys prior (Jeffreys 1946;
    Brown, Cai & DasGupta 2001 recommend its intervals for small n).

    Parameters
    ----------
    k, n : int or array_like
        Successes and trials, ``0 <= k <= n``.
    prior : (float, float), default (0.5, 0.5)
        Prior Beta parameters ``(a, b)``, both > 0. ``(1, 1)`` is uniform.

    Returns
    -------
    a_post, b_post : numpy.float64 or ndarray
        Posterior Beta parameters.

    Examples
    --------
    >>> a, b = beta_posterior(78, 95)
    >>> float(a), float(b)
    (78.5, 17.5)
    """
    func = "beta_posterior"
    k_arr, n_arr = _check_counts(k, n, func)
    a, b = _check_prior(prior, func)
    return _out(a + k_arr.astype(float)), _out(b + (n_arr - k_arr).astype(float))


def prob_rate_at_least(
    k: ArrayLike,
    n: ArrayLike,
    threshold: ArrayLike,
    prior: Sequence[float] = (0.5, 0.5),
) -> np.ndarray:
    """Posterior probability that the true rate is at least ``threshold``.

    ``P(p >= t | k, n) = 1 - I_t(a + k, b + n - k)``, the upper tail of the
    Beta posterior of :func:`beta_posterior` (``I`` is the regularised
    incomplete beta function, DLMF 8.17.2). This is about the *underlying*
    rate, not the realised count: a cohort can meet "80 % complete" while the
    rate behind it is probably below 0.8, and vice versa.

    Parameters
    ----------
    k, n : int or array_like
        Successes and trials, ``0 <= k <= n``.
    threshold : float or array_like
        Rate threshold in [0, 1].
    prior : (float, float), default (0.5, 0.5)
        Prior Beta parameters (Jeffreys by default).

    Returns
    -------
    numpy.float64 or ndarray
        Probabilities, broadcast over ``k``, ``n`` and ``threshold``.

    Examples
    --------
    >>> round(float(prob_rate_at_least(78, 95, 0.8)), 4)
    0.6891
    """
    func = "prob_rate_at_least"
    k_arr, n_arr = _check_counts(k, n, func)
    t = _check_unit(threshold, func, "threshold")
    a, b = _check_prior(prior, func)
    a_post = a + k_arr.astype(float)
    b_post = b + (n_arr - k_arr).astype(float)
    return _out(np.asarray(special.betaincc(a_post, b_post, t), dtype=float))


# ---------------------------------------------------------------------------
# count tails
# ---------------------------------------------------------------------------


def binom_tail(k_min: ArrayLike, n: ArrayLike, p: ArrayLike) -> np.ndarray:
    """``P(X >= k_min)`` for ``X ~ Binomial(n, p)``.

    Uses ``P(X >= k) = I_p(k, n - k + 1)`` for ``1 <= k <= n`` (DLMF 8.17.5;
    Abramowitz & Stegun 26.5.24), which is accurate in both tails; the tail
    is 1 for ``k_min <= 0`` and 0 for ``k_min > n``.

    Parameters
    ----------
    k_min : int or array_like
        Smallest count that meets the target (any whole number).
    n : int or array_like
        Number of trials, whole numbers >= 0.
    p : float or array_like
        Success probability in [0, 1].

    Returns
    -------
    numpy.float64 or ndarray
        Tail probabilities, broadcast over the inputs.

    Examples
    --------
    >>> round(float(binom_tail(80, 100, 0.8)), 6)
    0.559462
    """
    func = "binom_tail"
    k_arr = _check_integer(k_min, func, "k_min", minimum=None)
    n_arr = _check_integer(n, func, "n")
    p_arr = _check_unit(p, func, "p")
    k_arr, n_arr, p_arr = np.broadcast_arrays(k_arr, n_arr, p_arr)
    inside = (k_arr >= 1) & (k_arr <= n_arr)
    a = np.where(inside, k_arr, 1).astype(float)
    b = np.where(inside, n_arr - k_arr + 1, 1).astype(float)
    tail = special.betainc(a, b, p_arr)
    tail = np.where(inside, tail, np.where(k_arr <= 0, 1.0, 0.0))
    return _out(tail)


def betabinom_pmf(x: ArrayLike, n: ArrayLike, a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """Beta-binomial probability mass ``P(X = x)``.

    ``P(X = x) = C(n, x) B(x + a, n - x + b) / B(a, b)`` for ``0 <= x <= n``
    and 0 otherwise (Johnson, Kemp & Kotz 2005, *Univariate Discrete
    Distributions*, 3rd ed., ch. 6). ``X`` is the number of successes among
    ``n`` persons who share one success probability drawn from ``Beta(a, b)``.
    Evaluated in log space with ``scipy.special.gammaln``/``betaln``.

    Parameters
    ----------
    x : int or array_like
        Counts (any whole numbers).
    n : int or array_like
        Group size, whole numbers >= 0.
    a, b : float or array_like
        Beta parameters, > 0.

    Returns
    -------
    numpy.float64 or ndarray

    Examples
    --------
    >>> betabinom_pmf([0, 1, 2], 2, 1.0, 1.0).round(6).tolist()
    [0.333333, 0.333333, 0.333333]
    """
    func = "betabinom_pmf"
    x_arr = _check_integer(x, func, "x", minimum=None)
    n_arr = _check_integer(n, func, "n")
    a_arr = _check_positive(a, func, "a")
    b_arr = _check_positive(b, func, "b")
    return _out(_betabinom_pmf(x_arr, n_arr, a_arr, b_arr))


def _betabinom_pmf(x, n, a, b) -> np.ndarray:
    x, n, a, b = np.broadcast_arrays(x, n, a, b)
    inside = (x >= 0) & (x <= n)
    xs = np.where(inside, x, 0).astype(float)
    nf = n.astype(float)
    log_pmf = (
        special.gammaln(nf + 1)
        - special.gammaln(xs + 1)
        - special.gammaln(nf - xs + 1)
        + special.betaln(xs + a, nf - xs + b)
        - special.betaln(a, b)
    )
    return np.where(inside, np.exp(log_pmf), 0.0)


def betabinom_tail(k_min: ArrayLike, n: ArrayLike, a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """``P(X >= k_min)`` for ``X ~ BetaBinomial(n, a, b)``.

    The count of successes among ``n`` persons sharing one success
    probability ``p ~ Beta(a, b)``; e.g. with ``(a, b)`` from
    :func:`beta_posterior` this is the posterior predictive probability that a
    new cohort of ``n`` meets a count target. Computed by summing the pmf
    (:func:`betabinom_pmf`) over ``k_min, ..., n`` — a sum of positive terms,
    so small tails keep full relative accuracy (``scipy.stats.betabinom.sf``
    computes ``1 - cdf`` and loses them). The tail is exactly 1 for
    ``k_min <= 0`` and 0 for ``k_min > n``; elsewhere the relative error is
    about 1e-14 (from the log-gamma terms).

    Parameters
    ----------
    k_min : int or array_like
        Smallest count that meets the target (any whole number).
    n : int or array_like
        Group size, whole numbers >= 0.
    a, b : float or array_like
        Beta parameters, > 0.

    Returns
    -------
    numpy.float64 or ndarray
        Tail probabilities, broadcast over the inputs.

    Examples
    --------
    >>> round(float(betabinom_tail(1, 1, 2.0, 3.0)), 6)  # = a / (a + b)
    0.4
    """
    func = "betabinom_tail"
    k_arr = _check_integer(k_min, func, "k_min", minimum=None)
    n_arr = _check_integer(n, func, "n")
    a_arr = _check_positive(a, func, "a")
    b_arr = _check_positive(b, func, "b")
    k_arr, n_arr, a_arr, b_arr = np.broadcast_arrays(k_arr, n_arr, a_arr, b_arr)
    out = np.empty(k_arr.shape, dtype=float)
    for idx in np.ndindex(k_arr.shape):
        k0, n0 = int(k_arr[idx]), int(n_arr[idx])
        if k0 <= 0 or k0 > n0:
            out[idx] = 1.0 if k0 <= 0 else 0.0
            continue
        xs = np.arange(k0, n0 + 1)
        out[idx] = _betabinom_pmf(xs, n0, a_arr[idx], b_arr[idx])[::-1].sum()
    return _out(np.minimum(out, 1.0))


# ---------------------------------------------------------------------------
# interim prediction
# ---------------------------------------------------------------------------


def _group_pmf(group: object, i: int) -> np.ndarray:
    where = f"predictive_count_pmf: groups[{i}]"
    expected = "(m, a, b) with Beta parameters a, b > 0, or (m, p) / (m, p, None) with p in [0, 1]"
    if isinstance(group, str) or not isinstance(group, Iterable):
        raise InputError(Problem(where, group, expected))
    parts = tuple(group)
    if len(parts) == 2:
        parts = (*parts, None)
    if len(parts) != 3 or parts[1] is None:
        raise InputError(Problem(where, group, expected))
    m_raw, first, second = parts
    try:
        m_val = float(m_raw)
        first_val = float(first)
        second_val = None if second is None else float(second)
    except (TypeError, ValueError):
        raise InputError(Problem(where, group, expected)) from None
    if not (math.isfinite(m_val) and m_val >= 0 and m_val == round(m_val)):
        raise InputError(Problem(f"{where} m", m_raw, "a whole number >= 0 of pending persons"))
    m = int(m_val)
    xs = np.arange(m + 1)
    if second_val is None:
        if not 0.0 <= first_val <= 1.0:
            raise InputError(Problem(f"{where} p", first, "a probability in [0, 1]"))
        return np.asarray(sps.binom.pmf(xs, m, first_val), dtype=float)
    if not (first_val > 0 and second_val > 0 and math.isfinite(first_val + second_val)):
        raise InputError(Problem(where, group, expected))
    return _betabinom_pmf(xs, m, first_val, second_val)


def predictive_count_pmf(groups: Iterable[Sequence[float | None]]) -> np.ndarray:
    """Exact pmf of the number of future successes among pending persons.

    Model: the pending persons fall into independent groups. Group ``g`` has
    ``m_g`` persons who are exchangeable within the group and share one
    success probability ``p_g``:

    * ``(m, a, b)`` — ``p_g ~ Beta(a, b)``, one draw for the whole group, so
      the group's count is ``BetaBinomial(m, a, b)`` (persons in a group are
      positively correlated through the shared unknown rate);
    * ``(m, p)`` or ``(m, p, None)`` — ``p_g = p`` known, so the group's count
      is ``Binomial(m, p)`` (persons independent).

    Groups are independent of each other (their rates are not shared), so the
    pmf of the total ``S = sum_g S_g`` is the convolution of the group pmfs,
    evaluated exactly by direct (not FFT) convolution. Typical use: for a
    target such as "education or work for 26 weeks", persons whose spell is
    still running are one group, persons not yet started another, each with a
    Beta posterior from comparable resolved persons (:func:`beta_posterior`).

    Parameters
    ----------
    groups : iterable of tuples
        ``(m, a, b)`` or ``(m, p)`` / ``(m, p, None)`` as above; ``m`` is a
        whole number >= 0. No groups means ``S = 0``.

    Returns
    -------
    ndarray
        ``pmf[s] = P(S = s)`` for ``s = 0, ..., sum(m)``.

    Examples
    --------
    >>> predictive_count_pmf([(1, 0.5), (1, 1.0, 1.0)]).round(12).tolist()
    [0.25, 0.5, 0.25]
    """
    pmf = np.ones(1)
    for i, group in enumerate(groups):
        pmf = np.convolve(pmf, _group_pmf(group, i))
    return pmf


def prob_final_at_least(
    achieved: ArrayLike, groups: Iterable[Sequence[float | None]], needed: ArrayLike
) -> np.ndarray:
    """Probability that a count target is met once all pending persons resolve.

    ``P(achieved + S >= needed)`` with ``S`` the number of future successes
    among the pending persons, distributed as in :func:`predictive_count_pmf`
    (independent groups; exchangeable persons sharing one rate within a group).

    Parameters
    ----------
    achieved : int or array_like
        Successes already final, whole numbers >= 0.
    groups : iterable of tuples
        Pending groups, ``(m, a, b)`` or ``(m, p)``; see
        :func:`predictive_count_pmf`.
    needed : int or array_like
        Count that meets the target (e.g. :func:`needed_count`), whole
        numbers >= 0; broadcast against ``achieved``.

    Returns
    -------
    numpy.float64 or ndarray
        Probabilities; 1 where already met, 0 where out of reach.

    Examples
    --------
    Target 76 of 95; 70 completed, 10 still in the course with a completion
    rate known to be 0.6:

    >>> round(float(prob_final_at_least(70, [(10, 0.6)], 76)), 4)
    0.6331
    """
    func = "prob_final_at_least"
    ach = _check_integer(achieved, func, "achieved")
    need = _check_integer(needed, func, "needed")
    pmf = predictive_count_pmf(groups)
    # tail[s] = P(S >= s) for s = 0..M+1, summed from the top (positive terms).
    tail = np.append(np.cumsum(pmf[::-1])[::-1], 0.0)
    tail = np.minimum(tail, 1.0)
    tail[0] = 1.0
    short = np.clip(need - ach, 0, pmf.size)
    return _out(tail[short])


# ---------------------------------------------------------------------------
# paired before/after
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PairedDifference:
    """Result of :func:`paired_difference` (differences are ``after - before``).

    Attributes
    ----------
    n : int
        Complete pairs used.
    n_dropped : int
        Pairs dropped because ``before`` or ``after`` was NaN.
    mean_diff, sd_diff : float
        Mean and sample standard deviation (``ddof=1``) of the differences.
    level : float
        Confidence level of both intervals.
    ci : Interval
        t-interval for the mean difference.
    t_statistic : float
        Paired t statistic ``mean_diff / (sd_diff / sqrt(n))``.
    df : int
        Degrees of freedom, ``n - 1``.
    p_value : float
        Two-sided p-value of the paired t-test of mean difference 0.
    cohen_dz : float
        Standardised mean difference ``mean_diff / sd_diff``.
    dz_ci : Interval
        Confidence interval for the population d_z by inverting the
        noncentral t distribution (exact if the differences are normal,
        approximate otherwise).
    """

    n: int
    n_dropped: int
    mean_diff: float
    sd_diff: float
    level: float
    ci: Interval
    t_statistic: float
    df: int
    p_value: float
    cohen_dz: float
    dz_ci: Interval


def _nct_cdf(t_obs: float, df: int, nc: float) -> float:
    """``P(T <= t_obs)`` for noncentral t; large-argument fallback where scipy gives NaN.

    ``T = (Z + nc) / S`` with ``S = sqrt(chi2_df / df)``. When scipy's
    ``nct.cdf`` fails (|nc| beyond about 1e5) ``Z`` is negligible next to
    ``nc`` and ``P(T <= t) ≈ P(nc <= t S)``, a chi-square probability
    (relative error in the resulting bound about ``1 / |nc|``).
    """
    value = float(sps.nct.cdf(t_obs, df, nc))
    if not math.isnan(value):
        return value
    if t_obs == 0 or nc == 0 or (t_obs > 0) != (nc > 0):
        return 1.0 if nc <= t_obs else 0.0
    ratio_sq = df * (nc / t_obs) ** 2
    if t_obs > 0:  # P(S >= nc / t)
        return float(sps.chi2.sf(ratio_sq, df))
    return float(sps.chi2.cdf(ratio_sq, df))  # t < 0: P(S <= nc / t)


def _nct_nc_for_cdf(t_obs: float, df: int, q: float) -> float:
    """Noncentrality ``nc`` with ``P(T <= t_obs | df, nc) = q`` (decreasing in nc)."""

    def f(nc: float) -> float:
        return _nct_cdf(t_obs, df, nc) - q

    step = 1.0 + abs(t_obs)
    lo, hi = t_obs - step, t_obs + step
    for _ in range(60):
        if f(lo) > 0:
            break
        lo -= step
        step *= 2
    step = 1.0 + abs(t_obs)
    for _ in range(60):
        if f(hi) < 0:
            break
        hi += step
        step *= 2
    return float(optimize.brentq(f, lo, hi, xtol=1e-12, rtol=1e-12))


def paired_difference(before: ArrayLike, after: ArrayLike, level: float = 0.95) -> PairedDifference:
    """Mean change on a scale measured twice on the same persons.

    Differences ``d = after - before`` over complete pairs. Pairs with NaN in
    either value are dropped and counted in ``n_dropped`` (never silently).

    * Mean difference with the t-interval
      ``mean ± t_{1-alpha/2, n-1} · sd / sqrt(n)`` and the two-sided paired
      t-test p-value (Student 1908; any statistics text, e.g. Rice 2007,
      *Mathematical Statistics and Data Analysis*, §11.3).
    * Cohen's ``d_z = mean / sd`` (Cohen 1988, *Statistical Power Analysis
      for the Behavioral Sciences*, 2nd ed., ch. 2; Lakens 2013, Front.
      Psychol. 4:863). Its interval inverts
      the noncentral t: ``t = d_z sqrt(n)`` follows ``t_{n-1}(δ sqrt(n))``, and
      the bounds are the δ for which the observed t is at the ``1-alpha/2``
      and ``alpha/2`` quantiles (Steiger & Fouladi 1997, in *What If There
      Were No Significance Tests?*; Cumming & Finch 2001, Educ. Psychol.
      Meas. 61(4) 532–574). Exact if the differences are normal; otherwise
      an approximation. For noncentralities beyond scipy's range (about
      1e5) the chi-square limit ``d_z sqrt(chi2_q(n-1) / (n-1))`` is used.

    If all differences are equal (``sd = 0``) the t-interval collapses to
    the mean; ``t``, ``d_z`` and the d_z bounds are ±inf (NaN when the mean
    is also 0); the p-value is 0 (NaN).

    Parameters
    ----------
    before, after : array_like
        One-dimensional, equal length; NaN marks a missing measurement.
    level : float, default 0.95
        Confidence level in (0, 1).

    Returns
    -------
    PairedDifference

    Raises
    ------
    InputError
        If the inputs are not 1-D of equal length, hold ±inf, or fewer than
        two complete pairs remain.

    Examples
    --------
    >>> r = paired_difference([1, 2, 2, 3, 3], [2, 3, 5, 4, 6])
    >>> r.n, float(r.mean_diff), round(float(r.p_value), 4)
    (5, 1.8, 0.0213)
    """
    func = "paired_difference"
    lvl = _check_level(level, func)
    x = _as_float(before, func, "before")
    y = _as_float(after, func, "after")
    if x.ndim != 1 or y.ndim != 1 or x.shape != y.shape:
        raise InputError(
            Problem(
                f"{func}: before, after",
                (x.shape, y.shape),
                "two one-dimensional arrays of equal length",
            )
        )
    for name, arr in (("before", x), ("after", y)):
        bad = np.isinf(arr)
        if np.any(bad):
            raise InputError(
                Problem(f"{func}: {name}", _first_bad(arr, bad), "finite values or NaN")
            )
    keep = ~(np.isnan(x) | np.isnan(y))
    n = int(keep.sum())
    n_dropped = int(keep.size - n)
    if n < 2:
        raise InputError(
            Problem(
                f"{func}: before, after",
                f"{n} complete pair(s), {n_dropped} dropped for NaN",
                "at least 2 complete pairs",
            )
        )
    d = y[keep] - x[keep]
    df = n - 1
    mean = float(d.mean())
    sd = float(d.std(ddof=1))
    alpha = 1.0 - lvl
    t_crit = float(sps.t.ppf(1.0 - alpha / 2, df))
    if sd > 0:
        se = sd / math.sqrt(n)
        t_stat = mean / se
        p_value = float(2.0 * sps.t.sf(abs(t_stat), df))
        ci = Interval(mean - t_crit * se, mean + t_crit * se)
        dz = mean / sd
        dz_ci = Interval(
            _nct_nc_for_cdf(t_stat, df, 1.0 - alpha / 2) / math.sqrt(n),
            _nct_nc_for_cdf(t_stat, df, alpha / 2) / math.sqrt(n),
        )
    else:
        t_stat = math.copysign(math.inf, mean) if mean != 0 else math.nan
        p_value = 0.0 if mean != 0 else math.nan
        ci = Interval(mean, mean)
        dz = t_stat
        dz_ci = Interval(dz, dz)
    return PairedDifference(
        n=n,
        n_dropped=n_dropped,
        mean_diff=mean,
        sd_diff=sd,
        level=lvl,
        ci=ci,
        t_statistic=t_stat,
        df=df,
        p_value=p_value,
        cohen_dz=dz,
        dz_ci=dz_ci,
    )
