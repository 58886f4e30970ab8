"""Streamed runs: mergeable accumulators, the quantile sketch's bound, flat memory.

Independent sources: :func:`math.fsum` (correctly rounded sums), numpy's
``quantile``/``std`` on the same numbers, and the run kept in memory.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simkit
from simkit.backends import BLOCK
from simkit.errors import InputError
from simkit.limits import estimate_memory
from simkit.streaming import ALPHA, MIN_VALUE, ExactSum, QuantileSketch, RunStats

DRAWS = 3 * BLOCK + 100
EXACT_KEYS_SKIPPED = ("q05", "q50", "q95", "rate_q05", "rate_q50", "rate_q95", "net_q05", "net_q95",
                      "irr_median")

finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)


def _bound(x: np.ndarray, q: float) -> float:
    """The stated bound: alpha * max(|x_(k)|, |x_(k+1)|) + min_value, with a little float slack."""
    xs = np.sort(x)
    k = math.floor(q * (x.size - 1))
    m = max(abs(xs[k]), abs(xs[min(k + 1, x.size - 1)]))
    return (ALPHA * m + MIN_VALUE) * (1 + 1e-9) + 1e-15 * m


@settings(max_examples=60, deadline=None)
@given(st.lists(finite, min_size=1, max_size=400), st.lists(st.integers(0, 400), max_size=5),
       st.sampled_from([0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0]))
def test_sketch_quantile_is_within_the_stated_bound_of_numpys(values, cuts, q):
    x = np.array(values)
    x = np.concatenate([x, x[: len(x) // 3]])  # ties, as repayment amounts have
    sk = QuantileSketch()
    for part in np.split(x, sorted(c for c in cuts if c < x.size)):
        one = QuantileSketch()
        one.add(part)
        sk.merge(one)
    assert sk.n == x.size
    assert abs(sk.quantile(q) - float(np.quantile(x, q))) <= _bound(x, q)


def test_sketch_of_a_lognormal_sample_meets_the_bound_at_many_quantiles():
    x = np.random.default_rng(5).lognormal(13, 1.5, 50_000) * np.where(np.arange(50_000) % 4 == 0, -1, 1)
    sk = QuantileSketch()
    sk.add(x)
    for q in np.linspace(0, 1, 41):
        assert abs(sk.quantile(q) - np.quantile(x, q)) <= _bound(x, q)


def test_sketch_is_exact_for_few_distinct_values_and_ignores_nan():
    x = np.array([0.0, 2_992_500.0, 5_985_000.0, np.nan] * 250)
    sk = QuantileSketch()
    sk.add(x)
    ok = x[~np.isnan(x)]
    for q in (0.05, 0.5, 0.95):  # every bin holds one distinct value: exact
        assert sk.quantile(q) == np.quantile(ok, q)
    assert sk.nan == 250 and sk.n == 750


@settings(max_examples=60, deadline=None)
@given(st.lists(finite, max_size=300), st.randoms())
def test_exact_sum_is_fsum_in_any_order(values, rnd):
    a, b = ExactSum(), ExactSum()
    for v in values:
        a.add(v)
    shuffled = list(values)
    rnd.shuffle(shuffled)
    half = len(shuffled) // 2
    c = ExactSum()
    for v in shuffled[:half]:
        b.add(v)
    for v in shuffled[half:]:
        c.add(v)
    b.merge(c)
    assert a.value() == b.value() == math.fsum(values)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 5000), st.integers(1, 4))
def test_run_stats_merged_by_chunks_equal_the_whole(n, chunk_blocks):
    rng = np.random.default_rng(n)
    arrays = {"x": rng.normal(1e6, 3e5, n), "b": rng.random(n) < 0.3}
    whole = RunStats.from_arrays(arrays, ["x"], block=BLOCK)
    step = chunk_blocks * BLOCK
    merged = None
    for a in range(0, n, step):
        part = RunStats.from_arrays({k: v[a:a + step] for k, v in arrays.items()}, ["x"], block=BLOCK)
        merged = part if merged is None else merged.merge(part)
    for k in arrays:
        assert merged.mean(k) == whole.mean(k)  # the same, whatever the chunking
        assert whole.mean(k) == pytest.approx(math.fsum(arrays[k].astype(float)) / n, rel=1e-14)
        assert merged.sd(k) == whole.sd(k)
        if n > 1:
            assert whole.sd(k) == pytest.approx(float(np.std(arrays[k], ddof=1)), rel=1e-9, abs=1e-12)
    assert merged.quantile("x", 0.5) == whole.quantile("x", 0.5)


def _flat(d, prefix=""):
    for k, v in d.items():
        if isinstance(v, dict):
            yield from _flat(v, f"{prefix}{k}.")
        elif not isinstance(v, list):
            yield f"{prefix}{k}", v


def _same(a, b) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


@pytest.fixture(scope="module", params=["default", "norddjurs"])
def scenario(request):
    return simkit.load_scenario() if request.param == "default" else simkit.load_scenario(request.param)


@pytest.fixture(scope="module")
def in_memory(scenario):
    return simkit.simulate(scenario, DRAWS, seed=11)


@pytest.fixture(scope="module")
def streamed(scenario):
    return simkit.simulate(scenario, DRAWS, seed=11, keep_draws=BLOCK + 5, chunk_size=2 * BLOCK)


def test_streamed_summary_equals_the_in_memory_one(in_memory, streamed):
    assert in_memory.complete and not streamed.complete
    assert streamed.n == DRAWS and streamed.n_kept == BLOCK + 5
    a, b = dict(_flat(in_memory.summary())), dict(_flat(streamed.summary()))
    assert a.keys() == b.keys()
    for k, v in a.items():
        if k.rsplit(".", 1)[-1] in EXACT_KEYS_SKIPPED:
            continue
        assert _same(v, b[k]), (k, v, b[k])  # exact: means, P(...), SEs, sd


def test_streamed_quantiles_are_within_the_sketch_bound(in_memory, streamed):
    d = in_memory.draws_
    checks = [("repayment", "repayment", (0.05, 0.5, 0.95)), ("net_pv", "net_pv", (0.05, 0.95))]
    for key, x_key, qs in checks:
        x = np.asarray(d[x_key], dtype=float)
        for q, v in zip(qs, streamed.quantiles(key, qs), strict=True):
            assert abs(v - np.quantile(x, q)) <= _bound(x, q), (key, q)
    for t in in_memory.target_ids:
        den = d[f"denominator:{t}"]
        rate = (d[f"achieved:{t}"] / np.where(den > 0, den, 1))[den > 0]
        for q, v in zip((0.05, 0.5, 0.95), streamed.quantiles(f"rate:{t}", (0.05, 0.5, 0.95)), strict=True):
            assert abs(v - np.quantile(rate, q)) <= _bound(rate, q), (t, q)


def test_streamed_run_keeps_the_first_draws_unchanged(in_memory, streamed):
    for k, v in streamed.draws_.items():
        np.testing.assert_array_equal(v, in_memory.draws_[k][: streamed.n_kept], err_msg=k)
    np.testing.assert_array_equal(streamed.curve_, in_memory.curve_)
    with pytest.raises(InputError, match="keep_draws"):
        streamed.require_draws("a test")


@pytest.mark.parametrize("backend", ["processes", "distributed"])
def test_streamed_run_is_bit_identical_on_two_workers(default_scenario, backend):
    pytest.importorskip("distributed")
    from simkit import backends

    kw = dict(seed=4, keep_draws=100, chunk_size=BLOCK)
    ref = simkit.simulate(default_scenario, DRAWS, **kw)
    res = simkit.simulate(default_scenario, DRAWS, workers=2, backend=backend,
                          scheduler=backends._local_client(2) if backend == "distributed" else None, **kw)
    assert json.dumps(res.summary(), sort_keys=True) == json.dumps(ref.summary(), sort_keys=True)


def test_keep_draws_values(default_scenario):
    assert simkit.simulate(default_scenario, 2 * BLOCK, seed=1, keep_draws=False).n_kept == 0
    assert simkit.simulate(default_scenario, 2 * BLOCK, seed=1, keep_draws=True).complete
    with pytest.raises(InputError, match="keep_draws"):
        simkit.simulate(default_scenario, 2 * BLOCK, seed=1, keep_draws=-1)
    with pytest.raises(InputError, match="nested"):
        simkit.engine.simulate_arrays(default_scenario, 0, seed=1, nested=(4, 256), keep_draws=10)


def test_memory_estimate_of_a_streamed_run_is_flat_in_draws(default_scenario):
    est = [estimate_memory(default_scenario, n, keep_draws=10**6) for n in (10**7, 10**8, 10**9)]
    assert est[0] == est[1] == est[2]
    assert est[0] < estimate_memory(default_scenario, 10**7)


def test_analyses_that_need_every_draw_refuse_a_streamed_result(streamed):
    from simkit.design import reprice
    from simkit.sensitivity import value_of_information

    with pytest.raises(InputError, match="keep_draws"):
        reprice(streamed)
    with pytest.raises(InputError, match="keep_draws"):
        value_of_information(streamed)
