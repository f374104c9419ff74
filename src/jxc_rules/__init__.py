"""jxc_rules — vertical-industry inventory rules for purchase–sales–inventory (进销存) systems.

The public names of the contract (``shared/API.md``) are re-exported here; each also lives in the
module that owns it. Kernels take numbers in the unit their parameter names give, or pint
Quantities of :data:`jxc_rules.units.ureg`; money is ``Decimal``.
"""

from jxc_rules import errors
from jxc_rules.errors import (
    BomCycleError,
    InsufficientStock,
    JxcRulesError,
    RulePackError,
    UnitError,
    ValidationError,
)
from jxc_rules.money import allocate
from jxc_rules.rounding import round_to
from jxc_rules.units import Q_, convert, ureg

# --- packaging (issue 4) ---
# isort: split
from jxc_rules.closing import (
    Journal,
    MonthEndClose,
    Opening,
    ProductClose,
    Receipt,
    Shipment,
    StockBook,
    StockCount,
    VarianceRow,
    close_month,
)
from jxc_rules.packaging import (
    CatchWeightLine,
    Invoice,
    InvoiceLine,
    Packaging,
    ProductProfile,
    ShipPlan,
    ShipPlanBatch,
    breakdown,
    catch_weight_line,
    invoice,
    line_amount,
    line_amounts_batch,
    ship_plan,
    ship_plan_batch,
)

# --- live_weight (issue 5) ---
# isort: split
from jxc_rules.live_weight import (
    LossValue,
    MortalityCurve,
    RateFit,
    Reconciliation,
    TransitModel,
    expected_weight,
    fit_rate,
    origin_weight,
    reconcile,
)

# --- shelf_life (issue 6) ---
# isort: split
from jxc_rules.shelf_life import (
    Q10,
    Arrhenius,
    Bigelow,
    HardLimit,
    RateTable,
    ShelfLifeRule,
    SquareRoot,
    assess_lots,
    equivalent_time,
    fefo_order,
    fit_shelf_life,
    remaining_life,
    shelf_life_at,
)

# --- wastage (issue 7) ---
# isort: split
from jxc_rules.wastage import (
    ChannelLoss,
    ChannelLossModel,
    blended_loss,
    gross_up,
    loss_to_markup,
    markup_to_loss,
)

# --- bom + reservation (issue 8) ---
# isort: split
from jxc_rules.bom import Bom, explode, max_buildable
from jxc_rules.reservation import Ledger, SqliteLedger, reserve_order

# --- rules (issue 9) ---
# isort: split
from jxc_rules.rules import (
    Change,
    HolidayRule,
    ReplenishmentPolicy,
    RulePack,
    WeatherRule,
    diff,
    dump_pack,
    load_pack,
    load_packs,
    select,
)

# --- simulate (issue 10) ---
# isort: split
from jxc_rules import simulate
from jxc_rules.simulate import (
    CompareResult,
    Scenario,
    SimulationResult,
    compare,
    load_scenario,
    run,
)

__version__ = "0.1.0"

__all__ = [
    "Q_",
    "BomCycleError",
    "InsufficientStock",
    "JxcRulesError",
    "RulePackError",
    "UnitError",
    "ValidationError",
    "__version__",
    "allocate",
    "convert",
    "errors",
    "round_to",
    "ureg",
    # --- __all__ packaging ---
    "CatchWeightLine",
    "Invoice",
    "InvoiceLine",
    "Packaging",
    "ProductProfile",
    "ShipPlan",
    "ShipPlanBatch",
    "breakdown",
    "catch_weight_line",
    "invoice",
    "line_amount",
    "line_amounts_batch",
    "ship_plan",
    "ship_plan_batch",
    "Journal",
    "MonthEndClose",
    "Opening",
    "ProductClose",
    "Receipt",
    "Shipment",
    "StockBook",
    "StockCount",
    "VarianceRow",
    "close_month",
    # --- __all__ live_weight ---
    "LossValue",
    "MortalityCurve",
    "RateFit",
    "Reconciliation",
    "TransitModel",
    "expected_weight",
    "fit_rate",
    "origin_weight",
    "reconcile",
    # --- __all__ shelf_life ---
    "Q10",
    "Arrhenius",
    "Bigelow",
    "HardLimit",
    "RateTable",
    "ShelfLifeRule",
    "SquareRoot",
    "assess_lots",
    "equivalent_time",
    "fefo_order",
    "fit_shelf_life",
    "remaining_life",
    "shelf_life_at",
    # --- __all__ wastage ---
    "ChannelLoss",
    "ChannelLossModel",
    "blended_loss",
    "gross_up",
    "loss_to_markup",
    "markup_to_loss",
    # --- __all__ bom + reservation ---
    "Bom",
    "Ledger",
    "SqliteLedger",
    "explode",
    "max_buildable",
    "reserve_order",
    # --- __all__ rules ---
    "Change",
    "HolidayRule",
    "ReplenishmentPolicy",
    "RulePack",
    "WeatherRule",
    "diff",
    "dump_pack",
    "load_pack",
    "load_packs",
    "select",
    # --- __all__ simulate ---
    "CompareResult",
    "Scenario",
    "SimulationResult",
    "compare",
    "load_scenario",
    "run",
    "simulate",
]
