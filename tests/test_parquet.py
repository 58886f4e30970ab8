"""Parquet output: every draw's outputs written chunk by chunk, with the run's provenance."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simkit
from simkit.backends import BLOCK
from simkit.cli import main
from simkit.streaming import PROVENANCE_KEY, ParquetSink

pq = pytest.importorskip("pyarrow.parquet")

DRAWS = 3 * BLOCK  # three blocks: one chunk, or three


@pytest.fixture(scope="module")
def sc():
    return simkit.load_scenario()


@pytest.fixture(scope="module")
def in_memory(sc):
    return simkit.simulate(sc, DRAWS, seed=5, keep_draws=True)


def _read(path):
    f = pq.ParquetFile(path)
    return f, f.read().to_pandas()


def test_file_equals_the_draws_kept_in_memory_whatever_the_chunking(sc, in_memory, tmp_path):
    frames = []
    for chunk in (DRAWS, BLOCK):
        path = tmp_path / f"c{chunk}.parquet"
        res = simkit.simulate(sc, DRAWS, seed=5, chunk_size=chunk, parquet=path)
        f, df = _read(path)
        # row groups of PARQUET_ROW_GROUP draws whatever the chunk size (one chunk per row group made
        # the writer's footer, held in memory until the file closes, grow with every chunk)
        assert [f.metadata.row_group(i).num_rows for i in range(f.num_row_groups)] == [DRAWS]
        assert list(df.columns) == list(in_memory.draws_)
        for k, v in in_memory.draws_.items():
            np.testing.assert_array_equal(df[k].to_numpy(), v, err_msg=k)  # exactly, dtype too
            assert df[k].dtype == v.dtype, k
        # the summary of a run written to Parquet is the summary of the same run in memory
        assert res.summary()["repayment"]["mean"] == in_memory.summary()["repayment"]["mean"]
        frames.append(df)
    assert frames[0].equals(frames[1])


def test_provenance_is_in_the_key_value_metadata(sc, tmp_path):
    path = tmp_path / "d.parquet"
    res = simkit.simulate(sc, BLOCK, seed=9, parquet=path)
    meta = pq.ParquetFile(path).schema_arrow.metadata
    prov = json.loads(meta[PROVENANCE_KEY.encode()])
    assert prov == json.loads(json.dumps(res.provenance.as_dict()))
    assert prov["seed"] == 9 and prov["draws"] == BLOCK and prov["scenario"]["sha256"] == sc.sha256


def test_processes_write_the_same_file(sc, in_memory, tmp_path):
    path = tmp_path / "p.parquet"
    simkit.simulate(sc, DRAWS, seed=5, chunk_size=BLOCK, workers=2, backend="processes", parquet=path)
    _, df = _read(path)
    for k, v in in_memory.draws_.items():
        np.testing.assert_array_equal(df[k].to_numpy(), v, err_msg=k)


def test_keep_draws_bounds_memory_while_the_file_has_every_draw(sc, in_memory, tmp_path):
    path = tmp_path / "k.parquet"
    res = simkit.simulate(sc, DRAWS, seed=5, chunk_size=BLOCK, keep_draws=BLOCK, parquet=path)
    assert res.n_kept == BLOCK
    _, df = _read(path)
    assert len(df) == DRAWS
    np.testing.assert_array_equal(df["repayment"].to_numpy(), in_memory.draws_["repayment"])


def test_a_failed_run_leaves_no_file(sc, tmp_path):
    path = tmp_path / "x.parquet"
    with pytest.raises(simkit.errors.InputError):
        simkit.simulate(sc, nested=(2, 2), seed=1, parquet=path)
    assert list(tmp_path.iterdir()) == []


def test_cli_writes_parquet(tmp_path, capsys):
    path = tmp_path / "r.parquet"
    assert main(["run", "--draws", "1500", "--seed", "3", "--no-range", "--parquet", str(path)]) == 0
    f, df = _read(path)
    assert len(df) == 1500
    assert json.loads(f.schema_arrow.metadata[PROVENANCE_KEY.encode()])["seed"] == 3


def test_cli_refuses_an_input_as_output_and_a_missing_folder(tmp_path, capsys):
    layer = tmp_path / "layer.toml"
    layer.write_text("")
    before = layer.read_text()
    assert main(["run", "norddjurs_v1", str(layer), "--draws", "100", "--parquet", str(layer)]) == 2
    err = capsys.readouterr().err
    assert "--parquet" in err and "input" in err and "Traceback" not in err
    assert layer.read_text() == before
    assert main(["run", "--draws", "100", "--parquet", str(tmp_path / "nope" / "r.parquet")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["layer.toml"]


@given(chunks=st.lists(st.integers(0, 9), min_size=1, max_size=12), group=st.integers(1, 7))
@settings(max_examples=60)
def test_row_groups_have_a_fixed_size_whatever_the_chunks(tmp_path_factory, chunks, group):
    path = tmp_path_factory.mktemp("rg") / "g.parquet"
    total = sum(chunks)
    with ParquetSink(path, {"seed": 0}, row_group_rows=group) as sink:
        start = 0
        for n in chunks:
            sink.write({"x": np.arange(start, start + n, dtype=float), "k": np.arange(start, start + n) % 2 == 0})
            start += n
    f = pq.ParquetFile(path)
    sizes = [f.metadata.row_group(i).num_rows for i in range(f.num_row_groups)]
    # full groups of `group` rows, then the rest (none when the total is a multiple of it)
    assert sizes == [group] * (total // group) + ([total % group] if total % group else [])
    t = f.read()
    assert t.column("x").to_pylist() == [float(i) for i in range(total)]
    assert t.column("k").to_pylist() == [i % 2 == 0 for i in range(total)]
    assert t.schema.names == ["x", "k"]
