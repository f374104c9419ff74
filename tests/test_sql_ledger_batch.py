"""``SqlLedger.reserve_many``: a batch of orders in one transaction, each all or nothing.

The oracle is the in-memory ``Ledger`` reserving the same orders one by one: every outcome
(reserved, already held, refused with the same error and shortages) and the final state agree,
on SQLite, PostgreSQL and MariaDB. Refused orders leave nothing; a host transaction that rolls
back after a batch leaves no reservation and no journal row; bad input names ``orders[i]``.
"""

from __future__ import annotations

import contextlib
import itertools
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jxc_rules.errors import (
    DuplicateError,
    InsufficientStock,
    JxcRulesError,
    UnknownItemError,
    ValidationError,
)
from jxc_rules.reservation import Ledger, SqliteLedger, SqlLedger, StockTable
from jxc_rules.testing.reservation import check_invariants

SKUS = ["bolt", "nut", "oil", "gear"]  # "gear" has no stock row: an unknown SKU
STOCK = {"bolt": 10, "nut": Fraction(11, 2), "oil": 3}

quantities = st.one_of(st.integers(1, 6), st.sampled_from([Fraction(1, 2), Fraction(5, 4)]))
order_lines = st.dictionaries(st.sampled_from(SKUS), quantities, min_size=1, max_size=3)
batches = st.lists(st.tuples(st.sampled_from([f"SO-{i}" for i in range(6)]), order_lines),
                   min_size=1, max_size=8)


def _oracle(batch: list[tuple[str, dict[str, Any]]]) -> tuple[dict[str, Any], Ledger]:
    """What reserving the batch one order at a time gives (the last outcome per id)."""
    ledger = Ledger(STOCK)
    out: dict[str, Any] = {}
    for oid, req in batch:
        try:
            out[oid] = ledger.reserve(oid, req)
        except JxcRulesError as exc:
            out[oid] = exc
    return out, ledger


def _same_outcome(got: bool | JxcRulesError, want: Any) -> None:
    if isinstance(want, JxcRulesError):
        assert type(got) is type(want), (got, want)
        if isinstance(want, InsufficientStock):
            assert isinstance(got, InsufficientStock)
            assert got.shortages == want.shortages
    else:
        assert got is want


def _agree(ledger: Any, oracle: Any, ids: list[str], got: dict[str, Any],
           want: dict[str, Any]) -> None:
    """One outcome per id in input order (a repeated id's is the later call's, as one by
    one), each the oracle's, and the same stock and orders afterwards."""
    assert list(got) == list(dict.fromkeys(ids))
    for oid, outcome in got.items():
        _same_outcome(outcome, want[oid])
    for sku in STOCK:
        assert ledger.reserved(sku) == oracle.reserved(sku), sku
        assert ledger.available(sku) == oracle.available(sku), sku
        assert ledger.on_hand(sku) == oracle.on_hand(sku), sku
    assert ledger.orders() == oracle.orders()


_prefixes = (f"b{i}_" for i in itertools.count())


def test_a_batch_equals_the_orders_reserved_one_by_one(database: str) -> None:
    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
    @given(batch=batches)
    def check(batch: list[tuple[str, dict[str, Any]]]) -> None:
        ledger = SqlLedger(database, prefix=next(_prefixes))
        ledger.create_tables()
        for sku, q in STOCK.items():
            ledger.receive(sku, q)
        want, oracle = _oracle(batch)
        got = ledger.reserve_many(batch)
        _agree(ledger, oracle, [oid for oid, _ in batch], got, want)
        check_invariants(ledger)  # the journal replays to the state
        ledger.close()

    check()


def test_refused_orders_leave_nothing_and_the_others_are_held(database: str) -> None:
    ledger = SqlLedger(database)
    ledger.create_tables()
    for sku, q in STOCK.items():
        ledger.receive(sku, q)
    ledger.reserve("OLD", {"oil": 1})
    got = ledger.reserve_many([
        ("A", {"bolt": 4, "nut": "2.5"}),
        ("B", {"bolt": 7}),                 # 6 left after A: short by 1
        ("C", {"gear": 1}),                 # no stock row
        ("OLD", {"oil": 2}),                # the id holds other lines
        ("OLD", {"oil": 1}),                # exactly its lines: already held
        ("D", {"bolt": 6, "oil": 2}),       # what is left, exactly
    ])
    assert got["A"] is True
    assert got["D"] is True
    assert isinstance(got["B"], InsufficientStock)
    assert got["B"].shortages == {"bolt": 1}
    assert isinstance(got["C"], UnknownItemError)
    # the later outcome of a repeated id wins, as if reserved one by one
    assert got["OLD"] is False
    assert ledger.available("bolt") == 0
    assert ledger.available("oil") == 0
    assert "B" not in ledger.orders()
    assert "C" not in ledger.orders()
    assert [e.order_id for e in ledger.journal() if e.kind == "reserve"] == ["OLD", "A", "D"]
    check_invariants(ledger)


def test_a_duplicate_id_with_other_lines_in_one_batch_is_refused(database: str) -> None:
    ledger = SqlLedger(database)
    ledger.create_tables()
    ledger.receive("bolt", 10)
    got = ledger.reserve_many([("A", {"bolt": 2}), ("A", {"bolt": 3})])
    assert isinstance(got["A"], DuplicateError)
    assert ledger.order("A") == {"bolt": 2}
    assert ledger.reserved("bolt") == 2


def test_a_refused_order_then_reserved_with_other_lines_keeps_only_those(database: str
                                                                          ) -> None:
    # on PostgreSQL the batch's orders are written before the stock rows are locked, then
    # taken back when refused: the later entry of the same id must be what is kept
    ledger = SqlLedger(database)
    ledger.create_tables()
    ledger.receive("bolt", 10)
    ledger.receive("nut", 2)
    got = ledger.reserve_many([("A", {"bolt": 11}), ("B", {"gear": 1}), ("A", {"bolt": 3}),
                               ("C", {"nut": 3})])
    assert got["A"] is True
    assert isinstance(got["B"], UnknownItemError)
    assert isinstance(got["C"], InsufficientStock)
    assert ledger.order("A") == {"bolt": 3}
    assert ledger.held("A") == {"bolt": 3}
    assert set(ledger.orders()) == {"A"}
    assert [(e.kind, e.order_id) for e in ledger.journal()
            if e.order_id is not None] == [("reserve", "A")]
    check_invariants(ledger)


@pytest.mark.parametrize("first_commits", [True, False])
def test_a_batch_waits_for_a_transaction_holding_the_same_order_id(
        database: str, first_commits: bool) -> None:
    """A host transaction has reserved X and not committed; a batch with X (same lines) and Y
    waits for it, then finds X held (commit) or reserves it itself (rollback)."""
    import threading

    engine = sa.create_engine(database)
    SqlLedger(engine).create_tables()
    setup = SqlLedger(engine)
    setup.receive("bolt", 10)
    setup.receive("nut", 10)
    result: dict[str, Any] = {}
    with engine.connect() as conn:
        trans = conn.begin()
        assert SqlLedger(conn).reserve("X", {"bolt": 2}) is True
        other = SqlLedger(database, lock_timeout=30)

        def batch() -> None:
            try:
                result.update(other.reserve_many([("X", {"bolt": 2}), ("Y", {"nut": 1})]))
            except JxcRulesError as exc:  # pragma: no cover - reported by the assertion
                result["error"] = exc

        worker = threading.Thread(target=batch)
        worker.start()
        worker.join(0.5)
        assert worker.is_alive(), result  # it waits for the host's transaction
        (trans.commit if first_commits else trans.rollback)()
        worker.join(30)
        assert not worker.is_alive()
    assert result == {"X": not first_commits, "Y": True}
    after = SqlLedger(engine)
    assert after.orders() == {"X": "reserved", "Y": "reserved"}
    assert after.reserved("bolt") == 2
    assert [e.order_id for e in after.journal() if e.kind == "reserve"].count("X") == 1
    check_invariants(after)
    other.close()
    after.close()
    setup.close()
    engine.dispose()


def test_a_host_transaction_rolled_back_after_a_batch_leaves_nothing(database: str) -> None:
    engine = sa.create_engine(database)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE inventory (item_code VARCHAR(40) PRIMARY KEY, "
                             "qty NUMERIC(14,3) NOT NULL)"))
        conn.execute(sa.text("INSERT INTO inventory VALUES ('bolt', 10), ('nut', 5.5)"))
    stock = StockTable("inventory", sku="item_code", on_hand="qty")
    SqlLedger(engine, stock=stock).create_tables()
    with engine.connect() as conn:
        trans = conn.begin()
        ledger = SqlLedger(conn, stock=stock)
        got = ledger.reserve_many({"A": {"bolt": 3}, "B": {"nut": "5.5"}})
        assert got == {"A": True, "B": True}
        assert ledger.reserved("nut") == Fraction(11, 2)
        trans.rollback()
    after = SqlLedger(engine, stock=stock)
    assert after.orders() == {}
    assert after.journal() == []
    assert after.reserved("bolt") == 0
    assert after.available("nut") == Fraction(11, 2)
    engine.dispose()


def test_bad_input_names_the_order_and_changes_nothing() -> None:
    ledger = SqlLedger("sqlite://")
    ledger.create_tables()
    ledger.receive("bolt", 10)
    with pytest.raises(ValidationError, match=r"orders\[1\]"):
        ledger.reserve_many([("A", {"bolt": 1}), (17, {"bolt": 1})])
    with pytest.raises(ValidationError, match=r"orders\[0\]"):
        ledger.reserve_many([("A", {"bolt": "-1"})])
    with pytest.raises(ValidationError, match=r"orders\[0\].*pair"):
        ledger.reserve_many(["A"])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="split the batch"):
        ledger.reserve_many([(f"O{i}", {"bolt": 1}) for i in range(10_001)])
    many_lines = {f"s{j}": 1 for j in range(201)}  # 1,000 orders x 201 lines > 200,000
    with pytest.raises(ValidationError, match="lines a call"):
        ledger.reserve_many([(f"O{i}", many_lines) for i in range(1_000)])
    assert ledger.orders() == {}
    assert ledger.reserved("bolt") == 0
    assert ledger.reserve_many([]) == {}


@pytest.mark.parametrize("kind", ["memory", "sqlite-file"])
def test_the_other_ledgers_have_the_same_batch_contract(kind: str, tmp_path: Path) -> None:
    ledger: Any = (Ledger({"bolt": 5}) if kind == "memory"
                   else SqliteLedger(str(tmp_path / "l.db"), {"bolt": 5}))
    got = ledger.reserve_many({"A": {"bolt": 3}, "B": {"bolt": 3}, "C": {"gear": 1}})
    assert got["A"] is True
    assert isinstance(got["B"], InsufficientStock)
    assert got["B"].shortages == {"bolt": 1}
    assert isinstance(got["C"], UnknownItemError)
    assert ledger.reserved("bolt") == 3
    assert set(ledger.orders()) == {"A"}
    with pytest.raises(ValidationError, match=r"orders\[0\]"):
        ledger.reserve_many([("", {"bolt": 1})])
    check_invariants(ledger)
    # release_many: the same contract as SqlLedger's
    assert ledger.reserve("D", {"bolt": 1}) is True
    assert ledger.consume("D") is True
    before = ledger.snapshot()
    with pytest.raises(ValidationError, match=r"order_ids\[1\]"):
        ledger.release_many(["A", ""])
    with pytest.raises(ValidationError, match="not one string"):
        ledger.release_many("A")
    with pytest.raises(ValidationError, match="split the batch"):
        ledger.release_many(f"O{i}" for i in range(10_001))
    assert ledger.snapshot() == before
    got = ledger.release_many(["A", "NOPE", "D", "A"])
    assert list(got) == ["A", "NOPE", "D"]
    assert isinstance(got["A"], UnknownItemError)  # released, then unknown: the later outcome
    assert isinstance(got["NOPE"], UnknownItemError)
    assert isinstance(got["D"], ValidationError)    # consumed: nothing is held
    assert ledger.reserved("bolt") == 0
    assert ledger.available("bolt") == 4
    assert set(ledger.orders()) == {"D"}
    assert [e.kind for e in ledger.journal()][-1] == "release"
    check_invariants(ledger)


# ------------------------------------------------------------------ release_many
release_ids = st.lists(st.sampled_from([f"SO-{i}" for i in range(6)] + ["NOPE"]), min_size=1,
                       max_size=8)


def _same_ops(ledger: Any, batch: list[tuple[str, dict[str, Any]]], shipped: set[str]) -> None:
    """Reserve the batch one by one, then ship half of the first line of each ``shipped``
    order (all of it when the order has one unit: the order is then consumed)."""
    for oid, req in batch:
        with contextlib.suppress(JxcRulesError):
            ledger.reserve(oid, req)
    for oid in sorted(shipped):
        if oid not in ledger.orders():
            continue
        sku, held = sorted(ledger.held(oid).items())[0]
        ledger.consume(oid, {sku: held if held <= 1 else held / 2})


def test_release_many_equals_releases_one_by_one(database: str) -> None:
    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
    @given(batch=batches, shipped=st.sets(st.sampled_from([f"SO-{i}" for i in range(6)])),
           ids=release_ids)
    def check(batch: list[tuple[str, dict[str, Any]]], shipped: set[str],
              ids: list[str]) -> None:
        # the oracle: the same ledger kind releasing one order per call
        ledger, oracle = (SqlLedger(database, prefix=next(_prefixes)) for _ in range(2))
        for led in (ledger, oracle):
            led.create_tables()
            for sku, q in STOCK.items():
                led.receive(sku, q)
        _same_ops(ledger, batch, shipped)
        _same_ops(oracle, batch, shipped)
        want: dict[str, Any] = {}
        for oid in ids:
            try:
                oracle.release(oid)
                want[oid] = True
            except JxcRulesError as exc:
                want[oid] = exc
        got = ledger.release_many(ids)
        _agree(ledger, oracle, ids, got, want)
        for oid in oracle.orders():
            assert ledger.held(oid) == oracle.held(oid), oid
        check_invariants(ledger)  # the journal replays to the state
        ledger.close()
        oracle.close()

    check()


def test_release_many_bad_id_names_it_and_changes_nothing(database: str) -> None:
    ledger = SqlLedger(database)
    ledger.create_tables()
    ledger.receive("bolt", 10)
    ledger.reserve("A", {"bolt": 4})
    before = ledger.snapshot()
    with pytest.raises(ValidationError, match=r"order_ids\[1\]") as info:
        ledger.release_many(["A", ""])
    assert info.value.field == "order_ids[1]"
    with pytest.raises(ValidationError, match="split the batch"):
        ledger.release_many(["A"] * 10_001)
    assert ledger.snapshot() == before
    assert ledger.release_many([]) == {}
    assert ledger.release_many(["A"]) == {"A": True}
    assert ledger.available("bolt") == 10
    assert ledger.orders() == {}
