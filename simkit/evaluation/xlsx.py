"""The evaluation as an xlsx workbook: targets, repayment due, terms, notes, provenance.

One sheet per part, for both evaluation paths (:class:`~simkit.evaluation.EvaluationResult`
of a version-1 scenario and :class:`~simkit.model.observed.SpellEvaluation` of a version-2
model). Counts and rates are numbers where they are shown; the small-cell suppression is the
printed text's (a count from 1 to ``min_cell − 1`` is the text ``"<min_cell>"``, a rate derived
from a hidden count is ``"suppressed"``), so the workbook can be published like the text. The
JSON (``--json``) keeps the exact counts for evaluators.
"""

from __future__ import annotations

import math
import os
from typing import Any

from openpyxl import Workbook

from simkit.evaluation.render import _render_note, phrase, resolve_lang, status_word, terms_list
from simkit.io.files import atomic_write

__all__ = ["SHEETS", "workbook_rows", "write_xlsx"]

#: the sheets of the workbook, in order
SHEETS = ("targets", "repayment", "terms", "notes", "provenance")

_HEAD = {
    "da": {"targets": "mål", "repayment": "tilbagebetaling", "terms": "vilkår", "notes": "bemærkninger",
           "provenance": "oprindelse", "key": "nøgle", "value": "værdi", "term": "vilkår",
           "basis": "grundlag", "note": "bemærkning", "name": "navn", "rate": "andel",
           "ci_low": "KI nedre", "ci_high": "KI øvre", "p_met_final": "P(opfyldt på målingsdatoen)",
           "status_text": "status i ord"},
    "en": {"targets": "targets", "repayment": "repayment", "terms": "terms", "notes": "notes",
           "provenance": "provenance", "key": "key", "value": "value", "term": "term",
           "basis": "basis", "note": "note", "name": "name", "rate": "rate",
           "ci_low": "CI low", "ci_high": "CI high", "p_met_final": "P(met at measurement)",
           "status_text": "status in words"},
}

#: target columns (JSON key of the target) of the workbook
TARGET_COLUMNS = ("id", "name", "threshold", "achieved", "failed", "pending", "denominator", "rate",
                  "ci_low", "ci_high", "status", "status_text", "p_met_final")


def _finite(x: Any) -> Any:
    return None if isinstance(x, float) and not math.isfinite(x) else x


def _flat(d: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out += _flat(v, key + ".")
        elif isinstance(v, list | tuple):
            out.append((key, ", ".join(str(x) for x in v)))
        else:
            out.append((key, _finite(v)))
    return out


def _count(n: int, k: int) -> int | str:
    return f"<{k}" if 0 < n < k else int(n)


def _target_rows_v1(res: Any, k: int, lang: str) -> list[dict[str, Any]]:
    pub = res.publication_table(k)   # the text's suppression, cell by cell
    rows = []
    for t in res.targets:
        p = pub.loc[t.id]
        def shown(col: str, value: Any, p: Any = p) -> Any:
            return value if p[col] not in ("suppressed",) and not str(p[col]).startswith("<") else p[col]
        rows.append({"id": t.id, "name": res.target_label(t.id, lang), "threshold": t.threshold,
                     "achieved": shown("achieved", t.achieved), "failed": shown("failed", t.failed),
                     "pending": shown("pending", t.pending),
                     "denominator": shown("denominator", t.denominator),
                     "rate": shown("rate", _finite(t.rate)), "ci_low": shown("95% CI", _finite(t.ci_low)),
                     "ci_high": shown("95% CI", _finite(t.ci_high)), "status": t.status,
                     "status_text": status_word(t.status, lang), "p_met_final": _finite(t.p_met_final)})
    return rows


def _target_rows_v2(res: Any, k: int, lang: str) -> list[dict[str, Any]]:
    fc = res.forecast.to_dict()["targets"] if res.forecast is not None else {}
    rows = []
    for t in res.targets:
        a, den = int(t["achieved"]), int(t["denominator"])
        hidden = den == 0 or min(a, den - a) < k   # the text's rule: no rate from a small count
        p_met = 1.0 if t["status"] == "met" else 0.0 if t["status"] == "not_met" else \
            fc.get(t["id"], {}).get("p_met")
        rows.append({"id": t["id"], "name": t["label"], "threshold": t["threshold"],
                     "achieved": _count(a, k), "failed": None, "pending": _count(int(t["pending"]), k),
                     "denominator": _count(den, k),
                     "rate": "suppressed" if hidden else _finite(t["rate"]),
                     "ci_low": "suppressed" if hidden else _finite(t["ci_low"]),
                     "ci_high": "suppressed" if hidden else _finite(t["ci_high"]),
                     "status": t["status"], "status_text": status_word(t["status"], lang),
                     "p_met_final": _finite(p_met)})
    return rows


def workbook_rows(res: Any, *, min_cell: int = 5, lang: str | None = None) -> dict[str, list[list[Any]]]:
    """Return the rows of every sheet (first row: the column names), as written by :func:`write_xlsx`.

    Parameters
    ----------
    res : EvaluationResult or SpellEvaluation
        An evaluation result.
    min_cell : int
        Smallest count shown.
    lang : {"da", "en"}, optional
        Language of the column names, target names, statuses and term bases (default English).

    Returns
    -------
    dict
        Sheet id (:data:`SHEETS`) -> rows.

    Examples
    --------
    >>> import simkit
    >>> from simkit.synth import synthesize
    >>> from simkit.evaluation import evaluate
    >>> sc = simkit.load_scenario("norddjurs_v1")
    >>> res = evaluate(synthesize(sc, seed=3), sc, scenario_draws=64, predictive_draws=64)
    >>> rows = workbook_rows(res, lang="da")
    >>> rows["targets"][0][:4], rows["terms"][1][2]
    (['id', 'navn', 'threshold', 'achieved'], 'antagelse')
    """
    L = resolve_lang(lang)
    h = _HEAD[L]
    d = res.to_dict()
    v1 = hasattr(res, "publication_table")
    targets = _target_rows_v1(res, min_cell, L) if v1 else _target_rows_v2(res, min_cell, L)
    head = [h.get(c, c) for c in TARGET_COLUMNS]
    sheets: dict[str, list[list[Any]]] = {
        "targets": [head] + [[r[c] for c in TARGET_COLUMNS] for r in targets]}
    rep = d["repayment_due"]
    sheets["repayment"] = [[h["key"], h["value"]]] + [[k, _finite(v)] for k, v in rep.items()]
    terms = terms_list(tuple(res.terms), L)
    sheets["terms"] = [[h["term"], h["value"], h["basis"]]] + [list(t) for t in terms]
    if v1:
        notes = [_render_note(n, min_cell, L) for n in res.notes]
    else:
        notes = [f"{what}: {_count(int(n), min_cell)}" for what, n in res.accounted if n]
    if any(c == "assumption" for _, _, c in res.terms):
        notes.append(phrase("terms_assumed", L))
    notes.append(phrase("footer_cells", L, k=min_cell))
    sheets["notes"] = [[h["note"]]] + [[n] for n in notes]
    prov = d.get("provenance") or {"as_of": d["as_of"]}
    sheets["provenance"] = [[h["key"], h["value"]]] + [list(kv) for kv in _flat(prov)]
    return sheets


def write_xlsx(res: Any, path: str | os.PathLike[str], *, min_cell: int = 5, lang: str | None = None) -> None:
    """Write the evaluation as an xlsx workbook, atomically (nothing is left on an error).

    Parameters
    ----------
    res : EvaluationResult or SpellEvaluation
        An evaluation result.
    path : path
        The workbook to write.
    min_cell : int
        Smallest count shown (as in the printed text).
    lang : {"da", "en"}, optional
        Language (default English).

    Examples
    --------
    >>> import tempfile, openpyxl, simkit
    >>> from simkit.synth import synthesize
    >>> from simkit.evaluation import evaluate
    >>> sc = simkit.load_scenario("norddjurs_v1")
    >>> res = evaluate(synthesize(sc, seed=3), sc, scenario_draws=64, predictive_draws=64)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_xlsx(res, d + "/e.xlsx")
    ...     openpyxl.load_workbook(d + "/e.xlsx").sheetnames
    ['targets', 'repayment', 'terms', 'notes', 'provenance']
    """
    L = resolve_lang(lang)
    sheets = workbook_rows(res, min_cell=min_cell, lang=L)
    wb = Workbook()
    wb.remove(wb.active)
    for sid in SHEETS:
        ws = wb.create_sheet(_HEAD[L][sid])
        for row in sheets[sid]:
            ws.append(row)
    atomic_write(path, wb.save)
