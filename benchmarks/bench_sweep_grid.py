"""A committee's grid (#17): 9 × 9 points of the bundled hotpot compare at 1,000 trials each
(× ``--scale``) — the assumed Spring Festival dine-in uplift of the candidate × the true one —
goal ≤ 30 s on the 2-core machine. Beside it, the same grid with the world recompiled and the
random numbers redrawn at every point (the naive way: 81 independent compares)."""

from __future__ import annotations

from typing import Any

import numpy as np
from _harness import Baseline, Case

from jxc_rules.simulate import compare, sweep
from jxc_rules.simulate.sweep import apply_parameter

SCENARIO = "hotpot-spring-festival"
ASSUMED = "candidate.holidays.Spring Festival.dine_in.during[0]"
TRUE = "holiday.spring_festival.dine_in.uplift"


def cases(scale: float) -> list[Case]:
    trials = max(50, int(1000 * scale))
    n = 9 if scale >= 0.5 else 3
    assumed = [round(x, 3) for x in np.linspace(1.0, 2.0, n)]
    true = [round(x, 3) for x in np.linspace(0.0, 0.8, n)]

    def ours() -> Any:
        return sweep(SCENARIO, [(ASSUMED, assumed), (TRUE, true)], trials=trials, seed=0)

    def naive(points: int = 3) -> Any:
        """Each point its own compare on fresh draws (seed = point): a sample of points."""
        from jxc_rules.rules import load_pack
        from jxc_rules.rules.edit import set_field
        from jxc_rules.simulate import load_scenario

        sc = load_scenario(SCENARIO)
        base = load_pack("hotpot", version="2026.10")
        cand = load_pack("hotpot", version="2026.11")
        for k in range(points):
            world = apply_parameter(sc, TRUE, true[k % n])
            pack = set_field(cand, ASSUMED.removeprefix("candidate."), assumed[k % n])
            compare(world, base, pack, trials=trials, seed=k)

    def check() -> None:
        res = sweep(SCENARIO, [(ASSUMED, assumed[:2]), (TRUE, true[:2])], trials=40, seed=1)
        base = res.kpis[res.rules[0]]
        assert base[0]["stockout_rate"] == base[2]["stockout_rate"]  # CRN across the assumption

    return [Case(f"sweep grid: hotpot compare, {n} x {n} points x {trials} trials",
                 n * n, ours, [Baseline("81 independent compares (sampled)", lambda: naive(3),
                                        sample=3)],
                 unit="points", target="<= 30 s in all", check=check)]
