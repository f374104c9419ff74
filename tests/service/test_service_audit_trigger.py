"""The audit log stays append-only in every schema of a PostgreSQL database.

``pg_trigger`` holds the triggers of every schema: a service whose tables live in another schema
of the same database has a trigger of the same name. ``create_tables`` once took that one for its
own and left the new audit table unguarded (UPDATE and DELETE went through).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

import sqlalchemy as sa

from jxc_rules.service.store import Store, make_engine
from tests.conftest import fresh_database


@pytest.fixture
def two_schemas(tmp_path: Path) -> Iterator[tuple[str, str]]:
    first = fresh_database("postgresql", tmp_path)
    second = fresh_database("postgresql", tmp_path)
    a, b = next(first), next(second)
    try:
        yield a, b
    finally:
        for gen in (first, second):
            next(gen, None)  # the generator drops its schema


def test_each_schema_gets_its_own_append_only_trigger(two_schemas: tuple[str, str]) -> None:
    for url in two_schemas:  # the second would skip its trigger if the check were by name only
        store = Store(make_engine(url))
        store.create_tables()
        store.create_tables()  # idempotent: no second trigger, no error
        audit = store.audit
        with store.engine.begin() as conn:
            conn.execute(audit.insert().values(at=sa.func.now(), method="GET", path="/x",
                                               status=200, outcome="ok"))
        for stmt in (audit.update().values(outcome="forged"), audit.delete()):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"), \
                    store.engine.begin() as conn:
                conn.execute(stmt)
        with store.engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(audit)).scalar() == 1
        store.engine.dispose()
