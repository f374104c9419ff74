"""Simulation jobs over HTTP: submit, poll (or stream progress), fetch JSON / HTML, cancel."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from jxc_rules.errors import JxcRulesError
from jxc_rules.service.auth import JobsRead, JobsWrite, set_subject
from jxc_rules.service.problems import Problem, from_library
from jxc_rules.service.routes.kernels import PackRef
from jxc_rules.service.store import TokenInfo

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["jobs"])

JobId = Annotated[str, Path(min_length=32, max_length=32, pattern=r"^[0-9a-f]{32}$")]


class ScenarioRef(BaseModel):
    """A bundled scenario by name (``hotpot-spring-festival``) or a scenario's YAML text."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(max_length=100, examples=["hotpot-spring-festival"])] | None = None
    yaml: Annotated[str, Field(max_length=512_000)] | None = None


class SweepSpec(BaseModel):
    """A parameter swept over values, as ``jxc-rules simulate --sweep PATH=v1,v2``."""

    model_config = ConfigDict(extra="forbid")
    param: Annotated[str, Field(min_length=1, max_length=200,
                                examples=["candidate.replenishment.safety_days"])]
    values: list[Annotated[float, Field(allow_inf_nan=False)]] = Field(min_length=1,
                                                                       max_length=50)


class JobRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scenario: ScenarioRef
    packs: list[PackRef] = Field(default_factory=list, max_length=2, description=(
        "One pack (a run) or two (baseline, candidate: a comparison); none: the scenario's"))
    trials: int = Field(default=200, ge=1, le=1_000_000)
    seed: int = Field(default=0, ge=0, le=2**63 - 1)
    sweep: SweepSpec | None = None
    grid: list[SweepSpec] | None = Field(default=None, min_length=2, max_length=2, description=(
        "Two parameters swept together (every combination), as a repeated `--sweep`; "
        "instead of `sweep`"))
    lang: Literal["en", "zh"] = Field(default="en", description=(
        "Language of the result's headline and of the HTML report"))


class Progress(BaseModel):
    chunks_done: int
    chunks: int


class JobView(BaseModel):
    id: str
    status: str = Field(description="running, done, failed or cancelled")
    owner: str
    progress: Progress
    trials: int
    seed: int
    problem: dict[str, Any] | None = None


def _manager(request: Request) -> Any:
    state = request.app.state.jxc
    if state.jobs is None:
        from jxc_rules.service.jobs import JobManager

        state.jobs = JobManager(state.settings.max_jobs, state.settings.retention_jobs)
    return state.jobs


def _check_ref(ref: Any, field: str) -> None:
    from jxc_rules._internal.bundled import as_name

    if (ref.name is None) == (ref.yaml is None):
        raise Problem(422, "validation", f"{field}: give exactly one of name and yaml",
                      field=field)
    if ref.name is not None and as_name(ref.name) is None:
        raise Problem(422, "validation", f"{field}.name: {ref.name!r} is not a bundled name "
                      "(the service never reads files named by a client)", field=f"{field}.name")


def _untemp(p: Problem) -> Problem:
    """The problem with the temporary file of a YAML scenario named ``<scenario>``."""
    import re

    text = re.sub(r"[^\s'\"]*jxc-scenario-[^\s'\"/]*/scenario\.yaml", "<scenario>",
                  json.dumps({"detail": p.detail, **p.extra}, ensure_ascii=False))
    data = json.loads(text)
    p.detail = data.pop("detail")
    p.extra = data
    return p


def _job(request: Request, job_id: str, info: TokenInfo) -> Any:
    job = _manager(request).jobs.get(job_id)
    if job is None or (job.owner != info.name and not info.allows("admin")):
        raise Problem(404, "unknown-item", f"unknown job {job_id!r}", field="job_id")
    set_subject(request, f"job {job_id}")
    return job


def _check_axis(body: JobRequest, scenario: Any, axis: SweepSpec, where: str) -> None:
    """A swept parameter, checked before a worker starts: a pack field (``candidate.`` /
    ``baseline.`` / ``packs.``) on the packs the job will run, as the worker loads them (the
    scenario's own when none are given), a true-world field on the scenario."""
    from jxc_rules.service.jobs import _load_ref
    from jxc_rules.simulate.sweep import PACK_PREFIXES, _pack_at, apply_parameter

    try:
        if axis.param.startswith(PACK_PREFIXES):
            packs = [_load_ref(p.model_dump(), f"packs[{i}]") for i, p in enumerate(body.packs)]
            if not packs:
                from jxc_rules.simulate.runner import load_rules

                packs = [load_rules(scenario.rules.get(k)) for k in ("baseline", "candidate")
                         if scenario.rules.get(k)] or [None]
            for v in axis.values:
                _pack_at(packs, axis.param, v)
        else:
            for v in axis.values:
                apply_parameter(scenario, axis.param, v)
    except JxcRulesError as exc:
        raise from_library(exc, prefix=where, fallback_field="param") from exc


@router.post("/jobs", status_code=202, response_model=JobView,
             summary="Start a simulation job in a worker process (bounded trials x days)")
def submit_job(info: JobsWrite, body: JobRequest, request: Request) -> dict[str, Any]:
    from jxc_rules.service.jobs import _load_ref
    from jxc_rules.simulate.executors import DEFAULT_CHUNK_TRIALS, chunk_sizes

    _check_ref(body.scenario, "scenario")
    for i, p in enumerate(body.packs):
        _check_ref(p, f"packs[{i}]")
    settings = request.app.state.jxc.settings
    try:
        scenario = _load_ref(body.scenario.model_dump(), "scenario")
    except JxcRulesError as exc:
        raise _untemp(from_library(exc, prefix="scenario")) from exc
    set_subject(request, f"scenario {scenario.name}")
    if body.sweep is not None and body.grid is not None:
        raise Problem(422, "validation", "give sweep (one parameter) or grid (two), not both",
                      field="grid")
    axes = [("sweep", body.sweep)] if body.sweep is not None else \
        [(f"grid[{k}]", ax) for k, ax in enumerate(body.grid or [])]
    for where, axis in axes:
        _check_axis(body, scenario, axis, where)
    if body.grid is not None and body.grid[0].param == body.grid[1].param:
        raise Problem(422, "validation", f"grid: {body.grid[0].param!r} twice; sweep two "
                      "different parameters", field="grid[1].param")
    points = 1
    for _, axis in axes:
        points *= len(axis.values)
    runs = 1 + (points if axes else 0)
    work = body.trials * scenario.days * runs
    if work > settings.max_trials_days:
        raise Problem(422, "job-too-large", f"trials × days × runs = {body.trials} × "
                      f"{scenario.days} × {runs} = {work} is above this service's bound "
                      f"{settings.max_trials_days}; use fewer trials (or sweep values)",
                      field="trials")
    spec = {"scenario": body.scenario.model_dump(), "packs": [p.model_dump() for p in body.packs],
            "trials": body.trials, "seed": body.seed,
            "sweep": None if body.sweep is None else body.sweep.model_dump(),
            "grid": None if body.grid is None else [ax.model_dump() for ax in body.grid],
            "lang": body.lang}
    chunks = len(chunk_sizes(body.trials, DEFAULT_CHUNK_TRIALS)) * runs
    job = _manager(request).submit(info.name, spec, chunks)
    if job is None:
        raise Problem(429, "too-many-jobs", f"{settings.max_jobs} jobs are running (the "
                      "service's bound); retry when one has finished", field="scenario",
                      headers={"Retry-After": "5"})
    set_subject(request, f"job {job.id} scenario {scenario.name}")
    view: dict[str, Any] = job.view()
    return view


@router.get("/jobs/{job_id}", response_model=JobView, summary="A job's status and progress")
def poll_job(info: JobsRead, job_id: JobId, request: Request) -> dict[str, Any]:
    view: dict[str, Any] = _job(request, job_id, info).view()
    return view


@router.get("/jobs/{job_id}/events", summary="Progress as server-sent events until the job ends",
            response_class=StreamingResponse)
async def job_events(info: JobsRead, job_id: JobId, request: Request) -> StreamingResponse:
    job = _job(request, job_id, info)

    async def stream() -> AsyncIterator[bytes]:
        last = None
        while True:
            view = job.view()
            now = (view["status"], view["progress"]["chunks_done"])
            if now != last:
                yield f"data: {json.dumps(view)}\n\n".encode()
                last = now
            if view["status"] != "running" or await request.is_disconnected():
                return
            await asyncio.sleep(0.1)

    return StreamingResponse(stream(), media_type="text/event-stream")


def _finished(job: Any) -> None:
    if job.status == "running":
        raise Problem(409, "job-running", f"job {job.id} is still running; poll "
                      f"/v1/jobs/{job.id} until its status is done", field="job_id",
                      headers={"Retry-After": "1"})
    if job.status != "done":
        raise Problem(409, "job-" + job.status, f"job {job.id} is {job.status}; it has no "
                      "result", field="job_id", job_problem=job.problem)


@router.get("/jobs/{job_id}/result", summary="The job's result JSON (as `simulate --json`)")
def job_result(info: JobsRead, job_id: JobId, request: Request) -> Response:
    job = _job(request, job_id, info)
    _finished(job)
    return Response(job.result, media_type="application/json")


@router.get("/jobs/{job_id}/report.html", response_class=HTMLResponse,
            summary="The job's self-contained HTML report")
def job_report(info: JobsRead, job_id: JobId, request: Request) -> HTMLResponse:
    job = _job(request, job_id, info)
    _finished(job)
    return HTMLResponse(job.report)


@router.post("/jobs/{job_id}/cancel", response_model=JobView, summary="Cancel a running job")
def cancel_job(info: JobsWrite, job_id: JobId, request: Request) -> dict[str, Any]:
    job = _job(request, job_id, info)
    _manager(request).cancel(job)
    view: dict[str, Any] = job.view()
    return view
