"""Result objects of :func:`simkit.evaluation.evaluate`.

Per-target counts and statuses, the repayment due, disability pension, quality of life,
provenance, and :class:`EvaluationResult` with its tables, JSON, text and notebook view.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from simkit.evaluation.constants import LEVEL, MIN_CELL, UNDECIDED
from simkit.evaluation.data import _check_min_cell
from simkit.evaluation.render import _ci, _count, _pct, _prob, _render_note


@dataclass(frozen=True)
class PredictiveGroup:
    """Pending persons who share one unknown success probability ``p``.

    ``basis`` says where ``p`` comes from: ``"data"`` — ``p ~ Beta(a, b)``,
    the prior updated with ``reference_successes`` of ``reference_trials``
    comparable resolved cases; ``"scenario"`` — ``p`` takes the value the
    simulated scenario implies under each of ``parameter_sets`` parameter
    sets (equally likely; ``a`` and ``b`` are then ``None``). ``mean`` and
    ``sd`` describe ``p`` either way.
    """

    name: str
    size: int
    basis: str
    mean: float
    sd: float
    a: float | None = None
    b: float | None = None
    reference_successes: int | None = None
    reference_trials: int | None = None
    parameter_sets: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the fields as a dict."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class TargetEvaluation:
    """One payment target evaluated as of a date (exact counts; see the module docstring)."""

    id: str
    indicator: str
    denominator_kind: str
    threshold: float
    rule: str
    weight: float
    achieved: int
    failed: int
    pending: int
    denominator: int
    may_enter: int              # persons who may still enter the denominator (not yet referred; for
                                # 'completed' targets also those still in the course)
    final_denominator: int | None   # referred targets: the denominator at the measurement date
    needed_final: int | None        # achieved count needed at the final denominator
    rate: float                 # achieved / (achieved + failed): decided cases
    rate_of_denominator: float  # achieved / denominator (pending counted as not achieved)
    ci_low: float
    ci_high: float
    prior: tuple[float, float]
    p_rate_at_least: float
    status: str
    p_met_final: float
    p_met_final_method: str     # "decided" | "exact" | "exact_mixture" | "monte_carlo"
    worst_case: tuple[int, int]  # (achieved, denominator) at the measurement date
    best_case: tuple[int, int]
    groups: tuple[PredictiveGroup, ...] = ()
    #: ``p_met_final`` with the scenario's parameter sets equally weighted (the prior only)
    p_met_final_prior: float = math.nan

    def as_dict(self) -> dict[str, Any]:
        """Return the counts as a dict."""
        return {
            "achieved": self.achieved, "failed": self.failed, "pending": self.pending,
            "denominator": self.denominator, "rate": self.rate, "ci_low": self.ci_low,
            "ci_high": self.ci_high, "threshold": self.threshold, "status": self.status,
            "p_met_final": self.p_met_final,
            # extras
            "indicator": self.indicator, "denominator_kind": self.denominator_kind,
            "rule": self.rule, "weight": self.weight, "may_enter": self.may_enter,
            "final_denominator": self.final_denominator, "needed_final": self.needed_final,
            "rate_of_denominator": self.rate_of_denominator, "ci_level": LEVEL,
            "ci_cases": "decided (achieved + failed)",
            "prior": list(self.prior), "p_rate_at_least": self.p_rate_at_least,
            "p_met_final_method": self.p_met_final_method,
            "p_met_final_prior": self.p_met_final_prior,
            "worst_case": {"achieved": self.worst_case[0], "denominator": self.worst_case[1]},
            "best_case": {"achieved": self.best_case[0], "denominator": self.best_case[1]},
            "predictive_groups": [g.as_dict() for g in self.groups],
        }


@dataclass(frozen=True)
class RepaymentDue:
    """Repayment due under the contract: exact when ``exact``, else bounds and expectation."""

    min: float
    max: float
    expected: float
    expected_se: float
    exact: bool
    contract_max: float
    currency: str
    draws: int

    def as_dict(self) -> dict[str, Any]:
        """Return the range as a dict."""
        return {"min": self.min, "max": self.max, "expected": self.expected,
                "expected_se": self.expected_se, "exact": self.exact,
                "contract_max": self.contract_max, "currency": self.currency,
                "predictive_draws": self.draws}


@dataclass(frozen=True)
class DisabilityPension:
    """Observed disability-pension awards by the as-of date vs the scenario's predictive."""

    observed: int
    expected: float
    low: float
    high: float
    expected_bau: float
    p_at_most_observed: float
    p_at_least_observed: float
    level: float
    draws: int

    def as_dict(self) -> dict[str, Any]:
        """Return the comparison as a dict."""
        return {"observed": self.observed, "expected": self.expected, "interval_low": self.low,
                "interval_high": self.high, "interval_level": self.level,
                "expected_bau": self.expected_bau, "p_at_most_observed": self.p_at_most_observed,
                "p_at_least_observed": self.p_at_least_observed, "scenario_draws": self.draws}


@dataclass(frozen=True)
class QualityOfLife:
    """Paired change in quality of life (follow-up − baseline)."""

    instrument: str
    n_pairs: int
    n_incomplete: int
    mean_baseline: float
    mean_followup: float
    mean_diff: float
    ci_low: float
    ci_high: float
    p_value: float
    cohen_dz: float
    dz_ci_low: float
    dz_ci_high: float
    level: float

    def as_dict(self) -> dict[str, Any]:
        """Return the fields as a dict."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class EvaluationProvenance:
    """Where an evaluation came from: enough to reproduce it exactly."""

    simkit_version: str
    scenario_name: str
    scenario_sha256: str
    scenario_sources: tuple[str, ...]
    data_source: str
    data_sha256: str | None       # of the file's bytes (None for an in-memory frame)
    data_content_sha256: str      # of the canonical content (the same for every dialect)
    as_of: dt.date
    prior: str
    seed: int
    predictive_draws: int
    scenario_draws: int

    def as_dict(self) -> dict[str, Any]:
        """Return the stable JSON structure."""
        return {"simkit_version": self.simkit_version,
                "scenario": {"name": self.scenario_name, "sha256": self.scenario_sha256,
                             "sources": list(self.scenario_sources)},
                "data": {"source": self.data_source, "sha256": self.data_sha256,
                         "content_sha256": self.data_content_sha256},
                "as_of": self.as_of.isoformat(), "prior": self.prior, "seed": self.seed,
                "predictive_draws": self.predictive_draws, "scenario_draws": self.scenario_draws}


@dataclass(frozen=True)
class EvaluationResult:
    """Result of :func:`evaluate`: counts, statuses, repayment, with provenance.

    Holds aggregates only — no person-level data. ``to_frame()`` and
    ``to_dict()`` / ``to_json()`` keep exact counts (for evaluators);
    ``publication_table()``, ``text()`` and the notebook view suppress counts
    below ``min_cell``.
    """

    scenario_name: str
    as_of: dt.date
    measurement_date: dt.date
    outcome_window_end: dt.date
    interim: bool
    n_rows: int
    n_referred: int
    n_not_yet_referred: int
    final_denominator: int
    targets: tuple[TargetEvaluation, ...]
    repayment: RepaymentDue
    disability_pension: DisabilityPension | None
    quality_of_life: QualityOfLife | None
    notes: tuple[str, ...]
    provenance: EvaluationProvenance
    min_cell: int = MIN_CELL
    currency: str = field(default="DKK")
    #: (term, value, "from the agreement" | "assumption") for every contract term the repayment uses
    terms: tuple[tuple[str, str, str], ...] = ()
    #: parameter sets of the scenario model and the effective sample size of their weights given
    #: the data (the forecast that learns; ESS = parameter_sets: the data do not discriminate)
    parameter_sets: int | None = None
    effective_sample_size: float | None = None

    # ---------------------------------------------------------------- access
    def target(self, target_id: str) -> TargetEvaluation:
        """Return the evaluation of the target ``target_id``."""
        for t in self.targets:
            if t.id == target_id:
                return t
        raise KeyError(f"no target {target_id!r}; targets are {[t.id for t in self.targets]}")

    # ---------------------------------------------------------------- tables
    def to_frame(self) -> pd.DataFrame:
        """Per-target table with exact counts (index: target id)."""
        cols = ("indicator", "denominator_kind", "threshold", "achieved", "failed", "pending",
                "denominator", "may_enter", "final_denominator", "needed_final", "rate",
                "rate_of_denominator", "ci_low", "ci_high", "p_rate_at_least", "status",
                "p_met_final", "p_met_final_method")
        rows = [{c: getattr(t, c) for c in cols} for t in self.targets]
        frame = pd.DataFrame(rows, index=pd.Index([t.id for t in self.targets], name="target"),
                             columns=list(cols))
        # None for 'completed' targets: keep whole numbers whole
        return frame.astype({"final_denominator": "Int64", "needed_final": "Int64"})

    def publication_table(self, min_cell: int | None = None) -> pd.DataFrame:
        """Per-target table for publication: small counts shown as ``"<min_cell>"``.

        Rules (``k = min_cell``, default 5):

        1. every count from 1 to ``k − 1`` (achieved, failed, pending,
           denominator) is hidden and shown as ``"<k"``; zeros are shown —
           they single out nobody, and some are structural (nothing is
           pending at the measurement date);
        2. achieved + failed + pending = denominator, so if exactly one of
           them is hidden the smallest other non-zero one is hidden too and
           shown as ``"suppressed"`` (it is not itself small);
        3. the rate, its interval and the posterior probability are hidden
           ("suppressed") when achieved or failed is, since they would reveal
           it; statuses and predictive probabilities are shown.

        All cells are text. :meth:`to_frame` and the JSON for evaluators keep
        exact counts.

        Examples
        --------
        >>> res.publication_table(min_cell=5)  # doctest: +SKIP
        """
        k = self.min_cell if min_cell is None else _check_min_cell(min_cell)
        hidden = f"<{k}"
        rows = []
        for t in self.targets:
            counts = {"achieved": t.achieved, "failed": t.failed, "pending": t.pending}
            small = {c for c, v in counts.items() if 0 < v < k}  # primary: shown as "<k"
            hide = set(small)
            if len(hide) == 1:  # secondary: shown as "suppressed" (it is not small)
                rest = sorted((v, c) for c, v in counts.items() if c not in hide and v > 0)
                if rest:
                    hide.add(rest[0][1])
            den_hidden = 0 < t.denominator < k
            if den_hidden:
                hide |= {c for c, v in counts.items() if v > 0}
                small = set(hide)
            rate_hidden = bool({"achieved", "failed"} & hide)
            row = {
                "indicator": t.indicator,
                "denominator_kind": t.denominator_kind,
                "threshold": _pct(t.threshold),
                "denominator": hidden if den_hidden else str(t.denominator),
                **{c: (hidden if c in small else "suppressed" if c in hide else str(v))
                   for c, v in counts.items()},
                "rate": "suppressed" if rate_hidden else _pct(t.rate),
                "95% CI": "suppressed" if rate_hidden else _ci(t.ci_low, t.ci_high),
                "P(rate>=target)": "suppressed" if rate_hidden else _prob(t.p_rate_at_least),
                "status": t.status,
                "P(met at measurement)": _prob(t.p_met_final),
            }
            rows.append(row)
        return pd.DataFrame(rows, index=pd.Index([t.id for t in self.targets], name="target"))

    # ---------------------------------------------------------------- JSON
    def to_dict(self) -> dict[str, Any]:
        """Return the JSON structure of the issue (exact counts), plus extras."""
        return {
            "as_of": self.as_of.isoformat(),
            "n_referred": self.n_referred,
            "targets": {t.id: t.as_dict() for t in self.targets},
            "repayment_due": self.repayment.as_dict(),
            # extras
            "interim": self.interim,
            "measurement_date": self.measurement_date.isoformat(),
            "outcome_window_end": self.outcome_window_end.isoformat(),
            "n_rows": self.n_rows,
            "n_not_yet_referred": self.n_not_yet_referred,
            "final_denominator": self.final_denominator,
            "disability_pension": (self.disability_pension.as_dict()
                                   if self.disability_pension else None),
            "quality_of_life": self.quality_of_life.as_dict() if self.quality_of_life else None,
            "notes": list(self.notes),
            "terms": [{"term": a, "value": b, "basis": c} for a, b, c in self.terms],
            "parameter_sets": self.parameter_sets,
            "effective_sample_size": self.effective_sample_size,
            "provenance": self.provenance.as_dict(),
        }

    def to_json(self, indent: int = 2) -> str:
        """:meth:`to_dict` as JSON text (NaN and infinities become ``null``)."""
        from simkit.io.files import to_jsonable

        return json.dumps(to_jsonable(self.to_dict()), indent=indent, ensure_ascii=False,
                          allow_nan=False)

    # ---------------------------------------------------------------- text
    def _summary_lines(self, k: int) -> list[str]:
        kind = ("interim evaluation; measurement date " + self.measurement_date.isoformat()
                if self.interim else "at the measurement date")
        lines = [
            f"As of {self.as_of.isoformat()} ({kind}).",
            f"Referred by then: {_count(self.n_referred, k)} of {_count(self.n_rows, k)} rows; "
            f"final denominator {_count(self.final_denominator, k)}"
            + (f" (not yet referred: {_count(self.n_not_yet_referred, k)})."
               if self.n_not_yet_referred
               else "."),
        ]
        open_ = [t for t in self.targets if t.status == UNDECIDED]
        if self.interim and open_ and self.effective_sample_size is not None:
            lines.append(
                "Forecast learning from the data: the scenario's " + f"{self.parameter_sets:,} parameter sets "
                "weighted by how well each explains the completion statuses and first starts so far "
                f"(effective sample size {self.effective_sample_size:,.0f} of {self.parameter_sets:,}); "
                + "; ".join(f"{t.id}: P(met at measurement) {_prob(t.p_met_final)} (prior only: "
                            f"{_prob(t.p_met_final_prior)})" for t in open_) + ".")
        r = self.repayment
        cur = r.currency
        if r.exact:
            lines.append(f"Repayment due: {r.expected:,.0f} {cur} (contract maximum {r.contract_max:,.0f}); "
                         "the count arithmetic is exact, the amount rests on the contract terms below.")
        else:
            lines.append(f"Repayment due: between {r.min:,.0f} and {r.max:,.0f} {cur}; expected "
                         f"{r.expected:,.0f} (predictive model, {r.draws:,} draws, MC s.e. "
                         f"{r.expected_se:,.0f}); on the contract terms below.")
        if self.terms:
            lines.append("Contract terms used: " + "; ".join(f"{a} {b} ({c})" for a, b, c in self.terms) + ".")
            if any(c == "assumption" for _, _, c in self.terms):
                lines.append("Terms marked 'assumption' are not the agreement's: the amount is illustrative "
                             "until the real terms are entered.")
        d = self.disability_pension
        if d is not None:
            obs = _count(d.observed, k)
            lines.append(
                f"Disability-pension awards by {self.as_of.isoformat()}: observed {obs}; the "
                f"scenario expects {d.expected:.1f} ({d.level:.0%} predictive interval "
                f"{d.low:.0f}–{d.high:.0f}); business as usual {d.expected_bau:.1f}.")
        q = self.quality_of_life
        if q is not None:
            if q.n_pairs < k:  # too few to publish a mean
                lines.append(f"Quality of life ({q.instrument}): fewer than {k} complete pairs; "
                             "not shown.")
            else:
                lines.append(
                    f"Quality of life ({q.instrument}): {q.n_pairs} complete pairs; mean change "
                    f"{q.mean_diff:+.2f} ({q.level:.0%} CI {q.ci_low:+.2f} to {q.ci_high:+.2f}; "
                    f"p = {q.p_value:.3g}); effect size d_z {q.cohen_dz:.2f} "
                    f"({q.dz_ci_low:.2f} to {q.dz_ci_high:.2f}).")
        return lines

    def text(self, min_cell: int | None = None) -> str:
        """Write a readable report with the publication table (small counts suppressed)."""
        k = self.min_cell if min_cell is None else _check_min_cell(min_cell)
        pv = self.provenance
        prior = ("Jeffreys Beta(1/2, 1/2)" if pv.prior == "jeffreys"
                 else "the scenario's prior for each rate")
        table = self.publication_table(k).drop(columns=["indicator"])
        with pd.option_context("display.width", 200, "display.max_columns", 50):
            table_text = table.to_string()
        lines = [
            f"simkit evaluation — {self.scenario_name}",
            "=" * 72,
            *self._summary_lines(k),
            "",
            table_text,
            "",
            f"Counts below {k} are shown as '<{k}' (and rates derived from them suppressed); the "
            "JSON output for evaluators keeps exact counts.",
            f"Rate, {LEVEL:.0%} Clopper–Pearson CI and P(rate>=target) use the decided cases; "
            f"prior: {prior}. P(met at measurement): posterior predictive, pending persons in "
            "groups whose rates come from the data or the scenario model (see simkit.evaluation).",
        ]
        if self.notes:
            lines += ["", "Notes:"] + [f"  - {_render_note(n, k)}" for n in self.notes]
        lines += ["", f"simkit {pv.simkit_version} · scenario sha256 {pv.scenario_sha256[:12]} · "
                      f"data {pv.data_source} sha256 "
                      f"{(pv.data_sha256 or pv.data_content_sha256)[:12]} · seed {pv.seed}"]
        return "\n".join(lines)

    def __str__(self) -> str:
        """Return the readable report."""
        return self.text()

    def _repr_html_(self) -> str:
        k = self.min_cell
        pv = self.provenance
        table = self.publication_table(k).drop(columns=["indicator"]).to_html(escape=True)
        items = "".join(f"<li>{html.escape(s)}</li>" for s in self._summary_lines(k))
        notes = "".join(f"<li>{html.escape(_render_note(n, k))}</li>" for n in self.notes)
        return (
            f"<b>Evaluation — {html.escape(self.scenario_name)}</b><ul>{items}</ul>{table}"
            f"<small>Counts below {k} shown as '&lt;{k}'; <code>to_frame()</code> and "
            "<code>to_json()</code> keep exact counts.</small>"
            + (f"<br><small>Notes:</small><ul><small>{notes}</small></ul>" if notes else "")
            + f"<br><small>simkit {html.escape(pv.simkit_version)} · scenario sha256 "
              f"{pv.scenario_sha256[:12]}… · data sha256 "
              f"{(pv.data_sha256 or pv.data_content_sha256)[:12]}… · prior {pv.prior} · "
              f"seed {pv.seed}</small>"
        )

    def __repr__(self) -> str:
        """Return a short summary."""
        parts = ", ".join(f"{t.id}={t.status}" for t in self.targets)
        return (f"EvaluationResult(as_of={self.as_of.isoformat()}, n_referred={self.n_referred}, "
                f"{parts}, repayment_expected={self.repayment.expected:,.0f})")
