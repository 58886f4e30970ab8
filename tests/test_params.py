"""Parameter distributions against scipy.stats, and the rank-correlation copula."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from simkit.params import (
    Z_GRID,
    Beta,
    Gamma,
    LogNormal,
    Pert,
    Triangular,
    Uniform,
    copula_cholesky,
    draw_parameters,
)

U = np.array([0.001, 0.025, 0.2, 0.5, 0.8, 0.975, 0.999])


@pytest.mark.parametrize(
    ("dist", "ref"),
    [
        (Beta(3.0, 7.0), stats.beta(3.0, 7.0)),
        (Pert(2, 8, 26), stats.beta(1 + 4 * 6 / 24, 1 + 4 * 18 / 24, loc=2, scale=24)),
        (Triangular(0.5, 0.8, 1.0), stats.triang((0.8 - 0.5) / 0.5, loc=0.5, scale=0.5)),
        (Uniform(0, 20000), stats.uniform(0, 20000)),
        (LogNormal(np.log(104), 0.35), stats.lognorm(0.35, scale=104)),
        (Gamma(2.5, 3.0), stats.gamma(2.5, scale=3.0)),
    ],
)
def test_quantiles_match_scipy_and_tabulation_is_accurate(dist, ref):
    np.testing.assert_allclose(dist.ppf(U), ref.ppf(U), rtol=1e-10)
    assert dist.mean == pytest.approx(ref.mean(), rel=1e-12)
    # tabulated inverse CDF from normal scores: error below 1e-6 of the 99.8 % range
    z = stats.norm.ppf(np.linspace(0.0005, 0.9995, 2001))
    span = ref.ppf(0.999) - ref.ppf(0.001)
    assert np.max(np.abs(dist.from_z(z) - ref.ppf(stats.norm.cdf(z)))) < 1e-6 * span
    assert Z_GRID[0] <= z.min()


def test_beta_from_mean_and_interval_reproduces_both():
    d = Beta.from_mean_interval(0.8, 0.65, 0.92)
    lo, hi = stats.beta(d.a, d.b).ppf([0.025, 0.975])
    assert d.mean == pytest.approx(0.8, abs=1e-12)
    assert hi - lo == pytest.approx(0.92 - 0.65, abs=1e-9)


def test_lognormal_from_median_interval():
    d = LogNormal.from_median_interval(104, 52, 208)
    assert d.central == pytest.approx(104)
    lo, hi = d.interval()
    assert lo == pytest.approx(52, rel=1e-9) and hi == pytest.approx(208, rel=1e-9)


def test_rank_correlation_is_achieved():
    dists = {"a": Beta(5, 5), "b": Pert(0, 1, 4), "c": Uniform(0, 1)}
    chol = copula_cholesky(list(dists), {("a", "b"): 0.6, ("a", "c"): -0.3})
    d = draw_parameters(dists, 200_000, rng=np.random.default_rng(0), chol=chol)
    rho_ab = stats.spearmanr(d["a"], d["b"]).statistic
    rho_ac = stats.spearmanr(d["a"], d["c"]).statistic
    # SE of Spearman's rho at n = 200,000 is about 1/sqrt(n) = 0.0022; allow 4 SE
    assert rho_ab == pytest.approx(0.6, abs=0.009)
    assert rho_ac == pytest.approx(-0.3, abs=0.009)


def test_not_positive_definite_is_refused():
    with pytest.raises(ValueError, match="positive definite"):
        copula_cholesky(["a", "b", "c"], {("a", "b"): 0.95, ("a", "c"): 0.95, ("b", "c"): -0.95})


@settings(max_examples=50, deadline=None)
@given(n=st.integers(1, 300), m=st.integers(1, 300), seed=st.integers(0, 2**32 - 1))
def test_prefix_property(n, m, seed):
    # the first min(n, m) rows do not depend on how many were drawn
    dists = {"a": Beta(2, 3), "b": Uniform(0, 1)}
    x = draw_parameters(dists, n, rng=np.random.default_rng(seed))
    y = draw_parameters(dists, m, rng=np.random.default_rng(seed))
    k = min(n, m)
    for name in dists:
        np.testing.assert_array_equal(x[name][:k], y[name][:k])
