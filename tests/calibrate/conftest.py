"""Synthetic store histories with known truth, shared by the calibration tests.

Two years (2025-01-01 .. 2026-12-31) of the bundled hotpot world
(``hotpot-spring-festival-2027`` over another horizon), exported as a store would record them
(``jxc_rules.simulate.history``): the scenario's holiday and weather effects are the truth the
fits must recover.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("statsmodels", reason="calibration needs the [calibrate] extra: "
                    "pip install -e '.[calibrate]'")

SEEDS = (0, 1, 2, 3, 4)
HORIZON = (dt.date(2025, 1, 1), dt.date(2026, 12, 31))


@pytest.fixture(scope="session")
def pack() -> Any:
    from jxc_rules.rules import load_pack

    return load_pack("hotpot", version="2026.10")


@pytest.fixture(scope="session")
def world() -> Any:
    from jxc_rules.simulate import load_scenario

    return load_scenario("hotpot-spring-festival-2027", horizon=HORIZON)


@pytest.fixture(scope="session")
def histories(world: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """seed → CSV of two years under the baseline pack (stock-outs are rare)."""
    from jxc_rules.simulate.history import export_history, history_csv

    folder = tmp_path_factory.mktemp("histories")
    out = {}
    for seed in SEEDS:
        path = folder / f"seed{seed}.csv"
        history_csv(export_history(world, seed=seed), path)
        out[seed] = path
    return out


@pytest.fixture(scope="session")
def lean_histories(world: Any, pack: Any, tmp_path_factory: pytest.TempPathFactory
                   ) -> dict[int, tuple[Path, Any]]:
    """seed → (CSV, history) under a pack with no safety stock: many days sell out."""
    from jxc_rules.rules.edit import set_field
    from jxc_rules.simulate.history import export_history, history_csv

    lean = set_field(pack, "replenishment.safety_days", 0.0)
    folder = tmp_path_factory.mktemp("lean")
    out = {}
    for seed in SEEDS[:3]:
        path = folder / f"lean{seed}.csv"
        history = export_history(world, rules=lean, seed=seed)
        history_csv(history, path)
        out[seed] = (path, history)
    return out


@pytest.fixture(scope="session")
def truth(world: Any, pack: Any) -> Callable[[str], float]:
    """The true value of a pack field in the synthetic world (the scenario's effects laid over
    the pack's windows; 1 where the world has no effect)."""

    def value(path: str) -> float:
        parts = path.split(".")
        if parts[0] == "weather":
            state = next(w for w in world.weather if w.name == parts[1])
            if parts[2] == "shift_to_takeaway":
                return float(state.shift_to_takeaway)
            return float(state.multipliers.get(parts[2], 1.0))
        name, channel, position = parts[1], parts[2], parts[3]
        effect = world.holidays.get(name)
        if effect is None or channel not in effect.channels:
            return 1.0
        before, during, after = effect.channels[channel]
        profile = pack.holidays[name].profile(channel)
        part, index = position.rstrip("]").split("[")
        k = int(index)
        if part == "before":
            back = len(profile.before) - 1 - k          # 0 = the eve
            return float(before[len(before) - 1 - back]) if back < len(before) else 1.0
        if part == "during":
            return float(during[min(k, len(during) - 1)]) if during else 1.0
        return float(after[k]) if k < len(after) else 1.0

    return value
