"""Plots of contract design: the contract variants side by side."""

from __future__ import annotations

import numpy as np

from simkit.plotting._common import _axes

__all__ = ['plot_contracts']


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
