"""Benchmark: ``python -m simkit.bench [--scenario NAME] [--draws N] [--workers K] [--chunk-size C]``.

Simulates an embedded scenario (default: the default scenario) and reports
wall time, draws per second and peak resident memory (the process's maximum
RSS, which includes the Python interpreter and imported libraries; the
baseline after imports is printed too). For a declarative-model scenario
(version 2) it also reports the random variates drawn per draw and the
engine's time divided by the time numpy takes to draw as many uniforms
(PCG64 and Philox, single process). Machines are noisy: compare ratios
measured in one run.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time


def _rss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 1024 / 1024


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m simkit.bench", description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--chunk-size", type=int, default=None)
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--scenario", default=None, help="an embedded scenario's name (default: the default)")
    args = ap.parse_args(argv)

    import simkit

    sc = simkit.load_scenario(args.scenario)
    simkit.simulate(sc, 2048, seed=0)  # warm up: imports, tables
    base = _rss_mb()
    t0 = time.perf_counter()
    res = simkit.simulate(sc, args.draws, seed=args.seed, workers=args.workers,
                          backend="processes" if args.workers > 1 else "serial", chunk_size=args.chunk_size)
    wall = time.perf_counter() - t0
    s = res.summary()
    print(f"simkit {simkit.__version__} benchmark: {args.scenario or 'default'} scenario, {args.draws:,} draws, "
          f"{args.workers} worker(s)")
    print(f"  wall time        {wall:8.2f} s")
    print(f"  draws per second {args.draws / wall:12,.0f}")
    print(f"  peak RSS         {_rss_mb():8.0f} MB (after imports and warm-up: {base:.0f} MB)")
    print(f"  check: P(budget-neutral) {s['budget']['p_neutral']:.4f}, mean repayment "
          f"{s['repayment']['mean']:,.0f}")
    if getattr(sc, "version", 1) == 2:
        per_draw = _variates_per_draw(sc, args.seed)
        total = int(per_draw * args.draws)
        pcg, philox = _rng_seconds(total, "pcg64"), _rng_seconds(total, "philox")
        print(f"  variates per draw {per_draw:11,.0f} (transition uniforms, score normals, parameters)")
        print(f"  engine / RNG     {wall / pcg:8.1f} (numpy PCG64: {pcg:.2f} s for {total:,} uniforms; "
              f"Philox: {philox:.2f} s, ratio {wall / philox:.1f})")
    return 0


def _variates_per_draw(sc, seed: int) -> float:
    """Random variates per draw of a version-2 scenario, counted on the first block."""
    import numpy as np

    from .engine import BLOCK, _param_rows
    from .model.simulate import simulate_histories

    p = _param_rows(sc, seed, 0, BLOCK)
    h = simulate_histories(sc, p if p else {"_": np.zeros(BLOCK)}, seed=seed, block=0)
    return h.uniforms / BLOCK + sc.agreement.cohort_size + len(sc.parameters)


def _rng_seconds(n: int, kind: str) -> float:
    """Seconds numpy takes to draw ``n`` uniforms (in batches of 2**22)."""
    import numpy as np

    g = np.random.Generator(np.random.PCG64(1) if kind == "pcg64" else np.random.Philox(1))
    out = np.empty(min(n, 1 << 22))
    t0 = time.perf_counter()
    left = n
    while left > 0:
        k = min(left, out.size)
        g.random(out=out[:k])
        left -= k
    return time.perf_counter() - t0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
