"""Hardening of live weight and wastage (#21): broadcasting only from scalars where documented,
no bools or strings as kilograms, shapes named, tolerance checked, no overflow warnings."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from jxc_rules.errors import ValidationError
from jxc_rules.live_weight import expected_weight, origin_weight, reconcile
from jxc_rules.wastage import blended_loss, gross_up


def test_a_length_one_list_is_not_broadcast_onto_two_shipments() -> None:
    with pytest.raises(ValidationError, match=r"shipped_kg\(2,\).*received_kg\(1,\)"):
        reconcile([1000, 2000], [975], 8, rate_per_hour=0.003)
    rec = reconcile([1000, 2000], 975, 8, rate_per_hour=0.003)  # a scalar still broadcasts
    assert rec.unexplained_kg.shape == (2,)


@pytest.mark.parametrize("bad", [True, [True, False], "1000", ["1000", "2000"], np.array(["1"])])
def test_bools_and_strings_are_not_kilograms(bad: object) -> None:
    with pytest.raises(ValidationError, match=r"shipped_kg must be (numbers|a mass quantity)"):
        reconcile(bad, [975, 1950], 8, rate_per_hour=0.003)
    with pytest.raises(ValidationError, match=r"initial_kg must be (numbers|a mass quantity)"):
        expected_weight(bad, 8, rate_per_hour=0.003)


def test_two_dimensional_shipments_are_refused() -> None:
    with pytest.raises(ValidationError, match=r"shipped_kg must be 1-D"):
        reconcile([[1000, 2000]], [[975, 1950]], 8, rate_per_hour=0.003)


@pytest.mark.parametrize("call", [
    lambda: expected_weight(1000, 8, rate_per_hour=0.003, temp_c=1e6, ref_temp_c=20, q10=3),
    lambda: origin_weight(900, 8, rate_per_hour=0.003, temp_c=1e6, ref_temp_c=20, q10=3),
    lambda: reconcile(1000, 900, 8, rate_per_hour=0.003, temp_c=1e6, ref_temp_c=20, q10=3),
])
def test_extreme_temperatures_raise_no_overflow_warning(call: object) -> None:
    assert callable(call)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a numpy RuntimeWarning would fail here
        with pytest.raises(ValidationError, match="scaled to temp_c must be below 1 per hour"):
            call()


def test_gross_up_shapes_that_do_not_broadcast_are_named() -> None:
    with pytest.raises(ValidationError, match=r"net\(3,\).*loss\(2,\)"):
        gross_up([1, 2, 3], [0.1, 0.2])
    assert gross_up(np.ones((2, 3)), np.array([0.5, 0.0, 0.0])).shape == (2, 3)


@pytest.mark.parametrize("tolerance", [float("nan"), -1.0, float("inf"), True, "0.1"])
def test_blended_loss_tolerance_must_be_a_finite_number_at_least_zero(tolerance: object) -> None:
    with pytest.raises(ValidationError, match="tolerance"):
        blended_loss({"dine_in": 0.7, "takeaway": 0.3}, {"dine_in": 0.04, "takeaway": 0.1},
                     tolerance=tolerance)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="tolerance"):
        blended_loss([[0.5, 0.5]], [0.02, 0.06], tolerance=tolerance)  # type: ignore[arg-type]


def test_blended_loss_with_a_nan_tolerance_no_longer_skips_the_share_check() -> None:
    with pytest.raises(ValidationError, match="sum to 1"):
        blended_loss({"dine_in": 0.9, "takeaway": 0.9}, {"dine_in": 0.04, "takeaway": 0.1})
