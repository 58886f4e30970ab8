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

# every name the module held before the split, re-exported
from simkit.sensitivity.model_cohort import (  # noqa: F401 (re-exported)
    _SPLIT_KEYS,
    CohortVarianceResult,
    _largest_remainder,
    scale_cohort,
    variance_by_cohort_size,
)
from simkit.sensitivity.model_common import (  # noqa: F401 (re-exported)
    _MAX_INTERACTION_GROUP,
    DEFAULT_GROUPS,
    DEFAULT_SEED,
    DRAW_OUTPUTS,
    EVENTS,
    OUTPUT_LABELS,
    _check_outputs,
    _draw_output,
    _suggest,
    as_scenario,
    central_values,
    check_count,
    check_level,
    check_params,
    check_ranges,
    output_label,
    output_names,
    per_draw,
    provenance,
    run_model,
    uncertain_parameters,
)
from simkit.sensitivity.model_discovery import (
    ScenarioDiscovery,
    discover,
    discover_events,
)
from simkit.sensitivity.model_sobol import (  # noqa: F401 (re-exported)
    ModelSobolResult,
    _correct,
    sobol_model,
)
from simkit.sensitivity.model_voi import (  # noqa: F401 (re-exported)
    ValueOfInformation,
    _perspective,
    decision_contracts,
    decision_enter,
    value_of_information,
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
