"""The defects the hostile-input fuzzers found in the kernels (issue #21, ``tests/fuzz``), each
as a worked example: the call raises a ``ValidationError`` (a ``JxcRulesError``) whose message
names the field — never a raw TypeError / ValueError / OverflowError or a numpy warning, and
never a silently wrong answer. The fuzz targets hold the general contract; these pin the cases.
"""

from __future__ import annotations

import math
import warnings
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from jxc_rules import (
    closing,
    live_weight,
    money,
    packaging,
    reservation,
    rounding,
    shelf_life,
    units,
    wastage,
)
from jxc_rules.errors import JxcRulesError

UREA = packaging.ProductProfile(sku="urea", name="urea", price_unit="t", pack_content="40 kg")
NS = dict(math=math, np=np, Decimal=Decimal, Fraction=Fraction, closing=closing, money=money,
          packaging=packaging, reservation=reservation, rounding=rounding, units=units,
          shelf_life=shelf_life, live_weight=live_weight, wastage=wastage, UREA=UREA)

CASES = [
    # silent wrong answers before
    ("money.from_fen(1.9)", "fen"),
    ("rounding.round_quotient(7, 2, 'sideways')", "mode"),
    ("rounding.round_fraction(Fraction(1, 3), Fraction(1, 100), 'sideways')", "mode"),
    # raw exceptions / warnings before
    ("money.from_fen(math.inf)", "fen"),
    ("money.from_fen('nan')", "fen"),
    ("money.from_fen(np.array([1]))", "fen"),
    ("money.allocate('1.00', 1.5)", "weights"),
    ("money.to_fen(np.array([1.0, 1e308]))", "yuan"),
    ("rounding.round_quotient(math.nan, 2)", "num"),
    ("rounding.round_quotient(7, 0)", "den"),
    ("rounding.round_quotient(np.array([1.5]), 2)", "num"),
    ("rounding.round_quotient(np.array([5]), np.array([2, 0]))", "den"),
    ("rounding.round_fraction(math.nan, Fraction(1, 100))", "value"),
    ("rounding.round_fraction(Fraction(1, 3), 0)", "step"),
    ("rounding.round_array(['a'], 1.0)", "values"),
    ("rounding.round_array([[1, 2], [3]], 1.0, 'up')", "values"),
    ("rounding.round_array(np.array([1 + 2j]), 1.0)", "values"),
    ("rounding.round_array(np.array([1.0, 1e308]), 1e-3)", "values"),
    ("rounding.round_array(np.array([math.inf]), 1.0)", "values"),
    ("rounding.round_array([1.0], '1')", "step"),
    ("rounding.check_mode(np.array([]))", "mode"),
    ("units.unit_of(5)", "quantity"),
    ("units.magnitude(Decimal('sNaN'), 'kg')", "value"),
    ("units.magnitude('1e309 h', 'h')", "value"),
    ("packaging.invoice(math.nan)", "amounts"),
    ("packaging.ship_plan_batch([1.0], np.array([1e308]))", "pack_size"),
    ("packaging.ship_plan_batch(np.array([1 + 2j]), 1.0)", "ordered"),
    ("packaging.line_amounts_batch([1.0], [1.0], np.ones(2), unit='t')", "price_unit"),
    ("closing.close_month(UREA, 1.5)", "movements"),
    ("closing.journal([], [], [], [], [], ordered_kg=10**400)", "ordered_kg"),
    ("closing.journal([], [], [[1, 2], [3]], [], [])", "kind"),
    ("reservation.Event(0, 'bogus', None, [])", "event.kind"),
    ("reservation.Event(0, 'receive', None, 5)", "event.lines"),
    ("reservation.Ledger().order([])", "order_id"),
    ("reservation.replay([reservation.Event(0, 'reserve', None, [])])", "event.order_id"),
    ("live_weight.TransitModel(10**400)", "rate_per_hour"),
    ("shelf_life.Q10(2, 10**400)", "ref_temp_c"),
    ("shelf_life.Q10(Decimal('sNaN'), 4)", "q10"),
    ("shelf_life.Q10(np.array([1, 2]), 4)", "q10"),
    ("shelf_life.ShelfLifeRule(shelf_life.Q10(2, 4), 24, hard_limits=5)", "hard_limits"),
    ("shelf_life.q10_to_ea('', 4)", "q10"),
    ("shelf_life.z_to_q10(1e-5)", "z_c"),
    ("shelf_life.ea_to_q10(1e300, 4)", "ea_kj_per_mol"),
    ("shelf_life.shelf_life_at(np.array([1.0, 2.0]), np.array([1.0, 2.0, 3.0]), "
     "shelf_life.Q10(2, 4))", "shelf_life_ref"),
    ("shelf_life.mean_kinetic_temperature(math.nan, times_h=np.array([0.0, 1.0]))", "temps_c"),
    ("shelf_life.mean_kinetic_temperature(np.array([math.nan, math.nan]))", "temps_c"),
    ("shelf_life.fit_shelf_life([0.0, 0.0, 1e-253], [1.0, 1.0, 1.0], ref_temp_c=0.0)",
     "temps_c"),
    ("shelf_life.fit_shelf_life([0, 4, 8], [3.0, 2.0, 1.0], ref_temp_c=math.nan)",
     "ref_temp_c"),
    ("wastage.ChannelLoss('loss', prep=10**400)", "prep"),
    ("wastage.usage_variance([1.0], [1.0], [1.0], [1.0], items=5)", "items"),
    ("wastage.usage_variance([1.0, 2.0], [1.0, 2.0], [1.0, 2.0], [1.0, 2.0], items='abc')",
     "items"),
    ("wastage.covers(np.array([1e308]), 4.45, 3.0, turnover_definition='extra_uses_per_table')",
     "tables"),
]


@pytest.mark.parametrize(("expression", "field"), CASES, ids=[c[0][:60] for c in CASES])
def test_refused_naming_the_field(expression: str, field: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a numpy warning is a defect too
        with pytest.raises(JxcRulesError) as info:
            eval(expression, dict(NS))
    assert str(info.value).startswith(field), str(info.value)


def test_valid_calls_still_answer() -> None:
    """The checks refuse only what they should: the documented examples still hold."""
    assert money.from_fen(3522600) == Decimal("35226.00")
    assert money.from_fen(np.int64(5)) == Decimal("0.05")
    assert rounding.round_quotient(np.array([5, -5, 7, 6]), 2, "half_even").tolist() == [
        2, -2, 4, 3]
    assert rounding.round_quotient(Fraction(535, 2)) == 268
    assert rounding.round_fraction(Fraction(1, 3), Fraction(1, 100)) == Fraction(33, 100)
    assert rounding.round_array([2.675, -2.675, math.nan], 0.01)[:2].tolist() == [2.68, -2.68]
    assert math.isnan(rounding.round_array([math.nan], 0.01)[0])
    assert money.allocate("1.00", np.array([1, 3])) == [Decimal("0.25"), Decimal("0.75")]
    assert shelf_life.Q10(2, "4 degC").ref_temp_c == 4.0
    assert round(shelf_life.q10_to_ea("3", 4), 2) == 72.69
