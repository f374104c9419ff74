"""Hypothesis strategies for bills of materials, orders and stock levels.

``bom_mappings()`` draws a valid random BOM as a plain mapping (what a rule pack holds),
``boms()`` the built :class:`~jxc_rules.bom.Bom`; ``bom_orders(bom)`` an item and quantity to
make; ``stock_levels(bom)`` stock for its items. Item ``I0`` is always a top assembly with lines.
Lines only run from a lower-numbered item to a higher-numbered one, so every draw is a DAG; each
item has a stock unit (pieces or kilograms, declared in ``items``) and lines use units of the
same dimension (pcs, dozen, 个 / g, kg, 斤), with scrap markups and kit outputs.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import strategies as st

from jxc_rules.bom import Bom
from jxc_rules.testing import _args

__all__ = ["bom_mappings", "bom_orders", "boms", "stock_levels"]

_COUNT_LINE_UNITS = ("pcs", "dozen", "个")
_MASS_LINE_UNITS = ("g", "kg", "斤")
_SCRAPS = ("0", "0.05", "0.1", "0.125", "0.2")


def _check_mappings(*, min_items: int = 2, max_items: int = 10, max_children: int = 4,
                    **flags: bool) -> None:
    _args.check_sizes("bom_mappings", min_items, max_items, minimum=2,
                      names=("min_items", "max_items"))
    _args.check_int("bom_mappings", "max_children", max_children, 1)
    for name, value in flags.items():
        if name not in ("scrap", "outputs", "setups", "zero_lines"):
            raise _args.fail("bom_mappings", f"unknown option {name!r}")
        if not isinstance(value, bool):
            raise _args.fail("bom_mappings", f"{name} must be True or False, got {value!r}")


@_args.checked(_check_mappings)
@st.composite
def bom_mappings(
    draw: st.DrawFn,
    *,
    min_items: int = 2,
    max_items: int = 10,
    max_children: int = 4,
    scrap: bool = True,
    outputs: bool = True,
    setups: bool = False,
    zero_lines: bool = True,
) -> dict[str, Any]:
    """A valid BOM as ``{"lines", "items", "outputs"}`` (YAML-safe values).

    ``setups=True`` adds fixed setup quantities (which make explosion affine, not linear, in
    quantity); ``zero_lines`` lets some lines have ``qty: 0`` (ignored by the BOM).
    """
    n = draw(st.integers(min_items, max_items))
    names = [f"I{i}" for i in range(n)]
    counted = [draw(st.booleans()) for _ in range(n)]
    items = {name: {"unit": "pcs" if c else "kg"} for name, c in zip(names, counted, strict=True)}
    qty = st.decimals(Decimal("0.01"), Decimal("20"), places=2)
    lines: list[dict[str, Any]] = []
    for i in range(n - 1):
        k = draw(st.integers(1 if i == 0 else 0, min(max_children, n - 1 - i)))
        children = draw(st.lists(st.integers(i + 1, n - 1), min_size=k, max_size=k, unique=True))
        for j in children:
            unit = draw(st.sampled_from(_COUNT_LINE_UNITS if counted[j] else _MASS_LINE_UNITS))
            amount = draw(qty)
            if zero_lines and draw(st.integers(0, 9)) == 0:
                amount = Decimal(0)
            line: dict[str, Any] = {"parent": names[i], "child": names[j], "qty": str(amount),
                                    "unit": unit}
            if scrap:
                line["scrap"] = draw(st.sampled_from(_SCRAPS))
            if setups and draw(st.booleans()):
                line["setup"] = draw(st.integers(1, 5))
            lines.append(line)
    for parent in dict.fromkeys(ln["parent"] for ln in lines):
        # every parent keeps one real line: a parent of zero lines only is refused by Bom
        mine = [ln for ln in lines if ln["parent"] == parent]
        if not any(Decimal(ln["qty"]) > 0 or ln.get("setup") for ln in mine):
            mine[0]["qty"] = "1"
    out: dict[str, int] = {}
    if outputs:
        parents = sorted({ln["parent"] for ln in lines})
        for parent in draw(st.lists(st.sampled_from(parents), max_size=3, unique=True)):
            out[parent] = draw(st.integers(2, 6))
    return {"lines": lines, "items": items, "outputs": out}


def boms(**kwargs: Any) -> st.SearchStrategy[Bom]:
    """Built :class:`~jxc_rules.bom.Bom` objects (same options as :func:`bom_mappings`)."""
    return bom_mappings(**kwargs).map(Bom.from_mapping)


def bom_orders(
    bom: Bom, *, max_quantity: int = 50, top_only: bool = True
) -> st.SearchStrategy[tuple[str, Fraction]]:
    """``(item, quantity)`` to make: a top assembly (or any assembly) and an exact quantity,
    whole or with two decimals."""
    if not isinstance(bom, Bom):
        raise _args.fail("bom_orders", f"bom must be a Bom, got {bom!r}")
    _args.check_int("bom_orders", "max_quantity", max_quantity, 0)
    graph = bom.graph
    tops = sorted(n for n in graph if graph.in_degree(n) == 0 and graph.out_degree(n) > 0)
    if not top_only:
        tops = sorted(n for n in graph if graph.out_degree(n) > 0)
    if not tops:
        raise _args.fail("bom_orders", f"{bom!r} has no assembly to order (no item with "
                         "lines); draw the BOM from boms() or bom_cases()")
    amounts = st.one_of(
        st.integers(0, max_quantity).map(Fraction),
        st.decimals(0, max_quantity, places=2).map(Fraction),
    )
    return st.tuples(st.sampled_from(tops), amounts)


def stock_levels(
    bom: Bom, *, max_quantity: int = 500, leaves_only: bool = True
) -> st.SearchStrategy[dict[str, Fraction]]:
    """Stock for a BOM's leaves (or all items): whole pieces for count items, grams-exact
    kilograms for the others."""
    if not isinstance(bom, Bom):
        raise _args.fail("stock_levels", f"bom must be a Bom, got {bom!r}")
    _args.check_int("stock_levels", "max_quantity", max_quantity, 0)
    names = sorted(bom.leaves if leaves_only else bom.items)

    def level(name: str) -> st.SearchStrategy[Fraction]:
        unit = bom.stock_unit(name)
        if unit == "pcs":
            return st.integers(0, max_quantity).map(Fraction)
        return st.decimals(0, max_quantity, places=3).map(Fraction)

    return st.fixed_dictionaries({name: level(name) for name in names})
