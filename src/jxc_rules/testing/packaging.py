"""Hypothesis strategies for packagings, product profiles and month-end journals.

Every value is valid by construction: packagings nest, profiles load, journals never ship more bags
than are on hand, document ids are unique. Host systems use them to test their own wiring::

    from hypothesis import given
    from jxc_rules.closing import close_month
    from jxc_rules.testing import month_end_cases

    @given(month_end_cases())
    def test_close_balances(case):
        close = close_month(case.profiles, case.movements, opening=case.opening,
                            counts=case.counts)
        assert all(p.identity_holds() for p in close.products.values())
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
from hypothesis import strategies as st

from jxc_rules.closing import Opening, Receipt, Shipment, StockCount
from jxc_rules.packaging import Packaging, ProductProfile
from jxc_rules.rounding import MODES
from jxc_rules.testing import _args
from jxc_rules.units import exact_factor

__all__ = ["MonthEndCase", "month_end_cases", "packagings", "product_profiles"]

_LEVEL_NAMES = ("unit", "bag", "box", "case", "crate", "pallet", "container")
_BASE_SIZES = {"kg": ("0.5", "1", "5", "20", "25", "40", "50"), "g": ("250", "500", "1000"),
               "": ("1", "6", "12", "144")}


def _check_packagings(*, max_levels: int = 4,
                      base_units: tuple[str, ...] = ("kg", "g", "")) -> None:
    _args.check_int("packagings", "max_levels", max_levels, 1)
    if max_levels > len(_LEVEL_NAMES):
        raise _args.fail("packagings", f"max_levels must be <= {len(_LEVEL_NAMES)}, "
                         f"got {max_levels}")
    _args.check_choices("packagings", "base_units", base_units, tuple(_BASE_SIZES))


def _check_profiles(*, sku: str | None = None,
                    price_units: tuple[str, ...] = ("t", "kg", "吨")) -> None:
    if sku is not None and (not isinstance(sku, str) or not sku.strip()):
        raise _args.fail("product_profiles", f"sku must be a non-empty string, got {sku!r}")
    _args.check_choices("product_profiles", "price_units", price_units,
                        ("t", "kg", "吨", "g", "jin", "斤", "公斤"))


# built from parts rather than st.from_regex, which rejects some of its own draws
_SKUS = st.builds(lambda a, n: f"{a}-{n}", st.text("abcdefghijklmnopqrstuvwxyz", min_size=2,
                                                   max_size=6), st.integers(0, 999))


@_args.checked(_check_packagings)
@st.composite
def packagings(
    draw: st.DrawFn, *, max_levels: int = 4, base_units: tuple[str, ...] = ("kg", "g", ""),
) -> Packaging:
    """Nesting packagings of 1..``max_levels`` levels, specs in mixed forms (a registry unit,
    ``"n <level>"`` or a plain count of base units) and given in random order.

    An empty base unit means unitless counts (``{"box": 50, "pallet": 2000}``).
    """
    unit = draw(st.sampled_from(base_units))
    k = draw(st.integers(1, max_levels))
    names = list(_LEVEL_NAMES[:k])
    base = Decimal(draw(st.sampled_from(_BASE_SIZES[unit])))
    multipliers = draw(st.lists(st.integers(2, 60), min_size=k - 1, max_size=k - 1))
    sizes = [base]
    for m in multipliers:
        sizes.append(sizes[-1] * m)
    specs: dict[str, Any] = {}
    for i, name in enumerate(names):
        form = draw(st.sampled_from(("unit", "ref", "plain"))) if i else "unit"
        if form == "ref":
            specs[name] = f"{multipliers[i - 1]} {names[i - 1]}"
        elif unit and form == "unit":
            specs[name] = f"{sizes[i]} {unit}"
        elif unit:
            specs[name] = f"{sizes[i]} {unit}"  # plain numbers are reserved for unitless packs
        else:
            specs[name] = int(sizes[i]) if sizes[i] == int(sizes[i]) else str(sizes[i])
    items = list(specs.items())
    order = draw(st.permutations(range(len(items))))
    return Packaging({items[i][0]: items[i][1] for i in order})


@_args.checked(_check_profiles)
@st.composite
def product_profiles(
    draw: st.DrawFn, *, sku: str | None = None, price_units: tuple[str, ...] = ("t", "kg", "吨"),
) -> ProductProfile:
    """Product profiles priced per mass unit with a whole-gram pack content (25/40/50 kg bags,
    or odd sizes), any rounding mode, either invoice basis and a tolerance up to 2 %."""
    content_g = draw(st.one_of(st.sampled_from([25_000, 40_000, 50_000]),
                               st.integers(100, 60_000)))
    return ProductProfile(
        sku=sku or draw(_SKUS),
        name=draw(st.sampled_from(["尿素", "复合肥", "种子", "urea", "NPK 15-15-15"])),
        price_unit=draw(st.sampled_from(price_units)),
        pack_content=f"{Decimal(content_g).scaleb(-3).normalize():f} kg",
        pack_name=draw(st.sampled_from(["bag", "sack", "袋"])),
        rounding=draw(st.sampled_from(MODES)),
        invoice_basis=draw(st.sampled_from(["nominal", "actual"])),
        catch_weight_tolerance=draw(st.sampled_from(["0", "0.005", "0.01", "0.02"])),
        labels=draw(st.sampled_from([{}, {"zh": "尿素", "en": "urea"}])),
    )


@attrs.frozen
class MonthEndCase:
    """Inputs of one :func:`jxc_rules.closing.close_month` call."""

    profiles: tuple[ProductProfile, ...]
    opening: dict[str, Opening]
    movements: tuple[Receipt | Shipment, ...]
    counts: dict[str, StockCount]


@st.composite
def month_end_cases(
    draw: st.DrawFn, *, max_products: int = 3, max_movements: int = 30,
) -> MonthEndCase:
    """Journals valid by construction: unique document ids, shipments within stock, weighbridge
    weights within ±3 % of nominal, ordered quantities within one pack of what shipped, and a
    count with possible missing and broken bags."""
    n_products = draw(st.integers(1, max_products))
    profiles = tuple(draw(product_profiles(sku=f"p{i}", price_units=("t", "kg")))
                     for i in range(n_products))
    content_g = {p.sku: int(p.content * exact_factor(p.price_unit, "g")) for p in profiles}
    opening: dict[str, Opening] = {}
    on_hand: dict[str, int] = {}
    for p in profiles:
        bags = draw(st.integers(0, 300))
        value = Decimal(draw(st.integers(0, 10**7))).scaleb(-2) if bags else Decimal("0.00")
        opening[p.sku] = Opening(bags, value)
        on_hand[p.sku] = bags
    movements: list[Receipt | Shipment] = []
    for i in range(draw(st.integers(0, max_movements))):
        p = draw(st.sampled_from(profiles))
        cg = content_g[p.sku]
        price = Decimal(draw(st.integers(0, 5_000_000))).scaleb(-2)
        if on_hand[p.sku] == 0 or draw(st.booleans()):
            bags = draw(st.integers(1, 500))
            movements.append(Receipt(f"R{i}", p.sku, bags, price))
            on_hand[p.sku] += bags
            continue
        bags = draw(st.integers(1, on_hand[p.sku]))
        on_hand[p.sku] -= bags
        ordered = actual = None
        if draw(st.booleans()):
            ordered = max(0, bags * cg + draw(st.integers(-cg // 2, cg // 2)))
        if draw(st.booleans()):
            actual = bags * cg + draw(st.integers(-(bags * cg) // 33, (bags * cg) // 33))
        movements.append(Shipment(f"S{i}", p.sku, bags, price,
                                  ordered=None if ordered is None else f"{ordered} g",
                                  actual=None if actual is None else f"{actual} g"))
    counts: dict[str, StockCount] = {}
    for p in profiles:
        if not draw(st.booleans()):
            continue
        book = on_hand[p.sku]
        counted = draw(st.integers(0, book + 3))
        broken = draw(st.integers(0, max(0, book - counted)))
        loose_g = draw(st.integers(0, broken * content_g[p.sku]))
        counts[p.sku] = StockCount(counted, broken, f"{loose_g} g")
    return MonthEndCase(profiles=profiles, opening=opening, movements=tuple(movements),
                        counts=counts)
