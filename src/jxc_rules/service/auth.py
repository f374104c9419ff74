"""Who may call what: bearer tokens, scopes, location / SKU-prefix restriction, rate limits.

Auth is a FastAPI dependency (``Depends(require("reservation:write"))``): it reads
``Authorization: Bearer <token>``, looks the token's SHA-256 up in ``jxc_svc_tokens``, checks the
scope, takes one request from the token's bucket and records the token's *name* for the audit
log (the token itself is never logged or stored). Refusals are problems (401, 403, 429), and the
audit middleware records them like every other answer.

Rate limit: a token bucket per token name — ``burst`` requests at once, refilled at
``rate_per_s`` per second (the token's own numbers, else the service's). In memory, per
process: with several uvicorn workers each has its own bucket.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from jxc_rules.service.problems import Problem
from jxc_rules.service.store import TokenInfo

__all__ = ["RateLimiter", "check_location", "check_skus", "require"]

ANONYMOUS = TokenInfo(name="anonymous", scopes=frozenset(
    {"kernels", "reservation:write", "jobs:write", "admin"}))

bearer = HTTPBearer(auto_error=False, description="An API token from `jxc-rules token add`.")


class RateLimiter:
    """Token buckets keyed by token name."""

    def __init__(self, rate_per_s: float, burst: int) -> None:
        self.rate = rate_per_s
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, name: str, rate: float | None = None, burst: int | None = None) -> float:
        """0 when a request may go now, else the seconds until one may."""
        r = rate or self.rate
        b = burst or self.burst
        t = time.monotonic()
        with self._lock:
            level, last = self._buckets.get(name, (float(b), t))
            level = min(float(b), level + (t - last) * r)
            if level >= 1:
                self._buckets[name] = (level - 1, t)
                return 0.0
            self._buckets[name] = (level, t)
            return (1 - level) / r


def _state(request: Request) -> Any:
    return request.app.state.jxc


def require(scope: str) -> Any:
    """A dependency that admits a token holding ``scope`` and returns its :class:`TokenInfo`."""

    # async: checked on the event loop, no thread hop per request (a token lookup that misses
    # the cache is one indexed read, every token_cache_s per token)
    async def dependency(request: Request,
                         credentials: Annotated[HTTPAuthorizationCredentials | None,
                                                Depends(bearer)]) -> TokenInfo:
        st = _state(request)
        if not st.settings.require_tokens:
            info = ANONYMOUS
        else:
            if credentials is None or not credentials.credentials:
                raise Problem(401, "unauthorized", "this endpoint needs a token: send "
                              "'Authorization: Bearer <token>' (jxc-rules token add NAME "
                              "--scope ...)", field="Authorization",
                              headers={"WWW-Authenticate": "Bearer"})
            found = st.store.lookup(credentials.credentials)
            if found is None:
                raise Problem(401, "unauthorized", "unknown or revoked token",
                              field="Authorization",
                              headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
            info = found
        request.scope.setdefault("state", {})["jxc_token"] = info.name
        if not info.allows(scope):
            raise Problem(403, "scope", f"token {info.name!r} lacks scope {scope!r} "
                          f"(it has {', '.join(info.scope_list())})", field="Authorization",
                          scope=scope)
        wait = st.limiter.take(info.name, info.rate_per_s, info.burst)
        if wait > 0:
            raise Problem(429, "rate-limit", f"token {info.name!r} is over its rate limit; "
                          f"retry in {wait:.3f} s", field="Authorization",
                          headers={"Retry-After": str(max(1, round(wait + 0.5)))})
        return info

    dependency.__name__ = f"require_{scope.replace(':', '_')}"
    return Depends(dependency)


#: the token of a request, admitted for one scope (use as a parameter's annotation)
KernelsToken = Annotated[TokenInfo, require("kernels")]
ReservationRead = Annotated[TokenInfo, require("reservation:read")]
ReservationWrite = Annotated[TokenInfo, require("reservation:write")]
JobsRead = Annotated[TokenInfo, require("jobs:read")]
JobsWrite = Annotated[TokenInfo, require("jobs:write")]
AdminToken = Annotated[TokenInfo, require("admin")]


def check_location(info: TokenInfo, location: str, field: str = "location") -> None:
    """403 when the token is restricted to other locations."""
    if info.locations and location not in info.locations:
        raise Problem(403, "location-scope", f"token {info.name!r} may not act at location "
                      f"{location!r} (its locations: {', '.join(map(repr, info.locations))})",
                      field=field)


def check_skus(info: TokenInfo, skus: Iterable[str], field: Callable[[str], str]) -> None:
    """403 naming the first SKU outside the token's SKU prefixes."""
    if not info.sku_prefixes:
        return
    for sku in skus:
        if not sku.startswith(info.sku_prefixes):
            raise Problem(403, "sku-scope", f"token {info.name!r} may not act on SKU {sku!r} "
                          f"(its SKU prefixes: {', '.join(map(repr, info.sku_prefixes))})",
                          field=field(sku))


def set_subject(request: Request, subject: str) -> None:
    """What the audit row names as the call's subject (order id, pack, job)."""
    request.scope.setdefault("state", {})["jxc_subject"] = subject
