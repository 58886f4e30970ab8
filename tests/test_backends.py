"""The chunk runner (simkit.backends): same outputs whatever the chunking, backend or arrival order.

The toy chunk functions live in ``tests/_chunks.py`` (worker processes import
them); their expected outputs are written out here from their definition
(block ``b`` has its own stream), not taken from a run. One LocalCluster with
two worker processes is started for the whole module.
"""

from __future__ import annotations

import json
import os
import platform
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simkit
from simkit import backends
from simkit.backends import BLOCK, chunk_bounds, pick_backend, run_chunks
from simkit.cli import main
from simkit.errors import InputError

from . import _chunks
from ._chunks import block_normals

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    """simkit's own LocalCluster of 2 single-threaded worker processes (started once)."""
    c = backends._local_client(2)
    yield c
    backends._close_local(2)


def _expected(seed: int, draws: int) -> dict:
    nblocks = -(-draws // BLOCK)
    z = np.concatenate([block_normals(seed, k) for k in range(nblocks)])[:draws]
    return {"index": np.arange(draws), "z": z, "pair": np.stack([z, 2 * z], axis=1),
            "head": np.arange(min(draws, 1500))}


def _job(seed):
    return lambda a, b: (seed, a, b)


def _check_toy(out: dict, seed: int, draws: int, chunk: int) -> None:
    exp = _expected(seed, draws)
    for k, v in exp.items():
        np.testing.assert_array_equal(out[k], v, err_msg=k)
    bounds = [(a, min(a + chunk, draws)) for a in range(0, draws, chunk)]
    assert out["label"] == [f"{a}-{b}" for a, b in bounds]


# ---------------------------------------------------------------- chunks and collection


def test_chunks_are_whole_blocks():
    assert chunk_bounds(1, None) == [(0, 1)]
    assert chunk_bounds(2048, None) == [(0, 2048)]
    # 3,000 rounds down to 2 blocks; 100 rounds up to one block
    assert chunk_bounds(7000, 3000) == [(0, 2048), (2048, 4096), (4096, 6144), (6144, 7000)]
    assert chunk_bounds(2500, 100) == [(0, 1024), (1024, 2048), (2048, 2500)]


@settings(max_examples=25, deadline=None)
@given(draws=st.integers(1, 6 * BLOCK), blocks=st.integers(1, 4), data=st.data())
def test_collect_gives_the_same_output_for_any_arrival_order(draws, blocks, data):
    bounds = chunk_bounds(draws, blocks * BLOCK)
    chunks = [_chunks.toy_chunk((3, a, b)) for a, b in bounds]
    order = data.draw(st.permutations(range(len(bounds))))
    out = backends._collect(((i, chunks[i]) for i in order), bounds, ragged=("head",))
    _check_toy(out, 3, draws, blocks * BLOCK)


def test_collect_refuses_per_draw_output_of_the_wrong_length():
    with pytest.raises(ValueError, match="'x' has shape"):
        backends._collect([(0, {"x": np.zeros(3)})], [(0, 4)], ragged=())


@pytest.mark.parametrize(("backend", "chunk"), [("serial", BLOCK), ("serial", 3 * BLOCK), ("processes", BLOCK),
                                              ("processes", 3 * BLOCK), ("dask", BLOCK)])
def test_local_backends_give_the_defined_outputs(backend, chunk):
    draws = 5 * BLOCK + 17
    out = run_chunks(_job(11), draws, chunk_fn=_chunks.toy_chunk, chunk_size=chunk, workers=2,
                     backend=backend, ragged=("head",))
    _check_toy(out, 11, draws, chunk)


def test_distributed_backend_gives_the_defined_outputs(client):
    draws = 5 * BLOCK + 17
    out = run_chunks(_job(11), draws, chunk_fn=_chunks.toy_chunk, chunk_size=BLOCK, backend="distributed",
                     scheduler=client, ragged=("head",))
    _check_toy(out, 11, draws, BLOCK)


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="'serial', 'processes', 'dask', 'distributed'"):
        run_chunks(_job(1), 10, chunk_fn=_chunks.toy_chunk, backend="threads")


def test_pick_backend():
    assert pick_backend(None, 1) == "serial"
    assert pick_backend(None, 3) == "processes"
    assert pick_backend(None, 1, "tcp://127.0.0.1:8786") == "distributed"
    assert pick_backend("dask", 3, "tcp://127.0.0.1:8786") == "dask"


def test_pick_backend_reads_the_environment(monkeypatch):
    monkeypatch.setenv("SIMKIT_SCHEDULER", "tcp://127.0.0.1:8786")
    assert pick_backend(None, 1) == "distributed"


# ---------------------------------------------------------------- shared input


@pytest.mark.parametrize("backend", ["processes", "distributed"])
def test_shared_input_is_sent_once_not_per_chunk(backend, client):
    _chunks.PICKLED["count"] = 0
    draws = 8 * BLOCK  # 8 chunks
    out = run_chunks(_job(2), draws, chunk_fn=_chunks.shared_chunk, shared=_chunks.CountingShared(100),
                     chunk_size=BLOCK, workers=2, backend=backend, scheduler=client)
    np.testing.assert_array_equal(out["index"], np.arange(draws) + 100)
    # processes: once per worker at most (0 when the pool forks); distributed: one scatter
    assert _chunks.PICKLED["count"] <= 2 < len(chunk_bounds(draws, BLOCK))


def test_cluster_workers_tune_malloc_before_their_first_chunk_but_not_the_caller(client):
    run_chunks(_job(1), 4 * BLOCK, chunk_fn=_chunks.toy_chunk, chunk_size=BLOCK, backend="distributed",
               scheduler=client, ragged=("head",))
    tuned = client.run(lambda: backends._WORKER.get("malloc"))  # None: ran no chunk
    assert (platform.libc_ver()[0] == "glibc") in tuned.values()
    assert "malloc" not in backends._WORKER  # this (the calling) process is left alone


def test_the_simkit_program_tunes_its_own_malloc_but_main_called_with_arguments_does_not(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(backends, "tune_malloc", lambda: calls.append(1) or True)
    assert main(["validate", "norddjurs"]) == 0  # a caller's process (this test, a script): left alone
    assert calls == []
    monkeypatch.setattr(sys, "argv", ["simkit", "validate", "norddjurs"])
    assert main() == 0  # the program (`simkit ...`, `python -m simkit ...`): its own process
    assert calls == [1]
    assert "scenario OK" in capsys.readouterr().out


# ---------------------------------------------------------------- failures are retried


@pytest.mark.parametrize("how", ["raise", "die"])
def test_a_chunk_that_fails_once_is_retried_with_identical_outputs(client, tmp_path, how):
    marker = tmp_path / "failed-once"
    draws = 4 * BLOCK
    out = run_chunks(lambda a, b: ((5, a, b), str(marker), how), draws, chunk_fn=_chunks.flaky_chunk,
                     chunk_size=BLOCK, backend="distributed", scheduler=client, ragged=("head",))
    assert marker.exists()  # the chunk did fail once
    _check_toy(out, 5, draws, BLOCK)
    client.wait_for_workers(2, timeout=240)  # a killed worker is back before the next test (slow on a loaded machine)


def test_without_retries_the_failure_reaches_the_caller(client, tmp_path):
    marker = tmp_path / "failed-once"
    with pytest.raises(RuntimeError, match="fails once"):
        run_chunks(lambda a, b: ((5, a, b), str(marker), "raise"), 4 * BLOCK, chunk_fn=_chunks.flaky_chunk,
                   chunk_size=BLOCK, backend="distributed", scheduler=client, retries=0)


# ---------------------------------------------------------------- the dask backend and a cluster


def test_dask_backend_uses_an_active_client(client):
    worker_pids = set(client.run(os.getpid).values())
    with client.as_current():
        out = run_chunks(_job(1), 4 * BLOCK, chunk_fn=_chunks.pid_chunk, chunk_size=BLOCK, workers=2,
                         backend="dask")
    assert set(np.unique(out["pid"])) <= worker_pids  # before: dask's local processes, the cluster idle


def test_bad_scheduler_address_is_a_clear_input_error():
    with pytest.raises(InputError, match="scheduler: got 'nonsense://'"):
        run_chunks(_job(1), 10, chunk_fn=_chunks.toy_chunk, backend="distributed", scheduler="nonsense://")


# ---------------------------------------------------------------- the simulation on every backend


def _summary(res) -> str:
    return json.dumps(res.summary(), sort_keys=True)


@pytest.fixture(scope="module")
def reference(default_scenario):
    return simkit.simulate(default_scenario, 3 * BLOCK + 100, seed=17)


@pytest.mark.parametrize("chunk", [BLOCK, 3 * BLOCK])
@pytest.mark.parametrize("backend", ["serial", "processes", "distributed"])
def test_simulation_is_bit_identical_on_every_backend(default_scenario, reference, client, backend, chunk):
    res = simkit.simulate(default_scenario, 3 * BLOCK + 100, seed=17, chunk_size=chunk, workers=2,
                          backend=backend, scheduler=client if backend == "distributed" else None)
    assert _summary(res) == _summary(reference)
    assert res.draws_.keys() == reference.draws_.keys()
    for k, v in reference.draws_.items():
        np.testing.assert_array_equal(res.draws_[k], v, err_msg=k)
    np.testing.assert_array_equal(res.curve_, reference.curve_)


def test_simulation_on_the_dask_backend_with_an_active_client(default_scenario, reference, client):
    # (the dask backend on its local scheduler: tests/test_engine.py)
    def executed(dask_worker):
        return dask_worker.state.executed_count

    before = sum(client.run(executed).values())
    with client.as_current():
        res = simkit.simulate(default_scenario, 3 * BLOCK + 100, seed=17, chunk_size=BLOCK, workers=2,
                              backend="dask")
    assert sum(client.run(executed).values()) - before == 4  # the 4 chunks ran on the cluster (before: 0)
    assert _summary(res) == _summary(reference)
    for k, v in reference.draws_.items():
        np.testing.assert_array_equal(res.draws_[k], v, err_msg=k)


def test_cli_run_with_scheduler_gives_the_serial_json(tmp_path, client, monkeypatch, capsys):
    a, b, c = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"
    assert main(["run", "--draws", "2500", "--seed", "3", "--json", str(a)]) == 0
    assert main(["run", "--draws", "2500", "--seed", "3", "--json", str(b), "--chunk-size", "1024",
                 "--scheduler", client.scheduler.address]) == 0
    monkeypatch.setenv("SIMKIT_SCHEDULER", client.scheduler.address)
    assert main(["run", "--draws", "2500", "--seed", "3", "--json", str(c), "--chunk-size", "1024"]) == 0
    assert a.read_text() == b.read_text() == c.read_text()
    capsys.readouterr()


def test_cli_run_bad_scheduler_exits_2_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["run", "--draws", "100", "--json", str(out), "--scheduler", "nonsense://"]) == 2
    err = capsys.readouterr().err
    assert "scheduler" in err and "nonsense://" in err and "Traceback" not in err
    assert not out.exists()


def test_simulate_picks_the_backend_from_scheduler_and_workers(default_scenario, reference, client):
    on_cluster = simkit.simulate(default_scenario, 3 * BLOCK + 100, seed=17, scheduler=client)
    on_processes = simkit.simulate(default_scenario, 3 * BLOCK + 100, seed=17, workers=2, chunk_size=BLOCK)
    for res in (on_cluster, on_processes):
        assert _summary(res) == _summary(reference)
