"""``simkit synth``: a synthetic observed-data file drawn from a scenario (never real people).

A version-1 scenario gives one row per person (:func:`simkit.synth.synthesize`);
a version-2 model gives participant histories in long format, one row per
spell (:func:`simkit.model.observed.synthesize_spells`). Arguments and the
output path are checked first; the file is written atomically.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from simkit.cli._common import check_out_paths
from simkit.errors import InputError, Problem, SimkitError
from simkit.io.files import atomic_write, display_path, neutralise_formula
from simkit.io.observed import OBSERVED_COLUMNS, validate_observed, write_observed_csv
from simkit.io.spells import write_spells_csv
from simkit.model.observed import spells_to_one_row, synthesize_spells
from simkit.model.spec import ModelScenario
from simkit.scenario import load_scenario
from simkit.synth import MAX_DRAW, synthesize


def execute(args: argparse.Namespace) -> int:
    """Run ``simkit synth`` with parsed arguments.

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
    >>> build_parser().parse_args(["synth", "-o", "fake.xlsx"]).format is None  # from the extension
    True
    """
    fmt = args.format or ("xlsx" if args.out.lower().endswith(".xlsx") else "csv")
    ext = "." + fmt
    if not args.out.lower().endswith(ext):
        raise InputError(Problem("-o", args.out, f"a file name ending in {ext} for --format {fmt}"))
    if not 0 <= args.draw <= MAX_DRAW:
        raise InputError(Problem("--draw", args.draw, f"a whole number from 0 to {MAX_DRAW:,} (for "
                                                      "more synthetic cohorts vary --seed)"))
    check_out_paths(args.out, inputs=args.scenario, flag="-o", force=args.force)
    sc = load_scenario(args.scenario or None)
    as_of = args.as_of or sc.terms.measurement_date
    if isinstance(sc, ModelScenario):  # long format: one row per spell of one simulated cohort
        df = synthesize_spells(sc, seed=args.seed, draw=args.draw, as_of=args.as_of)
        if args.layout == "one-row":   # the same cohort, one row per person (a summary: data/README.md)
            one = validate_observed(spells_to_one_row(sc, df), "synthetic")
            if fmt == "csv":
                write_observed_csv(one, args.out, dialect=args.dialect)
            else:
                write_xlsx(one, args.out)
            print(f"wrote {display_path(args.out)}: {len(one)} synthetic persons, one row each, as extracted on "
                  f"{as_of} (scenario {sc.name}, seed {args.seed}, draw {args.draw})")
            return 0
        if fmt == "csv":
            write_spells_csv(df, args.out, dialect=args.dialect)
        else:
            atomic_write(args.out, lambda tmp: df.to_excel(tmp, index=False, engine="openpyxl"))
        print(f"wrote {display_path(args.out)}: {df['person'].nunique()} synthetic persons, {len(df)} spells "
              f"as extracted on {as_of} (scenario {sc.name}, seed {args.seed}, draw {args.draw})")
        return 0
    df = synthesize(sc, seed=args.seed, as_of=args.as_of, draw=args.draw)
    if fmt == "csv":
        write_observed_csv(df, args.out, dialect=args.dialect)
    else:
        write_xlsx(df, args.out)
    print(f"wrote {display_path(args.out)}: {len(df)} synthetic persons referred by {as_of} "
          f"(scenario {sc.name}, seed {args.seed}, draw {args.draw})")
    return 0


def write_xlsx(df: pd.DataFrame, path: str) -> None:
    """Canonical observed-data columns to the first sheet of a workbook, atomically.

    Dates are written as Excel dates; an ``id`` that a spreadsheet would run
    as a formula gets a leading ``'``.

    Parameters
    ----------
    df
        Observed data with the columns of :data:`simkit.io.observed.OBSERVED_COLUMNS`.
    path
        The ``.xlsx`` file to write.

    Raises
    ------
    simkit.errors.SimkitError
        When the file cannot be written.

    Examples
    --------
    >>> import tempfile, openpyxl
    >>> df = pd.DataFrame({c.name: [None] for c in OBSERVED_COLUMNS} | {"id": ["=1+1"]})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_xlsx(df, d + "/fake.xlsx")
    ...     openpyxl.load_workbook(d + "/fake.xlsx").active["A2"].value
    "'=1+1"
    """
    cols = [c.name for c in OBSERVED_COLUMNS]
    frame = df[cols].copy()
    frame["id"] = frame["id"].map(neutralise_formula)  # text, never a live formula

    def write(tmp: Path) -> None:
        frame.to_excel(tmp, index=False, engine="openpyxl")

    try:
        atomic_write(path, write)
    except OSError as exc:
        raise SimkitError(str(Problem(path, None, f"a writable file path ({exc.strerror})"))) from None

