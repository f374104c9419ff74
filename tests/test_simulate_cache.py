"""#22: a scenario file run many times is parsed and compiled once (content-hash caches), and
the cache never hands back a stale scenario: a changed file or CSV is read again."""

from __future__ import annotations

import gc
from pathlib import Path

import numpy as np
import yaml

from jxc_rules.simulate import load_scenario, run
from jxc_rules.simulate.kpis import summarize, summarize_all
from jxc_rules.simulate.runner import world_of
from jxc_rules.simulate.scenario import load_scenario_cached


def _write(path: Path, level: float, demand: object = 10.0) -> Path:
    path.write_text(yaml.safe_dump({
        "horizon": {"start": "2026-01-01", "end": "2026-02-28"}, "channels": ["dine_in"],
        "items": {"rice": {"unit": "kg", "cost_per_unit": 4, "price_per_unit": 10,
                           "initial_stock": level, "demand": {"dine_in": demand}}},
        "policy": {"order_up_to": {"rice": level}}}), encoding="utf-8")
    return path


def test_same_content_same_scenario_changed_content_read_again(tmp_path: Path) -> None:
    path = _write(tmp_path / "s.yaml", 12)
    a = load_scenario_cached(path)
    assert load_scenario_cached(path) is a
    assert load_scenario_cached(str(path)) is a
    assert load_scenario(path) is not a                    # the plain loader never caches
    _write(path, 13)
    b = load_scenario_cached(path)
    assert b is not a
    assert b.policy is not None
    assert a.policy is not None
    assert b.policy.order_up_to["rice"] == 13 != a.policy.order_up_to["rice"]


def test_a_changed_csv_is_read_again(tmp_path: Path) -> None:
    csv = tmp_path / "demand.csv"

    def rows(base: int) -> str:       # two weeks of ordinary days, every weekday
        return "date,qty\n" + "".join(f"2025-11-{day:02d},{base + day}\n"
                                       for day in range(3, 17))

    csv.write_text(rows(10), encoding="utf-8")
    path = _write(tmp_path / "s.yaml", 12, {"csv": "demand.csv", "column": "qty"})
    a = load_scenario_cached(path)
    assert load_scenario_cached(path) is a
    csv.write_text(rows(30), encoding="utf-8")
    b = load_scenario_cached(path)
    assert b is not a
    assert b.items["rice"].demand["dine_in"] != a.items["rice"].demand["dine_in"]


def test_world_reused_for_the_same_objects_only(tmp_path: Path) -> None:
    sc = load_scenario(_write(tmp_path / "s.yaml", 12))
    w = world_of(sc)
    assert world_of(sc) is w
    other = load_scenario(tmp_path / "s.yaml")
    assert world_of(other) is not w                         # another object: compiled anew
    del other
    gc.collect()


def test_a_cached_run_gives_a_fresh_runs_numbers(tmp_path: Path) -> None:
    path = _write(tmp_path / "s.yaml", 12)
    first = run(path, trials=300, seed=3)
    again = run(path, trials=300, seed=3)                   # scenario and world from the caches
    fresh = run(load_scenario(path), trials=300, seed=3)    # parsed and compiled anew
    for name in first.samples:
        np.testing.assert_array_equal(first.samples[name], again.samples[name])
        np.testing.assert_array_equal(first.samples[name], fresh.samples[name])
    assert first.kpis == fresh.kpis


def test_summaries_side_by_side_are_each_kpis_own() -> None:
    rng = np.random.default_rng(5)
    for trials in (2, 3, 129, 1000, 4097):
        samples = {f"k{i}": rng.standard_normal(trials) * 10.0 ** i for i in range(-3, 6)}
        samples["int"] = rng.poisson(3.0, trials).astype(float)
        samples["gaps"] = np.where(rng.random(trials) < 0.2, np.nan, rng.random(trials))
        samples["_raw"] = rng.random(trials)
        got = summarize_all(samples)
        assert list(got) == [k for k in samples if not k.startswith("_")]
        for name, summary in got.items():
            want = summarize(samples[name])
            for field in ("mean", "se", "p05", "p50", "p95", "std"):
                assert np.float64(getattr(summary, field)).tobytes() == \
                    np.float64(getattr(want, field)).tobytes(), (trials, name, field)
            assert summary.n == want.n
