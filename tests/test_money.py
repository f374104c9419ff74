from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal, localcontext
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jxc_rules.errors import ValidationError
from jxc_rules.money import allocate, amount, from_fen, to_fen, to_money, whole_fen
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


# --- review additions ---------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [[1.0, float("nan")], [1.0, float("-inf")], [1e20]])
def test_to_fen_refuses_non_finite_and_huge_amounts_naming_the_row(bad: list[float]) -> None:
    with pytest.raises(ValidationError, match=r"yuan must be .*\(row \d\)"):
        to_fen(np.array(bad))


def test_money_is_exact_whatever_the_callers_decimal_context() -> None:
    with localcontext() as ctx:
        ctx.prec = 3
        ctx.rounding = ROUND_FLOOR
        assert str(from_fen(3522600)) == "35226.00"
        assert [str(p) for p in allocate("35226.00", [1, 1, 1])] == ["11742.00"] * 3
        assert str(to_money("1234567.125")) == "1234567.13"
        assert str(amount("12.36", 2850)) == "35226.00"


def test_parts_keep_every_digit_beyond_28() -> None:
    total = Decimal("123456789012345678901234567890.00")
    parts = allocate(total, [1, 1])
    assert parts == [Decimal("61728394506172839450617283945.00")] * 2
    assert sum(Fraction(p) for p in parts) == Fraction(total)


def test_quantum_must_have_a_finite_decimal_expansion() -> None:
    with pytest.raises(ValidationError, match="finite decimal expansion"):
        allocate(1, [1, 2], quantum=Fraction(1, 3))


def test_whole_fen_refuses_fractions_of_a_fen_and_negatives() -> None:
    assert whole_fen("35226.00") == 3522600
    assert whole_fen(0.1) == 10
    with pytest.raises(ValidationError, match="whole fen"):
        whole_fen("1.001", "freight")
    with pytest.raises(ValidationError, match="freight must be an amount >= 0"):
        whole_fen("-1.00", "freight")
