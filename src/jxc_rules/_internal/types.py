"""Type aliases of what public functions accept, so a type checker catches what fails at run time.

- :data:`ExactNumber` — a number read exactly (a float by its shortest repr): ``int``, ``str``
  (``"12.35"``), ``Decimal``, ``Fraction``, ``float``.
- :data:`QuantityText` — a quantity with its unit: a string pint parses (``"12.35 t"``,
  ``"3 斤"``) or a scalar ``pint.Quantity`` of any registry.
- :data:`QuantityLike` — a :data:`QuantityText` or an :data:`ExactNumber` read in a default unit
  the function names (``ship_plan``'s ``ordered`` in the pack's unit, say).

Imported only under ``TYPE_CHECKING`` by light modules where pint is not loaded yet at runtime.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any, TypeAlias

import pint

__all__ = ["ExactNumber", "QuantityLike", "QuantityText"]

ExactNumber: TypeAlias = int | str | Decimal | Fraction | float
QuantityText: TypeAlias = "str | pint.Quantity[Any]"
QuantityLike: TypeAlias = "QuantityText | ExactNumber"
