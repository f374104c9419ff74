"""Rule-pack schema: frozen attrs classes for every section of an industry rule pack (规则包).

A rule pack is one YAML file per industry and version (``industries/hotpot/2026.11.yaml``). Its
sections hold the parameters of the kernels — packaging profiles, live-weight transit models,
shelf-life rules, channel loss models, recipes (BOMs) — and the business coefficients the
simulator applies: holiday and weather coefficients, the replenishment policy, prices and the
reservation policy. Kernel sections are built with the kernels' own ``from_mapping``; the classes
here are the pack-level ones.

Every class has ``from_mapping(mapping)`` (unknown keys are errors with a "did you mean" hint;
errors are :class:`~jxc_rules.errors.ValidationError` whose ``field`` is the key path relative to
the mapping, so the loader can point at ``file:line``) and ``to_mapping()`` (plain YAML-safe data).
Several errors in one mapping are raised together as a :class:`FieldErrors`.

Conventions
-----------
- Channels are ``dine_in`` (堂食), ``takeaway`` (外卖) and ``group_meal`` (团餐).
- Holiday names are the ones the ``chinese_calendar`` library uses (``"Spring Festival"``, ...).
- Item ids are plain ASCII (``beef_slices``); their Chinese and English names live in ``items``.
- Fractions accept numbers or percentages (``0.18`` or ``"18 %"``); durations accept numbers of
  days or time quantities (``"36 h"``); prices are ``"2850 元/t"`` (also ``CNY``/``yuan``/``RMB``).
"""

from __future__ import annotations

import datetime as dt
import difflib
import importlib
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

import attrs
import numpy as np
import numpy.typing as npt

from jxc_rules._internal.exact import to_decimal
from jxc_rules._internal.percent import ratio_float as _number  # one ratio parser (BOM scrap too)
from jxc_rules.errors import ValidationError, bad_value
from jxc_rules.rounding import check_mode
from jxc_rules.units import dimension_of, magnitude, parse_unit

__all__ = [
    "CHANNELS",
    "HOLIDAY_NAMES",
    "KERNEL_SECTIONS",
    "FieldErrors",
    "HolidayProfile",
    "HolidayRule",
    "Labels",
    "Price",
    "ReplenishmentPolicy",
    "ReservationPolicy",
    "RulePack",
    "Turnover",
    "WastageSection",
    "WeatherRule",
    "at_key",
    "kernel_class",
    "unknown_key",
]

T = TypeVar("T")

CHANNELS: tuple[str, ...] = ("dine_in", "takeaway", "group_meal")
"""Sales channels: 堂食 dine-in, 外卖 takeaway, 团餐 group meals."""

HOLIDAY_NAMES: tuple[str, ...] = (
    "New Year's Day",
    "Spring Festival",
    "Tomb-sweeping Day",
    "Labour Day",
    "Dragon Boat Festival",
    "National Day",
    "Mid-autumn Festival",
)
"""The yearly statutory holidays by the English names rule packs key their holidays by (the
simulator's calendar, ``simulate.calendar.HOLIDAY_NAMES``, adds the one-off ones)."""

KERNEL_SECTIONS: dict[str, tuple[str, str]] = {
    "packaging": ("jxc_rules.packaging", "ProductProfile"),
    "live_weight": ("jxc_rules.live_weight", "TransitModel"),
    "shelf_life": ("jxc_rules.shelf_life", "ShelfLifeRule"),
    "wastage": ("jxc_rules.wastage", "ChannelLossModel"),
    "recipes": ("jxc_rules.bom", "Bom"),
}
"""Section → (module, class) of the kernel parameter class that builds its entries."""


def kernel_class(section: str) -> Any:
    """The kernel parameter class that builds the entries of ``section``.

    Every kernel ships with the library, so a failing import is a broken installation and is
    raised — never papered over by keeping the section unvalidated.
    """
    module_name, class_name = KERNEL_SECTIONS[section]
    module = importlib.import_module(module_name)
    return getattr(module, class_name)


# --------------------------------------------------------------------------------------------
# errors and field readers


class FieldErrors(ValidationError):
    """Several :class:`ValidationError` s found in one mapping; ``errors`` lists them."""

    def __init__(self, errors: Sequence[ValidationError]) -> None:
        flat: list[ValidationError] = []
        for err in errors:
            flat.extend(err.errors if isinstance(err, FieldErrors) else [err])
        self.errors: list[ValidationError] = flat
        first = flat[0] if flat else None
        text = "; ".join(str(e) for e in flat) or "invalid"
        super().__init__(text, field=first.field if first else None,
                         value=first.value if first else None)


def unknown_key(field: str, key: str, allowed: Iterable[str]) -> ValidationError:
    """An "unknown key" error with a difflib "did you mean" hint.

    Examples
    --------
    >>> str(unknown_key("replenishment.lead_tme_days", "lead_tme_days",
    ...                 ["lead_time_days", "safety_days"]))
    "replenishment.lead_tme_days: unknown key 'lead_tme_days' (did you mean 'lead_time_days'?)"
    """
    allowed = sorted(allowed)
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    hint = (f" (did you mean {close[0]!r}?)" if close
            else f" (expected one of: {', '.join(allowed)})")
    return at_key(ValidationError(f"{field}: unknown key {key!r}{hint}", field=field, value=key))


def at_key(exc: ValidationError) -> ValidationError:
    """Mark ``exc`` as being about a mapping *key* (the loader then points at the key)."""
    exc.at_key = True  # type: ignore[attr-defined]
    return exc


def prefix_error(exc: ValidationError, prefix: str) -> ValidationError:
    """``exc`` with ``prefix`` prepended to its field path (and to its message's field name)."""
    if isinstance(exc, FieldErrors):
        return FieldErrors([prefix_error(e, prefix) for e in exc.errors])
    if not prefix:
        return exc
    local = exc.field or ""
    full = f"{prefix}.{local}" if local and not local.startswith("[") else f"{prefix}{local}"
    text = str(exc)
    text = full + text[len(local):] if local and text.startswith(local) else f"{full}: {text}"
    out = ValidationError(text, field=full, value=exc.value, row=exc.row)
    out.__cause__ = exc
    if getattr(exc, "at_key", False):
        at_key(out)
    return out


_BAD: Any = object()


def _join(prefix: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else key


class _Fields:
    """Reads one mapping field by field, collecting every error before raising them together."""

    def __init__(
        self,
        data: object,
        prefix: str,
        allowed: Iterable[str],
        required: Iterable[str] = (),
    ) -> None:
        self.prefix = prefix
        self.errors: list[ValidationError] = []
        if not isinstance(data, Mapping):
            self.errors.append(bad_value(prefix or "pack", data, "a mapping of keys to values"))
            self.data: Mapping[Any, Any] = {}
        else:
            self.data = data
        allowed = list(allowed)
        for key in self.data:
            if not isinstance(key, str) or key not in allowed:
                self.errors.append(unknown_key(self.path(str(key)), str(key), allowed))
        for key in required:
            if key not in self.data:
                self.errors.append(ValidationError(f"{self.path(key)} is required",
                                                   field=self.path(key)))

    def path(self, key: str | int) -> str:
        return _join(self.prefix, key)

    def take(self, key: str, conv: Callable[[Any, str], T], default: Any = None) -> Any:
        if key not in self.data:
            return default
        try:
            return conv(self.data[key], self.path(key))
        except ValidationError as exc:
            self.errors.append(exc)
            return _BAD

    def finish(self) -> None:
        if self.errors:
            raise FieldErrors(self.errors)


# --------------------------------------------------------------------------------------------
# converters: (value, field) -> value; raise ValidationError naming the field


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise bad_value(field, value, "a non-empty string")
    return value


def _opt_text(value: Any, field: str) -> str | None:
    return None if value is None else _text(value, field)


def _ident(value: Any, field: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]*", value):
        raise bad_value(field, value, "an ASCII id (letters, digits, '_', '-', '.')")
    return value


def _bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise bad_value(field, value, "true or false")
    return value


def _fraction(value: Any, field: str) -> float:
    out = _number(value, field)
    if not 0.0 <= out <= 1.0:
        raise bad_value(field, value, "a fraction in [0, 1]")
    return out


def _nonneg(value: Any, field: str) -> float:
    out = _number(value, field)
    if out < 0:
        raise bad_value(field, value, ">= 0")
    return out


def _positive(value: Any, field: str) -> float:
    out = _number(value, field)
    if out <= 0:
        raise bad_value(field, value, "> 0")
    return out


def _int(value: Any, field: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise bad_value(field, value, f"a whole number >= {minimum}")
    return value


def _days(value: Any, field: str) -> float:
    """Days from a plain number or a time quantity (``"36 h"`` → 1.5)."""
    if isinstance(value, str):
        out = float(magnitude(value, "day", field=field))
    else:
        out = _number(value, field)
    if not math.isfinite(out) or out < 0:
        raise bad_value(field, value, "a duration >= 0 (days, or a quantity like '36 h')")
    return out


def _whole_days(value: Any, field: str, minimum: int = 0) -> int:
    days = _days(value, field)
    if days != int(days) or days < minimum:
        raise bad_value(field, value, f"a whole number of days >= {minimum}")
    return int(days)


def _hours(value: Any, field: str) -> float:
    if isinstance(value, str):
        out = float(magnitude(value, "hour", field=field))
    else:
        out = _number(value, field)
    if out < 0:
        raise bad_value(field, value, "a duration >= 0 (hours, or a quantity like '2 d')")
    return out


def _kg(value: Any, field: str) -> float:
    """Kilograms from a number or a mass quantity (``"150 g"``, ``"3 斤"``)."""
    out = float(magnitude(value, "kg", field=field)) if isinstance(value, str) else \
        _number(value, field)
    if out <= 0:
        raise bad_value(field, value, "a mass > 0 (kg, or a quantity like '150 g')")
    return out


def _date(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise bad_value(field, value, "a date written YYYY-MM-DD")


def _choice(options: Sequence[str]) -> Callable[[Any, str], str]:
    def conv(value: Any, field: str) -> str:
        if value not in options:
            close = difflib.get_close_matches(str(value), list(options), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise bad_value(field, value, f"one of {', '.join(options)}{hint}")
        return str(value)

    return conv


def _each(items: list[Any], field: str, conv: Callable[[Any, str], T]) -> tuple[T, ...]:
    """``conv`` on every item (field ``field[i]``), collecting all errors before raising."""
    errors: list[ValidationError] = []
    out: list[T] = []
    for i, item in enumerate(items):
        try:
            out.append(conv(item, _join(field, i)))
        except ValidationError as exc:
            errors.append(exc)
    if errors:
        raise FieldErrors(errors)
    return tuple(out)


def _str_list(value: Any, field: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (_text(value, field),)
    if not isinstance(value, list):
        raise bad_value(field, value, "a string or a list of strings")
    return _each(value, field, _text)


def _multipliers(value: Any, field: str) -> tuple[float, ...]:
    if not isinstance(value, list):
        raise bad_value(field, value, "a list of multipliers >= 0, e.g. [1.1, 1.3]")
    return _each(value, field, _nonneg)


def _mapping_of(
    conv: Callable[[Any, str], T], *, keys: Callable[[Any, str], str] = _ident
) -> Callable[[Any, str], dict[str, T]]:
    def read(value: Any, field: str) -> dict[str, T]:
        if not isinstance(value, Mapping):
            raise bad_value(field, value, "a mapping")
        errors: list[ValidationError] = []
        out: dict[str, T] = {}
        for key, item in value.items():
            path = _join(field, str(key))
            try:
                name = keys(key, path)
            except ValidationError as exc:
                errors.append(at_key(exc))
                continue
            try:
                out[name] = conv(item, path)
            except ValidationError as exc:
                errors.append(exc)
        if errors:
            raise FieldErrors(errors)
        return out

    return read


def _as_dict(value: Mapping[str, Any]) -> dict[str, Any]:
    return dict(value)


def _as_tuple(value: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(value)


def _plain(value: float) -> int | float:
    """A float written back as an int when it is whole (keeps YAML tidy)."""
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else float(value)


def _check(cond: bool, field: str, value: Any, expected: str) -> None:
    if not cond:
        raise bad_value(field, value, expected)


# --------------------------------------------------------------------------------------------
# small value classes


@attrs.frozen
class Labels:
    """Bilingual display names: ``zh`` (中文) and ``en`` (English)."""

    zh: str = attrs.field(metadata={"doc": "Chinese name, e.g. 毛肚"})
    en: str = attrs.field(metadata={"doc": "English name, e.g. Beef tripe"})

    def __attrs_post_init__(self) -> None:
        _text(self.zh, "zh")
        _text(self.en, "en")

    @classmethod
    def from_mapping(cls, mapping: Any) -> Labels:
        """Build from ``{zh: ..., en: ...}``."""
        r = _Fields(mapping, "", ("zh", "en"), required=("zh", "en"))
        zh = r.take("zh", _text)
        en = r.take("en", _text)
        r.finish()
        return cls(zh=zh, en=en)

    def to_mapping(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}


def _labels(value: Any, field: str) -> Labels:
    try:
        return Labels.from_mapping(value)
    except ValidationError as exc:
        raise prefix_error(exc, field) from None


_PRICE = re.compile(
    r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(?:元|CNY|RMB|yuan|¥)\s*/\s*(.+?)\s*$"
)


@attrs.frozen
class Price:
    """A price in 元 per a unit of measure (``"2850 元/t"``, ``"9.6 元/斤"``); amount is exact."""

    amount: Decimal = attrs.field(metadata={"doc": "yuan per ``per`` (exact Decimal)"})
    per: str = attrs.field(metadata={"doc": "the unit priced: t, kg, 斤, pcs, ..."})

    def __attrs_post_init__(self) -> None:
        _check(isinstance(self.amount, Decimal) and self.amount.is_finite()
               and self.amount >= 0, "amount", self.amount, "a price >= 0")
        parse_unit(self.per, "per")

    @classmethod
    def parse(cls, value: Any, field: str = "price") -> Price:
        """From ``"2850 元/t"`` or ``{amount: 2850, per: t}``.

        Examples
        --------
        >>> Price.parse("2850 元/吨")
        Price(amount=Decimal('2850'), per='吨')
        >>> Price.parse("12 元/L", "x").per_unit_dimension()
        'volume'
        """
        if isinstance(value, str):
            m = _PRICE.match(value)
            if m is None:
                raise bad_value(field, value, "a price such as '2850 元/t' or '9.6 元/斤'")
            amount, per = m.groups()
            parse_unit(per, field)
            return cls(amount=Decimal(amount), per=per)
        r = _Fields(value, field, ("amount", "per"), required=("amount", "per"))
        amount = r.take("amount", lambda v, f: to_decimal(v, f))
        per = r.take("per", _unit_text)
        r.finish()
        try:
            return cls(amount=amount, per=per)
        except ValidationError as exc:
            raise prefix_error(exc, field) from None

    from_mapping = parse

    def per_unit_dimension(self) -> str:
        """The dimension of the priced unit (``'mass'``, ``'count'``, ...)."""
        return dimension_of(self.per)

    def to_mapping(self) -> str:
        return f"{self.amount} 元/{self.per}"


def _unit_text(value: Any, field: str) -> str:
    text = _text(value, field)
    parse_unit(text, field)
    return text


# --------------------------------------------------------------------------------------------
# holidays and weather


@attrs.frozen
class HolidayProfile:
    """Multiplicative per-day demand profile of one channel around a holiday.

    ``before[-1]`` is the day just before the first day off (the eve), ``before[-2]`` the day
    before that, ...; ``during[i]`` is day ``i + 1`` off (the last value repeats when the holiday
    is longer); ``after[0]`` is the first working day after it. A missing day is 1.0.
    """

    before: tuple[float, ...] = attrs.field(
        default=(), converter=_as_tuple,
        metadata={"doc": "days before the first day off, eve last"})
    during: tuple[float, ...] = attrs.field(
        default=(), converter=_as_tuple, metadata={"doc": "day 1, 2, ... off; last value repeats"})
    after: tuple[float, ...] = attrs.field(
        default=(), converter=_as_tuple, metadata={"doc": "days after the last day off"})

    def __attrs_post_init__(self) -> None:
        for name in ("before", "during", "after"):
            for i, v in enumerate(getattr(self, name)):
                _check(isinstance(v, (int, float)) and math.isfinite(v) and v >= 0,
                       f"{name}[{i}]", v, "a multiplier >= 0")

    @classmethod
    def from_mapping(cls, mapping: Any) -> HolidayProfile:
        r = _Fields(mapping, "", ("before", "during", "after"))
        before = r.take("before", _multipliers, ())
        during = r.take("during", _multipliers, ())
        after = r.take("after", _multipliers, ())
        r.finish()
        return cls(before=before, during=during, after=after)

    def to_mapping(self) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {}
        for name in ("before", "during", "after"):
            values = getattr(self, name)
            if values:
                out[name] = [float(v) for v in values]
        return out

    def window(self, days_off: int) -> npt.NDArray[np.float64]:
        """Multipliers for ``len(before)`` days before, ``days_off`` days off, ``len(after)``
        days after, in calendar order.

        Examples
        --------
        >>> HolidayProfile(before=[1.2, 1.5], during=[0.5, 1.3], after=[1.1]).window(4).tolist()
        [1.2, 1.5, 0.5, 1.3, 1.3, 1.3, 1.1]
        """
        days_off = _int(days_off, "days_off", 0)
        during = np.ones(days_off)
        if self.during and days_off:
            idx = np.minimum(np.arange(days_off), len(self.during) - 1)
            during = np.asarray(self.during, dtype=np.float64)[idx]
        return np.concatenate([np.asarray(self.before, dtype=np.float64), during,
                               np.asarray(self.after, dtype=np.float64)])


def _holiday_profile(value: Any, field: str) -> HolidayProfile:
    try:
        return HolidayProfile.from_mapping(value)
    except ValidationError as exc:
        raise prefix_error(exc, field) from None


@attrs.frozen
class HolidayRule:
    """Assumed (or, in a scenario, true) demand effect of one public holiday per channel.

    Keyed in a pack by the holiday's ``chinese_calendar`` name. Demand on a day in the window is
    the base demand times the channel's multiplier for that day (multiplicative, like the holiday
    regressors of common forecasting tools).
    """

    name: str = attrs.field(metadata={"doc": "holiday name as chinese_calendar spells it"})
    labels: Labels = attrs.field(metadata={"doc": "zh / en display names"})
    dine_in: HolidayProfile = attrs.field(factory=HolidayProfile,
                                          metadata={"doc": "堂食 profile"})
    takeaway: HolidayProfile = attrs.field(factory=HolidayProfile,
                                           metadata={"doc": "外卖 profile"})
    group_meal: HolidayProfile = attrs.field(factory=HolidayProfile,
                                             metadata={"doc": "团餐 profile"})
    source: str | None = attrs.field(default=None, metadata={"doc": "where the figures come from"})

    def __attrs_post_init__(self) -> None:
        if self.name not in HOLIDAY_NAMES:
            close = difflib.get_close_matches(str(self.name), HOLIDAY_NAMES, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise bad_value("name", self.name,
                            f"a chinese_calendar holiday name: {', '.join(HOLIDAY_NAMES)}{hint}")

    @property
    def channels(self) -> dict[str, HolidayProfile]:
        """Channel → profile."""
        return {c: getattr(self, c) for c in CHANNELS}

    def profile(self, channel: str) -> HolidayProfile:
        """The profile of ``channel`` (one of :data:`CHANNELS`)."""
        if channel not in CHANNELS:
            raise bad_value("channel", channel, f"one of {', '.join(CHANNELS)}")
        return getattr(self, channel)  # type: ignore[no-any-return]

    @classmethod
    def from_mapping(cls, mapping: Any, *, name: str | None = None) -> HolidayRule:
        """Build from ``{labels, dine_in: {before, during, after}, takeaway, group_meal, source}``;
        ``name`` is the pack key (or a ``name`` entry in the mapping)."""
        r = _Fields(mapping, "", ("name", "labels", "source", *CHANNELS), required=("labels",))
        key = r.take("name", _text, name)
        labels = r.take("labels", _labels)
        source = r.take("source", _opt_text)
        profiles = {c: r.take(c, _holiday_profile, HolidayProfile()) for c in CHANNELS}
        if key is None:
            r.errors.append(ValidationError("name is required", field="name"))
        elif key is not _BAD and key not in HOLIDAY_NAMES:
            close = difflib.get_close_matches(str(key), HOLIDAY_NAMES, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            r.errors.append(bad_value(
                "name", key, f"a chinese_calendar holiday name: {', '.join(HOLIDAY_NAMES)}{hint}"))
        r.finish()
        return cls(name=key, labels=labels, source=source, **profiles)

    def to_mapping(self) -> dict[str, Any]:
        out: dict[str, Any] = {"labels": self.labels.to_mapping()}
        for c in CHANNELS:
            prof = getattr(self, c).to_mapping()
            if prof:
                out[c] = prof
        if self.source is not None:
            out["source"] = self.source
        return out


@attrs.frozen
class WeatherRule:
    """Per-channel demand multipliers on a day in one weather state (``"rain"``, ``"snow"``...).

    On such a day: dine-in = base × ``dine_in``; takeaway = base × ``takeaway`` +
    ``shift_to_takeaway`` × (dine-in demand lost); group meals = base × ``group_meal``. Rain that
    cuts dine-in by γ has ``dine_in = 1 − γ``.
    """

    state: str = attrs.field(metadata={"doc": "weather state id, e.g. rain"})
    labels: Labels = attrs.field(metadata={"doc": "zh / en display names"})
    dine_in: float = attrs.field(default=1.0, metadata={"doc": "multiplier >= 0 (1 − γ)"})
    takeaway: float = attrs.field(default=1.0, metadata={"doc": "multiplier >= 0"})
    group_meal: float = attrs.field(default=1.0, metadata={"doc": "multiplier >= 0"})
    shift_to_takeaway: float = attrs.field(
        default=0.0, metadata={"doc": "share in [0, 1] of lost dine-in demand ordered as takeaway"})
    source: str | None = attrs.field(default=None, metadata={"doc": "where the figures come from"})

    def __attrs_post_init__(self) -> None:
        _ident(self.state, "state")
        for c in CHANNELS:
            v = getattr(self, c)
            _check(isinstance(v, (int, float)) and math.isfinite(v) and v >= 0, c, v,
                   "a multiplier >= 0")
        v = self.shift_to_takeaway
        _check(isinstance(v, (int, float)) and 0 <= v <= 1, "shift_to_takeaway", v,
               "a fraction in [0, 1]")

    def multiplier(self, channel: str) -> float:
        if channel not in CHANNELS:
            raise bad_value("channel", channel, f"one of {', '.join(CHANNELS)}")
        return float(getattr(self, channel))

    def apply(
        self,
        dine_in: npt.ArrayLike,
        takeaway: npt.ArrayLike,
        group_meal: npt.ArrayLike,
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Demand per channel on a day in this state (arrays broadcast).

        Examples
        --------
        >>> rain = WeatherRule(state="rain", labels=Labels("雨", "Rain"), dine_in=0.8,
        ...                    shift_to_takeaway=0.5)
        >>> [float(x) for x in rain.apply(100.0, 20.0, 10.0)]
        [80.0, 30.0, 10.0]
        """
        d = np.asarray(dine_in, dtype=np.float64)
        t = np.asarray(takeaway, dtype=np.float64)
        g = np.asarray(group_meal, dtype=np.float64)
        lost = d * max(0.0, 1.0 - self.dine_in)
        return d * self.dine_in, t * self.takeaway + self.shift_to_takeaway * lost, \
            g * self.group_meal

    @classmethod
    def from_mapping(cls, mapping: Any, *, state: str | None = None) -> WeatherRule:
        r = _Fields(mapping, "", ("state", "labels", "source", "shift_to_takeaway", *CHANNELS),
                    required=("labels",))
        key = r.take("state", _ident, state)
        labels = r.take("labels", _labels)
        source = r.take("source", _opt_text)
        mult = {c: r.take(c, _nonneg, 1.0) for c in CHANNELS}
        shift = r.take("shift_to_takeaway", _fraction, 0.0)
        if key is None:
            r.errors.append(ValidationError("state is required", field="state"))
        r.finish()
        return cls(state=key, labels=labels, source=source, shift_to_takeaway=shift, **mult)

    def to_mapping(self) -> dict[str, Any]:
        out: dict[str, Any] = {"labels": self.labels.to_mapping()}
        for c in CHANNELS:
            out[c] = _plain(getattr(self, c))
        out["shift_to_takeaway"] = _plain(self.shift_to_takeaway)
        if self.source is not None:
            out["source"] = self.source
        return out


# --------------------------------------------------------------------------------------------
# replenishment and reservation policies

FORECAST_METHODS: tuple[str, ...] = ("moving_average", "same_weekday_average", "last_value")


@attrs.frozen
class ReplenishmentPolicy:
    """Periodic-review order-up-to policy (补货策略) in days of cover.

    Every ``review_period_days`` an order is placed that arrives ``lead_time_days`` later:
    target = forecast daily usage × (``days_of_cover`` + ``safety_days``), with the forecast from
    the last ``forecast_window_days`` of demand by ``forecast_method``, times the assumed holiday
    and weather coefficients of the pack, grossed up by channel loss;
    order = max(target − on hand − on order, 0), rounded to whole purchase packs by
    ``order_rounding`` (a rounding mode). Safety stock is expressed in **days of usage**
    (``safety_days``), the form store managers set by hand, rather than as a service-level
    factor; a committee can still derive it from a service level and state that as its source.
    """

    review_period_days: int = attrs.field(
        default=1, metadata={"doc": "days between orders (whole days >= 1)"})
    lead_time_days: int = attrs.field(
        default=1, metadata={"doc": "days from order to delivery (whole days >= 0)"})
    days_of_cover: float = attrs.field(
        default=1.0, metadata={"doc": "days of forecast usage an order covers (> 0)"})
    safety_days: float = attrs.field(
        default=0.0, metadata={"doc": "safety stock in days of forecast usage (>= 0)"})
    forecast_method: str = attrs.field(
        default="moving_average", metadata={"doc": "one of " + ", ".join(FORECAST_METHODS)})
    forecast_window_days: int = attrs.field(
        default=14, metadata={"doc": "days of history the forecast uses (>= 1)"})
    order_rounding: str = attrs.field(
        default="up", metadata={"doc": "rounding mode to whole purchase packs (up, half_up, ...)"})
    source: str | None = attrs.field(default=None, metadata={"doc": "where the figures come from"})

    def __attrs_post_init__(self) -> None:
        _int(self.review_period_days, "review_period_days", 1)
        _int(self.lead_time_days, "lead_time_days", 0)
        _positive(self.days_of_cover, "days_of_cover")
        _nonneg(self.safety_days, "safety_days")
        _choice(FORECAST_METHODS)(self.forecast_method, "forecast_method")
        _int(self.forecast_window_days, "forecast_window_days", 1)
        check_mode(self.order_rounding, "order_rounding")

    def target_days(self) -> float:
        """Days of usage the order-up-to level covers: ``days_of_cover + safety_days``."""
        return float(self.days_of_cover + self.safety_days)

    @classmethod
    def from_mapping(cls, mapping: Any) -> ReplenishmentPolicy:
        names = [a.name for a in attrs.fields(cls)]
        r = _Fields(mapping, "", names)
        kw: dict[str, Any] = {}
        readers: dict[str, Callable[[Any, str], Any]] = {
            "review_period_days": lambda v, f: _whole_days(v, f, 1),
            "lead_time_days": lambda v, f: _whole_days(v, f, 0),
            "days_of_cover": lambda v, f: _check_pos_days(v, f),
            "safety_days": _days,
            "forecast_method": _choice(FORECAST_METHODS),
            "forecast_window_days": lambda v, f: _whole_days(v, f, 1),
            "order_rounding": check_mode,
            "source": _opt_text,
        }
        for name, conv in readers.items():
            if name in r.data:
                kw[name] = r.take(name, conv)
        r.finish()
        return cls(**kw)

    def to_mapping(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for a in attrs.fields(type(self)):
            v = getattr(self, a.name)
            if a.name == "source" and v is None:
                continue
            out[a.name] = _plain(v) if isinstance(v, float) else v
        return out


def _check_pos_days(value: Any, field: str) -> float:
    out = _days(value, field)
    if out <= 0:
        raise bad_value(field, value, "a duration > 0")
    return out


@attrs.frozen
class ReservationPolicy:
    """How orders lock component stock (预留策略), for BOM-driven trades.

    ``mode``: ``all_or_nothing`` (an order reserves every leaf component at once or nothing) or
    ``line_by_line`` (what most ERPs do). ``trigger``: when the reservation is made.
    ``piece_rounding``: rounding mode for exploded counts of pieces (``up``: a part needed 3.2
    times reserves 4). ``hold_hours``: an unconsumed reservation is released after this long
    (``None``: held until released). ``allow_alternates``: use substitute parts when short.
    """

    mode: str = attrs.field(default="all_or_nothing",
                            metadata={"doc": "all_or_nothing or line_by_line"})
    trigger: str = attrs.field(default="order_placed",
                               metadata={"doc": "order_placed or released_to_production"})
    piece_rounding: str = attrs.field(default="up",
                                      metadata={"doc": "rounding mode for exploded pieces"})
    hold_hours: float | None = attrs.field(default=None,
                                           metadata={"doc": "auto-release after (hours)"})
    allow_alternates: bool = attrs.field(default=False,
                                         metadata={"doc": "use substitute parts when short"})
    source: str | None = attrs.field(default=None, metadata={"doc": "where the rule comes from"})

    def __attrs_post_init__(self) -> None:
        _choice(("all_or_nothing", "line_by_line"))(self.mode, "mode")
        _choice(("order_placed", "released_to_production"))(self.trigger, "trigger")
        check_mode(self.piece_rounding, "piece_rounding")
        if self.hold_hours is not None:
            _positive(self.hold_hours, "hold_hours")
        _bool(self.allow_alternates, "allow_alternates")

    @classmethod
    def from_mapping(cls, mapping: Any) -> ReservationPolicy:
        r = _Fields(mapping, "", [a.name for a in attrs.fields(cls)])
        kw: dict[str, Any] = {}
        readers: dict[str, Callable[[Any, str], Any]] = {
            "mode": _choice(("all_or_nothing", "line_by_line")),
            "trigger": _choice(("order_placed", "released_to_production")),
            "piece_rounding": check_mode,
            "hold_hours": lambda v, f: None if v is None else _hours(v, f),
            "allow_alternates": _bool,
            "source": _opt_text,
        }
        for name, conv in readers.items():
            if name in r.data:
                kw[name] = r.take(name, conv)
        r.finish()
        return cls(**kw)

    def to_mapping(self) -> dict[str, Any]:
        out: dict[str, Any] = {"mode": self.mode, "trigger": self.trigger,
                               "piece_rounding": self.piece_rounding}
        if self.hold_hours is not None:
            out["hold_hours"] = _plain(self.hold_hours)
        out["allow_alternates"] = self.allow_alternates
        if self.source is not None:
            out["source"] = self.source
        return out


# --------------------------------------------------------------------------------------------
# wastage section (channel loss models + turnover, take rates, portions and yields)

TURNOVER_DEFINITIONS: tuple[str, ...] = ("uses_per_table", "extra_uses_per_table")


@attrs.frozen
class Turnover:
    """Dine-in table turnover (翻台率) → covers.

    ``uses_per_table``: turns = seatings ÷ tables (covers = tables × turns × guests);
    ``extra_uses_per_table``: turns = (seatings − tables) ÷ tables, so covers = tables ×
    (turns + 1) × guests. The pack must say which definition its figure uses.
    """

    tables: int = attrs.field(metadata={"doc": "dining tables (>= 1)"})
    turns_per_day: float = attrs.field(metadata={"doc": "翻台率 per day (>= 0)"})
    guests_per_table: float = attrs.field(metadata={"doc": "guests per seating (> 0)"})
    definition: str = attrs.field(metadata={"doc": "uses_per_table or extra_uses_per_table"})
    source: str | None = attrs.field(default=None, metadata={"doc": "where the figures come from"})

    def __attrs_post_init__(self) -> None:
        _int(self.tables, "tables", 1)
        _nonneg(self.turns_per_day, "turns_per_day")
        _positive(self.guests_per_table, "guests_per_table")
        _choice(TURNOVER_DEFINITIONS)(self.definition, "definition")

    def covers_per_day(self) -> float:
        """Guests served per day.

        Examples
        --------
        >>> Turnover(tables=30, turns_per_day=3.8, guests_per_table=3.2,
        ...          definition="uses_per_table").covers_per_day()
        364.8
        """
        turns = self.turns_per_day + (1.0 if self.definition == "extra_uses_per_table" else 0.0)
        return round(self.tables * turns * self.guests_per_table, 9)

    @classmethod
    def from_mapping(cls, mapping: Any) -> Turnover:
        r = _Fields(mapping, "", [a.name for a in attrs.fields(cls)],
                    required=("tables", "turns_per_day", "guests_per_table", "definition"))
        tables = r.take("tables", lambda v, f: _int(v, f, 1))
        turns = r.take("turns_per_day", _nonneg)
        guests = r.take("guests_per_table", _positive)
        definition = r.take("definition", _choice(TURNOVER_DEFINITIONS))
        source = r.take("source", _opt_text)
        r.finish()
        return cls(tables=tables, turns_per_day=turns, guests_per_table=guests,
                   definition=definition, source=source)

    def to_mapping(self) -> dict[str, Any]:
        out: dict[str, Any] = {"tables": self.tables, "turns_per_day": _plain(self.turns_per_day),
                               "guests_per_table": _plain(self.guests_per_table),
                               "definition": self.definition}
        if self.source is not None:
            out["source"] = self.source
        return out


def _loss_model(value: Any, field: str) -> Any:
    cls = kernel_class("wastage")
    try:
        return cls.from_mapping(value)
    except ValidationError as exc:
        raise prefix_error(exc, field) from None


def _to_plain(value: Any) -> Any:
    to_mapping = getattr(value, "to_mapping", None)
    if callable(to_mapping):
        return to_mapping()
    if isinstance(value, dict):
        return {k: _to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_plain(v) for v in value]
    return value


@attrs.frozen
class WastageSection:
    """Channel wastage parameters of a food-service pack (损耗).

    ``loss_model`` is a :class:`jxc_rules.wastage.ChannelLossModel`: per-channel loss by cause
    (``convention`` ``loss`` — prep = net ÷ (1 − L) — or ``markup`` — net × (1 + w) — stated,
    because the trade mixes them up), item/group overrides and yields (edible ÷ as purchased,
    出成率). Around it: ``channel_shares`` (expected share of demand per channel, summing to 1),
    ``turnover`` (the dine-in 翻台率 assumption), ``take_rates`` (dishes per cover) and
    ``portion_kg`` (edible kg per dish), which together turn tables into prep quantities.
    """

    loss_model: Any = attrs.field(
        default=None, metadata={"doc": "jxc_rules.wastage.ChannelLossModel (convention, "
                                       "channels, items, groups, yields)"})
    channel_shares: dict[str, float] = attrs.field(
        factory=dict, converter=_as_dict, metadata={"doc": "channel → share of demand (sum 1)"})
    turnover: Turnover | None = attrs.field(default=None,
                                            metadata={"doc": "dine-in turnover (翻台率)"})
    take_rates: dict[str, float] = attrs.field(
        factory=dict, converter=_as_dict, metadata={"doc": "dish → dishes per cover (>= 0)"})
    portion_kg: dict[str, float] = attrs.field(
        factory=dict, converter=_as_dict,
        metadata={"doc": "dish → edible kg per dish (> 0; '150 g' accepted)"})
    source: str | None = attrs.field(default=None, metadata={"doc": "where the figures come from"})

    def __attrs_post_init__(self) -> None:
        if self.channel_shares:
            for c, v in self.channel_shares.items():
                _choice(CHANNELS)(c, f"channel_shares.{c}")
                _fraction(v, f"channel_shares.{c}")
            total = math.fsum(self.channel_shares.values())
            if abs(total - 1.0) > 1e-9:
                raise bad_value("channel_shares", self.channel_shares, "shares summing to 1")
        for name, check in (("take_rates", _nonneg), ("portion_kg", _positive)):
            for k, v in getattr(self, name).items():
                check(v, f"{name}.{k}")

    @property
    def convention(self) -> str | None:
        """The loss model's convention (``loss`` or ``markup``)."""
        return getattr(self.loss_model, "convention", None) if self.loss_model is not None \
            else None

    def loss(self, channel: str, item: str | None = None) -> float:
        """Loss rate L of ``item`` on ``channel`` from the loss model."""
        if self.loss_model is None:
            raise bad_value("loss_model", None, "a channel loss model in the pack")
        return float(self.loss_model.loss(channel, item))

    @classmethod
    def from_mapping(cls, mapping: Any) -> WastageSection:
        names = [a.name for a in attrs.fields(cls)]
        r = _Fields(mapping, "", names)
        kw: dict[str, Any] = {
            "loss_model": r.take("loss_model", _loss_model),
            "channel_shares": r.take("channel_shares",
                                     _mapping_of(_fraction, keys=_choice(CHANNELS)), {}),
            "turnover": r.take("turnover", _sub(Turnover)),
            "take_rates": r.take("take_rates", _mapping_of(_nonneg), {}),
            "portion_kg": r.take("portion_kg", _mapping_of(_kg), {}),
            "source": r.take("source", _opt_text),
        }
        r.finish()
        try:
            return cls(**kw)
        except ValidationError as exc:
            raise FieldErrors([exc]) from None

    def to_mapping(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.loss_model is not None:
            out["loss_model"] = _to_plain(self.loss_model)
        if self.channel_shares:
            out["channel_shares"] = {k: _plain(v) for k, v in self.channel_shares.items()}
        if self.turnover is not None:
            out["turnover"] = self.turnover.to_mapping()
        for name in ("take_rates", "portion_kg"):
            values = getattr(self, name)
            if values:
                out[name] = {k: _plain(v) for k, v in values.items()}
        if self.source is not None:
            out["source"] = self.source
        return out


def _sub(cls: Any) -> Callable[[Any, str], Any]:
    def read(value: Any, field: str) -> Any:
        try:
            return cls.from_mapping(value)
        except ValidationError as exc:
            raise prefix_error(exc, field) from None

    return read


# --------------------------------------------------------------------------------------------
# the pack


def _eq_by_mapping(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    return bool(_to_plain(a) == _to_plain(b))


def _eq_mapping_of_kernels(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    if a.keys() != b.keys():
        return False
    return all(x == b[k] or _to_plain(x) == _to_plain(b[k]) for k, x in a.items())


_VERSION = re.compile(r"^(\d{4})\.(\d{2})(?:\.\d+)?(?:[-+][A-Za-z0-9.]+)?$")
_VERSION_HELP = "a version like '2026.11' (YYYY.MM[.N], a real year and a month 01-12)"


def is_version(version: object) -> bool:
    """True when ``version`` reads ``YYYY.MM[.N]`` with a year from 1900 and a month 01–12.

    ``2026.13``, ``0000.00`` and ``2026.1`` (is it January or October?) are not versions.
    """
    if not isinstance(version, str):
        return False
    m = _VERSION.match(version)
    return m is not None and int(m.group(1)) >= 1900 and 1 <= int(m.group(2)) <= 12


def version_key(version: str) -> tuple[int, ...]:
    """Sort key of a version string ``YYYY.MM[.N]``: ``"2026.10"`` → ``(2026, 10)``."""
    return tuple(int(p) for p in re.findall(r"\d+", version.split("-")[0].split("+")[0]))


@attrs.frozen(eq=True)
class RulePack:
    """One version of an industry's rule pack.

    Metadata: ``industry`` (e.g. ``hotpot``), ``version`` (``YYYY.MM[.N]``), ``effective_from``
    (the first day it is in force), optional ``effective_until`` (first day no longer in force),
    ``scope`` (``chain``, or a store id for a store pack that ``extends`` its chain's pack),
    ``approved_by``, ``changelog``, bilingual ``labels``, ``illustrative`` (true when figures are
    examples rather than sourced), pack-level ``source``, ``sources`` (dotted entry path → the
    ``source`` given on that entry) and ``items`` (item id → labels).

    Sections (empty mapping / ``None`` when absent): ``packaging`` (sku →
    ``jxc_rules.packaging.ProductProfile``), ``prices`` (sku → :class:`Price`), ``live_weight``
    (species → ``jxc_rules.live_weight.TransitModel``), ``shelf_life`` (item →
    ``jxc_rules.shelf_life.ShelfLifeRule``), ``wastage`` (:class:`WastageSection`), ``recipes``
    (``jxc_rules.bom.Bom``), ``holidays`` (name → :class:`HolidayRule`), ``weather`` (state →
    :class:`WeatherRule`), ``replenishment`` (:class:`ReplenishmentPolicy`), ``reservation``
    (:class:`ReservationPolicy`).

    Every kernel section is built by its kernel's own parameter class, so a pack is checked by
    the same validators the kernel runs with.
    """

    industry: str = attrs.field(metadata={"doc": "industry id, e.g. hotpot, agri-inputs"})
    version: str = attrs.field(metadata={"doc": "YYYY.MM[.N], quoted or not"})
    effective_from: dt.date = attrs.field(metadata={"doc": "first day in force (YYYY-MM-DD)"})
    labels: Labels = attrs.field(metadata={"doc": "zh / en name of the pack"})
    approved_by: tuple[str, ...] = attrs.field(
        default=(), converter=_as_tuple, metadata={"doc": "who approved this version"})
    changelog: tuple[str, ...] = attrs.field(
        default=(), converter=_as_tuple, metadata={"doc": "what changed and why"})
    illustrative: bool = attrs.field(
        default=False, metadata={"doc": "true: figures are examples; else every entry needs a "
                                        "source (here or pack-level)"})
    extends: str | None = attrs.field(
        default=None, eq=False,
        metadata={"doc": "base pack path (relative to this file); provenance, not compared"})
    scope: str = attrs.field(default="chain", metadata={"doc": "chain, or a store id"})
    effective_until: dt.date | None = attrs.field(
        default=None, metadata={"doc": "first day no longer in force (optional)"})
    source: str | None = attrs.field(default=None,
                                     metadata={"doc": "pack-level source for every entry"})
    sources: dict[str, str] = attrs.field(
        factory=dict, converter=_as_dict, metadata={"doc": "entry path → source (from entries)"})
    calibration: tuple[dict[str, Any], ...] = attrs.field(
        default=(), converter=_as_tuple, eq=False,
        metadata={"doc": "provenance of calibrated values (field, estimate, interval, previous, "
                         "n, data, method); written by jxc-rules calibrate, not inherited"})
    items: dict[str, Labels] = attrs.field(
        factory=dict, converter=_as_dict, metadata={"doc": "item id → labels {zh, en}"})
    packaging: dict[str, Any] = attrs.field(
        factory=dict, converter=_as_dict, eq=attrs.cmp_using(eq=_eq_mapping_of_kernels),
        metadata={"doc": "sku → jxc_rules.packaging.ProductProfile"})
    prices: dict[str, Price] = attrs.field(
        factory=dict, converter=_as_dict, metadata={"doc": "sku → price, e.g. '2850 元/t'"})
    live_weight: dict[str, Any] = attrs.field(
        factory=dict, converter=_as_dict, eq=attrs.cmp_using(eq=_eq_mapping_of_kernels),
        metadata={"doc": "species/sku → jxc_rules.live_weight.TransitModel"})
    shelf_life: dict[str, Any] = attrs.field(
        factory=dict, converter=_as_dict, eq=attrs.cmp_using(eq=_eq_mapping_of_kernels),
        metadata={"doc": "item → jxc_rules.shelf_life.ShelfLifeRule"})
    wastage: WastageSection | None = attrs.field(
        default=None, eq=attrs.cmp_using(eq=_eq_by_mapping),
        metadata={"doc": "channel wastage section"})
    recipes: Any = attrs.field(
        default=None, eq=attrs.cmp_using(eq=_eq_by_mapping),
        metadata={"doc": "jxc_rules.bom.Bom from {lines, outputs}"})
    holidays: dict[str, HolidayRule] = attrs.field(
        factory=dict, converter=_as_dict, metadata={"doc": "holiday name → HolidayRule"})
    weather: dict[str, WeatherRule] = attrs.field(
        factory=dict, converter=_as_dict, metadata={"doc": "weather state → WeatherRule"})
    replenishment: ReplenishmentPolicy | None = attrs.field(
        default=None, metadata={"doc": "ReplenishmentPolicy"})
    reservation: ReservationPolicy | None = attrs.field(
        default=None, metadata={"doc": "ReservationPolicy"})
    origin: str | None = attrs.field(default=None, eq=False, repr=False,
                                     metadata={"doc": "file it was loaded from (not compared)"})

    def __attrs_post_init__(self) -> None:
        _ident(self.industry, "industry")
        if not is_version(self.version):
            raise bad_value("version", self.version, _VERSION_HELP)
        _check(isinstance(self.effective_from, dt.date), "effective_from",
               self.effective_from, "a date")
        if self.effective_until is not None and self.effective_until <= self.effective_from:
            raise bad_value("effective_until", self.effective_until,
                            f"a date after effective_from ({self.effective_from})")

    @property
    def version_key(self) -> tuple[int, ...]:
        """Sortable form of :attr:`version`."""
        return version_key(self.version)

    def label(self, item: str, lang: str = "en") -> str:
        """Display name of an item id in ``lang`` (``zh`` or ``en``); the id when unlabelled."""
        labels = self.items.get(item)
        if labels is None:
            return item
        return labels.zh if lang == "zh" else labels.en

    def in_force(self, on: dt.date) -> bool:
        """Whether this version is in force on ``on`` (by its own dates only)."""
        return self.effective_from <= on and (self.effective_until is None
                                              or on < self.effective_until)

    def to_mapping(self) -> dict[str, Any]:
        """Plain YAML-safe data; :func:`jxc_rules.rules.load.pack_from_mapping` reads it back.

        Entry sources (``sources``) are written back into their entries.
        """
        out: dict[str, Any] = {
            "industry": self.industry,
            "version": self.version,
            "effective_from": self.effective_from,
        }
        if self.effective_until is not None:
            out["effective_until"] = self.effective_until
        if self.scope != "chain":
            out["scope"] = self.scope
        out["labels"] = self.labels.to_mapping()
        if self.approved_by:
            out["approved_by"] = list(self.approved_by)
        if self.changelog:
            out["changelog"] = list(self.changelog)
        out["illustrative"] = self.illustrative
        if self.source is not None:
            out["source"] = self.source
        if self.calibration:
            out["calibration"] = [dict(r) for r in self.calibration]
        if self.items:
            out["items"] = {k: v.to_mapping() for k, v in self.items.items()}
        for section in ("packaging", "live_weight", "shelf_life"):
            entries = getattr(self, section)
            if entries:
                out[section] = {k: self._with_source(f"{section}.{k}",
                                                     self._compact(section, k, _to_plain(v)))
                                for k, v in entries.items()}
        if self.prices:
            out["prices"] = {
                k: ({"amount": str(v.amount), "per": v.per, "source": self.sources[f"prices.{k}"]}
                    if f"prices.{k}" in self.sources else v.to_mapping())
                for k, v in self.prices.items()}
        if self.wastage is not None:
            out["wastage"] = self.wastage.to_mapping()
        if self.recipes is not None:
            out["recipes"] = self._with_source("recipes", _to_plain(self.recipes))
        if self.holidays:
            out["holidays"] = {k: v.to_mapping() for k, v in self.holidays.items()}
        if self.weather:
            out["weather"] = {k: v.to_mapping() for k, v in self.weather.items()}
        if self.replenishment is not None:
            out["replenishment"] = self.replenishment.to_mapping()
        if self.reservation is not None:
            out["reservation"] = self.reservation.to_mapping()
        return out

    def _compact(self, section: str, key: str, mapping: Any) -> Any:
        """Leave out what the loader fills in from the key and ``items`` (sku, name, labels)."""
        if not isinstance(mapping, dict):
            return mapping
        out = dict(mapping)
        if section == "packaging":
            labels = self.items.get(key)
            if out.get("sku") == key:
                out.pop("sku")
            if out.get("name") == (labels.en if labels is not None else key):
                out.pop("name")
            if labels is not None and out.get("labels") == labels.to_mapping():
                out.pop("labels")
        if out.get("source") in ("", None):
            out.pop("source", None)
        return out

    def _with_source(self, path: str, mapping: Any) -> Any:
        src = self.sources.get(path)
        if src is None or not isinstance(mapping, dict):
            return mapping
        return {**mapping, "source": src}
