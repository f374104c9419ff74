"""The service's own tables (prefix ``jxc_svc_``) on SQLAlchemy Core, beside the ledger's.

- ``jxc_svc_tokens``: one row per API token — its name, the SHA-256 of the token (the token
  itself is shown once, by ``jxc-rules token add``, and never stored), scopes as JSON, its rate
  limit, created / revoked times. Tokens are 256 random bits, so an unsalted fast hash is enough:
  there is nothing to brute-force, and lookup by hash is one indexed read.
- ``jxc_svc_audit``: append-only log — when, which token, method and path, the subject (order
  id, pack, job), the status code and outcome. The service only ever inserts into it; there is no
  route that changes or deletes a row.
- ``jxc_svc_idempotency``: the first answer to each ``(token, Idempotency-Key)`` of a reservation
  call, written in the same transaction as the ledger change it answers.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
import sqlalchemy as sa

from jxc_rules.errors import LedgerError, ValidationError, bad_value

__all__ = ["Store", "TokenInfo", "hash_token", "make_engine", "parse_scopes"]

PREFIX = "jxc_svc_"
TOKEN_PREFIX = "jxc_"

#: endpoint scopes; ``*:write`` implies ``*:read``; ``admin`` reads the audit log
SCOPES = ("kernels", "reservation:read", "reservation:write", "jobs:read", "jobs:write",
          "admin")


def now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC).replace(tzinfo=None)


def hash_token(token: str) -> str:
    """SHA-256 hex digest of a token (what the tokens table stores)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@attrs.frozen
class TokenInfo:
    """What a token may do: endpoint ``scopes``; ``locations`` (empty = any) and
    ``sku_prefixes`` (empty = any) restrict reservation calls; its own rate limit or None."""

    name: str
    scopes: frozenset[str]
    locations: tuple[str, ...] = ()
    sku_prefixes: tuple[str, ...] = ()
    rate_per_s: float | None = None
    burst: int | None = None

    def allows(self, scope: str) -> bool:
        if scope in self.scopes:
            return True
        family, _, mode = scope.partition(":")
        return mode == "read" and f"{family}:write" in self.scopes

    def scope_list(self) -> list[str]:
        return sorted(self.scopes) + [f"location:{x}" for x in self.locations] + [
            f"sku:{x}" for x in self.sku_prefixes]


def parse_scopes(items: Iterable[str]) -> tuple[frozenset[str], tuple[str, ...], tuple[str, ...]]:
    """``["reservation:write", "location:WH1", "sku:FISH-"]`` → scopes, locations, prefixes.

    ``location:NAME`` and ``sku:PREFIX`` restrict; everything else must be one of ``SCOPES``.
    ``location:`` (empty) names the default location ``""``.
    """
    scopes: set[str] = set()
    locations: list[str] = []
    prefixes: list[str] = []
    for i, raw in enumerate(items):
        if not isinstance(raw, str):
            raise bad_value(f"scope[{i}]", raw, "a string")
        if raw.startswith("location:"):
            locations.append(raw.removeprefix("location:"))
        elif raw.startswith("sku:"):
            p = raw.removeprefix("sku:")
            if not p:
                raise bad_value(f"scope[{i}]", raw, "sku:PREFIX with a non-empty prefix")
            prefixes.append(p)
        elif raw in SCOPES:
            scopes.add(raw)
        else:
            raise bad_value(f"scope[{i}]", raw, "one of " + ", ".join(SCOPES)
                            + ", location:NAME or sku:PREFIX")
    if not scopes:
        raise ValidationError("a token needs at least one endpoint scope ("
                              + ", ".join(SCOPES) + ")", field="scope")
    return frozenset(scopes), tuple(locations), tuple(prefixes)


def make_engine(url: str, *, lock_timeout_s: float = 10.0) -> sa.Engine:
    """An engine for ``url``; on SQLite with SQLAlchemy's documented pysqlite recipe (driver
    transactions off, ``BEGIN IMMEDIATE`` at every begin — the write lock first, so a
    transaction never upgrades a read lock and deadlocks) and WAL for concurrent readers; on
    PostgreSQL and MariaDB each connection's lock wait bounded by ``lock_timeout_s`` (session
    ``lock_timeout`` / ``innodb_lock_wait_timeout``)."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise bad_value("db", url, "a SQLAlchemy URL such as sqlite:///ledger.db or "
                        "postgresql+psycopg://user@host/db") from exc
    kwargs: dict[str, Any] = {}
    sqlite = parsed.get_backend_name() == "sqlite"
    if sqlite:
        kwargs["connect_args"] = {"timeout": lock_timeout_s, "check_same_thread": False}
        if parsed.database in (None, "", ":memory:"):
            kwargs["poolclass"] = sa.pool.StaticPool
    else:
        kwargs["pool_size"] = 16
        kwargs["max_overflow"] = 32
        kwargs["pool_pre_ping"] = True
    try:
        engine = sa.create_engine(parsed, **kwargs)
    except (ImportError, sa.exc.ArgumentError) as exc:
        raise LedgerError(f"cannot open {parsed.render_as_string(hide_password=True)}: {exc} "
                          "(pip install 'jxc-rules[postgresql]' or 'jxc-rules[mysql]')") from exc
    if sqlite:
        from sqlalchemy import event

        memory = parsed.database in (None, "", ":memory:")

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            if not memory:
                dbapi_connection.execute("PRAGMA journal_mode=WAL")
                dbapi_connection.execute("PRAGMA synchronous=NORMAL")

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        from jxc_rules.reservation.sql import session_lock_timeout

        # the lock wait bound once per connection, not a statement (or three, on MariaDB) in
        # every transaction: the service's ledger then sets none of its own
        session_lock_timeout(engine, lock_timeout_s)
    return engine


class Store:
    """The service's tables on ``engine``: tokens, audit log, idempotency answers."""

    def __init__(self, engine: sa.Engine, *, token_cache_s: float = 2.0) -> None:
        self.engine = engine
        md = sa.MetaData()
        self.metadata = md
        self.tokens = sa.Table(
            f"{PREFIX}tokens", md,
            sa.Column("token_hash", sa.String(64), primary_key=True),
            sa.Column("name", sa.String(100), nullable=False, unique=True),
            sa.Column("scopes", sa.Text(), nullable=False),
            sa.Column("rate_per_s", sa.String(30)),
            sa.Column("burst", sa.Integer()),
            sa.Column("created_at", sa.DateTime(), nullable=False),
            sa.Column("revoked_at", sa.DateTime()),
        )
        self.audit = sa.Table(
            f"{PREFIX}audit", md,
            sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                      primary_key=True, autoincrement=True),
            sa.Column("at", sa.DateTime(), nullable=False),
            sa.Column("token", sa.String(100)),
            sa.Column("method", sa.String(10), nullable=False),
            sa.Column("path", sa.String(300), nullable=False),
            sa.Column("subject", sa.String(300)),
            sa.Column("status", sa.Integer(), nullable=False),
            sa.Column("outcome", sa.String(300), nullable=False),
        )
        self.idempotency = sa.Table(
            f"{PREFIX}idempotency", md,
            sa.Column("token", sa.String(100), primary_key=True),
            sa.Column("key", sa.String(200), primary_key=True),
            sa.Column("request_hash", sa.String(64), nullable=False),
            sa.Column("status", sa.Integer(), nullable=False),
            sa.Column("body", sa.Text(), nullable=False),
            sa.Column("at", sa.DateTime(), nullable=False),
        )
        self._cache: dict[str, tuple[float, TokenInfo | None]] = {}
        self._cache_s = token_cache_s
        self._audit_buf: list[dict[str, Any]] = []
        self._audit_lock = threading.Lock()

    def create_tables(self) -> None:
        """Create the service's tables (idempotent), the audit log guarded by triggers that
        refuse UPDATE and DELETE (append-only in the database, not only in this code)."""
        self.metadata.create_all(self.engine)
        name = self.audit.name
        dialect = self.engine.dialect.name
        with self.engine.begin() as conn:
            if dialect == "sqlite":
                for op in ("UPDATE", "DELETE"):
                    conn.exec_driver_sql(
                        f"CREATE TRIGGER IF NOT EXISTS {name}_no_{op.lower()} BEFORE {op} ON "
                        f"{name} BEGIN SELECT RAISE(ABORT, '{name} is append-only'); END")
            elif dialect == "postgresql":
                conn.exec_driver_sql(
                    f"CREATE OR REPLACE FUNCTION {name}_refuse() RETURNS trigger "
                    f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{name} is append-only'; "
                    "END $$")
                # this table's trigger: pg_trigger holds every schema's (a service in another
                # schema of the same database has a trigger of the same name)
                exists = conn.exec_driver_sql(
                    "SELECT 1 FROM pg_trigger WHERE tgname = %(t)s AND tgrelid = "
                    "CAST(%(rel)s AS regclass)", {"t": f"{name}_append_only", "rel": name}).first()
                if exists is None:
                    conn.exec_driver_sql(
                        f"CREATE TRIGGER {name}_append_only BEFORE UPDATE OR DELETE ON {name} "
                        f"FOR EACH ROW EXECUTE FUNCTION {name}_refuse()")
            elif dialect in ("mysql", "mariadb"):
                for op in ("UPDATE", "DELETE"):
                    trig = f"{name}_no_{op.lower()}"
                    exists = conn.exec_driver_sql(
                        "SELECT 1 FROM information_schema.triggers WHERE trigger_schema = "
                        "DATABASE() AND trigger_name = %(t)s", {"t": trig}).first()
                    if exists is None:
                        conn.exec_driver_sql(
                            f"CREATE TRIGGER {trig} BEFORE {op} ON {name} FOR EACH ROW "
                            f"SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '{name} is append-only'")

    # ------------------------------------------------------------------ tokens
    def add_token(self, name: str, scopes: Sequence[str], *, rate_per_s: float | None = None,
                  burst: int | None = None) -> str:
        """Create a token named ``name``; return the token (shown once, stored only hashed)."""
        if not isinstance(name, str) or not 1 <= len(name) <= 100 or not name.isprintable():
            raise bad_value("name", name, "1 to 100 printable characters")
        ss, locs, prefixes = parse_scopes(scopes)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = {"token_hash": hash_token(token), "name": name,
               "scopes": json.dumps({"scopes": sorted(ss), "locations": list(locs),
                                     "sku_prefixes": list(prefixes)}),
               "rate_per_s": None if rate_per_s is None else repr(float(rate_per_s)),
               "burst": burst, "created_at": now()}
        try:
            with self.engine.begin() as conn:
                conn.execute(self.tokens.insert().values(**row))
        except sa.exc.IntegrityError as exc:
            raise ValidationError(f"a token named {name!r} exists already; choose another name "
                                  "or revoke it first", field="name", value=name) from exc
        return token

    def revoke_token(self, name: str) -> bool:
        with self.engine.begin() as conn:
            n = conn.execute(self.tokens.update().where(
                self.tokens.c.name == name, self.tokens.c.revoked_at.is_(None)).values(
                revoked_at=now())).rowcount
        self._cache.clear()
        return bool(n)

    def list_tokens(self) -> list[dict[str, Any]]:
        t = self.tokens
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.c.name, t.c.scopes, t.c.created_at,
                                          t.c.revoked_at).order_by(t.c.name)).all()
        return [{"name": r[0], "scopes": json.loads(r[1]), "created_at": r[2].isoformat(),
                 "revoked_at": None if r[3] is None else r[3].isoformat()} for r in rows]

    def lookup(self, token: str) -> TokenInfo | None:
        """The token's scopes, or None when unknown or revoked (cached ``token_cache_s``)."""
        h = hash_token(token)
        hit = self._cache.get(h)
        t0 = time.monotonic()
        if hit is not None and t0 - hit[0] < self._cache_s:
            return hit[1]
        t = self.tokens
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.c.name, t.c.scopes, t.c.rate_per_s, t.c.burst).where(
                t.c.token_hash == h, t.c.revoked_at.is_(None))).first()
        info = None
        if row is not None:
            data = json.loads(row[1])
            info = TokenInfo(name=row[0], scopes=frozenset(data["scopes"]),
                             locations=tuple(data.get("locations", ())),
                             sku_prefixes=tuple(data.get("sku_prefixes", ())),
                             rate_per_s=None if row[2] is None else float(row[2]),
                             burst=row[3])
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[h] = (t0, info)
        return info

    # ------------------------------------------------------------------ audit
    def audit_later(self, token: str | None, method: str, path: str, subject: str | None,
                    status: int, outcome: str) -> None:
        """Queue one audit row; :meth:`flush_audit` writes queued rows in one transaction."""
        row = {"at": now(), "token": token, "method": method[:10], "path": path[:300],
               "subject": None if subject is None else subject[:300], "status": status,
               "outcome": outcome[:300]}
        with self._audit_lock:
            self._audit_buf.append(row)

    def flush_audit(self) -> int:
        with self._audit_lock:
            rows, self._audit_buf = self._audit_buf, []
        if rows:
            try:
                with self.engine.begin() as conn:
                    conn.execute(self.audit.insert(), rows)
            except sa.exc.SQLAlchemyError:
                with self._audit_lock:  # keep them for the next flush; never drop an entry
                    self._audit_buf[:0] = rows
                raise
        return len(rows)

    def query_audit(self, *, token: str | None = None, status: int | None = None,
                    since_seq: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        self.flush_audit()
        a = self.audit
        q = sa.select(a).where(a.c.seq > since_seq).order_by(a.c.seq).limit(limit)
        if token is not None:
            q = q.where(a.c.token == token)
        if status is not None:
            q = q.where(a.c.status == status)
        with self.engine.connect() as conn:
            rows = conn.execute(q).mappings().all()
        return [{**dict(r), "at": r["at"].isoformat()} for r in rows]
