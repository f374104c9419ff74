"""The OpenAPI contract: served = committed (docs/openapi.json), and property-based API tests
generated from it — no 500 on any generated input, every 4xx a problem naming the field.

The generator is a small JSON-Schema → hypothesis translation of the subset FastAPI emits
($ref, anyOf, enums, strings with bounds and patterns, integers, numbers, arrays, objects with
required / additional properties). Each example picks an operation, then either a conforming
request or one with a field broken (wrong type, dropped required field, extra field, a float
where an exact string belongs), sent with an all-scopes token.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from jxc_rules.service.openapi import render
from tests.service.conftest import bearer

DOC = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_the_served_document_equals_the_committed_one(client: Any) -> None:
    c, _ = client
    served = c.get("/openapi.json")
    assert served.status_code == 200
    committed = DOC.read_text(encoding="utf-8")
    assert render(served.json()) == committed, (
        "docs/openapi.json is out of date: python -m jxc_rules.service.openapi docs/openapi.json")


def test_every_error_answer_is_documented_as_problem_json() -> None:
    doc = json.loads(DOC.read_text(encoding="utf-8"))
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            for code, resp in op["responses"].items():
                if int(code) >= 400:
                    assert list(resp["content"]) == ["application/problem+json"], (path, method)


# ---------------------------------------------------------------- JSON Schema -> strategies
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                    | st.text(max_size=10), lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=6)
WORDS = st.sampled_from(["kg", "g", "斤", "t", "40 kg", "12.35 t", "pcs", "1/3", "12.35", "0",
                         "-1", "hotpot@2026.11", "hotpot-spring-festival", "FISH-1", "",
                         "half_up", "x" * 201, "NaN", "1e999", "3 %/h", "2026-12-01"])


KEYS = st.sampled_from(["model", "q10", "ref_temp_c", "ea_kj_per_mol", "t_min_c",
                        "shelf_life_ref_h", "alert_offset_h", "removal_offset_h", "hard_limits",
                        "freeze_point_c", "max_gap_h", "sku", "name", "price_unit",
                        "pack_content", "pack_name", "stock_unit", "rounding", "kind",
                        "doc_id", "bags", "price", "ordered", "actual", "value", "broken_bags",
                        "loose", "labels", "urea"])
VALUES = st.sampled_from(["receipt", "shipment", "urea", "t", "40 kg", "10 d", 3, 0, -1, 4,
                          "2300", {"q10": 3, "ref_temp_c": 4}, [{"above_c": 5, "max_hours": 4}],
                          {"bags": 1, "value": "1"}, None, True, 1e308, "NaN"])


def schema_strategy(schema: dict[str, Any], doc: dict[str, Any], depth: int = 0) -> Any:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return schema_strategy(doc["components"]["schemas"][name], doc, depth)
    if "anyOf" in schema:
        return st.one_of([schema_strategy(s, doc, depth) for s in schema["anyOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "const" in schema:
        return st.just(schema["const"])
    kind = schema.get("type")
    if kind == "string":
        lo, hi = schema.get("minLength", 0), min(schema.get("maxLength", 30), 30)
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True).filter(
                lambda s: lo <= len(s) <= schema.get("maxLength", 10**9))
        return (WORDS | st.text(min_size=lo, max_size=max(lo, hi))).filter(
            lambda s: lo <= len(s) <= schema.get("maxLength", 10**9))
    if kind == "integer":
        return st.integers(schema.get("minimum", -(10**6)), schema.get("maximum", 10**6))
    if kind == "number":
        return st.floats(schema.get("minimum"), schema.get("maximum"), allow_nan=False,
                         allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        item = schema_strategy(schema.get("items", {}), doc, depth + 1)
        lo = schema.get("minItems", 0)
        return st.lists(item, min_size=lo, max_size=max(lo, 4 if depth < 2 else 1))
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        fixed = {k: schema_strategy(v, doc, depth + 1) for k, v in props.items()
                 if k in required}
        optional = {k: schema_strategy(v, doc, depth + 1) for k, v in props.items()
                    if k not in required}
        extra = schema.get("additionalProperties")
        if extra is True or (kind == "object" and not props and extra is None):
            # a free-form mapping the library reads (a shelf-life rule, a close's profile or
            # movement): the keys it knows, values of any JSON type
            return st.dictionaries(KEYS, VALUES | JSON, max_size=6)
        if isinstance(extra, dict) and not props:
            lo = schema.get("minProperties", 0)
            return st.dictionaries(st.sampled_from(["FISH-1", "BOLT", "kit", "x"]) | st.text(
                min_size=1, max_size=8), schema_strategy(extra, doc, depth + 1), min_size=lo,
                max_size=max(lo, 3))
        return st.fixed_dictionaries(fixed, optional=optional)
    return JSON


def broken(value: Any) -> Any:
    """Strategies for a request near ``value`` with one thing wrong."""
    options = [st.just(value)] * 4  # mostly conforming, so deep paths are reached too
    if isinstance(value, dict) and value:
        keys = sorted(value)
        options.append(st.sampled_from(keys).map(lambda k: {x: v for x, v in value.items()
                                                            if x != k}))
        options.append(st.tuples(st.sampled_from(keys), JSON | st.floats()).map(
            lambda kv: {**value, kv[0]: kv[1]}))
        options.append(st.just({**value, "unexpected": 1}))
    options.append(JSON)
    return st.one_of(options)


OPERATIONS = []
_doc = json.loads(DOC.read_text(encoding="utf-8"))
for _path, _ops in _doc["paths"].items():
    for _method, _op in _ops.items():
        if _path.endswith("/events"):
            continue  # a stream that lasts as long as its job; tested in test_service_jobs
        OPERATIONS.append((_method, _path, _op))


@st.composite
def requests(draw: Any) -> tuple[str, str, dict[str, Any], dict[str, str], Any]:
    method, path, op = draw(st.sampled_from(OPERATIONS))
    params: dict[str, Any] = {}
    headers: dict[str, str] = {}
    url = path
    for p in op.get("parameters", []):
        value = draw(schema_strategy(p["schema"], _doc))
        if p["in"] == "path":
            text = str(value) if value is not None else "x"
            url = url.replace("{" + p["name"] + "}", quote(text, safe="") or "x")
        elif p["in"] == "query" and value is not None:
            params[p["name"]] = value
        elif p["in"] == "header" and value is not None and draw(st.booleans()):
            headers[p["name"]] = str(value)
    body = None
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        body = draw(schema_strategy(content["application/json"]["schema"], _doc))
        body = draw(broken(body))
    return method, url, params, headers, body


@pytest.fixture(scope="module")
def fuzz_client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from jxc_rules.service import Settings, create_app

    tmp = tmp_path_factory.mktemp("fuzz")
    app = create_app(Settings(db_url=f"sqlite:///{tmp}/fuzz.db", max_trials_days=100,
                              max_jobs=1))
    token = app.state.jxc.store.add_token("fuzz", ["kernels", "reservation:write",
                                                   "jobs:write", "admin"])
    with TestClient(app, raise_server_exceptions=False) as c:
        c.post("/v1/stock/receive", json={"sku": "FISH-1", "quantity": 100},
               headers=bearer(token))
        yield c, token
        if app.state.jxc.jobs is not None:
            app.state.jxc.jobs.shutdown()


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much, HealthCheck.data_too_large])
@given(req=requests())
def test_no_generated_request_gets_a_500_and_every_4xx_names_its_field(
        fuzz_client: Any, req: Any) -> None:
    c, token = fuzz_client
    method, url, params, headers, body = req
    kwargs: dict[str, Any] = {"params": params, "headers": {**bearer(token), **headers}}
    if body is not None:
        kwargs["content"] = json.dumps(body, allow_nan=True)
        kwargs["headers"]["Content-Type"] = "application/json"
    r = c.request(method.upper(), url, **kwargs)
    event(f"{r.status_code}")
    assert r.status_code < 500, (method, url, body, r.text)
    if 400 <= r.status_code < 500:
        assert r.headers["content-type"] == "application/problem+json", (url, r.text)
        problem = r.json()
        assert problem["status"] == r.status_code
        assert problem.get("field"), (method, url, body, problem)


FREE_FORM = [(m, p, op) for m, p, op in OPERATIONS
             if p in ("/v1/closing/month", "/v1/shelf-life/lots", "/v1/bom/explode")]


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much, HealthCheck.data_too_large])
@given(data=st.data())
def test_kernels_reading_free_form_mappings_never_500(fuzz_client: Any, data: Any) -> None:
    c, token = fuzz_client
    _method, path, op = data.draw(st.sampled_from(FREE_FORM))
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    body = data.draw(schema_strategy(schema, _doc))
    r = c.post(path, content=json.dumps(body, allow_nan=True), headers={
        **bearer(token), "Content-Type": "application/json"})
    event(f"{path} {r.status_code}")
    assert r.status_code < 500, (path, body, r.text)
    if r.status_code >= 400:
        assert r.json().get("field"), (path, body, r.json())


SEEDS: dict[str, Any] = {
    "/v1/closing/month": {
        "profiles": [{"sku": "urea", "name": "尿素", "price_unit": "t", "pack_content": "40 kg"}],
        "movements": [{"kind": "receipt", "doc_id": "PO1", "sku": "urea", "bags": 400,
                       "price": 2300},
                      {"kind": "shipment", "doc_id": "SO1", "sku": "urea", "bags": 309,
                       "price": 2850, "ordered": "12.35 t"}],
        "opening": {"urea": {"bags": 100, "value": "9000.00"}},
        "counts": {"urea": {"bags": 190, "broken_bags": 1, "loose": "30 kg"}}},
    "/v1/shelf-life/lots": {
        "rule": {"model": {"q10": 3, "ref_temp_c": 4}, "shelf_life_ref_h": "10 d",
                 "alert_offset_h": "2 d", "hard_limits": [{"above_c": 5, "max_hours": 4}]},
        "now_h": 48, "lots": [{"lot_id": "L1", "times_h": [0, 24, 48], "temps_c": [4, 8, 12]},
                              {"lot_id": "L2", "times_h": [0, 48], "temps_c": [4, None]}]},
    "/v1/bom/max-buildable": {
        "lines": [{"parent": "kit", "child": "bolt", "qty": 2, "unit": "pcs"},
                  {"parent": "kit", "child": "nut", "qty": "1/2", "unit": "pcs",
                   "scrap": "0.1"}],
        "outputs": {"kit": 4}, "item": "kit", "quantity": 8, "stock": {"bolt": 10, "nut": 9}},
    "/v1/reservations": {"order_id": "SO-9", "lines": {"FISH-1": "1.5"}, "location": ""},
    "/v1/stock/adjust": {"sku": "FISH-1", "counted": "100", "reason": "count"},
    "/v1/units/convert": {"lines": [{"value": "12.35", "from_unit": "t", "to_unit": "kg",
                                     "step": 40, "mode": "up"}]},
    "/v1/rules/diff": {"old": {"name": "hotpot@2026.10"}, "new": {"name": "hotpot@2026.11"},
                       "threshold": 0.15},
    "/v1/packaging/invoice": {"amounts": ["35226.00", "1000.00"], "freight": "100.00",
                              "discount": "5", "tax_rate": "0.09"},
    "/v1/live-weight/reconcile": {"rate_per_hour": "0.3 %/h", "tolerance_kg": 1,
                                  "lines": [{"shipped_kg": 100, "received_kg": 97,
                                             "hours": 10, "dead_kg": 1}]},
}


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [path] + [p for k, v in value.items() for p in _leaves(v, (*path, k))]
    if isinstance(value, list):
        return [path] + [p for i, v in enumerate(value) for p in _leaves(v, (*path, i))]
    return [path]


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = json.loads(json.dumps(value))
    node = copy
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = new
    return copy


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_one_field_changed_in_a_valid_request_never_gives_a_500(fuzz_client: Any,
                                                               data: Any) -> None:
    c, token = fuzz_client
    path = data.draw(st.sampled_from(sorted(SEEDS)))
    seed = SEEDS[path]
    where = data.draw(st.sampled_from(_leaves(seed)[1:]))
    body = _replace(seed, where, data.draw(VALUES | JSON | WORDS | st.integers()))
    r = c.post(path, content=json.dumps(body, allow_nan=True), headers={
        **bearer(token), "Content-Type": "application/json"})
    event(f"{path} {r.status_code}")
    assert r.status_code < 500, (path, where, body, r.text)
    if r.status_code >= 400:
        assert r.json().get("field"), (path, where, body, r.json())
