"""Scale-out on the bundled hotpot scenario (#22): 20,000 trials (× ``--scale``) of the compare
the committee runs, serially and on two workers, in one run.

Rows: 2 worker processes (``ProcessPoolExecutor``) and a Dask ``LocalCluster(2)``, each beside
the serial run (ratio = speed-up; goals ≥ 1.8× and ≥ 1.7× on 2 cores). The operation names the
bytes one task ships (goal ≤ 50 kB: the world goes once per worker) and the chunks the engine
chose. ``check`` holds all three to the same per-trial results.
"""

from __future__ import annotations

import atexit
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
from _harness import Baseline, Case

from jxc_rules.simulate import compare, load_scenario
from jxc_rules.simulate.engine import bytes_per_trial
from jxc_rules.simulate.executors import auto_chunk_trials, seed_key
from jxc_rules.simulate.plan import compile_plan, compile_world
from jxc_rules.simulate.runner import load_rules
from jxc_rules.simulate.scaleout import LightTask, _FileRef, shipped_bytes_per_task

SCENARIO = "hotpot-spring-festival"
_KEEP: list[Any] = []


def _pool() -> ProcessPoolExecutor:
    pool = ProcessPoolExecutor(max_workers=2)
    atexit.register(pool.shutdown)
    _KEEP.append(pool)
    return pool


def _dask() -> Any:
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    client = Client(cluster)
    atexit.register(cluster.close)
    atexit.register(client.close)
    _KEEP.extend([cluster, client])
    return client.get_executor()


def _lazy(factory: Callable[[], Any]) -> Callable[[], Any]:
    """``factory()`` on first use, then the same object: the pool and the cluster start only
    when a case of this module runs (not for ``-k`` runs of other modules)."""
    made: list[Any] = []

    def get() -> Any:
        if not made:
            made.append(factory())
        return made[0]

    return get


def cases(scale: float) -> list[Case]:
    trials = max(400, int(20_000 * scale))
    sc = load_scenario(SCENARIO)
    packs = [load_rules(sc.rules.get("baseline")), load_rules(sc.rules.get("candidate"))]
    world = compile_world(sc, packs[0])
    plans = tuple(compile_plan(sc, world, p) for p in packs)
    chunk = auto_chunk_trials(bytes_per_trial(world, plans), trials)
    shipped = shipped_bytes_per_task(LightTask(_FileRef("/tmp/jxc-world.pkl", "0" * 64),
                                               seed_key(0), 0, chunk, 0))
    size = trials * world.days * len(world.item_ids) * len(plans)
    pool, dask = _lazy(_pool), _lazy(_dask)

    def serial() -> Any:
        return compare(SCENARIO, packs[0], packs[1], trials=trials, seed=4)

    def on(executor: Any) -> Any:
        return compare(SCENARIO, packs[0], packs[1], trials=trials, seed=4, executor=executor)

    def same_as_serial(executor: Callable[[], Any]) -> Callable[[], None]:
        # each row checks its own route, just before it is timed: the pool row is timed
        # without an idle Dask cluster beside it (measured: its heartbeats and monitors take
        # about a tenth of the two cores, which slowed the pool row by ≈ 10 %)
        def check() -> None:
            a, b = serial(), on(executor())
            for name in a.baseline.samples:
                np.testing.assert_array_equal(a.baseline.samples[name],
                                              b.baseline.samples[name])
                np.testing.assert_array_equal(a.candidate.samples[name],
                                              b.candidate.samples[name])
        return check

    note = f"{shipped} B per task, {-(-trials // chunk)} chunks of {chunk}"
    return [
        Case(f"simulate scale-out: hotpot compare, 2 worker processes ({note})", size,
             lambda: on(pool()), [Baseline("same, serial", serial)], unit="item-trial-days",
             target="ratio >= 1.8", check=same_as_serial(pool)),
        Case(f"simulate scale-out: hotpot compare, Dask LocalCluster(2) ({note})", size,
             lambda: on(dask()), [Baseline("same, serial", serial)], unit="item-trial-days",
             target="ratio >= 1.7", check=same_as_serial(dask)),
    ]
