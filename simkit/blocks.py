"""The layout of draws that both engines share: blocks of draws, a chunk's job, parameter rows.

Draws are grouped in fixed blocks of :data:`BLOCK` draws; block ``b``'s
parameters come from the named stream ``"parameters"`` ``(0, b)``
(:mod:`simkit.rng`), so any run of draws is reproduced by any chunk.
:mod:`simkit.engine` (version 1, and the dispatch) and
:mod:`simkit.model.engine` (version 2) both build on this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from simkit.backends import BLOCK
from simkit.model.spec import ModelScenario
from simkit.params import draw_parameters
from simkit.rng import block_generator
from simkit.spec import Scenario

__all__ = ["BLOCK", "Job"]


def _param_rows(sc: Scenario | ModelScenario, seed: int, start: int, stop: int) -> dict[str, np.ndarray]:
    """Parameter draws with indices [start, stop), block by block.

    Examples
    --------
    >>> import simkit
    >>> sc = simkit.load_scenario("norddjurs_v1")
    >>> whole, tail = _param_rows(sc, 1, 0, 4), _param_rows(sc, 1, 2, 4)
    >>> bool((whole["completion_rate"][2:] == tail["completion_rate"]).all())
    True
    """
    dists = {n: p.dist for n, p in sc.parameters.items()}
    chol = sc.chol
    out: dict[str, list] = {n: [] for n in dists}
    b0, b1 = start // BLOCK, (stop - 1) // BLOCK
    for b in range(b0, b1 + 1):
        lo, hi = max(start, b * BLOCK), min(stop, (b + 1) * BLOCK)
        d = draw_parameters(dists, hi - b * BLOCK, rng=block_generator(seed, "parameters", b), chol=chol)
        for n in dists:
            out[n].append(d[n][lo - b * BLOCK:])
    return {n: np.concatenate(v) for n, v in out.items()}


@dataclass(frozen=True)
class Job:
    """Everything a worker needs for one chunk (picklable); ``scenario`` is None when sent without it."""

    scenario: Scenario | None
    seed: int
    start: int
    stop: int
    inner: int
    fixed: Mapping[str, object]
    curve_draws: int
    keep_persons: bool = False


