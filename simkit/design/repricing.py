"""Repricing: a contract evaluated on the draws of one simulation without simulating again.

See :mod:`simkit.design` for the formulas.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simkit.contract import Contract, fund_view, max_repayment, repayment
from simkit.errors import InputError, Problem
from simkit.results import mean_and_se
from simkit.results.base import Provenance, Result, jsonable

if TYPE_CHECKING:
    from simkit.spec import Scenario
from simkit.design.cache import pv_unit, schedule_pv
from simkit.design.variants import variant

__all__ = [
    "Repriced",
    "counts_from_draws",
    "reprice",
    "result_provenance",
]


def _clusters(result: Any) -> int | None:
    nested = getattr(result.provenance, "nested", None)
    return int(nested[0]) if nested else None


def counts_from_draws(draws: Mapping[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    """Rebuild the ``counts`` mapping :func:`simkit.contract.repayment` reads.

    Parameters
    ----------
    draws : mapping
        ``SimulationResult.draws_``; reads the keys ``count:<indicator>:<key>``.

    Returns
    -------
    dict
        ``indicator -> {key: array}``.

    Examples
    --------
    >>> import simkit
    >>> sc = simkit.load_scenario("norddjurs_v1")
    >>> res = simkit.simulate(sc, draws=400, seed=5, curve_draws=0)
    >>> from simkit import design
    >>> sorted(design.counts_from_draws(res.draws_))  # the indicators the targets count
    ['completion', 'edu_work']
    """
    counts: dict[str, dict[str, np.ndarray]] = {}
    for k, v in draws.items():
        if k.startswith("count:"):
            _, ind, key = k.split(":", 2)
            counts.setdefault(ind, {})[key] = v
    if not counts:
        raise InputError(Problem("result.draws_", sorted(draws)[:5],
                                 "per-draw indicator counts 'count:<indicator>:<key>' "
                                 "(a result of simkit.simulate)"))
    return counts


@dataclass(frozen=True, repr=False, eq=False)
class Repriced(Result):
    """A contract evaluated on the draws of a simulation result.

    Attributes
    ----------
    contract : Contract
    repayment_, repayment_pv_, net_pv_, fund_multiple_, fund_irr_ : numpy.ndarray
        Per-draw arrays (nominal repayment, its present value, the
        municipality's discounted net budget effect, the fund's multiple and
        IRR).
    met_, factor_ : dict of str to numpy.ndarray
        Per target id.
    clusters : int or None
        Outer draws of a nested result (standard errors use cluster means).
    currency : str
    provenance : Provenance
        The simulation's seed and draws (:func:`result_provenance`).
    """

    contract: Contract
    repayment_: np.ndarray
    repayment_pv_: np.ndarray
    net_pv_: np.ndarray
    fund_multiple_: np.ndarray
    fund_irr_: np.ndarray
    met_: Mapping[str, np.ndarray]
    factor_: Mapping[str, np.ndarray]
    clusters: int | None = None
    currency: str = "DKK"
    provenance: Provenance = field(default_factory=lambda: Provenance.of(None, seed=None, draws=0),
                                   repr=False, compare=False)

    @property
    def n(self) -> int:
        """Return the number of draws.

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> res = simkit.simulate(sc, draws=400, seed=5, curve_draws=0)
        >>> from simkit import design
        >>> rp = design.reprice(res)
        >>> rp.n
        400
        """
        return int(self.repayment_.size)

    def metrics(self) -> dict[str, Any]:
        """Headline numbers with Monte Carlo SEs (keys in the module docstring).

        Returns
        -------
        dict

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> res = simkit.simulate(sc, draws=400, seed=5, curve_draws=0)
        >>> from simkit import design
        >>> rp = design.reprice(res)
        >>> m = rp.metrics()
        >>> 0 <= m["p_neutral"] <= 1 and m["max_repayment"] > 0
        True
        """
        c = self.clusters
        rep, net, mult = self.repayment_, self.net_pv_, self.fund_multiple_
        top = max_repayment(self.contract)
        out: dict[str, Any] = {}
        for key, arr in (
            ("p_repayment", rep > 0),
            ("repayment_mean", rep),
            ("repayment_pv_mean", self.repayment_pv_),
            ("p_full", rep >= top * (1 - 1e-12) if math.isfinite(top) and top > 0 else
             np.zeros(rep.shape, bool)),
            ("p_neutral", net >= 0),
            ("net_mean", net),
            ("fund_multiple_mean", mult),
            ("p_loss", mult < 1),
        ):
            out[key], out[f"{key}_se"] = mean_and_se(arr, c)
        out["max_repayment"] = float(top)
        irr = self.fund_irr_[np.isfinite(self.fund_irr_)]
        out["fund_irr_median"] = float(np.median(irr)) if irr.size else float("nan")
        out["p_met"] = {k: mean_and_se(v, c)[0] for k, v in self.met_.items()}
        out["p_met_se"] = {k: mean_and_se(v, c)[1] for k, v in self.met_.items()}
        return out

    def to_dict(self) -> dict[str, Any]:
        """Return the stable JSON structure: the draws, the :meth:`metrics` and the provenance.

        Returns
        -------
        dict

        Examples
        --------
        >>> import simkit
        >>> from simkit.design import reprice
        >>> d = reprice(simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=200, seed=1, curve_draws=0)).to_dict()
        >>> d["n_draws"], d["provenance"]["draws"], d["provenance"]["method"]
        (200, 200, 'reprice')
        """
        return {"n_draws": self.n, "currency": self.currency, "metrics": jsonable(self.metrics()),
                "provenance": self.provenance.as_dict()}

    def to_frame(self, kind: str = "metrics") -> pd.DataFrame:
        """Return the metrics as a one-row table (``kind="metrics"``) or the per-draw arrays (``"draws"``).

        Parameters
        ----------
        kind : {"metrics", "draws"}

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> import simkit
        >>> from simkit.design import reprice
        >>> rp = reprice(simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=200, seed=1, curve_draws=0))
        >>> rp.to_frame("draws").shape[0], float(rp.to_frame().loc[0, "p_neutral"]) == rp.metrics()["p_neutral"]
        (200, True)
        """
        if kind == "draws":
            cols = {"repayment": self.repayment_, "repayment_pv": self.repayment_pv_, "net_pv": self.net_pv_,
                    "fund_multiple": self.fund_multiple_, "fund_irr": self.fund_irr_,
                    **{f"met:{k}": np.asarray(v, dtype=float) for k, v in self.met_.items()}}
            return pd.DataFrame(cols)
        if kind != "metrics":
            raise InputError(Problem("kind", kind, "'metrics' or 'draws'"))
        m = self.metrics()
        row = {k: v for k, v in m.items() if not isinstance(v, dict)}
        row.update({f"p_met[{k}]": v for k, v in m["p_met"].items()})
        return pd.DataFrame([row])

    def __repr__(self) -> str:
        """Return a short summary for notebooks."""
        m = self.metrics()
        return (
            f"Repriced({self.n:,} draws: P(repayment) {m['p_repayment']:.1%}, "
            f"E[repayment] {m['repayment_mean']:,.0f} {self.currency}, "
            f"P(budget-neutral) {m['p_neutral']:.1%}, fund E[multiple] "
            f"{m['fund_multiple_mean']:.3f}, P(loss) {m['p_loss']:.1%})"
        )


def result_provenance(result: Any, **extra: Any) -> Provenance:
    """Return the provenance of a design result computed on the draws of ``result``.

    Parameters
    ----------
    result : SimulationResult
    **extra
        The method and its settings.

    Returns
    -------
    Provenance
        The simulation's scenario, seed, draws and nested shape, with ``extra``.

    Examples
    --------
    >>> import simkit
    >>> res = simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=100, seed=4, curve_draws=0)
    >>> p = result_provenance(res, method="example").as_dict()
    >>> p["seed"], p["draws"], p["method"]
    (4, 100, 'example')
    """
    p = result.provenance
    return Provenance.of(result.scenario, seed=p.seed, draws=result.n, nested=p.nested, fixed=p.fixed, **extra)


def reprice(result: Any, contract: Contract | str | None = None) -> Repriced:
    """Evaluate a contract variant on the draws of a simulation result.

    Parameters
    ----------
    result : simkit.results.SimulationResult
        From :func:`simkit.simulate`.
    contract : Contract or str, optional
        A :class:`simkit.contract.Contract` or a variant spec (see
        :func:`variant`); default the scenario's own contract.

    Returns
    -------
    Repriced

    Examples
    --------
    >>> import numpy as np, simkit
    >>> from simkit.design import reprice
    >>> res = simkit.simulate(draws=2_000, seed=1)
    >>> same = reprice(res)
    >>> bool(np.array_equal(same.repayment_, res.draws_["repayment"]))
    True
    >>> reprice(res, "pro_rata").metrics()["repayment_mean"] >= same.metrics()["repayment_mean"]
    True
    """
    sc: Scenario = result.scenario
    if contract is None:
        contract = sc.contract
    elif isinstance(contract, str):
        contract = variant(sc.contract, contract, cohort_size=sc.agreement.cohort_size)
    elif not isinstance(contract, Contract):
        raise InputError(Problem("contract", type(contract).__name__,
                                 "a simkit.contract.Contract or a variant spec string"))
    d = result.require_draws("repricing a contract")
    rep = repayment(contract, counts_from_draws(d))
    total = np.asarray(rep.total, dtype=float)
    rep_pv = total * schedule_pv(sc, contract)
    # the change in repayment PV is exactly 0 for the scenario's own contract, so net is reproduced
    net = np.asarray(d["net_pv"], dtype=float) - (rep_pv - np.asarray(d["repayment_pv"], dtype=float))
    if contract.grant != sc.contract.grant:
        net = net + (contract.grant - sc.contract.grant) * pv_unit(sc, sc.terms.disbursement)
    fv = fund_view(contract, total)
    return Repriced(
        contract=contract,
        repayment_=total,
        repayment_pv_=rep_pv,
        net_pv_=net,
        fund_multiple_=np.asarray(fv.multiple),
        fund_irr_=np.asarray(fv.irr),
        met_=dict(rep.met),
        factor_=dict(rep.factor),
        clusters=_clusters(result),
        currency=sc.currency,
        provenance=result_provenance(result, method="reprice"),
    )
