"""jxc_rules — vertical-industry inventory rules for purchase–sales–inventory (进销存) systems.

The public names (docs/api.md) are importable from here and from the module that owns each.
They load lazily (PEP 562): ``import jxc_rules`` loads neither numpy nor pint, and
``jxc_rules.convert`` imports :mod:`jxc_rules.units` on first use, the simulator only when a
simulator name is touched. Kernels take numbers in the unit their parameter names give, or pint
Quantities of :data:`jxc_rules.units.ureg`; money is ``Decimal``.

Besides the names, one thing happens here because every submodule import passes through it: a
one-shot import hook keeps pint's eager ``import scipy`` out of the first pint import
(:class:`_PintWithoutEagerScipy`).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

from jxc_rules._version import __version__

if TYPE_CHECKING:  # the real imports, for type checkers and IDEs
    from jxc_rules import errors, simulate
    from jxc_rules.bom import (
        Bom,
        explode,
        explode_many,
        max_buildable,
    )
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
    from jxc_rules.errors import (
        BomCycleError,
        DuplicateError,
        InsufficientStock,
        JxcRulesError,
        LedgerBusy,
        LedgerError,
        RulePackError,
        ScenarioError,
        TimeSeriesError,
        UnitError,
        UnknownItemError,
        ValidationError,
    )
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
    from jxc_rules.money import (
        allocate,
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
    from jxc_rules.reservation import (
        Ledger,
        Oversold,
        SqliteLedger,
        SqlLedger,
        StockTable,
        reserve_order,
    )
    from jxc_rules.rounding import (
        round_to,
    )
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
    from jxc_rules.serialize import (
        jsonable,
    )
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
    from jxc_rules.simulate import (
        CompareResult,
        Scenario,
        SimulationResult,
        compare,
        load_scenario,
        run,
    )
    from jxc_rules.units import (
        Q_,
        convert,
        ureg,
    )
    from jxc_rules.wastage import (
        ChannelLoss,
        ChannelLossModel,
        blended_loss,
        gross_up,
        loss_to_markup,
        markup_to_loss,
    )


class _PintWithoutEagerScipy(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """pint imports scipy at import time only to keep a handle on it (≈ 80 ms, ≈ 400 modules);
    it needs scipy in one place, ``Quantity.to_preferred``. The first ``import pint`` after
    ``import jxc_rules`` — whichever module of ours or the host's does it — runs with scipy
    hidden, then hands pint a stand-in that imports scipy when first used, so pint behaves as
    ever and scipy loads only when something needs it. One-shot: it leaves ``sys.meta_path``
    at the first pint import, and is never installed if pint or scipy is already loaded.
    """

    def __init__(self) -> None:
        self._loader: importlib.abc.Loader | None = None

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != "pint":
            return None
        self._uninstall()
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None or "scipy" in sys.modules:
            return spec
        self._loader, spec.loader = spec.loader, self
        return spec

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        assert self._loader is not None
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        loader, self._loader = self._loader, None
        assert loader is not None
        module.__loader__ = loader  # pint sees its own loader (resources, reload)
        if module.__spec__ is not None:
            module.__spec__.loader = loader
        sys.modules["scipy"] = None  # type: ignore[assignment]  # `import scipy` fails here
        try:
            loader.exec_module(module)
        finally:
            if sys.modules.get("scipy", 0) is None:
                del sys.modules["scipy"]
        compat = sys.modules.get("pint.compat")
        if compat is not None and importlib.util.find_spec("scipy") is not None:
            from jxc_rules._internal.lazy import lazy_module

            stand_in = lazy_module("scipy")
            compat.HAS_SCIPY, compat.scipy = True, stand_in  # type: ignore[attr-defined]
            for user in ("pint.facets.plain.qto",):  # modules that copied pint.compat.scipy
                if user in sys.modules and hasattr(sys.modules[user], "scipy"):
                    sys.modules[user].scipy = stand_in  # type: ignore[attr-defined]

    def _uninstall(self) -> None:
        if self in sys.meta_path:
            sys.meta_path.remove(self)


if "pint" not in sys.modules and "scipy" not in sys.modules:
    sys.meta_path.insert(0, _PintWithoutEagerScipy())

_LAZY: dict[str, str] = {
    "Q_": "jxc_rules.units",
    "BomCycleError": "jxc_rules.errors",
    "InsufficientStock": "jxc_rules.errors",
    "JxcRulesError": "jxc_rules.errors",
    "RulePackError": "jxc_rules.errors",
    "UnitError": "jxc_rules.errors",
    "ValidationError": "jxc_rules.errors",
    "allocate": "jxc_rules.money",
    "convert": "jxc_rules.units",
    "errors": "jxc_rules.errors",
    "round_to": "jxc_rules.rounding",
    "ureg": "jxc_rules.units",
    "CatchWeightLine": "jxc_rules.packaging",
    "Invoice": "jxc_rules.packaging",
    "InvoiceLine": "jxc_rules.packaging",
    "Packaging": "jxc_rules.packaging",
    "ProductProfile": "jxc_rules.packaging",
    "ShipPlan": "jxc_rules.packaging",
    "ShipPlanBatch": "jxc_rules.packaging",
    "breakdown": "jxc_rules.packaging",
    "catch_weight_line": "jxc_rules.packaging",
    "invoice": "jxc_rules.packaging",
    "line_amount": "jxc_rules.packaging",
    "line_amounts_batch": "jxc_rules.packaging",
    "ship_plan": "jxc_rules.packaging",
    "ship_plan_batch": "jxc_rules.packaging",
    "Journal": "jxc_rules.closing",
    "MonthEndClose": "jxc_rules.closing",
    "Opening": "jxc_rules.closing",
    "ProductClose": "jxc_rules.closing",
    "Receipt": "jxc_rules.closing",
    "Shipment": "jxc_rules.closing",
    "StockBook": "jxc_rules.closing",
    "StockCount": "jxc_rules.closing",
    "VarianceRow": "jxc_rules.closing",
    "close_month": "jxc_rules.closing",
    "LossValue": "jxc_rules.live_weight",
    "MortalityCurve": "jxc_rules.live_weight",
    "RateFit": "jxc_rules.live_weight",
    "Reconciliation": "jxc_rules.live_weight",
    "TransitModel": "jxc_rules.live_weight",
    "expected_weight": "jxc_rules.live_weight",
    "fit_rate": "jxc_rules.live_weight",
    "origin_weight": "jxc_rules.live_weight",
    "reconcile": "jxc_rules.live_weight",
    "Q10": "jxc_rules.shelf_life",
    "Arrhenius": "jxc_rules.shelf_life",
    "Bigelow": "jxc_rules.shelf_life",
    "HardLimit": "jxc_rules.shelf_life",
    "RateTable": "jxc_rules.shelf_life",
    "ShelfLifeRule": "jxc_rules.shelf_life",
    "SquareRoot": "jxc_rules.shelf_life",
    "assess_lots": "jxc_rules.shelf_life",
    "equivalent_time": "jxc_rules.shelf_life",
    "fefo_order": "jxc_rules.shelf_life",
    "fit_shelf_life": "jxc_rules.shelf_life",
    "remaining_life": "jxc_rules.shelf_life",
    "shelf_life_at": "jxc_rules.shelf_life",
    "ChannelLoss": "jxc_rules.wastage",
    "ChannelLossModel": "jxc_rules.wastage",
    "blended_loss": "jxc_rules.wastage",
    "gross_up": "jxc_rules.wastage",
    "loss_to_markup": "jxc_rules.wastage",
    "markup_to_loss": "jxc_rules.wastage",
    "Bom": "jxc_rules.bom",
    "Ledger": "jxc_rules.reservation",
    "SqliteLedger": "jxc_rules.reservation",
    "explode": "jxc_rules.bom",
    "explode_many": "jxc_rules.bom",
    "max_buildable": "jxc_rules.bom",
    "reserve_order": "jxc_rules.reservation",
    "Change": "jxc_rules.rules",
    "HolidayRule": "jxc_rules.rules",
    "ReplenishmentPolicy": "jxc_rules.rules",
    "RulePack": "jxc_rules.rules",
    "WeatherRule": "jxc_rules.rules",
    "diff": "jxc_rules.rules",
    "dump_pack": "jxc_rules.rules",
    "load_pack": "jxc_rules.rules",
    "load_packs": "jxc_rules.rules",
    "select": "jxc_rules.rules",
    "CompareResult": "jxc_rules.simulate",
    "Scenario": "jxc_rules.simulate",
    "SimulationResult": "jxc_rules.simulate",
    "compare": "jxc_rules.simulate",
    "load_scenario": "jxc_rules.simulate",
    "run": "jxc_rules.simulate",
    "simulate": "jxc_rules.simulate",
    "jsonable": "jxc_rules.serialize",
    "DuplicateError": "jxc_rules.errors",
    "LedgerBusy": "jxc_rules.errors",
    "LedgerError": "jxc_rules.errors",
    "ScenarioError": "jxc_rules.errors",
    "TimeSeriesError": "jxc_rules.errors",
    "UnknownItemError": "jxc_rules.errors",
    "SqlLedger": "jxc_rules.reservation",
    "StockTable": "jxc_rules.reservation",
    "Oversold": "jxc_rules.reservation",
}
"""Public name → the module that owns it (a submodule name maps to itself)."""

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
    "LossValue",
    "MortalityCurve",
    "RateFit",
    "Reconciliation",
    "TransitModel",
    "expected_weight",
    "fit_rate",
    "origin_weight",
    "reconcile",
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
    "ChannelLoss",
    "ChannelLossModel",
    "blended_loss",
    "gross_up",
    "loss_to_markup",
    "markup_to_loss",
    "Bom",
    "Ledger",
    "SqliteLedger",
    "explode",
    "explode_many",
    "max_buildable",
    "reserve_order",
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
    "CompareResult",
    "Scenario",
    "SimulationResult",
    "compare",
    "load_scenario",
    "run",
    "simulate",
    "jsonable",
    "DuplicateError",
    "LedgerBusy",
    "LedgerError",
    "ScenarioError",
    "TimeSeriesError",
    "UnknownItemError",
    "SqlLedger",
    "StockTable",
    "Oversold",
]


def __getattr__(name: str) -> Any:
    """Import the module owning ``name`` on first access (PEP 562) and cache the value."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'jxc_rules' has no attribute {name!r}")
    owner = importlib.import_module(module)
    value = owner if module == f"jxc_rules.{name}" else getattr(owner, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
