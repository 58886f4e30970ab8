"""Result objects: small, frozen, pleasant in a notebook, stable as JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .spec import Scenario

__all__ = ["Provenance", "SimulationResult"]

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


@dataclass(frozen=True)
class Provenance:
    """Where a result came from: enough to reproduce it exactly."""

    simkit_version: str
    scenario_name: str
    scenario_sha256: str
    sources: tuple[str, ...]
    seed: int
    draws: int
    nested: tuple[int, int] | None = None
    fixed: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"simkit_version": self.simkit_version,
                "scenario": {"name": self.scenario_name, "sha256": self.scenario_sha256,
                             "sources": list(self.sources)},
                "seed": self.seed, "draws": self.draws,
                "nested": list(self.nested) if self.nested else None,
                "fixed_parameters": list(self.fixed)}


def mean_and_se(x: np.ndarray, clusters: int | None = None) -> tuple[float, float]:
    """Mean of an indicator (or any array) and its Monte Carlo standard error.

    With nested draws (``clusters`` outer sets of equal size), draws sharing a
    parameter set are correlated, so the SE is that of the cluster means.

    Examples
    --------
    >>> m, se = mean_and_se(np.array([0.0, 1.0, 1.0, 0.0]))
    >>> m, round(se, 6)  # sd 0.57735 / sqrt(4)
    (0.5, 0.288675)
    """
    x = np.asarray(x, dtype=float)
    m = float(x.mean())
    if clusters and clusters > 1 and x.size % clusters == 0 and x.size > clusters:
        cm = x.reshape(clusters, -1).mean(axis=1)
        return m, float(cm.std(ddof=1) / np.sqrt(clusters))
    if x.size < 2:
        return m, float("nan")
    return m, float(x.std(ddof=1) / np.sqrt(x.size))


@dataclass(frozen=True)
class SimulationResult:
    """Monte Carlo result of :func:`simkit.simulate`.

    Attributes
    ----------
    scenario : Scenario
    draws_ : dict name -> ndarray (draws,)
        Per-draw outputs: ``repayment`` (nominal, sum of instalments),
        ``repayment_pv``, ``savings_pv``, ``net_pv`` (the municipality's
        discounted net budget effect), ``fund_multiple``, ``fund_irr``,
        ``met:<target>``, ``achieved:<target>``, ``param:<name>``, ...
    curve_ : ndarray (curve draws, years)
        Cumulative discounted net budget effect at each year end, for the
        first ``curve_draws`` draws.
    provenance : Provenance
    """

    scenario: Scenario = field(repr=False)
    draws_: Mapping[str, np.ndarray] = field(repr=False)
    curve_: np.ndarray = field(repr=False)
    provenance: Provenance
    #: (curve draws, cash points): the municipality's cumulative nominal cash position at each budget
    #: year's end and each repayment date (declarative-model scenarios; ``None`` otherwise)
    cash_: np.ndarray | None = field(default=None, repr=False)

    # ---------------------------------------------------------------- basics
    @property
    def n(self) -> int:
        return int(self.draws_["repayment"].size)

    @property
    def _clusters(self) -> int | None:
        return self.provenance.nested[0] if self.provenance.nested else None

    def p(self, key: str) -> tuple[float, float]:
        """Mean and Monte Carlo SE of a per-draw array (e.g. ``met:edu_work``)."""
        return mean_and_se(self.draws_[key], self._clusters)

    @property
    def target_ids(self) -> list[str]:
        return [t.id for t in self.scenario.contract.targets]

    @property
    def p_neutral(self) -> tuple[float, float]:
        """P(net budget effect >= 0) and its Monte Carlo SE."""
        return mean_and_se(self.draws_["net_pv"] >= 0, self._clusters)

    @property
    def year_ends(self) -> np.ndarray:
        """Year numbers (1..horizon) of the curve columns."""
        return np.arange(1, self.curve_.shape[1] + 1)

    def break_even_year(self) -> int | None:
        """First year end from which the *expected* cumulative net effect stays >= 0 (None: never)."""
        if self.curve_.shape[0] == 0:
            return None
        mean = self.curve_.mean(axis=0)
        ok = mean >= 0
        for y in range(len(ok)):
            if ok[y:].all():
                return int(y + 1)
        return None

    def p_broken_even(self) -> np.ndarray:
        """P(cumulative net effect >= 0) at each year end."""
        if self.curve_.shape[0] == 0:
            return np.full(self.curve_.shape[1], np.nan)
        return (self.curve_ >= 0).mean(axis=0)

    # --------------------------------------------------------------- summary
    def summary(self) -> dict[str, Any]:
        """The stable JSON structure (see README): add keys freely, never rename."""
        d = self.draws_
        rep = d["repayment"]
        sc = self.scenario
        max_rep = _max_repayment(sc)
        q = np.quantile(rep, [0.05, 0.5, 0.95])
        targets = {}
        for t in sc.contract.targets:
            p, se = self.p(f"met:{t.id}")
            den = d[f"denominator:{t.id}"]
            rate = np.divide(d[f"achieved:{t.id}"], den, out=np.full(den.shape, np.nan), where=den > 0)
            rq = np.nanquantile(rate, [0.05, 0.5, 0.95]) if np.isfinite(rate).any() else [np.nan] * 3
            targets[t.id] = {"p_met": p, "p_met_se": se, "rate_mean": float(np.nanmean(rate)),
                             "rate_q05": float(rq[0]), "rate_q50": float(rq[1]), "rate_q95": float(rq[2]),
                             "threshold": t.threshold, "indicator": t.indicator,
                             "denominator": t.denominator, "rule": t.rule}
        net = d["net_pv"]
        pn, pn_se = self.p_neutral
        mult = d["fund_multiple"]
        return {
            "simkit_version": self.provenance.simkit_version,
            "scenario": {"name": sc.name, "sha256": sc.sha256, "sources": list(sc.sources)},
            "seed": self.provenance.seed,
            "draws": self.n,
            "nested": list(self.provenance.nested) if self.provenance.nested else None,
            "currency": sc.currency,
            "targets": targets,
            "repayment": {
                "mean": float(rep.mean()), "sd": float(rep.std(ddof=1)) if rep.size > 1 else 0.0,
                "q05": float(q[0]), "q50": float(q[1]), "q95": float(q[2]),
                "p_full": float(np.mean(rep >= max_rep * (1 - 1e-12))) if max_rep > 0 else 0.0,
                "p_none": float(np.mean(rep <= 0)),
                "max_possible": max_rep,
                "mean_pv": float(d["repayment_pv"].mean()),
            },
            "budget": {
                "net_mean": float(net.mean()),
                "net_q05": float(np.quantile(net, 0.05)),
                "net_q95": float(np.quantile(net, 0.95)),
                "p_neutral": pn, "p_neutral_se": pn_se,
                "horizon_years": sc.budget.horizon_years,
                "savings_mean": float(d["savings_pv"].mean()),
                "uncovered_cost_mean": float(d["uncovered_pv"].mean()),
                "avoided_bau_cost_mean": float(d["bau_cost_pv"].mean()),
                "repayment_pv_mean": float(d["repayment_pv"].mean()),
                "break_even_year": self.break_even_year(),
                "curve_draws": int(self.curve_.shape[0]),
                "discount_rate": sc.budget.discount_rate,
            },
            **({"cash": self._cash_summary()} if self.cash_ is not None and self.cash_.size else {}),
            "fund": {
                "multiple_mean": float(mult.mean()),
                "p_loss": float(np.mean(mult < 1.0)),
                "irr_median": float(np.median(d["fund_irr"])),
                "grant": sc.contract.grant,
            },
        }

    def _cash_summary(self) -> dict[str, Any]:
        """Cash view: per point (budget year end, repayment date) the mean, 5 %/95 % and P(< 0)."""
        pts = self.scenario.cash_points()
        c = self.cash_
        return {"points": [{"label": lab, "date": d.isoformat(), "mean": float(c[:, k].mean()),
                            "q05": float(np.quantile(c[:, k], 0.05)), "q95": float(np.quantile(c[:, k], 0.95)),
                            "p_negative": float(np.mean(c[:, k] < 0))}
                           for k, (lab, d) in enumerate(pts)],
                "draws": int(c.shape[0]), "basis": "nominal cumulative cash position of the municipality"}

    # ---------------------------------------------------------------- frames
    def to_frame(self, kind: str = "summary"):
        """Tables as pandas.

        ``kind``: ``"summary"`` (one row per headline number), ``"draws"`` (one
        row per draw), ``"targets"`` (one row per target), ``"curve"``
        (quantiles of the cumulative net effect per year).
        """
        import pandas as pd

        if kind == "draws":
            return pd.DataFrame({k: np.asarray(v) for k, v in self.draws_.items()})
        s = self.summary()
        if kind == "targets":
            return pd.DataFrame(s["targets"]).T.rename_axis("target")
        if kind == "curve":
            qs = np.quantile(self.curve_, QUANTILES, axis=0)
            df = pd.DataFrame(qs.T, columns=[f"q{int(q * 100):02d}" for q in QUANTILES])
            df.insert(0, "mean", self.curve_.mean(axis=0))
            df["p_broken_even"] = self.p_broken_even()
            df.index = pd.Index(self.year_ends, name="year")
            return df
        if kind != "summary":
            raise ValueError(f"kind must be 'summary', 'draws', 'targets' or 'curve', got {kind!r}")
        rows = []
        for tid, t in s["targets"].items():
            rows.append((f"P(target {tid} met)", t["p_met"], t["p_met_se"]))
        for k in ("mean", "sd", "q05", "q50", "q95", "p_full", "p_none"):
            rows.append((f"repayment {k}", s["repayment"][k], np.nan))
        rows.append(("P(budget-neutral)", s["budget"]["p_neutral"], s["budget"]["p_neutral_se"]))
        for k in ("net_mean", "net_q05", "net_q95"):
            rows.append((f"net budget {k}", s["budget"][k], np.nan))
        rows.append(("fund multiple mean", s["fund"]["multiple_mean"], np.nan))
        rows.append(("fund P(loss)", s["fund"]["p_loss"], np.nan))
        return pd.DataFrame(rows, columns=["quantity", "value", "mc_se"]).set_index("quantity")

    # ------------------------------------------------------------------ repr
    def text(self) -> str:
        """A plain-text summary (also what ``simkit run`` prints)."""
        s = self.summary()
        cur = s["currency"]
        r, b, f = s["repayment"], s["budget"], s["fund"]
        lines = [
            f"{s['scenario']['name']}  ({s['draws']:,} draws, seed {s['seed']}, "
            f"scenario {s['scenario']['sha256'][:12]})",
            "",
            "Payment targets                     P(met)     (MC se)   mean rate",
        ]
        for tid, t in s["targets"].items():
            lines.append(f"  {tid:<22} >= {t['threshold']:>5.0%}  {t['p_met']:>8.1%}  ({t['p_met_se']:.1%})"
                         f"   {t['rate_mean']:>8.1%}")
        lines += [
            "",
            f"Repayment to the fund ({cur}, nominal)",
            f"  mean {r['mean']:>14,.0f}   sd {r['sd']:,.0f}",
            f"  5 % / 50 % / 95 %  {r['q05']:,.0f} / {r['q50']:,.0f} / {r['q95']:,.0f}",
            f"  P(full repayment) {r['p_full']:.1%}   P(no repayment) {r['p_none']:.1%}",
            "",
            f"Municipality's net budget effect ({cur}, present value at the agreement start, "
            f"{b['horizon_years']} years, {b['discount_rate']:.1%} discount rate)",
            f"  mean {b['net_mean']:>14,.0f}   5 % {b['net_q05']:,.0f}   95 % {b['net_q95']:,.0f}",
            f"  = savings {b['savings_mean']:,.0f} + avoided activation {b['avoided_bau_cost_mean']:,.0f}"
            f" − costs not covered by the grant {b['uncovered_cost_mean']:,.0f}"
            f" − repayment {b['repayment_pv_mean']:,.0f}",
            f"  P(budget-neutral) {b['p_neutral']:.1%} (MC se {b['p_neutral_se']:.2%})"
            f"   break-even year: {b['break_even_year'] if b['break_even_year'] else 'not within the horizon'}",
            "",
            f"Fund ({cur} {f['grant']:,.0f} granted)",
            f"  expected multiple {f['multiple_mean']:.3f}   P(loss) {f['p_loss']:.1%}"
            f"   median IRR {f['irr_median']:.1%}",
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        import html

        return "<pre>" + html.escape(self.text()) + "</pre>"


def _max_repayment(sc: Scenario) -> float:
    from .contract import max_repayment

    return float(max_repayment(sc.contract))
