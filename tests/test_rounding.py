from __future__ import annotations

from decimal import ROUND_DOWN, Decimal, localcontext
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jxc_rules.errors import JxcRulesError, ValidationError
from jxc_rules.rounding import MODES, round_array, round_quotient, round_to
from jxc_rules.testing import exact_numbers, rounding_modes, steps


@pytest.mark.parametrize(
    ("value", "step", "mode", "expected"),
    [
        ("2.675", "0.01", "half_up", "2.68"),
        ("-2.675", "0.01", "half_up", "-2.68"),
        (2.675, "0.01", "half_up", "2.68"),  # float read by shortest repr, not 2.67499999...
        ("2.675", "0.01", "half_down", "2.67"),
        ("2.675", "0.01", "half_even", "2.68"),
        ("2.665", "0.01", "half_even", "2.66"),
        ("2.671", "0.01", "up", "2.68"),
        ("-2.671", "0.01", "up", "-2.68"),
        ("-2.679", "0.01", "down", "-2.67"),
        ("-2.671", "0.01", "ceiling", "-2.67"),
        ("-2.671", "0.01", "floor", "-2.68"),
        ("8.175", "0.001", "up", "8.175"),
        ("361", "144", "floor", "288"),
        ("7", "5", "half_up", "5"),
        ("7.5", "5", "half_up", "10"),
        (Fraction(1, 3), "0.01", "half_up", "0.33"),
    ],
)
def test_worked_examples(value: object, step: str, mode: str, expected: str) -> None:
    assert round_to(value, step, mode) == Decimal(expected)


def test_result_carries_the_step_exponent() -> None:
    assert str(round_to("2.675", "0.01")) == "2.68"
    assert str(round_to(3, "0.01")) == "3.00"


def test_five_boxes_of_twelve_are_exactly_sixty() -> None:
    assert round_to(5 * 12.0, "0.0000001", "up") == Decimal(60)


@pytest.mark.parametrize("step", [0, -1, "0", "-0.01"])
def test_step_must_be_positive(step: object) -> None:
    with pytest.raises(ValidationError, match="step must be a positive number"):
        round_to(1, step)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "NaN", Decimal("-Infinity")])
def test_non_finite_values_are_refused(value: object) -> None:
    with pytest.raises(ValidationError, match="finite"):
        round_to(value, 1)


def test_unknown_mode_names_the_modes() -> None:
    with pytest.raises(ValidationError, match="half_up") as info:
        round_to(1, 1, "bankers")
    assert isinstance(info.value, JxcRulesError)
    assert isinstance(info.value, ValueError)


def test_bool_and_garbage_are_refused() -> None:
    with pytest.raises(ValidationError):
        round_to(True, 1)
    with pytest.raises(ValidationError):
        round_to("twelve", 1)


@given(value=exact_numbers(), step=steps(), mode=rounding_modes())
def test_result_is_a_multiple_within_one_step_and_idempotent(
    value: object, step: Decimal, mode: str
) -> None:
    r = round_to(value, step, mode)
    assert (r / step) == (r / step).to_integral_value()
    assert abs(Fraction(r) - Fraction(Decimal(str(value)) if not isinstance(value, Fraction)
                                      else value)) < Fraction(step)
    assert round_to(r, step, mode) == r


@given(value=exact_numbers(), step=steps())
def test_floor_le_half_modes_le_ceiling(value: object, step: Decimal) -> None:
    lo = round_to(value, step, "floor")
    hi = round_to(value, step, "ceiling")
    for mode in ("half_up", "half_even", "half_down", "up", "down"):
        assert lo <= round_to(value, step, mode) <= hi


@given(value=exact_numbers(), step=steps(), mode=rounding_modes())
def test_negation_symmetry_of_sign_modes(value: object, step: Decimal, mode: str) -> None:
    mirror = {"ceiling": "floor", "floor": "ceiling"}.get(mode, mode)
    x = Fraction(Decimal(str(value))) if not isinstance(value, Fraction) else value
    assert round_to(-x, step, mirror) == -round_to(x, step, mode)


@given(
    values=st.lists(st.decimals("-1000", "1000", places=3), min_size=1, max_size=50),
    step=st.sampled_from(["0.01", "0.05", "1", "5", "40"]),
    mode=st.sampled_from(MODES),
)
def test_round_array_matches_round_to(values: list[Decimal], step: str, mode: str) -> None:
    got = round_array(np.array([float(v) for v in values]), float(step), mode)
    want = [float(round_to(v, step, mode)) for v in values]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)


def test_round_array_refuses_bad_step_and_mode() -> None:
    with pytest.raises(ValidationError):
        round_array([1.0], 0.0)
    with pytest.raises(ValidationError):
        round_array([1.0], 1.0, "nearest")


# --- review additions: ties in every mode, numpy scalars, exactness beyond the context ----------


@pytest.mark.parametrize(
    ("value", "mode", "expected"),
    [
        ("-2.675", "half_down", "-2.67"),
        ("-2.675", "half_even", "-2.68"),
        ("-2.665", "half_even", "-2.66"),
        ("-2.675", "half_up", "-2.68"),
        ("2.665", "half_down", "2.66"),
        ("-2.675", "up", "-2.68"),
        ("-2.675", "down", "-2.67"),
    ],
)
def test_negative_ties_follow_the_mode(value: str, mode: str, expected: str) -> None:
    assert round_to(value, "0.01", mode) == Decimal(expected)


@pytest.mark.parametrize("mode", MODES)
def test_round_array_breaks_ties_like_round_to(mode: str) -> None:
    ties = ["2.665", "2.675", "-2.665", "-2.675", "0.005", "-0.005", "7.5", "-12.5"]
    got = round_array(np.array([float(t) for t in ties]), 0.01, mode)
    want = [float(round_to(t, "0.01", mode)) for t in ties]
    np.testing.assert_array_equal(got, want)


def test_numpy_scalars_are_read_by_their_shortest_repr() -> None:
    assert round_to(np.float64(2.675), "0.01") == Decimal("2.68")  # repr 'np.float64(2.675)'
    assert round_to(np.float32(0.1), "0.0000000001", "up") == Decimal("0.1000000000")
    assert round_to(np.int64(361), 144, "floor") == Decimal(288)
    with pytest.raises(ValidationError, match="finite"):
        round_to(np.float32("nan"), 1)


def test_results_do_not_depend_on_the_callers_decimal_context() -> None:
    with localcontext() as ctx:
        ctx.prec = 4
        ctx.rounding = ROUND_DOWN
        assert str(round_to("1234567.891", "0.01")) == "1234567.89"
        assert str(round_to("2.675", "0.01")) == "2.68"
        assert round_to(361, 144, "ceiling") == 432


def test_exact_beyond_28_significant_digits() -> None:
    big = "12345678901234567890123456789.125"
    assert str(round_to(big, "0.01", "half_even")) == "12345678901234567890123456789.12"
    assert str(round_to(big, "0.01", "half_up")) == "12345678901234567890123456789.13"


def test_a_step_without_a_finite_decimal_expansion_is_refused() -> None:
    with pytest.raises(ValidationError, match="finite decimal expansion"):
        round_to(1, Fraction(1, 3))
    assert round_to(1, Fraction(1, 4)) == Decimal("1.00")


@pytest.mark.parametrize("value", ["1e999999999", Decimal("1E-5000")])
def test_absurd_exponents_are_refused_instead_of_hanging(value: object) -> None:
    with pytest.raises(ValidationError, match="within"):
        round_to(value, 1)


@given(
    nums=st.lists(st.integers(-10**6, 10**6), min_size=1, max_size=30),
    den=st.integers(1, 1000),
    mode=rounding_modes(),
)
def test_round_quotient_agrees_with_round_to_for_scalars_and_both_array_kinds(
    nums: list[int], den: int, mode: str
) -> None:
    want = [int(round_to(Fraction(n, den), 1, mode)) for n in nums]
    assert [round_quotient(n, den, mode) for n in nums] == want
    assert round_quotient(np.array(nums, dtype=np.int64), den, mode).tolist() == want
    big = np.array([n * 10**20 for n in nums], dtype=object)  # beyond int64: Python ints
    assert round_quotient(big, den * 10**20, mode).tolist() == want


def test_unknown_mode_suggests_the_nearest_one() -> None:
    with pytest.raises(ValidationError, match=r"did you mean 'half_even'\?"):
        round_to(1, 1, "half-even")
    with pytest.raises(ValidationError) as info:
        round_to(1, 1, "zzz")
    assert "did you mean" not in str(info.value)
