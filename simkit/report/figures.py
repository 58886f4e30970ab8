"""Figures of the report, rendered off-screen and embedded as base64 PNG at print resolution.

A figure is 16 cm wide (the A4 text width of the report's print CSS) and
rendered at 200 dpi, so it prints sharp; PNG metadata carries no date, so the
same inputs give the same bytes.
"""

from __future__ import annotations

import base64
import io

import numpy as np

from simkit import plotting
from simkit.labels import format_date, format_money, format_percent
from simkit.report.data import ReportData
from simkit.spec import WEEKS_PER_YEAR

__all__ = ["DPI", "WIDTH_IN", "fan_chart", "png_base64", "repayment_chart", "targets_chart"]

WIDTH_IN = 16 / 2.54
DPI = 200


def _figure(height_cm: float):
    # start-up speed: matplotlib loads only when a figure is drawn
    from matplotlib.figure import Figure

    return Figure(figsize=(WIDTH_IN, height_cm / 2.54), dpi=DPI, layout="constrained")


def png_base64(fig) -> str:
    """Render a matplotlib figure to PNG and return it base64-encoded (ASCII).

    Examples
    --------
    >>> import base64
    >>> fig = _figure(5.0)
    >>> base64.b64decode(png_base64(fig))[1:4]
    b'PNG'
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode("ascii")


_TEXT = {
    "da": {"repay": "tilbagebetaling {d}", "payback": "investeringen tilbagebetalt (år {y})",
           "fan_title": "Akkumuleret nettoeffekt for kommunens budget, år for år"},
    "en": {"repay": "repayment {d}", "payback": "investment paid back (year {y})",
           "fan_title": "Cumulative net effect on the municipal budget, year by year"},
}


def fan_chart(d: ReportData, lang: str):
    """Fan chart of the cumulative net effect, repayment dates and payback year marked.

    Examples
    --------
    >>> import simkit
    >>> from simkit.report.data import report_data
    >>> d = report_data(simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=200, seed=1))
    >>> fan_chart(d, "da").get_size_inches()[0].round(2)  # 16 cm wide
    np.float64(6.3)
    """
    fig = _figure(11)
    ax = fig.subplots()
    res = d.result
    plotting.plot_cumulative_budget(res, ax=ax, lang=lang)
    sc = res.scenario
    for day, _share in sc.terms.schedule:
        x = sc.week_of(day) / WEEKS_PER_YEAR
        ax.axvline(x, color="#c44e52", lw=1.5, ls="-.",
                   label=_TEXT[lang]["repay"].format(d=format_date(day, lang, style="short")))
    if d.payback_year is not None:
        ax.axvline(d.payback_year, color="#55a868", lw=1.2, ls=":",
                   label=_TEXT[lang]["payback"].format(y=d.payback_year))
    ax.set_xticks(res.year_ends)
    ax.set_xlim(0.8, res.year_ends[-1] + 0.2)
    ax.set_title(_TEXT[lang]["fan_title"])
    ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=8)
    return fig


def repayment_chart(d: ReportData, lang: str):
    """Distribution of the repayment: bars at each amount when there are few, else a histogram.

    Examples
    --------
    >>> import simkit
    >>> from simkit.report.data import report_data
    >>> d = report_data(simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=200, seed=1))
    >>> len(repayment_chart(d, "en").axes)
    1
    """
    fig = _figure(7.5)
    ax = fig.subplots()
    rep = d.result.draws_["repayment"]
    levels = np.unique(np.round(rep, 2))
    if levels.size <= 12:
        share = np.array([np.mean(np.round(rep, 2) == v) for v in levels])
        x = np.arange(levels.size)
        ax.bar(x, share, color="#4c72b0", width=0.6)
        for xi, s in zip(x, share, strict=True):
            ax.text(xi, s + 0.01, format_percent(s, lang), ha="center", va="bottom", fontsize=9)
        cur = d.result.scenario.currency
        ax.set_xticks(x, [format_money(v, lang, currency=cur) for v in levels], fontsize=8)
        ax.set_ylim(0, min(1.0, share.max() + 0.12))
        plotting._percent_axis(ax, "y", lang)
        ax.set_ylabel(plotting._t(lang, "share"))
        ax.set_title(plotting._t(lang, "rep_title"))
    else:
        plotting.plot_repayment(d.result, ax=ax, lang=lang)
    return fig


def targets_chart(d: ReportData, lang: str):
    """P(each payment target met), with 95 % Monte Carlo error bars.

    Examples
    --------
    >>> import simkit
    >>> from simkit.report.data import report_data
    >>> d = report_data(simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=200, seed=1))
    >>> targets_chart(d, "en").get_size_inches()[1].round(3)  # 2.5 + 1.6 cm per target (two) = 5.7 cm
    np.float64(2.244)
    """
    fig = _figure(2.5 + 1.6 * len(d.summary["targets"]))
    ax = fig.subplots()
    plotting.plot_targets(d.result, ax=ax, lang=lang)
    return fig
