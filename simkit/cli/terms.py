"""``simkit terms --template``: a contract-terms file with the scenario's current terms, to fill in."""

from __future__ import annotations

import argparse

from simkit.cli._common import check_out_paths
from simkit.io.files import atomic_write, display_path
from simkit.scenario import load_scenario
from simkit.terms import terms_template


def execute(args: argparse.Namespace) -> int:
    """Run ``simkit terms`` with parsed arguments.

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
    >>> args = argparse.Namespace(scenario=[], out=None, force=False, template=True)
    >>> execute(args)  # doctest: +ELLIPSIS
    # Contract terms: ...
    0
    """
    check_out_paths(args.out, inputs=args.scenario, flag="-o", force=args.force)
    text = terms_template(load_scenario(args.scenario or None))
    if args.out:
        atomic_write(args.out, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        print(f"wrote {display_path(args.out)}: fill in the agreement's terms and sources, then layer it, e.g. "
              f"simkit evaluate DATA --scenario norddjurs {display_path(args.out)}")
    else:
        print(text, end="")
    return 0
