"""Hypothesis profiles: ``dev`` (default, 100 examples), ``ci`` (fewer, derandomised so CI is
repeatable), ``thorough`` (for a long local sweep). Select with HYPOTHESIS_PROFILE; CI=true picks
``ci``."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from jxc_rules.reservation import Ledger, ReservationLedger, SqliteLedger

settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile(
    "ci", max_examples=40, deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")
)


# ------------------------------------------------------------------ database servers
# The SQL ledger's tests run on SQLite and on the PostgreSQL and MariaDB servers below. With
# CI=true an unreachable server fails the run; elsewhere those tests skip with one line.
SERVERS = {
    "postgresql": os.environ.get("JXC_PG_URL",
                                 "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    "mariadb": os.environ.get("JXC_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test"),
}
_REACHABLE: dict[str, str | None] = {}


def _reachable(backend: str) -> str | None:
    """None when the server answers, else why not (checked once per run)."""
    if backend not in _REACHABLE:
        import sqlalchemy as sa

        try:
            engine = sa.create_engine(SERVERS[backend])
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            engine.dispose()
            _REACHABLE[backend] = None
        except Exception as exc:  # any failure means "not usable here"
            _REACHABLE[backend] = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return _REACHABLE[backend]


def fresh_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """A URL of a database (PostgreSQL: a schema) of its own, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    why = _reachable(backend)
    if why is not None:
        env = "JXC_PG_URL" if backend == "postgresql" else "JXC_MYSQL_URL"
        message = (f"{backend} not reachable at {SERVERS[backend]} ({why}); start it or set "
                   f"{env} to run the SQL ledger tests on it")
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    import uuid

    import sqlalchemy as sa

    name = f"jxc_t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(SERVERS[backend], isolation_level="AUTOCOMMIT")
    base = sa.make_url(SERVERS[backend])
    with admin.connect() as conn:
        if backend == "postgresql":
            conn.execute(sa.text(f"CREATE SCHEMA {name}"))
            url = base.update_query_dict({"options": f"-csearch_path={name}"})
        else:
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
            url = base.set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            if backend == "postgresql":
                conn.execute(sa.text(f"DROP SCHEMA {name} CASCADE"))
            else:
                conn.execute(sa.text(f"DROP DATABASE {name}"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database of this test's own, on each backend."""
    yield from fresh_database(request.param, tmp_path)


LEDGER_KINDS = ["memory", "sqlite", "sql-sqlite", "sql-postgresql", "sql-mariadb"]


@pytest.fixture(params=LEDGER_KINDS)
def make(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[dict[str, Any]], ReservationLedger]]:
    """A ledger factory: in memory, on a SQLite file, and the SQL ledger on SQLite, PostgreSQL
    and MariaDB (each on a database of its own; closed and dropped afterwards)."""
    opened: list[Any] = []
    kind: str = request.param
    urls: Iterator[str] | None = None
    url = ""
    if kind.startswith("sql-"):
        urls = fresh_database(kind.removeprefix("sql-"), tmp_path)
        url = next(urls)

    def factory(on_hand: dict[str, Any]) -> ReservationLedger:
        if kind == "memory":
            return Ledger(on_hand)
        if kind == "sqlite":
            ledger = SqliteLedger(tmp_path / f"ledger{len(opened)}.db", on_hand)
            opened.append(ledger)
            return ledger
        from jxc_rules.errors import bad_value
        from jxc_rules.reservation.base import normalize_stock
        from jxc_rules.reservation.sql import SqlLedger

        stock = normalize_stock(on_hand)  # the same refusals as the other ledgers' opening
        if stock is None:  # pragma: no cover - normalize_stock returns {} for None
            raise bad_value("on_hand", on_hand, "a mapping")
        sql = SqlLedger(url, prefix=f"l{len(opened)}_")
        sql.create_tables()
        for sku, q in stock.items():
            sql.receive(sku, q)
        opened.append(sql)
        return sql

    yield factory
    for ledger in opened:
        ledger.close()
    if urls is not None:
        for _ in urls:
            pass
