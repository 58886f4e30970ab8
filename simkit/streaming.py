"""Streaming summaries: per-draw outputs reduced chunk by chunk into mergeable accumulators.

A run of many draws need not keep its per-draw arrays: each chunk is reduced,
where it ran, to a :class:`RunStats` (a few kilobytes) and the chunks' stats
are merged in draw order. Memory is then flat in the number of draws.

What is exact and what is not
-----------------------------
* **Means, probabilities, standard deviations and Monte Carlo SEs** are
  computed from moments per fixed block of :data:`~simkit.backends.BLOCK`
  draws (count, sum, sum of squared deviations from the block mean). Sums are
  added exactly (Shewchuk's partials, as :func:`math.fsum`), so a mean is the
  correctly rounded mean of the block sums whatever the chunking; squared
  deviations are merged block after block in draw order (Chan et al.'s
  update). A run kept in memory is summarised by the same code over the same
  blocks, so a streamed summary equals the in-memory one exactly in these
  numbers.
* **Quantiles** come from a :class:`QuantileSketch` (the DDSketch idea:
  logarithmic bins, mergeable by adding counts). With relative accuracy
  ``alpha`` (default :data:`ALPHA` = 1e-4) the sketch's estimate of numpy's
  linearly interpolated quantile ``q`` between the order statistics
  ``x_(k)`` and ``x_(k+1)`` satisfies

      |estimate - numpy.quantile(x, q)| <= alpha * max(|x_(k)|, |x_(k+1)|) + min_value

  (``min_value`` = :data:`MIN_VALUE`: values of smaller magnitude count as 0),
  up to floating-point rounding. The bound holds for any data, with no range
  to guess in advance. Each bin also keeps its smallest and largest value, so
  an order statistic that falls in a bin holding one distinct value (a
  repayment amount, a rate k/n) is exact.

Examples
--------
>>> import numpy as np
>>> x = np.random.default_rng(1).lognormal(10, 1, 10_000)
>>> s = QuantileSketch()
>>> s.add(x[:5_000]); s.add(x[5_000:])
>>> exact = float(np.quantile(x, 0.95))
>>> abs(s.quantile(0.95) - exact) <= ALPHA * float(np.sort(x)[9498:9500].max())
True
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from simkit.backends import BLOCK
from simkit.contract import max_repayment
from simkit.errors import SimkitError

__all__ = ["ALPHA", "MIN_VALUE", "PARQUET_ROW_GROUP", "PROVENANCE_KEY", "SKETCHED", "CurveStats", "ExactSum", "ParquetSink",
           "QuantileSketch", "RunStats", "add_target_views", "block_stats", "stats_of"]

#: relative accuracy of the quantile sketches (0.01 %)
ALPHA = 1e-4
#: magnitudes below this count as zero in a sketch (an absolute error of at most this)
MIN_VALUE = 1e-9
#: the per-draw outputs whose quantiles a summary reports (and so are sketched), besides the
#: achievement rate of each target (``rate:<target>``)
SKETCHED = ("repayment", "net_pv", "fund_irr")


class ExactSum:
    """An exactly rounded, order-independent sum of floats (Shewchuk's partials).

    Examples
    --------
    >>> s = ExactSum(); s.add(1e16); s.add(1.0); s.add(-1e16)
    >>> s.value()
    1.0
    """

    __slots__ = ("partials", "special")

    def __init__(self) -> None:
        self.partials: list[float] = []
        self.special = 0.0  # inf / nan, which the partials cannot hold

    def add(self, x: float) -> None:
        """Add one float exactly.

        Examples
        --------
        >>> s = ExactSum()
        >>> for x in (0.1, 0.2, -0.3):
        ...     s.add(x)
        >>> s.value() == math.fsum([0.1, 0.2, -0.3]), 0.1 + 0.2 - 0.3 == 0.0  # plain float addition leaves an error
        (True, False)
        """
        x = float(x)
        if not math.isfinite(x):
            self.special += x
            return
        partials = self.partials
        i = 0
        for y in partials:
            if abs(x) < abs(y):
                x, y = y, x
            hi = x + y
            lo = y - (hi - x)
            if lo:
                partials[i] = lo
                i += 1
            x = hi
        partials[i:] = [x]

    def merge(self, other: ExactSum) -> None:
        """Add another exact sum into this one.

        Examples
        --------
        >>> a, b = ExactSum(), ExactSum()
        >>> a.add(1e16); a.add(1.0)
        >>> b.add(-1e16); b.add(2.0); b.add(math.inf)
        >>> a.merge(b)
        >>> a.value()  # 1e16 + 1 - 1e16 + 2 + inf: the infinite part is kept apart
        inf
        >>> math.fsum(a.partials)  # the finite part: 1 + 2
        3.0
        """
        for y in other.partials:
            self.add(y)
        self.special += other.special

    def value(self) -> float:
        """Return the correctly rounded total.

        Examples
        --------
        >>> s = ExactSum()
        >>> for _ in range(10):
        ...     s.add(0.1)
        >>> s.value(), sum([0.1] * 10)  # 1.0 exactly rounded, against the plain sum's rounding drift
        (1.0, 0.9999999999999999)
        >>> ExactSum().value()
        0.0
        """
        return math.fsum(self.partials) + self.special if self.special else math.fsum(self.partials)


def _log_gamma(alpha: float) -> float:
    return math.log((1 + alpha) / (1 - alpha))


class _Bins:
    """Counts, smallest and largest value per bin index.

    Sparse ``(index, count, min, max)`` parts until read (small to pickle: a
    chunk's sketch), then one dense array from :attr:`offset`.
    """

    def __init__(self) -> None:
        self.offset = 0
        self.counts = np.zeros(0, dtype=np.int64)
        self.lo = np.zeros(0)
        self.hi = np.zeros(0)
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def add_sorted(self, idx: np.ndarray, v: np.ndarray) -> None:
        """Add values ``v`` (sorted ascending) with their bin indices ``idx`` (so sorted too)."""
        if idx.size:
            u, first, cnt = np.unique(idx, return_index=True, return_counts=True)
            self.parts.append((u, cnt.astype(np.int64), v[first], v[first + cnt - 1]))

    def dense(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return ``(counts, min, max)`` per bin from :attr:`offset`, after adding the sparse parts."""
        if self.parts:
            have = self.counts.size > 0
            lo = min([int(i[0]) for i, *_ in self.parts] + ([self.offset] if have else []))
            hi = max([int(i[-1]) for i, *_ in self.parts] + ([self.offset + self.counts.size - 1] if have else []))
            size = hi - lo + 1
            counts, vlo, vhi = np.zeros(size, dtype=np.int64), np.full(size, np.inf), np.full(size, -np.inf)
            if have:
                sl = slice(self.offset - lo, self.offset - lo + self.counts.size)
                counts[sl], vlo[sl], vhi[sl] = self.counts, self.lo, self.hi
            for i, c, a, b in self.parts:
                np.add.at(counts, i - lo, c)
                np.minimum.at(vlo, i - lo, a)
                np.maximum.at(vhi, i - lo, b)
            self.offset, self.counts, self.lo, self.hi, self.parts = lo, counts, vlo, vhi, []
        return self.counts, self.lo, self.hi

    def merge(self, other: _Bins) -> None:
        self.parts.extend(other.parts)
        if other.counts.size:
            nz = np.flatnonzero(other.counts)
            self.parts.append((nz + other.offset, other.counts[nz], other.lo[nz], other.hi[nz]))
        if len(self.parts) > 64:  # bound the sparse parts kept while merging many chunks
            self.dense()


class QuantileSketch:
    """Mergeable quantile sketch with relative accuracy ``alpha`` (see the module docstring).

    Values of magnitude below ``min_value`` count as zero; ``nan`` is counted
    apart and ignored by :meth:`quantile`; ``±inf`` are kept as such.

    Parameters
    ----------
    alpha : float
        Relative accuracy of every bin's representative value.
    min_value : float
        Smallest magnitude with a bin of its own.

    Examples
    --------
    >>> s = QuantileSketch(); s.add(np.array([0.0, 1.0, 2.0, 3.0, 4.0]))
    >>> round(s.quantile(0.5), 3), s.n
    (2.0, 5)
    """

    def __init__(self, alpha: float = ALPHA, min_value: float = MIN_VALUE) -> None:
        if not 0 < alpha < 1:
            raise ValueError(f"alpha must be in (0, 1), got {alpha}")
        self.alpha, self.min_value = float(alpha), float(min_value)
        self._lg = _log_gamma(self.alpha)
        self.pos, self.neg = _Bins(), _Bins()
        self.zero = self.pos_inf = self.neg_inf = self.nan = 0

    @property
    def n(self) -> int:
        """Number of non-nan values added."""
        return int(self.pos.dense()[0].sum() + self.neg.dense()[0].sum()) + self.zero + self.pos_inf + self.neg_inf

    def _index(self, v: np.ndarray) -> np.ndarray:
        """Bin ``i`` with ``gamma**(i-1) < v <= gamma**i`` (v > 0), corrected for rounding of the log."""
        lg = self._lg
        i = np.ceil(np.log(v) / lg).astype(np.int64)
        i -= v <= np.exp((i - 1) * lg)
        i += v > np.exp(i * lg)
        return i

    def _value(self, bins: _Bins, j: int) -> float:
        """Return the representative magnitude of dense bin ``j``: within ``alpha`` of every value in it.

        The bin's midpoint (relative), clipped to the smallest and largest value
        seen in the bin, so a bin holding a single distinct value returns it exactly.
        """
        gamma = math.exp(self._lg)
        mid = 2.0 * math.exp((bins.offset + j) * self._lg) / (gamma + 1.0)
        return float(min(max(mid, bins.lo[j]), bins.hi[j]))

    def add(self, x: np.ndarray) -> None:
        """Add an array of values.

        Examples
        --------
        >>> s = QuantileSketch()
        >>> s.add(np.array([1.0, np.nan, np.inf, -2.0, 0.0, 1e-300]))  # 1e-300 is below min_value: a zero
        >>> s.n, s.nan, s.pos_inf, s.zero  # nan is counted apart, not in n
        (5, 1, 1, 2)
        """
        x = np.asarray(x, dtype=np.float64).reshape(-1)
        isnan = np.isnan(x)
        self.nan += int(isnan.sum())
        x = x[~isnan]
        self.pos_inf += int(np.count_nonzero(x == np.inf))
        self.neg_inf += int(np.count_nonzero(x == -np.inf))
        x = x[np.isfinite(x)]
        small = np.abs(x) < self.min_value
        self.zero += int(small.sum())
        x = x[~small]
        for bins, v in ((self.pos, x[x > 0]), (self.neg, -x[x < 0])):
            if v.size:
                v = np.sort(v)
                bins.add_sorted(self._index(v), v)

    def merge(self, other: QuantileSketch) -> QuantileSketch:
        """Add the counts of another sketch with the same accuracy; returns self.

        Examples
        --------
        >>> x = np.arange(1.0, 101.0)
        >>> a, b, whole = QuantileSketch(), QuantileSketch(), QuantileSketch()
        >>> a.add(x[:30]); b.add(x[30:]); whole.add(x)
        >>> m = a.merge(b)
        >>> m is a, m.n, [m.quantile(q) == whole.quantile(q) for q in (0.1, 0.5, 0.9)]
        (True, 100, [True, True, True])
        >>> a.merge(QuantileSketch(alpha=0.01))
        Traceback (most recent call last):
        ...
        ValueError: cannot merge sketches of different accuracy
        """
        if (other.alpha, other.min_value) != (self.alpha, self.min_value):
            raise ValueError("cannot merge sketches of different accuracy")
        self.pos.merge(other.pos)
        self.neg.merge(other.neg)
        self.zero += other.zero
        self.pos_inf += other.pos_inf
        self.neg_inf += other.neg_inf
        self.nan += other.nan
        return self

    def order_statistic(self, k: int) -> float:
        """Estimate of the ``k``-th smallest value (0-based) of the non-nan values.

        Examples
        --------
        >>> s = QuantileSketch(); s.add(np.array([-np.inf, -3.0, 0.0, 5.0, 5.0, np.inf]))
        >>> [s.order_statistic(k) for k in range(6)]  # bins of one distinct value give it back exactly
        [-inf, -3.0, 0.0, 5.0, 5.0, inf]
        >>> s.order_statistic(6)
        Traceback (most recent call last):
        ...
        IndexError: rank 6 outside 0..5
        """
        n = self.n
        if not 0 <= k < n:
            raise IndexError(f"rank {k} outside 0..{n - 1}")
        if k < self.neg_inf:
            return -math.inf
        k -= self.neg_inf
        neg = self.neg.dense()[0][::-1]  # the most negative values first
        c = np.cumsum(neg)
        if neg.size and k < c[-1]:
            j = int(np.searchsorted(c, k, side="right"))
            return -self._value(self.neg, neg.size - 1 - j)
        k -= int(c[-1]) if neg.size else 0
        if k < self.zero:
            return 0.0
        k -= self.zero
        posc = self.pos.dense()[0]
        c = np.cumsum(posc)
        if posc.size and k < c[-1]:
            j = int(np.searchsorted(c, k, side="right"))
            return self._value(self.pos, j)
        return math.inf

    def quantile(self, q: float) -> float:
        """Estimate of ``numpy.quantile(x, q)`` of the non-nan values (nan when there are none).

        Examples
        --------
        >>> s = QuantileSketch(); s.add(np.array([10.0, 20.0, np.nan]))
        >>> s.quantile(0.0), s.quantile(0.25), s.quantile(1.0)  # linear between order statistics: 10 + 0.25 * 10
        (10.0, 12.5, 20.0)
        >>> QuantileSketch().quantile(0.5)
        nan
        """
        n = self.n
        if n == 0:
            return math.nan
        pos = q * (n - 1)
        k = math.floor(pos)
        f = pos - k
        lo = self.order_statistic(k)
        if f == 0 or k + 1 >= n:
            return lo
        hi = self.order_statistic(k + 1)
        if lo == hi:
            return lo
        return lo + f * (hi - lo)


def block_stats(x: np.ndarray, block: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per block of ``block`` values of ``x``: count of finite values, their sum and squared deviations.

    The last block may be short. Each block is reduced alone (the same
    arithmetic whether ``x`` holds one chunk or a whole run).

    Examples
    --------
    >>> n, s, m2 = block_stats(np.array([1.0, 3.0, np.nan, 5.0]), 2)
    >>> n.tolist(), s.tolist(), m2.tolist()
    ([2, 1], [4.0, 5.0], [2.0, 0.0])
    """
    x = np.asarray(x, dtype=np.float64)
    full = x.size // block
    parts = [x[: full * block].reshape(full, block)] if full else []
    if x.size > full * block:
        parts.append(x[full * block:].reshape(1, -1))
    out_n, out_s, out_m2 = [], [], []
    for xb in parts:
        ok = np.isfinite(xb)
        if ok.all():
            nb = np.full(xb.shape[0], xb.shape[1], dtype=np.int64)
            sb = xb.sum(axis=1)
            d = xb - (sb / xb.shape[1])[:, None]
        else:
            nb = ok.sum(axis=1)
            z = np.where(ok, xb, 0.0)
            sb = z.sum(axis=1)
            mb = np.where(nb > 0, sb / np.maximum(nb, 1), 0.0)
            d = np.where(ok, xb - mb[:, None], 0.0)
        out_n.append(nb)
        out_s.append(sb)
        out_m2.append((d * d).sum(axis=1))
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0)
    return np.concatenate(out_n), np.concatenate(out_s), np.concatenate(out_m2)


class RunStats:
    """Mergeable summary of per-draw outputs: exact moments per key, quantile sketches for some.

    Build one per chunk with :meth:`from_arrays` and merge them in draw order
    with :meth:`merge`; the result does not depend on how draws were cut into
    chunks, because moments are kept per fixed block of draws and folded
    block after block in draw order.

    Parameters
    ----------
    keys : sequence of str
        The per-draw outputs with moments.
    sketched : sequence of str
        The outputs (a subset of ``keys``) with a :class:`QuantileSketch`.

    Examples
    --------
    >>> x = {"a": np.arange(3000.0), "b": np.arange(3000) % 2 == 0}
    >>> one = RunStats.from_arrays(x, ["a"], block=1024)
    >>> two = RunStats.from_arrays({k: v[:2048] for k, v in x.items()}, ["a"], block=1024)
    >>> _ = two.merge(RunStats.from_arrays({k: v[2048:] for k, v in x.items()}, ["a"], block=1024))
    >>> one.mean("a") == two.mean("a") == 1499.5, one.mean("b") == two.mean("b") == 0.5
    (True, True)
    """

    def __init__(self, keys: Sequence[str], sketched: Sequence[str] = ()) -> None:
        self.keys = tuple(keys)
        self._col = {k: i for i, k in enumerate(self.keys)}
        K = len(self.keys)
        self.count = np.zeros(K, dtype=np.int64)      # finite values
        self.nonfinite = np.zeros(K, dtype=np.int64)  # nan or inf values
        self._sum = [ExactSum() for _ in range(K)]
        self._mean = np.zeros(K)  # running mean of the finite values (for the squared deviations)
        self.m2 = np.zeros(K)
        self.draws = 0
        self.sketches = {k: QuantileSketch() for k in sketched}
        # blocks not folded yet: (count, sum, squared deviations), in draw order
        self._pending: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], sketched: Iterable[str] = (), *,
                    block: int = 1024, keys: Sequence[str] | None = None) -> RunStats:
        """Stats of per-draw arrays (all of one length), block by block of ``block`` draws.

        ``keys`` default: every key of ``arrays``, sorted.

        Examples
        --------
        >>> st = RunStats.from_arrays({"y": np.array([1.0, 2.0, np.nan, 6.0]), "x": np.ones(4)}, ["y"], block=2)
        >>> st.keys, st.draws, st.nonfinite.tolist(), "y" in st.sketches
        (('x', 'y'), 4, [0, 1], True)
        """
        keys = sorted(arrays) if keys is None else list(keys)
        sk = [k for k in sketched if k in arrays]
        st = cls(keys, sk)
        n = int(np.asarray(arrays[keys[0]]).shape[0]) if keys else 0
        st.draws = n
        if not n:
            return st
        cols = [block_stats(arrays[k], block) for k in keys]  # one column at a time: small temporaries
        bn = np.stack([c[0] for c in cols], axis=1)
        bs = np.stack([c[1] for c in cols], axis=1)
        bm2 = np.stack([c[2] for c in cols], axis=1)
        st.nonfinite += np.array([int(np.count_nonzero(~np.isfinite(np.asarray(arrays[k], dtype=float))))
                                  for k in keys], dtype=np.int64)
        st._pending = [(bn[b], bs[b], bm2[b]) for b in range(bn.shape[0])]
        for k in sk:
            st.sketches[k].add(arrays[k])
        return st

    def _settle(self) -> None:
        """Fold the pending blocks (Chan et al.'s update, in draw order)."""
        for nb, sb, m2b in self._pending:
            na = self.count
            tot = na + nb
            with np.errstate(invalid="ignore", divide="ignore"):
                mb = np.where(nb > 0, sb / np.maximum(nb, 1), 0.0)
                delta = mb - self._mean
                w = np.where(tot > 0, nb / np.maximum(tot, 1), 0.0)
                self.m2 = self.m2 + m2b + delta * delta * na * w
                self._mean = self._mean + delta * w
            self.count = tot
            for j in np.flatnonzero(sb):
                self._sum[j].add(sb[j])
        self._pending = []

    def merge(self, other: RunStats) -> RunStats:
        """Add the stats of the draws that follow (a chunk's, not yet read); returns self.

        Examples
        --------
        >>> x = {"y": np.array([1.0, 2.0, 3.0, 4.0, 10.0])}
        >>> st = RunStats.from_arrays({"y": x["y"][:2]}).merge(RunStats.from_arrays({"y": x["y"][2:]}))
        >>> whole = RunStats.from_arrays(x)
        >>> st.draws, st.mean("y") == whole.mean("y") == 4.0, st.sd("y") == whole.sd("y")  # 20 / 5
        (5, True, True)
        """
        if other.keys != self.keys:
            raise ValueError("cannot merge stats of different outputs")
        if other.count.any():
            raise ValueError("merge the stats of chunks in draw order, before reading them")
        self._settle()
        self._pending = list(other._pending)
        self._settle()
        self.nonfinite += other.nonfinite
        self.draws += other.draws
        for k, s in self.sketches.items():
            s.merge(other.sketches[k])
        return self

    # ----------------------------------------------------------------- reading
    def __contains__(self, key: str) -> bool:
        """Tell whether an output is summarised."""
        return key in self._col

    def mean(self, key: str, *, skip_nonfinite: bool = False) -> float:
        """Mean of the values (of the finite ones with ``skip_nonfinite``; nan if there are none).

        Examples
        --------
        >>> st = RunStats.from_arrays({"y": np.array([1.0, 2.0, np.inf, 6.0])})
        >>> st.mean("y"), st.mean("y", skip_nonfinite=True)  # (1 + 2 + 6) / 3
        (nan, 3.0)
        """
        self._settle()
        j = self._col[key]
        if self.nonfinite[j] and not skip_nonfinite:
            return math.nan
        if self.count[j] == 0:
            return math.nan
        return self._sum[j].value() / int(self.count[j])

    def sd(self, key: str) -> float:
        """Sample standard deviation (ddof 1) of the finite values.

        Examples
        --------
        >>> st = RunStats.from_arrays({"y": np.array([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0])})
        >>> st.sd("y") == math.sqrt(32 / 7)  # squared deviations from the mean 5 sum to 32
        True
        >>> RunStats.from_arrays({"y": np.array([3.0])}).sd("y")  # fewer than 2 values
        0.0
        """
        self._settle()
        j = self._col[key]
        c = int(self.count[j])
        return math.sqrt(max(float(self.m2[j]), 0.0) / (c - 1)) if c > 1 else 0.0

    def mean_and_se(self, key: str) -> tuple[float, float]:
        """Mean and its Monte Carlo standard error (sd / sqrt(n)); nan SE for fewer than 2 values.

        Examples
        --------
        >>> st = RunStats.from_arrays({"y": np.array([1.0, 3.0, 5.0, 7.0])})
        >>> m, se = st.mean_and_se("y")
        >>> m, math.isclose(se, st.sd("y") / 2), math.isclose(st.sd("y") ** 2, 20 / 3)  # deviations 9+1+1+9
        (4.0, True, True)
        >>> RunStats.from_arrays({"y": np.array([3.0])}).mean_and_se("y")
        (3.0, nan)
        """
        self._settle()
        c = int(self.count[self._col[key]])
        m = self.mean(key)
        return m, (self.sd(key) / math.sqrt(c) if c > 1 else math.nan)

    def quantile(self, key: str, q: float) -> float:
        """Sketched quantile of the non-nan values (module docstring for the error bound).

        Examples
        --------
        >>> st = RunStats.from_arrays({"y": np.array([10.0, 20.0, 30.0])}, ["y"])
        >>> st.quantile("y", 0.5), st.quantile("y", 0.75)  # the middle value; halfway from 20 to 30
        (20.0, 25.0)
        """
        return self.sketches[key].quantile(q)


class CurveStats:
    """Mergeable summary of a per-draw curve (draws × points): per point an exact mean, counts and a sketch.

    For a yearly budget curve or the cash view: per column the exactly rounded
    sum of its per-block sums (blocks of :data:`~simkit.backends.BLOCK` draws,
    so the mean does not depend on the chunking), the number of values
    ``>= 0`` and ``< 0`` and a :class:`QuantileSketch` (the module docstring's
    bound). Build one per chunk with :meth:`of` and :meth:`merge` them in any
    order (sums, counts and sketches are order-free). Memory: a few kilobytes
    per point, whatever the number of draws.

    Parameters
    ----------
    points : int
        Columns of the curve.

    Examples
    --------
    >>> x = np.random.default_rng(1).normal(size=(3000, 2))
    >>> one = CurveStats.of(x)
    >>> two = CurveStats.of(x[:2048]).merge(CurveStats.of(x[2048:]))
    >>> one.mean().tolist() == two.mean().tolist(), one.p_nonnegative().tolist() == two.p_nonnegative().tolist()
    (True, True)
    """

    def __init__(self, points: int) -> None:
        self.points = int(points)
        self.n = 0
        self._sum = [ExactSum() for _ in range(self.points)]
        self.nonnegative = np.zeros(self.points, dtype=np.int64)
        self.negative = np.zeros(self.points, dtype=np.int64)
        self.sketches = [QuantileSketch() for _ in range(self.points)]

    @classmethod
    def of(cls, curve: np.ndarray, *, block: int = BLOCK) -> CurveStats:
        """Return the stats of a chunk's curve (rows: draws, the chunk starting on a block boundary).

        Examples
        --------
        >>> x = np.array([[1.0, -2.0], [3.0, 0.0], [-1.0, 4.0], [5.0, -6.0]])  # 4 draws, 2 points
        >>> st = CurveStats.of(x)
        >>> st.n, st.points, st.nonnegative.tolist(), st.negative.tolist()
        (4, 2, [3, 2], [1, 2])
        """
        curve = np.asarray(curve, dtype=np.float64)
        st = cls(curve.shape[1])
        st.n = int(curve.shape[0])
        for j in range(st.points):
            col = curve[:, j]
            _, sums, _ = block_stats(col, block)
            for s in sums:
                st._sum[j].add(s)
            st.nonnegative[j] = int(np.count_nonzero(col >= 0))
            st.negative[j] = int(np.count_nonzero(col < 0))
            st.sketches[j].add(col)
        return st

    def merge(self, other: CurveStats) -> CurveStats:
        """Add another chunk's stats; returns self.

        Examples
        --------
        >>> x = np.array([[1.0, -2.0], [3.0, 0.0], [-1.0, 4.0], [5.0, -6.0]])  # 4 draws, 2 points
        >>> both = CurveStats.of(x[:2], block=2).merge(CurveStats.of(x[2:], block=2))  # two chunks of 2 draws
        >>> both.n, both.mean().tolist() == CurveStats.of(x).mean().tolist()
        (4, True)
        >>> both.merge(CurveStats(3))
        Traceback (most recent call last):
        ...
        ValueError: cannot merge curves with different points
        """
        if other.points != self.points:
            raise ValueError("cannot merge curves with different points")
        self.n += other.n
        for j in range(self.points):
            self._sum[j].merge(other._sum[j])
            self.sketches[j].merge(other.sketches[j])
        self.nonnegative += other.nonnegative
        self.negative += other.negative
        return self

    def mean(self) -> np.ndarray:
        """Mean per point (nan without draws).

        Examples
        --------
        >>> x = np.array([[1.0, -2.0], [3.0, 0.0], [-1.0, 4.0], [5.0, -6.0]])  # 4 draws, 2 points
        >>> CurveStats.of(x).mean().tolist()  # (1 + 3 - 1 + 5) / 4 and (-2 + 0 + 4 - 6) / 4
        [2.0, -1.0]
        >>> CurveStats(2).mean().tolist()
        [nan, nan]
        """
        return np.array([s.value() / self.n if self.n else math.nan for s in self._sum])

    def p_nonnegative(self) -> np.ndarray:
        """Share of draws >= 0 per point.

        Examples
        --------
        >>> x = np.array([[1.0, -2.0], [3.0, 0.0], [-1.0, 4.0], [5.0, -6.0]])  # 4 draws, 2 points
        >>> CurveStats.of(x).p_nonnegative().tolist()  # 3 of 4 and 2 of 4 (0 counts as >= 0)
        [0.75, 0.5]
        """
        return self.nonnegative / self.n if self.n else np.full(self.points, math.nan)

    def p_negative(self) -> np.ndarray:
        """Share of draws < 0 per point.

        Examples
        --------
        >>> x = np.array([[1.0, -2.0], [3.0, 0.0], [-1.0, 4.0], [5.0, -6.0]])  # 4 draws, 2 points
        >>> CurveStats.of(x).p_negative().tolist()  # 1 of 4 and 2 of 4
        [0.25, 0.5]
        """
        return self.negative / self.n if self.n else np.full(self.points, math.nan)

    def quantile(self, q: float) -> np.ndarray:
        """Sketched quantile ``q`` per point (within the module docstring's bound of numpy's).

        Examples
        --------
        >>> x = np.array([[1.0, -2.0], [3.0, 0.0], [-1.0, 4.0], [5.0, -6.0]])  # 4 draws, 2 points
        >>> st = CurveStats.of(x)
        >>> st.quantile(0.0).tolist(), st.quantile(1.0).tolist()  # the smallest and largest per point
        ([-1.0, -6.0], [5.0, 4.0])
        """
        return np.array([s.quantile(q) for s in self.sketches])


def add_target_views(sc, arr: dict[str, Any]) -> dict[str, Any]:
    """Add ``achieved:<target>`` and ``denominator:<target>`` to ``arr``: views on the counts each target reads.

    Examples
    --------
    >>> import simkit
    >>> sc = simkit.load_scenario(["norddjurs", "norddjurs_threshold"])  # a contract with targets
    >>> keys = ("achieved", "referred", "achieved_completed", "completed")
    >>> arr = add_target_views(sc, {f"count:{t.indicator}:{k}": np.arange(3)
    ...                             for t in sc.contract.targets for k in keys})
    >>> arr[f"achieved:{sc.contract.targets[0].id}"].tolist()
    [0, 1, 2]
    """
    for t in sc.contract.targets:
        key_a, key_n = ("achieved", "referred") if t.denominator == "referred" else (
            "achieved_completed", "completed")
        arr[f"achieved:{t.id}"] = arr[f"count:{t.indicator}:{key_a}"]
        arr[f"denominator:{t.id}"] = arr[f"count:{t.indicator}:{key_n}"]
    return arr


def stats_of(sc, arr: Mapping[str, Any]) -> RunStats:
    """Compute the :class:`~simkit.streaming.RunStats` of per-draw outputs (with the target views), block by block.

    Besides every per-draw output it holds the derived per-draw quantities a
    summary reports: ``rate:<target>`` (achieved / denominator, nan without
    a denominator), ``is:full`` (full repayment), ``is:none`` (no repayment),
    ``is:loss`` (fund multiple below 1) and ``is:neutral`` (net budget effect
    >= 0). The same function summarises a streamed chunk and a run in memory,
    so both give the same numbers.

    Examples
    --------
    >>> import simkit
    >>> res = simkit.simulate(draws=2_048, seed=1)
    >>> st = stats_of(res.scenario, res.draws_)
    >>> st.mean("is:none") == float(np.mean(res.draws_["repayment"] <= 0))
    True
    """
    rep = np.asarray(arr["repayment"])
    n = rep.shape[0]
    cols = {k: v for k, v in arr.items()
            if isinstance(v, np.ndarray) and v.ndim == 1 and v.shape[0] == n and v.dtype.kind in "biuf"}
    max_rep = float(max_repayment(sc.contract))
    cols["is:full"] = (rep >= max_rep * (1 - 1e-12)) if max_rep > 0 else np.zeros(n, dtype=bool)
    cols["is:none"] = rep <= 0
    cols["is:loss"] = np.asarray(arr["fund_multiple"]) < 1.0
    cols["is:neutral"] = np.asarray(arr["net_pv"]) >= 0
    rates = []
    for t in sc.contract.targets:
        den = np.asarray(arr[f"denominator:{t.id}"])
        cols[f"rate:{t.id}"] = np.divide(arr[f"achieved:{t.id}"], den, out=np.full(den.shape, np.nan),
                                         where=den > 0)
        rates.append(f"rate:{t.id}")
    return RunStats.from_arrays(cols, (*SKETCHED, *rates), block=BLOCK)


#: key of the Parquet file's key-value metadata that holds the run's provenance (JSON)
PROVENANCE_KEY = "simkit.provenance"


#: draws per Parquet row group (128 blocks): big enough that the footer a writer keeps in memory stays
#: small at any run length (about 35 KB per group of 42 columns), small enough to gather in memory
#: (42 float64 columns: 44 MB)
PARQUET_ROW_GROUP = 128 * 1024


class ParquetSink:
    """Write per-draw outputs to a Parquet file chunk by chunk, in row groups of ``row_group_rows`` draws.

    Chunks are gathered into row groups of :data:`PARQUET_ROW_GROUP` draws (the
    last one shorter), in draw order, so the file's layout does not depend on
    the chunk size. Only the draws of the row group being gathered are in
    memory, and the file's footer (which a Parquet writer keeps in memory
    until it closes: about 35 KB per row group of 42 columns)
    grows by one entry per 131,072 draws, not per chunk, so a run of any
    length writes its per-draw outputs with memory flat in draws (10^8 draws:
    763 row groups). The columns are those of the first
    chunk (one-dimensional numeric or boolean arrays, in their order); the
    run's provenance (:meth:`simkit.results.Provenance.as_dict`, JSON) is in
    the file's key-value metadata under :data:`PROVENANCE_KEY`. Needs pyarrow
    (``pip install simkit[parquet]``). :func:`simkit.simulate` with
    ``parquet=PATH`` uses one and writes the file atomically.

    Parameters
    ----------
    path : str or path-like
        The file to write (replaced if it exists).
    provenance : mapping
        The run's provenance, stored as JSON in the metadata.
    row_group_rows : int
        Draws per row group (default :data:`PARQUET_ROW_GROUP`).

    Examples
    --------
    >>> import os, tempfile
    >>> import pyarrow.parquet as pq
    >>> path = os.path.join(tempfile.mkdtemp(), "draws.parquet")
    >>> with ParquetSink(path, {"seed": 1}, row_group_rows=4) as sink:  # three chunks of 2, 3 and 1 draws
    ...     sink.write({"x": np.arange(2.0)}); sink.write({"x": np.arange(2.0, 5.0)}); sink.write({"x": np.array([5.0])})
    >>> f = pq.ParquetFile(path)
    >>> [f.metadata.row_group(i).num_rows for i in range(f.num_row_groups)]  # groups of 4, the last shorter
    [4, 2]
    >>> f.read().column("x").to_pylist(), f.schema_arrow.metadata[b"simkit.provenance"]
    ([0.0, 1.0, 2.0, 3.0, 4.0, 5.0], b'{"seed": 1}')
    """

    def __init__(self, path: str | os.PathLike, provenance: Mapping[str, Any],
                 row_group_rows: int = 0) -> None:
        try:
            # optional dependency: only a run that writes Parquet needs it
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise SimkitError("writing Parquet needs pyarrow: pip install 'simkit[parquet]' "
                              "(or pip install pyarrow)") from None
        self._pa, self._pq = pa, pq
        self.path = os.fspath(path)
        self.metadata = {PROVENANCE_KEY: json.dumps(dict(provenance), sort_keys=True)}
        self.columns: list[str] | None = None
        self.rows = 0
        self.row_group_rows = int(row_group_rows) if row_group_rows and row_group_rows > 0 else PARQUET_ROW_GROUP
        self._pending: list[dict[str, np.ndarray]] = []
        self._pending_rows = 0
        self._writer: Any = None

    def write(self, arrays: Mapping[str, np.ndarray]) -> None:
        """Append one chunk's per-draw arrays as a row group (the same columns every time).

        Examples
        --------
        >>> import os, tempfile
        >>> sink = ParquetSink(os.path.join(tempfile.mkdtemp(), "draws.parquet"), {"seed": 1})
        >>> sink.write({"x": np.arange(3.0), "hit": np.array([True, False, True]), "label": "not per draw"})
        >>> sink.write({"x": np.arange(3.0, 5.0), "hit": np.array([False, False])})
        >>> sink.columns, sink.rows  # the first chunk's 1-d numeric and boolean arrays; 3 + 2 rows
        (['x', 'hit'], 5)
        >>> sink.write({"x": np.arange(2.0), "hit": np.array([True])})
        Traceback (most recent call last):
        ...
        ValueError: chunk columns differ in length: [1, 2]
        >>> sink.close()
        """
        if self.columns is None:
            self.columns = [k for k, v in arrays.items()
                            if isinstance(v, np.ndarray) and v.ndim == 1 and v.dtype.kind in "biuf"]
        n = {int(np.asarray(arrays[k]).shape[0]) for k in self.columns}
        if len(n) != 1:
            raise ValueError(f"chunk columns differ in length: {sorted(n)}")
        rows = n.pop()
        self._pending.append({k: np.asarray(arrays[k]) for k in self.columns})
        self._pending_rows += rows
        self.rows += rows
        while self._pending_rows >= self.row_group_rows:
            self._flush(self.row_group_rows)

    def _flush(self, rows: int) -> None:
        """Write the first ``rows`` pending draws as one row group; keep the rest pending."""
        assert self.columns is not None
        cols = {k: np.concatenate([p[k] for p in self._pending]) if len(self._pending) > 1 else self._pending[0][k]
                for k in self.columns}
        table = self._pa.table({k: v[:rows] for k, v in cols.items()})
        if self._writer is None:
            self._writer = self._pq.ParquetWriter(self.path, table.schema.with_metadata(self.metadata))
        self._writer.write_table(table, row_group_size=max(1, rows))
        left = self._pending_rows - rows
        self._pending = [{k: v[rows:] for k, v in cols.items()}] if left else []
        self._pending_rows = left

    def close(self) -> None:
        """Finish the file (an empty one with no columns if nothing was written).

        Examples
        --------
        >>> import os, tempfile
        >>> import pyarrow.parquet as pq
        >>> path = os.path.join(tempfile.mkdtemp(), "empty.parquet")
        >>> ParquetSink(path, {"seed": 1}).close()  # nothing written
        >>> f = pq.ParquetFile(path)
        >>> f.metadata.num_rows, f.schema_arrow.names, f.schema_arrow.metadata[b"simkit.provenance"]
        (0, [], b'{"seed": 1}')
        """
        if self._pending_rows:
            self._flush(self._pending_rows)
        if self._writer is None:  # nothing written: the first chunk's columns (if any), no rows
            schema = (self._pa.table({k: v[:0] for k, v in self._pending[0].items()}).schema if self._pending
                      else self._pa.schema([]))
            self._writer = self._pq.ParquetWriter(self.path, schema.with_metadata(self.metadata))
        self._pending = []
        self._writer.close()

    def __enter__(self) -> ParquetSink:
        """Return the sink itself."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the file."""
        self.close()
