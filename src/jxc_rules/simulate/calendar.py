"""The simulated calendar: real Chinese public holidays and make-up workdays (调休).

Dates come from the maintained ``chinese_calendar`` package (State Council notices), never from a
hand-typed list. A holiday's effect on demand is a multiplicative per-day profile over a window
around the official break, the way Prophet and similar forecasting tools model holidays:

- ``before``: the days just before the first day off, *nearest day last* (``before[-1]`` is the
  eve);
- ``during``: day 1, 2, ... of the break (the last value repeats for longer breaks);
- ``after``: the days after the last day off, nearest day first.

Multipliers of overlapping windows multiply. A make-up workday (调休, a weekend day that is a
working day) takes the weekday level of a weekly profile; an official day off takes the weekend
level (see :func:`day_type_weights`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import attrs
import numpy as np
import numpy.typing as npt

from jxc_rules.errors import ValidationError

__all__ = [
    "Calendar",
    "HolidayProfile",
    "build_calendar",
    "day_type_weights",
    "holiday_blocks",
    "holiday_multipliers",
    "supported_years",
]

HolidayProfile = tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]
"""``(before, during, after)`` multipliers of one holiday for one channel."""

_MARGIN_DAYS = 45


def supported_years() -> tuple[int, int]:
    """First and last year the installed ``chinese_calendar`` covers."""
    import chinese_calendar

    years = sorted({d.year for d in chinese_calendar.holidays})
    return years[0], years[-1]


def _check_years(start: dt.date, end: dt.date) -> None:
    first, last = supported_years()
    if start.year < first or end.year > last:
        raise ValidationError(
            f"horizon {start}..{end} is outside the years the chinese_calendar package covers "
            f"({first}-{last}); upgrade chinesecalendar or move the horizon",
            field="horizon", value=(str(start), str(end)),
        )


@attrs.frozen
class Calendar:
    """One row per simulated day.

    ``weekday`` is 0 = Monday; ``day_off`` marks official public holidays (not plain weekends);
    ``makeup_workday`` marks 调休 weekend days that are working days; ``holiday`` names the holiday
    a day off or make-up day belongs to (``""`` otherwise).
    """

    dates: tuple[dt.date, ...]
    weekday: npt.NDArray[np.int64] = attrs.field(eq=False)
    day_off: npt.NDArray[np.bool_] = attrs.field(eq=False)
    makeup_workday: npt.NDArray[np.bool_] = attrs.field(eq=False)
    holiday: tuple[str, ...]

    @property
    def days(self) -> int:
        return len(self.dates)

    @property
    def month(self) -> npt.NDArray[np.int64]:
        return np.array([d.month for d in self.dates], dtype=np.int64)


def _dates(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=k) for k in range((end - start).days + 1)]


def build_calendar(start: dt.date, end: dt.date) -> Calendar:
    """The calendar of ``start``..``end`` inclusive.

    Examples
    --------
    >>> import datetime as dt
    >>> cal = build_calendar(dt.date(2026, 2, 14), dt.date(2026, 2, 17))
    >>> cal.makeup_workday.tolist(), cal.day_off.tolist()
    ([True, False, False, False], [False, True, True, True])
    >>> cal.holiday
    ('Spring Festival', 'Spring Festival', 'Spring Festival', 'Spring Festival')
    """
    import chinese_calendar

    if end < start:
        raise ValidationError(f"horizon end {end} is before its start {start}",
                              field="horizon", value=(str(start), str(end)))
    _check_years(start, end)
    days = _dates(start, end)
    weekday = np.array([d.weekday() for d in days], dtype=np.int64)
    off = np.zeros(len(days), dtype=bool)
    makeup = np.zeros(len(days), dtype=bool)
    names: list[str] = []
    for k, d in enumerate(days):
        is_off, name = chinese_calendar.get_holiday_detail(d)
        names.append(str(name) if name else "")
        if name and is_off:
            off[k] = True
        if name and not is_off and d.weekday() >= 5:
            makeup[k] = True
    return Calendar(tuple(days), weekday, off, makeup, tuple(names))


def holiday_blocks(start: dt.date, end: dt.date) -> dict[str, list[tuple[dt.date, dt.date]]]:
    """Contiguous official breaks ``(first, last)`` per holiday name overlapping the window
    ``start``..``end`` (searched with a margin so eves and after-days are found too).

    Examples
    --------
    >>> import datetime as dt
    >>> holiday_blocks(dt.date(2026, 2, 1), dt.date(2026, 2, 28))["Spring Festival"]
    [(datetime.date(2026, 2, 15), datetime.date(2026, 2, 23))]
    """
    import chinese_calendar

    _check_years(start, end)
    first_year, last_year = supported_years()
    lo = max(start - dt.timedelta(days=_MARGIN_DAYS), dt.date(first_year, 1, 1))
    hi = min(end + dt.timedelta(days=_MARGIN_DAYS), dt.date(last_year, 12, 31))
    blocks: dict[str, list[tuple[dt.date, dt.date]]] = {}
    current: tuple[str, dt.date, dt.date] | None = None
    for d in _dates(lo, hi):
        is_off, name = chinese_calendar.get_holiday_detail(d)
        if is_off and name:
            if current is not None and current[0] == name and current[2] + dt.timedelta(1) == d:
                current = (current[0], current[1], d)
                continue
            if current is not None:
                blocks.setdefault(current[0], []).append((current[1], current[2]))
            current = (str(name), d, d)
        elif current is not None:
            blocks.setdefault(current[0], []).append((current[1], current[2]))
            current = None
    if current is not None:
        blocks.setdefault(current[0], []).append((current[1], current[2]))
    return blocks


def holiday_multipliers(
    calendar: Calendar,
    profiles: Mapping[str, Mapping[str, HolidayProfile]],
    channels: Sequence[str],
) -> npt.NDArray[np.float64]:
    """Multiplicative holiday factor per day and channel, shape ``(days, channels)``.

    ``profiles[holiday][channel] = (before, during, after)``; channels a holiday does not name
    get 1.

    Examples
    --------
    >>> import datetime as dt
    >>> cal = build_calendar(dt.date(2026, 2, 13), dt.date(2026, 2, 25))
    >>> prof = {"Spring Festival": {"dine_in": ((1.2, 1.5), (0.5, 2.0), (1.1,))}}
    >>> holiday_multipliers(cal, prof, ["dine_in", "takeaway"])[:, 0].tolist()
    [1.2, 1.5, 0.5, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 1.1, 1.0]
    """
    days = calendar.days
    out = np.ones((days, len(channels)), dtype=np.float64)
    if not days or not profiles:
        return out
    start, end = calendar.dates[0], calendar.dates[-1]
    blocks = holiday_blocks(start, end)
    chan_index = {c: k for k, c in enumerate(channels)}
    for name, per_channel in profiles.items():
        for first, last in blocks.get(name, []):
            for channel, (before, during, after) in per_channel.items():
                if channel not in chan_index:
                    continue
                col = chan_index[channel]
                factors: dict[dt.date, float] = {}
                for k, value in enumerate(reversed(before)):
                    factors[first - dt.timedelta(days=k + 1)] = value
                length = (last - first).days + 1
                for k in range(length):
                    if during:
                        factors[first + dt.timedelta(days=k)] = during[min(k, len(during) - 1)]
                for k, value in enumerate(after):
                    factors[last + dt.timedelta(days=k + 1)] = value
                for day, value in factors.items():
                    idx = (day - start).days
                    if 0 <= idx < days:
                        out[idx, col] *= value
    return out


def day_type_weights(calendar: Calendar, weekly: Sequence[float]) -> npt.NDArray[np.float64]:
    """A weekly profile (Monday first, 7 values) laid over the calendar.

    Ordinary days take their weekday's value; an official day off takes the weekend level (mean
    of Saturday and Sunday); a make-up workday (调休) takes the weekday level (mean of Monday to
    Friday).

    Examples
    --------
    >>> import datetime as dt
    >>> cal = build_calendar(dt.date(2026, 2, 13), dt.date(2026, 2, 16))   # Fri, Sat*, Sun, Mon
    >>> day_type_weights(cal, [10, 10, 10, 10, 10, 20, 30]).tolist()
    [10.0, 10.0, 25.0, 25.0]
    """
    week = np.asarray(weekly, dtype=np.float64)
    out = week[calendar.weekday].copy()
    out[calendar.day_off] = 0.5 * (week[5] + week[6])
    out[calendar.makeup_workday] = float(week[:5].mean())
    return out
