"""Channel wastage (损耗): loss conventions, per-channel loss models, turnover → prep, par levels
and orders, theoretical vs actual usage, and calibration of loss rates from history.

Modules: :mod:`~jxc_rules.wastage.models` (conventions, gross-up, blending, the parameter classes),
:mod:`~jxc_rules.wastage.prep` (covers, recipes, prep quantities, par levels, orders),
:mod:`~jxc_rules.wastage.variance` (theoretical vs actual usage),
:mod:`~jxc_rules.wastage.calibrate` (loss rates from history by non-negative least squares).
"""

from jxc_rules.wastage.models import (
    CAUSES,
    CHANNEL_ALIASES,
    CHANNELS,
    CONVENTIONS,
    ChannelLoss,
    ChannelLossModel,
    Convention,
    blended_loss,
    canonical_channel,
    check_convention,
    convert_rate,
    gross_up,
    gross_up_exact,
    loss_to_markup,
    markup_to_loss,
    net_from_gross,
    net_from_gross_exact,
)

__all__ = [
    "CAUSES",
    "CHANNELS",
    "CHANNEL_ALIASES",
    "CONVENTIONS",
    "ChannelLoss",
    "ChannelLossModel",
    "Convention",
    "blended_loss",
    "canonical_channel",
    "check_convention",
    "convert_rate",
    "gross_up",
    "gross_up_exact",
    "loss_to_markup",
    "markup_to_loss",
    "net_from_gross",
    "net_from_gross_exact",
]
