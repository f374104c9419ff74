"""Same seed → identical results whatever runs the chunks; workers return summaries only."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from jxc_rules.simulate import compare, run
from jxc_rules.simulate.executors import chunk_sizes, make_executor

ROOT = Path(__file__).resolve().parents[1]
HOTPOT = ROOT / "simulator" / "scenarios" / "hotpot-spring-festival.yaml"
PACK_10 = ROOT / "industries" / "hotpot" / "2026.10.yaml"
KW: dict[str, Any] = {"rules": PACK_10, "trials": 48, "seed": 7, "chunk_trials": 12}


@pytest.fixture(scope="module")
def serial() -> Any:
    return run(HOTPOT, **KW)


def assert_same(a: Any, b: Any) -> None:
    assert a.samples.keys() == b.samples.keys()
    for name in a.samples:
        np.testing.assert_array_equal(a.samples[name], b.samples[name], err_msg=name)
    assert a.kpis == b.kpis


def test_threads_give_the_serial_result(serial: Any) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        assert_same(serial, run(HOTPOT, executor=pool, **KW))


def test_processes_give_the_serial_result(serial: Any) -> None:
    with ProcessPoolExecutor(max_workers=2) as pool:
        assert_same(serial, run(HOTPOT, executor=pool, **KW))


def test_a_dask_local_cluster_gives_the_serial_result(serial: Any) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        assert_same(serial, run(HOTPOT, executor=client.get_executor(), **KW))


def test_named_executors_agree_and_compare_runs_on_them(serial: Any) -> None:
    with make_executor("threads", 2) as pool:
        assert_same(serial, run(HOTPOT, executor=pool, **KW))
        res = compare(HOTPOT, PACK_10, PACK_10, trials=24, seed=1, chunk_trials=12,
                      executor=pool)
    assert {d.mean for d in res.differences.values() if d.n} == {0.0}


def test_a_different_seed_gives_a_different_result(serial: Any) -> None:
    other = run(HOTPOT, **{**KW, "seed": 8})
    assert not np.array_equal(serial.samples["fill_rate"], other.samples["fill_rate"])


def test_chunking_and_bad_arguments() -> None:
    assert chunk_sizes(25, 12) == [12, 12, 1]
    with pytest.raises(ValueError, match="trials"):
        chunk_sizes(0)
    with pytest.raises(ValueError, match="executor"), make_executor("gpu"):
        pass


def test_blas_threads_are_limited_inside_a_chunk_and_restored_after() -> None:
    from jxc_rules.simulate.executors import _openblas, single_threaded_blas

    handles = _openblas()
    before = [get() for _, get in handles]
    with single_threaded_blas(), single_threaded_blas():
        assert all(get() == 1 for _, get in handles)
    assert [get() for _, get in handles] == before


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"seed": -1}, "seed must be a whole number >= 0, got -1"),
    ({"seed": 1.5}, "seed must be"),
    ({"trials": 2.5}, "trials must be a whole number"),
    ({"chunk_trials": 2.5}, "chunk_trials must be a whole number >= 1, got 2.5"),
    ({"chunk_trials": 0}, "chunk_trials must be"),
])
def test_bad_run_arguments_name_the_argument(kwargs: dict[str, Any], words: str) -> None:
    from jxc_rules.errors import ValidationError

    with pytest.raises(ValidationError) as info:
        run(HOTPOT, **{**KW, **kwargs})
    assert words in str(info.value)
