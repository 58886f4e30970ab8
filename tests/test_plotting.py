"""Plot helpers: take ax=None, return labelled Axes, never show or save."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

import simkit
from simkit import plotting


@pytest.fixture(scope="module")
def result():
    # plot_targets needs payment targets: the 0.1 model has them (the default pays per outcome)
    return simkit.simulate(simkit.load_scenario("norddjurs_v1"), draws=2048, seed=1)


@pytest.mark.parametrize("fn", [plotting.plot_repayment, plotting.plot_net_budget,
                                plotting.plot_cumulative_budget, plotting.plot_targets])
def test_plot_returns_labelled_axes(result, fn):
    ax = fn(result)
    assert ax.get_title() and ax.get_xlabel()
    _fig, ax2 = plt.subplots()
    assert fn(result, ax=ax2) is ax2
    plt.close("all")


def test_money_axes_name_the_currency(result):
    ax = plotting.plot_repayment(result)
    assert "DKK" in ax.get_xlabel()
    ax = plotting.plot_cumulative_budget(result)
    assert "DKK" in ax.get_ylabel()
    plt.close("all")
