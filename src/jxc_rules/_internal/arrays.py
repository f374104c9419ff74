"""Array checks at the boundary: one pass, first offending row named, nothing clipped."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from jxc_rules.errors import ValidationError, bad_value

__all__ = ["as_float_array", "broadcast_arrays", "first_bad_row", "name_list",
           "require_numbers", "scalar_float"]


def first_bad_row(mask: npt.NDArray[np.bool_]) -> int | tuple[int, ...]:
    """Index (int for 1-D, tuple otherwise) of the first True in ``mask``."""
    idx = np.unravel_index(int(np.argmax(mask)), mask.shape)
    return int(idx[0]) if len(idx) == 1 else tuple(int(i) for i in idx)


# what numpy would turn into floats without complaint, but is not a number of anything:
# True is not one kilogram, "1000" is text, 3+4j loses its imaginary part (a ComplexWarning),
# a datetime64 becomes days since 1970 and a timedelta64 a count in its own unit
_NOT_NUMBERS: tuple[tuple[tuple[type, ...], str], ...] = (
    ((bool, np.bool_), "a bool"),
    ((str, bytes, bytearray), "a string"),
    ((complex, np.complexfloating), "a complex number"),
    ((np.datetime64, np.timedelta64), "a datetime or timedelta: give plain numbers in the "
                                      "field's unit"),
)
_ALL_NOT_NUMBERS = tuple(t for types, _ in _NOT_NUMBERS for t in types)
_KIND_NAMES = {"b": "bools", "U": "strings", "S": "strings", "c": "complex numbers",
               "M": "datetimes: give plain numbers in the field's unit",
               "m": "timedeltas: give plain numbers in the field's unit",
               "V": "structured records"}


def _not_a_number(item: object, field: str) -> ValidationError:
    for types, what in _NOT_NUMBERS:
        if isinstance(item, types):
            return bad_value(field, item, f"numbers (not {what})")
    raise AssertionError(item)  # pragma: no cover - only called for _ALL_NOT_NUMBERS


def require_numbers(values: Any, field: str) -> None:
    """Refuse what numpy would silently read as numbers: bools, strings and bytes, complex
    numbers, datetimes and timedeltas — as scalars, array dtypes, or leaves of (nested) lists.

    Ints, floats, numpy numbers and exact scalars (``Decimal``, ``Fraction``) pass. The error
    names the field and says "numbers".

    >>> require_numbers([1, 2.5], "hours")
    >>> require_numbers([1, True], "initial_kg")
    Traceback (most recent call last):
    ...
    jxc_rules.errors.ValidationError: initial_kg must be numbers (not a bool), got True
    """
    if isinstance(values, _ALL_NOT_NUMBERS):
        raise _not_a_number(values, field)
    if isinstance(values, memoryview) and isinstance(values.obj, (bytes, bytearray)):
        raise bad_value(field, values, "numbers (not a string)")
    if isinstance(values, np.ndarray):
        kind = values.dtype.kind
        if kind in _KIND_NAMES:
            raise bad_value(field, f"an array of {values.dtype}",
                            f"numbers (not {_KIND_NAMES[kind]})")
        if kind != "O":
            return
        items: Any = values.ravel().tolist()
    elif isinstance(values, (list, tuple)):
        items = values
    else:
        return
    stack = [items]
    while stack:  # nested lists: look at every leaf (lists are small; arrays took the fast path)
        for item in stack.pop():
            if isinstance(item, _ALL_NOT_NUMBERS):
                raise _not_a_number(item, field)
            if isinstance(item, (list, tuple)):
                stack.append(item)
            elif isinstance(item, np.ndarray) and item.dtype.kind in "OUSbcMmV":
                require_numbers(item, field)


def as_float_array(
    values: Any,
    field: str,
    *,
    allow_nan: bool = False,
    min_value: float | None = None,
    max_value: float | None = None,
    min_inclusive: bool = True,
    max_inclusive: bool = True,
) -> npt.NDArray[np.float64]:
    """``values`` as a float64 array, checked: numbers (:func:`require_numbers`: no bools,
    strings, complex numbers or datetimes), finite (unless ``allow_nan``) and within bounds.

    The error names the field, the first offending row and its value.

    >>> as_float_array([1, 2], "hours").tolist()
    [1.0, 2.0]
    >>> as_float_array([1, -2], "hours", min_value=0)
    Traceback (most recent call last):
    ...
    jxc_rules.errors.ValidationError: hours must be >= 0, got -2.0 (row 1)
    """
    require_numbers(values, field)
    try:
        arr = np.asarray(values, dtype=np.float64)
    except OverflowError:
        raise bad_value(field, "a number beyond float range", "a finite number") from None
    except (TypeError, ValueError) as exc:
        raise bad_value(field, values, "numbers") from exc
    finite = np.isfinite(arr)
    if allow_nan:
        bad = np.isinf(arr)
        expected = "finite or NaN"
    else:
        bad = ~finite
        expected = "a finite number"
    if bad.any():
        row = first_bad_row(bad)
        raise bad_value(field, float(arr[row]), expected, row=row if arr.ndim else None)
    checks: list[tuple[npt.NDArray[np.bool_], str]] = []
    with np.errstate(invalid="ignore"):
        if min_value is not None:
            low = arr < min_value if min_inclusive else arr <= min_value
            checks.append((low & finite, (">= " if min_inclusive else "> ") + f"{min_value:g}"))
        if max_value is not None:
            high = arr > max_value if max_inclusive else arr >= max_value
            checks.append((high & finite, ("<= " if max_inclusive else "< ") + f"{max_value:g}"))
    for mask, expected in checks:
        if mask.any():
            row = first_bad_row(mask)
            raise bad_value(field, float(arr[row]), expected, row=row if arr.ndim else None)
    return arr


def broadcast_arrays(*, strict: bool = True,
                     **arrays: npt.NDArray[Any]) -> list[npt.NDArray[Any]]:
    """The arrays broadcast to one shape, or an error naming the fields and their shapes.

    ``strict`` (the default): only single values (0-d) repeat; every other array must have the
    one common shape — a length-1 list is never silently stretched over two shipments, and the
    error names just the fields whose shapes disagree. With ``strict=False`` numpy's rules apply
    (for kernels documented to broadcast, e.g. trials × items).

    >>> [a.tolist() for a in broadcast_arrays(shipped_kg=np.array([1.0, 2.0]),
    ...                                       hours=np.array(8.0))]
    [[1.0, 2.0], [8.0, 8.0]]
    >>> broadcast_arrays(kg=np.ones(2), hours=np.array(8.0), tol=np.ones(1))
    Traceback (most recent call last):
    ...
    jxc_rules.errors.ValidationError: array shapes do not broadcast: kg(2,), tol(1,) ...
    >>> broadcast_arrays(strict=False, net=np.ones((2, 3)), loss=np.ones(3))[1].shape
    (2, 3)
    """
    if strict:
        full = {k: np.shape(v) for k, v in arrays.items() if np.ndim(v) > 0}
        if len(set(full.values())) > 1:
            shapes = ", ".join(f"{k}{tuple(s)}" for k, s in full.items())
            raise ValidationError(
                f"array shapes do not broadcast: {shapes} (only single values are repeated; "
                "arrays must all have one shape)", field=",".join(full))
    try:
        return list(np.broadcast_arrays(*arrays.values()))
    except ValueError:
        shapes = ", ".join(f"{k}{tuple(np.shape(v))}" for k, v in arrays.items())
        raise ValidationError(f"array shapes do not broadcast: {shapes}",
                              field=",".join(arrays)) from None


def scalar_float(value: Any, field: str, expected: str = "a number", *,
                 allow_text: bool = False) -> float:
    """One number as a float, or a ``ValidationError`` naming ``field`` — never float()'s raw
    errors: bools, complex numbers, arrays of more than one value (a 0-d array is its value),
    ``Decimal('sNaN')``, objects that are not numbers and ints beyond float range (10**400)
    are refused. Text is read by ``float()`` only with ``allow_text``. NaN and infinities pass
    (the caller's range check decides).

    >>> scalar_float(np.array(2), "q10")
    2.0
    >>> scalar_float(10**400, "q10", "a number > 1")
    Traceback (most recent call last):
    ...
    jxc_rules.errors.ValidationError: q10 must be a number > 1 within float range \
(about 1.8e308), got 'an int of 401 digits'
    """
    if isinstance(value, np.ndarray):
        if value.ndim != 0 or value.dtype.kind not in "iuf":
            raise bad_value(field, value, f"{expected} (one value, not an array)")
        value = value.item()
    if isinstance(value, str) and allow_text:
        try:
            return float(value.strip())
        except ValueError:
            raise bad_value(field, value, expected) from None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, Decimal)):
        raise bad_value(field, value, expected)
    try:
        return float(value)
    except OverflowError:
        shown = f"an int of {len(str(abs(int(value))))} digits" if isinstance(
            value, numbers.Integral) else value
        raise bad_value(field, shown, f"{expected} within float range (about 1.8e308)"
                        ) from None
    except (TypeError, ValueError):  # Decimal('sNaN')
        raise bad_value(field, value, expected) from None


def name_list(value: Any, field: str, what: str = "names") -> tuple[Any, ...]:
    """A list of names (items, channels) as a tuple, refusing a lone string (``"abc"`` is not
    three items), a number, a mapping or an array that is not 1-D.

    >>> name_list(["beef", "tripe"], "items")
    ('beef', 'tripe')
    >>> name_list("beef", "items")
    Traceback (most recent call last):
    ...
    jxc_rules.errors.ValidationError: items must be a list of names (write ['beef'] for one), \
got 'beef'
    """
    if isinstance(value, np.ndarray):
        if value.ndim != 1:
            raise bad_value(field, value, f"a flat list of {what}")
        return tuple(value.tolist())
    if isinstance(value, (str, bytes)):
        raise bad_value(field, value, f"a list of {what} (write [{value!r}] for one)")
    if not isinstance(value, Sequence):
        raise bad_value(field, value, f"a list of {what}")
    return tuple(value)
