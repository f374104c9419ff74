"""Backtest: how well a pack's assumptions forecast the month that actually happened.

Model
-----
For every day of a month and every channel, the pack forecasts each item's sales as

    F = B · Π_h H_h(d, c) · Π_w γ_w(c)
        (+ Σ_w s_w · (1 − γ_w(dine_in)) · B_dine · Π_h H_h(d, dine_in)   for takeaway)

— the simulator's demand model with the pack's holiday profiles ``H`` and weather rules ``γ``,
``s`` — where the base ``B`` is the pack's own forecasting rule looking back from the first day
of the month: the average of the same weekday over the last ``forecast_window_days`` (28) of
*plain* days (no holiday window, clear weather, not sold out); a day off of a break takes the
mean of the Saturday and Sunday bases, a make-up workday the mean of Monday .. Friday.

Channel loss (``wastage.<item>``, with a wastage log): the usage the pack's loss rates predict
from each stock-count period's net usage, ``Σ_c net[c] / (1 − L[item, c])``, against the counted
usage (opening + purchased − closing).

Each day is attributed to the one factor active on it — a holiday (``holidays.<name>.<channel>``,
any day of its window), a weather state (``weather.<state>.<channel>``) — or, on a plain day, to
the weekday base (``weekday.<channel>``); a day with two factors (rain during a holiday) is left
out of both, so an error is never blamed on the wrong factor. Item-days that sold out are left
out (their sales are not demand). Per factor and month, over its days' totals ``F_d`` and
actual sales ``A_d`` (summed over items and locations):

    MAPE = mean_d |F_d − A_d| / A_d            bias = Σ_d (F_d − A_d) / Σ_d A_d

**The rule** (the committee's): a factor whose error exceeds ``threshold`` (15 %) in two
periods running — the month asked for and the factor's previous active month — is named for
retirement or recalibration; over in the latest period only: *watch*. The error is ``|bias|``
by default (MAPE carries the day-to-day noise of sales, which is no fault of the factor;
``metric="mape"`` uses it instead).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from jxc_rules.calibrate.sales import SalesData
from jxc_rules.errors import ValidationError

__all__ = ["BacktestResult", "FactorError", "backtest", "parse_month"]

FloatArray = npt.NDArray[np.float64]


@attrs.frozen
class FactorError:
    """One factor's forecast error in one month: ``days`` attributed to it, ``mape`` and
    ``bias`` (fractions; None without days), ``forecast``/``actual`` totals."""

    factor: str
    month: str
    days: int
    mape: float | None
    bias: float | None
    forecast: float
    actual: float


@attrs.frozen(eq=False)
class BacktestResult:
    """``errors[factor]`` the factor's errors month by month (oldest first, months with days
    only), ``verdicts[factor]`` one of ``retire_or_recalibrate``, ``watch``, ``ok`` or
    ``not_active`` for the month asked, ``notes`` what could not be checked."""

    pack: str
    month: str
    threshold: float
    metric: str
    errors: Mapping[str, tuple[FactorError, ...]]
    verdicts: Mapping[str, str]
    notes: tuple[str, ...]

    @property
    def flagged(self) -> tuple[str, ...]:
        """Factors named for retirement or recalibration."""
        return tuple(f for f, v in self.verdicts.items() if v == "retire_or_recalibrate")

    def latest(self, factor: str) -> FactorError | None:
        rows = [e for e in self.errors.get(factor, ()) if e.month == self.month]
        return rows[0] if rows else None

    def to_mapping(self) -> dict[str, Any]:
        return {
            "pack": self.pack, "month": self.month, "threshold": self.threshold,
            "metric": self.metric, "flagged": list(self.flagged),
            "factors": {f: {"verdict": self.verdicts[f],
                            "months": [attrs.asdict(e) for e in self.errors.get(f, ())]}
                        for f in self.verdicts},
            "notes": list(self.notes),
        }


def parse_month(text: str) -> tuple[dt.date, dt.date]:
    """``"2026-03"`` → first and last day of the month (ValidationError naming the format)."""
    try:
        year, month = (int(p) for p in text.strip().split("-"))
        first = dt.date(year, month, 1)
    except (ValueError, TypeError):
        raise ValidationError(f"--month must be YYYY-MM, got {text!r}", field="month",
                              value=text) from None
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return first, nxt - dt.timedelta(days=1)


def _months(sales: SalesData, last: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    out = []
    d = dt.date(sales.dates[0].year, sales.dates[0].month, 1)
    while d <= last:
        first, end = parse_month(f"{d.year}-{d.month:02d}")
        out.append((f"{d.year}-{d.month:02d}", first, end))
        d = end + dt.timedelta(days=1)
    return out


def backtest(pack: Any, sales: SalesData, month: str, *, threshold: float = 0.15,
             metric: str = "bias", window_days: int | None = None,
             wastage: Any = None) -> BacktestResult:
    """Forecast errors of ``pack``'s assumptions on ``month`` of ``sales`` (and the months
    before it, for the two-periods rule). See the module doc for the model.

    ``wastage`` (a :class:`~jxc_rules.calibrate.logs.WastageLog`) adds the channel-loss
    factors ``wastage.<item>``: the stock-count usage the pack's loss rates predict,
    ``Σ_c net[c] / (1 − L[item, c])``, against the counted usage (opening + purchased −
    closing), per stock-count period dated in the month.
    """
    from jxc_rules.calibrate.demand import _blocks, _holiday_positions, _position_value
    from jxc_rules.simulate.calendar import build_calendar

    if not (isinstance(threshold, (int, float)) and 0 < threshold < 10):
        raise ValidationError(f"threshold must be a fraction > 0 (0.15 = 15 %), got "
                              f"{threshold!r}", field="threshold", value=threshold)
    if metric not in ("bias", "mape"):
        raise ValidationError(f"metric must be bias or mape, got {metric!r}", field="metric",
                              value=metric)
    first, last = parse_month(month)
    if not (sales.dates[0] <= first and last <= sales.dates[-1]):
        raise ValidationError(
            f"--month {month} is not inside the sales ({sales.dates[0]}..{sales.dates[-1]}); "
            "the file must cover the whole month and the weeks before it", field="month",
            value=month)
    window = int(window_days or getattr(getattr(pack, "replenishment", None),
                                        "forecast_window_days", 28) or 28)
    if (first - sales.dates[0]).days < window:
        raise ValidationError(
            f"the sales start {sales.dates[0]}, less than {window} days before {first}: the base "
            f"forecast needs the {window} days before the month; export from "
            f"{first - dt.timedelta(days=window)}", field="sales", value=str(sales.dates[0]))
    calendar = build_calendar(sales.dates[0], sales.dates[-1])
    blocks = _blocks(sales.dates)
    n_days, n_loc = sales.days, len(sales.locations)
    chans = sales.channels
    holidays = getattr(pack, "holidays", {}) or {}
    weather_rules = getattr(pack, "weather", {}) or {}
    notes: list[str] = []
    # per day and channel: holiday multiplier, and which holidays act
    mult = np.ones((n_days, len(chans)))
    active_h: list[list[set[str]]] = [[set() for _ in chans] for _ in range(n_days)]
    day_of = {d: k for k, d in enumerate(sales.dates)}
    for hname, rule in holidays.items():
        for c, ch in enumerate(chans):
            profile = rule.profile(ch)
            for day, pos in _holiday_positions(blocks.get(hname, []), profile).items():
                k = day_of.get(day)
                if k is not None:
                    mult[k, c] *= _position_value(profile, pos)
                    active_h[k][c].add(f"holidays.{hname}.{ch}")
    in_window = np.zeros(n_days, dtype=bool)
    for hname, rule in holidays.items():
        for day in _holiday_positions(blocks.get(hname, []), _widest(rule)):
            k = day_of.get(day)
            if k is not None:
                in_window[k] = True
    if sales.weather is None:
        if weather_rules:
            notes.append("no weather in the sales (column or --weather file): weather factors "
                         "not checked, and rainy days count as plain days")
        states: list[list[frozenset[str]]] = [[frozenset()] * n_loc for _ in range(n_days)]
    else:
        states = [list(day) for day in sales.weather]
    unknown_w = {s for day in states for loc in day for s in loc if s not in weather_rules}
    if unknown_w:
        notes.append(f"weather {', '.join(sorted(unknown_w))} has no rule in the pack: days with "
                     "it are left out")
    dine = chans.index("dine_in") if "dine_in" in chans else None
    qty = sales.quantity
    cut = sales.stockout
    months = _months(sales, last)
    errors: dict[str, list[FactorError]] = {}
    for label, m_first, m_last in months:
        if (m_first - sales.dates[0]).days < window:
            continue
        base = _base(sales, calendar, in_window, states, m_first, window)   # [7+2, L, N, C]
        for k in range(day_of[m_first], day_of[min(m_last, sales.dates[-1])] + 1):
            kind = 7 if calendar.day_off[k] else (8 if calendar.makeup_workday[k]
                                                   else int(calendar.weekday[k]))
            for lo in range(n_loc):
                day_states = states[k][lo]
                if day_states - set(weather_rules):
                    continue
                gam = np.ones(len(chans))
                add = 0.0
                for s in day_states:
                    rule = weather_rules[s]
                    for c, ch in enumerate(chans):
                        gam[c] *= rule.multiplier(ch)
                    if dine is not None:
                        add += rule.shift_to_takeaway * max(0.0, 1.0 - rule.multiplier("dine_in"))
                for c, ch in enumerate(chans):
                    factors = set(active_h[k][c]) | {f"weather.{s}.{ch}" for s in day_states}
                    if len(factors) > 1:
                        continue
                    factor = next(iter(factors)) if factors else f"weekday.{ch}"
                    ok = ~cut[k, lo] & sales.present[lo, :, c] & np.isfinite(base[kind, lo, :, c])
                    if not ok.any():
                        continue
                    f = base[kind, lo, ok, c] * mult[k, c] * gam[c]
                    if ch == "takeaway" and dine is not None and add:
                        f = f + add * base[kind, lo, ok, dine] * mult[k, dine]
                    _add(errors, factor, label, float(f.sum()), float(qty[k, lo, ok, c].sum()))
    if wastage is not None:
        _wastage_errors(pack, wastage, last, errors, notes)
    result = {f: tuple(_finish(f, rows)) for f, rows in errors.items()}
    verdicts: dict[str, str] = {}
    for factor, rows in sorted(result.items()):
        verdicts[factor] = _verdict(rows, month, threshold, metric)
    for hname in holidays:
        for ch in chans:
            key = f"holidays.{hname}.{ch}"
            if key not in verdicts and any(r.profile(ch).before or r.profile(ch).during
                                           or r.profile(ch).after
                                           for n, r in holidays.items() if n == hname):
                verdicts[key] = "not_active"
    return BacktestResult(f"{pack.industry}@{pack.version}", month, float(threshold), metric,
                          result, verdicts, tuple(notes))


def _wastage_errors(pack: Any, log: Any, last: dt.date, errors: dict[str, list[FactorError]],
                    notes: list[str]) -> None:
    """Channel-loss factors from stock-count periods (see :func:`backtest`)."""
    model = getattr(getattr(pack, "wastage", None), "loss_model", None)
    if model is None:
        notes.append("the pack has no wastage.loss_model: channel loss not checked")
        return
    rows: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for period in log.periods:
        if period.date > last:
            continue
        forecast = 0.0
        for channel, net in zip(log.channels, period.net, strict=True):
            forecast += net / (1.0 - model.loss(channel, period.item))
        label = f"{period.date.year}-{period.date.month:02d}"
        rows.setdefault((f"wastage.{period.item}", label), []).append(
            (forecast, float(period.actual)))
    for (factor, label), pairs in sorted(rows.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        for f, a in pairs:
            _add(errors, factor, label, f, a)


def _widest(rule: Any) -> Any:
    """A profile spanning the widest before/after of all channels (to mark holiday windows)."""
    from jxc_rules.rules.schema import CHANNELS, HolidayProfile

    b = max(len(rule.profile(c).before) for c in CHANNELS)
    a = max(len(rule.profile(c).after) for c in CHANNELS)
    return HolidayProfile(before=(1.0,) * b, during=(1.0,), after=(1.0,) * a)


def _base(sales: SalesData, calendar: Any, in_window: npt.NDArray[np.bool_],
          states: Sequence[Sequence[frozenset[str]]], start: dt.date, window: int
          ) -> FloatArray:
    """Base levels ``[9, L, N, C]`` (Mon..Sun, day off, make-up day) from the ``window`` days
    before ``start``: same-weekday means of plain days."""
    k0 = sales.dates.index(start)
    lo = max(0, k0 - window)
    n_loc = len(sales.locations)
    out = np.full((9, n_loc, len(sales.items), len(sales.channels)), np.nan)
    for loc in range(n_loc):
        plain = np.array([not in_window[k] and not states[k][loc] and not calendar.day_off[k]
                          and not calendar.makeup_workday[k] for k in range(lo, k0)])
        days = np.arange(lo, k0)[plain]
        for w in range(7):
            sel = days[calendar.weekday[days] == w]
            if not sel.size:
                continue
            vals = sales.quantity[sel, loc]                         # [k, N, C]
            ok = ~sales.stockout[sel, loc][:, :, None]
            cnt = ok.sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[w, loc] = np.where(cnt > 0, (vals * ok).sum(axis=0) / cnt, np.nan)
        out[7, loc] = 0.5 * (out[5, loc] + out[6, loc])
        out[8, loc] = out[0:5, loc].mean(axis=0)
    return out


def _add(errors: dict[str, list[FactorError]], factor: str, month: str, f: float, a: float
         ) -> None:
    rows = errors.setdefault(factor, [])
    if rows and rows[-1].month == month:
        last = rows[-1]
        rows[-1] = attrs.evolve(last, days=last.days + 1, forecast=last.forecast + f,
                                actual=last.actual + a,
                                mape=(last.mape or 0.0) + (abs(f - a) / a if a > 0 else 0.0))
    else:
        rows.append(FactorError(factor, month, 1, abs(f - a) / a if a > 0 else 0.0, None, f, a))


def _finish(factor: str, rows: Sequence[FactorError]) -> list[FactorError]:
    out = []
    for r in rows:
        bias = (r.forecast - r.actual) / r.actual if r.actual > 0 else None
        mape = (r.mape or 0.0) / r.days if r.days else None
        out.append(attrs.evolve(r, bias=bias, mape=mape))
    return out


def _error_of(row: FactorError, metric: str) -> float | None:
    if metric == "mape":
        return row.mape
    return None if row.bias is None else abs(row.bias)


def _verdict(rows: Sequence[FactorError], month: str, threshold: float, metric: str) -> str:
    latest = [r for r in rows if r.month == month]
    if not latest:
        return "not_active"
    err = _error_of(latest[0], metric)
    if err is None or err <= threshold:
        return "ok"
    before = [r for r in rows if r.month < month]
    prev = _error_of(before[-1], metric) if before else None
    if prev is not None and prev > threshold:
        return "retire_or_recalibrate"
    return "watch"
