"""The studio's API (``/studio/api``): what the page needs around the service's jobs.

The simulations themselves run as the service's jobs (``POST /v1/jobs``, progress on
``/v1/jobs/{id}/events``); these routes serve the rest: the catalogue of bundled scenarios and
packs, a scenario made portable for a job, a pack as the committee's form, edits checked by the
pack's validator (with the diff), a new version saved, and the headline in both languages.
Every route needs the session's token (scope ``jobs:write``) like the jobs themselves.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from jxc_rules.errors import JxcRulesError
from jxc_rules.service.auth import require
from jxc_rules.service.problems import Problem, from_library
from jxc_rules.service.store import TokenInfo

__all__ = ["router"]

router = APIRouter(prefix="/studio/api", tags=["studio"])
Session = Annotated[TokenInfo, require("jobs:write")]
_YAML = Annotated[str, Field(max_length=512_000)]


class Ref(BaseModel):
    """A bundled scenario/pack by name, a saved pack by file name, or uploaded YAML text."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(max_length=100)] | None = None
    saved: Annotated[str, Field(max_length=200)] | None = None
    yaml: _YAML | None = None


class PackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    candidate: Ref
    baseline: Ref | None = None


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    candidate: Ref
    edits: dict[Annotated[str, Field(max_length=300)], Annotated[str, Field(max_length=200)]] = (
        Field(default_factory=dict, max_length=2000))


class SaveRequest(CheckRequest):
    version: Annotated[str, Field(max_length=40)]
    approved_by: Annotated[str, Field(max_length=500)]
    changelog: Annotated[str, Field(max_length=4000)]
    effective_from: Annotated[str, Field(max_length=20)] | None = None


class SweepRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    param: Annotated[str, Field(max_length=300)]
    values: Annotated[str, Field(max_length=500)]


class HeadlineRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    results: list[dict[str, Any]] = Field(min_length=1, max_length=2)
    compare: dict[str, dict[str, Any]] | None = None


def _studio(request: Request) -> Any:
    return request.app.state.studio


def _saved_dir(request: Request) -> Path:
    return Path(_studio(request).save_dir)


def _saved_files(request: Request) -> list[str]:
    root = _saved_dir(request)
    if not root.is_dir():
        return []
    return sorted(str(p.relative_to(root)).replace(os.sep, "/") for p in root.glob("*/*.yaml"))


def _load_pack(ref: Ref, request: Request, field: str) -> tuple[Any, dict[str, str]]:
    """(pack, the service's job reference for it): a pack saved by the studio, or a bundled
    name / YAML text as the service loads them (:func:`~jxc_rules.service.routes.kernels.
    load_ref`)."""
    from jxc_rules.rules.load import loads_pack
    from jxc_rules.service.routes.kernels import PackRef, load_ref

    given = [x for x in (ref.name, ref.saved, ref.yaml) if x is not None]
    if len(given) != 1:
        raise Problem(422, "validation", f"{field}: give exactly one of name, saved and yaml",
                      field=field)
    if ref.saved is None:
        pack = load_ref(PackRef(name=ref.name, yaml=ref.yaml), field)
        return pack, ({"name": ref.name} if ref.name is not None else {"yaml": str(ref.yaml)})
    if ref.saved not in _saved_files(request):
        raise Problem(404, "unknown-item", f"{field}.saved: no saved pack {ref.saved!r} (saved: "
                      f"{', '.join(_saved_files(request)) or 'none'})", field=f"{field}.saved")
    text = (_saved_dir(request) / ref.saved).read_text(encoding="utf-8")
    try:
        return loads_pack(text, filename=ref.saved), {"yaml": text}
    except JxcRulesError as exc:
        raise from_library(exc, prefix=field) from exc


def _bundled_name(path_text: str) -> str | None:
    """``../../industries/hotpot/2026.10.yaml`` → ``hotpot@2026.10`` when that pack is bundled."""
    from jxc_rules._internal.bundled import as_name, pack_names

    if as_name(path_text) is not None:
        return path_text
    p = Path(path_text)
    industry, version = p.parent.name, p.stem
    if version in pack_names().get(industry, []):
        return f"{industry}@{version}"
    return None


def _bundled_text(name: str) -> str | None:
    from jxc_rules._internal.bundled import as_name, pack_path

    named = as_name(name)
    if named is None:
        return None
    try:
        return pack_path(named[0], named[1]).read_text(encoding="utf-8")
    except JxcRulesError:
        return None


def portable_scenario(text: str, folder: str | None = None) -> tuple[str, dict[str, Any]]:
    """Scenario YAML a job can load anywhere, and the packs its ``rules:`` named.

    A job loads a scenario from a temporary folder, where ``rules:`` paths relative to the
    original file no longer resolve: each one that names a bundled pack (``hotpot@2026.10``,
    or a path ending ``hotpot/2026.10.yaml`` whose file, when ``folder`` is known, is that
    pack) becomes its name; any other is read from ``folder`` (the file's own, when known) and
    returned as YAML text under its role, the path removed from the scenario.
    """
    import yaml

    from jxc_rules._internal.yaml_source import loads_yaml

    data, _marks = loads_yaml(text, filename="<scenario>")
    packs: dict[str, Any] = {}
    if not isinstance(data, dict) or not isinstance(data.get("rules"), dict):
        return text, packs
    rules = dict(data["rules"])
    for role, value in list(rules.items()):
        if not isinstance(value, str):
            continue
        name = _bundled_name(value)
        local = Path(folder) / value if folder is not None else None
        own = (local.read_text(encoding="utf-8")
               if local is not None and local.is_file() else None)
        if name is not None and own is not None and own != _bundled_text(name):
            name = None  # a file of the same layout that is not the bundled pack: that file
        if name is not None:
            rules[role] = name
            packs[role] = {"name": name}
        elif own is not None:
            packs[role] = {"yaml": own}
            del rules[role]
    data["rules"] = rules
    if not rules:
        del data["rules"]
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False), packs


def _scenario_from(ref: Ref, request: Request) -> tuple[Any, str, dict[str, Any]]:
    from jxc_rules._internal.bundled import scenario_path
    from jxc_rules.simulate.scenario import load_scenario

    if (ref.name is None) == (ref.yaml is None) or ref.saved is not None:
        raise Problem(422, "validation", "scenario: give exactly one of name and yaml",
                      field="scenario")
    local = _studio(request).scenario_file
    try:
        if ref.name is not None:
            if local is not None and ref.name == local.name:
                text, folder = local.text, local.folder
            else:
                path = scenario_path(ref.name)
                text, folder = path.read_text(encoding="utf-8"), str(path.parent)
        else:
            assert ref.yaml is not None
            text, folder = ref.yaml, None
        portable, packs = portable_scenario(text, folder)
        with tempfile.TemporaryDirectory(prefix="jxc-studio-") as tmp:
            file = os.path.join(tmp, "scenario.yaml")
            with open(file, "w", encoding="utf-8") as fh:
                fh.write(portable)
            try:
                scenario = load_scenario(file)
            except JxcRulesError as exc:
                message = str(exc).replace(file, "<scenario>").replace(tmp, "<upload>")
                raise Problem(422, "scenario", f"scenario: {message}", field="scenario"
                              ) from exc
    except JxcRulesError as exc:
        raise from_library(exc, prefix="scenario") from exc
    return scenario, portable, packs


def world_params(scenario: Any) -> list[dict[str, Any]]:
    """The true-world parameters a sweep can move in ``scenario`` (``jxc_rules.simulate.sweep``'s
    table), each with its words in en and zh and values to start from."""
    from jxc_rules.simulate.sweep import param_label

    out: list[tuple[str, str]] = [("demand.scale", "0.8:1.2:0.1")]
    for name, effect in getattr(scenario, "holidays", {}).items():
        for channel in effect.channels:
            out.append((f"holiday.{name}.{channel}.scale", "0.5:1.5:0.25"))
    for state in getattr(scenario, "weather", ()):
        out.append((f"weather.{state.name}.probability", "0:0.5:0.1"))
    dist = getattr(scenario, "distribution", None)
    if getattr(dist, "kind", None) == "negative_binomial":
        out.append(("distribution.dispersion", "10,30,100"))
    out.append(("temperature.storage_temp_c", "2:8:2"))
    return [{"param": p, "values": v, "label": {"en": param_label(p), "zh": param_label(p, "zh")}}
            for p, v in out]


@router.get("/catalog", summary="Bundled scenarios and packs, saved packs, the start scenario")
def catalog(info: Session, request: Request) -> dict[str, Any]:
    from jxc_rules._internal.bundled import pack_names, scenario_names
    from jxc_rules.simulate.kpis import KPIS
    from jxc_rules.simulate.report import TEXT
    from jxc_rules.studio.forms import GROUPS

    studio = _studio(request)
    scenarios = scenario_names()
    local = studio.scenario_file
    if local is not None and local.name not in scenarios:
        scenarios.append(local.name)
    return {"scenarios": scenarios, "packs": pack_names(), "saved": _saved_files(request),
            "start": studio.start_scenario, "save_dir": str(studio.save_dir),
            "groups": {k: {"en": v[0], "zh": v[1]} for k, v in GROUPS.items()},
            "report_headings": {"shortfall": TEXT["en"]["shortfall"]},
            # the report's words (its heat maps come as drawn, in English): the page puts the
            # Chinese ones into the cards' headings and hover texts
            "report_words": [[TEXT["en"][k], TEXT["zh"][k]] for k in
                             sorted(TEXT["en"], key=lambda k: -len(TEXT["en"][k]))
                             if k in TEXT["zh"] and len(TEXT["en"][k]) > 3],
            "kpis": [{"name": k.name, "en": k.en, "zh": k.zh, "better": k.better,
                      "unit": k.unit} for k in KPIS]}


@router.post("/scenario", summary="A scenario (bundled or uploaded) as a job can load it")
def scenario_info(info: Session, body: Ref, request: Request) -> dict[str, Any]:
    scenario, portable, packs = _scenario_from(body, request)
    local = _studio(request).scenario_file
    bundled = body.name is not None and (local is None or body.name != local.name)
    industry = None
    for role in ("candidate", "baseline"):
        pack = scenario.rules.get(role)
        if pack is not None and hasattr(pack, "industry"):
            industry = pack.industry
            break
    if industry is None:
        from jxc_rules.rules.load import loads_pack

        for ref in packs.values():
            if "name" in ref:
                industry = ref["name"].split("@")[0]
            else:
                try:
                    industry = loads_pack(ref["yaml"], filename="<pack>").industry
                except JxcRulesError:
                    continue
            break
    return {"name": scenario.name, "description": getattr(scenario, "description", "") or "",
            "world_params": world_params(scenario),
            "thresholds": dict(getattr(scenario, "thresholds", {}) or {}),
            "horizon": [scenario.start.isoformat(), scenario.end.isoformat()],
            "days": scenario.days, "industry": industry, "packs": packs,
            "job_ref": {"name": body.name} if bundled else {"yaml": portable}}


@router.post("/pack", summary="A pack as the committee's form (the baseline's values beside)")
def pack_form(info: Session, body: PackRequest, request: Request) -> dict[str, Any]:
    from jxc_rules._internal.bundled import pack_names
    from jxc_rules.studio.forms import form_fields, suggest_version

    pack, ref = _load_pack(body.candidate, request, "candidate")
    base = None
    if body.baseline is not None:
        base, _ = _load_pack(body.baseline, request, "baseline")
    taken = [*pack_names().get(pack.industry, []),
             *(Path(f).stem for f in _saved_files(request) if f.startswith(f"{pack.industry}/"))]
    return {"industry": pack.industry, "version": pack.version,
            "label": {"en": pack.labels.en, "zh": pack.labels.zh},
            "fields": form_fields(pack, base), "job_ref": ref,
            "suggested_version": suggest_version(pack, taken)}


@router.post("/check", summary="Edits checked by the pack validator; the diff; the YAML to run")
def check(info: Session, body: CheckRequest, request: Request) -> dict[str, Any]:
    from jxc_rules.studio.forms import check_edits

    pack, _ = _load_pack(body.candidate, request, "candidate")
    try:
        return check_edits(pack, body.edits).to_mapping()
    except JxcRulesError as exc:
        raise from_library(exc) from exc


@router.post("/save", summary="Save the edited pack as a new version (never overwrites)")
def save(info: Session, body: SaveRequest, request: Request) -> dict[str, Any]:
    from jxc_rules._internal.bundled import pack_names
    from jxc_rules.studio.forms import save_pack

    pack, _ = _load_pack(body.candidate, request, "candidate")
    root = _saved_dir(request)
    taken = [*pack_names().get(pack.industry, []),
             *(Path(f).stem for f in _saved_files(request) if f.startswith(f"{pack.industry}/"))]
    with _studio(request).save_lock:
        try:
            path, saved, changes = save_pack(
                pack, body.edits, folder=root, version=body.version,
                approved_by=body.approved_by, changelog=body.changelog,
                effective_from=body.effective_from, taken=taken)
        except JxcRulesError as exc:
            raise from_library(exc) from exc
    rel = str(path.relative_to(root)).replace(os.sep, "/")
    return {"saved": rel, "path": str(path), "version": saved.version, "diff": changes}


@router.post("/sweep", summary="A sweep's values parsed as the command line parses them")
def sweep_values(info: Session, body: SweepRequest) -> dict[str, Any]:
    from jxc_rules.simulate.sweep import param_label, parse_sweep

    text = body.values.strip()
    if re.fullmatch(r"[\s\d.,:+eE-]*", text) is None or not text:
        raise Problem(422, "validation", f"values: write v1,v2,… or start:stop:step, got "
                      f"{text!r}", field="values")
    try:
        param, values = parse_sweep(f"{body.param}={text}")
    except JxcRulesError as exc:
        raise from_library(exc, fallback_field="values") from exc
    if len(values) > 50:
        raise Problem(422, "validation", f"values: {len(values)} values; a sweep takes at most "
                      "50 (use a larger step)", field="values")
    return {"param": param, "values": values,
            "label": {"en": param_label(param), "zh": param_label(param, "zh")}}


@router.post("/headline", summary="The trade-off sentence of a job's result, in en and zh")
def headline(info: Session, body: HeadlineRequest) -> dict[str, str]:
    """Rebuilt from the result JSON with the library's own sentence (compare's ``headline``)."""
    import types

    from jxc_rules.simulate.compare import CompareResult, PairedDifference, run_headline
    from jxc_rules.simulate.kpis import KpiSummary

    def run(m: dict[str, Any]) -> Any:
        kpis = {}
        for k, v in (m.get("kpis") or {}).items():
            try:
                values: dict[str, Any] = {f: (float("nan") if x is None else x)
                                          for f, x in v.items()}
                kpis[k] = KpiSummary(**values)
            except (TypeError, ValueError):
                continue
        return types.SimpleNamespace(rules=str(m.get("rules", "")),
                                     trials=int(m.get("trials") or 0), kpis=kpis)

    try:
        runs = [run(m) for m in body.results]
        if body.compare is not None and len(runs) == 2:
            diffs = {}
            for k, v in body.compare.items():
                fields: dict[str, Any] = {f: (float("nan") if x is None else x)
                                          for f, x in v.items()}
                diffs[k] = PairedDifference(**fields)
            result = CompareResult(runs[0], runs[1], diffs)
            return {"en": result.headline("en"), "zh": result.headline("zh")}
        return {"en": run_headline(runs[0], "en"), "zh": run_headline(runs[0], "zh")}
    except (TypeError, KeyError, ValueError) as exc:
        raise Problem(422, "validation", "results/compare: not the result JSON of a job "
                      f"({type(exc).__name__})", field="compare") from exc
