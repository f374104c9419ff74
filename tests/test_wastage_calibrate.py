"""Calibration of per-channel loss rates from history (issue 7)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jxc_rules.errors import ValidationError
from jxc_rules.wastage import ChannelLossModel, markup_to_loss
from jxc_rules.wastage.calibrate import calibrate_channel_losses

CHANNELS = ["dine_in", "takeaway", "group_meal"]
TRUE_LOSS = np.array([0.04, 0.09, 0.02])


def synthetic(loss: np.ndarray, periods: int, noise: float, seed: int) -> tuple[np.ndarray,
                                                                                 np.ndarray]:
    rng = np.random.default_rng(seed)
    net = rng.uniform(10, 200, (periods, loss.size)) * rng.dirichlet(np.ones(loss.size), periods)
    actual = (net / (1 - loss)).sum(axis=1) + rng.normal(0, noise, periods)
    return net, np.maximum(actual, 0)


@given(loss=st.lists(st.floats(0.0, 0.3), min_size=1, max_size=4), seed=st.integers(0, 2**16))
def test_calibration_recovers_known_rates_without_noise(loss: list[float], seed: int) -> None:
    true = np.array(loss)
    net, actual = synthetic(true, 6 * true.size, 0.0, seed)
    cal = calibrate_channel_losses(net, actual, channels=[f"c{k}" for k in range(true.size)],
                                   n_resamples=20, seed=seed)
    np.testing.assert_allclose(cal.loss, true, atol=1e-8)


def test_calibration_with_noise_recovers_rates() -> None:
    net, actual = synthetic(TRUE_LOSS, 120, 1.0, seed=7)
    for method in ("bootstrap", "asymptotic"):
        cal = calibrate_channel_losses(net, actual, channels=CHANNELS, interval=method, seed=7,
                                       n_resamples=300)
        np.testing.assert_allclose(cal.loss, TRUE_LOSS, atol=0.01)
        assert (cal.loss_interval[:, 0] <= cal.loss).all()
        assert (cal.loss_interval[:, 1] >= cal.loss).all()
        np.testing.assert_allclose(cal.loss, markup_to_loss(cal.markup))


@pytest.mark.parametrize("method", ["bootstrap", "asymptotic"])
def test_intervals_cover_the_true_rates_about_as_often_as_stated(method: str) -> None:
    hits = []
    for rep in range(40):
        net, actual = synthetic(TRUE_LOSS, 60, 1.0, seed=100 + rep)
        cal = calibrate_channel_losses(net, actual, channels=CHANNELS, interval=method,
                                       level=0.9, seed=rep, n_resamples=100)
        hits.append((cal.loss_interval[:, 0] <= TRUE_LOSS) & (cal.loss_interval[:, 1] >= TRUE_LOSS))
    coverage = np.mean(hits)
    assert 0.75 <= coverage <= 1.0  # nominal 0.9 over 120 interval draws


def test_same_seed_same_intervals() -> None:
    net, actual = synthetic(TRUE_LOSS, 40, 2.0, seed=1)
    a = calibrate_channel_losses(net, actual, channels=CHANNELS, seed=3, n_resamples=50)
    b = calibrate_channel_losses(net, actual, channels=CHANNELS,
                                 seed=np.random.default_rng(3), n_resamples=50)
    np.testing.assert_array_equal(a.loss_interval, b.loss_interval)


def test_comparison_with_current_model_and_new_model_keeps_cause_mix() -> None:
    model = ChannelLossModel.from_mapping({
        "convention": "markup",
        "channels": {"dine_in": {"plate": 0.02, "prep": 0.02}, "takeaway": {"packaging": 0.05},
                     "group_meal": 0.02},
        "sources": ["2025 audit (illustrative)"]})
    net, actual = synthetic(TRUE_LOSS, 200, 0.5, seed=11)
    cal = calibrate_channel_losses(net, actual, channels=CHANNELS, model=model, seed=0,
                                   n_resamples=200)
    assert cal.current_loss is not None
    assert cal.difference is not None
    assert cal.current_in_interval is not None
    np.testing.assert_allclose(cal.current_loss, [0.04 / 1.04, 0.05 / 1.05, 0.02 / 1.02])
    np.testing.assert_allclose(cal.difference, cal.loss - cal.current_loss)
    assert not cal.current_in_interval[1]  # 4.8 % current vs 9 % true on takeaway
    new = cal.model
    assert new is not model
    assert model.loss("takeaway") == pytest.approx(0.05 / 1.05)  # the old one is untouched
    assert new.convention == "markup"
    assert new.loss("takeaway") == pytest.approx(cal.loss[1])
    dine = new.channel_loss("dine_in")
    assert dine.plate == pytest.approx(dine.prep)  # cause mix kept
    assert new.sources[0] == "2025 audit (illustrative)"
    assert "NNLS" in new.sources[-1]
    assert set(cal.summary()) == set(CHANNELS)


def test_item_calibration_writes_item_overrides() -> None:
    model = ChannelLossModel.from_mapping({"convention": "loss", "channels": {
        "dine_in": 0.03, "takeaway": 0.05, "group_meal": 0.01}})
    net, actual = synthetic(TRUE_LOSS, 30, 0.0, seed=2)
    cal = calibrate_channel_losses(net, actual, channels=CHANNELS, model=model, item="beef",
                                   n_resamples=20, seed=0)
    assert cal.model.loss("takeaway", "beef") == pytest.approx(0.09)
    assert cal.model.loss("takeaway") == pytest.approx(0.05)
    fresh = calibrate_channel_losses(net, actual, channels=CHANNELS, n_resamples=20, seed=0)
    assert fresh.model.loss("takeaway") == pytest.approx(0.09)
    assert fresh.current_loss is None


def test_channel_mix_that_does_not_vary_is_refused() -> None:
    net = np.outer(np.arange(1, 11), [0.7, 0.3]).astype(float)
    with pytest.raises(ValidationError, match="does not vary"):
        calibrate_channel_losses(net, net.sum(1) * 1.05, channels=["dine_in", "takeaway"])


@pytest.mark.parametrize(("net", "actual", "kwargs", "match"), [
    (np.ones((5, 2)), np.ones(4), {}, "actual"),
    (np.ones((1, 2)), np.ones(1), {}, "periods"),
    (-np.ones((5, 2)), np.ones(5), {}, "net_by_channel"),
    (np.eye(3)[:, :2], np.array([1.0, np.nan, 1.0]), {}, "actual"),
    (np.eye(3)[:, :2], np.ones(3), {"interval": "jackknife"}, "interval"),
    (np.eye(3)[:, :2], np.ones(3), {"level": 1.5}, "level"),
])
def test_bad_calibration_input_is_refused(net: np.ndarray, actual: np.ndarray,
                                          kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        calibrate_channel_losses(net, actual, channels=["dine_in", "takeaway"],
                                 **kwargs)  # type: ignore[arg-type]


def test_calibrate_items_fits_each_item_and_builds_one_model() -> None:
    from jxc_rules.wastage import calibrate_items

    model = ChannelLossModel.from_mapping({"convention": "loss", "channels": {
        "dine_in": 0.03, "takeaway": 0.05, "group_meal": 0.01}})
    beef, _ = synthetic(TRUE_LOSS, 30, 0.0, seed=5)
    greens_loss = np.array([0.08, 0.12, 0.05])
    greens, _ = synthetic(greens_loss, 30, 0.0, seed=6)
    net = np.stack([beef, greens], axis=1)
    actual = (net / (1 - np.stack([TRUE_LOSS, greens_loss]))).sum(axis=2)
    new, fits = calibrate_items(net, actual, items=["beef", "greens"], channels=CHANNELS,
                                model=model, n_resamples=20, seed=np.random.default_rng(1))
    assert new is not None
    np.testing.assert_allclose(fits["greens"].loss, greens_loss, atol=1e-8)
    assert new.loss("takeaway", "beef") == pytest.approx(0.09)
    assert new.loss("group_meal", "greens") == pytest.approx(0.05)
    assert new.loss("dine_in") == pytest.approx(0.03)
    flat = np.ones((5, 1, 3))
    with pytest.raises(ValidationError, match="item 'x'"):
        calibrate_items(flat, flat.sum(2), items=["x"], channels=CHANNELS)


def test_asymptotic_interval_is_the_ols_t_interval_by_hand() -> None:
    from scipy import stats

    net, actual = synthetic(TRUE_LOSS, 12, 1.0, seed=21)
    cal = calibrate_channel_losses(net, actual, channels=CHANNELS, interval="asymptotic",
                                   level=0.9)
    target = actual - net.sum(axis=1)
    w, *_ = np.linalg.lstsq(net, target, rcond=None)
    assert (w > 0).all()  # interior: NNLS is OLS here
    resid = target - net @ w
    dof = 12 - 3
    se = np.sqrt(np.diag(resid @ resid / dof * np.linalg.inv(net.T @ net)))
    t = stats.t.ppf(0.95, dof)
    np.testing.assert_allclose(cal.markup, w, rtol=1e-9)
    np.testing.assert_allclose(cal.markup_interval[:, 0], np.maximum(w - t * se, 0), rtol=1e-9)
    np.testing.assert_allclose(cal.markup_interval[:, 1], w + t * se, rtol=1e-9)
    np.testing.assert_allclose(cal.loss_interval, cal.markup_interval / (1 + cal.markup_interval))
    np.testing.assert_allclose(cal.residuals, resid, atol=1e-9)
    assert cal.rmse == pytest.approx(float(np.sqrt(np.mean(resid**2))))


def test_a_current_rate_above_the_interval_is_outside_it() -> None:
    model = ChannelLossModel.from_mapping({"convention": "loss", "channels": {
        "dine_in": 0.04, "takeaway": 0.2, "group_meal": 0.02}})
    net, actual = synthetic(TRUE_LOSS, 200, 0.5, seed=11)
    cal = calibrate_channel_losses(net, actual, channels=CHANNELS, model=model, seed=0,
                                   n_resamples=200)
    assert cal.current_in_interval is not None
    assert cal.current_in_interval.tolist() == [True, False, True]  # 20 % vs 9 % on takeaway
    assert cal.summary()["takeaway"]["current_in_interval"] is False


def test_more_bad_calibration_arguments() -> None:
    from jxc_rules.wastage import calibrate_items

    net = np.eye(3)[:, :2] + 1
    with pytest.raises(ValidationError, match=r"^n_resamples must be an int >= 10"):
        calibrate_channel_losses(net, np.ones(3), channels=["a", "b"], n_resamples=5)
    with pytest.raises(ValidationError, match=r"^items must be distinct"):
        calibrate_items(np.ones((5, 2, 2)), np.ones((5, 2)), items=["x", "x"], channels=["a", "b"])
    with pytest.raises(ValidationError, match=r"^actual must be a \(periods, items\) array"):
        calibrate_items(np.ones((5, 2, 2)), np.ones((5, 3)), items=["x", "y"], channels=["a", "b"])
