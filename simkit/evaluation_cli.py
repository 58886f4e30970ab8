"""Command line: ``simkit evaluate`` and ``simkit synth``.

``simkit evaluate DATA [--scenario S ...] [--as-of YYYY-MM-DD] [--json FILE] [--min-cell N]``
    Reads and validates the observed data, evaluates it against the
    scenario's payment targets (:func:`simkit.evaluation.evaluate`), prints a
    report whose table suppresses counts below ``--min-cell`` and, with
    ``--json``, writes the full result with exact counts for evaluators.

``simkit synth [SCENARIO ...] --seed S --as-of DATE -o FILE [--dialect danish|iso] [--format csv|xlsx]``
    Writes a synthetic observed-data file drawn from a scenario
    (:func:`simkit.synth.synthesize`).

Both check their arguments and output paths first, compute, and write only
after everything succeeded (atomically), so an error leaves no output. Input
errors print one message naming row, column and value and exit with code 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from .cli import DEFAULT_SEED, _check_out_paths, _positive_int, _seed, command
from .errors import InputError, Problem, SimkitError

__all__ = ["cmd_evaluate", "cmd_synth"]


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


# ---------------------------------------------------------------- evaluate


def _add_evaluate(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", metavar="DATA", help="observed participant data (.csv or .xlsx)")
    p.add_argument("--scenario", nargs="+", action="extend", metavar="S", default=[],
                   help="scenario TOML files layered in order, or embedded names (default: the "
                        "embedded Norddjurs–DSI scenario)")
    p.add_argument("--as-of", type=_date, metavar="YYYY-MM-DD",
                   help="assessment date (default: the scenario's measurement date; an earlier "
                        "date is an interim evaluation — use the date the data were extracted)")
    p.add_argument("--json", metavar="FILE", help="write the result with exact counts as JSON")
    p.add_argument("--min-cell", type=_positive_int, default=5, metavar="N",
                   help="smallest count shown in the printed table (default 5)")
    p.add_argument("--prior", choices=("jeffreys", "scenario"), default="jeffreys",
                   help="prior for the rates (default jeffreys)")
    p.add_argument("--seed", type=_seed, default=DEFAULT_SEED,
                   help=f"seed of the scenario simulation and predictive draws (default {DEFAULT_SEED})")


@command("evaluate", _add_evaluate)
def cmd_evaluate(args: argparse.Namespace) -> int:
    """Evaluate observed participant data against the scenario's payment targets."""
    from .evaluation import evaluate
    from .io.files import display_path, write_json
    from .io.scenario import load_scenario

    _check_out_paths(args.json, inputs=[args.data, *args.scenario])
    sc = load_scenario(args.scenario or None)
    from .model.spec import ModelScenario

    if isinstance(sc, ModelScenario):  # participant histories in long format, the model's own indicators
        from .io.spells import read_spells
        from .model.observed import evaluate_spells

        res = evaluate_spells(sc, read_spells(args.data), as_of=args.as_of, source=display_path(args.data))
        text = res.text(min_cell=args.min_cell)
    else:
        res = evaluate(args.data, sc, args.as_of, prior=args.prior, min_cell=args.min_cell,
                       seed=args.seed)
        text = res.text()
    if args.json:
        write_json(args.json, res.to_dict())
    print(text)
    if args.json:
        print(f"\nwrote {display_path(args.json)} (exact counts; for evaluators, not for publication)")
    return 0


# ---------------------------------------------------------------- terms


def _add_terms(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", nargs="*", metavar="SCENARIO",
                   help="scenario whose terms to start from (default: the embedded Norddjurs–DSI scenario)")
    p.add_argument("--template", action="store_true", required=True,
                   help="write a contract-terms file to fill in with the agreement's terms")
    p.add_argument("-o", "--out", metavar="FILE", help="write the template to FILE (default: print it)")
    p.add_argument("--force", action="store_true", help="replace an existing FILE")


@command("terms", _add_terms)
def cmd_terms(args: argparse.Namespace) -> int:
    """Write a contract-terms template (the scenario's current terms, each marked as an assumption)."""
    from .io.files import atomic_write, display_path
    from .io.scenario import load_scenario
    from .terms import terms_template

    _check_out_paths(args.out, inputs=args.scenario, flag="-o", force=args.force)
    text = terms_template(load_scenario(args.scenario or None))
    if args.out:
        atomic_write(args.out, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        print(f"wrote {display_path(args.out)}: fill in the agreement's terms and sources, then layer it, e.g. "
              f"simkit evaluate DATA --scenario norddjurs {display_path(args.out)}")
    else:
        print(text, end="")
    return 0


# ---------------------------------------------------------------- synth


def _add_synth(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", nargs="*", metavar="SCENARIO",
                   help="scenario TOML files layered in order, or embedded names (default: the "
                        "embedded Norddjurs–DSI scenario)")
    p.add_argument("--seed", type=_seed, default=DEFAULT_SEED, help=f"root seed (default {DEFAULT_SEED})")
    p.add_argument("--draw", type=int, default=0, metavar="N",
                   help="which Monte Carlo draw of the run to use (default 0)")
    p.add_argument("--as-of", type=_date, metavar="YYYY-MM-DD",
                   help="reporting date: data censored here (default: the measurement date)")
    p.add_argument("-o", "--out", required=True, metavar="FILE", help="output file (.csv or .xlsx)")
    p.add_argument("--dialect", choices=("danish", "iso"), default="danish",
                   help="CSV dialect (default danish: semicolon, decimal comma, dd-mm-yyyy)")
    p.add_argument("--format", choices=("csv", "xlsx"), default=None,
                   help="file format (default: from the file name's extension, else csv)")
    p.add_argument("--force", action="store_true",
                   help="replace an existing output file (without it, it is never replaced)")


@command("synth", _add_synth)
def cmd_synth(args: argparse.Namespace) -> int:
    """Write a synthetic observed-data file drawn from a scenario (never real people)."""
    from .io.files import display_path
    from .io.scenario import load_scenario
    from .synth import MAX_DRAW, synthesize

    fmt = args.format or ("xlsx" if args.out.lower().endswith(".xlsx") else "csv")
    ext = "." + fmt
    if not args.out.lower().endswith(ext):
        raise InputError(Problem("-o", args.out, f"a file name ending in {ext} for --format {fmt}"))
    if not 0 <= args.draw <= MAX_DRAW:
        raise InputError(Problem("--draw", args.draw, f"a whole number from 0 to {MAX_DRAW:,} (for "
                                                      "more synthetic cohorts vary --seed)"))
    _check_out_paths(args.out, inputs=args.scenario, flag="-o", force=args.force)
    sc = load_scenario(args.scenario or None)
    from .model.spec import ModelScenario

    if isinstance(sc, ModelScenario):  # long format: one row per spell of one simulated cohort
        from .io.spells import write_spells_csv
        from .model.observed import synthesize_spells

        df = synthesize_spells(sc, seed=args.seed, draw=args.draw, as_of=args.as_of)
        if fmt == "csv":
            write_spells_csv(df, args.out, dialect=args.dialect)
        else:
            from .io.files import atomic_write

            atomic_write(args.out, lambda tmp: df.to_excel(tmp, index=False, engine="openpyxl"))
        as_of = args.as_of or sc.terms.measurement_date
        print(f"wrote {display_path(args.out)}: {df['person'].nunique()} synthetic persons, {len(df)} spells "
              f"as extracted on {as_of} (scenario {sc.name}, seed {args.seed}, draw {args.draw})")
        return 0
    df = synthesize(sc, seed=args.seed, as_of=args.as_of, draw=args.draw)
    if fmt == "csv":
        from .io.observed import write_observed_csv

        write_observed_csv(df, args.out, dialect=args.dialect)
    else:
        _write_xlsx(df, args.out)
    as_of = args.as_of or sc.terms.measurement_date
    print(f"wrote {display_path(args.out)}: {len(df)} synthetic persons referred by {as_of} "
          f"(scenario {sc.name}, seed {args.seed}, draw {args.draw})")
    return 0


def _write_xlsx(df, path: str) -> None:
    """Canonical columns to the first sheet of a workbook, atomically (dates as Excel dates)."""
    from .io.files import atomic_write, neutralise_formula
    from .io.observed import OBSERVED_COLUMNS

    cols = [c.name for c in OBSERVED_COLUMNS]
    frame = df[cols].copy()
    frame["id"] = frame["id"].map(neutralise_formula)  # text, never a live formula

    def write(tmp: Path) -> None:
        frame.to_excel(tmp, index=False, engine="openpyxl")

    try:
        atomic_write(path, write)
    except OSError as exc:
        raise SimkitError(str(Problem(path, None, f"a writable file path ({exc.strerror})"))) from None
