"""``jxc-rules serve``: the kernels, the reservation ledger and the simulator over HTTP.

An optional room (extra ``[serve]``: FastAPI, uvicorn, SQLAlchemy); ``import jxc_rules`` never
imports it. Build the app with :func:`create_app` and run it with any ASGI server::

    import uvicorn
    from jxc_rules.service import Settings, create_app

    uvicorn.run(create_app(Settings(db_url="postgresql+psycopg://app@db/erp")), port=8765)

See docs/service.md for the endpoints, scopes, limits and the idempotency protocol.
"""

from __future__ import annotations

try:
    import fastapi  # noqa: F401
    import sqlalchemy  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    from jxc_rules.errors import JxcRulesError

    raise JxcRulesError("the HTTP service needs its extra: pip install 'jxc-rules[serve]' "
                        f"({exc.name} is missing)") from None

from jxc_rules.service.app import create_app
from jxc_rules.service.settings import Settings

__all__ = ["Settings", "create_app"]
