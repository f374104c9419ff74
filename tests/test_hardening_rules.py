"""Hardening of the rule-pack loader (#21): ``extends`` stays inside the pack tree, files that are
not packs are never echoed, versions are real year.month, and diff refuses two industries."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jxc_rules.cli import main
from jxc_rules.errors import RulePackError, ScenarioError, ValidationError
from jxc_rules.rules import diff, load_pack, loads_pack
from jxc_rules.simulate import load_scenario

ROOT = Path(__file__).resolve().parents[1]
HOTPOT = ROOT / "industries" / "hotpot" / "2026.11.yaml"
BAKERY = ROOT / "industries" / "bakery" / "2026.11.yaml"
SECRET = "s3cr3t-pa55word-line"
CHILD = 'extends: {ref}\nversion: "2026.12"\neffective_from: 2026-12-01\n'


def _tree(tmp_path: Path) -> tuple[Path, Path]:
    """``tmp/packs/hotpot/2026.11.yaml`` (a real pack) and a secret file outside ``packs/``."""
    industry = tmp_path / "packs" / "hotpot"
    industry.mkdir(parents=True)
    shutil.copy(HOTPOT, industry / "2026.11.yaml")
    secret = tmp_path / "secret.yaml"
    secret.write_text(f"password: {SECRET}\nindustry: {SECRET}\n", encoding="utf-8")
    return industry, secret


def _child(folder: Path, ref: str, name: str = "child.yaml") -> Path:
    path = folder / name
    path.write_text(CHILD.format(ref=ref), encoding="utf-8")
    return path


def _refused(path: Path, capsys: pytest.CaptureFixture[str], *, match: str) -> str:
    """Load ``path`` through the library and the CLI; both refuse; return every output."""
    with pytest.raises(RulePackError, match=match) as info:
        load_pack(path)
    assert info.value.field in (None, "extends")
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr()
    return f"{info.value}\n{info.value.errors}\n{out.out}\n{out.err}"


@pytest.mark.parametrize("ref", ["/etc/passwd", "/etc/passwd.yaml", "~/x.yaml"])
def test_an_absolute_extends_is_refused_naming_the_path_and_the_rule(
        tmp_path: Path, ref: str, capsys: pytest.CaptureFixture[str]) -> None:
    industry, _ = _tree(tmp_path)
    text = _refused(_child(industry, ref), capsys, match=r"child\.yaml:1:10: extends: .*absolute")
    assert ref in text
    assert "inside the pack tree" in text
    assert "root:" not in text  # not one byte of /etc/passwd


def test_extends_out_of_the_tree_is_refused_and_shows_nothing_of_the_target(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    industry, secret = _tree(tmp_path)
    text = _refused(_child(industry, "../../secret.yaml"), capsys,
                    match=r"extends: '\.\./\.\./secret\.yaml' leads outside the pack tree")
    assert SECRET not in text
    assert "password" not in text
    assert secret.exists()


def test_a_symlink_inside_the_tree_pointing_out_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    industry, secret = _tree(tmp_path)
    os.symlink(secret, industry / "base.yaml")
    text = _refused(_child(industry, "base.yaml"), capsys, match="leads outside the pack tree")
    assert SECRET not in text


def test_a_non_yaml_base_inside_the_tree_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    industry, _ = _tree(tmp_path)
    (industry / "notes.txt").write_text(f"{SECRET}\n", encoding="utf-8")
    text = _refused(_child(industry, "notes.txt"), capsys, match=r"is not a \.yaml file")
    assert SECRET not in text


@pytest.mark.parametrize("body", [
    f"password: {SECRET}\ntoken: {SECRET}\n",        # a config file: keys and values
    f"- {SECRET}\n- {SECRET}\n",                      # a list
    f"{SECRET}:x:0:0:root:/root:/bin/bash\n",          # passwd-like: one plain scalar
    f"secret: [{SECRET}\n",                            # broken YAML
    f"when: 2026-13-01\nsecret: !!timestamp {SECRET}\n",  # a constructor error echoing a value
])
def test_a_base_inside_the_tree_that_is_not_a_pack_is_never_echoed(
        tmp_path: Path, body: str, capsys: pytest.CaptureFixture[str]) -> None:
    industry, _ = _tree(tmp_path)
    (industry / "base.yaml").write_text(body, encoding="utf-8")
    text = _refused(_child(industry, "base.yaml"), capsys, match=r"child\.yaml:1:10: extends: ")
    assert SECRET not in text


@pytest.mark.parametrize("body", [
    f"password: {SECRET}\ntoken: {SECRET}\n",
    f"- {SECRET}\n",
    f"{SECRET}:x:0:0:root:/root:/bin/bash\nbin:x:2:2:bin:/bin:/usr/sbin/nologin\n",
])
def test_a_file_that_is_not_a_pack_is_refused_without_echo(
        tmp_path: Path, body: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(body, encoding="utf-8")
    text = _refused(path, capsys, match=r"x\.yaml:1:1: not a rule pack")
    assert SECRET not in text


def test_load_pack_of_etc_passwd_echoes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    passwd = Path("/etc/passwd")
    if not passwd.is_file():  # pragma: no cover - every Linux has one
        pytest.skip("no /etc/passwd here")
    first = passwd.read_text(encoding="utf-8", errors="replace").split(":")[0]
    text = _refused(passwd, capsys, match="not a rule pack")
    assert f"{first}:" not in text


def test_a_scenario_file_that_is_no_scenario_is_not_echoed(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(f"password: {SECRET}\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="not a scenario") as info:
        load_scenario(path)
    assert SECRET not in str(info.value)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(secret=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E,
                                    exclude_characters="#&*!|>'\"%@`{}[],:-?"),
                      min_size=12, max_size=40),
       ref=st.sampled_from(["../../outside.yaml", "../../../outside.yaml", "outside-link.yaml"]))
def test_no_byte_of_an_outside_file_ever_reaches_the_error(
        tmp_path_factory: pytest.TempPathFactory, secret: str, ref: str) -> None:
    tmp = tmp_path_factory.mktemp("tree")
    industry = tmp / "a" / "b"
    industry.mkdir(parents=True)
    outside = tmp / "outside.yaml"
    outside.write_text(f"industry: {secret}\nversion: {secret}\n", encoding="utf-8")
    (tmp.parent / "outside.yaml").write_text(f"{secret}\n", encoding="utf-8")
    os.symlink(outside, industry / "outside-link.yaml")
    with pytest.raises(RulePackError) as info:
        load_pack(_child(industry, ref))
    assert secret not in str(info.value)


def test_extends_inside_the_tree_still_works_and_root_can_be_widened(tmp_path: Path) -> None:
    industry, _ = _tree(tmp_path)
    stores = industry / "stores"
    stores.mkdir()
    store = _child(stores, "../2026.11.yaml", "store.yaml")
    assert load_pack(store).industry == "hotpot"
    sibling = tmp_path / "packs" / "hotpot-west"
    sibling.mkdir()
    up = _child(sibling, "../hotpot/2026.11.yaml")
    assert load_pack(up).version == "2026.12"       # industries/<a> extends industries/<b>
    deep = tmp_path / "packs" / "a" / "b"
    deep.mkdir(parents=True)
    far = _child(deep, "../../hotpot/2026.11.yaml")
    with pytest.raises(RulePackError, match="outside the pack tree"):
        load_pack(far)
    assert load_pack(far, root=tmp_path / "packs").version == "2026.12"


def test_the_bundled_store_pack_still_extends_its_chain_pack() -> None:
    store = ROOT / "industries" / "hotpot" / "stores" / "store-cd-chunxi.yaml"
    assert load_pack(store).extends == "../2026.11.yaml"


# ------------------------------------------------------------------ versions

@pytest.mark.parametrize("version", ["2026.13", "0000.00", "2026.1", "2026.00", "1899.12",
                                     "2026.1x", "26.11"])
def test_a_version_that_is_not_year_dot_month_is_refused(version: str) -> None:
    text = HOTPOT.read_text(encoding="utf-8").replace('version: "2026.11"',
                                                       f'version: "{version}"', 1)
    assert f'version: "{version}"' in text
    with pytest.raises(RulePackError, match=r"version.*YYYY\.MM"):
        loads_pack(text, filename="v.yaml")


@pytest.mark.parametrize("version", ["2026.12", "2027.01", "2026.11.2", "2026.11-rc1"])
def test_real_versions_are_accepted(version: str) -> None:
    text = HOTPOT.read_text(encoding="utf-8").replace('version: "2026.11"',
                                                       f'version: "{version}"', 1)
    assert loads_pack(text, filename="v.yaml").version == version


# ------------------------------------------------------------------ diff across industries

def test_diff_of_two_industries_is_refused_unless_asked_for(
        capsys: pytest.CaptureFixture[str]) -> None:
    hotpot, bakery = load_pack(HOTPOT), load_pack(BAKERY)
    with pytest.raises(ValidationError, match="'hotpot' pack and new a 'bakery' pack"):
        diff(hotpot, bakery)
    assert diff(hotpot, bakery, cross_industry=True)
    assert main(["diff", str(HOTPOT), str(BAKERY)]) == 1
    err = capsys.readouterr().err
    assert "--cross-industry" in err
    assert "'bakery'" in err
    assert main(["diff", "--cross-industry", str(HOTPOT), str(BAKERY)]) == 0
    assert "note: different industries (hotpot → bakery)" in capsys.readouterr().out


def test_a_path_with_a_nul_byte_is_a_rule_pack_error(capsys: pytest.CaptureFixture[str]) -> None:
    # found by the atheris CLI target: os.stat raised a bare ValueError
    with pytest.raises(RulePackError, match="the path contains a NUL character"):
        load_pack("x\x00.yaml")
    assert main(["validate", "\n\x03\x00"]) == 1
    assert "NUL character" in capsys.readouterr().err
