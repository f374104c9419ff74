"""Shelf-life rules per lot (批次): warning levels, hard limits, freezing, data quality, FEFO.

A :class:`ShelfLifeRule` holds what a rule pack says about one product: its rate model, its shelf
life at the reference temperature, the ERP-style alert (临期预警) and removal (下架) offsets before
the predicted expiry, food-code style hard limits, a freezing point, and how to treat sensor gaps.
:func:`assess_lots` applies it to many lots' temperature logs at once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import attrs
import numpy as np
import numpy.typing as npt

from jxc_rules.errors import ValidationError, bad_value
from jxc_rules.shelf_life.models import RateModel, model_from_mapping
from jxc_rules.units import magnitude

__all__ = [
    "FREEZE_ACTIONS",
    "LEVELS",
    "HardLimit",
    "ShelfLifeRule",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]

LEVELS: tuple[str, ...] = ("ok", "alert", "remove", "expired")
"""Warning levels in increasing severity; ``level_code`` indexes this tuple."""
FREEZE_ACTIONS: tuple[str, ...] = ("flag", "remove", "expire")


def _hours(field: str, *, positive: bool = False, optional: bool = False) -> Any:
    """Converter: a number of hours, or a duration string / Quantity (``"3 d"``)."""

    def convert(value: Any) -> float | None:
        if value is None and optional:
            return None
        if isinstance(value, bool) or value is None:
            raise bad_value(field, value, "a duration in hours")
        hours = float(magnitude(value, "h", field=field))
        if not math.isfinite(hours) or hours < 0 or (positive and hours == 0):
            raise bad_value(field, hours, "a finite duration " + ("> 0" if positive else ">= 0"))
        return hours

    return convert


def _temp(field: str, *, optional: bool = False) -> Any:
    def convert(value: Any) -> float | None:
        if value is None and optional:
            return None
        if isinstance(value, bool) or value is None:
            raise bad_value(field, value, "a temperature in °C")
        t = float(value) if isinstance(value, (int, float)) else \
            float(magnitude(value, "degC", field=field))
        if not math.isfinite(t) or t <= -273.15:
            raise bad_value(field, t, "a finite temperature above -273.15 °C")
        return t

    return convert


def _max_hours(value: Any) -> float:
    out: float | None = _hours("max_hours")(value)
    assert out is not None
    return out


def _above_c(value: Any) -> float | None:
    out: float | None = _temp("above_c", optional=True)(value)
    return out


def _below_c(value: Any) -> float | None:
    out: float | None = _temp("below_c", optional=True)(value)
    return out


def _shelf_life_ref_h(value: Any) -> float:
    out: float | None = _hours("shelf_life_ref_h", positive=True)(value)
    assert out is not None
    return out


def _alert_offset_h(value: Any) -> float:
    out: float | None = _hours("alert_offset_h")(value)
    assert out is not None
    return out


def _removal_offset_h(value: Any) -> float:
    out: float | None = _hours("removal_offset_h")(value)
    assert out is not None
    return out


def _freeze_point_c(value: Any) -> float | None:
    out: float | None = _temp("freeze_point_c", optional=True)(value)
    return out


def _max_gap_h(value: Any) -> float | None:
    out: float | None = _hours("max_gap_h", positive=True, optional=True)(value)
    return out


def _worst_case_temp_c(value: Any) -> float | None:
    out: float | None = _temp("worst_case_temp_c", optional=True)(value)
    return out


@attrs.frozen
class HardLimit:
    """A time-temperature limit that expires a lot whatever its kinetic state.

    The lot is *in* the limit's region while ``above_c < T < below_c`` (either bound may be
    omitted). With ``continuous=False`` the hours in the region add up over the whole log
    (cumulative); with ``continuous=True`` the longest single excursion counts. The limit is
    breached when those hours exceed ``max_hours``.

    Examples
    --------
    Food-code style "4 h above 5 °C" and "2 h in 4.4–60 °C":

    >>> HardLimit(max_hours=4, above_c=5)
    HardLimit(max_hours=4.0, above_c=5.0, below_c=None, continuous=False, name='')
    >>> HardLimit.from_mapping({"band_c": [4.4, 60], "max_hours": 2, "continuous": True}).below_c
    60.0
    """

    max_hours: float = attrs.field(converter=_max_hours)
    above_c: float | None = attrs.field(default=None, converter=_above_c)
    below_c: float | None = attrs.field(default=None, converter=_below_c)
    continuous: bool = attrs.field(default=False)
    name: str = attrs.field(default="", converter=str)

    def __attrs_post_init__(self) -> None:
        if self.above_c is None and self.below_c is None:
            raise bad_value("above_c", None, "given (or below_c, or band_c)")
        if self.above_c is not None and self.below_c is not None and \
                not self.above_c < self.below_c:
            raise bad_value("below_c", self.below_c, f"above above_c ({self.above_c})")
        if not isinstance(self.continuous, bool):
            raise bad_value("continuous", self.continuous, "true or false")

    @property
    def bounds_c(self) -> tuple[float, float]:
        """(lower, upper) of the region, ±inf where open."""
        lo = -math.inf if self.above_c is None else self.above_c
        hi = math.inf if self.below_c is None else self.below_c
        return lo, hi

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any], *, path: str = "hard_limit") -> HardLimit:
        """From ``{above_c, below_c | band_c: [lo, hi], max_hours, continuous, name}``."""
        if not isinstance(mapping, Mapping):
            raise bad_value(path, mapping, "a mapping such as {above_c: 5, max_hours: 4}")
        known = {"above_c", "below_c", "band_c", "max_hours", "continuous", "name"}
        data = dict(mapping)
        for key in data:
            if key not in known:
                raise bad_value(f"{path}.{key}", data[key],
                                "absent (unknown key; known: " + ", ".join(sorted(known)) + ")")
        if "band_c" in data:
            band = data.pop("band_c")
            if "above_c" in data or "below_c" in data:
                raise bad_value(f"{path}.band_c", band, "used without above_c / below_c")
            if not isinstance(band, Sequence) or isinstance(band, str) or len(band) != 2:
                raise bad_value(f"{path}.band_c", band, "a pair [low, high] in °C")
            data["above_c"], data["below_c"] = band[0], band[1]
        if "max_hours" not in data:
            raise bad_value(f"{path}.max_hours", None, "given")
        limit: HardLimit = _build(cls, data, path)
        return limit

    def to_mapping(self) -> dict[str, Any]:
        out: dict[str, Any] = {"max_hours": self.max_hours}
        if self.above_c is not None:
            out["above_c"] = self.above_c
        if self.below_c is not None:
            out["below_c"] = self.below_c
        if self.continuous:
            out["continuous"] = True
        if self.name:
            out["name"] = self.name
        return out


def _build(cls: Any, data: dict[str, Any], path: str) -> Any:
    """``cls(**data)``, re-raising a validation error with the key path (``path.key``)."""
    try:
        return cls(**data)
    except ValidationError as exc:
        field = exc.field or "?"
        if not path or field.startswith(path + "."):
            raise
        msg = str(exc)
        if msg.startswith(f"{field} "):
            msg = msg[len(field) + 1:]
        raise type(exc)(f"{path}.{field} {msg}", field=f"{path}.{field}", value=exc.value,
                        row=exc.row) from None


def _model(value: Any) -> RateModel:
    return model_from_mapping(value)


def _limits(value: Any) -> tuple[HardLimit, ...]:
    if isinstance(value, (HardLimit, Mapping)) or value is None:
        value = [] if value is None else [value]
    out = []
    for i, item in enumerate(value):
        out.append(item if isinstance(item, HardLimit) else
                   HardLimit.from_mapping(item, path=f"hard_limits[{i}]"))
    return tuple(out)


def _range(value: Any) -> tuple[float, float]:
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
        raise bad_value("plausible_range_c", value, "a pair [low, high] in °C")
    lo = _temp("plausible_range_c")(value[0])
    hi = _temp("plausible_range_c")(value[1])
    if not lo < hi:
        raise bad_value("plausible_range_c", [lo, hi], "low < high")
    return (lo, hi)


@attrs.frozen
class ShelfLifeRule:
    """What a rule pack says about the shelf life (保质期) of one product.

    Parameters
    ----------
    model : RateModel or mapping
        The rate model (``{q10: 3, ref_temp_c: 4}``, ``{arrhenius: 80, ref_temp_c: 4}``, ...).
    shelf_life_ref_h : float or str
        Shelf life at the model's reference temperature, hours (or ``"10 d"``), > 0.
    alert_offset_h, removal_offset_h : float or str
        Hours before the predicted expiry at which a lot turns ``alert`` (临期预警) and ``remove``
        (下架), as ERPs store them; ``alert_offset_h >= removal_offset_h >= 0``.
    hard_limits : sequence of HardLimit or mappings
        Time-temperature limits that expire a lot whatever its kinetic state.
    freeze_point_c : float, optional
        Readings below it are a *freezing event*: flagged, and the kinetic model is not
        extrapolated through them (the rate is held at its value at the freezing point).
    freeze_action : {"flag", "remove", "expire"}
        What a freezing event does to the level (``flag``: only the flag).
    max_gap_h : float, optional
        Longer intervals between readings are gaps: filled conservatively and flagged.
    worst_case_temp_c : float, optional
        Fill temperature for gaps; without it the warmer neighbouring reading.
    plausible_range_c : (float, float)
        Readings outside are sensor faults (DS18B20 loggers report 85 °C and −127 °C): treated as
        missing, filled and flagged by :func:`assess_lots` (or refused, ``implausible="raise"``).
    source : str
        Where the parameters come from (a citation, a lab report).

    Examples
    --------
    >>> rule = ShelfLifeRule.from_mapping({
    ...     "model": {"q10": 3, "ref_temp_c": 4}, "shelf_life_ref_h": "10 d",
    ...     "alert_offset_h": "2 d", "removal_offset_h": 12,
    ...     "hard_limits": [{"above_c": 5, "max_hours": 4}]})
    >>> rule.shelf_life_ref_h, rule.alert_offset_h, rule.model
    (240.0, 48.0, Q10(q10=3.0, ref_temp_c=4.0))
    >>> ShelfLifeRule.from_mapping({"model": {"q10": 0, "ref_temp_c": 4},
    ...                             "shelf_life_ref_h": 240})
    Traceback (most recent call last):
    ...
    jxc_rules.errors.ValidationError: model.q10 must be a finite number > 0, got 0.0
    """

    model: RateModel = attrs.field(converter=_model)
    shelf_life_ref_h: float = attrs.field(converter=_shelf_life_ref_h)
    alert_offset_h: float = attrs.field(default=0.0, converter=_alert_offset_h)
    removal_offset_h: float = attrs.field(default=0.0, converter=_removal_offset_h)
    hard_limits: tuple[HardLimit, ...] = attrs.field(default=(), converter=_limits)
    freeze_point_c: float | None = attrs.field(
        default=None, converter=_freeze_point_c)
    freeze_action: str = attrs.field(default="flag")
    max_gap_h: float | None = attrs.field(
        default=None, converter=_max_gap_h)
    worst_case_temp_c: float | None = attrs.field(
        default=None, converter=_worst_case_temp_c)
    plausible_range_c: tuple[float, float] = attrs.field(default=(-50.0, 70.0), converter=_range)
    source: str = attrs.field(default="", converter=str)

    def __attrs_post_init__(self) -> None:
        if self.removal_offset_h > self.alert_offset_h:
            raise bad_value("removal_offset_h", self.removal_offset_h,
                            f"<= alert_offset_h ({self.alert_offset_h:g})")
        if self.alert_offset_h >= self.shelf_life_ref_h:
            raise bad_value("alert_offset_h", self.alert_offset_h,
                            f"< shelf_life_ref_h ({self.shelf_life_ref_h:g})")
        if self.freeze_action not in FREEZE_ACTIONS:
            raise bad_value("freeze_action", self.freeze_action,
                            "one of " + ", ".join(FREEZE_ACTIONS))
        lo, hi = self.plausible_range_c
        if self.worst_case_temp_c is not None and not lo <= self.worst_case_temp_c <= hi:
            raise bad_value("worst_case_temp_c", self.worst_case_temp_c,
                            f"within plausible_range_c [{lo:g}, {hi:g}]")

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> ShelfLifeRule:
        """Build from a plain mapping (a rule-pack section); errors name the key path."""
        if not isinstance(mapping, Mapping):
            raise bad_value("shelf_life", mapping, "a mapping")
        known = {f.name for f in attrs.fields(cls)}
        for key in mapping:
            if key not in known:
                raise bad_value(str(key), mapping[key],
                                "absent (unknown key; known: " + ", ".join(sorted(known)) + ")")
        for key in ("model", "shelf_life_ref_h"):
            if key not in mapping:
                raise bad_value(key, None, "given")
        data = dict(mapping)
        data["model"] = model_from_mapping(data["model"], path="model")
        rule: ShelfLifeRule = _build(cls, data, "")
        return rule

    def to_mapping(self) -> dict[str, Any]:
        """A plain YAML-safe mapping that :meth:`from_mapping` reads back."""
        out: dict[str, Any] = {
            "model": self.model.to_mapping(),
            "shelf_life_ref_h": self.shelf_life_ref_h,
            "alert_offset_h": self.alert_offset_h,
            "removal_offset_h": self.removal_offset_h,
        }
        if self.hard_limits:
            out["hard_limits"] = [lim.to_mapping() for lim in self.hard_limits]
        if self.freeze_point_c is not None:
            out["freeze_point_c"] = self.freeze_point_c
        if self.freeze_action != "flag":
            out["freeze_action"] = self.freeze_action
        if self.max_gap_h is not None:
            out["max_gap_h"] = self.max_gap_h
        if self.worst_case_temp_c is not None:
            out["worst_case_temp_c"] = self.worst_case_temp_c
        out["plausible_range_c"] = list(self.plausible_range_c)
        if self.source:
            out["source"] = self.source
        return out
