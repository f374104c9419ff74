"""``jsonable``: the one way results become JSON and SQL values.

Every result of the library — attrs classes, ``Decimal`` money, ``Fraction`` quantities, pint
Quantities, numpy scalars and arrays, dates — turns into JSON-native values only:

=====================  ==================================================================
value                  becomes
=====================  ==================================================================
``Decimal``            its exact string, exponent kept: ``"12.350"``, ``"1E+3"``
``Fraction``           ``"n/d"``, or ``"n"`` when whole: ``"1/3"``, ``"12"``
Quantity               ``{"value": "12.36", "unit": "t"}``: the magnitude as an exact string
                       (``repr`` for a float), the unit in pint's short symbol form (one
                       spelling per unit: ``"kg"``, ``"t"``, ``"袋"`` for our bag); an array
                       magnitude becomes a list of Python numbers
numpy scalar           a Python ``int`` / ``float`` / ``bool`` (``int64`` never a BLOB)
numpy array            nested lists of Python numbers (``ndarray.tolist``, no Python loop)
attrs / dataclass      a dict of its fields, each converted
mapping                a dict with string keys; tuples, lists and sets (sorted) → lists
date / datetime        ISO 8601 strings;  ``Enum`` → its value
=====================  ==================================================================

NaN and ±inf floats (and Decimal NaN/Infinity, numpy ``NaT``) are refused (``ValidationError``
naming the path, e.g. ``lines[2].amount``) unless ``allow_nan=True`` (then ``null``, which JSON can
hold); an unknown type, a cycle and two keys with the same string are refused naming the path.
Strings parse back exactly (``Decimal(s)``, ``Fraction(s)``), so a value survives ``json.dumps`` /
``json.loads`` and a SQL ``TEXT`` or ``INTEGER`` column unchanged.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import enum
import json
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

    Parameters
    ----------
    obj : Any
        A result of the library (attrs result classes, ``Decimal``, ``Fraction``, pint
        Quantities, numpy scalars and arrays) or any nesting of them in mappings, lists,
        tuples, sets and dataclasses.
    allow_nan : bool, default False
        Turn NaN and infinities into ``None`` (JSON ``null``) instead of refusing them.

    Returns
    -------
    Any
        Only ``dict`` (``str`` keys), ``list``, ``str``, ``int``, ``float``, ``bool`` and
        ``None``: ready for ``json.dumps`` and for SQL parameters (``INTEGER`` / ``TEXT``).

    Raises
    ------
    jxc_rules.errors.ValidationError
        A NaN or infinity (unless ``allow_nan``), a value of an unknown type, a cycle, or two
        mapping keys with the same string form; the message names the path
        (``lines[2].amount``).

    Notes
    -----
    A whole ``Fraction`` is spelled as an integer (``Fraction(3)`` → ``"3"``), which
    ``Fraction("3")`` reads back; a ``Decimal`` keeps its written exponent (``"12.350"``,
    ``"1E+3"``, ``"-0"``), so ``Decimal(s)`` gives back the same digits, not just the same value.
    Numeric arrays convert with ``ndarray.tolist`` (no Python loop per element).

    Examples
    --------
    >>> from decimal import Decimal
    >>> from fractions import Fraction
    >>> import numpy as np
    >>> jsonable({"amount": Decimal("12.350"), "qty": Fraction(1, 3), "fen": np.int64(1235)})
    {'amount': '12.350', 'qty': '1/3', 'fen': 1235}
    >>> jsonable({"packs": np.array([309, 25]), "whole": Fraction(3), "on": {2, 1}})
    {'packs': [309, 25], 'whole': '3', 'on': [1, 2]}
    >>> from jxc_rules import ship_plan
    >>> jsonable(ship_plan("12.35 t", "40 kg"))  # doctest: +NORMALIZE_WHITESPACE
    {'packs': 309, 'shipped': {'value': '12.36', 'unit': 't'},
     'residual': {'value': '-0.01', 'unit': 't'}}
    >>> jsonable({"lines": [1.0, 2.0, float("nan")]})
    Traceback (most recent call last):
    ...
    jxc_rules.errors.ValidationError: lines[2] must be a finite number (JSON has no NaN; \
pass allow_nan=True for null), got nan
    >>> jsonable([1.5, float("inf")], allow_nan=True)
    [1.5, None]
    """
    return _Converter(allow_nan).convert(obj, "")


def _where(path: str) -> str:
    return path if path and not path.startswith("[") else f"value{path}"


def _child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _fraction(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else str(value)


def _unit(units: Any) -> str:
    try:
        text = format(units, "~D")
    except (TypeError, ValueError, KeyError):  # pragma: no cover - a unit without a short form
        text = ""
    return text or str(units)


def _sort_key(item: Any) -> tuple[str, str]:
    return (type(item).__name__, repr(item))


class _Converter:
    """One conversion: the NaN policy and the containers on the current path (for cycles)."""

    def __init__(self, allow_nan: bool) -> None:
        self.allow_nan = allow_nan
        self.active: set[int] = set()

    def not_finite(self, value: object, path: str) -> None:
        if self.allow_nan:
            return None
        where = _where(path)
        raise ValidationError(f"{where} must be a finite number (JSON has no NaN; pass "
                              f"allow_nan=True for null), got {value!r}", field=where,
                              value=value)

    def refuse(self, path: str, obj: object, why: str) -> ValidationError:
        where = _where(path)
        return ValidationError(f"{where}: {why}", field=where, value=type(obj).__name__)

    def convert(self, obj: Any, path: str) -> Any:
        if obj is None or type(obj) is str or type(obj) is bool:
            return obj
        if isinstance(obj, enum.Enum):
            return self.convert(obj.value, path)
        if isinstance(obj, (bool, np.bool_)):
            return bool(obj)
        if isinstance(obj, str):
            return str.__str__(obj)
        if isinstance(obj, np.timedelta64):  # a numpy integer, but not a number of anything
            raise self.refuse(path, obj, "a timedelta64 has no JSON form here; convert it to a "
                              "number in a named unit first")
        if isinstance(obj, (int, np.integer)):
            return int(obj)
        if isinstance(obj, (float, np.floating)):
            if isinstance(obj, np.floating) and np.finfo(obj.dtype).bits > 64:
                raise self.refuse(path, obj, f"a {type(obj).__name__} has no exact JSON form; "
                                  "convert it to float64 or Decimal first")
            value = float(obj)
            return value if math.isfinite(value) else self.not_finite(value, path)
        if isinstance(obj, Decimal):
            return str(obj) if obj.is_finite() else self.not_finite(obj, path)
        if isinstance(obj, Fraction):
            return _fraction(obj)
        if isinstance(obj, np.ndarray):
            return self.array(obj, path)
        if isinstance(obj, np.datetime64):
            return self.array(np.asarray(obj), path)
        if isinstance(obj, np.generic):
            item = obj.item()
            if isinstance(item, np.generic):
                raise self.refuse(path, obj, f"a {type(obj).__name__} has no JSON form here")
            return self.convert(item, path)
        if isinstance(obj, (_dt.date, _dt.time)):  # datetime is a date
            return obj.isoformat()
        pint = sys.modules.get("pint")
        if pint is not None and isinstance(obj, pint.Quantity):
            return {"value": self.magnitude(obj.magnitude, _child(path, "value")),
                    "unit": _unit(obj.units)}
        return self.container(obj, path)

    def magnitude(self, value: Any, path: str) -> Any:
        if isinstance(value, np.ndarray):
            return self.array(value, path)
        if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
            return str(int(value))
        if isinstance(value, (float, np.floating)):
            out = self.convert(value, path)
            return None if out is None else repr(out)
        return self.convert(value, path)

    def container(self, obj: Any, path: str) -> Any:
        key = id(obj)
        if key in self.active:
            raise self.refuse(path, obj, f"a {type(obj).__name__} that contains itself")
        self.active.add(key)
        try:
            return self.fields(obj, path)
        finally:
            self.active.discard(key)

    def fields(self, obj: Any, path: str) -> Any:
        cls = type(obj)
        if attrs.has(cls):
            return {f.name: self.convert(getattr(obj, f.name), _child(path, f.name))
                    for f in attrs.fields(cls)}
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return {f.name: self.convert(getattr(obj, f.name), _child(path, f.name))
                    for f in dataclasses.fields(obj)}
        if isinstance(obj, Mapping):
            out: dict[str, Any] = {}
            for k, v in obj.items():
                name = self.key(k, path)
                if name in out:
                    raise self.refuse(path, obj, f"two keys spell {name!r} as a string")
                step = (_child(path, name) if name.isidentifier()
                        else f"{path}[{name!r}]")
                out[name] = self.convert(v, step)
            return out
        if isinstance(obj, (list, tuple)):
            return [self.convert(v, f"{path}[{i}]") for i, v in enumerate(obj)]
        if isinstance(obj, (set, frozenset)):
            try:
                items = sorted(obj)
            except TypeError:
                items = sorted(obj, key=_sort_key)
            return [self.convert(v, f"{path}[{i}]") for i, v in enumerate(items)]
        raise self.refuse(path, obj, f"a {type(obj).__name__} has no JSON form here; convert "
                          "it first (jsonable knows attrs classes, dataclasses, Decimal, "
                          "Fraction, Quantity, numpy, dates, Enum, mappings and sequences)")

    def key(self, key: Any, path: str) -> str:
        out = self.convert(key, f"{_where(path)} key {key!r}")
        if isinstance(out, str):
            return out
        if isinstance(out, (bool, int, float)) or out is None:
            return json.dumps(out)
        raise self.refuse(path, key, f"a key {key!r} has no string form (keys must be scalars)")

    def array(self, arr: np.ndarray[Any, Any], path: str) -> Any:
        kind = arr.dtype.kind
        if kind in "iubU":
            return arr.tolist()
        if kind == "f" and arr.dtype.itemsize <= 8:
            finite = np.isfinite(arr)
            if finite.all():
                return arr.tolist()
            if not self.allow_nan:
                bad = np.argwhere(~finite)[0]
                self.not_finite(float(arr[tuple(bad)]), path + "".join(f"[{int(i)}]"
                                                                       for i in bad))
            out = arr.astype(object)
            out[~finite] = None
            return out.tolist()
        if kind == "M":
            nat = np.isnat(arr)
            if nat.any() and not self.allow_nan:
                bad = np.argwhere(nat)[0]
                self.not_finite(arr[tuple(bad)], path + "".join(f"[{int(i)}]" for i in bad))
            if arr.ndim == 0:
                return None if nat else str(np.datetime_as_string(arr))
            text = np.datetime_as_string(arr).astype(object)
            text[nat] = None
            return text.tolist()
        if arr.ndim == 0:
            return self.convert(arr[()], path)
        return [self.convert(x, f"{path}[{i}]") for i, x in enumerate(arr)]
