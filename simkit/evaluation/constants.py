"""Defaults and fixed settings of the evaluation (seed, draws, cell size, level, status words)."""

from __future__ import annotations

PRIORS = ("jeffreys", "scenario")
DEFAULT_SEED = 2025
PREDICTIVE_DRAWS = 20_000
SCENARIO_DRAWS = 4_096
#: cohort realisations per parameter set in the scenario simulation
INNER = 8
MIN_CELL = 5
JEFFREYS = (0.5, 0.5)
#: concentration a + b standing in for a known rate (a fixed parameter)
KNOWN_CONCENTRATION = 1e6
LEVEL = 0.95

MET, NOT_MET, UNDECIDED = "met", "not_met", "undecided"
