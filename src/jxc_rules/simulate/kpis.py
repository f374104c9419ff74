"""KPIs: per-trial values reduced inside the workers, then summarised across trials.

Every KPI is one number per trial (over all items, locations and days of the horizon); money
weights combine items counted in different units. Definitions (also in ``docs/simulator.md``):

==========================  ===========  ====================================================
name                        中文          per trial
==========================  ===========  ====================================================
fill_rate                   满足率        Σ price·served / Σ price·demand
stockout_rate               缺货率        item-days with unmet demand / item-days
waste_rate                  损耗率        cost of (expiry + channel loss + transit shrink) /
                                         cost of goods available (opening stock + purchases)
waste_rate_expiry           过期损耗率     expiry part of waste_rate
waste_rate_channel          渠道损耗率     channel-loss part (prep, plate, packaging, ...)
waste_rate_transit          运输损耗率     live-weight shrink part
turnover_days               库存周转天数   mean end-of-day stock value / mean daily cost of
                                         goods issued
gross_margin                毛利 (元)      revenue − cost of (issued + expired + shrink)
gross_margin_rate           毛利率        gross_margin / revenue
safety_stock_compliance     安全库存达标率  item-days with end-of-day stock ≥ a fixed standard
                                         (1 day of true expected issue, the same for every
                                         pack: not the pack's own target) / item-days
sell_through                售出率        cost of goods sold / cost of goods available
                                         (opening + purchases)
stock_age_0_1d … _7d_plus   库龄分布       share of end-of-day stock value by age (days since
                                         receipt): <1, 1–3, 3–7, ≥7
==========================  ===========  ====================================================

A KPI whose denominator is zero in a trial (no revenue, no stock) is NaN in that trial and is
left out of the summary statistics.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import attrs
import numpy as np
import numpy.typing as npt

from jxc_rules.errors import bad_value

if TYPE_CHECKING:
    from jxc_rules.simulate.plan import World

__all__ = ["KPIS", "Accumulator", "KpiInfo", "KpiSummary", "check_materiality",
           "materiality_overrides", "summarize"]

FloatArray = npt.NDArray[np.float64]


@attrs.frozen
class KpiInfo:
    """A KPI's names, which direction is better (+1 higher, −1 lower, 0 neither) and its
    default materiality (重要性阈值): the smallest difference a committee treats as real.

    The threshold of a compare is ``max(materiality, materiality_rel · |baseline mean|)`` in the
    KPI's unit (a share as a fraction: 0.001 is 0.1 percentage point). Defaults: 0.1 percentage
    point for every rate and share, 0.1 day for turnover days, 0.1 % of the baseline's gross
    margin for the margin in yuan.
    """

    name: str
    zh: str
    en: str
    better: int
    unit: str = "share"  # share | days | yuan
    materiality: float = 0.001
    materiality_rel: float = 0.0

    def threshold(self, baseline_mean: float) -> float:
        """The materiality threshold against a baseline mean (absolute, in the KPI's unit).

        Examples
        --------
        >>> KPI_INFO["stockout_rate"].threshold(0.02), KPI_INFO["gross_margin"].threshold(-5e5)
        (0.001, 500.0)
        """
        rel = self.materiality_rel * abs(baseline_mean) if math.isfinite(baseline_mean) else 0.0
        return max(self.materiality, rel)


KPIS: tuple[KpiInfo, ...] = (
    KpiInfo("fill_rate", "满足率", "fill rate", +1),
    KpiInfo("stockout_rate", "缺货率", "stockout rate", -1),
    KpiInfo("waste_rate", "损耗率", "waste rate", -1),
    KpiInfo("waste_rate_expiry", "过期损耗率", "waste: expiry", -1),
    KpiInfo("waste_rate_channel", "渠道损耗率", "waste: channel loss", -1),
    KpiInfo("waste_rate_transit", "运输损耗率", "waste: transit shrink", -1),
    KpiInfo("turnover_days", "库存周转天数", "inventory turnover days", -1, "days", 0.1),
    KpiInfo("gross_margin", "毛利", "gross margin", +1, "yuan", 0.0, 0.001),
    KpiInfo("gross_margin_rate", "毛利率", "gross margin rate", +1),
    KpiInfo("safety_stock_compliance", "安全库存达标率", "safety-stock compliance", +1),
    KpiInfo("sell_through", "售出率", "sell-through", +1),
    KpiInfo("stock_age_0_1d", "库龄<1天", "stock age < 1 d", +1),
    KpiInfo("stock_age_1_3d", "库龄1-3天", "stock age 1-3 d", 0),
    KpiInfo("stock_age_3_7d", "库龄3-7天", "stock age 3-7 d", 0),
    KpiInfo("stock_age_7d_plus", "库龄≥7天", "stock age >= 7 d", -1),
)
"""The KPIs in report order."""

KPI_INFO: dict[str, KpiInfo] = {k.name: k for k in KPIS}


def check_materiality(value: object, field: str = "materiality") -> float:
    """One materiality threshold as a float: a finite number ``>= 0`` (else ValidationError)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, np.number)):
        raise bad_value(field, value, "a number >= 0")
    try:
        x = float(value)
    except ValueError:
        raise bad_value(field, value, "a number >= 0") from None
    if not (math.isfinite(x) and x >= 0):
        raise bad_value(field, value, "a finite number >= 0")
    return x


def materiality_overrides(values: Mapping[str, object] | None,
                          field: str = "materiality") -> dict[str, float]:
    """Checked per-KPI materiality overrides (absolute, in each KPI's unit, ``>= 0``).

    Examples
    --------
    >>> materiality_overrides({"gross_margin": 2000, "stockout_rate": "0.002"})
    {'gross_margin': 2000.0, 'stockout_rate': 0.002}
    >>> try:
    ...     materiality_overrides({"stockout": 0.01})
    ... except ValueError as exc:
    ...     print(exc)
    materiality.stockout must be a KPI name (did you mean 'stockout_rate'?), got 'stockout'
    """
    out: dict[str, float] = {}
    for key, value in (values or {}).items():
        name = str(key)
        if name not in KPI_INFO:
            close = difflib.get_close_matches(name, list(KPI_INFO), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (one of {sorted(KPI_INFO)})"
            raise bad_value(f"{field}.{name}", name, f"a KPI name{hint}")
        x = check_materiality(value, f"{field}.{name}")
        out[name] = x
    return out

_AGE_EDGES = (0, 1, 3, 7)


class Accumulator:
    """Per-trial running sums for one plan (arrays of length ``trials``)."""

    def __init__(self, trials: int, world: World, *, age_columns: int | None = None,
                 window: tuple[int, ...] | None = None) -> None:
        """``age_columns`` columns of stock value by age are added each day: one per age bucket
        (default: the world's buckets), or with ``window`` (rolling arrival windows, days) the
        value of stock younger than each window and then of all stock (cumulative columns)."""
        z = np.zeros
        self.world = world
        self.trials = trials
        self.demand_value = z(trials)
        self.served_value = z(trials)
        self.stockouts = z(trials)
        # the shortfall view: per day and item, summed over the chunk's trials
        self.daily_stockouts = z((world.days, len(world.item_ids)))
        self.daily_waste = z((world.days, len(world.item_ids)))   # yuan
        self.day = 0
        self.purchased = z(trials)
        self.shrink = z(trials)
        self.expired = z(trials)
        self.channel = z(trials)
        self.issued_cost = z(trials)
        self.served_cost = z(trials)
        self.revenue = z(trials)
        self.stock_value = z(trials)
        columns = world.age_buckets if age_columns is None else age_columns
        self.aged = z((trials, columns))           # yuan·days of stock by age column
        self.safety_ok = z(trials)
        self.with_stock = z(trials)
        self.sold = z(trials)
        if window is not None:
            if tuple(window) != _AGE_EDGES[1:] or columns != len(_AGE_EDGES):
                raise ValueError(f"window must be {_AGE_EDGES[1:]} with {len(_AGE_EDGES)} "
                                 f"columns, got {window} and {columns}")
            # bin k = cumulative column k − column k−1
            bins = np.eye(columns) - np.eye(columns, k=1)
        else:
            bins = np.zeros((columns, len(_AGE_EDGES)))
            for a in range(columns):
                k = max(j for j, edge in enumerate(_AGE_EDGES) if a >= edge)
                bins[a, k] = 1.0
        self.age_bins = bins
        self.age_value = z((trials, len(_AGE_EDGES)))
        self.opening = float(world.initial @ world.cost)
        self.closing = z(trials)

    def record_day(
        self,
        demand: FloatArray,
        served: FloatArray,
        issued: FloatArray,
        short: npt.NDArray[np.bool_],
        stock_before: FloatArray,
        aged: FloatArray,
        safety: FloatArray,
        on_hand: FloatArray,
    ) -> None:
        """Add one day (arrays ``[T, I]``; ``aged`` the end-of-day stock value by age column
        ``[T, columns]``, ``on_hand`` the end-of-day stock)."""
        w = self.world
        self.demand_value += demand @ w.price
        self.served_value += served @ w.price
        self.served_cost += served @ w.cost
        self.issued_cost += issued @ w.cost
        stocked_out = short & (demand > 0)
        self.stockouts += stocked_out.sum(axis=1)
        self.daily_stockouts[self.day] += stocked_out.sum(axis=0)
        self.daily_waste[self.day] += (issued - served).sum(axis=0) * w.cost   # channel loss
        self.day += 1
        self.aged += aged
        self.safety_ok += (on_hand >= safety - 1e-9).sum(axis=1)
        has_stock = stock_before > 0
        self.with_stock += has_stock.sum(axis=1)
        self.sold += (has_stock & (served > 0)).sum(axis=1)

    def finish(self) -> dict[str, FloatArray]:
        """Per-trial KPI vectors (and raw money sums, keys starting with ``_``)."""
        w = self.world
        item_days = float(len(w.item_ids) * w.days)
        available = self.opening + self.purchased
        self.revenue = self.served_value
        self.channel = self.issued_cost - self.served_cost
        self.age_value = self.aged @ self.age_bins                      # [T, bins] yuan·days
        self.stock_value = self.age_value.sum(axis=1)

        def ratio(num: FloatArray, den: FloatArray | float) -> FloatArray:
            den_arr = np.broadcast_to(np.asarray(den, dtype=np.float64), num.shape)
            out = np.full(num.shape, np.nan)
            np.divide(num, den_arr, out=out, where=den_arr > 0)
            return out

        cogs_per_day = self.issued_cost / w.days
        margin = self.revenue - self.issued_cost - self.expired - self.shrink
        age_total = self.age_value.sum(axis=1)
        out = {
            "fill_rate": ratio(self.served_value, self.demand_value),
            "stockout_rate": self.stockouts / item_days,
            "waste_rate": ratio(self.expired + self.channel + self.shrink, available),
            "waste_rate_expiry": ratio(self.expired, available),
            "waste_rate_channel": ratio(self.channel, available),
            "waste_rate_transit": ratio(self.shrink, available),
            "turnover_days": ratio(self.stock_value / w.days, cogs_per_day),
            "gross_margin": margin,
            "gross_margin_rate": ratio(margin, self.revenue),
            "safety_stock_compliance": self.safety_ok / item_days,
            "sell_through": ratio(self.served_cost, available),
        }
        names = ("stock_age_0_1d", "stock_age_1_3d", "stock_age_3_7d", "stock_age_7d_plus")
        for k, name in enumerate(names):
            out[name] = ratio(self.age_value[:, k], age_total)
        # raw sums, for checks and custom KPIs
        out["_opening_cost"] = np.full(self.trials, self.opening)
        out["_purchased_cost"] = self.purchased.copy()
        out["_issued_cost"] = self.issued_cost.copy()
        out["_expired_cost"] = self.expired.copy()
        out["_channel_cost"] = self.channel.copy()
        out["_shrink_cost"] = self.shrink.copy()
        out["_closing_cost"] = self.closing.copy()
        out["_revenue"] = self.revenue.copy()
        # sums over this chunk's trials, not per-trial vectors: the runner adds them up
        out["__daily_stockouts"] = self.daily_stockouts
        out["__daily_waste"] = self.daily_waste
        return out


@attrs.frozen
class KpiSummary:
    """Across-trial summary of one KPI: mean, its standard error, percentiles, count."""

    mean: float
    se: float
    p05: float
    p50: float
    p95: float
    std: float
    n: int

    def to_mapping(self) -> dict[str, float | int]:
        return {k: (None if isinstance(v, float) and math.isnan(v) else v)  # type: ignore[misc]
                for k, v in attrs.asdict(self).items()}


def summarize(values: FloatArray) -> KpiSummary:
    """Summary of one KPI's per-trial values (NaNs left out).

    Examples
    --------
    >>> s = summarize(np.array([1.0, 2.0, 3.0, np.nan]))
    >>> s.mean, s.p50, s.n
    (2.0, 2.0, 3)
    """
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        nan = float("nan")
        return KpiSummary(nan, nan, nan, nan, nan, nan, 0)
    std = float(x.std(ddof=1)) if n > 1 else 0.0
    p05, p50, p95 = (float(v) for v in np.percentile(x, [5, 50, 95]))
    return KpiSummary(float(x.mean()), std / math.sqrt(n), p05, p50, p95, std, n)


def summarize_all(samples: Mapping[str, FloatArray],
                  names: Sequence[str] | None = None) -> dict[str, KpiSummary]:
    """:func:`summarize` of every public KPI in ``samples``."""
    keys = list(names) if names is not None else [k for k in samples if not k.startswith("_")]
    arrays = [np.asarray(samples[k], dtype=np.float64) for k in keys]
    size = arrays[0].size if arrays else 0
    if size < 2 or any(x.ndim != 1 or x.size != size for x in arrays):
        return {k: summarize(x) for k, x in zip(keys, arrays, strict=True)}
    # the KPIs side by side: one reduction per statistic over the rows with no NaN (a row of
    # a C-ordered [K, T] array reduces exactly as the 1-D vector: the same numbers)
    table = np.stack(arrays)
    finite = [bool(v) for v in np.asarray(np.isfinite(table).all(axis=1))]
    rows = [i for i, ok in enumerate(finite) if ok]
    out = {k: summarize(x) for k, x, ok in zip(keys, arrays, finite, strict=True) if not ok}
    if rows:
        full = table if len(rows) == len(keys) else table[rows]
        means = full.mean(axis=1).tolist()
        stds = full.std(axis=1, ddof=1).tolist()
        p05, p50, p95 = np.percentile(full, [5, 50, 95], axis=1).tolist()
        root = math.sqrt(size)
        for j, i in enumerate(rows):
            out[keys[i]] = KpiSummary(means[j], stds[j] / root, p05[j], p50[j], p95[j],
                                      stds[j], size)
    return {k: out[k] for k in keys}
