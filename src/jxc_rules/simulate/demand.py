"""Demand: base levels per day, holiday profiles, and the random draws around them.

A *demand entity* is a dish (menu item, exploded into stock items through the pack's recipes) or
a stock item sold directly, at one location. Its mean on day *d* in channel *c* is

    μ[d, n, c] = base[n, c](day type of d) · scale[location] · H[d, c] · h_item[d, n]

with the weekly base laid over the calendar (:func:`~jxc_rules.simulate.calendar.day_type_weights`),
H the multiplicative holiday profile and h_item an optional per-item multiplier on the days of a
break. Weather multiplies per trial (:mod:`jxc_rules.simulate.weather`). Counts are Poisson(λ),
negative binomial (gamma–Poisson mixture, variance λ + λ²/k) or deterministic (λ itself).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from jxc_rules.simulate.calendar import (
    Calendar,
    HolidayProfile,
    day_type_weights,
    holiday_multipliers,
)
from jxc_rules.simulate.scenario import DemandSpec, Distribution, Scenario

__all__ = [
    "GUIDE_SIZE",
    "TableSampler",
    "build_sampler",
    "demand_entities",
    "draw_counts",
    "entity_means",
    "item_holiday_factors",
]


def demand_entities(scenario: Scenario) -> list[tuple[str, str, bool]]:
    """``(location, name, is_dish)`` of every demand entity, location-major, dishes first."""
    out: list[tuple[str, str, bool]] = []
    for loc in scenario.locations:
        out.extend((loc.id, dish, True) for dish in scenario.dishes)
        out.extend((loc.id, item, False) for item, spec in scenario.items.items() if spec.demand)
    return out


def _spec_of(scenario: Scenario, name: str, is_dish: bool) -> Mapping[str, DemandSpec]:
    return scenario.dishes[name] if is_dish else scenario.items[name].demand


def item_holiday_factors(
    calendar: Calendar, scenario: Scenario, names: Sequence[str]
) -> npt.NDArray[np.float64]:
    """Per-day multiplier of each named entity from the holidays' ``items`` tables (applied on
    the days of the break), shape ``(days, len(names))``."""
    out = np.ones((calendar.days, len(names)))
    if not calendar.days:
        return out
    blocks = calendar.blocks()  # the scenario's calendar: schedule included
    start = calendar.dates[0]
    col = {n: k for k, n in enumerate(names)}
    for hname, effect in scenario.holidays.items():
        for first, last in blocks.get(hname, []):
            lo = max(0, (first - start).days)
            hi = min(calendar.days - 1, (last - start).days)
            if hi < lo:
                continue
            for item, mult in effect.items.items():
                for n, k in col.items():
                    if n == item:
                        out[lo:hi + 1, k] *= mult
    return out


def entity_means(
    scenario: Scenario,
    calendar: Calendar,
    holidays: Mapping[str, Mapping[str, HolidayProfile]],
    *,
    item_factors: bool = True,
) -> npt.NDArray[np.float64]:
    """Mean demand ``μ[D, N, C]`` of every entity of :func:`demand_entities` under the given
    holiday profiles (the scenario's true ones, or a rule pack's assumed ones)."""
    entities = demand_entities(scenario)
    channels = scenario.channels
    out = np.zeros((calendar.days, len(entities), len(channels)))
    scale = {loc.id: loc.demand_scale for loc in scenario.locations}
    for n, (loc, name, is_dish) in enumerate(entities):
        for c, ch in enumerate(channels):
            spec = _spec_of(scenario, name, is_dish).get(ch)
            if spec is not None:
                out[:, n, c] = day_type_weights(calendar, spec.weekly) * scale[loc]
    out *= holiday_multipliers(calendar, holidays, channels)[:, None, :]
    if item_factors:
        out *= item_holiday_factors(calendar, scenario, [e[1] for e in entities])[:, :, None]
    return out


def draw_counts(
    rng: np.random.Generator, lam: npt.NDArray[np.float64], distribution: Distribution
) -> npt.NDArray[np.float64]:
    """One draw of demand counts with means ``lam`` (any shape), as float64.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> draw_counts(rng, np.array([2.0, 3.5]), Distribution("deterministic")).tolist()
    [2.0, 3.5]
    """
    if distribution.kind == "deterministic":
        return np.array(lam, dtype=np.float64, copy=True)
    if distribution.kind == "negative_binomial":
        k = float(distribution.dispersion or 1.0)
        mixed = rng.standard_gamma(k, size=lam.shape) * (lam / k)
        return rng.poisson(mixed).astype(np.float64)
    return rng.poisson(lam).astype(np.float64)


# --------------------------------------------------------------------------------------------
# inverse-transform sampling with guide tables

GUIDE_SIZE = 512
"""Guide-table cells per distribution (Chen & Asau 1974): a uniform u starts its search at the
smallest k with F(k) > floor(u·M)/M and walks up while F(k) <= u — exact inversion, about one
step on average."""

_MAX_TABLE_ENTRIES = 20_000_000


@attrs.frozen(eq=False)
class TableSampler:
    """Exact inverse-CDF sampler for every (day, weather combination, entity, channel) mean.

    ``cdf`` holds one CDF segment per distinct mean (each ending at exactly 1.0, the tail beyond
    ``1 − 1e-16`` folded into the last value), ``start`` where each segment begins, ``guide``
    the guide table (absolute indices into ``cdf``) and ``ids[d, combo, n, c]`` the segment of
    each mean. Deterministic demand keeps the means in ``values`` instead.
    """

    ids: npt.NDArray[np.intp]
    cdf: npt.NDArray[np.float64]
    start: npt.NDArray[np.intp]
    guide: npt.NDArray[np.intp]
    values: npt.NDArray[np.float64] | None = None

    def draw(self, day: int, combo: npt.NDArray[np.intp] | None,
             uniforms: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Counts ``[T, N, C]`` for day ``day`` from uniforms ``[T, N, C]``; ``combo[T]`` picks
        each trial's weather combination (None: combination 0 for all)."""
        if self.values is not None:
            vals = self.values[day, :1] if combo is None else self.values[day][combo]
            return np.broadcast_to(vals, uniforms.shape).astype(np.float64)
        day_ids = self.ids[day]                                   # [combos, N, C] (small)
        guide_base = day_ids * GUIDE_SIZE
        start = self.start[day_ids]
        if combo is None:
            guide_base, start = guide_base[:1], start[:1]
        else:
            guide_base, start = guide_base[combo], start[combo]    # row gathers, contiguous
        k = self.guide[guide_base + (uniforms * GUIDE_SIZE).astype(np.intp)]
        step = self.cdf[k] <= uniforms
        if step.any():
            # walk up the few draws the guide cell did not settle (far tails walk longest)
            flat_k = k.reshape(-1)
            flat_u = np.ascontiguousarray(uniforms).reshape(-1)
            todo = np.flatnonzero(step)
            while todo.size:
                flat_k[todo] += 1
                todo = todo[self.cdf[flat_k[todo]] <= flat_u[todo]]
        out: npt.NDArray[np.float64] = (k - start).astype(np.float64)
        return out

    def draw_days(self, first_day: int, combo: npt.NDArray[np.intp] | None,
                  uniforms: npt.NDArray[np.float64], out: npt.NDArray[np.float64],
                  work: npt.NDArray[np.intp] | None = None) -> npt.NDArray[np.float64]:
        """:meth:`draw` of the days ``first_day ... first_day + B − 1`` at once: counts
        ``[B, T, N, C]`` into ``out`` from uniforms ``[B, T, N, C]`` (``combo[B, T]`` or None),
        elementwise the same numbers as ``B`` calls of :meth:`draw` (the same table, the same
        search) at a fixed number of array operations for the whole block. ``work`` (optional)
        is an integer scratch array of at least ``2 · uniforms.size`` elements."""
        n_days = uniforms.shape[0]
        days = slice(first_day, first_day + n_days)
        if self.values is not None:
            if combo is None:
                vals = self.values[days, :1]                          # [B, 1, N, C]
            else:
                vals = self.values[days][np.arange(n_days)[:, None], combo]
            np.copyto(out, np.broadcast_to(vals, uniforms.shape))
            return out
        day_ids = self.ids[days]                                  # [B, combos, N, C]
        # [B, 1, N, C] without weather, else each trial's combination: [B, T, N, C]
        day_ids = day_ids[:, :1] if combo is None \
            else day_ids[np.arange(n_days)[:, None], combo]
        size = uniforms.size
        if work is None or work.size < 2 * size:
            work = np.empty(2 * size, dtype=np.intp)
        cell = work[:size].reshape(uniforms.shape)
        k = work[size:2 * size].reshape(uniforms.shape)
        np.multiply(uniforms, GUIDE_SIZE, out=out)                # out: scratch until the end
        np.copyto(cell, out, casting="unsafe")                    # floor(u · M), u >= 0
        first = int(day_ids.flat[0])
        if combo is not None or not bool((day_ids == first).all()):
            cell += day_ids * GUIDE_SIZE
        elif first:                     # one distribution for the whole block: one offset
            cell += first * GUIDE_SIZE
        # indices are in range by construction: "clip" only spares take() its buffered copy
        tables = _guide_tables(self)
        if tables is not None:          # small tables: no pass through the CDF index
            guide_cdf, guide_count = tables
            np.take(guide_cdf, cell, out=out, mode="clip")        # F at the guide's start
            mask = work[size:2 * size].view(np.bool_)[:size].reshape(uniforms.shape)
            todo = np.flatnonzero(np.less_equal(out, uniforms, out=mask))
            at = self.guide[cell.reshape(-1)[todo]] if todo.size else todo
            np.take(guide_count, cell, out=out, mode="clip")      # count at the guide's start
            if todo.size:
                flat_out = out.reshape(-1)
                flat_u = uniforms.reshape(-1) if uniforms.flags.c_contiguous \
                    else np.ascontiguousarray(uniforms).reshape(-1)
                while todo.size:        # the walk of the general path, on the counts
                    at += 1
                    flat_out[todo] += 1.0
                    more = self.cdf[at] <= flat_u[todo]
                    todo, at = todo[more], at[more]
            return out
        np.take(self.guide, cell, out=k, mode="clip")
        np.take(self.cdf, k, out=out, mode="clip")
        mask = work[:size].view(np.bool_)[:size].reshape(uniforms.shape)    # cell is done
        todo = np.flatnonzero(np.less_equal(out, uniforms, out=mask))
        if todo.size:
            flat_k = k.reshape(-1)
            flat_u = uniforms.reshape(-1) if uniforms.flags.c_contiguous \
                else np.ascontiguousarray(uniforms).reshape(-1)
            while todo.size:
                flat_k[todo] += 1
                todo = todo[self.cdf[flat_k[todo]] <= flat_u[todo]]
        # the count of each draw: its index within its CDF segment, read from one table
        np.take(_counts_table(self), k, out=out, mode="clip")
        return out


_COUNTS: weakref.WeakKeyDictionary[TableSampler, npt.NDArray[np.float64]] = \
    weakref.WeakKeyDictionary()
_GUIDED: weakref.WeakKeyDictionary[
    TableSampler, tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]] | None] = \
    weakref.WeakKeyDictionary()
_COUNTS_LOCK = threading.Lock()

_GUIDED_MAX = 1 << 19
"""Guide cells up to which :meth:`TableSampler.draw_days` keeps the CDF value and the count at
each cell's start (two float tables of at most 4 MB each)."""


def _guide_tables(sampler: TableSampler
                  ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]] | None:
    """``(cdf[guide], counts[guide])`` of a sampler with at most :data:`_GUIDED_MAX` guide
    cells (else None), made once per sampler and process."""
    with _COUNTS_LOCK:
        if sampler in _GUIDED:
            return _GUIDED[sampler]
    tables = None
    if sampler.guide.size <= _GUIDED_MAX:
        tables = (sampler.cdf[sampler.guide], _counts_table(sampler)[sampler.guide])
    with _COUNTS_LOCK:
        _GUIDED[sampler] = tables
    return tables


def _counts_table(sampler: TableSampler) -> npt.NDArray[np.float64]:
    """``k − start`` of every index ``k`` of ``sampler.cdf`` (the count it stands for, as
    float64), made once per sampler and process (never pickled with the world)."""
    with _COUNTS_LOCK:
        table = _COUNTS.get(sampler)
    if table is None:
        sizes = np.diff(np.append(sampler.start, sampler.cdf.size))
        table = (np.arange(sampler.cdf.size) - np.repeat(sampler.start, sizes)
                 ).astype(np.float64)
        with _COUNTS_LOCK:
            _COUNTS[sampler] = table
    return table


def _poisson_cdf(ks: npt.NDArray[Any], lam: Any) -> npt.NDArray[np.float64]:
    """``scipy.stats.poisson.cdf(ks, lam)`` for whole ``ks >= 0``, bit for bit: the function
    it calls (``scipy.special.pdtr``), without importing ``scipy.stats`` (0.5 s, a third of a
    command-line run's start)."""
    from scipy import special

    return np.asarray(special.pdtr(ks, lam), dtype=np.float64)


def _nbinom_cdf(ks: npt.NDArray[Any], n: float, p: Any) -> npt.NDArray[np.float64]:
    """``scipy.stats.nbinom.cdf(ks, n, p)`` for whole ``ks >= 0``, bit for bit: the
    regularised incomplete beta ``I_p(n, k + 1)`` (``scipy.special.betainc``, Boost's
    ``ibeta``, as ``nbinom`` computes it), without importing ``scipy.stats``."""
    from scipy import special

    return np.asarray(special.betainc(n, np.asarray(ks, dtype=np.float64) + 1.0, p),
                      dtype=np.float64)


def _cdf_table(lam: float, distribution: Distribution) -> npt.NDArray[np.float64]:
    if lam <= 0:
        return np.ones(1)
    if distribution.kind == "negative_binomial":
        k = float(distribution.dispersion or 1.0)
        sd = np.sqrt(lam + lam * lam / k)
        size = int(lam + 20 * sd + 40)
        cdf = _nbinom_cdf(np.arange(size), k, k / (k + lam))
    else:
        size = int(lam + 20 * np.sqrt(lam) + 40)
        cdf = _poisson_cdf(np.arange(size), lam)
    cdf = np.maximum.accumulate(np.asarray(cdf, dtype=np.float64))
    last = int(np.searchsorted(cdf, 1.0 - 1e-16, side="left"))
    cdf = cdf[:min(last + 1, size)].copy()
    cdf[-1] = 1.0
    return cdf


def _table_size(lam: float, distribution: Distribution) -> int:
    if distribution.kind == "negative_binomial":
        k = float(distribution.dispersion or 1.0)
        return int(lam + 20 * np.sqrt(lam + lam * lam / k) + 40)
    return int(lam + 20 * np.sqrt(lam) + 40)


def _cdf_tables(lams: npt.NDArray[np.float64],
                distribution: Distribution) -> list[npt.NDArray[np.float64]]:
    """:func:`_cdf_table` of every mean with one scipy call per batch of cells: every (mean, k)
    pair a table needs, flattened (the same values as one call per mean, elementwise)."""
    out: list[npt.NDArray[np.float64]] = [np.ones(1)] * len(lams)
    positive = np.flatnonzero(lams > 0)
    if not positive.size:
        return out
    sizes = np.array([_table_size(float(lams[i]), distribution) for i in positive])
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    ks = np.arange(bounds[-1]) - np.repeat(bounds[:-1], sizes)      # 0..size−1 per mean
    if distribution.kind == "negative_binomial":
        # the p of each mean as _cdf_table computes it, then one elementwise call
        k = float(distribution.dispersion or 1.0)
        p = np.array([k / (k + float(lams[i])) for i in positive])
        flat = _nbinom_cdf(ks, k, np.repeat(p, sizes))
    else:
        lam = np.repeat(lams[positive], sizes)
        flat = _poisson_cdf(ks, lam)
    for j, i in enumerate(positive):
        head = np.maximum.accumulate(flat[bounds[j]:bounds[j + 1]])
        size = int(sizes[j])
        last = int(np.searchsorted(head, 1.0 - 1e-16, side="left"))
        table = head[:min(last + 1, size)].copy()
        table[-1] = 1.0
        out[int(i)] = table
    return out


def build_sampler(means: npt.NDArray[np.float64], distribution: Distribution) -> TableSampler:
    """A :class:`TableSampler` for means ``[D, combos, N, C]``."""
    if distribution.kind == "deterministic":
        zero = np.zeros(means.shape, dtype=np.intp)
        return TableSampler(zero, np.ones(1), np.zeros(1, dtype=np.intp),
                            np.zeros(GUIDE_SIZE, dtype=np.intp), values=means.copy())
    uniq, inverse = np.unique(means, return_inverse=True)
    tables = _cdf_tables(uniq, distribution)
    sizes = np.array([len(t) for t in tables], dtype=np.intp)
    if int(sizes.sum()) > _MAX_TABLE_ENTRIES:
        raise ValueError("demand means too large for table sampling; scale units "
                         "(e.g. count cases, not grams)")
    start = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
    cdf = np.concatenate(tables)
    marks = np.arange(GUIDE_SIZE) / GUIDE_SIZE
    guide = np.concatenate([np.searchsorted(t, marks, side="right") + s
                            for t, s in zip(tables, start, strict=True)]).astype(np.intp)
    return TableSampler(inverse.reshape(means.shape).astype(np.intp), cdf, start, guide)
