"""The rule simulator: simulated item-trial-days per second, vs stockpyl, and 2-worker scaling.

Rows:

1. a non-perishable base-stock item with Poisson demand (mean 10, S = 12, zero lead time),
   365 days, without and with stock-age tracking (库龄) — target ≥ 20 M item-trial-days/s;
   side by side with ``stockpyl.sim.simulation`` on the same single-stage base-stock system
   (stockpyl's backorder model with a one-period shipment lead time has stock S every period,
   like ours with zero lead time): both stockout frequencies must match 1 − F(S) within Monte
   Carlo error (the check), and the ratio is the speed-up;
2. perishable items with three channels, rain, FEFO expiry and the hotpot pack's
   forecast-driven replenishment, three stores — target ≥ 5 M item-trial-days/s;
3. the same on two worker processes vs one process (ratio = speed-up from the second core).
"""

from __future__ import annotations

import atexit
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from _harness import Baseline, Case
from scipy.stats import poisson

from jxc_rules.simulate import run

ROOT = Path(__file__).resolve().parents[1]
PACK = ROOT / "industries" / "hotpot" / "2026.10.yaml"
MEAN, LEVEL = 10.0, 12
_TMP = Path(tempfile.mkdtemp(prefix="jxc-bench-sim-"))
_POOL: list[ProcessPoolExecutor] = []


def _pool() -> ProcessPoolExecutor:
    if not _POOL:
        _POOL.append(ProcessPoolExecutor(max_workers=2))
        atexit.register(_POOL[0].shutdown)
    return _POOL[0]


def _write(name: str, doc: dict[str, Any]) -> Path:
    path = _TMP / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _base_stock(track_age: bool) -> Path:
    return _write(f"base-stock-{track_age}.yaml", {
        "horizon": {"start": "2026-01-01", "end": "2026-12-31"},
        "channels": ["dine_in"],
        "track_stock_age": track_age,
        "items": {"rice": {"unit": "kg", "cost_per_unit": 4, "price_per_unit": 10,
                           "initial_stock": LEVEL, "demand": {"dine_in": MEAN}}},
        "policy": {"order_up_to": {"rice": LEVEL}},
    })


def _perishable() -> Path:
    week = [1.0, 1.0, 1.05, 1.1, 1.3, 1.5, 1.4]
    items = {
        # kg per day per channel (dine-in, takeaway, group meals)
        "beef_slices": (30, 9, 3, 68, 220, True),
        "tripe": (14, 4, 1.5, 42, 330, True),
        "napa_cabbage": (40, 12, 4, 2.6, 30, True),
        "tofu": (12, 4, 1, 6, 40, True),
        "lotus_root": (10, 3, 1, 7, 60, False),
        "tallow_base": (45, 14, 4, 38, 150, False),
        "dried_chili": (3, 1, 0.3, 30, 120, False),
        "tilapia_live": (25, 7, 2, 19, 75, False),
    }
    doc_items: dict[str, Any] = {}
    for name, (dine, take, group, cost, price, perishable) in items.items():
        doc_items[name] = {
            "unit": "kg", "cost_per_unit": cost, "price_per_unit": price,
            "initial_stock": round(2 * (dine + take + group), 1), "perishable": perishable,
            "demand": {"dine_in": {"weekly": [round(dine * w, 2) for w in week]},
                       "takeaway": {"weekly": [round(take * w, 2) for w in week]},
                       "group_meal": group},
        }
        if name == "tilapia_live":
            doc_items[name]["transit_hours"] = 5
    return _write("perishable.yaml", {
        "horizon": {"start": "2026-02-02", "end": "2026-03-08"},
        "channels": ["dine_in", "takeaway", "group_meal"],
        "locations": [{"id": "store-1"}, {"id": "store-2", "demand_scale": 0.8},
                      {"id": "store-3", "demand_scale": 1.2}],
        "items": doc_items,
        "holidays": {"Spring Festival": {"dine_in": {"before": [1.1, 1.2],
                                                     "during": [1.0, 0.6, 1.4]}}},
        "weather": {"rain": {"probability": {"monthly": [0.25] * 12},
                             "effect": {"dine_in": 0.8, "takeaway": 1.05,
                                        "shift_to_takeaway": 0.4}}},
        "temperature": {"storage_temp_c": 3,
                        "outages": [{"date": "2026-02-19", "start_hour": 1, "hours": 6,
                                     "temp_c": 12}]},
    })


def _stockpyl_stockouts(periods: int, seed: int = 1) -> float:
    from stockpyl.sim import simulation
    from stockpyl.supply_chain_network import single_stage_system

    net = single_stage_system(holding_cost=1, stockout_cost=4, demand_type="P", mean=MEAN,
                              policy_type="BS", base_stock_level=LEVEL, shipment_lead_time=1)
    simulation(net, periods, rand_seed=seed, progress_bar=False)
    levels = np.array([next(iter(s.inventory_level.values()))
                       for s in net.nodes[0].state_vars[5:periods]])
    return float((levels < 0).mean())


def cases(scale: float) -> list[Case]:
    days = 365
    trials = max(200, int(100_000 * scale))
    out: list[Case] = []
    sample_periods = max(300, min(5000, trials * days))
    expected = 1.0 - float(poisson.cdf(LEVEL, MEAN))
    for track_age in (False, True):
        path = _base_stock(track_age)
        chunk = max(trials // 2, 1)

        def ours(path: Path = path, chunk: int = chunk) -> Any:
            return run(path, trials=trials, seed=1, chunk_trials=chunk)

        def check(path: Path = path) -> None:
            res = run(path, trials=max(200, trials // 10), seed=2)
            s = res.kpis["stockout_rate"]
            assert abs(s.mean - expected) < 4 * s.se, (s.mean, expected)
            theirs = _stockpyl_stockouts(3000)
            se = np.sqrt(expected * (1 - expected) / 3000)
            assert abs(theirs - expected) < 4 * se + 0.01, (theirs, expected)

        label = "with stock-age tracking" if track_age else "no age tracking"
        out.append(Case(
            f"simulate: Poisson base-stock item, 365 d ({label})", trials * days, ours,
            [Baseline("stockpyl.sim single-stage base-stock",
                      lambda: _stockpyl_stockouts(sample_periods), sample=sample_periods)],
            unit="item-trial-days", target=">= 20M/s" if not track_age else "",
            check=check if not track_age else None,
        ))

    per = _perishable()
    p_trials = max(100, int(20_000 * scale))
    p_days, p_items = 35, 24
    p_chunk = max(p_trials // 4, 1)

    def perishable_serial() -> Any:
        return run(per, rules=PACK, trials=p_trials, seed=3, chunk_trials=p_chunk)

    def perishable_pool() -> Any:
        return run(per, rules=PACK, trials=p_trials, seed=3, chunk_trials=p_chunk,
                   executor=_pool())

    def check_perishable() -> None:
        small = dict(rules=PACK, trials=40, seed=3, chunk_trials=20)
        a = run(per, **small)
        assert a.kpis["waste_rate_expiry"].mean > 0
        assert 0 < a.kpis["fill_rate"].mean <= 1

    def check_pool() -> None:
        small = dict(rules=PACK, trials=40, seed=3, chunk_trials=20)
        a, b = run(per, **small), run(per, executor=_pool(), **small)
        np.testing.assert_array_equal(a.samples["fill_rate"], b.samples["fill_rate"])

    size = p_trials * p_days * p_items
    out.append(Case("simulate: 24 perishable/channel items, rain, FEFO, pack rules", size,
                    perishable_serial, unit="item-trial-days", target=">= 5M/s",
                    check=check_perishable))
    out.append(Case("simulate: same, 2 worker processes (ratio = speed-up)", size,
                    perishable_pool, [Baseline("same run, 1 process", perishable_serial)],
                    unit="item-trial-days", check=check_pool))
    return out
