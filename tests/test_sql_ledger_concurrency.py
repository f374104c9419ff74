"""SqlLedger under real concurrency and crashes, on SQLite, PostgreSQL and MariaDB.

- 16 processes × 500 random multi-line orders against one stock: every order also takes one
  unit of a scarce SKU, so exactly as many orders succeed as that stock allows; no order is held
  in part; every invariant holds and the journal replays to the state.
- 50 cycles of kill -9 of a process in the middle of reserving, consuming and releasing: after
  each, nothing is partial (every order has all its lines or does not exist) and the invariants
  hold.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import signal
import time
from fractions import Fraction
from typing import Any

from jxc_rules.errors import InsufficientStock
from jxc_rules.reservation import SqlLedger
from jxc_rules.testing.reservation import check_invariants

PROCESSES = 16
ORDERS_PER_PROCESS = 500
SCARCE = 1500
AMPLE = [f"part-{i:02d}" for i in range(30)]
KILL_CYCLES = 50

FORK = mp.get_context("fork")


def _orders(worker: int, n: int) -> list[tuple[str, dict[str, Any]]]:
    rng = random.Random(worker)
    out = []
    for i in range(n):
        lines: dict[str, Any] = {"scarce": 1}
        for sku in rng.sample(AMPLE, rng.randint(1, 5)):
            lines[sku] = rng.choice([1, 2, 3, "0.5", "1/3"])
        out.append((f"W{worker:02d}-{i:04d}", lines))
    return out


def _reserve_all(url: str, worker: int, results: Any) -> None:
    ledger = SqlLedger(url, lock_timeout=60)
    won, lost, other = [], 0, []
    for oid, lines in _orders(worker, ORDERS_PER_PROCESS):
        try:
            if ledger.reserve(oid, lines):
                won.append(oid)
        except InsufficientStock as exc:
            lost += 1
            if set(exc.shortages) != {"scarce"}:  # only the scarce SKU may ever run short
                other.append(dict(exc.shortages))
    ledger.close()
    results.put((worker, won, lost, other))


def _setup(url: str) -> None:
    ledger = SqlLedger(url)
    ledger.create_tables()
    ledger.receive("scarce", SCARCE)
    for sku in AMPLE:
        ledger.receive(sku, 10**6)
    ledger.close()


def test_sixteen_processes_reserve_exactly_what_the_stock_allows(database: str) -> None:
    _setup(database)
    results = FORK.Queue()
    procs = [FORK.Process(target=_reserve_all, args=(database, w, results))
             for w in range(PROCESSES)]
    for p in procs:
        p.start()
    got = [results.get(timeout=600) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    won = [oid for _, w, _, _ in got for oid in w]
    assert len(won) == SCARCE                       # exactly as many as the scarce stock allows
    assert sum(lost for _, _, lost, _ in got) == PROCESSES * ORDERS_PER_PROCESS - SCARCE
    assert [o for *_, other in got for o in other] == []
    ledger = SqlLedger(database)
    snap = check_invariants(ledger)
    assert snap["reserved"]["scarce"] == SCARCE
    assert snap["available"]["scarce"] == 0
    wanted = {oid: lines for w in range(PROCESSES) for oid, lines in
              _orders(w, ORDERS_PER_PROCESS)}
    assert set(snap["orders"]) == set(won)
    for oid in won:                                  # each order whole, never in part
        status, held = snap["orders"][oid]
        assert status == "reserved"
        assert held == {k: Fraction(v) for k, v in wanted[oid].items()}
    assert len(ledger.journal()) == 1 + len(AMPLE) + SCARCE
    ledger.close()


def _churn(url: str, seed: int) -> None:
    """Reserve, consume part, release the rest, forever (until killed)."""
    rng = random.Random(seed)
    ledger = SqlLedger(url, lock_timeout=30)
    i = 0
    while True:
        i += 1
        oid = f"K{seed:03d}-{i:05d}"
        lines = {sku: rng.choice([1, 2, "0.5"]) for sku in rng.sample(AMPLE[:8], 4)}
        try:
            ledger.reserve(oid, lines)
        except InsufficientStock:
            continue
        action = rng.random()
        if action < 0.4:
            first = sorted(lines)[0]
            ledger.consume(oid, {first: lines[first]})
            ledger.release(oid)
        elif action < 0.7:
            ledger.release(oid)


def _settled(ledger: SqlLedger) -> None:
    """Wait until the killed client's last transaction is over on the server.

    A client killed right after sending COMMIT may still have that COMMIT land a moment later;
    ``snapshot()`` and ``journal()`` are two reads, so they are compared once nothing moves.
    """
    previous = None
    for _ in range(50):
        current = (ledger.snapshot(), len(ledger.journal()))
        if current == previous:
            return
        previous = current
        time.sleep(0.1)
    raise AssertionError("the ledger kept changing after its only writer was killed")


def _complete(ledger: SqlLedger) -> None:
    """Every order row has all its lines and the held table equals the open lines."""
    _settled(ledger)
    snap = check_invariants(ledger)
    events = {e.order_id: e for e in ledger.journal() if e.kind == "reserve"}
    for oid, (_status, lines) in snap["orders"].items():
        assert set(lines) == {s for s, _ in events[oid].lines}, oid  # no line missing


def test_kill_minus_nine_mid_transaction_leaves_nothing_partial(database: str) -> None:
    ledger = SqlLedger(database)
    ledger.create_tables()
    for sku in AMPLE[:8]:
        ledger.receive(sku, 10**5)
    ledger.close()
    rng = random.Random(7)
    for cycle in range(KILL_CYCLES):
        proc = FORK.Process(target=_churn, args=(database, cycle))
        proc.start()
        time.sleep(rng.uniform(0.05, 0.25))
        assert proc.pid is not None
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(timeout=30)
        assert proc.exitcode == -signal.SIGKILL
        after = SqlLedger(database, lock_timeout=30)
        _complete(after)
        after.close()
