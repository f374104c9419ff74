"""SqlLedger on SQLite, PostgreSQL and MariaDB: the conformance machine, the host's own stock
table and transaction, partial shipments, counts below reserved, and every bad input named."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from jxc_rules.errors import (
    DuplicateError,
    InsufficientStock,
    JxcRulesError,
    LedgerBusy,
    LedgerError,
    UnknownItemError,
    ValidationError,
)
from jxc_rules.reservation import Ledger, Oversold, SqlLedger, StockTable
from jxc_rules.testing.reservation import check_invariants, ledger_machine

HOST = StockTable("inventory", sku="item_code", on_hand="qty")


def _host_table(url: str, *, location: bool = False, qty: str = "NUMERIC(14,3)") -> sa.Engine:
    engine = sa.create_engine(url)
    loc = "warehouse VARCHAR(20) NOT NULL, " if location else ""
    key = "PRIMARY KEY (item_code, warehouse)" if location else "PRIMARY KEY (item_code)"
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE TABLE inventory (item_code VARCHAR(40) NOT NULL, {loc}"
                             f"qty {qty} NOT NULL, name VARCHAR(40), {key})"))
        rows = ([("bolt", "A", 10), ("bolt", "B", 4), ("nut", "A", "5.5")] if location
                else [("bolt", None, 10), ("nut", None, "5.5"), ("oil", None, 2)])
        for sku, wh, q in rows:
            if location:
                conn.execute(sa.text("INSERT INTO inventory (item_code, warehouse, qty) "
                                     "VALUES (:s, :w, :q)"), {"s": sku, "w": wh, "q": q})
            else:
                conn.execute(sa.text("INSERT INTO inventory (item_code, qty) VALUES (:s, :q)"),
                             {"s": sku, "q": q})
    return engine


@pytest.fixture
def host(database: str) -> Iterator[tuple[str, sa.Engine]]:
    engine = _host_table(database)
    SqlLedger(engine, stock=HOST).create_tables()
    yield database, engine
    engine.dispose()


# ------------------------------------------------------------------ the conformance machine

def test_the_conformance_machine_passes_on_the_in_memory_ledger() -> None:
    run_state_machine_as_test(ledger_machine(Ledger),
                              settings=settings(max_examples=30, stateful_step_count=20,
                                                deadline=None))


def test_the_conformance_machine_passes_on_each_database(database: str) -> None:
    run_state_machine_as_test(
        _machine_for(database),
        settings=settings(max_examples=12, stateful_step_count=15, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow]))


def _machine_for(url: str) -> Any:
    counter = iter(range(10**6))

    def make(stock: dict[str, Fraction]) -> SqlLedger:
        ledger = SqlLedger(url, prefix=f"m{next(counter)}_")
        ledger.create_tables()
        for sku, q in stock.items():
            ledger.receive(sku, q)
        return ledger

    def reopen(ledger: SqlLedger) -> SqlLedger:
        ledger.close()
        return SqlLedger(url, prefix=ledger.prefix)

    return ledger_machine(make, reopen=reopen, close=lambda ledger: ledger.close())


# ------------------------------------------------------------- the host's stock and transaction

def test_the_hosts_stock_table_is_the_one_source_of_on_hand(host: tuple[str, sa.Engine]) -> None:
    url, engine = host
    ledger = SqlLedger(url, stock=HOST)
    assert ledger.reserve("SO-1", {"bolt": 6, "nut": "5.5"})
    assert ledger.available("bolt") == 4
    with engine.begin() as conn:  # the host sells 3 bolts at the till, in its own table
        conn.execute(sa.text("UPDATE inventory SET qty = qty - 3 WHERE item_code = 'bolt'"))
    assert ledger.on_hand("bolt") == 7
    assert ledger.available("bolt") == 1
    ledger.consume("SO-1", {"bolt": 2})            # first lot shipped
    with engine.connect() as conn:
        qty = conn.execute(sa.text("SELECT qty FROM inventory WHERE item_code = 'bolt'")).scalar()
    assert Fraction(qty) == 5                       # written back into the host's column
    assert ledger.held("SO-1") == {"bolt": 4, "nut": Fraction(11, 2)}
    check_invariants(ledger)
    ledger.close()


def test_a_host_transaction_rolled_back_leaves_no_reservation_and_no_journal_row(
        host: tuple[str, sa.Engine]) -> None:
    url, engine = host
    with engine.connect() as conn:
        conn.execute(sa.text("UPDATE inventory SET name = 'sales order 1' WHERE item_code='oil'"))
        ledger = SqlLedger(conn, stock=HOST)
        assert ledger.reserve("SO-1", {"bolt": 4, "oil": 2})
        assert ledger.available("oil") == 0        # visible inside the host's transaction
        conn.rollback()
    after = SqlLedger(url, stock=HOST)
    assert after.orders() == {}
    assert after.journal() == []
    assert after.available("oil") == 2
    with engine.connect() as conn:
        name = conn.execute(sa.text("SELECT name FROM inventory WHERE item_code='oil'")).scalar()
    assert name is None                               # the host's own write went with it
    with engine.connect() as conn:                   # ... and committed, both land together
        SqlLedger(conn, stock=HOST).reserve("SO-1", {"bolt": 4})
        conn.commit()
    assert after.orders() == {"SO-1": "reserved"}
    assert len(after.journal()) == 1


def test_a_refused_call_inside_a_host_transaction_keeps_the_hosts_work(
        host: tuple[str, sa.Engine]) -> None:
    url, engine = host
    with engine.connect() as conn:
        conn.execute(sa.text("UPDATE inventory SET name = 'kept' WHERE item_code = 'nut'"))
        ledger = SqlLedger(conn, stock=HOST)
        with pytest.raises(InsufficientStock):
            ledger.reserve("SO-1", {"bolt": 4, "oil": 3})
        assert ledger.reserve("SO-2", {"oil": 1})
        conn.commit()
    with engine.connect() as conn:
        name = conn.execute(sa.text("SELECT name FROM inventory WHERE item_code='nut'")).scalar()
    assert name == "kept"
    assert SqlLedger(url, stock=HOST).orders() == {"SO-2": "reserved"}


def test_counts_below_reserved_are_kept_and_reported_as_oversold(
        host: tuple[str, sa.Engine]) -> None:
    url, _engine = host
    ledger = SqlLedger(url, stock=HOST)
    ledger.reserve("SO-1", {"bolt": 6})
    ledger.reserve("SO-2", {"bolt": 3, "nut": 1})
    ledger.adjust("bolt", 7, reason="stock count 2026-12-01")
    assert ledger.available("bolt") == -2          # never clipped
    assert ledger.oversold() == [Oversold("SO-2", "bolt", Fraction(2))]   # oldest served first
    with pytest.raises(InsufficientStock):
        ledger.reserve("SO-3", {"bolt": 1})
    ledger.release("SO-2", {"bolt": 2})
    assert ledger.oversold() == []
    assert ledger.journal()[-2].reason == "stock count 2026-12-01"
    check_invariants(ledger)


def test_locations_transfers_and_issues(database: str) -> None:
    engine = _host_table(database, location=True)
    stock = StockTable("inventory", sku="item_code", on_hand="qty", location="warehouse")
    ledger = SqlLedger(engine, stock=stock)
    ledger.create_tables()
    with pytest.raises(ValidationError, match="location"):
        ledger.reserve("SO-1", {"bolt": 1})
    assert ledger.reserve("SO-1", {"bolt": 8}, location="A")
    with pytest.raises(InsufficientStock):
        ledger.transfer("bolt", 3, "A", "B")       # 2 available at A
    ledger.transfer("bolt", 2, "A", "B")
    assert ledger.on_hand("bolt", location="B") == 6
    assert ledger.on_hand("bolt") == 14
    with pytest.raises(InsufficientStock):
        ledger.issue("bolt", 1, location="A", reason="scrap")  # all of A is held
    ledger.issue("bolt", 1, location="B", reason="scrap")
    ledger.transfer("nut", "0.5", "A", "C")         # a new stock row at C
    assert ledger.available("nut", location="C") == Fraction(1, 2)
    assert ledger.snapshot()["on_hand"] == {"bolt": 13, "nut": Fraction(11, 2)}
    check_invariants(ledger)
    engine.dispose()


# ------------------------------------------------------------------ bad input, named

def test_a_stock_table_or_column_that_does_not_exist_is_named(database: str) -> None:
    engine = _host_table(database)
    for stock, pattern in [
        (StockTable("stok", sku="item_code", on_hand="qty"), "stock table 'stok' does not exist"),
        (StockTable("inventory", sku="sku", on_hand="qty"), "has no column 'sku' .*item_code"),
        (StockTable("inventory", sku="item_code", on_hand="qty", location="wh"),
         "has no column 'wh'"),
        (StockTable("inventory", sku="item_code", on_hand="name"),
         "inventory.name is VARCHAR.* not an exact number"),
    ]:
        ledger = SqlLedger(engine, stock=stock, prefix="bad_")
        ledger.create_tables()
        with pytest.raises(LedgerError, match=pattern):
            ledger.available("bolt")
    engine.dispose()


@pytest.mark.parametrize("qty", ["REAL", "VARCHAR(20)"])
def test_a_non_numeric_or_float_on_hand_column_is_refused(database: str, qty: str) -> None:
    engine = _host_table(database, qty=qty)
    ledger = SqlLedger(engine, stock=HOST)
    ledger.create_tables()
    with pytest.raises(LedgerError, match="not an exact number"):
        ledger.reserve("SO-1", {"bolt": 1})
    engine.dispose()


def test_a_garbage_value_in_the_hosts_column_names_the_sku(database: str) -> None:
    if not database.startswith("sqlite"):
        pytest.skip("only SQLite lets a NUMERIC column hold text")
    engine = _host_table(database)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE inventory SET qty = 'lots' WHERE item_code = 'nut'"))
    ledger = SqlLedger(engine, stock=HOST)
    ledger.create_tables()
    with pytest.raises(LedgerError, match=r"inventory\.qty of SKU 'nut' holds 'lots'"):
        ledger.reserve("SO-1", {"nut": 1})
    engine.dispose()


def test_a_prefix_that_collides_with_host_tables_is_refused(database: str) -> None:
    engine = sa.create_engine(database)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE erp_orders (id INTEGER PRIMARY KEY, customer "
                             "VARCHAR(20))"))
    with pytest.raises(LedgerError, match=r"'erp_orders' exists but is not a jxc_rules ledger "
                                          r"table.*another prefix"):
        SqlLedger(engine, prefix="erp_").create_tables()
    with pytest.raises(LedgerError, match="has a name of the ledger's own tables"):
        SqlLedger(engine, prefix="erp_", stock=StockTable("erp_held", sku="a", on_hand="b")
                  ).create_tables()
    with engine.connect() as conn:  # nothing of ours was created beside the host's table
        names = set(sa.inspect(conn).get_table_names())
    assert names == {"erp_orders"}
    engine.dispose()


def test_tables_not_created_say_how_to_create_them(database: str) -> None:
    ledger = SqlLedger(database)
    with pytest.raises(LedgerError, match=r"call ledger.create_tables\(\) once"):
        ledger.reserve("SO-1", {"bolt": 1})
    ledger.close()


@pytest.mark.parametrize(("order_id", "pattern"), [
    (42, "a string .*'42'"), ("", "1 to 100"), ("x" * 101, "1 to 100"), (" SO-1", "space"),
    ("SO\n1", "printable"),
])
def test_a_foreign_order_id_format_is_named(order_id: Any, pattern: str) -> None:
    ledger = SqlLedger("sqlite://")
    ledger.create_tables()
    ledger.receive("bolt", 5)
    with pytest.raises(ValidationError, match=pattern) as info:
        ledger.reserve(order_id, {"bolt": 1})
    assert info.value.field == "order_id"
    assert ledger.orders() == {}


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"prefix": "1x"}, "prefix"), ({"prefix": "a-b"}, "prefix"),
    ({"lock_timeout": 0}, "lock_timeout"), ({"lock_timeout": float("nan")}, "lock_timeout"),
    ({"retries": -1}, "retries"), ({"stock": "inventory"}, "stock"),
])
def test_bad_options_are_named(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        SqlLedger("sqlite://", **kwargs)
    assert info.value.field == field


def test_bad_binds_are_named() -> None:
    with pytest.raises(ValidationError, match="bind"):
        SqlLedger(3.5)
    with pytest.raises(ValidationError, match="SQLAlchemy URL"):
        SqlLedger("not a url")
    with pytest.raises(LedgerError, match=r"cannot open|install the extra"):
        SqlLedger("nosuchdb+driver://x/y")


def test_quantities_the_hosts_column_cannot_hold_are_refused(host: tuple[str, sa.Engine]) -> None:
    url, _ = host
    ledger = SqlLedger(url, stock=HOST)
    for qty in ["1/3", "0.0001"]:
        with pytest.raises(ValidationError, match=r"inventory.qty can hold exactly \(3"):
            ledger.receive("nut", qty)
    assert ledger.on_hand("nut") == Fraction(11, 2)


def test_partial_release_and_consume_bounds(host: tuple[str, sa.Engine]) -> None:
    url, _ = host
    ledger = SqlLedger(url, stock=HOST)
    ledger.reserve("SO-1", {"bolt": 4, "nut": 2})
    with pytest.raises(ValidationError, match="at most what order 'SO-1' still holds"):
        ledger.consume("SO-1", {"bolt": 5})
    with pytest.raises(UnknownItemError, match="no line for SKU 'oil'"):
        ledger.release("SO-1", {"oil": 1})
    ledger.consume("SO-1", {"bolt": 4})
    ledger.release("SO-1")                           # the rest: the order is done
    assert ledger.orders() == {"SO-1": "consumed"}
    assert ledger.reserve("SO-1", {"bolt": 4, "nut": 2}) is False   # idempotent retry
    with pytest.raises(DuplicateError):
        ledger.reserve("SO-1", {"bolt": 1})
    check_invariants(ledger)


@pytest.mark.parametrize("bind", ["url", "engine"])
def test_a_lock_held_by_another_transaction_times_out_as_ledger_busy(
        host: tuple[str, sa.Engine], bind: str) -> None:
    # a URL: the ledger's own connections get the bound when they connect; a host's engine:
    # set in each transaction of ours (SET LOCAL / set and restore), the host's default kept
    url, engine = host
    if url.startswith("sqlite"):
        pytest.skip("SQLite's busy timeout is covered by the SQLite ledger's own tests")
    ledger = SqlLedger(url if bind == "url" else engine, stock=HOST, lock_timeout=1)
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT qty FROM inventory WHERE item_code = 'bolt' FOR UPDATE"))
        with pytest.raises(LedgerBusy, match="lock_timeout=1"):
            ledger.reserve("SO-1", {"bolt": 1})
        conn.rollback()
    assert ledger.reserve("SO-1", {"bolt": 1})
    assert isinstance(LedgerBusy("x"), JxcRulesError)


def test_without_sqlalchemy_the_error_says_which_extra_to_install(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "sqlalchemy", None)  # as if the extra were not installed
    with pytest.raises(LedgerError, match=r"pip install 'jxc-rules\[sql\]'"):
        SqlLedger("sqlite://")
