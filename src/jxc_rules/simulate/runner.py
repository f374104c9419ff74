"""``run``: one rule pack (or several on common random numbers) over many trials."""

from __future__ import annotations

import datetime as dt
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from jxc_rules.errors import ValidationError
from jxc_rules.simulate.engine import ChunkTask, bytes_per_trial, run_tasks
from jxc_rules.simulate.executors import auto_chunk_trials, chunk_sizes, seed_key
from jxc_rules.simulate.kpis import KpiSummary, summarize_all
from jxc_rules.simulate.plan import Plan, World, compile_plan, compile_world
from jxc_rules.simulate.scenario import Scenario, load_scenario_cached

__all__ = ["MAX_CHUNK_BYTES", "MAX_TRIALS", "SimulationResult", "load_rules", "run",
           "run_many"]

MAX_TRIALS = 100_000_000
"""Trials of one run at most (10⁸: hours of work; beyond is a typo or a missing bound)."""

MAX_CHUNK_BYTES = 8 * 2**30
"""Largest working set of one chunk a caller may ask for with ``chunk_trials``."""

FloatArray = npt.NDArray[np.float64]


@attrs.frozen(eq=False)
class SimulationResult:
    """What :func:`run` returns.

    ``kpis[name]`` is a :class:`~jxc_rules.simulate.kpis.KpiSummary` (``mean``, ``se``,
    ``p05``, ``p50``, ``p95``); ``samples[name]`` the per-trial values behind it (trial order =
    chunk order, so two results of one seed line up trial by trial).
    """

    scenario: str
    rules: str
    trials: int
    seed: int
    chunk_trials: int
    kpis: Mapping[str, KpiSummary]
    samples: Mapping[str, FloatArray]
    daily: Mapping[str, FloatArray] = attrs.field(factory=dict)
    """The shortfall view, ``[days, items]``: ``"stockout"`` the share of trials with a
    stockout that item-day, ``"waste_yuan"`` the mean yuan wasted (expiry, channel loss, transit
    shrink) that item-day."""
    item_ids: tuple[str, ...] = ()
    dates: tuple[dt.date, ...] = ()

    def to_mapping(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario, "rules": self.rules, "trials": self.trials,
            "seed": self.seed, "chunk_trials": self.chunk_trials,
            "kpis": {k: v.to_mapping() for k, v in self.kpis.items()},
        }


def load_rules(rules: Any) -> Any:
    """A RulePack from a path (``jxc_rules.rules.load_pack``), or the object itself."""
    if rules is None or not isinstance(rules, (str, os.PathLike)):
        return rules
    from jxc_rules.rules import load_pack

    return load_pack(rules)


def _scenario(scenario: Scenario | str | os.PathLike[str]) -> Scenario:
    """A Scenario as is; a path through the content-hash cache (parsed once per content)."""
    return scenario if isinstance(scenario, Scenario) else load_scenario_cached(scenario)


WORLD_CACHE_SIZE = 8
"""Compiled worlds :func:`world_of` keeps (least recently used first out)."""

_WORLDS: OrderedDict[tuple[int, int], tuple[weakref.ref[Scenario], Any, World]] = OrderedDict()
_WORLDS_LOCK = threading.Lock()


def world_of(scenario: Scenario, reference: Any = None) -> World:
    """:func:`~jxc_rules.simulate.plan.compile_world` of ``scenario`` under ``reference``,
    reused while both are the same objects (held by weak reference: a cache entry never keeps
    a scenario or pack alive). A scenario path goes through
    :func:`~jxc_rules.simulate.scenario.load_scenario_cached`, so one file run many times is
    parsed and compiled once. Worlds are read-only to the engine, so sharing one is safe."""
    key = (id(scenario), id(reference))
    with _WORLDS_LOCK:
        hit = _WORLDS.get(key)
        if hit is not None and hit[0]() is scenario and (
                hit[1] is None if reference is None else hit[1] is not None
                and hit[1]() is reference):
            _WORLDS.move_to_end(key)
            return hit[2]
    world = compile_world(scenario, reference)
    try:
        ref: Any = None if reference is None else weakref.ref(reference)
    except TypeError:           # not weak-referenceable: not cached
        return world
    with _WORLDS_LOCK:
        _WORLDS[key] = (weakref.ref(scenario), ref, world)
        _WORLDS.move_to_end(key)
        while len(_WORLDS) > WORLD_CACHE_SIZE:
            _WORLDS.popitem(last=False)
    return world


def _label(rules: Any, path: Any, plan: Plan) -> str:
    if isinstance(path, (str, os.PathLike)):
        return f"{plan.label} ({os.path.basename(os.fspath(path))})"
    return plan.label


def run_many(
    scenario: Scenario | str | os.PathLike[str],
    packs: Sequence[Any],
    *,
    trials: int = 1000,
    seed: int = 0,
    executor: Any = None,
    chunk_trials: int | None = None,
    reference: Any = "first",
    progress: Callable[[], None] | None = None,
    world: World | None = None,
    memory_mb: float | None = None,
) -> list[SimulationResult]:
    """Several packs on common random numbers (identical draws per trial); one result each.

    ``packs`` items are RulePacks, paths, or None (the scenario's own ``policy``). Physics the
    scenario leaves out comes from ``reference`` (default: the first pack). ``chunk_trials``
    None lets the engine choose (:func:`~jxc_rules.simulate.executors.auto_chunk_trials`, within
    ``memory_mb``); results do not depend on it.
    """
    sc = _scenario(scenario)
    loaded = [load_rules(p) for p in packs]
    ref = loaded[0] if reference == "first" else load_rules(reference)
    if world is None:
        world = world_of(sc, ref)
    plans = tuple(compile_plan(sc, world, p) for p in loaded)
    key = seed_key(seed)
    chunk_sizes(1, 1 if chunk_trials is None else chunk_trials)  # its own check first
    if isinstance(trials, int) and not isinstance(trials, bool) and trials > MAX_TRIALS:
        raise ValidationError(f"trials must be at most {MAX_TRIALS:,} per run, got a number of "
                              f"{len(str(trials))} digits" if trials > 10**30 else
                              f"trials must be at most {MAX_TRIALS:,} per run, got {trials:,}; "
                              "split the run (seeds) or lower --trials", field="trials",
                              value=str(trials)[:40])
    # trials checked before any sizing (one chunk: not a list of `trials` ones)
    chunk_sizes(trials, trials if isinstance(trials, int) and trials >= 1 else 1)
    per_trial = bytes_per_trial(world, plans)
    if chunk_trials is None:
        chunk_trials = auto_chunk_trials(per_trial, trials, executor, memory_mb=memory_mb)
    chunk_trials = min(int(chunk_trials), int(trials))  # a chunk never exceeds the run
    if chunk_trials * per_trial > MAX_CHUNK_BYTES:
        raise ValidationError(
            f"chunk_trials {chunk_trials:,} needs about {chunk_trials * per_trial / 2**30:.3g} "
            f"GiB per chunk, more than {MAX_CHUNK_BYTES / 2**30:.0f} GiB; lower chunk_trials or "
            "leave it to the engine (None)", field="chunk_trials", value=chunk_trials)
    sizes = chunk_sizes(trials, chunk_trials)
    firsts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int).tolist()
    tasks = [ChunkTask(world, plans, key, first, n, k)
             for k, (first, n) in enumerate(zip(firsts, sizes, strict=True))]
    chunks = run_tasks(tasks, executor, progress)
    results: list[SimulationResult] = []
    for p, plan in enumerate(plans):
        keys = [k for k in chunks[0][p] if not k.startswith("__")]
        samples = {k: np.concatenate([c[p][k] for c in chunks]) for k in keys}
        daily: dict[str, FloatArray] = {
            "stockout": np.sum([c[p]["__daily_stockouts"] for c in chunks], axis=0) / trials,
            "waste_yuan": np.sum([c[p]["__daily_waste"] for c in chunks], axis=0) / trials,
        }
        results.append(SimulationResult(
            scenario=sc.name, rules=_label(loaded[p], packs[p], plan), trials=int(trials),
            seed=int(seed), chunk_trials=chunk_trials, kpis=summarize_all(samples),
            samples=samples, daily=daily, item_ids=tuple(world.item_ids),
            dates=tuple(world.dates),
        ))
    return results


def run(
    scenario: Scenario | str | os.PathLike[str],
    *,
    rules: Any = None,
    trials: int = 1000,
    seed: int = 0,
    executor: Any = None,
    chunk_trials: int | None = None,
    progress: Callable[[], None] | None = None,
    memory_mb: float | None = None,
) -> SimulationResult:
    """Simulate ``scenario`` under ``rules`` for ``trials`` random trials.

    Parameters
    ----------
    scenario : Scenario or path
    rules : RulePack, path or None
        None: the scenario's ``rules.baseline`` pack if it names one, else its ``policy``.
    trials, seed : int
        Same seed → the same result, whatever the executor and the chunking.
    executor : object with ``.map`` or None
        None runs serially; thread/process pools and Dask ``Client.get_executor()`` work.
    chunk_trials, memory_mb
        Trials per chunk (None: chosen by the engine within ``memory_mb``, default 256 MB or
        ``JXC_RULES_SIM_MEMORY_MB``): speed and memory only, never a number of the result.

    Returns
    -------
    SimulationResult
        ``.kpis[name].mean`` / ``.p05`` / ``.p50`` / ``.p95`` / ``.se``.

    Examples
    --------
    >>> res = run("base-stock-poisson", trials=200, seed=1)  # a bundled scenario, or a path
    >>> 0.0 <= res.kpis["stockout_rate"].mean <= 1.0
    True
    """
    sc = _scenario(scenario)
    if rules is None and sc.rules.get("baseline"):
        rules = sc.rules["baseline"]
    return run_many(sc, [rules], trials=trials, seed=seed, executor=executor,
                    chunk_trials=chunk_trials, progress=progress, memory_mb=memory_mb)[0]
