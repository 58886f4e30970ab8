"""A fund's portfolio of agreements, correlated through shared factors.

A portfolio is a TOML file (or a folder holding ``portfolio.toml``) listing
agreements, each a scenario with its own cohort, contract and grant, and
shared **factors**: per draw, one value of each factor multiplies (or, with
``power = -1``, divides) a named parameter of every agreement that declares
it — a labour-market shock that moves all agreements' transition hazards
together. A reform is a scenario layer (dated changes) put on the agreements
that list it.

Randomness: the factors come from their own stream (``"portfolio_factors"``
in :data:`simkit.rng.STREAMS`), block by block, so every agreement sees the
same factor value in draw ``i`` (common random numbers) and the result does
not depend on the chunking. Agreement ``k`` runs with its own root seed
(stream ``"portfolio_agreements"``, key ``k``), so agreements are independent
apart from the factors. A factor multiplies the agreement's *drawn*
parameter value (the run holds the parameter at ``drawn * factor**power``
through ``fixed=``), so with a factor of standard deviation 0 every
agreement's run is exactly its stand-alone run.

Examples
--------
>>> p = load_portfolio(PORTFOLIO_EXAMPLE)
>>> len(p.agreements), p.factors[0].name
(12, 'labour_market')
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from simkit import __version__
from simkit.backends import BLOCK
from simkit.engine import _param_rows, simulate
from simkit.errors import InputError, Problem
from simkit.results import Provenance, Result
from simkit.rng import STREAMS, block_generator, root_seed
from simkit.scenario import load_scenario
from simkit.sensitivity.model import scale_cohort

__all__ = ["PORTFOLIO_EXAMPLE", "TABLE_COLUMNS", "Agreement", "Factor", "Portfolio", "PortfolioResult",
           "load_portfolio", "load_portfolio_table", "simulate_portfolio"]

#: the synthetic example portfolio shipped with simkit (12 DSI-like agreements; not real ones)
PORTFOLIO_EXAMPLE = next((p for p in (Path(__file__).resolve().parent / "_data" / "portfolio" / "synthetic_dsi.toml",
                                      Path(__file__).resolve().parent.parent / "data" / "portfolio" / "synthetic_dsi.toml")
                          if p.is_file()), Path("data/portfolio/synthetic_dsi.toml"))
#: tail share for the expected shortfall (CVaR)
TAIL = 0.05


@dataclass(frozen=True)
class Factor:
    """A shared factor: lognormal with mean 1 and standard deviation ``sd`` (0: no shock)."""

    name: str
    sd: float
    source: str = ""

    def values(self, z: np.ndarray) -> np.ndarray:
        """Factor values from standard normals ``z`` (mean 1, sd :attr:`sd`).

        Examples
        --------
        >>> f = Factor("economy", 1.0)
        >>> math.isclose(f.values(np.zeros(1))[0], 1 / math.sqrt(2))  # the median exp(-s2 / 2) with s2 = log(1 + sd**2)
        True
        >>> Factor("none", 0.0).values(np.array([-2.0, 3.0])).tolist()  # no shock
        [1.0, 1.0]
        """
        if self.sd == 0:
            return np.ones_like(z)
        s2 = math.log1p(self.sd**2)
        return np.exp(math.sqrt(s2) * z - s2 / 2)


@dataclass(frozen=True)
class Agreement:
    """One agreement: its scenario and the parameters the factors scale (``factor -> (parameter, power)``)."""

    id: str
    scenario: Any = field(repr=False)
    scales: Mapping[str, tuple[str, float]] = field(default_factory=dict)

    @property
    def grant(self) -> float:
        """The fund's grant to this agreement."""
        return float(self.scenario.contract.grant)


@dataclass(frozen=True)
class Portfolio:
    """Agreements and shared factors (from :func:`load_portfolio`)."""

    name: str
    agreements: tuple[Agreement, ...]
    factors: tuple[Factor, ...]
    source: str = ""


def _fail(where: str, value: Any, expected: str) -> InputError:
    return InputError(Problem(where, value, expected))


def load_portfolio(path: str | Path) -> Portfolio:
    """Read a portfolio TOML file, or a folder holding ``portfolio.toml`` (a .csv/.xlsx table: :func:`load_portfolio_table`).

    Keys: ``[portfolio] name``; ``[[factors]] name, sd, source``;
    ``[[agreements]] id, scenario`` (an embedded scenario name or a file,
    relative to the portfolio file) with optional ``layers`` (more scenario
    files, e.g. a reform), ``cohort_size`` (the cohort scaled with
    :func:`simkit.sensitivity.scale_cohort`, grant and caps per person kept),
    ``grant`` (the grant, after scaling) and ``scales`` (``{factor =
    "parameter"}`` or ``{factor = {parameter = "...", power = -1}}``).

    Examples
    --------
    >>> p = load_portfolio(PORTFOLIO_EXAMPLE)
    >>> round(sum(a.grant for a in p.agreements) / 1e6, 1) > 0
    True
    """
    path = Path(path)
    if path.suffix.lower() in (".csv", ".xlsx"):
        return load_portfolio_table(path)
    file = path / "portfolio.toml" if path.is_dir() else path
    if not file.is_file():
        raise _fail(str(path), str(path), "a portfolio TOML file or a folder with portfolio.toml")
    try:
        doc = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _fail(file.name, "unreadable", f"valid TOML ({exc})") from None
    name = str(doc.get("portfolio", {}).get("name", file.stem))
    factors = []
    for i, f in enumerate(doc.get("factors", [])):
        where = f"{file.name}: factors[{i}]"
        if not isinstance(f, dict) or not isinstance(f.get("name"), str):
            raise _fail(f"{where}.name", f.get("name") if isinstance(f, dict) else f, "a factor name")
        sd = f.get("sd", 0.0)
        if isinstance(sd, bool) or not isinstance(sd, (int, float)) or not 0 <= sd <= 2:
            raise _fail(f"{where}.sd", sd, "a standard deviation between 0 and 2 (the factor's mean is 1)")
        factors.append(Factor(f["name"], float(sd), str(f.get("source", ""))))
    names = [f.name for f in factors]
    if len(set(names)) != len(names):
        raise _fail(f"{file.name}: factors", names, "distinct factor names")
    rows = doc.get("agreements", [])
    if not rows:
        raise _fail(f"{file.name}: agreements", None, "at least one [[agreements]] entry")
    agreements = []
    for i, a in enumerate(rows):
        agreements.append(_agreement(file, i, a, names))
    ids = [a.id for a in agreements]
    if len(set(ids)) != len(ids):
        raise _fail(f"{file.name}: agreements", ids, "distinct agreement ids")
    return Portfolio(name, tuple(agreements), tuple(factors), str(file.name))


def _agreement(file: Path, i: int, a: Any, factor_names: Sequence[str],
               loc: Callable[[str], str] | None = None) -> Agreement:
    """One agreement from its entry ``a``; ``loc(key)`` names where a key is in the file (errors)."""
    if loc is None:
        def loc(key: str) -> str:
            return f"{file.name}: agreements[{i}].{key}"
    if not isinstance(a, dict) or not isinstance(a.get("id"), str) or not a["id"]:
        raise _fail(loc("id"), a.get("id") if isinstance(a, dict) else a, "an agreement id (text)")
    base = a.get("scenario")
    if not isinstance(base, str):
        raise _fail(loc("scenario"), base, "an embedded scenario name or a scenario file")

    def resolve(s: str) -> str:
        p = file.parent / s
        return str(p) if p.suffix == ".toml" and p.is_file() else s

    layers = a.get("layers", [])
    if not isinstance(layers, list) or not all(isinstance(x, str) for x in layers):
        raise _fail(loc("layers"), layers, "a list of scenario files")
    sc = load_scenario([resolve(base), *(resolve(x) for x in layers)])
    if "cohort_size" in a:
        n = a["cohort_size"]
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise _fail(loc("cohort_size"), n, "a whole number >= 1")
        sc = scale_cohort(sc, n)
    if "grant" in a:
        g = a["grant"]
        if isinstance(g, bool) or not isinstance(g, (int, float)) or not 0 < g <= 1e12:
            raise _fail(loc("grant"), g, "a grant in the scenario's currency, > 0")
        sc = sc.with_updates({"contract": {"grant": float(g)}}, label=f"(grant {g:,.0f})")
    scales: dict[str, tuple[str, float]] = {}
    for fac, spec in dict(a.get("scales", {})).items():
        if fac not in factor_names:
            raise _fail(loc(f"scales.{fac}"), fac, f"one of the declared factors {list(factor_names)}")
        par, power = (spec, 1.0) if isinstance(spec, str) else (
            spec.get("parameter"), spec.get("power", 1.0)) if isinstance(spec, dict) else (None, None)
        if par not in sc.parameters:
            raise _fail(loc(f"scales.{fac}"), par,
                        f"an uncertain parameter of {sc.name!r}: {sorted(sc.parameters)}")
        if isinstance(power, bool) or not isinstance(power, (int, float)) or not -4 <= power <= 4:
            raise _fail(loc(f"scales.{fac}.power"), power, "a number between -4 and 4")
        scales[fac] = (str(par), float(power))
    return Agreement(a["id"], sc, scales)


#: columns of a portfolio table besides the factor columns (``factor:NAME``, ``factor:NAME:power``,
#: ``factor:NAME:sd``, ``factor:NAME:source``)
TABLE_COLUMNS = ("id", "scenario", "cohort_size", "grant", "portfolio", "note")
_TABLE_REQUIRED = ("id", "scenario")


def _table_rows(file: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header and ``(row number, {column: text})`` of a CSV or xlsx table (row 1 is the header)."""
    if file.suffix.lower() == ".xlsx":
        # pandas/openpyxl only for an xlsx table (start-up speed of the command line)
        import pandas as pd

        try:
            df = pd.read_excel(file, dtype=str, keep_default_na=False, header=None)
        except Exception as exc:  # any unreadable workbook (zip, xml, openpyxl errors) gets the same message
            raise _fail(file.name, "unreadable", f"an .xlsx workbook with the table on its first sheet ({exc})") \
                from None
        table = [[str(v).strip() for v in row] for row in df.itertuples(index=False)]
    else:
        try:
            with open(file, encoding="utf-8-sig", newline="") as fh:
                table = [[c.strip() for c in row] for row in csv.reader(fh)]
        except (UnicodeDecodeError, csv.Error) as exc:
            raise _fail(file.name, "unreadable", f"a UTF-8 CSV table ({exc})") from None
    if not table:
        raise _fail(file.name, "an empty file", "a header row, then one row per agreement")
    header = table[0]
    rows = []
    for r, cells in enumerate(table[1:], start=2):
        if not any(cells):
            continue  # a blank line holds no agreement
        if len(cells) != len(header):
            raise _fail(f"{file.name}: row {r}", f"{len(cells)} cells", f"{len(header)} cells, one per column")
        rows.append((r, dict(zip(header, cells, strict=True))))
    return header, rows


def load_portfolio_table(path: str | Path) -> Portfolio:
    """Read a portfolio given as a table: a CSV (UTF-8, comma) or xlsx file, one row per agreement.

    Columns: ``id`` and ``scenario`` (an embedded scenario name or a scenario
    file relative to the table; more layers, e.g. a reform, after ``+``:
    ``norddjurs+reform.toml``), optional ``cohort_size`` and ``grant`` (as in
    :func:`load_portfolio`; empty: the scenario's own), and for each shared
    factor ``NAME``: ``factor:NAME`` (the parameter it scales in this
    agreement; empty: none), optional ``factor:NAME:power`` (default 1),
    ``factor:NAME:sd`` (the factor's standard deviation, the same on every
    row) and optional ``factor:NAME:source``. Optional ``portfolio`` (the
    name, the same on every row; default the file's stem) and ``note`` (free
    text, e.g. what a number's source is). The result is the same as the
    equivalent TOML portfolio's.

    Examples
    --------
    >>> p = load_portfolio_table(PORTFOLIO_EXAMPLE.with_suffix(".csv"))
    >>> q = load_portfolio(PORTFOLIO_EXAMPLE)
    >>> [a.id for a in p.agreements] == [a.id for a in q.agreements], p.factors == q.factors
    (True, True)
    """
    file = Path(path)
    if not file.is_file():
        raise _fail(str(path), str(path), "a portfolio table (.csv or .xlsx file)")
    header, rows = _table_rows(file)
    name_of = file.name
    factor_names: list[str] = []
    for c, col in enumerate(header, start=1):
        parts = col.split(":")
        ok = col in TABLE_COLUMNS or (parts[0] == "factor" and len(parts) in (2, 3) and parts[1]
                                      and (len(parts) == 2 or parts[2] in ("power", "sd", "source")))
        if not ok:
            raise _fail(f"{name_of}: row 1, column {c}", col,
                        f"a column name: one of {list(TABLE_COLUMNS)} or factor:NAME, factor:NAME:power, "
                        "factor:NAME:sd, factor:NAME:source")
        if len(parts) == 2 and parts[0] == "factor":
            factor_names.append(parts[1])
    if len(set(header)) != len(header):
        dup = sorted({h for h in header if header.count(h) > 1})
        raise _fail(f"{name_of}: row 1", dup, "each column once")
    for need in _TABLE_REQUIRED:
        if need not in header:
            raise _fail(f"{name_of}: row 1", header, f"a column {need!r}")
    for col in header:
        parts = col.split(":")
        if parts[0] == "factor" and len(parts) == 3 and parts[1] not in factor_names:
            raise _fail(f"{name_of}: row 1, column {header.index(col) + 1}", col,
                        f"a column factor:{parts[1]} as well (the parameter the factor scales)")
    if not rows:
        raise _fail(name_of, "no rows", "one row per agreement after the header")

    def where(r: int, col: str) -> str:
        return f"{name_of}: row {r}, column {col!r}"

    def constant(col: str, default: str) -> str:
        if col not in header:
            return default
        r0, first = rows[0][0], rows[0][1][col]
        for r, cells in rows:
            if cells[col] != first:
                raise _fail(where(r, col), cells[col], f"the same value on every row ({first!r} on row {r0})")
        return first

    factors = []
    for f in factor_names:
        text = constant(f"factor:{f}:sd", "")
        try:
            sd = float(text)
        except ValueError:
            raise _fail(where(rows[0][0], f"factor:{f}:sd"), text,
                        "the factor's standard deviation, a number between 0 and 2 (the factor's mean is 1)") from None
        if not 0 <= sd <= 2:
            raise _fail(where(rows[0][0], f"factor:{f}:sd"), text,
                        "a standard deviation between 0 and 2 (the factor's mean is 1)")
        factors.append(Factor(f, sd, constant(f"factor:{f}:source", "")))
    name = constant("portfolio", "") or file.stem

    agreements = []
    for i, (r, cells) in enumerate(rows):
        entry: dict[str, Any] = {"id": cells["id"]}
        layers = [s.strip() for s in cells["scenario"].split("+")]
        if not all(layers):
            raise _fail(where(r, "scenario"), cells["scenario"],
                        "an embedded scenario name or a scenario file, more layers after '+'")
        entry["scenario"], entry["layers"] = layers[0], layers[1:]
        for col, kind in (("cohort_size", int), ("grant", float)):
            text = cells.get(col, "")
            if text:
                try:
                    entry[col] = kind(text)
                except ValueError:
                    expected = "a whole number >= 1" if kind is int else "a grant in the scenario's currency, > 0"
                    raise _fail(where(r, col), text, expected) from None
        scales: dict[str, Any] = {}
        for f in factor_names:
            par = cells[f"factor:{f}"]
            power_text = cells.get(f"factor:{f}:power", "")
            if not par:
                if power_text:
                    raise _fail(where(r, f"factor:{f}:power"), power_text,
                                f"empty (no parameter in column factor:{f} on this row)")
                continue
            try:
                power = float(power_text) if power_text else 1.0
            except ValueError:
                raise _fail(where(r, f"factor:{f}:power"), power_text, "a number between -4 and 4") from None
            scales[f] = {"parameter": par, "power": power}
        entry["scales"] = scales

        def loc(key: str, r: int = r) -> str:
            col = {"id": "id", "scenario": "scenario", "layers": "scenario", "cohort_size": "cohort_size",
                   "grant": "grant"}.get(key)
            if col is None:  # scales.NAME or scales.NAME.power
                bits = key.split(".")
                col = f"factor:{bits[1]}" + (":power" if len(bits) > 2 else "")
            return where(r, col)

        agreements.append(_agreement(file, i, entry, factor_names, loc))
    ids = [a.id for a in agreements]
    if len(set(ids)) != len(ids):
        twice = next(a for a in ids if ids.count(a) > 1)
        second = [r for r, cells in rows if cells["id"] == twice][1]
        raise _fail(where(second, "id"), twice, "distinct agreement ids (it is on an earlier row too)")
    return Portfolio(name, tuple(agreements), tuple(factors), file.name)


def factor_draws(portfolio: Portfolio, draws: int, *, seed: int) -> np.ndarray:
    """(draws, factors) factor values, block by block of the ``"portfolio_factors"`` stream.

    Examples
    --------
    >>> f = factor_draws(load_portfolio(PORTFOLIO_EXAMPLE), 3000, seed=1)
    >>> f.shape, bool((f > 0).all())
    ((3000, 1), True)
    """
    k = len(portfolio.factors)
    z = np.empty((draws, k))
    for b in range(-(-draws // BLOCK)):
        lo, hi = b * BLOCK, min(draws, (b + 1) * BLOCK)
        zb = block_generator(seed, "portfolio_factors", b).standard_normal((BLOCK, max(k, 1)))
        z[lo:hi] = zb[: hi - lo, :k]
    return np.column_stack([f.values(z[:, j]) for j, f in enumerate(portfolio.factors)]) if k else z


def agreement_seed(seed: int, k: int) -> int:
    """Root seed of agreement ``k`` in a portfolio run with root ``seed`` (stream ``"portfolio_agreements"``).

    Examples
    --------
    >>> agreement_seed(1, 0) != agreement_seed(1, 1)
    True
    """
    ss = np.random.SeedSequence(seed, spawn_key=(STREAMS["portfolio_agreements"], k))
    return int(ss.generate_state(1, np.uint64)[0] >> np.uint64(1))


def _year_shares(items, years: Sequence[int]) -> np.ndarray:
    """Cumulative share paid by the end of each calendar year."""
    return np.array([sum(sh for d, sh in items if _as_date(d).year <= y) for y in years])


def _as_date(d: Any) -> date:
    return d if isinstance(d, date) else date.fromisoformat(str(d))


@dataclass(frozen=True, repr=False)
class PortfolioResult(Result):
    """The fund's view of a portfolio run (:func:`simulate_portfolio`).

    Attributes
    ----------
    ids : tuple of str
        Agreement ids.
    grants : ndarray (agreements,)
    repayment : ndarray (draws, agreements)
        Nominal repayment of each agreement per draw.
    factors : ndarray (draws, factors)
    years : tuple of int
        Calendar years of the capital-recycling view.
    out_share, in_share : ndarray (agreements, years)
        Cumulative share of the grant disbursed, of the repayment paid, by each year's end.
    provenance : Provenance
        The one provenance format (:class:`simkit.results.Provenance`): the
        portfolio's name and a hash over its agreements' scenarios as the
        scenario, the agreements' scenario names as sources, and in ``extra``
        the portfolio, its factors and each agreement's scenario.
    """

    ids: tuple[str, ...]
    grants: np.ndarray
    repayment: np.ndarray
    factors: np.ndarray
    years: tuple[int, ...]
    out_share: np.ndarray
    in_share: np.ndarray
    provenance: Provenance

    @property
    def total(self) -> np.ndarray:
        """Total repayment per draw."""
        return self.repayment.sum(axis=1)

    @property
    def loss(self) -> np.ndarray:
        """(draws, agreements) loss of each agreement: grant minus repayment (negative: a gain)."""
        return self.grants[None, :] - self.repayment

    def tail(self) -> np.ndarray:
        """Draws in the worst :data:`TAIL` share by total loss (ties by draw order).

        Examples
        --------
        >>> import simkit.portfolio as pf
        >>> p = pf.load_portfolio(pf.PORTFOLIO_EXAMPLE)
        >>> res = pf.simulate_portfolio(pf.Portfolio(p.name, p.agreements[:1], p.factors), 64, seed=1)
        >>> t, loss = res.tail(), res.loss.sum(axis=1)
        >>> t.size, bool(loss[t].min() >= np.delete(loss, t).max())  # ceil(0.05 * 64) draws, none lost less
        (4, True)
        """
        loss = self.loss.sum(axis=1)
        k = max(1, math.ceil(TAIL * loss.size))
        return np.argsort(-loss, kind="stable")[:k]

    def summary(self) -> dict[str, Any]:
        """Return the stable JSON structure: the fund's distribution, risk contributions, capital recycling.

        Examples
        --------
        >>> import simkit.portfolio as pf
        >>> p = pf.load_portfolio(pf.PORTFOLIO_EXAMPLE)
        >>> s = pf.simulate_portfolio(pf.Portfolio(p.name, p.agreements[:1], p.factors), 64, seed=1).summary()
        >>> a = s["agreements"][0]  # one agreement: all the variance and all the tail loss are its own
        >>> s["draws"], s["tail_draws"], round(a["variance_share"], 12), a["cvar_contribution"] == s["expected_shortfall_05"]
        (64, 4, 1.0, True)
        >>> a["repayment_mean"] == s["total_repayment"]["mean"], s["grant_total"] == a["grant"]
        (True, True)
        """
        tot, G = self.total, float(self.grants.sum())
        n = tot.size
        L = self.loss
        Lt = L.sum(axis=1)
        tail = self.tail()
        var_t = float(np.var(Lt, ddof=1)) if n > 1 else 0.0
        cov = [float(np.cov(L[:, i], Lt, ddof=1)[0, 1]) if n > 1 else 0.0 for i in range(L.shape[1])]
        es = float(Lt[tail].mean())
        q = np.quantile(tot, [0.05, 0.5, 0.95])
        mult = tot / G
        agreements = []
        for i, a in enumerate(self.ids):
            r = self.repayment[:, i]
            agreements.append({
                "id": a, "grant": float(self.grants[i]), "repayment_mean": float(r.mean()),
                "repayment_sd": float(r.std(ddof=1)) if n > 1 else 0.0,
                "p_loss": float(np.mean(r < self.grants[i])),
                "variance_share": cov[i] / var_t if var_t > 0 else math.nan,
                "cvar_contribution": float(L[tail, i].mean())})
        pos = self.repayment @ self.in_share - (self.grants @ self.out_share)[None, :]
        years = [{"year": y, "cash_out": float(self.grants @ self.out_share[:, j]),
                  "cash_in_mean": float((self.repayment @ self.in_share[:, j]).mean()),
                  "position_mean": float(pos[:, j].mean()), "position_q05": float(np.quantile(pos[:, j], 0.05)),
                  "position_q95": float(np.quantile(pos[:, j], 0.95)),
                  "p_recycled": float(np.mean(pos[:, j] >= 0))} for j, y in enumerate(self.years)]
        prov = self.provenance
        return {
            "simkit_version": prov.simkit_version, "portfolio": prov.extra["portfolio"], "seed": prov.seed,
            "draws": prov.draws, "factors": prov.extra["factors"], "scenarios": prov.extra["scenarios"],
            "grant_total": G,
            "total_repayment": {"mean": float(tot.mean()),
                                "mean_se": float(tot.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan,
                                "sd": float(tot.std(ddof=1)) if n > 1 else 0.0,
                                "q05": float(q[0]), "q50": float(q[1]), "q95": float(q[2])},
            "multiple_mean": float(mult.mean()),
            "p_loss": float(np.mean(tot < G)),
            "expected_shortfall_05": es,
            "tail_draws": int(tail.size),
            "agreements": agreements,
            "capital": years,
        }

    def to_dict(self) -> dict[str, Any]:
        """Return :meth:`summary` with the run's ``provenance`` (the stable JSON of ``simkit portfolio --json``).

        Examples
        --------
        >>> import simkit.portfolio as pf
        >>> p = pf.load_portfolio(pf.PORTFOLIO_EXAMPLE)
        >>> d = pf.simulate_portfolio(pf.Portfolio(p.name, p.agreements[:1], p.factors), 64, seed=1).to_dict()
        >>> d["provenance"]["seed"] == d["seed"] == 1, d["provenance"]["portfolio"] == p.name
        (True, True)
        """
        return {**self.summary(), "provenance": self.provenance.as_dict()}

    def to_text(self) -> str:
        """Return the plain-text summary (:meth:`text`).

        Examples
        --------
        >>> import simkit.portfolio as pf
        >>> p = pf.load_portfolio(pf.PORTFOLIO_EXAMPLE)
        >>> res = pf.simulate_portfolio(pf.Portfolio(p.name, p.agreements[:1], p.factors), 64, seed=1)
        >>> text = res.to_text()
        >>> text == res.text(), text.splitlines()[2].split("   ")[0]  # one agreement's grant of 5.7 m
        (True, 'Grants 5,700,000')
        """
        return self.text()

    def text(self) -> str:
        """Plain-text summary (what ``simkit portfolio`` prints).

        Examples
        --------
        >>> import simkit.portfolio as pf
        >>> p = pf.load_portfolio(pf.PORTFOLIO_EXAMPLE)
        >>> small = pf.Portfolio(p.name, p.agreements[:1], p.factors)
        >>> lines = pf.simulate_portfolio(small, 64, seed=1).text().splitlines()
        >>> lines[0] == f"{p.name}  (64 draws, seed 1, 1 agreements)", lines[7].split()[0] == p.agreements[0].id
        (True, True)
        """
        s = self.summary()
        t = s["total_repayment"]
        lines = [f"{s['portfolio']}  ({s['draws']:,} draws, seed {s['seed']}, {len(self.ids)} agreements)", "",
                 f"Grants {s['grant_total']:,.0f}   total repayment mean {t['mean']:,.0f} (MC se {t['mean_se']:,.0f})"
                 f"   sd {t['sd']:,.0f}",
                 f"  5 % / 50 % / 95 %  {t['q05']:,.0f} / {t['q50']:,.0f} / {t['q95']:,.0f}",
                 f"  multiple {s['multiple_mean']:.3f}   P(loss) {s['p_loss']:.1%}"
                 f"   expected shortfall (worst 5 %) {s['expected_shortfall_05']:,.0f}", "",
                 "Agreement               grant     mean repaid   P(loss)  share of variance  CVaR part"]
        for a in s["agreements"]:
            lines.append(f"  {a['id']:<16} {a['grant']:>12,.0f} {a['repayment_mean']:>14,.0f} {a['p_loss']:>8.1%}"
                         f" {a['variance_share']:>17.1%} {a['cvar_contribution']:>12,.0f}")
        lines += ["", "Capital (cumulative, by year end)   paid out      repaid (mean)   P(all paid out is back)"]
        for y in s["capital"]:
            lines.append(f"  {y['year']}  {y['cash_out']:>28,.0f} {y['cash_in_mean']:>16,.0f} {y['p_recycled']:>12.1%}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        """Show the text summary."""
        return self.text()

    def to_frame(self, kind: str = "agreements"):
        """``"agreements"`` (one row per agreement) or ``"capital"`` (one row per year) as pandas.

        Examples
        --------
        >>> import simkit.portfolio as pf
        >>> p = pf.load_portfolio(pf.PORTFOLIO_EXAMPLE)
        >>> small = pf.Portfolio(p.name, p.agreements[:2], p.factors)
        >>> df = pf.simulate_portfolio(small, 1024, seed=1).to_frame()
        >>> list(df.index) == [a.id for a in small.agreements]
        True
        """
        import pandas as pd  # pandas only for frames (start-up speed of the command line)

        s = self.summary()
        if kind == "agreements":
            return pd.DataFrame(s["agreements"]).set_index("id")
        if kind == "capital":
            return pd.DataFrame(s["capital"]).set_index("year")
        raise ValueError(f"kind must be 'agreements' or 'capital', got {kind!r}")


def simulate_portfolio(portfolio: Portfolio, draws: int = 10_000, *, seed: Any = None, workers: int = 1,
                       backend: str | None = None, scheduler: Any = None,
                       chunk_size: int | None = None) -> PortfolioResult:
    """Simulate every agreement of a portfolio with the shared factors; the fund's view.

    Each agreement is one :func:`simkit.simulate` run (on any backend; results
    are bit-identical whatever ``workers``, ``backend`` or ``chunk_size``).

    Parameters
    ----------
    portfolio : Portfolio
    draws : int
    seed : None, int, SeedSequence or Generator
        Root seed of the portfolio run.
    workers, backend, scheduler, chunk_size
        As for :func:`simkit.simulate`.

    Returns
    -------
    PortfolioResult

    Examples
    --------
    >>> p = load_portfolio(PORTFOLIO_EXAMPLE)
    >>> res = simulate_portfolio(Portfolio(p.name, p.agreements[:2], p.factors), 1024, seed=3)
    >>> res.repayment.shape
    (1024, 2)
    """
    seed = root_seed(seed)
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 2:
        raise _fail("draws", draws, "a whole number >= 2")
    F = factor_draws(portfolio, draws, seed=seed)
    col = {f.name: j for j, f in enumerate(portfolio.factors)}
    reps: list = []
    grants: list = []
    years_all: set[int] = set()
    for k, ag in enumerate(portfolio.agreements):
        sk = agreement_seed(seed, k)
        fixed = {}
        if ag.scales:
            drawn = _param_rows(ag.scenario, sk, 0, draws)
            for fac, (par, power) in ag.scales.items():
                fixed[par] = drawn[par] * F[:, col[fac]] ** power
        res = simulate(ag.scenario, draws, seed=sk, fixed=fixed or None, workers=workers, backend=backend,
                       scheduler=scheduler, chunk_size=chunk_size, curve_draws=0, keep_draws=True)
        reps.append(np.asarray(res.draws_["repayment"], dtype=float))
        grants.append(ag.grant)
        t = ag.scenario.terms
        years_all.update(_as_date(d).year for d, _ in (*t.disbursement, *t.schedule))
    years = tuple(range(min(years_all), max(years_all) + 1))
    out_share = np.array([_year_shares(a.scenario.terms.disbursement, years) for a in portfolio.agreements])
    in_share = np.array([_year_shares(a.scenario.terms.schedule, years) for a in portfolio.agreements])
    scenarios = {a.id: {"name": a.scenario.name, "sha256": a.scenario.sha256} for a in portfolio.agreements}
    digest = hashlib.sha256(json.dumps(scenarios, sort_keys=True).encode()).hexdigest()
    prov = Provenance(__version__, portfolio.name, digest, tuple(a.scenario.name for a in portfolio.agreements),
                      seed, draws, extra={"portfolio": portfolio.name,
                                          "factors": [{"name": f.name, "sd": f.sd} for f in portfolio.factors],
                                          "scenarios": scenarios})
    return PortfolioResult(tuple(a.id for a in portfolio.agreements), np.array(grants), np.column_stack(reps), F,
                           years, out_share, in_share, prov)
