"""Hardening of SqliteLedger (#21): no raw sqlite3 or builtin exception, every refusal names the
file (and the SKU and value), and a refused open or call changes nothing."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from jxc_rules.errors import LedgerBusy, LedgerError, ValidationError
from jxc_rules.reservation import SqliteLedger


def _ledger(tmp_path: Path) -> Path:
    path = tmp_path / "stock.db"
    SqliteLedger(path, {"bolt": 10, "nut": 5}).close()
    return path


@pytest.mark.parametrize("content", [b"this is not a database at all" * 100,
                                     b"SQLite format 3\x00" + b"\xff" * 200])
def test_a_garbage_or_truncated_file_is_named(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(content)
    with pytest.raises(LedgerError, match=r"junk\.db: not a SQLite ledger file"):
        SqliteLedger(path)
    assert path.read_bytes() == content                 # nothing written


def test_a_truncated_ledger_is_named(tmp_path: Path) -> None:
    path = _ledger(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    def open_and_read() -> None:
        SqliteLedger(path).snapshot()

    with pytest.raises(LedgerError, match=r"stock\.db"):
        open_and_read()


def test_a_foreign_stock_table_is_refused_naming_the_file_and_table(tmp_path: Path) -> None:
    path = tmp_path / "erp.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE stock (item_code TEXT, qty REAL)")
        conn.execute("INSERT INTO stock VALUES ('bolt', 3.0)")
    with pytest.raises(LedgerError, match=r"erp\.db: table 'stock' exists with columns "
                                          r"\['item_code', 'qty'\].*a file of its own"):
        SqliteLedger(path, {"bolt": 10})
    with sqlite3.connect(path) as conn:                 # the host's table untouched, nothing added
        assert conn.execute("SELECT * FROM stock").fetchall() == [("bolt", 3.0)]
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert names == {"stock"}


@pytest.mark.parametrize(("value", "pattern"), [
    ("nan", "holds 'nan', not an exact quantity"), ("-4", "holds '-4', a negative quantity"),
    ("lots", "holds 'lots'"), ("1/0", "holds '1/0'"), ("1/00", "holds '1/00'"),
    ("12\n", r"holds '12\\n'"),
])
def test_a_tampered_on_hand_names_the_file_sku_and_value(tmp_path: Path, value: str,
                                                         pattern: str) -> None:
    path = _ledger(tmp_path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE stock SET on_hand = ? WHERE sku = 'nut'", (value,))
    with pytest.raises(LedgerError, match=rf"stock\.db: stock\.on_hand of SKU 'nut' {pattern}"):
        SqliteLedger(path)


def test_a_tampered_value_found_later_is_named_and_changes_nothing(tmp_path: Path) -> None:
    path = _ledger(tmp_path)
    ledger = SqliteLedger(path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE stock SET reserved = 'x' WHERE sku = 'bolt'")
    with pytest.raises(LedgerError, match=r"stock\.reserved of SKU 'bolt' holds 'x'"):
        ledger.reserve("SO-1", {"bolt": 1})
    with pytest.raises(LedgerError, match="SKU 'bolt'"):
        ledger.available("bolt")
    assert ledger.orders() == {}
    ledger.close()


def test_a_directory_or_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match="is a directory; give the path of a ledger file"):
        SqliteLedger(tmp_path)
    missing = tmp_path / "no" / "such" / "stock.db"
    with pytest.raises(LedgerError, match="does not exist; create it first"):
        SqliteLedger(missing)
    assert not missing.parent.exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write a read-only file")
def test_a_read_only_file_is_named(tmp_path: Path) -> None:  # pragma: no cover - root in CI
    path = _ledger(tmp_path)
    path.chmod(0o444)
    with pytest.raises(LedgerError, match="read-only"):
        SqliteLedger(path).receive("bolt", 1)


def test_a_negative_opening_stock_and_a_bad_timeout_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"on_hand\['bolt'\]"):
        SqliteLedger(tmp_path / "a.db", {"bolt": -1})
    with pytest.raises(ValidationError, match="timeout"):
        SqliteLedger(tmp_path / "b.db", timeout=0)


def test_a_writer_holding_the_lock_past_the_timeout_is_a_ledger_error(tmp_path: Path) -> None:
    path = _ledger(tmp_path)
    ledger = SqliteLedger(path, timeout=0.2)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(LedgerError, match="stayed locked by another writer"):
            ledger.reserve("SO-1", {"bolt": 1})
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert ledger.reserve("SO-1", {"bolt": 1})
    ledger.close()


# ---------------------------------------------------------------- second pass


def _raw(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    """Act on the file behind the ledger's back (a host's own tables, tampering)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def _counts(ledger: SqliteLedger) -> tuple[dict[str, Any], int, int]:
    return ledger.snapshot(), len(ledger.orders()), len(ledger.journal())


def test_a_refused_host_file_keeps_its_journal_mode(tmp_path: Path) -> None:
    path = tmp_path / "erp.db"
    _raw(path, "CREATE TABLE orders (no INTEGER, customer TEXT)")
    assert _raw(path, "PRAGMA journal_mode") == [("delete",)]
    with pytest.raises(LedgerError, match=r"erp\.db: table 'orders'.*\['no', 'customer'\]"):
        SqliteLedger(path, {"bolt": 1})
    assert _raw(path, "PRAGMA journal_mode") == [("delete",)]   # not switched to WAL
    assert not os.path.exists(f"{path}-wal")
    assert [r[0] for r in _raw(path, "SELECT name FROM sqlite_master")] == ["orders"]


def test_a_failed_open_closes_its_connection(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[sqlite3.Connection] = []
    connect = sqlite3.connect

    def tracking(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        opened.append(connect(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(sqlite3, "connect", tracking)
    path = tmp_path / "junk.db"
    path.write_bytes(b"not a database" * 100)
    with pytest.raises(LedgerError, match="not a SQLite ledger file"):
        SqliteLedger(path)
    assert len(opened) == 1
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        opened[0].execute("SELECT 1")


def test_a_folder_that_cannot_take_the_file_is_named(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> sqlite3.Connection:  # what a non-writable folder gives
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(sqlite3, "connect", refuse)
    with pytest.raises(LedgerError) as err:
        SqliteLedger(tmp_path / "stock.db")
    assert f"folder {tmp_path} is writable" in str(err.value)
    assert isinstance(err.value.__cause__, sqlite3.OperationalError)


def test_a_lock_past_the_timeout_is_ledger_busy_and_changes_nothing(tmp_path: Path) -> None:
    path = _ledger(tmp_path)
    ledger = SqliteLedger(path, timeout=0.05)
    before = _counts(ledger)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        for call in (lambda: ledger.reserve("SO-1", {"bolt": 1}), lambda: ledger.receive("x", 1)):
            with pytest.raises(LedgerBusy, match=r"stock\.db: .*timeout=0\.05 s") as err:
                call()
            assert isinstance(err.value.__cause__, sqlite3.OperationalError)
        assert ledger.available("bolt") == 10                     # readers are not blocked
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert _counts(ledger) == before
    ledger.close()


def test_a_read_only_database_is_named_and_changes_nothing(tmp_path: Path) -> None:
    # runs as root too (where chmod 0444 does not stop a write): query_only gives SQLITE_READONLY
    path = _ledger(tmp_path)
    ledger = SqliteLedger(path)
    ledger.reserve("SO-1", {"nut": 2})
    before = _counts(ledger)
    ledger._conn.execute("PRAGMA query_only = ON")
    for call in (lambda: ledger.reserve("SO-2", {"bolt": 1}), lambda: ledger.consume("SO-1"),
                 lambda: ledger.release("SO-1"), lambda: ledger.receive("bolt", 1)):
        with pytest.raises(LedgerError, match=r"stock\.db: the file is read-only") as err:
            call()
        assert isinstance(err.value.__cause__, sqlite3.Error)
    ledger._conn.execute("PRAGMA query_only = OFF")
    assert _counts(ledger) == before
    ledger.close()


def test_a_full_disk_is_named_and_the_failing_call_changes_nothing(tmp_path: Path) -> None:
    path = _ledger(tmp_path)
    ledger = SqliteLedger(path)
    pages = ledger._conn.execute("PRAGMA page_count").fetchone()[0]
    ledger._conn.execute(f"PRAGMA max_page_count = {pages}")   # the file may not grow
    before = _counts(ledger)
    with pytest.raises(LedgerError, match=r"stock\.db: the disk is full") as err:
        ledger.receive("S" * 200_000, 1)                         # needs ~100 new pages
    assert isinstance(err.value.__cause__, sqlite3.OperationalError)
    assert _counts(ledger) == before
    ledger.close()


def test_a_closed_ledger_says_so(tmp_path: Path) -> None:
    ledger = SqliteLedger(_ledger(tmp_path))
    ledger.close()
    for call in (lambda: ledger.available("bolt"), lambda: ledger.reserve("SO-1", {"bolt": 1}),
                 lambda: ledger.snapshot(), lambda: ledger.journal()):
        with pytest.raises(LedgerError, match=r"stock\.db: the ledger is closed"):
            call()


def test_tampered_order_lines_name_the_file_and_the_order(tmp_path: Path) -> None:
    path = _ledger(tmp_path)
    with SqliteLedger(path) as ledger:
        ledger.reserve("SO-1", {"bolt": 4})
        before = _counts(ledger)
        for lines in ("not json", '{"bolt": "4"}', '[["bolt", "nan"]]', '[["bolt"]]', "7"):
            _raw(path, "UPDATE orders SET lines = ? WHERE order_id = 'SO-1'", (lines,))
            for call in (lambda: ledger.order("SO-1"), lambda: ledger.release("SO-1"),
                         lambda: ledger.consume("SO-1"), lambda: ledger.snapshot(),
                         lambda: ledger.reserve("SO-1", {"bolt": 4})):
                with pytest.raises(LedgerError, match=r"stock\.db: orders\.lines of order "
                                                      r"'SO-1'"):
                    call()
        _raw(path, """UPDATE orders SET lines = '[["bolt", "4"]]'""")
        assert _counts(ledger) == before


def test_a_tampered_order_status_is_refused_not_consumed(tmp_path: Path) -> None:
    path = _ledger(tmp_path)
    with SqliteLedger(path) as ledger:
        ledger.reserve("SO-1", {"bolt": 4})
        _raw(path, "UPDATE orders SET status = 'shipped'")
        for call in (lambda: ledger.consume("SO-1"), lambda: ledger.release("SO-1"),
                     lambda: ledger.orders(), lambda: ledger.snapshot()):
            with pytest.raises(LedgerError, match=r"orders\.status of order 'SO-1' holds "
                                                  r"'shipped'"):
                call()
        _raw(path, "UPDATE orders SET status = 'reserved'")
        assert ledger.on_hand("bolt") == 10
        assert ledger.reserved("bolt") == 4


def test_a_tampered_journal_entry_is_named_with_its_seq(tmp_path: Path) -> None:
    path = _ledger(tmp_path)
    with SqliteLedger(path) as ledger:
        ledger.reserve("SO-1", {"bolt": 4})
        _raw(path, "UPDATE journal SET kind = 'steal' WHERE seq = 3")
        with pytest.raises(LedgerError, match=r"stock\.db: journal\.kind at seq 3 holds 'steal'"):
            ledger.journal()
        _raw(path, """UPDATE journal SET kind = 'reserve', lines = '[["bolt", "-4"]]'
                      WHERE seq = 3""")
        with pytest.raises(LedgerError, match=r"journal\.lines at seq 3, SKU 'bolt', holds '-4'"):
            ledger.journal()


def test_stock_rows_that_do_not_cover_an_open_order_are_named(tmp_path: Path) -> None:
    path = _ledger(tmp_path)
    with SqliteLedger(path) as ledger:
        ledger.reserve("SO-1", {"bolt": 4})
        before = _counts(ledger)
        tampered = [
            ("""UPDATE orders SET lines = '[["ghost", "4"]]'""",
             r"orders\.lines of order 'SO-1' hold SKU 'ghost', which the stock table "
             r"does not have"),
            ("UPDATE stock SET reserved = '3' WHERE sku = 'bolt'",
             r"order 'SO-1' holds 4 of SKU 'bolt', more than .* reserved 3"),
            ("UPDATE stock SET reserved = 'x' WHERE sku = 'bolt'",
             r"stock\.reserved of SKU 'bolt' holds 'x'"),
        ]
        for sql, pattern in tampered:
            _raw(path, sql)
            for call in (lambda: ledger.release("SO-1"), lambda: ledger.consume("SO-1")):
                with pytest.raises(LedgerError, match=rf"stock\.db: {pattern}"):
                    call()
            _raw(path, """UPDATE orders SET lines = '[["bolt", "4"]]'""")
            _raw(path, "UPDATE stock SET reserved = '4' WHERE sku = 'bolt'")
            assert _counts(ledger) == before
        _raw(path, "UPDATE stock SET on_hand = 'x' WHERE sku = 'nut'")
        with pytest.raises(LedgerError, match=r"stock\.on_hand of SKU 'nut' holds 'x'"):
            ledger.receive("nut", 1)


@pytest.mark.parametrize("path", [1.5, None, "stock\x00.db", b"stock\x00.db"])
def test_a_path_that_is_no_file_path_is_a_validation_error(path: Any) -> None:
    with pytest.raises(ValidationError, match=r"^path must be a file path") as err:
        SqliteLedger(path, {"bolt": 1})
    assert err.value.field == "path"
