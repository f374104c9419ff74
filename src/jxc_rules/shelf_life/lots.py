"""Shelf-life rules per lot (批次): warning levels, hard limits, freezing, data quality, FEFO.

A :class:`ShelfLifeRule` holds what a rule pack says about one product: its rate model, its shelf
life at the reference temperature, the ERP-style alert (临期预警) and removal (下架) offsets before
the predicted expiry, food-code style hard limits, a freezing point, and how to treat sensor gaps.
:func:`assess_lots` applies it to many lots' temperature logs at once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeAlias

import attrs
import numpy as np
import numpy.typing as npt

from jxc_rules._internal.arrays import as_float_array, scalar_float
from jxc_rules.errors import TimeSeriesError, ValidationError, bad_value
from jxc_rules.shelf_life import integrate as _integrate
from jxc_rules.shelf_life.integrate import (
    _check_interpolation as _check_interp,
)
from jxc_rules.shelf_life.integrate import (
    _lot_index,
    _magnitudes,
    _prepare,
    _py,
    interval_consumption,
)
from jxc_rules.shelf_life.models import RateModel, model_from_mapping
from jxc_rules.units import magnitude

__all__ = [
    "FREEZE_ACTIONS",
    "LEVELS",
    "HardLimit",
    "LotAssessment",
    "ShelfLifeRule",
    "assess_lots",
    "fefo_order",
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
        hours = scalar_float(magnitude(value, "h", field=field), field, "a duration in hours")
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
        t = scalar_float(value if isinstance(value, (int, float)) else
                         magnitude(value, "degC", field=field), field, "a temperature in °C")
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
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable) \
            or (isinstance(value, np.ndarray) and value.ndim == 0):   # a 0-d array iterates not
        raise bad_value("hard_limits", value, "a HardLimit, a mapping or a list of them")
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
        if not isinstance(self.freeze_action, str) or self.freeze_action not in FREEZE_ACTIONS:
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


# --------------------------------------------------------------------------- assessment
@attrs.frozen(eq=False)
class LotAssessment:
    """Per-lot results of :func:`assess_lots`; every array has one entry per lot.

    Attributes
    ----------
    lot_ids : ndarray
        The lots, in input order (row numbers for 2-D input).
    consumed_h : ndarray
        Equivalent hours at the reference temperature consumed up to ``now_h``.
    remaining_ref_h : ndarray
        max(shelf_life_ref_h − consumed_h, 0).
    remaining_h : ndarray
        Hours left at the forecast temperature (≥ 0; ``inf`` where the forecast rate is 0).
    expiry_h : ndarray
        Predicted expiry time on the log's clock: ``now_h + remaining_h``.
    level_code, level : ndarray
        Index into :data:`LEVELS` and its name: ``ok``, ``alert`` (临期), ``remove`` (下架),
        ``expired``.
    hard_limit_breach : ndarray of bool
        Some hard limit exceeded (the lot is ``expired`` whatever its kinetic state).
    limit_hours : ndarray, shape (lots, limits)
        Hours counted against each hard limit (cumulative, or the longest excursion).
    freeze_event, frozen_h : ndarray
        The lot went below the freezing point, and for how long.
    data_quality_flag, gap_h, implausible_count : ndarray
        Gaps filled conservatively (hours) and readings outside the plausible range.
    """

    lot_ids: npt.NDArray[Any]
    now_h: FloatArray
    consumed_h: FloatArray
    remaining_ref_h: FloatArray
    remaining_h: FloatArray
    expiry_h: FloatArray
    level_code: npt.NDArray[np.int8]
    hard_limit_breach: npt.NDArray[np.bool_]
    limit_hours: FloatArray
    freeze_event: npt.NDArray[np.bool_]
    frozen_h: FloatArray
    data_quality_flag: npt.NDArray[np.bool_]
    gap_h: FloatArray
    implausible_count: npt.NDArray[np.int64]

    @property
    def level(self) -> npt.NDArray[np.str_]:
        """Level names (``ok``/``alert``/``remove``/``expired``)."""
        return np.asarray(LEVELS, dtype="<U7")[self.level_code]

    def __len__(self) -> int:
        return int(self.consumed_h.shape[0])


def _region_spans(
    dt: FloatArray, temp0: FloatArray, temp1: FloatArray, lo: float, hi: float,
    constant: npt.NDArray[np.bool_],
) -> tuple[FloatArray, FloatArray]:
    """Start and end offsets (hours from the interval start) of the part of each interval
    where lo < T < hi, T moving linearly from temp0 to temp1 (or holding temp0 where
    ``constant``). Empty parts have start == end."""
    if temp0.size:
        t_min = min(float(temp0.min()), float(temp1.min()))
        t_max = max(float(temp0.max()), float(temp1.max()))
        if t_max <= lo or t_min >= hi:  # nothing can be in the region: skip the arithmetic
            zero = np.zeros(dt.shape, dtype=np.float64)
            return zero, zero
    slope_zero = constant | (np.abs(temp1 - temp0) < 1e-9)  # flat within 1e-9 °C: held
    inside0 = (temp0 > lo) & (temp0 < hi)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        rate = (temp1 - temp0) / dt
        s_lo = (lo - temp0) / rate
        s_hi = (hi - temp0) / rate
    a = np.clip(np.fmin(s_lo, s_hi), 0.0, dt)
    b = np.clip(np.fmax(s_lo, s_hi), 0.0, dt)
    a = np.where(slope_zero, 0.0, a)
    b = np.where(slope_zero, np.where(inside0, dt, 0.0), b)
    b = np.where(b > a, b, a)
    a = np.where(dt > 0, a, 0.0)
    b = np.where(dt > 0, b, 0.0)
    return np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)


def _longest_runs(
    lot: npt.NDArray[np.intp], a: FloatArray, b: FloatArray, dt: FloatArray, n_lots: int
) -> FloatArray:
    """Longest contiguous in-region time per lot; a run continues into the next interval of
    the same lot when it reaches the interval's end and the next part starts at its start."""
    length = b - a
    out = np.zeros(n_lots, dtype=np.float64)
    if length.size == 0:
        return out
    touches_end = (length > 0) & (b >= dt)
    touches_start = (length > 0) & (a <= 0)
    cont = np.zeros(length.shape, dtype=bool)
    cont[1:] = (lot[1:] == lot[:-1]) & touches_end[:-1] & touches_start[1:]
    run = np.cumsum(~cont) - 1
    totals = np.bincount(run, weights=length)
    run_lot = lot[~cont]
    np.maximum.at(out, run_lot, totals)
    return out


def assess_lots(
    times_h: Any,
    temps_c: Any,
    rule: ShelfLifeRule,
    now_h: Any,
    *,
    lot_ids: Any = None,
    interpolation: str = "linear",
    forecast_temp_c: float | None = None,
    implausible: str = "flag",
) -> LotAssessment:
    """Consumed and remaining shelf life, predicted expiry and warning level of many lots.

    Parameters
    ----------
    times_h, temps_c : array_like
        The lots' temperature logs: 1-D (one lot), 2-D ``lots × readings`` (``times_h`` may be
        1-D, shared) or long format with ``lot_ids`` (grouped by lot, times increasing).
    rule : ShelfLifeRule
    now_h : float or array_like
        Assessment time on the log's clock (one per lot, or shared). Only time up to it
        counts: the interval that straddles it is cut at ``now_h`` (on the linear path for
        ``linear``/``trapezoid``, so the next reading sets the slope; ``next`` holds that
        reading), later intervals count nothing; from a lot's last reading to ``now_h`` its
        last temperature holds.
    interpolation : {"linear", "previous", "next", "trapezoid"}
        As in :func:`equivalent_time`. Hard limits and freezing use the linear path for
        ``linear`` and ``trapezoid``, the held reading for ``previous`` / ``next``.
    forecast_temp_c : float, optional
        Temperature the remaining life and expiry are predicted at (default: the reference).
    implausible : {"flag", "raise"}
        Readings outside ``rule.plausible_range_c``: ``flag`` treats them as missing (filled
        and flagged, counted in ``implausible_count``); ``raise`` refuses the log.

    Notes
    -----
    Data quality: a NaN reading after a lot's first reading (up to ``now_h``) or an interval
    longer than ``rule.max_gap_h`` is a *gap*; it is integrated at ``rule.worst_case_temp_c``
    if set, else at the warmer neighbouring reading, and reported in ``gap_h`` with
    ``data_quality_flag``. NaN readings before a lot's first reading are padding (the lot had not
    arrived). Unsorted or duplicate timestamps raise ``TimeSeriesError``.

    Freezing: below ``rule.freeze_point_c`` the kinetic model is not extrapolated (the rate is
    held at its value at the freezing point) and the lot gets a ``freeze_event``.

    Examples
    --------
    >>> from jxc_rules.shelf_life import Q10
    >>> rule = ShelfLifeRule(Q10(3, 4), "10 d", alert_offset_h="3 d", removal_offset_h="1 d",
    ...                      hard_limits=[HardLimit(4, above_c=15)])
    >>> times = [0, 24, 48, 72]
    >>> temps = [[4, 4, 4, 4], [12, 12, 12, 12], [4, 20, 20, 4]]
    >>> out = assess_lots(times, temps, rule, now_h=72)
    >>> out.level.tolist()
    ['ok', 'alert', 'expired']
    >>> out.remaining_h.round(1).tolist()
    [168.0, 66.6, 0.0]
    >>> out.hard_limit_breach.tolist()
    [False, False, True]
    """
    if not isinstance(rule, ShelfLifeRule):
        raise bad_value("rule", rule, "a ShelfLifeRule")
    _check_interp(interpolation)
    if not isinstance(implausible, str) or implausible not in ("flag", "raise"):
        raise bad_value("implausible", implausible, "'flag' or 'raise'")
    forecast_temp_c = _forecast_temp(forecast_temp_c)
    times, temps = _prepare(times_h, temps_c)
    if lot_ids is not None:
        if times.ndim != 1 or temps.shape != times.shape:
            raise ValidationError(
                f"long format needs 1-D times_h and temps_c of one length, got {times.shape} "
                f"and {temps.shape}", field="times_h")
        block, ids = _lot_index(lot_ids, temps.shape[0])
        now = _now_per_lot(now_h, ids.shape[0])
        parts = [_assess_flat(block, times, temps, np.arange(temps.shape[0]), now, rule,
                              interpolation, forecast_temp_c, implausible, ids)]
        return _concat(parts, ids, now)
    if temps.ndim == 1:
        temps = temps[None, :]
        if times.ndim != 1 or times.shape[0] != temps.shape[1]:
            raise ValidationError(f"times_h and temps_c must have the same length, got "
                                  f"{times.shape} and {temps.shape[1:]}", field="times_h")
    if temps.ndim != 2:
        raise bad_value("temps_c", f"an array of shape {temps.shape}", "1-D or 2-D")
    if times.ndim == 1:
        if times.shape[0] != temps.shape[1]:
            raise ValidationError(
                f"shared times_h must have one entry per reading column: {times.shape[0]} "
                f"times for {temps.shape[1]} readings", field="times_h")
    elif times.shape != temps.shape:
        raise ValidationError(f"times_h and temps_c must have the same shape, got "
                              f"{times.shape} and {temps.shape}", field="times_h")
    n_lots, n_read = temps.shape
    if n_read == 0:
        raise bad_value("temps_c", [], "at least one reading per lot")
    ids = np.arange(n_lots)
    now = _now_per_lot(now_h, n_lots)
    rows = max(1, _integrate._ASSESS_CHUNK_ELEMENTS // max(n_read, 1))
    parts = []
    for start in range(0, n_lots, rows):  # blocks of lots bound the memory
        stop = min(n_lots, start + rows)
        tp = temps[start:stop]
        tm = np.broadcast_to(times if times.ndim == 1 else times[start:stop], tp.shape)
        lot_grid = np.broadcast_to(np.arange(stop - start)[:, None], tp.shape)
        keep = ~np.isnan(tm) | ~np.isnan(tp)
        position = np.broadcast_to(np.arange(n_read)[None, :], tp.shape)
        if keep.all():  # no padding: flatten without gathering
            flat = (lot_grid.ravel().astype(np.intp), tm.ravel(), tp.ravel(), position.ravel())
        else:
            flat = (lot_grid[keep].astype(np.intp), tm[keep], tp[keep], position[keep])
        parts.append(_assess_flat(
            *flat, now[start:stop], rule, interpolation, forecast_temp_c, implausible,
            ids[start:stop], two_d=True, first_lot=start))
    return _concat(parts, ids, now)


def _forecast_temp(value: Any) -> float | None:
    """The forecast temperature as a finite float in °C (a number, ``"8 degC"`` or a Quantity);
    NaN would silently rate every lot ``ok``."""
    if value is None:
        return None
    temp = as_float_array(_magnitudes(value, "degC", "forecast_temp_c"), "forecast_temp_c")
    if temp.ndim != 0:
        raise bad_value("forecast_temp_c", temp.tolist(), "one temperature (°C)")
    return float(temp)


def _now_per_lot(now_h: Any, n_lots: int) -> FloatArray:
    now = as_float_array(_magnitudes(now_h, "h", "now_h"), "now_h")
    if now.ndim == 0:
        return np.full(n_lots, float(now))
    if now.shape != (n_lots,):
        raise ValidationError(f"now_h must be one time or one per lot ({n_lots}), got shape "
                              f"{now.shape}", field="now_h")
    return now


def _concat(parts: list[dict[str, Any]], ids: npt.NDArray[Any], now: FloatArray
            ) -> LotAssessment:
    def cat(key: str) -> Any:
        return np.concatenate([p[key] for p in parts]) if parts else np.zeros(0)

    return LotAssessment(lot_ids=ids, now_h=now, **{k: cat(k) for k in parts[0]}) \
        if parts else LotAssessment(
            lot_ids=ids, now_h=now, consumed_h=np.zeros(0), remaining_ref_h=np.zeros(0),
            remaining_h=np.zeros(0), expiry_h=np.zeros(0), level_code=np.zeros(0, np.int8),
            hard_limit_breach=np.zeros(0, bool), limit_hours=np.zeros((0, 0)),
            freeze_event=np.zeros(0, bool), frozen_h=np.zeros(0),
            data_quality_flag=np.zeros(0, bool), gap_h=np.zeros(0),
            implausible_count=np.zeros(0, np.int64))


def _assess_flat(
    lot: npt.NDArray[np.intp],
    times: FloatArray,
    temps: FloatArray,
    position: npt.NDArray[Any],
    now: FloatArray,
    rule: ShelfLifeRule,
    interpolation: str,
    forecast_temp_c: float | None,
    implausible: str,
    ids: npt.NDArray[Any],
    *,
    two_d: bool = False,
    first_lot: int = 0,
) -> dict[str, Any]:
    """The assessment of lots given as flat readings grouped by lot (``lot`` = 0..n-1)."""
    n_lots = ids.shape[0]
    model = rule.model

    def where(i: int) -> str:
        if two_d:
            return f"lot {int(lot[i]) + first_lot}, reading {int(position[i])}"
        return f"lot {_py(ids[lot[i]])!r}, row {int(position[i])}"

    # timestamps: finite and strictly increasing within each lot
    bad_time = np.isnan(times)
    if bad_time.any():
        i = int(np.argmax(bad_time))
        raise bad_value("times_h", float("nan"), f"a finite time for every reading ({where(i)})")
    same = lot[1:] == lot[:-1]
    step = np.diff(times)
    bad = same & ~(step > 0)
    if bad.any():
        i = int(np.argmax(bad)) + 1
        kind = "duplicate timestamp" if step[i - 1] == 0 else "unsorted timestamps"
        raise TimeSeriesError(
            f"times_h must increase strictly within each lot: {kind} {float(times[i])!r} after "
            f"{float(times[i - 1])!r} ({where(i)})", field="times_h", value=float(times[i]),
            row=(int(lot[i]) + first_lot, int(position[i])) if two_d else int(position[i]))
    # plausibility
    lo, hi = rule.plausible_range_c
    with np.errstate(invalid="ignore"):
        outside = (temps < lo) | (temps > hi)
    if outside.any() and implausible == "raise":
        i = int(np.argmax(outside))
        raise bad_value("temps_c", float(temps[i]),
                        f"within the plausible range [{lo:g}, {hi:g}] °C ({where(i)})")
    implausible_count = np.bincount(lot[outside], minlength=n_lots).astype(np.int64)
    temps = np.where(outside, np.nan, temps)
    finite = ~np.isnan(temps)
    have = np.bincount(lot[finite], minlength=n_lots)
    if np.any(have == 0):
        k = int(np.argmax(have == 0))
        name = k + first_lot if two_d else _py(ids[k])
        raise TimeSeriesError(f"lot {name!r} has no (plausible) readings", field="temps_c",
                              value=name)
    lot_now = now[lot]
    # gaps: NaN readings after the lot's first finite reading, up to now
    idx = np.arange(temps.shape[0])
    last_finite = np.maximum.accumulate(np.where(finite, idx, -1))
    prev_ok = (last_finite >= 0) & (lot[np.maximum(last_finite, 0)] == lot)
    missing = ~finite & prev_ok & (times <= lot_now)
    missing_after = np.zeros(temps.shape[0], dtype=bool)
    missing_after[last_finite[missing]] = True  # interval starting at that finite reading
    # compact series of finite readings; interval i runs to the next finite reading of the lot
    # or, for a lot's last reading, to now (its temperature holding)
    f_lot = lot[finite]
    f_t = times[finite]
    f_temp = temps[finite]
    f_gap_mark = missing_after[finite]
    f_now = lot_now[finite]
    has_next = np.zeros(f_lot.shape, dtype=bool)
    has_next[:-1] = f_lot[1:] == f_lot[:-1]
    t1 = np.where(has_next, np.append(f_t[1:], 0.0), f_now)
    temp1 = np.where(has_next, np.append(f_temp[1:], 0.0), f_temp)
    full_dt = t1 - f_t
    end = np.minimum(t1, f_now)
    dt = np.maximum(end - f_t, 0.0)
    gap = f_gap_mark.copy()
    if rule.max_gap_h is not None:
        gap |= full_dt > rule.max_gap_h
    gap &= dt > 0
    # temperature at the (possibly truncated) end of each interval
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(full_dt > 0, dt / full_dt, 0.0)
    if interpolation in ("linear", "trapezoid"):
        temp1_used = np.where(end < t1, f_temp + (temp1 - f_temp) * frac, temp1)
    else:
        temp1_used = temp1
    fill = np.maximum(f_temp, temp1) if rule.worst_case_temp_c is None else \
        np.full(f_temp.shape, rule.worst_case_temp_c)
    # gap intervals hold the fill temperature; others follow the interpolation
    a0 = np.where(gap, fill, f_temp)
    a1 = np.where(gap, fill, temp1_used)
    held = gap | (interpolation in ("previous", "next"))
    if interpolation == "next":
        a0 = np.where(gap, fill, temp1_used)
    path0 = a0
    path1 = np.where(held, a0, a1)
    # consumption, not extrapolating the model below the freezing point
    freeze = rule.freeze_point_c
    if freeze is None:
        cons = _consumption(dt, a0, a1, gap, model, interpolation)
        frozen_h = np.zeros(n_lots)
        freeze_event = np.zeros(n_lots, dtype=bool)
    else:
        fa, fb = _region_spans(dt, path0, path1, -np.inf, freeze, held)
        below = fb - fa
        above = dt - below
        c0 = np.maximum(a0, freeze)
        c1 = np.maximum(a1, freeze)
        if interpolation == "linear":
            ramp = _consumption(above, c0, c1, gap, model, interpolation)
            cons = ramp + below * model.relative_rate(freeze)
        else:
            cons = _consumption(dt, c0, c1, gap, model, interpolation)
        frozen_h = np.bincount(f_lot, weights=below, minlength=n_lots).astype(np.float64)
        in_window = f_t <= f_now
        cold = in_window & (f_temp < freeze)
        freeze_event = (frozen_h > 0) | (np.bincount(f_lot[cold], minlength=n_lots) > 0)
    consumed = np.bincount(f_lot, weights=cons, minlength=n_lots)
    gap_h = np.bincount(f_lot, weights=np.where(gap, dt, 0.0), minlength=n_lots)
    # hard limits
    limit_hours = np.zeros((n_lots, len(rule.hard_limits)))
    for j, limit in enumerate(rule.hard_limits):
        lo_c, hi_c = limit.bounds_c
        sa, sb = _region_spans(dt, path0, path1, lo_c, hi_c, held)
        if limit.continuous:
            limit_hours[:, j] = _longest_runs(f_lot, sa, sb, dt, n_lots)
        else:
            limit_hours[:, j] = np.bincount(f_lot, weights=sb - sa, minlength=n_lots)
    max_hours = np.array([lim.max_hours for lim in rule.hard_limits])
    breach = (limit_hours > max_hours[None, :]).any(axis=1) if rule.hard_limits else \
        np.zeros(n_lots, dtype=bool)
    # remaining life and levels
    remaining_ref = np.maximum(rule.shelf_life_ref_h - consumed, 0.0)
    rate_f = float(model.relative_rate(model.ref_temp_c if forecast_temp_c is None
                                       else forecast_temp_c))
    with np.errstate(divide="ignore", invalid="ignore"):
        remaining = np.where(remaining_ref > 0, remaining_ref / rate_f, 0.0)
    level = np.zeros(n_lots, dtype=np.int8)
    level[remaining <= rule.alert_offset_h] = 1
    level[remaining <= rule.removal_offset_h] = 2
    level[remaining_ref <= 0] = 3
    level[breach] = 3
    if freeze is not None and rule.freeze_action != "flag":
        floor = 2 if rule.freeze_action == "remove" else 3
        level = np.where(freeze_event, np.maximum(level, floor), level).astype(np.int8)
    return {
        "consumed_h": consumed,
        "remaining_ref_h": remaining_ref,
        "remaining_h": remaining,
        "expiry_h": now + remaining,
        "level_code": level,
        "hard_limit_breach": breach,
        "limit_hours": limit_hours,
        "freeze_event": freeze_event,
        "frozen_h": frozen_h,
        "data_quality_flag": (gap_h > 0) | (implausible_count > 0),
        "gap_h": gap_h,
        "implausible_count": implausible_count,
    }


def _consumption(dt: FloatArray, temp0: FloatArray, temp1: FloatArray,
                 gap: npt.NDArray[np.bool_], model: RateModel, interpolation: str) -> FloatArray:
    """Interval consumption; gap intervals hold their (fill) temperature."""
    cons = interval_consumption(dt, temp0, temp1, model, interpolation)
    if gap.any():
        cons = np.where(gap, dt * model.relative_rate(temp0), cons)
    return cons


def fefo_order(
    lots: LotAssessment | npt.ArrayLike, *, sellable_only: bool = True
) -> npt.NDArray[np.intp]:
    """First-expired-first-out (先到期先出) picking order: lot positions by predicted expiry.

    With a :class:`LotAssessment`, only ``ok`` and ``alert`` lots are returned unless
    ``sellable_only=False``; ties keep input order. With an array of expiry times, all lots.

    Examples
    --------
    >>> fefo_order([30.0, 12.0, 30.0, 5.0]).tolist()
    [3, 1, 0, 2]
    """
    if not isinstance(sellable_only, (bool, np.bool_)):
        raise bad_value("sellable_only", sellable_only, "True or False")
    if isinstance(lots, LotAssessment):
        order: npt.NDArray[np.intp] = np.argsort(lots.expiry_h, kind="stable")
        if sellable_only:
            order = order[lots.level_code[order] < 2]
        return order.astype(np.intp)
    expiry = as_float_array(lots, "expiry_h", allow_nan=False)
    if expiry.ndim != 1:
        raise bad_value("expiry_h", f"an array of shape {expiry.shape}", "1-D")
    return np.argsort(expiry, kind="stable").astype(np.intp)
