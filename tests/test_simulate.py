"""The rule simulator: analytic cross-checks, conservation, compare, sweep, calendar."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import poisson

import jxc_rules
from jxc_rules.errors import ValidationError
from jxc_rules.shelf_life import ShelfLifeRule
from jxc_rules.simulate import compare, load_scenario, parse_sweep, run, sweep
from jxc_rules.simulate.calendar import build_calendar, holiday_blocks, holiday_multipliers
from jxc_rules.simulate.compare import VERDICTS, paired_difference
from jxc_rules.simulate.kpis import KPIS
from jxc_rules.simulate.runner import run_many
from jxc_rules.testing import scenario_mappings, sweep_specs

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "simulator" / "scenarios"
HOTPOT = SCENARIOS / "hotpot-spring-festival.yaml"
PACK_10 = ROOT / "industries" / "hotpot" / "2026.10.yaml"
PACK_11 = ROOT / "industries" / "hotpot" / "2026.11.yaml"


def write(tmp_path: Path, doc: dict[str, Any], name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def base_stock_doc(mean: float, level: float, *, days: int = 30, lead: int = 0,
                   dist: Any = "poisson", perishable: bool = False) -> dict[str, Any]:
    start = dt.date(2026, 3, 2)
    return {
        "horizon": {"start": start.isoformat(),
                    "end": (start + dt.timedelta(days=days - 1)).isoformat()},
        "channels": ["dine_in"],
        "items": {"rice": {"unit": "kg", "cost_per_unit": 4, "price_per_unit": 10,
                           "initial_stock": level, "perishable": perishable,
                           "demand": {"dine_in": mean}}},
        "distribution": dist,
        "policy": {"order_up_to": {"rice": level}, "review_period_days": 1,
                   "lead_time_days": lead},
    }


# ------------------------------------------------------------------------------ analytic checks


@pytest.mark.parametrize(("mean", "level"), [(10.0, 12), (4.0, 4), (25.0, 30)])
def test_base_stock_poisson_stockout_probability_matches_one_minus_cdf(
        tmp_path: Path, mean: float, level: int) -> None:
    # zero lead time, daily review, no perishability: stock is S every morning, so a day is
    # short exactly when Poisson demand exceeds S
    res = run(write(tmp_path, base_stock_doc(mean, level)), trials=1500, seed=3)
    expected = 1.0 - poisson.cdf(level, mean)
    s = res.kpis["stockout_rate"]
    assert abs(s.mean - expected) < 4 * s.se + 1e-12
    # the fill rate matches E[min(D, S)] / E[D]
    k = np.arange(0, level + 1)
    served = float((np.minimum(k, level) * poisson.pmf(k, mean)).sum()
                   + level * (1 - poisson.cdf(level, mean)))
    f = res.kpis["fill_rate"]
    assert abs(f.mean - served / mean) < 4 * f.se + 1e-3


def test_bundled_base_stock_scenario_matches_one_minus_cdf() -> None:
    res = run(SCENARIOS / "base-stock-poisson.yaml", trials=2000, seed=11)
    s = res.kpis["stockout_rate"]
    assert abs(s.mean - (1 - poisson.cdf(12, 10))) < 4 * s.se


def _shelf_pack(hours: float, removal_h: float = 0.0) -> Any:
    rule = ShelfLifeRule.from_mapping({"model": {"q10": 3, "ref_temp_c": 4},
                                       "shelf_life_ref_h": hours,
                                       "removal_offset_h": removal_h,
                                       "alert_offset_h": removal_h})
    return SimpleNamespace(shelf_life={"rice": rule})


def test_perishable_item_with_deterministic_demand_wastes_what_arithmetic_says(
        tmp_path: Path) -> None:
    # demand 3/day, order up to 10 every morning (lead 0), life 2 days at 4 °C.
    # Day 0: 10 fresh, sell 3 -> 7 left. Odd days: 7 one-day-old + 3 fresh, sell 3 from the old
    # lot, the other 4 expire tonight. Even days: 3 old + 7 fresh, the old lot sells out.
    # Over 30 days: 15 expiries of 4 = 60 units; purchases 15 x 3 + 14 x 7 = 143 units.
    doc = base_stock_doc(3.0, 10, dist="deterministic", perishable=True)
    doc["temperature"] = {"storage_temp_c": 4}
    path = write(tmp_path, doc)
    res = run_many(path, [None], trials=5, seed=0, reference=_shelf_pack(48.0))[0]
    assert np.all(res.samples["_expired_cost"] == 60 * 4)
    assert np.all(res.samples["_purchased_cost"] == 143 * 4)
    assert res.kpis["waste_rate_expiry"].mean == pytest.approx(60 / 153, abs=1e-12)
    assert res.kpis["fill_rate"].mean == 1.0
    assert res.kpis["stockout_rate"].mean == 0.0


def test_cold_chain_outage_shortens_life_through_the_shelf_life_model(tmp_path: Path) -> None:
    # life 3 days at 4 °C, order up to 9, demand 3: every lot sells out on its third day, nothing
    # expires. A 12 h excursion at 24 °C (Q10 = 3: 9x the rate) makes day 10 consume 12 + 108 h
    # = 5 days of life: the 6 units left that evening expire, and nothing else ever does.
    doc = base_stock_doc(3.0, 9, dist="deterministic", perishable=True)
    doc["temperature"] = {"storage_temp_c": 4}
    quiet = run_many(write(tmp_path, doc, "a.yaml"), [None], trials=2, seed=0,
                     reference=_shelf_pack(72.0))[0]
    assert quiet.kpis["waste_rate_expiry"].mean == 0.0
    doc["temperature"]["outages"] = [{"date": "2026-03-12", "start_hour": 6, "hours": 12,
                                      "temp_c": 24}]
    hot = run_many(write(tmp_path, doc, "b.yaml"), [None], trials=2, seed=0,
                   reference=_shelf_pack(72.0))[0]
    assert np.all(hot.samples["_expired_cost"] == 6 * 4)
    assert hot.kpis["fill_rate"].mean == 1.0


@settings(max_examples=15, deadline=None)
@given(doc=scenario_mappings())
def test_stock_and_money_are_conserved_in_every_trial(tmp_path_factory: Any,
                                                       doc: dict[str, Any]) -> None:
    path = write(tmp_path_factory.mktemp("s"), doc)
    res = run(path, trials=20, seed=1, chunk_trials=8)
    s = res.samples
    lhs = s["_opening_cost"] + s["_purchased_cost"]
    rhs = s["_issued_cost"] + s["_expired_cost"] + s["_shrink_cost"] + s["_closing_cost"]
    np.testing.assert_allclose(lhs, rhs, rtol=1e-9, atol=1e-6)
    for info in KPIS:
        x = s[info.name]
        x = x[np.isfinite(x)]
        if info.unit == "share":
            assert np.all((x >= -1e-12) & (x <= 1 + 1e-12)), info.name


# ------------------------------------------------------------------------------ seeds and compare


def test_different_seeds_differ_and_equal_seeds_agree() -> None:
    path = SCENARIOS / "base-stock-poisson.yaml"
    a = run(path, trials=300, seed=1)
    b = run(path, trials=300, seed=1)
    c = run(path, trials=300, seed=2)
    for name in a.kpis:
        np.testing.assert_array_equal(a.samples[name], b.samples[name])
    assert not np.array_equal(a.samples["fill_rate"], c.samples["fill_rate"])


def test_a_chunk_reads_the_documented_addressed_draws() -> None:
    """One chunk of all trials == the engine's run: key from SeedSequence(seed), first trial 0."""
    path = SCENARIOS / "base-stock-poisson.yaml"
    one = run(path, trials=100, seed=5, chunk_trials=100)
    from jxc_rules.simulate.engine import ChunkTask, simulate_chunk
    from jxc_rules.simulate.executors import seed_key
    from jxc_rules.simulate.plan import compile_plan, compile_world

    sc = load_scenario(path)
    world = compile_world(sc)
    out = simulate_chunk(ChunkTask(world, (compile_plan(sc, world),), seed_key(5), 0, 100))[0]
    np.testing.assert_array_equal(one.samples["fill_rate"], out["fill_rate"])


@settings(max_examples=8, deadline=None)
@given(cuts=st.lists(st.integers(1, 59), max_size=4, unique=True), seed=st.integers(0, 2**32))
def test_results_do_not_depend_on_the_chunking(cuts: list[int], seed: int) -> None:
    """#22: the engine picks the chunk size, so no KPI may depend on it — every per-trial KPI
    vector of a hotpot compare (forecasts, weather, FEFO expiry) is the same for chunks of any
    sizes, cut at arbitrary trials: the same random numbers per trial, and values equal up to
    the summation order BLAS picks by matrix size (1e-12 relative here; it is ~1e-16)."""
    from jxc_rules.simulate.engine import ChunkTask, run_tasks
    from jxc_rules.simulate.executors import seed_key
    from jxc_rules.simulate.plan import compile_plan, compile_world
    from jxc_rules.simulate.runner import load_rules

    sc = load_scenario(HOTPOT)
    packs = [load_rules(PACK_10), load_rules(PACK_11)]
    world = compile_world(sc, packs[0])
    plans = tuple(compile_plan(sc, world, p) for p in packs)
    bounds = [0, *sorted(cuts), 60]
    tasks = [ChunkTask(world, plans, seed_key(seed), a, b - a, k)
             for k, (a, b) in enumerate(itertools.pairwise(bounds))]
    whole = run_tasks([ChunkTask(world, plans, seed_key(seed), 0, 60)])[0]
    pieces = run_tasks(tasks)
    for p in range(len(plans)):
        for name, values in whole[p].items():
            if name.startswith("__"):  # the shortfall view: sums over a chunk's trials
                total = np.sum([chunk[p][name] for chunk in pieces], axis=0)
                np.testing.assert_allclose(total, values, rtol=1e-12, atol=1e-9, err_msg=name)
                continue
            joined = np.concatenate([chunk[p][name] for chunk in pieces])
            np.testing.assert_allclose(joined, values, rtol=1e-12, atol=1e-12, err_msg=name)


def test_the_default_chunking_is_chosen_by_the_engine_and_changes_no_number() -> None:
    from concurrent.futures import ThreadPoolExecutor

    a = run(HOTPOT, rules=PACK_10, trials=30, seed=2)
    b = run(HOTPOT, rules=PACK_10, trials=30, seed=2, chunk_trials=7)
    c = run(HOTPOT, rules=PACK_10, trials=30, seed=2, memory_mb=0.05)
    with ThreadPoolExecutor(2) as pool:  # the default chunking does not follow the executor
        d = run(HOTPOT, rules=PACK_10, trials=30, seed=2, executor=pool)
    assert a.chunk_trials == d.chunk_trials == 30
    assert b.chunk_trials == 7
    assert c.chunk_trials < 30
    for name in a.kpis:
        np.testing.assert_array_equal(a.samples[name], d.samples[name])
        np.testing.assert_allclose(a.samples[name], b.samples[name], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(a.samples[name], c.samples[name], rtol=1e-12, atol=1e-12)


def test_compare_of_a_policy_with_itself_is_exactly_zero() -> None:
    res = compare(SCENARIOS / "base-stock-poisson.yaml", None, None, trials=200, seed=4)
    for name, d in res.differences.items():
        assert (d.mean, d.low, d.high) == (0.0, 0.0, 0.0), name
        assert d.verdict == "no detectable change"


def test_compare_of_a_hotpot_pack_with_itself_is_exactly_zero_on_every_kpi() -> None:
    res = compare(HOTPOT, PACK_10, PACK_10, trials=60, seed=9, chunk_trials=30)
    assert set(res.differences) == {k.name for k in KPIS}
    for name, d in res.differences.items():
        if d.n:
            assert (d.mean, d.low, d.high) == (0.0, 0.0, 0.0), name
        assert d.verdict == "no detectable change"


def test_paired_difference_verdict_follows_the_kpi_direction() -> None:
    rng = np.random.default_rng(0)
    base = rng.uniform(0.1, 0.2, 200)
    assert paired_difference("stockout_rate", base, base + 0.05).verdict == "worse"
    assert paired_difference("fill_rate", base, base + 0.05).verdict == "better"
    assert paired_difference("stock_age_1_3d", base, base + 0.05).verdict == "higher"
    noisy = base + rng.normal(0, 0.05, 200)
    d = paired_difference("fill_rate", base, noisy)
    assert d.low < d.mean < d.high


@pytest.mark.skipif(not PACK_11.exists(), reason="hotpot 2026.11 pack not in the tree yet")
def test_hotpot_compare_of_the_two_pack_versions_runs_on_common_draws() -> None:
    res = compare(HOTPOT, PACK_10, PACK_11, trials=100, seed=0)
    assert res.baseline.trials == res.candidate.trials == 100
    for d in res.differences.values():
        assert d.verdict in VERDICTS
        detectable = d.low > 0 or d.high < 0
        assert (d.verdict == "no detectable change") == (not detectable)
        assert (d.verdict == "no material change") == (detectable
                                                        and abs(d.mean) < d.materiality)


# ------------------------------------------------------------------------------ calendar, sweep


def test_calendar_uses_the_real_2026_spring_festival_and_makeup_days() -> None:
    blocks = holiday_blocks(dt.date(2026, 2, 1), dt.date(2026, 3, 1))
    assert blocks["Spring Festival"] == [(dt.date(2026, 2, 15), dt.date(2026, 2, 23))]
    cal = build_calendar(dt.date(2026, 2, 14), dt.date(2026, 2, 28))
    makeup = [d for d, m in zip(cal.dates, cal.makeup_workday, strict=True) if m]
    assert makeup == [dt.date(2026, 2, 14), dt.date(2026, 2, 28)]


def test_calendar_outside_the_library_years_is_a_clear_error() -> None:
    with pytest.raises(ValidationError, match="outside the years the holiday calendar"):
        build_calendar(dt.date(2100, 1, 1), dt.date(2100, 1, 5))


def test_holiday_profile_is_multiplicative_over_its_window() -> None:
    cal = build_calendar(dt.date(2026, 2, 13), dt.date(2026, 2, 26))
    prof = {"Spring Festival": {"dine_in": ((1.5,), (2.0, 3.0), (0.5,))}}
    m = holiday_multipliers(cal, prof, ["dine_in"])[:, 0]
    assert m.tolist() == [1.0, 1.5, 2.0] + [3.0] * 8 + [0.5, 1.0, 1.0]


def test_sweep_finds_the_break_point_of_a_rising_stockout_rate() -> None:
    res = sweep(SCENARIOS / "base-stock-poisson.yaml", "demand.scale", [0.6, 0.8, 1.0, 1.2],
                rules=[None], trials=200, seed=0, thresholds={"stockout_rate": 0.1})
    means = res.series(res.rules[0], "stockout_rate")
    assert means == sorted(means)
    (bp,) = res.break_points
    assert bp.value is not None
    assert 0.8 <= bp.value <= 1.0
    assert means[1] <= 0.1 <= means[2]


def test_sweep_of_the_true_holiday_uplift_moves_the_hotpot_kpis() -> None:
    res = sweep(HOTPOT, "holiday.spring_festival.dine_in.uplift", [0.0, 0.8], rules=[PACK_10],
                trials=40, seed=0, chunk_trials=40)
    fill = res.series(res.rules[0], "fill_rate")
    assert fill[1] < fill[0]


def test_parse_sweep_rejects_bad_ranges() -> None:
    assert parse_sweep("demand.scale=1:1.2:0.1") == ("demand.scale", [1.0, 1.1, 1.2])
    for bad in ("demand.scale", "demand.scale=1:0:0.1", "demand.scale=0:1:0", "x=a:b:c"):
        with pytest.raises(ValidationError):
            parse_sweep(bad)


def test_public_names_are_exported_from_the_package() -> None:
    assert jxc_rules.run is run
    assert jxc_rules.compare is compare
    assert jxc_rules.load_scenario is load_scenario
    assert math.isfinite(run(SCENARIOS / "base-stock-poisson.yaml", trials=10)
                         .kpis["fill_rate"].p50)


def test_switching_stock_age_tracking_off_changes_no_other_kpi(tmp_path: Path) -> None:
    doc = base_stock_doc(10.0, 12)
    on = run(write(tmp_path, doc, "on.yaml"), trials=200, seed=2)
    doc["track_stock_age"] = False
    off = run(write(tmp_path, doc, "off.yaml"), trials=200, seed=2)
    for info in KPIS:
        if not info.name.startswith("stock_age"):
            np.testing.assert_allclose(on.samples[info.name], off.samples[info.name],
                                       rtol=1e-12, err_msg=info.name)
    assert off.kpis["stock_age_0_1d"].mean == 1.0
    assert on.kpis["stock_age_1_3d"].mean > 0


@settings(max_examples=10, deadline=None)
@given(lam=st.floats(0.0, 400.0), dispersion=st.sampled_from([None, 2.0, 30.0]))
def test_inverse_cdf_sampler_reproduces_the_distribution(lam: float,
                                                         dispersion: float | None) -> None:
    from jxc_rules.simulate.demand import build_sampler
    from jxc_rules.simulate.scenario import Distribution

    dist = Distribution() if dispersion is None else Distribution("negative_binomial",
                                                                  dispersion)
    sampler = build_sampler(np.full((1, 1, 1, 1), lam), dist)
    n = 40_000
    x = sampler.draw(0, None, np.random.default_rng(0).random((n, 1, 1)))[:, 0, 0]
    var = lam if dispersion is None else lam + lam * lam / dispersion
    assert np.all(x == np.floor(x))
    assert np.all(x >= 0)
    assert abs(x.mean() - lam) <= 5 * math.sqrt(var / n) + 1e-12
    if var * n > 1000:  # the sample variance is only informative with enough nonzero draws
        assert abs(x.var() / var - 1) < 0.1


@settings(max_examples=12, deadline=None)
@given(spec=sweep_specs())
def test_every_documented_sweep_parameter_parses_applies_and_runs(spec: str) -> None:
    from jxc_rules.simulate.sweep import apply_parameter

    param, values = parse_sweep(spec)
    assert values == sorted(values)
    sc = load_scenario(SCENARIOS / "base-stock-poisson.yaml")
    changed = apply_parameter(sc, param, values[-1])
    assert changed != sc or values[-1] in (0.0, 1.0)
    assert run(changed, trials=4, seed=0).trials == 4


def test_a_warm_daily_temperature_cycle_expires_stock_by_arithmetic(tmp_path: Path) -> None:
    # +10 °C for 12 h a day with Q10 = 3: a day consumes 12 + 36 = 48 of 72 reference hours,
    # so a lot lasts to the end of its second day. Order up to 9, demand 3: every odd day the
    # 3 units left of yesterday's lot expire — 15 x 3 = 45 units in 30 days.
    doc = base_stock_doc(3.0, 9, dist="deterministic", perishable=True)
    doc["temperature"] = {"storage_temp_c": 4, "daily_cycle_c": [10.0] * 12 + [0.0] * 12}
    res = run_many(write(tmp_path, doc), [None], trials=2, seed=0,
                   reference=_shelf_pack(72.0))[0]
    assert np.all(res.samples["_expired_cost"] == 45 * 4)
    assert np.all(res.samples["_purchased_cost"] == (15 * 3 + 14 * 6) * 4)


def test_transit_temperature_scales_live_weight_shrink_through_the_q10_model() -> None:
    import attrs

    from jxc_rules.simulate.plan import compile_world
    from jxc_rules.simulate.runner import load_rules

    sc = load_scenario(HOTPOT)
    pack = load_rules(PACK_10)
    fish = sc.items["tilapia_live"]
    warm = sc.replace(items={**sc.items, "tilapia_live": attrs.evolve(fish, transit_temp_c=30)})
    i = list(sc.items).index("tilapia_live")
    ref = compile_world(sc, pack).retention[i]
    hot = compile_world(warm, pack).retention[i]
    assert ref == pytest.approx((1 - 0.003) ** 5)
    assert hot == pytest.approx((1 - 0.006) ** 5)          # q10 = 2, 10 °C above 20 °C


# ------------------------------------------------------------------------------ materiality


def test_a_detectable_but_negligible_difference_is_no_material_change() -> None:
    rng = np.random.default_rng(1)
    base = rng.uniform(0.1, 0.2, 300)
    tiny = paired_difference("waste_rate_transit", base, base + 2e-5)   # 0.002 pp, exact shift
    assert tiny.low > 0
    assert tiny.materiality == 0.001
    assert tiny.verdict == "no material change"
    down = paired_difference("stock_age_3_7d", base, base - 2e-5)
    assert down.high < 0
    assert down.verdict == "no material change"
    # the same shift with materiality 0 is a (detectable) change again
    assert paired_difference("waste_rate_transit", base, base + 2e-5,
                             materiality=0).verdict == "worse"
    assert paired_difference("stock_age_3_7d", base, base - 2e-5,
                             materiality=0.0).verdict == "lower"


@pytest.mark.parametrize(("kpi", "shift", "threshold", "verdict"), [
    ("stockout_rate", 0.001, 0.001, "worse"),          # exactly at the threshold: material
    ("stockout_rate", 0.00099, 0.001, "no material change"),
    ("fill_rate", -0.001, 0.001, "worse"),
    ("fill_rate", -0.00099, 0.001, "no material change"),
    ("turnover_days", -0.1, 0.1, "better"),
    ("turnover_days", -0.099, 0.1, "no material change"),
    ("stock_age_1_3d", 0.001, 0.001, "higher"),
])
def test_the_verdict_is_material_from_the_default_threshold_on(kpi: str, shift: float,
                                                               threshold: float,
                                                               verdict: str) -> None:
    base = np.linspace(0.2, 0.4, 50)
    d = paired_difference(kpi, base, base + shift)
    assert d.materiality == threshold
    assert d.verdict == verdict


def test_gross_margin_materiality_is_relative_to_the_baseline_margin() -> None:
    base = np.full(40, 200_000.0) + np.arange(40.0)
    assert paired_difference("gross_margin", base, base + 150.0).verdict == "no material change"
    d = paired_difference("gross_margin", base, base + 250.0)
    assert d.materiality == pytest.approx(0.001 * base.mean())
    assert d.verdict == "better"
    assert paired_difference("gross_margin", base, base - 250.0).verdict == "worse"
    assert paired_difference("gross_margin", base, base + 150.0,
                             materiality=100).verdict == "better"


def test_a_noisy_difference_containing_zero_is_no_detectable_change_whatever_its_size() -> None:
    base = np.zeros(20)
    cand = np.array([0.3, -0.3] * 10)
    d = paired_difference("stockout_rate", base, cand)
    assert d.low < 0 < d.high
    assert d.verdict == "no detectable change"


def test_bad_materiality_is_refused_before_anything_runs() -> None:
    x = np.array([0.1, 0.2])
    for bad in (-0.1, float("nan"), float("inf"), True, "lots"):
        with pytest.raises(ValidationError, match=r"materiality\.stockout_rate"):
            paired_difference("stockout_rate", x, x, materiality=bad)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="did you mean 'stockout_rate'"):
        compare(SCENARIOS / "base-stock-poisson.yaml", None, None, trials=10 ** 9,
                materiality={"stockout_rat": 0.01})
    with pytest.raises(ValidationError, match=">= 0"):
        compare(SCENARIOS / "base-stock-poisson.yaml", None, None, trials=10 ** 9,
                materiality={"stockout_rate": -1})


def test_the_bundled_compare_calls_negligible_shifts_no_material_change() -> None:
    # the committee's case: transit shrink moves by ~0.002 pp (detectable on common random
    # numbers, irrelevant in money); it must not be read as "worse"
    res = compare(HOTPOT, PACK_10, PACK_11, trials=40, seed=0, chunk_trials=40)
    transit = res.differences["waste_rate_transit"]
    assert transit.low > 0
    assert abs(transit.mean) < 0.001
    assert transit.verdict == "no material change"
    assert res.differences["stockout_rate"].verdict == "worse"
    assert res.differences["waste_rate_expiry"].verdict == "better"
    for d in res.differences.values():
        if d.verdict in ("better", "worse", "higher", "lower"):
            assert abs(d.mean) >= d.materiality
            assert d.low > 0 or d.high < 0


def test_compare_materiality_comes_from_argument_over_scenario_over_default(
        tmp_path: Path) -> None:
    doc = base_stock_doc(10.0, 12)
    doc["materiality"] = {"stockout_rate": 0.02, "gross_margin": 5}
    path = write(tmp_path, doc)
    assert load_scenario(path).materiality == {"stockout_rate": 0.02, "gross_margin": 5.0}
    res = compare(path, None, None, trials=20, seed=0, materiality={"stockout_rate": 0.5})
    assert res.differences["stockout_rate"].materiality == 0.5
    assert res.differences["gross_margin"].materiality == 5.0
    assert res.differences["fill_rate"].materiality == 0.001
    for d in res.differences.values():
        assert (d.mean, d.low, d.high) == (0.0, 0.0, 0.0)
        assert d.verdict == "no detectable change"


def test_a_pack_compared_with_itself_is_no_detectable_change_even_at_materiality_zero() -> None:
    zero = {k.name: 0.0 for k in KPIS}
    res = compare(HOTPOT, PACK_10, PACK_10, trials=24, seed=3, chunk_trials=24,
                  materiality=zero)
    for name, d in res.differences.items():
        if d.n:
            assert (d.mean, d.low, d.high) == (0.0, 0.0, 0.0), name
        assert d.verdict == "no detectable change", name
        assert d.to_mapping()["materiality"] == 0.0


# ------------------------------------------------------------------------------ KPIs by arithmetic


def _ledger_run(tmp_path: Path, *, demand: float, level: float, days: int, lead: int = 0,
                loss: float = 0.0, retention: float = 1.0, safety: float = 0.0) -> Any:
    """One non-perishable item (cost 4, price 10, opening stock = level), deterministic demand,
    order up to ``level`` every morning; the world's true channel loss and transit retention
    set directly (the policy assumes the same retention)."""
    import attrs

    from jxc_rules.simulate.plan import compile_world

    doc = base_stock_doc(demand, level, days=days, lead=lead, dist="deterministic")
    doc["policy"]["safety_stock"] = {"rice": safety}
    sc = load_scenario(write(tmp_path, doc, f"ledger-{lead}-{loss}-{retention}.yaml"))
    world = attrs.evolve(compile_world(sc), loss=np.array([[loss]]),
                         retention=np.array([retention]))
    res = run_many(sc, [None], trials=3, seed=0, world=world)[0]
    for s in res.samples.values():      # deterministic: every trial the same
        assert np.all(s == s[0]) or np.all(np.isnan(s))
    return res


def _kpi(res: Any, name: str) -> float:
    return float(res.samples[name][0])


def test_every_kpi_of_a_channel_loss_ledger_by_arithmetic(tmp_path: Path) -> None:
    # demand 3/day, channel loss 25 %: each day issues 3 / 0.75 = 4. Order up to 10 every
    # morning (lead 0): 10 on hand, 4 issued, 6 left each evening; 9 orders of 4 (day 0 needs
    # none). FEFO: each evening 4 units are from today (age < 1 d), 2 from yesterday — except
    # day 0, when all 6 are fresh.
    res = _ledger_run(tmp_path, demand=3.0, level=10, days=10, loss=0.25, safety=6)
    available = 10 * 4 + 9 * 4 * 4                              # opening + purchases (yuan)
    assert _kpi(res, "_purchased_cost") == 144
    assert _kpi(res, "_issued_cost") == 10 * 4 * 4
    assert _kpi(res, "_channel_cost") == 10 * 1 * 4
    assert _kpi(res, "_closing_cost") == 6 * 4
    assert _kpi(res, "fill_rate") == 1.0
    assert _kpi(res, "stockout_rate") == 0.0
    assert _kpi(res, "waste_rate") == pytest.approx(40 / available, rel=1e-12)
    assert _kpi(res, "waste_rate_channel") == pytest.approx(40 / available, rel=1e-12)
    assert _kpi(res, "waste_rate_expiry") == 0.0
    assert _kpi(res, "waste_rate_transit") == 0.0
    # mean evening stock 6 x 4 = 24 yuan / mean daily cost of goods issued 16 yuan
    assert _kpi(res, "turnover_days") == pytest.approx(1.5, rel=1e-12)
    assert _kpi(res, "gross_margin") == pytest.approx(300 - 160, rel=1e-12)
    assert _kpi(res, "gross_margin_rate") == pytest.approx(140 / 300, rel=1e-12)
    # the fixed standard: one day of true expected issue, 3 / 0.75 = 4; 6 >= 4 every evening
    assert _kpi(res, "safety_stock_compliance") == 1.0
    # sold at cost (10 days x 3 served x 4 yuan) / available at cost
    assert _kpi(res, "sell_through") == pytest.approx(120 / available, rel=1e-12)
    assert _kpi(res, "stock_age_0_1d") == pytest.approx((6 + 9 * 4) / 60, rel=1e-12)
    assert _kpi(res, "stock_age_1_3d") == pytest.approx(9 * 2 / 60, rel=1e-12)
    assert _kpi(res, "stock_age_3_7d") == 0.0
    assert _kpi(res, "stock_age_7d_plus") == 0.0
    # the pack's own safety target does not move the standard (it used to: a halved target
    # read as better compliance) ...
    strict = _ledger_run(tmp_path, demand=3.0, level=10, days=10, loss=0.25, safety=6.5)
    assert _kpi(strict, "safety_stock_compliance") == 1.0
    # ... evening stock below one day of issue does: order up to 6 leaves 2 each evening,
    # short of a day's demand of 3 (the world's loss is set after compiling here)
    thin = _ledger_run(tmp_path, demand=3.0, level=6, days=10, loss=0.25, safety=6)
    assert _kpi(thin, "safety_stock_compliance") == 0.0


def test_stockout_fill_and_sell_through_of_a_short_item_by_arithmetic(tmp_path: Path) -> None:
    # demand 3/day but only 2 on hand each morning: every day short, 2 of 3 served
    res = _ledger_run(tmp_path, demand=3.0, level=2, days=7)
    assert _kpi(res, "stockout_rate") == 1.0
    assert _kpi(res, "fill_rate") == pytest.approx(2 / 3, rel=1e-12)
    assert _kpi(res, "sell_through") == 1.0
    assert _kpi(res, "gross_margin") == pytest.approx(7 * 2 * (10 - 4), rel=1e-12)
    assert _kpi(res, "turnover_days") == 0.0                    # nothing left in the evening
    # with 25 % channel loss the 2 on hand cover 2 of the 4 needed: half the demand is served
    lossy = _ledger_run(tmp_path, demand=3.0, level=2, days=7, loss=0.25)
    assert _kpi(lossy, "fill_rate") == pytest.approx(0.5, rel=1e-12)
    assert _kpi(lossy, "_channel_cost") == pytest.approx(7 * 0.5 * 4, rel=1e-12)
    assert _kpi(lossy, "gross_margin") == pytest.approx(7 * (1.5 * 10 - 2 * 4), rel=1e-12)


def test_transit_shrink_ledger_by_arithmetic(tmp_path: Path) -> None:
    # retention 0.5, lead 0, demand 2, order up to 10. Evening stock y_k = 6 + 2^(1-k),
    # order on day k >= 1: 10 - y_(k-1) = 4 - 2^(2-k) -> 2, 3, 3.5, 3.75, 3.875 (all on the
    # 0.001 grid); half of each order is lost in transit.
    res = _ledger_run(tmp_path, demand=2.0, level=10, days=6, retention=0.5)
    ordered = 2 + 3 + 3.5 + 3.75 + 3.875
    assert _kpi(res, "_purchased_cost") == ordered * 4
    assert _kpi(res, "_shrink_cost") == ordered / 2 * 4
    assert _kpi(res, "_closing_cost") == (6 + 2 ** -4) * 4
    available = 40 + ordered * 4
    assert _kpi(res, "waste_rate_transit") == pytest.approx(ordered * 2 / available, rel=1e-12)
    assert _kpi(res, "waste_rate") == pytest.approx(ordered * 2 / available, rel=1e-12)
    margin = 6 * 2 * 10 - 6 * 2 * 4 - ordered * 2
    assert _kpi(res, "gross_margin") == pytest.approx(margin, rel=1e-12)
    assert _kpi(res, "fill_rate") == 1.0


def test_a_lead_time_counts_the_pipeline_in_the_inventory_position(tmp_path: Path) -> None:
    # lead 2 (ordered after close, delivered before the opening two days later: the morning
    # review's order lands the next morning). Demand 2, order up to 10 on inventory position
    # (on hand + in transit): day 0 nothing, then 2 a day. Evenings: 8, then 6 for ever;
    # the last order is still in transit at the end.
    res = _ledger_run(tmp_path, demand=2.0, level=10, days=10, lead=2, safety=6)
    assert _kpi(res, "_purchased_cost") == 9 * 2 * 4
    assert _kpi(res, "_closing_cost") == (6 + 2) * 4
    # mean evening stock (8 + 9 x 6) / 10 units x 4 yuan over mean daily issue 2 x 4 yuan
    assert _kpi(res, "turnover_days") == pytest.approx((8 + 9 * 6) / 10 / 2, rel=1e-12)
    assert _kpi(res, "safety_stock_compliance") == 1.0
    assert _kpi(res, "stockout_rate") == 0.0


def test_paired_interval_is_the_student_t_interval_by_hand() -> None:
    base = np.zeros(4)
    d = paired_difference("gross_margin", base, np.array([1.0, 2.0, 3.0, 4.0]),
                          materiality=0)
    sd = math.sqrt(((1.5 ** 2) * 2 + (0.5 ** 2) * 2) / 3)       # ddof = 1
    se = sd / 2
    half = 3.182446305284263 * se                               # t(0.975, 3)
    assert d.mean == 2.5
    assert d.se == pytest.approx(se, rel=1e-12)
    assert (d.low, d.high) == (pytest.approx(2.5 - half, rel=1e-12),
                               pytest.approx(2.5 + half, rel=1e-12))
    assert d.n == 4
    assert (d.baseline_mean, d.candidate_mean) == (0.0, 2.5)
    # trials where either side is NaN are left out, pairwise
    e = paired_difference("gross_margin", np.array([0.0, np.nan, 0.0]),
                          np.array([1.0, 5.0, np.nan]))
    assert (e.n, e.mean) == (1, 1.0)


def test_kpi_summary_percentiles_and_standard_error_by_hand() -> None:
    from jxc_rules.simulate.kpis import summarize

    s = summarize(np.concatenate([np.arange(101.0), [np.nan]]))
    assert (s.n, s.mean, s.p05, s.p50, s.p95) == (101, 50.0, 5.0, 50.0, 95.0)
    sd = math.sqrt(sum((k - 50.0) ** 2 for k in range(101)) / 100)
    assert s.std == pytest.approx(sd, rel=1e-12)
    assert s.se == pytest.approx(sd / math.sqrt(101), rel=1e-12)
    empty = summarize(np.array([np.nan]))
    assert empty.n == 0
    assert math.isnan(empty.mean)


def test_rain_cuts_dine_in_and_shifts_a_share_to_takeaway_by_arithmetic(tmp_path: Path) -> None:
    # rain every day: dine-in 10 x 0.8 = 8; takeaway 2 + 0.5 x (1 - 0.8) x 10 = 3 a day
    doc = base_stock_doc(10.0, 100, days=5, dist="deterministic")
    doc["channels"] = ["dine_in", "takeaway"]
    doc["items"]["rice"]["demand"] = {"dine_in": 10, "takeaway": 2}
    doc["weather"] = {"rain": {"probability": 1.0,
                               "effect": {"dine_in": 0.8, "shift_to_takeaway": 0.5}}}
    res = run(write(tmp_path, doc), trials=3, seed=0)
    assert np.all(res.samples["_revenue"] == pytest.approx(5 * (8 + 3) * 10, rel=1e-12))
    doc["weather"]["rain"]["probability"] = 0.0
    dry = run(write(tmp_path, doc, "dry.yaml"), trials=3, seed=0)
    assert np.all(dry.samples["_revenue"] == pytest.approx(5 * (10 + 2) * 10, rel=1e-12))


def test_the_rules_expect_the_weather_effect_weighted_by_its_probability() -> None:
    from jxc_rules.simulate.weather import effect_table, expected_effect

    table = effect_table([{"dine_in": 0.8}, {"dine_in": 0.5, "takeaway": 1.2}], [0.5, 0.0],
                         ["dine_in", "takeaway"])
    factor, add = expected_effect(np.array([[0.25, 0.1]]), table, 0, 1)
    # independent states: E[Π γ] = Π (1 + p (γ − 1))
    assert factor[0].tolist() == pytest.approx([(1 - 0.25 * 0.2) * (1 - 0.1 * 0.5),
                                                1 + 0.1 * 0.2], rel=1e-12)
    assert add[0] == pytest.approx(0.25 * 0.5 * 0.2, rel=1e-12)


def test_the_removal_offset_shortens_the_sellable_life(tmp_path: Path) -> None:
    # 72 h of life with a 24 h removal offset sells like 48 h of life: the worked example's
    # 60 units expire (see test_perishable_item_with_deterministic_demand_wastes_...)
    doc = base_stock_doc(3.0, 10, dist="deterministic", perishable=True)
    doc["temperature"] = {"storage_temp_c": 4}
    res = run_many(write(tmp_path, doc), [None], trials=2, seed=0,
                   reference=_shelf_pack(72.0, removal_h=24.0))[0]
    assert np.all(res.samples["_expired_cost"] == 60 * 4)


def test_a_kpi_that_only_touches_the_threshold_has_not_crossed_it() -> None:
    from jxc_rules.simulate.sweep import _break

    assert _break([0.0, 1.0], [0.1, 0.2], 0.1, -1) == (0.0, False)
    assert _break([0.0, 1.0, 2.0], [0.05, 0.1, 0.2], 0.1, -1) == (1.0, False)
    assert _break([0.0, 1.0], [0.3, 0.2], 0.1, -1) == (0.0, True)
    assert _break([0.0, 1.0], [0.99, 0.95], 0.97, +1) == (pytest.approx(0.5), False)
    assert _break([0.0, 1.0], [0.05, 0.08], 0.1, -1) == (None, False)
