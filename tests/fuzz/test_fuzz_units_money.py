"""Fuzz: units, rounding, money and serialization — a result or a JxcRulesError, nothing else."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from jxc_rules import money, rounding, units
from jxc_rules.serialize import jsonable
from jxc_rules.testing import (
    count_units,
    exact_numbers,
    mass_units,
    money_amounts,
    quantities,
    rounding_modes,
    steps,
    weight_vectors,
)
from tests.fuzz._hostile import check, fuzz_settings, hostile, or_hostile, vectors

UNITS = st.one_of(mass_units(), count_units(),
                  st.sampled_from(["L", "m", "h", "d", "%", "1/h", "bag", "kg/h", "degC"]))
NUMBERS = st.one_of(exact_numbers(), st.floats(-1e6, 1e6), quantities())
MODES = st.one_of(rounding_modes(), st.sampled_from(["half-up", "HALF_UP", "四舍五入", "round"]))


@fuzz_settings(3)
@given(value=or_hostile(st.one_of(NUMBERS, vectors(st.floats(-1e6, 1e6)))),
       from_unit=or_hostile(UNITS), to_unit=or_hostile(UNITS),
       step=st.one_of(st.none(), or_hostile(steps())), mode=or_hostile(MODES, valid_weight=6))
def test_convert(value: Any, from_unit: Any, to_unit: Any, step: Any, mode: Any) -> None:
    check("units.convert", units.convert, value, from_unit, to_unit, step=step, mode=mode)


@fuzz_settings(2)
@given(value=or_hostile(st.one_of(NUMBERS, st.builds(lambda q: f"{q:~}", quantities()))),
       unit=or_hostile(UNITS), other=or_hostile(UNITS),
       which=st.sampled_from(["magnitude", "exact_magnitude", "exact_factor", "parse_quantity",
                              "parse_unit", "dimension_of", "unit_of", "check_dimension"]))
def test_unit_helpers(value: Any, unit: Any, other: Any, which: str) -> None:
    calls: dict[str, tuple[Any, ...]] = {
        "magnitude": (value, unit),
        "exact_magnitude": (value, unit),
        "exact_factor": (unit, other),
        "parse_quantity": (value,),
        "parse_unit": (unit,),
        "dimension_of": (unit,),
        "unit_of": (value,),
        "check_dimension": (unit, other if isinstance(other, str) else "mass"),
    }
    check(f"units.{which}", getattr(units, which), *calls[which])


@fuzz_settings(3)
@given(value=or_hostile(NUMBERS), step=or_hostile(steps()), mode=or_hostile(MODES))
def test_round_to(value: Any, step: Any, mode: Any) -> None:
    check("rounding.round_to", rounding.round_to, value, step, mode)


@fuzz_settings(2)
@given(values=vectors(st.floats(-1e9, 1e9)), step=or_hostile(st.floats(1e-3, 1e3)),
       num=or_hostile(st.one_of(st.integers(-10**6, 10**6), vectors(st.integers(-99, 99)))),
       den=or_hostile(st.integers(-50, 50)), frac=or_hostile(st.fractions()),
       mode=or_hostile(MODES),
       which=st.sampled_from(["round_array", "round_quotient", "round_fraction", "check_mode"]))
def test_rounding_helpers(values: Any, step: Any, num: Any, den: Any, frac: Any, mode: Any,
                          which: str) -> None:
    calls: dict[str, tuple[Any, ...]] = {
        "round_array": (values, step, mode),
        "round_quotient": (num, den, mode),
        "round_fraction": (frac, Fraction(1, 100) if isinstance(step, float) else step, mode),
        "check_mode": (mode,),
    }
    check(f"rounding.{which}", getattr(rounding, which), *calls[which])


@fuzz_settings(3)
@given(total=or_hostile(money_amounts()),
       weights=or_hostile(st.one_of(weight_vectors(), vectors(exact_numbers(0, 100)))),
       quantum=or_hostile(st.sampled_from(["0.01", "0.1", "1", Decimal("0.05"), 1])))
def test_allocate(total: Any, weights: Any, quantum: Any) -> None:
    check("money.allocate", money.allocate, total, weights, quantum)


@fuzz_settings(2)
@given(a=or_hostile(exact_numbers()), b=or_hostile(money_amounts()),
       yuan=vectors(st.floats(-1e9, 1e9)), fen=or_hostile(st.integers(-10**12, 10**12)),
       mode=or_hostile(MODES, valid_weight=6),
       which=st.sampled_from(["amount", "to_fen", "to_money", "whole_fen", "from_fen"]))
def test_money_helpers(a: Any, b: Any, yuan: Any, fen: Any, mode: Any, which: str) -> None:
    calls: dict[str, tuple[Any, ...]] = {
        "amount": (a, b, mode),
        "to_fen": (yuan,),
        "to_money": (a,),
        "whole_fen": (b,),
        "from_fen": (fen,),
    }
    args = calls[which]
    if which == "amount":
        check("money.amount", money.amount, *args[:2], mode=args[2])
    else:
        check(f"money.{which}", getattr(money, which), *args)


JSONABLE = st.recursive(
    st.one_of(hostile(), exact_numbers(), quantities(), st.text(max_size=5)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=3), inner, max_size=3),
                            st.lists(st.floats(), max_size=3).map(np.array)),
    max_leaves=8)


@fuzz_settings(2)
@given(obj=JSONABLE, allow_nan=st.booleans())
def test_jsonable(obj: Any, allow_nan: bool) -> None:
    check("serialize.jsonable", jsonable, obj, allow_nan=allow_nan)
