"""One parser for ratios written by people: ``0.1``, ``"0.1"``, ``"10 %"``, ``"10%"``, ``"12 ‰"``.

Rule packs (loss rates, shares, uplifts: :func:`ratio_float`, which ``rules.schema`` imports as
its number reader) and BOM lines (scrap: :func:`parse_ratio`) read them the same way: a string
goes through the unit registry as a dimensionless quantity, *exactly* (``%`` is 1/100, ``‰`` is
1/1000), so ``"10 %"`` is ``Fraction(1, 10)`` in a BOM and the float nearest to 0.1 in a pack —
never ``0.35000000000000003`` for ``"35 %"``. Errors are the registry's own (``"10 kg"`` is a
mass, ``"abc"`` is no quantity), so both callers name the same cause.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

from jxc_rules._internal.exact import to_fraction
from jxc_rules.errors import JxcRulesError, UnitError, bad_value

__all__ = ["parse_ratio", "ratio_float"]


def _ratio_text(text: str, field: str) -> Fraction:
    # imported here: ``jxc_rules.units`` loads pint, and this module is imported by light ones
    from jxc_rules.units import dimension_of, exact_factor, parse_quantity, ureg

    mag, src = parse_quantity(text, field)
    if src.dimensionality != ureg.dimensionless.dimensionality:
        raise UnitError(
            f"{field} must be a dimensionless quantity (like 'dimensionless'), got "
            f"{str(src)!r} ({dimension_of(src)})",
            field=field, value=str(src),
        )
    return mag * exact_factor(src, "dimensionless", field=field)


def parse_ratio(value: object, field: str) -> Fraction:
    """``value`` as an exact dimensionless ratio: a number (int, float by its shortest repr,
    Decimal, Fraction) or a string such as ``"0.1"``, ``"10 %"``, ``"10%"`` or ``"5 ‰"``.

    NaN, infinities, bools and strings that are not dimensionless quantities are refused
    (``ValidationError``; ``UnitError`` for a unit of another dimension), naming ``field``.

    >>> parse_ratio("10 %", "scrap"), parse_ratio("0.25", "scrap"), parse_ratio(0.5, "x")
    (Fraction(1, 10), Fraction(1, 4), Fraction(1, 2))
    >>> parse_ratio("5 ‰", "scrap")
    Fraction(1, 200)
    >>> parse_ratio("10 kg", "scrap")
    Traceback (most recent call last):
    ...
    jxc_rules.errors.UnitError: scrap must be a dimensionless quantity (like 'dimensionless'), \
got 'kilogram' (mass)
    """
    if isinstance(value, bool):
        raise bad_value(field, value, "a number")
    if isinstance(value, str):
        return _ratio_text(value, field)
    return to_fraction(value, field)


def ratio_float(value: object, field: str) -> float:
    """A finite dimensionless number as a float — the rule packs' reader (``rules.schema``).

    ``int``, ``float`` and ``Decimal`` are taken as they are; strings (``"0.18"``, ``"18 %"``)
    are read exactly by :func:`parse_ratio` and rounded once to the nearest float. Anything else,
    a bool, NaN, an infinity, or a value beyond the float range is refused naming ``field``.

    >>> ratio_float("18 %", "loss"), ratio_float("35 %", "loss"), ratio_float(2, "x")
    (0.18, 0.35, 2.0)
    >>> ratio_float("1e400 %", "loss")
    Traceback (most recent call last):
    ...
    jxc_rules.errors.ValidationError: loss must be a finite number, got '1e400 %'
    """
    if isinstance(value, bool):
        raise bad_value(field, value, "a number")
    try:
        if isinstance(value, (int, float, Decimal)):
            out = float(value)
        elif isinstance(value, str):
            out = float(parse_ratio(value, field))
        else:
            raise bad_value(field, value, "a number")
    except JxcRulesError:
        raise  # our own errors (a ValidationError is also a ValueError) pass unchanged
    except (OverflowError, ValueError):  # 10**400, '1e400 %', Decimal('sNaN')
        raise bad_value(field, value, "a finite number") from None
    if not math.isfinite(out):
        raise bad_value(field, value, "a finite number")
    return out
