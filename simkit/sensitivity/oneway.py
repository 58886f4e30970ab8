"""One-way sensitivity analysis (tornado) of the simkit model.

Every uncertain parameter is moved to its low and its high value — the
scenario's named ``sens_low`` / ``sens_high``, else the central interval of
its distribution at ``level`` (:meth:`simkit.spec.Parameter.range`) — while
all other uncertain parameters stay at their central values
(``dist.central``). Each setting is simulated on the same ``draws`` cohort
realisations (same seed: common random numbers), so the effects are paired
differences with small Monte Carlo error, and only the cohort's randomness
remains inside each run.

Outputs (expectations over the cohort draws): ``p_neutral``
(P(net budget effect ≥ 0)), ``repayment_mean``, ``net_mean``,
``p_repayment`` (P(repayment > 0)), ``fund_multiple_mean`` and
``p_met:<target>``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simkit.errors import InputError, Problem
from simkit.results import mean_and_se
from simkit.results.base import Provenance, Result
from simkit.rng import RngLike, root_seed
from simkit.sensitivity.model_common import (
    DEFAULT_SEED,
    as_scenario,
    central_values,
    check_count,
    check_level,
    check_params,
    check_ranges,
    output_label,
    output_names,
    per_draw,
    provenance,
    run_model,
)

__all__ = ["TornadoResult", "tornado"]


def _se(x: np.ndarray) -> float:
    """Monte Carlo SE of a mean (of paired differences, under common random numbers)."""
    return mean_and_se(x)[1]


@dataclass(frozen=True, repr=False)
class TornadoResult(Result):
    """One-way sensitivity of several outputs to each parameter.

    Attributes
    ----------
    parameters : tuple of str
    param_low, param_high, central : numpy.ndarray, shape (parameters,)
        The values each parameter was moved to, and its central value.
    outputs : tuple of str
    base, base_se : numpy.ndarray, shape (outputs,)
        Every parameter at its central value, and the Monte Carlo SE.
    low, high : numpy.ndarray, shape (outputs, parameters)
        Output with the parameter at its low / high value.
    low_se, high_se, swing_se : numpy.ndarray, shape (outputs, parameters)
        Paired Monte Carlo SEs of ``low − base``, ``high − base`` and
        ``high − low`` (common random numbers).
    draws : int
        Cohort realisations per run (``1 + 2 × parameters`` runs).
    level : float
    currency : str
    provenance : Provenance
    """

    parameters: tuple[str, ...]
    param_low: np.ndarray
    param_high: np.ndarray
    central: np.ndarray
    outputs: tuple[str, ...]
    base: np.ndarray
    base_se: np.ndarray
    low: np.ndarray
    high: np.ndarray
    low_se: np.ndarray
    high_se: np.ndarray
    swing_se: np.ndarray
    draws: int
    level: float
    currency: str = "DKK"
    provenance: Provenance = field(default_factory=lambda: Provenance.of(None, seed=None, draws=0),
                                   repr=False, compare=False)

    @property
    def swing(self) -> np.ndarray:
        """``high − low``, shape (outputs, parameters).

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> from simkit.sensitivity import tornado
        >>> res = tornado(sc, params=["completion_rate", "outcome_rate_bau"], draws=100, seed=1)
        >>> res.swing.shape  # (outputs, parameters)
        (7, 2)
        """
        return self.high - self.low

    def ranked(self, output: str = "net_mean") -> tuple[str, ...]:
        """Parameters by decreasing absolute swing of one output.

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> from simkit.sensitivity import tornado
        >>> res = tornado(sc, params=["completion_rate", "outcome_rate_bau"], draws=100, seed=1)
        >>> sorted(res.ranked("p_neutral"))
        ['completion_rate', 'outcome_rate_bau']
        """
        j = self._out(output)
        order = np.argsort(-np.abs(self.swing[j]), kind="stable")
        return tuple(self.parameters[i] for i in order)

    def _out(self, output: str) -> int:
        if output not in self.outputs:
            raise InputError(Problem("output", output, f"one of {', '.join(self.outputs)}"))
        return self.outputs.index(output)

    def to_frame(self) -> pd.DataFrame:
        """One row per (output, parameter), parameters in scenario order.

        Returns
        -------
        pandas.DataFrame
            Columns ``param_low, param_high, central, base, low, high, swing,
            low_se, high_se, swing_se``.

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> from simkit.sensitivity import tornado
        >>> res = tornado(sc, params=["completion_rate", "outcome_rate_bau"], draws=100, seed=1)
        >>> res.to_frame().shape  # 7 outputs x 2 parameters
        (14, 10)
        """
        no, npar = len(self.outputs), len(self.parameters)
        idx = pd.MultiIndex.from_product([list(self.outputs), list(self.parameters)],
                                         names=["output", "parameter"])
        cols = {
            "param_low": np.tile(self.param_low, no), "param_high": np.tile(self.param_high, no),
            "central": np.tile(self.central, no), "base": np.repeat(self.base, npar),
            "low": self.low.ravel(), "high": self.high.ravel(), "swing": self.swing.ravel(),
            "low_se": self.low_se.ravel(), "high_se": self.high_se.ravel(),
            "swing_se": self.swing_se.ravel(),
        }
        return pd.DataFrame(cols, index=idx)

    def to_dict(self) -> dict[str, Any]:
        """Return the stable JSON structure (:meth:`_result_dict`) with a ``"provenance"`` entry.

        Returns
        -------
        dict

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> from simkit.sensitivity import tornado
        >>> res = tornado(sc, params=["completion_rate", "outcome_rate_bau"], draws=100, seed=1)
        >>> res.to_dict()["draws_per_run"], res.to_dict()["provenance"]["method"]
        (100, 'tornado')
        """
        return {**self._result_dict(), "provenance": self.provenance.as_dict()}

    def _result_dict(self) -> dict[str, Any]:
        """Stable JSON structure (``--method tornado``, key ``result``)."""
        return {
            "draws_per_run": self.draws, "level": self.level, "currency": self.currency,
            "outputs": list(self.outputs),
            "base": {o: float(v) for o, v in zip(self.outputs, self.base, strict=True)},
            "base_se": {o: float(v) for o, v in zip(self.outputs, self.base_se, strict=True)},
            "parameters": [
                {"name": p, "low": float(self.param_low[i]), "high": float(self.param_high[i]),
                 "central": float(self.central[i]),
                 "effects": {o: {"low": float(self.low[j, i]), "high": float(self.high[j, i]),
                                 "swing": float(self.swing[j, i]),
                                 "low_se": float(self.low_se[j, i]),
                                 "high_se": float(self.high_se[j, i]),
                                 "swing_se": float(self.swing_se[j, i])}
                             for j, o in enumerate(self.outputs)}}
                for i, p in enumerate(self.parameters)],
        }

    def text(self, outputs: Sequence[str] = ("p_neutral", "repayment_mean", "net_mean")) -> str:
        """Plain-text tables, parameters ranked by the swing of each output.

        Examples
        --------
        >>> import simkit
        >>> sc = simkit.load_scenario("norddjurs_v1")
        >>> from simkit.sensitivity import tornado
        >>> res = tornado(sc, params=["completion_rate", "outcome_rate_bau"], draws=100, seed=1)
        >>> res.text().splitlines()[0][:40]
        'One-way sensitivity (100 cohort draws pe'
        """
        lines = [f"One-way sensitivity ({self.draws:,} cohort draws per run, common random numbers; "
                 "others at their central values)"]
        w = max(len(p) for p in self.parameters)
        for o in outputs:
            if o not in self.outputs:
                continue
            j = self.outputs.index(o)
            prob = o.startswith("p_")

            def f(v: float, prob: bool = prob) -> str:
                return f"{v:8.1%}" if prob else f"{v:>14,.0f}"

            lines.append(f"  {output_label(o)} — base {f(self.base[j]).strip()}")
            for p in self.ranked(o):
                i = self.parameters.index(p)
                lines.append(f"    {p:<{w}}  {self.param_low[i]:>10.4g} → {f(self.low[j, i])}   "
                             f"{self.param_high[i]:>10.4g} → {f(self.high[j, i])}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        """Return the plain-text summary."""
        return self.text()


def tornado(
    scenario: Any = None,
    *,
    params: Sequence[str] | str | None = None,
    draws: int = 4000,
    seed: RngLike = DEFAULT_SEED,
    level: float = 0.95,
    ranges: Mapping[str, Sequence[float]] | None = None,
    workers: int = 1,
    backend: str | None = None,
    chunk_size: int | None = None,
    progress: bool = False,
) -> TornadoResult:
    """One-way sensitivity: each parameter at its low and high value, the rest central.

    Parameters
    ----------
    scenario : Scenario, path, name or list, optional
        Default the embedded scenario.
    params : sequence of str or "a,b", optional
        Parameters to move (default every uncertain one).
    draws : int, default 4000
        Cohort realisations per run; ``1 + 2 × len(params)`` runs.
    seed : None, int, SeedSequence or Generator
        Root seed (:func:`simkit.rng.root_seed`), the same for every run
        (common random numbers).
    level : float, default 0.95
        Central interval used where a parameter has no named low/high.
    ranges : mapping name -> (low, high), optional
        Overrides (and lets a fixed parameter be moved).
    workers, backend, chunk_size, progress
        Passed to :func:`simkit.simulate` (``progress``: tqdm bars over each run's chunks).

    Returns
    -------
    TornadoResult

    Examples
    --------
    >>> from simkit.sensitivity import tornado
    >>> import simkit
    >>> v1 = simkit.load_scenario("norddjurs_v1")  # the 0.1 model: a quick example
    >>> res = tornado(v1, params="completion_rate", draws=500, seed=1)
    >>> bool(res.high[res.outputs.index("p_met:completion"), 0]
    ...      >= res.low[res.outputs.index("p_met:completion"), 0])
    True
    """
    sc = as_scenario(scenario)
    rng_over = check_ranges(sc, ranges)
    names = check_params(sc, params, allow_fixed=tuple(rng_over))
    draws = check_count("draws", draws, 2)
    level = check_level(level)
    seed = root_seed(seed)
    central = central_values(sc)
    lows, highs, cents = [], [], []
    for n in names:
        lo, hi = rng_over.get(n) or sc.parameters[n].range(level)
        lows.append(float(lo))
        highs.append(float(hi))
        cents.append(float(central.get(n, sc.parameters[n].dist.central)))
    outs = output_names(sc)

    def run(fixed: dict[str, float]) -> dict[str, np.ndarray]:
        dr = run_model(sc, draws, seed=int(seed), fixed=fixed, workers=workers, backend=backend,
                       chunk_size=chunk_size, progress=progress)
        return per_draw(dr, sc)

    base = run(dict(central))
    shape = (len(outs), len(names))
    low, high, low_se, high_se, swing_se = (np.empty(shape) for _ in range(5))
    for i, n in enumerate(names):
        y_lo = run({**central, n: lows[i]})
        y_hi = run({**central, n: highs[i]})
        for j, o in enumerate(outs):
            low[j, i], high[j, i] = y_lo[o].mean(), y_hi[o].mean()
            low_se[j, i] = _se(y_lo[o] - base[o])
            high_se[j, i] = _se(y_hi[o] - base[o])
            swing_se[j, i] = _se(y_hi[o] - y_lo[o])
    return TornadoResult(
        parameters=names, param_low=np.array(lows), param_high=np.array(highs),
        central=np.array(cents), outputs=outs,
        base=np.array([base[o].mean() for o in outs]),
        base_se=np.array([_se(base[o]) for o in outs]),
        low=low, high=high, low_se=low_se, high_se=high_se, swing_se=swing_se,
        draws=draws, level=level, currency=sc.currency,
        provenance=provenance(sc, int(seed), draws=draws, method="tornado", level=level),
    )
