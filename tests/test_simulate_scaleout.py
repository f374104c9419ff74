"""#22 scale-out: the world goes to each worker once, an existing Dask scheduler can be used,
and a cluster that loses its last worker is a clear error, not a wait forever."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from jxc_rules.errors import ExecutorError
from jxc_rules.simulate import load_scenario, run
from jxc_rules.simulate.engine import ChunkTask
from jxc_rules.simulate.executors import make_executor, seed_key
from jxc_rules.simulate.plan import compile_plan, compile_world
from jxc_rules.simulate.runner import load_rules
from jxc_rules.simulate.scaleout import LightTask, _FileRef, shipped_bytes_per_task

ROOT = Path(__file__).resolve().parents[1]
HOTPOT = ROOT / "simulator" / "scenarios" / "hotpot-spring-festival.yaml"
PACK_10 = ROOT / "industries" / "hotpot" / "2026.10.yaml"
KW: dict[str, Any] = {"rules": PACK_10, "trials": 40, "seed": 11, "chunk_trials": 10}

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def serial() -> Any:
    return run(HOTPOT, **KW)


def _same(a: Any, b: Any) -> None:
    for name in a.samples:
        np.testing.assert_array_equal(a.samples[name], b.samples[name], err_msg=name)


def test_a_task_ships_kilobytes_not_the_world() -> None:
    import pickle

    sc = load_scenario(HOTPOT)
    world = compile_world(sc, load_rules(PACK_10))
    plans = (compile_plan(sc, world, load_rules(PACK_10)),)
    whole = len(pickle.dumps(ChunkTask(world, plans, seed_key(0), 0, 250)))
    light = shipped_bytes_per_task(LightTask(_FileRef("/tmp/x.pkl", "0" * 64), seed_key(0),
                                             0, 250, 0))
    assert light <= 50_000 < whole


def test_a_process_pool_receives_the_world_once_and_gives_the_serial_result(serial: Any) -> None:
    with ProcessPoolExecutor(max_workers=2) as pool:
        _same(serial, run(HOTPOT, executor=pool, **KW))


def test_an_existing_scheduler_at_an_address(serial: Any,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with make_executor("dask", scheduler=cluster.scheduler_address) as executor:
            _same(serial, run(HOTPOT, executor=executor, **KW))
        monkeypatch.setenv("JXC_RULES_DASK_SCHEDULER", cluster.scheduler_address)
        with make_executor("dask") as executor:   # the environment variable, as the CLI reads
            _same(serial, run(HOTPOT, executor=executor, **KW))
        assert len(cluster.workers) == 2          # the cluster is left running for its owner


def test_the_cli_runs_on_an_existing_scheduler(tmp_path: Path) -> None:
    import json

    from jxc_rules.cli import main

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        out = tmp_path / "r.json"
        code = main(["simulate", str(HOTPOT), "--rules", str(PACK_10), "--trials", "20",
                     "--scheduler", cluster.scheduler_address, "--json", str(out)])
    assert code == 0
    local = json.loads(out.read_text())
    code = main(["simulate", str(HOTPOT), "--rules", str(PACK_10), "--trials", "20",
                 "--json", str(out)])
    assert code == 0
    assert json.loads(out.read_text())["results"] == local["results"]


def test_an_unreachable_scheduler_is_a_clear_error() -> None:
    with pytest.raises(ExecutorError, match=r"cannot reach the Dask scheduler at "
                                            r"'tcp://127\.0\.0\.1:9'.*check the address"), \
            make_executor("dask", scheduler="tcp://127.0.0.1:9"):
        pass


def test_losing_the_last_worker_is_a_clear_error_within_the_timeout(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JXC_RULES_DASK_NO_WORKER_S", "2")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        def kill() -> None:
            time.sleep(1.0)
            cluster.scale(0)                      # the last worker goes; nothing replaces it

        threading.Thread(target=kill, daemon=True).start()
        start = time.monotonic()
        with pytest.raises(ExecutorError, match=r"(lost all its workers|has had no workers for "
                                                r"2 s) with \d+ of \d+ chunks left; start "
                                                r"workers"):
            run(HOTPOT, rules=PACK_10, trials=4000, seed=0, chunk_trials=20,
                executor=client.get_executor())
        assert time.monotonic() - start < 60


def test_a_chunk_that_keeps_failing_names_the_chunk() -> None:
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        from jxc_rules.simulate import scaleout

        sc = load_scenario(HOTPOT)
        world = compile_world(sc, load_rules(PACK_10))
        plans = (compile_plan(sc, world, load_rules(PACK_10)),)
        # a plans object the workers cannot simulate: a chunk fails on every retry
        with pytest.raises(ExecutorError, match=r"chunk 0 \(trials 0\.\.9\) failed on the "
                                                r"Dask workers after 1 retries"):
            scaleout.run_light(world, (plans[0], "not a plan"), [(seed_key(0), 0, 10, 0)],
                               client.get_executor(), retries=1)
