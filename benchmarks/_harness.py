"""A tiny benchmark harness: best-of-N wall time, one table, optional JSON.

Each ``benchmarks/bench_*.py`` module defines ``cases(scale: float) -> list[Case]``. A case times
our implementation against one or more baselines *in the same run* and reports the ratio
``baseline / ours`` (so 1500× means we are 1500 times faster). A slow baseline may run on a sample
of the input (``Baseline.sample``) and be scaled linearly to the full size; the table says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Baseline", "Case", "Row", "time_best"]


@dataclass(frozen=True)
class Baseline:
    """A peer implementation: ``run()`` does the work on ``sample`` items out of ``Case.size``."""

    name: str
    run: Callable[[], Any]
    sample: int | None = None  # None: the full size


@dataclass(frozen=True)
class Case:
    """``ours()`` does the work for ``size`` items; ``check()`` (optional) asserts agreement."""

    operation: str
    size: int
    ours: Callable[[], Any]
    baselines: list[Baseline] = field(default_factory=list)
    unit: str = "items"
    target: str = ""  # e.g. ">= 1e6 items/s" — printed next to the rate
    check: Callable[[], None] | None = None


@dataclass(frozen=True)
class Row:
    operation: str
    size: int
    ours_s: float
    baseline: str
    baseline_s: float | None
    ratio: float | None
    rate: float
    unit: str
    target: str
    note: str


def time_best(fn: Callable[[], Any], *, repeat: int = 3, min_time: float = 0.2) -> float:
    """Best wall time of one call of ``fn`` over ``repeat`` rounds (loops short calls)."""
    start = time.perf_counter()
    fn()
    once = time.perf_counter() - start
    loops = max(1, int(min_time / once)) if once < min_time else 1
    best = once if loops == 1 else float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        best = min(best, (time.perf_counter() - start) / loops)
    return best


def run_case(case: Case, *, repeat: int = 3) -> list[Row]:
    if case.check is not None:
        case.check()
    ours = time_best(case.ours, repeat=repeat)
    rate = case.size / ours if ours > 0 else float("inf")
    rows: list[Row] = []
    if not case.baselines:
        rows.append(Row(case.operation, case.size, ours, "-", None, None, rate, case.unit,
                        case.target, ""))
    for base in case.baselines:
        t = time_best(base.run, repeat=1 if base.sample else repeat, min_time=0.0)
        note = ""
        if base.sample and base.sample < case.size:
            t = t * case.size / base.sample
            note = f"baseline timed on {base.sample:,} and scaled"
        rows.append(Row(case.operation, case.size, ours, base.name, t, t / ours, rate,
                        case.unit, case.target, note))
    return rows
