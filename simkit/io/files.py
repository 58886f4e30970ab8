"""Output files: checked before any work, written atomically, never onto an input.

* :func:`check_output_file` and :func:`check_output_dir` run before a
  command computes anything: the path is resolved (symlinks, ``..``) and
  refused when it is one of the command's inputs, a folder (for a file), a
  file (for a folder), in a folder that does not exist or cannot be written,
  or — without ``force`` — when it would replace an existing file.
* :func:`atomic_write` writes to a temporary file in the target folder and
  moves it into place (:func:`os.replace`), so a file appears complete or not
  at all; the file gets the normal permissions of a new file (``0o666``
  less the umask). :class:`OutputDir` does the same for a folder of outputs.
* :func:`neutralise_formula` keeps text cells that a spreadsheet would run
  as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return) inert.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from simkit.errors import Problem, SimkitError, mask_cpr

__all__ = [
    "OutputDir",
    "atomic_write",
    "check_output_dir",
    "check_output_file",
    "display_path",
    "neutralise_formula",
    "to_jsonable",
    "write_frame_csv",
    "write_frame_csv_danish",
    "write_frames_xlsx",
    "write_json",
]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _fail(flag: str, path: object, expected: str) -> SimkitError:
    return SimkitError(str(Problem(flag, str(path), expected)))


def _resolved(path: str | os.PathLike) -> Path:
    return Path(os.path.realpath(os.path.abspath(os.fspath(path))))


def _same(a: Path, b: Path) -> bool:
    if a == b:
        return True
    try:
        return os.path.samefile(a, b)  # hard links
    except OSError:
        return False


def _input_paths(inputs: Iterable[str | os.PathLike | None]) -> list[Path]:
    return [_resolved(p) for p in inputs if p and os.path.exists(os.fspath(p))]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_output_file(path: str | os.PathLike | None, *, flag: str,
                      inputs: Iterable[str | os.PathLike | None] = (), force: bool = True) -> None:
    """Refuse an output file path before any work is done.

    Parameters
    ----------
    path : str or path-like, optional
        The output file (``None``: nothing to check).
    flag : str
        The option that named it, for the message (``"--json"``).
    inputs : paths
        The command's input files; the output may be none of them.
    force : bool
        Whether an existing file may be replaced.

    Raises
    ------
    SimkitError
        Naming the option, the path and what was expected.

    Examples
    --------
    >>> check_output_file("scenario.toml", flag="--json", inputs=["scenario.toml"])  # doctest: +SKIP
    Traceback (most recent call last):
    simkit.errors.SimkitError: --json: got 'scenario.toml'; expected an output file that is not ...
    """
    if path is None:
        return
    text = os.fspath(path)
    if not text.strip():
        raise _fail(flag, text, "a file name (the path is empty)")
    real = _resolved(text)
    for inp in _input_paths(inputs):
        if _same(real, inp):
            raise _fail(flag, text, f"an output file that is not one of the command's inputs "
                                    f"(it is the input {inp.name}; inputs are never overwritten)")
    if real.is_dir():
        raise _fail(flag, text, "a file name, not a folder")
    folder = real.parent
    if not folder.is_dir():
        raise _fail(flag, text, f"a path in an existing folder ({Path(text).parent} does not exist)")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise _fail(flag, text, f"a path in a folder you can write to ({Path(text).parent} is not writable)")
    if real.exists() and not force:
        raise _fail(flag, text, "a new file (it exists; pass --force to replace it)")


def check_output_dir(path: str | os.PathLike | None, names: Iterable[str], *, flag: str = "--out",
                     inputs: Iterable[str | os.PathLike | None] = (), force: bool = False) -> None:
    """Refuse an output folder before any work is done.

    The folder may not exist yet (it is created), or exist and hold none of
    the files ``names``; with earlier outputs in it, ``force`` is needed and
    the message lists the files that would be replaced. No input may be one
    of the files written.

    Examples
    --------
    >>> check_output_dir("results", ["summary.json"])  # doctest: +SKIP
    """
    if path is None:
        return
    text = os.fspath(path)
    if not text.strip():
        raise _fail(flag, text, "a folder name (the path is empty)")
    real = _resolved(text)
    if real.exists() and not real.is_dir():
        raise _fail(flag, text, "a folder (it is an existing file)")
    names = list(names)
    ins = _input_paths(inputs)
    for n in names:
        for inp in ins:
            if _same(real / n, inp):
                raise _fail(flag, text, f"a folder where no input would be overwritten ({n} is an input)")
    parent = real if real.is_dir() else next((p for p in real.parents if p.exists()), real.parent)
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise _fail(flag, text, f"a folder you can write to ({parent.name or parent} is not writable)")
    if real.is_dir() and not force:
        old = [n for n in names if (real / n).exists()]
        if old:
            shown = ", ".join(old[:10]) + (f" and {len(old) - 10} more" if len(old) > 10 else "")
            raise _fail(flag, text, f"a new or empty folder; it holds earlier outputs that would be "
                                    f"replaced ({shown}): pass --force to replace them, or choose "
                                    "another folder")


def neutralise_formula(value: object) -> object:
    r"""Return text a spreadsheet would treat as a formula prefixed with ``'``; anything else unchanged.

    Examples
    --------
    >>> neutralise_formula('=HYPERLINK("http://x")')
    '\'=HYPERLINK("http://x")'
    >>> neutralise_formula("P0001"), neutralise_formula(-3.5)
    ('P0001', -3.5)
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_jsonable(obj: Any) -> Any:
    """Plain-JSON version of results: numpy scalars to Python, NaN/inf to null.

    Examples
    --------
    >>> import numpy as np
    >>> to_jsonable({"p": np.float64(0.5), "x": np.array([1, 2]), "bad": float("nan")})
    {'p': 0.5, 'x': [1, 2], 'bad': None}
    """
    # start-up speed: io.files is imported to build the command line; numpy, pandas and openpyxl load on use
    import numpy as np

    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def atomic_write(path: str | os.PathLike, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp_path)`` then move the temporary file into place.

    Raises SimkitError (naming the path) if the folder does not exist or is not
    writable; no partial or temporary file is left behind, also on an
    interrupt. The file gets the permissions of any new file (``0o666`` less
    the umask), not the private ones of a temporary file.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> out = Path(tempfile.mkdtemp()) / "a.txt"
    >>> atomic_write(out, lambda tmp: tmp.write_text("done", encoding="utf-8"))
    >>> out.read_text(encoding="utf-8"), [p.name for p in out.parent.iterdir()]  # no temporary file left
    ('done', ['a.txt'])
    """
    p = Path(path)
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise SimkitError(str(Problem(str(path), None, f"a path in an existing folder ({folder} does not exist)")))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise SimkitError(str(Problem(str(path), None, f"a writable file path ({exc.strerror})"))) from None
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, p)
    except OSError as exc:
        _remove(tmp)
        raise SimkitError(str(Problem(str(path), None, f"a writable file path ({exc.strerror})"))) from None
    except BaseException:
        _remove(tmp)
        raise


def _remove(path: str | os.PathLike) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


class OutputDir:
    """A folder of outputs that appears complete or not at all.

    Files are written into a hidden temporary folder beside the target; on
    success they are moved into the target (created if needed), on any error
    or interrupt the temporary folder is removed and the target is untouched.

    Examples
    --------
    >>> with OutputDir("results") as tmp:  # doctest: +SKIP
    ...     (tmp / "summary.json").write_text("{}")
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.tmp: Path | None = None

    def __enter__(self) -> Path:
        """Create the temporary folder beside the target and return it."""
        target = self.path.resolve()
        base = target if target.is_dir() else target.parent
        try:
            base.mkdir(parents=True, exist_ok=True)
            self.tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=base))
        except OSError as exc:
            raise SimkitError(str(Problem("--out", str(self.path), f"a writable folder ({exc.strerror})"))) from None
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        """Move the folder into place on success; remove it on any error or interrupt."""
        assert self.tmp is not None
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        try:
            mode = 0o666 & ~_umask()
            for f in self.tmp.iterdir():
                os.chmod(f, mode)
            if not self.path.exists():
                os.chmod(self.tmp, 0o777 & ~_umask())
                os.replace(self.tmp, self.path)
            else:
                for f in sorted(self.tmp.iterdir()):
                    os.replace(f, self.path / f.name)
                self.tmp.rmdir()
        except BaseException:
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as indented UTF-8 JSON, atomically.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> out = Path(tempfile.mkdtemp()) / "a.json"
    >>> write_json(out, {"p": float("inf")})
    >>> out.read_text(encoding="utf-8").split()  # infinity is no JSON number: null
    ['{', '"p":', 'null', '}']
    """
    text = json.dumps(to_jsonable(obj), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    atomic_write(path, lambda t: t.write_text(text, encoding="utf-8"))


def write_frame_csv(path: str | os.PathLike, df) -> None:
    """Write a pandas frame as CSV, atomically; text cells that look like formulas are made inert.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> out = Path(tempfile.mkdtemp()) / "a.csv"
    >>> write_frame_csv(out, pd.DataFrame({"name": ["=1+1"], "n": [3]}))
    >>> out.read_text(encoding="utf-8").splitlines()[1]  # the formula-like cell is made inert
    "0,'=1+1,3"
    """
    # start-up speed: io.files is imported to build the command line; numpy, pandas and openpyxl load on use
    from pandas.api.types import is_numeric_dtype

    safe = df.copy()
    for c in safe.columns:
        if not is_numeric_dtype(safe[c].dtype):
            safe[c] = safe[c].map(neutralise_formula)
    if safe.index.nlevels == 1 and not is_numeric_dtype(safe.index.dtype):
        safe.index = safe.index.map(neutralise_formula)
    atomic_write(path, lambda t: safe.to_csv(t))


_XLSX_FORMATS = {"probability": "0.0%", "share": "0.0%", "DKK": "#,##0", "multiple": "0.000", "years": "0"}


def write_frames_xlsx(path: str | os.PathLike, sheets, *, formats=None) -> None:
    """Write frames to one workbook, one sheet each, atomically: numbers stay numbers, with formats.

    A frame with a ``unit`` column gets each row's value formatted by its unit (0.0 % for
    probabilities and shares, thousands for money); other numeric columns get ``formats[column]``
    or a general number format. Text cells that look like formulas are made inert.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib, openpyxl
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "out.xlsx"
    >>> write_frames_xlsx(f, {"t": pd.DataFrame({"unit": ["DKK"], "value": [1234.5]})})
    >>> openpyxl.load_workbook(f)["t"]["B2"].value
    1234.5
    """
    # start-up speed: io.files is imported to build the command line; numpy, pandas and openpyxl load on use
    from openpyxl import Workbook
    from openpyxl.styles import Font

    # start-up speed: io.files is imported to build the command line; numpy, pandas and openpyxl load on use
    from pandas.api.types import is_numeric_dtype

    formats = dict(formats or {})

    def write(tmp: Path) -> None:
        wb = Workbook()
        wb.remove(wb.active)
        for name, df in sheets.items():
            ws = wb.create_sheet(title=str(name)[:31])
            frame = df.reset_index() if df.index.name or df.index.nlevels > 1 else df
            cols = list(frame.columns)
            ws.append([str(c) for c in cols])
            for cell in ws[1]:
                cell.font = Font(bold=True)
            for rec in frame.itertuples(index=False):
                row: list[Any] = []
                for c, v in zip(cols, rec, strict=True):
                    if v is None or (isinstance(v, float) and v != v):
                        row.append(None)
                    elif is_numeric_dtype(frame[c].dtype):
                        row.append(float(v) if not isinstance(v, bool) else bool(v))
                    else:
                        row.append(neutralise_formula(str(v)))
                ws.append(row)
            unit_col = cols.index("unit") if "unit" in cols else None
            for j, c in enumerate(cols):
                if not is_numeric_dtype(frame[c].dtype):
                    ws.column_dimensions[ws.cell(1, j + 1).column_letter].width = 28
                    continue
                for i in range(2, len(frame) + 2):
                    unit = ws.cell(i, unit_col + 1).value if unit_col is not None else None
                    fmt = _XLSX_FORMATS.get(unit) if c in ("value", "mc_se") and unit else formats.get(c)
                    ws.cell(i, j + 1).number_format = fmt or "#,##0.######"
                ws.column_dimensions[ws.cell(1, j + 1).column_letter].width = 16
        wb.save(tmp)

    atomic_write(path, write)


def write_frame_csv_danish(path: str | os.PathLike, df) -> None:
    """Return a frame as Danish-dialect CSV (``;`` between fields, decimal comma), atomically.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> out = Path(tempfile.mkdtemp()) / "a.csv"
    >>> write_frame_csv_danish(out, pd.DataFrame({"p": [0.25]}))
    >>> out.read_text(encoding="utf-8").splitlines()
    [';p', '0;0,25']
    """
    # start-up speed: io.files is imported to build the command line; numpy, pandas and openpyxl load on use
    from pandas.api.types import is_numeric_dtype

    safe = df.copy()
    for c in safe.columns:
        if not is_numeric_dtype(safe[c].dtype):
            safe[c] = safe[c].map(neutralise_formula)
    atomic_write(path, lambda t: safe.to_csv(t, sep=";", decimal=",", float_format="%.6g"))


def display_path(path: str | os.PathLike) -> str:
    """Return a path as shown in printed output and provenance (CPR-like numbers masked).

    Examples
    --------
    >>> display_path("out/report.html")
    'out/report.html'
    """
    return mask_cpr(os.fspath(path))
