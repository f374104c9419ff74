"""``jxc-rules serve`` and ``jxc-rules token``: thin — parse, call the service, print.

Outside :mod:`jxc_rules.service` so that ``jxc-rules --help`` imports neither FastAPI nor the
kernels; each command imports the service when it runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["register"]

DEFAULT_DB = "sqlite:///jxc-service.db"


def _settings(args: argparse.Namespace, **extra: Any) -> Any:
    from jxc_rules.service.settings import Settings

    return Settings(db_url=args.db, **extra)


def _serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn
    except ImportError:
        from jxc_rules.errors import JxcRulesError

        raise JxcRulesError("jxc-rules serve needs its extra: pip install 'jxc-rules[serve]'"
                            ) from None
    import os

    import attrs

    from jxc_rules.service import create_app
    from jxc_rules.service.app import SETTINGS_ENV, prepare

    extra: dict[str, Any] = {}
    if args.max_body_bytes is not None:
        extra["max_body_bytes"] = args.max_body_bytes
    if args.max_jobs is not None:
        extra["max_jobs"] = args.max_jobs
    if not args.group_commit:
        extra["group_commit"] = False
    settings = _settings(args, **extra)
    print(f"jxc-rules service on http://{args.host}:{args.port} (ledger: "
          f"{_safe_url(args.db)}, {args.workers} worker(s)); OpenAPI at /openapi.json",
          file=sys.stderr)
    # uvicorn picks uvloop and httptools itself when installed (uvicorn[standard], the extra)
    common: dict[str, Any] = {"host": args.host, "port": args.port, "log_level": args.log_level,
                              "timeout_keep_alive": 5,
                              "limit_concurrency": args.limit_concurrency,
                              "access_log": args.access_log}
    if args.workers > 1:
        prepare(settings)
        os.environ[SETTINGS_ENV] = json.dumps(attrs.asdict(attrs.evolve(
            settings, create_tables=False)))
        uvicorn.run("jxc_rules.service.app:create_app_from_env", factory=True,
                    workers=args.workers, **common)
    else:
        uvicorn.run(create_app(settings), **common)
    return 0


def _safe_url(url: str) -> str:
    try:
        import sqlalchemy as sa

        return sa.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparsable URL>"


def _store(args: argparse.Namespace) -> Any:
    from jxc_rules.service.store import Store, make_engine

    store = Store(make_engine(args.db))
    store.create_tables()
    return store


def _token_add(args: argparse.Namespace) -> int:
    store = _store(args)
    token = store.add_token(args.name, args.scope, rate_per_s=args.rate, burst=args.burst)
    print(token)
    print(f"token {args.name!r} created with scopes {' '.join(args.scope)}; it is shown only "
          "now (the service stores its hash)", file=sys.stderr)
    return 0


def _token_list(args: argparse.Namespace) -> int:
    print(json.dumps(_store(args).list_tokens(), ensure_ascii=False, indent=2))
    return 0


def _token_revoke(args: argparse.Namespace) -> int:
    if _store(args).revoke_token(args.name):
        print(f"token {args.name!r} revoked", file=sys.stderr)
        return 0
    print(f"jxc-rules: error: no active token named {args.name!r}", file=sys.stderr)
    return 1


def register(sub: Any) -> None:
    """Add ``serve`` and ``token`` to the ``jxc-rules`` subcommands."""
    serve = sub.add_parser("serve", help="run the HTTP service (kernels, reservation, jobs)",
                           description="Serve the kernels, the reservation ledger and simulation"
                           " jobs over HTTP (OpenAPI at /openapi.json; docs/service.md).")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    serve.add_argument("--db", default=DEFAULT_DB, metavar="URL",
                       help="SQLAlchemy URL of the ledger and the service's tables (default: "
                            "an embedded SQLite file jxc-service.db)")
    serve.add_argument("--max-body-bytes", type=int, default=None, help="largest request body")
    serve.add_argument("--max-jobs", type=int, default=None, help="simulation jobs at once")
    serve.add_argument("--workers", type=int, default=1,
                       help="worker processes (default 1; rate limits and jobs are per worker)")
    serve.add_argument("--limit-concurrency", type=int, default=256,
                       help="connections served at once before 503 (default 256)")
    serve.add_argument("--log-level", default="info",
                       choices=["critical", "error", "warning", "info", "debug"])
    serve.add_argument("--no-access-log", dest="access_log", action="store_false",
                       help="no uvicorn access log line per request (the audit log still has "
                            "every request)")
    serve.add_argument("--no-group-commit", dest="group_commit", action="store_false",
                       help="one database transaction per reservation write (default: writes "
                            "that arrive together share one; docs/service.md)")
    serve.set_defaults(func=_serve)

    token = sub.add_parser("token", help="manage the service's API tokens",
                           description="Create, list and revoke API tokens (stored hashed).")
    tsub = token.add_subparsers(dest="token_command", required=True)
    add = tsub.add_parser("add", help="create a token and print it once")
    add.add_argument("name", help="who the token is for (appears in the audit log)")
    add.add_argument("--scope", nargs="+", required=True, metavar="SCOPE",
                     help="kernels, reservation:read, reservation:write, jobs:read, jobs:write, "
                          "admin; restrict with location:NAME and sku:PREFIX")
    add.add_argument("--rate", type=float, default=None, help="requests per second")
    add.add_argument("--burst", type=int, default=None, help="requests at once")
    add.add_argument("--db", default=DEFAULT_DB, metavar="URL", help="the service's database")
    add.set_defaults(func=_token_add)
    ls = tsub.add_parser("list", help="list tokens (names and scopes, never the tokens)")
    ls.add_argument("--db", default=DEFAULT_DB, metavar="URL")
    ls.set_defaults(func=_token_list)
    rv = tsub.add_parser("revoke", help="revoke a token by name")
    rv.add_argument("name")
    rv.add_argument("--db", default=DEFAULT_DB, metavar="URL")
    rv.set_defaults(func=_token_revoke)
