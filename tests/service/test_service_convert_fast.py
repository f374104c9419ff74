"""``POST /v1/units/convert``'s fast path answers exactly as FastAPI's own handler does.

The route takes a plain ``application/json`` body itself (no per-line pydantic objects, the
integer conversion of :mod:`jxc_rules._internal.decimal_batch`); any other body goes to the
declared ``ConvertRequest`` model. ``application/json;charset=utf-8`` (no space) is JSON to
FastAPI but not one of the fast path's spellings, so the same body sent both ways compares the
two paths: same status, same JSON (results, or the problem naming ``lines[i].field``).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from jxc_rules import convert
from jxc_rules.service.routes.kernels import plain_convert_rows

FAST = "application/json"
FULL = "application/json;charset=utf-8"  # JSON to FastAPI, not the fast path's

UNITS = ["g", "kg", "t", "斤", "两", "lb", "oz", "pcs", "dozen", "h", "L", "", "nope",
         "x" * 201]
numbers = (st.integers(min_value=-(10**42), max_value=10**42)
           | st.decimals(allow_nan=False, allow_infinity=False, places=6).map(str)
           | st.sampled_from(["12.35", "-0.5", "1/3", "1e-7", "1e999", "1e-1001", " 2 ",
                              "1_000", "abc", "NaN", "", "-0", "0.000"]))
odd = st.none() | st.booleans() | st.floats(allow_nan=False) | st.just([1]) | st.just({})
modes = st.sampled_from(["up", "down", "half_up", "half_even", "ceiling", "floor", "half_down",
                         "half-up", ""])


@st.composite
def line(draw: Any) -> Any:
    out: dict[str, Any] = {"value": draw(numbers), "from_unit": draw(st.sampled_from(UNITS)),
                           "to_unit": draw(st.sampled_from(UNITS))}
    if draw(st.booleans()):
        out["step"] = draw(st.none() | st.sampled_from(["0.01", 40, "1/8", 0, "-1", 1]))
    if draw(st.booleans()):
        out["mode"] = draw(modes)
    if draw(st.integers(0, 9)) == 0:  # now and then a field of the wrong type, missing, extra
        key = draw(st.sampled_from(["value", "from_unit", "to_unit", "step", "mode", "extra"]))
        if draw(st.booleans()):
            out[key] = draw(odd)
        else:
            out.pop(key, None)
    return out


good = st.builds(lambda v, a, b: {"value": v, "from_unit": a, "to_unit": b},
                 st.integers(0, 10**6).map(str) | st.integers(-10**9, 10**9),
                 st.sampled_from(["g", "kg", "t", "斤", "两"]),
                 st.sampled_from(["g", "kg", "t", "斤", "两"]))
bodies = (st.fixed_dictionaries({"lines": st.lists(line() | good, min_size=1, max_size=6)})
          | st.fixed_dictionaries({"lines": st.lists(good, min_size=0, max_size=4)})
          | st.sampled_from([{}, [], {"lines": None}, {"lines": [], "x": 1}, 1, "lines"]))


def send(c: TestClient, token: str, body: Any, content_type: str) -> tuple[int, Any]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    r = c.post("/v1/units/convert", content=raw,
               headers={"Authorization": f"Bearer {token}", "Content-Type": content_type})
    data = r.json()
    if isinstance(data, dict):
        data.pop("instance", None)
    return r.status_code, data


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bodies)
@example({"lines": [{"value": "1", "from_unit": "kg", "to_unit": "lb"}]})
@example({"lines": [{"value": "1", "from_unit": "kg", "to_unit": "g"},
                    {"value": "2", "from_unit": "斤", "to_unit": "L"}]})
@example({"lines": [{"value": "2", "from_unit": "斤", "to_unit": "L"},
                    {"value": 1.5, "from_unit": "kg", "to_unit": "g"}]})  # shape error first
@example({"lines": [{"value": "1", "from_unit": "kg", "to_unit": "g", "mode": None}]})
@example({"lines": [{"value": "1e-1001", "from_unit": "kg", "to_unit": "g"}]})
def test_the_fast_path_answers_as_fastapis_handler(client: Any, body: Any) -> None:
    c, tok = client
    fast = send(c, tok["kernels"], body, FAST)
    full = send(c, tok["kernels"], body, FULL)
    assert fast == full
    if fast[0] == 200:
        want = [str(convert(ln["value"], ln["from_unit"], ln["to_unit"], step=ln.get("step"),
                            mode=ln.get("mode", "half_up"))) for ln in body["lines"]]
        assert fast[1] == {"results": want}
    else:
        assert fast[1]["field"]  # every refusal names its field


def test_bad_json_and_other_content_types_are_fastapis_answers(client: Any) -> None:
    c, tok = client
    for raw, ctype in [(b"{", FAST), (b"", FAST), (b'{"lines": [}', FAST),
                       (json.dumps({"lines": [{"value": "1", "from_unit": "kg",
                                               "to_unit": "g"}]}).encode(), "text/plain")]:
        status, data = send(c, tok["kernels"], raw, ctype)
        assert status in (400, 422), (raw, ctype, status)
        assert data["field"]


def test_refused_tokens_on_a_well_formed_batch(client: Any) -> None:
    c, tok = client
    body = {"lines": [{"value": "1", "from_unit": "kg", "to_unit": "g"}]}
    for token, status in [("jxc_nope", 401), (tok["reader"], 403)]:
        assert send(c, token, body, FAST) == send(c, token, body, FULL)
        assert send(c, token, body, FAST)[0] == status
    r = c.post("/v1/units/convert", json=body)  # no token at all
    assert r.status_code == 401
    assert r.json()["field"] == "Authorization"


def test_one_rate_limit_take_per_request_on_either_path(make_app: Any) -> None:
    app, _tok = make_app()
    token = app.state.jxc.store.add_token("tight", ["kernels"], rate_per_s=0.001, burst=3)
    ok = {"lines": [{"value": "1", "from_unit": "kg", "to_unit": "g"}]}
    bad = {"lines": [{"value": 1.5, "from_unit": "kg", "to_unit": "g"}]}
    with TestClient(app) as c:
        assert send(c, token, ok, FAST)[0] == 200  # fast path
        assert send(c, token, bad, FAST)[0] == 422  # falls back before the token is looked at
        assert send(c, token, ok, FULL)[0] == 200  # FastAPI's handler
        status, data = send(c, token, ok, FAST)
        assert status == 429
        assert data["field"] == "Authorization"


def test_plain_rows_only_for_what_the_model_accepts_unchanged() -> None:
    row = {"value": "1", "from_unit": "kg", "to_unit": "g"}
    assert plain_convert_rows({"lines": [row]}) == [("1", "kg", "g", None, "half_up")]
    assert plain_convert_rows({"lines": [{**row, "step": 40, "mode": "up"}]}) == [
        ("1", "kg", "g", 40, "up")]
    for bad in [{"lines": []}, {"lines": [row], "x": 1}, {"lines": [{**row, "value": 1.5}]},
                {"lines": [{**row, "value": True}]}, {"lines": [{**row, "mode": "nope"}]},
                {"lines": [{**row, "mode": ["up"]}]}, {"lines": [{**row, "extra": 1}]},
                {"lines": [{**row, "from_unit": ""}]}, {"lines": [{**row, "to_unit": "x" * 201}]},
                {"lines": [{**row, "step": 0.5}]}, {"lines": [[1]]}, [row], None]:
        assert plain_convert_rows(bad) is None, bad


def test_which_requests_take_the_fast_path(client: Any, monkeypatch: Any) -> None:
    from jxc_rules.service.routes import kernels

    taken: list[int] = []
    admit = kernels._admit

    async def counting(request: Any) -> None:
        taken.append(1)
        await admit(request)

    monkeypatch.setattr(kernels, "_admit", counting)
    c, tok = client
    body = {"lines": [{"value": "12.35", "from_unit": "t", "to_unit": "kg"},
                      {"value": "1", "from_unit": "kg", "to_unit": "lb", "mode": "up"}]}
    assert send(c, tok["kernels"], body, FAST)[0] == 200
    assert taken == [1]
    assert send(c, tok["kernels"], body, FULL)[0] == 200
    assert send(c, tok["kernels"], {"lines": [{**body["lines"][0], "value": 1.5}]}, FAST)[0] \
        == 422
    assert taken == [1]


def test_dependency_overrides_are_honoured(make_app: Any) -> None:
    from jxc_rules.service.auth import ANONYMOUS
    from jxc_rules.service.routes.kernels import KERNELS

    app, _tok = make_app()
    assert KERNELS.dependency is not None
    app.dependency_overrides[KERNELS.dependency] = lambda: ANONYMOUS
    with TestClient(app) as c:
        r = c.post("/v1/units/convert",
                   json={"lines": [{"value": "3", "from_unit": "斤", "to_unit": "kg"}]})
    assert r.status_code == 200
    assert r.json() == {"results": ["1.5"]}
