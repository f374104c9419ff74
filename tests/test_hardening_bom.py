"""Hardening of the BOM kernel (#21, #16): hostile input is a clear error, never a silent answer.

An all-zero parent, unbounded scrap, one ratio parser for BOM and rule packs, cycles through
zero-quantity lines, and the other hostile values a line, an order or a stock map can carry.
(Already covered elsewhere, so not repeated here: negative qty / scrap / setup and a float NaN
qty, unknown keys, undeclared items, an unknown item to explode / max_buildable, incompatible
duplicate-line units — tests/test_bom.py and tests/test_bom_boundaries.py.)
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from jxc_rules._internal.percent import parse_ratio, ratio_float
from jxc_rules.bom import (
    MAX_QUANTITY,
    MAX_SCRAP,
    MIN_QUANTITY,
    Bom,
    BomLine,
    explode,
    max_buildable,
    round_requirements,
    where_used,
)
from jxc_rules.errors import (
    BomCycleError,
    RulePackError,
    UnitError,
    UnknownItemError,
    ValidationError,
)
from jxc_rules.rules import load_pack, schema

_number = schema._number  # type: ignore[attr-defined]  # the rule packs' number reader
PACKS = Path(__file__).resolve().parents[1] / "industries"
SIMPLE = [{"parent": "a", "child": "b", "qty": 1}]


def _line(**extra: object) -> list[dict[str, object]]:
    return [{"parent": "a", "child": "b", "qty": 1, **extra}]


# ---------------------------------------------------------------- #21.1 all-zero parents


def test_a_parent_whose_only_line_is_zero_is_refused_not_exploded_to_itself() -> None:
    with pytest.raises(ValidationError, match=r"item 'a' has lines \(lines\[0\] a -> b\) but all "
                                              r"quantities and setups are 0.*remove the lines "
                                              r"or give a quantity") as info:
        Bom([{"parent": "a", "child": "b", "qty": 0}])
    assert info.value.field == "lines[0].qty"
    assert info.value.row == 0


def test_an_all_zero_parent_deep_in_the_bom_is_named_with_every_line() -> None:
    with pytest.raises(ValidationError, match=r"item 'S' has lines \(lines\[1\] S -> x, "
                                              r"lines\[2\] S -> y\)"):
        Bom([{"parent": "A", "child": "S", "qty": 1}, {"parent": "S", "child": "x", "qty": 0},
             {"parent": "S", "child": "y", "qty": "0.0"}])


def test_zero_lines_beside_real_ones_are_still_ignored() -> None:
    bom = Bom([{"parent": "a", "child": "b", "qty": 0}, {"parent": "a", "child": "c", "qty": 2}])
    assert explode(bom, "a", 3) == {"c": 6}
    setup_only = Bom([{"parent": "a", "child": "purge", "qty": 0, "setup": 2}])
    assert explode(setup_only, "a", 3) == {"purge": 2}   # a setup is a real requirement


# ---------------------------------------------------------------- #21.2 scrap bound


@pytest.mark.parametrize("scrap", [1e300, "1e300", 10, "10", "1000 %", Fraction(10),
                                   -0.1, "-5 %", "-0"])
def test_scrap_outside_zero_to_ten_is_refused_naming_the_line(scrap: object) -> None:
    if scrap == "-0":  # minus zero is zero: accepted
        Bom(_line(scrap=scrap))
        return
    with pytest.raises(ValidationError, match=r"lines\[0\]\.scrap \(a -> b\) must be a markup "
                                              r"fraction from 0 to below 10") as info:
        Bom(_line(scrap=scrap))
    assert info.value.field == "lines[0].scrap"


@pytest.mark.parametrize(("scrap", "error", "reason"), [
    (float("nan"), ValidationError, "a finite number"),
    (float("inf"), ValidationError, "a finite number"),
    (Decimal("sNaN"), ValidationError, "a finite number"),
    (True, ValidationError, "a number"),
    (None, ValidationError, "an int, str"),
    ("abc", UnitError, "a quantity such as"),
    ("10 kg", UnitError, r"a dimensionless quantity .*'kilogram' \(mass\)"),
    ("0.3 %/h", UnitError, "a dimensionless quantity"),
])
def test_scrap_that_is_no_ratio_says_why_and_names_the_line(scrap: object, error: type,
                                                             reason: str) -> None:
    with pytest.raises(error, match=rf"lines\[0\]\.scrap \(a -> b\) must be {reason}"):
        Bom(_line(scrap=scrap))


def test_the_scrap_bound_is_documented_and_999_percent_is_inside() -> None:
    assert MAX_SCRAP == 10
    bom = Bom(_line(scrap="999 %"))
    assert explode(bom, "a", 1) == {"b": Fraction(1099, 100)}


# ---------------------------------------------------------------- #21.3 one ratio parser


@pytest.mark.parametrize(("written", "exact"), [
    ("10 %", Fraction(1, 10)), ("10%", Fraction(1, 10)), (" 10 % ", Fraction(1, 10)),
    ("0.1", Fraction(1, 10)), (0.1, Fraction(1, 10)), ("12.5 %", Fraction(1, 8)),
    ("5 ‰", Fraction(1, 200)), ("10 percent", Fraction(1, 10)), ("35 %", Fraction(7, 20)),
])
def test_percentages_read_the_same_in_a_bom_and_in_a_pack(written: object,
                                                          exact: Fraction) -> None:
    bom = Bom(_line(scrap=written))
    assert explode(bom, "a", 1) == {"b": 1 + exact}
    assert parse_ratio(written, "scrap") == exact
    assert _number(written, "loss") == float(exact)  # the pack reader, no float dust: 0.35


def test_the_pack_reader_is_the_shared_one() -> None:
    assert _number is ratio_float


@pytest.mark.parametrize(("value", "message"), [
    ("10 kg", r"loss must be a dimensionless quantity \(like 'dimensionless'\), got 'kilogram' "
              r"\(mass\)"),
    ("abc", r"loss must be a quantity such as '40 kg' or '3 斤', got 'abc'"),
    (True, r"loss must be a number, got True"),
    ([1], r"loss must be a number, got \[1\]"),
    (float("nan"), r"loss must be a finite number, got nan"),
])
def test_the_pack_reader_keeps_its_messages(value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _number(value, "loss")


@pytest.mark.parametrize("value", ["1e400", "1e999 %", 10**400, Decimal("sNaN")])
def test_the_pack_reader_refuses_numbers_beyond_float_instead_of_crashing(value: object) -> None:
    # these raised a raw OverflowError / ValueError from float()
    with pytest.raises(ValidationError, match=r"loss must be a finite number"):
        _number(value, "loss")


def test_a_rule_pack_recipe_takes_percent_scrap_and_refuses_wild_scrap(tmp_path: Path) -> None:
    source = PACKS / "auto-parts" / "2026.11.yaml"
    text = source.read_text(encoding="utf-8")
    assert "scrap: 0.05}" in text
    pack = tmp_path / "2026.11.yaml"
    pack.write_text(text.replace("scrap: 0.05}", 'scrap: "5 %"}'), encoding="utf-8")
    assert load_pack(pack).recipes == load_pack(source).recipes
    pack.write_text(text.replace("scrap: 0.05}", "scrap: 1e300}"), encoding="utf-8")
    with pytest.raises(RulePackError, match=r"2026\.11\.yaml:\d+.*recipes\.lines\[3\]\.scrap "
                                            r"\(gearbox_assy -> gasket\)"):
        load_pack(pack)


# ---------------------------------------------------------------- #16 cycles through zero lines


@pytest.mark.parametrize("lines", [
    [{"parent": "A", "child": "B", "qty": 0}, {"parent": "B", "child": "A", "qty": 1}],
    [{"parent": "A", "child": "B", "qty": 1}, {"parent": "B", "child": "A", "qty": 0}],
    [{"parent": "A", "child": "B", "qty": 0}, {"parent": "A", "child": "C", "qty": 1},
     {"parent": "B", "child": "A", "qty": 1}],
])
def test_a_cycle_through_a_zero_quantity_line_is_a_cycle(lines: list[dict[str, object]]) -> None:
    # a cycle wins over "every line of A is zero": it is the structural error
    with pytest.raises(BomCycleError, match=r"BOM contains a cycle: [AB] -> [AB] -> [AB]") as info:
        Bom(lines)
    assert set(info.value.cycle) == {"A", "B"}


def test_a_zero_self_loop_is_a_cycle() -> None:
    with pytest.raises(BomCycleError, match="A -> A"):
        Bom([{"parent": "A", "child": "A", "qty": 0}, {"parent": "A", "child": "C", "qty": 1}])


# ---------------------------------------------------------------- #21.5 hostile line values


@pytest.mark.parametrize(("qty", "error", "reason"), [
    (float("inf"), ValidationError, "a finite number"),
    (-math.inf, ValidationError, "a finite number"),
    (Decimal("NaN"), ValidationError, "a finite number"),
    (Decimal("sNaN"), ValidationError, "a finite number"),
    ("nan", ValidationError, "a finite number"),
    ("-inf", ValidationError, "a finite number"),
    (True, ValidationError, "a number, not a bool"),
    (False, ValidationError, "a number, not a bool"),
    ("", ValidationError, "a decimal or fraction"),
    ("twelve", UnitError, "a quantity such as"),
    ("1/0", ValidationError, "a decimal or fraction"),
    (None, ValidationError, "an int, str"),
    ([1], ValidationError, "an int, str"),
    (1 + 1j, ValidationError, "an int, str"),
    ("10 %", ValidationError, "a decimal or fraction"),   # a percentage is no quantity
])
def test_a_line_qty_that_is_no_number_names_the_line_and_why(qty: object, error: type,
                                                            reason: str) -> None:
    with pytest.raises(error, match=rf"lines\[0\]\.qty \(a -> b\) must be {reason}.*\(row 0\)") \
            as info:
        Bom([{"parent": "a", "child": "b", "qty": qty}])
    assert getattr(info.value, "field", None) == "lines[0].qty"


@pytest.mark.parametrize("key", ["qty", "setup"])
@pytest.mark.parametrize("value", ["1e16", 10**16, "1e999", 10**400, Fraction(10**15 + 1)])
def test_huge_line_quantities_are_refused(key: str, value: object) -> None:
    with pytest.raises(ValidationError, match=rf"lines\[0\]\.{key} \(a -> b\) must be a quantity "
                                              r"of at most 1e15"):
        Bom(_line(**{key: value}))


@pytest.mark.parametrize("key", ["qty", "setup"])
@pytest.mark.parametrize("value", ["1e-13", "1e-999", Fraction(1, 10**13)])
def test_vanishing_line_quantities_are_refused(key: str, value: object) -> None:
    with pytest.raises(ValidationError, match=rf"lines\[0\]\.{key} \(a -> b\) must be 0 or a "
                                              r"quantity of at least 1e-12"):
        Bom(_line(**{key: value}))


def test_the_quantity_bounds_themselves_are_accepted() -> None:
    assert MAX_QUANTITY == 10**15
    assert Fraction(1, 10**12) == MIN_QUANTITY
    assert explode(Bom([{"parent": "a", "child": "b", "qty": MAX_QUANTITY}]), "a", 1) == {
        "b": MAX_QUANTITY}
    assert explode(Bom([{"parent": "a", "child": "b", "qty": "1e-12", "unit": "t"}]), "a",
                   1) == {"b": MIN_QUANTITY}


def test_alternates_outputs_and_steps_are_bounded_too() -> None:
    with pytest.raises(ValidationError, match=r"lines\[0\]\.alternates\[0\]\.qty \(a -> b\) "
                                              r"must be a quantity of at most 1e15"):
        Bom(_line(alternates=[{"child": "c", "qty": "1e20"}]))
    with pytest.raises(ValidationError, match=r"lines\[0\]\.alternates\[0\]\.qty \(a -> b\) "
                                              r"must be a number, not a bool"):
        Bom(_line(alternates=[{"child": "c", "qty": True}]))
    with pytest.raises(ValidationError, match=r"outputs\.a must be a quantity of at most 1e15"):
        Bom(SIMPLE, outputs={"a": "1e300"})
    with pytest.raises(ValidationError, match=r"outputs\.a must be 0 or a quantity of at least"):
        Bom(SIMPLE, outputs={"a": "1e-300"})
    with pytest.raises(ValidationError, match=r"outputs\.a must be a finite number"):
        Bom(SIMPLE, outputs={"a": float("nan")})
    with pytest.raises(ValidationError, match=r"outputs\.a must be a number, not a bool"):
        Bom(SIMPLE, outputs={"a": True})
    with pytest.raises(ValidationError, match=r"items\.b\.step must be a quantity of at most"):
        Bom(SIMPLE, items={"a": {}, "b": {"step": "1e300"}})


@pytest.mark.parametrize("name", ["", " ", "\t", None, 1, True, " bolt", "bolt ", "bolt\n",
                                  "bo\x00lt", "bolt\u200b", "bolt\xa0"])
@pytest.mark.parametrize("key", ["parent", "child"])
def test_empty_or_padded_item_names_are_refused(key: str, name: object) -> None:
    # 'bolt-M8 ' from a spreadsheet would silently be a new purchased part
    line = {"parent": "a", "child": "b", "qty": 1, key: name}
    with pytest.raises(ValidationError, match=rf"lines\[0\]\.{key} must be (a non-empty item "
                                              r"name|an item name without leading)"):
        Bom([line])


def test_names_with_inner_spaces_and_chinese_are_fine() -> None:
    bom = Bom([{"parent": "变速箱 总成", "child": "螺栓 M8×25", "qty": 12}])
    assert explode(bom, "变速箱 总成", 1) == {"螺栓 M8×25": 12}


def test_padded_or_empty_names_in_items_and_alternates_are_refused() -> None:
    with pytest.raises(ValidationError, match=r"items\[''\] must be a non-empty item name"):
        Bom(SIMPLE, items={"": {}, "a": {}, "b": {}})
    with pytest.raises(ValidationError, match=r"items\['b '\] must be an item name without"):
        Bom(SIMPLE, items={"a": {}, "b ": {}})
    with pytest.raises(ValidationError, match=r"lines\[0\]\.alternates\[0\]\.child must be"):
        Bom(_line(alternates=[{"child": " c"}]))


@pytest.mark.parametrize("unit", ["", "  ", 5, True])
def test_an_empty_or_non_string_unit_is_refused(unit: object) -> None:
    # '' used to parse as dimensionless and become the child's stock unit
    with pytest.raises(UnitError, match=r"lines\[0\]\.unit must be a unit string"):
        Bom(_line(unit=unit))
    with pytest.raises(UnitError, match=r"items\.b\.unit must be a unit string"):
        Bom(SIMPLE, items={"a": {}, "b": {"unit": unit}})
    with pytest.raises(UnitError, match=r"lines\[0\]\.alternates\[0\]\.unit must be a unit"):
        Bom(_line(alternates=[{"child": "c", "unit": unit}]))


def test_duplicate_lines_in_different_units_sum_exactly_or_name_the_line() -> None:
    bom = Bom([{"parent": "a", "child": "b", "qty": 1, "unit": "kg"},
               {"parent": "a", "child": "b", "qty": 500, "unit": "g"},
               {"parent": "a", "child": "b", "qty": 2, "unit": "斤"}])
    assert explode(bom, "a", 2) == {"b": 5}          # (1 + 0.5 + 1) kg × 2
    with pytest.raises(UnitError, match=r"lines\[1\]\.unit \(a -> b\): cannot convert 'L'"):
        Bom([{"parent": "a", "child": "b", "qty": 1, "unit": "kg"},
             {"parent": "a", "child": "b", "qty": 1, "unit": "L"}])
    with pytest.raises(UnitError, match=r"lines\[0\]\.qty \(a -> b\) must be in the line's unit"):
        Bom([{"parent": "a", "child": "b", "qty": "1 kg", "unit": "g"}])


@pytest.mark.parametrize("lines", [None, 5, "a -> b", {"parent": "a"}, b"xx", np.array(5.0)])
def test_lines_that_are_no_list_are_refused(lines: object) -> None:
    with pytest.raises(ValidationError, match=r"lines must be a list of line mappings"):
        Bom(lines)  # type: ignore[arg-type]


@pytest.mark.parametrize(("where", "value"), [
    ("mode", np.array([])), ("mode", ["up"]), ("mode", 1),
    ("alternates", "c"), ("alternates", 5), ("alternates", np.array([])),
])
def test_containers_where_a_name_or_list_belongs_are_refused_not_crashed_on(
        where: str, value: object) -> None:
    # an empty array as a rounding mode raised numpy's "truth value ... ambiguous"
    items = {"a": {}, "b": {"mode": value}} if where == "mode" else None
    lines = SIMPLE if where == "mode" else _line(alternates=value)
    with pytest.raises(ValidationError, match=rf"(items\.b|lines\[0\])\.{where} must be"):
        Bom(lines, items=items)


def test_a_bom_line_built_by_hand_is_checked_like_a_mapping() -> None:
    good = BomLine("a", "b", Fraction(2), scrap=Fraction(1, 10), valid_from=dt.date(2026, 1, 1))
    assert explode(Bom([good]), "a", 5, on="2026-02-01") == {"b": 11}
    for bad, field in [(BomLine("a", "b", Fraction(-1)), "qty"),
                       (BomLine("a", "b", Fraction(1), scrap=Fraction(10**300)), "scrap"),
                       (BomLine("a", "b", float("nan")), "qty"),        # type: ignore[arg-type]
                       (BomLine("a", " b", Fraction(1)), "child")]:
        with pytest.raises(ValidationError, match=rf"lines\[0\]\.{field}"):
            Bom([bad])


# ---------------------------------------------------------------- hostile orders and stock


def test_an_order_quantity_is_finite_bounded_and_not_a_bool() -> None:
    bom = Bom(SIMPLE)
    for qty, reason in [(float("nan"), "a finite number"), (math.inf, "a finite number"),
                        (True, "a number, not a bool"), ("1e16", "a quantity of at most 1e15"),
                        (10**400, "a quantity of at most 1e15"), (-1, "a quantity >= 0")]:
        with pytest.raises(ValidationError, match=rf"^quantity must be {reason}"):
            explode(bom, "a", qty)
    assert explode(bom, "a", MAX_QUANTITY) == {"b": MAX_QUANTITY}


@pytest.mark.parametrize("item", [None, 5, ["a"], {"a": 1}, ("a",), b"a"])
def test_an_item_that_is_no_name_is_an_unknown_item_not_a_type_error(item: Any) -> None:
    bom = Bom(SIMPLE)
    for call in (lambda: explode(bom, item, 1), lambda: max_buildable(bom, item, {}),
                 lambda: where_used(bom, item), lambda: bom.stock_unit(item)):
        with pytest.raises(UnknownItemError):
            call()
    assert item not in bom


@pytest.mark.parametrize("call", ["max_buildable", "explode"])
def test_stock_values_are_finite_bounded_and_keys_are_names(call: str) -> None:
    bom = Bom(SIMPLE)
    field = "stock" if call == "max_buildable" else "on_hand"

    def run(stock: object) -> object:
        if call == "max_buildable":
            return max_buildable(bom, "a", stock)  # type: ignore[arg-type]
        return explode(bom, "a", 1, on_hand=stock)  # type: ignore[arg-type]

    for stock, reason in [({"b": float("nan")}, "a finite number"),
                          ({"b": True}, "a number, not a bool"),
                          ({"b": "1e300"}, "a quantity of at most 1e15"),
                          ({"b": -2}, "a quantity >= 0")]:
        with pytest.raises(ValidationError, match=rf"{field}\['b'\] must be {reason}"):
            run(stock)
    with pytest.raises(ValidationError, match=rf"{field} key must be an item name"):
        run({5: 10})
    with pytest.raises(ValidationError, match=rf"{field} must be a mapping"):
        run([("b", 1)])
    # other SKUs of the warehouse may ride along: a stock map is not a BOM
    assert max_buildable(bom, "a", {"b": 7, "unrelated-sku": 3}) == 7


def test_round_requirements_refuses_unknown_negative_and_non_mapping_input() -> None:
    bom = Bom([{"parent": "a", "child": "bolt", "qty": "0.5", "unit": "pcs"}])
    assert round_requirements(bom, {"bolt": "1.5"}) == {"bolt": 2}
    with pytest.raises(UnknownItemError, match=r"requirements: unknown item 'blot'"):
        round_requirements(bom, {"blot": 1})         # was passed through, never rounded up
    with pytest.raises(ValidationError, match=r"requirements\['bolt'\] must be a quantity >= 0"):
        round_requirements(bom, {"bolt": -1})
    with pytest.raises(ValidationError, match=r"requirements\['bolt'\] must be a finite number"):
        round_requirements(bom, {"bolt": float("nan")})
    with pytest.raises(ValidationError, match=r"requirements must be a mapping"):
        round_requirements(bom, [("bolt", 1)])  # type: ignore[arg-type]


def test_vanishing_needs_cannot_make_max_buildable_count_astronomically() -> None:
    # qty 1e-999 used to give a 1999-digit count of complete sets
    with pytest.raises(ValidationError, match=r"at least 1e-12"):
        Bom([{"parent": "a", "child": "b", "qty": "1e-999"}])
    bom = Bom([{"parent": "a", "child": "b", "qty": MIN_QUANTITY}])
    assert max_buildable(bom, "a", {"b": MAX_QUANTITY}) == 10**27
