"""Discrete-time Markov cohort (state-transition) models.

A cohort is spread over ``S`` mutually exclusive states. In every cycle the
state distribution (a row vector) is multiplied by a transition matrix,

    x_t = x_{t-1} P_t,    t = 1, ..., T,

(Sonnenberg & Beck 1993, eq. 1; Briggs, Claxton & Sculpher 2006, ch. 2), and
values attached to states (costs, benefit payments, life-years) are summed
over the counted cycles and discounted. simkit uses this for the long
follow-up after an agreement, where simulating every person every week is
unnecessary (docs/design.md, the model).

Axis order (draw first, as everywhere in simkit)::

    P             (S, S) | (cycles, S, S) | (N, S, S) | (N, cycles, S, S)
    init          (S,) | (N, S)
    state values  (S,) | (cycles, S) | (N, cycles, S)
    trace         ([N,] cycles, S)
    values        ([N,] cycles)
    totals        ([N],)

``P[..., i, j]`` is the probability of moving *from* state ``i`` *to* state
``j`` in one cycle, so every row sums to 1. A draw or cycle axis of length 1
broadcasts. Cycles are numbered from 1 in messages: ``P[t - 1]`` moves the
cohort from cycle ``t - 1`` into cycle ``t``.

References
----------
Sonnenberg FA, Beck JR (1993). Markov models in medical decision making: a
practical guide. Medical Decision Making 13(4):322-338.

Briggs A, Claxton K, Sculpher M (2006). Decision Modelling for Health
Economic Evaluation. Oxford University Press. (Chapter 2 and its exercise
reproduce Chancellor et al. 1997.)

Chancellor JV, Hill AM, Sabin CA, Simpson KN, Youle M (1997). Modelling the
cost effectiveness of lamivudine/zidovudine combination therapy in HIV
infection. PharmacoEconomics 12(1):54-66.

Filipović-Pierucci A, Zarca K, Durand-Zaleski I (2017). Markov models for
health economic evaluations: the R package heemod. arXiv:1702.03252.
(Counting methods "end", "beginning", "life-table"; ``discount()``.)

Barendregt JJ (2009). The half-cycle correction: banish rather than explain
it. Medical Decision Making 29(4):500-502.

Drummond MF, Sculpher MJ, Claxton K, Stoddart GL, Torrance GW (2015).
Methods for the Economic Evaluation of Health Care Programmes, 4th ed.,
Oxford University Press, section 4.3 (discounting).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from simkit.errors import InputError, Problem
from simkit.results.base import Provenance, Result, fields_dict

if TYPE_CHECKING:
    # start-up speed: pandas loads only when a table is asked for
    import pandas as pd

__all__ = [
    "COUNT_METHODS",
    "MarkovResult",
    "apply_relative_risk",
    "cohort_trace",
    "run",
]

#: Accepted values of ``count`` ("life-table" is an alias of "half-cycle").
COUNT_METHODS = ("end", "start", "half-cycle")
_COUNT_ALIASES = {"life-table": "half-cycle"}

#: Tolerance on row sums of transition matrices and on the sum of ``init``.
ROW_SUM_TOL = 1e-9

# Tolerance for rounding below 0 when a diagonal is rebuilt as 1 - row sum.
_ROUNDING_TOL = 1e-12

# At most this many problems are listed in one InputError.
_MAX_SHOWN = 10


# --------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False, repr=False)
class MarkovResult(Result):
    """Result of :func:`run`: cohort trace and per-state values summed.

    Attributes
    ----------
    trace : ndarray, shape ([N,] cycles, S)
        Counted state distribution per cycle (see ``count``).
    values : dict of str to ndarray, shape ([N,] cycles)
        Undiscounted value per counted cycle, ``sum_s trace[t, s] * v[t, s]``.
    discounted : dict of str to float or ndarray, shape (N,)
        Discounted total per value name, ``sum_t values[t] * d_t``.
    totals : dict of str to float or ndarray, shape (N,)
        Undiscounted total per value name, ``sum_t values[t]``.
    cycle : ndarray of int, shape (cycles,)
        Label ``t`` of each counted cycle: 1..cycles for ``count="end"`` and
        ``"half-cycle"``, 0..cycles-1 for ``"start"``.
    discount_factors : dict of str to ndarray, shape (cycles,)
        ``d_t = (1 + r) ** -(discount_start + k)`` for the k-th counted cycle.
    states : tuple of str
        State names (``"0"``, ``"1"``, ... when none were given).
    count : str
        Counting method used.
    discount_rate : dict of str to float
        Discount rate per value name.
    discount_start : float
        Discount exponent of the first counted cycle.
    """

    trace: np.ndarray
    values: dict[str, np.ndarray]
    discounted: dict[str, Any]
    totals: dict[str, Any]
    cycle: np.ndarray
    discount_factors: dict[str, np.ndarray]
    states: tuple[str, ...]
    count: str
    discount_rate: dict[str, float]
    discount_start: float

    @property
    def provenance(self) -> Provenance:
        """Return the provenance: a deterministic cohort model (no scenario, no seed) and its draws."""
        return Provenance.of(None, seed=None, draws=self.n_draws or 0, method="markov",
                             count=self.count, discount_start=self.discount_start)

    def to_dict(self) -> dict[str, Any]:
        """Return every field as plain JSON (arrays as lists), with the provenance.

        Returns
        -------
        dict

        Examples
        --------
        >>> res = run([[0.9, 0.1], [0.0, 1.0]], [1.0, 0.0], 2, state_values={"ly": [1.0, 0.0]})
        >>> d = res.to_dict()
        >>> d["states"], d["provenance"]["method"]
        (['0', '1'], 'markov')
        """
        return fields_dict(self) | {"provenance": self.provenance.as_dict()}

    @property
    def n_draws(self) -> int | None:
        """Number of draws, or None when the model was not batched."""
        return None if self.trace.ndim == 2 else self.trace.shape[0]

    def to_frame(self) -> pd.DataFrame:
        """Per-cycle table: trace, undiscounted and discounted values.

        Returns
        -------
        pandas.DataFrame
            Index ``cycle`` (or ``(draw, cycle)`` when batched); two-level
            columns ``("trace", state)``, ``("value", name)`` and
            ``("discounted", name)`` (the per-cycle value times its discount
            factor, so the column sums to ``discounted[name]``).

        Examples
        --------
        >>> res = run([[0.9, 0.1], [0.0, 1.0]], [1.0, 0.0], 2,
        ...           state_values={"ly": [1.0, 0.0]})
        >>> res.to_frame()["value"]["ly"].round(2).tolist()
        [0.9, 0.81]
        """
        # start-up speed: pandas loads only when a table is asked for
        import pandas as pd

        names = list(self.values)
        cols = (
            [("trace", s) for s in self.states]
            + [("value", n) for n in names]
            + [("discounted", n) for n in names]
        )
        per_cycle = [self.trace[..., i] for i in range(len(self.states))]
        per_cycle += [self.values[n] for n in names]
        per_cycle += [self.values[n] * self.discount_factors[n] for n in names]
        data = np.stack(per_cycle, axis=-1)  # ([N,] cycles, columns)
        columns = pd.MultiIndex.from_tuples(cols)
        if self.n_draws is None:
            index = pd.Index(self.cycle, name="cycle")
            return pd.DataFrame(data, index=index, columns=columns)
        n, t = data.shape[:2]
        index = pd.MultiIndex.from_product([np.arange(n), self.cycle], names=["draw", "cycle"])
        return pd.DataFrame(data.reshape(n * t, -1), index=index, columns=columns)

    def __repr__(self) -> str:
        """Return a short summary for notebooks."""
        n_cycles, n_states = self.trace.shape[-2:]
        shape = f"{n_states} states × {n_cycles} cycles"
        if self.n_draws is not None:
            shape = f"{self.n_draws} draws × {shape}"
        mean = "" if self.n_draws is None else "mean "
        parts = [
            f"{name}: {mean}total {float(np.mean(self.totals[name])):.6g}, "
            f"discounted {float(np.mean(self.discounted[name])):.6g}"
            for name in self.values
        ]
        return f"MarkovResult({shape}, count={self.count!r}; " + "; ".join(parts) + ")"


# --------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------


def cohort_trace(
    P: Any,
    init: Any,
    cycles: int,
    *,
    count: str = "end",
    states: Sequence[str] | None = None,
    time_varying: bool | None = None,
) -> np.ndarray:
    """State distribution of a Markov cohort in each counted cycle.

    Computes ``x_t = x_{t-1} P_t`` for ``t = 1..cycles`` from ``x_0 = init``
    (Sonnenberg & Beck 1993, eq. 1) with batched matrix products (no loop
    over draws).

    Parameters
    ----------
    P : array_like
        Transition probabilities, rows = from, columns = to. Shape ``(S, S)``
        (constant), ``(cycles, S, S)`` (time-varying), ``(N, S, S)`` (one
        constant matrix per draw) or ``(N, cycles, S, S)``. A 3-D array whose
        first axis has length ``cycles`` is read as time-varying, otherwise
        as draws; see ``time_varying``.
    init : array_like
        Initial state distribution, shape ``(S,)`` or ``(N, S)``;
        non-negative and summing to 1 (a cohort of one; scale values for a
        larger cohort).
    cycles : int
        Number of transitions, at least 1.
    count : {"end", "start", "half-cycle"}, optional
        Which distribution is counted in cycle ``t``. ``"end"``: after the
        t-th transition, t = 1..cycles (heemod method "end", as in
        Chancellor et al. 1997). ``"start"``: before it, t = 0..cycles-1
        (heemod "beginning"). ``"half-cycle"`` (alias ``"life-table"``):
        ``(x_{t-1} + x_t) / 2``, the trapezoid rule / life-table method
        (heemod "life-table"; Barendregt 2009), whose undiscounted total
        equals the classic half-cycle correction.
    states : sequence of str, optional
        State names used in error messages (default: state indices).
    time_varying : bool, optional
        How to read a 3-D ``P``: True = ``(cycles, S, S)``, False =
        ``(N, S, S)``. Default: inferred from the length of the first axis;
        an ambiguous case (``N == cycles``) raises InputError.

    Returns
    -------
    ndarray, shape ([N,] cycles, S)
        Counted state distribution; the draw axis is present when ``P`` or
        ``init`` has one.

    Raises
    ------
    simkit.errors.InputError
        Probabilities outside [0, 1] or not finite, rows not summing to 1
        within 1e-9, ``init`` not a distribution, shape mismatches, bad
        ``cycles`` or ``count``. Messages name the draw, cycle and state.

    Examples
    --------
    >>> P = [[0.9, 0.1], [0.0, 1.0]]
    >>> cohort_trace(P, [1.0, 0.0], 3).round(3).tolist()
    [[0.9, 0.1], [0.81, 0.19], [0.729, 0.271]]
    >>> cohort_trace(P, [1.0, 0.0], 2, count="half-cycle").round(3).tolist()
    [[0.95, 0.05], [0.855, 0.145]]
    """
    model = _prepare(P, init, cycles, count=count, states=states, time_varying=time_varying)
    trace = _counted_trace(model)
    return trace if model.batched else trace[0]


def run(
    P: Any,
    init: Any,
    cycles: int,
    *,
    state_values: Mapping[str, Any],
    discount_rate: float | Mapping[str, float] = 0.0,
    count: str = "end",
    discount_start: float = 1,
    states: Sequence[str] | None = None,
    time_varying: bool | None = None,
) -> MarkovResult:
    """Run a Markov cohort model and sum discounted per-state values.

    For each value name ``v`` with per-state values ``v[t, s]``:

    * per cycle: ``values[t] = sum_s trace[t, s] * v[t, s]``
      (Sonnenberg & Beck 1993, "cohort simulation");
    * discounted total: ``sum_k values[k] / (1 + r) ** (discount_start + k)``
      over the counted cycles k = 0..cycles-1 (Drummond et al. 2015, sec.
      4.3; heemod ``discount()``).

    Parameters
    ----------
    P, init, cycles, count, states, time_varying
        As in :func:`cohort_trace`.
    state_values : mapping of str to array_like
        Value of being in each state for one counted cycle: shape ``(S,)``
        (constant), ``(cycles, S)`` (row k applies to the k-th counted cycle,
        i.e. cycle t = k + 1 for ``count="end"``) or ``(N, cycles, S)`` with
        a draw axis. Axes of length 1 broadcast; write a per-draw constant
        as ``v[:, None, :]``.
    discount_rate : float or mapping of str to float, optional
        Rate per cycle, the same for all values or one per value name
        (e.g. costs 0.06, life-years 0). Must exceed -1. Default 0. For
        cycles shorter than the rate's period convert it first, e.g. weekly
        cycles with an annual rate: ``(1 + r) ** (1 / 52) - 1``.
    discount_start : float, optional
        Exponent of the first counted cycle: the k-th counted cycle
        (k = 0..cycles-1) is divided by ``(1 + r) ** (discount_start + k)``.
        1 (default) divides cycle t = 1..cycles by (1 + r)^t, as in Chancellor
        et al. (1997) and heemod ``discount(x, r, first = TRUE)``; 0 leaves the
        first counted cycle undiscounted (heemod's default ``first = FALSE``;
        the usual choice with ``count="start"``); 0.5 is mid-cycle discounting.

    Returns
    -------
    MarkovResult

    Raises
    ------
    simkit.errors.InputError
        As :func:`cohort_trace`, plus bad state values or discount settings.

    Examples
    --------
    Two states (alive, dead), 10 % death risk per cycle, 1 per cycle alive:

    >>> res = run([[0.9, 0.1], [0.0, 1.0]], [1.0, 0.0], 2,
    ...           state_values={"life_years": [1.0, 0.0]},
    ...           discount_rate=0.05, states=["alive", "dead"])
    >>> round(res.totals["life_years"], 4)  # 0.9 + 0.81
    1.71
    >>> round(res.discounted["life_years"], 4)  # 0.9 / 1.05 + 0.81 / 1.05**2
    1.5918
    """
    if not isinstance(state_values, Mapping) or len(state_values) == 0:
        raise InputError(
            Problem("state_values", _shown(state_values), "a non-empty mapping name -> values")
        )
    for name in state_values:
        if not isinstance(name, str):
            raise InputError(Problem("state_values", name, "value names that are strings"))
    values_raw = {
        name: _as_float_array(v, f"state_values[{name!r}]") for name, v in state_values.items()
    }
    draw_hints = [v.shape[0] for v in values_raw.values() if v.ndim == 3]
    model = _prepare(
        P,
        init,
        cycles,
        count=count,
        states=states,
        time_varying=time_varying,
        extra_draw_hints=draw_hints,
    )
    T, S = model.cycles, model.n_states
    values_arr = {
        name: _check_state_values(v, name, T, S, model.states) for name, v in values_raw.items()
    }
    rates = _check_discount(discount_rate, list(values_arr))
    start = _check_discount_start(discount_start)

    # draw axis length: P, init and all value arrays must agree (or be 1)
    sizes = {model.n_draws} | {v.shape[0] for v in values_arr.values()}
    sizes.discard(1)
    if len(sizes) > 1:
        raise InputError(
            Problem(
                "state_values",
                {n: v.shape for n, v in values_raw.items()},
                f"a draw axis of length {model.n_draws} (the draws of P / init) or 1",
            )
        )
    batched = model.batched or any(v.ndim == 3 for v in values_raw.values())

    trace = _counted_trace(model)  # (B, T, S)
    k = np.arange(T)
    per_cycle, discounted, totals, factors = {}, {}, {}, {}
    for name, v in values_arr.items():
        vals = (trace * v).sum(axis=-1)  # (B', T)
        d = (1.0 + rates[name]) ** -(start + k)  # Drummond et al. 2015, sec. 4.3
        factors[name] = _frozen(d)
        if not batched:
            vals = vals[0]
        per_cycle[name] = _frozen(vals)
        tot = vals.sum(axis=-1)
        disc = (vals * d).sum(axis=-1)
        totals[name] = float(tot) if not batched else _frozen(tot)
        discounted[name] = float(disc) if not batched else _frozen(disc)
    if batched:
        n = max([trace.shape[0], *(v.shape[0] for v in values_arr.values())])
        trace = np.broadcast_to(trace, (n, *trace.shape[1:])).copy()
        for name in per_cycle:
            if per_cycle[name].shape[0] != n:
                per_cycle[name] = _frozen(np.broadcast_to(per_cycle[name], (n, T)).copy())
                totals[name] = _frozen(np.broadcast_to(totals[name], (n,)).copy())
                discounted[name] = _frozen(np.broadcast_to(discounted[name], (n,)).copy())
    else:
        trace = trace[0]
    return MarkovResult(
        trace=_frozen(trace),
        values=per_cycle,
        discounted=discounted,
        totals=totals,
        cycle=_frozen(_cycle_labels(model.count, T)),
        discount_factors=factors,
        states=model.states,
        count=model.count,
        discount_rate=rates,
        discount_start=start,
    )


def apply_relative_risk(P: Any, rr: Any, *, states: Sequence[str] | None = None) -> np.ndarray:
    """Scale every transition out of a state by a relative risk.

    Off-diagonal probabilities are multiplied by ``rr`` and the diagonal is
    reset so each row sums to 1: ``P'_ij = rr * P_ij`` (i != j),
    ``P'_ii = 1 - sum_{j != i} P'_ij`` (Chancellor et al. 1997; Briggs,
    Claxton & Sculpher 2006, ch. 2: the combination-therapy arm).

    Parameters
    ----------
    P : array_like, shape (..., S, S)
        Transition matrix or stack of matrices (rows sum to 1).
    rr : float or array_like
        Relative risk, non-negative. A scalar keeps the shape of ``P``; an
        array broadcasts against the leading axes of ``P``, so a per-cycle
        array of shape ``(cycles,)`` turns a constant ``(S, S)`` matrix into
        a time-varying ``(cycles, S, S)`` one, and shape ``(N, cycles)``
        gives ``(N, cycles, S, S)``.
    states : sequence of str, optional
        State names used in error messages.

    Returns
    -------
    ndarray, shape broadcast(rr.shape, P.shape[:-2]) + (S, S)

    Raises
    ------
    simkit.errors.InputError
        If ``P`` is not a valid transition matrix, ``rr`` is negative or not
        finite, the shapes do not broadcast, or ``rr`` pushes a row's
        off-diagonal probabilities above 1.

    Examples
    --------
    >>> P = [[0.8, 0.2], [0.0, 1.0]]
    >>> apply_relative_risk(P, 0.5).tolist()
    [[0.9, 0.1], [0.0, 1.0]]
    >>> apply_relative_risk(P, [0.5, 1.0]).shape  # per cycle: time-varying
    (2, 2, 2)
    """
    Pa = _as_float_array(P, "P")
    if Pa.ndim < 2 or Pa.shape[-1] != Pa.shape[-2] or Pa.shape[-1] == 0:
        raise InputError(Problem("P", Pa.shape, "shape (..., S, S) with S >= 1"))
    S = Pa.shape[-1]
    names = _check_states(states, S)
    _check_stochastic(Pa, [""] * (Pa.ndim - 2), names, cycles=None)
    rra = _as_float_array(rr, "rr")
    bad = ~np.isfinite(rra) | (rra < 0)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        where = f"rr[{', '.join(map(str, idx))}]" if idx else "rr"
        raise InputError(Problem(where, float(rra[idx]), "a finite relative risk >= 0"))
    try:
        lead = np.broadcast_shapes(rra.shape, Pa.shape[:-2])
    except ValueError:
        raise InputError(
            Problem(
                "rr",
                rra.shape,
                f"a shape that broadcasts against the leading axes {Pa.shape[:-2]} of P",
            )
        ) from None
    eye = np.eye(S, dtype=bool)
    off = np.where(eye, 0.0, Pa) * rra[..., None, None]  # Chancellor et al. 1997
    off = np.broadcast_to(off, (*lead, S, S))
    diag = 1.0 - off.sum(axis=-1)  # (..., S)
    neg = diag < -_ROUNDING_TOL
    if neg.any():
        rr_b = np.broadcast_to(rra, lead)
        raw = np.broadcast_to(np.where(eye, 0.0, Pa).sum(axis=-1), (*lead, S))
        problems = []
        for pos in np.argwhere(neg)[:_MAX_SHOWN]:
            lead_idx, row = tuple(int(i) for i in pos[:-1]), int(pos[-1])
            where = f"rr[{', '.join(map(str, lead_idx))}]" if lead_idx else "rr"
            problems.append(
                Problem(
                    f"{where} applied to row {_state_label(row, names)}",
                    float(rr_b[lead_idx]),
                    f"rr <= {1.0 / raw[(*lead_idx, row)]:.6g}, so the row's moves out "
                    "of the state sum to at most 1",
                )
            )
        raise InputError(
            problems, header=f"rr makes probabilities negative in {int(neg.sum())} row(s)"
        )
    out = np.array(off)
    i = np.arange(S)
    out[..., i, i] = np.clip(diag, 0.0, None)
    return out


# --------------------------------------------------------------------------
# Validation and computation (private)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Model:
    P: np.ndarray  # (Bp, Tp, S, S), Bp in {1, N}, Tp in {1, cycles}
    init: np.ndarray  # (Bi, S)
    cycles: int
    count: str
    states: tuple[str, ...]
    batched: bool
    n_draws: int  # 1 when not batched

    @property
    def n_states(self) -> int:
        return self.P.shape[-1]


def _prepare(
    P: Any,
    init: Any,
    cycles: Any,
    *,
    count: str,
    states: Sequence[str] | None,
    time_varying: bool | None,
    extra_draw_hints: Sequence[int] = (),
) -> _Model:
    """Validate all inputs, then bring P to (B, T, S, S) and init to (B, S)."""
    T = _check_cycles(cycles)
    count = _check_count(count)
    Pa = _as_float_array(P, "P")
    if Pa.ndim not in (2, 3, 4) or Pa.shape[-1] != Pa.shape[-2] or Pa.shape[-1] == 0:
        raise InputError(
            Problem(
                "P",
                Pa.shape,
                "shape (S, S), (cycles, S, S), (N, S, S) or (N, cycles, S, S) with square matrices",
            )
        )
    S = Pa.shape[-1]
    names = _check_states(states, S)
    ia = _as_float_array(init, "init")
    if ia.ndim not in (1, 2) or ia.shape[-1] != S:
        raise InputError(
            Problem("init", ia.shape, f"shape ({S},) or (N, {S}) to match P's {S} states")
        )
    if time_varying not in (None, True, False):
        raise InputError(Problem("time_varying", _shown(time_varying), "None, True or False"))

    hints = set(extra_draw_hints)
    if ia.ndim == 2:
        hints.add(ia.shape[0])
    hints.discard(1)

    # Interpret P's leading axes.
    if Pa.ndim == 2:
        labels: list[str] = []
        P4 = Pa[None, None]
    elif Pa.ndim == 4:
        labels = ["draw", "cycle"]
        if Pa.shape[1] not in (1, T):
            raise InputError(
                Problem("P", Pa.shape, f"shape (N, {T}, {S}, {S}): one matrix per cycle")
            )
        P4 = Pa
    else:
        first = Pa.shape[0]
        if time_varying is None:
            if first == T and T in hints and T != 1:
                raise InputError(
                    Problem(
                        "P",
                        Pa.shape,
                        f"an unambiguous shape: the first axis ({first}) could be cycles or "
                        "draws; pass time_varying=True or False, or a 4-D P "
                        "(N, cycles, S, S)",
                    )
                )
            time_varying = first == T
        if time_varying:
            if first != T:
                raise InputError(
                    Problem("P", Pa.shape, f"shape ({T}, {S}, {S}): one matrix per cycle")
                )
            labels = ["cycle"]
            P4 = Pa[None]
        else:
            labels = ["draw"]
            P4 = Pa[:, None]
    _check_stochastic(Pa, labels, names, cycles=T)

    sizes = set(hints)
    if P4.shape[0] != 1 or "draw" in labels:
        sizes.add(P4.shape[0])
    sizes.discard(1)
    if len(sizes) > 1:
        shapes = {"P": Pa.shape, "init": ia.shape}
        if extra_draw_hints:
            shapes["state_values draw axes"] = tuple(extra_draw_hints)
        raise InputError(
            Problem(
                "draw axes",
                shapes,
                "the same number of draws N in P, init and state_values (or 1); a 3-D P "
                f"is read as (cycles={T}, S, S) only when its first axis is {T}",
            )
        )
    _check_init(ia, names)
    batched = "draw" in labels or ia.ndim == 2 or bool(extra_draw_hints)
    n = max([P4.shape[0], ia.shape[0] if ia.ndim == 2 else 1, *extra_draw_hints])
    return _Model(
        P=P4,
        init=ia if ia.ndim == 2 else ia[None],
        cycles=T,
        count=count,
        states=names,
        batched=batched,
        n_draws=n,
    )


def _counted_trace(model: _Model) -> np.ndarray:
    """Markov trace x_0..x_T (Sonnenberg & Beck 1993), then the counted rows."""
    P, T = model.P, model.cycles
    B = max(P.shape[0], model.init.shape[0])
    full = np.empty((B, T + 1, model.n_states))
    x = model.init  # (Bi, S)
    full[:, 0] = x
    for t in range(T):  # loop over cycles only; draws are batched in matmul
        Pt = P[:, t if P.shape[1] > 1 else 0]  # (Bp, S, S)
        x = np.matmul(x[:, None, :], Pt)[:, 0, :]  # x_t = x_{t-1} P_t
        full[:, t + 1] = x
    if model.count == "end":
        return full[:, 1:]
    if model.count == "start":
        return full[:, :-1]
    # life-table / trapezoid: (x_{t-1} + x_t) / 2 (heemod "life-table"; Barendregt 2009)
    return 0.5 * (full[:, :-1] + full[:, 1:])


def _cycle_labels(count: str, T: int) -> np.ndarray:
    return np.arange(T) if count == "start" else np.arange(1, T + 1)


def _check_cycles(cycles: Any) -> int:
    if isinstance(cycles, bool) or not isinstance(cycles, numbers.Integral) or cycles < 1:
        raise InputError(Problem("cycles", _shown(cycles), "an integer >= 1"))
    return int(cycles)


def _check_count(count: Any) -> str:
    count = _COUNT_ALIASES.get(count, count) if isinstance(count, str) else count
    if count not in COUNT_METHODS:
        raise InputError(
            Problem("count", _shown(count), "one of " + ", ".join(map(repr, COUNT_METHODS)))
        )
    return count


def _check_states(states: Sequence[str] | None, S: int) -> tuple[str, ...]:
    if states is None:
        return tuple(str(i) for i in range(S))
    if isinstance(states, str):
        raise InputError(Problem("states", states, f"a list of {S} state names"))
    names = tuple(str(s) for s in states)
    if len(names) != S:
        raise InputError(Problem("states", list(names), f"{S} state names, one per row of P"))
    if len(set(names)) != S:
        raise InputError(Problem("states", list(names), "unique state names"))
    return names


def _state_label(i: int, names: tuple[str, ...]) -> str:
    return f"{names[i]!r}" if names[i] != str(i) else str(i)


def _axis_parts(
    idx: tuple[int, ...], labels: list[str], sizes: tuple[int, ...], cycles: int | None
) -> list[str]:
    parts = []
    for i, label, size in zip(idx, labels, sizes, strict=True):
        if label == "cycle":
            if size == 1 and cycles is not None and cycles > 1:
                parts.append("all cycles")
            else:
                parts.append(f"cycle {i + 1}")
        elif label:
            parts.append(f"{label} {i}")
    return parts


def _check_stochastic(
    Pa: np.ndarray, labels: list[str], names: tuple[str, ...], *, cycles: int | None
) -> None:
    """Entries finite and in [0, 1]; rows sum to 1 within ROW_SUM_TOL."""
    lead_sizes = Pa.shape[:-2]
    problems: list[Problem] = []

    def where(pos: np.ndarray, with_col: bool) -> str:
        pos_t = tuple(int(i) for i in pos)
        n_lead = len(lead_sizes)
        parts = _axis_parts(pos_t[:n_lead], labels, lead_sizes, cycles)
        parts.append(f"row {_state_label(pos_t[n_lead], names)}")
        if with_col:
            parts.append(f"column {_state_label(pos_t[n_lead + 1], names)}")
        return f"P[{', '.join(map(str, pos_t))}] ({', '.join(parts)})"

    bad = ~np.isfinite(Pa) | (Pa < 0) | (Pa > 1)
    n_bad = int(bad.sum())
    for pos in np.argwhere(bad)[:_MAX_SHOWN]:
        problems.append(Problem(where(pos, True), float(Pa[tuple(pos)]), "a probability in [0, 1]"))
    sums = Pa.sum(axis=-1)
    bad_rows = ~bad.any(axis=-1) & (np.abs(sums - 1.0) > ROW_SUM_TOL)
    n_rows = int(bad_rows.sum())
    for pos in np.argwhere(bad_rows)[: max(0, _MAX_SHOWN - len(problems))]:
        problems.append(
            Problem(
                where(pos, False),
                _sum_shown(sums[tuple(pos)]),
                f"the row's probabilities to sum to 1 (within {ROW_SUM_TOL:g})",
            )
        )
    if problems:
        total = n_bad + n_rows
        shown = f"; first {len(problems)} shown" if total > len(problems) else ""
        raise InputError(
            problems,
            header=f"P is not a valid transition matrix ({total} problem{'s' * (total > 1)}{shown})",
        )


def _check_init(ia: np.ndarray, names: tuple[str, ...]) -> None:
    problems: list[Problem] = []
    bad = ~np.isfinite(ia) | (ia < 0)
    for pos in np.argwhere(bad)[:_MAX_SHOWN]:
        pos_t = tuple(int(i) for i in pos)
        draw = f"draw {pos_t[0]}, " if ia.ndim == 2 else ""
        problems.append(
            Problem(
                f"init[{', '.join(map(str, pos_t))}] ({draw}state {_state_label(pos_t[-1], names)})",
                float(ia[pos_t]),
                "a finite share >= 0",
            )
        )
    if not problems:
        sums = ia.sum(axis=-1)
        off = np.atleast_1d(np.abs(sums - 1.0) > ROW_SUM_TOL)
        for pos in np.argwhere(off)[:_MAX_SHOWN]:
            if ia.ndim == 2:
                i = int(pos[0])
                problems.append(
                    Problem(
                        f"init[{i}] (draw {i})",
                        _sum_shown(sums[i]),
                        "shares summing to 1 (within 1e-09)",
                    )
                )
            else:
                problems.append(
                    Problem("init", _sum_shown(sums), "shares summing to 1 (within 1e-09)")
                )
    if problems:
        raise InputError(problems, header="init is not a state distribution")


def _check_state_values(
    v: np.ndarray, name: str, T: int, S: int, names: tuple[str, ...]
) -> np.ndarray:
    """Return values as (B, T or 1, S)."""
    label = f"state_values[{name!r}]"
    ok = v.ndim in (1, 2, 3) and v.shape[-1] == S and (v.ndim == 1 or v.shape[-2] in (1, T))
    if not ok:
        raise InputError(Problem(label, v.shape, f"shape ({S},), ({T}, {S}) or (N, {T}, {S})"))
    bad = ~np.isfinite(v)
    if bad.any():
        pos = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InputError(
            Problem(
                f"{label}[{', '.join(map(str, pos))}] (state {_state_label(pos[-1], names)})",
                float(v[pos]),
                "a finite value",
            )
        )
    return v.reshape((1,) * (3 - v.ndim) + v.shape)


def _check_discount(rate: Any, names: list[str]) -> dict[str, float]:
    if isinstance(rate, Mapping):
        missing = [n for n in names if n not in rate]
        extra = [k for k in rate if k not in names]
        if missing:
            raise InputError(
                Problem(f"discount_rate[{missing[0]!r}]", None, "a rate for every value name")
            )
        if extra:
            raise InputError(
                Problem("discount_rate", extra, f"only names in state_values: {names}")
            )
        rates = {n: rate[n] for n in names}
        label = {n: f"discount_rate[{n!r}]" for n in names}
    else:
        rates = dict.fromkeys(names, rate)
        label = dict.fromkeys(names, "discount_rate")
    out = {}
    for n, r in rates.items():
        if isinstance(r, bool) or not isinstance(r, numbers.Real) or not math.isfinite(r) or r <= -1:
            raise InputError(Problem(label[n], _shown(r), "a finite rate per cycle > -1"))
        out[n] = float(r)
    return out


def _check_discount_start(start: Any) -> float:
    if isinstance(start, bool) or not isinstance(start, numbers.Real) or not math.isfinite(start):
        raise InputError(Problem("discount_start", _shown(start), "a finite number (e.g. 1 or 0)"))
    return float(start)


def _as_float_array(x: Any, name: str) -> np.ndarray:
    try:
        return np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise InputError(Problem(name, _shown(x), "a numeric array")) from None


def _shown(x: Any) -> Any:
    """Plain Python value for messages (numpy scalars repr as np.float64(...))."""
    if isinstance(x, np.generic):
        return x.item()
    return x


def _sum_shown(x: Any) -> float:
    """Return a sum for messages, to 12 significant digits (0.9, not 0.8999999999999999)."""
    return float(f"{float(x):.12g}")


def _frozen(a: Any) -> np.ndarray:
    a = np.asarray(a)
    a.flags.writeable = False
    return a
