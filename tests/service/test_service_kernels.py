"""Kernel endpoints: worked examples against the library in-process, exact strings out, and
problem+json naming the line and field of a refused input."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from jxc_rules import convert, jsonable, line_amount, ship_plan
from tests.service.conftest import bearer


def post(c: TestClient, token: str, path: str, body: Any) -> Any:
    return c.post(path, json=body, headers=bearer(token))


def test_conversion_batch_is_exact_strings_as_the_library_gives(client: Any) -> None:
    c, tok = client
    lines = [{"value": "3", "from_unit": "斤", "to_unit": "kg"},
             {"value": 1020000, "from_unit": "g", "to_unit": "t"},
             {"value": "12.35", "from_unit": "t", "to_unit": "kg", "step": 40, "mode": "up"},
             {"value": "1/3", "from_unit": "dozen", "to_unit": "pcs"}]
    r = post(c, tok["kernels"], "/v1/units/convert", {"lines": lines})
    assert r.status_code == 200, r.text
    want = [str(convert(ln["value"], ln["from_unit"], ln["to_unit"], step=ln.get("step"),
                        mode=ln.get("mode", "half_up"))) for ln in lines]
    assert r.json() == {"results": want} == {"results": ["1.5", "1.02", "12360", "4"]}


def test_a_bad_line_refuses_the_batch_naming_line_and_field(client: Any) -> None:
    c, tok = client
    r = post(c, tok["kernels"], "/v1/units/convert", {"lines": [
        {"value": "1", "from_unit": "kg", "to_unit": "g"},
        {"value": "2", "from_unit": "斤", "to_unit": "L"}]})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["field"] == "lines[1].from_unit"
    assert body["status"] == 422
    assert "volume" in body["detail"]


def test_json_floats_are_refused_for_exact_values_naming_the_field(client: Any) -> None:
    c, tok = client
    r = post(c, tok["kernels"], "/v1/units/convert",
             {"lines": [{"value": 12.35, "from_unit": "t", "to_unit": "kg"}]})
    assert r.status_code == 422
    assert r.json()["field"] == "lines[0].value"
    assert "never JSON floats" in r.json()["detail"]


def test_ship_plans_and_line_amounts_match_the_library(client: Any) -> None:
    c, tok = client
    r = post(c, tok["kernels"], "/v1/packaging/ship-plans",
             {"lines": [{"ordered": "12.35 t", "pack": "40 kg"},
                        {"ordered": "100 kg", "pack": "40 kg", "mode": "up"}]})
    assert r.status_code == 200
    assert r.json()["results"] == [jsonable(ship_plan("12.35 t", "40 kg")),
                                   jsonable(ship_plan("100 kg", "40 kg", mode="up"))]
    assert r.json()["results"][0] == {"packs": 309, "shipped": {"value": "12.36", "unit": "t"},
                                      "residual": {"value": "-0.01", "unit": "t"}}
    r = post(c, tok["kernels"], "/v1/packaging/line-amounts",
             {"lines": [{"quantity": "12.36 t", "unit_price": 2850, "price_unit": "t"},
                        {"quantity": "12360 kg", "unit_price": "2850", "price_unit": "吨"}]})
    assert r.json()["results"] == ["35226.00", "35226.00"]
    assert Decimal(r.json()["results"][0]) == line_amount("12.36 t", 2850, "t")


def test_invoice_reconcile_gross_up_bom(client: Any) -> None:
    c, tok = client
    k = tok["kernels"]
    inv = post(c, k, "/v1/packaging/invoice", {"amounts": ["35226.00", "1000.00", "0.01"],
                                               "freight": "100.00", "tax_rate": "0.09"}).json()
    assert [ln["freight"] for ln in inv["lines"]] == ["97.24", "2.76", "0.00"]
    rec = post(c, k, "/v1/live-weight/reconcile", {
        "rate_per_hour": "0.3 %/h", "tolerance_kg": 1,
        "lines": [{"shipped_kg": 100, "received_kg": 97, "hours": 10},
                  {"shipped_kg": 50, "received_kg": 40, "hours": 5}]}).json()["results"]
    assert [r["flagged"] for r in rec] == [False, True]
    assert abs(rec[0]["expected_kg"] - 100 * 0.997 ** 10) < 1e-9
    g = post(c, k, "/v1/wastage/gross-up", {"lines": [{"net": "96", "loss": "0.04"},
                                                      {"net": "1", "loss": "2/3"}]}).json()
    assert g["results"] == ["100", "3"]
    bom = {"lines": [{"parent": "kit", "child": "bolt", "qty": 2, "unit": "pcs"},
                     {"parent": "kit", "child": "nut", "qty": "1/2", "unit": "pcs"}],
           "outputs": {"kit": 4}, "item": "kit", "quantity": 8}
    assert post(c, k, "/v1/bom/explode", bom).json() == {
        "requirements": {"bolt": "4", "nut": "1"}}
    mb = post(c, k, "/v1/bom/max-buildable", {**bom, "stock": {"bolt": 10, "nut": 10}}).json()
    assert mb == {"buildable": 20}


def test_rules_validate_and_diff_by_bundled_name_and_yaml(client: Any) -> None:
    c, tok = client
    k = tok["kernels"]
    r = post(c, k, "/v1/rules/validate", {"pack": {"name": "hotpot@2026.11"}})
    assert r.json()["version"] == "2026.11"
    bad = post(c, k, "/v1/rules/validate", {"pack": {"yaml": "industry: hotpot\nversion: x\n"}})
    assert bad.status_code == 422
    assert bad.json()["field"] == "pack"
    errors = bad.json()["errors"]
    assert {e["field"] for e in errors} >= {"effective_from", "labels"}
    assert all(e["location"].startswith("<pack>:1") for e in errors)
    d = post(c, k, "/v1/rules/diff", {"old": {"name": "hotpot@2026.10"},
                                      "new": {"name": "hotpot@2026.11"}}).json()
    from jxc_rules.rules import diff, load_pack

    want = diff(load_pack("hotpot@2026.10"), load_pack("hotpot@2026.11"))
    assert d["changes"] == jsonable(want)
    assert "replenishment.safety_days" in [x["path"] for x in d["changes"] if x["review"]]


def test_the_service_never_reads_a_path_a_client_names(client: Any) -> None:
    c, tok = client
    for name in ["/etc/passwd", "../industries/hotpot/2026.11.yaml", "x.yaml"]:
        r = post(c, tok["kernels"], "/v1/rules/validate", {"pack": {"name": name}})
        assert r.status_code == 422, name
        assert r.json()["field"] == "pack.name", name
        assert "root:" not in r.text


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(-10**12, 10**12), st.integers(0, 6)), min_size=1,
                max_size=20))
def test_conversion_batches_agree_with_convert_line_by_line(pairs: Any) -> None:
    # one app for all examples (hypothesis and function-scoped fixtures do not mix)
    c, tok = _SHARED["client"]
    units = ["g", "kg", "斤", "两", "t", "吨", "公斤"]
    lines = [{"value": f"{v}/{1000}", "from_unit": units[u], "to_unit": units[(u + 3) % 7]}
             for v, u in pairs]
    r = post(c, tok["kernels"], "/v1/units/convert", {"lines": lines})
    assert r.status_code == 200
    assert r.json()["results"] == [str(convert(ln["value"], ln["from_unit"], ln["to_unit"]))
                                   for ln in lines]


_SHARED: dict[str, Any] = {}


def setup_module() -> None:
    import tempfile

    from jxc_rules.service import Settings, create_app

    tmp = tempfile.mkdtemp()
    app = create_app(Settings(db_url=f"sqlite:///{tmp}/shared.db"))
    token = app.state.jxc.store.add_token("prop", ["kernels"])
    c = TestClient(app)
    c.__enter__()
    _SHARED["client"] = (c, {"kernels": token})


def teardown_module() -> None:
    c, _ = _SHARED.pop("client")
    c.__exit__(None, None, None)


def test_shelf_life_lots_match_assess_lots_and_fefo(client: Any) -> None:
    import numpy as np

    from jxc_rules.shelf_life.lots import ShelfLifeRule, assess_lots, fefo_order

    c, tok = client
    rule = {"model": {"q10": 3, "ref_temp_c": 4}, "shelf_life_ref_h": "10 d",
            "alert_offset_h": "2 d"}
    lots = [{"lot_id": "L1", "times_h": [0, 24, 48], "temps_c": [4, 8, 12]},
            {"lot_id": "L2", "times_h": [0, 48], "temps_c": [4, None]},
            {"lot_id": "L3", "times_h": [0, 40], "temps_c": [20, 25]}]
    r = post(c, tok["kernels"], "/v1/shelf-life/lots", {"rule": rule, "now_h": 48,
                                                         "lots": lots})
    assert r.status_code == 200, r.text
    want = assess_lots(np.array([0, 24, 48, 0, 48, 0, 40], float),
                       np.array([4, 8, 12, 4, np.nan, 20, 25]),
                       ShelfLifeRule.from_mapping(rule), 48,
                       lot_ids=np.array([0, 0, 0, 1, 1, 2, 2]))
    got = r.json()["results"]
    assert [g["remaining_h"] for g in got] == want.remaining_h.tolist()
    assert [g["level"] for g in got] == want.level.tolist()
    assert got[1]["data_quality_flag"] is True
    assert r.json()["fefo"] == [lots[int(i)]["lot_id"] for i in fefo_order(want)]
    bad = post(c, tok["kernels"], "/v1/shelf-life/lots", {
        "rule": {**rule, "model": {"q10": 0, "ref_temp_c": 4}}, "now_h": 48, "lots": lots})
    assert bad.json()["field"] == "rule.model.q10"
    unsorted = post(c, tok["kernels"], "/v1/shelf-life/lots", {"rule": rule, "now_h": 48,
                    "lots": [lots[0], {"lot_id": "L9", "times_h": [0, 30, 20],
                                       "temps_c": [4, 4, 4]}]})
    assert unsorted.status_code == 422
    assert unsorted.json()["field"] == "lots[1].times_h[2]"


def test_month_end_close_matches_close_month(client: Any) -> None:
    from jxc_rules.closing import Receipt, Shipment, StockCount, close_month
    from jxc_rules.packaging import ProductProfile

    c, tok = client
    body = {"profiles": [{"sku": "urea", "name": "尿素", "price_unit": "t",
                          "pack_content": "40 kg"}],
            "movements": [{"kind": "receipt", "doc_id": "PO1", "sku": "urea", "bags": 400,
                           "price": 2300},
                          {"kind": "shipment", "doc_id": "SO1", "sku": "urea", "bags": 309,
                           "price": 2850, "ordered": "12.35 t"}],
            "opening": {"urea": {"bags": 100, "value": "9000.00"}},
            "counts": {"urea": {"bags": 190, "broken_bags": 1, "loose": "30 kg"}}}
    r = post(c, tok["kernels"], "/v1/closing/month", body)
    assert r.status_code == 200, r.text
    urea = ProductProfile(sku="urea", name="尿素", price_unit="t", pack_content="40 kg")
    want = close_month(urea, [Receipt("PO1", "urea", 400, 2300),
                              Shipment("SO1", "urea", 309, 2850, ordered="12.35 t")],
                       opening={"urea": (100, "9000.00")},
                       counts={"urea": StockCount(190, 1, "30 kg")})
    assert r.json() == jsonable(want)
    assert r.json()["products"]["urea"]["gross_margin"] == "6921.60"
    body["movements"][1]["bags"] = 900
    short = post(c, tok["kernels"], "/v1/closing/month", body)
    assert short.status_code == 409
    assert short.json()["shortages"] == {"urea": 400}
    body["movements"][1]["bags"] = -3
    bad = post(c, tok["kernels"], "/v1/closing/month", body)
    assert bad.json()["field"] == "movements[1].bags"
    body["profiles"][0]["colour"] = "red"
    assert post(c, tok["kernels"], "/v1/closing/month", body).json()["field"] == "profiles[0]"


def test_prep_quantities_per_line(client: Any) -> None:
    from jxc_rules.wastage.prep import prep_quantities

    c, tok = client
    r = post(c, tok["kernels"], "/v1/wastage/prep", {"lines": [
        {"edible": 19.152, "yield": 0.85, "loss": 0.04}, {"edible": 10}]})
    assert r.json()["results"] == prep_quantities([19.152, 10], yields=[0.85, 1.0],
                                                  losses=[0.04, 0.0]).tolist()
    bad = post(c, tok["kernels"], "/v1/wastage/prep", {"lines": [
        {"edible": 1}, {"edible": 10, "loss": 1}]})
    assert bad.status_code == 422
    assert bad.json()["field"] == "lines[1].loss"
