"""The studio's promise (#20): "a run of 1,000 trials shows its first result in ≤ 3 s".

    python benchmarks/bench_studio.py             # 5 runs in the browser, the rows for the README
    python benchmarks/run.py -k studio            # the same measurement in the common table

Measured in Debian's Chromium (driven by Playwright) on the page of a real studio (uvicorn on
127.0.0.1, the service's job worker processes): the time from the click on *Run compare* to the
headline and KPI table shown, as the page records it (``performance.now()`` at the click and at
the first render of the result), for the bundled ``hotpot-spring-festival-2027`` compare at 1,000
trials. Beside it, for the split: the same job submitted over HTTP and polled to its end (the
worker process's start, imports, world and trials), and the compare in-process (no worker).

Not a unit test: the numbers go into benchmarks/README.md, never into assertions
(tests/studio/ checks that a 1,000-trial run shows a result, without timing it).
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from _harness import Baseline, Case

SCENARIO = "hotpot-spring-festival-2027"
TRIALS = 1000
CHROMIUM = os.environ.get("JXC_CHROMIUM", "/usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Bench:
    """A studio on 127.0.0.1 and a Chromium page signed in to it (started on first use)."""

    def __init__(self) -> None:
        import uvicorn

        from jxc_rules.studio.app import create_studio_app

        self.dir = tempfile.mkdtemp(prefix="jxc-bench-studio-")
        self.studio = create_studio_app(save_dir=Path(self.dir) / "packs")
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(self.studio.app, host="127.0.0.1",
                                                    port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)
        from playwright.sync_api import sync_playwright

        path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
        if path is None:
            raise RuntimeError(f"chromium not found at {CHROMIUM} (set JXC_CHROMIUM)")
        self.pw = sync_playwright().start()
        self.browser = self.pw.chromium.launch(executable_path=path)
        self.page = self.browser.new_page(viewport={"width": 1280, "height": 900})
        self.page.goto(self.url + self.studio.page_path)
        self.page.wait_for_selector("body[data-ready=true]", state="attached", timeout=60_000)
        self.page.fill("#trials", str(TRIALS))

    def click_to_first_result(self) -> float:
        """Seconds from the click on Run compare to the first result shown (the page's clock)."""
        page = self.page
        page.evaluate("() => { document.body.dataset.run = ''; "
                      "delete document.body.dataset.result; }")
        page.click("#run-compare")
        page.wait_for_selector("body[data-result=compare]", state="attached", timeout=120_000)
        ms = page.evaluate("() => window.__studio.lastRun.firstResult - "
                           "window.__studio.lastRun.clicked")
        page.wait_for_selector("body[data-run=done]", state="attached", timeout=120_000)
        return float(ms) / 1000

    def job_over_http(self) -> float:
        """Seconds from POST /v1/jobs to the result fetched (polled every 20 ms)."""
        import httpx

        head = {"Authorization": f"Bearer {self.studio.token}"}
        body = {"scenario": {"name": SCENARIO}, "trials": TRIALS,
                "packs": [{"name": "hotpot@2026.10"}, {"name": "hotpot@2026.11"}]}
        with httpx.Client(base_url=self.url, headers=head, timeout=120) as c:
            start = time.perf_counter()
            job = c.post("/v1/jobs", json=body).json()
            while c.get(f"/v1/jobs/{job['id']}").json()["status"] == "running":
                time.sleep(0.02)
            c.get(f"/v1/jobs/{job['id']}/result").raise_for_status()
            return time.perf_counter() - start

    def close(self) -> None:
        self.browser.close()
        self.pw.stop()
        self.server.should_exit = True
        self.thread.join(timeout=20)
        self.studio.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def in_process() -> float:
    from jxc_rules.rules import load_pack
    from jxc_rules.simulate import compare, load_scenario

    start = time.perf_counter()
    compare(load_scenario(SCENARIO), load_pack("hotpot@2026.10"), load_pack("hotpot@2026.11"),
            trials=TRIALS)
    return time.perf_counter() - start


_BENCH: list[Bench] = []


def _bench() -> Bench:
    if not _BENCH:
        _BENCH.append(Bench())
    return _BENCH[0]


def _check() -> None:
    """The page and the catalogue answer (no browser, no job: the smoke test stays light)."""
    from fastapi.testclient import TestClient

    from jxc_rules.studio.app import create_studio_app

    with tempfile.TemporaryDirectory() as tmp:
        studio = create_studio_app(save_dir=tmp, allowed_hosts=["testserver"])
        try:
            with TestClient(studio.app) as c:
                assert "studio.js" in c.get("/studio/").text
                cat = c.get("/studio/api/catalog",
                            headers={"Authorization": f"Bearer {studio.token}"}).json()
                assert SCENARIO in cat["scenarios"]
        finally:
            studio.close()


def cases(scale: float) -> list[Case]:
    """For benchmarks/run.py: ``ours`` is one click-to-first-result in the browser (the page's
    own clock, so the harness's wall time adds only Playwright's round trips)."""
    del scale  # the promise is about 1,000 trials
    return [Case(operation=f"studio: click Run → first result ({SCENARIO}, {TRIALS:,} trials)",
                 size=1, unit="runs", target="≤ 3 s",
                 ours=lambda: _bench().click_to_first_result(),
                 baselines=[Baseline("the same job over HTTP, polled",
                                     lambda: _bench().job_over_http()),
                            Baseline("compare in-process (no worker)", in_process)],
                 check=_check)]


def main() -> int:
    bench = _bench()
    try:
        bench.click_to_first_result()  # warm: the page's first run, the file cache
        clicks, jobs, local = [], [], []
        for _ in range(5):  # interleaved, so a burst of load on the machine hits all alike
            clicks.append(bench.click_to_first_result())
            jobs.append(bench.job_over_http())
            local.append(in_process())
    finally:
        bench.close()
    print(f"{'what':<58} {'median s':>9} {'best s':>7} {'worst s':>8}  target")
    for name, ts, target in (
            (f"studio: click Run → first result shown ({TRIALS:,} trials)", clicks, "≤ 3 s"),
            ("  the job alone: POST /v1/jobs → result (worker process)", jobs, ""),
            ("  compare in-process (no worker process)", local, "")):
        print(f"{name:<58} {statistics.median(ts):>9.2f} {min(ts):>7.2f} {max(ts):>8.2f}  "
              f"{target}")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
