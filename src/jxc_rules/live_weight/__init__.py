"""Live weight in transit (活鱼运输失重): expected shrink vs unexplained loss, over many shipments.

* :mod:`~jxc_rules.live_weight.core` — :func:`expected_weight`, :func:`reconcile`,
  :func:`origin_weight` (vectorised kernels, the formulas and their sources);
* :mod:`~jxc_rules.live_weight.model` — :class:`TransitModel`, :class:`MortalityCurve` (the
  parameters a rule pack loads);
* :mod:`~jxc_rules.live_weight.calibration` — :func:`fit_rate` (the rate, and optionally Q10,
  learnt from shipment history with a confidence interval).

See ``docs/live_weight.md`` for the formulas, the sources and a worked Hainan example.
"""

from jxc_rules.live_weight.calibration import RateCheck, RateFit, fit_rate
from jxc_rules.live_weight.core import (
    FORMS,
    LossValue,
    Reconciliation,
    expected_weight,
    origin_weight,
    reconcile,
    retained_fraction,
)
from jxc_rules.live_weight.model import MortalityCurve, TransitModel, format_rate, parse_rate

__all__ = [
    "FORMS",
    "LossValue",
    "MortalityCurve",
    "RateCheck",
    "RateFit",
    "Reconciliation",
    "TransitModel",
    "expected_weight",
    "fit_rate",
    "format_rate",
    "origin_weight",
    "parse_rate",
    "reconcile",
    "retained_fraction",
]
