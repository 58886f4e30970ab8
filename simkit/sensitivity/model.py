"""Sensitivity analysis applied to the simkit model.

The generic, model-independent core of :mod:`simkit.sensitivity`
(:func:`~simkit.sensitivity.sobol`, :func:`~simkit.sensitivity.evppi_table`,
:func:`~simkit.sensitivity.split_variance`, :func:`~simkit.sensitivity.prim`)
takes arrays; this module feeds it from :func:`simkit.simulate`:

* :func:`sobol_model` — Sobol' first- and total-order indices of repayment
  and net budget effect, with bootstrap intervals;
* :func:`variance_by_cohort_size` — parameter vs cohort variance
  (nested draws), and how the split changes with the cohort size;
* :func:`value_of_information` — EVPI and EVPPI per parameter and group for a
  decision given as a net-benefit matrix (draws × options), built for example
  by :func:`decision_enter` or :func:`decision_contracts`;
* :func:`discover`, :func:`discover_events` — scenario discovery (PRIM) of no
  repayment or a budget loss, in sentences an analyst can quote.

The code is in the ``model_*`` modules (:mod:`~simkit.sensitivity.model_common`
holds the shared helpers); this module re-exports every name.
One-way (tornado) and two-way analyses are in :mod:`simkit.sensitivity.oneway`
and :mod:`simkit.sensitivity.twoway`; they share the helpers below.

What the Sobol' output is
-------------------------
Each Monte Carlo draw of simkit is a parameter set *and* a cohort
realisation, so ``Y = h(θ, U)`` is random even for fixed parameters ``θ``.
The Sobol' analysis is of ``g(θ) = E[Y | θ]`` — what better knowledge of
the parameters could change — estimated for every design row by the mean of
``inner`` independent cohorts (``fixed`` per-draw arrays, each row repeated
``inner`` times). The cohort noise left in that mean, ``σ²/inner`` with
``σ² = E[Var(Y | θ)]``, is estimated from the within-row variance and
reported as ``noise_share`` (its share of the variance of the row means).
It biases the raw indices in a known way: the first-order numerator of
Saltelli (2010) is unbiased but the variance ``V`` is inflated by ``σ²/k``,
and Jansen's total-order numerator is inflated by ``σ²/k`` too. The reported
indices are corrected::

    S_i  = S_i,raw · V / (V − σ²/k)
    ST_i = (ST_i,raw · V − σ²/k) / (V − σ²/k)

and so are the bootstrap limits (treating ``σ²/k`` and ``V`` as known: an
approximation; the raw indices and limits are kept). The cohort's own share
of the variance of ``Y`` is what :func:`variance_by_cohort_size` reports.
Inputs are treated as independent (Sobol' indices need it); rank
correlations of the scenario are ignored and flagged.
"""

from __future__ import annotations

# every name the module held before the split, re-exported (``X as X`` marks a re-export)
from simkit.sensitivity.model_cohort import (
    _SPLIT_KEYS as _SPLIT_KEYS,
)
from simkit.sensitivity.model_cohort import (
    CohortVarianceResult as CohortVarianceResult,
)
from simkit.sensitivity.model_cohort import (
    _largest_remainder as _largest_remainder,
)
from simkit.sensitivity.model_cohort import (
    scale_cohort as scale_cohort,
)
from simkit.sensitivity.model_cohort import (
    variance_by_cohort_size as variance_by_cohort_size,
)
from simkit.sensitivity.model_common import (
    _MAX_INTERACTION_GROUP as _MAX_INTERACTION_GROUP,
)
from simkit.sensitivity.model_common import (
    DEFAULT_GROUPS as DEFAULT_GROUPS,
)
from simkit.sensitivity.model_common import (
    DEFAULT_SEED as DEFAULT_SEED,
)
from simkit.sensitivity.model_common import (
    DRAW_OUTPUTS as DRAW_OUTPUTS,
)
from simkit.sensitivity.model_common import (
    EVENTS as EVENTS,
)
from simkit.sensitivity.model_common import (
    OUTPUT_LABELS as OUTPUT_LABELS,
)
from simkit.sensitivity.model_common import (
    _check_outputs as _check_outputs,
)
from simkit.sensitivity.model_common import (
    _draw_output as _draw_output,
)
from simkit.sensitivity.model_common import (
    _suggest as _suggest,
)
from simkit.sensitivity.model_common import (
    as_scenario as as_scenario,
)
from simkit.sensitivity.model_common import (
    central_values as central_values,
)
from simkit.sensitivity.model_common import (
    check_count as check_count,
)
from simkit.sensitivity.model_common import (
    check_level as check_level,
)
from simkit.sensitivity.model_common import (
    check_params as check_params,
)
from simkit.sensitivity.model_common import (
    check_ranges as check_ranges,
)
from simkit.sensitivity.model_common import (
    output_label as output_label,
)
from simkit.sensitivity.model_common import (
    output_names as output_names,
)
from simkit.sensitivity.model_common import (
    per_draw as per_draw,
)
from simkit.sensitivity.model_common import (
    provenance as provenance,
)
from simkit.sensitivity.model_common import (
    run_model as run_model,
)
from simkit.sensitivity.model_common import (
    uncertain_parameters as uncertain_parameters,
)
from simkit.sensitivity.model_discovery import (
    ScenarioDiscovery as ScenarioDiscovery,
)
from simkit.sensitivity.model_discovery import (
    discover as discover,
)
from simkit.sensitivity.model_discovery import (
    discover_events as discover_events,
)
from simkit.sensitivity.model_sobol import (
    ModelSobolResult as ModelSobolResult,
)
from simkit.sensitivity.model_sobol import (
    _correct as _correct,
)
from simkit.sensitivity.model_sobol import (
    sobol_model as sobol_model,
)
from simkit.sensitivity.model_voi import (
    ValueOfInformation as ValueOfInformation,
)
from simkit.sensitivity.model_voi import (
    _perspective as _perspective,
)
from simkit.sensitivity.model_voi import (
    decision_contracts as decision_contracts,
)
from simkit.sensitivity.model_voi import (
    decision_enter as decision_enter,
)
from simkit.sensitivity.model_voi import (
    value_of_information as value_of_information,
)

__all__ = [
    "DEFAULT_GROUPS",
    "EVENTS",
    "CohortVarianceResult",
    "ModelSobolResult",
    "ScenarioDiscovery",
    "ValueOfInformation",
    "decision_contracts",
    "decision_enter",
    "discover",
    "discover_events",
    "scale_cohort",
    "sobol_model",
    "value_of_information",
    "variance_by_cohort_size",
]
