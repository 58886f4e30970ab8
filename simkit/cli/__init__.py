"""Command line: ``simkit run | validate | evaluate | synth | sensitivity | design | terms | report | portfolio``.

User errors (bad files, bad values) print one clear message to stderr and
exit with code 2 — never a traceback — and no output file is written.

Exit codes: 0 success; 2 a user error (message on stderr, nothing written);
130 interrupted by SIGINT (Ctrl-C) and 143 by SIGTERM (one line on stderr,
no partial or temporary file left); 1 only for a bug in simkit (traceback).
Output paths are checked before any work: an output is never one of the
command's inputs, and ``--out DIR`` holding earlier outputs needs ``--force``.

The commands are listed in :data:`COMMANDS`, explicitly: each names the
function declaring its options (in :mod:`simkit.cli._options`, light) and
the module that runs it (``simkit.cli.<module>``, with an ``execute(args)``
function), which is imported only when that command runs. The JSON written
by ``--json`` is described in ``docs/json-formats.md``.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from simkit import __version__
from simkit.cli import _options as O
from simkit.cli._common import (
    EXIT_USER_ERROR,
    console_safe,
    install_signal_handlers,
    restore_signal_handlers,
)
from simkit.errors import Interrupted, SimkitError

__all__ = ["COMMANDS", "Command", "build_parser", "main"]


@dataclass(frozen=True)
class Command:
    """One subcommand: its name, help, example, options and the module that runs it.

    Attributes
    ----------
    name
        As typed: ``simkit <name>``.
    summary
        One line for ``simkit --help``; the first sentence of the description.
    add
        Declares the options on the subparser (light: argparse only).
    module
        The module holding ``execute(args) -> int``: ``simkit.cli.<module>``,
        or a full dotted name (a command added from outside the package).
    example
        Shown under "example" in ``simkit <name> --help``.
    description
        Further text for ``simkit <name> --help``.

    Examples
    --------
    >>> [c.name for c in COMMANDS][:2]
    ['run', 'validate']
    """

    name: str
    summary: str
    add: Callable[[argparse.ArgumentParser], None]
    module: str
    example: str
    description: str = ""


#: Every command, in the order ``simkit --help`` lists them. To add one: a
#: module ``simkit/cli/<name>.py`` with ``execute(args) -> int``, a function
#: declaring its options in ``_options.py``, and a row here (ARCHITECTURE.md,
#: "How to add"; ``tests/test_cli_package.py`` adds one from outside).
COMMANDS: tuple[Command, ...] = (
    Command("run", "Simulate a scenario and print a summary.", O.add_run, "run",
            "simkit run --draws 20000 --seed 1 --json summary.json\n"
            "  simkit run norddjurs_v1 reform_2027_v1 --out results/ --csv danish"),
    Command("validate", "Check inputs only: scenario files (layered in order) and observed-data files.",
            O.add_validate, "validate",
            "simkit validate my_scenario.toml observed.csv"),
    Command("evaluate", "Evaluate observed participant data against the scenario's payment targets.",
            O.add_evaluate, "evaluate",
            "simkit evaluate observed.csv --as-of 2026-06-30 --json evaluation.json --min-cell 5"),
    Command("synth", "Write a synthetic observed-data file drawn from a scenario (never real people).",
            O.add_synth, "synth",
            "simkit synth --seed 7 --as-of 2026-06-30 -o fake.csv --dialect iso"),
    Command("sensitivity", "Sensitivity analysis: tornado, two-way grid, Sobol', variance split, EVPI, "
            "discovery.", O.add_sensitivity, "sensitivity",
            "simkit sensitivity --method tornado --draws 2000 --json tornado.json\n"
            "  simkit sensitivity norddjurs_v1 --method twoway --params completion_rate,outcome_rate_completers --grid 5",
            "An option that the chosen method does not use is an error."),
    Command("design", "Contract design: compare contract variants on the same draws; solve for terms.",
            O.add_design, "design",
            "simkit design --compare pro_rata premium=0.08 --draws 20000\n"
            "  simkit design --solve premium --target-multiple 1.0 --json design.json"),
    Command("terms", "Write a contract-terms template (the scenario's current terms, each marked as an "
            "assumption).", O.add_terms, "terms",
            "simkit terms --template -o contract_terms.toml"),
    Command("report", "Write a committee report: one self-contained HTML file (Danish by default), "
            "print-ready on A4.", O.add_report, "report",
            "simkit report --lang en --draws 40000 --seed 1 -o report.html"),
    Command("portfolio", "A fund's portfolio of agreements with shared factors: total repayment, loss, "
            "risk contributions, capital recycling.", O.add_portfolio, "portfolio",
            "simkit portfolio data/portfolio/synthetic_dsi.toml --draws 20000 --workers 2 --json fund.json"),
)


def build_parser(commands: Sequence[Command] | None = None) -> argparse.ArgumentParser:
    """Return the argument parser of every command; imports none of the commands' modules.

    Parameters
    ----------
    commands
        The commands (default :data:`COMMANDS`).

    Returns
    -------
    argparse.ArgumentParser
        With one subparser per entry of :data:`COMMANDS`; the parsed
        namespace's ``_command`` is that entry.

    Examples
    --------
    >>> args = build_parser().parse_args(["run", "--draws", "1000"])
    >>> args._command.module, args.draws
    ('run', 1000)
    """
    commands = COMMANDS if commands is None else commands
    parser = argparse.ArgumentParser(
        prog="simkit",
        description="Social investment agreements: simulate repayment and budget neutrality, evaluate "
                    "observed results, explore sensitivity and contract design.",
        epilog="Run 'simkit COMMAND --help' for a command's options and an example.",
    )
    parser.add_argument("--version", action="version", version=f"simkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for cmd in commands:
        p = sub.add_parser(cmd.name, help=cmd.summary,
                           description=" ".join(filter(None, (cmd.summary, cmd.description))),
                           epilog=f"example:\n  {cmd.example}",
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        cmd.add(p)
        p.set_defaults(_command=cmd)
    return parser


def main(argv: Sequence[str] | None = None, *, commands: Sequence[Command] | None = None) -> int:
    """Run the command line; returns the exit code (see the module docstring).

    Parameters
    ----------
    argv
        The arguments after ``simkit`` (default: ``sys.argv[1:]``).
    commands
        The commands (default :data:`COMMANDS`; a test or a plug-in passes more).

    Returns
    -------
    int
        0 success, 2 a user error, 130/143 interrupted.

    Examples
    --------
    >>> main(["validate", "norddjurs"])  # doctest: +ELLIPSIS
    scenario OK: ...
    0
    """
    old = install_signal_handlers()  # before the heavy imports: an early Ctrl-C is clean too
    console_safe()
    name = "simkit"
    try:
        args = build_parser(commands).parse_args(argv)
        name = f"simkit {args.command}"
        mod = args._command.module
        module = importlib.import_module(mod if "." in mod else f"simkit.cli.{mod}")
        if argv is None:  # the simkit program's own process (not a caller's): tune its malloc too
            # start-up speed: backends loads numpy, which `simkit --help` never does
            from simkit.backends import tune_malloc

            tune_malloc()
        return int(module.execute(args) or 0)
    except SimkitError as exc:
        print(f"{name}: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except MemoryError:
        print(f"{name}: error: out of memory; use smaller sizes (--draws, --grid, --n-base, --inner, "
              "--outer or the cohort) and try again", file=sys.stderr)
        return EXIT_USER_ERROR
    except BrokenPipeError:  # pragma: no cover - e.g. `simkit run | head`
        return 0
    except KeyboardInterrupt as exc:
        signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
        sig = signal.Signals(signum).name
        print(f"{name}: interrupted ({sig}); no output written", file=sys.stderr)
        return 128 + int(signum)
    finally:
        restore_signal_handlers(old)
