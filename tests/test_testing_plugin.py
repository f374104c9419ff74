from __future__ import annotations

from types import ModuleType

import pint
from hypothesis import given

import jxc_rules.testing as jt
from jxc_rules.money import allocate


def test_plugin_fixtures_are_available(
    jxc_ureg: pint.UnitRegistry,  # type: ignore[type-arg]
    jxc_strategies: ModuleType,
) -> None:
    assert str(jxc_ureg.Unit("斤")) == "jin"
    assert jxc_strategies is jt


def test_every_public_strategy_is_exported() -> None:
    for name in jt.__all__:
        assert callable(getattr(jt, name))


@given(ws=jt.weight_vectors(), total=jt.money_amounts())
def test_strategies_produce_valid_allocate_input(ws: list[object], total: object) -> None:
    assert len(allocate(total, ws)) == len(ws)
