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

import functools
import json
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping
from fractions import Fraction
from typing import Any, Final

from jxc_rules.errors import (
    DuplicateError,
    InsufficientStock,
    JxcRulesError,
    LedgerBusy,
    LedgerError,
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
from jxc_rules.reservation.journal import EVENT_KINDS, Event

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


# what the ledger writes: an integer or p/q (a denominator with a non-zero digit); fullmatch only
_EXACT_TEXT: Final = re.compile(r"-?[0-9]+(?:/0*[1-9][0-9]*)?")
_STATUSES: Final = ("reserved", "consumed")


class _Corrupt(Exception):
    """A stored value that is not what the ledger wrote (the file was edited or damaged)."""


def _num(text: object, what: str = "a stored quantity") -> Number:
    """The exact quantity stored as ``text`` (``'12'``, ``'7/4'``); anything else is corrupt."""
    if not isinstance(text, str) or not _EXACT_TEXT.fullmatch(text):
        raise _Corrupt(f"{what} holds {text!r}, not an exact quantity")
    q = int(text) if "/" not in text else Fraction(text)
    if q < 0:
        raise _Corrupt(f"{what} holds {text!r}, a negative quantity")
    return q


def _text(q: Number) -> str:
    return str(q)


def _encode(lines: Mapping[str, Number]) -> str:
    return json.dumps([[k, str(v)] for k, v in lines.items()], ensure_ascii=False)


def _decode(text: str, where: str = "order lines") -> dict[str, Number]:
    """The lines stored as JSON ``[[sku, "q"], ...]``; ``where`` names the row in errors."""
    try:
        pairs = json.loads(text)
        return {str(k): _num(v, f"{where}, SKU {k!r},") for k, v in pairs}
    except (ValueError, TypeError) as exc:
        if isinstance(exc, _Corrupt):
            raise
        raise _Corrupt(f"{where} hold {str(text)[:60]!r}, not the ledger's JSON "
                       "[[sku, quantity], ...]") from None


def _kind(seq: int, kind: object) -> str:
    if kind not in EVENT_KINDS:
        raise _Corrupt(f"journal.kind at seq {seq} holds {kind!r}, not one of "
                       + ", ".join(EVENT_KINDS))
    return kind


def _status(oid: str, status: object) -> str:
    if status not in _STATUSES:
        raise _Corrupt(f"orders.status of order {oid!r} holds {status!r}, not 'reserved' or "
                       "'consumed'")
    return status


def _guard(method: Callable[..., Any]) -> Callable[..., Any]:
    """Driver errors and damaged values become a LedgerError naming the file; nothing raw."""
    @functools.wraps(method)
    def wrapper(self: SqliteLedger, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except _Corrupt as exc:
            raise LedgerError(f"{self.path}: {exc}; the file was changed outside the ledger "
                              "(restore it from a backup or its journal)") from None
        except sqlite3.Error as exc:
            raise _sqlite_error(self.path, exc, self._timeout) from exc
    return wrapper


_OURS: Final = {
    "stock": ["sku", "on_hand", "reserved"],
    "orders": ["order_id", "status", "lines"],
    "journal": ["seq", "kind", "order_id", "lines"],
}


def _check_tables(path: str, cur: sqlite3.Cursor, tables: set[str]) -> None:
    """A table of ours that holds other columns is a host's table: refuse to touch it."""
    for table, columns in _OURS.items():
        if table in tables:
            have = [r[1] for r in cur.execute(f"PRAGMA table_info({table})")]
            if have != columns:
                raise LedgerError(
                    f"{path}: table {table!r} exists with columns {have}, not a SqliteLedger's "
                    f"({columns}); this file belongs to another program — give the ledger a "
                    "file of its own (or use SqlLedger with prefix= inside a shared database)")


def _sqlite_error(path: str, exc: sqlite3.Error, timeout: float) -> LedgerError:
    """The LedgerError (LedgerBusy for a lock) that says what ``exc`` means for this file."""
    code = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text or "busy" in text:
        return LedgerBusy(f"{path}: the database stayed locked by another writer for longer "
                          f"than timeout={timeout:g} s; nothing was changed, retry (or pass a "
                          "longer timeout)")
    if code.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")) or "not a database" in text \
            or "malformed" in text:
        return LedgerError(f"{path}: not a SQLite ledger file (damaged, truncated or another "
                           f"kind of file: {text}); use another path or restore the file")
    if code.startswith("SQLITE_READONLY") or "readonly" in text:
        return LedgerError(f"{path}: the file is read-only ({text}); the ledger writes to it "
                           "and to its -wal and -shm files beside it: check the permissions of "
                           "the file and its folder")
    if code.startswith("SQLITE_FULL") or "full" in text:
        return LedgerError(f"{path}: the disk is full ({text}); nothing was changed")
    if code.startswith("SQLITE_CANTOPEN") or "unable to open" in text:
        folder = os.path.dirname(os.path.abspath(path))
        return LedgerError(f"{path}: cannot open or create the file ({text}); check that the "
                           f"folder {folder} is writable")
    if isinstance(exc, sqlite3.ProgrammingError) and "closed" in text:
        return LedgerError(f"{path}: the ledger is closed ({text}); open a new SqliteLedger")
    return LedgerError(f"{path}: SQLite refused the call ({type(exc).__name__}: {text})")


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
        if not isinstance(synchronous, str) or synchronous not in ("NORMAL", "FULL"):
            raise bad_value("synchronous", repr(synchronous)[:40], "'NORMAL' or 'FULL'")
        stock = normalize_stock(on_hand)
        try:
            self.path = os.fsdecode(os.fspath(path))
        except TypeError:
            raise bad_value("path", path, "a file path (str or os.PathLike)") from None
        if "\x00" in self.path:
            raise bad_value("path", path, "a file path without NUL characters")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or \
                not 0 < timeout <= 86400:
            raise bad_value("timeout", timeout, "seconds > 0 (at most a day)")
        if self.path != ":memory:":
            if os.path.isdir(self.path):
                raise LedgerError(f"{self.path}: is a directory; give the path of a ledger "
                                  "file inside it (e.g. stock.db)")
            folder = os.path.dirname(os.path.abspath(self.path))
            if not os.path.isdir(folder):
                raise LedgerError(f"{self.path}: the folder {folder} does not exist; create it "
                                  "first")
        self._lock = threading.RLock()
        self._timeout = float(timeout)
        try:
            self._conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None,
                                         check_same_thread=False)
        except sqlite3.Error as exc:
            raise _sqlite_error(self.path, exc, self._timeout) from exc
        try:
            self._open(stock, synchronous)
        except BaseException:
            self._conn.close()
            raise

    @_guard
    def _open(self, stock: dict[str, Number], synchronous: str) -> None:
        self._conn.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")

        def existing_stock(cur: sqlite3.Cursor) -> dict[str, Number] | None:
            tables = {r[0] for r in cur.execute("SELECT name FROM sqlite_master")}
            _check_tables(self.path, cur, tables)
            if not {"stock", "orders", "journal"} <= tables:
                return None
            return {s: _num(q, f"stock.on_hand of SKU {s!r}")
                    for s, q in cur.execute("SELECT sku, on_hand FROM stock")}

        def init(cur: sqlite3.Cursor) -> dict[str, Number]:
            for statement in _SCHEMA:
                cur.execute(statement)
            existing = existing_stock(cur) or {}
            if not existing:
                for sku, q in stock.items():
                    self._receive(cur, sku, q)
                return stock
            return existing

        # an initialised file is only read (no write lock), so opening never waits for a writer;
        # the tables are checked before anything is written: a host's file keeps its journal mode
        current = existing_stock(self._conn.cursor())
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute(f"PRAGMA synchronous = {synchronous}")
        if current is None or (not current and stock):
            current = self._write(init)
        for sku, q in stock.items():
            if current.get(sku) != q:
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

    def _held(self, cur: sqlite3.Cursor, oid: str,
              lines: Mapping[str, Number]) -> dict[str, tuple[Number, Number]]:
        """(on_hand, reserved) of an open order's SKUs; its hold lies inside both (else the file
        was edited outside the ledger)."""
        rows = self._rows(cur, list(lines))
        out: dict[str, tuple[Number, Number]] = {}
        for sku, q in lines.items():
            if sku not in rows:
                raise _Corrupt(f"orders.lines of order {oid!r} hold SKU {sku!r}, which the stock "
                               "table does not have")
            on_hand = _num(rows[sku][0], f"stock.on_hand of SKU {sku!r}")
            reserved = _num(rows[sku][1], f"stock.reserved of SKU {sku!r}")
            if q > reserved or q > on_hand:
                raise _Corrupt(f"order {oid!r} holds {q} of SKU {sku!r}, more than the stock "
                               f"table's on_hand {on_hand} / reserved {reserved}")
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
    @_guard
    def reserve(self, order_id: str, requirements: Mapping[str, Any]) -> bool:
        """Hold every line or nothing, in one ``BEGIN IMMEDIATE`` transaction (see ``Ledger``)."""
        oid = check_order_id(order_id)
        req = normalize_requirements(requirements)
        result: bool = self._write(lambda cur: self._reserve_in(cur, oid, req))
        return result

    @_guard
    def reserve_many(self, orders: Mapping[str, Mapping[str, Any]]
                     | Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, bool | JxcRulesError]:
        """A batch of orders in one ``BEGIN IMMEDIATE`` transaction, each all or nothing, as
        :meth:`reserve` one by one; the outcome per order id (``True``, ``False`` or the error
        that refused it), the same contract as ``Ledger.reserve_many``."""
        batch = normalize_batch(orders)

        def body(cur: sqlite3.Cursor) -> dict[str, bool | JxcRulesError]:
            out: dict[str, bool | JxcRulesError] = {}
            for oid, req in batch:
                try:  # a refusal is raised before that order writes anything
                    out[oid] = self._reserve_in(cur, oid, req)
                except (DuplicateError, UnknownItemError, InsufficientStock) as exc:
                    out[oid] = exc
            return out

        result: dict[str, bool | JxcRulesError] = self._write(body) if batch else {}
        return result

    def _reserve_in(self, cur: sqlite3.Cursor, oid: str, req: dict[str, Number]) -> bool:
        row = cur.execute("SELECT status, lines FROM orders WHERE order_id = ?",
                          (oid,)).fetchone()
        if row is not None:
            held = _decode(row[1], f"orders.lines of order {oid!r}")
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
            reserved = _num(reserved_text, f"stock.reserved of SKU {sku!r}")
            available = _num(on_hand_text, f"stock.on_hand of SKU {sku!r}") - reserved
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


    def _open_order(self, cur: sqlite3.Cursor, oid: str) -> tuple[str, str]:
        row = cur.execute("SELECT status, lines FROM orders WHERE order_id = ?",
                          (oid,)).fetchone()
        if row is None:
            raise UnknownItemError(f"unknown order {oid!r}: no open reservation", key=oid)
        return _status(oid, row[0]), row[1]

    @_guard
    def release(self, order_id: str) -> None:
        """Return an open order's stock and forget the order (see ``Ledger.release``)."""
        oid = check_order_id(order_id)
        self._write(lambda cur: self._release_in(cur, oid))

    @_guard
    def release_many(self, order_ids: Iterable[str]) -> dict[str, bool | JxcRulesError]:
        """Release each order of a batch in full in one ``BEGIN IMMEDIATE`` transaction, as
        :meth:`release` one after another; the outcome per order id (``True`` or the error that
        refused it), the same contract as ``Ledger.release_many``."""
        oids = normalize_ids(order_ids)

        def body(cur: sqlite3.Cursor) -> dict[str, bool | JxcRulesError]:
            out: dict[str, bool | JxcRulesError] = {}
            for oid in oids:
                try:  # a refusal is raised before that order writes anything
                    self._release_in(cur, oid)
                    out[oid] = True
                except (UnknownItemError, ValidationError) as exc:
                    out[oid] = exc
            return out

        result: dict[str, bool | JxcRulesError] = self._write(body) if oids else {}
        return result

    def _release_in(self, cur: sqlite3.Cursor, oid: str) -> None:
        status, lines_text = self._open_order(cur, oid)
        if status != "reserved":
            raise ValidationError(f"order {oid!r} was consumed; it cannot be released",
                                  field="order_id", value=oid)
        lines = _decode(lines_text, f"orders.lines of order {oid!r}")
        held = self._held(cur, oid, lines)
        cur.executemany("UPDATE stock SET reserved = ? WHERE sku = ?",
                        [(_text(held[s][1] - q), s) for s, q in lines.items()])
        cur.execute("DELETE FROM orders WHERE order_id = ?", (oid,))
        self._log(cur, "release", oid, lines_text)

    @_guard
    def consume(self, order_id: str) -> bool:
        """Book an open order's goods out (see ``Ledger.consume``)."""
        oid = check_order_id(order_id)

        def body(cur: sqlite3.Cursor) -> bool:
            status, lines_text = self._open_order(cur, oid)
            if status == "consumed":
                return False
            lines = _decode(lines_text, f"orders.lines of order {oid!r}")
            held = self._held(cur, oid, lines)
            cur.executemany(
                "UPDATE stock SET on_hand = ?, reserved = ? WHERE sku = ?",
                [(_text(held[s][0] - q), _text(held[s][1] - q), s) for s, q in lines.items()])
            cur.execute("UPDATE orders SET status = 'consumed' WHERE order_id = ?", (oid,))
            self._log(cur, "consume", oid, lines_text)
            return True

        result: bool = self._write(body)
        return result

    @_guard
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
                        (_text(_num(row[0], f"stock.on_hand of SKU {sku!r}") + q), sku))
        self._log(cur, "receive", None, _encode({sku: q}))

    # ------------------------------------------------------------ reads
    @_guard
    def _row(self, sku: str) -> tuple[Number, Number]:
        with self._lock:
            row = self._conn.execute("SELECT on_hand, reserved FROM stock WHERE sku = ?",
                                     (sku,)).fetchone()
        if row is None:
            raise UnknownItemError(f"ledger: unknown SKU {sku!r} (not in the ledger)", key=sku)
        return (_num(row[0], f"stock.on_hand of SKU {sku!r}"),
                _num(row[1], f"stock.reserved of SKU {sku!r}"))

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

    @_guard
    def skus(self) -> list[str]:
        """Every SKU the ledger knows."""
        with self._lock:
            return [r[0] for r in self._conn.execute("SELECT sku FROM stock ORDER BY sku")]

    @_guard
    def order(self, order_id: str) -> dict[str, Fraction]:
        """The lines an order holds (or consumed)."""
        order_id = check_order_id(order_id)
        with self._lock:
            row = self._conn.execute("SELECT lines FROM orders WHERE order_id = ?",
                                     (order_id,)).fetchone()
        if row is None:
            raise UnknownItemError(f"unknown order {order_id!r}: no open reservation",
                                   key=order_id)
        lines = _decode(row[0], f"orders.lines of order {order_id!r}")
        return {k: Fraction(v) for k, v in lines.items()}

    @_guard
    def orders(self) -> dict[str, str]:
        """Order id → ``"reserved"`` or ``"consumed"``."""
        with self._lock:
            rows = self._conn.execute("SELECT order_id, status FROM orders").fetchall()
        return {oid: _status(oid, status) for oid, status in rows}

    @_guard
    def journal(self) -> list[Event]:
        """The append-only event journal, in order."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, kind, order_id, lines FROM journal ORDER BY seq").fetchall()
        return [Event(seq, _kind(seq, kind), oid,
                      tuple(_decode(lines, f"journal.lines at seq {seq}").items()))
                for seq, kind, oid, lines in rows]

    @_guard
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
        on_hand = {s: Fraction(_num(o, f"stock.on_hand of SKU {s!r}")) for s, o, _r in stock}
        reserved = {s: Fraction(_num(r, f"stock.reserved of SKU {s!r}")) for s, _o, r in stock}
        return {
            "on_hand": on_hand,
            "reserved": reserved,
            "available": {s: on_hand[s] - reserved[s] for s in on_hand},
            "orders": {oid: (_status(oid, status),
                             {k: Fraction(v) for k, v in
                              _decode(lines, f"orders.lines of order {oid!r}").items()})
                       for oid, status, lines in orders},
        }

    def __repr__(self) -> str:
        return f"SqliteLedger({self.path!r})"
