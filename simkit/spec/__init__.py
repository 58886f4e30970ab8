"""The scenario specification: the schema language and the version-1 scenario.

* ``simkit.spec._schema`` — a small schema language (tables, numbers,
  dates, lists, maps, one-of) that checks a merged scenario document and
  reports every problem as a :class:`simkit.errors.Problem` (key path, value,
  what was expected, with a "did you mean");
* :mod:`simkit.spec.v1` — the version-1 scenario (the 0.1 cohort model): its
  schema ``SCHEMA``, the frozen :class:`~simkit.spec.v1.Scenario` and
  :func:`~simkit.spec.v1.build_scenario`, the one validation layer of a v1 file.

The version-2 (declarative-model) scenario is specified in
:mod:`simkit.model.spec` with the same schema language; reading and layering
files is :mod:`simkit.io.scenario`, and :mod:`simkit.scenario` picks the
version and builds the scenario. Every name importable from ``simkit.spec``
before the split still is.
"""

from simkit.spec.v1 import (
    DAYS_PER_WEEK,
    INDICATORS,
    MAX_COHORT_SIZE,
    MODEL_PARAMETERS,
    SCHEMA,
    STAIRCASE_STATES,
    STATES,
    WEEKS_PER_YEAR,
    Agreement,
    Budget,
    Change,
    ContractTerms,
    FrozenMap,
    IndicatorSettings,
    IntakeWindow,
    Parameter,
    Phase,
    Programme,
    RateStep,
    Scenario,
    _make_dist,
    _param_node,
    _where,
    build_scenario,
    canonical_hash,
    year_end_week,
)

__all__ = ["DAYS_PER_WEEK", "INDICATORS", "MAX_COHORT_SIZE", "MODEL_PARAMETERS", "SCHEMA", "STAIRCASE_STATES",
           "STATES", "WEEKS_PER_YEAR", "Agreement", "Budget", "Change", "ContractTerms", "FrozenMap",
           "IndicatorSettings", "IntakeWindow", "Parameter", "Phase", "Programme", "RateStep", "Scenario",
           "_make_dist", "_param_node", "_where", "build_scenario", "canonical_hash", "year_end_week"]
