"""Small private helpers shared by the sensitivity modules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


def bad(where: str, value: object, expected: str) -> ValueError:
    """Make a ``ValueError`` worded like :class:`simkit.errors.Problem`."""
    return ValueError(f"{where}: got {value!r}; expected {expected}")


def check_names(
    names: Sequence[str] | None, count: int, where: str, prefix: str
) -> tuple[str, ...]:
    """Return ``count`` distinct names, defaulting to ``prefix0, prefix1, ...``."""
    if names is None:
        return tuple(f"{prefix}{i}" for i in range(count))
    if isinstance(names, str):
        names = [names]
    out = tuple(str(n) for n in names)
    if len(out) != count:
        raise bad(where, list(out), f"{count} names")
    if len(set(out)) != count:
        raise bad(where, list(out), "distinct names")
    return out


def columns_of(a: ArrayLike) -> list[str] | None:
    """Column names of a pandas DataFrame (or name of a Series), else ``None``."""
    cols = getattr(a, "columns", None)
    if cols is not None:
        return [str(c) for c in cols]
    name = getattr(a, "name", None)
    if name is not None and np.ndim(a) == 1:
        return [str(name)]
    return None


def fmt(x: float) -> str:
    """Format a number for a sentence: thousands separators when large, else 3 significant figures."""
    x = float(x)
    if not np.isfinite(x):
        return str(x)
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if x == 0:
        return "0"
    return f"{x:#.3g}"


def pct(share: float) -> str:
    """Format a share as a whole-number percentage, ``"18 %"``; below 1 % as ``"0.4 %"``."""
    v = 100 * float(share)
    if not np.isfinite(v):
        return "n/a"
    if v != 0 and abs(v) < 1:
        return f"{v:.1f} %"
    return f"{v:.0f} %"
