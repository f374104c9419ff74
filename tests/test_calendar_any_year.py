"""The simulator's holiday calendar for any year (issue 17, item 1).

The published years are checked day by day against the State Council's notices themselves,
typed here from the notices (independent of the ``holidays`` package the calendar reads):

- 2024: 国务院办公厅关于2024年部分节假日安排的通知 (国办发明电〔2023〕7号, 2023-10-25),
  https://www.gov.cn/gongbao/2023/issue_10806/202311/content_6913823.html
- 2025: 国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号, 2024-11-12),
  https://www.gov.cn/gongbao/2024/issue_11726/202411/content_6989767.html
- 2026: 国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04),
  https://www.gov.cn/gongbao/2025/issue_12406/202511/content_7048922.html

Each entry is (holiday, first day off, last day off, make-up workdays), as the notice words it
("2月10日至17日放假调休，共8天。2月4日（星期日）、2月18日（星期日）上班"); "X月X日放假，与周末
连休" is the break X plus the weekend joined to it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from jxc_rules.errors import ValidationError
from jxc_rules.simulate.calendar import (
    Break,
    Schedule,
    build_calendar,
    calendar_notes,
    holiday_blocks,
    holiday_multipliers,
    published_years,
    supported_years,
)

D = dt.date

NOTICES: dict[int, list[tuple[str, dt.date, dt.date, tuple[dt.date, ...]]]] = {
    2024: [
        # 元旦：1月1日放假，与周末连休。
        ("New Year's Day", D(2023, 12, 30), D(2024, 1, 1), ()),
        # 春节：2月10日至17日放假调休，共8天。2月4日（星期日）、2月18日（星期日）上班。
        ("Spring Festival", D(2024, 2, 10), D(2024, 2, 17), (D(2024, 2, 4), D(2024, 2, 18))),
        # 清明节：4月4日至6日放假调休，共3天。4月7日（星期日）上班。
        ("Tomb-sweeping Day", D(2024, 4, 4), D(2024, 4, 6), (D(2024, 4, 7),)),
        # 劳动节：5月1日至5日放假调休，共5天。4月28日（星期日）、5月11日（星期六）上班。
        ("Labour Day", D(2024, 5, 1), D(2024, 5, 5), (D(2024, 4, 28), D(2024, 5, 11))),
        # 端午节：6月10日放假，与周末连休。
        ("Dragon Boat Festival", D(2024, 6, 8), D(2024, 6, 10), ()),
        # 中秋节：9月15日至17日放假调休，共3天。9月14日（星期六）上班。
        ("Mid-autumn Festival", D(2024, 9, 15), D(2024, 9, 17), (D(2024, 9, 14),)),
        # 国庆节：10月1日至7日放假调休，共7天。9月29日（星期日）、10月12日（星期六）上班。
        ("National Day", D(2024, 10, 1), D(2024, 10, 7), (D(2024, 9, 29), D(2024, 10, 12))),
    ],
    2025: [
        # 元旦：1月1日（周三）放假1天，不调休。
        ("New Year's Day", D(2025, 1, 1), D(2025, 1, 1), ()),
        # 春节：1月28日（农历除夕、周二）至2月4日（农历正月初七、周二）放假调休，共8天。
        # 1月26日（周日）、2月8日（周六）上班。
        ("Spring Festival", D(2025, 1, 28), D(2025, 2, 4), (D(2025, 1, 26), D(2025, 2, 8))),
        # 清明节：4月4日（周五）至6日（周日）放假，共3天。
        ("Tomb-sweeping Day", D(2025, 4, 4), D(2025, 4, 6), ()),
        # 劳动节：5月1日（周四）至5日（周一）放假调休，共5天。4月27日（周日）上班。
        ("Labour Day", D(2025, 5, 1), D(2025, 5, 5), (D(2025, 4, 27),)),
        # 端午节：5月31日（周六）至6月2日（周一）放假，共3天。
        ("Dragon Boat Festival", D(2025, 5, 31), D(2025, 6, 2), ()),
        # 国庆节、中秋节：10月1日（周三）至8日（周三）放假调休，共8天。
        # 9月28日（周日）、10月11日（周六）上班。
        ("National Day", D(2025, 10, 1), D(2025, 10, 8), (D(2025, 9, 28), D(2025, 10, 11))),
    ],
    2026: [
        # 元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
        ("New Year's Day", D(2026, 1, 1), D(2026, 1, 3), (D(2026, 1, 4),)),
        # 春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。
        # 2月14日（周六）、2月28日（周六）上班。
        ("Spring Festival", D(2026, 2, 15), D(2026, 2, 23), (D(2026, 2, 14), D(2026, 2, 28))),
        # 清明节：4月4日（周六）至6日（周一）放假，共3天。
        ("Tomb-sweeping Day", D(2026, 4, 4), D(2026, 4, 6), ()),
        # 劳动节：5月1日（周五）至5日（周二）放假调休，共5天。5月9日（周六）上班。
        ("Labour Day", D(2026, 5, 1), D(2026, 5, 5), (D(2026, 5, 9),)),
        # 端午节：6月19日（周五）至21日（周日）放假，共3天。
        ("Dragon Boat Festival", D(2026, 6, 19), D(2026, 6, 21), ()),
        # 中秋节：9月25日（周五）至27日（周日）放假，共3天。
        ("Mid-autumn Festival", D(2026, 9, 25), D(2026, 9, 27), ()),
        # 国庆节：10月1日（周四）至7日（周三）放假调休，共7天。
        # 9月20日（周日）、10月10日（周六）上班。
        ("National Day", D(2026, 10, 1), D(2026, 10, 7), (D(2026, 9, 20), D(2026, 10, 10))),
    ],
}


def _days(a: dt.date, b: dt.date) -> list[dt.date]:
    return [a + dt.timedelta(days=k) for k in range((b - a).days + 1)]


@pytest.mark.parametrize("year", sorted(NOTICES))
def test_calendar_matches_the_state_council_notice_day_by_day(year: int) -> None:
    off: dict[dt.date, str] = {}
    work: dict[dt.date, str] = {}
    for name, first, last, workdays in NOTICES[year]:
        off.update(dict.fromkeys(_days(first, last), name))
        work.update(dict.fromkeys(workdays, name))
    start, end = D(year, 1, 1), D(year, 12, 31)
    cal = build_calendar(start, end)
    assert cal.notes == ()
    for k, day in enumerate(cal.dates):
        assert bool(cal.day_off[k]) == (day in off), day
        assert bool(cal.makeup_workday[k]) == (day in work), day
        if day in work:
            assert cal.holiday[k] == work[day], day
        elif day in off and off[day] != "National Day":  # 2025-10-06 is 中秋节 itself
            assert cal.holiday[k] == off[day], day
        elif day not in off:
            assert cal.holiday[k] == "", day
    blocks = holiday_blocks(start, end)
    for name, first, last, _ in NOTICES[year]:
        assert (first, last) in blocks[name], (name, first, last)


def test_a_combined_break_belongs_to_the_holiday_with_more_days_and_keeps_each_name() -> None:
    cal = build_calendar(D(2025, 10, 1), D(2025, 10, 8))
    assert cal.holiday[5] == "Mid-autumn Festival"  # 10-06 is 中秋节 itself
    assert set(cal.holiday) - {"Mid-autumn Festival"} == {"National Day"}
    assert holiday_blocks(D(2025, 10, 1), D(2025, 10, 8)) == {
        "National Day": [(D(2025, 10, 1), D(2025, 10, 8))]}


def test_chinese_calendar_agrees_on_every_published_day_off_and_makeup_day() -> None:
    """The dropped source: where it lists a named day off or make-up day (2004-2026), ours has
    the same day (it leaves the weekends joined by 与周末连休 unnamed; we count them)."""
    cc = pytest.importorskip("chinese_calendar")
    cal = build_calendar(D(2010, 1, 1), D(2026, 12, 31))
    for k, day in enumerate(cal.dates):
        is_off, name = cc.get_holiday_detail(day)
        if name and is_off:
            assert cal.day_off[k], day
        if name and not is_off and day.weekday() >= 5:
            assert cal.makeup_workday[k], day
        if cal.makeup_workday[k]:
            assert name, day
            assert not is_off, day


def test_2027_spring_festival_is_computed_from_the_lunar_calendar() -> None:
    cal = build_calendar(D(2027, 2, 1), D(2027, 2, 20))
    names = dict(zip(cal.dates, cal.holiday, strict=True))
    assert names[D(2027, 2, 5)] == "Spring Festival"  # 除夕
    assert names[D(2027, 2, 6)] == "Spring Festival"  # 正月初一
    blocks = holiday_blocks(D(2027, 2, 1), D(2027, 2, 20))
    # statutory 除夕..初三 (Fri..Mon) and the 补假 for the weekend ones: Tue, Wed
    assert blocks["Spring Festival"] == [(D(2027, 2, 5), D(2027, 2, 10))]
    assert not cal.makeup_workday.any()


def test_a_year_without_published_makeup_days_says_so_in_one_line() -> None:
    cal = build_calendar(D(2027, 1, 20), D(2027, 3, 1))
    (note,) = cal.notes
    assert "2027" in note
    assert "not published" in note
    assert "calendar:" in note
    assert "\n" not in note
    assert 2027 not in published_years()
    assert calendar_notes(D(2026, 1, 1), D(2026, 12, 31)) == ()


def test_years_outside_any_data_are_a_clear_error() -> None:
    first, last = supported_years()
    for a, b in ((D(first - 1, 12, 1), D(first, 1, 5)), (D(last, 12, 1), D(last + 1, 1, 5))):
        with pytest.raises(ValidationError, match=rf"outside the years .*{first}-{last}.*"
                                                  "move the horizon"):
            build_calendar(a, b)


ANNOUNCED = Schedule((Break("Spring Festival", D(2027, 2, 5), D(2027, 2, 12),
                            (D(2027, 1, 31), D(2027, 2, 20))),), source="test notice")


def test_an_announced_schedule_replaces_the_library_days_of_its_holiday() -> None:
    plain = build_calendar(D(2027, 1, 25), D(2027, 2, 25))
    cal = build_calendar(D(2027, 1, 25), D(2027, 2, 25), schedule=ANNOUNCED)
    off = [d for d, o in zip(cal.dates, cal.day_off, strict=True) if o]
    assert off[0] == D(2027, 2, 5)
    assert off[-1] == D(2027, 2, 14)  # to 12 Feb, and the weekend joined to it
    assert [d for d, m in zip(cal.dates, cal.makeup_workday, strict=True) if m] == [
        D(2027, 1, 31), D(2027, 2, 20)]
    assert cal.day_off.sum() > plain.day_off.sum()
    assert "calendar: section (2027: Spring Festival)" in cal.notes[0]
    prof = {"Spring Festival": {"dine_in": ((), (2.0,), ())}}
    m_plain = holiday_multipliers(plain, prof, ["dine_in"])[:, 0]
    m_cal = holiday_multipliers(cal, prof, ["dine_in"])[:, 0]
    assert (m_plain == 2.0).sum() == 6
    assert (m_cal == 2.0).sum() == 10


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"holiday": "Spring Festivel"}, "did you mean 'Spring Festival'"),
    ({"last": D(2027, 2, 1)}, "before from"),
    ({"workdays": (D(2027, 2, 3),)}, "weekend day worked; 2027-02-03 is a Wednesday"),
    ({"workdays": (D(2027, 2, 6),)}, "inside the break"),
    ({"last": D(2027, 3, 30)}, "longer than any"),
])
def test_a_bad_announced_break_is_refused_with_the_reason(kwargs: dict[str, object],
                                                          match: str) -> None:
    base: dict[str, object] = {"holiday": "Spring Festival", "first": D(2027, 2, 5),
                               "last": D(2027, 2, 12), "workdays": ()}
    base.update(kwargs)
    with pytest.raises(ValidationError, match=match):
        Break(**base)  # type: ignore[arg-type]


def test_pack_holiday_names_are_the_calendar_names() -> None:
    from jxc_rules.rules.schema import HOLIDAY_NAMES as PACK_NAMES
    from jxc_rules.simulate.calendar import HOLIDAY_NAMES

    assert set(PACK_NAMES) <= set(HOLIDAY_NAMES)


def test_bundled_2027_scenario_loads_over_the_2027_spring_festival() -> None:
    from jxc_rules.simulate import load_scenario

    sc = load_scenario("hotpot-spring-festival-2027")
    cal = sc.calendar
    k = cal.dates.index(D(2027, 2, 6))
    assert cal.holiday[k] == "Spring Festival"
    assert cal.day_off[k]
    assert Path(sc.path).name == "hotpot-spring-festival-2027.yaml"
