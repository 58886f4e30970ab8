"""Tests of the model-independent sensitivity core (simkit.sensitivity).

Kinds of test (STYLE.md): closed-form cases (R3 EVPI formula, linear EVPPI,
beta-binomial variance split), published reference values (R2 Ishigami
indices), seeded statistical checks with tolerances of a few Monte Carlo or
bootstrap standard errors (stated at each test), and properties.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from simkit.sensitivity import (
    EvppiTable,
    PrimResult,
    SobolResult,
    VarianceSplit,
    VoiResult,
    evpi,
    evpi_normal,
    evppi,
    evppi_table,
    prim,
    sobol,
    split_variance,
)
from simkit.sensitivity._rng import as_generator

# ----------------------------------------------------------------------- rng


def test_as_generator_treats_zero_as_a_seed():
    assert as_generator(0).random() == np.random.default_rng(0).random()
    assert as_generator(np.int64(0)).random() == np.random.default_rng(0).random()


def test_as_generator_accepts_seed_sequence_bitgenerator_and_generator():
    ss = np.random.SeedSequence(7)
    assert as_generator(ss).random() == np.random.default_rng(np.random.SeedSequence(7)).random()
    assert as_generator(np.random.PCG64(3)).random() == np.random.default_rng(3).random()
    g = np.random.default_rng(1)
    assert as_generator(g) is g
    assert isinstance(as_generator(None), np.random.Generator)


@pytest.mark.parametrize("bad_rng", [True, 1.5, "0", np.random.RandomState(0)])
def test_as_generator_rejects_other_types(bad_rng):
    with pytest.raises(TypeError, match="rng"):
        as_generator(bad_rng)


def test_as_generator_rejects_negative_seed():
    with pytest.raises(ValueError, match="non-negative"):
        as_generator(-1)


# --------------------------------------------------------------------- sobol

# R2 (docs/reference-cases.md): Ishigami, a = 7, b = 0.1, xi ~ U(-pi, pi).
ISHIGAMI_S1 = np.array([0.313905, 0.442411, 0.0])
ISHIGAMI_ST = np.array([0.557589, 0.442411, 0.243684])
ISHIGAMI_DISTS = [stats.uniform(-np.pi, 2 * np.pi)] * 3


def ishigami(x: np.ndarray) -> np.ndarray:
    return np.sin(x[0]) + 7 * np.sin(x[1]) ** 2 + 0.1 * x[2] ** 4 * np.sin(x[0])


@pytest.fixture(scope="module")
def ishigami_result() -> SobolResult:
    return sobol(
        ishigami, ISHIGAMI_DISTS, 2**14, rng=20251113, n_resamples=400, names=["x1", "x2", "x3"]
    )


def test_sobol_ishigami_matches_reference_within_4_bootstrap_se(ishigami_result):
    # Tolerance: 4 bootstrap standard errors of each index. The bootstrap
    # resamples rows as if i.i.d.; scrambled Sobol' points are at least as
    # accurate, so this is conservative. (At n = 2**14 the SEs are ~0.003-0.011.)
    res = ishigami_result
    np.testing.assert_array_less(
        np.abs(res.first_order[0] - ISHIGAMI_S1), 4 * res.first_order_se[0]
    )
    np.testing.assert_array_less(
        np.abs(res.total_order[0] - ISHIGAMI_ST), 4 * res.total_order_se[0]
    )
    assert np.all(res.first_order_se < 0.02) and np.all(res.total_order_se < 0.02)


def test_sobol_result_shape_fields_frame_and_repr(ishigami_result):
    res = ishigami_result
    assert res.names == ("x1", "x2", "x3")
    assert res.output_names == ("y",)
    assert res.n == 2**14
    assert res.n_evaluations == 2**14 * (3 + 2)
    for arr in (res.first_order, res.total_order, res.first_order_low, res.total_order_high):
        assert arr.shape == (1, 3)
    assert np.all(res.first_order_low <= res.first_order) and np.all(
        res.first_order <= res.first_order_high
    )
    assert np.all(res.total_order_low <= res.total_order) and np.all(
        res.total_order <= res.total_order_high
    )
    frame = res.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert frame.shape == (3, 8)
    assert frame.loc[("y", "x2"), "total_order"] == pytest.approx(res.total_order[0, 1])
    text = repr(res)
    assert "x3" in text and "first order" in text and "81920" in text
    with pytest.raises(AttributeError):
        res.n = 3  # frozen


def test_sobol_is_reproducible_with_a_seed():
    a = sobol(ishigami, ISHIGAMI_DISTS, 2**8, rng=0, n_resamples=50)
    b = sobol(ishigami, ISHIGAMI_DISTS, 2**8, rng=0, n_resamples=50)
    np.testing.assert_array_equal(a.first_order, b.first_order)
    np.testing.assert_array_equal(a.total_order_low, b.total_order_low)


def test_sobol_several_outputs_linear_model_closed_form():
    # y0 = x0 + 2 x1 (standard normals): S = ST = (1/5, 4/5, 0); y1 = x2 -> (0, 0, 1).
    def f(x):
        return np.stack([x[0] + 2 * x[1], x[2]])

    res = sobol(f, [stats.norm()] * 3, 2**12, rng=3, n_resamples=200, output_names=["a", "b"])
    assert res.output_names == ("a", "b")
    assert res.first_order.shape == (2, 3)
    exact = np.array([[0.2, 0.8, 0.0], [0.0, 0.0, 1.0]])
    # Tolerance: 4 bootstrap SEs, floored at 1e-9 where an index is exactly 0 or 1.
    np.testing.assert_array_less(np.abs(res.first_order - exact), 4 * res.first_order_se + 1e-9)
    np.testing.assert_array_less(np.abs(res.total_order - exact), 4 * res.total_order_se + 1e-9)


def test_sobol_without_bootstrap_gives_nan_intervals():
    res = sobol(ishigami, ISHIGAMI_DISTS, 2**6, rng=0, n_resamples=0)
    assert np.all(np.isnan(res.first_order_low)) and np.all(np.isnan(res.total_order_se))


def test_sobol_validates_inputs():
    with pytest.raises(ValueError, match="power of 2"):
        sobol(ishigami, ISHIGAMI_DISTS, 1000, rng=0)
    with pytest.raises(ValueError, match="ppf"):
        sobol(ishigami, [object()] * 3, 2**6, rng=0)
    with pytest.raises(ValueError, match="func"):
        sobol(lambda x: x[0][:10], ISHIGAMI_DISTS, 2**6, rng=0)
    with pytest.raises(ValueError, match="names"):
        sobol(ishigami, ISHIGAMI_DISTS, 2**6, rng=0, names=["a"])


# ----------------------------------------------------------------------- VOI

# R3 (docs/reference-cases.md): EVPI = sigma [phi(z) - z (1 - Phi(z))], z = |mu| / sigma.
R3_CASES = [((0.0, 1.0), 0.398942), ((1000.0, 2000.0), 395.593), ((-500.0, 1000.0), 197.797)]
R3_ROUNDING = [5e-7, 5e-4, 5e-4]  # half a unit in the last digit the reference gives


@pytest.mark.parametrize(
    ("mu_sigma", "expected", "half_ulp"),
    [(*c, h) for c, h in zip(R3_CASES, R3_ROUNDING, strict=True)],
)
def test_evpi_normal_reference_values(mu_sigma, expected, half_ulp):
    assert abs(evpi_normal(*mu_sigma) - expected) <= half_ulp


def test_evpi_normal_vectorised_and_degenerate():
    out = evpi_normal(np.array([0.0, 1000.0, -500.0]), np.array([1.0, 2000.0, 1000.0]))
    np.testing.assert_array_less(np.abs(out - [0.398942, 395.593, 197.797]), R3_ROUNDING)
    assert evpi_normal(5.0, 0.0) == 0.0
    with pytest.raises(ValueError, match="sigma"):
        evpi_normal(0.0, -1.0)


@pytest.mark.parametrize(("mu_sigma", "expected"), R3_CASES)
def test_evpi_monte_carlo_within_4_se(mu_sigma, expected):
    mu, sigma = mu_sigma
    inb = np.random.default_rng(42).normal(mu, sigma, 200_000)
    res = evpi(inb)
    # MC SE of the mean of max(INB, 0), taken net of the option chosen now
    # (INB when mu > 0): that difference is the per-draw regret whose mean is
    # the EVPI estimate.
    regret = np.maximum(inb, 0.0) - (inb if inb.mean() > 0 else 0.0)
    se = regret.std(ddof=1) / np.sqrt(inb.size)
    assert abs(res.value - expected) < 4 * se
    assert res.se == pytest.approx(se, rel=1e-9)
    assert isinstance(res, VoiResult) and res.kind == "EVPI"


def test_evpi_matrix_input_names_and_frame():
    rng = np.random.default_rng(5)
    inb = rng.normal(-0.2, 1.0, 10_000)
    base = rng.normal(3.0, 1.0, 10_000)  # common to both options: cancels
    nb = pd.DataFrame({"status quo": base, "sign": base + inb})
    res = evpi(nb)
    assert res.options == ("status quo", "sign")
    assert res.best_option == "status quo"
    assert res.value == pytest.approx(evpi(inb).value, rel=1e-9)
    frame = res.to_frame()
    assert frame.index[0] == "EVPI"
    assert frame.loc["EVPI", "E[NB] sign"] == pytest.approx(nb["sign"].mean())
    assert "EVPI =" in repr(res)


@pytest.fixture(scope="module")
def linear_voi():
    # INB = a X1 + b X2 + c with independent normals; X3 is irrelevant.
    a, b, c, s1, s2, n = 1.0, 1.5, -0.5, 1.0, 1.0, 20_000
    rng = np.random.default_rng(2014)
    x1, x2, x3 = rng.normal(0, s1, n), rng.normal(0, s2, n), rng.normal(0, 1, n)
    return {
        "a": a,
        "b": b,
        "c": c,
        "s1": s1,
        "s2": s2,
        "n": n,
        "x1": x1,
        "x2": x2,
        "x3": x3,
        "inb": a * x1 + b * x2 + c,
    }


def test_evppi_single_parameter_linear_closed_form(linear_voi):
    v = linear_voi
    res = evppi(v["inb"], v["x1"], names=["x1"])
    exact = evpi_normal(v["c"], abs(v["a"]) * v["s1"])  # E[max(a X1 + c, 0)] - max(c, 0)
    # Tolerance = Monte Carlo + regression error:
    #  * MC: 4 SEs of the mean of max(a X1 + c, 0) (the decision now, "reference",
    #    is clear: mean INB = -0.5 with SE 0.013, so the second term is 0);
    #  * regression: |mean max(g_hat, 0) - mean max(g, 0)| <= RMS(g_hat - g), whose
    #    expectation for least squares with df coefficients is <= sqrt(df / n) * sd(resid),
    #    the residual here being b X2.
    oracle = np.maximum(v["a"] * v["x1"] + v["c"], 0.0)
    mc = 4 * oracle.std(ddof=1) / np.sqrt(v["n"])
    reg = np.sqrt(res.df / v["n"]) * abs(v["b"]) * v["s2"]
    assert res.best_option == "reference"
    assert abs(res.value - exact) < mc + reg
    assert res.method == "spline" and res.parameters == ("x1",)
    assert 0 <= res.value <= res.evpi


def test_evppi_of_all_parameters_equals_evpi(linear_voi):
    v = linear_voi
    res = evppi(v["inb"], np.column_stack([v["x1"], v["x2"]]), names=["x1", "x2"])
    # INB is linear in (X1, X2), inside the regression basis: the fit is exact.
    assert res.raw_value == pytest.approx(res.evpi, rel=1e-8)
    assert res.value == pytest.approx(evpi(v["inb"]).value, rel=1e-8)
    assert res.method == "interaction"
    assert res.label == "EVPPI(x1, x2)"


@pytest.mark.parametrize("c", [-0.5, 0.0])
def test_evppi_of_irrelevant_parameter_is_near_zero(linear_voi, c):
    v = linear_voi
    inb = v["inb"] - v["c"] + c
    res = evppi(inb, v["x3"])
    # Exact value 0; the estimator's only error is regression noise, bounded as
    # above by sqrt(df / n) * sd(INB) (c = 0 is the worst case: every wiggle of
    # the fit crosses the decision boundary).
    assert 0 <= res.value < np.sqrt(res.df / v["n"]) * inb.std()


def test_evppi_discrete_parameter_uses_group_means():
    rng = np.random.default_rng(9)
    level = rng.integers(0, 3, 6000).astype(float)
    inb = np.array([-1.0, 0.2, 1.0])[level.astype(int)] + rng.normal(0, 2, level.size)
    res = evppi(inb, level)
    means = np.array([inb[level == k].mean() for k in range(3)])
    exact_on_sample = np.mean(np.maximum(means[level.astype(int)], 0)) - max(inb.mean(), 0)
    assert res.method == "discrete"
    assert res.value == pytest.approx(exact_on_sample, rel=1e-9)


def test_evppi_raw_estimate_rarely_exceeds_evpi_over_seeds():
    # The population EVPPI never exceeds the EVPI; the reported value is capped at
    # the sample EVPI, and the uncapped regression estimate should overshoot by
    # little even with only 1000 draws and a nonlinear, three-option problem.
    for seed in range(15):
        rng = np.random.default_rng(seed)
        x1, x2 = rng.normal(size=(2, 1000))
        coef = rng.normal(size=4)
        nb = np.column_stack(
            [
                np.zeros(1000),
                coef[0] * np.exp(x1) + coef[1] * x2 + coef[2],
                coef[3] * x1 * x2 + rng.normal(0, 0.5, 1000),
            ]
        )
        for x in (x1, np.column_stack([x1, x2])):
            res = evppi(nb, x)
            assert 0 <= res.value <= res.evpi
            assert res.raw_value <= 1.02 * res.evpi + 1e-12


@settings(max_examples=25, deadline=None)
@given(
    a=st.floats(-3, 3),
    b=st.floats(-3, 3),
    c=st.floats(-2, 2),
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(100, 800),
    group=st.booleans(),
)
def test_evppi_never_exceeds_evpi_property(a, b, c, seed, n, group):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=(2, n))
    nb = np.column_stack([np.zeros(n), a * x1 + b * x2 + c, b * np.tanh(x1) - a * x2])
    res = evppi(nb, np.column_stack([x1, x2]) if group else x1)
    assert 0.0 <= res.value <= res.evpi
    assert res.evpi == pytest.approx(evpi(nb).value, rel=1e-12, abs=1e-15)


def test_evppi_table_rows_and_consistency(linear_voi):
    v = linear_voi
    params = {"x1": v["x1"], "x2": v["x2"], "x3": v["x3"]}
    tab = evppi_table(v["inb"], params, {"x1+x2": ["x1", "x2"]})
    assert isinstance(tab, EvppiTable)
    frame = tab.to_frame()
    assert list(frame.index) == ["x1", "x2", "x3", "x1+x2"]
    assert list(frame["kind"]) == ["parameter"] * 3 + ["group"]
    assert frame.loc["x1", "evppi"] == pytest.approx(evppi(v["inb"], v["x1"]).value)
    assert frame.loc["x1+x2", "share_of_evpi"] == pytest.approx(1.0, rel=1e-8)
    assert frame.loc["x1", "evppi"] < frame.loc["x2", "evppi"]  # |b| > |a|
    assert "EVPI" in repr(tab)
    with pytest.raises(ValueError, match="groups"):
        evppi_table(v["inb"], params, {"g": ["x1", "nope"]})


def test_evppi_validates_inputs(linear_voi):
    v = linear_voi
    with pytest.raises(ValueError, match="x shape"):
        evppi(v["inb"], v["x1"][:10])
    with pytest.raises(ValueError, match="method"):
        evppi(v["inb"], v["x1"], method="gp")
    with pytest.raises(ValueError, match="nb"):
        evpi(np.ones((10, 2, 2)))


# ----------------------------------------------------------- variance split


def test_split_variance_normal_shares_one_third_two_thirds():
    # Y = theta + eps, theta ~ N(0, 1), eps ~ N(0, 2) (variance 2): shares 1/3, 2/3.
    rng = np.random.default_rng(11)
    theta = rng.normal(0, 1, (4000, 1))
    y = theta + rng.normal(0, np.sqrt(2), (4000, 4))
    res = split_variance(y, rng=1)
    # Tolerance: 4 bootstrap-over-outer standard errors.
    assert abs(res.parameter_share - 1 / 3) < 4 * res.parameter_share_se
    assert abs(res.cohort_share - 2 / 3) < 4 * res.cohort_share_se
    assert abs(res.parameter - 1.0) < 4 * res.parameter_se
    assert abs(res.cohort - 2.0) < 4 * res.cohort_se
    assert res.parameter + res.cohort == pytest.approx(res.total)


def test_split_variance_beta_binomial_closed_form():
    # Y | p ~ Binomial(m, p), p ~ Beta(a, b):
    #   Var(E[Y|p]) = m^2 Var(p) = m^2 ab / ((a+b)^2 (a+b+1))
    #   E[Var(Y|p)] = m E[p(1-p)] = m ab / ((a+b)(a+b+1))
    m, a, b = 95, 8.0, 12.0
    parameter = m**2 * a * b / ((a + b) ** 2 * (a + b + 1))
    cohort = m * a * b / ((a + b) * (a + b + 1))
    rng = np.random.default_rng(95)
    p = rng.beta(a, b, (5000, 1))
    y = rng.binomial(m, np.broadcast_to(p, (5000, 4)))
    res = split_variance(y, rng=2)
    # Tolerance: 4 bootstrap-over-outer standard errors.
    assert abs(res.parameter - parameter) < 4 * res.parameter_se
    assert abs(res.cohort - cohort) < 4 * res.cohort_se
    assert abs(res.total - (parameter + cohort)) < 4 * res.total_se


def test_split_variance_unbiased_correction_by_hand():
    y = np.array([[1.0, 3.0], [2.0, 2.0], [5.0, 9.0]])
    res = split_variance(y, n_resamples=0)
    cohort = np.mean([2.0, 0.0, 8.0])  # inner variances, ddof 1
    parameter = np.var([2.0, 2.0, 7.0], ddof=1) - cohort / 2
    assert res.cohort == pytest.approx(cohort)
    assert res.parameter == pytest.approx(parameter)
    assert np.isnan(res.parameter_se)


def test_split_variance_result_frame_repr_and_seed():
    y = np.random.default_rng(0).normal(size=(200, 3))
    a, b = split_variance(y, rng=4), split_variance(y, rng=4)
    assert isinstance(a, VarianceSplit)
    assert a.parameter_se == b.parameter_se
    frame = a.to_frame()
    assert list(frame.index) == ["parameter", "cohort", "total"]
    assert frame.loc["total", "share"] == 1.0
    assert "parameter" in repr(a) and "200 parameter sets" in repr(a)
    with pytest.raises(ValueError, match="inner >= 2"):
        split_variance(np.ones((10, 1)))


# ---------------------------------------------------------------------- PRIM


def _box_data(seed: int, flip: float = 0.0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(5000, 4))
    y = (X[:, 0] < 0.3) & (X[:, 1] > 0.6)
    if flip:
        y ^= rng.random(5000) < flip
    return pd.DataFrame(X, columns=["x1", "x2", "x3", "x4"]), y


@pytest.mark.parametrize("flip", [0.0, 0.1])
def test_prim_recovers_known_box(flip):
    X, y = _box_data(1999, flip)
    res = prim(X, y)
    assert isinstance(res, PrimResult)
    assert res.restricted == ("x1", "x2")  # x3, x4 free: not reported
    assert res.lower[0] == -np.inf and res.upper[1] == np.inf
    assert abs(res.upper[0] - 0.3) < 0.05
    assert abs(res.lower[1] - 0.6) < 0.05
    inside = res.contains(X)
    assert res.mass == pytest.approx(inside.mean())
    assert res.density == pytest.approx(y[inside].mean())
    assert res.coverage == pytest.approx(y[inside].sum() / y.sum())
    assert res.coverage >= res.min_coverage


def test_prim_describe_is_quotable():
    X, y = _box_data(7)
    res = prim(X, y, event_name="a shortfall")
    text = res.describe()
    pattern = (
        r"^When x1 < 0\.\d+ and x2 > 0\.\d+ \(\d+ % of draws\), a shortfall occurs in "
        r"\d+ % of cases \(vs \d+ % overall\); this region holds \d+ % of all such cases\.$"
    )
    assert re.match(pattern, text), text
    assert f"{round(100 * res.base_rate)} % overall" in text
    assert text in repr(res)


def test_prim_trajectory_and_frames():
    X, y = _box_data(3)
    res = prim(X, y)
    traj = res.trajectory_frame()
    assert traj["mass"].iloc[0] == 1.0 and traj["coverage"].iloc[0] == 1.0
    assert np.all(np.diff(traj["mass"]) < 0)
    assert traj["mass"].iloc[-1] >= res.min_support
    assert traj["selected"].sum() == 1
    box = res.to_frame()
    assert list(box.index) == ["x1", "x2"]
    assert list(box.columns) == [
        "lower",
        "upper",
        "lower_pvalue",
        "upper_pvalue",
        "lower_effect",
        "upper_effect",
    ]
    # Both surviving bounds are significant and matter (each carries most of the lift).
    assert box.loc["x1", "upper_pvalue"] < res.significance
    assert box.loc["x2", "lower_effect"] > 0.5


def test_prim_array_input_default_names_and_validation():
    X, y = _box_data(5)
    res = prim(X.to_numpy(), y)
    assert res.restricted == ("x0", "x1")
    with pytest.raises(ValueError, match="at least one draw"):
        prim(X, np.zeros(len(X), dtype=bool))
    with pytest.raises(ValueError, match="y shape"):
        prim(X, y[:10])
