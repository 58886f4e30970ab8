"""Observed data for the evaluation.

Argument checks, reading and hashing the file, the date guards (events after the as-of date
refused or cut, a stale file refused) and dates as days.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd

from simkit.errors import DataError, InputError, Problem
from simkit.io.observed import OBSERVED_COLUMNS, read_observed, validate_observed


def _check_min_cell(min_cell: object) -> int:
    if isinstance(min_cell, bool) or not isinstance(min_cell, int | np.integer) or min_cell < 1:
        raise InputError(Problem("min_cell", min_cell, "a whole number >= 1 (e.g. 5)"))
    return int(min_cell)


def _parse_as_of(value: object, sc) -> dt.date:
    expected = (f"a date YYYY-MM-DD on or before the measurement date "
                f"{sc.terms.measurement_date.isoformat()} (later data do not count)")
    if value is None:
        return sc.terms.measurement_date
    if isinstance(value, pd.Timestamp):
        value = value.date()
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise InputError(Problem("as_of", value, expected)) from None
    if not isinstance(value, dt.date):
        raise InputError(Problem("as_of", value, expected))
    if value > sc.terms.measurement_date:
        raise InputError(Problem("as_of", value.isoformat(), expected))
    return value


def _load_data(data: object) -> tuple[pd.DataFrame, str, str | None]:
    """Canonical frame, source label (file name only) and the file's sha256."""
    if isinstance(data, pd.DataFrame):
        return validate_observed(data, "data frame"), "data frame", None
    if isinstance(data, str | os.PathLike):
        path = Path(data)
        df = read_observed(path)
        # io has validated and read the file; hash the same bytes for provenance
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        return df, path.name, digest
    raise InputError(Problem("data", type(data).__name__,
                             "a path to a .csv/.xlsx file or a pandas DataFrame"))


_EVENT_COLUMNS = ("referral_date", "course_status_date", "outcome_start", "outcome_end", "dp_award_date")


def _events_after(df: pd.DataFrame, as_of: dt.date, source: str, *, cut: bool) -> tuple[pd.DataFrame, int]:
    """Refuse dates after ``as_of`` (the data were extracted later), or cut them; returns (frame, dates cut).

    Examples
    --------
    >>> df = pd.DataFrame({"referral_date": pd.to_datetime(["2026-01-05"]), "course_status": ["completed"],
    ...                    "course_status_date": pd.to_datetime(["2026-07-06"]), "outcome_type": ["none"],
    ...                    "outcome_start": [pd.NaT], "outcome_end": [pd.NaT], "weekly_hours": [np.nan],
    ...                    "dp_award_date": [pd.NaT], "source_row": [2]})
    >>> out, n = _events_after(df, dt.date(2026, 6, 1), "x.csv", cut=True)
    >>> out["course_status"].tolist(), n
    (['ongoing'], 1)
    """
    limit = pd.Timestamp(as_of)
    # a referral after the as-of date is no event yet: that row counts as not yet referred (reported)
    late = {c: (df[c] > limit).to_numpy() for c in _EVENT_COLUMNS[1:] if c in df.columns}
    n = int(sum(v.sum() for v in late.values()))
    if not n:
        return df, 0
    if not cut:
        problems = [Problem(f"{source}: row {int(df['source_row'].iloc[i])}, column {c!r}",
                            df[c].iloc[i].date().isoformat(),
                            f"a date on or before the as-of date {as_of} (the file holds events after it: give "
                            "the date the data were extracted, or cut them with --cut-at-as-of)")
                    for c, v in late.items() for i in np.flatnonzero(v)]
        raise DataError(problems[:20], header=f"{source}: {n} date(s) after the as-of date {as_of}"
                        + (f" (first 20 shown, and {n - 20} more)" if n > 20 else ""))
    out = df.copy()
    c = late.get("course_status_date")
    if c is not None:
        out.loc[c, "course_status"] = "ongoing"
        out.loc[c, "course_status_date"] = pd.NaT
    s0 = late.get("outcome_start")
    if s0 is not None:
        out.loc[s0, "outcome_type"] = "none"
        out.loc[s0, ["outcome_start", "outcome_end"]] = pd.NaT
        out.loc[s0, "weekly_hours"] = np.nan
    for col in ("outcome_end", "dp_award_date"):
        if late.get(col) is not None:
            out.loc[late[col], col] = pd.NaT
    return out, n


def _refuse_stale(df: pd.DataFrame, sc, source: str) -> None:
    """Without an as-of date: refuse a file whose latest date is long before the measurement date."""
    dates = pd.concat([df[c] for c in _EVENT_COLUMNS if c in df.columns]).dropna()
    if dates.empty:
        return
    latest = dates.max().date()
    measurement = sc.terms.measurement_date
    open_ended = (df["course_status"] == "ongoing") | (df["outcome_type"].isin(["education", "job"])
                                                       & df["outcome_end"].isna())
    if (measurement - latest).days > 180 and bool(open_ended.any()):
        raise DataError([Problem(source, f"latest date {latest}",
                                 f"--as-of (as_of): the date the data were extracted; without it the file is "
                                 f"evaluated as of the final measurement date {measurement}, more than 180 days "
                                 "after its latest date, and its running courses and spells would be read as "
                                 "still running then")])


def _content_hash(df: pd.DataFrame) -> str:
    cols = [c.name for c in OBSERVED_COLUMNS]
    text = df[cols].to_csv(index=False, date_format="%Y-%m-%d", lineterminator="\n")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _days(col: pd.Series, start: dt.date) -> np.ndarray:
    """Days since ``start`` as floats, NaN for a blank date."""
    v = col.to_numpy(dtype="datetime64[D]")
    out = np.full(v.shape, np.nan)
    ok = ~np.isnat(v)
    out[ok] = (v[ok] - np.datetime64(start, "D")).astype(np.int64)
    return out
