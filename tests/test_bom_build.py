"""The vectorised BOM build (#22.4) against the line-by-line reference build.

``Bom(lines)`` validates and compiles in one vectorised pass over integer ids; when that pass
finds anything wrong it hands over to the line reader, which raises the first error in reading
order. These properties hold the two builds to the same state and the same errors, on valid
random BOMs and on BOMs with one hostile value, zero line, cycle or alternate put in.
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jxc_rules.bom import CACHE_SIZE, Bom, BomLine, _build_line_by_line, explode, explode_many
from jxc_rules.errors import UnknownItemError, ValidationError
from jxc_rules.testing import bom_mappings, stock_levels

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def state(bom: Bom) -> tuple[Any, ...]:
    """Everything a Bom holds, in comparable form (the lazily built parts built)."""
    graph = bom.graph
    fast = bom._fast
    compiled = {p: [(c.child, c.coef, c.setup, c.alternates, c.line) for c in cs]
                for p, cs in bom._compiled().items()}
    return (
        bom.to_mapping(), bom.lines, bom.low_level_codes(), bom._order, bom._pos, bom._units,
        bom.phantoms, bom.leaves, bom._outputs, bom._has_dates, bom.items, bom._items,
        sorted(graph.nodes), sorted(graph.edges(data=True)), compiled,
        None if fast is None else (fast.scale, fast.lines), repr(bom), len(bom),
    )


def outcome(build: Any) -> tuple[Any, ...]:
    try:
        bom = build()
    except Exception as exc:  # the error itself is what is compared
        return ("error", type(exc), str(exc), getattr(exc, "field", None),
                getattr(exc, "row", None), getattr(exc, "cycle", None))
    return ("ok", state(bom))


def both(lines: list[Any], outputs: Any = None, items: Any = None) -> None:
    fast = outcome(lambda: Bom(copy.deepcopy(lines), outputs=outputs, items=items))
    ref = outcome(lambda: _build_line_by_line(copy.deepcopy(lines), outputs=outputs,
                                              items=items))
    assert fast == ref


@SETTINGS
@given(mapping=bom_mappings(setups=True))
def test_the_vectorised_build_equals_the_line_by_line_build(mapping: dict[str, Any]) -> None:
    lines, items, outputs = mapping["lines"], mapping["items"], mapping["outputs"]
    both(lines, outputs, items)
    both(lines, outputs)                       # stock units from the lines
    bom = Bom(lines, outputs=outputs, items=items)
    assert bom._cols is not None               # and it did take the vectorised path


HOSTILE: dict[str, list[Any]] = {
    "qty": [-1, "-0.5", "nan", float("nan"), float("inf"), True, "1e16", "1e-13", "abc", None,
            [1], "4 kg", "4 pcs", Decimal("NaN"), Fraction(1, 3), 0, "0", 1.5, "1/3", 10**15],
    "parent": ["", " I0", "I0\t", 3, None, "I1", "零件\u200b", ("I0",)],
    "child": ["", "I0", "I1 ", 7, None, "螺栓"],
    "unit": ["", "kg", "furlong", 3, "dozen", "g", "斤"],
    "scrap": ["10 %", -0.1, 10, "1 kg", "nan", 9.99, "5 ‰", None, True],
    "setup": [-1, "nan", "1e16", 2, "0.5", None],
    "phantom": ["yes", 1, True, False],
    "valid_from": ["2026-13-01", "2026-07-01", dt.date(2026, 1, 1), 20260101],
    "valid_to": ["2020-01-01", "2026-12-31", dt.datetime(2026, 6, 30, 12)],
    "qtty": [1],
    "alternates": [[{"child": "ALT"}], [{"child": "ALT", "qty": 2, "unit": "pcs"}], "ALT",
                   [{"child": "I0"}], [{"child": "ALT", "qty": 0}]],
}


@SETTINGS
@given(mapping=bom_mappings(setups=True), data=st.data())
def test_one_hostile_value_gives_the_same_error_or_the_same_bom(mapping: dict[str, Any],
                                                                data: st.DataObject) -> None:
    lines = mapping["lines"]
    for _ in range(data.draw(st.integers(1, 2))):
        row = data.draw(st.integers(0, len(lines) - 1))
        key = data.draw(st.sampled_from(sorted(HOSTILE)))
        lines[row][key] = data.draw(st.sampled_from(HOSTILE[key]))
    if data.draw(st.booleans()):
        back = data.draw(st.sampled_from(lines))  # a line back up the BOM: a cycle
        lines.append({"parent": back["child"], "child": back["parent"],
                      "qty": data.draw(st.sampled_from([0, 1]))})
    items = mapping["items"] if data.draw(st.booleans()) else None
    both(lines, mapping["outputs"], items)


@pytest.mark.parametrize("lines", [
    [{"parent": "A", "child": "B", "qty": 0}, {"parent": "B", "child": "A", "qty": 1}],
    [{"parent": "A", "child": "A", "qty": 0}],
    [{"parent": "A", "child": "B", "qty": "nan"}, {"parent": "B", "child": "A", "qty": 1}],
    [{"parent": "A", "child": "B", "qty": 0}],
    [{"parent": "A", "child": "B", "qty": 1, "unit": "kg"},
     {"parent": "A", "child": "B", "qty": 1, "unit": "pcs"}],
    [{"parent": "A", "child": "B", "qty": 1, "alternates": [{"child": "C"}]},
     {"parent": "B", "child": "D", "qty": 1}],
    [{"parent": "K", "child": "A", "qty": 1, "phantom": True}],
    [],
])
def test_worked_hostile_boms_fail_alike(lines: list[dict[str, Any]]) -> None:
    both(lines)


def test_a_deep_chain_and_a_wide_bom_build_alike() -> None:
    chain = [{"parent": f"P{i}", "child": f"P{i + 1}", "qty": "1.01", "unit": "kg"}
             for i in range(300)]
    both(chain)
    assert Bom(chain).low_level_codes()["P300"] == 300
    wide = [{"parent": "top", "child": f"c{i}", "qty": i % 7, "unit": "g", "setup": i % 3}
            for i in range(500)]
    both(wide, items=None)


def test_dated_lines_and_alternates_explode_alike() -> None:
    lines = [
        {"parent": "GB", "child": "seal-A", "qty": 1, "valid_to": "2026-06-30"},
        {"parent": "GB", "child": "seal-B", "qty": 1, "valid_from": dt.date(2026, 7, 1)},
        {"parent": "GB", "child": "bearing-SKF", "qty": 2, "unit": "pcs",
         "alternates": [{"child": "bearing-HRB"}]},
    ]
    both(lines)
    fast, ref = Bom(lines), _build_line_by_line(lines)
    for day in ("2026-06-30", "2026-07-01"):
        assert explode(fast, "GB", 10, on=day) == explode(ref, "GB", 10, on=day)
        stock = {"bearing-SKF": 15, "bearing-HRB": 8}
        assert (explode(fast, "GB", 10, on=day, on_hand=stock)
                == explode(ref, "GB", 10, on=day, on_hand=stock))


def test_the_host_lines_are_not_kept_or_changed() -> None:
    lines = [{"parent": "A", "child": "B", "qty": "2", "unit": "kg"}]
    before = copy.deepcopy(lines)
    bom = Bom(lines)
    lines[0]["qty"] = "3"
    assert lines != before
    assert explode(bom, "A", 1) == {"B": 2}
    assert bom.lines[0].qty == 2


# ---------------------------------------------------------------- explode_many


@st.composite
def batches(draw: st.DrawFn, bom: Bom) -> list[tuple[str, Any]]:
    names = sorted(bom.items)
    amount = st.one_of(st.integers(0, 40), st.decimals(0, 40, places=2).map(str),
                       st.fractions(0, 40, max_denominator=7))
    return draw(st.lists(st.tuples(st.sampled_from(names), amount), max_size=12))


@SETTINGS
@given(mapping=bom_mappings(setups=True), data=st.data())
def test_explode_many_is_explode_of_each_order(mapping: dict[str, Any],
                                               data: st.DataObject) -> None:
    bom = Bom.from_mapping(mapping)
    orders = data.draw(batches(bom))
    assert explode_many(bom, orders) == [explode(bom, item, q) for item, q in orders]
    stock = data.draw(stock_levels(bom, leaves_only=False))
    assert (explode_many(bom, orders, on_hand=stock)
            == [explode(bom, item, q, on_hand=stock) for item, q in orders])
    exact = Bom.from_mapping(mapping)
    exact._fast = None  # the Fraction path (BOMs whose denominators are too large for ints)
    assert explode_many(exact, orders) == [explode(bom, item, q) for item, q in orders]


def test_explode_many_keeps_the_order_of_explode_and_its_dates() -> None:
    lines = [{"parent": "GB", "child": "seal-A", "qty": 1, "valid_to": "2026-06-30"},
             {"parent": "GB", "child": "seal-B", "qty": 1, "valid_from": "2026-07-01"},
             {"parent": "GB", "child": "purge", "qty": "0.1", "unit": "kg", "setup": 2}]
    bom = Bom(lines)
    orders = [("GB", 10), ("GB", 0), ("GB", "2.5"), ("purge", 3)]
    for day in ("2026-06-30", "2026-07-01"):
        many = explode_many(bom, orders, on=day)
        one = [explode(bom, item, q, on=day) for item, q in orders]
        assert many == one
        assert [list(r) for r in many] == [list(r) for r in one]
    assert explode_many(bom, [], on="2026-07-01") == []
    # a setup-only line (qty 0) reaches parts the per-unit part never does
    setup_only = Bom([{"parent": "A", "child": "S", "qty": 0, "setup": 1},
                      {"parent": "S", "child": "x", "qty": 2}, {"parent": "A", "child": "y",
                                                               "qty": 1}])
    orders = [("A", 3), ("A", "0.5"), ("A", 0)]
    assert explode_many(setup_only, orders) == [explode(setup_only, *o) for o in orders] == [
        {"y": 3, "x": 2}, {"y": Fraction(1, 2), "x": 2}, {}]


def test_explode_many_names_the_order_that_is_wrong() -> None:
    bom = Bom([{"parent": "kit", "child": "bolt", "qty": 2}])
    with pytest.raises(UnknownItemError, match=r"^orders\[1\]: unknown item 'bolt '"):
        explode_many(bom, [("kit", 1), ("bolt ", 1)])
    with pytest.raises(ValidationError, match=r"^orders\[2\]: quantity must be") as info:
        explode_many(bom, [("kit", 1), ("kit", 2), ("kit", -1)])
    assert info.value.row == 2
    assert info.value.field == "orders[2].quantity"
    with pytest.raises(ValidationError, match=r"orders\[0\] must be an \(item, quantity\) pair"):
        explode_many(bom, ["kit"])
    with pytest.raises(ValidationError, match="a list of"):
        explode_many(bom, {"kit": 1})  # type: ignore[arg-type]
    dated = Bom([{"parent": "A", "child": "x", "qty": 1, "valid_from": "2026-01-01"}])
    with pytest.raises(ValidationError, match=r"^orders\[0\]: lines of A"):
        explode_many(dated, [("A", 1)], on="2025-12-31")


# ---------------------------------------------------------------- Bom.cached


@SETTINGS
@given(mapping=bom_mappings(setups=True), data=st.data())
def test_the_cached_build_is_the_build_and_follows_every_change(mapping: dict[str, Any],
                                                                 data: st.DataObject) -> None:
    lines, outputs, items = mapping["lines"], mapping["outputs"], mapping["items"]
    Bom.cache_clear()
    first = Bom.cached(lines, outputs=outputs, items=items)
    assert first == Bom(lines, outputs=outputs, items=items)
    assert Bom.cached(copy.deepcopy(lines), outputs=dict(outputs), items=items) is first
    # any changed value is a new BOM, equal to building the changed lines
    changed = copy.deepcopy(lines)
    row = data.draw(st.integers(0, len(changed) - 1))
    changed[row]["qty"] = str(Decimal(changed[row]["qty"]) + Decimal("0.5"))
    second = Bom.cached(changed, outputs=outputs, items=items)
    assert second is not first
    assert second == Bom(changed, outputs=outputs, items=items)
    for other in (lines[:-1], [*lines, {"parent": lines[0]["parent"], "child": "I1",
                                        "qty": "0.5"}]):  # a line removed, a line added
        assert outcome(lambda o=other: Bom.cached(o, outputs=outputs, items=items)) == outcome(
            lambda o=other: Bom(o, outputs=outputs, items=items))
    if outputs:
        bigger = {k: v + 1 for k, v in outputs.items()}
        assert Bom.cached(lines, outputs=bigger, items=items) == Bom(lines, outputs=bigger,
                                                                    items=items)
    assert Bom.cached(lines, outputs=outputs, items=items) is first


def test_a_host_version_is_the_key_when_given() -> None:
    Bom.cache_clear()
    v1 = [{"parent": "kit", "child": "bolt", "qty": 2}]
    v2 = [{"parent": "kit", "child": "bolt", "qty": 3}]
    a = Bom.cached(v1, version=("kit", "ECN-1"))
    assert Bom.cached(v1, version=("kit", "ECN-1")) is a
    b = Bom.cached(v2, version=("kit", "ECN-2"))
    assert explode(b, "kit", 1) == {"bolt": 3}
    # the version is the host's promise: the same version is the same BOM, unread
    assert Bom.cached(v2, version=("kit", "ECN-1")) is a
    Bom.cache_clear()
    assert explode(Bom.cached(v2, version=("kit", "ECN-1")), "kit", 1) == {"bolt": 3}


def test_the_cache_is_bounded_and_failed_builds_are_not_kept() -> None:
    Bom.cache_clear()
    first = Bom.cached([{"parent": "k0", "child": "b", "qty": 1}])
    for i in range(1, CACHE_SIZE + 1):
        Bom.cached([{"parent": f"k{i}", "child": "b", "qty": 1}])
    assert Bom.cached([{"parent": "k0", "child": "b", "qty": 1}]) is not first  # evicted
    bad = [{"parent": "a", "child": "b", "qty": "nan"}]
    for _ in range(2):
        with pytest.raises(ValidationError, match=r"lines\[0\]\.qty \(a -> b\)"):
            Bom.cached(bad)
    objects = [BomLine("a", "b", Fraction(1))]  # no plain content: built, not cached
    assert Bom.cached(objects) is not Bom.cached(objects)
    assert Bom.cached(objects) == Bom(objects)
