"""The declarative multi-state cohort model (scenario version 2).

Stages (one module each): :mod:`~simkit.model.spec` (schema and frozen
objects), :mod:`~simkit.model.hazards` (transition-time registry),
:mod:`~simkit.model.simulate` (event-driven microsimulation of both arms),
:mod:`~simkit.model.indicators` (indicator registry, one count function),
:mod:`~simkit.model.pricing` (per-payer interval pricing),
:mod:`~simkit.model.engine` (per-block outputs) and
:mod:`~simkit.model.observed` (participant histories through the same
indicators). The reference for scenario files is ``docs/scenario-v2.md``.
"""
