"""``jsonable``: the one way results become JSON and SQL values.

Every result of the library — attrs classes, ``Decimal`` money, ``Fraction`` quantities, pint
Quantities, numpy scalars and arrays, dates — turns into JSON-native values only:

=====================  ==================================================================
value                  becomes
=====================  ==================================================================
``Decimal``            its exact string, exponent kept: ``"12.350"``, ``"1E+3"``
``Fraction``           ``"n/d"``, or ``"n"`` when whole: ``"1/3"``, ``"12"``
Quantity               ``{"value": <the magnitude, as above>, "unit": "kg"}`` (pint's short
                       symbol, one spelling per unit); an array magnitude becomes a list
numpy scalar           a Python ``int`` / ``float`` / ``bool`` (``int64`` never a BLOB)
numpy array            nested lists of Python numbers (``ndarray.tolist``, no Python loop)
attrs / dataclass      a dict of its fields, each converted
mapping                a dict with string keys; tuples, lists and sets (sorted) → lists
date / datetime        ISO 8601 strings;  ``Enum`` → its value
=====================  ==================================================================

NaN and ±inf floats are refused (``ValidationError`` naming the path, e.g. ``lines[2].amount``)
unless ``allow_nan=True`` (then ``null``, which JSON can hold); an unknown type is refused naming
the path and the type. Strings parse back exactly (``Decimal(s)``, ``Fraction(s)``), so a value
survives ``json.dumps`` / ``json.loads`` and a SQL ``TEXT`` or ``INTEGER`` column unchanged.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import enum
import math
import sys
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs
import numpy as np

from jxc_rules.errors import ValidationError

__all__ = ["jsonable"]


def jsonable(obj: Any, *, allow_nan: bool = False) -> Any:
    """``obj`` as JSON-native values (dict, list, str, int, float, bool, None).

    Examples
    --------
    >>> from decimal import Decimal
    >>> from fractions import Fraction
    >>> import numpy as np
    >>> jsonable({"amount": Decimal("12.350"), "qty": Fraction(1, 3), "fen": np.int64(1235)})
    {'amount': '12.350', 'qty': '1/3', 'fen': 1235}
    >>> from jxc_rules import ship_plan
    >>> jsonable(ship_plan("12.35 t", "40 kg"))  # doctest: +NORMALIZE_WHITESPACE
    {'packs': 309, 'shipped': {'value': '12.36', 'unit': 't'},
     'residual': {'value': '-0.01', 'unit': 't'}}
    >>> jsonable([1.5, float("nan")])
    Traceback (most recent call last):
    ...
    jxc_rules.errors.ValidationError: value[1] must be a finite number (JSON has no NaN; \
pass allow_nan=True for null), got nan
    """
    return _convert(obj, "value", allow_nan)


def _float(value: float, path: str, allow_nan: bool) -> float | None:
    if math.isfinite(value):
        return value
    if allow_nan:
        return None
    raise ValidationError(f"{path} must be a finite number (JSON has no NaN; pass "
                          f"allow_nan=True for null), got {value!r}", field=path, value=value)


def _fraction(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else str(value)


def _array(arr: np.ndarray[Any, Any], path: str, allow_nan: bool) -> Any:
    kind = arr.dtype.kind
    if kind in "iub":
        return arr.tolist()
    if kind == "f":
        if not allow_nan and not np.isfinite(arr).all():
            bad = np.argwhere(~np.isfinite(arr))[0]
            where = path + "".join(f"[{int(i)}]" for i in bad)
            _float(float(arr[tuple(bad)]), where, allow_nan)
        out = arr.astype(object)
        if allow_nan:
            out[~np.isfinite(arr)] = None
        return out.tolist()
    return [_convert(x, f"{path}[{i}]", allow_nan) for i, x in enumerate(arr.tolist())]


def _unit(units: Any) -> str:
    try:
        return f"{units:~}" or str(units)
    except (TypeError, ValueError):  # pragma: no cover - a unit without a short form
        return str(units)


def _convert(obj: Any, path: str, allow_nan: bool) -> Any:
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return _float(obj, path, allow_nan)
    if isinstance(obj, Decimal):
        if not obj.is_finite():
            return _float(float(obj), path, allow_nan)
        return str(obj)
    if isinstance(obj, Fraction):
        return _fraction(obj)
    if isinstance(obj, np.generic):
        return _convert(obj.item(), path, allow_nan)
    if isinstance(obj, np.ndarray):
        return _array(obj, path, allow_nan)
    pint = sys.modules.get("pint")
    if pint is not None and isinstance(obj, pint.Quantity):
        return {"value": _convert(obj.magnitude, f"{path}.value", allow_nan),
                "unit": _unit(obj.units)}
    if attrs.has(type(obj)):
        return {f.name: _convert(getattr(obj, f.name), f"{path}.{f.name}", allow_nan)
                for f in attrs.fields(type(obj))}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _convert(getattr(obj, f.name), f"{path}.{f.name}", allow_nan)
                for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): _convert(v, f"{path}[{k!r}]", allow_nan) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_convert(v, f"{path}[{i}]", allow_nan) for i, v in enumerate(obj)]
    if isinstance(obj, (set, frozenset)):
        items = [_convert(v, f"{path}[{i}]", allow_nan) for i, v in enumerate(obj)]
        return sorted(items, key=repr)
    if isinstance(obj, enum.Enum):
        return _convert(obj.value, path, allow_nan)
    if isinstance(obj, (_dt.date, _dt.datetime, _dt.time)):
        return obj.isoformat()
    raise ValidationError(f"{path}: a {type(obj).__name__} has no JSON form here; convert it "
                          "first (jsonable knows attrs classes, Decimal, Fraction, Quantity, "
                          "numpy, dates)", field=path, value=type(obj).__name__)
