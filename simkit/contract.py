"""Repayment engine of an outcomes contract, vectorised over Monte Carlo draws.

A DSI-style agreement (docs/design.md) gives a municipality a conditional
grant ``G`` that it repays, with a risk premium ``r``, in proportion to the
payment targets (*betalingsmål*) it meets. Outcomes contracts with a rate card
pay a price per achieved outcome instead (or as well). This module turns
outcome counts into the repayment due, draw by draw.

Array convention
----------------
Every count is an array whose **first axis is the Monte Carlo draw** (any
further axes broadcast too); a Python scalar or 0-d array is one draw and gives
0-d results. Counts from different indicators are broadcast against each other,
so a fixed denominator (``referred = 95``) may be a scalar while the achieved
counts are arrays of draws. There are no Python loops over draws; loops run
only over the handful of targets, rate-card lines and schedule instalments.

The ``counts`` mapping
----------------------
``counts`` maps an *indicator name* (``Target.indicator`` /
``RateCardLine.indicator``) to a mapping of count arrays::

    counts = {
        "completion": {"achieved": a_c, "referred": n},
        "edu_work": {
            "achieved": a_e,              # qualifying among all referred
            "referred": n,                # number referred
            "achieved_completed": a_ec,   # qualifying among completers
            "completed": n_c,             # number who completed
        },
        "ft_work_26w": {"achieved": k},   # a rate-card line needs only a count
        "entry_ft_work": k2,              # ... or the bare count array
    }

A target with ``denominator = d`` reads the pair of keys given by
:func:`count_keys`: ``("achieved", "referred")`` for ``"referred"`` and
``("achieved_completed", "completed")`` for ``"completed"``. A rate-card line
reads ``"achieved"`` (the absolute count of outcomes) or accepts the bare
array. Counts must be non-negative whole numbers (integer or float dtype); they
are not re-validated per draw because this is the simulation hot path.

Order of application (documented once, used everywhere)
-------------------------------------------------------
1. **per-line caps** — ``price × min(count, max_count)``, then ``min(·, cap)``;
   they belong to the price list, so they act line by line;
2. **sum** — target amounts ``Σ weight × factor × G × (1 + r)`` plus line
   payments (the premium is *not* applied to rate-card prices: a price per
   outcome is already the amount paid, as in the Aarhus and Fair Chance Fund
   rate cards in docs/domain.md, [DSI-Aarhus] and [FCF-UK]);
3. **overall cap** — the contract maximum (docs/reference-cases.md, R5: the UK Fair
   Chance Fund project earned £3,032,950 at list prices and was paid its
   £2,513,800 maximum);
4. **afkastloft** — the cap on the fund's average annual return, converted to
   an amount ``R_max = G / Σ_k share_k (1 + c)^(−t_k)`` with the repayment
   schedule (socialeinvesteringer.nu/ordbog);
5. **afkastgulv** — the floor ``G × (1 − max_loss)``: the most the fund can
   lose (socialeinvesteringer.nu/ordbog). It comes last because it is a
   guarantee: whatever the outcomes and the caps, the fund gets at least this.

Construction validates that the floor never exceeds a ceiling (the overall cap;
the afkastloft amount is ``>= G`` whenever the return cap is ``>= 0``), so
steps 3–5 amount to ``clip(subtotal, floor, min(cap, R_max))`` and their
order cannot change the result; it only fixes what ``capped`` reports.

Rates are compared with integer counts, never with floating-point rates:
``achieved / n >= threshold  <=>  achieved >= needed_count(threshold, n)``
(with 95 referred, 76 completers meet an 80 % target exactly). A target whose
denominator is 0 is not met and has factor 0.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from simkit.errors import InputError, Problem, ScenarioError, did_you_mean
from simkit.results.base import Provenance, Result, fields_dict

__all__ = [
    "DENOMINATORS",
    "PAYMENT_RULES",
    "RULES",
    "Contract",
    "FundView",
    "RateCardLine",
    "Repayment",
    "Target",
    "count_keys",
    "fund_view",
    "max_repayment",
    "needed_count",
    "register_rule",
    "repayment",
]

RULES: tuple[str, ...] = ("threshold", "pro_rata", "graduated")
"""The built-in payment rules; :data:`PAYMENT_RULES` also holds registered ones."""

PAYMENT_RULES: dict[str, Any] = {name: None for name in RULES}
"""Registry of payment rules: name -> factor function ``f(target, achieved, n) -> (factor, met)``
(``None`` for the built-ins, computed in :func:`_factor`). Add one with :func:`register_rule`."""


def register_rule(name: str, factor: Any) -> None:
    """Register a payment rule usable as ``rule = "<name>"`` in targets.

    ``factor(target, achieved, n)`` gets integer count arrays (draws first) and
    returns the payment factor in [0, 1] and the ``met`` flag per draw.

    Examples
    --------
    >>> import numpy as np
    >>> register_rule("half_demo", lambda t, a, n: (np.full(np.shape(a), 0.5), a >= n))
    >>> Target("x", "x", threshold=0.5, weight=1.0, rule="half_demo").rule
    'half_demo'
    >>> _ = PAYMENT_RULES.pop("half_demo")
    """
    if name in RULES:
        raise ValueError(f"{name!r} is a built-in payment rule")
    PAYMENT_RULES[name] = factor

DENOMINATORS: tuple[str, ...] = ("referred", "completed")
"""Denominators a target rate may use (docs/design.md: default everyone referred)."""

_EPS = 1e-9  # tolerance for "rate >= threshold" and for sums of shares/weights

_COUNT_KEYS: dict[str, tuple[str, str]] = {
    "referred": ("achieved", "referred"),
    "completed": ("achieved_completed", "completed"),
}


# --------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------


def needed_count(threshold: ArrayLike, n: ArrayLike) -> NDArray[np.int64] | np.int64:
    """Smallest whole count that reaches a target rate.

    ``achieved / n >= threshold`` holds exactly when
    ``achieved >= ceil(threshold × n − 1e-9)``; the ``1e-9`` absorbs the
    floating-point error of ``threshold × n`` (``0.55 × 100`` evaluates to
    ``55.00000000000001``, and a plain ceiling would demand 56 of 100), so
    comparisons are made between integers. This is the one definition;
    :func:`simkit.stats.needed_count` is the same function.

    Parameters
    ----------
    threshold : array_like
        Target rate(s) in [0, 1].
    n : array_like
        Denominator(s), whole numbers >= 0. Broadcast against ``threshold``.

    Returns
    -------
    numpy.ndarray or numpy.int64
        The needed count(s), between 0 and ``n``. For ``n = 0`` this is 0, but
        a target with an empty denominator is never met (see :func:`repayment`).

    Raises
    ------
    simkit.errors.InputError
        A threshold outside [0, 1] (or NaN), or an ``n`` that is not a whole
        number >= 0.

    Examples
    --------
    >>> int(needed_count(0.8, 95)), int(needed_count(0.5, 95)), int(needed_count(0.55, 100))
    (76, 48, 55)
    >>> needed_count(0.5, np.array([0, 1, 2, 95])).tolist()
    [0, 1, 1, 48]
    """
    t = _as_float_array(threshold, "threshold")
    bad = ~((t >= 0.0) & (t <= 1.0))  # also catches NaN
    if np.any(bad):
        raise InputError(Problem("needed_count: threshold", _first_bad(t, bad), "a number in [0, 1]"))
    n_arr = _as_float_array(n, "n")
    bad = ~np.isfinite(n_arr) | (n_arr != np.round(n_arr))
    if np.any(bad):
        raise InputError(Problem("needed_count: n", _first_bad(n_arr, bad), "whole numbers"))
    bad = n_arr < 0
    if np.any(bad):
        raise InputError(Problem("needed_count: n", _first_bad(n_arr, bad), "whole numbers >= 0"))
    k = np.clip(_needed(t, n_arr), 0, n_arr)
    out: NDArray[np.int64] | np.int64 = k.astype(np.int64)[()]
    return out


def _as_float_array(x: ArrayLike, name: str) -> NDArray[np.float64]:
    """``x`` as a float array, else an :class:`InputError` naming ``needed_count``."""
    try:
        return np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise InputError(Problem(f"needed_count: {name}", x, "a number or array of numbers")) from None


def _first_bad(arr: NDArray[Any], bad: NDArray[np.bool_]) -> object:
    """Return the first offending element of ``arr`` (as a Python scalar)."""
    return np.broadcast_to(arr, bad.shape)[bad].flat[0].item()


def _needed(threshold: ArrayLike, n: ArrayLike) -> Any:
    """Float version of :func:`needed_count` (avoids a cast in the hot path)."""
    return np.ceil(np.multiply(threshold, n) - _EPS)


def count_keys(denominator: str) -> tuple[str, str]:
    """Keys of ``counts[indicator]`` read by a target with this denominator.

    Examples
    --------
    >>> count_keys("referred")
    ('achieved', 'referred')
    >>> count_keys("completed")
    ('achieved_completed', 'completed')
    """
    return _COUNT_KEYS[denominator]


def _is_real(value: object) -> bool:
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool | np.bool_)
        and math.isfinite(float(value))
    )


def _is_whole(value: object) -> bool:
    return _is_real(value) and float(value).is_integer()  # type: ignore[arg-type]


def _is_pair(value: object) -> bool:
    return (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and len(value) == 2
        and all(_is_real(v) for v in value)
    )


def _choice(value: object, options: Sequence[str]) -> str:
    """'one of ...' plus a close-match suggestion for an unknown option."""
    listed = ", ".join(repr(o) for o in options)
    text = f"one of {listed}"
    if isinstance(value, str):
        text += did_you_mean(value, options)
    return text


def _identifier(value: object) -> bool:
    return isinstance(value, str) and value.strip() != ""


class _Problems:
    """Collects every problem of one object, then raises them together."""

    def __init__(self, where: str):
        self.where = where
        self.items: list[Problem] = []

    def add(self, key: str, value: object, expected: str) -> None:
        path = f"{self.where}.{key}" if self.where else key
        self.items.append(Problem(path, value, expected))

    def raise_any(self) -> None:
        if self.items:
            raise ScenarioError(self.items)


# --------------------------------------------------------------------------
# data model
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One payment target (*betalingsmål*).

    Parameters
    ----------
    id : str
        Unique name of the target within the contract (``"completion"``).
    indicator : str
        Indicator whose counts it reads (key of ``counts``).
    threshold : float
        Target rate in [0, 1]; ``met`` means rate >= threshold.
    weight : float
        Share of the maximum target repayment ``G × (1 + r)`` this target
        carries, in [0, 1]; the weights of a contract sum to at most 1.
    denominator : {"referred", "completed"}
        Whom the rate is taken over (docs/design.md); default all referred.
    rule : {"threshold", "pro_rata", "graduated"}
        ``threshold``: factor 1 if met, else 0. ``pro_rata``: factor
        ``clip((rate − floor) / (threshold − floor), 0, 1)``. ``graduated``:
        the factor of the highest step level reached, 0 below the first.
    floor : float, optional
        Rate at which a ``pro_rata`` target starts paying; ``0 <= floor <
        threshold``. Only for ``pro_rata``.
    steps : tuple of (level, factor)
        For ``graduated`` only: levels in [0, 1] and factors in [0, 1], both
        strictly increasing. ``met`` still compares with ``threshold``.
    where : str
        Key-path prefix for error messages (``contract.targets[1]``); set by
        the scenario loader. Not part of equality.

    Examples
    --------
    >>> Target("edu_work", "edu_work", threshold=0.5, weight=0.7,
    ...        rule="pro_rata", floor=0.3).floor
    0.3
    """

    id: str
    indicator: str
    threshold: float
    weight: float
    denominator: str = "referred"
    rule: str = "threshold"
    floor: float | None = None
    steps: tuple[tuple[float, float], ...] = ()
    where: str = field(default="target", compare=False, repr=False)

    def __post_init__(self) -> None:
        """Check the fields: every bad value is listed in one :class:`~simkit.errors.ScenarioError`."""
        p = _Problems(self.where)
        if not _identifier(self.id):
            p.add("id", self.id, "a non-empty name")
        if not _identifier(self.indicator):
            p.add("indicator", self.indicator, "a non-empty indicator name")
        threshold_ok = _is_real(self.threshold) and 0 <= self.threshold <= 1
        if not threshold_ok:
            p.add("threshold", self.threshold, "a rate between 0 and 1 (e.g. 0.8 for 80 %)")
        if not (_is_real(self.weight) and 0 <= self.weight <= 1):
            p.add("weight", self.weight, "a share of the repayment between 0 and 1")
        if self.denominator not in DENOMINATORS:
            p.add("denominator", self.denominator, _choice(self.denominator, DENOMINATORS))
        if self.rule not in PAYMENT_RULES:
            p.add("rule", self.rule, _choice(self.rule, list(PAYMENT_RULES)))

        if self.rule == "pro_rata":
            if not (_is_real(self.floor) and self.floor >= 0):  # type: ignore[operator]
                p.add("floor", self.floor, "a rate >= 0 below the threshold (pro_rata needs one)")
            elif threshold_ok and not self.floor < self.threshold:  # type: ignore[operator]
                p.add("floor", self.floor, f"a rate below the threshold {self.threshold!r}")
        elif self.floor is not None:
            p.add("floor", self.floor, "no floor: only rule 'pro_rata' uses one")

        steps: tuple[tuple[float, float], ...] = ()
        if self.rule == "graduated":
            steps = self._check_steps(p)
        elif not (isinstance(self.steps, Sequence) and len(self.steps) == 0):
            p.add("steps", self.steps, "no steps: only rule 'graduated' uses them")
        p.raise_any()

        object.__setattr__(self, "threshold", float(self.threshold))
        object.__setattr__(self, "weight", float(self.weight))
        if self.floor is not None:
            object.__setattr__(self, "floor", float(self.floor))
        object.__setattr__(self, "steps", steps)

    def _check_steps(self, p: _Problems) -> tuple[tuple[float, float], ...]:
        if (
            not isinstance(self.steps, Sequence)
            or isinstance(self.steps, str)
            or len(self.steps) == 0
        ):
            p.add("steps", self.steps, "a non-empty list of [rate_level, factor] pairs")
            return ()
        out: list[tuple[float, float]] = []
        for i, step in enumerate(self.steps):
            if not _is_pair(step):
                p.add(f"steps[{i}]", step, "a [rate_level, factor] pair of numbers")
                return ()
            level, factor = float(step[0]), float(step[1])
            if not 0 <= level <= 1:
                p.add(f"steps[{i}]", step, "a rate level between 0 and 1")
            if not 0 <= factor <= 1:
                p.add(f"steps[{i}]", step, "a factor between 0 and 1")
            if out and not (level > out[-1][0] and factor > out[-1][1]):
                p.add(
                    f"steps[{i}]",
                    step,
                    f"a level and a factor both above the previous step {list(out[-1])}",
                )
            out.append((level, factor))
        return tuple(out)

    @property
    def max_factor(self) -> float:
        """The largest factor the rule can give (1, or the top graduated step)."""
        if self.rule == "graduated":
            return self.steps[-1][1] if self.steps else 0.0
        return 1.0


@dataclass(frozen=True)
class RateCardLine:
    """One priced outcome of a rate card.

    ``payment = min(price × min(count, max_count), cap)``; a missing
    ``max_count`` or ``cap`` does not limit.

    Parameters
    ----------
    id : str
        Unique name of the line within the contract.
    indicator : str
        Indicator whose count it reads (key of ``counts``).
    price : float
        Price per achieved outcome, >= 0, in the contract currency.
    max_count : int, optional
        Most outcomes paid for (>= 0).
    cap : float, optional
        Most paid on this line (>= 0).
    where : str
        Key-path prefix for error messages (``contract.rate_card[3]``).

    Examples
    --------
    >>> RateCardLine("ft26", "ft_work_26w", price=3500, max_count=100).price
    3500.0
    """

    id: str
    indicator: str
    price: float
    max_count: int | None = None
    cap: float | None = None
    where: str = field(default="rate_card line", compare=False, repr=False)

    def __post_init__(self) -> None:
        """Check the fields: every bad value is listed in one :class:`~simkit.errors.ScenarioError`."""
        p = _Problems(self.where)
        if not _identifier(self.id):
            p.add("id", self.id, "a non-empty name")
        if not _identifier(self.indicator):
            p.add("indicator", self.indicator, "a non-empty indicator name")
        if not (_is_real(self.price) and self.price >= 0):
            p.add("price", self.price, "a price per outcome >= 0")
        if self.max_count is not None and not (_is_whole(self.max_count) and self.max_count >= 0):
            p.add("max_count", self.max_count, "a whole number of outcomes >= 0, or no limit")
        if self.cap is not None and not (_is_real(self.cap) and self.cap >= 0):
            p.add("cap", self.cap, "a maximum payment >= 0 for this line, or no cap")
        p.raise_any()
        object.__setattr__(self, "price", float(self.price))
        if self.max_count is not None:
            object.__setattr__(self, "max_count", int(self.max_count))
        if self.cap is not None:
            object.__setattr__(self, "cap", float(self.cap))

    @property
    def max_payment(self) -> float:
        """Most this line can pay (``inf`` when neither count nor amount is capped)."""
        top = math.inf if self.max_count is None else self.price * self.max_count
        if self.cap is not None:
            top = min(top, self.cap)
        return top


@dataclass(frozen=True)
class Contract:
    """Payment terms of an outcomes contract (docs/design.md, the model).

    Parameters
    ----------
    grant : float
        The conditional grant ``G`` (> 0), paid to the municipality at year 0.
    premium : float
        Risk premium ``r`` (>= 0) on target-based repayments (DSI law § 6(2)).
    targets : tuple of Target
        Payment targets; weights sum to at most 1.
    rate_card : tuple of RateCardLine
        Priced outcomes; the premium does not apply to them.
    cap : float, optional
        Overall maximum repayment.
    max_loss : float, optional
        *Afkastgulv*: the largest share of the grant the fund can lose, in
        [0, 1]; repayment is floored at ``G × (1 − max_loss)``. The floor must
        not exceed ``cap``.
    max_annual_return : float, optional
        *Afkastloft*: cap (>= 0) on the fund's annual internal rate of return;
        needs a schedule with an instalment after year 0.
    schedule : tuple of (years_after_grant, share)
        When the repayment is paid: strictly increasing times >= 0 (years
        after the grant) and shares >= 0 summing to 1. Used for the afkastloft
        and the fund's IRR. The default pays everything at year 0, for which
        an IRR is undefined.
    currency : str
        Currency label for reports.
    where : str
        Key-path prefix for error messages (default ``"contract"``).

    Examples
    --------
    >>> c = Contract(5_700_000, premium=0.05, targets=(
    ...     Target("completion", "completion", 0.8, 0.3),
    ...     Target("edu_work", "edu_work", 0.5, 0.7)))
    >>> max_repayment(c)
    5985000.0
    """

    grant: float
    premium: float = 0.0
    targets: tuple[Target, ...] = ()
    rate_card: tuple[RateCardLine, ...] = ()
    cap: float | None = None
    max_loss: float | None = None
    max_annual_return: float | None = None
    schedule: tuple[tuple[float, float], ...] = ((0.0, 1.0),)
    currency: str = "DKK"
    where: str = field(default="contract", compare=False, repr=False)

    def __post_init__(self) -> None:
        """Check the fields: every bad value is listed in one :class:`~simkit.errors.ScenarioError`."""
        p = _Problems(self.where)
        grant_ok = _is_real(self.grant) and self.grant > 0
        if not grant_ok:
            p.add("grant", self.grant, "a grant amount > 0")
        if not (_is_real(self.premium) and self.premium >= 0):
            p.add("premium", self.premium, "a risk premium >= 0 (e.g. 0.05 for 5 %)")

        targets = self._items(p, "targets", self.targets, Target)
        lines = self._items(p, "rate_card", self.rate_card, RateCardLine)
        weights = sum(t.weight for t in targets)
        if weights > 1 + _EPS:
            p.add(
                "targets",
                round(weights, 12),
                "target weights summing to at most 1 (they are shares of the "
                f"maximum repayment); weights {[t.weight for t in targets]}",
            )
        for kind, items in (("targets", targets), ("rate_card", lines)):
            seen: set[str] = set()
            for i, item in enumerate(items):
                if item.id in seen:
                    p.add(f"{kind}[{i}].id", item.id, f"an id not already used in {kind}")
                seen.add(item.id)

        cap_ok = self.cap is None or (_is_real(self.cap) and self.cap >= 0)
        if not cap_ok:
            p.add("cap", self.cap, "an overall maximum repayment >= 0, or no cap")
        loss_ok = self.max_loss is None or (_is_real(self.max_loss) and 0 <= self.max_loss <= 1)
        if not loss_ok:
            p.add("max_loss", self.max_loss, "a share of the grant between 0 and 1 (afkastgulv)")
        if not (
            self.max_annual_return is None
            or (_is_real(self.max_annual_return) and self.max_annual_return >= 0)
        ):
            p.add(
                "max_annual_return",
                self.max_annual_return,
                "an annual rate of return >= 0 (afkastloft, e.g. 0.08), or none",
            )
        schedule = self._check_schedule(p)
        if schedule and self.max_annual_return is not None and schedule[-1][0] <= 0:
            p.add(
                "schedule",
                [list(s) for s in schedule],
                "an instalment after year 0: the afkastloft (max_annual_return) "
                "is a return over time",
            )
        if (
            grant_ok
            and cap_ok
            and loss_ok
            and self.cap is not None
            and self.max_loss is not None
            and self.grant * (1 - self.max_loss) > self.cap
        ):
            p.add(
                "max_loss",
                self.max_loss,
                f"at least {1 - self.cap / self.grant:.6g}: the afkastgulv floor "
                f"G × (1 − max_loss) = {self.grant * (1 - self.max_loss):,.2f} must not "
                f"exceed the overall cap {self.cap:,.2f}",
            )
        if not _identifier(self.currency):
            p.add("currency", self.currency, "a currency code such as 'DKK'")
        p.raise_any()

        object.__setattr__(self, "grant", float(self.grant))
        object.__setattr__(self, "premium", float(self.premium))
        object.__setattr__(self, "targets", targets)
        object.__setattr__(self, "rate_card", lines)
        object.__setattr__(self, "schedule", schedule)
        for name in ("cap", "max_loss", "max_annual_return"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, float(value))

    @staticmethod
    def _items(p: _Problems, key: str, items: object, kind: type) -> tuple:
        if not isinstance(items, Sequence) or isinstance(items, str):
            p.add(key, items, f"a list of {kind.__name__}")
            return ()
        good = []
        for i, item in enumerate(items):
            if isinstance(item, kind):
                good.append(item)
            else:
                p.add(f"{key}[{i}]", item, f"a {kind.__name__}")
        return tuple(good)

    def _check_schedule(self, p: _Problems) -> tuple[tuple[float, float], ...]:
        sched = self.schedule
        if not isinstance(sched, Sequence) or isinstance(sched, str) or len(sched) == 0:
            p.add("schedule", sched, "a non-empty list of [years_after_grant, share] pairs")
            return ()
        out: list[tuple[float, float]] = []
        for i, item in enumerate(sched):
            if not _is_pair(item):
                p.add(f"schedule[{i}]", item, "a [years_after_grant, share] pair of numbers")
                return ()
            t, share = float(item[0]), float(item[1])
            if t < 0:
                p.add(f"schedule[{i}]", item, "years after the grant >= 0")
            if share < 0:
                p.add(f"schedule[{i}]", item, "a share >= 0")
            if out and not t > out[-1][0]:
                p.add(f"schedule[{i}]", item, f"a time after the previous instalment {out[-1][0]}")
            out.append((t, share))
        total = sum(s for _, s in out)
        if abs(total - 1) > _EPS:
            p.add(
                "schedule",
                [list(s) for s in out],
                f"shares summing to 1 (they sum to {total:.12g})",
            )
        return tuple(out)

    @property
    def target_unit(self) -> float:
        """``G × (1 + r)``: what a target of weight 1 and factor 1 repays."""
        return self.grant * (1 + self.premium)

    @property
    def return_cap_amount(self) -> float:
        """Afkastloft as an amount: ``G / Σ_k share_k (1 + c)^(−t_k)``, or ``inf``.

        The repayment at which the fund's internal rate of return, with the
        grant paid at year 0 and the repayment split by ``schedule``, equals
        ``max_annual_return``.
        """
        if self.max_annual_return is None:
            return math.inf
        c = self.max_annual_return
        return self.grant / sum(s * (1 + c) ** (-t) for t, s in self.schedule)

    @property
    def floor_amount(self) -> float:
        """Afkastgulv as an amount: ``G × (1 − max_loss)``, or 0."""
        return 0.0 if self.max_loss is None else self.grant * (1 - self.max_loss)

    @property
    def ceiling_amount(self) -> float:
        """``min(cap, afkastloft amount)`` (``inf`` when neither is set)."""
        cap = math.inf if self.cap is None else self.cap
        return min(cap, self.return_cap_amount)


# --------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------


@dataclass(frozen=True, repr=False, eq=False)
class Repayment(Result):
    """Repayment per draw; every array has the broadcast shape of the counts.

    Attributes
    ----------
    total : ndarray of float
        Repayment due after all caps and the floor.
    subtotal : ndarray of float
        Target amounts plus line payments after per-line caps, before the
        overall cap, afkastloft and afkastgulv (the amount "earned").
    by_target, factor, met : dict[str, ndarray]
        Per target id: amount ``weight × factor × G × (1 + r)`` (before the
        overall caps), payment factor in [0, 1], and rate >= threshold.
    by_line : dict[str, ndarray]
        Per rate-card line id: payment after the line's own caps.
    capped : ndarray of bool
        Some cap or the floor changed the amount (a line cap bound, or
        ``total != subtotal``).
    floored : ndarray of bool
        The afkastgulv raised the amount.
    """

    total: NDArray[np.float64]
    subtotal: NDArray[np.float64]
    by_target: dict[str, NDArray[np.float64]]
    factor: dict[str, NDArray[np.float64]]
    met: dict[str, NDArray[np.bool_]]
    by_line: dict[str, NDArray[np.float64]]
    capped: NDArray[np.bool_]
    floored: NDArray[np.bool_]

    @property
    def provenance(self) -> Provenance:
        """Return the provenance: computed from counts alone (no scenario, no seed), with its draws."""
        return Provenance.of(None, seed=None, draws=int(np.size(self.total)), method="repayment")

    def to_dict(self) -> dict[str, Any]:
        """Return every array as a list, with the provenance.

        Returns
        -------
        dict

        Examples
        --------
        >>> c = Contract(5_700_000, premium=0.05, targets=(Target("completion", "completion", 0.8, 0.3),))
        >>> d = repayment(c, {"completion": {"achieved": 78, "referred": 95}}).to_dict()
        >>> d["total"], d["provenance"]["method"], d["provenance"]["draws"]  # 0.30 x 5,700,000 x 1.05
        (1795500.0, 'repayment', 1)
        """
        return fields_dict(self) | {"provenance": self.provenance.as_dict()}

    def to_frame(self):  # -> pandas.DataFrame
        """Return one row per draw as a pandas DataFrame.

        Columns ``total``, ``subtotal``, ``capped``, ``floored``,
        ``amount[<target>]``, ``factor[<target>]``, ``met[<target>]``,
        ``line[<line>]``. Only for 0-d or 1-d results.

        Examples
        --------
        >>> import numpy as np
        >>> c = Contract(5_700_000, premium=0.05, targets=(
        ...     Target("completion", "completion", 0.8, 0.3),
        ...     Target("edu_work", "edu_work", 0.5, 0.7)))
        >>> rep = repayment(c, {"completion": {"achieved": np.array([78, 60]), "referred": np.array([95, 95])},
        ...                     "edu_work": {"achieved": np.array([45, 50]), "referred": np.array([95, 95])}})
        >>> rep.to_frame()["total"].round(2).tolist()  # 5.985 m x 0.3 (completion met in draw 0); x 0.7 (edu_work in draw 1)
        [1795500.0, 4189500.0]
        """
        # start-up speed: pandas loads only when a table is asked for
        import pandas as pd

        if self.total.ndim > 1:
            raise ValueError("to_frame needs one value per draw (0-d or 1-d arrays)")
        cols: dict[str, np.ndarray] = {
            "total": self.total,
            "subtotal": self.subtotal,
            "capped": self.capped,
            "floored": self.floored,
        }
        for tid in self.by_target:
            cols[f"amount[{tid}]"] = self.by_target[tid]
            cols[f"factor[{tid}]"] = self.factor[tid]
            cols[f"met[{tid}]"] = self.met[tid]
        for lid, amount in self.by_line.items():
            cols[f"line[{lid}]"] = amount
        frame = pd.DataFrame({k: np.atleast_1d(v) for k, v in cols.items()})
        frame.index.name = "draw"
        return frame

    def __repr__(self) -> str:
        """Return a short summary for notebooks."""
        total = np.atleast_1d(self.total)
        parts = [
            f"{total.size} draw{'s' if total.size != 1 else ''}",
            f"mean total {total.mean():,.2f}",
            f"P(capped or floored) {np.mean(self.capped):.3f}",
        ]
        parts += [f"P(met {tid}) {np.mean(m):.3f}" for tid, m in self.met.items()]
        return f"Repayment({'; '.join(parts)})"


@dataclass(frozen=True, repr=False, eq=False)
class FundView(Result):
    """The fund's side per draw: grant out at year 0, repayment in by schedule.

    Attributes
    ----------
    multiple : ndarray of float
        ``total / G``.
    loss : ndarray of bool
        ``multiple < 1``: the fund gets back less than it granted.
    irr : ndarray of float
        Annual internal rate of return: ``−1`` for zero repayment, ``inf``
        when the year-0 share alone repays the grant or more, ``nan`` when
        the whole schedule is at year 0 (no IRR exists).
    """

    multiple: NDArray[np.float64]
    loss: NDArray[np.bool_]
    irr: NDArray[np.float64]

    @property
    def provenance(self) -> Provenance:
        """Return the provenance: computed from counts alone (no scenario, no seed), with its draws."""
        return Provenance.of(None, seed=None, draws=int(np.size(self.multiple)), method="fund view")

    def to_dict(self) -> dict[str, Any]:
        """Return every array as a list, with the provenance.

        Returns
        -------
        dict

        Examples
        --------
        >>> d = fund_view(Contract(1_000_000, schedule=((2.0, 1.0),)), [0.0, 1_166_400]).to_dict()
        >>> d["multiple"], d["loss"], d["provenance"]["draws"]
        ([0.0, 1.1664], [True, False], 2)
        """
        return fields_dict(self) | {"provenance": self.provenance.as_dict()}

    def to_frame(self):  # -> pandas.DataFrame
        """One row per draw: ``multiple``, ``loss``, ``irr``.

        Examples
        --------
        >>> fv = fund_view(Contract(1_000_000, schedule=((2.0, 1.0),)), [0.0, 1_166_400])
        >>> fv.to_frame()[["multiple", "loss"]].values.tolist()
        [[0.0, True], [1.1664, False]]
        """
        # start-up speed: pandas loads only when a table is asked for
        import pandas as pd

        frame = pd.DataFrame(
            {k: np.atleast_1d(getattr(self, k)) for k in ("multiple", "loss", "irr")}
        )
        frame.index.name = "draw"
        return frame

    def __repr__(self) -> str:
        """Return a short summary for notebooks."""
        m = np.atleast_1d(self.multiple)
        return (
            f"FundView({m.size} draws; mean multiple {m.mean():.4f}; "
            f"P(loss) {np.mean(self.loss):.3f}; median IRR {np.nanmedian(self.irr):.4f})"
        )


# --------------------------------------------------------------------------
# computation
# --------------------------------------------------------------------------


def _lookup(counts: Mapping[str, Any], indicator: str, needed_by: str) -> Any:
    try:
        return counts[indicator]
    except KeyError:
        raise KeyError(
            f"counts has no indicator {indicator!r} (needed by {needed_by}); "
            f"it has {sorted(counts)}"
        ) from None


def _target_counts(counts: Mapping[str, Any], target: Target) -> tuple[np.ndarray, np.ndarray]:
    entry = _lookup(counts, target.indicator, f"target {target.id!r}")
    a_key, n_key = _COUNT_KEYS[target.denominator]
    try:
        return np.asarray(entry[a_key]), np.asarray(entry[n_key])
    except (KeyError, TypeError, IndexError):
        raise KeyError(
            f"counts[{target.indicator!r}] needs keys {a_key!r} and {n_key!r} for target "
            f"{target.id!r} (denominator {target.denominator!r})"
        ) from None


def _line_count(counts: Mapping[str, Any], line: RateCardLine) -> np.ndarray:
    entry = _lookup(counts, line.indicator, f"rate-card line {line.id!r}")
    if isinstance(entry, Mapping):
        try:
            entry = entry["achieved"]
        except KeyError:
            raise KeyError(
                f"counts[{line.indicator!r}] needs key 'achieved' for rate-card line {line.id!r}"
            ) from None
    return np.asarray(entry)


def _factor(target: Target, a: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Payment factor and 'met' flag of one target (integer comparisons)."""
    valid = n > 0
    custom = PAYMENT_RULES.get(target.rule)
    if custom is not None:
        f, met = custom(target, a, n)
        return np.clip(np.where(valid, np.asarray(f, dtype=float), 0.0), 0.0, 1.0), np.asarray(met) & valid
    met = (a >= _needed(target.threshold, n)) & valid
    if target.rule == "threshold":
        return met.astype(np.float64), met
    if target.rule == "pro_rata":
        floor = target.floor
        assert floor is not None
        rate = a / np.where(valid, n, 1)
        f = np.clip((rate - floor) / (target.threshold - floor), 0.0, 1.0)
        f = np.where(met, 1.0, f)
        return np.where(valid, f, 0.0), met
    # graduated: the factor of the highest level reached
    f = np.zeros(np.broadcast_shapes(a.shape, n.shape))
    for level, step_factor in target.steps:
        reached = (a >= _needed(level, n)) & valid
        f = np.where(reached, step_factor, f)
    return f, met


def repayment(contract: Contract, counts: Mapping[str, Any]) -> Repayment:
    """Repayment due under ``contract`` for each draw of outcome counts.

    Parameters
    ----------
    contract : Contract
        The payment terms.
    counts : mapping
        ``indicator -> {"achieved", "referred", "achieved_completed",
        "completed"}`` arrays (draw axis first), as described in the module
        docstring; a target reads the pair :func:`count_keys` gives for its
        denominator, a rate-card line reads ``"achieved"`` (or a bare array).

    Returns
    -------
    Repayment
        ``total`` and its parts, per draw. Caps apply in the order per-line
        caps → sum → overall cap → afkastloft → afkastgulv (module docstring).

    Examples
    --------
    The worked example of docs/design.md: 78 of 95 completed (met), 45 of 95 in education/work (not
    met), so 0.30 × 5,700,000 × 1.05 is repaid.

    >>> c = Contract(5_700_000, premium=0.05, targets=(
    ...     Target("completion", "completion", 0.8, 0.3),
    ...     Target("edu_work", "edu_work", 0.5, 0.7)))
    >>> rep = repayment(c, {"completion": {"achieved": 78, "referred": 95},
    ...                     "edu_work": {"achieved": 45, "referred": 95}})
    >>> float(rep.total)
    1795500.0
    """
    target_counts = [_target_counts(counts, t) for t in contract.targets]
    line_counts = [_line_count(counts, line) for line in contract.rate_card]
    shape = np.broadcast_shapes(
        *(x.shape for pair in target_counts for x in pair), *(c.shape for c in line_counts)
    )

    unit = contract.target_unit
    subtotal = np.zeros(shape)
    by_target: dict[str, np.ndarray] = {}
    factors: dict[str, np.ndarray] = {}
    mets: dict[str, np.ndarray] = {}
    for target, (a, n) in zip(contract.targets, target_counts, strict=True):
        f, met = _factor(target, a, n)
        f = np.asarray(f)
        if f.shape != shape:
            f = np.broadcast_to(f, shape).copy()
        amount = np.asarray(f * (target.weight * unit))
        subtotal += amount
        by_target[target.id] = amount
        factors[target.id] = f
        met = np.asarray(met)
        mets[target.id] = np.broadcast_to(met, shape).copy() if met.shape != shape else met

    line_bound = np.zeros(shape, dtype=bool)
    by_line: dict[str, np.ndarray] = {}
    for line, count in zip(contract.rate_card, line_counts, strict=True):
        raw = line.price * count
        pay = raw
        if line.max_count is not None:
            pay = line.price * np.minimum(count, line.max_count)
        if line.cap is not None:
            pay = np.minimum(pay, line.cap)
        if pay is not raw:
            line_bound |= pay < raw
        pay = np.asarray(pay, dtype=np.float64)
        if pay.shape != shape:
            pay = np.broadcast_to(pay, shape).copy()
        subtotal += pay
        by_line[line.id] = pay

    total = subtotal
    ceiling = contract.ceiling_amount
    if math.isfinite(ceiling):
        total = np.minimum(total, ceiling)
    floor = contract.floor_amount
    if floor > 0:
        floored = subtotal < floor
        total = np.maximum(total, floor)
    else:
        floored = np.zeros(shape, dtype=bool)
    capped = line_bound | (total != subtotal) if total is not subtotal else line_bound
    return Repayment(
        total=np.asarray(total),
        subtotal=subtotal,
        by_target=by_target,
        factor=factors,
        met=mets,
        by_line=by_line,
        capped=np.asarray(capped),
        floored=np.asarray(floored),
    )


def max_repayment(contract: Contract) -> float:
    """Highest repayment the contract can ever require (``inf`` if unbounded).

    ``Σ weight × max factor × G × (1 + r) + Σ line maxima``, then the overall
    cap and afkastloft, then the afkastgulv floor — the same order as
    :func:`repayment`. A rate-card line with neither ``max_count`` nor ``cap``
    is unbounded, so the result is ``inf`` unless an overall cap applies.

    Examples
    --------
    >>> max_repayment(Contract(1_000_000, premium=0.1,
    ...     targets=(Target("t", "x", 0.5, 1.0),), cap=1_050_000))
    1050000.0
    """
    unit = contract.target_unit
    # the same order of operations as repayment(): factor × (weight × unit), so that a subnormal
    # weight cannot round the maximum below an amount actually due
    top = sum(t.max_factor * (t.weight * unit) for t in contract.targets)
    top += sum(line.max_payment for line in contract.rate_card)
    top = min(top, contract.ceiling_amount)
    return float(max(top, contract.floor_amount))


def fund_view(contract: Contract, total: ArrayLike) -> FundView:
    """Return the fund's multiple, loss flag and internal rate of return per draw.

    The grant ``G`` goes out at year 0; the repayment ``total`` comes back in
    instalments ``share_k × total`` at ``t_k`` years (``contract.schedule``).
    The IRR ``ρ`` solves ``Σ_k share_k × total × (1 + ρ)^(−t_k) = G``.
    With ``x = log(1 + ρ)`` the left side's logarithm is convex and
    decreasing in ``x``, so Newton's method, vectorised over draws, converges
    monotonically from any start; a single instalment is solved in closed form.

    Parameters
    ----------
    contract : Contract
        Supplies ``grant`` and ``schedule``.
    total : array_like
        Repayment per draw (e.g. ``repayment(...).total``).

    Returns
    -------
    FundView
        ``irr`` is ``−1`` for zero repayment, ``inf`` when the year-0 share
        alone returns the whole grant or more, and ``nan`` for a schedule
        entirely at year 0.

    Examples
    --------
    >>> c = Contract(1_000_000, schedule=((2.0, 1.0),))
    >>> fv = fund_view(c, 1_166_400)
    >>> round(float(fv.irr), 12), bool(fv.loss)
    (0.08, False)
    """
    total = np.asarray(total, dtype=np.float64)
    multiple = total / contract.grant
    return FundView(multiple=multiple, loss=multiple < 1, irr=_irr(multiple, contract.schedule))


def _irr(multiple: np.ndarray, schedule: tuple[tuple[float, float], ...]) -> np.ndarray:
    if sum(1 for _, s in schedule if s > 0) > 1 and multiple.size > 1:
        # The IRR depends on the multiple only, and repayments computed from
        # whole counts take few distinct values: solve once per distinct value.
        distinct, inverse = np.unique(multiple.ravel(), return_inverse=True)
        return _irr_solve(distinct, schedule)[inverse].reshape(multiple.shape)
    return _irr_solve(multiple, schedule)


def _irr_solve(multiple: np.ndarray, schedule: tuple[tuple[float, float], ...]) -> np.ndarray:
    times = np.array([t for t, s in schedule if s > 0])
    shares = np.array([s for _, s in schedule if s > 0])
    s0 = float(shares[times == 0].sum())
    positive = multiple > 0
    if not np.any(times > 0):  # all at year 0: Σ share × total = G has no rate
        return np.where(positive, np.nan, -1.0)
    immediate = multiple * s0 >= 1  # year-0 share alone repays the grant
    solve = positive & ~immediate
    m = np.where(solve, multiple, 1.0)  # m = 1 has the root x = 0 (placeholder)
    log_m = np.log(m)
    if len(times) == 1:
        x = log_m / times[0]
    else:
        # g(x) = log Σ_k s_k exp(−t_k x) + log m, convex and decreasing in x.
        log_s = np.log(shares)
        x = log_m / float(np.dot(shares, times))
        for _ in range(200):
            terms = [ls - t * x for ls, t in zip(log_s, times, strict=True)]
            top = terms[0]
            for term in terms[1:]:
                top = np.maximum(top, term)
            w = [np.exp(term - top) for term in terms]
            s_sum = sum(w)
            g = top + np.log(s_sum) + log_m
            slope = -sum(t * wk for t, wk in zip(times, w, strict=True)) / s_sum
            step = g / slope
            x = x - step
            if np.all(np.abs(step) <= 1e-13 * (1 + np.abs(x))):
                break
    irr = np.where(immediate, np.inf, np.expm1(x))
    return np.where(positive, irr, -1.0)
