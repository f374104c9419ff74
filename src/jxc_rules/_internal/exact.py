"""Exact numbers at the boundary: everything becomes a :class:`~fractions.Fraction` once.

Floats enter by their *shortest repr* (``Decimal(repr(x))``), so ``0.1`` means one tenth and
``5 * 12.0`` is exactly 60, never ``60.0000024``; a numpy ``float32`` by the shortest repr at its
own precision (``np.float32(0.1)`` is one tenth). NaN and infinities are refused.

Every ``Decimal`` this module builds is exact and independent of the caller's
:func:`decimal.getcontext` (a host that lowers the precision or changes the rounding gets the same
digits): results are assembled from integers, never by context arithmetic.
"""

from __future__ import annotations

import math
import numbers
import operator
from decimal import (
    MAX_EMAX,
    MAX_PREC,
    MIN_EMIN,
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
)
from fractions import Fraction
from typing import Any, TypeAlias

import numpy as np

from jxc_rules.errors import bad_value

Exact: TypeAlias = int | str | Decimal | Fraction | float
"""What the library accepts where it needs an exact number."""

__all__ = ["Exact", "PintDecimal", "decimal_from_int", "fraction_to_decimal", "to_decimal",
           "to_fraction", "written_decimal"]

_MAX_EXPONENT = 1000
"""Decimal exponents beyond ±this are refused: ``Fraction("1e999999999")`` would never finish."""
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, rounding=ROUND_HALF_EVEN,
                 traps=[InvalidOperation, DivisionByZero, Overflow, Inexact])
"""Context for exact constructions: nothing is ever rounded (``Inexact`` is trapped)."""


def _finite_decimal(dec: Decimal, field: str, value: object) -> Fraction:
    if not dec.is_finite():
        raise bad_value(field, value, "a finite number")
    exponent = dec.as_tuple().exponent
    assert isinstance(exponent, int)
    if abs(exponent) > _MAX_EXPONENT or abs(dec.adjusted()) > _MAX_EXPONENT:
        raise bad_value(field, value, f"a number within 10**±{_MAX_EXPONENT}")
    return Fraction(dec)


def to_fraction(value: object, field: str = "value") -> Fraction:
    """Read ``value`` exactly.

    Examples
    --------
    >>> to_fraction(0.1)
    Fraction(1, 10)
    >>> to_fraction("8.175")
    Fraction(327, 40)
    >>> to_fraction("1/3")
    Fraction(1, 3)
    >>> to_fraction(np.float64(0.1)), to_fraction(np.float32(0.1))
    (Fraction(1, 10), Fraction(1, 10))
    """
    if isinstance(value, bool):
        raise bad_value(field, value, "a number, not a bool")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, Decimal):
        return _finite_decimal(value, field, value)
    if isinstance(value, float):  # also np.float64, whose repr() is 'np.float64(0.1)'
        if not math.isfinite(value):
            raise bad_value(field, value, "a finite number")
        return Fraction(Decimal(float.__repr__(value)))
    if isinstance(value, str):
        text = value.strip().replace("_", "")
        try:
            dec = Decimal(text)
        except InvalidOperation:
            try:
                return Fraction(text)
            except (ValueError, ZeroDivisionError):
                raise bad_value(field, value, "a decimal or fraction such as '12.35' or '1/3'")\
                    from None
        return _finite_decimal(dec, field, value)
    if isinstance(value, numbers.Integral):  # numpy integers
        return Fraction(int(value))
    if isinstance(value, np.floating):  # float32/float16: shortest repr at their own precision
        if not np.isfinite(value):
            raise bad_value(field, float(value), "a finite number")
        return Fraction(Decimal(np.format_float_positional(value, unique=True, trim="-")))
    if isinstance(value, numbers.Real):
        return to_fraction(float(value), field)
    raise bad_value(field, value, "an int, str, Decimal, Fraction or float")


def decimal_from_int(coefficient: int, exponent: int = 0) -> Decimal:
    """``coefficient × 10**exponent`` as an exact ``Decimal``, whatever the decimal context.

    >>> decimal_from_int(3522600, -2)
    Decimal('35226.00')
    >>> decimal_from_int(-5, -2), decimal_from_int(3, 2)
    (Decimal('-0.05'), Decimal('3E+2'))
    """
    return Decimal(int(coefficient)).scaleb(int(exponent), _EXACT)


def fraction_to_decimal(value: Fraction, digits: int = 40) -> Decimal:
    """The exact decimal of ``value`` when it terminates, else ``digits`` significant digits
    (round half even).

    Examples
    --------
    >>> fraction_to_decimal(Fraction(51, 50))
    Decimal('1.02')
    >>> fraction_to_decimal(Fraction(1, 3), digits=5)
    Decimal('0.33333')
    >>> fraction_to_decimal(Fraction(10**30 + 1))  # exact beyond the context's 28 digits
    Decimal('1000000000000000000000000000001')
    """
    num, den = value.numerator, value.denominator
    # den = 2^a 5^b terminates; strip those factors to find out
    d, twos, fives = split_twos_fives(den)
    if d == 1:
        scale = max(twos, fives)  # the fewest decimal places that hold value exactly
        return decimal_from_int(num * 10**scale // den, -scale)
    # a fresh context: the caller's precision, rounding and traps do not leak in
    return Context(prec=digits, rounding=ROUND_HALF_EVEN).divide(Decimal(num), Decimal(den))


def split_twos_fives(n: int) -> tuple[int, int, int]:
    """``(rest, a, b)`` with ``n = 2**a * 5**b * rest`` and ``rest`` prime to 10: ``n / 10**k``
    terminates iff ``rest == 1`` (then with ``k = max(a, b)`` decimal places).

    >>> split_twos_fives(40), split_twos_fives(3 * 25)
    ((1, 3, 1), (3, 0, 2))
    """
    rest, twos, fives = n, 0, 0
    while rest % 2 == 0:
        rest //= 2
        twos += 1
    while rest % 5 == 0:
        rest //= 5
        fives += 1
    return rest, twos, fives


def to_decimal(value: object, field: str = "value") -> Decimal:
    """``value`` as a ``Decimal`` (exact when it terminates; floats by shortest repr).

    >>> to_decimal(0.1), to_decimal("0.1234567890123456789012345678901")
    (Decimal('0.1'), Decimal('0.1234567890123456789012345678901'))
    """
    if isinstance(value, Decimal) and value.is_finite():
        return value
    return fraction_to_decimal(to_fraction(value, field))


def written_decimal(value: object, field: str = "value") -> Decimal:
    """``value`` as a ``Decimal`` that keeps the exponent it was *written* with.

    A step or quantum says how many places a result has: ``"0.10"`` and ``Decimal("0.10")`` both
    mean two places, whatever the type (``to_decimal`` would read ``"0.10"`` as ``0.1``).
    Strings that are not plain decimals (``"1/8"``) and other types go through
    :func:`to_decimal`.

    >>> written_decimal("0.10"), written_decimal(Decimal("0.10")), written_decimal(" 5 ")
    (Decimal('0.10'), Decimal('0.10'), Decimal('5'))
    >>> written_decimal("1/8")
    Decimal('0.125')
    """
    if isinstance(value, str):
        try:
            dec = Decimal(value.strip())
        except ArithmeticError:
            dec = None
        if dec is not None and dec.is_finite() and abs(int(dec.as_tuple().exponent)) <= \
                _MAX_EXPONENT:
            return dec
    return to_decimal(value, field)  # refuses what it must (NaN, 1e999999999, garbage)




def _float_fallback(name: str, flipped: bool) -> Any:
    """A ``PintDecimal`` operator: float arithmetic with a float operand, else exact Decimal
    arithmetic whose result stays a ``PintDecimal`` (so chained pint arithmetic keeps working)."""
    exact_op = getattr(Decimal, name)

    def op(self: PintDecimal, other: object) -> Any:
        if isinstance(other, (float, np.floating)):
            a, b = (float(other), float(self)) if flipped else (float(self), float(other))
            return getattr(operator, name.strip("_").removeprefix("r") if flipped
                           else name.strip("_"))(a, b)
        out = exact_op(self, other)
        return PintDecimal(out) if type(out) is Decimal else out

    op.__name__ = name
    return op


class PintDecimal(Decimal):
    """A ``Decimal`` magnitude that also combines with floats, for result Quantities.

    Results such as ``ShipPlan.shipped`` keep exact decimal magnitudes (the contract), yet a host
    adds ``Q_(1, "kg")`` to them or converts them with ``.to("kg")``: pint then mixes the
    magnitude with float factors, which a plain ``Decimal`` refuses (``TypeError: unsupported
    operand type(s) for +: 'decimal.Decimal' and 'float'``). Here arithmetic with a ``float`` (or
    numpy float) falls back to float arithmetic — what a Quantity of floats would give — while
    arithmetic with ints, Decimals and other ``PintDecimal`` stays exact ``Decimal`` arithmetic.
    The exact value is the magnitude itself (``Decimal(q.magnitude)``).

    >>> PintDecimal("12.36") + 0.5, PintDecimal("12.36") - Decimal("0.01"), 2.0 * PintDecimal("1.5")
    (12.86, Decimal('12.35'), 3.0)
    >>> type(PintDecimal("12.36") - 1).__name__          # exact results stay PintDecimal
    'PintDecimal'
    """

    __slots__ = ()

    __add__ = _float_fallback("__add__", False)
    __radd__ = _float_fallback("__radd__", True)
    __sub__ = _float_fallback("__sub__", False)
    __rsub__ = _float_fallback("__rsub__", True)
    __mul__ = _float_fallback("__mul__", False)
    __rmul__ = _float_fallback("__rmul__", True)
    __truediv__ = _float_fallback("__truediv__", False)
    __rtruediv__ = _float_fallback("__rtruediv__", True)
    __pow__ = _float_fallback("__pow__", False)
    __rpow__ = _float_fallback("__rpow__", True)

    def __neg__(self) -> PintDecimal:
        return PintDecimal(Decimal.__neg__(self))

    def __reduce__(self) -> tuple[type[PintDecimal], tuple[str]]:
        return (type(self), (str(self),))
