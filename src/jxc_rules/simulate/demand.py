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

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from jxc_rules.simulate.calendar import (
    Calendar,
    HolidayProfile,
    day_type_weights,
    holiday_blocks,
    holiday_multipliers,
)
from jxc_rules.simulate.scenario import DemandSpec, Distribution, Scenario

__all__ = ["demand_entities", "draw_counts", "entity_means", "item_holiday_factors"]


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
    blocks = holiday_blocks(calendar.dates[0], calendar.dates[-1])
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
