"""``SqliteLedger``: the persistent reservation ledger on stdlib :mod:`sqlite3`, safe across
threads and processes.

Concurrency model
-----------------
The database runs in WAL mode (readers never block the writer). Every change — reserve,
release, consume, receive — is one ``BEGIN IMMEDIATE`` transaction: it takes SQLite's write lock
*before* reading the stock it checks, so two processes can never both see the same available
quantity (no lost update, no over-reservation); a second writer waits up to ``timeout`` seconds
(``busy_timeout``). Each process opens its own connection (its own ``SqliteLedger``); within a
process one lock serialises use of the connection, so one instance may be shared by threads.
A process that dies inside a transaction (crash, ``kill -9``) leaves no trace: SQLite discards
WAL frames that were never committed, so a reservation is there completely or not at all.

Storage
-------
Quantities are stored exactly, as the text of a :class:`~fractions.Fraction` in lowest terms —
``'12'``, ``'7/4'`` — never as REAL. Tables::

    stock(sku TEXT PRIMARY KEY, on_hand TEXT, reserved TEXT)
    orders(order_id TEXT PRIMARY KEY, status TEXT, lines TEXT)     -- lines: JSON [[sku, "q"], ...]
    journal(seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT, order_id TEXT, lines TEXT)

``available`` is ``on_hand − reserved``, computed, never stored. ``synchronous=NORMAL`` (the WAL
default recommendation) survives process crashes; pass ``synchronous="FULL"`` to survive power
loss too.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any, Final

from jxc_rules.errors import (
    DuplicateError,
    InsufficientStock,
    UnknownItemError,
    ValidationError,
    bad_value,
)
from jxc_rules.reservation.base import (
    Number,
    _exact,
    check_order_id,
    check_sku,
    normalize_requirements,
    normalize_stock,
    same_lines,
)
from jxc_rules.reservation.journal import Event

__all__ = ["SqliteLedger"]

_SCHEMA: Final = (
    "CREATE TABLE IF NOT EXISTS stock (sku TEXT PRIMARY KEY, on_hand TEXT NOT NULL, "
    "reserved TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS orders (order_id TEXT PRIMARY KEY, status TEXT NOT NULL, "
    "lines TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
    "kind TEXT NOT NULL, order_id TEXT, lines TEXT NOT NULL)",
)
_CHUNK: Final = 400  # SKUs per "IN (...)" query, well under SQLite's variable limit


def _num(text: str) -> Number:
    return int(text) if "/" not in text else Fraction(text)


def _text(q: Number) -> str:
    return str(q)


def _encode(lines: Mapping[str, Number]) -> str:
    return json.dumps([[k, str(v)] for k, v in lines.items()], ensure_ascii=False)


def _decode(text: str) -> dict[str, Number]:
    return {k: _num(v) for k, v in json.loads(text)}


class SqliteLedger:
    """Persistent reservation ledger in one SQLite file (same interface as ``Ledger``).

    Parameters
    ----------
    path : str or os.PathLike
        The database file (created if missing). Every process opens its own ``SqliteLedger``.
    on_hand : mapping, optional
        Opening stock for a new file. For a file that already holds stock it must agree with it
        (use :meth:`receive` to add stock).
    timeout : float
        Seconds to wait for another writer's lock (SQLite ``busy_timeout``).
    synchronous : str
        ``"NORMAL"`` (default) or ``"FULL"``.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "stock.db")
    >>> with SqliteLedger(path, {"bolt": 10, "oil": "2.5"}) as ledger:
    ...     ledger.reserve("SO-1", {"bolt": 4, "oil": "0.75"})
    ...     ledger.available("oil")
    True
    Fraction(7, 4)
    >>> SqliteLedger(path).reserved("bolt")  # another connection sees the committed state
    Fraction(4, 1)
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        on_hand: Mapping[str, Any] | None = None,
        *,
        timeout: float = 30.0,
        synchronous: str = "NORMAL",
    ) -> None:
        if synchronous not in ("NORMAL", "FULL"):
            raise bad_value("synchronous", synchronous, "'NORMAL' or 'FULL'")
        stock = normalize_stock(on_hand)
        self.path = os.fspath(path)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None,
                                     check_same_thread=False)
        self._conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute(f"PRAGMA synchronous = {synchronous}")

        def existing_stock(cur: sqlite3.Cursor) -> dict[str, Number] | None:
            tables = {r[0] for r in cur.execute("SELECT name FROM sqlite_master")}
            if not {"stock", "orders", "journal"} <= tables:
                return None
            return {s: _num(q) for s, q in cur.execute("SELECT sku, on_hand FROM stock")}

        def init(cur: sqlite3.Cursor) -> dict[str, Number]:
            for statement in _SCHEMA:
                cur.execute(statement)
            existing = existing_stock(cur) or {}
            if not existing:
                for sku, q in stock.items():
                    self._receive(cur, sku, q)
                return stock
            return existing

        # an initialised file is only read (no write lock), so opening never waits for a writer
        current = existing_stock(self._conn.cursor())
        if current is None or (not current and stock):
            current = self._write(init)
        for sku, q in stock.items():
            if current.get(sku) != q:
                self._conn.close()
                raise bad_value(f"on_hand[{sku!r}]", q,
                                f"what the existing ledger {self.path!r} holds "
                                f"({current.get(sku)}); use receive() to add stock")

    _before_commit: Callable[[], None] | None = None
    """Test hook: called inside the transaction just before COMMIT (crash simulation)."""

    # ------------------------------------------------------------ plumbing
    def _write(self, body: Callable[[sqlite3.Cursor], Any]) -> Any:
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                result = body(cur)
                if self._before_commit is not None:
                    self._before_commit()
                cur.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    cur.execute("ROLLBACK")
                raise
            return result

    def _rows(self, cur: sqlite3.Cursor, skus: list[str]) -> dict[str, tuple[str, str]]:
        out: dict[str, tuple[str, str]] = {}
        for i in range(0, len(skus), _CHUNK):
            part = skus[i:i + _CHUNK]
            marks = ",".join("?" * len(part))
            for sku, on_hand, reserved in cur.execute(
                    f"SELECT sku, on_hand, reserved FROM stock WHERE sku IN ({marks})", part):
                out[sku] = (on_hand, reserved)
        return out

    def _log(self, cur: sqlite3.Cursor, kind: str, order_id: str | None, lines: str) -> None:
        cur.execute("INSERT INTO journal (kind, order_id, lines) VALUES (?, ?, ?)",
                    (kind, order_id, lines))

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> SqliteLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ changes
    def reserve(self, order_id: str, requirements: Mapping[str, Any]) -> bool:
        """Hold every line or nothing, in one ``BEGIN IMMEDIATE`` transaction (see ``Ledger``)."""
        oid = check_order_id(order_id)
        req = normalize_requirements(requirements)

        def body(cur: sqlite3.Cursor) -> bool:
            row = cur.execute("SELECT status, lines FROM orders WHERE order_id = ?",
                              (oid,)).fetchone()
            if row is not None:
                held = _decode(row[1])
                if same_lines(held, req):
                    return False
                raise DuplicateError(f"order {oid!r} is already {row[0]} with other lines",
                                     field="order_id", value=oid)
            rows = self._rows(cur, list(req))
            unknown = [s for s in req if s not in rows]
            if unknown:
                raise UnknownItemError(
                    f"order {oid!r}: unknown SKU {', '.join(map(repr, unknown))} "
                    "(not in the ledger)", key=unknown[0])
            short: dict[str, Fraction] = {}
            updates: list[tuple[str, str]] = []
            for sku, q in req.items():
                on_hand_text, reserved_text = rows[sku]
                reserved = _num(reserved_text)
                available = _num(on_hand_text) - reserved
                if q > available:
                    short[sku] = Fraction(q - available)
                updates.append((_text(reserved + q), sku))
            if short:
                raise InsufficientStock(short, context=f"order {oid!r}")
            cur.executemany("UPDATE stock SET reserved = ? WHERE sku = ?", updates)
            lines = _encode(req)
            cur.execute("INSERT INTO orders (order_id, status, lines) VALUES (?, 'reserved', ?)",
                        (oid, lines))
            self._log(cur, "reserve", oid, lines)
            return True

        result: bool = self._write(body)
        return result

    def _open_order(self, cur: sqlite3.Cursor, oid: str) -> tuple[str, str]:
        row = cur.execute("SELECT status, lines FROM orders WHERE order_id = ?",
                          (oid,)).fetchone()
        if row is None:
            raise UnknownItemError(f"unknown order {oid!r}: no open reservation", key=oid)
        return row[0], row[1]

    def release(self, order_id: str) -> None:
        """Return an open order's stock and forget the order (see ``Ledger.release``)."""
        oid = check_order_id(order_id)

        def body(cur: sqlite3.Cursor) -> None:
            status, lines_text = self._open_order(cur, oid)
            if status != "reserved":
                raise ValidationError(f"order {oid!r} was consumed; it cannot be released",
                                      field="order_id", value=oid)
            lines = _decode(lines_text)
            rows = self._rows(cur, list(lines))
            cur.executemany("UPDATE stock SET reserved = ? WHERE sku = ?",
                            [(_text(_num(rows[s][1]) - q), s) for s, q in lines.items()])
            cur.execute("DELETE FROM orders WHERE order_id = ?", (oid,))
            self._log(cur, "release", oid, lines_text)

        self._write(body)

    def consume(self, order_id: str) -> bool:
        """Book an open order's goods out (see ``Ledger.consume``)."""
        oid = check_order_id(order_id)

        def body(cur: sqlite3.Cursor) -> bool:
            status, lines_text = self._open_order(cur, oid)
            if status == "consumed":
                return False
            lines = _decode(lines_text)
            rows = self._rows(cur, list(lines))
            cur.executemany(
                "UPDATE stock SET on_hand = ?, reserved = ? WHERE sku = ?",
                [(_text(_num(rows[s][0]) - q), _text(_num(rows[s][1]) - q), s)
                 for s, q in lines.items()])
            cur.execute("UPDATE orders SET status = 'consumed' WHERE order_id = ?", (oid,))
            self._log(cur, "consume", oid, lines_text)
            return True

        result: bool = self._write(body)
        return result

    def receive(self, sku: str, quantity: Any) -> None:
        """Stock in (a new SKU is created); quantity >= 0."""
        check_sku(sku)
        q = _exact(quantity, "quantity")
        if q < 0:
            raise bad_value("quantity", quantity, "a quantity >= 0 (stock in)")
        self._write(lambda cur: self._receive(cur, sku, q))

    def _receive(self, cur: sqlite3.Cursor, sku: str, q: Number) -> None:
        row = cur.execute("SELECT on_hand FROM stock WHERE sku = ?", (sku,)).fetchone()
        if row is None:
            cur.execute("INSERT INTO stock (sku, on_hand, reserved) VALUES (?, ?, '0')",
                        (sku, _text(q)))
        else:
            cur.execute("UPDATE stock SET on_hand = ? WHERE sku = ?",
                        (_text(_num(row[0]) + q), sku))
        self._log(cur, "receive", None, _encode({sku: q}))

    # ------------------------------------------------------------ reads
    def _row(self, sku: str) -> tuple[Number, Number]:
        with self._lock:
            row = self._conn.execute("SELECT on_hand, reserved FROM stock WHERE sku = ?",
                                     (sku,)).fetchone()
        if row is None:
            raise UnknownItemError(f"ledger: unknown SKU {sku!r} (not in the ledger)", key=sku)
        return _num(row[0]), _num(row[1])

    def available(self, sku: str) -> Fraction:
        """``on_hand − reserved`` of ``sku``."""
        on_hand, reserved = self._row(sku)
        return Fraction(on_hand - reserved)

    def reserved(self, sku: str) -> Fraction:
        """Quantity of ``sku`` held by open orders."""
        return Fraction(self._row(sku)[1])

    def on_hand(self, sku: str) -> Fraction:
        """Physical stock of ``sku``."""
        return Fraction(self._row(sku)[0])

    def skus(self) -> list[str]:
        """Every SKU the ledger knows."""
        with self._lock:
            return [r[0] for r in self._conn.execute("SELECT sku FROM stock ORDER BY sku")]

    def order(self, order_id: str) -> dict[str, Fraction]:
        """The lines an order holds (or consumed)."""
        with self._lock:
            row = self._conn.execute("SELECT lines FROM orders WHERE order_id = ?",
                                     (order_id,)).fetchone()
        if row is None:
            raise UnknownItemError(f"unknown order {order_id!r}: no open reservation",
                                   key=order_id)
        return {k: Fraction(v) for k, v in _decode(row[0]).items()}

    def orders(self) -> dict[str, str]:
        """Order id → ``"reserved"`` or ``"consumed"``."""
        with self._lock:
            return dict(self._conn.execute("SELECT order_id, status FROM orders"))

    def journal(self) -> list[Event]:
        """The append-only event journal, in order."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, kind, order_id, lines FROM journal ORDER BY seq").fetchall()
        return [Event(seq, kind, oid, tuple(_decode(lines).items()))
                for seq, kind, oid, lines in rows]

    def snapshot(self) -> dict[str, Any]:
        """The whole state, exact, read in one transaction (same shape as ``Ledger.snapshot``)."""
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN")
            try:
                stock = cur.execute("SELECT sku, on_hand, reserved FROM stock").fetchall()
                orders = cur.execute("SELECT order_id, status, lines FROM orders").fetchall()
            finally:
                cur.execute("COMMIT")
        on_hand = {s: Fraction(_num(o)) for s, o, _r in stock}
        reserved = {s: Fraction(_num(r)) for s, _o, r in stock}
        return {
            "on_hand": on_hand,
            "reserved": reserved,
            "available": {s: on_hand[s] - reserved[s] for s in on_hand},
            "orders": {oid: (status, {k: Fraction(v) for k, v in _decode(lines).items()})
                       for oid, status, lines in orders},
        }

    def __repr__(self) -> str:
        return f"SqliteLedger({self.path!r})"
