"""Expected live weight after transit, and reconciliation of shipped vs received live weight.

Live fish (活鱼) lose weight on the truck: the gut empties, and stress drives water and mucus loss.
A system that does not know this books normal transit shrink (运输损耗/途耗) as an unexplained loss.
This module holds the vectorised kernels; :mod:`jxc_rules.live_weight.model` holds the parameter
object (:class:`~jxc_rules.live_weight.model.TransitModel`) that rule packs load.

Model
-----
A weight-loss rate ``r`` (fraction of the live weight per hour, ``0 <= r < 1``) over ``t`` hours:

* ``"linear"``     ``W = W0 · (1 − r·t)``       (loss proportional to the *initial* weight)
* ``"compound"``   ``W = W0 · (1 − r)^t``       (``r`` of the *current* weight each hour)
* ``"continuous"`` ``W = W0 · e^(−r·t)``        (first-order decay with rate constant ``r``)

Temperature (Q10 rule, e.g. Schmidt-Nielsen, *Animal Physiology*, 5th ed., 1997, ch. 6): the rate
at ``T`` °C is ``r · Q10^((T − Tref)/10)``. Internally every form is written through an *exposure*
``E``: ``E = Σ kᵢ·Δtᵢ`` with hazard ``k = −ln(1 − r)`` (compound) or ``k = r`` (continuous), and
``W = W0·e^(−E)``; for the linear form ``E = Σ rᵢ·Δtᵢ`` and ``W = W0·(1 − E)``. Legs of a trip
therefore compose and commute.

The rate is a *parameter*. The often-quoted 0.3 %/h for live tilapia is a customer's figure, not
a published one; see ``docs/live_weight.md`` for sources and for calibrating it from history.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

import attrs
import numpy as np
import numpy.typing as npt
import pint

from jxc_rules._internal.arrays import as_float_array, broadcast_arrays, first_bad_row
from jxc_rules._internal.exact import fraction_to_decimal, to_fraction
from jxc_rules.errors import ValidationError, bad_value
from jxc_rules.money import from_fen, to_fen
from jxc_rules.units import exact_factor, exact_magnitude, magnitude

__all__ = [
    "FORMS",
    "LossValue",
    "Reconciliation",
    "check_form",
    "expected_weight",
    "origin_weight",
    "reconcile",
    "retained_fraction",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

FORMS: Final[tuple[str, ...]] = ("linear", "compound", "continuous")
"""The three decay forms, see the module docstring."""


def check_form(form: object, field: str = "form") -> str:
    """``form`` if it is one of :data:`FORMS`, else a ``ValidationError``."""
    if not isinstance(form, str) or form not in FORMS:
        raise bad_value(field, form, "one of 'linear', 'compound', 'continuous'")
    return form


def _row(mask: BoolArray) -> int | tuple[int, ...] | None:
    return first_bad_row(mask) if mask.ndim else None


def _at(arr: FloatArray, row: int | tuple[int, ...] | None) -> float:
    return float(arr) if row is None else float(arr[row])


def as_rate(value: object, field: str = "rate_per_hour") -> FloatArray:
    """A per-hour loss fraction (``0.003``, ``"0.3 %/h"``, a Quantity, an array) as a checked
    float array in ``[0, 1)``."""
    value = rate_magnitude(value, field)
    return as_float_array(value, field, min_value=0.0, max_value=1.0, max_inclusive=False)


def rate_magnitude(value: object, field: str = "rate_per_hour") -> object:
    """A rate string or Quantity as a per-hour magnitude, exactly for scalars (``"48.5 %/h"`` is
    the float nearest 0.485, not 48.5 × 0.01); anything else unchanged."""
    if isinstance(value, str) or (isinstance(value, pint.Quantity)
                                  and not isinstance(value.magnitude, np.ndarray)):
        return float(exact_magnitude(value, "1/h", field=field))
    if isinstance(value, pint.Quantity):
        return magnitude(value, "1/h", field=field)
    return value


def as_kg(value: object, field: str, *, min_value: float | None = 0.0) -> FloatArray:
    """Masses in kg (plain numbers are kg; strings and Quantities are converted once)."""
    if isinstance(value, (str, pint.Quantity)):
        value = magnitude(value, "kg", field=field)
    return as_float_array(value, field, min_value=min_value)


def as_hours(value: object, field: str = "hours") -> FloatArray:
    """Durations in hours, ``>= 0``."""
    if isinstance(value, (str, pint.Quantity)):
        value = magnitude(value, "h", field=field)
    return as_float_array(value, field, min_value=0.0)


def as_temp(value: object, field: str = "temp_c") -> FloatArray:
    """Temperatures in °C."""
    if isinstance(value, (str, pint.Quantity)):
        value = magnitude(value, "degC", field=field)
    return as_float_array(value, field)


def temperature_factor(
    temp_c: object, ref_temp_c: object, q10: object
) -> FloatArray | None:
    """``q10^((T − Tref)/10)``, or ``None`` (factor 1) when no temperature is given.

    ``temp_c`` needs both ``q10`` and ``ref_temp_c``; ``q10`` and ``ref_temp_c`` go together.
    """
    if (q10 is None) != (ref_temp_c is None):
        raise ValidationError(
            "q10 and ref_temp_c go together: give both or neither "
            f"(q10={q10!r}, ref_temp_c={ref_temp_c!r})", field="q10")
    if temp_c is None:
        if q10 is not None:
            as_float_array(q10, "q10", min_value=0.0, min_inclusive=False)
            as_temp(ref_temp_c, "ref_temp_c")
        return None
    if q10 is None:
        raise ValidationError(
            "temp_c needs q10 and ref_temp_c to scale the rate (rate × q10^((T − Tref)/10))",
            field="temp_c")
    q = as_float_array(q10, "q10", min_value=0.0, min_inclusive=False)
    ref = as_temp(ref_temp_c, "ref_temp_c")
    temp = as_temp(temp_c, "temp_c")
    broadcast_arrays(strict=False, temp_c=temp, ref_temp_c=ref, q10=q)
    return q10_factor(q, temp, ref)


def q10_factor(q10: npt.ArrayLike, temp_c: npt.ArrayLike,
               ref_temp_c: npt.ArrayLike) -> FloatArray:
    """``q10^((temp_c − ref_temp_c)/10)`` without numpy warnings: a factor beyond float range is
    ``inf`` (which :func:`scaled_rate` refuses: the rate would pass 1 per hour), one below it is
    ``0`` (the rate vanishes in the cold: a defined result)."""
    with np.errstate(over="ignore", under="ignore"):
        out: FloatArray = np.asarray(np.power(q10, (np.asarray(temp_c) - ref_temp_c) / 10.0))
    return out


def scaled_rate(rate: FloatArray, factor: FloatArray | None,
                field: str = "rate_per_hour") -> FloatArray:
    """``rate × factor`` checked to stay below 1 per hour (row named otherwise). A zero rate stays
    zero at any temperature (not ``0 × inf = NaN``)."""
    if factor is None:
        return rate
    broadcast_arrays(strict=False, **{field: rate, "temperature factor": factor})
    with np.errstate(invalid="ignore"):
        out: FloatArray = np.asarray(np.where(rate == 0.0, 0.0, rate * factor))
    bad = ~(out < 1.0)
    if bad.any():
        row = _row(bad)
        value = float(out[row]) if out.ndim else float(out)
        raise bad_value(f"{field} scaled to temp_c", value,
                        "below 1 per hour (lower q10 or check temp_c)", row=row)
    return out


def hazard(rate: FloatArray, form: str) -> FloatArray:
    """Per-hour exposure increment: ``−ln(1 − r)`` (compound) or ``r`` (linear, continuous)."""
    if form == "compound":
        out: FloatArray = -np.log1p(-rate)
        return out
    return rate


def retention_from_exposure(exposure: FloatArray, form: str,
                            field: str = "rate_per_hour × hours") -> FloatArray:
    """Fraction of the weight left: ``e^(−E)``, or ``1 − E`` (linear; ``E <= 1`` checked)."""
    if form == "linear":
        over = exposure > 1.0
        if over.any():
            row = _row(over)
            value = float(exposure[row]) if exposure.ndim else float(exposure)
            raise bad_value(field, value, "<= 1 for the linear form (the load would weigh less "
                            "than nothing)", row=row)
        out: FloatArray = np.asarray(1.0 - exposure)
        return out
    return np.asarray(np.exp(-exposure))


def retained_fraction(
    hours: object,
    *,
    rate_per_hour: object,
    form: str = "compound",
    temp_c: object = None,
    ref_temp_c: object = None,
    q10: object = None,
) -> FloatArray:
    """Fraction of the live weight left after ``hours`` (``expected_weight`` of 1 kg).

    >>> print(f"{retained_fraction(8, rate_per_hour='0.3 %/h'):.6f}")
    0.976250
    """
    form = check_form(form)
    t = as_hours(hours)
    rate = scaled_rate(as_rate(rate_per_hour), temperature_factor(temp_c, ref_temp_c, q10))
    broadcast_arrays(strict=False, hours=t, rate_per_hour=rate)
    with np.errstate(over="ignore"):  # an exposure beyond float range is inf: nothing is left
        exposure: FloatArray = hazard(rate, form) * t
    return retention_from_exposure(exposure, form)


def expected_weight(
    initial_kg: object,
    hours: object,
    *,
    rate_per_hour: object,
    form: str = "compound",
    temp_c: object = None,
    ref_temp_c: object = None,
    q10: object = None,
) -> FloatArray:
    """Live weight expected after ``hours`` in transit, for many shipments at once.

    Parameters
    ----------
    initial_kg : float, array, str or Quantity
        Live weight loaded (kg unless a unit is given).
    hours : float, array, str or Quantity
        Time in transit, ``>= 0``.
    rate_per_hour : float, array, str or Quantity
        Weight lost per hour as a fraction, ``0 <= r < 1``: ``0.003`` or ``"0.3 %/h"``.
    form : {"compound", "linear", "continuous"}
        ``W0(1 − r)^t`` (default), ``W0(1 − r·t)``, ``W0·e^(−r·t)``.
    temp_c, ref_temp_c, q10 : optional
        With all three the rate becomes ``r · q10^((temp_c − ref_temp_c)/10)``.

    Returns
    -------
    ndarray
        Expected weights in kg, the broadcast shape of the inputs (0-d for scalar inputs).

    Raises
    ------
    ValidationError
        Negative weight or hours, a rate outside ``[0, 1)``, NaN, shapes that do not
        broadcast, a linear loss above 100 % — each naming the field and the first bad row.

    Examples
    --------
    The worked example (1000 kg, 8 h, 0.3 %/h):

    >>> for form in ("linear", "compound", "continuous"):
    ...     print(form, f"{expected_weight(1000, 8, rate_per_hour='0.3 %/h', form=form):.3f}")
    linear 976.000
    compound 976.250
    continuous 976.286
    >>> expected_weight([1000, 500], [8, 4], rate_per_hour=0.003).round(3).tolist()
    [976.25, 494.027]

    At 35 °C with Q10 = 2 the rate doubles to 0.6 %/h:

    >>> w = expected_weight(1000, 8, rate_per_hour=0.003, temp_c=35, ref_temp_c=25, q10=2)
    >>> print(f"{w:.3f}")
    952.996
    """
    w0 = as_kg(initial_kg, "initial_kg")
    keep = retained_fraction(hours, rate_per_hour=rate_per_hour, form=form, temp_c=temp_c,
                             ref_temp_c=ref_temp_c, q10=q10)
    broadcast_arrays(strict=False, initial_kg=w0, hours=keep)
    out: FloatArray = np.asarray(w0 * keep)
    return out


def origin_weight(
    arrival_kg: object,
    hours: object,
    *,
    rate_per_hour: object,
    form: str = "compound",
    temp_c: object = None,
    ref_temp_c: object = None,
    q10: object = None,
) -> FloatArray:
    """The inverse of :func:`expected_weight`: live weight at origin implied by an arrival weight.

    Used to settle a purchase weighed on arrival (到货过磅) at the origin weight.

    >>> print(f"{origin_weight(976.25, 8, rate_per_hour='0.3 %/h'):.3f}")
    999.999
    >>> print(f"{origin_weight(976.286, 8, rate_per_hour=0.003, form='continuous'):.3f}")
    1000.000
    """
    w = as_kg(arrival_kg, "arrival_kg")
    keep = retained_fraction(hours, rate_per_hour=rate_per_hour, form=form, temp_c=temp_c,
                             ref_temp_c=ref_temp_c, q10=q10)
    broadcast_arrays(strict=False, arrival_kg=w, hours=keep)
    return divide_retention(w, keep)


def divide_retention(arrival: FloatArray, keep: FloatArray) -> FloatArray:
    """``arrival / keep``; a total loss (``keep == 0``) with weight on arrival is an error, and so
    is an origin weight beyond float range (a trip that leaves almost nothing)."""
    shape = np.broadcast_shapes(arrival.shape, keep.shape)
    zero = (keep <= 0.0) & (arrival > 0.0)
    if zero.any():
        row = _row(np.broadcast_to(zero, shape))
        raise bad_value("hours", "total loss", "a trip that leaves some weight (the linear form "
                        "reaches 0 at r·t = 1), so an arrival weight can be traced back", row=row)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out: FloatArray = np.where(keep > 0.0, arrival / np.where(keep > 0.0, keep, 1.0), 0.0)
    huge = ~np.isfinite(out)
    if huge.any():
        row = _row(np.broadcast_to(huge, shape))
        raise bad_value("hours", "an origin weight beyond float range", "a trip that leaves "
                        "enough weight for the arrival weight to be traced back", row=row)
    return out


# --------------------------------------------------------------------------------------------
# reconciliation


@attrs.frozen(eq=False)
class LossValue:
    """Expected shrink and unexplained loss in money (元).

    Row amounts are ``int64`` fen (分), each rounded half-up from the float kilograms times the
    exact price; the totals are ``Decimal`` yuan, the exact sum of the row amounts, so a report's
    rows add up to its total. A negative unexplained amount is a gain.
    """

    price_per_kg: Decimal
    expected_shrink_fen: npt.NDArray[np.int64]
    unexplained_fen: npt.NDArray[np.int64]
    expected_shrink_yuan: Decimal
    unexplained_yuan: Decimal

    @property
    def apparent_loss_yuan(self) -> Decimal:
        """What a system blind to shrink would book as loss: shrink + unexplained."""
        return self.expected_shrink_yuan + self.unexplained_yuan


@attrs.frozen(eq=False)
class Reconciliation:
    """Shipped vs received live weight, split into expected shrink and unexplained loss.

    All fields are arrays of the broadcast shape (0-d for scalar inputs), in kg.

    Attributes
    ----------
    shipped_kg, received_kg, dead_kg, hours, tolerance_kg
        The inputs, broadcast. ``received_kg`` is live weight; ``dead_kg`` the dead-on-arrival
        fish (到货死鱼) weighed apart (or counted: ``dead_count × fish_kg``).
    explained_dead_kg
        Dead weight the model expects: all of ``dead_kg`` without a mortality curve, else
        ``min(dead_kg, expected dead fraction × shipped_kg)``.
    excess_dead_kg
        ``dead_kg − explained_dead_kg``: deaths beyond the mortality curve. Those fish were
        expected to arrive alive, so their expected arrival weight is part of ``unexplained_kg``.
    expected_kg
        Live weight expected on arrival: ``(shipped − explained_dead) × retention``.
    expected_shrink_kg
        ``(shipped − explained_dead) × (1 − retention)``: normal transit shrink (途耗).
    unexplained_kg
        ``expected_kg − received_kg``; positive is a loss, negative a gain. Hence
        ``received_kg + unexplained_kg == expected_kg`` and
        ``shipped − explained_dead − received == expected_shrink + unexplained``.
    flagged
        ``|unexplained_kg| > tolerance_kg``.
    gain
        ``received_kg > shipped_kg − dead_kg``: more live weight arrived than left (a weighing
        error or water in the load). Reported, never an exception.
    """

    shipped_kg: FloatArray
    received_kg: FloatArray
    dead_kg: FloatArray
    hours: FloatArray
    tolerance_kg: FloatArray
    explained_dead_kg: FloatArray
    excess_dead_kg: FloatArray
    expected_kg: FloatArray
    expected_shrink_kg: FloatArray
    unexplained_kg: FloatArray
    flagged: BoolArray
    gain: BoolArray

    @property
    def apparent_loss_kg(self) -> FloatArray:
        """``shipped − explained_dead − received``: the loss a shrink-blind system books."""
        out: FloatArray = self.expected_shrink_kg + self.unexplained_kg
        return out

    @property
    def n(self) -> int:
        """Number of shipments."""
        return int(self.expected_kg.size)

    @property
    def n_flagged(self) -> int:
        """Number of flagged shipments."""
        return int(np.count_nonzero(self.flagged))

    @property
    def total_expected_shrink_kg(self) -> float:
        return float(np.sum(self.expected_shrink_kg))

    @property
    def total_unexplained_kg(self) -> float:
        return float(np.sum(self.unexplained_kg))

    def value(self, price: object, unit: str = "kg") -> LossValue:
        """Expected shrink and unexplained loss in 元 at ``price`` per ``unit``.

        Parameters
        ----------
        price : int, str, Decimal or Fraction
            Yuan per ``unit`` (a float is read by its shortest repr). Must be ``>= 0``.
        unit : str
            A mass unit: ``"kg"``, ``"斤"`` / ``"jin"``, ``"t"``, ...

        Examples
        --------
        >>> rec = reconcile(20000, 18500, 8, rate_per_hour="0.3 %/h")
        >>> v = rec.value("8", "斤")
        >>> v.price_per_kg, v.expected_shrink_yuan, v.unexplained_yuan, v.apparent_loss_yuan
        (Decimal('16'), Decimal('7599.84'), Decimal('16400.16'), Decimal('24000.00'))
        """
        per_unit = to_fraction(price, "price")
        if per_unit < 0:
            raise bad_value("price", price, "a price >= 0")
        per_kg = per_unit / exact_factor(unit, "kg", field="unit")
        try:
            price_f = float(per_kg)
        except OverflowError:
            raise bad_value("price", price, "a price within float range") from None
        with np.errstate(over="ignore"):  # an amount beyond float range is inf: to_fen refuses
            shrink_yuan = self.expected_shrink_kg * price_f
            unexplained_yuan = self.unexplained_kg * price_f
        shrink = to_fen(shrink_yuan, "expected_shrink_kg × price")
        unexplained = to_fen(unexplained_yuan, "unexplained_kg × price")
        return LossValue(
            price_per_kg=fraction_to_decimal(per_kg),
            expected_shrink_fen=shrink,
            unexplained_fen=unexplained,
            expected_shrink_yuan=from_fen(int(np.sum(shrink, dtype=np.int64))),
            unexplained_yuan=from_fen(int(np.sum(unexplained, dtype=np.int64))),
        )


def per_shipment(arrays: Mapping[str, Any]) -> None:
    """One value per shipment: each array 1-D or a single value, all 1-D ones of one length —
    a length-1 list is not repeated over two shipments (the error names both fields)."""
    for name, arr in arrays.items():
        if np.ndim(arr) > 1:
            raise bad_value(name, f"an array of shape {np.shape(arr)}", "1-D (one value per "
                            "shipment) or a single value")
    broadcast_arrays(**arrays)


def counted_dead(dead_kg: object, dead_count: object, fish_kg: object) -> tuple[FloatArray, str]:
    """Dead-on-arrival weight: ``dead_kg`` as weighed, or ``dead_count × fish_kg`` when the dead
    fish are counted (``fish_kg``: mean live weight of one fish at loading, 规格). Returns the
    weight and the field an error about it should name."""
    if dead_count is None and fish_kg is None:
        return as_kg(dead_kg, "dead_kg"), "dead_kg"
    if dead_count is None or fish_kg is None:
        raise ValidationError(
            "dead_count and fish_kg go together: counted dead fish are weighed as count × mean "
            f"weight of one fish (dead_count={dead_count!r}, fish_kg={fish_kg!r})",
            field="dead_count" if dead_count is None else "fish_kg")
    if np.any(as_kg(dead_kg, "dead_kg") != 0):
        raise ValidationError("give dead_kg (dead fish weighed) or dead_count with fish_kg "
                              "(dead fish counted), not both", field="dead_kg")
    count = as_float_array(dead_count, "dead_count", min_value=0.0)
    fractional = count != np.floor(count)
    if fractional.any():
        row = _row(fractional)
        raise bad_value("dead_count", _at(count, row), "a whole number of fish", row=row)
    per_fish = as_kg(fish_kg, "fish_kg")
    bad = ~(per_fish > 0.0)
    if bad.any():
        row = _row(bad)
        raise bad_value("fish_kg", _at(per_fish, row), "> 0 (mean weight of one fish)", row=row)
    count, per_fish = broadcast_arrays(dead_count=count, fish_kg=per_fish)
    try:
        with np.errstate(over="raise"):  # the FPU flag: no pass over the data
            out: FloatArray = count * per_fish
    except FloatingPointError:
        raise bad_value("dead_count", "dead_count x fish_kg beyond float range",
                        "a count whose dead weight (count x fish_kg) is within float range"
                        ) from None
    return out, "dead_count × fish_kg"


def reconcile_retention(
    shipped_kg: object,
    received_kg: object,
    keep: FloatArray,
    hours: FloatArray,
    *,
    dead_kg: object = 0,
    tolerance_kg: object = 0,
    expected_dead_fraction: object = None,
    dead_count: object = None,
    fish_kg: object = None,
    inputs: Mapping[str, FloatArray] | None = None,
) -> Reconciliation:
    """:func:`reconcile` given the retention fraction ``keep`` already computed (used by
    :class:`~jxc_rules.live_weight.model.TransitModel`).

    ``inputs``: the per-shipment arrays ``keep`` was computed from (hours, rate, temperature),
    checked under their own names with the weights — 1-D or single values, one length — so a
    length-1 ``temp_c`` list is named as such, not as ``hours``. Without it ``keep`` is checked
    as ``hours``."""
    shipped = as_kg(shipped_kg, "shipped_kg")
    received = as_kg(received_kg, "received_kg")
    dead, dead_field = counted_dead(dead_kg, dead_count, fish_kg)
    tol = as_kg(tolerance_kg, "tolerance_kg")
    arrays: dict[str, Any] = {"shipped_kg": shipped, "received_kg": received}
    arrays.update(inputs if inputs is not None else {"hours": keep})
    arrays.update({dead_field: dead, "tolerance_kg": tol})
    frac = None
    if expected_dead_fraction is not None:
        frac = as_float_array(expected_dead_fraction, "expected_dead_fraction", min_value=0.0,
                              max_value=1.0)
        arrays["expected_dead_fraction"] = frac
    per_shipment(arrays)
    shipped_b, received_b, keep_b, dead_b, tol_b = broadcast_arrays(
        strict=False, shipped_kg=shipped, received_kg=received, hours=keep, dead_kg=dead,
        tolerance_kg=tol)
    over = dead_b > shipped_b
    if over.any():
        row = _row(over)
        raise bad_value(dead_field, _at(dead_b, row), f"<= shipped_kg ({_at(shipped_b, row)!r})",
                        row=row)
    if frac is None:
        explained = dead
        excess = np.zeros(shipped_b.shape)
    else:
        explained = np.minimum(dead, frac * shipped)
        excess = dead - explained
    live = shipped - explained
    expected = live * keep_b
    shrink = live - expected
    unexplained = expected - received
    shape = shipped_b.shape
    return Reconciliation(
        shipped_kg=shipped_b,
        received_kg=received_b,
        dead_kg=dead_b,
        hours=np.broadcast_to(hours, shape),
        tolerance_kg=tol_b,
        explained_dead_kg=np.broadcast_to(explained, shape),
        excess_dead_kg=np.broadcast_to(excess, shape),
        expected_kg=np.broadcast_to(expected, shape),
        expected_shrink_kg=np.broadcast_to(shrink, shape),
        unexplained_kg=np.broadcast_to(unexplained, shape),
        flagged=np.broadcast_to(np.abs(unexplained) > tol, shape),
        gain=np.broadcast_to(received > shipped - dead, shape),
    )


def reconcile(
    shipped_kg: object,
    received_kg: object,
    hours: object,
    *,
    rate_per_hour: object,
    form: str = "compound",
    dead_kg: object = 0,
    tolerance_kg: object = 0,
    temp_c: object = None,
    ref_temp_c: object = None,
    q10: object = None,
    expected_dead_fraction: object = None,
    dead_count: object = None,
    fish_kg: object = None,
) -> Reconciliation:
    """Split each shipment's missing live weight into expected transit shrink and unexplained loss.

    Parameters
    ----------
    shipped_kg, received_kg : array-like
        Live weight loaded and live weight received (kg). A received weight above the shipped
        weight is not an error: it is a gain, reported in ``gain`` and usually ``flagged``.
    hours : array-like
        Time in transit.
    rate_per_hour, form, temp_c, ref_temp_c, q10
        As in :func:`expected_weight`.
    dead_kg : array-like, default 0
        Dead-on-arrival weight (到货死鱼), weighed apart; must not exceed ``shipped_kg``.
    tolerance_kg : array-like, default 0
        A shipment is ``flagged`` when ``|unexplained_kg| > tolerance_kg``.
    expected_dead_fraction : array-like, optional
        Dead fraction of ``shipped_kg`` the mortality curve expects; dead weight beyond it is
        counted in ``unexplained_kg`` (see :class:`Reconciliation`).
    dead_count, fish_kg : array-like, optional (both or neither)
        Dead fish *counted* instead of weighed: ``dead_kg`` becomes ``dead_count × fish_kg``
        (``fish_kg``: mean live weight of one fish at loading, 规格). Not with ``dead_kg``.

    Returns
    -------
    Reconciliation
        ``expected_kg = (shipped − dead) × retention`` (without a mortality curve),
        ``expected_shrink_kg``, ``unexplained_kg = expected_kg − received_kg``, ``flagged``.

    Examples
    --------
    >>> rec = reconcile([1000, 1000, 1000], [976.25, 960, 990], 8, rate_per_hour=0.003,
    ...                 tolerance_kg=5)
    >>> rec.expected_kg.round(2).tolist(), rec.unexplained_kg.round(2).tolist()
    ([976.25, 976.25, 976.25], [0.0, 16.25, -13.75])
    >>> rec.flagged.tolist(), rec.gain.tolist()
    ([False, True, True], [False, False, False])
    >>> rec = reconcile(1000, 900, 8, rate_per_hour=0.003, dead_kg=50)
    >>> print(f"{rec.expected_kg:.4f} {rec.expected_shrink_kg:.4f} {rec.unexplained_kg:.4f}")
    927.4380 22.5620 27.4380

    Forty dead fish counted at 1.25 kg a fish are the same 50 kg:

    >>> rec = reconcile(1000, 900, 8, rate_per_hour=0.003, dead_count=40, fish_kg=1.25)
    >>> print(f"{rec.dead_kg:.1f} {rec.unexplained_kg:.4f}")
    50.0 27.4380
    """
    h = as_hours(hours)
    rate = as_rate(rate_per_hour)
    keep = retained_fraction(h, rate_per_hour=rate, form=form, temp_c=temp_c,
                             ref_temp_c=ref_temp_c, q10=q10)
    inputs = {"hours": h, "rate_per_hour": rate}
    if temp_c is not None:  # retained_fraction checked them: only their shapes matter here
        inputs.update(temp_c=as_temp(temp_c), ref_temp_c=as_temp(ref_temp_c, "ref_temp_c"),
                      q10=as_float_array(q10, "q10"))
    return reconcile_retention(shipped_kg, received_kg, keep, h, dead_kg=dead_kg,
                               tolerance_kg=tolerance_kg,
                               expected_dead_fraction=expected_dead_fraction,
                               dead_count=dead_count, fish_kg=fish_kg, inputs=inputs)
