"""jsonable: every kernel's result goes into JSON and into SQL columns and comes back unchanged.

"Unchanged" is checked against the original result, not only against itself: a ``Decimal``
string parses back to the same digits and exponent, a ``Fraction`` to the same number, a
Quantity to the same magnitude in the same unit, an array to the same numbers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import math
import re
import sqlite3
from collections.abc import Iterator, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs
import numpy as np
import pint
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import jxc_rules as jr
from jxc_rules.bom import Bom
from jxc_rules.errors import JxcRulesError, ValidationError
from jxc_rules.serialize import jsonable
from jxc_rules.units import Q_, ureg

# ------------------------------------------------------------------ realistic kernel results


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    from jxc_rules.closing import Receipt, Shipment, StockCount
    from jxc_rules.shelf_life import Q10, HardLimit, ShelfLifeRule
    from jxc_rules.simulate import compare

    urea = jr.ProductProfile(sku="urea", name="尿素", price_unit="t", pack_content="40 kg")
    bom = Bom([{"parent": "kit", "child": "bolt", "qty": 4, "unit": "pcs"},
               {"parent": "kit", "child": "oil", "qty": "0.5", "unit": "L"}])
    rule = ShelfLifeRule(Q10(3, 4), "10 d", alert_offset_h="3 d", removal_offset_h="1 d",
                         hard_limits=[HardLimit(4, above_c=15)])
    return {
        "ship_plan": jr.ship_plan("12.35 t", "40 kg"),
        "ship_plan_batch": jr.ship_plan_batch(np.array([12.35, 1.0, 0.02]), 0.04),
        "line_amounts_batch": jr.line_amounts_batch(np.array([1.5, 2.0]),
                                                    np.array([2850.0, 2850.0]), "t"),
        "invoice": jr.invoice([Decimal("10.00"), Decimal("5.55")], freight="1.00",
                              tax_rate="0.09"),
        "close_month": jr.close_month(urea, [
            Receipt("PO1", "urea", 400, 2300),
            Shipment("SO1", "urea", 309, 2850, ordered="12.35 t"),
        ], opening={"urea": (100, "9000.00")}, counts={"urea": StockCount(190, 1, "30 kg")}),
        "reconcile": jr.reconcile([1000, 1000], [976.25, 960], 8, rate_per_hour=0.003),
        "remaining_life": jr.remaining_life([0, 48], [12, 12], Q10(3, 4), 240),
        "assess_lots": jr.assess_lots([0, 24, 48, 72], [[4, 4, 4, 4], [12, 12, 12, 12],
                                                        [4, 20, 20, 4]], rule, now_h=72),
        "gross_up": jr.gross_up(np.array([1.0, 2.0]), 0.04),
        "explode": jr.explode(bom, "kit", 3),
        "max_buildable": jr.max_buildable(bom, "kit", {"bolt": 10, "oil": 2}),
        "breakdown": jr.breakdown("12.35 t", jr.Packaging({"bag": "40 kg"})),
        "compare": compare("base-stock-poisson", None, None, trials=8, seed=7),
    }


KERNELS = ["ship_plan", "ship_plan_batch", "line_amounts_batch", "invoice", "close_month",
           "reconcile", "remaining_life", "assess_lots", "gross_up", "explode",
           "max_buildable", "breakdown", "compare"]


def assert_same(original: Any, back: Any, path: str = "value") -> None:
    """``back`` (JSON-native, after a round trip) stands for exactly ``original``."""
    if isinstance(original, enum.Enum):
        original = original.value
    if original is None or isinstance(original, (bool, np.bool_)):
        assert back == (None if original is None else bool(original)), path
        assert back is None or type(back) is bool, path
    elif isinstance(original, str):
        assert back == original, path
    elif isinstance(original, (int, np.integer)):
        assert type(back) is int, path
        assert back == int(original), path
    elif isinstance(original, (float, np.floating)):
        if math.isfinite(original):
            assert type(back) is float, path
            assert back == float(original), path
            assert math.copysign(1.0, back) == math.copysign(1.0, float(original)), path
        else:
            assert back is None, path
    elif isinstance(original, Decimal):
        assert Decimal(back).as_tuple() == original.as_tuple(), path
    elif isinstance(original, Fraction):
        assert Fraction(back) == original, path
    elif isinstance(original, pint.Quantity):
        assert set(back) == {"value", "unit"}, path
        assert ureg.Unit(back["unit"]) == ureg.Unit(str(original.units)), path
        _same_magnitude(original.magnitude, back["value"], f"{path}.value")
    elif isinstance(original, np.ndarray):
        assert_same(original.tolist() if original.dtype.kind in "iubf" else list(original),
                    back, path)
    elif attrs.has(type(original)):
        assert list(back) == [f.name for f in attrs.fields(type(original))], path
        for f in attrs.fields(type(original)):
            assert_same(getattr(original, f.name), back[f.name], f"{path}.{f.name}")
    elif dataclasses.is_dataclass(original):
        for f in dataclasses.fields(original):
            assert_same(getattr(original, f.name), back[f.name], f"{path}.{f.name}")
    elif isinstance(original, Mapping):
        assert len(back) == len(original), path
        for k, v in original.items():
            assert_same(v, back[k if isinstance(k, str) else json.dumps(jsonable(k))],
                        f"{path}[{k!r}]")
    elif isinstance(original, (list, tuple)):
        assert type(back) is list, path
        for i, (o, b) in enumerate(zip(original, back, strict=True)):
            assert_same(o, b, f"{path}[{i}]")
    elif isinstance(original, (dt.date, dt.time)):
        assert back == original.isoformat(), path
    else:  # pragma: no cover - a result type this checker does not know yet
        raise AssertionError(f"{path}: unexpected {type(original).__name__}")


def _same_magnitude(original: Any, back: Any, path: str) -> None:
    if isinstance(original, (np.ndarray, Decimal, Fraction)):
        assert_same(original, back, path)
    elif isinstance(original, (int, np.integer)):
        assert back == str(int(original)), path
    else:
        assert back == repr(float(original)), path


def only_json_native(value: Any) -> bool:
    if value is None or type(value) in (str, int, float, bool):
        return True
    if type(value) is list:
        return all(only_json_native(v) for v in value)
    if type(value) is dict:
        return all(type(k) is str and only_json_native(v) for k, v in value.items())
    return False


@pytest.mark.parametrize("name", KERNELS)
def test_every_kernel_result_round_trips_through_json_unchanged(
        results: dict[str, Any], name: str) -> None:
    value = jsonable(results[name])
    assert only_json_native(value)
    back = json.loads(json.dumps(value, allow_nan=False))
    assert back == value
    assert_same(results[name], back)


def _leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, f"{path}[{i}]")
    else:
        yield path, value


@pytest.mark.parametrize("name", KERNELS)
def test_every_kernel_result_goes_into_sqlite_columns_and_back_unchanged(
        results: dict[str, Any], name: str) -> None:
    value = jsonable(results[name])
    rows = list(_leaves(value))
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE leaves (path TEXT PRIMARY KEY, i INTEGER, r REAL, s TEXT, "
                 "b INTEGER, kind TEXT)")
    for path, leaf in rows:
        kind = "null" if leaf is None else type(leaf).__name__
        conn.execute("INSERT INTO leaves VALUES (?, ?, ?, ?, ?, ?)", (
            path, leaf if kind == "int" else None, leaf if kind == "float" else None,
            leaf if kind == "str" else None, leaf if kind == "bool" else None, kind))
    assert conn.execute("SELECT COUNT(*) FROM leaves WHERE typeof(i) = 'blob' OR "
                        "typeof(r) = 'blob' OR typeof(b) = 'blob'").fetchone() == (0,)
    read = {}
    for path, i, r, s, b, kind in conn.execute("SELECT * FROM leaves"):
        read[path] = {"int": i, "float": r, "str": s, "bool": None if b is None else bool(b),
                      "null": None}[kind]
    assert read == dict(rows)
    ints = [leaf for _, leaf in rows if type(leaf) is int]
    assert conn.execute("SELECT COALESCE(SUM(i), 0) FROM leaves").fetchone() == (sum(ints),)


@pytest.mark.parametrize(("name", "column"), [
    ("line_amounts_batch", None), ("ship_plan_batch", "packs"), ("close_month", "cogs_fen"),
    ("close_month", "revenue_fen")])
def test_int64_arrays_sum_right_in_an_integer_column(
        results: dict[str, Any], name: str, column: str | None) -> None:
    raw = results[name] if column is None else getattr(results[name], column)
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE lines (amount_fen INTEGER)")
    conn.executemany("INSERT INTO lines VALUES (?)", [(v,) for v in jsonable(raw)])
    assert conn.execute("SELECT SUM(amount_fen), COUNT(*) FROM lines "
                        "WHERE typeof(amount_fen) = 'integer'").fetchone() == (
        int(raw.sum()), raw.size)


def _documented_ints(results: dict[str, Any]) -> dict[str, Any]:
    close = results["close_month"].products["urea"]
    return {
        "ship_plan.packs": [results["ship_plan"].packs],
        "max_buildable": [results["max_buildable"]],
        "close_month.closing_bags": [close.opening_bags, close.receipts_bags,
                                     close.shipments_bags, close.book_bags, close.closing_bags],
        "close_month.variances.bags": [v.bags for v in close.variances],
        "max_buildable(numpy stock)": [jr.max_buildable(
            Bom([{"parent": "kit", "child": "bolt", "qty": 4, "unit": "pcs"}]),
            "kit", {"bolt": np.int64(10)})],
    }


RAW_INTS = ["ship_plan.packs", "max_buildable", "close_month.closing_bags",
            "close_month.variances.bags", "max_buildable(numpy stock)"]


@pytest.mark.parametrize("name", RAW_INTS)
def test_kernels_documenting_int_return_python_ints_that_sqlite_sums(
        results: dict[str, Any], name: str) -> None:
    # the BLOB bug on the raw values: a numpy int64 binds as 8 bytes and SUM reads 0
    raw = _documented_ints(results)[name]
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (n INTEGER)")
    conn.executemany("INSERT INTO t VALUES (?)", [(v,) for v in raw])
    assert conn.execute("SELECT SUM(n) FROM t").fetchone() == (sum(int(v) for v in raw),)
    assert all(type(v) is int for v in raw)


def test_round_quotient_of_numpy_scalars_is_a_python_int() -> None:
    from jxc_rules.rounding import round_quotient

    value = round_quotient(np.int64(7), np.int64(2))
    assert type(value) is int
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (n INTEGER)")
    conn.execute("INSERT INTO t VALUES (?)", (value,))
    assert conn.execute("SELECT SUM(n) FROM t").fetchone() == (4,)


# ------------------------------------------------------------------ the mapping, case by case


def test_each_kind_of_value_has_its_one_json_form() -> None:
    class Level(enum.Enum):
        OK = "ok"

    @dataclasses.dataclass
    class Row:
        on: dt.date
        level: Level

    assert jsonable({
        "d": Decimal("12.350"), "big": Decimal("1E+3"), "neg0": Decimal("-0"),
        "third": Fraction(1, 3), "whole": Fraction(3), "kg": Q_(Decimal("12.35"), "t"),
        "bags": Q_(3, "bag"), "f": Q_(0.1, "kg"), "arr": Q_(np.array([1, 2]), "kg"),
        "i": np.int64(7), "x": np.float32(0.5), "ok": np.bool_(True), "zero_d": np.array(5),
        "set": {3, 1, 2}, "tuple": (1, "a"), 5: "int key",
        "row": Row(dt.date(2026, 12, 3), Level.OK),
        "at": dt.datetime(2026, 12, 3, 8, 30), "np_day": np.datetime64("2026-12-03"),
    }) == {
        "d": "12.350", "big": "1E+3", "neg0": "-0", "third": "1/3", "whole": "3",
        "kg": {"value": "12.35", "unit": "t"}, "bags": {"value": "3", "unit": "袋"},
        "f": {"value": "0.1", "unit": "kg"}, "arr": {"value": [1, 2], "unit": "kg"},
        "i": 7, "x": 0.5, "ok": True, "zero_d": 5, "set": [1, 2, 3], "tuple": [1, "a"],
        "5": "int key", "row": {"on": "2026-12-03", "level": "ok"},
        "at": "2026-12-03T08:30:00", "np_day": "2026-12-03",
    }


def test_a_host_registrys_quantity_keeps_its_own_unit_spelling() -> None:
    host = pint.UnitRegistry()
    host.formatter.default_format = "P"
    assert jsonable(host.Quantity(Decimal("2.5"), "kg / t")) == {"value": "2.5",
                                                                 "unit": "kg / t"}


def test_nan_is_refused_naming_the_path_unless_allowed() -> None:
    @attrs.frozen
    class Line:
        amount: float

    @attrs.frozen
    class Doc:
        lines: tuple[Line, ...]

    doc = Doc((Line(1.0), Line(2.0), Line(math.nan)))
    with pytest.raises(ValidationError, match=r"^lines\[2\]\.amount must be a finite number"):
        jsonable(doc)
    assert jsonable(doc, allow_nan=True) == {"lines": [{"amount": 1.0}, {"amount": 2.0},
                                                       {"amount": None}]}
    with pytest.raises(ValidationError, match=r"^rates\[1\]\[0\] must be a finite"):
        jsonable({"rates": np.array([[0.1], [np.inf]])})
    with pytest.raises(ValidationError, match=r"^value\['a b'\] must be a finite"):
        jsonable({"a b": Decimal("sNaN")})
    assert jsonable([Decimal("NaN"), np.datetime64("NaT")], allow_nan=True) == [None, None]


@pytest.mark.parametrize(("value", "message"), [
    ({"lines": [b"raw"]}, r"^lines\[0\]: a bytes has no JSON form"),
    ([1j], r"^value\[0\]: a complex has no JSON form"),
    (np.longdouble(1), r"^value: a longdouble has no exact JSON form"),
    ({(1, 2): 3}, r"key \(1, 2\) has no string form"),
    ({1: "a", "1": "b"}, r"two keys spell '1'"),
])
def test_an_unknown_type_is_refused_naming_the_path_and_the_type(value: Any,
                                                                  message: str) -> None:
    with pytest.raises(ValidationError, match=message) as info:
        jsonable(value)
    assert isinstance(info.value, JxcRulesError)


def test_a_cycle_is_refused_not_a_recursion_error() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValidationError, match=r"^items\[0\]: a list that contains itself"):
        jsonable({"items": loop})


def test_numpy_generic_fallback_has_no_json_form_for_timedeltas() -> None:
    with pytest.raises(ValidationError, match="timedelta"):
        jsonable(np.timedelta64(3, "h"))


# ------------------------------------------------------------------ properties: exact round trips

decimals = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False),
    st.builds(lambda sign, digits, exp: Decimal((sign, tuple(digits), exp)),
              st.sampled_from([0, 1]), st.lists(st.integers(0, 9), min_size=1, max_size=60),
              st.integers(-999_999, 999_999)),
    st.just(Decimal("-0")), st.just(Decimal("0E-30")),
)


@given(decimals)
def test_decimals_round_trip_exactly_with_their_exponent(value: Decimal) -> None:
    text = json.loads(json.dumps(jsonable(value)))
    assert Decimal(text).as_tuple() == value.as_tuple()


@given(st.fractions())
def test_fractions_round_trip_exactly(value: Fraction) -> None:
    text = json.loads(json.dumps(jsonable(value)))
    assert Fraction(text) == value
    assert ("/" in text) == (value.denominator != 1)


@attrs.frozen
class _Leaf:
    amount: Decimal
    qty: Fraction
    packs: int


@attrs.frozen
class _Node:
    name: str
    leaves: tuple[_Leaf, ...]
    children: tuple[_Node, ...] = ()


_leaf = st.builds(_Leaf, decimals, st.fractions(), st.integers())
_nodes = st.recursive(
    st.builds(_Node, st.text(max_size=5), st.lists(_leaf, max_size=3).map(tuple)),
    lambda kids: st.builds(_Node, st.text(max_size=5), st.lists(_leaf, max_size=2).map(tuple),
                           st.lists(kids, max_size=3).map(tuple)),
    max_leaves=8,
)


@given(_nodes)
def test_nested_attrs_classes_round_trip_exactly(node: _Node) -> None:
    assert_same(node, json.loads(json.dumps(jsonable(node))))


_shapes = hnp.array_shapes(min_dims=0, max_dims=3, max_side=4)


@given(st.one_of(
    hnp.arrays(np.int64, _shapes),
    hnp.arrays(np.float64, _shapes, elements=st.floats(allow_nan=False, allow_infinity=False)),
    hnp.arrays(np.bool_, _shapes),
))
def test_numpy_arrays_round_trip_exactly_as_python_numbers(arr: np.ndarray[Any, Any]) -> None:
    back = json.loads(json.dumps(jsonable({"a": arr}), allow_nan=False))["a"]
    again = np.array(back, dtype=arr.dtype)
    assert again.shape == arr.shape
    assert np.array_equal(again, arr)
    if arr.dtype.kind == "f":
        assert np.array_equal(np.signbit(again), np.signbit(arr))
    assert only_json_native(back)


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=5)))
def test_a_float_array_with_nan_is_refused_at_its_first_bad_index(
        arr: np.ndarray[Any, Any]) -> None:
    bad = np.argwhere(~np.isfinite(arr))
    if bad.size == 0:
        assert jsonable(arr) == arr.tolist()
        return
    where = "".join(f"[{int(i)}]" for i in bad[0])
    with pytest.raises(ValidationError, match=rf"^x{re.escape(where)} must be a finite"):
        jsonable({"x": arr})
    expected = arr.astype(object)
    expected[~np.isfinite(arr)] = None
    assert jsonable({"x": arr}, allow_nan=True)["x"] == expected.tolist()
