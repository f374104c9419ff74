"""Calibrate a rule pack from a store's own results (``jxc-rules calibrate`` / ``backtest``).

The committee's loop — actual results → calibrated pack → stress test → decision:

- :func:`read_sales` — a POS export, checked (``file:line:column`` on every bad cell);
- :func:`fit_demand` — holiday profiles, weather multipliers and the takeaway shift, as a
  censored negative-binomial regression (days that sold out are censored, not low);
- :func:`calibrate` — that plus channel loss, transit shrink and shelf life from their logs,
  turned into a :class:`~jxc_rules.calibrate.proposal.Proposal`: a new pack version, never an
  overwrite;
- :func:`backtest` — how well a pack's assumptions forecast an actual month, per factor, and the
  factors to retire or recalibrate.

Optional extra ``[calibrate]`` (statsmodels, pandas, openpyxl); nothing heavy loads until a fit
runs. Model and sources: ``docs/calibrate.md``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from jxc_rules.calibrate.estimate import Estimate, Refusal

if TYPE_CHECKING:
    from jxc_rules.calibrate.backtest import BacktestResult, backtest
    from jxc_rules.calibrate.demand import DemandFit, fit_demand
    from jxc_rules.calibrate.proposal import Proposal, propose
    from jxc_rules.calibrate.sales import SalesData, read_sales

__all__ = ["BacktestResult", "CalibrationResult", "DemandFit", "Estimate", "Proposal",
           "Refusal", "SalesData", "backtest", "calibrate", "fit_demand", "propose",
           "read_sales"]

_LAZY = {"BacktestResult": "backtest", "backtest": "backtest", "DemandFit": "demand",
         "fit_demand": "demand", "Proposal": "proposal", "propose": "proposal",
         "SalesData": "sales", "read_sales": "sales"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'jxc_rules.calibrate' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"jxc_rules.calibrate.{module}"), name)


@attrs.frozen(eq=False)
class CalibrationResult:
    """What :func:`calibrate` returns: the checked ``sales``, the ``demand`` fit, every
    estimate (demand and the other kernels'), and the ``proposal``."""

    sales: Any
    demand: Any
    estimates: tuple[Estimate, ...]
    proposal: Any

    def censoring_effect(self) -> tuple[str, float, float] | None:
        """The multiplier most changed by ignoring the stock-out flag: ``(path, naive,
        censored)`` (None when nothing sold out)."""
        best: tuple[str, float, float] | None = None
        for est in self.estimates:
            if est.path.endswith("shift_to_takeaway"):
                continue            # a share, not a multiplier: a ratio of it means nothing
            for fit in self.demand.channels.values():
                naive = fit.naive.get(est.path)
                if naive is None or est.value <= 0 or naive <= 0:
                    continue
                if best is None or abs(naive / est.value - 1) > abs(best[1] / best[2] - 1):
                    best = (est.path, float(naive), float(est.value))
        return best

    def to_mapping(self) -> dict[str, Any]:
        changed = {e.path for e in self.proposal.changed}
        naive: dict[str, float] = {}
        for fit in self.demand.channels.values():
            naive.update(fit.naive)
        return {
            "sales": {"file": self.sales.source, "from": self.sales.dates[0],
                      "to": self.sales.dates[-1], "days": self.sales.days},
            "estimates": [dict(attrs.asdict(e), action="change" if e.path in changed
                               else "keep", naive=naive.get(e.path))
                          for e in self.estimates],
            "refusals": [attrs.asdict(r) for r in self.proposal.refusals],
            "proposal": {"version": self.proposal.pack.version,
                         "changes": [attrs.asdict(c) if attrs.has(type(c)) else str(c)
                                     for c in self.proposal.changes]},
        }


def calibrate(
    pack: Any,
    sales: str | os.PathLike[str] | Any,
    *,
    weather: str | os.PathLike[str] | None = None,
    wastage: str | os.PathLike[str] | None = None,
    fish: str | os.PathLike[str] | None = None,
    shelf_life: str | os.PathLike[str] | None = None,
    accept_all: bool = False,
    version: str | None = None,
) -> CalibrationResult:
    """Fit what the data support and propose a new version of ``pack``.

    ``sales`` is a file (:func:`read_sales`) or a :class:`SalesData`; ``wastage``, ``fish`` and
    ``shelf_life`` are the optional logs of :mod:`jxc_rules.calibrate.logs`.
    """
    from jxc_rules.calibrate.demand import fit_demand
    from jxc_rules.calibrate.proposal import propose
    from jxc_rules.calibrate.sales import SalesData, read_sales

    data = sales if isinstance(sales, SalesData) else read_sales(sales, pack, weather=weather)
    fit = fit_demand(data, pack)
    estimates = list(fit.estimates)
    refusals = list(fit.refusals)
    extra = _kernel_estimates(pack, wastage=wastage, fish=fish, shelf_life=shelf_life)
    for ests, refs in extra:
        estimates.extend(ests)
        refusals.extend(refs)
    name = os.path.basename(data.source)
    proposal = propose(pack, estimates, refusals, data_name=name, version=version,
                       accept_all=accept_all)
    return CalibrationResult(data, fit, tuple(estimates), proposal)


def _kernel_estimates(pack: Any, **files: Any
                      ) -> list[tuple[list[Estimate], list[Refusal]]]:
    """The other kernels' calibrations (channel loss, transit shrink, shelf life) from their
    logs, where given."""
    wanted: Mapping[str, tuple[str, str]] = {
        "wastage": ("read_wastage_log", "calibrate_channel_loss"),
        "fish": ("read_fish_receipts", "calibrate_transit"),
        "shelf_life": ("read_shelf_life_observations", "calibrate_shelf_life"),
    }
    out: list[tuple[list[Estimate], list[Refusal]]] = []
    for key, (reader, fitter) in wanted.items():
        path = files.get(key)
        if path is None:
            continue
        from jxc_rules.calibrate import kernels, logs

        log = getattr(logs, reader)(path, pack)
        ests, refs = getattr(kernels, fitter)(pack, log)
        name = os.path.basename(os.fspath(path))
        out.append(([attrs.evolve(e, data=e.data or name) for e in ests], list(refs)))
    return out
