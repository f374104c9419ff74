"""The request time limit, and the service's import cost: ``import jxc_rules`` and
``jxc-rules --help`` load neither the service nor FastAPI."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

from fastapi.testclient import TestClient


def test_a_request_past_the_time_limit_gets_504(make_app: Any) -> None:
    app, _tok = make_app(request_timeout_s=0.3)

    def slow() -> dict[str, str]:
        time.sleep(3.0)
        return {"late": "yes"}

    app.add_api_route("/slow-for-test", slow)
    with TestClient(app) as c:
        t0 = time.monotonic()
        r = c.get("/slow-for-test")
        assert time.monotonic() - t0 < 2.5  # cut at 0.3 s, well before the 3 s of work
        assert r.status_code == 504
        assert r.headers["content-type"] == "application/problem+json"
        assert "Idempotency-Key" in r.json()["detail"]


def test_importing_the_library_and_its_cli_loads_no_service() -> None:
    code = ("import sys, json, jxc_rules, jxc_rules.cli; jxc_rules.cli.build_parser(); "
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('fastapi', "
            "'starlette', 'uvicorn', 'sqlalchemy', 'pydantic', 'jxc_rules.service.')))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert json.loads(out) == []
