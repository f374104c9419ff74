"""The one unit registry, exact conversions, and the boundary helpers every kernel uses.

Units live at the boundary (pint's own advice): a public function accepts a ``pint.Quantity``
of :data:`ureg`, a string it parses (``"40 kg"``, ``"3 斤"``, ``"0.3 %/h"``), or a plain number
or array already in the unit its parameter name gives (``hours``, ``initial_kg``). Inside, kernels
see plain floats / numpy arrays / exact ``Fraction`` in canonical units; never a Quantity per
element.

What this registry adds to pint's defaults
------------------------------------------
* Chinese market units (市制, as fixed in 1959 and still used in every wet market):
  斤 ``jin`` = 500 g, 两 ``liang`` = 50 g, 钱 ``qian`` = 5 g, 公斤 ``gongjin`` = 1 kg,
  吨 ``dun`` = 1 t. Chinese names work inside strings: ``ureg("3 斤")``.
* Count units in their own dimension ``[item]``: ``piece`` (``pcs``, ``pc_``, ``ea``, ``unit``,
  个, 件), ``dozen`` (打, = 12 pcs), ``gross`` (= 144 pcs). Stock pint reads ``pcs`` as parsecs and
  ``unit`` as a micro-nit; here both are pieces, and a piece never converts to a mass.

Exact conversion
----------------
:func:`convert` walks pint's *definitions* (``jin = 500 * gram``, ``hour = 60 * minute``,
prefixes ``kilo- = 1e3``) and multiplies their literal factors as :class:`~fractions.Fraction`,
so 1 020 000 g → t is exactly ``1.02`` and 1 dozen → pcs exactly ``12``. A scalar result is exact
when it terminates within 34 significant digits (IEEE 754 decimal128); a non-terminating result
(kg → lb, pcs → dozen) is given to 40 significant digits, and a terminating one longer than 34
digits (typically such a 40-digit value converted back) is rounded half-even to 34. The six guard
digits make a→b→a round trips exact for every value of up to 34 digits, through non-decimal
factors too (1 pcs → dozen → pcs is 1, not 0.99999…96). Nothing depends on the caller's
:func:`decimal.getcontext`.
"""

from __future__ import annotations

import re
import threading
from decimal import ROUND_HALF_EVEN, Context, Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Final, overload

import numpy as np
import numpy.typing as npt
import pint  # without the scipy it would import eagerly: see jxc_rules._PintWithoutEagerScipy

from jxc_rules._internal.arrays import as_float_array, require_numbers
from jxc_rules._internal.exact import fraction_to_decimal, to_fraction
from jxc_rules.errors import UnitError, bad_value
from jxc_rules.rounding import check_mode, round_array, round_to

if TYPE_CHECKING:
    from jxc_rules._internal.types import ExactNumber

__all__ = [
    "DIMENSIONS",
    "Q_",
    "check_dimension",
    "convert",
    "dimension_of",
    "exact_factor",
    "exact_magnitude",
    "magnitude",
    "parse_quantity",
    "parse_unit",
    "unit_of",
    "ureg",
    "use_as_application_registry",
]

_EXTRA_DEFINITIONS: Final[tuple[str, ...]] = (
    # counts: a dimension of their own so pieces never silently become dimensionless ratios
    "piece = [item] = pcs = pc_ = ea = 个 = 件",
    "unit = piece",
    "dozen = 12 * piece = 打",
    "gross = 144 * piece",
    # Chinese market units 市制
    "jin = 500 * gram = 斤 = 市斤",
    "liang = 50 * gram = 两 = 市两",
    "qian = 5 * gram = 钱",
    "gongjin = 1 * kilogram = 公斤",
    "dun = 1 * tonne = 吨",
)

_REDEFINITIONS: Final[tuple[str, ...]] = (
    # pint's `bag` is a 94 lb US cement bag: in a fertilizer trade "40 kg per bag" is the rule and a
    # silent 42.6 kg bag is a trap. Here a bag (袋) is a count; its content comes from a Packaging
    # or a product profile, never from the unit.
    "bag = piece = 袋",
)


class _Registry(pint.UnitRegistry[Any]):
    """pint's registry with our definitions, its cache of dimensionalities built once.

    pint builds that cache at the end of loading its defaults, and ours must rebuild it after
    redefining ``bag``: the first build (≈ 20 % of the registry's cost per process, measured in
    fresh processes) is wasted. Here it is skipped; the one build runs after our definitions.
    pint's own disk cache (``cache_folder``) saves most of the rest; it is handed only a
    complete, read-only folder published atomically (:mod:`jxc_rules._internal.unit_cache`).
    """

    _loading = False

    def _after_init(self) -> None:
        self._loading = True
        try:
            super()._after_init()  # pint's defaults, groups and systems; no cache build
        finally:
            self._loading = False
        for definition in _EXTRA_DEFINITIONS:
            self.define(definition)
        self._on_redefinition = "ignore"  # only for the deliberate redefinitions just below
        try:
            for definition in _REDEFINITIONS:
                self.define(definition)
        finally:
            self._on_redefinition = "raise"
        self._build_cache()

    def _build_cache(self, loaded_files: Any = None) -> None:
        if not self._loading:
            super()._build_cache(loaded_files)


def _build_registry(cache_folder: str | None) -> pint.UnitRegistry[Any]:
    return _Registry(cache_folder=cache_folder, autoconvert_offset_to_baseunit=True,
                     on_redefinition="raise")


def _registry() -> pint.UnitRegistry[Any]:
    from jxc_rules._internal.unit_cache import cached_build

    out: pint.UnitRegistry[Any] = cached_build(pint.__version__, _build_registry)
    return out


ureg: Final[pint.UnitRegistry[Any]] = _registry()
"""The application registry. Built eagerly at import (pint's lazy default is not thread-safe)."""
Q_ = ureg.Quantity


def use_as_application_registry() -> None:
    """Opt in: make :data:`ureg` pint's application registry (``pint.get_application_registry``).

    Importing jxc_rules never does this — a host's own registry stays the application registry.
    Call it in a program that is only ours (the CLI, a worker) when Quantities must unpickle
    against our registry.
    """
    pint.set_application_registry(ureg)  # type: ignore[no-untyped-call]


def unit_of(quantity: Any, field: str = "quantity") -> str:
    """The unit of a Quantity as our registry spells it — from *any* pint registry.

    A Quantity of another registry (a host's) is read by its own definition: its unit must mean
    the same in ours (same dimension, same size), else a ``UnitError`` names both meanings — a
    host's ``bag`` (pint's default: a 94 lb cement bag, a mass) is never silently our counted
    ``bag``.

    >>> import pint
    >>> host = pint.UnitRegistry()
    >>> unit_of(host.Quantity(2, "kilogram"))
    'kilogram'
    >>> unit_of(host.Quantity(2, "bag"), "ordered")
    Traceback (most recent call last):
    ...
    jxc_rules.errors.UnitError: ordered: unit 'bag' of another pint registry is 42.63768278 \
kilogram ([mass]); in jxc_rules 'bag' is 1 piece ([item]) — convert the quantity to a unit \
both registries agree on first (e.g. .to('kg'))
    """
    units = getattr(quantity, "units", None)
    if units is None or not hasattr(quantity, "magnitude"):
        raise bad_value(field, quantity, "a pint Quantity (a number with a unit, e.g. "
                        "Q_(40, 'kg')); give plain numbers to magnitude() with their unit",
                        error=UnitError)
    text = str(units)
    registry = getattr(quantity, "_REGISTRY", ureg)
    if registry is ureg:
        return text
    ours = parse_unit(text, field)
    try:
        theirs = registry.Quantity(1, units).to_base_units()
        mine = ureg.Quantity(1, ours).to_base_units()
    except Exception as exc:  # a foreign registry may fail in its own ways
        raise bad_value(field, text, "a unit this registry can read", error=UnitError) from exc
    same = (str(theirs.dimensionality) == str(mine.dimensionality)
            and str(theirs.units) == str(mine.units)
            and abs(float(theirs.magnitude) - float(mine.magnitude))
            <= 1e-12 * abs(float(mine.magnitude)))
    if not same:
        raise UnitError(
            f"{field}: unit {text!r} of another pint registry is {float(theirs.magnitude):.10g} "
            f"{theirs.units} ({theirs.dimensionality}); in jxc_rules {text!r} is "
            f"{float(mine.magnitude):.10g} {mine.units} ({mine.dimensionality}) — convert the "
            "quantity to a unit both registries agree on first (e.g. .to('kg'))",
            field=field, value=text)
    return text

DIMENSIONS: Final[dict[str, str]] = {
    "mass": "[mass]",
    "count": "[item]",
    "time": "[time]",
    "length": "[length]",
    "volume": "[length] ** 3",
    "temperature": "[temperature]",
    "rate": "1 / [time]",
    "dimensionless": "",
}
"""Friendly dimension names used in error messages and by :func:`magnitude`'s ``dimension``."""

_lock = threading.Lock()
_unit_cache: dict[str, pint.Unit] = {}
_factor_cache: dict[tuple[str, str], Fraction] = {}
_NUMBER = re.compile(
    r"^\s*([+-]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?(?:\s*/\s*\d+)?)\s*(.*?)\s*$"
)


def parse_unit(unit: str | pint.Unit, field: str = "unit") -> pint.Unit:
    """A ``pint.Unit`` of :data:`ureg` from a unit string or unit; ``UnitError`` if unknown.

    >>> str(parse_unit("斤"))
    'jin'
    >>> str(parse_unit("pcs"))
    'piece'
    """
    if isinstance(unit, pint.Unit):
        if unit._REGISTRY is not ureg:  # a host's unit: by its own definition, not its name
            return parse_unit(unit_of(unit._REGISTRY.Quantity(1, unit), field), field)
        return unit
    if not isinstance(unit, str):
        raise bad_value(field, unit, "a unit string such as 'kg' or '斤'", error=UnitError)
    cached = _unit_cache.get(unit)
    if cached is not None:
        return cached
    text = unit.strip()
    try:
        parsed = ureg.Unit(text) if text else ureg.dimensionless
    except Exception as exc:  # pint's parser raises many kinds on garbage
        # (UndefinedUnitError, DefinitionSyntaxError, tokenize.TokenError, AttributeError, ...)
        raise bad_value(field, unit, "a unit the registry knows (kg, t, 斤, pcs, h, ...)",
                        error=UnitError) from exc
    _unit_cache[unit] = parsed
    return parsed


def dimension_of(unit: str | pint.Unit) -> str:
    """A readable name of a unit's dimension: ``'mass'``, ``'count'``, or pint's own form."""
    dim = str(parse_unit(unit).dimensionality)
    for name, text in DIMENSIONS.items():
        if dim == (text or "dimensionless"):
            return name
    return dim


def _definition_scale(scale: Any) -> Fraction:
    if isinstance(scale, int):
        return Fraction(scale)
    return to_fraction(float(scale), "definition scale")


def _name_factor(name: str) -> Fraction:
    """Exact factor from the (possibly prefixed) unit ``name`` to pint's base units."""
    reg: Any = ureg
    candidates = reg.parse_unit_name(name)
    if not candidates:
        raise bad_value("unit", name, "a unit the registry knows", error=UnitError)
    prefix, base, _suffix = candidates[0]
    factor = _definition_scale(reg._prefixes[prefix].converter.scale) if prefix else Fraction(1)
    definition = reg._units[base]
    if definition.is_base:
        return factor
    if not definition.is_multiplicative:
        raise bad_value("unit", name, "a multiplicative unit (not an offset temperature scale)",
                        error=UnitError)
    factor *= _definition_scale(definition.converter.scale)
    for ref_name, exponent in definition.reference.items():
        factor *= _name_factor(ref_name) ** int(exponent)
    return factor


def _unit_factor(unit: pint.Unit) -> Fraction:
    factor = Fraction(1)
    for name, exponent in unit._units.items():
        power = float(exponent)  # type: ignore[arg-type]
        if power != int(power):
            raise bad_value("unit", str(unit), "integer powers of units", error=UnitError)
        factor *= _name_factor(name) ** int(power)
    return factor


def check_dimension(
    unit: str | pint.Unit, dimension: str, *, field: str = "unit", value: object = None
) -> pint.Unit:
    """``unit`` parsed, if it has the ``dimension`` named in :data:`DIMENSIONS` (``"mass"``,
    ``"time"``, ``"count"``, ...); else a ``UnitError`` naming the field, the value and both
    dimensions.

    >>> str(check_dimension("d", "time"))
    'day'
    >>> check_dimension("kg", "time", field="shelf_life_ref", value="10 kg")
    Traceback (most recent call last):
    ...
    jxc_rules.errors.UnitError: shelf_life_ref must be a time quantity, got '10 kg' (mass)
    """
    parsed = parse_unit(unit, field)
    if dimension_of(parsed) != dimension:
        shown = str(unit) if value is None else value
        raise UnitError(f"{field} must be a {dimension} quantity, got {shown!r} "
                        f"({dimension_of(parsed)})", field=field, value=shown)
    return parsed


def exact_factor(
    from_unit: str | pint.Unit, to_unit: str | pint.Unit, *, field: str = "unit"
) -> Fraction:
    """The exact rational ``f`` with ``x [from_unit] = x·f [to_unit]``.

    >>> exact_factor("g", "t")
    Fraction(1, 1000000)
    >>> exact_factor("打", "pcs")
    Fraction(12, 1)
    """
    key = (str(from_unit), str(to_unit))
    cached = _factor_cache.get(key)
    if cached is not None:
        return cached
    src = parse_unit(from_unit, field)
    dst = parse_unit(to_unit, field)
    if src.dimensionality != dst.dimensionality:
        raise UnitError(
            f"{field}: cannot convert {str(from_unit)!r} ({dimension_of(src)}) to "
            f"{str(to_unit)!r}: expected a {dimension_of(dst)} unit",
            field=field, value=str(from_unit),
        )
    factor = _unit_factor(src) / _unit_factor(dst)
    with _lock:
        _factor_cache[key] = factor
    return factor


def parse_quantity(text: str, field: str = "quantity") -> tuple[Fraction, pint.Unit]:
    """Split ``"12.35 t"`` into an exact magnitude and a unit (the number is never a float).

    >>> parse_quantity("12.35 t")
    (Fraction(247, 20), <Unit('metric_ton')>)
    """
    match = _NUMBER.match(text) if isinstance(text, str) else None
    if match is None:
        raise bad_value(field, text, "a quantity such as '40 kg' or '3 斤'", error=UnitError)
    number, unit_text = match.groups()
    return to_fraction(number.replace(" ", ""), field), parse_unit(unit_text, field)


def exact_magnitude(value: object, unit: str | pint.Unit, *, field: str = "quantity") -> Fraction:
    """An exact magnitude in ``unit`` from a string (``"12.35 t"``), a scalar ``Quantity`` or a
    plain exact number (taken as already in ``unit``).

    >>> exact_magnitude("3 斤", "kg")
    Fraction(3, 2)
    >>> exact_magnitude("1020000 g", "t")
    Fraction(51, 50)
    """
    if isinstance(value, str):
        mag, src = parse_quantity(value, field)
        return mag * exact_factor(src, unit, field=field)
    if isinstance(value, pint.Quantity):
        mag = value.magnitude
        if isinstance(mag, np.ndarray):
            raise bad_value(field, value, "a scalar quantity", error=UnitError)
        return to_fraction(mag, field) * exact_factor(unit_of(value, field), unit, field=field)
    return to_fraction(value, field)


@overload
def convert(
    value: npt.NDArray[Any], from_unit: str | pint.Unit, to_unit: str | pint.Unit, *,
    step: ExactNumber | None = None, mode: str = "half_up",
) -> npt.NDArray[np.float64]: ...
@overload
def convert(
    value: ExactNumber, from_unit: str | pint.Unit, to_unit: str | pint.Unit, *,
    step: ExactNumber | None = None, mode: str = "half_up",
) -> Decimal: ...
def convert(
    value: ExactNumber | npt.NDArray[Any],
    from_unit: str | pint.Unit,
    to_unit: str | pint.Unit,
    *,
    step: ExactNumber | None = None,
    mode: str = "half_up",
) -> Decimal | npt.NDArray[np.float64]:
    """Convert ``value`` from ``from_unit`` to ``to_unit`` exactly, optionally rounded to ``step``.

    A scalar (int, str, Decimal, Fraction, float by shortest repr) gives an exact ``Decimal``.
    A numpy array gives a float64 array (the batch path: one multiply by the exact factor).

    Examples
    --------
    >>> convert(1020000, "g", "t")
    Decimal('1.02')
    >>> convert(3, "斤", "kg")
    Decimal('1.5')
    >>> convert(1, "dozen", "pcs")
    Decimal('12')
    >>> convert("12.35", "t", "kg", step=40, mode="up")
    Decimal('12360')
    """
    check_mode(mode)
    parse_unit(from_unit, "from_unit")
    parse_unit(to_unit, "to_unit")  # an unknown target names its own field
    factor = exact_factor(from_unit, to_unit, field="from_unit")
    if isinstance(value, np.ndarray):
        # NaN and inf are refused in arrays exactly as in scalars (issue 21: they passed)
        out = as_float_array(value, "value") * float(factor)
        return out if step is None else round_array(out, float(to_fraction(step, "step")), mode)
    exact = to_fraction(value, "value") * factor
    if step is not None:
        return round_to(exact, step, mode)
    return _result_decimal(exact)


_RESULT_DIGITS: Final = 34  # exact up to here (decimal128); longer terminating results rounded
_GUARD_DIGITS: Final = 40  # non-terminating results: 6 guard digits, so a→b→a comes back exact
_RESULT_CONTEXT: Final = Context(prec=_RESULT_DIGITS, rounding=ROUND_HALF_EVEN)


def _result_decimal(exact: Fraction) -> Decimal:
    """``convert``'s scalar result: see the module docstring (exact within 34 digits)."""
    dec = fraction_to_decimal(exact, _GUARD_DIGITS)
    if Fraction(dec) != exact:  # did not terminate: 40 significant digits
        return dec
    if len(dec.as_tuple().digits) <= _RESULT_DIGITS:
        return dec
    return _RESULT_CONTEXT.plus(dec)


def magnitude(
    value: object,
    unit: str | pint.Unit,
    *,
    field: str = "value",
) -> float | npt.NDArray[np.float64]:
    """Canonical float magnitude(s) in ``unit`` from a string, a Quantity (scalar or array), or a
    plain number / array (taken as already in ``unit``). Converts once, for the whole array.

    Raises ``UnitError`` naming the expected dimension on a wrong unit (litres for kilograms).

    >>> magnitude("3 斤", "kg")
    1.5
    >>> magnitude(Q_(np.array([1.0, 2.0]), "t"), "kg").tolist()
    [1000.0, 2000.0]
    >>> magnitude("0.3 %/h", "1/h")
    0.003
    """
    target = parse_unit(unit, field)
    if isinstance(value, str):
        mag, src = parse_quantity(value, field)
        return float(_convert_float(_to_float(mag, field, value), src, target, field))
    if isinstance(value, pint.Quantity):
        mag_arr = value.magnitude
        src = parse_unit(unit_of(value, field), field)
        if isinstance(mag_arr, (list, tuple)):
            mag_arr = np.asarray(mag_arr, dtype=np.float64)
        if isinstance(mag_arr, np.ndarray):
            return np.asarray(_convert_float(np.asarray(mag_arr, dtype=np.float64), src, target,
                                             field), dtype=np.float64)
        return float(_convert_float(_to_float(mag_arr, field, value), src, target, field))
    if isinstance(value, np.ndarray):
        require_numbers(value, field)  # a dtype check; object arrays item by item
        try:
            return np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError, OverflowError):
            raise bad_value(field, value, "numbers within float range") from None
    if isinstance(value, (int, float, Decimal, Fraction, np.integer, np.floating)) \
            and not isinstance(value, bool):
        return _to_float(value, field, value)
    if isinstance(value, (list, tuple)):
        try:
            return np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError, OverflowError):  # ragged, text, beyond float range
            raise bad_value(field, value, "numbers of one shape") from None
    raise bad_value(field, value, f"a number or a quantity in {dimension_of(target)} units")


def _to_float(mag: Any, field: str, value: object) -> float:
    """``float(mag)``, refusing what float() cannot read (beyond float range, a signalling
    Decimal NaN, a non-number magnitude) with an error naming the field."""
    if isinstance(mag, (bool, np.bool_, str, bytes, complex, np.complexfloating)):
        raise bad_value(field, value, "a real number (not a bool, text or a complex number)")
    try:
        return float(mag)
    except OverflowError:
        raise bad_value(field, value, "a finite number within float range (about 1.8e308)"
                        ) from None
    except (TypeError, ValueError):  # Decimal('sNaN'), objects that are not numbers
        raise bad_value(field, value, "a number (a signalling NaN or a non-number is not)"
                        ) from None


def _convert_float(mag: Any, src: pint.Unit, dst: pint.Unit, field: str) -> Any:
    if src.dimensionality != dst.dimensionality:
        raise UnitError(
            f"{field} must be a {dimension_of(dst)} quantity (like {str(dst)!r}), got "
            f"{str(src)!r} ({dimension_of(src)})",
            field=field, value=str(src),
        )
    try:
        return mag * float(exact_factor(src, dst, field=field))
    except UnitError:  # offset units (degC, degF): let pint do the affine conversion
        converted: Any = ureg.Quantity(mag, src).to(dst).magnitude
        return converted
