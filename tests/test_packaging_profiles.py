"""Product profiles, catch weight and invoices (issue 4)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_DOWN, Decimal, localcontext
from fractions import Fraction

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from jxc_rules import (
    CatchWeightLine,
    ProductProfile,
    catch_weight_line,
    invoice,
    line_amount,
)
from jxc_rules.errors import UnitError, ValidationError
from jxc_rules.money import allocate
from jxc_rules.testing import money_amounts, product_profiles


def urea(**changes: object) -> ProductProfile:
    fields: dict[str, object] = {"sku": "urea-46", "name": "尿素", "price_unit": "t",
                                 "pack_content": "40 kg", "rounding": "up"}
    fields.update(changes)
    return ProductProfile(**fields)  # type: ignore[arg-type]


def test_profile_loads_from_a_rule_pack_mapping() -> None:
    p = ProductProfile.from_mapping({
        "sku": "urea-46", "name": "尿素", "labels": {"zh": "尿素", "en": "urea"},
        "stock_unit": "bag", "price_unit": "吨", "pack": {"name": "bag", "content": "40 kg"},
        "rounding": "up", "invoice_basis": "actual", "catch_weight_tolerance": 0.005,
        "source": "industries/agri-inputs.yaml:12",
    })
    assert p.catch_weight_tolerance == Fraction(1, 200)
    assert p.content == Fraction(1, 25)  # 40 kg in tonnes
    assert p.ship_plan("12.35 吨").packs == 309
    dumped = p.to_mapping()
    assert yaml.safe_load(yaml.safe_dump(dumped, allow_unicode=True)) == dumped
    assert ProductProfile.from_mapping(dumped) == p


@given(product_profiles())
def test_profiles_round_trip_through_yaml(profile: ProductProfile) -> None:
    text = yaml.safe_dump(profile.to_mapping(), allow_unicode=True)
    assert ProductProfile.from_mapping(yaml.safe_load(text)) == profile


@pytest.mark.parametrize(("mapping", "key"), [
    ({"colour": "red"}, "colour"),
    ({"pack": {"content": "40 kg", "weight": 1}}, "pack.weight"),
    ({"pack": {"name": "bag"}}, "pack.content"),
    ({"rounding": "nearest"}, "rounding"),
    ({"invoice_basis": "gross"}, "invoice_basis"),
    ({"catch_weight_tolerance": 1.5}, "catch_weight_tolerance"),
    ({"pack": "0 kg"}, "pack.content"),
    ({"sku": ""}, "sku"),
])
def test_profile_errors_name_the_key(mapping: dict[str, object], key: str) -> None:
    base: dict[str, object] = {"sku": "urea-46", "name": "尿素", "price_unit": "t",
                               "pack": "40 kg"}
    base.update(mapping)
    with pytest.raises(ValidationError) as info:
        ProductProfile.from_mapping(base)
    assert info.value.field == key


def test_pack_in_litres_for_a_product_priced_per_tonne_is_a_unit_error() -> None:
    with pytest.raises(UnitError, match="mass"):
        urea(pack_content="40 L")
    with pytest.raises(UnitError):
        ProductProfile.from_mapping({"sku": "x", "name": "x", "price_unit": "t",
                                     "pack": {"content": "40 L"}})


def test_catch_weight_within_tolerance_is_not_flagged() -> None:
    line = catch_weight_line(urea(), 309, 2850, actual_weight="12.402 t")
    assert isinstance(line, CatchWeightLine)
    assert line.nominal == Decimal("12.36")
    assert line.invoiced == Decimal("12.36")  # nominal basis
    assert line.amount == Decimal("35226.00")
    assert line.variance == Decimal("0.042")
    assert not line.flagged  # 0.34 % < 0.5 %


def test_catch_weight_outside_tolerance_is_flagged_with_its_variance_not_rejected() -> None:
    line = catch_weight_line(urea(invoice_basis="actual"), 309, 2850, actual_weight="12.50 t")
    assert line.flagged
    assert line.variance == Decimal("0.14")
    assert line.invoiced == Decimal("12.50")
    assert line.amount == line_amount("12.5 t", 2850, "t") == Decimal("35625.00")
    assert line.variance_fraction is not None
    assert abs(line.variance_fraction - Decimal("0.14") / Decimal("12.36")) < Decimal("1e-11")
    light = catch_weight_line(urea(), 309, 2850, actual_weight="12.29 t")
    assert light.flagged  # -0.57 %
    at_edge = catch_weight_line(urea(), 100, 2850, actual_weight="4.02 t")  # exactly +0.5 %
    assert not at_edge.flagged


def test_actual_basis_without_a_ticket_falls_back_to_nominal() -> None:
    line = catch_weight_line(urea(invoice_basis="actual"), 10, 2850)
    assert (line.invoiced, line.actual, line.variance, line.flagged) == (
        Decimal("0.4"), None, None, False)


def test_catch_weight_refuses_bad_input() -> None:
    with pytest.raises(ValidationError, match="packs"):
        catch_weight_line(urea(), -1, 2850)
    with pytest.raises(ValidationError, match="packs"):
        catch_weight_line(urea(), 1.5, 2850)  # type: ignore[arg-type]
    with pytest.raises(UnitError):
        catch_weight_line(urea(), 1, 2850, actual_weight="40 L")
    with pytest.raises(ValidationError, match="unit_price"):
        catch_weight_line(urea(), 1, -1)


def test_invoice_splits_freight_discount_and_tax_with_allocate() -> None:
    inv = invoice(["35226.00", "1000.00", "0.01"], freight="100.00", discount="50.00",
                  tax_rate="0.09")
    assert inv.subtotal == Decimal("36226.01")
    assert [ln.freight for ln in inv.lines] == allocate("100.00", ["35226.00", "1000.00",
                                                                   "0.01"])
    assert inv.tax == Decimal("3264.84")  # 36276.01 x 9 % = 3264.8409
    assert inv.total == Decimal("39540.85")
    assert inv.total == sum(ln.total for ln in inv.lines)
    assert inv.tax == sum(ln.tax for ln in inv.lines)


def test_invoice_refuses_unrounded_lines_and_oversized_discounts() -> None:
    with pytest.raises(ValidationError, match="whole fen"):
        invoice(["1.005"])
    with pytest.raises(ValidationError, match="discount"):
        invoice(["10.00"], discount="10.01")
    with pytest.raises(ValidationError, match="at least one"):
        invoice([])


@given(
    amounts=st.lists(money_amounts(0, 10**6), min_size=1, max_size=12),
    freight=money_amounts(0, 10**4),
    tax_percent=st.sampled_from(["0", "3", "6", "9", "13"]),
)
def test_invoice_total_is_the_sum_of_its_rounded_lines(
    amounts: list[Decimal], freight: Decimal, tax_percent: str
) -> None:
    inv = invoice(amounts, freight=freight, tax_rate=Decimal(tax_percent) / 100)
    assert inv.subtotal == sum(amounts)
    assert inv.total == sum(ln.total for ln in inv.lines)
    assert sum(ln.freight for ln in inv.lines) == freight
    assert all(ln.total.as_tuple().exponent == -2 for ln in inv.lines)
    lines = [catch_weight_line(urea(), 1 + i, a) for i, a in enumerate(amounts[:3])]
    assert invoice(lines).subtotal == sum(ln.amount for ln in lines)


def test_invoices_and_catch_weight_are_exact_whatever_the_callers_decimal_context() -> None:
    expected = invoice(["35226.00", "1000.00", "0.01"], freight="100.00", discount="50.00",
                       tax_rate="0.09")
    line = catch_weight_line(urea(invoice_basis="actual"), 309, 2850, actual_weight="12.402 t")
    with localcontext() as ctx:
        ctx.prec = 3
        ctx.rounding = ROUND_DOWN
        again = invoice(["35226.00", "1000.00", "0.01"], freight="100.00", discount="50.00",
                        tax_rate="0.09")
        line_again = catch_weight_line(urea(invoice_basis="actual"), 309, 2850,
                                       actual_weight="12.402 t")
    assert again == expected
    assert str(again.total) == "39540.85"
    assert line_again == line
    assert str(line_again.amount) == "35345.70"


def test_a_negative_taxable_base_names_what_made_it_negative() -> None:
    with pytest.raises(ValidationError, match=r"amounts must be .*subtotal -5.00") as info:
        invoice(["10.00", "-15.00"])
    assert info.value.field == "amounts"
    with pytest.raises(ValidationError, match="discount") as info:
        invoice(["10.00"], freight="1.00", discount="11.01")
    assert info.value.field == "discount"
    credit = invoice(["10.00", "-5.00"], freight="1.00")  # a credit line inside the invoice
    assert credit.total == Decimal("6.00") == sum(ln.total for ln in credit.lines)


@pytest.mark.parametrize(("amounts", "rate", "tax"), [
    (["10.05"], "0.13", "1.31"),      # 1.3065 -> 1.31
    (["0.50"], "0.01", "0.01"),       # 0.005: a tie, half up
    (["0.49"], "0.01", "0.00"),       # 0.0049
    (["100.00", "0.50"], "0.09", "9.05"),  # 9.045 -> 9.05
])
def test_invoice_tax_is_rounded_half_up_once_on_the_taxable_base(
    amounts: list[str], rate: str, tax: str
) -> None:
    inv = invoice(amounts, tax_rate=rate)
    assert inv.tax == Decimal(tax)
    assert sum(ln.tax for ln in inv.lines) == inv.tax


@pytest.mark.parametrize(("call", "field", "message"), [
    (lambda: ProductProfile.from_mapping(["urea"]), "profile", "a mapping"),
    (lambda: ProductProfile.from_mapping({"sku": "u", "name": "u", "pack": "40 kg"}),
     "price_unit", "present"),
    (lambda: urea(labels={"zh": 1}), "labels", "language"),
    (lambda: urea(pack_content="40"), "pack.content", "with a unit"),
    (lambda: catch_weight_line(urea(), 1, 2850, actual_weight="-1 kg"), "actual_weight", ">= 0"),
    (lambda: invoice(["1.00"], tax_rate="-0.09"), "tax_rate", ">= 0"),
    (lambda: invoice(["1.00"], freight="-1.00"), "freight", ">= 0"),
    (lambda: invoice(["1.00"], freight="1.001"), "freight", "whole fen"),
])
def test_every_profile_and_invoice_error_names_its_field(
    call: Callable[[], object], field: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message) as info:
        call()
    assert info.value.field == field
