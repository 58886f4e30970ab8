"""Property tests (hypothesis): the readers never raise anything but their own errors, and the
engine's results stay in range and JSON-clean for any valid scenario.

Readers: random bytes, random TOML documents and random CSV tables either give a valid result
or raise the package's ScenarioError / DataError (InputError) — never another exception.
Engine: per-draw repayment in [0, the contract maximum], probabilities in [0, 1], no null
where a number belongs in the run JSON, and repayment never falls when an achieved count rises
(on the simulated counts themselves).
"""

from __future__ import annotations

import json
import string

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simkit
from simkit.contract import count_keys, max_repayment, repayment
from simkit.errors import DataError, InputError, ScenarioError
from simkit.io.files import to_jsonable
from simkit.io.observed import read_observed
from simkit.io.scenario import read_toml

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
HEADER = ["id", "referral_date", "course_status", "course_status_date", "outcome_type",
          "outcome_start", "outcome_end", "weekly_hours", "dp_award_date", "qol_baseline",
          "qol_followup"]

# ---------------------------------------------------------------- TOML


@SETTINGS
@given(st.binary(max_size=400))
def test_read_toml_random_bytes(tmp_path, data):
    p = tmp_path / "x.toml"
    p.write_bytes(data)
    try:
        _, doc = read_toml(p)
    except ScenarioError:
        return
    assert isinstance(doc, dict)


keys = st.sampled_from(["agreement", "contract", "budget", "parameters", "scenario", "cohort_size",
                        "grant", "premium", "targets", "threshold", "rule", "from", "to", "count",
                        "dist", "mean", "low", "high", "value", "source", "x"])
scalars = st.one_of(st.integers(-10**20, 10**20), st.floats(allow_nan=True), st.booleans(),
                    st.text(max_size=8), st.dates(), st.none())
documents = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                          st.dictionaries(keys, inner, max_size=4)),
                         max_leaves=12)


@SETTINGS
@given(st.dictionaries(keys, documents, max_size=4))
def test_load_scenario_random_layers(doc):
    try:
        sc = simkit.load_scenario(["norddjurs_v1", _drop_none(doc)])
    except InputError:
        return
    assert sc.agreement.cohort_size >= 1


def _drop_none(v):
    """TOML has no null: a layer as a TOML file could hold everything but None."""
    if isinstance(v, dict):
        return {k: _drop_none(x) for k, x in v.items() if x is not None}
    if isinstance(v, list):
        return [_drop_none(x) for x in v if x is not None]
    return v


@SETTINGS
@given(st.text(alphabet=string.printable + "[]{}=\"'.#ø\u0000", max_size=300))
def test_random_toml_text_through_the_cli_loader(tmp_path, text):
    p = tmp_path / "layer.toml"
    p.write_text(text, encoding="utf-8")
    try:
        simkit.load_scenario(["norddjurs_v1", p])
    except ScenarioError:
        pass


# ---------------------------------------------------------------- CSV

cells = st.one_of(
    st.sampled_from(["", "P1", "P2", "2025-11-06", "06-11-2025", "31-02-2026", "completed",
                     "ongoing", "dropped_out", "i gang", "job", "education", "none", "37", "37,5",
                     "1e308", "-1", "nan", "inf", "=1+1", "140699-7209", "0101901234", " ", "\t",
                     "\u0000", "ø", '"', ";", ","]),
    st.text(max_size=12),
)


@SETTINGS
@given(st.lists(st.lists(cells, min_size=0, max_size=13), max_size=8),
       st.sampled_from([",", ";"]), st.booleans())
def test_read_observed_random_tables(tmp_path, rows, sep, with_header):
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep)
    if with_header:
        w.writerow(HEADER)
    w.writerows(rows)
    p = tmp_path / "d.csv"
    p.write_text(buf.getvalue(), encoding="utf-8")
    try:
        df = read_observed(p)
    except DataError as exc:
        assert "7209" not in str(exc)  # a CPR is never echoed unmasked
        return
    assert 1 <= len(df) <= len(rows)
    assert df["id"].is_unique


@SETTINGS
@given(st.binary(max_size=300))
def test_read_observed_random_bytes(tmp_path, data):
    p = tmp_path / "d.csv"
    p.write_bytes(data)
    try:
        read_observed(p)
    except DataError:
        pass


# ---------------------------------------------------------------- engine invariants


@st.composite
def layers(draw):
    n = draw(st.integers(1, 120))
    rule = draw(st.sampled_from(["threshold", "pro_rata"]))
    targets = []
    for tid, den in (("completion", "referred"),
                     ("edu_work", draw(st.sampled_from(["referred", "completed"])))):
        threshold = draw(st.floats(0.05, 1.0))
        t = {"id": tid, "indicator": tid, "threshold": threshold, "weight": 0.5, "rule": rule,
             "denominator": den}
        if rule == "pro_rata":
            t["floor"] = threshold * draw(st.floats(0.0, 0.9))
        targets.append(t)
    return {
        "agreement": {"cohort_size": n,
                      "intake": [{"from": simkit_date("2025-11-01"), "to": simkit_date("2026-10-31"),
                                  "count": n, "source": "test"}]},
        "contract": {"grant": draw(st.floats(1.0, 1e15)), "premium": draw(st.floats(0.0, 1.0)),
                     "targets": targets},
    }


def simkit_date(text: str):
    import datetime as dt

    return dt.date.fromisoformat(text)


NULLABLE = {"nested", "break_even_year", "irr_median"}


def _no_null(v, key=""):
    if isinstance(v, dict):
        for k, x in v.items():
            _no_null(x, k)
    elif isinstance(v, list):
        for x in v:
            _no_null(x, key)
    else:
        assert v is not None or key in NULLABLE, key


@settings(max_examples=25, deadline=None)
@given(layers(), st.integers(0, 2**32))
def test_engine_invariants(layer, seed):
    sc = simkit.load_scenario(["norddjurs_v1", layer])
    res = simkit.simulate(sc, 64, seed=seed, curve_draws=16)
    rep = res.draws_["repayment"]
    cap = max_repayment(sc.contract)
    assert np.isfinite(rep).all()
    assert (rep >= 0).all() and (rep <= cap * (1 + 1e-9)).all()
    summary = res.summary()
    text = json.dumps(to_jsonable(summary), allow_nan=False)
    _no_null({k: json.loads(text)[k] for k in ("repayment", "budget", "fund")})
    for t in summary["targets"].values():
        assert 0 <= t["p_met"] <= 1
    for key in ("p_full", "p_none"):
        assert 0 <= summary["repayment"][key] <= 1
    assert 0 <= summary["budget"]["p_neutral"] <= 1
    assert 0 <= summary["fund"]["p_loss"] <= 1
    # monotone: one more achiever (within the denominator) never lowers the repayment
    counts = {}
    for ind in ("completion", "edu_work"):
        counts[ind] = {k: np.asarray(res.draws_[f"count:{ind}:{k}"])
                       for k in ("achieved", "referred", "achieved_completed", "completed")
                       if f"count:{ind}:{k}" in res.draws_}
    base = repayment(sc.contract, counts).total
    for t in sc.contract.targets:
        a, n = count_keys(t.denominator)
        more = {k: dict(v) for k, v in counts.items()}
        more[t.indicator][a] = np.minimum(counts[t.indicator][a] + 1, counts[t.indicator][n])
        assert (repayment(sc.contract, more).total >= base - 1e-9).all()
    np.testing.assert_allclose(base, rep, rtol=1e-12)
