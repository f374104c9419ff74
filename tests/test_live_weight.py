"""live_weight kernels: worked example, properties, reconciliation, money, bad input (issue 5)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jxc_rules import Q_, ValidationError
from jxc_rules.errors import JxcRulesError, UnitError
from jxc_rules.live_weight import (
    FORMS,
    Reconciliation,
    expected_weight,
    origin_weight,
    reconcile,
    retained_fraction,
)
from jxc_rules.testing import decay_forms, shipments, transit_rates

hours_st = st.floats(0.0, 48.0, allow_nan=False)
kg_st = st.floats(0.0, 50_000.0, allow_nan=False)


# ------------------------------------------------------------------ worked example


@pytest.mark.parametrize(
    ("form", "expected"),
    [("linear", 976.000), ("compound", 976.250), ("continuous", 976.286)],
)
def test_worked_example_1000_kg_8_hours_at_0_3_percent_per_hour(form: str, expected: float) -> None:
    got = expected_weight(1000, 8, rate_per_hour=0.003, form=form)
    assert round(float(got), 3) == expected


@pytest.mark.parametrize("rate", [0.003, "0.3 %/h", "0.3 percent / hour", Q_(0.3, "%/h"),
                                  Q_(0.072, "1/day")])
def test_rate_accepts_fractions_strings_and_quantities(rate: object) -> None:
    assert float(expected_weight(1000, 8, rate_per_hour=rate)) == pytest.approx(976.2504936564)


def test_hand_computed_values_of_each_form() -> None:
    # linear: 1000(1 − 0.024); compound: 1000·0.997⁸; continuous: 1000·e^(−0.024)
    w = expected_weight(1000, 8, rate_per_hour=0.003, form="compound")
    assert float(w) == pytest.approx(1000 * 0.997**8, rel=1e-15)
    w = expected_weight(1000, 8, rate_per_hour=0.003, form="continuous")
    assert float(w) == pytest.approx(1000 * np.exp(-0.024), rel=1e-15)


def test_scalars_give_0d_arrays_and_arrays_broadcast() -> None:
    w = expected_weight(1000, 8, rate_per_hour=0.003)
    assert isinstance(w, np.ndarray)
    assert w.shape == ()
    grid = expected_weight(np.array([[1000.0], [500.0]]), np.array([0.0, 4.0, 8.0]),
                           rate_per_hour=0.003)
    assert grid.shape == (2, 3)
    assert grid[1, 2] == pytest.approx(488.125246828, rel=1e-9)


def test_q10_doubles_the_rate_ten_degrees_above_reference() -> None:
    hot = expected_weight(1000, 8, rate_per_hour=0.003, temp_c=35, ref_temp_c=25, q10=2)
    assert float(hot) == pytest.approx(1000 * 0.994**8)
    same = expected_weight(1000, 8, rate_per_hour=0.003, temp_c=25, ref_temp_c=25, q10=3)
    assert float(same) == pytest.approx(976.2504936564)


def test_quantities_at_the_boundary() -> None:
    w = expected_weight("2 t", "480 min", rate_per_hour="0.3 %/h", form="linear")
    assert float(w) == pytest.approx(1952.0)


# ------------------------------------------------------------------ properties


@given(w0=kg_st, t1=hours_st, t2=hours_st, rate=transit_rates(0.02), form=decay_forms())
def test_weight_never_increases_with_time(w0: float, t1: float, t2: float, rate: float,
                                          form: str) -> None:
    a, b = sorted((t1, t2))
    wa = expected_weight(w0, a, rate_per_hour=rate, form=form)
    wb = expected_weight(w0, b, rate_per_hour=rate, form=form)
    assert wb <= wa
    assert 0.0 <= wb <= w0


@given(w0=kg_st, t=hours_st, r1=transit_rates(0.02), r2=transit_rates(0.02), form=decay_forms())
def test_weight_is_monotone_decreasing_in_rate(w0: float, t: float, r1: float, r2: float,
                                               form: str) -> None:
    lo, hi = sorted((r1, r2))
    assert expected_weight(w0, t, rate_per_hour=hi, form=form) <= expected_weight(
        w0, t, rate_per_hour=lo, form=form)


@given(w0=kg_st, a=hours_st, b=hours_st, rate=transit_rates(0.01),
       form=decay_forms(("compound", "continuous")),
       temp=st.floats(5, 35), q10=st.floats(1, 3))
def test_legs_compose_for_compound_and_continuous(w0: float, a: float, b: float, rate: float,
                                                  form: str, temp: float, q10: float) -> None:
    kw = {"rate_per_hour": rate, "form": form, "temp_c": temp, "ref_temp_c": 20.0, "q10": q10}
    whole = expected_weight(w0, a + b, **kw)
    parts = expected_weight(expected_weight(w0, a, **kw), b, **kw)
    assert float(parts) == pytest.approx(float(whole), rel=1e-12, abs=1e-9)


def test_twelve_hours_equal_five_plus_seven() -> None:
    for form in ("compound", "continuous"):
        whole = expected_weight(1000, 12, rate_per_hour=0.003, form=form)
        parts = expected_weight(expected_weight(1000, 5, rate_per_hour=0.003, form=form), 7,
                                rate_per_hour=0.003, form=form)
        assert float(parts) == pytest.approx(float(whole), rel=1e-14)
    # the linear form loses r·t of the *initial* weight, so chaining it is not the same trip
    lin = expected_weight(expected_weight(1000, 5, rate_per_hour=0.003, form="linear"), 7,
                          rate_per_hour=0.003, form="linear")
    assert float(lin) > float(expected_weight(1000, 12, rate_per_hour=0.003, form="linear"))


@given(w0=kg_st, t=hours_st, rate=transit_rates(0.02), form=decay_forms())
def test_origin_weight_inverts_expected_weight(w0: float, t: float, rate: float,
                                               form: str) -> None:
    arrival = expected_weight(w0, t, rate_per_hour=rate, form=form)
    assert float(origin_weight(arrival, t, rate_per_hour=rate, form=form)) == pytest.approx(
        w0, rel=1e-9, abs=1e-9)


@given(batch=shipments(), rate=transit_rates(0.02), form=decay_forms(),
       tol=st.floats(0, 50))
def test_reconcile_received_plus_unexplained_equals_expected(
        batch: dict[str, np.ndarray], rate: float, form: str, tol: float) -> None:
    rec = reconcile(batch["shipped_kg"], batch["received_kg"], batch["hours"], rate_per_hour=rate,
                    form=form, dead_kg=batch["dead_kg"], tolerance_kg=tol)
    np.testing.assert_allclose(rec.received_kg + rec.unexplained_kg, rec.expected_kg,
                               rtol=1e-12, atol=1e-8)
    np.testing.assert_allclose(
        rec.shipped_kg - rec.dead_kg - rec.received_kg,
        rec.expected_shrink_kg + rec.unexplained_kg, rtol=1e-12, atol=1e-8)
    np.testing.assert_array_equal(rec.flagged, np.abs(rec.unexplained_kg) > tol)
    np.testing.assert_array_equal(rec.gain,
                                  batch["received_kg"] > batch["shipped_kg"] - batch["dead_kg"])
    assert (rec.expected_shrink_kg >= 0).all()


# ------------------------------------------------------------------ reconcile


def test_reconcile_worked_rows_by_hand() -> None:
    rec = reconcile([1000, 1000, 1000], [976.25, 960, 990], 8, rate_per_hour=0.003,
                    tolerance_kg=5)
    keep = 0.997**8
    np.testing.assert_allclose(rec.expected_kg, 1000 * keep)
    np.testing.assert_allclose(rec.expected_shrink_kg, 1000 * (1 - keep))
    np.testing.assert_allclose(rec.unexplained_kg, 1000 * keep - np.array([976.25, 960, 990]))
    assert rec.flagged.tolist() == [False, True, True]


def test_dead_fish_are_taken_out_before_decay() -> None:
    rec = reconcile(1000, 900, 8, rate_per_hour=0.003, dead_kg=50)
    assert float(rec.expected_kg) == pytest.approx(950 * 0.997**8)
    assert float(rec.expected_shrink_kg) == pytest.approx(950 * (1 - 0.997**8))
    assert float(rec.explained_dead_kg) == 50.0
    assert float(rec.excess_dead_kg) == 0.0


def test_received_above_shipped_is_a_flagged_gain_not_an_error() -> None:
    rec = reconcile([1000, 1000], [1010, 970], 8, rate_per_hour=0.003)
    assert rec.gain.tolist() == [True, False]
    assert rec.flagged.tolist() == [True, True]
    assert float(rec.unexplained_kg[0]) == pytest.approx(1000 * 0.997**8 - 1010)
    assert rec.unexplained_kg[0] < 0


def test_reconcile_expected_dead_fraction_counts_excess_dead_as_unexplained() -> None:
    rec = reconcile(1000, [930, 900], 8, rate_per_hour=0.003, dead_kg=[5, 50],
                    expected_dead_fraction=0.01)
    assert rec.explained_dead_kg.tolist() == [5.0, 10.0]
    assert rec.excess_dead_kg.tolist() == [0.0, 40.0]
    keep = 0.997**8
    np.testing.assert_allclose(rec.expected_kg, [995 * keep, 990 * keep])
    # the 40 kg of excess dead were expected to arrive alive: their arrival weight is unexplained
    live_only = 950 * keep - 900
    assert float(rec.unexplained_kg[1]) == pytest.approx(live_only + 40 * keep)


def test_reconcile_scalar_fields_and_summaries() -> None:
    rec = reconcile(1000, 970, 8, rate_per_hour="0.3 %/h")
    assert isinstance(rec, Reconciliation)
    assert rec.expected_kg.shape == ()
    assert rec.n == 1
    assert rec.n_flagged == 1
    assert rec.total_unexplained_kg == pytest.approx(1000 * 0.997**8 - 970)


# ------------------------------------------------------------------ money


def test_hainan_day_splits_into_shrink_and_unexplained_yuan() -> None:
    rec = reconcile(20_000, 18_500, 8, rate_per_hour="0.3 %/h")
    per_jin = rec.value("8", "斤")
    per_kg = rec.value(Decimal("16"), "kg")
    assert per_jin.price_per_kg == Decimal("16")
    assert per_jin.expected_shrink_yuan == per_kg.expected_shrink_yuan == Decimal("7599.84")
    assert per_jin.unexplained_yuan == Decimal("16400.16")
    assert per_jin.apparent_loss_yuan == Decimal("24000.00")
    assert isinstance(per_jin.expected_shrink_yuan, Decimal)


@given(batch=shipments(max_size=20), rate=transit_rates(0.02),
       price=st.decimals("0.01", "200", places=2))
def test_money_totals_are_the_exact_sum_of_row_fen(batch: dict[str, np.ndarray], rate: float,
                                                   price: Decimal) -> None:
    rec = reconcile(batch["shipped_kg"], batch["received_kg"], batch["hours"], rate_per_hour=rate,
                    dead_kg=batch["dead_kg"])
    v = rec.value(price, "jin")
    assert v.expected_shrink_fen.dtype == np.int64
    assert v.expected_shrink_yuan == Decimal(int(v.expected_shrink_fen.sum())).scaleb(-2)
    assert v.unexplained_yuan == Decimal(int(v.unexplained_fen.sum())).scaleb(-2)
    np.testing.assert_allclose(v.expected_shrink_fen, rec.expected_shrink_kg * float(price) * 200,
                               atol=0.5 + 1e-6 * rec.expected_shrink_kg.max(initial=0) * 200
                               * float(price))


def test_money_rejects_negative_price_and_non_mass_unit() -> None:
    rec = reconcile(1000, 970, 8, rate_per_hour=0.003)
    with pytest.raises(ValidationError, match="price"):
        rec.value("-1")
    with pytest.raises(UnitError):
        rec.value("8", "L")


# ------------------------------------------------------------------ bad input


def test_negative_hours_name_the_row() -> None:
    with pytest.raises(ValidationError, match=r"hours must be >= 0, got -1.0 \(row 2\)"):
        expected_weight(1000, [1, 2, -1], rate_per_hour=0.003)


@pytest.mark.parametrize("rate", [1.0, 1.5, -0.001, "100 %/h"])
def test_rate_at_or_above_one_or_negative_is_refused(rate: object) -> None:
    with pytest.raises(ValidationError, match="rate_per_hour"):
        expected_weight(1000, 8, rate_per_hour=rate)


def test_rate_array_names_the_row() -> None:
    with pytest.raises(ValidationError, match=r"rate_per_hour must be < 1, got 1.0 \(row 1\)"):
        expected_weight(1000, 8, rate_per_hour=[0.003, 1.0])


def test_rate_with_the_wrong_dimension_is_a_unit_error() -> None:
    with pytest.raises(UnitError, match="rate_per_hour"):
        expected_weight(1000, 8, rate_per_hour="0.3 kg")


def test_dead_weight_above_shipped_names_the_row() -> None:
    with pytest.raises(ValidationError, match=r"dead_kg must be <= shipped_kg .*\(row 1\)"):
        reconcile([1000, 100], [900, 50], 8, rate_per_hour=0.003, dead_kg=[0, 120])


@pytest.mark.parametrize("field", ["shipped_kg", "received_kg", "hours", "dead_kg"])
def test_nan_is_refused_with_the_row(field: str) -> None:
    args = {"shipped_kg": [1000.0, 1000.0], "received_kg": [970.0, 970.0],
            "hours": [8.0, 8.0], "dead_kg": [0.0, 0.0]}
    args[field] = [args[field][0], float("nan")]
    message = rf"{field} must be a finite number, got nan \(row 1\)"
    with pytest.raises(ValidationError, match=message):
        reconcile(args["shipped_kg"], args["received_kg"], args["hours"], rate_per_hour=0.003,
                  dead_kg=args["dead_kg"])


def test_mismatched_shapes_name_the_fields() -> None:
    with pytest.raises(ValidationError, match=r"shapes do not broadcast: shipped_kg\(3,\), "
                                              r"received_kg\(2,\)"):
        reconcile([1000, 1000, 1000], [970, 970], 8, rate_per_hour=0.003)
    with pytest.raises(ValidationError, match="do not broadcast"):
        expected_weight([1000, 1000, 1000], [1, 2], rate_per_hour=0.003)


def test_linear_loss_above_everything_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"linear form .*\(row 1\)"):
        expected_weight(1000, [8, 400], rate_per_hour=0.003, form="linear")


def test_unknown_form_and_incomplete_temperature_arguments() -> None:
    with pytest.raises(ValidationError, match="form must be one of"):
        expected_weight(1000, 8, rate_per_hour=0.003, form="exponential")
    with pytest.raises(ValidationError, match="temp_c needs q10"):
        expected_weight(1000, 8, rate_per_hour=0.003, temp_c=30)
    with pytest.raises(ValidationError, match="go together"):
        expected_weight(1000, 8, rate_per_hour=0.003, q10=2)
    with pytest.raises(ValidationError, match="q10 must be > 0"):
        expected_weight(1000, 8, rate_per_hour=0.003, temp_c=30, ref_temp_c=25, q10=0)


def test_temperature_that_pushes_the_rate_to_one_names_the_row() -> None:
    with pytest.raises(ValidationError, match=r"scaled to temp_c .*\(row 1\)"):
        expected_weight(1000, 8, rate_per_hour=0.1, temp_c=[25, 60], ref_temp_c=25, q10=3)


def test_errors_are_library_and_builtin_errors() -> None:
    with pytest.raises(JxcRulesError):
        retained_fraction(-1, rate_per_hour=0.003)
    with pytest.raises(ValueError, match="hours"):
        retained_fraction(-1, rate_per_hour=0.003)


def test_negative_weight_and_tolerance_are_refused() -> None:
    with pytest.raises(ValidationError, match=r"shipped_kg must be >= 0"):
        reconcile(-5, 0, 8, rate_per_hour=0.003)
    with pytest.raises(ValidationError, match=r"tolerance_kg must be >= 0"):
        reconcile(5, 4, 8, rate_per_hour=0.003, tolerance_kg=-1)


def test_all_forms_listed() -> None:
    assert set(FORMS) == {"linear", "compound", "continuous"}


def test_a_rate_scaled_to_exactly_one_per_hour_is_refused() -> None:
    # 50 %/h doubled by Q10 = 2 at 10 °C above the reference is 100 %/h
    with pytest.raises(ValidationError, match=r"scaled to temp_c must be below 1 .*\(row 1\)"):
        expected_weight(1000, 8, rate_per_hour=0.5, temp_c=[20, 35], ref_temp_c=25, q10=2)
    assert float(expected_weight(1000, 1, rate_per_hour=0.5, temp_c=34, ref_temp_c=25,
                                 q10=2)) == pytest.approx(1000 * (1 - 0.5 * 2**0.9))


def test_tolerance_is_a_strict_bound() -> None:
    # no shrink (rate 0): unexplained is exactly shipped − received
    rec = reconcile([1000, 1000, 1000], [995, 994.5, 1005], 8, rate_per_hour=0, tolerance_kg=5)
    assert rec.unexplained_kg.tolist() == [5.0, 5.5, -5.0]
    assert rec.flagged.tolist() == [False, True, False]
    assert rec.gain.tolist() == [False, False, True]


def test_a_gain_is_measured_against_the_live_weight_shipped() -> None:
    # 40 kg dead weighed apart: 970 kg received from 960 kg live is a gain, though below 1000
    rec = reconcile(1000, 970, 8, rate_per_hour=0.003, dead_kg=40)
    assert bool(rec.gain)
    assert float(rec.unexplained_kg) == pytest.approx(960 * 0.997**8 - 970)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: reconcile("5 L", 4, 8, rate_per_hour=0.003), UnitError,
         r"shipped_kg must be a mass quantity"),
        (lambda: expected_weight(1000, "8 kg", rate_per_hour=0.003), UnitError,
         r"hours must be a time quantity"),
        (lambda: expected_weight(1000, 8, rate_per_hour=0.003, temp_c="8 kg", ref_temp_c=25,
                                 q10=2), UnitError, r"temp_c must be a temperature"),
        (lambda: reconcile(1000, [900, -1], 8, rate_per_hour=0.003), ValidationError,
         r"received_kg must be >= 0, got -1.0 \(row 1\)"),
        (lambda: reconcile(1000, 900, 8, rate_per_hour=0.003, expected_dead_fraction=[0, 1.5]),
         ValidationError, r"expected_dead_fraction must be <= 1, got 1.5 \(row 1\)"),
        (lambda: reconcile(1000, 900, 8, rate_per_hour=0.003).value("eight"), ValidationError,
         r"price must be"),
        (lambda: origin_weight([100, -1], 8, rate_per_hour=0.003), ValidationError,
         r"arrival_kg must be >= 0, got -1.0 \(row 1\)"),
        (lambda: expected_weight(1000, 8, rate_per_hour=0.003, temp_c=[20, float("nan")],
                                 ref_temp_c=25, q10=2), ValidationError,
         r"temp_c must be a finite number, got nan \(row 1\)"),
        (lambda: expected_weight(1000, 8, rate_per_hour=[0.003, float("nan")]), ValidationError,
         r"rate_per_hour must be a finite number, got nan \(row 1\)"),
    ],
)
def test_more_bad_input_names_field_and_row(call: object, error: type[Exception],
                                            message: str) -> None:
    with pytest.raises(error, match=message):
        call()  # type: ignore[operator]


def test_empty_batches_reconcile_to_empty_arrays() -> None:
    rec = reconcile([], [], [], rate_per_hour=0.003)
    assert rec.n == 0
    assert rec.expected_kg.shape == (0,)
    assert rec.value("8", "斤").unexplained_yuan == Decimal("0.00")


# ------------------------------------------------------------------ dead fish counted


@given(batch=shipments(max_size=10), fish_kg=st.floats(0.2, 3.0), rate=transit_rates(0.02))
def test_counted_dead_fish_reconcile_like_their_weight(batch: dict[str, np.ndarray],
                                                       fish_kg: float, rate: float) -> None:
    count = np.floor(batch["dead_kg"] / fish_kg)
    weighed = reconcile(batch["shipped_kg"], batch["received_kg"], batch["hours"],
                        rate_per_hour=rate, dead_kg=count * fish_kg)
    counted = reconcile(batch["shipped_kg"], batch["received_kg"], batch["hours"],
                        rate_per_hour=rate, dead_count=count, fish_kg=fish_kg)
    np.testing.assert_array_equal(counted.dead_kg, weighed.dead_kg)
    np.testing.assert_array_equal(counted.unexplained_kg, weighed.unexplained_kg)


def test_counted_dead_fish_against_a_mortality_curve() -> None:
    from jxc_rules.live_weight import MortalityCurve, TransitModel

    m = TransitModel(0.003, mortality=MortalityCurve([0, 12], [0, 0.012]))
    # 40 fish of 1.25 kg dead = 50 kg; the curve explains 8 kg of 1000 kg after 8 h
    rec = m.reconcile(1000, 900, 8, dead_count=40, fish_kg=1.25)
    assert float(rec.dead_kg) == 50.0
    assert float(rec.excess_dead_kg) == pytest.approx(42.0)
    assert float(rec.unexplained_kg) == pytest.approx(992 * 0.997**8 - 900)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dead_count": 4}, r"dead_count and fish_kg go together"),
        ({"fish_kg": 1.2}, r"dead_count and fish_kg go together"),
        ({"dead_count": 4, "fish_kg": 1.2, "dead_kg": 5}, r"not both"),
        ({"dead_count": [4, 2.5], "fish_kg": 1.2}, r"dead_count must be a whole number of fish, "
                                                     r"got 2.5 \(row 1\)"),
        ({"dead_count": [4, -1], "fish_kg": 1.2}, r"dead_count must be >= 0, got -1.0 \(row 1\)"),
        ({"dead_count": 4, "fish_kg": [1.2, 0]}, r"fish_kg must be > 0 .*\(row 1\)"),
        ({"dead_count": [4, 900], "fish_kg": 1.2},
         r"dead_count × fish_kg must be <= shipped_kg \(1000.0\), got 1080.0 \(row 1\)"),
        ({"dead_count": [4, 9, 3], "fish_kg": [1.2, 1.0]}, r"do not broadcast"),
    ],
)
def test_counted_dead_fish_bad_input(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        reconcile([1000, 1000], [900, 900], 8, rate_per_hour=0.003,
                  **kwargs)  # type: ignore[arg-type]
