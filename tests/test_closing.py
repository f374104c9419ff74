"""Month-end close: moving-average cost, variance table, exact identity (issue 4)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_DOWN, Decimal, localcontext
from fractions import Fraction

import attrs
import numpy as np
import pytest
from hypothesis import given

from jxc_rules.closing import (
    CAUSES,
    Journal,
    Opening,
    ProductClose,
    Receipt,
    Shipment,
    StockBook,
    StockCount,
    close_month,
    journal,
)
from jxc_rules.errors import (
    DuplicateError,
    InsufficientStock,
    UnitError,
    UnknownItemError,
    ValidationError,
)
from jxc_rules.packaging import ProductProfile, catch_weight_line, line_amount
from jxc_rules.rounding import round_to
from jxc_rules.testing import MonthEndCase, month_end_cases
from jxc_rules.units import exact_factor

UREA = ProductProfile(sku="urea-46", name="尿素", labels={"en": "urea"}, price_unit="t",
                      pack_content="40 kg", rounding="up", invoice_basis="nominal")
NPK = ProductProfile(sku="npk-15", name="复合肥", price_unit="t", pack_content="50 kg",
                     invoice_basis="actual", catch_weight_tolerance="0.005")


def fertilizer_month() -> list[Receipt | Shipment]:
    return [
        Receipt("PO-1", "urea-46", 500, 2300),            # 20 t at 2300/t = 46000.00
        Shipment("SO-1", "urea-46", 309, 2850, ordered="12.35 t"),
        Receipt("PO-2", "npk-15", 200, 3100),             # 10 t at 3100/t = 31000.00
        Shipment("SO-2", "npk-15", 100, 3600, actual="5.04 t"),   # +0.8 %: flagged
        Receipt("PO-3", "urea-46", 100, 2420),            # 4 t at 2420/t = 9680.00
        Shipment("SO-3", "urea-46", 200, 2880),
    ]


def test_fertilizer_month_closes_by_hand() -> None:
    close = close_month(
        [UREA, NPK], fertilizer_month(),
        opening={"urea-46": Opening(100, "9000.00")},
        counts={"urea-46": StockCount(bags=189, broken_bags=1, loose="25 kg"),
                "npk-15": StockCount(bags=100)},
    )
    u = close.products["urea-46"]
    # opening 100 bags 9000.00; +500 bags 46000.00 -> 600 bags 55000.00, 91.666.. per bag
    # SO-1: 309 bags -> round(55000 * 309 / 600) = 28325.00; left 291 bags 26675.00
    # PO-3: +100 bags 9680.00 -> 391 bags 36355.00; SO-3: 200 bags -> round(36355*200/391)
    #       = 18595.91 (18595.907...); left 191 bags 17759.09
    assert u.cogs == Decimal("28325.00") + Decimal("18595.91")
    assert (u.book_bags, u.book_value) == (191, Decimal("17759.09"))
    assert u.revenue == line_amount("12.36 t", 2850, "t") + line_amount("8 t", 2880, "t")
    assert u.revenue == Decimal("35226.00") + Decimal("23040.00")
    assert u.gross_margin == u.revenue - u.cogs
    rows = {r.cause: r for r in u.variances}
    assert tuple(rows) == CAUSES
    assert rows["order_residual"].tonnes == Decimal("0.01")    # 12.36 shipped vs 12.35 ordered
    assert rows["order_residual"].documents == ("SO-1",)
    assert rows["count_difference"].bags == 1                  # 191 - 189 - 1 broken
    assert rows["count_difference"].tonnes == Decimal("0.04")
    assert rows["broken_bags"].bags == 1
    assert rows["broken_bags"].tonnes == Decimal("0.015")      # 40 kg - 25 kg loose
    # write-off: round(17759.09 * 55 kg / 7640 kg) = 127.85; count part round(.. * 40/7640)
    assert rows["count_difference"].value == Decimal("92.98")
    assert rows["broken_bags"].value == Decimal("127.85") - Decimal("92.98")
    assert (u.closing_bags, u.closing_loose_kg, u.closing_t) == (189, Decimal(25),
                                                                 Decimal("7.585"))
    assert u.closing_value == Decimal("17759.09") - Decimal("127.85")
    assert u.shipments_t == Decimal("20.35")  # 12.35 booked on SO-1 + 8 t nominal on SO-3
    assert u.identity_holds()

    n = close.products["npk-15"]
    # invoiced on the weighbridge weight: 5.04 t x 3600 = 18144.00; nominal 5 t
    assert n.revenue == Decimal("18144.00")
    assert n.revenue == catch_weight_line(NPK, 100, 3600, actual_weight="5.04 t").amount
    catch = next(r for r in n.variances if r.cause == "catch_weight")
    assert catch.tonnes == Decimal("-0.04")   # the invoice booked 40 kg more than nominal
    assert catch.flagged == ("SO-2",)          # 0.8 % > 0.5 %: flagged, not rejected
    assert n.cogs == Decimal("15500.00")
    assert n.shipments_t == Decimal("5.04")
    assert n.identity_holds()
    assert close.total_value == u.closing_value + n.closing_value
    assert close.cogs_fen.tolist() == [0, 2832500, 0, 1550000, 0, 1859591]


def test_selling_everything_takes_exactly_the_value_on_hand() -> None:
    moves = [Receipt("R1", "urea-46", 3, "1000.01")] + [
        Shipment(f"S{i}", "urea-46", 1, 1) for i in range(3)]
    close = close_month(UREA, moves, opening={"urea-46": (0, 0)})
    p = close.products["urea-46"]
    assert p.closing_value == 0
    assert p.cogs == p.receipts_value  # 3 x 40 kg x 1000.01 = 120.00 (120.0012 rounded)
    assert close.cogs_fen.sum() == int(p.receipts_value * 100)


def test_shipment_beyond_stock_names_product_and_shortfall_and_books_nothing() -> None:
    moves = [Receipt("R1", "urea-46", 10, 2300), Shipment("S1", "urea-46", 14, 2850)]
    jr = Journal.from_records(moves)
    before = {name: getattr(jr, name).copy() for name in ("bags", "kind", "price_e4")}
    with pytest.raises(InsufficientStock, match=r"urea-46: short 1\b") as info:
        close_month(UREA, jr, opening={"urea-46": (3, "300.00")})
    assert info.value.shortages == {"urea-46": 1}
    assert "S1" in str(info.value)
    for name, col in before.items():
        np.testing.assert_array_equal(getattr(jr, name), col)


def test_duplicate_document_ids_are_refused() -> None:
    moves = [Receipt("D1", "urea-46", 10, 2300), Shipment("D1", "urea-46", 1, 2850)]
    with pytest.raises(DuplicateError, match=r"'D1'.*rows 0, 1"):
        close_month(UREA, moves)


def test_unknown_products_and_bad_values_are_refused() -> None:
    with pytest.raises(UnknownItemError, match="salt"):
        close_month(UREA, [Receipt("R1", "salt", 1, 1)])
    with pytest.raises(UnknownItemError):
        close_month(UREA, [], counts={"salt": StockCount(1)})
    with pytest.raises(ValidationError, match="bags"):
        Receipt("R1", "urea-46", -5, 2300)
    with pytest.raises(ValidationError, match="> 0"):
        Shipment("S1", "urea-46", 0, 2300)
    with pytest.raises(ValidationError, match="whole number"):
        Shipment("S1", "urea-46", 2.5, 2300)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="grams"):
        Shipment("S1", "urea-46", 2, 2300, actual="12.3456789 kg")
    with pytest.raises(DuplicateError):
        close_month([UREA, UREA], [])
    with pytest.raises(ValidationError, match="price"):
        Shipment("S1", "urea-46", 5, -1)
    with pytest.raises(ValidationError, match=r"opening\.value"):
        Opening(1, "0.001")
    with pytest.raises(ValidationError, match=r"count\.loose"):
        StockCount(1, 1, "-2 kg")
    with pytest.raises(UnitError):
        Shipment("S1", "urea-46", 5, 1, actual="5 L")
    with pytest.raises(ValidationError, match=r"bags.*row 1"):
        journal(["a", "b"], ["urea-46"] * 2, ["receipt", "shipment"], [1, 0], [1, 1])
    with pytest.raises(ValidationError, match="kind"):
        journal(["a"], ["urea-46"], ["return"], [1], [1])
    litre = ProductProfile(sku="oil", name="oil", price_unit="L", pack_content="5 L")
    with pytest.raises(UnitError, match=r"price_unit of oil .* mass quantity, got 'liter'"):
        close_month(litre, [])


def test_empty_month_closes_at_opening() -> None:
    close = close_month(UREA, [], opening={"urea-46": Opening(10, "900.00")})
    p = close.products["urea-46"]
    assert (p.closing_bags, p.closing_t, p.closing_value) == (10, Decimal("0.4"),
                                                             Decimal("900.00"))
    assert p.average_cost_per_t == Decimal("2250.00")
    assert p.identity_holds()


def test_array_journal_equals_record_journal() -> None:
    moves = fertilizer_month()
    arrays = journal(
        [m.doc_id for m in moves], [m.sku for m in moves],
        ["receipt" if isinstance(m, Receipt) else "shipment" for m in moves],
        [m.bags for m in moves], [float(m.price) for m in moves],
        ordered_kg=[np.nan, 12350, np.nan, np.nan, np.nan, np.nan],
        actual_kg=[np.nan, np.nan, np.nan, 5040, np.nan, np.nan],
    )
    a = close_month([UREA, NPK], arrays, opening={"urea-46": (100, "9000.00")})
    b = close_month([UREA, NPK], moves, opening={"urea-46": (100, "9000.00")})
    assert a.products == b.products
    np.testing.assert_array_equal(a.cogs_fen, b.cogs_fen)


def test_movements_may_be_plain_mappings() -> None:
    close = close_month(UREA, [
        {"kind": "receipt", "doc_id": "R1", "sku": "urea-46", "bags": 5, "price": "2300"},
        {"kind": "shipment", "doc_id": "S1", "sku": "urea-46", "bags": 2, "price": 2850,
         "ordered": "0.075 t"},
    ])
    assert close.products["urea-46"].closing_bags == 3
    with pytest.raises(ValidationError, match="row 0"):
        close_month(UREA, [{"kind": "receipt", "doc_id": "R1", "sku": "urea-46", "bags": -1,
                            "price": 1}])


@given(month_end_cases())
def test_month_end_identity_holds_on_random_journals(case: MonthEndCase) -> None:
    close = close_month(case.profiles, case.movements, opening=case.opening, counts=case.counts)
    total_value = Decimal(0)
    for p in close.products.values():
        assert p.identity_holds()
        assert p.book_bags == p.opening_bags + p.receipts_bags - p.shipments_bags
        assert p.gross_margin == p.revenue - p.cogs
        assert [r.cause for r in p.variances] == list(CAUSES)
        if p.closing_bags == 0 and p.closing_loose_kg == 0 and p.book_bags == 0:
            assert p.closing_value == 0
        total_value += p.opening_value + p.receipts_value - p.cogs
        total_value -= sum((r.value for r in p.variances), Decimal(0))
    assert total_value == close.total_value
    assert int(close.cogs_fen.sum()) == sum(int(p.cogs * 100) for p in close.products.values())


def test_stock_book_refuses_a_shipment_beyond_stock_and_changes_nothing() -> None:
    book = StockBook([UREA, NPK], opening={"urea-46": Opening(10, "900.00")})
    book.post(Receipt("PO-1", "urea-46", 5, 2300))
    with pytest.raises(InsufficientStock, match="urea-46: short 3") as info:
        book.post(Shipment("SO-1", "urea-46", 18, 2850))
    assert info.value.shortages == {"urea-46": 3}
    assert book.on_hand("urea-46") == 15
    assert [m.doc_id for m in book.movements] == ["PO-1"]
    with pytest.raises(DuplicateError, match="PO-1"):
        book.post({"kind": "receipt", "doc_id": "PO-1", "sku": "npk-15", "bags": 1, "price": 1})
    assert book.on_hand("npk-15") == 0
    with pytest.raises(UnknownItemError):
        book.post(Receipt("PO-9", "salt", 1, 1))
    book.post(Shipment("SO-1", "urea-46", 15, 2850))
    close = book.close()
    assert close.products["urea-46"].closing_bags == 0
    assert close.products["urea-46"].closing_value == 0


def _reference_cogs(case: MonthEndCase) -> list[int]:
    """A straightforward per-movement loop of the documented rule (Python ints, fen)."""
    grams = {p.sku: int(p.content * exact_factor(p.price_unit, "g")) for p in case.profiles}
    units = {p.sku: exact_factor("g", p.price_unit) for p in case.profiles}
    value = {s: int(o.value * 100) for s, o in case.opening.items()}
    bags = {s: o.bags for s, o in case.opening.items()}
    run: dict[str, tuple[int, int, int]] = {}  # sku -> (V, B, shipped so far in the run)
    out = []
    for m in case.movements:
        if isinstance(m, Receipt):
            fen = m.bags * grams[m.sku] * units[m.sku] * m.price * 100
            value[m.sku] += int(round_to(fen, 1, "half_up"))
            bags[m.sku] += m.bags
            run.pop(m.sku, None)
            out.append(0)
            continue
        v, b, done = run.get(m.sku, (value[m.sku], bags[m.sku], 0))

        def cum(k: int, v: int = v, b: int = b) -> int:
            return int(round_to(Fraction(v * k, b), 1, "half_up"))

        cogs = cum(done + m.bags) - cum(done)
        run[m.sku] = (v, b, done + m.bags)
        value[m.sku] -= cogs
        bags[m.sku] -= m.bags
        out.append(cogs)
    return out


@given(month_end_cases())
def test_vectorised_close_equals_a_per_movement_loop(case: MonthEndCase) -> None:
    close = close_month(case.profiles, case.movements, opening=case.opening, counts=case.counts)
    assert close.cogs_fen.tolist() == _reference_cogs(case)
    arrays = journal(
        [m.doc_id for m in case.movements], [m.sku for m in case.movements],
        [1 if isinstance(m, Receipt) else -1 for m in case.movements],
        np.array([m.bags for m in case.movements], dtype=np.int64),
        [float(m.price) for m in case.movements],
        ordered_kg=[np.nan if getattr(m, "ordered", None) is None else m.ordered / 1000
                    for m in case.movements],
        actual_kg=[np.nan if getattr(m, "actual", None) is None else m.actual / 1000
                   for m in case.movements],
    )
    again = close_month(case.profiles, arrays, opening=case.opening, counts=case.counts)
    assert again.products == close.products


# --- review additions ----------------------------------------------------------------------------


def test_a_weighed_line_exactly_at_the_tolerance_is_not_flagged() -> None:
    # 100 bags x 50 kg = 5 t nominal; +0.5 % is 5.025 t (not flagged), one gram more is flagged
    close = close_month(NPK, [
        Receipt("PO", "npk-15", 300, 3100),
        Shipment("AT", "npk-15", 100, 3600, actual="5.025 t"),
        Shipment("OVER", "npk-15", 100, 3600, actual="5025.001 kg"),
        Shipment("UNDER", "npk-15", 100, 3600, actual="4.975 t"),
    ])
    catch = next(r for r in close.products["npk-15"].variances if r.cause == "catch_weight")
    assert catch.flagged == ("OVER",)
    assert catch.documents == ("AT", "OVER", "UNDER")
    assert catch.tonnes == Decimal("-0.025001")


def test_an_order_of_zero_is_booked_at_zero_and_its_residual_is_the_whole_line() -> None:
    close = close_month(UREA, [Receipt("PO", "urea-46", 10, 2300),
                               Shipment("SO", "urea-46", 2, 2850, ordered="0 kg")])
    p = close.products["urea-46"]
    residual = next(r for r in p.variances if r.cause == "order_residual")
    assert (residual.tonnes, residual.documents) == (Decimal("0.08"), ("SO",))
    assert p.shipments_t == 0
    assert p.identity_holds()


def test_a_surplus_on_an_empty_book_is_valued_at_the_last_moving_average() -> None:
    # 10 bags bought at 2300/t (92.00 a bag) and all sold; the count still finds 2 bags
    close = close_month(UREA, [Receipt("PO", "urea-46", 10, 2300),
                               Shipment("SO", "urea-46", 10, 2850)],
                        counts={"urea-46": StockCount(2)})
    p = close.products["urea-46"]
    assert (p.book_bags, p.book_value) == (0, Decimal("0.00"))
    count = next(r for r in p.variances if r.cause == "count_difference")
    assert (count.bags, count.tonnes, count.value) == (-2, Decimal("-0.08"), Decimal("-184.00"))
    assert (p.closing_bags, p.closing_value) == (2, Decimal("184.00"))
    assert p.average_cost_per_t == Decimal("2300.00")
    assert p.identity_holds()


def test_the_shortfall_is_the_largest_deficit_over_the_journal() -> None:
    moves = [Shipment("S1", "urea-46", 4, 2850), Shipment("S2", "urea-46", 5, 2850),
             Receipt("R1", "urea-46", 20, 2300), Shipment("S3", "urea-46", 1, 2850)]
    with pytest.raises(InsufficientStock, match="S1") as info:
        close_month(UREA, moves, opening={"urea-46": (3, "270.00")})
    assert info.value.shortages == {"urea-46": 6}  # 3 - 4 - 5 = -6: six more bags at opening


def test_an_opening_value_without_bags_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"opening\.value must be 0.00 when"):
        Opening(0, "100.00")
    assert Opening(0, 0).value == Decimal("0.00")
    with pytest.raises(ValidationError, match=r"opening\.value"):
        close_month(UREA, [], opening={"urea-46": (0, "1.00")})


def test_opening_and_counts_with_the_wrong_number_of_fields_are_validation_errors() -> None:
    with pytest.raises(ValidationError, match=r"opening\.urea-46"):
        close_month(UREA, [], opening={"urea-46": (1, "2.00", "extra")})
    with pytest.raises(ValidationError, match=r"counts\.urea-46"):
        close_month(UREA, [], counts={"urea-46": {"bags": 1, "colour": "red"}})


def test_stock_book_refuses_what_the_close_would_refuse_before_booking_it() -> None:
    book = StockBook(UREA)
    with pytest.raises(ValidationError, match=r"price must be at most 4 decimals.*PO-1"):
        book.post(Receipt("PO-1", "urea-46", 5, "2300.00001"))
    assert (book.on_hand("urea-46"), book.movements) == (0, ())
    book.post(Receipt("PO-1", "urea-46", 5, "2300.0001"))
    assert book.close().products["urea-46"].closing_bags == 5  # the book still closes
    litre = ProductProfile(sku="oil", name="oil", price_unit="L", pack_content="5 L")
    with pytest.raises(UnitError, match="mass"):
        StockBook(litre)
    odd = ProductProfile(sku="odd", name="odd", price_unit="t", pack_content="40.0005 kg")
    with pytest.raises(ValidationError, match="whole number of grams"):
        StockBook(odd)


def test_journal_columns_are_read_exactly_or_refused_naming_the_row() -> None:
    with pytest.raises(ValidationError, match=r"kind.*row 1"):
        journal(["a", "b"], ["urea-46"] * 2, [1, 257], [1, 1], [1, 1])  # 257 is not +1 (int8)
    with pytest.raises(ValidationError, match=r"price .*at most 4 decimals.*row 1"):
        journal(["a", "b"], ["urea-46"] * 2, [1, 1], [1, 1], [1.0, 2300.00001])
    with pytest.raises(ValidationError, match=r"ordered_kg .*whole grams.*row 0"):
        journal(["a"], ["urea-46"], [-1], [1], [1], ordered_kg=[80.734 + 1e-14])
    with pytest.raises(ValidationError, match=r"bags .*whole bags"):
        journal(["a"], ["urea-46"], [1], [2.5], [1])


def test_the_close_is_exact_whatever_the_callers_decimal_context() -> None:
    def run() -> dict[str, ProductClose]:
        return close_month(
            [UREA, NPK], fertilizer_month(), opening={"urea-46": Opening(100, "9000.00")},
            counts={"urea-46": StockCount(bags=189, broken_bags=1, loose="25 kg")}).products

    expected = run()
    with localcontext() as ctx:
        ctx.prec = 3
        ctx.rounding = ROUND_DOWN
        again = run()
        assert all(p.identity_holds() for p in again.values())
    assert again == expected


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: Opening(1, "-1.00"), ValidationError, r"opening\.value must be an amount >= 0"),
    (lambda: close_month(UREA, ["R1"]), ValidationError, r"movements .*row 0"),
    (lambda: close_month(UREA, [{"kind": "return", "doc_id": "R1"}]), ValidationError,
     r"kind .*row 0"),
    (lambda: close_month(UREA, [{"kind": "receipt", "doc_id": "R1"}]), ValidationError,
     "movements row 0"),
    (lambda: close_month(UREA, [Receipt("R1", "urea-46", 1, "1"),
                                Receipt("R2", "urea-46", 1, "0.00001")]), ValidationError,
     r"price must be at most 4 decimals.*row 1"),
    (lambda: journal(["a", "b"], ["urea-46"], [1, 1], [1, 1], [1, 1]), ValidationError,
     "columns differ in length"),
    (lambda: journal(["a"], ["urea-46"], [1], [1], [1], actual_kg=[1, 2]), ValidationError,
     "actual_kg has 2 rows, expected 1"),
    (lambda: close_month(42, []), ValidationError, "profiles must be ProductProfile"),
    (lambda: close_month(["urea"], []), ValidationError, "profiles must be a ProductProfile"),
    (lambda: close_month([], []), ValidationError, "at least one product profile"),
    (lambda: close_month(UREA, [], opening=[(1, 1)]), ValidationError, "mapping of sku"),
    (lambda: close_month(UREA, [], opening={"urea-46": 5}), ValidationError,
     r"opening\.urea-46 must be a Opening"),
    (lambda: StockBook(UREA).on_hand("salt"), UnknownItemError, "salt"),
    (lambda: StockBook(UREA).post("R1"), ValidationError, "movement must be a Receipt"),
    (lambda: StockBook(UREA).post({"kind": "return"}), ValidationError, "kind"),
    (lambda: StockBook(UREA).post({"kind": "receipt", "doc_id": "R1"}), ValidationError,
     "movement: "),
])
def test_every_closing_error_names_what_was_wrong(
    call: Callable[[], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        call()


def test_large_values_take_the_python_int_paths_and_stay_exact() -> None:
    # 2e10 yuan opening (2**40 fen and more), 10**6-bag receipts at 99999.9999 yuan/kg, a
    # tolerance with an 11-digit denominator: every int64 guard switches to Python ints, and the
    # reference loop agrees. S1 (333 333 bags = 16 666 650 000 g) is 1 g over nominal, exactly
    # the tolerance (3/49999950000 of nominal): not flagged. S4 is 1 g over on one bag: flagged.
    big = ProductProfile(sku="big", name="big", price_unit="kg", pack_content="50 kg",
                         invoice_basis="actual",
                         catch_weight_tolerance=Fraction(3, 49_999_950_000))
    moves: list[Receipt | Shipment] = [
        Receipt("R1", "big", 1_000_000, "99999.9999"),
        Shipment("S1", "big", 333_333, "123456.789", actual="16666650.001 kg"),
        Shipment("S2", "big", 1_000_001, "1"),
        Receipt("R2", "big", 7, "0.0001"),
        Shipment("S3", "big", 3, "2"),
        Shipment("S4", "big", 1, "2", actual="50.001 kg"),
    ]
    opening = {"big": Opening(333_335, "20000000000.01")}
    close = close_month(big, moves, opening=opening)
    case = MonthEndCase(profiles=(big,), opening=opening, movements=tuple(moves), counts={})
    assert close.cogs_fen.tolist() == _reference_cogs(case)
    p = close.products["big"]
    # 5e7 kg x 99999.9999 = 4999999995000.00, + 350 kg x 0.0001 = 0.035 -> 0.04
    assert p.receipts_value == Decimal("4999999995000.04")
    assert p.revenue == line_amount("16666650.001 kg", "123456.789", "kg") \
        + Decimal("50000050.00") + Decimal("300.00") + Decimal("100.00")  # 50.001 x 2 = 100.002
    catch = next(r for r in p.variances if r.cause == "catch_weight")
    assert catch.flagged == ("S4",)
    assert p.identity_holds()


@given(month_end_cases())
def test_the_identity_recomputed_from_the_inputs_to_the_gram_and_fen(case: MonthEndCase) -> None:
    """Independent of ``identity_holds``: every term comes from the journal itself."""
    close = close_month(case.profiles, case.movements, opening=case.opening, counts=case.counts)
    cogs_ref = _reference_cogs(case)
    for prof in case.profiles:
        sku, p = prof.sku, close.products[prof.sku]
        cg = int(prof.content * exact_factor(prof.price_unit, "g"))
        per_g = exact_factor("g", prof.price_unit)
        rows = [(m, c) for m, c in zip(case.movements, cogs_ref, strict=True) if m.sku == sku]
        recs = [m for m, _ in rows if isinstance(m, Receipt)]
        ships = [m for m, _ in rows if isinstance(m, Shipment)]
        booked_g = sum(
            m.actual if prof.invoice_basis == "actual" and m.actual is not None
            else m.ordered if m.ordered is not None else m.bags * cg
            for m in ships)
        rec_fen = sum(int(round_to(m.bags * cg * per_g * m.price * 100, 1)) for m in recs)
        op = case.opening.get(sku, Opening(0, 0))
        cnt = case.counts.get(sku)
        book_bags = op.bags + sum(m.bags for m in recs) - sum(m.bags for m in ships)
        closing_bags = book_bags if cnt is None else cnt.bags
        closing_g = closing_bags * cg + (0 if cnt is None else cnt.loose)
        opening_v, cogs = Fraction(op.value), Fraction(sum(c for _, c in rows), 100)
        var = [(r.bags, Fraction(r.tonnes), Fraction(r.value)) for r in p.variances]
        # bags, grams (as tonnes) and fen, each side from the inputs
        assert op.bags + sum(m.bags for m in recs) - sum(m.bags for m in ships) \
            - sum(b for b, _, _ in var) == closing_bags == p.closing_bags
        assert Fraction(op.bags * cg + sum(m.bags * cg for m in recs) - booked_g, 10**6) \
            - sum(t for _, t, _ in var) == Fraction(closing_g, 10**6) == Fraction(p.closing_t)
        assert opening_v + Fraction(rec_fen, 100) - cogs - sum(v for _, _, v in var) \
            == Fraction(p.closing_value)
        assert (Fraction(p.receipts_value), Fraction(p.cogs)) == (Fraction(rec_fen, 100), cogs)
        assert p.closing_value >= 0  # a write-off never exceeds the book value


@pytest.mark.parametrize(("field", "delta"), [
    ("closing_bags", 1), ("closing_t", Decimal("0.000001")), ("closing_value", Decimal("0.01")),
    ("cogs", Decimal("-0.01")), ("shipments_t", Decimal("0.000001")),
])
def test_identity_holds_detects_one_gram_one_fen_or_one_bag_off(field: str, delta: object) -> None:
    close = close_month([UREA, NPK], fertilizer_month(),
                        opening={"urea-46": Opening(100, "9000.00")},
                        counts={"urea-46": StockCount(bags=189, broken_bags=1, loose="25 kg")})
    p = close.products["urea-46"]
    assert p.identity_holds()
    off = attrs.evolve(p, **{field: getattr(p, field) + delta})
    assert not off.identity_holds()
