"""Temperature-dependent shelf life (保质期): rate models, equivalent time, lots and FEFO.

See ``docs/shelf_life.md`` for the formulas and parameter sources.
"""

from jxc_rules.shelf_life.calibrate import FIT_MODELS, ShelfLifeFit, fit_shelf_life
from jxc_rules.shelf_life.integrate import (
    INTERPOLATIONS,
    effective_temperature,
    equivalent_time,
    interval_consumption,
    mean_kinetic_temperature,
    remaining_life,
    shelf_life_at,
)
from jxc_rules.shelf_life.lots import (
    FREEZE_ACTIONS,
    LEVELS,
    HardLimit,
    LotAssessment,
    ShelfLifeRule,
    assess_lots,
    fefo_order,
)
from jxc_rules.shelf_life.models import (
    GAS_CONSTANT,
    KELVIN_OFFSET,
    Q10,
    Arrhenius,
    Bigelow,
    RateModel,
    RateTable,
    SquareRoot,
    ea_to_q10,
    ea_to_z,
    model_from_mapping,
    q10_to_ea,
    q10_to_z,
    z_to_ea,
    z_to_q10,
)

__all__ = [
    "FIT_MODELS",
    "FREEZE_ACTIONS",
    "GAS_CONSTANT",
    "INTERPOLATIONS",
    "KELVIN_OFFSET",
    "LEVELS",
    "Q10",
    "Arrhenius",
    "Bigelow",
    "HardLimit",
    "LotAssessment",
    "RateModel",
    "RateTable",
    "ShelfLifeFit",
    "ShelfLifeRule",
    "SquareRoot",
    "assess_lots",
    "ea_to_q10",
    "ea_to_z",
    "effective_temperature",
    "equivalent_time",
    "fefo_order",
    "fit_shelf_life",
    "interval_consumption",
    "mean_kinetic_temperature",
    "model_from_mapping",
    "q10_to_ea",
    "q10_to_z",
    "remaining_life",
    "shelf_life_at",
    "z_to_ea",
    "z_to_q10",
]
