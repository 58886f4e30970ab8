"""``simkit portfolio``: the fund's view of a portfolio of agreements with shared factors.

The portfolio is a TOML file, a folder holding ``portfolio.toml``, or a
table (``.csv`` or ``.xlsx``, one row per agreement:
:func:`simkit.portfolio.load_portfolio_table`). The JSON (``--json``) is
:meth:`simkit.portfolio.PortfolioResult.to_dict`; its keys are listed in
``docs/json-formats.md``.
"""

from __future__ import annotations

import argparse

from simkit.backends import pick_backend
from simkit.cli._common import check_out_paths, write_json_if
from simkit.portfolio import load_portfolio, simulate_portfolio


def execute(args: argparse.Namespace) -> int:
    """Run ``simkit portfolio`` with parsed arguments.

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
    >>> args = build_parser().parse_args(["portfolio", "fund.toml", "--draws", "2000", "--workers", "2"])
    >>> args.portfolio, args.draws, args.workers
    ('fund.toml', 2000, 2)
    """
    check_out_paths(args.json, inputs=[args.portfolio])
    portfolio = load_portfolio(args.portfolio)
    res = simulate_portfolio(portfolio, args.draws, seed=args.seed, workers=args.workers,
                             backend=pick_backend(args.backend, args.workers, args.scheduler),
                             scheduler=args.scheduler, chunk_size=args.chunk_size)
    write_json_if(args.json, res.to_dict())
    print(res.text())
    return 0
