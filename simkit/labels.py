"""Plain-language labels, units and number formats, in Danish (default) and English.

One place for what a reader sees instead of a code id: the label and unit of
every parameter, payment target, indicator and output live in
``labels.toml`` beside this module; the formatting functions here turn
numbers and dates into text the way a Danish committee paper (or an English
reader) writes them:

=================  ======================  ======================
                   Danish (``"da"``)       English (``"en"``)
=================  ======================  ======================
money              ``2.229.263 kr.``       ``DKK 2,229,263``
money, millions    ``2,2 mio. kr.``        ``DKK 2.2 million``
share/probability  ``56,0 %``              ``56.0 %``
negative           ``−2,2 mio. kr.``       ``DKK −2.2 million``
date (long)        ``1. november 2025``    ``1 November 2025``
date (short)       ``01-11-2025``          ``2025-11-01``
=================  ======================  ======================

Rounding is half away from zero on the number as written (its shortest
decimal representation: 0.0285 is 2,9 %, 2.5 is 3), which is what a
reader checking by hand expects; Python's own formatting would round the
binary value half to even. Negative numbers carry a proper minus sign
(U+2212), in both languages, and a value that rounds to zero has no sign.

An id that has no entry still gets a readable label (``"new_rate"`` →
``"New rate"``), and a scenario's own ``label`` (a string, or a table with
``da``/``en``) on a parameter or target overrides the package's.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib import resources
from typing import Any

__all__ = [
    "LANGUAGES",
    "format_date",
    "format_distribution",
    "format_money",
    "format_number",
    "format_percent",
    "format_value",
    "label",
    "language",
    "set_language",
    "unit",
    "unit_text",
]

LANGUAGES = ("da", "en")
KINDS = ("parameters", "targets", "indicators", "outputs", "columns", "phases", "terms")
MINUS = "\u2212"
_MONTHS = {
    "da": ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september",
           "oktober", "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
}
_MISSING = "–"


_language = ["da"]


def language() -> str:
    """Return the default language of displays (notebook tables): ``"da"`` unless :func:`set_language` changed it.

    Examples
    --------
    >>> language()
    'da'
    """
    return _language[0]


def set_language(lang: str) -> str:
    """Set the default display language (``"da"`` or ``"en"``); returns the previous one.

    Only displays follow it (a result's notebook table); every function that
    formats takes an explicit ``lang`` too.

    Examples
    --------
    >>> old = set_language("en"); language()
    'en'
    >>> _ = set_language(old)
    """
    old = _language[0]
    _language[0] = _lang(lang)
    return old


@cache
def _data() -> dict[str, Any]:
    text = resources.files("simkit").joinpath("labels.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _lang(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    return lang


def _entry(id: str, kind: str | None) -> dict[str, Any] | None:
    data = _data()
    for k in (kind,) if kind else KINDS:
        e = data.get(k, {}).get(id)
        if e is not None:
            return e
    return None


def _humanise(id: str) -> str:
    """Return a readable label for an id without an entry: ``"new_rate"`` -> ``"New rate"``."""
    text = id.rsplit(".", 1)[-1].replace("_", " ").replace(":", ": ").strip()
    return text[:1].upper() + text[1:] if text else id


def _scenario_label(scenario, id: str, lang: str) -> str | None:
    """Return a ``label`` given in the scenario's own document for parameter or target ``id``."""
    doc = getattr(scenario, "document", scenario) if scenario is not None else None
    if not isinstance(doc, Mapping):
        return None
    found = None
    params = doc.get("parameters")
    if isinstance(params, Mapping) and isinstance(params.get(id), Mapping):
        found = params[id].get("label")
    contract = doc.get("contract")
    targets = contract.get("targets") if isinstance(contract, Mapping) else None
    if found is None and isinstance(targets, list | tuple):
        for t in targets:
            if isinstance(t, Mapping) and t.get("id") == id:
                found = t.get("label")
    if isinstance(found, Mapping):
        found = found.get(lang) or next(iter(found.values()), None)
    return str(found) if found else None


def label(id: str, lang: str = "da", *, kind: str | None = None, scenario=None, short: bool = False) -> str:
    """Plain-language label of a parameter, target, indicator, output or column id.

    Parameters
    ----------
    id : str
        E.g. ``"completion_rate"``, ``"edu_work"``, ``"budget.p_neutral"``, or a
        per-draw key such as ``"param:completion_rate"`` or ``"met:edu_work"``.
    lang : {"da", "en"}
    kind : str, optional
        Look only in one section (``parameters``, ``targets``, ``indicators``,
        ``outputs``, ``columns``); default the first that has the id.
    scenario : Scenario or mapping, optional
        A ``label`` in the scenario's document (on ``parameters.<id>`` or a
        ``contract.targets`` entry) wins over the package's.
    short : bool
        The short, lower-case label for axes and compact tables where there
        is one (parameters), else the label.

    Examples
    --------
    >>> label("completion_rate")
    'Andel der gennemfører forløbet'
    >>> label("completion_rate", "en")
    'Completion rate'
    >>> label("spell_mean_weeks", "en", short=True)
    'mean spell length, weeks (programme)'
    >>> label("an_unknown_rate", "en")
    'An unknown rate'
    >>> label("completion_rate", "en", scenario={"parameters": {"completion_rate": {"label": "Done"}}})
    'Done'
    """
    lang = _lang(lang)
    if id.startswith("param:"):
        return label(id[6:], lang, kind="parameters", scenario=scenario, short=short)
    if id.startswith("met:"):
        head = label("targets.p_met", lang, kind="outputs")
        return f"{head}: {label(id[4:], lang, kind='targets', scenario=scenario)}"
    own = _scenario_label(scenario, id, lang)
    if own:
        return own
    e = _entry(id, kind)
    if e is None and kind == "targets":  # a target is usually named after its indicator
        e = _entry(id, "indicators")
    if short and e and e.get(f"short_{lang}"):
        return str(e[f"short_{lang}"])
    return str(e[lang]) if e and e.get(lang) else _humanise(id)


def unit(id: str, *, kind: str | None = None) -> str:
    """Return the unit id of an entry (``"money"``, ``"share"``, ``"probability"``, ...); ``"number"`` if unknown.

    Examples
    --------
    >>> unit("repayment.mean"), unit("completion_rate"), unit("met:edu_work"), unit("nope")
    ('money', 'share', 'probability', 'number')
    """
    if id.startswith("param:"):
        return unit(id[6:], kind="parameters")
    if id.startswith("met:"):
        return "probability"
    e = _entry(id, kind)
    return str(e.get("unit", "number")) if e else "number"


def unit_text(unit_id: str, lang: str = "da", *, currency: str = "DKK") -> str:
    """How a unit is written: ``unit_text("money")`` is ``"kr."``, in English ``"DKK"``.

    Money in another currency than DKK is written with the currency code.

    Examples
    --------
    >>> unit_text("money"), unit_text("money", "en"), unit_text("weeks"), unit_text("probability", "en")
    ('kr.', 'DKK', 'uger', '%')
    """
    lang = _lang(lang)
    if unit_id == "money" and currency != "DKK":
        return currency
    u = _data()["units"].get(unit_id)
    return str(u[lang]) if u else ""


# ---------------------------------------------------------------- numbers


def _decimal(x: float, decimals: int) -> Decimal:
    """``x`` rounded half away from zero to ``decimals`` places, on its shortest decimal repr."""
    q = Decimal(1).scaleb(-decimals)
    return Decimal(repr(float(x))).quantize(q, rounding=ROUND_HALF_UP)


def _digits(d: Decimal, decimals: int, lang: str) -> str:
    neg = d < 0
    s = f"{abs(d):,.{decimals}f}"
    if lang == "da":
        s = s.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return (MINUS + s) if neg else s


def _finite(x) -> bool:
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def format_number(x: float, lang: str = "da", *, decimals: int = 0) -> str:
    """Return a number with thousands separators: ``"2.229.263"`` (da), ``"2,229,263"`` (en).

    Examples
    --------
    >>> format_number(2229263.4), format_number(1.25, decimals=1), format_number(-1234.5, "en")
    ('2.229.263', '1,3', '−1,235')
    """
    lang = _lang(lang)
    if not _finite(x):
        return _MISSING
    return _digits(_decimal(x, decimals), decimals, lang)


def format_money(x: float, lang: str = "da", *, millions: bool = False, decimals: int | None = None,
                 currency: str = "DKK") -> str:
    """Return an amount: ``"2.229.263 kr."`` / ``"2,2 mio. kr."`` (da), ``"DKK 2,229,263"`` / ``"DKK 2.2 million"`` (en).

    Parameters
    ----------
    x : float
    lang : {"da", "en"}
    millions : bool
        Write in millions (default 1 decimal).
    decimals : int, optional
        Default 0 (whole kroner) or 1 (millions).
    currency : str
        ``"DKK"`` is written ``kr.`` in Danish; other currencies by their code.

    Examples
    --------
    >>> format_money(2229263), format_money(2229263, millions=True)
    ('2.229.263 kr.', '2,2 mio. kr.')
    >>> format_money(2229263, "en"), format_money(-2229263, "en", millions=True)
    ('DKK 2,229,263', 'DKK −2.2 million')
    """
    lang = _lang(lang)
    if not _finite(x):
        return _MISSING
    n = (1 if millions else 0) if decimals is None else decimals
    num = _digits(_decimal(float(x) / 1e6 if millions else x, n), n, lang)
    if lang == "da":
        cur = "kr." if currency == "DKK" else currency
        return f"{num} mio. {cur}" if millions else f"{num} {cur}"
    return f"{currency} {num} million" if millions else f"{currency} {num}"


def format_percent(x: float, lang: str = "da", *, decimals: int = 1) -> str:
    """Return a share or probability (0.56) as a percentage: ``"56,0 %"`` (da), ``"56.0 %"`` (en).

    Examples
    --------
    >>> format_percent(0.56), format_percent(0.0285, "en"), format_percent(-0.1234)
    ('56,0 %', '2.9 %', '−12,3 %')
    """
    lang = _lang(lang)
    if not _finite(x):
        return _MISSING
    q = Decimal(1).scaleb(-decimals)
    d = (Decimal(repr(float(x))) * 100).quantize(q, rounding=ROUND_HALF_UP)
    return f"{_digits(d, decimals, lang)} %"


def format_date(d: dt.date, lang: str = "da", *, style: str = "long") -> str:
    """Return a date: ``"1. november 2025"`` / ``"01-11-2025"`` (da), ``"1 November 2025"`` / ``"2025-11-01"`` (en).

    Examples
    --------
    >>> import datetime as dt
    >>> format_date(dt.date(2025, 11, 1)), format_date(dt.date(2025, 11, 1), style="short")
    ('1. november 2025', '01-11-2025')
    """
    lang = _lang(lang)
    if style not in ("long", "short"):
        raise ValueError(f"style must be 'long' or 'short', got {style!r}")
    if style == "short":
        return f"{d.day:02d}-{d.month:02d}-{d.year}" if lang == "da" else d.isoformat()
    month = _MONTHS[lang][d.month - 1]
    return f"{d.day}. {month} {d.year}" if lang == "da" else f"{d.day} {month} {d.year}"


def format_value(id: str, value: Any, lang: str = "da", *, kind: str | None = None,
                 currency: str = "DKK", millions: bool = False) -> str:
    """Format ``value`` by the unit of ``id`` (money, share, weeks, ...).

    Examples
    --------
    >>> format_value("repayment.mean", 2229263.0), format_value("budget.p_neutral", 0.982, "en")
    ('2.229.263 kr.', '98.2 %')
    >>> format_value("spell_mean_weeks", 156), format_value("dp_relative_risk", 0.8)
    ('156 uger', '0,80')
    """
    u = unit(id, kind=kind)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return _MISSING
    if u == "money":
        return format_money(value, lang, millions=millions, currency=currency)
    if u in ("share", "probability"):
        return format_percent(value, lang)
    if u in ("weeks", "years"):
        whole = float(value).is_integer()
        return f"{format_number(value, lang, decimals=0 if whole else 1)} {unit_text(u, lang)}"
    if u in ("factor", "multiple"):
        return format_number(value, lang, decimals=2)
    if u in ("count", "persons", "year"):
        return format_number(value, lang)
    if isinstance(value, int | float):
        return format_number(value, lang, decimals=0 if float(value).is_integer() else 3)
    return str(value)


def format_distribution(dist, lang: str = "da", *, unit_id: str = "number", currency: str = "DKK") -> str:
    """Return a parameter's distribution in words: kind, mean and 95 % interval, in the unit's format.

    Examples
    --------
    >>> from simkit.params import Fixed
    >>> format_distribution(Fixed(0.5), unit_id="share"), format_distribution(Fixed(0.5), "en", unit_id="share")
    ('fast værdi 50,0 %', 'fixed 50.0 %')
    """
    lang = _lang(lang)

    lo, hi = dist.interval(0.95)
    top = max(abs(dist.mean), abs(lo), abs(hi))
    dec = 0 if top >= 100 else (1 if top >= 10 else 2)

    def f(v: float) -> str:
        if unit_id == "money":
            return format_money(v, lang, currency=currency)
        if unit_id in ("share", "probability"):
            return format_percent(v, lang)
        return format_number(v, lang, decimals=dec)

    names = {"da": {"fixed": "fast værdi", "beta": "beta", "pert": "PERT", "triangular": "trekant",
                    "uniform": "ligefordeling", "normal": "normal", "lognormal": "lognormal",
                    "gamma": "gamma"},
             "en": {"pert": "PERT"}}
    kind = getattr(dist, "kind", "") or type(dist).__name__.lower()
    name = names[lang].get(kind, kind)
    if getattr(dist, "is_fixed", False):
        return f"{name} {f(dist.mean)}"
    if lang == "da":
        return f"{name}, middelværdi {f(dist.mean)}, 95 %-interval {f(lo)} til {f(hi)}"
    return f"{name}, mean {f(dist.mean)}, 95 % interval {f(lo)} to {f(hi)}"
