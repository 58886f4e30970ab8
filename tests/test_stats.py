"""Tests for simkit.stats.

Expected values come from independent calculations written out here (sums of
binomial / beta-binomial terms with ``math.comb`` and ``math.lgamma``,
root-finding with ``scipy.optimize.brentq``, hand calculations) or from the
reference cases in docs/reference-cases.md (R4) — never from
simkit's own output.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize
from scipy import stats as sps

from simkit.errors import InputError
from simkit.stats import (
    NEEDED_COUNT_EPS,
    Interval,
    PairedDifference,
    beta_posterior,
    betabinom_pmf,
    betabinom_tail,
    binom_tail,
    clopper_pearson,
    needed_count,
    paired_difference,
    predictive_count_pmf,
    prob_final_at_least,
    prob_rate_at_least,
)

# ---------------------------------------------------------------------------
# independent reference implementations (plain Python)
# ---------------------------------------------------------------------------


def ref_binom_pmf(j: int, n: int, p: float) -> float:
    return math.comb(n, j) * p**j * (1.0 - p) ** (n - j)


def ref_binom_ge(k: int, n: int, p: float) -> float:
    """P(X >= k), X ~ Binomial(n, p), by direct summation."""
    return sum(ref_binom_pmf(j, n, p) for j in range(max(k, 0), n + 1))


def ref_binom_le(k: int, n: int, p: float) -> float:
    """P(X <= k), X ~ Binomial(n, p), by direct summation."""
    return sum(ref_binom_pmf(j, n, p) for j in range(0, min(k, n) + 1))


def ref_log_beta(x: float, y: float) -> float:
    return math.lgamma(x) + math.lgamma(y) - math.lgamma(x + y)


def ref_betabinom_pmf(j: int, n: int, a: float, b: float) -> float:
    """comb(n, j) B(j + a, n - j + b) / B(a, b)."""
    return math.comb(n, j) * math.exp(ref_log_beta(j + a, n - j + b) - ref_log_beta(a, b))


def ref_betabinom_ge(k: int, n: int, a: float, b: float) -> float:
    return math.fsum(ref_betabinom_pmf(j, n, a, b) for j in range(max(k, 0), n + 1))


def ref_clopper_pearson(k: int, n: int, level: float) -> tuple[float, float]:
    """Clopper-Pearson bounds by root-finding on the binomial tails.

    low solves P(X >= k | p) = alpha/2, high solves P(X <= k | p) = alpha/2.
    """
    half = (1.0 - level) / 2.0
    if k == 0:
        low = 0.0
    else:
        low = optimize.brentq(
            lambda p: ref_binom_ge(k, n, p) - half, 1e-300, k / n, xtol=1e-15, rtol=1e-15
        )
    if k == n:
        high = 1.0
    else:
        high = optimize.brentq(
            lambda p: ref_binom_le(k, n, p) - half, k / n, 1.0, xtol=1e-15, rtol=1e-15
        )
    return low, high


# ---------------------------------------------------------------------------
# needed_count
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("threshold", "n", "expected"),
    [
        (0.8, 95, 76),  # 0.8 * 95 = 76 exactly: 76 is enough
        (0.5, 95, 48),  # 47.5 -> 48
        (0.5, 94, 47),
        (0.0, 95, 0),
        (1.0, 95, 95),
        (0.55, 100, 55),  # 0.55 * 100 == 55.00000000000001 in floating point
        (0.07, 100, 7),  # 0.07 * 100 == 7.000000000000001
        (0.8, 0, 0),
        (0.5, 1, 1),
    ],
)
def test_needed_count_cases(threshold, n, expected):
    got = needed_count(threshold, n)
    assert got == expected
    assert isinstance(got, np.integer)


def test_needed_count_floating_point_trap_is_real():
    # The cases above only test something if the naive ceil gets them wrong.
    assert math.ceil(0.55 * 100) == 56
    assert math.ceil(0.07 * 100) == 8
    assert NEEDED_COUNT_EPS == 1e-9


def test_needed_count_vectorised():
    got = needed_count([0.8, 0.5, 0.5], [95, 95, 94])
    assert got.dtype == np.int64
    assert got.tolist() == [76, 48, 47]
    assert needed_count(0.5, np.array([[0, 1], [2, 3]])).tolist() == [[0, 1], [1, 2]]


@given(
    q=st.integers(1, 1000),
    data=st.data(),
    n=st.integers(0, 100_000),
)
def test_needed_count_matches_exact_rational(q, data, n):
    j = data.draw(st.integers(0, q))
    expected = math.ceil(Fraction(j, q) * n)
    assert needed_count(j / q, n) == expected


@pytest.mark.parametrize(
    ("threshold", "n"), [(1.2, 10), (-0.1, 10), (float("nan"), 10), (0.5, 9.5), (0.5, -1)]
)
def test_needed_count_rejects(threshold, n):
    with pytest.raises(InputError):
        needed_count(threshold, n)


# ---------------------------------------------------------------------------
# Clopper-Pearson
# ---------------------------------------------------------------------------

CP_CASES = [
    (0, 1),
    (1, 1),
    (0, 10),
    (10, 10),
    (3, 10),
    (1, 2),
    (0, 95),
    (45, 95),
    (76, 95),
    (78, 95),
    (95, 95),
    (17, 40),
]


@pytest.mark.parametrize(("k", "n"), CP_CASES)
@pytest.mark.parametrize("level", [0.95, 0.9, 0.99])
def test_clopper_pearson_against_root_finding(k, n, level):
    low, high = clopper_pearson(k, n, level=level)
    ref_low, ref_high = ref_clopper_pearson(k, n, level)
    assert low == pytest.approx(ref_low, abs=1e-8)
    assert high == pytest.approx(ref_high, abs=1e-8)


def test_clopper_pearson_conventions_and_closed_forms():
    # k = 0: low is exactly 0 and high = 1 - (alpha/2)^(1/n); mirror for k = n.
    low, high = clopper_pearson(0, 20)
    assert low == 0.0
    assert high == pytest.approx(1 - 0.025 ** (1 / 20), abs=1e-12)
    low, high = clopper_pearson(20, 20)
    assert high == 1.0
    assert low == pytest.approx(0.025 ** (1 / 20), abs=1e-12)


def test_clopper_pearson_empty_and_vectorised():
    low, high = clopper_pearson(0, 0)
    assert math.isnan(low) and math.isnan(high)
    ks = np.array([0, 3, 10, 0])
    ns = np.array([10, 10, 10, 0])
    res = clopper_pearson(ks, ns)
    assert isinstance(res, Interval)
    assert res.low.shape == (4,)
    for i in range(3):
        ref_low, ref_high = ref_clopper_pearson(int(ks[i]), int(ns[i]), 0.95)
        assert res.low[i] == pytest.approx(ref_low, abs=1e-8)
        assert res.high[i] == pytest.approx(ref_high, abs=1e-8)
    assert np.isnan(res.low[3]) and np.isnan(res.high[3])


@pytest.mark.parametrize(
    ("k", "n", "level"), [(5, 4, 0.95), (-1, 4, 0.95), (1.5, 4, 0.95), (1, 4, 1.0), (1, 4, 0.0)]
)
def test_clopper_pearson_rejects(k, n, level):
    with pytest.raises(InputError):
        clopper_pearson(k, n, level=level)


def test_error_names_argument_and_value():
    with pytest.raises(InputError, match=r"clopper_pearson: k: got 5; expected at most n"):
        clopper_pearson([1, 5], 4)


@settings(max_examples=200)
@given(n=st.integers(1, 400), data=st.data(), level=st.floats(0.5, 0.999))
def test_clopper_pearson_properties(n, data, level):
    k = data.draw(st.integers(0, n))
    low, high = clopper_pearson(k, n, level=level)
    assert 0.0 <= low <= k / n <= high <= 1.0
    if k < n:
        low_next, high_next = clopper_pearson(k + 1, n, level=level)
        assert low_next >= low
        assert high_next >= high


# ---------------------------------------------------------------------------
# Beta posterior
# ---------------------------------------------------------------------------


def test_beta_posterior():
    assert beta_posterior(78, 95) == (78.5, 17.5)
    assert beta_posterior(3, 10, prior=(1, 1)) == (4.0, 8.0)
    a, b = beta_posterior([0, 5], 5)
    assert a.tolist() == [0.5, 5.5]
    assert b.tolist() == [5.5, 0.5]


@pytest.mark.parametrize("prior", [(0, 1), (1, -1), (1,), "ab", (1, float("inf"))])
def test_beta_posterior_rejects_bad_prior(prior):
    with pytest.raises(InputError):
        beta_posterior(1, 2, prior=prior)


@pytest.mark.parametrize(("k", "n", "t"), [(3, 10, 0.2), (78, 95, 0.8), (0, 5, 0.1), (5, 5, 0.9)])
def test_prob_rate_at_least_uniform_prior_duality(k, n, t):
    # Uniform prior: posterior Beta(k+1, n-k+1) and P(p >= t) = P(Bin(n+1, t) <= k).
    expected = ref_binom_le(k, n + 1, t)
    assert prob_rate_at_least(k, n, t, prior=(1, 1)) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(("k", "n", "t"), [(3, 10, 0.2), (78, 95, 0.8), (0, 5, 0.1), (12, 20, 0.5)])
def test_prob_rate_at_least_jeffreys_by_quadrature(k, n, t):
    a, b = k + 0.5, n - k + 0.5
    log_norm = ref_log_beta(a, b)

    def density(p):
        return math.exp((a - 1) * math.log(p) + (b - 1) * math.log1p(-p) - log_norm)

    expected, _ = integrate.quad(density, t, 1.0, epsabs=1e-13, epsrel=1e-12, limit=200)
    assert prob_rate_at_least(k, n, t) == pytest.approx(expected, abs=1e-9)


def test_prob_rate_at_least_edges_and_vectorised():
    assert prob_rate_at_least(3, 10, 0.0) == 1.0
    assert prob_rate_at_least(3, 10, 1.0) == 0.0
    got = prob_rate_at_least(3, 10, [0.0, 0.3, 1.0])
    assert got.shape == (3,)


@given(
    n=st.integers(0, 300),
    data=st.data(),
    t1=st.floats(0, 1),
    t2=st.floats(0, 1),
)
def test_prob_rate_at_least_non_increasing_in_threshold(n, data, t1, t2):
    k = data.draw(st.integers(0, n))
    lo, hi = min(t1, t2), max(t1, t2)
    p_lo, p_hi = prob_rate_at_least(k, n, [lo, hi])
    assert p_hi <= p_lo
    assert 0.0 <= p_hi <= p_lo <= 1.0


# ---------------------------------------------------------------------------
# Binomial and beta-binomial tails (R4)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("k_min", "n", "p", "expected"),
    [(80, 100, 0.80, 0.559462), (80, 100, 0.78, 0.366188), (50, 100, 0.5, 0.539795)],
)
def test_binom_tail_reference_r4(k_min, n, p, expected):
    assert binom_tail(k_min, n, p) == pytest.approx(expected, abs=1e-6)


def test_binom_tail_against_direct_sum_and_edges():
    ks = np.array([-3, 0, 1, 5, 76, 95, 96])
    got = binom_tail(ks, 95, 0.8)
    expected = [ref_binom_ge(int(k), 95, 0.8) if k <= 95 else 0.0 for k in ks]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    assert binom_tail(0, 10, 0.3) == 1.0
    assert binom_tail(11, 10, 0.3) == 0.0
    assert binom_tail(1, 10, 0.0) == 0.0
    assert binom_tail(10, 10, 1.0) == 1.0
    assert binom_tail(0, 0, 0.5) == 1.0
    assert binom_tail(1, 0, 0.5) == 0.0
    # Small upper tail keeps relative accuracy.
    assert binom_tail(95, 95, 0.1) == pytest.approx(0.1**95, rel=1e-10)


def test_binom_tail_broadcasts():
    got = binom_tail(np.array([[76], [80]]), 95, np.array([0.7, 0.8, 0.9]))
    assert got.shape == (2, 3)
    assert got[1, 2] == pytest.approx(ref_binom_ge(80, 95, 0.9), rel=1e-12)


@pytest.mark.parametrize(
    ("k_min", "n", "a", "b"),
    [
        (80, 100, 80.0, 20.0),
        (76, 95, 78.5, 17.5),
        (48, 95, 0.5, 0.5),
        (1, 1, 2.0, 3.0),
        (0, 10, 1.0, 1.0),
        (3, 10, 1.0, 1.0),
        (99, 100, 2.0, 50.0),  # tiny tail: 1 - cdf would lose it
    ],
)
def test_betabinom_tail_against_direct_sum(k_min, n, a, b):
    expected = ref_betabinom_ge(k_min, n, a, b)
    assert betabinom_tail(k_min, n, a, b) == pytest.approx(expected, rel=1e-10, abs=1e-300)


def test_betabinom_tail_vectorised_and_edges():
    ks = np.array([-1, 0, 50, 80, 100, 101])
    got = betabinom_tail(ks, 100, 8.0, 2.0)
    expected = [ref_betabinom_ge(int(k), 100, 8.0, 2.0) if k <= 100 else 0.0 for k in ks]
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-15)
    assert got[0] == 1.0
    assert got[1] == 1.0
    assert got[-1] == 0.0
    # broadcasting over a and b
    grid = betabinom_tail(80, 100, np.array([[8.0], [80.0]]), np.array([2.0, 20.0]))
    assert grid.shape == (2, 2)
    assert grid[1, 1] == pytest.approx(ref_betabinom_ge(80, 100, 80.0, 20.0), rel=1e-10)


def test_betabinom_pmf_against_formula():
    xs = np.arange(-1, 12)
    got = betabinom_pmf(xs, 10, 0.5, 0.5)
    expected = [ref_betabinom_pmf(int(x), 10, 0.5, 0.5) if 0 <= x <= 10 else 0.0 for x in xs]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)
    assert got.sum() == pytest.approx(1.0, abs=1e-12)


def test_betabinom_tail_approaches_binomial_for_concentrated_prior():
    # Beta(a, b) with huge a + b is nearly a point mass at a/(a+b).
    got = betabinom_tail(80, 100, 0.8e7, 0.2e7)
    assert got == pytest.approx(0.559462, abs=2e-5)


@pytest.mark.parametrize(("a", "b"), [(0.0, 1.0), (1.0, -2.0), (float("nan"), 1.0)])
def test_betabinom_tail_rejects(a, b):
    with pytest.raises(InputError):
        betabinom_tail(1, 5, a, b)


# ---------------------------------------------------------------------------
# interim prediction
# ---------------------------------------------------------------------------


def test_predictive_one_beta_group_equals_betabinom_tail():
    a, b = beta_posterior(40, 60)  # Beta(40.5, 20.5)
    achieved, m, needed = 50, 35, 76
    got = prob_final_at_least(achieved, [(m, a, b)], needed)
    expected = ref_betabinom_ge(needed - achieved, m, float(a), float(b))
    assert got == pytest.approx(expected, rel=1e-10)


def test_predictive_known_p_group_equals_binomial_tail():
    got = prob_final_at_least(70, [(10, 0.6)], 76)
    assert got == pytest.approx(ref_binom_ge(6, 10, 0.6), rel=1e-12)
    # (m, p, None) is the same group
    assert prob_final_at_least(70, [(10, 0.6, None)], 76) == pytest.approx(got, rel=1e-15)


@pytest.mark.parametrize(
    "groups",
    [
        [(12, 3.5, 2.5), (8, 0.5, 0.5)],
        [(12, 3.5, 2.5), (8, 0.3)],
        [(5, 0.9), (7, 0.2)],
    ],
)
def test_predictive_two_groups_against_double_sum(groups):
    def group_pmf(g, s):
        if len(g) == 2:
            return ref_binom_pmf(s, g[0], g[1])
        return ref_betabinom_pmf(s, g[0], g[1], g[2])

    (m1, *_), (m2, *_) = groups
    pmf = predictive_count_pmf(groups)
    assert pmf.shape == (m1 + m2 + 1,)
    achieved = 60
    for needed in [55, 60, 65, 70, 75, 80, 81]:
        expected = math.fsum(
            group_pmf(groups[0], s1) * group_pmf(groups[1], s2)
            for s1 in range(m1 + 1)
            for s2 in range(m2 + 1)
            if achieved + s1 + s2 >= needed
        )
        got = prob_final_at_least(achieved, groups, needed)
        assert got == pytest.approx(expected, rel=1e-10, abs=1e-15)


def test_predictive_pmf_moments_and_empty():
    groups = [(10, 2.0, 3.0), (5, 0.4), (0, 1.0, 1.0)]
    pmf = predictive_count_pmf(groups)
    s = np.arange(pmf.size)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-12)
    assert (pmf >= 0).all()
    assert (s * pmf).sum() == pytest.approx(10 * 2 / 5 + 5 * 0.4, rel=1e-12)
    assert predictive_count_pmf([]).tolist() == [1.0]
    assert prob_final_at_least(3, [], [2, 3, 4]).tolist() == [1.0, 1.0, 0.0]


def test_prob_final_at_least_vectorised_and_edges():
    groups = [(10, 0.6)]
    got = prob_final_at_least([60, 70, 80], groups, 76)
    expected = [0.0, ref_binom_ge(6, 10, 0.6), 1.0]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)
    assert prob_final_at_least(66, groups, 76) == pytest.approx(0.6**10, rel=1e-12)


@pytest.mark.parametrize(
    "groups",
    [
        [(5, 1.5)],  # p > 1
        [(5, 0.0, 1.0)],  # a = 0
        [(-1, 0.5)],
        [(2.5, 0.5)],
        [(5,)],
        [(5, None, None)],
        ["abc"],
        [5],
    ],
)
def test_predictive_rejects_bad_groups(groups):
    with pytest.raises(InputError, match=r"groups\[0\]"):
        predictive_count_pmf(groups)


# ---------------------------------------------------------------------------
# paired before/after
# ---------------------------------------------------------------------------

BEFORE = [1.0, 2.0, 2.0, 3.0, 3.0]
AFTER = [2.0, 3.0, 5.0, 4.0, 6.0]


def test_paired_difference_hand_calculation():
    # d = after - before = [1, 1, 3, 1, 3]; mean = 9/5 = 1.8
    # deviations -0.8, -0.8, 1.2, -0.8, 1.2; sum of squares 3*0.64 + 2*1.44 = 4.8
    # sd = sqrt(4.8 / 4) = sqrt(1.2); se = sqrt(1.2 / 5) = sqrt(0.24)
    mean, sd, se, df = 1.8, math.sqrt(1.2), math.sqrt(0.24), 4
    t_stat = mean / se
    t_crit = sps.t.ppf(0.975, df)
    r = paired_difference(BEFORE, AFTER)
    assert isinstance(r, PairedDifference)
    assert r.n == 5
    assert r.n_dropped == 0
    assert r.df == 4
    assert r.level == 0.95
    assert r.mean_diff == pytest.approx(mean, rel=1e-14)
    assert r.sd_diff == pytest.approx(sd, rel=1e-14)
    assert r.t_statistic == pytest.approx(t_stat, rel=1e-12)
    assert r.ci.low == pytest.approx(mean - t_crit * se, rel=1e-12)
    assert r.ci.high == pytest.approx(mean + t_crit * se, rel=1e-12)
    assert r.p_value == pytest.approx(2 * sps.t.sf(t_stat, df), rel=1e-12)
    assert r.cohen_dz == pytest.approx(mean / sd, rel=1e-12)


def test_paired_difference_agrees_with_scipy_ttest_rel():
    ref = sps.ttest_rel(AFTER, BEFORE)
    ref_ci = ref.confidence_interval(0.9)
    r = paired_difference(BEFORE, AFTER, level=0.9)
    assert r.p_value == pytest.approx(ref.pvalue, rel=1e-10)
    assert r.t_statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert r.ci.low == pytest.approx(ref_ci.low, rel=1e-10)
    assert r.ci.high == pytest.approx(ref_ci.high, rel=1e-10)


def test_paired_difference_dz_interval_solves_noncentral_t_equations():
    r = paired_difference(BEFORE, AFTER)
    t_obs, df, root_n = r.t_statistic, r.df, math.sqrt(r.n)
    assert r.dz_ci.low < r.cohen_dz < r.dz_ci.high
    assert sps.nct.cdf(t_obs, df, r.dz_ci.low * root_n) == pytest.approx(0.975, abs=1e-9)
    assert sps.nct.cdf(t_obs, df, r.dz_ci.high * root_n) == pytest.approx(0.025, abs=1e-9)


def test_paired_difference_dz_interval_close_to_normal_approximation_for_large_n():
    rng = np.random.default_rng(20251113)
    before = rng.normal(size=400)
    after = before + rng.normal(0.3, 1.0, size=400)
    r = paired_difference(before, after)
    d, n = r.cohen_dz, r.n
    half_width = 1.959964 * math.sqrt(1 / n + d**2 / (2 * n))
    assert r.dz_ci.low == pytest.approx(d - half_width, abs=0.005)
    assert r.dz_ci.high == pytest.approx(d + half_width, abs=0.005)


def test_paired_difference_drops_nan_pairs_and_reports_them():
    before = [*BEFORE, np.nan, 4.0, np.nan]
    after = [*AFTER, 7.0, np.nan, np.nan]
    r = paired_difference(before, after)
    clean = paired_difference(BEFORE, AFTER)
    assert r.n == 5
    assert r.n_dropped == 3
    assert r.mean_diff == clean.mean_diff
    assert r.p_value == clean.p_value


def test_paired_difference_constant_differences():
    r = paired_difference([1.0, 2.0, 3.0], [2.0, 3.0, 4.0])
    assert r.sd_diff == 0.0
    assert r.t_statistic == math.inf
    assert r.p_value == 0.0
    assert r.ci == (1.0, 1.0)
    r0 = paired_difference([1.0, 2.0], [1.0, 2.0])
    assert math.isnan(r0.t_statistic) and math.isnan(r0.p_value)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ([1.0, 2.0], [1.0]),  # unequal length
        ([1.0, np.nan, 3.0], [1.0, 2.0, np.nan]),  # only one complete pair
        ([1.0, np.inf], [1.0, 2.0]),
        ([[1.0, 2.0]], [[1.0, 2.0]]),
    ],
)
def test_paired_difference_rejects(before, after):
    with pytest.raises(InputError):
        paired_difference(before, after)


def test_paired_difference_too_few_pairs_message_reports_dropped():
    with pytest.raises(InputError, match=r"1 complete pair.*2 dropped"):
        paired_difference([1.0, np.nan, 3.0], [1.0, 2.0, np.nan])


def test_paired_difference_reversed_pairs_mirror():
    r = paired_difference(BEFORE, AFTER)
    m = paired_difference(AFTER, BEFORE)
    assert m.mean_diff == pytest.approx(-r.mean_diff, rel=1e-14)
    assert m.p_value == pytest.approx(r.p_value, rel=1e-12)
    assert m.dz_ci.low == pytest.approx(-r.dz_ci.high, rel=1e-9)
    assert m.dz_ci.high == pytest.approx(-r.dz_ci.low, rel=1e-9)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_paired_difference_dz_interval_for_huge_t(sign):
    # sd tiny next to the mean: t ~ 1e6, beyond scipy's nct range. Then the
    # uncertainty in d_z is that of the sd alone: d_z * sqrt(chi2_q(df) / df).
    before = np.arange(10.0)
    after = before + sign * (1.0 + 1e-6 * np.arange(10))
    r = paired_difference(before, after)
    d, df = r.cohen_dz, r.df
    lo_q, hi_q = (0.025, 0.975) if sign > 0 else (0.975, 0.025)
    assert r.dz_ci.low == pytest.approx(d * math.sqrt(sps.chi2.ppf(lo_q, df) / df), rel=1e-4)
    assert r.dz_ci.high == pytest.approx(d * math.sqrt(sps.chi2.ppf(hi_q, df) / df), rel=1e-4)
