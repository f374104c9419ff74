"""Group commit: the reservation writes that arrive together share one database transaction.

Why
---
A 50-line reservation costs the database a lock round, a handful of statements and a commit;
the service's own bookkeeping (the idempotency record: a read, an insert, an update) adds as
many again. Under concurrent clients those fixed costs, paid once per request, are what caps
throughput and makes tail latency grow with the queue. Databases solve the same problem for
their log with *group commit*; this module does it one level up.

How
---
Leader/follower, no extra thread: a request thread that finds no batch running becomes the
leader, takes every write queued so far (up to ``max_ops`` / ``max_lines``), runs them in
**one transaction** and commits once; the requests that queued while it ran wait on their own
event, and when the leader is done it hands leadership to the first of them. One transaction
does, in this order:

1. the idempotency records of all keyed requests: one ``SELECT`` (stored answers are replayed
   as before) and one ``INSERT`` of the new keys;
2. on PostgreSQL/MariaDB, the stock rows of the whole batch locked once, in (SKU, location)
   order — so two batches (two workers) cannot deadlock on each other;
3. whole releases as one :meth:`SqlLedger.release_many`; partial releases, consumes and
   writes whose token is limited to some SKUs or locations (their scope is checked against
   the order's stored lines) each alone in a savepoint — one that fails leaves the others
   untouched;
4. reservations, grouped by location into :meth:`SqlLedger.reserve_many` (each order all or
   nothing, in arrival order, as if reserved one by one);
5. the answers into the idempotency records (one ``executemany``), then the commit.

The requests of a batch were all in flight at once, so any order among them is a valid order
of events (nobody can have seen the outcome of one before another was sent); releases go
first because they only add availability.

Nothing changes for the client: the same status codes and bodies, the same idempotency
guarantees (the answer is stored in the transaction that makes the change). When the batch
transaction itself fails (a deadlock with a host's own transaction, a lock timeout, a lost
connection) it rolls back as one and every request in it runs again alone, on the one-request
path (``jxc_rules.service.routes.reservation._Call.alone``), which retries and answers 503 as it
always did. Two requests with the same idempotency key in one batch: the second waits for the
next batch and replays the first's answer.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import attrs

__all__ = ["FALLBACK", "GroupCommit", "Write"]

#: the result of a write the batch could not decide: run it on the one-request path
FALLBACK: Any = object()


@attrs.define(eq=False)
class Write:
    """One queued reservation write and, once decided, its answer ``(status, body)``."""

    kind: str  #: "reserve", "release" or "consume"
    token: str
    key: str | None
    digest: str
    #: the one-request body: ``fn(ledger) -> (status, body)`` (raises library errors)
    fn: Callable[[Any], tuple[int, Any]]
    #: how a library error of this write becomes an answer: ``(exc) -> (status, body)`` or
    #: ``None`` when it is not an answer (a 5xx: the whole batch falls back)
    answer_error: Callable[[Exception], tuple[int, Any] | None]
    #: the order the write acts on (a batch holds at most one write per order id)
    order_id: str
    lines: int = 1
    #: reserve only: (lines, location) for SqlLedger.reserve_many, and the answer to its
    #: outcome (True: reserved now, False: already held with these lines)
    order: tuple[Any, str] | None = None
    on_reserved: Callable[[bool], tuple[int, Any]] | None = None
    #: a whole release (no lines, no scope to check): the answer to what the order still
    #: holds afterwards, for SqlLedger.release_many
    on_released: Callable[[dict[str, Any]], tuple[int, Any]] | None = None
    result: Any = None  #: (status, body, replayed) | FALLBACK | Exception
    done: bool = False
    lead: bool = False
    event: threading.Event = attrs.field(factory=threading.Event)
    #: an async submitter's loop and future (woken through the loop, not the event)
    loop: Any = None
    future: Any = None


def _wake(w: Write) -> None:
    """Tell ``w``'s submitter that its write is decided or that it leads now."""
    if w.loop is None:
        w.event.set()
    else:
        w.loop.call_soon_threadsafe(_resolve, w.future)


def _resolve(future: Any) -> None:
    if not future.done():
        future.set_result(None)


class GroupCommit:
    """Run concurrent :class:`Write` s in shared transactions (see the module docstring).

    ``begin()`` gives a context manager yielding a connection in a transaction (committed on a
    clean exit); ``bound(conn)`` the ledger working inside it; ``idempotency`` the table.
    """

    def __init__(self, *, begin: Callable[[], Any], bound: Callable[[Any], Any],
                 idempotency: Any, now: Callable[[], Any], max_ops: int = 64,
                 max_lines: int = 50_000, write_locked: bool = False) -> None:
        import sqlalchemy as sa

        self._begin = begin
        #: ``begin()`` takes the database's write lock itself (SQLite ``BEGIN IMMEDIATE``)
        self.write_locked = write_locked
        self._bound = bound
        self._now = now
        idem = idempotency
        # the three statements of the idempotency records, built once
        self._stored = sa.select(idem.c.token, idem.c.key, idem.c.request_hash, idem.c.status,
                                 idem.c.body).where(sa.tuple_(idem.c.token, idem.c.key).in_(
                                     sa.bindparam("jxc_pairs", expanding=True)))
        self._insert = idem.insert()
        self._answer = (idem.update().where(idem.c.token == sa.bindparam("k_token"),
                                            idem.c.key == sa.bindparam("k_key"))
                        .values(status=sa.bindparam("status"), body=sa.bindparam("body")))
        self.max_ops = max_ops
        self.max_lines = max_lines
        self._mu = threading.Lock()
        self._queue: list[Write] = []
        self._busy = False
        self._tasks: set[Any] = set()  # the shielded waits of async submitters
        #: counters for tests and the benchmark: writes submitted, batches run, writes in
        #: them, batches that fell back to one write at a time
        self.submitted = 0
        self.batches = 0
        self.writes = 0
        self.fallbacks = 0

    # ------------------------------------------------------------------ queueing
    def _enqueue(self, w: Write) -> bool:
        """Queue ``w``; True when it is to lead (no batch is running)."""
        with self._mu:
            self._queue.append(w)
            self.submitted += 1
            lead = not self._busy
            self._busy = True
        return lead

    def submit(self, w: Write) -> Any:
        """Queue ``w``, wait for its batch (leading one if none runs), return its result."""
        if not self._enqueue(w):
            w.event.wait()
            if w.done:
                return w.result
            assert w.lead  # handed leadership: w is at the head of the queue
        return self._lead(w)

    async def submit_async(self, w: Write) -> Any:
        """:meth:`submit` for a request on the event loop: it waits without holding a worker
        thread (only a leader runs in one). Shielded: a request cancelled while it waits (the
        service's time limit) leaves its write to be decided and, if handed leadership, led."""
        import asyncio

        task = asyncio.ensure_future(self._submit_async(w))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return await asyncio.shield(task)

    async def _submit_async(self, w: Write) -> Any:
        import asyncio

        from starlette.concurrency import run_in_threadpool

        w.loop = asyncio.get_running_loop()
        w.future = w.loop.create_future()
        if not self._enqueue(w):
            await w.future
            if w.done:
                return w.result
            assert w.lead
        return await run_in_threadpool(self._lead, w)

    def _lead(self, w: Write) -> Any:
        """Run batches from the head of the queue until ``w``'s is done; then hand leadership
        to the first write still waiting, or end it."""
        while True:
            batch = self._take()
            try:
                self._run(batch)
            except BaseException as exc:  # pragma: no cover - _run answers everything
                for x in batch:
                    if not x.done:
                        x.result, x.done = exc, True
            finally:
                for x in batch:
                    if x is not w:
                        _wake(x)
            if w.done:
                break
        with self._mu:
            if self._queue:
                nxt = self._queue[0]
                nxt.lead = True
                _wake(nxt)
            else:
                self._busy = False
        return w.result

    def _take(self) -> list[Write]:
        """The next batch from the head of the queue: bounded, one write per idempotency key
        and per order id (a later one waits for the next batch, as if it came after)."""
        with self._mu:
            batch: list[Write] = []
            keys: set[tuple[str, str]] = set()
            oids: set[str] = set()
            lines = 0
            rest: list[Write] = []
            for x in self._queue:
                full = len(batch) >= self.max_ops or (batch and lines + x.lines > self.max_lines)
                k = None if x.key is None else (x.token, x.key)
                if full or (k is not None and k in keys) or x.order_id in oids:
                    rest.append(x)
                    continue
                if k is not None:
                    keys.add(k)
                oids.add(x.order_id)
                batch.append(x)
                lines += x.lines
            self._queue[:] = rest
            for x in batch:
                x.lead = False
            return batch

    # ------------------------------------------------------------------ one batch
    def _run(self, batch: list[Write]) -> None:
        try:
            with self._begin() as conn:
                self._decide(conn, batch)
        except Exception:
            # the batch's transaction rolled back as a whole: what it decided is undone, so
            # every write of it runs again on its own (which retries and answers 503 itself)
            for x in batch:
                x.result, x.done = FALLBACK, True
            self.fallbacks += 1
            return
        self.batches += 1
        self.writes += len(batch)
        for x in batch:
            x.done = True

    def _decide(self, conn: Any, batch: list[Write]) -> None:
        keyed = [x for x in batch if x.key is not None]
        todo = batch
        if keyed:
            pairs = [(x.token, x.key) for x in keyed]
            stored = {(str(r[0]), str(r[1])): r[2:]
                      for r in conn.execute(self._stored, {"jxc_pairs": pairs})}
            todo = []
            for x in batch:
                row = None if x.key is None else stored.get((x.token, x.key))
                if row is None:
                    todo.append(x)
                elif row[0] != x.digest:
                    x.result = _mismatch(x.key)
                else:
                    x.result = (int(row[1]), json.loads(row[2]), True)
            new = [{"token": x.token, "key": x.key, "request_hash": x.digest, "status": 0,
                    "body": "", "at": self._now()} for x in todo if x.key is not None]
            if new:
                conn.execute(self._insert, new)
        if not todo:
            return
        led = self._bound(conn)
        restore = led._batch_begin(conn, write_locked=self.write_locked)
        try:
            self._ledger_writes(led, conn, todo)
        finally:
            if restore is not None:
                restore()
        answers = [{"k_token": x.token, "k_key": x.key, "status": x.result[0],
                    "body": json.dumps(x.result[1], ensure_ascii=False)}
                   for x in todo if x.key is not None]
        if answers:
            conn.execute(self._answer, answers)

    def _ledger_writes(self, led: Any, conn: Any, todo: list[Write]) -> None:
        stock = _lock_stock(led, conn, todo) if led.dialect != "sqlite" else None
        takes = [x for x in todo if x.order is None]
        whole = [x for x in takes if x.on_released is not None]
        for x in takes:
            if x.on_released is None:
                x.result = _one(led, x)
                stock = None  # a consume may have changed on-hand: reservations read it again
        if whole:
            left = led._release_all(conn, [x.order_id for x in whole],
                                    None if stock is None else set(stock))
            for x in whole:
                assert x.on_released is not None
                x.result = _outcome(x, left[x.order_id], x.on_released)
        by_loc: dict[str, list[Write]] = {}
        for x in todo:
            if x.order is not None:
                by_loc.setdefault(x.order[1], []).append(x)
        for loc, group in by_loc.items():
            _reserve_group(led, conn, loc, group, stock)


def _mismatch(key: str | None) -> Exception:
    from jxc_rules.service.problems import Problem

    return Problem(409, "idempotency-mismatch", f"Idempotency-Key {key!r} was used for a "
                   "different request; use a new key for a new request",
                   field="Idempotency-Key")


def _outcome(x: Write, got: Any, answer: Callable[[Any], tuple[int, Any]]
             ) -> tuple[int, Any, bool]:
    """A batch call's outcome for ``x`` as its answer: the error's (re-raised when it is no
    answer: the batch then falls back) or ``answer(got)``."""
    if isinstance(got, Exception):
        ans = x.answer_error(got)
        if ans is None:
            raise got
        return ans[0], ans[1], False
    return (*answer(got), False)


def _one(led: Any, x: Write) -> tuple[int, Any, bool]:
    """A write run alone inside the batch's transaction (the ledger gives it a savepoint)."""
    try:
        status, body = x.fn(led)
    except Exception as exc:
        ans = x.answer_error(exc)
        if ans is None:
            raise
        return ans[0], ans[1], False
    return status, body, False


def _reserve_group(led: Any, conn: Any, loc: str, group: list[Write],
                   stock: dict[tuple[str, str], Any] | None) -> None:
    """The reservations of one location as one ``reserve_many``; each alone when it refuses
    them as a batch (bad input names ``orders[i]``: each then gets its own error)."""
    from jxc_rules.errors import JxcRulesError, LedgerError

    orders = [(x.order_id, x.order[0]) for x in group if x.order is not None]
    try:
        outcome = led._batch_reserve(conn, orders, loc or None, stock)
    except LedgerError:
        raise
    except JxcRulesError:
        for x in group:
            x.result = _one(led, x)
        return
    for x in group:
        assert x.on_reserved is not None
        x.result = _outcome(x, outcome[x.order_id], x.on_reserved)


def _lock_stock(led: Any, conn: Any, todo: list[Write]) -> dict[tuple[str, str], Any]:
    """Lock the stock rows of every write of the batch at once, in key order (the order every
    ledger call takes them): batches of two workers then queue instead of deadlocking. Returns
    their on-hand (what the batch's reservations then read instead of reading it again)."""
    keys: set[tuple[str, str]] = set()
    for x in todo:
        if x.order is not None:
            keys.update((str(s), x.order[1]) for s in x.order[0])
    oids = sorted(x.order_id for x in todo if x.order is None)
    if oids:
        keys.update(led._order_keys(conn, oids))
    return dict(led._stock_rows(conn, sorted(keys), lock=True)) if keys else {}
