"""Property: any sequence of reservation calls, each possibly retried with its Idempotency-Key,
leaves the service's ledger exactly where the in-memory ``Ledger`` is after applying each call
once — and every retry gets its first answer back, status and body."""

from __future__ import annotations

import itertools
import tempfile
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jxc_rules.errors import JxcRulesError
from jxc_rules.reservation import Ledger
from tests.service.conftest import bearer

SKUS = ["A", "B", "C"]
ORDERS = ["O1", "O2", "O3"]

calls = st.one_of(
    st.tuples(st.just("receive"), st.sampled_from(SKUS), st.integers(0, 5)),
    st.tuples(st.just("reserve"), st.sampled_from(ORDERS),
              st.dictionaries(st.sampled_from(SKUS), st.integers(1, 4), min_size=1,
                              max_size=3)),
    st.tuples(st.just("release"), st.sampled_from(ORDERS), st.none()),
    st.tuples(st.just("consume"), st.sampled_from(ORDERS), st.none()),
)


def _request(c: TestClient, h: dict[str, str], call: Any) -> Any:
    kind, who, arg = call
    if kind == "receive":
        return c.post("/v1/stock/receive", json={"sku": who, "quantity": arg}, headers=h)
    if kind == "reserve":
        return c.post("/v1/reservations", json={"order_id": who, "lines": arg}, headers=h)
    return c.post(f"/v1/reservations/{who}/{kind}", headers=h)


def _model(led: Ledger, call: Any) -> None:
    kind, who, arg = call
    try:
        if kind == "receive":
            led.receive(who, arg)
        elif kind == "reserve":
            led.reserve(who, arg)
        elif kind == "release":
            led.release(who)
        else:
            led.consume(who)
    except JxcRulesError:
        pass  # refused: nothing changes (the service answers 4xx)


_counter = itertools.count()
_TMP = tempfile.mkdtemp(prefix="jxc-idem-")


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seq=st.lists(st.tuples(calls, st.integers(0, 2)), min_size=1, max_size=12))
def test_retried_calls_are_applied_once_and_answered_alike(make_app: Any, seq: Any) -> None:
    app, tok = make_app(f"sqlite:///{_TMP}/p{next(_counter)}.db")
    model = Ledger({})
    with TestClient(app) as c:
        for i, (call, retries) in enumerate(seq):
            h = {**bearer(tok["all"]), "Idempotency-Key": f"k{i}"}
            first = _request(c, h, call)
            assert first.status_code < 500, first.text
            _model(model, call)
            for _ in range(retries):
                again = _request(c, h, call)
                assert (again.status_code, again.json()) == (first.status_code, first.json())
                assert again.headers["idempotency-replayed"] == "true"
        a = bearer(tok["all"])
        for sku in SKUS:
            got = c.get(f"/v1/stock/{sku}", headers=a)
            if got.status_code == 404 or sku not in model.skus():
                assert sku not in model.skus() or model.on_hand(sku) == 0
                continue
            body = got.json()
            assert (body["on_hand"], body["reserved"]) == (str(model.on_hand(sku)),
                                                         str(model.reserved(sku))), sku
    app.state.jxc.engine.dispose()
