"""Fixtures of the HTTP service's tests: an app on a database of its own, tokens, and a real
uvicorn server on 127.0.0.1 (started in a thread of the test process and stopped after)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from fastapi.testclient import TestClient

from jxc_rules.service import Settings, create_app

ALL = ["kernels", "reservation:write", "jobs:write", "admin"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class LiveServer:
    """uvicorn serving ``app`` on 127.0.0.1:<free port> until :meth:`stop`."""

    def __init__(self, app: Any, **config: Any) -> None:
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config.setdefault("log_level", "warning")
        cfg = uvicorn.Config(app, host="127.0.0.1", port=self.port, lifespan="on", **config)
        self.server = uvicorn.Server(cfg)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


@pytest.fixture
def make_app(tmp_path: Path) -> Callable[..., Any]:
    """``make_app(db_url=None, **settings)`` → (app, tokens) where tokens maps a role to a
    token: ``all`` (every scope), ``kernels``, ``reader`` (reservation:read), ``wh1`` (writes at
    location WH1 on SKUs starting FISH-), ``admin``."""

    def factory(db_url: str | None = None, **settings: Any) -> tuple[Any, dict[str, str]]:
        url = db_url or f"sqlite:///{tmp_path / 'service.db'}"
        app = create_app(Settings(db_url=url, **settings))
        store = app.state.jxc.store
        tokens = {
            "all": store.add_token("all", ALL),
            "kernels": store.add_token("kernels-only", ["kernels"]),
            "reader": store.add_token("reader", ["reservation:read"]),
            "wh1": store.add_token("wh1-clerk", ["reservation:write", "location:WH1",
                                                 "sku:FISH-"]),
            "admin": store.add_token("auditor", ["admin"]),
        }
        return app, tokens

    return factory


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(make_app: Callable[..., Any]) -> Iterator[tuple[TestClient, dict[str, str]]]:
    app, tokens = make_app()
    with TestClient(app) as c:
        yield c, tokens


@pytest.fixture
def live(make_app: Callable[..., Any]) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    app, tokens = make_app()
    server = LiveServer(app).start()
    try:
        yield server, tokens
    finally:
        server.stop()
