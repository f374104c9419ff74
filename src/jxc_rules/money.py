"""Exact money: amounts on ``Decimal``, splits that never lose a fen.

Money is always :class:`decimal.Decimal` in yuan (元); a fen (分) is ``Decimal("0.01")``.
Inside batch paths money may travel as ``int64`` fen; :func:`to_fen` / :func:`from_fen` cross
that boundary.

``allocate`` is the *largest remainder* (Hamilton) method: each part first gets the floor of its
exact share in quanta, then the quanta still missing go one each to the parts with the largest
fractional remainders, ties to the earlier part. Parts therefore sum to the total exactly and each
is within one quantum of its exact share (Balinski & Young, *Fair Representation*, 2nd ed., 2001,
ch. 2).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from jxc_rules._internal.arrays import as_float_array, first_bad_row
from jxc_rules._internal.exact import decimal_from_int, to_fraction, written_decimal
from jxc_rules.errors import bad_value
from jxc_rules.rounding import round_to

__all__ = ["FEN", "allocate", "amount", "from_fen", "to_fen", "to_money", "whole_fen"]

FEN = Decimal("0.01")


def to_money(value: object, field: str = "amount") -> Decimal:
    """``value`` read exactly and rounded half-up to the fen.

    >>> to_money(35226)
    Decimal('35226.00')
    """
    return round_to(to_fraction(value, field), FEN, "half_up")


def amount(quantity: object, unit_price: object, *, mode: str = "half_up") -> Decimal:
    """``quantity × unit_price`` computed exactly, then rounded to the fen by ``mode``.

    >>> amount("12.36", 2850)
    Decimal('35226.00')
    """
    q = to_fraction(quantity, "quantity")
    p = to_fraction(unit_price, "unit_price")
    return round_to(q * p, FEN, mode)


def allocate(total: object, weights: Sequence[object], quantum: object = "0.01") -> list[Decimal]:
    """Split ``total`` in proportion to ``weights`` into multiples of ``quantum`` that sum to it.

    Parameters
    ----------
    total : int, str, Decimal, Fraction or float
        Must itself be a multiple of ``quantum``; may be negative (a discount).
    weights : sequence of non-negative numbers, not all zero
    quantum : the smallest unit of a part, ``"0.01"`` (one fen) by default.

    Examples
    --------
    >>> allocate("8.00", [1, 1, 1])
    [Decimal('2.67'), Decimal('2.67'), Decimal('2.66')]
    >>> allocate(100, [0, 3, 1], quantum=1)
    [Decimal('0'), Decimal('75'), Decimal('25')]
    """
    q_dec = written_decimal(quantum, "quantum")
    q = Fraction(q_dec)
    if q <= 0:
        raise bad_value("quantum", quantum, "a positive number")
    if not isinstance(quantum, Decimal) and q != to_fraction(quantum, "quantum"):
        raise bad_value("quantum", quantum, "a number with a finite decimal expansion")
    tot = to_fraction(total, "total")
    units_f = tot / q
    if units_f.denominator != 1:
        raise bad_value("total", total, f"a multiple of the quantum {q_dec}")
    units = int(units_f)
    if isinstance(weights, np.ndarray) and weights.ndim == 1:
        weights = weights.tolist()
    elif isinstance(weights, (str, bytes)) or not isinstance(weights, Sequence):
        raise bad_value("weights", weights, "a sequence of weights (a list, tuple or 1-D array)")
    if len(weights) == 0:
        raise bad_value("weights", list(weights), "a non-empty sequence")
    ws = [to_fraction(w, f"weights[{i}]") for i, w in enumerate(weights)]
    for i, w in enumerate(ws):
        if w < 0:
            raise bad_value(f"weights[{i}]", weights[i], "a non-negative weight")
    wsum = sum(ws, Fraction(0))
    if wsum == 0:
        raise bad_value("weights", list(weights), "weights that are not all zero")
    sign = -1 if units < 0 else 1
    n = abs(units)
    exact = [n * w / wsum for w in ws]
    base = [e.numerator // e.denominator for e in exact]
    missing = n - sum(base)
    order = sorted(range(len(ws)), key=lambda i: (-(exact[i] - base[i]), i))
    for i in order[:missing]:
        base[i] += 1
    _sign, digits, exponent = q_dec.as_tuple()
    assert isinstance(exponent, int)
    coefficient = int("".join(map(str, digits)))
    return [decimal_from_int(sign * b * coefficient, exponent) for b in base]


def whole_fen(value: object, field: str = "amount") -> int:
    """A non-negative money amount that must be whole fen, read exactly, as an ``int`` of fen.

    For document amounts (freight, an opening value) where a fraction of a fen is a typing
    error to report, not something to round away.

    >>> whole_fen("35226.00", "freight")
    3522600
    """
    exact = to_fraction(value, field)
    if exact < 0:
        raise bad_value(field, value, "an amount >= 0")
    fen = exact * 100
    if fen.denominator != 1:
        raise bad_value(field, value, "an amount in whole fen")
    return int(fen)


def to_fen(yuan: npt.ArrayLike, field: str = "yuan") -> npt.NDArray[np.int64]:
    """Yuan (float array, at most 2 decimals meant) to ``int64`` fen, half-up at the fen.

    NaN, infinities and amounts beyond 2**53 fen are refused (naming the first bad row), never
    cast to garbage.

    >>> to_fen([35226.0, 2.675, -0.015]).tolist()
    [3522600, 268, -2]
    """
    y = as_float_array(yuan, field)
    with np.errstate(over="ignore"):  # near the float maximum: inf, refused just below
        a = y * 100.0
    too_big = np.abs(a) >= 2.0**53
    if too_big.any():
        row = first_bad_row(too_big)
        raise bad_value(field, float(y[row]) if y.ndim else float(y),
                        "an amount below 2**53 fen", row=row if a.ndim else None)
    out: npt.NDArray[np.int64] = (np.sign(a) * np.floor(np.abs(np.round(a, 6)) + 0.5)).astype(
        np.int64
    )
    return out


def from_fen(fen: int) -> Decimal:
    """One ``int`` fen amount as ``Decimal`` yuan with two places.

    The amount must be a whole number of fen (an ``int``, a numpy integer, or an integral
    ``Decimal`` / ``Fraction`` / float): ``from_fen(1.9)`` is refused rather than truncated to
    ``0.01`` — round fractional fen first (``round_quotient``) if that is what is meant.

    >>> from_fen(3522600)
    Decimal('35226.00')
    >>> from_fen(1.9)
    Traceback (most recent call last):
    ...
    jxc_rules.errors.ValidationError: fen must be a whole number of fen (round it first, e.g. \
with rounding.round_quotient), got 1.9
    """
    if type(fen) is int:  # the common case: no conversion
        return decimal_from_int(fen, -2)
    if isinstance(fen, (str, bytes, np.ndarray)) or not isinstance(fen, (int, float, Decimal,
                                                                         Fraction, np.number)):
        raise bad_value("fen", fen, "an int amount of fen (one amount, not text or an array)")
    exact = to_fraction(fen, "fen")
    if exact.denominator != 1:
        raise bad_value("fen", fen, "a whole number of fen (round it first, e.g. with "
                        "rounding.round_quotient)")
    return decimal_from_int(exact.numerator, -2)
