"""Atomic output files: a file appears complete or not at all."""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import Problem, SimkitError

__all__ = ["atomic_write", "to_jsonable", "write_json"]


def to_jsonable(obj: Any) -> Any:
    """Plain-JSON version of results: numpy scalars to Python, NaN/inf to null."""
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


def atomic_write(path: str | os.PathLike, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp_path)`` then move the temporary file into place.

    Raises SimkitError (naming the path) if the folder does not exist or is not
    writable; no partial file is left behind.
    """
    p = Path(path)
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise SimkitError(str(Problem(str(path), None, f"a path in an existing folder ({folder} does not exist)")))
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, p)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as indented UTF-8 JSON, atomically."""
    text = json.dumps(to_jsonable(obj), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    atomic_write(path, lambda t: t.write_text(text, encoding="utf-8"))


def write_frame_csv(path: str | os.PathLike, df) -> None:
    """Write a pandas frame as CSV, atomically."""
    atomic_write(path, lambda t: df.to_csv(t))
