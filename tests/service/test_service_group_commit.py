"""Group commit of reservation writes (``jxc_rules.service.group_commit``).

Concurrent reserves and releases share transactions, and every client still gets the answer
one request at a time would give: exactly as many reservations succeed as stock allows, each
refusal carries its shortage, every retry with the same key replays its first answer, and a
batch whose transaction fails runs again one request at a time. On SQLite the test makes the
batch deterministic by holding the service's writer lock while the requests queue; on
PostgreSQL and MariaDB two service instances (two workers) batch against one database at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import fresh_database
from tests.service.conftest import LiveServer, bearer


@pytest.fixture(params=["postgresql", "mariadb"])
def server_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from fresh_database(request.param, tmp_path)


@pytest.fixture
def served(make_app: Any) -> Iterator[Any]:
    """``served(**settings)`` -> (live server, the app's state, an all-scopes bearer header)
    on a SQLite service of the test's own; stopped afterwards."""
    started: list[tuple[LiveServer, Any]] = []

    def start(**settings: Any) -> tuple[LiveServer, Any, dict[str, str]]:
        app, tok = make_app(**settings)
        server = LiveServer(app).start()
        started.append((server, app))
        return server, app.state.jxc, bearer(tok["all"])

    yield start
    for server, app in started:
        server.stop()
        app.state.jxc.engine.dispose()


def _queued(group: Any, n: int, timeout: float = 20.0) -> None:
    """Wait until ``n`` writes were submitted (queued, or taken by the blocked leader)."""
    deadline = time.monotonic() + timeout
    while group.submitted < n:
        assert time.monotonic() < deadline, f"only {group.submitted} of {n} writes submitted"
        time.sleep(0.005)


def _as_one_batch(state: Any, fn: Any, args: list[Any]) -> list[Any]:
    """``fn(arg)`` for each arg in threads while the service's writer lock is held (SQLite),
    so that their writes all queue behind the first; then the lock is let go and the answers
    gathered."""
    group = state.group_commit()
    start = group.submitted
    state.write_lock.acquire()
    held = True
    try:
        with ThreadPoolExecutor(len(args)) as pool:
            futures = [pool.submit(fn, arg) for arg in args]
            _queued(group, start + len(args))
            state.write_lock.release()
            held = False
            return [f.result() for f in futures]
    finally:
        if held:
            state.write_lock.release()


def _receive(h: httpx.Client, a: dict[str, str], sku: str, q: int) -> None:
    assert h.post("/v1/stock/receive", json={"sku": sku, "quantity": q},
                  headers=a).status_code == 200


def test_one_batch_answers_as_one_request_at_a_time(served: Any) -> None:
    server, state, a = served()
    with httpx.Client(base_url=server.url, timeout=60) as h:
        _receive(h, a, "FISH-1", 10)
        for i in range(4):  # 4 held before: 6 available
            assert h.post("/v1/reservations", json={"order_id": f"P{i}",
                          "lines": {"FISH-1": 1}}, headers=a).status_code == 201
    group = state.group_commit()
    before = (group.batches, group.writes, group.submitted)

    def write(i: int) -> tuple[int, Any]:
        with httpx.Client(base_url=server.url, timeout=60) as h:
            headers = {**a, "Idempotency-Key": f"gc-{i}"}
            if i < 4:
                r = h.post(f"/v1/reservations/P{i}/release", headers=headers)
            else:
                r = h.post("/v1/reservations", json={"order_id": f"SO-{i}",
                           "lines": {"FISH-1": 1}}, headers=headers)
            return r.status_code, r.json()

    # every write queues behind the first, then runs as one batch
    answers = _as_one_batch(state, write, list(range(16)))
    assert group.batches - before[0] <= 2  # the first write alone, the 15 behind it
    assert group.writes - before[1] == 16
    assert [s for s, _ in answers[:4]] == [200] * 4
    codes = [s for s, _ in answers[4:]]
    # 4 released + 6 available = 10 units for 12 orders, whichever ran first
    assert codes.count(201) == 10
    assert codes.count(409) == 2
    for s, body in answers[4:]:
        if s == 409:
            assert body["shortages"] == {"FISH-1": "1"}
            assert body["field"] == "lines"
    with httpx.Client(base_url=server.url, timeout=60) as h:
        stock = h.get("/v1/stock/FISH-1", headers=a).json()
        assert (stock["reserved"], stock["available"]) == ("10", "0")
        # retries replay the first answers, batched or not, and change nothing
        for i in (0, 4, 5, 15):
            headers = {**a, "Idempotency-Key": f"gc-{i}"}
            r = (h.post(f"/v1/reservations/P{i}/release", headers=headers) if i < 4 else
                 h.post("/v1/reservations", json={"order_id": f"SO-{i}",
                        "lines": {"FISH-1": 1}}, headers=headers))
            assert r.headers.get("Idempotency-Replayed") == "true"
            assert (r.status_code, r.json()) == answers[i]
        assert h.get("/v1/stock/FISH-1", headers=a).json() == stock


def test_a_failed_batch_runs_again_one_request_at_a_time(served: Any,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    from jxc_rules.reservation.sql import SqlLedger

    real = SqlLedger._batch_begin
    failures = []

    def fail_once(self: Any, conn: Any) -> Any:
        if not failures:
            failures.append(1)
            raise sa.exc.OperationalError("SELECT 1", {}, Exception("connection lost"))
        return real(self, conn)

    monkeypatch.setattr(SqlLedger, "_batch_begin", fail_once)
    server, state, a = served()
    with httpx.Client(base_url=server.url, timeout=60) as h:
        _receive(h, a, "FISH-2", 3)
        r = h.post("/v1/reservations", json={"order_id": "F-1", "lines": {"FISH-2": 2}},
                   headers={**a, "Idempotency-Key": "f-1"})
        assert r.status_code == 201, r.text
        assert state.group_commit().fallbacks == 1
        r = h.post("/v1/reservations", json={"order_id": "F-2", "lines": {"FISH-2": 2}},
                   headers={**a, "Idempotency-Key": "f-2"})
        assert r.status_code == 409
        assert r.json()["shortages"] == {"FISH-2": "1"}
        stock = h.get("/v1/stock/FISH-2", headers=a).json()
        assert (stock["reserved"], stock["available"]) == ("2", "1")
        # the fallen-back answer was stored once, in the transaction that made it
        r = h.post("/v1/reservations", json={"order_id": "F-1", "lines": {"FISH-2": 2}},
                   headers={**a, "Idempotency-Key": "f-1"})
        assert (r.status_code, r.headers.get("Idempotency-Replayed")) == (201, "true")


def test_two_workers_batching_against_one_database(make_app: Any, server_db: str) -> None:
    """Two service instances (two uvicorn workers) on one PostgreSQL / MariaDB database:
    their batches lock the stock rows in one order, so they queue instead of deadlocking, and
    exactly the stock is reserved."""
    from jxc_rules.service import Settings, create_app

    app0, tok = make_app(server_db)
    apps = [app0, create_app(Settings(db_url=server_db))]  # the tokens are in the database
    servers = [LiveServer(app).start() for app in apps]
    try:
        a = bearer(tok["all"])
        with httpx.Client(base_url=servers[0].url, timeout=60) as h:
            for sku in ("FISH-X", "FISH-Y"):
                _receive(h, a, sku, 20)
        barrier = threading.Barrier(32)

        def client(i: int) -> list[int]:
            # the two SKUs in opposite orders from client to client
            lines = {"FISH-X": 1, "FISH-Y": 1} if i % 2 else {"FISH-Y": 1, "FISH-X": 1}
            with httpx.Client(base_url=servers[i % 2].url, timeout=60) as h:
                barrier.wait()
                codes = []
                for k in range(2):
                    oid = f"W{i}-{k}"
                    r = h.post("/v1/reservations", json={"order_id": oid, "lines": lines},
                               headers={**a, "Idempotency-Key": oid})
                    codes.append(r.status_code)
                    if k == 0 and r.status_code == 201 and i % 4 == 0:
                        rel = h.post(f"/v1/reservations/{oid}/release", headers=a)
                        assert rel.status_code == 200, rel.text
                        codes[-1] = 0  # released again
                return codes

        with ThreadPoolExecutor(32) as pool:
            codes = [c for cs in pool.map(client, range(32)) for c in cs]
        assert set(codes) <= {0, 201, 409}
        with httpx.Client(base_url=servers[1].url, timeout=60) as h:
            for sku in ("FISH-X", "FISH-Y"):
                stock = h.get(f"/v1/stock/{sku}", headers=a).json()
                assert stock["reserved"] == str(codes.count(201)), (sku, stock)
                assert int(stock["available"]) == 20 - codes.count(201)
        assert 0 < codes.count(201) <= 20
        assert sum(app.state.jxc.group_commit().writes for app in apps) >= 64
    finally:
        for server in servers:
            server.stop()
        for app in apps:
            app.state.jxc.engine.dispose()


def test_requests_cut_off_while_queued_still_have_their_writes_decided(served: Any) -> None:
    """The service's time limit cancels a request waiting for its batch: its write is still
    decided (its key then replays the answer) and leadership still passes on — no write is
    stranded in the queue."""
    server, state, a = served(request_timeout_s=0.5)
    with httpx.Client(base_url=server.url, timeout=60) as h:
        _receive(h, a, "FISH-3", 5)
    group = state.group_commit()

    def reserve(i: int) -> int:
        with httpx.Client(base_url=server.url, timeout=60) as h:
            return h.post("/v1/reservations", json={"order_id": f"T-{i}",
                          "lines": {"FISH-3": 1}},
                          headers={**a, "Idempotency-Key": f"t-{i}"}).status_code

    start = group.submitted
    state.write_lock.acquire()
    try:
        with ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(reserve, i) for i in range(4)]
            _queued(group, start + 4)
            codes = [f.result() for f in futures]  # all cut off at 0.5 s
    finally:
        state.write_lock.release()  # held until all were cut off
    assert codes == [504] * 4
    deadline = time.monotonic() + 20
    while group._busy or group._queue:
        assert time.monotonic() < deadline, "queued writes were stranded"
        time.sleep(0.01)
    with httpx.Client(base_url=server.url, timeout=60) as h:
        for i in range(4):  # each write was applied once: its key replays the answer
            r = h.post("/v1/reservations", json={"order_id": f"T-{i}",
                       "lines": {"FISH-3": 1}}, headers={**a, "Idempotency-Key": f"t-{i}"})
            assert (r.status_code, r.headers.get("Idempotency-Replayed")) == (201, "true")
        assert h.post("/v1/reservations", json={"order_id": "T-new", "lines": {"FISH-3": 1}},
                      headers=a).status_code == 201
        assert h.get("/v1/stock/FISH-3", headers=a).json()["available"] == "0"


def test_a_bad_order_in_a_batch_is_refused_alone_and_the_others_are_held(served: Any
                                                                         ) -> None:
    """``reserve_many`` refuses a whole batch on input that is not an order (an id starting
    with a space); the batch then runs its reservations one by one, so only the bad one is
    refused (422 naming ``order_id``). A negative quantity is refused before it queues, naming
    its line."""
    server, state, a = served()
    with httpx.Client(base_url=server.url, timeout=60) as h:
        _receive(h, a, "FISH-4", 10)
    bodies = [{"order_id": "B-ok-1", "lines": {"FISH-4": 2}},
              {"order_id": " B-bad", "lines": {"FISH-4": 3}},
              {"order_id": "B-ok-2", "lines": {"FISH-4": "2.5"}}]

    def reserve(body: dict[str, Any]) -> httpx.Response:
        with httpx.Client(base_url=server.url, timeout=60) as h:
            return h.post("/v1/reservations", json=body, headers=a)

    answers = _as_one_batch(state, reserve, bodies)
    assert [r.status_code for r in answers] == [201, 422, 201]
    assert answers[1].json()["field"] == "order_id"
    with httpx.Client(base_url=server.url, timeout=60) as h:
        assert h.get("/v1/stock/FISH-4", headers=a).json()["reserved"] == "4.5"
        for q in ("-3", "abc", "1/0"):
            r = h.post("/v1/reservations", json={"order_id": "B-neg", "lines": {
                "FISH-4": 1, "FISH-5": q}}, headers=a)
            assert r.status_code == 422, r.text
            assert r.json()["field"] == "lines.FISH-5"
        assert h.get("/v1/stock/FISH-4", headers=a).json()["reserved"] == "4.5"


def test_a_consume_in_a_batch_is_seen_by_its_reservations(make_app: Any, server_db: str) -> None:
    """On PostgreSQL / MariaDB a batch reads on-hand once, when it locks the stock rows; a
    consume in the same batch lowers on-hand (and what the order held), so the batch's
    reservations must read it again: exactly the 4 available units are reserved, not 10."""
    app, tok = make_app(server_db)
    state = app.state.jxc
    state.write_lock = threading.Lock()  # (the service takes none here) to make one batch
    server = LiveServer(app).start()
    try:
        a = bearer(tok["all"])
        with httpx.Client(base_url=server.url, timeout=60) as h:
            _receive(h, a, "FISH-6", 10)
            assert h.post("/v1/reservations", json={"order_id": "C-1", "lines": {"FISH-6": 6}},
                          headers=a).status_code == 201

        def write(i: int) -> int:
            with httpx.Client(base_url=server.url, timeout=60) as h:
                if i == 0:  # a partial consume (its lines named): a write run on its own
                    return h.post("/v1/reservations/C-1/consume", json={"lines": {"FISH-6": 6}},
                                  headers=a).status_code
                return h.post("/v1/reservations", json={"order_id": f"C-R{i}",
                              "lines": {"FISH-6": 1}}, headers=a).status_code

        codes = _as_one_batch(state, write, list(range(7)))
        assert codes[0] == 200
        assert sorted(codes[1:]) == [201] * 4 + [409] * 2
        with httpx.Client(base_url=server.url, timeout=60) as h:
            stock = h.get("/v1/stock/FISH-6", headers=a).json()
        assert (stock["on_hand"], stock["reserved"], stock["available"]) == ("4", "4", "0")
    finally:
        server.stop()
        state.engine.dispose()


def test_the_sqlite_writer_lock_is_shared_by_worker_processes(tmp_path: Path) -> None:
    """Workers of one SQLite file queue on one lock (a flock beside the file), not in SQLite's
    busy handler: while one process holds it, another cannot take it."""
    import subprocess
    import sys

    pytest.importorskip("fcntl")
    from jxc_rules.service.app import WriterLock

    db = str(tmp_path / "svc.db")
    probe = ("import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR)\n"
             "try:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
             "except BlockingIOError:\n    print('busy')\nelse:\n    print('free')")

    def other_process() -> str:
        return subprocess.run([sys.executable, "-c", probe, db + ".jxc-writer.lock"],
                              capture_output=True, text=True, check=True).stdout.strip()

    lock = WriterLock(db)
    with lock:
        assert lock.locked()
        assert other_process() == "busy"
    assert not lock.locked()
    assert other_process() == "free"
    assert WriterLock(":memory:")._fd is None


def test_requests_the_fast_path_does_not_take_get_the_models_answer(served: Any) -> None:
    """A body or key just past the models' bounds leaves the reserve/release fast path and gets
    FastAPI's 422 naming the field, never a write."""
    server, _state, a = served()
    with httpx.Client(base_url=server.url, timeout=60) as h:
        _receive(h, a, "FISH-7", 5)
        ok = {"order_id": "K-1", "lines": {"FISH-7": 1}}
        for key in ("has space", "k" * 201, "tab\there"):
            r = h.post("/v1/reservations", json=ok, headers={**a, "Idempotency-Key": key})
            assert r.status_code == 422, (key, r.text)
            assert r.json()["field"].endswith("Idempotency-Key")
            r = h.post("/v1/reservations/K-1/release", headers={**a, "Idempotency-Key": key})
            assert r.status_code == 422, (key, r.text)
        r = h.post("/v1/reservations", json={"order_id": "K" * 101, "lines": {"FISH-7": 1}},
                   headers=a)
        assert r.status_code == 422
        assert r.json()["field"].startswith("order_id")
        assert h.get("/v1/stock/FISH-7", headers=a).json()["reserved"] == "0"
        assert h.post("/v1/reservations", json=ok,
                      headers={**a, "Idempotency-Key": "k" * 200}).status_code == 201
