"""The committee report: one self-contained HTML file (``simkit report``).

:func:`make_report` runs the simulations and returns the HTML text;
:func:`build_report` turns results you already have into it. The numbers
and their definitions (payback year, position at a repayment date, base
case) are in :mod:`simkit.report.data`, the layout and the section
functions in :mod:`simkit.report.html`.
"""

from __future__ import annotations

from .data import ReportData, base_case_fixed, report_data
from .html import SECTIONS, Context, build_report

__all__ = ["SECTIONS", "Context", "ReportData", "base_case_fixed", "build_report", "make_report",
           "report_data"]


def make_report(scenario=None, *, draws: int = 100_000, seed: int = 2025, base_draws: int = 20_000,
                lang: str = "da", workers: int = 1, backend: str = "serial"):
    """Simulate a scenario (Monte Carlo and base case) and build the report.

    The Monte Carlo run is exactly ``simkit.simulate(scenario, draws, seed=seed)``
    (what ``simkit run --draws N --seed S`` computes); the base case holds every
    uncertain parameter at its central value over ``base_draws`` cohort
    realisations with the same seed.

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
    from ..engine import simulate
    from ..io.scenario import load_scenario

    sc = scenario if scenario is not None else load_scenario()
    res = simulate(sc, draws, seed=seed, workers=workers, backend=backend)
    base = simulate(sc, base_draws, seed=seed, fixed=base_case_fixed(sc), workers=workers, backend=backend)
    return build_report(res, base, lang=lang), res
