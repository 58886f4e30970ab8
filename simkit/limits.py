"""Resource bounds: estimate a run's memory before allocating, refuse it up front if too large.

A run keeps a few hundred bytes per *kept* draw (repayment, budget, fund,
indicator counts) and, while a chunk runs, about 160 bytes per person and
draw of the chunk. A streamed run (more draws than
:data:`simkit.engine.KEEP_DRAWS`, or ``keep_draws`` below ``draws``) keeps
per-draw arrays for ``keep_draws`` draws only, plus its quantile sketches,
so its estimate does not grow with the number of draws. :func:`check_memory` adds these up (with the budget curve and a
baseline for the interpreter and libraries) and raises
:class:`~simkit.errors.InputError` — naming the figure, the bound and how to
proceed — when the estimate exceeds :func:`memory_bound`: the smaller of
8 GiB and three quarters of the machine's physical memory, or the value of the
environment variable ``SIMKIT_MAX_MEMORY_MB``.

The declarative model's engine (``[scenario] version = 2``) works one block of
1,024 draws at a time and carries a compiled kernel in every process: about
2,600 bytes per person and draw of the block.

Measured peak RSS (``/usr/bin/time -v``, one process) of the declarative
Norddjurs model: 392 MB at 1,024 draws, 459 MB at 4,096, 518 MB at 16,384 and
480 MB at 32,768 draws of 95 persons; 957 MB at 1,024 draws of 380 persons and
2,302 MB at 3,072 draws of 950 persons (chunk size makes no difference: the
engine works block by block). That is about 210 MB plus 2,000-2,250 bytes per
person and draw of a block; the constants below round both up.

Examples
--------
>>> import simkit
>>> est = estimate_memory(simkit.load_scenario(), 1_000_000)
>>> 200e6 < est < 2e9
True
"""

from __future__ import annotations

import os
from typing import Any

from simkit.errors import InputError, Problem

__all__ = ["BASELINE_BYTES", "check_memory", "estimate_memory", "memory_bound"]

#: Interpreter, numpy, pandas, scipy, the scenario's tables and the first chunk's fixed costs
#: (measured: about 150 MB before the first chunk, 270 MB at 70,000 draws).
BASELINE_BYTES = 256 * 2**20
#: Working memory per person and draw while a chunk runs (measured: about 125).
PERSON_DRAW_BYTES = 160
#: Kept per draw, on top of 8 bytes for each count a target or rate-card line adds.
DRAW_BYTES = 8 * 24
#: Declarative model (scenario version 2): the baseline of each process (interpreter, libraries and the
#: compiled kernel; measured about 210 MB) and the working memory per person and draw of the block being
#: simulated (measured 2,000-2,250 bytes)
MODEL_BASELINE_BYTES = 320 * 2**20
MODEL_PERSON_DRAW_BYTES = 2600
_BLOCK = 1024
#: A quantile sketch of one output (simkit.streaming, relative accuracy 1e-4): at most about
#: 190,000 bins of 8 bytes per sign for values from 1e-9 to 1e7
SKETCH_BYTES = 4 * 2**20
#: one chunk's stats on their way to be merged (moments per block, sparse sketch bins)
_CHUNK_STATS_BYTES = 256 * 2**10


def memory_bound() -> int:
    """Return the largest estimated memory (bytes) a run may use.

    ``SIMKIT_MAX_MEMORY_MB`` if set, else the smaller of 8 GiB and 75 % of
    the physical memory.

    Examples
    --------
    >>> memory_bound() > 0
    True
    """
    env = os.environ.get("SIMKIT_MAX_MEMORY_MB", "").strip()
    if env:
        try:
            return max(1, int(float(env) * 2**20))
        except ValueError:
            raise InputError(Problem("SIMKIT_MAX_MEMORY_MB", env, "a number of megabytes")) from None
    bound = 8 * 2**30
    try:
        physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        bound = min(bound, int(0.75 * physical))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        pass
    return bound


def _is_model(sc) -> bool:
    return getattr(sc, "version", 1) == 2 and hasattr(sc, "model")


def _per_draw(sc) -> int:
    c = sc.contract
    counted = len(c.targets) + len(getattr(c, "rate_card", ()) or ())
    if _is_model(sc):
        # parameters and money as float64 (with 16 fixed outputs), seven int32 counts per indicator
        # (both arms), and each target's or line's float64 arrays (met, factor, amount)
        return 8 * (len(sc.parameters) + 16) + 4 * 7 * len(sc.model.indicators) + 8 * 3 * counted + 32
    return DRAW_BYTES + 8 * 6 * counted


def estimate_memory(sc, draws: int, *, chunk_size: int | None = None, workers: int = 1,
                    keep_persons: bool = False, curve_draws: int = 20_000,
                    keep_draws: int | None = None) -> int:
    """Estimated peak memory (bytes) of :func:`simkit.engine.simulate_arrays`.

    A streamed run (``keep_draws`` below ``draws``) keeps per-draw arrays for
    ``keep_draws`` draws only, plus its quantile sketches
    (:data:`SKETCH_BYTES`), so its estimate is flat in ``draws``.

    Examples
    --------
    >>> import simkit
    >>> estimate_memory(simkit.load_scenario(), 10**9) > 100e9
    True
    """
    persons = int(sc.agreement.cohort_size)
    chunk = 2 * _BLOCK if chunk_size is None else max(_BLOCK, (int(chunk_size) // _BLOCK) * _BLOCK)
    chunk = min(chunk, draws)
    n_chunks = -(-draws // chunk)
    busy = max(1, min(int(workers), n_chunks))
    keep = draws if keep_draws is None else max(0, min(int(keep_draws), draws))
    kept = keep * _per_draw(sc) + (PERSON_DRAW_BYTES * persons * draws if keep_persons else 0)
    if keep < draws:  # streamed: sketches, and chunk results waiting to be merged in draw order
        kept += SKETCH_BYTES * (3 + len(sc.contract.targets))
        kept += 4 * max(1, int(workers)) * _CHUNK_STATS_BYTES
    if _is_model(sc):
        # each worker process holds its own baseline and one block; the calling process its baseline
        procs = busy + (1 if busy > 1 else 0)
        points = int(sc.budget.horizon_years) + 2 + len(sc.terms.schedule)   # curve + cash view (about)
        working = MODEL_PERSON_DRAW_BYTES * persons * min(_BLOCK, draws) * busy
        curve = 2 * 8 * min(int(curve_draws), draws) * points
        return MODEL_BASELINE_BYTES * procs + working + kept + curve
    working = PERSON_DRAW_BYTES * persons * chunk * busy
    curve = 8 * min(int(curve_draws), draws) * int(sc.budget.horizon_years)
    return BASELINE_BYTES + working + kept + curve


def _gb(n: float) -> str:
    return f"{n / 1e9:,.1f} GB"


def check_memory(sc, draws: int, *, chunk_size: int | None = None, workers: int = 1,
                 keep_persons: bool = False, curve_draws: int = 20_000, keep_draws: int | None = None) -> None:
    """Raise InputError before allocating anything if the run would exceed :func:`memory_bound`.

    Examples
    --------
    >>> import simkit
    >>> check_memory(simkit.load_scenario(), 10**9)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    simkit.errors.InputError: draws: got 1000000000; expected at most ... draws ...
    """
    kw: dict[str, Any] = dict(chunk_size=chunk_size, workers=workers, keep_persons=keep_persons,
                              curve_draws=curve_draws, keep_draws=keep_draws)
    need = estimate_memory(sc, draws, **kw)
    bound = memory_bound()
    if need <= bound:
        return
    bound_text = (f"the bound of {_gb(bound)} (set SIMKIT_MAX_MEMORY_MB to change it on a larger "
                  "machine)")
    if estimate_memory(sc, min(draws, _BLOCK), **kw) > bound:
        persons = sc.agreement.cohort_size
        raise InputError(Problem(
            "agreement.cohort_size", persons,
            f"a cohort that fits in memory: {persons:,} persons need about "
            f"{_gb(estimate_memory(sc, min(draws, _BLOCK), **kw))} per chunk of draws, more than "
            f"{bound_text}; use a smaller cohort, fewer --workers or --chunk-size {_BLOCK}"))
    lo, hi = 1, draws  # largest draw count within the bound
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if estimate_memory(sc, mid, **kw) <= bound:
            lo = mid
        else:
            hi = mid - 1
    raise InputError(Problem(
        "draws", draws,
        f"at most {lo:,} draws for this scenario: {draws:,} draws would need about {_gb(need)} of "
        f"memory, more than {bound_text}. Use fewer --draws (the Monte Carlo SE falls only with "
        "the square root of the draws: 1,000,000 already gives SEs near 0.0005 for a "
        "probability), or keep fewer draws in memory (simulate(..., keep_draws=N) streams the rest)"))


#: A lower bound on the CPU time per person and draw (seconds), measured with ``/usr/bin/time -v`` on a
#: 2-core machine: about 97 ns in the 0.1 engine (1,000,000 draws of 95 persons in 9.2 s) and about
#: 12.6 us in the declarative model's (1.2 ms per draw of 95 persons); halved, so the bound never refuses
#: a run that would finish within it
SECONDS_PER_PERSON_DRAW = 5e-8
MODEL_SECONDS_PER_PERSON_DRAW = 5e-6


def cpu_hours_bound() -> float:
    """Return the largest accepted run in CPU hours: 12, or ``SIMKIT_MAX_CPU_HOURS``.

    Examples
    --------
    >>> cpu_hours_bound() > 0
    True
    """
    raw = os.environ.get("SIMKIT_MAX_CPU_HOURS")
    try:
        value = float(raw) if raw else 12.0
    except ValueError:
        value = 12.0
    return value if value > 0 else 12.0


def estimate_cpu_hours(sc, draws: int) -> float:
    """Estimate a lower bound on a run's CPU time in hours (all workers together).

    Examples
    --------
    >>> import simkit
    >>> round(estimate_cpu_hours(simkit.load_scenario("norddjurs_v1"), 10**8), 2)
    0.13
    """
    per = MODEL_SECONDS_PER_PERSON_DRAW if _is_model(sc) else SECONDS_PER_PERSON_DRAW
    return draws * sc.agreement.cohort_size * per / 3600.0


def check_time(sc, draws: int) -> None:
    """Raise InputError before any work if a run would take longer than :func:`cpu_hours_bound`.

    A streamed run needs no more memory for more draws, so a very long run is refused by its time:
    ``--draws 10**9`` of the declarative default would take weeks.

    Examples
    --------
    >>> import simkit
    >>> check_time(simkit.load_scenario(), 10**9)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    simkit.errors.InputError: draws: got 1000000000; expected at most ... draws ...
    """
    hours = estimate_cpu_hours(sc, draws)
    bound = cpu_hours_bound()
    if hours <= bound:
        return
    most = int(draws * bound / hours)
    raise InputError(Problem(
        "draws", draws,
        f"at most {most:,} draws for this scenario: {draws:,} draws would take at least {hours:,.0f} "
        f"CPU hours, more than the bound of {bound:,.0f} hours (set SIMKIT_MAX_CPU_HOURS to change "
        "it). Use fewer --draws (the Monte Carlo SE falls only with the square root of the draws: "
        "1,000,000 already gives SEs near 0.0005 for a probability)"))
