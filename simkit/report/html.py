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

from .. import labels as L
from .data import ReportData, report_data
from .figures import fan_chart, png_base64, repayment_chart, targets_chart

__all__ = ["SECTIONS", "Context", "build_report"]

esc = _html.escape


@dataclass(frozen=True)
class Context:
    """What a section needs: the numbers, the language, and formatting helpers."""

    data: ReportData
    lang: str

    # ----------------------------------------------------------- text helpers
    def t(self, da: str, en: str) -> str:
        """The text in the report's language."""
        return da if self.lang == "da" else en

    @property
    def scenario(self):
        return self.data.result.scenario

    @property
    def currency(self) -> str:
        return self.scenario.currency

    def money(self, x: float, *, millions: bool = False) -> str:
        return L.format_money(x, self.lang, millions=millions, currency=self.currency)

    def mio(self, x: float, decimals: int = 1) -> str:
        """An amount in millions without the unit (the column header says "mio. kr.")."""
        return L.format_number(x / 1e6, self.lang, decimals=decimals)

    def pct(self, x: float, decimals: int = 1) -> str:
        return L.format_percent(x, self.lang, decimals=decimals)

    def date(self, d, style: str = "long") -> str:
        return L.format_date(d, self.lang, style=style)

    def label(self, id: str, kind: str | None = None) -> str:
        return L.label(id, self.lang, kind=kind, scenario=self.scenario)

    def num(self, key: str, fmt: str = "auto") -> str:
        """A headline number from the run summary, formatted and tagged with its key.

        ``key`` is a path in :meth:`SimulationResult.summary` (``"budget.p_neutral"``,
        ``"targets.edu_work.p_met"``); ``fmt`` is ``money``, ``money_m`` (millions),
        ``money_neg`` (the amount as a cost, with a minus), ``percent``, ``ratio``
        (2 decimals) or ``auto`` (by the key's unit).
        """
        v = self.data.summary
        for part in key.split("."):
            v = v[part]
        if fmt == "auto":
            unit = L.unit(key.split(".", 1)[0] + "." + key.rsplit(".", 1)[-1], kind="outputs")
            fmt = {"money": "money", "share": "percent", "probability": "percent"}.get(unit, "ratio")
        text = format_headline(v, fmt, self.lang, self.currency)
        return f'<span class="num" data-key="{esc(key)}" data-fmt="{fmt}">{esc(text)}</span>'


def format_headline(value: float, fmt: str, lang: str, currency: str = "DKK") -> str:
    """How :meth:`Context.num` writes a number (also what the tests re-apply to the JSON)."""
    if fmt == "money":
        return L.format_money(value, lang, currency=currency)
    if fmt == "money_m":
        return L.format_money(value, lang, millions=True, currency=currency)
    if fmt == "money_neg":
        return L.format_money(-value, lang, currency=currency)
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
    """An HTML table; cells are HTML already (escape text before); columns >= numeric_from right-aligned."""
    h = "".join(f'<th class="{"r" if i >= numeric_from else ""}">{c.replace(" %", "&nbsp;%")}</th>'
                for i, c in enumerate(head))
    b = "".join("<tr>" + "".join(f'<td class="{"r" if i >= numeric_from else ""}">{c}</td>'
                                 for i, c in enumerate(r)) + "</tr>" for r in rows)
    cap = f"<caption>{caption}</caption>" if caption else ""
    return f'<table class="{cls}">{cap}<thead><tr>{h}</tr></thead><tbody>{b}</tbody></table>'


def _figure(fig, alt: str, caption: str) -> str:
    import matplotlib.pyplot as plt

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
    phases = ", ".join(f"{ctx.label(p.name, 'phases').lower()} ({p.weeks} {ctx.t('uger', 'weeks')})"
                       for p in sc.programme.phases)
    items = [
        ctx.t(f"{a.municipality} modtager et betinget tilskud på {ctx.money(c.grant)} fra {a.fund} "
              f"til forløb for {a.cohort_size} borgere.",
              f"{a.municipality} receives a conditional grant of {ctx.money(c.grant)} from {a.fund} "
              f"for courses for {a.cohort_size} people."),
        ctx.t(f"Aftaleperioden er {ctx.date(a.start)} til {ctx.date(a.end)}"
              + (f"; aftalen er underskrevet {ctx.date(a.signed)}." if a.signed else "."),
              f"The agreement runs from {ctx.date(a.start)} to {ctx.date(a.end)}"
              + (f"; it was signed on {ctx.date(a.signed)}." if a.signed else ".")),
        ctx.t(f"Forløbet varer op til {sc.programme.course_weeks} uger i faser: {phases}.",
              f"The course lasts up to {sc.programme.course_weeks} weeks in phases: {phases}."),
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


def section_key_figures(ctx: Context) -> str:
    d, s = ctx.data, ctx.data.summary
    b = s["budget"]
    out = [ctx.t(
        f"Sandsynligheden for at aftalen er udgiftsneutral er {ctx.num('budget.p_neutral')}: så stor en "
        f"andel af simuleringerne giver en nettoeffekt for kommunens budget på mindst 0 kr. over "
        f"{b['horizon_years']} år (nutidsværdi, {ctx.pct(b['discount_rate'])} diskonteringsrente).",
        f"The probability that the agreement is budget-neutral is {ctx.num('budget.p_neutral')}: the share "
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
    for pos in d.positions:
        out.append(ctx.t(
            f"Lige efter tilbagebetalingen {ctx.date(pos.date)} er den akkumulerede nettoeffekt i gennemsnit "
            f"{ctx.money(pos.mean, millions=True)}, og sandsynligheden for at den er negativ, er "
            f"{ctx.pct(pos.p_negative)}.",
            f"Just after the repayment on {ctx.date(pos.date)} the cumulative net effect is "
            f"{ctx.money(pos.mean, millions=True)} on average, and the probability that it is negative is "
            f"{ctx.pct(pos.p_negative)}."))
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
    out.append(ctx.t(
        f"Fonden får i gennemsnit {ctx.num('fund.multiple_mean')} gange tilskuddet tilbage; sandsynligheden "
        f"for at fonden taber penge, er {ctx.num('fund.p_loss')}.",
        f"The fund gets back {ctx.num('fund.multiple_mean')} times the grant on average; the probability that "
        f"the fund loses money is {ctx.num('fund.p_loss')}."))
    lis = "".join(f"<li>{x}</li>" for x in out)
    return f'<section class="key"><h2>{ctx.t("Hovedresultater", "Key figures")}</h2><ul>{lis}</ul></section>'


def section_targets(ctx: Context) -> str:
    s = ctx.data.summary
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
             ctx.mio(p.q95), ctx.pct(p.p_negative)] for p in d.positions]
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
    cmd = ctx.t("Samme tal igen: <code>simkit report {args}</code> eller <code>simkit run {args} --json "
                "FIL</code>.", "The same numbers again: <code>simkit report {args}</code> or "
                "<code>simkit run {args} --json FILE</code>.").format(
        args=esc(f"--draws {s['draws']} --seed {s['seed']}"))
    return (f"<section><h2>{ctx.t('Metode og oprindelse', 'Method and provenance')}</h2>"
            f"<p>{ctx.t(_METHOD_DA, _METHOD_EN)}</p>"
            f"{_table([ctx.t('Oplysning', 'Item'), ctx.t('Værdi', 'Value')], rows, numeric_from=99)}"
            f"<p class=\"note\">{cmd}</p></section>")


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
SECTIONS: tuple[Section, ...] = (section_title, section_key_figures, section_agreement, section_targets,
                                 section_repayment, section_budget, section_assumptions, section_provenance)

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


def build_report(result, base=None, *, lang: str = "da", sections: Sequence[Section] | None = None) -> str:
    """The committee report as one self-contained HTML text.

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
    import matplotlib

    lang = L._lang(lang)
    with matplotlib.rc_context({"font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9,
                                "legend.fontsize": 8, "svg.hashsalt": "simkit"}):
        ctx = Context(report_data(result, base), lang)
        body = "\n".join(section(ctx) for section in (sections or SECTIONS))
    title = esc(ctx.t(f"Social investeringsaftale – {result.scenario.name}",
                      f"Social investment agreement – {result.scenario.name}"))
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title}</title><style>{_CSS}</style></head>\n<body>\n{body}\n</body></html>\n")
