"""``st.register_type_strategy`` for every public value type, so ``st.from_type(Bom)``,
``st.builds(f)`` on a host function annotated with our types, and ``@given(x=...)`` inference
work without wiring a field by hand.

:func:`register_type_strategies` is idempotent. It runs on ``import jxc_rules.testing`` — except
when pytest loads the package for its plugin at start-up (then nothing heavy may load): there it
runs just before pytest imports the first test module whose text names both ``hypothesis`` and
``jxc_rules`` (hypothesis resolves ``@given(x=...)`` at decoration time), on the first use of any
strategy of :mod:`jxc_rules.testing`, in the ``jxc_strategies`` fixture, or when collection ends
in a run that has loaded both hypothesis and a jxc_rules kernel. A host may always call it
itself.

Each registered strategy is the documented strategy of that type (``Bom`` → :func:`boms`,
``ProductProfile`` → :func:`product_profiles`, ...); result types (``ShipPlan``,
``Reconciliation``, ``Invoice``, ``MonthEndClose`` ...) are drawn by running the kernel on drawn
inputs, so they are always results the kernel can produce. Registered lazily
(``st.deferred``) so registering imports the classes but draws nothing.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

__all__ = ["REGISTERED", "register_type_strategies"]

REGISTERED: dict[type, st.SearchStrategy[Any]] = {}
"""Type → the strategy registered for it (filled by :func:`register_type_strategies`)."""

_UNREGISTERED: dict[str, str] = {
    "Ledger": "a stateful resource, not a value: build one from st.from_type(dict) stock, or "
              "use jxc_rules.testing.reservation.ledger_machine",
    "SqliteLedger": "a file-backed resource: see ledger_machine",
    "SqlLedger": "a database resource: see ledger_machine",
    "StockTable": "names a host's own SQL table",
    "StockBook": "a stateful posting book: build one from st.from_type(ProductProfile)",
    "SimulationResult": "a Monte Carlo run (seconds per example): use scenario_mappings + run",
    "CompareResult": "two Monte Carlo runs: use scenario_mappings + compare",
    "RateFit": "a calibration result: fit drawn data with jxc_rules.live_weight.fit_rate",
    "Q_": "pint's Quantity class: use jxc_rules.testing.quantities()",
}
"""Public classes of ``jxc_rules`` deliberately not registered, and why (tests read this)."""


def _scenario_from_mapping(doc: dict[str, Any]) -> Any:
    import yaml

    from jxc_rules.simulate import load_scenario

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scenario.yaml"
        path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        return load_scenario(path)


def _builders() -> dict[type, Callable[[], st.SearchStrategy[Any]]]:
    import jxc_rules.testing as jt
    from jxc_rules.bom import Alternate, Bom, BomLine, ItemSpec
    from jxc_rules.closing import (
        Journal,
        MonthEndClose,
        Opening,
        ProductClose,
        Receipt,
        Shipment,
        StockCount,
        VarianceRow,
        close_month,
    )
    from jxc_rules.live_weight import MortalityCurve, TransitModel, reconcile
    from jxc_rules.live_weight.core import LossValue, Reconciliation
    from jxc_rules.packaging import (
        CatchWeightLine,
        Invoice,
        InvoiceLine,
        Packaging,
        ProductProfile,
        ShipPlan,
        ShipPlanBatch,
        catch_weight_line,
        invoice,
        ship_plan,
        ship_plan_batch,
    )
    from jxc_rules.reservation.sql import Oversold
    from jxc_rules.rules.diff import Change, diff
    from jxc_rules.rules.load import pack_from_mapping
    from jxc_rules.rules.schema import HolidayRule, ReplenishmentPolicy, RulePack, WeatherRule
    from jxc_rules.shelf_life import (
        Q10,
        Arrhenius,
        Bigelow,
        HardLimit,
        RateTable,
        ShelfLifeRule,
        SquareRoot,
    )
    from jxc_rules.simulate import Scenario
    from jxc_rules.wastage.models import ChannelLoss, ChannelLossModel

    def lines() -> st.SearchStrategy[Any]:
        return jt.boms(min_items=2, max_items=4).map(lambda b: b.lines[0])

    def cases() -> st.SearchStrategy[Any]:
        return jt.month_end_cases(max_products=2, max_movements=6)

    def ship_plans() -> st.SearchStrategy[ShipPlan]:
        return st.builds(lambda o, p: ship_plan(f"{o} kg", f"{p} kg"),
                         st.integers(0, 10_000), st.sampled_from([1, 20, 25, 40, 50]))

    def invoices() -> st.SearchStrategy[Invoice]:
        amounts = st.lists(jt.money_amounts(max_value=10**5), min_size=1, max_size=5)
        return st.builds(lambda a, f: invoice(a, freight=f), amounts,
                         jt.money_amounts(max_value=500))

    def reconciliations() -> st.SearchStrategy[Reconciliation]:
        return jt.shipments(max_size=5).map(lambda s: reconcile(
            s["shipped_kg"], s["received_kg"], s["hours"], rate_per_hour=0.003,
            dead_kg=s["dead_kg"]))

    def closes() -> st.SearchStrategy[MonthEndClose]:
        return cases().map(lambda c: close_month(c.profiles, c.movements, opening=c.opening,
                                                 counts=c.counts))

    def changes() -> st.SearchStrategy[Change]:
        return jt.numeric_mutations().map(
            lambda m: diff(pack_from_mapping(m[0]), pack_from_mapping(m[1]))[0])

    def first_of(strategy: st.SearchStrategy[Any], attr: str) -> st.SearchStrategy[Any]:
        return strategy.map(lambda x: next(iter(getattr(x, attr).values())))

    packs = jt.rule_pack_mappings(kernels=False).map(
        lambda d: {**d, "holidays": d["holidays"] or {"Spring Festival": {
            "labels": {"zh": "春节", "en": "Spring Festival"}, "dine_in": {"during": [1.5]}}},
            "weather": d["weather"] or {"rain": {"labels": {"zh": "雨", "en": "Rain"},
                                                 "dine_in": 0.8}}}).map(pack_from_mapping)
    return {
        Bom: lambda: jt.boms(),
        BomLine: lines,
        ItemSpec: lambda: st.builds(ItemSpec.from_mapping, st.fixed_dictionaries(
            {"unit": st.sampled_from(["pcs", "kg", "g"])},
            optional={"phantom": st.booleans()})),
        Alternate: lambda: st.builds(Alternate, st.sampled_from(["A1", "A2", "alt-bolt"]),
                                     st.none() | st.fractions(1, 10, max_denominator=4),
                                     st.none() | st.sampled_from(["pcs", "kg"])),
        Packaging: lambda: jt.packagings(),
        ProductProfile: lambda: jt.product_profiles(),
        ShipPlan: ship_plans,
        CatchWeightLine: lambda: st.builds(
            lambda p, n, price: catch_weight_line(p, n, price),
            jt.product_profiles(), st.integers(0, 200), jt.money_amounts(max_value=10**4)),
        Invoice: invoices,
        InvoiceLine: lambda: invoices().map(lambda i: i.lines[0]),
        Opening: lambda: cases().map(lambda c: next(iter(c.opening.values()))),
        Receipt: lambda: st.builds(Receipt, st.from_regex(r"R[0-9]{1,4}", fullmatch=True),
                                   st.just("p0"), st.integers(1, 500),
                                   jt.money_amounts(max_value=10**5)),
        Shipment: lambda: st.builds(Shipment, st.from_regex(r"S[0-9]{1,4}", fullmatch=True),
                                    st.just("p0"), st.integers(1, 500),
                                    jt.money_amounts(max_value=10**5)),
        StockCount: lambda: st.builds(StockCount, st.integers(0, 300), st.just(0),
                                      st.just("0 g")),
        MonthEndClose: closes,
        Journal: lambda: cases().map(lambda c: Journal.from_records(c.movements)),
        # every product's close has one row per variance cause, so a close always has rows
        VarianceRow: lambda: closes().map(
            lambda c: next(r for p in c.products.values() for r in p.variances)),
        ShipPlanBatch: lambda: st.lists(st.integers(0, 10_000), min_size=1, max_size=20).map(
            lambda o: ship_plan_batch(o, 40, unit="kg", pack_unit="kg")),
        LossValue: lambda: reconciliations().map(lambda r: r.value("12.50")),
        Oversold: lambda: st.builds(Oversold, st.sampled_from(["SO-1", "SO-2"]),
                                    st.sampled_from(["bolt", "nut"]),
                                    st.integers(1, 40).map(lambda n: Fraction(n, 4))),
        ProductClose: lambda: closes().map(lambda c: next(iter(c.products.values()))),
        ShelfLifeRule: lambda: jt.shelf_life_rules(),
        HardLimit: lambda: jt.shelf_life_rules().flatmap(lambda r: st.builds(
            HardLimit, st.floats(0.5, 24.0), above_c=st.floats(0.0, 20.0))),
        Q10: lambda: jt.rate_models(kinds=("q10",)),
        Arrhenius: lambda: jt.rate_models(kinds=("arrhenius",)),
        Bigelow: lambda: jt.rate_models(kinds=("bigelow",)),
        SquareRoot: lambda: jt.rate_models(kinds=("square_root",)),
        RateTable: lambda: jt.rate_models(kinds=("table",)),
        TransitModel: lambda: jt.transit_models(),
        MortalityCurve: lambda: jt.mortality_curves(),
        Reconciliation: reconciliations,
        ChannelLoss: lambda: jt.channel_losses(),
        ChannelLossModel: lambda: jt.channel_loss_models(),
        RulePack: lambda: jt.rule_packs(),
        HolidayRule: lambda: first_of(packs, "holidays"),
        WeatherRule: lambda: first_of(packs, "weather"),
        ReplenishmentPolicy: lambda: packs.map(lambda p: p.replenishment),
        Change: changes,
        Scenario: lambda: jt.scenario_mappings(max_days=7).map(_scenario_from_mapping),
    }


_DONE = False


def register_type_strategies() -> None:
    """Register a strategy for every public value type of jxc_rules (idempotent)."""
    global _DONE
    if _DONE:
        return
    _DONE = True
    for cls, build in _builders().items():
        strategy: st.SearchStrategy[Any] = st.deferred(build)
        REGISTERED[cls] = strategy
        st.register_type_strategy(cls, strategy)
