"""``simkit report``: one self-contained HTML file for a committee.

Simulates the scenario (the same run as ``simkit run`` with the same draws
and seed) plus a base case with every parameter at its central value, and
writes one HTML file (figures embedded, no network). The output path is
checked before computing; the file is written atomically, so an error
leaves no file.
"""

from __future__ import annotations

import argparse

from simkit.cli._common import check_out_paths, load
from simkit.io.files import atomic_write, write_json
from simkit.report import make_report


def execute(args: argparse.Namespace) -> int:
    """Run ``simkit report`` with parsed arguments.

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
    >>> build_parser().parse_args(["report", "-o", "r.html", "--lang", "en"]).base_draws
    20000
    """
    check_out_paths(args.output, args.json)
    sc = load(args)
    html, res = make_report(sc, draws=args.draws, seed=args.seed, base_draws=args.base_draws, lang=args.lang,
                            workers=args.workers, backend="processes" if args.workers > 1 else "serial")
    atomic_write(args.output, lambda t: t.write_text(html, encoding="utf-8"))
    if args.json:
        write_json(args.json, res.summary())
    print(f"report written: {args.output}")
    return 0
