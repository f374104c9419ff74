"""Per-channel loss rates estimated from history whose channel mix varies.

Model
-----
For periods ``p`` (days, weeks) with theoretical as-purchased usage ``n[p, c]`` per channel (sold
× recipe ÷ yield, see :func:`~jxc_rules.wastage.variance.theoretical_usage`) and actual usage
``a[p]`` from stock counts (opening + purchases − closing)::

    a[p] = Σ_c n[p, c] · (1 + w_c) + ε_p      ⇔      a[p] − Σ_c n[p, c] = Σ_c n[p, c] · w_c + ε_p

is linear in the per-channel markups ``w_c ≥ 0``, fitted by non-negative least squares
(Lawson & Hanson 1974, ``scipy.optimize.nnls``). The loss-convention rates follow as
``L_c = w_c / (1 + w_c)``. The channels are separable only when their shares vary across
periods; a design of rank < channels is refused.

Intervals
---------
* ``interval="bootstrap"`` (default): periods resampled with replacement ``n_resamples`` times
  (``seed``/``rng`` per numpy SPEC 7), refitted, percentile interval at ``level``. Valid at the
  boundary (a rate fitted at 0).
* ``interval="asymptotic"``: ``w ± t_{P−C} · se`` with ``cov = σ² (NᵀN)⁻¹``, ``σ² = RSS/(P − C)``
  (ordinary least-squares theory), lower end clipped at 0; not valid when a rate sits at 0.

Like scikit-learn estimators, calibration never mutates the model: it returns a new
:class:`~jxc_rules.wastage.models.ChannelLossModel` with the fitted totals (cause mix of the old
entry kept) plus diagnostics and a comparison with the current rates.

Sources
-------
Lawson, C. L. & Hanson, R. J. (1974) *Solving Least Squares Problems*, ch. 23 (NNLS). Efron, B. &
Tibshirani, R. (1993) *An Introduction to the Bootstrap*, ch. 13 (percentile intervals).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

import attrs
import numpy as np
import numpy.typing as npt

from jxc_rules._internal.lazy import lazy_module

if TYPE_CHECKING:
    from scipy import optimize, stats
else:  # scipy loads when a fit runs, not when wastage is imported
    optimize, stats = lazy_module("scipy.optimize"), lazy_module("scipy.stats")

from jxc_rules._internal.arrays import as_float_array, name_list
from jxc_rules.errors import ValidationError, bad_value
from jxc_rules.wastage.models import ChannelLoss, ChannelLossModel, canonical_channel

__all__ = ["LossCalibration", "calibrate_channel_losses", "calibrate_items"]

FloatArray: TypeAlias = npt.NDArray[np.float64]


@attrs.frozen(eq=False)
class LossCalibration:
    """Fitted per-channel loss rates with intervals and a comparison with the current model.

    ``loss``/``markup`` are per channel; ``loss_interval``/``markup_interval`` are
    ``(channels, 2)`` (low, high). ``current_loss``, ``difference`` (fitted − current) and
    ``current_in_interval`` are ``None`` without a current model. ``model`` is the new parameter
    object.
    """

    channels: tuple[str, ...]
    item: str | None
    loss: FloatArray
    markup: FloatArray
    loss_interval: FloatArray
    markup_interval: FloatArray
    level: float
    interval: str
    n_periods: int
    residuals: FloatArray
    rmse: float
    model: ChannelLossModel
    current_loss: FloatArray | None = None
    difference: FloatArray | None = None
    current_in_interval: npt.NDArray[np.bool_] | None = None

    def summary(self) -> dict[str, dict[str, float | bool | None]]:
        """Channel → fitted loss, interval, current loss and whether it is inside."""
        out: dict[str, dict[str, float | bool | None]] = {}
        for k, ch in enumerate(self.channels):
            out[ch] = {
                "loss": float(self.loss[k]),
                "low": float(self.loss_interval[k, 0]),
                "high": float(self.loss_interval[k, 1]),
                "current": None if self.current_loss is None else float(self.current_loss[k]),
                "current_in_interval": None if self.current_in_interval is None
                else bool(self.current_in_interval[k]),
            }
        return out


def _fit(design: FloatArray, target: FloatArray) -> FloatArray:
    w, _ = optimize.nnls(design, target)
    return np.asarray(w, dtype=np.float64)


def _level(value: object) -> float:
    """An interval coverage: one number in (0, 1) (not ``"0.9"``, not ``True``, not NaN)."""
    try:
        arr = as_float_array(value, "level", min_value=0.0, max_value=1.0, min_inclusive=False,
                             max_inclusive=False)
    except ValidationError:
        arr = None
    if arr is None or arr.ndim:
        raise bad_value("level", value, "a coverage in (0, 1)")
    return float(arr)


def calibrate_channel_losses(
    net_by_channel: npt.ArrayLike,
    actual: npt.ArrayLike,
    *,
    channels: Sequence[str],
    model: ChannelLossModel | None = None,
    item: str | None = None,
    level: float = 0.95,
    interval: str = "bootstrap",
    n_resamples: int = 1000,
    seed: int | np.random.Generator | np.random.SeedSequence | None = None,
) -> LossCalibration:
    """Estimate per-channel loss rates by NNLS from periods with varying channel mix.

    Parameters
    ----------
    net_by_channel : array (periods, channels)
        Theoretical as-purchased usage per channel and period (>= 0).
    actual : array (periods,)
        Actual usage per period from stock counts, same unit.
    channels : sequence of str
        Channel ids for the columns.
    model : ChannelLossModel, optional
        Current model: compared against, and the base of the returned model (its cause mix kept,
        totals replaced by the fit — as the channel defaults, or as ``item``'s overrides).
    item : str, optional
        The item (or item group) the history is for.
    level : float
        Interval coverage in (0, 1).
    interval : {"bootstrap", "asymptotic"}
    n_resamples : int
        Bootstrap resamples.
    seed : int, Generator or SeedSequence, optional
        Randomness for the bootstrap (numpy SPEC 7); same seed, same intervals.

    Returns
    -------
    LossCalibration

    Raises
    ------
    ValidationError
        Bad shapes, negative or non-finite values, fewer periods than channels (+1 for the
        asymptotic interval), or a channel mix that does not vary (rank-deficient design).

    Examples
    --------
    >>> net = np.array([[80, 20], [50, 50], [20, 80], [60, 40]], dtype=float)
    >>> actual = net @ (1 + np.array([0.04, 0.10]))  # markups 4 % and 10 %
    >>> cal = calibrate_channel_losses(net, actual, channels=["dine_in", "takeaway"], seed=0)
    >>> cal.markup.round(6).tolist()
    [0.04, 0.1]
    """
    n = as_float_array(net_by_channel, "net_by_channel", min_value=0.0)
    a = as_float_array(actual, "actual", min_value=0.0)
    chans = tuple(canonical_channel(c) for c in name_list(channels, "channels",
                                                          "channel names"))
    if n.ndim != 2 or n.shape[1] != len(chans):
        raise bad_value("net_by_channel", n.shape, f"a (periods, channels={len(chans)}) array")
    if a.shape != (n.shape[0],):
        raise bad_value("actual", a.shape, f"one value per period ({n.shape[0]})")
    if not isinstance(interval, str) or interval not in ("bootstrap", "asymptotic"):
        raise bad_value("interval", interval, "'bootstrap' or 'asymptotic'")
    level = _level(level)
    periods, n_ch = n.shape
    need = n_ch + (1 if interval == "asymptotic" else 0)
    if periods < need:
        raise bad_value("net_by_channel", periods, f"at least {need} periods for {n_ch} channels")
    rank = int(np.linalg.matrix_rank(n))
    if rank < n_ch:
        raise ValidationError(
            f"net_by_channel: the channel mix does not vary enough to separate {n_ch} channels "
            f"(design rank {rank}); use periods with different channel shares",
            field="net_by_channel", value=rank)
    target = a - n.sum(axis=1)
    w = _fit(n, target)
    residuals = target - n @ w
    rmse = float(np.sqrt(np.mean(residuals**2)))
    alpha = 1.0 - level
    if interval == "bootstrap":
        if isinstance(n_resamples, (bool, np.bool_)) or \
                not isinstance(n_resamples, (int, np.integer)) or n_resamples < 10:
            raise bad_value("n_resamples", n_resamples, "an int >= 10")
        n_resamples = int(n_resamples)
        rng = np.random.default_rng(seed)
        idx = rng.integers(0, periods, size=(n_resamples, periods))
        draws = np.empty((n_resamples, n_ch), dtype=np.float64)
        for b in range(n_resamples):  # one small NNLS per resample; scipy has no batched NNLS
            draws[b] = _fit(n[idx[b]], target[idx[b]])
        w_int = np.quantile(draws, [alpha / 2, 1 - alpha / 2], axis=0).T
    else:
        dof = periods - n_ch
        sigma2 = float(residuals @ residuals) / dof
        cov = sigma2 * np.linalg.inv(n.T @ n)
        se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
        t = float(stats.t.ppf(1 - alpha / 2, dof))
        w_int = np.column_stack([np.clip(w - t * se, 0.0, None), w + t * se])
    loss = w / (1.0 + w)
    loss_int = w_int / (1.0 + w_int)
    new_model, current = _new_model(model, chans, item, loss, periods, interval, level)
    diff = inside = None
    if current is not None:
        diff = loss - current
        inside = (current >= loss_int[:, 0] - 1e-12) & (current <= loss_int[:, 1] + 1e-12)
    return LossCalibration(
        channels=chans, item=item, loss=loss, markup=w, loss_interval=loss_int,
        markup_interval=w_int, level=level, interval=interval, n_periods=periods,
        residuals=residuals, rmse=rmse, model=new_model, current_loss=current,
        difference=diff, current_in_interval=inside,
    )


def _new_model(
    model: ChannelLossModel | None, chans: tuple[str, ...], item: str | None, loss: FloatArray,
    periods: int, interval: str, level: float,
) -> tuple[ChannelLossModel, FloatArray | None]:
    note = (f"calibrated: NNLS on {periods} periods, {interval} {level:.0%} intervals"
            + (f" (item {item})" if item else ""))
    if model is None:
        fresh = ChannelLossModel(
            "loss", {c: ChannelLoss("loss", other=float(v)) for c, v in zip(chans, loss,
                                                                              strict=True)},
            sources=(note,))
        if item is not None:
            fresh = attrs.evolve(fresh, items={item: dict(fresh.channels)})
        return fresh, None
    current = np.array([model.loss(c, item) for c in chans], dtype=np.float64)
    conv = model.convention
    fitted: dict[str, ChannelLoss] = {}
    for c, value in zip(chans, loss, strict=True):
        old = model.channel_loss(c, item).to_convention("loss").scaled_to(float(value))
        fitted[c] = old.to_convention(conv)
    sources: Any = (*model.sources, note)
    if item is None:
        return attrs.evolve(model, channels={**model.channels, **fitted}, sources=sources), current
    items = {k: dict(v) for k, v in model.items.items()}
    items[item] = {**items.get(item, {}), **fitted}
    return attrs.evolve(model, items=items, sources=sources), current


def calibrate_items(
    net_by_channel: npt.ArrayLike,
    actual: npt.ArrayLike,
    *,
    items: Sequence[str],
    channels: Sequence[str],
    model: ChannelLossModel | None = None,
    level: float = 0.95,
    interval: str = "bootstrap",
    n_resamples: int = 1000,
    seed: int | np.random.Generator | np.random.SeedSequence | None = None,
) -> tuple[ChannelLossModel | None, dict[str, LossCalibration]]:
    """:func:`calibrate_channel_losses` for each item of a history ``(periods, items, channels)``
    / ``(periods, items)``; returns the model with every item's fitted overrides (``None`` when
    no model was given) and the per-item calibrations. Each item's bootstrap gets its own child
    of ``seed`` (``SeedSequence.spawn``), so results do not depend on the item order.

    Examples
    --------
    >>> net = np.array([[[80, 20]], [[50, 50]], [[20, 80]]], dtype=float)
    >>> actual = (net @ np.array([1.05, 1.1]))
    >>> _, fits = calibrate_items(net, actual, items=["beef"], channels=["dine_in", "takeaway"],
    ...                           n_resamples=20, seed=0)
    >>> fits["beef"].markup.round(6).tolist()
    [0.05, 0.1]
    """
    n = as_float_array(net_by_channel, "net_by_channel", min_value=0.0)
    a = as_float_array(actual, "actual", min_value=0.0)
    names = [str(i) for i in name_list(items, "items", "item names")]
    if len(set(names)) != len(names):
        raise bad_value("items", names, "distinct item names")
    if n.ndim != 3 or n.shape[1] != len(names) or n.shape[2] != len(channels):
        raise bad_value("net_by_channel", n.shape,
                        f"a (periods, items={len(names)}, channels={len(channels)}) array")
    if a.shape != n.shape[:2]:
        raise bad_value("actual", a.shape, f"a (periods, items) array {n.shape[:2]}")
    children: Sequence[np.random.Generator | np.random.SeedSequence]
    if isinstance(seed, (np.random.Generator, np.random.SeedSequence)):
        children = seed.spawn(len(names))
    else:
        children = np.random.SeedSequence(seed).spawn(len(names))
    fits: dict[str, LossCalibration] = {}
    current = model
    for k, item in enumerate(names):
        try:
            fit = calibrate_channel_losses(
                n[:, k, :], a[:, k], channels=channels, model=current, item=item, level=level,
                interval=interval, n_resamples=n_resamples, seed=children[k])
        except ValidationError as exc:
            raise ValidationError(f"item {item!r}: {exc}", field=exc.field, value=exc.value,
                                  row=k) from None
        fits[item] = fit
        if current is not None:
            current = fit.model
    return current, fits
