from __future__ import annotations

import pickle
import threading
from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np
import pint
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jxc_rules.errors import JxcRulesError, UnitError, ValidationError
from jxc_rules.testing import count_units, exact_decimals, mass_units, quantities
from jxc_rules.units import (
    Q_,
    check_dimension,
    convert,
    dimension_of,
    exact_factor,
    exact_magnitude,
    magnitude,
    parse_quantity,
    parse_unit,
    ureg,
)


def test_three_jin_is_one_and_a_half_kilograms() -> None:
    assert convert(3, "斤", "kg") == Decimal("1.5")
    assert ureg("3 斤").to("kg").magnitude == pytest.approx(1.5)


@pytest.mark.parametrize(
    ("value", "src", "dst", "expected"),
    [
        (1020000, "g", "t", "1.02"),
        (1, "dozen", "pcs", "12"),
        (1, "打", "个", "12"),
        (1, "gross", "dozen", "12"),
        (1, "两", "斤", "0.1"),
        (1, "钱", "g", "5"),
        (2, "公斤", "斤", "4"),
        (1, "吨", "jin", "2000"),
        ("12.35", "t", "kg", "12350"),
        (0.1, "kg", "g", "100"),
        (1, "lb", "jin", "0.90718474"),
        (1, "h", "min", "60"),
        (1, "kg/h", "g/min", "16.66666666666666666666666666666666666667"),
    ],
)
def test_exact_conversions(value: object, src: str, dst: str, expected: str) -> None:
    assert convert(value, src, dst) == Decimal(expected)


def test_pcs_is_a_piece_not_a_parsec() -> None:
    assert str(parse_unit("pcs")) == "piece"
    assert dimension_of("pcs") == "count"
    assert exact_factor("unit", "pcs") == 1  # stock pint reads a micro-nit
    with pytest.raises(UnitError, match="count"):
        convert(1, "pcs", "m")


def test_convert_with_step_and_mode() -> None:
    assert convert("12.35", "t", "kg", step=40, mode="up") == Decimal(12360)
    assert convert("12.35", "t", "kg", step=40, mode="down") == Decimal(12320)


def test_wrong_dimension_names_what_was_expected() -> None:
    with pytest.raises(UnitError, match="expected a mass unit") as info:
        convert(40, "L", "kg")
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, JxcRulesError)
    with pytest.raises(UnitError, match=r"must be a mass quantity .* got 'liter' \(volume\)"):
        magnitude("40 L", "kg", field="bag size")


@pytest.mark.parametrize("unit", ["furlongz", "", "kg kg kg +", "3"])
def test_unknown_units_are_refused(unit: str) -> None:
    if unit in ("", "3"):  # '' is dimensionless, '3' a bare number: converting them to kg fails
        with pytest.raises(UnitError):
            convert(1, unit, "kg")
        return
    with pytest.raises(UnitError, match="unit the registry knows"):
        parse_unit(unit)


def test_non_string_unit_is_refused() -> None:
    with pytest.raises(UnitError):
        parse_unit(42)  # type: ignore[arg-type]


def test_offset_temperatures_convert_through_pint_but_not_exactly() -> None:
    assert magnitude(Q_(20.0, "degC"), "K") == pytest.approx(293.15)
    assert magnitude(Q_(np.array([32.0, 212.0]), "degF"), "degC") == pytest.approx([0, 100])
    with pytest.raises(UnitError, match="multiplicative"):
        convert(20, "degC", "K")


def test_parse_quantity_keeps_the_number_exact() -> None:
    assert parse_quantity("12.35 t") == (Fraction(1235, 100), parse_unit("t"))
    assert parse_quantity("1/3 kg")[0] == Fraction(1, 3)
    with pytest.raises(UnitError):
        parse_quantity("kg 12")


def test_exact_magnitude_accepts_strings_quantities_and_numbers() -> None:
    assert exact_magnitude("3 斤", "kg") == Fraction(3, 2)
    assert exact_magnitude(Q_(Decimal("12.35"), "t"), "kg") == 12350
    assert exact_magnitude(Decimal("2.5"), "kg") == Fraction(5, 2)
    with pytest.raises(UnitError):
        exact_magnitude(Q_(np.ones(2), "kg"), "kg")


def test_magnitude_boundary_forms() -> None:
    assert magnitude("0.3 %/h", "1/h") == pytest.approx(0.003)
    assert magnitude(Q_(np.array([1.0, 2.5]), "t"), "kg").tolist() == [1000.0, 2500.0]
    assert magnitude(np.array([1, 2]), "kg").dtype == np.float64
    assert magnitude([1, 2], "kg").tolist() == [1.0, 2.0]
    assert magnitude(Decimal("1.5"), "kg") == 1.5
    with pytest.raises(ValidationError):
        magnitude(object(), "kg")


def test_nan_is_refused_by_exact_paths() -> None:
    with pytest.raises(ValidationError, match="finite"):
        convert(float("nan"), "kg", "g")


def test_array_path_equals_scalar_path() -> None:
    values = np.array([0.0, 1.0, 12.35, 1e6])
    got = convert(values, "t", "斤")
    want = [float(convert(float(v), "t", "斤")) for v in values]
    np.testing.assert_allclose(got, want, rtol=1e-15)
    np.testing.assert_allclose(convert(values, "t", "kg", step=40, mode="up"),
                               [0.0, 1000.0, 12360.0, 1e9])


def test_quantities_pickle_against_the_application_registry_when_opted_in() -> None:
    import pint

    from jxc_rules.units import use_as_application_registry

    before = pint.get_application_registry()
    use_as_application_registry()
    try:
        q = Q_(Decimal("3"), "斤")
        back = pickle.loads(pickle.dumps(q))
        assert back == q
        assert back._REGISTRY is ureg
        assert pickle.loads(pickle.dumps(parse_unit("dozen"))) == parse_unit("dozen")
    finally:
        pint.set_application_registry(before)  # type: ignore[no-untyped-call]


def test_registry_is_safe_across_threads() -> None:
    errors: list[BaseException] = []
    results: list[Decimal] = []

    def work(i: int) -> None:
        try:
            for _ in range(50):
                results.append(convert(i, "斤", "g") + convert(i, "dozen", "pcs") * 0)
                magnitude(f"{i} 两", "kg")
        except BaseException as exc:  # pragma: no cover - only on failure
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(set(results)) == [Decimal(500 * i) for i in range(8)]


@given(value=exact_decimals(0, 10**6, places=4), src=mass_units(), dst=mass_units())
def test_mass_round_trips_are_exact(value: Decimal, src: str, dst: str) -> None:
    there = convert(value, src, dst)
    assert convert(there, dst, src) == value


@given(value=st.integers(0, 10**6), src=count_units(), dst=count_units())
def test_count_round_trips_are_exact(value: int, src: str, dst: str) -> None:
    assert convert(convert(value, src, dst), dst, src) == value


@given(src=mass_units(), mid=mass_units(), dst=mass_units())
def test_factors_compose(src: str, mid: str, dst: str) -> None:
    assert exact_factor(src, mid) * exact_factor(mid, dst) == exact_factor(src, dst)


@given(q=quantities())
def test_strategy_quantities_are_masses_of_our_registry(q: pint.Quantity) -> None:
    assert q._REGISTRY is ureg
    assert dimension_of(q.units) == "mass"
    assert exact_magnitude(q, "g") == Fraction(q.magnitude) * exact_factor(q.units, "g")


# --- review additions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "src", "dst", "expected"),
    [
        (1, "L", "m**3", "0.001"),  # liter = decimeter ** 3: the definition's exponent counts
        (1, "m**3", "L", "1000"),
        (2, "mL", "cm**3", "2"),
        (1, "t", "g", "1000000"),
    ],
)
def test_definitions_with_powers_convert_exactly(
    value: object, src: str, dst: str, expected: str
) -> None:
    assert convert(value, src, dst) == Decimal(expected)


@pytest.mark.parametrize(("src", "dst"), [("pcs", "gross"), ("pcs", "dozen"), ("kg", "lb"),
                                          ("dozen", "gross")])
def test_round_trips_through_non_decimal_factors_come_back_exact(src: str, dst: str) -> None:
    for value in (1, 5, 7, 11, 143, 999_999):
        assert convert(convert(value, src, dst), dst, src) == value


def test_long_results_are_exact_and_context_free() -> None:
    long = "0.1234567890123456789012345678901"  # 31 significant digits
    with localcontext() as ctx:
        ctx.prec = 5
        assert str(convert(long, "kg", "kg")) == long
        assert str(convert("1234567.891", "t", "kg")) == "1234567891"
        assert convert(1, "pcs", "dozen") == Decimal("0.08333333333333333333333333333333333333333")


def test_an_unknown_target_unit_names_to_unit() -> None:
    with pytest.raises(UnitError, match="to_unit must be a unit the registry knows"):
        convert(1, "kg", "furlongz")


def test_magnitude_accepts_numpy_scalars() -> None:
    assert magnitude(np.float64(1.5), "kg") == 1.5
    assert magnitude(np.int64(3), "kg") == 3.0
    assert convert(np.float64(0.1), "kg", "g") == Decimal("100")


def test_a_bag_is_a_count_not_a_94_lb_cement_bag() -> None:
    assert convert(3, "bag", "pcs") == 3
    assert dimension_of("袋") == "count"
    with pytest.raises(UnitError, match="expected a mass unit"):
        convert(1, "bag", "kg")  # its content comes from a Packaging, never from the unit


def test_the_registry_refuses_silent_redefinitions() -> None:
    with pytest.raises(pint.RedefinitionError):
        ureg.define("jin = 400 * gram")
    assert convert(1, "斤", "g") == 500


def test_check_dimension_names_field_value_and_both_dimensions() -> None:
    assert str(check_dimension("斤", "mass")) == "jin"
    with pytest.raises(UnitError, match=r"bag size must be a mass quantity, got '40 L' \(volume\)"):
        check_dimension("L", "mass", field="bag size", value="40 L")
