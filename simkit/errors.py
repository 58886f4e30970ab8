"""Exceptions raised for user errors.

Every user-facing error names *where* (file, key path or row/column), *what*
(the offending value) and *what was expected*. The CLI turns these into a
one-paragraph message and exit code 2, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

#: At most this many problems are listed in one message; the rest are counted.
MAX_PROBLEMS = 20
#: Values and locations longer than this are shortened in messages.
MAX_SHOWN = 200

# A Danish CPR number: ddmmyy, an optional dash or space, four digits, not part of a longer number
# (letters and underscores around it do not protect it: ``cpr_140699-7209`` is a CPR number).
_CPR = re.compile(r"(?<!\d)(?<!\d[.,])(\d{6})([-\u2010-\u2015 ]?)(\d{4})(?!\d)(?![.,]\d)")


def did_you_mean(name: object, options: Iterable[object], *, cutoff: float = 0.6, sep: str = " (") -> str:
    """Return the "did you mean" hint for an unknown ``name``, or ``""``.

    The closest of ``options`` by :func:`difflib.get_close_matches` (ratio at
    least ``cutoff``) is suggested; a name that is one of the options, or has
    no close option, gets ``""``. The hint is written to follow the
    expected-text of a :class:`Problem`.

    Parameters
    ----------
    name : object
        The unknown name as given (compared as text).
    options : iterable of object
        The accepted names (compared as text).
    cutoff : float, default 0.6
        Smallest similarity ratio, in [0, 1], that counts as close.
    sep : str, default " ("
        What precedes ``did you mean``: with the default the hint is
        parenthesised, ``" (did you mean 'x'?)"``; with ``"; "`` it reads
        ``"; did you mean 'x'?"``.

    Returns
    -------
    str
        The hint, or ``""`` when there is nothing to suggest.

    Examples
    --------
    >>> did_you_mean("cohort_sise", ["cohort_size", "premium"])
    " (did you mean 'cohort_size'?)"
    >>> did_you_mean("premum", ["cohort_size", "premium"], cutoff=0.5, sep="; ")
    "; did you mean 'premium'?"
    >>> did_you_mean("xyz", ["cohort_size", "premium"])
    ''
    """
    texts = [str(o) for o in options]
    text = str(name)
    close = [] if text in texts else difflib.get_close_matches(text, texts, n=1, cutoff=cutoff)
    if not close:
        return ""
    return f"{sep}did you mean {close[0]!r}?" + (")" if sep.endswith("(") else "")


def find_cpr(text: str) -> str | None:
    """Return the first CPR-like number in ``text``, masked (``140699-****``), or None.

    A CPR-like number is six digits that form a real date ``ddmmyy`` followed
    by four digits, written with a dash, a space or nothing in between,
    anywhere in the text (also glued to letters or underscores).

    Examples
    --------
    >>> find_cpr("cpr_140699-7209")
    '140699-****'
    >>> find_cpr("P0001") is None
    True
    """
    for match in _CPR.finditer(text):
        if _is_birth_date(match[1]):
            return f"{match[1]}{match[2]}****"
    return None


def mask_cpr(text: str) -> str:
    """``text`` with the last four digits of every CPR-like number replaced by ``****``.

    Examples
    --------
    >>> mask_cpr("data/0101901234.csv")
    'data/010190****.csv'
    """
    return _CPR.sub(lambda m: f"{m[1]}{m[2]}****" if _is_birth_date(m[1]) else m[0], text)


def _is_birth_date(ddmmyy: str) -> bool:
    day, month, year = int(ddmmyy[:2]), int(ddmmyy[2:4]), int(ddmmyy[4:])
    for century in (1900, 2000):
        try:
            dt.date(century + year, month, day)
        except ValueError:
            continue
        return True
    return False


def shorten(text: str, limit: int = MAX_SHOWN) -> str:
    """``text`` cut to ``limit`` characters with a note of how many were left out.

    Examples
    --------
    >>> shorten("abcdef", 4)  # 6 - 4 characters left out
    'abcd... (2 more characters)'
    >>> shorten("abc", 4)
    'abc'
    >>> shorten("x" * 1500, 0)
    '... (1,500 more characters)'
    """
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit:,} more characters)"


class SimkitError(Exception):
    """Base class for errors caused by user input (bad files, bad arguments)."""


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived: stop, clean up, exit with ``128 + signum``."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


@dataclass(frozen=True)
class Problem:
    """One problem found in an input.

    Parameters
    ----------
    where : str
        File name, optionally with a key path (``agreement.cohort_size``) or a
        row and column (``row 12, column 'start_date'``).
    value : object
        The offending value as read (``None`` when a value is missing).
    expected : str
        What would have been accepted.
    """

    where: str
    value: object
    expected: str

    def __str__(self) -> str:
        """Return the one-paragraph message the command line prints."""
        shown = "(missing)" if self.value is None else shorten(repr(self.value))
        return mask_cpr(f"{shorten(str(self.where))}: got {shown}; expected {shorten(self.expected, 1000)}")


class InputError(SimkitError, ValueError):
    """One or more problems in a user input; ``problems`` lists them all.

    Also a ``ValueError``, so code that validates arguments the usual way catches it.
    """

    def __init__(self, problems: list[Problem] | Problem, header: str | None = None):
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        self.header = header
        lines = [str(p) for p in self.problems[:MAX_PROBLEMS]]
        if len(self.problems) > MAX_PROBLEMS:
            lines.append(f"... and {len(self.problems) - MAX_PROBLEMS:,} more problem(s)")
        text = "\n".join(lines)
        if header:
            header = mask_cpr(shorten(header, 1000))
            text = f"{header}\n{text}" if len(lines) > 1 else f"{header}: {text}"
        super().__init__(text)


class ScenarioError(InputError):
    """A scenario file is malformed or inconsistent."""


class DataError(InputError):
    """An observed participant-data file is malformed or inconsistent."""
