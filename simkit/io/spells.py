"""Read and write participant histories in long format (one row per spell).

The columns are those of :data:`simkit.model.observed.SPELL_COLUMNS`; their
meaning and the rules are in :mod:`simkit.model.observed`. CSV files may use
commas or semicolons, UTF-8 (with or without BOM) or Windows-1252 (Danish
Excel's "CSV" export), ISO dates (``2026-03-01``) or Danish ``dd-mm-yyyy``;
``.xlsx`` workbooks are read from their first sheet (or ``sheet``). Every cell
is read as text and checked; nothing is dropped silently, CPR-like numbers
anywhere refuse the file (masked in the message), and control characters are
refused with row and column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io as _io
import os
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from simkit.errors import DataError, Problem, find_cpr, mask_cpr
from simkit.io.files import atomic_write, neutralise_formula

__all__ = ["ONE_ROW_HEADERS", "data_format", "read_spells", "write_spells_csv"]

#: headers that only the one-row-per-person format has (English and Danish, normalised)
ONE_ROW_HEADERS = frozenset({"id", "løbenummer", "course_status", "forløbsstatus", "outcome_type", "udfald"})

_DATE_COLS = ("referral_date", "start", "end", "planned_end")


def _text(raw: bytes) -> str:
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")  # pragma: no cover - latin-1 decodes any byte


def _date(text: str):
    text = text.strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def _rows(p: Path, name: str, sheet: str | None) -> list[list[str]]:
    """Return the non-blank rows of a CSV/tab text file or of one worksheet, as text cells."""
    if p.suffix.lower() in (".xlsm", ".xls"):
        raise DataError([Problem(name, p.suffix, "a .csv or .xlsx file (save the workbook as .xlsx)")])
    if p.suffix.lower() == ".xlsx":
        wb = load_workbook(p, read_only=True, data_only=True)
        try:
            if sheet is not None and sheet not in wb.sheetnames:
                raise DataError([Problem(f"{name}: --sheet", sheet, "one of the workbook's sheets: "
                                         + ", ".join(repr(n) for n in wb.sheetnames))])
            ws = wb[sheet] if sheet else wb.worksheets[0]
            rows = [["" if v is None else (v.date().isoformat() if isinstance(v, dt.datetime) else str(v))
                     for v in r] for r in ws.iter_rows(values_only=True)]
        finally:
            wb.close()
    else:
        text = _text(p.read_bytes())
        first = text.split("\n", 1)[0]
        delim = ";" if first.count(";") > first.count(",") else ","
        if first.count("\t") > max(first.count(";"), first.count(",")):
            delim = "\t"
        rows = list(csv.reader(_io.StringIO(text), delimiter=delim))
    return [r for r in rows if any(c.strip() for c in r)]


def _normalise(h: str) -> str:
    return h.strip().lstrip("\ufeff").lower().replace(" ", "_").replace("-", "_")


def data_format(path: str | os.PathLike, *, sheet: str | None = None) -> str:
    r"""Tell which participant-data format a file is in: ``"one_row"`` (one row per person) or ``"spells"``.

    The one-row format is recognised by a header it alone has (``id``/``løbenummer``,
    ``course_status``/``forløbsstatus``, ``outcome_type``/``udfald``); anything else is read as
    the long format (and checked as such).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "p.csv"
    >>> _ = f.write_text("id;referral_date;course_status\nP1;01-12-2025;i gang\n")
    >>> data_format(f)
    'one_row'
    """
    p = Path(path)
    if p.suffix.lower() == ".xlsx" or p.suffix.lower() in (".xlsm", ".xls"):
        rows = _rows(p, mask_cpr(p.name), sheet)
    else:
        text = _text(p.read_bytes()[:65536])
        rows = [text.split("\n", 1)[0].replace("\t", ";").replace(",", ";").split(";")]
    header = {_normalise(h) for h in (rows[0] if rows else [])}
    return "one_row" if header & ONE_ROW_HEADERS and "state" not in header else "spells"


def read_spells(path: str | os.PathLike, *, sheet: str | None = None):
    r"""Read a long-format participant-history file into a frame of text and dates.

    Raises
    ------
    DataError
        Naming the file, row and column, value and what was expected.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "spells.csv"
    >>> _ = f.write_text("person;referral_date;state;start;end\nA1;01-12-2025;job;05-01-2026;\n")
    >>> read_spells(f)["start"].tolist()
    [datetime.date(2026, 1, 5)]
    """
    p = Path(path)
    name = mask_cpr(p.name)
    rows = _rows(p, name, sheet)
    if not rows:
        raise DataError([Problem(name, None, "a header row and one row per spell")])
    header = [_normalise(h) for h in rows[0]]
    problems: list[Problem] = []
    for j, h in enumerate(header):
        if find_cpr(h):
            problems.append(Problem(f"{name}: header, column {j + 1}", find_cpr(h), "a column name, never a CPR number"))
    out = []
    for i, r in enumerate(rows[1:], start=2):
        rec = {}
        for j, h in enumerate(header):
            v = r[j] if j < len(r) else ""
            where = f"{name}: row {i}, column {h!r}"
            if find_cpr(v):
                problems.append(Problem(where, find_cpr(v), "no CPR number (use a pseudonymous id)"))
                continue
            if any(ord(ch) < 32 and ch not in "\t" for ch in v):
                problems.append(Problem(where, mask_cpr(v.encode("unicode_escape").decode()), "text without control characters"))
                continue
            if h in _DATE_COLS:
                try:
                    rec[h] = _date(v)
                except ValueError:
                    problems.append(Problem(where, v, "a date written YYYY-MM-DD or dd-mm-yyyy"))
                    continue
            elif h == "weekly_hours":
                try:
                    rec[h] = float(v.replace(",", ".")) if v.strip() else None
                except ValueError:
                    problems.append(Problem(where, v, "hours per week, a number"))
            else:
                rec[h] = v.strip() or None
        rec["source_row"] = i
        out.append(rec)
    if problems:
        shown = problems[:20]
        more = len(problems) - len(shown)
        raise DataError(shown, header=f"{name}: {len(problems)} problem(s)" + (f", and {more} more" if more else ""))
    return pd.DataFrame(out, columns=[*header, "source_row"])


def write_spells_csv(df, path: str | os.PathLike, *, dialect: str = "danish") -> None:
    """Write a long-format frame as CSV atomically (Danish dialect: ``;`` and dd-mm-yyyy).

    Examples
    --------
    >>> import datetime as dt, tempfile, pathlib
    >>> import pandas as pd
    >>> df = pd.DataFrame({"person": ["A1", "=B2"], "start": [dt.date(2026, 1, 5), None], "source_row": [2, 3]})
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "out.csv"
    >>> write_spells_csv(df, f)
    >>> f.read_text().splitlines()  # dd-mm-yyyy; a missing date empty; a formula-like cell quoted; no source_row
    ['person;start', 'A1;05-01-2026', "'=B2;"]
    >>> write_spells_csv(df, f, dialect="international")
    >>> f.read_text().splitlines()[1]
    'A1,2026-01-05'
    """
    sep, datefmt = (";", "%d-%m-%Y") if dialect == "danish" else (",", "%Y-%m-%d")
    cols = [c for c in df.columns if c != "source_row"]

    def fmt(v):
        if v is None or (isinstance(v, float) and v != v):
            return ""
        if isinstance(v, dt.date):
            return v.strftime(datefmt)
        return str(neutralise_formula(v))

    def write(tmp: Path) -> None:
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, delimiter=sep)
            w.writerow(cols)
            for rec in df[cols].itertuples(index=False):
                w.writerow([fmt(v) for v in rec])

    atomic_write(path, write)
