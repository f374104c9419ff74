"""Simulation jobs, each in a worker process of its own.

A job is one ``jxc_rules.simulate`` run (one pack) or comparison (two packs, common random
numbers), optionally a sweep. It runs in a fresh ``spawn`` process (never a fork of the server
with its threads and database connections), talking back over a pipe: progress per finished
chunk, then the result JSON and the HTML report, or a problem. Bounds, checked before a
process starts: trials × days ≤ ``Settings.max_trials_days`` and at most ``Settings.max_jobs``
running at once (more are refused with 429, never queued without bound). Cancel terminates the
process; nothing of a cancelled job is kept but its status.

Jobs live in the server's memory (the newest ``Settings.retention_jobs`` are kept); a restart
forgets them — a host that needs the numbers fetches the result when the job is done.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Mapping
from typing import Any

__all__ = ["JobManager"]


def _load_ref(ref: Mapping[str, Any], kind: str) -> Any:
    if kind == "scenario":
        from jxc_rules.simulate.scenario import load_scenario

        if ref.get("name") is not None:
            return load_scenario(ref["name"])
        with tempfile.TemporaryDirectory(prefix="jxc-scenario-") as tmp:
            path = os.path.join(tmp, "scenario.yaml")
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(ref["yaml"])
            return load_scenario(path)
    from jxc_rules.rules.load import load_pack, loads_pack

    if ref.get("name") is not None:
        return load_pack(ref["name"])
    return loads_pack(ref["yaml"], filename=f"<{kind}>")


def _worker(conn: Any, spec: dict[str, Any]) -> None:  # pragma: no cover - runs in a child
    """Run one job in this (spawned) process; send ("progress", n) … ("done", json, html)."""
    try:
        import json

        from jxc_rules.errors import JxcRulesError
        from jxc_rules.serialize import jsonable
        from jxc_rules.service.problems import from_library
        from jxc_rules.simulate.compare import compare
        from jxc_rules.simulate.report import html_report
        from jxc_rules.simulate.runner import run_many

        try:
            scenario = _load_ref(spec["scenario"], "scenario")
            packs = [_load_ref(p, f"packs[{i}]") for i, p in enumerate(spec["packs"])]
            if not packs:
                from jxc_rules.simulate.runner import load_rules

                base = scenario.rules.get("baseline")
                cand = scenario.rules.get("candidate")
                packs = [load_rules(base)] + ([load_rules(cand)] if cand else [])
            done = 0

            def tick() -> None:
                nonlocal done
                done += 1
                conn.send(("progress", done))

            comparison = None
            if len(packs) == 2:
                comparison = compare(scenario, packs[0], packs[1], trials=spec["trials"],
                                     seed=spec["seed"], progress=tick)
                results = [comparison.baseline, comparison.candidate]
            else:
                results = run_many(scenario, packs, trials=spec["trials"], seed=spec["seed"],
                                   progress=tick)
            swept = None
            axes = ([spec["sweep"]] if spec.get("sweep") else []) + list(spec.get("grid") or [])
            if axes:
                from jxc_rules.simulate.sweep import sweep

                swept = sweep(scenario, [(ax["param"], ax["values"]) for ax in axes],
                              rules=packs, trials=spec["trials"], seed=spec["seed"],
                              progress=tick)
            payload: dict[str, Any] = {
                "scenario": scenario.name,
                "horizon": [scenario.start.isoformat(), scenario.end.isoformat()],
                "results": [r.to_mapping() for r in results],
            }
            from jxc_rules.simulate.compare import run_headline

            lang = spec.get("lang", "en")
            payload["headline"] = (comparison.headline(lang) if comparison is not None
                                   else run_headline(results[0], lang))
            notes = tuple(getattr(scenario, "calendar_notes", ()))
            if notes:
                payload["notes"] = list(notes)
            if comparison is not None:
                payload["compare"] = {k: v.to_mapping()
                                      for k, v in comparison.differences.items()}
            if swept is not None:
                payload["sweep"] = swept.to_mapping()
            text = json.dumps(jsonable(payload, allow_nan=True), ensure_ascii=False)
            html = html_report(results, comparison, swept, notes=notes, lang=lang,
                               meta={"horizon": f"{scenario.start} – {scenario.end}"})
            conn.send(("done", text, html))
        except JxcRulesError as exc:
            conn.send(("error", from_library(exc).body()))
    except BaseException as exc:  # the parent must hear of every end
        conn.send(("error", {"type": "https://jxc-rules.dev/problems/internal", "status": 500,
                             "title": "Internal server error",
                             "detail": f"the job failed: {type(exc).__name__}"}))
    finally:
        conn.close()


class Job:
    def __init__(self, job_id: str, owner: str, spec: dict[str, Any], chunks: int) -> None:
        self.id = job_id
        self.owner = owner
        self.spec = spec
        self.chunks = chunks
        self.done_chunks = 0
        self.status = "running"
        self.created = time.time()
        self.finished: float | None = None
        self.result: str | None = None
        self.report: str | None = None
        self.problem: dict[str, Any] | None = None
        self.process: Any = None
        self.changed = threading.Condition()

    def view(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "owner": self.owner,
                "progress": {"chunks_done": self.done_chunks, "chunks": self.chunks},
                "trials": self.spec["trials"], "seed": self.spec["seed"],
                "problem": self.problem}


class JobManager:
    """Starts, watches, cancels and forgets job processes (bounded by ``max_jobs``)."""

    def __init__(self, max_jobs: int, retention: int) -> None:
        self.max_jobs = max_jobs
        self.retention = retention
        self.jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._ctx = mp.get_context("spawn")

    def running(self) -> int:
        return sum(1 for j in self.jobs.values() if j.status == "running")

    def submit(self, owner: str, spec: dict[str, Any], chunks: int) -> Job | None:
        """The new job, or None when ``max_jobs`` are running."""
        with self._lock:
            if self.running() >= self.max_jobs:
                return None
            job = Job(uuid.uuid4().hex, owner, spec, chunks)
            parent, child = self._ctx.Pipe(duplex=False)
            proc = self._ctx.Process(target=_worker, args=(child, spec), daemon=True,
                                     name=f"jxc-job-{job.id[:8]}")
            proc.start()
            child.close()
            job.process = proc
            self.jobs[job.id] = job
            self._forget_old()
        threading.Thread(target=self._watch, args=(job, parent), daemon=True).start()
        return job

    def _forget_old(self) -> None:
        ended = sorted((j for j in self.jobs.values() if j.status != "running"),
                       key=lambda j: j.created)
        for j in ended[: max(0, len(self.jobs) - self.retention)]:
            del self.jobs[j.id]

    def _watch(self, job: Job, conn: Any) -> None:
        try:
            while True:
                try:
                    msg = conn.recv()
                except (EOFError, OSError):
                    break
                with job.changed:
                    if job.status != "running":
                        continue  # cancelled: whatever still arrives is dropped
                    if msg[0] == "progress":
                        job.done_chunks = min(msg[1], job.chunks)
                    elif msg[0] == "done":
                        job.result, job.report = msg[1], msg[2]
                        job.done_chunks = job.chunks
                        job.status = "done"
                    elif msg[0] == "error":
                        job.problem = msg[1]
                        job.status = "failed"
                    job.changed.notify_all()
        finally:
            conn.close()
            job.process.join(timeout=5)
            with job.changed:
                if job.status == "running":
                    job.status = "failed"
                    job.problem = {"type": "https://jxc-rules.dev/problems/internal",
                                   "status": 500, "title": "Internal server error",
                                   "detail": "the job's worker process ended without a result "
                                             f"(exit code {job.process.exitcode})"}
                job.finished = time.time()
                job.changed.notify_all()

    def cancel(self, job: Job) -> bool:
        with job.changed:
            if job.status != "running":
                return False
            job.status = "cancelled"
            job.changed.notify_all()
        job.process.terminate()
        threading.Thread(target=self._reap, args=(job,), daemon=True).start()
        return True

    @staticmethod
    def _reap(job: Job) -> None:
        """SIGKILL a cancelled worker that did not end on SIGTERM within 3 s."""
        deadline = time.monotonic() + 3
        while job.process.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        if job.process.is_alive():
            job.process.kill()

    def shutdown(self) -> None:
        for job in list(self.jobs.values()):
            if job.status == "running":
                self.cancel(job)
        for job in list(self.jobs.values()):
            if job.process is not None:
                job.process.join(timeout=5)
