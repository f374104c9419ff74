"""The shared array checks (#21): numbers only — no bools, text, complex numbers or datetimes
that numpy would quietly turn into floats — and strict broadcasting that repeats single values
only, naming the fields whose shapes disagree."""

from __future__ import annotations

import warnings
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from jxc_rules._internal.arrays import as_float_array, broadcast_arrays, require_numbers
from jxc_rules.errors import ValidationError


@pytest.mark.parametrize(("value", "what"), [
    (True, "a bool"),
    (np.bool_(False), "a bool"),
    ([1.0, True], "a bool"),
    ([[1.0], [np.True_]], "a bool"),
    (np.array([True, False]), "bools"),
    ("1000", "a string"),
    (np.str_("1"), "a string"),
    (b"1", "a string"),
    (bytearray(b"12"), "a string"),
    (memoryview(b"12"), "a string"),
    (["1", "2"], "a string"),
    (np.array(["1"]), "strings"),
    (np.array([b"1"]), "strings"),
    (np.array(["1", 2], dtype=object), "a string"),
    ([np.array(["1"])], "strings"),
    (1 + 2j, "a complex number"),
    (np.complex128(1), "a complex number"),
    (np.array([1 + 0j]), "complex numbers"),
    (np.datetime64("2026-01-01"), "a datetime or timedelta"),
    (np.array(["2026-01-01"], dtype="M8[D]"), "datetimes"),
    (np.array([3], dtype="m8[h]"), "timedeltas"),
    (np.zeros(2, dtype=[("kg", "f8")]), "structured records"),
])
def test_what_numpy_would_read_as_numbers_is_refused(value: object, what: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning on the way to the error
        with pytest.raises(ValidationError, match=rf"^initial_kg must be numbers \(not {what}"):
            as_float_array(value, "initial_kg")
        with pytest.raises(ValidationError, match="initial_kg must be numbers"):
            require_numbers(value, "initial_kg")


@pytest.mark.parametrize(("value", "expected"), [
    (3, 3.0),
    (2.5, 2.5),
    (np.int64(4), 4.0),
    (np.float32(0.5), 0.5),
    (Decimal("1.25"), 1.25),
    (Fraction(3, 2), 1.5),
    ([1, 2.5], [1.0, 2.5]),
    ([Decimal("1"), Fraction(1, 2)], [1.0, 0.5]),
    (np.array([Decimal("2")], dtype=object), [2.0]),
    (np.arange(3, dtype=np.uint8), [0.0, 1.0, 2.0]),
    (memoryview(np.array([1.0, 2.0])), [1.0, 2.0]),  # a buffer of floats is numbers
])
def test_numbers_of_every_kind_still_pass(value: object, expected: object) -> None:
    assert as_float_array(value, "hours").tolist() == expected


def test_strict_broadcasting_repeats_single_values_only() -> None:
    _, hours = broadcast_arrays(shipped_kg=np.array([1.0, 2.0]), hours=np.array(8.0))
    assert hours.tolist() == [8.0, 8.0]
    with pytest.raises(ValidationError) as err:
        broadcast_arrays(shipped_kg=np.ones(2), hours=np.array(8.0), received_kg=np.ones(1))
    # the fields whose shapes disagree, not the single values that were fine
    assert str(err.value).startswith("array shapes do not broadcast: shipped_kg(2,), "
                                     "received_kg(1,) (only single values are repeated")
    assert err.value.field == "shipped_kg,received_kg"
    with pytest.raises(ValidationError, match=r"a\(2, 1\), b\(3,\)"):
        broadcast_arrays(a=np.ones((2, 1)), b=np.ones(3))


def test_numpy_broadcasting_is_opt_in_and_still_names_the_fields() -> None:
    net, loss = broadcast_arrays(strict=False, net=np.ones((2, 3)), loss=np.ones(3))
    assert net.shape == loss.shape == (2, 3)
    with pytest.raises(ValidationError, match=r"^array shapes do not broadcast: net\(3,\), "
                                              r"loss\(2,\)$"):
        broadcast_arrays(strict=False, net=np.ones(3), loss=np.ones(2))
