"""Errors as RFC 9457 ``application/problem+json``, carrying the library's field/row/file:line.

Mapping (status, ``type`` suffix):

=============================  =====  ======================================================
error                          status  notes
=============================  =====  ======================================================
request body not valid         422    ``field`` is the JSON path (``lines[3].value``)
``ValidationError`` & co.      422    ``field`` prefixed with the line (``lines[3].pack``),
                                      ``row``, ``location`` (``file:line:col``), ``errors``
``UnknownItemError``           404    reservations (unknown order/SKU); 422 in a kernel batch
``InsufficientStock``          409    ``shortages``: SKU → missing quantity (exact string)
``DuplicateError``             409    the same order id / idempotency key, other content
``LedgerBusy``                 503    ``Retry-After``; nothing was changed
``LedgerError``                503    the database refused; the message names table/column
no / bad token                 401    ``WWW-Authenticate: Bearer``
scope, location, SKU prefix    403    ``field`` names what was outside the token's scope
rate limit, job bound          429    ``Retry-After``
body too large / too slow      413 / 408
=============================  =====  ======================================================

An unexpected exception becomes a 500 problem without its text (the traceback goes to the
server log, never to the client).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from jxc_rules.errors import (
    DuplicateError,
    InsufficientStock,
    JxcRulesError,
    LedgerBusy,
    LedgerError,
    RulePackError,
    UnknownItemError,
    ValidationError,
)

__all__ = ["PROBLEM_JSON", "Problem", "from_library", "problem_body"]

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://jxc-rules.dev/problems/"

TITLES = {
    400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
    405: "Method not allowed", 408: "Request timeout", 409: "Conflict",
    413: "Content too large", 415: "Unsupported media type", 422: "Unprocessable content",
    429: "Too many requests", 500: "Internal server error", 503: "Service unavailable",
    504: "Gateway timeout",
}


class Problem(Exception):
    """An error answer: ``status``, a ``kind`` (the ``type`` URI suffix), ``detail`` and extras
    (``field``, ``row``, ``location``, ``errors``, ``shortages``...)."""

    def __init__(self, status: int, kind: str, detail: str, *,
                 headers: Mapping[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.detail = detail
        self.headers = dict(headers or {})
        self.extra = {k: v for k, v in extra.items() if v is not None}

    def body(self, instance: str | None = None) -> dict[str, Any]:
        return problem_body(self.status, self.kind, self.detail, instance=instance, **self.extra)

    def encode(self, instance: str | None = None) -> bytes:
        return json.dumps(self.body(instance), ensure_ascii=False).encode()


def problem_body(status: int, kind: str, detail: str, *, instance: str | None = None,
                 **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": TYPE_BASE + kind, "title": TITLES.get(status, "Error"),
                           "status": status, "detail": detail}
    if instance is not None:
        out["instance"] = instance
    out.update({k: v for k, v in extra.items() if v is not None})
    return out


def _row(row: object) -> Any:
    if row is None:
        return None
    if isinstance(row, tuple):
        return [int(r) for r in row]
    try:
        return int(row)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return str(row)


def _join(prefix: str, field: str | None) -> str | None:
    if not prefix:
        return field
    if not field:
        return prefix
    return f"{prefix}.{field}" if not field.startswith("[") else prefix + field


def _errors(exc: RulePackError) -> list[dict[str, Any]]:
    out = []
    for e in exc.errors:
        out.append({k: v for k, v in {
            "detail": str(e), "field": e.field,
            "location": None if e.location is None else str(e.location),
        }.items() if v is not None})
    return out


def exact_text(q: Any) -> Any:
    """Quantities as exact strings: a finite decimal where one exists (``"10.5"``), else
    ``"n/d"``; mappings and lists of them alike (as the ledger stores them)."""
    from fractions import Fraction

    from jxc_rules._internal.exact import fraction_to_decimal
    from jxc_rules.serialize import jsonable

    if isinstance(q, Mapping):
        # whole quantities, the common case, straight to text (a reservation's answer has a
        # line per SKU)
        return {str(k): (str(v.numerator) if type(v) is Fraction and v.denominator == 1
                         else exact_text(v)) for k, v in q.items()}
    if isinstance(q, (list, tuple)):
        return [exact_text(v) for v in q]
    if isinstance(q, Fraction):
        d = q.denominator
        while d % 2 == 0:
            d //= 2
        while d % 5 == 0:
            d //= 5
        if d == 1:
            return jsonable(fraction_to_decimal(q))
    return jsonable(q)


def from_library(exc: JxcRulesError, *, prefix: str = "", unknown_status: int = 422,
                 fallback_field: str | None = None) -> Problem:
    """The problem a library error becomes; ``prefix`` (``lines[3]``) goes before its field."""
    detail = str(exc)
    if prefix:
        detail = f"{prefix}: {detail}"
    if isinstance(exc, InsufficientStock):
        return Problem(409, "insufficient-stock", detail,
                       shortages={str(k): exact_text(v) for k, v in exc.shortages.items()},
                       field=_join(prefix, fallback_field or "lines"))
    if isinstance(exc, DuplicateError):
        return Problem(409, "duplicate", detail, field=_join(prefix, exc.field or fallback_field))
    if isinstance(exc, RulePackError):
        return Problem(422, "rule-pack", detail, field=_join(prefix, exc.field or fallback_field),
                       location=None if exc.location is None else str(exc.location),
                       errors=_errors(exc))
    if isinstance(exc, ValidationError):
        return Problem(422, "validation", detail, field=_join(prefix, exc.field or fallback_field),
                       row=_row(exc.row))
    if isinstance(exc, UnknownItemError):
        key = exc.key if isinstance(exc.key, (str, int)) else None
        return Problem(unknown_status, "unknown-item", detail,
                       field=_join(prefix, fallback_field), key=key)
    if isinstance(exc, LedgerBusy):
        return Problem(503, "ledger-busy", detail, headers={"Retry-After": "1"})
    if isinstance(exc, LedgerError):
        return Problem(503, "ledger", detail, headers={"Retry-After": "5"})
    return Problem(422, "library", detail, field=_join(prefix, fallback_field))


def validation_problem(errors: Sequence[Mapping[str, Any]]) -> Problem:
    """A 422 problem from pydantic's ``errors()``: each entry names its JSON path; the members
    of a union failing on one field are one entry."""
    items: dict[str, str] = {}
    for err in errors:
        loc = [p for p in err.get("loc", ()) if p != "body"]
        path = ""
        for part in loc:
            if isinstance(part, int):
                path += f"[{part}]"
            else:
                text = str(part)
                if text in _UNION_MEMBERS or text.startswith(("function-", "constrained-")):
                    continue  # a union member's name, not a field
                path = f"{path}.{text}" if path else text
        path = path or "body"
        if isinstance(err.get("input"), float) and not isinstance(err.get("input"), bool):
            msg = ("exact values travel as decimal strings ('12.35') or integers, never JSON "
                   "floats")
        else:
            msg = str(err.get("msg", "invalid"))
        if path in items:
            if msg not in items[path]:
                items[path] = f"{items[path]}; or {msg}"
        else:
            items[path] = msg
    listed = [{"field": f, "detail": d} for f, d in items.items()] or [
        {"field": "body", "detail": "invalid request"}]
    first = listed[0]
    return Problem(422, "request-validation", f"{first['field']}: {first['detail']}",
                   field=first["field"], errors=listed)


_UNION_MEMBERS = frozenset({"str", "int", "float", "bool", "none", "dict", "list"})
