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

**Stock age at the cost of a counter.** Three ways to hold stock, chosen per world:

- no age tracking and nothing perishable: one on-hand array ``[T, I]``;
- age tracking without perishables (:data:`AGE_WINDOW`): stock is still one array, and its age
  mix follows from the FIFO identity — issues take the oldest units, so what remains at the end of
  day *d* is the youngest: stock younger than *k* days = min(on hand, arrivals of the last *k*
  days). Rolling sums of arrivals over 1, 3 and 7 days (the KPI's bin edges), kept in a ring of
  seven ``[T, I]`` slices, give the four age bins exactly, at a handful of array operations a day;
- perishables (expiry needs each lot's age): age buckets ``[A, T, I]``, age-major so that ageing is
  one contiguous shift, FEFO is one cumulative sum over the age axis, and expiry touches only the
  buckets that expire today.

**Random numbers by address** (:mod:`jxc_rules.simulate.executors`): a chunk of trials reads its
slice of each day's counter-based Philox stream, so results do not depend on the chunking.

Workers return per-trial KPI vectors (:mod:`jxc_rules.simulate.kpis`), never daily paths.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import attrs
import numpy as np
import numpy.typing as npt

from jxc_rules.simulate.executors import single_threaded_blas
from jxc_rules.simulate.kpis import Accumulator
from jxc_rules.simulate.plan import Plan, World

__all__ = ["AGE_WINDOW", "ChunkTask", "DayRecorder", "bytes_per_trial", "simulate_chunk",
           "uniforms"]

FloatArray = npt.NDArray[np.float64]

AGE_WINDOW = (1, 3, 7)
"""Rolling arrival windows (days) of the FIFO age mix: the age KPIs' bin edges."""

_STREAM_WEATHER, _STREAM_DEMAND = 0, 1


@attrs.frozen(eq=False)
class ChunkTask:
    """Everything one worker needs: picklable, no callbacks.

    ``key`` is the Philox key of the run's seed (:func:`~jxc_rules.simulate.executors.seed_key`),
    ``first_trial`` the index of the chunk's first trial in the run.
    """

    world: World
    plans: tuple[Plan, ...]
    key: tuple[int, int]
    first_trial: int
    trials: int
    index: int = 0


def uniforms(key: tuple[int, int], day: int, stream: int, first_trial: int, trials: int,
             per_trial: int) -> FloatArray:
    """Uniforms ``[trials, per_trial]`` of trials ``first_trial ...`` on ``day`` for ``stream``.

    Trial *t*'s numbers sit at positions ``t·per_trial ...`` of the Philox stream with counter
    ``(position // 4, day, stream, 0)`` (each counter value gives four 64-bit words, one double
    each), so any chunk reads exactly the numbers a single chunk of all trials would.

    >>> whole = uniforms((1, 2), 3, 1, 0, 10, 3)
    >>> bool((uniforms((1, 2), 3, 1, 4, 5, 3) == whole[4:9]).all())
    True
    """
    start = first_trial * per_trial
    steps, skip = divmod(start, 4)
    bits = np.random.Philox(counter=[steps, day, stream, 0],
                            key=np.array(key, dtype=np.uint64))
    raw = np.random.Generator(bits).random(skip + trials * per_trial)
    return raw[skip:].reshape(trials, per_trial)


class _Streams:
    """:func:`uniforms` for one chunk, reusing one Philox generator: its counter is set per
    (day, stream) through ``state`` (≈ 3 µs, against ≈ 20 µs for a new generator)."""

    def __init__(self, key: tuple[int, int], first_trial: int, trials: int) -> None:
        self.bits = np.random.Philox(counter=[0, 0, 0, 0], key=np.array(key, dtype=np.uint64))
        self.gen = np.random.Generator(self.bits)
        self.state = self.bits.state
        self.first_trial, self.trials = first_trial, trials

    def uniforms(self, day: int, stream: int, per_trial: int) -> FloatArray:
        steps, skip = divmod(self.first_trial * per_trial, 4)
        self.state["state"]["counter"][:] = (steps, day, stream, 0)
        self.state["buffer_pos"] = 4          # the 4-word buffer is empty: start at the counter
        self.state["has_uint32"] = 0
        self.bits.state = self.state
        raw = self.gen.random(skip + self.trials * per_trial)
        return raw[skip:].reshape(self.trials, per_trial)


def _age_mode(world: World) -> str:
    """``"none"``, ``"window"`` (FIFO age mix of non-perishables) or ``"buckets"``."""
    if world.age_buckets <= 1:
        return "none"
    return "buckets" if bool(world.expire.any()) else "window"


def bytes_per_trial(world: World, plans: tuple[Plan, ...] | list[Plan]) -> int:
    """An upper estimate of one trial's working set in a chunk (state, temporaries, KPIs).

    The blocked day loop adds its block buffers: about :data:`_BLOCK_CELLS` elements per array
    whatever the chunk (≈ 30 MB at most per chunk), not counted per trial."""
    n_items = len(world.item_ids)
    cells = world.mu.shape[1] * world.mu.shape[2]
    mode = _age_mode(world)
    ages = {"none": 1, "window": 1 + len(AGE_WINDOW) + max(AGE_WINDOW)}[mode] \
        if mode != "buckets" else 4 * world.age_buckets
    per_plan = 0
    for plan in plans:
        lead = int(plan.lead.max(initial=0)) + 1
        hist = plan.forecast.window * cells if plan.forecast is not None else 0
        per_plan += n_items * (ages + lead + 12) + hist + 40
    temporaries = 8 * cells + 6 * n_items * world.mu.shape[2] + 16
    return int(8 * (per_plan + temporaries))


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
    __slots__ = ("acc", "arrivals", "hist", "inv", "pipe", "safety", "younger")

    def __init__(self, trials: int, world: World, plan: Plan, mode: str) -> None:
        items = len(world.item_ids)
        if mode == "buckets":   # age-major [A, T, I]: age a = inv[a]
            self.inv = np.zeros((world.age_buckets, trials, items))
            self.inv[0] = world.initial[None, :]
        else:                   # on hand [T, I]
            self.inv = np.repeat(world.initial[None, :], trials, axis=0)
        # window mode: today's and the last days' arrivals (ring by day), and the rolling sums
        # of arrivals over AGE_WINDOW days (the youngest stock of each age bin)
        self.arrivals: FloatArray | None = None
        self.younger: list[FloatArray] = []
        if mode == "window":
            self.arrivals = np.zeros((max(AGE_WINDOW), trials, items))
            self.younger = [np.zeros((trials, items)) for _ in AGE_WINDOW]
        self.pipe = np.zeros((trials, items, int(plan.lead.max(initial=0)) + 1))
        columns = {"none": 1, "window": len(AGE_WINDOW) + 1, "buckets": world.age_buckets}[mode]
        self.acc = Accumulator(trials, world, age_columns=columns,
                               window=AGE_WINDOW if mode == "window" else None)
        self.safety: FloatArray = plan.safety[0][None, :]
        self.hist: FloatArray | None = None
        if plan.forecast is not None:
            h = plan.forecast.history
            # a writable copy (a view of the broadcast is read-only even when trials == 1)
            self.hist = np.array(np.broadcast_to(h[:, None], (h.shape[0], trials,
                                                              *h.shape[1:])), copy=True)


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


class DayRecorder:
    """Daily paths of the first plan, kept only when asked (``--export-history``): per day the
    demand counts ``[T, N, C]``, the weather combination ``[T]`` (bit *w* = state *w*; None
    without weather), the served fraction of each stock item ``[T, I]`` (1 = no shortage) and
    the yuan wasted per item ``[T, I]`` (transit shrink, expiry, channel loss). Workers never
    return these in a normal run (they return KPI vectors only)."""

    def __init__(self) -> None:
        self.counts: list[FloatArray] = []
        self.combo: list[npt.NDArray[np.intp] | None] = []
        self.served: list[FloatArray] = []
        self.waste: list[FloatArray] = []


def _simulate_chunk(task: ChunkTask, record: DayRecorder | None = None
                    ) -> list[dict[str, FloatArray]]:
    """Simulate ``task.trials`` trials of every plan on common random draws; return, per plan,
    the per-trial KPI vectors (and, with ``record``, the first plan's daily paths).

    Without ``record`` the blocked day loop runs (:func:`_simulate_blocked`: the same numbers,
    bit for bit, at a fraction of the array operations per day); with it, the day-by-day loop
    (:func:`_simulate_daily`), which keeps the daily paths.
    """
    if record is None:
        return _simulate_blocked(task)
    return _simulate_daily(task, record)


def _fefo_and_expiry(inv: FloatArray, remaining: FloatArray, expiring: npt.NDArray[np.intp],
                     world: World, d: int, acc: Accumulator,
                     wasted: FloatArray | None = None) -> None:
    """Age buckets ``inv [A, T, I]`` after a day's issue, in place: FEFO leaves the youngest
    ``remaining`` stock (bucket a keeps clip(remaining − stock younger than a, 0, inv[a])),
    then the lots of the ages in ``expiring`` expire at the end of day ``d`` (their cost to
    ``acc.expired`` and ``acc.daily_waste[d]``; per cell to ``wasted`` when recording)."""
    keep = np.empty_like(inv)                    # remaining − stock younger than a
    keep[0] = remaining
    for a in range(1, inv.shape[0]):             # A slices: faster than cumsum(axis=0)
        np.subtract(keep[a - 1], inv[a - 1], out=keep[a])
    np.maximum(keep, 0.0, out=keep)
    np.minimum(keep, inv, out=inv)               # <= inv: stays >= 0 exactly
    cost = world.cost
    for a in expiring.tolist():
        mask = world.expire[d, :, a]
        expired = inv[a] * mask[None, :]
        inv[a] -= expired
        acc.expired += expired @ cost
        acc.daily_waste[d] += expired.sum(axis=0) * cost
        if wasted is not None:
            wasted += expired * cost


def _stock_demand(counts: FloatArray, explode: FloatArray) -> FloatArray:
    """Demand per stock item ``[T, I, C]`` from counts per demand entity ``[T, N, C]``: the
    BOM explosion as one matrix product over (trial, channel) rows."""
    trials, n_entities, n_channels = counts.shape
    return (counts.transpose(0, 2, 1).reshape(-1, n_entities) @ explode
            ).reshape(trials, n_channels, explode.shape[1]).transpose(0, 2, 1)


class _Setup(NamedTuple):
    world: World
    plans: tuple[Plan, ...]
    trials: int
    n_items: int
    n_entities: int
    n_channels: int
    identity: bool
    gross_factor: FloatArray
    has_loss: bool
    has_shrink: bool
    n_weather: int
    bits: npt.NDArray[np.intp]
    mode: str
    states: list[_State]
    item_idx: npt.NDArray[np.int_]
    ages: int
    cost: FloatArray
    ring: int
    expiring: list[npt.NDArray[np.intp]]


def _loop_setup(task: ChunkTask) -> _Setup:
    """What both day loops derive from the task before the first day (one place, so the
    blocked loop and its day-by-day reference cannot drift apart)."""
    world, plans, trials = task.world, task.plans, task.trials
    n_items = len(world.item_ids)
    n_entities, n_channels = world.mu.shape[1], world.mu.shape[2]
    identity = (world.explode.shape[0] == n_items
                and bool(np.array_equal(world.explode, np.eye(n_items))))
    gross_factor = 1.0 / (1.0 - world.loss)                     # [I, C]
    has_loss = bool((world.loss > 0).any())
    has_shrink = bool((world.retention < 1).any())
    n_weather = world.weather_p.shape[1]
    bits = (1 << np.arange(n_weather)).astype(np.intp)
    mode = _age_mode(world)
    states = [_State(trials, world, plan, mode) for plan in plans]
    item_idx = np.arange(n_items)
    ages = world.age_buckets
    cost = world.cost
    ring = max(AGE_WINDOW)
    expiring = [np.flatnonzero(world.expire[d].any(axis=0)) for d in range(world.days)] \
        if mode == "buckets" else []
    return _Setup(world, plans, trials, n_items, n_entities, n_channels, identity,
                  gross_factor, has_loss, has_shrink, n_weather, bits, mode, states, item_idx,
                  ages, cost, ring, expiring)


def _simulate_daily(task: ChunkTask, record: DayRecorder | None = None
                    ) -> list[dict[str, FloatArray]]:
    """The day-by-day loop: every array operation of a day in the order of the module
    docstring (the reference the blocked loop is tested against, bit for bit).

    Random numbers per day (:func:`uniforms`): one uniform per trial and weather state (stream
    0), one per trial, demand entity and channel (stream 1), turned into counts by exact inversion
    of the demand distribution (:class:`~jxc_rules.simulate.demand.TableSampler`).
    """
    (world, plans, trials, n_items, n_entities, n_channels, identity, gross_factor, has_loss,
     has_shrink, n_weather, bits, mode, states, item_idx, ages, cost, ring,
     expiring) = _loop_setup(task)
    streams = _Streams(task.key, task.first_trial, trials)
    for d in range(world.days):
        combo = None
        if n_weather:
            wu = streams.uniforms(d, _STREAM_WEATHER, n_weather)
            combo = (wu < world.weather_p[d]) @ bits
        u = streams.uniforms(d, _STREAM_DEMAND, n_entities * n_channels
                             ).reshape(trials, n_entities, n_channels)
        counts = world.sampler.draw(d, combo, u)                 # [T, N, C]
        q = counts if identity else _stock_demand(counts, world.explode)
        if n_channels == 1:
            demand = q[:, :, 0]
            need = demand * gross_factor[None, :, 0] if has_loss else demand
        else:
            demand = q.sum(axis=2)                               # [T, I] net
            need = (q * gross_factor[None]).sum(axis=2) if has_loss else demand
        if record is not None:
            record.counts.append(np.array(counts, copy=True))
            record.combo.append(None if combo is None else np.array(combo, copy=True))
            wasted = np.zeros((trials, n_items))
        for p, (plan, st) in enumerate(zip(plans, states, strict=True)):
            recording = record is not None and p == 0
            inv, pipe, acc = st.inv, st.pipe, st.acc
            if plan.forecast is None:
                target = plan.target[d][None, :]
                st.safety = plan.safety[d][None, :]
            elif plan.review[d]:
                target, st.safety = _forecast_target(plan, st, d)
            stock = inv.sum(axis=0) if mode == "buckets" else inv    # [T, I] on hand
            if plan.review[d]:
                in_transit = pipe[:, :, 0] if pipe.shape[2] == 1 else pipe.sum(axis=2)
                position = stock + in_transit * plan.assumed_retention[None, :]
                order = np.maximum(target - position, 0.0)
                shipped = _round_orders(order, plan)
                if pipe.shape[2] == 1:
                    pipe[:, :, 0] += shipped
                else:
                    pipe[:, item_idx, plan.lead] += shipped
                acc.purchased += shipped @ cost
            arriving = pipe[:, :, 0]
            if has_shrink:
                arrived = arriving * world.retention[None, :]
                lost = arriving - arrived
                acc.shrink += lost @ cost
                acc.daily_waste[d] += lost.sum(axis=0) * cost
                if recording:
                    wasted += lost * cost
            else:
                arrived = arriving.copy()                # pipe shifts below
            if mode == "buckets":
                inv[0] += arrived
                stock = stock + arrived
            else:
                inv += arrived
                stock = inv.copy()                       # after the delivery (inv changes below)
            if st.arrivals is not None:                  # window: roll the arrival sums
                today = arrived + world.initial[None, :] if d == 0 else arrived
                for younger, w in zip(st.younger, AGE_WINDOW, strict=True):
                    if d >= w:
                        younger -= st.arrivals[(d - w) % ring]
                    younger += today
                st.arrivals[d % ring] = today
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
            if recording:
                assert record is not None
                record.served.append(np.array(frac, copy=True) if short.any()
                                     else np.ones_like(need))
                wasted += (issued - served) * cost
            if mode == "buckets":
                # FEFO: what remains is the youngest (stock − issued); bucket a keeps
                # clip(remaining − stock younger than a, 0, inv[a])
                _fefo_and_expiry(inv, np.maximum(stock - issued, 0.0), expiring[d], world, d,
                                 acc, wasted if recording else None)
                on_hand = inv.sum(axis=0)
                aged = (inv @ cost).T                    # [T, A] yuan by age
            else:
                np.maximum(inv - issued, 0.0, out=inv)
                on_hand = inv
                if st.arrivals is not None:              # youngest-first cumulative columns
                    aged = np.empty((trials, len(AGE_WINDOW) + 1))
                    for k, younger in enumerate(st.younger):
                        aged[:, k] = np.minimum(inv, younger) @ cost
                    aged[:, -1] = inv @ cost
                else:
                    aged = (inv @ cost)[:, None]
            acc.record_day(demand, served, issued, short, stock, aged, world.standard[d][None, :],
                           on_hand)
            if recording:
                assert record is not None
                record.waste.append(wasted)
            if st.hist is not None and plan.forecast is not None:
                coef = plan.forecast.coef[d]
                st.hist[d % plan.forecast.window] = np.divide(
                    counts, coef[None], out=np.array(counts, dtype=np.float64, copy=True),
                    where=coef[None] > 0)
            if mode == "buckets":                        # ageing: one shift, the last keeps
                inv[ages - 1] += inv[ages - 2]
                if ages > 2:
                    inv[1:ages - 1] = inv[0:ages - 2]
                inv[0] = 0.0
    for st in states:
        on_hand = st.inv.sum(axis=0) if mode == "buckets" else st.inv
        st.acc.closing = on_hand @ cost + st.pipe.sum(axis=2) @ cost
    return [st.acc.finish() for st in states]


_BLOCK_CELLS = 1 << 18
"""Elements of one ``[days, trials, ...]`` block array (2 MB)."""

_MAX_BLOCK_DAYS = 64

_SHORT_BLOCK_K = 760.0
"""The short day loop's blocks: about ``760 / √(trials × width)`` days (1k trials: 24 days,
10k: 7), and their buffers within :data:`_SHORT_BLOCK_CELLS` elements. Its day is a dozen
operations on ``[T, I]`` arrays, so a block's buffers are written and read back while they still
sit in the core's cache (2 MB here): measured at 1k trials, 64-day blocks took 1.4× the time of
24-day ones (and 40-day ones 1.15×), at 10k trials 26-day blocks 1.35× 6-day ones; fewer days
than that pay the per-block operations more often."""

_SHORT_BLOCK_CELLS = 1 << 17
"""Elements of the widest short-loop block array (the age-window sums: 3 per item): at 12.5k
trials with age tracking, 3-day blocks beat 5-day ones (1.1×)."""


def block_days(trials: int, width: int, days: int, *, short_width: int = 0) -> int:
    """Days per block of :func:`_simulate_blocked`: about :data:`_BLOCK_CELLS` elements of
    ``trials × width`` a day, between 1 and 64 days (never more than the horizon). For the short
    day loop (``short_width``: the width of a day's demand) at most :data:`_SHORT_BLOCK_K`
    ``/ √(trials × short_width)`` days and :data:`_SHORT_BLOCK_CELLS` elements of
    ``trials × width``.

    >>> block_days(1000, 1, 365), block_days(100_000, 1, 365), block_days(10, 1, 20)
    (64, 2, 20)
    >>> block_days(1000, 3, 365, short_width=1), block_days(10_000, 1, 365, short_width=1)
    (24, 7)
    >>> block_days(12_500, 3, 365, short_width=1)
    3
    """
    cells = max(1, trials * width)
    out = min(_MAX_BLOCK_DAYS, max(days, 1), _BLOCK_CELLS // cells)
    if short_width:
        out = min(out, _SHORT_BLOCK_CELLS // cells,
                  int(_SHORT_BLOCK_K / math.sqrt(max(1, trials * short_width))))
    return max(1, out)


_LOOP_ADD_CELLS = 1 << 14
"""From this many elements a day, :func:`_seq_add` adds the days one by one: measured at 10k
trials (40k elements a day) four in-place adds took 34 µs against 57 µs for the reduction (and
at 1k trials 31 against 22 µs)."""


def _seq_add(total: FloatArray, buf: FloatArray) -> None:
    """``total += buf[1]; total += buf[2]; ...`` in one call (``buf[0]`` is overwritten): a
    reduction over the outer axis of a C-ordered array adds the rows in order, element by
    element, so the result is bit-identical to the day-by-day sums — except when ``total`` is
    a single element, where numpy sums the one remaining axis pairwise. Large days are added
    one by one (:data:`_LOOP_ADD_CELLS`: faster there, the same sums)."""
    if total.size == 1 or total.size >= _LOOP_ADD_CELLS:   # (one element: a reduction
        for row in buf[1:]:                                  # would sum pairwise)
            np.add(total, row, out=total)
        return
    buf[0] = total
    np.add.reduce(buf, axis=0, out=total)


class _Block:
    """Per-block buffers of one plan: the day-by-day values the KPIs need, ``[B, T, ...]``."""

    __slots__ = ("aged", "aged_total", "counts_total", "issued", "issued_rows", "masks",
                 "money", "money_total", "onhand", "onhand_rows", "served", "served_rows",
                 "shipped", "shipped_bufs", "shipped_rows", "stock",
                 "stock_rows", "sums", "w3_rows", "w7_rows", "window", "window_days")

    def __init__(self, days: int, trials: int, items: int, age_cols: int, mode: str,
                 has_loss: bool, *, by_columns: bool = False) -> None:
        """``by_columns``: the short loop of one item with age tracking — the window sums and
        the stock value by age column with the column first (``[3, B, T, I]``,
        ``[columns, B + 1, T]``), so that the block's age products are contiguous (numpy's
        loops over strided rows measured up to 3× slower)."""
        shape = (days, trials, items)
        self.stock = np.zeros(shape)
        self.issued = np.zeros(shape)
        self.served = np.zeros(shape) if has_loss else self.issued
        self.onhand = np.zeros(shape)
        self.shipped = np.zeros(shape)
        # row (or, by columns, column row) 0: the running total. By columns every element is
        # written before it is read (the block's age columns, the window sums of each day, the
        # total row by the sum), so the buffers need no zeroing (np.empty: no memset)
        self.aged = np.empty((age_cols, days + 1, trials)) if by_columns \
            else np.zeros((days + 1, age_cols, trials))
        self.aged_total = np.zeros((age_cols, trials))       # Accumulator.aged, [columns, T]
        n_win = len(AGE_WINDOW)
        self.window = None if mode != "window" else \
            np.empty((n_win, days, trials, items)) if by_columns \
            else np.zeros((days, n_win, trials, items))
        # the window sums of each day of the block, one view per window (made once)
        self._window_views(columns=by_columns)
        self.sums = np.zeros((days + 1, trials))
        # the money sums side by side (demand value, served value, served cost, purchases,
        # issued cost), row 0 the running totals, and their totals over the chunk's days
        self.money = np.zeros((days + 1, 5, trials))
        self.money_total = np.zeros((5, trials))
        # the counted item-days (stocked out, safety met, with stock, sold) and their totals
        self.masks = np.zeros((4, days, trials, items), dtype=bool)
        self.counts_total = np.zeros((4, trials))
        # each buffer's day rows, one view per day (made once per chunk)
        self.shipped_rows, self.stock_rows = list(self.shipped), list(self.stock)
        self.issued_rows, self.served_rows = list(self.issued), list(self.served)
        self.onhand_rows = list(self.onhand)
        self.shipped_bufs = [(self.shipped, self.shipped_rows)]

    def _window_views(self, *, columns: bool) -> None:
        """Views made once of the window sums: each day's ``[3, T, I]`` (1-, 3-, 7-day) and
        its 3- and 7-day rows."""
        days = [] if self.window is None else \
            [self.window[:, j] for j in range(self.window.shape[1])] if columns \
            else list(self.window)
        self.window_days = days
        self.w3_rows = [day[1] for day in days]
        self.w7_rows = [day[2] for day in days]

    def keep_arrivals(self, days: int) -> None:
        """Rotate over enough shipped buffers that a day's row outlives ``days`` days: the short
        loop's arrival ring then holds the rows themselves (no copy a day)."""
        shape = self.shipped.shape
        while len(self.shipped_bufs) * shape[0] <= days:
            extra = np.zeros(shape)
            self.shipped_bufs.append((extra, list(extra)))

    def rotate(self, block: int) -> None:
        """The shipped buffer of the ``block``-th block (see :meth:`keep_arrivals`)."""
        self.shipped, self.shipped_rows = self.shipped_bufs[block % len(self.shipped_bufs)]


def _window_ones(blk: _Block, d0: int, nb: int, initial: FloatArray) -> FloatArray:
    """The short loop's 1-day arrival sums of a block's days ``[B, T, I]``: each day's
    arrivals (its order, 0 without a review), the opening stock added on day 0 — what the
    rolling sum (yesterday's, minus yesterday's arrivals, plus today's) gives exactly."""
    ones = blk.shipped[:nb]
    if d0 == 0:
        ones = ones.copy()
        ones[0] += initial[None, :]
    return ones


def _record_block(acc: Accumulator, d0: int, nb: int, demand: FloatArray, need: FloatArray,
                  blk: _Block, standard: FloatArray, has_loss: bool, nonneg: bool, *,
                  aged_by_columns: bool = False) -> None:
    """:meth:`Accumulator.record_day` of ``nb`` days at once, the same numbers bit for bit:
    money sums are added day by day in order (:func:`_seq_add`, all of them in one
    reduction), counts are whole numbers (any order gives the same float). The money and count
    totals are kept in the block (``money_total``, ``counts_total``) and written to ``acc`` by
    :func:`_finish_block`. ``nonneg``: stock is never negative, so a short item-day
    (need > stock) always has demand, and an item-day that served something had stock.
    ``aged_by_columns``: ``blk.aged`` is ``[columns, B + 1, T]`` (``_Block(by_columns=True)``)."""
    w = acc.world
    stock, served, issued, onhand = (blk.stock[:nb], blk.served[:nb], blk.issued[:nb],
                                     blk.onhand[:nb])
    buf = blk.money[:nb + 1]
    one = demand.shape[2] == 1
    sums = [(demand, w.price), (served, w.price), (served, w.cost), (blk.shipped[:nb], w.cost)]
    if has_loss:            # else served is issued: the same sums, bit for bit (below)
        sums.append((issued, w.cost))
    for k, (x, weight) in enumerate(sums):
        if one:     # x @ weight of one item is the one product, exactly
            np.multiply(x[:, :, 0], weight[0], out=buf[1:, k])
        else:       # a contiguous product, then placed (a strided output may sum otherwise)
            buf[1:, k] = np.matmul(x, weight)
    _seq_add(blk.money_total[:len(sums)], buf[:, :len(sums)])
    masks = blk.masks[:, :nb]
    stocked_out = masks[0]
    if nonneg:
        np.greater(need, stock, out=stocked_out)
    else:
        np.logical_and(need > stock, demand > 0, out=stocked_out)
    acc.daily_stockouts[d0:d0 + nb] += _count_per_day(stocked_out)
    if has_loss:
        for j in range(nb):
            acc.daily_waste[d0 + j] += (issued[j] - served[j]).sum(axis=0) * w.cost
    if aged_by_columns and blk.aged_total.size >= _LOOP_ADD_CELLS:
        for j in range(1, nb + 1):
            np.add(blk.aged_total, blk.aged[:, j], out=blk.aged_total)
    elif aged_by_columns:
        for total, column in zip(blk.aged_total, blk.aged, strict=True):
            _seq_add(total, column[:nb + 1])
    else:
        _seq_add(blk.aged_total, blk.aged[:nb + 1])       # acc.aged, transposed (at the end)
    np.greater_equal(onhand, (standard - 1e-9)[:, None, :], out=masks[1])
    np.greater(stock, 0.0, out=masks[2])
    if nonneg:
        np.greater(served, 0.0, out=masks[3])
    else:
        np.logical_and(masks[2], served > 0, out=masks[3])
    # the days added as bytes (≤ 64 < 256: exact), then the items: [4, T]
    per_item = np.add.reduce(masks.view(np.uint8), axis=1, dtype=np.uint8)
    blk.counts_total += per_item[:, :, 0] if per_item.shape[2] == 1 \
        else per_item.sum(axis=2, dtype=np.intp)
    acc.day += nb


def _finish_block(acc: Accumulator, blk: _Block, has_loss: bool) -> None:
    """The block's totals into the accumulator (once, after the last block)."""
    (acc.demand_value[...], acc.served_value[...], acc.served_cost[...],
     acc.purchased[...]) = blk.money_total[:4]
    acc.issued_cost[...] = blk.money_total[4] if has_loss else acc.served_cost
    acc.stockouts[...], acc.safety_ok[...], acc.with_stock[...], acc.sold[...] = \
        blk.counts_total
    acc.aged[...] = blk.aged_total.T


def _count_per_day(mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.intp]:
    """``np.count_nonzero(mask, axis=1)`` of a block's ``[B, T, I]`` mask: one item's day rows
    through the flat count (no axis: its fast path), else one reduction over the trials."""
    if mask.shape[2] == 1:
        return np.array([np.count_nonzero(day) for day in mask], dtype=np.intp)[:, None]
    counts: npt.NDArray[np.intp] = np.add.reduce(mask.view(np.uint8), axis=1, dtype=np.intp)
    return counts


class _Consts:
    """Arrays ``[T, I]`` of the constants of the short day loop: an operation on two arrays of
    one shape skips the scalar conversion and the broadcast (≈ 0.5 against 0.75–0.9 µs for a
    thousand elements) and computes the same numbers."""

    __slots__ = ("c1e6", "c1000", "ones", "zero")

    def __init__(self, trials: int, items: int) -> None:
        self.zero = np.zeros((trials, items))
        self.ones = np.ones((trials, items))
        self.c1000 = np.full((trials, items), 1000.0)
        self.c1e6 = np.full((trials, items), 1e6)


def _days_simple(d0: int, nb: int, reviews: list[bool], targets: FloatArray,
                 target_full: FloatArray | None, inv: FloatArray, prev: FloatArray | None,
                 need_rows: list[FloatArray], demand_rows: list[FloatArray], blk: _Block,
                 ring: list[FloatArray] | None, initial: FloatArray, has_loss: bool,
                 k: _Consts, frac: FloatArray) -> tuple[FloatArray, FloatArray | None]:
    """The days of one block of a fixed order-up-to plan with no lead time, no purchase packs,
    no transit shrink and no perishables: the operations of the general day loop that such a
    plan performs, in the same order, and nothing else (``np.round(x, 6)`` spelled out as
    numpy computes it: ``rint(x · 1e6) / 1e6``; scalars as arrays of the state's shape, the
    same numbers). Returns the closing stock and window sums.

    ``target_full`` is the order-up-to level as a ``[T, I]`` array when it is the same every
    day (else None: ``targets[d]``). ``need_rows[j]`` / ``demand_rows[j]`` are day j's rows of
    the block's demand. ``ring`` holds the arrivals of the last seven days (window mode), by
    reference: each day's row of the block's shipped buffer, which the caller does not
    overwrite for seven days (:meth:`_Block.rotate`)."""
    sub, mul, div, add = np.subtract, np.multiply, np.divide, np.add
    mx, rint, ceil, fmin = np.maximum, np.rint, np.ceil, np.fmin
    zero, ones, c1000, c1e6 = k.zero, k.ones, k.c1000, k.c1e6
    n_ring = max(AGE_WINDOW)
    _, w3, w7 = AGE_WINDOW
    shipped_rows, stock_rows, issued_rows = blk.shipped_rows, blk.stock_rows, blk.issued_rows
    served_rows, onhand_rows = blk.served_rows, blk.onhand_rows
    if ring is not None:
        assert prev is not None
        prev0, p3, p7 = prev                            # yesterday's 1-, 3- and 7-day sums
        w3_rows, w7_rows = blk.w3_rows, blk.w7_rows
    for j in range(nb):
        d = d0 + j
        shipped, stock, need = shipped_rows[j], stock_rows[j], need_rows[j]
        if reviews[j]:
            # the pipeline is empty at the review
            sub(target_full if target_full is not None else targets[d], inv, shipped)
            mx(shipped, zero, out=shipped)
            mul(shipped, c1000, shipped)                # _round_orders: the 0.001 grid
            mul(shipped, c1e6, shipped)
            rint(shipped, shipped)
            div(shipped, c1e6, shipped)
            ceil(shipped, shipped)
            div(shipped, c1000, shipped)
            add(inv, shipped, stock)
            arrived: FloatArray | None = shipped
        else:
            shipped.fill(0.0)
            stock[...] = inv
            arrived = None
        if ring is None:
            pass
        elif d >= n_ring:                               # window: roll the arrival sums
            # the 1-day sum (yesterday's minus yesterday's arrivals, plus today's) is today's
            # arrivals exactly: filled in at the block's end (_window_ones). The 3- and 7-day
            # sums from yesterday's (p3, p7), one call per row: on a [2, T, I] view numpy's
            # loop setup costs more than a second call (1.4-1.6 µs against 0.85 µs for two
            # adds at 1k trials)
            r3, r7 = w3_rows[j], w7_rows[j]
            sub(p3, ring[(d - w3) % n_ring], r3)
            sub(p7, ring[(d - w7) % n_ring], r7)
            if arrived is not None:
                add(r3, arrived, r3)
                add(r7, arrived, r7)
                ring[d % n_ring] = arrived
            else:
                ring[d % n_ring] = zero
            p3, p7 = r3, r7
        else:
            assert blk.window is not None
            today = (arrived if arrived is not None else zero) + initial[None, :] \
                if d == 0 else arrived
            cur = blk.window_days[j]
            cur[0] = prev0
            cur[1] = p3
            cur[2] = p7
            for younger, w in zip(cur, AGE_WINDOW, strict=True):
                if d >= w:
                    younger -= ring[(d - w) % n_ring]
                if today is not None:
                    younger += today
            ring[d % n_ring] = zero if today is None else today
            prev0, p3, p7 = cur
        div(stock, need, frac)                          # served fraction (see the day loop)
        fmin(frac, ones, frac)
        issued = mul(need, frac, issued_rows[j])
        if has_loss:
            mul(demand_rows[j], frac, served_rows[j])
        inv = onhand_rows[j]
        sub(stock, issued, inv)
        mx(inv, zero, out=inv)
    if ring is not None:
        return inv, blk.window_days[nb - 1]
    return inv, prev


def _simulate_blocked(task: ChunkTask) -> list[dict[str, FloatArray]]:
    """:func:`_simulate_daily` with the work that does not depend on the stock done for a block
    of days at once: the demand draws (one table search per block), the KPI sums (one
    reduction per block) and the age mix; what stays per day is the stock recursion itself,
    with buffers reused and the features the world does not have skipped. Bit-identical to
    the day-by-day loop (``tests/test_simulate_fastpath.py``)."""
    (world, plans, trials, n_items, n_entities, n_channels, identity, gross_factor, has_loss,
     has_shrink, n_weather, bits, mode, states, item_idx, ages, cost, ring,
     expiring) = _loop_setup(task)
    cells = n_entities * n_channels
    age_cols = {"none": 1, "window": len(AGE_WINDOW) + 1, "buckets": ages}[mode]
    width = max(cells, n_items * (len(AGE_WINDOW) if mode == "window" else 1))
    lead0 = [st.pipe.shape[2] == 1 and bool(np.isfinite(plan.assumed_retention).all())
             for plan, st in zip(plans, states, strict=True)]
    packs = [bool((plan.pack_size > 0).any()) for plan in plans]
    # the common case on its own short loop: a fixed order-up-to plan delivered the same day
    simple = [lead0[p] and not packs[p] and plan.forecast is None and not has_shrink
              and mode != "buckets" for p, plan in enumerate(plans)]
    # the short loop's blocks by the width of a day's demand (its window sums are a few more
    # [T, I] rows a day, not a wider day: measured, 24-day blocks at 1k trials beat 10-day ones)
    n_block = block_days(trials, width, world.days, short_width=max(cells, n_items)) \
        if all(simple) else block_days(trials, width, world.days)
    # random numbers: trial t's numbers of a day sit at t·per_trial of the day's stream
    philox = np.random.Philox(counter=[0, 0, 0, 0], key=np.array(task.key, dtype=np.uint64))
    gen = np.random.Generator(philox)
    # the state as plain lists: the setter reads Python ints faster than numpy scalars
    initial_state = philox.state
    inner: dict[str, list[int]] = {
        "counter": [0, 0, 0, 0], "key": [int(v) for v in initial_state["state"]["key"]]}
    pstate: dict[str, Any] = {
        "bit_generator": initial_state["bit_generator"], "state": inner,
        "buffer": [0, 0, 0, 0], "buffer_pos": 4, "has_uint32": 0, "uinteger": 0}
    first_trial = task.first_trial

    def draw_uniforms(day: int, stream: int, per_trial: int, out: FloatArray) -> None:
        # the 4-word buffer empty: the next number comes from the counter set here
        inner["counter"] = [first_trial * per_trial // 4, day, stream, 0]
        philox.state = pstate  # type: ignore[assignment]
        gen.random(out=out)

    u_skip = task.first_trial * cells % 4
    u_buf = np.empty((n_block, u_skip + trials * cells))
    w_skip = task.first_trial * n_weather % 4
    w_buf = np.empty((n_block, w_skip + trials * n_weather)) if n_weather else None
    counts_buf = np.empty((n_block, trials, n_entities, n_channels))
    simple_demand = identity and n_channels == 1
    demand_buf = np.empty((n_block, trials, n_items))
    need_buf = np.empty((n_block, trials, n_items)) if has_loss else demand_buf
    # the short loop of one item with age tracking: the age columns' buffers column first
    by_columns = [mode == "window" and simple[p] and n_items == 1 for p in range(len(plans))]
    blocks = [_Block(n_block, trials, n_items, age_cols, mode, has_loss, by_columns=columns)
              for columns in by_columns]
    work = np.empty(2 * n_block * trials * cells, dtype=np.intp)
    nonneg = bool((world.initial >= 0).all() and (world.retention >= 0).all())
    frac = np.empty((trials, n_items))
    consts = _Consts(trials, n_items)
    zero = consts.zero
    # a fixed plan's order-up-to level as one [T, I] array when it is the same every day
    target_full = [np.repeat(plan.target[:1], trials, axis=0)
                   if simple[p] and world.days and bool((plan.target == plan.target[0]).all())
                   else None for p, plan in enumerate(plans)]
    # day rows of the block's demand (views made once; the buffers outlive the blocks)
    demand_rows = list(counts_buf[:, :, :, 0]) if simple_demand else list(demand_buf)
    need_rows = list(need_buf) if has_loss else demand_rows
    # the simple loop's arrivals of the last days: by reference into the block's shipped
    # buffers, enough of them in rotation that no row is overwritten within the ring's days
    rings: list[list[FloatArray] | None] = [
        [zero] * ring if st.arrivals is not None and simple[p] else None
        for p, st in enumerate(states)]
    for blk, arrivals in zip(blocks, rings, strict=True):
        if arrivals is not None:
            blk.keep_arrivals(ring)
    # window mode: the rolling arrival sums as one [3, T, I] array (st.younger: its rows)
    young = [np.stack(st.younger) if st.arrivals is not None else None for st in states]
    for st, y in zip(states, young, strict=True):
        if y is not None:
            st.younger = list(y)
    carry = list(young)
    with np.errstate(divide="ignore", invalid="ignore"):
        for d0 in range(0, world.days, n_block):
            nb = min(n_block, world.days - d0)
            combo_blk = None
            if n_weather:
                assert w_buf is not None
                for j in range(nb):
                    draw_uniforms(d0 + j, _STREAM_WEATHER, n_weather, w_buf[j])
                wu = w_buf[:nb, w_skip:].reshape(nb, trials, n_weather)
                combo_blk = (wu < world.weather_p[d0:d0 + nb, None, :]) @ bits   # [B, T]
            for j in range(nb):
                draw_uniforms(d0 + j, _STREAM_DEMAND, cells, u_buf[j])
            u = u_buf[:nb, u_skip:].reshape(nb, trials, n_entities, n_channels)
            counts_blk = world.sampler.draw_days(d0, combo_blk, u, counts_buf[:nb], work)
            if simple_demand:
                demand_blk = counts_blk[:, :, :, 0]
                if has_loss:
                    np.multiply(demand_blk, gross_factor[None, None, :, 0], out=need_buf[:nb])
                need_blk = need_buf[:nb] if has_loss else demand_blk
            else:
                for j in range(nb):
                    counts = counts_blk[j]
                    q = counts if identity else _stock_demand(counts, world.explode)
                    if n_channels == 1:
                        demand_buf[j] = q[:, :, 0]
                        if has_loss:
                            need_buf[j] = q[:, :, 0] * gross_factor[None, :, 0]
                    else:
                        demand_buf[j] = q.sum(axis=2)
                        if has_loss:
                            need_buf[j] = (q * gross_factor[None]).sum(axis=2)
                demand_blk, need_blk = demand_buf[:nb], need_buf[:nb]
            for p, (plan, st) in enumerate(zip(plans, states, strict=True)):
                blk = blocks[p]
                inv, pipe, acc = st.inv, st.pipe, st.acc
                y = young[p]
                prev = carry[p] if simple[p] else y
                reviews = plan.review[d0:d0 + nb].tolist()
                if simple[p]:
                    blk.rotate(d0 // n_block)
                    inv, prev = _days_simple(d0, nb, reviews, plan.target, target_full[p],
                                             inv, prev, need_rows, demand_rows, blk, rings[p],
                                             world.initial, has_loss, consts, frac)
                for j in range(nb if not simple[p] else 0):
                    d = d0 + j
                    need, demand = need_blk[j], demand_blk[j]
                    review = reviews[j]
                    shipped = blk.shipped[j]
                    if plan.forecast is None:
                        target = plan.target[d]
                    elif review:
                        target, st.safety = _forecast_target(plan, st, d)
                    stock = inv.sum(axis=0) if mode == "buckets" else inv    # [T, I] on hand
                    if review:
                        if lead0[p]:
                            np.subtract(target, stock, out=shipped)     # the pipeline is empty
                        else:
                            in_transit = pipe[:, :, 0] if pipe.shape[2] == 1 \
                                else pipe.sum(axis=2)
                            position = stock + in_transit * plan.assumed_retention[None, :]
                            np.subtract(target, position, out=shipped)
                        np.maximum(shipped, zero, out=shipped)
                        np.multiply(shipped, 1000.0, out=shipped)   # _round_orders, in place
                        shipped.round(6, out=shipped)
                        np.ceil(shipped, out=shipped)
                        np.divide(shipped, 1000.0, out=shipped)
                        if packs[p]:
                            sizes = np.where(plan.pack_size > 0, plan.pack_size, 0.001)
                            from jxc_rules.packaging import ship_plan_batch

                            boxed = ship_plan_batch(shipped, sizes[None, :], mode=plan.rounding,
                                                    decimals=3).shipped
                            shipped[:] = np.where(plan.pack_size[None, :] > 0, boxed, shipped)
                        if not lead0[p]:
                            if pipe.shape[2] == 1:
                                pipe[:, :, 0] += shipped
                            else:
                                pipe[:, item_idx, plan.lead] += shipped
                    else:
                        shipped[:] = 0.0
                    # lead 0: today's order is today's delivery (nothing on other days)
                    arriving = (shipped if review else None) if lead0[p] else pipe[:, :, 0]
                    arrived: FloatArray | None = arriving
                    if has_shrink and arriving is not None:
                        arrived = arriving * world.retention[None, :]
                        lost = arriving - arrived
                        acc.shrink += lost @ cost
                        acc.daily_waste[d] += lost.sum(axis=0) * cost
                    stock_d = blk.stock[j]
                    if mode == "buckets":
                        if arrived is not None:
                            inv[0] += arrived
                            np.add(stock, arrived, out=stock_d)
                        else:
                            stock_d[:] = stock
                    elif arrived is not None:
                        np.add(inv, arrived, out=stock_d)
                    else:
                        stock_d[:] = inv
                    if st.arrivals is not None:              # window: roll the arrival sums
                        assert blk.window is not None
                        assert prev is not None
                        today = (arrived if arrived is not None else zero) \
                            + world.initial[None, :] if d == 0 else arrived
                        cur = blk.window[j]                  # today's sums, from yesterday's
                        if d >= ring:
                            for k, w in enumerate(AGE_WINDOW):
                                np.subtract(prev[k], st.arrivals[(d - w) % ring], out=cur[k])
                            if today is not None:
                                np.add(cur, today, out=cur)
                        else:
                            cur[...] = prev
                            for younger, w in zip(cur, AGE_WINDOW, strict=True):
                                if d >= w:
                                    younger -= st.arrivals[(d - w) % ring]
                                if today is not None:
                                    younger += today
                        if today is None:
                            st.arrivals[d % ring] = 0.0
                        else:
                            st.arrivals[d % ring] = today
                        prev = cur
                    if not lead0[p]:
                        if pipe.shape[2] > 1:
                            pipe[:, :, :-1] = pipe[:, :, 1:]
                        pipe[:, :, -1] = 0.0
                    # the served fraction: stock / need where short, else 1 (0/0 and x/0 → 1)
                    np.divide(stock_d, need, out=frac)
                    np.fmin(frac, 1.0, out=frac)
                    issued = np.multiply(need, frac, out=blk.issued[j])
                    if has_loss:
                        np.multiply(demand, frac, out=blk.served[j])
                    if mode == "buckets":
                        _fefo_and_expiry(inv, np.maximum(stock_d - issued, 0.0), expiring[d],
                                         world, d, acc)
                        np.sum(inv, axis=0, out=blk.onhand[j])
                        blk.aged[j + 1] = inv @ cost             # [A, T] yuan by age
                    else:               # the day's closing stock is tomorrow's inv
                        inv = blk.onhand[j]
                        np.subtract(stock_d, issued, out=inv)
                        np.maximum(inv, zero, out=inv)
                    if st.hist is not None and plan.forecast is not None:
                        coef = plan.forecast.coef[d]
                        counts = counts_blk[j]
                        st.hist[d % plan.forecast.window] = np.divide(
                            counts, coef[None], out=np.array(counts, dtype=np.float64,
                                                             copy=True),
                            where=coef[None] > 0)
                    if mode == "buckets":
                        inv[ages - 1] += inv[ages - 2]
                        if ages > 2:
                            inv[1:ages - 1] = inv[0:ages - 2]
                        inv[0] = 0.0
                onhand = blk.onhand[:nb]
                if mode != "buckets":
                    st.inv[...] = inv
                    inv = st.inv
                if simple[p]:       # the last day's window sums, read by the next block's first
                    carry[p] = prev
                elif y is not None:
                    y[...] = prev
                # stock value by age column (contiguous products, then placed: a product into
                # a strided output may take another summation order)
                aged = blk.aged[1:nb + 1]                    # [B, columns, T]
                n_win = len(AGE_WINDOW)
                if mode == "window":
                    assert blk.window is not None
                    ones_day = _window_ones(blk, d0, nb, world.initial) if simple[p] else None
                    if by_columns[p]:
                        assert ones_day is not None
                        ac, c, on2 = blk.aged, cost[0], onhand[:, :, 0]     # [cols, B + 1, T]
                        np.minimum(on2, ones_day[:, :, 0], out=ac[0, 1:nb + 1])
                        np.minimum(on2[None], blk.window[1:, :nb, :, 0], out=ac[1:n_win, 1:nb + 1])
                        ac[:n_win, 1:nb + 1] *= c
                        np.multiply(on2, c, out=ac[n_win, 1:nb + 1])
                    elif n_items == 1:    # one item: the product is exact
                        if ones_day is None:
                            np.minimum(onhand[:, None, :, 0], blk.window[:nb, :, :, 0],
                                       out=aged[:, :n_win])
                        else:
                            np.minimum(onhand[:, :, 0], ones_day[:, :, 0], out=aged[:, 0])
                            np.minimum(onhand[:, None, :, 0], blk.window[:nb, 1:, :, 0],
                                       out=aged[:, 1:n_win])
                        aged[:, :n_win] *= cost[0]
                        np.multiply(onhand[:, :, 0], cost[0], out=aged[:, n_win])
                    else:
                        if ones_day is not None:
                            blk.window[:nb, 0] = ones_day
                        aged[:, :n_win] = np.minimum(onhand[:, None], blk.window[:nb]) @ cost
                        aged[:, n_win] = onhand @ cost
                elif mode == "none":
                    if n_items == 1:
                        np.multiply(onhand[:, :, 0], cost[0], out=aged[:, 0])
                    else:
                        aged[:, 0] = onhand @ cost
                _record_block(acc, d0, nb, demand_blk, need_blk, blk,
                              world.standard[d0:d0 + nb], has_loss, nonneg,
                              aged_by_columns=by_columns[p])
    for y, last in zip(young, carry, strict=True):
        if y is not None and last is not None and last is not y:
            y[...] = last                       # the state's window sums, as the day loop's
    for st, blk in zip(states, blocks, strict=True):
        _finish_block(st.acc, blk, has_loss)
        on_hand = st.inv.sum(axis=0) if mode == "buckets" else st.inv
        st.acc.closing = on_hand @ cost + st.pipe.sum(axis=2) @ cost
    return [st.acc.finish() for st in states]


def run_tasks(tasks: Sequence[ChunkTask], executor: Any = None,
              progress: Any = None) -> list[list[dict[str, FloatArray]]]:
    """Run chunks serially (``executor=None``) or through anything with ``.map``; results in
    chunk order. ``progress`` (optional) is called once per finished chunk (and its
    ``set_total(n)``, if it has one, once before).

    Thread pools share the world in memory; process pools and Dask receive it once per worker
    (:mod:`jxc_rules.simulate.scaleout`), tasks carrying only the chunk's random-number address.
    """
    from concurrent.futures import ThreadPoolExecutor

    set_total = getattr(progress, "set_total", None)
    if set_total is not None:
        set_total(len(tasks))
    same_world = all(t.world is tasks[0].world and t.plans is tasks[0].plans for t in tasks)
    if executor is not None and not isinstance(executor, ThreadPoolExecutor) and same_world \
            and tasks:
        from jxc_rules.simulate.scaleout import run_light

        return run_light(tasks[0].world, tasks[0].plans,
                         [(t.key, t.first_trial, t.trials, t.index) for t in tasks],
                         executor, progress)
    mapper = map if executor is None else executor.map
    out: list[list[dict[str, FloatArray]]] = []
    for result in mapper(simulate_chunk, tasks):
        out.append(result)
        if progress is not None:
            progress()
    return out
