"""Toy chunk functions for the runner tests (a module of its own: worker processes import it).

A toy job is ``(seed, start, stop)``; block ``b`` of :data:`BLOCK` draws has
its own stream ``SeedSequence(seed, spawn_key=(b,))``, as in the engine.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from simkit.backends import BLOCK


def block_normals(seed: int, block: int) -> np.ndarray:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block,))).standard_normal(BLOCK)


def toy_chunk(job) -> dict:
    seed, a, b = job
    z = np.concatenate([block_normals(seed, k) for k in range(a // BLOCK, (b - 1) // BLOCK + 1)])
    z = z[a - (a // BLOCK) * BLOCK:][: b - a]
    out = {
        "index": np.arange(a, b, dtype=np.int64),
        "z": z,
        "pair": np.stack([z, 2 * z], axis=1),  # (draw, 2): per-draw rows with a trailing axis
        "label": f"{a}-{b}",  # not an array: collected in a list
    }
    if a < 1500:  # ragged: kept only for draws below 1500
        out["head"] = np.arange(a, min(b, 1500))
    return out


def shared_chunk(shared, job) -> dict:
    offset = shared.offset if isinstance(shared, CountingShared) else shared
    r = toy_chunk(job)
    return {"index": r["index"] + offset, "z": r["z"]}


def pid_chunk(job) -> dict:
    _, a, b = job
    return {"pid": np.full(b - a, os.getpid())}


def flaky_chunk(job) -> dict:
    """Fails once, in its first run for draws starting at 1024: raises or kills its worker."""
    (seed, a, b), marker, how = job
    if a == BLOCK and not Path(marker).exists():
        Path(marker).write_text(str(os.getpid()))
        if how == "die":
            os._exit(1)
        raise RuntimeError("a chunk that fails once")
    return toy_chunk((seed, a, b))


PICKLED = {"count": 0}


class CountingShared:
    """A shared input that counts how often it is pickled in this process."""

    def __init__(self, offset: int):
        self.offset = offset

    def __reduce__(self):
        PICKLED["count"] += 1
        return (CountingShared, (self.offset,))
