"""Scenario files: the simulated world a rule pack is stress-tested in.

A scenario says what the world *really* does — base demand, its randomness, the true holiday and
weather effects, the storage temperature and its cold-chain outages, transit times, costs and
prices — so the rules' *assumed* coefficients can be judged against it. The schema is documented
in ``docs/simulator.md``; every error names ``file:line:column`` through the shared line-marked
YAML reader :mod:`jxc_rules._internal.yaml_source`.
"""

from __future__ import annotations

import contextvars
import csv
import datetime as dt
import difflib
import hashlib
import io
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from jxc_rules._internal.exact import to_decimal
from jxc_rules._internal.yaml_source import Marks, load_yaml, locate, parse_path, relocate
from jxc_rules.errors import ScenarioError, SourceLocation, ValidationError, bad_value
from jxc_rules.simulate.calendar import (
    HOLIDAY_NAMES,
    Break,
    Calendar,
    HolidayProfile,
    Schedule,
    build_calendar,
    holiday_windows,
)
from jxc_rules.simulate.kpis import KPI_INFO

__all__ = [
    "CHANNELS",
    "DemandSpec",
    "Distribution",
    "HolidayEffect",
    "Item",
    "Location",
    "Outage",
    "Policy",
    "Scenario",
    "WeatherState",
    "load_scenario",
    "load_scenario_cached",
]

CHANNELS = ("dine_in", "takeaway", "group_meal")
"""Default sales channels (堂食, 外卖, 团餐)."""


def _key_bad(field: str, value: object, expected: str) -> ValidationError:
    """An error about a mapping *key* (unknown key, unknown name): located at the key."""
    exc = bad_value(field, value, expected)
    exc.at_key = True  # type: ignore[attr-defined]
    return exc


def _unknown(field: str, key: object, allowed: Sequence[str], what: str = "key"
             ) -> ValidationError:
    """An unknown key or name, located at the key: ``did you mean`` the closest known one."""
    close = difflib.get_close_matches(str(key), [str(a) for a in allowed], n=1, cutoff=0.6)
    fix = f"did you mean {close[0]!r}?" if close else "use one of the known ones"
    exc = ValidationError(f"{field} is not a known {what}: {fix} (known: "
                          f"{', '.join(map(str, allowed))})", field=field, value=key)
    exc.at_key = True  # type: ignore[attr-defined]
    return exc


def _check_keys(mapping: Mapping[str, Any], allowed: Sequence[str], where: str) -> None:
    for key in mapping:
        if key not in allowed:
            raise _unknown(f"{where}.{key}" if where else str(key), key, allowed)


def _check_kpi_name(name: str) -> None:
    if name not in KPI_INFO:
        close = difflib.get_close_matches(name, list(KPI_INFO), n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"one of {sorted(KPI_INFO)}"
        raise _key_bad(name, name, f"a KPI name ({hint})")


def _bad(field: str, value: object, expected: str) -> ValidationError:
    """``bad_value`` that also reads well when ``field`` is the located node itself (``""``)."""
    if field:
        return bad_value(field, value, expected)
    return ValidationError(f"must be {expected}, got {value!r}", field="", value=value)


def _mapping(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _bad(field, value, "a mapping")
    return value


def _number(value: Any, field: str, *, min_value: float | None = 0.0,
            max_value: float | None = None) -> float:
    """A finite number; strings are read as in rule packs (``"0.05"``, ``"5 %"``, ``"5 ‰"``,
    through the one ratio parser :func:`jxc_rules._internal.percent.parse_ratio`)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise _bad(field, value, "a number")
    try:
        if isinstance(value, str):
            from jxc_rules._internal.percent import parse_ratio

            try:
                out = float(parse_ratio(value, field or "value"))
            except ValidationError:
                raise _bad(field, value, "a number (0.05 or '5 %')") from None
        else:
            out = float(value)
    except (TypeError, ValueError, OverflowError, ArithmeticError) as exc:
        if isinstance(exc, ValidationError):
            raise
        raise _bad(field, value, "a number") from None
    if not np.isfinite(out):
        raise _bad(field, value, "a finite number")
    if min_value is not None and out < min_value:
        raise _bad(field, value, f">= {min_value:g}")
    if max_value is not None and out > max_value:
        raise _bad(field, value, f"<= {max_value:g}")
    return out


def _amount(value: Any, field: str, unit: str, *, min_value: float | None = 0.0,
            max_value: float | None = None) -> float:
    """A number in ``unit``, or a quantity string converted to it as packs read them
    (``"45 kg"``, ``"90 斤"`` for kg; ``"300 min"`` for hours); a plain number is in ``unit``."""
    if isinstance(value, str):
        from jxc_rules.errors import JxcRulesError
        from jxc_rules.units import exact_factor, parse_quantity

        try:
            mag, src = parse_quantity(value, field or "value")
            if not src.dimensionless:
                mag = mag * exact_factor(src, unit, field=field or "value")
        except JxcRulesError:
            raise _bad(field, value, f"a number or a quantity in {unit} (like '5 {unit}')"
                       ) from None
        try:
            value = float(mag)
        except OverflowError:  # '1e309 kg': beyond any float
            raise _bad(field, value, f"a finite quantity in {unit}") from None
    return _number(value, field, min_value=min_value, max_value=max_value)


def _probability(value: Any, field: str) -> float:
    return _number(value, field, min_value=0.0, max_value=1.0)


def _date(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise _bad(field, value, "a date YYYY-MM-DD") from None


CSV_MAX_BYTES = 16 << 20
"""Largest ``csv:`` file a scenario reads (16 MiB: ten years of daily rows are ~1 MiB)."""


def _csv_path(base_dir: Path, rel: object, field: str) -> Path:
    """The file a ``csv:`` names: relative to the scenario file's folder and inside it (like a
    pack's ``extends``), so a scenario cannot make the loader read — and quote — any file."""
    text = str(rel)
    if "\x00" in text:
        raise _bad(field, text.replace("\x00", "\\0"), "a path without NUL characters")
    rule = (f"a CSV file inside the scenario file's folder {base_dir} (csv: paths are relative "
            "to it): move the file there or fix the path")
    if os.path.isabs(text) or text.startswith("~"):
        raise _bad(field, text, rule)
    path = base_dir / text
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):
        raise _bad(field, text, rule) from None
    if not resolved.is_relative_to(base_dir.resolve()):
        raise _bad(field, text, rule)
    return path


def _read_csv(path: Path, field: str) -> list[dict[str, str]]:
    """Rows of a UTF-8 CSV (header first), refusing what is not a regular file under
    :data:`CSV_MAX_BYTES` and rows longer than the header; no cell is quoted in an error."""
    where = (f"csv: paths are relative to the scenario file's folder {path.parent}): fix the "
             "path")
    try:
        if not path.is_file():
            raise FileNotFoundError(2, "No such file or directory" if not path.exists()
                                    else "not a regular file")
        with open(path, "rb") as fh:
            raw = fh.read(CSV_MAX_BYTES + 1)
    except OSError as exc:
        raise _bad(field, str(path), f"a readable CSV file ({exc.strerror}; {where}") from None
    if len(raw) > CSV_MAX_BYTES:
        raise _bad(field, str(path), f"a CSV file of at most {CSV_MAX_BYTES >> 20} MiB")
    reads = _CSV_READS.get()
    if reads is not None:       # load_scenario_cached: what the scenario depends on
        reads.append((os.path.abspath(path), hashlib.sha256(raw).hexdigest()))
    try:
        text = raw.decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text, newline=""), restkey="\x00extra"))
    except (UnicodeDecodeError, csv.Error) as exc:
        reason = "not UTF-8" if isinstance(exc, UnicodeDecodeError) else "not a CSV table"
        raise _bad(field, str(path), f"a UTF-8 CSV file ({reason})") from None
    for k, row in enumerate(rows):
        if "\x00extra" in row:
            raise _bad(field, str(path), f"a CSV whose rows have no more fields than its header "
                       f"(row {k + 2} has more)")
    return rows


WEATHER_MAX = 3.0
"""Largest plausible weather multiplier of a channel (×3 demand on a rainy day); above it the
value is refused as a typo (``8.2`` meant as ``0.82``); the packs' bound
(``jxc_rules.rules.load.WEATHER_MULTIPLIER_MAX``)."""
HOLIDAY_MAX = 5.0
"""Largest plausible holiday multiplier of one day (×5 a normal day's demand); the packs' bound
(``jxc_rules.rules.load.HOLIDAY_MULTIPLIER_MAX``)."""


def _plausible(value: float, field: str, limit: float, what: str) -> float:
    if value > limit:
        guess = value / 10 if value / 10 <= limit else value / 100
        raise ValidationError(
            f"{field} = {value:g} multiplies {what} by {value:g} ({value - 1:+.0%}), beyond the "
            f"plausible at most {limit:g}; did you mean {guess:g} ({guess - 1:+.0%})?",
            field=field, value=value)
    return value


# --------------------------------------------------------------------------------------------
# parameter classes


@attrs.frozen
class DemandSpec:
    """Base demand of one item or dish in one channel: per-day mean over the horizon.

    ``kind`` is ``"constant"``, ``"weekly"`` (Monday first) or ``"csv"`` (weekday means of a
    history file, holidays and make-up days excluded). ``daily`` holds the 7 weekday levels.
    """

    kind: str
    weekly: tuple[float, ...]
    source: str = ""

    def mean(self) -> float:
        return float(np.mean(self.weekly))


def _demand_spec(value: Any, field: str, base_dir: Path, calendar_of: Any) -> DemandSpec:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        v = _number(value, field)
        return DemandSpec("constant", (v,) * 7)
    spec = _mapping(value, field)
    if "constant" in spec:
        _check_keys(spec, ["constant"], field)
        v = _number(spec["constant"], f"{field}.constant")
        return DemandSpec("constant", (v,) * 7)
    if "weekly" in spec:
        _check_keys(spec, ["weekly"], field)
        week = spec["weekly"]
        if not isinstance(week, list) or len(week) != 7:
            raise bad_value(f"{field}.weekly", week, "a list of 7 numbers (Monday first)")
        return DemandSpec("weekly", tuple(_number(v, f"{field}.weekly[{k}]")
                                          for k, v in enumerate(week)))
    if "csv" in spec:
        _check_keys(spec, ["csv", "column", "date_column"], field)
        path = _csv_path(base_dir, spec["csv"], f"{field}.csv")
        column = str(spec.get("column", "quantity"))
        date_col = str(spec.get("date_column", "date"))
        rows = _read_csv(path, f"{field}.csv")
        sums = np.zeros(7)
        counts = np.zeros(7)
        dates: list[dt.date] = []
        values: list[float] = []
        for k, row in enumerate(rows):
            if column not in row or date_col not in row:
                raise bad_value(f"{field}.column", column,
                                f"a column of {path.name} (has {sorted(row)})")
            d = _date(row[date_col], f"{field}.csv[{k + 2}].{date_col}")
            v = _number(row[column], f"{field}.csv row {k + 2} {column}")
            dates.append(d)
            values.append(v)
        if not dates:
            raise bad_value(f"{field}.csv", str(path), "a CSV with at least one row")
        cal: Calendar = calendar_of(min(dates), max(dates))
        index = {d: k for k, d in enumerate(cal.dates)}
        for d, v in zip(dates, values, strict=True):
            k = index[d]
            if cal.day_off[k] or cal.makeup_workday[k]:
                continue
            sums[d.weekday()] += v
            counts[d.weekday()] += 1
        if (counts == 0).any():
            missing = int(np.argmin(counts))
            raise bad_value(f"{field}.csv", str(path),
                            f"ordinary days of every weekday (none for weekday {missing})")
        return DemandSpec("csv", tuple(float(x) for x in sums / counts), str(path))
    raise _bad(field, dict(spec), "a number or a mapping with constant, weekly or csv")


def _distribution_kind(value: str) -> None:
    kinds = ("poisson", "negative_binomial", "deterministic")
    if value not in kinds:
        close = difflib.get_close_matches(str(value), kinds, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise bad_value("distribution.type", value,
                        f"poisson, negative_binomial or deterministic{hint}")


@attrs.frozen
class Distribution:
    """Day-to-day randomness of demand counts around their mean.

    ``"poisson"``; or ``"negative_binomial"`` with ``dispersion`` k > 0 (variance μ + μ²/k,
    drawn as a gamma–Poisson mixture); ``"deterministic"`` (demand = its mean, for checks).
    """

    kind: str = attrs.field(default="poisson")
    dispersion: float | None = None

    @kind.validator
    def _check_kind(self, _attr: Any, value: str) -> None:
        _distribution_kind(value)

    @classmethod
    def from_mapping(cls, value: Any) -> Distribution:
        if isinstance(value, str):
            return cls(value)
        spec = _mapping(value, "distribution")
        _check_keys(spec, ["type", "dispersion"], "distribution")
        kind = str(spec.get("type", "poisson"))
        disp = spec.get("dispersion")
        _distribution_kind(kind)  # the type first, so a misspelt one gets "did you mean"
        if kind == "negative_binomial":
            if disp is None:
                raise bad_value("distribution.dispersion", None, "a number > 0")
            k = _number(disp, "distribution.dispersion")
            if k <= 0:
                raise bad_value("distribution.dispersion", disp, "a number > 0")
            return cls(kind, k)
        if disp is not None:
            raise bad_value("distribution.dispersion", disp, "absent unless negative_binomial")
        return cls(kind)

    def to_mapping(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.kind}
        if self.dispersion is not None:
            out["dispersion"] = self.dispersion
        return out


@attrs.frozen
class Item:
    """A stock item (SKU) at every location: unit, money, starting stock, direct demand.

    ``perishable`` items need a shelf-life rule in the pack; ``transit_hours`` > 0 (live aquatic
    deliveries) needs a live-weight model. ``cost_per_unit`` / ``price_per_unit`` are yuan per
    stock unit (``Decimal``).
    """

    id: str
    unit: str
    cost_per_unit: Decimal
    price_per_unit: Decimal
    initial_stock: float = 0.0
    perishable: bool = False
    transit_hours: float = 0.0
    transit_model: str | None = None
    demand: Mapping[str, DemandSpec] = attrs.field(factory=dict)
    transit_temp_c: float | None = None


@attrs.frozen
class Location:
    """A store or warehouse: demand scale and storage temperature (°C)."""

    id: str
    demand_scale: float = 1.0
    storage_temp_c: float | None = None


@attrs.frozen
class Outage:
    """A cold-chain outage: ``hours`` at ``temp_c`` from ``start_hour`` on ``date``."""

    date: dt.date
    start_hour: float
    hours: float
    temp_c: float
    location: str | None = None


@attrs.frozen
class HolidayEffect:
    """The *true* effect of one holiday: per channel ``(before, during, after)`` profiles and
    optional per-item multipliers applied on the days of the break."""

    channels: Mapping[str, HolidayProfile]
    items: Mapping[str, float] = attrs.field(factory=dict)


@attrs.frozen
class WeatherState:
    """A daily weather state (e.g. rain): probability per day and its *true* effect.

    ``probability`` has one value per day of the horizon; ``multipliers`` per channel;
    ``shift_to_takeaway`` is the share of dine-in demand lost to the state that reappears as
    takeaway demand.
    """

    name: str
    probability: tuple[float, ...]
    multipliers: Mapping[str, float]
    shift_to_takeaway: float = 0.0


@attrs.frozen
class Policy:
    """A plain base-stock policy for scenarios run without a rule pack (checks, teaching):
    every ``review_period_days`` order up to ``order_up_to[item]``, arriving after
    ``lead_time_days``; ``safety_stock[item]`` is the level safety compliance is judged against."""

    order_up_to: Mapping[str, float]
    review_period_days: int = 1
    lead_time_days: int = 0
    safety_stock: Mapping[str, float] = attrs.field(factory=dict)


@attrs.frozen
class Scenario:
    """A loaded scenario (see :func:`load_scenario`)."""

    name: str
    start: dt.date
    end: dt.date
    channels: tuple[str, ...]
    locations: tuple[Location, ...]
    items: Mapping[str, Item]
    dishes: Mapping[str, Mapping[str, DemandSpec]]
    distribution: Distribution
    holidays: Mapping[str, HolidayEffect]
    weather: tuple[WeatherState, ...]
    storage_temp_c: float
    outages: tuple[Outage, ...]
    daily_cycle_c: tuple[float, ...] = (0.0,) * 24
    rules: Mapping[str, str] = attrs.field(factory=dict)
    policy: Policy | None = None
    thresholds: Mapping[str, float] = attrs.field(factory=dict)
    track_stock_age: bool = True
    materiality: Mapping[str, float] = attrs.field(factory=dict)
    description: str = ""
    path: str = "<memory>"
    marks: Marks | None = attrs.field(default=None, eq=False, repr=False)
    schedule: Schedule | None = None

    @property
    def calendar(self) -> Calendar:
        """The horizon's holiday calendar, the ``calendar:`` section's schedule laid over the
        library's (see :mod:`jxc_rules.simulate.calendar`)."""
        return build_calendar(self.start, self.end, schedule=self.schedule)

    @property
    def calendar_notes(self) -> tuple[str, ...]:
        """What the calendar does not know for this horizon (make-up workdays not published
        for a year), one line each — for the CLI and the report to print."""
        from jxc_rules.simulate.calendar import calendar_notes

        return calendar_notes(self.start, self.end, self.schedule)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def location_of(self, *path: str | int) -> str:
        """``file:line:column`` of a node of the scenario file (for error messages)."""
        if self.marks is None:
            return self.path
        return str(locate(self.marks, path))

    def error(self, message: str, *path: str | int) -> ScenarioError:
        """A :class:`ScenarioError` located at ``path`` in the scenario file."""
        loc = locate(self.marks, path, key=True) if self.marks is not None else None
        return ScenarioError(message, location=loc, field=".".join(str(p) for p in path))

    def replace(self, **changes: Any) -> Scenario:
        return attrs.evolve(self, **changes)

    def probability_matrix(self) -> npt.NDArray[np.float64]:
        """Per-day probability of each weather state, shape ``(days, states)``."""
        if not self.weather:
            return np.zeros((self.days, 0))
        return np.array([w.probability for w in self.weather], dtype=np.float64).T


# --------------------------------------------------------------------------------------------
# loading


_TOP_KEYS = ["name", "description", "horizon", "calendar", "rules", "channels", "locations",
             "items", "dishes", "distribution", "holidays", "weather", "temperature", "policy",
             "thresholds", "materiality", "track_stock_age"]


def _threshold(value: Any, field: str) -> float:
    """A committee threshold in the KPI's unit; a rate or share is a fraction, so ``5`` (meant
    as 5 %) is refused with the fix instead of being read as 500 % and never crossed."""
    out = _number(value, field, min_value=None)
    info = KPI_INFO[field]
    if info.unit == "share" and not 0.0 <= out <= 1.0:
        hint = (f"; {out:g} reads as {out:.0%} — write {out / 100:g} or '{out:g} %'"
                if 1.0 < out <= 100.0 else "")
        raise _bad(field, value, f"a share between 0 and 1 ({info.en} is a rate){hint}")
    if info.unit == "days" and out < 0:
        raise _bad(field, value, ">= 0 days")
    return out


def _never_inside(calendar: Calendar, name: str, start: dt.date, end: dt.date) -> str:
    """The reason a holiday rule never acts inside the horizon, and the fix."""
    from jxc_rules.simulate.calendar import holiday_blocks

    wide = holiday_blocks(dt.date(max(start.year - 1, 2001), 1, 1),
                          dt.date(min(end.year + 1, 2099), 12, 31),
                          schedule=calendar.schedule)
    near = sorted(wide.get(name, []), key=lambda b: min(abs((b[0] - start).days),
                                                         abs((b[1] - end).days)))
    where = (f"; its nearest break is {near[0][0]}..{near[0][1]}" if near else
             " (in these years it falls inside another holiday's break)")
    return (f"{name} never falls inside the horizon {start}..{end}, its before/after days "
            f"included{where}: a rule that never acts is a mistake; move the horizon or "
            "remove the rule")


def _missing_pack(rel: str, local: Path, base_dir: Path) -> str:
    return (f"an existing pack file or a bundled pack name (hotpot@2026.10): rules: paths are "
            f"relative to the scenario file's folder {base_dir}, so {rel!r} is {local.resolve()}"
            f", which does not exist; fix the path, or name a bundled pack")


def _profile(value: Any, field: str) -> HolidayProfile:
    """A true holiday profile, read by the rule packs' own
    :class:`jxc_rules.rules.schema.HolidayProfile` (same keys, same checks, same meaning)."""
    from jxc_rules.rules.schema import HolidayProfile as PackProfile

    spec = _mapping(value, field)
    prof = PackProfile.from_mapping(spec)
    out = (tuple(float(v) for v in prof.before), tuple(float(v) for v in prof.during),
           tuple(float(v) for v in prof.after))
    for part, values in zip(("before", "during", "after"), out, strict=True):
        for k, v in enumerate(values):
            _plausible(v, f"{field}.{part}[{k}]" if field else f"{part}[{k}]", HOLIDAY_MAX,
                       "the day's demand")
    return out


def _schedule(value: Any) -> Schedule:
    """A ``calendar:`` section: the State Council's announced schedule, newer than the library.

    ``{source: "国务院办公厅关于2027年部分节假日安排的通知", breaks: [{holiday: Spring Festival,
    from: 2027-02-05, to: 2027-02-12, workdays: [2027-01-31, 2027-02-20]}, ...]}``.
    """
    spec = _mapping(value, "")
    _check_keys(spec, ["source", "breaks"], "")
    raw = spec.get("breaks")
    if not isinstance(raw, list) or not raw:
        raise _bad("breaks", raw, "a list of announced breaks ({holiday: Spring Festival, "
                   "from: YYYY-MM-DD, to: YYYY-MM-DD, workdays: [YYYY-MM-DD, ...]})")
    breaks: list[Break] = []
    for k, entry in enumerate(raw):
        where = f"breaks[{k}]"
        b = _mapping(entry, where)
        _check_keys(b, ["holiday", "from", "to", "workdays"], where)
        for key in ("holiday", "from", "to"):
            if key not in b:
                raise bad_value(f"{where}.{key}", None, "present (required)")
        work = b.get("workdays", []) or []
        if not isinstance(work, list):
            raise bad_value(f"{where}.workdays", work, "a list of dates YYYY-MM-DD")
        try:
            breaks.append(Break(str(b["holiday"]), _date(b["from"], f"{where}.from"),
                                _date(b["to"], f"{where}.to"),
                                tuple(_date(w, f"{where}.workdays[{j}]")
                                      for j, w in enumerate(work))))
        except ValidationError as exc:
            if exc.field and not exc.field.startswith("breaks["):
                text = str(exc)
                text = f"{where}.{text}" if text.startswith(exc.field) else text
                raise ValidationError(text, field=f"{where}.{exc.field}",
                                      value=exc.value) from None
            raise
    days: dict[dt.date, int] = {}
    for k, brk in enumerate(breaks):
        for day in [*brk.days(), *brk.workdays]:
            if day in days:
                raise bad_value(f"breaks[{k}].from", str(brk.first),
                                f"a break that does not overlap breaks[{days[day]}] "
                                f"(both hold {day})")
            days[day] = k
    return Schedule(tuple(breaks), str(spec.get("source", "")))


def _probabilities(value: Any, field: str, calendar: Calendar, base_dir: Path) -> tuple[float, ...]:
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        p = _probability(value, field)
        return (p,) * calendar.days
    spec = _mapping(value, field)
    if "monthly" in spec:
        _check_keys(spec, ["monthly"], field)
        months = spec["monthly"]
        if not isinstance(months, list) or len(months) != 12:
            raise bad_value(f"{field}.monthly", months,
                            "a list of 12 probabilities (January first)")
        probs = [_probability(v, f"{field}.monthly[{k}]") for k, v in enumerate(months)]
        return tuple(probs[m - 1] for m in calendar.month.tolist())
    if "csv" in spec:
        _check_keys(spec, ["csv", "column", "date_column"], field)
        path = _csv_path(base_dir, spec["csv"], f"{field}.csv")
        column = str(spec.get("column", "probability"))
        date_col = str(spec.get("date_column", "date"))
        table: dict[dt.date, float] = {}
        for k, row in enumerate(_read_csv(path, f"{field}.csv")):
            if column not in row or date_col not in row:
                raise bad_value(f"{field}.column", column,
                                f"a column of {path.name} (has {sorted(row)})")
            table[_date(row[date_col], f"{field}.csv row {k + 2}")] = _probability(
                row[column], f"{field}.csv row {k + 2} {column}")
        missing = [d for d in calendar.dates if d not in table]
        if missing:
            raise bad_value(f"{field}.csv", str(path), f"a row for every horizon day "
                            f"(missing {missing[0]})")
        return tuple(table[d] for d in calendar.dates)
    raise _bad(field, dict(spec), "a probability, {monthly: [12]} or {csv: file}")


def _tab_in_indent(filename: str) -> tuple[int, int] | None:
    """``(line, column)`` of the first tab in a line's leading whitespace (YAML forbids it)."""
    try:
        with open(filename, encoding="utf-8", errors="replace") as fh:
            for number, line in enumerate(fh, start=1):
                indent = line[: len(line) - len(line.lstrip(" \t"))]
                if "\t" in indent:
                    return number, indent.index("\t") + 1
    except (OSError, ValueError):
        return None
    return None


_CSV_READS: contextvars.ContextVar[list[tuple[str, str]] | None] = contextvars.ContextVar(
    "jxc_rules_scenario_csv_reads", default=None)
"""While :func:`load_scenario_cached` loads a file: the CSV files read (path, sha256)."""

SCENARIO_CACHE_SIZE = 16
"""Scenarios :func:`load_scenario_cached` keeps (least recently used first out)."""

_SCENARIOS: OrderedDict[tuple[str, str, Any, str], tuple[Scenario, tuple[tuple[str, str], ...]]] \
    = OrderedDict()
_SCENARIOS_LOCK = threading.Lock()


def _digest(path: str) -> str | None:
    """sha256 of a file's bytes (None when it cannot be read)."""
    try:
        with open(path, "rb") as fh:       # streamed: no buffer of the size limit up front
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return None


def _scenario_file(path: str | os.PathLike[str]) -> str:
    """The file :func:`load_scenario` reads for ``path`` (a bundled name resolved)."""
    from jxc_rules._internal.bundled import as_name, scenario_path

    named = as_name(os.fspath(path)) if isinstance(path, str) else None
    if named is not None and named[1] is None:
        path = scenario_path(named[0])
    return os.fspath(path)


def load_scenario(path: str | os.PathLike[str], *,
                  horizon: tuple[dt.date, dt.date] | None = None) -> Scenario:
    """Read and check a scenario file, or a bundled scenario by name.

    ``horizon=(start, end)`` runs the same world over other dates (``--horizon`` of the CLI,
    e.g. two years of history for ``--export-history``): the file is checked against its own
    horizon first; dated events (cold-room outages) and holiday rules outside the new one do not
    happen (no error: the rules are the file's, checked against the file's horizon).

    ``path`` is a scenario file or the name of a bundled scenario (shipped in the wheel):
    ``load_scenario("hotpot-spring-festival")``. In a scenario's ``rules:``, a bundled pack may
    be named instead of a path (``baseline: hotpot@2026.10``).

    Every problem raises :class:`~jxc_rules.errors.ScenarioError` naming ``file:line:column``
    and the field: unknown keys, a horizon with no days, negative demand, a probability outside
    [0, 1], an unknown item or channel in a holiday rule, a horizon outside the holiday
    calendar's years, a missing CSV, ...

    Examples
    --------
    >>> sc = load_scenario("hotpot-spring-festival")
    >>> sc.start.isoformat(), sc.channels
    ('2026-02-02', ('dine_in', 'takeaway', 'group_meal'))
    """
    from jxc_rules._internal.bundled import as_name, scenario_path

    run_horizon = horizon
    named = as_name(os.fspath(path)) if isinstance(path, str) else None
    if named is not None and named[1] is None:
        path = scenario_path(named[0])
    filename = os.fspath(path)
    try:
        data, marks = load_yaml(filename, error=ScenarioError)
    except ScenarioError as exc:
        tab = _tab_in_indent(filename)
        if tab is not None:
            raise ScenarioError(
                "a tab in the indentation: YAML is indented with spaces; replace the tab with "
                "spaces (2 per level)", location=SourceLocation(filename, *tab)) from None
        raise exc from None
    base_dir = Path(filename).resolve().parent
    if not isinstance(data, Mapping):
        raise ScenarioError("a scenario file must be a mapping", location=locate(marks, ()))
    if not any(isinstance(k, str) and k in _TOP_KEYS for k in data):
        # a file that is no scenario at all (a config, /etc/passwd): none of it is echoed
        raise ScenarioError(
            "not a scenario: a scenario is a YAML mapping with horizon:, items:, rules: ...; "
            "nothing of this file is shown", location=SourceLocation(filename))

    @contextmanager
    def at(*p: str | int) -> Iterator[None]:
        try:
            yield
        except ScenarioError:
            raise
        except ValidationError as exc:
            err = relocate(exc, marks, p, error=ScenarioError)
            if exc.field == "" and err.field and err.location is not None:
                # the located node itself: "a.b must be ...", not "a.b: must be ..."
                text = str(err).replace(f"{err.field}: must be", f"{err.field} must be", 1)
                err = ScenarioError(text.removeprefix(f"{err.location}: "),
                                    location=err.location, field=err.field, value=err.value)
            if getattr(exc, "at_key", False) and err.field:
                text = str(err)
                prefix = f"{err.location}: "
                text = text[len(prefix):] if text.startswith(prefix) else text
                err = ScenarioError(text, location=locate(marks, parse_path(err.field),
                                                          key=True),
                                    field=err.field, value=err.value)
            raise err from None

    with at():
        _check_keys(data, _TOP_KEYS, "")
        for key in ("horizon", "items"):
            if key not in data:
                raise bad_value(key, None, "present (required)")
    schedule: Schedule | None = None
    if data.get("calendar") is not None:
        with at("calendar"):
            schedule = _schedule(data["calendar"])
    with at("horizon"):
        span = _mapping(data["horizon"], "")
        _check_keys(span, ["start", "end"], "")
        start = _date(span.get("start"), "start")
        end = _date(span.get("end"), "end")
        if end < start:
            raise bad_value("end", str(end), f"on or after start {start} (the horizon has no days)")
        file_start, file_end = start, end
        if run_horizon is not None:
            start, end = run_horizon
            if end < start:
                raise ValidationError(f"--horizon end {end} is before its start {start}: give "
                                      "START:END with START <= END", field="horizon",
                                      value=(str(start), str(end)))
        try:
            calendar = build_calendar(start, end, schedule=schedule)
        except ValidationError as exc:
            raise ValidationError(str(exc), field="start", value=str(start)) from None

    channels: tuple[str, ...] = CHANNELS
    if "channels" in data:
        with at("channels"):
            raw = data["channels"]
            if not isinstance(raw, list) or not raw or len(set(map(str, raw))) != len(raw):
                raise _bad("", raw, "a non-empty list of distinct channel names")
            channels = tuple(str(c) for c in raw)

    def calendar_of(a: dt.date, b: dt.date) -> Calendar:
        try:
            return build_calendar(a, b, schedule=schedule)
        except ValidationError as exc:
            raise bad_value("csv", f"{a}..{b}", f"dates the holiday calendar covers ({exc})"
                            ) from None

    def demand_block(value: Any, path: tuple[str | int, ...]) -> dict[str, DemandSpec]:
        with at(*path):
            spec = _mapping(value, "")
            for ch in spec:
                if ch not in channels:
                    raise _unknown(str(ch), ch, channels, "channel")
        out: dict[str, DemandSpec] = {}
        for ch, v in spec.items():
            with at(*path, ch):
                out[str(ch)] = _demand_spec(v, "", base_dir, calendar_of)
        return out

    items: dict[str, Item] = {}
    with at("items"):
        raw_items = _mapping(data["items"], "")
        if not raw_items:
            raise _bad("", {}, "at least one item")
    for item_id, raw in raw_items.items():
        p: tuple[str | int, ...] = ("items", str(item_id))
        with at(*p):
            spec = _mapping(raw, "")
            _check_keys(spec, ["unit", "cost_per_unit", "price_per_unit", "initial_stock",
                               "perishable", "transit_hours", "transit_model", "transit_temp_c",
                               "demand"], "")
            for key in ("cost_per_unit", "price_per_unit"):
                if key not in spec:
                    raise bad_value(key, None, "present (yuan per stock unit)")
                try:
                    money = to_decimal(spec[key])
                except (ValidationError, TypeError, ValueError, ArithmeticError):
                    raise bad_value(key, spec[key], "an amount in yuan >= 0") from None
                if not money.is_finite():
                    raise bad_value(key, spec[key], "a finite amount in yuan >= 0")
                if money < 0:
                    raise bad_value(key, spec[key], ">= 0")
            perishable = spec.get("perishable", False)
            if not isinstance(perishable, bool):
                raise bad_value("perishable", perishable, "true or false")
        demand = demand_block(spec.get("demand", {}), (*p, "demand"))
        with at(*p):
            items[str(item_id)] = Item(
                id=str(item_id),
                unit=str(spec.get("unit", "pcs")),
                cost_per_unit=to_decimal(spec["cost_per_unit"]),
                price_per_unit=to_decimal(spec["price_per_unit"]),
                initial_stock=_amount(spec.get("initial_stock", 0), "initial_stock",
                                      str(spec.get("unit", "pcs"))),
                perishable=perishable,
                transit_hours=_amount(spec.get("transit_hours", 0), "transit_hours", "hour"),
                transit_model=(str(spec["transit_model"]) if spec.get("transit_model")
                               else None),
                demand=demand,
                transit_temp_c=(_number(spec["transit_temp_c"], "transit_temp_c", min_value=-60)
                                if spec.get("transit_temp_c") is not None else None),
            )

    dishes: dict[str, dict[str, DemandSpec]] = {}
    if data.get("dishes"):
        with at("dishes"):
            raw_dishes = _mapping(data["dishes"], "")
        for dish, raw in raw_dishes.items():
            with at("dishes", str(dish)):
                spec = _mapping(raw, "")
                _check_keys(spec, ["demand"], "")
            dishes[str(dish)] = demand_block(spec.get("demand", {}), ("dishes", str(dish),
                                                                       "demand"))

    distribution = Distribution()
    if "distribution" in data:
        with at("distribution"):
            try:
                distribution = Distribution.from_mapping(data["distribution"])
            except ValidationError as exc:
                raise ValidationError(str(exc).removeprefix("distribution."),
                                      field=(exc.field or "").removeprefix("distribution")
                                      .lstrip("."), value=exc.value) from None

    holidays: dict[str, HolidayEffect] = {}
    if data.get("holidays"):
        with at("holidays"):
            raw_h = _mapping(data["holidays"], "")
        for name, raw in raw_h.items():
            p = ("holidays", str(name))
            with at("holidays"):
                if name not in HOLIDAY_NAMES:
                    raise _unknown(str(name), name, HOLIDAY_NAMES, "holiday name")
            with at(*p):
                spec = _mapping(raw, "")
                for key in spec:
                    if key != "items" and key not in channels:
                        raise _unknown(str(key), key, [*channels, "items"], "channel")
            chans: dict[str, HolidayProfile] = {}
            for ch, prof in spec.items():
                if ch == "items":
                    continue
                with at(*p, ch):
                    chans[str(ch)] = _profile(prof, "")
            item_mult: dict[str, float] = {}
            with at(*p, "items"):
                for item_id, factor in _mapping(spec.get("items", {}), "").items():
                    if str(item_id) not in items and str(item_id) not in dishes:
                        raise _unknown(str(item_id), item_id, [*items, *dishes],
                                       "item or dish of this scenario")
                    item_mult[str(item_id)] = _plausible(_number(factor, str(item_id)),
                                                         str(item_id), HOLIDAY_MAX,
                                                         "the item's demand")
            reach: HolidayProfile = (
                (1.0,) * max((len(v[0]) for v in chans.values()), default=0), (1.0,),
                (1.0,) * max((len(v[2]) for v in chans.values()), default=0))
            # a run over other dates (horizon=) keeps the file's rules, acting or not
            if run_horizon is None and not holiday_windows(calendar, str(name), reach):
                with at("holidays"):
                    never = ValidationError(_never_inside(calendar, str(name), start, end),
                                            field=str(name), value=name)
                    never.at_key = True  # type: ignore[attr-defined]
                    raise never
            holidays[str(name)] = HolidayEffect(chans, item_mult)

    weather: list[WeatherState] = []
    if data.get("weather"):
        with at("weather"):
            raw_w = _mapping(data["weather"], "")
        for state, raw in raw_w.items():
            p = ("weather", str(state))
            with at(*p):
                spec = _mapping(raw, "")
                _check_keys(spec, ["probability", "effect"], "")
                if "probability" not in spec:
                    raise bad_value("probability", None, "present")
            with at(*p, "probability"):
                probs = _probabilities(spec["probability"], "", calendar, base_dir)
            with at(*p, "effect"):
                eff = _mapping(spec.get("effect", {}), "")
                mult: dict[str, float] = {}
                shift = 0.0
                for key, v in eff.items():
                    if key == "shift_to_takeaway":
                        shift = _probability(v, "shift_to_takeaway")
                    elif key in channels:
                        mult[str(key)] = _plausible(_number(v, str(key)), str(key),
                                                    WEATHER_MAX, f"{key} demand on a "
                                                    f"{state} day")
                    else:
                        raise _unknown(str(key), key, [*channels, "shift_to_takeaway"],
                                       "channel")
                if shift and "takeaway" not in channels:
                    raise bad_value("shift_to_takeaway", shift, "0 without a takeaway channel")
            weather.append(WeatherState(str(state), probs, mult, shift))

    storage_temp_c = 4.0
    daily_cycle: tuple[float, ...] = (0.0,) * 24
    outages: list[Outage] = []
    locations: list[Location] = []
    if "locations" in data:
        with at("locations"):
            raw_l = data["locations"]
            if not isinstance(raw_l, list) or not raw_l:
                raise _bad("", raw_l, "a non-empty list of locations")
        for k, raw in enumerate(raw_l):
            with at("locations", k):
                if isinstance(raw, str):
                    locations.append(Location(raw))
                    continue
                spec = _mapping(raw, "")
                _check_keys(spec, ["id", "demand_scale", "storage_temp_c"], "")
                locations.append(Location(
                    str(spec.get("id", f"location-{k + 1}")),
                    _number(spec.get("demand_scale", 1.0), "demand_scale"),
                    (_number(spec["storage_temp_c"], "storage_temp_c", min_value=-60)
                     if "storage_temp_c" in spec else None),
                ))
        with at("locations"):
            ids = [loc.id for loc in locations]
            if len(set(ids)) != len(ids):
                raise bad_value("id", ids, "distinct location ids")
    if not locations:
        locations = [Location("store")]
    if "temperature" in data:
        with at("temperature"):
            spec = _mapping(data["temperature"], "")
            _check_keys(spec, ["storage_temp_c", "daily_cycle_c", "outages"], "")
            cycle = spec.get("daily_cycle_c", [0.0] * 24)
            if not isinstance(cycle, list) or len(cycle) != 24:
                raise bad_value("daily_cycle_c", cycle, "24 hourly offsets in °C (hour 0 first)")
            daily_cycle = tuple(_number(v, f"daily_cycle_c[{k}]", min_value=None)
                                for k, v in enumerate(cycle))
            storage_temp_c = _number(spec.get("storage_temp_c", 4.0), "storage_temp_c",
                                     min_value=-60)
            raw_o = spec.get("outages", []) or []
            if not isinstance(raw_o, list):
                raise bad_value("outages", raw_o, "a list")
        for k, raw in enumerate(raw_o):
            with at("temperature", "outages", k):
                o = _mapping(raw, "")
                _check_keys(o, ["date", "start_hour", "hours", "temp_c", "location"], "")
                day = _date(o.get("date"), "date")
                if not file_start <= day <= file_end:
                    raise bad_value("date", str(day),
                                    f"inside the horizon {file_start}..{file_end}")
                loc = o.get("location")
                if loc is not None and str(loc) not in {x.id for x in locations}:
                    raise _unknown("location", loc, [x.id for x in locations], "location")
                outages.append(Outage(
                    day,
                    _amount(o.get("start_hour", 0), "start_hour", "hour", max_value=24),
                    _amount(o.get("hours", 0), "hours", "hour"),
                    _number(o.get("temp_c"), "temp_c", min_value=-60),
                    str(loc) if loc is not None else None,
                ))

    rules: dict[str, str] = {}
    if data.get("rules"):
        with at("rules"):
            raw_r = data["rules"]
            if isinstance(raw_r, str):
                raw_r = {"baseline": raw_r}
            spec = _mapping(raw_r, "")
            _check_keys(spec, ["baseline", "candidate"], "")
            for key, rel in spec.items():
                if "\x00" in str(rel):
                    raise _bad(str(key), str(rel).replace("\x00", "\\0"),
                               "a path without NUL characters")
                local = base_dir / str(rel)
                # a bundled pack by name (hotpot@2026.10) unless a file of that name is here
                named = None if local.exists() else as_name(str(rel))
                if named is None and not local.is_file():
                    raise _bad(str(key), str(rel), _missing_pack(str(rel), local, base_dir))
                rules[str(key)] = str(rel) if named is not None else str(local.resolve())

    policy: Policy | None = None
    if data.get("policy"):
        with at("policy"):
            spec = _mapping(data["policy"], "")
            _check_keys(spec, ["order_up_to", "review_period_days", "lead_time_days",
                               "safety_stock"], "")
            levels = _mapping(spec.get("order_up_to", {}), "order_up_to")
            safety = _mapping(spec.get("safety_stock", {}), "safety_stock")
            for key, table in (("order_up_to", levels), ("safety_stock", safety)):
                for item_id in table:
                    if str(item_id) not in items:
                        raise _unknown(f"{key}.{item_id}", item_id, list(items),
                                       "item of this scenario")
            review = _number(spec.get("review_period_days", 1), "review_period_days",
                             min_value=1)
            lead = _number(spec.get("lead_time_days", 0), "lead_time_days")
            if review != int(review):
                raise bad_value("review_period_days", review, "whole days")
            if lead != int(lead):
                raise bad_value("lead_time_days", lead, "whole days")
            policy = Policy(
                {str(k): _amount(v, f"order_up_to.{k}", items[str(k)].unit)
                 for k, v in levels.items()},
                int(review), int(lead),
                {str(k): _amount(v, f"safety_stock.{k}", items[str(k)].unit)
                 for k, v in safety.items()},
            )

    thresholds: dict[str, float] = {}
    if data.get("thresholds"):
        with at("thresholds"):
            for key, v in _mapping(data["thresholds"], "").items():
                _check_kpi_name(str(key))
                thresholds[str(key)] = _threshold(v, str(key))
    materiality: dict[str, float] = {}
    if data.get("materiality") is not None:
        with at("materiality"):
            for key, v in _mapping(data["materiality"], "").items():
                _check_kpi_name(str(key))
                materiality[str(key)] = _number(v, str(key))

    track_age = data.get("track_stock_age", True)
    with at("track_stock_age"):
        if not isinstance(track_age, bool):
            raise _bad("", track_age, "true or false")
    return Scenario(
        name=str(data.get("name", Path(filename).stem)),
        start=start,
        end=end,
        channels=channels,
        locations=tuple(locations),
        items=items,
        dishes=dishes,
        distribution=distribution,
        holidays=holidays,
        weather=tuple(weather),
        storage_temp_c=storage_temp_c,
        outages=tuple(o for o in outages if start <= o.date <= end),
        daily_cycle_c=daily_cycle,
        rules=rules,
        policy=policy,
        thresholds=thresholds,
        track_stock_age=track_age,
        materiality=materiality,
        description=str(data.get("description", "")),
        path=filename,
        marks=marks,
        schedule=schedule,
    )


def load_scenario_cached(path: str | os.PathLike[str], *,
                         horizon: tuple[dt.date, dt.date] | None = None) -> Scenario:
    """:func:`load_scenario`, reusing the Scenario of a file already loaded with the same
    content: the cache key is the file's path, ``horizon`` and the sha256 of its bytes, and a
    hit is checked against the content of every ``csv:`` file the scenario read. What
    :func:`~jxc_rules.simulate.run` and its siblings use for a path, so a host that runs one
    scenario file many times parses it once (and the compiled world is reused with it).

    The Scenario returned is shared between callers: it is frozen; do not change its mappings
    (``Scenario.replace`` makes a new one). Errors are :func:`load_scenario`'s, never cached.

    >>> load_scenario_cached("base-stock-poisson") is load_scenario_cached("base-stock-poisson")
    True
    """
    filename = _scenario_file(path)
    digest = _digest(filename)
    if digest is None:                       # let load_scenario say what is wrong
        return load_scenario(path, horizon=horizon)
    key = (os.path.abspath(filename), filename, horizon, digest)
    with _SCENARIOS_LOCK:
        hit = _SCENARIOS.get(key)
    if hit is not None and all(_digest(p) == d for p, d in hit[1]):
        with _SCENARIOS_LOCK:
            if key in _SCENARIOS:
                _SCENARIOS.move_to_end(key)
        return hit[0]
    token = _CSV_READS.set([])
    try:
        scenario = load_scenario(path, horizon=horizon)
        reads = tuple(_CSV_READS.get() or ())
    finally:
        _CSV_READS.reset(token)
    if _digest(filename) == digest:          # unchanged while it was read: the key holds
        with _SCENARIOS_LOCK:
            _SCENARIOS[key] = (scenario, reads)
            _SCENARIOS.move_to_end(key)
            while len(_SCENARIOS) > SCENARIO_CACHE_SIZE:
                _SCENARIOS.popitem(last=False)
    return scenario
