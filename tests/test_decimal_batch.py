"""The integer fast path of a scalar conversion equals the library's ``convert`` exactly.

``convert_str(v, a, b)`` must be ``str(convert(v, a, b))`` whenever it answers, and must not
answer (``None``) whenever ``convert`` refuses, so that the caller's fallback to ``convert``
raises the library's own error naming its field.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from jxc_rules._internal.decimal_batch import _plain, convert_str
from jxc_rules._internal.exact import decimal_from_int
from jxc_rules.errors import JxcRulesError
from jxc_rules.units import convert

#: terminating and non-terminating factors, several dimensions, refused pairs and unknowns
UNITS = ["g", "kg", "t", "斤", "两", "钱", "mg", "μg", "lb", "oz", "ton", " kg ", "pcs",
         "dozen", "gross", "打", "个", "h", "min", "s", "d", "week", "L", "mL", "m**3", "km",
         "cm", "%", "1/h", "%/h", "", "furlongx", "kg/h", "g**2"]


def old(value: object, a: str, b: str) -> str | None:
    try:
        return str(convert(value, a, b))  # type: ignore[call-overload]
    except JxcRulesError:
        return None


def check(value: object, a: str, b: str) -> str | None:
    want = old(value, a, b)
    got = convert_str(value, a, b)
    if want is None:
        assert got is None, (value, a, b, got)
    else:
        assert got is None or got == want, (value, a, b, got, want)
    return got


digits = st.text("0123456789", min_size=1, max_size=40)
plain = st.builds(lambda s, i, f: f"{s}{i}.{f}" if f is not None else f"{s}{i}",
                  st.sampled_from(["", "-", "+"]), digits, st.none() | st.text("0123456789",
                                                                               max_size=40))
spelled = st.builds(
    lambda sign, i, f, e, pad: f"{pad}{sign}{i}{f}{e}{pad}",
    st.sampled_from(["", "-", "+"]), st.text("0123456789_", max_size=12),
    st.sampled_from(["", "."]) | st.text("0123456789", max_size=8).map(lambda t: "." + t),
    st.sampled_from(["", "e3", "E-7", "e+05", "e-999", "e999", "E1000", "e-1000", "e-994",
                     "e995", "e-2000", "e"]),
    st.sampled_from(["", " ", "\t", "\u3000"]))
odd = st.sampled_from(["1/3", "-2/7", " 3/4 ", "1e99999999999", "NaN", "-Infinity", "inf",
                       "", " ", "-", ".", "+.", "1..2", "1e", "١٢", "１２", "12.5.1", "0x10",
                       "1_000", "1__0", "_1", "1e-1001", "9" * 61, "0." + "0" * 59 + "1",
                       "-0", "-0.000", "0e5", "12²"])
values = (plain | spelled | odd | st.integers() |
          st.integers(min_value=-(10**45), max_value=10**45) |
          st.decimals(allow_nan=False, allow_infinity=False).map(str) |
          st.fractions().map(str) | st.floats(allow_nan=False, allow_infinity=False))
units = st.sampled_from(UNITS)


@settings(max_examples=3000, deadline=None)
@given(values, units, units)
@example("1", "kg", "lb")  # non-terminating: 40 digits, as the library
@example("1" * 34, "kg", "g")  # 37 digits: rounded to 34 by the library's rule
@example("0.0000001", "kg", "kg")  # scientific notation below 1E-6
@example("0.000001", "kg", "kg")
@example("-1.5e-900", "t", "mg")
@example("1e-1000", "kg", "g")  # at the library's exponent bound
@example("1.1e-1000", "kg", "g")  # beyond it: refused (written exponent -1001)
@example(10**40 - 1, "g", "kg")
@example(True, "kg", "g")  # a bool is refused
def test_fast_path_equals_convert(value: object, a: str, b: str) -> None:
    check(value, a, b)


@settings(max_examples=2000, deadline=None)
@given(plain, st.sampled_from(["g", "kg", "t", "斤", "两", "mg"]),
       st.sampled_from(["g", "kg", "t", "斤", "两", "mg"]))
def test_plain_decimals_between_decimal_units_take_the_fast_path(value: str, a: str,
                                                                 b: str) -> None:
    got = check(value, a, b)
    if len(value) <= 60:  # longer strings take the library's path
        assert got is not None  # the fast path answered itself: it is what the service runs


@settings(max_examples=500, deadline=None)
@given(st.integers(min_value=-(10**33), max_value=10**33), st.integers(-40, 0))
def test_plain_spells_a_decimal_as_decimal_does(c: int, x: int) -> None:
    while x < 0 and c % 10 == 0 and c:
        c //= 10
        x += 1
    want = str(decimal_from_int(c, x))  # as the library assembles its results
    assert (_plain(c, x) if c else "0") == want


@pytest.mark.parametrize(("value", "a", "b", "want"), [
    ("1020000", "g", "t", "1.02"), (3, "斤", "kg", "1.5"), ("-12.35", "t", "kg", "-12350"),
    ("0.000", "kg", "g", "0"), ("-0", "kg", "g", "0"), ("1", "mg", "t", "1E-9"),
    ("2.5", "kg", "kg", "2.5"), ("1e3", "g", "kg", "1"), ("123.4500", "kg", "g", "123450"),
])
def test_worked_examples(value: object, a: str, b: str, want: str) -> None:
    assert convert_str(value, a, b) == want == str(convert(value, a, b))  # type: ignore


def test_non_terminating_and_long_results_are_the_librarys() -> None:
    assert convert_str("1", "kg", "lb") == str(convert("1", "kg", "lb"))
    assert len(str(convert("1", "kg", "lb")).replace(".", "")) == 40
    long = "1234567890123456789012345678901234.5"
    assert convert_str(long, "kg", "g") == str(convert(long, "kg", "g"))
    assert Fraction(convert_str("7", "kg", "lb") or "0") != 0


def test_refused_inputs_are_left_to_the_library() -> None:
    for value, a, b in [("abc", "kg", "g"), ("1", "kg", "L"), ("1", "furlongx", "kg"),
                        ("1", "kg", "furlongx"), ("1e-1001", "kg", "g"), ("NaN", "kg", "g"),
                        (True, "kg", "g"), (1.5, "kg", "g"), ([1], "kg", "g")]:
        assert convert_str(value, a, b) is None
