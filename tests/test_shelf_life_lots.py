"""Lots: warning levels, hard limits, freezing, data quality and FEFO — worked by hand."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from jxc_rules.errors import TimeSeriesError, ValidationError
from jxc_rules.shelf_life import (
    Q10,
    HardLimit,
    ShelfLifeRule,
    SquareRoot,
    assess_lots,
    equivalent_time,
    fefo_order,
)

RHO12 = 3 ** 0.8


def _rule(**kw: object) -> ShelfLifeRule:
    base: dict[str, object] = {"model": Q10(3, 4), "shelf_life_ref_h": 240,
                               "alert_offset_h": 72, "removal_offset_h": 24}
    base.update(kw)
    return ShelfLifeRule(**base)  # type: ignore[arg-type]


def test_levels_follow_the_erp_offsets_before_predicted_expiry() -> None:
    # one reading at 4 °C at t = 0 that holds until now: remaining = 240 − now
    now = np.array([0.0, 170.0, 216.0, 220.0, 240.0, 300.0])
    out = assess_lots([[0.0]] * 6, [[4.0]] * 6, _rule(), now)
    assert out.remaining_h.tolist() == pytest.approx([240, 70, 24, 20, 0, 0])
    assert out.level.tolist() == ["ok", "alert", "remove", "remove", "expired", "expired"]
    assert out.expiry_h.tolist() == pytest.approx([240, 240, 240, 240, 240, 300])


def test_cream_lot_two_days_at_12c() -> None:
    out = assess_lots([0, 48], [12, 12], _rule(), now_h=48)
    assert out.consumed_h[0] == pytest.approx(48 * RHO12)
    assert out.remaining_h[0] / 24 == pytest.approx(5.184, abs=5e-4)
    assert out.expiry_h[0] == pytest.approx(48 + 240 - 48 * RHO12)
    assert out.level.tolist() == ["ok"]


def test_forecast_temperature_scales_remaining_and_expiry() -> None:
    out = assess_lots([0, 48], [12, 12], _rule(), now_h=48, forecast_temp_c=8)
    assert out.remaining_h[0] == pytest.approx((240 - 48 * RHO12) / 3 ** 0.4)


def test_readings_after_now_are_ignored_and_the_last_reading_holds_until_now() -> None:
    out = assess_lots([0, 10, 48], [12, 12, 12], _rule(), now_h=5)
    assert out.consumed_h[0] == pytest.approx(5 * RHO12)
    out = assess_lots([0, 10], [12, 4], _rule(), now_h=30)
    expected = equivalent_time([0, 10], [12, 4], Q10(3, 4)) + 20
    assert out.consumed_h[0] == pytest.approx(expected)
    # the truncated interval follows the linear ramp up to now
    out = assess_lots([0, 10], [4, 14], _rule(), now_h=5)
    assert out.consumed_h[0] == pytest.approx(equivalent_time([0, 5], [4, 9], Q10(3, 4)))


def test_lot_not_yet_received_has_consumed_nothing() -> None:
    out = assess_lots([10, 20], [30, 30], _rule(), now_h=5)
    assert out.consumed_h.tolist() == [0.0]
    assert out.level.tolist() == ["ok"]


# --------------------------------------------------------------------------- hard limits
def test_cumulative_and_continuous_time_above_a_threshold() -> None:
    # 4→8 °C over 1 h crosses 5 °C at 0.25 h; holds 8 °C to 3 h; back to 4 °C at 4 h (crossing
    # at 3.75 h): 3.5 h above 5 °C. A second excursion 8→8 °C from 10 to 11 h adds 1 h.
    times = [0, 1, 3, 4, 10, 11, 12]
    temps = [4, 8, 8, 4, 8, 8, 4]
    rule = _rule(hard_limits=[HardLimit(4, above_c=5), HardLimit(3.6, above_c=5,
                                                                 continuous=True)])
    out = assess_lots(times, temps, rule, now_h=12)
    # second excursion: 4→8 between 4 and 10 h crosses 5 at 5.5 h; 8→4 from 11 to 12 h at 11.75
    assert out.limit_hours[0].tolist() == pytest.approx([3.5 + 6.25, 6.25])
    assert out.hard_limit_breach.tolist() == [True]
    assert out.level.tolist() == ["expired"]
    short = assess_lots(times[:4], temps[:4], rule, now_h=4)
    assert short.limit_hours[0].tolist() == pytest.approx([3.5, 3.5])
    assert short.hard_limit_breach.tolist() == [False]
    assert short.level.tolist() == ["ok"]


def test_band_limit_counts_only_time_inside_the_band() -> None:
    # food-code style "2 h in 4.4–60 °C": 0→10 °C over 1 h enters at 0.44 h; 10 °C to 3 h.
    rule = _rule(hard_limits=[HardLimit(2, above_c=4.4, below_c=60)])
    out = assess_lots([0, 1, 3], [0, 10, 10], rule, now_h=3)
    assert out.limit_hours[0, 0] == pytest.approx(3 - 0.44)
    assert out.hard_limit_breach.tolist() == [True]
    hot = assess_lots([0, 1], [70, 70], rule, now_h=1)  # above the band: not counted
    assert hot.limit_hours[0, 0] == 0.0


def test_previous_interpolation_counts_held_readings_for_limits() -> None:
    rule = _rule(hard_limits=[HardLimit(1, above_c=5)])
    out = assess_lots([0, 1, 3], [4, 8, 4], rule, now_h=3, interpolation="previous")
    assert out.limit_hours[0, 0] == pytest.approx(2.0)


# --------------------------------------------------------------------------- freezing
def test_freezing_is_an_event_and_the_model_is_not_extrapolated_below_it() -> None:
    model = Q10(3, 4)
    rule = _rule(freeze_point_c=-1.0)
    out = assess_lots([0, 1, 2], [4, -4, 4], rule, now_h=2)
    # T = 4 − 8t reaches −1 at 0.625 h; back above at 1.375 h: 0.75 h frozen
    assert out.frozen_h[0] == pytest.approx(0.75)
    assert out.freeze_event.tolist() == [True]

    def clamped(t: float) -> float:
        temp = 4 - 8 * t if t <= 1 else -4 + 8 * (t - 1)
        return float(model.relative_rate(max(temp, -1.0)))

    expected = quad(clamped, 0, 2, points=[0.625, 1, 1.375], epsrel=1e-12)[0]
    assert out.consumed_h[0] == pytest.approx(expected, rel=1e-10)
    assert out.level.tolist() == ["ok"]  # freeze_action "flag"
    removed = assess_lots([0, 1, 2], [4, -4, 4], _rule(freeze_point_c=-1, freeze_action="remove"),
                          now_h=2)
    assert removed.level.tolist() == ["remove"]
    expired = assess_lots([0, 1, 2], [4, -4, 4], _rule(freeze_point_c=-1, freeze_action="expire"),
                          now_h=2)
    assert expired.level.tolist() == ["expired"]


# --------------------------------------------------------------------------- data quality
def test_missing_reading_is_filled_with_the_warmer_neighbour_and_flagged() -> None:
    out = assess_lots([0, 1, 2], [4, np.nan, 10], _rule(), now_h=2)
    assert out.consumed_h[0] == pytest.approx(2 * 3 ** 0.6)
    assert out.gap_h.tolist() == [2.0]
    assert out.data_quality_flag.tolist() == [True]


def test_gap_is_filled_with_the_worst_case_temperature_when_configured() -> None:
    out = assess_lots([0, 1, 2], [4, np.nan, 10], _rule(worst_case_temp_c=24), now_h=2)
    assert out.consumed_h[0] == pytest.approx(2 * 9.0)


def test_interval_longer_than_max_gap_is_a_gap() -> None:
    rule = _rule(max_gap_h=2)
    out = assess_lots([0, 1, 6], [4, 4, 6], rule, now_h=6)
    assert out.consumed_h[0] == pytest.approx(1 + 5 * 3 ** 0.2)
    assert out.gap_h.tolist() == [5.0]
    assert out.data_quality_flag.tolist() == [True]
    # silence after the last reading up to now is a gap too
    tail = assess_lots([0, 1], [4, 4], rule, now_h=10)
    assert tail.gap_h.tolist() == [9.0]
    fine = assess_lots([0, 1, 2], [4, 4, 4], rule, now_h=3)
    assert fine.data_quality_flag.tolist() == [False]
    assert fine.consumed_h[0] == pytest.approx(3.0)


def test_implausible_readings_are_flagged_as_missing_or_refused() -> None:
    out = assess_lots([0, 1, 2], [4, 85, 4], _rule(), now_h=2)  # DS18B20 power-on value
    assert out.implausible_count.tolist() == [1]
    assert out.data_quality_flag.tolist() == [True]
    assert out.consumed_h[0] == pytest.approx(2.0)
    with pytest.raises(ValidationError, match=r"plausible range \[-50, 70\].*lot 0, reading 1"):
        assess_lots([0, 1, 2], [4, 85, 4], _rule(), now_h=2, implausible="raise")


def test_unsorted_and_duplicate_timestamps_name_the_lot() -> None:
    with pytest.raises(TimeSeriesError, match=r"unsorted timestamps 1\.0 after 2\.0 \(lot 1, "
                       r"reading 2\)"):
        assess_lots([[0, 1, 2], [0, 2, 1]], [[4, 4, 4], [4, 4, 4]], _rule(), now_h=2)
    with pytest.raises(TimeSeriesError, match=r"duplicate timestamp.*lot 'b', row 3"):
        assess_lots([0, 1, 0, 0], [4, 4, 4, 4], _rule(), now_h=2, lot_ids=list("aabb"))


def test_lot_without_readings_is_an_error() -> None:
    with pytest.raises(TimeSeriesError, match="lot 1 has no"):
        assess_lots([0, 1], [[4, 4], [np.nan, np.nan]], _rule(), now_h=1)


def test_bad_arguments_are_errors() -> None:
    with pytest.raises(ValidationError, match="rule must be a ShelfLifeRule"):
        assess_lots([0, 1], [4, 4], {"q10": 3}, now_h=1)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="now_h must be a finite number"):
        assess_lots([0, 1], [4, 4], _rule(), now_h=np.nan)
    with pytest.raises(ValidationError, match="one per lot"):
        assess_lots([0, 1], [[4, 4]], _rule(), now_h=[1, 2])
    with pytest.raises(ValidationError, match="implausible"):
        assess_lots([0, 1], [4, 4], _rule(), now_h=1, implausible="ignore")


# --------------------------------------------------------------------------- formats, FEFO
def test_long_format_and_2d_give_the_same_assessment() -> None:
    rule = _rule(hard_limits=[HardLimit(1, above_c=8, continuous=True)], max_gap_h=3,
                 freeze_point_c=-1)
    times = np.array([[0, 1, 2, 6, np.nan], [0, 0.5, 1, 1.5, 2]])
    temps = np.array([[4, 9, np.nan, 3, np.nan], [10, -3, 5, 12, 12]])
    wide = assess_lots(times, temps, rule, now_h=[7, 3])
    keep = ~np.isnan(times)
    ids = np.repeat(["x", "y"], keep.sum(axis=1))
    long = assess_lots(times[keep], temps[keep], rule, now_h=[7, 3], lot_ids=ids)
    for field in ("consumed_h", "remaining_h", "limit_hours", "gap_h", "frozen_h"):
        np.testing.assert_allclose(getattr(wide, field), getattr(long, field), rtol=1e-12)
    assert wide.level.tolist() == long.level.tolist()
    assert long.lot_ids.tolist() == ["x", "y"]


def test_fefo_orders_sellable_lots_by_predicted_expiry() -> None:
    now = np.array([100.0, 10.0, 230.0, 200.0])
    out = assess_lots([[0.0]] * 4, [[4.0]] * 4, _rule(), now)
    # expiry at 240 for all; remaining 140, 230, 10 (remove), 40 (alert)
    assert fefo_order(out).tolist() == [0, 1, 3]
    assert fefo_order(out, sellable_only=False).tolist() == [0, 1, 2, 3]
    cold = assess_lots([0, 48], [[2, 2], [8, 8], [4, 4]], _rule(model=SquareRoot(-6, 4)), 48)
    assert fefo_order(cold).tolist() == [1, 2, 0]


def test_fefo_on_plain_expiry_times() -> None:
    assert fefo_order(np.array([5.0, 1.0, 5.0])).tolist() == [1, 0, 2]
    with pytest.raises(ValidationError):
        fefo_order(np.array([1.0, np.nan]))


# --------------------------------------------------------------------------- docs/shelf_life.md
def test_the_worked_cream_example_in_the_docs() -> None:
    rule = ShelfLifeRule(Q10(3, 4), "10 d", alert_offset_h="3 d", removal_offset_h="1 d",
                         hard_limits=[HardLimit(4, above_c=8),
                                      HardLimit(2, above_c=12, continuous=True)],
                         max_gap_h=1, worst_case_temp_c=10, freeze_point_c=-1,
                         freeze_action="remove")
    times = np.arange(73.0)
    temps = np.full((5, 73), 4.0)
    temps[1, 24:48] = 7.0
    temps[2, 10:13] = [12.0, 15.0, 11.0]
    temps[3, 30:40] = np.nan
    temps[4, 50:52] = -3.0
    out = assess_lots(times, temps, rule, now_h=72)
    assert out.consumed_h.round(2).tolist() == [72.0, 81.35, 76.67, 82.27, 71.01]
    assert out.expiry_h.round(2).tolist() == [240.0, 230.65, 235.33, 229.73, 240.99]
    assert out.level.tolist() == ["ok", "ok", "ok", "expired", "remove"]
    assert out.limit_hours.round(2).tolist() == [[0, 0], [0, 0], [2.93, 1.75], [11, 0], [0, 0]]
    assert out.limit_hours[2, 0] == pytest.approx(0.5 + 2 + 3 / 7)
    assert out.gap_h.tolist() == [0, 0, 0, 11, 0]
    assert out.frozen_h.round(2).tolist() == [0, 0, 0, 0, 1.57]
    assert fefo_order(out).tolist() == [1, 2, 0]


def test_the_sparse_log_interpolation_table_in_the_docs() -> None:
    from jxc_rules.shelf_life import INTERPOLATIONS, Arrhenius

    times = [0, 2, 4, 6, 8]
    temps = [4, 4, 14, 18, 6]
    table = {
        Q10(3, 4): [19.311, 19.803, 19.557, 18.349],
        Arrhenius(80, 4): [21.318, 21.883, 21.600, 20.156],
        SquareRoot(-6, 4): [23.520, 24.400, 23.960, 23.093],
    }
    for model, row in table.items():
        got = [round(equivalent_time(times, temps, model, interpolation=i), 3)
               for i in INTERPOLATIONS]
        assert got == row
