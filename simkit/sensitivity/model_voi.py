"""Value of information applied to the simkit model.

:func:`value_of_information` (EVPI and EVPPI per parameter and group) for a
decision given as a net-benefit matrix built by :func:`decision_enter` or
:func:`decision_contracts`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simkit.design.cache import pv_unit
from simkit.design.repricing import reprice
from simkit.design.variants import split_label
from simkit.errors import InputError, Problem
from simkit.results.base import Provenance, Result
from simkit.sensitivity._common import fmt
from simkit.sensitivity.model_common import (
    _MAX_INTERACTION_GROUP,
    DEFAULT_GROUPS,
    check_params,
    provenance,
)
from simkit.sensitivity.voi import EvppiTable, VoiResult, evpi, evppi, evppi_table

__all__ = [
    "ValueOfInformation",
    "decision_contracts",
    "decision_enter",
    "value_of_information",
]


def _perspective(p: str) -> str:
    if p not in ("municipality", "fund"):
        raise InputError(Problem("perspective", p, "'municipality' or 'fund'"))
    return p


def decision_enter(result: Any, *, perspective: str = "municipality") -> pd.DataFrame:
    """Net benefit of entering the agreement or not, per draw.

    Parameters
    ----------
    result : SimulationResult
    perspective : {"municipality", "fund"}
        Municipality: ``net_pv`` against 0. Fund: the present value of the
        repayment minus that of the grant, against 0.

    Returns
    -------
    pandas.DataFrame
        Columns ``["do not enter", "enter"]``, one row per draw.

    Examples
    --------
    >>> import simkit
    >>> sc = simkit.load_scenario("norddjurs_v1")
    >>> res = simkit.simulate(sc, draws=400, seed=5, curve_draws=0)
    >>> nb = decision_enter(res)
    >>> nb.shape, list(nb.columns)
    ((400, 2), ['do not enter', 'enter'])
    >>> bool((nb["do not enter"] == 0).all())  # not entering changes nothing
    True
    """
    _perspective(perspective)
    d = result.require_draws("the decision table")
    if perspective == "municipality":
        nb = np.asarray(d["net_pv"], dtype=float)
    else:
        sc = result.scenario
        nb = np.asarray(d["repayment_pv"], dtype=float) - sc.contract.grant * pv_unit(
            sc, sc.terms.disbursement)
    return pd.DataFrame({"do not enter": np.zeros_like(nb), "enter": nb})


def decision_contracts(result: Any, variants: Mapping[str, Any] | Sequence[str] = ("threshold", "pro_rata"),
                       *, perspective: str = "municipality") -> pd.DataFrame:
    """Net benefit of contract variants on the same draws (via :func:`simkit.design.reprice`).

    Parameters
    ----------
    result : SimulationResult
    variants : mapping label -> Contract or spec, or a sequence of specs
        Default threshold vs pro-rata terms.
    perspective : {"municipality", "fund"}
        Municipality: its net budget effect under each contract. Fund:
        PV of the repayment minus PV of the grant.

    Returns
    -------
    pandas.DataFrame
        One column per variant, one row per draw.

    Examples
    --------
    >>> import simkit
    >>> sc = simkit.load_scenario("norddjurs_v1")
    >>> res = simkit.simulate(sc, draws=400, seed=5, curve_draws=0)
    >>> list(decision_contracts(res).columns)
    ['threshold', 'pro_rata']
    """
    _perspective(perspective)
    if not isinstance(variants, Mapping):
        variants = dict(split_label(v) for v in variants)
    if len(variants) < 2:
        raise InputError(Problem("variants", list(variants), "at least two contract variants to choose from"))
    sc = result.scenario
    cols = {}
    for label, v in variants.items():
        rp = reprice(result, v)
        cols[str(label)] = (rp.net_pv_ if perspective == "municipality" else
                            rp.repayment_pv_ - rp.contract.grant * pv_unit(sc, sc.terms.disbursement))
    return pd.DataFrame(cols)


@dataclass(frozen=True, repr=False)
class ValueOfInformation(Result):
    """EVPI and EVPPI of a decision on simulated draws.

    Attributes
    ----------
    evpi : VoiResult
        Perfect information about everything, including which cohort
        realisation will happen (an upper bound: no study can tell that).
    all_parameters : VoiResult or None
        EVPPI of all parameters together (additive-spline regression): the
        most that learning the parameters could be worth.
    table : EvppiTable
        EVPPI per parameter and per group.
    decision : str
    perspective : str
    currency : str
    provenance : Provenance
    """

    evpi: VoiResult
    all_parameters: VoiResult | None
    table: EvppiTable
    decision: str
    perspective: str
    currency: str
    provenance: Provenance = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """EVPPI rows (parameters, groups, then ``all parameters``).

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> res = simkit.simulate(sc, draws=400, seed=5, curve_draws=0)
        >>> from simkit.sensitivity import decision_enter, value_of_information
        >>> voi = value_of_information(res, decision_enter(res), params=["completion_rate", "outcome_rate_bau"])
        >>> voi.to_frame().shape  # two parameters and all of them together
        (3, 6)
        """
        df = self.table.to_frame()
        if self.all_parameters is not None:
            a = self.all_parameters
            df.loc["all parameters"] = ["group", ", ".join(a.parameters), a.value, a.share_of_evpi,
                                        a.method, a.df]
        return df

    def describe(self) -> str:
        """Plain-English summary.

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> res = simkit.simulate(sc, draws=400, seed=5, curve_draws=0)
        >>> from simkit.sensitivity import decision_enter, value_of_information
        >>> voi = value_of_information(res, decision_enter(res), params=["completion_rate", "outcome_rate_bau"])
        >>> voi.describe().startswith("On current information the best option is")
        True
        """
        e = self.evpi
        cur = self.currency
        nb = ", ".join(f"{o} {fmt(v)} {cur}" for o, v in zip(e.options, e.expected_nb, strict=True))
        best_row = int(np.argmax(self.table.values)) if len(self.table.values) else None
        single = [(n, v) for n, m, v in zip(self.table.names, self.table.members, self.table.values,
                                            strict=True) if len(m) == 1 and m[0] == n]
        text = (f"On current information the best option is {e.best_option!r} (expected net benefit, "
                f"{self.perspective}'s view: {nb}). Perfect information about everything, including "
                f"the cohort's luck, would be worth {fmt(e.value)} {cur} per decision")
        if self.all_parameters is not None:
            text += f"; about the parameters alone {fmt(self.all_parameters.value)} {cur}"
        text += "."
        if e.value <= 0:
            return text + (" The same option is best in every draw, so no information can change "
                           "the decision.")
        if single and best_row is not None:
            n, v = max(single, key=lambda t: t[1])
            if v > 0.01 * e.value:
                text += f" The most valuable single parameter to learn is {n} ({fmt(v)} {cur})."
        return text

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
        >>> from simkit.sensitivity import decision_enter, value_of_information
        >>> voi = value_of_information(res, decision_enter(res), params=["completion_rate", "outcome_rate_bau"])
        >>> voi.to_dict()["options"], voi.to_dict()["provenance"]["draws"]
        (['do not enter', 'enter'], 400)
        """
        return {**self._result_dict(), "provenance": self.provenance.as_dict()}

    def _result_dict(self) -> dict[str, Any]:
        """Stable JSON structure (``--method evpi``, key ``result``)."""
        e = self.evpi
        rows = self.to_frame().reset_index()
        return {
            "decision": self.decision, "perspective": self.perspective, "currency": self.currency,
            "options": list(e.options),
            "expected_net_benefit": {o: float(v) for o, v in zip(e.options, e.expected_nb, strict=True)},
            "best_option": e.best_option, "evpi": e.value, "evpi_se": e.se,
            "evppi_all_parameters": None if self.all_parameters is None else self.all_parameters.value,
            "n_draws": e.n_draws,
            "rows": [{"name": r["name"], "kind": r["kind"], "parameters": r["parameters"].split(", "),
                      "evppi": r["evppi"], "share_of_evpi": r["share_of_evpi"], "method": r["method"],
                      "df": int(r["df"])} for _, r in rows.iterrows()],
            "sentence": self.describe(),
        }

    def text(self) -> str:
        """Write the value of information as plain text.

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> res = simkit.simulate(sc, draws=400, seed=5, curve_draws=0)
        >>> from simkit.sensitivity import decision_enter, value_of_information
        >>> voi = value_of_information(res, decision_enter(res), params=["completion_rate", "outcome_rate_bau"])
        >>> voi.text().startswith("Value of information")
        True
        """
        lines = [f"Value of information — decision: {self.decision} ({self.perspective}'s view, "
                 f"{self.currency})", "  " + self.describe(), repr(self.table)]
        if self.all_parameters is not None:
            lines.append(f"  all parameters: {fmt(self.all_parameters.value)}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        """Return the plain-text summary."""
        return self.text()


def value_of_information(
    result: Any,
    nb: Any = None,
    *,
    params: Sequence[str] | str | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
    method: str = "auto",
    all_parameters: bool = True,
    decision: str | None = None,
    perspective: str = "municipality",
) -> ValueOfInformation:
    """EVPI and EVPPI per parameter and group for a decision on simulated draws.

    Parameters
    ----------
    result : SimulationResult
        Its ``param:<name>`` draws are the regressors.
    nb : array_like or DataFrame, shape (draws, options), optional
        Net benefit per draw and option — the general interface. Default
        :func:`decision_enter` (enter the agreement or not).
    params : sequence of str, optional
        Parameters to report (default every uncertain one).
    groups : mapping name -> parameter names, optional
        Default :data:`DEFAULT_GROUPS` (members fixed in the scenario dropped;
        groups left with fewer than two members skipped).
    method : str
        Regression method of :func:`~simkit.sensitivity.evppi`.
    all_parameters : bool
        Also estimate the EVPPI of all parameters together.
    decision, perspective : str
        Labels for the report (``perspective`` also picks the default ``nb``).

    Returns
    -------
    ValueOfInformation

    Examples
    --------
    >>> import simkit
    >>> sc = simkit.load_scenario("norddjurs_v1")
    >>> res = simkit.simulate(sc, draws=400, seed=5, curve_draws=0)
    >>> voi = value_of_information(res, decision_enter(res), params=["completion_rate", "outcome_rate_bau"])
    >>> voi.evpi.value >= 0
    True
    """
    sc = result.scenario
    names = check_params(sc, params)
    if nb is None:
        nb = decision_enter(result, perspective=perspective)
        decision = decision or "enter the agreement or not"
    decision = decision or "custom options"
    members: Sequence[str]
    if groups is None:
        groups = {}
        for g, members in DEFAULT_GROUPS.items():
            m = [x for x in members if x in names]
            if len(m) >= 2:
                groups[g] = m
    else:
        for g, members in groups.items():
            check_params(sc, list(members), where=f"groups[{g!r}]")
    pdraws = {n: np.asarray(result.require_draws("value of information")[f"param:{n}"], dtype=float)
              for n in names}
    # a parameter constant on the draws carries no information
    pdraws = {n: v for n, v in pdraws.items() if np.ptp(v) > 0}
    groups = {g: [m for m in ms if m in pdraws] for g, ms in groups.items()}
    groups = {g: ms for g, ms in groups.items() if ms}
    options = list(nb.columns) if isinstance(nb, pd.DataFrame) else None
    e = evpi(nb, options=options)
    small = {g: ms for g, ms in groups.items() if len(ms) <= _MAX_INTERACTION_GROUP}
    table = evppi_table(nb, pdraws, small, method=method, options=options)
    if len(small) < len(groups):  # large groups: additive splines (interactions are too costly)
        rows = {n: (m, v, k, df) for n, m, v, k, df in zip(
            table.names, table.members, table.values, table.methods, table.dfs, strict=True)}
        for g, ms in groups.items():
            if g not in small:
                r = evppi(nb, np.column_stack([pdraws[m] for m in ms]),
                          method="additive" if method in ("auto", "interaction") else method,
                          options=options, names=ms)
                rows[g] = (tuple(ms), r.value, r.method, r.df)
        order = [*pdraws, *groups]
        table = EvppiTable(names=tuple(order), members=tuple(rows[n][0] for n in order),
                           values=np.array([rows[n][1] for n in order], dtype=float),
                           methods=tuple(rows[n][2] for n in order),
                           dfs=np.array([rows[n][3] for n in order], dtype=int),
                           evpi=table.evpi, n_draws=table.n_draws)
    alls = None
    if all_parameters and len(pdraws) > 1:
        x = np.column_stack(list(pdraws.values()))
        alls = evppi(nb, x, method="additive", options=options, names=list(pdraws))
    return ValueOfInformation(e, alls, table, decision, _perspective(perspective), sc.currency,
                              provenance(sc, result.provenance.seed, draws=result.n, method="evpi"))
