"""Hypothesis strategies for property tests — ours and our users'.

Host systems import these to generate valid inputs for their own tests::

    from hypothesis import given
    from jxc_rules.testing import exact_decimals, weight_vectors

    @given(total=money_amounts(), weights=weight_vectors())
    def test_split_never_loses_a_fen(total, weights): ...

Installing ``jxc-rules`` also registers a pytest plugin (entry point ``pytest11``) that provides
fixtures such as ``jxc_ureg`` and ``jxc_strategies``.
"""

# Loaded on first use (PEP 562): the pytest plugin (jxc_rules.testing.plugin) lives in this
# package, so an eager __init__ would import hypothesis and every kernel into each pytest run
# of every host that installs jxc-rules.
from __future__ import annotations

from typing import TYPE_CHECKING

from jxc_rules._internal.lazy import lazy_exports

if TYPE_CHECKING:  # the real imports, for type checkers and IDEs
    from jxc_rules.testing.strategies import (
        count_units,
        exact_decimals,
        exact_numbers,
        mass_units,
        money_amounts,
        quantities,
        rounding_modes,
        steps,
        weight_vectors,
    )

    # --- strategies packaging ---
    # isort: split
    from jxc_rules.testing.packaging import (
        MonthEndCase,
        month_end_cases,
        packagings,
        product_profiles,
    )

    # --- strategies live_weight ---
    # isort: split
    from jxc_rules.testing.live_weight import (
        decay_forms,
        mortality_curves,
        shipments,
        temperature_legs,
        transit_models,
        transit_rates,
    )

    # --- strategies shelf_life ---
    # isort: split
    from jxc_rules.testing.shelf_life import (
        lot_logs,
        rate_models,
        shelf_life_rules,
        temperature_logs,
    )

    # --- strategies wastage ---
    # isort: split
    from jxc_rules.testing.wastage import (
        channel_histories,
        channel_loss_models,
        channel_losses,
        channel_shares,
        loss_conventions,
        loss_rates,
    )

    # --- strategies bom + reservation ---
    # isort: split
    from jxc_rules.testing.bom import bom_mappings, bom_orders, boms, stock_levels

    # --- strategies rules ---
    # isort: split
    from jxc_rules.testing.rules import (
        holiday_rule_mappings,
        invalid_pack_mappings,
        numeric_mutations,
        rule_pack_mappings,
        rule_packs,
        weather_rule_mappings,
    )

    # --- strategies simulate ---
    # isort: split
    from jxc_rules.testing.simulate import scenario_mappings, sweep_specs

_LAZY: dict[str, str] = {
    "count_units": "jxc_rules.testing.strategies",
    "exact_decimals": "jxc_rules.testing.strategies",
    "exact_numbers": "jxc_rules.testing.strategies",
    "mass_units": "jxc_rules.testing.strategies",
    "money_amounts": "jxc_rules.testing.strategies",
    "quantities": "jxc_rules.testing.strategies",
    "rounding_modes": "jxc_rules.testing.strategies",
    "steps": "jxc_rules.testing.strategies",
    "weight_vectors": "jxc_rules.testing.strategies",
    # --- lazy packaging ---
    "MonthEndCase": "jxc_rules.testing.packaging",
    "month_end_cases": "jxc_rules.testing.packaging",
    "packagings": "jxc_rules.testing.packaging",
    "product_profiles": "jxc_rules.testing.packaging",
    # --- lazy live_weight ---
    "decay_forms": "jxc_rules.testing.live_weight",
    "mortality_curves": "jxc_rules.testing.live_weight",
    "shipments": "jxc_rules.testing.live_weight",
    "temperature_legs": "jxc_rules.testing.live_weight",
    "transit_models": "jxc_rules.testing.live_weight",
    "transit_rates": "jxc_rules.testing.live_weight",
    # --- lazy shelf_life ---
    "lot_logs": "jxc_rules.testing.shelf_life",
    "rate_models": "jxc_rules.testing.shelf_life",
    "shelf_life_rules": "jxc_rules.testing.shelf_life",
    "temperature_logs": "jxc_rules.testing.shelf_life",
    # --- lazy wastage ---
    "channel_histories": "jxc_rules.testing.wastage",
    "channel_loss_models": "jxc_rules.testing.wastage",
    "channel_losses": "jxc_rules.testing.wastage",
    "channel_shares": "jxc_rules.testing.wastage",
    "loss_conventions": "jxc_rules.testing.wastage",
    "loss_rates": "jxc_rules.testing.wastage",
    # --- lazy bom ---
    "bom_mappings": "jxc_rules.testing.bom",
    "bom_orders": "jxc_rules.testing.bom",
    "boms": "jxc_rules.testing.bom",
    "stock_levels": "jxc_rules.testing.bom",
    # --- lazy rules ---
    "holiday_rule_mappings": "jxc_rules.testing.rules",
    "invalid_pack_mappings": "jxc_rules.testing.rules",
    "numeric_mutations": "jxc_rules.testing.rules",
    "rule_pack_mappings": "jxc_rules.testing.rules",
    "rule_packs": "jxc_rules.testing.rules",
    "weather_rule_mappings": "jxc_rules.testing.rules",
    # --- lazy simulate ---
    "scenario_mappings": "jxc_rules.testing.simulate",
    "sweep_specs": "jxc_rules.testing.simulate",
}
"""Public name → the module that defines it."""

__all__ = [
    "count_units",
    "exact_decimals",
    "exact_numbers",
    "mass_units",
    "money_amounts",
    "quantities",
    "rounding_modes",
    "steps",
    "weight_vectors",
    # --- __all__ strategies (one marker line per kernel below) ---
    # --- __all__ packaging ---
    "MonthEndCase",
    "month_end_cases",
    "packagings",
    "product_profiles",
    # --- __all__ live_weight ---
    "decay_forms",
    "mortality_curves",
    "shipments",
    "temperature_legs",
    "transit_models",
    "transit_rates",
    # --- __all__ shelf_life ---
    "lot_logs",
    "rate_models",
    "shelf_life_rules",
    "temperature_logs",
    # --- __all__ wastage ---
    "channel_histories",
    "channel_loss_models",
    "channel_losses",
    "channel_shares",
    "loss_conventions",
    "loss_rates",
    # --- __all__ bom + reservation ---
    "bom_mappings",
    "bom_orders",
    "boms",
    "stock_levels",
    # --- __all__ rules ---
    "holiday_rule_mappings",
    "invalid_pack_mappings",
    "numeric_mutations",
    "rule_pack_mappings",
    "rule_packs",
    "weather_rule_mappings",
    # --- __all__ simulate ---
    "scenario_mappings",
    "sweep_specs",
]

__getattr__, __dir__ = lazy_exports("jxc_rules.testing", _LAZY)
