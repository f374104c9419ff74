"""Planted bugs: host code with a classic defect, and proof that our strategies find it at
hypothesis's default 100 examples in at least 4 of 5 seeds, shrinking within 10 s to a case a
person reads at a glance.

Each check runs ``hypothesis.find`` (generate, then shrink) with ``max_examples=100`` — the
default — no example database, and a fixed ``random.Random(seed)`` per seed, so the counts are
reproducible. The shrunk examples are asserted, not just printed.
"""

from __future__ import annotations

import itertools
import math
import random
import time
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, TypeVar

from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

import jxc_rules.testing as jt
from jxc_rules.bom import round_requirements

T = TypeVar("T")
SEEDS = (0, 1, 2, 3, 4)
# hypothesis's own defaults (100 examples), whatever profile the run loaded (CI's derandomises,
# which would make the five seeds one); no database, so every seed starts from nothing
DEFAULT = settings(settings.get_profile("default"), max_examples=100, database=None,
                   deadline=None, derandomize=False,
                   suppress_health_check=[HealthCheck.too_slow])


def hunt(strategy: st.SearchStrategy[T], buggy: Callable[[T], bool],
         ) -> tuple[int, list[tuple[T, float]]]:
    """(seeds that found the bug, [(shrunk example, CPU seconds to find + shrink)]).

    CPU time of this process, not wall time: the machine is shared, and wall time there
    measures the neighbours."""
    found: list[tuple[T, float]] = []
    for seed in SEEDS:
        start = time.process_time()
        try:
            example = find(strategy, buggy, settings=DEFAULT, random=random.Random(seed))
        except NoSuchExample:
            continue
        found.append((example, time.process_time() - start))
    return len(found), found


# ------------------------------------------------------------------ float money

def host_invoice_line_float(quantity: Any, unit_price: Any) -> Decimal:
    """The planted bug: a host that prices a line in binary floats and rounds with round()."""
    return Decimal(str(round(float(quantity) * float(unit_price), 2)))


def host_invoice_line_exact(quantity: Decimal, unit_price: Decimal) -> Decimal:
    return (quantity * unit_price).quantize(Decimal("0.01"), ROUND_HALF_UP)


def test_a_float_rounding_invoice_bug_is_found_in_at_least_4_of_5_seeds() -> None:
    def wrong(line: jt.PricedLine) -> bool:
        return host_invoice_line_float(line.quantity, line.unit_price) != line.amount()

    hits, found = hunt(jt.priced_lines(), wrong)
    assert hits >= 4, f"found in {hits} of 5 seeds"
    for line, seconds in found:
        assert seconds <= 10
        # shrunk onto the boundary: the exact product is a half-fen tie, small numbers
        assert (line.exact_amount * 1000) % 10 == 5, line
        assert line.quantity <= 1000, line
        assert line.unit_price <= 1000, line


def test_the_exact_host_line_survives_the_same_hunt() -> None:
    def wrong(line: jt.PricedLine) -> bool:
        return host_invoice_line_exact(line.quantity, line.unit_price) != line.amount()

    assert hunt(jt.priced_lines(), wrong)[0] == 0


def test_without_boundary_bias_the_float_bug_mostly_survives() -> None:
    """The control: the same strategy with boundary_bias=0 is the old uniform draw."""
    def wrong(line: jt.PricedLine) -> bool:
        return host_invoice_line_float(line.quantity, line.unit_price) != line.amount()

    assert hunt(jt.priced_lines(boundary_bias=0), wrong)[0] <= 2


# ------------------------------------------------------------------ line-by-line BOM rounding

def host_pick_list_rounding_each_line(case: jt.BomCase) -> dict[str, Fraction]:
    """The planted bug: a host that explodes its own BOM data level by level, rounding every
    line's requirement up to whole pieces (the library rounds once, at the leaves:
    ``round_requirements(explode(...))``). Works on ``case.mapping``, the data a host has."""
    lines = [ln for ln in case.mapping["lines"] if Fraction(ln["qty"]) != 0]
    units = {k: v["unit"] for k, v in case.mapping["items"].items()}
    outputs = case.mapping["outputs"]
    parents = {ln["parent"] for ln in lines}
    need: dict[str, Fraction] = {case.item: case.quantity}
    done: set[str] = set()
    out: dict[str, Fraction] = {}
    while len(done) < len(need):
        # an item is ready once every parent that uses it is exploded
        ready = sorted(i for i in need if i not in done and all(
            ln["parent"] in done for ln in lines if ln["child"] == i))
        item = ready[0]
        done.add(item)
        if item not in parents:
            out[item] = need[item]
            continue
        for ln in lines:
            if ln["parent"] != item:
                continue
            q = (need[item] * Fraction(ln["qty"]) * (1 + Fraction(ln.get("scrap", "0")))
                 / outputs.get(item, 1))
            if units[ln["child"]] == "pcs":
                q = Fraction(math.ceil(q))  # the bug: rounding a line, not the total
            need[ln["child"]] = need.get(ln["child"], Fraction(0)) + q
    return out


def library_pick_list(case: jt.BomCase) -> dict[str, Fraction]:
    return round_requirements(case.bom, case.requirements)


def test_line_by_line_bom_rounding_is_found_and_shrinks_to_three_items() -> None:
    def wrong(case: jt.BomCase) -> bool:
        return host_pick_list_rounding_each_line(case) != library_pick_list(case)

    hits, found = hunt(jt.bom_cases(), wrong)
    assert hits >= 4, f"found in {hits} of 5 seeds"
    for case, seconds in found:
        assert seconds <= 10, (seconds, case)
        # the smallest BOM that shows it: I0 -> I1 -> I2 (a fractional need of I1), 3 items
        assert len(case.bom.items) <= 3, case
        assert case.quantity <= 2, case


# ------------------------------------------------------------------ partial reservation

def host_reserve_line_by_line(on_hand: dict[str, Fraction], needs: dict[str, Fraction]
                              ) -> dict[str, Fraction]:
    """The planted bug: reserve each line as it comes, stop at the first short one — and leave
    the earlier lines reserved. Returns what stays reserved after a refusal."""
    reserved: dict[str, Fraction] = {}
    for sku, q in needs.items():
        if on_hand.get(sku, Fraction(0)) < q:
            return reserved  # refused, but the earlier lines stay held
        reserved[sku] = q
    return {}  # accepted: nothing to report


def test_a_partial_reservation_from_a_bom_order_is_found_and_shrinks_to_three_items() -> None:
    def wrong(case: jt.BomCase) -> bool:
        needs = round_requirements(case.bom, case.requirements)
        return bool(host_reserve_line_by_line(case.stock, needs))

    hits, found = hunt(jt.bom_cases(), wrong)
    assert hits >= 4, f"found in {hits} of 5 seeds"
    for case, seconds in found:
        assert seconds <= 10, (seconds, case)
        assert case.quantity == 1, case
    # the smallest BOM that shows it, in every seed: the top, the part reserved, the part short
    assert all(len(case.bom.items) == 3 for case, _ in found), found


def test_bom_case_stock_is_drawn_in_the_order_explode_lists_the_parts() -> None:
    """Why every seed reaches 3 items: stock is drawn in explode's order, so a sub-kit can be
    deleted (its part moves up to the top and is renumbered) with each part keeping its stock
    choice. Drawn in item order, ``I0->I1->I2, I0->I3`` with I3 covered and I2 short was a
    local minimum: flattening it put the short part first. A counter as the stock strategy
    numbers the draws; among the parts, the numbers must follow ``requirements``' order."""
    counter = itertools.count()
    numbered = st.just(0).map(lambda _: next(counter))
    deep = [0]

    @settings(DEFAULT, max_examples=200)
    @given(jt.bom_cases(stock=numbered))
    def check(case: jt.BomCase) -> None:
        parts = [k for k in case.requirements if k in case.stock]
        assert sorted(parts, key=case.stock.__getitem__) == parts, case
        item_order = sorted(parts, key=lambda k: int(k[1:]))
        deep[0] += item_order != parts

    check()
    assert deep[0] > 0  # the draws did include parts whose item order is not explode's


def test_a_partial_reservation_in_a_workload_shrinks_to_two_skus_and_one_order() -> None:
    def wrong(w: jt.ReservationWorkload) -> bool:
        held: dict[str, int] = {}
        available = dict(w.on_hand)
        for _, lines in w.orders:
            for sku, q in lines.items():  # line by line, no rollback
                if available[sku] < q:
                    break
                available[sku] -= q
                held[sku] = held.get(sku, 0) + q
        return available != w.expected()[1]

    hits, found = hunt(jt.reservation_workloads(), wrong)
    assert hits >= 4, f"found in {hits} of 5 seeds"
    for w, seconds in found:
        assert seconds <= 10, (seconds, w)
        assert len(w.orders) == 1, w
        assert len(w.on_hand) <= 2, w
        assert all(q <= 1 for q in w.orders[0][1].values()), w


# ------------------------------------------------------------------ off-by-one expiry

def host_fefo_pick(case: jt.LotCase) -> list[str]:
    """The planted bug: a lot counts as sellable on its expiry instant (<= instead of <)."""
    usable = sorted((lot for lot in case.lots if case.now <= lot.expires_at),
                    key=lambda lot: lot.expires_at)
    return [lot.lot_id for lot in usable]


def test_an_off_by_one_expiry_in_fefo_is_found_and_shrinks_to_one_lot() -> None:
    def wrong(case: jt.LotCase) -> bool:
        return host_fefo_pick(case) != [lot.lot_id for lot in case.sellable()]

    hits, found = hunt(jt.lot_cases(), wrong)
    assert hits >= 4, f"found in {hits} of 5 seeds"
    for case, seconds in found:
        assert seconds <= 10, (seconds, case)
        assert len(case.lots) == 1, case
        assert case.lots[0].expires_at == case.now, case
