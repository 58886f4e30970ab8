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

__all__ = ["terms_used"]


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
