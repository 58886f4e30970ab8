"""Result objects: small, frozen, pleasant in a notebook, stable as JSON.

:mod:`simkit.results.base` holds the one interface every result shares
(:class:`~simkit.results.base.Result`) and the one provenance format
(:class:`~simkit.results.base.Provenance`); :mod:`simkit.results.simulation`
the result of a Monte Carlo run.
"""

from simkit.results.base import Provenance, Result, jsonable
from simkit.results.simulation import QUANTILES, SimulationResult, _sd, mean_and_se

__all__ = ["QUANTILES", "Provenance", "Result", "SimulationResult", "_sd", "jsonable", "mean_and_se"]
