"""A failed or repeated call changes nothing: not the stock, not the orders, not the journal."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest

from jxc_rules.bom import Bom
from jxc_rules.errors import (
    DuplicateError,
    InsufficientStock,
    JxcRulesError,
    UnknownItemError,
    ValidationError,
)
from jxc_rules.reservation import ReservationLedger, replay, reserve_order

Factory = Callable[[dict[str, Any]], ReservationLedger]


def _state(ledger: ReservationLedger) -> tuple[dict[str, Any], list[Any]]:
    return ledger.snapshot(), ledger.journal()


def test_every_failed_call_leaves_state_and_journal_unchanged(make: Factory) -> None:
    ledger = make({"bolt": 10, "nut": 4})
    ledger.reserve("SO-1", {"bolt": 6, "nut": 2})
    ledger.reserve("SO-2", {"nut": 1})
    ledger.consume("SO-2")
    before = _state(ledger)
    failing: list[tuple[Callable[[], object], type[Exception], str]] = [
        (lambda: ledger.reserve("SO-3", {"bolt": 5, "nut": 2}), InsufficientStock, "bolt"),
        (lambda: ledger.reserve("SO-3", {"bolt": 1, "rivet": 1}), UnknownItemError, "rivet"),
        (lambda: ledger.reserve("SO-1", {"bolt": 5}), DuplicateError, "SO-1"),
        (lambda: ledger.reserve("SO-2", {"nut": 2}), DuplicateError, "SO-2"),
        (lambda: ledger.reserve("SO-3", {"bolt": -1}), ValidationError, "bolt"),
        (lambda: ledger.release("SO-404"), UnknownItemError, "SO-404"),
        (lambda: ledger.consume("SO-404"), UnknownItemError, "SO-404"),
        (lambda: ledger.release("SO-2"), ValidationError, "consumed"),
        (lambda: ledger.receive("bolt", -1), ValidationError, "quantity"),
        (lambda: ledger.receive("", 1), ValidationError, "sku"),
    ]
    for call, error, match in failing:
        with pytest.raises(error, match=match):
            call()
        assert _state(ledger) == before
    # repeats are no-ops that journal nothing
    assert ledger.reserve("SO-1", {"nut": 2, "bolt": "6"}) is False
    assert ledger.reserve("SO-2", {"nut": 1}) is False
    assert ledger.consume("SO-2") is False
    assert _state(ledger) == before
    assert replay(ledger.journal()).snapshot() == ledger.snapshot()


def test_shortage_names_every_short_sku_with_the_missing_quantity(make: Factory) -> None:
    ledger = make({"bolt": 10, "nut": 4, "washer": 1})
    ledger.reserve("SO-1", {"bolt": 7})
    with pytest.raises(InsufficientStock) as info:
        ledger.reserve("SO-2", {"bolt": 5, "nut": "4.5", "washer": 1})
    assert info.value.shortages == {"bolt": 2, "nut": Fraction(1, 2)}
    assert ledger.available("washer") == 1  # the covered line was not held either
    assert isinstance(info.value, JxcRulesError)


def test_reserve_order_failure_reserves_no_leaf(make: Factory) -> None:
    bom = Bom([
        {"parent": "axle", "child": "hub", "qty": 2, "unit": "pcs"},
        {"parent": "hub", "child": "bearing", "qty": 1, "unit": "pcs", "scrap": "0.1"},
        {"parent": "hub", "child": "bolt", "qty": 5, "unit": "pcs"},
    ])
    ledger = make({"bearing": 100, "bolt": 29})
    before = _state(ledger)
    with pytest.raises(InsufficientStock) as info:
        reserve_order(ledger, bom, "SO-1", "axle", 3)  # 6 hubs: 7 bearings (6.6 up), 30 bolts
    assert info.value.shortages == {"bolt": 1}
    assert _state(ledger) == before
    with pytest.raises(UnknownItemError):
        reserve_order(ledger, bom, "SO-1", "wheel", 1)
    assert _state(ledger) == before
    assert reserve_order(ledger, bom, "SO-1", "axle", 2) == {"bearing": 5, "bolt": 20}


def test_reserve_order_using_stock_is_idempotent_on_retry(make: Factory) -> None:
    # the first call nets the 3 sub-assemblies in stock; a retry must not see them as gone
    bom = Bom([{"parent": "A", "child": "S", "qty": 1}, {"parent": "S", "child": "r", "qty": 2}])
    ledger = make({"S": 3, "r": 100})
    first = reserve_order(ledger, bom, "SO-1", "A", 5, use_stock=True)
    assert first == {"S": 3, "r": 4}
    before = _state(ledger)
    assert reserve_order(ledger, bom, "SO-1", "A", 5, use_stock=True) == first
    assert _state(ledger) == before
    with pytest.raises(DuplicateError):
        reserve_order(ledger, bom, "SO-1", "A", 6, use_stock=True)
    assert _state(ledger) == before
    ledger.consume("SO-1")
    assert reserve_order(ledger, bom, "SO-1", "A", 5, use_stock=True) == first
