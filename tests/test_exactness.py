"""Exactness details an independent check found (#16): a step's written exponent does not depend
on its type, and a ship plan's identity shipped + residual == ordered holds exactly."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jxc_rules import allocate, convert, round_to, ship_plan
from jxc_rules.rounding import MODES

steps = st.sampled_from(["0.10", "0.50", "1.0", "10.00", "0.010", "5", "0.05", "2.500"])
values = st.decimals(-10**6, 10**6, places=4, allow_nan=False, allow_infinity=False)


def test_the_issue_examples() -> None:
    assert str(round_to(1, "0.10")) == str(round_to(1, Decimal("0.10"))) == "1.00"
    assert [str(p) for p in allocate(1, [1, 2], quantum="0.10")] == ["0.30", "0.70"]
    assert str(convert("1.234", "kg", "g", step="10.0")) == "1230.0"
    plan = ship_plan("10 dozen", "7 pcs", mode="down")
    assert Fraction(plan.shipped.magnitude) + Fraction(plan.residual.magnitude) == 10


@given(value=values, step=steps, mode=st.sampled_from(sorted(MODES)))
def test_a_step_string_and_its_decimal_give_the_same_written_result(
        value: Decimal, step: str, mode: str) -> None:
    a, b = round_to(value, step, mode), round_to(value, Decimal(step), mode)
    assert a.as_tuple() == b.as_tuple()
    assert a.as_tuple().exponent == Decimal(step).as_tuple().exponent


@given(total=st.integers(0, 10**6), weights=st.lists(st.integers(0, 50), min_size=1, max_size=6)
       .filter(any), quantum=st.sampled_from(["0.10", "0.01", "1.0"]))
def test_allocate_keeps_the_quantums_written_places(
        total: int, weights: list[int], quantum: str) -> None:
    parts = allocate(Decimal(total) * Decimal(quantum), weights, quantum=quantum)
    assert {p.as_tuple().exponent for p in parts} == {Decimal(quantum).as_tuple().exponent}
    assert parts == allocate(Decimal(total) * Decimal(quantum), weights, quantum=Decimal(quantum))


@given(ordered=st.integers(0, 10**5), ordered_unit=st.sampled_from(["dozen", "pcs", "gross"]),
       pack=st.integers(1, 997), pack_unit=st.sampled_from(["pcs", "dozen"]),
       mode=st.sampled_from(sorted(MODES)))
def test_shipped_plus_residual_is_the_order_exactly(
        ordered: int, ordered_unit: str, pack: int, pack_unit: str, mode: str) -> None:
    plan = ship_plan(f"{ordered} {ordered_unit}", f"{pack} {pack_unit}", mode=mode)
    total = Fraction(plan.shipped.magnitude) + Fraction(plan.residual.magnitude)
    assert total == ordered


@pytest.mark.parametrize("step", ["nan", "1e999999999", "-0.10", "0"])
def test_bad_written_steps_are_still_refused(step: str) -> None:
    from jxc_rules.errors import ValidationError

    with pytest.raises(ValidationError):
        round_to(1, step)
