"""Monte Carlo engine: chunks, random streams, backends.

Reproducibility contract
------------------------
Draws are grouped in fixed **blocks** of :data:`BLOCK` draws. Block ``b``
has its own generators, seeded from the root ``SeedSequence(seed)`` by
spawn key: the named streams ``"parameters"`` ``(0, b)`` for parameter draws
and ``"cohort"`` ``(1, b)`` for the cohort's uniforms (:mod:`simkit.rng`). A chunk is any run of whole blocks, so a result is bit-identical
whatever the chunk size, the number of workers or the backend, and the
first ``m`` draws of a run do not depend on the total number of draws.

In nested mode (``nested=(outer, inner)``) draw ``i`` uses parameter set
``i // inner``: ``inner`` cohort realisations share one parameter draw, which
splits repayment risk into parameter uncertainty and the randomness of a
95-person cohort (see :func:`simkit.sensitivity.split_variance`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from simkit import __version__, backends
from simkit import indicators as ind
from simkit.backends import BLOCK
from simkit.blocks import Job, _param_rows
from simkit.budget import arm_costs, budget_tables, dated_pv, referral_pv
from simkit.cohort import N_UNIFORMS, Cohort, simulate_cohort
from simkit.contract import fund_view, repayment
from simkit.errors import InputError, Problem, did_you_mean
from simkit.io.files import atomic_write
from simkit.limits import check_memory, check_time
from simkit.model.engine import ModelJob, simulate_model_chunk, simulate_model_shared_chunk
from simkit.model.spec import ModelScenario
from simkit.results import Provenance, SimulationResult
from simkit.rng import RngLike, block_generator, root_seed
from simkit.scenario import load_scenario
from simkit.spec import DAYS_PER_WEEK, MODEL_PARAMETERS, Scenario
from simkit.streaming import CurveStats, ParquetSink, add_target_views, stats_of

__all__ = ["BLOCK", "KEEP_DRAWS", "Job", "run_chunks", "simulate_arrays"]

_CURVE_BATCH = 256


def _uniforms(seed: int, start: int, stop: int, persons: int) -> np.ndarray:
    parts = []
    for b in range(start // BLOCK, (stop - 1) // BLOCK + 1):
        lo, hi = max(start, b * BLOCK), min(stop, (b + 1) * BLOCK)
        u = block_generator(seed, "cohort", b).random((hi - b * BLOCK, persons, N_UNIFORMS), dtype=np.float32)
        parts.append(u[lo - b * BLOCK:])
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _person_params(sc: Scenario, p: dict[str, np.ndarray], referral: np.ndarray) -> dict[str, np.ndarray]:
    """(draw, 1) arrays, or (draw, person) where dated changes apply by referral date."""
    out = {k: v[:, None] for k, v in p.items()}
    for ch in sc.changes:
        from_week = sc.week_of(ch.start)
        hit = (referral >= from_week)[None, :]
        base = out[ch.parameter]
        out[ch.parameter] = np.where(hit, base * ch.multiply + ch.add, base)
    for name, (_, lo, hi) in _BOUNDS.items():
        if name in out and (np.isfinite(lo) or np.isfinite(hi)):
            out[name] = np.clip(out[name], lo, hi)
    return out


def _bounds():
    return {k: (m, lo, hi) for k, (m, lo, hi) in MODEL_PARAMETERS.items()}


_BOUNDS = _bounds()


def simulate_chunk(job: Job) -> dict[str, np.ndarray]:
    """Simulate draws [job.start, job.stop): per-draw outputs (and person events if asked)."""
    sc = job.scenario
    if sc is None:  # the backends put the scenario back before a job runs
        raise ValueError("simulate_chunk needs a Job with its scenario")
    n = job.stop - job.start
    referral = sc.referral_weeks()
    persons = referral.size
    pstart, pstop = job.start // job.inner, (job.stop - 1) // job.inner + 1
    prows = _param_rows(sc, job.seed, pstart, pstop)
    take = np.arange(job.start, job.stop) // job.inner - pstart
    p = {k: v[take] for k, v in prows.items()}
    for k, v in job.fixed.items():  # scalars, or per-draw arrays already cut to this chunk
        p[k] = np.broadcast_to(np.asarray(v, dtype=float), (n,)).copy()

    u = _uniforms(job.seed, job.start, job.stop, persons)
    T = _tables(sc)
    # float32 is ample for probabilities and means here and halves memory traffic
    pp = {k: v.astype(np.float32) for k, v in _person_params(sc, p, referral).items()}
    ev = simulate_cohort(u, pp, referral, course_weeks=sc.programme.course_weeks,
                         search_offset=sc.programme.search_offset_weeks, horizon_weeks=T.horizon)
    del u

    # indicators at the measurement date — the one definition shared with evaluation
    counts = _counts(sc, ev, sc.day_of(sc.terms.measurement_date))
    rep = repayment(sc.contract, counts)
    fund = fund_view(sc.contract, rep.total)

    # budget: only active cells (a start or an award in either arm) can differ between arms
    d = ev.draw_of
    rr = referral[ev.person_of]
    fb = p["benefit_level_factor"]

    def saving(curve: bool, sel=slice(None)):
        k = (rr[sel], ev.education[sel], ev.dp_week[sel], fb[d[sel]])
        cf = arm_costs(T, k[0], ev.take("outcome_bau")[sel], ev.start_bau[sel], ev.spell_bau[sel], k[1],
                       ev.take("dp_bau")[sel], k[2], k[3], curve=curve)
        pg = arm_costs(T, k[0], ev.take("outcome")[sel], ev.start[sel], ev.spell[sel], k[1],
                       ev.take("dp")[sel], k[2], k[3], curve=curve)
        return cf - pg

    savings = _per_draw(ev, saving(False))
    ref_pv = referral_pv(T, referral)
    programme_pv = p["programme_cost_per_participant"] * ref_pv
    bau_pv = p["bau_cost_per_person"] * ref_pv
    grant = sc.contract.grant
    grant_pv = grant * dated_pv(T, sc, sc.terms.disbursement)
    rep_pv_unit = dated_pv(T, sc, sc.terms.schedule)
    other_items = tuple((day, a) for _, day, a in sc.budget.other_costs)
    other_pv = dated_pv(T, sc, other_items) if other_items else 0.0
    repayment_pv = rep.total * rep_pv_unit
    uncovered = programme_pv + other_pv - grant_pv
    net = savings + bau_pv - uncovered - repayment_pv

    out: dict[str, Any] = {
        **{f"param:{k}": v for k, v in p.items()},
        "repayment": rep.total,
        "repayment_pv": repayment_pv,
        "savings_pv": savings,
        "bau_cost_pv": bau_pv,
        "uncovered_pv": uncovered,
        "net_pv": net,
        "fund_multiple": fund.multiple,
        "fund_irr": fund.irr,
        "dp_awards": ev.dp.sum(axis=1, dtype=np.int32),
        "dp_awards_bau": ev.dp_bau.sum(axis=1, dtype=np.int32),
        "outcomes": ev.outcome.sum(axis=1, dtype=np.int32),
        "outcomes_bau": ev.outcome_bau.sum(axis=1, dtype=np.int32),
    }
    for ind_name, keys in counts.items():
        for key, arr in keys.items():
            out[f"count:{ind_name}:{key}"] = np.asarray(arr, dtype=np.int32)
    # business as usual's count of the same indicator (the budget-neutrality sentence's additional outcomes);
    # without the programme nobody takes the course, so nobody completes it
    out["count_bau:completion:achieved"] = np.zeros(n, dtype=np.int32)
    out["count_bau:edu_work:achieved"] = _edu_work_bau(sc, ev, sc.day_of(sc.terms.measurement_date))
    for t in sc.contract.targets:
        out[f"met:{t.id}"] = rep.met[t.id]
        out[f"factor:{t.id}"] = rep.factor[t.id]
    for ln in sc.contract.rate_card:
        out[f"line:{ln.id}"] = rep.by_line[ln.id]

    # cumulative net budget by year for the first `curve_draws` draws
    m = max(0, min(job.stop, job.curve_draws) - job.start)
    if m:
        sav_y = np.zeros((m, T.year_ends.size))
        for a in range(0, m, _CURVE_BATCH):  # bounded memory: (years, cells) temporaries per batch
            sel = np.flatnonzero((d >= a) & (d < min(a + _CURVE_BATCH, m)))
            per_year = saving(True, sel)  # (Y, K_batch)
            for y, wy in enumerate(per_year):
                sav_y[:, y] += np.bincount(d[sel], weights=wy, minlength=m)
        ref_y = referral_pv(T, referral, curve=True)
        other_y = dated_pv(T, sc, other_items, curve=True) if other_items else 0.0
        curve = (sav_y
                 + (p["bau_cost_per_person"][:m] - p["programme_cost_per_participant"][:m])[:, None] * ref_y
                 - other_y
                 + grant * dated_pv(T, sc, sc.terms.disbursement, curve=True)
                 - rep.total[:m, None] * dated_pv(T, sc, sc.terms.schedule, curve=True))
        out["curve"] = curve
    if job.keep_persons:
        cohort = Cohort.from_events(ev)
        out["cohort"] = cohort
        out["status"] = indicator_statuses(sc, cohort, sc.day_of(sc.terms.measurement_date))
    return out


def _counts(sc: Scenario, ev, as_of_day: int) -> dict[str, dict[str, np.ndarray]]:
    """Return indicator counts per draw through the shared definitions (simkit.indicators).

    Completion is evaluated for every person. The education/work status is
    evaluated for persons with a programme-arm start; a person without one has
    no spell, which the definition never counts as achieved, so only the
    starters can add to the achieved counts.
    """
    w = DAYS_PER_WEEK
    ref_day = (ev.referral * w)[None, :]
    # COMPLETED = 1, DROPPED_OUT = 0: the completion flag is the status code (no select needed)
    course_status = ev.completed.view(np.int8) * np.int8(ind.COMPLETED - ind.DROPPED_OUT) + np.int8(ind.DROPPED_OUT)
    completion = ind.completion_status(ref_day, course_status, ev.course_end * w, as_of_day)
    done = completion == ind.ACHIEVED
    referred = (completion != ind.NOT_REFERRED).sum(axis=1)
    k = np.flatnonzero(ev.take("outcome"))
    kk = ev.idx[k]
    start = ev.start[k].astype(np.float32)
    status = ind.edu_work_status(ref_day.reshape(-1)[kk % ev.shape[1]], start * w,
                                 (start + ev.spell[k]) * w - 1, True, as_of_day,
                                 sc.day_of(sc.terms.outcome_window_end), sc.indicators.min_spell_days)
    ach = np.zeros(ev.shape[0] * ev.shape[1], dtype=bool)
    ach[kk] = status == ind.ACHIEVED  # scatter back: (draw, person); non-starters never achieve
    ach = ach.reshape(ev.shape)
    return {
        "completion": {"achieved": done.sum(axis=1), "referred": referred},
        "edu_work": {
            "achieved": ach.sum(axis=1),
            "referred": referred,
            "achieved_completed": (ach & done).sum(axis=1),
            "completed": done.sum(axis=1),
        },
    }


def _edu_work_bau(sc: Scenario, ev, as_of_day: int) -> np.ndarray:
    """Per draw, the persons achieving the education/work indicator in business as usual (same definition)."""
    w = DAYS_PER_WEEK
    k = np.flatnonzero(ev.take("outcome_bau"))
    kk = ev.idx[k]
    start = ev.start_bau[k].astype(np.float32)
    ref_day = ev.referral[kk % ev.shape[1]] * w
    status = ind.edu_work_status(ref_day, start * w, (start + ev.spell_bau[k]) * w - 1, True, as_of_day,
                                 sc.day_of(sc.terms.outcome_window_end), sc.indicators.min_spell_days)
    ach = np.zeros(ev.shape[0] * ev.shape[1], dtype=bool)
    ach[kk] = status == ind.ACHIEVED
    return ach.reshape(ev.shape).sum(axis=1, dtype=np.int32)


def _per_draw(ev, values: np.ndarray) -> np.ndarray:
    """Sum compressed per-cell values per draw (scatter into (draw, person), then sum)."""
    full = np.zeros(ev.shape[0] * ev.shape[1])
    full[ev.idx] = values
    return full.reshape(ev.shape).sum(axis=1)


_TABLE_CACHE: dict[str, object] = {}


def _tables(sc: Scenario):
    key = sc.sha256
    if key not in _TABLE_CACHE:
        if len(_TABLE_CACHE) > 8:
            _TABLE_CACHE.clear()
        _TABLE_CACHE[key] = budget_tables(sc)
    return _TABLE_CACHE[key]


def indicator_statuses(sc: Scenario, c, as_of_day: int) -> dict[str, np.ndarray]:
    """Return indicator statuses of simulated persons as of a day (the shared definition)."""
    w = DAYS_PER_WEEK
    ref_day = c.referral * w
    course_status = np.where(c.completed, ind.COMPLETED, ind.DROPPED_OUT)
    completion = ind.completion_status(ref_day[None, :], course_status, c.course_end * w, as_of_day)
    start = c.start.astype(np.float64)
    start_day = np.where(c.outcome, start * w, np.inf)
    end_day = np.where(c.outcome, (start + c.spell) * w - 1, np.inf)
    edu_work = ind.edu_work_status(ref_day[None, :], start_day, end_day, True, as_of_day,
                                   sc.day_of(sc.terms.outcome_window_end), sc.indicators.min_spell_days)
    return {"completion": completion, "edu_work": edu_work}


def run_chunks(
    job_for: Callable[[int, int], Job],
    draws: int,
    *,
    chunk_size: int | None = None,
    workers: int = 1,
    backend: str = "serial",
    progress: bool = False,
    scheduler=None,
) -> dict[str, np.ndarray]:
    """Run :func:`simulate_chunk` on all chunks (:func:`simkit.backends.run_chunks`), in draw order.

    The scenario of the jobs is sent to each worker once, not with every chunk.

    Examples
    --------
    >>> import simkit
    >>> sc = simkit.load_scenario("norddjurs_v1")
    >>> out = run_chunks(lambda a, b: Job(sc, 1, a, b, 1, {}, 0), 8, chunk_size=4)
    >>> out["repayment"].shape
    (8,)
    """
    template = job_for(0, min(draws, BLOCK))
    sc = template.scenario

    def light(a: int, b: int) -> Job:
        job = job_for(a, b)
        if job.scenario is not sc:
            raise ValueError("run_chunks: every job must carry the same scenario")
        return replace(job, scenario=None)

    return backends.run_chunks(light, draws, chunk_fn=simulate_shared_chunk, shared=sc, chunk_size=chunk_size,
                               workers=workers, backend=backend, progress=progress, scheduler=scheduler,
                               ragged=("curve",))


@dataclass(frozen=True)
class StreamInputs:
    """What every chunk of a streamed run shares (sent to each worker once)."""

    scenario: Scenario
    model: bool  # a version-2 scenario
    keep: int    # draws whose arrays are kept
    first: int   # the run's first draw
    rows: bool = False  # return every draw's arrays under "rows" (for a sink such as a Parquet file)
    curve_keep: int = 0  # draws (from the run's first) whose curves are returned; all are summarised


def stream_shared_chunk(shared: StreamInputs, job: Job) -> dict[str, Any]:
    """Run a chunk of a streamed run: return its stats, and its per-draw arrays only for draws kept in memory."""
    sc, model, keep, first = shared.scenario, shared.model, shared.keep, shared.first
    job = replace(job, scenario=sc)
    out = simulate_model_chunk(job) if model else simulate_chunk(job)
    a = job.start - first
    res: dict[str, Any] = {}
    mc = max(0, min(job.stop - first, shared.curve_keep) - a)
    for k in ("curve", "cash_curve"):  # every draw's curve is summarised; the first curve_keep are kept
        if k in out:
            c = out.pop(k)
            res[f"{k}_stats"] = CurveStats.of(c)
            res[k] = c[:mc]
    with_views = add_target_views(sc, out)
    res["stats"] = stats_of(sc, with_views)
    m = max(0, min(job.stop - first, keep) - a)
    if m:
        res["kept"] = {k: v[:m] for k, v in out.items()}
    if shared.rows:
        res["rows"] = out
    return res


def simulate_shared_chunk(sc: Scenario, job: Job) -> dict[str, np.ndarray]:
    """:func:`simulate_chunk` of a job sent without its scenario (the workers hold ``sc``)."""
    return simulate_chunk(replace(job, scenario=sc))


def simulate_arrays(sc: Scenario, draws: int, *, seed: int, nested: tuple[int, int] | None = None,
                    fixed: Mapping[str, Any] | None = None, chunk_size: int | None = None,
                    workers: int = 1, backend: str | None = None, curve_draws: int = 20_000,
                    keep_persons: bool = False, first: int = 0, scheduler=None,
                    progress: bool = False, keep_draws: int | None = None,
                    sink: Callable[[dict[str, np.ndarray]], None] | None = None) -> dict[str, Any]:
    """Low-level: per-draw output arrays. Most users want :func:`simkit.simulate`.

    ``first`` > 0 returns draws ``[first, first + draws)`` of the run with this
    seed, bit-identical to the same rows of a longer run (batches of a long run).

    ``keep_draws`` (default: all) below ``draws`` streams the run: each chunk is
    reduced where it ran to a :class:`simkit.streaming.RunStats`, merged in draw
    order under the key ``"stats"``, and only the first ``keep_draws`` draws'
    arrays are returned (with the ``"curve"`` and ``"cash_curve"`` of the
    first ``curve_draws``), so memory is flat in ``draws``; every draw's
    curves are summarised under ``"curve_stats"`` and ``"cash_curve_stats"``
    (:class:`simkit.streaming.CurveStats`) when ``curve_draws`` > 0.

    ``sink`` (a callable) streams the run too and is handed every chunk's
    per-draw arrays in draw order (e.g. :meth:`simkit.streaming.ParquetSink.write`),
    which are then dropped unless kept.

    Examples
    --------
    >>> import simkit
    >>> sc = simkit.load_scenario("norddjurs_v1")
    >>> a = simulate_arrays(sc, 8, seed=1)
    >>> b = simulate_arrays(sc, 4, seed=1, first=4)  # draws 4-7 of the same run
    >>> bool((a["repayment"][4:] == b["repayment"]).all())
    True
    """
    inner = 1
    if nested is not None:
        outer, inner = (int(x) for x in nested)
        draws = outer * inner
    fixed = dict(fixed or {})
    for k, v in fixed.items():
        if k not in sc.parameters:
            hint = did_you_mean(k, list(sc.parameters))
            raise InputError(Problem(f"fixed[{k!r}]", k, f"a parameter of the scenario{hint}"))
        arr = np.asarray(v)
        if arr.ndim > 1 or (arr.ndim == 1 and arr.size != draws):
            raise InputError(Problem(f"fixed[{k!r}]", f"{arr.size} values",
                                     f"a scalar or one value per draw ({draws})"))
    if draws < 1:
        raise InputError(Problem("draws", draws, "a whole number >= 1"))
    keep = draws if keep_draws is None else max(0, min(int(keep_draws), draws))
    streamed = keep < draws or sink is not None
    if streamed and (inner > 1 or keep_persons):
        if sink is not None:
            raise InputError(Problem("parquet", "a nested run or one that keeps persons",
                                     "a plain run (per-draw rows are written for plain runs only)"))
        raise InputError(Problem("keep_draws", keep_draws, f"all {draws:,} draws (a nested run or one that keeps "
                                                            "persons cannot be streamed)"))
    check_time(sc, draws)  # a streamed run's memory is flat: a very long one is refused by its time
    check_memory(sc, draws, chunk_size=chunk_size, workers=1 if backend == "serial" else workers,
                 keep_persons=keep_persons, curve_draws=curve_draws, keep_draws=keep)

    if streamed:
        model = isinstance(sc, ModelScenario)

        # curves of every draw (summarised where the chunk ran) when any is asked for, else none
        all_curves = first + draws if curve_draws > 0 else 0

        def stream_job(a: int, b: int) -> Job:
            cut = {k: (v if np.ndim(v) == 0 else np.asarray(v, dtype=float)[a:b]) for k, v in fixed.items()}
            return Job(None, seed, first + a, first + b, inner, cut, all_curves, False)

        out = backends.run_chunks(stream_job, draws, chunk_fn=stream_shared_chunk,
                                  shared=StreamInputs(sc, model, keep, first, sink is not None,
                                                      max(0, int(curve_draws) - first)),
                                  chunk_size=chunk_size, workers=workers, scheduler=scheduler,
                                  backend=backends.pick_backend(backend, workers, scheduler),
                                  ragged=("curve", "cash_curve"),
                                  merge=("stats", "curve_stats", "cash_curve_stats"), progress=progress,
                                  sinks={"rows": sink} if sink is not None else None)
        parts = out.pop("kept", [])
        kept = {k: np.concatenate([q[k] for q in parts]) for k in parts[0]} if parts else {}
        return {**kept, **out}

    if isinstance(sc, ModelScenario):
        def model_job(a: int, b: int):
            cut = {k: (v if np.ndim(v) == 0 else np.asarray(v, dtype=float)[a:b]) for k, v in fixed.items()}
            return ModelJob(None, seed, first + a, first + b, inner, cut, curve_draws, keep_persons)

        return backends.run_chunks(model_job, draws, chunk_fn=simulate_model_shared_chunk, shared=sc,
                                   chunk_size=chunk_size, workers=workers, scheduler=scheduler,
                                   backend=backends.pick_backend(backend, workers, scheduler),
                                   ragged=("curve", "cash_curve"), progress=progress)

    def job(a: int, b: int) -> Job:
        cut = {k: (v if np.ndim(v) == 0 else np.asarray(v, dtype=float)[a:b]) for k, v in fixed.items()}
        return Job(sc, seed, first + a, first + b, inner, cut, curve_draws, keep_persons)

    return run_chunks(
        job,
        draws, chunk_size=chunk_size, workers=workers, scheduler=scheduler,
        backend=backends.pick_backend(backend, workers, scheduler), progress=progress,
    )


def simulate(
    scenario: Scenario | None = None,
    draws: int = 100_000,
    *,
    seed: RngLike = None,
    nested: tuple[int, int] | None = None,
    fixed: Mapping[str, Any] | None = None,
    chunk_size: int | None = None,
    workers: int = 1,
    backend: str | None = None,
    curve_draws: int = 20_000,
    scheduler=None,
    progress: bool = False,
    keep_draws: bool | int | None = None,
    parquet: str | os.PathLike | None = None,
):
    """Monte Carlo simulation of a scenario: repayment, targets, budget, fund.

    Each draw is one parameter set *and* one realisation of the cohort, in both
    arms (programme and business as usual) with common random numbers.

    Parameters
    ----------
    scenario : Scenario, optional
        From :func:`simkit.load_scenario`; default: the embedded default scenario.
    draws : int
        Number of draws (ignored when ``nested`` is given).
    seed : None, int, SeedSequence or Generator, optional
        Root seed (:func:`simkit.rng.root_seed`). ``None`` draws fresh entropy
        and records it in the result's provenance, so every result can be
        reproduced; a float such as ``1.7`` is refused.
    nested : (outer, inner), optional
        ``outer`` parameter sets, each with ``inner`` cohort realisations.
    fixed : mapping name -> value or per-draw array, optional
        Hold parameters at values (sensitivity analysis); the cohort's random
        numbers stay the same (common random numbers across calls).
    chunk_size, workers, backend : optional
        Memory bound and parallelism ("serial", "processes", "dask",
        "distributed"; see :mod:`simkit.backends`). Results are bit-identical
        whatever these are. Default backend: "distributed" when a scheduler
        is named (``scheduler`` or ``SIMKIT_SCHEDULER``), else "processes"
        when ``workers > 1``, else "serial".
    curve_draws : int
        Draws for which the cumulative net budget curve is kept (the first ones).
    scheduler : distributed.Client or str, optional
        The dask.distributed cluster for ``backend="distributed"`` (a client
        or a scheduler address); default the ``SIMKIT_SCHEDULER`` environment
        variable, the active client, or a ``LocalCluster`` on this machine.
    progress : bool
        A progress bar over chunks on stderr (tqdm); off by default, so notebook outputs stay clean.
    keep_draws : bool or int, optional
        Per-draw arrays to keep in memory (``result.draws_``). Default: all
        draws up to :data:`KEEP_DRAWS` (1,000,000, about 300 MB for the
        default scenario); a longer run is **streamed** and keeps the first
        :data:`KEEP_DRAWS`. ``True`` keeps every draw, ``False`` none, a number
        that many (the first ones). A streamed run's summary comes from
        mergeable accumulators (:mod:`simkit.streaming`): means,
        probabilities and SEs equal those of the run kept in memory exactly,
        quantiles are within the sketch's stated bound (relative 1e-4).
        Nested runs keep every draw.
    parquet : str or path-like, optional
        Also write every draw's outputs (the columns of ``result.draws_``) to
        this Parquet file as chunks finish (in draw order, row groups of
        131,072 draws whatever the chunk size), with the run's provenance
        as JSON in the file's key-value metadata (``simkit.provenance``); see ``docs/parquet.md``. The run is
        then streamed (only ``keep_draws`` draws stay in memory), the file
        appears complete or not at all, and its content is the same whatever
        the chunk size, workers or backend. Needs pyarrow. Not for nested runs.

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> import simkit
    >>> res = simkit.simulate(simkit.load_scenario(), draws=2_000, seed=1)
    >>> 0 <= res.summary()["budget"]["p_neutral"] <= 1
    True
    """
    sc = scenario if scenario is not None else load_scenario()
    seed = root_seed(seed)
    n = int(nested[0]) * int(nested[1]) if nested is not None else int(draws)
    keep = _keep_count(keep_draws, n, nested is not None)
    prov = Provenance(__version__, sc.name, sc.sha256, tuple(sc.sources), seed, n,
                      (int(nested[0]), int(nested[1])) if nested else None, tuple(sorted(fixed or {})))
    run = partial(simulate_arrays, sc, draws, seed=seed, nested=nested, fixed=fixed, chunk_size=chunk_size,
                  workers=workers, backend=backend, curve_draws=curve_draws, scheduler=scheduler,
                  progress=progress, keep_draws=keep)
    if parquet is None:
        arr = run()
    else:
        got: dict[str, Any] = {}

        def write(tmp: Path) -> None:
            with ParquetSink(tmp, prov.as_dict()) as sink:
                got.update(run(sink=sink.write))

        atomic_write(parquet, write)
        arr = got
    stats = arr.pop("stats", None)
    curve_stats, cash_stats = arr.pop("curve_stats", None), arr.pop("cash_curve_stats", None)
    if "repayment" in arr:  # per-draw arrays kept
        add_target_views(sc, arr)  # views on the counts each target reads (no copies)
    curve = arr.pop("curve", None)
    cash = arr.pop("cash_curve", None)
    if curve is None or curve.size == 0:
        curve = np.zeros((0, sc.budget.horizon_years))
    return SimulationResult(sc, arr, curve, prov, cash_=cash, stats_=stats, curve_stats_=curve_stats,
                            cash_stats_=cash_stats)


#: per-draw arrays :func:`simulate` keeps by default; a longer run is streamed
KEEP_DRAWS = 1_000_000


def _keep_count(keep_draws: bool | int | None, draws: int, nested: bool) -> int:
    """Return the number of draws whose arrays a run keeps (``keep_draws`` of :func:`simulate`)."""
    if keep_draws is None:
        return draws if nested else min(draws, KEEP_DRAWS)
    if keep_draws is True:
        return draws
    if keep_draws is False:
        return 0
    if isinstance(keep_draws, (int, np.integer)) and keep_draws >= 0:
        return min(int(keep_draws), draws)
    raise InputError(Problem("keep_draws", keep_draws, "True, False, None or a whole number >= 0"))
