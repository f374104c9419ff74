"""The day loop: trials × items as arrays, one iteration per simulated day.

Order of events on day *d* (for every trial and stock item at once):

1. **Review** (on review days): inventory position = on hand + pipeline × assumed transit
   retention; order ``max(0, S[d] − position)`` rounded to whole purchase packs with
   :func:`jxc_rules.packaging.ship_plan_batch` (order grid 0.001 stock units first). The review
   stands for the order placed after yesterday's close; it arrives before opening
   ``max(lead_time_days - 1, 0)`` days after the review (``Plan.lead``).
2. **Arrivals**: shipped quantity × true transit retention (live-weight shrink is waste, "transit").
3. **Demand**: weather state per trial, counts per dish/item and channel drawn around their
   means, exploded to stock items; each channel's issue is grossed up by its true loss rate
   (the loss is waste, "channel"). When stock is short every channel gets the same fraction.
   Stock is issued FEFO (oldest age bucket first).
4. **Expiry**: lots whose shelf life (consumed at the storage temperature log, outages included)
   runs out today are written off (waste, "expiry").
5. **Ageing**: every age bucket moves up one day (the last bucket accumulates).

Workers return per-trial KPI vectors (:mod:`jxc_rules.simulate.kpis`), never daily paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from jxc_rules.simulate.executors import single_threaded_blas
from jxc_rules.simulate.kpis import Accumulator
from jxc_rules.simulate.plan import Plan, World

__all__ = ["ChunkTask", "simulate_chunk"]

FloatArray = npt.NDArray[np.float64]


@attrs.frozen(eq=False)
class ChunkTask:
    """Everything one worker needs: picklable, no callbacks."""

    world: World
    plans: tuple[Plan, ...]
    seed: np.random.SeedSequence
    trials: int
    index: int = 0


def _round_orders(order: FloatArray, plan: Plan) -> FloatArray:
    """Orders on the 0.001 grid, then whole packs where the item has a purchase pack."""
    from jxc_rules.packaging import ship_plan_batch

    grid = np.ceil(np.round(order * 1000.0, 6)) / 1000.0
    if not (plan.pack_size > 0).any():
        return grid
    sizes = np.where(plan.pack_size > 0, plan.pack_size, 0.001)
    shipped = ship_plan_batch(grid, sizes[None, :], mode=plan.rounding, decimals=3).shipped
    out: FloatArray = np.where(plan.pack_size[None, :] > 0, shipped, grid)
    return out


class _State:
    __slots__ = ("acc", "hist", "inv", "pipe", "safety")

    def __init__(self, trials: int, world: World, plan: Plan) -> None:
        items = len(world.item_ids)
        self.inv = np.zeros((trials, items, world.age_buckets))
        self.inv[:, :, 0] = world.initial[None, :]
        self.pipe = np.zeros((trials, items, int(plan.lead.max(initial=0)) + 1))
        self.acc = Accumulator(trials, world)
        self.safety: FloatArray = plan.safety[0][None, :]
        self.hist: FloatArray | None = None
        if plan.forecast is not None:
            h = plan.forecast.history
            self.hist = np.ascontiguousarray(np.broadcast_to(h[:, None], (h.shape[0], trials,
                                                                          *h.shape[1:])))


def _forecast_target(plan: Plan, st: _State, d: int) -> tuple[FloatArray, FloatArray]:
    """Order-up-to level and safety stock ``[T, I]`` of a forecasting plan on review day d."""
    fc = plan.forecast
    assert fc is not None
    assert st.hist is not None
    target: FloatArray | None = None
    safety: FloatArray | None = None
    hist = st.hist
    trials = hist.shape[1]
    n_cells = hist.shape[2] * hist.shape[3]
    for k, weight in enumerate(fc.cover_weights):
        w = fc.weights[d, k]
        nz = np.flatnonzero(w)
        if nz.size <= 8:                                              # e.g. same weekday
            base = hist[nz[0]] * w[nz[0]]
            for j in nz[1:]:
                base += w[j] * hist[j]
        else:
            base = np.tensordot(w, hist, axes=(0, 0))                 # [T, N, C]
        scaled = (fc.usage * fc.coef[d + k][:, :, None]).reshape(n_cells, -1)   # [N·C, I]
        usage = base.reshape(trials, n_cells) @ scaled                # [T, I]
        if k == 0:
            safety = fc.safety_days * usage
        target = weight * usage if target is None else target + weight * usage
    assert target is not None
    assert safety is not None
    return target, safety


def simulate_chunk(task: ChunkTask) -> list[dict[str, FloatArray]]:
    """Simulate one chunk (see :func:`_simulate_chunk`) with single-threaded BLAS, so parallel
    workers do not oversubscribe the cores."""
    with single_threaded_blas():
        return _simulate_chunk(task)


def _simulate_chunk(task: ChunkTask) -> list[dict[str, FloatArray]]:
    """Simulate ``task.trials`` trials of every plan on common random draws; return, per plan,
    the per-trial KPI vectors.

    Random numbers per day, in this order: one uniform per trial and weather state, then one
    uniform per trial, demand entity and channel, turned into counts by exact inversion of the
    demand distribution (:class:`~jxc_rules.simulate.demand.TableSampler`).
    """
    world, plans, trials = task.world, task.plans, task.trials
    rng = np.random.default_rng(task.seed)
    n_items = len(world.item_ids)
    n_entities, n_channels = world.mu.shape[1], world.mu.shape[2]
    identity = (world.explode.shape[0] == n_items
                and bool(np.array_equal(world.explode, np.eye(n_items))))
    gross_factor = 1.0 / (1.0 - world.loss)                     # [I, C]
    has_loss = bool((world.loss > 0).any())
    has_shrink = bool((world.retention < 1).any())
    n_weather = world.weather_p.shape[1]
    bits = (1 << np.arange(n_weather)).astype(np.intp)
    states = [_State(trials, world, plan) for plan in plans]
    item_idx = np.arange(n_items)
    ages = world.age_buckets
    # FEFO and ageing as small matrix products over the age axis (BLAS, no Python loop):
    # older[a', a] = 1 when bucket a' is older than a; shift moves every bucket up one day,
    # the last bucket keeping what it had
    older = np.triu(np.ones((ages, ages)), 1).T.copy()
    shift = np.eye(ages, k=1)
    shift[ages - 1, ages - 1] = 1.0
    ones = np.ones(ages)                         # inv @ ones: total over ages (BLAS, fast)
    for d in range(world.days):
        combo = None
        if n_weather:
            combo = ((rng.random((trials, n_weather)) < world.weather_p[d]) @ bits)
        u = rng.random((trials, n_entities, n_channels))
        counts = world.sampler.draw(d, combo, u)                 # [T, N, C]
        if identity:
            q = counts
        else:
            q = (counts.transpose(0, 2, 1).reshape(-1, n_entities) @ world.explode
                 ).reshape(trials, n_channels, n_items).transpose(0, 2, 1)
        if n_channels == 1:
            demand = q[:, :, 0]
            need = demand * gross_factor[None, :, 0] if has_loss else demand
        else:
            demand = q.sum(axis=2)                               # [T, I] net
            need = (q * gross_factor[None]).sum(axis=2) if has_loss else demand
        expire_today = world.expire[d]                           # [I, A]
        any_expiry = bool(expire_today.any())
        for plan, st in zip(plans, states, strict=True):
            inv, pipe, acc = st.inv, st.pipe, st.acc
            if plan.forecast is None:
                target = plan.target[d][None, :]
                st.safety = plan.safety[d][None, :]
            elif plan.review[d]:
                target, st.safety = _forecast_target(plan, st, d)
            stock = inv @ ones if ages > 1 else inv[:, :, 0]
            if plan.review[d]:
                in_transit = pipe[:, :, 0] if pipe.shape[2] == 1 else pipe.sum(axis=2)
                position = stock + in_transit * plan.assumed_retention[None, :]
                order = np.maximum(target - position, 0.0)
                shipped = _round_orders(order, plan)
                if pipe.shape[2] == 1:
                    pipe[:, :, 0] += shipped
                else:
                    pipe[:, item_idx, plan.lead] += shipped
                acc.purchased += shipped @ world.cost
            arriving = pipe[:, :, 0]
            if has_shrink:
                arrived = arriving * world.retention[None, :]
                acc.shrink += (arriving - arrived) @ world.cost
            else:
                arrived = arriving
            inv[:, :, 0] += arrived
            # stock on hand after the morning delivery (a copy: inv changes below)
            stock = stock + arrived if ages > 1 else inv[:, :, 0].copy()
            if pipe.shape[2] > 1:
                pipe[:, :, :-1] = pipe[:, :, 1:]
            pipe[:, :, -1] = 0.0
            short = need > stock
            if short.any():
                with np.errstate(divide="ignore", invalid="ignore"):
                    frac = np.where(short, stock / need, 1.0)
                issued = need * frac
                served = demand * frac
            else:
                issued, served = need, demand
            # FEFO: oldest bucket first
            if ages > 1:
                before = inv @ older                     # stock in older buckets
                take = issued[:, :, None] - before
                np.maximum(take, 0.0, out=take)
                np.minimum(take, inv, out=take)
                inv -= take                              # take <= inv: stays >= 0 exactly
            else:
                np.maximum(inv[:, :, 0] - issued, 0.0, out=inv[:, :, 0])
            if any_expiry:
                expired = inv * expire_today[None]
                inv -= expired
                acc.expired += (expired @ ones) @ world.cost
            acc.record_day(demand, served, issued, short, stock, inv, st.safety,
                           inv @ ones if ages > 1 else inv[:, :, 0])
            if st.hist is not None and plan.forecast is not None:
                coef = plan.forecast.coef[d]
                st.hist[d % plan.forecast.window] = np.divide(
                    counts, coef[None], out=np.array(counts, dtype=np.float64, copy=True),
                    where=coef[None] > 0)
            if ages > 1:
                st.inv = inv @ shift
    for st in states:
        st.acc.closing = st.inv.sum(axis=2) @ world.cost + st.pipe.sum(axis=2) @ world.cost
    return [st.acc.finish() for st in states]


def run_tasks(tasks: Sequence[ChunkTask], executor: Any = None,
              progress: Any = None) -> list[list[dict[str, FloatArray]]]:
    """Run chunks serially (``executor=None``) or through anything with ``.map``; results in
    chunk order. ``progress`` (optional) is called once per finished chunk."""
    mapper = map if executor is None else executor.map
    out: list[list[dict[str, FloatArray]]] = []
    for result in mapper(simulate_chunk, tasks):
        out.append(result)
        if progress is not None:
            progress()
    return out
