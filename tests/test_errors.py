from __future__ import annotations

import pytest

from jxc_rules import errors
from jxc_rules.errors import (
    BomCycleError,
    InsufficientStock,
    JxcRulesError,
    RulePackError,
    SourceLocation,
    UnknownItemError,
    bad_value,
)


def test_every_error_is_a_jxc_error_and_a_builtin() -> None:
    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, Exception) and obj is not JxcRulesError:
            assert issubclass(obj, JxcRulesError)
            assert issubclass(obj, (ValueError, KeyError, RuntimeError)), name


def test_unknown_item_is_a_readable_key_error() -> None:
    err = UnknownItemError("unknown SKU 'bolt-m8'", key="bolt-m8")
    assert isinstance(err, KeyError)
    assert str(err) == "unknown SKU 'bolt-m8'"


def test_cycle_error_names_the_path() -> None:
    err = BomCycleError(["a", "b", "c"])
    assert "a -> b -> c -> a" in str(err)
    assert isinstance(err, ValueError)


def test_insufficient_stock_lists_shortages() -> None:
    err = InsufficientStock({"bolt": 3, "nut": 1}, context="order SO-1")
    assert err.shortages == {"bolt": 3, "nut": 1}
    assert str(err) == "order SO-1: insufficient stock (bolt: short 3, nut: short 1)"


def test_rule_pack_error_carries_file_line_and_field() -> None:
    loc = SourceLocation("industries/agri-inputs.yaml", 12, 5)
    err = RulePackError("bag size must be a mass, got '40 L'", location=loc, field="bag.size")
    assert str(err).startswith("industries/agri-inputs.yaml:12:5: ")
    assert err.errors == [err]


@pytest.mark.parametrize(
    ("row", "suffix"), [(None, ""), (3, " (row 3)"), ((1, 2), " (row (1, 2))")]
)
def test_bad_value_message_shape(row: int | tuple[int, ...] | None, suffix: str) -> None:
    err = bad_value("hours", -1, "a non-negative duration", row=row)
    assert str(err) == f"hours must be a non-negative duration, got -1{suffix}"
    assert err.field == "hours"
    assert err.value == -1
