"""Hypothesis strategies for the channel wastage kernel (:mod:`jxc_rules.wastage`).

Each function returns a ``SearchStrategy``; parameters narrow it. Host systems use them to test
their own code that calls the kernel::

    from hypothesis import given
    from jxc_rules.testing import channel_loss_models
    from jxc_rules.wastage import gross_up

    @given(model=channel_loss_models())
    def test_prep_covers_demand(model): ...
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from hypothesis import strategies as st

from jxc_rules.testing import _args
from jxc_rules.wastage.models import CAUSES, CHANNELS, ChannelLoss, ChannelLossModel

__all__ = [
    "channel_histories",
    "channel_loss_models",
    "channel_losses",
    "channel_shares",
    "loss_conventions",
    "loss_rates",
]


def loss_conventions() -> st.SearchStrategy[str]:
    """``"loss"`` or ``"markup"``."""
    return st.sampled_from(("loss", "markup"))


def loss_rates(convention: str = "loss", max_value: float = 0.5) -> st.SearchStrategy[float]:
    """Rates valid in ``convention``: ``[0, max_value]`` (``max_value < 1`` for ``"loss"``)."""
    _args.check_choice("loss_rates", "convention", convention, ("loss", "markup"))
    _args.check_float_range("loss_rates", 0.0, max_value, ("0", "max_value"))
    if convention == "loss" and not max_value < 1:
        raise _args.fail("loss_rates", f"max_value must be < 1 for loss rates (a loss of 1 "
                         f"leaves nothing), got {max_value!r}")
    return st.floats(0.0, max_value, allow_nan=False, allow_infinity=False)


def _check_losses(convention: str | None = None, max_total: float = 0.4) -> None:
    if convention is not None:
        _args.check_choice("channel_losses", "convention", convention, ("loss", "markup"))
    _args.check_float_range("channel_losses", 0.0, max_total, ("0", "max_total"))
    if (convention in (None, "loss")) and not max_total < 1:
        raise _args.fail("channel_losses", f"max_total must be < 1, got {max_total!r}")


@_args.checked(_check_losses)
@st.composite
def channel_losses(
    draw: st.DrawFn, convention: str | None = None, max_total: float = 0.4
) -> ChannelLoss:
    """A :class:`~jxc_rules.wastage.ChannelLoss` whose causes total at most ``max_total``."""
    conv = draw(loss_conventions()) if convention is None else convention
    parts = draw(st.lists(st.floats(0.0, 1.0), min_size=len(CAUSES), max_size=len(CAUSES)))
    total = draw(st.floats(0.0, max_total))
    norm = sum(parts)
    values = [total * p / norm if norm > 0 else 0.0 for p in parts]
    return ChannelLoss(conv, **dict(zip(CAUSES, values, strict=True)))


@st.composite
def channel_loss_models(
    draw: st.DrawFn,
    channels: Sequence[str] = CHANNELS,
    items: Sequence[str] = ("beef", "lamb", "spinach", "tofu", "shrimp"),
    convention: str | None = None,
) -> ChannelLossModel:
    """A valid :class:`~jxc_rules.wastage.ChannelLossModel` over ``channels`` with some item
    overrides, groups and yields."""
    conv = draw(loss_conventions()) if convention is None else convention
    chans = {c: draw(channel_losses(conv)) for c in channels}
    overridden = draw(st.lists(st.sampled_from(list(items)), unique=True, max_size=len(items)))
    over = {i: {c: draw(channel_losses(conv)) for c in draw(
        st.lists(st.sampled_from(list(channels)), unique=True, min_size=1))} for i in overridden}
    yields = draw(st.dictionaries(st.sampled_from(list(items)), st.floats(0.3, 1.0)))
    return ChannelLossModel(conv, chans, over, {}, yields, ("hypothesis",))


def channel_shares(n_channels: int = 3) -> st.SearchStrategy[npt.NDArray[np.float64]]:
    """Channel shares: ``n_channels`` non-negative floats summing to 1.

    Built, not filtered: weights are drawn in [0, 1] and the first gets 1e-3 added, so the
    sum is never zero."""
    _args.check_int("channel_shares", "n_channels", n_channels, 1)

    def norm(w: list[float]) -> npt.NDArray[np.float64]:
        a = np.asarray(w, dtype=np.float64)
        a[0] += 1e-3
        out: npt.NDArray[np.float64] = a / a.sum()
        return out

    return st.lists(st.floats(0.0, 1.0), min_size=n_channels, max_size=n_channels).map(norm)


@st.composite
def channel_histories(
    draw: st.DrawFn, n_channels: int = 3, min_periods: int = 8, max_periods: int = 30,
    noise: float = 0.0,
) -> dict[str, Any]:
    """Synthetic history for calibration: ``{"net": (periods, channels), "actual": (periods,),
    "loss": true rates}`` with actual = Σ net / (1 − loss) (+ Gaussian noise of sd ``noise``)."""
    loss = np.asarray(draw(st.lists(loss_rates(max_value=0.3), min_size=n_channels,
                                    max_size=n_channels)))
    periods = draw(st.integers(max(min_periods, n_channels + 2), max_periods))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    net = rng.uniform(10, 200, (periods, n_channels)) * rng.dirichlet(np.ones(n_channels),
                                                                      periods)
    actual = (net / (1 - loss)).sum(axis=1) + rng.normal(0.0, noise, periods)
    return {"net": net, "actual": np.maximum(actual, 0.0), "loss": loss}
