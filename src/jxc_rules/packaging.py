"""Packs, ship plans, line amounts and catch weight: priced per tonne, shipped per bag.

Model
-----
A *packaging* (包装层级) is a chain of levels over one base unit: ``bag`` = 40 kg, ``pallet`` = 50
bags. Every level's size is resolved once to an exact :class:`~fractions.Fraction` of the base
unit. The chain must *nest*: sorted by size, each level is a whole number (≥ 2) of the next smaller
one, so a quantity breaks down into levels without ambiguity.

Formulas (all exact rationals; the rounding modes are those of :mod:`jxc_rules.rounding`):

* breakdown, greedy largest first: ``n_k = floor(r_k / s_k)``, ``r_{k-1} = r_k − n_k·s_k``;
  ``Σ n_k·s_k + remainder = quantity``.
* ship plan: ``packs = round_mode(ordered / pack)``, ``shipped = packs × pack``,
  ``residual = ordered − shipped`` (negative when more is shipped than ordered). The residual is
  returned, never dropped.
* line amount: ``round_half_up(quantity[price_unit] × unit_price, 0.01)``.
* catch weight (称重计价): nominal = packs × content; the weighbridge ticket (地磅单) gives the
  actual net weight; ``variance = actual − nominal``; the line is *flagged* (not rejected) when
  ``|variance| > tolerance × nominal``; the invoice is priced on the profile's basis
  (``"nominal"`` or ``"actual"``).

The batch path (:func:`ship_plan_batch`, :func:`line_amounts_batch`) reads float arrays once into
``int64`` multiples of ``10**-decimals`` of the unit (milli-tonnes, grams, ...) and fen — each
float as its shortest repr, exactly as the scalar path reads it (float dust such as
``80.73400000000001`` is refused, never rounded) — and does every step with integer floor division
and an integer tie test, so it equals the scalar path exactly (the tests check this on random
inputs). Every ``Decimal`` returned is built from integers, independent of the caller's decimal
context.

References: the rounding modes follow IEEE 754-2008 §4.3 and Python's :mod:`decimal`; largest
remainder allocation (:func:`jxc_rules.money.allocate`) follows Balinski & Young, *Fair
Representation* (2001), ch. 2.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Final, Literal

import attrs
import numpy as np
import numpy.typing as npt
import pint

from jxc_rules._internal.arrays import broadcast_arrays, require_numbers
from jxc_rules._internal.exact import PintDecimal, fraction_to_decimal, to_fraction
from jxc_rules.errors import DuplicateError, UnitError, UnknownItemError, ValidationError, bad_value
from jxc_rules.money import allocate, from_fen, whole_fen
from jxc_rules.rounding import check_mode, round_quotient
from jxc_rules.units import Q_, exact_factor, parse_quantity, parse_unit, unit_of

if TYPE_CHECKING:
    from jxc_rules._internal.types import ExactNumber, QuantityLike, QuantityText

__all__ = [
    "CatchWeightLine",
    "Invoice",
    "InvoiceLine",
    "Packaging",
    "ProductProfile",
    "ShipPlan",
    "ShipPlanBatch",
    "breakdown",
    "catch_weight_line",
    "invoice",
    "line_amount",
    "line_amounts_batch",
    "ship_plan",
    "ship_plan_batch",
]

_SPEC: Final = re.compile(
    r"^\s*([+-]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?(?:\s*/\s*\d+)?)\s*(.*?)\s*$"
)
_COUNT_UNIT: Final = "piece"


# ----------------------------------------------------------------------------------------------
# Packaging
# ----------------------------------------------------------------------------------------------

def _spec_text(spec: object) -> str | int:
    """A YAML-safe form of one level spec (int stays int, everything else a string)."""
    if isinstance(spec, int) and not isinstance(spec, bool):
        return spec
    if isinstance(spec, pint.Quantity):
        return f"{fraction_to_decimal(to_fraction(spec.magnitude, 'size'))} {spec.units}"
    if isinstance(spec, Fraction):
        return str(fraction_to_decimal(spec)) if _terminates(spec) else str(spec)
    if isinstance(spec, (Decimal, float)):
        return str(fraction_to_decimal(to_fraction(spec, "size")))
    return str(spec)


def _terminates(value: Fraction) -> bool:
    d = value.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


def _levels_converter(levels: object) -> tuple[tuple[str, str | int], ...]:
    if isinstance(levels, tuple) and all(isinstance(p, tuple) and len(p) == 2 for p in levels):
        items: Iterable[tuple[Any, Any]] = levels
    elif isinstance(levels, Mapping):
        items = levels.items()
    else:
        raise bad_value("levels", levels, "a mapping of level name to size, like "
                        "{'bag': '40 kg', 'pallet': '50 bag'}")
    out: list[tuple[str, str | int]] = []
    for name, spec in items:
        if not isinstance(name, str) or not name.strip() or name == "remainder":
            raise bad_value("levels", name, "level names that are non-empty strings other than "
                            "'remainder'")
        if any(name == seen for seen, _ in out):
            raise DuplicateError(f"levels: level {name!r} is defined twice", field="levels",
                                 value=name)
        out.append((name, _spec_text(spec)))
    if not out:
        raise bad_value("levels", dict(out), "at least one level")
    return tuple(out)


def _base_unit_converter(unit: object) -> str:
    if unit is None or (isinstance(unit, str) and not unit):
        return ""
    if not isinstance(unit, (str, pint.Unit)):
        raise bad_value("base_unit", unit, "a unit string such as 'kg'", error=UnitError)
    return str(parse_unit(unit, "base_unit"))


@attrs.frozen(eq=True)
class Packaging:
    """A pack hierarchy (包装层级) over one base unit.

    Parameters
    ----------
    levels : mapping of str to size
        In any order. A size is a quantity string in a registry unit (``"40 kg"``), a number of
        another level (``"50 bag"``), a plain number of base units (``50``, ``"0.5"``) or a pint
        Quantity. Level names shadow registry units of the same name (pint's ``bag`` is a 94 lb
        cement bag; here ``"50 bag"`` means fifty of *this* packaging's bags).
    base_unit : str, optional
        The unit every size is resolved to. Default: the smallest registry unit the levels use
        (``kg`` for ``{"bag": "40 kg"}``), or ``"piece"`` when every size is a plain count. When
        given, a level in another dimension (litres for a kg product) is a ``UnitError``.

    Rules (each a ``ValidationError`` naming the level)
    ----------------------------------------------------
    * sizes are > 0; references name an existing level (no dangling names) and form no cycle;
    * all registry units share one dimension (``UnitError`` otherwise);
    * **nesting**: sorted by size, each level is a whole multiple (≥ 2) of the next smaller one.
      ``{"bag": "40 kg", "pallet": "50 bag"}`` nests; ``{"small": "30 kg", "big": "40 kg"}`` does
      not, since 40/30 is not a whole number. Two levels of the same size are refused too.

    Attributes
    ----------
    sizes : dict[str, Fraction]
        Exact size of each level in ``base_unit``, smallest first.

    Examples
    --------
    >>> p = Packaging({"pallet": "50 bag", "bag": "40 kg"})
    >>> p.base_unit, {k: str(v) for k, v in p.sizes.items()}
    ('kilogram', {'bag': '40', 'pallet': '2000'})
    >>> Packaging({"box": 50, "big_box": 200, "pallet": 2000}).names
    ('box', 'big_box', 'pallet')
    """

    levels: tuple[tuple[str, str | int], ...] = attrs.field(converter=_levels_converter)
    base_unit: str = attrs.field(default="", converter=_base_unit_converter)
    sizes: dict[str, Fraction] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        base, sizes = _resolve(dict(self.levels), self.base_unit or None)
        object.__setattr__(self, "base_unit", base)
        object.__setattr__(self, "sizes", sizes)

    @property
    def names(self) -> tuple[str, ...]:
        """Level names, smallest first."""
        return tuple(self.sizes)

    def size(self, level: str) -> Fraction:
        """Exact size of ``level`` in the base unit (``UnknownItemError`` if no such level)."""
        try:
            return self.sizes[level]
        except KeyError:
            raise UnknownItemError(f"unknown packaging level {level!r}; levels are "
                                   f"{', '.join(self.names)}", key=level) from None

    def quantity(self, level: str) -> pint.Quantity[Any]:
        """Size of ``level`` as a Quantity in the base unit with a ``Decimal`` magnitude.

        >>> Packaging({"bag": "40 kg"}).quantity("bag")
        <Quantity(40, 'kilogram')>
        """
        return Q_(PintDecimal(fraction_to_decimal(self.size(level))), self.base_unit)

    def in_base(self, quantity: object, field: str = "quantity") -> Fraction:
        """``quantity`` as an exact number of base units: a plain number (already base units), a
        quantity string or Quantity in a registry unit, or ``"3 pallet"`` in one of the levels."""
        if isinstance(quantity, str):
            match = _SPEC.match(quantity)
            if match is not None and match.group(2) in self.sizes:
                return to_fraction(match.group(1), field) * self.sizes[match.group(2)]
            mag, unit = parse_quantity(quantity, field)
            if not match or not match.group(2):
                return mag
            return mag * exact_factor(unit, self.base_unit, field=field)
        if isinstance(quantity, pint.Quantity):
            mag_f = to_fraction(quantity.magnitude, field)
            return mag_f * exact_factor(unit_of(quantity, field), self.base_unit, field=field)
        return to_fraction(quantity, field)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> Packaging:
        """Build from ``{"levels": {...}, "base_unit": "kg"}`` (``base_unit`` optional).

        >>> Packaging.from_mapping({"levels": {"bag": "40 kg"}}).sizes["bag"]
        Fraction(40, 1)
        """
        if not isinstance(mapping, Mapping):
            raise bad_value("packaging", mapping, "a mapping with 'levels'")
        unknown = set(mapping) - {"levels", "base_unit"}
        if unknown:
            raise bad_value(f"packaging.{sorted(unknown)[0]}", mapping[sorted(unknown)[0]],
                            "absent (known keys: levels, base_unit)")
        if "levels" not in mapping:
            raise bad_value("packaging.levels", None, "a mapping of level name to size")
        return cls(mapping["levels"], mapping.get("base_unit") or "")

    def to_mapping(self) -> dict[str, Any]:
        """Plain YAML-safe dict that :meth:`from_mapping` reads back."""
        return {"levels": dict(self.levels), "base_unit": self.base_unit}


def _resolve(
    levels: dict[str, str | int], base_unit: str | None
) -> tuple[str, dict[str, Fraction]]:
    """Resolve level specs to exact sizes in one base unit (see :class:`Packaging`)."""
    parsed: dict[str, tuple[Fraction, str, str | None]] = {}  # name -> (mag, kind, ref)
    for name, spec in levels.items():
        field = f"levels.{name}"
        if isinstance(spec, int):
            parsed[name] = (Fraction(spec), "base", None)
        else:
            match = _SPEC.match(spec)
            if match is None:
                raise bad_value(field, spec, "a size like '40 kg', '50 bag' or 144")
            mag = to_fraction(match.group(1).replace(" ", ""), field)
            rest = match.group(2)
            if not rest:
                parsed[name] = (mag, "base", None)
            elif rest in levels:
                parsed[name] = (mag, "ref", rest)
            else:
                try:
                    unit = parse_unit(rest, field)
                except UnitError:
                    raise bad_value(field, spec, "a size in a registry unit or in another level "
                                    f"({', '.join(levels)}); {rest!r} is neither") from None
                parsed[name] = (mag, "unit", str(unit))
        if parsed[name][0] <= 0:
            raise bad_value(field, spec, "a positive size")
    # one dimension for every registry unit
    units = [u for _, kind, u in parsed.values() if kind == "unit" and u is not None]
    if base_unit is not None:
        base_dim = parse_unit(base_unit).dimensionality
        for name, (_, kind, u) in parsed.items():
            if kind == "unit" and u is not None and parse_unit(u).dimensionality != base_dim:
                raise UnitError(
                    f"levels.{name} must be in a {_dim(base_unit)} unit like {base_unit!r} "
                    f"(the base unit), got {levels[name]!r} ({_dim(u)})",
                    field=f"levels.{name}", value=levels[name])
        base = base_unit
    elif units:
        first = units[0]
        for name, (_, kind, u) in parsed.items():
            if kind == "unit" and u is not None and \
                    parse_unit(u).dimensionality != parse_unit(first).dimensionality:
                raise UnitError(
                    f"levels.{name} must be in a {_dim(first)} unit like the other levels, got "
                    f"{levels[name]!r} ({_dim(u)})", field=f"levels.{name}", value=levels[name])
        base = min(dict.fromkeys(units), key=lambda u: exact_factor(u, first))
    else:
        base = _COUNT_UNIT
    # resolve references depth first, refusing cycles
    sizes: dict[str, Fraction] = {}
    visiting: list[str] = []

    def size_of(name: str) -> Fraction:
        if name in sizes:
            return sizes[name]
        if name in visiting:
            cycle = [*visiting[visiting.index(name):], name]
            raise ValidationError(
                f"levels.{name}: packaging levels refer to each other in a cycle: "
                + " -> ".join(cycle), field=f"levels.{name}", value=cycle)
        visiting.append(name)
        mag, kind, ref = parsed[name]
        if kind == "base":
            value = mag
        elif kind == "unit":
            assert ref is not None
            value = mag * exact_factor(ref, base, field=f"levels.{name}")
        else:
            assert ref is not None
            value = mag * size_of(ref)
        visiting.pop()
        sizes[name] = value
        return value

    for name in parsed:
        size_of(name)
    if _dim(base) == "count":
        for name, value in sizes.items():
            _whole_count(value * exact_factor(base, _COUNT_UNIT, field=f"levels.{name}"),
                         f"levels.{name}", levels[name])
    ordered = sorted(sizes.items(), key=lambda kv: kv[1])
    for (small, s_small), (big, s_big) in itertools.pairwise(ordered):
        ratio = s_big / s_small
        if ratio.denominator != 1 or ratio < 2:
            raise ValidationError(
                f"levels.{big} must be a whole multiple (>= 2) of the next smaller level "
                f"{small!r} ({fraction_to_decimal(s_small)} {base}), got "
                f"{fraction_to_decimal(s_big)} {base} (ratio {ratio})",
                field=f"levels.{big}", value=levels[big])
    return base, dict(ordered)


def _whole_count(pieces: Fraction, field: str, value: object) -> None:
    """Refuse a fraction of a piece where the unit is a count (half a bottle does not ship)."""
    if pieces.denominator != 1:
        raise bad_value(field, value, f"a whole number of pieces (count unit), not "
                        f"{fraction_to_decimal(pieces)}; round the figure to whole pieces")


def _dim(unit: str) -> str:
    from jxc_rules.units import dimension_of

    return dimension_of(unit)


def breakdown(
    quantity: object, packaging: Packaging, *, exclude: Iterable[str] = ()
) -> dict[str, Decimal]:
    """Break ``quantity`` into whole packs, largest level first (greedy), plus a remainder.

    Parameters
    ----------
    quantity : number, str or Quantity
        A plain number is in the packaging's base unit; ``"12.35 t"`` or ``"3 pallet"`` are
        converted exactly. Must be >= 0, and whole pieces when the base unit is a count (half
        a bottle does not ship: a ``ValidationError`` names ``quantity``).
    packaging : Packaging
    exclude : iterable of str
        Levels not to use (say the warehouse does not ship full pallets).

    Returns
    -------
    dict[str, Decimal]
        One key per level used, largest first, with whole counts; ``"remainder"`` holds what is
        left in the base unit. ``Σ count × size + remainder == quantity`` exactly.

    Examples
    --------
    The classic drift case: 361 units in packs of 144 are 2 packs + 73 units, not 3 packs.

    >>> breakdown(361, Packaging({"pack": 144}))
    {'pack': Decimal('2'), 'remainder': Decimal('73')}
    >>> breakdown("12.35 t", Packaging({"bag": "40 kg", "pallet": "50 bag"}))
    {'pallet': Decimal('6'), 'bag': Decimal('8'), 'remainder': Decimal('30')}
    """
    if not isinstance(packaging, Packaging):
        raise bad_value("packaging", packaging, "a Packaging")
    value = packaging.in_base(quantity)
    if value < 0:
        raise bad_value("quantity", quantity, "a quantity >= 0")
    if _dim(packaging.base_unit) == "count":
        _whole_count(value * exact_factor(packaging.base_unit, _COUNT_UNIT, field="quantity"),
                     "quantity", quantity)
    if isinstance(exclude, str):  # "pallet" would otherwise be the letters p, a, l, ...
        exclude = (exclude,)
    try:
        names = tuple(exclude)
    except TypeError:
        raise bad_value("exclude", exclude, "a list of level names such as ['pallet']") from None
    for i, name in enumerate(names):
        if not isinstance(name, str):
            raise bad_value(f"exclude[{i}]", name, f"a level name, one of {list(packaging.names)}")
        packaging.size(name)  # unknown names raise
    skip = set(names)
    out: dict[str, Decimal] = {}
    rest = value
    for name in reversed(packaging.names):
        if name in skip:
            continue
        size = packaging.sizes[name]
        count = rest.numerator * size.denominator // (rest.denominator * size.numerator)
        out[name] = Decimal(count)
        rest -= count * size
    out["remainder"] = fraction_to_decimal(rest)
    return out


# ----------------------------------------------------------------------------------------------
# Ship plans and line amounts (scalar)
# ----------------------------------------------------------------------------------------------

@attrs.frozen
class ShipPlan:
    """Whole packs for an ordered quantity (订货量转整包).

    ``packs`` is an ``int``; ``shipped`` (= packs × pack) and ``residual`` (= ordered − shipped)
    are Quantities in the unit of the order with exact ``Decimal`` magnitudes.
    """

    packs: int
    shipped: pint.Quantity[Decimal]
    residual: pint.Quantity[Decimal]

    def __iter__(self) -> Iterator[Any]:
        """``packs, shipped, residual = plan``."""
        return iter((self.packs, self.shipped, self.residual))


def _quantity_parts(value: object, field: str, default_unit: str | None) -> tuple[Fraction, str]:
    if isinstance(value, str):
        match = _SPEC.match(value)
        if match is not None and not match.group(2):
            if default_unit is None:
                raise bad_value(field, value, "a quantity with a unit, like '12.35 t'",
                                error=UnitError)
            return to_fraction(match.group(1), field), default_unit
        mag, unit = parse_quantity(value, field)
        return mag, str(unit)
    if isinstance(value, pint.Quantity):
        if isinstance(value.magnitude, np.ndarray):
            raise bad_value(field, value, "a scalar quantity")
        return to_fraction(value.magnitude, field), str(parse_unit(unit_of(value, field), field))
    if default_unit is None:
        raise bad_value(field, value, "a quantity with a unit, like '12.35 t'", error=UnitError)
    return to_fraction(value, field), default_unit


def ship_plan(
    ordered: QuantityLike,
    pack: QuantityText,
    *,
    mode: str = "half_up",
    packaging: Packaging | None = None,
) -> ShipPlan:
    """Whole packs for ``ordered``, the quantity shipped and the residual (ordered − shipped).

    Parameters
    ----------
    ordered : str or Quantity
        ``"12.35 t"``; must be >= 0. A plain number is read in the pack's unit.
    pack : str or Quantity, or a level name of ``packaging``
        The content of one pack (``"40 kg"``), > 0.
    mode : str
        How a fractional number of packs becomes whole: ``"up"``, ``"down"``, ``"half_up"``, ...
    packaging : Packaging, optional
        Lets ``pack`` name one of its levels (``"bag"``, ``"pallet"``); with it, a bare name that
        is not a level is an ``UnknownItemError`` (never pint's own 94 lb ``bag``).

    Returns
    -------
    ShipPlan
        ``packs = round_mode(ordered / pack)``, ``shipped = packs × pack`` and ``residual =
        ordered − shipped``, both in the unit of ``ordered`` with exact ``Decimal`` magnitudes.

    Examples
    --------
    >>> plan = ship_plan("12.35 t", "40 kg", mode="up")
    >>> plan.packs, plan.shipped, plan.residual
    (309, <Quantity(12.36, 'metric_ton')>, <Quantity(-0.01, 'metric_ton')>)
    >>> ship_plan("361 pcs", "gross", mode="down").residual
    <Quantity(73, 'piece')>
    """
    check_mode(mode)
    if packaging is not None and isinstance(pack, str) and _SPEC.match(pack) is None:
        # a bare name with a packaging is one of its levels (pint's own "bag" is a 94 lb cement
        # bag: a typo must not fall through to it)
        pack_mag, pack_unit = packaging.size(pack.strip()), packaging.base_unit
    elif isinstance(pack, str) and _SPEC.match(pack) is None:
        pack_mag, pack_unit = Fraction(1), str(parse_unit(pack, "pack"))  # "gross", "dozen"
    else:
        pack_mag, pack_unit = _quantity_parts(pack, "pack", None)
    if pack_mag <= 0:
        raise bad_value("pack", pack, "a positive pack size")
    pack_is_count = _dim(pack_unit) == "count"
    if isinstance(ordered, str) and not pack_is_count:
        match = _SPEC.match(ordered)
        if match is not None and not match.group(2):
            raise UnitError(
                f"ordered {ordered!r} has no unit; write e.g. '{ordered.strip()} t' (the pack "
                f"{pack!r} is a {_dim(pack_unit)}, so a bare figure is ambiguous)",
                field="ordered", value=ordered)
    ord_mag, ord_unit = _quantity_parts(ordered, "ordered", pack_unit)
    if ord_mag < 0:
        raise bad_value("ordered", ordered, "a quantity >= 0 (returns are booked separately)")
    if parse_unit(ord_unit).dimensionality != parse_unit(pack_unit).dimensionality:
        raise UnitError(
            f"ordered must be a {_dim(pack_unit)} quantity like the pack {pack!r}, got "
            f"{ordered!r} ({_dim(ord_unit)}); write the order in the pack's dimension",
            field="ordered", value=ordered)
    if pack_is_count:
        _whole_count(ord_mag * exact_factor(ord_unit, _COUNT_UNIT, field="ordered"),
                     "ordered", ordered)
    pack_in_ord = pack_mag * exact_factor(pack_unit, ord_unit, field="pack")
    packs = round_quotient(ord_mag / pack_in_ord, mode=mode)
    shipped = fraction_to_decimal(packs * pack_in_ord)
    # residual = ordered − shipped *as written*, so shipped + residual == ordered holds exactly
    # even where shipped has no finite decimal (119 pcs in dozens): both terminate, so this
    # difference is exact
    residual = fraction_to_decimal(Fraction(fraction_to_decimal(ord_mag)) - Fraction(shipped))
    return ShipPlan(
        packs=packs,
        shipped=Q_(PintDecimal(shipped), ord_unit),  # exact, and combines with float Quantities
        residual=Q_(PintDecimal(residual), ord_unit),
    )


def line_amount(
    quantity: QuantityLike, unit_price: ExactNumber, price_unit: str, *, mode: str = "half_up"
) -> Decimal:
    """``quantity × unit_price`` per ``price_unit``, exact, rounded to the fen (half-up).

    Parameters
    ----------
    quantity : str, Quantity or number
        ``"12.36 t"``, ``Q_(12360, "kg")``; a plain number is in ``price_unit``.
    unit_price : int, str, Decimal, Fraction or float
        Yuan per ``price_unit`` (元/吨).
    price_unit : str
        ``"t"``, ``"kg"``, ``"斤"``, ``"piece"``, ...
    mode : str
        Rounding to the fen, ``"half_up"`` (四舍五入) by default.

    A negative quantity is a credit line; a negative price is refused (as on the batch path).

    Examples
    --------
    >>> line_amount("12.36 t", 2850, "t")
    Decimal('35226.00')
    >>> line_amount("12360 kg", "2850", "吨")
    Decimal('35226.00')
    """
    check_mode(mode)
    unit = str(parse_unit(price_unit, "price_unit"))
    mag, q_unit = _quantity_parts(quantity, "quantity", unit)
    price = to_fraction(unit_price, "unit_price")
    if price < 0:
        raise bad_value("unit_price", unit_price, "a price >= 0 (a credit is a negative quantity)")
    return _fen(mag * exact_factor(q_unit, unit, field="quantity") * price, mode)


def _fen(exact: Fraction, mode: str = "half_up") -> Decimal:
    """``exact`` yuan rounded to the fen by ``mode``: a ``Decimal`` with two places, built from
    an integer (independent of the caller's decimal context)."""
    return from_fen(round_quotient(exact * 100, mode=mode))


# ----------------------------------------------------------------------------------------------
# Batch path: int64 in 10**-decimals of the unit and in fen
# ----------------------------------------------------------------------------------------------

IntArray = npt.NDArray[np.int64]


def _to_units(
    values: Any, scale: int, field: str, *, allow_negative: bool, hint: str = " (raise decimals=)",
) -> IntArray:
    """Float/int array → int64 multiples of ``1/scale``, read exactly as the scalar path reads a
    float (by its shortest repr).

    A float ``x`` is accepted only when its shortest repr has at most ``log10(scale)`` decimals,
    tested without strings: ``rint(x·scale) / scale == x`` (both sides correctly rounded, so this
    holds exactly when ``x`` is the float nearest to a multiple of ``1/scale``). Refuses bools,
    NaN, infinities, values with more decimals, magnitudes beyond 2**50 units and (unless allowed)
    negatives, naming the first bad row.
    """
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError, OverflowError):  # ragged lists
        raise bad_value(field, values, "numbers of one shape") from None
    if arr.dtype.kind == "b":
        raise bad_value(field, values, "numbers, not booleans")
    require_numbers(arr, field)  # complex, text, datetimes (a dtype check; object: per item)
    if arr.dtype.kind in "iu":
        too_big = np.abs(arr.astype(np.float64)) >= 2.0**50 / scale
        if too_big.any():
            row = int(np.argmax(too_big.ravel()))
            raise bad_value(field, int(arr.ravel()[row]), "a magnitude below 2**50 units",
                            row=row if arr.ndim else None)
        units = arr.astype(np.int64) * scale
    else:
        try:
            flt = np.asarray(arr, dtype=np.float64)
        except (TypeError, ValueError, OverflowError):
            raise bad_value(field, values, "numbers") from None
        finite = np.isfinite(flt)
        if not finite.all():
            row = int(np.argmax(~finite.ravel()))
            raise bad_value(field, float(flt.ravel()[row]), "a finite number",
                            row=row if flt.ndim else None)
        with np.errstate(over="ignore"):  # near the float maximum: inf, refused just below
            scaled = flt * scale
        if (np.abs(scaled) >= 2.0**50).any():  # below 2**50, rint(scaled) is the exact multiple
            row = int(np.argmax((np.abs(scaled) >= 2.0**50).ravel()))
            raise bad_value(field, float(flt.ravel()[row]), "a magnitude below 2**50 units",
                            row=row if flt.ndim else None)
        rounded = np.rint(scaled)
        off = rounded / scale != flt
        if off.any():
            row = int(np.argmax(off.ravel()))
            raise bad_value(field, float(flt.ravel()[row]),
                            f"a multiple of 1/{scale} of its unit{hint}",
                            row=row if flt.ndim else None)
        units = rounded.astype(np.int64)
    if not allow_negative and (units < 0).any():
        row = int(np.argmax((units < 0).ravel()))
        raise bad_value(field, float(np.asarray(values, dtype=np.float64).ravel()[row]),
                        ">= 0", row=row if units.ndim else None)
    return units


def _array_and_unit(value: Any, unit: str | None, field: str) -> tuple[Any, str | None]:
    if isinstance(value, pint.Quantity):
        return value.magnitude, str(parse_unit(unit_of(value, field), field))
    if isinstance(value, str):
        mag, u = parse_quantity(value, field)
        return mag, str(u)
    return value, (str(parse_unit(unit, field)) if unit is not None and _given(unit) else None)


def _given(unit: object) -> bool:
    """An optional unit argument was given (None and "" mean "not given"; an array is given —
    and refused by parse_unit — rather than tested for truth)."""
    return unit is not None and not (isinstance(unit, str) and not unit)


def _convert_units(values: Any, factor: Fraction, decimals: int, unit: str) -> IntArray:
    """Pack sizes in another unit → int64 multiples of ``10**-decimals`` of ``unit``, exactly.

    Each value is read (shortest repr) at enough decimals of its own unit for the target grid
    (``decimals + ceil(log10 factor)``), then multiplied by the exact rational factor in integers;
    a size that falls between grid points is refused, never rounded.
    """
    extra = 0
    while Fraction(10**extra) < factor:
        extra += 1
    own = min(decimals + extra, 9)
    units_own = _to_units(values, 10**own, "pack_size", allow_negative=True)
    ratio = factor * Fraction(10**decimals, 10**own)  # own grid -> target grid
    rem = units_own % ratio.denominator if ratio.denominator != 1 else np.zeros_like(units_own)
    if (rem != 0).any():
        row = int(np.argmax((rem != 0).ravel()))
        raise bad_value("pack_size", float(np.asarray(values, dtype=np.float64).ravel()[row]),
                        f"a multiple of 1/{10**decimals} {unit} (raise decimals=)",
                        row=row if units_own.ndim else None)
    whole = units_own // ratio.denominator
    if float(np.abs(whole).max(initial=0)) * ratio.numerator >= 2.0**50:
        raise bad_value("pack_size", values, "a magnitude below 2**50 units")
    out: IntArray = whole * np.int64(ratio.numerator)
    return out


@attrs.frozen(eq=False)
class ShipPlanBatch:
    """Ship plans for many lines (arrays of one shape).

    ``packs`` (int64); ``shipped`` and ``residual`` as float64 in ``unit`` (the nearest float to
    the exact decimal) and exactly as ``shipped_units`` / ``residual_units`` (int64 multiples of
    ``10**-decimals`` of ``unit``).
    """

    packs: IntArray
    shipped: npt.NDArray[np.float64]
    residual: npt.NDArray[np.float64]
    shipped_units: IntArray
    residual_units: IntArray
    decimals: int
    unit: str | None

    def __iter__(self) -> Iterator[Any]:
        """``packs, shipped, residual = ship_plan_batch(...)``."""
        return iter((self.packs, self.shipped, self.residual))


def ship_plan_batch(
    ordered: Any,
    pack_size: Any,
    *,
    mode: str = "half_up",
    unit: str | None = None,
    pack_unit: str | None = None,
    decimals: int = 3,
) -> ShipPlanBatch:
    """Vectorised :func:`ship_plan`: whole packs for many order lines at once, exactly.

    Parameters
    ----------
    ordered : array_like or array Quantity
        Ordered quantities, >= 0, in ``unit`` (or the Quantity's unit).
    pack_size : array_like, scalar, str or Quantity
        Pack contents, > 0, broadcast against ``ordered``; in ``pack_unit`` (default: the unit of
        ``ordered``). ``"40 kg"`` is converted exactly.
    mode : str
        Rounding mode for the number of packs.
    unit, pack_unit : str, optional
        Units of plain arrays. Both omitted: the arrays share one (unnamed) unit.
    decimals : int
        Inputs are read as integer multiples of ``10**-decimals`` of the order unit (3: kg for
        tonnes, g for kg). A value with more decimals is an error, never silently rounded.

    Returns
    -------
    ShipPlanBatch

    Examples
    --------
    >>> plan = ship_plan_batch(np.array([12.35, 0.0, 1.0]), "40 kg", unit="t", mode="up")
    >>> plan.packs.tolist(), plan.shipped.tolist(), plan.residual.tolist()
    ([309, 0, 25], [12.36, 0.0, 1.0], [-0.01, 0.0, 0.0])
    """
    check_mode(mode)
    if not isinstance(decimals, int) or not 0 <= decimals <= 9:
        raise bad_value("decimals", decimals, "an int in 0..9")
    scale = 10**decimals
    ord_values, ord_unit = _array_and_unit(ordered, unit, "ordered")
    pack_values, p_unit = _array_and_unit(pack_size, pack_unit, "pack_size")
    if ord_unit is None:
        ord_unit = p_unit
    n = _to_units(ord_values, scale, "ordered", allow_negative=False)
    if isinstance(pack_values, Fraction):
        factor = exact_factor(p_unit, ord_unit, field="pack_size") if p_unit and ord_unit \
            else Fraction(1)
        exact = pack_values * factor * scale
        if exact.denominator != 1:
            raise bad_value("pack_size", pack_size,
                            f"a multiple of 1/{scale} {ord_unit} (raise decimals=)")
        p = np.asarray(int(exact), dtype=np.int64)
    elif p_unit and ord_unit and p_unit != ord_unit:
        p = _convert_units(pack_values, exact_factor(p_unit, ord_unit, field="pack_size"),
                           decimals, f"{ord_unit}")
    else:
        p = _to_units(pack_values, scale, "pack_size", allow_negative=True)
    if (p <= 0).any():
        row = int(np.argmax((p <= 0).ravel()))
        raise bad_value("pack_size", float(p.ravel()[row]) / scale, "a positive pack size",
                        row=row if p.ndim else None)
    n, p = broadcast_arrays(strict=False, ordered=n, pack_size=p)
    packs = round_quotient(n, p, mode).astype(np.int64)
    shipped_units = packs * p
    residual_units = n - shipped_units
    return ShipPlanBatch(
        packs=packs,
        shipped=shipped_units / scale,
        residual=residual_units / scale,
        shipped_units=shipped_units,
        residual_units=residual_units,
        decimals=decimals,
        unit=ord_unit,
    )


def line_amounts_batch(
    quantity: Any,
    unit_price: Any,
    price_unit: str | None = None,
    *,
    unit: str | None = None,
    decimals: int = 3,
    price_decimals: int = 4,
    mode: str = "half_up",
) -> IntArray:
    """Vectorised :func:`line_amount`: amounts in ``int64`` fen (分), exact.

    Parameters
    ----------
    quantity : array_like, array Quantity or ShipPlanBatch
        Quantities in ``unit`` (a ShipPlanBatch contributes its exact ``shipped_units``).
        May be negative (credit lines).
    unit_price : array_like or scalar
        Yuan per ``price_unit``, at most ``price_decimals`` decimals.
    price_unit : str, optional
        Default: the quantity's unit.
    mode : str
        Rounding to the fen (``half_up`` by default).

    Returns
    -------
    ndarray of int64
        ``round_mode(q × factor(unit → price_unit) × price, 0.01) × 100``; use
        :func:`jxc_rules.money.from_fen` for a ``Decimal``. When the integer product could
        exceed int64 the computation switches to Python integers (slower, still exact).

    Examples
    --------
    >>> line_amounts_batch(np.array([12.36, 0.5]), 2850, "t", unit="t").tolist()
    [3522600, 142500]
    >>> plan = ship_plan_batch(np.array([12.35]), "40 kg", unit="t", mode="up")
    >>> line_amounts_batch(plan, 2850, "t").tolist()
    [3522600]
    """
    check_mode(mode)
    if not isinstance(price_decimals, int) or not 0 <= price_decimals <= 9:
        raise bad_value("price_decimals", price_decimals, "an int in 0..9")
    if isinstance(quantity, ShipPlanBatch):
        q = quantity.shipped_units
        decimals = quantity.decimals
        q_unit = quantity.unit if unit is None else str(parse_unit(unit, "unit"))
    else:
        if not isinstance(decimals, int) or not 0 <= decimals <= 9:
            raise bad_value("decimals", decimals, "an int in 0..9")
        values, q_unit = _array_and_unit(quantity, unit, "quantity")
        if isinstance(values, Fraction):
            raise bad_value("quantity", quantity, "an array (use line_amount for one line)")
        q = _to_units(values, 10**decimals, "quantity", allow_negative=True)
    p_unit = (str(parse_unit(price_unit, "price_unit"))
              if price_unit is not None and _given(price_unit) else q_unit)
    factor = exact_factor(q_unit, p_unit, field="quantity") if q_unit and p_unit else Fraction(1)
    prices = _to_units(unit_price, 10**price_decimals, "unit_price",
                       allow_negative=False)
    shift = decimals + price_decimals - 2
    num_mult = factor.numerator * (10**-shift if shift < 0 else 1)
    den = factor.denominator * (10**shift if shift > 0 else 1)
    q, prices = broadcast_arrays(strict=False, quantity=q, unit_price=prices)
    bound = (float(np.abs(q).max(initial=0)) * float(np.abs(prices).max(initial=0))
             * float(num_mult))
    if bound < 2.0**62 and den < 2**62:
        num = np.asarray(q * prices * np.int64(num_mult))  # 0-d stays an array
        return np.asarray(round_quotient(num, np.int64(den), mode)).astype(np.int64)
    num_obj = np.asarray(q.astype(object) * prices.astype(object) * num_mult, dtype=object)
    out = np.asarray(round_quotient(num_obj, den, mode))
    if np.abs(out).max(initial=0) >= 2**63:
        row = int(np.argmax(np.abs(out) >= 2**63))
        raise ValidationError(f"line amount at row {row} exceeds the int64 range of fen "
                              "(2**63); use line_amount for it", field="quantity", row=row)
    return np.asarray(out, dtype=np.int64)


# ----------------------------------------------------------------------------------------------
# Product profiles, catch weight, invoices
# ----------------------------------------------------------------------------------------------

InvoiceBasis = Literal["nominal", "actual"]
_PROFILE_KEYS: Final = (
    "sku", "name", "labels", "stock_unit", "price_unit", "pack", "rounding", "invoice_basis",
    "catch_weight_tolerance", "source",
)


def _nonempty_str(field: str) -> Any:
    def check(_inst: object, _attr: object, value: object) -> None:
        if not isinstance(value, str) or not value.strip():
            raise bad_value(field, value, "a non-empty string")
    return check


def _unit_str(value: object) -> str:
    return str(parse_unit(value if isinstance(value, (str, pint.Unit)) else str(value),
                          "price_unit"))


def _tolerance(value: object) -> Fraction:
    tol = to_fraction(value, "catch_weight_tolerance")
    if not 0 <= tol < 1:
        raise bad_value("catch_weight_tolerance", value, "a fraction in [0, 1), like 0.005")
    return tol


def _mode_value(value: object) -> str:
    return check_mode(str(value), "rounding")


def _basis_value(value: object) -> str:
    if not isinstance(value, str) or value not in ("nominal", "actual"):
        raise bad_value("invoice_basis", value, "'nominal' or 'actual'")
    return str(value)


def _labels(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise bad_value("labels", value, "a mapping of language (zh, en) to a label")
    return dict(value)


@attrs.frozen
class ProductProfile:
    """How one product is ordered, shipped, counted and priced (商品包装档案).

    Parameters
    ----------
    sku, name : str
    price_unit : str
        The unit prices are quoted in (``"t"`` for 元/吨).
    pack_content : str or Quantity
        Nominal content of one pack (``"40 kg"``), > 0, in the dimension of ``price_unit``
        (a pack in litres for a product priced per tonne is a ``UnitError``).
    pack_name : str
        ``"bag"`` (袋) by default.
    stock_unit : str
        The unit stock is counted in; by default the pack name (bags).
    rounding : str
        Mode that turns an order into whole packs (``"half_up"`` by default).
    invoice_basis : ``"nominal"`` or ``"actual"``
        Whether a catch-weight line is priced on packs × content or on the weighbridge weight.
    catch_weight_tolerance : fraction in [0, 1)
        Allowed relative |actual − nominal| before a line is flagged (0.005 = ±0.5 %).
    labels : dict, optional
        Display names by language (``{"zh": "尿素", "en": "urea"}``).
    source : str, optional
        Where the profile came from (rule pack file:line).

    Examples
    --------
    >>> urea = ProductProfile(sku="urea-46", name="urea", price_unit="t", pack_content="40 kg",
    ...                       rounding="up")
    >>> urea.ship_plan("12.35 t").packs
    309
    >>> ProductProfile.from_mapping(urea.to_mapping()) == urea
    True
    """

    sku: str = attrs.field(validator=_nonempty_str("sku"))
    name: str = attrs.field(validator=_nonempty_str("name"))
    price_unit: str = attrs.field(converter=_unit_str)
    pack_content: str = attrs.field()
    pack_name: str = attrs.field(default="bag", validator=_nonempty_str("pack.name"))
    stock_unit: str = attrs.field(default="")
    rounding: str = attrs.field(default="half_up", converter=_mode_value)
    invoice_basis: str = attrs.field(default="nominal", converter=_basis_value)
    catch_weight_tolerance: Fraction = attrs.field(default=Fraction(1, 200),
                                                   converter=_tolerance)
    labels: dict[str, str] = attrs.field(factory=dict, converter=_labels, hash=False)
    source: str | None = attrs.field(default=None)

    @pack_content.validator
    def _check_content(self, _attr: object, value: object) -> None:
        mag, unit = _quantity_parts(value, "pack.content", None)
        if mag <= 0:
            raise bad_value("pack.content", value, "a positive pack content")
        if parse_unit(unit).dimensionality != parse_unit(self.price_unit).dimensionality:
            raise UnitError(
                f"pack.content of {self.sku} must be a {_dim(self.price_unit)} quantity like the "
                f"price unit {self.price_unit!r}, got {value!r} ({_dim(unit)})",
                field="pack.content", value=value)
        if isinstance(value, pint.Quantity):
            object.__setattr__(self, "pack_content",
                               f"{fraction_to_decimal(mag)} {value.units}")

    def __attrs_post_init__(self) -> None:
        if self.stock_unit is not None and not isinstance(self.stock_unit, str):
            raise bad_value("stock_unit", self.stock_unit, "a unit name such as 'bag' (or "
                            "empty: the pack name)")
        if not self.stock_unit:
            object.__setattr__(self, "stock_unit", self.pack_name)
        if not isinstance(self.pack_content, str):  # Quantity normalised by the validator
            raise bad_value("pack.content", self.pack_content, "a quantity")

    @property
    def content(self) -> Fraction:
        """Exact nominal content of one pack in :attr:`price_unit`."""
        mag, unit = _quantity_parts(self.pack_content, "pack.content", None)
        return mag * exact_factor(unit, self.price_unit)

    @property
    def packaging(self) -> Packaging:
        """A one-level :class:`Packaging` (``{pack_name: pack_content}``)."""
        return Packaging({self.pack_name: self.pack_content})

    def ship_plan(self, ordered: QuantityLike, *, mode: str | None = None) -> ShipPlan:
        """:func:`ship_plan` with this profile's pack and rounding mode."""
        return ship_plan(ordered, self.pack_content, mode=mode or self.rounding)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> ProductProfile:
        """Build from a plain mapping (rule packs); errors name the key.

        Keys: ``sku``, ``name``, ``price_unit``, ``pack`` (``{"name": "bag", "content": "40
        kg"}`` or just ``"40 kg"``), and optional ``labels``, ``stock_unit``, ``rounding``,
        ``invoice_basis``, ``catch_weight_tolerance``, ``source``.
        """
        if not isinstance(mapping, Mapping):
            raise bad_value("profile", mapping, "a mapping")
        for key in mapping:
            if key not in _PROFILE_KEYS:
                raise bad_value(str(key), mapping[key],
                                "absent (known keys: " + ", ".join(_PROFILE_KEYS) + ")")
        for key in ("sku", "name", "price_unit", "pack"):
            if key not in mapping:
                raise bad_value(key, None, "present")
        pack = mapping["pack"]
        if isinstance(pack, Mapping):
            extra = set(pack) - {"name", "content"}
            if extra:
                key = sorted(extra)[0]
                raise bad_value(f"pack.{key}", pack[key], "absent (known keys: name, content)")
            if "content" not in pack:
                raise bad_value("pack.content", None, "a quantity like '40 kg'")
            pack_name, content = pack.get("name", "bag"), pack["content"]
        else:
            pack_name, content = "bag", pack
        kwargs: dict[str, Any] = {
            "sku": mapping["sku"], "name": mapping["name"], "price_unit": mapping["price_unit"],
            "pack_content": content, "pack_name": pack_name,
        }
        for key in ("stock_unit", "rounding", "invoice_basis", "catch_weight_tolerance",
                    "labels", "source"):
            if key in mapping and mapping[key] is not None:
                kwargs[key] = mapping[key]
        return cls(**kwargs)

    def to_mapping(self) -> dict[str, Any]:
        """Plain YAML-safe dict; :meth:`from_mapping` reads it back to an equal profile."""
        tol = self.catch_weight_tolerance
        tol_out: float | str = float(tol) if Fraction(Decimal(repr(float(tol)))) == tol \
            else str(tol)
        out: dict[str, Any] = {
            "sku": self.sku, "name": self.name, "stock_unit": self.stock_unit,
            "price_unit": self.price_unit,
            "pack": {"name": self.pack_name, "content": self.pack_content},
            "rounding": self.rounding, "invoice_basis": self.invoice_basis,
            "catch_weight_tolerance": tol_out,
        }
        if self.labels:
            out["labels"] = dict(self.labels)
        if self.source is not None:
            out["source"] = self.source
        return out


@attrs.frozen
class CatchWeightLine:
    """One priced shipment line (称重计价行).

    Quantities are exact ``Decimal`` in the profile's ``price_unit``. ``variance`` = actual −
    nominal (``None`` without a weighbridge weight); ``variance_fraction`` = variance / nominal;
    ``flagged`` when ``|variance| > tolerance × nominal``.
    """

    sku: str
    packs: int
    nominal: Decimal
    actual: Decimal | None
    invoiced: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal
    variance: Decimal | None
    variance_fraction: Decimal | None
    flagged: bool


def catch_weight_line(
    profile: ProductProfile,
    packs: int,
    unit_price: object,
    *,
    actual_weight: object = None,
) -> CatchWeightLine:
    """Price ``packs`` of a product, with the weighbridge's net weight (地磅单) if there is one.

    The invoiced quantity is ``packs × content`` (basis ``"nominal"``) or the actual weight
    (basis ``"actual"``, falling back to nominal when no weight is given). Outside the profile's
    tolerance the line is flagged with its variance, never rejected.

    Examples
    --------
    >>> urea = ProductProfile(sku="urea-46", name="urea", price_unit="t", pack_content="40 kg",
    ...                       invoice_basis="actual")
    >>> line = catch_weight_line(urea, 309, 2850, actual_weight="12.402 t")
    >>> line.invoiced, line.amount, line.variance, line.flagged
    (Decimal('12.402'), Decimal('35345.70'), Decimal('0.042'), False)
    """
    if isinstance(packs, bool) or not isinstance(packs, (int, np.integer)) or packs < 0:
        raise bad_value("packs", packs, "a whole number of packs >= 0")
    nominal = int(packs) * profile.content
    price = to_fraction(unit_price, "unit_price")
    if price < 0:
        raise bad_value("unit_price", unit_price, "a price >= 0")
    actual: Fraction | None = None
    if actual_weight is not None:
        mag, unit = _quantity_parts(actual_weight, "actual_weight", profile.price_unit)
        actual = mag * exact_factor(unit, profile.price_unit, field="actual_weight")
        if actual < 0:
            raise bad_value("actual_weight", actual_weight, "a weight >= 0")
    invoiced = actual if (profile.invoice_basis == "actual" and actual is not None) else nominal
    variance = None if actual is None else actual - nominal
    frac = None if variance is None or nominal == 0 else variance / nominal
    flagged = variance is not None and abs(variance) > profile.catch_weight_tolerance * nominal
    return CatchWeightLine(
        sku=profile.sku, packs=int(packs), nominal=fraction_to_decimal(nominal),
        actual=None if actual is None else fraction_to_decimal(actual),
        invoiced=fraction_to_decimal(invoiced), unit=profile.price_unit,
        unit_price=fraction_to_decimal(price),
        amount=_fen(invoiced * price),
        variance=None if variance is None else fraction_to_decimal(variance),
        variance_fraction=None if frac is None else fraction_to_decimal(frac, 12),
        flagged=flagged,
    )


@attrs.frozen
class InvoiceLine:
    """A line of an :class:`Invoice`: its own rounded ``amount`` plus its allocated shares."""

    amount: Decimal
    freight: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal


@attrs.frozen
class Invoice:
    """An invoice whose totals equal the sums of its lines to the fen.

    ``subtotal = Σ line amounts``; ``freight`` and ``discount`` are split over the lines in
    proportion to their amounts with :func:`jxc_rules.money.allocate`; ``tax = round(
    (subtotal + freight − discount) × tax_rate, 0.01)`` split the same way; ``total = subtotal +
    freight − discount + tax = Σ line totals``.
    """

    lines: tuple[InvoiceLine, ...]
    subtotal: Decimal
    freight: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal


def invoice(
    amounts: Sequence[object],
    *,
    freight: object = 0,
    discount: object = 0,
    tax_rate: object = 0,
) -> Invoice:
    """Assemble an invoice from line amounts (``Decimal`` yuan, or :class:`CatchWeightLine`).

    Examples
    --------
    >>> inv = invoice(["35226.00", "1000.00", "0.01"], freight="100.00", tax_rate="0.09")
    >>> [line.freight for line in inv.lines]
    [Decimal('97.24'), Decimal('2.76'), Decimal('0.00')]
    >>> inv.total == sum(line.total for line in inv.lines)
    True
    """
    if isinstance(amounts, np.ndarray) and amounts.ndim == 1:
        amounts = amounts.tolist()
    elif isinstance(amounts, (str, bytes)) or not isinstance(amounts, Sequence):
        raise bad_value("amounts", amounts, "a sequence of line amounts (a list or tuple of "
                        "Decimal yuan or CatchWeightLines)")
    if len(amounts) == 0:
        raise bad_value("amounts", list(amounts), "at least one line")
    line_fen: list[int] = []  # everything in whole fen (ints): exact, context-free
    for i, a in enumerate(amounts):
        value = a.amount if isinstance(a, CatchWeightLine) else a
        exact = to_fraction(value, f"amounts[{i}]") * 100
        if exact.denominator != 1:
            raise bad_value(f"amounts[{i}]", value, "an amount in whole fen (rounded lines)")
        line_fen.append(int(exact))
    subtotal = sum(line_fen)
    fr = whole_fen(freight, "freight")
    disc = whole_fen(discount, "discount")
    rate = to_fraction(tax_rate, "tax_rate")
    if rate < 0:
        raise bad_value("tax_rate", tax_rate, "a rate >= 0")
    base = subtotal + fr - disc
    if base < 0:
        raise bad_value("discount" if disc else "amounts", from_fen(disc if disc else subtotal),
                        f"a taxable base >= 0 (subtotal {from_fen(subtotal)} + freight "
                        f"{from_fen(fr)} - discount {from_fen(disc)})")
    tax = round_quotient(base * rate)
    weights = [abs(a) for a in line_fen]
    if sum(weights) == 0:
        weights = [1] * len(line_fen)
    fr_parts = [int(x) for x in allocate(fr, weights, quantum=1)]
    disc_parts = [int(x) for x in allocate(disc, weights, quantum=1)]
    tax_parts = [int(x) for x in allocate(tax, weights, quantum=1)]
    lines = tuple(
        InvoiceLine(amount=from_fen(a), freight=from_fen(f), discount=from_fen(d),
                    tax=from_fen(t), total=from_fen(a + f - d + t))
        for a, f, d, t in zip(line_fen, fr_parts, disc_parts, tax_parts, strict=True)
    )
    return Invoice(lines=lines, subtotal=from_fen(subtotal), freight=from_fen(fr),
                   discount=from_fen(disc), tax=from_fen(tax), total=from_fen(base + tax))


