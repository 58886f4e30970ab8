"""Evaluate observed data against a scenario's payment targets: :func:`evaluate`.

Also the per-target, disability-pension, quality-of-life and notes steps it calls.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os

import numpy as np
import pandas as pd

from simkit import __version__, labels, stats
from simkit import indicators as ind
from simkit.contract import needed_count
from simkit.errors import InputError, Problem, mask_cpr
from simkit.evaluation.constants import (
    DEFAULT_SEED,
    JEFFREYS,
    LEVEL,
    MET,
    MIN_CELL,
    NOT_MET,
    PREDICTIVE_DRAWS,
    PRIORS,
    SCENARIO_DRAWS,
    UNDECIDED,
)
from simkit.evaluation.data import (
    _check_min_cell,
    _content_hash,
    _events_after,
    _load_data,
    _parse_as_of,
    _refuse_stale,
)
from simkit.evaluation.predictive import _Groups, _groups, _p_final_referred, _repayment_due
from simkit.evaluation.render import Note
from simkit.evaluation.results import (
    DisabilityPension,
    EvaluationProvenance,
    EvaluationResult,
    PredictiveGroup,
    QualityOfLife,
    TargetEvaluation,
)
from simkit.evaluation.scenario_model import (
    _scenario_model,
    _scenario_prior,
    _ScenarioModel,
    _set_weights,
)
from simkit.evaluation.states import _cross_tab, _person_states, _States
from simkit.rng import RngLike, root_seed
from simkit.scenario import load_scenario
from simkit.terms import terms_used


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

    # the forecast that learns: the scenario groups' parameter sets weighted by the data;
    # the prior-only figures use equal weights (the same random streams)
    weights = _set_weights(model, st, T)
    ess = float(1.0 / np.sum(weights ** 2))
    groups = _groups(sc, st, model, T, W, prior, future, weights)
    groups_prior = _groups(sc, st, model, T, W, prior, future)
    cells = _cross_tab(st, referred)
    targets = []
    for t in sc.contract.targets:
        te = _evaluate_target(sc, t, st, referred, cells, groups, model, prior, future, n_final)
        tp = _evaluate_target(sc, t, st, referred, cells, groups_prior, model, prior, future, n_final)
        targets.append(_replace(te, p_met_final_prior=tp.p_met_final))
    rep, p_mc = _repayment_due(sc, targets, st, referred, cells, groups, future, n_final,
                               int(seed), int(predictive_draws))  # type: ignore[arg-type]  # root_seed() made it an int above
    p_mc_prior = p_mc
    if any(t.p_met_final_method == "monte_carlo" for t in targets):
        _, p_mc_prior = _repayment_due(sc, targets, st, referred, cells, groups_prior, future, n_final,
                                       int(seed), int(predictive_draws))  # type: ignore[arg-type]  # root_seed() made it an int above
    targets = [
        _replace(t, p_met_final=p_mc[t.id], p_met_final_prior=p_mc_prior[t.id],
                 p_met_final_method="monte_carlo")
        if t.p_met_final_method == "monte_carlo" else t
        for t in targets
    ]
    dp = _disability_pension(st, referred, model)
    qol, qol_note = _quality_of_life(df, referred, sc.indicators.qol_instrument)
    notes = _notes(sc, st, df, referred, as_of_date, n_rows, n_referred, future, targets, qol_note)
    if n_cut:
        notes.append(Note.phrased("note_cut", n=n_cut))

    prov = EvaluationProvenance(
        simkit_version=__version__, scenario_name=sc.name, scenario_sha256=sc.sha256,
        sources=tuple(sc.sources), seed=int(seed), draws=int(predictive_draws),  # type: ignore[arg-type]  # root_seed() made it an int above
        data_source=mask_cpr(str(source)), data_sha256=file_sha,
        data_content_sha256=_content_hash(df), as_of=as_of_date, prior=prior,
        predictive_draws=int(predictive_draws), scenario_draws=int(scenario_draws),
    )
    return EvaluationResult(
        scenario_name=sc.name, as_of=as_of_date, measurement_date=sc.terms.measurement_date,
        outcome_window_end=sc.terms.outcome_window_end, interim=T < M, n_rows=n_rows,
        n_referred=n_referred, n_not_yet_referred=int(future), final_denominator=int(n_final),
        targets=tuple(targets), repayment=rep, disability_pension=dp, quality_of_life=qol,
        notes=tuple(notes), provenance=prov, min_cell=min_cell, currency=sc.contract.currency,
        terms=terms_used(sc), parameter_sets=int(weights.size), effective_sample_size=ess,
        target_labels=tuple((t.id, labels.label(t.id, "da", kind="targets", scenario=sc),
                             labels.label(t.id, "en", kind="targets", scenario=sc))
                            for t in sc.contract.targets),
    )


def _replace(obj, **changes):
    return dataclasses.replace(obj, **changes)


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
        p_final = _p_final_referred(achieved, needed, g, groups.rates, groups.weights)  # type: ignore[arg-type]  # needed is None only for n_final == 0, where the target is decided
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
            return None, Note.phrased("note_qol_few", counts=(), instrument=instrument)
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
    notes: list[str] = []
    T = sc.day_of(as_of_date)
    M = sc.day_of(sc.terms.measurement_date)
    if T < M:
        notes.append(Note.phrased("note_interim", counts=(), date=as_of_date))
    open_ended = referred & ((st.completion == ind.PENDING) | st.running)
    if math.isfinite(st.latest_day) and T - st.latest_day > 90 and open_ended.any():
        latest = sc.agreement.start + dt.timedelta(days=int(st.latest_day))
        notes.append(Note.phrased("note_stale", counts=(), latest=latest, date=as_of_date))
    before = int((st.ref < 0).sum())
    if before:
        notes.append(Note.phrased("note_before_start", n=before, start=sc.agreement.start))
    after = int((st.ref > sc.day_of(sc.agreement.end)).sum())
    if after:
        notes.append(Note.phrased("note_after_end", n=after, end=sc.agreement.end))
    size = sc.agreement.cohort_size
    if n_rows > size:
        notes.append(Note.phrased("note_more_rows", counts=(), rows=n_rows, size=size))
    if future == 0 and n_referred < size:
        notes.append(Note.phrased("note_fewer_referred", n=n_referred, size=size))
    if future and as_of_date < max(w.end for w in sc.agreement.intake):
        notes.append(Note.phrased("note_not_yet_referred", n=future, size=size))
    if T >= M:
        still = int((referred & (st.completion == ind.PENDING)).sum())
        if still:
            notes.append(Note.phrased("note_still_ongoing", n=still))
    if qol_note:
        notes.append(qol_note)
    return notes
