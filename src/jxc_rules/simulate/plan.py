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
from jxc_rules.simulate.demand import demand_entities, entity_means
from jxc_rules.simulate.scenario import Distribution, Scenario
from jxc_rules.simulate.weather import effect_table, expected_effect

__all__ = ["AGE_BINS_DAYS", "Plan", "World", "compile_plan", "compile_world"]

FloatArray = npt.NDArray[np.float64]

AGE_BINS_DAYS = (0, 1, 3, 7)
"""Lower edges (days) of the stock-age bins reported by 库龄分布: 0–1, 1–3, 3–7, ≥7 days."""

_MIN_AGE_BUCKETS = 8


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
    loss: FloatArray                    # [I, C] true channel loss rate (loss convention)
    retention: FloatArray               # [I] true transit retention (arrived / shipped)
    expire: npt.NDArray[np.bool_]       # [D, I, A] lot of age a expires at the end of day d
    cost: FloatArray                    # [I] yuan per stock unit
    price: FloatArray                   # [I] yuan per stock unit
    initial: FloatArray                 # [I]
    perishable: npt.NDArray[np.bool_]   # [I]

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


def _loss_matrix(scenario: Scenario, wastage: Any, pack: Any, item_names: Sequence[str]
                 ) -> FloatArray:
    channels = scenario.channels
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
    model = models.get(key)
    if model is None and len(models) == 1 and spec.transit_model is None:
        model = next(iter(models.values()))
    if model is None:
        raise _missing(scenario, pack, f"item {item!r} travels {spec.transit_hours:g} h live "
                       f"and needs a live-weight model {key!r}", ("items", item, "transit_hours"))
    return model


def _retention(scenario: Scenario, pack: Any, item: str) -> float:
    spec = scenario.items[item]
    if spec.transit_hours <= 0:
        return 1.0
    model = _transit_model(scenario, pack, item)
    return float(model.expected_weight(1.0, spec.transit_hours))


def _shelf_rule(scenario: Scenario, pack: Any, item: str) -> Any:
    rules = dict(_section(pack, "shelf_life") or {})
    rule = rules.get(item)
    if rule is None:
        raise _missing(scenario, pack, f"item {item!r} is perishable and needs a shelf-life rule",
                       ("items", item, "perishable"))
    return rule


def _life_hours(rule: Any) -> float:
    """Shelf life at the rule's reference temperature, in hours."""
    from jxc_rules.units import magnitude

    for name in ("shelf_life_ref_h", "shelf_life_h", "shelf_life_hours", "life_h", "hours"):
        value = getattr(rule, name, None)
        if value is not None:
            return float(value)
    for name in ("shelf_life_ref", "shelf_life", "life"):
        value = getattr(rule, name, None)
        if value is not None:
            return float(magnitude(value, "h", field=name))
    for name in ("shelf_life_ref_days", "shelf_life_days", "days"):
        value = getattr(rule, name, None)
        if value is not None:
            return 24.0 * float(value)
    raise ScenarioError(f"cannot read the shelf life of rule {rule!r}")


def _rate_model(rule: Any) -> Any:
    for name in ("model", "rate_model", "kinetics"):
        value = getattr(rule, name, None)
        if value is not None:
            return value
    return None


def _day_temperature_logs(scenario: Scenario, location: str, base_temp_c: float,
                          days: Sequence[dt.date]) -> tuple[FloatArray, FloatArray]:
    """Per-day readings ``(times_h[D, K], temps_c[D, K])`` (NaN padded, step profile held with
    ``"previous"`` interpolation) of the storage temperature including outages."""
    per_day: list[list[tuple[float, float]]] = []
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
    for k in range(len(days)):
        points = [(0.0, base_temp_c)]
        for a, b, t in sorted(events.get(k, [])):
            points.append((a, t))
            points.append((b, base_temp_c))
        points.append((24.0, base_temp_c))
        # keep the last reading at each time (a later event overrides)
        clean: dict[float, float] = {}
        for h, t in points:
            clean[h] = t
        per_day.append(sorted(clean.items()))
    width = max(len(p) for p in per_day)
    times = np.full((len(days), width), np.nan)
    temps = np.full((len(days), width), np.nan)
    for k, p in enumerate(per_day):
        times[k, :len(p)] = [h for h, _ in p]
        temps[k, :len(p)] = [t for _, t in p]
    return times, temps


def _life_fraction_per_day(rule: Any, times: FloatArray, temps: FloatArray) -> FloatArray:
    """Fraction of the reference shelf life each day of storage consumes."""
    life_h = _life_hours(rule)
    model = _rate_model(rule)
    if model is None:
        return np.full(times.shape[0], 24.0 / life_h)
    from jxc_rules.shelf_life import equivalent_time

    consumed = np.asarray(equivalent_time(times, temps, model, interpolation="previous"),
                          dtype=np.float64)
    return consumed / life_h


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
    explode = _explode_matrix(scenario, recipes, reference)
    locs = scenario.locations
    item_names = tuple(item for _ in locs for item in scenario.items)
    item_ids = tuple(f"{loc.id}/{item}" for loc in locs for item in scenario.items)
    loss = _loss_matrix(scenario, _section(reference, "wastage"), reference, item_names)
    retention = np.array([_retention(scenario, reference, item) for item in item_names])
    fractions: list[FloatArray] = []
    perishable = np.array([scenario.items[i].perishable for i in item_names], dtype=bool)
    for loc in locs:
        temp = loc.storage_temp_c if loc.storage_temp_c is not None else scenario.storage_temp_c
        times, temps = _day_temperature_logs(scenario, loc.id, temp, cal.dates)
        for item in scenario.items:
            if scenario.items[item].perishable:
                fractions.append(_life_fraction_per_day(_shelf_rule(scenario, reference, item),
                                                        times, temps))
            else:
                fractions.append(np.zeros(cal.days))
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
    weather_names = [w.name for w in scenario.weather]
    gamma, shift = effect_table([w.multipliers for w in scenario.weather],
                                [w.shift_to_takeaway for w in scenario.weather], channels)
    del weather_names
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
        dine=channels.index("dine_in") if "dine_in" in channels else None,
        take=channels.index("takeaway") if "takeaway" in channels else None,
        distribution=scenario.distribution,
        loss=loss,
        retention=retention,
        expire=expire,
        cost=np.array([float(scenario.items[i].cost_per_unit) for i in item_names]),
        price=np.array([float(scenario.items[i].price_per_unit) for i in item_names]),
        initial=np.array([scenario.items[i].initial_stock for i in item_names]),
        perishable=perishable,
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
                    pad: int) -> FloatArray:
    """Assumed means over the horizon plus ``pad`` days (the cover window of the last orders);
    beyond the calendar's last supported year the last day repeats."""
    last_year = supported_years()[1]
    end = min(scenario.end + dt.timedelta(days=pad), dt.date(last_year, 12, 31))
    cal = build_calendar(scenario.start, end)
    means = entity_means(scenario, cal, holidays, item_factors=False)
    want = scenario.days + pad
    if means.shape[0] < want:
        means = np.concatenate([means, np.repeat(means[-1:], want - means.shape[0], axis=0)])
    return means


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
                    np.full(items, policy.lead_time_days, dtype=np.int64), np.zeros(items),
                    "up", world.retention.copy())

    repl = _section(pack, "replenishment")
    if repl is None:
        raise _missing(scenario, pack, "the simulator needs a replenishment policy", ("rules",))
    review_days = int(_policy_number(repl, ("review_period_days",), 1) or 1)
    lead_days = int(_policy_number(repl, ("lead_time_days",), 0) or 0)
    cover = _policy_number(repl, ("days_of_cover",), None)
    cover_days = int(cover) if cover is not None else review_days
    safety_days = _policy_number(repl, ("safety_days",), None)
    safety_factor = _policy_number(repl, ("safety_factor", "service_factor", "z"), None)
    rounding = str(getattr(repl, "order_rounding", None) or getattr(repl, "rounding", None)
                   or "up")

    channels = world.channels
    assumed_holidays = _holiday_profiles_of_pack(pack, channels)
    window = lead_days + cover_days
    means = _extended_means(scenario, assumed_holidays, window)      # [D+pad, N, C]
    mults, shifts = _weather_rules_of_pack(pack, [w.name for w in scenario.weather], channels)
    table = effect_table(mults, shifts, channels)
    probs = scenario.probability_matrix()
    if probs.shape[0] < means.shape[0]:
        probs = np.concatenate([probs, np.repeat(probs[-1:], means.shape[0] - probs.shape[0],
                                                 axis=0)]) if probs.size else \
            np.zeros((means.shape[0], 0))
    factor, add = expected_effect(probs, table, world.dine, world.take)
    assumed = means * factor[:, None, :]
    if world.dine is not None and world.take is not None:
        assumed[:, :, world.take] += add[:, None] * means[:, :, world.dine]

    from jxc_rules.wastage import gross_up

    recipes = _section(pack, "recipes")
    explode = _explode_matrix(scenario, recipes, pack)                  # [N, I]
    loss = _loss_matrix(scenario, _section(pack, "wastage"), pack, world.item_names)  # [I, C]
    # gross demand per item and channel: Σ_n λ[d, n, c] · M[n, i], grossed up by the loss
    net = np.einsum("dnc,ni->dic", assumed, explode)
    gross = gross_up(net, loss[None, :, :])
    var = np.einsum("dnc,ni->dic", assumed, explode**2) / (1.0 - loss[None]) ** 2
    retention = np.array([_retention(scenario, pack, i) for i in world.item_names])
    need = gross.sum(axis=2) / retention[None, :]                       # [D+pad, I] to order
    need_var = var.sum(axis=2) / retention[None, :] ** 2
    csum = np.concatenate([np.zeros((1, items)), np.cumsum(need, axis=0)])
    vsum = np.concatenate([np.zeros((1, items)), np.cumsum(need_var, axis=0)])
    t = np.arange(days)
    cover_need = csum[t + window] - csum[t]
    if safety_factor is not None:
        safety = safety_factor * np.sqrt(vsum[t + window] - vsum[t])
    elif safety_days is not None:
        safety = safety_days * cover_need / max(window, 1)
    else:
        safety = np.zeros((days, items))
    # safety stock the store should hold on hand: judged at the end of the day
    target = cover_need + safety
    review = (t % review_days) == 0
    pack_size = np.array([_pack_size(scenario, pack, i) for i in world.item_names])
    return Plan(label, target, safety, review, np.full(items, lead_days, dtype=np.int64),
                pack_size, rounding, retention)
