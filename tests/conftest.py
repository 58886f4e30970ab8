"""Shared fixtures: small scenarios built as in-memory layers over the default."""

from __future__ import annotations

import matplotlib
import pytest
from hypothesis import settings

matplotlib.use("Agg")

import simkit

# no per-example time limit: speed is measured by the README benchmarks, not by timed tests, and on a
# loaded two-core machine (or two test processes) a deadline only makes property tests flaky
settings.register_profile("simkit", deadline=None)
settings.load_profile("simkit")

#: every model parameter held fixed: no parameter uncertainty at all
FIXED = {
    "completion_rate": 0.8,
    "outcome_rate_completers": 0.6,
    "outcome_rate_dropouts": 0.2,
    "outcome_rate_bau": 0.3,
    "weeks_to_outcome": 0,
    "weeks_to_outcome_bau": 0,
    "spell_mean_weeks": 1e9,
    "spell_mean_weeks_bau": 1e9,
    "education_share": 0.5,
    "dp_rate_bau": 0.0,
    "dp_relative_risk": 1.0,
    "benefit_level_factor": 1.0,
    "programme_cost_per_participant": 60000,
    "bau_cost_per_person": 0,
}


def fixed_scenario(**overrides):
    """The default scenario with every parameter fixed (``overrides`` change some)."""
    params = {**FIXED, **overrides}
    return simkit.load_scenario(["norddjurs_v1", {"parameters": params}])


@pytest.fixture(scope="session")
def default_scenario():
    return simkit.load_scenario()


@pytest.fixture(scope="session")
def v1_scenario():
    """The 0.1 model of the Norddjurs agreement (norddjurs_v1), for tests of that model's parameters and numbers."""
    return simkit.load_scenario("norddjurs_v1")
