"""``simkit run``: simulate a scenario, print a summary, optionally write JSON, tables and figures.

The JSON (``--json``, and ``summary.json`` in ``--out DIR``) is
:meth:`simkit.results.SimulationResult.summary`; its keys are listed in
``docs/json-formats.md``. ``--parquet FILE`` writes every draw's outputs,
chunk by chunk, with the run's provenance (``docs/parquet.md``).
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path
from typing import Any

from simkit import plotting
from simkit.backends import pick_backend
from simkit.cli._common import check_out_paths, load
from simkit.engine import KEEP_DRAWS, simulate
from simkit.headline import range_table, with_range
from simkit.io.files import (
    OutputDir,
    atomic_write,
    check_output_dir,
    write_frame_csv,
    write_frame_csv_danish,
    write_frames_xlsx,
    write_json,
)

#: Files ``simkit run --out DIR`` writes.
RUN_OUTPUTS = ("summary.json", "summary.csv", "targets.csv", "curve.csv", "summary.xlsx", "repayment.png",
               "net_budget.png", "cumulative_budget.png", "targets.png")
#: Excel number formats of the ``summary.xlsx`` columns.
XLSX_FORMATS = {"p_met": "0.0%", "p_met_se": "0.00%", "rate_mean": "0.0%", "rate_q05": "0.0%",
                "rate_q50": "0.0%", "rate_q95": "0.0%", "threshold": "0%", "p_broken_even": "0.0%",
                "mean": "#,##0", "q05": "#,##0", "q25": "#,##0", "q50": "#,##0", "q75": "#,##0",
                "q95": "#,##0"}


def execute(args: argparse.Namespace) -> int:
    """Run ``simkit run`` with parsed arguments.

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
    >>> args = build_parser().parse_args(["run", "--draws", "200", "--out", "results"])
    >>> args.draws, args.out, args.csv
    (200, 'results', 'iso')
    """
    check_out_paths(args.json, inputs=args.scenario)
    check_out_paths(args.parquet, inputs=[*args.scenario, args.json], flag="--parquet")
    check_output_dir(args.out, RUN_OUTPUTS, inputs=args.scenario, force=args.force)
    sc = load(args)
    res = simulate(sc, args.draws, seed=args.seed, workers=args.workers, scheduler=args.scheduler,
                   progress=sys.stderr.isatty(),
                   backend=pick_backend(args.backend, args.workers, args.scheduler),
                   chunk_size=args.chunk_size,
                   # without --out no per-draw array is needed: a run beyond KEEP_DRAWS keeps none
                   keep_draws=None if args.out or args.draws <= KEEP_DRAWS else 0, parquet=args.parquet)
    summary = res.summary()
    rng = None if args.no_range else with_range(
        res, args.scenario, draws=args.range_draws, workers=args.workers, scheduler=args.scheduler,
        backend=pick_backend(args.backend, args.workers, args.scheduler), chunk_size=args.chunk_size)
    summary["range"] = rng
    if args.out:
        with OutputDir(args.out) as out:  # all files appear together, or none
            write_json(out / "summary.json", summary)
            frames = {"summary": res.to_frame("summary"), "targets": res.to_frame("targets"),
                      "curve": res.to_frame("curve")}
            write_csv = write_frame_csv_danish if args.csv == "danish" else write_frame_csv
            for name, frame in frames.items():
                write_csv(out / f"{name}.csv", frame)
            write_frames_xlsx(out / "summary.xlsx", frames, formats=XLSX_FORMATS)
            _figures(res, out)
    if args.json:
        write_json(args.json, summary)
    print(res.text())
    if rng is not None:
        print(f"\nHeadline with its range ({rng['draws']:,} draws each, seed {rng['seed']}: the same cohorts; "
              f"sceptical = {' + '.join(rng['layers']['sceptical'])}, optimistic = "
              f"{' + '.join(rng['layers']['optimistic'])})")
        print(range_table(rng["sides"], currency=sc.currency))
    return 0


def _save_png(fig: Any, path: Path) -> None:
    fig.savefig(path, format="png", dpi=110)


def _figures(res: Any, out: Path) -> None:
    """Return the four PNG figures of ``--out DIR``."""
    # start-up speed: matplotlib (about 0.5 s) is loaded only when --out asks for figures
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # start-up speed (as above)

    for name, fn in (("repayment", plotting.plot_repayment), ("net_budget", plotting.plot_net_budget),
                     ("cumulative_budget", plotting.plot_cumulative_budget), ("targets", plotting.plot_targets)):
        ax = fn(res)
        fig = ax.figure
        fig.tight_layout()
        atomic_write(out / f"{name}.png", partial(_save_png, fig))
        plt.close(fig)
