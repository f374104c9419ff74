"""Edge-case and invalid-input strategies: they produce what they promise, kernels refuse the
invalid ones with our errors, long logs pass hypothesis's health checks, and bad strategy
arguments raise ``InvalidArgument`` when the strategy is built."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import jxc_rules.testing as jt
from jxc_rules.bom import Bom, explode
from jxc_rules.errors import BomCycleError, TimeSeriesError
from jxc_rules.shelf_life import Q10, ShelfLifeRule, assess_lots, equivalent_time

FIND = settings(settings.get_profile("default"), max_examples=200, database=None,
                deadline=None, derandomize=False)
MODEL = Q10(3.0, 4.0)


def finds(strategy: st.SearchStrategy[Any], condition: Callable[[Any], bool]) -> Any:
    """An example meeting ``condition`` within 200 draws (seeded)."""
    return find(strategy, condition, settings=FIND, random=random.Random(0))


# ------------------------------------------------------------------ logs

@settings(max_examples=40, deadline=None)
@given(log=jt.temperature_logs(nan="leading"))
def test_leading_nan_logs_start_with_a_gap_and_end_with_a_reading(
        log: tuple[np.ndarray, np.ndarray]) -> None:
    _, temps = log
    assert np.isnan(temps[0])
    assert not np.isnan(temps[-1]) or len(temps) == 1


@settings(max_examples=40, deadline=None)
@given(log=jt.temperature_logs(nan="trailing"))
def test_trailing_nan_logs_end_with_a_gap(log: tuple[np.ndarray, np.ndarray]) -> None:
    _, temps = log
    assert np.isnan(temps[-1])
    assert not np.isnan(temps[0]) or len(temps) == 1


@settings(max_examples=40, deadline=None)
@given(log=jt.temperature_logs(nan="all"))
def test_all_nan_logs_are_refused_by_equivalent_time(log: tuple[np.ndarray, np.ndarray]) -> None:
    times, temps = log
    assert np.isnan(temps).all()
    with pytest.raises(TimeSeriesError, match="missing"):
        equivalent_time(times, temps, MODEL)


@settings(max_examples=40, deadline=None)
@given(log=jt.temperature_logs(nan="any"))
def test_assess_lots_takes_any_nan_pattern_without_a_raw_error(
        log: tuple[np.ndarray, np.ndarray]) -> None:
    times, temps = log
    rule = ShelfLifeRule(MODEL, "10 d", alert_offset_h="2 d", removal_offset_h="1 d")
    try:
        out = assess_lots(times, temps, rule, now_h=float(times[-1]))
    except TimeSeriesError:
        return  # refused with our error, naming the reading: fine
    assert np.all(np.isfinite(out.consumed_h) | np.isnan(out.consumed_h))


@pytest.mark.parametrize("pattern", ["repeated", "backwards"])
def test_broken_timestamps_are_refused_naming_the_reading(pattern: str) -> None:
    @settings(max_examples=30, deadline=None)
    @given(log=jt.temperature_logs(min_size=3, times=pattern))
    def check(log: tuple[np.ndarray, np.ndarray]) -> None:
        times, temps = log
        diffs = np.diff(times)
        assert (diffs == 0).any() if pattern == "repeated" else (diffs < 0).any()
        with pytest.raises(TimeSeriesError, match="reading"):
            equivalent_time(times, temps, MODEL)

    check()


@settings(max_examples=10, deadline=None)  # default health checks: large_base_example included
@given(log=jt.reading_arrays())
def test_a_week_of_5_minute_readings_is_generated_under_default_health_checks(
        log: tuple[np.ndarray, np.ndarray]) -> None:
    times, temps = log
    assert len(times) == len(temps) == 2016
    assert times[-1] == pytest.approx(2015 * 5 / 60)
    assert np.all(np.diff(times) > 0)
    assert equivalent_time(times, temps, MODEL) >= 0


@settings(max_examples=10, deadline=None)
@given(log=jt.reading_arrays(nan="trailing", times="backwards"))
def test_reading_arrays_take_the_edge_patterns_too(log: tuple[np.ndarray, np.ndarray]) -> None:
    times, temps = log
    assert np.isnan(temps[-1])
    assert (np.diff(times) < 0).any()


# ------------------------------------------------------------------ BOMs

def test_bom_cases_draw_alternates_phantoms_dated_lines_and_empty_boms_on_request() -> None:
    s = jt.bom_cases(alternates=True, phantoms=True, dated=True, empty=True)
    assert finds(s, lambda c: any("alternates" in ln for ln in c.mapping["lines"]))
    assert finds(s, lambda c: any(v.get("phantom") for v in c.mapping["items"].values()))
    assert finds(s, lambda c: any("valid_from" in ln for ln in c.mapping["lines"]))
    empty = finds(s, lambda c: not c.mapping["lines"])
    assert len(empty.bom) == 0
    assert empty.requirements == {}


@settings(max_examples=50, deadline=None)
@given(case=jt.bom_cases(alternates=True, phantoms=True, dated=True))
def test_every_bom_case_is_consistent(case: jt.BomCase) -> None:
    assert case.requirements == explode(case.bom, case.item, case.quantity, on=case.on)
    assert set(case.stock) == set(case.bom.leaves)
    assert all(v >= 0 for v in case.stock.values())


@settings(max_examples=40, deadline=None)
@given(data=jt.cyclic_bom_mappings())
def test_cyclic_boms_are_refused_naming_the_cycle(data: dict[str, Any]) -> None:
    with pytest.raises(BomCycleError) as err:
        Bom.from_mapping(data)
    assert err.value.cycle


def test_bom_cases_accept_strategies_and_values_for_quantities_and_stock() -> None:
    for stock in (st.just(Fraction(3)), 3, "3"):
        case = finds(jt.bom_cases(quantities=7, stock=stock), lambda c: True)
        assert case.quantity == 7
        assert set(case.stock.values()) == {Fraction(3)}
    drawn = finds(jt.bom_cases(quantities=st.sampled_from([2, 4])), lambda c: c.quantity == 4)
    assert drawn.quantity == 4


# ------------------------------------------------------------------ money and packs

def test_money_amounts_with_three_places_hit_half_fen_ties_and_either_side() -> None:
    s = jt.money_amounts(places=3)
    assert finds(s, lambda d: d % Decimal("0.01") == Decimal("0.005"))
    assert finds(s, lambda d: d % Decimal("0.01") == Decimal("0.004"))
    assert finds(s, lambda d: d % Decimal("0.01") == Decimal("0.006"))
    assert finds(s, lambda d: d == Decimal("10000000.000"))


def test_priced_lines_solve_the_price_when_the_host_fixes_the_quantities() -> None:
    for fixed in (st.just(Decimal("2.345")), "2.345"):
        line = finds(jt.priced_lines(quantities=fixed),
                     lambda ln: (ln.exact_amount * 1000) % 10 == 5)
        assert line.quantity == Decimal("2.345")
    one_price = finds(jt.priced_lines(unit_prices=7), lambda ln: True)
    assert one_price.unit_price == 7


def test_pack_quantities_hit_the_half_pack_tie_and_exactly_one_pack() -> None:
    s = jt.pack_quantities(40)
    assert finds(s, lambda q: q % 40 == 20)
    assert finds(s, lambda q: q == 40)
    assert finds(s, lambda q: q % 40 == Decimal("20.001"))


def test_lot_cases_put_expiry_exactly_on_now_and_on_midnight() -> None:
    s = jt.lot_cases()
    assert finds(s, lambda c: any(lot.expires_at == c.now for lot in c.lots))
    assert finds(s, lambda c: any(lot.expires_at.time() == dt.time() and lot.expires_at != c.now
                                  for lot in c.lots))
    assert finds(s, lambda c: any(lot.expires_at - c.now == dt.timedelta(seconds=1)
                                  for lot in c.lots))


def test_reservation_workloads_ask_for_exactly_what_is_left() -> None:
    def exact(w: jt.ReservationWorkload) -> bool:
        accepted, available = w.expected()
        return any(accepted) and 0 in available.values()

    assert finds(jt.reservation_workloads(), exact)


def test_weight_vectors_and_shares_are_built_not_filtered() -> None:
    assert "filter" not in repr(jt.weight_vectors())
    assert "filter" not in repr(jt.channel_shares())
    assert "filter" not in repr(jt.steps())
    assert finds(jt.weight_vectors(), lambda ws: True) == [Decimal("0.001")]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ws=jt.weight_vectors(), shares=jt.channel_shares(4), profile=jt.product_profiles())
def test_built_strategies_are_valid_input(ws: list[Decimal], shares: np.ndarray,
                                          profile: Any) -> None:
    assert any(w > 0 for w in ws)
    assert shares.sum() == pytest.approx(1.0)
    assert profile.sku


# ------------------------------------------------------------------ bad arguments

BAD: list[tuple[str, Callable[[], Any]]] = [
    ("exact_decimals min above max", lambda: jt.exact_decimals(5, 1)),
    ("exact_decimals NaN bound", lambda: jt.exact_decimals("NaN", 1)),
    ("money_amounts bias above 1", lambda: jt.money_amounts(boundary_bias=2)),
    ("money_amounts float bound", lambda: jt.money_amounts(max_value=1.5)),  # type: ignore[arg-type]
    ("weight_vectors min_size 0", lambda: jt.weight_vectors(min_size=0)),
    ("weight_vectors sizes swapped", lambda: jt.weight_vectors(min_size=5, max_size=2)),
    ("priced_lines too few places", lambda: jt.priced_lines(quantity_places=0, price_places=2)),
    ("priced_lines float quantity", lambda: jt.priced_lines(quantities=0.1)),  # type: ignore[arg-type]
    ("pack_quantities zero pack", lambda: jt.pack_quantities(0)),
    ("loss_rates max 1.5", lambda: jt.loss_rates(max_value=1.5)),
    ("loss_rates unknown convention", lambda: jt.loss_rates("gain")),
    ("channel_shares zero channels", lambda: jt.channel_shares(0)),
    ("channel_losses total 1", lambda: jt.channel_losses("loss", max_total=1.0)),
    ("rate_models unknown kind", lambda: jt.rate_models(kinds=("q11",))),
    ("rate_models no kinds", lambda: jt.rate_models(kinds=())),
    ("temperature_logs sizes swapped", lambda: jt.temperature_logs(5, 2)),
    ("temperature_logs bad nan", lambda: jt.temperature_logs(nan="middle")),
    ("temperature_logs bad times", lambda: jt.temperature_logs(times="sideways")),
    ("reading_arrays zero readings", lambda: jt.reading_arrays(0)),
    ("reading_arrays bad step", lambda: jt.reading_arrays(step_minutes=0)),
    ("lot_logs zero lots", lambda: jt.lot_logs(max_lots=0)),
    ("shelf_life_rules value", lambda: jt.shelf_life_rules(models=MODEL)),  # type: ignore[arg-type]
    ("shipments sizes swapped", lambda: jt.shipments(5, 2)),
    ("temperature_legs temps swapped", lambda: jt.temperature_legs(min_temp_c=30,
                                                                   max_temp_c=5)),
    ("mortality_curves zero points", lambda: jt.mortality_curves(0)),
    ("transit_models unknown form", lambda: jt.transit_models(forms=("cubic",))),
    ("decay_forms unknown form", lambda: jt.decay_forms(("cubic",))),
    ("transit_rates negative", lambda: jt.transit_rates(-0.1)),
    ("packagings zero levels", lambda: jt.packagings(max_levels=0)),
    ("packagings unknown base unit", lambda: jt.packagings(base_units=("L",))),
    ("product_profiles no price units", lambda: jt.product_profiles(price_units=())),
    ("bom_mappings one item", lambda: jt.bom_mappings(min_items=1)),
    ("bom_mappings unknown option", lambda: jt.bom_mappings(alternatives=True)),
    ("bom_orders of a BOM with no assembly", lambda: jt.bom_orders(Bom([]))),
    ("bom_orders of a mapping", lambda: jt.bom_orders({"lines": []})),  # type: ignore[arg-type]
    ("stock_levels of a mapping", lambda: jt.stock_levels({})),  # type: ignore[arg-type]
    ("bom_cases one item", lambda: jt.bom_cases(min_items=1)),
    ("bom_cases float stock", lambda: jt.bom_cases(stock=1.5)),  # type: ignore[arg-type]
    ("bom_cases flag not bool", lambda: jt.bom_cases(dated="yes")),  # type: ignore[arg-type]
    ("cyclic_bom_mappings one item", lambda: jt.cyclic_bom_mappings(max_items=1)),
    ("lot_cases lots swapped", lambda: jt.lot_cases(min_lots=4, max_lots=1)),
    ("lot_cases now a date string", lambda: jt.lot_cases(now="2026-03-01")),  # type: ignore[arg-type]
    ("reservation_workloads no skus", lambda: jt.reservation_workloads(skus=())),
    ("reservation_workloads repeated skus", lambda: jt.reservation_workloads(
        skus=("bolt", "bolt"))),
    ("scenario_mappings zero days", lambda: jt.scenario_mappings(max_days=0)),
    ("load_profile unknown", lambda: jt.load_profile("fast")),
]


@pytest.mark.parametrize(("label", "build"), BAD, ids=[label for label, _ in BAD])
def test_bad_strategy_arguments_raise_invalid_argument_when_built(
        label: str, build: Callable[[], Any]) -> None:
    with pytest.raises(InvalidArgument) as err:
        build()
    assert str(err.value), label


@settings(max_examples=10, deadline=None)  # default health checks
@given(batch=jt.shipment_arrays())
def test_a_batch_of_10_000_shipments_is_generated_under_default_health_checks(
        batch: dict[str, np.ndarray]) -> None:
    from jxc_rules.live_weight import reconcile

    assert {len(v) for v in batch.values()} == {10_000}
    assert np.all(batch["dead_kg"] <= batch["shipped_kg"])
    out = reconcile(batch["shipped_kg"], batch["received_kg"], batch["hours"],
                    rate_per_hour=0.003, dead_kg=batch["dead_kg"])
    assert out.expected_kg.shape == (10_000,)
