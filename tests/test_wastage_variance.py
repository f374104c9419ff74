"""Theoretical vs actual usage, unit normalisation and variance caps (issue 7)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from jxc_rules.errors import UnitError, ValidationError
from jxc_rules.units import Q_
from jxc_rules.wastage.prep import recipe_matrix
from jxc_rules.wastage.variance import theoretical_usage, usage_variance

RECIPE = recipe_matrix({"beef_plate": {"beef": "150 g"}, "veg": {"spinach": "200 g"},
                        "combo": {"beef": "100 g", "spinach": "100 g"}})


def test_worked_variance_by_hand() -> None:
    sold = np.array([[100, 40, 10], [50, 0, 20], [10, 10, 0]])  # dishes × channels
    theo = theoretical_usage(sold, RECIPE, yields=[0.75, 0.8])
    # beef: (0.15 × 150 + 0.1 × 20) / 0.75 by channel
    np.testing.assert_allclose(theo[0], [(15 + 1) / 0.75, (6 + 1) / 0.75, 1.5 / 0.75])
    rep = usage_variance([30.0, 20.0], [20.0, 15.0], [12.0, 6.0], theo, [0.5, 1.0],
                         items=RECIPE.ingredients, categories=["meat", "veg"],
                         caps={"meat": 0.05, "veg": 0.3})
    # beef: actual 38, theoretical 24.5/0.75 = 32.6667, waste 0.5 → variance 4.8333
    assert rep.actual.tolist() == [38.0, 29.0]
    assert rep.net_variance[0] == pytest.approx(38 - 24.5 / 0.75 - 0.5)
    assert rep.variance_rate[0] == pytest.approx((38 - 24.5 / 0.75 - 0.5) / 38)
    assert rep.over_cap.tolist() == [True, False]
    assert rep.flags() == {"beef": ["over_cap"]}
    assert rep.variance_by_channel is not None
    np.testing.assert_allclose(rep.variance_by_channel.sum(axis=1), rep.net_variance)
    np.testing.assert_allclose(rep.variance_by_channel[0] / rep.net_variance[0],
                               theo[0] / theo[0].sum())


def test_per_channel_stock_gives_per_channel_variance() -> None:
    theo = np.array([[10.0, 5.0]])
    rep = usage_variance([[10.0, 5.0]], [[5.0, 2.0]], [[4.0, 1.0]], theo, [[0.5, 0.0]],
                         items=["beef"])
    assert rep.net_variance.tolist() == [[0.5, 1.0]]
    assert rep.variance_by_channel is None


def test_purchase_unit_is_normalised_before_rates_the_500_percent_bug() -> None:
    # 5 kg waste against 1 case of 10 kg: a naive rate is 5 / 1 = 500 %
    rep = usage_variance([0.0], [1.0], [0.0], [4.0], [5.0], items=["shrimp"],
                         purchase_unit="pcs", purchase_pack_size="10 kg")
    assert rep.actual.tolist() == [10.0]
    assert rep.waste_rate.tolist() == [0.5]
    assert not rep.out_of_range.any()
    with pytest.raises(UnitError, match=r"'shrimp'.*piece.*kilogram.*purchase_pack_size"):
        usage_variance([0.0], [1.0], [0.0], [4.0], [5.0], items=["shrimp"],
                       purchase_unit="pcs")


def test_purchases_in_jin_convert_to_kg_exactly() -> None:
    rep = usage_variance([0.0], [20.0], [0.0], [9.0], items=["pork"], purchase_unit="斤")
    assert rep.actual.tolist() == [10.0]
    rep_q = usage_variance(Q_(np.array([1000.0]), "g"), Q_(np.array([2.0]), "斤"),
                           Q_(np.array([0.0]), "kg"), [1.5], items=["pork"])
    assert rep_q.actual.tolist() == [2.0]
    with pytest.raises(UnitError):
        usage_variance(Q_(np.array([1.0]), "L"), [1.0], [0.0], [0.5], items=["oil"])


def test_rates_outside_zero_one_are_flagged_not_clipped() -> None:
    rep = usage_variance([10.0, 10.0, 0.0], [0.0, 0.0, 0.0], [5.0, 0.0, 0.0], [7.0, 2.0, 1.0],
                         items=["a", "b", "c"])
    assert rep.variance_rate[0] == pytest.approx(-0.4)
    assert rep.out_of_range.tolist() == [True, False, True]
    assert np.isnan(rep.variance_rate[2])
    assert rep.flags() == {"a": ["variance_rate_out_of_range"], "c": ["no_usage"]}


def test_as_purchased_recipe_refuses_yields() -> None:
    r = recipe_matrix({"d": {"beef": 0.2}}, basis="as_purchased")
    with pytest.raises(ValidationError, match="twice"):
        theoretical_usage([[1.0]], r, yields=[0.8])


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"opening": [-1.0]}, "opening"),
    ({"closing": [float("nan")]}, "closing"),
    ({"theoretical": [[1.0], [2.0]]}, "theoretical"),
    ({"items": []}, "items"),
    ({"caps": {"meat": 0.1}}, "categories"),
])
def test_bad_variance_input_is_refused(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"opening": [1.0], "purchases": [1.0], "closing": [0.0],
                               "theoretical": [1.0], "items": ["x"]}
    args.update(kwargs)
    with pytest.raises(ValidationError, match=match):
        usage_variance(**args)  # type: ignore[arg-type]


@given(data=st.data(), n=st.integers(1, 6))
def test_variance_identity_holds(data: st.DataObject, n: int) -> None:
    vals = hnp.arrays(np.float64, n, elements=st.floats(0, 1e4))
    o, p, c, t, w = (data.draw(vals) for _ in range(5))
    rep = usage_variance(o, p, c, t, w, items=[f"i{k}" for k in range(n)])
    np.testing.assert_allclose(rep.actual, o + p - c)
    np.testing.assert_allclose(rep.net_variance + rep.theoretical + rep.recorded_waste,
                               rep.actual, atol=1e-6)
    ok = ~rep.out_of_range & (rep.actual > 0)
    assert ((rep.variance_rate[ok] >= 0) & (rep.variance_rate[ok] <= 1)).all()


def test_per_item_arrays_never_broadcast_along_channels() -> None:
    with pytest.raises(ValidationError, match="all per item"):
        usage_variance([[1.0, 1.0, 1.0]] * 3, [1.0, 1.0, 1.0], [[0.0] * 3] * 3, np.ones((3, 3)),
                       items=["a", "b", "c"])
    with pytest.raises(ValidationError, match="theoretical"):
        usage_variance([[1.0] * 3] * 3, [[1.0] * 3] * 3, [[0.0] * 3] * 3, np.ones(3),
                       items=["a", "b", "c"])
    with pytest.raises(ValidationError, match="recorded_waste"):
        usage_variance([[1.0] * 3] * 3, [[1.0] * 3] * 3, [[0.0] * 3] * 3, np.ones((3, 3)),
                       np.ones(3), items=["a", "b", "c"])


# ---------------------------------------------------------------- units before rates (review)


def test_theoretical_quantity_is_converted_to_the_stock_unit() -> None:
    # 5000 g of theoretical beef is 5 kg, not 5000 kg
    rep = usage_variance([10.0], [0.0], [0.0], Q_(np.array([5000.0]), "g"), items=["beef"])
    assert rep.theoretical.tolist() == [5.0]
    assert rep.net_variance.tolist() == [5.0]
    assert rep.variance_rate.tolist() == [0.5]


def test_theoretical_unit_converts_a_kg_recipe_against_stock_counted_in_jin() -> None:
    theo = theoretical_usage([[40.0]], recipe_matrix({"beef_plate": {"beef": "150 g"}}))  # 6 kg
    rep = usage_variance([20.0], [4.0], [10.0], theo[:, 0], items=["beef"], stock_unit="斤",
                         theoretical_unit="kg")
    assert rep.theoretical.tolist() == [12.0]  # 6 kg = 12 斤
    assert rep.net_variance.tolist() == [2.0]
    assert rep.variance_rate[0] == pytest.approx(2 / 14)
    with pytest.raises(UnitError, match=r"theoretical_unit of 'beef' is 'liter'"):
        usage_variance([20.0], [4.0], [10.0], [6.0], items=["beef"], theoretical_unit="L")
    with pytest.raises(UnitError, match="theoretical_unit"):
        usage_variance([20.0], [4.0], [10.0], Q_(np.array([6.0]), "kg"), items=["beef"],
                       theoretical_unit="kg")


def test_one_pack_size_never_rescales_items_bought_in_the_stock_dimension() -> None:
    # beef bought by the kg, shrimp by the case of 10 kg: the pack size is the shrimp's only
    rep = usage_variance([10.0, 10.0], [1.0, 1.0], [0.0, 0.0], [5.0, 5.0],
                         items=["beef", "shrimp"], purchase_unit=["kg", "pcs"],
                         purchase_pack_size="10 kg")
    assert rep.actual.tolist() == [11.0, 20.0]
    # per item: a pack size that agrees with the exact factor is fine, one that does not is refused
    rep = usage_variance([10.0, 10.0], [2.0, 1.0], [0.0, 0.0], [5.0, 5.0],
                         items=["pork", "shrimp"], purchase_unit=["斤", "pcs"],
                         purchase_pack_size=["0.5 kg", "10 kg"])
    assert rep.actual.tolist() == [11.0, 20.0]
    with pytest.raises(ValidationError, match=r"purchase_pack_size\[0\] .*'beef'.*\(row 0\)"):
        usage_variance([10.0, 10.0], [1.0, 1.0], [0.0, 0.0], [5.0, 5.0],
                       items=["beef", "shrimp"], purchase_unit=["kg", "pcs"],
                       purchase_pack_size=["10 kg", "10 kg"])


def test_a_negative_variance_beyond_the_cap_is_over_cap_too() -> None:
    # theoretical 12 against actual 10: variance rate −20 %, beyond a 5 % cap either way
    rep = usage_variance([10.0, 10.0], [0.0, 0.0], [0.0, 0.0], [12.0, 9.8], items=["a", "b"],
                         caps=0.05)
    assert rep.variance_rate.tolist() == pytest.approx([-0.2, 0.02])
    assert rep.over_cap.tolist() == [True, False]
    assert rep.flags() == {"a": ["over_cap", "variance_rate_out_of_range"]}


def test_variance_of_an_item_with_no_theoretical_usage_is_split_evenly_over_channels() -> None:
    rep = usage_variance([6.0], [0.0], [0.0], np.zeros((1, 3)), items=["beef"])
    assert rep.variance_by_channel is not None
    assert rep.variance_by_channel.tolist() == [[2.0, 2.0, 2.0]]


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"caps": -0.1}, r"^caps must be >= 0"),
    ({"categories": ["a", "b"], "caps": {"a": 0.1}}, r"^categories must be one category per item"),
    ({"purchase_unit": "pcs", "purchase_pack_size": ["1 kg", "2 kg"]},
     r"^purchase_pack_size must be one per item"),
    ({"purchase_unit": "pcs", "purchase_pack_size": "0 kg"},
     r"^purchase_pack_size\[0\] must be > 0"),
    ({"stock_unit": ["kg", "kg"]}, r"^stock_unit must be one unit per item"),
    ({"recorded_waste": [-1.0]}, r"^recorded_waste must be >= 0"),
])
def test_more_bad_variance_input_is_refused(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"opening": [1.0], "purchases": [1.0], "closing": [0.0],
                               "theoretical": [1.0], "items": ["x"]}
    args.update(kwargs)
    with pytest.raises(ValidationError, match=match):
        usage_variance(**args)  # type: ignore[arg-type]


def test_theoretical_usage_checks_its_shapes() -> None:
    r = recipe_matrix({"a": {"b": 1}})
    with pytest.raises(ValidationError, match=r"^sold must be an array whose first axis"):
        theoretical_usage(np.ones((2, 1)), r)
    with pytest.raises(ValidationError, match=r"^yields must be one yield per ingredient"):
        theoretical_usage(np.ones((1, 1)), r, yields=[0.5, 0.5])
