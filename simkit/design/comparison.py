"""Contract variants compared side by side on the same draws."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from simkit.contract import Contract
from simkit.design.repricing import reprice, result_provenance
from simkit.design.variants import default_variants, split_label
from simkit.errors import InputError, Problem
from simkit.results.base import Provenance, Result

__all__ = [
    "ContractComparison",
    "compare_contracts",
]


_FRAME_METRICS = ("p_repayment", "repayment_mean", "p_neutral", "p_neutral_se", "net_mean",
                  "fund_multiple_mean", "fund_multiple_mean_se", "p_loss", "p_full", "max_repayment")


@dataclass(frozen=True, repr=False)
class ContractComparison(Result):
    """Contract variants evaluated side by side on the same draws.

    Attributes
    ----------
    labels, specs : tuple of str
    contracts : tuple of Contract
    metrics : tuple of dict
        :meth:`Repriced.metrics` of each variant.
    n_draws : int
    currency : str
    provenance : Provenance
    """

    labels: tuple[str, ...]
    specs: tuple[str, ...]
    contracts: tuple[Contract, ...] = field(repr=False)
    metrics: tuple[dict, ...]
    n_draws: int
    currency: str = "DKK"
    provenance: Provenance = field(default_factory=lambda: Provenance.of(None, seed=None, draws=0),
                                   repr=False, compare=False)

    def to_frame(self):
        """One row per variant; columns the headline metrics and ``p_met[<target>]``.

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> res = simkit.simulate(sc, draws=400, seed=5, curve_draws=0)
        >>> from simkit import design
        >>> cmp = design.compare_contracts(res, ["base", "pro_rata"])
        >>> cmp.to_frame().index.tolist()
        ['base', 'pro_rata']
        """
        rows = []
        for m in self.metrics:
            row = {k: m[k] for k in _FRAME_METRICS}
            row.update({f"p_met[{k}]": v for k, v in m["p_met"].items()})
            rows.append(row)
        return pd.DataFrame(rows, index=pd.Index(list(self.labels), name="variant"))

    def to_dict(self) -> dict[str, Any]:
        """Return the stable JSON structure (``simkit design --json``, key ``comparison``, less ``provenance``).

        Returns
        -------
        dict

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> res = simkit.simulate(sc, draws=400, seed=5, curve_draws=0)
        >>> from simkit import design
        >>> cmp = design.compare_contracts(res, ["base", "pro_rata"])
        >>> cmp.to_dict()["n_draws"], [v["label"] for v in cmp.to_dict()["variants"]]
        (400, ['base', 'pro_rata'])
        """
        return {
            "provenance": self.provenance.as_dict(),
            "n_draws": self.n_draws,
            "currency": self.currency,
            "variants": [
                {"label": lab, "spec": spec, "metrics": m, "contract": _contract_dict(c)}
                for lab, spec, m, c in zip(self.labels, self.specs, self.metrics, self.contracts,
                                           strict=True)
            ],
        }

    def text(self) -> str:
        """Write the comparison as a plain-text table.

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> res = simkit.simulate(sc, draws=400, seed=5, curve_draws=0)
        >>> from simkit import design
        >>> cmp = design.compare_contracts(res, ["base", "pro_rata"])
        >>> cmp.text().splitlines()[0]
        'Contract variants on the same 400 draws (DKK)'
        """
        w = max(len(lab) for lab in self.labels)
        head = (f"{'variant':<{w}}  {'P(repay)':>8}  {'E[repayment]':>13}  {'P(neutral)':>10}  "
                f"{'E[net]':>12}  {'E[multiple]':>11}  {'P(loss)':>7}")
        lines = [f"Contract variants on the same {self.n_draws:,} draws ({self.currency})", head]
        for lab, m in zip(self.labels, self.metrics, strict=True):
            lines.append(
                f"{lab:<{w}}  {m['p_repayment']:>8.1%}  {m['repayment_mean']:>13,.0f}  "
                f"{m['p_neutral']:>10.1%}  {m['net_mean']:>12,.0f}  "
                f"{m['fund_multiple_mean']:>11.3f}  {m['p_loss']:>7.1%}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        """Return the plain-text table."""
        return self.text()


def _contract_dict(c: Contract) -> dict[str, Any]:
    return {
        "grant": c.grant, "premium": c.premium, "cap": c.cap, "max_loss": c.max_loss,
        "max_annual_return": c.max_annual_return,
        "targets": [{"id": t.id, "indicator": t.indicator, "threshold": t.threshold,
                     "weight": t.weight, "rule": t.rule, "denominator": t.denominator,
                     "floor": t.floor, "steps": [list(s) for s in t.steps]} for t in c.targets],
        "rate_card": [{"id": x.id, "indicator": x.indicator, "price": x.price,
                       "max_count": x.max_count, "cap": x.cap} for x in c.rate_card],
    }


def compare_contracts(
    result: Any, variants: Mapping[str, Contract | str] | Sequence[str] | None = None
) -> ContractComparison:
    """Compare contract variants side by side on the draws of one result.

    Parameters
    ----------
    result : SimulationResult
    variants : mapping label -> Contract or spec, or a sequence of specs, optional
        Default :func:`default_variants` of the scenario's contract. A
        sequence item may be labelled ``"label:spec"``.

    Returns
    -------
    ContractComparison

    Examples
    --------
    >>> import simkit
    >>> from simkit.design import compare_contracts
    >>> res = simkit.simulate(draws=2_000, seed=1)
    >>> cmp = compare_contracts(res, ["base", "pro_rata", "premium=0.08"])
    >>> list(cmp.to_frame().index)
    ['base', 'pro_rata', 'premium=0.08']
    """
    sc = result.scenario
    if variants is None:
        variants = default_variants(sc.contract)
    if not isinstance(variants, Mapping):
        variants = dict(split_label(v) for v in variants)
    if not variants:
        raise InputError(Problem("variants", [], "at least one contract variant"))
    labels, specs, contracts, metrics = [], [], [], []
    for label, v in variants.items():
        rp = reprice(result, v)
        labels.append(str(label))
        specs.append(v if isinstance(v, str) else "(contract)")
        contracts.append(rp.contract)
        metrics.append(rp.metrics())
    return ContractComparison(tuple(labels), tuple(specs), tuple(contracts), tuple(metrics),
                              result.n, sc.currency,
                              result_provenance(result, method="compare", variants=list(specs)))
