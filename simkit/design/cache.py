"""Present values of repayment schedules, cached per scenario (used by repricing and the decision tables)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from simkit.contract import Contract

_PV_CACHE: dict[tuple[str, tuple], float] = {}


def _pv_unit(sc: Any, items: tuple[tuple[dt.date, float], ...]) -> float:
    """PV of one unit paid on dated instalments, cached per scenario."""
    from simkit.budget import budget_tables, dated_pv
    from simkit.model.pricing import dated_pv as model_dated_pv
    from simkit.model.spec import ModelScenario

    key = (sc.sha256, tuple(items))
    if key not in _PV_CACHE:
        if len(_PV_CACHE) > 64:
            _PV_CACHE.clear()
        _PV_CACHE[key] = (model_dated_pv(sc, tuple(items)) if isinstance(sc, ModelScenario)
                          else float(dated_pv(budget_tables(sc), sc, tuple(items))))
    return _PV_CACHE[key]


def _schedule_pv(sc: Any, contract: Contract) -> float:
    """PV factor of a contract's repayment schedule in the scenario's budget."""
    if tuple(contract.schedule) == tuple(sc.contract.schedule):
        return _pv_unit(sc, sc.terms.schedule)
    grant_day = sc.terms.disbursement[0][0]
    items = tuple((grant_day + dt.timedelta(days=round(t * 365.25)), s) for t, s in contract.schedule)
    return _pv_unit(sc, items)
