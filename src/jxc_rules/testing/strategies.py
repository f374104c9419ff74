"""Foundation strategies: exact numbers, money, units, quantities, weight vectors.

Each is a function returning a ``SearchStrategy`` (so parameters can narrow it), built from
``st.builds`` / ``@st.composite`` like hypothesis's own.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pint
from hypothesis import strategies as st

from jxc_rules.rounding import MODES
from jxc_rules.units import Q_

__all__ = [
    "count_units",
    "exact_decimals",
    "exact_numbers",
    "mass_units",
    "money_amounts",
    "quantities",
    "rounding_modes",
    "steps",
    "weight_vectors",
]

MASS_UNITS = ("g", "kg", "t", "jin", "liang", "斤", "两", "公斤", "吨", "qian")
COUNT_UNITS = ("piece", "pcs", "个", "件", "dozen", "打", "gross")


def exact_decimals(
    min_value: int | str | Decimal = -10**6,
    max_value: int | str | Decimal = 10**6,
    places: int = 3,
) -> st.SearchStrategy[Decimal]:
    """Finite ``Decimal`` values with at most ``places`` decimal places."""
    return st.decimals(
        min_value=Decimal(min_value), max_value=Decimal(max_value), places=places,
        allow_nan=False, allow_infinity=False,
    )


def exact_numbers(
    min_value: int = -10**6, max_value: int = 10**6, places: int = 3
) -> st.SearchStrategy[int | str | Decimal | Fraction]:
    """Every exact input form the API accepts: int, decimal str, ``Decimal``, ``Fraction``."""
    decs = exact_decimals(min_value, max_value, places)
    return st.one_of(
        st.integers(min_value, max_value),
        decs,
        decs.map(str),
        decs.map(Fraction),
    )


def money_amounts(
    min_value: int | str = 0, max_value: int | str = 10**7
) -> st.SearchStrategy[Decimal]:
    """Yuan amounts with exactly two places (``Decimal('35226.00')``)."""
    return exact_decimals(min_value, max_value, places=2).map(
        lambda d: d.quantize(Decimal("0.01"))
    )


def rounding_modes() -> st.SearchStrategy[str]:
    """One of the seven rounding mode names."""
    return st.sampled_from(MODES)


def steps() -> st.SearchStrategy[Decimal]:
    """Rounding steps the trade uses: fen, jiao, whole units, 5, 12, 40, 144, and odd ones."""
    return st.one_of(
        st.sampled_from([Decimal(s) for s in ("0.01", "0.05", "0.1", "1", "5", "12", "40", "144")]),
        exact_decimals(Decimal("0.001"), 1000, places=3).filter(lambda d: d > 0),
    )


def weight_vectors(
    min_size: int = 1, max_size: int = 12, *, allow_zero: bool = True
) -> st.SearchStrategy[list[Decimal]]:
    """Non-negative weights, not all zero (valid input for :func:`jxc_rules.money.allocate`)."""
    low = 0 if allow_zero else Decimal("0.001")
    element = exact_decimals(low, 10**4, places=3)
    return st.lists(element, min_size=min_size, max_size=max_size).filter(
        lambda ws: any(w > 0 for w in ws)
    )


def mass_units() -> st.SearchStrategy[str]:
    """Mass unit names, Chinese market units included."""
    return st.sampled_from(MASS_UNITS)


def count_units() -> st.SearchStrategy[str]:
    """Count unit names (pieces, dozens, gross), Chinese names included."""
    return st.sampled_from(COUNT_UNITS)


def quantities(
    units: st.SearchStrategy[str] | None = None,
    magnitudes: st.SearchStrategy[Decimal] | None = None,
) -> st.SearchStrategy[pint.Quantity[Any]]:
    """Scalar ``Quantity`` values of :data:`jxc_rules.units.ureg` with exact ``Decimal``
    magnitudes (masses by default)."""
    return st.builds(
        Q_,
        magnitudes if magnitudes is not None else exact_decimals(0, 10**5, places=3),
        units if units is not None else mass_units(),
    )
