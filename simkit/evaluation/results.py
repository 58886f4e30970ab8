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

from simkit import labels
from simkit.evaluation.constants import LEVEL, MIN_CELL, UNDECIDED
from simkit.evaluation.data import _check_min_cell
from simkit.evaluation.render import (
    _render_note,
    ci,
    count,
    date,
    money,
    number,
    pct,
    phrase,
    prob,
    resolve_lang,
    status_word,
    terms_list,
)
from simkit.io.files import to_jsonable
from simkit.results.base import Provenance, Result

#: columns of the publication table -> their phrase in labels.toml
_COLUMNS = (("indicator", "col_indicator"), ("denominator_kind", "col_denominator_kind"),
            ("threshold", "col_threshold"), ("denominator", "col_denominator"),
            ("achieved", "col_achieved"), ("failed", "col_failed"), ("pending", "col_pending"),
            ("rate", "col_rate"), ("95% CI", "col_ci"), ("P(rate>=target)", "col_p_rate"),
            ("status", "col_status"), ("P(met at measurement)", "col_p_met"))


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
        """Return the fields as a dict.

        Examples
        --------
        >>> g = PredictiveGroup("in course", 10, "data", 0.5, 0.15, a=5.0, b=5.0,
        ...                     reference_successes=4, reference_trials=8)
        >>> d = g.as_dict()
        >>> d["name"], d["size"], d["a"] / (d["a"] + d["b"]), d["parameter_sets"]
        ('in course', 10, 0.5, None)
        """
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
        """Return the counts as a dict.

        Examples
        --------
        >>> import simkit
        >>> from simkit.evaluation import evaluate
        >>> from simkit.synth import synthesize
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> res = evaluate(synthesize(sc, seed=3, as_of="2028-04-30"), sc)  # at the measurement date
        >>> d = res.target("completion").as_dict()
        >>> d["achieved"] + d["failed"] + d["pending"] == d["denominator"], d["threshold"], d["status"]
        (True, 0.8, 'met')
        """
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
        """Return the range as a dict.

        Examples
        --------
        >>> due = RepaymentDue(min=1_000.0, max=3_000.0, expected=2_000.0, expected_se=10.0, exact=False,
        ...                    contract_max=6_000.0, currency="DKK", draws=400)
        >>> d = due.as_dict()
        >>> d["min"], d["max"], d["expected"], d["predictive_draws"]
        (1000.0, 3000.0, 2000.0, 400)
        """
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
        """Return the comparison as a dict.

        Examples
        --------
        >>> dp = DisabilityPension(observed=1, expected=0.8, low=0.0, high=3.0, expected_bau=1.2,
        ...                        p_at_most_observed=0.8, p_at_least_observed=0.55, level=0.95, draws=4096)
        >>> d = dp.as_dict()
        >>> d["observed"], (d["interval_low"], d["interval_high"]), d["interval_level"], d["scenario_draws"]
        (1, (0.0, 3.0), 0.95, 4096)
        """
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
        """Return the fields as a dict.

        Examples
        --------
        >>> q = QualityOfLife("WEMWBS", n_pairs=20, n_incomplete=2, mean_baseline=40.0, mean_followup=43.5,
        ...                   mean_diff=3.5, ci_low=1.5, ci_high=5.5, p_value=0.002, cohen_dz=0.8,
        ...                   dz_ci_low=0.3, dz_ci_high=1.3, level=0.95)
        >>> d = q.as_dict()
        >>> d["instrument"], d["n_pairs"], d["mean_followup"] - d["mean_baseline"] == d["mean_diff"]
        ('WEMWBS', 20, True)
        """
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class EvaluationProvenance(Provenance):
    """Where an evaluation came from: enough to reproduce it exactly.

    The one provenance format (:class:`simkit.results.base.Provenance`, ``draws`` = the
    predictive draws) with the evaluation's own facts in ``extra``: the data file's name and
    hashes, the as-of date, the prior and both kinds of draws.

    Examples
    --------
    >>> pv = EvaluationProvenance("0.2.0", "s", "00", ("s",), 1, 10, data_source="x.csv",
    ...                           data_content_sha256="ab", as_of=dt.date(2026, 6, 30),
    ...                           prior="jeffreys", predictive_draws=10, scenario_draws=8)
    >>> pv.as_dict()["data"], pv.as_dict()["as_of"], pv.extra["scenario_draws"]
    ({'source': 'x.csv', 'sha256': None, 'content_sha256': 'ab'}, '2026-06-30', 8)
    """

    data_source: str = ""
    data_sha256: str | None = None       # of the file's bytes (None for an in-memory frame)
    data_content_sha256: str = ""        # of the canonical content (the same for every dialect)
    as_of: dt.date = dt.date.min
    prior: str = "jeffreys"
    predictive_draws: int = 0
    scenario_draws: int = 0

    def __post_init__(self) -> None:
        """Fill :attr:`extra` with the evaluation's facts (the keys of the JSON)."""
        object.__setattr__(self, "extra", {
            "data": {"source": self.data_source, "sha256": self.data_sha256,
                     "content_sha256": self.data_content_sha256},
            "as_of": self.as_of.isoformat(), "prior": self.prior,
            "predictive_draws": self.predictive_draws, "scenario_draws": self.scenario_draws})

    @property
    def scenario_sources(self) -> tuple[str, ...]:
        """Return the scenario's layers (:attr:`sources`; the name this class used to have)."""
        return self.sources


@dataclass(frozen=True)
class EvaluationResult(Result):
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
    #: (target id, Danish name, English name): the plain-language names from the scenario
    target_labels: tuple[tuple[str, str, str], ...] = ()
    #: parameter sets of the scenario model and the effective sample size of their weights given
    #: the data (the forecast that learns; ESS = parameter_sets: the data do not discriminate)
    parameter_sets: int | None = None
    effective_sample_size: float | None = None

    # ---------------------------------------------------------------- access
    def target(self, target_id: str) -> TargetEvaluation:
        """Return the evaluation of the target ``target_id``.

        Raises
        ------
        KeyError
            No target has that id.

        Examples
        --------
        >>> import simkit
        >>> from simkit.evaluation import evaluate
        >>> from simkit.synth import synthesize
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> res = evaluate(synthesize(sc, seed=3, as_of="2028-04-30"), sc)  # at the measurement date
        >>> t = res.target("completion")
        >>> t.achieved, t.failed, t.pending, t.denominator, t.status
        (79, 16, 0, 95, 'met')
        >>> res.target("completed")
        Traceback (most recent call last):
        ...
        KeyError: "no target 'completed'; targets are ['completion', 'edu_work']"
        """
        for t in self.targets:
            if t.id == target_id:
                return t
        raise KeyError(f"no target {target_id!r}; targets are {[t.id for t in self.targets]}")

    # ---------------------------------------------------------------- tables
    def to_frame(self, lang: str | None = None) -> pd.DataFrame:
        """Per-target table with exact counts (index: target id).

        Parameters
        ----------
        lang : {"da", "en"}, optional
            Column names in plain Danish or English (default: the ids, the JSON's keys).

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> import simkit
        >>> from simkit.evaluation import evaluate
        >>> from simkit.synth import synthesize
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> res = evaluate(synthesize(sc, seed=3, as_of="2028-04-30"), sc)  # at the measurement date
        >>> frame = res.to_frame()
        >>> frame["status"].to_dict(), frame.loc["edu_work", ["achieved", "denominator"]].tolist()
        ({'completion': 'met', 'edu_work': 'not_met'}, [40, 95])
        >>> res.to_frame(lang="da").columns[:4].tolist()
        ['indikator', 'nævnerens art', 'tærskel', 'opnået']
        """
        cols = ("indicator", "denominator_kind", "threshold", "achieved", "failed", "pending",
                "denominator", "may_enter", "final_denominator", "needed_final", "rate",
                "rate_of_denominator", "ci_low", "ci_high", "p_rate_at_least", "status",
                "p_met_final", "p_met_final_method")
        rows = [{c: getattr(t, c) for c in cols} for t in self.targets]
        frame = pd.DataFrame(rows, index=pd.Index([t.id for t in self.targets], name="target"),
                             columns=list(cols))
        # None for 'completed' targets: keep whole numbers whole
        frame = frame.astype({"final_denominator": "Int64", "needed_final": "Int64"})
        if lang is None:
            return frame
        L = resolve_lang(lang)
        frame.index.name = phrase("col_target", L)
        return frame.rename(columns={c: phrase(f"frame_{c}", L) for c in cols})

    def publication_table(self, min_cell: int | None = None, lang: str | None = None) -> pd.DataFrame:
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
        exact counts. With ``lang`` (``"da"`` or ``"en"``) the columns, the
        targets (their plain-language names), statuses and numbers are in that
        language; without it the columns are the ids of :meth:`to_frame`.

        Examples
        --------
        >>> res.publication_table(min_cell=5)  # doctest: +SKIP
        """
        k = self.min_cell if min_cell is None else _check_min_cell(min_cell)
        L = resolve_lang(lang)
        hidden = f"<{k}"
        sup = "suppressed" if lang is None else phrase("suppressed", L)
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
                "denominator_kind": t.denominator_kind if lang is None else phrase(
                    "over_referred" if t.denominator_kind == "referred" else "over_completed", L),
                "threshold": pct(t.threshold, L),
                "denominator": hidden if den_hidden else count(t.denominator, k, L),
                **{c: (hidden if c in small else sup if c in hide else count(v, k, L))
                   for c, v in counts.items()},
                "rate": sup if rate_hidden else pct(t.rate, L),
                "95% CI": sup if rate_hidden else ci(t.ci_low, t.ci_high, L),
                "P(rate>=target)": sup if rate_hidden else prob(t.p_rate_at_least, L),
                "status": t.status if lang is None else status_word(t.status, L),
                "P(met at measurement)": prob(t.p_met_final, L),
            }
            rows.append(row)
        if lang is None:
            return pd.DataFrame(rows, index=pd.Index([t.id for t in self.targets], name="target"))
        names = dict(_COLUMNS)
        return pd.DataFrame(
            [{phrase(names[c], L): v for c, v in r.items()} for r in rows],
            index=pd.Index([self.target_label(t.id, L) for t in self.targets], name=phrase("col_target", L)))

    def target_label(self, target_id: str, lang: str | None = None) -> str:
        """Return the plain-language name of a target (the scenario's label, else the package's).

        Examples
        --------
        >>> res.target_label("completion", "da")  # doctest: +SKIP
        'Gennemførelse af forløbet'
        """
        L = resolve_lang(lang)
        for tid, da, en in self.target_labels:
            if tid == target_id:
                return da if L == "da" else en
        return labels.label(target_id, L, kind="targets")

    # ---------------------------------------------------------------- JSON
    def to_dict(self) -> dict[str, Any]:
        """Return the JSON structure of the issue (exact counts), plus extras.

        Examples
        --------
        >>> import simkit
        >>> from simkit.evaluation import evaluate
        >>> from simkit.synth import synthesize
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> res = evaluate(synthesize(sc, seed=3, as_of="2028-04-30"), sc)  # at the measurement date
        >>> d = res.to_dict()
        >>> d["as_of"], d["n_referred"], d["targets"]["completion"]["achieved"], d["repayment_due"]["exact"]
        ('2028-04-30', 95, 79, True)
        """
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

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text (NaN and infinities become ``null``).

        Examples
        --------
        >>> import json
        >>> import simkit
        >>> from simkit.evaluation import evaluate
        >>> from simkit.synth import synthesize
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> res = evaluate(synthesize(sc, seed=3, as_of="2028-04-30"), sc)  # at the measurement date
        >>> d = json.loads(res.to_json())
        >>> d["targets"]["edu_work"]["status"], d["targets"]["edu_work"]["achieved"]
        ('not_met', 40)
        """
        return json.dumps(to_jsonable(self.to_dict()), indent=indent, ensure_ascii=False,
                          allow_nan=False)

    # ---------------------------------------------------------------- text
    def _summary_lines(self, k: int, lang: str | None = None) -> list[str]:
        L = resolve_lang(lang)
        if self.interim:
            head = phrase("as_of_interim", L, date=date(self.as_of, L),
                          measurement=date(self.measurement_date, L))
        else:
            head = phrase("as_of_final", L, date=date(self.as_of, L))
        lines = [
            head,
            phrase("referred", L, n=count(self.n_referred, k, L), rows=count(self.n_rows, k, L),
                   final=count(self.final_denominator, k, L))
            + (phrase("not_yet_referred", L, n=count(self.n_not_yet_referred, k, L))
               if self.n_not_yet_referred else "."),
        ]
        open_ = [t for t in self.targets if t.status == UNDECIDED]
        if self.interim and open_ and self.effective_sample_size is not None:
            lines.append(phrase(
                "forecast_learning", L, sets=money(self.parameter_sets or 0, L),
                ess=money(self.effective_sample_size, L),
                targets="; ".join(phrase("forecast_learning_target", L, target=self.target_label(t.id, L),
                                         p=prob(t.p_met_final, L), prior=prob(t.p_met_final_prior, L))
                                  for t in open_)))
        r = self.repayment
        cur = labels.unit_text("money", L, currency=r.currency) if L == "da" else r.currency
        if r.exact:
            lines.append(phrase("repayment_exact", L, amount=money(r.expected, L), currency=cur,
                                max=money(r.contract_max, L)))
        else:
            lines.append(phrase("repayment_range", L, low=money(r.min, L), high=money(r.max, L),
                                currency=cur, expected=money(r.expected, L),
                                draws=money(r.draws, L), se=money(r.expected_se, L)))
        if self.terms:
            lines.append(phrase("terms_used", L, terms="; ".join(
                f"{a} {b} ({c})" for a, b, c in terms_list(self.terms, L))))
            if any(c == "assumption" for _, _, c in self.terms):
                lines.append(phrase("terms_assumed", L))
        d = self.disability_pension
        if d is not None:
            lines.append(phrase(
                "disability_pension", L, date=date(self.as_of, L), observed=count(d.observed, k, L),
                expected=number(d.expected, L, 1), level=_level(d.level, L),
                low=number(d.low, L, 0), high=number(d.high, L, 0), bau=number(d.expected_bau, L, 1)))
        q = self.quality_of_life
        if q is not None:
            if q.n_pairs < k:  # too few to publish a mean
                lines.append(phrase("qol_few", L, instrument=q.instrument, k=k))
            else:
                lines.append(phrase(
                    "qol", L, instrument=q.instrument, n=count(q.n_pairs, k, L),
                    mean=_signed(q.mean_diff, L), level=_level(q.level, L),
                    low=_signed(q.ci_low, L), high=_signed(q.ci_high, L),
                    p=f"{q.p_value:.3g}" if L == "en" else f"{q.p_value:.3g}".replace(".", ","),
                    dz=number(q.cohen_dz, L, 2), dz_low=number(q.dz_ci_low, L, 2),
                    dz_high=number(q.dz_ci_high, L, 2)))
        return lines

    def target_lines(self, min_cell: int | None = None, lang: str | None = None) -> list[str]:
        """Return one sentence per target for the signer, and what "met" means.

        Each gives the count achieved over the denominator it is a share of
        (everyone referred, or those who completed), the share (hidden when a
        count behind it is below ``min_cell``), the threshold, the status in
        words and the probability that the target is met at the measurement
        date.

        Parameters
        ----------
        min_cell : int, optional
            Smallest count shown (default the result's).
        lang : {"da", "en"}, optional
            Language (default English).

        Returns
        -------
        list of str

        Examples
        --------
        >>> res.target_lines(lang="da")[1]  # doctest: +SKIP
        '  Gennemførelse af forløbet: 74 af 91 henviste (81,3 %); mål 80 %: ...'
        """
        k = self.min_cell if min_cell is None else _check_min_cell(min_cell)
        L = resolve_lang(lang)
        lines = [phrase("targets_head", L)]
        for t in self.targets:
            a, den = t.achieved, t.denominator
            hidden = 0 < a < k or 0 < den - a < k or 0 < den < k
            rate = "" if hidden or not den else f" ({pct(t.rate_of_denominator, L)})"
            over = phrase("over_referred" if t.denominator_kind == "referred" else "over_completed", L)
            lines.append(phrase("target_line", L, label=self.target_label(t.id, L),
                                achieved=count(a, k, L), denominator=count(den, k, L), over=over,
                                rate=rate, threshold=pct(t.threshold, L),
                                status=status_word(t.status, L), p_met=prob(t.p_met_final, L)))
        lines.append(phrase("met_explained", L))
        return lines

    def text(self, min_cell: int | None = None, lang: str | None = None) -> str:
        """Write a readable report with the publication table (small counts suppressed).

        Parameters
        ----------
        min_cell : int, optional
            Smallest count shown (default the result's).
        lang : {"da", "en"}, optional
            Language of the labels, numbers, dates and notes (default English);
            the provenance line is in English.

        Returns
        -------
        str

        Examples
        --------
        >>> import simkit
        >>> from simkit.evaluation import evaluate
        >>> from simkit.synth import synthesize
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> res = evaluate(synthesize(sc, seed=3, as_of="2028-04-30"), sc)  # at the measurement date
        >>> print(res.text().splitlines()[2])
        As of 2028-04-30 (at the measurement date).
        >>> print(res.text(lang="da").splitlines()[2])
        Opgjort pr. 30. april 2028 (på målingsdatoen).
        """
        k = self.min_cell if min_cell is None else _check_min_cell(min_cell)
        L = resolve_lang(lang)
        pv = self.provenance
        prior = phrase("prior_jeffreys" if pv.prior == "jeffreys" else "prior_scenario", L)
        table = self.publication_table(k, lang=lang).iloc[:, 1:]  # without the indicator column
        with pd.option_context("display.width", 200, "display.max_columns", 50):
            table_text = table.to_string()
        lines = [
            phrase("title", L, name=self.scenario_name),
            "=" * 72,
            *self._summary_lines(k, L),
            "",
            *self.target_lines(k, L),
            "",
            table_text,
            "",
            phrase("footer_cells", L, k=k),
            phrase("footer_method", L, level=_level(LEVEL, L), prior=prior),
        ]
        if self.notes:
            lines += ["", phrase("notes", L)] + [f"  - {_render_note(n, k, L)}" for n in self.notes]
        lines += ["", f"simkit {pv.simkit_version} · scenario sha256 {(pv.scenario_sha256 or '')[:12]} · "
                      f"data {pv.data_source} sha256 "
                      f"{(pv.data_sha256 or pv.data_content_sha256)[:12]} · seed {pv.seed}"]
        return "\n".join(lines)

    def to_text(self, lang: str | None = None, min_cell: int | None = None) -> str:
        """Return :meth:`text` (the one result interface's name for it).

        Parameters
        ----------
        lang : {"da", "en"}, optional
        min_cell : int, optional

        Returns
        -------
        str

        Examples
        --------
        >>> import simkit
        >>> from simkit.evaluation import evaluate
        >>> from simkit.synth import synthesize
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> res = evaluate(synthesize(sc, seed=3, as_of="2028-04-30"), sc)  # at the measurement date
        >>> res.to_text(lang="da") == res.text(lang="da")
        True
        """
        return self.text(min_cell, lang)

    def __str__(self) -> str:
        """Return the readable report."""
        return self.text()

    def to_html(self, lang: str | None = None) -> str:
        """Return the notebook view: summary, targets, publication table (small counts suppressed).

        Parameters
        ----------
        lang : {"da", "en"}, optional
            Language (default English).

        Returns
        -------
        str

        Examples
        --------
        >>> import simkit
        >>> from simkit.evaluation import evaluate
        >>> from simkit.synth import synthesize
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> res = evaluate(synthesize(sc, seed=3, as_of="2028-04-30"), sc)  # at the measurement date
        >>> html_text = res.to_html()
        >>> html_text.startswith("<b>simkit evaluation"), "<table" in html_text
        (True, True)
        """
        k = self.min_cell
        L = resolve_lang(lang)
        pv = self.provenance
        table = self.publication_table(k, lang=lang).iloc[:, 1:].to_html(escape=True)
        items = "".join(f"<li>{html.escape(s)}</li>" for s in self._summary_lines(k, L))
        tl = self.target_lines(k, L)
        targets = "".join(f"<li>{html.escape(s.strip())}</li>" for s in tl[1:-1])
        notes = "".join(f"<li>{html.escape(_render_note(n, k, L))}</li>" for n in self.notes)
        title = phrase("title", L, name=self.scenario_name)
        return (
            f"<b>{html.escape(title)}</b><ul>{items}</ul>"
            f"<p>{html.escape(tl[0])}</p><ul>{targets}</ul><p><small>{html.escape(tl[-1])}</small></p>"
            f"{table}<small>{html.escape(phrase('footer_cells', L, k=k))}</small>"
            + (f"<br><small>{html.escape(phrase('notes', L))}</small><ul><small>{notes}</small></ul>"
               if notes else "")
            + f"<br><small>simkit {html.escape(pv.simkit_version)} · scenario sha256 "
              f"{(pv.scenario_sha256 or '')[:12]}… · data sha256 "
              f"{(pv.data_sha256 or pv.data_content_sha256)[:12]}… · prior {pv.prior} · "
              f"seed {pv.seed}</small>"
        )

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        """Return a short summary."""
        parts = ", ".join(f"{t.id}={t.status}" for t in self.targets)
        return (f"EvaluationResult(as_of={self.as_of.isoformat()}, n_referred={self.n_referred}, "
                f"{parts}, repayment_expected={self.repayment.expected:,.0f})")


def _level(level: float, lang: str) -> str:
    """Return an interval's level: ``95%`` in English (as before), ``95 %`` in Danish."""
    return f"{level:.0%}" if lang == "en" else labels.format_percent(level, lang, decimals=0)


def _signed(x: float, lang: str) -> str:
    """Return a change with two decimals and its sign."""
    if lang == "en":
        return f"{x:+.2f}"
    text = labels.format_number(x, lang, decimals=2)
    return text if text.startswith(("−", "-")) or text.strip("0,") == "" else "+" + text
