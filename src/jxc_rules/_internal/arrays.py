"""Array checks at the boundary: one pass, first offending row named, nothing clipped."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from jxc_rules.errors import ValidationError, bad_value

__all__ = ["as_float_array", "broadcast_arrays", "first_bad_row"]


def first_bad_row(mask: npt.NDArray[np.bool_]) -> int | tuple[int, ...]:
    """Index (int for 1-D, tuple otherwise) of the first True in ``mask``."""
    idx = np.unravel_index(int(np.argmax(mask)), mask.shape)
    return int(idx[0]) if len(idx) == 1 else tuple(int(i) for i in idx)


_TEXT = (str, bytes, bool, np.bool_)


def _refuse_bools_and_text(values: Any, field: str) -> None:
    """``True`` is not one kilogram and ``"1000"`` is not a number: numpy would take both."""
    if isinstance(values, _TEXT):
        raise bad_value(field, values, "numbers (not a bool or a string)")
    if isinstance(values, np.ndarray):
        if values.dtype.kind in "bUS":
            raise bad_value(field, f"an array of {values.dtype}", "numbers (not bools or "
                            "strings)")
        if values.dtype.kind != "O":
            return
        items: Any = values.ravel().tolist()
    elif isinstance(values, (list, tuple)):
        items = values
    else:
        return
    stack = [items]
    while stack:  # nested lists: look at every leaf (lists are small; arrays took the fast path)
        for item in stack.pop():
            if isinstance(item, _TEXT):
                raise bad_value(field, item, "numbers (not a bool or a string)")
            if isinstance(item, (list, tuple)):
                stack.append(item)
            elif isinstance(item, np.ndarray) and item.dtype.kind in "bUSO":
                _refuse_bools_and_text(item, field)


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
    """``values`` as a float64 array, checked: finite (unless ``allow_nan``) and within bounds.

    The error names the field, the first offending row and its value.

    >>> as_float_array([1, 2], "hours").tolist()
    [1.0, 2.0]
    >>> as_float_array([1, -2], "hours", min_value=0)
    Traceback (most recent call last):
    ...
    jxc_rules.errors.ValidationError: hours must be >= 0, got -2.0 (row 1)
    """
    _refuse_bools_and_text(values, field)
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

    ``strict`` (the default): only scalars (0-d) broadcast; every other array must have the
    common shape — a length-1 list is never silently stretched over two shipments. With
    ``strict=False`` numpy's rules apply (for kernels documented to broadcast, e.g. trials ×
    items).
    """
    shapes = ", ".join(f"{k}{tuple(np.shape(v))}" for k, v in arrays.items())
    if strict:
        full = {np.shape(v) for v in arrays.values() if np.ndim(v) > 0}
        if len(full) > 1:
            raise ValidationError(
                f"array shapes do not broadcast: {shapes} (only single values are repeated; "
                "arrays must have one shape)", field=",".join(arrays))
    try:
        return list(np.broadcast_arrays(*arrays.values()))
    except ValueError:
        raise ValidationError(f"array shapes do not broadcast: {shapes}",
                              field=",".join(arrays)) from None
