"""Shelf-life invariants (hypothesis): additivity, monotonicity, reference identity, ordering of
interpolations on rising ramps, batch == per-lot, remaining life never negative."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jxc_rules.shelf_life import (
    INTERPOLATIONS,
    RateModel,
    assess_lots,
    equivalent_time,
    remaining_life,
)
from jxc_rules.testing import lot_logs, rate_models, shelf_life_rules, temperature_logs

FloatArray = np.ndarray


@given(model=rate_models(), log=temperature_logs(min_size=3),
       interp=st.sampled_from(INTERPOLATIONS), data=st.data())
def test_consumed_time_is_additive_over_a_split_log(
    model: RateModel, log: tuple[FloatArray, FloatArray], interp: str, data: st.DataObject
) -> None:
    times, temps = log
    k = data.draw(st.integers(1, len(times) - 2))
    whole = equivalent_time(times, temps, model, interpolation=interp)
    parts = (equivalent_time(times[: k + 1], temps[: k + 1], model, interpolation=interp)
             + equivalent_time(times[k:], temps[k:], model, interpolation=interp))
    assert whole == pytest.approx(parts, rel=1e-10, abs=1e-12)


@given(model=rate_models(), log=temperature_logs(min_size=2), data=st.data())
def test_linear_is_additive_when_an_interval_is_split_inside(
    model: RateModel, log: tuple[FloatArray, FloatArray], data: st.DataObject
) -> None:
    times, temps = log
    i = data.draw(st.integers(0, len(times) - 2))
    f = data.draw(st.floats(0.05, 0.95))
    t_mid = times[i] + f * (times[i + 1] - times[i])
    temp_mid = temps[i] + f * (temps[i + 1] - temps[i])
    times2 = np.insert(times, i + 1, t_mid)
    temps2 = np.insert(temps, i + 1, temp_mid)
    assert equivalent_time(times2, temps2, model) == pytest.approx(
        equivalent_time(times, temps, model), rel=1e-9, abs=1e-12)


@given(model=rate_models(), log=temperature_logs(), interp=st.sampled_from(INTERPOLATIONS),
       warmer=st.floats(0.0, 10.0))
def test_consumed_time_is_monotone_in_temperature(
    model: RateModel, log: tuple[FloatArray, FloatArray], interp: str, warmer: float
) -> None:
    times, temps = log
    base = equivalent_time(times, temps, model, interpolation=interp)
    hotter = equivalent_time(times, temps + warmer, model, interpolation=interp)
    assert hotter >= base * (1 - 1e-12)
    t = np.sort(np.concatenate([temps, temps + warmer]))
    assert np.all(np.diff(model.relative_rate(t)) >= -1e-12 * model.relative_rate(t[1:]))


@given(model=rate_models(), log=temperature_logs(), interp=st.sampled_from(INTERPOLATIONS))
def test_constant_reference_temperature_consumes_elapsed_time(
    model: RateModel, log: tuple[FloatArray, FloatArray], interp: str
) -> None:
    times, _ = log
    temps = np.full(times.shape, model.ref_temp_c)
    assert equivalent_time(times, temps, model, interpolation=interp) == pytest.approx(
        times[-1] - times[0], rel=1e-12)


@given(model=rate_models(), log=temperature_logs())
def test_previous_le_linear_le_next_on_a_rising_ramp(
    model: RateModel, log: tuple[FloatArray, FloatArray]
) -> None:
    times, temps = log
    rising = np.sort(temps)
    prev = equivalent_time(times, rising, model, interpolation="previous")
    lin = equivalent_time(times, rising, model, interpolation="linear")
    nxt = equivalent_time(times, rising, model, interpolation="next")
    assert prev <= lin * (1 + 1e-10) + 1e-12
    assert lin <= nxt * (1 + 1e-10) + 1e-12


@given(model=rate_models(), lots=lot_logs(), interp=st.sampled_from(INTERPOLATIONS))
def test_batch_results_equal_per_lot_results(
    model: RateModel, lots: dict[str, object], interp: str
) -> None:
    logs = lots["logs"]
    assert isinstance(logs, list)
    singles = [equivalent_time(t, c, model, interpolation=interp) for t, c in logs]
    batch = equivalent_time(lots["times_h"], lots["temps_c"], model, interpolation=interp)
    np.testing.assert_allclose(batch, singles, rtol=1e-12, atol=1e-12)
    ids = np.concatenate([np.full(len(t), i) for i, (t, _) in enumerate(logs)])
    long = equivalent_time(np.concatenate([t for t, _ in logs]),
                           np.concatenate([c for _, c in logs]), model, interpolation=interp,
                           lot_ids=ids)
    np.testing.assert_allclose(long, singles, rtol=1e-12, atol=1e-12)


@given(model=rate_models(), log=temperature_logs(), life=st.floats(1.0, 500.0),
       forecast=st.none() | st.floats(-5.0, 30.0))
def test_remaining_life_is_never_negative(
    model: RateModel, log: tuple[FloatArray, FloatArray], life: float, forecast: float | None
) -> None:
    times, temps = log
    left = remaining_life(times, temps, model, life, forecast_temp_c=forecast)
    assert left >= 0


@given(rule=shelf_life_rules(), lots=lot_logs(gaps=True, min_temp_c=-10.0),
       now=st.floats(0.0, 200.0), interp=st.sampled_from(INTERPOLATIONS))
def test_assessment_is_consistent_and_never_negative(
    rule: object, lots: dict[str, object], now: float, interp: str
) -> None:
    logs = lots["logs"]
    assert isinstance(logs, list)
    out = assess_lots(lots["times_h"], lots["temps_c"], rule, now, interpolation=interp)  # type: ignore[arg-type]
    assert np.all(out.remaining_h >= 0)
    assert np.all(out.consumed_h >= 0)
    assert np.all(out.gap_h >= 0)
    assert np.all(out.expiry_h >= now)
    assert np.all(out.level_code[out.hard_limit_breach] == 3)
    # a lot is flagged exactly when it had a gap or an implausible reading
    assert np.array_equal(out.data_quality_flag, (out.gap_h > 0) | (out.implausible_count > 0))
    # batch == per lot
    for i, (t, c) in enumerate(logs):
        one = assess_lots(t, c, rule, now, interpolation=interp)  # type: ignore[arg-type]
        assert one.consumed_h[0] == pytest.approx(out.consumed_h[i], rel=1e-12, abs=1e-12)
        assert one.level.tolist() == [out.level[i]]


@given(model=rate_models(), log=temperature_logs(), interp=st.sampled_from(INTERPOLATIONS))
def test_clean_assessment_matches_equivalent_time(
    model: RateModel, log: tuple[FloatArray, FloatArray], interp: str
) -> None:
    from jxc_rules.shelf_life import ShelfLifeRule

    times, temps = log
    rule = ShelfLifeRule(model, 1000.0)
    out = assess_lots(times, temps, rule, times[-1], interpolation=interp)
    assert out.consumed_h[0] == pytest.approx(
        equivalent_time(times, temps, model, interpolation=interp), rel=1e-12, abs=1e-12)
    assert not out.data_quality_flag[0]
