"""Fuzz: channel wastage (loss/markup, gross-up, blended loss, covers and prep, variance)."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from jxc_rules import wastage
from jxc_rules.testing import (
    channel_histories,
    channel_loss_models,
    channel_shares,
    loss_conventions,
    loss_rates,
)
from tests.fuzz._hostile import check, fuzz_settings, hostile, or_hostile, vectors

RATE = st.one_of(loss_rates(), st.sampled_from(["4 %", "0.04", "10%"]))
CONVENTION = or_hostile(loss_conventions(), valid_weight=5)
CHANNEL_NAMES = st.sampled_from(["dine_in", "takeaway", "group_meal", "外卖", "delivery"])
POS = st.floats(0, 1e4)


def _data(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return or_hostile(st.one_of(valid, vectors(valid, min_size=1, max_size=4)), valid_weight=4)


@fuzz_settings(3)
@given(which=st.sampled_from(["gross_up", "net_from_gross", "gross_up_exact",
                              "net_from_gross_exact"]),
       amount=_data(st.one_of(POS, st.sampled_from(["96 kg", "22.532", "1 斤"]))),
       loss=_data(RATE), convention=CONVENTION)
def test_gross_up_and_back(which: str, amount: Any, loss: Any, convention: Any) -> None:
    check(f"wastage.{which}", getattr(wastage, which), amount, loss, convention=convention)


@fuzz_settings(2)
@given(which=st.sampled_from(["loss_to_markup", "markup_to_loss", "convert_rate",
                              "convert_turnover", "canonical_channel", "check_convention"]),
       rate=_data(RATE), a=or_hostile(loss_conventions()), b=or_hostile(loss_conventions()),
       turnover=_data(st.floats(0, 10)), name=or_hostile(CHANNEL_NAMES),
       defs=st.tuples(*[or_hostile(st.sampled_from(["uses_per_table", "extra_uses_per_table"]))
                        for _ in range(2)]))
def test_rate_helpers(which: str, rate: Any, a: Any, b: Any, turnover: Any, name: Any,
                      defs: tuple[Any, Any]) -> None:
    args: dict[str, tuple[Any, ...]] = {
        "loss_to_markup": (rate,), "markup_to_loss": (rate,), "convert_rate": (rate, a, b),
        "convert_turnover": (turnover, *defs), "canonical_channel": (name,),
        "check_convention": (a,),
    }
    check(f"wastage.{which}", getattr(wastage, which), *args[which])


@st.composite
def blend_inputs(draw: st.DrawFn) -> tuple[Any, Any]:
    n = draw(st.integers(1, 4))
    shares: Any = draw(channel_shares(n))
    losses: Any = np.array(draw(st.lists(loss_rates(), min_size=n, max_size=n)))
    where = draw(st.sampled_from(["none", "shares", "losses", "mapping", "mismatch", "2d"]))
    if where == "shares":
        shares = draw(or_hostile(vectors(st.floats(0, 1)), valid_weight=1))
    elif where == "losses":
        losses = draw(or_hostile(vectors(loss_rates()), valid_weight=1))
    elif where == "mapping":
        names = ["dine_in", "takeaway", "group_meal", "other"][:n]
        shares = dict(zip(names, shares.tolist(), strict=True))
        losses = dict(zip(draw(st.permutations(names)), [draw(or_hostile(RATE, valid_weight=4))
                                                         for _ in names], strict=True))
    elif where == "mismatch":
        losses = np.append(losses, 0.1)
    elif where == "2d":
        shares = np.vstack([shares, shares])
    return shares, losses


@fuzz_settings(3)
@given(inputs=blend_inputs(), convention=CONVENTION,
       tolerance=or_hostile(st.floats(0, 0.1), valid_weight=5))
def test_blended_loss(inputs: tuple[Any, Any], convention: Any, tolerance: Any) -> None:
    shares, losses = inputs
    check("wastage.blended_loss", wastage.blended_loss, shares, losses, convention=convention,
          tolerance=tolerance)


@fuzz_settings(2)
@given(which=st.sampled_from(["covers", "dish_portions", "prep_quantities", "par_level",
                              "order_quantities", "prep_chain"]),
       a=_data(POS), b=_data(st.floats(0, 8)), c=_data(st.floats(1, 6)),
       d=_data(st.floats(0, 1)), e=_data(st.floats(0.01, 1)),
       turnover_def=or_hostile(st.sampled_from(["uses_per_table", "extra_uses_per_table"]),
                               valid_weight=5),
       convention=CONVENTION, mode=or_hostile(st.sampled_from(["up", "down", "half_up"])),
       pack=st.one_of(st.none(), _data(st.floats(0.1, 50))))
def test_prep_kernels(which: str, a: Any, b: Any, c: Any, d: Any, e: Any, turnover_def: Any,
                      convention: Any, mode: Any, pack: Any) -> None:
    target = f"wastage.{which}"
    fn = getattr(wastage, which)
    if which == "covers":
        check(target, fn, a, b, c, turnover_definition=turnover_def)
    elif which == "dish_portions":
        check(target, fn, a, d)
    elif which == "prep_quantities":
        check(target, fn, a, yields=e, losses=d, convention=convention)
    elif which == "par_level":
        check(target, fn, a, b, c)
    elif which == "order_quantities":
        check(target, fn, a, b, pack_size=pack, mode=mode)
    else:
        check(target, fn, a, b, c, d, e, turnover_definition=turnover_def, yield_fraction=e,
              loss=d, convention=convention)


LOSS_FIELDS = ["prep", "spoilage", "plate", "packaging", "other"]


@fuzz_settings(2)
@given(model=channel_loss_models(), convention=CONVENTION,
       fields=st.dictionaries(st.sampled_from(LOSS_FIELDS), or_hostile(RATE), max_size=3),
       edible=_data(POS), items=or_hostile(st.lists(st.sampled_from(
           ["beef", "lamb", "spinach", "ghost"]), min_size=1, max_size=3), valid_weight=4),
       channels=st.one_of(st.none(), or_hostile(st.lists(CHANNEL_NAMES, min_size=1,
                                                         max_size=3), valid_weight=4)))
def test_loss_models_and_prep_plan(model: Any, convention: Any, fields: dict[str, Any],
                                   edible: Any, items: Any, channels: Any) -> None:
    check("wastage.ChannelLoss", wastage.ChannelLoss, convention, **fields)
    check("wastage.ChannelLoss.from_mapping", wastage.ChannelLoss.from_mapping, fields,
          convention=convention)
    check("wastage.prep_plan", wastage.prep_plan, model, edible, items, channels)


RECIPES = st.dictionaries(
    st.sampled_from(["beef_hotpot", "veg", "soup"]),
    st.dictionaries(st.sampled_from(["beef", "tofu", "spinach"]),
                    or_hostile(st.one_of(st.floats(0, 1), st.sampled_from(["150 g", "0.2 kg",
                                                                            "2 斤", "3 L"]))),
                    min_size=1, max_size=3),
    min_size=1, max_size=3)


@fuzz_settings(2)
@given(recipe=or_hostile(RECIPES, valid_weight=4), sold=_data(POS), portions=_data(POS),
       unit=or_hostile(st.sampled_from(["kg", "g"]), valid_weight=5),
       basis=or_hostile(st.sampled_from(["edible", "as_purchased"]), valid_weight=5))
def test_recipes_and_usage(recipe: Any, sold: Any, portions: Any, unit: Any,
                           basis: Any) -> None:
    matrix = check("wastage.recipe_matrix", wastage.recipe_matrix, recipe, unit=unit,
                   basis=basis)
    if isinstance(matrix, wastage.RecipeMatrix):
        check("wastage.theoretical_usage", wastage.theoretical_usage, sold, matrix)
        check("wastage.ingredient_demand", wastage.ingredient_demand, portions, matrix)


@fuzz_settings(2)
@given(n=st.integers(1, 3), data=st.data())
def test_usage_variance(n: int, data: st.DataObject) -> None:
    def col() -> Any:
        return data.draw(or_hostile(st.lists(POS, min_size=n, max_size=n).map(np.asarray),
                                    valid_weight=6))
    items = data.draw(or_hostile(st.just([f"i{k}" for k in range(n)]), valid_weight=6))
    check("wastage.usage_variance", wastage.usage_variance, col(), col(), col(), col(), col(),
          items=items, stock_unit=data.draw(or_hostile(st.just("kg"), valid_weight=6)))


@fuzz_settings(0.5)
@given(history=channel_histories(n_channels=2, max_periods=10), bad=hostile(),
       where=st.sampled_from(["none", "net", "actual", "channels", "level"]))
def test_calibrate_channel_losses(history: dict[str, Any], bad: Any, where: str) -> None:
    args: dict[str, Any] = {"net_by_channel": history["net"], "actual": history["actual"],
                            "channels": ["dine_in", "takeaway"], "level": 0.9}
    if where != "none":
        args[{"net": "net_by_channel"}.get(where, where)] = bad
    check("wastage.calibrate_channel_losses", wastage.calibrate_channel_losses,
          args.pop("net_by_channel"), args.pop("actual"), **args, n_resamples=20, seed=0)
