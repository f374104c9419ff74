"""Hardening of SqliteLedger (#21): no raw sqlite3 or builtin exception, every refusal names the
file (and the SKU and value), and a refused open or call changes nothing."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from jxc_rules.errors import LedgerError, ValidationError
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
    ("lots", "holds 'lots'"), ("1/0", "holds '1/0'"),
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
