"""Loss conventions, gross-up, blended loss and the per-channel loss model.

Two conventions the trade mixes up
----------------------------------
A loss rate is quoted in one of two ways, and the difference is several percent of a purchase
order at the rates restaurants see:

* ``"loss"`` (损耗率, loss as a share of what goes *in*): ``L = lost / gross``, so
  ``gross = net / (1 − L)``. Valid for ``0 ≤ L < 1``.
* ``"markup"`` (加成 / 放量, allowance as a share of what comes *out*): ``w = lost / net``, so
  ``gross = net · (1 + w)``. Valid for ``w ≥ 0``.

They describe the same loss when ``w = L / (1 − L)`` and ``L = w / (1 + w)``. A 4 % loss is a
4.1667 % markup; applying "4 %" in the wrong convention under-preps by 0.16 % of net, which on a
hotpot chain's meat order is real money. This module never guesses: every rate carries its
convention, and a parameter mapping that does not state one is refused.

Blending
--------
``blended_loss(shares, losses) = Σ_c share_c · loss_c``. In the loss convention the blend is exact
when ``shares`` are shares of the *gross* (as-purchased) quantity; in the markup convention it is
exact when they are shares of the *net* quantity. With the other kind of share it is a first-order
approximation (the error is O(spread of the rates × their level)).

Causes and yield
----------------
A :class:`ChannelLoss` splits loss by cause — prep/trim errors (加工损耗), spoilage (变质), plate
waste and returns (退菜/剩菜), packaging (包装), and ``other`` (unattributed; what calibration
finds). Causes are shares of the *same base* (gross for ``"loss"``, net for ``"markup"``), so they
add: ``L = Σ L_i`` and ``w = Σ w_i``, and the quantity lost to cause ``i`` is ``gross · L_i`` =
``net · w_i``. Converting one cause between conventions uses the *total*:
``w_i = L_i / (1 − L)``, ``L_i = w_i / (1 + w)``.

Yield (出成率 / 净料率, edible portion ÷ as purchased) is *not* a loss: it is the standard trim
(bones, peel, shells) that a recipe's edible quantity already excludes. It converts edible to
as-purchased quantity (``ap = ep / yield``); channel loss then grosses the as-purchased quantity up
to the prep quantity. Each is applied exactly once, and a loss report keeps them apart.

Sources
-------
* The two conventions and ``w = L/(1−L)``: the standard "yield / waste factor" arithmetic of food
  cost control, e.g. Dopson & Hayes, *Food and Beverage Cost Control* (Wiley), chapters on
  standardised recipes and yield; and the markup-vs-margin identity in any retail-math text.
* EP/AP yield: USDA *Food Buying Guide for Child Nutrition Programs* (yield data as "edible
  portion per purchase unit").
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any, Final, Literal, TypeAlias, overload

import attrs
import numpy as np
import numpy.typing as npt
import pint

from jxc_rules._internal.arrays import (
    as_float_array,
    broadcast_arrays,
    first_bad_row,
    require_numbers,
)
from jxc_rules._internal.exact import to_fraction
from jxc_rules.errors import DuplicateError, UnknownItemError, ValidationError, bad_value
from jxc_rules.units import Q_, parse_quantity

__all__ = [
    "CAUSES",
    "CHANNELS",
    "CHANNEL_ALIASES",
    "CONVENTIONS",
    "ChannelLoss",
    "ChannelLossModel",
    "Convention",
    "blended_loss",
    "canonical_channel",
    "check_convention",
    "convert_rate",
    "gross_up",
    "gross_up_exact",
    "loss_to_markup",
    "markup_to_loss",
    "net_from_gross",
    "net_from_gross_exact",
]

Convention: TypeAlias = Literal["loss", "markup"]
CONVENTIONS: Final[tuple[str, ...]] = ("loss", "markup")
CHANNELS: Final[tuple[str, ...]] = ("dine_in", "takeaway", "group_meal")
"""The three channels the issue names: 堂食 dine-in, 外卖 takeaway, 团餐 group meals."""
CHANNEL_ALIASES: Final[dict[str, str]] = {
    "堂食": "dine_in", "外卖": "takeaway", "团餐": "group_meal",
}
CAUSES: Final[tuple[str, ...]] = ("prep", "spoilage", "plate", "packaging", "other")
"""Loss causes: prep/trim errors, spoilage, plate waste & returns, packaging, unattributed."""

FloatArray: TypeAlias = npt.NDArray[np.float64]


def canonical_channel(name: str) -> str:
    """The channel id for ``name``: Chinese names map to the English ids, others pass through.

    >>> canonical_channel("外卖")
    'takeaway'
    >>> canonical_channel("delivery")
    'delivery'
    """
    if not isinstance(name, str) or not name.strip():
        raise bad_value("channel", name, "a non-empty channel name")
    name = name.strip()
    return CHANNEL_ALIASES.get(name, name)


def _channel_keys(mapping: Mapping[Any, Any], field: str) -> list[str]:
    """Canonical channel ids of ``mapping``'s keys; two keys naming one channel (``"堂食"`` and
    ``"dine_in"``) are a ``DuplicateError``."""
    seen: dict[str, object] = {}
    for key in mapping:
        name = canonical_channel(str(key))
        if name in seen:
            raise DuplicateError(
                f"{field}: {seen[name]!r} and {key!r} both name channel {name!r}",
                field=f"{field}.{key}", value=key)
        seen[name] = key
    return list(seen)


def check_convention(convention: object, field: str = "convention") -> Convention:
    """Return ``convention`` if it is ``"loss"`` or ``"markup"``, else raise a ValidationError."""
    if not isinstance(convention, str):  # (an array would compare elementwise)
        raise bad_value(field, convention, "'loss' (net / (1 − L)) or 'markup' (net · (1 + w))")
    if convention == "loss":
        return "loss"
    if convention == "markup":
        return "markup"
    raise bad_value(field, convention, "'loss' (net / (1 − L)) or 'markup' (net · (1 + w))")


def _checked(
    values: Any, field: str, min_value: float, max_value: float | None = None, *,
    max_inclusive: bool = True,
) -> FloatArray:
    """``as_float_array`` with a fast path for large valid arrays: min/max propagate NaN, so two
    reductions prove the whole array finite and in range; only a bad array takes the slow path
    (which names the first bad row). Bools, strings and complex numbers are refused first: the
    fast path would read ``True`` as 1 and ``"10"`` as ten."""
    require_numbers(values, field)
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        arr = None  # the slow path names what is wrong
    if arr is not None and arr.size:
        lo, hi = float(arr.min()), float(arr.max())
        if math.isfinite(lo) and math.isfinite(hi) and lo >= min_value and (
                max_value is None or hi < max_value or (max_inclusive and hi == max_value)):
            return arr
    return as_float_array(values, field, min_value=min_value, max_value=max_value,
                          max_inclusive=max_inclusive)


def _rates(values: Any, convention: Convention, field: str) -> FloatArray:
    if convention == "loss":
        return _checked(values, field, 0.0, 1.0, max_inclusive=False)
    return _checked(values, field, 0.0)


def _out(arr: FloatArray) -> float | FloatArray:
    return float(arr) if arr.ndim == 0 else arr


# ---------------------------------------------------------------- conversions


@overload
def loss_to_markup(loss: float) -> float: ...
@overload
def loss_to_markup(loss: npt.ArrayLike) -> float | FloatArray: ...
def loss_to_markup(loss: npt.ArrayLike) -> float | FloatArray:
    """Markup ``w = L / (1 − L)`` equivalent to loss rate ``L`` (``0 ≤ L < 1``).

    Examples
    --------
    >>> round(loss_to_markup(0.04), 6)
    0.041667
    >>> loss_to_markup([0.0, 0.5]).tolist()
    [0.0, 1.0]
    """
    arr = _rates(loss, "loss", "loss")
    return _out(arr / (1.0 - arr))


@overload
def markup_to_loss(markup: float) -> float: ...
@overload
def markup_to_loss(markup: npt.ArrayLike) -> float | FloatArray: ...
def markup_to_loss(markup: npt.ArrayLike) -> float | FloatArray:
    """Loss rate ``L = w / (1 + w)`` equivalent to markup ``w`` (``w ≥ 0``).

    Examples
    --------
    >>> round(markup_to_loss(0.04), 6)
    0.038462
    >>> markup_to_loss([0.0, 1.0]).tolist()
    [0.0, 0.5]
    """
    arr = _rates(markup, "markup", "markup")
    return _out(arr / (1.0 + arr))


def convert_rate(
    rate: npt.ArrayLike, from_convention: str, to_convention: str
) -> float | FloatArray:
    """``rate`` restated from one convention to the other (identity when they match).

    >>> convert_rate(0.5, "loss", "markup")
    1.0
    """
    src = check_convention(from_convention, "from_convention")
    dst = check_convention(to_convention, "to_convention")
    if src == dst:
        return _out(_rates(rate, src, src))
    return loss_to_markup(rate) if src == "loss" else markup_to_loss(rate)


# ---------------------------------------------------------------- gross-up


@overload
def gross_up(  # type: ignore[overload-overlap]
    net: pint.Quantity[Any] | str, loss: npt.ArrayLike, *, convention: str = "loss"
) -> pint.Quantity[Any]: ...
@overload
def gross_up(
    net: npt.NDArray[Any], loss: npt.ArrayLike, *, convention: str = "loss"
) -> FloatArray: ...
@overload
def gross_up(net: float, loss: float, *, convention: str = "loss") -> float: ...
@overload
def gross_up(
    net: npt.ArrayLike, loss: npt.ArrayLike, *, convention: str = "loss"
) -> float | FloatArray: ...
def gross_up(
    net: Any, loss: Any, *, convention: str = "loss"
) -> float | FloatArray | pint.Quantity[Any]:
    """Gross (input) quantity that leaves ``net`` after a loss of ``loss``.

    * ``convention="loss"``: ``gross = net / (1 − L)``, ``0 ≤ L < 1`` (loss share of input);
    * ``convention="markup"``: ``gross = net · (1 + w)``, ``w ≥ 0`` (allowance share of output).

    Parameters
    ----------
    net : float, array, pint.Quantity or quantity string
        Net quantity, ``≥ 0``. Arrays broadcast against ``loss`` (e.g. trials × items); a Quantity
        (scalar or array) or string (``"22.532 kg"``) gives a Quantity back in the same unit.
    loss : float or array
        The rate in ``convention``.
    convention : {"loss", "markup"}

    Returns
    -------
    float, ndarray or Quantity

    Raises
    ------
    ValidationError
        Negative or non-finite ``net``; a loss ``< 0`` or ``≥ 1``; a markup ``< 0``; an unknown
        convention. The message names the first bad row.

    Examples
    --------
    >>> round(gross_up(22.532, 0.04), 3)
    23.471
    >>> round(gross_up(22.532, 0.04, convention="markup"), 3)
    23.433
    >>> gross_up("96 kg", 0.04)
    <Quantity(100.0, 'kilogram')>
    >>> gross_up(np.array([[1.0, 2.0]]), np.array([0.5, 0.0])).tolist()
    [[2.0, 2.0]]
    """
    conv = check_convention(convention)
    if isinstance(net, str):
        mag, unit = parse_quantity(net, "net")
        net = Q_(float(mag), unit)
    if isinstance(net, pint.Quantity):
        units = net.units
        gross = gross_up(np.asarray(net.magnitude), loss, convention=conv)
        return Q_(_out(np.asarray(gross)), units)
    net_arr = _checked(net, "net", 0.0)
    rate = _rates(loss, conv, conv)
    broadcast_arrays(strict=False, net=net_arr, loss=rate)  # documented: numpy broadcasting
    with np.errstate(over="ignore"):
        out = net_arr / (1.0 - rate) if conv == "loss" else net_arr * (1.0 + rate)
    return _out(np.asarray(out, dtype=np.float64))


@overload
def net_from_gross(gross: npt.NDArray[Any], loss: npt.ArrayLike, *,
                   convention: str = "loss") -> FloatArray: ...
@overload
def net_from_gross(gross: float, loss: float, *, convention: str = "loss") -> float: ...
@overload
def net_from_gross(gross: npt.ArrayLike, loss: npt.ArrayLike, *,
                   convention: str = "loss") -> float | FloatArray: ...
def net_from_gross(
    gross: npt.ArrayLike, loss: npt.ArrayLike, *, convention: str = "loss"
) -> float | FloatArray:
    """Inverse of :func:`gross_up`: ``gross · (1 − L)`` or ``gross / (1 + w)``.

    >>> net_from_gross(100.0, 0.04)
    96.0
    """
    conv = check_convention(convention)
    gross_arr = as_float_array(gross, "gross", min_value=0.0)
    rate = _rates(loss, conv, conv)
    broadcast_arrays(strict=False, gross=gross_arr, loss=rate)  # as gross_up: numpy broadcasting
    out = gross_arr * (1.0 - rate) if conv == "loss" else gross_arr / (1.0 + rate)
    return _out(np.asarray(out, dtype=np.float64))


def _exact_rate(value: object, conv: Convention) -> Fraction:
    rate = to_fraction(value, conv)
    if rate < 0 or (conv == "loss" and rate >= 1):
        raise bad_value(conv, value, ">= 0 and < 1" if conv == "loss" else ">= 0")
    return rate


def gross_up_exact(net: object, loss: object, *, convention: str = "loss") -> Fraction:
    """Exact :func:`gross_up` on rationals (floats read by shortest repr).

    >>> gross_up_exact("96", "0.04")
    Fraction(100, 1)
    >>> gross_up_exact("100", "0.04", convention="markup")
    Fraction(104, 1)
    """
    conv = check_convention(convention)
    net_q = to_fraction(net, "net")
    if net_q < 0:
        raise bad_value("net", net, ">= 0")
    rate = _exact_rate(loss, conv)
    return net_q / (1 - rate) if conv == "loss" else net_q * (1 + rate)


def net_from_gross_exact(gross: object, loss: object, *, convention: str = "loss") -> Fraction:
    """Exact inverse of :func:`gross_up_exact`.

    >>> net_from_gross_exact(100, "0.04")
    Fraction(96, 1)
    """
    conv = check_convention(convention)
    gross_q = to_fraction(gross, "gross")
    if gross_q < 0:
        raise bad_value("gross", gross, ">= 0")
    rate = _exact_rate(loss, conv)
    return gross_q * (1 - rate) if conv == "loss" else gross_q / (1 + rate)


# ---------------------------------------------------------------- blending


@overload
def blended_loss(
    shares: Mapping[str, Any], losses: Mapping[str, Any], *, convention: str = "loss",
    tolerance: float = 1e-6,
) -> float: ...
@overload
def blended_loss(
    shares: npt.ArrayLike, losses: npt.ArrayLike, *, convention: str = "loss",
    tolerance: float = 1e-6,
) -> float | FloatArray: ...
def blended_loss(
    shares: Any, losses: Any, *, convention: str = "loss", tolerance: float = 1e-6
) -> float | FloatArray:
    """Channel-mix loss rate ``Σ_c share_c · loss_c``.

    Parameters
    ----------
    shares : mapping channel → share, or array (..., channels)
        Each in ``[0, 1]``, summing to 1 along the last axis within ``tolerance``. For an exact
        blend use gross (as-purchased) shares with ``"loss"`` rates and net shares with
        ``"markup"`` rates.
    losses : mapping channel → rate (float or :class:`ChannelLoss`), or array broadcasting
        against ``shares`` (e.g. trials × items × channels). Every channel with a share needs a
        rate (a missing one is a ``KeyError`` naming it).
    convention : {"loss", "markup"}
        The convention of ``losses`` (and of the result).
    tolerance : float
        Allowed ``|Σ shares − 1|``.

    Returns
    -------
    float or ndarray
        One rate per row (the channel axis summed out).

    Examples
    --------
    >>> shares = {"dine_in": 0.7, "takeaway": 0.3}
    >>> round(blended_loss(shares, {"dine_in": 0.04, "takeaway": 0.1}), 6)
    0.058
    >>> blended_loss([[0.5, 0.5], [1.0, 0.0]], [0.02, 0.06]).round(6).tolist()
    [0.04, 0.02]
    """
    conv = check_convention(convention)
    tolerance = _tolerance(tolerance)
    if isinstance(shares, Mapping):
        if not isinstance(losses, Mapping):
            raise bad_value("losses", losses, "a mapping channel -> rate when shares is one")
        if not shares:
            raise bad_value("shares", dict(shares), "at least one channel")
        names = _channel_keys(shares, "shares")
        rates_by = dict(zip(_channel_keys(losses, "losses"), losses.values(), strict=True))
        share_vals: list[float] = []
        rate_vals: list[float] = []
        for key, name in zip(shares, names, strict=True):
            share = _one(as_float_array(shares[key], f"shares[{name}]", min_value=0.0,
                                        max_value=1.0), shares[key], f"shares[{name}]")
            if name not in rates_by:
                raise UnknownItemError(f"losses has no rate for channel {name!r}", key=name)
            rate: Any = rates_by[name]
            if isinstance(rate, ChannelLoss):
                rate = rate.rate(conv)
            share_vals.append(share)
            rate_vals.append(_one(_rates(rate, conv, f"losses[{name}]"), rate,
                                  f"losses[{name}]"))
        total = math.fsum(share_vals)
        if abs(total - 1.0) > tolerance:
            raise ValidationError(
                f"shares must sum to 1 (±{tolerance:g}), got {total!r} over channels "
                f"{', '.join(names)}", field="shares",
                value=dict(zip(names, share_vals, strict=True)))
        return math.fsum(s * r for s, r in zip(share_vals, rate_vals, strict=True))
    share_arr = as_float_array(shares, "shares", min_value=0.0, max_value=1.0)
    if share_arr.ndim == 0 or share_arr.shape[-1] == 0:
        raise bad_value("shares", shares, "an array with a channel axis (last) of length >= 1")
    rate_arr = _rates(losses, conv, "losses")
    sums = share_arr.sum(axis=-1)
    off = np.abs(sums - 1.0) > tolerance
    if off.any():
        row = first_bad_row(off) if off.ndim else None
        where = f" (row {row})" if row is not None else ""
        bad_sum = float(sums[row] if row is not None else sums)
        raise ValidationError(f"shares must sum to 1 (±{tolerance:g}) over channels, "
                              f"got {bad_sum!r}{where}", field="shares", value=bad_sum, row=row)
    try:
        out = np.sum(share_arr * rate_arr, axis=-1)
    except ValueError:
        raise ValidationError(
            f"shares{share_arr.shape} and losses{rate_arr.shape} do not broadcast",
            field="shares,losses") from None
    return _out(np.asarray(out, dtype=np.float64))


def _tolerance(value: object) -> float:
    """``blended_loss``'s tolerance: one finite number >= 0. NaN would switch the shares check
    off (``|Σ − 1| > nan`` is never true) and a negative one makes every mix fail."""
    expected = "a finite number >= 0 (allowed |Σ shares − 1|)"
    try:
        arr = as_float_array(value, "tolerance", min_value=0.0)
    except ValidationError:
        raise bad_value("tolerance", value, expected) from None
    if arr.ndim:
        raise bad_value("tolerance", value, expected)
    return float(arr)


def _one(arr: FloatArray, value: object, field: str) -> float:
    """The one number of a mapping entry (a list under one channel is refused, not summed)."""
    if arr.ndim:
        raise bad_value(field, value, "one number per channel (for many rows, pass arrays with "
                        "the channel axis last instead of a mapping)")
    return float(arr)


# ---------------------------------------------------------------- parameter classes


def _rate_value(value: object, field: str = "rate") -> float:
    """A rate from a number or a string like ``"4 %"`` / ``"0.04"``."""
    if isinstance(value, (bool, np.bool_, complex, np.complexfloating)):
        raise bad_value(field, value, "a number or a percentage string such as '4 %'")
    out: float
    if isinstance(value, str):
        text = value.strip()
        try:
            if text.endswith("%"):
                out = float(to_fraction(text[:-1], field) / 100)
            else:
                out = float(to_fraction(text, field))
        except ValidationError:
            raise bad_value(field, value, "a number or a percentage string such as '4 %'") \
                from None
    else:
        try:
            out = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            raise bad_value(field, value, "a number or a percentage string such as '4 %'") \
                from None
    if not math.isfinite(out) or out < 0:
        raise bad_value(field, value, "a finite rate >= 0")
    return out


# converters per cause, so an error names the cause (``plate must be ...``)
def _prep_rate(value: object) -> float:
    return _rate_value(value, "prep")


def _spoilage_rate(value: object) -> float:
    return _rate_value(value, "spoilage")


def _plate_rate(value: object) -> float:
    return _rate_value(value, "plate")


def _packaging_rate(value: object) -> float:
    return _rate_value(value, "packaging")


def _other_rate(value: object) -> float:
    return _rate_value(value, "other")


def _nonneg_rate(instance: Any, attribute: attrs.Attribute[float], value: float) -> None:
    if not math.isfinite(value) or value < 0:
        raise bad_value(attribute.name, value, "a finite rate >= 0")


@attrs.frozen
class ChannelLoss:
    """Loss of one channel (for one item, item group, or as the channel default), by cause.

    Causes are shares of one base — gross input for ``"loss"``, net output for ``"markup"`` — so
    they add up to the total (see the module docstring).

    Parameters
    ----------
    convention : {"loss", "markup"}
        Required: the convention every cause rate is stated in.
    prep, spoilage, plate, packaging, other : float
        Prep/trim errors beyond standard yield (加工损耗), spoilage (变质), plate waste and returns
        (退菜/剩菜), packaging (包装, mostly takeaway), and unattributed loss. Numbers or strings
        such as ``"1.5 %"``. In the loss convention the total must stay below 1.

    Examples
    --------
    >>> c = ChannelLoss("loss", prep=0.01, spoilage=0.01, plate=0.02)
    >>> round(c.total, 6), round(c.markup, 6)
    (0.04, 0.041667)
    >>> round(c.to_convention("markup").plate, 6)
    0.020833
    """

    convention: Convention = attrs.field(converter=check_convention)
    prep: float = attrs.field(default=0.0, converter=_prep_rate,
                              validator=_nonneg_rate)
    spoilage: float = attrs.field(default=0.0, converter=_spoilage_rate,
                                  validator=_nonneg_rate)
    plate: float = attrs.field(default=0.0, converter=_plate_rate,
                               validator=_nonneg_rate)
    packaging: float = attrs.field(default=0.0, converter=_packaging_rate,
                                   validator=_nonneg_rate)
    other: float = attrs.field(default=0.0, converter=_other_rate,
                               validator=_nonneg_rate)

    def __attrs_post_init__(self) -> None:
        if self.convention == "loss" and self.total >= 1.0:
            raise bad_value("loss", self.total, "a total loss rate < 1 (sum of the causes)")

    @property
    def causes(self) -> dict[str, float]:
        """Cause → rate, in this object's convention."""
        return {name: float(getattr(self, name)) for name in CAUSES}

    @property
    def total(self) -> float:
        """Σ of the causes, in this object's convention."""
        return math.fsum(getattr(self, name) for name in CAUSES)

    @property
    def loss(self) -> float:
        """Total as a loss rate ``L``."""
        return self.rate("loss")

    @property
    def markup(self) -> float:
        """Total as a markup ``w``."""
        return self.rate("markup")

    def rate(self, convention: str) -> float:
        """Total in ``convention``."""
        return float(convert_rate(self.total, self.convention, convention))

    def to_convention(self, convention: str) -> ChannelLoss:
        """The same loss restated in ``convention``: each cause scaled by the *total*'s factor
        (``w_i = L_i/(1 − L)``, ``L_i = w_i/(1 + w)``), so the causes still add up."""
        conv = check_convention(convention)
        if conv == self.convention:
            return self
        factor = 1.0 / (1.0 - self.total) if conv == "markup" else 1.0 / (1.0 + self.total)
        return ChannelLoss(conv, **{name: getattr(self, name) * factor for name in CAUSES})

    def scaled_to(self, total: float) -> ChannelLoss:
        """A copy whose total is ``total`` (same convention), the cause mix kept; all of it in
        ``other`` when this one is zero (used by calibration)."""
        total = _rate_value(total, "total")
        if self.total > 0:
            k = total / self.total
            return ChannelLoss(self.convention, **{n: getattr(self, n) * k for n in CAUSES})
        return ChannelLoss(self.convention, other=total)

    @classmethod
    def from_mapping(
        cls, mapping: Mapping[str, Any] | float | int | str, *, convention: str | None = None,
        field: str = "loss",
    ) -> ChannelLoss:
        """Build from a number (a total, booked as ``other``) or a mapping of causes.

        ``convention`` is the enclosing model's; a ``convention`` key in the mapping overrides
        it; with neither, the mapping is refused.

        >>> ChannelLoss.from_mapping({"plate": "2 %", "prep": 0.01}, convention="loss").total
        0.03
        """
        if isinstance(mapping, Mapping):
            conv_raw = mapping.get("convention", convention)
            unknown = set(mapping) - set(CAUSES) - {"convention"}
            if unknown:
                key = sorted(map(str, unknown))[0]
                raise bad_value(f"{field}.{key}", mapping[key],
                                "one of the keys " + ", ".join(("convention", *CAUSES)))
            values = {n: mapping[n] for n in CAUSES if n in mapping}
        else:
            conv_raw = convention
            values = {"other": mapping}
        if conv_raw is None:
            raise bad_value(f"{field}.convention", None,
                            "stated: 'loss' (net / (1 − L)) or 'markup' (net · (1 + w))")
        conv = check_convention(conv_raw, f"{field}.convention")
        rates = {n: _rate_value(v, f"{field}.{n}") for n, v in values.items()}
        if conv == "loss" and math.fsum(rates.values()) >= 1.0:
            raise bad_value(field, math.fsum(rates.values()),
                            "a total loss rate < 1 (sum of the causes)")
        return cls(conv, **rates)

    def to_mapping(self, *, include_convention: bool = True) -> dict[str, Any]:
        """Plain dict: the non-zero causes, plus the convention."""
        out: dict[str, Any] = {"convention": self.convention} if include_convention else {}
        out.update({n: float(getattr(self, n)) for n in CAUSES if getattr(self, n) != 0})
        return out


def _yield_value(value: object, field: str = "yield") -> float:
    out = _rate_value(value, field)
    if not 0.0 < out <= 1.0:
        raise bad_value(field, value, "a yield (edible ÷ as purchased) in (0, 1]")
    return out


def _channel_map(value: Mapping[str, ChannelLoss]) -> dict[str, ChannelLoss]:
    return {canonical_channel(k): v for k, v in dict(value).items()}


def _item_map(value: Mapping[str, Mapping[str, ChannelLoss]]) -> dict[str, dict[str, ChannelLoss]]:
    return {str(k): _channel_map(v) for k, v in dict(value).items()}


def _str_map(value: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in dict(value).items()}


def _str_tuple(value: Iterable[Any]) -> tuple[str, ...]:
    return tuple(str(v) for v in value)


def _yield_map(value: Mapping[str, Any]) -> dict[str, float]:
    return {str(k): _yield_value(v, f"yields.{k}") for k, v in dict(value).items()}


@attrs.frozen
class ChannelLossModel:
    """Per-channel, per-item (or item group) loss by cause, with yields kept apart.

    Lookup order for an item on a channel: the item's own entry, then its group's
    (``groups[item]``), then the channel default (``channels``). The first entry found applies
    as a whole (an override replaces the channel default, causes are not merged). Yields: the
    item's, its group's, else 1.

    Parameters
    ----------
    convention : {"loss", "markup"}
        The convention rates are stated in (required; entries may override it per entry).
    channels : mapping channel → ChannelLoss
        Channel defaults; defines the channel set (``"dine_in"`` 堂食, ``"takeaway"`` 外卖,
        ``"group_meal"`` 团餐, or other names; Chinese names are mapped to the ids).
    items : mapping item-or-group → (channel → ChannelLoss)
        Overrides; every channel named must be in ``channels``.
    groups : mapping item → group
    yields : mapping item-or-group → yield in (0, 1]
        Edible portion ÷ as purchased (出成率). Never folded into the loss rates.
    sources : sequence of str
        Where the numbers come from (audit, study, supplier sheet, "illustrative").

    Examples
    --------
    >>> m = ChannelLossModel.from_mapping({
    ...     "convention": "loss",
    ...     "channels": {"堂食": {"plate": 0.02, "prep": 0.02}, "takeaway": {"packaging": 0.03}},
    ...     "items": {"leafy": {"dine_in": {"spoilage": 0.06}}},
    ...     "groups": {"spinach": "leafy"},
    ...     "yields": {"spinach": 0.85},
    ... })
    >>> m.loss("dine_in"), m.loss("dine_in", "spinach"), m.yield_of("spinach")
    (0.04, 0.06, 0.85)
    >>> m.loss_array(["beef", "spinach"], ["dine_in", "takeaway"]).tolist()
    [[0.04, 0.03], [0.06, 0.03]]
    """

    convention: Convention = attrs.field(converter=check_convention)
    channels: dict[str, ChannelLoss] = attrs.field(converter=_channel_map)
    items: dict[str, dict[str, ChannelLoss]] = attrs.field(factory=dict, converter=_item_map)
    groups: dict[str, str] = attrs.field(factory=dict, converter=_str_map)
    yields: dict[str, float] = attrs.field(factory=dict, converter=_yield_map)
    sources: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)

    @channels.validator
    def _check_channels(self, attribute: Any, value: dict[str, ChannelLoss]) -> None:
        if not value:
            raise bad_value("channels", value, "at least one channel")
        for name, loss in value.items():
            if not isinstance(loss, ChannelLoss):
                raise bad_value(f"channels.{name}", loss, "a ChannelLoss")

    @items.validator
    def _check_items(self, attribute: Any, value: dict[str, dict[str, ChannelLoss]]) -> None:
        for item, per_channel in value.items():
            for channel, loss in per_channel.items():
                if channel not in self.channels:
                    raise bad_value(f"items.{item}.{channel}", channel,
                                    "a channel listed under channels ("
                                    + ", ".join(self.channels) + ")")
                if not isinstance(loss, ChannelLoss):
                    raise bad_value(f"items.{item}.{channel}", loss, "a ChannelLoss")

    # ---- lookups

    @property
    def channel_names(self) -> tuple[str, ...]:
        return tuple(self.channels)

    def _check_channel(self, channel: str) -> str:
        name = canonical_channel(channel)
        if name not in self.channels:
            raise UnknownItemError(
                f"unknown channel {channel!r}; the model has {', '.join(self.channels)}",
                key=channel)
        return name

    def channel_loss(self, channel: str, item: str | None = None) -> ChannelLoss:
        """The :class:`ChannelLoss` that applies to ``item`` on ``channel`` (own convention)."""
        name = self._check_channel(channel)
        if item is not None:
            for key in (item, self.groups.get(item)):
                if key is not None and name in self.items.get(key, {}):
                    return self.items[key][name]
        return self.channels[name]

    def loss(self, channel: str, item: str | None = None, *, convention: str = "loss") -> float:
        """Total rate for ``item`` on ``channel`` in ``convention`` (loss rate by default)."""
        return self.channel_loss(channel, item).rate(convention)

    def yield_of(self, item: str) -> float:
        """Yield (edible ÷ as purchased) of ``item``: its own, its group's, else 1."""
        if item in self.yields:
            return self.yields[item]
        group = self.groups.get(item)
        if group is not None and group in self.yields:
            return self.yields[group]
        return 1.0

    def loss_array(
        self, items: Sequence[str], channels: Sequence[str] | None = None, *,
        convention: str = "loss",
    ) -> FloatArray:
        """Rates as an ``items × channels`` array (channels default to the model's order)."""
        return np.asarray(self.cause_array(items, channels, convention=convention).sum(axis=-1),
                          dtype=np.float64)

    def cause_array(
        self, items: Sequence[str], channels: Sequence[str] | None = None, *,
        convention: str = "loss",
    ) -> FloatArray:
        """Rates by cause as ``items × channels × causes`` (order of :data:`CAUSES`); the last
        axis sums to :meth:`loss_array`. Each distinct entry is converted once."""
        conv = check_convention(convention)
        chans = [self._check_channel(c) for c in
                 (self.channel_names if channels is None else channels)]
        row_of: dict[int, int] = {}  # id of an entry held by this model -> row of `table`
        table: list[list[float]] = []
        index = np.empty((len(items), len(chans)), dtype=np.intp)
        for i, item in enumerate(items):
            for j, channel in enumerate(chans):
                entry = self.channel_loss(channel, item)
                row = row_of.get(id(entry))
                if row is None:
                    row = row_of[id(entry)] = len(table)
                    table.append(list(entry.to_convention(conv).causes.values()))
                index[i, j] = row
        if not table:
            return np.zeros((len(items), len(chans), len(CAUSES)), dtype=np.float64)
        return np.asarray(np.array(table, dtype=np.float64)[index], dtype=np.float64)

    def yield_array(self, items: Sequence[str]) -> FloatArray:
        """Yields as an array over ``items``."""
        return np.array([self.yield_of(i) for i in items], dtype=np.float64)

    # ---- rule-pack I/O

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> ChannelLossModel:
        """Build from a plain mapping (a rule-pack section). ``convention`` is required.

        Errors name the key path (``channels.takeaway.plate``).
        """
        if not isinstance(mapping, Mapping):
            raise bad_value("wastage", mapping, "a mapping")
        allowed = {"convention", "channels", "items", "groups", "yields", "sources"}
        unknown = sorted(str(k) for k in mapping if k not in allowed)
        if unknown:
            raise bad_value(unknown[0], mapping[unknown[0]],
                            "one of the keys " + ", ".join(sorted(allowed)))
        if "convention" not in mapping:
            raise bad_value("convention", None,
                            "stated: 'loss' (net / (1 − L)) or 'markup' (net · (1 + w))")
        conv = check_convention(mapping["convention"], "convention")
        raw_channels = mapping.get("channels")
        if not isinstance(raw_channels, Mapping) or not raw_channels:
            raise bad_value("channels", raw_channels, "a mapping channel -> loss, not empty")
        channels = {name: ChannelLoss.from_mapping(v, convention=conv, field=f"channels.{k}")
                    for name, (k, v) in zip(_channel_keys(raw_channels, "channels"),
                                            raw_channels.items(), strict=True)}
        raw_items = mapping.get("items", {}) or {}
        if not isinstance(raw_items, Mapping):
            raise bad_value("items", raw_items, "a mapping item -> (channel -> loss)")
        items: dict[str, dict[str, ChannelLoss]] = {}
        for item, per in raw_items.items():
            if not isinstance(per, Mapping):
                raise bad_value(f"items.{item}", per, "a mapping channel -> loss")
            items[str(item)] = {}
            _channel_keys(per, f"items.{item}")
            for ch, v in per.items():
                name = canonical_channel(str(ch))
                if name not in channels:
                    raise bad_value(f"items.{item}.{ch}", ch, "a channel listed under channels ("
                                    + ", ".join(channels) + ")")
                items[str(item)][name] = ChannelLoss.from_mapping(
                    v, convention=conv, field=f"items.{item}.{ch}")
        groups = mapping.get("groups", {}) or {}
        if not isinstance(groups, Mapping):
            raise bad_value("groups", groups, "a mapping item -> group")
        yields = mapping.get("yields", {}) or {}
        if not isinstance(yields, Mapping):
            raise bad_value("yields", yields, "a mapping item -> yield")
        for k, v in yields.items():
            _yield_value(v, f"yields.{k}")
        sources = mapping.get("sources", ()) or ()
        if isinstance(sources, str) or not isinstance(sources, Iterable):
            raise bad_value("sources", sources, "a list of strings")
        return cls(conv, channels, items, groups, yields, tuple(str(s) for s in sources))

    def to_mapping(self) -> dict[str, Any]:
        """Plain YAML-safe dict; ``from_mapping(to_mapping())`` gives an equal model."""
        def entry(loss: ChannelLoss) -> dict[str, Any]:
            return loss.to_mapping(include_convention=loss.convention != self.convention)

        out: dict[str, Any] = {
            "convention": self.convention,
            "channels": {k: entry(v) for k, v in self.channels.items()},
        }
        if self.items:
            out["items"] = {i: {c: entry(v) for c, v in per.items()}
                            for i, per in self.items.items()}
        if self.groups:
            out["groups"] = dict(self.groups)
        if self.yields:
            out["yields"] = dict(self.yields)
        if self.sources:
            out["sources"] = list(self.sources)
        return out

    def to_convention(self, convention: str) -> ChannelLossModel:
        """The same model with every rate restated in ``convention``."""
        conv = check_convention(convention)
        return attrs.evolve(
            self, convention=conv,
            channels={k: v.to_convention(conv) for k, v in self.channels.items()},
            items={i: {c: v.to_convention(conv) for c, v in per.items()}
                   for i, per in self.items.items()},
        )
