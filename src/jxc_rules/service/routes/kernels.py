"""Stateless kernel endpoints, batch-first: one request carries many lines.

Exact inputs (quantities, prices, money) are JSON strings or integers — never JSON floats, which
would arrive already rounded to binary; exact outputs are strings (``"12.36"``, ``"1/3"``), units
strings, all through :func:`jxc_rules.jsonable`. A line the kernel refuses refuses the whole
batch with one 422 problem whose ``field`` names the line and its field (``lines[3].pack``).
Float kernels (live weight) take JSON numbers.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Annotated, Any, Literal, TypeVar, cast, get_args

from fastapi import APIRouter, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from jxc_rules.errors import JxcRulesError
from jxc_rules.service.auth import bearer, require, set_subject
from jxc_rules.service.problems import Problem, from_library

__all__ = ["router"]

log = logging.getLogger("jxc_rules.service")

T = TypeVar("T")

#: an exact value: a decimal / fraction string (``"12.35"``, ``"1/3"``) or an integer
Exact = Annotated[StrictStr | StrictInt, Field(
    description="Exact value: a decimal or fraction string ('12.35', '1/3') or an integer; "
                "never a JSON float", examples=["12.35"])]
Text = Annotated[str, Field(min_length=1, max_length=200)]
Mode = Literal["up", "down", "ceiling", "floor", "half_up", "half_even", "half_down"]
MAX_LINES = 10_000


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def lines_field(item: Any) -> Any:
    return Field(min_length=1, max_length=MAX_LINES,
                 description="The batch: one entry per line (at most 10,000).")


#: builtin errors a kernel may still raise on input it does not check itself (a library bug:
#: every error should be a located JxcRulesError); the service answers them as 422 naming the
#: field it was given, and logs them so they get fixed where they arise
UNLOCATED = (TypeError, ValueError, ArithmeticError, KeyError, IndexError, AttributeError)


def unlocated(exc: Exception, field: str) -> Problem:
    log.warning("unlocated %s from the library for field %s: %s", type(exc).__name__, field,
                exc)
    return Problem(422, "validation", f"{field}: not a value this kernel accepts "
                   f"({type(exc).__name__}: {str(exc)[:200]})", field=field)


def run_lines(lines: Sequence[T], fn: Callable[[T], Any]) -> list[Any]:
    """``fn`` over every line; a library error becomes a problem naming ``lines[i].field``."""
    from jxc_rules.serialize import jsonable

    out = []
    for i, line in enumerate(lines):
        try:
            out.append(jsonable(fn(line)))
        except JxcRulesError as exc:
            raise from_library(exc, prefix=f"lines[{i}]") from exc
        except UNLOCATED as exc:
            raise unlocated(exc, f"lines[{i}]") from exc
    return out


def fast(body: Any) -> Response:
    """The answer as JSON bytes directly: the batch endpoints' values are JSON-native already
    (jsonable), so FastAPI's response-model pass (validation and encoding, in a thread) would
    only repeat work; the response model still documents the shape."""
    return Response(json.dumps(body, ensure_ascii=False, allow_nan=False,
                               separators=(",", ":")).encode(), media_type="application/json")


def run_one(fn: Callable[[], Any], *, fallback_field: str | None = None) -> Any:
    from jxc_rules.serialize import jsonable

    try:
        return jsonable(fn())
    except JxcRulesError as exc:
        raise from_library(exc, fallback_field=fallback_field) from exc
    except UNLOCATED as exc:
        raise unlocated(exc, fallback_field or "body") from exc


KERNELS = require("kernels")

#: fast paths of batch endpoints by route name: ``(request) -> Response | None``, ``None`` to
#: let FastAPI's own handler take the request (see :class:`FastBatchRoute`)
FAST_PATHS: dict[str, Callable[[Request], Awaitable[Response | None]]] = {}


class FastBatchRoute(APIRoute):
    """A route whose plain, well-formed requests skip FastAPI's per-line model pass.

    The route is declared as usual (the body model documents it in OpenAPI and validates
    every request the fast path does not take). Its fast path reads the JSON itself, takes it
    only when every line has exactly the shape the model would accept, then admits the token
    with the same dependency (``require("kernels")``) and answers; anything else — another
    content type, bad JSON, a missing or extra field, a float — returns ``None`` *before* the
    token is looked at, and FastAPI's handler answers exactly as it always did (one rate-limit
    take per request either way).
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        full = super().get_route_handler()
        fast = FAST_PATHS.get(self.name)
        if fast is None:
            return full

        async def handler(request: Request) -> Response:
            answer = await fast(request)
            return answer if answer is not None else await full(request)

        return handler


async def _admit(request: Request) -> None:
    """The router's ``require("kernels")``, called as FastAPI would call it."""
    dependency = cast(Callable[..., Awaitable[Any]], KERNELS.dependency)
    await dependency(request, await bearer(request))


async def _json_body(request: Request) -> Any:
    """The body as FastAPI would decode it, or ``None`` (then FastAPI's handler decodes it and
    answers any error itself)."""
    if request.headers.get("content-type") not in _JSON_TYPES:
        return None
    body = await request.body()  # the Guard's 408 / 413 propagate as on FastAPI's path
    try:
        return json.loads(body)
    except ValueError:
        return None


_JSON_TYPES = frozenset({"application/json", "application/json; charset=utf-8"})

router = APIRouter(prefix="/v1", tags=["kernels"], dependencies=[KERNELS],
                   route_class=FastBatchRoute)


# ------------------------------------------------------------------ units
class ConvertLine(Strict):
    value: Exact
    from_unit: Text = Field(examples=["斤"])
    to_unit: Text = Field(examples=["kg"])
    step: Exact | None = None
    mode: Mode = "half_up"


class ConvertRequest(Strict):
    lines: list[ConvertLine] = lines_field(ConvertLine)


class StringResults(BaseModel):
    results: list[str]


ConvertRow = tuple[Any, str, str, Any, str]  # value, from_unit, to_unit, step, mode
_MODES = frozenset(get_args(Mode))
_CONVERT_KEYS = frozenset({"value", "from_unit", "to_unit", "step", "mode"})


def convert_rows(rows: Sequence[ConvertRow]) -> list[str]:
    """``str(convert(...))`` of every row: the integer fast path where it applies
    (:func:`jxc_rules._internal.decimal_batch.convert_str`), else the library's ``convert``
    with the usual error naming ``lines[i].field``."""
    from jxc_rules._internal.decimal_batch import convert_str
    from jxc_rules.units import convert

    out = []
    for i, (value, from_unit, to_unit, step, mode) in enumerate(rows):
        text = convert_str(value, from_unit, to_unit) if step is None else None
        if text is None:
            try:
                text = str(convert(value, from_unit, to_unit, step=step, mode=mode))
            except JxcRulesError as exc:
                raise from_library(exc, prefix=f"lines[{i}]") from exc
            except UNLOCATED as exc:
                raise unlocated(exc, f"lines[{i}]") from exc
        out.append(text)
    return out


def _results(texts: list[str]) -> Response:
    """``{"results": [...]}`` of ``str(Decimal)`` texts (digits, ``.``, ``-``, ``+``, ``E``:
    nothing JSON escapes), joined once."""
    body = '{"results":["' + '","'.join(texts) + '"]}' if texts else '{"results":[]}'
    return Response(body.encode(), media_type="application/json")


def plain_convert_rows(data: Any) -> list[ConvertRow] | None:
    """The rows of a decoded convert body when it is exactly what :class:`ConvertRequest`
    accepts unchanged (types, lengths, keys, modes), else ``None`` for the model to judge."""
    if type(data) is not dict or len(data) != 1:
        return None
    lines = data.get("lines")
    if type(lines) is not list or not 1 <= len(lines) <= MAX_LINES:
        return None
    rows: list[ConvertRow] = []
    for ln in lines:
        if type(ln) is not dict:
            return None
        value = ln.get("value")
        from_unit = ln.get("from_unit")
        to_unit = ln.get("to_unit")
        if (type(value) is not str and type(value) is not int) or type(from_unit) is not str \
                or type(to_unit) is not str or not 0 < len(from_unit) <= 200 \
                or not 0 < len(to_unit) <= 200:
            return None
        if len(ln) == 3:
            rows.append((value, from_unit, to_unit, None, "half_up"))
            continue
        if not ln.keys() <= _CONVERT_KEYS:
            return None
        step = ln.get("step")
        mode = ln.get("mode", "half_up")
        if (step is not None and type(step) is not str and type(step) is not int) \
                or type(mode) is not str or mode not in _MODES:
            return None
        rows.append((value, from_unit, to_unit, step, mode))
    return rows


async def _fast_convert(request: Request) -> Response | None:
    if request.app.dependency_overrides:  # a test's or a host's overrides: FastAPI's path
        return None
    rows = plain_convert_rows(await _json_body(request))
    if rows is None:
        return None
    await _admit(request)
    return _results(convert_rows(rows))


FAST_PATHS["convert_batch"] = _fast_convert


@router.post("/units/convert", response_model=StringResults,
             summary="Exact unit conversion of many values (jxc_rules.convert)")
async def convert_batch(body: ConvertRequest) -> Response:
    return _results(convert_rows([(ln.value, ln.from_unit, ln.to_unit, ln.step, ln.mode)
                                  for ln in body.lines]))


# ------------------------------------------------------------------ packaging
class ShipPlanLine(Strict):
    ordered: Text = Field(examples=["12.35 t"])
    pack: Text = Field(examples=["40 kg"])
    mode: Mode = "half_up"


class ShipPlanRequest(Strict):
    lines: list[ShipPlanLine] = lines_field(ShipPlanLine)


class QuantityOut(BaseModel):
    value: str
    unit: str


class ShipPlanOut(BaseModel):
    packs: int
    shipped: QuantityOut
    residual: QuantityOut


class ShipPlanResults(BaseModel):
    results: list[ShipPlanOut]


@router.post("/packaging/ship-plans", response_model=ShipPlanResults,
             summary="Whole packs for each ordered quantity (jxc_rules.ship_plan)")
async def ship_plans(body: ShipPlanRequest) -> Response:
    from jxc_rules.packaging import ship_plan

    return fast({"results": run_lines(body.lines, lambda ln: ship_plan(ln.ordered, ln.pack,
                                                                       mode=ln.mode))})


class AmountLine(Strict):
    quantity: Exact = Field(examples=["12.36 t"])
    unit_price: Exact = Field(examples=["2850"])
    price_unit: Text = Field(examples=["t"])
    mode: Mode = "half_up"


class AmountRequest(Strict):
    lines: list[AmountLine] = lines_field(AmountLine)


@router.post("/packaging/line-amounts", response_model=StringResults,
             summary="quantity × price per price unit, to the fen (jxc_rules.line_amount)")
async def line_amounts(body: AmountRequest) -> Response:
    from jxc_rules.packaging import line_amount

    return fast({"results": run_lines(body.lines, lambda ln: line_amount(
        ln.quantity, ln.unit_price, ln.price_unit, mode=ln.mode))})


class InvoiceRequest(Strict):
    amounts: list[Exact] = Field(min_length=1, max_length=MAX_LINES,
                                 description="Line amounts in yuan.")
    freight: Exact = 0
    discount: Exact = 0
    tax_rate: Exact = 0


class InvoiceLineOut(BaseModel):
    amount: str
    freight: str
    discount: str
    tax: str
    total: str


class InvoiceOut(BaseModel):
    lines: list[InvoiceLineOut]
    subtotal: str
    freight: str
    discount: str
    tax: str
    total: str


@router.post("/packaging/invoice", response_model=InvoiceOut,
             summary="An invoice from line amounts: freight, discount, tax allocated to the fen")
def make_invoice(body: InvoiceRequest) -> Any:
    from jxc_rules.packaging import invoice

    return run_one(lambda: invoice(body.amounts, freight=body.freight, discount=body.discount,
                                   tax_rate=body.tax_rate), fallback_field="amounts")


# ------------------------------------------------------------------ live weight
Number = Annotated[float | StrictStr, Field(description="A number, or a string with a unit")]


class ReconcileLine(Strict):
    shipped_kg: float = Field(ge=0, allow_inf_nan=False)
    received_kg: float = Field(ge=0, allow_inf_nan=False)
    hours: float = Field(ge=0, allow_inf_nan=False)
    dead_kg: float = Field(default=0, ge=0, allow_inf_nan=False)


class ReconcileRequest(Strict):
    rate_per_hour: Annotated[StrictStr | float, Field(examples=["0.3 %/h"])]
    form: Literal["linear", "compound", "continuous"] = "compound"
    tolerance_kg: float = Field(default=0, ge=0, allow_inf_nan=False)
    lines: list[ReconcileLine] = lines_field(ReconcileLine)


@router.post("/live-weight/reconcile",
             summary="Expected transit shrink vs unexplained loss per shipment "
                     "(jxc_rules.reconcile)")
def reconcile_batch(body: ReconcileRequest) -> dict[str, Any]:
    import numpy as np

    from jxc_rules.live_weight import reconcile

    cols = {k: np.array([getattr(ln, k) for ln in body.lines], dtype=float)
            for k in ("shipped_kg", "received_kg", "hours", "dead_kg")}
    try:
        res = run_one(lambda: reconcile(cols["shipped_kg"], cols["received_kg"],
                                        cols["hours"], rate_per_hour=body.rate_per_hour,
                                        form=body.form, dead_kg=cols["dead_kg"],
                                        tolerance_kg=body.tolerance_kg),
                      fallback_field="lines")
    except Problem as p:
        row = p.extra.get("row")
        if isinstance(row, int) and p.extra.get("field") in cols:
            p.extra["field"] = f"lines[{row}].{p.extra['field']}"
        raise
    n = len(body.lines)
    return {"results": [{k: (v[i] if isinstance(v, list) and len(v) == n else v)
                         for k, v in res.items()} for i in range(n)]}


# ------------------------------------------------------------------ wastage
class GrossUpLine(Strict):
    net: Exact
    loss: Exact


class GrossUpRequest(Strict):
    convention: Literal["loss", "markup"] = "loss"
    lines: list[GrossUpLine] = lines_field(GrossUpLine)


@router.post("/wastage/gross-up", response_model=StringResults,
             summary="Gross quantity from net and a loss rate, exact (gross_up_exact)")
async def gross_up_batch(body: GrossUpRequest) -> Response:
    from jxc_rules.wastage.models import gross_up_exact

    return fast({"results": run_lines(body.lines, lambda ln: gross_up_exact(
        ln.net, ln.loss, convention=body.convention))})


class PrepLine(Strict):
    edible: float = Field(ge=0, allow_inf_nan=False, description="edible demand (any unit)")
    yield_: float = Field(default=1.0, gt=0, le=1, allow_inf_nan=False, alias="yield",
                          description="edible share of the purchased item (出成率), (0, 1]")
    loss: float = Field(default=0.0, ge=0, allow_inf_nan=False,
                        description="channel loss (convention 'loss': < 1) or markup")


class PrepRequest(Strict):
    convention: Literal["loss", "markup"] = "loss"
    lines: list[PrepLine] = lines_field(PrepLine)


class FloatResults(BaseModel):
    results: list[float]


@router.post("/wastage/prep", response_model=FloatResults,
             summary="Prep quantity per line: gross_up(edible / yield, loss) (prep_quantities)")
def prep_batch(body: PrepRequest) -> dict[str, Any]:
    import numpy as np

    from jxc_rules.wastage.prep import prep_quantities

    cols = {k: np.array([getattr(ln, a) for ln in body.lines], dtype=float)
            for k, a in (("edible", "edible"), ("yields", "yield_"), ("losses", "loss"))}
    try:
        out = run_one(lambda: prep_quantities(cols["edible"], yields=cols["yields"],
                                              losses=cols["losses"],
                                              convention=body.convention),
                      fallback_field="lines")
    except Problem as p:
        row = p.extra.get("row")
        name = {"edible": "edible", "yields": "yield", "losses": "loss", "loss": "loss",
                "markup": "loss"}.get(str(p.extra.get("field")))
        if isinstance(row, int) and name is not None:
            p.extra["field"] = f"lines[{row}].{name}"
        raise
    return {"results": out}


# ------------------------------------------------------------------ BOM
class BomLineIn(Strict):
    parent: Text
    child: Text
    qty: Exact
    unit: Text | None = None
    scrap: Exact | None = None
    phantom: bool = False


class BomRequest(Strict):
    lines: list[BomLineIn] = Field(min_length=1, max_length=MAX_LINES)
    outputs: dict[str, Exact] | None = None
    item: Text
    quantity: Exact = 1
    on: Annotated[str, Field(max_length=10, examples=["2026-12-01"])] | None = None


class MaxBuildableRequest(BomRequest):
    stock: dict[str, Exact]


def _bom(body: BomRequest) -> Any:
    from jxc_rules.bom import Bom

    lines = [{k: v for k, v in ln.model_dump().items() if v is not None and
              not (k == "phantom" and v is False)} for ln in body.lines]
    return Bom(lines, outputs=body.outputs)


@router.post("/bom/explode", summary="Leaf requirements of an item (jxc_rules.explode)")
def bom_explode(body: BomRequest, request: Request) -> dict[str, Any]:
    from jxc_rules.bom import explode

    set_subject(request, f"item {body.item}")
    return {"requirements": run_one(lambda: explode(_bom(body), body.item, body.quantity,
                                                    on=body.on), fallback_field="item")}


@router.post("/bom/max-buildable", summary="Complete sets stock covers (jxc_rules.max_buildable)")
def bom_max_buildable(body: MaxBuildableRequest, request: Request) -> dict[str, Any]:
    from jxc_rules.bom import max_buildable

    set_subject(request, f"item {body.item}")
    return {"buildable": run_one(lambda: max_buildable(_bom(body), body.item, body.stock,
                                                       on=body.on), fallback_field="item")}


# ------------------------------------------------------------------ rule packs
class PackRef(Strict):
    """A bundled pack by name (``hotpot@2026.11``) or a pack's YAML text; never a server path."""

    name: Annotated[str, Field(max_length=100, examples=["hotpot@2026.11"])] | None = None
    yaml: Annotated[str, Field(max_length=512_000)] | None = None


def load_ref(ref: PackRef, field: str) -> Any:
    from jxc_rules._internal.bundled import as_name
    from jxc_rules.rules.load import load_pack, loads_pack

    if (ref.name is None) == (ref.yaml is None):
        raise Problem(422, "validation", f"{field}: give exactly one of name and yaml",
                      field=field)
    try:
        if ref.name is not None:
            if as_name(ref.name) is None:
                raise Problem(422, "validation", f"{field}.name: {ref.name!r} is not a bundled "
                              "pack name such as 'hotpot' or 'hotpot@2026.11' (the service never "
                              "reads files named by a client)", field=f"{field}.name")
            return load_pack(ref.name)
        assert ref.yaml is not None
        return loads_pack(ref.yaml, filename=f"<{field}>")
    except JxcRulesError as exc:
        raise from_library(exc, prefix=field) from exc


class ValidateRequest(Strict):
    pack: PackRef


class ValidateOut(BaseModel):
    valid: bool
    industry: str
    version: str
    scope: str | None = None
    effective_from: str


@router.post("/rules/validate", response_model=ValidateOut,
             summary="Validate a rule pack (422 lists every problem with file:line)")
def rules_validate(body: ValidateRequest, request: Request) -> dict[str, Any]:
    pack = load_ref(body.pack, "pack")
    set_subject(request, f"pack {pack.industry}@{pack.version}")
    return {"valid": True, "industry": pack.industry, "version": pack.version,
            "scope": getattr(pack, "scope", None), "effective_from": str(pack.effective_from)}


class DiffRequest(Strict):
    old: PackRef
    new: PackRef
    threshold: float = Field(default=0.15, ge=0, allow_inf_nan=False)
    include_metadata: bool = False
    cross_industry: bool = False


@router.post("/rules/diff", summary="What a new pack version changes (jxc_rules.rules.diff)")
def rules_diff(body: DiffRequest, request: Request) -> dict[str, Any]:
    from jxc_rules.rules.diff import diff

    old, new = load_ref(body.old, "old"), load_ref(body.new, "new")
    set_subject(request, f"pack {old.industry}@{old.version} -> {new.version}")
    return {"changes": run_one(lambda: diff(old, new, threshold=body.threshold,
                                            include_metadata=body.include_metadata,
                                            cross_industry=body.cross_industry),
                               fallback_field="new")}


# ------------------------------------------------------------------ shelf life
Reading = Annotated[float | None, Field(allow_inf_nan=False,
                                        description="null: a missing reading (a gap)")]


class LotLog(Strict):
    lot_id: Text
    times_h: list[Annotated[float, Field(allow_inf_nan=False)]] = Field(min_length=1,
                                                                         max_length=100_000)
    temps_c: list[Reading] = Field(min_length=1, max_length=100_000)


class LotsRequest(Strict):
    rule: dict[str, Any] = Field(description="A shelf-life rule as a pack writes it: model "
                                 "({q10, ref_temp_c} | {ea_kj_per_mol, ref_temp_c} | ...), "
                                 "shelf_life_ref_h, alert_offset_h, removal_offset_h, "
                                 "hard_limits, ...", examples=[{
                                     "model": {"q10": 3, "ref_temp_c": 4},
                                     "shelf_life_ref_h": "10 d", "alert_offset_h": "2 d"}])
    now_h: float = Field(allow_inf_nan=False)
    forecast_temp_c: float | None = Field(default=None, allow_inf_nan=False)
    interpolation: Literal["linear", "previous", "next", "trapezoid"] = "linear"
    lots: list[LotLog] = Field(min_length=1, max_length=MAX_LINES)


@router.post("/shelf-life/lots",
             summary="Remaining life, expiry and level of many lots, and their FEFO order "
                     "(assess_lots, fefo_order)")
def shelf_life_lots(body: LotsRequest) -> dict[str, Any]:
    import numpy as np

    from jxc_rules.serialize import jsonable
    from jxc_rules.shelf_life.lots import ShelfLifeRule, assess_lots, fefo_order

    for i, lot in enumerate(body.lots):
        if len(lot.times_h) != len(lot.temps_c):
            raise Problem(422, "validation", f"lots[{i}]: {len(lot.times_h)} times_h but "
                          f"{len(lot.temps_c)} temps_c; give one temperature per time",
                          field=f"lots[{i}].temps_c")
    if len({lot.lot_id for lot in body.lots}) != len(body.lots):
        raise Problem(422, "validation", "lots: two lots with one lot_id", field="lots")
    try:
        rule = ShelfLifeRule.from_mapping(body.rule)
    except JxcRulesError as exc:
        raise from_library(exc, prefix="rule") from exc
    except UNLOCATED as exc:
        raise unlocated(exc, "rule") from exc
    ids = np.concatenate([np.full(len(lot.times_h), i) for i, lot in enumerate(body.lots)])
    times = np.concatenate([np.asarray(lot.times_h, dtype=float) for lot in body.lots])
    temps = np.concatenate([np.asarray([np.nan if t is None else t for t in lot.temps_c],
                                       dtype=float) for lot in body.lots])
    try:
        res = assess_lots(times, temps, rule, body.now_h, lot_ids=ids,
                          interpolation=body.interpolation, forecast_temp_c=body.forecast_temp_c)
        order = fefo_order(res)
        cols = jsonable(res, allow_nan=True)
        levels = [str(x) for x in res.level]
    except JxcRulesError as exc:
        p = from_library(exc, fallback_field="lots")
        row, field = getattr(exc, "row", None), p.extra.get("field")
        if isinstance(row, int) and 0 <= row < len(ids) and field in ("times_h", "temps_c"):
            pos = int(ids[row])
            first = int(np.argmax(ids == pos))
            p.extra["field"] = f"lots[{pos}].{field}[{row - first}]"
        raise p from exc
    except UNLOCATED as exc:
        raise unlocated(exc, "lots") from exc
    names = [lot.lot_id for lot in body.lots]
    n = len(names)
    out = []
    for i in range(n):
        row = {k: v[i] for k, v in cols.items()
               if isinstance(v, list) and len(v) == n and k != "lot_ids"}
        out.append({"lot_id": names[i], "level": levels[i], **row})
    return {"results": out, "fefo": [names[int(i)] for i in order]}


# ------------------------------------------------------------------ month-end close
class CloseRequest(Strict):
    profiles: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_LINES, description=(
        "ProductProfile fields: sku, name, price_unit, pack_content, pack_name, stock_unit, "
        "rounding, invoice_basis, catch_weight_tolerance, labels"), examples=[[{
            "sku": "urea", "name": "尿素", "price_unit": "t", "pack_content": "40 kg"}]])
    movements: list[dict[str, Any]] = Field(max_length=100_000, description=(
        "In posting order; kind 'receipt' (doc_id, sku, bags, price) or 'shipment' "
        "(doc_id, sku, bags, price, ordered, actual)"))
    opening: dict[str, dict[str, Any]] | None = Field(
        default=None, description="sku -> {bags, value}")
    counts: dict[str, dict[str, Any]] | None = Field(
        default=None, description="sku -> {bags, broken_bags, loose}")


@router.post("/closing/month", summary="Month-end close of many products (close_month): "
             "closing stock, COGS, revenue, margin and variances by cause")
def month_end_close(body: CloseRequest, request: Request) -> Any:
    from jxc_rules.closing import close_month
    from jxc_rules.packaging import ProductProfile

    profiles = []
    for i, data in enumerate(body.profiles):
        try:
            profiles.append(ProductProfile(**data))
        except JxcRulesError as exc:
            raise from_library(exc, prefix=f"profiles[{i}]") from exc
        except UNLOCATED as exc:
            raise unlocated(exc, f"profiles[{i}]") from exc
    set_subject(request, "close " + ",".join(p.sku for p in profiles)[:200])
    try:
        result = close_month(profiles, body.movements, opening=body.opening,
                             counts=body.counts)
    except JxcRulesError as exc:
        p = from_library(exc, fallback_field="movements")
        row = getattr(exc, "row", None)
        if isinstance(row, int) and p.extra.get("field") not in (None, "movements"):
            p.extra["field"] = f"movements[{row}].{p.extra['field']}"
        elif isinstance(row, int):
            p.extra["field"] = f"movements[{row}]"
        raise p from exc
    except UNLOCATED as exc:  # e.g. an opening / count mapping with unknown keys
        raise unlocated(exc, "movements" if body.movements else "counts") from exc
    return run_one(lambda: result)
