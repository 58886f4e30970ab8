"""The report builder: results in, one self-contained HTML text out.

The report is a list of *sections*; each is a function ``section(ctx) -> str``
returning an HTML fragment, so a later section (a per-payer SØM table,
scenarios side by side) is one more function in :data:`SECTIONS` or in the
``sections`` argument of :func:`build_report`. ``ctx`` (:class:`Context`)
carries the numbers (:class:`~simkit.report.data.ReportData`), the language
and the formatting helpers. Headline numbers are written with
:meth:`Context.num`, which tags each with the key of the run summary it
comes from (``data-key="budget.p_neutral"``), so a test can check every one
against ``simkit run --json``.

Everything is inline: CSS in a ``<style>`` element, figures as base64 PNG;
no scripts, fonts or other requests, so the file opens offline and prints
on A4 (the browser's print dialog saves it as PDF).
"""

from __future__ import annotations

import html as _html
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from simkit import labels as L
from simkit.report.data import Neutrality, ReportData, report_data
from simkit.report.figures import fan_chart, png_base64, repayment_chart, targets_chart

__all__ = ["SECTIONS", "Context", "build_report", "format_headline", "summary_value"]

esc = _html.escape

#: the range's runs in the order they are shown, and their names (da, en)
RANGE_RUNS = ("sceptical", "optimistic")
RANGE_NAMES = {"sceptical": ("skeptisk", "sceptical"), "optimistic": ("optimistisk", "optimistic"),
               "default": ("standard", "default")}


@dataclass(frozen=True)
class Context:
    """What a section needs: the numbers, the language, and formatting helpers."""

    data: ReportData
    lang: str

    # ----------------------------------------------------------- text helpers
    def t(self, da: str, en: str) -> str:
        """Pick the text in the report's language.

        Examples
        --------
        >>> import simkit
        >>> from simkit.report.data import report_data
        >>> ctx = Context(report_data(simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=200, seed=1)), "da")
        >>> ctx.t("ja", "yes")
        'ja'
        """
        return da if self.lang == "da" else en

    @property
    def scenario(self):
        """Return the run's scenario."""
        return self.data.result.scenario

    @property
    def currency(self) -> str:
        """Return the scenario's currency."""
        return self.scenario.currency

    def money(self, x: float, *, millions: bool = False) -> str:
        """Format an amount of money in the report's language.

        Examples
        --------
        >>> import simkit
        >>> from simkit.report.data import report_data
        >>> ctx = Context(report_data(simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=200, seed=1)), "da")
        >>> ctx.money(1_234_567)
        '1.234.567 kr.'
        """
        return L.format_money(x, self.lang, millions=millions, currency=self.currency)

    def mio(self, x: float, decimals: int = 1) -> str:
        """Format an amount in millions without the unit (the column header says "mio. kr.").

        Examples
        --------
        >>> import simkit
        >>> from simkit.report.data import report_data
        >>> ctx = Context(report_data(simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=200, seed=1)), "da")
        >>> ctx.mio(1_234_567)
        '1,2'
        """
        return L.format_number(x / 1e6, self.lang, decimals=decimals)

    def pct(self, x: float, decimals: int = 1) -> str:
        """Format a share as a percentage in the report's language.

        Examples
        --------
        >>> import simkit
        >>> from simkit.report.data import report_data
        >>> ctx = Context(report_data(simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=200, seed=1)), "da")
        >>> ctx.pct(0.372)
        '37,2 %'
        """
        return L.format_percent(x, self.lang, decimals=decimals)

    def date(self, d, style: str = "long") -> str:
        """Format a date in the report's language.

        Examples
        --------
        >>> import datetime as dt
        >>> import simkit
        >>> from simkit.report.data import report_data
        >>> ctx = Context(report_data(simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=200, seed=1)), "da")
        >>> ctx.date(dt.date(2028, 6, 30))
        '30. juni 2028'
        """
        return L.format_date(d, self.lang, style=style)

    def label(self, id: str, kind: str | None = None) -> str:
        """Return the label of an id in the report's language.

        Examples
        --------
        >>> import simkit
        >>> from simkit.report.data import report_data
        >>> ctx = Context(report_data(simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=200, seed=1)), "da")
        >>> ctx.label("completion", "targets") == ctx.label("completion", "targets").strip() != ""
        True
        """
        return L.label(id, self.lang, kind=kind, scenario=self.scenario)

    def num(self, key: str, fmt: str = "auto", *, run: str | None = None) -> str:
        """Format a headline number from the run summary, formatted and tagged with its key.

        ``key`` is a path in :meth:`SimulationResult.summary` (``"budget.p_neutral"``,
        ``"targets.edu_work.p_met"``, ``"cash.points.3.mean"``: a number indexes a
        list); ``fmt`` is ``money``, ``money_m`` (millions), ``money_neg`` (the amount
        as a cost, with a minus), ``mio`` (millions without the unit), ``percent``,
        ``ratio`` (2 decimals) or ``auto`` (by the key's unit). ``run`` names one
        of the range's runs (``"sceptical"``); the tag then carries ``data-run``.

        Examples
        --------
        >>> import simkit
        >>> from simkit.report.data import report_data
        >>> ctx = Context(report_data(simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=200, seed=1)), "da")
        >>> ctx.num("draws").startswith('<span class="num" data-key="draws"')
        True
        """
        v = summary_value(self.data.summary if run is None else self.data.variant_summaries[run], key)
        if fmt == "auto":
            unit = L.unit(key.split(".", 1)[0] + "." + key.rsplit(".", 1)[-1], kind="outputs")
            fmt = {"money": "money", "share": "percent", "probability": "percent"}.get(unit, "ratio")
        text = format_headline(v, fmt, self.lang, self.currency)
        tag = f' data-run="{esc(run)}"' if run is not None else ""
        return f'<span class="num" data-key="{esc(key)}" data-fmt="{fmt}"{tag}>{esc(text)}</span>'


def summary_value(summary, key: str):
    """Look up the value at a dotted path of a run summary; a whole number indexes a list.

    Examples
    --------
    >>> summary_value({"cash": {"points": [{"mean": 1.0}, {"mean": 2.0}]}}, "cash.points.1.mean")
    2.0
    """
    v = summary
    for part in key.split("."):
        v = v[int(part)] if isinstance(v, list) else v[part]
    return v


def format_headline(value: float, fmt: str, lang: str, currency: str = "DKK") -> str:
    """How :meth:`Context.num` writes a number (also what the tests re-apply to the JSON).

    Examples
    --------
    >>> format_headline(0.372, "percent", "da"), format_headline(1_234_567, "money_m", "en")
    ('37,2 %', 'DKK 1.2 million')
    """
    if fmt == "money":
        return L.format_money(value, lang, currency=currency)
    if fmt == "money_m":
        return L.format_money(value, lang, millions=True, currency=currency)
    if fmt == "money_neg":
        return L.format_money(-value, lang, currency=currency)
    if fmt == "money_neg_m":
        return L.format_money(-value, lang, millions=True, currency=currency)
    if fmt == "mio":
        return L.format_number(value / 1e6, lang, decimals=1)
    if fmt == "mio_neg":
        return L.format_number(-value / 1e6, lang, decimals=1)
    if fmt == "percent":
        return L.format_percent(value, lang)
    if fmt == "ratio":
        return L.format_number(value, lang, decimals=2)
    raise ValueError(f"unknown format {fmt!r}")


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], *, cls: str = "", caption: str = "",
           numeric_from: int = 1) -> str:
    """Build an HTML table; cells are HTML already (escape text before); columns >= numeric_from right-aligned."""
    h = "".join(f'<th class="{"r" if i >= numeric_from else ""}">{c.replace(" %", "&nbsp;%")}</th>'
                for i, c in enumerate(head))
    b = "".join("<tr>" + "".join(f'<td class="{"r" if i >= numeric_from else ""}">{c}</td>'
                                 for i, c in enumerate(r)) + "</tr>" for r in rows)
    cap = f"<caption>{caption}</caption>" if caption else ""
    return f'<table class="{cls}">{cap}<thead><tr>{h}</tr></thead><tbody>{b}</tbody></table>'


def _figure(fig, alt: str, caption: str) -> str:
    import matplotlib.pyplot as plt  # start-up speed: matplotlib loads only when a figure is drawn

    data = png_base64(fig)
    plt.close(fig)
    return (f'<figure><img alt="{esc(alt)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{caption}</figcaption></figure>")


# ------------------------------------------------------------------------ sections


def section_title(ctx: Context) -> str:
    sc, a = ctx.scenario, ctx.scenario.agreement
    title = ctx.t(f"Social investeringsaftale mellem {a.municipality} og {a.fund}",
                  f"Social investment agreement between {a.municipality} and {a.fund}")
    sub = ctx.t(
        f"Beslutningsgrundlag: tilbagebetaling, udgiftsneutralitet og kassebeholdning. "
        f"Scenarie: {sc.name}. Beregnet med simkit på {L.format_number(ctx.data.summary['draws'], 'da')} "
        "simuleringer.",
        f"Decision paper: repayment, budget neutrality and cash position. Scenario: {sc.name}. "
        f"Computed with simkit on {L.format_number(ctx.data.summary['draws'], 'en')} draws.")
    return f"<header><h1>{esc(title)}</h1><p class=\"sub\">{esc(sub)}</p></header>"


def section_agreement(ctx: Context) -> str:
    sc, a, c = ctx.scenario, ctx.scenario.agreement, ctx.scenario.contract
    items = [
        ctx.t(f"{a.municipality} modtager et betinget tilskud på {ctx.money(c.grant)} fra {a.fund} "
              f"til forløb for {a.cohort_size} borgere.",
              f"{a.municipality} receives a conditional grant of {ctx.money(c.grant)} from {a.fund} "
              f"for courses for {a.cohort_size} people."),
        ctx.t(f"Aftaleperioden er {ctx.date(a.start)} til {ctx.date(a.end)}"
              + (f"; aftalen er underskrevet {ctx.date(a.signed)}." if a.signed else "."),
              f"The agreement runs from {ctx.date(a.start)} to {ctx.date(a.end)}"
              + (f"; it was signed on {ctx.date(a.signed)}." if a.signed else ".")),
        _course(ctx),
    ]
    for t in c.targets:
        items.append(ctx.t(
            f"Betalingsmål »{ctx.label(t.id, 'targets')}«: mindst {ctx.pct(t.threshold, 0)} "
            f"{ctx.label(t.denominator, 'terms')}; vægt {ctx.pct(t.weight, 0)} af tilbagebetalingen; "
            f"{ctx.label(t.rule, 'terms')}.",
            f"Payment target “{ctx.label(t.id, 'targets')}”: at least {ctx.pct(t.threshold, 0)} "
            f"{ctx.label(t.denominator, 'terms')}; {ctx.pct(t.weight, 0)} of the repayment; "
            f"{ctx.label(t.rule, 'terms')}."))
    sched = ", ".join(f"{ctx.date(d)} ({ctx.pct(s, 0)})" for d, s in sc.terms.schedule)
    items.append(ctx.t(
        f"Målene opgøres {ctx.date(sc.terms.measurement_date)}. Kommunen tilbagebetaler tilskuddet med en "
        f"risikopræmie på {ctx.pct(c.premium)} i det omfang målene nås; tilbagebetalingen forfalder {sched}. "
        f"Største mulige tilbagebetaling er {ctx.num('repayment.max_possible')}.",
        f"The targets are measured on {ctx.date(sc.terms.measurement_date)}. The municipality repays the grant "
        f"with a risk premium of {ctx.pct(c.premium)} as far as the targets are met; repayment falls due on "
        f"{sched}. The largest possible repayment is {ctx.num('repayment.max_possible')}."))
    note = ctx.t(
        "Tilskuddets størrelse, betalingsmodellen, risikopræmien og tilbagebetalingsdatoen er ikke "
        "offentliggjort; de er antagelser i dette scenarie (se antagelsestabellen).",
        "The grant size, payment model, risk premium and repayment date are not public; they are "
        "assumptions in this scenario (see the table of assumptions).")
    lis = "".join(f"<li>{x}</li>" for x in items)
    return (f"<section><h2>{ctx.t('Aftalen i korte træk', 'The agreement in brief')}</h2><ul>{lis}</ul>"
            f'<p class="note">{esc(note)}</p></section>')


def _course(ctx: Context) -> str:
    """Describe the course in one sentence: its phases (version 1) or the model's programme states (version 2)."""
    sc = ctx.scenario
    if hasattr(sc, "programme"):
        phases = ", ".join(f"{ctx.label(p.name, 'phases').lower()} ({p.weeks} {ctx.t('uger', 'weeks')})"
                           for p in sc.programme.phases)
        return ctx.t(f"Forløbet varer op til {sc.programme.course_weeks} uger i faser: {phases}.",
                     f"The course lasts up to {sc.programme.course_weeks} weeks in phases: {phases}.")
    states = [st for st in sc.model.states if st.kind == "programme"]
    names = ", ".join(esc(st.label or st.id) for st in states)
    n, k = len(sc.model.states), len(sc.model.transitions)
    model = ctx.t(f"Modellen har {n} tilstande og {k} overgange, med og uden indsatsen.",
                  f"The model has {n} states and {k} transitions, with and without the programme.")
    if not states:
        return model
    return ctx.t(f"Forløbet består af: {names}. ", f"The course consists of: {names}. ") + model


def _same_point(ctx: Context, run: str, key: str) -> bool:
    """Whether ``key`` means the same thing in a range run (a cash point with the same label)."""
    if not key.startswith("cash.points."):
        return True
    k = int(key.split(".")[2])
    mine = ctx.data.summary["cash"]["points"]
    theirs = ctx.data.variant_summaries[run].get("cash", {}).get("points", [])
    return k < len(theirs) and theirs[k]["label"] == mine[k]["label"]


def _range_text(ctx: Context, key: str, fmt: str = "auto") -> str:
    """" (sceptical: x, optimistic: y)" after a headline number, when the report has a range."""
    runs = [r for r in RANGE_RUNS if r in ctx.data.variant_summaries and _same_point(ctx, r, key)]
    if not runs:
        return ""
    parts = [f"{ctx.t(*RANGE_NAMES[r])}: {ctx.num(key, fmt, run=r)}" for r in runs]
    return " (" + ", ".join(parts) + ")"


def section_key_figures(ctx: Context) -> str:
    d, s = ctx.data, ctx.data.summary
    b = s["budget"]
    out = [ctx.t(
        f"Sandsynligheden for at aftalen er udgiftsneutral er {ctx.num('budget.p_neutral')}"
        f"{_range_text(ctx, 'budget.p_neutral')}: så stor en "
        f"andel af simuleringerne giver en nettoeffekt for kommunens budget på mindst 0 kr. over "
        f"{b['horizon_years']} år (nutidsværdi, {ctx.pct(b['discount_rate'])} diskonteringsrente).",
        f"The probability that the agreement is budget-neutral is {ctx.num('budget.p_neutral')}"
        f"{_range_text(ctx, 'budget.p_neutral')}: the share "
        f"of draws in which the net effect on the municipal budget is at least zero over "
        f"{b['horizon_years']} years (present value, {ctx.pct(b['discount_rate'])} discount rate)."),
        ctx.t(
        f"Den forventede nettoeffekt er {ctx.num('budget.net_mean', 'money_m')}; i 90 % af simuleringerne "
        f"ligger den mellem {ctx.num('budget.net_q05', 'money_m')} og {ctx.num('budget.net_q95', 'money_m')}.",
        f"The expected net effect is {ctx.num('budget.net_mean', 'money_m')}; in 90 % of the draws it lies "
        f"between {ctx.num('budget.net_q05', 'money_m')} and {ctx.num('budget.net_q95', 'money_m')}."),
        ctx.t(
        f"Kommunen forventes at tilbagebetale {ctx.num('repayment.mean')} til fonden. Sandsynligheden for "
        f"ingen tilbagebetaling er {ctx.num('repayment.p_none')}, for fuld tilbagebetaling "
        f"{ctx.num('repayment.p_full')}.",
        f"The municipality is expected to repay {ctx.num('repayment.mean')} to the fund. The probability of "
        f"no repayment is {ctx.num('repayment.p_none')}, of full repayment {ctx.num('repayment.p_full')}.")]
    for tid in s["targets"]:
        out.append(ctx.t(
            f"Sandsynligheden for at betalingsmålet »{esc(ctx.label(tid, 'targets'))}« nås, er "
            f"{ctx.num(f'targets.{tid}.p_met')}.",
            f"The probability that the payment target “{esc(ctx.label(tid, 'targets'))}” is met is "
            f"{ctx.num(f'targets.{tid}.p_met')}."))
    out.append(_neutrality_sentence(ctx))
    for pos in d.positions:
        if pos.basis == "nominal":
            k: str = pos.key  # type: ignore[assignment]  # nominal positions carry their summary key
            out.append(ctx.t(
                f"Lige efter tilbagebetalingen {ctx.date(pos.date)} er kommunens akkumulerede kassebeholdning "
                f"(nominelt, tilskud og tilbagebetaling medregnet) i gennemsnit {ctx.num(k + '.mean', 'money_m')}"
                f"{_range_text(ctx, k + '.mean', 'money_m')}, og sandsynligheden for at den er negativ, er "
                f"{ctx.num(k + '.p_negative', 'percent')}{_range_text(ctx, k + '.p_negative', 'percent')}.",
                f"Just after the repayment on {ctx.date(pos.date)} the municipality's cumulative cash position "
                f"(nominal, grant and repayment included) is {ctx.num(k + '.mean', 'money_m')}"
                f"{_range_text(ctx, k + '.mean', 'money_m')} on average, and the probability that it is negative "
                f"is {ctx.num(k + '.p_negative', 'percent')}{_range_text(ctx, k + '.p_negative', 'percent')}."))
            continue
        out.append(ctx.t(
            f"Lige efter tilbagebetalingen {ctx.date(pos.date)} er den akkumulerede nettoeffekt i gennemsnit "
            f"{ctx.money(pos.mean, millions=True)}, og sandsynligheden for at den er negativ, er "
            f"{ctx.pct(pos.p_negative)}.",
            f"Just after the repayment on {ctx.date(pos.date)} the cumulative net effect is "
            f"{ctx.money(pos.mean, millions=True)} on average, and the probability that it is negative is "
            f"{ctx.pct(pos.p_negative)}."))
    y: int | None
    if d.payback_year is not None:
        y = d.payback_year
        out.append(ctx.t(
            f"Investeringen er tilbagebetalt i år {y} (senest {ctx.date(d.year_end_dates[y - 1])}): "
            "fra da af overstiger de forventede besparelser forløbets udgifter, tilskud og tilbagebetaling "
            "ikke medregnet.",
            f"The investment is paid back in year {y} (by {ctx.date(d.year_end_dates[y - 1])}): from then on "
            "the expected savings exceed the programme's costs, not counting the grant and the repayment."))
    else:
        out.append(ctx.t("Investeringen er ikke tilbagebetalt inden for tidshorisonten.",
                         "The investment is not paid back within the horizon."))
    if d.cash:
        y = d.cash_payback_year
        out.append(ctx.t(
            f"Regnet i budgetår (nominelt, uden tilskud og tilbagebetaling) er kommunens forventede akkumulerede "
            f"kassebeholdning positiv fra og med budgetår {y}." if y is not None else
            "Regnet i budgetår (nominelt, uden tilskud og tilbagebetaling) bliver kommunens forventede "
            "akkumulerede kassebeholdning ikke varigt positiv inden for tidshorisonten.",
            f"In budget years (nominal, without the grant and the repayment) the municipality's expected "
            f"cumulative cash position is positive from budget year {y} on." if y is not None else
            "In budget years (nominal, without the grant and the repayment) the municipality's expected "
            "cumulative cash position does not stay positive within the horizon."))
    out.append(ctx.t(
        f"Fonden får i gennemsnit {ctx.num('fund.multiple_mean')} gange tilskuddet tilbage; sandsynligheden "
        f"for at fonden taber penge, er {ctx.num('fund.p_loss')}.",
        f"The fund gets back {ctx.num('fund.multiple_mean')} times the grant on average; the probability that "
        f"the fund loses money is {ctx.num('fund.p_loss')}."))
    lis = "".join(f"<li>{x}</li>" for x in out)
    return f'<section class="key"><h2>{ctx.t("Hovedresultater", "Key figures")}</h2><ul>{lis}</ul></section>'


def _neutrality_sentence(ctx: Context) -> str:
    """Write the condition for budget neutrality, with the run's means (:class:`~simkit.report.data.Neutrality`)."""
    n: Neutrality = ctx.data.neutrality  # type: ignore[assignment]  # report_data always sets it
    if ctx.data.summary["budget"]["uncovered_cost_mean"] >= 0:
        unc = ctx.t(f"− udgifter som tilskuddet ikke dækker {ctx.num('budget.uncovered_cost_mean', 'money_m')}",
                    f"− costs the grant does not cover {ctx.num('budget.uncovered_cost_mean', 'money_m')}")
    else:
        unc = ctx.t(f"+ den del af tilskuddet, som udgifterne ikke bruger, "
                    f"{ctx.num('budget.uncovered_cost_mean', 'money_neg_m')}",
                    f"+ the part of the grant the costs do not use {ctx.num('budget.uncovered_cost_mean', 'money_neg_m')}")
    right = ctx.money(n.savings + n.avoided - n.uncovered, millions=True)
    holds = ctx.t("opfyldt" if n.holds else "ikke opfyldt", "met" if n.holds else "not met")
    text = ctx.t(
        f"Betingelsen for udgiftsneutralitet (nutidsværdi): tilbagebetalingen må højst være besparelserne + "
        f"sparet aktivering − de udgifter, tilskuddet ikke dækker. Her er tilbagebetalingen i gennemsnit "
        f"{ctx.num('budget.repayment_pv_mean', 'money_m')} mod besparelser "
        f"{ctx.num('budget.savings_mean', 'money_m')} + sparet aktivering "
        f"{ctx.num('budget.avoided_bau_cost_mean', 'money_m')} {unc} = {right}: betingelsen er {holds} "
        "i gennemsnit.",
        f"The condition for budget neutrality (present value): the repayment may be at most the savings + "
        f"avoided activation − the costs the grant does not cover. Here the mean repayment is "
        f"{ctx.num('budget.repayment_pv_mean', 'money_m')} against savings "
        f"{ctx.num('budget.savings_mean', 'money_m')} + avoided activation "
        f"{ctx.num('budget.avoided_bau_cost_mean', 'money_m')} {unc} = {right}: the condition is {holds} "
        "on average.")
    if n.indicator is not None and n.outcomes > 0 and n.additional > 0:
        lab = esc(ctx.label(n.indicator, "indicators"))
        one = lambda x: L.format_number(x, ctx.lang, decimals=1)  # noqa: E731
        text += " " + ctx.t(
            f"Pr. resultat (»{lab}« ved den endelige opgørelse): med indsatsen opnår {one(n.outcomes)} personer "
            f"det i gennemsnit, uden {one(n.outcomes_bau)}, altså {one(n.additional)} ekstra resultater. "
            f"Pris pr. resultat × resultater ({ctx.money(n.price_per_outcome)} × {one(n.outcomes)}) skal "
            f"højst være besparelse pr. ekstra resultat × ekstra resultater "
            f"({ctx.money(n.saving_per_additional)} × {one(n.additional)}) + sparet aktivering − udækkede "
            "udgifter.",
            f"Per outcome (“{lab}” at the final measurement): with the programme {one(n.outcomes)} persons "
            f"achieve it on average, without it {one(n.outcomes_bau)}, so {one(n.additional)} additional "
            f"outcomes. Price per outcome × outcomes ({ctx.money(n.price_per_outcome)} × {one(n.outcomes)}) "
            f"must be at most saving per additional outcome × additional outcomes "
            f"({ctx.money(n.saving_per_additional)} × {one(n.additional)}) + avoided activation − uncovered "
            "costs.")
    return text


def section_targets(ctx: Context) -> str:
    s = ctx.data.summary
    if not s["targets"]:  # a contract without payment targets (e.g. a rate card): no section, no empty figure
        return ""
    rows = []
    for tid, t in s["targets"].items():
        rows.append([esc(ctx.label(tid, "targets")), ctx.num(f"targets.{tid}.threshold"),
                     ctx.num(f"targets.{tid}.p_met"), ctx.pct(t["p_met_se"], 2),
                     ctx.num(f"targets.{tid}.rate_mean"),
                     f"{ctx.num(f'targets.{tid}.rate_q05')} – {ctx.num(f'targets.{tid}.rate_q95')}"])
    head = ctx.t("Betalingsmål|Mål|Sandsynlighed for at målet nås|MC-standardfejl|Forventet målopfyldelse|"
                 "90 %-interval", "Payment target|Target|Probability met|MC standard error|Expected rate|"
                 "90 % interval").split("|")
    fig = _figure(targets_chart(ctx.data, ctx.lang), ctx.t("Sandsynlighed for at hvert betalingsmål nås",
                                                           "Probability that each target is met"),
                  ctx.t("Sandsynlighed for at hvert betalingsmål nås (linjerne: 95 % Monte Carlo-usikkerhed).",
                        "Probability that each payment target is met (lines: 95 % Monte Carlo error)."))
    return (f"<section><h2>{ctx.t('Betalingsmål', 'Payment targets')}</h2>{_table(head, rows)}{fig}"
            "</section>")


def section_repayment(ctx: Context) -> str:
    rep = ctx.data.result.draws_["repayment"]
    levels = np.unique(np.round(rep, 2))
    rows = [[ctx.t("Forventet tilbagebetaling", "Expected repayment"), ctx.num("repayment.mean")],
            [ctx.t("5 %-fraktil", "5 % quantile"), ctx.num("repayment.q05")],
            [ctx.t("Median", "Median"), ctx.num("repayment.q50")],
            [ctx.t("95 %-fraktil", "95 % quantile"), ctx.num("repayment.q95")],
            [ctx.t("Ingen tilbagebetaling", "No repayment"), ctx.num("repayment.p_none")],
            [ctx.t("Fuld tilbagebetaling", "Full repayment"), ctx.num("repayment.p_full")],
            [ctx.t("Største mulige", "Largest possible"), ctx.num("repayment.max_possible")]]
    table = _table([ctx.t("Tilbagebetaling til fonden (nominelt)", "Repayment to the fund (nominal)"),
                    ctx.t("Værdi", "Value")], rows)
    extra = ""
    if levels.size <= 12:
        r = np.round(rep, 2)
        extra = _table([ctx.t("Beløb", "Amount"), ctx.t("Andel af simuleringerne", "Share of draws")],
                       [[ctx.money(v), ctx.pct(float(np.mean(r == v)))] for v in levels])
    fig = _figure(repayment_chart(ctx.data, ctx.lang),
                  ctx.t("Fordelingen af tilbagebetalingen", "Distribution of the repayment"),
                  ctx.t("Fordelingen af tilbagebetalingen til fonden (andel af simuleringerne).",
                        "Distribution of the repayment to the fund (share of draws)."))
    return (f"<section><h2>{ctx.t('Tilbagebetaling', 'Repayment')}</h2>"
            f'<div class="cols">{table}{extra}</div>{fig}</section>')


def section_budget(ctx: Context) -> str:
    d = ctx.data
    res, base = d.result, d.base
    dr = res.draws_

    def q(x):
        return [ctx.mio(v) for v in np.quantile(x, [0.05, 0.5, 0.95])]

    items = [
        (ctx.t("Besparelser på forsørgelse", "Savings on benefits"), "savings_pv", 1,
         "budget.savings_mean"),
        (ctx.t("Sparet aktiveringsudgift", "Activation cost avoided"), "bau_cost_pv", 1,
         "budget.avoided_bau_cost_mean"),
        (ctx.t("Udgifter som tilskuddet ikke dækker", "Costs the grant does not cover"), "uncovered_pv", -1,
         "budget.uncovered_cost_mean"),
        (ctx.t("Tilbagebetaling til fonden", "Repayment to the fund"), "repayment_pv", -1,
         "budget.repayment_pv_mean"),
    ]
    rows = []
    for name, key, sign, skey in items:
        x = sign * np.asarray(dr[key], dtype=float)
        bm = ctx.mio(sign * float(base.draws_[key].mean())) if base is not None else "–"
        rows.append([esc(name), bm, ctx.num(skey, "mio" if sign > 0 else "mio_neg"), *q(x)])
    bnet = ctx.mio(float(base.draws_["net_pv"].mean())) if base is not None else "–"
    rows.append([f"<b>{ctx.t('Nettoeffekt', 'Net effect')}</b>", f"<b>{bnet}</b>",
                 f"<b>{ctx.num('budget.net_mean', 'mio')}</b>", ctx.num("budget.net_q05", "mio"),
                 ctx.mio(float(np.quantile(dr['net_pv'], 0.5))), ctx.num("budget.net_q95", "mio")])
    nb = base.n if base is not None else 0
    cu = L.unit_text("money", ctx.lang, currency=ctx.currency)
    head = ctx.t(f"Nutidsværdi over hele perioden, mio. {cu}|Basisberegning|Monte Carlo: gennemsnit|5 %|50 %|95 %",
                 f"Present value over the horizon, {cu} million|Base case|Monte Carlo: mean|5 %|50 %|95 %"
                 ).split("|")
    cap = ctx.t(
        f"Basisberegning: alle usikre parametre på deres middelværdi, gennemsnit over "
        f"{L.format_number(nb, 'da')} realisationer af de {ctx.scenario.agreement.cohort_size} forløb. "
        "Monte Carlo: parametre og forløb trukket tilfældigt; 5 %, 50 % og 95 % er fraktiler.",
        f"Base case: every uncertain parameter at its mean, averaged over {L.format_number(nb, 'en')} "
        f"realisations of the {ctx.scenario.agreement.cohort_size} courses. Monte Carlo: parameters and "
        "courses drawn at random; 5 %, 50 % and 95 % are quantiles.")
    pv_table = _table(head, rows, caption=esc(cap))

    # year by year
    c = d.cumulative
    qs = np.quantile(c, [0.05, 0.5, 0.95], axis=0) if c.shape[0] else np.full((3, len(d.year_end_dates)), np.nan)
    yrows = []
    for i, day in enumerate(d.year_end_dates):
        yrows.append([f"{i + 1} ({ctx.date(day, 'short')})",
                      ctx.mio(d.base_cumulative[i]) if d.base_cumulative is not None else "–",
                      ctx.mio(d.base_operating[i]) if d.base_operating is not None else "–",
                      ctx.mio(qs[0, i]), ctx.mio(qs[1, i]), ctx.mio(qs[2, i]),
                      ctx.pct(float(np.mean(c[:, i] < 0))) if c.shape[0] else "–",
                      ctx.pct(float(d.p_paid_back[i]))])
    yhead = ctx.t(f"År (til og med)|Basis: akkumuleret, mio. {cu}|Basis: uden tilskud og tilbagebetaling|"
                  "Monte Carlo: 5 %|50 %|95 %|Sandsynlighed for negativ akkumuleret effekt|Sandsynlighed for "
                  "at investeringen er tilbagebetalt",
                  f"Year (up to)|Base: cumulative, {cu} million|Base: without grant and repayment|Monte Carlo: "
                  "5 %|50 %|95 %|Probability the cumulative effect is negative|Probability the investment "
                  "is paid back").split("|")
    ycap = ctx.t(
        f"Akkumuleret nettoeffekt for kommunens budget ved udgangen af hvert aftaleår (nutidsværdi ved aftalens "
        f"start), tilskud og tilbagebetaling medregnet på deres datoer, undtagen i kolonnen »uden tilskud og "
        f"tilbagebetaling«. Monte Carlo-kolonnerne bygger på de første {L.format_number(c.shape[0], 'da')} "
        "simuleringer.",
        f"Cumulative net effect on the municipal budget at the end of each agreement year (present value at "
        f"the agreement start), grant and repayment counted on their dates except in the column “without grant "
        f"and repayment”. The Monte Carlo columns use the first {L.format_number(c.shape[0], 'en')} draws.")
    year_table = _table(yhead, yrows, cls="small years", caption=esc(ycap))

    prow = [[ctx.date(p.date), ctx.pct(p.share, 0), ctx.mio(p.mean), ctx.mio(p.q05), ctx.mio(p.q50),
             ctx.mio(p.q95), ctx.pct(p.p_negative)] for p in d.positions if p.basis == "pv"]
    phead = ctx.t(f"Tilbagebetalingsdato|Andel af tilbagebetalingen|Gennemsnit, mio. {cu}|5 %|50 %|95 %|"
                  "Sandsynlighed for negativ akkumuleret effekt",
                  f"Repayment date|Share of the repayment|Mean, {cu} million|5 %|50 %|95 %|"
                  "Probability the cumulative effect is negative").split("|")
    pos_table = _table(phead, prow, caption=esc(ctx.t(
        "Akkumuleret nettoeffekt lige efter hver tilbagebetaling (de løbende poster interpoleret lineært "
        "inden for året, tilskud og tilbagebetaling på deres datoer).",
        "Cumulative net effect just after each repayment (running items interpolated linearly within the "
        "year, grant and repayment on their dates)."))) if prow else ""

    fig = _figure(fan_chart(d, ctx.lang),
                  ctx.t("Vifte-diagram over den akkumulerede nettoeffekt", "Fan chart of the cumulative net effect"),
                  ctx.t("Akkumuleret nettoeffekt for kommunens budget (mio. kr., nutidsværdi); båndene viser 5–95 % "
                        "og 25–75 % af simuleringerne. Den røde streg-prik-linje er tilbagebetalingsdatoen, den "
                        "grønne prikkede linje året hvor investeringen er tilbagebetalt.",
                        "Cumulative net effect on the municipal budget (million, present value); the bands show "
                        "5–95 % and 25–75 % of the draws. The red dash-dotted line is the repayment date, the "
                        "green dotted line the year in which the investment is paid back."))
    payback = ctx.t(
        "<b>Tilbagebetalingstid</b> er her det første år, hvorfra den forventede akkumulerede nettoeffekt "
        "<i>uden</i> tilskud og tilbagebetaling (besparelser og sparet aktivering minus forløbets udgifter) "
        "forbliver positiv: det år, hvor besparelserne har betalt investeringen tilbage, uanset hvordan den "
        "er finansieret. Med tilskuddet medregnet ville år 1 se ud som tilbagebetalingsåret, alene fordi "
        "tilskuddet udbetales ved starten.",
        "<b>Payback year</b> is here the first year from which the expected cumulative net effect "
        "<i>without</i> the grant and the repayment (savings and avoided activation minus the programme's "
        "costs) stays positive: the year in which the savings have paid back the investment, however it is "
        "financed. Counting the grant, year 1 would look like the payback year only because the grant is "
        "paid at the start.")
    return (f"<section><h2>{ctx.t('Kommunens budget', 'The municipal budget')}</h2>{pv_table}"
            f"<h3>{ctx.t('År for år og ved tilbagebetalingen', 'Year by year and at repayment')}</h3>"
            f"{pos_table}{year_table}<p class=\"note\">{payback}</p>{fig}</section>")


def section_range(ctx: Context) -> str:
    """Default, sceptical and optimistic side by side (the same draws and seed)."""
    d = ctx.data
    runs = [r for r in RANGE_RUNS if r in d.variant_summaries]
    if not runs:
        return ""
    order = ["sceptical", "default", "optimistic"]
    cols = [r for r in order if r == "default" or r in runs]
    s = d.summary

    def row(name, key, fmt="auto"):
        return [esc(name)] + [ctx.num(key, fmt, run=None if r == "default" else r)
                              if r == "default" or _same_point(ctx, r, key) else "–" for r in cols]

    rows = [row(ctx.t("Sandsynlighed for udgiftsneutralitet (nutidsværdi)", "Probability of budget neutrality "
                      "(present value)"), "budget.p_neutral"),
            row(ctx.t("Forventet nettoeffekt for kommunen", "Expected net effect for the municipality"),
                "budget.net_mean", "money_m"),
            row(ctx.t("Forventet tilbagebetaling", "Expected repayment"), "repayment.mean", "money_m")]
    for tid in s["targets"]:
        rows.append(row(ctx.t(f"Sandsynlighed for at »{ctx.label(tid, 'targets')}« nås",
                              f"Probability that “{ctx.label(tid, 'targets')}” is met"), f"targets.{tid}.p_met"))
    for p in d.positions:
        if p.basis == "nominal":
            rows.append(row(ctx.t(f"Kassebeholdning lige efter tilbagebetalingen {ctx.date(p.date, 'short')}",
                                  f"Cash position just after the repayment on {ctx.date(p.date, 'short')}"),
                            p.key + ".mean", "money_m"))  # type: ignore[operator]  # nominal positions carry their key
            rows.append(row(ctx.t("– sandsynlighed for at den er negativ", "– probability that it is negative"),
                            p.key + ".p_negative", "percent"))  # type: ignore[operator]  # nominal positions carry their key
    rows.append(row(ctx.t("Fondens gennemsnitlige multipel", "Fund's mean multiple"), "fund.multiple_mean"))
    rows.append(row(ctx.t("Sandsynlighed for at fonden taber", "Probability that the fund loses"), "fund.p_loss"))
    head = [ctx.t("Scenarie", "Scenario")] + [ctx.t(*RANGE_NAMES[r]).capitalize() for r in cols]
    layers = "; ".join(f"{ctx.t(*RANGE_NAMES[r])}: {esc(' + '.join(d.variant_summaries[r]['scenario']['sources']))}"
                       for r in runs)
    cap = ctx.t(
        f"Alle tre beregninger bruger de samme {L.format_number(s['draws'], 'da')} simuleringer og samme seed "
        f"({s['seed']}): de samme tilfældige tal, så forskellene skyldes antagelserne. Lag: {layers}.",
        f"All three runs use the same {L.format_number(s['draws'], 'en')} draws and seed ({s['seed']}): the same "
        f"random numbers, so the differences come from the assumptions. Layers: {layers}.")
    return (f"<section><h2>{ctx.t('Standard, skeptisk og optimistisk', 'Default, sceptical and optimistic')}</h2>"
            f"{_table(head, rows, caption=cap)}</section>")


def _central_words(ctx: Context) -> str:
    """Which central value the base case uses (:func:`simkit.report.base_case_fixed`)."""
    logn = [p.name for p in ctx.scenario.parameters.values()
            if not p.dist.is_fixed and type(p.dist).__name__ == "LogNormal"]
    if not logn:
        return ctx.t("middelværdi", "mean")
    return ctx.t("middelværdi (for de lognormalfordelte parametre medianen)",
                 "mean (the median for the lognormally distributed parameters)")


def section_payers(ctx: Context) -> str:
    """Write the base case by payer and budget year, SØM style (version 2)."""
    t = ctx.data.payers
    if t is None:
        return ""
    show = 6
    groups = [[i] for i in range(min(show, len(t.years)))]
    if len(t.years) > show:
        groups.append(list(range(show, len(t.years))))
    head_years = [str(t.years[g[0]]) if len(g) == 1 else f"{t.years[g[0]]}–{t.years[g[-1]]}" for g in groups]

    def k(x: float) -> str:
        return L.format_number(x / 1e3, ctx.lang)

    def flow(name: str, x: np.ndarray, bold: bool = False) -> list[str]:
        cells = [k(float(x[g].sum())) for g in groups] + [k(float(x.sum()))]
        if bold:
            return [f"<b>{name}</b>"] + [f"<b>{c}</b>" for c in cells]
        return [name, *cells]

    def level(name: str, x: np.ndarray) -> list[str]:
        return [name] + [k(float(x[g[-1]])) for g in groups] + [k(float(x[-1]))]

    payer_name = {"municipality": ctx.t("Kommunen", "Municipality"), "state": ctx.t("Staten", "State"),
                  "region": ctx.t("Regionen", "Region")}
    rows = []
    for payer in ("municipality", "state", "region"):
        if payer != "municipality" and not (np.any(t.without[payer]) or np.any(t.with_[payer])):
            continue
        rows.append([f'<b>{payer_name[payer]}</b>'] + [""] * (len(groups) + 1))
        rows.append(flow(ctx.t("Udgifter uden indsatsen", "Costs without the programme"), t.without[payer]))
        rows.append(flow(ctx.t("Udgifter med indsatsen", "Costs with the programme"), t.with_[payer]))
        rows.append(flow(ctx.t("Besparelse", "Saving"), t.saving[payer], bold=payer != "municipality"))
        if payer == "municipality":
            rows.append(flow(ctx.t("Tilskud fra fonden", "Grant from the fund"), t.grant))
            rows.append(flow(ctx.t("Tilbagebetaling til fonden", "Repayment to the fund"), -t.repayment))
            rows.append(flow(ctx.t("Nettoeffekt for kommunen", "Net effect for the municipality"), t.net, bold=True))
            rows.append(level(ctx.t("Akkumuleret kassebeholdning ultimo", "Cumulative cash position at year end"),
                              t.cumulative))
            rows.append(level(ctx.t("– uden tilskud og tilbagebetaling", "– without grant and repayment"),
                              t.cumulative_operating))
    total: np.ndarray = sum(t.saving[p] for p in ("municipality", "state", "region"))  # type: ignore[assignment]  # a sum of arrays
    rows.append(flow(ctx.t("Besparelse i alt, offentlige budgetter", "Total saving, public budgets"), total,
                     bold=True))
    cu = L.unit_text("money", ctx.lang, currency=ctx.currency)
    head = [ctx.t(f"1.000 {cu}, nominelt", f"{cu} thousand, nominal"), *head_years, ctx.t("I alt", "Total")]
    last = t.ends[-1]
    y = t.payback_year()
    pay = (ctx.t(f"Uden tilskud og tilbagebetaling har besparelserne betalt kommunens udgifter tilbage fra og med "
                 f"budgetår {y}.", f"Without the grant and the repayment the savings have paid back the "
                 f"municipality's costs from budget year {y} on.") if y is not None else
           ctx.t("Uden tilskud og tilbagebetaling betaler besparelserne ikke kommunens udgifter tilbage inden for "
                 "tidshorisonten.", "Without the grant and the repayment the savings do not pay back the "
                 "municipality's costs within the horizon."))
    cap = ctx.t(
        f"Basisberegning: alle usikre parametre på deres {_central_words(ctx)}; forløbene er stadig tilfældige, "
        f"så tallene er gennemsnit over {L.format_number(t.draws, 'da')} realisationer af de "
        f"{ctx.scenario.agreement.cohort_size} forløb. Beløb i løbende kroner pr. budgetår (kalenderår); første "
        f"budgetår fra aftalens start ({ctx.date(ctx.scenario.agreement.start)}), sidste til tidshorisontens "
        f"slutning ({ctx.date(last)}). Refusionstrappen fordeler kommunens bruttoudgift til ydelser mellem "
        f"kommune og stat. Kassebeholdningen er ultimo budgetåret (for samlede kolonner: ultimo sidste år). "
        f"{pay}",
        f"Base case: every uncertain parameter at its {_central_words(ctx)}; the courses are still random, so "
        f"the figures are averages over {L.format_number(t.draws, 'en')} realisations of the "
        f"{ctx.scenario.agreement.cohort_size} courses. Amounts in current kroner per budget (calendar) year; the "
        f"first budget year from the agreement start ({ctx.date(ctx.scenario.agreement.start)}), the last to "
        f"the end of the horizon ({ctx.date(last)}). The reimbursement staircase splits the municipality's gross "
        f"benefit payments between municipality and state. The cash position is at the year's end (for merged "
        f"columns: the last year's end). {pay}")
    title = ctx.t("Basisberegning pr. betaler og budgetår", "Base case by payer and budget year")
    return (f'<section class="break"><h2>{title}</h2>'
            f'{_table(head, rows, cls="small payers", caption=esc(cap))}</section>')


def section_cash(ctx: Context) -> str:
    """Write the Monte Carlo cash view per budget year and at each repayment date (version 2)."""
    d = ctx.data
    if not d.cash:
        return ""
    rows = []
    for p in d.cash:
        name = (ctx.t(f"Ultimo budgetår {p.date.year}", f"End of budget year {p.date.year}")
                if p.kind == "budget_year" else
                f"<b>{ctx.t('Lige efter tilbagebetalingen', 'Just after the repayment')} "
                f"{ctx.date(p.date, 'short')}</b>")
        k = f"cash.points.{p.index}"
        rows.append([name, ctx.num(k + ".mean", "mio"), ctx.num(k + ".q05", "mio"), ctx.mio(p.q50),
                     ctx.num(k + ".q95", "mio"), ctx.num(k + ".p_negative", "percent"), ctx.mio(p.operating_mean)])
    cu = L.unit_text("money", ctx.lang, currency=ctx.currency)
    head = ctx.t(f"Tidspunkt|Gennemsnit, mio. {cu}|5 %|50 %|95 %|Sandsynlighed for negativ kassebeholdning|"
                 "Gennemsnit uden tilskud og tilbagebetaling",
                 f"Point|Mean, {cu} million|5 %|50 %|95 %|Probability the cash position is negative|"
                 "Mean without grant and repayment").split("|")
    y = d.cash_payback_year
    cap = ctx.t(
        f"Kommunens akkumulerede kassebeholdning fra aftalens start (nominelt, ikke tilbagediskonteret): "
        f"besparelser på ydelser og sparet aktivering minus forløbets og de øvrige udgifter, plus tilskuddet og "
        f"minus tilbagebetalingen på deres datoer. Monte Carlo over de første "
        f"{L.format_number(d.summary['cash']['draws'], 'da')} simuleringer. Tilbagebetalingsåret regnet i "
        f"budgetår uden tilskuddets og tilbagebetalingens timing: "
        + (f"budgetår {y}." if y is not None else "ikke inden for tidshorisonten."),
        f"The municipality's cumulative cash position from the agreement start (nominal, not discounted): savings "
        f"on benefits and avoided activation minus the programme's and other costs, plus the grant and minus the "
        f"repayment on their dates. Monte Carlo over the first {L.format_number(d.summary['cash']['draws'], 'en')} "
        f"draws. Payback year in budget years, without the timing of the grant and the repayment: "
        + (f"budget year {y}." if y is not None else "not within the horizon."))
    title = ctx.t("Kassebeholdning pr. budgetår og ved tilbagebetaling", "Cash position per budget year and at "
                  "repayment")
    return f"<section><h2>{title}</h2>{_table(head, rows, cls='small', caption=esc(cap))}</section>"


def section_assumptions(ctx: Context) -> str:
    rows = []
    for p in ctx.scenario.parameters.values():
        u = L.unit(p.name, kind="parameters")
        is_assumption = "assumption" in p.source.lower() or "antagelse" in p.source.lower()
        rows.append([esc(ctx.label(p.name, "parameters")) + f'<br><code>{esc(p.name)}</code>',
                     esc(L.format_distribution(p.dist, ctx.lang, unit_id=u, currency=ctx.currency)),
                     esc(p.source), ctx.t("ja", "yes") if is_assumption else ctx.t("nej", "no")])
    head = ctx.t("Parameter|Fordeling|Kilde (fra scenariet)|Antagelse", "Parameter|Distribution|"
                 "Source (from the scenario)|Assumption").split("|")
    n = sum(r[3] in ("ja", "yes") for r in rows)
    intro = ctx.t(f"{n} af {len(rows)} parametre er antagelser; kilderne er gengivet som i scenariefilen.",
                  f"{n} of {len(rows)} parameters are assumptions; sources are quoted from the scenario file.")
    return (f"<section class=\"break\"><h2>{ctx.t('Antagelser', 'Assumptions')}</h2><p>{esc(intro)}</p>"
            f"{_table(head, rows, cls='small assumptions', numeric_from=99)}</section>")


def section_provenance(ctx: Context) -> str:
    s, d = ctx.data.summary, ctx.data
    base_n = d.base.n if d.base is not None else 0
    rows = [[ctx.t("simkit-version", "simkit version"), esc(s["simkit_version"])],
            [ctx.t("Scenarie", "Scenario"), esc(s["scenario"]["name"])],
            [ctx.t("Scenariefiler", "Scenario files"), esc(" + ".join(s["scenario"]["sources"]))],
            [ctx.t("Scenariets SHA-256", "Scenario SHA-256"), f"<code>{esc(s['scenario']['sha256'])}</code>"],
            [ctx.t("Seed", "Seed"), f'<span class="num" data-key="seed" data-fmt="int">{s["seed"]}</span>'],
            [ctx.t("Simuleringer", "Draws"),
             f'<span class="num" data-key="draws" data-fmt="int">{L.format_number(s["draws"], ctx.lang)}</span>'],
            [ctx.t("Simuleringer i basisberegningen", "Draws in the base case"),
             L.format_number(base_n, ctx.lang)],
            [ctx.t("Simuleringer bag år-for-år-tallene", "Draws behind the year-by-year figures"),
             L.format_number(s["budget"]["curve_draws"], ctx.lang)]]
    files = " ".join(_shell_name(x) for x in s["scenario"]["sources"])
    run_args = f"{files} --draws {s['draws']} --seed {s['seed']}"
    rng = ""
    n = len(s["scenario"]["sources"])
    extra = [d.variant_summaries[r]["scenario"]["sources"][n:] for r in RANGE_RUNS if r in d.variant_summaries]
    if len(extra) == 2 and all(len(x) == 1 for x in extra):  # two layers on the scenario: --range gives them
        rng = " --range " + " ".join(_shell_name(x[0]) for x in extra)
    cmd = ctx.t("Samme tal igen: <code>simkit report {rep}</code> eller <code>simkit run {args} --json "
                "FIL</code>.", "The same numbers again: <code>simkit report {rep}</code> or "
                "<code>simkit run {args} --json FILE</code>.").format(
        rep=esc(run_args + rng), args=esc(run_args))
    return (f"<section><h2>{ctx.t('Metode og oprindelse', 'Method and provenance')}</h2>"
            f"<p>{ctx.t(_METHOD_DA, _METHOD_EN)}</p>"
            f"{_table([ctx.t('Oplysning', 'Item'), ctx.t('Værdi', 'Value')], rows, numeric_from=99)}"
            f"<p class=\"note\">{cmd}</p></section>")


def _shell_name(source: str) -> str:
    """Write a scenario source as it is given on the command line (``"norddjurs (embedded)"`` → ``norddjurs``)."""
    name = source.removesuffix(" (embedded)")
    return name if name and all(c.isalnum() or c in "._-/+" for c in name) else "'" + name.replace("'", "") + "'"


_METHOD_DA = (
    "Hver simulering trækker et sæt usikre parametre og et forløb for hver af de henviste, både med "
    "indsatsen og uden (samme personer, samme tilfældige tal), så besparelserne er forskellen mellem to "
    "forløb for de samme mennesker. Udgifter er kommunens efter statsrefusion (refusionstrappen) og "
    "tilbagediskonteret med Finansministeriets rente. »Udgiftsneutral« betyder, at nutidsværdien af "
    "besparelser minus tilbagebetaling og udgifter, som tilskuddet ikke dækker, er mindst 0 kr.")
_METHOD_EN = (
    "Each draw takes one set of uncertain parameters and one course for each person referred, with and "
    "without the programme (the same persons and random numbers), so savings are the difference between "
    "two courses for the same people. Costs are the municipality's after state reimbursement (the "
    "reimbursement staircase), discounted at the Ministry of Finance rate. “Budget-neutral” means that the "
    "present value of savings minus repayment and costs the grant does not cover is at least zero.")


Section = Callable[[Context], str]

#: The report's sections in order; a later section is one more function here.
SECTIONS: tuple[Section, ...] = (section_title, section_key_figures, section_range, section_agreement,
                                 section_targets, section_repayment, section_budget, section_payers, section_cash,
                                 section_assumptions, section_provenance)

_CSS = """
@page { size: A4; margin: 16mm 15mm 18mm 15mm; }
* { box-sizing: border-box; }
html { font-family: "Segoe UI", "Helvetica Neue", Arial, "Liberation Sans", sans-serif; font-size: 10.5pt;
       color: #1a1a1a; line-height: 1.4; }
body { margin: 0 auto; max-width: 180mm; padding: 8mm 0; }
h1 { font-size: 18pt; margin: 0 0 2mm; color: #123a63; }
h2 { font-size: 13.5pt; margin: 7mm 0 2mm; color: #123a63; border-bottom: 1px solid #9bb3cc; }
h3 { font-size: 11pt; margin: 5mm 0 1.5mm; }
p.sub { margin: 0 0 4mm; color: #444; }
p.note, caption { font-size: 9pt; color: #444; text-align: left; caption-side: bottom; padding-top: 1mm; }
ul { padding-left: 5mm; margin: 1mm 0; } li { margin: 1mm 0; }
section.key li { font-size: 11pt; }
.num { font-weight: 600; white-space: nowrap; }
td .num { font-weight: inherit; }
table { border-collapse: collapse; margin: 2mm 0 4mm; width: 100%; page-break-inside: avoid; }
th, td { border-bottom: 1px solid #d0d7de; padding: 1.2mm 1.8mm; vertical-align: top; text-align: left; }
th { background: #eef3f8; font-weight: 600; }
td.r { text-align: right; white-space: nowrap; } th.r { text-align: right; }
th { font-size: 9pt; }
table.small { font-size: 8.5pt; }
td:first-child { min-width: 22mm; }
table.years td:first-child { white-space: nowrap; }
table.small th, table.small td { padding: 0.8mm 1.2mm; }
table.assumptions { table-layout: fixed; }
table.assumptions th:nth-child(1) { width: 30%; } table.assumptions th:nth-child(2) { width: 26%; }
table.assumptions th:nth-child(3) { width: 34%; } table.assumptions th:nth-child(4) { width: 10%; }
table.assumptions td:nth-child(3) { font-size: 8pt; color: #333; }
.cols { display: flex; gap: 6mm; align-items: flex-start; } .cols table { flex: 1; }
figure { margin: 3mm 0 5mm; page-break-inside: avoid; }
figure img { width: 100%; height: auto; display: block; }
figcaption { font-size: 9pt; color: #444; margin-top: 1mm; }
code { font-size: 8.5pt; word-break: break-all; }
@media print {
  body { padding: 0; max-width: none; }
  section.break { page-break-before: always; }
  h2, h3 { page-break-after: avoid; }
}
"""


def build_report(result, base=None, *, lang: str = "da", sections: Sequence[Section] | None = None,
                 variants=None, payer_draws: int | None = None) -> str:
    """Build the committee report as one self-contained HTML text.

    Parameters
    ----------
    result : SimulationResult
        The Monte Carlo run (its ``summary()`` gives every headline number).
    base : SimulationResult, optional
        The base case: the same scenario with every parameter at its central
        value (:func:`simkit.report.base_case_fixed`); without it the base-case
        columns show "–".
    lang : {"da", "en"}
        Danish (default) or English.
    sections : sequence of callables, optional
        ``section(ctx) -> str`` HTML fragments in order; default :data:`SECTIONS`.
    variants : mapping name -> SimulationResult, optional
        The range: ``{"sceptical": ..., "optimistic": ...}``, runs of the scenario
        with a layer on top on the same draws and seed; shown side by side with
        the default and after the headline numbers.
    payer_draws : int, optional
        Draws of the base case behind the table by payer and budget year
        (version-2 scenarios; default all).

    Returns
    -------
    str
        A complete HTML document (UTF-8), with inline CSS and base64 PNG figures.

    Examples
    --------
    >>> import simkit
    >>> from simkit.report import build_report
    >>> html = build_report(simkit.simulate(draws=1_000, seed=1), lang="en")
    >>> html.startswith("<!DOCTYPE html>") and "budget-neutral" in html
    True
    """
    import matplotlib  # start-up speed: matplotlib loads only when a report is built

    lang = L._lang(lang)
    with matplotlib.rc_context({"font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9,
                                "legend.fontsize": 8, "svg.hashsalt": "simkit"}):
        ctx = Context(report_data(result, base, variants=variants, payer_draws=payer_draws), lang)
        body = "\n".join(section(ctx) for section in (sections or SECTIONS))
    title = esc(ctx.t(f"Social investeringsaftale – {result.scenario.name}",
                      f"Social investment agreement – {result.scenario.name}"))
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title}</title><style>{_CSS}</style></head>\n<body>\n{body}\n</body></html>\n")
