"""Model-independent sensitivity and value-of-information analysis.

Arrays in, frozen results out; each result has ``to_frame()`` and a readable
repr. Randomness only through a keyword-only ``rng``.

* :func:`sobol` — variance-based (Sobol') indices with bootstrap intervals.
* :func:`evpi`, :func:`evppi`, :func:`evppi_table`, :func:`evpi_normal` — value
  of information.
* :func:`split_variance` — parameter vs cohort variance from nested draws.
* :func:`prim` — scenario discovery (which inputs make an event likely).
"""

from simkit.sensitivity.discovery import PrimResult, prim
from simkit.sensitivity.sobol import SobolResult, sobol
from simkit.sensitivity.variance import VarianceSplit, split_variance
from simkit.sensitivity.voi import EvppiTable, VoiResult, evpi, evpi_normal, evppi, evppi_table

__all__ = [
    "EvppiTable",
    "PrimResult",
    "SobolResult",
    "VarianceSplit",
    "VoiResult",
    "evpi",
    "evpi_normal",
    "evppi",
    "evppi_table",
    "prim",
    "sobol",
    "split_variance",
]

# Applied to the simkit model (simulate -> core): tornado, two-way grids, Sobol',
# variance split vs cohort size, value of information, scenario discovery.
from simkit.sensitivity.model import (
    DEFAULT_GROUPS,
    EVENTS,
    CohortVarianceResult,
    ModelSobolResult,
    ScenarioDiscovery,
    ValueOfInformation,
    decision_contracts,
    decision_enter,
    discover,
    discover_events,
    scale_cohort,
    sobol_model,
    value_of_information,
    variance_by_cohort_size,
)
from simkit.sensitivity.oneway import TornadoResult, tornado
from simkit.sensitivity.twoway import TwoWayResult, twoway

__all__ += [
    "DEFAULT_GROUPS",
    "EVENTS",
    "CohortVarianceResult",
    "ModelSobolResult",
    "ScenarioDiscovery",
    "TornadoResult",
    "TwoWayResult",
    "ValueOfInformation",
    "decision_contracts",
    "decision_enter",
    "discover",
    "discover_events",
    "scale_cohort",
    "sobol_model",
    "tornado",
    "twoway",
    "value_of_information",
    "variance_by_cohort_size",
]
