"""``simkit evaluate``: observed participant data against the scenario's payment targets.

Reads and validates the observed data, evaluates it (a version-1 scenario:
:func:`simkit.evaluation.evaluate`; a version-2 model: participant
histories in long format through :func:`simkit.model.observed.evaluate_spells`),
prints a report whose table suppresses counts below ``--min-cell`` (in Danish
or English, ``--lang``), with ``--json`` writes the full result with exact
counts for evaluators (keys in ``docs/json-formats.md``) and with ``--xlsx`` a
workbook with the same suppression as the printed text.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from simkit.cli._common import check_out_paths
from simkit.errors import InputError, Problem
from simkit.evaluation import evaluate
from simkit.evaluation.xlsx import write_xlsx
from simkit.io.files import display_path, write_json
from simkit.model.observed import evaluate_spells, read_participants
from simkit.model.spec import ModelScenario
from simkit.scenario import load_scenario


def execute(args: argparse.Namespace) -> int:
    """Run ``simkit evaluate`` with parsed arguments.

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
    >>> args = build_parser().parse_args(["evaluate", "data.csv", "--min-cell", "3"])
    >>> args.min_cell, args.scenario
    (3, [])
    """
    check_out_paths(args.json, inputs=[args.data, *args.scenario])
    check_out_paths(args.xlsx, inputs=[args.data, *args.scenario], flag="--xlsx")
    if args.json and args.xlsx and os.path.realpath(args.json) == os.path.realpath(args.xlsx):
        raise InputError(Problem("--xlsx", args.xlsx, "a file other than the --json output"))
    sc = load_scenario(args.scenario or None)
    res: Any  # an evaluation result of the scenario's version
    if args.forecast_draws < 0:
        raise InputError(Problem("--forecast-draws", args.forecast_draws, "a whole number >= 0"))
    if isinstance(sc, ModelScenario):  # either format, read as spells: the model's own indicators
        df, fmt = read_participants(sc, args.data, sheet=args.sheet)
        res = evaluate_spells(sc, df, as_of=args.as_of, source=display_path(args.data),
                              cut_at_as_of=args.cut_at_as_of, seed=args.seed,
                              forecast_draws=args.forecast_draws, data_format=fmt)
        text = res.text(min_cell=args.min_cell, lang=args.lang)
    else:
        if args.sheet is not None:
            raise InputError(Problem("--sheet", args.sheet, "a version-2 scenario (the version-1 path reads the "
                                     "first sheet)"))
        res = evaluate(args.data, sc, args.as_of, prior=args.prior, min_cell=args.min_cell, seed=args.seed,
                       cut_at_as_of=args.cut_at_as_of, refuse_stale=True)
        text = res.text(lang=args.lang)
    if args.json:
        write_json(args.json, res.to_dict())
    if args.xlsx:
        write_xlsx(res, args.xlsx, min_cell=args.min_cell, lang=args.lang)
    print(text)
    if args.json:
        print(f"\nwrote {display_path(args.json)} (exact counts; for evaluators, not for publication)")
    if args.xlsx:
        print(f"\nwrote {display_path(args.xlsx)} (counts below {args.min_cell} suppressed, as above)")
    return 0
