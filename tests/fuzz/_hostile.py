"""Hostile values and the one contract of the fuzz harness (shared by every ``tests/fuzz`` test).

The contract: a public call returns a result, or raises a ``JxcRulesError`` whose message is not
empty — never another exception type, never a warning. :func:`check` runs one call under
``warnings.simplefilter("error")`` and turns anything else into an ``AssertionError`` naming the
target, the exception and the arguments (a one-line reproducer).

Strategies:

- :func:`hostile` — anything a caller might pass by mistake: NaN, ±inf, −0.0, 1e300, 10**400,
  bools, numeric and garbage strings, None, empty / ragged / 2-D / string / object arrays,
  ``Decimal('NaN')``, ``Fraction``, mappings, bytes, complex numbers;
- :func:`hostile_numbers`, :func:`hostile_strings`, :func:`hostile_arrays` — the families;
  :func:`hostile_keys` the hashable ones, for mapping keys;
- :func:`or_hostile` — a valid strategy, or (less often) a hostile value in its place;
- :func:`vectors` — 1-D data whose elements are valid or hostile, as lists or arrays.

Every target counts the inputs it tried and the contract failures it saw (:data:`TALLY`); the
folder's ``conftest.py`` appends one ``target,inputs,failures`` line per target to the file
named by ``JXC_FUZZ_LOG`` at the end of the session.

Triage: with ``JXC_FUZZ_COLLECT=FILE`` a violation is appended to ``FILE`` (target, exception,
message, reproducer; tab-separated) instead of failing the test, so one run lists every
distinct defect rather than the first one per test.

Budgets: :func:`fuzz_settings` scales the loaded hypothesis profile (``ci`` 40 examples,
``dev`` 100, ``thorough`` 2000) by a per-target factor, so ``HYPOTHESIS_PROFILE=thorough`` runs
the whole harness fifty times longer than CI without editing a test.
"""

from __future__ import annotations

import math
import os
import warnings
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from jxc_rules.errors import JxcRulesError

__all__ = [
    "TALLY",
    "ContractViolation",
    "Tally",
    "check",
    "fuzz_settings",
    "hostile",
    "hostile_arrays",
    "hostile_keys",
    "hostile_numbers",
    "hostile_strings",
    "or_hostile",
    "vectors",
]


# ------------------------------------------------------------------ the hostile values

HOSTILE_NUMBERS: list[Any] = [
    math.nan, -math.nan, math.inf, -math.inf, -0.0, 0.0, 5e-324, 1e300, -1e300, 1e308,
    10**400, -(10**400), 2**63, -(2**63) - 1, 2**64, True, False, -1, 0, 1,
    Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("-Infinity"), Decimal("-0"),
    Decimal("1E+400"), Decimal("1E-400"), Decimal("-1"), Fraction(1, 3), Fraction(-7, 2),
    Fraction(10**400, 3), np.float64("nan"), np.float32(1e38), np.int64(-1), np.bool_(True),
    np.float64(-0.0), complex(1, 2),
]
HOSTILE_STRINGS: list[str] = [
    "", " ", "0", "12", "-1", "1e999999999", "1e-999999999", "nan", "NaN", "inf", "-inf",
    "12.5 kg", "40 L", "kg", "1/0", "0x10", "1_000", "１２", "五", "12,5", "abc", "None",
    "\x00", "a\x00b", "🐟", "kg/0", "**", "(", "1e309 kg", "10 % ", "%", "斤", "-0",
]
HOSTILE_OTHER: list[Any] = [
    None, [], (), {}, {"a": 1}, set(), b"12", bytearray(b"1"), object(), Ellipsis,
    [None], [math.nan], [math.inf, 1.0], [[1, 2], [3]], [[1.0, 2.0], [3.0, 4.0]], [[]],
    [1, "2", 3], ["a", "b"], [True, False], [10**400], [Decimal("NaN")], [{"a": 1}],
]


def _arrays() -> list[Any]:
    return [
        np.array([]), np.zeros((0, 3)), np.array([[1.0, 2.0], [3.0, 4.0]]), np.zeros((2, 2, 2)),
        np.array(["1", "2"]), np.array([1, "a"], dtype=object), np.array([True, False]),
        np.array([math.nan, 1.0]), np.array([math.inf]), np.array([-0.0, 0.0]),
        np.array(5.0), np.array(math.nan), np.array([1e308, 1e308]), np.array([2**62] * 3),
        np.array([1 + 2j]), np.ma.masked_array([1.0, 2.0], mask=[True, False]),
        np.array([Decimal("1.5"), Fraction(1, 3)], dtype=object),
        np.array([None, None], dtype=object), np.arange(3, dtype=np.uint8),
    ]


def hostile_numbers() -> st.SearchStrategy[Any]:
    """Special and extreme numbers of every numeric type the library may meet."""
    return st.one_of(
        st.sampled_from(HOSTILE_NUMBERS),
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(min_value=-(10**400), max_value=10**400),
        st.decimals(allow_nan=True, allow_infinity=True),
        st.fractions(max_denominator=10**6),
    )


def hostile_strings() -> st.SearchStrategy[str]:
    """Numeric-looking, unit-looking and garbage text."""
    return st.one_of(st.sampled_from(HOSTILE_STRINGS), st.text(max_size=12))


def hostile_arrays() -> st.SearchStrategy[Any]:
    """Empty, 2-D, ragged, string, object, bool, complex, masked and 0-d arrays and lists."""
    return st.one_of(st.sampled_from(_arrays()), st.sampled_from(HOSTILE_OTHER))


def hostile_keys() -> st.SearchStrategy[Any]:
    """Hostile mapping keys (hashable): odd strings, numbers, None, bools, tuples."""
    return st.one_of(hostile_strings(), st.sampled_from(
        [None, True, 0, -1, 1.5, math.nan, Decimal("NaN"), Fraction(1, 3), (), ("a",), b"k"]))


def hostile() -> st.SearchStrategy[Any]:
    """Any hostile value (numbers, strings, arrays, None, mappings, bytes, objects)."""
    return st.one_of(hostile_numbers(), hostile_strings(), hostile_arrays())


def or_hostile(valid: st.SearchStrategy[Any], *, hostile_weight: int = 1,
               valid_weight: int = 2) -> st.SearchStrategy[Any]:
    """``valid`` most of the time (``valid_weight`` : ``hostile_weight``), else a hostile value.

    Several arguments each drawn this way give calls with one bad argument among good ones,
    which reach deeper into a kernel than all-garbage calls.
    """
    return st.integers(0, valid_weight + hostile_weight - 1).flatmap(
        lambda k: valid if k < valid_weight else hostile())


def vectors(valid_element: st.SearchStrategy[Any], *, min_size: int = 0, max_size: int = 6,
            ) -> st.SearchStrategy[Any]:
    """1-D data: lists of valid elements with the odd hostile one, as a list or an array."""
    elements = or_hostile(valid_element, valid_weight=6)
    lists = st.lists(elements, min_size=min_size, max_size=max_size)
    return st.one_of(lists, lists.map(_as_array), hostile_arrays())


def _as_array(values: list[Any]) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.asarray(values)
    except (ValueError, TypeError, OverflowError):
        pass
    out = np.empty(len(values), dtype=object)  # ragged: a 1-d array of the elements as they are
    for i, value in enumerate(values):
        out[i] = value
    return out


# ------------------------------------------------------------------ the contract


class ContractViolation(AssertionError):
    """A public call raised something other than a ``JxcRulesError`` with a message."""


class Tally:
    """Inputs tried and contract failures seen, per target (for the ``JXC_FUZZ_LOG`` run log)."""

    def __init__(self) -> None:
        self.inputs: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()

    def count(self, target: str, *, inputs: int = 1, failures: int = 0) -> None:
        self.inputs[target] += inputs
        self.failures[target] += failures

    def lines(self) -> list[str]:
        return [f"{t},{self.inputs[t]},{self.failures[t]}" for t in sorted(self.inputs)]

    def write(self, path: str | None = None) -> None:
        """Append ``target,inputs,failures`` lines to ``path`` (default: ``$JXC_FUZZ_LOG``)."""
        path = path if path is not None else os.environ.get("JXC_FUZZ_LOG")
        if not path or not self.inputs:
            return
        with open(path, "a", encoding="utf-8") as fh:
            fh.writelines(line + "\n" for line in self.lines())
        self.inputs.clear()
        self.failures.clear()


TALLY = Tally()


def _short(value: Any, limit: int = 240) -> str:
    try:
        text = repr(value)
    except Exception as exc:  # a value whose repr fails is itself worth naming
        text = f"<unrepresentable {type(value).__name__}: {type(exc).__name__}>"
    text = text.replace("\n", " ")  # multi-line reprs (arrays) on one line; spaces kept
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check(target: str, fn: Callable[..., Any], *args: Any, known: bool = True,
          **kwargs: Any) -> Any:
    """Call ``fn(*args, **kwargs)`` under the contract; return its result or its JxcRulesError.

    Anything else (another exception, a warning turned into one, an empty message) raises
    :class:`ContractViolation` with a one-line reproducer — unless it is a defect already
    recorded in :mod:`tests.fuzz._defects` for this target (same exception type and message),
    which is counted on its own log row and returned; ``known=False`` refuses those too (the
    strict-xfail reproducers use it).
    """
    TALLY.count(target)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                return fn(*args, **kwargs)
            except JxcRulesError as exc:
                if not str(exc).strip():
                    raise ContractViolation(
                        f"{target}: {type(exc).__name__} without a message") from exc
                return exc
    except ContractViolation:
        TALLY.count(target, inputs=0, failures=1)
        raise
    except Exception as exc:
        if known:
            from tests.fuzz._defects import known_defect

            defect = known_defect(target, exc)
            if defect is not None:  # recorded, with its xfail reproducer in test_fuzz_defects
                TALLY.count(f"defect:{defect.id}", failures=1)
                return exc
        TALLY.count(target, inputs=0, failures=1)
        call = ", ".join([*(_short(a) for a in args),
                          *(f"{k}={_short(v)}" for k, v in kwargs.items())])
        name = getattr(fn, "__qualname__", repr(fn))
        kind = f"{type(exc).__module__}.{type(exc).__name__}"
        collect = os.environ.get("JXC_FUZZ_COLLECT")
        if collect and known:  # triage: record every violation in full, keep fuzzing
            full = ", ".join([*(_short(a, 20_000) for a in args),
                              *(f"{k}={_short(v, 20_000)}" for k, v in kwargs.items())])
            with open(collect, "a", encoding="utf-8") as fh:
                fh.write(f"{target}\t{kind}\t{_short(str(exc), 120)}\t{name}({full})\n")
            return exc
        raise ContractViolation(
            f"{target}: {kind}: {_short(str(exc), 300)}\n"
            f"    reproducer: {name}({call})") from exc


def fuzz_settings(factor: float = 1.0, **overrides: Any) -> settings:
    """The loaded profile's example budget times ``factor``; no deadline, no health checks."""
    base = settings.default.max_examples
    return settings(
        max_examples=max(5, round(base * factor)), deadline=None,
        suppress_health_check=list(HealthCheck), **overrides)
