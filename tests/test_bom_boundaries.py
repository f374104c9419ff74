"""BOM edges: scrap on setups, the ordered item is never netted, small negative quantities."""

from __future__ import annotations

from fractions import Fraction

import pytest

from jxc_rules.bom import Bom, explode, max_buildable, round_requirements
from jxc_rules.errors import ValidationError


def test_setup_is_marked_up_for_scrap_like_the_run_quantity() -> None:
    # need(purge) = 20 × 0.1 × 1.1 + 1.5 × 1.1 = 2.2 + 1.65
    bom = Bom([
        {"parent": "A", "child": "S", "qty": 2},
        {"parent": "S", "child": "purge", "qty": "0.1", "unit": "kg", "setup": "1.5",
         "scrap": "0.1"},
    ])
    assert explode(bom, "A", 10) == {"purge": Fraction("3.85")}
    assert explode(bom, "A", 10, on_hand={}) == {"purge": Fraction("3.85")}  # exact path too


def test_the_ordered_item_is_made_not_taken_from_its_own_stock() -> None:
    bom = Bom([{"parent": "A", "child": "S", "qty": 1}, {"parent": "S", "child": "r", "qty": 2}])
    # stock of A itself does not reduce what making 5 A needs; stock of S does
    assert explode(bom, "A", 5, on_hand={"A": 100}) == {"r": Fraction(10)}
    assert explode(bom, "A", 5, on_hand={"A": 100, "S": 1}) == {"r": Fraction(8), "S": 1}
    assert max_buildable(bom, "A", {"A": 100, "r": 4}, net=True) == 2


@pytest.mark.parametrize("qty", ["-0.001", -1, Fraction(-1, 3)])
def test_any_negative_line_quantity_is_refused(qty: object) -> None:
    with pytest.raises(ValidationError, match=r"lines\[0\]\.qty \(A -> B\) must be a quantity"):
        Bom([{"parent": "A", "child": "B", "qty": qty}])


@pytest.mark.parametrize(("mode", "stock", "expected"), [
    ("down", 0, 3),      # 0.3 n rounds down to 0 pieces up to n = 3
    ("half_up", 1, 4),   # 1.2 rounds to 1, 1.5 to 2
    ("up", 1, 3),
])
def test_max_buildable_follows_a_declared_rounding_mode(mode: str, stock: int,
                                                        expected: int) -> None:
    bom = Bom([{"parent": "A", "child": "bolt", "qty": "0.3", "unit": "pcs"}],
              items={"A": {}, "bolt": {"step": 1, "mode": mode}})
    n = max_buildable(bom, "A", {"bolt": stock})
    assert n == expected
    for sets, fits in ((n, True), (n + 1, False)):
        need = round_requirements(bom, explode(bom, "A", sets)).get("bolt", 0)
        assert (need <= stock) is fits
