"""Read, validate and write observed participant data.

Observed data has **one row per referred young person**. It comes from the
municipality as a CSV file or an Excel workbook (``.xlsx``), and is turned into
one canonical :class:`pandas.DataFrame` that the indicators and the evaluation
work on. Every problem in a file is collected and reported together in one
:class:`~simkit.errors.DataError`; no row is ever dropped silently.

Canonical columns
-----------------
Headers are matched case-insensitively, ignoring surrounding spaces, and a
space or hyphen counts as an underscore; the English name or the Danish alias
may be used. Any other column is an error (with a suggestion of the closest
valid name), so a misspelt header is never silently ignored.

======================  ===========================  ======  =================================================
column                  Danish alias                 dtype   meaning and rules
======================  ===========================  ======  =================================================
``id``                  ``løbenummer``               string  pseudonymous id; required, non-empty, unique;
                                                             never a CPR number (the file is refused)
``referral_date``       ``visitationsdato``          date    date of referral; required
``course_status``       ``forløbsstatus``            string  ``completed`` | ``dropped_out`` | ``ongoing``
                                                             (Danish ``gennemført`` | ``afbrudt`` |
                                                             ``igang``/``i gang``); required
``course_status_date``  ``statusdato``               date    date of completion or dropout; required for
                                                             completed/dropped_out, blank for ongoing; not
                                                             before ``referral_date``
``outcome_type``        ``udfald``                   string  ``education`` | ``job`` | ``none``; blank means
                                                             ``none`` (Danish ``uddannelse`` | ``job``/
                                                             ``beskæftigelse`` | ``ingen``)
``outcome_start``       ``udfald_start``             date    first day of the education/job spell; required
                                                             for education/job, blank for none; not before
                                                             ``referral_date``
``outcome_end``         ``udfald_slut``              date    **last day of the spell, inclusive**; blank means
                                                             the spell is still running; blank for none; not
                                                             before ``outcome_start``
``weekly_hours``        ``ugentlige_timer``          float   hours per week, 0–80; required for
                                                             education/job, may be blank for none
``dp_award_date``       ``førtidspension_dato``      date    disability-pension award; blank means no award;
                                                             not before ``referral_date``
``qol_baseline``        ``livskvalitet_start``       float   quality-of-life score at start; optional
``qol_followup``        ``livskvalitet_opfølgning``  float   quality-of-life score at follow-up; optional
======================  ===========================  ======  =================================================

Only ``id``, ``referral_date`` and ``course_status`` must be present as
columns; an absent optional column is read as all blank (and reported once if
some row needs it, e.g. ``course_status_date`` when someone completed).

The returned frame has the columns above in this order, then ``source_row``:

* dates are ``datetime64[ns]`` with ``NaT`` for blank;
* ``course_status`` and ``outcome_type`` hold the English codes (a blank
  ``outcome_type`` becomes ``"none"``);
* ``weekly_hours`` and the quality-of-life scores are ``float64`` with ``NaN``
  for blank;
* ``source_row`` (``int64``) is the **spreadsheet row** the person came from:
  the header is row 1 and the first data row is row 2, exactly as Excel numbers
  them. It lets later checks cite the row; it is person-level bookkeeping and
  must **never appear in published outputs** (tables, reports, JSON).

Accepted input
--------------
* CSV: UTF-8 with or without a byte-order mark; the separator (comma or
  semicolon) is detected from the header line. The Danish spreadsheet dialect
  (semicolon, decimal comma ``37,5``, dates ``dd-mm-yyyy``) and the ISO dialect
  (comma, decimal point, ``yyyy-mm-dd``) both work.
* ``.xlsx``: the first sheet, header in row 1; cells may be real Excel dates or
  numbers, or text.
* Dates: ``dd-mm-yyyy``, ``dd.mm.yyyy``, ``dd/mm/yyyy`` or ``yyyy-mm-dd``,
  years 1900–2100. A date is never read month-first. Numbers take a decimal
  comma or point.
* Surrounding spaces in cells are ignored. Completely blank rows after the
  last data row are ignored; a blank row between data rows is a problem, and
  so is a column without a header that contains values.

Personal data
-------------
If any cell or column header contains something that looks like a Danish CPR
number (``ddmmyy-xxxx``, ``ddmmyy xxxx`` or ``ddmmyyxxxx`` whose first six
digits are a real date, also glued to letters or underscores as in
``cpr_140699-7209``), the whole file is refused and the message shows only a
masked value (``010203-****``); file names are masked the same way wherever
they are printed or recorded. Pseudonymise the ids first, e.g. replace each
with a random code and keep the key elsewhere.

Control characters (NUL, escapes, tabs, line breaks) inside a cell are
refused with row and column; ``.xlsm``, ``.xls`` and other spreadsheet
formats are refused with a note to save the file as ``.xlsx``. On writing,
an id that a spreadsheet would run as a formula is prefixed with ``'``.
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import io
import math
import numbers
import os
import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from openpyxl import load_workbook

from simkit.errors import DataError, Problem, find_cpr
from simkit.io.files import neutralise_formula

__all__ = [
    "COURSE_STATUS_CODES",
    "OBSERVED_COLUMNS",
    "OUTCOME_CODES",
    "ObservedColumn",
    "read_observed",
    "validate_observed",
    "write_observed_csv",
]


@dataclass(frozen=True)
class ObservedColumn:
    """Description of one canonical observed-data column.

    Parameters
    ----------
    name : str
        Canonical (English) column name.
    danish : str
        Accepted Danish header alias.
    kind : {"id", "date", "status", "outcome", "number"}
        How the cells are parsed.
    required : bool
        Whether the column must be present in every file.
    description : str
        One-line meaning, for documentation and error messages.
    """

    name: str
    danish: str
    kind: Literal["id", "date", "status", "outcome", "number"]
    required: bool
    description: str


#: The canonical columns, in output order (``source_row`` follows them).
OBSERVED_COLUMNS: tuple[ObservedColumn, ...] = (
    ObservedColumn("id", "løbenummer", "id", True, "pseudonymous id, unique"),
    ObservedColumn("referral_date", "visitationsdato", "date", True, "date of referral"),
    ObservedColumn(
        "course_status", "forløbsstatus", "status", True, "completed, dropped_out or ongoing"
    ),
    ObservedColumn(
        "course_status_date", "statusdato", "date", False, "date of completion or dropout"
    ),
    ObservedColumn("outcome_type", "udfald", "outcome", False, "education, job or none"),
    ObservedColumn(
        "outcome_start", "udfald_start", "date", False, "first day of the education/job spell"
    ),
    ObservedColumn(
        "outcome_end", "udfald_slut", "date", False, "last day of the spell (inclusive)"
    ),
    ObservedColumn("weekly_hours", "ugentlige_timer", "number", False, "hours per week, 0-80"),
    ObservedColumn(
        "dp_award_date", "førtidspension_dato", "date", False, "disability-pension award date"
    ),
    ObservedColumn("qol_baseline", "livskvalitet_start", "number", False, "quality of life, start"),
    ObservedColumn(
        "qol_followup", "livskvalitet_opfølgning", "number", False, "quality of life, follow-up"
    ),
)

#: English codes of ``course_status``.
COURSE_STATUS_CODES: tuple[str, ...] = ("completed", "dropped_out", "ongoing")
#: English codes of ``outcome_type``.
OUTCOME_CODES: tuple[str, ...] = ("education", "job", "none")

_SOURCE_ROW = "source_row"
_EXTENSIONS = (".csv", ".xlsx")
_MIN_YEAR, _MAX_YEAR = 1900, 2100
_MAX_HOURS = 80.0

_STATUS_ALIASES = {
    "completed": "completed",
    "dropped out": "dropped_out",
    "ongoing": "ongoing",
    "gennemført": "completed",
    "afbrudt": "dropped_out",
    "igang": "ongoing",
    "i gang": "ongoing",
}
_OUTCOME_ALIASES = {
    "education": "education",
    "job": "job",
    "none": "none",
    "uddannelse": "education",
    "beskæftigelse": "job",
    "ingen": "none",
}

_DATE_EXPECTED = (
    f"a date as dd-mm-yyyy (or yyyy-mm-dd, dd.mm.yyyy, dd/mm/yyyy), years {_MIN_YEAR}-{_MAX_YEAR}"
)
_STATUS_EXPECTED = "one of completed, dropped_out, ongoing (Danish: gennemført, afbrudt, i gang)"
_OUTCOME_EXPECTED = (
    "one of education, job, none or a blank cell (Danish: uddannelse, job/beskæftigelse, ingen)"
)
_HOURS_EXPECTED = "a number of hours per week from 0 to 80 (decimal comma or point)"
_NUMBER_EXPECTED = "a number (decimal comma or point) or a blank cell"
_CPR_EXPECTED = (
    "no CPR numbers in any column; replace each id with a random code such as 'P0001' "
    "(keep the key elsewhere) and remove CPR numbers from other columns"
)

_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?")
_DMY_DATE = re.compile(r"(\d{1,2})([-./])(\d{1,2})\2(\d{4})")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)")
# Control characters (NUL, escape, line breaks inside a cell, ...) are never data.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SPREADSHEET_LIKE = (".xlsm", ".xlsb", ".xls", ".xltx", ".xltm", ".ods", ".numbers")


# ---------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------


def read_observed(path: str | os.PathLike[str], *, sheet: str | None = None) -> pd.DataFrame:
    """Read and validate an observed participant-data file.

    Parameters
    ----------
    path : str or path-like
        A ``.csv`` (comma, semicolon or tab separated, UTF-8 with or without
        BOM) or ``.xlsx`` file with one row per referred person; see the
        module docstring for the columns.
    sheet : str, optional
        The worksheet of an ``.xlsx`` file (default: the first); ignored for CSV.

    Returns
    -------
    pandas.DataFrame
        The canonical frame: the columns of :data:`OBSERVED_COLUMNS` in order,
        then ``source_row`` (the spreadsheet row; never publish it).

    Raises
    ------
    simkit.errors.DataError
        If the file is missing, has an unknown extension, is empty, contains
        CPR-like numbers, or has any invalid value; ``problems`` lists every
        problem, each citing file, spreadsheet row (header = row 1) and column.

    Examples
    --------
    >>> df = read_observed("observed.csv")  # doctest: +SKIP
    >>> df["course_status"].eq("completed").mean()  # doctest: +SKIP
    0.82
    """
    path = Path(path)
    title = str(path)
    name = path.name
    suffix = path.suffix.lower()
    if suffix not in _EXTENSIONS:
        expected = "a file ending in .csv or .xlsx"
        if suffix in _SPREADSHEET_LIKE:
            expected = (f"an .xlsx workbook (Excel: File > Save As > 'Excel Workbook (*.xlsx)'; "
                        f"{suffix} files are not read) or a .csv file")
        raise _error(title, [Problem(name, path.suffix or "(no extension)", expected)])
    if not path.is_file():
        what = "an existing file" if not path.exists() else "a file, not a folder"
        raise _error(title, [Problem(str(path), None, what)])
    if suffix == ".csv":
        header, rows = _read_csv_cells(path, name, title)
    else:
        header, rows = _read_xlsx_cells(path, name, title, sheet)
    row_numbers = list(range(2, len(rows) + 2))
    return _validate(header, rows, row_numbers, name=name, title=title)


def validate_observed(df_raw: pd.DataFrame, source: str) -> pd.DataFrame:
    """Validate an in-memory table of observed data and return the canonical frame.

    Parameters
    ----------
    df_raw : pandas.DataFrame
        One row per referred person, columns named as in the module docstring
        (English or Danish). Cells are normally strings as typed in a
        spreadsheet; ``None``/``NaN`` are blank, and real dates and numbers are
        accepted too. Row *i* (0-based) is cited as spreadsheet row ``i + 2``
        unless the frame has a ``source_row`` column, whose values are then
        cited (so a canonical frame can be validated again).
    source : str
        Name of the table, used in every problem message (e.g. a file name).

    Returns
    -------
    pandas.DataFrame
        The canonical frame, as from :func:`read_observed`.

    Raises
    ------
    simkit.errors.DataError
        Listing every problem found.

    Examples
    --------
    >>> raw = pd.DataFrame({"id": ["P0001"], "visitationsdato": ["03-11-2025"],
    ...                     "forløbsstatus": ["i gang"]})
    >>> validate_observed(raw, "example")["course_status"].tolist()
    ['ongoing']
    """
    columns = [_cell_to_text(c) for c in df_raw.columns]
    cells = df_raw.to_numpy(dtype=object)
    n = len(df_raw)
    row_numbers = list(range(2, n + 2))
    source_positions = [j for j, c in enumerate(columns) if c == _SOURCE_ROW]
    if source_positions:
        j = source_positions[0]
        given = cells[:, j]
        if all(_is_int_like(v) for v in given):
            row_numbers = [int(v) for v in given]
            keep = [k for k in range(len(columns)) if k != j]
            columns = [columns[k] for k in keep]
            cells = cells[:, keep]
    rows = [[_cell_to_text(v) for v in row] for row in cells]
    return _validate(columns, rows, row_numbers, name=source, title=source)


def write_observed_csv(
    df: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    dialect: Literal["danish", "iso"] = "danish",
) -> Path:
    """Write observed data as CSV, atomically, after validating it.

    The frame is validated first (as by :func:`validate_observed`), so a file
    that is written can always be read back by :func:`read_observed`. It is
    written to a temporary file in the target folder and moved into place with
    :func:`os.replace`: on any error no file (and no partial file) is left.
    ``source_row`` is not written. The file is created readable by its owner
    only, as befits personal data. An id that a spreadsheet would run as a
    formula (starting with ``=``, ``+``, ``-`` or ``@``) is written with a
    leading ``'`` so that it stays text (CSV injection).

    Parameters
    ----------
    df : pandas.DataFrame
        Observed data, canonical (as from :func:`read_observed`) or raw.
    path : str or path-like
        Target file; its folder must exist.
    dialect : {"danish", "iso"}
        ``"danish"``: semicolon separator, decimal comma, ``dd-mm-yyyy``, UTF-8
        with BOM and CRLF line ends (opens correctly in a Danish Excel).
        ``"iso"``: comma, decimal point, ``yyyy-mm-dd``, UTF-8, LF. Headers
        and codes are the English canonical ones in both.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    simkit.errors.DataError
        If the data is invalid or the file cannot be written.

    Examples
    --------
    >>> write_observed_csv(df, "observed.csv", dialect="iso")  # doctest: +SKIP
    PosixPath('observed.csv')
    """
    if dialect not in ("danish", "iso"):
        raise ValueError(f"dialect must be 'danish' or 'iso', got {dialect!r}")
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise _error(str(path), [Problem(str(path), str(folder), "a path in an existing folder")])
    canonical = validate_observed(df, source=f"data for {path.name}")

    danish = dialect == "danish"
    header = [c.name for c in OBSERVED_COLUMNS]
    kinds = [c.kind for c in OBSERVED_COLUMNS]
    formatted = [
        [
            _inert(_format_cell(v, kind, danish=danish), kind)
            for v, kind in zip(row, kinds, strict=True)
        ]
        for row in canonical[header].itertuples(index=False, name=None)
    ]

    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig" if danish else "utf-8", newline="") as fh:
            writer = csv.writer(
                fh, delimiter=";" if danish else ",", lineterminator="\r\n" if danish else "\n"
            )
            writer.writerow(header)
            writer.writerows(formatted)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise _error(
            str(path), [Problem(str(path), None, f"a writable file path ({exc.strerror})")]
        ) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    return path


# ---------------------------------------------------------------------------
# reading cells
# ---------------------------------------------------------------------------


def _read_csv_cells(path: Path, name: str, title: str) -> tuple[list[str], list[list[str]]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _error(
            title, [Problem(str(path), None, f"a readable file ({exc.strerror})")]
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # not UTF-8: Danish Excel's plain "CSV" export is Windows-1252; five byte values are undefined there
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError as exc2:
            row = raw.count(b"\n", 0, exc2.start) + 1
            problem = Problem(
                f"{name}, row {row}",
                f"byte 0x{raw[exc2.start]:02x}",
                "UTF-8 or Windows-1252 text (in Excel choose 'CSV UTF-8' when saving)",
            )
            raise _error(title, [problem]) from exc
    first_line = text.split("\n", 1)[0]
    semicolons, commas = first_line.count(";"), first_line.count(",")
    sep = "," if commas > semicolons else ";"
    if first_line.count("\t") > max(semicolons, commas):   # tab-separated text
        sep = "\t"
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    except csv.Error as exc:
        raise _error(title, [Problem(name, str(exc), "a well-formed CSV file")]) from None
    if not records:
        return [], []
    return records[0], records[1:]


def _read_xlsx_cells(path: Path, name: str, title: str, sheet: str | None = None
                     ) -> tuple[list[str], list[list[str]]]:
    if sheet is not None:
        names = _sheet_names(path, name, title)
        if sheet not in names:
            raise _error(title, [Problem(f"{name}: --sheet", sheet, "one of the workbook's sheets: "
                                         + ", ".join(repr(n) for n in names))])
    try:
        table = pd.read_excel(
            path, sheet_name=0 if sheet is None else sheet, header=None, dtype=object, na_filter=False,
            engine="openpyxl"
        )
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise _error(
            title, [Problem(name, type(exc).__name__, "a readable Excel workbook (.xlsx)")]
        ) from None
    cells = [[_cell_to_text(v, from_excel=True) for v in row] for row in table.to_numpy()]
    if not cells:
        return [], []
    return cells[0], cells[1:]


def _sheet_names(path: Path, name: str, title: str) -> list[str]:
    """List the worksheet names of a workbook (for a ``--sheet`` check)."""
    try:
        wb = load_workbook(path, read_only=True)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise _error(title, [Problem(name, type(exc).__name__, "a readable Excel workbook (.xlsx)")]) from None
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


def _cell_to_text(value: object, *, from_excel: bool = False) -> str:
    """Turn one cell (text, number, date or blank) into the text it stands for."""
    if isinstance(value, str):
        return value
    if value is None or (not isinstance(value, (list, tuple, np.ndarray)) and pd.isna(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, datetime):
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0) and (
            value.tzinfo is None
        ):
            return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, numbers.Integral):
        text = str(int(value))
        # Excel drops the leading zero of a CPR number typed as a number.
        if from_excel and len(text) == 9 and _find_cpr("0" + text):
            return "0" + text
        return text
    if isinstance(value, numbers.Real):
        number = float(value)
        if not math.isfinite(number):
            return str(number)
        if from_excel and number.is_integer():
            return _cell_to_text(int(number), from_excel=True)
        return np.format_float_positional(number, trim="-")
    return str(value)


def _is_int_like(value: object) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, numbers.Integral):
        return True
    return isinstance(value, numbers.Real) and float(value).is_integer()


# ---------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------


def _validate(
    header: list[str],
    rows: list[list[str]],
    row_numbers: list[int],
    *,
    name: str,
    title: str,
) -> pd.DataFrame:
    """Check every cell and rule, collect all problems, build the canonical frame."""
    if not any(h.strip() for h in header):
        raise _error(
            title,
            [
                Problem(
                    f"{name}, row 1",
                    None,
                    "a header row with the column names (id, referral_date, course_status, ...)",
                )
            ],
        )
    # Completely blank rows after the last data row are not data (spreadsheets leave them).
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows = rows[:-1]
    row_numbers = row_numbers[: len(rows)]

    _refuse_cpr(header, rows, row_numbers, name=name, title=title)
    _refuse_control_characters(header, rows, row_numbers, name=name, title=title)

    if not rows:
        raise _error(
            title,
            [
                Problem(
                    name,
                    None,
                    "at least one data row (one row per referred person) below the header",
                )
            ],
        )

    problems: list[Problem] = []
    positions, labels = _map_header(header, rows, name, problems)
    for spec in OBSERVED_COLUMNS:
        if spec.required and spec.name not in positions:
            problems.append(
                Problem(f"{name}, row 1", None, f"a column '{spec.name}' (Danish '{spec.danish}')")
            )

    def label(column: str) -> str:
        return labels.get(column, column)

    parsed: dict[str, list[Any]] = {spec.name: [] for spec in OBSERVED_COLUMNS}
    row_problems: list[tuple[int, int, Problem]] = []
    need_status_date: list[int] = []
    need_outcome_start: list[int] = []
    need_hours: list[int] = []
    first_row_of_id: dict[str, int] = {}
    order = {spec.name: k for k, spec in enumerate(OBSERVED_COLUMNS)}
    value: Any  # a date or a number, per column, below
    width = len(header)

    for cells, r in zip(rows, row_numbers, strict=True):
        if not any(cell.strip() for cell in cells):
            row_problems.append(
                (
                    r,
                    -1,
                    Problem(
                        f"{name}, row {r}",
                        None,
                        "a filled-in row (delete blank rows between data rows)",
                    ),
                )
            )
            _append_blank(parsed)
            continue
        if len(cells) > width and not any(c.strip() for c in cells[width:]):
            cells = cells[:width]
        if len(cells) != width:
            row_problems.append(
                (
                    r,
                    -1,
                    Problem(
                        f"{name}, row {r}",
                        f"{len(cells)} cells",
                        f"{width} cells, one per header column (check separators and quotes)",
                    ),
                )
            )
            _append_blank(parsed)
            continue

        def raw(column: str, cells: list[str] = cells) -> str:
            j = positions.get(column)
            return "" if j is None else cells[j]

        def bad(column: str, expected: str, r: int = r, raw=raw) -> None:
            value = raw(column)
            row_problems.append(
                (
                    r,
                    order[column],
                    Problem(f"{name}, row {r}, column '{label(column)}'", value or None, expected),
                )
            )

        # id
        pid = raw("id").strip()
        if "id" in positions:
            if not pid:
                bad("id", "a non-empty pseudonymous id")
            elif pid in first_row_of_id:
                bad("id", f"a unique id (the same id is already in row {first_row_of_id[pid]})")
            else:
                first_row_of_id[pid] = r
        parsed["id"].append(pid)

        # dates
        dates: dict[str, date | None] = {}
        for column in (
            "referral_date",
            "course_status_date",
            "outcome_start",
            "outcome_end",
            "dp_award_date",
        ):
            text = raw(column).strip()
            value = _parse_date(text) if text else None
            if text and value is None:
                bad(column, _DATE_EXPECTED)
            dates[column] = value
            parsed[column].append(value)
        if "referral_date" in positions and not raw("referral_date").strip():
            bad("referral_date", _DATE_EXPECTED + " (required)")

        # numbers
        for column in ("weekly_hours", "qol_baseline", "qol_followup"):
            text = raw(column).strip()
            value = _parse_number(text) if text else None
            if text and value is None:
                bad(column, _HOURS_EXPECTED if column == "weekly_hours" else _NUMBER_EXPECTED)
            elif column == "weekly_hours" and value is not None and not 0 <= value <= _MAX_HOURS:
                bad(column, _HOURS_EXPECTED)
                value = None
            parsed[column].append(value)

        # course status and its date
        status_text = raw("course_status").strip()
        status = _STATUS_ALIASES.get(_normalise_code(status_text)) if status_text else None
        if "course_status" in positions and status is None:
            bad("course_status", _STATUS_EXPECTED)
        parsed["course_status"].append(status)
        status_date_text = raw("course_status_date").strip()
        if status in ("completed", "dropped_out") and not status_date_text:
            if "course_status_date" in positions:
                bad(
                    "course_status_date",
                    f"a date, because {label('course_status')} is {status}",
                )
            else:
                need_status_date.append(r)
        if status == "ongoing" and status_date_text:
            bad("course_status_date", f"a blank cell, because {label('course_status')} is ongoing")
        _check_not_before(dates, "course_status_date", "referral_date", bad, label)

        # outcome
        outcome_text = raw("outcome_type").strip()
        outcome = _OUTCOME_ALIASES.get(_normalise_code(outcome_text)) if outcome_text else "none"
        if outcome is None:
            bad("outcome_type", _OUTCOME_EXPECTED)
        parsed["outcome_type"].append(outcome)
        if outcome in ("education", "job"):
            if not raw("outcome_start").strip():
                if "outcome_start" in positions:
                    bad("outcome_start", f"a date, because {label('outcome_type')} is {outcome}")
                else:
                    need_outcome_start.append(r)
            if not raw("weekly_hours").strip():
                if "weekly_hours" in positions:
                    bad(
                        "weekly_hours",
                        f"{_HOURS_EXPECTED}, because {label('outcome_type')} is {outcome}",
                    )
                else:
                    need_hours.append(r)
        elif outcome == "none":
            for column in ("outcome_start", "outcome_end"):
                if raw(column).strip():
                    bad(column, f"a blank cell, because {label('outcome_type')} is none")
        _check_not_before(dates, "outcome_start", "referral_date", bad, label)
        _check_not_before(
            dates,
            "outcome_end",
            "outcome_start",
            bad,
            label,
            note="; outcome_end is the last day of the spell, inclusive",
        )
        _check_not_before(dates, "dp_award_date", "referral_date", bad, label)

    for column, needing, why in (
        ("course_status_date", need_status_date, "course_status completed or dropped_out"),
        ("outcome_start", need_outcome_start, "outcome_type education or job"),
        ("weekly_hours", need_hours, "outcome_type education or job"),
    ):
        if needing:
            spec = next(c for c in OBSERVED_COLUMNS if c.name == column)
            problems.append(
                Problem(
                    f"{name}, row 1",
                    None,
                    f"a column '{column}' (Danish '{spec.danish}'), needed because "
                    f"{len(needing)} row(s) have {why} (first: row {needing[0]})",
                )
            )

    row_problems.sort(key=lambda item: (item[0], item[1]))
    problems.extend(p for _, _, p in row_problems)
    if problems:
        raise _error(title, problems)
    return _build_frame(parsed, row_numbers)


def _map_header(
    header: list[str], rows: list[list[str]], name: str, problems: list[Problem]
) -> tuple[dict[str, int], dict[str, str]]:
    """Map canonical column name -> position, and canonical name -> header as written."""
    lookup: dict[str, str] = {}
    for spec in OBSERVED_COLUMNS:
        lookup[_normalise_header(spec.name)] = spec.name
        lookup[_normalise_header(spec.danish)] = spec.name
    positions: dict[str, int] = {}
    labels: dict[str, str] = {}
    for j, written in enumerate(header):
        text = written.strip()
        if not text:
            if any(j < len(row) and row[j].strip() for row in rows):
                problems.append(
                    Problem(
                        f"{name}, row 1, column {j + 1}",
                        None,
                        "a column name for this column, which contains values",
                    )
                )
            continue
        canonical = lookup.get(_normalise_header(text))
        if canonical is None:
            problems.append(
                Problem(f"{name}, row 1, column '{text}'", text, _suggest(text, lookup))
            )
        elif canonical in positions:
            problems.append(
                Problem(
                    f"{name}, row 1, column '{text}'",
                    text,
                    f"each column once; '{labels[canonical]}' already gives {canonical}",
                )
            )
        else:
            positions[canonical] = j
            labels[canonical] = text
    return positions, labels


def _suggest(text: str, lookup: dict[str, str]) -> str:
    close = difflib.get_close_matches(_normalise_header(text), list(lookup), n=1, cutoff=0.6)
    if close:
        canonical = lookup[close[0]]
        spec = next(c for c in OBSERVED_COLUMNS if c.name == canonical)
        return (
            f"a known column; did you mean '{canonical}' (Danish '{spec.danish}')? "
            "Extra columns are not allowed"
        )
    names = ", ".join(c.name for c in OBSERVED_COLUMNS)
    return f"one of the known columns ({names}); extra columns are not allowed"


def _check_not_before(dates, later: str, earlier: str, bad, label, note: str = "") -> None:
    first, second = dates[earlier], dates[later]
    if first is not None and second is not None and second < first:
        bad(later, f"a date on or after {label(earlier)} ({first:%d-%m-%Y}){note}")


def _append_blank(parsed: dict[str, list[Any]]) -> None:
    for values in parsed.values():
        values.append(None)


def _build_frame(parsed: dict[str, list[Any]], row_numbers: list[int]) -> pd.DataFrame:
    data: dict[str, object] = {}
    for spec in OBSERVED_COLUMNS:
        values = parsed[spec.name]
        if spec.kind == "date":
            data[spec.name] = np.array(
                [v.isoformat() if v is not None else "NaT" for v in values],
                dtype="datetime64[ns]",
            )
        elif spec.kind == "number":
            data[spec.name] = np.array(
                [np.nan if v is None else v for v in values], dtype=np.float64
            )
        else:
            data[spec.name] = pd.Series(values, dtype="str")
    data[_SOURCE_ROW] = np.array(row_numbers, dtype=np.int64)
    return pd.DataFrame(data)


# ---------------------------------------------------------------------------
# personal data
# ---------------------------------------------------------------------------


def _find_cpr(text: str) -> str | None:
    """Return the masked CPR-like number in *text*, or None (see :func:`simkit.errors.find_cpr`)."""
    return find_cpr(text)


def _refuse_cpr(
    header: list[str], rows: list[list[str]], row_numbers: list[int], *, name: str, title: str
) -> None:
    problems = []
    for j, cell in enumerate(header):
        masked = _find_cpr(cell)
        if masked is not None:
            problems.append(Problem(f"{name}, row 1, column {j + 1}", masked, _CPR_EXPECTED))
    for cells, r in zip(rows, row_numbers, strict=True):
        for j, cell in enumerate(cells):
            masked = _find_cpr(cell)
            if masked is not None:
                column = header[j].strip() if j < len(header) and header[j].strip() else j + 1
                where = f"{name}, row {r}, column " + (
                    f"'{column}'" if isinstance(column, str) else str(column)
                )
                problems.append(Problem(where, masked, _CPR_EXPECTED))
    if problems:
        raise DataError(
            problems,
            header=(
                f"{title}: {len(problems)} problem(s) in observed data — file refused because it "
                "appears to contain CPR numbers; pseudonymise the ids first (e.g. replace them "
                "with random codes)"
            ),
        )


def _refuse_control_characters(
    header: list[str], rows: list[list[str]], row_numbers: list[int], *, name: str, title: str
) -> None:
    """NUL bytes, escapes, tabs and line breaks inside a cell are refused, citing row and column.

    Whitespace around a cell (a trailing line break from Excel) is ignored, as everywhere.
    """
    problems = []
    for r, cells in zip([1, *row_numbers], [header, *rows], strict=True):
        for j, cell in enumerate(cells):
            match = _CONTROL.search(cell.strip())  # surrounding spaces and line ends are ignored
            if match is None:
                continue
            column = header[j].strip() if j < len(header) and r != 1 else ""
            if column and not _CONTROL.search(column):
                where = f"{name}, row {r}, column '{column}'"
            else:
                where = f"{name}, row {r}, column {j + 1}"
            problems.append(
                Problem(
                    where,
                    f"control character U+{ord(match[0]):04X} in the cell",
                    "printable text only (no NUL bytes, escapes or line breaks inside a cell)",
                )
            )
    if problems:
        raise _error(title, problems)


# ---------------------------------------------------------------------------
# parsing and formatting single values
# ---------------------------------------------------------------------------


def _normalise_header(text: str) -> str:
    text = unicodedata.normalize("NFC", text).strip().casefold()
    return re.sub(r"[\s\-]+", "_", text)


def _normalise_code(text: str) -> str:
    text = unicodedata.normalize("NFC", text).strip().casefold()
    return re.sub(r"[\s_\-]+", " ", text)


def _parse_date(text: str) -> date | None:
    """Parse dd-mm-yyyy, dd.mm.yyyy, dd/mm/yyyy or yyyy-mm-dd; never month first."""
    match = _ISO_DATE.fullmatch(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _DMY_DATE.fullmatch(text)
        if not match:
            return None
        day, month, year = int(match[1]), int(match[3]), int(match[4])
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _parse_number(text: str) -> float | None:
    if not _NUMBER.fullmatch(text):
        return None
    return float(text.replace(",", "."))


def _format_cell(value: Any, kind: str, *, danish: bool) -> str:
    if kind == "date":
        if pd.isna(value):
            return ""
        stamp = pd.Timestamp(value)
        return f"{stamp:%d-%m-%Y}" if danish else f"{stamp:%Y-%m-%d}"
    if kind == "number":
        if pd.isna(value):
            return ""
        text = np.format_float_positional(float(value), trim="-")
        return text.replace(".", ",") if danish else text
    return "" if pd.isna(value) else str(value)


def _inert(text: str, kind: str) -> str:
    """Make inert a text cell that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``)."""
    return neutralise_formula(text) if kind == "id" else text  # type: ignore[return-value]  # text in, text out


def _error(title: str, problems: list[Problem]) -> DataError:
    return DataError(problems, header=f"{title}: {len(problems)} problem(s) in observed data")
