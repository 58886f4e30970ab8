"""Command line: ``simkit run | validate | evaluate | synth | sensitivity | design``.

User errors (bad files, bad values) print one clear message to stderr and
exit with code 2 — never a traceback — and no output file is written.

Exit codes: 0 success; 2 a user error (message on stderr, nothing written);
130 interrupted by SIGINT (Ctrl-C) and 143 by SIGTERM (one line on stderr,
no partial or temporary file left); 1 only for a bug in simkit (traceback).
Output paths are checked before any work: an output is never one of the
command's inputs, and ``--out DIR`` holding earlier outputs needs ``--force``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .errors import Interrupted, SimkitError

EXIT_USER_ERROR = 2
#: Files ``simkit run --out DIR`` writes.
RUN_OUTPUTS = ("summary.json", "summary.csv", "targets.csv", "curve.csv", "summary.xlsx", "repayment.png",
               "net_budget.png", "cumulative_budget.png", "targets.png")
DEFAULT_SEED = 2025

_COMMANDS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {}


def command(name: str, add: Callable[[argparse.ArgumentParser], None]):
    """Register a subcommand: ``add`` declares its arguments, the decorated function runs it."""

    def deco(fn: Callable[[argparse.Namespace], int]):
        _COMMANDS[name] = (add, fn)
        return fn

    return deco


def whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number >= ``minimum`` (underscores allowed: 1_000_000)."""

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


_positive_int = whole_number(1)
_seed = whole_number(0)


def add_scenario_args(p: argparse.ArgumentParser, *, draws: int = 100_000) -> None:
    p.add_argument("scenario", nargs="*", metavar="SCENARIO",
                   help="scenario TOML files layered in order, or embedded names (default: the embedded "
                        "Norddjurs–DSI scenario)")
    p.add_argument("--draws", type=_positive_int, default=draws, help=f"Monte Carlo draws (default {draws:,})")
    p.add_argument("--seed", type=_seed, default=DEFAULT_SEED, help=f"root seed (default {DEFAULT_SEED})")
    p.add_argument("--workers", type=_positive_int, default=1, help="worker processes (default 1)")
    p.add_argument("--json", metavar="FILE", help="write the result as JSON")


def load(args: argparse.Namespace):
    from .io.scenario import auto_base, load_scenario

    sc = load_scenario(args.scenario or None)
    if auto_base(sc, args.scenario):
        print(f"note: {args.scenario[0]} has no [agreement]: it is an override, layered on the embedded "
              f"default ({sc.sources[0]})", file=sys.stderr)
    return sc


def _check_out_paths(*paths: str | None, inputs=(), flag: str = "--json", force: bool = True) -> None:
    """Fail before computing if an output file is an input, a folder, or in a missing/unwritable folder."""
    from .io.files import check_output_file

    for p in paths:
        check_output_file(p, flag=flag, inputs=inputs, force=force)


# ---------------------------------------------------------------- run


def _add_run(p: argparse.ArgumentParser) -> None:
    add_scenario_args(p)
    p.add_argument("--out", metavar="DIR", help="write summary JSON, tables (CSV and one .xlsx workbook) and "
                                                "figures (PNG) to DIR")
    p.add_argument("--csv", choices=("iso", "danish"), default="iso",
                   help="CSV dialect of the --out tables (danish: semicolon and decimal comma)")
    p.add_argument("--backend", choices=("serial", "processes", "dask", "distributed"), default=None,
                   help="how chunks run in parallel (default: distributed with --scheduler, processes when "
                        "--workers > 1); results are identical whatever the backend")
    p.add_argument("--scheduler", metavar="ADDR", default=None,
                   help="dask.distributed scheduler address, e.g. tcp://10.0.0.5:8786 (default: the "
                        "SIMKIT_SCHEDULER environment variable)")
    p.add_argument("--chunk-size", type=_positive_int, default=None, help="draws per chunk (memory bound)")
    p.add_argument("--force", action="store_true",
                   help="replace earlier outputs in --out DIR (without it they are never replaced)")


@command("run", _add_run)
def cmd_run(args: argparse.Namespace) -> int:
    """Simulate a scenario and print a summary."""
    from .backends import pick_backend
    from .engine import simulate
    from .io.files import (
        OutputDir,
        check_output_dir,
        write_frame_csv,
        write_frame_csv_danish,
        write_frames_xlsx,
        write_json,
    )

    _check_out_paths(args.json, inputs=args.scenario)
    check_output_dir(args.out, RUN_OUTPUTS, inputs=args.scenario, force=args.force)
    sc = load(args)
    res = simulate(sc, args.draws, seed=args.seed, workers=args.workers, scheduler=args.scheduler,
                   progress=sys.stderr.isatty(),
                   backend=pick_backend(args.backend, args.workers, args.scheduler),
                   chunk_size=args.chunk_size)
    summary = res.summary()
    if args.out:
        with OutputDir(args.out) as out:  # all files appear together, or none
            write_json(out / "summary.json", summary)
            frames = {"summary": res.to_frame("summary"), "targets": res.to_frame("targets"),
                      "curve": res.to_frame("curve")}
            write_csv = write_frame_csv_danish if args.csv == "danish" else write_frame_csv
            for name, frame in frames.items():
                write_csv(out / f"{name}.csv", frame)
            write_frames_xlsx(out / "summary.xlsx", frames,
                              formats={"p_met": "0.0%", "p_met_se": "0.00%", "rate_mean": "0.0%", "rate_q05": "0.0%",
                                       "rate_q50": "0.0%", "rate_q95": "0.0%", "threshold": "0%",
                                       "p_broken_even": "0.0%", "mean": "#,##0", "q05": "#,##0", "q25": "#,##0",
                                       "q50": "#,##0", "q75": "#,##0", "q95": "#,##0"})
            _figures(res, out)
    if args.json:
        write_json(args.json, summary)
    print(res.text())
    return 0


def _figures(res, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from . import plotting
    from .io.files import atomic_write

    for name, fn in (("repayment", plotting.plot_repayment), ("net_budget", plotting.plot_net_budget),
                     ("cumulative_budget", plotting.plot_cumulative_budget), ("targets", plotting.plot_targets)):
        ax = fn(res)
        fig = ax.figure
        fig.tight_layout()
        atomic_write(out / f"{name}.png", lambda t, fig=fig: fig.savefig(t, format="png", dpi=110))
        plt.close(fig)


# ---------------------------------------------------------------- validate


def _add_validate(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="scenario TOML files (validated as one layered scenario) and/or observed-data "
                        "files (.csv, .xlsx), each validated on its own")


@command("validate", _add_validate)
def cmd_validate(args: argparse.Namespace) -> int:
    """Check inputs only: scenario files (layered in order) and observed-data files."""
    from .io.files import display_path
    from .io.scenario import load_scenario

    data_like = (".csv", ".xlsx", ".txt", ".tsv", ".xls", ".xlsm", ".xlsb", ".xltx", ".xltm", ".ods")
    scen = [f for f in args.files if not f.lower().endswith(data_like)]
    data = [f for f in args.files if f.lower().endswith(data_like)]
    if scen:
        sc = load_scenario(scen)
        print(f"scenario OK: {sc.name} ({' + '.join(sc.sources)}; sha256 {sc.sha256[:12]})")
    for f in data:
        from .io.observed import read_observed

        df = read_observed(f)
        print(f"observed data OK: {display_path(f)} ({len(df)} rows)")
    return 0


# ---------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="simkit",
        description="Social investment agreements: simulate repayment and budget neutrality, evaluate "
                    "observed results, explore sensitivity and contract design.",
    )
    parser.add_argument("--version", action="version", version=f"simkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _load_optional_commands()
    for name, (add, fn) in _COMMANDS.items():
        p = sub.add_parser(name, help=(fn.__doc__ or "").strip().splitlines()[0],
                           description=(fn.__doc__ or "").strip())
        add(p)
        p.set_defaults(_run=fn)
    return parser


def _load_optional_commands() -> None:
    """Import modules that register further subcommands."""
    import importlib

    for mod in ("simkit.evaluation_cli", "simkit.sensitivity.cli", "simkit.report.cli"):
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name != mod:
                raise


def _install_signal_handlers() -> dict:
    """SIGINT and SIGTERM raise :class:`Interrupted`, so cleanup code runs; returns the old handlers."""
    import signal

    def handler(signum, frame):
        raise Interrupted(signum)

    old = {}
    for s in (signal.SIGINT, signal.SIGTERM):
        try:
            old[s] = signal.signal(s, handler)
        except (ValueError, OSError):  # pragma: no cover - not the main thread
            pass
    return old


def _restore_signal_handlers(old: dict) -> None:
    import signal

    for s, h in old.items():
        signal.signal(s, h)


#: stand-ins for characters a legacy console encoding (cp1252, ASCII) cannot show
_PLAIN = {"\u2212": "-", "\u2013": "-", "\u2014": "--", "\u2265": ">=", "\u2264": "<=", "\u2192": "->",
          "\u00d7": "x", "\u2248": "~", "\u2026": "...", "\u00bb": '"', "\u00ab": '"', "\u2019": "'"}


def _plain(err: UnicodeError):
    if not isinstance(err, UnicodeEncodeError):  # pragma: no cover - only registered for encoding
        raise err
    return "".join(_PLAIN.get(ch, "?") for ch in err.object[err.start:err.end]), err.end


def _console_safe() -> None:
    """Never crash on a console that cannot encode a character (``simkit run > out.txt`` on cp1252)."""
    import codecs

    codecs.register_error("simkit_plain", _plain)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="simkit_plain")  # type: ignore[union-attr]
        except (AttributeError, ValueError):  # pragma: no cover - a replaced or closed stream
            pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (see the module docstring)."""
    import signal

    old = _install_signal_handlers()  # before the heavy imports: an early Ctrl-C is clean too
    _console_safe()
    name = "simkit"
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        name = f"simkit {args.command}"
        return int(args._run(args) or 0)
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
        _restore_signal_handlers(old)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
