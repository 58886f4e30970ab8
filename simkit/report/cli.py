"""Command line: ``simkit report [SCENARIO ...] [--lang da|en] [--draws N] [--seed S] -o FILE.html``.

Simulates the scenario (the same run as ``simkit run`` with the same draws
and seed) plus a base case with every parameter at its central value, and
writes one self-contained HTML file for a committee (figures embedded, no
network). The output path is checked before computing; the file is written
atomically, so an error leaves no file.
"""

from __future__ import annotations

import argparse

from ..cli import _check_out_paths, _positive_int, add_scenario_args, command, load

__all__ = ["cmd_report"]


def _add_report(p: argparse.ArgumentParser) -> None:
    add_scenario_args(p)
    p.add_argument("-o", "--output", required=True, metavar="FILE.html", help="the HTML file to write")
    p.add_argument("--lang", choices=("da", "en"), default="da", help="language (default da: Danish)")
    p.add_argument("--base-draws", type=_positive_int, default=20_000,
                   help="cohort realisations in the base case (default 20,000)")


@command("report", _add_report)
def cmd_report(args: argparse.Namespace) -> int:
    """Write a committee report: one self-contained HTML file (Danish by default), print-ready on A4."""
    from ..io.files import atomic_write, write_json
    from . import make_report

    _check_out_paths(args.output, args.json)
    sc = load(args)
    html, res = make_report(sc, draws=args.draws, seed=args.seed, base_draws=args.base_draws, lang=args.lang,
                            workers=args.workers, backend="processes" if args.workers > 1 else "serial")
    atomic_write(args.output, lambda t: t.write_text(html, encoding="utf-8"))
    if args.json:
        write_json(args.json, res.summary())
    print(f"report written: {args.output}")
    return 0
