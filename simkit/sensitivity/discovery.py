"""Scenario discovery: which combinations of inputs make an event likely (PRIM).

Given Monte Carlo inputs ``X`` (draws × parameters) and a boolean outcome
``y`` per draw (say "the municipality repays less than 50 %"), PRIM — the
patient rule induction method of Friedman & Fisher (1999) — finds a box
(an interval per parameter) where ``y`` is much more frequent than overall,
and states it in terms an analyst can quote.

The algorithm, with the defaults of :func:`prim`:

1. **Peeling.** Start from the box holding every draw. At each step try, for
   every parameter, removing the ``alpha`` = 5 % of the draws in the box with
   the lowest values, or the highest; keep the single peel that leaves the
   highest event rate (ties: the peel that removes fewer draws). Stop when no
   peel leaves at least ``min_support`` = 5 % of all draws. (Ties in a
   discrete parameter: if the ``alpha`` quantile equals the smallest value,
   the draws at that value are peeled together.)
2. **Choice.** Among the boxes on this trajectory that still hold at least
   ``min_coverage`` = 50 % of all draws with the event, take the one with the
   highest density (event rate inside); ties go to the larger coverage.
3. **Pasting** (Friedman & Fisher 1999). Each bound is widened, 1 % of the
   box at a time, while the event rate in the box does not fall; this
   undoes the overshoot of the last coarse 5 % peel.
4. **Simplification.** Each bound is tested by removing it. Its
   quasi-p-value (in the sense of Bryant & Lempert 2010) is a one-sided
   binomial test of "the draws that would come back have a lower event rate
   than the box"; its effect is the fall in density, as a share of the box's
   excess over the base rate. While some bound has a p-value above
   ``significance`` = 0.05 or an effect below ``min_effect`` = 5 %, the one
   with the smallest effect is removed and the rest re-tested. The effect
   rule catches edges that early peels trimmed by chance: the p-value alone
   is optimistic, because those peels were chosen for looking unfavourable.
   Only parameters with a surviving bound are reported.

Bounds lie halfway between the last draw kept and the first draw peeled, so
no draw sits on a bound and ``<`` and ``<=`` agree on the sample.

References
----------
Friedman, J. H., Fisher, N. I. (1999). Bump hunting in high-dimensional data.
*Statistics and Computing* 9(2), 123-143.

Bryant, B. P., Lempert, R. J. (2010). Thinking inside the box: a
participatory, computer-assisted approach to scenario discovery.
*Technological Forecasting and Social Change* 77(1), 34-49.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from simkit.results.base import Provenance, Result, fields_dict
from simkit.sensitivity._common import bad, check_names, columns_of, fmt, pct

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["PrimResult", "prim"]


@dataclass(frozen=True, repr=False)
class PrimResult(Result):
    """A box in parameter space where an event is concentrated.

    Attributes
    ----------
    names : tuple of str
        All parameter names, in the column order of ``X``.
    restricted : tuple of str
        Parameters the box restricts (in column order); the others are free.
    lower, upper : numpy.ndarray
        Bounds for ``restricted`` (``-inf`` / ``inf`` where one side is free).
        The box is ``lower < x < upper``.
    lower_pvalue, upper_pvalue : numpy.ndarray
        Quasi-p-value of each surviving bound (NaN for a free side): the
        chance of an event rate this much lower among the draws the bound
        excludes, were they like the box. Optimistic: the box was fitted to
        the same draws; check a box on fresh draws with :meth:`contains`.
    lower_effect, upper_effect : numpy.ndarray
        Fall in density if the bound were removed, as a share of the box's
        excess over the base rate (NaN for a free side).
    mass : float
        Share of all draws inside the box.
    coverage : float
        Share of all draws with the event that are inside the box.
    density : float
        Share of the draws inside the box that have the event.
    base_rate : float
        Share of all draws with the event.
    n_draws, n_events, n_inside : int
    event_name : str
        Used by :meth:`describe`, e.g. ``"a loss"``.
    trajectory_mass, trajectory_coverage, trajectory_density : numpy.ndarray
        The peeling trajectory, step 0 = all draws.
    selected_step : int
        Step of the trajectory chosen before simplification.
    alpha, min_support, min_coverage, significance, min_effect : float
        Settings used.
    """

    names: tuple[str, ...]
    restricted: tuple[str, ...]
    lower: np.ndarray
    upper: np.ndarray
    lower_pvalue: np.ndarray
    upper_pvalue: np.ndarray
    lower_effect: np.ndarray
    upper_effect: np.ndarray
    mass: float
    coverage: float
    density: float
    base_rate: float
    n_draws: int
    n_events: int
    n_inside: int
    event_name: str
    trajectory_mass: np.ndarray
    trajectory_coverage: np.ndarray
    trajectory_density: np.ndarray
    selected_step: int
    alpha: float
    min_support: float
    min_coverage: float
    significance: float
    min_effect: float
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
        >>> from simkit.sensitivity import prim
        >>> X = np.random.default_rng(0).uniform(size=(2000, 2))
        >>> box = prim(X, X[:, 0] > 0.8, names=["a", "b"])  # the event is a > 0.8
        >>> box.to_dict()["restricted"], box.to_dict()["provenance"]["method"]
        (['a'], 'PRIM')
        """
        return fields_dict(self)


    def conditions(self) -> list[str]:
        """Describe the box as readable conditions, e.g. ``["x1 < 0.3", "0.2 < x2 < 0.5"]``.

        Examples
        --------
        >>> import numpy as np
        >>> from simkit.sensitivity import prim
        >>> X = np.random.default_rng(0).uniform(size=(2000, 2))
        >>> box = prim(X, X[:, 0] > 0.8, names=["a", "b"])  # the event is a > 0.8
        >>> box.conditions()
        ['a > 0.801']
        """
        out = []
        for name, lo, hi in zip(self.restricted, self.lower, self.upper, strict=True):
            if np.isfinite(lo) and np.isfinite(hi):
                out.append(f"{fmt(lo)} < {name} < {fmt(hi)}")
            elif np.isfinite(lo):
                out.append(f"{name} > {fmt(lo)}")
            else:
                out.append(f"{name} < {fmt(hi)}")
        return out

    def describe(self) -> str:
        """One plain-English sentence an analyst can quote.

        Returns
        -------
        str
            For example: "When x1 < 0.3 and x2 > 0.6 (12 % of draws), the
            event occurs in 100 % of cases (vs 12 % overall); this region
            holds 100 % of all such cases."

        Examples
        --------
        >>> import numpy as np
        >>> from simkit.sensitivity import prim
        >>> X = np.random.default_rng(0).uniform(size=(2000, 2))
        >>> box = prim(X, X[:, 0] > 0.8, names=["a", "b"])  # the event is a > 0.8
        >>> box.describe().startswith("When a > 0.801")
        True
        """
        if not self.restricted:
            return (
                f"No region of the inputs stands out: {self.event_name} occurs in "
                f"{pct(self.base_rate)} of all draws, and no box holding at least "
                f"{pct(self.min_coverage)} of those cases makes it clearly more likely."
            )
        conds = self.conditions()
        joined = conds[0] if len(conds) == 1 else ", ".join(conds[:-1]) + " and " + conds[-1]
        return (
            f"When {joined} ({pct(self.mass)} of draws), {self.event_name} occurs in "
            f"{pct(self.density)} of cases (vs {pct(self.base_rate)} overall); "
            f"this region holds {pct(self.coverage)} of all such cases."
        )

    def contains(self, X: ArrayLike) -> np.ndarray:
        """Boolean mask of the rows of ``X`` (same columns as fitted) inside the box.

        Parameters
        ----------
        X : array_like or pandas.DataFrame, shape (rows, len(names))
            A DataFrame is matched by column name.

        Returns
        -------
        numpy.ndarray of bool

        Examples
        --------
        >>> import numpy as np
        >>> from simkit.sensitivity import prim
        >>> X = np.random.default_rng(0).uniform(size=(2000, 2))
        >>> box = prim(X, X[:, 0] > 0.8, names=["a", "b"])  # the event is a > 0.8
        >>> box.contains([[0.9, 0.5], [0.1, 0.5]]).tolist()
        [True, False]
        """
        cols = columns_of(X)
        a = np.asarray(X, dtype=float)
        if a.ndim != 2:
            raise bad("X shape", np.shape(X), f"(rows, {len(self.names)})")
        if cols is not None and set(self.restricted) <= set(cols):
            pos = {c: i for i, c in enumerate(cols)}
        elif a.shape[1] == len(self.names):
            pos = {c: i for i, c in enumerate(self.names)}
        else:
            raise bad("X columns", cols or a.shape[1], f"the columns {list(self.names)}")
        inside = np.ones(a.shape[0], dtype=bool)
        for name, lo, hi in zip(self.restricted, self.lower, self.upper, strict=True):
            x = a[:, pos[name]]
            inside &= (x > lo) & (x < hi)
        return inside

    def to_frame(self) -> pd.DataFrame:
        """Tabulate the box: one row per restricted parameter.

        Returns
        -------
        pandas.DataFrame
            Index ``parameter``; columns ``lower``, ``upper``, ``lower_pvalue``,
            ``upper_pvalue``, ``lower_effect``, ``upper_effect``. Box statistics are attributes of the result.

        Examples
        --------
        >>> import numpy as np
        >>> from simkit.sensitivity import prim
        >>> X = np.random.default_rng(0).uniform(size=(2000, 2))
        >>> box = prim(X, X[:, 0] > 0.8, names=["a", "b"])  # the event is a > 0.8
        >>> box.to_frame().index.tolist()
        ['a']
        """
        return pd.DataFrame(
            {
                "lower": self.lower,
                "upper": self.upper,
                "lower_pvalue": self.lower_pvalue,
                "upper_pvalue": self.upper_pvalue,
                "lower_effect": self.lower_effect,
                "upper_effect": self.upper_effect,
            },
            index=pd.Index(list(self.restricted), name="parameter"),
        )

    def trajectory_frame(self) -> pd.DataFrame:
        """Tabulate the peeling trajectory: mass, coverage, density per step, and the step chosen.

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> import numpy as np
        >>> from simkit.sensitivity import prim
        >>> X = np.random.default_rng(0).uniform(size=(2000, 2))
        >>> box = prim(X, X[:, 0] > 0.8, names=["a", "b"])  # the event is a > 0.8
        >>> list(box.trajectory_frame().columns)[:3]
        ['mass', 'coverage', 'density']
        """
        steps = len(self.trajectory_mass)
        return pd.DataFrame(
            {
                "mass": self.trajectory_mass,
                "coverage": self.trajectory_coverage,
                "density": self.trajectory_density,
                "selected": np.arange(steps) == self.selected_step,
            },
            index=pd.RangeIndex(steps, name="step"),
        )

    def __repr__(self) -> str:
        """Return a short summary."""
        return (
            f"PrimResult(mass={self.mass:.3f}, coverage={self.coverage:.3f}, "
            f"density={self.density:.3f}, base_rate={self.base_rate:.3f}, "
            f"{self.n_draws:,} draws, {len(self.trajectory_mass) - 1} peels)\n"
            f"  box: {' and '.join(self.conditions()) or '(everything)'}\n"
            f"  {self.describe()}"
        )


def _peel(X: np.ndarray, y: np.ndarray, alpha: float, min_count: int):
    """Run the peeling trajectory; return lists of (lower, upper) and inside masks."""
    n, p = X.shape
    lower = np.full(p, -np.inf)
    upper = np.full(p, np.inf)
    inside = np.ones(n, dtype=bool)
    boxes = [(lower.copy(), upper.copy())]
    masks = [inside.copy()]
    while True:
        idx = np.flatnonzero(inside)
        yin = y[idx]
        n_in, k_in = len(idx), int(yin.sum())
        best = None  # (density, kept, j, side, bound, remove mask over idx)
        for j in range(p):
            xj = X[idx, j]
            for side in ("lower", "upper"):
                if side == "lower":
                    q = np.quantile(xj, alpha)
                    remove = xj < q
                    if not remove.any():
                        remove = xj <= q
                else:
                    q = np.quantile(xj, 1 - alpha)
                    remove = xj > q
                    if not remove.any():
                        remove = xj >= q
                n_rm = int(remove.sum())
                kept = n_in - n_rm
                if n_rm == 0 or kept < min_count:
                    continue
                density = (k_in - int(yin[remove].sum())) / kept
                if (
                    best is None
                    or density > best[0] + 1e-12
                    or (abs(density - best[0]) <= 1e-12 and kept > best[1])
                ):
                    if side == "lower":
                        bound = 0.5 * (xj[remove].max() + xj[~remove].min())
                    else:
                        bound = 0.5 * (xj[remove].min() + xj[~remove].max())
                    best = (density, kept, j, side, bound, remove)
        if best is None:
            return boxes, masks
        _, _, j, side, bound, remove = best
        if side == "lower":
            lower[j] = bound
        else:
            upper[j] = bound
        inside[idx[remove]] = False
        boxes.append((lower.copy(), upper.copy()))
        masks.append(inside.copy())


def _mask(X: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    return np.all((X > lower) & (X < upper), axis=1)


def _paste(
    X: np.ndarray, y: np.ndarray, lower: np.ndarray, upper: np.ndarray, alpha: float = 0.01
) -> None:
    """Friedman & Fisher's pasting, in place: widen a bound while the density does not fall.

    Each step tries, for every finite bound, letting back in ``alpha`` = 1 %
    (of the box's draws) of excluded draws nearest that bound among those the
    other bounds admit (with ties at the last value); the widening with the
    highest resulting density is kept if it is at least the current density.
    """
    while True:
        inside = _mask(X, lower, upper)
        n_in, k_in = int(inside.sum()), int(y[inside].sum())
        m = max(1, int(np.ceil(alpha * n_in)))
        best = None  # (density, j, side, new bound)
        for j in range(X.shape[1]):
            for side in ("lower", "upper"):
                if not np.isfinite(lower[j] if side == "lower" else upper[j]):
                    continue
                lo, hi = lower.copy(), upper.copy()
                if side == "lower":
                    lo[j] = -np.inf
                else:
                    hi[j] = np.inf
                cand = np.flatnonzero(_mask(X, lo, hi) & ~inside)
                if len(cand) == 0:
                    continue
                xc = X[cand, j] if side == "upper" else -X[cand, j]  # distance order
                order = np.argsort(xc, kind="stable")
                xs = xc[order]
                last = xs[min(m, len(xs)) - 1]
                take = order[xc[order] <= last]
                rest = xs[xs > last]
                bound = np.inf if len(rest) == 0 else 0.5 * (last + rest[0])
                if side == "lower":
                    bound = -bound
                density = (k_in + int(y[cand[take]].sum())) / (n_in + len(take))
                if best is None or density > best[0]:
                    best = (density, j, side, bound)
        if best is None or best[0] < k_in / n_in - 1e-12:
            return
        _, j, side, bound = best
        if side == "lower":
            lower[j] = bound
        else:
            upper[j] = bound


def _bound_test(
    X: np.ndarray,
    y: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    j: int,
    side: str,
    base_rate: float,
) -> tuple[float, float]:
    """Quasi-p-value and effect of one bound.

    The p-value is the binomial chance of as few events among the draws the
    bound excludes (and the other bounds admit) if their event rate were the
    box's. The effect is the fall in density, were the bound removed, as a
    share of the box's excess over the base rate.
    """
    inside = _mask(X, lower, upper)
    lo, hi = lower.copy(), upper.copy()
    if side == "lower":
        lo[j] = -np.inf
    else:
        hi[j] = np.inf
    added = _mask(X, lo, hi) & ~inside
    n_add, k_add = int(added.sum()), int(y[added].sum())
    if n_add == 0:
        return 1.0, 0.0
    n_in, k_in = int(inside.sum()), int(y[inside].sum())
    density = k_in / n_in
    wider = (k_in + k_add) / (n_in + n_add)
    lift = density - base_rate
    effect = (density - wider) / lift if lift > 0 else 0.0
    return float(stats.binom.cdf(k_add, n_add, density)), float(effect)


def prim(
    X: ArrayLike,
    y: ArrayLike,
    *,
    names: Sequence[str] | None = None,
    alpha: float = 0.05,
    min_support: float = 0.05,
    min_coverage: float = 0.5,
    significance: float = 0.05,
    min_effect: float = 0.05,
    event_name: str = "the event",
) -> PrimResult:
    """Find a box of inputs where a boolean outcome is concentrated (PRIM).

    Parameters
    ----------
    X : array_like or pandas.DataFrame, shape (draws, parameters)
        Sampled inputs; a DataFrame's columns name the parameters.
    y : array_like of bool, shape (draws,)
        The event per draw; needs at least one True and one False.
    names : sequence of str, optional
        Parameter names; default the DataFrame's columns or ``x0, x1, ...``.
    alpha : float, default 0.05
        Share of the box peeled per step.
    min_support : float, default 0.05
        Peeling stops before the box would hold fewer than this share of draws.
    min_coverage : float, default 0.5
        The chosen box holds at least this share of the draws with the event.
    significance : float, default 0.05
        A bound is dropped if its quasi-p-value exceeds this ...
    min_effect : float, default 0.05
        ... or if removing it would cost less than this share of the box's
        excess density over the base rate.
    event_name : str, default "the event"
        Subject of the sentence from :meth:`PrimResult.describe`.

    Returns
    -------
    PrimResult

    Examples
    --------
    >>> import numpy as np
    >>> from simkit.sensitivity import prim
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(size=(4000, 3))
    >>> res = prim(X, (X[:, 0] < 0.3) & (X[:, 1] > 0.6), names=["a", "b", "c"])
    >>> res.restricted
    ('a', 'b')
    >>> print(res.describe())
    When a < 0.299 and b > 0.602 (12 % of draws), the event occurs in 100 % of cases (vs 12 % overall); this region holds 99 % of all such cases.
    """
    cols = columns_of(X)
    xa = np.asarray(X, dtype=float)
    if xa.ndim == 1:
        xa = xa[:, np.newaxis]
    if xa.ndim != 2:
        raise bad("X shape", np.shape(X), "(draws, parameters)")
    n, p = xa.shape
    if not np.all(np.isfinite(xa)):
        raise bad("X", f"{int(np.sum(~np.isfinite(xa)))} non-finite values", "finite inputs")
    ya = np.asarray(y)
    if ya.shape != (n,):
        raise bad("y shape", ya.shape, f"({n},), one value per row of X")
    if ya.dtype != bool:
        if not np.all(np.isin(ya, (0, 1))):
            raise bad("y", "non-boolean values", "booleans (or 0/1)")
        ya = ya.astype(bool)
    n_events = int(ya.sum())
    if n_events in (0, n):
        raise bad(
            "y",
            f"{n_events} events in {n} draws",
            "at least one draw with and one without the event",
        )
    for key, v in (("alpha", alpha), ("min_support", min_support), ("significance", significance)):
        if not 0 < v < 1:
            raise bad(key, v, "a number strictly between 0 and 1")
    if not 0 < min_coverage <= 1:
        raise bad("min_coverage", min_coverage, "a number in (0, 1]")
    names_t = check_names(names if names is not None else cols, p, "names", "x")

    min_count = max(1, int(np.ceil(min_support * n)))
    boxes, masks = _peel(xa, ya, alpha, min_count)
    t_mass = np.array([m.sum() / n for m in masks])
    t_cov = np.array([ya[m].sum() / n_events for m in masks])
    t_den = np.array([ya[m].mean() for m in masks])

    ok = np.flatnonzero(t_cov >= min_coverage - 1e-12)
    top = t_den[ok].max()
    candidates = ok[t_den[ok] >= top - 1e-12]
    step = int(candidates[np.argmax(t_cov[candidates])])
    lower, upper = (b.copy() for b in boxes[step])

    _paste(xa, ya, lower, upper)
    # Simplify: while some bound is not significant or barely matters, drop the
    # one that matters least.
    base_rate = n_events / n
    while True:
        sides = [
            (j, s)
            for j in range(p)
            for s, b in (("lower", lower), ("upper", upper))
            if np.isfinite(b[j])
        ]
        tests = [_bound_test(xa, ya, lower, upper, j, s, base_rate) for j, s in sides]
        weak = [i for i, (pv, eff) in enumerate(tests) if pv > significance or eff < min_effect]
        if not weak:
            break
        i = min(weak, key=lambda i: (tests[i][1], -tests[i][0]))
        j, s = sides[i]
        if s == "lower":
            lower[j] = -np.inf
        else:
            upper[j] = np.inf

    keep = np.flatnonzero(np.isfinite(lower) | np.isfinite(upper))
    p_lo, p_hi, e_lo, e_hi = (np.full(len(keep), np.nan) for _ in range(4))
    for i, j in enumerate(keep):  # type: ignore[assignment]  # j was an int above; here a numpy index
        if np.isfinite(lower[j]):
            p_lo[i], e_lo[i] = _bound_test(xa, ya, lower, upper, j, "lower", base_rate)
        if np.isfinite(upper[j]):
            p_hi[i], e_hi[i] = _bound_test(xa, ya, lower, upper, j, "upper", base_rate)
    inside = _mask(xa, lower, upper)
    n_inside = int(inside.sum())
    k_inside = int(ya[inside].sum())
    return PrimResult(
        names=names_t,
        restricted=tuple(names_t[j] for j in keep),
        lower=lower[keep],
        upper=upper[keep],
        lower_pvalue=p_lo,
        upper_pvalue=p_hi,
        lower_effect=e_lo,
        upper_effect=e_hi,
        mass=n_inside / n,
        coverage=k_inside / n_events,
        density=k_inside / n_inside,
        base_rate=n_events / n,
        n_draws=n,
        n_events=n_events,
        n_inside=n_inside,
        event_name=str(event_name),
        trajectory_mass=t_mass,
        trajectory_coverage=t_cov,
        trajectory_density=t_den,
        selected_step=step,
        alpha=float(alpha),
        min_support=float(min_support),
        min_coverage=float(min_coverage),
        significance=float(significance),
        min_effect=float(min_effect),
        provenance=Provenance.of(None, seed=None, draws=n, method="PRIM", alpha=float(alpha),
                                 min_support=float(min_support), min_coverage=float(min_coverage),
                                 significance=float(significance), min_effect=float(min_effect)),
    )
