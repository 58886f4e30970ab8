"""Text helpers of the evaluation output.

Percentages, intervals, counts with small-cell suppression, and :class:`Note` (a note whose
small counts are suppressed when printed).
"""

from __future__ import annotations

import math


def _pct(x: float) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{100 * x:.1f} %"


def _ci(lo: float, hi: float) -> str:
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "n/a"
    return f"{100 * lo:.1f}–{100 * hi:.1f} %"


def _prob(p: float) -> str:
    return "n/a" if p is None or not math.isfinite(p) else f"{p:.3f}"


def _count(n: int, k: int) -> str:
    return f"<{k}" if 0 < n < k else str(n)


class Note(str):
    """A note whose text holds exact counts; :meth:`render` suppresses the small ones.

    The string value (kept in ``to_dict()`` for evaluators) has the exact
    counts; printed text, HTML and tables use ``render(min_cell)``.

    Examples
    --------
    >>> n = Note.make("{k} row(s) referred early.", k=3)
    >>> str(n), n.render(5)
    ('3 row(s) referred early.', '<5 row(s) referred early.')
    """

    template: str
    counts: dict

    @classmethod
    def make(cls, template: str, **counts: int) -> Note:
        """Return the note ``template`` filled in with ``counts``, keeping both for :meth:`render`."""
        note = cls(template.format(**counts))
        note.template, note.counts = template, dict(counts)
        return note

    def render(self, min_cell: int) -> str:
        """Write the note with counts below ``min_cell`` shown as ``<min_cell``."""
        template = getattr(self, "template", None)
        if template is None:
            return str(self)
        return template.format(**{name: _count(int(v), min_cell) for name, v in self.counts.items()})


def _render_note(note: str, k: int) -> str:
    return note.render(k) if isinstance(note, Note) else str(note)
