"""Split output variance into parameter uncertainty and cohort (sampling) noise.

With nested draws ``y[i, j]`` — outer index ``i`` a parameter set θ_i, inner
index ``j`` an independent cohort realisation given θ_i — the law of total
variance reads

    Var(Y) = Var(E[Y | θ]) + E[Var(Y | θ)]
           = parameter part + cohort part.

Estimators (one-way random-effects ANOVA; e.g. Searle, Casella & McCulloch
1992, *Variance Components*, ch. 3), with ``J`` inner draws:

* cohort part  = mean over i of the inner sample variance s_i² (ddof 1),
  unbiased for E[Var(Y | θ)];
* parameter part = sample variance of the inner means ȳ_i (ddof 1) minus
  cohort part / J, unbiased for Var(E[Y | θ]) (the variance of inner means
  also contains the noise of averaging J cohorts). It can come out negative
  when the parameter part is small; it is reported as estimated, not clipped;
* total = parameter part + cohort part.

Standard errors come from a bootstrap over the outer draws (parameter sets
are independent; the inner draws of one set stay together).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simkit.results.base import Provenance, Result, fields_dict, seed_of
from simkit.rng import RngLike, as_generator
from simkit.sensitivity._common import bad, fmt, pct

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["VarianceSplit", "split_variance"]


@dataclass(frozen=True, repr=False)
class VarianceSplit(Result):
    """Variance of an output split into a parameter part and a cohort part.

    Attributes
    ----------
    mean : float
        Grand mean of ``y``.
    total : float
        ``parameter + cohort``, an unbiased estimate of Var(Y).
    parameter : float
        Var(E[Y | θ]): what better knowledge of the parameters could remove.
    cohort : float
        E[Var(Y | θ)]: noise of a finite cohort, left even with known parameters.
    parameter_share, cohort_share : float
        Parts divided by ``total`` (they add to 1).
    total_se, parameter_se, cohort_se, parameter_share_se : float
        Bootstrap standard errors over the outer draws (NaN when
        ``n_resamples == 0``). ``cohort_share_se`` equals ``parameter_share_se``.
    n_outer, n_inner : int
    n_resamples : int
    """

    mean: float
    total: float
    parameter: float
    cohort: float
    parameter_share: float
    cohort_share: float
    total_se: float
    parameter_se: float
    cohort_se: float
    parameter_share_se: float
    n_outer: int
    n_inner: int
    n_resamples: int
    provenance: Provenance = field(default_factory=lambda: Provenance.of(None, seed=None, draws=0),
                                   repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """Return the stable JSON structure: every field, arrays as lists, and the provenance.

        Returns
        -------
        dict

        Examples
        --------
        >>> import numpy as np
        >>> from simkit.sensitivity import split_variance
        >>> rng = np.random.default_rng(0)
        >>> res = split_variance(rng.normal(size=(50, 1)) + rng.normal(size=(50, 4)), rng=1, n_resamples=20)
        >>> res.to_dict()["n_outer"], res.to_dict()["provenance"]["nested"]
        (50, [50, 4])
        """
        return fields_dict(self)


    @property
    def cohort_share_se(self) -> float:
        """Same as ``parameter_share_se`` (the shares add to 1).

        Examples
        --------
        >>> import numpy as np
        >>> from simkit.sensitivity import split_variance
        >>> rng = np.random.default_rng(0)
        >>> res = split_variance(rng.normal(size=(50, 1)) + rng.normal(size=(50, 4)), rng=1, n_resamples=20)
        >>> res.cohort_share_se == res.parameter_share_se
        True
        """
        return self.parameter_share_se

    def to_frame(self) -> pd.DataFrame:
        """Rows ``parameter``, ``cohort``, ``total``; columns variance, se, share, share_se.

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> import numpy as np
        >>> from simkit.sensitivity import split_variance
        >>> rng = np.random.default_rng(0)
        >>> res = split_variance(rng.normal(size=(50, 1)) + rng.normal(size=(50, 4)), rng=1, n_resamples=20)
        >>> res.to_frame().shape
        (3, 4)
        """
        return pd.DataFrame(
            {
                "variance": [self.parameter, self.cohort, self.total],
                "se": [self.parameter_se, self.cohort_se, self.total_se],
                "share": [self.parameter_share, self.cohort_share, 1.0],
                "share_se": [self.parameter_share_se, self.parameter_share_se, 0.0],
            },
            index=pd.Index(["parameter", "cohort", "total"], name="component"),
        )

    def __repr__(self) -> str:
        """Return the variance split as plain text."""
        def part(name: str, v: float, se: float, share: float) -> str:
            se_txt = "" if np.isnan(se) else f" ± {fmt(se)}"
            return f"  {name:<9} {fmt(v)}{se_txt}  ({pct(share)})"

        return "\n".join(
            [
                f"VarianceSplit({self.n_outer} parameter sets × {self.n_inner} cohorts; "
                f"mean {fmt(self.mean)}, SEs from {self.n_resamples} outer resamples)",
                part("parameter", self.parameter, self.parameter_se, self.parameter_share),
                part("cohort", self.cohort, self.cohort_se, self.cohort_share),
                part("total", self.total, self.total_se, 1.0),
            ]
        )


def _components(
    means: np.ndarray, within: np.ndarray, n_inner: int
) -> tuple[np.ndarray, np.ndarray]:
    """Parameter and cohort parts along the last axis (outer draws)."""
    cohort = within.mean(axis=-1)
    parameter = means.var(axis=-1, ddof=1) - cohort / n_inner
    return parameter, cohort


def split_variance(y: ArrayLike, *, rng: RngLike = None, n_resamples: int = 999) -> VarianceSplit:
    """Split the variance of nested draws into parameter and cohort parts.

    Parameters
    ----------
    y : array_like, shape (outer, inner)
        ``y[i, j]``: the output for parameter set ``i`` and cohort
        realisation ``j`` (same ``inner`` count for every set); at least 2 × 2.
    rng : None, int, SeedSequence or Generator, keyword-only
        Seeds the bootstrap.
    n_resamples : int, default 999
        Bootstrap resamples of the outer draws; 0 skips the standard errors.

    Returns
    -------
    VarianceSplit

    Notes
    -----
    For a fixed budget of model runs, the parameter part is estimated best
    with many outer draws and few inner ones (even 2); the cohort part needs
    ``inner >= 2``.

    Examples
    --------
    >>> import numpy as np
    >>> from simkit.sensitivity import split_variance
    >>> rng = np.random.default_rng(0)
    >>> theta = rng.normal(0, 1, size=(4000, 1))
    >>> y = theta + rng.normal(0, 2, size=(4000, 5))
    >>> res = split_variance(y, rng=1)
    >>> round(res.parameter_share, 1)  # exact 1 / (1 + 4)
    0.2
    """
    a = np.asarray(y, dtype=float)
    if a.ndim != 2 or a.shape[0] < 2 or a.shape[1] < 2:
        raise bad("y shape", np.shape(y), "(outer, inner) with outer >= 2 and inner >= 2")
    if not np.all(np.isfinite(a)):
        raise bad("y", f"{int(np.sum(~np.isfinite(a)))} non-finite values", "finite outputs")
    if (
        isinstance(n_resamples, bool)
        or not isinstance(n_resamples, (int, np.integer))
        or n_resamples < 0
    ):
        raise bad("n_resamples", n_resamples, "a non-negative int")
    gen = as_generator(rng)
    n_outer, n_inner = a.shape
    means = a.mean(axis=1)
    within = a.var(axis=1, ddof=1)
    parameter, cohort = (float(v) for v in _components(means, within, n_inner))
    total = parameter + cohort
    share = parameter / total if total > 0 else float("nan")

    nan = float("nan")
    ses = (nan, nan, nan, nan)
    if n_resamples > 0:
        p_b = np.empty(n_resamples)
        c_b = np.empty(n_resamples)
        batch = max(1, 4_000_000 // n_outer)
        for start in range(0, n_resamples, batch):
            k = min(batch, n_resamples - start)
            idx = gen.integers(0, n_outer, size=(k, n_outer))
            p_b[start : start + k], c_b[start : start + k] = _components(
                means[idx], within[idx], n_inner
            )
        t_b = p_b + c_b
        with np.errstate(divide="ignore", invalid="ignore"):
            s_b = p_b / t_b
        ddof = 1 if n_resamples > 1 else 0
        ses = (
            float(t_b.std(ddof=ddof)),
            float(p_b.std(ddof=ddof)),
            float(c_b.std(ddof=ddof)),
            float(np.std(s_b, ddof=ddof)),
        )

    return VarianceSplit(
        mean=float(a.mean()),
        total=total,
        parameter=parameter,
        cohort=cohort,
        parameter_share=share,
        cohort_share=1.0 - share if total > 0 else nan,
        total_se=ses[0],
        parameter_se=ses[1],
        cohort_se=ses[2],
        parameter_share_se=ses[3],
        n_outer=n_outer,
        n_inner=n_inner,
        n_resamples=int(n_resamples),
        provenance=Provenance.of(None, seed=seed_of(rng), draws=n_outer * n_inner, nested=(n_outer, n_inner),
                                 method="variance split", n_resamples=int(n_resamples)),
    )
