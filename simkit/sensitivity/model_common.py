"""Helpers shared by the sensitivity analyses applied to the simkit model.

Resolving a scenario, checking parameter names, ranges, counts and outputs,
running the model, output names and labels, and the provenance of a result.
Used by :mod:`~simkit.sensitivity.oneway`, :mod:`~simkit.sensitivity.twoway`
and the ``model_*`` modules.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from simkit.backends import pick_backend
from simkit.engine import simulate, simulate_arrays
from simkit.errors import InputError, Problem, did_you_mean
from simkit.model.spec import ModelScenario
from simkit.results.base import Provenance
from simkit.scenario import load_scenario
from simkit.spec import MODEL_PARAMETERS, Scenario

__all__ = [
    "DEFAULT_GROUPS",
    "DEFAULT_SEED",
    "DRAW_OUTPUTS",
    "EVENTS",
    "OUTPUT_LABELS",
    "as_scenario",
    "central_values",
    "check_count",
    "check_level",
    "check_params",
    "check_ranges",
    "output_label",
    "output_names",
    "per_draw",
    "provenance",
    "run_model",
    "uncertain_parameters",
]


DEFAULT_SEED = 2025
#: Largest group whose EVPPI uses pairwise interactions; larger groups use additive splines.
_MAX_INTERACTION_GROUP = 4

#: Parameter groups for EVPPI (members that are fixed in a scenario are dropped).
DEFAULT_GROUPS: dict[str, tuple[str, ...]] = {
    "programme effect": ("completion_rate", "outcome_rate_completers", "outcome_rate_dropouts",
                         "spell_mean_weeks"),
    "business as usual": ("outcome_rate_bau", "weeks_to_outcome_bau", "spell_mean_weeks_bau",
                          "dp_rate_bau"),
    "prices and costs": ("benefit_level_factor", "programme_cost_per_participant",
                         "bau_cost_per_person"),
}

#: Scenario-discovery events: name -> (phrase for sentences, per-draw test).
EVENTS: dict[str, tuple[str, Callable[[Mapping[str, np.ndarray]], np.ndarray]]] = {
    "no_repayment": ("no repayment", lambda d: np.asarray(d["repayment"]) <= 0),
    "budget_loss": ("a budget loss", lambda d: np.asarray(d["net_pv"]) < 0),
    "fund_loss": ("a loss for the fund", lambda d: np.asarray(d["fund_multiple"]) < 1),
}

#: Per-draw outputs accepted by :func:`sobol_model` and :func:`variance_by_cohort_size`
#: besides ``met:<target>``; ``neutral`` is the indicator ``net_pv >= 0``.
DRAW_OUTPUTS = ("repayment", "repayment_pv", "net_pv", "savings_pv", "fund_multiple", "neutral",
                "no_repayment")


def as_scenario(scenario: Any = None):
    """Resolve a Scenario from None (embedded default), a path/name/list, or a Scenario.

    Examples
    --------
    >>> sc = as_scenario("norddjurs_v1")
    >>> as_scenario(sc) is sc
    True
    """
    if isinstance(scenario, Scenario | ModelScenario):
        return scenario
    return load_scenario(scenario)


def uncertain_parameters(sc: Any) -> tuple[str, ...]:
    """Names of the scenario's parameters that are not fixed, in scenario order.

    Examples
    --------
    >>> uncertain_parameters(as_scenario("norddjurs_v1"))[:2]
    ('completion_rate', 'outcome_rate_completers')
    """
    return tuple(n for n, p in sc.parameters.items() if not p.dist.is_fixed)


def _suggest(name: str, options: Sequence[str]) -> str:
    return did_you_mean(str(name), list(options))


def check_params(sc: Any, names: Sequence[str] | str | None, *, where: str = "params",
                 allow_fixed: Sequence[str] = ()) -> tuple[str, ...]:
    """Validate parameter names (close-match hints); default all uncertain parameters.

    A fixed parameter is accepted only if it is in ``allow_fixed`` (e.g. one
    given an explicit range).

    Examples
    --------
    >>> check_params(as_scenario("norddjurs_v1"), "completion_rate, outcome_rate_bau")
    ('completion_rate', 'outcome_rate_bau')
    """
    if names is None:
        out = uncertain_parameters(sc)
        if not out:
            raise InputError(Problem(where, None, "a scenario with at least one uncertain parameter"))
        return out
    if isinstance(names, str):
        names = [s.strip() for s in names.split(",") if s.strip()]
    names = [str(n) for n in names]
    problems = []
    for n in names:
        if n not in sc.parameters:
            problems.append(Problem(where, n, "a parameter name among "
                                    f"{', '.join(sc.parameters)}{_suggest(n, list(sc.parameters))}"))
        elif sc.parameters[n].dist.is_fixed and n not in allow_fixed:
            problems.append(Problem(where, n, f"an uncertain parameter ({n!r} is fixed in this "
                                    "scenario; give it a range to vary it)"))
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        problems.append(Problem(where, dup, "each parameter once"))
    if not names:
        problems.append(Problem(where, [], "at least one parameter name"))
    if problems:
        raise InputError(problems)
    return tuple(names)


def check_ranges(sc: Any, ranges: Mapping[str, Sequence[float]] | None,
                 where: str = "ranges") -> dict[str, tuple[float, float]]:
    """Validate ``name -> (low, high)`` overrides against the model's bounds.

    Examples
    --------
    >>> check_ranges(as_scenario("norddjurs_v1"), {"completion_rate": [0.4, 0.8]})
    {'completion_rate': (0.4, 0.8)}
    """
    out: dict[str, tuple[float, float]] = {}
    problems = []
    for name, pair in (ranges or {}).items():
        if name not in sc.parameters:
            problems.append(Problem(where, name, "a parameter name among "
                                    f"{', '.join(sc.parameters)}{_suggest(name, list(sc.parameters))}"))
            continue
        try:
            lo, hi = (float(v) for v in pair)
        except (TypeError, ValueError):
            problems.append(Problem(f"{where}[{name!r}]", pair, "a (low, high) pair of numbers"))
            continue
        _, bmin, bmax = MODEL_PARAMETERS.get(name, ("", -math.inf, math.inf))
        if not (math.isfinite(lo) and math.isfinite(hi) and bmin <= min(lo, hi)
                and max(lo, hi) <= bmax and lo != hi):
            problems.append(Problem(f"{where}[{name!r}]", [lo, hi],
                                    f"two different finite values within [{bmin:g}, {bmax:g}]"))
            continue
        out[name] = (lo, hi)
    if problems:
        raise InputError(problems)
    return out


def central_values(sc: Any) -> dict[str, float]:
    """Central value (``dist.central``) of every uncertain parameter.

    Examples
    --------
    >>> sc = as_scenario("norddjurs_v1")
    >>> set(central_values(sc)) == set(uncertain_parameters(sc))
    True
    """
    return {n: float(p.dist.central) for n, p in sc.parameters.items() if not p.dist.is_fixed}


def output_names(sc: Any) -> tuple[str, ...]:
    """Names of the expectation outputs of one-way and two-way analyses.

    Examples
    --------
    >>> output_names(as_scenario("norddjurs_v1"))[-2:]
    ('p_met:completion', 'p_met:edu_work')
    """
    return ("p_neutral", "repayment_mean", "net_mean", "p_repayment", "fund_multiple_mean",
            *(f"p_met:{t.id}" for t in sc.contract.targets))


OUTPUT_LABELS = {
    "p_neutral": "P(budget-neutral)",
    "repayment_mean": "E[repayment]",
    "net_mean": "E[net budget effect]",
    "p_repayment": "P(repayment > 0)",
    "fund_multiple_mean": "fund E[multiple]",
}


def output_label(name: str) -> str:
    """Readable label of an output name (``p_met:edu_work`` -> ``P(edu_work met)``).

    Examples
    --------
    >>> output_label("p_met:edu_work"), output_label("net_mean")
    ('P(edu_work met)', 'E[net budget effect]')
    """
    if name.startswith("p_met:"):
        return f"P({name[6:]} met)"
    return OUTPUT_LABELS.get(name, name)


def per_draw(draws: Mapping[str, np.ndarray], sc: Any) -> dict[str, np.ndarray]:
    """Per-draw arrays whose means are the :func:`output_names` outputs.

    Examples
    --------
    >>> sc = as_scenario("norddjurs_v1")
    >>> set(per_draw(run_model(sc, 50, seed=1), sc)) == set(output_names(sc))
    True
    """
    out = {
        "p_neutral": np.asarray(draws["net_pv"]) >= 0,
        "repayment_mean": np.asarray(draws["repayment"], dtype=float),
        "net_mean": np.asarray(draws["net_pv"], dtype=float),
        "p_repayment": np.asarray(draws["repayment"]) > 0,
        "fund_multiple_mean": np.asarray(draws["fund_multiple"], dtype=float),
    }
    for t in sc.contract.targets:
        out[f"p_met:{t.id}"] = np.asarray(draws[f"met:{t.id}"])
    return {k: np.asarray(v, dtype=float) for k, v in out.items()}


def run_model(sc: Any, draws: int, *, seed: int, fixed: Mapping[str, Any] | None = None,
              workers: int = 1, backend: str | None = None, chunk_size: int | None = None,
              nested: tuple[int, int] | None = None, first: int = 0,
              progress: bool = False) -> Mapping[str, np.ndarray]:
    """``simkit.simulate(...).draws_`` without the cumulative curve.

    ``first`` > 0: draws ``[first, first + draws)`` of the run with ``seed``
    (the engine's per-draw outputs, without :func:`simkit.simulate`'s views).

    Examples
    --------
    >>> len(run_model(as_scenario("norddjurs_v1"), 50, seed=1)["repayment"])
    50
    """
    backend = pick_backend(backend, workers)  # "distributed" when SIMKIT_SCHEDULER names a cluster
    if first:
        return simulate_arrays(sc, draws, seed=seed, fixed=fixed, nested=nested, workers=workers,
                               backend=backend, chunk_size=chunk_size, curve_draws=0, first=first,
                               progress=progress)
    res = simulate(sc, draws, seed=seed, fixed=fixed, nested=nested, workers=workers,
                   backend=backend, chunk_size=chunk_size, curve_draws=0, progress=progress)
    return res.draws_


def provenance(sc: Any, seed: int | None, *, draws: int = 0, nested: tuple[int, int] | None = None,
               **extra: Any) -> Provenance:
    """Return the provenance of a sensitivity result (the one format, :class:`~simkit.results.base.Provenance`).

    Parameters
    ----------
    sc : Scenario or ModelScenario
    seed : int or None
        The root seed of the model runs.
    draws : int
        Monte Carlo draws behind the result (per run, for the one-way and two-way analyses).
    nested : (int, int), optional
        Parameter sets × cohorts per set.
    **extra
        The method and its settings.

    Returns
    -------
    Provenance

    Examples
    --------
    >>> import simkit
    >>> p = provenance(simkit.load_scenario(), 7, draws=100, method="tornado").as_dict()
    >>> p["seed"], p["draws"], p["method"]
    (7, 100, 'tornado')
    """
    return Provenance.of(sc, seed=None if seed is None else int(seed), draws=draws, nested=nested, **extra)


def check_count(name: str, value: Any, minimum: int = 1) -> int:
    """Check a whole number >= minimum (booleans refused).

    Examples
    --------
    >>> check_count("draws", 10)
    10
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InputError(Problem(name, value, f"a whole number >= {minimum}"))
    return int(value)


def check_level(level: Any) -> float:
    """Check a probability strictly between 0 and 1 (a confidence level).

    Examples
    --------
    >>> check_level("0.9")
    0.9
    """
    try:
        v = float(level)
    except (TypeError, ValueError):
        v = float("nan")
    if not 0 < v < 1:
        raise InputError(Problem("level", level, "a probability strictly between 0 and 1 (e.g. 0.95)"))
    return v


def _check_outputs(sc: Any, outputs: Sequence[str] | str, where: str = "outputs") -> tuple[str, ...]:
    if isinstance(outputs, str):
        outputs = [s.strip() for s in outputs.split(",") if s.strip()]
    allowed = [*DRAW_OUTPUTS, *(f"met:{t.id}" for t in sc.contract.targets)]
    bad = [o for o in outputs if o not in allowed]
    if bad or not outputs:
        raise InputError([Problem(where, o, f"an output among {', '.join(allowed)}{_suggest(o, allowed)}")
                          for o in bad] or Problem(where, [], "at least one output"))
    return tuple(outputs)


def _draw_output(d: Mapping[str, np.ndarray], name: str) -> np.ndarray:
    if name == "neutral":
        return (np.asarray(d["net_pv"]) >= 0).astype(float)
    if name == "no_repayment":
        return (np.asarray(d["repayment"]) <= 0).astype(float)
    return np.asarray(d[name], dtype=float)
