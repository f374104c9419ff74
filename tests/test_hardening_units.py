"""convert refuses NaN and infinity in arrays as it does in scalars (issue 21)."""

from __future__ import annotations

import numpy as np
import pytest

from jxc_rules import convert
from jxc_rules.errors import ValidationError


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_array_convert_refuses_non_finite_values_naming_the_row(bad: float) -> None:
    with pytest.raises(ValidationError, match="value") as info:
        convert(np.array([1.0, bad]), "kg", "g")
    assert info.value.row == 1


def test_scalar_and_array_convert_agree_on_refusing_nan() -> None:
    with pytest.raises(ValidationError):
        convert(float("nan"), "kg", "g")
    with pytest.raises(ValidationError):
        convert(np.array([float("nan")]), "kg", "g")


def test_finite_arrays_still_convert() -> None:
    assert convert(np.array([1.0, 2.5]), "kg", "g").tolist() == [1000.0, 2500.0]
