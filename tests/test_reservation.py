"""The one ledger interface, in memory and in SQLite: all or nothing, idempotent, exact."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jxc_rules.bom import Bom, explode, max_buildable, round_requirements
from jxc_rules.errors import (
    DuplicateError,
    InsufficientStock,
    UnknownItemError,
    ValidationError,
)
from jxc_rules.reservation import (
    Event,
    Ledger,
    ReservationLedger,
    SqliteLedger,
    replay,
    reserve_order,
)
from jxc_rules.testing import bom_orders, boms, stock_levels

Factory = Callable[[dict[str, Any]], ReservationLedger]


def _invariant(ledger: ReservationLedger) -> None:
    for sku in ledger.skus():
        on_hand, reserved, available = ledger.on_hand(sku), ledger.reserved(sku), \
            ledger.available(sku)
        assert on_hand == available + reserved
        assert available >= 0
        assert reserved >= 0


def test_both_ledgers_follow_the_protocol(make: Factory) -> None:
    assert isinstance(make({"a": 1}), ReservationLedger)


def test_failed_reservation_reserves_nothing_and_names_every_shortage(make: Factory) -> None:
    ledger = make({"housing": 5, "bolt": 100, "nut": 10, "oil": "2.5"})
    before = ledger.snapshot()
    with pytest.raises(InsufficientStock) as err:
        ledger.reserve("SO-1", {"housing": 5, "bolt": 120, "nut": 11, "oil": "2.75"})
    assert err.value.shortages == {"bolt": 20, "nut": 1, "oil": Fraction(1, 4)}
    assert "SO-1" in str(err.value)
    assert ledger.snapshot() == before
    assert ledger.journal() == replay(ledger.journal()).journal()


def test_reserve_holds_every_line_exactly(make: Factory) -> None:
    ledger = make({"bolt": 100, "oil": Decimal("2.5")})
    assert ledger.reserve("SO-1", {"bolt": 24, "oil": "0.8"}) is True
    assert ledger.available("bolt") == 76
    assert ledger.reserved("oil") == Fraction(4, 5)
    assert ledger.available("oil") == Fraction(17, 10)
    assert ledger.on_hand("oil") == Fraction(5, 2)
    assert ledger.order("SO-1") == {"bolt": 24, "oil": Fraction(4, 5)}
    _invariant(ledger)


def test_same_order_twice_is_a_no_op_other_lines_are_duplicate(make: Factory) -> None:
    ledger = make({"bolt": 100})
    assert ledger.reserve("SO-1", {"bolt": 10}) is True
    assert ledger.reserve("SO-1", {"bolt": Fraction(10)}) is False
    assert ledger.reserve("SO-1", {"bolt": "10.0"}) is False
    with pytest.raises(DuplicateError, match="SO-1"):
        ledger.reserve("SO-1", {"bolt": 11})
    assert ledger.reserved("bolt") == 10
    assert [e.kind for e in ledger.journal()] == ["receive", "reserve"]


def test_release_restores_the_ledger_and_frees_the_id(make: Factory) -> None:
    ledger = make({"bolt": 100, "nut": 50})
    before = ledger.snapshot()
    ledger.reserve("SO-1", {"bolt": 30, "nut": "12.5"})
    ledger.release("SO-1")
    assert ledger.snapshot() == before
    assert ledger.reserve("SO-1", {"bolt": 1}) is True  # a released id may be used again


def test_consume_books_goods_out_and_is_idempotent(make: Factory) -> None:
    ledger = make({"bolt": 100})
    ledger.reserve("SO-1", {"bolt": 30})
    assert ledger.consume("SO-1") is True
    assert ledger.consume("SO-1") is False
    assert (ledger.on_hand("bolt"), ledger.reserved("bolt"), ledger.available("bolt")) == (70, 0,
                                                                                           70)
    assert ledger.reserve("SO-1", {"bolt": 30}) is False  # a retried order stays consumed
    with pytest.raises(ValidationError, match="consumed"):
        ledger.release("SO-1")
    assert ledger.orders() == {"SO-1": "consumed"}


def test_receive_adds_stock_and_new_skus(make: Factory) -> None:
    ledger = make({"bolt": 1})
    ledger.receive("bolt", "9")
    ledger.receive("washer", Fraction(1, 2))
    assert ledger.on_hand("bolt") == 10
    assert ledger.available("washer") == Fraction(1, 2)
    with pytest.raises(ValidationError):
        ledger.receive("bolt", -1)


def test_unknown_sku_is_refused_and_nothing_changes(make: Factory) -> None:
    ledger = make({"bolt": 10})
    before = ledger.snapshot()
    with pytest.raises(UnknownItemError, match="'rivet'"):
        ledger.reserve("SO-1", {"bolt": 1, "rivet": 1})
    with pytest.raises(KeyError):
        ledger.available("rivet")
    assert ledger.snapshot() == before


def test_unknown_order_is_refused(make: Factory) -> None:
    ledger = make({"bolt": 10})
    before = ledger.snapshot()
    with pytest.raises(UnknownItemError, match="SO-404"):
        ledger.release("SO-404")
    with pytest.raises(UnknownItemError):
        ledger.consume("SO-404")
    ledger.reserve("SO-1", {"bolt": 1})
    ledger.release("SO-1")
    with pytest.raises(UnknownItemError):
        ledger.release("SO-1")  # released twice
    assert ledger.snapshot() == before


@pytest.mark.parametrize(
    ("requirements", "match"),
    [
        ({"bolt": -1}, r"requirements\['bolt'\] must be a quantity >= 0"),
        ({"bolt": float("nan")}, "finite"),
        ({"bolt": "lots"}, "decimal or fraction"),
        ({}, "at least one line"),
        ({"bolt": 0}, "at least one line"),
        ([("bolt", 1)], "a mapping"),
    ],
)
def test_bad_requirements_are_refused_and_nothing_changes(
    make: Factory, requirements: Any, match: str
) -> None:
    ledger = make({"bolt": 10})
    before = ledger.snapshot()
    with pytest.raises(ValidationError, match=match):
        ledger.reserve("SO-1", requirements)
    assert ledger.snapshot() == before


def test_bad_order_ids_and_opening_stock_are_refused(make: Factory) -> None:
    ledger = make({"bolt": 10})
    with pytest.raises(ValidationError, match="order_id"):
        ledger.reserve("", {"bolt": 1})
    with pytest.raises(ValidationError, match=r"on_hand\['bolt'\]"):
        make({"bolt": -3})


def test_journal_replays_to_the_same_state(make: Factory) -> None:
    ledger = make({"bolt": 100, "nut": 40})
    ledger.reserve("A", {"bolt": 10, "nut": "2.5"})
    ledger.reserve("B", {"bolt": 20})
    ledger.consume("A")
    ledger.release("B")
    ledger.receive("nut", 3)
    ledger.reserve("C", {"nut": Fraction(1, 3)})
    events = ledger.journal()
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert replay(events).snapshot() == ledger.snapshot()
    assert [Event.from_mapping(e.to_mapping()) for e in events] == events


def test_sqlite_state_persists_and_a_disagreeing_opening_stock_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "stock.db"
    with SqliteLedger(path, {"bolt": 10}) as ledger:
        ledger.reserve("SO-1", {"bolt": 4})
    with SqliteLedger(path, {"bolt": 10}) as again:  # same opening stock: fine
        assert again.available("bolt") == 6
        assert again.snapshot() == replay(again.journal()).snapshot()
    with pytest.raises(ValidationError, match="receive"):
        SqliteLedger(path, {"bolt": 11})


# ---------------------------------------------------------------- reserve_order

GEARBOX = Bom([
    {"parent": "gearbox", "child": "housing", "qty": 1, "unit": "pcs"},
    {"parent": "gearbox", "child": "bolt-M8", "qty": 12, "unit": "pcs"},
    {"parent": "housing", "child": "bolt-M8", "qty": 1, "unit": "dozen"},
    {"parent": "housing", "child": "casting", "qty": "3.6", "unit": "kg", "scrap": "0.1"},
    {"parent": "gearbox", "child": "clip", "qty": "0.5", "unit": "pcs"},
])


def test_reserve_order_locks_every_fastener_or_nothing(make: Factory) -> None:
    ledger = make({"bolt-M8": 100, "casting": 100, "clip": 10})
    got = reserve_order(ledger, GEARBOX, "SO-1", "gearbox", 3)
    assert got == {"bolt-M8": 72, "casting": Fraction("11.88"), "clip": 2}  # 1.5 clips → 2
    before = ledger.snapshot()
    with pytest.raises(InsufficientStock) as err:
        reserve_order(ledger, GEARBOX, "SO-2", "gearbox", 2)
    assert err.value.shortages == {"bolt-M8": 20}
    assert ledger.snapshot() == before
    assert reserve_order(ledger, GEARBOX, "SO-1", "gearbox", 3) == got  # idempotent


def test_reserve_order_with_stock_nets_subassemblies(make: Factory) -> None:
    ledger = make({"bolt-M8": 30, "casting": 0, "clip": 10, "housing": 2})
    got = reserve_order(ledger, GEARBOX, "SO-1", "gearbox", 2, use_stock=True)
    assert got == {"housing": 2, "bolt-M8": 24, "clip": 1}
    assert ledger.available("housing") == 0


@given(data=st.data(), bom=boms())
def test_max_buildable_sets_can_be_reserved_and_one_more_cannot(
    data: st.DataObject, bom: Bom
) -> None:
    item, _q = data.draw(bom_orders(bom))
    stock = data.draw(stock_levels(bom))
    n = max_buildable(bom, item, stock)
    ledger = Ledger(stock)
    if n > 0:
        reserve_order(ledger, bom, "all", item, n)
    before = ledger.snapshot()
    with pytest.raises(InsufficientStock) as err:
        reserve_order(ledger, bom, "one-more", item, 1)
    assert err.value.shortages
    assert ledger.snapshot() == before
    fresh = Ledger(stock)
    with pytest.raises(InsufficientStock):
        reserve_order(fresh, bom, "n+1", item, n + 1)


@given(data=st.data(), bom=boms())
def test_reserve_then_release_restores_exactly(data: st.DataObject, bom: Bom) -> None:
    item, q = data.draw(bom_orders(bom))
    need = round_requirements(bom, explode(bom, item, q))
    stock = {sku: v + data.draw(st.integers(0, 3)) for sku, v in need.items()}
    ledger = Ledger(stock)
    before = ledger.snapshot()
    if need:
        reserve_order(ledger, bom, "SO", item, q)
        assert ledger.snapshot()["reserved"] == {s: Fraction(v) for s, v in need.items()}
        ledger.release("SO")
    assert ledger.snapshot() == before


def test_reserve_order_bad_input_changes_nothing(make: Factory) -> None:
    ledger = make({"bolt-M8": 100, "casting": 100})  # no clips in this ledger
    before = ledger.snapshot()
    with pytest.raises(UnknownItemError, match="widget"):
        reserve_order(ledger, GEARBOX, "SO-1", "widget", 1)
    with pytest.raises(UnknownItemError, match="'clip'"):
        reserve_order(ledger, GEARBOX, "SO-1", "gearbox", 1)
    with pytest.raises(ValidationError, match="quantity"):
        reserve_order(ledger, GEARBOX, "SO-1", "gearbox", -1)
    with pytest.raises(ValidationError, match="needs no stock"):
        reserve_order(ledger, GEARBOX, "SO-1", "gearbox", 0)
    assert ledger.snapshot() == before


@pytest.mark.parametrize(
    ("mapping", "field"),
    [
        ({"kind": "reserve", "lines": []}, "event.seq"),
        ({"seq": 1, "lines": []}, "event.kind"),
        ({"seq": 1, "kind": "reserve"}, "event.lines"),
        ({"seq": -1, "kind": "reserve", "lines": []}, "event.seq"),
        ({"seq": "1", "kind": "reserve", "lines": []}, "event.seq"),
        ({"seq": 1, "kind": "reserve", "lines": [["bolt"]]}, "event.lines"),
        ({"seq": 1, "kind": "steal", "lines": []}, "event.kind"),
        ({"seq": 1, "kind": "reserve", "lines": [], "who": "x"}, "event.who"),
    ],
)
def test_malformed_journal_events_are_validation_errors_naming_the_key(
    mapping: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        Event.from_mapping(mapping)
    assert info.value.field == field
