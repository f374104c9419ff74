"""Rounding to a step (0.01 yuan, whole pieces, cases of 144, 15-minute slots) in seven modes.

The modes are the ones ``decimal`` and every ERP use, named as strings everywhere:

===============  =======================================================  ===========
mode             meaning                                                  2.675 → 0.01
===============  =======================================================  ===========
``"up"``         away from zero                                           2.68
``"down"``       toward zero (truncate)                                   2.67
``"ceiling"``    toward +∞                                                2.68
``"floor"``      toward −∞                                                2.67
``"half_up"``    nearest, ties away from zero — 四舍五入, the default      2.68
``"half_even"``  nearest, ties to the even multiple (banker's rounding)   2.68
``"half_down"``  nearest, ties toward zero                                2.67
===============  =======================================================  ===========

``round_to`` works on exact rationals: the value is read exactly (floats by shortest repr), divided
by the step, the integer multiple chosen by the mode, and multiplied back. The result is a
``Decimal`` written with the step's exponent (``Decimal("2.68")``, not ``2.680000001``), built from
integers, so the caller's :func:`decimal.getcontext` (precision, rounding) never changes it. A step
must have a finite decimal expansion (``1/3`` is refused; :func:`round_fraction` takes any
rational).

``round_array`` is the vectorised float counterpart for batch paths; it snaps quotients to 9
decimal places first so binary dust (``2.675 / 0.01 = 267.49999999999997``) does not flip a tie.
"""

from __future__ import annotations

import difflib
import math
import numbers
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final, Literal, TypeAlias, overload

import numpy as np
import numpy.typing as npt

from jxc_rules._internal.arrays import first_bad_row, require_numbers
from jxc_rules._internal.exact import decimal_from_int, to_fraction, written_decimal
from jxc_rules.errors import bad_value

__all__ = [
    "MODES", "RoundingMode", "check_mode", "round_array", "round_fraction", "round_quotient",
    "round_to",
]

RoundingMode: TypeAlias = Literal[
    "up", "down", "ceiling", "floor", "half_up", "half_even", "half_down"
]
MODES: Final[tuple[str, ...]] = (
    "up", "down", "ceiling", "floor", "half_up", "half_even", "half_down"
)


def check_mode(mode: object, field: str = "mode") -> str:
    """Return ``mode`` if it is one of :data:`MODES`, else raise a ``ValidationError`` that lists
    the modes and suggests the nearest one.

    >>> check_mode("half-up", "rounding")
    Traceback (most recent call last):
    ...
    jxc_rules.errors.ValidationError: rounding must be one of 'up', 'down', 'ceiling', 'floor', \
'half_up', 'half_even', 'half_down' (did you mean 'half_up'?), got 'half-up'
    """
    if not isinstance(mode, str) or mode not in MODES:  # (an array would compare elementwise)
        close = difflib.get_close_matches(mode, MODES, n=1) if isinstance(mode, str) else []
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise bad_value(field, mode, "one of " + ", ".join(repr(m) for m in MODES) + hint)
    return str(mode)


def _round_quotient(q: Fraction, mode: str) -> int:
    """The integer that ``mode`` selects for the exact quotient ``q``."""
    floor = q.numerator // q.denominator
    if floor == q:
        return floor
    ceil = floor + 1
    if mode == "floor":
        return floor
    if mode == "ceiling":
        return ceil
    if mode == "down":
        return floor if q > 0 else ceil
    if mode == "up":
        return ceil if q > 0 else floor
    twice_frac = 2 * (q - floor)  # in (0, 2); 1 is a tie
    if twice_frac < 1:
        return floor
    if twice_frac > 1:
        return ceil
    if mode == "half_up":
        return ceil if q > 0 else floor
    if mode == "half_down":
        return floor if q > 0 else ceil
    return floor if floor % 2 == 0 else ceil  # half_even


@overload
def round_quotient(
    num: npt.NDArray[Any], den: Any = 1, mode: str = "half_up"
) -> npt.NDArray[Any]: ...
@overload
def round_quotient(num: int | Fraction, den: int | Fraction = 1, mode: str = "half_up") -> int: ...
def round_quotient(num: Any, den: Any = 1, mode: str = "half_up") -> Any:
    """The integer that ``mode`` selects for the exact quotient ``num / den``.

    The one integer-rounding primitive of the library. Scalars (``int`` or ``Fraction``) give an
    ``int``. Arrays of integers — ``int64`` for speed, or ``object`` arrays of Python ints where
    int64 could overflow — are rounded elementwise with integer arithmetic only (``den > 0``
    there), which is how batch paths in grams and fen stay exact.

    Examples
    --------
    >>> round_quotient(Fraction(535, 2)), round_quotient(-535, 2), round_quotient(7, 2, "half_even")
    (268, -268, 4)
    >>> round_quotient(np.array([5, -5, 7, 6]), 2, "half_even").tolist()
    [2, -2, 4, 3]
    """
    check_mode(mode)
    if not isinstance(num, np.ndarray) and not isinstance(den, np.ndarray):
        # exact reads (a float by its shortest repr); int(): a Fraction of numpy integers
        # keeps int64 parts, and int is what is documented
        d = to_fraction(den, "den")
        if d == 0:
            raise bad_value("den", den, "a non-zero number (the quotient num / den is rounded)")
        return int(_round_quotient(to_fraction(num, "num") / d, mode))
    _integer_array(num, "num")
    _integer_array(den, "den")
    if np.any(den <= 0):  # one vectorised pass; the floor-division identities need den > 0
        bad = np.asarray(den <= 0)
        raise bad_value("den", den if bad.ndim == 0 else den[first_bad_row(bad)],
                        "a positive integer on the array path (put the sign on num)",
                        row=first_bad_row(bad) if bad.ndim else None)
    try:
        np.broadcast_shapes(np.shape(num), np.shape(den))
    except ValueError:
        raise bad_value("den", f"an array of shape {np.shape(den)}",
                        f"a scalar or an array that broadcasts with num's {np.shape(num)}"
                        ) from None
    q: npt.NDArray[Any] = num // den  # floor division: int64 and Python-int (object) arrays
    r = num - q * den
    has_rest = r != 0
    if mode == "floor":
        return q
    if mode == "ceiling":
        return q + has_rest
    positive = num > 0
    if mode == "down":
        return q + (has_rest & ~positive)
    if mode == "up":
        return q + (has_rest & positive)
    twice = 2 * r
    above = twice > den
    tie = twice == den
    if mode == "half_up":
        up = above | (tie & positive)
    elif mode == "half_down":
        up = above | (tie & ~positive)
    else:  # half_even
        up = above | (tie & (q % 2 == 1))
    return q + up


def _integer_array(a: Any, field: str) -> None:
    """Refuse what the integer array path cannot round exactly: floats, bools, strings, complex
    (dtype checks, no pass over the data); an ``object`` array must hold Python/numpy ints
    (checked element by element: that path is elementwise Python arithmetic anyway)."""
    if not isinstance(a, np.ndarray):
        if isinstance(a, numbers.Integral) and not isinstance(a, (bool, np.bool_)):
            return
        raise bad_value(field, a, "an integer (num or den is an integer array: both are "
                        "integers; round floats with round_array)")
    kind = a.dtype.kind
    if kind in "iu":
        return
    if kind == "O":
        for k, item in enumerate(a.ravel().tolist()):
            if not isinstance(item, numbers.Integral) or isinstance(item, (bool, np.bool_)):
                raise bad_value(field, item, "integers (an object array of Python ints)",
                                row=k if a.ndim == 1 else None)
        return
    raise bad_value(field, f"an array of {a.dtype}", "an array of integers (int64, or object "
                    "of Python ints; round float arrays with round_array)")


def round_fraction(value: Fraction, step: Fraction, mode: str = "half_up") -> Fraction:
    """Exact core of :func:`round_to` on ``Fraction`` inputs: the multiple of ``step`` that
    ``mode`` selects for ``value``, for any rational step (``1/3`` too).

    ``value`` and ``step`` are read exactly (ints, Decimals and floats by their shortest repr
    pass too); ``step`` must be > 0 and ``mode`` one of :data:`MODES`.

    >>> round_fraction(Fraction(1, 3), Fraction(1, 100))
    Fraction(33, 100)
    """
    check_mode(mode)
    v = value if type(value) is Fraction else to_fraction(value, "value")
    st = step if type(step) is Fraction else to_fraction(step, "step")
    if st <= 0:
        raise bad_value("step", step, "a positive number")
    return _round_quotient(v / st, mode) * st


def round_to(value: object, step: object = 1, mode: str = "half_up") -> Decimal:
    """The multiple of ``step`` that ``mode`` selects for ``value``.

    Parameters
    ----------
    value : int, str, Decimal, Fraction or float
        Read exactly; a float by its shortest repr.
    step : same types, > 0
        0.01 for fen, 1 for whole pieces, 144 for a gross, ...
    mode : str
        One of :data:`MODES`; ``"half_up"`` (四舍五入) by default.

    Returns
    -------
    Decimal
        ``n × step`` for an integer ``n``, written with the step's exponent.

    Examples
    --------
    >>> round_to("2.675", "0.01")
    Decimal('2.68')
    >>> round_to(-2.675, "0.01")
    Decimal('-2.68')
    >>> round_to("8.175", "0.001", "up")
    Decimal('8.175')
    >>> round_to(361, 144, "floor")
    Decimal('288')
    """
    check_mode(mode)
    exact = to_fraction(value, "value")
    step_dec = written_decimal(step, "step")
    step_exact = Fraction(step_dec)
    if step_exact <= 0:
        raise bad_value("step", step, "a positive number")
    if not isinstance(step, Decimal) and step_exact != to_fraction(step, "step"):
        raise bad_value("step", step, "a number with a finite decimal expansion (round_fraction "
                        "rounds to any rational step)")
    n = _round_quotient(exact / step_exact, mode)
    _sign, digits, exponent = step_dec.as_tuple()
    assert isinstance(exponent, int)
    # n × step assembled from integers: exact whatever the caller's decimal context
    return decimal_from_int(n * int("".join(map(str, digits))), exponent)


def round_array(
    values: npt.ArrayLike, step: float = 1.0, mode: str = "half_up"
) -> npt.NDArray[np.float64]:
    """Vectorised :func:`round_to` for float arrays (batch paths); NaN stays NaN.

    Quotients ``values / step`` are snapped to 9 decimals before the mode applies, so float dust
    never turns an exact tie or an exact multiple into the neighbouring step.

    Examples
    --------
    >>> round_array([2.675, -2.675, 2.665], 0.01).tolist()
    [2.68, -2.68, 2.67]
    """
    check_mode(mode)
    step_f = _array_step(step)
    require_numbers(values, "values")  # a dtype check for arrays (no pass over the data)
    try:
        arr = np.asarray(values, dtype=np.float64)
    except OverflowError:
        raise bad_value("values", "a number beyond float range", "finite numbers or NaN"
                        ) from None
    except (TypeError, ValueError):  # ragged lists, objects that are not numbers
        raise bad_value("values", values, "numbers of one shape") from None
    infinite = np.isinf(arr)  # the one extra pass; overflow below is caught by the FPU flag
    if infinite.any():
        row = first_bad_row(np.asarray(infinite))
        raise bad_value("values", float(arr[row] if arr.ndim else arr), "finite numbers or NaN",
                        row=row if arr.ndim else None)
    try:
        with np.errstate(over="raise"):
            q = np.round(arr / step_f, 9)
    except FloatingPointError:  # a value near the float maximum over a small step
        with np.errstate(over="ignore"):
            raise _beyond_range(arr, np.isinf(arr / step_f), step_f,
                                "quotient by the step") from None
    fl = np.floor(q)
    if mode == "floor":
        n = fl
    elif mode == "ceiling":
        n = np.ceil(q)
    elif mode == "down":
        n = np.trunc(q)
    elif mode == "up":
        n = np.sign(q) * np.ceil(np.abs(q))
    else:
        a = np.abs(q)
        lo = np.floor(a)
        frac = a - lo
        if mode == "half_up":
            tie_up = np.ones_like(a, dtype=bool)
        elif mode == "half_down":
            tie_up = np.zeros_like(a, dtype=bool)
        else:  # half_even
            tie_up = (lo % 2) == 1
        up = (frac > 0.5) | ((frac == 0.5) & tie_up)
        n = np.sign(q) * (lo + up)
    try:
        with np.errstate(over="raise"):
            out: npt.NDArray[np.float64] = np.asarray(n * step_f, dtype=np.float64)
    except FloatingPointError:  # rounded up past the float maximum
        with np.errstate(over="ignore"):
            raise _beyond_range(arr, np.isinf(n * step_f), step_f,
                                "rounded multiple of the step") from None
    return out


def _beyond_range(arr: npt.NDArray[np.float64], bad: Any, step: float, what: str) -> Exception:
    """The error for round_array's first value whose ``what`` overflows (``bad``; the error
    path only: the check itself is the FPU's overflow flag, free on the fast path)."""
    bad = np.asarray(bad)
    row = first_bad_row(bad) if bad.ndim else None
    value = float(arr[row] if row is not None else arr)
    return bad_value("values", value, f"a value whose {what} {step:g} is within float range",
                     row=row)


def _array_step(step: object) -> float:
    """round_array's step as a positive finite float (ints, floats, Decimals, Fractions)."""
    require_numbers(step, "step")
    if isinstance(step, np.ndarray) or not isinstance(step, (numbers.Real, Decimal)):
        raise bad_value("step", step, "a positive number (one step for the whole array)")
    try:
        f = float(step)
    except (OverflowError, ValueError):
        raise bad_value("step", step, "a positive finite number") from None
    if not (math.isfinite(f) and f > 0):
        raise bad_value("step", step, "a positive finite number")
    return f
