"""The day loop: trials × items as arrays, one iteration per simulated day.

Order of events on day *d* (for every trial and stock item at once):

1. **Review** (on review days): inventory position = on hand + pipeline × assumed transit
   retention; order ``max(0, S[d] − position)`` rounded to whole purchase packs with
   :func:`jxc_rules.packaging.ship_plan_batch` (order grid 0.001 stock units first); it ships
   ``lead`` days later (lead 0: today, before demand).
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

from jxc_rules.simulate.demand import draw_counts
from jxc_rules.simulate.kpis import Accumulator
from jxc_rules.simulate.plan import Plan, World
from jxc_rules.simulate.weather import channel_factors

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
    for k, weight in enumerate(fc.cover_weights):
        base = np.tensordot(fc.weights[d, k], st.hist, axes=(0, 0))        # [T, N, C]
        scaled = fc.usage * fc.coef[d + k][:, :, None]                      # [N, C, I]
        usage = np.tensordot(base, scaled, axes=([1, 2], [0, 1]))          # [T, I]
        if k == 0:
            safety = fc.safety_days * usage
        target = weight * usage if target is None else target + weight * usage
    assert target is not None
    assert safety is not None
    return target, safety


def simulate_chunk(task: ChunkTask) -> list[dict[str, FloatArray]]:
    """Simulate ``task.trials`` trials of every plan on common random draws; return, per plan,
    the per-trial KPI vectors."""
    world, plans, trials = task.world, task.plans, task.trials
    rng = np.random.default_rng(task.seed)
    n_items = len(world.item_ids)
    identity = (world.explode.shape[0] == n_items
                and bool(np.array_equal(world.explode, np.eye(n_items))))
    gross_factor = 1.0 / (1.0 - world.loss)                     # [I, C]
    has_loss = bool((world.loss > 0).any())
    n_weather = world.weather_p.shape[1]
    states = [_State(trials, world, plan) for plan in plans]
    item_idx = np.arange(n_items)
    ages = world.age_buckets
    for d in range(world.days):
        mu = world.mu[d]                                         # [N, C]
        if n_weather:
            u = rng.random((trials, n_weather))
            factors, add = channel_factors(u < world.weather_p[d], (world.gamma, world.shift),
                                           world.dine, world.take)
            lam = mu[None, :, :] * factors[:, None, :]
            if world.dine is not None and world.take is not None:
                lam[:, :, world.take] += add[:, None] * mu[None, :, world.dine]
        else:
            lam = np.broadcast_to(mu[None, :, :], (trials, *mu.shape))
        counts = draw_counts(rng, lam, world.distribution)       # [T, N, C]
        q = counts if identity else np.einsum("tnc,ni->tic", counts, world.explode)
        demand = q.sum(axis=2)                                   # [T, I] net
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
            if plan.review[d]:
                position = inv.sum(axis=2) + (pipe * plan.assumed_retention[None, :, None]
                                              ).sum(axis=2)
                order = np.maximum(target - position, 0.0)
                shipped = _round_orders(order, plan)
                pipe[:, item_idx, plan.lead] += shipped
                acc.purchased += shipped @ world.cost
            arriving = pipe[:, :, 0]
            arrived = arriving * world.retention[None, :]
            acc.shrink += (arriving - arrived) @ world.cost
            inv[:, :, 0] += arrived
            if pipe.shape[2] > 1:
                pipe[:, :, :-1] = pipe[:, :, 1:]
            pipe[:, :, -1] = 0.0
            stock = inv.sum(axis=2) if ages > 1 else inv[:, :, 0]
            short = need > stock
            with np.errstate(divide="ignore", invalid="ignore"):
                frac = np.where(short, stock / need, 1.0)
            issued = need * frac
            served = demand * frac
            # FEFO: oldest bucket first
            if ages > 1:
                rev = inv[:, :, ::-1]
                before = np.cumsum(rev, axis=2) - rev
                take = np.clip(issued[:, :, None] - before, 0.0, rev)
                inv -= take[:, :, ::-1]
            else:
                inv[:, :, 0] -= issued
            np.maximum(inv, 0.0, out=inv)
            if any_expiry:
                expired = inv * expire_today[None]
                inv -= expired
                acc.expired += expired.sum(axis=2) @ world.cost
            acc.record_day(demand, served, issued, short & (demand > 0), stock, inv, st.safety)
            if st.hist is not None and plan.forecast is not None:
                coef = plan.forecast.coef[d]
                st.hist[d % plan.forecast.window] = np.divide(
                    counts, coef[None], out=np.array(counts, dtype=np.float64, copy=True),
                    where=coef[None] > 0)
            if ages > 1:
                last = inv[:, :, -1] + inv[:, :, -2]
                inv[:, :, 1:-1] = inv[:, :, :-2]
                inv[:, :, -1] = last
                inv[:, :, 0] = 0.0
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
