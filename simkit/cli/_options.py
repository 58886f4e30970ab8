"""The options of every command, declared without importing the commands themselves.

Building the parser (``simkit --help``, ``simkit run --help``) uses only
this module and :mod:`argparse`; the module of a command, with numpy, pandas
or scipy behind it, is imported only when that command runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable

#: The root seed when ``--seed`` is not given.
DEFAULT_SEED = 2025
#: The methods of ``simkit sensitivity``.
METHODS = ("tornado", "twoway", "sobol", "variance", "evpi", "discovery")
_SCENARIO_HELP = ("scenario TOML files layered in order, or embedded names (default: the embedded "
                  "Norddjurs–DSI scenario)")


def whole_number(minimum: int) -> Callable[[str], int]:
    """Return an argparse type: a whole number >= ``minimum`` (underscores allowed: 1_000_000).

    Parameters
    ----------
    minimum
        The smallest accepted value.

    Returns
    -------
    callable
        Text to int, raising :class:`argparse.ArgumentTypeError` otherwise.

    Examples
    --------
    >>> whole_number(1)("1_000")
    1000
    >>> whole_number(1)("0")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a whole number >= 1, got 0
    """

    def parse(text: str) -> int:
        try:
            v = int(text.replace("_", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if v < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {v}")
        return v

    parse.__name__ = f"whole number >= {minimum}"
    return parse


positive_int = whole_number(1)
seed_type = whole_number(0)


def date_type(text: str) -> dt.date:
    """Return an argparse type: a date written YYYY-MM-DD.

    Parameters
    ----------
    text
        The option's value.

    Returns
    -------
    datetime.date
        The date.

    Examples
    --------
    >>> date_type("2027-10-31")
    datetime.date(2027, 10, 31)
    """
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def probability(text: str) -> float:
    """Return an argparse type: a number strictly between 0 and 1.

    Parameters
    ----------
    text
        The option's value.

    Returns
    -------
    float
        The number.

    Examples
    --------
    >>> probability("0.9")
    0.9
    """
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < v < 1:
        raise argparse.ArgumentTypeError(f"expected a number strictly between 0 and 1, got {v}")
    return v


def _scenarios(p: argparse.ArgumentParser, help: str = _SCENARIO_HELP) -> None:
    p.add_argument("scenario", nargs="*", metavar="SCENARIO", help=help)


def _seed(p: argparse.ArgumentParser, help: str = f"root seed (default {DEFAULT_SEED})") -> None:
    p.add_argument("--seed", type=seed_type, default=DEFAULT_SEED, help=help)


def _scenario_run(p: argparse.ArgumentParser, *, draws: int = 100_000) -> None:
    """Scenarios, --draws, --seed, --workers and --json: shared by run and report."""
    _scenarios(p)
    p.add_argument("--draws", type=positive_int, default=draws, help=f"Monte Carlo draws (default {draws:,})")
    _seed(p)
    p.add_argument("--workers", type=positive_int, default=1, help="worker processes (default 1)")
    p.add_argument("--json", metavar="FILE", help="write the result as JSON")


def add_run(p: argparse.ArgumentParser) -> None:
    """Declare the options of ``simkit run``.

    Parameters
    ----------
    p
        The subparser.

    Examples
    --------
    >>> p = argparse.ArgumentParser()
    >>> add_run(p)
    >>> p.parse_args(["--draws", "1000"]).draws
    1000
    """
    _scenario_run(p)
    p.add_argument("--out", metavar="DIR", help="write summary JSON, tables (CSV and one .xlsx workbook) and "
                                                "figures (PNG) to DIR")
    p.add_argument("--parquet", metavar="FILE",
                   help="write every draw's outputs to FILE (Parquet, chunk by chunk, memory flat in draws; "
                        "needs pyarrow)")
    p.add_argument("--csv", choices=("iso", "danish"), default="iso",
                   help="CSV dialect of the --out tables (danish: semicolon and decimal comma)")
    p.add_argument("--backend", choices=("serial", "processes", "dask", "distributed"), default=None,
                   help="how chunks run in parallel (default: distributed with --scheduler, processes when "
                        "--workers > 1); results are identical whatever the backend")
    p.add_argument("--scheduler", metavar="ADDR", default=None,
                   help="dask.distributed scheduler address, e.g. tcp://10.0.0.5:8786 (default: the "
                        "SIMKIT_SCHEDULER environment variable)")
    p.add_argument("--chunk-size", type=positive_int, default=None, help="draws per chunk (memory bound)")
    p.add_argument("--force", action="store_true",
                   help="replace earlier outputs in --out DIR (without it they are never replaced)")
    p.add_argument("--no-range", action="store_true",
                   help="skip the headline's range (the scenario's embedded _sceptical and _optimistic "
                        "siblings run on the same seed)")
    p.add_argument("--range-draws", type=positive_int, default=20_000,
                   help="draws of each side of the range (default 20,000, at most --draws; the run's own "
                        "column uses its first ones: the same cohorts)")


def add_validate(p: argparse.ArgumentParser) -> None:
    """Declare the options of ``simkit validate``.

    Parameters
    ----------
    p
        The subparser.

    Examples
    --------
    >>> p = argparse.ArgumentParser()
    >>> add_validate(p)
    >>> p.parse_args(["a.toml", "b.csv"]).files
    ['a.toml', 'b.csv']
    """
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="scenario TOML files (validated as one layered scenario) and/or observed-data "
                        "files (.csv, .xlsx), each validated on its own")


def add_evaluate(p: argparse.ArgumentParser) -> None:
    """Declare the options of ``simkit evaluate``.

    Parameters
    ----------
    p
        The subparser.

    Examples
    --------
    >>> p = argparse.ArgumentParser()
    >>> add_evaluate(p)
    >>> p.parse_args(["data.csv", "--min-cell", "3"]).min_cell
    3
    """
    p.add_argument("data", metavar="DATA", help="observed participant data (.csv or .xlsx)")
    p.add_argument("--scenario", nargs="+", action="extend", metavar="S", default=[], help=_SCENARIO_HELP)
    p.add_argument("--as-of", type=date_type, metavar="YYYY-MM-DD",
                   help="assessment date (default: the scenario's measurement date; an earlier "
                        "date is an interim evaluation — use the date the data were extracted)")
    p.add_argument("--json", metavar="FILE", help="write the result with exact counts as JSON")
    p.add_argument("--xlsx", metavar="FILE", help="write an xlsx workbook (targets, repayment, terms, notes, "
                   "provenance; small counts suppressed as in the printed text)")
    p.add_argument("--lang", choices=("da", "en"), default=None,
                   help="language of the printed text and the workbook (da: Danish, en: English; default: the SIMKIT_LANG environment variable, else en)")
    p.add_argument("--min-cell", type=positive_int, default=5, metavar="N",
                   help="smallest count shown in the printed table (default 5)")
    p.add_argument("--prior", choices=("jeffreys", "scenario"), default="jeffreys",
                   help="prior for the rates (default jeffreys)")
    p.add_argument("--sheet", metavar="NAME", help="the worksheet of an .xlsx file (default: the first)")
    p.add_argument("--cut-at-as-of", action="store_true",
                   help="cut events after --as-of (counted in the output) instead of refusing the file")
    p.add_argument("--forecast-draws", type=int, default=256, metavar="M",
                   help="version-2 scenarios, interim: parameter sets of the forecast that learns from the "
                        "data (default 256; 0: no forecast)")
    _seed(p, f"seed of the scenario simulation and predictive draws (default {DEFAULT_SEED})")


def add_synth(p: argparse.ArgumentParser) -> None:
    """Declare the options of ``simkit synth``.

    Parameters
    ----------
    p
        The subparser.

    Examples
    --------
    >>> p = argparse.ArgumentParser()
    >>> add_synth(p)
    >>> p.parse_args(["-o", "fake.csv"]).dialect
    'danish'
    """
    _scenarios(p)
    _seed(p)
    p.add_argument("--draw", type=int, default=0, metavar="N",
                   help="which Monte Carlo draw of the run to use (default 0)")
    p.add_argument("--as-of", type=date_type, metavar="YYYY-MM-DD",
                   help="reporting date: data censored here (default: the measurement date)")
    p.add_argument("-o", "--out", required=True, metavar="FILE", help="output file (.csv or .xlsx)")
    p.add_argument("--dialect", choices=("danish", "iso"), default="danish",
                   help="CSV dialect (default danish: semicolon, decimal comma, dd-mm-yyyy)")
    p.add_argument("--format", choices=("csv", "xlsx"), default=None,
                   help="file format (default: from the file name's extension, else csv)")
    p.add_argument("--layout", choices=("spells", "one-row"), default="spells",
                   help="version-2 scenarios: one row per spell (default) or one row per person")
    p.add_argument("--force", action="store_true",
                   help="replace an existing output file (without it, it is never replaced)")


def _analysis(p: argparse.ArgumentParser) -> None:
    """Scenarios, --seed, --workers, --backend, --scheduler and --json: shared by sensitivity and design."""
    _scenarios(p)
    _seed(p)
    p.add_argument("--workers", type=positive_int, default=1, help="worker processes (default 1)")
    p.add_argument("--json", metavar="FILE", help="write the result as JSON")
    _parallel(p)


def _parallel(p: argparse.ArgumentParser) -> None:
    """--backend and --scheduler (run, sensitivity, design, portfolio)."""
    p.add_argument("--backend", choices=("serial", "processes", "dask", "distributed"), default=None,
                   help="how chunks run in parallel (default: distributed with --scheduler, processes when "
                        "--workers > 1); results are identical whatever the backend")
    p.add_argument("--scheduler", metavar="ADDR", default=None,
                   help="dask.distributed scheduler address, e.g. tcp://10.0.0.5:8786 (default: the "
                        "SIMKIT_SCHEDULER environment variable)")


def add_sensitivity(p: argparse.ArgumentParser) -> None:
    """Declare the options of ``simkit sensitivity``.

    Parameters
    ----------
    p
        The subparser.

    Examples
    --------
    >>> p = argparse.ArgumentParser()
    >>> add_sensitivity(p)
    >>> p.parse_args(["--method", "tornado"]).draws is None  # the method's default applies
    True
    """
    _analysis(p)
    p.add_argument("--method", required=True, choices=METHODS, help="analysis to run")
    p.add_argument("--draws", type=positive_int, default=None,
                   help="Monte Carlo draws: per run (tornado, default 4,000), per grid cell "
                        "(twoway, 1,000), in total (evpi, discovery, 20,000)")
    p.add_argument("--params", default=None, metavar="A,B,...",
                   help="parameter names, comma-separated (twoway: exactly two, x then y)")
    p.add_argument("--range", action="append", default=None, metavar="NAME=LO,HI",
                   help="low/high values of a parameter (tornado, twoway; repeatable)")
    p.add_argument("--level", type=probability, default=None,
                   help="central interval used where no named low/high (default 0.95)")
    p.add_argument("--grid", type=positive_int, default=None, help="grid points per axis (twoway, default 7)")
    p.add_argument("--n-base", type=positive_int, default=None,
                   help="Sobol' base sample, a power of 2 (default 2048)")
    p.add_argument("--inner", type=positive_int, default=None,
                   help="cohorts per parameter set (sobol default 8, variance default 4)")
    p.add_argument("--outer", type=positive_int, default=None, help="parameter sets (variance, default 2000)")
    p.add_argument("--outputs", default=None, metavar="A,B",
                   help="outputs (sobol, variance; default repayment,net_pv)")
    p.add_argument("--cohort-sizes", default=None, metavar="N,N,...",
                   help="cohort sizes (variance; default half, once, twice, four times the cohort)")
    p.add_argument("--resamples", type=seed_type, default=None,
                   help="bootstrap resamples (sobol, variance; default 499)")
    p.add_argument("--decision", choices=("enter", "terms"), default=None,
                   help="evpi: enter the agreement or not (default), or choose between contract terms")
    p.add_argument("--perspective", choices=("municipality", "fund"), default=None,
                   help="evpi: whose net benefit (default municipality)")
    p.add_argument("--variants", nargs="+", default=None, metavar="SPEC",
                   help="evpi --decision terms: contract variants (default threshold pro_rata)")
    p.add_argument("--group", action="append", default=None, metavar="NAME=A,B",
                   help="evpi: a parameter group (repeatable; default the built-in groups)")
    p.add_argument("--events", default=None, metavar="E,E",
                   help="discovery: events among no_repayment, budget_loss, fund_loss "
                        "(default no_repayment,budget_loss)")


def add_design(p: argparse.ArgumentParser) -> None:
    """Declare the options of ``simkit design``.

    Parameters
    ----------
    p
        The subparser.

    Examples
    --------
    >>> p = argparse.ArgumentParser()
    >>> add_design(p)
    >>> p.parse_args(["--compare", "pro_rata", "premium=0.08"]).compare
    ['pro_rata', 'premium=0.08']
    """
    _analysis(p)
    p.add_argument("--draws", type=positive_int, default=20_000, help="Monte Carlo draws (default 20,000)")
    p.add_argument("--compare", nargs="+", default=None, metavar="SPEC",
                   help="contract variants to compare, [LABEL:]SPEC (e.g. pro_rata premium=0.08 "
                        "'floor30:pro_rata,edu_work.floor=0.3')")
    p.add_argument("--solve", nargs="+", default=None, choices=("premium", "threshold", "share"),
                   help="solve for the premium (needs --target-multiple), or the threshold / payment "
                        "share (need --target-p-neutral)")
    p.add_argument("--target-multiple", type=float, default=None,
                   help="the fund's expected multiple wanted (e.g. 1.0)")
    p.add_argument("--target-p-neutral", type=probability, default=None,
                   help="P(budget-neutral) wanted for the municipality (e.g. 0.9)")
    p.add_argument("--target", default=None, metavar="ID",
                   help="payment target whose threshold or weight is solved")
    p.add_argument("--base", default=None, metavar="SPEC", help="contract variant the solvers start from")


def add_terms(p: argparse.ArgumentParser) -> None:
    """Declare the options of ``simkit terms``.

    Parameters
    ----------
    p
        The subparser.

    Examples
    --------
    >>> p = argparse.ArgumentParser()
    >>> add_terms(p)
    >>> p.parse_args(["--template"]).out is None
    True
    """
    _scenarios(p, "scenario whose terms to start from (default: the embedded Norddjurs–DSI scenario)")
    p.add_argument("--template", action="store_true", required=True,
                   help="write a contract-terms file to fill in with the agreement's terms")
    p.add_argument("-o", "--out", metavar="FILE", help="write the template to FILE (default: print it)")
    p.add_argument("--force", action="store_true", help="replace an existing FILE")


def add_report(p: argparse.ArgumentParser) -> None:
    """Declare the options of ``simkit report``.

    Parameters
    ----------
    p
        The subparser.

    Examples
    --------
    >>> p = argparse.ArgumentParser()
    >>> add_report(p)
    >>> p.parse_args(["-o", "r.html"]).lang
    'da'
    """
    _scenario_run(p)
    p.add_argument("-o", "--output", required=True, metavar="FILE.html", help="the HTML file to write")
    p.add_argument("--lang", choices=("da", "en"), default="da", help="language (default da: Danish)")
    p.add_argument("--base-draws", type=positive_int, default=20_000,
                   help="cohort realisations in the base case (default 20,000)")
    rng = p.add_mutually_exclusive_group()
    rng.add_argument("--range", nargs=2, metavar=("SCEPTICAL", "OPTIMISTIC"), default=None,
                     help="a sceptical and an optimistic layer, each put on the scenario and run on the same "
                          "draws and seed, shown side by side with it (default: the scenario's siblings "
                          "<name>_sceptical and <name>_optimistic when both exist)")
    rng.add_argument("--no-range", action="store_true", help="no sceptical and optimistic runs")


def add_portfolio(p: argparse.ArgumentParser) -> None:
    """Declare the options of ``simkit portfolio``.

    Parameters
    ----------
    p
        The subparser.

    Examples
    --------
    >>> p = argparse.ArgumentParser()
    >>> add_portfolio(p)
    >>> p.parse_args(["data/portfolio/synthetic_dsi.toml", "--draws", "1000"]).draws
    1000
    """
    p.add_argument("portfolio", metavar="FOLDER|TABLE",
                   help="a portfolio TOML file, a folder holding portfolio.toml, or a table (.csv or .xlsx, "
                        "one row per agreement; see docs/json-formats.md and simkit.portfolio)")
    p.add_argument("--draws", type=positive_int, default=10_000, help="Monte Carlo draws (default 10,000)")
    _seed(p)
    p.add_argument("--workers", type=positive_int, default=1, help="worker processes (default 1)")
    p.add_argument("--json", metavar="FILE", help="write the result as JSON")
    _parallel(p)
    p.add_argument("--chunk-size", type=positive_int, default=None, help="draws per chunk (memory bound)")
