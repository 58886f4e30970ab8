"""The committee report: one self-contained HTML file (``simkit report``).

:func:`make_report` runs the simulations and returns the HTML text;
:func:`build_report` turns results you already have into it. The numbers
and their definitions (payback year, position at a repayment date, base
case, the condition for budget neutrality) are in :mod:`simkit.report.data`,
the base case by payer and budget year in :mod:`simkit.report.basecase`, the
layout and the section functions in :mod:`simkit.report.html`.

The *range*: the default scenario beside a sceptical and an optimistic one,
each the scenario with one more layer on top (:func:`range_layers` finds the
embedded siblings ``<name>_sceptical`` / ``<name>_optimistic``), simulated on
the same draws and seed (common random numbers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from simkit.engine import simulate
from simkit.io.scenario import embedded_scenarios, read_toml
from simkit.report.basecase import PayerYears, budget_periods, payer_years
from simkit.report.data import ReportData, base_case_fixed, neutrality, report_data
from simkit.report.html import SECTIONS, Context, build_report
from simkit.scenario import load_scenario

__all__ = ["SECTIONS", "Context", "PayerYears", "ReportData", "apply_range", "base_case_fixed", "budget_periods",
           "build_report", "make_report", "neutrality", "payer_years", "range_layers", "report_data"]

#: the two layers of the range, in the order ``--range SCEPTICAL OPTIMISTIC``
RANGE = ("sceptical", "optimistic")

Layer = tuple[str, Mapping[str, Any]]


def range_layers(scenario) -> dict[str, Layer] | None:
    """Find the embedded or neighbouring siblings ``<name>_sceptical`` / ``<name>_optimistic`` of a scenario.

    ``<name>`` is the scenario's first file: an embedded scenario
    (``"norddjurs (embedded)"``) has embedded siblings, a file
    ``dir/name.toml`` has siblings ``dir/name_sceptical.toml`` and
    ``dir/name_optimistic.toml``. Both must exist; otherwise ``None``.

    Returns
    -------
    dict or None
        ``{"sceptical": (label, document), "optimistic": (label, document)}``.

    Examples
    --------
    >>> range_layers(load_scenario("sundinvest_2021")) is None   # it has no siblings
    True
    """
    if not scenario.sources:
        return None
    first = scenario.sources[0]
    if first.endswith(" (embedded)"):
        name = first.removesuffix(" (embedded)")
        have = set(embedded_scenarios())
        if all(f"{name}_{r}" in have for r in RANGE):
            return {r: read_toml(f"{name}_{r}") for r in RANGE}
        return None
    p = Path(first)
    if p.suffix != ".toml":
        return None
    files = {r: p.with_name(f"{p.stem}_{r}.toml") for r in RANGE}
    if all(f.is_file() for f in files.values()):
        return {r: read_toml(f) for r, f in files.items()}
    return None


def apply_range(scenario, layers: Mapping[str, Layer | str | Path]) -> dict[str, Any]:
    """Build the scenario with each range layer on top: ``{"sceptical": Scenario, "optimistic": Scenario}``.

    A layer is a ``(label, document)`` pair or a path / embedded name of a
    scenario file (an override layer: no ``[agreement]``).

    Examples
    --------
    >>> sc = load_scenario("sundinvest_2021")
    >>> up = {"parameters": {"hr_return": {"dist": "lognormal", "median": 1.2, "low": 1.0, "high": 1.5,
    ...                                    "source": "assumption"}}}
    >>> r = apply_range(sc, {"sceptical": ("low.toml", up)})
    >>> r["sceptical"].sources[-1]
    'low.toml'
    """
    out = {}
    for name, layer in layers.items():
        label, doc = read_toml(layer) if isinstance(layer, str | Path) else layer
        out[name] = scenario.with_updates(doc, label)
    return out


def make_report(scenario=None, *, draws: int = 100_000, seed: int = 2025, base_draws: int = 20_000,
                lang: str = "da", workers: int = 1, backend: str = "serial",
                range: Mapping[str, Layer | str | Path] | Sequence[Layer | str | Path] | bool | None = None,
                payer_draws: int | None = 4_096, progress: bool = False):
    """Simulate a scenario (Monte Carlo, base case and the range) and build the report.

    The Monte Carlo run is exactly ``simkit.simulate(scenario, draws, seed=seed)``
    (what ``simkit run --draws N --seed S`` computes); the base case holds every
    uncertain parameter at its central value over ``base_draws`` cohort
    realisations with the same seed; the sceptical and optimistic runs use the
    same draws and seed as the Monte Carlo run.

    Parameters
    ----------
    scenario : Scenario, optional
        Default: the embedded default scenario.
    draws, seed, base_draws : int
        Monte Carlo draws, the root seed, and the base case's cohort realisations.
    lang : {"da", "en"}
    workers, backend
        As :func:`simkit.simulate`.
    range : None, False, a pair or a mapping
        ``None`` (default): the scenario's siblings when they exist
        (:func:`range_layers`); ``False``: no range; ``(sceptical, optimistic)``
        layers (paths, embedded names or ``(label, document)`` pairs) or a
        mapping with the keys ``"sceptical"`` and ``"optimistic"``.
    payer_draws : int, optional
        Base-case draws behind the table by payer and budget year of a version-2
        scenario (default the first 4,096: their histories are simulated again;
        ``None``: all).
    progress : bool
        Progress bars (tqdm, on stderr) over each run's chunks.

    Returns
    -------
    (str, SimulationResult)
        The HTML text and the Monte Carlo result.

    Examples
    --------
    >>> html, res = make_report(draws=1_000, base_draws=500, seed=1)
    >>> "Sandsynligheden for at aftalen er udgiftsneutral" in html
    True
    """
    sc = scenario if scenario is not None else load_scenario()
    layers: Mapping[str, Layer | str | Path] | None
    if range is None:
        layers = range_layers(sc)
    elif range is False:
        layers = None
    elif isinstance(range, Mapping):
        layers = dict(range)
    else:
        pair = list(range)  # type: ignore[arg-type]
        if len(pair) != 2:
            raise ValueError(f"range needs two layers (sceptical, optimistic), got {len(pair)}")
        layers = dict(zip(RANGE, pair, strict=True))
    others = apply_range(sc, layers) if layers else {}
    kw: dict[str, Any] = {"workers": workers, "backend": backend, "progress": progress}
    res = simulate(sc, draws, seed=seed, **kw)
    base = simulate(sc, base_draws, seed=seed, fixed=base_case_fixed(sc), **kw)
    variants = {name: simulate(v, draws, seed=seed, **kw) for name, v in others.items()}
    return build_report(res, base, lang=lang, variants=variants, payer_draws=payer_draws), res
