"""Shelf life: equivalent time of 10⁵ lots × 288 readings (a day at 5-minute logging) in one call,
against a per-reading Python loop (timed on a sample of lots and scaled)."""

from __future__ import annotations

import math

import numpy as np
from _harness import Baseline, Case

from jxc_rules.shelf_life import (
    Q10,
    Arrhenius,
    HardLimit,
    ShelfLifeRule,
    SquareRoot,
    assess_lots,
    equivalent_time,
)

READINGS = 288  # 24 h at 5-minute logging


def _logs(lots: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    times = np.arange(READINGS) * (5.0 / 60.0)
    drift = rng.normal(0.0, 0.15, (lots, READINGS)).cumsum(axis=1)
    temps = 3.0 + rng.uniform(0.0, 5.0, (lots, 1)) + drift
    return times, np.round(temps, 1)  # loggers report 0.1 °C


def _loop_q10(times: np.ndarray, temps: np.ndarray, q10: float, ref: float) -> list[float]:
    """Per reading: the exact linear-ramp integral of a Q10 rate, one interval at a time."""
    k = math.log(q10) / 10.0
    out = []
    for row in temps:
        total = 0.0
        for i in range(len(row) - 1):
            dt = times[i + 1] - times[i]
            r0 = math.exp(k * (row[i] - ref))
            x = k * (row[i + 1] - row[i])
            total += dt * (r0 * (1 + x / 2) if abs(x) < 1e-4 else r0 * math.expm1(x) / x)
        out.append(total)
    return out


def _loop_arrhenius(times: np.ndarray, temps: np.ndarray, ea: float, ref: float) -> list[float]:
    """Per reading: 8-point Gauss–Legendre on each linear ramp of an Arrhenius rate."""
    nodes, weights = np.polynomial.legendre.leggauss(8)
    c = ea * 1000.0 / 8.314462618
    inv_ref = 1.0 / (ref + 273.15)
    out = []
    for row in temps:
        total = 0.0
        for i in range(len(row) - 1):
            dt = times[i + 1] - times[i]
            a, b = row[i] + 273.15, row[i + 1] + 273.15
            mid, half = (a + b) / 2, (b - a) / 2
            acc = 0.0
            for x, w in zip(nodes, weights, strict=True):
                acc += w * math.exp(-c * (1.0 / (mid + half * x) - inv_ref))
            total += dt * acc / 2
        out.append(total)
    return out


def cases(scale: float) -> list[Case]:
    lots = max(20, int(100_000 * scale))
    times, temps = _logs(lots)
    size = lots * READINGS
    sample = min(lots, 100)
    q10 = Q10(3.0, 4.0)
    arr = Arrhenius(90.0, 4.0)
    sqrt_model = SquareRoot(-6.0, 4.0)
    rule = ShelfLifeRule(q10, "10 d", alert_offset_h="2 d", removal_offset_h="12 h",
                         hard_limits=[HardLimit(4, above_c=8), HardLimit(2, above_c=10,
                                                                         continuous=True)],
                         max_gap_h=0.25, freeze_point_c=-1.0)
    ids = np.repeat(np.arange(lots), READINGS)
    long_times = np.tile(times, lots)
    long_temps = temps.ravel()

    def check() -> None:
        ours = equivalent_time(times, temps[:sample], q10)
        np.testing.assert_allclose(ours, _loop_q10(times, temps[:sample], 3.0, 4.0), rtol=1e-10)
        ours_a = equivalent_time(times, temps[:5], arr)
        np.testing.assert_allclose(ours_a, _loop_arrhenius(times, temps[:5], 90.0, 4.0),
                                   rtol=1e-9)
        long = equivalent_time(long_times[: sample * READINGS], long_temps[: sample * READINGS],
                               q10, lot_ids=ids[: sample * READINGS])
        np.testing.assert_allclose(long, ours, rtol=1e-12)
        assessed = assess_lots(times, temps[:sample], rule, now_h=times[-1])
        assert np.all(assessed.remaining_h >= 0)

    target = ">= 3e7 readings/s"
    return [
        Case("equivalent_time Q10 linear, lots × 288", size,
             lambda: equivalent_time(times, temps, q10),
             [Baseline("per-reading Python loop", lambda: _loop_q10(times, temps[:sample],
                                                                    3.0, 4.0),
                       sample=sample * READINGS)],
             unit="readings", target=target, check=check),
        Case("equivalent_time Q10 previous, lots × 288", size,
             lambda: equivalent_time(times, temps, q10, interpolation="previous"),
             unit="readings", target=target),
        Case("equivalent_time square root linear, lots × 288", size,
             lambda: equivalent_time(times, temps, sqrt_model),
             unit="readings", target=target),
        Case("equivalent_time Arrhenius linear (Gauss–Legendre), lots × 288", size,
             lambda: equivalent_time(times, temps, arr),
             [Baseline("per-reading Python loop (8-pt GL)",
                       lambda: _loop_arrhenius(times, temps[:20], 90.0, 4.0),
                       sample=20 * READINGS)],
             unit="readings", target=target),
        Case("equivalent_time Q10 linear, long format", size,
             lambda: equivalent_time(long_times, long_temps, q10, lot_ids=ids),
             unit="readings"),
        Case("assess_lots (levels, 2 hard limits, gaps, freezing), lots × 288", size,
             lambda: assess_lots(times, temps, rule, now_h=times[-1]),
             unit="readings"),
    ]
