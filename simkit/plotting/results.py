"""Plots of a simulation result: repayment, net budget effect, cumulative budget, payment targets."""

from __future__ import annotations

import textwrap

import numpy as np

from simkit.labels import format_money, label
from simkit.plotting._common import _axes, _cur, _money, _pct, _percent_axis, _t

__all__ = ['plot_cumulative_budget', 'plot_net_budget', 'plot_repayment', 'plot_targets']


def plot_repayment(result, *, ax=None, bins=60, lang=None):
    """Histogram of the repayment to the fund (share of draws), with its mean.

    ``lang`` (``"da"`` or ``"en"``) labels the plot through :mod:`simkit.labels`
    (Danish number formats, "mio. kr."); without it the labels are English as before.

    Examples
    --------
    >>> import simkit
    >>> ax = plot_repayment(simkit.simulate(draws=2000, seed=1))
    """
    ax = _axes(ax)
    rep = result.draws_["repayment"]
    cur = _cur(result, lang)
    w = np.full(rep.shape, 1.0 / rep.size)
    ax.hist(rep, bins=bins, weights=w, color="#4c72b0")
    if lang is None:
        mean_text = f"{rep.mean():,.0f}"
    else:
        mean_text = format_money(rep.mean(), lang, currency=result.scenario.currency)
    ax.axvline(rep.mean(), color="k", ls="--", lw=1, label=_t(lang, "rep_mean", v=mean_text, cur=cur))
    ax.set_xlabel(_t(lang, "rep_x", cur=cur))
    ax.set_ylabel(_t(lang, "share"))
    ax.set_title(_t(lang, "rep_title"))
    _money(ax, lang=lang)
    if lang is not None:
        _percent_axis(ax, "y", lang)
    ax.legend(frameon=False)
    return ax


def plot_net_budget(result, *, ax=None, bins=80, lang=None):
    """Histogram of the municipality's discounted net budget effect; the loss side shaded.

    Examples
    --------
    >>> import simkit
    >>> ax = plot_net_budget(simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=500, seed=1))
    >>> ax.get_xlabel() != ""
    True
    """
    ax = _axes(ax)
    net = result.draws_["net_pv"]
    cur = _cur(result, lang)
    p, _ = result.p_neutral
    w = np.full(net.shape, 1.0 / net.size)
    _counts, edges, patches = ax.hist(net, bins=bins, weights=w, color="#55a868")
    for left, patch in zip(edges[:-1], patches, strict=False):
        if left < 0:
            patch.set_facecolor("#c44e52")
    ax.axvline(0, color="k", lw=1)
    ax.set_xlabel(_t(lang, "net_x", cur=cur))
    ax.set_ylabel(_t(lang, "share"))
    ax.set_title(_t(lang, "net_title", p=_pct(p, lang)))
    _money(ax, lang=lang)
    if lang is not None:
        _percent_axis(ax, "y", lang)
    return ax


def plot_cumulative_budget(result, *, ax=None, bands=((0.05, 0.95), (0.25, 0.75)), lang=None):
    """Fan chart of the cumulative discounted net budget effect by year.

    Examples
    --------
    >>> import simkit
    >>> ax = plot_cumulative_budget(simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=500, seed=1))
    >>> len(ax.lines) >= 1  # the median line over the bands
    True
    """
    ax = _axes(ax)
    c = result.curve_
    years = result.year_ends
    cur = _cur(result, lang)
    for i, (lo, hi) in enumerate(bands):
        ql, qh = np.quantile(c, [lo, hi], axis=0)
        ax.fill_between(years, ql, qh, color="#4c72b0", alpha=0.2 + 0.2 * i,
                        label=_t(lang, "band", lo=_pct(lo, lang, 0), hi=_pct(hi, lang, 0)))
    ax.plot(years, np.median(c, axis=0), color="#4c72b0", lw=2, label=_t(lang, "median"))
    ax.plot(years, c.mean(axis=0), color="k", ls="--", lw=1, label=_t(lang, "mean"))
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xlabel(_t(lang, "years"))
    ax.set_ylabel(_t(lang, "cum_y", cur=cur))
    ax.set_title(_t(lang, "cum_title"))
    _money(ax, "y", lang)
    ax.legend(frameon=False, loc="upper left")
    return ax


def plot_targets(result, *, ax=None, lang=None):
    """P(target met) per payment target, with 95 % Monte Carlo error bars.

    Examples
    --------
    >>> import simkit
    >>> ax = plot_targets(simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=500, seed=1))
    >>> len(ax.patches)  # one bar per payment target of the 0.1 contract
    2
    """
    ax = _axes(ax)
    s = result.summary()["targets"]
    ids = list(s)
    p = np.array([s[i]["p_met"] for i in ids])
    se = np.array([s[i]["p_met_se"] for i in ids])
    names = ids
    if lang is not None:
        names = [textwrap.fill(label(i, lang, kind="targets", scenario=result.scenario), 28) for i in ids]
    ax.barh(names, p, xerr=1.96 * se, color="#8172b3")
    for y, v in enumerate(p):
        ax.text(min(v + 0.02, 0.9), y, _pct(v, lang), va="center")
    ax.set_xlim(0, 1)
    ax.set_xlabel(_t(lang, "p_met"))
    ax.set_title(_t(lang, "targets"))
    if lang is not None:
        _percent_axis(ax, "x", lang)
    return ax

