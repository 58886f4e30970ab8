"""Exceptions raised for user errors.

Every user-facing error names *where* (file, key path or row/column), *what*
(the offending value) and *what was expected*. The CLI turns these into a
one-paragraph message and exit code 2, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


class SimkitError(Exception):
    """Base class for errors caused by user input (bad files, bad arguments)."""


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
        shown = "(missing)" if self.value is None else repr(self.value)
        return f"{self.where}: got {shown}; expected {self.expected}"


class InputError(SimkitError, ValueError):
    """One or more problems in a user input; ``problems`` lists them all.

    Also a ``ValueError``, so code that validates arguments the usual way catches it.
    """

    def __init__(self, problems: list[Problem] | Problem, header: str | None = None):
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        self.header = header
        lines = [str(p) for p in self.problems]
        text = "\n".join(lines)
        if header:
            text = f"{header}\n{text}" if len(lines) > 1 else f"{header}: {text}"
        super().__init__(text)


class ScenarioError(InputError):
    """A scenario file is malformed or inconsistent."""


class DataError(InputError):
    """An observed participant-data file is malformed or inconsistent."""
