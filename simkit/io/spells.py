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

from simkit.errors import DataError, Problem, find_cpr, mask_cpr
from simkit.io.files import atomic_write, neutralise_formula

__all__ = ["read_spells", "write_spells_csv"]

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
    # start-up speed: pandas loads only when a file is read
    import pandas as pd

    p = Path(path)
    name = mask_cpr(p.name)
    if p.suffix.lower() in (".xlsm", ".xls"):
        raise DataError([Problem(name, p.suffix, "a .csv or .xlsx file (save the workbook as .xlsx)")])
    if p.suffix.lower() == ".xlsx":
        # optional format: openpyxl only for an .xlsx file
        from openpyxl import load_workbook

        wb = load_workbook(p, read_only=True, data_only=True)
        ws = wb[sheet] if sheet else wb.worksheets[0]
        rows = [["" if v is None else (v.date().isoformat() if isinstance(v, dt.datetime) else str(v))
                 for v in r] for r in ws.iter_rows(values_only=True)]
    else:
        text = _text(p.read_bytes())
        delim = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
        if "\t" in text.split("\n", 1)[0]:
            delim = "\t"
        rows = list(csv.reader(_io.StringIO(text), delimiter=delim))
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise DataError([Problem(name, None, "a header row and one row per spell")])
    header = [h.strip().lower().replace(" ", "_") for h in rows[0]]
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
    """Write a long-format frame as CSV atomically (Danish dialect: ``;`` and dd-mm-yyyy)."""
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
