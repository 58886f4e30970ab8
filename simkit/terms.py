"""The contract terms a number rests on, each marked *from the agreement* or *assumption*.

Every evaluation output lists them: the count arithmetic of an evaluation is
exact, but a repayment amount is only as good as the grant, premium, targets
and weights it is computed from — and for the Norddjurs agreement those are
assumptions until the real terms are entered. A term counts as *from the
agreement* only when its `source` in the scenario file cites something and
does not say "assumption".
"""

from __future__ import annotations

from typing import Any

__all__ = ["terms_template", "terms_used"]


def _basis(*texts: Any) -> str:
    t = " ".join(str(x) for x in texts if x)
    return "assumption" if (not t.strip() or "assumption" in t.lower()) else "from the agreement"


def terms_used(sc) -> tuple[tuple[str, str, str], ...]:
    """``(term, value, basis)`` for the grant, the premium, each target and each rate-card line.

    Examples
    --------
    >>> import simkit
    >>> [t[2] for t in terms_used(simkit.load_scenario())][:2]
    ['assumption', 'assumption']
    """
    doc = sc.document.get("contract", {})
    c = sc.contract
    src = doc.get("source", "")
    out = [("grant", f"{c.grant:,.0f} {c.currency}", _basis(src)),
           ("risk premium", f"{c.premium:.1%}", _basis(src))]
    for t, raw in zip(c.targets, doc.get("targets", []), strict=False):
        out.append((f"target {t.id}", f"{t.rule}, threshold {t.threshold:.0%}, weight {t.weight:.0%}, "
                    f"denominator {t.denominator}", _basis(raw.get("source"))))
    for ln, raw in zip(c.rate_card, doc.get("rate_card", []), strict=False):
        out.append((f"rate-card line {ln.id}", f"{ln.price:,.0f} {c.currency} per outcome", _basis(raw.get("source"))))
    return tuple(out)


def _toml(v: Any) -> str:
    """Return a TOML value: whole numbers without a decimal point, other numbers exactly, text quoted."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(float(v))
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def terms_template(sc) -> str:
    """Return a contract-terms file for ``sc``: the terms it uses now, each to be replaced by the agreement's.

    Layer the edited file on the scenario (``simkit evaluate DATA --scenario norddjurs terms.toml``);
    a term whose ``source`` still says "assumption" is reported as one.

    Examples
    --------
    >>> import simkit, tomllib
    >>> text = terms_template(simkit.load_scenario())
    >>> tomllib.loads(text)["contract"]["grant"]
    5700000
    """
    c, t = sc.contract, sc.terms
    out = [
        "# Contract terms: replace each value by the signed agreement's and its `source` by the clause",
        "# (e.g. \"agreement § 4.2 [AGREEMENT]\"). A term whose source still says \"assumption\" is reported",
        "# as an assumption in every evaluation output. Layer it on the scenario:",
        "#   simkit evaluate DATA --scenario norddjurs terms.toml",
        "",
        "[contract]",
        'source = "assumption: replace with the agreement\'s clauses"',
        f"grant = {_toml(c.grant)}",
        f"premium = {_toml(c.premium)}",
    ]
    for key in ("cap", "max_loss", "max_annual_return"):
        v = getattr(c, key)
        if v is not None:
            out.append(f"{key} = {_toml(v)}")
    out.append(f"outcome_window_end = {t.outcome_window_end.isoformat()}")
    out.append(f"measurement_date = {t.measurement_date.isoformat()}")
    out.append("disbursement = [" + ", ".join(f"{{ date = {d.isoformat()}, share = {_toml(s)} }}"
                                           for d, s in t.disbursement) + "]")
    out.append("schedule = [" + ", ".join(f"{{ date = {d.isoformat()}, share = {_toml(s)} }}"
                                        for d, s in t.schedule) + "]")
    for tg in c.targets:
        out += ["", "[[contract.targets]]", f"id = {_toml(tg.id)}", f"indicator = {_toml(tg.indicator)}",
                f"threshold = {_toml(tg.threshold)}", f"weight = {_toml(tg.weight)}", f"rule = {_toml(tg.rule)}",
                f"denominator = {_toml(tg.denominator)}"]
        if tg.floor is not None:
            out.append(f"floor = {_toml(tg.floor)}")
        if tg.steps:
            out.append("steps = [" + ", ".join(f"[{_toml(a)}, {_toml(b)}]" for a, b in tg.steps) + "]")
        out.append('source = "assumption: replace with the agreement\'s clause"')
    for ln in c.rate_card:
        out += ["", "[[contract.rate_card]]", f"id = {_toml(ln.id)}", f"indicator = {_toml(ln.indicator)}",
                f"price = {_toml(ln.price)}"]
        if ln.max_count is not None:
            out.append(f"max_count = {ln.max_count}")
        if ln.cap is not None:
            out.append(f"cap = {_toml(ln.cap)}")
        out.append('source = "assumption: replace with the agreement\'s clause"')
    return "\n".join(out) + "\n"
