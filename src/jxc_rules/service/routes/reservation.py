"""Reservation as a service, on :class:`jxc_rules.reservation.SqlLedger`.

Idempotency
-----------
Every write takes an optional ``Idempotency-Key`` header (1-200 printable characters). The
first answer to a ``(token, key)`` is stored in ``jxc_svc_idempotency`` **in the same database
transaction** as the ledger change it answers, so:

- a retry gets the first answer (status and body) back, byte for byte, and changes nothing;
- two concurrent requests with one key are applied once: the second blocks on the key's primary
  key until the first commits (PostgreSQL, MariaDB; SQLite's write lock serialises anyway), then
  reads the stored answer;
- a request that dies midway (client gone, server killed) leaves neither the change nor the
  key: the transaction rolls back as one.

The same key with a different request body is a 409 problem (``field: Idempotency-Key``).
Refusals that depend on the state (409 insufficient stock) are stored like successes — a retry
sees the same refusal; transient ones (503 busy) are not stored, so a retry may succeed.

Without a key, ``reserve`` is still idempotent per ``order_id`` (the ledger's own rule).
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from fractions import Fraction
from typing import Annotated, Any, cast, get_args

import sqlalchemy as sa
from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from jxc_rules.errors import JxcRulesError, LedgerBusy, LedgerError
from jxc_rules.reservation.base import normalize_requirements
from jxc_rules.service.auth import (
    ReservationRead,
    ReservationWrite,
    bearer,
    check_location,
    check_skus,
    set_subject,
)
from jxc_rules.service.problems import PROBLEM_JSON, Problem, exact_text, from_library
from jxc_rules.service.routes.kernels import FAST_PATHS, Exact, FastBatchRoute, _json_body
from jxc_rules.service.store import TokenInfo, now

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["reservation"], route_class=FastBatchRoute)

# the bounds of the models below, shared with the fast paths that take a request past them
MAX_TEXT, MAX_ORDER_ID, MAX_LINES = 200, 100, 10_000
KEY_PATTERN = r"^[\x21-\x7e]+$"  # an Idempotency-Key: printable ASCII, no spaces

Sku = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
OrderId = Annotated[str, Path(min_length=1, max_length=MAX_ORDER_ID,
                              description="The host's order id")]
Location = Annotated[str, Field(max_length=MAX_TEXT, description="'' is the default location")]
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1,
                                       max_length=MAX_TEXT, pattern=KEY_PATTERN,
                                       description="Retries with the same key get the first "
                                                   "answer and are never applied twice.")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReserveRequest(Strict):
    order_id: Annotated[str, Field(min_length=1, max_length=MAX_ORDER_ID,
                                   examples=["SO-1001"])]
    lines: dict[Sku, Exact] = Field(min_length=1, max_length=MAX_LINES,
                                    description="SKU -> quantity (exact strings or ints)",
                                    examples=[{"FISH-01": "12.5", "BOLT-7": 40}])
    location: Location = ""


class LinesRequest(Strict):
    lines: dict[Sku, Exact] | None = Field(
        default=None, max_length=MAX_LINES,
        description="SKU -> quantity; omitted: the whole order")


class ReceiveRequest(Strict):
    sku: Sku
    quantity: Exact
    location: Location = ""


class AdjustRequest(Strict):
    sku: Sku
    counted: Exact
    reason: Annotated[str, Field(min_length=1, max_length=200)]
    location: Location = ""


def _hash(parts: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False,
                                     default=str).encode()).hexdigest()


def _json(status: int, body: Any, *, replayed: bool = False) -> JSONResponse:
    headers = {"Idempotency-Replayed": "true"} if replayed else None
    media = PROBLEM_JSON if status >= 400 else "application/json"
    return JSONResponse(body, status_code=status, media_type=media, headers=headers)


def _bound(state: Any, conn: sa.Connection) -> Any:
    """The service's ledger working inside ``conn``'s transaction (a copy sharing the checked
    schema; SqlLedger runs each call in a SAVEPOINT of the connection it is bound to)."""
    base = state.ledger()
    led = copy.copy(base)
    led._conn = conn
    led._own_engine = False
    return led


def _answer_error(exc: Exception, path: str, field: str) -> tuple[int, Any] | None:
    """The stored answer a write's error becomes, or ``None`` when it is no answer (the
    database failed, a 5xx): then the whole transaction rolls back."""
    if isinstance(exc, (LedgerBusy, LedgerError)):
        return None
    if isinstance(exc, Problem):
        return None if exc.status >= 500 else (exc.status, exc.body(instance=path))
    if isinstance(exc, JxcRulesError):
        lib = from_library(exc, unknown_status=404, fallback_field=field)
        return None if lib.status >= 500 else (lib.status, lib.body(instance=path))
    return None


class _Call:
    """One reservation write of a request: ``fn(ledger)`` in one transaction with the
    idempotency record of ``key``.

    Reservation writes (``order_id`` given) join the group commit of concurrent ones
    (:mod:`jxc_rules.service.group_commit`) — from a worker thread (:meth:`run`) or from the
    event loop without holding a thread while they wait (:meth:`run_async`, the fast paths);
    when their batch fails as a whole they run alone (:meth:`alone`)."""

    def __init__(self, request: Request, info: TokenInfo, key: str | None, op: str,
                 body: Mapping[str, Any], fn: Callable[[Any], tuple[int, Any]], *,
                 field: str = "lines", order_id: str | None = None, lines: int = 1,
                 reserve: tuple[Any, str] | None = None,
                 on_reserved: Callable[[bool], tuple[int, Any]] | None = None,
                 on_released: Callable[[dict[str, Any]], tuple[int, Any]] | None = None
                 ) -> None:
        self.request, self.info, self.key, self.op, self.fn = request, info, key, op, fn
        self.field, self.order_id, self.lines = field, order_id, lines
        self.reserve, self.on_reserved, self.on_released = reserve, on_reserved, on_released
        self.state = request.app.state.jxc
        self.state.ledger()
        self.digest = _hash({"op": op, **body})
        self.path = request.url.path
        self.group = self.state.group_commit() if order_id is not None else None

    def _write(self) -> Any:
        from jxc_rules.service.group_commit import Write

        assert self.order_id is not None
        path, field = self.path, self.field
        return Write(kind=self.op, token=self.info.name, key=self.key, digest=self.digest,
                     fn=self.fn, order_id=self.order_id,
                     answer_error=lambda exc: _answer_error(exc, path, field),
                     lines=self.lines, order=self.reserve, on_reserved=self.on_reserved,
                     on_released=self.on_released)

    def _respond(self, res: Any) -> JSONResponse | None:
        from jxc_rules.service.group_commit import FALLBACK

        if res is FALLBACK:
            return None
        if isinstance(res, BaseException):
            raise res
        status, answer, replayed = res
        if replayed:
            self.request.scope["state"]["jxc_outcome"] = "replayed"
        elif status >= 400:
            self.request.scope["state"]["jxc_outcome"] = str(
                answer.get("type", "")).rsplit("/", 1)[-1]
        return _json(status, answer, replayed=replayed)

    def run(self) -> JSONResponse:
        if self.group is not None:
            done = self._respond(self.group.submit(self._write()))
            if done is not None:
                return done
        return self.alone()

    async def run_async(self) -> JSONResponse:
        if self.group is not None:
            done = self._respond(await self.group.submit_async(self._write()))
            if done is not None:
                return done
        answer: JSONResponse = await run_in_threadpool(self.alone)
        return answer

    def alone(self) -> JSONResponse:
        """The write in a transaction of its own (with retries; 503 when the database keeps
        refusing)."""
        request, info, key, fn = self.request, self.info, self.key, self.fn
        state, digest, path, field = self.state, self.digest, self.path, self.field
        idem = state.store.idempotency
        for _attempt in range(3):
            try:
                with state.write_lock, state.engine.connect() as conn:
                    stored = None
                    with conn.begin():
                        if key is not None:
                            row = conn.execute(sa.select(idem.c.request_hash, idem.c.status,
                                                         idem.c.body).where(
                                idem.c.token == info.name, idem.c.key == key)).first()
                            if row is not None:
                                stored = row
                            else:
                                conn.execute(idem.insert().values(
                                    token=info.name, key=key, request_hash=digest, status=0,
                                    body="", at=now()))
                        if stored is None:
                            try:
                                status, answer = fn(_bound(state, conn))
                            except (JxcRulesError, Problem) as exc:
                                ans = _answer_error(exc, path, field)
                                if ans is None:
                                    if isinstance(exc, (LedgerBusy, LedgerError, Problem)):
                                        raise
                                    raise from_library(exc, unknown_status=404,
                                                       fallback_field=field) from exc
                                status, answer = ans
                            if key is not None:
                                conn.execute(idem.update().where(
                                    idem.c.token == info.name, idem.c.key == key).values(
                                    status=status, body=json.dumps(answer, ensure_ascii=False)))
                            if status >= 400:
                                request.scope["state"]["jxc_outcome"] = str(
                                    answer.get("type", "")).rsplit("/", 1)[-1]
                            return _json(status, answer)
                assert stored is not None
                if stored[0] != digest:
                    raise Problem(409, "idempotency-mismatch", f"Idempotency-Key {key!r} was used "
                                  "for a different request; use a new key for a new request",
                                  field="Idempotency-Key")
                request.scope["state"]["jxc_outcome"] = "replayed"
                return _json(int(stored[1]), json.loads(stored[2]), replayed=True)
            except sa.exc.IntegrityError:
                continue  # a concurrent request with this key committed first: read its answer
            except sa.exc.DBAPIError as exc:
                busy = state.ledger()._busy(exc)
                if busy == "deadlock":
                    continue
                raise Problem(503, "ledger-busy" if busy else "ledger",
                              f"the database refused the call ({type(exc.orig).__name__}); "
                              "nothing was changed, retry", headers={"Retry-After": "1"}) from exc
            except LedgerBusy as exc:
                if "deadlock" in str(exc) and _attempt < 2:
                    time.sleep(random.uniform(0.001, 0.01))
                    continue  # InnoDB rolled the whole transaction back: run it again
                raise from_library(exc) from exc
            except LedgerError as exc:
                raise from_library(exc) from exc
        raise Problem(503, "ledger-busy", "the request kept conflicting with concurrent ones; "
                      "nothing was changed, retry", headers={"Retry-After": "1"})




# ------------------------------------------------------------------ fast paths
# The two calls an order desk makes all day, taken past FastAPI's dependency and model
# machinery when the request is exactly what the models accept unchanged (see
# kernels.FastBatchRoute): anything else returns None before the token is looked at, and
# FastAPI's handler answers it as before. Same token check (the route's own dependency), same
# endpoint function, same idempotency digest.
_KEY = re.compile(KEY_PATTERN)
_RESERVE_KEYS = frozenset({"order_id", "lines", "location"})


async def _write_token(request: Request) -> TokenInfo:
    dependency = cast(Callable[..., Awaitable[TokenInfo]],
                      get_args(ReservationWrite)[1].dependency)
    return await dependency(request, await bearer(request))


def _plain_key(request: Request) -> tuple[bool, str | None]:
    key = request.headers.get("idempotency-key")
    return (key is None or (len(key) <= MAX_TEXT and _KEY.fullmatch(key) is not None)), key


async def _fast_reserve(request: Request) -> Response | None:
    if request.app.dependency_overrides:
        return None
    data = await _json_body(request)
    if type(data) is not dict or not data.keys() <= _RESERVE_KEYS:
        return None
    oid, lines, loc = data.get("order_id"), data.get("lines"), data.get("location", "")
    if type(oid) is not str or not 0 < len(oid) <= MAX_ORDER_ID or type(loc) is not str \
            or len(loc) > MAX_TEXT or type(lines) is not dict \
            or not 0 < len(lines) <= MAX_LINES:
        return None
    for sku, q in lines.items():
        if not 0 < len(sku) <= MAX_TEXT or (type(q) is not str and type(q) is not int):
            return None
    plain, key = _plain_key(request)
    if not plain:
        return None
    info = await _write_token(request)
    body = ReserveRequest.model_construct(order_id=oid, lines=lines, location=loc)
    return await _reserve_call(info, body, request, key).run_async()


async def _fast_release(request: Request) -> Response | None:
    if request.app.dependency_overrides:
        return None
    oid = request.path_params.get("order_id")
    if type(oid) is not str or not 0 < len(oid) <= MAX_ORDER_ID or await request.body() != b"":
        return None
    plain, key = _plain_key(request)
    if not plain:
        return None
    info = await _write_token(request)
    return await _take_call("release", info, request, oid, None, key).run_async()


FAST_PATHS["reserve"] = _fast_reserve
FAST_PATHS["release"] = _fast_release


@router.post("/reservations", status_code=201,
             summary="Reserve every line of an order, or nothing (409 lists shortages)",
             responses={200: {"description": "Already reserved with these lines (no change)"},
                        409: {"description": "Insufficient stock; `shortages` SKU -> missing",
                              "content": {PROBLEM_JSON: {}}}})
def reserve(info: ReservationWrite, body: ReserveRequest, request: Request,
            idempotency_key: IdemKey = None) -> JSONResponse:
    return _reserve_call(info, body, request, idempotency_key).run()


def _check_quantities(lines: Mapping[str, Any]) -> None:
    """422 naming ``lines.<SKU>`` for a quantity that is not an exact number >= 0 (the
    ledger's own check would name its argument, ``requirements['<SKU>']``)."""
    from jxc_rules.reservation.base import _exact

    for sku, q in lines.items():
        try:
            bad = _exact(q, f"lines.{sku}") < 0
        except JxcRulesError as exc:
            raise from_library(exc, fallback_field=f"lines.{sku}") from exc
        if bad:
            raise Problem(422, "validation", f"lines.{sku}: {q!r} is not a quantity >= 0",
                          field=f"lines.{sku}")


def _reserve_call(info: TokenInfo, body: ReserveRequest, request: Request,
                  idempotency_key: str | None) -> _Call:
    set_subject(request, f"order {body.order_id}")
    check_location(info, body.location)
    check_skus(info, body.lines, lambda s: f"lines.{s}")
    _check_quantities(body.lines)

    def answer(new: bool) -> tuple[int, Any]:
        # the order holds exactly these lines (reserved now, or already with the same lines):
        # no read back (a savepoint and two statements a request)
        lines = {s: str(q) if type(q) is int else exact_text(Fraction(q))
                 for s, q in normalize_requirements(body.lines).items()}
        return (201 if new else 200), {"order_id": body.order_id, "reserved": bool(new),
                                       "location": body.location, "lines": lines}

    def fn(led: Any) -> tuple[int, Any]:
        return answer(led.reserve(body.order_id, body.lines, location=body.location or None))

    return _Call(request, info, idempotency_key, "reserve", body.model_dump(), fn,
                 order_id=body.order_id, lines=len(body.lines),
                 reserve=(body.lines, body.location), on_reserved=answer)


def _order_scope(led: Any, info: TokenInfo, order_id: str) -> None:
    """403 unless the token may act on every SKU of the order (and at its location)."""
    if not (info.sku_prefixes or info.locations):
        return
    held = led.order(order_id)
    check_skus(info, held, lambda s: "order_id")
    if info.locations:
        import sqlalchemy as sa

        o = led._tables["orders"]
        loc = led._conn.execute(sa.select(o.c.location).where(o.c.order_id == order_id)).scalar()
        check_location(info, loc or "", field="order_id")


def _take_call(kind: str, info: TokenInfo, request: Request, order_id: str,
               lines: dict[str, Any] | None, idempotency_key: str | None) -> _Call:
    set_subject(request, f"order {order_id}")
    if lines is not None:
        check_skus(info, lines, lambda s: f"lines.{s}")

    def answer(done: bool, left: Mapping[str, Any]) -> tuple[int, Any]:
        return 200, {"order_id": order_id, kind + "d": bool(done) or kind == "release",
                     "held": exact_text(left)}

    def fn(led: Any) -> tuple[int, Any]:
        _order_scope(led, info, order_id)
        # what the order still holds comes back from the same call (no read of every
        # order's status after it)
        return answer(*led._take_left(order_id, lines, kind == "consume"))

    whole = (kind == "release" and lines is None
             and not (info.sku_prefixes or info.locations))
    return _Call(request, info, idempotency_key, kind,
                 {"order_id": order_id, "lines": lines}, fn,
                 field="order_id" if lines is None else "lines", order_id=order_id,
                 lines=1 if lines is None else len(lines),
                 on_released=(lambda left: answer(True, left)) if whole else None)


def _take(kind: str) -> Any:
    def endpoint(info: ReservationWrite, request: Request, order_id: OrderId,
                 body: LinesRequest | None = None,
                 idempotency_key: IdemKey = None) -> JSONResponse:
        lines = None if body is None else body.lines
        return _take_call(kind, info, request, order_id, lines, idempotency_key).run()

    endpoint.__name__ = kind
    return endpoint


_release = _take("release")
router.post("/reservations/{order_id:path}/release",
            summary="Give back what an order holds (all, or `lines`)")(_release)
router.post("/reservations/{order_id:path}/consume",
            summary="Book out what an order holds (all, or `lines` for a partial shipment)")(
    _take("consume"))


@router.get("/reservations/{order_id:path}", summary="An order's status and lines")
def get_order(info: ReservationRead, order_id: OrderId, request: Request) -> dict[str, Any]:
    set_subject(request, f"order {order_id}")
    led = request.app.state.jxc.ledger()
    try:
        status = led.orders().get(order_id)
        if status is None:
            raise Problem(404, "unknown-item", f"unknown order {order_id!r}", field="order_id")
        lines = led.order(order_id)
        check_skus(info, lines, lambda s: "order_id")
        return {"order_id": order_id, "status": status, "lines": exact_text(lines),
                "held": exact_text(led.held(order_id))}
    except JxcRulesError as exc:
        raise from_library(exc, unknown_status=404, fallback_field="order_id") from exc


@router.get("/stock/{sku:path}", summary="On hand, reserved and available of one SKU")
def get_stock(info: ReservationRead, request: Request,
              sku: Annotated[str, Path(min_length=1, max_length=200)],
              location: Annotated[str, Query(max_length=200)] = "") -> dict[str, Any]:
    check_location(info, location)
    check_skus(info, [sku], lambda s: "sku")
    led = request.app.state.jxc.ledger()
    loc = location or None
    try:
        return {"sku": sku, "location": location,
                "on_hand": exact_text(led.on_hand(sku, location=loc)),
                "reserved": exact_text(led.reserved(sku, location=loc)),
                "available": exact_text(led.available(sku, location=loc))}
    except JxcRulesError as exc:
        raise from_library(exc, unknown_status=404, fallback_field="sku") from exc


@router.post("/stock/receive", summary="Stock in (a new SKU gets a stock row)")
def receive(info: ReservationWrite, body: ReceiveRequest, request: Request,
            idempotency_key: IdemKey = None) -> JSONResponse:
    set_subject(request, f"sku {body.sku}")
    check_location(info, body.location)
    check_skus(info, [body.sku], lambda s: "sku")

    def fn(led: Any) -> tuple[int, Any]:
        loc = body.location or None
        led.receive(body.sku, body.quantity, location=loc)
        return 200, {"sku": body.sku, "on_hand": exact_text(led.on_hand(body.sku, location=loc))}

    return _Call(request, info, idempotency_key, "receive", body.model_dump(), fn,
                 field="quantity").run()


@router.post("/stock/adjust", summary="Set on hand to a counted quantity (reason required)")
def adjust(info: ReservationWrite, body: AdjustRequest, request: Request,
           idempotency_key: IdemKey = None) -> JSONResponse:
    set_subject(request, f"sku {body.sku}")
    check_location(info, body.location)
    check_skus(info, [body.sku], lambda s: "sku")

    def fn(led: Any) -> tuple[int, Any]:
        loc = body.location or None
        led.adjust(body.sku, body.counted, reason=body.reason, location=loc)
        return 200, {"sku": body.sku, "on_hand": exact_text(led.on_hand(body.sku, location=loc)),
                     "oversold": [{"order_id": o.order_id, "sku": o.sku,
                                   "short": exact_text(o.short), "location": o.location}
                                  for o in led.oversold() if o.sku == body.sku]}

    return _Call(request, info, idempotency_key, "adjust", body.model_dump(), fn,
                 field="counted").run()
