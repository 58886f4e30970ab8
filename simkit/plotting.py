"""Plots: the only module that imports matplotlib.

Every function takes ``ax=None`` (a new figure is made if None) and returns
the Axes; nothing is shown or saved here. Money axes are labelled with the
scenario's currency and formatted with thousands separators.
"""

from __future__ import annotations

import textwrap

import numpy as np

from simkit.labels import format_money, format_number, format_percent, label, unit, unit_text

__all__ = [
    "plot_cumulative_budget",
    "plot_net_budget",
    "plot_repayment",
    "plot_targets",
]


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


# ---------------------------------------------------------------- sensitivity and contract design

__all__ += [
    "plot_contracts",
    "plot_sobol",
    "plot_tornado",
    "plot_twoway",
    "plot_variance_split",
]


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


def plot_contracts(comparison, metrics=("p_repayment", "p_neutral", "p_loss"), *, ax=None):
    """Contract variants side by side: grouped bars of probability metrics.

    Parameters
    ----------
    comparison : simkit.design.ContractComparison
    metrics : sequence of str
        Probability metrics (``p_repayment``, ``p_neutral``, ``p_loss``,
        ``p_full``); the expected multiple is printed above each group.

    Examples
    --------
    >>> import simkit
    >>> from simkit.design import compare_contracts
    >>> ax = plot_contracts(compare_contracts(simkit.simulate(draws=500, seed=1)))
    """
    ax = _axes(ax)
    labels = list(comparison.labels)
    x = np.arange(len(labels))
    width = 0.8 / max(len(metrics), 1)
    names = {"p_repayment": "P(repayment > 0)", "p_neutral": "P(budget-neutral)",
             "p_loss": "fund P(loss)", "p_full": "P(full repayment)"}
    for k, m in enumerate(metrics):
        vals = [mm[m] for mm in comparison.metrics]
        ax.bar(x + (k - (len(metrics) - 1) / 2) * width, vals, width, label=names.get(m, m))
    for xi, mm in zip(x, comparison.metrics, strict=True):
        ax.text(xi, 1.02, f"×{mm['fund_multiple_mean']:.2f}", ha="center", fontsize=8)
    ax.set_xticks(x)
    ax.set_xticklabels(labels, rotation=20, ha="right", fontsize=8)
    ax.set_ylim(0, 1.1)
    # start-up speed: matplotlib loads only when a figure is drawn
    from matplotlib.ticker import PercentFormatter

    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel("probability")
    ax.set_title("Contract variants on the same draws (×: fund's expected multiple)")
    ax.legend(frameon=False, fontsize=8, ncol=len(metrics), loc="upper left",
              bbox_to_anchor=(0, -0.25))
    return ax
