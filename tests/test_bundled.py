"""Bundled packs and scenarios load by name (as from the wheel) as well as by path."""

from __future__ import annotations

from pathlib import Path

import pytest

from jxc_rules._internal.bundled import as_name, pack_names, scenario_names
from jxc_rules.cli import main
from jxc_rules.errors import RulePackError, ScenarioError
from jxc_rules.rules import load_pack
from jxc_rules.simulate import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def test_every_bundled_pack_loads_by_name_and_equals_the_file() -> None:
    names = pack_names()
    assert set(names) == {p.name for p in (ROOT / "industries").iterdir() if p.is_dir()}
    for industry, versions in names.items():
        for version in versions:
            by_name = load_pack(industry, version=version)
            assert by_name == load_pack(ROOT / "industries" / industry / f"{version}.yaml")
            assert load_pack(f"{industry}@{version}") == by_name
        assert load_pack(industry).version == versions[-1]  # the newest when omitted


def test_an_unknown_name_or_version_lists_what_there_is() -> None:
    with pytest.raises(RulePackError, match=r"no bundled rule pack 'hotpt'.*hotpot"):
        load_pack("hotpt")
    with pytest.raises(RulePackError, match=r"no version '2025\.01': it has 2026\.10, 2026\.11"):
        load_pack("hotpot", version="2025.01")
    with pytest.raises(RulePackError, match="two versions asked for"):
        load_pack("hotpot@2026.10", version="2026.11")
    with pytest.raises(RulePackError, match=r"holds version '2026\.11', not '2026\.10'"):
        load_pack(ROOT / "industries" / "hotpot" / "2026.11.yaml", version="2026.10")
    with pytest.raises(ScenarioError, match=r"no bundled scenario 'nope'.*hotpot-spring"):
        load_scenario("nope")


def test_a_file_of_that_name_wins_over_the_bundled_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "hotpot").write_text("industry: x\n", encoding="utf-8")
    assert as_name("hotpot") is None
    assert as_name("bakery@2026.11") == ("bakery", "2026.11")
    assert as_name("industries/hotpot") is None
    assert as_name("hotpot.yaml") is None


def test_bundled_scenarios_load_by_name_and_the_cli_runs_one(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert "hotpot-spring-festival" in scenario_names()
    by_name = load_scenario("hotpot-spring-festival")
    by_path = load_scenario(ROOT / "simulator" / "scenarios" / "hotpot-spring-festival.yaml")
    assert by_name.rules == by_path.rules
    assert main(["simulate", "base-stock-poisson", "--trials", "20"]) == 0
    assert "base-stock-poisson" in capsys.readouterr().out


def test_a_scenario_may_name_its_packs(tmp_path: Path) -> None:
    text = (ROOT / "simulator" / "scenarios" / "hotpot-spring-festival.yaml").read_text(
        encoding="utf-8")
    text = text.replace("../../industries/hotpot/2026.10.yaml", "hotpot@2026.10")
    text = text.replace("../../industries/hotpot/2026.11.yaml", "hotpot@2026.11")
    path = tmp_path / "named.yaml"
    path.write_text(text, encoding="utf-8")
    sc = load_scenario(path)
    assert sc.rules == {"baseline": "hotpot@2026.10", "candidate": "hotpot@2026.11"}


def test_validate_and_diff_take_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "hotpot", "bakery@2026.11"]) == 0
    assert "ok    hotpot: hotpot 2026.11" in capsys.readouterr().out
    assert main(["diff", "hotpot@2026.10", "hotpot@2026.11"]) == 0
    assert "safety_days" in capsys.readouterr().out
