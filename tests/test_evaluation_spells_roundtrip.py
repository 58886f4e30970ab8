"""Round trip in the long format: synthesise -> write -> read -> evaluate; the intervals cover the truth.

A version-2 scenario with every parameter fixed and closed-form rates, all 95 persons referred on the
agreement's first day:

* completion: a fixed 26-week course left with event ``completed`` with probability 0.75, else
  ``dropout``, so the count is Binomial(95, 0.75);
* a job lasting 26 weeks: after the course (week 26) a job starts at rate 1/30 a week and is kept (an
  absorbing state); it counts when it starts by the window end (week 52, 31 Dec 2026) and the
  measurement date is 26 weeks (182 days) later, so p = 1 − exp(−(52 − 26)/30) = 0.5796.

Clopper–Pearson is conservative, so the coverage over 200 cohorts must be at least
0.95 − 3 SE, SE = sqrt(0.95 × 0.05 / 200) = 0.0154, i.e. >= 0.904.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import simkit
from simkit.engine import _param_rows
from simkit.io.spells import read_spells, write_spells_csv
from simkit.model.observed import evaluate_spells, histories_to_frame
from simkit.model.simulate import simulate_histories

DOC = {
    "scenario": {"version": 2, "name": "round trip"},
    "agreement": {"municipality": "Toy", "start": "2026-01-01", "end": "2026-12-31", "cohort_size": 95,
                  "intake": [{"from": "2026-01-01", "to": "2026-01-01", "count": 95}]},
    "states": {"course": {"kind": "programme", "sojourn": {"dist": "fixed", "weeks": 26.0}},
               "a": {"kind": "benefit"}, "job": {"kind": "job", "absorbing": True}},
    "arms": {"bau": {"initial": "a"}, "programme": {"initial": "course"}},
    "transitions": [
        {"from": "course", "to": "a", "probability": "p", "event": "completed", "arms": ["programme"]},
        {"from": "course", "to": "a", "probability": "rest", "event": "dropout", "arms": ["programme"]},
        {"from": "a", "to": "job", "hazard": {"dist": "exponential", "mean_weeks": 30.0}},
    ],
    "indicators": [{"id": "completion", "kind": "completion"},
                   {"id": "job6", "kind": "spell", "states": ["job"], "min_weeks": 26.0}],
    "parameters": {"p": 0.75},
    "contract": {"grant": 1.0, "outcome_window_end": "2026-12-31", "measurement_date": "2027-07-01",
                 "schedule": [{"date": "2027-12-31", "share": 1.0}],
                 "targets": [{"id": "completion", "indicator": "completion", "threshold": 0.8, "weight": 0.5},
                             {"id": "job6", "indicator": "job6", "threshold": 0.5, "weight": 0.5}]},
    "budget": {"discount_rate": 0.035, "horizon_years": 5},
}
TRUTH = {"completion": 0.75, "job6": 1 - math.exp(-(52 - 26) / 30)}


@pytest.mark.slow
def test_long_format_round_trip_intervals_cover_the_truth(tmp_path):
    sc = simkit.load_scenario(DOC)
    n = 200
    p = _param_rows(sc, 8, 0, n) if sc.parameters else {"_": np.zeros(n)}
    h = simulate_histories(sc, p, seed=8, block=0)
    hits = dict.fromkeys(TRUTH, 0)
    mean = dict.fromkeys(TRUTH, 0.0)
    path = tmp_path / "cohort.csv"
    for d in range(n):
        write_spells_csv(histories_to_frame(sc, h, draw=d), path, dialect="danish" if d % 2 else "iso")
        ev = evaluate_spells(sc, read_spells(path))
        for t in ev.targets:
            assert t["denominator"] == 95 and t["pending"] == 0
            hits[t["id"]] += t["ci_low"] <= TRUTH[t["id"]] <= t["ci_high"]
            mean[t["id"]] += t["rate"] / n
    floor = 0.95 - 3 * math.sqrt(0.95 * 0.05 / n)
    for k, v in TRUTH.items():
        assert hits[k] / n >= floor, (k, hits[k])
        assert abs(mean[k] - v) < 4 * math.sqrt(v * (1 - v) / 95 / n), (k, mean[k])
