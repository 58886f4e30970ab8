"""Parameter vs cohort variance of the simkit model by cohort size.

:func:`variance_by_cohort_size` and its result, and :func:`scale_cohort`
(resize a scenario to a different cohort size).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simkit.errors import InputError, Problem
from simkit.results.base import Provenance, Result
from simkit.rng import RngLike, root_seed
from simkit.sensitivity._common import fmt, pct
from simkit.sensitivity.model_common import (
    DEFAULT_SEED,
    _check_outputs,
    _draw_output,
    as_scenario,
    check_count,
    provenance,
    run_model,
)
from simkit.sensitivity.variance import VarianceSplit, split_variance

__all__ = [
    "CohortVarianceResult",
    "scale_cohort",
    "variance_by_cohort_size",
]


def _largest_remainder(counts: Sequence[int], total: int) -> list[int]:
    c = np.asarray(counts, dtype=float)
    share = c / c.sum() * total
    out = np.floor(share).astype(int)
    rest = total - int(out.sum())
    order = np.argsort(-(share - out), kind="stable")
    out[order[:rest]] += 1
    return out.tolist()


def scale_cohort(scenario: Any, size: int):
    """Resize the scenario to a different cohort size, everything per person kept.

    The intake windows keep their dates; their counts are scaled (largest
    remainder, so they add up to ``size``). The grant, the overall cap and the
    rate-card lines' ``max_count`` and ``cap`` scale by ``size / cohort_size``
    so the grant still covers the same cost per person; thresholds are rates
    and stay; fixed other costs stay.

    Parameters
    ----------
    scenario : Scenario
    size : int
        New number referred (>= 1).

    Returns
    -------
    Scenario

    Examples
    --------
    >>> import simkit
    >>> from simkit.sensitivity import scale_cohort
    >>> big = scale_cohort(simkit.load_scenario(), 190)
    >>> big.agreement.cohort_size, big.contract.grant
    (190, 11400000.0)
    """
    sc = as_scenario(scenario)
    size = check_count("cohort size", size)
    n0 = sc.agreement.cohort_size
    if size == n0:
        return sc
    ratio = size / n0
    intake = [dict(w) for w in sc.document["agreement"]["intake"]]
    for w, c in zip(intake, _largest_remainder([w["count"] for w in intake], size), strict=True):
        w["count"] = int(c)
    doc_c = sc.document["contract"]
    contract: dict[str, Any] = {"grant": float(doc_c["grant"]) * ratio}
    if doc_c.get("cap") is not None:
        contract["cap"] = float(doc_c["cap"]) * ratio
    if doc_c.get("rate_card"):
        lines = []
        for ln in doc_c["rate_card"]:
            ln = dict(ln)
            if ln.get("max_count") is not None:
                ln["max_count"] = round(ln["max_count"] * ratio)
            if ln.get("cap") is not None:
                ln["cap"] = float(ln["cap"]) * ratio
            lines.append(ln)
        contract["rate_card"] = lines
    return sc.with_updates({"agreement": {"cohort_size": size, "intake": intake}, "contract": contract},
                           label=f"(cohort size {size})")


@dataclass(frozen=True, repr=False)
class CohortVarianceResult(Result):
    """Parameter vs cohort variance of outputs, for several cohort sizes.

    Attributes
    ----------
    cohort_sizes : tuple of int
    outputs : tuple of str
    splits : tuple of tuple of VarianceSplit
        ``splits[i][j]``: cohort size ``i``, output ``j``.
    outer, inner : int
    provenance : Provenance
    """

    cohort_sizes: tuple[int, ...]
    outputs: tuple[str, ...]
    splits: tuple[tuple[VarianceSplit, ...], ...]
    outer: int
    inner: int
    provenance: Provenance = field(repr=False)

    def split(self, cohort_size: int, output: str) -> VarianceSplit:
        """Return the split for one cohort size and output.

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> from simkit.sensitivity import variance_by_cohort_size
        >>> res = variance_by_cohort_size(sc, outputs=["repayment"], outer=10, inner=2, cohort_sizes=[20],
        ...                               seed=2, n_resamples=5)
        >>> res.split(20, "repayment").n_outer
        10
        """
        return self.splits[self.cohort_sizes.index(cohort_size)][self.outputs.index(output)]

    def to_frame(self) -> pd.DataFrame:
        """One row per (cohort_size, output).

        Returns
        -------
        pandas.DataFrame
            Columns ``mean, total, parameter, cohort, parameter_share,
            cohort_share, total_se, parameter_se, cohort_se, parameter_share_se``.

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> from simkit.sensitivity import variance_by_cohort_size
        >>> res = variance_by_cohort_size(sc, outputs=["repayment"], outer=10, inner=2, cohort_sizes=[20],
        ...                               seed=2, n_resamples=5)
        >>> res.to_frame().shape
        (1, 10)
        """
        rows, idx = [], []
        for size, row in zip(self.cohort_sizes, self.splits, strict=True):
            for o, s in zip(self.outputs, row, strict=True):
                idx.append((size, o))
                rows.append({k: getattr(s, k) for k in _SPLIT_KEYS})
        return pd.DataFrame(rows, index=pd.MultiIndex.from_tuples(idx, names=["cohort_size", "output"]))

    def to_dict(self) -> dict[str, Any]:
        """Return the stable JSON structure (:meth:`_result_dict`) with a ``"provenance"`` entry.

        Returns
        -------
        dict

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> from simkit.sensitivity import variance_by_cohort_size
        >>> res = variance_by_cohort_size(sc, outputs=["repayment"], outer=10, inner=2, cohort_sizes=[20],
        ...                               seed=2, n_resamples=5)
        >>> res.to_dict()["outer"], res.to_dict()["provenance"]["nested"]
        (10, [10, 2])
        """
        return {**self._result_dict(), "provenance": self.provenance.as_dict()}

    def _result_dict(self) -> dict[str, Any]:
        """Stable JSON structure (``--method variance``, key ``result``)."""
        return {"outer": self.outer, "inner": self.inner, "outputs": list(self.outputs),
                "cohort_sizes": [
                    {"cohort_size": size,
                     "outputs": {o: {k: getattr(s, k) for k in _SPLIT_KEYS}
                                 for o, s in zip(self.outputs, row, strict=True)}}
                    for size, row in zip(self.cohort_sizes, self.splits, strict=True)]}

    def describe(self, output: str | None = None) -> str:
        """Sentences on how the cohort share of the variance changes with cohort size.

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> from simkit.sensitivity import variance_by_cohort_size
        >>> res = variance_by_cohort_size(sc, outputs=["repayment"], outer=10, inner=2, cohort_sizes=[20],
        ...                               seed=2, n_resamples=5)
        >>> res.describe("repayment").startswith("Share of the variance of repayment")
        True
        """
        o = output or self.outputs[0]
        parts = [f"{pct(self.split(s, o).cohort_share)} with {s} people" for s in self.cohort_sizes]
        return (f"Share of the variance of {o} due to the randomness of the cohort (not to "
                f"uncertain parameters): {', '.join(parts)}.")

    def text(self) -> str:
        """Write the variance split as plain text.

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> from simkit.sensitivity import variance_by_cohort_size
        >>> res = variance_by_cohort_size(sc, outputs=["repayment"], outer=10, inner=2, cohort_sizes=[20],
        ...                               seed=2, n_resamples=5)
        >>> res.text().startswith("Variance split: 10 parameter sets")
        True
        """
        lines = [f"Variance split: {self.outer:,} parameter sets × {self.inner} cohorts per cohort size"]
        for o in self.outputs:
            lines.append(f"  {o}")
            for size in self.cohort_sizes:
                s = self.split(size, o)
                lines.append(f"    {size:>6} people: sd {fmt(math.sqrt(max(s.total, 0)))}; "
                             f"parameters {pct(s.parameter_share)}, cohort {pct(s.cohort_share)} "
                             f"(± {pct(s.parameter_share_se)})")
        return "\n".join(lines)

    def __repr__(self) -> str:
        """Return the plain-text summary."""
        return self.text()


_SPLIT_KEYS = ("mean", "total", "parameter", "cohort", "parameter_share", "cohort_share",
               "total_se", "parameter_se", "cohort_se", "parameter_share_se")


def variance_by_cohort_size(
    scenario: Any = None,
    *,
    cohort_sizes: Sequence[int] | None = None,
    outputs: Sequence[str] | str = ("repayment", "net_pv"),
    outer: int = 2000,
    inner: int = 4,
    seed: RngLike = DEFAULT_SEED,
    n_resamples: int = 499,
    workers: int = 1,
    backend: str | None = None,
    progress: bool = False,
) -> CohortVarianceResult:
    """Split output variance into parameter and cohort parts, for several cohort sizes.

    Runs ``simulate(nested=(outer, inner))`` for each cohort size (the
    scenario rescaled by :func:`scale_cohort`) and applies
    :func:`~simkit.sensitivity.split_variance`. Larger cohorts average out
    individual luck, so the cohort share falls.

    Parameters
    ----------
    scenario : optional
    cohort_sizes : sequence of int, optional
        Default half, once, twice and four times the scenario's cohort
        (50, 95, 190, 380 for the default scenario).
    outputs : sequence of str
        As in :func:`sobol_model`.
    outer, inner : int
        Parameter sets and cohorts per set (``inner >= 2``).
    seed : None, int, SeedSequence or Generator
        Root seed (:func:`simkit.rng.root_seed`), the same for every size.
    n_resamples : int
        Bootstrap resamples of the outer draws for the standard errors.
    workers, backend, progress
        Passed to :func:`simkit.simulate` (``progress``: tqdm bars over each run's chunks).

    Returns
    -------
    CohortVarianceResult

    Examples
    --------
    >>> from simkit.sensitivity import variance_by_cohort_size
    >>> res = variance_by_cohort_size(cohort_sizes=[95], outer=200, inner=2, n_resamples=0, seed=1)
    >>> list(res.to_frame().index.get_level_values("output"))
    ['repayment', 'net_pv']
    """
    sc = as_scenario(scenario)
    outs = _check_outputs(sc, outputs)
    seed = root_seed(seed)
    outer = check_count("outer", outer, 2)
    inner = check_count("inner", inner, 2)
    check_count("n_resamples", n_resamples, 0)
    n0 = sc.agreement.cohort_size
    if cohort_sizes is None:
        cohort_sizes = sorted({max(1, round(n0 / 2)), n0, 2 * n0, 4 * n0})
    sizes = tuple(check_count("cohort_sizes", s) for s in cohort_sizes)
    if not sizes:
        raise InputError(Problem("cohort_sizes", [], "at least one cohort size"))
    scenarios = [scale_cohort(sc, s) for s in sizes]
    splits = []
    for s_sc in scenarios:
        dr = run_model(s_sc, outer * inner, seed=seed, nested=(outer, inner), workers=workers,
                       backend=backend, progress=progress)
        splits.append(tuple(
            split_variance(_draw_output(dr, o).reshape(outer, inner), rng=seed, n_resamples=n_resamples)
            for o in outs))
    return CohortVarianceResult(sizes, outs, tuple(splits), outer, inner,
                                provenance(sc, seed, draws=outer * inner, nested=(outer, inner),
                                           method="variance", n_resamples=int(n_resamples)))
