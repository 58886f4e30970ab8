"""Plots: the only package that imports matplotlib (on first use, not at import).

Every function takes ``ax=None`` (a new figure is made if None) and returns
the Axes; nothing is shown or saved here. Money axes are labelled with the
scenario's currency and formatted with thousands separators. One module per
job: :mod:`~simkit.plotting.results` (a simulation result),
:mod:`~simkit.plotting.sensitivity` (the sensitivity analyses),
:mod:`~simkit.plotting.design` (contract variants); :mod:`~simkit.plotting._common`
holds the axes and number formats and the plot texts.
"""

from simkit.plotting._common import _axes, _cur, _money, _pct, _percent_axis, _t
from simkit.plotting.design import plot_contracts
from simkit.plotting.results import (
    plot_cumulative_budget,
    plot_net_budget,
    plot_repayment,
    plot_targets,
)
from simkit.plotting.sensitivity import plot_sobol, plot_tornado, plot_twoway, plot_variance_split

__all__ = ['plot_contracts', 'plot_cumulative_budget', 'plot_net_budget', 'plot_repayment', 'plot_sobol', 'plot_targets', 'plot_tornado', 'plot_twoway', 'plot_variance_split']
# the shared helpers stay importable as simkit.plotting._t etc. (the report's figures use them)
_HELPERS = (_axes, _cur, _money, _pct, _percent_axis, _t)
