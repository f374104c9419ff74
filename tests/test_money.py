from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jxc_rules.errors import ValidationError
from jxc_rules.money import allocate, amount, from_fen, to_fen, to_money
from jxc_rules.testing import money_amounts, weight_vectors


def test_eight_euros_in_three_parts() -> None:
    assert allocate("8.00", [1, 1, 1]) == [Decimal("2.67"), Decimal("2.67"), Decimal("2.66")]


def test_parts_are_written_with_the_quantum_exponent() -> None:
    parts = allocate("0.10", [1, 1])
    assert [str(p) for p in parts] == ["0.05", "0.05"]


def test_negative_total_splits_symmetrically() -> None:
    assert allocate("-8.00", [1, 1, 1]) == [Decimal("-2.67"), Decimal("-2.67"), Decimal("-2.66")]


def test_zero_weight_parts_get_nothing() -> None:
    assert allocate("1.00", [0, 1, 0, 2]) == [
        Decimal("0.00"), Decimal("0.33"), Decimal("0.00"), Decimal("0.67")
    ]


def test_ties_go_to_the_earlier_part() -> None:
    assert allocate("0.01", [1, 1]) == [Decimal("0.01"), Decimal("0.00")]


@pytest.mark.parametrize(
    ("weights", "message"),
    [([], "non-empty"), ([0, 0], "not all zero"), ([1, -1], "non-negative"),
     ([1, float("nan")], "finite")],
)
def test_bad_weights_are_refused(weights: list[object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        allocate("1.00", weights)


def test_total_must_be_a_multiple_of_the_quantum() -> None:
    with pytest.raises(ValidationError, match="multiple of the quantum"):
        allocate("10.005", [1, 1])


def test_quantum_must_be_positive() -> None:
    with pytest.raises(ValidationError, match="quantum"):
        allocate("1.00", [1], quantum=0)


@given(total=money_amounts(-10**6, 10**6), weights=weight_vectors())
def test_parts_sum_exactly_and_stay_within_one_quantum(
    total: Decimal, weights: list[Decimal]
) -> None:
    parts = allocate(total, weights)
    assert sum(parts, Decimal(0)) == total
    wsum = sum(Fraction(w) for w in weights)
    for part, w in zip(parts, weights, strict=True):
        assert part == part.quantize(Decimal("0.01"))
        assert abs(Fraction(part) - Fraction(total) * Fraction(w) / wsum) < Fraction(1, 100)


@given(total=st.integers(0, 10**6), weights=weight_vectors(), q=st.sampled_from([1, 5, 144]))
def test_integer_quanta_conserve_counts(total: int, weights: list[Decimal], q: int) -> None:
    total -= total % q
    parts = allocate(total, weights, quantum=q)
    assert sum(parts) == total
    assert all(p % q == 0 for p in parts)


def test_amount_is_exact_then_rounded_half_up() -> None:
    assert amount("12.36", 2850) == Decimal("35226.00")
    assert amount("0.005", 1) == Decimal("0.01")
    assert to_money(2.675) == Decimal("2.68")


def test_fen_round_trip() -> None:
    fen = to_fen(np.array([35226.0, 2.675, -0.015, 0.1 + 0.2]))
    assert fen.tolist() == [3522600, 268, -2, 30]
    assert from_fen(int(fen[0])) == Decimal("35226.00")
