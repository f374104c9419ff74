"""Chunking, seeding and executors.

Trials are cut into chunks of ``chunk_trials`` (the last may be shorter); chunk *i* always gets
``np.random.SeedSequence(seed).spawn(n_chunks)[i]``. Results therefore depend on ``(seed,
chunk_trials)`` only — never on the executor or the number of workers. ``executor`` is anything
with ``.map(fn, iterable)`` returning results in order: ``None`` (serial), a
``ThreadPoolExecutor``, a ``ProcessPoolExecutor`` or a Dask ``Client(...).get_executor()``.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from jxc_rules.errors import ValidationError

__all__ = [
    "DEFAULT_CHUNK_TRIALS",
    "chunk_seeds",
    "chunk_sizes",
    "make_executor",
    "single_threaded_blas",
]

DEFAULT_CHUNK_TRIALS = 250
"""Trials per chunk unless told otherwise (part of what a result depends on)."""

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


def chunk_seeds(seed: int | np.random.SeedSequence, n_chunks: int) -> list[np.random.SeedSequence]:
    """``SeedSequence(seed).spawn(n_chunks)`` — chunk *i* gets element *i*.

    Examples
    --------
    >>> chunk_seeds(-1, 2)
    Traceback (most recent call last):
    ...
    jxc_rules.errors.ValidationError: seed must be a whole number >= 0, got -1
    """
    if isinstance(seed, np.random.SeedSequence):
        ss = seed
    elif isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValidationError(f"seed must be a whole number >= 0, got {seed!r}", field="seed",
                              value=seed)
    else:
        ss = np.random.SeedSequence(int(seed))
    return list(ss.spawn(n_chunks))


@contextlib.contextmanager
def make_executor(kind: str = "serial", workers: int | None = None) -> Iterator[Any]:
    """An executor by name (``serial`` yields None), shut down on exit.

    ``dask`` starts a small ``LocalCluster`` (``workers`` processes, one thread each).
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
