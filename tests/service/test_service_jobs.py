"""Simulation jobs: run in a worker process, poll, stream, fetch JSON and HTML, cancel, bounds."""

from __future__ import annotations

import json
import time
from typing import Any

from fastapi.testclient import TestClient

from jxc_rules.simulate import load_scenario, run
from tests.service.conftest import bearer

SCENARIO = "hotpot-spring-festival"


def wait(c: TestClient, token: str, job_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view: dict[str, Any] = c.get(f"/v1/jobs/{job_id}", headers=bearer(token)).json()
        if view["status"] != "running":
            return view
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still running after {timeout} s")


def test_a_job_runs_in_a_worker_and_equals_the_library_run(make_app: Any) -> None:
    app, tok = make_app()
    with TestClient(app) as c:
        a = bearer(tok["all"])
        r = c.post("/v1/jobs", json={"scenario": {"name": SCENARIO},
                                     "packs": [{"name": "hotpot@2026.11"}],
                                     "trials": 20, "seed": 7}, headers=a)
        assert r.status_code == 202, r.text
        job = r.json()
        assert job["status"] == "running"
        # an unfinished job has no result yet: 409 naming the job
        early = c.get(f"/v1/jobs/{job['id']}/result", headers=a)
        assert early.status_code in (200, 409)
        view = wait(c, tok["all"], job["id"])
        assert view["status"] == "done", view
        assert view["progress"]["chunks_done"] == view["progress"]["chunks"]
        result = c.get(f"/v1/jobs/{job['id']}/result", headers=a).json()
        want = run(load_scenario(SCENARIO), rules="hotpot@2026.11", trials=20, seed=7)
        got = result["results"][0]["kpis"]
        for name, summary in want.kpis.items():
            assert got[name]["mean"] == summary.mean, name
        html = c.get(f"/v1/jobs/{job['id']}/report.html", headers=a)
        assert html.headers["content-type"].startswith("text/html")
        assert html.text.startswith("<!DOCTYPE html>")
        events = c.get(f"/v1/jobs/{job['id']}/events", headers=a)
        last = [ln for ln in events.text.splitlines() if ln.startswith("data: ")][-1]
        assert json.loads(last.removeprefix("data: "))["status"] == "done"
        # another token does not see the job
        assert c.get(f"/v1/jobs/{job['id']}",
                     headers=bearer(tok["kernels"])).status_code == 403


def test_jobs_are_bounded_and_cancellable(make_app: Any) -> None:
    app, tok = make_app(max_jobs=1, max_trials_days=100_000)
    days = load_scenario(SCENARIO).days
    with TestClient(app) as c:
        a = bearer(tok["all"])
        big = c.post("/v1/jobs", json={"scenario": {"name": SCENARIO},
                                       "trials": 100_000 // days + 1}, headers=a)
        assert big.status_code == 422
        assert big.json()["field"] == "trials"
        assert str(days) in big.json()["detail"]
        first = c.post("/v1/jobs", json={"scenario": {"name": SCENARIO},
                                         "trials": 100_000 // days}, headers=a)
        assert first.status_code == 202
        second = c.post("/v1/jobs", json={"scenario": {"name": SCENARIO}, "trials": 5},
                        headers=a)
        assert second.status_code == 429
        assert second.headers["retry-after"]
        jid = first.json()["id"]
        cancelled = c.post(f"/v1/jobs/{jid}/cancel", headers=a).json()
        assert cancelled["status"] == "cancelled"
        proc = app.state.jxc.jobs.jobs[jid].process
        deadline = time.monotonic() + 10
        while proc.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not proc.is_alive()
        res = c.get(f"/v1/jobs/{jid}/result", headers=a)
        assert res.status_code == 409
        assert res.json()["type"].endswith("job-cancelled")
        # the slot is free again
        again = c.post("/v1/jobs", json={"scenario": {"name": SCENARIO}, "trials": 5},
                       headers=a)
        assert again.status_code == 202
        assert wait(c, tok["all"], again.json()["id"])["status"] == "done"


def test_job_inputs_are_checked_before_a_process_starts(client: Any) -> None:
    c, tok = client
    a = bearer(tok["all"])
    for body, field in [
        ({"scenario": {"name": "/etc/passwd"}}, "scenario.name"),
        ({"scenario": {"name": SCENARIO}, "packs": [{"name": "../x"}]}, "packs[0].name"),
        ({"scenario": {}}, "scenario"),
        ({"scenario": {"yaml": "name: x\n"}}, "scenario.horizon"),
        ({"scenario": {"name": SCENARIO}, "trials": 0}, "trials"),
    ]:
        r = c.post("/v1/jobs", json=body, headers=a)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["field"] == field, (body, r.json())
        assert "/tmp" not in r.text


def test_a_sweep_job_equals_the_library_sweep(make_app: Any) -> None:
    from jxc_rules.simulate import sweep

    app, tok = make_app()
    with TestClient(app) as c:
        a = bearer(tok["all"])
        bad = c.post("/v1/jobs", json={"scenario": {"name": SCENARIO}, "trials": 5,
                                       "sweep": {"param": "nope.x", "values": [1]}}, headers=a)
        assert bad.status_code == 422
        assert bad.json()["field"].startswith("sweep")
        r = c.post("/v1/jobs", json={"scenario": {"name": SCENARIO}, "trials": 10, "seed": 3,
                                     "packs": [{"name": "hotpot@2026.11"}],
                                     "sweep": {"param": "demand.scale", "values": [0.8, 1.2]}},
                   headers=a)
        assert r.status_code == 202, r.text
        view = wait(c, tok["all"], r.json()["id"])
        assert view["status"] == "done", view
        got = c.get(f"/v1/jobs/{view['id']}/result", headers=a).json()["sweep"]
        want = sweep(load_scenario(SCENARIO), "demand.scale", [0.8, 1.2],
                     rules=["hotpot@2026.11"], trials=10, seed=3).to_mapping()
        # the numbers: every KPI summary of every point (the mapping's layout is the
        # simulator's to choose)
        assert got["kpis"] == json.loads(json.dumps(want["kpis"], default=str))


def test_a_pack_field_sweep_job_runs_as_the_library_sweep(make_app: Any) -> None:
    """SweepSpec's own example, a candidate pack field, is accepted (it was refused at submit:
    only true-world paths were checked) and equals the library's sweep; a pack path the pack
    does not have is a 422 naming the sweep."""
    from jxc_rules.simulate import sweep

    app, tok = make_app()
    param = "candidate.replenishment.safety_days"
    with TestClient(app) as c:
        a = bearer(tok["all"])
        bad = c.post("/v1/jobs", json={"scenario": {"name": SCENARIO}, "trials": 5,
                                       "sweep": {"param": "candidate.replenishment.safety_day",
                                                 "values": [1]}}, headers=a)
        assert bad.status_code == 422, bad.text
        assert bad.json()["field"].startswith("sweep")
        assert "safety_days" in bad.json()["detail"]        # did you mean ...
        r = c.post("/v1/jobs", json={"scenario": {"name": SCENARIO}, "trials": 10, "seed": 2,
                                     "sweep": {"param": param, "values": [0.0, 1.5]}},
                   headers=a)
        assert r.status_code == 202, r.text
        view = wait(c, tok["all"], r.json()["id"])
        assert view["status"] == "done", view
        got = c.get(f"/v1/jobs/{view['id']}/result", headers=a).json()["sweep"]
        scenario = load_scenario(SCENARIO)
        rules = [scenario.rules["baseline"], scenario.rules["candidate"]]
        want = sweep(scenario, param, [0.0, 1.5], rules=rules, trials=10, seed=2).to_mapping()
        assert got["kpis"] == json.loads(json.dumps(want["kpis"], default=str))


def test_a_grid_job_equals_the_library_grid(make_app: Any) -> None:
    """Two parameters swept together (a true-world and a pack field), as a repeated --sweep;
    sweep and grid together, or one parameter twice, are a 422 naming the field."""
    from jxc_rules.simulate import sweep

    app, tok = make_app()
    axes = [{"param": "demand.scale", "values": [0.9, 1.1]},
            {"param": "candidate.replenishment.safety_days", "values": [0.5, 1.5]}]
    with TestClient(app) as c:
        a = bearer(tok["all"])
        both = c.post("/v1/jobs", json={"scenario": {"name": SCENARIO}, "trials": 5,
                                        "sweep": axes[0], "grid": axes}, headers=a)
        assert both.status_code == 422
        assert both.json()["field"] == "grid"
        twice = c.post("/v1/jobs", json={"scenario": {"name": SCENARIO}, "trials": 5,
                                         "grid": [axes[0], axes[0]]}, headers=a)
        assert twice.status_code == 422
        assert twice.json()["field"] == "grid[1].param"
        bad = c.post("/v1/jobs", json={"scenario": {"name": SCENARIO}, "trials": 5,
                                       "grid": [axes[0], {"param": "nope.x", "values": [1]}]},
                     headers=a)
        assert bad.status_code == 422
        assert bad.json()["field"].startswith("grid[1]")
        r = c.post("/v1/jobs", json={"scenario": {"name": SCENARIO}, "trials": 8, "seed": 5,
                                     "grid": axes}, headers=a)
        assert r.status_code == 202, r.text
        view = wait(c, tok["all"], r.json()["id"])
        assert view["status"] == "done", view
        assert view["progress"]["chunks_done"] == view["progress"]["chunks"]
        got = c.get(f"/v1/jobs/{view['id']}/result", headers=a).json()["sweep"]
        scenario = load_scenario(SCENARIO)
        rules = [scenario.rules["baseline"], scenario.rules["candidate"]]
        want = sweep(scenario, [(ax["param"], ax["values"]) for ax in axes], rules=rules,
                     trials=8, seed=5).to_mapping()
        assert got["kpis"] == json.loads(json.dumps(want["kpis"], default=str))


def test_a_job_answers_in_the_language_asked(make_app: Any) -> None:
    """``lang: zh``: the headline and the HTML report in Chinese (the committee's page asks for
    them); an unknown language is a 422 naming ``lang``."""
    app, tok = make_app()
    with TestClient(app) as c:
        a = bearer(tok["all"])
        bad = c.post("/v1/jobs", json={"scenario": {"name": SCENARIO}, "trials": 5,
                                       "lang": "fr"}, headers=a)
        assert bad.status_code == 422
        assert "lang" in bad.json()["field"]
        r = c.post("/v1/jobs", json={"scenario": {"name": SCENARIO}, "trials": 10,
                                     "lang": "zh"}, headers=a)
        assert r.status_code == 202, r.text
        view = wait(c, tok["all"], r.json()["id"])
        assert view["status"] == "done", view
        result = c.get(f"/v1/jobs/{view['id']}/result", headers=a).json()
        scenario = load_scenario(SCENARIO)
        from jxc_rules.simulate import compare

        want = compare(scenario, scenario.rules["baseline"], scenario.rules["candidate"],
                       trials=10, seed=0).headline("zh")
        assert result["headline"] == want
        html = c.get(f"/v1/jobs/{view['id']}/report.html", headers=a).text
        assert '<html lang="zh-CN">' in html


def test_progress_streams_for_longer_than_the_body_and_request_limits(make_app: Any) -> None:
    """The body-read and request time limits guard the request; a job's server-sent progress is
    a response that runs on until the job ends (it was cut after body_timeout_s)."""
    import httpx

    from tests.service.conftest import LiveServer

    app, tok = make_app(body_timeout_s=0.5, request_timeout_s=1.0)
    server = LiveServer(app).start()
    try:
        a = bearer(tok["all"])
        with httpx.Client(base_url=server.url, timeout=120) as c:
            job = c.post("/v1/jobs", json={"scenario": {"name": SCENARIO},
                                           "trials": 4000, "seed": 1}, headers=a).json()
            start = time.monotonic()
            lines = []
            with c.stream("GET", f"/v1/jobs/{job['id']}/events", headers=a) as r:
                assert r.status_code == 200
                for line in r.iter_lines():
                    if line.startswith("data: "):
                        lines.append(json.loads(line.removeprefix("data: ")))
            took = time.monotonic() - start
        assert lines, "no events"
        assert lines[-1]["status"] == "done", lines[-1]
        assert took > 1.0, f"the job ended in {took:.2f} s: make it longer for this test"
        # and a request that is slow to answer is still cut at the request limit
        slow = httpx.post(f"{server.url}/v1/jobs", headers=a, timeout=30,
                          content=_trickle(b'{"scenario": {"name": "' + SCENARIO.encode()
                                           + b'"}, "trials": 5}', pause=1.0))
        assert slow.status_code in (408, 413, 422, 504), slow.text
    finally:
        server.stop()


def _trickle(body: bytes, pause: float) -> Any:
    def chunks() -> Any:
        yield body[:5]
        time.sleep(pause)
        yield body[5:]
    return chunks()
