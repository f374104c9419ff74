"""The public wastage strategies generate valid inputs; properties over whole models (issue 7)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given

from jxc_rules.testing.wastage import (
    channel_histories,
    channel_loss_models,
    channel_losses,
    channel_shares,
)
from jxc_rules.wastage import (
    CHANNELS,
    ChannelLoss,
    ChannelLossModel,
    blended_loss,
    calibrate_channel_losses,
    prep_plan,
)

ITEMS = ["beef", "lamb", "spinach", "tofu", "shrimp"]


@given(model=channel_loss_models())
def test_models_round_trip_through_mappings(model: ChannelLossModel) -> None:
    assert ChannelLossModel.from_mapping(model.to_mapping()) == model
    other = model.to_convention("markup" if model.convention == "loss" else "loss")
    np.testing.assert_allclose(other.loss_array(ITEMS), model.loss_array(ITEMS), atol=1e-12)


@given(loss=channel_losses())
def test_cause_split_survives_convention_changes(loss: ChannelLoss) -> None:
    there = loss.to_convention("markup").to_convention("loss")
    back = there.to_convention(loss.convention)
    for cause, value in loss.causes.items():
        assert back.causes[cause] == pytest.approx(value, abs=1e-12)


@given(model=channel_loss_models(), shares=channel_shares(3))
def test_blended_model_loss_lies_between_channel_extremes(model: ChannelLossModel,
                                                          shares: np.ndarray) -> None:
    losses = model.loss_array(ITEMS, CHANNELS)
    blended = blended_loss(shares, losses)
    assert (blended >= losses.min(axis=1) - 1e-12).all()
    assert (blended <= losses.max(axis=1) + 1e-12).all()


@given(model=channel_loss_models())
def test_prep_plan_never_below_demand_and_adds_up(model: ChannelLossModel) -> None:
    edible = np.random.default_rng(0).uniform(0, 50, (len(ITEMS), 4, 3))
    plan = prep_plan(model, edible, ITEMS, CHANNELS)
    assert (plan.prep >= plan.as_purchased).all()
    assert (plan.as_purchased >= plan.edible).all()
    np.testing.assert_allclose(plan.edible + plan.trim + plan.loss, plan.prep, rtol=1e-12)


@given(history=channel_histories())
def test_calibration_recovers_rates_from_generated_histories(history: dict[str, Any]) -> None:
    cal = calibrate_channel_losses(history["net"], history["actual"], channels=CHANNELS,
                                   n_resamples=10, seed=0)
    np.testing.assert_allclose(cal.loss, history["loss"], atol=1e-8)
