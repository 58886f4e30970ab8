"""Result objects: small, frozen, pleasant in a notebook, stable as JSON.

:mod:`simkit.results.base` holds the one interface every result shares
(:class:`~simkit.results.base.Result`) and the one provenance format
(:class:`~simkit.results.base.Provenance`); :mod:`simkit.results.simulation`
the result of a Monte Carlo run.
"""

from typing import TYPE_CHECKING, Any

from simkit.results.base import Provenance, Result, fields_dict, jsonable, seed_of

if TYPE_CHECKING:
    from simkit.results.simulation import QUANTILES, SimulationResult, _sd, mean_and_se

__all__ = ["QUANTILES", "Provenance", "Result", "SimulationResult", "_sd", "fields_dict", "jsonable",
           "mean_and_se", "seed_of"]

_FROM_SIMULATION = ("QUANTILES", "SimulationResult", "_sd", "mean_and_se")


def __getattr__(name: str) -> Any:
    """Load :mod:`simkit.results.simulation` on first use of one of its names.

    Lazy so that low-level modules (``contract``, ``markov``) can subclass
    :class:`Result` without importing the simulation result, which imports them.
    """
    if name in _FROM_SIMULATION:
        # import cycle: results.simulation imports spec, which imports contract, which imports results.base
        from simkit.results import simulation

        return getattr(simulation, name)
    raise AttributeError(f"module 'simkit.results' has no attribute {name!r}")
