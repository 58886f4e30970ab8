"""Packaging: environment.yml agrees with pyproject.toml; the wheel carries the default scenario."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _req(spec: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*(.*)$", spec)
    assert m, spec
    return m.group(1).lower().replace("_", "-"), m.group(3).replace(" ", "")


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    py = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wanted = dict(_req(s) for s in py["project"]["dependencies"] + py["dependency-groups"]["dev"])
    wanted["python"] = py["project"]["requires-python"].replace(" ", "")
    conda = {}
    text = (ROOT / "environment.yml").read_text()
    deps = text.split("dependencies:", 1)[1]
    for line in deps.splitlines():
        m = re.match(r"^  - ([^#\s:]+)\s*$", line)
        if m and m.group(1) != "pip":
            name, ver = _req(m.group(1))
            conda[name] = ver
    assert conda == wanted


@pytest.mark.skipif(shutil.which("uv") is None, reason="needs uv (installed by .ci/run)")
def test_wheel_install_runs_the_embedded_default_from_anywhere(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(["uv", "build", "--wheel", "-o", str(dist), str(ROOT)], check=True, capture_output=True)
    wheel = next(dist.glob("simkit-*.whl"))
    import zipfile

    assert "simkit/_data/scenarios/norddjurs_v1.toml" in zipfile.ZipFile(wheel).namelist()
    venv = tmp_path / "venv"
    subprocess.run(["uv", "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run(["uv", "pip", "install", "-q", "--python", str(py), str(wheel)], check=True)
    work = tmp_path / "elsewhere"
    work.mkdir()
    out = subprocess.run([str(venv / "bin" / "simkit"), "run", "--draws", "2000", "--json", "r.json"],
                         cwd=work, capture_output=True, text=True, check=True)
    assert "P(budget-neutral)" in out.stdout
    assert json.loads((work / "r.json").read_text())["draws"] == 2000


def test_top_level_api_and_light_import():
    code = ("import sys, simkit; assert 'pandas' not in sys.modules, 'import simkit loads pandas'; "
            "from simkit import evaluate, synthesize, simulate, load_scenario; "
            "assert callable(evaluate) and callable(synthesize); print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"
