"""Synthetic history: what one trial's store would have recorded (``--export-history``).

The ground truth of the calibration tests and a way for a committee to rehearse ``jxc-rules
calibrate`` and ``backtest`` on a world whose true effects it knows (the scenario's).

Model
-----
The trial is simulated by the engine itself (:func:`~jxc_rules.simulate.engine.simulate_chunk`,
same random numbers as trial ``trial`` of a run with the same seed) under one pack's policy. Per
day it records, for every demand entity (dish or directly sold item) and channel, the demand
count ``y`` and the served fraction ``f[i]`` of every stock item (1 when nothing was short; all
channels of an item get the same fraction). A dish can be sold only with all its ingredients, so
its served fraction is the smallest over its recipe's items, and the POS records

    quantity = floor(y · min_i f[i] + 1e-9)        stockout = 1 if min_i f[i] < 1 else 0

— sales **censored** by the stock-out (demand was at least ``quantity`` that day: the
``stockout`` flag of a POS that marks a dish 售罄). The weather column names the day's states
(``clear``, ``rain``, ``rain+snow``); a ``waste_yuan`` column is the yuan the store wrote off
that day over the entity's stock items (expiry, channel loss, transit), shared out by the
(entity, channel) share of each item's demand, so that the rows of a day sum to its waste.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

__all__ = ["HISTORY_COLUMNS", "History", "export_history", "history_csv"]

HISTORY_COLUMNS = ("date", "location", "item", "channel", "quantity", "stockout", "weather",
                   "waste_yuan")
"""Columns of the history CSV, in order (the first six are what ``calibrate`` requires)."""


@attrs.frozen(eq=False)
class History:
    """One trial's records: ``counts[D, N, C]`` true demand, ``sold[D, N, C]`` recorded sales,
    ``stockout[D, N]`` the censoring flag, ``weather[D]`` the day's states, ``waste[D, N, C]`` yuan,
    over ``dates`` × ``entities`` ((location, name)) × ``channels``."""

    dates: tuple[Any, ...]
    entities: tuple[tuple[str, str], ...]
    channels: tuple[str, ...]
    counts: npt.NDArray[np.float64]
    sold: npt.NDArray[np.float64]
    stockout: npt.NDArray[np.bool_]
    weather: tuple[str, ...]
    waste: npt.NDArray[np.float64]
    seed: int
    trial: int


def export_history(scenario: Any, *, rules: Any = None, seed: int = 0, trial: int = 0
                   ) -> History:
    """Simulate trial ``trial`` of ``scenario`` under ``rules`` (None: the scenario's baseline
    pack, else its policy) and return what its store would have recorded.

    Examples
    --------
    >>> import datetime as dt
    >>> from jxc_rules.simulate import load_scenario
    >>> sc = load_scenario("hotpot-spring-festival-2027",
    ...                    horizon=(dt.date(2026, 3, 2), dt.date(2026, 3, 8)))   # no festival
    >>> h = export_history(sc, seed=1)
    >>> h.sold.shape, bool((h.sold <= h.counts).all())
    ((7, 5, 3), True)
    """
    from jxc_rules.errors import ValidationError
    from jxc_rules.simulate.demand import demand_entities
    from jxc_rules.simulate.engine import ChunkTask, DayRecorder, _simulate_chunk
    from jxc_rules.simulate.executors import seed_key, single_threaded_blas
    from jxc_rules.simulate.plan import compile_plan, compile_world
    from jxc_rules.simulate.runner import _scenario, load_rules

    if isinstance(trial, bool) or not isinstance(trial, (int, np.integer)) or trial < 0:
        raise ValidationError(f"trial must be a whole number >= 0, got {trial!r}",
                              field="trial", value=trial)
    sc = _scenario(scenario)
    pack = load_rules(rules if rules is not None else sc.rules.get("baseline"))
    world = compile_world(sc, pack)
    plan = compile_plan(sc, world, pack)
    rec = DayRecorder()
    with single_threaded_blas():
        _simulate_chunk(ChunkTask(world, (plan,), seed_key(seed), int(trial), 1), rec)
    counts = np.stack([c[0] for c in rec.counts])                  # [D, N, C]
    served = np.stack([s[0] for s in rec.served])                  # [D, I]
    waste_items = np.stack([w[0] for w in rec.waste])              # [D, I]
    uses = world.explode > 0                                       # [N, I]
    dish_frac = np.where(uses[None, :, :], served[:, None, :], 1.0).min(axis=2)   # [D, N]
    sold = np.floor(counts * dish_frac[:, :, None] + 1e-9)
    stockout = dish_frac < 1.0
    # waste of each item shared out by the (entity, channel) shares of its demand that day
    need = np.einsum("dnc,ni->dnci", counts, world.explode)
    total = need.sum(axis=(1, 2), keepdims=True)
    share = np.divide(need, total, out=np.zeros_like(need), where=total > 0)
    waste = np.einsum("dnci,di->dnc", share, waste_items)
    names = [w.name for w in sc.weather]
    weather = []
    for combo in rec.combo:
        bits = 0 if combo is None else int(combo[0])
        on = [n for k, n in enumerate(names) if bits >> k & 1]
        weather.append("+".join(on) if on else "clear")
    entities = tuple((loc, name) for loc, name, _ in demand_entities(sc))
    return History(tuple(world.dates), entities, tuple(world.channels), counts, sold, stockout,
                   tuple(weather), waste, int(seed), int(trial))


def _rows(history: History) -> Sequence[list[str]]:
    out: list[list[str]] = []
    for d, day in enumerate(history.dates):
        iso = day.isoformat()
        for n, (loc, name) in enumerate(history.entities):
            flag = "1" if history.stockout[d, n] else "0"
            for c, ch in enumerate(history.channels):
                out.append([iso, loc, name, ch, str(int(history.sold[d, n, c])), flag,
                            history.weather[d], f"{history.waste[d, n, c]:.2f}"])
    return out


def history_csv(history: History, path: str | os.PathLike[str] | None = None) -> str:
    """The history as CSV text (:data:`HISTORY_COLUMNS`); written to ``path`` when given."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(HISTORY_COLUMNS)
    writer.writerows(_rows(history))
    text = buf.getvalue()
    if path is not None:
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    return text
