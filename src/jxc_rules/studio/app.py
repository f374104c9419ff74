"""``create_studio_app``: the service of ``jxc-rules serve`` plus the committee's page.

Composition, not a second server: :func:`jxc_rules.service.create_app` builds the service (its
jobs run the simulations), and the studio adds its API router (:mod:`jxc_rules.studio.routes`)
and its page (``/studio/`` from :mod:`jxc_rules.studio.page`, its script and style from
``static/``: everything shipped in this package, nothing from a network) to that same app.

Local auth, for one user on one machine: at start a token with the ``jobs:write`` scope is
minted in the studio's own throw-away database and a one-time *launch code* is made. The page
is opened at ``/studio/#launch=<code>`` — a URL fragment, which browsers never send to a server,
so it appears in no access log — and the page trades the code once for the token
(``POST /studio/session``), keeps it in ``sessionStorage`` and removes the fragment from the
address bar. A second use of the code (a copied link, the browser history) is refused.
"""

from __future__ import annotations

import hmac
import secrets
import shutil
import tempfile
import threading
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jxc_rules.service.problems import Problem

__all__ = ["LOCAL_HOSTS", "LocalScenario", "Studio", "StudioState", "create_studio_app"]

#: the Host headers a local studio answers: a web page elsewhere that points a name of its own
#: at 127.0.0.1 (DNS rebinding) gets 400, not the studio
LOCAL_HOSTS: tuple[str, ...] = ("127.0.0.1", "localhost", "::1", "[::1]")

#: the page may talk to its own origin only: no CDN, no fonts, no beacons
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; "
       "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


@attrs.frozen
class LocalScenario:
    """A scenario file named on the command line: its name, text and folder (its ``rules:``
    paths are relative to the folder)."""

    name: str
    text: str
    folder: str


class StudioState:
    """What the studio's routes share: where packs are saved, the start scenario, the session."""

    def __init__(self, save_dir: Path, start_scenario: str | None,
                 scenario_file: LocalScenario | None, token: str, launch_code: str) -> None:
        self.save_dir = save_dir
        self.start_scenario = start_scenario
        self.scenario_file = scenario_file
        self.token = token
        self._launch_code: str | None = launch_code
        self._lock = threading.Lock()
        self.save_lock = threading.Lock()

    def redeem(self, code: str) -> str | None:
        """The session token for the launch code, once; None for a wrong or used code."""
        with self._lock:
            if self._launch_code is None or not hmac.compare_digest(code, self._launch_code):
                return None
            self._launch_code = None
            return self.token


@attrs.frozen
class Studio:
    """A studio app and what its starter needs: ``app`` (ASGI), the session ``token`` (for
    tests and scripts), the one-time ``launch_code`` and ``page_path`` to open
    (``/studio/#launch=…``); ``close()`` removes the throw-away database (also done when the
    app's lifespan ends; calling it again is harmless)."""

    app: Any
    token: str
    launch_code: str
    workdir: str

    @property
    def page_path(self) -> str:
        return f"/studio/#launch={self.launch_code}"

    def close(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)


class _SessionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=8, max_length=200)


class _Headers:
    """Security headers on the studio's pages and assets (CSP: own origin only; no caching of
    the page, so a new version of the assets is always the one served)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith("/studio"):
            await self.app(scope, receive, send)
            return

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"content-security-policy", CSP.encode()),
                            (b"x-content-type-options", b"nosniff"),
                            (b"referrer-policy", b"no-referrer"),
                            (b"cache-control", b"no-store")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, wrapped)


class _CloseAtShutdown:
    """Removes the throw-away database when the server shuts down (the lifespan's end), not
    only when ``uvicorn.run`` returns: uvicorn re-raises a SIGTERM after its graceful shutdown,
    which ends the process before a ``finally`` in the command could run."""

    def __init__(self, app: ASGIApp, close: Any) -> None:
        self.app = app
        self.close = close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def wrapped(message: Message) -> None:
            if message["type"] == "lifespan.shutdown.complete":
                self.close()
            await send(message)

        await self.app(scope, receive, wrapped)


def _static_dir() -> Path:
    return Path(str(resources.files("jxc_rules.studio") / "static"))


def create_studio_app(
    *,
    save_dir: str | Path = "studio-packs",
    scenario: str | None = None,
    settings: Any = None,
    allowed_hosts: Sequence[str] | None = LOCAL_HOSTS,
) -> Studio:
    """The service app with the studio's router and page, a session token and a launch code.

    ``save_dir`` is where saved pack versions go (``<save_dir>/<industry>/<version>.yaml``);
    ``scenario`` a bundled scenario name or a scenario file shown first. ``settings`` (a
    :class:`jxc_rules.service.Settings`) default to the studio's: a SQLite database in a fresh
    temporary folder, tokens required. ``allowed_hosts`` are the Host headers answered
    (:data:`LOCAL_HOSTS`; ``None`` answers any, for ``--allow-remote``).
    """
    from jxc_rules._internal.bundled import as_name
    from jxc_rules.service import Settings, create_app
    from jxc_rules.studio.forms import StudioError
    from jxc_rules.studio.routes import router

    workdir = tempfile.mkdtemp(prefix="jxc-studio-")
    if settings is None:
        settings = Settings(db_url=f"sqlite:///{Path(workdir) / 'studio.db'}")
    local: LocalScenario | None = None
    start = scenario
    if scenario is not None and as_name(scenario) is None:
        path = Path(scenario)
        if not path.is_file():
            shutil.rmtree(workdir, ignore_errors=True)
            raise StudioError(f"SCENARIO {scenario!r} is neither a bundled scenario name nor a "
                              "file; `jxc-rules studio` without it lists the bundled ones",
                              field="scenario", value=scenario)
        local = LocalScenario(name=path.stem, text=path.read_text(encoding="utf-8"),
                              folder=str(path.resolve().parent))
        start = path.stem
    app = create_app(settings)
    token = app.state.jxc.store.add_token("studio", ["jobs:write"])
    code = secrets.token_urlsafe(24)
    app.state.studio = StudioState(Path(save_dir), start, local, token, code)
    app.include_router(router)

    @app.post("/studio/session", tags=["studio"], summary="Trade the launch code for the token")
    def session(body: _SessionRequest, request: Request) -> dict[str, str]:
        got = request.app.state.studio.redeem(body.code)
        if got is None:
            raise Problem(401, "unauthorized", "this launch link was used already or is wrong; "
                          "restart `jxc-rules studio` for a new one", field="code")
        return {"token": got}

    static = _static_dir()

    @app.get("/studio/", include_in_schema=False)
    def page() -> HTMLResponse:
        from jxc_rules.studio.page import INDEX_HTML

        return HTMLResponse(INDEX_HTML)

    @app.get("/studio", include_in_schema=False)
    def page_slash() -> RedirectResponse:
        return RedirectResponse("/studio/")

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/studio/")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    app.mount("/studio/static", StaticFiles(directory=static), name="studio-static")
    app.add_middleware(_Headers)
    if allowed_hosts is not None:
        from starlette.middleware.trustedhost import TrustedHostMiddleware

        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    studio = Studio(app=app, token=token, launch_code=code, workdir=workdir)
    app.add_middleware(_CloseAtShutdown, close=studio.close)
    return studio
