"""Hardening of live weight and wastage (#21): broadcasting only from scalars where documented,
no bools or strings as kilograms, shapes named, tolerance checked, no overflow warnings."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from jxc_rules.errors import ValidationError
from jxc_rules.live_weight import (
    MortalityCurve,
    TransitModel,
    expected_weight,
    origin_weight,
    reconcile,
    retained_fraction,
)
from jxc_rules.wastage import (
    ChannelLoss,
    blended_loss,
    calibrate_channel_losses,
    convert_rate,
    covers,
    dish_portions,
    gross_up,
    loss_to_markup,
    markup_to_loss,
    net_from_gross,
    order_quantities,
    par_level,
    prep_chain,
    prep_quantities,
    recipe_matrix,
    theoretical_usage,
    usage_variance,
)


@pytest.fixture(autouse=True)
def _warnings_are_errors() -> Iterator[None]:
    """Every test here runs as under ``-W error``: a numpy RuntimeWarning or ComplexWarning on
    the way to a result or an error fails it."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_a_length_one_list_is_not_broadcast_onto_two_shipments() -> None:
    with pytest.raises(ValidationError, match=r"shipped_kg\(2,\).*received_kg\(1,\)"):
        reconcile([1000, 2000], [975], 8, rate_per_hour=0.003)
    rec = reconcile([1000, 2000], 975, 8, rate_per_hour=0.003)  # a scalar still broadcasts
    assert rec.unexplained_kg.shape == (2,)


@pytest.mark.parametrize("bad", [True, [True, False], "1000", ["1000", "2000"], np.array(["1"])])
def test_bools_and_strings_are_not_kilograms(bad: object) -> None:
    with pytest.raises(ValidationError, match=r"shipped_kg must be (numbers|a mass quantity)"):
        reconcile(bad, [975, 1950], 8, rate_per_hour=0.003)
    with pytest.raises(ValidationError, match=r"initial_kg must be (numbers|a mass quantity)"):
        expected_weight(bad, 8, rate_per_hour=0.003)


def test_two_dimensional_shipments_are_refused() -> None:
    with pytest.raises(ValidationError, match=r"shipped_kg must be 1-D"):
        reconcile([[1000, 2000]], [[975, 1950]], 8, rate_per_hour=0.003)


@pytest.mark.parametrize("call", [
    lambda: expected_weight(1000, 8, rate_per_hour=0.003, temp_c=1e6, ref_temp_c=20, q10=3),
    lambda: origin_weight(900, 8, rate_per_hour=0.003, temp_c=1e6, ref_temp_c=20, q10=3),
    lambda: reconcile(1000, 900, 8, rate_per_hour=0.003, temp_c=1e6, ref_temp_c=20, q10=3),
])
def test_extreme_temperatures_raise_no_overflow_warning(call: object) -> None:
    assert callable(call)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a numpy RuntimeWarning would fail here
        with pytest.raises(ValidationError, match="scaled to temp_c must be below 1 per hour"):
            call()


def test_gross_up_shapes_that_do_not_broadcast_are_named() -> None:
    with pytest.raises(ValidationError, match=r"net\(3,\).*loss\(2,\)"):
        gross_up([1, 2, 3], [0.1, 0.2])
    assert gross_up(np.ones((2, 3)), np.array([0.5, 0.0, 0.0])).shape == (2, 3)


@pytest.mark.parametrize("tolerance", [float("nan"), -1.0, float("inf"), True, "0.1"])
def test_blended_loss_tolerance_must_be_a_finite_number_at_least_zero(tolerance: object) -> None:
    with pytest.raises(ValidationError, match="tolerance"):
        blended_loss({"dine_in": 0.7, "takeaway": 0.3}, {"dine_in": 0.04, "takeaway": 0.1},
                     tolerance=tolerance)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="tolerance"):
        blended_loss([[0.5, 0.5]], [0.02, 0.06], tolerance=tolerance)  # type: ignore[arg-type]


def test_blended_loss_with_a_nan_tolerance_no_longer_skips_the_share_check() -> None:
    with pytest.raises(ValidationError, match="sum to 1"):
        blended_loss({"dine_in": 0.9, "takeaway": 0.9}, {"dine_in": 0.04, "takeaway": 0.1})


# ---------------------------------------------------------------- live weight: one value per
# shipment, each field named as itself


@pytest.mark.parametrize(("kwargs", "named"), [
    ({"hours": [8]}, r"hours\(1,\)"),
    ({"rate_per_hour": [0.003]}, r"rate_per_hour\(1,\)"),
    ({"temp_c": [30], "ref_temp_c": 20, "q10": 2}, r"temp_c\(1,\)"),
    ({"temp_c": 30, "ref_temp_c": [20], "q10": 2}, r"ref_temp_c\(1,\)"),
    ({"temp_c": 30, "ref_temp_c": 20, "q10": [2]}, r"q10\(1,\)"),
    ({"tolerance_kg": [5]}, r"tolerance_kg\(1,\)"),
    ({"dead_kg": [5]}, r"dead_kg\(1,\)"),
    ({"dead_count": [1], "fish_kg": 1.2}, r"dead_count × fish_kg\(1,\)"),
    ({"expected_dead_fraction": [0.01]}, r"expected_dead_fraction\(1,\)"),
])
def test_a_length_one_list_of_any_reconcile_input_is_named_as_itself(
        kwargs: dict[str, Any], named: str) -> None:
    args: dict[str, Any] = {"hours": 8, "rate_per_hour": 0.003, **kwargs}
    with pytest.raises(ValidationError, match=rf"shipped_kg\(2,\), received_kg\(2,\), {named}"):
        reconcile([1000, 2000], [975, 1950], **args)


@pytest.mark.parametrize("field", ["hours", "rate_per_hour", "tolerance_kg", "temp_c"])
def test_a_two_dimensional_reconcile_input_is_named_as_itself(field: str) -> None:
    args: dict[str, Any] = {"hours": 8, "rate_per_hour": 0.003, "temp_c": 25, "ref_temp_c": 25,
                            "q10": 2, "tolerance_kg": 5}
    args[field] = [[args[field], args[field]]]
    with pytest.raises(ValidationError, match=rf"^{field} must be 1-D \(one value per shipment\)"):
        reconcile(1000, 975, **args)


def test_single_values_and_one_value_per_shipment_still_reconcile() -> None:
    rec = reconcile([1000, 2000], [975, 1950], [8, 9], rate_per_hour=[0.003, 0.002],
                    temp_c=[25, 30], ref_temp_c=25, q10=2, tolerance_kg=5)
    assert rec.unexplained_kg.shape == (2,)


@pytest.mark.parametrize("bad", [np.array([1000 + 5j]), np.array(["2026-01-01"], dtype="M8[D]"),
                                 np.array([1000], dtype="m8[s]"), bytearray(b"1000")])
def test_complex_numbers_and_datetimes_are_not_kilograms(bad: object) -> None:
    with pytest.raises(ValidationError, match="shipped_kg must be numbers"):
        reconcile(bad, [975], 8, rate_per_hour=0.003)
    with pytest.raises(ValidationError, match="initial_kg must be numbers"):
        expected_weight(bad, 8, rate_per_hour=0.003)


def test_expected_weight_still_broadcasts_a_column_of_loads_against_a_row_of_hours() -> None:
    grid = expected_weight([[1000], [500]], [4, 8], rate_per_hour=0.003)  # documented
    assert grid.shape == (2, 2)


_MODEL = TransitModel(0.003, q10=3, ref_temp_c=20)


@pytest.mark.parametrize("call", [
    lambda: _MODEL.expected_weight(1000, 8, 1e6),
    lambda: _MODEL.origin_weight(900, 8, 1e6),
    lambda: _MODEL.rate_at(1e6),
    lambda: _MODEL.reconcile(1000, 900, 8, 1e6),
    lambda: _MODEL.expected_weight(1000, [4, 4], [20, 1e6], legs=True),
    lambda: TransitModel(0.003, q10=1e300, ref_temp_c=0).expected_weight(1000, 8, 40),
    lambda: retained_fraction(8, rate_per_hour=0.003, temp_c=1e308, ref_temp_c=-1e308, q10=3),
])
def test_transit_model_extreme_temperatures_are_refused_without_a_warning(
        call: Callable[[], object]) -> None:
    with pytest.raises(ValidationError, match="scaled to temp_c must be below 1 per hour"):
        call()


def test_defined_results_at_the_extremes() -> None:
    # a zero rate is zero at any temperature (not 0 × inf = NaN)
    assert expected_weight(1000, 8, rate_per_hour=0, temp_c=1e6, ref_temp_c=20, q10=3) == 1000
    # deep cold: the scaled rate underflows to 0 and nothing is lost
    assert expected_weight(1000, 8, rate_per_hour=0.003, temp_c=-1e6, ref_temp_c=20, q10=3) \
        == 1000
    assert _MODEL.expected_weight(1000, 8, -1e6) == 1000
    # hours beyond any trip: everything is lost (compound and continuous decay to 0)
    assert expected_weight(1000, 1e308, rate_per_hour=0.9) == 0
    assert expected_weight(1000, 1e308, rate_per_hour=0.9, form="continuous") == 0
    assert TransitModel(0.9).expected_weight(1000, 1e308) == 0
    two_phase = TransitModel(0.9, initial_rate_per_hour=0.5, initial_phase_hours=2)
    assert two_phase.expected_weight(1000, [1e308, 1e308], legs=True) == 0
    with pytest.raises(ValidationError, match="<= 1 for the linear form"):
        expected_weight(1000, 1e308, rate_per_hour=0.9, form="linear")


def test_an_origin_weight_beyond_float_range_is_refused() -> None:
    with pytest.raises(ValidationError, match="hours must be a trip that leaves enough weight"):
        origin_weight(1e10, 1000, rate_per_hour=0.5)
    with pytest.raises(ValidationError, match=r"hours must be .* \(row 1\)"):
        TransitModel(0.5).origin_weight([1e10, 1e10], [8, 1000])


def test_money_beyond_float_range_is_refused_without_a_warning() -> None:
    rec = reconcile(1e300, 0, 8, rate_per_hour=0.003)
    with pytest.raises(ValidationError, match="expected_shrink_kg × price must be a finite"):
        rec.value("1e300")
    with pytest.raises(ValidationError, match="price must be a price within float range"):
        rec.value("1e400")


def test_transit_model_reconcile_repeats_single_values_only() -> None:
    with pytest.raises(ValidationError, match=r"hours\(2,\), temp_c\(1,\)"):
        _MODEL.reconcile([1000, 2000], [975, 1950], [8, 9], [30])
    with pytest.raises(ValidationError, match=r"temp_c\(2,\) must have the shape of "
                                              r"hours\(2, 2\)"):
        _MODEL.reconcile([1000, 2000], [975, 1950], [[4, 4], [5, 4]], [30, 20], legs=True)
    legs = _MODEL.reconcile([1000, 2000], [975, 1950], [[4, 4], [5, 4]], [[30, 20], [30, 20]],
                            legs=True)
    assert legs.unexplained_kg.shape == (2,)
    assert _MODEL.reconcile([1000, 2000], [975, 1950], [[4, 4], [5, 4]], 30,
                            legs=True).n == 2
    # expected_weight keeps numpy broadcasting: one leg profile for every trip
    assert _MODEL.expected_weight([1000, 2000], [[4, 4], [5, 4]], [30, 20], legs=True).shape \
        == (2,)


@pytest.mark.parametrize(("build", "field"), [
    (lambda: TransitModel(0.003, q10="3", ref_temp_c=20), "q10"),
    (lambda: TransitModel(0.003, q10=np.True_, ref_temp_c=20), "q10"),
    (lambda: TransitModel(0.003, q10=2 + 0j, ref_temp_c=20), "q10"),
    (lambda: TransitModel(np.False_), "rate_per_hour"),
    (lambda: TransitModel(0.003, initial_rate_per_hour=np.True_, initial_phase_hours=2),
     "initial_rate_per_hour"),
    (lambda: MortalityCurve(hours=[0, True], dead_fraction=[0, 0.1]), "hours"),
    (lambda: MortalityCurve(hours=["0", "6"], dead_fraction=[0, 0.1]), "hours"),
    (lambda: MortalityCurve(hours=[0, 6], dead_fraction=np.array([False, True])),
     "dead_fraction"),
    (lambda: MortalityCurve.hockey_stick("6", before_per_hour=0.001, after_per_hour=0.01,
                                         horizon_hours=12), "threshold_hours"),
])
def test_model_parameters_refuse_bools_and_text(build: Callable[[], object], field: str) -> None:
    with pytest.raises(ValidationError, match=rf"^{field} must be a"):
        build()


def test_model_parameters_with_units_still_read_strings() -> None:
    m = TransitModel("0.3 %/h", q10=2, ref_temp_c="25 °C", initial_rate_per_hour="1 %/h",
                     initial_phase_hours="2 h")
    assert (m.rate_per_hour, m.ref_temp_c, m.initial_phase_hours) == (0.003, 25.0, 2.0)


# ---------------------------------------------------------------- wastage: numbers, shapes


# a scalar string is a quantity string where a field takes units ("96 kg"; a bare "10" is then a
# dimensionless quantity, a UnitError against kilograms): those fields get the other bad values
_BAD_NUMBERS = [True, [True, 2.0], ["10"], np.array([1 + 0j])]
_QUANTITY_FIELDS = [
    (lambda v: gross_up(v, 0.04), "net"),
    (lambda v: par_level(v, 2, unit="kg"), "usage_per_day"),
    (lambda v: order_quantities(v, 0.0), "par"),
    (lambda v: order_quantities(20.0, v, unit="kg"), "on_hand"),
    (lambda v: usage_variance(v, [3.0], [4.0], [8.2], items=["beef"]), "opening"),
]
_NUMBER_FIELDS = [
    (lambda v: gross_up(10.0, v, convention="markup"), "markup"),
    (lambda v: net_from_gross(v, 0.04), "gross"),
    (lambda v: net_from_gross(100.0, v), "loss"),
    (lambda v: loss_to_markup(v), "loss"),
    (lambda v: markup_to_loss(v), "markup"),
    (lambda v: convert_rate(v, "markup", "markup"), "markup"),
    (lambda v: blended_loss([[1.0]], v, convention="markup"), "losses"),
    (lambda v: blended_loss(v, [0.04]), "shares"),
    (lambda v: prep_quantities(v), "edible"),
    (lambda v: prep_quantities([[[10.0]]], losses=v), "loss"),
    (lambda v: covers(v, 3.8, 3.2, turnover_definition="uses_per_table"), "tables"),
    (lambda v: prep_chain(30, 3.8, 3.2, 0.35, 0.15, turnover_definition="uses_per_table",
                          loss=v, convention="markup"), "loss"),
    (lambda v: par_level(v, 2), "usage_per_day"),
    (lambda v: par_level(10.0, v), "days_of_cover"),
    (lambda v: dish_portions(v, [[0.35]]), "drivers"),
    (lambda v: theoretical_usage(v, recipe_matrix({"plate": {"beef": 0.15}})), "sold"),
]


@pytest.mark.parametrize(("call", "field", "bad"), [
    *((call, field, bad) for call, field in _QUANTITY_FIELDS + _NUMBER_FIELDS
      for bad in _BAD_NUMBERS),
    *((call, field, "10") for call, field in _NUMBER_FIELDS),
])
def test_wastage_kernels_take_numbers_not_bools_strings_or_complex(
        call: Callable[[object], object], field: str, bad: object) -> None:
    with pytest.raises(ValidationError, match=rf"^{field} must be numbers"):
        call(bad)


def test_net_from_gross_shapes_that_do_not_broadcast_are_named() -> None:
    with pytest.raises(ValidationError, match=r"gross\(3,\), loss\(2,\)"):
        net_from_gross([1, 2, 3], [0.1, 0.2])
    assert net_from_gross(np.ones((2, 3)), np.array([0.5, 0.0, 0.0])).shape == (2, 3)


@pytest.mark.parametrize(("shares", "losses", "field"), [
    ({"dine_in": [0.5, 0.5]}, {"dine_in": 0.04}, r"shares\[dine_in\]"),
    ({"dine_in": 1.0}, {"dine_in": [0.04, 0.05]}, r"losses\[dine_in\]"),
    ({"dine_in": 1.0}, {"dine_in": [0.04]}, r"losses\[dine_in\]"),
])
def test_blended_loss_mapping_entries_are_one_number_each(
        shares: dict[str, Any], losses: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError, match=rf"^{field} must be one number per channel"):
        blended_loss(shares, losses)


@pytest.mark.parametrize("tolerance", [np.float32(0.01), Decimal("0.01"), 0, 1])
def test_blended_loss_tolerance_accepts_any_real_number_at_least_zero(tolerance: object) -> None:
    got = blended_loss({"dine_in": 0.7, "takeaway": 0.3}, {"dine_in": 0.04, "takeaway": 0.1},
                       tolerance=tolerance)  # type: ignore[arg-type]
    assert got == pytest.approx(0.058)


@pytest.mark.parametrize("tolerance", [[0.1], np.bool_(True), 10**400, None])
def test_blended_loss_tolerance_is_one_finite_number(tolerance: object) -> None:
    with pytest.raises(ValidationError, match=r"^tolerance must be a finite number >= 0"):
        blended_loss({"dine_in": 1.0}, {"dine_in": 0.04},
                     tolerance=tolerance)  # type: ignore[arg-type]


def test_covers_still_broadcast_days_by_stores_as_documented() -> None:
    tables = [30, 20]  # per store
    turnover = [[3.8, 2.0], [3.0, 2.5]]  # per day and store
    got = covers(tables, turnover, 3.2, turnover_definition="uses_per_table")
    assert np.asarray(got).round(6).tolist() == [[364.8, 128.0], [288.0, 160.0]]


def test_prep_chain_broadcasts_and_names_the_shapes_that_do_not() -> None:
    chain = prep_chain([30, 20], 3.8, 3.2, [[0.35], [0.2]], 0.15,
                       turnover_definition="uses_per_table", loss=0.04, convention="loss")
    assert np.shape(chain.prep) == (2, 2)
    with pytest.raises(ValidationError, match=r"take_rate\(2,\), portion\(3,\)"):
        prep_chain(30, 3.8, 3.2, [0.35, 0.2], [0.15, 0.1, 0.2],
                   turnover_definition="uses_per_table", convention="loss")
    with pytest.raises(ValidationError, match=r"take_rate\(2,\).*loss\(3,\)"):
        prep_chain(30, 3.8, 3.2, [0.35, 0.2], 0.15, turnover_definition="uses_per_table",
                   loss=[0.1, 0.2, 0.3], convention="markup")


def test_par_and_orders_repeat_single_values_only() -> None:
    assert np.asarray(par_level([10.0, 2.0], 2, 1.0)).tolist() == [21.0, 5.0]
    with pytest.raises(ValidationError, match=r"usage_per_day\(2,\), days_of_cover\(1,\)"):
        par_level([10.0, 2.0], [2])
    with pytest.raises(ValidationError, match=r"par\(2,\), on_hand\(1,\)"):
        order_quantities([10.0, 2.0], [1.0])


_NET = np.array([[80, 20], [50, 50], [20, 80]], dtype=float)


@pytest.mark.parametrize("level", ["0.9", True, float("nan"), [0.9], 1.0])
def test_calibration_level_is_one_coverage_in_zero_one(level: object) -> None:
    with pytest.raises(ValidationError, match=r"^level must be a coverage in"):
        calibrate_channel_losses(_NET, _NET.sum(axis=1) * 1.05, channels=["a", "b"],
                                 level=level)  # type: ignore[arg-type]


def test_calibration_takes_a_numpy_int_of_resamples_but_not_a_bool() -> None:
    fit = calibrate_channel_losses(_NET, _NET @ [1.04, 1.1], channels=["a", "b"],
                                   n_resamples=np.int64(20), seed=0)
    assert fit.markup.round(6).tolist() == [0.04, 0.1]
    with pytest.raises(ValidationError, match="n_resamples must be an int"):
        calibrate_channel_losses(_NET, _NET @ [1.04, 1.1], channels=["a", "b"],
                                 n_resamples=True)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"caps": [0.05]}, "caps"),
    ({"caps": {"meat": [0.05]}, "categories": ["meat"]}, "caps.meat"),
])
def test_variance_caps_are_single_numbers(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError, match=rf"^{field} must be a single number"):
        usage_variance([10.0], [3.0], [4.0], [8.2], items=["beef"], **kwargs)


@pytest.mark.parametrize("bad", [np.True_, np.complex128(0.01)])
def test_channel_loss_causes_refuse_numpy_bools_and_complex_numbers(bad: object) -> None:
    with pytest.raises(ValidationError, match=r"^prep must be a number"):
        ChannelLoss("markup", prep=bad)  # type: ignore[arg-type]


def test_turnover_and_par_levels_near_the_float_limit_are_exact_or_named() -> None:
    """Fuzz finds (dev profile): convert_turnover(1e308) overflowed inside its rounding and
    par_level(2, 1e308, 1) overflowed, each with a bare RuntimeWarning."""
    import warnings

    import numpy as np

    from jxc_rules.errors import ValidationError
    from jxc_rules.wastage.prep import convert_turnover, par_level

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        big = convert_turnover(np.array([1e308, 2.0]), "uses_per_table", "uses_per_table")
        assert np.asarray(big).tolist() == [1e308, 2.0]
        assert convert_turnover(3.8, "uses_per_table", "extra_uses_per_table") == 2.8
        with pytest.raises(ValidationError, match="within float range") as info:
            par_level(2.0, np.array([1e308, 1e308]), 1.0)
    assert info.value.field == "usage_per_day"
