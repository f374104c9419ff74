"""Access and protection: no token, wrong scope, another location's SKU — refused and audited;
tokens stored hashed and never logged; rate limits; oversize bodies and slow clients cut off
(against a real uvicorn on 127.0.0.1)."""

from __future__ import annotations

import logging
import socket
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from jxc_rules.service.store import hash_token
from tests.service.conftest import LiveServer, bearer

CONVERT = {"lines": [{"value": "3", "from_unit": "斤", "to_unit": "kg"}]}


def audit(c: Any, admin: str, **query: Any) -> list[dict[str, Any]]:
    r = c.get("/v1/admin/audit", params={"limit": 1000, **query}, headers=bearer(admin))
    assert r.status_code == 200, r.text
    entries: list[dict[str, Any]] = r.json()["entries"]
    return entries


def test_refusals_are_problems_and_audited(client: Any) -> None:
    c, tok = client
    c.post("/v1/stock/receive", json={"sku": "FISH-1", "quantity": 10, "location": "WH1"},
           headers=bearer(tok["all"]))
    c.post("/v1/stock/receive", json={"sku": "FISH-1", "quantity": 10, "location": "WH2"},
           headers=bearer(tok["all"]))
    c.post("/v1/stock/receive", json={"sku": "BEEF-1", "quantity": 10, "location": "WH1"},
           headers=bearer(tok["all"]))
    cases = [
        (None, "/v1/units/convert", CONVERT, 401, "Authorization"),
        ("jxc_not-a-token", "/v1/units/convert", CONVERT, 401, "Authorization"),
        (tok["reader"], "/v1/reservations", {"order_id": "A", "lines": {"FISH-1": 1}}, 403,
         "Authorization"),
        (tok["kernels"], "/v1/reservations", {"order_id": "A", "lines": {"FISH-1": 1}}, 403,
         "Authorization"),
        (tok["wh1"], "/v1/reservations",
         {"order_id": "B", "lines": {"FISH-1": 1}, "location": "WH2"}, 403, "location"),
        (tok["wh1"], "/v1/reservations",
         {"order_id": "C", "lines": {"BEEF-1": 1}, "location": "WH1"}, 403, "lines.BEEF-1"),
        (tok["wh1"], "/v1/units/convert", CONVERT, 403, "Authorization"),
    ]
    for token, path, body, status, field in cases:
        r = c.post(path, json=body, headers=bearer(token) if token else {})
        assert r.status_code == status, (path, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["field"] == field
        if status == 401:
            assert r.headers["www-authenticate"].startswith("Bearer")
    ok = c.post("/v1/reservations", json={"order_id": "D", "lines": {"FISH-1": 1},
                                          "location": "WH1"}, headers=bearer(tok["wh1"]))
    assert ok.status_code == 201, ok.text
    # nothing refused was applied
    stock = c.get("/v1/stock/FISH-1", params={"location": "WH2"}, headers=bearer(tok["all"]))
    assert stock.json()["reserved"] == "0"
    rows = audit(c, tok["admin"])
    refused = [(r["token"], r["path"], r["status"]) for r in rows if r["status"] in (401, 403)]
    assert refused == [(None, "/v1/units/convert", 401), (None, "/v1/units/convert", 401),
                       ("reader", "/v1/reservations", 403),
                       ("kernels-only", "/v1/reservations", 403),
                       ("wh1-clerk", "/v1/reservations", 403),
                       ("wh1-clerk", "/v1/reservations", 403),
                       ("wh1-clerk", "/v1/units/convert", 403)]
    subjects = [r["subject"] for r in rows if r["path"] == "/v1/reservations"]
    assert "order B" in subjects
    assert "order D" in subjects
    assert [r["outcome"] for r in rows if r["subject"] == "order B"] == ["location-scope"]


def test_the_audit_log_is_for_admin_tokens_only(client: Any) -> None:
    c, tok = client
    for role in ("kernels", "reader", "wh1"):
        assert c.get("/v1/admin/audit", headers=bearer(tok[role])).status_code == 403


def test_tokens_are_stored_hashed_and_never_logged(make_app: Any, tmp_path: Path,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    app, tok = make_app()
    server = LiveServer(app, log_level="debug", access_log=True, log_config=None).start()
    try:
        with caplog.at_level(logging.DEBUG), httpx.Client(base_url=server.url) as h:
            h.post("/v1/units/convert", json=CONVERT, headers=bearer(tok["kernels"]))
            h.post("/v1/units/convert", json=CONVERT, headers=bearer(tok["reader"]))
            h.get("/v1/admin/audit", headers=bearer(tok["admin"]))
    finally:
        server.stop()
    logged = caplog.text
    assert "/v1/units/convert" in logged  # the access log did run
    db = sqlite3.connect(tmp_path / "service.db")
    dump = "\n".join(db.iterdump())
    for token in tok.values():
        assert token not in logged
        assert token not in dump
        assert hash_token(token) in dump
    assert "Bearer" not in logged


def test_rate_limit_per_token(make_app: Any) -> None:
    from fastapi.testclient import TestClient

    app, tok = make_app(rate_per_s=0.01, burst=3)  # no refill within the test, however slow
    with TestClient(app) as c:
        codes = [c.post("/v1/units/convert", json=CONVERT, headers=bearer(tok["kernels"]))
                 for _ in range(5)]
        assert [r.status_code for r in codes] == [200, 200, 200, 429, 429]
        assert int(codes[3].headers["retry-after"]) >= 1
        assert codes[3].json()["field"] == "Authorization"
        # another token has its own bucket
        assert c.post("/v1/units/convert", json=CONVERT,
                      headers=bearer(tok["all"])).status_code == 200


def test_a_revoked_token_is_refused(make_app: Any) -> None:
    from fastapi.testclient import TestClient

    app, tok = make_app(token_cache_s=0.01)
    with TestClient(app) as c:
        assert c.post("/v1/units/convert", json=CONVERT,
                      headers=bearer(tok["kernels"])).status_code == 200
        assert app.state.jxc.store.revoke_token("kernels-only")
        time.sleep(0.02)
        r = c.post("/v1/units/convert", json=CONVERT, headers=bearer(tok["kernels"]))
        assert r.status_code == 401


def _raw(port: int, data: bytes, *, wait: float = 5.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as s:
        s.sendall(data)
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
        except (TimeoutError, ConnectionResetError):
            pass
        return out


def test_oversize_bodies_are_cut_off(make_app: Any) -> None:
    app, tok = make_app(max_body_bytes=10_000)
    server = LiveServer(app).start()
    try:
        big = {"lines": [{"value": "1", "from_unit": "kg", "to_unit": "g"}] * 1000}
        with httpx.Client(base_url=server.url) as h:
            r = h.post("/v1/units/convert", json=big, headers=bearer(tok["kernels"]))
            assert r.status_code == 413
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json()["field"] == "body"

            def chunks() -> Any:  # no Content-Length: counted as it arrives
                for _ in range(100):
                    yield b"x" * 1000

            r = h.post("/v1/units/convert", content=chunks(),
                       headers={**bearer(tok["kernels"]), "Content-Type": "application/json"})
            assert r.status_code == 413
            assert r.json()["field"] == "body"
    finally:
        server.stop()


def test_slow_clients_are_cut_off(make_app: Any) -> None:
    app, tok = make_app(body_timeout_s=0.5)
    server = LiveServer(app).start()
    try:
        head = (f"POST /v1/units/convert HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                f"\r\nAuthorization: Bearer {tok['kernels']}\r\nContent-Length: 500\r\n\r\n"
                '{"lines": [').encode()
        t0 = time.monotonic()
        out = _raw(server.port, head, wait=5)
        took = time.monotonic() - t0
        assert out.startswith(b"HTTP/1.1 408"), out[:200]
        assert b"application/problem+json" in out
        assert took < 3
    finally:
        server.stop()


def test_a_restricted_token_cannot_release_or_consume_another_warehouses_order(
        client: Any) -> None:
    c, tok = client
    a = bearer(tok["all"])
    for loc in ("WH1", "WH2"):
        c.post("/v1/stock/receive", json={"sku": "FISH-1", "quantity": 10, "location": loc},
               headers=a)
    c.post("/v1/stock/receive", json={"sku": "BEEF-1", "quantity": 10, "location": "WH1"},
           headers=a)
    assert c.post("/v1/reservations", json={"order_id": "X2", "lines": {"FISH-1": 3},
                                            "location": "WH2"}, headers=a).status_code == 201
    assert c.post("/v1/reservations", json={"order_id": "X1", "lines": {"BEEF-1": 3},
                                            "location": "WH1"}, headers=a).status_code == 201
    clerk = bearer(tok["wh1"])
    for path, field in [("/v1/reservations/X2/release", "order_id"),
                        ("/v1/reservations/X2/consume", "order_id"),
                        ("/v1/reservations/X1/release", "order_id")]:
        r = c.post(path, headers=clerk)
        assert r.status_code == 403, (path, r.text)
        assert r.json()["field"] == field
    held = [c.get("/v1/stock/FISH-1", params={"location": "WH2"}, headers=a).json()["reserved"],
            c.get("/v1/stock/BEEF-1", params={"location": "WH1"}, headers=a).json()["reserved"]]
    assert held == ["3", "3"]
    assert c.get("/v1/stock/FISH-1", params={"location": "WH2"},
                 headers=clerk).status_code == 403
