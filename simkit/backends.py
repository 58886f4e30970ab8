"""Chunk runners: serial, worker processes, dask and dask.distributed.

The runner knows nothing about the model. It cuts ``draws`` into chunks of
whole blocks of :data:`BLOCK` draws, asks ``job_for(start, stop)`` for each
chunk's job, runs ``chunk_fn(job)`` (or ``chunk_fn(shared, job)``) somewhere
and writes the outputs into arrays in draw order. A model whose random
streams are keyed by block (as :mod:`simkit.engine`'s are) therefore gives
bit-identical results whatever the chunk size, the number of workers, the
backend or the order in which chunks finish.

Backends
--------
``"serial"``
    In this process, one chunk after the other.
``"processes"``
    A pool of ``workers`` local processes. Each worker receives ``chunk_fn``
    and ``shared`` once, through its initializer, and then only the small
    per-chunk jobs; its malloc is tuned (see :data:`MALLOC_ENV`), as is that
    of every dask worker that runs simkit's chunks.
``"distributed"``
    A dask.distributed cluster: ``scheduler`` (a ``Client`` or an address
    such as ``"tcp://10.0.0.5:8786"``), else the ``SIMKIT_SCHEDULER``
    environment variable, else the active ``Client``, else a ``LocalCluster``
    of worker processes with one thread each (``workers`` of them, or one per
    core when ``workers`` is 1), started once per Python process. ``shared``
    is scattered to every worker once; each chunk is one task. dask reruns a
    chunk that raised (up to ``retries`` times) and reschedules one whose
    worker died (its ``allowed-failures`` setting).
``"dask"``
    The dask graph on dask's local process scheduler; when a dask.distributed
    ``Client`` is active (or ``scheduler`` is given) it runs as
    ``"distributed"`` on that client instead.

The workers of a ``LocalCluster`` are started by re-importing the calling
script, and so are those of ``"processes"`` on platforms that do not fork: a
plain script that uses them needs the ``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import platform
import sys
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any

import numpy as np

from simkit.errors import InputError, Problem

__all__ = ["BACKENDS", "BLOCK", "DEFAULT_CHUNK", "DISTRIBUTED_CHUNK", "MALLOC_ENV", "SCHEDULER_ENV", "chunk_bounds",
           "default_workers", "pick_backend", "run_chunks", "tune_malloc"]

BLOCK = 1024
DEFAULT_CHUNK = 2 * BLOCK
#: default chunk on a dask.distributed cluster: each task costs the scheduler and the
#: client a few ms, so tasks are larger there (about 190 MB per worker for the default)
DISTRIBUTED_CHUNK = 8 * BLOCK
BACKENDS = ("serial", "processes", "dask", "distributed")
SCHEDULER_ENV = "SIMKIT_SCHEDULER"
CONNECT_TIMEOUT = "20s"

#: glibc malloc settings for the worker processes that run chunks. A chunk
#: allocates and frees tens of MB of temporaries; with glibc's defaults (and,
#: in dask workers, the nanny's ``MALLOC_TRIM_THRESHOLD_=65536``) that memory
#: goes back to the kernel after every chunk and is page-faulted in again by
#: the next one, which costs a worker about a third more CPU. Keeping up to
#: 256 MB of freed heap (and serving blocks up to 32 MB from the heap, not
#: ``mmap``) stops the churn. Applied with ``mallopt`` by a worker before its
#: first chunk (the process pool's initializer; a dask worker's first simkit
#: task) and by the ``simkit`` command's own process, never by ``simulate`` in
#: a caller's process (a notebook, a script); results are the same without it.
MALLOC_ENV = {"MALLOC_TRIM_THRESHOLD_": 256 << 20, "MALLOC_MMAP_THRESHOLD_": 32 << 20}
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # <malloc.h>


def default_workers() -> int:
    """Worker count for "use the machine": the CPU count, at most 8.

    Examples
    --------
    >>> 1 <= default_workers() <= 8
    True
    """
    return max(1, min(os.cpu_count() or 1, 8))


def pick_backend(backend: str | None, workers: int = 1, scheduler: Any = None) -> str:
    """Pick the backend to use when the caller may leave it open (the command line's default).

    ``backend`` if given; else "distributed" when a scheduler is named (an
    argument or the ``SIMKIT_SCHEDULER`` environment variable), "processes"
    for ``workers > 1``, "serial" otherwise.

    Examples
    --------
    >>> pick_backend(None, 1, "tcp://10.0.0.5:8786"), pick_backend("serial", 4)
    ('distributed', 'serial')
    """
    if backend is not None:
        return backend
    if scheduler is not None or os.environ.get(SCHEDULER_ENV):
        return "distributed"
    return "processes" if workers > 1 else "serial"


def chunk_bounds(draws: int, chunk_size: int | None = None) -> list[tuple[int, int]]:
    """Chunks ``[start, stop)`` of whole blocks of :data:`BLOCK` draws (the last may be short).

    ``chunk_size`` is rounded down to whole blocks (at least one block).

    Examples
    --------
    >>> chunk_bounds(5000, 2048)
    [(0, 2048), (2048, 4096), (4096, 5000)]
    >>> chunk_bounds(3000, 1500)
    [(0, 1024), (1024, 2048), (2048, 3000)]
    """
    chunk = DEFAULT_CHUNK if chunk_size is None else max(BLOCK, (int(chunk_size) // BLOCK) * BLOCK)
    return [(a, min(a + chunk, draws)) for a in range(0, draws, chunk)]


def run_chunks(
    job_for: Callable[[int, int], Any],
    draws: int,
    *,
    chunk_fn: Callable[..., dict[str, Any]],
    shared: Any = None,
    chunk_size: int | None = None,
    workers: int = 1,
    backend: str = "serial",
    progress: bool = False,
    scheduler: Any = None,
    ragged: Collection[str] = (),
    merge: Collection[str] = (),
    retries: int = 2,
    sinks: Mapping[str, Callable[[Any], None]] | None = None,
) -> dict[str, Any]:
    """Run ``chunk_fn`` on every chunk of ``draws`` and join the outputs in draw order.

    Parameters
    ----------
    job_for : callable ``(start, stop) -> job``
        Builds the (picklable, small) job of the draws ``[start, stop)``;
        called in this process, in draw order.
    draws : int
        Total number of draws.
    chunk_fn : callable
        A picklable top-level function: ``chunk_fn(job)``, or
        ``chunk_fn(shared, job)`` when ``shared`` is given. It returns a dict
        of outputs: arrays with one row per draw of the chunk, the keys in
        ``ragged`` (arrays with any number of rows, or absent), and any other
        objects (collected in lists, in draw order).
    shared : object, optional
        A large input that every chunk needs (a scenario, tables). It is sent
        to each worker once (process initializer, ``scatter``), not per chunk.
    chunk_size : int, optional
        Draws per chunk, rounded down to whole blocks (default
        :data:`DEFAULT_CHUNK`; :data:`DISTRIBUTED_CHUNK` on a cluster). Bounds
        each worker's memory.
    workers : int
        Worker processes ("processes", "dask", a new ``LocalCluster``).
    backend : {"serial", "processes", "dask", "distributed"}
        Where chunks run (module docstring). Outputs are identical.
    progress : bool
        A tqdm progress bar over chunks (if tqdm is installed).
    scheduler : distributed.Client or str, optional
        The dask.distributed cluster ("distributed", "dask"); default the
        ``SIMKIT_SCHEDULER`` environment variable, then the active client.
    ragged : collection of str
        Output keys whose arrays are concatenated in draw order whatever their
        length (e.g. a curve kept for the first draws only).
    merge : collection of str
        Output keys whose values are accumulators, combined in draw order as
        chunks arrive with ``first.merge(next)`` (which returns the merged
        value), so nothing per chunk is kept (streamed summaries).
    retries : int
        Times dask.distributed reruns a chunk that raised (a chunk whose
        worker died is rescheduled anyway). A chunk is a pure function of its
        job, so a rerun gives the same outputs.
    sinks : mapping of str to callable, optional
        Output keys whose values are handed, in draw order, to ``sinks[key](value)``
        in this process and then dropped (e.g. rows written to a file chunk by chunk).

    Returns
    -------
    dict
        Per-draw arrays of length ``draws``; ragged arrays; lists of objects.

    Examples
    --------
    >>> import numpy as np
    >>> out = run_chunks(lambda a, b: (a, b), 3000, chunk_fn=_example_chunk, chunk_size=1024)
    >>> out["index"][[0, 1023, 1024, 2999]].tolist()
    [0, 1023, 1024, 2999]
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, got {backend!r}")
    if draws < 1:
        raise ValueError(f"draws must be >= 1, got {draws}")
    if backend == "dask" and (scheduler is not None or os.environ.get(SCHEDULER_ENV) or _default_client()):
        backend = "distributed"  # a dask.distributed cluster is there: use it, not the local scheduler
    if chunk_size is None and backend == "distributed":
        chunk_size = DISTRIBUTED_CHUNK
    bounds = chunk_bounds(draws, chunk_size)
    has_shared = shared is not None
    if backend == "distributed":
        results = _run_distributed(job_for, bounds, chunk_fn, shared, has_shared, workers, scheduler,
                                   retries)
    elif backend == "serial" or workers <= 1 or len(bounds) == 1:
        results = ((i, _call(chunk_fn, shared, has_shared, job_for(a, b))) for i, (a, b) in enumerate(bounds))
    elif backend == "processes":
        results = _run_processes(job_for, bounds, chunk_fn, shared, has_shared, workers)
    else:
        results = _run_dask_local(job_for, bounds, chunk_fn, shared, has_shared, workers)
    return _collect(_progress(results, progress, total=len(bounds)), bounds, ragged, merge, sinks or {})


def _example_chunk(job: tuple[int, int]) -> dict[str, np.ndarray]:
    a, b = job
    return {"index": np.arange(a, b)}


def _call(chunk_fn, shared, has_shared: bool, job):
    return chunk_fn(shared, job) if has_shared else chunk_fn(job)


# ---------------------------------------------------------------- output


def _collect(results: Iterable[tuple[int, dict]], bounds: list[tuple[int, int]],
             ragged: Collection[str], merge: Collection[str] = (),
             sinks: Mapping[str, Callable[[Any], None]] | None = None) -> dict[str, Any]:
    """Write chunk outputs into arrays allocated once, in draw order.

    ``results`` yields ``(chunk index, outputs)`` in any order; a chunk that
    arrives early waits (at most the backend's window of chunks in flight)
    until the chunks before it are written, so the output is the same for
    every arrival order and peak memory stays bounded.
    """
    out: dict[str, Any] = {}
    total = bounds[-1][1]
    pending: dict[int, dict] = {}
    nxt = 0
    sinks = sinks or {}

    def write(i: int, r: dict) -> None:
        a, b = bounds[i]
        for k, v in r.items():
            if k in sinks:
                sinks[k](v)
            elif k in merge:
                out[k] = v if k not in out else out[k].merge(v)
            elif k in ragged or not isinstance(v, np.ndarray):
                out.setdefault(k, []).append(v)
            else:
                if v.shape[:1] != (b - a,):
                    raise ValueError(f"chunk output {k!r} has shape {v.shape}; expected {b - a} rows "
                                     "(one per draw), or list the key in ragged=")
                if k not in out:
                    out[k] = np.empty((total, *v.shape[1:]), dtype=v.dtype)
                out[k][a:b] = v

    for i, r in results:
        pending[i] = r
        while nxt in pending:
            write(nxt, pending.pop(nxt))
            nxt += 1
    if nxt != len(bounds):  # pragma: no cover - a backend lost a chunk
        raise RuntimeError(f"{len(bounds) - nxt} of {len(bounds)} chunks did not return")
    for k in ragged:
        if k in out:
            out[k] = np.concatenate(out[k])
    return out


def _progress(it, show: bool, total: int | None = None):
    if not show:
        return it
    # start-up speed: tqdm (a progress bar on stderr) loads only when a bar is shown, on a terminal
    from tqdm import tqdm

    return tqdm(it, total=total, unit="chunk", file=sys.stderr, leave=False)


# ---------------------------------------------------------------- processes

_WORKER: dict[str, Any] = {}


def tune_malloc() -> bool:
    """Apply :data:`MALLOC_ENV` to this process's glibc malloc (no-op elsewhere); True if applied.

    Called by a worker process before its first chunk, and by the ``simkit``
    program and the benchmark when run as programs (their own processes, which
    run serial chunks too); never by :func:`simkit.simulate` in the caller's
    process.

    Examples
    --------
    >>> MALLOC_ENV["MALLOC_TRIM_THRESHOLD_"] // 2**20  # MB of freed heap a worker keeps
    256
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        ok = libc.mallopt(_M_MMAP_THRESHOLD, MALLOC_ENV["MALLOC_MMAP_THRESHOLD_"])
        ok &= libc.mallopt(_M_TRIM_THRESHOLD, MALLOC_ENV["MALLOC_TRIM_THRESHOLD_"])
    except (OSError, AttributeError):  # pragma: no cover - unusual libc
        return False
    return bool(ok)


def _tune_once(caller: int | None = None) -> None:
    if "malloc" not in _WORKER and os.getpid() != caller:  # never the caller's own process
        _WORKER["malloc"] = tune_malloc()


def _call_on_worker(chunk_fn, shared, has_shared: bool, job, caller: int):
    """Run a chunk on a dask worker: malloc tuned before the first one (``caller``: the caller's pid)."""
    _tune_once(caller)
    return _call(chunk_fn, shared, has_shared, job)


def _init_worker(chunk_fn, shared, has_shared: bool) -> None:
    _tune_once()
    _WORKER.update(chunk_fn=chunk_fn, shared=shared, has_shared=has_shared)


def _run_in_worker(job):
    return _call(_WORKER["chunk_fn"], _WORKER["shared"], _WORKER["has_shared"], job)


class _Window:
    """Choose which chunks to submit next.

    At most ``size`` are in flight and no chunk
    runs more than ``2 * size`` chunks ahead of the first unfinished one (which bounds
    the results waiting to be written in draw order, even while a chunk is retried).
    Chunks are submitted in batches of at least ``size // 2`` (cheaper on a cluster).
    """

    def __init__(self, n: int, size: int):
        self.n, self.size = n, max(1, size)
        self.nxt = self.lo = self.inflight = 0
        self.done: set[int] = set()

    def take(self) -> range:
        stop = min(self.n, self.lo + 2 * self.size, self.nxt + self.size - self.inflight)
        if stop <= self.nxt or (stop - self.nxt < self.size // 2 and stop < self.n):
            return range(0)
        r = range(self.nxt, stop)
        self.nxt, self.inflight = stop, self.inflight + len(r)
        return r

    def finished(self, i: int) -> None:
        self.inflight -= 1
        self.done.add(i)
        while self.lo in self.done:
            self.done.remove(self.lo)
            self.lo += 1


def _run_processes(job_for, bounds, chunk_fn, shared, has_shared, workers) -> Iterator:
    win = _Window(len(bounds), 2 * workers)
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker,
                             initargs=(chunk_fn, shared, has_shared)) as ex:
        futures: dict[Any, int] = {}
        while True:
            for i in win.take():
                futures[ex.submit(_run_in_worker, job_for(*bounds[i]))] = i
            if not futures:
                return
            for f in wait(list(futures), return_when=FIRST_COMPLETED).done:
                i = futures.pop(f)
                win.finished(i)
                yield i, f.result()


# ---------------------------------------------------------------- dask (local scheduler)


def _run_dask_local(job_for, bounds, chunk_fn, shared, has_shared, workers) -> Iterator:
    dask = _import("dask")
    run = f"simkit-{uuid.uuid4().hex[:12]}"
    sh = dask.delayed(shared, name=f"{run}-shared", traverse=False) if has_shared else None
    tasks = [dask.delayed(_call_on_worker, pure=False)(
        chunk_fn, sh, has_shared, dask.delayed(job_for(a, b), name=f"{run}-job-{i}", traverse=False),
        os.getpid(), dask_key_name=f"{run}-chunk-{i}") for i, (a, b) in enumerate(bounds)]
    yield from enumerate(dask.compute(*tasks, scheduler="processes", num_workers=workers))


# ---------------------------------------------------------------- dask.distributed

_LOCAL: dict[int, Any] = {}


def _import(name: str):
    try:
        return __import__(name)
    except ImportError as exc:  # pragma: no cover - optional
        raise RuntimeError(f"this backend needs the optional dependency: pip install 'simkit[dask]' "
                           f"({name} is not installed)") from exc


def _default_client():
    """Return the active dask.distributed Client, or None (also when distributed is not installed)."""
    try:
        from distributed import default_client  # optional dependency (dask.distributed)
    except ImportError:  # pragma: no cover - optional
        return None
    try:
        return default_client()
    except ValueError:
        return None


def _client_for(scheduler, workers: int):
    """``(client, close)``: the client to use and whether this call must close it."""
    _import("distributed")
    from distributed import Client  # optional dependency (dask.distributed)

    if isinstance(scheduler, Client):
        return scheduler, False
    address = scheduler or os.environ.get(SCHEDULER_ENV) or None
    if address:
        where = "scheduler" if scheduler else SCHEDULER_ENV
        if not isinstance(address, str):
            raise InputError(Problem(where, address, "a distributed.Client or a scheduler address "
                                                     "such as 'tcp://10.0.0.5:8786'"))
        from distributed.comm import parse_address  # optional dependency (dask.distributed)
        from distributed.comm.registry import get_backend  # optional dependency

        try:  # a malformed address fails here, before a half-built Client hangs on closing
            get_backend(parse_address(address)[0])
        except ValueError as exc:
            raise InputError(Problem(where, address, f"a scheduler address such as 'tcp://10.0.0.5:8786' "
                                                     f"({exc})")) from None
        try:
            return Client(address, set_as_default=False, timeout=CONNECT_TIMEOUT), True
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(Problem(where, address, "the address of a running dask scheduler (start one "
                                                     f"with `dask scheduler`); could not connect: {exc}")) from None
    client = _default_client()
    if client is not None:
        return client, False
    return _local_client(workers if workers > 1 else default_workers()), False


def _local_client(n: int):
    """Start a LocalCluster of ``n`` single-threaded worker processes, started once per process."""
    if n not in _LOCAL:
        from distributed import Client, LocalCluster  # optional dependency (dask.distributed)

        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0")
        client = Client(cluster, set_as_default=False)
        _LOCAL[n] = client
        atexit.register(_close_local, n)
    return _LOCAL[n]


def _close_local(n: int) -> None:
    client = _LOCAL.pop(n, None)
    if client is not None:
        cluster = client.cluster
        client.close()
        cluster.close()


def _run_distributed(job_for, bounds, chunk_fn, shared, has_shared, workers, scheduler, retries) -> Iterator:
    from distributed import as_completed  # optional dependency (dask.distributed)

    client, close = _client_for(scheduler, workers)
    try:
        sh = client.scatter(shared, broadcast=True, hash=False) if has_shared else None
        prefix = f"simkit-chunk-{uuid.uuid4().hex[:12]}"
        # a deep window: the scheduler and client cost per task falls with bigger batches
        win = _Window(len(bounds), max(32, 4 * sum(client.nthreads().values())))
        index: dict[str, int] = {}

        def submit(r: range) -> list:
            if not r:
                return []
            k = len(r)
            fs = client.map(_call_on_worker, [chunk_fn] * k, [sh] * k, [has_shared] * k,
                            [job_for(*bounds[i]) for i in r], [os.getpid()] * k, key=[f"{prefix}-{i}" for i in r], retries=retries, pure=False)
            index.update({f.key: i for f, i in zip(fs, r, strict=True)})
            return fs

        # results are fetched as chunks finish; a future is released once its result is
        # read, so the cluster holds at most the window of chunks
        done = as_completed(submit(win.take()), loop=client.loop, with_results=True)
        for f, r in done:
            i = index.pop(f.key)
            del f
            win.finished(i)
            done.update(submit(win.take()))
            yield i, r
        if sh is not None:
            sh.release()
    finally:
        if close:
            client.close()
