"""Shelf life at its edges: exact level and limit boundaries, gap thresholds, late lots, long
Arrhenius ramps. Each test pins a boundary a one-character slip in the kernel would move."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from jxc_rules.errors import ValidationError
from jxc_rules.shelf_life import (
    Q10,
    Arrhenius,
    HardLimit,
    RateTable,
    ShelfLifeRule,
    assess_lots,
    effective_temperature,
    equivalent_time,
)
from jxc_rules.units import Q_


def _rule(**kw: object) -> ShelfLifeRule:
    base: dict[str, object] = {"model": Q10(3, 4), "shelf_life_ref_h": 240,
                               "alert_offset_h": 48, "removal_offset_h": 12}
    base.update(kw)
    return ShelfLifeRule(**base)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- levels and limits
def test_a_lot_exactly_at_the_alert_or_removal_offset_takes_that_level() -> None:
    # at the reference temperature consumed time is elapsed time, exactly
    now = np.array([191.0, 192.0, 227.0, 228.0, 240.0])
    out = assess_lots([[0.0, 1.0]] * 5, [[4.0, 4.0]] * 5, _rule(), now)
    assert out.remaining_h.tolist() == [49.0, 48.0, 13.0, 12.0, 0.0]
    assert out.level.tolist() == ["ok", "alert", "alert", "remove", "expired"]


def test_a_hard_limit_is_breached_only_beyond_its_hours() -> None:
    # "4 h above 5 °C": held 8 °C for exactly 4 h is allowed, 4.5 h is not
    rule = _rule(hard_limits=[HardLimit(4, above_c=5), HardLimit(4, above_c=5, continuous=True)])
    out = assess_lots([[0, 4, 10], [0, 4.5, 10]], [[8, 3, 3], [8, 3, 3]], rule, now_h=10,
                      interpolation="previous")
    assert out.limit_hours.tolist() == [[4.0, 4.0], [4.5, 4.5]]
    assert out.hard_limit_breach.tolist() == [False, True]
    assert out.level.tolist() == ["ok", "expired"]


# --------------------------------------------------------------------------- data quality
def test_a_lot_that_arrived_later_is_padding_not_a_gap() -> None:
    # shared clock; lot 1 has no readings before t = 2 (not yet received): never flagged, and
    # neither is lot 0, whose last reading simply holds until now
    rule = _rule(max_gap_h=6)
    times = [0.0, 1.0, 2.0, 3.0]
    temps = [[4.0, 5.0, 6.0, 7.0], [np.nan, np.nan, 6.0, 6.0]]
    out = assess_lots(times, temps, rule, now_h=5)
    assert out.data_quality_flag.tolist() == [False, False]
    assert out.gap_h.tolist() == [0.0, 0.0]
    alone = assess_lots(times[2:], temps[1][2:], rule, now_h=5)
    assert out.consumed_h[1] == pytest.approx(alone.consumed_h[0], rel=1e-15)
    one = assess_lots(times, temps[1], rule, now_h=5)  # one lot, 1-D, leading NaN
    assert one.data_quality_flag.tolist() == [False]
    assert one.consumed_h[0] == pytest.approx(alone.consumed_h[0], rel=1e-15)


def test_an_interval_of_exactly_max_gap_is_not_a_gap() -> None:
    times, temps = [0.0, 2.0, 4.0], [4.0, 6.0, 5.0]
    m = Q10(3, 4)
    expected = equivalent_time(times, temps, m)
    assert equivalent_time(times, temps, m, max_gap_h=2) == expected
    assert equivalent_time([times, times], [temps, temps], m, max_gap_h=2).tolist() == \
        [expected, expected]
    assert equivalent_time(times * 2, temps * 2, m, lot_ids=list("aaabbb"),
                           max_gap_h=2).tolist() == [expected, expected]
    out = assess_lots(times, temps, _rule(max_gap_h=2), now_h=4)
    assert out.data_quality_flag.tolist() == [False]
    assert out.consumed_h[0] == pytest.approx(expected, rel=1e-15)
    flagged = assess_lots(times, temps, _rule(max_gap_h=1.999), now_h=4)
    assert flagged.gap_h.tolist() == [4.0]


def test_forecast_temperature_must_be_a_finite_temperature() -> None:
    # NaN used to rate every lot "ok" (every comparison with NaN is false)
    with pytest.raises(ValidationError, match="forecast_temp_c must be a finite number"):
        assess_lots([0, 1], [4, 4], _rule(), now_h=1, forecast_temp_c=float("nan"))
    with pytest.raises(ValidationError, match="forecast_temp_c"):
        assess_lots([0, 1], [4, 4], _rule(), now_h=1,
                    forecast_temp_c=[4, 8])  # type: ignore[arg-type]
    as_quantity = assess_lots([0, 1], [4, 4], _rule(), now_h=1,
                              forecast_temp_c=Q_(14, "degC"))  # type: ignore[arg-type]
    assert as_quantity.remaining_h[0] == pytest.approx(239 / 3)


# --------------------------------------------------------------------------- Arrhenius ramps
def test_arrhenius_linear_ramps_of_every_size_match_quadrature_each() -> None:
    # Many short ramps (the common quadrature rule) mixed with ramps that need more nodes and
    # ramps whose exponent varies by more than e^32 (the composite rule): each lot to 1e-9.
    model = Arrhenius(300, 4)
    rises = [3.0] * 40 + [*np.geomspace(0.01, 100.0, 24), 9.36]
    start = [4.0] * 40 + [-40.0] * 25
    temps = np.array([[s, s + r] for s, r in zip(start, rises, strict=True)])
    got = equivalent_time([0.0, 1.0], temps, model)
    for (a, b), value in zip(temps, got, strict=True):
        ref = quad(lambda t, a=a, b=b: float(model.relative_rate(a + (b - a) * t)), 0, 1,
                   epsabs=0, epsrel=1e-13, limit=500)[0]
        assert value == pytest.approx(ref, rel=1e-9, abs=0), (a, b)


def test_an_implausible_first_reading_is_flagged_though_it_leaves_no_gap() -> None:
    # a logger's 85 °C power-on value before the lot's first real reading: not a gap (nothing
    # to bridge), but the lot's data are still suspect
    out = assess_lots([0, 1, 2], [[85.0, 4.0, 4.0], [4.0, 4.0, 4.0]], _rule(), now_h=2)
    assert out.gap_h.tolist() == [0.0, 0.0]
    assert out.implausible_count.tolist() == [1, 0]
    assert out.data_quality_flag.tolist() == [True, False]
    assert out.consumed_h.tolist() == pytest.approx([1.0, 2.0])


def test_rate_table_inverse_gives_the_lowest_temperature_of_a_flat_stretch() -> None:
    table = RateTable([0, 4, 8, 12], [0.5, 1.0, 1.0, 2.0], 4)
    assert table.inverse_rate([0.5, 0.75, 1.0, 1.5, 2.0]).tolist() == [0.0, 2.0, 4.0, 10.0, 12.0]
    # a log held at 6 °C consumes like 4 °C: its effective temperature is the lowest such
    assert effective_temperature([0, 5], [6, 6], table) == 4.0
