"""The studio's API and command, without a browser: the session handshake, the form of a pack,
edits judged by the pack's validator, saving a new version (never overwriting), the headline in
both languages from a job's result JSON, scenarios made portable for a job, and the command's
local-only binding and light import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jxc_rules.rules import diff, load_pack
from jxc_rules.rules.load import pack_from_mapping

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient

from jxc_rules.studio.app import create_studio_app
from jxc_rules.studio.forms import StudioError, check_edits, form_fields, save_pack
from jxc_rules.studio.routes import portable_scenario

ROOT = Path(__file__).resolve().parents[2]
UPLIFT = "holidays.Spring Festival.dine_in.during[3]"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str], Any]]:
    studio = create_studio_app(save_dir=tmp_path / "packs",
                               allowed_hosts=["testserver", "127.0.0.1"])
    with TestClient(studio.app) as c:
        yield c, {"Authorization": f"Bearer {studio.token}"}, studio
    studio.close()
    assert not os.path.exists(studio.workdir)


def test_the_launch_code_gives_the_token_once(client: Any) -> None:
    c, _auth, studio = client
    assert c.get("/studio/api/catalog").status_code == 401
    assert c.post("/studio/session", json={"code": "x" * 32}).status_code == 401
    got = c.post("/studio/session", json={"code": studio.launch_code})
    assert got.status_code == 200
    assert got.json()["token"] == studio.token
    again = c.post("/studio/session", json={"code": studio.launch_code})
    assert again.status_code == 401
    assert again.json()["field"] == "code"
    ok = c.get("/studio/api/catalog", headers={"Authorization": f"Bearer {got.json()['token']}"})
    assert ok.status_code == 200


def test_a_page_elsewhere_pointing_its_name_at_the_studio_is_refused(client: Any) -> None:
    c, auth, studio = client
    evil = {"Host": "attacker.example:8766"}
    assert c.get("/studio/", headers=evil).status_code == 400
    assert c.post("/studio/session", json={"code": studio.launch_code},
                  headers=evil).status_code == 400
    assert c.get("/studio/api/catalog", headers={**auth, **evil}).status_code == 400
    assert c.get("/studio/", headers={"Host": "127.0.0.1:8766"}).status_code == 200


def test_the_page_and_its_assets_stay_on_their_own_origin(client: Any) -> None:
    c, _auth, _studio = client
    page = c.get("/studio/")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "connect-src 'self'" in csp
    from jxc_rules.studio.page import INDEX_HTML

    assert page.text == INDEX_HTML
    static = ROOT / "src" / "jxc_rules" / "studio" / "static"
    names = sorted(p.name for p in static.iterdir())
    assert names == ["studio.css", "studio.js"]  # no .html: the repository ignores *.html
    for name, text in [("page", INDEX_HTML)] + [
            (n, (static / n).read_text(encoding="utf-8")) for n in names]:
        assert "http://" not in text, name
        assert "https://" not in text, name
        assert "//cdn" not in text, name
        assert "<script>" not in text, name  # no inline script (the CSP forbids it)
        if name != "page":
            served = c.get(f"/studio/static/{name}")
            assert served.status_code == 200
            assert served.text == text
    # every file of the studio is tracked by git (an ignored file would miss the wheel too)
    tracked = subprocess.run(["git", "check-ignore", *[str(p) for p in static.iterdir()]],
                             capture_output=True, text=True, cwd=ROOT)
    assert tracked.stdout == ""


def test_the_catalog_names_the_bundled_scenarios_and_versions(client: Any) -> None:
    c, auth, _studio = client
    cat = c.get("/studio/api/catalog", headers=auth).json()
    assert "hotpot-spring-festival-2027" in cat["scenarios"]
    assert cat["packs"]["hotpot"] == ["2026.10", "2026.11"]
    assert list(cat["groups"]) == ["holidays", "weather", "loss", "prep", "reorder", "other"]
    assert cat["saved"] == []


def test_a_scenario_names_its_packs_and_the_true_world_to_sweep(client: Any) -> None:
    c, auth, _studio = client
    info = c.post("/studio/api/scenario", json={"name": "hotpot-spring-festival-2027"},
                  headers=auth).json()
    assert info["packs"] == {"baseline": {"name": "hotpot@2026.10"},
                             "candidate": {"name": "hotpot@2026.11"}}
    assert info["industry"] == "hotpot"
    assert info["days"] == 42
    assert info["job_ref"] == {"name": "hotpot-spring-festival-2027"}
    assert info["thresholds"]["stockout_rate"] == 0.05
    params = [p["param"] for p in info["world_params"]]
    assert "demand.scale" in params
    assert "holiday.Spring Festival.dine_in.scale" in params


def test_an_uploaded_scenario_with_the_repositorys_paths_runs_on_the_bundled_packs(
        client: Any) -> None:
    c, auth, _studio = client
    text = (ROOT / "simulator" / "scenarios" / "hotpot-spring-festival-2027.yaml").read_text(
        encoding="utf-8")
    info = c.post("/studio/api/scenario", json={"yaml": text}, headers=auth).json()
    assert info["packs"]["baseline"] == {"name": "hotpot@2026.10"}
    assert "yaml" in info["job_ref"]
    assert "hotpot@2026.11" in info["job_ref"]["yaml"]
    broken = text.replace("horizon: {start: 2027-01-18", "horizon: {start: 2027-13-18")
    bad = c.post("/studio/api/scenario", json={"yaml": broken}, headers=auth)
    assert bad.status_code == 422
    assert "horizon" in bad.json()["detail"]
    assert "jxc-studio-" not in bad.json()["detail"]  # no temporary path leaks


def test_portable_scenario_reads_packs_outside_the_bundle_from_the_files_folder(
        tmp_path: Path) -> None:
    pack = (ROOT / "industries" / "hotpot" / "2026.11.yaml").read_text(encoding="utf-8")
    (tmp_path / "mine.yaml").write_text(pack.replace('version: "2026.11"',
                                                     'version: "2026.11.3"'), encoding="utf-8")
    text = "name: x\nrules: {baseline: hotpot@2026.10, candidate: mine.yaml}\n"
    portable, packs = portable_scenario(text, str(tmp_path))
    assert packs["baseline"] == {"name": "hotpot@2026.10"}
    assert '2026.11.3' in packs["candidate"]["yaml"]
    assert "mine.yaml" not in portable
    # a file laid out like the bundle but edited is that file, not the bundled pack
    own = tmp_path / "industries" / "hotpot"
    own.mkdir(parents=True)
    (own / "2026.10.yaml").write_text(pack.replace("safety_days: 0.5", "safety_days: 2"),
                                      encoding="utf-8")
    text = "name: x\nrules: {baseline: industries/hotpot/2026.10.yaml}\n"
    _portable, packs = portable_scenario(text, str(tmp_path))
    assert "safety_days: 2" in packs["baseline"]["yaml"]
    (own / "2026.10.yaml").write_text((ROOT / "industries" / "hotpot" / "2026.10.yaml")
                                      .read_text(encoding="utf-8"), encoding="utf-8")
    assert portable_scenario(text, str(tmp_path))[1]["baseline"] == {"name": "hotpot@2026.10"}


def test_the_form_holds_every_assumption_with_the_baselines_value(client: Any) -> None:
    c, auth, _studio = client
    form = c.post("/studio/api/pack", json={"candidate": {"name": "hotpot@2026.11"},
                                            "baseline": {"name": "hotpot@2026.10"}},
                  headers=auth).json()
    by_path = {f["path"]: f for f in form["fields"]}
    f = by_path[UPLIFT]
    assert (f["group"], f["value"], f["baseline"]) == ("holidays", 1.5, 1.3)
    assert f["label"]["zh"] == "假期第 4 天"
    assert by_path["replenishment.safety_days"]["group"] == "reorder"
    assert by_path["weather.rain.dine_in"]["group"] == "weather"
    assert by_path["wastage.loss_model.channels.takeaway.packaging"]["group"] == "loss"
    assert by_path["wastage.turnover.turns_per_day"]["group"] == "prep"
    assert form["suggested_version"] == "2026.11.1"
    # every number of the pack that is not metadata is a field
    from jxc_rules.rules.edit import numeric_paths

    numbers = {p for p in numeric_paths(load_pack("hotpot@2026.11"))
               if not p.startswith(("labels", "items"))}
    assert numbers <= set(by_path)


@pytest.mark.parametrize(("path", "value"), [
    (UPLIFT, "-0.5"), (UPLIFT, "lots"), ("replenishment.safety_days", "-1"),
    ("wastage.channel_shares.dine_in", "2"), ("weather.rain.dine_in", "8.2"),
])
def test_a_bad_value_comes_back_with_the_validators_message_at_its_field(
        client: Any, path: str, value: str) -> None:
    c, auth, _studio = client
    r = c.post("/studio/api/check", json={"candidate": {"name": "hotpot@2026.11"},
                                          "edits": {path: value}}, headers=auth).json()
    assert r["ok"] is False
    assert r["yaml"] is None
    assert r["errors"][0]["field"] == path
    assert r["errors"][0]["message"].startswith(path)
    # the same words as the loader's, for the same value written in the file
    data = load_pack("hotpot@2026.11").to_mapping()
    if path != "weather.rain.dine_in":  # implausible, refused by `jxc-rules validate`
        from jxc_rules.errors import RulePackError
        from jxc_rules.studio.forms import apply_edits

        with pytest.raises(RulePackError) as info:
            pack_from_mapping(apply_edits(load_pack("hotpot@2026.11"), {path: value}), file="f")
        assert r["errors"][0]["message"] in str(info.value)
    assert data  # the bundled pack itself is untouched


def test_a_good_edit_gives_exactly_its_diff_and_a_pack_to_run(client: Any) -> None:
    c, auth, _studio = client
    r = c.post("/studio/api/check", json={"candidate": {"name": "hotpot@2026.11"},
                                          "edits": {UPLIFT: "1.7"}}, headers=auth).json()
    assert r["ok"] is True
    assert [(d["path"], d["old"], d["new"]) for d in r["diff"]] == [(UPLIFT, 1.5, 1.7)]
    assert r["diff"][0]["label"] == "holidays.Spring Festival.dine_in.during day 4"
    from jxc_rules.rules.load import loads_pack

    edited = loads_pack(r["yaml"])
    assert edited.holidays["Spring Festival"].channels["dine_in"].during[3] == 1.7


def test_an_unknown_field_is_refused_by_name(client: Any) -> None:
    c, auth, _studio = client
    r = c.post("/studio/api/check", json={"candidate": {"name": "hotpot@2026.11"},
                                          "edits": {"replenishment.safety_day": "1"}},
               headers=auth)
    assert r.status_code == 422
    assert r.json()["field"] == "edits.replenishment.safety_day"


@pytest.mark.parametrize(("ref", "field"), [
    ({"name": "../../etc/passwd"}, "candidate.name"),
    ({"name": "hotpot@2026.11", "yaml": "x: 1"}, "candidate"),
    ({"saved": "nope.yaml"}, "candidate.saved"),
    ({"yaml": "industry: hotpot\n"}, "candidate"),
])
def test_a_bad_pack_reference_is_refused_by_field(client: Any, ref: dict[str, str],
                                                  field: str) -> None:
    c, auth, _studio = client
    r = c.post("/studio/api/pack", json={"candidate": ref}, headers=auth)
    assert r.status_code in (404, 422), r.text
    assert r.json()["field"].startswith(field), r.json()


def test_saving_writes_a_new_version_and_never_overwrites(client: Any, tmp_path: Path) -> None:
    c, auth, _studio = client
    body = {"candidate": {"name": "hotpot@2026.11"}, "edits": {UPLIFT: "1.6"},
            "version": "2026.11.1", "approved_by": "store managers' committee, head chef",
            "changelog": "day-4 uplift 1.5 → 1.6", "effective_from": "2026-12-20"}
    r = c.post("/studio/api/save", json=body, headers=auth)
    assert r.status_code == 200, r.text
    path = Path(r.json()["path"])
    assert path == tmp_path / "packs" / "hotpot" / "2026.11.1.yaml"
    written = path.read_text(encoding="utf-8")
    assert written.startswith("# hotpot 2026.11.1 — saved by jxc-rules studio from hotpot@2026.11")
    saved = load_pack(path)
    base = load_pack("hotpot@2026.11")
    assert [(d.path, d.old, d.new) for d in diff(base, saved)] == [(UPLIFT, 1.5, 1.6)]
    assert str(saved.effective_from) == "2026-12-20"
    assert saved.approved_by == ("store managers' committee", "head chef")
    assert {d["path"].split("[")[0] for d in r.json()["diff"] if d["path"] != UPLIFT} == {
        "version", "effective_from", "approved_by", "changelog"}
    # the saved version is listed, and can be the next candidate
    assert c.get("/studio/api/catalog", headers=auth).json()["saved"] == ["hotpot/2026.11.1.yaml"]
    form = c.post("/studio/api/pack", json={"candidate": {"saved": "hotpot/2026.11.1.yaml"}},
                  headers=auth).json()
    assert form["version"] == "2026.11.1"
    assert form["suggested_version"] == "2026.11.2"
    # the same version again, a bundled version, the base's own: refused, the file untouched
    for version in ("2026.11.1", "2026.10", "2026.11"):
        again = c.post("/studio/api/save", json={**body, "version": version,
                                                 "edits": {UPLIFT: "1.9"}}, headers=auth)
        assert again.status_code == 422
        assert again.json()["field"] == "version"
    assert path.read_text(encoding="utf-8") == written
    assert c.post("/studio/api/pack", json={"candidate": {"saved": "../x.yaml"}},
                  headers=auth).status_code == 404


@pytest.mark.parametrize(("change", "field"), [
    ({"version": "2026.13"}, "version"), ({"approved_by": " , "}, "approved_by"),
    ({"changelog": "  "}, "changelog"), ({"effective_from": "soon"}, "effective_from"),
    ({"edits": {UPLIFT: "-2"}}, UPLIFT),
])
def test_a_save_without_what_a_version_needs_is_refused_by_field(
        tmp_path: Path, change: dict[str, Any], field: str) -> None:
    args: dict[str, Any] = {"version": "2026.11.4", "approved_by": "head chef",
                            "changelog": "why", "effective_from": "2026-12-01",
                            "edits": {UPLIFT: "1.6"}}
    args.update(change)
    edits = args.pop("edits")
    with pytest.raises(StudioError) as info:
        save_pack(load_pack("hotpot@2026.11"), edits, folder=tmp_path, **args)
    assert info.value.field == field
    assert not list(tmp_path.rglob("*.yaml"))


def test_the_headline_is_the_librarys_sentence_in_both_languages(client: Any) -> None:
    from jxc_rules.serialize import jsonable
    from jxc_rules.simulate import compare

    c, auth, _studio = client
    res = compare("hotpot-spring-festival-2027", load_pack("hotpot@2026.10"),
                  load_pack("hotpot@2026.11"), trials=60)
    # the shape of a job's result JSON (service/jobs.py)
    payload = json.loads(json.dumps(jsonable({
        "results": [res.baseline.to_mapping(), res.candidate.to_mapping()],
        "compare": {k: v.to_mapping() for k, v in res.differences.items()}},
        allow_nan=True)))
    got = c.post("/studio/api/headline", json=payload, headers=auth).json()
    assert got == {"en": res.headline("en"), "zh": res.headline("zh")}
    one = c.post("/studio/api/headline", json={"results": payload["results"][:1]},
                 headers=auth).json()
    assert one["en"].startswith("hotpot 2026.10: stockout rate")
    assert "缺货率" in one["zh"]


def test_sweep_values_are_parsed_as_the_command_line_parses_them(client: Any) -> None:
    c, auth, _studio = client
    r = c.post("/studio/api/sweep", json={"param": "candidate.replenishment.safety_days",
                                          "values": "0:1:0.5"}, headers=auth).json()
    assert r["values"] == [0.0, 0.5, 1.0]
    assert r["label"]["en"] == "candidate: safety stock (days)"
    bad = c.post("/studio/api/sweep", json={"param": "demand.scale", "values": "a lot"},
                 headers=auth)
    assert bad.status_code == 422
    assert bad.json()["field"] == "values"


def test_form_fields_skip_metadata_and_texts_of_record() -> None:
    paths = {f["path"] for f in form_fields(load_pack("hotpot@2026.11"))}
    assert not {p for p in paths if p.startswith(("version", "changelog", "approved_by",
                                                   "labels", "items", "effective_from"))}
    assert not {p for p in paths if p.endswith(".source") or ".labels." in p}
    assert check_edits(load_pack("hotpot@2026.11"), {}).changes == []


def _cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jxc_rules.cli", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT)


def test_the_command_refuses_a_non_local_address_unless_told() -> None:
    r = _cli("studio", "--host", "0.0.0.0", "--no-browser")
    assert r.returncode != 0
    assert "--allow-remote" in r.stderr
    assert "Traceback" not in r.stderr


def test_the_command_refuses_an_unknown_scenario_by_name() -> None:
    r = _cli("studio", "no-such-scenario.yaml", "--no-browser", "--port", "1")
    assert r.returncode != 0
    assert "no-such-scenario.yaml" in r.stderr


def test_help_stays_light_and_names_the_options() -> None:
    code = ("import sys, jxc_rules.cli as c\n"
            "try:\n    c.main(['studio', '--help'])\nexcept SystemExit:\n    pass\n"
            "print('fastapi' in sys.modules, 'jxc_rules.service' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=60, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "--no-browser" in r.stdout
    assert "--port" in r.stdout
    assert r.stdout.strip().splitlines()[-1] == "False False"


def test_the_command_serves_the_page_on_loopback_with_a_one_time_link(tmp_path: Path) -> None:
    import re
    import socket
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    scenario = tmp_path / "store.yaml"
    pack = (ROOT / "industries" / "hotpot" / "2026.11.yaml").read_text(encoding="utf-8")
    (tmp_path / "proposal.yaml").write_text(pack.replace('version: "2026.11"',
                                                         'version: "2026.11.5"'),
                                            encoding="utf-8")
    scenario.write_text((ROOT / "simulator" / "scenarios" / "hotpot-spring-festival-2027.yaml")
                        .read_text(encoding="utf-8")
                        .replace("candidate: ../../industries/hotpot/2026.11.yaml",
                                 "candidate: proposal.yaml"), encoding="utf-8")
    temp = tmp_path / "temp"  # where the throw-away database goes
    temp.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "jxc_rules.cli", "studio", str(scenario),
                             "--no-browser", "--port", str(port), "--save-dir",
                             str(tmp_path / "saved")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                            env={**os.environ, "TMPDIR": str(temp)})
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        link = re.search(r"http://127\.0\.0\.1:\d+/studio/#launch=(\S+)", line)
        assert link is not None, line
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                page = httpx.get(f"{base}/studio/")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the studio did not start"
                time.sleep(0.1)
        assert page.status_code == 200
        token = httpx.post(f"{base}/studio/session", json={"code": link.group(1)}).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        cat = httpx.get(f"{base}/studio/api/catalog", headers=auth).json()
        assert cat["start"] == "store"
        info = httpx.post(f"{base}/studio/api/scenario", json={"name": "store"},
                          headers=auth).json()
        assert info["packs"]["baseline"] == {"name": "hotpot@2026.10"}
        assert '2026.11.5' in info["packs"]["candidate"]["yaml"]
        assert info["industry"] == "hotpot"
        assert [p.name[:11] for p in temp.iterdir()] == ["jxc-studio-"]
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=30)
    assert link.group(1) not in err  # the code is in no log
    assert "127.0.0.1" in err
    assert list(temp.iterdir()) == []  # SIGTERM: the database went with the server


def test_every_text_of_the_page_exists_in_english_and_chinese() -> None:
    import re

    from jxc_rules.studio.page import INDEX_HTML

    script = (ROOT / "src" / "jxc_rules" / "studio" / "static" / "studio.js").read_text(
        encoding="utf-8")
    en_block = script[script.index("  en: {"):script.index("  zh: {")]
    zh_block = script[script.index("  zh: {"):script.index("const VERDICT_ZH")]
    key = re.compile(r"(?:^|[\s,{])([a-z_]+): [\"`]", re.M)
    en, zh = set(key.findall(en_block)), set(key.findall(zh_block))
    assert len(en) > 60
    assert en == zh, (en ^ zh)
    used = set(re.findall(r'data-i18n="([a-z_]+)"', INDEX_HTML))
    used |= set(re.findall(r'\bt\("([a-z_]+)"\)', script))
    assert used <= en, used - en
