"""Present values of repayment schedules, cached per scenario (used by repricing and the decision tables)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from simkit.budget import budget_tables, dated_pv
from simkit.contract import Contract
from simkit.model.pricing import dated_pv as model_dated_pv
from simkit.model.spec import ModelScenario

__all__ = ["pv_unit", "schedule_pv"]

_PV_CACHE: dict[tuple[str, tuple], float] = {}


def pv_unit(sc: Any, items: tuple[tuple[dt.date, float], ...]) -> float:
    """Return the present value of one unit paid on dated instalments, cached per scenario.

    Parameters
    ----------
    sc : Scenario or ModelScenario
        The scenario whose budget discounts the payments.
    items : tuple of (datetime.date, float)
        Payment dates and the share of the unit paid on each.

    Returns
    -------
    float
        The present value in the scenario's budget (its discount rate and price base).

    Examples
    --------
    >>> import simkit
    >>> sc = simkit.load_scenario()
    >>> 0 < pv_unit(sc, sc.terms.schedule) <= 1.5
    True
    """
    key = (sc.sha256, tuple(items))
    if key not in _PV_CACHE:
        if len(_PV_CACHE) > 64:
            _PV_CACHE.clear()
        _PV_CACHE[key] = (model_dated_pv(sc, tuple(items)) if isinstance(sc, ModelScenario)
                          else float(dated_pv(budget_tables(sc), sc, tuple(items))))
    return _PV_CACHE[key]


def schedule_pv(sc: Any, contract: Contract) -> float:
    """Return the PV factor of a contract's repayment schedule in the scenario's budget.

    The scenario's dated schedule when the contract keeps it; otherwise the
    contract's years after the grant converted to dates.

    Parameters
    ----------
    sc : Scenario or ModelScenario
    contract : Contract

    Returns
    -------
    float

    Examples
    --------
    >>> import simkit
    >>> sc = simkit.load_scenario()
    >>> schedule_pv(sc, sc.contract) == pv_unit(sc, sc.terms.schedule)
    True
    """
    if tuple(contract.schedule) == tuple(sc.contract.schedule):
        return pv_unit(sc, sc.terms.schedule)
    grant_day = sc.terms.disbursement[0][0]
    items = tuple((grant_day + dt.timedelta(days=round(t * 365.25)), s) for t, s in contract.schedule)
    return pv_unit(sc, items)


#: The names before the split (private then; kept for old imports).
_pv_unit = pv_unit
_schedule_pv = schedule_pv
