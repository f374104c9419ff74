"""What a host's type checker sees (#16): checked by ``mypy --strict tests/typing`` in CI.

``assert_type`` pins the public return types (no ``Any`` leaking out); each ``# type: ignore[...]``
marks a call that fails at run time and must be an error for mypy too — under ``--strict``
(``warn_unused_ignores``) an ignore that is no longer needed is itself an error, so a signature
that loosens back to ``object`` fails CI. The functions are never called; pytest only imports
this module (doctest collection), so nothing here runs.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import assert_type

import numpy as np
import numpy.typing as npt

import jxc_rules
from jxc_rules import Q_, convert, line_amount, round_to, ship_plan
from jxc_rules.rounding import round_quotient
from jxc_rules.shelf_life import Q10, remaining_life


def scalars_are_exact() -> None:
    assert_type(convert("12.35", "t", "kg"), Decimal)
    assert_type(convert(Fraction(1, 3), "dozen", "pcs", step=1), Decimal)
    assert_type(round_to(1, "0.10"), Decimal)
    assert_type(round_quotient(7, 2), int)
    assert_type(line_amount("12.36 t", "2350.00", "t"), Decimal)


def arrays_stay_arrays(kg: npt.NDArray[np.float64]) -> None:
    assert_type(convert(kg, "kg", "jin"), npt.NDArray[np.float64])


def ship_plans_carry_exact_quantities() -> None:
    plan = ship_plan("12.35 t", "40 kg")
    assert_type(plan.packs, int)
    assert_type(plan.shipped.magnitude, Decimal)
    assert_type(plan.residual.magnitude, Decimal)
    ship_plan(361, "144 pcs")  # a plain ordered number is read in the pack's unit


def shelf_life_scalar_and_batch(times: npt.NDArray[np.float64],
                                lots: npt.NDArray[np.int64]) -> None:
    assert_type(remaining_life([0.0, 48.0], [12.0, 12.0], Q10(3, 4), 240), float)
    assert_type(remaining_life(times, times, Q10(3, 4), 240, lot_ids=lots),
                npt.NDArray[np.float64])


def mistakes_a_type_checker_catches() -> None:
    convert(Q_(12.35, "t"), "t", "kg")  # type: ignore[call-overload]
    ship_plan(12.35, 40)  # type: ignore[arg-type]
    line_amount("12.36 t", 2350.0j, "t")  # type: ignore[arg-type]


def the_package_namespace_types_like_the_modules() -> None:
    assert_type(jxc_rules.ship_plan("1 t", "40 kg").packs, int)
