"""The working-day clock against the State Council's holiday notices for 2025 and 2026."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from coopzone.engines.working_days import (
    Calendar,
    NoticeError,
    notice_csv,
    parse_notice,
    shipped_calendar,
    shipped_notices,
)

CAL = shipped_calendar()
SH = ZoneInfo("Asia/Shanghai")


def days(first: str, last: str) -> set[date]:
    a, b = date.fromisoformat(first), date.fromisoformat(last)
    return {a + timedelta(days=i) for i in range((b - a).days + 1)}


# 国办发明电〔2024〕12号 (2025) and 国办发明电〔2025〕7号 (2026), typed from the notices.
NOTICES = {
    2025: (days("2025-01-01", "2025-01-01") | days("2025-01-28", "2025-02-04")
           | days("2025-04-04", "2025-04-06") | days("2025-05-01", "2025-05-05")
           | days("2025-05-31", "2025-06-02") | days("2025-10-01", "2025-10-08"),
           {date(2025, 1, 26), date(2025, 2, 8), date(2025, 4, 27), date(2025, 9, 28),
            date(2025, 10, 11)}),
    2026: (days("2026-01-01", "2026-01-03") | days("2026-02-15", "2026-02-23")
           | days("2026-04-04", "2026-04-06") | days("2026-05-01", "2026-05-05")
           | days("2026-06-19", "2026-06-21") | days("2026-09-25", "2026-09-27")
           | days("2026-10-01", "2026-10-07"),
           {date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9),
            date(2026, 9, 20), date(2026, 10, 10)}),
}


@pytest.mark.parametrize("year", sorted(NOTICES))
def test_the_shipped_years_match_the_notices(year: int) -> None:
    off, made_working = NOTICES[year]
    notice = shipped_notices()[year]
    assert set(notice.holidays) == off
    assert set(notice.workdays) == made_working
    for day in days(f"{year}-01-01", f"{year}-12-31"):
        expected = day in made_working or (day.weekday() < 5 and day not in off)
        assert CAL.is_working_day(day) is expected, day
    assert notice.holidays[date(2026, 2, 17)] == "春节" if year == 2026 else True


def test_the_package_years_are_all_shipped() -> None:
    assert CAL.years[0] == 2004 and CAL.years[-1] == 2026
    assert CAL.years == tuple(range(2004, 2027))


@pytest.mark.parametrize(("start", "n", "due"), [
    # National Day 2026: 10-01..10-07 off, Saturday 10-10 worked.
    ("2026-09-30", 5, "2026-10-13"),
    ("2026-09-30", 1, "2026-10-08"),
    ("2026-09-30", 3, "2026-10-10"),
    # Spring Festival 2026: Saturday 02-14 worked, 02-15..02-23 off, Saturday 02-28 worked.
    ("2026-02-13", 1, "2026-02-14"),
    ("2026-02-13", 3, "2026-02-25"),
    ("2026-02-26", 2, "2026-02-28"),
    # A start on a non-working day counts the next working day as day 1.
    ("2026-10-03", 1, "2026-10-08"),
    ("2026-02-15", 1, "2026-02-24"),
    ("2026-03-07", 1, "2026-03-09"),  # a Saturday
    # 2025: Sunday 09-28 worked before National Day (10-01..10-08), Saturday 10-11 worked.
    ("2025-09-26", 1, "2025-09-28"),
    ("2025-09-26", 2, "2025-09-29"),
    ("2025-09-29", 3, "2025-10-10"),
    ("2025-09-29", 4, "2025-10-11"),
    # Spring Festival 2025: Sunday 01-26 worked, 01-28..02-04 off, Saturday 02-08 worked.
    ("2025-01-24", 2, "2025-01-27"),
    ("2025-01-24", 3, "2025-02-05"),
    ("2025-02-07", 1, "2025-02-08"),
    # Across the new year; 20 working days; the start day itself for 0.
    ("2025-12-25", 5, "2026-01-04"),  # Sunday 2026-01-04 worked after New Year
    ("2025-12-25", 6, "2026-01-05"),
    ("2026-03-02", 20, "2026-03-30"),
    ("2026-03-02", 0, "2026-03-02"),
])
def test_deadlines(start: str, n: int, due: str) -> None:
    result = CAL.add(date.fromisoformat(start), n)
    assert result.due == date.fromisoformat(due)
    assert result.reason is None
    # Counting back gives the same number of working days.
    assert CAL.count(date.fromisoformat(start), result.due).days == n


def test_the_deadline_is_the_end_of_its_day_in_shanghai() -> None:
    # A moment counts from its date in Shanghai.
    moment = datetime(2026, 9, 30, 23, 30, tzinfo=SH)
    result = CAL.add(moment, 5)
    assert result.due == date(2026, 10, 13)
    assert result.ends_at == datetime(2026, 10, 14, 0, 0, tzinfo=SH)
    utc = datetime(2026, 9, 30, 16, 30, tzinfo=ZoneInfo("UTC"))  # 10-01 00:30 in Shanghai
    assert CAL.add(utc, 1).due == date(2026, 10, 8)
    with pytest.raises(ValueError, match="time zone"):
        CAL.add(datetime(2026, 9, 30, 9), 1)


def test_pauses_stop_the_clock() -> None:
    start = date(2026, 3, 2)
    assert CAL.add(start, 10).due == date(2026, 3, 16)
    # 补正 from Thursday 03-05 to Monday 03-09: three working days do not count.
    paused = CAL.add(start, 10, [(date(2026, 3, 5), date(2026, 3, 9))])
    assert paused.due == date(2026, 3, 19)
    assert CAL.count(start, date(2026, 3, 19), [(date(2026, 3, 5), date(2026, 3, 9))]).days == 10
    # Two pauses, given out of order and touching, act as one.
    two = CAL.add(start, 10, [(date(2026, 3, 7), date(2026, 3, 9)),
                              (date(2026, 3, 5), date(2026, 3, 6))])
    assert two.due == date(2026, 3, 19)
    # A pause after the deadline, or before the start, changes nothing.
    assert CAL.add(start, 10, [(date(2026, 4, 1), date(2026, 4, 30))]).due == date(2026, 3, 16)
    assert CAL.add(start, 10, [(date(2026, 2, 1), date(2026, 3, 2))]).due == date(2026, 3, 16)
    # A pause over a holiday costs only its working days.
    assert CAL.add(date(2026, 9, 30), 5, [(date(2026, 10, 1), date(2026, 10, 8))]).due == \
        date(2026, 10, 14)
    with pytest.raises(ValueError, match="ends before"):
        CAL.add(start, 1, [(date(2026, 3, 9), date(2026, 3, 5))])


def test_a_year_without_a_calendar_gives_no_date_but_a_reason() -> None:
    result = CAL.add(date(2026, 12, 28), 5)
    assert result.due is None and result.ends_at is None
    assert result.reason == "no calendar for 2027" and result.unknown_year == 2027
    assert CAL.add(date(2026, 12, 28), 3).due == date(2026, 12, 31)
    assert CAL.count(date(2026, 12, 28), date(2027, 1, 8)).reason == "no calendar for 2027"
    assert CAL.add(date(2027, 3, 1), 1).reason == "no calendar for 2027"
    with pytest.raises(LookupError, match="2027"):
        CAL.is_working_day(date(2027, 1, 4))
    # Never a weekends-only count in a gap between known years either.
    later = parse_notice("日期,类型,名称\n2028-01-01,休,元旦\n".encode(), "test")
    gap = CAL.with_notice(later)
    assert gap.add(date(2026, 12, 30), 10).reason == "no calendar for 2027"


def test_a_loaded_notice_extends_the_calendar() -> None:
    text = ("日期,类型,名称\n2027-01-01,休,元旦\n2027-02-06,休,春节\n2027-02-07,休,春节\n"
            "2027-02-08,休,春节\n2027-02-09,休,春节\n2027-02-10,休,春节\n2027-02-11,休,春节\n"
            "2027-02-12,休,春节\n2027-02-13,班,春节\n")
    notice = parse_notice(("\ufeff" + text).encode(), "国办发明电（示例）")
    assert notice.year == 2027 and len(notice.holidays) == 8 and len(notice.workdays) == 1
    cal = CAL.with_notice(notice)
    assert cal.add(date(2026, 12, 28), 5).due == date(2027, 1, 5)  # 01-01 (Friday) off
    assert cal.add(date(2027, 2, 5), 1).due == date(2027, 2, 13)  # the Saturday worked
    assert parse_notice(notice_csv(notice).encode(), "x").holidays == notice.holidays


@pytest.mark.parametrize(("text", "where"), [
    ("日期,类型\n2027-01-01,休\n", (1, "名称")),
    ("日期,类型,名称\n2027-13-01,休,元旦\n", (2, "日期")),
    ("日期,类型,名称\n2027-01-01,放松,元旦\n", (2, "类型")),
    ("日期,类型,名称\n2027-01-04,班,元旦\n", (2, "类型")),  # a Monday is a working day anyway
    ("日期,类型,名称\n2027-01-01,休,元旦\n2027-01-01,休,元旦\n", (3, "日期")),
    ("日期,类型,名称\n2027-01-01,休,元旦\n2028-01-01,休,元旦\n", (2, "日期")),
    ("日期,类型,名称\n", (2, "类型")),
    ("", (1, "文件")),
])
def test_bad_notice_files_are_refused_with_row_and_column(text: str, where: tuple[int, str]
                                                          ) -> None:
    with pytest.raises(NoticeError) as refused:
        parse_notice(text.encode(), "test")
    assert where in [(r, c) for r, c, _ in refused.value.errors]
    assert all(reason for _, _, reason in refused.value.errors)
    with pytest.raises(NoticeError, match="UTF-8"):
        parse_notice("日期".encode("gb18030") + b"\xff\xfe", "test")


def test_days_left_and_overdue() -> None:
    deadline = CAL.add(date(2026, 9, 30), 5)  # 2026-10-13
    assert CAL.left(deadline, date(2026, 10, 13)).days == 0
    assert CAL.left(deadline, date(2026, 10, 9)).days == 3  # 10-10 (worked), 10-12, 10-13
    assert CAL.left(deadline, date(2026, 10, 1)).days == 5
    assert CAL.left(deadline, date(2026, 10, 15)).days == -2
    unknown = CAL.add(date(2026, 12, 28), 5)
    assert CAL.left(unknown, date(2026, 12, 29)).reason == "no calendar for 2027"


def test_many_starts_at_once_agree_with_one_at_a_time() -> None:
    rnd = random.Random(7)
    starts = [date(2025, 1, 1) + timedelta(days=rnd.randrange(730)) for _ in range(400)]
    limits = [rnd.choice([0, 1, 3, 5, 10, 20, 60]) for _ in starts]
    many = CAL.add_many(starts, limits)
    for start, n, got in zip(starts, limits, many, strict=True):
        one = CAL.add(start, n).due
        if one is None:
            assert np.isnat(got), (start, n)
        else:
            assert got == np.datetime64(one), (start, n)
    assert np.isnat(CAL.add_many([date(2026, 12, 28)], 5)[0])
    assert np.isnat(Calendar({}).add_many([date(2026, 1, 5)], 1)[0])
    with pytest.raises(ValueError):
        CAL.add_many([date(2026, 1, 5)], -1)
