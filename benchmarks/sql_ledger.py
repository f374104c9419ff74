"""SqlLedger throughput beside a naive row-lock loop, per backend, in one run.

    python benchmarks/sql_ledger.py                  # 50-line orders, 1 and 8 processes
    python benchmarks/sql_ledger.py --orders 200 --lines 50 --backends postgresql --batch 200

Each process reserves its share of random 50-line orders (SKUs drawn from 2,000, ample stock)
on a fresh schema/database of each backend. "naive" is the loop a host writes the usual way: per
line ``SELECT … FOR UPDATE`` then ``UPDATE stock SET reserved = reserved + ?``, one ``INSERT``
per order line, in the order the lines come, retrying on deadlock. After each run the totals are
checked: reserved per SKU equals the sum over the orders that succeeded (no lost update).
``reserve`` columns: one order a transaction; ``reserve_many(B)``: an order feed reserving B
orders a transaction (each order still all or nothing, as if reserved one by one).
Not a unit test: timings go in the table, never into assertions.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from jxc_rules.reservation import SqlLedger

SERVERS = {
    "sqlite": None,
    "postgresql": os.environ.get("JXC_PG_URL",
                                 "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    "mariadb": os.environ.get("JXC_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test"),
}
SKUS = [f"sku-{i:05d}" for i in range(2000)]
FORK = mp.get_context("fork")


def orders(worker: int, n: int, lines: int) -> list[tuple[str, dict[str, int]]]:
    rng = random.Random(worker)
    return [(f"B{worker:02d}-{i:05d}", {s: rng.randint(1, 3) for s in rng.sample(SKUS, lines)})
            for i in range(n)]


def fresh(backend: str, tmp: Path) -> tuple[str, Callable[[], None]]:
    if backend == "sqlite":
        path = tmp / f"bench-{uuid.uuid4().hex[:8]}.db"
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)
    base = sa.make_url(SERVERS[backend])  # type: ignore[arg-type]
    name = f"jxc_b_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if backend == "postgresql":
            conn.execute(sa.text(f"CREATE SCHEMA {name}"))
            url = base.update_query_dict({"options": f"-csearch_path={name}"})
        else:
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
            url = base.set(database=name)

    def drop() -> None:
        with admin.connect() as c:
            c.execute(sa.text(f"DROP SCHEMA {name} CASCADE" if backend == "postgresql"
                              else f"DROP DATABASE {name}"))
        admin.dispose()

    return url.render_as_string(hide_password=False), drop


# ---------------------------------------------------------------- ours
def setup_ours(url: str) -> None:
    ledger = SqlLedger(url)
    ledger.create_tables()
    engine = sa.create_engine(url)
    stock = ledger._tables["stock"]  # bulk opening stock (receive() per SKU is one call each)
    with engine.begin() as conn:
        conn.execute(stock.insert(), [{"sku": s, "location": "", "on_hand": "1000000"}
                                      for s in SKUS])
    engine.dispose()
    ledger.close()


def run_ours(url: str, worker: int, n: int, lines: int, out: Any, size: int = 1) -> None:
    ledger = SqlLedger(url, lock_timeout=120)
    batch = orders(worker, n, lines)
    start = time.perf_counter()
    if size == 1:
        for oid, req in batch:
            ledger.reserve(oid, req)
    else:  # an order feed: reserve_many of `size` orders a transaction
        for i in range(0, len(batch), size):
            outcomes = ledger.reserve_many(batch[i:i + size])
            assert all(v is True for v in outcomes.values()), outcomes
    out.put(time.perf_counter() - start)
    ledger.close()


def check_ours(url: str, all_orders: list[tuple[str, dict[str, int]]]) -> None:
    ledger = SqlLedger(url)
    want: dict[str, int] = {}
    for _, req in all_orders:
        for s, q in req.items():
            want[s] = want.get(s, 0) + q
    snap = ledger.snapshot()
    got = {s: int(v) for s, v in snap["reserved"].items() if v}
    assert got == want, "lost update in SqlLedger"
    ledger.close()


# ---------------------------------------------------------------- naive
def setup_naive(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE nstock (sku VARCHAR(40) PRIMARY KEY, on_hand INTEGER "
                             "NOT NULL, reserved INTEGER NOT NULL)"))
        conn.execute(sa.text("CREATE TABLE nlines (order_id VARCHAR(40), sku VARCHAR(40), "
                             "qty INTEGER)"))
        conn.execute(sa.text("INSERT INTO nstock VALUES (:s, 1000000, 0)"),
                     [{"s": s} for s in SKUS])
    engine.dispose()


def run_naive(url: str, worker: int, n: int, lines: int, out: Any) -> None:
    engine = sa.create_engine(url, connect_args={"timeout": 120} if url.startswith("sqlite")
                              else {})
    sel = sa.text("SELECT on_hand, reserved FROM nstock WHERE sku = :s"
                  + ("" if url.startswith("sqlite") else " FOR UPDATE"))
    upd = sa.text("UPDATE nstock SET reserved = reserved + :q WHERE sku = :s")
    ins = sa.text("INSERT INTO nlines VALUES (:o, :s, :q)")
    batch = orders(worker, n, lines)
    start = time.perf_counter()
    for oid, req in batch:
        while True:
            try:
                with engine.begin() as conn:
                    if url.startswith("sqlite"):
                        conn.execute(sa.text("UPDATE nstock SET sku = sku WHERE 0"))
                    for s, q in req.items():
                        on, res = conn.execute(sel, {"s": s}).one()
                        if on - res < q:
                            raise RuntimeError("short")
                        conn.execute(upd, {"q": q, "s": s})
                    for s, q in req.items():
                        conn.execute(ins, {"o": oid, "s": s, "q": q})
                break
            except sa.exc.DBAPIError as exc:  # deadlock: retry, as the usual loop does
                if "deadlock" not in str(exc).lower() and "locked" not in str(exc).lower():
                    raise
    out.put(time.perf_counter() - start)
    engine.dispose()


def check_naive(url: str, all_orders: list[tuple[str, dict[str, int]]]) -> None:
    engine = sa.create_engine(url)
    want: dict[str, int] = {}
    for _, req in all_orders:
        for s, q in req.items():
            want[s] = want.get(s, 0) + q
    with engine.connect() as conn:
        got = {s: r for s, r in conn.execute(sa.text("SELECT sku, reserved FROM nstock"))
               if r}
    engine.dispose()
    assert got == want, "lost update in the naive loop"


def measure(backend: str, kind: str, procs: int, n: int, lines: int, tmp: Path,
            size: int = 1) -> float:
    url, drop = fresh(backend, tmp)
    try:
        (setup_ours if kind == "ours" else setup_naive)(url)
        out = FORK.Queue()
        target = run_ours if kind == "ours" else run_naive
        share = max(1, n // procs)
        extra = (size,) if kind == "ours" else ()
        ps = [FORK.Process(target=target, args=(url, w, share, lines, out, *extra))
              for w in range(procs)]
        wall = time.perf_counter()
        for p in ps:
            p.start()
        for _ in ps:
            out.get(timeout=3600)
        for p in ps:
            p.join()
        wall = time.perf_counter() - wall
        done = [o for w in range(procs) for o in orders(w, share, lines)]
        (check_ours if kind == "ours" else check_naive)(url, done)
        return len(done) / wall
    finally:
        drop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=400, help="orders per run (400)")
    ap.add_argument("--lines", type=int, default=50, help="lines per order (50)")
    ap.add_argument("--backends", default="sqlite,postgresql,mariadb")
    ap.add_argument("--processes", default="1,8")
    ap.add_argument("--batch", default="50,200",
                    help="orders per reserve_many call, one column each (50,200)")
    args = ap.parse_args(argv)
    tmp = Path(os.environ.get("TMPDIR", "/tmp"))
    sizes = [int(b) for b in args.batch.split(",") if b]
    heads = [f"reserve_many({b}) orders/s" for b in sizes]
    print(f"{'backend':<11} {'procs':>5} {'reserve orders/s':>17} "
          + " ".join(f"{h:>27}" for h in heads)
          + f" {'naive orders/s':>15} {'ratios vs naive':>16}")
    for backend in args.backends.split(","):
        for procs in (int(p) for p in args.processes.split(",")):
            ours = measure(backend, "ours", procs, args.orders, args.lines, tmp)
            # batches: 4x the orders (at least 4 batches a process), so a run lasts long enough
            many = [measure(backend, "ours", procs, max(args.orders * 4, 4 * b * procs),
                            args.lines, tmp, size=b) for b in sizes]
            naive = measure(backend, "naive", procs, args.orders, args.lines, tmp)
            print(f"{backend:<11} {procs:>5} {ours:>17,.0f} "
                  + " ".join(f"{m:>27,.0f}" for m in many) + f" {naive:>15,.0f} "
                  + " · ".join(f"{r / naive:.1f}×" for r in (ours, *many)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
