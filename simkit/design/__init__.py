"""Contract design: reprice contract variants on the same draws, compare them, solve for terms.

Savings do not depend on the contract: a simulated cohort's outcomes, and so
its budget savings, are the same whatever the payment terms. A contract
variant ``C`` is therefore evaluated on the draws of one
:func:`simkit.simulate` result without simulating again (:func:`reprice`):

* ``repayment_C = simkit.contract.repayment(C, counts)``, with the per-draw
  indicator counts the engine keeps (``count:<indicator>:<key>``);
* ``repayment_pv_C = repayment_C × v_C``, where ``v_C`` is the present value
  of one unit repaid on ``C``'s schedule (the scenario's dated schedule when
  ``C`` keeps it; otherwise its years-after-grant converted to dates);
* ``net_C = net + (G_C − G) × v_grant + repayment_pv − repayment_pv_C``: a
  larger grant covers more of the programme cost, a different repayment
  changes what is paid back;
* the fund's multiple ``repayment_C / G_C`` (:func:`simkit.contract.fund_view`).

Repricing the scenario's own contract reproduces the simulated repayment and
net budget exactly (a test checks it). Because every variant is evaluated on
the *same* draws, differences between variants are paired and precise.

Variants are written as short specs (:func:`variant`), for the CLI and for
notebooks alike::

    SPEC  := ITEM ("," ITEM)*
    ITEM  := PRESET | KEY "=" VALUE

Presets (applied to the contract as it stands at that point of the spec):

``base``
    the scenario's contract, unchanged;
``threshold`` / ``pro_rata`` / ``graduated``
    every target uses that rule. ``pro_rata`` gets the floor
    ``threshold − 0.20`` (the worked example of docs/design.md uses 30 % below a 50 % target);
    ``graduated`` gets four steps at ``threshold − 0.15, − 0.10, − 0.05,
    threshold`` paying 25, 50, 75 and 100 %;
``rate_card``
    every target becomes a rate-card line with price
    ``weight × G × (1 + r) / k`` and ``max_count = k``, where ``k`` is the
    count that meets the target's threshold with the whole cohort referred
    (so meeting the threshold pays what the target paid; fewer outcomes pay
    proportionally less). Later ``premium=`` items do not change these prices;
``completer``
    targets other than completion use completers as the denominator
    (docs/design.md: "half of those who completed").

Keys: ``premium``, ``grant``, ``cap``, ``max_loss``, ``max_annual_return``
(contract fields; ``none`` removes an optional one); ``rule``, ``floor``,
``threshold``, ``weight``, ``denominator``, ``steps`` for every target, or
``<target id>.<field>`` for one target. ``steps`` is written
``level:factor/level:factor/...``, e.g. ``edu_work.steps=0.4:0.5/0.5:1``.
Example: ``pro_rata,edu_work.floor=0.3,premium=0.08``.

Solvers (each returns a :class:`Solution` with the value found, the value
achieved on the draws and its Monte Carlo standard error):

* :func:`solve_premium` — the risk premium giving the fund a stated expected
  multiple (continuous and non-decreasing in the premium: Brent's method);
* :func:`solve_threshold` — the lowest threshold of one target at which the
  municipality is budget-neutral with a stated probability (a step function
  of the threshold: bisection, then the exact count boundary);
* :func:`solve_share` — the largest payment share (sum of target weights, or
  one target's weight) giving that probability.

Metrics of a contract on the draws (:meth:`Repriced.metrics`, stable keys):
``p_repayment`` (P(repayment > 0)), ``repayment_mean``, ``repayment_pv_mean``,
``p_full``, ``max_repayment``, ``p_neutral`` (P(net ≥ 0)), ``net_mean``,
``fund_multiple_mean``, ``p_loss`` (P(multiple < 1)), ``fund_irr_median`` and
``p_met`` (per target), each estimate with a ``<key>_se`` Monte Carlo
standard error where it is a mean.
"""

from __future__ import annotations

# every name the module held before it became a package, re-exported
from simkit.design.cache import (  # noqa: F401 (re-exported)
    _PV_CACHE,
    _pv_unit,
    _schedule_pv,
    pv_unit,
    schedule_pv,
)
from simkit.design.comparison import (  # noqa: F401 (re-exported)
    _FRAME_METRICS,
    ContractComparison,
    _contract_dict,
    compare_contracts,
)
from simkit.design.repricing import (  # noqa: F401 (re-exported)
    Repriced,
    _clusters,
    counts_from_draws,
    reprice,
    result_provenance,
)
from simkit.design.solvers import (  # noqa: F401 (re-exported)
    Solution,
    _base_contract,
    _check_goal,
    _p_neutral,
    _pick_target,
    _replace_target,
    solve_premium,
    solve_share,
    solve_threshold,
)
from simkit.design.variants import (  # noqa: F401 (re-exported)
    _CONTRACT_KEYS,
    _OPTIONAL,
    _TARGET_KEYS,
    GRADUATED_STEPS,
    PRESETS,
    PRO_RATA_FLOOR_GAP,
    _apply_preset,
    _bad,
    _graduated_steps,
    _number,
    _rate_card,
    _set_target,
    _steps,
    _with_rule,
    default_variants,
    split_label,
    variant,
)

__all__ = [
    "PRESETS",
    "ContractComparison",
    "Repriced",
    "Solution",
    "compare_contracts",
    "default_variants",
    "reprice",
    "solve_premium",
    "solve_share",
    "solve_threshold",
    "variant",
]
