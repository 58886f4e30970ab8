"""``simkit validate``: check scenario files (layered in order) and observed-data files, nothing else."""

from __future__ import annotations

import argparse

from simkit.io.files import display_path
from simkit.scenario import load_scenario

#: File name endings read as observed participant data; anything else is a scenario.
DATA_SUFFIXES = (".csv", ".xlsx", ".txt", ".tsv", ".xls", ".xlsm", ".xlsb", ".xltx", ".xltm", ".ods")


def execute(args: argparse.Namespace) -> int:
    """Run ``simkit validate`` with parsed arguments.

    Parameters
    ----------
    args
        From :func:`simkit.cli.build_parser`.

    Returns
    -------
    int
        The exit code, 0 (a problem raises an error naming it).

    Examples
    --------
    >>> execute(argparse.Namespace(files=["norddjurs"]))  # doctest: +ELLIPSIS
    scenario OK: ...
    0
    """
    scen = [f for f in args.files if not f.lower().endswith(DATA_SUFFIXES)]
    data = [f for f in args.files if f.lower().endswith(DATA_SUFFIXES)]
    if scen:
        sc = load_scenario(scen)
        print(f"scenario OK: {sc.name} ({' + '.join(sc.sources)}; sha256 {sc.sha256[:12]})")
    if data:
        # start-up speed: pandas is loaded only when there are data files to read
        from simkit.io.observed import read_observed

        for f in data:
            df = read_observed(f)
            print(f"observed data OK: {display_path(f)} ({len(df)} rows)")
    return 0
