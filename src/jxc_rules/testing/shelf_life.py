"""Hypothesis strategies for shelf life: rate models, temperature logs (with gaps), lots, rules.

Every strategy returns *valid* input for :mod:`jxc_rules.shelf_life`; narrow it with the
parameters. Arrays are ``numpy`` float64; times in hours, temperatures in °C.

>>> from hypothesis import given
>>> from jxc_rules.testing import rate_models, temperature_logs
>>> @given(rate_models(), temperature_logs())
... def test_consumed_time_is_never_negative(model, log): ...
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from jxc_rules.shelf_life import (
    Q10,
    Arrhenius,
    Bigelow,
    HardLimit,
    RateModel,
    RateTable,
    ShelfLifeRule,
    SquareRoot,
)
from jxc_rules.testing import _args

__all__ = [
    "lot_logs",
    "rate_models",
    "reading_arrays",
    "shelf_life_rules",
    "temperature_logs",
]

FloatArray = npt.NDArray[np.float64]

TABLE_RANGE_C = (-60.0, 80.0)
"""Generated :class:`RateTable` models cover this range, wider than any generated log."""


def _floats(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


@st.composite
def _rate_tables(draw: st.DrawFn, ref_temp_c: float) -> RateTable:
    inner = draw(st.lists(_floats(-40.0, 60.0), min_size=1, max_size=5, unique=True))
    knots = {round(t, 3) for t in inner}
    temps = sorted({TABLE_RANGE_C[0], TABLE_RANGE_C[1], ref_temp_c,
                    *[t for t in knots if abs(t - ref_temp_c) >= 1e-3]})
    steps = draw(st.lists(_floats(0.0, 2.0), min_size=len(temps) - 1,
                          max_size=len(temps) - 1))
    rates = np.concatenate([[0.05], 0.05 + np.cumsum(steps)])
    return RateTable.normalised(temps, rates, ref_temp_c)


def rate_models(
    ref_temp_c: float | None = None,
    *,
    kinds: tuple[str, ...] = ("q10", "arrhenius", "bigelow", "square_root", "table"),
) -> st.SearchStrategy[RateModel]:
    """Rate models of the given ``kinds`` with parameters in chilled-food ranges (Q10 1.5–5,
    Ea 30–150 kJ/mol, z 8–40 °C, T_min −15…−1 °C). ``ref_temp_c`` defaults to 0–10 °C."""
    kinds = _args.check_choices("rate_models", "kinds", kinds,
                                ("q10", "arrhenius", "bigelow", "square_root", "table"))
    if ref_temp_c is not None:
        _args.check_float_range("rate_models", ref_temp_c, ref_temp_c,
                                ("ref_temp_c", "ref_temp_c"))
    refs = st.just(float(ref_temp_c)) if ref_temp_c is not None else _floats(0.0, 10.0)
    options: dict[str, st.SearchStrategy[RateModel]] = {
        "q10": st.builds(Q10, _floats(1.5, 5.0), refs),
        "arrhenius": st.builds(Arrhenius, _floats(30.0, 150.0), refs),
        "bigelow": st.builds(Bigelow, _floats(8.0, 40.0), refs),
        "square_root": refs.flatmap(
            lambda r: st.builds(SquareRoot, _floats(r - 20.0, r - 1.0), st.just(r))),
        "table": refs.flatmap(lambda r: _rate_tables(r)),
    }
    return st.one_of(*[options[k] for k in kinds])


NAN_PATTERNS = ("none", "mid", "leading", "trailing", "all", "any")
"""Where :func:`temperature_logs` / :func:`reading_arrays` put NaN readings: nowhere, strictly
inside, a leading run, a trailing run, every reading, or any of these."""
TIME_PATTERNS = ("increasing", "repeated", "backwards", "any")
"""Timestamps: strictly increasing (valid), one repeated, one going backwards (both invalid:
the kernels raise ``TimeSeriesError``), or any of these."""


def _place_nans(draw: st.DrawFn, temps: FloatArray, pattern: str) -> None:
    n = len(temps)
    if pattern == "any":
        pattern = draw(st.sampled_from(NAN_PATTERNS[:-1]))
    if pattern == "none" or n == 0:
        return
    if pattern == "all":
        temps[:] = np.nan
    elif pattern == "leading":
        temps[: draw(st.integers(1, max(1, n - 1)))] = np.nan
    elif pattern == "trailing":
        temps[n - draw(st.integers(1, max(1, n - 1))):] = np.nan
    elif n > 2:  # mid: strictly inside the log
        holes = draw(st.lists(st.integers(1, n - 2), min_size=1, max_size=max(1, n // 4),
                              unique=True))
        temps[holes] = np.nan


def _break_times(draw: st.DrawFn, times: FloatArray, pattern: str) -> None:
    n = len(times)
    if pattern == "any":
        pattern = draw(st.sampled_from(TIME_PATTERNS[:-1]))
    if pattern == "increasing" or n < 2:
        return
    i = draw(st.integers(1, n - 1))
    if pattern == "repeated":
        times[i] = times[i - 1]
    else:  # backwards: reading i is stamped before reading i - 1
        times[i] = times[i - 1] - draw(st.sampled_from((0.25, 1.0, 24.0)))


def _check_log_args(name: str, min_size: int, max_size: int, min_temp_c: float,
                    max_temp_c: float, nan: str, times: str) -> None:
    _args.check_sizes(name, min_size, max_size, minimum=1)
    _args.check_float_range(name, min_temp_c, max_temp_c, ("min_temp_c", "max_temp_c"))
    _args.check_choice(name, "nan", nan, NAN_PATTERNS)
    _args.check_choice(name, "times", times, TIME_PATTERNS)


def temperature_logs(
    min_size: int = 2,
    max_size: int = 30,
    *,
    min_temp_c: float = -5.0,
    max_temp_c: float = 40.0,
    max_step_h: float = 4.0,
    gaps: bool = False,
    nan: str = "none",
    times: str = "increasing",
) -> st.SearchStrategy[tuple[FloatArray, FloatArray]]:
    """One lot's log ``(times_h, temps_c)``: strictly increasing times from 0, temperatures
    in range. With ``gaps=True`` some readings strictly inside the log are NaN (``nan="mid"``).

    On request, edge cases: ``nan`` in :data:`NAN_PATTERNS` (``"leading"``, ``"trailing"``,
    ``"all"`` — a logger that started late, died early or never worked) and ``times`` in
    :data:`TIME_PATTERNS` (``"repeated"``, ``"backwards"`` — invalid, for error-path tests).
    For long logs (a week of 5-minute readings) use :func:`reading_arrays`.
    """
    _check_log_args("temperature_logs", min_size, max_size, min_temp_c, max_temp_c, nan, times)
    _args.check_float_range("temperature_logs", 0.01, max_step_h, ("0.01", "max_step_h"))
    return _temperature_logs(min_size, max_size, min_temp_c, max_temp_c, max_step_h,
                             "mid" if gaps and nan == "none" else nan, times)


@st.composite
def _temperature_logs(
    draw: st.DrawFn, min_size: int, max_size: int, min_temp_c: float, max_temp_c: float,
    max_step_h: float, nan: str, times_pattern: str,
) -> tuple[FloatArray, FloatArray]:
    n = draw(st.integers(min_size, max_size))
    steps = draw(st.lists(_floats(0.01, max_step_h), min_size=n - 1, max_size=n - 1))
    times = np.concatenate([[0.0], np.cumsum(steps)]).astype(np.float64)
    temps = np.array(draw(st.lists(_floats(min_temp_c, max_temp_c), min_size=n, max_size=n)),
                     dtype=np.float64)
    _place_nans(draw, temps, nan)
    _break_times(draw, times, times_pattern)
    return times, temps


def reading_arrays(
    n_readings: int | st.SearchStrategy[int] = 2016,
    *,
    step_minutes: float = 5.0,
    start_h: float = 0.0,
    min_temp_c: float = -2.0,
    max_temp_c: float = 12.0,
    nan: str = "none",
    times: str = "increasing",
) -> st.SearchStrategy[tuple[FloatArray, FloatArray]]:
    """Long logger logs ``(times_h, temps_c)`` drawn as numpy arrays
    (``hypothesis.extra.numpy.arrays``), cheap at any length: the default is a week of
    5-minute readings (2,016) and passes hypothesis's health checks.

    Times are a regular grid of ``step_minutes`` from ``start_h`` (so a log crosses midnight
    every 288 readings); temperatures are a sparse array — a few drawn readings over a drawn
    background, the way ``arrays`` fills — in [``min_temp_c``, ``max_temp_c``]. ``nan`` and
    ``times`` as in :func:`temperature_logs`.
    """
    name = "reading_arrays"
    if isinstance(n_readings, st.SearchStrategy):
        sizes = n_readings
    else:
        _args.check_int(name, "n_readings", n_readings, 1)
        sizes = st.just(n_readings)
    _check_log_args(name, 1, 1, min_temp_c, max_temp_c, nan, times)
    if isinstance(step_minutes, bool) or not isinstance(step_minutes, (int, float)) or not (
            step_minutes > 0):
        raise _args.fail(name, f"step_minutes must be > 0, got {step_minutes!r}")
    _args.check_float_range(name, start_h, start_h, ("start_h", "start_h"))
    elements = st.floats(min_temp_c, max_temp_c, allow_nan=False, allow_infinity=False,
                         width=64)

    @st.composite
    def build(draw: st.DrawFn) -> tuple[FloatArray, FloatArray]:
        n = draw(sizes)
        temps = draw(hnp.arrays(np.float64, n, elements=elements)).astype(np.float64)
        grid = start_h + np.arange(n, dtype=np.float64) * (float(step_minutes) / 60.0)
        _place_nans(draw, temps, nan)
        _break_times(draw, grid, times)
        return grid, temps

    return build()


def _check_lot_logs(max_lots: int = 6, max_readings: int = 20, *, min_temp_c: float = -5.0,
                    max_temp_c: float = 40.0, gaps: bool = False) -> None:
    _args.check_int("lot_logs", "max_lots", max_lots, 1)
    _args.check_int("lot_logs", "max_readings", max_readings, 1)
    _args.check_float_range("lot_logs", min_temp_c, max_temp_c, ("min_temp_c", "max_temp_c"))


def _check_rules(models: st.SearchStrategy[RateModel] | None = None) -> None:
    if models is not None and not isinstance(models, st.SearchStrategy):
        raise _args.fail("shelf_life_rules", f"models must be a strategy of rate models "
                         f"(st.just(model) for one), got {models!r}")


@_args.checked(_check_lot_logs)
@st.composite
def lot_logs(
    draw: st.DrawFn,
    max_lots: int = 6,
    max_readings: int = 20,
    *,
    min_temp_c: float = -5.0,
    max_temp_c: float = 40.0,
    gaps: bool = False,
) -> dict[str, Any]:
    """Several lots as ``{"times_h", "temps_c"}`` 2-D NaN-padded arrays (trailing padding),
    plus ``"logs"``: the list of each lot's own 1-D ``(times_h, temps_c)``."""
    n_lots = draw(st.integers(1, max_lots))
    logs = [draw(temperature_logs(1, max_readings, min_temp_c=min_temp_c,
                                  max_temp_c=max_temp_c, gaps=gaps)) for _ in range(n_lots)]
    width = max(len(t) for t, _ in logs)
    times = np.full((n_lots, width), np.nan)
    temps = np.full((n_lots, width), np.nan)
    for i, (t, c) in enumerate(logs):
        times[i, : len(t)] = t
        temps[i, : len(c)] = c
    return {"times_h": times, "temps_c": temps, "logs": logs}


@_args.checked(_check_rules)
@st.composite
def shelf_life_rules(draw: st.DrawFn, models: st.SearchStrategy[RateModel] | None = None
                     ) -> ShelfLifeRule:
    """Valid :class:`ShelfLifeRule` values (offsets, limits, freezing and gap settings drawn)."""
    model = draw(models if models is not None else rate_models())
    life = draw(_floats(24.0, 720.0))
    alert = draw(_floats(0.0, life * 0.5))
    removal = draw(_floats(0.0, alert))
    limits = draw(st.lists(st.builds(
        HardLimit, _floats(0.5, 24.0), above_c=_floats(0.0, 20.0),
        below_c=st.none() | _floats(25.0, 65.0), continuous=st.booleans()), max_size=2))
    return ShelfLifeRule(
        model=model, shelf_life_ref_h=life, alert_offset_h=alert, removal_offset_h=removal,
        hard_limits=limits,
        freeze_point_c=draw(st.none() | _floats(-3.0, -0.5)),
        max_gap_h=draw(st.none() | _floats(0.5, 6.0)),
        worst_case_temp_c=draw(st.none() | _floats(10.0, 30.0)),
    )
