"""Hypothesis strategies for property tests — ours and our users'.

Host systems import these to generate valid inputs for their own tests::

    from hypothesis import given
    from jxc_rules.testing import exact_decimals, weight_vectors

    @given(total=money_amounts(), weights=weight_vectors())
    def test_split_never_loses_a_fen(total, weights): ...

Importing this package registers a strategy for every public value type of jxc_rules with
``st.register_type_strategy`` (:func:`register_type_strategies`), so ``st.from_type(Bom)`` and
``st.builds`` on functions annotated with our types work.

Installing ``jxc-rules`` also registers a pytest plugin (entry point ``pytest11``) that provides
fixtures such as ``jxc_ureg`` and ``jxc_strategies``; it imports nothing heavy at pytest start
(see :mod:`jxc_rules.testing.plugin` and docs/testing.md).
"""

# Loaded on first use (PEP 562): the pytest plugin (jxc_rules.testing.plugin) lives in this
# package, so an eager __init__ would import hypothesis and every kernel into each pytest run
# of every host that installs jxc-rules.
from __future__ import annotations

import importlib.util
import sys
from typing import TYPE_CHECKING, Any

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
        shipment_arrays,
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

    # --- strategies calibrate ---
    # isort: split
    from jxc_rules.testing.calibrate import SalesExport, sales_exports

    # --- composite cases, boundaries, registration, profiles ---
    # isort: split
    from jxc_rules.testing.cases import (
        BomCase,
        Lot,
        LotCase,
        ReservationWorkload,
        bom_cases,
        cyclic_bom_mappings,
        lot_cases,
        reservation_workloads,
    )
    from jxc_rules.testing.profiles import load_profile, register_profiles
    from jxc_rules.testing.shelf_life import reading_arrays
    from jxc_rules.testing.strategies import PricedLine, pack_quantities, priced_lines
    from jxc_rules.testing.types import register_type_strategies

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
    "shipment_arrays": "jxc_rules.testing.live_weight",
    "shipments": "jxc_rules.testing.live_weight",
    "temperature_legs": "jxc_rules.testing.live_weight",
    "transit_models": "jxc_rules.testing.live_weight",
    "transit_rates": "jxc_rules.testing.live_weight",
    # --- lazy shelf_life ---
    "lot_logs": "jxc_rules.testing.shelf_life",
    "rate_models": "jxc_rules.testing.shelf_life",
    "shelf_life_rules": "jxc_rules.testing.shelf_life",
    "temperature_logs": "jxc_rules.testing.shelf_life",
    # --- lazy calibrate ---
    "SalesExport": "jxc_rules.testing.calibrate",
    "sales_exports": "jxc_rules.testing.calibrate",
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
    # --- lazy cases, boundaries, registration, profiles ---
    "BomCase": "jxc_rules.testing.cases",
    "Lot": "jxc_rules.testing.cases",
    "cyclic_bom_mappings": "jxc_rules.testing.cases",
    "LotCase": "jxc_rules.testing.cases",
    "ReservationWorkload": "jxc_rules.testing.cases",
    "bom_cases": "jxc_rules.testing.cases",
    "lot_cases": "jxc_rules.testing.cases",
    "reservation_workloads": "jxc_rules.testing.cases",
    "PricedLine": "jxc_rules.testing.strategies",
    "pack_quantities": "jxc_rules.testing.strategies",
    "priced_lines": "jxc_rules.testing.strategies",
    "reading_arrays": "jxc_rules.testing.shelf_life",
    "load_profile": "jxc_rules.testing.profiles",
    "register_profiles": "jxc_rules.testing.profiles",
    "register_type_strategies": "jxc_rules.testing.types",
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
    "shipment_arrays",
    "shipments",
    "temperature_legs",
    "transit_models",
    "transit_rates",
    # --- __all__ shelf_life ---
    "lot_logs",
    "rate_models",
    "shelf_life_rules",
    "temperature_logs",
    # --- __all__ calibrate ---
    "SalesExport",
    "sales_exports",
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
    # --- __all__ cases, boundaries, registration, profiles ---
    "BomCase",
    "Lot",
    "LotCase",
    "ReservationWorkload",
    "bom_cases",
    "cyclic_bom_mappings",
    "lot_cases",
    "reservation_workloads",
    "PricedLine",
    "pack_quantities",
    "priced_lines",
    "reading_arrays",
    "load_profile",
    "register_profiles",
    "register_type_strategies",
]

_lazy_getattr, __dir__ = lazy_exports("jxc_rules.testing", _LAZY)


def __getattr__(name: str) -> Any:
    """A public name, loaded on first use; the first use also registers the type strategies
    (which an import by pytest's plugin loader deferred)."""
    value = _lazy_getattr(name)
    if name != "register_type_strategies":
        from jxc_rules.testing.types import register_type_strategies

        register_type_strategies()
    return value


def _loaded_for_the_plugin() -> bool:
    """True while this package is imported on the way to ``jxc_rules.testing.plugin`` (pytest's
    ``pytest11`` entry point, ``-p``, or a plain import of the plugin module): then nothing
    heavy may load. Read from the import machinery's frames on the stack; False when unsure."""
    frame = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        if code.co_name in ("load_setuptools_entrypoints", "import_plugin"):
            return True
        if code.co_name == "_find_and_load" and frame.f_locals.get(
                "name") == "jxc_rules.testing.plugin":
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


if not _loaded_for_the_plugin() and importlib.util.find_spec("hypothesis") is not None:
    from jxc_rules.testing.types import register_type_strategies as _register

    _register()
