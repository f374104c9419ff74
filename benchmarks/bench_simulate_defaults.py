"""The simulator on the path users take (#22): ``run()`` with its **default** settings.

Rows, at 1k, 10k and 100k trials (× ``--scale``) of a one-item Poisson base-stock year (mean 10,
S = 12, zero lead time), each beside a naive vectorised numpy simulator of the same system in the
same run (one ``rng.poisson`` per day for all trials, ``min(S, demand)`` sold): goal ≥ 2× naive.
Then the same with stock-age tracking on, beside the run with it off: goal ratio ≥ 0.77 (age
costs ≤ 1.3×). Each operation names the engine's memory estimate per trial, the measured peak
per trial of a chunk, and the chunk it chose.
``check`` holds the two simulators to the same fill rate (the analytic one, E[min(D, S)] / E[D]).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from _harness import Baseline, Case
from scipy.stats import poisson

from jxc_rules.simulate import load_scenario, run
from jxc_rules.simulate.engine import bytes_per_trial
from jxc_rules.simulate.executors import auto_chunk_trials
from jxc_rules.simulate.plan import compile_plan, compile_world

MEAN, LEVEL, DAYS = 10.0, 12, 365
_TMP = Path(tempfile.mkdtemp(prefix="jxc-bench-defaults-"))


def _scenario(track_age: bool) -> Path:
    path = _TMP / f"base-stock-age-{track_age}.yaml"
    path.write_text(yaml.safe_dump({
        "horizon": {"start": "2026-01-01", "end": "2026-12-31"},
        "channels": ["dine_in"],
        "track_stock_age": track_age,
        "items": {"rice": {"unit": "kg", "cost_per_unit": 4, "price_per_unit": 10,
                           "initial_stock": LEVEL, "demand": {"dine_in": MEAN}}},
        "policy": {"order_up_to": {"rice": LEVEL}},
    }), encoding="utf-8")
    return path


def naive_fill_rate(trials: int, seed: int = 0) -> float:
    """The naive way: stock S every morning, Poisson demand, vectorised over trials."""
    rng = np.random.default_rng(seed)
    sold = np.zeros(trials)
    wanted = np.zeros(trials)
    for _ in range(DAYS):
        demand = rng.poisson(MEAN, trials)
        sold += np.minimum(demand, LEVEL)
        wanted += demand
    return float(sold.sum() / wanted.sum())


def _analytic_fill_rate() -> float:
    k = np.arange(LEVEL + 200)
    return float((np.minimum(k, LEVEL) * poisson.pmf(k, MEAN)).sum() / MEAN)


def _memory_note(path: Path, trials: int) -> str:
    """The engine's estimate per trial, the chunk it chose, and the measured peak of the
    run's allocations (tracemalloc, one run; results of every chunk included) per trial."""
    import tracemalloc

    sc = load_scenario(path)
    world = compile_world(sc)
    per_trial = bytes_per_trial(world, (compile_plan(sc, world),))
    chunk = auto_chunk_trials(per_trial, trials)
    tracemalloc.start()
    try:
        run(path, trials=trials, seed=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return (f"{per_trial} B/trial estimated, peak {peak / min(trials, chunk) / 1e3:.1f} kB per "
            f"trial of a chunk, chunk {chunk}")


def cases(scale: float) -> list[Case]:
    out: list[Case] = []
    no_age, with_age = _scenario(False), _scenario(True)
    truth = _analytic_fill_rate()
    for full in (1_000, 10_000, 100_000):
        trials = max(100, int(full * scale))

        def ours(trials: int = trials) -> Any:
            return run(no_age, trials=trials, seed=1)

        def ours_age(trials: int = trials) -> Any:
            return run(with_age, trials=trials, seed=1)

        def naive(trials: int = trials) -> float:
            return naive_fill_rate(trials)

        def check(trials: int = trials) -> None:
            fill = run(no_age, trials=trials, seed=2).kpis["fill_rate"]
            assert abs(fill.mean - truth) < 5 * fill.se + 1e-4, (fill.mean, truth)
            assert abs(naive_fill_rate(trials, 3) - truth) < 2e-3
            aged = run(with_age, trials=trials, seed=2).kpis["fill_rate"]
            assert aged.mean == fill.mean  # age tracking changes no decision

        size = trials * DAYS
        out.append(Case(
            f"simulate defaults: Poisson base-stock, {trials} trials "
            f"({_memory_note(no_age, trials)})", size, ours,
            [Baseline("naive numpy simulator", naive)],
            unit="item-trial-days", target="ratio >= 2", check=check))
        out.append(Case(
            f"simulate defaults: same with stock-age tracking, {trials} trials "
            f"({_memory_note(with_age, trials)})", size, ours_age,
            [Baseline("same, age tracking off", ours), Baseline("naive numpy simulator", naive)],
            unit="item-trial-days", target="ratio vs age off >= 0.77"))
    return out
