"""``Ledger``: the in-memory, thread-safe reservation ledger.

One ``threading.Lock`` guards all state, so each call is atomic with respect to every other
thread: checks and updates of a reservation happen under the same lock acquisition, which is why
20 threads reserving 1 unit each against 10 on hand see exactly 10 successes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

from jxc_rules.errors import (
    DuplicateError,
    InsufficientStock,
    JxcRulesError,
    UnknownItemError,
    ValidationError,
    bad_value,
)
from jxc_rules.reservation.base import (
    Number,
    _exact,
    check_order_id,
    check_sku,
    normalize_batch,
    normalize_ids,
    normalize_requirements,
    normalize_stock,
    same_lines,
)
from jxc_rules.reservation.journal import Event

__all__ = ["Ledger"]

RESERVED = "reserved"
CONSUMED = "consumed"


def _unknown_sku(skus: list[str], context: str) -> UnknownItemError:
    names = ", ".join(repr(s) for s in skus)
    return UnknownItemError(f"{context}: unknown SKU {names} (not in the ledger)", key=skus[0])


def _unknown_order(order_id: str) -> UnknownItemError:
    return UnknownItemError(f"unknown order {order_id!r}: no open reservation", key=order_id)


class Ledger:
    """In-memory reservation ledger (库存预留台账), thread-safe.

    Parameters
    ----------
    on_hand : mapping, optional
        Opening stock by SKU (exact quantities >= 0); journaled as ``receive`` events.

    Examples
    --------
    >>> ledger = Ledger({"bolt": 10, "nut": 10})
    >>> ledger.reserve("SO-1", {"bolt": 6, "nut": 6})
    True
    >>> ledger.reserve("SO-1", {"bolt": 6, "nut": 6})  # the same order again: a no-op
    False
    >>> try:
    ...     ledger.reserve("SO-2", {"bolt": 6, "nut": 2})
    ... except Exception as exc:
    ...     print(type(exc).__name__, exc.shortages)
    InsufficientStock {'bolt': Fraction(2, 1)}
    >>> ledger.available("nut"), ledger.reserved("nut"), ledger.on_hand("nut")
    (Fraction(4, 1), Fraction(6, 1), Fraction(10, 1))
    >>> ledger.consume("SO-1")
    True
    >>> ledger.on_hand("bolt")
    Fraction(4, 1)
    """

    def __init__(self, on_hand: Mapping[str, Any] | None = None) -> None:
        stock = normalize_stock(on_hand)
        self._lock = threading.Lock()
        self._on_hand: dict[str, Number] = {}
        self._available: dict[str, Number] = {}
        self._reserved: dict[str, Number] = {}
        self._orders: dict[str, tuple[dict[str, Number], str]] = {}
        self._journal: list[Event] = []
        for sku, q in stock.items():
            self._receive(sku, q)

    # ------------------------------------------------------------ changes
    def reserve(self, order_id: str, requirements: Mapping[str, Any]) -> bool:
        """Hold every line of ``requirements`` for ``order_id``, or nothing.

        Returns ``True`` when reserved now, ``False`` when this order already holds exactly these
        lines (idempotent retry; also after it was consumed).

        Raises
        ------
        InsufficientStock
            ``.shortages``: every short SKU → missing quantity (requested − available).
        UnknownItemError
            A SKU the ledger does not know.
        DuplicateError
            ``order_id`` is already used with different lines.
        """
        oid = check_order_id(order_id)
        req = normalize_requirements(requirements)
        with self._lock:
            return self._reserve_locked(oid, req)

    def reserve_many(self, orders: Mapping[str, Mapping[str, Any]]
                     | Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, bool | JxcRulesError]:
        """Reserve a batch of orders, each all or nothing, as :meth:`reserve` one by one (under
        one lock: no other call sees the batch half done).

        Returns per order id, in input order, ``True`` / ``False`` as :meth:`reserve` would, or
        the error that refused that order (``InsufficientStock``, ``UnknownItemError``,
        ``DuplicateError``); input that is not an order refuses the whole call, naming
        ``orders[i]`` (the same contract as :meth:`SqlLedger.reserve_many
        <jxc_rules.reservation.SqlLedger.reserve_many>`).
        """
        batch = normalize_batch(orders)
        out: dict[str, bool | JxcRulesError] = {}
        with self._lock:
            for oid, req in batch:
                try:
                    out[oid] = self._reserve_locked(oid, req)
                except JxcRulesError as exc:
                    out[oid] = exc
        return out

    def _reserve_locked(self, oid: str, req: dict[str, Number]) -> bool:
        """reserve() under the lock (held by the caller)."""
        existing = self._orders.get(oid)
        if existing is not None:
            if same_lines(existing[0], req):
                return False
            raise DuplicateError(
                f"order {oid!r} is already {existing[1]} with other lines "
                f"({_fmt(existing[0])}); got {_fmt(req)}", field="order_id", value=oid)
        avail = self._available
        short: dict[str, Fraction] = {}
        unknown: list[str] = []
        for sku, q in req.items():
            a = avail.get(sku)
            if a is None:
                unknown.append(sku)
            elif q > a:
                short[sku] = Fraction(q - a)
        if unknown:
            raise _unknown_sku(unknown, f"order {oid!r}")
        if short:
            raise InsufficientStock(short, context=f"order {oid!r}")
        reserved = self._reserved
        for sku, q in req.items():
            avail[sku] -= q
            reserved[sku] += q
        self._orders[oid] = (req, RESERVED)
        self._log("reserve", oid, tuple(req.items()))
        return True

    def release(self, order_id: str) -> None:
        """Return an open order's stock to ``available`` and forget the order.

        Raises ``UnknownItemError`` for an unknown (or already released) order and
        ``ValidationError`` for a consumed one.
        """
        oid = check_order_id(order_id)
        with self._lock:
            self._release_locked(oid)

    def release_many(self, order_ids: Iterable[str]) -> dict[str, bool | JxcRulesError]:
        """Release each order of a batch in full, as :meth:`release` one after another (under
        one lock: no other call sees the batch half done).

        Per order id in input order ``True``, or the error that refused it
        (``UnknownItemError``: no open reservation; ``ValidationError``: consumed), which
        leaves that order as it was and the others released; a repeated id gets the later
        outcome. An id that is not one refuses the whole call, naming ``order_ids[i]`` (the
        same contract as :meth:`SqlLedger.release_many
        <jxc_rules.reservation.SqlLedger.release_many>`).
        """
        oids = normalize_ids(order_ids)
        out: dict[str, bool | JxcRulesError] = {}
        with self._lock:
            for oid in oids:
                try:
                    self._release_locked(oid)
                    out[oid] = True
                except JxcRulesError as exc:
                    out[oid] = exc
        return out

    def _release_locked(self, oid: str) -> None:
        """release() under the lock (held by the caller); refuses before changing anything."""
        existing = self._orders.get(oid)
        if existing is None:
            raise _unknown_order(oid)
        lines, status = existing
        if status != RESERVED:
            raise ValidationError(f"order {oid!r} was consumed; it cannot be released",
                                  field="order_id", value=oid)
        for sku, q in lines.items():
            self._available[sku] += q
            self._reserved[sku] -= q
        del self._orders[oid]
        self._log("release", oid, tuple(lines.items()))

    def consume(self, order_id: str) -> bool:
        """Book an open order's goods out: ``on_hand`` and ``reserved`` fall, ``available`` stays.

        Returns ``False`` if the order was already consumed (idempotent); ``UnknownItemError`` for
        an unknown order.
        """
        oid = check_order_id(order_id)
        with self._lock:
            existing = self._orders.get(oid)
            if existing is None:
                raise _unknown_order(oid)
            lines, status = existing
            if status == CONSUMED:
                return False
            for sku, q in lines.items():
                self._on_hand[sku] -= q
                self._reserved[sku] -= q
            self._orders[oid] = (lines, CONSUMED)
            self._log("consume", oid, tuple(lines.items()))
        return True

    def receive(self, sku: str, quantity: Any) -> None:
        """Stock in: ``on_hand`` and ``available`` rise by ``quantity`` (>= 0; a new SKU is
        created)."""
        check_sku(sku)
        q = _exact(quantity, "quantity")
        if q < 0:
            raise bad_value("quantity", quantity, "a quantity >= 0 (stock in)")
        with self._lock:
            self._receive(sku, q)

    def _receive(self, sku: str, q: Number) -> None:
        if sku in self._on_hand:
            self._on_hand[sku] += q
            self._available[sku] += q
        else:
            self._on_hand[sku] = q
            self._available[sku] = q
            self._reserved[sku] = 0
        self._log("receive", None, ((sku, q),))

    def _log(self, kind: str, order_id: str | None, lines: tuple[tuple[str, Number], ...]) -> None:
        self._journal.append(Event(len(self._journal) + 1, kind, order_id, lines))

    # ------------------------------------------------------------ reads
    def _get(self, table: dict[str, Number], sku: str) -> Fraction:
        with self._lock:
            value = table.get(sku)
        if value is None:
            raise _unknown_sku([sku], "ledger")
        return Fraction(value)

    def available(self, sku: str) -> Fraction:
        """``on_hand − reserved`` of ``sku`` (UnknownItemError if unknown)."""
        return self._get(self._available, sku)

    def reserved(self, sku: str) -> Fraction:
        """Quantity of ``sku`` held by open orders."""
        return self._get(self._reserved, sku)

    def on_hand(self, sku: str) -> Fraction:
        """Physical stock of ``sku``."""
        return self._get(self._on_hand, sku)

    def skus(self) -> list[str]:
        """Every SKU the ledger knows, in the order first received."""
        with self._lock:
            return list(self._on_hand)

    def order(self, order_id: str) -> dict[str, Fraction]:
        """The lines an order holds (or consumed)."""
        order_id = check_order_id(order_id)
        with self._lock:
            existing = self._orders.get(order_id)
        if existing is None:
            raise _unknown_order(order_id)
        return {k: Fraction(v) for k, v in existing[0].items()}

    def orders(self) -> dict[str, str]:
        """Order id → ``"reserved"`` or ``"consumed"``."""
        with self._lock:
            return {k: v[1] for k, v in self._orders.items()}

    def journal(self) -> list[Event]:
        """The append-only event journal (a copy)."""
        with self._lock:
            return list(self._journal)

    def snapshot(self) -> dict[str, Any]:
        """The whole state, exact: ``{"on_hand", "reserved", "available", "orders"}``."""
        with self._lock:
            return {
                "on_hand": {k: Fraction(v) for k, v in self._on_hand.items()},
                "reserved": {k: Fraction(v) for k, v in self._reserved.items()},
                "available": {k: Fraction(v) for k, v in self._available.items()},
                "orders": {k: (v[1], {s: Fraction(q) for s, q in v[0].items()})
                           for k, v in self._orders.items()},
            }

    def __repr__(self) -> str:
        return f"Ledger({len(self._on_hand)} SKUs, {len(self._orders)} orders)"


def _fmt(lines: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in list(lines.items())[:5]) + (
        ", ..." if len(lines) > 5 else "")
