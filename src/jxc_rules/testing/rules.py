"""Hypothesis strategies for rule packs: valid packs, and one-mutation invalid ones.

``rule_pack_mappings()`` draws the plain data of a valid pack (what a YAML file holds);
``rule_packs()`` builds :class:`~jxc_rules.rules.RulePack` objects from it.
``invalid_pack_mappings()`` draws ``(mapping, field)``: a valid pack broken in exactly one
place, and the dotted field path the loader's error must name. ``numeric_mutations()`` draws
``(before, after, field)``: one numeric parameter changed to another *valid* value, for
properties of :func:`~jxc_rules.rules.diff`.

Examples
--------
>>> from hypothesis import given
>>> from jxc_rules.rules import pack_from_mapping
>>> @given(rule_pack_mappings())
... def test_packs_load(data):
...     assert pack_from_mapping(data).industry == data["industry"]
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from hypothesis import strategies as st

from jxc_rules.rules.schema import CHANNELS, HOLIDAY_NAMES, RulePack

__all__ = [
    "holiday_rule_mappings",
    "invalid_pack_mappings",
    "numeric_mutations",
    "rule_pack_mappings",
    "rule_packs",
    "weather_rule_mappings",
]

_IDS = st.from_regex(r"[a-z][a-z0-9_]{1,10}", fullmatch=True)
_ZH = st.text(alphabet="火锅毛肚肥牛鱼菜豆腐雨雪春节店包", min_size=1, max_size=6)
_EN = st.from_regex(r"[A-Z][a-z]{1,8}( [a-z]{1,6})?", fullmatch=True)


def _labels() -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries({"zh": _ZH, "en": _EN})


def _multiplier() -> st.SearchStrategy[float]:
    return st.integers(0, 300).map(lambda n: n / 100)


def _fraction() -> st.SearchStrategy[float]:
    return st.integers(0, 100).map(lambda n: n / 100)


@st.composite
def _holiday_profile(draw: st.DrawFn) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for part, min_size in (("before", 0), ("during", 1), ("after", 0)):
        values = draw(st.lists(_multiplier(), min_size=min_size, max_size=4))
        if values:
            out[part] = values
    return out


@st.composite
def holiday_rule_mappings(draw: st.DrawFn) -> dict[str, Any]:
    """The mapping of one :class:`~jxc_rules.rules.HolidayRule` (without its name key)."""
    out: dict[str, Any] = {"labels": draw(_labels())}
    for channel in draw(st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=3,
                                 unique=True)):
        out[channel] = draw(_holiday_profile())
    return out


@st.composite
def weather_rule_mappings(draw: st.DrawFn) -> dict[str, Any]:
    """The mapping of one :class:`~jxc_rules.rules.WeatherRule` (without its state key)."""
    out: dict[str, Any] = {"labels": draw(_labels())}
    for channel in CHANNELS:
        out[channel] = draw(_multiplier())
    out["shift_to_takeaway"] = draw(_fraction())
    return out


@st.composite
def _replenishment(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "review_period_days": draw(st.integers(1, 7)),
        "lead_time_days": draw(st.integers(0, 5)),
        "days_of_cover": draw(st.integers(1, 40).map(lambda n: n / 4)),
        "safety_days": draw(st.integers(0, 20).map(lambda n: n / 4)),
        "forecast_method": draw(st.sampled_from(
            ("moving_average", "same_weekday_average", "last_value"))),
        "forecast_window_days": draw(st.integers(1, 56)),
        "order_rounding": draw(st.sampled_from(("up", "half_up", "down", "ceiling"))),
    }


@st.composite
def _loss_model(draw: st.DrawFn) -> dict[str, Any]:
    channels: dict[str, Any] = {}
    for channel in draw(st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=3,
                                 unique=True)):
        channels[channel] = {
            "prep": draw(st.integers(0, 5)) / 100,
            "spoilage": draw(st.integers(0, 5)) / 100,
            "plate": draw(st.integers(1, 5)) / 100,
        }
    return {"convention": draw(st.sampled_from(("loss", "markup"))), "channels": channels}


@st.composite
def rule_pack_mappings(draw: st.DrawFn, *, kernels: bool = True) -> dict[str, Any]:
    """Plain data of a valid rule pack (as a YAML file holds it).

    Always: metadata, items, holidays, weather, replenishment. With ``kernels=True`` also
    packaging profiles, prices, shelf-life rules, a live-weight model, a wastage section with a
    channel loss model and turnover, and a small recipe BOM.
    """
    year = draw(st.integers(2024, 2030))
    month = draw(st.integers(1, 12))
    items = draw(st.lists(_IDS, min_size=2, max_size=5, unique=True))
    data: dict[str, Any] = {
        "industry": draw(st.sampled_from(("hotpot", "bakery", "aquatic", "agri-inputs"))),
        "version": f"{year}.{month:02d}",
        "effective_from": dt.date(year, month, draw(st.integers(1, 28))),
        "labels": draw(_labels()),
        "approved_by": draw(st.lists(_EN, max_size=2)),
        "changelog": draw(st.lists(_EN, max_size=2)),
        "illustrative": True,
        "items": {item: draw(_labels()) for item in items},
    }
    names = draw(st.lists(st.sampled_from(HOLIDAY_NAMES), max_size=3, unique=True))
    data["holidays"] = {name: draw(holiday_rule_mappings()) for name in names}
    states = draw(st.lists(st.sampled_from(("rain", "snow", "heat")), max_size=2, unique=True))
    data["weather"] = {state: draw(weather_rule_mappings()) for state in states}
    data["replenishment"] = draw(_replenishment())
    if kernels:
        ingredient, dish = items[0], items[1]
        data["packaging"] = {ingredient: {
            "price_unit": draw(st.sampled_from(("kg", "t", "jin"))),
            "pack": {"name": "bag", "content": f"{draw(st.integers(1, 50))} kg"},
            "rounding": draw(st.sampled_from(("up", "half_up"))),
        }}
        data["prices"] = {ingredient: f"{draw(st.integers(1, 5000))} 元/kg"}
        data["shelf_life"] = {ingredient: {
            "model": {"q10": draw(st.integers(15, 40)) / 10, "ref_temp_c": 4},
            "shelf_life_ref_h": draw(st.integers(24, 400)),
            "alert_offset_h": 12, "removal_offset_h": 6,
        }}
        data["live_weight"] = {ingredient: {
            "rate_per_hour": f"{draw(st.integers(1, 9)) / 10} %/h",
            "form": draw(st.sampled_from(("linear", "compound", "continuous"))),
        }}
        data["wastage"] = {
            "loss_model": draw(_loss_model()),
            "turnover": {"tables": draw(st.integers(1, 60)),
                         "turns_per_day": draw(st.integers(0, 60)) / 10,
                         "guests_per_table": draw(st.integers(10, 60)) / 10,
                         "definition": draw(st.sampled_from(("uses_per_table",
                                                             "extra_uses_per_table")))},
            "take_rates": {dish: draw(st.integers(0, 100)) / 100},
        }
        data["recipes"] = {"lines": [
            {"parent": dish, "child": ingredient, "qty": draw(st.integers(1, 500)) / 1000,
             "unit": "kg"},
        ]}
    return data


def rule_packs(*, kernels: bool = True) -> st.SearchStrategy[RulePack]:
    """Valid :class:`~jxc_rules.rules.RulePack` objects (built from
    :func:`rule_pack_mappings`)."""
    from jxc_rules.rules.load import pack_from_mapping

    return rule_pack_mappings(kernels=kernels).map(pack_from_mapping)


def _set(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    node: Any = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


@st.composite
def invalid_pack_mappings(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """``(mapping, field)``: a valid pack with exactly one defect, and the field path the
    loader's error must name. Defects: a typo'd key, a missing ``version``, a loss rate of 1.2,
    a pack content in litres for a mass product, a negative holiday multiplier, a
    ``shift_to_takeaway`` above 1, an unknown holiday name, an unknown rounding mode, a
    malformed date."""
    data = copy.deepcopy(draw(rule_pack_mappings(kernels=True)))
    ingredient = next(iter(data["packaging"]))
    kind = draw(st.sampled_from((
        "typo", "missing_version", "loss_rate", "litres", "negative_multiplier", "shift",
        "holiday_name", "rounding", "date",
    )))
    if kind == "typo":
        policy = data["replenishment"]
        policy["safety_dayz"] = policy.pop("safety_days")
        return data, "replenishment.safety_dayz"
    if kind == "missing_version":
        del data["version"]
        return data, "version"
    if kind == "loss_rate":
        channel = next(iter(data["wastage"]["loss_model"]["channels"]))
        data["wastage"]["loss_model"]["channels"][channel] = {"plate": 1.2}
        data["wastage"]["loss_model"]["convention"] = "loss"
        return data, f"wastage.loss_model.channels.{channel}"
    if kind == "litres":
        data["packaging"][ingredient]["pack"]["content"] = "40 L"
        return data, f"packaging.{ingredient}.pack.content"
    if kind == "negative_multiplier":
        data["holidays"]["Spring Festival"] = {"labels": {"zh": "春节", "en": "Spring"},
                                               "dine_in": {"during": [1.2, -0.5]}}
        return data, "holidays.Spring Festival.dine_in.during[1]"
    if kind == "shift":
        data["weather"]["rain"] = {"labels": {"zh": "雨", "en": "Rain"},
                                   "shift_to_takeaway": 1.5}
        return data, "weather.rain.shift_to_takeaway"
    if kind == "holiday_name":
        data["holidays"]["Spring Festivl"] = {"labels": {"zh": "春节", "en": "Spring"}}
        return data, "holidays.Spring Festivl"
    if kind == "rounding":
        data["replenishment"]["order_rounding"] = "upwards"
        return data, "replenishment.order_rounding"
    data["effective_from"] = "2026-13-40"
    return data, "effective_from"


_NUMERIC_PATHS: tuple[tuple[str, ...], ...] = (
    ("replenishment", "safety_days"),
    ("replenishment", "days_of_cover"),
    ("wastage", "turnover", "turns_per_day"),
    ("wastage", "turnover", "guests_per_table"),
)


@st.composite
def numeric_mutations(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any], str]:
    """``(before, after, field)``: a valid pack's data, the same data with one numeric parameter
    set to a different valid value, and the dotted path of that parameter."""
    before = draw(rule_pack_mappings(kernels=True))
    data = copy.deepcopy(before)
    choices: list[tuple[Any, ...]] = list(_NUMERIC_PATHS)
    for state in data["weather"]:
        choices.append(("weather", state, "dine_in"))
    for name, rule in data["holidays"].items():
        for channel in CHANNELS:
            for i in range(len(rule.get(channel, {}).get("during", []))):
                choices.append(("holidays", name, channel, "during", i))
    path = draw(st.sampled_from(choices))
    node: Any = data
    for part in path:
        node = node[part]
    old = float(node)
    new = draw(st.integers(1, 400).map(lambda n: n / 8).filter(lambda v: v != old))
    _set(data, path, new)
    dotted = ""
    for part in path:
        dotted += f"[{part}]" if isinstance(part, int) else (f".{part}" if dotted else part)
    return before, data, dotted
