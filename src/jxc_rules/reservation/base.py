"""The one reservation interface (预留 / 锁库), its shared validation, and ``reserve_order``.

State and invariants
--------------------
Per SKU a ledger keeps ``on_hand`` (physical stock, 在库) and ``reserved`` (held by open orders,
已预留); ``available = on_hand − reserved`` (可用). At every instant, for every SKU::

    on_hand = available + reserved,   available >= 0,   reserved >= 0

An order is reserved *all or nothing*: either every line is covered by ``available`` and all are
held in one atomic step, or :class:`~jxc_rules.errors.InsufficientStock` reports every short SKU
with the missing quantity and nothing changes. ``reserve`` is idempotent per order id (the same
lines again are a no-op, other lines under the same id a :class:`~jxc_rules.errors.DuplicateError`);
``release`` returns the held stock and forgets the order (its id may be used again);
``consume`` books the goods out (on_hand and reserved both fall) and is idempotent too.

Quantities are exact: ``int``, ``Fraction``, ``Decimal`` or decimal strings in, ``Fraction`` out.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable, Mapping
from fractions import Fraction
from typing import Any, Protocol, runtime_checkable

from jxc_rules._internal.exact import to_fraction
from jxc_rules.bom import Bom, explode, round_requirements
from jxc_rules.errors import ValidationError, bad_value
from jxc_rules.reservation.journal import Event

__all__ = [
    "ReservationLedger",
    "normalize_requirements",
    "normalize_stock",
    "reserve_order",
]

Number = int | Fraction
"""Internal exact quantity: a plain ``int`` when whole (fast), else a ``Fraction``."""


@runtime_checkable
class ReservationLedger(Protocol):
    """What :class:`~jxc_rules.reservation.Ledger` and
    :class:`~jxc_rules.reservation.SqliteLedger` both provide."""

    def reserve(self, order_id: str, requirements: Mapping[str, Any]) -> bool:
        """Hold every line or nothing; ``True`` if reserved now, ``False`` if already held."""
        ...

    def release(self, order_id: str) -> None:
        """Give an open order's stock back and forget the order."""
        ...

    def consume(self, order_id: str) -> bool:
        """Book an open order's goods out; ``False`` if it was already consumed."""
        ...

    def receive(self, sku: str, quantity: Any) -> None:
        """Stock in (a new SKU is created)."""
        ...

    def available(self, sku: str) -> Fraction: ...

    def reserved(self, sku: str) -> Fraction: ...

    def on_hand(self, sku: str) -> Fraction: ...

    def skus(self) -> list[str]: ...

    def order(self, order_id: str) -> dict[str, Fraction]: ...

    def orders(self) -> dict[str, str]: ...

    def journal(self) -> list[Event]: ...

    def snapshot(self) -> dict[str, Any]: ...


def _exact(value: Any, field: str) -> Number:
    t = type(value)
    if t is int:
        return value  # type: ignore[no-any-return]
    q: Fraction = value if t is Fraction else to_fraction(value, field)
    return q.numerator if q.denominator == 1 else q


def check_order_id(order_id: object) -> str:
    """An order id must be a non-empty string."""
    if not isinstance(order_id, str) or not order_id:
        raise bad_value("order_id", order_id, "a non-empty string")
    return order_id


MAX_BATCH_ORDERS = 10_000
MAX_BATCH_LINES = 200_000


def normalize_ids(order_ids: Iterable[str], *,
                  check_id: Callable[[object], str] | None = None) -> list[str]:
    """The ids of a ``release_many`` call, each checked; an id that is not one (or more than
    ``MAX_BATCH_ORDERS`` of them) refuses the whole call, naming ``order_ids[i]``."""
    if isinstance(order_ids, (str, bytes)):
        raise bad_value("order_ids", repr(order_ids)[:60], "a list of order ids, not one string")
    check = check_id or check_order_id
    oids: list[str] = []
    for i, oid in enumerate(order_ids):
        if i >= MAX_BATCH_ORDERS:
            raise bad_value("order_ids", f"more than {MAX_BATCH_ORDERS} ids",
                            f"at most {MAX_BATCH_ORDERS} ids a call; split the batch")
        try:
            oids.append(check(oid))
        except ValidationError as exc:
            raise bad_value(f"order_ids[{i}]", repr(oid)[:60], str(exc)) from exc
    return oids


def normalize_batch(
    orders: Mapping[str, Mapping[str, Any]] | Iterable[tuple[str, Mapping[str, Any]]], *,
    check_id: Callable[[object], str] | None = None,
    check_key: Callable[[object, str], object] | None = None,
) -> list[tuple[str, dict[str, Number]]]:
    """The ``(order_id, requirements)`` pairs of a ``reserve_many`` call, each normalised.

    A mapping or an iterable of pairs; at most ``MAX_BATCH_ORDERS`` orders and
    ``MAX_BATCH_LINES`` lines. Anything that is not an order refuses the whole batch with a
    :class:`~jxc_rules.errors.ValidationError` naming ``orders[i]``.
    """
    items = list(orders.items()) if isinstance(orders, Mapping) else list(orders)
    if len(items) > MAX_BATCH_ORDERS:
        raise bad_value("orders", f"{len(items)} orders", f"at most {MAX_BATCH_ORDERS} orders "
                        "a call; split the batch")
    check = check_id or check_order_id
    batch: list[tuple[str, dict[str, Number]]] = []
    lines = 0
    for i, item in enumerate(items):
        try:
            oid, requirements = item
        except (TypeError, ValueError):
            raise bad_value(f"orders[{i}]", type(item).__name__,
                            "an (order_id, requirements) pair") from None
        try:
            oid = check(oid)
            req = normalize_requirements(requirements)
            if check_key is not None:
                for sku in req:
                    check_key(sku, "requirements key")
        except ValidationError as exc:
            raise ValidationError(f"orders[{i}]: {exc}", field=f"orders[{i}]",
                                  value=oid) from exc
        lines += len(req)
        batch.append((oid, req))
    if lines > MAX_BATCH_LINES:
        raise bad_value("orders", f"{lines} lines", f"at most {MAX_BATCH_LINES} lines a call; "
                        "split the batch")
    return batch


def check_sku(sku: object, field: str = "sku") -> str:
    if not isinstance(sku, str) or not sku:
        raise bad_value(field, sku, "a non-empty SKU string")
    return sku


def normalize_requirements(
    requirements: Mapping[str, Any], field: str = "requirements"
) -> dict[str, Number]:
    """Validated exact requirements: every quantity >= 0, zero lines dropped, at least one line.

    >>> normalize_requirements({"bolt": "12", "glue": "0.25", "nut": 0})
    {'bolt': 12, 'glue': Fraction(1, 4)}
    """
    if not isinstance(requirements, Mapping):
        raise bad_value(field, requirements, "a mapping of SKU -> quantity")
    out: dict[str, Number] = {}
    for sku, value in requirements.items():
        if type(sku) is not str or not sku:
            check_sku(sku, f"{field} key")
        q = _exact(value, f"{field}[{sku!r}]")
        if q < 0:
            raise bad_value(f"{field}[{sku!r}]", value, "a quantity >= 0")
        if q:
            out[sku] = q
    if not out:
        raise bad_value(field, dict(requirements), "at least one line with a quantity > 0")
    return out


def normalize_stock(on_hand: Mapping[str, Any] | None, field: str = "on_hand") -> dict[str, Number]:
    """Validated opening stock: quantities >= 0 (zero keeps the SKU known)."""
    if on_hand is None:
        return {}
    if not isinstance(on_hand, Mapping):
        raise bad_value(field, on_hand, "a mapping of SKU -> quantity")
    out: dict[str, Number] = {}
    for sku, value in on_hand.items():
        check_sku(sku, f"{field} key")
        q = _exact(value, f"{field}[{sku!r}]")
        if q < 0:
            raise bad_value(f"{field}[{sku!r}]", value, "a quantity >= 0")
        out[sku] = q
    return out


def same_lines(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Equal requirement sets (exact comparison, order ignored)."""
    return a.keys() == b.keys() and all(a[k] == b[k] for k in a)


def reserve_order(
    ledger: ReservationLedger,
    bom: Bom,
    order_id: str,
    item: str,
    quantity: Any,
    *,
    on: _dt.date | str | None = None,
    rounding: bool = True,
    use_stock: bool = False,
) -> dict[str, Fraction]:
    """Explode ``quantity`` of ``item`` and reserve every leaf in one atomic step (整单锁料).

    The requirements are ``explode(bom, item, quantity, on=on)``, rounded by
    :func:`~jxc_rules.bom.round_requirements` (pieces up to whole pieces) when ``rounding``; then
    one ``ledger.reserve(order_id, requirements)`` holds all of them or none. With
    ``use_stock=True`` the explosion first nets sub-assemblies in stock and lets alternates cover
    short parts, using the ledger's current ``available`` plus what ``order_id`` already holds (so
    a retry explodes to the same lines and is a no-op). The reservation re-checks atomically, so
    a concurrent change can only make it fail cleanly, never over-reserve.

    Returns the requirements reserved (also when the order was already held).

    Raises
    ------
    InsufficientStock
        ``.shortages`` maps every short leaf to the missing quantity; nothing is reserved.

    Examples
    --------
    >>> from jxc_rules.reservation import Ledger
    >>> bom = Bom([{"parent": "gearbox", "child": "bolt", "qty": 8, "unit": "pcs"},
    ...            {"parent": "gearbox", "child": "oil", "qty": "0.75", "unit": "L"}])
    >>> ledger = Ledger({"bolt": 100, "oil": 2})
    >>> reserve_order(ledger, bom, "SO-1", "gearbox", 2)
    {'bolt': Fraction(16, 1), 'oil': Fraction(3, 2)}
    >>> try:
    ...     reserve_order(ledger, bom, "SO-2", "gearbox", 1)
    ... except Exception as exc:
    ...     print(exc.shortages)
    {'oil': Fraction(1, 4)}
    >>> ledger.available("bolt")
    Fraction(84, 1)
    """
    check_order_id(order_id)
    stock: dict[str, Fraction] | None = None
    if use_stock:
        known = set(ledger.skus())
        stock = {s: ledger.available(s) for s in bom.items if s in known}
        # a retry sees the stock the first call saw: what this order already holds counts as
        # available, so the same order explodes to the same lines (a no-op, not a duplicate)
        held = ledger.order(order_id) if order_id in ledger.orders() else {}
        for sku, q in held.items():
            if sku in stock:
                stock[sku] += q
    requirements = explode(bom, item, quantity, on=on, on_hand=stock)
    if rounding:
        requirements = round_requirements(bom, requirements)
    requirements = {k: v for k, v in requirements.items() if v}
    if not requirements:
        raise ValidationError(f"order {order_id!r}: {quantity} {item} needs no stock",
                              field="quantity", value=quantity)
    ledger.reserve(order_id, requirements)
    return requirements
