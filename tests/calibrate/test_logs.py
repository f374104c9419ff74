"""The store-record readers of jxc_rules.calibrate.logs: every bad cell is a DataFileError naming
file:line:column, the column and the fix; good files read exactly, and write back unchanged."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jxc_rules.calibrate import logs
from jxc_rules.calibrate.logs import (
    FishReceipt,
    FishReceipts,
    ShelfLifeObservation,
    ShelfLifeObservations,
    read_fish_receipts,
    read_temperature_log,
    read_wastage_log,
)
from jxc_rules.errors import DataFileError, JxcRulesError
from jxc_rules.rules import load_pack

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "industries" / "hotpot" / "stores" / "examples"
PACK = load_pack(str(ROOT / "industries" / "hotpot" / "2026.10.yaml"))

WASTE_HEADER = "date,item,net_dine_in,net_takeaway,net_group_meal,actual"
FISH_HEADER = "date,item,shipped_kg,received_kg,hours,temp_c"
SHELF_HEADER = "item,temp_c,shelf_life_h,batch"


def _write(tmp_path: Path, text: str, name: str = "log.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _fails(reader: object, path: Path, line: int | None, column: int | None,
           field: str | None, *words: str) -> DataFileError:
    with pytest.raises(DataFileError) as info:
        reader(path, PACK)  # type: ignore[operator]
    err = info.value
    assert isinstance(err, JxcRulesError)
    assert err.location is not None
    assert (err.location.file, err.location.line, err.location.column) == (str(path), line,
                                                                           column)
    assert err.field == field
    where = f"{path}:{line}" + (f":{column}" if column is not None else "")
    assert str(err).startswith(where + ": "), str(err)
    for word in words:
        assert word in str(err), (word, str(err))
    return err


# ---------------------------------------------------------------------------------------------
# the example files


def test_the_example_files_read() -> None:
    waste = read_wastage_log(EXAMPLES / "wastage-log.csv", PACK)
    assert waste.channels == ("dine_in", "takeaway", "group_meal")
    assert waste.items == ("beef_slices", "tripe", "napa_cabbage")
    assert len(waste.periods) == 36
    first = waste.periods[0]
    # opening + purchased − closing of the first line of the file
    assert first.line == 2
    assert first.actual == pytest.approx(18.00 + 77.50 - 19.50)
    fish = read_fish_receipts(EXAMPLES / "fish-receipts.csv", PACK)
    assert fish.has_temp
    assert len(fish.receipts) == 24
    assert fish.items == ("tilapia_live",)
    shelf = read_temperature_log(EXAMPLES / "shelf-life-observations.csv", PACK)
    assert shelf.items == ("beef_slices", "tofu", "napa_cabbage")
    assert shelf.of("beef_slices")[0].shelf_life_h == 126.0


# ---------------------------------------------------------------------------------------------
# wastage log


def test_wastage_actual_layout_and_chinese_channel_names(tmp_path: Path) -> None:
    path = _write(tmp_path, "date,item,net_堂食,net_外卖,actual\n"
                            "2026-03-01,beef_slices,10,2,12.7\n"
                            "2026-03-08,beef_slices,8,4,12.9\n")
    log = read_wastage_log(path, PACK)
    assert log.channels == ("dine_in", "takeaway")
    assert [p.net for p in log.periods] == [(10.0, 2.0), (8.0, 4.0)]
    assert [p.actual for p in log.periods] == [12.7, 12.9]


@pytest.mark.parametrize(("cell", "words"), [
    ("abc", ("net_takeaway must be", "'abc'", "plain number")),
    ("-3", ("net_takeaway must be >= 0", "never negative")),
    ("nan", ("finite number",)),
    ("inf", ("finite number",)),
    ("", ("net_takeaway is empty", "fill in")),
    ("12 kg", ("no units",)),
])
def test_wastage_bad_number_names_its_cell(tmp_path: Path, cell: str,
                                           words: tuple[str, ...]) -> None:
    path = _write(tmp_path, f"{WASTE_HEADER}\n"
                            "2026-03-01,beef_slices,10,2,1,13.5\n"
                            f"2026-03-08,beef_slices,8,{cell},1,13.9\n")
    _fails(read_wastage_log, path, 3, 4, "net_takeaway", *words)


def test_wastage_missing_column_says_which_columns(tmp_path: Path) -> None:
    path = _write(tmp_path, "date,item,net_dine_in\n2026-03-01,beef_slices,10\n")
    _fails(read_wastage_log, path, 1, None, "opening", "missing column 'opening'",
           "opening, purchased")
    path = _write(tmp_path, "date,net_dine_in,actual\n2026-03-01,10,11\n")
    _fails(read_wastage_log, path, 1, None, "item", "missing column 'item'")
    path = _write(tmp_path, "date,item,actual\n2026-03-01,beef_slices,11\n")
    _fails(read_wastage_log, path, 1, None, "net_dine_in", "no net_<channel> column")


def test_wastage_unknown_channel_and_unknown_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "date,item,net_dine_in,net_delivery,actual\n"
                            "2026-03-01,beef_slices,10,2,13\n")
    _fails(read_wastage_log, path, 1, 4, "net_delivery", "unknown channel 'delivery'",
           "dine_in, takeaway, group_meal")
    path = _write(tmp_path, "date,item,net_dine_in,actual,colour\n"
                            "2026-03-01,beef_slices,10,13,red\n")
    _fails(read_wastage_log, path, 1, 5, "colour", "unknown column 'colour'")
    path = _write(tmp_path, "date,item,net_dine_in,net_堂食,actual\n"
                            "2026-03-01,beef_slices,10,2,13\n")
    _fails(read_wastage_log, path, 1, 4, "net_堂食", "two columns name channel 'dine_in'")


def test_wastage_unknown_item_lists_the_packs(tmp_path: Path) -> None:
    path = _write(tmp_path, f"{WASTE_HEADER}\n"
                            "2026-03-01,beef_slices,10,2,1,13.5\n"
                            "2026-03-01,wagyu,10,2,1,13.5\n")
    _fails(read_wastage_log, path, 3, 2, "item",
           "unknown item 'wagyu': pack hotpot 2026.10 has beef_slices, tripe",
           "add the item to the pack")


def test_wastage_duplicated_and_unsorted_dates(tmp_path: Path) -> None:
    path = _write(tmp_path, f"{WASTE_HEADER}\n"
                            "2026-03-01,beef_slices,10,2,1,13.5\n"
                            "2026-03-01,tripe,10,2,1,13.5\n"
                            "2026-03-01,beef_slices,9,2,1,12.5\n")
    _fails(read_wastage_log, path, 4, 1, "date", "duplicated (date, item)", "line 2",
           "one row per item")
    path = _write(tmp_path, f"{WASTE_HEADER}\n"
                            "2026-03-08,beef_slices,10,2,1,13.5\n"
                            "2026-03-01,tripe,10,2,1,13.5\n"
                            "2026-03-01,beef_slices,9,2,1,12.5\n")
    _fails(read_wastage_log, path, 4, 1, "date", "dates out of order for beef_slices",
           "(line 2)", "sort the file")
    path = _write(tmp_path, f"{WASTE_HEADER}\n2026-13-01,beef_slices,10,2,1,13.5\n")
    _fails(read_wastage_log, path, 2, 1, "date", "YYYY-MM-DD", "'2026-13-01'")


def test_wastage_negative_usage_from_the_counts(tmp_path: Path) -> None:
    path = _write(tmp_path, "date,item,net_dine_in,opening,purchased,closing\n"
                            "2026-03-01,beef_slices,10,5,10,16\n")
    _fails(read_wastage_log, path, 2, 6, "closing", "above opening + purchased",
           "missing purchase")
    path = _write(tmp_path, "date,item,net_dine_in,opening,purchased,closing,actual\n"
                            "2026-03-01,beef_slices,10,5,10,4,11\n")
    _fails(read_wastage_log, path, 1, 7, "actual", "keep one way")


def test_physical_lines_survive_blank_lines_and_quoted_newlines(tmp_path: Path) -> None:
    path = _write(tmp_path, f"{WASTE_HEADER},note\n"
                            "2026-03-01,beef_slices,10,2,1,13.5,\"counted late,\nby the chef\"\n"
                            "\n"
                            "2026-03-08,beef_slices,8,x,1,13.9,\n")
    _fails(read_wastage_log, path, 5, 4, "net_takeaway")


def test_a_value_beyond_the_header_and_an_empty_file(tmp_path: Path) -> None:
    path = _write(tmp_path, f"{WASTE_HEADER}\n2026-03-01,beef_slices,10,2,1,13.5,oops\n")
    _fails(read_wastage_log, path, 2, 7, None, "beyond the last column", "'oops'")
    _fails(read_wastage_log, _write(tmp_path, ""), 1, None, None, "empty")
    _fails(read_wastage_log, _write(tmp_path, WASTE_HEADER + "\n"), 2, None, None,
           "no data rows")
    _fails(read_wastage_log, _write(tmp_path, "date,item,item\n1,2,3\n"), 1, 3, "item",
           "appears twice")


def test_too_large_a_file_is_refused_before_reading(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, f"{WASTE_HEADER}\n" + "2026-03-01,beef_slices,10,2,1,13.5\n" * 50)
    monkeypatch.setattr(logs, "MAX_BYTES", 1024)
    with pytest.raises(DataFileError, match="above the 0 MiB limit; split it") as info:
        read_wastage_log(path, PACK)
    assert info.value.location is not None
    assert info.value.location.line is None
    with pytest.raises(DataFileError, match="cannot read the file"):
        read_wastage_log(tmp_path / "missing.csv", PACK)


def test_a_gb18030_export_reads(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes("date,item,net_堂食,actual\n2026-03-01,beef_slices,10,10.5\n"
                     .encode("gb18030"))
    assert read_wastage_log(path, PACK).channels == ("dine_in",)


def test_xlsx_errors_name_the_sheet_row_and_column(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "到货"
    sheet.append(["date", "item", "shipped_kg", "received_kg", "hours"])
    sheet.append([dt.datetime(2026, 3, 1), "tilapia_live", 50.0, 49.2, 5])
    sheet.append([dt.datetime(2026, 3, 3), "tilapia_live", 60.0, -1, 5])
    path = tmp_path / "fish.xlsx"
    book.save(path)
    with pytest.raises(DataFileError) as info:
        read_fish_receipts(path, PACK)
    assert str(info.value).startswith(f"{path}[到货]:3:4: received_kg must be > 0")
    sheet.cell(row=3, column=4, value=59.0)
    book.save(path)
    got = read_fish_receipts(path, PACK)
    assert [r.date for r in got.receipts] == [dt.date(2026, 3, 1), dt.date(2026, 3, 3)]
    assert got.receipts[1].received_kg == 59.0
    assert got.receipts[1].line == 3


# ---------------------------------------------------------------------------------------------
# fish receipts


def test_fish_receipts_checks(tmp_path: Path) -> None:
    good = "2026-03-01,tilapia_live,50,49.2,5,20\n"
    path = _write(tmp_path, f"{FISH_HEADER}\n{good}2026-03-02,tilapia_live,0,49.2,5,20\n")
    _fails(read_fish_receipts, path, 3, 3, "shipped_kg", "must be > 0")
    path = _write(tmp_path, f"{FISH_HEADER}\n{good}2026-03-02,tilapia_live,50,49.2,500,20\n")
    _fails(read_fish_receipts, path, 3, 5, "hours", "<= 240", "check the unit")
    path = _write(tmp_path, f"{FISH_HEADER}\n{good}2026-03-02,tilapia_live,50,49.2,5,\n")
    _fails(read_fish_receipts, path, 3, 6, "temp_c", "temp_c is empty", "drop the column")
    path = _write(tmp_path, f"{FISH_HEADER}\n{good}2026-03-02,beef_slices,50,49.2,5,20\n")
    _fails(read_fish_receipts, path, 3, 2, "item", "unknown item 'beef_slices'",
           "live_weight section of hotpot 2026.10 has tilapia_live;")
    path = _write(tmp_path, f"{FISH_HEADER}\n{good}{good}")
    _fails(read_fish_receipts, path, 3, 1, "date", "duplicated delivery",
           "its own shipment id")
    path = _write(tmp_path, "date,item,shipped_kg,received_kg,hours,dead_kg\n"
                            "2026-03-01,tilapia_live,50,49.2,5,50\n")
    _fails(read_fish_receipts, path, 2, 6, "dead_kg", "not below shipped_kg")
    path = _write(tmp_path, "date,item,shipped_kg,received_kg\n2026-03-01,tilapia_live,50,49\n")
    _fails(read_fish_receipts, path, 1, None, "hours", "missing column 'hours'", "shipped_kg")


def test_two_deliveries_a_day_need_shipment_ids(tmp_path: Path) -> None:
    path = _write(tmp_path, "date,item,shipped_kg,received_kg,hours,shipment\n"
                            "2026-03-01,tilapia_live,50,49.2,5,A\n"
                            "2026-03-01,tilapia_live,40,39.5,3,B\n"
                            "2026-03-01,tilapia_live,40,39.5,3,A\n")
    _fails(read_fish_receipts, path, 4, 6, "shipment", "duplicated delivery", "line 2")
    path.write_text("\n".join(path.read_text().splitlines()[:3]) + "\n", encoding="utf-8")
    got = read_fish_receipts(path, PACK)
    assert [r.shipment for r in got.receipts] == ["A", "B"]
    assert not got.has_temp
    assert all(r.temp_c is None and r.dead_kg == 0.0 for r in got.receipts)


# ---------------------------------------------------------------------------------------------
# shelf-life observations


def test_shelf_life_observations(tmp_path: Path) -> None:
    path = _write(tmp_path, "item,temp_c,shelf_life_d\nbeef_slices,4,3\nbeef_slices,8,1.5\n")
    got = read_temperature_log(path, PACK)
    assert [o.shelf_life_h for o in got.observations] == [72.0, 36.0]
    path = _write(tmp_path, "item,temp_c,shelf_life_h,shelf_life_d\nbeef_slices,4,72,3\n")
    _fails(read_temperature_log, path, 1, 4, "shelf_life_d", "keep one")
    path = _write(tmp_path, f"{SHELF_HEADER}\nbeef_slices,4,72,B1\ntilapia_live,4,72,B2\n")
    _fails(read_temperature_log, path, 3, 1, "item", "unknown item 'tilapia_live'",
           "the shelf_life section of hotpot 2026.10 has beef_slices,")
    path = _write(tmp_path, f"{SHELF_HEADER}\nbeef_slices,4,72,B1\nbeef_slices,8,40,B1\n")
    _fails(read_temperature_log, path, 3, 4, "batch", "duplicated (item, batch)")
    path = _write(tmp_path, f"{SHELF_HEADER}\nbeef_slices,95,72,B1\n")
    _fails(read_temperature_log, path, 2, 2, "temp_c", "<= 60")
    path = _write(tmp_path, f"{SHELF_HEADER}\nbeef_slices,4,0,B1\n")
    _fails(read_temperature_log, path, 2, 3, "shelf_life_h", "must be > 0")
    path = _write(tmp_path, "item,temp_c\nbeef_slices,4\n")
    _fails(read_temperature_log, path, 1, None, "shelf_life_h", "missing column")


# ---------------------------------------------------------------------------------------------
# round trips

_weights = st.floats(1.0, 500.0, allow_nan=False, allow_infinity=False)


@st.composite
def _receipts(draw: st.DrawFn) -> FishReceipts:
    n = draw(st.integers(1, 8))
    has_temp = draw(st.booleans())
    day = dt.date(2026, 1, 1)
    rows = []
    for k in range(n):
        day += dt.timedelta(days=draw(st.integers(0, 3)))
        shipped = draw(_weights)
        dead = draw(st.sampled_from([0.0, shipped / 10]))
        rows.append(FishReceipt(
            k + 2, day, "tilapia_live", shipped, draw(_weights),
            draw(st.floats(0.0, 48.0, allow_nan=False)), dead,
            draw(st.floats(-5.0, 45.0, allow_nan=False)) if has_temp else None, f"S{k}"))
    return FishReceipts("x.csv", tuple(rows), has_temp)


_FIXTURE_OK = [HealthCheck.function_scoped_fixture]  # tmp_path: each example overwrites its file


@settings(max_examples=30, deadline=None, suppress_health_check=_FIXTURE_OK)
@given(receipts=_receipts())
def test_fish_receipts_round_trip(tmp_path: Path, receipts: FishReceipts) -> None:
    path = tmp_path / "fish.csv"
    receipts.to_csv(path)
    back = read_fish_receipts(path, PACK)
    assert back.receipts == receipts.receipts
    assert back.has_temp == receipts.has_temp


@settings(max_examples=20, deadline=None, suppress_health_check=_FIXTURE_OK)
@given(values=st.lists(st.tuples(st.floats(-30, 60, allow_nan=False),
                                 st.floats(0.01, 1e4, allow_nan=False)), min_size=1, max_size=6))
def test_shelf_life_round_trip(tmp_path: Path, values: list[tuple[float, float]]) -> None:
    obs = ShelfLifeObservations("x.csv", tuple(
        ShelfLifeObservation(k + 2, "tofu", t, life, None, f"B{k}")
        for k, (t, life) in enumerate(values)))
    path = tmp_path / "shelf.csv"
    obs.to_csv(path)
    assert read_temperature_log(path, PACK).observations == obs.observations


def test_wastage_round_trip_of_the_example(tmp_path: Path) -> None:
    log = read_wastage_log(EXAMPLES / "wastage-log.csv", PACK)
    path = tmp_path / "waste.csv"
    log.to_csv(path)
    back = read_wastage_log(path, PACK)
    assert back.channels == log.channels
    assert [(p.line, p.date, p.item, p.net) for p in back.periods] == \
        [(p.line, p.date, p.item, p.net) for p in log.periods]
    assert all(math.isclose(a.actual, b.actual) for a, b in zip(back.periods, log.periods,
                                                                 strict=True))


def test_recorded_discards_by_cause(tmp_path: Path) -> None:
    path = _write(tmp_path, f"{WASTE_HEADER},recorded_spoilage,recorded_plate\n"
                            "2026-03-01,beef_slices,10,2,1,13.5,0.1,0.25\n"
                            "2026-03-08,beef_slices,8,3,1,12.9,0.2,0.2\n")
    log = read_wastage_log(path, PACK)
    assert log.causes == ("spoilage", "plate")
    assert [p.recorded for p in log.periods] == [(0.1, 0.25), (0.2, 0.2)]
    log.to_csv(tmp_path / "back.csv")
    assert read_wastage_log(tmp_path / "back.csv", PACK) == attrs.evolve(
        log, source=str(tmp_path / "back.csv"))
    path = _write(tmp_path, f"{WASTE_HEADER},recorded_theft\n"
                            "2026-03-01,beef_slices,10,2,1,13.5,0.1\n")
    _fails(read_wastage_log, path, 1, 7, "recorded_theft", "unknown cause 'theft'",
           "prep, spoilage, plate, packaging, other")
    path = _write(tmp_path, f"{WASTE_HEADER},recorded_plate\n"
                            "2026-03-01,beef_slices,10,2,1,13.5,-0.1\n")
    _fails(read_wastage_log, path, 2, 7, "recorded_plate", "never negative")


_cells = st.one_of(
    st.sampled_from(["", "beef_slices", "tilapia_live", "tofu", "2026-03-01", "2026-02-30",
                     "99999999999999999999-1-1", "1e999", "-0", "nan", "0", "3.5", "12 kg",
                     "\"", "a\nb", "堂食", "\x00"]),
    st.text(max_size=6))
_LAYOUTS = {
    "wastage": (read_wastage_log, ["date", "item", "net_dine_in", "net_外卖", "actual",
                                   "recorded_plate"]),
    "fish": (read_fish_receipts, ["date", "item", "shipped_kg", "received_kg", "hours",
                                  "dead_kg", "temp_c", "shipment"]),
    "shelf": (read_temperature_log, ["item", "temp_c", "shelf_life_h", "date", "batch"]),
}


@st.composite
def _files(draw: st.DrawFn) -> tuple[object, list[str], list[list[str]]]:
    """A reader, a header close to its layout (a column dropped or added at times) and rows
    of plausible and hostile cells."""
    reader, header = _LAYOUTS[draw(st.sampled_from(sorted(_LAYOUTS)))]
    header = list(header)
    if draw(st.booleans()):
        del header[draw(st.integers(0, len(header) - 1))]
    if draw(st.booleans()):
        header.insert(draw(st.integers(0, len(header))),
                      draw(st.sampled_from(["note", "x", "", "date", "opening", "net_delivery"])))
    rows = draw(st.lists(st.lists(_cells, min_size=len(header), max_size=len(header) + 1),
                         max_size=4))
    return reader, header, rows


@settings(max_examples=300, deadline=None, suppress_health_check=_FIXTURE_OK)
@given(case=_files())
def test_any_file_reads_or_raises_a_data_file_error(
        tmp_path: Path, case: tuple[object, list[str], list[list[str]]]) -> None:
    which, header, rows = case
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    path = tmp_path / "fuzz.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    error: DataFileError | None = None
    try:
        which(path, PACK)  # type: ignore[operator]
    except DataFileError as exc:  # anything else escapes and fails the test
        error = exc
    if error is not None:
        assert error.location is not None
        assert str(error).startswith(str(path))
