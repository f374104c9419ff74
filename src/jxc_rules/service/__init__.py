"""``jxc-rules serve``: the kernels, the reservation ledger and the simulator over HTTP.

An optional room (extra ``[serve]``: FastAPI, uvicorn, SQLAlchemy); ``import jxc_rules`` never
imports it. Build the app with :func:`create_app` and run it with any ASGI server::

    import uvicorn
    from jxc_rules.service import Settings, create_app

    uvicorn.run(create_app(Settings(db_url="postgresql+psycopg://app@db/erp")), port=8765)

See docs/service.md for the endpoints, scopes, limits and the idempotency protocol.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Any

for _needed in ("fastapi", "sqlalchemy"):
    if importlib.util.find_spec(_needed) is None:  # pragma: no cover - depends on the env
        from jxc_rules.errors import JxcRulesError

        raise JxcRulesError("the HTTP service needs its extra: pip install 'jxc-rules[serve]' "
                            f"({_needed} is missing)")

if TYPE_CHECKING:
    from jxc_rules.service.app import create_app
    from jxc_rules.service.settings import Settings

__all__ = ["Settings", "create_app"]


def __getattr__(name: str) -> Any:
    # lazy (PEP 562): a job's worker process imports jxc_rules.service.jobs, which must not
    # pay for FastAPI and SQLAlchemy it never uses (≈ 0.6 s per job)
    if name == "create_app":
        from jxc_rules.service.app import create_app

        return create_app
    if name == "Settings":
        from jxc_rules.service.settings import Settings

        return Settings
    raise AttributeError(f"module 'jxc_rules.service' has no attribute {name!r}")
