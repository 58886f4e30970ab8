"""Regenerate the synthetic example data in ``data/examples/`` (never real people).

Usage (from the repository root)::

    uv run python scripts/make_examples.py            # writes data/examples/*.csv
    uv run python scripts/make_examples.py OUT_DIR    # writes them somewhere else

Each file is one ``simkit synth`` command (listed in :data:`EXAMPLES` and in
``data/examples/README.md``); the output is byte-identical for the same
simkit version and scenario. ``tests/test_evaluation_cli.py`` regenerates the
files into a temporary folder and compares bytes, so a change to the
scenario or the engine that changes the examples fails the test until the
examples are regenerated with this script.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: seed of the Monte Carlo run; its draw 0 is the synthetic cohort. Chosen because its final
#: realisation shows the interesting case: completion just met, education/work just missed.
SEED = 41

#: file name -> arguments of ``simkit synth`` (without ``-o``)
EXAMPLES: dict[str, list[str]] = {
    "norddjurs_interim_2026-11-01.csv": [
        "synth", "norddjurs_v1", "--seed", str(SEED), "--as-of", "2026-11-01", "--dialect", "danish",
    ],
    "norddjurs_final.csv": [
        "synth", "norddjurs_v1", "--seed", str(SEED), "--as-of", "2028-04-30", "--dialect", "iso",
    ],
    # the version-2 model of the agreement (norddjurs), the same seed, in both formats
    "norddjurs_spells_interim_2026-11-01.csv": [
        "synth", "norddjurs", "--seed", str(SEED), "--as-of", "2026-11-01", "--dialect", "danish",
    ],
    "norddjurs_spells_final.csv": [
        "synth", "norddjurs", "--seed", str(SEED), "--as-of", "2028-04-30", "--dialect", "iso",
    ],
    "norddjurs_onerow_interim_2026-11-01.csv": [
        "synth", "norddjurs", "--seed", str(SEED), "--as-of", "2026-11-01", "--dialect", "danish",
        "--layout", "one-row",
    ],
    "norddjurs_onerow_final.csv": [
        "synth", "norddjurs", "--seed", str(SEED), "--as-of", "2028-04-30", "--dialect", "iso",
        "--layout", "one-row",
    ],
}

DEFAULT_DIR = Path(__file__).resolve().parents[1] / "data" / "examples"


def make_examples(out_dir: str | Path = DEFAULT_DIR) -> list[Path]:
    """Write every example into ``out_dir``; returns the paths written."""
    from simkit.cli import main

    out = Path(out_dir)
    written = []
    for name, args in EXAMPLES.items():
        path = out / name
        code = main([*args, "-o", str(path)])
        if code != 0:
            raise SystemExit(code)
        written.append(path)
    return written


if __name__ == "__main__":
    make_examples(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_DIR)
