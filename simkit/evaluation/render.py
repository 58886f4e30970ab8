"""Text helpers of the evaluation output.

Percentages, intervals, counts with small-cell suppression, and :class:`Note` (a note whose
small counts are suppressed when printed).
"""

from __future__ import annotations

import datetime as dt
import math
import os

from simkit import labels
from simkit.errors import InputError, Problem

#: the language of a view when none is given and ``SIMKIT_LANG`` is not set (the output of
#: earlier versions: English)
DEFAULT_LANG = "en"
#: environment variable with the default language of the evaluation's views
LANG_ENV = "SIMKIT_LANG"


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


def resolve_lang(lang: str | None) -> str:
    """Return the language of a view: ``lang``, else ``$SIMKIT_LANG``, else :data:`DEFAULT_LANG`.

    Examples
    --------
    >>> resolve_lang("da")
    'da'
    """
    source = "lang"
    if lang is None:
        lang, source = os.environ.get(LANG_ENV, "").strip() or DEFAULT_LANG, LANG_ENV
    if lang not in labels.LANGUAGES:
        raise InputError(Problem(source, lang, "'da' (Danish) or 'en' (English)"))
    return lang


def phrase(key: str, lang: str, **fields: object) -> str:
    """Return the evaluation phrase ``key`` of ``labels.toml`` in ``lang``, its fields filled in.

    Examples
    --------
    >>> phrase("status_met", "da"), phrase("title", "en", name="x")
    ('opfyldt', 'simkit evaluation — x')
    """
    text = labels.label(key, lang, kind="evaluation")
    return text.format(**fields) if fields else text


def pct(x: float | None, lang: str) -> str:
    """Return a share as a percentage with one decimal (Danish: decimal comma).

    Examples
    --------
    >>> pct(74 / 91, "da"), pct(74 / 91, "en"), pct(float("nan"), "da")
    ('81,3 %', '81.3 %', '–')
    """
    if lang == "en":
        return _pct(x)  # type: ignore[arg-type]  # _pct handles None
    return phrase("not_available", lang) if x is None or not math.isfinite(x) \
        else labels.format_percent(x, lang, decimals=1)


def ci(lo: float, hi: float, lang: str) -> str:
    """Return an interval of shares as ``lo–hi %``.

    Examples
    --------
    >>> ci(0.712, 0.887, "da")
    '71,2–88,7 %'
    """
    if lang == "en":
        return _ci(lo, hi)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return phrase("not_available", lang)
    return f"{labels.format_number(100 * lo, lang, decimals=1)}–{labels.format_percent(hi, lang, decimals=1)}"


def prob(p: float | None, lang: str) -> str:
    """Return a probability with three decimals.

    Examples
    --------
    >>> prob(0.98765, "da"), prob(0.98765, "en")
    ('0,988', '0.988')
    """
    if lang == "en":
        return _prob(p)  # type: ignore[arg-type]  # _prob handles None
    return phrase("not_available", lang) if p is None or not math.isfinite(p) \
        else labels.format_number(p, lang, decimals=3)


def count(n: int, k: int, lang: str) -> str:
    """Return a count, ``"<k"`` when it is from 1 to ``k − 1`` (small-cell suppression).

    Examples
    --------
    >>> count(3, 5, "da"), count(1234, 5, "da"), count(1234, 5, "en"), count(0, 5, "da")
    ('<5', '1.234', '1234', '0')
    """
    if 0 < n < k:
        return f"<{k}"
    return str(n) if lang == "en" else labels.format_number(n, lang)


def money(x: float, lang: str) -> str:
    """Return an amount rounded to whole units, without the currency.

    Examples
    --------
    >>> money(2992500, "da"), money(2992500, "en")
    ('2.992.500', '2,992,500')
    """
    return f"{x:,.0f}" if lang == "en" else labels.format_number(x, lang)


def number(x: float, lang: str, decimals: int) -> str:
    """Return a number with ``decimals`` decimals (Danish: decimal comma).

    Examples
    --------
    >>> number(2.25, "da", 1), number(2.25, "en", 1)
    ('2,3', '2.2')
    """
    return f"{x:.{decimals}f}" if lang == "en" else labels.format_number(x, lang, decimals=decimals)


def date(d: dt.date, lang: str) -> str:
    """Return a date: ISO in English (as before), the long Danish form in Danish.

    Examples
    --------
    >>> date(dt.date(2026, 11, 1), "da"), date(dt.date(2026, 11, 1), "en")
    ('1. november 2026', '2026-11-01')
    """
    return d.isoformat() if lang == "en" else labels.format_date(d, lang)


def status_word(status: str, lang: str) -> str:
    """Return ``met`` / ``not_met`` / ``undecided`` in words.

    Examples
    --------
    >>> status_word("not_met", "da"), status_word("met", "en")
    ('ikke opfyldt', 'met')
    """
    return phrase(f"status_{status}", lang)


def basis_word(basis: str, lang: str) -> str:
    """Return a term's basis (``"from the agreement"`` or ``"assumption"``) in ``lang``.

    Examples
    --------
    >>> basis_word("from the agreement", "da"), basis_word("assumption", "da")
    ('fra aftalen', 'antagelse')
    """
    return phrase("basis_assumption" if basis == "assumption" else "basis_agreement", lang)


def term_name(term: str, lang: str) -> str:
    """Return a contract term's name (``grant``, ``risk premium``, ``target <id>``) in ``lang``.

    Examples
    --------
    >>> term_name("risk premium", "da"), term_name("target edu_work", "da")
    ('risikopræmie', 'mål edu_work')
    """
    if lang == "en":
        return term
    if term.startswith("target "):
        return phrase("term_target", lang, target=term[len("target "):])
    if term.startswith("rate-card line "):
        return phrase("term_rate_card_line", lang, line=term[len("rate-card line "):])
    key = "term_" + term.replace(" ", "_")
    return phrase(key, lang) if labels._entry(key, "evaluation") else term


def terms_list(terms: tuple[tuple[str, str, str], ...], lang: str) -> list[tuple[str, str, str]]:
    """Return ``(term, value, basis)`` with the term and basis in ``lang`` (the value as written).

    Examples
    --------
    >>> terms_list((("grant", "5,700,000 DKK", "assumption"),), "da")
    [('tilskud', '5,700,000 DKK', 'antagelse')]
    """
    return [(term_name(a, lang), b, c if lang == "en" else basis_word(c, lang)) for a, b, c in terms]


class Note(str):
    """A note whose text holds exact counts; :meth:`render` suppresses the small ones.

    The string value (kept in ``to_dict()`` for evaluators) has the exact
    counts, in English; printed text, HTML and tables use ``render(min_cell,
    lang)``, which writes a note made with :meth:`phrased` in the language asked
    for (its phrase in ``labels.toml``).

    Examples
    --------
    >>> n = Note.make("{k} row(s) referred early.", k=3)
    >>> str(n), n.render(5)
    ('3 row(s) referred early.', '<5 row(s) referred early.')
    >>> m = Note.phrased("note_after_end", n=7, end=dt.date(2026, 12, 31))
    >>> str(m)
    '7 row(s) referred after the agreement end 2026-12-31.'
    >>> m.render(5, "da")
    '7 række(r) henvist efter aftalens slutdato 31. december 2026.'
    """

    template: str
    counts: dict
    key: str | None
    fields: dict

    @classmethod
    def make(cls, template: str, **counts: int) -> Note:
        """Return the note ``template`` filled in with ``counts``, keeping both for :meth:`render`.

        Examples
        --------
        >>> n = Note.make("{k} of {n} referred early.", k=3, n=40)
        >>> str(n), n.counts
        ('3 of 40 referred early.', {'k': 3, 'n': 40})
        """
        note = cls(template.format(**counts))
        note.template, note.counts, note.key, note.fields = template, dict(counts), None, {}
        return note

    @classmethod
    def phrased(cls, key: str, *, counts: tuple[str, ...] = ("n",), **values: object) -> Note:
        """Return the evaluation phrase ``key`` as a note; ``counts`` names the values that are counts.

        Counts are suppressed below ``min_cell`` when rendered; the other values (dates, sizes,
        names) are written in the language asked for.

        Examples
        --------
        >>> Note.phrased("note_more_rows", counts=(), rows=99, size=95).render(5, "da")
        'Data har 99 rækker, flere end kohortens størrelse 95.'
        """
        template = phrase(key, "en")
        cnt = {k: int(v) for k, v in values.items() if k in counts}  # type: ignore[call-overload]  # counts are ints
        other = {k: v for k, v in values.items() if k not in counts}
        note = cls(template.format(**cnt, **{k: _field(v, "en") for k, v in other.items()}))
        note.template, note.counts, note.key, note.fields = template, cnt, key, other
        return note

    def render(self, min_cell: int, lang: str | None = None) -> str:
        """Write the note with counts below ``min_cell`` shown as ``<min_cell``, in ``lang``.

        Examples
        --------
        >>> n = Note.make("{k} of {n} referred early.", k=3, n=40)
        >>> n.render(5), n.render(3)
        ('<5 of 40 referred early.', '3 of 40 referred early.')
        >>> Note("2 rows dropped.").render(5)  # a plain string: no counts known, shown as is
        '2 rows dropped.'
        """
        template = getattr(self, "template", None)
        if template is None:
            return str(self)
        L = "en" if lang is None else lang
        key = getattr(self, "key", None)
        if key is not None and L != "en":
            template = phrase(key, L)
        fields = {k: _field(v, L) for k, v in getattr(self, "fields", {}).items()}
        if L == "en":
            shown = {name: _count(int(v), min_cell) for name, v in self.counts.items()}
        else:
            shown = {name: count(int(v), min_cell, L) for name, v in self.counts.items()}
        return template.format(**shown, **fields)


def _field(v: object, lang: str) -> str:
    """Return a note's value as text: dates in the language's form, numbers as they are."""
    if isinstance(v, dt.date):
        return date(v, lang)
    return str(v)


def _render_note(note: str, k: int, lang: str | None = None) -> str:
    return note.render(k, lang) if isinstance(note, Note) else str(note)
