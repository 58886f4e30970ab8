"""``simkit design``: contract variants side by side on the same draws; fair premium and threshold solvers.

``--compare`` takes contract variant specs (``[LABEL:]SPEC``, grammar in
:mod:`simkit.design`, e.g. ``pro_rata``, ``premium=0.08``,
``"floor30:pro_rata,edu_work.floor=0.3"``); with neither ``--compare`` nor
``--solve`` a default set is compared. ``--solve premium`` needs
``--target-multiple``; ``threshold`` and ``share`` need
``--target-p-neutral``; ``threshold`` without ``--target`` is solved for each
target in turn. ``--base`` is the contract the solvers start from. The JSON
format is in ``docs/json-formats.md``.
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from simkit import design as D
from simkit.backends import pick_backend
from simkit.cli._common import check_out_paths, header, load, write_json_if
from simkit.engine import simulate
from simkit.errors import InputError, Problem


def execute(args: argparse.Namespace) -> int:
    """Run ``simkit design`` with parsed arguments.

    Every option is checked before the simulation.

    Parameters
    ----------
    args
        From :func:`simkit.cli.build_parser`.

    Returns
    -------
    int
        The exit code, 0.

    Examples
    --------
    >>> from simkit.cli import build_parser
    >>> build_parser().parse_args(["design", "--solve", "premium", "--target-multiple", "1"]).draws
    20000
    """
    check_out_paths(args.json, inputs=args.scenario)
    sc = load(args)
    n = sc.agreement.cohort_size
    solve = list(dict.fromkeys(args.solve or []))
    # validate everything before simulating
    if "premium" in solve and args.target_multiple is None:
        raise InputError(Problem("--solve premium", None, "--target-multiple X (the fund's expected multiple)"))
    if args.target_multiple is not None:
        if "premium" not in solve:
            raise InputError(Problem("--target-multiple", args.target_multiple, "--solve premium"))
        if not (math.isfinite(args.target_multiple) and args.target_multiple >= 0):
            raise InputError(Problem("--target-multiple", args.target_multiple, "a multiple >= 0"))
    if {"threshold", "share"} & set(solve) and args.target_p_neutral is None:
        raise InputError(Problem(f"--solve {' '.join(solve)}", None, "--target-p-neutral P (e.g. 0.9)"))
    if args.target_p_neutral is not None and not {"threshold", "share"} & set(solve):
        raise InputError(Problem("--target-p-neutral", args.target_p_neutral, "--solve threshold or share"))
    if args.target is not None and not {"threshold", "share"} & set(solve):
        raise InputError(Problem("--target", args.target, "--solve threshold or share"))
    if args.base is not None and not solve:
        raise InputError(Problem("--base", args.base, "--solve (the base contract is where solvers start)"))
    base = D.variant(sc.contract, args.base, cohort_size=n) if args.base else sc.contract
    if solve and not base.targets:
        raise InputError(Problem("--base" if args.base else "contract", "no payment targets",
                                 "a contract with payment targets for --solve"))
    if args.target is not None:
        D._pick_target(base, args.target, allow_none=False)
    variants = None
    if args.compare is not None:
        variants = dict(D.split_label(v) for v in args.compare)
    elif not solve:
        variants = D.default_variants(sc.contract)
    for spec in (variants or {}).values():
        D.variant(sc.contract, spec, cohort_size=n)

    res = simulate(sc, args.draws, seed=args.seed, workers=args.workers, scheduler=args.scheduler,
                   backend=pick_backend(args.backend, args.workers, args.scheduler), curve_draws=0,
                   progress=sys.stderr.isatty())
    out: dict[str, Any] = {**header(sc, args.seed, command="design"), "draws": res.n,
                           "comparison": None, "solutions": []}
    lines = []
    if variants:
        cmp = D.compare_contracts(res, variants)
        out["comparison"] = cmp.to_dict_without_provenance()
        lines.append(cmp.text())
    sols = []
    for q in solve:
        if q == "premium":
            sols.append(D.solve_premium(res, args.target_multiple, contract=base))
        elif q == "threshold":
            ids = [args.target] if args.target else [t.id for t in base.targets
                                                     if t.rule != "graduated"]
            sols += [D.solve_threshold(res, args.target_p_neutral, target=t, contract=base) for t in ids]
        else:
            sols.append(D.solve_share(res, args.target_p_neutral, target=args.target, contract=base))
    if sols:
        lines.append("Solutions (Monte Carlo SE in brackets)")
        lines += [f"  {s.describe()}" for s in sols]
    out["solutions"] = [s.to_dict_without_provenance() for s in sols]
    print("\n\n".join(lines))
    write_json_if(args.json, out)
    return 0
