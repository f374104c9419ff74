"""Scale-out that pays: the compiled world goes to each worker once, tasks carry seeds.

A chunk needs the compiled world and plans (megabytes: the demand sampler's tables) and four
numbers (the Philox key, its first trial, its size, its index). Sending the world with every
task made two Dask workers barely faster than one (378 MB pickled for 2.6 s of compute). Here:

- **Dask** (a ``distributed`` ``Client`` or its ``get_executor()``): the world and plans are
  scattered once, ``broadcast=True`` (every worker holds a copy), and tasks reference the future.
  While chunks run the client waits for each to finish (an event, no polling: the scheduler
  of a ``LocalCluster`` shares the workers' cores) and, when none finished for a second, asks
  the scheduler for its workers: when it has had no worker for
  ``JXC_RULES_DASK_NO_WORKER_S`` seconds (default 20) the run stops with an
  :class:`~jxc_rules.errors.ExecutorError` instead of waiting forever; a chunk that fails on the
  workers (after ``retries``) is an ``ExecutorError`` naming the chunk, the worker's error chained.
- **Process pools** (anything else with ``.map``): the world is written once to a private
  temporary file; each worker process loads it on its first task and keeps it in a cache keyed
  by the file's content hash.
- **Serial and thread pools** share memory: tasks carry the world itself.

Results arrive in chunk order whatever the route (they are identical: the route only moves data).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from jxc_rules.errors import ExecutorError

__all__ = ["LightTask", "dask_client_of", "run_light", "shipped_bytes_per_task"]

FloatArray = npt.NDArray[np.float64]
_CACHE: dict[str, Any] = {}


@attrs.frozen
class LightTask:
    """What travels per chunk: a reference to the shipped world and the chunk's addresses."""

    world: Any           # a path + hash (process pools) or a Dask future of (world, plans)
    key: tuple[int, int]
    first_trial: int
    trials: int
    index: int


@attrs.frozen(eq=False)
class _Shipment:
    """The compiled world and plans as one object (Dask scatters a tuple element by element)."""

    world: Any
    plans: Any


@attrs.frozen
class _FileRef:
    path: str
    digest: str


def _resolve(ref: Any) -> tuple[Any, Any]:
    if isinstance(ref, _FileRef):
        cached = _CACHE.get(ref.digest)
        if cached is None:
            with open(ref.path, "rb") as fh:
                blob = fh.read()
            if hashlib.sha256(blob).hexdigest() != ref.digest:
                raise ExecutorError(f"the shipped world file {ref.path} changed while the run "
                                    "was going on; run again")
            cached = pickle.loads(blob)
            _CACHE.clear()                     # one world per worker process at a time
            _CACHE[ref.digest] = cached
        return cached  # type: ignore[no-any-return]
    return ref  # type: ignore[no-any-return]   # Dask resolved the future to the tuple


def simulate_light(task: LightTask) -> list[dict[str, FloatArray]]:
    """A worker's side: the world from its cache, then the ordinary chunk simulation."""
    world, plans = _resolve(task.world)
    return _simulate(world, plans, task)


_MALLOC_TUNED: list[bool] = []


def _undo_dask_malloc_trim() -> None:
    """Let glibc keep freed memory for reuse in a Dask worker, once per process.

    Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536`` (so that freed memory shows
    in its memory reports); glibc then stops adapting its mmap threshold, and every day-loop
    temporary above 128 kB becomes an mmap / munmap pair with fresh page faults: measured 3×
    slower per chunk in a worker than in the client process. Raising the mmap and trim thresholds
    (64 / 128 MB) restores the client's speed; done only where that variable is set (a Dask
    worker), never in a host's own process.
    """
    if _MALLOC_TUNED or "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        return
    _MALLOC_TUNED.append(True)
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc: nothing to undo
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    mallopt(m_mmap_threshold, 64 << 20)
    mallopt(m_trim_threshold, 128 << 20)


def simulate_shipped(shipment: _Shipment, task: LightTask) -> list[dict[str, FloatArray]]:
    """A Dask worker's side: ``shipment`` is the broadcast world, resolved by Dask."""
    _undo_dask_malloc_trim()
    return _simulate(shipment.world, shipment.plans, task)


def _simulate(world: Any, plans: Any, task: LightTask) -> list[dict[str, FloatArray]]:
    from jxc_rules.simulate.engine import ChunkTask, simulate_chunk

    return simulate_chunk(ChunkTask(world, plans, task.key, task.first_trial, task.trials,
                                    task.index))


def dask_client_of(executor: Any) -> Any:
    """The ``distributed.Client`` behind ``executor`` (a Client or its executor), or None."""
    if executor is None:
        return None
    client = getattr(executor, "_client", None)
    if client is not None and hasattr(client, "scatter"):
        return client
    if hasattr(executor, "scatter") and hasattr(executor, "submit") \
            and hasattr(executor, "scheduler_info"):
        return executor
    return None


def shipped_bytes_per_task(task: LightTask) -> int:
    """Bytes one task pickles to (what a worker receives per chunk)."""
    return len(pickle.dumps(task, protocol=pickle.HIGHEST_PROTOCOL))


@contextlib.contextmanager
def _world_file(world: Any, plans: Any) -> Iterator[_FileRef]:
    blob = pickle.dumps((world, plans), protocol=pickle.HIGHEST_PROTOCOL)
    fd, path = tempfile.mkstemp(prefix="jxc-world-", suffix=".pkl")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
        yield _FileRef(path, hashlib.sha256(blob).hexdigest())
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _workers(client: Any) -> int:
    try:
        return len(client.scheduler_info().get("workers", {}))
    except Exception:  # a scheduler that does not answer has no usable workers either
        return 0


def _no_worker_limit() -> float:
    raw = os.environ.get("JXC_RULES_DASK_NO_WORKER_S", "20")
    try:
        return max(0.0, float(raw))
    except ValueError:
        return 20.0


_WATCH_S = 1.0
"""While chunks run, the client waits for the next one to finish (an event, no polling) at
most this long before it asks the scheduler how many workers it has."""


def _run_dask(client: Any, world: Any, plans: Any, light: list[LightTask],
              progress: Callable[[], None] | None,
              retries: int) -> list[list[dict[str, FloatArray]]]:
    """The chunks on a Dask cluster, the world broadcast once; results in chunk order.

    The client blocks on the next finished chunk (``distributed.wait``, FIRST_COMPLETED) and asks
    the scheduler for its workers only when nothing finished for :data:`_WATCH_S` seconds: the
    scheduler runs on the same cores as the workers of a ``LocalCluster``, and asking it every
    10 ms (about 180 requests in a 2-second run) took CPU from the chunks. Finished chunks are
    gathered together, one request per batch (from the workers themselves on a local cluster).
    """
    from distributed import wait

    address = getattr(getattr(client, "scheduler", None), "address", "the scheduler")
    try:
        shipped = client.scatter(_Shipment(world, plans), broadcast=True, hash=True)
    except Exception as exc:
        if _workers(client) == 0:
            raise ExecutorError(
                f"the Dask cluster at {address} lost all its workers with {len(light)} of "
                f"{len(light)} chunks left; start workers (dask worker ADDRESS) and run "
                "again") from exc
        raise ExecutorError(f"cannot send the simulation to the Dask cluster at {address}: "
                            f"{exc}; check that the scheduler runs and has workers") from exc
    futures = client.map(simulate_shipped, [shipped] * len(light), light, pure=False,
                         retries=retries)
    index = {f.key: i for i, f in enumerate(futures)}
    out: list[Any] = [None] * len(futures)
    limit = _no_worker_limit()
    no_workers_since: float | None = None
    pending = set(futures)
    # a client of an in-process cluster (LocalCluster) reaches its workers: results straight
    # from them, not relayed by the scheduler (which shares their cores); otherwise the client's
    # own setting (workers behind a remote scheduler may not be reachable)
    direct = True if getattr(client, "cluster", None) is not None else None

    def cancel() -> None:
        for f in futures:
            f.cancel()

    while pending:
        try:
            done = set(wait(list(pending),  # type: ignore[no-untyped-call]
                            timeout=min(_WATCH_S, max(limit, 0.05)),
                            return_when="FIRST_COMPLETED").done)
        except TimeoutError:
            done = set()
        except Exception:   # a chunk was cancelled (its data went with a worker): below
            done = {f for f in pending if f.status != "pending"}
        if not done:
            try:
                n_workers = len(client.scheduler_info().get("workers", {}))
            except Exception as exc:
                cancel()
                raise ExecutorError(f"lost the Dask scheduler at {address}: {exc}") from exc
            if n_workers == 0:
                no_workers_since = no_workers_since or time.monotonic()
                if time.monotonic() - no_workers_since > limit:
                    cancel()
                    raise ExecutorError(
                        f"the Dask cluster at {address} has had no workers for {limit:.0f} s "
                        f"with {len(pending)} of {len(futures)} chunks left; start workers "
                        "(dask worker ADDRESS) and run again, or raise "
                        "JXC_RULES_DASK_NO_WORKER_S")
            else:
                no_workers_since = None
            continue
        batch = sorted(done, key=lambda f: index[f.key])
        good = [f for f in batch if f.status == "finished"]
        if good:
            for fut, result in zip(good, client.gather(good, direct=direct), strict=True):
                out[index[fut.key]] = result
        for fut in batch:
            if fut.status == "finished":
                continue
            i = index[fut.key]
            remaining = len(pending)
            try:
                fut.result()
                raise RuntimeError(f"chunk {i} ended as {fut.status!r}")  # pragma: no cover
            except Exception as exc:
                cancel()
                if _workers(client) == 0:  # the data went with the workers: not the chunk's fault
                    raise ExecutorError(
                        f"the Dask cluster at {address} lost all its workers with {remaining} of "
                        f"{len(futures)} chunks left; start workers (dask worker ADDRESS) and "
                        "run again") from exc
                raise ExecutorError(f"chunk {i} (trials {light[i].first_trial}.."
                                    f"{light[i].first_trial + light[i].trials - 1}) failed on "
                                    f"the Dask workers after {retries} retries: "
                                    f"{type(exc).__name__}: {exc}") from exc
        pending -= done
        if progress is not None:
            for _ in batch:
                progress()
    return out


def run_light(world: Any, plans: Any, addresses: Sequence[tuple[tuple[int, int], int, int, int]],
              executor: Any, progress: Callable[[], None] | None = None,
              retries: int = 2) -> list[list[dict[str, FloatArray]]]:
    """Run the chunks ``(key, first_trial, trials, index)`` on ``executor`` (not None), the
    world shipped once; per-chunk results in chunk order."""
    light = [LightTask(None, key, first, n, k) for key, first, n, k in addresses]
    client = dask_client_of(executor)
    if client is not None:
        return _run_dask(client, world, plans, light, progress, retries)
    with _world_file(world, plans) as ref:
        out: list[list[dict[str, FloatArray]]] = []
        for result in executor.map(simulate_light, [attrs.evolve(t, world=ref) for t in light]):
            out.append(result)
            if progress is not None:
                progress()
        return out
