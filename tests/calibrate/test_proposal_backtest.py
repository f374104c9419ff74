"""The proposal (a new version, never an overwrite; only what the data contradict) and the
backtest (the deliberately wrong factor is flagged, and only it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jxc_rules.calibrate import calibrate
from jxc_rules.calibrate.backtest import backtest, parse_month
from jxc_rules.calibrate.estimate import Estimate
from jxc_rules.calibrate.proposal import next_version, propose
from jxc_rules.calibrate.sales import SalesData, read_sales
from jxc_rules.errors import ValidationError
from jxc_rules.rules import diff, loads_pack
from jxc_rules.rules.edit import set_field

RAIN = "weather.rain.dine_in"


def _est(path: str, value: float, low: float, high: float, current: float | None) -> Estimate:
    return Estimate(path, value, low, high, current, 30, "days", dt.date(2026, 7, 1),
                    dt.date(2026, 12, 31), "test")


@settings(max_examples=40)
@given(st.floats(0.3, 1.5), st.floats(0.01, 0.4), st.floats(0.3, 1.5))
def test_a_value_changes_only_when_its_interval_excludes_the_current_one(
        pack: Any, value: float, half: float, current_shift: float) -> None:
    current = pack.weather["rain"].dine_in
    est = _est(RAIN, value, value - half, value + half, current)
    proposal = propose(pack, [est])
    new = proposal.pack.weather["rain"].dine_in
    if value - half <= current <= value + half:
        assert new == current
        assert not proposal.changed
    else:
        assert new == round(value, 2)
        assert [e.path for e in proposal.changed] == [RAIN]
    # accept_all takes it whatever the interval
    assert propose(pack, [est], accept_all=True).pack.weather["rain"].dine_in == round(value, 2)


def test_the_proposal_is_a_new_validated_version_with_provenance(pack: Any,
                                                                 tmp_path: Path) -> None:
    est = _est(RAIN, 0.7812, 0.77, 0.79, pack.weather["rain"].dine_in)
    proposal = propose(pack, [est], data_name="pos-2026H2.csv")
    again = loads_pack(proposal.text)                      # validates
    assert again.version == next_version(pack.version) == "2026.10.1"
    assert again.effective_from == dt.date(2027, 1, 1)     # the day after the data end
    assert again.approved_by == ()                         # the committee signs, not us
    record = again.calibration[0]
    assert record["field"] == RAIN
    assert record["estimate"] == 0.78
    assert record["interval"] == [0.77, 0.79]
    assert record["previous"] == 0.82
    assert "pos-2026H2.csv" in record["data"]
    assert record["n"] == 30
    assert "pos-2026H2.csv" in again.changelog[0]
    numeric = [c for c in diff(pack, again) if not c.path.endswith("source")]
    assert [c.path for c in numeric] == [RAIN]              # exactly the change, nothing else
    target = tmp_path / "new.yaml"
    proposal.write(target)
    with pytest.raises(ValidationError, match="never overwrites"):
        proposal.write(target)


def test_a_proposal_refuses_foreign_fields_and_its_own_version(pack: Any) -> None:
    with pytest.raises(ValidationError, match="not a number of pack"):
        propose(pack, [_est("weather.hail.dine_in", 0.5, 0.4, 0.6, None)])
    with pytest.raises(ValidationError, match="new version"):
        propose(pack, [], version=pack.version)


def test_shares_are_clipped_to_their_range(pack: Any) -> None:
    est = _est("weather.rain.shift_to_takeaway", 1.3, 1.1, 1.5, 0.35)
    assert propose(pack, [est]).pack.weather["rain"].shift_to_takeaway == 1.0


# ------------------------------------------------------------------------------ backtest


@pytest.fixture(scope="module")
def true_pack(pack: Any, world: Any) -> Any:
    """The 2026.10 pack with the synthetic world's true weather effects."""
    out = pack
    for state in world.weather:
        for channel, value in state.multipliers.items():
            out = set_field(out, f"weather.{state.name}.{channel}", float(value))
        out = set_field(out, f"weather.{state.name}.shift_to_takeaway",
                        float(state.shift_to_takeaway))
    return out


@pytest.mark.parametrize("month", ["2026-03", "2025-11"])
def test_backtest_flags_the_wrong_factor_and_only_it(histories: dict[int, Path], true_pack: Any,
                                                     month: str) -> None:
    wrong = set_field(true_pack, "weather.rain.takeaway", 1.45)       # truth 1.05
    for seed in (0, 1, 2):
        sales = read_sales(histories[seed], true_pack)
        right = backtest(true_pack, sales, month)
        assert right.flagged == (), (seed, right.flagged)
        bad = backtest(wrong, sales, month)
        assert bad.flagged == ("weather.rain.takeaway",), (seed, bad.flagged)
        latest = bad.latest("weather.rain.takeaway")
        assert latest is not None
        assert latest.bias is not None
        assert latest.bias > 0.15
        # every other factor's numbers are untouched by the wrong one
        for factor, rows in right.errors.items():
            if factor != "weather.rain.takeaway":
                assert [r.bias for r in rows] == [r.bias for r in bad.errors[factor]]


def _panel(factor_true: float, days: int = 120) -> SalesData:
    """Deterministic sales: 100 a day, × factor_true on rainy days (every third day)."""
    start = dt.date(2026, 3, 2)
    dates = tuple(start + dt.timedelta(days=k) for k in range(days))
    rain = tuple((frozenset({"rain"}) if k % 3 == 0 else frozenset(),) for k in range(days))
    qty = np.array([100.0 * (factor_true if k % 3 == 0 else 1.0) for k in range(days)])
    return SalesData("panel.csv", dates, ("s1",), ("dish_beef",), ("group_meal",),
                     qty.reshape(days, 1, 1, 1), np.zeros((days, 1, 1), dtype=bool),
                     np.ones((1, 1, 1), dtype=bool), rain)


@settings(max_examples=25)
@given(st.floats(0.5, 1.5), st.floats(0.5, 1.5))
def test_bias_is_the_relative_error_of_the_factor(pack: Any, true_factor: float,
                                                  assumed: float) -> None:
    """Oracle: with noiseless sales the rain factor's bias is exactly assumed/true − 1, and the
    weekday base's is 0 (no holiday falls in May–June 2026 besides Dragon Boat, not in the
    pack)."""
    sales = _panel(true_factor)
    packed = set_field(pack, "weather.rain.group_meal", round(assumed, 4))
    result = backtest(packed, sales, "2026-05")
    rain = result.latest("weather.rain.group_meal")
    assert rain is not None
    assert rain.bias is not None
    assert rain.bias == pytest.approx(round(assumed, 4) / true_factor - 1, abs=1e-9)
    base = result.latest("weekday.group_meal")
    assert base is not None
    assert base.bias == pytest.approx(0.0, abs=1e-12)
    expected = "ok" if abs(rain.bias) <= 0.15 else "retire_or_recalibrate"
    assert result.verdicts["weather.rain.group_meal"] == expected


def test_backtest_bad_arguments(pack: Any, histories: dict[int, Path]) -> None:
    sales = read_sales(histories[0], pack)
    with pytest.raises(ValidationError, match="YYYY-MM"):
        parse_month("March")
    with pytest.raises(ValidationError, match="not inside the sales"):
        backtest(pack, sales, "2027-03")
    with pytest.raises(ValidationError, match="28 days before"):
        backtest(pack, sales, "2025-01")
    with pytest.raises(ValidationError, match="threshold"):
        backtest(pack, sales, "2026-03", threshold=-1)
    with pytest.raises(ValidationError, match="bias or mape") as info:
        backtest(pack, sales, "2026-03", metric="rmse")
    assert info.value.field == "metric"


def test_calibrate_end_to_end_changes_what_the_data_contradict(
        histories: dict[int, Path], pack: Any, truth: Callable[[str], float]) -> None:
    result = calibrate(pack, histories[1])
    changed = {e.path for e in result.proposal.changed}
    assert RAIN in changed                   # 0.82 assumed, 0.78 true, interval ±0.01
    new = result.proposal.pack
    assert abs(new.weather["rain"].dine_in - truth(RAIN)) <= 0.02
    # the peak the 2026.10 pack under-states (0.7 assumed on 初二, 1.45 true) is raised
    peak = "holidays.Spring Festival.dine_in.during[2]"
    assert peak in changed
    assert new.holidays["Spring Festival"].dine_in.during[2] > 1.3
    mapping = result.to_mapping()
    assert {e["path"] for e in mapping["estimates"]} >= changed


def test_channel_loss_is_backtested_from_stock_counts(pack: Any) -> None:
    """Oracle: counted usage = Σ net / (1 − L_true) exactly; the pack's dine-in loss assumed 3×
    too high is named (two months over), the right rates are not."""
    from jxc_rules.calibrate.logs import WastageLog, WastagePeriod

    model = pack.wastage.loss_model
    channels = ("dine_in", "takeaway", "group_meal")
    periods = []
    for k, day in enumerate([dt.date(2026, 2, d) for d in (1, 8, 15, 22)]
                            + [dt.date(2026, 3, d) for d in (1, 8, 15, 22, 29)]):
        net = (40.0 + k, 10.0, 5.0)
        actual = sum(n / (1 - model.loss(c, "beef_slices"))
                     for n, c in zip(net, channels, strict=True))
        periods.append(WastagePeriod(k + 2, day, "beef_slices", net, actual))
    log = WastageLog("counts.csv", channels, tuple(periods))
    wrong = set_field(pack, "wastage.loss_model.channels.dine_in.plate", 0.2)
    sales = _shifted(_panel(1.0, days=120))          # 2026-01-01 .. 2026-04-30
    assert backtest(pack, sales, "2026-04", wastage=log).latest("wastage.beef_slices") is None
    ok = backtest(pack, sales, "2026-03", wastage=log)
    bad = backtest(wrong, sales, "2026-03", wastage=log)
    row = ok.latest("wastage.beef_slices")
    assert row is not None
    assert row.bias == pytest.approx(0.0, abs=1e-12)
    assert row.days == 5
    assert ok.verdicts["wastage.beef_slices"] == "ok"
    assert bad.verdicts["wastage.beef_slices"] == "retire_or_recalibrate"
    assert bad.flagged == ("wastage.beef_slices",)


def _shifted(sales: SalesData) -> SalesData:
    """The noiseless panel moved to start 2026-01-01 (so March has its 28 days before)."""
    import attrs

    start = dt.date(2026, 1, 1)
    return attrs.evolve(sales, dates=tuple(start + dt.timedelta(days=k)
                                           for k in range(sales.days)))
