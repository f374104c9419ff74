"""Scenario files: every bad scenario names file:line and the field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jxc_rules.errors import ScenarioError
from jxc_rules.simulate import load_scenario, run
from jxc_rules.simulate.runner import run_many

ROOT = Path(__file__).resolve().parents[1]
PACK_10 = ROOT / "industries" / "hotpot" / "2026.10.yaml"

GOOD = """\
name: t
horizon: {start: 2026-02-02, end: 2026-02-28}
channels: [dine_in, takeaway]
items:
  beef_slices:
    unit: kg
    cost_per_unit: 68
    price_per_unit: 220
    demand:
      dine_in: {weekly: [10, 10, 10, 10, 12, 14, 14]}
      takeaway: 3
holidays:
  Spring Festival:
    dine_in: {before: [1.1], during: [1.3], after: [0.9]}
    items: {beef_slices: 1.1}
weather:
  rain:
    probability: 0.25
    effect: {dine_in: 0.8, shift_to_takeaway: 0.3}
policy:
  order_up_to: {beef_slices: 20}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def located_at(exc: BaseException, path: Path, line: int) -> bool:
    return re.search(rf"{re.escape(str(path))}:{line}(:\d+)?: ", str(exc)) is not None


def test_a_good_scenario_loads_and_runs(tmp_path: Path) -> None:
    sc = load_scenario(write(tmp_path, GOOD))
    assert sc.days == 27
    assert sc.weather[0].probability[0] == 0.25
    assert sc.holidays["Spring Festival"].items == {"beef_slices": 1.1}
    assert run(sc, trials=20).kpis["fill_rate"].n == 20


@pytest.mark.parametrize(("old", "new", "line", "words"), [
    # unknown item in a holiday rule
    ("items: {beef_slices: 1.1}", "items: {pork_belly: 1.1}", 15, "pork_belly"),
    # probability outside [0, 1]
    ("probability: 0.25", "probability: 1.25", 18, "probability"),
    # horizon with no days
    ("end: 2026-02-28", "end: 2026-01-28", 2, "no days"),
    ("end: 2026-02-28", "end: 2026-02-30", 2, "horizon.end: bad YAML value '2026-02-30'"),
    # negative demand
    ("takeaway: 3", "takeaway: -3", 11, ">= 0"),
    # money that is not a finite amount
    ("cost_per_unit: 68", "cost_per_unit: .nan", 7, "cost_per_unit must be a"),
    ("price_per_unit: 220", "price_per_unit: lots", 8, "price_per_unit must be an amount"),
    ("cost_per_unit: 68", "cost_per_unit: -68", 7, "cost_per_unit must be >= 0"),
    ("[10, 10, 10, 10, 12, 14, 14]", "[10, 10, 10, -1, 12, 14, 14]", 10, "weekly[3]"),
    # unknown keys, channels and holidays
    ("name: t", "name: t\nhorizn: 3", 2, "horizn"),
    ("takeaway: 3", "delivery: 3", 11, "delivery"),
    ("Spring Festival:", "Spring Festivl:", 13, "Spring Festivl"),
    ("during: [1.3]", "during: [-1.3]", 14, "during[0]"),
])
def test_bad_scenarios_name_file_line_and_field(tmp_path: Path, old: str, new: str, line: int,
                                               words: str) -> None:
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert located_at(info.value, path, line), str(info.value)
    assert words in str(info.value)
    assert isinstance(info.value, ValueError)  # catchable as the builtin too


def test_monthly_probability_outside_the_unit_interval(tmp_path: Path) -> None:
    text = GOOD.replace("probability: 0.25",
                        "probability: {monthly: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1,"
                        " 1.5, 0]}")
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError, match=r"monthly\[10\] must be <= 1"):
        load_scenario(path)


def test_horizon_outside_the_holiday_calendar_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("2026-02-02", "2100-02-02").replace("2026-02-28",
                                                                           "2100-02-28"))
    with pytest.raises(ScenarioError, match="outside the years the holiday calendar") as info:
        load_scenario(path)
    assert located_at(info.value, path, 2)


def test_csv_history_and_rain_climatology(tmp_path: Path) -> None:
    (tmp_path / "hist.csv").write_text(
        "date,qty\n" + "".join(f"2026-03-{d:02d},{d % 7 + 1}\n" for d in range(2, 30)),
        encoding="utf-8")
    (tmp_path / "rain.csv").write_text(
        "date,probability\n" + "".join(f"2026-02-{d:02d},0.5\n" for d in range(2, 29)),
        encoding="utf-8")
    text = GOOD.replace("takeaway: 3", "takeaway: {csv: hist.csv, column: qty}").replace(
        "probability: 0.25", "probability: {csv: rain.csv}")
    sc = load_scenario(write(tmp_path, text))
    weekly = sc.items["beef_slices"].demand["takeaway"].weekly
    assert weekly == (3.0, 4.0, 5.0, 6.0, 7.0, 1.0, 2.0)      # 2026-03-02 is a Monday
    assert set(sc.weather[0].probability) == {0.5}
    missing = text.replace("rain.csv", "nope.csv")
    with pytest.raises(ScenarioError, match="readable CSV"):
        load_scenario(write(tmp_path, missing))


def test_a_pack_missing_a_rule_the_scenario_needs_names_the_scenario_line(
        tmp_path: Path) -> None:
    # lotus_root has no shelf-life rule in the hotpot pack: a perishable lotus root cannot run
    text = GOOD.replace("beef_slices", "lotus_root").replace("price_per_unit: 220",
                                                            "price_per_unit: 220\n"
                                                            "    perishable: true")
    text = text.replace("policy:\n  order_up_to: {lotus_root: 20}\n", "")
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError, match="shelf-life rule") as info:
        run(path, rules=PACK_10, trials=5)
    assert located_at(info.value, path, 9)
    assert "2026.10" in str(info.value)


def test_a_dish_without_a_recipe_in_the_pack_is_refused(tmp_path: Path) -> None:
    text = GOOD + "dishes:\n  dish_lobster:\n    demand: {dine_in: 4}\n"
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError, match="dish_lobster") as info:
        run_many(path, [PACK_10], trials=5)
    assert located_at(info.value, path, 23)


def test_no_pack_and_no_policy_is_a_clear_error(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("policy:\n  order_up_to: {beef_slices: 20}\n", ""))
    with pytest.raises(ScenarioError, match="neither rules: nor policy:") as info:
        run(path, trials=5)
    assert located_at(info.value, path, 1)


def test_bundled_hotpot_scenario_names_its_packs() -> None:
    sc = load_scenario(ROOT / "simulator" / "scenarios" / "hotpot-spring-festival.yaml")
    assert Path(sc.rules["baseline"]).name == "2026.10.yaml"
    assert Path(sc.rules["candidate"]).name == "2026.11.yaml"
    assert sc.outages
    assert sc.weather
    assert "Spring Festival" in sc.holidays


@pytest.mark.parametrize(("extra", "line", "words"), [
    ("thresholds:\n  stockout_rat: 0.05\n", 23, "did you mean 'stockout_rate'"),
    ("materiality:\n  gross_margn: 500\n", 23, "did you mean 'gross_margin'"),
    ("materiality:\n  stockout_rate: -0.001\n", 23, "stockout_rate must be >= 0"),
    ("materiality:\n  stockout_rate: .nan\n", 23, "finite"),
    ("materiality: [0.001]\n", 22, "a mapping"),
])
def test_bad_kpi_thresholds_and_materiality_name_file_line(tmp_path: Path, extra: str,
                                                           line: int, words: str) -> None:
    path = write(tmp_path, GOOD + extra)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert located_at(info.value, path, line), str(info.value)
    assert words in str(info.value)


def test_a_fractional_review_period_is_named_as_such(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("order_up_to: {beef_slices: 20}",
                                        "order_up_to: {beef_slices: 20}\n"
                                        "  review_period_days: 1.5"))
    with pytest.raises(ScenarioError, match="review_period_days must be whole days") as info:
        load_scenario(path)
    assert located_at(info.value, path, 22), str(info.value)


def test_a_live_delivery_without_its_own_live_weight_model_is_refused(tmp_path: Path) -> None:
    # the hotpot pack has a model for tilapia only: beef in transit must not borrow it
    text = GOOD.replace("price_per_unit: 220", "price_per_unit: 220\n    transit_hours: 6")
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError, match="live-weight model 'beef_slices'") as info:
        run(path, rules=PACK_10, trials=5)
    assert located_at(info.value, path, 9)                  # the transit_hours line
    named = write(tmp_path, text.replace("transit_hours: 6",
                                         "transit_hours: 6\n    transit_model: tilapia_live"))
    assert run(named, rules=PACK_10, trials=5).kpis["waste_rate_transit"].mean > 0


def test_a_channel_with_demand_and_no_loss_rate_in_the_pack_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace("channels: [dine_in, takeaway]",
                        "channels: [dine_in, takeaway, drive_thru]").replace(
        "takeaway: 3", "takeaway: 3\n      drive_thru: 2")
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError, match="'drive_thru' has demand and needs a channel loss"
                       ) as info:
        run(path, rules=PACK_10, trials=5)
    assert located_at(info.value, path, 3)
