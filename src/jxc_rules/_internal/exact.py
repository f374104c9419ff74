"""Exact numbers at the boundary: everything becomes a :class:`~fractions.Fraction` once.

Floats enter by their *shortest repr* (``Decimal(repr(x))``), so ``0.1`` means one tenth and
``5 * 12.0`` is exactly 60, never ``60.0000024``. NaN and infinities are refused.
"""

from __future__ import annotations

import math
import numbers
from decimal import Decimal, InvalidOperation, localcontext
from fractions import Fraction
from typing import TypeAlias

from jxc_rules.errors import bad_value

Exact: TypeAlias = int | str | Decimal | Fraction | float
"""What the library accepts where it needs an exact number."""

__all__ = ["Exact", "fraction_to_decimal", "to_decimal", "to_fraction"]


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
    """
    if isinstance(value, bool):
        raise bad_value(field, value, "a number, not a bool")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise bad_value(field, value, "a finite number")
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise bad_value(field, value, "a finite number")
        return Fraction(Decimal(repr(value)))
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
        if not dec.is_finite():
            raise bad_value(field, value, "a finite number")
        return Fraction(dec)
    if isinstance(value, numbers.Integral):  # numpy integers
        return Fraction(int(value))
    if isinstance(value, numbers.Real):  # numpy floats: shortest repr of the float value
        return to_fraction(float(value), field)
    raise bad_value(field, value, "an int, str, Decimal, Fraction or float")


def fraction_to_decimal(value: Fraction, digits: int = 40) -> Decimal:
    """The exact decimal of ``value`` when it terminates, else ``digits`` significant digits
    (round half even).

    Examples
    --------
    >>> fraction_to_decimal(Fraction(51, 50))
    Decimal('1.02')
    >>> fraction_to_decimal(Fraction(1, 3), digits=5)
    Decimal('0.33333')
    """
    num, den = value.numerator, value.denominator
    # den = 2^a 5^b terminates; strip those factors to find out
    d = den
    twos = fives = 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    if d == 1:
        scale = max(twos, fives)  # the fewest decimal places that hold value exactly
        return Decimal(num * 10**scale // den).scaleb(-scale)
    with localcontext() as ctx:
        ctx.prec = digits
        return Decimal(num) / Decimal(den)


def to_decimal(value: object, field: str = "value") -> Decimal:
    """``value`` as a ``Decimal`` (exact when it terminates; floats by shortest repr)."""
    if isinstance(value, Decimal) and value.is_finite():
        return value
    return fraction_to_decimal(to_fraction(value, field))
