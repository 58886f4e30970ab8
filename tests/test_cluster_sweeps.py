"""Sweeps on two workers: two-way grids, Sobol' (with inner cohort replications) and the design
command give bit-identical results on the process backend and a LocalCluster(2) to the serial run;
the two-way grid's default axes come from the scenario (either version)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import simkit
from simkit import backends
from simkit.cli import main
from simkit.sensitivity import sobol_model, twoway
from simkit.sensitivity.twoway import default_axes

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    c = backends._local_client(2)
    yield c
    backends._close_local(2)


@pytest.fixture(scope="module")
def sund():
    return simkit.load_scenario("sundinvest_2021")


def test_twoway_defaults_to_the_first_two_uncertain_parameters(sund):
    declared = [n for n, p in sund.parameters.items() if not p.dist.is_fixed]
    res = twoway(sund, n_grid=2, draws=20, seed=1)
    assert (res.x, res.y) == default_axes(sund) == tuple(declared[:2])


@pytest.mark.parametrize("backend", ["processes", "distributed"])
def test_twoway_on_two_workers_is_bit_identical(sund, client, backend, monkeypatch):
    if backend == "distributed":
        monkeypatch.setenv(backends.SCHEDULER_ENV, client.scheduler.address)
    ref = twoway(sund, n_grid=2, draws=40, seed=3)
    res = twoway(sund, n_grid=2, draws=40, seed=3, workers=2, backend=backend)
    np.testing.assert_array_equal(res.values, ref.values)
    np.testing.assert_array_equal(res.se, ref.se)


@pytest.mark.parametrize("backend", ["processes", "distributed"])
def test_sobol_with_inner_replications_on_two_workers_is_bit_identical(sund, client, backend, monkeypatch):
    if backend == "distributed":
        monkeypatch.setenv(backends.SCHEDULER_ENV, client.scheduler.address)
    kw = dict(n=16, inner=2, seed=5, n_resamples=10, batch_draws=2048)
    ref = sobol_model(sund, **kw)
    res = sobol_model(sund, workers=2, backend=backend, **kw)
    assert json.dumps(res.to_dict()["outputs"], sort_keys=True) == json.dumps(ref.to_dict()["outputs"],
                                                                             sort_keys=True)


def _json(tmp_path, name, *argv):
    out = tmp_path / name
    assert main([*argv, "--json", str(out)]) == 0
    d = json.loads(out.read_text(encoding="utf-8"))
    d.pop("seconds", None)
    return d


def test_design_and_sensitivity_commands_on_a_scheduler_give_the_serial_json(tmp_path, client):
    addr = client.scheduler.address
    for args in (["design", "sundinvest_2021", "--draws", "300", "--compare", "base", "pr:pro_rata"],
                 ["sensitivity", "sundinvest_2021", "--method", "twoway", "--grid", "2", "--draws", "20"]):
        serial = _json(tmp_path, "a.json", *args)
        cluster = _json(tmp_path, "b.json", *args, "--scheduler", addr, "--workers", "2")
        assert json.dumps(cluster, sort_keys=True) == json.dumps(serial, sort_keys=True)
