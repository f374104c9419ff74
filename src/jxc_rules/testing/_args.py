"""Argument checks for the public strategies: a bad argument raises hypothesis's
``InvalidArgument`` when the strategy is built (as hypothesis's own strategies do), naming the
parameter and what it expects — never a ``KeyError`` or ``StopIteration`` at draw time."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

T = TypeVar("T")


def fail(strategy: str, message: str) -> InvalidArgument:
    return InvalidArgument(f"{strategy}: {message}")


def check_int(strategy: str, name: str, value: object, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise fail(strategy, f"{name} must be an int >= {minimum}, got {value!r}")
    return value


def check_sizes(strategy: str, min_size: object, max_size: object, *, minimum: int = 0,
                names: tuple[str, str] = ("min_size", "max_size")) -> tuple[int, int]:
    lo = check_int(strategy, names[0], min_size, minimum)
    hi = check_int(strategy, names[1], max_size, minimum)
    if lo > hi:
        raise fail(strategy, f"{names[0]}={lo} is above {names[1]}={hi}")
    return lo, hi


def check_decimal(strategy: str, name: str, value: object) -> Decimal:
    try:
        if isinstance(value, (bool, float)):
            raise TypeError
        d = Decimal(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, InvalidOperation):
        raise fail(strategy, f"{name} must be an int, str or Decimal number, got {value!r}"
                   ) from None
    if not d.is_finite():
        raise fail(strategy, f"{name} must be finite, got {value!r}")
    return d


def check_range(strategy: str, low: Decimal, high: Decimal,
                names: tuple[str, str] = ("min_value", "max_value")) -> None:
    if low > high:
        raise fail(strategy, f"{names[0]}={low} is above {names[1]}={high}")


def check_fraction(strategy: str, name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise fail(strategy, f"{name} must be a number in [0, 1], got {value!r}")
    return float(value)


def check_float_range(strategy: str, low: object, high: object,
                      names: tuple[str, str]) -> tuple[float, float]:
    for name, v in zip(names, (low, high), strict=True):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v or v in (
                float("inf"), float("-inf")):
            raise fail(strategy, f"{name} must be a finite number, got {v!r}")
    lo, hi = float(low), float(high)  # type: ignore[arg-type]
    if lo > hi:
        raise fail(strategy, f"{names[0]}={lo} is above {names[1]}={hi}")
    return lo, hi


def check_choices(strategy: str, name: str, values: Iterable[T], allowed: Iterable[T],
                  *, non_empty: bool = True) -> tuple[T, ...]:
    try:
        chosen = tuple(values)
    except TypeError:
        raise fail(strategy, f"{name} must be a sequence, got {values!r}") from None
    ok = tuple(allowed)
    bad = [v for v in chosen if v not in ok]
    if bad:
        raise fail(strategy, f"{name} has {bad!r}; expected some of {ok!r}")
    if non_empty and not chosen:
        raise fail(strategy, f"{name} must name at least one of {ok!r}")
    return chosen


def check_choice(strategy: str, name: str, value: T, allowed: Iterable[T]) -> T:
    ok = tuple(allowed)
    if value not in ok:
        raise fail(strategy, f"{name}={value!r}; expected one of {ok!r}")
    return value


def as_strategy(strategy: str, name: str, value: Any) -> st.SearchStrategy[Any]:
    """A parameter that takes a strategy or a plain value (``st.just`` of it)."""
    if isinstance(value, st.SearchStrategy):
        return value
    if value is None:
        raise fail(strategy, f"{name} must be a value or a strategy, got None")
    return st.just(value)


F = TypeVar("F", bound=Callable[..., Any])


def checked(check: Callable[..., None]) -> Callable[[F], F]:
    """Run ``check(*args, **kwargs)`` when the strategy is built (before hypothesis draws),
    so a bad argument raises ``InvalidArgument`` at the call site."""
    def deco(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            check(*args, **kwargs)
            return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return deco
