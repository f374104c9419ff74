"""A client generated in another language (JavaScript, run by Node) drives the reservation flow
against a real uvicorn: receive, reserve with an Idempotency-Key, retry, shortage, consume,
release — exact values staying strings end to end."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
DOC = HERE.parents[1] / "docs" / "openapi.json"

FLOW = """\
import { JxcClient, Problem } from "./jxc_client.mjs";
const [url, token] = process.argv.slice(2);
const api = new JxcClient(url, token);
const out = {};
out.receive = (await api.receive({ body: { sku: "FISH-1", quantity: "10.5" } })).body;
const order = { order_id: "SO/2026/001", lines: { "FISH-1": "4.25" } };
const first = await api.reserve({ body: order, "Idempotency-Key": "js-1" });
const retry = await api.reserve({ body: order, "Idempotency-Key": "js-1" });
out.first = [first.status, first.body];
out.retry = [retry.status, retry.body, retry.headers["idempotency-replayed"]];
try {
  await api.reserve({ body: { order_id: "SO-2", lines: { "FISH-1": "7" } } });
} catch (e) {
  out.short = [e instanceof Problem, e.status, e.field, e.shortages];
}
out.stock = (await api.getStock({ sku: "FISH-1" })).body;
out.consume = (await api.consume({ order_id: "SO/2026/001",
                                   body: { lines: { "FISH-1": "1.25" } } })).body;
out.release = (await api.release({ order_id: "SO/2026/001" })).body;
out.after = (await api.getStock({ sku: "FISH-1" })).body;
console.log(JSON.stringify(out));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_a_generated_javascript_client_runs_the_reservation_flow(live: Any,
                                                                  tmp_path: Path) -> None:
    server, tok = live
    gen = subprocess.run([sys.executable, str(HERE / "gen_js_client.py"), str(DOC)],
                         capture_output=True, text=True, check=True)
    (tmp_path / "jxc_client.mjs").write_text(gen.stdout, encoding="utf-8")
    (tmp_path / "flow.mjs").write_text(FLOW, encoding="utf-8")
    run = subprocess.run(["node", str(tmp_path / "flow.mjs"), server.url, tok["all"]],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["receive"] == {"sku": "FISH-1", "on_hand": "10.5"}
    assert out["first"] == [201, {"order_id": "SO/2026/001", "reserved": True, "location": "",
                                  "lines": {"FISH-1": "4.25"}}]
    assert out["retry"] == [201, out["first"][1], "true"]
    assert out["short"] == [True, 409, "lines", {"FISH-1": "0.75"}]
    assert out["stock"]["available"] == "6.25"
    assert out["consume"]["held"] == {"FISH-1": "3"}
    assert out["release"]["released"] is True
    assert out["after"] == {"sku": "FISH-1", "location": "", "on_hand": "9.25",
                            "reserved": "0", "available": "9.25"}
