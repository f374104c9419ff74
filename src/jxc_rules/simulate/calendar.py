"""The simulated calendar: Chinese public holidays and make-up workdays (调休) for any year.

Where the dates come from
-------------------------
The maintained `holidays <https://github.com/vacanza/holidays>`_ package (``holidays.China``):

- the *statutory* days of every year — New Year's Day, the Spring Festival (lunar New Year's
  Eve and days 1–3 since the 2024 revision), Qingming, Labour Day, Dragon Boat, Mid-Autumn (lunar
  dates computed) and National Day — and their 补假 (a statutory day on a weekend is given back
  on the next workday, 2024 revision of 全国年节及纪念日放假办法), for 2001 to 2099;
- the State Council's published schedule — the swapped days off and the *make-up workdays*
  (a weekend day worked, 调休) — for every year it has checked against the notices (2001–2026 in
  holidays 0.109; ``weekend_workdays``).

``chinese_calendar`` (2004–2026) is no longer read: holidays carries the same published days
off and make-up workdays for those years (checked day by day in ``tests/test_calendar_any_year.py``
against the notices themselves, and against chinese_calendar where it is installed) and keeps
going after 2026, so one source is enough and a second one could only disagree.

For a year the library has no published schedule for (2027 in holidays 0.109), the breaks are
the statutory days and their 补假 only, and :attr:`Calendar.notes` says so in one line — never
silently. A scenario's ``calendar:`` section (a :class:`Schedule`) adds the State Council's
announced schedule when it is newer than the library: each announced break replaces the
library's days of that holiday in that year, and its make-up workdays are added. Years outside
2001–2099 are a :class:`~jxc_rules.errors.ValidationError` naming the range.

A *break* is a run of consecutive days off holding at least one official day off; weekend days
joined to it count ("6月10日放假，与周末连休" is the break 8–10 June). A break that holds two
holidays (国庆节、中秋节 2025) is attributed to the one with more official days; the other
keeps its own name on its own day in :attr:`Calendar.holiday`.

Demand model
------------
A holiday's effect on demand is a multiplicative per-day profile over a window around the break,
the way Prophet and similar forecasting tools model holidays:

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
import functools
import re
from collections.abc import Mapping, Sequence

import attrs
import numpy as np
import numpy.typing as npt

from jxc_rules.errors import ValidationError
from jxc_rules.rules.schema import HOLIDAY_NAMES as _YEARLY_HOLIDAYS

__all__ = [
    "HOLIDAY_NAMES",
    "Break",
    "Calendar",
    "HolidayProfile",
    "Schedule",
    "build_calendar",
    "calendar_notes",
    "day_type_weights",
    "holiday_blocks",
    "holiday_multipliers",
    "holiday_windows",
    "published_years",
    "supported_years",
]

HolidayProfile = tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]
"""``(before, during, after)`` multipliers of one holiday for one channel."""

HOLIDAY_NAMES: tuple[str, ...] = (*_YEARLY_HOLIDAYS, "Anti-Fascist 70th Day")
"""Holiday names of the simulator (the English names rule packs key their holidays by;
``rules.schema.HOLIDAY_NAMES`` holds the seven yearly ones)."""

HOLIDAY_NAMES_ZH: dict[str, str] = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节", "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}

# holidays' zh_CN names (its message ids, stable across its translations) -> ours
_FROM_LIBRARY = {
    "元旦": "New Year's Day",
    "春节": "Spring Festival",
    "农历除夕": "Spring Festival",
    "春节延长假期": "Spring Festival",
    "清明节": "Tomb-sweeping Day",
    "劳动节": "Labour Day",
    "端午节": "Dragon Boat Festival",
    "中秋节": "Mid-autumn Festival",
    "国庆节": "National Day",
    "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日": "Anti-Fascist 70th Day",
}
_SUFFIX = re.compile(r"（[^）]*）$")  # （补假） observed, （推定） estimated
_SUBSTITUTED = re.compile(r"由 (\d{4}-\d{2}-\d{2}) 调休")

FIRST_YEAR = 2001
"""First year of the calendar: holidays checks China against the State Council's notices from
2001 on (the rules before the 1999 revision differ)."""
LAST_YEAR = 2099
"""Last year of the calendar: the statutory rules projected forward (lunar tables end 2100)."""

_MARGIN_DAYS = 45


def supported_years() -> tuple[int, int]:
    """First and last year the calendar covers (statutory days and 补假 computed).

    >>> supported_years()
    (2001, 2099)
    """
    return FIRST_YEAR, LAST_YEAR


@functools.cache
def published_years() -> frozenset[int]:
    """Years whose State Council schedule (swapped days off, make-up workdays) the installed
    ``holidays`` package carries.

    >>> {2024, 2025, 2026} <= published_years()
    True
    """
    from holidays.countries.china import ChinaStaticHolidays

    return frozenset(y for y in ChinaStaticHolidays.special_public_holidays if y >= FIRST_YEAR)


def _library_version() -> str:
    from holidays.version import __version__

    return f"holidays {__version__}"


# --------------------------------------------------------------------------------------------
# announced schedules (a scenario's calendar: section)


@attrs.frozen
class Break:
    """One announced break: days off ``first``..``last`` inclusive (weekends inside included)
    and the make-up workdays (调休) that pay for it, as a State Council notice lists them
    ("2月15日至23日放假调休，共9天。2月14日（周六）、2月28日（周六）上班")."""

    holiday: str
    first: dt.date
    last: dt.date
    workdays: tuple[dt.date, ...] = ()

    def __attrs_post_init__(self) -> None:
        if self.holiday not in HOLIDAY_NAMES:
            import difflib

            close = difflib.get_close_matches(self.holiday, HOLIDAY_NAMES, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValidationError(
                f"holiday must be one of {', '.join(HOLIDAY_NAMES)}, got {self.holiday!r}{hint}",
                field="holiday", value=self.holiday)
        if self.last < self.first:
            raise ValidationError(f"to {self.last} is before from {self.first}; write the "
                                  "break's first day in from and its last day in to",
                                  field="to", value=str(self.last))
        if (self.last - self.first).days >= 21:
            raise ValidationError(
                f"a break of {(self.last - self.first).days + 1} days ({self.first}..{self.last})"
                " is longer than any the State Council has announced (at most 10 days, 2020's "
                "extension 13); check the dates", field="to", value=str(self.last))
        for k, day in enumerate(self.workdays):
            if day.weekday() < 5:
                raise ValidationError(
                    f"a make-up workday (调休) is a weekend day worked; {day} is a "
                    f"{day.strftime('%A')}: list only the Saturdays and Sundays the notice "
                    "says are worked (上班)", field=f"workdays[{k}]", value=str(day))
            if self.first <= day <= self.last:
                raise ValidationError(
                    f"make-up workday {day} is inside the break {self.first}..{self.last}",
                    field=f"workdays[{k}]", value=str(day))

    @property
    def year(self) -> int:
        """The schedule year: the year of the holiday's official days (a New Year's break that
        starts on 30 December belongs to the next year)."""
        return self.last.year

    def days(self) -> list[dt.date]:
        return _dates(self.first, self.last)


@attrs.frozen
class Schedule:
    """An announced schedule newer than the library: breaks that replace the library's days of
    their holiday in their year, and their make-up workdays. ``source`` names the notice."""

    breaks: tuple[Break, ...] = ()
    source: str = ""

    @property
    def years(self) -> frozenset[int]:
        return frozenset(b.year for b in self.breaks)

    def holidays_of(self, year: int) -> list[str]:
        return sorted({b.holiday for b in self.breaks if b.year == year})


# --------------------------------------------------------------------------------------------
# the library's days, per year (cached: holidays builds a year in a few ms)


@functools.cache
def _library_year(year: int) -> tuple[tuple[tuple[dt.date, tuple[str, ...], bool], ...],
                                      tuple[tuple[dt.date, dt.date], ...]]:
    """``((date, names, substituted), ...)`` of the official days off of ``year`` and
    ``((make-up workday, the day off it pays for), ...)``."""
    from holidays.countries.china import China

    cn = China(years=year, language="zh_CN")  # type: ignore[no-untyped-call]
    days: list[tuple[dt.date, tuple[str, ...], bool]] = []
    swaps: list[tuple[dt.date, dt.date]] = []
    for day in sorted(cn):
        names: list[str] = []
        substituted = False
        for label in cn.get_list(day):
            match = _SUBSTITUTED.search(label)
            if match is not None:
                substituted = True
                swaps.append((dt.date.fromisoformat(match.group(1)), day))
                continue
            base = _SUFFIX.sub("", label)
            names.append(_FROM_LIBRARY.get(base, base))
        days.append((day, tuple(dict.fromkeys(names)), substituted))
    known = {w for w, _ in swaps}
    for extra in sorted(set(cn.weekend_workdays) - known):  # pragma: no cover - label changed
        swaps.append((extra, extra))
    return tuple(days), tuple(swaps)


def _check_years(start: dt.date, end: dt.date) -> None:
    first, last = supported_years()
    if start.year < first or end.year > last:
        raise ValidationError(
            f"horizon {start}..{end} is outside the years the holiday calendar covers "
            f"({first}-{last}: statutory days computed by {_library_version()}, published "
            f"make-up days {min(published_years())}-{max(published_years())}); move the horizon",
            field="horizon", value=(str(start), str(end)))


def _dates(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=k) for k in range((end - start).days + 1)]


@attrs.frozen
class _Days:
    """Day-off names, make-up workdays and breaks of a stretch of days (margin included)."""

    off: dict[dt.date, str]  # every day of a break -> the name shown for that day
    makeup: dict[dt.date, str]
    breaks: list[tuple[str, dt.date, dt.date]]


def _resolve(lo: dt.date, hi: dt.date, schedule: Schedule | None) -> _Days:
    years = range(max(lo.year, FIRST_YEAR), min(hi.year, LAST_YEAR) + 1)
    official: dict[dt.date, tuple[str, ...]] = {}
    substituted: set[dt.date] = set()
    swaps: dict[dt.date, dt.date] = {}
    for year in years:
        days, pairs = _library_year(year)
        for day, names, subst in days:
            official[day] = names
            if subst:
                substituted.add(day)
        swaps.update(dict(pairs))
    announced: dict[dt.date, str] = {}
    announced_work: dict[dt.date, str] = {}
    if schedule is not None:
        replaced = {(b.holiday, b.year) for b in schedule.breaks}
        # the library's days of an announced holiday in that year go (with their swaps)
        blocks = _runs(official, substituted, set(swaps), {})
        for name, first, last in blocks:
            if (name, last.year) in replaced:
                for day in _dates(first, last):
                    official.pop(day, None)
                    substituted.discard(day)
                for work in [w for w, off in swaps.items() if first <= off <= last]:
                    swaps.pop(work)
        for b in schedule.breaks:
            for day in b.days():
                announced[day] = b.holiday
                announced_work.pop(day, None)
                swaps.pop(day, None)
            for work in b.workdays:
                announced_work[work] = b.holiday
                official.pop(work, None)
                announced.pop(work, None)
    for day, name in announced.items():
        official[day] = (name,)
        substituted.discard(day)
    workdays = set(swaps) | set(announced_work)
    breaks = _runs(official, substituted, workdays, announced)
    off: dict[dt.date, str] = {}
    makeup: dict[dt.date, str] = {}
    for name, first, last in breaks:
        for day in _dates(first, last):
            own = official.get(day, ())
            # a statutory day of another holiday inside the break keeps its own name (2025-10-06)
            off[day] = own[0] if len(own) == 1 and day not in substituted and day not in \
                announced else name
    for work in workdays:
        if work in announced_work:
            makeup[work] = announced_work[work]
            continue
        pays_for = swaps[work]
        makeup[work] = off.get(pays_for) or _nearest_break(breaks, work)
    return _Days(off, makeup, breaks)


def _nearest_break(breaks: Sequence[tuple[str, dt.date, dt.date]], day: dt.date) -> str:
    if not breaks:
        return ""
    return min(breaks, key=lambda b: min(abs((b[1] - day).days), abs((b[2] - day).days)))[0]


def _runs(official: Mapping[dt.date, tuple[str, ...]], substituted: set[dt.date],
          workdays: set[dt.date], announced: Mapping[dt.date, str]
          ) -> list[tuple[str, dt.date, dt.date]]:
    """Breaks ``(name, first, last)``: runs of official days off joined by weekend days that
    are not make-up workdays; named by the holiday with most of the run's own days."""
    def resting(day: dt.date) -> bool:
        return day in official or (day.weekday() >= 5 and day not in workdays)

    out: list[tuple[str, dt.date, dt.date]] = []
    seen: set[dt.date] = set()
    for day in sorted(official):
        if day in seen:
            continue
        first = last = day
        while resting(first - dt.timedelta(days=1)):
            first -= dt.timedelta(days=1)
        while resting(last + dt.timedelta(days=1)):
            last += dt.timedelta(days=1)
        run = _dates(first, last)
        seen.update(run)
        count: dict[str, int] = {}
        for d in run:
            if d in announced:
                count[announced[d]] = count.get(announced[d], 0) + 100
            elif d in official and d not in substituted:
                for name in official[d]:
                    count[name] = count.get(name, 0) + 1
        if not count:  # only swapped days off (cannot happen in the library's data)
            continue
        name = max(count, key=lambda n: (count[n], n == "National Day"))
        out.append((name, first, last))
    return out


# --------------------------------------------------------------------------------------------
# the public functions


@attrs.frozen
class Calendar:
    """One row per simulated day.

    ``weekday`` is 0 = Monday; ``day_off`` marks the days of an official break (weekend days
    inside or joined to it included, plain weekends not); ``makeup_workday`` marks 调休 weekend
    days that are working days; ``holiday`` names the holiday a day off or make-up day belongs
    to (``""`` otherwise). ``schedule`` is the announced schedule laid over the library's;
    ``notes`` say, one line each, what the calendar does not know (make-up days not published
    for a year) — the CLI and the report print them.
    """

    dates: tuple[dt.date, ...]
    weekday: npt.NDArray[np.int64] = attrs.field(eq=False)
    day_off: npt.NDArray[np.bool_] = attrs.field(eq=False)
    makeup_workday: npt.NDArray[np.bool_] = attrs.field(eq=False)
    holiday: tuple[str, ...]
    schedule: Schedule | None = None
    notes: tuple[str, ...] = ()

    @property
    def days(self) -> int:
        return len(self.dates)

    @property
    def month(self) -> npt.NDArray[np.int64]:
        return np.array([d.month for d in self.dates], dtype=np.int64)

    def blocks(self) -> dict[str, list[tuple[dt.date, dt.date]]]:
        """:func:`holiday_blocks` of this calendar's days, its schedule included."""
        if not self.dates:
            return {}
        return holiday_blocks(self.dates[0], self.dates[-1], schedule=self.schedule)


def calendar_notes(start: dt.date, end: dt.date, schedule: Schedule | None = None
                   ) -> tuple[str, ...]:
    """What the calendar of ``start``..``end`` does not know, one line (or none).

    >>> calendar_notes(dt.date(2026, 2, 1), dt.date(2026, 3, 1))
    ()
    >>> print(calendar_notes(dt.date(2027, 1, 20), dt.date(2027, 3, 1))[0])  # doctest: +ELLIPSIS
    make-up workdays (调休) for 2027 are not published in holidays ...: its breaks are the \
statutory days and their 补假 only; add the State Council's schedule in the scenario's calendar: \
section
    """
    published = published_years()
    announced = schedule.years if schedule is not None else frozenset()
    missing = [y for y in range(start.year, end.year + 1) if y not in published]
    if not missing:
        return ()
    partly = [y for y in missing if y in announced]
    unknown = [y for y in missing if y not in announced]
    years = ", ".join(map(str, unknown))
    if not unknown:
        parts = "; ".join(f"{y}: {', '.join(schedule.holidays_of(y))}"  # type: ignore[union-attr]
                          for y in partly)
        return (f"make-up workdays (调休) from the scenario's calendar: section ({parts}); "
                "other holidays of those years: statutory days and 补假 only",)
    line = (f"make-up workdays (调休) for {years} are not published in {_library_version()} "
            f"(newest {max(published)}): {'its' if len(unknown) == 1 else 'their'} breaks are "
            "the statutory days and their 补假 only")
    if partly:
        line += (f" (announced in the scenario's calendar: section: "
                 f"{'; '.join(f'{y} ' + ', '.join(schedule.holidays_of(y)) for y in partly)})"  # type: ignore[union-attr]
                 )
    return (line + "; add the State Council's schedule in the scenario's calendar: section",)


def build_calendar(start: dt.date, end: dt.date, *, schedule: Schedule | None = None
                   ) -> Calendar:
    """The calendar of ``start``..``end`` inclusive (``schedule``: an announced schedule laid
    over the library's, see :class:`Schedule`).

    Examples
    --------
    >>> import datetime as dt
    >>> cal = build_calendar(dt.date(2026, 2, 14), dt.date(2026, 2, 17))
    >>> cal.makeup_workday.tolist(), cal.day_off.tolist()
    ([True, False, False, False], [False, True, True, True])
    >>> cal.holiday
    ('Spring Festival', 'Spring Festival', 'Spring Festival', 'Spring Festival')
    >>> build_calendar(dt.date(2027, 2, 6), dt.date(2027, 2, 6)).holiday   # 正月初一
    ('Spring Festival',)
    """
    if end < start:
        raise ValidationError(f"horizon end {end} is before its start {start}",
                              field="horizon", value=(str(start), str(end)))
    _check_years(start, end)
    known = _resolve(start - dt.timedelta(days=_MARGIN_DAYS),
                     end + dt.timedelta(days=_MARGIN_DAYS), schedule)
    days = _dates(start, end)
    weekday = np.array([d.weekday() for d in days], dtype=np.int64)
    off = np.array([d in known.off for d in days], dtype=bool)
    makeup = np.array([d in known.makeup for d in days], dtype=bool)
    names = tuple(known.off.get(d) or known.makeup.get(d, "") for d in days)
    return Calendar(tuple(days), weekday, off, makeup, names, schedule,
                    calendar_notes(start, end, schedule))


def holiday_blocks(start: dt.date, end: dt.date, *, schedule: Schedule | None = None
                   ) -> dict[str, list[tuple[dt.date, dt.date]]]:
    """Official breaks ``(first, last)`` per holiday name overlapping the window
    ``start``..``end`` (searched with a margin so eves and after-days are found too).

    Examples
    --------
    >>> import datetime as dt
    >>> holiday_blocks(dt.date(2026, 2, 1), dt.date(2026, 2, 28))["Spring Festival"]
    [(datetime.date(2026, 2, 15), datetime.date(2026, 2, 23))]
    """
    _check_years(start, end)
    lo = start - dt.timedelta(days=_MARGIN_DAYS)
    hi = end + dt.timedelta(days=_MARGIN_DAYS)
    blocks: dict[str, list[tuple[dt.date, dt.date]]] = {}
    for name, first, last in _resolve(lo, hi, schedule).breaks:
        if last >= lo and first <= hi:
            blocks.setdefault(name, []).append((first, last))
    return blocks


def holiday_multipliers(
    calendar: Calendar,
    profiles: Mapping[str, Mapping[str, HolidayProfile]],
    channels: Sequence[str],
) -> npt.NDArray[np.float64]:
    """Multiplicative holiday factor per day and channel, shape ``(days, channels)``.

    ``profiles[holiday][channel] = (before, during, after)``; channels a holiday does not name
    get 1. The breaks are the calendar's own (its ``schedule`` included).

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
    start = calendar.dates[0]
    blocks = calendar.blocks()
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


def holiday_windows(calendar: Calendar, name: str, profile: HolidayProfile
                    ) -> list[tuple[dt.date, dt.date]]:
    """The stretches ``(first, last)`` — break plus its before/after days — over which the
    profile of holiday ``name`` acts, clipped to the calendar; empty when it never falls inside
    (a scenario refuses such a rule)."""
    if not calendar.dates:
        return []
    before, _during, after = profile
    lo, hi = calendar.dates[0], calendar.dates[-1]
    out: list[tuple[dt.date, dt.date]] = []
    for first, last in calendar.blocks().get(name, []):
        a = first - dt.timedelta(days=len(before))
        b = last + dt.timedelta(days=len(after))
        if b >= lo and a <= hi:
            out.append((max(a, lo), min(b, hi)))
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

