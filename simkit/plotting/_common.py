"""Shared helpers of the plots: axes, money and percent formats, the plot texts in Danish/English."""

from __future__ import annotations

from simkit.labels import format_number, format_percent, unit_text


def _axes(ax):
    # start-up speed: matplotlib loads only when a figure is drawn
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    return ax


def _money(ax, axis="x", lang=None):
    # start-up speed: matplotlib loads only when a figure is drawn
    from matplotlib.ticker import FuncFormatter

    if lang is None:
        fmt = FuncFormatter(lambda v, _: f"{v / 1e6:,.1f} m")
    else:
        def millions(v, _):  # whole millions without decimals ("14"), others with one ("2,5")
            m = round(v / 1e6, 6)
            return format_number(m, lang, decimals=0 if float(m).is_integer() else 1)

        fmt = FuncFormatter(millions)
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(fmt)


def _percent_axis(ax, axis="x", lang=None):
    # start-up speed: matplotlib loads only when a figure is drawn
    # start-up speed: matplotlib loads only when a figure is drawn
    from matplotlib.ticker import FuncFormatter, PercentFormatter

    if lang is None:
        fmt = PercentFormatter(1.0)
    else:
        fmt = FuncFormatter(lambda v, _: format_percent(v, lang, decimals=0))
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(fmt)


# Texts of the result plots: English without ``lang`` (as before), or Danish/English via simkit.labels.
_TEXT = {
    None: {
        "rep_mean": "mean {v} {cur}", "rep_x": "repayment to the fund ({cur}, nominal, millions)",
        "share": "share of draws", "rep_title": "Distribution of the repayment",
        "net_x": "net budget effect ({cur}, present value, millions)",
        "net_title": "Municipality's net budget effect — P(budget-neutral) = {p}",
        "band": "{lo}–{hi} of draws", "median": "median", "mean": "mean",
        "years": "years since the agreement start", "cum_y": "cumulative net effect ({cur}, PV, millions)",
        "cum_title": "Cumulative net budget effect", "p_met": "probability that the target is met",
        "targets": "Payment targets",
    },
    "da": {
        "rep_mean": "gennemsnit {v}", "rep_x": "tilbagebetaling til fonden (mio. {cur}, nominelt)",
        "share": "andel af simuleringerne", "rep_title": "Fordelingen af tilbagebetalingen",
        "net_x": "nettoeffekt for kommunens budget (mio. {cur}, nutidsværdi)",
        "net_title": "Kommunens nettoeffekt — sandsynlighed for udgiftsneutralitet {p}",
        "band": "{lo}–{hi} af simuleringerne", "median": "median", "mean": "gennemsnit",
        "years": "år efter aftalens start", "cum_y": "akkumuleret nettoeffekt (mio. {cur}, nutidsværdi)",
        "cum_title": "Akkumuleret nettoeffekt for kommunens budget",
        "p_met": "sandsynlighed for at målet nås", "targets": "Betalingsmål",
    },
    "en": {
        "rep_mean": "mean {v}", "rep_x": "repayment to the fund ({cur} million, nominal)",
        "share": "share of draws", "rep_title": "Distribution of the repayment",
        "net_x": "municipality's net budget effect ({cur} million, present value)",
        "net_title": "Municipality's net budget effect — P(budget-neutral) = {p}",
        "band": "{lo}–{hi} of draws", "median": "median", "mean": "mean",
        "years": "years since the agreement start", "cum_y": "cumulative net effect ({cur} million, present value)",
        "cum_title": "Cumulative net effect on the municipal budget",
        "p_met": "probability that the target is met", "targets": "Payment targets",
    },
}


def _t(lang, key, **kw):
    return _TEXT[lang][key].format(**kw)


def _cur(result, lang):
    cur = result.scenario.currency
    return cur if lang is None else unit_text("money", lang, currency=cur)


def _pct(v, lang, decimals=1):
    if lang is None:
        return f"{v:.{decimals}%}"
    return format_percent(v, lang, decimals=decimals)
