"""#22: the blocked day loop gives the day-by-day loop's numbers, bit for bit.

The blocked loop (``engine._simulate_blocked``, what every run uses) draws demand for a block
of days at once and adds the KPI sums per block; the day-by-day loop (``_simulate_daily``, kept
for the history export) is the reference. With random demand every per-trial KPI is identical;
with deterministic demand the day-by-day loop multiplies broadcast (Fortran-ordered) counts, so
a product over several items may round in the last bit: equal to 1e-13 there.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jxc_rules.simulate import load_scenario
from jxc_rules.simulate.engine import (
    ChunkTask,
    _seq_add,
    _simulate_blocked,
    _simulate_daily,
    block_days,
)
from jxc_rules.simulate.executors import seed_key
from jxc_rules.simulate.plan import compile_plan, compile_world
from jxc_rules.simulate.runner import load_rules
from jxc_rules.testing import scenario_mappings

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "simulator" / "scenarios"
PACKS = ROOT / "industries" / "hotpot"


def _both(sc: Any, packs: list[Any], trials: int, first: int = 0, world: Any = None,
          seed: int = 7) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Any]:
    world = world if world is not None else compile_world(sc, packs[0])
    plans = tuple(compile_plan(sc, world, p) for p in packs)
    task = ChunkTask(world, plans, seed_key(seed), first, trials)
    return _simulate_blocked(task), _simulate_daily(task), world


def _assert_same(blocked: list[dict[str, Any]], daily: list[dict[str, Any]], exact: bool
                 ) -> None:
    assert len(blocked) == len(daily)
    for a, b in zip(blocked, daily, strict=True):
        assert a.keys() == b.keys()
        for name in a:
            if exact:
                np.testing.assert_array_equal(a[name], b[name], err_msg=name)
            else:
                np.testing.assert_allclose(a[name], b[name], rtol=1e-13, atol=1e-12,
                                           err_msg=name)


def test_hotpot_compare_is_bit_identical() -> None:
    # forecasts, weather, three channels, recipes, FEFO expiry, two packs on common draws
    sc = load_scenario(SCENARIOS / "hotpot-spring-festival.yaml")
    packs = [load_rules(PACKS / "2026.10.yaml"), load_rules(PACKS / "2026.11.yaml")]
    a, b, _ = _both(sc, packs, 23, first=5)
    _assert_same(a, b, exact=True)


def _poisson_rice(tmp_path: Path, end: str, *, track_age: bool) -> Any:
    """A one-item Poisson base-stock world from 2026-01-01 to ``end`` (order up to 12 kg)."""
    doc = {"horizon": {"start": "2026-01-01", "end": end}, "channels": ["dine_in"],
           "track_stock_age": track_age,
           "items": {"rice": {"unit": "kg", "cost_per_unit": 4, "price_per_unit": 10,
                              "initial_stock": 12, "demand": {"dine_in": 10.0}}},
           "policy": {"order_up_to": {"rice": 12}}}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return load_scenario(path)


@pytest.mark.parametrize("track_age", [False, True])
@pytest.mark.parametrize(("trials", "first"), [(1, 0), (2, 3), (257, 1), (1500, 0)])
def test_a_poisson_base_stock_year_is_bit_identical(tmp_path: Path, track_age: bool,
                                                     trials: int, first: int) -> None:
    scenario = _poisson_rice(tmp_path, "2026-12-31", track_age=track_age)
    a, b, _ = _both(scenario, [None], trials, first)
    _assert_same(a, b, exact=True)


def test_short_blocks_of_many_trials_are_bit_identical(tmp_path: Path) -> None:
    # 12,000 trials with age tracking: blocks of fewer days than the arrival ring (the short
    # day loop's shipped buffers rotate then, so that the ring's rows outlive seven days)
    scenario = _poisson_rice(tmp_path, "2026-02-09", track_age=True)
    assert block_days(12_000, 3, 40) <= 7
    a, b, _ = _both(scenario, [None], 12_000, 0)
    _assert_same(a, b, exact=True)


@pytest.mark.parametrize(("loss", "retention", "lead", "dist"), list(itertools.product(
    (0.0, 0.25), (1.0, 0.5), (0, 2), ("poisson", "deterministic"))))
def test_channel_loss_shrink_and_lead_times_are_bit_identical(
        tmp_path: Path, loss: float, retention: float, lead: int, dist: str) -> None:
    doc = {"horizon": {"start": "2026-03-02", "end": "2026-04-20"}, "channels": ["dine_in"],
           "track_stock_age": True, "distribution": dist,
           "items": {"rice": {"unit": "kg", "cost_per_unit": 4, "price_per_unit": 10,
                              "initial_stock": 7, "demand": {"dine_in": 3.3}}},
           "policy": {"order_up_to": {"rice": 9.5}, "review_period_days": 2,
                      "lead_time_days": lead}}
    path = tmp_path / "l.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    sc = load_scenario(path)
    world = attrs.evolve(compile_world(sc), loss=np.array([[loss]]),
                         retention=np.array([retention]))
    a, b, _ = _both(sc, [None], 77, 2, world=world)
    _assert_same(a, b, exact=True)   # one item: exact even with deterministic demand


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(doc=scenario_mappings(max_items=4, max_days=40), age=st.booleans(),
       trials=st.integers(1, 40), first=st.integers(0, 9))
def test_generated_worlds_are_bit_identical(tmp_path_factory: Any, doc: dict[str, Any],
                                            age: bool, trials: int, first: int) -> None:
    doc["track_stock_age"] = age
    path = tmp_path_factory.mktemp("g") / "g.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    a, b, world = _both(load_scenario(path), [None], trials, first)
    _assert_same(a, b, exact=world.sampler.values is None)


@settings(max_examples=40, deadline=None)
@given(trials=st.integers(1, 70), cols=st.sampled_from([None, 1, 2, 4]),
       days=st.integers(1, 64), seed=st.integers(0, 2**32 - 1))
def test_block_sums_add_the_days_in_order(trials: int, cols: int | None, days: int,
                                          seed: int) -> None:
    rng = np.random.default_rng(seed)
    shape = (trials,) if cols is None else (trials, cols)
    total = rng.random(shape) * 1e3
    buf = np.empty((days + 1, *shape))
    buf[1:] = rng.random((days, *shape)) * 10.0 ** rng.integers(-8, 8, size=(days, *shape))
    expected = total.copy()
    for row in buf[1:]:
        expected += row
    _seq_add(total, buf)
    np.testing.assert_array_equal(total, expected)


def test_blocks_are_bounded_in_days_and_memory() -> None:
    assert block_days(1000, 1, 365) == 64
    assert block_days(10, 1, 20) == 20
    assert block_days(10**7, 3, 365) == 1
    assert block_days(12_500, 1, 365) * 12_500 <= 1 << 18


@pytest.mark.parametrize("guided", [True, False])
@pytest.mark.parametrize("kind", ["poisson", "negative_binomial"])
def test_block_draws_are_the_daily_draws(kind: str, guided: bool,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # draw_days (small tables: counts read at the guide's cells; large ones: through the CDF
    # index) gives draw()'s counts, with and without weather combinations
    from jxc_rules.simulate import demand
    from jxc_rules.simulate.scenario import Distribution

    if not guided:
        monkeypatch.setattr(demand, "_GUIDED_MAX", 0)
    rng = np.random.default_rng(11)
    means = rng.choice([0.0, 0.3, 2.5, 9.0, 40.0, 250.0], size=(6, 4, 3, 2))
    sampler = demand.build_sampler(means, Distribution(kind, dispersion=2.0
                                                       if kind != "poisson" else None))
    days, trials = 5, 17
    u = rng.random((days, trials, 3, 2))
    u[0, 0, 0, 0] = 1.0 - 2.0**-53             # the far tail: a long walk
    for combo in (None, rng.integers(0, 4, size=(days, trials))):
        out = np.empty_like(u)
        got = sampler.draw_days(1, combo, u, out)
        for j in range(days):
            want = sampler.draw(1 + j, None if combo is None else combo[j], u[j])
            np.testing.assert_array_equal(got[j], want)


@pytest.mark.parametrize("loop_cells", [1, 1 << 40])
@pytest.mark.parametrize("trials", [1, 9, 600])
def test_block_sums_by_reduction_or_day_by_day_are_bit_identical(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loop_cells: int, trials: int) -> None:
    # _seq_add adds large days one by one and small ones in one reduction; the one-item short
    # loop keeps its age columns column first (both ways of adding them): every way the same
    from jxc_rules.simulate import engine

    monkeypatch.setattr(engine, "_LOOP_ADD_CELLS", loop_cells)
    for track_age in (False, True):
        scenario = _poisson_rice(tmp_path, "2026-03-31", track_age=track_age)
        a, b, _ = _both(scenario, [None], trials, 2)
        _assert_same(a, b, exact=True)
    total = np.zeros((2, 3))
    buf = np.arange(24, dtype=np.float64).reshape(4, 2, 3) / 7.0
    expected = total + buf[1] + buf[2] + buf[3]
    engine._seq_add(total, buf)
    np.testing.assert_array_equal(total, expected)


@pytest.mark.parametrize(("trials", "review"), [(40, 1), (40, 3), (9000, 1), (9000, 2)])
def test_age_windows_across_blocks_and_review_gaps_are_bit_identical(
        tmp_path: Path, trials: int, review: int) -> None:
    # the short loop's 3- and 7-day sums across long blocks (the rows of days d-3 and d-7 in
    # the block's own buffer) and short ones (the ring rotating over several buffers), and days
    # without a review (nothing arrives)
    doc = {"horizon": {"start": "2026-01-01", "end": "2026-04-30"}, "channels": ["dine_in"],
           "track_stock_age": True,
           "items": {"rice": {"unit": "kg", "cost_per_unit": 3.7, "price_per_unit": 10,
                              "initial_stock": 5.5, "demand": {"dine_in": 6.3}}},
           "policy": {"order_up_to": {"rice": 14.25}, "review_period_days": review}}
    path = tmp_path / "w.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    days = 120
    assert (block_days(trials, 3, days, short_width=1) > 7) == (trials == 40)
    a, b, _ = _both(load_scenario(path), [None], trials, 3)
    _assert_same(a, b, exact=True)
    assert float(np.nanmean(a[0]["stock_age_3_7d"])) > 0.0   # the 3-7 day bin is exercised


@pytest.mark.parametrize("days", [1, 2, 3, 4, 7, 8, 24])
def test_the_arrival_ring_is_never_overwritten_within_seven_days(days: int) -> None:
    # a day's shipped row is reused by the block `len(bufs)` blocks later: more than 7 days on
    from jxc_rules.simulate.engine import _Block

    blk = _Block(days, 5, 1, 4, "window", False, by_columns=True)
    blk.keep_arrivals(7)
    n = len(blk.shipped_bufs)
    assert n * days > 7
    assert (n - 1) * days <= 7
    seen = [id(blk.shipped_bufs[b % n][0]) for b in range(2 * n)]
    blk.rotate(n)
    assert blk.shipped is blk.shipped_bufs[0][0]
    assert len(set(seen)) == n


@pytest.mark.parametrize("trials", [3, 700, 9000])
def test_unzeroed_buffers_are_written_before_they_are_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, trials: int) -> None:
    # the one-item short loop's age buffers come from np.empty: filled with NaN here, any
    # element read before it is written would show in the KPIs
    real_empty = np.empty

    def poisoned(shape: Any, dtype: Any = float, *args: Any, **kwargs: Any) -> Any:
        out = real_empty(shape, dtype, *args, **kwargs)
        if out.dtype.kind == "f":
            out.fill(np.nan)
        return out

    scenario = _poisson_rice(tmp_path, "2026-02-28", track_age=True)
    want = _both(scenario, [None], trials, 1)[1]
    monkeypatch.setattr(np, "empty", poisoned)
    world = compile_world(scenario)
    task = ChunkTask(world, (compile_plan(scenario, world),), seed_key(7), 1, trials)
    got = _simulate_blocked(task)
    _assert_same(got, want, exact=True)
