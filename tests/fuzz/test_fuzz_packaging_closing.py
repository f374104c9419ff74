"""Fuzz: packaging (packs, ship plans, amounts, invoices, catch weight) and the month-end close."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from jxc_rules import closing, packaging
from jxc_rules.testing import (
    exact_numbers,
    mass_units,
    money_amounts,
    month_end_cases,
    packagings,
    product_profiles,
    quantities,
    rounding_modes,
)
from tests.fuzz._hostile import check, fuzz_settings, hostile, or_hostile, vectors

QUANTITY_TEXT = st.one_of(
    quantities().map(lambda q: f"{q.magnitude} {q.units:~}"),
    st.sampled_from(["12.35 t", "361 pcs", "40 kg", "3 斤", "0 kg", "1 gross", "2 bag"]))
QUANTITY = st.one_of(QUANTITY_TEXT, quantities(), exact_numbers(0, 10**5))
PACK = st.one_of(st.sampled_from(["40 kg", "50 kg", "gross", "dozen", "1 t", "25 斤", "12 pcs"]),
                 QUANTITY_TEXT)
LEVELS = st.one_of(
    packagings().map(lambda p: dict(p.levels)),
    st.dictionaries(st.sampled_from(["bag", "box", "pallet", "pack", "件"]),
                    or_hostile(st.one_of(PACK, st.integers(1, 200))), min_size=1, max_size=3),
)
PRICE_UNITS = or_hostile(st.one_of(mass_units(), st.sampled_from(["pcs", "bag"])),
                         valid_weight=4)
MODE = or_hostile(rounding_modes(), valid_weight=5)


@fuzz_settings(2)
@given(levels=or_hostile(LEVELS), base=st.one_of(st.just(""), or_hostile(mass_units())),
       quantity=or_hostile(QUANTITY), exclude=st.one_of(st.just(()), or_hostile(
           st.lists(st.sampled_from(["bag", "pallet", "box"]), max_size=2))))
def test_packaging_and_breakdown(levels: Any, base: Any, quantity: Any, exclude: Any) -> None:
    made = check("packaging.Packaging", packaging.Packaging, levels, base)
    if isinstance(made, packaging.Packaging):
        check("packaging.breakdown", packaging.breakdown, quantity, made, exclude=exclude)


@fuzz_settings(3)
@given(ordered=or_hostile(QUANTITY), pack=or_hostile(PACK), mode=MODE,
       with_packaging=st.one_of(st.none(), packagings()))
def test_ship_plan(ordered: Any, pack: Any, mode: Any, with_packaging: Any) -> None:
    check("packaging.ship_plan", packaging.ship_plan, ordered, pack, mode=mode,
          packaging=with_packaging)


@fuzz_settings(3)
@given(ordered=vectors(st.floats(0, 1e5), max_size=5),
       pack=or_hostile(st.one_of(PACK, st.floats(0.001, 100), vectors(st.floats(0.01, 50)))),
       mode=MODE, unit=st.one_of(st.none(), or_hostile(mass_units())),
       pack_unit=st.one_of(st.none(), or_hostile(mass_units())),
       decimals=or_hostile(st.integers(0, 6), valid_weight=5))
def test_ship_plan_batch(ordered: Any, pack: Any, mode: Any, unit: Any, pack_unit: Any,
                         decimals: Any) -> None:
    check("packaging.ship_plan_batch", packaging.ship_plan_batch, ordered, pack, mode=mode,
          unit=unit, pack_unit=pack_unit, decimals=decimals)


@fuzz_settings(3)
@given(quantity=or_hostile(QUANTITY), price=or_hostile(money_amounts()),
       price_unit=PRICE_UNITS, mode=MODE)
def test_line_amount(quantity: Any, price: Any, price_unit: Any, mode: Any) -> None:
    check("packaging.line_amount", packaging.line_amount, quantity, price, price_unit,
          mode=mode)


@fuzz_settings(3)
@given(quantity=vectors(st.floats(0, 1e5), max_size=5),
       price=or_hostile(st.one_of(money_amounts(), vectors(st.floats(0, 1e4)))),
       price_unit=st.one_of(st.none(), PRICE_UNITS),
       unit=st.one_of(st.none(), or_hostile(mass_units())),
       decimals=or_hostile(st.integers(0, 6), valid_weight=5),
       price_decimals=or_hostile(st.integers(0, 6), valid_weight=5), mode=MODE)
def test_line_amounts_batch(quantity: Any, price: Any, price_unit: Any, unit: Any,
                            decimals: Any, price_decimals: Any, mode: Any) -> None:
    check("packaging.line_amounts_batch", packaging.line_amounts_batch, quantity, price,
          price_unit, unit=unit, decimals=decimals, price_decimals=price_decimals, mode=mode)


@fuzz_settings(3)
@given(amounts=or_hostile(st.lists(or_hostile(money_amounts(), valid_weight=6), max_size=6)),
       freight=or_hostile(money_amounts()), discount=or_hostile(money_amounts(0, 100)),
       tax=or_hostile(st.sampled_from(["0", "0.09", "0.13", 0.06, "13%"])))
def test_invoice(amounts: Any, freight: Any, discount: Any, tax: Any) -> None:
    check("packaging.invoice", packaging.invoice, amounts, freight=freight, discount=discount,
          tax_rate=tax)


PROFILE_FIELDS = ["sku", "name", "price_unit", "pack_content", "pack_name", "stock_unit",
                  "rounding", "invoice_basis", "catch_weight_tolerance", "labels"]


@fuzz_settings(3)
@given(profile=product_profiles(), field=st.sampled_from(PROFILE_FIELDS), bad=hostile(),
       mutate=st.booleans(), packs=or_hostile(st.integers(0, 1000)),
       price=or_hostile(money_amounts()),
       actual=st.one_of(st.none(), or_hostile(QUANTITY_TEXT)))
def test_profiles_and_catch_weight(profile: Any, field: str, bad: Any, mutate: bool, packs: Any,
                                   price: Any, actual: Any) -> None:
    if mutate:  # a profile with one hostile field, built like a host would
        mapping = {f: getattr(profile, f) for f in PROFILE_FIELDS}
        mapping[field] = bad
        made = check("packaging.ProductProfile", packaging.ProductProfile, **mapping)
        if not isinstance(made, packaging.ProductProfile):
            return
        profile = made
    check("packaging.catch_weight_line", packaging.catch_weight_line, profile, packs, price,
          actual_weight=actual)


def _movement_mapping(m: Any) -> dict[str, Any]:
    return {k: v for k, v in attrs.asdict(m, recurse=False).items() if v is not None}


@st.composite
def month_end_inputs(draw: st.DrawFn) -> tuple[Any, Any, Any, Any]:
    case = draw(month_end_cases(max_products=2, max_movements=8))
    movements: list[Any] = [_movement_mapping(m) for m in case.movements]
    opening: dict[str, Any] = {k: (o.bags, o.value) for k, o in case.opening.items()}
    counts: dict[str, Any] = {k: (c.bags, c.broken_bags, c.loose)
                              for k, c in case.counts.items()}
    where = draw(st.sampled_from(["movement", "opening", "count", "movements", "profiles",
                                  "none"]))
    bad = draw(hostile())
    if where == "movement" and movements:
        k = draw(st.integers(0, len(movements) - 1))
        key = draw(st.sampled_from(["doc_id", "sku", "bags", "price", "ordered", "actual",
                                    "kind", "extra"]))
        movements[k] = {**movements[k], key: bad}
    elif where == "opening" and opening:
        sku = draw(st.sampled_from(sorted(opening)))
        opening[sku] = draw(st.sampled_from([(bad, "0.00"), (1, bad), bad, {"bags": bad}]))
    elif where == "count":
        sku = draw(st.sampled_from([p.sku for p in case.profiles] + ["ghost"]))
        counts[sku] = draw(st.sampled_from([(bad,), (1, bad), (1, 1, bad), bad,
                                            {"bags": 1, "loose": bad}]))
    elif where == "movements":
        movements = draw(st.sampled_from([bad, [bad], [*movements, bad]]))
    profiles: Any = case.profiles
    if where == "profiles":
        profiles = draw(st.sampled_from([bad, [bad], {"p0": bad}, []]))
    return profiles, movements, opening, counts


@fuzz_settings(3)
@given(inputs=month_end_inputs())
def test_close_month(inputs: tuple[Any, Any, Any, Any]) -> None:
    profiles, movements, opening, counts = inputs
    check("closing.close_month", closing.close_month, profiles, movements, opening=opening,
          counts=counts)


@fuzz_settings(2)
@given(n=st.integers(0, 4), data=st.data())
def test_journal(n: int, data: st.DataObject) -> None:
    def col(valid: st.SearchStrategy[Any]) -> Any:
        return data.draw(or_hostile(st.lists(valid, min_size=n, max_size=n).map(np.asarray)
                                    | st.lists(valid, min_size=n, max_size=n), valid_weight=5))
    kinds = st.sampled_from(["receipt", "shipment", "R", "S"])
    args = (col(st.text("ABC123", min_size=1, max_size=4)), col(st.sampled_from(["urea", "dap"])),
            col(kinds), col(st.integers(0, 500)), col(st.floats(0, 5000)))
    extra = {k: col(st.floats(0, 2e4)) for k in ("ordered_kg", "actual_kg")
             if data.draw(st.booleans())}
    check("closing.journal", closing.journal, *args, **extra)
