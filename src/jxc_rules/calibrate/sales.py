"""Daily sales as a store exports them: read, check, and lay out as arrays.

File format (CSV in UTF-8 or GB18030, header on line 1; or an Excel ``.xlsx`` export, first
sheet)::

    date,location,item,channel,quantity,stockout,weather
    2026-03-01,chengdu-01,dish_beef,dine_in,131,0,rain
    2026-03-01,chengdu-01,dish_beef,takeaway,47,0,rain

* ``date`` (YYYY-MM-DD), ``item``, ``channel`` and ``quantity`` are required; ``location`` is
  optional (one store when absent).
* ``item`` is a dish (a recipe's parent) or a stock item of the pack; ``channel`` one of the
  pack's channels (``dine_in``, ``takeaway``, ``group_meal``).
* ``quantity`` is a whole count sold that day (plates, portions, packs), ``>= 0``.
* ``stockout`` is ``0``/``1``: 1 when the item sold out that day, so demand was *at least* the
  quantity (censored). A POS that exports ``on_hand`` (closing stock) instead: ``on_hand = 0``
  counts as a stock-out.
* ``weather`` (optional; or a separate file, :func:`read_weather`): ``clear`` or the pack's
  weather names, several joined by ``+`` (``rain+snow``).

Checks, each raising :class:`~jxc_rules.errors.DataFileError` with ``file:line:column``, the
column and the fix: a missing column, an empty file, an unparsable date or number, a negative or
fractional quantity, an unknown item, channel or weather, a duplicated (date, location, item,
channel), dates out of order, a day missing from an item's series (a day without sales is a row
with 0, never a missing row), and a file larger than :data:`MAX_BYTES`. Nothing is dropped.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from jxc_rules.errors import DataFileError, SourceLocation

__all__ = ["MAX_BYTES", "SalesData", "pack_channels", "pack_sellables", "read_sales",
           "read_weather", "sales_from_rows"]

MAX_BYTES = 256 * 2**20
"""Largest sales file read (256 MiB: ten years of 200 dishes × 3 channels is ~60 MiB)."""

REQUIRED = ("date", "item", "channel", "quantity")
OPTIONAL = ("location", "stockout", "on_hand", "weather", "waste_yuan")
_DEFAULT_LOCATION = "store"


@attrs.frozen(eq=False)
class SalesData:
    """A complete daily panel: ``quantity[D, L, N, C]`` sold, ``stockout[D, L, N]`` (demand was
    cut that day: censored), ``weather[D][L]`` the states of each day and location (a frozenset;
    empty = clear; None when the file gives no weather), over ``dates`` × ``locations`` ×
    ``items`` × ``channels``. ``present[L, N, C]`` says which series the file has."""

    source: str
    dates: tuple[dt.date, ...]
    locations: tuple[str, ...]
    items: tuple[str, ...]
    channels: tuple[str, ...]
    quantity: npt.NDArray[np.float64]
    stockout: npt.NDArray[np.bool_]
    present: npt.NDArray[np.bool_]
    weather: tuple[tuple[frozenset[str], ...], ...] | None

    @property
    def days(self) -> int:
        return len(self.dates)

    def between(self, first: dt.date, last: dt.date) -> SalesData:
        """The days ``first``..``last`` (inclusive) of this panel."""
        keep = [k for k, d in enumerate(self.dates) if first <= d <= last]
        sl = slice(keep[0], keep[-1] + 1) if keep else slice(0, 0)
        return attrs.evolve(
            self, dates=self.dates[sl], quantity=self.quantity[sl], stockout=self.stockout[sl],
            weather=None if self.weather is None else self.weather[sl])


def pack_sellables(pack: Any) -> tuple[str, ...]:
    """What a sales file may name: the pack's dishes (recipe parents) and its stock items."""
    names: list[str] = []
    recipes = getattr(pack, "recipes", None)
    if recipes is not None:
        for line in getattr(recipes, "lines", ()):
            parent = getattr(line, "parent", None)
            if parent is not None and parent not in names:
                names.append(str(parent))
    for item in getattr(pack, "items", {}):
        if item not in names:
            names.append(str(item))
    return tuple(names)


def pack_channels(pack: Any) -> tuple[str, ...]:
    """The channels a sales file may name: the packs' three (``dine_in``, ``takeaway``,
    ``group_meal``), which every holiday, weather and loss section is keyed by."""
    from jxc_rules.rules.schema import CHANNELS

    return tuple(CHANNELS)


def _error(file: str, line: int, column: int | None, field: str | None, message: str
           ) -> DataFileError:
    return DataFileError(message, location=SourceLocation(file, line, column), field=field)


def table_rows(path: str | os.PathLike[str]) -> tuple[str, Iterator[tuple[int, list[str]]]]:
    """``(where, rows)`` of a CSV (UTF-8 or GB18030) or ``.xlsx`` export: ``where`` names the
    file (``file[sheet]`` for a workbook), ``rows`` are ``(physical line, cells)``, header first
    — the one table reader of the calibration's files (:func:`jxc_rules.calibrate.logs`'s),
    at this module's :data:`MAX_BYTES`."""
    from jxc_rules.calibrate.logs import _read_table

    table = _read_table(path, max_bytes=MAX_BYTES)
    rows = [(1, list(table.header)), *((r.line, list(r.cells)) for r in table.rows)]
    return table.file, iter(rows)


def _header(file: str, rows: Iterator[tuple[int, list[str]]], required: Sequence[str],
            optional: Sequence[str]) -> tuple[dict[str, int], Iterator[tuple[int, list[str]]]]:
    try:
        line, head = next(rows)
    except StopIteration:
        raise DataFileError(f"empty file: expected a header with {', '.join(required)}",
                            location=SourceLocation(file, 1)) from None
    cols = {h.strip().lower(): k for k, h in enumerate(head) if h.strip()}
    missing = [c for c in required if c not in cols]
    if missing:
        raise _error(file, line, None, missing[0],
                     f"missing column(s) {', '.join(missing)}; the header has "
                     f"{', '.join(h.strip() for h in head) or 'nothing'} (expected "
                     f"{', '.join(required)} and optionally {', '.join(optional)})")
    return cols, rows


def _date(file: str, line: int, col: int, text: str, field: str = "date") -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise _error(file, line, col + 1, field,
                     f"{field} must be a date YYYY-MM-DD, got {text!r}") from None


def _count(file: str, line: int, col: int, text: str, field: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise _error(file, line, col + 1, field,
                     f"{field} must be a number, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise _error(file, line, col + 1, field,
                     f"{field} must be a finite number >= 0, got {text!r}; a return or "
                     "correction belongs in the day's net sales, not a negative row")
    if not value.is_integer():
        raise _error(file, line, col + 1, field,
                     f"{field} must be a whole count (plates, portions, packs), got {text!r}; "
                     "export counts, not weights, for the count regression")
    return value


def _states(file: str, line: int, col: int, text: str, known: Sequence[str]) -> frozenset[str]:
    value = text.strip().lower()
    if value in ("", "clear", "sunny", "晴"):
        return frozenset()
    parts = frozenset(p.strip() for p in value.split("+"))
    bad = sorted(p for p in parts if p not in known)
    if bad:
        raise _error(file, line, col + 1, "weather",
                     f"weather {bad[0]!r} is not a weather of the pack; use clear or "
                     f"{', '.join(known) or '(the pack has no weather section)'}, several "
                     "joined by +")
    return parts


def read_weather(path: str | os.PathLike[str], pack: Any
                 ) -> dict[tuple[dt.date, str | None], frozenset[str]]:
    """``date[,location],weather`` rows → {(date, location or None): states}."""
    known = tuple(getattr(pack, "weather", {}) or {})
    file, table = table_rows(path)
    cols, rows = _header(file, table, ("date", "weather"), ("location",))
    out: dict[tuple[dt.date, str | None], frozenset[str]] = {}
    seen: dict[tuple[dt.date, str | None], int] = {}
    for line, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        get = _getter(file, line, cells, cols)
        day = _date(file, line, cols["date"], get("date"))
        loc = get("location").strip() or None if "location" in cols else None
        key = (day, loc)
        if key in seen:
            raise _error(file, line, cols["date"] + 1, "date",
                         f"{day} ({loc or 'all locations'}) is already on line {seen[key]}; "
                         "keep one weather row per day and location")
        seen[key] = line
        out[key] = _states(file, line, cols["weather"], get("weather"), known)
    return out


def _getter(file: str, line: int, cells: list[str], cols: Mapping[str, int]) -> Any:
    def get(name: str) -> str:
        k = cols.get(name)
        if k is None:
            return ""
        if k >= len(cells):
            raise _error(file, line, len(cells) + 1, name,
                         f"the row has {len(cells)} cells; column {name} (cell {k + 1}) is "
                         "missing: check the separators of this line")
        return cells[k]
    return get


def read_sales(path: str | os.PathLike[str], pack: Any, *,
               weather: str | os.PathLike[str] | None = None) -> SalesData:
    """Read and check a sales export against ``pack`` (see the module doc for the format).

    ``weather`` is a separate ``date[,location],weather`` file (it replaces a ``weather``
    column of the sales file).
    """
    file, rows = table_rows(path)
    return sales_from_rows(file, rows, pack,
                           weather=None if weather is None else read_weather(weather, pack))


def sales_from_rows(file: str, rows: Iterator[tuple[int, list[str]]], pack: Any, *,
                    weather: Mapping[tuple[dt.date, str | None], frozenset[str]] | None = None
                    ) -> SalesData:
    """:func:`read_sales` on already split rows (``(line, cells)``, header first)."""
    cols, body = _header(file, rows, REQUIRED, OPTIONAL)
    sellable = set(pack_sellables(pack))
    channels_known = pack_channels(pack)
    known_weather = tuple(getattr(pack, "weather", {}) or {})
    records: dict[tuple[dt.date, str, str, str], tuple[float, bool, int]] = {}
    day_weather: dict[tuple[dt.date, str], tuple[frozenset[str], int]] = {}
    last_day: dt.date | None = None
    last_line = 0
    for line, cells in body:
        if not any(c.strip() for c in cells):
            continue
        get = _getter(file, line, cells, cols)
        day = _date(file, line, cols["date"], get("date"))
        if last_day is not None and day < last_day:
            raise _error(file, line, cols["date"] + 1, "date",
                         f"dates out of order: {day} after {last_day} (line {last_line}); "
                         "sort the export by date (a concatenated export is the usual cause)")
        last_day, last_line = day, line
        loc = (get("location").strip() if "location" in cols else "") or _DEFAULT_LOCATION
        item = get("item").strip()
        if item not in sellable:
            import difflib

            close = difflib.get_close_matches(item, sorted(sellable), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise _error(file, line, cols["item"] + 1, "item",
                         f"item {item!r} is neither a dish nor a stock item of the pack{hint}; "
                         "add it to the pack's items/recipes or map the POS name to the pack's id")
        channel = get("channel").strip()
        if channel not in channels_known:
            raise _error(file, line, cols["channel"] + 1, "channel",
                         f"channel {channel!r} is not one of {', '.join(channels_known)}; map "
                         "the POS's channel names (堂食 → dine_in, 外卖 → takeaway, 团餐 → "
                         "group_meal)")
        qty = _count(file, line, cols["quantity"], get("quantity"), "quantity")
        out = False
        if "stockout" in cols:
            flag = get("stockout").strip().lower()
            if flag not in ("0", "1", "", "true", "false"):
                raise _error(file, line, cols["stockout"] + 1, "stockout",
                             f"stockout must be 0 or 1, got {get('stockout')!r}")
            out = flag in ("1", "true")
        elif "on_hand" in cols:
            out = _count(file, line, cols["on_hand"], get("on_hand"), "on_hand") == 0 \
                if get("on_hand").strip() else False
        key = (day, loc, item, channel)
        if key in records:
            raise _error(file, line, cols["date"] + 1, "date",
                         f"{day} {loc} {item} {channel} is already on line {records[key][2]}: "
                         "one row per day, location, item and channel (sum the tickets first)")
        records[key] = (qty, out, line)
        if "weather" in cols and weather is None:
            states = _states(file, line, cols["weather"], get("weather"), known_weather)
            prev = day_weather.get((day, loc))
            if prev is not None and prev[0] != states:
                raise _error(file, line, cols["weather"] + 1, "weather",
                             f"weather {get('weather')!r} differs from line {prev[1]} of the "
                             f"same day and location; one weather per day and location")
            day_weather[(day, loc)] = (states, line)
    if not records:
        raise DataFileError("no data rows after the header: nothing to calibrate from",
                            location=SourceLocation(file, 2))
    first = min(k[0] for k in records)
    final = max(k[0] for k in records)
    dates = tuple(first + dt.timedelta(days=k) for k in range((final - first).days + 1))
    locations = tuple(dict.fromkeys(k[1] for k in records))
    items = tuple(n for n in pack_sellables(pack) if any(k[2] == n for k in records))
    channels = tuple(c for c in channels_known if any(k[3] == c for k in records))
    d_ix = {d: k for k, d in enumerate(dates)}
    l_ix = {x: k for k, x in enumerate(locations)}
    n_ix = {x: k for k, x in enumerate(items)}
    c_ix = {x: k for k, x in enumerate(channels)}
    qty_arr = np.full((len(dates), len(locations), len(items), len(channels)), np.nan)
    out_arr = np.zeros((len(dates), len(locations), len(items)), dtype=bool)
    for (day, loc, item, ch), (q, flag, _line) in records.items():
        qty_arr[d_ix[day], l_ix[loc], n_ix[item], c_ix[ch]] = q
        out_arr[d_ix[day], l_ix[loc], n_ix[item]] |= flag
    present = ~np.isnan(qty_arr).all(axis=0)
    gaps = np.isnan(qty_arr) & present[None]
    if gaps.any():
        d, lo, n, c = (int(x[0]) for x in np.nonzero(gaps))
        count = int(gaps.sum())
        raise DataFileError(
            f"{dates[d]} has no row for {locations[lo]} {items[n]} {channels[c]} "
            f"({count} such day(s) in all): a day without sales is a row with quantity 0, a "
            "day the store was closed is a row with quantity 0 and stockout 1",
            location=SourceLocation(file), field="date")
    weather_out: tuple[tuple[frozenset[str], ...], ...] | None = None
    if weather is not None:
        rows_w: list[tuple[frozenset[str], ...]] = []
        for day in dates:
            per_loc = []
            for loc in locations:
                got_w = weather.get((day, loc))
                if got_w is None:
                    got_w = weather.get((day, None))
                if got_w is None:
                    raise DataFileError(f"the weather file has no row for {day} ({loc}); give "
                                        "every day of the sales (clear when nothing)",
                                        location=SourceLocation(file), field="weather")
                per_loc.append(got_w)
            rows_w.append(tuple(per_loc))
        weather_out = tuple(rows_w)
    elif day_weather:
        rows_w = []
        for day in dates:
            per_loc = []
            for loc in locations:
                got = day_weather.get((day, loc))
                per_loc.append(frozenset() if got is None else got[0])
            rows_w.append(tuple(per_loc))
        weather_out = tuple(rows_w)
    return SalesData(file, dates, locations, items, channels, np.nan_to_num(qty_arr),
                     out_arr, present, weather_out)
