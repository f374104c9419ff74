"""Hardening: NaN in one-lot logs, absolute zero, overflow, option validation."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jxc_rules.errors import JxcRulesError, TimeSeriesError, ValidationError
from jxc_rules.shelf_life import (
    Q10,
    Arrhenius,
    ShelfLifeRule,
    SquareRoot,
    equivalent_time,
    remaining_life,
    shelf_life_at,
)

NAN = float("nan")
M = Q10(q10=3, ref_temp_c=4)


@pytest.mark.parametrize(("times", "temps", "row"), [
    ([0, 48, 96, 144], [12, NAN, NAN, NAN], 1),   # trailing
    ([0, 48], [12, NAN], 1),
    ([0, 48, 96], [NAN, 12, 12], 0),              # leading
    ([0, 48, 96], [12, NAN, 12], 1),              # interior
    ([0, 48], [NAN, NAN], 0),
])
@pytest.mark.parametrize("interpolation", ["previous", "next", "trapezoid", "linear"])
def test_one_lot_nan_anywhere_is_refused(times: list[float], temps: list[float], row: int,
                                         interpolation: str) -> None:
    with pytest.raises(TimeSeriesError, match=r"temps_c.*missing.*drop the missing") as info:
        remaining_life(times, temps, M, 240, interpolation=interpolation)
    assert isinstance(info.value, JxcRulesError)
    assert info.value.field == "temps_c"
    assert info.value.row == row
    assert f"reading {row}" in str(info.value)
    with pytest.raises(TimeSeriesError):
        equivalent_time(times, temps, M, interpolation=interpolation)


def test_one_lot_nan_time_is_refused() -> None:
    with pytest.raises(ValidationError, match="times_h") as info:
        equivalent_time([0, NAN], [12, 12], M)
    assert info.value.row == 1


def test_two_d_trailing_padding_still_works() -> None:
    got = np.asarray(equivalent_time([[0, 24, 48], [0, 24, NAN]],
                                     [[4, 4, 4], [14, 14, NAN]], M))
    assert got.round(9).tolist() == [48.0, 72.0]


@pytest.mark.parametrize("cold", [-273.15, -300.0, -1e6])
def test_below_absolute_zero_is_refused(cold: float) -> None:
    for model in (M, Arrhenius(80, 4)):
        with pytest.raises(ValidationError, match=r"temps_c.*absolute zero.*reading 1") as info:
            equivalent_time([0, 1, 2], [4, cold, 4], model)
        assert info.value.field == "temps_c"
        assert info.value.row == 1
        with pytest.raises(ValidationError, match=r"absolute zero.*lot 1, reading 2"):
            equivalent_time([0, 1, 2], [[4, 4, 4], [4, 4, cold]], model)
        with pytest.raises(ValidationError, match="absolute zero") as info:
            equivalent_time([0, 1, 0, 1], [4, 4, 4, cold], model, lot_ids=list("aabb"))
        assert info.value.row == 3
        with pytest.raises(ValidationError):
            remaining_life([0, 1], [cold, 4], model, 240)
    with pytest.raises(ValidationError, match="forecast_temp_c"):
        remaining_life([0, 1], [4, 4], M, 240, forecast_temp_c=-300)
    with pytest.raises(ValidationError, match="temp_c"):
        shelf_life_at(-300, 10, M)


@pytest.mark.parametrize("interpolation", ["previous", "next", "trapezoid", "linear"])
@pytest.mark.parametrize("model", [Q10(3, 4), SquareRoot(-10, 4), Q10(1e6, 4)])
def test_extreme_temperatures_expire_without_warnings(model: object,
                                                      interpolation: str) -> None:
    hot = 1e6 if not isinstance(model, SquareRoot) else 1e200
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        used = equivalent_time([0, 1, 2], [4, hot, 4], model,  # type: ignore[arg-type]
                               interpolation=interpolation)
        assert used == np.inf
        left = remaining_life([0, 1, 2], [4, hot, 4], model, 240,  # type: ignore[arg-type]
                              interpolation=interpolation)
        assert left == 0.0
        two = np.asarray(equivalent_time([[0, 1, 2], [0, 1, np.nan]], [[4, hot, 4], [4, 4, np.nan]],
                              model, interpolation=interpolation))  # type: ignore[arg-type]
        assert two[0] == np.inf
        assert np.isfinite(two[1])
        long = np.asarray(equivalent_time([0, 1, 0, 1], [hot, hot, 4, 4], model,  # type: ignore[arg-type]
                               lot_ids=list("aabb"), interpolation=interpolation))
        assert long[0] == np.inf
        assert np.isfinite(long[1])
        assert remaining_life([0, 1], [4, 4], model, 240,  # type: ignore[arg-type]
                              forecast_temp_c=hot) == 0.0


@pytest.mark.parametrize("gap", [-1, 0, NAN, "x"])
def test_bad_max_gap_is_refused(gap: object) -> None:
    with pytest.raises(ValidationError, match="max_gap_h"):
        equivalent_time([0, 1], [4, 4], M, max_gap_h=gap)  # type: ignore[arg-type]


@pytest.mark.parametrize("rng", [(50, -50), (5, 5), (NAN, 10), (1, 2, 3), "ab"])
def test_bad_plausible_range_is_refused(rng: object) -> None:
    with pytest.raises(ValidationError, match="plausible_range_c"):
        equivalent_time([0, 1], [4, 4], M, plausible_range_c=rng)  # type: ignore[arg-type]


def test_rule_refuses_inverted_plausible_range() -> None:
    with pytest.raises(ValidationError, match="plausible_range_c"):
        ShelfLifeRule(M, 240.0, plausible_range_c=(50, -50))


# ------------------------------------------------------------------ 2-D: padding is explicit

def test_a_two_d_lot_whose_logger_stopped_is_not_full_life_left() -> None:
    # the case inside a batch: 144 h at 12 °C, only the first reading logged
    times = [0, 48, 96, 144]
    temps = [[4, 4, 4, 4], [12, NAN, NAN, NAN]]
    with pytest.raises(TimeSeriesError, match=r"end of the log \(lot 1, reading 1\)") as info:
        remaining_life(times, temps, M, 240, interpolation="previous")
    assert info.value.row == (1, 1)
    assert info.value.field == "temps_c"


@given(n=st.integers(2, 6), pad_before=st.integers(0, 3), pad_after=st.integers(0, 3),
       temps=st.lists(st.floats(-5, 30), min_size=6, max_size=6))
def test_explicit_padding_in_per_lot_times_equals_the_unpadded_lot(
        n: int, pad_before: int, pad_after: int, temps: list[float]) -> None:
    t = np.arange(n, dtype=float) * 6.0
    tp = np.asarray(temps[:n])
    pad_t = np.r_[np.full(pad_before, NAN), t, np.full(pad_after, NAN)]
    pad_c = np.r_[np.full(pad_before, NAN), tp, np.full(pad_after, NAN)]
    full_t = np.r_[np.full(pad_before, 0.0), t, np.full(pad_after, 0.0)]  # a second, full lot
    grid_t = np.vstack([pad_t, np.arange(full_t.size, dtype=float)])
    grid_c = np.vstack([pad_c, np.full(full_t.size, 4.0)])
    got = np.asarray(equivalent_time(grid_t, grid_c, M))
    assert got[0] == pytest.approx(equivalent_time(t, tp, M), rel=1e-12)
    if pad_after:  # the same NaN tail on one shared clock is a missing reading, not padding
        with pytest.raises(TimeSeriesError, match="missing reading at the end"):
            equivalent_time(np.arange(pad_t.size, dtype=float), grid_c, M)


def test_hard_limits_as_a_0d_array_is_named_not_a_type_error() -> None:
    """Fuzz find (dev profile): ``hard_limits=np.array(5.)`` passed the Iterable check and failed
    in iteration with a bare TypeError."""
    import numpy as np

    from jxc_rules.errors import ValidationError
    from jxc_rules.shelf_life import Q10
    from jxc_rules.shelf_life.lots import ShelfLifeRule

    with pytest.raises(ValidationError, match="hard_limits must be a HardLimit") as info:
        ShelfLifeRule(Q10(q10=2.0, ref_temp_c=0.0), shelf_life_ref_h=24.0,
                      hard_limits=np.array(5.0))
    assert info.value.field == "hard_limits"
