"""Fixtures of the studio's tests: a studio app on a throw-away database, a real uvicorn on
127.0.0.1 (started in a thread of the test process, stopped after), and Debian's Chromium
driven by Playwright — skipped with one line when missing, a failure under CI=true."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from tests.service.conftest import LiveServer

CHROMIUM = os.environ.get("JXC_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "reports" / "screenshots"


class LiveStudio(LiveServer):
    """A studio served by uvicorn on 127.0.0.1:<free port> until :meth:`stop` (the service
    tests' live server with the studio's app, its launch link and its clean-up)."""

    def __init__(self, save_dir: Path, scenario: str | None = None) -> None:
        from jxc_rules.studio.app import create_studio_app

        self.studio = create_studio_app(save_dir=save_dir, scenario=scenario)
        self.save_dir = save_dir
        super().__init__(self.studio.app)

    @property
    def link(self) -> str:
        """The one-time link the command opens (``/studio/#launch=…``)."""
        return self.url + self.studio.page_path

    def start(self) -> LiveStudio:
        super().start()
        return self

    def stop(self) -> None:
        super().stop()
        self.studio.close()


@pytest.fixture
def live_studio(tmp_path: Path) -> Iterator[LiveStudio]:
    server = LiveStudio(tmp_path / "packs").start()
    try:
        yield server
    finally:
        server.stop()


def browser_or_skip() -> Any:
    """Playwright's ``sync_playwright`` and the Chromium path, or skip (fail with CI=true)."""
    missing = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "playwright is not installed"
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if missing is None and path is None:
        missing = f"chromium not found at {CHROMIUM}"
    if missing is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{missing} (CI=true: .ci/run installs Debian's chromium)")
        pytest.skip(f"browser test skipped: {missing}")
    return sync_playwright, path


class Offsite:
    """Every request the page makes; those not to 127.0.0.1 are aborted and kept in ``.hosts``."""

    def __init__(self) -> None:
        self.hosts: list[str] = []
        self.seen = 0

    def __call__(self, route: Any) -> None:
        from urllib.parse import urlsplit

        url = route.request.url
        self.seen += 1
        parts = urlsplit(url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname != "127.0.0.1":
            self.hosts.append(url)
            route.abort()
            return
        route.continue_()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_playwright, path = browser_or_skip()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path)
        try:
            yield b
        finally:
            b.close()


def _open_page(browser: Any, server: LiveStudio, *, width: int = 1280, height: int = 900
               ) -> tuple[Any, Offsite]:
    """A new page on the studio's one-time link, every request watched; ready when the form is."""
    page = browser.new_page(viewport={"width": width, "height": height})
    offsite = Offsite()
    page.route("**/*", offsite)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server.link)
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    page.js_errors = errors  # type: ignore[attr-defined]
    return page, offsite


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"studio-{name}.png"), full_page=True)


@pytest.fixture
def open_page() -> Any:
    """``open_page(browser, server, width=, height=)`` → (page, offsite watcher)."""
    return _open_page


@pytest.fixture
def shot() -> Any:
    """``shot(page, name)``: a full-page screenshot reports/screenshots/studio-<name>.png."""
    return _shot
