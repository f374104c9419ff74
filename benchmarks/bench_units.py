"""``convert`` on an array vs plain numpy (the floor) and vs a pint scalar loop (the naive way)."""

from __future__ import annotations

import numpy as np
from _harness import Baseline, Case

from jxc_rules.units import convert, ureg


def cases(scale: float) -> list[Case]:
    n = max(1000, int(1_000_000 * scale))
    values = np.random.default_rng(0).uniform(0, 100, n)
    factor = 0.002  # g -> jin (1 jin = 500 g), hand-written: the plain-numpy floor
    sample = min(n, 20_000)

    def pint_loop() -> list[float]:
        return [ureg.Quantity(v, "g").to("jin").magnitude for v in values[:sample]]

    def check() -> None:
        np.testing.assert_allclose(convert(values[:100], "g", "斤"), values[:100] * factor)
        np.testing.assert_allclose(pint_loop()[:100], values[:100] * factor)

    return [
        Case(
            "convert g→斤 (array)", n, lambda: convert(values, "g", "斤"),
            [Baseline("plain numpy multiply", lambda: values * factor),
             Baseline("pint scalar loop", pint_loop, sample=sample),
             Baseline("pint array Quantity", lambda: ureg.Quantity(values, "g").to("jin"))],
            unit="values", check=check,
        )
    ]
