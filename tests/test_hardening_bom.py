"""Hardening of the BOM kernel (#21, #16): an all-zero parent, unbounded scrap, one ratio parser,
and cycles through zero-quantity lines."""

from __future__ import annotations

from fractions import Fraction

import pytest

from jxc_rules.bom import MAX_SCRAP, Bom, explode
from jxc_rules.errors import BomCycleError, ValidationError
from jxc_rules.rules.schema import _number


def test_a_parent_whose_only_line_is_zero_is_refused_not_exploded_to_itself() -> None:
    with pytest.raises(ValidationError, match=r"item 'a' has lines \(rows \[0\]\) but every "
                                              r"quantity and setup is 0") as info:
        Bom([{"parent": "a", "child": "b", "qty": 0}])
    assert info.value.field == "lines[0].qty"
    bom = Bom([{"parent": "a", "child": "b", "qty": 0}, {"parent": "a", "child": "c", "qty": 2}])
    assert explode(bom, "a", 3) == {"c": 6}          # zero lines beside real ones: ignored


def test_a_cycle_through_a_zero_quantity_line_is_a_cycle() -> None:
    with pytest.raises(BomCycleError) as info:
        Bom([{"parent": "A", "child": "B", "qty": 0}, {"parent": "A", "child": "C", "qty": 1},
             {"parent": "B", "child": "A", "qty": 1}])
    assert set(info.value.cycle) == {"A", "B"}


@pytest.mark.parametrize("scrap", [1e300, 10, "1000 %", -0.1, "-5 %", float("nan"), True,
                                   "10 kg"])
def test_scrap_outside_zero_to_ten_is_refused_naming_the_line(scrap: object) -> None:
    with pytest.raises(ValidationError, match=r"lines\[0\]\.scrap \(a -> b\)"):
        Bom([{"parent": "a", "child": "b", "qty": 1, "scrap": scrap}])


@pytest.mark.parametrize(("written", "exact"), [
    ("10 %", Fraction(1, 10)), ("10%", Fraction(1, 10)), ("0.1", Fraction(1, 10)),
    (0.1, Fraction(1, 10)), ("12.5 %", Fraction(1, 8)), ("5 ‰", Fraction(1, 200)),
])
def test_percentages_read_the_same_in_a_bom_and_in_a_pack(written: object,
                                                          exact: Fraction) -> None:
    bom = Bom([{"parent": "a", "child": "b", "qty": 1, "scrap": written}])
    assert explode(bom, "a", 1) == {"b": 1 + exact}
    assert _number(written, "loss") == float(exact)   # the pack's number reader


def test_the_scrap_bound_is_documented() -> None:
    assert MAX_SCRAP == 10
    bom = Bom([{"parent": "a", "child": "b", "qty": 1, "scrap": "999 %"}])
    assert explode(bom, "a", 1) == {"b": Fraction(1099, 100)}
