"""The condition for budget neutrality of a run, per *additional* outcome.

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
every ``simkit run`` output carries it. This module reads a result and runs
nothing, so :mod:`simkit.results` builds on it; :mod:`simkit.headline` (the
headline with its range) re-exports it.

Examples
--------
>>> import simkit
>>> res = simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=1_000, seed=1)
>>> n = neutrality(res)
>>> n["indicator"], round(n["additional_outcomes"], 1) == round(n["outcomes"] - n["outcomes_bau"], 1)
('edu_work', True)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from simkit import labels

__all__ = ["neutrality", "neutrality_sentence", "rate_card_lines"]


def _completion_indicator(sc) -> str | None:
    model = getattr(sc, "model", None)
    return model.completion_indicator if model is not None else "completion"


def _outcome_indicator(sc, draws: Mapping[str, np.ndarray]) -> str | None:
    """Find the contract's outcome indicator: the first it reads that is not the completion indicator."""
    c = sc.contract
    read = [t.indicator for t in c.targets] + [ln.indicator for ln in c.rate_card]
    known = [i for i in dict.fromkeys(read) if f"count_bau:{i}:achieved" in draws]
    comp = _completion_indicator(sc)
    other = [i for i in known if i != comp]
    return (other or known or [None])[0]


def neutrality(result) -> dict[str, Any]:
    """Compute the figures of the budget-neutrality condition of a :class:`~simkit.results.SimulationResult`.

    Returns
    -------
    dict
        ``indicator`` (the outcome indicator; ``None`` if the run has no
        business-as-usual count), ``measurement_date``, ``outcomes`` and
        ``outcomes_bau`` (mean counts with and without the programme),
        ``additional_outcomes`` (their difference), the present-value means
        ``repayment``, ``savings``, ``avoided_activation``, ``uncovered_costs``,
        ``net`` (= savings + avoided activation − uncovered costs − repayment),
        the same per additional outcome (``*_per_additional``; ``None`` when
        there is no additional outcome), ``met_on_average`` (net >= 0),
        ``p_neutral`` and the sentence in English (``condition``).

    Examples
    --------
    >>> import simkit
    >>> n = neutrality(simkit.simulate(simkit.load_scenario(), draws=1_000, seed=1))
    >>> abs(n["net"] - (n["savings"] + n["avoided_activation"] - n["uncovered_costs"] - n["repayment"])) < 1e-6
    True
    """
    sc, d = result.scenario, result.draws_
    st = result.stats  # every draw, also of a streamed run (exact block sums)
    ind = _outcome_indicator(sc, d)
    out: dict[str, Any] = {"indicator": ind, "measurement_date": sc.terms.measurement_date.isoformat()}
    if ind is not None:
        prog = st.mean(f"count:{ind}:achieved")
        bau = st.mean(f"count_bau:{ind}:achieved")
    else:
        prog = bau = float("nan")
    add = prog - bau
    money = {"repayment": st.mean("repayment_pv"), "savings": st.mean("savings_pv"),
             "avoided_activation": st.mean("bau_cost_pv"),
             "uncovered_costs": st.mean("uncovered_pv")}
    net = money["savings"] + money["avoided_activation"] - money["uncovered_costs"] - money["repayment"]
    out.update(outcomes=prog, outcomes_bau=bau, additional_outcomes=add, **money, net=net)
    per_ok = bool(np.isfinite(add) and add > 1e-9)
    for k in (*money, "net"):
        out[f"{k}_per_additional"] = (out[k] / add) if per_ok else None
    out["met_on_average"] = bool(net >= 0)
    out["p_neutral"] = st.mean("is:neutral")
    out["condition"] = neutrality_sentence(out, "en", currency=sc.currency)
    return out


def neutrality_sentence(n: Mapping[str, Any], lang: str = "en", *, currency: str = "DKK",
                        indicator_label: str | None = None) -> str:
    """Write the budget-neutrality condition of :func:`neutrality`'s figures as one sentence.

    ``indicator_label`` replaces the indicator's id in the sentence (plain language).

    Examples
    --------
    >>> n = {"indicator": "edu_work", "measurement_date": "2029-05-31", "outcomes": 50.0, "outcomes_bau": 40.0,
    ...      "additional_outcomes": 10.0, "repayment": 2e6, "savings": 2.5e6, "avoided_activation": 0.0,
    ...      "uncovered_costs": 1e6, "net": -0.5e6, "repayment_per_additional": 2e5,
    ...      "savings_per_additional": 2.5e5, "avoided_activation_per_additional": 0.0,
    ...      "uncovered_costs_per_additional": 1e5, "net_per_additional": -5e4, "met_on_average": False,
    ...      "p_neutral": 0.3}
    >>> print(neutrality_sentence(n))  # doctest: +NORMALIZE_WHITESPACE
    Budget-neutral (present value) when repayment <= savings + avoided activation − costs not covered by the
    grant. Per additional outcome (edu_work with the programme minus without it at the measurement date
    2029-05-31: 50.0 − 40.0 = 10.0 on average) the mean repayment is DKK 200,000 against a saving of
    DKK 250,000 + avoided activation DKK 0 − costs not covered DKK 100,000 = DKK 150,000: not met on
    average (mean net DKK −500,000; P(budget-neutral) 30.0 %).
    """
    def m(x: float) -> str:
        return labels.format_money(x, lang, currency=currency)

    def num(x: float) -> str:
        return labels.format_number(x, lang, decimals=1)

    pct = labels.format_percent(n["p_neutral"], lang)
    n = {**n, "indicator": indicator_label or n["indicator"]}
    if lang == "da":
        head = ("Udgiftsneutral (nutidsværdi), når tilbagebetalingen <= besparelser + undgåede "
                "aktiveringsudgifter − udgifter, tilskuddet ikke dækker.")
        verdict = "opfyldt i gennemsnit" if n["met_on_average"] else "ikke opfyldt i gennemsnit"
        tail = f"{verdict} (gennemsnitlig nettoeffekt {m(n['net'])}; P(udgiftsneutral) {pct})."
        if n.get("repayment_per_additional") is None:
            return (f"{head} Programmet giver i gennemsnit ingen ekstra resultater"
                    f"{' for ' + n['indicator'] if n['indicator'] else ''}, så betingelsen hviler på "
                    f"tilbagebetaling {m(n['repayment'])} mod besparelser {m(n['savings'])} + undgåede "
                    f"aktiveringsudgifter {m(n['avoided_activation'])} − ikke-dækkede udgifter "
                    f"{m(n['uncovered_costs'])}: {tail}")
        return (f"{head} Pr. ekstra resultat ({n['indicator']} med programmet minus uden det på "
                f"slutmålingsdatoen {n['measurement_date']}: {num(n['outcomes'])} − {num(n['outcomes_bau'])} = "
                f"{num(n['additional_outcomes'])} i gennemsnit) er den gennemsnitlige tilbagebetaling "
                f"{m(n['repayment_per_additional'])} mod en besparelse på {m(n['savings_per_additional'])} + "
                f"undgåede aktiveringsudgifter {m(n['avoided_activation_per_additional'])} − ikke-dækkede "
                f"udgifter {m(n['uncovered_costs_per_additional'])} = "
                f"{m(n['net_per_additional'] + n['repayment_per_additional'])}: {tail}")
    head = ("Budget-neutral (present value) when repayment <= savings + avoided activation − costs not "
            "covered by the grant.")
    verdict = "met on average" if n["met_on_average"] else "not met on average"
    tail = f"{verdict} (mean net {m(n['net'])}; P(budget-neutral) {pct})."
    if n.get("repayment_per_additional") is None:
        return (f"{head} The programme adds no outcome on average"
                f"{' (' + n['indicator'] + ')' if n['indicator'] else ''}, so the condition rests on "
                f"repayment {m(n['repayment'])} against savings {m(n['savings'])} + avoided activation "
                f"{m(n['avoided_activation'])} − costs not covered {m(n['uncovered_costs'])}: {tail}")
    return (f"{head} Per additional outcome ({n['indicator']} with the programme minus without it at the "
            f"measurement date {n['measurement_date']}: {num(n['outcomes'])} − {num(n['outcomes_bau'])} = "
            f"{num(n['additional_outcomes'])} on average) the mean repayment is "
            f"{m(n['repayment_per_additional'])} against a saving of {m(n['savings_per_additional'])} + "
            f"avoided activation {m(n['avoided_activation_per_additional'])} − costs not covered "
            f"{m(n['uncovered_costs_per_additional'])} = "
            f"{m(n['net_per_additional'] + n['repayment_per_additional'])}: {tail}")


def rate_card_lines(result) -> list[str]:
    """Plain-text lines on the rate card of a run (none when the contract has no rate card).

    Per line the price, the mean count paid for (with the programme), the
    count without it (business as usual) and the mean amount before the
    overall cap.

    Examples
    --------
    >>> import simkit
    >>> lines = rate_card_lines(simkit.simulate(simkit.load_scenario(), draws=1_000, seed=1))
    >>> lines[1].split()[:3]
    ['Rate', 'card', '(nominal)']
    """
    sc, d = result.scenario, result.draws_
    card = sc.contract.rate_card
    if not card:
        return []
    cur = sc.currency
    out = ["", f"Rate card (nominal)              price    mean count   without programme   mean {cur}"]
    for ln in card:
        bau = d.get(f"count_bau:{ln.indicator}:achieved")
        bau_text = f"{np.mean(bau):>19.1f}" if bau is not None else f"{'n/a':>19}"
        out.append(f"  {ln.id:<24} {ln.price:>12,.0f}  {np.mean(d[f'count:{ln.indicator}:achieved']):>12.1f}"
                   f"{bau_text}   {np.mean(d[f'line:{ln.id}']):>12,.0f}")
    c = sc.contract
    if np.isfinite(c.ceiling_amount):
        due = sum(d[f"line:{ln.id}"] for ln in card) + sum(d[f"factor:{t.id}"] * (t.weight * c.target_unit)
                                                           for t in c.targets)
        out.append(f"  total capped at {cur} {c.ceiling_amount:,.0f} (P(cap binds) "
                   f"{np.mean(d['repayment'] < due - 1e-6):.1%})")
    return out


# ---------------------------------------------------------------- the headline with its range
