"""Uncertain parameters: distributions and correlated parameter draws.

Each model parameter is either fixed or a distribution. A draw of all
parameters is made through a Gaussian copula: standard normals ``Z`` (one
column per parameter) are correlated with the Cholesky factor of the
copula correlation matrix, mapped to uniforms ``U = Phi(Z)`` and then to
each marginal with its quantile function. Rank (Spearman) correlations
given in a scenario are converted to the copula's Pearson correlation with
``rho = 2 sin(pi rho_s / 6)`` (Kruskal 1958), which is exact for the
Gaussian copula.

Only ``scipy.special`` is used (no ``scipy.stats``), so the module is cheap
to import and fast on the simulation's hot path.

Array axis order everywhere in simkit: ``(draw, ...)``; here parameter draws
are returned as a mapping name -> array of shape ``(draws,)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy import special
from scipy.optimize import brentq

__all__ = [
    "Beta",
    "Distribution",
    "Fixed",
    "Gamma",
    "LogNormal",
    "Normal",
    "Pert",
    "Triangular",
    "Uniform",
    "draw_parameters",
    "rank_to_pearson",
]

_Z975 = 1.959963984540054  # standard normal 97.5 % quantile


class Distribution:
    """Base class: a univariate distribution with a vectorised quantile function."""

    #: short name used in scenario files (``dist = "beta"``)
    kind: str = ""

    def ppf(self, u: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        """Return the quantiles at probabilities ``u`` (vectorised).

        Examples
        --------
        >>> Uniform(0.0, 10.0).ppf(np.array([0.25, 0.5]))  # low + (high - low) u
        array([2.5, 5. ])
        """
        raise NotImplementedError

    #: quantile functions without a cheap closed form are evaluated from normal
    #: scores by linear interpolation on a fine grid (see :meth:`from_z`)
    _tabulate: bool = False

    def from_z(self, z: np.ndarray) -> np.ndarray:
        """Quantiles at standard-normal scores ``z``: ``ppf(Phi(z))``.

        For beta, PERT and gamma, whose exact quantile function costs a few
        microseconds per value, ``ppf(Phi(z))`` is tabulated once on
        :data:`Z_GRID` (16,385 points, z in [-8.5, 8.5]) and interpolated
        linearly; the error is below 1e-6 of the distribution's range
        (tested against the exact function). Other distributions are exact.

        Examples
        --------
        >>> round(float(Normal(1.0, 2.0).from_z(np.array([1.0]))[0]), 12)  # mu + sd z
        3.0
        """
        if not self._tabulate:
            return np.asarray(self.ppf(special.ndtr(z)), dtype=float)
        return _interp_z(np.asarray(z, dtype=float), _z_table(self))

    @property
    def mean(self) -> float:  # pragma: no cover - abstract
        """The mean."""
        raise NotImplementedError

    @property
    def central(self) -> float:
        """Central value used when other parameters are moved (one-way sensitivity)."""
        return float(self.mean)

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """Central ``level`` interval (equal tails).

        Examples
        --------
        >>> [round(x, 12) for x in Uniform(0.0, 1.0).interval(0.9)]
        [0.05, 0.95]
        """
        a = (1.0 - level) / 2.0
        lo, hi = self.ppf(np.array([a, 1.0 - a]))
        return float(lo), float(hi)

    @property
    def is_fixed(self) -> bool:
        """Whether the value is known (no uncertainty)."""
        return False

    def describe(self) -> str:
        """Return the distribution in words: kind, mean and 95 % interval.

        Examples
        --------
        >>> Uniform(0.0, 1.0).describe()
        'uniform, mean 0.5, 95 % interval 0.025–0.975'
        """
        lo, hi = self.interval()
        return f"{self.kind}, mean {self.mean:.4g}, 95 % interval {lo:.4g}–{hi:.4g}"


@dataclass(frozen=True)
class Fixed(Distribution):
    """A known value."""

    value: float
    kind: str = field(default="fixed", init=False)

    def ppf(self, u):
        """Return the quantiles at probabilities ``u`` (vectorised).

        Examples
        --------
        >>> Fixed(3.0).ppf(np.array([0.1, 0.9]))
        array([3., 3.])
        """
        return np.full(np.shape(u), float(self.value))

    @property
    def mean(self):
        """The mean."""
        return float(self.value)

    @property
    def is_fixed(self):
        """Whether the value is known (no uncertainty)."""
        return True

    def interval(self, level=0.95):
        """Return the central ``level`` interval (equal tails).

        Examples
        --------
        >>> Fixed(3.0).interval()
        (3.0, 3.0)
        """
        return float(self.value), float(self.value)

    def describe(self):
        """Return the distribution in words: kind, mean and 95 % interval.

        Examples
        --------
        >>> Fixed(3.0).describe()
        'fixed 3'
        """
        return f"fixed {self.value:.4g}"


@dataclass(frozen=True)
class Beta(Distribution):
    """Beta(a, b) on [0, 1], e.g. for a rate.

    Build it from a mean and a 95 % interval with :meth:`from_mean_interval`
    (the concentration ``a + b`` is chosen so that the central 95 % interval
    has the requested width), from a mean and sd with :meth:`from_mean_sd`,
    or directly from ``a`` and ``b``.

    Examples
    --------
    >>> d = Beta.from_mean_interval(0.8, 0.65, 0.92)
    >>> round(d.mean, 6)
    0.8
    """

    a: float
    b: float
    kind: str = field(default="beta", init=False)
    _tabulate = True

    def ppf(self, u):
        """Return the quantiles at probabilities ``u`` (vectorised).

        Examples
        --------
        >>> Beta(1.0, 1.0).ppf(np.array([0.3]))  # Beta(1, 1) is uniform on [0, 1]
        array([0.3])
        """
        return special.betaincinv(self.a, self.b, u)

    @property
    def mean(self):
        """The mean."""
        return self.a / (self.a + self.b)

    @classmethod
    def from_mean_sd(cls, mean: float, sd: float) -> Beta:
        """Return the beta with this mean and standard deviation (moment matching).

        Examples
        --------
        >>> d = Beta.from_mean_sd(0.5, 1 / 12 ** 0.5)  # the uniform's sd: a + b = 0.25 / var - 1 = 2
        >>> round(d.a, 9), round(d.b, 9)
        (1.0, 1.0)
        """
        var = sd * sd
        k = mean * (1 - mean) / var - 1.0
        if not (0 < mean < 1) or k <= 0:
            raise ValueError("a beta distribution needs 0 < mean < 1 and sd^2 < mean(1-mean)")
        return cls(mean * k, (1 - mean) * k)

    @classmethod
    def from_mean_interval(cls, mean: float, low: float, high: float) -> Beta:
        """Return the beta with this mean whose central 95 % interval has the width of ``[low, high]``.

        Examples
        --------
        >>> d = Beta.from_mean_interval(0.8, 0.65, 0.92)
        >>> lo, hi = d.interval()
        >>> round(hi - lo, 6)  # the width of [0.65, 0.92]
        0.27
        """
        if not (0 < low < mean < high < 1):
            raise ValueError("a beta distribution needs 0 < low < mean < high < 1")
        width = high - low

        def excess(log_k: float) -> float:
            k = math.exp(log_k)
            lo, hi = special.betaincinv(mean * k, (1 - mean) * k, [0.025, 0.975])
            return (hi - lo) - width

        # width decreases as the concentration k = a + b grows
        log_k = brentq(excess, math.log(1e-3), math.log(1e7), xtol=1e-12)
        k = math.exp(log_k)
        return cls(mean * k, (1 - mean) * k)


@dataclass(frozen=True)
class Pert(Distribution):
    """PERT(min, mode, max): a beta scaled to [min, max] with shape ``lamb`` (default 4).

    ``alpha = 1 + lamb (mode - min)/(max - min)``, ``beta = 1 + lamb (max - mode)/(max - min)``
    (Vose, *Risk Analysis*, 3rd ed., 2008, §9.1.8).
    """

    min: float
    mode: float
    max: float
    lamb: float = 4.0
    kind: str = field(default="pert", init=False)
    _tabulate = True

    @property
    def _ab(self):
        r = self.max - self.min
        return (1 + self.lamb * (self.mode - self.min) / r, 1 + self.lamb * (self.max - self.mode) / r)

    def ppf(self, u):
        """Return the quantiles at probabilities ``u`` (vectorised).

        Examples
        --------
        >>> float(Pert(0.0, 5.0, 10.0).ppf(np.array([0.5]))[0])  # symmetric: the median is the mode
        5.0
        """
        a, b = self._ab
        return self.min + (self.max - self.min) * special.betaincinv(a, b, u)

    @property
    def mean(self):
        """The mean."""
        return (self.min + self.lamb * self.mode + self.max) / (self.lamb + 2)


@dataclass(frozen=True)
class Triangular(Distribution):
    """Triangular(min, mode, max) with its closed-form quantile function."""

    min: float
    mode: float
    max: float
    kind: str = field(default="triangular", init=False)

    def ppf(self, u):
        """Return the quantiles at probabilities ``u`` (vectorised).

        Examples
        --------
        >>> Triangular(0.0, 0.0, 1.0).ppf(np.array([0.75]))  # 1 - sqrt(1 - u)
        array([0.5])
        """
        u = np.asarray(u, dtype=float)
        lo, c, hi = self.min, self.mode, self.max
        fc = (c - lo) / (hi - lo)
        left = lo + np.sqrt(u * (hi - lo) * (c - lo))
        right = hi - np.sqrt((1 - u) * (hi - lo) * (hi - c))
        return np.where(u < fc, left, right)

    @property
    def mean(self):
        """The mean."""
        return (self.min + self.mode + self.max) / 3.0


@dataclass(frozen=True)
class Uniform(Distribution):
    """Uniform(low, high)."""

    low: float
    high: float
    kind: str = field(default="uniform", init=False)

    def ppf(self, u):
        """Return the quantiles at probabilities ``u`` (vectorised).

        Examples
        --------
        >>> Uniform(2.0, 4.0).ppf(np.array([0.0, 1.0]))
        array([2., 4.])
        """
        return self.low + (self.high - self.low) * np.asarray(u, dtype=float)

    @property
    def mean(self):
        """The mean."""
        return 0.5 * (self.low + self.high)


@dataclass(frozen=True)
class Normal(Distribution):
    """Normal(mean, sd)."""

    mu: float
    sd: float
    kind: str = field(default="normal", init=False)

    def ppf(self, u):
        """Return the quantiles at probabilities ``u`` (vectorised).

        Examples
        --------
        >>> round(float(Normal(0.0, 1.0).ppf(0.975)), 4)
        1.96
        """
        return self.mu + self.sd * special.ndtri(u)

    @property
    def mean(self):
        """The mean."""
        return self.mu


@dataclass(frozen=True)
class LogNormal(Distribution):
    """LogNormal with log-mean ``mu`` and log-sd ``sigma``.

    :meth:`from_median_interval` takes a median and a 95 % interval (the
    geometric mean of the interval's ends should be close to the median;
    ``sigma`` is fitted to the interval's log-width).
    """

    mu: float
    sigma: float
    kind: str = field(default="lognormal", init=False)

    def ppf(self, u):
        """Return the quantiles at probabilities ``u`` (vectorised).

        Examples
        --------
        >>> float(LogNormal(0.0, 1.0).ppf(0.5))  # the median is exp(mu)
        1.0
        """
        return np.exp(self.mu + self.sigma * special.ndtri(u))

    @property
    def mean(self):
        """The mean."""
        return math.exp(self.mu + 0.5 * self.sigma**2)

    @property
    def central(self):
        """The median: the central value used when other parameters are moved."""
        return math.exp(self.mu)  # the median

    @classmethod
    def from_median_interval(cls, median: float, low: float, high: float) -> LogNormal:
        """Return the lognormal with this median and ``sigma`` fitted to the 95 % interval's log-width.

        Examples
        --------
        >>> d = LogNormal.from_median_interval(2.0, 1.0, 4.0)
        >>> round(d.central, 9), round(d.sigma * 1.959963984540054, 9) == round(math.log(2.0), 9)
        (2.0, True)
        """
        if not (0 < low < median < high):
            raise ValueError("a lognormal needs 0 < low < median < high")
        return cls(math.log(median), (math.log(high) - math.log(low)) / (2 * _Z975))

    @classmethod
    def from_mean_sd(cls, mean: float, sd: float) -> LogNormal:
        """Return the lognormal with this mean and standard deviation (moment matching).

        Examples
        --------
        >>> d = LogNormal.from_mean_sd(10.0, 5.0)
        >>> round(d.mean, 9)
        10.0
        """
        s2 = math.log(1 + (sd / mean) ** 2)
        return cls(math.log(mean) - s2 / 2, math.sqrt(s2))


@dataclass(frozen=True)
class Gamma(Distribution):
    """Gamma(shape, scale); :meth:`from_mean_sd` for moment matching."""

    shape: float
    scale: float
    kind: str = field(default="gamma", init=False)
    _tabulate = True

    def ppf(self, u):
        """Return the quantiles at probabilities ``u`` (vectorised).

        Examples
        --------
        >>> round(float(Gamma(1.0, 2.0).ppf(0.5)), 9) == round(2.0 * math.log(2.0), 9)  # exponential, scale 2
        True
        """
        return self.scale * special.gammaincinv(self.shape, u)

    @property
    def mean(self):
        """The mean."""
        return self.shape * self.scale

    @classmethod
    def from_mean_sd(cls, mean: float, sd: float) -> Gamma:
        """Return the gamma with this mean and standard deviation (moment matching).

        Examples
        --------
        >>> Gamma.from_mean_sd(6.0, 3.0)  # shape (mean/sd)^2 = 4, scale sd^2/mean = 1.5
        Gamma(shape=4.0, scale=1.5, kind='gamma')
        """
        return cls((mean / sd) ** 2, sd * sd / mean)


Z_GRID = np.linspace(-8.5, 8.5, 16_385)
_Z0, _DZ = float(Z_GRID[0]), float(Z_GRID[1] - Z_GRID[0])


def _interp_z(z: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Interpolate linearly on the uniform grid :data:`Z_GRID`.

    Like ``np.interp``, clamped at the ends, but by direct indexing instead
    of a binary search.
    """
    x = np.clip((z - _Z0) / _DZ, 0.0, Z_GRID.size - 1.0)
    i = np.minimum(x.astype(np.intp), Z_GRID.size - 2)
    f = x - i
    return table[i] * (1.0 - f) + table[i + 1] * f
_Z_TABLES: dict[Distribution, np.ndarray] = {}


def _z_table(dist: Distribution) -> np.ndarray:
    t = _Z_TABLES.get(dist)
    if t is None:
        if len(_Z_TABLES) > 256:
            _Z_TABLES.clear()
        t = _Z_TABLES[dist] = np.asarray(dist.ppf(special.ndtr(Z_GRID)), dtype=float)
    return t


def rank_to_pearson(rho_s: float | np.ndarray) -> np.ndarray:
    """Spearman rank correlation -> Gaussian-copula correlation, ``2 sin(pi rho_s / 6)``.

    Examples
    --------
    >>> round(float(rank_to_pearson(1.0)), 12), float(rank_to_pearson(0.0))  # 2 sin(pi/6) = 1
    (1.0, 0.0)
    """
    return 2.0 * np.sin(np.pi * np.asarray(rho_s, dtype=float) / 6.0)


def copula_cholesky(names: list[str], rank_corr: Mapping[tuple[str, str], float]) -> np.ndarray | None:
    """Cholesky factor of the copula correlation for ``names``; None if uncorrelated.

    Raises ``ValueError`` if the matrix is not positive definite.
    """
    if not rank_corr:
        return None
    k = len(names)
    idx = {n: i for i, n in enumerate(names)}
    c = np.eye(k)
    for (a, b), rho in rank_corr.items():
        i, j = idx[a], idx[b]
        c[i, j] = c[j, i] = float(rank_to_pearson(rho))
    try:
        return np.linalg.cholesky(c)
    except np.linalg.LinAlgError as exc:
        raise ValueError("the rank correlations do not form a positive definite matrix") from exc


def draw_parameters(
    dists: Mapping[str, Distribution],
    n: int,
    *,
    rng: np.random.Generator,
    chol: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Draw ``n`` parameter sets.

    Parameters
    ----------
    dists : mapping name -> Distribution
        Iteration order fixes the column of each parameter in the random stream.
    n : int
        Number of draws.
    rng : numpy.random.Generator
        Source of randomness (keyword-only). Exactly ``n * len(dists)`` standard
        normals are consumed, row by row, so the first ``m`` rows of an
        ``n``-draw call equal an ``m``-draw call with the same generator state.
    chol : ndarray, optional
        Cholesky factor of the copula correlation (see :func:`copula_cholesky`).

    Returns
    -------
    dict name -> ndarray of shape (n,)

    Examples
    --------
    >>> d = draw_parameters({"p": Beta(8, 2)}, 4, rng=np.random.default_rng(1))
    >>> d["p"].shape
    (4,)
    """
    names = list(dists)
    z = rng.standard_normal((n, len(names)))
    if chol is not None:
        z = z @ chol.T
    return {name: dists[name].from_z(z[:, j]) for j, name in enumerate(names)}
