"""Streamed yearly curves: every draw's budget curve and cash view summarised per chunk, merged exactly.

Independent sources: numpy's mean, ``>= 0`` shares and quantiles on the same curves kept in memory;
the sketch's stated bound (``simkit.streaming`` module docstring).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simkit
from simkit.backends import BLOCK
from simkit.streaming import ALPHA, MIN_VALUE, CurveStats

DRAWS = 2 * BLOCK


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 5), st.integers(0, 2**32 - 1), st.integers(1, 3))
def test_curve_stats_do_not_depend_on_the_chunking(blocks, seed, points):
    block = 16
    x = np.random.default_rng(seed).normal(0, 1e6, size=(blocks * block + 5, points))
    whole = CurveStats.of(x, block=block)
    cut = block * (blocks // 2 + 1)
    parts = CurveStats.of(x[:cut], block=block).merge(CurveStats.of(x[cut:], block=block))
    assert whole.mean().tolist() == parts.mean().tolist()
    assert whole.p_nonnegative().tolist() == parts.p_nonnegative().tolist() == (x >= 0).mean(axis=0).tolist()
    assert whole.p_negative().tolist() == (x < 0).mean(axis=0).tolist()
    np.testing.assert_allclose(whole.mean(), x.mean(axis=0), rtol=1e-12, atol=1e-6)
    for q in (0.05, 0.5, 0.95):
        assert whole.quantile(q).tolist() == parts.quantile(q).tolist()
        srt = np.sort(x, axis=0)
        pos = q * (x.shape[0] - 1)
        k = int(np.floor(pos))
        hi = min(k + 1, x.shape[0] - 1)
        bound = ALPHA * np.maximum(np.abs(srt[k]), np.abs(srt[hi])) + MIN_VALUE
        assert (np.abs(whole.quantile(q) - np.quantile(x, q, axis=0)) <= bound * (1 + 1e-9)).all()


@pytest.fixture(scope="module")
def sc():
    return simkit.load_scenario()


@pytest.fixture(scope="module")
def kept(sc):
    """The same run kept in memory, with every draw's curves."""
    return simkit.simulate(sc, DRAWS, seed=4, keep_draws=True, curve_draws=DRAWS)


def _curve_view(res):
    s = res.summary()
    return (s["budget"]["break_even_year"], res.p_broken_even().tolist(), s.get("cash"),
            res.to_frame("curve").to_dict())


def test_streamed_curves_come_from_every_draw_whatever_the_chunking(sc, kept):
    one = simkit.simulate(sc, DRAWS, seed=4, keep_draws=0, curve_draws=BLOCK // 2, chunk_size=DRAWS)
    two = simkit.simulate(sc, DRAWS, seed=4, keep_draws=0, curve_draws=BLOCK // 2, chunk_size=BLOCK)
    par = simkit.simulate(sc, DRAWS, seed=4, keep_draws=0, curve_draws=BLOCK // 2, chunk_size=BLOCK,
                          workers=2, backend="processes")
    assert _curve_view(one) == _curve_view(two) == _curve_view(par)
    # the kept curve stays bounded: only the first curve_draws rows
    assert one.curve_.shape[0] == BLOCK // 2
    np.testing.assert_array_equal(one.curve_, kept.curve_[: BLOCK // 2])
    # ... while the figures use all DRAWS draws: exact counts, means to rounding, quantiles within the bound
    assert one.p_broken_even().tolist() == (kept.curve_ >= 0).mean(axis=0).tolist()
    np.testing.assert_allclose(one.curve_stats_.mean(), kept.curve_.mean(axis=0), rtol=1e-12)
    if kept.cash_ is not None:
        c = kept.cash_
        pts = one.summary()["cash"]["points"]
        assert one.summary()["cash"]["draws"] == DRAWS
        for k, p in enumerate(pts):
            assert p["p_negative"] == float(np.mean(c[:, k] < 0))
            for q, key in ((0.05, "q05"), (0.95, "q95")):
                srt = np.sort(c[:, k])
                i = int(np.floor(q * (DRAWS - 1)))
                bound = ALPHA * max(abs(srt[i]), abs(srt[i + 1])) + MIN_VALUE
                assert abs(p[key] - float(np.quantile(c[:, k], q))) <= bound * (1 + 1e-9)
