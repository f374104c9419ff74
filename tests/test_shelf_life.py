"""Shelf-life kernel: rate models, equivalent time, remaining life — worked examples and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

import jxc_rules
from jxc_rules.errors import JxcRulesError, TimeSeriesError, UnitError, ValidationError
from jxc_rules.shelf_life import (
    INTERPOLATIONS,
    Q10,
    Arrhenius,
    Bigelow,
    HardLimit,
    RateTable,
    ShelfLifeRule,
    SquareRoot,
    ea_to_q10,
    ea_to_z,
    effective_temperature,
    equivalent_time,
    mean_kinetic_temperature,
    model_from_mapping,
    q10_to_ea,
    q10_to_z,
    remaining_life,
    shelf_life_at,
    z_to_ea,
    z_to_q10,
)
from jxc_rules.units import Q_

MODELS = [
    Q10(3, 4),
    Bigelow(15, 4),
    Arrhenius(90, 4),
    SquareRoot(-6, 4),
    RateTable([-30, 0, 4, 10, 60], [0.0, 0.4, 1.0, 2.5, 40.0], 4),
]


# --------------------------------------------------------------------------- worked example
def test_cream_worked_example_leaves_5_184_days_at_4c() -> None:
    # 10 d at 4 °C, Q10 = 3; 2 d at 12 °C consume 48 · 3^0.8 h → 240 − 115.59 h left.
    rho = 3 ** 0.8
    assert rho == pytest.approx(2.408, abs=5e-4)
    left_h = remaining_life([0, 48], [12, 12], Q10(3, 4), 240)
    assert left_h == pytest.approx(240 - 48 * rho, rel=1e-12)
    assert left_h / 24 == pytest.approx(5.184, abs=5e-4)


def test_remaining_life_accepts_a_duration_string_and_a_forecast_temperature() -> None:
    left_h = remaining_life([0, 48], [12, 12], Q10(3, 4), "10 d", forecast_temp_c=8)
    assert left_h == pytest.approx((240 - 48 * 3 ** 0.8) / 3 ** 0.4, rel=1e-12)


def test_remaining_life_is_zero_not_negative_once_consumed() -> None:
    assert remaining_life([0, 100], [30, 30], Q10(3, 4), 24) == 0.0


def test_shelf_life_at_keeps_the_unit_of_the_reference() -> None:
    m = Q10(3, 4)
    assert shelf_life_at(14, 10, m) == pytest.approx(10 / 3)
    q = shelf_life_at(14, "10 d", m)
    assert str(q.units) == "day"
    assert q.magnitude == pytest.approx(10 / 3)
    q2 = shelf_life_at(np.array([4.0, 24.0]), Q_(240, "h"), m)
    assert q2.to("h").magnitude.tolist() == pytest.approx([240, 240 / 9])


def test_shelf_life_at_rejects_negative_or_zero_shelf_life_and_non_durations() -> None:
    with pytest.raises(ValidationError, match="shelf_life_ref must be > 0"):
        shelf_life_at(4, -1, Q10(3, 4))
    with pytest.raises(ValidationError, match="shelf_life_ref must be > 0"):
        shelf_life_at(4, "0 d", Q10(3, 4))
    with pytest.raises(UnitError, match="shelf_life_ref must be a time quantity"):
        shelf_life_at(4, "10 kg", Q10(3, 4))
    with pytest.raises(ValidationError, match="shelf_life_ref_h must be > 0"):
        remaining_life([0, 1], [4, 4], Q10(3, 4), -5)


# --------------------------------------------------------------------------- models
@pytest.mark.parametrize("model", MODELS, ids=lambda m: type(m).__name__)
def test_every_model_is_one_at_its_reference(model: object) -> None:
    assert float(model.relative_rate(4.0)) == pytest.approx(1.0, rel=1e-12)  # type: ignore[attr-defined]


def test_model_formulas_by_hand() -> None:
    assert float(Q10(2, 5).relative_rate(25)) == pytest.approx(4.0)
    assert float(Bigelow(10, 0).relative_rate(20)) == pytest.approx(100.0)
    ea, tref, t = 100.0, 5.0, 15.0
    expected = math.exp(-ea * 1000 / 8.314462618 * (1 / (t + 273.15) - 1 / (tref + 273.15)))
    assert float(Arrhenius(ea, tref).relative_rate(t)) == pytest.approx(expected, rel=1e-14)
    assert SquareRoot(-6, 4).relative_rate([-7, -6, -1, 14]).tolist() == [0, 0, 0.25, 4]


def test_model_parameters_are_validated() -> None:
    with pytest.raises(ValidationError, match="q10 must be a finite number > 0"):
        Q10(0, 4)
    with pytest.raises(ValidationError, match="q10"):
        Q10(-2, 4)
    with pytest.raises(ValidationError, match="t_min_c must be below ref_temp_c"):
        SquareRoot(4, 4)
    with pytest.raises(ValidationError, match="ea_kj_per_mol must be >= 0"):
        Arrhenius(-1, 4)
    with pytest.raises(ValidationError, match="z_c"):
        Bigelow(0, 4)
    with pytest.raises(ValidationError, match="ref_temp_c"):
        Q10(3, -300)
    with pytest.raises(ValidationError, match="non-decreasing"):
        RateTable([0, 4, 8], [0.5, 1.0, 0.9], 4)
    with pytest.raises(ValidationError, match="1 at ref_temp_c"):
        RateTable([0, 4, 8], [0.5, 2.0, 3.0], 4)
    with pytest.raises(ValidationError, match="strictly increasing"):
        RateTable([0, 0, 8], [0.5, 1.0, 3.0], 4)


def test_models_are_frozen() -> None:
    m = Q10(3, 4)
    with pytest.raises(AttributeError):
        m.q10 = 2  # type: ignore[misc]


def test_rate_table_refuses_temperatures_outside_the_table() -> None:
    table = RateTable([0, 4, 8], [0.5, 1, 2], 4)
    with pytest.raises(ValidationError, match=r"within the rate table \[0, 8\]"):
        table.relative_rate([4, 9])
    assert RateTable.normalised([0, 4, 8], [1, 2, 4], 4).rates == (0.5, 1.0, 2.0)


def test_arrhenius_accepts_a_quantity_string() -> None:
    assert Arrhenius("80 kJ/mol", 4).ea_kj_per_mol == pytest.approx(80)
    with pytest.raises(UnitError):
        Arrhenius("80 kg", 4)


def test_conversions_round_trip_and_match_by_hand() -> None:
    assert q10_to_z(10) == pytest.approx(10)
    assert z_to_q10(q10_to_z(3)) == pytest.approx(3)
    tk = 277.15
    assert q10_to_ea(3, 4) == pytest.approx(8.314462618 * tk * (tk + 10) * math.log(3) / 1e4)
    assert ea_to_q10(q10_to_ea(2.5, 10), 10) == pytest.approx(2.5)
    # the converted Arrhenius model reproduces the Q10 ratio over that decade
    arr = Arrhenius(q10_to_ea(3, 4), 4)
    assert float(arr.relative_rate(14)) == pytest.approx(3.0)
    assert ea_to_z(z_to_ea(12, 0), 0) == pytest.approx(12)
    with pytest.raises(ValidationError):
        q10_to_z(1)


def test_inverse_rate_inverts_relative_rate() -> None:
    temps = np.array([0.0, 4.0, 9.5, 20.0])
    for model in MODELS:
        back = model.inverse_rate(model.relative_rate(temps))
        np.testing.assert_allclose(back, temps, atol=1e-9)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: type(m).__name__)
def test_model_mapping_round_trips(model: object) -> None:
    mapping = model.to_mapping()  # type: ignore[attr-defined]
    assert model_from_mapping(mapping) == model


def test_model_mapping_errors_name_the_key() -> None:
    with pytest.raises(ValidationError, match=r"model\.q10 must be a finite number > 0") as info:
        model_from_mapping({"q10": 0, "ref_temp_c": 4})
    assert info.value.field == "model.q10"
    with pytest.raises(ValidationError, match=r"model\.ref_temp_c"):
        model_from_mapping({"q10": 3})
    with pytest.raises(ValidationError, match=r"model\.colour"):
        model_from_mapping({"q10": 3, "ref_temp_c": 4, "colour": 1})
    with pytest.raises(ValidationError, match="exactly one of"):
        model_from_mapping({"ref_temp_c": 4})


# --------------------------------------------------------------------------- integration
def _quad_reference(times: list[float], temps: list[float], model: object) -> float:
    total = 0.0
    for t0, t1, a, b in zip(times[:-1], times[1:], temps[:-1], temps[1:], strict=True):
        def f(t: float, t0: float = t0, t1: float = t1, a: float = a, b: float = b) -> float:
            return float(model.relative_rate(a + (b - a) * (t - t0) / (t1 - t0)))  # type: ignore[attr-defined]
        total += quad(f, t0, t1, epsabs=0, epsrel=1e-13, limit=200)[0]
    return total


@pytest.mark.parametrize("model", [*MODELS, Arrhenius(150, 4), SquareRoot(-2, 4)],
                         ids=lambda m: type(m).__name__)
def test_linear_interpolation_matches_numerical_quadrature(model: object) -> None:
    times = [0.0, 0.5, 2.0, 2.25, 5.0, 9.0]
    temps = [-4.0, 2.0, 18.0, 17.9999999, 55.0, -5.0]
    got = equivalent_time(times, temps, model)  # type: ignore[arg-type]
    assert got == pytest.approx(_quad_reference(times, temps, model), rel=1e-9)


def test_square_root_clip_crossing_inside_an_interval() -> None:
    # T from -6 to 10 over 1 h with T_min = -2: rate 0 for the first quarter hour, then
    # ((T + 2)/6)^2 while T rises 12 °C over 0.75 h: 0.75 * (12^3/3)/12/36 = 1.
    assert equivalent_time([0, 1], [-6, 10], SquareRoot(-2, 4)) == pytest.approx(1.0)
    assert equivalent_time([0, 1], [10, -6], SquareRoot(-2, 4)) == pytest.approx(1.0)
    assert equivalent_time([0, 1], [-6, -3], SquareRoot(-2, 4)) == 0.0


def test_four_interpolations_by_hand() -> None:
    m = Q10(3, 4)
    got = {i: equivalent_time([0, 1], [4, 14], m, interpolation=i) for i in INTERPOLATIONS}
    assert got["previous"] == pytest.approx(1.0)
    assert got["next"] == pytest.approx(3.0)
    assert got["trapezoid"] == pytest.approx(2.0)
    assert got["linear"] == pytest.approx(2 / math.log(3))


def test_two_d_padded_and_long_format_agree_with_one_lot_calls() -> None:
    m = Q10(2.5, 4)
    times = np.array([[0, 1, 3, np.nan], [0, 2, 4, 6]], dtype=float)
    temps = np.array([[4, 8, 6, np.nan], [5, 5, 12, 3]], dtype=float)
    batch = equivalent_time(times, temps, m)
    singles = [equivalent_time([0, 1, 3], [4, 8, 6], m), equivalent_time(times[1], temps[1], m)]
    np.testing.assert_allclose(batch, singles, rtol=1e-12)
    long = equivalent_time([0, 1, 3, 0, 2, 4, 6], [4, 8, 6, 5, 5, 12, 3], m,
                           lot_ids=["a", "a", "a", "b", "b", "b", "b"])
    np.testing.assert_allclose(long, singles, rtol=1e-12)
    # one shared clock: a NaN temperature at a known time is a missing tail, never padding
    with pytest.raises(TimeSeriesError, match=r"missing reading at the end of the log "
                                              r"\(lot 0, reading 3\)"):
        equivalent_time(times[1], temps, m)
    late = np.array([[np.nan, 4, 8, 6], [5, 5, 12, 3]])  # ...but a lot may arrive late
    np.testing.assert_allclose(equivalent_time(times[1], late, m),
                               [equivalent_time([2, 4, 6], [4, 8, 6], m), singles[1]])


def test_accepts_quantities_at_the_boundary() -> None:
    got = equivalent_time(Q_(np.array([0, 2]), "d"), Q_(np.array([12.0, 12.0]), "degC"),
                          Q10(3, 4))
    assert got == pytest.approx(48 * 3 ** 0.8)


# --------------------------------------------------------------------------- bad input
def test_unsorted_timestamps_name_the_lot_and_reading() -> None:
    with pytest.raises(TimeSeriesError, match=r"unsorted timestamps 1\.0 after 2\.0 "
                       r"\(lot 1, reading 2\)") as info:
        equivalent_time([[0, 1, 2], [0, 2, 1]], [[4, 4, 4], [4, 4, 4]], Q10(3, 4))
    assert info.value.row == (1, 2)
    assert isinstance(info.value, ValueError)


def test_duplicate_timestamps_are_errors_in_every_format() -> None:
    with pytest.raises(TimeSeriesError, match="duplicate timestamp"):
        equivalent_time([0, 1, 1], [4, 4, 4], Q10(3, 4))
    with pytest.raises(TimeSeriesError, match=r"duplicate timestamp 1\.0 after 1\.0 "
                       r"\(lot 'b', row 4\)"):
        equivalent_time([0, 1, 0, 1, 1], [4] * 5, Q10(3, 4), lot_ids=list("aabbb"))


def test_long_format_lots_must_be_grouped() -> None:
    with pytest.raises(TimeSeriesError, match="grouped"):
        equivalent_time([0, 0, 1], [4, 4, 4], Q10(3, 4), lot_ids=["a", "b", "a"])


def test_missing_reading_inside_a_log_is_refused_not_bridged() -> None:
    with pytest.raises(TimeSeriesError, match=r"missing reading inside the log \(lot 0, "
                       r"reading 1\)"):
        equivalent_time([[0, 1, 2]], [[4, np.nan, 4]], Q10(3, 4))
    with pytest.raises(TimeSeriesError, match="missing reading"):
        equivalent_time([0, 1, 2], [4, np.nan, 4], Q10(3, 4))
    with pytest.raises(TimeSeriesError, match="missing reading"):
        equivalent_time([0, 1, 2], [4, np.nan, 4], Q10(3, 4), lot_ids=[7, 7, 7])


def test_infinite_or_non_numeric_readings_are_errors() -> None:
    with pytest.raises(ValidationError, match="finite or NaN"):
        equivalent_time([0, 1], [4, np.inf], Q10(3, 4))
    with pytest.raises(ValidationError, match="numbers"):
        equivalent_time([0, 1], ["a", "b"], Q10(3, 4))


def test_empty_and_mismatched_inputs_are_errors() -> None:
    with pytest.raises(ValidationError, match="at least one reading"):
        equivalent_time([], [], Q10(3, 4))
    with pytest.raises(ValidationError, match="same length"):
        equivalent_time([0, 1, 2], [4, 4], Q10(3, 4))
    with pytest.raises(TimeSeriesError, match="lot 1 has no readings"):
        equivalent_time([[0, 1], [np.nan, np.nan]], [[4, 4], [np.nan, np.nan]], Q10(3, 4))
    with pytest.raises(TimeSeriesError, match=r"missing reading .*\(lot 1, reading 0\)"):
        equivalent_time([[0, 1], [0, 1]], [[4, 4], [np.nan, np.nan]], Q10(3, 4))
    with pytest.raises(TimeSeriesError, match=r"padding .* inside the log \(lot 0, reading 1\)"):
        equivalent_time([[0, np.nan, 2]], [[4, np.nan, 4]], Q10(3, 4))
    with pytest.raises(ValidationError, match="interpolation must be one of"):
        equivalent_time([0, 1], [4, 4], Q10(3, 4), interpolation="spline")
    with pytest.raises(ValidationError, match="model must be a rate model"):
        equivalent_time([0, 1], [4, 4], 3)  # type: ignore[arg-type]


def test_single_reading_consumes_nothing() -> None:
    assert equivalent_time([5.0], [30.0], Q10(3, 4)) == 0.0


def test_plausible_range_and_max_gap_are_enforced_when_given() -> None:
    with pytest.raises(ValidationError, match=r"plausible range \[-40, 60\]"):
        equivalent_time([0, 1, 2], [4, 85, 4], Q10(3, 4), plausible_range_c=(-40, 60))
    with pytest.raises(TimeSeriesError, match="exceeds max_gap_h"):
        equivalent_time([0, 1, 5], [4, 4, 4], Q10(3, 4), max_gap_h=2)


def test_errors_derive_from_the_library_base() -> None:
    with pytest.raises(JxcRulesError):
        Q10(0, 4)


# --------------------------------------------------------------------------- temperatures
def test_effective_temperature_of_a_constant_log_is_that_temperature() -> None:
    for model in MODELS:
        assert effective_temperature([0, 3, 7], [9, 9, 9], model) == pytest.approx(9.0)


def test_mean_kinetic_temperature_haynes_by_hand() -> None:
    temps = np.array([20.0, 25.0, 30.0, 40.0])
    c = 83144 / 8.314462618
    expected = c / -math.log(np.mean(np.exp(-c / (temps + 273.15)))) - 273.15
    assert mean_kinetic_temperature(temps) == pytest.approx(expected, rel=1e-12)
    # the time-weighted form with 'previous' on equal steps is the same formula
    got = mean_kinetic_temperature([*temps, 0.0], times_h=[0, 1, 2, 3, 4],
                                   interpolation="previous")
    assert got == pytest.approx(expected, rel=1e-9)


# --------------------------------------------------------------------------- the rule
def test_shelf_life_rule_round_trips_through_a_mapping() -> None:
    rule = ShelfLifeRule(
        model=Q10(3, 4), shelf_life_ref_h="10 d", alert_offset_h="2 d", removal_offset_h=12,
        hard_limits=[HardLimit(4, above_c=5), {"band_c": [4.4, 60], "max_hours": 2}],
        freeze_point_c=-0.5, freeze_action="remove", max_gap_h=1, worst_case_temp_c=25,
        source="illustrative",
    )
    assert ShelfLifeRule.from_mapping(rule.to_mapping()) == rule
    assert rule.hard_limits[1].bounds_c == (4.4, 60.0)


def test_shelf_life_rule_errors_name_the_key() -> None:
    base = {"model": {"q10": 3, "ref_temp_c": 4}, "shelf_life_ref_h": 240}
    with pytest.raises(ValidationError, match="shelf_life_ref_h must be a finite duration > 0"):
        ShelfLifeRule.from_mapping({**base, "shelf_life_ref_h": -1})
    with pytest.raises(ValidationError, match=r"model\.t_min_c must be below ref_temp_c"):
        ShelfLifeRule.from_mapping({**base, "model": {"t_min_c": 5, "ref_temp_c": 4}})
    with pytest.raises(ValidationError, match="colour must be absent") as info:
        ShelfLifeRule.from_mapping({**base, "colour": "red"})
    assert info.value.field == "colour"
    with pytest.raises(ValidationError, match=r"hard_limits\[0\]\.max_hours"):
        ShelfLifeRule.from_mapping({**base, "hard_limits": [{"above_c": 5}]})
    with pytest.raises(ValidationError, match="removal_offset_h must be <= alert_offset_h"):
        ShelfLifeRule.from_mapping({**base, "alert_offset_h": 1, "removal_offset_h": 2})
    with pytest.raises(ValidationError, match="freeze_action"):
        ShelfLifeRule.from_mapping({**base, "freeze_action": "thaw"})


def test_public_names_are_reexported() -> None:
    for name in ("Q10", "Arrhenius", "SquareRoot", "shelf_life_at", "equivalent_time",
                 "remaining_life", "ShelfLifeRule"):
        assert hasattr(jxc_rules, name)


def test_blocks_of_lots_give_the_same_result_and_name_the_right_lot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from jxc_rules.shelf_life import ShelfLifeRule, assess_lots, integrate

    rng = np.random.default_rng(5)
    times = np.cumsum(rng.uniform(0.1, 1.0, 12))
    temps = rng.uniform(-2, 20, (9, 12))
    temps[4, 9:] = np.nan  # padding inside the third block, explicit in per-lot times
    per_lot = np.tile(times, (9, 1))
    per_lot[4, 9:] = np.nan
    model = Q10(2.5, 4)
    rule = ShelfLifeRule(model, 100.0, max_gap_h=0.5)
    whole = equivalent_time(per_lot, temps, model)
    whole_assessed = assess_lots(times, temps, rule, now_h=times[-1])
    monkeypatch.setattr(integrate, "_CHUNK_ELEMENTS", 24)  # two lots per block
    monkeypatch.setattr(integrate, "_ASSESS_CHUNK_ELEMENTS", 24)
    np.testing.assert_allclose(equivalent_time(per_lot, temps, model), whole, rtol=1e-15)
    with pytest.raises(TimeSeriesError, match=r"end of the log \(lot 4, reading 9\)"):
        equivalent_time(times, temps, model)  # the shared clock says readings are missing
    blocked = assess_lots(times, temps, rule, now_h=times[-1])
    np.testing.assert_allclose(blocked.consumed_h, whole_assessed.consumed_h, rtol=1e-15)
    np.testing.assert_allclose(blocked.gap_h, whole_assessed.gap_h)
    bad = per_lot.copy()
    bad[7, 5] = bad[7, 4]
    with pytest.raises(TimeSeriesError, match=r"\(lot 7, reading 5\)") as info:
        equivalent_time(bad, temps, model)
    assert info.value.row == (7, 5)
    with pytest.raises(TimeSeriesError, match=r"lot 7, reading 5"):
        assess_lots(bad, temps, rule, now_h=100)
    hot = temps.copy()
    hot[8, 3] = 90.0
    with pytest.raises(ValidationError, match=r"plausible range.*\(lot 8, reading 3\)"):
        equivalent_time(per_lot, hot, model, plausible_range_c=(-50, 70))
    with pytest.raises(TimeSeriesError, match=r"exceeds max_gap_h=0.05 before lot 0, reading 1"):
        equivalent_time(per_lot, temps, model, max_gap_h=0.05)


def test_remaining_and_effective_temperature_per_lot() -> None:
    m = Q10(3, 4)
    times = np.array([[0, 24, 48], [0, 24, 48], [0, 24, np.nan]])  # lot 2 padded
    temps = np.array([[4, 4, 4], [12, 12, 12], [14, 14, np.nan]])
    left = remaining_life(times, temps, m, 240)
    np.testing.assert_allclose(left, [192, 240 - 48 * 3 ** 0.8, 240 - 24 * 3])
    np.testing.assert_allclose(effective_temperature(times, temps, m), [4, 12, 14])
    long = effective_temperature([0, 24, 0, 10], [5, 5, 9, 9], m, lot_ids=["a", "a", "b", "b"])
    np.testing.assert_allclose(long, [5, 9])
    mkt = mean_kinetic_temperature(np.array([[20.0, 30.0], [25.0, np.nan]]))
    np.testing.assert_allclose(mkt, [mean_kinetic_temperature([20, 30]), 25.0])


def test_hard_limit_needs_a_bound_and_an_ordered_band() -> None:
    with pytest.raises(ValidationError, match="above_c must be given"):
        HardLimit(4)
    with pytest.raises(ValidationError, match="below_c must be above above_c"):
        HardLimit(4, above_c=10, below_c=5)
    with pytest.raises(ValidationError, match=r"hard_limit\.band_c must be a pair"):
        HardLimit.from_mapping({"band_c": [1], "max_hours": 2})
    with pytest.raises(ValidationError, match=r"hard_limit\.max_hours must be a finite duration"):
        HardLimit.from_mapping({"above_c": 5, "max_hours": -1})
    assert HardLimit.from_mapping({"above_c": 5, "max_hours": "30 min"}).max_hours == 0.5


def test_shelf_life_at_reads_temperature_quantities() -> None:
    assert shelf_life_at("14 degC", 10, Q10(3, 4)) == pytest.approx(10 / 3)
    assert shelf_life_at(Q_(57.2, "degF"), 10, Q10(3, 4)) == pytest.approx(10 / 3)


def test_shelf_life_in_a_unit_that_is_not_a_duration_is_a_unit_error() -> None:
    with pytest.raises(UnitError, match=r"shelf_life_ref must be a time quantity, got '10 kg'"):
        shelf_life_at(8, "10 kg", Q10(3, 4))
    with pytest.raises(UnitError, match=r"got '10 kilogram' \(mass\)"):
        shelf_life_at(8, Q_(10, "kg"), Q10(3, 4))
    assert shelf_life_at(4, "10 d", Q10(3, 4)).to("h").magnitude == pytest.approx(240)
