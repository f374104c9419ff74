"""Channel loss, live-fish transit shrink and shelf life calibrated from a store's own records.

Each function takes a loaded pack and a log read by :mod:`jxc_rules.calibrate.logs`, runs the
kernel's existing fitter and returns ``(estimates, refusals)``: one
:class:`~jxc_rules.calibrate.estimate.Estimate` per pack field it could fit — at the field's path
as ``jxc-rules diff`` prints it, in the pack's own unit, with its interval, the pack's current
value, how many observations carried it and a data-sufficiency sentence in English and Chinese —
and one :class:`~jxc_rules.calibrate.estimate.Refusal` for each thing the data do not support
(too few periods, shipments or temperatures; a channel never sold). A refusal is never an
exception: ``jxc-rules calibrate`` fits what it can and says what it could not.

Models (see the kernels' pages for the derivations and sources)
---------------------------------------------------------------
* **Channel loss** (``docs/wastage.md``): ``actual[p] = Σ_c net[p, c] · (1 + w_c)``, fitted by
  NNLS with a percentile bootstrap over periods
  (:func:`~jxc_rules.wastage.calibrate.calibrate_channel_losses`). Periods of items sharing one
  pack entry (an item's own override, its group's, or the channel defaults) are pooled. Stock
  counts give each channel's *total*. With ``recorded_<cause>`` columns (discards booked by cause)
  each recorded cause is fitted the same way, ``recorded_k[p] = Σ_c net[p, c] · m_{c,k}``, and the
  unrecorded rest of the total goes to the pack's unrecorded causes in the pack's proportions (to
  ``other`` when all are recorded), one joint bootstrap giving every cause its interval. Without
  them the pack's split by cause is kept and scaled: every cause path gets the total's interval
  times its share.
* **Transit shrink** (``docs/live_weight.md``): ``−ln(R/(S − D)) = t · k(r · Q10^((T−T_ref)/10))``
  by least squares (:func:`~jxc_rules.live_weight.calibration.fit_rate`), Student-t / Wald
  intervals; Q10 is fitted only when the deliveries' water temperatures span at least
  :data:`MIN_Q10_SPREAD_C` over at least :data:`MIN_Q10_SHIPMENTS` deliveries, else the pack's Q10
  is kept for the rate fit and Q10 is refused.
* **Shelf life** (``docs/shelf_life.md``): ``ln SL = ln SL_ref − b (T − T_ref)`` (Q10 / Bigelow),
  Arrhenius or square-root, by least squares on log shelf life
  (:func:`~jxc_rules.shelf_life.calibrate.fit_shelf_life`), in the pack rule's own model family
  and reference temperature; needs :data:`MIN_SHELF_OBSERVATIONS` batches at
  :data:`MIN_SHELF_TEMPERATURES` or more distinct temperatures (three for the square-root model).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from jxc_rules.calibrate.estimate import Estimate, Refusal, sufficiency
from jxc_rules.errors import JxcRulesError, ValidationError, bad_value

if TYPE_CHECKING:
    import datetime as dt

    from jxc_rules.calibrate.logs import (
        FishReceipts,
        ShelfLifeObservations,
        WastageLog,
        WastagePeriod,
    )
    from jxc_rules.rules.schema import RulePack
    from jxc_rules.wastage.models import ChannelLoss, ChannelLossModel

__all__ = [
    "MIN_PERIODS_PER_CHANNEL",
    "MIN_Q10_SHIPMENTS",
    "MIN_Q10_SPREAD_C",
    "MIN_SHELF_OBSERVATIONS",
    "MIN_SHELF_TEMPERATURES",
    "MIN_SHIPMENTS",
    "calibrate_channel_loss",
    "calibrate_shelf_life",
    "calibrate_transit",
]

MIN_PERIODS_PER_CHANNEL = 3
"""Stock-count periods needed per channel fitted (and never fewer than 6 in all)."""
MIN_SHIPMENTS = 3
"""Deliveries needed to fit a transit rate (a t interval on n − 1 degrees of freedom)."""
MIN_Q10_SHIPMENTS = 6
"""Deliveries needed to fit Q10 as well as the rate."""
MIN_Q10_SPREAD_C = 4.0
"""Spread of water temperatures (max − min, °C) needed to fit Q10."""
MIN_SHELF_OBSERVATIONS = 3
"""Batches needed to fit a shelf-life model (n − 2 degrees of freedom)."""
MIN_SHELF_TEMPERATURES = 2
"""Distinct storage temperatures needed (three for the square-root model)."""

FloatArray = npt.NDArray[np.float64]

_CAUSE_ZH = {"prep": "加工", "spoilage": "变质", "plate": "剩餐", "packaging": "包装",
             "other": "其他"}


def _level(level: object) -> float:
    """An interval level in (0, 1): a caller's mistake raises, it is not a data refusal."""
    if isinstance(level, bool) or not isinstance(level, (int, float)) or \
            not 0.0 < float(level) < 1.0:
        raise bad_value("level", level, "an interval level in (0, 1), e.g. 0.95")
    return float(level)


def _span(days: Sequence[dt.date | None]) -> tuple[dt.date | None, dt.date | None]:
    known = [d for d in days if d is not None]
    return (min(known), max(known)) if known else (None, None)


def _not_in_pack(section: str, item: str) -> Refusal:
    return Refusal(f"{section}.{item}",
                   f"{item} has no {section} entry in the pack: add one before calibrating it",
                   f"规则包的 {section} 中没有 {item}：请先添加再校准")


# --------------------------------------------------------------------------------------------
# channel loss


def _loss_key(model: ChannelLossModel, item: str) -> str | None:
    """The pack entry an item's loss comes from: its own override, its group's, or None (the
    channel defaults)."""
    if item in model.items:
        return item
    group = model.groups.get(item)
    if group is not None and group in model.items:
        return group
    return None


def calibrate_channel_loss(
    pack: RulePack,
    log: WastageLog,
    *,
    level: float = 0.95,
    n_resamples: int = 1000,
    seed: int | None = 0,
) -> tuple[list[Estimate], list[Refusal]]:
    """Per-channel loss rates, by cause, from stock-count periods (报损率按渠道、按原因).

    Periods are pooled per pack entry (``wastage.loss_model.items.<item or group>.<channel>``
    when the item has an override or belongs to a group that has one, else
    ``wastage.loss_model.channels.<channel>``); each pool is fitted by
    :func:`~jxc_rules.wastage.calibrate.calibrate_channel_losses` (NNLS, percentile bootstrap,
    ``n_resamples`` resamples, ``seed`` for reproducible intervals). Channels with no usage in a
    pool are left out of its fit and refused. The fitted total of a channel is split over the
    causes by the log's ``recorded_<cause>`` discards when it has them (module docstring), else
    in the pack's proportions (all of it ``other`` when the pack's entry is zero); every cause
    path gets an :class:`Estimate` in the pack's convention (``loss`` or ``markup``).

    Refused (a :class:`Refusal`, not an exception): a pack without a wastage section, a pool
    with fewer than :data:`MIN_PERIODS_PER_CHANNEL` periods per channel (6 at least), a channel
    mix that does not vary (the channels cannot be told apart).
    """
    from jxc_rules.wastage.calibrate import calibrate_channel_losses

    level = _level(level)
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int) or n_resamples < 10:
        raise bad_value("n_resamples", n_resamples, "an int >= 10")

    estimates: list[Estimate] = []
    refusals: list[Refusal] = []
    if pack.wastage is None:
        return [], [Refusal("wastage", "the pack has no wastage section to calibrate",
                            "规则包没有损耗（wastage）部分，无法校准")]
    model = pack.wastage.loss_model
    pools: dict[str | None, list[WastagePeriod]] = {}
    for period in log.periods:
        pools.setdefault(_loss_key(model, period.item), []).append(period)
    children = np.random.SeedSequence(seed).spawn(len(pools))
    for (key, periods), child in zip(pools.items(), children, strict=True):
        prefix = ("wastage.loss_model.channels" if key is None
                  else f"wastage.loss_model.items.{key}")
        pool_en = "the channel defaults" if key is None else f"{key}"
        items = ", ".join(dict.fromkeys(p.item for p in periods))
        net = np.array([p.net for p in periods], dtype=np.float64)
        actual = np.array([p.actual for p in periods], dtype=np.float64)
        used = [k for k in range(len(log.channels)) if net[:, k].sum() > 0]
        for k in range(len(log.channels)):
            if k not in used:
                ch = log.channels[k]
                refusals.append(Refusal(
                    f"{prefix}.{ch}",
                    f"no usage on channel {ch} in the wastage log ({items}): nothing to fit",
                    f"损耗记录中 {ch} 渠道没有用量（{items}）：无法拟合"))
        if not used:
            continue
        channels = [log.channels[k] for k in used]
        need = max(6, MIN_PERIODS_PER_CHANNEL * len(channels))
        n = len(periods)
        if n < need:
            refusals.append(Refusal(
                prefix,
                f"{n} stock-count periods for {pool_en} ({items}); at least {need} are needed to "
                f"separate {len(channels)} channels — keep logging",
                f"{pool_en}（{items}）只有 {n} 个盘点期；区分 {len(channels)} 个渠道至少需要 "
                f"{need} 个——请继续记录"))
            continue
        try:
            fit = calibrate_channel_losses(
                net[:, used], actual, channels=channels, model=model, item=key, level=level,
                interval="bootstrap", n_resamples=n_resamples, seed=child)
        except ValidationError as exc:
            refusals.append(Refusal(
                prefix, f"channel loss for {pool_en} not fitted: {exc}",
                f"{pool_en} 的渠道损耗无法拟合：{exc}"))
            continue
        day_from, day_to = _span([p.date for p in periods])
        en, zh = sufficiency(n, "stock-count period", "盘点期", wide_below=need + 6)
        if log.causes:
            recorded = np.array([p.recorded for p in periods], dtype=np.float64)
            olds = [model.channel_loss(ch, key) for ch in fit.channels]
            split = _recorded_split(net[:, used], actual, recorded, log.causes, olds,
                                    model.convention, level, n_resamples, child)
            for k, ch in enumerate(fit.channels):
                has_entry = key is None or ch in model.items.get(key, {})
                old_causes = olds[k].causes
                for cause, (value, low, high) in split[k].items():
                    current = old_causes[cause] if has_entry and old_causes[cause] > 0 \
                        else None
                    if current is None and value == 0.0:
                        continue  # not in the pack and not seen: nothing to propose
                    estimates.append(Estimate(
                        path=f"{prefix}.{ch}.{cause}", value=value, low=low, high=high,
                        current=current, n=n, n_label="stock-count periods",
                        data_from=day_from, data_to=day_to,
                        method=(f"NNLS of actual − theoretical usage (total) and of each "
                                f"recorded cause on theoretical usage per channel, percentile "
                                f"bootstrap of periods ({n_resamples} resamples); "
                                f"{model.convention} convention"),
                        level=level,
                        note_en=(f"{en}; cause split fitted from the recorded discards "
                                 f"({', '.join(log.causes)}), the unrecorded rest of the stock-"
                                 "count loss booked as " + _rest_en(olds[k], log.causes)),
                        note_zh=(f"{zh}；原因比例按报损记录拟合（"
                                 f"{'、'.join(_CAUSE_ZH.get(c, c) for c in log.causes)}），"
                                 "盘点差异中未登记的部分记为" + _rest_zh(olds[k], log.causes))))
            continue
        for k, ch in enumerate(fit.channels):
            old = model.channel_loss(ch, key)
            has_entry = key is None or ch in model.items.get(key, {})
            estimates.extend(_cause_estimates(
                f"{prefix}.{ch}", old, has_entry, model.convention, float(fit.loss[k]),
                (float(fit.loss_interval[k, 0]), float(fit.loss_interval[k, 1])), n, level,
                day_from, day_to, en, zh, n_resamples))
    return estimates, refusals


def _unrecorded(old: ChannelLoss, causes: Sequence[str]) -> dict[str, float]:
    """Where the loss beyond the recorded discards goes: the pack's causes that are not
    recorded, in the pack's proportions; ``other`` when every pack cause is recorded."""
    base = old.to_convention("loss").causes
    rest = {c: v for c, v in base.items() if v > 0 and c not in causes}
    total = sum(rest.values())
    return {c: v / total for c, v in rest.items()} if total > 0 else {"other": 1.0}


def _rest_en(old: ChannelLoss, causes: Sequence[str]) -> str:
    rest = _unrecorded(old, causes)
    return ", ".join(f"{c} {v:.0%}" for c, v in rest.items()) if len(rest) > 1 \
        else next(iter(rest))


def _rest_zh(old: ChannelLoss, causes: Sequence[str]) -> str:
    rest = _unrecorded(old, causes)
    if len(rest) == 1:
        return _CAUSE_ZH.get(next(iter(rest)), next(iter(rest)))
    return "、".join(f"{_CAUSE_ZH.get(c, c)} {v:.0%}" for c, v in rest.items())


def _split_once(net: FloatArray, actual: FloatArray, recorded: FloatArray,
                rec_index: list[int], rest: list[FloatArray], markup_out: bool) -> FloatArray:
    """Cause rates ``(channels, len(CAUSES))`` of one (re)sample of periods.

    Model: total markup ``w_c`` from ``actual − Σ net = net · w`` and recorded markups
    ``m_{c,k}`` from ``recorded_k = net · m_k`` (both NNLS); a channel whose recorded markups
    exceed its total has them scaled down to it; the rest ``w_c − Σ_k m_{c,k}`` is spread by
    ``rest[c]`` (weights over CAUSES). Loss convention: ``L_{c,k} = m_{c,k} / (1 + w_c)``.
    """
    from scipy import optimize

    w, _ = optimize.nnls(net, actual - net.sum(axis=1))
    out = np.zeros((net.shape[1], len(rest[0])), dtype=np.float64)
    for j, k in enumerate(rec_index):
        m, _ = optimize.nnls(net, recorded[:, j])
        out[:, k] = m
    seen = out.sum(axis=1)
    over = seen > w
    out[over] *= (w[over] / seen[over])[:, None]
    remainder = np.clip(w - out.sum(axis=1), 0.0, None)
    out += remainder[:, None] * np.array(rest)
    return out if markup_out else out / (1.0 + w)[:, None]


def _recorded_split(
    net: FloatArray, actual: FloatArray, recorded: FloatArray, causes: Sequence[str],
    olds: list[ChannelLoss], convention: str, level: float, n_resamples: int,
    seed: np.random.SeedSequence,
) -> list[dict[str, tuple[float, float, float]]]:
    """Per channel: cause → (value, low, high) in ``convention``, percentile bootstrap."""
    from jxc_rules.wastage.models import CAUSES

    rec_index = [CAUSES.index(c) for c in causes]
    rest = []
    for old in olds:
        weights = _unrecorded(old, causes)
        rest.append(np.array([weights.get(c, 0.0) for c in CAUSES]))
    markup = convention == "markup"
    point = _split_once(net, actual, recorded, rec_index, rest, markup)
    rng = np.random.default_rng(seed)
    periods = net.shape[0]
    draws = np.empty((n_resamples, *point.shape), dtype=np.float64)
    for b in range(n_resamples):
        idx = rng.integers(0, periods, size=periods)
        draws[b] = _split_once(net[idx], actual[idx], recorded[idx], rec_index, rest, markup)
    alpha = 1.0 - level
    low, high = np.quantile(draws, [alpha / 2, 1 - alpha / 2], axis=0)
    out: list[dict[str, tuple[float, float, float]]] = []
    for c in range(point.shape[0]):
        out.append({cause: (float(point[c, k]), float(low[c, k]), float(high[c, k]))
                    for k, cause in enumerate(CAUSES)})
    return out


def _cause_estimates(
    path: str, old: ChannelLoss, has_entry: bool, convention: str, total: float,
    interval: tuple[float, float], n: int, level: float, day_from: dt.date | None,
    day_to: dt.date | None, en: str, zh: str, n_resamples: int,
) -> list[Estimate]:
    base = old.to_convention("loss")
    new = base.scaled_to(total).to_convention(convention)
    low = base.scaled_to(interval[0]).to_convention(convention)
    high = base.scaled_to(min(interval[1], 1.0 - 1e-12)).to_convention(convention)
    old_causes = old.causes
    causes = [c for c, v in old_causes.items() if v > 0] or ["other"]
    if base.total == 0:
        causes = ["other"]
    split_en = ", ".join(f"{c} {base.causes[c] / base.total:.0%}" for c in causes) \
        if base.total > 0 else "all booked as other (the pack's entry is zero)"
    split_zh = "、".join(f"{_CAUSE_ZH.get(c, c)} {base.causes[c] / base.total:.0%}"
                        for c in causes) if base.total > 0 else "全部记为其他（原值为零）"
    out: list[Estimate] = []
    for cause in causes:
        current = float(old_causes[cause]) if has_entry and old_causes[cause] > 0 else None
        out.append(Estimate(
            path=f"{path}.{cause}", value=float(new.causes[cause]),
            low=float(low.causes[cause]), high=float(high.causes[cause]), current=current, n=n,
            n_label="stock-count periods", data_from=day_from, data_to=day_to,
            method=(f"NNLS of actual − theoretical usage on theoretical usage per channel, "
                    f"percentile bootstrap of periods ({n_resamples} resamples); total "
                    f"{total:.4g} ({convention} convention shown), the pack's cause split kept"),
            level=level,
            note_en=f"{en}; cause split from the pack ({split_en})",
            note_zh=f"{zh}；原因比例沿用规则包（{split_zh}）"))
    return out


# --------------------------------------------------------------------------------------------
# live-fish transit shrink


def calibrate_transit(
    pack: RulePack,
    receipts: FishReceipts,
    *,
    level: float = 0.95,
) -> tuple[list[Estimate], list[Refusal]]:
    """Transit weight-loss rate (and Q10) per live item from deliveries (活鱼运输失重率).

    For each item of ``receipts``: :func:`~jxc_rules.live_weight.calibration.fit_rate` with the
    pack's model as base (its form, reference temperature and any first phase kept). With a
    ``temp_c`` column whose values span :data:`MIN_Q10_SPREAD_C` °C over at least
    :data:`MIN_Q10_SHIPMENTS` deliveries, Q10 is fitted with the rate; otherwise the rate is
    fitted at the pack's Q10 (the temperatures still scale each delivery) and Q10 is refused.
    Paths: ``live_weight.<item>.rate_per_hour`` (a fraction per hour: 0.003 is 0.3 %/h, as the
    loaded pack holds it) and ``live_weight.<item>.q10``. Fewer than :data:`MIN_SHIPMENTS`
    deliveries: refused.
    """
    from jxc_rules.live_weight.calibration import fit_rate

    level = _level(level)

    estimates: list[Estimate] = []
    refusals: list[Refusal] = []
    for item in receipts.items:
        if item not in pack.live_weight:
            refusals.append(_not_in_pack("live_weight", item))
            continue
        base = pack.live_weight[item]
        rows = receipts.of(item)
        n = len(rows)
        prefix = f"live_weight.{item}"
        if n < MIN_SHIPMENTS:
            refusals.append(Refusal(
                f"{prefix}.rate_per_hour",
                f"{n} deliveries of {item}; at least {MIN_SHIPMENTS} are needed to fit the "
                "transit rate — keep logging shipped and received weights",
                f"{item} 只有 {n} 批到货；拟合运输失重率至少需要 {MIN_SHIPMENTS} 批——请继续记录"
                "发货与到货重量"))
            continue
        shipped = np.array([r.shipped_kg for r in rows])
        received = np.array([r.received_kg for r in rows])
        hours = np.array([r.hours for r in rows])
        dead = np.array([r.dead_kg for r in rows])
        temps = np.array([r.temp_c for r in rows], dtype=np.float64) if receipts.has_temp \
            else None
        fit_q10 = False
        q10_reason: tuple[str, str] | None = None
        if temps is None:
            q10_reason = ("no temp_c column in the receipts: Q10 needs the water temperature "
                          "of each delivery",
                          "到货记录没有 temp_c（水温）列：拟合 Q10 需要每批的水温")
        else:
            spread = float(np.ptp(temps))
            if n >= MIN_Q10_SHIPMENTS and spread >= MIN_Q10_SPREAD_C:
                fit_q10 = True
            else:
                q10_reason = (
                    f"{n} deliveries with water temperatures spanning {spread:.1f} °C; Q10 needs "
                    f"at least {MIN_Q10_SHIPMENTS} deliveries over {MIN_Q10_SPREAD_C:g} °C or "
                    "more (the pack's Q10 is kept for the rate fit)",
                    f"{n} 批到货，水温跨度 {spread:.1f} °C；拟合 Q10 至少需要 {MIN_Q10_SHIPMENTS} "
                    f"批、跨度不小于 {MIN_Q10_SPREAD_C:g} °C（失重率拟合沿用规则包的 Q10）")
                if base.q10 is None:
                    temps = None  # no Q10 to scale with: the rate is fitted without temperature
        try:
            # a degenerate history overflows exp() of a Q10 bound: judged below by finiteness
            with np.errstate(over="ignore"):
                fit = fit_rate(shipped, received, hours, temps, dead_kg=dead, base=base,
                               fit_q10=fit_q10, confidence=level)
                if fit_q10 and not (fit.q10_ci is not None
                                    and all(map(math.isfinite, fit.q10_ci))):
                    # Q10 not pinned down: the rate at the pack's Q10, Q10 refused
                    fit_q10 = False
                    q10_reason = (
                        f"Q10 of {item} is not identified by these {n} deliveries (its "
                        "interval is unbounded): the pack's Q10 is kept for the rate fit",
                        f"这 {n} 批到货无法确定 {item} 的 Q10（区间无界）："
                        "失重率拟合沿用规则包的 Q10")
                    if base.q10 is None:
                        temps = None
                    fit = fit_rate(shipped, received, hours, temps, dead_kg=dead, base=base,
                                   confidence=level)
        except JxcRulesError as exc:
            refusals.append(Refusal(f"{prefix}.rate_per_hour",
                                    f"transit rate of {item} not fitted: {exc}",
                                    f"{item} 的运输失重率无法拟合：{exc}"))
            continue
        day_from, day_to = _span([r.date for r in rows])
        en, zh = sufficiency(n, "delivery", "到货批次", wide_below=10)
        en = en.replace("deliverys", "deliveries")
        hours_note_en = f"; {float(hours.min()):g}–{float(hours.max()):g} h in transit"
        hours_note_zh = f"；运输 {float(hours.min()):g}–{float(hours.max()):g} 小时"
        estimates.append(Estimate(
            path=f"{prefix}.rate_per_hour", value=fit.rate_per_hour, low=fit.ci_low,
            high=fit.ci_high, current=base.rate_per_hour, n=n, n_label="deliveries",
            data_from=day_from, data_to=day_to,
            method=(f"least squares of the log weight ratio on hours ({fit.model.form} form"
                    + (", Q10 fitted" if fit_q10 else
                       f", Q10 {base.q10:g} kept" if temps is not None and base.q10 else "")
                    + "), Student-t interval"),
            level=level, note_en=en + hours_note_en, note_zh=zh + hours_note_zh))
        if fit_q10 and fit.q10 is not None and fit.q10_ci is not None:
            assert temps is not None
            estimates.append(Estimate(
                path=f"{prefix}.q10", value=fit.q10, low=fit.q10_ci[0], high=fit.q10_ci[1],
                current=base.q10, n=n, n_label="deliveries", data_from=day_from,
                data_to=day_to,
                method=("nonlinear least squares of rate and ln Q10 together, Wald interval, "
                        f"reference {fit.model.ref_temp_c:g} °C"
                        + ("" if base.ref_temp_c is not None else
                           " (the median water temperature: the pack has no ref_temp_c, add "
                           "it with Q10)")),
                level=level,
                note_en=f"{en}; water {float(temps.min()):g}–{float(temps.max()):g} °C",
                note_zh=f"{zh}；水温 {float(temps.min()):g}–{float(temps.max()):g} °C"))
        elif q10_reason is not None:
            refusals.append(Refusal(f"{prefix}.q10", *q10_reason))
    return estimates, refusals


# --------------------------------------------------------------------------------------------
# shelf life

_FIT_NAME = {"q10": "q10", "z_c": "bigelow", "arrhenius": "arrhenius", "t_min_c": "square_root"}
_ATTR = {"q10": "q10", "z_c": "z_c", "arrhenius": "ea_kj_per_mol", "t_min_c": "t_min_c"}


def calibrate_shelf_life(
    pack: RulePack,
    observations: ShelfLifeObservations,
    *,
    level: float = 0.95,
) -> tuple[list[Estimate], list[Refusal]]:
    """Shelf-life temperature parameter and reference shelf life per item (保质期参数).

    For each item of ``observations``: :func:`~jxc_rules.shelf_life.calibrate.fit_shelf_life`
    in the family of the pack rule's model (Q10, Bigelow z, Arrhenius Ea, square-root T_min) at
    the rule's reference temperature. Paths: ``shelf_life.<item>.model.<q10 | z_c | arrhenius |
    t_min_c>`` and ``shelf_life.<item>.shelf_life_ref_h`` (hours). Refused: fewer than
    :data:`MIN_SHELF_OBSERVATIONS` batches, fewer than :data:`MIN_SHELF_TEMPERATURES` distinct
    temperatures (three for square-root), a rule given as a rate table, or data the model
    cannot fit (shelf life not falling with temperature).
    """
    from jxc_rules.shelf_life.calibrate import fit_shelf_life

    level = _level(level)

    estimates: list[Estimate] = []
    refusals: list[Refusal] = []
    for item in observations.items:
        if item not in pack.shelf_life:
            refusals.append(_not_in_pack("shelf_life", item))
            continue
        rule = pack.shelf_life[item]
        rows = observations.of(item)
        prefix = f"shelf_life.{item}"
        tag = type(rule.model).tag
        if tag not in _FIT_NAME:
            refusals.append(Refusal(
                f"{prefix}.model", f"{item}'s shelf-life model is a {tag}; only Q10, z, "
                "Arrhenius and square-root models are fitted",
                f"{item} 的保质期模型是 {tag}；只拟合 Q10、z 值、Arrhenius 与平方根模型"))
            continue
        n = len(rows)
        temps = np.array([o.temp_c for o in rows])
        lives = np.array([o.shelf_life_h for o in rows])
        n_temps = int(np.unique(temps).size)
        need_t = 3 if tag == "t_min_c" else MIN_SHELF_TEMPERATURES
        if n < MIN_SHELF_OBSERVATIONS or n_temps < need_t:
            refusals.append(Refusal(
                f"{prefix}.model",
                f"{n} batches of {item} at {n_temps} storage temperature"
                f"{'s' if n_temps != 1 else ''}; at least {MIN_SHELF_OBSERVATIONS} batches at "
                f"{need_t} or more temperatures are needed — keep a batch at another "
                "temperature (a colder or warmer cabinet) until it fails the check",
                f"{item} 只有 {n} 批、{n_temps} 个储存温度；至少需要 {MIN_SHELF_OBSERVATIONS} 批、"
                f"{need_t} 个以上温度——请在另一温度下留样观察至不合格"))
            continue
        ref = float(rule.model.ref_temp_c)
        try:
            fit = fit_shelf_life(temps, lives, model=_FIT_NAME[tag], ref_temp_c=ref,
                                 confidence=level)
        except JxcRulesError as exc:
            refusals.append(Refusal(f"{prefix}.model", f"shelf life of {item} not fitted: {exc}",
                                    f"{item} 的保质期无法拟合：{exc}"))
            continue
        day_from, day_to = _span([o.date for o in rows])
        en_t, zh_t = sufficiency(n_temps, "storage temperature", "储存温度", wide_below=3)
        en = f"{n} batches; {en_t}"
        zh = f"{n} 批；{zh_t}"
        span_en = f" ({float(temps.min()):g}–{float(temps.max()):g} °C)"
        method = (f"least squares on log shelf life ({_FIT_NAME[tag]} model, reference "
                  f"{ref:g} °C), Student-t interval on {fit.dof} degrees of freedom")
        lo, hi = fit.interval
        if all(math.isfinite(v) for v in (lo, hi)):
            estimates.append(Estimate(
                path=f"{prefix}.model.{tag}", value=float(fit.estimate), low=float(lo),
                high=float(hi), current=float(getattr(rule.model, _ATTR[tag])), n=n,
                n_label="batches", data_from=day_from, data_to=day_to, method=method,
                level=level, note_en=en + span_en, note_zh=zh + span_en))
        else:
            refusals.append(Refusal(
                f"{prefix}.model.{tag}", f"the interval of {item}'s {tag} is unbounded "
                f"({lo:g} to {hi:g}); observe batches at temperatures further apart",
                f"{item} 的 {tag} 区间无界；请在相差更大的温度下观察"))
        slo, shi = fit.shelf_life_ref_interval_h
        extrapolated = not float(temps.min()) <= ref <= float(temps.max())
        estimates.append(Estimate(
            path=f"{prefix}.shelf_life_ref_h", value=float(fit.shelf_life_ref_h),
            low=float(slo), high=float(shi), current=float(rule.shelf_life_ref_h), n=n,
            n_label="batches", data_from=day_from, data_to=day_to, method=method, level=level,
            note_en=en + span_en + (f"; {ref:g} °C is outside the observed temperatures: "
                                    "extrapolated" if extrapolated else ""),
            note_zh=zh + span_en + (f"；{ref:g} °C 在观察温度之外：外推" if extrapolated
                                    else "")))
    return estimates, refusals
