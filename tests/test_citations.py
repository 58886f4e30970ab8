"""Every citation resolves inside the repository.

Outputs, data and docstrings used to cite design notes and source documents
kept outside the repository, which a clone does not have. These tests pin
that (a) nothing in ``data/``, ``notebooks/``, ``simkit/``, ``docs/``, ``tests/``
or the README points outside any more, (b) every bracketed source key used in ``data/``
(such as ``[STAR]``) is defined once in a key table under ``docs/``, and
(c) the Danish passages quoted in ``docs/sources.md`` occur verbatim in the
full texts kept in ``docs/sources/``.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

# References to files that live outside the repository (design notes, reference
# cases and source documents shared between developers, not shipped).
OUTSIDE = ("../shared", "shared/seeds", "DESIGN.md", "REFERENCE-CASES.md")
CHECKED = ("data", "notebooks", "simkit", "README.md", "ARCHITECTURE.md", "docs", "tests")

KEY_USE = re.compile(r"\[([A-ZÆØÅ][A-Za-z0-9ÆØÅæøå-]*)\]")
KEY_DEF = re.compile(r"^\|\s*\[([^\]]+)\]\s*\|", re.MULTILINE)


def _tracked(paths: tuple[str, ...]) -> list[Path]:
    """Files under ``paths`` tracked by git (all files when git is unavailable)."""
    try:
        out = subprocess.run(["git", "ls-files", "--", *paths], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout
        files = [ROOT / line for line in out.splitlines() if line]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout (e.g. an sdist)
        files = []
        for p in paths:
            q = ROOT / p
            files += [q] if q.is_file() else [f for f in q.rglob("*") if f.is_file()]
    files = [f for f in files if "__pycache__" not in f.parts and f.is_file()]
    assert files, f"no files found under {paths}"
    return files


def _text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:  # binary (e.g. an .xlsx example)
        return None


def _defined_keys() -> dict[str, list[str]]:
    defs: dict[str, list[str]] = {}
    for md in sorted(DOCS.glob("*.md")):
        for key in KEY_DEF.findall(md.read_text(encoding="utf-8")):
            defs.setdefault(key, []).append(md.name)
    return defs


def test_nothing_cites_files_outside_the_repository() -> None:
    hits = []
    for f in _tracked(CHECKED):
        if f == Path(__file__).resolve():
            continue  # this file names the patterns it looks for
        text = _text(f)
        if text is None:
            continue
        for n, line in enumerate(text.splitlines(), 1):
            for needle in OUTSIDE:
                if needle in line:
                    hits.append(f"{f.relative_to(ROOT)}:{n}: {needle!r} in {line.strip()[:80]!r}")
    assert not hits, "citations outside the repository:\n" + "\n".join(hits)


def test_docs_define_each_key_once() -> None:
    defs = _defined_keys()
    assert {"AU-2025", "EAU-2021", "STAR", "BM-rates", "FM", "L77-2025"} <= set(defs)
    twice = {k: v for k, v in defs.items() if len(v) > 1}
    assert not twice, f"keys defined more than once: {twice}"


def test_every_key_used_in_data_is_defined_in_docs() -> None:
    defs = _defined_keys()
    used: dict[str, set[str]] = {}
    for f in _tracked(("data",)):
        if f.suffix not in (".toml", ".md"):
            continue
        for key in KEY_USE.findall(f.read_text(encoding="utf-8")):
            used.setdefault(key, set()).add(str(f.relative_to(ROOT)))
    # the scenario files do use keys: an empty set would mean the pattern broke
    assert {"AU-2025", "STAR", "FM", "L77-2025"} <= set(used)
    missing = {k: sorted(v) for k, v in used.items() if k not in defs}
    assert not missing, f"keys used in data/ but not defined in docs/: {missing}"


def test_key_pattern_reads_keys_not_toml_tables() -> None:
    line = '[budget]\n[[budget.rates.benefit]]\nsource = "[BM-rates] rate"  # [AU-2025], [SØM]'
    assert KEY_USE.findall(line) == ["BM-rates", "AU-2025", "SØM"]


def _quotes(md: str) -> list[str]:
    """Block quotes of a Markdown text (``> ...`` lines, also as list items), joined."""
    quotes, cur = [], []
    for line in md.splitlines():
        m = re.match(r"^\s*(?:\d+\.\s+)?>\s?(.*)$", line)
        if m:
            cur.append(m.group(1))
        elif cur:
            quotes.append(" ".join(cur))
            cur = []
    if cur:
        quotes.append(" ".join(cur))
    return quotes


def _norm(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("key", ["AU-2025", "EAU-2021"])
def test_quoted_passages_occur_verbatim_in_the_source_texts(key: str) -> None:
    md = (DOCS / "sources.md").read_text(encoding="utf-8")
    section = md.split(f"## [{key}]", 1)[1].split("\n## ", 1)[0]
    source = _norm((DOCS / "sources" / f"{key}.txt").read_text(encoding="utf-8"))
    quotes = _quotes(section)
    assert len(quotes) >= 2
    for q in quotes:
        for piece in (p.strip() for p in q.split("[...]")):
            assert piece and _norm(piece) in source, f"{key}: not verbatim in the source: {piece!r}"


def test_sources_md_links_the_full_texts() -> None:
    md = (DOCS / "sources.md").read_text(encoding="utf-8")
    for key in ("AU-2025", "EAU-2021"):
        assert f"sources/{key}.txt" in md
        assert (DOCS / "sources" / f"{key}.txt").stat().st_size > 1000


def test_architecture_names_every_module() -> None:
    """ARCHITECTURE.md has a word on every public module and package of simkit/."""
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    pkg = ROOT / "simkit"
    names = [f.name for f in pkg.glob("*.py") if not f.name.startswith("_")]
    names += [f"{d.name}/" for d in pkg.iterdir()
              if d.is_dir() and (d / "__init__.py").exists() and not d.name.startswith("_")]
    for sub in ("io", "sensitivity"):
        names += [f"{sub}/{f.name}" for f in (pkg / sub).glob("*.py") if not f.name.startswith("_")]
    missing = sorted(n for n in names if f"`{n}`" not in text and f"`{n.split('/')[-1]}`" not in text
                     and f"{n}`" not in text)
    assert not missing, f"modules not described in ARCHITECTURE.md: {missing}"


def test_relative_links_in_docs_resolve() -> None:
    link = re.compile(r"\]\(([^)#:]+)(?:#[^)]*)?\)")
    bad = []
    for md in [ROOT / "README.md", ROOT / "ARCHITECTURE.md", *DOCS.glob("*.md"),
               ROOT / "data" / "README.md"]:
        for target in link.findall(md.read_text(encoding="utf-8")):
            if not (md.parent / target).exists():
                bad.append(f"{md.relative_to(ROOT)} -> {target}")
    assert not bad, "broken links:\n" + "\n".join(bad)
