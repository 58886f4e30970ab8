"""What the commands share: exit codes, signals, the console, output-path checks, loading.

Everything here is light (no numpy, pandas, scipy or matplotlib), because
:func:`simkit.cli.main` uses it before it knows which command runs.
"""

from __future__ import annotations

import argparse
import codecs
import signal
import sys
from collections.abc import Iterable
from types import FrameType
from typing import Any

from simkit import __version__
from simkit.errors import Interrupted
from simkit.io.files import check_output_file, write_json

#: Exit code of a user error (one message on stderr, nothing written).
EXIT_USER_ERROR = 2
#: Exit code after SIGINT (Ctrl-C): 128 + 2.
EXIT_SIGINT = 128 + int(signal.SIGINT)
#: Exit code after SIGTERM: 128 + 15.
EXIT_SIGTERM = 128 + int(signal.SIGTERM)

#: stand-ins for characters a legacy console encoding (cp1252, ASCII) cannot show
_PLAIN = {"\u2212": "-", "\u2013": "-", "\u2014": "--", "\u2265": ">=", "\u2264": "<=", "\u2192": "->",
          "\u00d7": "x", "\u2248": "~", "\u2026": "...", "\u00bb": '"', "\u00ab": '"', "\u2019": "'"}


def check_out_paths(*paths: str | None, inputs: Iterable[str] = (), flag: str = "--json",
                    force: bool = True) -> None:
    """Fail before computing if an output file is an input, a folder, or in a missing/unwritable folder.

    Parameters
    ----------
    *paths
        Output files; ``None`` entries (an option not given) are skipped.
    inputs
        The command's input files; an output resolving to one of them is refused.
    flag
        The option named in the message.
    force
        Whether an existing file may be replaced.

    Raises
    ------
    simkit.errors.SimkitError
        Naming the flag, the path and what was expected.

    Examples
    --------
    >>> check_out_paths(None)  # nothing to check
    """
    inputs = list(inputs)
    for p in paths:
        check_output_file(p, flag=flag, inputs=inputs, force=force)


def load(args: argparse.Namespace) -> Any:
    """Return the scenario named by ``args.scenario`` (layered in order; the embedded default when empty).

    A single file without an ``[agreement]`` is an override: it is layered on
    the embedded default, and a note on stderr says so.

    Parameters
    ----------
    args
        Parsed arguments with a ``scenario`` list.

    Returns
    -------
    Scenario or ModelScenario
        The validated scenario.

    Examples
    --------
    >>> import simkit
    >>> load(argparse.Namespace(scenario=[])).name == simkit.load_scenario().name
    True
    """
    # start-up speed: building the scenario loads numpy; the parser (--help) imports this module
    from simkit.scenario import auto_base, load_scenario

    sc = load_scenario(args.scenario or None)
    if auto_base(sc, args.scenario):
        print(f"note: {args.scenario[0]} has no [agreement]: it is an override, layered on the embedded "
              f"default ({sc.sources[0]})", file=sys.stderr)
    return sc


def header(sc: Any, seed: int, **extra: Any) -> dict[str, Any]:
    """Return the keys every analysis JSON starts with (see docs/json-formats.md).

    Parameters
    ----------
    sc
        The scenario the analysis ran on.
    seed
        The root seed.
    **extra
        Further keys placed first (``command``, ``method``).

    Returns
    -------
    dict
        ``{**extra, "simkit_version", "scenario": {"name", "sha256", "sources"}, "seed"}``.

    Examples
    --------
    >>> import simkit
    >>> sorted(header(simkit.load_scenario(), 1, command="design"))
    ['command', 'scenario', 'seed', 'simkit_version']
    """
    return {**extra, "simkit_version": __version__,
            "scenario": {"name": sc.name, "sha256": sc.sha256, "sources": list(sc.sources)},
            "seed": seed}


def write_json_if(path: str | None, obj: dict[str, Any]) -> None:
    """Write ``obj`` as JSON to ``path`` (atomically), or do nothing when ``path`` is None.

    Parameters
    ----------
    path
        The ``--json`` option's value.
    obj
        What to write.

    Examples
    --------
    >>> write_json_if(None, {"a": 1})
    """
    if path:
        write_json(path, obj)


def _raise_interrupted(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


def install_signal_handlers() -> dict[int, Any]:
    """SIGINT and SIGTERM raise :class:`~simkit.errors.Interrupted`, so cleanup code runs.

    Returns
    -------
    dict
        The previous handlers, for :func:`restore_signal_handlers`.

    Examples
    --------
    >>> restore_signal_handlers(install_signal_handlers())
    """
    old: dict[int, Any] = {}
    for s in (signal.SIGINT, signal.SIGTERM):
        try:
            old[s] = signal.signal(s, _raise_interrupted)
        except (ValueError, OSError):  # pragma: no cover - not the main thread
            pass
    return old


def restore_signal_handlers(old: dict[int, Any]) -> None:
    """Put back the handlers :func:`install_signal_handlers` replaced.

    Parameters
    ----------
    old
        Its return value.

    Examples
    --------
    >>> restore_signal_handlers({})
    """
    for s, h in old.items():
        signal.signal(s, h)


def _plain(err: UnicodeError) -> tuple[str, int]:
    if not isinstance(err, UnicodeEncodeError):  # pragma: no cover - only registered for encoding
        raise err
    return "".join(_PLAIN.get(ch, "?") for ch in err.object[err.start:err.end]), err.end


def console_safe() -> None:
    """Never crash on a console that cannot encode a character (``simkit run > out.txt`` on cp1252).

    Registers the ``simkit_plain`` error handler (``−`` becomes ``-``, ``≥``
    becomes ``>=``, anything else unknown ``?``) on stdout and stderr.

    Examples
    --------
    >>> console_safe()
    >>> "\u2265 5".encode("cp1252", errors="simkit_plain")
    b'>= 5'
    """
    codecs.register_error("simkit_plain", _plain)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="simkit_plain")  # type: ignore[union-attr]
        except (AttributeError, ValueError):  # pragma: no cover - a replaced or closed stream
            pass
