"""The audit log, for admin tokens only (read-only: the log is append-only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from jxc_rules.service.auth import AdminToken

__all__ = ["router"]

router = APIRouter(prefix="/v1/admin", tags=["admin"])


class AuditRow(BaseModel):
    seq: int
    at: str
    token: str | None
    method: str
    path: str
    subject: str | None
    status: int
    outcome: str


class AuditPage(BaseModel):
    entries: list[AuditRow]
    next_seq: int


@router.get("/audit", response_model=AuditPage,
            summary="Audit entries after `since_seq`, oldest first (who, what, subject, outcome)")
def query_audit(_info: AdminToken, request: Request,
          token: Annotated[str | None, Query(max_length=100,
                                             description="Only this token name")] = None,
          status: Annotated[int | None, Query(ge=100, le=599)] = None,
          since_seq: Annotated[int, Query(ge=0, le=2**62)] = 0,
          limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    rows = request.app.state.jxc.store.query_audit(token=token, status=status,
                                                   since_seq=since_seq, limit=limit)
    return {"entries": rows, "next_seq": rows[-1]["seq"] if rows else since_seq}
