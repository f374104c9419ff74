"""Every name that shared/API.md fixes is importable from its module and from ``jxc_rules``."""

from __future__ import annotations

import importlib

import pytest

import jxc_rules

CONTRACT = {
    "jxc_rules.rounding": ["round_to"],
    "jxc_rules.money": ["allocate"],
    "jxc_rules.units": ["ureg", "convert"],
    "jxc_rules.packaging": ["Packaging", "breakdown", "ship_plan", "line_amount"],
    "jxc_rules.live_weight": ["expected_weight", "reconcile"],
    "jxc_rules.shelf_life": [
        "Q10", "Arrhenius", "SquareRoot", "shelf_life_at", "equivalent_time", "remaining_life",
    ],
    "jxc_rules.wastage": ["gross_up", "blended_loss"],
    "jxc_rules.bom": ["Bom", "explode", "max_buildable"],
    "jxc_rules.reservation": ["Ledger", "SqliteLedger"],
    "jxc_rules.rules": ["load_pack", "diff"],
    "jxc_rules.simulate": ["load_scenario", "run", "compare"],
    "jxc_rules.errors": ["JxcRulesError", "BomCycleError", "InsufficientStock", "RulePackError",
                         "UnitError"],
}


@pytest.mark.parametrize(
    ("module", "name"), [(m, n) for m, names in CONTRACT.items() for n in names]
)
def test_contract_name_is_importable_from_its_module_and_the_package(
    module: str, name: str
) -> None:
    obj = getattr(importlib.import_module(module), name)
    assert getattr(jxc_rules, name) is obj
    assert name in jxc_rules.__all__


def test_all_lists_only_existing_names() -> None:
    missing = [n for n in jxc_rules.__all__ if not hasattr(jxc_rules, n)]
    assert missing == []
    dupes = sorted({n for n in jxc_rules.__all__ if jxc_rules.__all__.count(n) > 1})
    assert dupes == []


def test_errors_are_catchable_as_builtins() -> None:
    assert issubclass(jxc_rules.UnitError, ValueError)
    assert issubclass(jxc_rules.BomCycleError, ValueError)
    assert issubclass(jxc_rules.RulePackError, ValueError)
    assert issubclass(jxc_rules.InsufficientStock, jxc_rules.JxcRulesError)
