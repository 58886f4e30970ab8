"""The headline of a run: the condition for budget neutrality, and the headline with its range.

Budget neutrality (present value) is the condition

    repayment <= savings + avoided activation - costs not covered by the grant,

all discounted to the agreement start (``net_pv >= 0`` per draw). Divided by the
programme's *additional outcomes* — the count of the contract's outcome
indicator with the programme minus without it (business as usual) at the
final measurement date, from the run's own counts — both sides become amounts
per additional outcome, which is how a price per outcome is judged: the
municipality pays for every outcome the contract counts, but saves only on
the additional ones. :func:`neutrality` computes the figures and
:func:`neutrality_sentence` writes them as one sentence (Danish or English);
every ``simkit run`` output carries it (both live in :mod:`simkit.neutrality`,
which the results build on, and are re-exported here).

The headline with its range (:func:`range_layers`, :func:`headline`,
:func:`range_table`): when a run's scenario is an embedded scenario ``<name>``
(the default included) with embedded siblings ``<name>_sceptical`` and
``<name>_optimistic``, ``simkit run`` repeats the run with each sibling layered
on it, with the same draws and seed (common random numbers), and prints
P(budget-neutral) as present value and in cash, the mean net effect, the
fund's multiple and P(loss) side by side.

Examples
--------
>>> import simkit
>>> res = simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=1_000, seed=1)
>>> n = neutrality(res)
>>> n["indicator"], round(n["additional_outcomes"], 1) == round(n["outcomes"] - n["outcomes_bau"], 1)
('edu_work', True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from simkit.engine import simulate
from simkit.io.scenario import DEFAULT_SCENARIO, embedded_scenarios, read_toml
from simkit.neutrality import (
    neutrality,
    neutrality_sentence,
    rate_card_lines,
)
from simkit.scenario import auto_base, load_scenario

__all__ = ["RANGE", "headline", "neutrality", "neutrality_sentence", "range_layers", "range_table",
           "rate_card_lines", "with_range"]

#: the siblings of a scenario that give its range, in the order shown
RANGE = ("sceptical", "optimistic")


def headline(result, *, first: int | None = None) -> dict[str, Any]:
    """Compute the headline numbers of a run, as shown side by side in the range.

    ``p_neutral`` (present value, with ``p_neutral_se``); for scenarios with a
    cash view ``p_neutral_cash_years`` (the municipality's cumulative nominal
    cash position is >= 0 at every budget year's end up to the last repayment)
    and ``p_neutral_at_repayment`` (>= 0 just after the last repayment), else
    ``None``; ``net_mean``; ``fund_multiple`` (mean) and ``fund_p_loss``.
    ``first`` uses only the run's first draws (they do not depend on the
    total, so they pair with a shorter run on the same seed).

    Examples
    --------
    >>> import simkit
    >>> h = headline(simkit.simulate(simkit.load_scenario(), draws=1_000, seed=1))
    >>> 0 <= h["p_neutral_at_repayment"] <= 1
    True
    """
    m = result.n if first is None else max(1, min(int(first), result.n))
    d = {k: v[:m] for k, v in result.draws_.items() if isinstance(v, np.ndarray) and v.shape[:1] == (result.n,)}
    if m == result.n:
        p, se = result.p_neutral
    else:
        ok = d["net_pv"] >= 0
        p, se = float(ok.mean()), float(ok.std(ddof=1) / np.sqrt(m)) if m > 1 else float("nan")
    out: dict[str, Any] = {"draws": m, "p_neutral": p, "p_neutral_se": se, "p_neutral_cash_years": None,
                           "p_neutral_at_repayment": None}
    cash = result.cash_
    if cash is not None and cash.size:
        cash = cash[:m]
        pts = result.scenario.cash_points()
        last = max(day for day, _ in result.scenario.terms.schedule)
        upto = [k for k, (_, day) in enumerate(pts) if day <= last]
        k_rep = max(k for k, (lab, day) in enumerate(pts) if day == last and lab.startswith("repayment"))
        out["p_neutral_cash_years"] = float(np.mean((cash[:, upto] >= 0).all(axis=1)))
        out["p_neutral_at_repayment"] = float(np.mean(cash[:, k_rep] >= 0))
        out["cash_draws"] = int(cash.shape[0])
    mult = d["fund_multiple"]
    out.update(net_mean=float(np.mean(d["net_pv"])), fund_multiple=float(np.mean(mult)),
               fund_p_loss=float(np.mean(mult < 1.0)))
    return out


def with_range(result, given: Sequence[str | Path] | None, *, draws: int | None = None,
               **simulate_kw: Any) -> dict[str, Any] | None:
    """Compute the headline of ``result`` beside its sceptical and optimistic siblings (``None``: no range).

    Each sibling (:func:`range_layers`) is simulated with the run's seed on
    ``draws`` draws (default: as many as the run); the run's own column uses
    its first ``draws`` draws, which are the same cohorts (common random
    numbers). ``simulate_kw`` go to :func:`simkit.simulate` (workers, backend ...).

    Returns
    -------
    dict or None
        ``{"draws", "seed", "layers": {side: [...]}, "sides": {"sceptical", "default", "optimistic"}}``,
        each side a :func:`headline`.

    Examples
    --------
    >>> import simkit
    >>> res = simkit.simulate(simkit.load_scenario("sundinvest_2021"), draws=1_000, seed=1)
    >>> with_range(res, ["sundinvest_2021"]) is None
    True
    """
    layers = range_layers(result.scenario, given)
    if layers is None:
        return None
    m = result.n if draws is None else max(1, min(int(draws), result.n))
    seed = result.provenance.seed
    runs = {k: simulate(load_scenario(v), m, seed=seed, **simulate_kw) for k, v in layers.items()}
    sides = {"sceptical": headline(runs["sceptical"]), "default": headline(result, first=m),
             "optimistic": headline(runs["optimistic"])}
    return {"draws": m, "seed": seed, "layers": layers, "sides": sides}


def _embedded_name(label: str) -> str | None:
    return label[: -len(" (embedded)")] if label.endswith(" (embedded)") else None


def range_layers(sc, given: Sequence[str | Path] | None = None) -> dict[str, list[str | Path]] | None:
    """Find the layers of the sceptical and optimistic runs of a run of ``given``, or ``None``.

    ``given`` are the scenario names or paths of the run (``None``: the
    embedded default); ``sc`` is what :func:`simkit.load_scenario` made of
    them. The range exists when the run's base is an embedded scenario
    ``<name>`` and ``<name>_sceptical`` and ``<name>_optimistic`` are
    embedded too; each sibling is layered right after the base (under the
    run's further layers), or replaces it when the sibling is a whole
    scenario (it has an ``[agreement]``).

    Examples
    --------
    >>> import simkit
    >>> range_layers(simkit.load_scenario("sundinvest_2021"), ["sundinvest_2021"]) is None
    True
    """
    given = [str(g) for g in (given or [])]
    if not given or auto_base(sc, given):
        base, rest = DEFAULT_SCENARIO, given
    else:
        base, rest = _embedded_name(sc.sources[0]) or "", given[1:]
    names = set(embedded_scenarios())
    sib = {k: f"{base}_{k}" for k in RANGE}
    if not base or not all(s in names for s in sib.values()):
        return None
    if any(Path(r).name.removesuffix(".toml") in {base, *sib.values()} for r in rest):
        return None   # the run already is one side of the range (or repeats its base)
    out = {}
    for k, s in sib.items():
        whole = "agreement" in read_toml(s)[1]
        out[k] = [s, *rest] if whole else [base, s, *rest]
    return out


def range_table(heads: Mapping[str, Mapping[str, Any]], *, currency: str = "DKK") -> str:
    """Format the headline of each side of the range as a plain-text table (columns in the order of ``heads``).

    Examples
    --------
    >>> h = {"p_neutral": 0.5, "p_neutral_se": 0.01, "p_neutral_cash_years": None,
    ...      "p_neutral_at_repayment": None, "net_mean": -1e5, "fund_multiple": 0.9, "fund_p_loss": 0.6}
    >>> print(range_table({"sceptical": h, "default": h}).splitlines()[1])
      P(budget-neutral), present value                         50.0%       50.0%
    """
    cols = list(heads)

    def row(name: str, key: str, fmt) -> str:
        vals = [heads[c][key] for c in cols]
        cells = "".join(f"{('n/a' if v is None else fmt(v)):>12}" for v in vals)
        return f"  {name:<50}{cells}"

    lines = [f"  {'':<50}" + "".join(f"{c:>12}" for c in cols),
             row("P(budget-neutral), present value", "p_neutral", lambda v: f"{v:.1%}"),
             row("P(budget-neutral), cash, every year to repayment", "p_neutral_cash_years",
                 lambda v: f"{v:.1%}"),
             row("P(budget-neutral), cash, after last repayment", "p_neutral_at_repayment",
                 lambda v: f"{v:.1%}"),
             row(f"mean net effect ({currency}, present value)", "net_mean", lambda v: f"{v:,.0f}"),
             row("fund's expected multiple", "fund_multiple", lambda v: f"{v:.3f}"),
             row("P(fund loses money)", "fund_p_loss", lambda v: f"{v:.1%}")]
    return "\n".join(lines)
