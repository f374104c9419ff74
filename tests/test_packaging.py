"""Packaging kernel: packs, breakdown, ship plans, line amounts, batch path (issue 4)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_DOWN, Decimal, localcontext
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jxc_rules import (
    Packaging,
    ShipPlan,
    breakdown,
    line_amount,
    line_amounts_batch,
    ship_plan,
    ship_plan_batch,
)
from jxc_rules.errors import DuplicateError, UnitError, UnknownItemError, ValidationError
from jxc_rules.money import from_fen
from jxc_rules.rounding import MODES
from jxc_rules.testing import packagings
from jxc_rules.units import Q_, dimension_of

# --- worked examples (checked by hand) ---------------------------------------------------------


def test_urea_order_in_tonnes_ships_309_bags_with_residual_minus_ten_kilograms() -> None:
    plan = ship_plan("12.35 t", "40 kg", mode="up")
    assert isinstance(plan, ShipPlan)
    assert plan.packs == 309  # 12350 / 40 = 308.75 -> up
    assert plan.shipped.magnitude == Decimal("12.36")
    assert str(plan.shipped.units) == "metric_ton"
    assert plan.residual.magnitude == Decimal("-0.01")
    assert isinstance(plan.shipped.magnitude, Decimal)
    assert line_amount(plan.shipped, 2850, "t") == Decimal("35226.00")
    assert line_amount("12.36 t", 2850, "t") == Decimal("35226.00")


@pytest.mark.parametrize(("mode", "packs", "shipped", "residual"), [
    ("up", 309, "12.36", "-0.01"),
    ("ceiling", 309, "12.36", "-0.01"),
    ("down", 308, "12.32", "0.03"),
    ("floor", 308, "12.32", "0.03"),
    ("half_up", 309, "12.36", "-0.01"),  # .75 of a bag
    ("half_even", 309, "12.36", "-0.01"),
    ("half_down", 309, "12.36", "-0.01"),
])
def test_every_mode_turns_12_35_t_into_whole_bags(
    mode: str, packs: int, shipped: str, residual: str
) -> None:
    plan = ship_plan("12.35 t", "40 kg", mode=mode)
    assert (plan.packs, plan.shipped.magnitude, plan.residual.magnitude) == (
        packs, Decimal(shipped), Decimal(residual))


def test_exact_half_bag_ties_follow_the_mode() -> None:
    # 0.02 t = half a 40 kg bag
    assert ship_plan("0.02 t", "40 kg", mode="half_up").packs == 1
    assert ship_plan("0.02 t", "40 kg", mode="half_down").packs == 0
    assert ship_plan("0.06 t", "40 kg", mode="half_even").packs == 2
    assert ship_plan("0.02 t", "40 kg", mode="half_even").packs == 0


def test_361_units_in_packs_of_144_book_out_as_2_packs_and_73_units_not_3_packs() -> None:
    pack = Packaging({"pack": 144})
    assert breakdown(361, pack) == {"pack": Decimal(2), "remainder": Decimal(73)}
    with_units = Packaging({"unit": 1, "pack": 144})
    assert breakdown(361, with_units) == {"pack": Decimal(2), "unit": Decimal(73),
                                          "remainder": Decimal(0)}
    plan = ship_plan("361 pcs", "144 pcs", mode="down")
    assert plan.packs == 2
    assert plan.residual.magnitude == Decimal(73)
    assert plan.shipped.magnitude + plan.residual.magnitude == 361  # nothing lost


def test_levels_in_any_order_and_mixed_units_resolve_to_one_base_unit() -> None:
    p = Packaging({"pallet": "50 bag", "bag": "40 kg"})
    assert p.base_unit == "kilogram"
    assert p.sizes == {"bag": Fraction(40), "pallet": Fraction(2000)}
    assert p.names == ("bag", "pallet")
    grams = Packaging({"bag": "0.04 t", "sample": "500 g", "pallet": "2 t"})
    assert grams.base_unit == "gram"
    assert grams.sizes == {"sample": 500, "bag": 40_000, "pallet": 2_000_000}
    counts = Packaging({"box": 50, "big_box": 200, "pallet": 2000})
    assert counts.base_unit == "piece"
    assert counts.sizes == {"box": 50, "big_box": 200, "pallet": 2000}
    assert breakdown("2 pallet", p) == {"pallet": 2, "bag": 0, "remainder": 0}


def test_breakdown_is_greedy_and_honours_exclude() -> None:
    p = Packaging({"bag": "40 kg", "pallet": "50 bag"})
    assert breakdown("12.35 t", p) == {"pallet": 6, "bag": 8, "remainder": 30}
    assert breakdown("12.35 t", p, exclude=["pallet"]) == {"bag": 308, "remainder": 30}
    assert breakdown(0, p) == {"pallet": 0, "bag": 0, "remainder": 0}
    with pytest.raises(UnknownItemError):
        breakdown(1, p, exclude=["crate"])


def test_packaging_round_trips_through_a_mapping() -> None:
    p = Packaging({"pallet": "50 bag", "bag": "40 kg"})
    again = Packaging.from_mapping(p.to_mapping())
    assert again == p
    assert again.sizes == p.sizes
    with pytest.raises(ValidationError, match=r"packaging\.colour"):
        Packaging.from_mapping({"levels": {"bag": "40 kg"}, "colour": "red"})


def test_ship_plan_accepts_a_packaging_level_and_count_units() -> None:
    p = Packaging({"bag": "40 kg", "pallet": "50 bag"})
    assert ship_plan("12.35 t", "pallet", packaging=p, mode="down").packs == 6
    assert ship_plan("12.35 t", p.quantity("bag"), mode="up").packs == 309
    assert ship_plan("3 dozen", "gross", mode="up").packs == 1
    assert ship_plan(Q_(Decimal("12.35"), "t"), Q_(40, "kg"), mode="up").packs == 309


def test_line_amount_converts_units_exactly_and_rounds_half_up() -> None:
    assert line_amount("12360 kg", 2850, "吨") == Decimal("35226.00")
    assert line_amount("3 斤", "4.99", "kg") == Decimal("7.49")  # 1.5 kg x 4.99 = 7.485
    assert line_amount(Decimal("1.5"), "4.99", "kg") == Decimal("7.49")


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("levels", [{"bag": "0 kg"}, {"bag": "-40 kg"}, {"box": 0},
                                    {"bag": "40 kg", "pallet": "0 bag"}])
def test_zero_or_negative_pack_size_is_refused(levels: dict[str, object]) -> None:
    with pytest.raises(ValidationError, match="positive size"):
        Packaging(levels)


def test_levels_that_do_not_nest_are_refused() -> None:
    with pytest.raises(ValidationError, match="whole multiple"):
        Packaging({"small": "30 kg", "big": "40 kg"})
    with pytest.raises(ValidationError, match="whole multiple"):
        Packaging({"a": "40 kg", "b": "40000 g"})  # same size twice


def test_circular_and_dangling_definitions_are_refused() -> None:
    with pytest.raises(ValidationError, match="cycle"):
        Packaging({"a": "2 b", "b": "3 a"})
    with pytest.raises(ValidationError, match="cycle"):
        Packaging({"a": "2 a"})
    with pytest.raises(ValidationError, match="crate"):
        Packaging({"pallet": "50 crate"})


def test_bags_given_in_litres_for_a_kg_product_are_a_unit_error() -> None:
    with pytest.raises(UnitError, match="mass"):
        Packaging({"bag": "40 L"}, base_unit="kg")
    with pytest.raises(UnitError):
        Packaging({"bag": "40 kg", "drum": "200 L"})
    with pytest.raises(UnitError):
        ship_plan("12.35 t", "40 L")
    with pytest.raises(UnitError):
        line_amount("40 L", 10, "kg")


def test_negative_orders_and_packs_are_refused() -> None:
    with pytest.raises(ValidationError, match="ordered"):
        ship_plan("-1 t", "40 kg")
    with pytest.raises(ValidationError, match="pack"):
        ship_plan("1 t", "0 kg")
    with pytest.raises(ValidationError, match="quantity"):
        breakdown(-1, Packaging({"bag": "40 kg"}))
    with pytest.raises(ValidationError, match="mode"):
        ship_plan("1 t", "40 kg", mode="nearest")


def test_batch_refuses_nan_negative_and_too_many_decimals_naming_the_row() -> None:
    with pytest.raises(ValidationError, match=r"row 1"):
        ship_plan_batch(np.array([1.0, np.nan]), 0.04)
    with pytest.raises(ValidationError, match=r"ordered must be >= 0.*row 2"):
        ship_plan_batch(np.array([1.0, 2.0, -3.0]), 0.04)
    with pytest.raises(ValidationError, match=r"decimals"):
        ship_plan_batch(np.array([1.0, 2.0001]), 0.04)
    with pytest.raises(ValidationError, match="positive"):
        ship_plan_batch(np.array([1.0, 2.0]), np.array([0.04, 0.0]))
    with pytest.raises(UnitError):
        ship_plan_batch(np.array([1.0]), "40 L", unit="t")


# --- properties --------------------------------------------------------------------------------


@given(pkg=packagings(), qty=st.decimals(0, 10**7, places=3),
       exclude=st.lists(st.sampled_from(["bag", "box", "case", "pallet"]), max_size=2))
def test_breakdown_conserves_the_quantity(
    pkg: Packaging, qty: Decimal, exclude: list[str]
) -> None:
    skip = [e for e in exclude if e in pkg.sizes]
    if dimension_of(pkg.base_unit) == "count":
        qty = qty.to_integral_value()  # pieces are whole (a fraction is refused, tested apart)
    parts = breakdown(qty, pkg, exclude=skip)
    total = sum((int(count) * pkg.sizes[name] for name, count in parts.items()
                 if name != "remainder"), Fraction(0))
    assert total + Fraction(parts["remainder"]) == Fraction(qty)
    assert all(isinstance(v, Decimal) for v in parts.values())
    assert all(v == int(v) and v >= 0 for k, v in parts.items() if k != "remainder")
    smallest = min((s for n, s in pkg.sizes.items() if n not in skip), default=None)
    if smallest is not None:
        assert 0 <= Fraction(parts["remainder"]) < smallest


@given(ordered_kg=st.decimals(0, 10**6, places=3), pack_g=st.integers(1, 100_000),
       mode=st.sampled_from(MODES))
def test_ship_plan_conserves_ordered_quantity(ordered_kg: Decimal, pack_g: int, mode: str) -> None:
    plan = ship_plan(f"{ordered_kg} kg", f"{pack_g} g", mode=mode)
    pack_kg = Fraction(pack_g, 1000)
    assert Fraction(plan.shipped.magnitude) == plan.packs * pack_kg
    assert plan.shipped.magnitude + plan.residual.magnitude == ordered_kg
    assert abs(Fraction(plan.residual.magnitude)) < pack_kg
    assert plan.packs >= 0


@given(
    ordered=st.lists(st.integers(0, 10**9), min_size=1, max_size=30),
    pack=st.lists(st.integers(1, 10**6), min_size=1, max_size=30),
    mode=st.sampled_from(MODES),
)
def test_batch_ship_plan_equals_the_scalar_path(
    ordered: list[int], pack: list[int], mode: str
) -> None:
    n = min(len(ordered), len(pack))
    ordered_t = np.array(ordered[:n]) / 1000.0  # tonnes with 3 decimals, as floats
    pack_t = np.array(pack[:n]) / 1000.0
    batch = ship_plan_batch(ordered_t, pack_t, unit="t", mode=mode)
    amounts = line_amounts_batch(batch, 2850.5, "t")
    for i in range(n):
        plan = ship_plan(f"{Decimal(ordered[i]).scaleb(-3)} t", f"{pack[i]} kg", mode=mode)
        assert batch.packs[i] == plan.packs
        assert Decimal(repr(float(batch.shipped[i]))) == plan.shipped.magnitude
        assert Decimal(int(batch.residual_units[i])).scaleb(-3) == plan.residual.magnitude
        assert from_fen(int(amounts[i])) == line_amount(plan.shipped, "2850.5", "t")


@given(qty=st.lists(st.integers(-10**8, 10**8), min_size=1, max_size=20),
       price=st.integers(0, 10**8), mode=st.sampled_from(MODES))
def test_batch_line_amounts_equal_line_amount_in_any_unit(
    qty: list[int], price: int, mode: str
) -> None:
    q_kg = np.array(qty) / 1000.0
    p = Decimal(price).scaleb(-4)  # yuan per tonne with 4 decimals
    fen = line_amounts_batch(q_kg, float(p), "t", unit="kg", mode=mode)
    for i, q in enumerate(qty):
        expected = line_amount(f"{Decimal(q).scaleb(-3)} kg", p, "t", mode=mode)
        assert from_fen(int(fen[i])) == expected


def test_batch_amounts_stay_exact_beyond_int64_products() -> None:
    q = np.array([9_000_000.0, 1.0])  # t, with 3 decimals -> 9e9 units
    fen = line_amounts_batch(q, 99_999_999.0, "t", decimals=3, price_decimals=4)
    assert from_fen(int(fen[0])) == line_amount("9000000 t", 99_999_999, "t")


def test_batch_accepts_quantities_and_broadcasts_a_scalar_pack() -> None:
    batch = ship_plan_batch(Q_(np.array([12350.0, 80.0]), "kg"), "40 kg", mode="up")
    assert batch.packs.tolist() == [309, 2]
    assert batch.unit == "kilogram"
    assert batch.residual.tolist() == [-10.0, 0.0]


def test_plans_unpack_into_packs_shipped_residual() -> None:
    packs, shipped, residual = ship_plan("12.35 t", "40 kg", mode="up")
    assert (packs, shipped.magnitude, residual.magnitude) == (309, Decimal("12.36"),
                                                              Decimal("-0.01"))
    packs_a, shipped_a, residual_a = ship_plan_batch(np.array([12.35]), 0.04, mode="up")
    assert packs_a.dtype == np.int64
    assert (packs_a.tolist(), shipped_a.tolist(), residual_a.tolist()) == ([309], [12.36],
                                                                           [-0.01])


@pytest.mark.parametrize("mode", MODES)
def test_batch_amounts_beyond_int64_products_round_like_the_scalar_path(mode: str) -> None:
    # 9.9e9 milli-tonnes x 1.2e8 price units x 1000 kg/t > 2**62: Python-int path
    q_t = np.array([9_876_543.123, -9_876_543.125, 0.005])  # 3 decimals of a tonne
    fen = line_amounts_batch(q_t, 12_345.6789, "kg", unit="t", mode=mode)
    for i, q in enumerate(["9876543.123", "-9876543.125", "0.005"]):
        assert from_fen(int(fen[i])) == line_amount(f"{q} t", "12345.6789", "kg", mode=mode)


# --- review additions ----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_batch_breaks_exact_ties_like_the_scalar_path(mode: str) -> None:
    # 0.02 / 0.06 / 0.10 / 0.14 t are 0.5 / 1.5 / 2.5 / 3.5 bags of 40 kg
    ordered = ["0.02", "0.06", "0.1", "0.14"]
    batch = ship_plan_batch(np.array([float(o) for o in ordered]), "40 kg", unit="t", mode=mode)
    assert batch.packs.tolist() == [ship_plan(f"{o} t", "40 kg", mode=mode).packs
                                    for o in ordered]
    # amounts on exact half fen, both signs: 0.001 kg x 5 yuan/kg = 0.005 yuan
    qty = ["0.001", "-0.001", "0.003", "-0.003"]
    fen = line_amounts_batch(np.array([float(q) for q in qty]), 5, "kg", unit="kg", mode=mode)
    assert [from_fen(int(f)) for f in fen] == [line_amount(f"{q} kg", 5, "kg", mode=mode)
                                               for q in qty]


def test_batch_refuses_float_dust_instead_of_rounding_it_away() -> None:
    # read by shortest repr, 12.0000000001 t is not 12 t: the scalar path ships 301 bags "up"
    assert ship_plan("12.0000000001 t", "40 kg", mode="up").packs == 301
    with pytest.raises(ValidationError, match=r"ordered must be a multiple of 1/1000.*row 1"):
        ship_plan_batch(np.array([1.0, 12.0000000001]), "40 kg", unit="t", mode="up")
    with pytest.raises(ValidationError, match=r"quantity .*got 80.73400000000001"):
        line_amounts_batch(np.array([80.734 + 1e-14]), 2850, "t", unit="kg")
    with pytest.raises(ValidationError, match="not booleans"):
        ship_plan_batch(np.array([True, False]), 1)


@given(
    ordered=st.lists(st.decimals(0, 10**5, places=3), min_size=1, max_size=20),
    pack_kg=st.lists(st.decimals("0.001", 2000, places=3), min_size=1, max_size=20),
    mode=st.sampled_from(MODES),
    price=st.decimals(0, 10**4, places=2),
)
def test_batch_with_packs_in_another_unit_equals_the_scalar_path(
    ordered: list[Decimal], pack_kg: list[Decimal], mode: str, price: Decimal
) -> None:
    n = min(len(ordered), len(pack_kg))
    # floats whose shortest repr is the decimal: the batch must read them exactly that way
    batch = ship_plan_batch(np.array([float(o) for o in ordered[:n]]),
                            np.array([float(p) for p in pack_kg[:n]]), unit="t",
                            pack_unit="kg", mode=mode, decimals=6)
    fen = line_amounts_batch(batch, float(price), "t", price_decimals=2)
    for i in range(n):
        plan = ship_plan(f"{ordered[i]} t", f"{pack_kg[i]} kg", mode=mode)
        assert batch.packs[i] == plan.packs
        assert Decimal(int(batch.residual_units[i])).scaleb(-6) == plan.residual.magnitude
        assert from_fen(int(fen[i])) == line_amount(plan.shipped, price, "t")


def test_packs_in_another_unit_off_the_grid_are_refused_not_rounded() -> None:
    with pytest.raises(ValidationError, match=r"pack_size must be a multiple of 1/1000 metric_ton"):
        ship_plan_batch(np.array([1.0, 1.0]), np.array([40.0, 40.5]), unit="t", pack_unit="kg")
    batch = ship_plan_batch(np.array([1.0]), np.array([40.5]), unit="t", pack_unit="kg",
                            decimals=4, mode="up")
    assert batch.packs.tolist() == [ship_plan("1 t", "40.5 kg", mode="up").packs] == [25]
    jin = ship_plan_batch(np.array([7.0]), np.array([1.5]), unit="kg", pack_unit="jin",
                          mode="up")
    assert jin.packs.tolist() == [ship_plan("7 kg", "1.5 jin", mode="up").packs] == [10]


def test_numpy_scalars_price_a_line_like_python_numbers() -> None:
    assert line_amount("12.36 t", np.float64(2850.5), "t") == line_amount("12.36 t", "2850.5",
                                                                          "t")
    plain = ship_plan(np.float64(12.35), "40 kg", mode="up")  # a plain number is in kg
    assert (plain.packs, plain.residual.magnitude) == (1, Decimal("-27.65"))
    plan = ship_plan(Q_(np.float64(12.35), "t"), "40 kg", mode="up")
    assert plan.packs == 309


def test_line_amount_refuses_a_negative_price_like_the_batch_path() -> None:
    for price in (-5, "-0.01"):
        with pytest.raises(ValidationError, match="unit_price"):
            line_amount("1 t", price, "t")
    with pytest.raises(ValidationError, match="unit_price"):
        line_amounts_batch(np.array([1.0]), -5, "t", unit="t")
    assert line_amount("-1 t", 5, "t") == Decimal("-5.00")  # a credit line


def test_a_level_defined_twice_is_refused() -> None:
    with pytest.raises(DuplicateError, match="'bag'"):
        Packaging((("bag", "40 kg"), ("bag", "50 kg")))


def test_amounts_are_exact_whatever_the_callers_decimal_context() -> None:
    with localcontext() as ctx:
        ctx.prec = 4
        ctx.rounding = ROUND_DOWN
        assert str(line_amount("12.36 t", 2850, "t")) == "35226.00"
        plan = ship_plan("12345.678 t", "40 kg", mode="up")
        assert str(plan.shipped.magnitude) == "12345.68"
        assert str(plan.residual.magnitude) == "-0.002"


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: Packaging(["bag", "40 kg"]), ValidationError, "levels must be a mapping"),
    (lambda: Packaging({"": "40 kg"}), ValidationError, "non-empty strings"),
    (lambda: Packaging({"remainder": 5}), ValidationError, "other than 'remainder'"),
    (lambda: Packaging({}), ValidationError, "at least one level"),
    (lambda: Packaging({"bag": "40 kg"}, base_unit=3), UnitError, "base_unit"),
    (lambda: Packaging({"bag": "forty kg"}), ValidationError, r"levels\.bag must be a size"),
    (lambda: Packaging.from_mapping(["bag"]), ValidationError, "packaging must be a mapping"),
    (lambda: Packaging.from_mapping({"base_unit": "kg"}), ValidationError, r"packaging\.levels"),
    (lambda: breakdown(5, {"bag": "40 kg"}), ValidationError, "packaging must be a Packaging"),
    (lambda: ship_plan(Q_(np.ones(2), "t"), "40 kg"), ValidationError, "a scalar quantity"),
    (lambda: ship_plan("12", "40"), UnitError, "pack must be a quantity with a unit"),
    (lambda: ship_plan_batch(np.array([1.0]), 0.04, decimals=12), ValidationError, "0..9"),
    (lambda: ship_plan_batch(np.array([1.0]), "0.0405 t", unit="t"), ValidationError,
     r"pack_size must be a multiple of 1/1000 metric_ton"),
    (lambda: ship_plan_batch(np.array(["a"]), 0.04), ValidationError, "ordered must be numbers"),
    (lambda: ship_plan_batch(np.array([2.0**60]), 0.04), ValidationError, "below 2\\*\\*50"),
    (lambda: ship_plan_batch(np.array([2**60]), 1), ValidationError, "below 2\\*\\*50"),
    (lambda: line_amounts_batch(np.array([1.0]), 1, "t", unit="t", price_decimals=-1),
     ValidationError, "price_decimals"),
    (lambda: line_amounts_batch(np.array([1.0]), 1, "t", unit="t", decimals=10),
     ValidationError, "decimals"),
    (lambda: line_amounts_batch("12 t", 1, "t"), ValidationError, "an array"),
    (lambda: line_amounts_batch(np.array([9e8]), 9e8, "kg", unit="t", decimals=0,
                                price_decimals=0), ValidationError, "exceeds the int64 range"),
])
def test_every_packaging_error_names_its_field(
    call: Callable[[], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        call()


def test_a_pack_name_missing_from_the_packaging_is_not_read_as_a_registry_unit() -> None:
    p = Packaging({"sack": "40 kg"})
    with pytest.raises(UnknownItemError, match=r"'bag'.*sack"):
        ship_plan("12.35 t", "bag", packaging=p)  # pint's bag is a 94 lb cement bag
    assert ship_plan("12.35 t", "sack", packaging=p, mode="up").packs == 309
    assert ship_plan("12.35 t", "40 kg", packaging=p, mode="up").packs == 309
