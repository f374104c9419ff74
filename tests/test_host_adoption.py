"""What a host needs to adopt the library (#16): light lazy imports, pint that respects the host's
registry, and results that go into JSON and SQL unchanged."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pint
import pytest
from hypothesis import given
from hypothesis import strategies as st

import jxc_rules
from jxc_rules.errors import UnitError, ValidationError
from jxc_rules.serialize import jsonable

HEAVY = ("scipy", "networkx", "rich", "jxc_rules.simulate", "sqlalchemy", "statsmodels")
LIGHT = ["units", "rounding", "money", "packaging", "closing", "live_weight", "shelf_life",
         "wastage"]


def _new_modules(statement: str) -> set[str]:
    """Modules ``statement`` loads beyond ``import pint, numpy`` (pint may load scipy itself)."""
    code = ("import sys, pint, numpy; before = set(sys.modules); " + statement +
            "; print('\\n'.join(sorted(set(sys.modules) - before)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    return set(out.split())


@pytest.mark.parametrize("module", [*LIGHT, ""])
def test_light_modules_load_no_scipy_networkx_rich_or_simulator(module: str) -> None:
    new = _new_modules(f"import jxc_rules{'.' + module if module else ''}")
    heavy = sorted(m for m in new if m.split(".")[0] in HEAVY or m.startswith(HEAVY))
    assert heavy == []


def test_every_public_name_resolves_lazily_and_is_listed() -> None:
    for name in jxc_rules.__all__:
        assert getattr(jxc_rules, name) is not None, name
    assert set(jxc_rules.__all__) <= set(dir(jxc_rules))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        jxc_rules.nope  # noqa: B018


def test_importing_leaves_the_hosts_application_registry_alone() -> None:
    code = ("import pint; host = pint.UnitRegistry(); pint.set_application_registry(host); "
            "import jxc_rules, jxc_rules.units, jxc_rules.packaging; "
            "print(pint.get_application_registry().get() is host)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "True"


def test_a_foreign_bag_is_refused_never_counted_and_a_foreign_kg_is_converted() -> None:
    host = pint.UnitRegistry()
    with pytest.raises(UnitError, match=r"'bag' of another pint registry is 42\.6.*kilogram "
                                        r"\(\[mass\]\); in jxc_rules 'bag' is 1 piece"):
        jxc_rules.ship_plan(host.Quantity(2, "bag"), "1 bag")
    with pytest.raises(UnitError, match="another pint registry"):
        jxc_rules.units.magnitude(host.Quantity(2, "bag"), "piece")
    plan = jxc_rules.ship_plan(host.Quantity(Decimal("12.35"), "tonne"), "40 kg")
    assert plan.packs == 309
    assert jxc_rules.units.magnitude(host.Quantity(3, "kilogram"), "斤") == 6


# ------------------------------------------------------------------ jsonable: JSON and SQL

def _kernel_results() -> dict[str, Any]:
    from jxc_rules.bom import Bom

    bom = Bom([{"parent": "kit", "child": "bolt", "qty": 4, "unit": "pcs"},
               {"parent": "kit", "child": "oil", "qty": "0.5", "unit": "L"}])
    profile = jxc_rules.ProductProfile(sku="urea", name="尿素", price_unit="t",
                                       pack_content="40 kg")
    return {
        "ship_plan": jxc_rules.ship_plan("12.35 t", "40 kg"),
        "ship_plan_batch": jxc_rules.ship_plan_batch(np.array([12.35, 1.0]), 0.04),
        "line_amounts_batch": jxc_rules.line_amounts_batch(np.array([1.5, 2.0]),
                                                           np.array([2850.0, 2850.0]), "t"),
        "invoice": jxc_rules.invoice([Decimal("10.00"), Decimal("5.55")], freight="1.00"),
        "close_month": jxc_rules.close_month(profile, [], opening={"urea": (100, "9000.00")},
                                             counts={"urea": jxc_rules.StockCount(99, 1, "0 kg")}),
        "reconcile": jxc_rules.reconcile([1000, 1000], [976.25, 960], 8, rate_per_hour=0.003),
        "remaining_life": jxc_rules.remaining_life([0, 48], [12, 12], jxc_rules.Q10(3, 4), 240),
        "gross_up": jxc_rules.gross_up(np.array([1.0, 2.0]), 0.04),
        "explode": jxc_rules.explode(bom, "kit", 3),
        "max_buildable": jxc_rules.max_buildable(bom, "kit", {"bolt": 10, "oil": 2}),
        "breakdown": jxc_rules.breakdown("12.35 t", jxc_rules.Packaging({"bag": "40 kg"})),
    }


@pytest.mark.parametrize("name", sorted(_kernel_results()))
def test_every_kernel_result_round_trips_through_json(name: str) -> None:
    value = jsonable(_kernel_results()[name])
    assert json.loads(json.dumps(value)) == value


def test_int64_fen_go_into_sqlite_as_integers_and_sum_right() -> None:
    fen = jxc_rules.line_amounts_batch(np.array([1.5, 2.0]), np.array([2850.0, 2850.0]), "t")
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE lines (amount_fen INTEGER, amount TEXT)")
    plan = jxc_rules.ship_plan("12.35 t", "40 kg")
    rows = [(v, jsonable(plan.shipped)["value"]) for v in jsonable(fen)]
    conn.executemany("INSERT INTO lines VALUES (?, ?)", rows)
    total, = conn.execute("SELECT SUM(amount_fen) FROM lines").fetchone()
    assert total == int(fen.sum())
    assert conn.execute("SELECT typeof(amount_fen) FROM lines").fetchone() == ("integer",)
    back, = conn.execute("SELECT amount FROM lines").fetchone()
    assert Decimal(back) == plan.shipped.magnitude


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_decimals_round_trip_exactly_with_their_exponent(value: Decimal) -> None:
    text = json.loads(json.dumps(jsonable(value)))
    assert Decimal(text).as_tuple() == value.as_tuple()


@given(st.fractions())
def test_fractions_round_trip_exactly(value: Fraction) -> None:
    assert Fraction(json.loads(json.dumps(jsonable(value)))) == value


@given(st.lists(st.integers(-2**62, 2**62)), st.lists(st.floats(allow_nan=False,
                                                                allow_infinity=False)))
def test_numpy_arrays_become_python_numbers(ints: list[int], floats: list[float]) -> None:
    out = jsonable({"i": np.array(ints, dtype=np.int64), "f": np.array(floats)})
    assert out == {"i": ints, "f": floats}
    assert all(type(x) is int for x in out["i"])


def test_nan_is_refused_naming_the_path_unless_allowed() -> None:
    with pytest.raises(ValidationError, match=r"^rates\[1\] must be a finite"):
        jsonable({"rates": np.array([0.1, np.nan])})
    assert jsonable({"rates": np.array([0.1, np.nan])}, allow_nan=True) == {"rates": [0.1, None]}
    with pytest.raises(ValidationError, match="a object has no JSON form"):
        jsonable([object()])


def test_the_command_lines_help_loads_neither_numpy_nor_pint() -> None:
    new = _new_modules("from jxc_rules.cli import build_parser; build_parser()")
    assert "jxc_rules.simulate" not in new
    code = ("import sys; from jxc_rules.cli import build_parser; build_parser(); "
            "print(sorted(m for m in ('numpy', 'pint', 'yaml', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize(("package", "name"), [("jxc_rules.rules", "diff"),
                                               ("jxc_rules.simulate", "sweep")])
def test_a_function_named_like_its_module_stays_the_function(package: str, name: str) -> None:
    # whatever was imported first (the submodule, then the package), the name is the function
    code = (f"import importlib, inspect; importlib.import_module('{package}.{name}'); "
            f"import {package} as p; import jxc_rules; "
            f"print(inspect.isfunction(getattr(p, '{name}')), "
            f"inspect.isfunction(getattr(jxc_rules, '{name}', getattr(p, '{name}'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["True", "True"]


@given(
    ordered=st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False),
    extra=st.floats(min_value=0, max_value=1e6, allow_nan=False),
)
def test_result_quantities_combine_with_ordinary_pint_arithmetic(ordered: Decimal,
                                                                  extra: float) -> None:
    """#16: ShipPlan's exact Decimal magnitudes used to raise TypeError against float Quantities."""
    plan = jxc_rules.ship_plan(f"{ordered} kg", "40 kg")
    total = plan.shipped + jxc_rules.Q_(extra, "kg")
    assert total.units == jxc_rules.ureg.kilogram
    assert total.magnitude == pytest.approx(float(plan.shipped.magnitude) + extra)
    assert (plan.shipped * 2.5).magnitude == pytest.approx(float(plan.shipped.magnitude) * 2.5)
    # exact stays exact: with ints and Decimals, and the magnitude is a Decimal (the contract)
    assert isinstance(plan.shipped.magnitude, Decimal)
    assert plan.shipped + plan.residual == jxc_rules.Q_(ordered, "kg")
    assert Decimal(plan.shipped.to("g").magnitude) == Decimal(plan.packs * 40_000)
    assert jsonable(plan)["shipped"] == {"value": str(plan.shipped.magnitude), "unit": "kg"}
