"""The compiled event loop and pricing against numpy: the generator bit for bit, the same histories.

The counter-based generator is checked against numpy's own Philox4x64-10
(:class:`numpy.random.Philox`, an independent implementation); the compiled
event loop against the numpy path of :func:`simulate_histories` on the same
random numbers (every feature of the model: hazard kinds, state sojourns,
subgroups, effects with decay, dated changes by calendar and by referral
date); a user's hazard kind, which has no compiled implementation, runs on the
numpy path and gives the histories of the built-in kind it equals.
"""

from __future__ import annotations

import copy
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simkit
from simkit.engine import _param_rows
from simkit.model import _kernel
from simkit.model.hazards import HAZARD_KINDS, HazardKind, register_hazard
from simkit.model.pricing import group_costs, prices, spell_costs
from simkit.model.simulate import simulate_histories

from .test_model import BASE

U64 = st.integers(0, 2**64 - 1)


def _numpy_philox(counter, key) -> np.ndarray:
    """numpy's Philox output block for ``counter``: numpy increments its 256-bit counter first."""
    c = sum(int(w) << (64 * i) for i, w in enumerate(counter))
    c = (c - 1) % 2**256
    prev = np.array([(c >> (64 * i)) & (2**64 - 1) for i in range(4)], dtype=np.uint64)
    return np.random.Philox(key=np.asarray(key, dtype=np.uint64), counter=prev).random_raw(4)


@settings(max_examples=60, deadline=None)
@given(c=st.lists(U64, min_size=4, max_size=4), k=st.lists(U64, min_size=2, max_size=2))
def test_philox_is_numpys_philox4x64_bit_for_bit(c, k):
    ours = _kernel.nb().philox_blocks(np.array([c], dtype=np.uint64), np.array(k, dtype=np.uint64))[0]
    assert np.array_equal(ours, _numpy_philox(c, k))


def test_uniforms_are_numpys_doubles_of_the_cell_step_slot_counter():
    key = _kernel.philox_key(7, 20, 3)
    cells = np.array([0, 1, 94, 97_279], dtype=np.int64)
    u = _kernel.nb().uniforms(key, cells, 5, 10)
    for i, cell in enumerate(cells):
        for grp in range(3):
            prev = np.array([cell, 5, grp, 0], dtype=np.uint64)
            words = _numpy_philox(prev, key)
            # numpy's random(): (x >> 11) * 2**-53
            expect = (words >> np.uint64(11)).astype(float) * 2.0**-53
            n = min(4, 10 - 4 * grp)
            assert np.array_equal(u[i, 4 * grp:4 * grp + n], expect[:n])
    # the key is the SeedSequence's state for (stream, block)
    ss = np.random.SeedSequence(7, spawn_key=(20, 3)).generate_state(2, np.uint64)
    assert np.array_equal(key, ss)


def _rich_model():
    """Every feature the kernel compiles, in one toy model (values arbitrary but plausible)."""
    doc = copy.deepcopy(BASE)
    doc["agreement"]["intake"] = [{"from": "2026-01-01", "to": "2026-12-31", "count": 100}]
    doc["subgroups"] = [{"id": "young", "count": 40, "prior_benefit_weeks": 0, "source": "t"},
                        {"id": "old", "count": 60, "source": "t",
                         "hazard_ratios": [{"from": "a", "to": "b", "hazard_ratio": "hr_old"}]}]
    doc["states"] = {
        "course": {"kind": "programme", "sojourn": {"dist": "weibull", "shape": 1.5, "scale_weeks": 20.0}},
        "a": {"kind": "benefit", "cost": [{"payer": "municipality", "from": "2020-01-01", "weekly": 1000.0,
                                          "source": "t"}]},
        "b": {"kind": "job"},
        "c": {"kind": "education", "sojourn": {"dist": "fixed", "weeks": 30.0}},
        "p": {"kind": "pension"},
    }
    doc["arms"] = {"bau": {"initial": "a"}, "programme": {"initial": "course"}}
    doc["transitions"] = [
        {"from": "course", "to": "a", "probability": "p_complete", "event": "completed", "arms": ["programme"]},
        {"from": "course", "to": "b", "probability": "rest", "arms": ["programme"]},
        {"from": "a", "to": "b", "hazard": {"dist": "exponential", "mean_weeks": "mean_ab"}},
        {"from": "a", "to": "c", "hazard": {"dist": "piecewise", "breaks_weeks": [0, 10, 40],
                                            "rates": [0.0, 0.02, "late_rate"], "clock": "since_referral"}},
        {"from": "a", "to": "p", "hazard": {"dist": "weekly", "probability": 0.002}},
        {"from": "b", "to": "a", "hazard": {"dist": "weibull", "shape": 0.8, "scale_weeks": 60.0}},
        {"from": "c", "to": "b", "probability": 0.7},
        {"from": "c", "to": "a", "probability": 0.3},
    ]
    doc["effects"] = [
        {"transitions": [{"from": "a", "to": "b"}], "hazard_ratio": "hr_prog",
         "decay": [{"after_weeks": 52, "hazard_ratio": 1.2}, {"after_weeks": 104, "hazard_ratio": 1.0}],
         "source": "t"},
        {"transitions": [{"from": "a", "to": "p"}], "hazard_ratio": 0.6, "subgroups": ["old"], "source": "t"},
        {"transitions": [{"from": "a", "to": "c"}], "hazard_ratio": 1.4, "source": "t"},
    ]
    doc["changes"] = [
        {"transitions": [{"from": "a", "to": "b"}], "from": "2027-01-01", "by": "calendar",
         "hazard_ratio": 0.8, "source": "t"},
        {"transitions": [{"from": "a", "to": "c"}], "from": "2026-07-01", "by": "referral", "arms": ["programme"],
         "hazard_ratio": "hr_reform", "source": "t"},
    ]
    doc["parameters"] = {
        "p_complete": {"dist": "uniform", "low": 0.6, "high": 0.9, "source": "t"},
        "mean_ab": {"dist": "lognormal", "median": 40.0, "low": 25.0, "high": 70.0, "source": "t"},
        "late_rate": {"dist": "uniform", "low": 0.005, "high": 0.02, "source": "t"},
        "hr_old": {"dist": "uniform", "low": 0.5, "high": 1.0, "source": "t"},
        "hr_prog": {"dist": "uniform", "low": 1.2, "high": 2.0, "source": "t"},
        "hr_reform": {"dist": "uniform", "low": 0.7, "high": 1.3, "source": "t"},
    }
    doc["indicators"] = [{"id": "completion", "kind": "completion"}]
    doc["contract"]["targets"] = [{"id": "t", "indicator": "completion", "threshold": 0.8, "weight": 1.0}]
    return simkit.load_scenario(doc)


def _assert_same(hk, hn):
    for f in ("key", "arm", "state", "event_in"):
        assert np.array_equal(getattr(hk, f), getattr(hn, f)), f
    for f in ("start", "end", "stair0"):
        np.testing.assert_allclose(getattr(hk, f), getattr(hn, f), rtol=1e-12, atol=1e-9, err_msg=f)


@pytest.mark.parametrize("name", ["rich", "norddjurs", "sundinvest_2021", "aarhus_ratecard"])
def test_compiled_event_loop_gives_the_numpy_paths_histories(name):
    sc = _rich_model() if name == "rich" else simkit.load_scenario(name)
    assert _kernel.compiled_supported(sc)
    p = _param_rows(sc, 4, 1024, 1024 + 48)
    hk = simulate_histories(sc, p, seed=4, block=1, compiled=True)
    hn = simulate_histories(sc, p, seed=4, block=1, compiled=False)
    assert hk.key.size > 2 * 48 * sc.agreement.cohort_size   # a real history, not one spell each
    _assert_same(hk, hn)
    if name == "rich":   # every transition happened somewhere
        ev = set(np.unique(hk.event_in).tolist())
        assert set(range(len(sc.model.transitions))) <= ev


def test_both_arms_read_the_same_numbers():
    """With an effect of hazard ratio 1 the programme arm is business as usual, spell for spell."""
    doc = copy.deepcopy(BASE)
    doc["effects"] = [{"transitions": [{"from": "a", "to": "b"}], "hazard_ratio": 1.0, "source": "t"}]
    h = simulate_histories(simkit.load_scenario(doc), {"_": np.zeros(64)}, seed=9, block=0)
    bau, prog = h.arm_mask("bau"), h.arm_mask("programme")
    for f in ("key", "state", "start", "end", "stair0"):
        assert np.array_equal(getattr(h, f)[bau], getattr(h, f)[prog]), f


@pytest.fixture
def user_kinds():
    """A clone of the exponential kind and a linearly rising hazard, registered as a user would."""
    register_hazard(HazardKind("exp_clone_test", ("mean_weeks",),
                               cumulative=lambda x, a: x / np.asarray(a["mean_weeks"], dtype=float),
                               inverse=lambda y, a: y * np.asarray(a["mean_weeks"], dtype=float)))
    register_hazard(HazardKind("rising_test", ("slope",),
                               cumulative=lambda x, a: 0.5 * np.asarray(a["slope"]) * np.maximum(x, 0.0) ** 2,
                               inverse=lambda y, a: np.sqrt(2 * np.maximum(y, 0.0) / np.asarray(a["slope"]))))
    yield
    HAZARD_KINDS.pop("exp_clone_test")
    HAZARD_KINDS.pop("rising_test")


def test_a_user_hazard_kind_runs_on_the_numpy_path_with_the_same_numbers(user_kinds):
    doc = copy.deepcopy(BASE)
    doc["effects"] = [{"transitions": [{"from": "a", "to": "b"}], "hazard_ratio": 1.5, "source": "t"}]
    ref = simkit.load_scenario(doc)
    doc["transitions"][0]["hazard"] = {"dist": "exp_clone_test", "mean_weeks": 20.0}
    user = simkit.load_scenario(doc)
    assert _kernel.compiled_supported(ref) and not _kernel.compiled_supported(user)
    p = {"_": np.zeros(256)}
    _assert_same(simulate_histories(ref, p, seed=2, block=0), simulate_histories(user, p, seed=2, block=0))


def test_a_user_hazard_kind_agrees_with_its_closed_form(user_kinds):
    """H0(x) = s x² / 2 (hazard s x): E[T] = sqrt(π / (2 s)), Var T = (4 − π) / (2 s)."""
    doc = copy.deepcopy(BASE)
    doc["states"]["b"]["kind"] = "pension"
    doc["transitions"] = [{"from": "a", "to": "b", "hazard": {"dist": "rising_test", "slope": 0.002}}]
    doc["indicators"] = [{"id": "in_b", "kind": "in_state", "states": ["b"], "followup_weeks": [26.0]}]
    h = simulate_histories(simkit.load_scenario(doc), {"_": np.zeros(256)}, seed=5, block=0)
    first = h.arm_mask("bau") & (h.event_in == -1)
    t = h.end[first] - h.start[first]
    s = 0.002
    mean, sd = np.sqrt(np.pi / (2 * s)), np.sqrt((4 - np.pi) / (2 * s))
    assert np.all(t < h.horizon)    # sd 15 weeks: nobody waits 260 weeks
    assert abs(t.mean() - mean) < 4 * sd / np.sqrt(t.size)


@pytest.mark.parametrize("name", ["norddjurs", "aarhus_ratecard"])
def test_compiled_pricing_gives_the_numpy_passes_prices(name):
    sc = simkit.load_scenario(name)
    p = _param_rows(sc, 1, 0, 32)
    h = simulate_histories(sc, p, seed=1, block=0)
    pr = prices(sc)
    fac = {k: v[h.draw] for k, v in p.items()}
    sub = h.subgroup[h.person]
    for until in (None, 150.0):
        for discounted in (True, False):
            a = spell_costs(pr, h.state, sub, h.start, h.end, h.stair0, fac, until=until, discounted=discounted)
            b = spell_costs(pr, h.state, sub, h.start, h.end, h.stair0, fac, until=until, discounted=discounted,
                            compiled=False)
            for payer in a:
                np.testing.assert_allclose(a[payer], b[payer], rtol=1e-12, atol=1e-6)


def test_import_simkit_does_not_load_numba():
    code = "import sys, simkit; simkit.load_scenario('norddjurs'); print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_loop_goes_on_where_its_buffers_filled_up():
    """Output room for a few cells at a time gives the same spells as room for all."""
    sc = simkit.load_scenario(copy.deepcopy(BASE))
    p = {"_": np.zeros(8)}
    key = _kernel.philox_key(3, 20, 0)
    whole, n_whole = _kernel.run(sc, p, 8, key, 100)
    parts, n_parts = _kernel.run(sc, p, 8, key, 100, cap=250)   # about 20 spells per cell and arm
    for a, b in zip(whole, parts, strict=True):
        assert np.array_equal(a, b)
    assert np.array_equal(n_whole, n_parts)


def test_a_history_longer_than_the_step_limit_is_an_error():
    sc = simkit.load_scenario(copy.deepcopy(BASE))
    with pytest.raises(RuntimeError, match="did not finish within 3 transitions"):
        _kernel.run(sc, {"_": np.zeros(2)}, 2, _kernel.philox_key(3, 20, 0), 3)


def _cuts_reference(pr, state, sub, start, end, stair0, fac, cuts, group, weight, groups, discounted):
    """The definition of costs_until: price every spell up to each cut (numpy passes), sum by group."""
    out = np.zeros((groups, len(cuts), 3))
    for k, c in enumerate(cuts):
        a = spell_costs(pr, state, sub, start, end, stair0, fac, until=c, discounted=discounted, compiled=False)
        for i, payer in enumerate(a):
            out[:, k, i] = np.bincount(group, weights=weight * a[payer], minlength=groups)
    return out


@pytest.mark.parametrize("discounted", [True, False])
def test_costs_until_one_pass_equals_pricing_up_to_each_cut(discounted):
    # unsorted cuts, a repeated cut, cuts before every spell, at spell ends and past the horizon:
    # the compiled pass (each spell priced once at its end, cumulated over the sorted cuts) must give
    # what pricing every spell up to each cut gives
    sc = simkit.load_scenario("norddjurs")
    p = _param_rows(sc, 3, 0, 8)
    h = simulate_histories(sc, p, seed=3, block=0)
    pr = prices(sc)
    used = {x.factor for x in pr.series if x.factor is not None}
    fac = {k: v for k, v in p.items() if k in used}
    sub = h.subgroup[h.person]
    group = h.draw * 2 + h.arm.astype(np.int64)
    weight = np.where(h.arm == 0, 1.0, -0.5)
    cuts = np.array([300.0, 52.0, -1.0, float(h.end[3]), 52.0, 1e4, 0.0, float(h.start[5]), 130.5])
    got = _kernel.price_cuts(_kernel.price_tables(pr), h.state, sub, h.start, h.end, h.stair0, fac, cuts, group,
                             weight, 16, discounted, factor_index=h.draw)
    want = _cuts_reference(pr, h.state, sub, h.start, h.end, h.stair0, {k: v[h.draw] for k, v in fac.items()},
                           cuts, group, weight, 16, discounted)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-6)
    assert np.all(got[:, 2] == 0) and np.all(got[:, 6] == 0)     # nothing is spent before week 0
    np.testing.assert_array_equal(got[:, 1], got[:, 4])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 7), st.floats(0, 200), st.floats(0, 120), st.floats(0, 80),
                          st.integers(0, 3)), min_size=1, max_size=12),
       st.lists(st.floats(-10, 400), min_size=1, max_size=6))
def test_costs_until_agrees_with_its_definition_on_any_spells(spells, cuts):
    # property: for arbitrary spells (any state, staircase count and length) and cuts, the one-pass
    # cumulative kernel equals pricing up to each cut (the cumulative sum reorders additions only)
    sc = simkit.load_scenario("norddjurs")
    pr = prices(sc)
    n_states = len(sc.model.states)
    state = np.array([s % n_states for s, *_ in spells])
    start = np.array([a for _, a, *_ in spells])
    end = start + np.array([d for _, _, d, *_ in spells])
    stair0 = np.array([c for *_, c, _ in spells])
    group = np.array([g for *_, g in spells])
    sub = np.arange(state.size) % len(sc.model.subgroups)
    fac = {f: np.full(state.size, 1.25) for f in {x.factor for x in pr.series if x.factor is not None}}
    w = np.linspace(1.0, -1.0, state.size)
    for discounted in (True, False):
        got = _kernel.price_cuts(_kernel.price_tables(pr), state, sub, start, end, stair0, fac, cuts, group, w, 4,
                                 discounted)
        want = _cuts_reference(pr, state, sub, start, end, stair0, fac, cuts, group, w, 4, discounted)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-6)


def test_fused_pricing_by_draw_is_the_bincount_of_the_spell_costs_bit_for_bit():
    # the engine prices and sums per draw in one pass, each spell reading its draw's factor: the same
    # additions in the same order as pricing per spell (factors gathered per spell) and np.bincount
    sc = simkit.load_scenario("norddjurs")
    p = _param_rows(sc, 4, 0, 6)
    h = simulate_histories(sc, p, seed=4, block=0)
    pr = prices(sc)
    sub = h.subgroup[h.person]
    sign = np.where(h.arm == 0, 1.0, -1.0)
    per_spell = spell_costs(pr, h.state, sub, h.start, h.end, h.stair0, {k: v[h.draw] for k, v in p.items()})
    by_index = spell_costs(pr, h.state, sub, h.start, h.end, h.stair0, p, factor_index=h.draw)
    numpy_path = spell_costs(pr, h.state, sub, h.start, h.end, h.stair0, p, factor_index=h.draw, compiled=False)
    fused = group_costs(pr, h.state, sub, h.start, h.end, h.stair0, p, h.draw, sign, 6, factor_index=h.draw)
    for i, payer in enumerate(per_spell):
        np.testing.assert_array_equal(by_index[payer], per_spell[payer])
        np.testing.assert_allclose(numpy_path[payer], per_spell[payer], rtol=1e-12, atol=1e-6)
        np.testing.assert_array_equal(fused[:, i], np.bincount(h.draw, weights=sign * per_spell[payer], minlength=6))


def _tables_equal(a, b):
    for f in ("cells", "referral", "cell", "state", "start", "end", "event_in", "exit_event", "prev_state", "exit_code"):
        x, y = getattr(a, f), getattr(b, f)
        assert np.asarray(x).dtype == np.asarray(y).dtype, f
        np.testing.assert_array_equal(x, y, err_msg=f)


def test_compiled_spell_table_is_the_numpy_table():
    # arm_spells' one compiled pass against its numpy passes: a simulated block, and hand-made spells
    # with runs of spells shorter than a day (dropped; the event into the first passes on), one of them
    # at the end of a cell
    from simkit.model.engine import arm_spells
    from simkit.model.simulate import Histories

    sc = simkit.load_scenario("norddjurs")
    p = _param_rows(sc, 5, 0, 4)
    h = simulate_histories(sc, p, seed=5, block=0)
    for arm in ("bau", "programme"):
        _tables_equal(arm_spells(h, arm, sc.model, compiled=True), arm_spells(h, arm, sc.model, compiled=False))
    day = 1 / 7
    key = np.array([0, 0, 0, 0, 0, 1, 1, 1, 0, 1])
    arm = np.array([0, 0, 0, 0, 0, 0, 0, 0, 1, 1], dtype=np.int8)
    start = np.array([0, 3, 3 + day / 3, 3 + day / 2, 10, 0, 5, 5 + day / 4, 0, 0.0])
    end = np.array([3, 3 + day / 3, 3 + day / 2, 10, 20, 5, 5 + day / 4, 20, 20, 20.0])
    state = np.array([0, 1, 2, 3, 4, 0, 1, 2, 0, 0], dtype=np.int16)
    ev = np.array([-1, 2, 5, 7, 1, -1, 3, 4, -1, -1], dtype=np.int16)
    hh = Histories(1, 2, np.array([0.0, 0.0]), np.zeros(2, np.int16), key, arm, state, start, end, ev,
                   np.zeros(10), 20.0)
    a = arm_spells(hh, "bau", sc.model, compiled=True)
    _tables_equal(a, arm_spells(hh, "bau", sc.model, compiled=False))
    # hand check: cell 0 keeps spells 0, 3, 4 (3 gets the event into spell 1), cell 1 keeps 5 and 7
    assert a.cell.tolist() == [0, 0, 0, 1, 1] and a.state.tolist() == [0, 3, 4, 0, 2]
    assert a.event_in.tolist() == [-1, 2, 1, -1, 3] and a.prev_state.tolist() == [-1, 0, 3, -1, 0]
    assert a.exit_code.tolist() == [2, 1, -1, 3, -1]
    _tables_equal(arm_spells(hh, "programme", None, compiled=True), arm_spells(hh, "programme", None, compiled=False))
