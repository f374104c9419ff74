"""Readers for the store records the non-demand calibrations use (报损/盘点, 活鱼到货, 保质期观察).

Three files, each optional for ``jxc-rules calibrate``; formats and examples in
``docs/calibrate-logs.md``, example files in ``industries/hotpot/stores/examples/``:

``--wastage`` (:func:`read_wastage_log`) — one row per stock-count period and item::

    date,item,net_dine_in,net_takeaway,net_group_meal,actual

  ``date`` is the day of the closing stock count (ISO ``2026-03-07``); ``net_<channel>`` the
  *theoretical* as-purchased usage of the item sold on that channel in the period (sales ×
  recipe ÷ yield, what an ERP's 理论用量 report gives; one column per channel of the pack's loss
  model, Chinese channel names such as ``net_堂食`` allowed); ``actual`` the usage from the
  stock counts, or instead the three columns ``opening,purchased,closing`` (actual = opening +
  purchased − closing). One unit per row (kg, 斤, pieces — net and actual alike). This is what
  :func:`jxc_rules.wastage.calibrate.calibrate_channel_losses` fits. Optional
  ``recorded_<cause>`` columns (``recorded_spoilage``, ...) hold the discards booked by cause in
  the 报损 book over the period: with them the split by cause is fitted too.

``--fish`` (:func:`read_fish_receipts`) — one row per live-fish delivery::

    date,item,shipped_kg,received_kg,hours[,dead_kg][,temp_c][,shipment]

  live weight loaded at the market, live weight weighed in at the store, hours in transit,
  optionally the dead weight weighed apart, the mean water temperature, and a delivery id (two
  deliveries of one item on one day need distinct ``shipment`` ids). What
  :func:`jxc_rules.live_weight.calibration.fit_rate` fits.

``--shelf-life`` (:func:`read_temperature_log`) — one row per batch kept until it failed the
  store's check::

    item,temp_c,shelf_life_h[,date][,batch]

  ``temp_c`` the storage temperature (the cold room's set point, or the mean of its temperature
  log over the batch's life), ``shelf_life_h`` (or ``shelf_life_d`` in days) the hours from
  receipt until the batch failed the sensory/microbial check. What
  :func:`jxc_rules.shelf_life.calibrate.fit_shelf_life` fits.

Checking
--------
Every bad cell is a :class:`~jxc_rules.errors.DataFileError` with ``file:line:column`` (line 1 is
the header of a CSV, a data row's line is its physical line; a spreadsheet gives its sheet row and
column), the column as ``field``, and what to do: a missing or unknown column, an empty, unparsable,
negative, infinite or NaN number, a duplicated key row (both lines named), dates out of order
within an item, an item the pack does not know. Nothing is skipped except wholly blank lines.
Files above :data:`MAX_BYTES` are refused before reading. ``.xlsx`` files (first sheet) are read
with openpyxl when it is installed (``pip install jxc-rules[calibrate]``); everything else is
read as CSV (UTF-8, with or without BOM; GB18030 — what Excel saves on a Chinese Windows — as a
fallback).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import attrs

from jxc_rules.errors import DataFileError, SourceLocation

if TYPE_CHECKING:  # the pack is passed in loaded: reading a log does not import the schema
    from jxc_rules.rules.schema import RulePack

__all__ = [
    "MAX_BYTES",
    "FishReceipt",
    "FishReceipts",
    "ShelfLifeObservation",
    "ShelfLifeObservations",
    "WastageLog",
    "WastagePeriod",
    "read_fish_receipts",
    "read_shelf_life_observations",
    "read_temperature_log",
    "read_wastage_log",
]

MAX_BYTES = 64 * 1024 * 1024
"""Largest data file read (64 MiB: years of daily rows of a chain's stores fit many times)."""

PathLike = str | os.PathLike[str]
T = TypeVar("T")


# --------------------------------------------------------------------------------------------
# records


@attrs.frozen
class WastagePeriod:
    """One stock-count period of one item: theoretical usage per channel and actual usage."""

    line: int
    date: dt.date
    item: str
    net: tuple[float, ...]
    actual: float
    recorded: tuple[float, ...] = ()


@attrs.frozen
class WastageLog:
    """A wastage / stock-count log: ``channels`` name the ``net`` entries of every period,
    ``causes`` the ``recorded`` ones (discards the staff booked by cause; empty: not recorded)."""

    source: str
    channels: tuple[str, ...]
    periods: tuple[WastagePeriod, ...]
    causes: tuple[str, ...] = ()

    @property
    def items(self) -> tuple[str, ...]:
        """Items in order of first appearance."""
        return tuple(dict.fromkeys(p.item for p in self.periods))

    def to_csv(self, path: PathLike) -> None:
        """Write the log back in the ``actual`` layout :func:`read_wastage_log` reads."""
        rows = [[p.date.isoformat(), p.item, *map(repr, p.net), repr(p.actual),
                 *map(repr, p.recorded)] for p in self.periods]
        _write_csv(path, ["date", "item", *(f"net_{c}" for c in self.channels), "actual",
                          *(f"recorded_{c}" for c in self.causes)], rows)


@attrs.frozen
class FishReceipt:
    """One live-fish delivery (weights in kg, hours in transit, mean water temperature)."""

    line: int
    date: dt.date
    item: str
    shipped_kg: float
    received_kg: float
    hours: float
    dead_kg: float = 0.0
    temp_c: float | None = None
    shipment: str = ""


@attrs.frozen
class FishReceipts:
    """Live-fish deliveries; ``has_temp`` says the file had a ``temp_c`` column."""

    source: str
    receipts: tuple[FishReceipt, ...]
    has_temp: bool = False

    @property
    def items(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.item for r in self.receipts))

    def of(self, item: str) -> tuple[FishReceipt, ...]:
        """The deliveries of ``item`` in file order."""
        return tuple(r for r in self.receipts if r.item == item)

    def to_csv(self, path: PathLike) -> None:
        """Write the receipts back in the layout :func:`read_fish_receipts` reads."""
        header = ["date", "item", "shipped_kg", "received_kg", "hours", "dead_kg"]
        if self.has_temp:
            header.append("temp_c")
        header.append("shipment")
        rows = []
        for r in self.receipts:
            row = [r.date.isoformat(), r.item, repr(r.shipped_kg), repr(r.received_kg),
                   repr(r.hours), repr(r.dead_kg)]
            if self.has_temp:
                row.append(repr(r.temp_c))
            row.append(r.shipment)
            rows.append(row)
        _write_csv(path, header, rows)


@attrs.frozen
class ShelfLifeObservation:
    """One batch: storage temperature (°C) and the hours it kept."""

    line: int
    item: str
    temp_c: float
    shelf_life_h: float
    date: dt.date | None = None
    batch: str = ""


@attrs.frozen
class ShelfLifeObservations:
    """Shelf lives observed at storage temperatures."""

    source: str
    observations: tuple[ShelfLifeObservation, ...]

    @property
    def items(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(o.item for o in self.observations))

    def of(self, item: str) -> tuple[ShelfLifeObservation, ...]:
        return tuple(o for o in self.observations if o.item == item)

    def to_csv(self, path: PathLike) -> None:
        """Write the observations back in the layout :func:`read_temperature_log` reads."""
        rows = [[o.item, repr(o.temp_c), repr(o.shelf_life_h),
                 "" if o.date is None else o.date.isoformat(), o.batch]
                for o in self.observations]
        _write_csv(path, ["item", "temp_c", "shelf_life_h", "date", "batch"], rows)


def _write_csv(path: PathLike, header: list[str], rows: Iterable[Sequence[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


# --------------------------------------------------------------------------------------------
# the table: rows of text cells with where each came from


@attrs.frozen
class _Row:
    line: int
    cells: tuple[str, ...]


@attrs.define
class _Table:
    file: str
    header: tuple[str, ...]
    rows: list[_Row]
    spreadsheet: bool = False

    def col(self, name: str) -> int | None:
        """0-based index of column ``name`` (None: absent)."""
        try:
            return self.header.index(name)
        except ValueError:
            return None

    def where(self, line: int, col: int | None) -> SourceLocation:
        return SourceLocation(self.file, line, None if col is None else col + 1)

    def error(self, message: str, line: int, col: int | None, field: str | None,
              value: object = None) -> DataFileError:
        return DataFileError(message, location=self.where(line, col), field=field, value=value)

    def require(self, *names: str, layout: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for name in names:
            idx = self.col(name)
            if idx is None:
                raise DataFileError(
                    f"missing column {name!r} (the header has {', '.join(self.header) or 'nothing'}"
                    f"); this file needs the columns {layout}",
                    location=SourceLocation(self.file, 1, None), field=name)
            out[name] = idx
        return out

    def cell(self, row: _Row, col: int) -> str:
        return row.cells[col].strip() if col < len(row.cells) else ""


def _read_table(path: PathLike, *, max_bytes: int | None = None) -> _Table:
    """The rows of a CSV (UTF-8, else GB18030) or ``.xlsx`` file, header first, each with its
    physical line; ``max_bytes`` bounds the file (default :data:`MAX_BYTES`)."""
    limit = MAX_BYTES if max_bytes is None else max_bytes
    p = Path(path)
    name = str(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise DataFileError(f"cannot read the file ({exc.strerror or exc}); check the path",
                            location=SourceLocation(name)) from None
    if size > limit:
        raise DataFileError(
            f"the file is {size / 2**20:.1f} MiB, above the {limit // 2**20} MiB limit; split "
            "it by year or by store", location=SourceLocation(name))
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(p, name)
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError as exc:
            line = raw[:exc.start].count(b"\n") + 1
            raise DataFileError("the file is neither UTF-8 nor GB18030 text; save it as CSV "
                                "UTF-8", location=SourceLocation(name, line)) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header: tuple[str, ...] | None = None
    rows: list[_Row] = []
    last = 0
    try:
        for cells in reader:
            start = last + 1
            last = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                header = tuple(c.strip().lower() for c in cells)
                if start != 1:
                    raise DataFileError("blank lines before the header; the header must be "
                                        "line 1", location=SourceLocation(name, start, 1))
                continue
            rows.append(_Row(start, tuple(cells)))
    except csv.Error as exc:
        raise DataFileError(f"not a readable CSV ({exc}); check the quotes on this line",
                            location=SourceLocation(name, last + 1)) from None
    return _finish_table(name, header, rows, spreadsheet=False)


def _read_xlsx(p: Path, name: str) -> _Table:
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - depends on the environment
        raise DataFileError("reading .xlsx needs openpyxl (pip install 'jxc-rules[calibrate]'), "
                            "or save the sheet as CSV", location=SourceLocation(name)) from None
    try:
        book = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise DataFileError(f"not a readable .xlsx workbook ({exc}); re-save it from Excel or "
                            "as CSV", location=SourceLocation(name)) from None
    try:
        sheet = book.worksheets[0]
        where = f"{name}[{sheet.title}]"
        header: tuple[str, ...] | None = None
        rows: list[_Row] = []
        for r, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = tuple(_xlsx_text(v) for v in values)
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                header = tuple(c.strip().lower() for c in cells)
                if r != 1:
                    raise DataFileError("blank rows before the header; the header must be "
                                        "row 1", location=SourceLocation(where, r, 1))
                while header and not header[-1]:
                    header = header[:-1]
                continue
            rows.append(_Row(r, cells))
    finally:
        book.close()
    return _finish_table(where, header, rows, spreadsheet=True)


def _xlsx_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _finish_table(name: str, header: tuple[str, ...] | None, rows: list[_Row], *,
                  spreadsheet: bool) -> _Table:
    if header is None:
        raise DataFileError("the file is empty; it needs a header line and data rows",
                            location=SourceLocation(name, 1))
    seen: dict[str, int] = {}
    for k, col in enumerate(header):
        if not col:
            raise DataFileError("an empty column name in the header; name the column or delete "
                                "it", location=SourceLocation(name, 1, k + 1))
        if col in seen:
            raise DataFileError(f"column {col!r} appears twice in the header (columns "
                                f"{seen[col] + 1} and {k + 1}); keep one",
                                location=SourceLocation(name, 1, k + 1), field=col)
        seen[col] = k
    if not rows:
        raise DataFileError("the file has a header but no data rows",
                            location=SourceLocation(name, 2), field=None)
    table = _Table(name, header, rows, spreadsheet)
    for row in rows:
        extra = [i for i in range(len(header), len(row.cells)) if row.cells[i].strip()]
        if extra:
            raise table.error(f"a value beyond the last column ({header[-1]!r}): "
                              f"{row.cells[extra[0]].strip()!r}; remove it or add a column name",
                              row.line, extra[0], None, row.cells[extra[0]])
    return table


# --------------------------------------------------------------------------------------------
# cells


def _number(table: _Table, row: _Row, col: int, *, minimum: float | None = 0.0,
            positive: bool = False, what: str = "a number",
            maximum: float | None = None) -> float:
    field = table.header[col]
    text = table.cell(row, col)
    if not text:
        raise table.error(f"{field} is empty; fill in {what}", row.line, col, field)
    try:
        value = float(text)
    except ValueError:
        raise table.error(f"{field} must be {what}, got {text!r}; write a plain number such as "
                          "12.5 (no units)", row.line, col, field, text) from None
    if not math.isfinite(value):
        raise table.error(f"{field} must be a finite number, got {text!r}; fill in the measured "
                          "value", row.line, col, field, text)
    if positive and value <= 0:
        raise table.error(f"{field} must be > 0, got {text}; {what} cannot be zero or negative",
                          row.line, col, field, value)
    if minimum is not None and value < minimum:
        raise table.error(f"{field} must be >= {minimum:g}, got {text}; check the sign (a "
                          f"quantity is never negative)", row.line, col, field, value)
    if maximum is not None and value > maximum:
        raise table.error(f"{field} must be <= {maximum:g}, got {text}; check the unit",
                          row.line, col, field, value)
    return value


def _date(table: _Table, row: _Row, col: int) -> dt.date:
    field = table.header[col]
    text = table.cell(row, col)
    if not text:
        raise table.error(f"{field} is empty; write the date as YYYY-MM-DD", row.line, col, field)
    norm = text.replace("/", "-").replace(".", "-")
    if "T" in norm:
        norm = norm.split("T", 1)[0]
    elif " " in norm:
        norm = norm.split(" ", 1)[0]
    try:
        y, m, d = (int(part) for part in norm.split("-"))
        return dt.date(y, m, d)
    except (ValueError, TypeError, OverflowError):
        raise table.error(f"{field} must be a date YYYY-MM-DD, got {text!r}", row.line, col,
                          field, text) from None


def _item(table: _Table, row: _Row, col: int, known: Iterable[str], where: str) -> str:
    field = table.header[col]
    text = table.cell(row, col)
    names = list(known)
    if not text:
        raise table.error(f"{field} is empty; write one of the pack's items ({', '.join(names)})",
                          row.line, col, field)
    if text not in names:
        listed = ", ".join(names[:12]) + (f", ... ({len(names)} in all)" if len(names) > 12
                                           else "")
        raise table.error(f"unknown item {text!r}: {where} has {listed or 'none'}; use "
                          "the pack's item id, or add the item to the pack first",
                          row.line, col, field, text)
    return text


def _check_order(table: _Table, keyed: Iterable[tuple[str, dt.date, _Row]], col: int) -> None:
    """Dates must not go backwards within an item (a sorted export): an unsorted file is
    refused rather than silently reordered."""
    last: dict[str, tuple[dt.date, int]] = {}
    for item, day, row in keyed:
        prev = last.get(item)
        if prev is not None and day < prev[0]:
            raise table.error(
                f"dates out of order for {item}: {day.isoformat()} comes after "
                f"{prev[0].isoformat()} (line {prev[1]}); sort the file by date",
                row.line, col, table.header[col], day.isoformat())
        last[item] = (day, row.line)


def _no_duplicates(table: _Table, keyed: Iterable[tuple[T, _Row]], col: int, what: str,
                   fix: str) -> None:
    seen: dict[T, int] = {}
    for key, row in keyed:
        if key in seen:
            raise table.error(f"duplicated {what} {key!r}: also on line {seen[key]}; {fix}",
                              row.line, col, table.header[col], key)
        seen[key] = row.line


def _unknown_columns(table: _Table, allowed: Callable[[str], bool], layout: str) -> None:
    for k, name in enumerate(table.header):
        if not allowed(name):
            raise DataFileError(f"unknown column {name!r}; this file has the columns {layout}",
                                location=SourceLocation(table.file, 1, k + 1), field=name)


def _pack_name(pack: RulePack) -> str:
    return f"{pack.industry} {pack.version}"


def _rows(table: _Table) -> Iterator[_Row]:
    return iter(table.rows)


# --------------------------------------------------------------------------------------------
# readers

_WASTAGE_LAYOUT = ("date, item, net_<channel> per channel, and actual (or opening, purchased, "
                   "closing) [, recorded_<cause> per cause recorded]")


def read_wastage_log(path: PathLike, pack: RulePack) -> WastageLog:
    """Read a stock-count / wastage log for :func:`~jxc_rules.calibrate.kernels.\
calibrate_channel_loss`.

    Columns: ``date`` (closing count day), ``item`` (a pack item), ``net_<channel>`` for each
    channel sold (theoretical as-purchased usage; channels of the pack's loss model, Chinese
    names allowed), and ``actual`` — or ``opening``, ``purchased``, ``closing``; optionally
    ``recorded_<cause>`` (``prep``, ``spoilage``, ``plate``, ``packaging``, ``other``): the
    discards booked for that cause in the period, over all channels, same unit — with them the
    split by cause is fitted, not taken from the pack. ``(date, item)`` must be unique and dates
    must not go backwards within an item.

    Raises
    ------
    DataFileError
        ``file:line:column`` of the first bad cell, the column as ``field``.
    """
    from jxc_rules.wastage.models import CAUSES, canonical_channel

    table = _read_table(path)
    if pack.wastage is None:
        raise DataFileError(f"pack {_pack_name(pack)} has no wastage section to calibrate; use "
                            "a pack with wastage.loss_model", location=SourceLocation(table.file),
                            field="wastage")
    model = pack.wastage.loss_model
    pack_channels = tuple(model.channels)
    cols = table.require("date", "item", layout=_WASTAGE_LAYOUT)
    net_cols: list[tuple[str, int]] = []
    for k, name in enumerate(table.header):
        if name.startswith("net_"):
            channel = canonical_channel(name[4:]) if name[4:].strip() else ""
            if channel not in pack_channels:
                raise DataFileError(
                    f"unknown channel {name[4:]!r} in column {name!r}; the pack's loss model has "
                    f"{', '.join(pack_channels)} (columns net_{pack_channels[0]}, ...)",
                    location=SourceLocation(table.file, 1, k + 1), field=name)
            if channel in (c for c, _ in net_cols):
                raise DataFileError(f"two columns name channel {channel!r}; keep one",
                                    location=SourceLocation(table.file, 1, k + 1), field=name)
            net_cols.append((channel, k))
    if not net_cols:
        raise DataFileError(
            "no net_<channel> column; add the theoretical usage per channel, e.g. "
            + ", ".join(f"net_{c}" for c in pack_channels),
            location=SourceLocation(table.file, 1), field="net_" + pack_channels[0])
    rec_cols: list[tuple[str, int]] = []
    for k, name in enumerate(table.header):
        if name.startswith("recorded_"):
            if name[9:] not in CAUSES:
                raise DataFileError(
                    f"unknown cause {name[9:]!r} in column {name!r}; the causes are "
                    f"{', '.join(CAUSES)} (columns recorded_prep, recorded_spoilage, ...)",
                    location=SourceLocation(table.file, 1, k + 1), field=name)
            rec_cols.append((name[9:], k))
    has_actual = table.col("actual") is not None
    counts = [table.col(n) for n in ("opening", "purchased", "closing")]
    if has_actual and any(c is not None for c in counts):
        raise DataFileError("both actual and opening/purchased/closing given; keep one way",
                            location=SourceLocation(table.file, 1, (table.col("actual") or 0) + 1),
                            field="actual")
    if not has_actual:
        table.require("opening", "purchased", "closing", layout=_WASTAGE_LAYOUT)
    known = {"date", "item", "actual", "opening", "purchased", "closing", "unit", "note"}
    _unknown_columns(table, lambda n: n in known or n.startswith(("net_", "recorded_")),
                     _WASTAGE_LAYOUT)

    periods: list[WastagePeriod] = []
    where = f"pack {_pack_name(pack)}"
    for row in _rows(table):
        day = _date(table, row, cols["date"])
        item = _item(table, row, cols["item"], pack.items, where)
        net = tuple(_number(table, row, k, what="a theoretical usage >= 0") for _, k in net_cols)
        if has_actual:
            ka = table.col("actual")
            assert ka is not None
            actual = _number(table, row, ka, what="the actual usage from the stock counts")
        else:
            ko, kp, kc = (c for c in counts if c is not None)
            opening = _number(table, row, ko, what="the opening stock")
            purchased = _number(table, row, kp, what="the quantity purchased")
            closing = _number(table, row, kc, what="the closing stock")
            actual = opening + purchased - closing
            if actual < 0:
                raise table.error(
                    f"closing stock {closing:g} is above opening + purchased "
                    f"({opening:g} + {purchased:g}): usage would be negative; check the count "
                    "or a missing purchase", row.line, kc, "closing", closing)
        recorded = tuple(_number(table, row, k, what="the discards recorded for this cause "
                                 "(0 when none)") for _, k in rec_cols)
        periods.append(WastagePeriod(row.line, day, item, net, actual, recorded))
    _no_duplicates(table, (((p.date.isoformat(), p.item), r) for p, r in
                           zip(periods, table.rows, strict=True)), cols["date"],
                   "(date, item)", "keep one row per item and stock-count date")
    _check_order(table, ((p.item, p.date, r) for p, r in zip(periods, table.rows, strict=True)),
                 cols["date"])
    return WastageLog(table.file, tuple(c for c, _ in net_cols), tuple(periods),
                      tuple(c for c, _ in rec_cols))


_FISH_LAYOUT = "date, item, shipped_kg, received_kg, hours [, dead_kg] [, temp_c] [, shipment]"


def read_fish_receipts(path: PathLike, pack: RulePack) -> FishReceipts:
    """Read live-fish deliveries for :func:`~jxc_rules.calibrate.kernels.calibrate_transit`.

    Columns: ``date``, ``item`` (an item with a ``live_weight`` entry in the pack),
    ``shipped_kg`` (> 0), ``received_kg`` (> 0), ``hours`` (>= 0); optional ``dead_kg`` (dead
    weight weighed apart, below shipped), ``temp_c`` (mean water temperature, every row then),
    ``shipment`` (delivery id: ``(date, item, shipment)`` is unique). Dates must not go
    backwards within an item.
    """
    table = _read_table(path)
    cols = table.require("date", "item", "shipped_kg", "received_kg", "hours",
                         layout=_FISH_LAYOUT)
    optional = {n: table.col(n) for n in ("dead_kg", "temp_c", "shipment")}
    allowed = {*cols, *optional, "note", "supplier"}
    _unknown_columns(table, lambda n: n in allowed, _FISH_LAYOUT)
    live = dict(pack.live_weight)
    out: list[FishReceipt] = []
    where = f"the live_weight section of {_pack_name(pack)}"
    for row in _rows(table):
        day = _date(table, row, cols["date"])
        item = _item(table, row, cols["item"], live, where)
        shipped = _number(table, row, cols["shipped_kg"], positive=True,
                          what="the live weight loaded (kg)")
        received = _number(table, row, cols["received_kg"], positive=True,
                           what="the live weight received (kg)")
        hours = _number(table, row, cols["hours"], what="the hours in transit", maximum=240.0)
        dead = 0.0
        if optional["dead_kg"] is not None and table.cell(row, optional["dead_kg"]):
            dead = _number(table, row, optional["dead_kg"], what="the dead weight (kg)")
            if dead >= shipped:
                raise table.error(f"dead_kg {dead:g} is not below shipped_kg {shipped:g}; no "
                                  "live fish left to weigh", row.line, optional["dead_kg"],
                                  "dead_kg", dead)
        temp = None
        if optional["temp_c"] is not None:
            temp = _number(table, row, optional["temp_c"], minimum=-5.0, maximum=45.0,
                           what="the mean water temperature in °C (fill every row, or drop "
                           "the column)")
        shipment = "" if optional["shipment"] is None else table.cell(row, optional["shipment"])
        out.append(FishReceipt(row.line, day, item, shipped, received, hours, dead, temp,
                               shipment))
    key_col = optional["shipment"] if optional["shipment"] is not None else cols["date"]
    _no_duplicates(table, (((r.date.isoformat(), r.item, r.shipment), row) for r, row in
                           zip(out, table.rows, strict=True)), key_col,
                   "delivery (date, item, shipment)",
                   "give each delivery of the day its own shipment id (a shipment column), or "
                   "remove the repeated row")
    _check_order(table, ((r.item, r.date, row) for r, row in zip(out, table.rows, strict=True)),
                 cols["date"])
    return FishReceipts(table.file, tuple(out), optional["temp_c"] is not None)


_SHELF_LAYOUT = "item, temp_c, shelf_life_h (or shelf_life_d) [, date] [, batch]"


def read_temperature_log(path: PathLike, pack: RulePack) -> ShelfLifeObservations:
    """Read shelf lives observed at storage temperatures for
    :func:`~jxc_rules.calibrate.kernels.calibrate_shelf_life`.

    Columns: ``item`` (an item with a ``shelf_life`` rule in the pack), ``temp_c`` (storage
    temperature, -30 to 60 °C: the set point, or the mean of the temperature log over the batch's
    life), ``shelf_life_h`` (> 0 hours until the batch failed the check) or ``shelf_life_d``
    (days); optional ``date`` (day the batch was received) and ``batch`` (id; ``(item, batch)``
    unique).
    """
    table = _read_table(path)
    cols = table.require("item", "temp_c", layout=_SHELF_LAYOUT)
    life_col = table.col("shelf_life_h")
    days_col = table.col("shelf_life_d")
    if life_col is None and days_col is None:
        table.require("shelf_life_h", layout=_SHELF_LAYOUT)
    if life_col is not None and days_col is not None:
        raise DataFileError("both shelf_life_h and shelf_life_d given; keep one",
                            location=SourceLocation(table.file, 1, days_col + 1),
                            field="shelf_life_d")
    date_col, batch_col = table.col("date"), table.col("batch")
    allowed = {"item", "temp_c", "shelf_life_h", "shelf_life_d", "date", "batch", "note"}
    _unknown_columns(table, lambda n: n in allowed, _SHELF_LAYOUT)
    rules = dict(pack.shelf_life)
    out: list[ShelfLifeObservation] = []
    where = f"the shelf_life section of {_pack_name(pack)}"
    for row in _rows(table):
        item = _item(table, row, cols["item"], rules, where)
        temp = _number(table, row, cols["temp_c"], minimum=-30.0, maximum=60.0,
                       what="the storage temperature in °C")
        if life_col is not None:
            life = _number(table, row, life_col, positive=True, what="the hours the batch kept")
        else:
            assert days_col is not None
            life = 24.0 * _number(table, row, days_col, positive=True,
                                  what="the days the batch kept")
        day = None if date_col is None or not table.cell(row, date_col) else \
            _date(table, row, date_col)
        batch = "" if batch_col is None else table.cell(row, batch_col)
        out.append(ShelfLifeObservation(row.line, item, temp, life, day, batch))
    if batch_col is not None:
        _no_duplicates(table, (((o.item, o.batch), row) for o, row in
                               zip(out, table.rows, strict=True) if o.batch), batch_col,
                       "(item, batch)", "give each batch its own id, or remove the repeated row")
    return ShelfLifeObservations(table.file, tuple(out))


read_shelf_life_observations = read_temperature_log
"""Alias: the file holds shelf lives observed at (logged) storage temperatures."""
