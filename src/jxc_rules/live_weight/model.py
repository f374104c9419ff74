"""Parameter objects for live-weight transit: :class:`TransitModel` and :class:`MortalityCurve`.

A rule pack's ``live_weight`` section loads into a :class:`TransitModel` with
:meth:`TransitModel.from_mapping` and dumps back with :meth:`TransitModel.to_mapping`. Every
method is vectorised over shipments; the formulas are those of :mod:`jxc_rules.live_weight.core`
plus:

* **Temperature profile** — a trip of legs ``(Δtᵢ, Tᵢ)`` has exposure ``E = Σ k(rᵢ)·Δtᵢ`` with
  ``rᵢ = r·Q10^((Tᵢ − Tref)/10)``; compound/continuous weight ``W0·e^(−E)``, linear ``W0·(1 − E)``.
* **Two-phase shrink** — for the first ``initial_phase_hours`` of a trip the rate is
  ``initial_rate_per_hour`` (gut emptying and stress water loss), then ``rate_per_hour``.
  ``fasted=True`` (fish purged/starved before loading, 停食) skips the first phase.
* **Mortality** — a :class:`MortalityCurve` gives the expected dead fraction after ``t`` hours;
  dead weight beyond it counts as unexplained in :meth:`TransitModel.reconcile`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs
import numpy as np
import pint

from jxc_rules._internal.arrays import as_float_array, broadcast_arrays, require_numbers
from jxc_rules.errors import ValidationError, bad_value
from jxc_rules.live_weight.core import (
    FloatArray,
    Reconciliation,
    as_hours,
    as_kg,
    as_temp,
    check_form,
    divide_retention,
    hazard,
    q10_factor,
    rate_magnitude,
    reconcile_retention,
    retention_from_exposure,
    scaled_rate,
)
from jxc_rules.units import magnitude

__all__ = ["MortalityCurve", "TransitModel", "format_rate", "parse_rate"]


# --------------------------------------------------------------------------------------------
# converters and validators


def parse_rate(value: object, field: str = "rate_per_hour") -> float:
    """A per-hour fraction from ``0.003``, ``"0.3 %/h"`` or a Quantity, checked in ``[0, 1)``.

    >>> parse_rate("0.3 %/h")
    0.003
    """
    if isinstance(value, (bool, np.bool_)):
        raise bad_value(field, value, "a rate such as 0.003 or '0.3 %/h'")
    value = rate_magnitude(value, field)
    try:
        require_numbers(value, field)
        rate = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):  # a ValidationError is a ValueError
        raise bad_value(field, value, "a rate such as 0.003 or '0.3 %/h'") from None
    as_float_array(rate, field, min_value=0.0, max_value=1.0, max_inclusive=False)
    return rate


def format_rate(rate: float) -> str:
    """A rate as the percent-per-hour string rule packs use (exact by shortest repr).

    >>> format_rate(0.003)
    '0.3 %/h'
    """
    pct = (Decimal(repr(float(rate))) * 100).normalize()
    text = format(pct, "f")
    return f"{text} %/h"


def _scalar(value: object, field: str, *, unit: str | None = None, min_value: float | None = None,
            positive: bool = False) -> float:
    if unit is not None and isinstance(value, (str, pint.Quantity)):
        value = magnitude(value, unit, field=field)
    try:  # "3" is text, True is not a number, and neither is 3+4j
        require_numbers(value, field)
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):  # a ValidationError is a ValueError
        raise bad_value(field, value, "a number" + (f" in {unit}" if unit else "")) from None
    as_float_array(out, field, min_value=0.0 if positive else min_value,
                   min_inclusive=not positive)
    return out


def _opt_rate(value: object) -> float | None:
    return None if value is None else parse_rate(value, "initial_rate_per_hour")


def _opt_q10(value: object) -> float | None:
    return None if value is None else _scalar(value, "q10", positive=True)


def _opt_temp(value: object) -> float | None:
    return None if value is None else _scalar(value, "ref_temp_c", unit="degC")


def _phase_hours(value: object) -> float:
    return _scalar(value, "initial_phase_hours", unit="h", min_value=0.0)


def _floats(values: object, field: str) -> tuple[float, ...]:
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
        raise bad_value(field, values, "a list of numbers")
    try:
        require_numbers(values, field)  # [0, True] is not hours, ["0", "6"] is text
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):  # a ValidationError is a ValueError
        raise bad_value(field, values, "a list of numbers") from None
    if arr.ndim != 1:
        raise bad_value(field, values, "a flat list of numbers")
    return tuple(float(v) for v in as_float_array(arr, field))


def _curve_hours(values: object) -> tuple[float, ...]:
    return _floats(values, "hours")


def _curve_fractions(values: object) -> tuple[float, ...]:
    return _floats(values, "dead_fraction")


def _reject_unknown(mapping: Mapping[str, Any], known: Sequence[str], prefix: str) -> None:
    if not isinstance(mapping, Mapping):
        raise bad_value(prefix.rstrip(".") or "mapping", mapping, "a mapping of keys to values")
    for key in mapping:
        if key not in known:
            raise bad_value(f"{prefix}{key}", mapping[key],
                            "absent: unknown key (expected one of " + ", ".join(known) + ")")


def _prefixed(exc: ValidationError, prefix: str) -> ValidationError:
    if not prefix:
        return exc
    field = f"{prefix}{exc.field}" if exc.field else prefix.rstrip(".")
    msg = str(exc)
    if exc.field and msg.startswith(exc.field):
        msg = field + msg[len(exc.field):]
    return type(exc)(msg, field=field, value=exc.value, row=exc.row)


# --------------------------------------------------------------------------------------------
# mortality


@attrs.frozen
class MortalityCurve:
    """Expected dead fraction (死亡率) of the load after ``t`` hours in transit, piecewise linear.

    ``hours`` start at 0 and strictly increase; ``dead_fraction`` lies in ``[0, 1]`` and never
    decreases. After the last point the curve stays flat. A curve with a *threshold* — flat-ish,
    then rising sharply once the fish exhaust their tolerance — is built by :meth:`hockey_stick`.

    Examples
    --------
    >>> curve = MortalityCurve(hours=[0, 6, 12], dead_fraction=[0, 0.006, 0.066])
    >>> curve([3, 6, 9, 24]).round(4).tolist()
    [0.003, 0.006, 0.036, 0.066]
    >>> curve.threshold_hours
    6.0
    """

    hours: tuple[float, ...] = attrs.field(converter=_curve_hours)
    dead_fraction: tuple[float, ...] = attrs.field(converter=_curve_fractions)

    def __attrs_post_init__(self) -> None:
        h = np.asarray(self.hours)
        f = np.asarray(self.dead_fraction)
        if h.size == 0:
            raise bad_value("hours", list(self.hours), "at least one point")
        if h.size != f.size:
            raise ValidationError(
                f"hours and dead_fraction must have the same length, got {h.size} and {f.size}",
                field="dead_fraction")
        as_float_array(h, "hours", min_value=0.0)
        if h[0] != 0.0:
            raise bad_value("hours", h[0], "0 at the first point (the curve starts at loading)",
                            row=0)
        steps = np.diff(h) <= 0
        if steps.any():
            row = int(np.argmax(steps)) + 1
            raise bad_value("hours", float(h[row]), f"strictly increasing (after {h[row - 1]!r})",
                            row=row)
        as_float_array(f, "dead_fraction", min_value=0.0, max_value=1.0)
        falls = np.diff(f) < 0
        if falls.any():
            row = int(np.argmax(falls)) + 1
            raise bad_value("dead_fraction", float(f[row]),
                            f"non-decreasing (after {f[row - 1]!r})", row=row)

    def __call__(self, hours: object) -> FloatArray:
        """Expected dead fraction after ``hours``."""
        t = as_hours(hours)
        out: FloatArray = np.asarray(np.interp(t, self.hours, self.dead_fraction),
                                     dtype=np.float64)
        return out

    @property
    def threshold_hours(self) -> float | None:
        """The breakpoint where the slope rises most (``None`` if it never rises)."""
        h = np.asarray(self.hours)
        if h.size < 3:
            return None
        slopes = np.diff(self.dead_fraction) / np.diff(h)
        rise = np.diff(slopes)
        if not (rise > 0).any():
            return None
        return float(h[1 + int(np.argmax(rise))])

    @classmethod
    def hockey_stick(
        cls,
        threshold_hours: float,
        *,
        before_per_hour: float,
        after_per_hour: float,
        horizon_hours: float,
    ) -> MortalityCurve:
        """Dead fraction rising ``before_per_hour`` until ``threshold_hours``, then
        ``after_per_hour`` until ``horizon_hours`` (capped at 1 there, and flat after).

        >>> MortalityCurve.hockey_stick(6, before_per_hour=0.001, after_per_hour=0.01,
        ...                             horizon_hours=12).dead_fraction
        (0.0, 0.006, 0.066)
        """
        t0 = _scalar(threshold_hours, "threshold_hours", min_value=0.0)
        t1 = _scalar(horizon_hours, "horizon_hours", min_value=0.0)
        a = _scalar(before_per_hour, "before_per_hour", min_value=0.0)
        b = _scalar(after_per_hour, "after_per_hour", min_value=0.0)
        if not 0.0 < t0 < t1:
            raise bad_value("threshold_hours", t0, f"between 0 and horizon_hours ({t1!r})")
        f0 = a * t0
        f1 = f0 + b * (t1 - t0)
        return cls(hours=[0.0, t0, t1], dead_fraction=[0.0, round(f0, 12), round(min(f1, 1.0), 12)])

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any], *, prefix: str = "") -> MortalityCurve:
        """From ``{"hours": [...], "dead_fraction": [...]}``; errors name ``prefix + key``."""
        _reject_unknown(mapping, ("hours", "dead_fraction"), prefix)
        for key in ("hours", "dead_fraction"):
            if key not in mapping:
                raise bad_value(f"{prefix}{key}", None, "present (a list of numbers)")
        try:
            return cls(hours=mapping["hours"], dead_fraction=mapping["dead_fraction"])
        except ValidationError as exc:
            raise _prefixed(exc, prefix) from None

    def to_mapping(self) -> dict[str, Any]:
        """A plain YAML-safe dict that :meth:`from_mapping` reads back."""
        return {"hours": list(self.hours), "dead_fraction": list(self.dead_fraction)}


def _opt_curve(value: object) -> MortalityCurve | None:
    if value is None or isinstance(value, MortalityCurve):
        return value
    if isinstance(value, Mapping):
        return MortalityCurve.from_mapping(value, prefix="mortality.")
    raise bad_value("mortality", value, "a MortalityCurve or a mapping with hours and "
                    "dead_fraction")


def _check_form(_inst: object, _attr: object, value: object) -> None:
    check_form(value)


def _check_source(_inst: object, _attr: object, value: object) -> None:
    if not isinstance(value, str):
        raise bad_value("source", value, "a string saying where the rate came from")


# --------------------------------------------------------------------------------------------
# the model


@attrs.frozen
class TransitModel:
    """How live weight behaves in transit: rate, form, temperature, two phases, mortality.

    Parameters
    ----------
    rate_per_hour : float or str
        Weight-loss fraction per hour at the reference temperature, ``0 <= r < 1``
        (``0.003`` or ``"0.3 %/h"``).
    form : {"compound", "linear", "continuous"}
    q10, ref_temp_c : float, optional (both or neither)
        Rate at ``T`` is ``r · q10^((T − ref_temp_c)/10)``. Without them ``temp_c`` is refused.
    initial_rate_per_hour, initial_phase_hours : optional
        A faster first phase (gut emptying, stress water loss) of ``initial_phase_hours``;
        skipped when a method is called with ``fasted=True``.
    mortality : MortalityCurve or mapping, optional
        Expected dead fraction by hours in transit.
    source : str
        Where the rate came from. Say it: ``"customer figure (Hainan processor, 2026)"`` is not
        ``"published"``.

    Examples
    --------
    >>> m = TransitModel("0.3 %/h", source="customer figure")
    >>> print(f"{m.expected_weight(1000, 8):.3f}")
    976.250
    >>> two = TransitModel(0.003, initial_rate_per_hour=0.01, initial_phase_hours=2)
    >>> print(f"{two.expected_weight(1000, 8):.3f} {two.expected_weight(1000, 8, fasted=True):.3f}")
    962.590 976.250
    >>> m.to_mapping()["rate_per_hour"]
    '0.3 %/h'
    """

    rate_per_hour: float = attrs.field(converter=parse_rate)
    form: str = attrs.field(default="compound", validator=_check_form)
    q10: float | None = attrs.field(default=None, converter=_opt_q10, kw_only=True)
    ref_temp_c: float | None = attrs.field(default=None, converter=_opt_temp, kw_only=True)
    initial_rate_per_hour: float | None = attrs.field(default=None, converter=_opt_rate,
                                                      kw_only=True)
    initial_phase_hours: float = attrs.field(default=0.0, converter=_phase_hours, kw_only=True)
    mortality: MortalityCurve | None = attrs.field(default=None, converter=_opt_curve,
                                                   kw_only=True)
    source: str = attrs.field(default="", validator=_check_source, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if (self.q10 is None) != (self.ref_temp_c is None):
            raise ValidationError(
                f"q10 and ref_temp_c go together: give both or neither (q10={self.q10!r}, "
                f"ref_temp_c={self.ref_temp_c!r})", field="q10" if self.q10 is None
                else "ref_temp_c")
        if (self.initial_rate_per_hour is None) != (self.initial_phase_hours == 0.0):
            raise ValidationError(
                "initial_rate_per_hour and initial_phase_hours go together: give both or neither "
                f"(initial_rate_per_hour={self.initial_rate_per_hour!r}, "
                f"initial_phase_hours={self.initial_phase_hours!r})",
                field="initial_phase_hours" if self.initial_rate_per_hour is not None
                else "initial_rate_per_hour")

    # ---------------------------------------------------------------------------- mapping

    _KEYS = ("rate_per_hour", "form", "q10", "ref_temp_c", "initial_rate_per_hour",
             "initial_phase_hours", "mortality", "source")

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any], *, prefix: str = "") -> TransitModel:
        """Build from a rule pack's plain dict; an error names the key (``prefix`` + key).

        >>> TransitModel.from_mapping({"rate_per_hour": "0.3 %/h", "form": "continuous",
        ...                            "source": "customer"}).rate_per_hour
        0.003
        >>> TransitModel.from_mapping({"rate_per_hour": "0.3 %/h", "speed": 3})
        Traceback (most recent call last):
        ...
        jxc_rules.errors.ValidationError: speed must be absent: unknown key (expected one of ...
        """
        _reject_unknown(mapping, cls._KEYS, prefix)
        if "rate_per_hour" not in mapping:
            raise bad_value(f"{prefix}rate_per_hour", None, "present (e.g. '0.3 %/h')")
        kwargs = dict(mapping)
        rate = kwargs.pop("rate_per_hour")
        try:
            return cls(rate, **kwargs)
        except ValidationError as exc:
            raise _prefixed(exc, prefix) from None
        except TypeError as exc:  # e.g. a list where a number belongs
            raise ValidationError(f"{prefix}: {exc}", field=prefix.rstrip(".") or None) from None

    def to_mapping(self) -> dict[str, Any]:
        """A plain YAML-safe dict (rates as ``"0.3 %/h"`` strings); ``None`` fields are left out."""
        out: dict[str, Any] = {"rate_per_hour": format_rate(self.rate_per_hour),
                               "form": self.form}
        if self.q10 is not None:
            out["q10"] = self.q10
            out["ref_temp_c"] = self.ref_temp_c
        if self.initial_rate_per_hour is not None:
            out["initial_rate_per_hour"] = format_rate(self.initial_rate_per_hour)
            out["initial_phase_hours"] = self.initial_phase_hours
        if self.mortality is not None:
            out["mortality"] = self.mortality.to_mapping()
        out["source"] = self.source
        return out

    # ---------------------------------------------------------------------------- kinetics

    def rate_at(self, temp_c: object = None) -> FloatArray:
        """The rate per hour at ``temp_c`` (the reference rate when ``temp_c`` is ``None``)."""
        return scaled_rate(np.asarray(self.rate_per_hour), self._factor(temp_c))

    def _factor(self, temp_c: object) -> FloatArray | None:
        if temp_c is None:
            return None
        if self.q10 is None or self.ref_temp_c is None:
            raise ValidationError(
                "temp_c given but the model has no q10/ref_temp_c to scale the rate",
                field="temp_c")
        return q10_factor(self.q10, as_temp(temp_c), self.ref_temp_c)

    def exposure(self, hours: object, temp_c: object = None, *, fasted: bool = False,
                 legs: bool = False) -> FloatArray:
        """``E`` such that the weight left is ``e^(−E)`` (compound/continuous) or ``1 − E``.

        With ``legs=True`` the last axis of ``hours`` (and ``temp_c``) lists each trip's legs in
        order; the result drops that axis.
        """
        t = as_hours(hours)
        factor = self._factor(temp_c)
        if factor is not None:
            broadcast_arrays(strict=False, hours=t, temp_c=factor)
        if legs and t.ndim == 0:
            raise bad_value("hours", t.tolist(), "an array with legs on its last axis "
                            "when legs=True")
        # rates checked (< 1 per hour) in the caller's shape, so an error names the caller's row
        rest_rate = scaled_rate(np.asarray(self.rate_per_hour), factor)
        phase = 0.0 if fasted else self.initial_phase_hours
        init_rate = None
        if phase > 0.0 and self.initial_rate_per_hour is not None:
            init_rate = scaled_rate(np.asarray(self.initial_rate_per_hour), factor,
                                    "initial_rate_per_hour")
        if not legs:
            t = t[..., np.newaxis]
            rest_rate = rest_rate[..., np.newaxis]
            init_rate = None if init_rate is None else init_rate[..., np.newaxis]
        exposure_rest = hazard(rest_rate, self.form)
        # hours beyond float range give an infinite exposure (nothing left), never a warning
        with np.errstate(over="ignore"):
            if init_rate is not None:
                end = np.cumsum(np.broadcast_to(t, np.broadcast_shapes(t.shape,
                                                                       rest_rate.shape)), axis=-1)
                start = end - t
                first = np.minimum(end, phase) - np.minimum(start, phase)
                per_leg = hazard(init_rate, self.form) * first + exposure_rest * (t - first)
            else:
                per_leg = exposure_rest * t
            out: FloatArray = np.asarray(np.sum(per_leg, axis=-1))
        return out

    def retained_fraction(self, hours: object, temp_c: object = None, *, fasted: bool = False,
                          legs: bool = False) -> FloatArray:
        """Fraction of the live weight left after the trip(s)."""
        return retention_from_exposure(self.exposure(hours, temp_c, fasted=fasted, legs=legs),
                                       self.form)

    def shrink_fraction(self, hours: object, temp_c: object = None, *, fasted: bool = False,
                        legs: bool = False) -> FloatArray:
        """Fraction of the live weight lost in transit (two phases included).

        >>> two = TransitModel(0.003, initial_rate_per_hour=0.01, initial_phase_hours=2)
        >>> print(f"{two.shrink_fraction(2):.6f}")
        0.019900
        """
        out: FloatArray = np.asarray(1.0 - self.retained_fraction(hours, temp_c, fasted=fasted,
                                                                  legs=legs))
        return out

    def expected_weight(self, initial_kg: object, hours: object, temp_c: object = None, *,
                        fasted: bool = False, legs: bool = False) -> FloatArray:
        """Live weight expected on arrival.

        Examples
        --------
        A 12 h trip as 5 h at 30 °C then 7 h at 20 °C (legs on the last axis):

        >>> m = TransitModel(0.003, q10=2, ref_temp_c=25)
        >>> print(f"{m.expected_weight(1000, [5, 7], [30, 20], legs=True):.3f}")
        964.521
        """
        w0 = as_kg(initial_kg, "initial_kg")
        keep = self.retained_fraction(hours, temp_c, fasted=fasted, legs=legs)
        broadcast_arrays(strict=False, initial_kg=w0, hours=keep)
        out: FloatArray = np.asarray(w0 * keep)
        return out

    def expected_dead_fraction(self, hours: object, *, legs: bool = False) -> FloatArray:
        """Dead fraction the mortality curve expects after ``hours`` (0 without a curve)."""
        t = as_hours(hours)
        if legs:
            t = np.sum(t, axis=-1)
        if self.mortality is None:
            return np.zeros(t.shape)
        return self.mortality(t)

    def origin_weight(self, arrival_kg: object, hours: object, temp_c: object = None, *,
                      fasted: bool = False, legs: bool = False) -> FloatArray:
        """Live weight at origin implied by ``arrival_kg`` (the inverse of expected_weight).

        >>> m = TransitModel(0.003, form="continuous")
        >>> print(f"{m.origin_weight(m.expected_weight(1000, 8), 8):.6f}")
        1000.000000
        """
        w = as_kg(arrival_kg, "arrival_kg")
        keep = self.retained_fraction(hours, temp_c, fasted=fasted, legs=legs)
        broadcast_arrays(strict=False, arrival_kg=w, hours=keep)
        return divide_retention(w, keep)

    def reconcile(self, shipped_kg: object, received_kg: object, hours: object,
                  temp_c: object = None, *, dead_kg: object = 0, tolerance_kg: object = 0,
                  fasted: bool = False, legs: bool = False, dead_count: object = None,
                  fish_kg: object = None) -> Reconciliation:
        """:func:`~jxc_rules.live_weight.core.reconcile` under this model: two phases,
        temperature legs, and dead weight beyond the mortality curve counted as unexplained.
        Dead fish weighed (``dead_kg``) or counted (``dead_count`` × ``fish_kg``, the mean
        weight of one fish at loading).

        Examples
        --------
        >>> curve = MortalityCurve([0, 12], [0, 0.012])
        >>> m = TransitModel(0.003, mortality=curve)
        >>> rec = m.reconcile(1000, 900, 8, dead_kg=[0, 8, 50])
        >>> rec.explained_dead_kg.tolist(), rec.excess_dead_kg.tolist()
        ([0.0, 8.0, 8.0], [0.0, 0.0, 42.0])
        >>> rec.unexplained_kg.round(3).tolist()
        [76.25, 68.44, 68.44]
        """
        h = as_hours(hours)
        keep = self.retained_fraction(h, temp_c, fasted=fasted, legs=legs)
        with np.errstate(over="ignore"):
            total_h = np.sum(h, axis=-1) if legs else h
        inputs: dict[str, FloatArray] = {"hours": total_h}
        if temp_c is not None:
            temp = as_temp(temp_c)
            if legs:  # one temperature per leg of each trip, or a single value for all
                if temp.ndim and temp.shape != h.shape:
                    raise ValidationError(
                        f"temp_c{temp.shape} must have the shape of hours{h.shape} (trips × "
                        "legs) or be a single value", field="temp_c", value=temp.shape)
            else:
                inputs["temp_c"] = temp
        frac = None if self.mortality is None else self.mortality(total_h)
        return reconcile_retention(shipped_kg, received_kg, keep, total_h, dead_kg=dead_kg,
                                   tolerance_kg=tolerance_kg, expected_dead_fraction=frac,
                                   dead_count=dead_count, fish_kg=fish_kg, inputs=inputs)
