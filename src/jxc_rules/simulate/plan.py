"""Compile a scenario (the world) and a rule pack (the decisions) into dense arrays.

Everything the daily loop needs is computed here, once, by calling the library's kernels:

- the true demand means per day (calendar + true holiday profiles) and the dish → stock-item
  matrix from :func:`jxc_rules.bom.explode` (one call per dish, a dense matrix);
- true channel loss rates from the wastage model, transit retention from the live-weight model
  (:meth:`jxc_rules.live_weight.TransitModel.expected_weight`), and the day each lot expires from
  the shelf-life model's :func:`jxc_rules.shelf_life.equivalent_time` over the storage
  temperature log (cold-chain outages included);
- the rule's order-up-to level per day: forecast × *assumed* holiday and expected weather
  coefficients, exploded through the *assumed* recipes, grossed up by the assumed channel loss
  (:func:`jxc_rules.wastage.gross_up`) and the assumed transit shrink, plus safety stock.

The *world* (:class:`World`) is fixed for a run; each rule pack gives a :class:`Plan`. Physical
parameters the scenario does not state (channel loss, shelf life, transit shrink, recipes) are
taken from the *reference* pack — the baseline of a compare — so both packs face one world.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from jxc_rules.errors import ScenarioError
from jxc_rules.simulate.calendar import HolidayProfile, build_calendar, supported_years
from jxc_rules.simulate.demand import (
    TableSampler,
    build_sampler,
    demand_entities,
    entity_means,
)
from jxc_rules.simulate.scenario import Distribution, Scenario
from jxc_rules.simulate.weather import channel_factors, effect_table, expected_effect

__all__ = ["AGE_BINS_DAYS", "Plan", "World", "compile_plan", "compile_world"]

FloatArray = npt.NDArray[np.float64]

AGE_BINS_DAYS = (0, 1, 3, 7)
"""Lower edges (days) of the stock-age bins reported by 库龄分布: 0–1, 1–3, 3–7, ≥7 days."""

_MIN_AGE_BUCKETS = 8

SAFETY_STANDARD_DAYS = 1.0
"""Safety-stock compliance (安全库存达标率) counts item-days whose end-of-day stock covers this
many days of the item's true expected issue — a fixed standard, the same for every pack, so a
pack that halves its own safety target does not look more compliant."""


@attrs.frozen(eq=False)
class World:
    """The simulated world as arrays (``I`` = locations × items, ``N`` = demand entities)."""

    item_ids: tuple[str, ...]          # "location/item"
    item_names: tuple[str, ...]        # item id per stock item
    entity_ids: tuple[str, ...]
    channels: tuple[str, ...]
    dates: tuple[dt.date, ...]
    mu: FloatArray                      # [D, N, C] true mean demand
    explode: FloatArray                 # [N, I] stock units per demanded unit (true recipes)
    weather_p: FloatArray               # [D, W]
    gamma: FloatArray                   # [W, C]
    shift: FloatArray                   # [W]
    dine: int | None
    take: int | None
    distribution: Distribution
    sampler: TableSampler               # exact inverse-CDF draws of every (day, combo, n, c)
    loss: FloatArray                    # [I, C] true channel loss rate (loss convention)
    retention: FloatArray               # [I] true transit retention (arrived / shipped)
    expire: npt.NDArray[np.bool_]       # [D, I, A] lot of age a expires at the end of day d
    cost: FloatArray                    # [I] yuan per stock unit
    price: FloatArray                   # [I] yuan per stock unit
    initial: FloatArray                 # [I]
    perishable: npt.NDArray[np.bool_]   # [I]
    # the fixed safety-stock standard the compliance KPI checks, whichever pack runs:
    # SAFETY_STANDARD_DAYS of the true expected daily issue (demand exploded, grossed up)
    standard: FloatArray = attrs.field(factory=lambda: np.zeros((0, 0)))   # [D, I]

    @property
    def days(self) -> int:
        return len(self.dates)

    @property
    def age_buckets(self) -> int:
        return int(self.expire.shape[2])


@attrs.frozen(eq=False)
class Plan:
    """One rule pack's decisions as arrays."""

    label: str
    target: FloatArray                  # [D, I] order-up-to level (inventory position)
    safety: FloatArray                  # [D, I] safety stock the compliance KPI checks
    review: npt.NDArray[np.bool_]       # [D] review (order) days
    lead: npt.NDArray[np.int64]         # [I] lead time in days
    pack_size: FloatArray               # [I] purchase pack in stock units (0: order grid only)
    rounding: str
    assumed_retention: FloatArray       # [I]
    # forecast-driven order-up-to (rule packs); None for a fixed base-stock policy
    forecast: Forecast | None = None


@attrs.frozen(eq=False)
class Forecast:
    """A rule pack's forecast, compiled.

    Demand recorded on day d (per entity and channel) is de-seasonalised by the pack's assumed
    coefficient ``coef[d]`` (assumed holiday × expected weather, relative to the plain weekly
    base) and kept for ``window`` days; the base forecast for a day is a weighted mean of that
    history (``weights[d, k]`` over the history slots, by ``forecast_method``) times the day's
    coefficient. Usage per stock item = Σ base · coef · ``usage[n, c, i]`` (recipe ÷ yield,
    grossed up by channel loss and transit shrink). The order-up-to level on review day d is
    Σ_k ``cover_weights[k]`` · usage(d + k) (days_of_cover + safety_days), the safety stock
    ``safety_days`` · usage(d).
    """

    coef: FloatArray                    # [D + pad, N, C]
    usage: FloatArray                   # [N, C, I]
    weights: FloatArray                 # [D, K, W] weights over history slots (slot = day % W)
    cover_weights: FloatArray           # [K]
    safety_days: float
    window: int
    history: FloatArray                 # [W, N, C] de-seasonalised pre-horizon history (slot order)


# --------------------------------------------------------------------------------------------
# reading rule packs (the attribute names of jxc_rules.rules.schema.RulePack)


def _section(pack: Any, name: str) -> Any:
    return getattr(pack, name, None) if pack is not None else None


def _holiday_profiles_of_pack(pack: Any, channels: Sequence[str]) -> dict[str, dict[str,
                                                                               HolidayProfile]]:
    out: dict[str, dict[str, HolidayProfile]] = {}
    for name, rule in dict(_section(pack, "holidays") or {}).items():
        per: dict[str, HolidayProfile] = {}
        for ch in channels:
            prof = _channel_profile(rule, ch)
            if prof is not None:
                per[ch] = prof
        out[str(name)] = per
    return out


def _channel_profile(rule: Any, channel: str) -> HolidayProfile | None:
    """``(before, during, after)`` of a pack's HolidayRule for one channel, whatever shape the
    rule object stores it in (attribute per channel, or a ``channels`` mapping)."""
    prof = None
    channels = getattr(rule, "channels", None)
    if isinstance(channels, Mapping):
        prof = channels.get(channel)
    if prof is None:
        prof = getattr(rule, channel, None)
    if prof is None and isinstance(rule, Mapping):
        prof = rule.get(channel)
    if prof is None:
        return None

    def part(name: str) -> tuple[float, ...]:
        value = prof.get(name, ()) if isinstance(prof, Mapping) else getattr(prof, name, ())
        return tuple(float(v) for v in (value or ()))

    return part("before"), part("during"), part("after")


def _weather_rules_of_pack(pack: Any, states: Sequence[str], channels: Sequence[str]
                           ) -> tuple[list[dict[str, float]], list[float]]:
    rules = dict(_section(pack, "weather") or {})
    mults: list[dict[str, float]] = []
    shifts: list[float] = []
    for state in states:
        rule = rules.get(state)
        per: dict[str, float] = {}
        shift = 0.0
        if rule is not None:
            table = getattr(rule, "multipliers", None)
            if table is None:
                table = getattr(rule, "channels", None)
            for ch in channels:
                value = None
                if isinstance(table, Mapping):
                    value = table.get(ch)
                if value is None:
                    value = getattr(rule, ch, None)
                if isinstance(value, (int, float)):
                    per[ch] = float(value)
            shift = float(getattr(rule, "shift_to_takeaway", 0.0) or 0.0)
        mults.append(per)
        shifts.append(shift)
    return mults, shifts


def _pack_label(pack: Any, fallback: str) -> str:
    if pack is None:
        return fallback
    industry = getattr(pack, "industry", None)
    version = getattr(pack, "version", None)
    if industry or version:
        return f"{industry or '?'} {version or ''}".strip()
    return fallback


def _missing(scenario: Scenario, pack: Any, what: str, path: Sequence[str | int]) -> ScenarioError:
    label = _pack_label(pack, "the rule pack")
    return scenario.error(f"{what}, but rule pack {label} has none", *path)


# --------------------------------------------------------------------------------------------
# the world


def _explode_matrix(scenario: Scenario, recipes: Any, pack: Any) -> FloatArray:
    """Dense ``[N, I]``: stock units of each item per unit of each demand entity."""
    from jxc_rules.bom import explode

    entities = demand_entities(scenario)
    item_index = {(loc.id, item): k for k, (loc, item) in enumerate(
        (loc, item) for loc in scenario.locations for item in scenario.items)}
    out = np.zeros((len(entities), len(item_index)))
    per_dish: dict[str, dict[str, Fraction]] = {}
    for dish in scenario.dishes:
        if recipes is None:
            raise _missing(scenario, pack, f"dish {dish!r} needs a recipe", ("dishes", dish))
        try:
            per_dish[dish] = explode(recipes, dish, 1)
        except (KeyError, ValueError) as exc:
            raise scenario.error(f"dish {dish!r} cannot be exploded through the recipes of "
                                 f"{_pack_label(pack, 'the rule pack')}: {exc}",
                                 "dishes", dish) from None
        for leaf in per_dish[dish]:
            if leaf not in scenario.items:
                raise scenario.error(f"recipe of dish {dish!r} uses {leaf!r}, which is not an "
                                     "item of this scenario", "dishes", dish)
    for n, (loc, name, is_dish) in enumerate(entities):
        if is_dish:
            for leaf, qty in per_dish[name].items():
                out[n, item_index[(loc, leaf)]] += float(qty)
        else:
            out[n, item_index[(loc, name)]] = 1.0
    return out


def _loss_model(pack: Any) -> Any:
    wastage = _section(pack, "wastage")
    return getattr(wastage, "loss_model", wastage) if wastage is not None else None


def _loss_matrix(scenario: Scenario, wastage: Any, pack: Any, item_names: Sequence[str]
                 ) -> FloatArray:
    channels = scenario.channels
    wastage = getattr(wastage, "loss_model", wastage) if wastage is not None else None
    if wastage is None:
        return np.zeros((len(item_names), len(channels)))
    known = set(getattr(wastage, "channel_names", ()) or ())
    used = _used_channels(scenario)
    for ch in channels:
        if ch in used and known and ch not in known:
            raise _missing(scenario, pack, f"channel {ch!r} has demand and needs a channel "
                           "loss rate", ("channels",))
    out = np.zeros((len(item_names), len(channels)))
    for c, ch in enumerate(channels):
        if ch not in known:
            continue
        out[:, c] = wastage.loss_array(list(item_names), [ch])[:, 0]
    return out


def _used_channels(scenario: Scenario) -> set[str]:
    used: set[str] = set()
    for spec in scenario.dishes.values():
        used.update(spec)
    for item in scenario.items.values():
        used.update(item.demand)
    return used


def _transit_model(scenario: Scenario, pack: Any, item: str) -> Any:
    spec = scenario.items[item]
    models = dict(_section(pack, "live_weight") or {})
    key = spec.transit_model or item
    model = models.get(key)   # never another species' model: a missing one is an error
    if model is None:
        raise _missing(scenario, pack, f"item {item!r} travels {spec.transit_hours:g} h live "
                       f"and needs a live-weight model {key!r}", ("items", item, "transit_hours"))
    return model


def _retention(scenario: Scenario, pack: Any, item: str) -> float:
    spec = scenario.items[item]
    if spec.transit_hours <= 0:
        return 1.0
    model = _transit_model(scenario, pack, item)
    if spec.transit_temp_c is None:
        return float(model.expected_weight(1.0, spec.transit_hours))
    try:
        return float(model.expected_weight(1.0, spec.transit_hours, spec.transit_temp_c))
    except ValueError as exc:
        raise scenario.error(f"item {item!r} gives transit_temp_c but the live-weight model of "
                             f"{_pack_label(pack, 'the pack')} cannot use it: {exc}",
                             "items", item, "transit_temp_c") from None


def _shelf_rule(scenario: Scenario, pack: Any, item: str) -> Any:
    rules = dict(_section(pack, "shelf_life") or {})
    rule = rules.get(item)
    if rule is None:
        raise _missing(scenario, pack, f"item {item!r} is perishable and needs a shelf-life rule",
                       ("items", item, "perishable"))
    return rule


def _sellable_hours(rule: Any) -> float:
    """Hours of sale at the reference temperature: shelf life minus the removal offset
    (下架提前量) of a :class:`jxc_rules.shelf_life.ShelfLifeRule`."""
    life = float(rule.shelf_life_ref_h) - float(getattr(rule, "removal_offset_h", 0.0) or 0.0)
    return max(life, 1e-9)


def _day_temperature_logs(scenario: Scenario, location: str, base_temp_c: float,
                          days: Sequence[dt.date]) -> tuple[FloatArray, FloatArray]:
    """Per-day readings ``(times_h[D, K], temps_c[D, K])`` (NaN padded; a step profile read
    with ``"previous"`` interpolation) of the storage temperature: the base temperature plus the
    hourly ``daily_cycle_c`` offsets, overridden by cold-chain outages while they last."""
    index = {d: k for k, d in enumerate(days)}
    events: dict[int, list[tuple[float, float, float]]] = {}
    for o in scenario.outages:
        if o.location not in (None, location):
            continue
        start_h = o.start_hour
        remaining = o.hours
        k = index.get(o.date)
        while k is not None and remaining > 0 and k < len(days):
            span = min(remaining, 24.0 - start_h)
            events.setdefault(k, []).append((start_h, start_h + span, o.temp_c))
            remaining -= span
            start_h = 0.0
            k += 1
    cycle = scenario.daily_cycle_c
    flat = not any(cycle)
    per_day: list[list[tuple[float, float]]] = []
    for k in range(len(days)):
        todays = events.get(k, [])
        marks = {0.0, 24.0} if flat else {float(h) for h in range(25)}
        for a, b, _ in todays:
            marks.update((a, b))
        points: list[tuple[float, float]] = []
        for h in sorted(marks):
            temp = base_temp_c + cycle[min(int(h), 23)]
            for a, b, t in todays:  # a later event overrides an earlier one
                if a <= h < b:
                    temp = t
            points.append((h, temp))
        per_day.append(points)
    width = max((len(p) for p in per_day), default=2)
    times = np.full((len(days), width), np.nan)
    temps = np.full((len(days), width), np.nan)
    for k, p in enumerate(per_day):
        times[k, :len(p)] = [h for h, _ in p]
        temps[k, :len(p)] = [t for _, t in p]
    return times, temps


def _life_fraction_per_day(rule: Any, times: FloatArray, temps: FloatArray) -> FloatArray:
    """Fraction of the sellable shelf life each day of storage consumes:
    :func:`jxc_rules.shelf_life.equivalent_time` of the day's log ÷ sellable hours."""
    from jxc_rules.shelf_life import equivalent_time

    consumed = np.asarray(equivalent_time(times, temps, rule.model, interpolation="previous"),
                          dtype=np.float64)
    return consumed / _sellable_hours(rule)


def _hard_limit_days(rule: Any, times: FloatArray, temps: FloatArray) -> npt.NDArray[np.bool_]:
    """Days on which a hard time-temperature limit of the rule is breached (within that day's
    log): every lot on hand is written off at the end of such a day."""
    out = np.zeros(times.shape[0], dtype=bool)
    for limit in getattr(rule, "hard_limits", ()) or ():
        lo = -np.inf if limit.above_c is None else limit.above_c
        hi = np.inf if limit.below_c is None else limit.below_c
        dur = np.diff(times, axis=1)                    # reading k holds until k + 1
        inside = (temps[:, :-1] > lo) & (temps[:, :-1] < hi) & np.isfinite(dur)
        hours = np.where(inside, np.nan_to_num(dur), 0.0)
        if limit.continuous:
            # longest run of consecutive in-region segments
            best = np.zeros(times.shape[0])
            run = np.zeros(times.shape[0])
            for k in range(hours.shape[1]):
                run = np.where(inside[:, k], run + hours[:, k], 0.0)
                best = np.maximum(best, run)
            out |= best > limit.max_hours
        else:
            out |= hours.sum(axis=1) > limit.max_hours
    return out


def _expiry_mask(frac: FloatArray, ages: int) -> npt.NDArray[np.bool_]:
    """``[D, A]``: a lot received on day r (age 0) expires at the end of the first day d ≥ r on
    which the consumed fraction Σ_{k=r..d} frac[k] reaches 1."""
    days = frac.shape[0]
    cum = np.concatenate([[0.0], np.cumsum(frac)])
    out = np.zeros((days, ages), dtype=bool)
    eps = 1e-9
    for r in range(days):
        # first d with cum[d+1] - cum[r] >= 1
        d = int(np.searchsorted(cum, cum[r] + 1.0 - eps, side="left")) - 1
        if d < days and d - r < ages:
            out[d, d - r] = True
    return out


def compile_world(scenario: Scenario, reference: Any = None) -> World:
    """The world of ``scenario``; unstated physics from ``reference`` (a RulePack or None)."""
    cal = scenario.calendar
    channels = scenario.channels
    truth = {name: dict(effect.channels) for name, effect in scenario.holidays.items()}
    mu = entity_means(scenario, cal, truth)
    recipes = _section(reference, "recipes")
    locs = scenario.locations
    item_names = tuple(item for _ in locs for item in scenario.items)
    explode = _explode_matrix(scenario, recipes, reference) / _yields(reference,
                                                                      item_names)[None, :]
    item_ids = tuple(f"{loc.id}/{item}" for loc in locs for item in scenario.items)
    loss = _loss_matrix(scenario, _section(reference, "wastage"), reference, item_names)
    retention = np.array([_retention(scenario, reference, item) for item in item_names])
    fractions: list[FloatArray] = []
    breaches: list[npt.NDArray[np.bool_]] = []
    perishable = np.array([scenario.items[i].perishable for i in item_names], dtype=bool)
    for loc in locs:
        temp = loc.storage_temp_c if loc.storage_temp_c is not None else scenario.storage_temp_c
        if any(spec.perishable for spec in scenario.items.values()):   # else never read
            times, temps = _day_temperature_logs(scenario, loc.id, temp, cal.dates)
        for item in scenario.items:
            if scenario.items[item].perishable:
                rule = _shelf_rule(scenario, reference, item)
                fractions.append(_life_fraction_per_day(rule, times, temps))
                breaches.append(_hard_limit_days(rule, times, temps))
            else:
                fractions.append(np.zeros(cal.days))
                breaches.append(np.zeros(cal.days, dtype=bool))
    longest = 1
    for f in fractions:
        if f.any():
            mean = float(f[f > 0].min()) if (f > 0).any() else 1.0
            longest = max(longest, math.ceil(1.0 / mean) + 1)
    ages = max(_MIN_AGE_BUCKETS, min(longest, cal.days + 1))
    expire = np.zeros((cal.days, len(item_names), ages), dtype=bool)
    for i, f in enumerate(fractions):
        if f.any():
            expire[:, i, :] = _expiry_mask(f, ages)
        expire[breaches[i], i, :] = True
    gamma, shift = effect_table([w.multipliers for w in scenario.weather],
                                [w.shift_to_takeaway for w in scenario.weather], channels)
    dine = channels.index("dine_in") if "dine_in" in channels else None
    take = channels.index("takeaway") if "takeaway" in channels else None
    n_states = len(scenario.weather)
    if n_states > 8:
        raise scenario.error("at most 8 weather states", "weather")
    combos = np.array([[(c >> w) & 1 for w in range(n_states)] for c in range(2**n_states)],
                      dtype=bool).reshape(2**n_states, n_states)
    factors, add = channel_factors(combos, (gamma, shift), dine, take)   # [K, C], [K]
    lam = mu[:, None, :, :] * factors[None, :, None, :]                 # [D, K, N, C]
    if dine is not None and take is not None:
        lam[:, :, :, take] += add[None, :, None] * mu[:, None, :, dine]
    try:
        sampler = build_sampler(lam, scenario.distribution)
    except ValueError as exc:
        raise scenario.error(str(exc), "items") from None
    if not scenario.track_stock_age and not perishable.any():
        ages = 1
        expire = expire[:, :, :1]
    return World(
        item_ids=item_ids,
        item_names=item_names,
        entity_ids=tuple(f"{loc}/{name}" for loc, name, _ in demand_entities(scenario)),
        channels=channels,
        dates=cal.dates,
        mu=mu,
        explode=explode,
        weather_p=scenario.probability_matrix(),
        gamma=gamma,
        shift=shift,
        dine=dine,
        take=take,
        distribution=scenario.distribution,
        sampler=sampler,
        loss=loss,
        retention=retention,
        expire=expire,
        cost=np.array([float(scenario.items[i].cost_per_unit) for i in item_names]),
        price=np.array([float(scenario.items[i].price_per_unit) for i in item_names]),
        initial=np.array([scenario.items[i].initial_stock for i in item_names]),
        perishable=perishable,
        standard=SAFETY_STANDARD_DAYS * np.einsum("dnc,ni,ic->di", mu, explode,
                                                  1.0 / (1.0 - loss)),
    )


# --------------------------------------------------------------------------------------------
# a pack's decisions


def _policy_number(policy: Any, names: Sequence[str], default: float | None) -> float | None:
    for name in names:
        value = getattr(policy, name, None) if policy is not None else None
        if isinstance(policy, Mapping) and value is None:
            value = policy.get(name)
        if value is not None:
            return float(value)
    return default


def _pack_size(scenario: Scenario, pack: Any, item: str) -> float:
    from jxc_rules.units import exact_factor

    profiles = dict(_section(pack, "packaging") or {})
    profile = profiles.get(item)
    if profile is None:
        return 0.0
    unit = scenario.items[item].unit
    if unit == getattr(profile, "pack_name", None) or unit == getattr(profile, "stock_unit",
                                                                        None):
        return 1.0
    content = Fraction(profile.content)
    try:
        factor = exact_factor(profile.price_unit, unit, field=f"items.{item}.unit")
    except ValueError as exc:
        raise scenario.error(f"item {item!r} is counted in {unit!r} but its purchase pack is "
                             f"{profile.pack_content!r}: {exc}", "items", item, "unit") from None
    return float(content * factor)


def _extended_means(scenario: Scenario, holidays: Mapping[str, Mapping[str, HolidayProfile]],
                    pad: int, *, before: int = 0) -> FloatArray:
    """Means from ``before`` days before the horizon to ``pad`` days after it (history of the
    first forecasts, cover window of the last orders); outside the calendar's supported years
    the nearest covered day repeats."""
    first_year, last_year = supported_years()
    start = max(scenario.start - dt.timedelta(days=before), dt.date(first_year, 1, 1))
    end = min(scenario.end + dt.timedelta(days=pad), dt.date(last_year, 12, 31))
    cal = build_calendar(start, end, schedule=scenario.schedule)
    means = entity_means(scenario, cal, holidays, item_factors=False)
    missing_front = before - (scenario.start - start).days
    if missing_front > 0:
        means = np.concatenate([np.repeat(means[:1], missing_front, axis=0), means])
    want = before + scenario.days + pad
    if means.shape[0] < want:
        means = np.concatenate([means, np.repeat(means[-1:], want - means.shape[0], axis=0)])
    return means


def _yields(pack: Any, item_names: Sequence[str]) -> FloatArray:
    """Yield (出成率, edible ÷ as purchased) per item from the pack's loss model (1 if none)."""
    model = _loss_model(pack)
    if model is None or not hasattr(model, "yield_array"):
        return np.ones(len(item_names))
    out: FloatArray = np.asarray(model.yield_array(list(item_names)), dtype=np.float64)
    return out


def _start_of_day_lead(lead_time_days: int) -> int:
    """Orders are placed after close and delivered before opening ``lead_time_days`` later;
    0 and 1 both mean "before tomorrow's opening". The loop reviews at the start of a day, so
    the delivery lands ``max(lead_time_days - 1, 0)`` days after the review."""
    return max(int(lead_time_days) - 1, 0)


def compile_plan(scenario: Scenario, world: World, pack: Any = None, *, label: str = "") -> Plan:
    """The decisions of ``pack`` (a RulePack) — or of the scenario's own ``policy`` when
    ``pack`` is None — in ``world``."""
    days, items = world.days, len(world.item_ids)
    label = label or _pack_label(pack, "scenario policy")
    if pack is None:
        policy = scenario.policy
        if policy is None:
            raise scenario.error("no rule pack given and the scenario has neither rules: nor "
                                 "policy:", "rules")
        target = np.zeros((days, items))
        safety = np.zeros((days, items))
        for i, name in enumerate(world.item_names):
            target[:, i] = policy.order_up_to.get(name, 0.0)
            safety[:, i] = policy.safety_stock.get(name, 0.0)
        review = (np.arange(days) % policy.review_period_days) == 0
        return Plan(label, target, safety, review,
                    np.full(items, _start_of_day_lead(policy.lead_time_days), dtype=np.int64),
                    np.zeros(items), "up", world.retention.copy())

    repl = _section(pack, "replenishment")
    if repl is None:
        raise _missing(scenario, pack, "the simulator needs a replenishment policy", ("rules",))
    review_days = int(_policy_number(repl, ("review_period_days",), 1) or 1)
    lead_days = int(_policy_number(repl, ("lead_time_days",), 0) or 0)
    cover_days = float(_policy_number(repl, ("days_of_cover",), 1.0) or 1.0)
    safety_days = float(_policy_number(repl, ("safety_days",), 0.0) or 0.0)
    window = int(_policy_number(repl, ("forecast_window_days",), 14) or 14)
    method = str(getattr(repl, "forecast_method", "moving_average") or "moving_average")
    rounding = str(getattr(repl, "order_rounding", None) or "up")
    if method not in ("moving_average", "same_weekday_average", "last_value"):
        raise scenario.error(f"forecast method {method!r} of {_pack_label(pack, 'the pack')} is "
                             "not simulated", "rules")

    channels = world.channels
    horizon = cover_days + safety_days
    k_days = max(1, math.ceil(horizon - 1e-12))
    pad = k_days + review_days
    assumed_holidays = _holiday_profiles_of_pack(pack, channels)
    plain = _extended_means(scenario, {}, pad, before=window)            # [W + D + pad, N, C]
    means = _extended_means(scenario, assumed_holidays, pad, before=window)
    mults, shifts = _weather_rules_of_pack(pack, [w.name for w in scenario.weather], channels)
    table = effect_table(mults, shifts, channels)
    probs = scenario.probability_matrix()
    total = means.shape[0]
    if probs.shape[1]:
        probs = np.concatenate([np.repeat(probs[:1], window, axis=0), probs,
                                np.repeat(probs[-1:], total - window - probs.shape[0], axis=0)])
    else:
        probs = np.zeros((total, 0))
    factor, add = expected_effect(probs, table, world.dine, world.take)
    assumed = means * factor[:, None, :]
    if world.dine is not None and world.take is not None:
        assumed[:, :, world.take] += add[:, None] * means[:, :, world.dine]
    coef_all = np.ones_like(assumed)
    np.divide(assumed, plain, out=coef_all, where=plain > 0)
    coef = coef_all[window:]
    history = np.zeros((window, *plain.shape[1:]))
    for j in range(-window, 0):
        history[j % window] = plain[window + j]

    from jxc_rules.wastage import gross_up

    recipes = _section(pack, "recipes")
    explode = _explode_matrix(scenario, recipes, pack) / _yields(pack, world.item_names)[None, :]
    loss = _loss_matrix(scenario, _section(pack, "wastage"), pack, world.item_names)  # [I, C]
    retention = np.array([_retention(scenario, pack, i) for i in world.item_names])
    usage = gross_up(np.broadcast_to(explode[:, None, :], (explode.shape[0], len(channels),
                                                             items)),
                     loss.T[None, :, :]) / retention[None, None, :]
    start_wd = scenario.start.weekday()
    weights = np.zeros((days, k_days, window))
    for d in range(days):
        slots_days = np.arange(d - window, d)
        for k in range(k_days):
            w = np.zeros(window)
            if method == "last_value":
                w[(d - 1) % window] = 1.0
            elif method == "same_weekday_average":
                same = (start_wd + slots_days) % 7 == (start_wd + d + k) % 7
                if same.any():
                    w[slots_days[same] % window] = 1.0 / same.sum()
                else:
                    w[:] = 1.0 / window
            else:
                w[:] = 1.0 / window
            weights[d, k] = w
    cover_weights = np.clip(horizon - np.arange(k_days), 0.0, 1.0)
    forecast = Forecast(coef=coef, usage=np.ascontiguousarray(usage), weights=weights,
                        cover_weights=cover_weights, safety_days=safety_days, window=window,
                        history=history)
    t = np.arange(days)
    review = (t % review_days) == 0
    pack_size = np.array([_pack_size(scenario, pack, i) for i in world.item_names])
    zeros = np.zeros((days, items))
    return Plan(label, zeros, zeros.copy(), review,
                np.full(items, _start_of_day_lead(lead_days), dtype=np.int64),
                pack_size, rounding, retention, forecast)
