"""A store's sales export: every bad input is a clear error naming file:line:column and the
column, or a stated refusal to fit — nothing silently dropped."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jxc_rules.calibrate.demand import fit_demand
from jxc_rules.calibrate.sales import read_sales, read_weather
from jxc_rules.errors import DataFileError, JxcRulesError, ValidationError

HEADER = "date,location,item,channel,quantity,stockout,weather\n"


def _write(tmp_path: Path, text: str, name: str = "sales.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _good_rows(days: int = 3, start: dt.date = dt.date(2026, 3, 2)) -> list[str]:
    rows = []
    for k in range(days):
        day = (start + dt.timedelta(days=k)).isoformat()
        for ch in ("dine_in", "takeaway"):
            rows.append(f"{day},s1,dish_beef,{ch},{10 + k},0,clear\n")
    return rows


def _error(tmp_path: Path, pack: Any, text: str) -> DataFileError:
    with pytest.raises(DataFileError) as info:
        read_sales(_write(tmp_path, text), pack)
    err = info.value
    assert isinstance(err, JxcRulesError)
    assert isinstance(err, ValueError)
    assert err.location is not None
    assert err.location.file.endswith("sales.csv")
    return err


def test_a_good_file_reads_as_a_complete_panel(tmp_path: Path, pack: Any) -> None:
    sales = read_sales(_write(tmp_path, HEADER + "".join(_good_rows())), pack)
    assert sales.quantity.shape == (3, 1, 1, 2)
    assert sales.quantity[:, 0, 0, 0].tolist() == [10, 11, 12]
    assert sales.items == ("dish_beef",)
    assert sales.channels == ("dine_in", "takeaway")


def test_missing_columns_are_named_with_what_the_header_has(tmp_path: Path, pack: Any) -> None:
    err = _error(tmp_path, pack, "date,item,qty\n2026-03-02,dish_beef,4\n")
    text = str(err)
    assert "sales.csv:1" in text
    assert "channel" in text
    assert "quantity" in text
    assert "qty" in text                 # what the header does have
    assert err.field == "channel"


@pytest.mark.parametrize(("cell", "field", "words"), [
    ("dish_beeef", "item", "did you mean 'dish_beef'"),
    ("dish_beef|堂食", "channel", "dine_in"),
    ("dish_beef|dine_in|-3", "quantity", ">= 0"),
    ("dish_beef|dine_in|2.5", "quantity", "whole count"),
    ("dish_beef|dine_in|nan", "quantity", "finite"),
    ("dish_beef|dine_in|4|2", "stockout", "0 or 1"),
    ("dish_beef|dine_in|4|0|hail", "weather", "clear or rain"),
])
def test_a_bad_cell_names_its_line_column_and_fix(tmp_path: Path, pack: Any, cell: str,
                                                  field: str, words: str) -> None:
    parts = cell.split("|")
    defaults = ["dish_beef", "dine_in", "4", "0", "clear"]
    values = parts + defaults[len(parts):]
    bad = f"2026-03-04,s1,{','.join(values)}\n"
    err = _error(tmp_path, pack, HEADER + "".join(_good_rows(2)) + bad)
    columns = HEADER.strip().split(",")
    assert err.field == field
    assert err.location is not None
    assert (err.location.line, err.location.column) == (6, columns.index(field) + 1)
    assert words in str(err)


def test_duplicated_days_name_both_lines(tmp_path: Path, pack: Any) -> None:
    rows = _good_rows(2)
    err = _error(tmp_path, pack, HEADER + "".join(rows) + rows[-1])
    assert err.location is not None
    assert err.location.line == 6
    assert "already on line 5" in str(err)


def test_dates_out_of_order_are_refused(tmp_path: Path, pack: Any) -> None:
    rows = _good_rows(3)
    err = _error(tmp_path, pack, HEADER + "".join(rows[2:4] + rows[0:2] + rows[4:]))
    assert "out of order" in str(err)
    assert "sort" in str(err)
    assert err.location is not None
    assert err.location.line == 4


def test_a_missing_day_is_not_a_zero(tmp_path: Path, pack: Any) -> None:
    rows = _good_rows(3)
    del rows[2]                       # day 2, dine_in
    err = _error(tmp_path, pack, HEADER + "".join(rows))
    assert "2026-03-03" in str(err)
    assert "quantity 0" in str(err)


def test_empty_and_header_only_files(tmp_path: Path, pack: Any) -> None:
    assert "file is empty" in str(_error(tmp_path, pack, ""))
    assert "no data rows" in str(_error(tmp_path, pack, HEADER))


def test_a_short_row_says_which_cell_is_missing(tmp_path: Path, pack: Any) -> None:
    err = _error(tmp_path, pack, HEADER + "2026-03-02,s1,dish_beef\n")
    assert "cells" in str(err)
    assert err.location is not None
    assert err.location.line == 2


def test_non_utf8_and_oversized_files(tmp_path: Path, pack: Any,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "sales.csv"
    path.write_bytes(HEADER.encode() + "2026-03-02,店,dish_beef,dine_in,1,0,clear\n"
                     .encode("gbk"))
    assert read_sales(path, pack).locations == ("店",)     # a GB18030 (GBK) export reads
    path.write_bytes(HEADER.encode() + b"2026-03-02,\xff\xff\xff,dish_beef,dine_in,1,0,clear\n")
    with pytest.raises(DataFileError, match="UTF-8") as info:
        read_sales(path, pack)
    assert info.value.location is not None
    assert info.value.location.line == 2
    import jxc_rules.calibrate.sales as sales_module

    monkeypatch.setattr(sales_module, "MAX_BYTES", 10)
    with pytest.raises(DataFileError, match="MiB"):
        read_sales(_write(tmp_path, HEADER + "".join(_good_rows())), pack)


def test_weather_file_rows_and_gaps(tmp_path: Path, pack: Any) -> None:
    sales_path = _write(tmp_path, "date,item,channel,quantity\n"
                        "2026-03-02,dish_beef,dine_in,4\n2026-03-03,dish_beef,dine_in,5\n")
    weather = _write(tmp_path, "date,weather\n2026-03-02,rain\n", "w.csv")
    with pytest.raises(DataFileError, match="no row for 2026-03-03"):
        read_sales(sales_path, pack, weather=weather)
    dup = _write(tmp_path, "date,weather\n2026-03-02,rain\n2026-03-02,clear\n", "w2.csv")
    with pytest.raises(DataFileError, match="already on line 2"):
        read_weather(dup, pack)
    ok = _write(tmp_path, "date,weather\n2026-03-02,rain+snow\n2026-03-03,clear\n", "w3.csv")
    sales = read_sales(sales_path, pack, weather=ok)
    assert sales.weather == ((frozenset({"rain", "snow"}),), (frozenset(),))


def test_a_history_too_short_is_refused_with_the_length_needed(tmp_path: Path,
                                                               pack: Any) -> None:
    sales = read_sales(_write(tmp_path, HEADER + "".join(_good_rows(20))), pack)
    with pytest.raises(ValidationError, match="at least 28 days"):
        fit_demand(sales, pack)


def test_a_history_without_a_holiday_refuses_that_holiday(tmp_path: Path, pack: Any) -> None:
    """Eight weeks of March–April: no Spring Festival, no National Day in the data — each
    stated, in en and zh, and none of their fields fitted."""
    rng = np.random.default_rng(3)
    rows = []
    start = dt.date(2026, 3, 2)
    for k in range(56):
        day = (start + dt.timedelta(days=k)).isoformat()
        for ch in ("dine_in", "takeaway", "group_meal"):
            rows.append(f"{day},s1,dish_beef,{ch},{rng.poisson(40)},0,clear\n")
    fit = fit_demand(read_sales(_write(tmp_path, HEADER + "".join(rows)), pack), pack)
    refused = {r.what: r for r in fit.refusals}
    assert "holidays.Spring Festival" in refused
    assert "holidays.National Day" in refused
    assert "春节" in refused["holidays.Spring Festival"].reason_zh
    assert not any(e.path.startswith("holidays.Spring Festival") for e in fit.estimates)


@settings(max_examples=25)
@given(st.lists(st.tuples(st.integers(0, 500), st.booleans()), min_size=3, max_size=12))
def test_reading_is_a_faithful_round_trip(pack: Any, tmp_path_factory: pytest.TempPathFactory,
                                          cells: list[tuple[int, bool]]) -> None:
    """Whatever counts and flags are written come back exactly (nothing rounded, dropped or
    reordered)."""
    folder = tmp_path_factory.mktemp("rt")
    start = dt.date(2026, 5, 4)
    text = "date,item,channel,quantity,stockout\n" + "".join(
        f"{start + dt.timedelta(days=k)},dish_tripe,takeaway,{q},{int(f)}\n"
        for k, (q, f) in enumerate(cells))
    sales = read_sales(_write(folder, text), pack)
    assert sales.quantity[:, 0, 0, 0].tolist() == [q for q, _ in cells]
    assert sales.stockout[:, 0, 0].tolist() == [f for _, f in cells]
    assert sales.locations == ("store",)


def test_an_excel_export_reads_like_its_csv(tmp_path: Path, pack: Any) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    text = HEADER + "".join(_good_rows(4))
    book = openpyxl.Workbook()
    sheet = book.active
    for line in text.splitlines():
        cells: list[Any] = line.split(",")
        if cells[0][:1].isdigit():
            cells[0] = dt.date.fromisoformat(cells[0])      # Excel keeps dates as dates
            cells[4] = int(cells[4])
        sheet.append(cells)
    book.save(tmp_path / "sales.xlsx")
    from_xlsx = read_sales(tmp_path / "sales.xlsx", pack)
    from_csv = read_sales(_write(tmp_path, text), pack)
    assert from_xlsx.dates == from_csv.dates
    assert np.array_equal(from_xlsx.quantity, from_csv.quantity)
    sheet.append(["2026-03-09", "s1", "dish_beef", "dine_in", -1, 0, "clear"])
    book.save(tmp_path / "bad.xlsx")
    with pytest.raises(DataFileError, match="quantity") as info:
        read_sales(tmp_path / "bad.xlsx", pack)
    assert info.value.location is not None
    assert info.value.location.line == 10


def test_an_oversized_fit_is_refused_before_it_is_built(tmp_path: Path, pack: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import jxc_rules.calibrate.demand as demand

    sales = read_sales(_write(tmp_path, HEADER + "".join(_good_rows(30))), pack)
    monkeypatch.setattr(demand, "MAX_DESIGN_CELLS", 100)
    with pytest.raises(ValidationError, match="per location") as info:
        fit_demand(sales, pack)
    assert info.value.field == "sales"


def test_sales_without_weather_refuse_the_weather_fit_in_words(tmp_path: Path,
                                                              pack: Any) -> None:
    """No weather column and no --weather file: the weather multipliers are a stated refusal
    (en and zh), none is estimated, and the rest is still fitted."""
    rng = np.random.default_rng(5)
    start = dt.date(2026, 3, 2)
    rows = [f"{start + dt.timedelta(days=k)},dish_beef,dine_in,{rng.poisson(40)}\n"
            for k in range(42)]
    path = _write(tmp_path, "date,item,channel,quantity\n" + "".join(rows))
    fit = fit_demand(read_sales(path, pack), pack)
    refused = {r.what: r for r in fit.refusals}
    assert "weather" in refused
    assert "天气" in refused["weather"].reason_zh
    assert not any(e.path.startswith("weather.") for e in fit.estimates)
    assert "dine_in" in fit.channels


@pytest.mark.parametrize(("rain_qty", "rain_out", "words"), [
    (0, 0, "nothing sold"), (25, 1, "sold out")])
def test_an_effect_the_data_cannot_bound_is_refused_not_estimated(
        tmp_path: Path, pack: Any, rain_qty: int, rain_out: int, words: str) -> None:
    """Every rainy day sold nothing (the multiplier is 0: no finite estimate), or every rainy
    day sold out (demand only bounded below): ``weather.rain.dine_in`` is a refusal naming why,
    and the other effects are still fitted."""
    rng = np.random.default_rng(8)
    start = dt.date(2026, 3, 2)
    rows = []
    for k in range(56):
        rain = k % 4 == 0
        q, out = (rain_qty, rain_out) if rain else (int(rng.poisson(40)), 0)
        rows.append(f"{start + dt.timedelta(days=k)},dish_beef,dine_in,{q},{out},"
                    f"{'rain' if rain else 'clear'}\n")
    path = _write(tmp_path, "date,item,channel,quantity,stockout,weather\n" + "".join(rows))
    fit = fit_demand(read_sales(path, pack), pack)
    refused = {r.what: r for r in fit.refusals}
    assert "weather.rain.dine_in" in refused
    assert words in refused["weather.rain.dine_in"].reason_en
    assert all(e.path != "weather.rain.dine_in" for e in fit.estimates)
