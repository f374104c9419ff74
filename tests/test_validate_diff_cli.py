"""`jxc-rules validate` on scenarios, `diff` judging effects, `--lang zh` (issue 17, item 4)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from jxc_rules.cli import main
from jxc_rules.rules import diff, load_pack, loads_pack
from jxc_rules.rules.diff import day_label
from jxc_rules.rules.load import HOLIDAY_MULTIPLIER_MAX, WEATHER_MULTIPLIER_MAX, check_pack
from jxc_rules.simulate.scenario import HOLIDAY_MAX, WEATHER_MAX

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "simulator" / "scenarios"
HOTPOT_11 = ROOT / "industries" / "hotpot" / "2026.11.yaml"


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_validate_recognises_a_scenario_file_and_checks_it_with_its_packs(
        capsys: pytest.CaptureFixture[str]) -> None:
    target = str(SCENARIOS / "hotpot-spring-festival-2027.yaml")
    assert main(["validate", target]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "scenario hotpot-spring-festival-2027, 2027-01-18..2027-02-28 (42 days)" in out
    assert "baseline=hotpot 2026.10, candidate=hotpot 2026.11" in out
    (note,) = [line for line in out.splitlines() if line.startswith("note:")]
    assert "make-up workdays (调休) for 2027 are not published" in note


def test_validate_takes_a_bundled_scenario_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "hotpot-spring-festival", "base-stock-poisson", "hotpot"]) == 0
    out = capsys.readouterr().out
    assert "scenario hotpot-spring-festival," in out
    assert "scenario base-stock-poisson," in out
    assert "hotpot 2026.11 (chain)" in out


def test_validate_checks_a_folder_of_scenarios_as_scenarios(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(SCENARIOS)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    names = sorted(p.stem for p in SCENARIOS.glob("*.yaml"))
    assert sorted(line.split(": scenario ")[1].split(",")[0] for line in out.splitlines()
                  if ": scenario " in line) == names


def test_a_bad_scenario_gets_its_own_errors_not_a_packs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (SCENARIOS / "hotpot-spring-festival.yaml").read_text("utf-8").replace(
        "../../industries/hotpot/", str(ROOT / "industries" / "hotpot") + "/").replace(
        "    effect: {dine_in: 0.78", "    effect: {dine_in: 7.8")
    path = tmp_path / "copied.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == "1 problem(s) found"
    (problem,) = err[:-1]
    assert problem.startswith(f"{path}:{_line_of(text, 'dine_in: 7.8')}:")
    assert "did you mean 0.78 (-22%)?" in problem
    assert "industry" not in problem  # not read as a pack


def test_a_scenario_with_a_tab_is_still_recognised_as_one(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "tabbed.yaml"
    path.write_text("horizon: {start: 2026-02-02, end: 2026-02-28}\nitems:\n\tbeef: {}\n",
                    encoding="utf-8")
    assert main(["validate", "--lang", "zh", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:3:1: a tab in the indentation" in err
    assert "replace the tab with spaces" in err
    assert "发现 1 个问题" in err


def test_validate_refuses_an_implausible_pack_multiplier_at_its_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = HOTPOT_11.read_text("utf-8").replace("dine_in: 0.82", "dine_in: 8.2")
    path = tmp_path / "2026.11.yaml"
    path.write_text(text, encoding="utf-8")
    load_pack(path)  # the loader accepts it: a valid model, only implausible
    _, problems = check_pack(path)
    assert [p.field for p in problems] == ["weather.rain.dine_in"]
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:{_line_of(text, 'dine_in: 8.2')}:" in err
    assert "did you mean 0.82 (-18%)?" in err


def test_validate_refuses_a_holiday_multiplier_of_15_5(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = HOTPOT_11.read_text("utf-8")
    match = re.search(r"during: \[[^\]]*1\.55", text)
    assert match is not None
    bad = text[: match.end() - 4] + "15.5" + text[match.end():]
    path = tmp_path / "2026.11.yaml"
    path.write_text(bad, encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:{_line_of(bad, '15.5')}:" in err
    assert "15.5 multiplies the day's demand by 15.5 (+1450%)" in err
    assert "did you mean 1.55 (+55%)?" in err


def test_packs_and_scenarios_share_the_plausibility_bounds() -> None:
    assert (WEATHER_MAX, HOLIDAY_MAX) == (WEATHER_MULTIPLIER_MAX, HOLIDAY_MULTIPLIER_MAX)


def _with_uplift(old: float, new: float) -> tuple[object, object]:
    base = HOTPOT_11.read_text("utf-8")
    start = base.index("holidays:")
    text = base[:start] + base[start:].replace("during: [", f"during: [{old}, ", 1)
    changed = base[:start] + base[start:].replace("during: [", f"during: [{new}, ", 1)
    return loads_pack(text, filename="a.yaml"), loads_pack(changed, filename="b.yaml")


def test_diff_judges_the_change_of_the_effect_not_of_the_multiplier() -> None:
    a, b = _with_uplift(1.5, 1.7)
    (change,) = diff(a, b)  # type: ignore[arg-type]
    assert change.relative == pytest.approx(0.4)  # (0.70 − 0.50) / 0.50, not 0.2 / 1.5
    assert change.basis == "effect"
    assert change.review
    assert change.label.endswith("during day 1")


def test_a_multiplier_from_no_effect_is_marked_for_review() -> None:
    a, b = _with_uplift(1.0, 1.05)
    (change,) = diff(a, b)  # type: ignore[arg-type]
    assert change.relative is None
    assert change.review


def test_a_small_change_of_a_large_effect_is_not_marked() -> None:
    a, b = _with_uplift(2.0, 2.1)  # effect 1.0 → 1.1: +10 %
    (change,) = diff(a, b)  # type: ignore[arg-type]
    assert change.relative == pytest.approx(0.1)
    assert not change.review


def test_non_multipliers_keep_the_relative_change_of_the_value() -> None:
    changes = {c.path: c for c in diff(load_pack("hotpot@2026.10"), load_pack("hotpot@2026.11"))}
    safety = changes["replenishment.safety_days"]
    assert (safety.relative, safety.basis, safety.label) == (-0.5, "value",
                                                            "replenishment.safety_days")


def test_days_are_counted_from_1_as_people_count_them() -> None:
    assert day_label("holidays.Spring Festival.dine_in.during[0]") == (
        "holidays.Spring Festival.dine_in.during day 1")
    assert day_label("holidays.Spring Festival.dine_in.before[3]", 4) == (
        "holidays.Spring Festival.dine_in.1 day before")
    assert day_label("holidays.Spring Festival.dine_in.before[0]", 4) == (
        "holidays.Spring Festival.dine_in.4 days before")
    assert day_label("holidays.Spring Festival.group_meal.after[2]") == (
        "holidays.Spring Festival.group_meal.day 3 after")


def test_diff_table_and_json_show_effects_and_days_from_1(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "hotpot@2026.10", "hotpot@2026.11"]) == 0
    table = capsys.readouterr().out
    assert re.search(r"!\s+holidays\.Spring Festival\.dine_in\.during day 4\s+1\.3\s+1\.5\s+"
                     r"\+66\.7% \(effect\)", table)
    assert "during[3]" not in table
    assert "-50.0%\n" in table
    assert main(["diff", "--json", "hotpot@2026.10", "hotpot@2026.11"]) == 0
    payload = json.loads(capsys.readouterr().out)
    first = payload["changes"][0]
    assert first["path"] == "holidays.Spring Festival.dine_in.during[3]"
    assert first["label"] == "holidays.Spring Festival.dine_in.during day 4"
    assert first["basis"] == "effect"
    assert first["relative"] == pytest.approx(2 / 3)


def test_diff_and_validate_speak_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "--lang", "zh", "hotpot@2026.10", "hotpot@2026.11"]) == 0
    table = capsys.readouterr().out
    assert "字段" in table
    assert "假期第4天" in table
    assert "+66.7%（效应）" in table
    assert "共 8 处变更，7 处需复核" in table
    assert main(["validate", "--lang", "zh", "hotpot", "hotpot-spring-festival-2027"]) == 0
    out = capsys.readouterr().out
    assert "通过" in out
    assert "情景 hotpot-spring-festival-2027，2027-01-18..2027-02-28（42 天）" in out
    assert "提示：" in out


def test_diff_refuses_two_industries_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "--lang", "zh", "hotpot", "bakery"]) == 1
    assert "diff 比较同一行业的两个版本" in capsys.readouterr().err
