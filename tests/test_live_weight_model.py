"""TransitModel and MortalityCurve: profiles, two phases, mortality, inverse, mappings (issue 5)."""

from __future__ import annotations

import attrs
import numpy as np
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from jxc_rules import ValidationError
from jxc_rules.live_weight import (
    MortalityCurve,
    TransitModel,
    expected_weight,
    format_rate,
    parse_rate,
)
from jxc_rules.testing import (
    decay_forms,
    mortality_curves,
    temperature_legs,
    transit_models,
    transit_rates,
)

hours_st = st.floats(0.0, 24.0, allow_nan=False)


# ------------------------------------------------------------------ profiles


def test_twelve_hour_leg_equals_five_plus_seven_at_the_same_temperature() -> None:
    for form in ("compound", "continuous"):
        m = TransitModel(0.003, form=form, q10=2, ref_temp_c=25)
        one = m.expected_weight(1000, [12.0], [28.0], legs=True)
        two = m.expected_weight(1000, [5.0, 7.0], [28.0, 28.0], legs=True)
        assert float(two) == pytest.approx(float(one), rel=1e-14)


def test_profile_is_hand_computable() -> None:
    m = TransitModel(0.003, q10=2, ref_temp_c=25)
    r_hot, r_cold = 0.003 * 2**0.5, 0.003 * 2**-0.5
    expect = 1000 * (1 - r_hot) ** 5 * (1 - r_cold) ** 7
    assert float(m.expected_weight(1000, [5, 7], [30, 20], legs=True)) == pytest.approx(expect)
    # continuous chains as exp(−Σ kᵢΔtᵢ)
    c = TransitModel(0.003, form="continuous", q10=2, ref_temp_c=25)
    expect = 1000 * np.exp(-(r_hot * 5 + r_cold * 7))
    assert float(c.expected_weight(1000, [5, 7], [30, 20], legs=True)) == pytest.approx(expect)


@given(model=transit_models(forms=("compound", "continuous"), temperature=True,
                            two_phase=False, mortality=False),
       legs=temperature_legs(), data=st.data())
def test_leg_order_does_not_matter_for_compound_and_continuous(
        model: TransitModel, legs: tuple[np.ndarray, np.ndarray], data: st.DataObject) -> None:
    hours, temps = legs
    order = data.draw(st.permutations(range(len(hours))))
    a = model.expected_weight(1000.0, hours, temps, legs=True)
    b = model.expected_weight(1000.0, hours[list(order)], temps[list(order)], legs=True)
    assert float(b) == pytest.approx(float(a), rel=1e-12)


@given(model=transit_models(forms=("compound", "continuous"), temperature=True,
                            two_phase=False, mortality=False),
       legs=temperature_legs(max_legs=4), cut=st.floats(0, 1), which=st.integers(0, 3))
def test_splitting_a_leg_changes_nothing(model: TransitModel,
                                         legs: tuple[np.ndarray, np.ndarray],
                                         cut: float, which: int) -> None:
    hours, temps = legs
    i = which % len(hours)
    split_h = np.concatenate([hours[:i], [hours[i] * cut, hours[i] * (1 - cut)], hours[i + 1:]])
    split_t = np.concatenate([temps[:i], [temps[i], temps[i]], temps[i + 1:]])
    a = model.expected_weight(1000.0, hours, temps, legs=True)
    b = model.expected_weight(1000.0, split_h, split_t, legs=True)
    assert float(b) == pytest.approx(float(a), rel=1e-12)


@given(model=transit_models(max_rate=0.01, temperature=False, mortality=False),
       t1=hours_st, t2=hours_st, fasted=st.booleans())
def test_model_weight_never_increases_with_time(model: TransitModel, t1: float, t2: float,
                                                fasted: bool) -> None:
    a, b = sorted((t1, t2))
    assert model.expected_weight(1000.0, b, fasted=fasted) <= model.expected_weight(
        1000.0, a, fasted=fasted)


def test_profile_over_many_trips_at_once() -> None:
    m = TransitModel(0.003, q10=2, ref_temp_c=25)
    hours = np.array([[5.0, 7.0], [12.0, 0.0], [0.0, 0.0]])
    temps = np.array([[25.0, 25.0], [25.0, 40.0], [25.0, 25.0]])
    got = m.expected_weight([1000, 1000, 500], hours, temps, legs=True)
    np.testing.assert_allclose(got, [1000 * 0.997**12, 1000 * 0.997**12, 500.0])


def test_legs_true_needs_an_axis_of_legs() -> None:
    with pytest.raises(ValidationError, match="legs on its last axis"):
        TransitModel(0.003).expected_weight(1000, 8.0, legs=True)


# ------------------------------------------------------------------ two phases


def test_two_phase_is_a_fast_start_then_the_base_rate() -> None:
    m = TransitModel(0.003, initial_rate_per_hour=0.01, initial_phase_hours=2)
    assert float(m.expected_weight(1000, 8)) == pytest.approx(1000 * 0.99**2 * 0.997**6)
    assert float(m.expected_weight(1000, 1.5)) == pytest.approx(1000 * 0.99**1.5)
    # fasted fish skip the first phase
    assert float(m.expected_weight(1000, 8, fasted=True)) == pytest.approx(1000 * 0.997**8)


def test_two_phase_boundary_falls_inside_a_leg() -> None:
    m = TransitModel(0.003, q10=2, ref_temp_c=25, initial_rate_per_hour=0.01,
                     initial_phase_hours=2)
    # 1 h at 35 °C (fast phase, doubled), then 3 h at 25 °C: 1 h fast + 2 h slow
    got = m.expected_weight(1000, [1, 3], [35, 25], legs=True)
    assert float(got) == pytest.approx(1000 * 0.98 * 0.99 * 0.997**2)


def test_linear_two_phase() -> None:
    m = TransitModel(0.003, form="linear", initial_rate_per_hour=0.01, initial_phase_hours=2)
    assert float(m.expected_weight(1000, 8)) == pytest.approx(1000 * (1 - 0.02 - 0.018))
    assert float(m.shrink_fraction(8)) == pytest.approx(0.038)


@given(rate=transit_rates(0.01), extra=transit_rates(0.02), phase=st.floats(0, 6),
       t=hours_st, form=decay_forms())
def test_a_faster_first_phase_never_leaves_more_weight(rate: float, extra: float, phase: float,
                                                       t: float, form: str) -> None:
    base = TransitModel(rate, form=form)
    two = TransitModel(rate, form=form, initial_rate_per_hour=min(rate + extra, 0.99),
                       initial_phase_hours=phase) if phase > 0 else base
    assert two.expected_weight(1000.0, t) <= base.expected_weight(1000.0, t) * (1 + 1e-12)
    assert float(two.expected_weight(1000.0, t, fasted=True)) == pytest.approx(
        float(base.expected_weight(1000.0, t)))


# ------------------------------------------------------------------ inverse


@given(model=transit_models(max_rate=0.01, mortality=False), w0=st.floats(0, 1e5),
       t=hours_st, temp=st.floats(5, 35))
def test_origin_weight_inverts_the_model(model: TransitModel, w0: float, t: float,
                                         temp: float) -> None:
    temp_c = temp if model.q10 is not None else None
    arrival = model.expected_weight(w0, t, temp_c)
    assert float(model.origin_weight(arrival, t, temp_c)) == pytest.approx(w0, rel=1e-9,
                                                                           abs=1e-9)


def test_origin_weight_of_a_total_linear_loss_is_refused() -> None:
    m = TransitModel(0.01, form="linear")
    assert float(m.origin_weight(0, 100)) == 0.0
    with pytest.raises(ValidationError, match="total loss"):
        m.origin_weight([5, 10], [10, 100])


# ------------------------------------------------------------------ mortality


def test_mortality_curve_interpolates_and_holds_after_the_last_point() -> None:
    curve = MortalityCurve(hours=[0, 6, 12], dead_fraction=[0, 0.006, 0.066])
    np.testing.assert_allclose(curve([0, 3, 6, 9, 12, 100]),
                               [0, 0.003, 0.006, 0.036, 0.066, 0.066])
    assert curve.threshold_hours == 6.0
    assert MortalityCurve([0, 10], [0, 0.1]).threshold_hours is None


def test_hockey_stick_curve_rises_sharply_after_its_threshold() -> None:
    curve = MortalityCurve.hockey_stick(8, before_per_hour=0.0005, after_per_hour=0.01,
                                        horizon_hours=20)
    assert curve.threshold_hours == 8.0
    assert float(curve(8)) == pytest.approx(0.004)
    assert float(curve(20)) == pytest.approx(0.124)


@pytest.mark.parametrize(
    ("hours", "fractions", "message"),
    [
        ([0, 5, 4], [0, 0.1, 0.2], r"hours must be strictly increasing .*\(row 2\)"),
        ([1, 5], [0, 0.1], r"hours must be 0 at the first point"),
        ([0, 5], [0.2, 0.1], r"dead_fraction must be non-decreasing .*\(row 1\)"),
        ([0, 5], [0, 1.5], r"dead_fraction must be <= 1, got 1.5 \(row 1\)"),
        ([0, 5], [0, float("nan")], r"dead_fraction must be a finite number"),
        ([0, 5], [0], r"same length"),
        ([], [], r"at least one point"),
        ([0, -5], [0, 0.1], r"hours must be >= 0"),
    ],
)
def test_mortality_curve_refuses_bad_points(hours: list[float], fractions: list[float],
                                            message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        MortalityCurve(hours=hours, dead_fraction=fractions)


@given(curve=mortality_curves(), t1=st.floats(0, 100), t2=st.floats(0, 100))
def test_expected_dead_fraction_is_non_decreasing_and_a_fraction(
        curve: MortalityCurve, t1: float, t2: float) -> None:
    a, b = sorted((t1, t2))
    fa, fb = float(curve(a)), float(curve(b))
    assert 0.0 <= fa <= fb <= 1.0


def test_reconcile_with_model_counts_dead_beyond_the_curve_as_unexplained() -> None:
    m = TransitModel(0.003, mortality=MortalityCurve([0, 12], [0, 0.012]))
    rec = m.reconcile(1000, [970, 900], 8, dead_kg=[8, 50])
    keep = 0.997**8
    assert rec.explained_dead_kg.tolist() == [8.0, 8.0]
    assert rec.excess_dead_kg.tolist() == [0.0, 42.0]
    np.testing.assert_allclose(rec.expected_kg, 992 * keep)
    np.testing.assert_allclose(rec.received_kg + rec.unexplained_kg, rec.expected_kg)
    assert float(m.expected_dead_fraction(8)) == pytest.approx(0.008)
    assert float(TransitModel(0.003).expected_dead_fraction(8)) == 0.0


def test_reconcile_with_model_and_legs_uses_total_hours_for_mortality() -> None:
    m = TransitModel(0.003, q10=2, ref_temp_c=25, mortality=MortalityCurve([0, 12], [0, 0.012]))
    rec = m.reconcile(1000, 950, [5, 7], [25, 25], dead_kg=20, legs=True)
    assert float(rec.hours) == 12.0
    assert float(rec.explained_dead_kg) == pytest.approx(12.0)
    assert float(rec.expected_kg) == pytest.approx(988 * 0.997**12)


def test_model_reconcile_agrees_with_the_plain_function() -> None:
    m = TransitModel(0.003, form="continuous")
    a = m.reconcile([1000, 2000], [970, 1900], [8, 10], dead_kg=[0, 10], tolerance_kg=5)
    b = __import__("jxc_rules").reconcile([1000, 2000], [970, 1900], [8, 10],
                                          rate_per_hour=0.003, form="continuous",
                                          dead_kg=[0, 10], tolerance_kg=5)
    np.testing.assert_allclose(a.unexplained_kg, b.unexplained_kg)
    np.testing.assert_array_equal(a.flagged, b.flagged)


# ------------------------------------------------------------------ parameters and mappings


def test_model_matches_the_plain_kernel_with_temperature() -> None:
    m = TransitModel("0.3 %/h", q10=2.5, ref_temp_c=24)
    got = m.expected_weight([1000, 800], [8, 6], [30, 18])
    want = expected_weight([1000, 800], [8, 6], rate_per_hour=0.003, temp_c=[30, 18],
                           ref_temp_c=24, q10=2.5)
    np.testing.assert_allclose(got, want, rtol=1e-14)


@given(model=transit_models())
def test_mapping_round_trips_through_yaml(model: TransitModel) -> None:
    mapping = model.to_mapping()
    text = yaml.safe_dump(mapping, allow_unicode=True)
    again = TransitModel.from_mapping(yaml.safe_load(text))
    assert again == model


@given(rate=transit_rates(0.5))
def test_rate_strings_round_trip(rate: float) -> None:
    assert parse_rate(format_rate(rate)) == rate


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"rate_per_hour": "0.3 %/h", "speed": 1}, r"speed must be absent: unknown key"),
        ({"form": "compound"}, r"rate_per_hour must be present"),
        ({"rate_per_hour": "130 %/h"}, r"rate_per_hour must be < 1"),
        ({"rate_per_hour": "0.3 kg"}, r"^rate_per_hour"),
        ({"rate_per_hour": 0.003, "form": "cubic"}, r"form must be one of"),
        ({"rate_per_hour": 0.003, "q10": 2}, r"go together"),
        ({"rate_per_hour": 0.003, "q10": -2, "ref_temp_c": 25}, r"q10 must be > 0"),
        ({"rate_per_hour": 0.003, "initial_phase_hours": 2}, r"go together"),
        ({"rate_per_hour": 0.003, "initial_phase_hours": -2, "initial_rate_per_hour": 0.01},
         r"initial_phase_hours must be >= 0"),
        ({"rate_per_hour": 0.003, "mortality": {"hours": [0, 5], "dead_fraction": [0, 2]}},
         r"^mortality.dead_fraction must be <= 1"),
        ({"rate_per_hour": 0.003, "mortality": {"hours": [0, 5], "dead": [0, 2]}},
         r"^mortality.dead must be absent"),
        ({"rate_per_hour": 0.003, "source": 5}, r"source must be a string"),
    ],
)
def test_from_mapping_errors_name_the_key(mapping: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        TransitModel.from_mapping(mapping)


def test_from_mapping_prefix_names_the_path_in_the_pack() -> None:
    with pytest.raises(ValidationError, match=r"^live_weight.tilapia.rate_per_hour") as info:
        TransitModel.from_mapping({"rate_per_hour": 2}, prefix="live_weight.tilapia.")
    assert info.value.field == "live_weight.tilapia.rate_per_hour"


def test_from_mapping_reads_quantities_and_keeps_the_source() -> None:
    m = TransitModel.from_mapping({
        "rate_per_hour": "7.2 %/day", "form": "continuous", "q10": 2.2, "ref_temp_c": "25 degC",
        "initial_rate_per_hour": "1 %/h", "initial_phase_hours": "90 min",
        "mortality": {"hours": [0, 8, 16], "dead_fraction": [0, 0.004, 0.05]},
        "source": "customer figure (Hainan processor), not published",
    })
    assert m.rate_per_hour == pytest.approx(0.003)
    assert m.ref_temp_c == 25.0
    assert m.initial_phase_hours == 1.5
    assert m.mortality is not None
    assert m.mortality.threshold_hours == 8.0
    assert "customer" in m.source


def test_models_are_frozen_and_evolve_into_new_ones() -> None:
    m = TransitModel(0.003)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        m.rate_per_hour = 0.004  # type: ignore[misc]
    assert attrs.evolve(m, rate_per_hour="0.4 %/h").rate_per_hour == pytest.approx(0.004)
    with pytest.raises(ValidationError, match="rate_per_hour"):
        attrs.evolve(m, rate_per_hour=1.2)


def test_temperature_without_q10_in_the_model_is_refused() -> None:
    with pytest.raises(ValidationError, match="no q10"):
        TransitModel(0.003).expected_weight(1000, 8, 30)
