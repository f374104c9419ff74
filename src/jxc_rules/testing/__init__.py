"""Hypothesis strategies for property tests — ours and our users'.

Host systems import these to generate valid inputs for their own tests::

    from hypothesis import given
    from jxc_rules.testing import exact_decimals, weight_vectors

    @given(total=money_amounts(), weights=weight_vectors())
    def test_split_never_loses_a_fen(total, weights): ...

Installing ``jxc-rules`` also registers a pytest plugin (entry point ``pytest11``) that provides
fixtures such as ``jxc_ureg`` and ``jxc_strategies``.
"""

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
