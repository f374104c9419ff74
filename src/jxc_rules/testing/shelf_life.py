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

__all__ = [
    "lot_logs",
    "rate_models",
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


@st.composite
def temperature_logs(
    draw: st.DrawFn,
    min_size: int = 2,
    max_size: int = 30,
    *,
    min_temp_c: float = -5.0,
    max_temp_c: float = 40.0,
    max_step_h: float = 4.0,
    gaps: bool = False,
) -> tuple[FloatArray, FloatArray]:
    """One lot's log ``(times_h, temps_c)``: strictly increasing times from 0, temperatures
    in range. With ``gaps=True`` some readings strictly inside the log are NaN."""
    n = draw(st.integers(min_size, max_size))
    steps = draw(st.lists(_floats(0.01, max_step_h), min_size=n - 1, max_size=n - 1))
    times = np.concatenate([[0.0], np.cumsum(steps)]).astype(np.float64)
    temps = np.array(draw(st.lists(_floats(min_temp_c, max_temp_c), min_size=n, max_size=n)),
                     dtype=np.float64)
    if gaps and n > 2:
        holes = draw(st.lists(st.integers(1, n - 2), max_size=max(1, n // 4), unique=True))
        temps[holes] = np.nan
    return times, temps


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
