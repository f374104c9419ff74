"""Reservation over HTTP on SQLite, PostgreSQL and MariaDB: idempotency keys, shortages in the
body, 32 concurrent clients against 10 units, concurrent duplicates applied once, and a client
killed mid-request leaving nothing partial."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.conftest import fresh_database
from tests.service.conftest import LiveServer, bearer

BACKENDS = ["sqlite", "postgresql", "mariadb"]


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from fresh_database(request.param, tmp_path)


@pytest.fixture
def svc(make_app: Any, db_url: str) -> Iterator[tuple[TestClient, dict[str, str], Any]]:
    app, tok = make_app(db_url)
    with TestClient(app) as c:
        yield c, tok, app
    app.state.jxc.engine.dispose()


def test_reserve_retry_with_the_same_key_gets_the_first_answer(svc: Any) -> None:
    c, tok, _app = svc
    h = {**bearer(tok["all"]), "Idempotency-Key": "k-1"}
    assert c.post("/v1/stock/receive", json={"sku": "FISH-1", "quantity": "10.5"},
                  headers=bearer(tok["all"])).json()["on_hand"] == "10.5"
    body = {"order_id": "SO-1", "lines": {"FISH-1": "4.25"}}
    first = c.post("/v1/reservations", json=body, headers=h)
    assert first.status_code == 201, first.text
    again = c.post("/v1/reservations", json=body, headers=h)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotency-replayed"] == "true"
    stock = c.get("/v1/stock/FISH-1", headers=bearer(tok["reader"])).json()
    assert stock == {"sku": "FISH-1", "location": "", "on_hand": "10.5", "reserved": "4.25",
                     "available": "6.25"}
    # the same key for another request is refused, naming the header
    other = c.post("/v1/reservations", json={"order_id": "SO-2", "lines": {"FISH-1": 1}},
                   headers=h)
    assert other.status_code == 409
    assert other.json()["field"] == "Idempotency-Key"
    # a shortage names the SKU and the missing quantity; a retry replays the same refusal
    h2 = {**bearer(tok["all"]), "Idempotency-Key": "k-2"}
    short = c.post("/v1/reservations", json={"order_id": "SO-3", "lines": {"FISH-1": "7"}},
                   headers=h2)
    assert short.status_code == 409
    assert short.headers["content-type"] == "application/problem+json"
    assert short.json()["shortages"] == {"FISH-1": "0.75"}
    c.post("/v1/stock/receive", json={"sku": "FISH-1", "quantity": 5}, headers=bearer(tok["all"]))
    replay = c.post("/v1/reservations", json={"order_id": "SO-3", "lines": {"FISH-1": "7"}},
                    headers=h2)
    assert replay.status_code == 409
    assert replay.json() == short.json()
    # consume part, release the rest; both idempotent by key
    hc = {**bearer(tok["all"]), "Idempotency-Key": "c-1"}
    r = c.post("/v1/reservations/SO-1/consume", json={"lines": {"FISH-1": "1.25"}}, headers=hc)
    assert r.status_code == 200, r.text
    assert r.json()["held"] == {"FISH-1": "3"}
    assert c.post("/v1/reservations/SO-1/consume", json={"lines": {"FISH-1": "1.25"}},
                  headers=hc).json() == r.json()
    r = c.post("/v1/reservations/SO-1/release", headers=bearer(tok["all"]))
    assert r.status_code == 200, r.text
    stock = c.get("/v1/stock/FISH-1", headers=bearer(tok["reader"])).json()
    assert stock["on_hand"] == "14.25"
    assert stock["reserved"] == "0"
    unknown = c.post("/v1/reservations/NOPE/release", headers=bearer(tok["all"]))
    assert unknown.status_code == 404
    assert unknown.json()["type"].endswith("unknown-item")


def test_adjust_below_reserved_reports_oversold(svc: Any) -> None:
    c, tok, _ = svc
    a = bearer(tok["all"])
    c.post("/v1/stock/receive", json={"sku": "BOLT", "quantity": 10}, headers=a)
    c.post("/v1/reservations", json={"order_id": "SO-9", "lines": {"BOLT": 6}}, headers=a)
    r = c.post("/v1/stock/adjust", json={"sku": "BOLT", "counted": 5, "reason": "count"},
               headers=a)
    assert r.json()["oversold"] == [{"order_id": "SO-9", "sku": "BOLT", "short": "1",
                                     "location": ""}]
    bad = c.post("/v1/stock/adjust", json={"sku": "BOLT", "counted": -1, "reason": "x"},
                 headers=a)
    assert bad.status_code == 422
    assert bad.json()["field"] == "counted"


def test_32_concurrent_clients_against_10_units_exactly_10_succeed(make_app: Any,
                                                                    db_url: str) -> None:
    app, tok = make_app(db_url)
    server = LiveServer(app).start()
    try:
        a = bearer(tok["all"])
        with httpx.Client(base_url=server.url, timeout=60) as h:
            assert h.post("/v1/stock/receive", json={"sku": "FISH-9", "quantity": 10},
                          headers=a).status_code == 200
        barrier = threading.Barrier(32)

        def client(i: int) -> tuple[int, int]:
            with httpx.Client(base_url=server.url, timeout=60) as h:
                body = {"order_id": f"SO-{i}", "lines": {"FISH-9": 1}}
                headers = {**a, "Idempotency-Key": f"key-{i}"}
                barrier.wait()
                first = h.post("/v1/reservations", json=body, headers=headers).status_code
                retry = h.post("/v1/reservations", json=body, headers=headers).status_code
                return first, retry

        with ThreadPoolExecutor(32) as pool:
            codes = list(pool.map(client, range(32)))
        assert sorted(f for f, _ in codes).count(201) == 10
        assert sorted(f for f, _ in codes).count(409) == 22
        assert all(f == r for f, r in codes)  # retries answered with the first answer
        with httpx.Client(base_url=server.url) as h:
            stock = h.get("/v1/stock/FISH-9", headers=a).json()
        assert stock["reserved"] == "10"
        assert stock["available"] == "0"
    finally:
        server.stop()
        app.state.jxc.engine.dispose()


def test_concurrent_duplicates_with_one_key_are_applied_once(make_app: Any, db_url: str) -> None:
    app, tok = make_app(db_url)
    server = LiveServer(app).start()
    try:
        a = bearer(tok["all"])
        with httpx.Client(base_url=server.url, timeout=60) as h:
            h.post("/v1/stock/receive", json={"sku": "FISH-5", "quantity": 100}, headers=a)
        barrier = threading.Barrier(16)

        def client(i: int) -> Any:
            with httpx.Client(base_url=server.url, timeout=60) as h:
                barrier.wait()
                # receive is not idempotent by itself: only the key stops a double booking
                r = h.post("/v1/stock/receive", json={"sku": "FISH-5", "quantity": 7},
                           headers={**a, "Idempotency-Key": "once"})
                return r.status_code, r.json()

        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(client, range(16)))
        assert {s for s, _ in answers} == {200}
        assert all(b == {"sku": "FISH-5", "on_hand": "107"} for _, b in answers)
        with httpx.Client(base_url=server.url) as h:
            assert h.get("/v1/stock/FISH-5", headers=a).json()["on_hand"] == "107"
    finally:
        server.stop()
        app.state.jxc.engine.dispose()


def test_a_client_killed_mid_request_leaves_nothing_partial(make_app: Any, db_url: str) -> None:
    app, tok = make_app(db_url, body_timeout_s=1.0)
    server = LiveServer(app).start()
    try:
        a = bearer(tok["all"])
        with httpx.Client(base_url=server.url, timeout=60) as h:
            for sku in ("FISH-A", "FISH-B"):
                h.post("/v1/stock/receive", json={"sku": sku, "quantity": 10}, headers=a)
        body = b'{"order_id": "SO-K", "lines": {"FISH-A": 4, "FISH-B": 4}}'
        head = (f"POST /v1/reservations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                f"\r\nAuthorization: {a['Authorization']}\r\nIdempotency-Key: kill-1\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        # killed while sending the body: the request never runs
        with socket.create_connection(("127.0.0.1", server.port)) as s:
            s.sendall(head + body[:30])
        # killed right after sending everything, before reading the answer
        with socket.create_connection(("127.0.0.1", server.port)) as s:
            s.sendall(head + body)
        time.sleep(1.5)
        with httpx.Client(base_url=server.url, timeout=60) as h:
            held = [h.get(f"/v1/stock/{sku}", headers=a).json()["reserved"]
                    for sku in ("FISH-A", "FISH-B")]
            assert held in (["0", "0"], ["4", "4"])  # all of the order or none of it
            # the retry learns the outcome and applies at most once
            r = h.post("/v1/reservations", content=body,
                       headers={**a, "Idempotency-Key": "kill-1",
                                "Content-Type": "application/json"})
            assert r.status_code == 201, r.text
            held = [h.get(f"/v1/stock/{sku}", headers=a).json()["reserved"]
                    for sku in ("FISH-A", "FISH-B")]
            assert held == ["4", "4"]
    finally:
        server.stop()
        app.state.jxc.engine.dispose()


def test_the_audit_log_is_append_only_in_the_database(svc: Any) -> None:
    import sqlalchemy as sa

    c, tok, app = svc
    c.post("/v1/units/convert", json={"lines": [{"value": "1", "from_unit": "kg",
                                                 "to_unit": "g"}]}, headers=bearer(tok["all"]))
    store = app.state.jxc.store
    store.flush_audit()
    store.create_tables()  # idempotent, triggers included
    a = store.audit
    for stmt in (a.update().values(outcome="forged"), a.delete()):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), store.engine.begin() as conn:
            conn.execute(stmt)
    with store.engine.begin() as conn:
        conn.execute(a.insert().values(at=sa.func.now(), method="GET", path="/x", status=200,
                                       outcome="ok"))
    rows = store.query_audit(limit=1000)
    assert all(r["outcome"] != "forged" for r in rows)
    assert any(r["path"] == "/v1/units/convert" for r in rows)
