"""``jxc-rules token add`` and ``jxc-rules serve`` as a host would run them: an embedded SQLite
ledger by default (in the working directory), a PostgreSQL URL when given."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import fresh_database
from tests.service.conftest import free_port

CLI = [sys.executable, "-m", "jxc_rules"]


def _serve(args: list[str], cwd: Path) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    proc = subprocess.Popen([*CLI, "serve", "--port", str(port), "--log-level", "warning",
                             *args], cwd=cwd, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url + "/health").status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            _out, err = proc.communicate()
            raise AssertionError(f"serve did not start: {err}")
        time.sleep(0.1)


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.terminate()
    try:
        _out, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        _out, err = proc.communicate()
    return err


def test_serve_defaults_to_an_embedded_sqlite_ledger(tmp_path: Path) -> None:
    add = subprocess.run([*CLI, "token", "add", "clerk", "--scope", "reservation:write",
                          "kernels"], cwd=tmp_path, capture_output=True, text=True, check=True)
    token = add.stdout.strip()
    assert token.startswith("jxc_")
    assert token not in add.stderr
    assert (tmp_path / "jxc-service.db").exists()
    listed = subprocess.run([*CLI, "token", "list"], cwd=tmp_path, capture_output=True,
                            text=True, check=True).stdout
    assert "clerk" in listed
    assert token not in listed
    proc, url = _serve([], tmp_path)
    try:
        h = {"Authorization": f"Bearer {token}"}
        assert httpx.post(url + "/v1/stock/receive", json={"sku": "A", "quantity": 3},
                          headers=h).json() == {"sku": "A", "on_hand": "3"}
        r = httpx.post(url + "/v1/units/convert",
                       json={"lines": [{"value": "3", "from_unit": "斤", "to_unit": "kg"}]},
                       headers=h)
        assert r.json() == {"results": ["1.5"]}
        assert httpx.get(url + "/openapi.json").json()["info"]["title"] == "jxc-rules service"
    finally:
        err = _stop(proc)
    assert token not in err
    bad = subprocess.run([*CLI, "token", "add", "x", "--scope", "root"], cwd=tmp_path,
                         capture_output=True, text=True)
    assert bad.returncode == 1
    assert "scope[0]" in bad.stderr


@pytest.fixture
def pg_url(tmp_path: Path) -> Iterator[str]:
    yield from fresh_database("postgresql", tmp_path)


def test_serve_on_a_postgresql_url(pg_url: str, tmp_path: Path) -> None:
    token = subprocess.run([*CLI, "token", "add", "pg", "--scope", "reservation:write",
                            "--db", pg_url], capture_output=True, text=True,
                           check=True).stdout.strip()
    proc, url = _serve(["--db", pg_url], tmp_path)
    try:
        h = {"Authorization": f"Bearer {token}"}
        httpx.post(url + "/v1/stock/receive", json={"sku": "A", "quantity": 3}, headers=h)
        r = httpx.post(url + "/v1/reservations", json={"order_id": "1", "lines": {"A": 2}},
                       headers=h)
        assert r.status_code == 201
    finally:
        _stop(proc)
    assert not (tmp_path / "jxc-service.db").exists()
    import sqlalchemy as sa

    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:
        held = conn.execute(sa.text("SELECT reserved FROM jxc_held WHERE sku = 'A'")).scalar()
    engine.dispose()
    assert held == "2"


@pytest.mark.parametrize("group", [[], ["--no-group-commit"]], ids=["group-commit", "alone"])
def test_serve_with_two_workers_still_reserves_exactly_what_is_there(tmp_path: Path,
                                                                    group: list[str]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    token = subprocess.run([*CLI, "token", "add", "w", "--scope", "reservation:write"],
                           cwd=tmp_path, capture_output=True, text=True,
                           check=True).stdout.strip()
    proc, url = _serve(["--workers", "2", *group], tmp_path)
    try:
        h = {"Authorization": f"Bearer {token}"}
        httpx.post(url + "/v1/stock/receive", json={"sku": "A", "quantity": 5}, headers=h)

        def reserve(i: int) -> int:
            with httpx.Client(timeout=60) as c:
                return c.post(url + "/v1/reservations", headers={**h, "Idempotency-Key": str(i)},
                              json={"order_id": f"O{i}", "lines": {"A": 1}}).status_code

        with ThreadPoolExecutor(16) as pool:
            codes = list(pool.map(reserve, range(16)))
        assert codes.count(201) == 5
        assert codes.count(409) == 11
        assert httpx.get(url + "/v1/stock/A", headers=h).json()["reserved"] == "5"
    finally:
        _stop(proc)
