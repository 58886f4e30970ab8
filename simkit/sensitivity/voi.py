"""Value of information: EVPI and EVPPI from a probabilistic sensitivity sample.

Input is a matrix of net benefit ``nb`` with shape ``(draws, options)``: one
row per Monte Carlo draw, one column per decision option (for example "sign
the agreement" and "do not"). A 1-D ``nb`` is read as the *incremental* net
benefit of one option against a reference whose net benefit is 0.

* EVPI  = E[max_d NB_d] − max_d E[NB_d] (Monte Carlo, exact in the limit).
* EVPPI(φ) = E_φ[max_d E(NB_d | φ)] − max_d E[NB_d] for a parameter or group
  φ, estimated by the nonparametric regression method of Strong, Oakley &
  Brennan (2014): regress each option's net benefit *incremental to the first
  option* on the sampled φ, and use the fitted values as E(NB_d | φ). The
  regression is a least-squares cubic B-spline with knots at quantiles of φ
  for one parameter; for a group, an additive spline plus pairwise tensor-
  product interactions (a GAM-like basis without penalties). The number of
  knots is chosen by generalised cross-validation (GCV), pooled over options.

References
----------
Strong, M., Oakley, J. E., Brennan, A. (2014). Estimating multiparameter
partial expected value of perfect information from a probabilistic
sensitivity analysis sample: a nonparametric regression approach. *Medical
Decision Making* 34(3), 311-326. doi:10.1177/0272989X13505910

Raiffa, H., Schlaifer, R. (1961). *Applied Statistical Decision Theory*.
Harvard (the unit normal loss integral behind :func:`evpi_normal`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import sparse, stats
from scipy.interpolate import BSpline

from simkit.results.base import Provenance, Result, fields_dict
from simkit.sensitivity._common import bad, check_names, columns_of, fmt, pct

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["EvppiTable", "VoiResult", "evpi", "evpi_normal", "evppi", "evppi_table"]

_METHODS = ("auto", "spline", "additive", "interaction")
# Knot schedules tried by GCV: interior knots per parameter (main effects) and
# per parameter inside each pairwise tensor product (interactions).
_SPLINE_KNOTS = (1, 2, 3, 4, 6, 8, 11, 15, 20, 27, 36)
_INTERACTION_KNOTS = ((1, 0), (2, 0), (3, 1), (5, 1), (7, 2), (10, 3))
_MAX_COLUMNS = 600  # regression columns; keeps a design at most draws x 600
_DISCRETE_LEVELS = 12  # a parameter with at most this many values gets one column per value


@dataclass(frozen=True, repr=False)
class VoiResult(Result):
    """An expected value of (partial) perfect information.

    Attributes
    ----------
    kind : {"EVPI", "EVPPI"}
    value : float
        The estimate, in net-benefit units per decision. For EVPPI it is
        capped at the sample EVPI (see ``raw_value``).
    raw_value : float
        EVPPI before capping; equal to ``value`` for EVPI. A raw EVPPI above
        the EVPI is a regression artefact (the population EVPPI never exceeds
        the EVPI).
    evpi : float
        EVPI of the same sample, for reference.
    se : float
        Monte Carlo standard error of the EVPI (treating the best option as
        known); NaN for EVPPI, whose error is dominated by the regression.
    expected_nb : numpy.ndarray
        Mean net benefit of each option, shape ``(options,)``.
    options : tuple of str
    best_option : str
        Option with the highest expected net benefit (decision under current
        information).
    parameters : tuple of str
        Parameters the information is about (empty for EVPI).
    method : str
        ``"monte carlo"`` for EVPI; ``"discrete"``, ``"spline"``,
        ``"additive"`` or ``"interaction"`` for EVPPI.
    df : int
        Regression coefficients (rank of the design) per option; 0 for EVPI.
    n_draws : int
    """

    kind: str
    value: float
    raw_value: float
    evpi: float
    se: float
    expected_nb: np.ndarray
    options: tuple[str, ...]
    best_option: str
    parameters: tuple[str, ...]
    method: str
    df: int
    n_draws: int
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
        >>> from simkit.sensitivity import evpi
        >>> res = evpi(np.array([1.0, -1.0, 2.0]))  # E[max(0, x)] - max(0, E[x]) = 1 - 2/3
        >>> round(res.to_dict()["value"], 4), res.to_dict()["provenance"]["draws"]
        (0.3333, 3)
        """
        return fields_dict(self)


    @property
    def label(self) -> str:
        """``"EVPI"`` or ``"EVPPI(a, b)"``.

        Examples
        --------
        >>> import numpy as np
        >>> from simkit.sensitivity import evpi
        >>> res = evpi(np.array([1.0, -1.0, 2.0]))  # E[max(0, x)] - max(0, E[x]) = 1 - 2/3
        >>> res.label
        'EVPI'
        """
        return self.kind if not self.parameters else f"{self.kind}({', '.join(self.parameters)})"

    @property
    def share_of_evpi(self) -> float:
        """``value / evpi`` (NaN when the EVPI is 0).

        Examples
        --------
        >>> import numpy as np
        >>> from simkit.sensitivity import evpi
        >>> res = evpi(np.array([1.0, -1.0, 2.0]))  # E[max(0, x)] - max(0, E[x]) = 1 - 2/3
        >>> res.share_of_evpi  # the EVPI is all of itself
        1.0
        """
        return self.value / self.evpi if self.evpi > 0 else float("nan")

    def to_frame(self) -> pd.DataFrame:
        """One row (index ``label``) with the value, context and expected net benefits.

        Returns
        -------
        pandas.DataFrame
            Columns ``value, se, evpi, share_of_evpi, best_option, method, df,
            n_draws`` and ``E[NB] <option>`` for each option.

        Examples
        --------
        >>> import numpy as np
        >>> from simkit.sensitivity import evpi
        >>> res = evpi(np.array([1.0, -1.0, 2.0]))  # E[max(0, x)] - max(0, E[x]) = 1 - 2/3
        >>> list(res.to_frame().columns)[:3]
        ['value', 'se', 'evpi']
        """
        row = {
            "value": self.value,
            "se": self.se,
            "evpi": self.evpi,
            "share_of_evpi": self.share_of_evpi,
            "best_option": self.best_option,
            "method": self.method,
            "df": self.df,
            "n_draws": self.n_draws,
        }
        row.update(
            {f"E[NB] {o}": float(v) for o, v in zip(self.options, self.expected_nb, strict=True)}
        )
        return pd.DataFrame([row], index=pd.Index([self.label], name="quantity"))

    def __repr__(self) -> str:
        """Return the value as plain text."""
        head = f"{self.label} = {fmt(self.value)}"
        if self.kind == "EVPI":
            head += f" (MC SE {fmt(self.se)})"
        else:
            head += f" ({pct(self.share_of_evpi)} of EVPI {fmt(self.evpi)}; {self.method} regression, df {self.df})"
        nbs = ", ".join(
            f"{o} {fmt(v)}" for o, v in zip(self.options, self.expected_nb, strict=True)
        )
        return (
            f"VoiResult: {head}\n"
            f"  from {self.n_draws:,} draws; expected net benefit: {nbs}; best now: {self.best_option}"
        )


@dataclass(frozen=True, repr=False)
class EvppiTable(Result):
    """EVPPI for several parameters and groups of parameters from one sample.

    Attributes
    ----------
    names : tuple of str
        Row labels: parameter names, then group names.
    members : tuple of tuple of str
        Parameters in each row (one for a single parameter).
    values : numpy.ndarray
        EVPPI per row (capped at the EVPI).
    methods : tuple of str
    dfs : numpy.ndarray
        Regression coefficients per option, per row.
    evpi : float
    n_draws : int
    """

    names: tuple[str, ...]
    members: tuple[tuple[str, ...], ...]
    values: np.ndarray
    methods: tuple[str, ...]
    dfs: np.ndarray
    evpi: float
    n_draws: int
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
        >>> from simkit.sensitivity import evppi_table
        >>> x = np.random.default_rng(0).normal(size=(2, 2000))
        >>> tab = evppi_table(x[0] + x[1], {"a": x[0], "b": x[1]})
        >>> tab.to_dict()["names"], tab.to_dict()["n_draws"]
        (['a', 'b'], 2000)
        """
        return fields_dict(self)


    def to_frame(self) -> pd.DataFrame:
        """One row per parameter or group, in input order.

        Returns
        -------
        pandas.DataFrame
            Index ``name``; columns ``kind`` (parameter or group),
            ``parameters``, ``evppi``, ``share_of_evpi``, ``method``, ``df``.

        Examples
        --------
        >>> import numpy as np
        >>> from simkit.sensitivity import evppi_table
        >>> x = np.random.default_rng(0).normal(size=(2, 2000))
        >>> tab = evppi_table(x[0] + x[1], {"a": x[0], "b": x[1]})
        >>> tab.to_frame().index.tolist()
        ['a', 'b']
        """
        share = self.values / self.evpi if self.evpi > 0 else np.full(len(self.values), np.nan)
        return pd.DataFrame(
            {
                "kind": [
                    "parameter" if len(m) == 1 and m[0] == n else "group"
                    for n, m in zip(self.names, self.members, strict=True)
                ],
                "parameters": [", ".join(m) for m in self.members],
                "evppi": self.values,
                "share_of_evpi": share,
                "method": list(self.methods),
                "df": self.dfs,
            },
            index=pd.Index(list(self.names), name="name"),
        )

    def __repr__(self) -> str:
        """Return the table as plain text."""
        width = max((len(n) for n in self.names), default=4)
        lines = [f"EvppiTable: EVPI {fmt(self.evpi)} from {self.n_draws:,} draws"]
        for name, v in zip(self.names, self.values, strict=True):
            share = pct(v / self.evpi) if self.evpi > 0 else "n/a"
            lines.append(f"  {name:<{width}}  {fmt(v):>10}  ({share} of EVPI)")
        return "\n".join(lines)


# ----------------------------------------------------------------- validation


def _check_nb(nb: ArrayLike, options: Sequence[str] | None) -> tuple[np.ndarray, tuple[str, ...]]:
    cols = columns_of(nb) if np.ndim(nb) == 2 else None
    a = np.asarray(nb, dtype=float)
    if a.ndim == 1:
        a = np.column_stack([np.zeros_like(a), a])
        default = ("reference", "alternative")
        names = default if options is None else check_names(options, 2, "options", "option")
    elif a.ndim == 2:
        names = check_names(
            options if options is not None else cols, a.shape[1], "options", "option"
        )
    else:
        raise bad("nb shape", a.shape, "(draws, options) or (draws,) incremental net benefit")
    if a.shape[1] < 2:
        raise bad("nb shape", a.shape, "at least 2 options (columns)")
    if a.shape[0] < 2:
        raise bad("nb shape", a.shape, "at least 2 draws (rows)")
    if not np.all(np.isfinite(a)):
        raise bad("nb", f"{int(np.sum(~np.isfinite(a)))} non-finite values", "finite net benefits")
    return a, names


def _check_x(
    x: ArrayLike, n_draws: int, names: Sequence[str] | None
) -> tuple[np.ndarray, tuple[str, ...]]:
    cols = columns_of(x)
    a = np.asarray(x, dtype=float)
    if a.ndim == 1:
        a = a[:, np.newaxis]
    if a.ndim != 2 or a.shape[0] != n_draws:
        raise bad("x shape", np.shape(x), f"({n_draws},) or ({n_draws}, k), one row per draw of nb")
    if not np.all(np.isfinite(a)):
        raise bad(
            "x", f"{int(np.sum(~np.isfinite(a)))} non-finite values", "finite parameter draws"
        )
    return a, check_names(names if names is not None else cols, a.shape[1], "names", "x")


# --------------------------------------------------------------------- EVPI


def evpi_normal(mu: float | np.ndarray, sigma: float | np.ndarray) -> float | np.ndarray:
    """EVPI of a two-option decision whose incremental net benefit is Normal(mu, sigma).

    ``EVPI = sigma * [phi(z) - z * (1 - Phi(z))]`` with ``z = |mu| / sigma``,
    the unit normal loss integral (Raiffa & Schlaifer 1961); 0 when
    ``sigma == 0``.

    Parameters
    ----------
    mu, sigma : float or array_like
        Mean and standard deviation (``sigma >= 0``); broadcast together.

    Returns
    -------
    float or numpy.ndarray

    Examples
    --------
    >>> from simkit.sensitivity import evpi_normal
    >>> round(evpi_normal(0, 1), 6)
    0.398942
    >>> round(evpi_normal(1000, 2000), 3)
    395.593
    """
    mu_a, sigma_a = np.broadcast_arrays(np.asarray(mu, dtype=float), np.asarray(sigma, dtype=float))
    if np.any(sigma_a < 0) or not np.all(np.isfinite(sigma_a)) or not np.all(np.isfinite(mu_a)):
        raise bad("evpi_normal(mu, sigma)", (mu, sigma), "finite mu and finite sigma >= 0")
    pos = sigma_a > 0
    z = np.divide(np.abs(mu_a), sigma_a, out=np.zeros_like(mu_a), where=pos)
    out = np.where(pos, sigma_a * (stats.norm.pdf(z) - z * stats.norm.sf(z)), 0.0)
    return float(out) if out.ndim == 0 else out


def _evpi_parts(nb: np.ndarray) -> tuple[float, float, np.ndarray, int]:
    means = nb.mean(axis=0)
    best = int(np.argmax(means))
    regret = nb.max(axis=1) - nb[:, best]  # >= 0; its mean is the EVPI
    value = float(regret.mean())
    se = float(regret.std(ddof=1) / np.sqrt(len(regret)))
    return value, se, means, best


def evpi(nb: ArrayLike, *, options: Sequence[str] | None = None) -> VoiResult:
    """Compute the expected value of perfect information, ``E[max_d NB_d] - max_d E[NB_d]``.

    Parameters
    ----------
    nb : array_like, shape (draws, options) or (draws,)
        Net benefit per draw and option (a DataFrame's columns name the
        options). 1-D: incremental net benefit against a reference option.
    options : sequence of str, optional
        Option names; default the DataFrame's columns or ``option0, ...``.

    Returns
    -------
    VoiResult
        ``se`` is the standard error of the mean regret
        ``max_d NB_d - NB_best`` over draws.

    Examples
    --------
    >>> import numpy as np
    >>> from simkit.sensitivity import evpi
    >>> inb = np.random.default_rng(0).normal(0.0, 1.0, 100_000)
    >>> round(evpi(inb).value, 2)  # exact: 0.399
    0.4
    """
    a, names = _check_nb(nb, options)
    value, se, means, best = _evpi_parts(a)
    return VoiResult(
        kind="EVPI",
        value=value,
        raw_value=value,
        evpi=value,
        se=se,
        expected_nb=means,
        options=names,
        best_option=names[best],
        parameters=(),
        method="monte carlo",
        df=0,
        n_draws=a.shape[0],
        provenance=Provenance.of(None, seed=None, draws=a.shape[0], method="EVPI"),
    )


# ------------------------------------------------------------ regression bases


def _spline_basis(x: np.ndarray, n_interior: int) -> sparse.csr_array:
    """Cubic B-spline basis with interior knots at quantiles of ``x``; rows sum to 1."""
    lo, hi = float(x.min()), float(x.max())
    probs = np.linspace(0.0, 1.0, n_interior + 2)[1:-1]
    inner = np.unique(np.quantile(x, probs)) if n_interior > 0 else np.empty(0)
    inner = inner[(inner > lo) & (inner < hi)]
    t = np.concatenate([np.full(4, lo), inner, np.full(4, hi)])
    return sparse.csr_array(BSpline.design_matrix(x, t, 3))


def _one_hot(x: np.ndarray) -> sparse.csr_array:
    _, inverse = np.unique(x, return_inverse=True)
    n = len(x)
    return sparse.csr_array(
        (np.ones(n), (np.arange(n), inverse)), shape=(n, int(inverse.max()) + 1)
    )


def _row_kron(a: sparse.csr_array, b: sparse.csr_array) -> sparse.csr_array:
    """Row-wise Kronecker product (tensor-product basis) of two small bases."""
    a_d, b_d = a.toarray(), b.toarray()
    return sparse.csr_array((a_d[:, :, np.newaxis] * b_d[:, np.newaxis, :]).reshape(len(a_d), -1))


def _candidate_designs(x: np.ndarray, method: str, max_cols: int):
    """Yield ``(design, method_used)`` from simplest to richest (intercept included).

    Designs are sparse: a cubic B-spline row has 4 non-zeros, so Gram matrices
    cost O(draws) and no multithreaded dense BLAS call on a tall matrix.
    """
    n, k = x.shape
    n_levels = [len(np.unique(x[:, j])) for j in range(k)]
    ones = sparse.csr_array(np.ones((n, 1)))

    def main(j: int, q: int) -> sparse.csr_array:
        if n_levels[j] <= _DISCRETE_LEVELS:
            return _one_hot(x[:, j])[:, 1:]
        return _spline_basis(x[:, j], q)[:, 1:]  # drop one column: rows sum to 1 = intercept

    def stack(blocks: list[sparse.csr_array]) -> sparse.csr_array:
        return sparse.hstack(blocks, format="csr")

    if k == 1 and n_levels[0] <= _DISCRETE_LEVELS:
        yield stack([ones, main(0, 0)]), "discrete"
        return
    if method in ("spline", "additive"):
        for q in _SPLINE_KNOTS:
            if 1 + k * (q + 3) > max_cols:
                return
            yield stack([ones, *[main(j, q) for j in range(k)]]), method
        return
    for q_main, q_int in _INTERACTION_KNOTS:  # method == "interaction"
        mains = [main(j, q_main) for j in range(k)]
        small = [main(j, q_int) for j in range(k)]
        n_cols = 1 + sum(m.shape[1] for m in mains)
        n_cols += sum(
            small[i].shape[1] * small[j].shape[1] for i in range(k) for j in range(i + 1, k)
        )
        if n_cols > max_cols:
            return
        pairs = [_row_kron(small[i], small[j]) for i in range(k) for j in range(i + 1, k)]
        yield stack([ones, *mains, *pairs]), method


def _project(design: sparse.csr_array, y: np.ndarray) -> tuple[np.ndarray, int]:
    """Least-squares fitted values of ``y`` on the columns of ``design``, and the rank.

    Solved through the eigendecomposition of the column-equilibrated Gram
    matrix (a pseudo-inverse, so collinear columns are harmless). B-spline
    and indicator bases are well conditioned, so the normal equations lose
    nothing that matters here.
    """
    gram = (design.T @ design).toarray()
    scale = np.sqrt(np.diag(gram))
    scale[scale == 0] = 1.0
    gram = gram / np.outer(scale, scale)
    evals, evecs = np.linalg.eigh(gram)
    keep = evals > evals.max() * 1e-10
    rhs = np.asarray(design.T @ y) / scale[:, np.newaxis]
    coef = evecs[:, keep] @ ((evecs[:, keep].T @ rhs) / evals[keep, np.newaxis])
    return np.asarray(design @ (coef / scale[:, np.newaxis])), int(keep.sum())


def _fit_gcv(x: np.ndarray, y: np.ndarray, method: str) -> tuple[np.ndarray, str, int]:
    """Least-squares fit of every column of ``y`` on a basis in ``x``; knots by pooled GCV."""
    n = x.shape[0]
    max_cols = min(_MAX_COLUMNS, max(2, n // 10))
    best: tuple[float, np.ndarray, str, int] | None = None
    worse = 0  # consecutive candidates that did not improve GCV; stop after 2
    for design, used in _candidate_designs(x, method, max_cols):
        fitted, rank = _project(design, y)
        rss = float(np.sum((y - fitted) ** 2))
        if rank >= n:
            continue
        gcv = n * rss / (n - rank) ** 2
        if best is None or gcv < best[0]:
            best, worse = (gcv, fitted, used, int(rank)), 0
        else:
            worse += 1
            if worse >= 2:
                break
    if best is None:
        if method == "interaction":  # too few draws for interactions: fall back
            return _fit_gcv(x, y, "additive")
        raise bad("nb shape", (n,), "more draws: too few to fit the EVPPI regression")
    return best[1], best[2], best[3]


# -------------------------------------------------------------------- EVPPI


def evppi(
    nb: ArrayLike,
    x: ArrayLike,
    *,
    method: str = "auto",
    options: Sequence[str] | None = None,
    names: Sequence[str] | None = None,
) -> VoiResult:
    """Compute the expected value of partial perfect information about one parameter or a group.

    Estimates ``E_x[max_d E(NB_d | x)] - max_d E[NB_d]`` by regressing the net
    benefit of each option, incremental to the first option, on the sampled
    ``x`` (Strong, Oakley & Brennan 2014); fitted values stand in for the
    conditional expectations.

    Parameters
    ----------
    nb : array_like, shape (draws, options) or (draws,)
        Net benefit, as in :func:`evpi`.
    x : array_like, shape (draws,) or (draws, k)
        The sampled values of the parameter (or the ``k`` parameters of a
        group) that produced each row of ``nb``.
    method : {"auto", "spline", "additive", "interaction"}
        ``"spline"``: cubic B-spline on quantile knots (one parameter).
        ``"additive"``: a sum of such splines, one per parameter.
        ``"interaction"``: additive splines plus pairwise tensor products of
        smaller splines. ``"auto"`` uses ``"spline"`` for one parameter and
        ``"interaction"`` for a group (falling back to ``"additive"`` when the
        draws are too few for interactions; ``method`` on the result tells).
        A parameter with at most 12 distinct values gets one column per value.
        The number of knots is chosen by GCV, pooled over options, with at
        most ``draws / 10`` and 600 coefficients.
    options : sequence of str, optional
        Option names.
    names : sequence of str, optional
        Parameter names; default the DataFrame's columns or ``x0, x1, ...``.

    Returns
    -------
    VoiResult
        ``value`` is capped at the sample EVPI; ``raw_value`` is not.

    Notes
    -----
    The estimator is biased upwards by regression noise, of order
    ``sqrt(df / draws)`` times the residual standard deviation, and downwards
    when the basis cannot follow ``E(NB | x)`` (e.g. an interaction of three
    parameters in one group). Use at least a few thousand draws.

    Examples
    --------
    >>> import numpy as np
    >>> from simkit.sensitivity import evppi
    >>> rng = np.random.default_rng(1)
    >>> x1, x2 = rng.normal(size=(2, 20_000))
    >>> res = evppi(x1 + x2, x1)  # exact: evpi_normal(0, 1) = 0.399
    >>> round(res.value, 1)
    0.4
    """
    if method not in _METHODS:
        raise bad("method", method, f"one of {_METHODS}")
    a, opts = _check_nb(nb, options)
    xa, pnames = _check_x(x, a.shape[0], names)
    k = xa.shape[1]
    if method == "auto":
        method = "spline" if k == 1 else "interaction"
    elif method == "spline" and k > 1:
        raise bad("method", method, f"'additive' or 'interaction' for a group of {k} parameters")

    total, _, means, best = _evpi_parts(a)
    inb = a[:, 1:] - a[:, :1]
    keep = np.ptp(xa, axis=0) > 0
    if not keep.any():  # x constant: nothing to learn
        fitted, used, df = np.broadcast_to(inb.mean(axis=0), inb.shape), method, 1
    else:
        fitted, used, df = _fit_gcv(xa[:, keep], inb, method)
    g = np.column_stack([np.zeros(len(a)), fitted])
    raw = float(g.max(axis=1).mean() - max(0.0, float(inb.mean(axis=0).max())))
    raw = max(raw, 0.0)
    return VoiResult(
        kind="EVPPI",
        value=min(raw, total),
        raw_value=raw,
        evpi=total,
        se=float("nan"),
        expected_nb=means,
        options=opts,
        best_option=opts[best],
        parameters=pnames,
        method=used,
        df=df,
        n_draws=a.shape[0],
        provenance=Provenance.of(None, seed=None, draws=a.shape[0], method="EVPPI", regression=used),
    )


def evppi_table(
    nb: ArrayLike,
    params: Mapping[str, object],
    groups: Mapping[str, Sequence[str]] | None = None,
    *,
    method: str = "auto",
    options: Sequence[str] | None = None,
) -> EvppiTable:
    """EVPPI of each parameter, and of each named group, from one sample.

    Parameters
    ----------
    nb : array_like, shape (draws, options) or (draws,)
        Net benefit, as in :func:`evpi`.
    params : mapping of str to array_like
        Parameter name to its sampled values, shape ``(draws,)`` each.
    groups : mapping of str to sequence of str, optional
        Group name to the names (keys of ``params``) of its members.
    method : str, default "auto"
        As in :func:`evppi`, applied to every row.
    options : sequence of str, optional

    Returns
    -------
    EvppiTable
        Rows in the order of ``params`` then ``groups``.

    Examples
    --------
    >>> import numpy as np
    >>> from simkit.sensitivity import evppi_table
    >>> rng = np.random.default_rng(2)
    >>> p = {"a": rng.normal(size=5000), "b": rng.normal(size=5000)}
    >>> tab = evppi_table(p["a"] + p["b"], p, {"both": ["a", "b"]})
    >>> list(tab.to_frame().index)
    ['a', 'b', 'both']
    """
    a, opts = _check_nb(nb, options)
    groups = dict(groups or {})
    clash = set(groups) & set(params)
    if clash:
        raise bad("groups", sorted(clash), "group names different from parameter names")
    cols: dict[str, np.ndarray] = {}
    values: Any  # the name holds each parameter's draws, then the EVPPI values
    for name, values in params.items():
        v = np.asarray(values, dtype=float)
        if v.ndim != 1:
            raise bad(f"params[{name!r}] shape", v.shape, f"({a.shape[0]},)")
        cols[str(name)] = v
    rows: list[tuple[str, tuple[str, ...]]] = [(n, (n,)) for n in cols]
    for gname, members in groups.items():
        members_t = (members,) if isinstance(members, str) else tuple(str(m) for m in members)
        missing = [m for m in members_t if m not in cols]
        if missing or not members_t:
            raise bad(f"groups[{gname!r}]", list(members_t), f"names among params {sorted(cols)}")
        rows.append((str(gname), members_t))

    total = _evpi_parts(a)[0]
    methods: list[str]
    dfs: list[int]
    values, methods, dfs = [], [], []
    for _, members_t in rows:
        xg = np.column_stack([cols[m] for m in members_t])
        res = evppi(a, xg, method=method, options=opts, names=members_t)
        values.append(res.value)
        methods.append(res.method)
        dfs.append(res.df)
    return EvppiTable(
        names=tuple(r[0] for r in rows),
        members=tuple(r[1] for r in rows),
        values=np.asarray(values, dtype=float),
        methods=tuple(methods),
        dfs=np.asarray(dfs, dtype=int),
        evpi=total,
        n_draws=a.shape[0],
        provenance=Provenance.of(None, seed=None, draws=a.shape[0], method="EVPPI table", regression=method),
    )
