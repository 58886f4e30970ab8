"""Benchmark: ``python -m simkit.bench [--scenario NAME] [--draws N] [--workers K] [--backend B] [--chunk-size C]``.

Also ``--keep-draws N`` and ``--curve-draws N`` (a streamed run: memory flat in draws),
``--parquet FILE`` (write every draw) and ``--floor`` (the per-spell floor, below).

Simulates an embedded scenario (default: the default scenario) and reports wall time, draws per
second and peak resident memory (the process's maximum RSS, which includes
the Python interpreter and imported libraries; the baseline after imports is
printed too; worker processes are not included, ``/usr/bin/time -v`` shows
the largest one) and the CPU time of the timed run in all processes (with
``--workers 2`` on two idle cores, wall time can at best halve; CPU time says
how much work the parallel run added, whatever else the machine is doing).
Worker processes and a ``LocalCluster`` are started by a warm-up run before
the clock starts (their start-up time is printed). Machines are noisy:
compare ratios measured in one run. For a declarative-model scenario
(version 2) it also reports the random variates drawn per draw and the
engine's time divided by the time numpy takes to draw as many uniforms
(PCG64 and Philox, single process); with ``--floor``, the time of the least an
event-driven engine does per spell (one Philox block, one ``log1p``, one
``expm1``, compiled) times the scenario's spells per draw: a lower bound on
the engine's CPU time.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time


def _rss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 1024 / 1024


def _cpu_s(who=resource.RUSAGE_SELF) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def _cpu_all(client) -> float:
    """CPU seconds of this process, its finished children and the cluster's workers."""
    cpu = _cpu_s() + _cpu_s(resource.RUSAGE_CHILDREN)
    return cpu + (sum(client.run(_cpu_s).values()) if client is not None else 0.0)


def main(argv=None) -> int:
    """Run the benchmark from the command line (``python -m simkit.bench``); returns the exit code.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0.

    Examples
    --------
    >>> import contextlib, io
    >>> out = io.StringIO()
    >>> with contextlib.redirect_stdout(out):
    ...     code = main(["--draws", "2048", "--scenario", "norddjurs_v1"])  # one chunk, serial
    >>> lines = out.getvalue().splitlines()
    >>> code, lines[0].split(" benchmark: ")[1]
    (0, 'norddjurs_v1 scenario, 2,048 draws, 1 worker(s), backend serial')
    >>> [ln.split()[0] for ln in lines[1:]]  # a version-1 scenario: no variates-per-draw lines
    ['wall', 'draws', 'CPU', 'peak', 'check:']
    """
    ap = argparse.ArgumentParser(prog="python -m simkit.bench", description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--chunk-size", type=int, default=None)
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--backend", choices=("serial", "processes", "dask", "distributed"), default=None,
                    help="default: processes when --workers > 1, else serial")
    ap.add_argument("--scheduler", metavar="ADDR", default=None,
                    help="dask.distributed scheduler (default: SIMKIT_SCHEDULER, else a LocalCluster)")
    ap.add_argument("--scenario", default=None, help="an embedded scenario's name (default: the default)")
    ap.add_argument("--keep-draws", type=int, default=None, metavar="N",
                    help="per-draw arrays kept in memory (default: simulate's, up to 1,000,000; fewer streams the run)")
    ap.add_argument("--curve-draws", type=int, default=20_000, metavar="N",
                    help="draws whose yearly budget curve is computed (default 20,000, as simulate; "
                         "a streamed run summarises the curve of each of them)")
    ap.add_argument("--parquet", default=None, metavar="FILE", help="also write every draw to FILE (Parquet)")
    ap.add_argument("--floor", action="store_true",
                    help="a version-2 scenario: also time the per-spell floor (one Philox block, one log1p and "
                         "one expm1 per spell, compiled) times the spells per draw")
    args = ap.parse_args(argv)

    # start-up speed: the benchmark measures the interpreter's baseline before simkit and numpy load
    import simkit
    from simkit.backends import BLOCK, pick_backend, tune_malloc

    if argv is None:  # run as a program (as the simkit command is): its own process's malloc is tuned
        tune_malloc()

    backend = pick_backend(args.backend, args.workers, args.scheduler)
    client = None
    if backend == "distributed":  # one client for the warm-up and the run
        from simkit.backends import _client_for  # start-up speed (as above)

        client = _client_for(args.scheduler, args.workers)[0]
    run = {"workers": args.workers, "backend": backend, "scheduler": client}
    sc = simkit.load_scenario(args.scenario)
    simkit.simulate(sc, 2048, seed=0)  # warm up: imports, tables
    base = _rss_mb()
    t0 = time.perf_counter()
    if backend != "serial":  # start the workers (or the LocalCluster) outside the timing
        simkit.simulate(sc, 2 * 2048 * max(args.workers, 2), seed=0, chunk_size=2048, **run)
    startup = time.perf_counter() - t0
    cpu0 = _cpu_all(client)
    t0 = time.perf_counter()
    res = simkit.simulate(sc, args.draws, seed=args.seed, chunk_size=args.chunk_size, keep_draws=args.keep_draws,
                          curve_draws=args.curve_draws, parquet=args.parquet, **run)
    wall = time.perf_counter() - t0
    cpu = _cpu_all(client) - cpu0
    s = res.summary()
    print(f"simkit {simkit.__version__} benchmark: {args.scenario or 'default'} scenario, {args.draws:,} draws, "
          f"{args.workers} worker(s), backend {backend}")
    kept = res.n_kept
    if kept < args.draws or args.curve_draws != 20_000 or args.parquet:
        print(f"  streamed: {kept:,} draws kept in memory, curves of the first {min(args.curve_draws, args.draws):,}"
              + (f", every draw written to {args.parquet}" if args.parquet else ""))
    print(f"  wall time        {wall:8.2f} s" + (f" (warm-up run starting the workers: {startup:.1f} s)"
                                                 if backend != "serial" else ""))
    print(f"  draws per second {args.draws / wall:12,.0f}")
    print(f"  CPU time         {cpu:8.2f} s (this process and its workers, during the timed run)")
    print(f"  peak RSS         {_rss_mb():8.0f} MB (after imports and warm-up: {base:.0f} MB)")
    print(f"  check: P(budget-neutral) {s['budget']['p_neutral']:.4f}, mean repayment "
          f"{s['repayment']['mean']:,.0f}")
    if getattr(sc, "version", 1) == 2:
        h = _first_block(sc, args.seed)
        per_draw = h.uniforms / BLOCK + sc.agreement.cohort_size + len(sc.parameters)
        total = int(per_draw * args.draws)
        pcg, philox = _rng_seconds(total, "pcg64"), _rng_seconds(total, "philox")
        print(f"  variates per draw {per_draw:11,.0f} (transition uniforms, score normals, parameters)")
        print(f"  engine / RNG     {wall / pcg:8.1f} (numpy PCG64: {pcg:.2f} s for {total:,} uniforms, best of 3 "
              f"on a sample; Philox: {philox:.2f} s, ratio {wall / philox:.1f})")
        if args.floor:
            spells = h.state.size / BLOCK
            ns = _floor_ns()
            print(f"  per-spell floor  {ns:8.1f} ns x {spells:,.0f} spells per draw = "
                  f"{ns * spells * 1e-9 * args.draws:.1f} CPU-s for {args.draws:,} draws (a lower bound on the engine)")
    return 0


def _first_block(sc, seed: int):
    """Simulate the histories of the first block of a version-2 scenario (for its variates and spells per draw)."""
    # start-up speed: the benchmark measures the baseline before numpy and the engine load
    import numpy as np

    from simkit.blocks import BLOCK, _param_rows
    from simkit.model.simulate import simulate_histories

    p = _param_rows(sc, seed, 0, BLOCK)
    return simulate_histories(sc, p if p else {"_": np.zeros(BLOCK)}, seed=seed, block=0)


def _floor_ns(n: int = 20_000_000) -> float:
    """Time the least an event-driven engine does per spell, compiled: nanoseconds per spell (best of 3).

    One Philox4x64-10 block (the engine's counter-based generator), one ``log1p`` (a latent
    exponential time, the default's only hazard kind besides fixed times) and one ``expm1`` (the
    spell's discounted cost): no competing risks, no effects, no bookkeeping, no pricing tables.
    Whatever a model does per spell beyond this only adds to it.
    """
    import math  # start-up speed (as above)

    import numba as nb
    import numpy as np

    from simkit.model._kernel_nb import _to_unit, philox4x64

    @nb.njit(cache=False)
    def loop(n, k0, k1):
        acc = 0.0
        for i in range(n):
            w0, w1, _, _ = philox4x64(np.uint64(i), np.uint64(0), np.uint64(0), np.uint64(0), k0, k1)
            e = -math.log1p(-_to_unit(w0))
            t = 26.0 * e
            acc += -math.expm1(-0.001 * t) * (1.0 + _to_unit(w1))
        return acc

    k0, k1 = np.uint64(1), np.uint64(2)
    loop(1000, k0, k1)
    best = math.inf
    for _ in range(3):
        t0 = time.perf_counter()
        loop(n, k0, k1)
        best = min(best, time.perf_counter() - t0)
    return best / n * 1e9


def _rng_seconds(n: int, kind: str, sample: int = 1 << 27) -> float:
    """Seconds numpy takes to draw ``n`` uniforms: the best of 3 timings of ``min(n, sample)``, scaled to ``n``.

    Drawn in batches of 2**16 into one buffer that stays in cache, so the figure is the
    generator's speed, not memory bandwidth; the best of three (on a sample of 134 million by
    default) is steadier on a shared machine than one pass over all ``n``.
    """
    import numpy as np  # start-up speed: the baseline is measured before numpy loads

    g = np.random.Generator(np.random.PCG64(1) if kind == "pcg64" else np.random.Philox(1))
    m = max(1, min(n, sample))
    out = np.empty(min(m, 1 << 16))
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        left = m
        while left > 0:
            k = min(left, out.size)
            g.random(out=out[:k])
            left -= k
        best = min(best, time.perf_counter() - t0)
    return best * n / m


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

