"""The result of a Monte Carlo run (:class:`SimulationResult`) and its small helpers."""

from __future__ import annotations

import html as _html
import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from simkit import labels
from simkit.contract import max_repayment
from simkit.errors import InputError, Problem
from simkit.neutrality import neutrality, neutrality_sentence, rate_card_lines
from simkit.results.base import Provenance, Result
from simkit.spec import Scenario
from simkit.streaming import CurveStats, RunStats, stats_of

__all__ = ["Provenance", "SimulationResult"]

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


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
class SimulationResult(Result):
    """Monte Carlo result of :func:`simkit.simulate`.

    Attributes
    ----------
    scenario : Scenario
    draws_ : dict name -> ndarray (kept draws,)
        Per-draw outputs: ``repayment`` (nominal, sum of instalments),
        ``repayment_pv``, ``savings_pv``, ``net_pv`` (the municipality's
        discounted net budget effect), ``fund_multiple``, ``fund_irr``,
        ``met:<target>``, ``achieved:<target>``, ``param:<name>``, ... for
        the first :attr:`n_kept` draws (all of them unless the run was
        streamed: :attr:`complete`).
    curve_ : ndarray (curve draws, years)
        Cumulative discounted net budget effect at each year end, for the
        first ``curve_draws`` draws.
    provenance : Provenance
    stats_ : RunStats, optional
        The streamed run's accumulators (:mod:`simkit.streaming`); ``None``:
        computed from ``draws_`` when first needed.
    """

    scenario: Scenario = field(repr=False)
    draws_: Mapping[str, np.ndarray] = field(repr=False)
    curve_: np.ndarray = field(repr=False)
    provenance: Provenance
    #: (curve draws, cash points): the municipality's cumulative nominal cash position at each budget
    #: year's end and each repayment date (declarative-model scenarios; ``None`` otherwise)
    cash_: np.ndarray | None = field(default=None, repr=False)
    stats_: RunStats | None = field(default=None, repr=False, compare=False)
    #: a streamed run's summaries of every draw's curve and cash view (:class:`simkit.streaming.CurveStats`);
    #: when set, the curve and cash figures come from them, not from the kept ``curve_`` / ``cash_``
    curve_stats_: CurveStats | None = field(default=None, repr=False, compare=False)
    cash_stats_: CurveStats | None = field(default=None, repr=False, compare=False)

    # ---------------------------------------------------------------- basics
    @property
    def n(self) -> int:
        """Number of draws of the run (kept in memory or not).

        Examples
        --------
        >>> import simkit
        >>> res = simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=200, seed=1)
        >>> res.n
        200
        """
        return int(self.provenance.draws)

    @property
    def n_kept(self) -> int:
        """Number of draws whose per-draw arrays are in :attr:`draws_` (the first ones).

        Examples
        --------
        >>> import simkit
        >>> res = simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=200, seed=1)
        >>> res.n_kept  # all draws are kept unless the run was streamed
        200
        """
        rep = self.draws_.get("repayment")
        return 0 if rep is None else int(rep.size)

    @property
    def complete(self) -> bool:
        """True when :attr:`draws_` holds every draw of the run (it was not streamed).

        Examples
        --------
        >>> import simkit
        >>> res = simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=200, seed=1)
        >>> res.complete
        True
        """
        return self.n_kept == self.n

    @cached_property
    def stats(self) -> RunStats:
        """Mergeable summary of every draw (:class:`simkit.streaming.RunStats`).

        Examples
        --------
        >>> import simkit
        >>> res = simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=200, seed=1)
        >>> type(res.stats).__name__
        'RunStats'
        """
        return self.stats_ if self.stats_ is not None else stats_of(self.scenario, self.draws_)

    def require_draws(self, what: str) -> Mapping[str, np.ndarray]:
        """``draws_``, or an InputError naming ``what`` when the run was streamed (not every draw kept).

        Examples
        --------
        >>> import simkit
        >>> res = simkit.simulate(draws=2_048, seed=1, keep_draws=1_024)
        >>> res.require_draws("this analysis")  # doctest: +IGNORE_EXCEPTION_DETAIL
        Traceback (most recent call last):
        simkit.errors.InputError: keep_draws: ...
        """
        if not self.complete:
            raise InputError(Problem("keep_draws", self.n_kept,
                                     f"every draw ({self.n:,}) for {what}: run simulate(..., keep_draws=True) "
                                     "or use fewer draws"))
        return self.draws_

    @property
    def _clusters(self) -> int | None:
        return self.provenance.nested[0] if self.provenance.nested else None

    def p(self, key: str) -> tuple[float, float]:
        """Mean and Monte Carlo SE of a per-draw array (e.g. ``met:edu_work``), over every draw.

        Examples
        --------
        >>> import simkit
        >>> res = simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=200, seed=1)
        >>> p, se = res.p("met:edu_work")
        >>> 0 <= p <= 1 and se > 0
        True
        """
        if self._clusters or key not in self.stats:
            return mean_and_se(self.require_draws(f"the mean of {key!r}")[key], self._clusters)
        return self.stats.mean_and_se(key)

    @property
    def target_ids(self) -> list[str]:
        """List the contract's target ids.

        Examples
        --------
        >>> import simkit
        >>> res = simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=200, seed=1)
        >>> res.target_ids
        ['completion', 'edu_work']
        """
        return [t.id for t in self.scenario.contract.targets]

    @property
    def p_neutral(self) -> tuple[float, float]:
        """P(net budget effect >= 0) and its Monte Carlo SE.

        Examples
        --------
        >>> import simkit
        >>> res = simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=200, seed=1)
        >>> p, se = res.p_neutral
        >>> 0 <= p <= 1 and se >= 0
        True
        """
        if self._clusters:
            return mean_and_se(self.draws_["net_pv"] >= 0, self._clusters)
        return self.stats.mean_and_se("is:neutral")

    def quantiles(self, key: str, qs: Sequence[float]) -> list[float]:
        """Quantiles of a per-draw output over every draw (numpy's default method).

        Exact when every draw is kept; from the stream's sketch otherwise,
        within the bound of :mod:`simkit.streaming` (relative 1e-4). nan
        values are left out (``nanquantile``).

        Examples
        --------
        >>> import simkit
        >>> res = simkit.simulate(draws=2_048, seed=1)
        >>> res.quantiles("repayment", [0.5]) == [float(np.quantile(res.draws_["repayment"], 0.5))]
        True
        """
        if self.complete:
            x = np.asarray(self.draws_[key], dtype=float) if key in self.draws_ else self._derived(key)
            if not np.isfinite(x).any() and np.isnan(x).all():
                return [math.nan] * len(qs)
            return [float(v) for v in np.nanquantile(x, list(qs))]
        return [self.stats.quantile(key, q) for q in qs]

    def _derived(self, key: str) -> np.ndarray:
        if key.startswith("rate:"):
            tid = key[5:]
            den = self.draws_[f"denominator:{tid}"]
            return np.divide(self.draws_[f"achieved:{tid}"], den, out=np.full(den.shape, np.nan), where=den > 0)
        raise KeyError(key)

    @property
    def year_ends(self) -> np.ndarray:
        """Year numbers (1..horizon) of the curve columns.

        Examples
        --------
        >>> import simkit
        >>> res = simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=200, seed=1)
        >>> res.year_ends[:3].tolist()
        [1, 2, 3]
        """
        return np.arange(1, self.curve_.shape[1] + 1)

    def break_even_year(self) -> int | None:
        """First year end from which the *expected* cumulative net effect stays >= 0 (None: never).

        Examples
        --------
        >>> import simkit
        >>> res = simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=200, seed=1)
        >>> res.break_even_year() in (None, *res.year_ends.tolist())
        True
        """
        if self.curve_stats_ is not None and self.curve_stats_.n:
            mean = self.curve_stats_.mean()
        elif self.curve_.shape[0] == 0:
            return None
        else:
            mean = self.curve_.mean(axis=0)
        ok = mean >= 0
        for y in range(len(ok)):
            if ok[y:].all():
                return int(y + 1)
        return None

    def p_broken_even(self) -> np.ndarray:
        """P(cumulative net effect >= 0) at each year end.

        Examples
        --------
        >>> import simkit
        >>> res = simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=200, seed=1)
        >>> res.p_broken_even().shape == res.year_ends.shape
        True
        """
        if self.curve_stats_ is not None and self.curve_stats_.n:
            return self.curve_stats_.p_nonnegative()
        if self.curve_.shape[0] == 0:
            return np.full(self.curve_.shape[1], np.nan)
        return (self.curve_ >= 0).mean(axis=0)

    # --------------------------------------------------------------- summary
    def summary(self) -> dict[str, Any]:
        """Return the stable JSON structure (see README): add keys freely, never rename.

        Examples
        --------
        >>> import simkit
        >>> res = simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=200, seed=1)
        >>> s = res.summary()
        >>> s["draws"], s["seed"], sorted(s["targets"])
        (200, 1, ['completion', 'edu_work'])
        """
        st = self.stats
        sc = self.scenario
        max_rep = _max_repayment(sc)
        q = self.quantiles("repayment", [0.05, 0.5, 0.95])
        targets = {}
        for t in sc.contract.targets:
            p, se = self.p(f"met:{t.id}")
            rq = self.quantiles(f"rate:{t.id}", [0.05, 0.5, 0.95])
            targets[t.id] = {"p_met": p, "p_met_se": se,
                             "rate_mean": st.mean(f"rate:{t.id}", skip_nonfinite=True),
                             "rate_q05": float(rq[0]), "rate_q50": float(rq[1]), "rate_q95": float(rq[2]),
                             "threshold": t.threshold, "indicator": t.indicator,
                             "denominator": t.denominator, "rule": t.rule}
        nq = self.quantiles("net_pv", [0.05, 0.95])
        pn, pn_se = self.p_neutral
        return {
            "simkit_version": self.provenance.simkit_version,
            "scenario": {"name": sc.name, "sha256": sc.sha256, "sources": list(sc.sources)},
            "seed": self.provenance.seed,
            "draws": self.n,
            "nested": list(self.provenance.nested) if self.provenance.nested else None,
            "currency": sc.currency,
            "targets": targets,
            "repayment": {
                "mean": st.mean("repayment"), "sd": st.sd("repayment"),
                "q05": float(q[0]), "q50": float(q[1]), "q95": float(q[2]),
                "p_full": st.mean("is:full") if max_rep > 0 else 0.0,
                "p_none": st.mean("is:none"),
                "max_possible": max_rep,
                "mean_pv": st.mean("repayment_pv"),
            },
            "budget": {
                "net_mean": st.mean("net_pv"),
                "net_q05": float(nq[0]),
                "net_q95": float(nq[1]),
                "p_neutral": pn, "p_neutral_se": pn_se,
                "horizon_years": sc.budget.horizon_years,
                "savings_mean": st.mean("savings_pv"),
                "uncovered_cost_mean": st.mean("uncovered_pv"),
                "avoided_bau_cost_mean": st.mean("bau_cost_pv"),
                "repayment_pv_mean": st.mean("repayment_pv"),
                "break_even_year": self.break_even_year(),
                "curve_draws": int(self.curve_.shape[0]),
                "discount_rate": sc.budget.discount_rate,
                "neutrality": neutrality(self),
            },
            **({"cash": self._cash_summary()} if (self.cash_ is not None and self.cash_.size) or (
                self.cash_stats_ is not None and self.cash_stats_.n) else {}),
            "fund": {
                "multiple_mean": st.mean("fund_multiple"),
                "p_loss": st.mean("is:loss"),
                "irr_median": self._irr_median(),
                "grant": sc.contract.grant,
            },
        }

    def _irr_median(self) -> float:
        """Median IRR (numpy's median: nan if any draw's IRR is nan)."""
        if self.complete:
            return float(np.median(self.draws_["fund_irr"]))
        return math.nan if self.stats.sketches["fund_irr"].nan else self.stats.quantile("fund_irr", 0.5)

    def _cash_summary(self) -> dict[str, Any]:
        """Cash view: per point (budget year end, repayment date) the mean, 5 %/95 % and P(< 0)."""
        pts = self.scenario.cash_points()  # type: ignore[attr-defined]  # cash_ is set only for version-2 (ModelScenario) runs
        cs = self.cash_stats_
        if cs is not None and cs.n:  # a streamed run: every draw's cash view, summarised
            mean, q05, q95, neg = cs.mean(), cs.quantile(0.05), cs.quantile(0.95), cs.p_negative()
            return {"points": [{"label": lab, "date": d.isoformat(), "mean": float(mean[k]), "q05": float(q05[k]),
                                "q95": float(q95[k]), "p_negative": float(neg[k])} for k, (lab, d) in enumerate(pts)],
                    "draws": int(cs.n), "basis": "nominal cumulative cash position of the municipality"}
        c: np.ndarray = self.cash_  # type: ignore[assignment]  # called only when cash_ is set
        return {"points": [{"label": lab, "date": d.isoformat(), "mean": float(c[:, k].mean()),
                            "q05": float(np.quantile(c[:, k], 0.05)), "q95": float(np.quantile(c[:, k], 0.95)),
                            "p_negative": float(np.mean(c[:, k] < 0))}
                           for k, (lab, d) in enumerate(pts)],
                "draws": int(c.shape[0]), "basis": "nominal cumulative cash position of the municipality"}

    # ---------------------------------------------------------------- frames
    def to_frame(self, kind: str = "summary", *, lang: str | None = None):
        """Tables as pandas, with numeric dtypes.

        Parameters
        ----------
        kind : {"summary", "draws", "targets", "curve"}
            ``"summary"``: the headline numbers in long format, one row per
            number, indexed by its path in :meth:`summary` (``"budget.p_neutral"``,
            ``"targets.edu_work.p_met"``), with columns ``group``
            (targets / repayment / budget / fund), ``target`` (the target id or
            empty), ``quantity`` (the summary key), ``label`` (plain language),
            ``unit`` and the float columns ``value`` and ``mc_se`` (Monte Carlo
            standard error where there is one). Each row has one unit:
            ``"probability"`` and ``"share"`` are numbers in [0, 1], money is in
            the scenario's currency (``"DKK"``; present values in the budget
            group, nominal in the repayment group), ``"multiple"`` is a ratio.
            Select one unit with ``df[df.unit == "DKK"]``.
            ``"draws"``: one row per draw. ``"targets"``: one row per target
            (float columns for probabilities, rates and thresholds, string
            columns for the indicator, denominator and rule). ``"curve"``:
            quantiles of the cumulative net effect per year (currency).
        lang : {"da", "en"}, optional
            Language of the ``label`` column (default :func:`simkit.labels.language`).

        Examples
        --------
        >>> import simkit
        >>> df = simkit.simulate(draws=1_000, seed=1).to_frame()
        >>> df.loc["budget.p_neutral", ["unit", "group"]].tolist()
        ['probability', 'budget']
        >>> str(df["value"].dtype)
        'float64'
        """
        import pandas as pd  # start-up speed: pandas loads only when a frame is asked for

        if kind == "draws":  # the kept draws (all of them unless the run was streamed)
            return pd.DataFrame({k: np.asarray(v) for k, v in self.draws_.items()})
        s = self.summary()
        if kind == "targets":
            df = pd.DataFrame.from_dict(s["targets"], orient="index").rename_axis("target")
            for c in df.columns:
                df[c] = df[c].astype("string") if c in ("indicator", "denominator", "rule") else \
                    pd.to_numeric(df[c]).astype(float)
            return df
        if kind == "curve":
            cst = self.curve_stats_
            streamed = cst is not None and cst.n > 0
            qs = np.array([cst.quantile(q) for q in QUANTILES]) if cst is not None and streamed else \
                np.quantile(self.curve_, QUANTILES, axis=0)
            df = pd.DataFrame(qs.T, columns=[f"q{int(q * 100):02d}" for q in QUANTILES])
            df.insert(0, "mean", cst.mean() if cst is not None and streamed else self.curve_.mean(axis=0))
            df["p_broken_even"] = self.p_broken_even()
            df.index = pd.Index(self.year_ends, name="year")
            return df
        if kind != "summary":
            raise ValueError(f"kind must be 'summary', 'draws', 'targets' or 'curve', got {kind!r}")
        lang = lang or labels.language()
        rows = [(f"{g}.{t + '.' if t else ''}{q}", g, t, q, labels.label(f"{g}.{q}", lang, kind="outputs"),
                 _unit_name(f"{g}.{q}", s["currency"]), float(v), float(se))
                for g, t, q, v, se in _summary_rows(s)]
        df = pd.DataFrame(rows, columns=["key", "group", "target", "quantity", "label", "unit", "value",
                                         "mc_se"]).set_index("key")
        for c in ("group", "target", "quantity", "label", "unit"):
            df[c] = df[c].astype("string")
        return df

    def to_dict(self) -> dict[str, Any]:
        """Return the stable JSON structure: :meth:`summary` with a ``"provenance"`` entry.

        Returns
        -------
        dict

        Examples
        --------
        >>> import simkit
        >>> res = simkit.simulate(draws=200, seed=3, curve_draws=0)
        >>> d = res.to_dict()
        >>> d["provenance"]["seed"], d["draws"], {k: v for k, v in d.items() if k != "provenance"} == res.summary()
        (3, 200, True)
        """
        return {**self.summary(), "provenance": self.provenance.as_dict()}

    # ------------------------------------------------------------------ repr
    def text(self) -> str:
        """Write a plain-text summary (also what ``simkit run`` prints).

        Examples
        --------
        >>> import simkit
        >>> res = simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=200, seed=1)
        >>> res.text().splitlines()[0].endswith("(200 draws, seed 1, scenario " + res.scenario.sha256[:12] + ")")
        True
        """
        s = self.summary()
        cur = s["currency"]
        r, b, f = s["repayment"], s["budget"], s["fund"]
        lines = [
            f"{s['scenario']['name']}  ({s['draws']:,} draws, seed {s['seed']}, "
            f"scenario {s['scenario']['sha256'][:12]})",
        ]
        if s["targets"]:
            lines += ["", "Payment targets                     P(met)     (MC se)   mean rate"]
        for tid, t in s["targets"].items():
            lines.append(f"  {tid:<22} >= {t['threshold']:>5.0%}  {t['p_met']:>8.1%}  ({t['p_met_se']:.1%})"
                         f"   {t['rate_mean']:>8.1%}")
        lines += rate_card_lines(self)
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
            *textwrap.wrap(b["neutrality"]["condition"], 100, initial_indent="  ", subsequent_indent="  "),
            "",
            f"Fund ({cur} {f['grant']:,.0f} granted)",
            f"  expected multiple {f['multiple_mean']:.3f}   P(loss) {f['p_loss']:.1%}"
            f"   median IRR {f['irr_median']:.1%}",
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        """Return the plain-text summary."""
        return self.text()

    def to_html(self, lang: str | None = None) -> str:
        """Format the headline numbers as an HTML table, labelled and formatted in ``lang``.

        This is the notebook display (``_repr_html_``), in the language of
        :func:`simkit.labels.language` (Danish unless set).

        Examples
        --------
        >>> import simkit
        >>> html = simkit.simulate(draws=1_000, seed=1).to_html("en")
        >>> html.startswith("<table") and "Probability that the agreement is budget-neutral" in html
        True
        """
        lang = lang or labels.language()
        s = self.summary()
        cur = s["currency"]
        e = _html.escape
        head = {"da": ("Størrelse", "Værdi", "MC-standardfejl"), "en": ("Quantity", "Value", "MC standard error")}
        cap = {"da": "{name} — {draws} simuleringer, seed {seed}, scenarie {sha}",
               "en": "{name} — {draws} draws, seed {seed}, scenario {sha}"}[lang].format(
            name=e(s["scenario"]["name"]), draws=labels.format_number(s["draws"], lang), seed=s["seed"],
            sha=s["scenario"]["sha256"][:12])
        body, group = [], None
        for g, t, q, v, se in _summary_rows(s):
            if g != group:
                group = g
                body.append(f'<tr><th colspan="3" style="text-align:left">{e(labels.label(g, lang, kind="columns"))}'
                            "</th></tr>")
            name = labels.label(f"{g}.{q}", lang, kind="outputs")
            if t:
                name = f"{labels.label(t, lang, kind='targets', scenario=self.scenario)}: {name.lower()}"
            val = labels.format_value(f"{g}.{q}", v, lang, kind="outputs", currency=cur)
            err = labels.format_percent(se, lang, decimals=2) if np.isfinite(se) else ""
            body.append(f'<tr><td style="text-align:left">{e(name)}</td><td style="text-align:right">'
                        f'{e(val)}</td><td style="text-align:right">{e(err)}</td></tr>')
        h = "".join(f"<th>{e(x)}</th>" for x in head[lang])
        neu = s["budget"]["neutrality"]
        cond = neutrality_sentence(neu, lang, currency=cur, indicator_label=labels.label(
            neu["indicator"], lang, kind="indicators", scenario=self.scenario) if neu["indicator"] else None)
        return (f'<table class="simkit-result"><caption style="text-align:left">{cap}</caption>'
                f"<thead><tr>{h}</tr></thead><tbody>{''.join(body)}</tbody>"
                f'<tfoot><tr><td colspan="3" style="text-align:left">{e(cond)}</td></tr></tfoot></table>')

    def _repr_html_(self) -> str:
        return self.to_html()


_SUMMARY_KEYS = {
    "targets": ("threshold", "p_met", "rate_mean", "rate_q05", "rate_q50", "rate_q95"),
    "repayment": ("mean", "sd", "q05", "q50", "q95", "p_full", "p_none", "max_possible", "mean_pv"),
    "budget": ("net_mean", "net_q05", "net_q95", "p_neutral", "savings_mean", "avoided_bau_cost_mean",
               "uncovered_cost_mean", "repayment_pv_mean"),
    "fund": ("grant", "multiple_mean", "p_loss", "irr_median"),
}
_SE_KEYS = {"p_met": "p_met_se", "p_neutral": "p_neutral_se"}


def _summary_rows(s: Mapping[str, Any]):
    """(group, target id or "", key, value, MC SE or nan) for the headline numbers of a summary."""
    for tid, t in s["targets"].items():
        for k in _SUMMARY_KEYS["targets"]:
            yield "targets", tid, k, t[k], t.get(_SE_KEYS.get(k, ""), np.nan)
    for g in ("repayment", "budget", "fund"):
        for k in _SUMMARY_KEYS[g]:
            yield g, "", k, s[g][k], s[g].get(_SE_KEYS.get(k, ""), np.nan)


def _unit_name(key: str, currency: str) -> str:
    u = labels.unit(key, kind="outputs")
    return currency if u == "money" else u


def _sd(x: np.ndarray) -> float:
    """Sample sd, scaled first so that huge (finite) amounts do not overflow to inf in the squares."""
    if x.size < 2:
        return 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        sd = float(x.std(ddof=1))
    scale = float(np.max(np.abs(x)))
    if math.isfinite(sd) or not math.isfinite(scale):
        return sd
    return float((x / scale).std(ddof=1) * scale)


def _max_repayment(sc: Scenario) -> float:
    return float(max_repayment(sc.contract))
