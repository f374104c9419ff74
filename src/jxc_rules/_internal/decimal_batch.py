"""A fast path for :func:`jxc_rules.units.convert` of one scalar, as the string it would give.

``convert`` reads a value into a :class:`~fractions.Fraction`, multiplies it by the exact unit
factor and turns the product back into a ``Decimal`` — about 15 µs a line, most of it
``Fraction`` bookkeeping. A batch of plain decimal strings does not need it: with the factor
``p / (2^a·5^b·r)`` (``r`` coprime to 10) and the value ``m·10^e`` read from its digits, the
result is ``m·p·10^k/(2^a·5^b) / r · 10^(e-k)`` (``k = max(a, b)``) — integer arithmetic, exact.

:func:`convert_str` returns exactly ``str(convert(value, from_unit, to_unit))`` (no ``step``; the
caller has checked the mode), or ``None`` whenever it is not sure it can: a value that is not a
plain short decimal, an int of more than 40 digits, a unit pair the library refuses (its error
is the library's to raise, naming its field). Results that do not terminate or have more
than 34 digits go through the library's own ``_result_decimal`` on the same exact value, so
the 40-digit and 34-digit rules stay in one place. ``None`` means "call ``convert``": the
fallback is the old path itself, so values, errors and their fields cannot differ.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Final

from jxc_rules._internal.exact import split_twos_fives

__all__ = ["convert_str", "plan"]

#: a plain decimal as ``to_fraction`` reads it after ``strip()`` and dropping ``_``: ASCII
#: digits only (other Unicode digits take the library's path)
_PLAIN: Final = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]{1,3}))?",
                           re.ASCII)
_MAX_TEXT: Final = 60  # longer strings: the library's path (its exponent bound of ±1000 holds)
#: written exponents beyond ±this take the library's path, which refuses beyond ±1000 (with at
#: most 60 characters the adjusted exponent then stays within ±960)
_MAX_EXP: Final = 900
_MAX_INT: Final = 10**40
_LIMIT: Final = 10**34  # units._RESULT_DIGITS: longer results are rounded by the library
_MAX_PLANS: Final = 4096  # distinct unit pairs cached (the library caches them all itself)

#: (from_unit, to_unit) -> (multiplier, k, r): value·factor = value·multiplier / r · 10^-k
_plans: dict[tuple[str, str], tuple[int, int, int]] = {}


def plan(from_unit: str, to_unit: str) -> tuple[int, int, int] | None:
    """The integer form of ``exact_factor(from_unit, to_unit)``, or ``None`` when the library
    refuses the pair (the caller then lets ``convert`` raise its own located error)."""
    key = (from_unit, to_unit)
    found = _plans.get(key)
    if found is not None:
        return found
    from jxc_rules.units import exact_factor, parse_unit

    try:  # the same calls, in the same order, as convert's
        parse_unit(from_unit, "from_unit")
        parse_unit(to_unit, "to_unit")
        factor = exact_factor(from_unit, to_unit, field="from_unit")
    except Exception:
        return None
    p, q = factor.numerator, factor.denominator
    rest, twos, fives = split_twos_fives(q)
    k = max(twos, fives)
    made = (p * (10**k // (q // rest)), k, rest)
    if len(_plans) < _MAX_PLANS:
        _plans[key] = made
    return made


def _digits(value: object) -> tuple[int, int] | None:
    """``value`` as ``(m, e)`` with value = m·10^e, or ``None`` for the library's path."""
    if type(value) is int:
        return (value, 0) if -_MAX_INT < value < _MAX_INT else None
    if type(value) is not str or len(value) > _MAX_TEXT:
        return None
    match = _PLAIN.fullmatch(value.strip().replace("_", ""))
    if match is None:
        return None
    sign, whole, frac, exp = match.groups()
    frac = frac or ""
    if not whole and not frac:
        return None
    e = (int(exp) if exp else 0) - len(frac)
    if not -_MAX_EXP <= e <= _MAX_EXP:
        return None
    m = int(whole + frac)
    return (-m if sign == "-" else m), e


def _plain(c: int, x: int) -> str:
    """``str(Decimal)`` of the reduced decimal ``c·10^x`` (``x <= 0``, no trailing zeros when
    ``x < 0``): plain notation, or scientific below 1E-6 as ``Decimal`` writes it."""
    sign = "-" if c < 0 else ""
    s = str(-c if c < 0 else c)
    if x == 0:
        return sign + s
    n = len(s)
    adjusted = n - 1 + x
    if adjusted >= -6:
        if n > -x:
            return f"{sign}{s[:x]}.{s[x:]}"
        return f"{sign}0.{'0' * (-x - n)}{s}"
    return f"{sign}{s[0]}{'.' + s[1:] if n > 1 else ''}E{adjusted}"


def convert_str(value: object, from_unit: str, to_unit: str) -> str | None:
    """``str(convert(value, from_unit, to_unit))`` computed with integers, or ``None`` when the
    caller must call :func:`jxc_rules.units.convert` itself (see the module docstring).

    >>> convert_str("1020000", "g", "t"), convert_str(3, "斤", "kg"), convert_str("-0.5", "t", "g")
    ('1.02', '1.5', '-500000')
    >>> convert_str("1", "kg", "lb")  # does not terminate: the library's 40 digits
    '2.204622621848775807229738013450270338542'
    """
    made = _plans.get((from_unit, to_unit)) or plan(from_unit, to_unit)
    if made is None:
        return None
    # the common case inline ("1235", "-12.35"); every other spelling through _digits
    if type(value) is str and len(value) <= _MAX_TEXT and value.isascii():
        head, dot, frac = value.partition(".")
        if (head[1:] if head[:1] == "-" else head).isdigit() and (not dot or frac.isdigit()):
            m, e = int(head + frac), -len(frac)
        else:
            read = _digits(value)
            if read is None:
                return None
            m, e = read
    else:
        read = _digits(value)
        if read is None:
            return None
        m, e = read
    mult, k, rest = made
    c = m * mult
    x = e - k
    if c == 0:
        return "0"
    if rest == 1 or c % rest == 0:
        c //= rest
        if x > 0:
            c *= 10**x
            x = 0
        else:
            while x < 0 and c % 10 == 0:
                c //= 10
                x += 1
        if -_LIMIT < c < _LIMIT:
            return _plain(c, x)
        rest = 1
    # does not terminate, or longer than 34 digits: the library's own rules, on the same value
    from jxc_rules.units import _result_decimal

    exact = Fraction(c * 10**x, rest) if x >= 0 else Fraction(c, rest * 10**-x)
    return str(_result_decimal(exact))
