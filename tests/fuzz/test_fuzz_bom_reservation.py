"""Fuzz: bills of materials and the reservation ledgers (in memory and on SQLite)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from jxc_rules import bom, reservation
from jxc_rules.testing import bom_mappings, bom_orders, boms, stock_levels
from tests.fuzz._hostile import check, fuzz_settings, hostile, hostile_keys, or_hostile

LINE_KEYS = ["parent", "child", "qty", "unit", "scrap", "phantom", "setup", "valid_from",
             "valid_to", "alternates", "extra"]
QTY = st.one_of(st.integers(0, 500), st.fractions(0, 500, max_denominator=100),
                st.sampled_from(["12", "0.5", "1/3", "10 %"]))


@st.composite
def bom_inputs(draw: st.DrawFn) -> tuple[Any, Any, Any]:
    mapping = draw(bom_mappings(max_items=6))
    lines: Any = [dict(line) for line in mapping["lines"]]
    items: Any = mapping.get("items")
    outputs: Any = mapping.get("outputs")
    where = draw(st.sampled_from(["none", "line", "lines", "items", "outputs"]))
    bad = draw(hostile())
    if where == "line" and lines:
        k = draw(st.integers(0, len(lines) - 1))
        lines[k][draw(st.sampled_from(LINE_KEYS))] = bad
    elif where == "lines":
        lines = draw(st.sampled_from([bad, [bad], [*lines, bad]]))
    elif where == "items":
        items = draw(st.sampled_from([bad, {"I0": bad}, {"I0": {"unit": bad}},
                                      {"I0": {"step": bad}}, {"I0": {"mode": bad}}]))
    elif where == "outputs":
        outputs = draw(st.sampled_from([bad, {"I0": bad}]))
    return lines, items, outputs


@fuzz_settings(3)
@given(inputs=bom_inputs(), qty=or_hostile(QTY), stock=or_hostile(
    st.dictionaries(st.sampled_from(["I0", "I1", "I2", "I3", "ghost"]), or_hostile(QTY),
                    max_size=4), valid_weight=4),
       item=or_hostile(st.sampled_from(["I0", "I1", "I2", "ghost"]), valid_weight=6),
       on=st.one_of(st.none(), or_hostile(st.sampled_from(["2026-01-01", "2027-06-30"]))))
def test_bom_build_and_explode(inputs: tuple[Any, Any, Any], qty: Any, stock: Any, item: Any,
                               on: Any) -> None:
    lines, items, outputs = inputs
    made = check("bom.Bom", bom.Bom, lines, items=items, outputs=outputs)
    if not isinstance(made, bom.Bom):
        return
    check("bom.explode", bom.explode, made, item, qty, on=on)
    check("bom.explode(on_hand)", bom.explode, made, item, qty, on_hand=stock)
    check("bom.max_buildable", bom.max_buildable, made, item, stock, on=on)
    check("bom.where_used", bom.where_used, made, item, on=on)
    check("bom.round_requirements", bom.round_requirements, made, stock)
    check("bom.low_level_codes", bom.low_level_codes, made)


@fuzz_settings(2)
@given(data=st.data(), the_bom=boms(max_items=6))
def test_explode_valid_orders(data: st.DataObject, the_bom: Any) -> None:
    item, qty = data.draw(bom_orders(the_bom))
    stock = data.draw(stock_levels(the_bom))
    check("bom.explode", bom.explode, the_bom, item, qty)
    check("bom.max_buildable", bom.max_buildable, the_bom, item, stock,
          net=data.draw(st.booleans()), rounding=data.draw(st.booleans()))


SKUS = st.sampled_from(["bolt", "nut", "oil", "螺栓"])
KEYS = st.one_of(SKUS, SKUS, SKUS, hostile_keys())
ON_HAND = st.dictionaries(KEYS, or_hostile(QTY, valid_weight=6), max_size=3)
REQUIREMENTS = or_hostile(st.dictionaries(KEYS, or_hostile(QTY), max_size=3), valid_weight=4)
ORDER_ID = or_hostile(st.sampled_from(["SO-1", "SO-2", "订单3"]), valid_weight=6)


def _ledger_ops(target: str, ledger: Any, ops: list[tuple[str, Any, Any]]) -> None:
    for op, order_id, arg in ops:
        if op == "reserve":
            check(f"{target}.reserve", ledger.reserve, order_id, arg)
        elif op == "receive":
            check(f"{target}.receive", ledger.receive, order_id, arg)
        else:
            check(f"{target}.{op}", getattr(ledger, op), order_id)
        for sku in ("bolt", "nut"):
            check(f"{target}.available", ledger.available, sku)


OPS = st.lists(st.tuples(st.sampled_from(["reserve", "reserve", "release", "consume",
                                          "receive", "order"]),
                         ORDER_ID, st.one_of(REQUIREMENTS, or_hostile(QTY))), max_size=5)


@fuzz_settings(3)
@given(on_hand=or_hostile(ON_HAND, valid_weight=3), ops=OPS)
def test_memory_ledger(on_hand: Any, ops: list[tuple[str, Any, Any]]) -> None:
    ledger = check("reservation.Ledger", reservation.Ledger, on_hand)
    if isinstance(ledger, reservation.Ledger):
        _ledger_ops("reservation.Ledger", ledger, ops)
        check("reservation.replay", reservation.replay, ledger.journal())


@fuzz_settings(1)
@given(on_hand=or_hostile(ON_HAND, valid_weight=3), ops=OPS,
       synchronous=or_hostile(st.sampled_from(["NORMAL", "FULL", "OFF"]), valid_weight=6),
       timeout=or_hostile(st.floats(0.1, 5), valid_weight=6))
def test_sqlite_ledger(on_hand: Any, ops: list[tuple[str, Any, Any]], synchronous: Any,
                       timeout: Any) -> None:
    with tempfile.TemporaryDirectory(prefix="jxc-fuzz-") as tmp:
        ledger = check("reservation.SqliteLedger", reservation.SqliteLedger,
                       Path(tmp) / "ledger.db", on_hand, timeout=timeout,
                       synchronous=synchronous)
        if isinstance(ledger, reservation.SqliteLedger):
            try:
                _ledger_ops("reservation.SqliteLedger", ledger, ops)
            finally:
                ledger.close()


@fuzz_settings(1)
@given(name=st.one_of(st.sampled_from(["ledger.db", "", ".", "missing/x.db", "a\x00b.db",
                                        "garbage.db", "empty.db", "dir"]),
                      st.text(max_size=8)),
       other=hostile(), use_other=st.booleans())
def test_sqlite_ledger_paths(name: str, other: Any, use_other: bool) -> None:
    """Odd paths inside a temporary folder (never outside it), and non-path values."""
    with tempfile.TemporaryDirectory(prefix="jxc-fuzz-") as tmp:
        (Path(tmp) / "garbage.db").write_bytes(b"SQLite format 3\x00" + bytes(range(256)))
        (Path(tmp) / "empty.db").write_bytes(b"")
        (Path(tmp) / "dir").mkdir()
        path: Any = other if use_other and not isinstance(other, (str, bytes, bytearray)) \
            else str(Path(tmp) / name.replace("/", "_").replace("..", "_")) if name not in (
                "missing/x.db",) else str(Path(tmp) / name)
        ledger = check("reservation.SqliteLedger(path)", reservation.SqliteLedger, path,
                       {"bolt": 1})
        if isinstance(ledger, reservation.SqliteLedger):
            ledger.close()


@fuzz_settings(1)
@given(the_bom=boms(max_items=5), data=st.data())
def test_reserve_order(the_bom: Any, data: st.DataObject) -> None:
    item, qty = data.draw(bom_orders(the_bom))
    stock = data.draw(stock_levels(the_bom))
    qty = data.draw(or_hostile(st.just(qty), valid_weight=3))
    item = data.draw(or_hostile(st.just(item), valid_weight=5))
    ledger = reservation.Ledger(stock)
    check("reservation.reserve_order", reservation.reserve_order, ledger, the_bom,
          data.draw(ORDER_ID), item, qty, use_stock=data.draw(st.booleans()))


@fuzz_settings(1)
@given(events=st.lists(st.fixed_dictionaries({
    "seq": or_hostile(st.integers(0, 5), valid_weight=5),
    "kind": or_hostile(st.sampled_from(["receive", "reserve", "release", "consume",
                                        "adjust", "issue"]), valid_weight=5),
    "order_id": or_hostile(st.one_of(st.none(), st.just("SO-1")), valid_weight=5),
    "lines": or_hostile(st.lists(st.tuples(SKUS, QTY), max_size=2), valid_weight=4),
}), max_size=4))
def test_replay_events(events: list[dict[str, Any]]) -> None:
    built = []
    for e in events:
        made = check("reservation.Event", reservation.Event, **e)
        if isinstance(made, reservation.Event):
            built.append(made)
    check("reservation.replay", reservation.replay, built)
    check("reservation.normalize_requirements", reservation.normalize_requirements,
          events[0] if events else {})
