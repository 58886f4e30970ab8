"""Plots of the sensitivity analyses: tornado, two-way grid, Sobol' indices, variance split."""

from __future__ import annotations

import numpy as np

from simkit.labels import format_money, format_number, format_percent, label, unit
from simkit.plotting._common import _axes, _money

__all__ = ['plot_sobol', 'plot_tornado', 'plot_twoway', 'plot_variance_split']


def _is_prob(output: str) -> bool:
    return output.startswith("p_") or output in ("neutral", "no_repayment") or output.startswith("met:")


def _param_value(name, v, lang):
    """Return a parameter value in its unit's format (share as %, money in kr., others to 2-3 digits)."""
    u = unit(name, kind="parameters")
    if u == "share":
        return format_percent(v, lang)
    if u == "money":
        return format_money(v, lang)
    return format_number(v, lang, decimals=0 if abs(v) >= 100 else (1 if abs(v) >= 10 else 2))


def plot_tornado(result, output="net_mean", *, ax=None, top=None, lang=None):
    """Tornado plot of a :class:`~simkit.sensitivity.TornadoResult`.

    Bars run from the output at each parameter's low value to its high value,
    around the base (all parameters central); parameters are sorted by swing,
    the largest on top, and labelled with their low → high values.

    Parameters
    ----------
    result : TornadoResult
    output : str
        ``p_neutral``, ``repayment_mean``, ``net_mean``, ``p_repayment``,
        ``fund_multiple_mean`` or ``p_met:<target>``.
    ax : matplotlib Axes, optional
    top : int, optional
        Show only the ``top`` parameters with the largest swing.
    lang : {"da", "en"}, optional
        Name the parameters by their short labels (:mod:`simkit.labels`) and
        write their values in that language's format; default: ids, as before.

    Examples
    --------
    >>> from simkit.sensitivity import tornado
    >>> ax = plot_tornado(tornado(draws=200, seed=1), "p_neutral")
    """
    ax = _axes(ax)
    j = result._out(output)
    names = list(result.ranked(output))[: top or None]
    base = result.base[j]
    ys = np.arange(len(names))[::-1]
    for y, name in zip(ys, names, strict=True):
        i = result.parameters.index(name)
        lo, hi = result.low[j, i], result.high[j, i]
        ax.barh(y, lo - base, left=base, color="#4c72b0", height=0.6,
                label="parameter low" if y == ys[0] else None)
        ax.barh(y, hi - base, left=base, color="#dd8452", height=0.6,
                label="parameter high" if y == ys[0] else None)
    ax.axvline(base, color="k", lw=1)
    ax.set_yticks(ys)
    if lang is None:
        ticks = [f"{n}\n{result.param_low[result.parameters.index(n)]:.4g} → "
                 f"{result.param_high[result.parameters.index(n)]:.4g}" for n in names]
    else:
        ticks = [f"{label(n, lang, short=True)}\n{_param_value(n, result.param_low[result.parameters.index(n)], lang)}"
                 f" → {_param_value(n, result.param_high[result.parameters.index(n)], lang)}" for n in names]
    ax.set_yticklabels(ticks, fontsize=8)
    # start-up speed: simkit.sensitivity loads pandas; only for a sensitivity figure
    from simkit.sensitivity.model import output_label

    ax.set_xlabel(output_label(output) + ("" if _is_prob(output) else f" ({result.currency})"))
    ax.set_title(f"One-way sensitivity — base {base:.1%}" if _is_prob(output)
                 else f"One-way sensitivity — base {base:,.0f}")
    if _is_prob(output):
        # start-up speed: matplotlib loads only when a figure is drawn
        from matplotlib.ticker import PercentFormatter

        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    elif abs(base) >= 1e5:
        _money(ax)
    ax.legend(frameon=False, fontsize=8)
    return ax


def plot_twoway(result, output="p_neutral", *, ax=None, annotate=True):
    """Heat map of one output of a :class:`~simkit.sensitivity.TwoWayResult`.

    Examples
    --------
    >>> from simkit.sensitivity import twoway
    >>> ax = plot_twoway(twoway(n_grid=3, draws=100, seed=1), "p_neutral")
    """
    ax = _axes(ax)
    g = result.grid(output)
    z = g.to_numpy()
    prob = _is_prob(output)
    mesh = ax.imshow(z, origin="lower", aspect="auto", cmap="viridis",
                     vmin=0 if prob else None, vmax=1 if prob else None)
    ax.set_xticks(np.arange(z.shape[1]))
    ax.set_xticklabels([f"{v:.3g}" for v in g.columns], fontsize=8)
    ax.set_yticks(np.arange(z.shape[0]))
    ax.set_yticklabels([f"{v:.3g}" for v in g.index], fontsize=8)
    ax.set_xlabel(result.x)
    ax.set_ylabel(result.y)
    # start-up speed: simkit.sensitivity loads pandas; only for a sensitivity figure
    from simkit.sensitivity.model import output_label

    ax.set_title(output_label(output))
    cb = ax.figure.colorbar(mesh, ax=ax)
    if prob:
        # start-up speed: matplotlib loads only when a figure is drawn
        from matplotlib.ticker import PercentFormatter

        cb.ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        cb.set_label("probability")
    else:
        # start-up speed: matplotlib loads only when a figure is drawn
        from matplotlib.ticker import FuncFormatter

        cb.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1e6:,.1f}"))
        cb.set_label(f"{getattr(result, 'currency', 'DKK')} millions")
    if annotate and z.size <= 144:
        for (r, c), v in np.ndenumerate(z):
            dark = mesh.norm(v) < 0.5  # viridis is dark at the low end
            ax.text(c, r, f"{v:.0%}" if prob else f"{v / 1e6:.1f}m", ha="center", va="center",
                    fontsize=7, color="w" if dark else "k")
    return ax


def plot_sobol(result, output=None, *, ax=None):
    """First- and total-order Sobol' indices with bootstrap intervals, one output.

    Parameters
    ----------
    result : ModelSobolResult or SobolResult
    output : str, optional
        Default the first output.

    Examples
    --------
    >>> from simkit.sensitivity import sobol_model
    >>> ax = plot_sobol(sobol_model(params="hr_starts,bau_weeks_to_start", n=32, inner=2,
    ...                             n_resamples=20, seed=1))
    """
    ax = _axes(ax)
    outs = tuple(getattr(result, "outputs", None) or result.output_names)
    names = tuple(getattr(result, "parameters", None) or result.names)
    j = outs.index(output) if output else 0
    order = np.argsort(-result.total_order[j], kind="stable")
    y = np.arange(len(names))[::-1]
    for k, (kind, color, off) in enumerate((("first_order", "#4c72b0", 0.2),
                                            ("total_order", "#dd8452", -0.2))):
        est = getattr(result, kind)[j][order]
        lo = getattr(result, f"{kind}_low")[j][order]
        hi = getattr(result, f"{kind}_high")[j][order]
        err = None
        if np.all(np.isfinite(lo)):
            err = np.vstack([np.clip(est - lo, 0, None), np.clip(hi - est, 0, None)])
        ax.barh(y + off, est, height=0.38, xerr=err, color=color, capsize=2,
                label=("first order" if k == 0 else "total order"))
    ax.set_yticks(y)
    ax.set_yticklabels([names[i] for i in order], fontsize=8)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlabel("Sobol' index (share of variance)")
    ax.set_title(f"Global sensitivity of {outs[j]}")
    ax.legend(frameon=False, fontsize=8)
    return ax


def plot_variance_split(result, output=None, *, ax=None):
    """Parameter vs cohort share of the variance, by cohort size (stacked bars, ± 1.96 SE).

    Parameters
    ----------
    result : CohortVarianceResult
    output : str, optional
        Default the first output.

    Examples
    --------
    >>> from simkit.sensitivity import variance_by_cohort_size
    >>> ax = plot_variance_split(variance_by_cohort_size(cohort_sizes=[50, 95], outer=50, inner=2,
    ...                                                  n_resamples=10, seed=1))
    """
    ax = _axes(ax)
    o = output or result.outputs[0]
    sizes = list(result.cohort_sizes)
    par = np.array([result.split(s, o).parameter_share for s in sizes])
    se = np.array([result.split(s, o).parameter_share_se for s in sizes])
    x = np.arange(len(sizes))
    ax.bar(x, par, color="#4c72b0", label="parameter uncertainty")
    ax.bar(x, 1 - par, bottom=par, color="#c4c4c4", label="cohort randomness")
    if np.all(np.isfinite(se)):  # separate artist, so the legend shows plain patches
        ax.errorbar(x, par, yerr=1.96 * se, fmt="none", ecolor="k", capsize=3, lw=1)
    ax.set_xticks(x)
    ax.set_xticklabels([str(s) for s in sizes])
    ax.set_xlabel("cohort size (people referred)")
    ax.set_ylim(0, 1)
    # start-up speed: matplotlib loads only when a figure is drawn
    from matplotlib.ticker import PercentFormatter

    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel("share of the variance")
    ax.set_title(f"Where the uncertainty in {o} comes from")
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    return ax
