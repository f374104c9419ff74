"""Hypothesis fuzzing of the public kernels with hostile values.

Every call either returns or raises a ``JxcRulesError`` with a message — never another exception
type, never a warning. Arguments mix valid values (from ``jxc_rules.testing`` and small literals)
with hostile ones: NaN, ±inf, −0.0, 1e300, 10**400, bools, numeric and garbage strings, None,
empty and ragged lists, 2-D arrays, ``Decimal('NaN')``, Fractions. ``JXC_FUZZ_LOG`` (a file name)
gets one line ``target,inputs,failures`` per kernel.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jxc_rules as jr
from jxc_rules.bom import Bom, explode, max_buildable
from jxc_rules.errors import JxcRulesError
from jxc_rules.reservation import Ledger
from jxc_rules.shelf_life import Q10
from jxc_rules.wastage import blended_loss, gross_up

HOSTILE: list[Any] = [
    float("nan"), float("inf"), float("-inf"), -0.0, 1e300, -1e300, 10**400, True, False,
    "12", "abc", "", " ", "1e999999999", "nan", "12.5 kg", "40 L", None, [], [float("nan")],
    [[1, 2], [3]], np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([]), np.array(["1", "2"]),
    Decimal("NaN"), Decimal("-1"), Fraction(1, 3), -1, 0, [1, 2, 3], (1.0,), {"a": 1},
]
values = st.one_of(st.sampled_from(HOSTILE), st.integers(-5, 50), st.floats(-1e6, 1e6),
                   st.decimals(-1000, 1000, places=3, allow_nan=False))
COUNTS: dict[str, int] = {}


def _log_counts() -> None:
    log = os.environ.get("JXC_FUZZ_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            for name, n in sorted(COUNTS.items()):
                fh.write(f"kernel:{name},{n},0\n")


@pytest.fixture(scope="module", autouse=True)
def _write_log() -> Any:
    yield
    _log_counts()


def _contract(name: str, fn: Callable[[], Any]) -> None:
    COUNTS[name] = COUNTS.get(name, 0) + 1
    message: str | None = None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            fn()
        except JxcRulesError as exc:
            message = str(exc)
    assert message != "", f"{name}: an error without a message"


BOM = Bom([{"parent": "kit", "child": "bolt", "qty": 4, "unit": "pcs"},
           {"parent": "kit", "child": "oil", "qty": "0.5", "unit": "L"}])
PACKAGING = jr.Packaging({"bag": "40 kg", "pallet": "50 bag"})
TARGETS: dict[str, Callable[[Any, Any, Any], Any]] = {
    "convert": lambda a, b, c: jr.convert(a, "kg", "g", step=c if c is not None else None),
    "round_to": lambda a, b, c: jr.round_to(a, b),
    "allocate": lambda a, b, c: jr.allocate(a, [b, c] if not isinstance(b, list) else b),
    "breakdown": lambda a, b, c: jr.breakdown(a, PACKAGING),
    "ship_plan": lambda a, b, c: jr.ship_plan(a, b),
    "ship_plan_batch": lambda a, b, c: jr.ship_plan_batch(a, b),
    "line_amount": lambda a, b, c: jr.line_amount(a, b, "t"),
    "line_amounts_batch": lambda a, b, c: jr.line_amounts_batch(a, b, "t"),
    "invoice": lambda a, b, c: jr.invoice([a, b], freight=c),
    "expected_weight": lambda a, b, c: jr.expected_weight(a, b, rate_per_hour=c),
    "reconcile": lambda a, b, c: jr.reconcile(a, b, c, rate_per_hour=0.003),
    "equivalent_time": lambda a, b, c: jr.equivalent_time(a, b, Q10(3, 4)),
    "remaining_life": lambda a, b, c: jr.remaining_life(a, b, Q10(3, 4), c),
    "shelf_life_at": lambda a, b, c: jr.shelf_life_at(a, b, Q10(3, 4)),
    "gross_up": lambda a, b, c: gross_up(a, b),
    "blended_loss": lambda a, b, c: blended_loss(a, b, tolerance=c if c is not None else 1e-6),
    "explode": lambda a, b, c: explode(BOM, "kit", a),
    "max_buildable": lambda a, b, c: max_buildable(BOM, "kit", {"bolt": a, "oil": b}),
    "bom_lines": lambda a, b, c: Bom([{"parent": "p", "child": "c", "qty": a, "scrap": b}]),
    "ledger": lambda a, b, c: Ledger({"bolt": a}).reserve("SO-1", {"bolt": b}),
}


@pytest.mark.parametrize("name", sorted(TARGETS))
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(a=values, b=values, c=values)
def test_kernels_return_or_raise_our_error_never_anything_else(name: str, a: Any, b: Any,
                                                                c: Any) -> None:
    _contract(name, lambda: TARGETS[name](a, b, c))
