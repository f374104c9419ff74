"""Turnover → covers → prep, recipes, par levels and orders (issue 7)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from jxc_rules.errors import UnitError, UnknownItemError, ValidationError
from jxc_rules.units import Q_
from jxc_rules.wastage import ChannelLossModel
from jxc_rules.wastage.prep import (
    convert_turnover,
    covers,
    dish_portions,
    ingredient_demand,
    order_quantities,
    par_level,
    prep_chain,
    prep_plan,
    prep_quantities,
    recipe_matrix,
)

MODEL = ChannelLossModel.from_mapping({
    "convention": "loss",
    "channels": {
        "dine_in": {"prep": 0.01, "spoilage": 0.01, "plate": 0.02},
        "takeaway": {"prep": 0.01, "packaging": 0.03},
        "group_meal": {"prep": 0.01, "plate": 0.01},
    },
    "items": {"leafy": {"dine_in": {"spoilage": 0.08}}},
    "groups": {"spinach": "leafy"},
    "yields": {"beef": 0.85, "spinach": 0.8},
    "sources": ["illustrative"],
})


# ---------------------------------------------------------------- worked example


def test_worked_example_tables_to_prep() -> None:
    chain = prep_chain(30, 3.8, 3.2, 0.35, 0.15, turnover_definition="uses_per_table",
                       yield_fraction=0.85, loss=0.04, convention="loss")
    assert chain.covers == pytest.approx(364.8)
    assert round(chain.edible, 3) == 19.152
    assert round(chain.as_purchased, 3) == 22.532
    assert round(chain.prep, 3) == 23.471
    markup = prep_chain(30, 3.8, 3.2, 0.35, 0.15, turnover_definition="uses_per_table",
                        yield_fraction=0.85, loss=0.04, convention="markup")
    assert round(markup.prep, 3) == 23.433


def test_worked_example_through_the_matrix_path() -> None:
    recipe = recipe_matrix({"beef_plate": {"beef": "150 g"}})
    cov = covers([30], [3.8], [3.2], turnover_definition="uses_per_table")
    portions = dish_portions(np.array([[cov[0]]]), [[0.35]])
    edible = ingredient_demand(portions, recipe)
    assert edible[0, 0, 0] == pytest.approx(19.152)
    prep = prep_quantities(edible, yields=[0.85], losses=[[0.04]])
    assert round(float(prep[0, 0, 0]), 3) == 23.471


def test_both_turnover_definitions_give_the_same_covers() -> None:
    assert covers(30, 2.8, 3.2, turnover_definition="extra_uses_per_table") == pytest.approx(
        covers(30, 3.8, 3.2, turnover_definition="uses_per_table"))
    assert convert_turnover(3.8, "uses_per_table", "extra_uses_per_table") == pytest.approx(2.8)


def test_turnover_definition_is_required_and_checked() -> None:
    with pytest.raises(TypeError):
        covers(30, 3.8, 3.2)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="turnover_definition"):
        covers(30, 3.8, 3.2, turnover_definition="turns")


@pytest.mark.parametrize(("tables", "turnover", "guests", "field"), [
    (-30, 3.8, 3.2, "tables"), (30, -0.1, 3.2, "turnover"), (30, 3.8, -1, "guests_per_table"),
    (30, float("nan"), 3.2, "turnover")])
def test_negative_covers_inputs_are_refused(tables: float, turnover: float, guests: float,
                                            field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        covers(tables, turnover, guests, turnover_definition="uses_per_table")


def test_prep_chain_requires_a_convention() -> None:
    with pytest.raises(TypeError):
        prep_chain(30, 3.8, 3.2, 0.35, 0.15, turnover_definition="uses_per_table",  # type: ignore[call-arg]
                   loss=0.04)


# ---------------------------------------------------------------- channels & plan


def test_takeaway_and_group_meals_use_their_own_order_forecasts() -> None:
    recipe = recipe_matrix({"beef_plate": {"beef": 0.15}, "veg": {"spinach": 0.2}})
    cov = covers(30, 3.8, 3.2, turnover_definition="uses_per_table")
    drivers = np.array([[cov, 120.0, 50.0]])  # covers, takeaway orders, group meals
    take = np.array([[0.35, 0.5, 1.0], [0.2, 0.1, 0.5]])
    edible = ingredient_demand(dish_portions(drivers, take), recipe)
    assert edible.shape == (2, 1, 3)
    assert edible[0, 0].tolist() == pytest.approx([19.152, 9.0, 7.5])
    plan = prep_plan(MODEL, edible, recipe.ingredients)
    assert plan.prep[0, 0, 1] == pytest.approx(9.0 / 0.85 / 0.96)
    assert plan.prep[1, 0, 0] == pytest.approx(edible[1, 0, 0] / 0.8 / 0.92)


def test_loss_report_keeps_yield_trim_apart_and_adds_up() -> None:
    edible = np.random.default_rng(1).uniform(0, 30, (2, 7, 3))
    plan = prep_plan(MODEL, edible, ["beef", "spinach"])
    np.testing.assert_allclose(plan.edible + plan.trim + plan.loss, plan.prep)
    report = plan.loss_report()
    assert set(report) == {"dine_in", "takeaway", "group_meal"}
    assert report["takeaway"]["packaging"] > 0
    assert report["dine_in"]["packaging"] == 0
    total = sum(sum(r.values()) for r in report.values())
    assert total == pytest.approx(float((plan.prep - plan.edible).sum()))


def test_as_purchased_basis_does_not_apply_yield_twice() -> None:
    plan = prep_plan(MODEL, np.full((1, 1, 3), 10.0), ["beef"], basis="as_purchased")
    assert plan.trim.sum() == 0
    assert plan.prep[0, 0, 0] == pytest.approx(10.0 / 0.96)


def test_prep_plan_checks_shape() -> None:
    with pytest.raises(ValidationError, match="edible"):
        prep_plan(MODEL, np.ones((2, 3, 2)), ["beef", "spinach"])


@given(edible=hnp.arrays(np.float64, hnp.array_shapes(min_dims=3, max_dims=3, max_side=4),
                         elements=st.floats(0, 1e5)), data=st.data())
def test_prep_is_never_below_demand(edible: np.ndarray, data: st.DataObject) -> None:
    items, _, channels = edible.shape
    yields = data.draw(hnp.arrays(np.float64, items, elements=st.floats(0.05, 1.0)))
    losses = data.draw(hnp.arrays(np.float64, (items, channels), elements=st.floats(0, 0.9)))
    conv = data.draw(st.sampled_from(["loss", "markup"]))
    prep = prep_quantities(edible, yields=yields, losses=losses, convention=conv)
    assert (prep >= edible).all()
    assert (prep >= edible / yields[:, None, None] * (1 - 1e-12)).all()


# ---------------------------------------------------------------- recipes


def test_recipe_units_are_normalised_and_mismatch_is_refused() -> None:
    r = recipe_matrix({"a": {"egg": "2 pcs", "flour": "1 斤"}, "b": {"egg": "1 dozen"}})
    assert r.units == ("piece", "kg")
    assert r.matrix.tolist() == [[2.0, 0.5], [12.0, 0.0]]
    with pytest.raises(UnitError, match=r"recipe\.b\.egg"):
        recipe_matrix({"a": {"egg": "2 pcs"}, "b": {"egg": "50 g"}})
    with pytest.raises(ValidationError, match=r"recipe\.a\.egg"):
        recipe_matrix({"a": {"egg": -1}})
    with pytest.raises(UnknownItemError):
        recipe_matrix({"a": {"egg": 1}}, dishes=["b"])
    with pytest.raises(ValidationError, match="recipe"):
        recipe_matrix({})


def test_dish_portions_checks_shapes() -> None:
    with pytest.raises(ValidationError, match="broadcast"):
        dish_portions(np.ones((2, 3)), np.ones((4, 2)))
    with pytest.raises(ValidationError, match="drivers"):
        dish_portions(np.ones(3), np.ones((4, 3)))


# ---------------------------------------------------------------- par and orders


def test_par_and_order_in_purchase_packs() -> None:
    par = par_level(np.array([23.471, 5.0]), 2, np.array([5.0, 1.0]))
    assert par.tolist() == pytest.approx([51.942, 11.0])
    plan = order_quantities(par, np.array([12.5, 20.0]), pack_size="10 kg", unit="kg")
    assert plan.packs.tolist() == [4, 0]
    assert plan.ordered.tolist() == [40.0, 0.0]
    assert plan.need.tolist() == pytest.approx([39.442, 0.0])


def test_order_converts_on_hand_units() -> None:
    plan = order_quantities("10 kg", "4 斤", pack_size="1 kg", unit="kg")
    assert plan.packs.tolist() == 8


def test_order_unit_mismatch_between_purchase_and_stock_is_refused() -> None:
    with pytest.raises(UnitError):
        order_quantities([10.0], [2.0], pack_size="12 pcs", unit="kg")
    with pytest.raises(UnitError):
        order_quantities(Q_(np.array([10.0]), "kg"), Q_(np.array([1.0]), "pcs"), unit="kg")
    with pytest.raises(UnitError, match="unit"):
        order_quantities("10 kg", 1.0)


@given(par=hnp.arrays(np.float64, st.integers(1, 20), elements=st.floats(0, 1e4)),
       data=st.data())
def test_orders_cover_par(par: np.ndarray, data: st.DataObject) -> None:
    on_hand = data.draw(hnp.arrays(np.float64, par.shape, elements=st.floats(0, 1e4)))
    pack = data.draw(st.sampled_from([1, 5, 10, 40]))
    plan = order_quantities(par, on_hand, pack_size=pack)
    assert (plan.ordered + on_hand >= par - 1e-9).all()
    assert (plan.ordered - np.maximum(par - on_hand, 0) < pack + 1e-3).all()
    assert (plan.packs >= 0).all()


def test_recipe_from_a_bom_explodes_sub_recipes() -> None:
    from jxc_rules.bom import Bom

    bom = Bom([
        {"parent": "beef_hotpot", "child": "beef", "qty": 150, "unit": "g"},
        {"parent": "beef_hotpot", "child": "dip", "qty": 1},
        {"parent": "dip", "child": "sesame_paste", "qty": 30, "unit": "g", "scrap": "0.1"},
        {"parent": "dip", "child": "garlic", "qty": 2, "unit": "pcs"},
        {"parent": "veg_plate", "child": "spinach", "qty": "0.2", "unit": "kg"},
    ])
    r = recipe_matrix(bom)
    assert r.dishes == ("beef_hotpot", "veg_plate")
    assert r.ingredients == ("beef", "garlic", "sesame_paste", "spinach")
    assert r.units == ("kg", "piece", "kg", "kg")
    np.testing.assert_allclose(r.matrix, [[0.15, 2.0, 0.033, 0.0], [0.0, 0.0, 0.0, 0.2]])
    edible = ingredient_demand(dish_portions([[100.0]], [[1.0], [0.5]]), r)
    np.testing.assert_allclose(edible[:, 0, 0], [15.0, 200.0, 3.3, 10.0])
    with pytest.raises(UnknownItemError):
        recipe_matrix(bom, dishes=["lamb_hotpot"])


def test_duplicate_dishes_and_empty_inputs() -> None:
    with pytest.raises(ValidationError, match="distinct"):
        recipe_matrix({"a": {"egg": 1}}, dishes=["a", "a"])
    assert covers([], [], [], turnover_definition="uses_per_table").shape == (0,)
    empty = prep_quantities(np.zeros((0, 365, 3)), yields=np.zeros(0) + 1, losses=np.zeros((0, 3)))
    assert empty.shape == (0, 365, 3)


# ---------------------------------------------------------------- review additions


def test_extra_uses_definition_allows_idle_tables_down_to_minus_one() -> None:
    # 30 tables, 24 seatings: (24 − 30) / 30 = −0.2 extra uses, 0.8 uses per table
    assert covers(30, -0.2, 3.0, turnover_definition="extra_uses_per_table") == pytest.approx(72.0)
    assert convert_turnover(-0.2, "extra_uses_per_table", "uses_per_table") == pytest.approx(0.8)
    assert covers(30, -1.0, 3.0, turnover_definition="extra_uses_per_table") == 0.0
    with pytest.raises(ValidationError, match=r"turnover must be >= -1"):
        covers(30, -1.5, 3.0, turnover_definition="extra_uses_per_table")
    with pytest.raises(ValidationError, match=r"turnover must be >= 0"):
        covers(30, -0.2, 3.0, turnover_definition="uses_per_table")


def test_a_markup_model_preps_net_times_one_plus_w() -> None:
    model = ChannelLossModel.from_mapping({
        "convention": "markup",
        "channels": {"dine_in": {"plate": 0.02, "prep": 0.02}, "takeaway": {"packaging": 0.06}},
        "yields": {"beef": 0.85}})
    plan = prep_plan(model, [[[19.152, 9.0]]], ["beef"])
    np.testing.assert_allclose(plan.prep[0, 0], [19.152 / 0.85 * 1.04, 9.0 / 0.85 * 1.06])
    # the causes are reported as shares of the prep (loss convention): 0.02 / 1.04 of it
    np.testing.assert_allclose(plan.loss_by_cause[0, 0, 0, 2], plan.prep[0, 0, 0] * 0.02 / 1.04)
    same = prep_plan(model.to_convention("loss"), [[[19.152, 9.0]]], ["beef"])
    np.testing.assert_allclose(plan.prep, same.prep, rtol=1e-12)


def test_orders_round_the_need_up_never_to_nearest() -> None:
    # 10.0004 kg needed: 10.001 kg without packs, and 2 packs of 10 kg (1 would be short)
    loose = order_quantities(10.0004, 0.0)
    assert float(loose.ordered) == pytest.approx(10.001)
    assert float(loose.ordered) >= 10.0004
    packed = order_quantities(10.0004, 0.0, pack_size=10)
    assert packed.packs.tolist() == 2
    assert float(packed.ordered) == 20.0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: recipe_matrix({"a": {"b": 1}}, basis="cooked"), r"^basis must be"),
        (lambda: recipe_matrix({"a": 1}), r"^recipe\.a must be a mapping"),
        (lambda: dish_portions(np.ones((2, 3)), np.ones(3)), r"^take_rates must be"),
        (lambda: ingredient_demand(np.ones((2, 1, 1)), recipe_matrix({"a": {"b": 1}})),
         r"^portions must be an array whose first axis is the 1 dishes"),
        (lambda: prep_quantities(np.ones((2, 3, 3)), yields=np.full(3, 0.5),
                                 losses=np.full(4, 0.1)), r"do not broadcast"),
        (lambda: prep_quantities(np.ones((1, 1, 1)), yields=[0.0]), r"^yields must be > 0"),
        (lambda: prep_quantities(np.ones((1, 1, 1)), yields=[1.2]), r"^yields must be <= 1"),
        (lambda: prep_quantities(np.ones((1, 1, 2)), losses=[[0.1, 1.0]]),
         r"^loss must be < 1, got 1.0 \(row \(0, 1\)\)"),
        (lambda: prep_quantities(np.ones((1, 1, 1)), convention="margin"), r"^convention"),
        (lambda: prep_plan(MODEL, np.ones((1, 1, 3)), ["beef"], basis="x"), r"^basis must be"),
        (lambda: par_level([1.0, -2.0], 2), r"^usage_per_day must be >= 0, got -2.0 \(row 1\)"),
        (lambda: order_quantities([1.0, -2.0], 0.0), r"^par must be >= 0, got -2.0 \(row 1\)"),
        (lambda: order_quantities(1.0, 0.0, mode="sideways"), r"^mode must be one of"),
        (lambda: covers(30, 3.8, 3.2, turnover_definition=None),  # type: ignore[arg-type]
         r"^turnover_definition must be 'uses_per_table'"),
    ],
)
def test_more_bad_prep_input_names_the_field(call: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        call()  # type: ignore[operator]


def test_par_level_with_a_wrong_dimension_is_a_unit_error() -> None:
    with pytest.raises(UnitError, match="usage_per_day must be a mass"):
        par_level("2 L", 2, unit="kg")


def test_rounded_needs_are_the_float_nearest_a_whole_gram() -> None:
    # 1024735 × 0.001 is 1024.7350000000001, not the float nearest 1024.735
    loose = order_quantities(1024.7341, 0.0)
    assert float(loose.ordered) == 1024.735
    packed = order_quantities([1024.7341, 0.3], [0.0, 0.0], pack_size=1)
    assert packed.packs.tolist() == [1025, 1]
