"""Composite, shrinkable cases: a BOM with its order and stock, lots with logs and expiry, and
reservation workloads — one strategy each, every part drawn in one place so hypothesis shrinks
them together to the smallest case that still fails.

How they are built to shrink
----------------------------
- Every item hangs under the top: item ``I<j>`` gets its parent drawn as an integer in
  ``[0, j)``, so no item is ever unused and the shrinker deletes items from the end, down to the
  top and the one or two parts a failure needs.
- Each optional feature (a zero line, a scrap markup, a kit output, an alternate, a phantom, a
  dated line, a shared sub-assembly, a repeated or backward timestamp) is the *non-zero* choice
  of a drawn integer or the element of a list that may be empty, so shrinking turns it off.
- Quantities are whole numbers first (``1`` is the minimum), a decimal only on a branch the
  shrinker leaves: a shrunk case reads ``qty: 1``, never ``1e-10 kg``.
- Stock and order lines are drawn *relative to the requirement* — exactly enough, one short,
  one over, or free — so the boundaries where all-or-nothing reservation goes wrong come up
  at the defaults, and a shrunk case says "exactly enough of I1, one short of I2". Stock is
  drawn leaf by leaf in ``explode``'s order (the order a host walks the requirements in), so
  deleting a sub-kit keeps each part's stock choice with it and a line-by-line failure shrinks
  to the top and two parts whatever level the parts started on.

Parameters accept a strategy or a plain value where a value could vary (``quantities``,
``stock``, ``now``); bad arguments raise ``hypothesis.errors.InvalidArgument``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
from hypothesis import strategies as st

from jxc_rules.testing import _args

__all__ = [
    "BomCase",
    "Lot",
    "LotCase",
    "ReservationWorkload",
    "bom_cases",
    "cyclic_bom_mappings",
    "lot_cases",
    "reservation_workloads",
]

FloatArray = npt.NDArray[np.float64]

_SCRAPS = ("0.05", "0.1", "0.25")
_STOCK_KINDS = ("exact", "short", "over", "free")
_STOCK_KIND = st.sampled_from(_STOCK_KINDS)
_FREE_STOCK = st.integers(0, 500)


@attrs.frozen
class BomCase:
    """A BOM, what to make of it and the stock on hand.

    ``mapping`` is the BOM's plain data (``lines``, ``items``, ``outputs``) as a rule pack holds
    it; ``bom`` the built :class:`~jxc_rules.bom.Bom`; ``item`` / ``quantity`` the order;
    ``requirements`` = ``explode(bom, item, quantity)`` (the library's exact answer) and
    ``stock`` the leaves' stock in their stock units (exact Fractions); ``on`` the date the BOM
    is exploded on (dated lines only).
    """

    mapping: dict[str, Any]
    bom: Any
    item: str
    quantity: Fraction
    requirements: dict[str, Fraction]
    stock: dict[str, Fraction]
    on: dt.date | None = None

    def __repr__(self) -> str:  # what a failing example prints: the lines, readable
        lines = "; ".join(
            f"{ln['parent']}->{ln['child']} {ln['qty']} {ln.get('unit', '')}".rstrip()
            + (f" scrap {ln['scrap']}" if "scrap" in ln else "")
            for ln in self.mapping["lines"])
        stock = ", ".join(f"{k}={v}" for k, v in self.stock.items())
        outputs = "".join(f"; {k} makes {v}" for k, v in self.mapping["outputs"].items())
        return (f"BomCase(make {self.quantity} {self.item}; lines: {lines}{outputs}; "
                f"stock: {stock}; needs: "
                + ", ".join(f"{k}={v}" for k, v in self.requirements.items()) + ")")


def _quantity_strategy(max_quantity: int) -> st.SearchStrategy[Fraction]:
    return st.one_of(st.integers(1, max_quantity).map(Fraction),
                     st.integers(1, max_quantity * 100).map(lambda n: Fraction(n, 100)))


# built once: a strategy built inside a draw costs more than the draw itself
_LINE_QTY = st.one_of(st.integers(1, 12), st.integers(1, 1200).map(lambda k: Fraction(k, 100)))
_INT = {k: st.integers(0, k) for k in (2, 3, 7, 15, 60, 300)}
_SCRAP_CHOICE = st.sampled_from(_SCRAPS)


@st.composite
def _item_spec(draw: st.DrawFn, scrap: bool, dated: bool, mass: bool, zero_lines: bool,
               phantoms: bool, alternates: bool) -> dict[str, Any]:
    """One non-top item and the line that hangs it under its parent. Every optional feature
    is the non-zero choice of an integer, so shrinking turns it off."""
    # 0 (where shrinking goes) leaves the item out: lowering one integer removes an item
    # anywhere in the BOM, which the shrinker does far more reliably than deleting a span
    present = draw(_INT[7]) != 0
    qty: int | Fraction = draw(_LINE_QTY)
    spec: dict[str, Any] = {"present": present, "parent": draw(_INT[3]), "qty": qty,
                            "mass": bool(mass and draw(_INT[2]) == 2)}
    if scrap and draw(_INT[3]) == 3:
        spec["scrap"] = draw(_SCRAP_CHOICE)
    if dated and draw(_INT[3]) == 3:
        start = dt.date(2026, 1, 1) + dt.timedelta(days=draw(_INT[300]))
        spec["valid_from"] = start.isoformat()
        spec["valid_to"] = (start + dt.timedelta(days=draw(_INT[60]))).isoformat()
    spec["zero"] = bool(zero_lines and draw(_INT[7]) == 7)
    spec["phantom"] = bool(phantoms and draw(_INT[2]) == 2)
    spec["alternate"] = bool(alternates and draw(_INT[3]) == 3)
    return spec


def _qty_text(qty: int | Fraction) -> str:
    if isinstance(qty, int) or qty.denominator == 1:
        return str(int(qty))
    return f"{float(qty):.2f}".rstrip("0").rstrip(".")


def _bom_mapping(min_items: int, max_items: int, scrap: bool, outputs: bool,
                 zero_lines: bool, alternates: bool, phantoms: bool, dated: bool,
                 shared: bool, mass: bool) -> st.SearchStrategy[dict[str, Any]]:
    # a list of items, so the shrinker deletes any item (not only the last one)
    specs = st.lists(_item_spec(scrap, dated, mass, zero_lines, phantoms, alternates),
                     min_size=min_items - 1, max_size=max_items - 1)
    edges = st.lists(st.tuples(st.integers(0, max_items), st.integers(1, max_items),
                               st.integers(1, 12)), max_size=3)
    return _build_bom_mapping(specs, edges, outputs, shared, min_items - 1)


@st.composite
def _build_bom_mapping(draw: st.DrawFn, spec_lists: st.SearchStrategy[list[dict[str, Any]]],
                       edge_lists: st.SearchStrategy[list[tuple[int, int, int]]],
                       outputs: bool, shared: bool, min_parts: int) -> dict[str, Any]:
    drawn = draw(spec_lists)
    short = min_parts - sum(d["present"] for d in drawn)
    for d in drawn:  # min_items honoured: revive the first absent items if too few are left
        if short <= 0:
            break
        if not d["present"]:
            d["present"], short = True, short - 1
    specs = [d for d in drawn if d["present"]]
    n = len(specs) + 1
    names = [f"I{i}" for i in range(n)]
    items: dict[str, dict[str, Any]] = {"I0": {"unit": "pcs"}}
    for j, spec in enumerate(specs, start=1):
        items[names[j]] = {"unit": "kg" if spec["mass"] else "pcs"}
    lines: list[dict[str, Any]] = []

    def line(parent: int, child: int, spec: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"parent": names[parent], "child": names[child],
                               "qty": _qty_text(spec["qty"]), "unit": items[names[child]]["unit"]}
        for key in ("scrap", "valid_from", "valid_to"):
            if key in spec:
                out[key] = spec[key]
        return out

    for j, spec in enumerate(specs, start=1):
        # min(), not modulo: when the shrinker deletes an earlier item, a child keeps its parent
        lines.append(line(min(spec["parent"], j - 1), j, spec))
    if shared and n > 2:  # extra parent → child edges (a part used by two assemblies)
        for a, b, k in draw(edge_lists):
            lo, hi = min(a, n - 2, b), min(max(a, b), n - 1)
            if lo != hi:
                lines.append(line(lo, hi, {"qty": k}))
    for j, spec in enumerate(specs, start=1):
        ln = lines[j - 1]
        if spec["zero"] and sum(1 for other in lines if other["parent"] == ln["parent"]
                                and other["qty"] != "0") > 1:
            ln["qty"] = "0"
    parents = {ln["parent"] for ln in lines}
    for parent in parents:  # each assembly keeps one undated, non-zero line: always explodable
        keep = next(ln for ln in lines if ln["parent"] == parent and ln["qty"] != "0")
        keep.pop("valid_from", None)
        keep.pop("valid_to", None)
    for j, spec in enumerate(specs, start=1):
        if spec["phantom"] and names[j] in parents:
            items[names[j]]["phantom"] = True
    leaves = [nm for nm in names if nm not in parents]
    for j, spec in enumerate(specs, start=1):
        ln = lines[j - 1]
        if spec["alternate"] and ln["child"] in leaves and ln["qty"] != "0":
            same = [x for x in leaves
                    if x != ln["child"] and items[x]["unit"] == items[ln["child"]]["unit"]]
            if same:
                ln["alternates"] = [{"child": same[0]}]
    out: dict[str, int] = {}
    if outputs and parents:
        for parent in draw(st.lists(st.sampled_from(sorted(parents)), max_size=2, unique=True)):
            out[parent] = draw(st.integers(2, 6))
    return {"lines": lines, "items": items, "outputs": out}


@st.composite
def _bom_case(draw: st.DrawFn, mapping: st.SearchStrategy[dict[str, Any]],
              quantities: st.SearchStrategy[Any], stock: st.SearchStrategy[Any] | None,
              dated: bool) -> BomCase:
    from jxc_rules.bom import Bom, explode

    data = draw(mapping)
    bom = Bom.from_mapping(data)
    quantity = Fraction(draw(quantities))
    on = dt.date(2026, 1, 1) + dt.timedelta(days=draw(_INT[300])) if dated else None
    if not data["lines"]:
        return BomCase(data, bom, "I0", quantity, {}, {}, on)
    needs = explode(bom, "I0", quantity, on=on)
    leaves = sorted(bom.leaves, key=lambda s: int(s[1:]) if s[1:].isdigit() else 0)
    in_needs = [k for k in needs if k in bom.leaves]  # explode's order; leaves only
    drawn: dict[str, Fraction] = {}
    # Stock is drawn in explode's order (low-level code: a part under a sub-kit comes after
    # the top's own parts), the order a host walks the requirements in, not in item order.
    # Then "the first part covered, the next short" is the same choice sequence whatever
    # level each part sits on, and the shrinker can delete a sub-kit (its part moves up and
    # is renumbered) without having to swap two parts' stock at the same time — drawn in
    # item order, a case I0->I1->I2, I0->I3 (I3 covered, I2 short) was a local minimum.
    for leaf in in_needs + [x for x in leaves if x not in needs]:
        if stock is not None:
            drawn[leaf] = Fraction(draw(stock))
            continue
        need = needs.get(leaf, Fraction(0))
        unit = Fraction(1) if bom.stock_unit(leaf) == "pcs" else Fraction(1, 1000)
        kind = draw(_STOCK_KIND)
        whole = -(-need // unit) * unit  # the requirement rounded up to a whole piece / gram
        if kind == "exact":
            drawn[leaf] = whole
        elif kind == "short":
            drawn[leaf] = max(Fraction(0), whole - unit)
        elif kind == "over":
            drawn[leaf] = whole + unit
        else:
            drawn[leaf] = Fraction(draw(_FREE_STOCK)) * unit
    levels = {leaf: drawn[leaf] for leaf in leaves}  # shown in item order: I1, I2, ...
    return BomCase(data, bom, "I0", quantity, needs, levels, on)


def bom_cases(
    *,
    min_items: int = 2,
    max_items: int = 8,
    quantities: st.SearchStrategy[Any] | int | str | Fraction | None = None,
    stock: st.SearchStrategy[Any] | int | str | Fraction | None = None,
    scrap: bool = True,
    outputs: bool = True,
    zero_lines: bool = True,
    shared: bool = True,
    mass: bool = True,
    alternates: bool = False,
    phantoms: bool = False,
    dated: bool = False,
    empty: bool = False,
) -> st.SearchStrategy[BomCase]:
    """:class:`BomCase` values: a BOM under top item ``I0``, an order of ``I0`` and stock for
    every leaf, built to shrink to the smallest BOM that shows a failure.

    Parameters
    ----------
    min_items, max_items : int
        Items in the BOM (``min_items >= 2``; with ``empty=True`` an empty BOM is drawn too).
    quantities : strategy or value, optional
        How much of ``I0`` to make; default whole 1–50, sometimes two decimals.
    stock : strategy or value, optional
        Each leaf's stock level; default drawn *relative to the requirement* — exactly enough,
        one piece / gram short, one over, or free (0–500).
    scrap, outputs, zero_lines, shared, mass : bool
        Allow scrap markups, kit outputs (a parent making 2–6), zero-quantity lines (ignored by
        the BOM), parts shared by two assemblies, kilogram-stocked items.
    alternates, phantoms, dated : bool
        On request: alternates (替代料) on leaf lines, phantom (kit) sub-assemblies, lines with
        ``valid_from``/``valid_to`` (the case's ``on`` date is drawn in 2026).
    empty : bool
        Also draw the empty BOM (no lines; ``requirements`` and ``stock`` empty).

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> from jxc_rules.bom import max_buildable
    >>> @settings(max_examples=20)
    ... @given(bom_cases())
    ... def test_stock_for_one_order_builds_it(case):
    ...     if all(case.stock[k] >= v for k, v in case.requirements.items()):
    ...         assert max_buildable(case.bom, "I0", case.stock) >= int(case.quantity)
    >>> test_stock_for_one_order_builds_it()
    """
    name = "bom_cases"
    lo, hi = _args.check_sizes(name, min_items, max_items, minimum=2,
                               names=("min_items", "max_items"))
    qs = (_quantity_strategy(50) if quantities is None
          else _args.as_strategy(name, "quantities", quantities))
    if stock is not None and not isinstance(stock, st.SearchStrategy):
        if isinstance(stock, (bool, float)) or not isinstance(stock, (int, str, Fraction)):
            raise _args.fail(name, f"stock must be an exact quantity (int, str, Fraction) or a "
                             f"strategy of them, got {stock!r}")
        stock = st.just(Fraction(stock))
    for flag, value in (("scrap", scrap), ("outputs", outputs), ("zero_lines", zero_lines),
                        ("shared", shared), ("mass", mass), ("alternates", alternates),
                        ("phantoms", phantoms), ("dated", dated), ("empty", empty)):
        if not isinstance(value, bool):
            raise _args.fail(name, f"{flag} must be True or False, got {value!r}")
    mapping = _bom_mapping(lo, hi, scrap, outputs, zero_lines, alternates, phantoms, dated,
                           shared, mass)
    if empty:
        mapping = st.one_of(mapping, st.just({"lines": [], "items": {}, "outputs": {}}))
    return _bom_case(mapping, qs, stock, dated)


def cyclic_bom_mappings(*, max_items: int = 6) -> st.SearchStrategy[dict[str, Any]]:
    """BOM mappings that contain a cycle (invalid input: ``Bom`` raises ``BomCycleError``
    naming it). A valid tree of 2..``max_items`` items plus one back edge; a self-loop when
    ``I0`` is the only item on the cycle."""
    _args.check_int("cyclic_bom_mappings", "max_items", max_items, 2)

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        data = draw(_bom_mapping(2, max_items, False, False, False, False, False, False,
                                 False, False))
        lines = data["lines"]
        child_of = {ln["child"]: ln["parent"] for ln in lines}
        bottom = draw(st.sampled_from([ln["child"] for ln in lines]))
        path = [bottom]
        while path[-1] in child_of:
            path.append(child_of[path[-1]])
        top = path[draw(st.integers(0, len(path) - 1))]
        lines.append({"parent": bottom, "child": top, "qty": "1",
                      "unit": data["items"][top]["unit"]})
        return data

    return build()


# ------------------------------------------------------------------ lots

@attrs.frozen
class Lot:
    """One lot: ``quantity`` whole units, received at ``received_at``, sellable while
    ``now < expires_at`` (expiry is the first instant it may no longer be sold)."""

    lot_id: str
    quantity: int
    received_at: dt.datetime
    expires_at: dt.datetime
    times_h: FloatArray = attrs.field(eq=False, repr=False)
    temps_c: FloatArray = attrs.field(eq=False, repr=False)


@attrs.frozen
class LotCase:
    """Lots on hand at ``now`` and a ``demand`` (whole units) to pick."""

    lots: tuple[Lot, ...]
    now: dt.datetime
    demand: int

    def expiry_h(self) -> FloatArray:
        """Hours from ``now`` to each lot's expiry (0 = expires exactly now)."""
        return np.array([(lot.expires_at - self.now).total_seconds() / 3600
                         for lot in self.lots], dtype=np.float64)

    def sellable(self) -> list[Lot]:
        """The lots a correct FEFO may pick, in FEFO order (earliest expiry first, ties in
        lot order): those with ``now < expires_at``."""
        from jxc_rules.shelf_life import fefo_order

        if not self.lots:
            return []
        order = fefo_order(self.expiry_h())
        return [self.lots[i] for i in order if self.lots[i].expires_at > self.now]


_NOW = dt.datetime(2026, 3, 1, 0, 0)


@st.composite
def _lot_case(draw: st.DrawFn, min_lots: int, max_lots: int, nows: st.SearchStrategy[Any],
              bias: int, max_quantity: int, readings: int) -> LotCase:
    now = draw(nows)
    midnight = dt.datetime.combine(now.date(), dt.time())
    lots: list[Lot] = []
    for i in range(draw(st.integers(min_lots, max_lots))):
        if draw(st.integers(0, 99)) < bias:  # on a boundary: a midnight near now, or now itself
            kind = draw(st.sampled_from(("now", "midnight", "second_before", "second_after")))
            days = dt.timedelta(days=draw(st.integers(-2, 3)))
            expires = {"now": now, "midnight": midnight + days,
                       "second_before": now - dt.timedelta(seconds=1),
                       "second_after": now + dt.timedelta(seconds=1)}[kind]
        else:
            expires = now + dt.timedelta(minutes=draw(st.integers(-3 * 1440, 30 * 1440)))
        received = min(expires, now) - dt.timedelta(hours=draw(st.integers(1, 240)))
        n = draw(st.integers(2, readings))
        hours = (now - received).total_seconds() / 3600
        times = np.linspace(0.0, hours, n)
        temps = np.full(n, float(draw(st.integers(0, 8))))
        lots.append(Lot(f"L{i}", draw(st.integers(1, max_quantity)), received, expires,
                        times, temps))
    total = sum(lot.quantity for lot in lots)
    demand = draw(st.integers(1, max(1, total)))
    return LotCase(tuple(lots), now, demand)


def lot_cases(
    *,
    min_lots: int = 1,
    max_lots: int = 6,
    now: st.SearchStrategy[dt.datetime] | dt.datetime | None = None,
    max_quantity: int = 50,
    max_readings: int = 12,
    boundary_bias: float = 0.4,
) -> st.SearchStrategy[LotCase]:
    """:class:`LotCase` values: lots (quantity, receipt, expiry, a temperature log on the hours
    since receipt) and a demand, for FEFO picking (先到期先出).

    ``boundary_bias`` of the lots expire on a boundary: exactly ``now``, a midnight from two
    days before to three after, or one second either side of ``now`` — where ``<`` versus
    ``<=`` matters. ``now`` defaults to midnights and times of day in 2026 (no DST: China
    Standard Time has none, and datetimes are naive). Logs cross midnight.
    """
    name = "lot_cases"
    lo, hi = _args.check_sizes(name, min_lots, max_lots, names=("min_lots", "max_lots"))
    bias = _args.check_fraction(name, "boundary_bias", boundary_bias)
    _args.check_int(name, "max_quantity", max_quantity, 1)
    _args.check_int(name, "max_readings", max_readings, 2)
    if now is None:
        nows: st.SearchStrategy[Any] = st.one_of(
            st.just(_NOW), st.integers(0, 364).map(lambda d: _NOW + dt.timedelta(days=d)),
            st.integers(0, 365 * 1440).map(lambda m: _NOW + dt.timedelta(minutes=m)))
    elif isinstance(now, dt.datetime):
        nows = st.just(now)
    elif isinstance(now, st.SearchStrategy):
        nows = now
    else:
        raise _args.fail(name, f"now must be a datetime or a strategy of them, got {now!r}")
    return _lot_case(lo, hi, nows, round(bias * 100), max_quantity, max_readings)


# ------------------------------------------------------------------ reservation workloads

@attrs.frozen
class ReservationWorkload:
    """Stock and a sequence of orders to reserve against it, in order.

    ``on_hand`` maps SKU → whole units; ``orders`` is a tuple of ``(order_id, lines)`` with
    ``lines`` SKU → quantity. :meth:`expected` replays the orders all-or-nothing (the contract
    of ``Ledger.reserve``) and says which are accepted and what stays available.
    """

    on_hand: dict[str, int]
    orders: tuple[tuple[str, dict[str, int]], ...]

    def expected(self) -> tuple[list[bool], dict[str, int]]:
        """(accepted per order, available per SKU after all of them) — all or nothing."""
        available = dict(self.on_hand)
        accepted: list[bool] = []
        for _, lines in self.orders:
            ok = all(available.get(s, 0) >= q for s, q in lines.items())
            accepted.append(ok)
            if ok:
                for s, q in lines.items():
                    available[s] -= q
        return accepted, available


@st.composite
def _workload(draw: st.DrawFn, skus: tuple[str, ...], max_orders: int, max_lines: int,
              max_stock: int, bias: int) -> ReservationWorkload:
    n_skus = draw(st.integers(1, len(skus)))
    names = skus[:n_skus]
    on_hand = {s: draw(st.integers(0, max_stock)) for s in names}
    available = dict(on_hand)
    orders: list[tuple[str, dict[str, int]]] = []
    for k in range(draw(st.integers(1, max_orders))):
        chosen = draw(st.lists(st.sampled_from(names), min_size=1,
                               max_size=min(max_lines, n_skus), unique=True))
        lines: dict[str, int] = {}
        for s in chosen:
            if draw(st.integers(0, 99)) < bias:  # exactly what is left, or one more
                lines[s] = max(1, available[s] + draw(st.sampled_from((0, 1))))
            else:
                lines[s] = draw(st.integers(1, max(1, max_stock)))
        if all(available[s] >= q for s, q in lines.items()):
            for s, q in lines.items():
                available[s] -= q
        orders.append((f"SO-{k + 1}", lines))
    used = {s for _, lines in orders for s in lines}
    return ReservationWorkload({s: q for s, q in on_hand.items() if s in used}, tuple(orders))


def reservation_workloads(
    *,
    skus: tuple[str, ...] | Mapping[str, Any] = ("bolt", "nut", "oil", "gasket"),
    max_orders: int = 8,
    max_lines: int = 4,
    max_stock: int = 20,
    boundary_bias: float = 0.5,
) -> st.SearchStrategy[ReservationWorkload]:
    """:class:`ReservationWorkload` values: stock for 1..len(``skus``) SKUs and 1..``max_orders``
    orders of 1..``max_lines`` lines each.

    ``boundary_bias`` of the order lines ask for exactly what is still available, or one unit
    more — the case where an order is accepted with nothing to spare, or refused by one unit
    after its other lines would fit (the partial reservation a line-by-line reserve leaves
    behind). Shrinks to one order of two lines over two SKUs.
    """
    name = "reservation_workloads"
    names = tuple(skus)
    if not names or not all(isinstance(s, str) and s for s in names):
        raise _args.fail(name, f"skus must be non-empty SKU names, got {skus!r}")
    if len(set(names)) != len(names):
        raise _args.fail(name, f"skus must be unique, got {skus!r}")
    _args.check_int(name, "max_orders", max_orders, 1)
    _args.check_int(name, "max_lines", max_lines, 1)
    _args.check_int(name, "max_stock", max_stock, 0)
    bias = _args.check_fraction(name, "boundary_bias", boundary_bias)
    return _workload(names, max_orders, max_lines, max_stock, round(bias * 100))
