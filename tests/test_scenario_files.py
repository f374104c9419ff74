"""Scenarios as first-class files (issue 17, item 4): every mistake names file:line and the fix.

Each case writes a small scenario with one mistake and checks the message names the file, the
line of the mistake, and what to write instead.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pytest

from jxc_rules.errors import ScenarioError
from jxc_rules.simulate import load_scenario, run
from tests.test_simulate_scenario import GOOD  # one valid scenario for both files

ROOT = Path(__file__).resolve().parents[1]



def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(tmp_path: Path, text: str) -> tuple[Path, str]:
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return path, str(info.value)


def at_line(message: str, path: Path) -> int:
    match = re.match(rf"{re.escape(str(path))}:(\d+):\d+: ", message)
    assert match is not None, message
    return int(match.group(1))


@pytest.mark.parametrize(("old", "new", "line", "fix"), [
    ("holidays:", "holdays:", 12, "did you mean 'holidays'?"),
    ("    price_per_unit: 220", "    price_per_unt: 220", 8, "did you mean 'price_per_unit'?"),
    ("  Spring Festival:", "  Spring Festivel:", 13, "did you mean 'Spring Festival'?"),
    ("effect: {dine_in: 0.8", "effect: {dine_inn: 0.8", 19, "did you mean 'dine_in'?"),
    ("      takeaway: 3", "      takeawy: 3", 11, "did you mean 'takeaway'?"),
    ("items: {beef_slices: 1.1}", "items: {beef_slice: 1.1}", 15,
     "did you mean 'beef_slices'?"),
    ("    probability: 0.25", "    probabilty: 0.25", 18, "did you mean 'probability'?"),
])
def test_a_typo_gets_did_you_mean_at_its_line(tmp_path: Path, old: str, new: str, line: int,
                                              fix: str) -> None:
    path, message = refused(tmp_path, GOOD.replace(old, new))
    assert at_line(message, path) == line
    assert fix in message


def test_a_tab_in_the_indentation_says_indent_with_spaces(tmp_path: Path) -> None:
    path, message = refused(tmp_path, GOOD.replace("    unit: kg", "\tunit: kg"))
    assert at_line(message, path) == 6
    assert "indented with spaces" in message
    assert "replace the tab with spaces" in message


def test_a_rules_path_is_relative_to_the_scenario_file_and_the_error_says_so(
        tmp_path: Path) -> None:
    path, message = refused(tmp_path, GOOD + "rules: {baseline: ../industries/hotpot/"
                                             "2026.10.yaml}\n")
    assert at_line(message, path) == 22
    assert f"relative to the scenario file's folder {tmp_path}" in message
    assert str((tmp_path / "../industries/hotpot/2026.10.yaml").resolve()) in message
    assert "fix the path, or name a bundled pack" in message


def test_a_copied_scenario_with_a_fixed_rules_path_runs(tmp_path: Path) -> None:
    text = (ROOT / "simulator/scenarios/hotpot-spring-festival.yaml").read_text("utf-8")
    copied = write(tmp_path, text)
    with pytest.raises(ScenarioError, match="relative to the scenario file's folder"):
        load_scenario(copied)
    fixed = write(tmp_path, text.replace("../../industries/hotpot/", str(ROOT / "industries"
                                                                          / "hotpot") + "/"))
    assert load_scenario(fixed).rules["baseline"].endswith("2026.10.yaml")
    named = write(tmp_path, text.replace("../../industries/hotpot/2026.10.yaml",
                                         "hotpot@2026.10").replace(
        "../../industries/hotpot/2026.11.yaml", "hotpot@2026.11"))
    assert load_scenario(named).rules == {"baseline": "hotpot@2026.10",
                                          "candidate": "hotpot@2026.11"}


def test_a_csv_path_is_relative_to_the_scenario_file_and_the_error_says_so(
        tmp_path: Path) -> None:
    path, message = refused(tmp_path, GOOD.replace("takeaway: 3", "takeaway: {csv: hist.csv}"))
    assert at_line(message, path) == 11
    assert f"relative to the scenario file's folder {tmp_path}" in message
    assert "fix the path" in message


def test_percentages_read_as_in_packs(tmp_path: Path) -> None:
    text = (GOOD.replace("shift_to_takeaway: 0.3", "shift_to_takeaway: 30 %")
            .replace("probability: 0.25", "probability: 25 %")
            .replace("dine_in: 0.8,", "dine_in: 80 %,")
            + "thresholds: {stockout_rate: 5 %, fill_rate: '97%'}\n")
    sc = load_scenario(write(tmp_path, text))
    assert sc.weather[0].probability[0] == 0.25
    assert sc.weather[0].shift_to_takeaway == 0.3
    assert sc.weather[0].multipliers["dine_in"] == 0.8
    assert sc.thresholds == {"stockout_rate": 0.05, "fill_rate": 0.97}


def test_quantities_read_as_in_packs(tmp_path: Path) -> None:
    text = (GOOD.replace("    price_per_unit: 220", "    price_per_unit: 220\n"
                         "    initial_stock: 90 斤\n    transit_hours: 300 min")
            .replace("order_up_to: {beef_slices: 20}",
                     "order_up_to: {beef_slices: 20 kg}\n  safety_stock: {beef_slices: 10 斤}"))
    sc = load_scenario(write(tmp_path, text))
    assert (sc.items["beef_slices"].initial_stock, sc.items["beef_slices"].transit_hours) == (
        45.0, 5.0)
    assert sc.policy is not None
    assert sc.policy.safety_stock == {"beef_slices": 5.0}


@pytest.mark.parametrize(("old", "new", "line", "fix"), [
    ("    price_per_unit: 220", "    price_per_unit: 220\n    initial_stock: 9 L", 9,
     "a number or a quantity in kg (like '5 kg')"),
    ("policy:", "distribution: {type: negative_binomal, dispersion: 3}\npolicy:", 20,
     "did you mean 'negative_binomial'?"),
    ("order_up_to: {beef_slices: 20}", "order_up_to: {beef_slice: 20}", 21,
     "did you mean 'beef_slices'?"),
])
def test_a_bad_quantity_kind_or_item_names_its_line_and_the_fix(
        tmp_path: Path, old: str, new: str, line: int, fix: str) -> None:
    path, message = refused(tmp_path, GOOD.replace(old, new))
    assert at_line(message, path) == line
    assert fix in message


@pytest.mark.parametrize(("old", "new", "line", "fix"), [
    ("dine_in: 0.8,", "dine_in: 8.2,", 19, "did you mean 0.82 (-18%)?"),
    ("during: [1.3]", "during: [15.5]", 14, "did you mean 1.55 (+55%)?"),
    ("items: {beef_slices: 1.1}", "items: {beef_slices: 11}", 15, "did you mean 1.1 (+10%)?"),
])
def test_an_implausible_multiplier_is_refused_with_the_reason(
        tmp_path: Path, old: str, new: str, line: int, fix: str) -> None:
    path, message = refused(tmp_path, GOOD.replace(old, new))
    assert at_line(message, path) == line
    assert "beyond the plausible" in message
    assert fix in message


def test_a_threshold_of_5_meant_as_5_percent_is_refused_with_the_fix(tmp_path: Path) -> None:
    path, message = refused(tmp_path, GOOD + "thresholds: {stockout_rate: 5}\n")
    assert at_line(message, path) == 22
    assert "5 reads as 500%" in message
    assert "write 0.05 or '5 %'" in message


def test_a_holiday_rule_that_never_falls_inside_the_horizon_is_an_error(tmp_path: Path) -> None:
    path, message = refused(tmp_path, GOOD.replace("2026-02-02", "2026-04-02")
                            .replace("2026-02-28", "2026-04-28"))
    assert at_line(message, path) == 13
    assert "never falls inside the horizon 2026-04-02..2026-04-28" in message
    assert "nearest break is 2026-02-15..2026-02-23" in message
    assert "move the horizon or remove the rule" in message


def test_a_holiday_whose_after_days_reach_into_the_horizon_is_kept(tmp_path: Path) -> None:
    # the 2026 break ends 02-23; after: [0.9, 0.9] reaches 02-25
    text = GOOD.replace("2026-02-02", "2026-02-25").replace("after: [0.9]", "after: [0.9, 0.9]")
    sc = load_scenario(write(tmp_path, text))
    assert "Spring Festival" in sc.holidays


CALENDAR_2027 = """\
calendar:
  source: an announced schedule (test)
  breaks:
    - {holiday: Spring Festival, from: 2027-02-05, to: 2027-02-12, workdays: [2027-01-31]}
"""


def _in_2027(text: str) -> str:
    return (text.replace("2026-02-02", "2027-01-25").replace("2026-02-28", "2027-02-26")
            .replace("policy:", "distribution: deterministic\npolicy:"))


@pytest.mark.parametrize(("entry", "line", "fix"), [
    ("{holiday: Spring Festivel, from: 2027-02-05, to: 2027-02-12}", 25,
     "did you mean 'Spring Festival'?"),
    ("{holiday: Spring Festival, form: 2027-02-05, to: 2027-02-12}", 25, "did you mean 'from'?"),
    ("{holiday: Spring Festival, from: 2027-02-05, to: 2027-02-12, workdays: [2027-02-03]}", 25,
     "list only the Saturdays and Sundays"),
    ("{holiday: Spring Festival, from: 2027-02-12, to: 2027-02-05}", 25,
     "write the break's first day in from"),
    ("{holiday: Spring Festival, from: 2027-02-05, to: 2027-02-31}", 25,
     "day is out of range for month"),
])
def test_a_bad_calendar_section_names_its_line_and_the_fix(tmp_path: Path, entry: str,
                                                           line: int, fix: str) -> None:
    text = _in_2027(GOOD) + f"calendar:\n  breaks:\n    - {entry}\n"
    path, message = refused(tmp_path, text)
    assert at_line(message, path) == line
    assert "calendar.breaks[0]" in message
    assert fix in message


def test_a_calendar_override_changes_the_simulated_days(tmp_path: Path) -> None:
    from jxc_rules.simulate.demand import entity_means

    plain = load_scenario(write(tmp_path, _in_2027(GOOD), "plain.yaml"))
    announced = load_scenario(write(tmp_path, _in_2027(GOOD) + CALENDAR_2027, "cal.yaml"))
    assert plain.calendar_notes[0].startswith("make-up workdays (调休) for 2027 are not "
                                              "published")
    assert "calendar: section (2027: Spring Festival)" in announced.calendar_notes[0]
    a, b = plain.calendar, announced.calendar
    changed = [d for d, x, y in zip(a.dates, a.day_off, b.day_off, strict=True) if x != y]
    assert changed == [dt.date(2027, 2, 11), dt.date(2027, 2, 12), dt.date(2027, 2, 13),
                       dt.date(2027, 2, 14)]
    k = a.dates.index(dt.date(2027, 1, 31))
    assert not a.makeup_workday[k]
    assert b.makeup_workday[k]

    def means(sc: object) -> np.ndarray:
        true = {name: dict(h.channels) for name, h in sc.holidays.items()}  # type: ignore[attr-defined]
        return entity_means(sc, sc.calendar, true)[:, 0, 0]  # type: ignore[arg-type, attr-defined]

    ma, mb = means(plain), means(announced)
    differs = [d for d, x, y in zip(a.dates, ma, mb, strict=True) if x != y]
    # the make-up Sunday, the four days added to the break, and the after-day that moved
    assert dt.date(2027, 1, 31) in differs
    assert set(changed) <= set(differs)
    ra = run(plain, trials=20, seed=1).kpis["fill_rate"].mean
    rb = run(announced, trials=20, seed=1).kpis["fill_rate"].mean
    assert ra != rb


def test_swapping_the_packs_swaps_the_rows_and_changes_no_number() -> None:
    """The world (true loss, shrink, recipes, the 2027 calendar) is the scenario's whichever
    pack is the baseline: compare(A, B) and compare(B, A) give the same KPI values per pack."""
    from jxc_rules.simulate import compare

    sc = load_scenario("hotpot-spring-festival-2027")
    a, b = sc.rules["baseline"], sc.rules["candidate"]
    ab = compare(sc, a, b, trials=40, seed=3)
    ba = compare(sc, b, a, trials=40, seed=3)
    for name, summary in ab.baseline.kpis.items():
        assert summary.mean == ba.candidate.kpis[name].mean, name
        assert ab.candidate.kpis[name].mean == ba.baseline.kpis[name].mean, name
        assert ab.differences[name].mean == -ba.differences[name].mean, name
