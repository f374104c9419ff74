"""Silent wrong answers in the month-end close and the packaging rules, now refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jxc_rules.closing import Receipt, StockBook, StockCount, close_month
from jxc_rules.errors import UnitError, ValidationError
from jxc_rules.packaging import Packaging, ProductProfile, breakdown, ship_plan

UREA = ProductProfile(sku="urea", name="尿素", price_unit="t", pack_content="40 kg")
OPENING = {"urea": (100, "9000.00")}


def test_loose_beyond_the_broken_bags_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        close_month(UREA, [], opening=OPENING, counts={"urea": StockCount(99, 1, "500 kg")})
    msg = str(err.value)
    assert err.value.field == "count.loose"
    for part in ("urea", "500", "40"):
        assert part in msg


def test_more_broken_bags_than_on_the_books_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        close_month(UREA, [], opening=OPENING, counts={"urea": StockCount(0, 200, "0 kg")})
    assert err.value.field == "count.broken_bags"
    for part in ("urea", "200", "100"):
        assert part in str(err.value)


def test_a_plausible_count_still_closes() -> None:
    close = close_month(UREA, [], opening=OPENING, counts={"urea": StockCount(99, 1, "37.5 kg")})
    assert close.products["urea"].closing_value <= Decimal("9000.00")


def test_a_huge_receipt_price_is_a_validation_error() -> None:
    with pytest.raises(ValidationError) as err:
        Receipt("PO1", "urea", 5, 1e300)
    assert err.value.field == "price"
    book = StockBook(UREA, opening=OPENING)
    with pytest.raises(ValueError, match="price"):
        book.post({"kind": "receipt", "doc_id": "PO2", "sku": "urea", "bags": 1, "price": 1e300})


def test_unitless_ordered_with_a_mass_pack_is_refused() -> None:
    with pytest.raises(UnitError, match=r"ordered '12.35' has no unit; write e.g. '12.35 t'"):
        ship_plan("12.35", "40 kg")
    assert ship_plan("361", "144 pcs", mode="down").packs == 2  # counts stay bare
    assert breakdown(361, Packaging({"pack": 144})) == {"pack": 2, "remainder": 73}


def test_dimension_mismatch_blames_ordered() -> None:
    with pytest.raises(UnitError) as err:
        ship_plan("5 L", "40 kg")
    assert err.value.field == "ordered"
    assert "5 L" in str(err.value)


def test_half_pieces_are_refused_for_count_units() -> None:
    with pytest.raises(ValidationError) as err:
        Packaging({"pack": 1.5})  # type: ignore[dict-item]
    assert err.value.field == "levels.pack"
    with pytest.raises(ValidationError, match="whole number of pieces"):
        Packaging({"box": "12", "half": "1.5"})
    # breakdown(2.5, count packaging) stays accepted: test_breakdown_conserves_the_quantity
    # (an existing property test) requires fractional quantities to break down exactly.
    assert breakdown("2.5 kg", Packaging({"bag": "40 kg"}))["remainder"] == Decimal("2.5")


@pytest.mark.parametrize(("call", "field"), [
    (lambda: breakdown(2.5, Packaging({"pack": 144})), "quantity"),
    (lambda: breakdown("1.5 piece", Packaging({"pack": 12})), "quantity"),
    (lambda: ship_plan("2.5", "7 pcs"), "ordered"),
    (lambda: ship_plan("0.5 dozen", "7 pcs", mode="down"), None),   # 6 pieces: fine
])
def test_half_pieces_of_a_count_unit_are_refused(call: object, field: str | None) -> None:
    assert callable(call)
    if field is None:
        assert call().packs == 0
        return
    with pytest.raises(ValidationError, match="whole number of pieces") as err:
        call()
    assert err.value.field == field
