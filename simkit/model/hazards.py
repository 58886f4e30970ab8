"""Registry of transition-time distributions (baseline hazards).

A transition out of a state happens after a *latent time* drawn from its
baseline cumulative hazard ``H0`` on its clock, scaled by piecewise-constant
multipliers (the programme's hazard ratio with its decay, dated changes,
subgroup ratios). With ``E = −log U`` a unit exponential, the latent time
``t`` solves ``Λ(t) = E`` where ``Λ(t) = ∫ m(u) dH0(u)`` from the entry time
(inverse-transform sampling of a survival time; Cox's proportional hazards:
``S(t | m) = S0(t)^m`` for a constant multiplier ``m``). Competing transitions
each draw a latent time and the earliest wins, which is exact for competing
risks with cause-specific hazards.

Each kind is one :class:`HazardKind` entry in :data:`HAZARD_KINDS`: its
arguments (numbers, or names of uncertain parameters resolved per draw), its
cumulative hazard ``H0(x)`` and inverse ``H0⁻¹(y)`` for ``x`` in weeks on the
transition's clock. A new kind is one entry here plus a test
(``tests/test_model_extension.py`` adds one from outside the package).

====================  ===============================  ==========================================
kind                  arguments                        ``H0(x)``
====================  ===============================  ==========================================
``exponential``       ``mean_weeks`` or ``rate``       ``x / mean`` (rate per week)
``weekly``            ``probability`` (per week)       ``−x log(1 − p)``: geometric in whole weeks
``weibull``           ``shape``, ``scale_weeks``       ``(x / scale)^shape``
``piecewise``         ``breaks_weeks``, ``rates``      piecewise-linear: rate ``i`` on ``[b_i, b_i+1)``
``fixed``             ``weeks``                        ``0`` before ``weeks``, ``∞`` from it
====================  ===============================  ==========================================
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["HAZARD_KINDS", "HazardKind", "register_hazard"]


@dataclass(frozen=True)
class HazardKind:
    """One baseline-hazard kind.

    Parameters
    ----------
    name : str
        The ``dist`` value in a scenario file.
    args : tuple of str
        Scalar argument names (each a number or a parameter name in the file).
    cumulative : callable ``(x, args) -> H0(x)``
        ``args`` maps argument name -> array broadcasting with ``x``.
    inverse : callable ``(y, args) -> x``
        Inverse of ``cumulative`` (``inf`` where ``y`` is never reached).
    list_args : tuple of str
        Arguments that are lists (``breaks_weeks``, ``rates``).
    check : callable ``(args) -> str | None``, optional
        Returns what is expected when fixed arguments are invalid.
    """

    name: str
    args: tuple[str, ...]
    cumulative: Callable[[np.ndarray, Mapping[str, np.ndarray]], np.ndarray]
    inverse: Callable[[np.ndarray, Mapping[str, np.ndarray]], np.ndarray]
    list_args: tuple[str, ...] = ()
    check: Callable[[Mapping[str, object]], str | None] | None = None
    deterministic: bool = False


def _rate(a: Mapping[str, np.ndarray]) -> np.ndarray:
    if "rate" in a:
        return np.asarray(a["rate"], dtype=float)
    with np.errstate(divide="ignore"):
        return 1.0 / np.asarray(a["mean_weeks"], dtype=float)


def _exp_cum(x, a):
    return _rate(a) * x


def _linear_inv(y, r):
    """Inverse of ``H(x) = r x`` (``inf`` where the rate is 0: never)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(r > 0, y / np.where(r > 0, r, 1.0), np.inf)


def _exp_inv(y, a):
    return _linear_inv(y, _rate(a))


def _weekly_rate(a):
    p = np.clip(np.asarray(a["probability"], dtype=float), 0.0, 1.0)
    with np.errstate(divide="ignore"):
        return -np.log1p(-p)


def _weekly_cum(x, a):
    return _weekly_rate(a) * x


def _weekly_inv(y, a):
    return _linear_inv(y, _weekly_rate(a))


def _weibull_cum(x, a):
    return (np.maximum(x, 0.0) / np.asarray(a["scale_weeks"], dtype=float)) ** np.asarray(a["shape"], dtype=float)


def _weibull_inv(y, a):
    return np.asarray(a["scale_weeks"], dtype=float) * np.maximum(y, 0.0) ** (1.0 / np.asarray(a["shape"], dtype=float))


def _pw_tables(a):
    b = np.asarray(a["breaks_weeks"], dtype=float)        # (m,) starting at 0
    r = np.asarray(a["rates"], dtype=float)               # (..., m)
    widths = np.diff(np.append(b, np.inf))                # last piece open
    with np.errstate(invalid="ignore"):
        pieces = np.where(np.isinf(widths), 0.0, r * np.where(np.isinf(widths), 0.0, widths))
    cum = np.concatenate([np.zeros((*r.shape[:-1], 1)), np.cumsum(pieces, axis=-1)], axis=-1)[..., :-1]
    return b, r, cum


def _pw_cum(x, a):
    b, r, cum = _pw_tables(a)
    x = np.maximum(np.asarray(x, dtype=float), 0.0)
    k = np.clip(np.searchsorted(b, x, side="right") - 1, 0, b.size - 1)
    rk = np.take_along_axis(np.broadcast_to(r, (*x.shape, b.size)), k[..., None], -1)[..., 0] if r.ndim > 1 else r[k]
    ck = np.take_along_axis(np.broadcast_to(cum, (*x.shape, b.size)), k[..., None], -1)[..., 0] if cum.ndim > 1 else cum[k]
    return ck + rk * (x - b[k])


def _pw_inv(y, a):
    b, r, cum = _pw_tables(a)
    y = np.asarray(y, dtype=float)
    rb = np.broadcast_to(r, (*y.shape, b.size))
    cb = np.broadcast_to(cum, (*y.shape, b.size))
    # last piece whose cumulative start is <= y (cum is non-decreasing)
    k = (cb <= y[..., None]).sum(axis=-1) - 1
    k = np.clip(k, 0, b.size - 1)
    rk = np.take_along_axis(rb, k[..., None], -1)[..., 0]
    ck = np.take_along_axis(cb, k[..., None], -1)[..., 0]
    # within piece k: x = b_k + (y - c_k) / r_k; a zero rate in the open last piece never reaches y
    nxt = np.append(b, np.inf)[k + 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        x = b[k] + (y - ck) / rk
    x = np.where(rk > 0, x, np.inf)
    return np.where(np.isfinite(nxt) & (x > nxt), np.inf, x)


def _pw_check(a):
    b = a.get("breaks_weeks")
    r = a.get("rates")
    if not isinstance(b, Sequence) or len(b) == 0 or b[0] != 0:
        return "breaks_weeks: a list of weeks starting at 0, strictly increasing"
    if any(y <= x for x, y in itertools.pairwise(b)):
        return "breaks_weeks: strictly increasing weeks"
    if not isinstance(r, Sequence) or len(r) != len(b):
        return f"rates: one hazard per week and piece ({len(b)} pieces)"
    return None


def _fixed_cum(x, a):
    w = np.asarray(a["weeks"], dtype=float)
    return np.where(np.asarray(x) >= w, np.inf, 0.0)


def _fixed_inv(y, a):
    return np.broadcast_to(np.asarray(a["weeks"], dtype=float), np.shape(y)).astype(float)


HAZARD_KINDS: dict[str, HazardKind] = {}


def register_hazard(kind: HazardKind) -> HazardKind:
    """Add a baseline-hazard kind to the registry (usable in scenario files by its name).

    Examples
    --------
    >>> import numpy as np
    >>> k = register_hazard(HazardKind("linear_demo", ("slope",),
    ...     cumulative=lambda x, a: 0.5 * a["slope"] * x**2,
    ...     inverse=lambda y, a: np.sqrt(2 * y / a["slope"])))
    >>> float(k.inverse(np.array(2.0), {"slope": np.array(1.0)}))
    2.0
    >>> _ = HAZARD_KINDS.pop("linear_demo")
    """
    HAZARD_KINDS[kind.name] = kind
    return kind


register_hazard(HazardKind("exponential", ("mean_weeks", "rate"), _exp_cum, _exp_inv))
register_hazard(HazardKind("weekly", ("probability",), _weekly_cum, _weekly_inv))
register_hazard(HazardKind("weibull", ("shape", "scale_weeks"), _weibull_cum, _weibull_inv))
register_hazard(HazardKind("piecewise", (), _pw_cum, _pw_inv, list_args=("breaks_weeks", "rates"),
                           check=_pw_check))
register_hazard(HazardKind("fixed", ("weeks",), _fixed_cum, _fixed_inv, deterministic=True))
