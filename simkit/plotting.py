"""Plots: the only module that imports matplotlib.

Every function takes ``ax=None`` (a new figure is made if None) and returns
the Axes; nothing is shown or saved here. Money axes are labelled with the
scenario's currency and formatted with thousands separators.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "plot_cumulative_budget",
    "plot_net_budget",
    "plot_repayment",
    "plot_targets",
]


def _axes(ax):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    return ax


def _money(ax, axis="x"):
    from matplotlib.ticker import FuncFormatter

    fmt = FuncFormatter(lambda v, _: f"{v / 1e6:,.1f} m")
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(fmt)


def plot_repayment(result, *, ax=None, bins=60):
    """Histogram of the repayment to the fund (share of draws), with its mean.

    Examples
    --------
    >>> import simkit
    >>> ax = plot_repayment(simkit.simulate(draws=2000, seed=1))
    """
    ax = _axes(ax)
    rep = result.draws_["repayment"]
    cur = result.scenario.currency
    w = np.full(rep.shape, 1.0 / rep.size)
    ax.hist(rep, bins=bins, weights=w, color="#4c72b0")
    ax.axvline(rep.mean(), color="k", ls="--", lw=1, label=f"mean {rep.mean():,.0f} {cur}")
    ax.set_xlabel(f"repayment to the fund ({cur}, nominal, millions)")
    ax.set_ylabel("share of draws")
    ax.set_title("Distribution of the repayment")
    _money(ax)
    ax.legend(frameon=False)
    return ax


def plot_net_budget(result, *, ax=None, bins=80):
    """Histogram of the municipality's discounted net budget effect; the loss side shaded."""
    ax = _axes(ax)
    net = result.draws_["net_pv"]
    cur = result.scenario.currency
    p, _ = result.p_neutral
    w = np.full(net.shape, 1.0 / net.size)
    _counts, edges, patches = ax.hist(net, bins=bins, weights=w, color="#55a868")
    for left, patch in zip(edges[:-1], patches, strict=False):
        if left < 0:
            patch.set_facecolor("#c44e52")
    ax.axvline(0, color="k", lw=1)
    ax.set_xlabel(f"net budget effect ({cur}, present value, millions)")
    ax.set_ylabel("share of draws")
    ax.set_title(f"Municipality's net budget effect — P(budget-neutral) = {p:.1%}")
    _money(ax)
    return ax


def plot_cumulative_budget(result, *, ax=None, bands=((0.05, 0.95), (0.25, 0.75))):
    """Fan chart of the cumulative discounted net budget effect by year."""
    ax = _axes(ax)
    c = result.curve_
    years = result.year_ends
    cur = result.scenario.currency
    for i, (lo, hi) in enumerate(bands):
        ql, qh = np.quantile(c, [lo, hi], axis=0)
        ax.fill_between(years, ql, qh, color="#4c72b0", alpha=0.2 + 0.2 * i,
                        label=f"{lo:.0%}–{hi:.0%} of draws")
    ax.plot(years, np.median(c, axis=0), color="#4c72b0", lw=2, label="median")
    ax.plot(years, c.mean(axis=0), color="k", ls="--", lw=1, label="mean")
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xlabel("years since the agreement start")
    ax.set_ylabel(f"cumulative net effect ({cur}, PV, millions)")
    ax.set_title("Cumulative net budget effect")
    _money(ax, "y")
    ax.legend(frameon=False, loc="upper left")
    return ax


def plot_targets(result, *, ax=None):
    """P(target met) per payment target, with 95 % Monte Carlo error bars."""
    ax = _axes(ax)
    s = result.summary()["targets"]
    ids = list(s)
    p = np.array([s[i]["p_met"] for i in ids])
    se = np.array([s[i]["p_met_se"] for i in ids])
    ax.barh(ids, p, xerr=1.96 * se, color="#8172b3")
    for y, v in enumerate(p):
        ax.text(min(v + 0.02, 0.9), y, f"{v:.1%}", va="center")
    ax.set_xlim(0, 1)
    ax.set_xlabel("probability that the target is met")
    ax.set_title("Payment targets")
    return ax
