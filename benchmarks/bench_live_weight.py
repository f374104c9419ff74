"""``reconcile`` over 10⁶ shipments vs a per-shipment Python loop (the naive way), and the
``expected_weight`` kernel vs hand-written numpy (the floor). Target: ≥ 10 M shipments/s."""

from __future__ import annotations

import math

import numpy as np
from _harness import Baseline, Case

from jxc_rules.live_weight import Reconciliation, TransitModel, expected_weight, reconcile


def cases(scale: float) -> list[Case]:
    n = max(1000, int(1_000_000 * scale))
    rng = np.random.default_rng(0)
    shipped = rng.uniform(200, 5000, n)
    hours = rng.uniform(2, 14, n)
    dead = shipped * rng.uniform(0, 0.02, n)
    received = (shipped - dead) * 0.997**hours * np.exp(rng.normal(0, 0.01, n))
    temps = rng.uniform(18, 32, n)
    rate, tol = 0.003, 5.0
    sample = min(n, 20_000)
    model = TransitModel(rate, q10=2.0, ref_temp_c=25.0)

    def ours() -> Reconciliation:
        return reconcile(shipped, received, hours, rate_per_hour=rate, dead_kg=dead,
                         tolerance_kg=tol)

    def python_loop() -> list[tuple[float, float, float, bool]]:
        out = []
        log_keep = math.log1p(-rate)
        for s, r, h, d in zip(shipped[:sample].tolist(), received[:sample].tolist(),
                              hours[:sample].tolist(), dead[:sample].tolist(), strict=True):
            if h < 0 or d > s or s < 0 or r < 0:
                raise ValueError("bad row")
            live = s - d
            expected = live * math.exp(h * log_keep)
            unexplained = expected - r
            out.append((expected, live - expected, unexplained, abs(unexplained) > tol))
        return out

    def numpy_floor() -> tuple[np.ndarray, ...]:
        live = shipped - dead
        expected = live * np.exp(hours * np.log1p(-rate))
        unexplained = expected - received
        return expected, live - expected, unexplained, np.abs(unexplained) > tol

    def check() -> None:
        rec = ours()
        loop = np.array(python_loop()[:200], dtype=np.float64)
        np.testing.assert_allclose(rec.expected_kg[:200], loop[:, 0], rtol=1e-12)
        np.testing.assert_allclose(rec.expected_shrink_kg[:200], loop[:, 1], rtol=1e-9)
        np.testing.assert_allclose(rec.unexplained_kg[:200], loop[:, 2], rtol=1e-9, atol=1e-9)
        np.testing.assert_array_equal(rec.flagged[:200], loop[:, 3].astype(bool))
        floor = numpy_floor()
        np.testing.assert_allclose(rec.expected_kg, floor[0], rtol=1e-12)

    def model_ours() -> Reconciliation:
        return model.reconcile(shipped, received, hours, temps, dead_kg=dead, tolerance_kg=tol)

    def model_loop() -> list[float]:
        out = []
        for s, r, h, d, t in zip(shipped[:sample].tolist(), received[:sample].tolist(),
                                 hours[:sample].tolist(), dead[:sample].tolist(),
                                 temps[:sample].tolist(), strict=True):
            k = rate * 2.0 ** ((t - 25.0) / 10.0)
            out.append((s - d) * (1 - k) ** h - r)
        return out

    def model_check() -> None:
        rec = model_ours()
        np.testing.assert_allclose(rec.unexplained_kg[:200], model_loop()[:200], rtol=1e-9,
                                   atol=1e-9)

    def weight_check() -> None:
        np.testing.assert_allclose(expected_weight(shipped, hours, rate_per_hour=rate),
                                   shipped * (1 - rate) ** hours, rtol=1e-12)

    return [
        Case("reconcile (compound, dead, tolerance)", n, ours,
             [Baseline("per-shipment Python loop", python_loop, sample=sample),
              Baseline("hand-written numpy, no checks", numpy_floor)],
             unit="shipments", target=">= 1e7 shipments/s", check=check),
        Case("TransitModel.reconcile with temp_c (Q10)", n, model_ours,
             [Baseline("per-shipment Python loop", model_loop, sample=sample)],
             unit="shipments", check=model_check),
        Case("expected_weight (compound)", n,
             lambda: expected_weight(shipped, hours, rate_per_hour=rate),
             [Baseline("numpy (1 − r)**t", lambda: shipped * (1 - rate) ** hours)],
             unit="shipments", check=weight_check),
    ]
