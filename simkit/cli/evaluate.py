"""``simkit evaluate``: observed participant data against the scenario's payment targets.

Reads and validates the observed data, evaluates it (a version-1 scenario:
:func:`simkit.evaluation.evaluate`; a version-2 model: participant
histories in long format through :func:`simkit.model.observed.evaluate_spells`),
prints a report whose table suppresses counts below ``--min-cell`` and, with
``--json``, writes the full result with exact counts for evaluators (keys in
``docs/json-formats.md``).
"""

from __future__ import annotations

import argparse

from simkit.cli._common import check_out_paths
from simkit.evaluation import evaluate
from simkit.io.files import display_path, write_json
from simkit.io.scenario import load_scenario
from simkit.io.spells import read_spells
from simkit.model.observed import evaluate_spells
from simkit.model.spec import ModelScenario


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
    sc = load_scenario(args.scenario or None)
    if isinstance(sc, ModelScenario):  # participant histories in long format, the model's own indicators
        res = evaluate_spells(sc, read_spells(args.data), as_of=args.as_of, source=display_path(args.data))
        text = res.text(min_cell=args.min_cell)
    else:
        res = evaluate(args.data, sc, args.as_of, prior=args.prior, min_cell=args.min_cell, seed=args.seed)
        text = res.text()
    if args.json:
        write_json(args.json, res.to_dict())
    print(text)
    if args.json:
        print(f"\nwrote {display_path(args.json)} (exact counts; for evaluators, not for publication)")
    return 0
