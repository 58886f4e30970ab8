"""Tests for simkit.markov: a published reference model, closed forms,
batching, properties (hypothesis) and input validation."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from simkit.errors import InputError
from simkit.markov import MarkovResult, apply_relative_risk, cohort_trace, run

# --------------------------------------------------------------------------
# R1: HIV/AIDS model of Chancellor et al. (1997), PharmacoEconomics 12:54-66,
# as reproduced in Briggs, Claxton & Sculpher (2006), ch. 2, and in R's heemod
# (vignette "Reproducing results: the HIV model"; method = "end", costs
# discounted 6 % as /1.06^t, t = 1..20, i.e. discount(first = TRUE)). Expected values are the
# published heemod output quoted in docs/reference-cases.md, R1.
# --------------------------------------------------------------------------

R1_STATES = ["A", "B", "C", "D"]
R1_CYCLES = 20


def r1_mono() -> np.ndarray:
    counts = np.array(
        [
            [1251, 350, 116, 17],
            [0, 731, 512, 15],
            [0, 0, 1312, 437],
            [0, 0, 0, 1],
        ],
        dtype=float,
    )
    return counts / np.array([1734, 1258, 1749, 1], dtype=float)[:, None]


def r1_costs() -> tuple[np.ndarray, np.ndarray]:
    """Annual costs per state (monotherapy, combination), shape (cycles, S)."""
    health_care = np.array([2756.0, 3052.0, 9007.0, 0.0])
    alive = np.array([1.0, 1.0, 1.0, 0.0])
    zidovudine = 2278.0 * alive
    mono = np.tile(health_care + zidovudine, (R1_CYCLES, 1))
    lamivudine = np.zeros((R1_CYCLES, 4))
    lamivudine[:2] = 2086.5 * alive  # cycles 1-2 only
    return mono, mono + lamivudine


def r1_results() -> tuple[MarkovResult, MarkovResult]:
    mono_P = r1_mono()
    rr = np.where(np.arange(1, R1_CYCLES + 1) <= 2, 0.509, 1.0)  # cycles 1-2
    comb_P = apply_relative_risk(mono_P, rr, states=R1_STATES)
    mono_cost, comb_cost = r1_costs()
    alive = np.array([1.0, 1.0, 1.0, 0.0])
    common = {
        "discount_rate": {"cost": 0.06, "life_years": 0.0},
        "count": "end",
        "discount_start": 1,
        "states": R1_STATES,
    }
    init = [1.0, 0.0, 0.0, 0.0]
    mono = run(
        mono_P,
        init,
        R1_CYCLES,
        state_values={"cost": mono_cost, "life_years": alive},
        **common,
    )
    comb = run(
        comb_P,
        init,
        R1_CYCLES,
        state_values={"cost": comb_cost, "life_years": alive},
        **common,
    )
    return mono, comb


def test_r1_chancellor_monotherapy():
    mono, _ = r1_results()
    assert mono.discounted["cost"] == pytest.approx(44_663.45, abs=0.005)
    assert mono.totals["life_years"] == pytest.approx(7.991207, abs=1e-6)
    assert mono.discounted["life_years"] == mono.totals["life_years"]


def test_r1_chancellor_combination():
    _, comb = r1_results()
    assert comb.discounted["cost"] == pytest.approx(50_601.65, abs=0.005)
    assert comb.totals["life_years"] == pytest.approx(8.937389, abs=1e-6)


def test_r1_chancellor_icer():
    mono, comb = r1_results()
    icer = (comb.discounted["cost"] - mono.discounted["cost"]) / (
        comb.totals["life_years"] - mono.totals["life_years"]
    )
    assert icer == pytest.approx(6_275.956, abs=0.001)


def test_r1_relative_risk_matrix():
    """Combination matrix in cycle 1: off-diagonals × 0.509, rows sum to 1."""
    mono_P = r1_mono()
    comb = apply_relative_risk(mono_P, np.array([0.509, 0.509, 1.0]))
    assert comb.shape == (3, 4, 4)
    assert comb[0, 0, 1] == pytest.approx(0.509 * 350 / 1734, rel=1e-15)
    assert comb[0, 0, 0] == pytest.approx(1 - 0.509 * (350 + 116 + 17) / 1734, rel=1e-14)
    assert comb[0, 3, 3] == 1.0
    np.testing.assert_allclose(comb.sum(axis=-1), 1.0, atol=1e-15)
    np.testing.assert_allclose(comb[2], mono_P, rtol=0, atol=1e-15)
    # a scalar keeps the shape
    assert apply_relative_risk(mono_P, 0.5).shape == (4, 4)


# --------------------------------------------------------------------------
# Closed forms: alive/dead with constant death probability q, cohort of 1.
# Alive share after t transitions is (1 - q)^t. With a = (1 - q)/(1 + r) the
# discounted value of c per cycle alive over t = 1..T is the geometric series
#   c * sum_{t=1}^T a^t = c * a (1 - a^T) / (1 - a).
# --------------------------------------------------------------------------


def two_state(q: float) -> np.ndarray:
    return np.array([[1 - q, q], [0.0, 1.0]])


@pytest.mark.parametrize(("q", "r", "T", "c"), [(0.1, 0.035, 30, 1000.0), (0.02, 0.06, 70, 1.0)])
def test_closed_form_alive_share_and_discounted_value(q, r, T, c):
    res = run(
        two_state(q),
        [1.0, 0.0],
        T,
        state_values={"value": [c, 0.0]},
        discount_rate=r,
    )
    t = np.arange(1, T + 1)
    np.testing.assert_allclose(res.trace[:, 0], (1 - q) ** t, rtol=1e-12)
    a = (1 - q) / (1 + r)
    assert res.discounted["value"] == pytest.approx(c * a * (1 - a**T) / (1 - a), rel=1e-12)
    b = 1 - q
    assert res.totals["value"] == pytest.approx(c * b * (1 - b**T) / (1 - b), rel=1e-12)
    np.testing.assert_array_equal(res.cycle, t)


def test_closed_form_discount_start_zero():
    """discount_start=0: first counted cycle undiscounted -> c (1 - a^T)/(1 - a)."""
    q, r, T, c = 0.05, 0.04, 25, 3.0
    res = run(
        two_state(q), [1.0, 0.0], T, state_values={"v": [c, 0.0]}, discount_rate=r, discount_start=0
    )
    a = (1 - q) / (1 + r)
    assert res.discounted["v"] == pytest.approx(c * a * (1 - a**T) / (1 - a) * (1 + r), rel=1e-12)
    assert res.discounted["v"] == pytest.approx(c * (1 - q) * (1 - a**T) / (1 - a), rel=1e-12)


def test_closed_form_count_start_and_half_cycle():
    q, T = 0.2, 10
    P = two_state(q)
    t = np.arange(T + 1)
    alive = (1 - q) ** t
    start = cohort_trace(P, [1.0, 0.0], T, count="start")
    np.testing.assert_allclose(start[:, 0], alive[:-1], rtol=1e-13)
    half = cohort_trace(P, [1.0, 0.0], T, count="half-cycle")
    np.testing.assert_allclose(half[:, 0], (alive[:-1] + alive[1:]) / 2, rtol=1e-13)
    # life-table total = classic half-cycle correction: x0/2 + x1 + ... + x_{T-1} + xT/2
    b = 1 - q
    corrected = (1 - b ** (T + 1)) / (1 - b) - 0.5 - 0.5 * b**T
    assert half[:, 0].sum() == pytest.approx(corrected, rel=1e-13)
    np.testing.assert_array_equal(cohort_trace(P, [1.0, 0.0], T, count="life-table"), half)
    res = run(P, [1.0, 0.0], T, state_values={"ly": [1.0, 0.0]}, count="start")
    np.testing.assert_array_equal(res.cycle, np.arange(T))


# --------------------------------------------------------------------------
# Batching and time-varying matrices
# --------------------------------------------------------------------------


def random_stochastic(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    m = rng.random(shape)
    return m / m.sum(axis=-1, keepdims=True)


def test_batched_equals_unbatched_per_draw():
    rng = np.random.default_rng(20240611)
    N, T, S = 7, 12, 4
    P = random_stochastic(rng, (N, T, S, S))
    init = random_stochastic(rng, (N, S))
    vals = rng.random((N, T, S)) * 100
    batched = run(P, init, T, state_values={"v": vals}, discount_rate=0.03)
    assert batched.trace.shape == (N, T, S)
    assert batched.values["v"].shape == (N, T)
    assert batched.discounted["v"].shape == (N,)
    for n in range(N):
        single = run(P[n], init[n], T, state_values={"v": vals[n]}, discount_rate=0.03)
        np.testing.assert_allclose(batched.trace[n], single.trace, rtol=1e-13)
        np.testing.assert_allclose(batched.values["v"][n], single.values["v"], rtol=1e-13)
        assert batched.discounted["v"][n] == pytest.approx(single.discounted["v"], rel=1e-13)
        assert batched.totals["v"][n] == pytest.approx(single.totals["v"], rel=1e-13)


def test_batched_constant_matrix_per_draw_and_common_init():
    rng = np.random.default_rng(5)
    N, T, S = 4, 9, 3
    P = random_stochastic(rng, (N, S, S))  # (N, S, S): one constant matrix per draw
    init = np.array([0.5, 0.5, 0.0])
    trace = cohort_trace(P, init, T)
    assert trace.shape == (N, T, S)
    for n in range(N):
        np.testing.assert_allclose(trace[n], cohort_trace(P[n], init, T), rtol=1e-13)
    # explicit flag gives the same answer
    np.testing.assert_array_equal(cohort_trace(P, init, T, time_varying=False), trace)


def test_batched_init_only():
    P = two_state(0.1)
    init = np.array([[1.0, 0.0], [0.5, 0.5]])
    trace = cohort_trace(P, init, 3)
    assert trace.shape == (2, 3, 2)
    np.testing.assert_allclose(trace[1, :, 0], 0.5 * 0.9 ** np.arange(1, 4), rtol=1e-14)


def test_time_varying_with_equal_cycles_equals_constant():
    rng = np.random.default_rng(11)
    T, S = 15, 5
    P = random_stochastic(rng, (S, S))
    init = random_stochastic(rng, (S,))
    tv = np.broadcast_to(P, (T, S, S))
    for count in ("end", "start", "half-cycle"):
        np.testing.assert_allclose(
            cohort_trace(tv, init, T, count=count),
            cohort_trace(P, init, T, count=count),
            rtol=1e-14,
        )
    vals = rng.random(S)
    a = run(P, init, T, state_values={"v": vals}, discount_rate=0.05)
    b = run(tv, init, T, state_values={"v": np.tile(vals, (T, 1))}, discount_rate=0.05)
    assert a.discounted["v"] == pytest.approx(b.discounted["v"], rel=1e-14)


def test_time_varying_matrix_is_used_in_order():
    """Cycle 1 kills everyone (P_1), so later matrices do not matter."""
    P = np.stack([two_state(1.0), two_state(0.0), two_state(0.5)])
    trace = cohort_trace(P, [1.0, 0.0], 3)
    np.testing.assert_array_equal(trace[:, 0], [0.0, 0.0, 0.0])
    P = np.stack([two_state(0.0), two_state(0.5), two_state(0.5)])
    np.testing.assert_allclose(cohort_trace(P, [1.0, 0.0], 3)[:, 0], [1.0, 0.5, 0.25])


# --------------------------------------------------------------------------
# Result object
# --------------------------------------------------------------------------


def test_result_frame_repr_and_immutability():
    res = run(
        two_state(0.1),
        [1.0, 0.0],
        3,
        state_values={"cost": [100.0, 0.0]},
        discount_rate=0.1,
        states=["alive", "dead"],
    )
    df = res.to_frame()
    assert isinstance(df, pd.DataFrame)
    assert df.index.name == "cycle"
    assert list(df.index) == [1, 2, 3]
    assert df[("trace", "alive")].tolist() == pytest.approx([0.9, 0.81, 0.729])
    assert df[("value", "cost")].sum() == pytest.approx(res.totals["cost"])
    assert df[("discounted", "cost")].sum() == pytest.approx(res.discounted["cost"])
    text = repr(res)
    assert text.startswith("MarkovResult(2 states × 3 cycles")
    assert "cost" in text
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.count = "start"  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        res.trace[0, 0] = 1.0

    batched = run(
        np.stack([two_state(0.1), two_state(0.2)]),
        [1.0, 0.0],
        3,
        state_values={"cost": [100.0, 0.0]},
        time_varying=False,
    )
    bdf = batched.to_frame()
    assert bdf.index.names == ["draw", "cycle"]
    assert bdf.shape == (6, 4)
    assert "2 draws" in repr(batched)


# --------------------------------------------------------------------------
# Properties (hypothesis)
# --------------------------------------------------------------------------


@st.composite
def stochastic_matrices(draw, max_states: int = 5):
    S = draw(st.integers(1, max_states))
    raw = draw(arrays(np.float64, (S, S), elements=st.floats(0.0, 1.0, allow_subnormal=False)))
    raw = raw + 1e-3 * np.eye(S)  # no all-zero rows
    return raw / raw.sum(axis=1, keepdims=True)


@settings(max_examples=60, deadline=None)
@given(P=stochastic_matrices(), cycles=st.integers(1, 60), data=st.data())
def test_property_trace_is_a_distribution(P, cycles, data):
    S = P.shape[0]
    w = data.draw(arrays(np.float64, (S,), elements=st.floats(0.0, 1.0, allow_subnormal=False)))
    init = np.full(S, 1.0 / S) if w.sum() == 0 else w / w.sum()
    for count in ("end", "start", "half-cycle"):
        trace = cohort_trace(P, init, cycles, count=count)
        assert trace.shape == (cycles, S)
        assert np.all(trace >= 0)
        np.testing.assert_allclose(trace.sum(axis=1), 1.0, rtol=0, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    P=stochastic_matrices(),
    cycles=st.integers(1, 40),
    rates=st.lists(st.floats(0.0, 0.5), min_size=2, max_size=2),
    data=st.data(),
)
def test_property_discounted_value_non_increasing_in_rate(P, cycles, rates, data):
    S = P.shape[0]
    vals = data.draw(arrays(np.float64, (S,), elements=st.floats(0.0, 1e4)))
    init = np.zeros(S)
    init[0] = 1.0
    lo, hi = sorted(rates)
    res_lo = run(P, init, cycles, state_values={"v": vals}, discount_rate=lo)
    res_hi = run(P, init, cycles, state_values={"v": vals}, discount_rate=hi)
    assert res_hi.discounted["v"] <= res_lo.discounted["v"] * (1 + 1e-12) + 1e-12
    assert res_lo.discounted["v"] <= res_lo.totals["v"] * (1 + 1e-12) + 1e-12


# --------------------------------------------------------------------------
# Validation: InputError naming cycle/row and value
# --------------------------------------------------------------------------


def message(excinfo: pytest.ExceptionInfo[InputError]) -> str:
    return str(excinfo.value)


def test_probability_above_one_names_entry_and_value():
    P = np.array([[0.5, 0.5], [-0.2, 1.2]])
    with pytest.raises(InputError) as e:
        cohort_trace(P, [1.0, 0.0], 3, states=["alive", "dead"])
    text = message(e)
    assert "row 'dead'" in text and "column 'alive'" in text
    assert "-0.2" in text and "1.2" in text
    assert "[0, 1]" in text
    assert len(e.value.problems) == 2


def test_nan_probability_rejected():
    P = np.array([[np.nan, 1.0], [0.0, 1.0]])
    with pytest.raises(InputError, match="nan"):
        cohort_trace(P, [1.0, 0.0], 2)


def test_row_sum_names_cycle_row_and_sum():
    P = np.stack([two_state(0.1)] * 5)
    P[2, 0, 0] = 0.95  # row 'alive' in cycle 3 sums to 1.05
    with pytest.raises(InputError) as e:
        cohort_trace(P, [1.0, 0.0], 5, states=["alive", "dead"])
    text = message(e)
    assert "cycle 3" in text
    assert "row 'alive'" in text
    assert "1.05" in text
    assert "sum to 1" in text
    assert e.value.problems[0].value == pytest.approx(1.05)


def test_row_sum_tolerance_is_1e_9():
    P = two_state(0.1)
    P[0, 0] += 5e-10
    cohort_trace(P, [1.0, 0.0], 2)  # within tolerance
    P[0, 0] += 1e-9
    with pytest.raises(InputError, match="row 0"):
        cohort_trace(P, [1.0, 0.0], 2)


def test_row_sum_in_batched_matrix_names_draw():
    P = np.stack([two_state(0.1), two_state(0.1), two_state(0.1)])
    P[1, 1, 1] = 0.5
    with pytest.raises(InputError) as e:
        cohort_trace(P, np.tile([1.0, 0.0], (3, 1)), 4)
    text = message(e)
    assert "draw 1" in text and "row 1" in text and "0.5" in text


def test_init_not_summing_to_one():
    with pytest.raises(InputError) as e:
        cohort_trace(two_state(0.1), [0.7, 0.2], 3)
    assert "init" in message(e) and "0.9" in message(e)
    with pytest.raises(InputError, match=r"init\[1\] \(draw 1\)"):
        cohort_trace(two_state(0.1), [[1.0, 0.0], [0.6, 0.6]], 3)
    with pytest.raises(InputError, match=r"-0\.5"):
        cohort_trace(two_state(0.1), [1.5, -0.5], 3)


@pytest.mark.parametrize("cycles", [0, -3, 2.5, True, "10"])
def test_bad_cycles(cycles):
    with pytest.raises(InputError, match="cycles"):
        cohort_trace(two_state(0.1), [1.0, 0.0], cycles)


def test_shape_mismatches():
    with pytest.raises(InputError, match=r"init: got \(3,\)"):
        cohort_trace(two_state(0.1), [1.0, 0.0, 0.0], 3)
    with pytest.raises(InputError, match=r"P: got \(2, 3\)"):
        cohort_trace(np.ones((2, 3)) / 3, [1.0, 0.0], 3)
    with pytest.raises(InputError, match=r"shape \(4, 2, 2\)"):  # time-varying, wrong length
        cohort_trace(np.stack([two_state(0.1)] * 3), [1.0, 0.0], 4, time_varying=True)
    with pytest.raises(InputError, match="draw axes"):  # 3 draws of P vs 2 of init
        cohort_trace(np.stack([two_state(0.1)] * 3), [[1.0, 0.0], [1.0, 0.0]], 4)
    with pytest.raises(InputError, match=r"state_values\['v'\]"):
        run(two_state(0.1), [1.0, 0.0], 3, state_values={"v": [1.0, 2.0, 3.0]})
    with pytest.raises(InputError, match=r"state_values\['v'\]"):
        run(two_state(0.1), [1.0, 0.0], 3, state_values={"v": np.ones((4, 2))})
    with pytest.raises(InputError, match="states"):
        cohort_trace(two_state(0.1), [1.0, 0.0], 3, states=["a", "b", "c"])


def test_ambiguous_draw_or_cycle_axis_must_be_explicit():
    P = np.stack([two_state(0.1)] * 3)
    init = np.tile([1.0, 0.0], (3, 1))
    with pytest.raises(InputError, match="time_varying"):
        cohort_trace(P, init, 3)
    assert cohort_trace(P, init, 3, time_varying=True).shape == (3, 3, 2)


def test_bad_options():
    with pytest.raises(InputError, match="count"):
        cohort_trace(two_state(0.1), [1.0, 0.0], 3, count="middle")
    with pytest.raises(InputError, match="discount_rate"):
        run(two_state(0.1), [1.0, 0.0], 3, state_values={"v": [1.0, 0.0]}, discount_rate=-1.0)
    with pytest.raises(InputError, match=r"discount_rate\['ly'\]"):
        run(
            two_state(0.1),
            [1.0, 0.0],
            3,
            state_values={"v": [1.0, 0.0], "ly": [1.0, 0.0]},
            discount_rate={"v": 0.03},
        )
    with pytest.raises(InputError, match="state_values"):
        run(two_state(0.1), [1.0, 0.0], 3, state_values={})
    with pytest.raises(InputError, match="inf"):
        run(two_state(0.1), [1.0, 0.0], 3, state_values={"v": [np.inf, 0.0]})


def test_relative_risk_validation():
    with pytest.raises(InputError) as e:
        apply_relative_risk(two_state(0.4), [1.0, 3.0], states=["alive", "dead"])
    text = message(e)
    assert "rr[1]" in text and "row 'alive'" in text and "3.0" in text and "2.5" in text
    with pytest.raises(InputError, match=r"-0\.1"):
        apply_relative_risk(two_state(0.4), -0.1)
    with pytest.raises(InputError, match="rr"):
        apply_relative_risk(np.stack([two_state(0.4)] * 3), [1.0, 0.5])
    with pytest.raises(InputError, match=r"1\.2"):
        apply_relative_risk(np.array([[0.5, 0.7], [0.0, 1.0]]), 0.5)
