"""Evaluate observed participant data against the payment targets.

The evaluator's questions, answered from the data a municipality reports
(one row per referred person, :mod:`simkit.io.observed`) and the scenario's
contract (:mod:`simkit.spec`):

* per payment target, as of a date: how many achieved, failed, are pending,
  and whether the target is already **met** (guaranteed whatever the pending
  cases do), **not met** (out of reach even if every pending case succeeds)
  or **undecided**;
* what the data say about the underlying rate: an exact Clopper–Pearson
  interval and the posterior probability that the rate reaches the target;
* at an interim date, the probability that each target is met at the
  measurement date (a posterior predictive model, below);
* the repayment due under the contract: exact once everything is decided,
  otherwise its minimum, maximum and expected value;
* disability-pension awards against what the scenario expects, and the
  change in quality of life.

Every status comes from :mod:`simkit.indicators` — the one definition the
simulation uses too. Dates become **days since the agreement start**; a
spell's end date is its last day (inclusive) and a blank end date means
"still running". Nothing person-level ever leaves this module: the result
holds counts only, and person ids and spreadsheet rows appear in no output.

Denominators
------------
*As of* the as-of date the denominator of a ``referred`` target is everyone
referred by then (``denominator``), and ``achieved + failed + pending =
denominator``. At the measurement date it will be the **final denominator**:
everyone referred by then. Before the last intake window has closed the
final denominator is taken as ``max(cohort size, rows in the data)``, the
persons not yet referred counting as pending; afterwards it is the number of
rows (persons in the data referred after the as-of date are still to come).
For a ``completed`` target (education/work among completers) the
denominator is the number of completers; persons still in the course, or not
yet referred, may still enter it.

Met / not met
-------------
``met`` means the target is reached in the worst case and ``not_met`` that
it is missed in the best case, over every way the pending (and not yet
referred) persons can still turn out. For a ``referred`` target the worst
case is "every pending person fails" and the best "every pending person
succeeds". For a ``completed`` target an extra completer who fails *lowers*
the rate: the worst case lets every person still in the course complete
without a qualifying spell (unless they already have one, in which case they
drop out), and the best case lets every person who can still succeed
complete and succeed, and every person who has already failed drop out.

Intervals and posterior
-----------------------
``rate`` is ``achieved / (achieved + failed)``, the estimate the interval
belongs to; ``rate_of_denominator`` is ``achieved / denominator`` (pending
counted as not achieved). The 95 % Clopper–Pearson interval and the posterior ``P(rate >= target)``
use the **decided** cases only: ``k = achieved``, ``n = achieved + failed``
(for a ``completed`` target: completers with / without a qualifying spell).
The posterior is ``Beta(a + k, b + n − k)`` with the Jeffreys prior
``Beta(1/2, 1/2)`` (default) or, with ``prior="scenario"``, the scenario's
prior for the rate: the ``completion_rate`` distribution itself when it is a
beta (or fixed: a point mass, approximated by a Beta with concentration
10^6), otherwise a beta with the mean and variance of the rate implied by
the scenario's parameter distributions (simulated; binomial noise removed).
At the measurement date every case is decided. At an interim date the decided
cases are *not* a random sample — dropouts are decided before completions,
and a missing education/work spell is only a failure once the outcome window
has closed — so the interval then describes the decided cases only; the
interim question is answered by ``p_met_final``.

Predictive model (``p_met_final``)
----------------------------------
The persons whose status can still change are split into **groups**; the
persons of a group share one unknown success probability ``p_g``, and the
final count is the achieved count plus the successes of all groups. Groups
and where ``p_g`` comes from:

``in course or not yet referred`` (completion; basis ``"data"``)
    Persons whose course is ongoing plus persons not yet referred share the
    completion rate, ``p ~ Beta(a, b)``: the prior (Jeffreys or scenario)
    updated with a **reference set** that is not selected by outcome — the
    persons referred at least one full course length
    (``programme.course_weeks``) before the as-of date whose course status
    is known. (Persons still in the course have survived part of the dropout
    risk, so the group's rate is slightly conservative for them.)
``spell running`` (education/work; ``"data"``)
    Persons in a full-time spell that started within the window and has not
    yet lasted 26 weeks: ``P(reaching 26 weeks | running)``, a beta: the
    prior updated with the full-time spells that started within the window
    at least 26 weeks before the as-of date (so their 26-week result is
    known) and lasted at least as long as the shortest running spell so far.
``no qualifying spell yet`` and ``not yet referred`` (education/work; ``"scenario"``)
    While the outcome window is open nobody in the data has complete
    follow-up for "will they still start a qualifying spell", so these
    groups rest on the **scenario model** in both prior modes. The scenario
    is simulated with ``scenario_draws // 8`` parameter sets × 8 cohorts
    (``seed``); for each parameter set ``p_g`` is the share of simulated
    persons in the same situation on the as-of date who achieve by the
    measurement date. The two groups share the parameter set (their rates
    move together); the data do not update it.

Given the parameter set, groups are independent: a ``"data"`` group's count
is beta-binomial, a ``"scenario"`` group's binomial, and the distribution of
the total is their exact convolution (:func:`simkit.stats.prob_final_at_least`
when there are only data groups), averaged over the parameter sets. Ignored
dependence: between the data groups' rates and the scenario's parameters, and
between a person's completion and education/work outcome. A target already
met has ``p_met_final = 1``, one out of reach ``0``. For a ``completed``
target numerator and denominator are both random, so ``p_met_final`` is the
Monte Carlo estimate from the joint draws used for the expected repayment.
The JSON lists every group (``predictive_groups``: size, basis, mean, sd).

Repayment
---------
:func:`simkit.contract.repayment` on the counts. ``min`` and ``max`` put
every target (and rate-card line) at its own worst and best case (for a
``completed`` target its worst case can conflict with the completion
target's, so ``min`` is then a lower bound that may not be attainable);
``expected`` is the mean repayment over ``predictive_draws`` Monte Carlo
draws of the predictive model above, with all targets drawn jointly (seeded
with ``seed``; its Monte Carlo standard error is reported). When nothing is
pending all three are the exact amount due.

Disability pension and quality of life
--------------------------------------
Observed awards by the as-of date (among persons referred by then) against
the scenario's programme-arm predictive distribution of awards by that date
(simulated: parameter uncertainty and cohort randomness; mean and central
95 % interval) and its business-as-usual expectation. Quality of life: the
paired difference follow-up − baseline (:func:`simkit.stats.paired_difference`)
over persons referred by the as-of date with both scores, on the instrument
the scenario names.

Publication
-----------
:meth:`EvaluationResult.publication_table`, :meth:`~EvaluationResult.text` and
the notebook view show counts below ``min_cell`` (default 5) as ``"<5"``,
with secondary suppression so a hidden count cannot be recovered from the
others, and hide the rates derived from a hidden count.
:meth:`~EvaluationResult.to_frame` and :meth:`~EvaluationResult.to_dict` /
:meth:`~EvaluationResult.to_json` are for evaluators and keep exact counts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simkit import indicators as ind
from simkit import stats
from simkit.contract import max_repayment, needed_count, repayment
from simkit.errors import DataError, InputError, Problem, mask_cpr
from simkit.rng import RngLike, root_seed, stream_generator
from simkit.terms import terms_used

__all__ = [
    "PRIORS",
    "DisabilityPension",
    "EvaluationProvenance",
    "EvaluationResult",
    "PredictiveGroup",
    "QualityOfLife",
    "RepaymentDue",
    "TargetEvaluation",
    "evaluate",
]

PRIORS = ("jeffreys", "scenario")
DEFAULT_SEED = 2025
PREDICTIVE_DRAWS = 20_000
SCENARIO_DRAWS = 4_096
#: cohort realisations per parameter set in the scenario simulation
INNER = 8
MIN_CELL = 5
JEFFREYS = (0.5, 0.5)
#: concentration a + b standing in for a known rate (a fixed parameter)
KNOWN_CONCENTRATION = 1e6
LEVEL = 0.95

MET, NOT_MET, UNDECIDED = "met", "not_met", "undecided"


# --------------------------------------------------------------------------
# result objects
# --------------------------------------------------------------------------


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


def _pct(x: float) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{100 * x:.1f} %"


def _ci(lo: float, hi: float) -> str:
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "n/a"
    return f"{100 * lo:.1f}–{100 * hi:.1f} %"


def _prob(p: float) -> str:
    return "n/a" if p is None or not math.isfinite(p) else f"{p:.3f}"


def _count(n: int, k: int) -> str:
    return f"<{k}" if 0 < n < k else str(n)


class Note(str):
    """A note whose text holds exact counts; :meth:`render` suppresses the small ones.

    The string value (kept in ``to_dict()`` for evaluators) has the exact
    counts; printed text, HTML and tables use ``render(min_cell)``.

    Examples
    --------
    >>> n = Note.make("{k} row(s) referred early.", k=3)
    >>> str(n), n.render(5)
    ('3 row(s) referred early.', '<5 row(s) referred early.')
    """

    template: str
    counts: dict

    @classmethod
    def make(cls, template: str, **counts: int) -> Note:
        note = cls(template.format(**counts))
        note.template, note.counts = template, dict(counts)
        return note

    def render(self, min_cell: int) -> str:
        """Write the note with counts below ``min_cell`` shown as ``<min_cell``."""
        template = getattr(self, "template", None)
        if template is None:
            return str(self)
        return template.format(**{name: _count(int(v), min_cell) for name, v in self.counts.items()})


def _render_note(note: str, k: int) -> str:
    return note.render(k) if isinstance(note, Note) else str(note)


# --------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------


def _check_min_cell(min_cell: object) -> int:
    if isinstance(min_cell, bool) or not isinstance(min_cell, int | np.integer) or min_cell < 1:
        raise InputError(Problem("min_cell", min_cell, "a whole number >= 1 (e.g. 5)"))
    return int(min_cell)


def _parse_as_of(value: object, sc) -> dt.date:
    expected = (f"a date YYYY-MM-DD on or before the measurement date "
                f"{sc.terms.measurement_date.isoformat()} (later data do not count)")
    if value is None:
        return sc.terms.measurement_date
    if isinstance(value, pd.Timestamp):
        value = value.date()
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise InputError(Problem("as_of", value, expected)) from None
    if not isinstance(value, dt.date):
        raise InputError(Problem("as_of", value, expected))
    if value > sc.terms.measurement_date:
        raise InputError(Problem("as_of", value.isoformat(), expected))
    return value


def _load_data(data: object) -> tuple[pd.DataFrame, str, str | None]:
    """Canonical frame, source label (file name only) and the file's sha256."""
    from simkit.io.observed import read_observed, validate_observed

    if isinstance(data, pd.DataFrame):
        return validate_observed(data, "data frame"), "data frame", None
    if isinstance(data, str | os.PathLike):
        path = Path(data)
        df = read_observed(path)
        # io has validated and read the file; hash the same bytes for provenance
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        return df, path.name, digest
    raise InputError(Problem("data", type(data).__name__,
                             "a path to a .csv/.xlsx file or a pandas DataFrame"))


_EVENT_COLUMNS = ("referral_date", "course_status_date", "outcome_start", "outcome_end", "dp_award_date")


def _events_after(df: pd.DataFrame, as_of: dt.date, source: str, *, cut: bool) -> tuple[pd.DataFrame, int]:
    """Refuse dates after ``as_of`` (the data were extracted later), or cut them; returns (frame, dates cut).

    Examples
    --------
    >>> df = pd.DataFrame({"referral_date": pd.to_datetime(["2026-01-05"]), "course_status": ["completed"],
    ...                    "course_status_date": pd.to_datetime(["2026-07-06"]), "outcome_type": ["none"],
    ...                    "outcome_start": [pd.NaT], "outcome_end": [pd.NaT], "weekly_hours": [np.nan],
    ...                    "dp_award_date": [pd.NaT], "source_row": [2]})
    >>> out, n = _events_after(df, dt.date(2026, 6, 1), "x.csv", cut=True)
    >>> out["course_status"].tolist(), n
    (['ongoing'], 1)
    """
    limit = pd.Timestamp(as_of)
    # a referral after the as-of date is no event yet: that row counts as not yet referred (reported)
    late = {c: (df[c] > limit).to_numpy() for c in _EVENT_COLUMNS[1:] if c in df.columns}
    n = int(sum(v.sum() for v in late.values()))
    if not n:
        return df, 0
    if not cut:
        problems = [Problem(f"{source}: row {int(df['source_row'].iloc[i])}, column {c!r}",
                            df[c].iloc[i].date().isoformat(),
                            f"a date on or before the as-of date {as_of} (the file holds events after it: give "
                            "the date the data were extracted, or cut them with --cut-at-as-of)")
                    for c, v in late.items() for i in np.flatnonzero(v)]
        raise DataError(problems[:20], header=f"{source}: {n} date(s) after the as-of date {as_of}"
                        + (f" (first 20 shown, and {n - 20} more)" if n > 20 else ""))
    out = df.copy()
    c = late.get("course_status_date")
    if c is not None:
        out.loc[c, "course_status"] = "ongoing"
        out.loc[c, "course_status_date"] = pd.NaT
    s0 = late.get("outcome_start")
    if s0 is not None:
        out.loc[s0, "outcome_type"] = "none"
        out.loc[s0, ["outcome_start", "outcome_end"]] = pd.NaT
        out.loc[s0, "weekly_hours"] = np.nan
    for col in ("outcome_end", "dp_award_date"):
        if late.get(col) is not None:
            out.loc[late[col], col] = pd.NaT
    return out, n


def _refuse_stale(df: pd.DataFrame, sc, source: str) -> None:
    """Without an as-of date: refuse a file whose latest date is long before the measurement date."""
    dates = pd.concat([df[c] for c in _EVENT_COLUMNS if c in df.columns]).dropna()
    if dates.empty:
        return
    latest = dates.max().date()
    measurement = sc.terms.measurement_date
    open_ended = (df["course_status"] == "ongoing") | (df["outcome_type"].isin(["education", "job"])
                                                       & df["outcome_end"].isna())
    if (measurement - latest).days > 180 and bool(open_ended.any()):
        raise DataError([Problem(source, f"latest date {latest}",
                                 f"--as-of (as_of): the date the data were extracted; without it the file is "
                                 f"evaluated as of the final measurement date {measurement}, more than 180 days "
                                 "after its latest date, and its running courses and spells would be read as "
                                 "still running then")])


def _content_hash(df: pd.DataFrame) -> str:
    from simkit.io.observed import OBSERVED_COLUMNS

    cols = [c.name for c in OBSERVED_COLUMNS]
    text = df[cols].to_csv(index=False, date_format="%Y-%m-%d", lineterminator="\n")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _days(col: pd.Series, start: dt.date) -> np.ndarray:
    """Days since ``start`` as floats, NaN for a blank date."""
    v = col.to_numpy(dtype="datetime64[D]")
    out = np.full(v.shape, np.nan)
    ok = ~np.isnat(v)
    out[ok] = (v[ok] - np.datetime64(start, "D")).astype(np.int64)
    return out


# --------------------------------------------------------------------------
# person-level states (never leave this module)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _States:
    ref: np.ndarray
    completion: np.ndarray
    edu: np.ndarray
    running: np.ndarray         # edu pending because a full-time spell is running
    lasted: np.ndarray          # days a full-time spell has lasted by the as-of date (NaN: none)
    spell_start: np.ndarray     # full-time spells only (NaN otherwise)
    dp: np.ndarray
    latest_day: float


def _person_states(df: pd.DataFrame, sc, T: int) -> _States:
    start = sc.agreement.start
    W = sc.day_of(sc.terms.outcome_window_end)
    Q = sc.indicators.min_spell_days
    ref = _days(df["referral_date"], start)
    codes = {"completed": ind.COMPLETED, "dropped_out": ind.DROPPED_OUT, "ongoing": ind.ONGOING}
    course = df["course_status"].map(codes).to_numpy(dtype=np.int64)
    sday = _days(df["course_status_date"], start)
    completion = ind.completion_status(ref, course, np.where(np.isnan(sday), np.inf, sday), T)

    has_spell = df["outcome_type"].isin(["education", "job"]).to_numpy(dtype=bool)
    s0 = np.where(has_spell, _days(df["outcome_start"], start), np.nan)
    e_raw = _days(df["outcome_end"], start)
    e0 = np.where(has_spell, np.where(np.isnan(e_raw), np.inf, e_raw), np.nan)
    hours = df["weekly_hours"].to_numpy(dtype=float)
    full_time = has_spell & (np.nan_to_num(hours, nan=-1.0) >= sc.indicators.full_time_hours)
    edu = ind.edu_work_status(ref, s0, e0, full_time, T, W, Q)
    with np.errstate(invalid="ignore"):
        started = full_time & (s0 <= min(T, W))
        running = (edu == ind.PENDING) & started & (e0 > T)
        lasted = np.where(full_time & (s0 <= T), np.minimum(e0, T) - s0 + 1, np.nan)
    dp = ind.dp_status(ref, _days(df["dp_award_date"], start), T)

    all_days = np.concatenate([_days(df[c], start) for c in (
        "referral_date", "course_status_date", "outcome_start", "outcome_end", "dp_award_date")])
    latest = float(np.nanmax(all_days)) if np.isfinite(all_days).any() else math.nan
    return _States(ref, completion, edu, running, lasted, np.where(full_time, s0, np.nan), dp,
                   latest)


# --------------------------------------------------------------------------
# the scenario model (simulated once per scenario, as-of day, seed, draws)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _ScenarioModel:
    draws: int
    completion: tuple[np.ndarray, np.ndarray]      # per draw (successes, trials) at the measurement date
    edu_referred: tuple[np.ndarray, np.ndarray]
    edu_completed: tuple[np.ndarray, np.ndarray]
    no_spell: np.ndarray                           # per parameter set: P(achieve | pending, no
                                                   # running spell at as-of); NaN if never so
    future: np.ndarray                             # per parameter set: P(achieve | not referred)
    spell_days: np.ndarray                         # (draw, person) spell length in days, 0 = none
    dp: np.ndarray                                 # awards by as-of, programme arm
    dp_bau: np.ndarray


_MODEL_CACHE: dict[tuple, _ScenarioModel] = {}


def _scenario_model(sc, T: int, seed: int, draws: int) -> _ScenarioModel:
    """Simulate the scenario (nested: ``draws // INNER`` parameter sets × ``INNER`` cohorts)."""
    key = (sc.sha256, T, seed, draws)
    if key in _MODEL_CACHE:
        return _MODEL_CACHE[key]
    from simkit.engine import indicator_statuses, simulate_arrays

    M = sc.day_of(sc.terms.measurement_date)
    W = sc.day_of(sc.terms.outcome_window_end)
    outer = max(1, draws // INNER)
    out = simulate_arrays(sc, outer * INNER, seed=seed, nested=(outer, INNER), keep_persons=True,
                          curve_draws=0)
    acc: dict[str, list] = {k: [] for k in (
        "c_s", "c_n", "er_s", "er_n", "ec_s", "ec_n", "ns_s", "ns_n", "f_s", "f_n", "spell",
        "dp", "dp_bau")}
    A, NR, P = ind.ACHIEVED, ind.NOT_REFERRED, ind.PENDING
    for c in out["cohort"]:
        st_t = indicator_statuses(sc, c, T)
        st_m = indicator_statuses(sc, c, M)
        comp_m, edu_m, edu_t = st_m["completion"], st_m["edu_work"], st_t["edu_work"]
        decided_m = (comp_m == A) | (comp_m == ind.FAILED)
        acc["c_s"].append((comp_m == A).sum(1))
        acc["c_n"].append(decided_m.sum(1))
        ref_m = comp_m != NR
        acc["er_s"].append(((edu_m == A) & ref_m).sum(1))
        acc["er_n"].append(ref_m.sum(1))
        acc["ec_s"].append(((edu_m == A) & (comp_m == A)).sum(1))
        acc["ec_n"].append((comp_m == A).sum(1))
        start_day, end_day = 7 * c.start, 7 * (c.start + c.spell) - 1
        running = (edu_t == P) & c.outcome & (start_day <= min(T, W)) & (end_day > T)
        no_spell = (edu_t == P) & ~running
        acc["ns_s"].append((no_spell & (edu_m == A)).sum(1))
        acc["ns_n"].append(no_spell.sum(1))
        fut = edu_t == NR
        acc["f_s"].append((fut & (edu_m == A)).sum(1))
        acc["f_n"].append(fut.sum(1))
        acc["spell"].append(np.where(c.outcome, 7 * c.spell, 0).astype(np.int32))
        referred_t = (7 * c.referral <= T)[None, :]
        acc["dp"].append((c.dp & (7 * c.dp_week <= T) & referred_t).sum(1))
        acc["dp_bau"].append((c.dp_bau & (7 * c.dp_week <= T) & referred_t).sum(1))
    cat = {k: np.concatenate(v) for k, v in acc.items()}

    def per_set(s_key: str, n_key: str) -> np.ndarray:
        s = cat[s_key].reshape(outer, INNER).sum(1).astype(float)
        n = cat[n_key].reshape(outer, INNER).sum(1).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(n > 0, s / n, np.nan)

    model = _ScenarioModel(
        draws=outer * INNER,
        completion=(cat["c_s"], cat["c_n"]), edu_referred=(cat["er_s"], cat["er_n"]),
        edu_completed=(cat["ec_s"], cat["ec_n"]), no_spell=per_set("ns_s", "ns_n"),
        future=per_set("f_s", "f_n"), spell_days=cat["spell"], dp=cat["dp"],
        dp_bau=cat["dp_bau"],
    )
    if len(_MODEL_CACHE) > 16:
        _MODEL_CACHE.clear()
    _MODEL_CACHE[key] = model
    return model


def _moment_beta(s: np.ndarray, n: np.ndarray) -> tuple[float, float] | None:
    """Beta with the mean and between-draw variance of per-draw rates ``s/n``.

    The variance of the rate behind the draws is the variance of ``s/n``
    minus its binomial part: ``var(p) = (var(s/n) − μ(1 − μ) E[1/n]) /
    (1 − E[1/n])``. ``None`` when no draw has ``n > 0``.
    """
    s, n = np.asarray(s, dtype=float), np.asarray(n, dtype=float)
    ok = n > 0
    if not ok.any():
        return None
    s, n = s[ok], n[ok]
    mu = float(s.sum() / n.sum())
    mu = min(max(mu, 1e-6), 1 - 1e-6)
    inv = float(np.mean(1.0 / n))
    var_r = float(np.var(s / n))
    var_p = (var_r - mu * (1 - mu) * inv) / (1 - inv) if inv < 1 else 0.0
    k_max = KNOWN_CONCENTRATION
    k = mu * (1 - mu) / var_p - 1 if var_p > mu * (1 - mu) / (k_max + 1) else k_max
    k = max(k, 1e-3)
    return mu * k, (1 - mu) * k


def _scenario_prior(sc, model: _ScenarioModel, indicator: str, denominator: str) -> tuple[float, float]:
    """Return the scenario's prior for a target's rate (module docstring)."""
    from simkit.params import Beta, Fixed

    if indicator == "completion":
        dist = sc.parameters["completion_rate"].dist
        changed = any(ch.parameter == "completion_rate" for ch in sc.changes)
        if not changed and isinstance(dist, Beta):
            return float(dist.a), float(dist.b)
        if not changed and isinstance(dist, Fixed):
            mu = min(max(float(dist.value), 1e-6), 1 - 1e-6)
            return mu * KNOWN_CONCENTRATION, (1 - mu) * KNOWN_CONCENTRATION
        ab = _moment_beta(*model.completion)
    elif denominator == "completed":
        ab = _moment_beta(*model.edu_completed)
    else:
        ab = _moment_beta(*model.edu_referred)
    return ab if ab is not None else JEFFREYS


# --------------------------------------------------------------------------
# evaluation
# --------------------------------------------------------------------------


def evaluate(
    data: str | os.PathLike[str] | pd.DataFrame,
    scenario=None,
    as_of: dt.date | str | None = None,
    *,
    prior: str = "jeffreys",
    min_cell: int = MIN_CELL,
    seed: RngLike = DEFAULT_SEED,
    predictive_draws: int = PREDICTIVE_DRAWS,
    scenario_draws: int = SCENARIO_DRAWS,
    cut_at_as_of: bool = False,
    refuse_stale: bool = False,
) -> EvaluationResult:
    """Evaluate observed participant data against a scenario's payment targets.

    Parameters
    ----------
    data : path or pandas.DataFrame
        Observed data: a ``.csv`` / ``.xlsx`` file (read and validated by
        :func:`simkit.io.observed.read_observed`) or a frame (validated by
        :func:`~simkit.io.observed.validate_observed`).
    scenario : Scenario, path, name or list, optional
        The scenario whose contract and indicator settings apply (anything
        :func:`simkit.load_scenario` accepts); default the embedded one.
    as_of : date or "YYYY-MM-DD", optional
        Assessment date; default the scenario's measurement date. An earlier
        date is an **interim** evaluation: pass the date the data were
        extracted, since a blank end date or an ongoing course is read as
        "still so on the as-of date". Dates after the measurement date are
        refused (the contract is measured there).
    prior : {"jeffreys", "scenario"}
        Prior for the rates (module docstring).
    min_cell : int, default 5
        Smallest count shown in publication tables and reports.
    seed : None, int, SeedSequence or Generator
        Root seed of the scenario simulation and the predictive Monte Carlo
        (:func:`simkit.rng.root_seed`; ``None``: fresh, recorded in the
        provenance).
    predictive_draws, scenario_draws : int
        Monte Carlo draws of the predictive model (expected repayment,
        ``completed`` targets) and of the scenario (model-based groups,
        scenario prior, disability pension).
    cut_at_as_of : bool, default False
        With an ``as_of`` date, dates after it are refused (the file was
        extracted later) unless this cuts them: a later course status or
        spell start reads as not yet happened, a later end as still running;
        the number cut is a note of the result. A later referral is no
        event: that row counts as not yet referred.
    refuse_stale : bool, default False
        Without ``as_of``: refuse a file whose latest date is more than 180
        days before the measurement date while courses or spells are open
        (``simkit evaluate`` sets it; the message says which date to give).

    Returns
    -------
    EvaluationResult

    Raises
    ------
    simkit.errors.DataError
        For invalid data, listing every problem with row, column and value.
    simkit.errors.InputError
        For an invalid argument.

    Examples
    --------
    >>> import simkit
    >>> from simkit.synth import synthesize
    >>> sc = simkit.load_scenario("norddjurs_v1")  # the one-row path of the 0.1 model
    >>> res = evaluate(synthesize(sc, seed=3, as_of="2028-04-30"), sc)
    >>> res.n_referred, sorted(t.status in ("met", "not_met") for t in res.targets)
    (95, [True, True])
    """
    from simkit import __version__
    from simkit.io.scenario import load_scenario

    sc = scenario if hasattr(scenario, "contract") else load_scenario(scenario)
    problems = []
    if prior not in PRIORS:
        problems.append(Problem("prior", prior, "'jeffreys' or 'scenario'"))
    try:
        seed = root_seed(seed)
    except InputError as exc:
        problems += exc.problems
    for name, v in (("predictive_draws", predictive_draws), ("scenario_draws", scenario_draws)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1:
            problems.append(Problem(name, v, "a whole number >= 1"))
    for i, t in enumerate(sc.contract.targets):
        if t.indicator == "completion" and t.denominator == "completed":
            problems.append(Problem(f"contract.targets[{i}] ({t.id})", t.denominator,
                                    "denominator 'referred' for the completion indicator"))
    if problems:
        raise InputError(problems, header="evaluate")
    min_cell = _check_min_cell(min_cell)
    as_of_date = _parse_as_of(as_of, sc)
    if as_of_date < sc.agreement.start:
        raise InputError(Problem("as_of", as_of_date.isoformat(),
                                 f"a date on or after the agreement start {sc.agreement.start} "
                                 "(the date the data were extracted)"))
    if cut_at_as_of and as_of is None:
        raise InputError(Problem("cut_at_as_of", True, "an as-of date to cut the data at"))
    df, source, file_sha = _load_data(data)
    n_cut = 0
    if as_of is not None:
        df, n_cut = _events_after(df, as_of_date, str(source), cut=cut_at_as_of)
    elif refuse_stale:   # the command line's guard: a stale file needs an explicit --as-of
        _refuse_stale(df, sc, str(source))

    T = sc.day_of(as_of_date)
    M = sc.day_of(sc.terms.measurement_date)
    W = sc.day_of(sc.terms.outcome_window_end)
    st = _person_states(df, sc, T)
    model = _scenario_model(sc, T, int(seed), int(scenario_draws))  # type: ignore[arg-type]  # root_seed() made it an int above

    n_rows = len(df)
    referred = st.completion != ind.NOT_REFERRED
    n_referred = int(referred.sum())
    intake_end = max(w.end for w in sc.agreement.intake)
    if T >= M:
        future = 0
    elif as_of_date < intake_end:
        future = max(sc.agreement.cohort_size, n_rows) - n_referred
    else:
        future = n_rows - n_referred
    n_final = n_referred + future

    groups = _groups(sc, st, model, T, W, prior, future)
    cells = _cross_tab(st, referred)
    targets = []
    for t in sc.contract.targets:
        targets.append(_evaluate_target(sc, t, st, referred, cells, groups, model, prior, future,
                                        n_final))
    rep, p_mc = _repayment_due(sc, targets, st, referred, cells, groups, future, n_final,
                               int(seed), int(predictive_draws))  # type: ignore[arg-type]  # root_seed() made it an int above
    targets = [
        _replace(t, p_met_final=p_mc[t.id], p_met_final_method="monte_carlo")
        if t.p_met_final_method == "monte_carlo" else t
        for t in targets
    ]
    dp = _disability_pension(st, referred, model)
    qol, qol_note = _quality_of_life(df, referred, sc.indicators.qol_instrument)
    notes = _notes(sc, st, df, referred, as_of_date, n_rows, n_referred, future, targets, qol_note)
    if n_cut:
        notes.append(Note.make("{n} date(s) after the as-of date were cut (cut_at_as_of / --cut-at-as-of): "
                               "a later course status or spell start is read as not yet happened, a later "
                               "end as still running.", n=n_cut))

    prov = EvaluationProvenance(
        simkit_version=__version__, scenario_name=sc.name, scenario_sha256=sc.sha256,
        scenario_sources=tuple(sc.sources), data_source=mask_cpr(str(source)), data_sha256=file_sha,
        data_content_sha256=_content_hash(df), as_of=as_of_date, prior=prior, seed=int(seed),  # type: ignore[arg-type]  # root_seed() made it an int above
        predictive_draws=int(predictive_draws), scenario_draws=int(scenario_draws),
    )
    return EvaluationResult(
        scenario_name=sc.name, as_of=as_of_date, measurement_date=sc.terms.measurement_date,
        outcome_window_end=sc.terms.outcome_window_end, interim=T < M, n_rows=n_rows,
        n_referred=n_referred, n_not_yet_referred=int(future), final_denominator=int(n_final),
        targets=tuple(targets), repayment=rep, disability_pension=dp, quality_of_life=qol,
        notes=tuple(notes), provenance=prov, min_cell=min_cell, currency=sc.contract.currency,
        terms=terms_used(sc),
    )


def _replace(obj, **changes):
    import dataclasses

    return dataclasses.replace(obj, **changes)


# ---------------------------------------------------------------- groups


@dataclass(frozen=True)
class _Groups:
    completion: PredictiveGroup       # in course + not yet referred (data)
    running: PredictiveGroup          # spell running (data)
    no_spell: PredictiveGroup         # no qualifying spell yet, window open (scenario)
    future_edu: PredictiveGroup       # not yet referred, education/work (scenario)
    rates: Mapping[str, np.ndarray]   # per parameter set, for the scenario groups


def _data_group(name: str, size: int, prior_ab: tuple[float, float], s: int, n: int
                ) -> PredictiveGroup:
    a, b = float(prior_ab[0] + s), float(prior_ab[1] + n - s)
    mean = a / (a + b)
    sd = math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
    return PredictiveGroup(name, int(size), "data", mean, sd, a, b, int(s), int(n))


def _model_group(name: str, size: int, rates: np.ndarray) -> tuple[PredictiveGroup, np.ndarray]:
    """Build a scenario-based group.

    Parameter sets that never put anyone in the situation are
    given the mean of the others (all of them: a Jeffreys-like 1/2).
    """
    ok = np.isfinite(rates)
    fill = float(rates[ok].mean()) if ok.any() else 0.5
    r = np.where(ok, rates, fill)
    return PredictiveGroup(name, int(size), "scenario", float(r.mean()), float(r.std()),
                           parameter_sets=int(r.size)), r


def _groups(sc, st: _States, model: _ScenarioModel, T: int, W: int, prior: str, future: int
            ) -> _Groups:
    Q = sc.indicators.min_spell_days
    A, F, P = ind.ACHIEVED, ind.FAILED, ind.PENDING
    # completion: reference = referred >= one course length ago, status known
    course_days = 7 * sc.programme.course_weeks
    ref_set = (st.ref <= T - course_days) & ((st.completion == A) | (st.completion == F))
    in_course = int((st.completion == P).sum())
    prior_c = JEFFREYS if prior == "jeffreys" else _scenario_prior(sc, model, "completion",
                                                                      "referred")
    g_c = _data_group("in course or not yet referred", in_course + future, prior_c,
                      int((ref_set & (st.completion == A)).sum()), int(ref_set.sum()))

    # running spells: P(reaching Q days | lasted at least the shortest running spell so far)
    n_running = int(st.running.sum())
    d_min = float(np.nanmin(st.lasted[st.running])) if n_running else 1.0
    with np.errstate(invalid="ignore"):
        follow = (st.spell_start <= W) & (st.spell_start + Q - 1 <= T) & (st.lasted >= d_min)
        s_ref = int((follow & (st.lasted >= Q)).sum())
    if prior == "jeffreys":
        prior_s = JEFFREYS
    else:
        days = model.spell_days
        trials = ((days > 0) & (days >= d_min)).sum(1)
        succ = ((days > 0) & (days >= Q)).sum(1)
        prior_s = _moment_beta(succ, trials) or JEFFREYS
    g_s = _data_group("spell running", n_running, prior_s, s_ref, int(follow.sum()))

    n_none = int(((st.edu == P) & ~st.running).sum())
    g_n, r_n = _model_group("no qualifying spell yet", n_none, model.no_spell)
    g_f, r_f = _model_group("not yet referred", future, model.future)
    return _Groups(g_c, g_s, g_n, g_f, {g_n.name: r_n, g_f.name: r_f})


def _p_final_referred(achieved: int, needed: int, groups: tuple[PredictiveGroup, ...],
                      rates: Mapping[str, np.ndarray]) -> float:
    """Compute P(final count >= needed).

    Data groups are beta-binomial, scenario groups a mixture over
    parameter sets (binomial given the set), all independent given the parameter set.
    """
    data = [(g.size, g.a, g.b) for g in groups if g.basis == "data"]
    model = [g for g in groups if g.basis == "scenario"]
    if not model:
        return float(stats.prob_final_at_least(achieved, data, needed))
    from scipy import stats as sps

    base = stats.predictive_count_pmf(data)
    short = max(needed - achieved, 0)
    pmfs = [sps.binom.pmf(np.arange(g.size + 1)[None, :], g.size, rates[g.name][:, None])
            for g in model]
    tails = np.empty(pmfs[0].shape[0])
    for o in range(tails.size):
        pmf = base
        for p in pmfs:
            pmf = np.convolve(pmf, p[o])
        tails[o] = pmf[short:].sum() if short < pmf.size else 0.0
    return float(min(1.0, tails.mean()))


def _cross_tab(st: _States, referred: np.ndarray) -> dict[tuple[str, str], int]:
    """Count referred persons by completion status (A/F/P) and education/work state (A/F/S/N)."""
    A, F, P = ind.ACHIEVED, ind.FAILED, ind.PENDING
    comp = {"A": st.completion == A, "F": st.completion == F, "P": st.completion == P}
    edu = {"A": st.edu == A, "F": st.edu == F, "S": st.running,
           "N": (st.edu == P) & ~st.running}
    return {(c, e): int((referred & cm & em).sum()) for c, cm in comp.items()
            for e, em in edu.items()}


def _evaluate_target(sc, t, st: _States, referred, cells, groups: _Groups, model, prior, future,
                     n_final) -> TargetEvaluation:
    A, F, P = ind.ACHIEVED, ind.FAILED, ind.PENDING
    thr = t.threshold

    def reaches(a: int, n: int) -> bool:
        return n > 0 and a >= int(needed_count(thr, n))

    g: tuple[PredictiveGroup, ...]
    if t.denominator == "referred":
        status = st.completion if t.indicator == "completion" else st.edu
        achieved = int((referred & (status == A)).sum())
        failed = int((referred & (status == F)).sum())
        pending = int((referred & (status == P)).sum())
        denominator = achieved + failed + pending
        worst = (achieved, n_final)
        best = (achieved + pending + future, n_final)
        met_surely, reachable = reaches(*worst), reaches(*best)
        if t.indicator == "completion":
            g = (groups.completion,)
        else:
            g = (groups.running, groups.no_spell, groups.future_edu)
        g = tuple(x for x in g if x.size > 0)
        needed = int(needed_count(thr, n_final)) if n_final > 0 else None
        may_enter = future
        final_den = n_final
    else:  # education/work among completers
        n = cells
        achieved = n["A", "A"]
        failed = n["A", "F"]
        pending = n["A", "S"] + n["A", "N"]
        denominator = achieved + failed + pending
        entering = sum(n["P", e] for e in "AFSN") + future
        # worst: pending completers fail; persons in the course complete and fail unless they
        # already succeeded (then they drop out); an empty denominator is "not met"
        n_w = denominator + n["P", "F"] + n["P", "S"] + n["P", "N"] + future
        worst = (achieved, n_w) if denominator > 0 else (0, 0)
        # best: everyone who can succeed completes and succeeds; the failed drop out
        a_b = achieved + pending + n["P", "A"] + n["P", "S"] + n["P", "N"] + future
        best = (a_b, a_b + failed)
        met_surely = denominator > 0 and reaches(*worst)
        reachable = reaches(*best) or (thr == 0 and best[1] == 0 and n["P", "F"] > 0)
        g = tuple(x for x in (groups.completion, groups.running, groups.no_spell,
                              groups.future_edu) if x.size > 0)
        needed = None
        may_enter = entering
        final_den = None

    status_txt = MET if met_surely else (NOT_MET if not reachable else UNDECIDED)
    decided = achieved + failed
    ci = stats.clopper_pearson(achieved, decided, LEVEL)
    prior_ab = JEFFREYS if prior == "jeffreys" else _scenario_prior(sc, model, t.indicator,
                                                                     t.denominator)
    p_rate = float(stats.prob_rate_at_least(achieved, decided, thr, prior=prior_ab))
    if status_txt == MET:
        p_final, method = 1.0, "decided"
    elif status_txt == NOT_MET:
        p_final, method = 0.0, "decided"
    elif t.denominator == "referred":
        p_final = _p_final_referred(achieved, needed, g, groups.rates)  # type: ignore[arg-type]  # needed is None only for n_final == 0, where the target is decided
        method = "exact" if all(x.basis == "data" for x in g) else "exact_mixture"
    else:
        p_final, method = math.nan, "monte_carlo"   # filled in from the joint Monte Carlo
    return TargetEvaluation(
        id=t.id, indicator=t.indicator, denominator_kind=t.denominator, threshold=thr,
        rule=t.rule, weight=t.weight, achieved=achieved, failed=failed, pending=pending,
        denominator=denominator, may_enter=int(may_enter), final_denominator=final_den,
        needed_final=needed, rate=achieved / decided if decided else math.nan,
        rate_of_denominator=achieved / denominator if denominator else math.nan,
        ci_low=float(ci.low), ci_high=float(ci.high), prior=tuple(float(x) for x in prior_ab),  # type: ignore[arg-type]  # a pair
        p_rate_at_least=p_rate, status=status_txt, p_met_final=p_final,
        p_met_final_method=method, worst_case=tuple(int(x) for x in worst),  # type: ignore[arg-type]  # a pair
        best_case=tuple(int(x) for x in best), groups=g if status_txt == UNDECIDED else (),  # type: ignore[arg-type]  # a pair
    )


# ---------------------------------------------------------------- repayment


def _counts_dict(comp_a, edu_a, referred, ac, c):
    return {"completion": {"achieved": comp_a, "referred": referred},
            "edu_work": {"achieved": edu_a, "referred": referred, "achieved_completed": ac,
                         "completed": c}}


def _repayment_due(sc, targets, st, referred, cells, groups: _Groups, future, n_final, seed,
                   draws) -> tuple[RepaymentDue, dict[str, float]]:
    contract = sc.contract
    A, P = ind.ACHIEVED, ind.PENDING
    comp_a = int((referred & (st.completion == A)).sum())
    comp_p = int((referred & (st.completion == P)).sum())
    edu_a = int((referred & (st.edu == A)).sum())
    edu_p = int((referred & (st.edu == P)).sum())
    completer = [t for t in targets if t.denominator_kind == "completed"]
    wc = completer[0].worst_case if completer else (0, 0)
    bc = completer[0].best_case if completer else (0, 0)
    worst = _counts_dict(comp_a, edu_a, n_final, *wc)
    best = _counts_dict(comp_a + comp_p + future, edu_a + edu_p + future, n_final, *bc)
    lo = float(repayment(contract, worst).total)
    hi = float(repayment(contract, best).total)
    top = float(max_repayment(contract))
    pending_any = comp_p + edu_p + future > 0
    p_mc = {t.id: math.nan for t in targets}
    if not pending_any:
        return RepaymentDue(lo, hi, lo, 0.0, True, top, contract.currency, 0), p_mc

    rng = stream_generator(seed, "repayment_due")
    K = draws
    p_c = rng.beta(groups.completion.a, groups.completion.b, K)  # type: ignore[arg-type]  # the completion group is a data group (a and b set)
    r_n, r_f = groups.rates[groups.no_spell.name], groups.rates[groups.future_edu.name]
    o = rng.integers(0, r_n.size, K)      # one scenario parameter set per draw
    p_e = {"S": rng.beta(groups.running.a, groups.running.b, K), "N": r_n[o]}  # type: ignore[arg-type]  # the running group is a data group (a and b set)
    p_f = r_f[o]

    # per cell of the cross-tab: completions X, education/work successes Z, both Y
    completed = np.zeros(K, dtype=np.int64)
    edu_final = np.zeros(K, dtype=np.int64)
    both = np.zeros(K, dtype=np.int64)
    for (c, e), m in cells.items():
        if m == 0:
            continue
        X = rng.binomial(m, p_c) if c == "P" else np.full(K, m if c == "A" else 0)
        Z = rng.binomial(m, p_e[e]) if e in "SN" else np.full(K, m if e == "A" else 0)
        if c == "P" and e in "SN":
            # independent given the rates: the overlap is hypergeometric
            Y = rng.hypergeometric(Z, m - Z, X)
        else:
            Y = np.minimum(X, Z)   # one of the two is 0 or m
        completed += X
        edu_final += Z
        both += Y
    if future:
        X = rng.binomial(future, p_c)
        Z = rng.binomial(future, p_f)
        completed += X
        edu_final += Z
        both += rng.hypergeometric(Z, future - Z, X)
    rep = repayment(contract, _counts_dict(completed, edu_final, n_final, both, completed))
    total = np.asarray(rep.total, dtype=float)
    for t in targets:
        p_mc[t.id] = float(np.mean(rep.met[t.id]))
    exp = float(total.mean())
    se = float(total.std(ddof=1) / math.sqrt(K)) if K > 1 else math.nan
    # the expectation of a bounded quantity: keep it inside the exact bounds
    exp = min(max(exp, lo), hi)
    return RepaymentDue(lo, hi, exp, se, False, top, contract.currency, K), p_mc


# ---------------------------------------------------------------- DP, QoL, notes


def _disability_pension(st: _States, referred, model: _ScenarioModel) -> DisabilityPension:
    observed = int((referred & (st.dp == ind.ACHIEVED)).sum())
    sim = model.dp
    a = (1 - LEVEL) / 2
    lo, hi = np.quantile(sim, [a, 1 - a], method="inverted_cdf")
    return DisabilityPension(
        observed=observed, expected=float(sim.mean()), low=float(lo), high=float(hi),
        expected_bau=float(model.dp_bau.mean()), p_at_most_observed=float(np.mean(sim <= observed)),
        p_at_least_observed=float(np.mean(sim >= observed)), level=LEVEL, draws=model.draws,
    )


def _quality_of_life(df, referred, instrument: str) -> tuple[QualityOfLife | None, str | None]:
    before = df["qol_baseline"].to_numpy(dtype=float)[referred]
    after = df["qol_followup"].to_numpy(dtype=float)[referred]
    complete = ~(np.isnan(before) | np.isnan(after))
    if complete.sum() < 2:
        if np.isfinite(before).any() or np.isfinite(after).any():
            return None, (f"quality of life ({instrument}): fewer than 2 persons with both a "
                          "baseline and a follow-up score; no change estimated")
        return None, None
    r = stats.paired_difference(before, after, level=LEVEL)
    return QualityOfLife(
        instrument=instrument, n_pairs=int(r.n), n_incomplete=int(r.n_dropped),
        mean_baseline=float(before[complete].mean()), mean_followup=float(after[complete].mean()),
        mean_diff=float(r.mean_diff), ci_low=float(r.ci.low), ci_high=float(r.ci.high),
        p_value=float(r.p_value), cohen_dz=float(r.cohen_dz), dz_ci_low=float(r.dz_ci.low),
        dz_ci_high=float(r.dz_ci.high), level=LEVEL,
    ), None


def _notes(sc, st: _States, df, referred, as_of_date, n_rows, n_referred, future, targets,
           qol_note) -> list[str]:
    notes = []
    T = sc.day_of(as_of_date)
    M = sc.day_of(sc.terms.measurement_date)
    if T < M:
        notes.append(
            f"Interim evaluation: statuses as of {as_of_date}; a blank end date or an ongoing "
            f"course is read as still so on {as_of_date} (pass the date the data were extracted).")
    open_ended = referred & ((st.completion == ind.PENDING) | st.running)
    if math.isfinite(st.latest_day) and T - st.latest_day > 90 and open_ended.any():
        latest = sc.agreement.start + dt.timedelta(days=int(st.latest_day))
        notes.append(
            f"The latest date in the data is {latest}, more than 90 days before the as-of date "
            f"{as_of_date}, and some courses or spells are open-ended: if the data were "
            "extracted before the as-of date, evaluate as of the extraction date instead.")
    before = int((st.ref < 0).sum())
    if before:
        notes.append(Note.make("{n} row(s) referred before the agreement start "
                               f"{sc.agreement.start}.", n=before))
    after = int((st.ref > sc.day_of(sc.agreement.end)).sum())
    if after:
        notes.append(Note.make(f"{{n}} row(s) referred after the agreement end {sc.agreement.end}.",
                               n=after))
    size = sc.agreement.cohort_size
    if n_rows > size:
        notes.append(f"The data have {n_rows} rows, more than the cohort size {size}.")
    if future == 0 and n_referred < size:
        notes.append(Note.make(f"{{n}} persons referred, fewer than the cohort size {size}; the "
                               "denominator is everyone referred.", n=n_referred))
    if future and as_of_date < max(w.end for w in sc.agreement.intake):
        notes.append(Note.make(f"{{n}} persons not yet referred are counted in the final "
                               f"denominator (max of the cohort size {size} and the rows in the "
                               "data).", n=future))
    if T >= M:
        still = int((referred & (st.completion == ind.PENDING)).sum())
        if still:
            notes.append(Note.make("{n} course(s) still ongoing at the measurement date: pending.",
                                   n=still))
    if qol_note:
        notes.append(qol_note)
    return notes

