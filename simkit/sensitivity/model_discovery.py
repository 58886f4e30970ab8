"""Scenario discovery (PRIM) applied to the simkit model.

:func:`discover` and :func:`discover_events`: which parameter values make an
event (no repayment, a budget loss, ...) likely, in sentences an analyst can quote.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simkit.errors import InputError, Problem
from simkit.results.base import Provenance, Result
from simkit.sensitivity.discovery import PrimResult, prim
from simkit.sensitivity.model_common import (
    EVENTS,
    _suggest,
    check_params,
    provenance,
)

__all__ = [
    "ScenarioDiscovery",
    "discover",
    "discover_events",
]


def discover(
    result: Any,
    event: str | Any = "no_repayment",
    *,
    params: Sequence[str] | str | None = None,
    event_name: str | None = None,
    **prim_options: Any,
) -> PrimResult:
    """Which regions of parameter space lead to an event (PRIM on ``param:*``).

    Parameters
    ----------
    result : SimulationResult
    event : str or array_like of bool
        ``"no_repayment"`` (repayment 0), ``"budget_loss"`` (net < 0),
        ``"fund_loss"`` (multiple < 1), or a boolean array per draw.
    params : sequence of str, optional
        Candidate parameters (default every uncertain one).
    event_name : str, optional
        Phrase used in the sentence (default from the event).
    **prim_options
        Passed to :func:`~simkit.sensitivity.prim` (``alpha``,
        ``min_coverage``, ...).

    Returns
    -------
    PrimResult
        ``describe()`` gives a sentence such as "When completion_rate < 0.77
        (45 % of draws), no repayment occurs in 80 % of cases (vs 43 %
        overall); ...".

    Raises
    ------
    simkit.errors.InputError
        Unknown event or parameter, or an event that never (or always) occurs.

    Examples
    --------
    >>> import simkit
    >>> sc = simkit.load_scenario("norddjurs_v1")
    >>> res = simkit.simulate(sc, draws=400, seed=5, curve_draws=0)
    >>> box = discover(res, "no_repayment", params=["completion_rate", "outcome_rate_bau"])
    >>> box.restricted  # no repayment comes with a low completion rate
    ('completion_rate',)
    """
    sc = result.scenario
    names = check_params(sc, params)
    if isinstance(event, str):
        if event not in EVENTS:
            raise InputError(Problem("event", event, f"one of {', '.join(EVENTS)}{_suggest(event, list(EVENTS))}"
                                     " or a boolean array per draw"))
        phrase, test = EVENTS[event]
        y = test(result.require_draws("scenario discovery"))
        event_name = event_name or phrase
    else:
        y = np.asarray(event, dtype=bool)
        if y.shape != (result.n,):
            raise InputError(Problem("event", y.shape, f"one boolean per draw ({result.n},)"))
        event_name = event_name or "the event"
    k = int(y.sum())
    if k == 0 or k == y.size:
        raise InputError(Problem("event", event_name, "an event that occurs in some draws but not all "
                                 f"(it occurs in {k:,} of {y.size:,})"))
    X = pd.DataFrame({n: np.asarray(result.draws_[f"param:{n}"], dtype=float) for n in names})
    X = X.loc[:, X.max() > X.min()]
    return prim(X, y, event_name=event_name, **prim_options)


@dataclass(frozen=True, repr=False)
class ScenarioDiscovery(Result):
    """PRIM boxes for several events on the same draws.

    Attributes
    ----------
    events : tuple of str
    phrases : tuple of str
    rates : numpy.ndarray
        Share of draws with each event.
    boxes : tuple of (PrimResult or None)
        None when the event never (or always) occurs.
    n_draws : int
    provenance : Provenance
    """

    events: tuple[str, ...]
    phrases: tuple[str, ...]
    rates: np.ndarray
    boxes: tuple[PrimResult | None, ...]
    n_draws: int
    provenance: Provenance = field(repr=False)

    def sentences(self) -> list[str]:
        """One quotable sentence per event.

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> res = simkit.simulate(sc, draws=400, seed=5, curve_draws=0)
        >>> from simkit.sensitivity import discover_events
        >>> found = discover_events(res, ["no_repayment"], params=["completion_rate"])
        >>> len(found.sentences())
        1
        """
        out = []
        for phrase, rate, box in zip(self.phrases, self.rates, self.boxes, strict=True):
            if box is None:
                when = "never occurs" if rate == 0 else "occurs in every draw"
                out.append(f"{phrase[0].upper() + phrase[1:]} {when} in the {self.n_draws:,} draws.")
            else:
                out.append(box.describe())
        return out

    def to_dict(self) -> dict[str, Any]:
        """Return the stable JSON structure (:meth:`_result_dict`) with a ``"provenance"`` entry.

        Returns
        -------
        dict

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> res = simkit.simulate(sc, draws=400, seed=5, curve_draws=0)
        >>> from simkit.sensitivity import discover_events
        >>> found = discover_events(res, ["no_repayment"], params=["completion_rate"])
        >>> found.to_dict()["n_draws"], found.to_dict()["provenance"]["method"]
        (400, 'discovery')
        """
        return {**self._result_dict(), "provenance": self.provenance.as_dict()}

    def _result_dict(self) -> dict[str, Any]:
        """Stable JSON structure (``--method discovery``, key ``result``).

        Box bounds are ``null`` where a side is free.
        """
        items = []
        for ev, phrase, rate, box, sent in zip(self.events, self.phrases, self.rates, self.boxes,
                                               self.sentences(), strict=True):
            item: dict[str, Any] = {"event": ev, "phrase": phrase, "rate": float(rate),
                                    "sentence": sent, "box": None}
            if box is not None:
                item.update(mass=box.mass, coverage=box.coverage, density=box.density,
                            box=[{"parameter": p, "lower": float(lo), "upper": float(hi)}
                                 for p, lo, hi in zip(box.restricted, box.lower, box.upper, strict=True)])
            items.append(item)
        return {"n_draws": self.n_draws, "events": items}

    def to_frame(self) -> pd.DataFrame:
        """Return one row per event: its rate and its box's mass, coverage and density (NaN without a box).

        Returns
        -------
        pandas.DataFrame
            Index ``event``; columns ``rate, mass, coverage, density, box``.

        Examples
        --------
        >>> import simkit
        >>> from simkit.sensitivity import discover_events
        >>> res = simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=400, seed=5, curve_draws=0)
        >>> list(discover_events(res, ["no_repayment"]).to_frame().columns)
        ['rate', 'mass', 'coverage', 'density', 'box']
        """
        nan = float("nan")
        rows = [{"rate": float(r), "mass": b.mass if b else nan, "coverage": b.coverage if b else nan,
                 "density": b.density if b else nan, "box": "; ".join(b.conditions()) if b else ""}
                for r, b in zip(self.rates, self.boxes, strict=True)]
        return pd.DataFrame(rows, index=pd.Index(list(self.events), name="event"))

    def text(self) -> str:
        """Write the scenario discovery as plain text.

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> res = simkit.simulate(sc, draws=400, seed=5, curve_draws=0)
        >>> from simkit.sensitivity import discover_events
        >>> found = discover_events(res, ["no_repayment"], params=["completion_rate"])
        >>> found.text().splitlines()[0]
        'Scenario discovery (PRIM) on 400 draws'
        """
        return "\n".join([f"Scenario discovery (PRIM) on {self.n_draws:,} draws",
                          *(f"  {s}" for s in self.sentences())])

    def __repr__(self) -> str:
        """Return the plain-text summary."""
        return self.text()


def discover_events(
    result: Any,
    events: Sequence[str] = ("no_repayment", "budget_loss"),
    *,
    params: Sequence[str] | str | None = None,
    **prim_options: Any,
) -> ScenarioDiscovery:
    """:func:`discover` for several named events; events that never occur are reported, not raised.

    Parameters
    ----------
    result : SimulationResult
    events : sequence of str
        Names in :data:`EVENTS`.
    params : optional
        Candidate parameters.
    **prim_options
        Passed to :func:`~simkit.sensitivity.prim`.

    Returns
    -------
    ScenarioDiscovery

    Examples
    --------
    >>> import simkit
    >>> sc = simkit.load_scenario("norddjurs_v1")
    >>> res = simkit.simulate(sc, draws=400, seed=5, curve_draws=0)
    >>> discover_events(res, ["no_repayment"], params=["completion_rate"]).events
    ('no_repayment',)
    """
    sc = result.scenario
    check_params(sc, params)
    bad = [e for e in events if e not in EVENTS]
    if bad or not events:
        raise InputError([Problem("events", e, f"one of {', '.join(EVENTS)}{_suggest(e, list(EVENTS))}")
                          for e in bad] or Problem("events", [], "at least one event"))
    boxes, rates, phrases = [], [], []
    for ev in events:
        phrase, test = EVENTS[ev]
        y = test(result.require_draws("scenario discovery"))
        rates.append(float(np.mean(y)))
        phrases.append(phrase)
        k = int(y.sum())
        boxes.append(None if k in (0, y.size) else discover(result, ev, params=params, **prim_options))
    return ScenarioDiscovery(tuple(events), tuple(phrases), np.array(rates), tuple(boxes), result.n,
                             provenance(sc, result.provenance.seed, draws=result.n, method="discovery"))
