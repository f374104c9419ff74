"""``create_app(settings)``: the FastAPI application behind ``jxc-rules serve``.

The app is assembled from one router per area (kernels, reservation, jobs, admin); an outer
ASGI guard enforces the request size and time limits and writes one audit row per request;
every error leaves as ``application/problem+json`` (:mod:`jxc_rules.service.problems`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jxc_rules.errors import JxcRulesError
from jxc_rules.service.problems import (
    PROBLEM_JSON,
    Problem,
    from_library,
    problem_body,
    validation_problem,
)
from jxc_rules.service.settings import Settings

__all__ = ["API_VERSION", "create_app", "create_app_from_env", "prepare"]

#: the version of the HTTP contract (docs/openapi.json); the package's is in GET /health
API_VERSION = "1.0.0"

log = logging.getLogger("jxc_rules.service")


class _BodyTooLarge(StarletteHTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes; send smaller batches")


class _SlowBody(StarletteHTTPException):
    def __init__(self, seconds: float) -> None:
        super().__init__(408, f"no request body data for {seconds} s; the request was cut off")


def _problem_response(p: Problem, request: Request) -> JSONResponse:
    request.scope.setdefault("state", {})["jxc_outcome"] = p.kind
    return JSONResponse(p.body(instance=request.url.path), status_code=p.status,
                        media_type=PROBLEM_JSON, headers=p.headers)


class Guard:
    """Outer ASGI layer: body size and body-read timeout, a time limit until the response
    starts (a streamed response then runs on), and the audit row of every HTTP request (token
    name, method, path, subject, status, outcome)."""

    def __init__(self, app: ASGIApp, state: Any) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        st: Settings = self.state.settings
        scope.setdefault("state", {})
        started = False
        status = 500
        limit: asyncio.Timeout | None = None

        async def send_wrapper(message: Message) -> None:
            nonlocal started, status
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                if limit is not None and not limit.expired():
                    limit.reschedule(None)  # the response has started: it may run on
            await send(message)

        async def reply(p: Problem) -> None:
            scope["state"]["jxc_outcome"] = p.kind
            body = p.encode(instance=scope.get("path"))
            headers = [(b"content-type", PROBLEM_JSON.encode()),
                       (b"content-length", str(len(body)).encode()),
                       (b"connection", b"close")]
            headers += [(k.lower().encode(), v.encode()) for k, v in p.headers.items()]
            await send_wrapper({"type": "http.response.start", "status": p.status,
                                "headers": headers})
            await send_wrapper({"type": "http.response.body", "body": body})

        length = next((v for k, v in scope.get("headers", ()) if k == b"content-length"), None)
        try:
            too_big = length is not None and int(length) > st.max_body_bytes
        except ValueError:
            too_big = True
        try:
            if too_big:
                await reply(Problem(413, "too-large", f"request body larger than "
                                    f"{st.max_body_bytes} bytes; send smaller batches",
                                    field="body"))
                return
            seen = 0
            body_done = False

            async def guarded_receive() -> Message:
                nonlocal seen, body_done
                if body_done:
                    # the body is in: what remains is the wait for the client to disconnect,
                    # which a streamed response (a job's events) does for as long as it runs
                    return await receive()
                try:
                    async with asyncio.timeout(st.body_timeout_s):  # (wait_for: a task each)
                        message = await receive()
                except TimeoutError:
                    raise _SlowBody(st.body_timeout_s) from None
                if message["type"] == "http.request":
                    seen += len(message.get("body", b""))
                    if seen > st.max_body_bytes:
                        raise _BodyTooLarge(st.max_body_bytes)
                    body_done = not message.get("more_body", False)
                return message

            # the time limit runs until the response starts; a streamed response then runs on
            # (server-sent progress of a long job), ended by the client or by the job. In the
            # request's own task (no task and no event per request): past the limit the app is
            # cancelled where it waits, and asyncio.timeout turns that into TimeoutError
            try:
                async with asyncio.timeout(st.request_timeout_s) as limit:
                    await self.app(scope, guarded_receive, send_wrapper)
            except TimeoutError:
                if not started:
                    await reply(Problem(504, "timeout", f"the request took longer than "
                                        f"{st.request_timeout_s} s; a reservation call may be "
                                        "retried with the same Idempotency-Key to learn its "
                                        "outcome", headers={"Retry-After": "1"}))
        finally:
            state = scope["state"]
            outcome = state.get("jxc_outcome") or ("ok" if status < 400 else "error")
            self.state.store.audit_later(state.get("jxc_token"), scope.get("method", "?"),
                                         scope.get("path", "?"), state.get("jxc_subject"),
                                         status, outcome)


class ProblemDoc(BaseModel):
    """RFC 9457 problem details (``application/problem+json``) with the library's location."""

    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    field: str | None = Field(default=None, description="JSON path of the field at fault, "
                              "e.g. lines[3].pack, or the header (Authorization)")
    row: int | list[int] | None = None
    location: str | None = Field(default=None, description="file:line:column in a pack")
    errors: list[dict[str, Any]] | None = None
    shortages: dict[str, str] | None = Field(default=None,
                                             description="SKU -> missing quantity")


_PROBLEM_RESPONSES = {
    401: "No token, or an unknown / revoked one",
    403: "The token lacks the scope, the location or the SKU prefix",
    413: "The request body is too large",
    422: "A field is invalid; `field` names it",
    429: "Rate limit or job bound; see Retry-After",
}


class WriterLock:
    """The service's SQLite writers in one queue: a thread lock, and for a database file an
    exclusive ``flock`` on ``<database>.jxc-writer.lock`` beside it, shared by every worker
    process (the kernel wakes the next waiter; it drops the lock of a process that dies).
    Where ``fcntl`` is missing (Windows), the thread lock alone: the workers of one machine
    then meet in SQLite's busy handler."""

    def __init__(self, database: str | None) -> None:
        self._thread = threading.Lock()
        self._fd: int | None = None
        if database and database != ":memory:" and not database.startswith("file:"):
            try:
                import fcntl  # noqa: F401
            except ImportError:  # pragma: no cover - Windows
                return
            import os

            self._fd = os.open(f"{database}.jxc-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)

    def acquire(self) -> bool:
        self._thread.acquire()
        if self._fd is not None:
            import fcntl

            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            except BaseException:
                self._thread.release()
                raise
        return True

    def release(self) -> None:
        if self._fd is not None:
            import fcntl

            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._thread.release()

    def locked(self) -> bool:
        return self._thread.locked()

    def __enter__(self) -> WriterLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class _AppState:
    """What the routes share: settings, the store, the ledger, the rate limiter, the jobs."""

    def __init__(self, settings: Settings) -> None:
        from jxc_rules.service.auth import RateLimiter
        from jxc_rules.service.store import Store, make_engine

        self.settings = settings
        self.engine = make_engine(settings.db_url, lock_timeout_s=settings.lock_timeout_s)
        self.store = Store(self.engine, token_cache_s=settings.token_cache_s)
        self.limiter = RateLimiter(settings.rate_per_s, settings.burst)
        # SQLite has one writer at a time: queue the writers on a lock instead of SQLite's busy
        # handler (which sleeps in growing steps and makes p99 latency hundreds of ms under
        # contention) — this process's threads and, for a database file, every worker process
        # of the service; other databases lock rows themselves
        self.write_lock: Any = (WriterLock(self.engine.url.database)
                                if self.engine.dialect.name == "sqlite"
                                else contextlib.nullcontext())
        self._ledger: Any = None
        self._ledger_lock = threading.Lock()
        self._group: Any = None
        self._group_conn: Any = None
        self.jobs: Any = None
        self._stop = threading.Event()
        self._flusher: threading.Thread | None = None

    def ledger(self) -> Any:
        """The service's SqlLedger (standalone mode), its tables created on first use."""
        if self._ledger is None:
            with self._ledger_lock:
                if self._ledger is None:
                    from jxc_rules.reservation.sql import SqlLedger

                    # on PostgreSQL / MariaDB the engine bounds lock waits per connection
                    # (make_engine): the ledger then spends no statement on it per call
                    sqlite = self.engine.dialect.name == "sqlite"
                    led = SqlLedger(self.engine, prefix=self.settings.ledger_prefix,
                                    lock_timeout=self.settings.lock_timeout_s if sqlite
                                    else None)
                    if self.settings.create_tables:
                        led.create_tables()
                    led.skus()  # checks the schema once; bound copies reuse the check
                    self._ledger = led
        return self._ledger

    def group_commit(self) -> Any:
        """The :class:`~jxc_rules.service.group_commit.GroupCommit` of this worker's
        reservation writes, or ``None`` with ``Settings(group_commit=False)``."""
        if not self.settings.group_commit:
            return None
        if self._group is None:
            with self._ledger_lock:
                if self._group is None:
                    from jxc_rules.service.group_commit import GroupCommit
                    from jxc_rules.service.routes.reservation import _bound
                    from jxc_rules.service.store import now

                    @contextlib.contextmanager
                    def begin() -> Iterator[Any]:
                        # one batch at a time: the leader of the moment keeps one connection
                        # across batches (no pool checkout and ping per batch); one that
                        # failed is given back and replaced
                        with self.write_lock:
                            conn = self._group_conn
                            if conn is None or conn.closed or conn.invalidated:
                                conn = self._group_conn = self.engine.connect()
                            try:
                                with conn.begin():
                                    yield conn
                            except BaseException:
                                self._group_conn = None
                                conn.close()
                                raise

                    self._group = GroupCommit(
                        begin=begin, bound=lambda conn: _bound(self, conn),
                        idempotency=self.store.idempotency, now=now,
                        max_ops=self.settings.group_commit_max,
                        # make_engine begins every SQLite transaction with BEGIN IMMEDIATE
                        write_locked=self.engine.dialect.name == "sqlite")
        return self._group

    def start(self) -> None:
        if self.settings.create_tables:
            self.store.create_tables()
        if self._flusher is None:
            self._stop.clear()
            self._flusher = threading.Thread(target=self._flush_loop, name="jxc-audit",
                                             daemon=True)
            self._flusher.start()

    def _flush_loop(self) -> None:
        while not self._stop.wait(self.settings.audit_flush_s):
            try:
                # on SQLite in the writers' queue: a flush that took the database's write lock
                # beside a reservation batch would put the batch into SQLite's busy handler,
                # which sleeps in growing steps
                with self.write_lock:
                    self.store.flush_audit()
            except Exception:  # keep the rows, log, try again at the next tick
                log.exception("audit flush failed; retrying")

    def stop(self) -> None:
        if self._group is not None:
            g = self._group
            log.info("group commit: %d batches, %d writes, %d fell back to one at a time",
                     g.batches, g.writes, g.fallbacks)
        self._stop.set()
        if self._group_conn is not None:
            with self.write_lock, contextlib.suppress(Exception):
                self._group_conn.close()
            self._group_conn = None
        if self._flusher is not None:
            self._flusher.join(timeout=5)
            self._flusher = None
        with contextlib.suppress(Exception):
            self.store.flush_audit()
        if self.jobs is not None:
            self.jobs.shutdown()
            self.jobs = None


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service as an ASGI app (``uvicorn.run(create_app(Settings(db_url=...)))``).

    The service's tables are created at startup (idempotent); the ledger's on first use.
    """
    from jxc_rules._version import __version__
    from jxc_rules.service.routes.admin import router as admin_router
    from jxc_rules.service.routes.jobs import router as jobs_router
    from jxc_rules.service.routes.kernels import router as kernels_router
    from jxc_rules.service.routes.reservation import router as reservation_router

    settings = settings or Settings()
    state = _AppState(settings)
    if settings.create_tables:
        state.store.create_tables()

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        state.start()
        try:
            yield
        finally:
            state.stop()

    app = FastAPI(
        title="jxc-rules service",
        version=API_VERSION,
        summary="The jxc_rules kernels, reservation ledger and simulator over HTTP.",
        description=("Exact values travel as decimal strings, never JSON floats; errors are "
                     "RFC 9457 application/problem+json carrying the library's field, row and "
                     "file:line. Authenticate with `Authorization: Bearer <token>` "
                     "(`jxc-rules token add NAME --scope SCOPE`)."),
        lifespan=lifespan,
        # operationId = the route function's name (reserve, release, convert_batch, ...): the
        # names a generated client's methods get
        generate_unique_id_function=lambda route: route.name,
        responses={status: {"model": ProblemDoc, "description": text}
                   for status, text in _PROBLEM_RESPONSES.items()},
    )
    app.state.jxc = state

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return _problem_response(exc, request)

    @app.exception_handler(JxcRulesError)
    async def _library(request: Request, exc: JxcRulesError) -> JSONResponse:
        return _problem_response(from_library(exc, unknown_status=404), request)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _problem_response(validation_problem(exc.errors()), request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = {404: "not-found", 405: "method", 408: "slow-body", 413: "too-large"}.get(
            exc.status_code, "http")
        field = ("body" if exc.status_code in (400, 408, 413)
                 else "path" if exc.status_code in (404, 405) else None)
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 400 and exc.__cause__ is not None:
            detail = f"the request body is not valid JSON ({type(exc.__cause__).__name__})"
        headers = dict(exc.headers or {})
        if exc.status_code in (408, 413):
            headers["Connection"] = "close"
        return _problem_response(Problem(exc.status_code, kind, detail, field=field,
                                         headers=headers), request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(problem_body(500, "internal", "an unexpected error; the server log "
                                         "has the details", instance=request.url.path),
                            status_code=500, media_type=PROBLEM_JSON)

    @app.get("/health", tags=["service"], summary="Liveness (no token needed)")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    app.include_router(kernels_router)
    app.include_router(reservation_router)
    app.include_router(jobs_router)
    app.include_router(admin_router)
    app.add_middleware(Guard, state=state)
    plain_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        """FastAPI's document, with every error answer as application/problem+json."""
        doc = plain_openapi()
        ref = {"$ref": "#/components/schemas/ProblemDoc"}
        for ops in doc.get("paths", {}).values():
            for op in ops.values():
                for code, resp in op.get("responses", {}).items():
                    if int(code) >= 400:
                        resp["content"] = {PROBLEM_JSON: {"schema": ref}}
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
    return app


SETTINGS_ENV = "JXC_SERVICE_SETTINGS"


def prepare(settings: Settings) -> None:
    """Create the service's and the ledger's tables once, before several workers start (each
    worker then only uses them: no concurrent DDL)."""
    from jxc_rules.reservation.sql import SqlLedger
    from jxc_rules.service.store import Store, make_engine

    engine = make_engine(settings.db_url, lock_timeout_s=settings.lock_timeout_s)
    try:
        Store(engine).create_tables()
        SqlLedger(engine, prefix=settings.ledger_prefix).create_tables()
    finally:
        engine.dispose()


def create_app_from_env() -> FastAPI:
    """The app with the settings ``jxc-rules serve --workers N`` put in ``JXC_SERVICE_SETTINGS``
    (JSON of :class:`Settings` fields): uvicorn's factory for worker processes."""
    import json
    import os

    data = json.loads(os.environ.get(SETTINGS_ENV, "{}"))
    return create_app(Settings(**data))
