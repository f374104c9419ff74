"""Chunking, seeding and executors.

**Random numbers depend on the seed only.** Every random number is addressed, not drawn in sequence:
the uniforms of trial *t* on day *d* for stream *s* (weather, demand) sit at a fixed position of
a counter-based Philox stream whose key comes from ``SeedSequence(seed)`` and whose counter is
``(position, d, s, 0)`` (Salmon et al. 2011, "Parallel random numbers: as easy as 1, 2, 3").
A chunk of trials ``[first, first + n)`` reads its own slice of each day's stream, so the result
is bit-identical whatever the chunking, the executor or the number of workers.

**The engine chooses the chunking.** :func:`auto_chunk_trials` takes the largest chunk whose
working set (bytes per trial, estimated from the compiled world) fits a memory budget
(``memory_mb``, default :data:`DEFAULT_MEMORY_MB` or the ``JXC_RULES_SIM_MEMORY_MB``
environment variable) — large chunks amortise the day loop's per-day Python overhead — cut into
at least eight chunks for large runs so that workers have work, the same way whatever the
executor. ``chunk_trials`` may still be given. Every trial sees the same random numbers under any
chunking; the KPIs then agree to the last bits a matrix product's summation order can move
(≈ 1e-15 relative: BLAS picks kernels by matrix size), and are bit-identical for the same
chunking — so, by default, whatever the executor.

``executor`` is anything with ``.map(fn, iterable)`` returning results in order: ``None``
(serial), a ``ThreadPoolExecutor``, a ``ProcessPoolExecutor`` or a Dask
``Client(...).get_executor()``.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from jxc_rules.errors import ValidationError

__all__ = [
    "DEFAULT_CHUNK_TRIALS",
    "DEFAULT_MEMORY_MB",
    "auto_chunk_trials",
    "chunk_seeds",
    "chunk_sizes",
    "make_executor",
    "seed_key",
    "single_threaded_blas",
]

DEFAULT_CHUNK_TRIALS = 250
"""The fixed chunk size of releases before 0.2 (results then depended on it); kept for callers
that name it. The engine now chooses the chunk size (:func:`auto_chunk_trials`)."""

DEFAULT_MEMORY_MB = 256
"""Working-set budget of one chunk, in MB (a laptop runs two such chunks side by side)."""

_MAX_AUTO_CHUNK = 1 << 20


MIN_CHUNK_FOR_SPLIT = 2048
"""Chunks are never cut below this many trials to make more of them: below it the day loop's
per-day Python overhead is no longer amortised."""

PARALLEL_CHUNKS = 8
"""Runs large enough are cut into at least this many chunks, so that 2, 4 or 8 workers have work
— whatever the executor, so that the chunking (and so every last bit of a result) does not
depend on which executor runs it."""


def auto_chunk_trials(bytes_per_trial: int, trials: int, executor: Any = None, *,
                      memory_mb: float | None = None) -> int:
    """Trials per chunk: the largest chunk within ``memory_mb``, and at least
    :data:`PARALLEL_CHUNKS` chunks when each still holds :data:`MIN_CHUNK_FOR_SPLIT` trials.

    ``executor`` is accepted for callers that have one but deliberately not used: the same run
    on a laptop and on a cluster is cut the same way, so it gives the same bits (the random
    numbers never depend on the chunking; a matrix product's rounding can, in the last bit).

    Examples
    --------
    >>> auto_chunk_trials(1_000, 10_000, memory_mb=256)
    10000
    >>> auto_chunk_trials(1_000, 100_000, memory_mb=256)
    12500
    >>> auto_chunk_trials(100_000, 100_000, memory_mb=256)
    2684
    """
    del executor
    if memory_mb is None:
        env = os.environ.get("JXC_RULES_SIM_MEMORY_MB")
        try:
            memory_mb = float(env) if env else float(DEFAULT_MEMORY_MB)
        except ValueError:
            raise ValidationError(f"JXC_RULES_SIM_MEMORY_MB must be a number of MB, got {env!r}",
                                  field="JXC_RULES_SIM_MEMORY_MB", value=env) from None
    if (isinstance(memory_mb, bool) or not isinstance(memory_mb, (int, float))
            or not math.isfinite(memory_mb) or memory_mb <= 0):
        raise ValidationError(f"memory_mb must be a number of MB > 0, got {memory_mb!r}",
                              field="memory_mb", value=memory_mb)
    by_memory = max(1, int(memory_mb * 2**20 // max(int(bytes_per_trial), 1)))
    size = min(int(trials), by_memory, _MAX_AUTO_CHUNK)
    split = math.ceil(int(trials) / PARALLEL_CHUNKS)
    if split >= MIN_CHUNK_FOR_SPLIT:
        size = min(size, split)
    return max(1, size)


def seed_key(seed: int | np.random.SeedSequence) -> tuple[int, int]:
    """The Philox key of ``seed``: two 64-bit words from ``SeedSequence(seed)``.

    Examples
    --------
    >>> seed_key(0) == seed_key(np.random.SeedSequence(0))
    True
    >>> seed_key(-1)
    Traceback (most recent call last):
    ...
    jxc_rules.errors.ValidationError: seed must be a whole number >= 0, got -1
    """
    words = _seed_sequence(seed).generate_state(2, np.uint64)
    return int(words[0]), int(words[1])

EXECUTORS = ("serial", "threads", "processes", "dask")


def chunk_sizes(trials: int, chunk_trials: int = DEFAULT_CHUNK_TRIALS) -> list[int]:
    """Trials of each chunk.

    Examples
    --------
    >>> chunk_sizes(600, 250)
    [250, 250, 100]
    """
    if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or trials < 1:
        raise ValidationError(f"trials must be a whole number >= 1, got {trials!r}",
                              field="trials", value=trials)
    if (isinstance(chunk_trials, bool) or not isinstance(chunk_trials, (int, np.integer))
            or chunk_trials < 1):
        raise ValidationError(f"chunk_trials must be a whole number >= 1, got {chunk_trials!r}",
                              field="chunk_trials", value=chunk_trials)
    size = int(chunk_trials)
    n = math.ceil(int(trials) / size)
    return [min(size, int(trials) - k * size) for k in range(n)]


def _seed_sequence(seed: int | np.random.SeedSequence) -> np.random.SeedSequence:
    """``seed`` as a SeedSequence: a whole number >= 0 (or a SeedSequence), else ValidationError."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValidationError(f"seed must be a whole number >= 0, got {seed!r}", field="seed",
                              value=seed)
    return np.random.SeedSequence(int(seed))


def chunk_seeds(seed: int | np.random.SeedSequence, n_chunks: int) -> list[np.random.SeedSequence]:
    """``SeedSequence(seed).spawn(n_chunks)`` — chunk *i* gets element *i*.

    Examples
    --------
    >>> chunk_seeds(-1, 2)
    Traceback (most recent call last):
    ...
    jxc_rules.errors.ValidationError: seed must be a whole number >= 0, got -1
    """
    return list(_seed_sequence(seed).spawn(n_chunks))


@contextlib.contextmanager
def make_executor(kind: str = "serial", workers: int | None = None, *,
                  scheduler: str | None = None) -> Iterator[Any]:
    """An executor by name (``serial`` yields None), shut down on exit.

    ``dask`` connects to the scheduler at ``scheduler`` (or ``JXC_RULES_DASK_SCHEDULER``) when
    one is given — an existing cluster, left running on exit — and otherwise starts a small
    ``LocalCluster`` (``workers`` processes, one thread each).
    """
    if kind not in EXECUTORS:
        raise ValidationError(f"executor must be one of {', '.join(EXECUTORS)}, got {kind!r}",
                              field="executor", value=kind)
    if workers is not None and (isinstance(workers, bool)
                                or not isinstance(workers, (int, np.integer)) or workers < 1):
        raise ValidationError(f"workers must be a whole number >= 1, got {workers!r} "
                              "(omit it for the executor's default)", field="workers",
                              value=workers)
    if kind == "serial":
        yield None
        return
    if kind == "threads":
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=workers) as pool:
            yield pool
        return
    if kind == "processes":
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            yield pool
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - dask is an optional extra
        raise ValidationError("executor 'dask' needs the [dask] extra "
                              "(pip install 'jxc-rules[dask]')", field="executor") from exc
    scheduler = scheduler or os.environ.get("JXC_RULES_DASK_SCHEDULER") or None
    if scheduler:
        from jxc_rules.errors import ExecutorError

        try:
            client = Client(scheduler, timeout=10)  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError) as exc:
            raise ExecutorError(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}; "
                                "check the address (tcp://HOST:8786) and that it runs") from exc
        try:
            yield client.get_executor()  # type: ignore[no-untyped-call]
        finally:
            client.close()  # type: ignore[no-untyped-call]
        return
    with LocalCluster(n_workers=workers or 2, threads_per_worker=1,  # type: ignore[no-untyped-call]
                      processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:  # type: ignore[no-untyped-call]
        yield client.get_executor()


_BLAS: list[tuple[Any, Any]] = []
_BLAS_SEARCHED: list[bool] = []


def _openblas() -> list[tuple[Any, Any]]:
    """``(set_num_threads, get_num_threads)`` of every OpenBLAS this process loaded (Linux;
    empty elsewhere). Found once, by scanning ``/proc/self/maps`` like ``threadpoolctl``."""
    if _BLAS_SEARCHED:
        return _BLAS
    import ctypes

    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as fh:
            paths = sorted({line.split()[-1] for line in fh
                            if "openblas" in line.lower() and ".so" in line})
    except OSError:
        return _BLAS
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                setter = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                getter = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                if setter is not None and getter is not None:
                    getter.restype = ctypes.c_int
                    _BLAS.append((setter, getter))
                    break
            else:
                continue
            break
    # Marked searched only once the list is complete: a thread that sees the mark sees every
    # handle (the search itself runs under _BLAS_LOCK).
    _BLAS_SEARCHED.append(True)
    return _BLAS


_BLAS_LOCK = threading.Lock()
_BLAS_STATE: dict[str, Any] = {"depth": 0, "before": []}


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run the block with one BLAS thread; the first block to enter saves the thread count and
    the last to leave restores it (safe when chunks run on a thread pool).

    The day loop's small matrix products must not spawn BLAS threads of their own: with a pool
    of worker processes they oversubscribe the cores (measured: two workers slower than one
    without this, 1.5-1.6x faster with it). A no-op where no OpenBLAS is found.
    """
    import ctypes

    # Everything shared — the handle search, the saved counts and the depth — is read and
    # written under one lock, and the handles are saved with the counts they belong to, so two
    # threads entering at once can never pair one thread's handles with another's counts
    # (the race of issue 21: ``zip() argument 2 is shorter than argument 1``).
    with _BLAS_LOCK:
        if _BLAS_STATE["depth"] == 0:
            handles = tuple(_openblas())
            _BLAS_STATE["before"] = [(setter, int(get())) for setter, get in handles]
            for setter, _ in handles:
                setter(ctypes.c_int(1))
        _BLAS_STATE["depth"] += 1
    try:
        yield
    finally:
        with _BLAS_LOCK:
            _BLAS_STATE["depth"] -= 1
            if _BLAS_STATE["depth"] == 0:
                for setter, n in _BLAS_STATE["before"]:
                    setter(ctypes.c_int(n))
                _BLAS_STATE["before"] = []
