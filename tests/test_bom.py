"""BOM model and explosion: worked examples, units, features, bad input, properties."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from jxc_rules.bom import (
    Bom,
    _explode_exact,
    explode,
    low_level_codes,
    max_buildable,
    round_requirements,
    where_used,
)
from jxc_rules.errors import BomCycleError, UnitError, UnknownItemError, ValidationError
from jxc_rules.testing import bom_mappings, bom_orders, boms, stock_levels
from jxc_rules.units import Q_, exact_factor

GEARBOX = [
    {"parent": "gearbox", "child": "housing", "qty": 1, "unit": "pcs"},
    {"parent": "gearbox", "child": "shaft-assy", "qty": 2, "unit": "pcs"},
    {"parent": "gearbox", "child": "bolt-M8", "qty": 12, "unit": "pcs"},
    {"parent": "gearbox", "child": "oil", "qty": "0.8", "unit": "L", "scrap": "0.05"},
    {"parent": "housing", "child": "casting", "qty": "3.6", "unit": "kg", "scrap": "0.1"},
    {"parent": "housing", "child": "bolt-M8", "qty": 1, "unit": "dozen"},
    {"parent": "shaft-assy", "child": "shaft", "qty": 1, "unit": "pcs"},
    {"parent": "shaft-assy", "child": "bearing", "qty": 2, "unit": "pcs"},
    {"parent": "shaft-assy", "child": "circlip", "qty": 2, "unit": "pcs", "scrap": "0.25"},
]


def test_scrap_compounds_down_the_path_200_finished_need_242_raw() -> None:
    bom = Bom([
        {"parent": "finished", "child": "assembly", "qty": 1, "scrap": "0.1"},
        {"parent": "assembly", "child": "raw", "qty": 1, "scrap": "0.1"},
    ])
    assert explode(bom, "finished", 200) == {"raw": Fraction(242)}


def test_gearbox_explodes_down_to_fasteners_by_hand() -> None:
    bom = Bom(GEARBOX)
    need = explode(bom, "gearbox", 10)
    # bolts: 12 pcs direct + 1 dozen in the housing = 24 per gearbox
    assert need == {
        "bolt-M8": Fraction(240),
        "oil": Fraction("8.4"),          # 10 × 0.8 × 1.05
        "casting": Fraction("39.6"),     # 10 × 3.6 × 1.1
        "shaft": Fraction(20),
        "bearing": Fraction(40),
        "circlip": Fraction(50),         # 10 × 2 × 2 × 1.25
    }
    assert all(isinstance(v, Fraction) for v in need.values())
    assert max_buildable(bom, "gearbox", {"bolt-M8": 240, "oil": 100, "casting": 100,
                                          "shaft": 100, "bearing": 100, "circlip": 100}) == 10


def test_line_units_convert_exactly_to_the_child_stock_unit() -> None:
    bom = Bom([
        {"parent": "A", "child": "flour", "qty": 500, "unit": "g"},
        {"parent": "A", "child": "flour", "qty": 1, "unit": "斤"},
        {"parent": "A", "child": "nut", "qty": 1, "unit": "dozen"},
        {"parent": "A", "child": "nut", "qty": 3, "unit": "个"},
    ], items={"A": {}, "flour": {"unit": "kg"}, "nut": {"unit": "pcs"}})
    assert explode(bom, "A", 3) == {"flour": Fraction(3), "nut": Fraction(45)}
    assert bom.stock_unit("flour") == "kg"


def test_stock_unit_defaults_to_the_first_line_that_names_one() -> None:
    bom = Bom([
        {"parent": "A", "child": "wire", "qty": 2},
        {"parent": "A", "child": "wire", "qty": 50, "unit": "cm"},
        {"parent": "A", "child": "wire", "qty": 1, "unit": "m"},
    ])
    assert bom.stock_unit("wire") == "cm"
    assert explode(bom, "A", 1) == {"wire": Fraction(152)}  # a unitless line is in the stock unit
    assert Bom([{"parent": "A", "child": "B", "qty": 2}]).stock_unit("B") is None


def test_duplicate_lines_are_summed_and_zero_lines_ignored() -> None:
    bom = Bom([
        {"parent": "A", "child": "B", "qty": 2},
        {"parent": "A", "child": "B", "qty": 3},
        {"parent": "A", "child": "C", "qty": 0},
    ])
    assert explode(bom, "A", 2) == {"B": Fraction(10)}
    assert "C" in bom.leaves
    assert len(bom.lines) == 3


def test_a_kit_making_4_counts_4_per_batch() -> None:
    bom = Bom([{"parent": "kit", "child": "screw", "qty": 10, "unit": "pcs"}],
              outputs={"kit": 4})
    assert explode(bom, "kit", 8) == {"screw": Fraction(20)}
    assert max_buildable(bom, "kit", {"screw": 20}) == 8
    assert max_buildable(bom, "kit", {"screw": 19}) == 7  # 7 kits need 17.5 → 18 screws


def test_outputs_accept_quantity_strings_in_the_parent_unit() -> None:
    bom = Bom([{"parent": "paint", "child": "pigment", "qty": 2, "unit": "kg"}],
              outputs={"paint": "50 L"}, items={"paint": {"unit": "L"}, "pigment": {}})
    assert explode(bom, "paint", "200 L") == {"pigment": Fraction(8)}


def test_setup_quantity_is_added_once_per_order_of_the_parent() -> None:
    bom = Bom([
        {"parent": "A", "child": "S", "qty": 2},
        {"parent": "S", "child": "purge", "qty": "0.1", "unit": "kg", "setup": "1.5"},
    ])
    assert explode(bom, "A", 10) == {"purge": Fraction("3.5")}  # 20 × 0.1 + 1.5
    assert explode(bom, "A", 0) == {}


def test_phantom_items_are_blown_through_and_never_netted() -> None:
    bom = Bom([
        {"parent": "A", "child": "kit", "qty": 1, "phantom": True},
        {"parent": "A", "child": "sub", "qty": 1},
        {"parent": "kit", "child": "x", "qty": 2},
        {"parent": "sub", "child": "y", "qty": 3},
    ])
    assert bom.phantoms == {"kit"}
    netted = explode(bom, "A", 5, on_hand={"kit": 100, "sub": 2})
    assert netted == {"x": Fraction(10), "y": Fraction(9), "sub": Fraction(2)}


def test_netting_uses_the_total_gross_requirement_of_a_subassembly() -> None:
    bom = Bom([
        {"parent": "A", "child": "S", "qty": 1},
        {"parent": "A", "child": "B", "qty": 1},
        {"parent": "B", "child": "S", "qty": 1},
        {"parent": "S", "child": "r", "qty": 2},
    ])
    # gross S = 4 + 4 = 8; 5 in stock; 3 made from 6 r
    assert explode(bom, "A", 4, on_hand={"S": 5}) == {"r": Fraction(6), "S": Fraction(5)}
    assert low_level_codes(bom) == {"A": 0, "B": 1, "S": 2, "r": 3}


def test_effectivity_dates_pick_the_valid_line_and_are_required() -> None:
    bom = Bom([
        {"parent": "A", "child": "old-seal", "qty": 1, "valid_to": "2026-06-30"},
        {"parent": "A", "child": "new-seal", "qty": 1, "valid_from": "2026-07-01"},
        {"parent": "A", "child": "bolt", "qty": 4},
    ])
    assert explode(bom, "A", 2, on="2026-06-30") == {"old-seal": 2, "bolt": 8}
    assert explode(bom, "A", 2, on=dt.date(2026, 7, 1)) == {"new-seal": 2, "bolt": 8}
    with pytest.raises(ValidationError, match="dated lines"):
        explode(bom, "A", 2)


def test_alternates_cover_what_the_primary_stock_cannot() -> None:
    bom = Bom([
        {"parent": "A", "child": "bolt-zn", "qty": 4, "unit": "pcs",
         "alternates": [{"child": "bolt-ss"}, {"child": "bolt-box", "qty": "0.04",
                                               "unit": "pcs"}]},
    ], items={"A": {}, "bolt-zn": {"unit": "pcs"}, "bolt-ss": {"unit": "pcs"},
              "bolt-box": {"unit": "pcs"}})
    assert explode(bom, "A", 10) == {"bolt-zn": 40}
    got = explode(bom, "A", 10, on_hand={"bolt-zn": 25, "bolt-ss": 10, "bolt-box": 1})
    # 15 short: 10 from bolt-ss; remaining 5 bolts need 5 × 0.04 / 4 = 0.05 box
    assert got == {"bolt-zn": 25, "bolt-ss": 10, "bolt-box": Fraction(1, 20)}


def test_where_used_implodes_through_every_path() -> None:
    bom = Bom(GEARBOX)
    used = where_used(bom, "bolt-M8")
    assert used == {"housing": 12, "gearbox": 24}
    assert where_used(bom, "bolt-M8", direct=True) == {"housing": 12, "gearbox": 12}
    assert where_used(bom, "gearbox") == {}


def test_round_requirements_rounds_pieces_up_once_at_the_end() -> None:
    bom = Bom([
        {"parent": "A", "child": "clip", "qty": "0.5", "unit": "pcs"},
        {"parent": "A", "child": "nut", "qty": "0.5", "unit": "dozen"},
        {"parent": "A", "child": "grease", "qty": "0.013", "unit": "kg"},
        {"parent": "A", "child": "wire", "qty": "0.3", "unit": "m"},
    ], items={"A": {}, "clip": {"unit": "pcs"}, "nut": {"unit": "dozen"},
              "grease": {"unit": "kg"}, "wire": {"unit": "m", "step": "0.5", "mode": "up"}})
    need = explode(bom, "A", 3)
    assert need == {"clip": Fraction(3, 2), "nut": Fraction(3, 2), "grease": Fraction(39, 1000),
                    "wire": Fraction(9, 10)}
    assert round_requirements(bom, need) == {
        "clip": 2, "nut": Fraction(3, 2), "grease": Fraction(39, 1000), "wire": 1}
    # 1.5 dozen is 18 whole pieces: no rounding needed; 1.51 dozen → 1 7/12 dozen (19 pcs)
    assert round_requirements(bom, {"nut": Fraction(151, 100)}) == {"nut": Fraction(19, 12)}


def test_mapping_round_trip_is_yaml_safe() -> None:
    lines = [*GEARBOX, {"parent": "gearbox", "child": "seal", "qty": "1/3", "setup": 2,
                        "valid_from": "2026-01-01",
                        "alternates": [{"child": "seal-b", "qty": 1}]}]
    bom = Bom(lines, outputs={"shaft-assy": 2})
    text = yaml.safe_dump(bom.to_mapping(), allow_unicode=True)
    again = Bom.from_mapping(yaml.safe_load(text))
    assert again == bom
    assert explode(again, "gearbox", 3, on="2026-02-01") == explode(bom, "gearbox", 3,
                                                                     on="2026-02-01")


# ---------------------------------------------------------------- bad input


def test_a_cycle_raises_bom_cycle_error_naming_the_path() -> None:
    with pytest.raises(BomCycleError) as err:
        Bom([{"parent": "A", "child": "B", "qty": 1}, {"parent": "B", "child": "C", "qty": 1},
             {"parent": "C", "child": "A", "qty": 1}, {"parent": "C", "child": "D", "qty": 1}])
    assert sorted(err.value.cycle) == ["A", "B", "C"]
    assert "->" in str(err.value)
    with pytest.raises(BomCycleError, match="A -> A"):
        Bom([{"parent": "A", "child": "A", "qty": 1}])


def test_a_unit_that_cannot_convert_names_the_line() -> None:
    with pytest.raises(UnitError, match=r"lines\[1\]\.unit \(A -> bolt\).*'kg'"):
        Bom([{"parent": "A", "child": "bolt", "qty": 1, "unit": "pcs"},
             {"parent": "A", "child": "bolt", "qty": 1, "unit": "kg"}])
    with pytest.raises(UnitError, match=r"lines\[0\]\.unit"):
        Bom([{"parent": "A", "child": "x", "qty": 1, "unit": "furlongs-per-fortnight"}])


def test_negative_quantity_scrap_or_setup_names_the_line() -> None:
    with pytest.raises(ValidationError,
                       match=r"lines\[1\]\.qty \(A -> C\) must be a quantity") as err:
        Bom([{"parent": "A", "child": "B", "qty": 1}, {"parent": "A", "child": "C", "qty": -2}])
    assert err.value.field == "lines[1].qty"  # a clean key path for the rule-pack loader
    assert err.value.row == 1
    with pytest.raises(ValidationError, match=r"lines\[0\]\.scrap"):
        Bom([{"parent": "A", "child": "B", "qty": 1, "scrap": "-0.1"}])
    with pytest.raises(ValidationError, match=r"lines\[0\]\.setup"):
        Bom([{"parent": "A", "child": "B", "qty": 1, "setup": -1}])
    with pytest.raises(ValidationError, match=r"lines\[0\]\.qty"):
        Bom([{"parent": "A", "child": "B", "qty": float("nan")}])


def test_unknown_items_are_errors_where_items_are_declared() -> None:
    with pytest.raises(UnknownItemError, match=r"lines\[0\]\.child: unknown item 'B'"):
        Bom([{"parent": "A", "child": "B", "qty": 1}], items={"A": {}})
    bom = Bom(GEARBOX)
    with pytest.raises(UnknownItemError, match="widget"):
        explode(bom, "widget", 1)
    with pytest.raises(KeyError):
        max_buildable(bom, "widget", {})
    with pytest.raises(UnknownItemError):
        Bom([{"parent": "A", "child": "B", "qty": 1}], outputs={"Z": 2})


def test_unknown_keys_and_missing_keys_are_named() -> None:
    with pytest.raises(ValidationError, match=r"lines\[0\]\.qtty"):
        Bom([{"parent": "A", "child": "B", "qty": 1, "qtty": 1}])
    with pytest.raises(ValidationError, match=r"lines\[0\]\.qty must be present"):
        Bom([{"parent": "A", "child": "B"}])
    with pytest.raises(ValidationError, match=r"bom\.line"):
        Bom.from_mapping({"line": []})
    with pytest.raises(ValidationError, match=r"items\.A\.colour"):
        Bom([{"parent": "A", "child": "B", "qty": 1}], items={"A": {"colour": 1}, "B": {}})


def test_negative_order_quantity_is_refused() -> None:
    with pytest.raises(ValidationError, match="quantity"):
        explode(Bom(GEARBOX), "gearbox", -1)


def test_order_quantity_may_carry_a_unit_of_the_item() -> None:
    bom = Bom([{"parent": "A", "child": "B", "qty": 2}], items={"A": {"unit": "pcs"}, "B": {}})
    assert explode(bom, "A", "2 dozen") == {"B": 48}
    assert explode(bom, "A", Q_(1, "gross")) == {"B": 288}
    with pytest.raises(UnitError):
        explode(bom, "A", "3 kg")


def test_max_buildable_with_net_counts_subassemblies_and_alternates() -> None:
    bom = Bom([
        {"parent": "A", "child": "S", "qty": 1},
        {"parent": "S", "child": "r", "qty": 2, "alternates": [{"child": "r2"}]},
        {"parent": "A", "child": "bolt", "qty": 1},
    ])
    stock = {"S": 3, "r": 4, "r2": 2, "bolt": 100}
    assert max_buildable(bom, "A", stock) == 2
    assert max_buildable(bom, "A", stock, net=True) == 6  # 3 from stock + (4 + 2) / 2 made
    assert explode(bom, "A", 6, on_hand=stock) == {"S": 3, "r": 4, "r2": 2, "bolt": 6}


# ---------------------------------------------------------------- properties


@given(data=st.data(), bom=boms())
def test_explosion_is_linear_in_quantity(data: st.DataObject, bom: Bom) -> None:
    item, q = data.draw(bom_orders(bom))
    k = data.draw(st.integers(0, 7))
    one = explode(bom, item, q)
    assert explode(bom, item, k * q) == {s: k * v for s, v in one.items() if k * v}


@given(data=st.data(), bom=boms())
def test_level_by_level_equals_at_once(data: st.DataObject, bom: Bom) -> None:
    item, q = data.draw(bom_orders(bom, top_only=False))
    total: dict[str, Fraction] = {}
    for line in bom.lines:
        if line.parent != item or line.qty == 0:
            continue
        unit, stock = line.unit, bom.stock_unit(line.child)
        factor = exact_factor(unit, stock) if unit and stock else Fraction(1)
        child_q = q / bom.output(item) * line.qty * factor * (1 + line.scrap)
        for sku, v in explode(bom, line.child, child_q).items():
            total[sku] = total.get(sku, Fraction(0)) + v
    assert explode(bom, item, q) == {s: v for s, v in total.items() if v}


@given(data=st.data(), mapping=bom_mappings(setups=True))
def test_integer_fast_path_equals_the_fraction_path(data: st.DataObject, mapping: dict) -> None:
    bom = Bom.from_mapping(mapping)
    item, q = data.draw(bom_orders(bom, top_only=False))
    assert explode(bom, item, q) == _explode_exact(bom, item, q, None, True, None)


@given(data=st.data(), bom=boms())
def test_results_are_leaves_in_their_stock_units(data: st.DataObject, bom: Bom) -> None:
    item, q = data.draw(bom_orders(bom))
    need = explode(bom, item, q)
    assert set(need) <= bom.leaves
    assert all(v > 0 and isinstance(v, Fraction) for v in need.values())


@given(data=st.data(), bom=boms())
def test_max_buildable_is_the_largest_covered_count(data: st.DataObject, bom: Bom) -> None:
    item, _q = data.draw(bom_orders(bom))
    stock = data.draw(stock_levels(bom))
    n = max_buildable(bom, item, stock)
    for count, ok in ((n, True), (n + 1, False)):
        need = round_requirements(bom, explode(bom, item, count))
        assert all(v <= stock.get(s, 0) for s, v in need.items()) is ok


@given(data=st.data(), bom=boms())
def test_where_used_agrees_with_explosion(data: st.DataObject, bom: Bom) -> None:
    leaf = data.draw(st.sampled_from(sorted(bom.leaves)))
    for parent, per_unit in where_used(bom, leaf).items():
        assert explode(bom, parent, 1).get(leaf, 0) == per_unit
