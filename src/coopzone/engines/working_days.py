"""Working days (工作日) of the People's Republic of China, and time limits counted in them.

The legal rules followed:

* 《中华人民共和国行政许可法》第八十二条: the time limits of administrative licensing are
  counted in working days, statutory holidays not included.
* 《中华人民共和国民法典》第二百零一条 (the same rule as 《行政诉讼法》 and 《民事诉讼法》 on
  periods): the day on which a period starts is not counted; the period starts the next day. So the
  deadline of a time limit of N working days is the end (24:00, Asia/Shanghai) of the N-th
  working day after the day it starts; a period that starts on a non-working day therefore
  counts the next working day as its day 1.
* A working day is a Monday to Friday that is not a statutory holiday (国务院办公厅 annual
  notice 关于部分节假日安排的通知), or a Saturday or Sunday that the notice makes a working day
  (调休上班).
* Pauses (e.g. 补正: the applicant is asked to complete the materials; postage where the item
  says so) are date ranges, both ends included, on which the clock stands still: a working day
  inside a pause is not counted.

The calendar knows only the years whose notice it holds. A count that reaches a year it does
not know gives no date but a reason ("no calendar for 2027"), never a silent weekends-only count.

Years shipped: every year the ``chinesecalendar`` package knows (2004–2026 in 1.11.0), checked
against the notices for 2025 (国办发明电〔2024〕12号) and 2026 (国办发明电〔2025〕7号) in the
tests. A later year's notice is loaded as a small CSV (:func:`parse_notice`).

Pure: no database, no settings; vectorised over many start dates with NumPy.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import numpy as np

SHANGHAI = ZoneInfo("Asia/Shanghai")

Pause = tuple[date, date]

HOLIDAY = "holiday"  # 休: a day off (statutory holiday, or a weekday moved into the holiday)
WORKDAY = "workday"  # 班: a Saturday or Sunday made a working day (调休上班)
_KIND_WORDS = {"休": HOLIDAY, "假": HOLIDAY, "放假": HOLIDAY, "holiday": HOLIDAY, "off": HOLIDAY,
               "班": WORKDAY, "上班": WORKDAY, "workday": WORKDAY, "work": WORKDAY}


class NoticeError(ValueError):
    """A holiday notice file that cannot be used; ``errors`` lists (row, column, reason)."""

    def __init__(self, errors: Sequence[tuple[int, str, str]]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(f"第 {r} 行 {c}：{why}" for r, c, why in self.errors))


@dataclass(frozen=True)
class YearNotice:
    """One year's holiday arrangement: its days off and its make-up working days."""

    year: int
    holidays: Mapping[date, str]  # day → holiday name
    workdays: Mapping[date, str]  # weekend day made a working day → which holiday it serves
    source: str


@dataclass(frozen=True)
class Deadline:
    """The end of a time limit: ``due`` is the last working day (the deadline is its 24:00),
    or None with ``reason`` when the calendar does not cover the count."""

    due: date | None
    working_days: int
    reason: str | None = None
    unknown_year: int | None = None

    @property
    def ends_at(self) -> datetime | None:
        """24:00 of the last working day, Asia/Shanghai (= 00:00 of the next day)."""
        if self.due is None:
            return None
        return datetime.combine(self.due + timedelta(days=1), time(0), SHANGHAI)


@dataclass(frozen=True)
class Count:
    """Working days counted between two moments, or None with ``reason``."""

    days: int | None
    reason: str | None = None
    unknown_year: int | None = None


@dataclass(frozen=True)
class Calendar:
    """The working days of the years it knows (each year from one notice)."""

    notices: Mapping[int, YearNotice]
    _ordinals: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        days: list[int] = []
        for year in sorted(self.notices):
            days.extend(d.toordinal() for d in _year_working_days(self.notices[year]))
        object.__setattr__(self, "_ordinals", np.asarray(days, dtype=np.int64))

    # ---- what it knows ------------------------------------------------------------------

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(sorted(self.notices))

    def knows(self, year: int) -> bool:
        return year in self.notices

    def with_notice(self, notice: YearNotice) -> Calendar:
        """This calendar with one year's notice added (or replaced)."""
        return Calendar({**self.notices, notice.year: notice})

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is a working day; ``LookupError`` for a year the calendar lacks."""
        notice = self.notices.get(day.year)
        if notice is None:
            raise LookupError(_no_calendar(day.year))
        if day in notice.workdays:
            return True
        return day.weekday() < 5 and day not in notice.holidays

    def working_days(self, first: date, last: date) -> list[date]:
        """The working days from ``first`` to ``last`` (both included)."""
        self._require(first.year, last.year)
        lo, hi = np.searchsorted(self._ordinals, [first.toordinal(), last.toordinal() + 1])
        return [date.fromordinal(int(o)) for o in self._ordinals[lo:hi]]

    # ---- counting -----------------------------------------------------------------------

    def add(self, start: date | datetime, n: int, pauses: Iterable[Pause] = ()) -> Deadline:
        """The deadline of a time limit of ``n`` working days that starts at ``start``.

        Day 1 is the first working day after the start's day (the start's day is never
        counted); paused days are skipped. ``n`` = 0 gives the start's day itself.
        """
        if n < 0:
            raise ValueError("a time limit is a number of working days, 0 or more")
        begin = _local_day(start)
        if n == 0:
            return self._covered(begin, begin, 0) or Deadline(begin, 0)
        windows = _merged(pauses)
        unknown = self._unknown_in(begin.year, begin.year)
        if unknown is not None:
            return _unknown(unknown, n)
        ordinals = self._ordinals
        after = int(np.searchsorted(ordinals, begin.toordinal(), side="right"))
        position, remaining = after, n
        # Walk pause by pause: the working days inside a pause after the start are skipped.
        for lo, hi in windows:
            if hi <= begin:
                continue
            end = position + remaining - 1
            if end >= ordinals.size:
                break
            if ordinals[end] < max(lo, begin + timedelta(days=1)).toordinal():
                break
            first_in = int(np.searchsorted(ordinals, max(lo.toordinal(), begin.toordinal() + 1)))
            last_in = int(np.searchsorted(ordinals, hi.toordinal(), side="right"))
            counted = first_in - position  # working days before the pause, not yet counted
            remaining -= counted
            position = last_in
        end = position + remaining - 1
        if end >= ordinals.size:
            return _unknown(self._first_unknown_after(begin), n)
        due = date.fromordinal(int(ordinals[end]))
        covered = self._covered(begin, due, n)
        return covered or Deadline(due, n)

    def add_many(self, starts: Sequence[date] | np.ndarray, n: int | Sequence[int] | np.ndarray
                 ) -> np.ndarray:
        """Deadlines (``datetime64[D]``) for many starts at once, without pauses; NaT where
        the calendar does not cover the count (use :meth:`add` for the reason)."""
        start = np.asarray(starts, dtype="datetime64[D]")
        limits = np.broadcast_to(np.asarray(n, dtype=np.int64), start.shape)
        if (limits < 0).any():
            raise ValueError("a time limit is a number of working days, 0 or more")
        epoch = date(1970, 1, 1).toordinal()
        ordinals = start.astype(np.int64) + epoch
        after = np.searchsorted(self._ordinals, ordinals, side="right")
        end = after + limits - 1
        ok = end < self._ordinals.size
        due = np.where(ok, self._ordinals[np.minimum(end, max(self._ordinals.size - 1, 0))]
                       if self._ordinals.size else 0, 0)
        out = (due - epoch).astype("datetime64[D]")
        out = np.where(limits == 0, start, out)
        # A count that crosses a year the calendar lacks is not covered.
        years = start.astype("datetime64[Y]").astype(np.int64) + 1970
        due_years = out.astype("datetime64[Y]").astype(np.int64) + 1970
        known = np.asarray(sorted(self.notices), dtype=np.int64)
        gap_free = _years_known(years, due_years, known)
        return np.where(ok & gap_free, out, np.datetime64("NaT"))

    def count(self, start: date | datetime, end: date | datetime,
              pauses: Iterable[Pause] = ()) -> Count:
        """Working days after the start's day up to and including the end's day, paused days
        not counted (the working days a case has used by ``end``). 0 when ``end`` is not after
        the start's day."""
        begin, finish = _local_day(start), _local_day(end)
        if finish <= begin:
            return Count(0)
        unknown = self._unknown_in(begin.year, finish.year)
        if unknown is not None:
            return Count(None, _no_calendar(unknown), unknown)
        ordinals = self._ordinals
        lo = int(np.searchsorted(ordinals, begin.toordinal(), side="right"))
        hi = int(np.searchsorted(ordinals, finish.toordinal(), side="right"))
        days = hi - lo
        for p_lo, p_hi in _merged(pauses):
            a = max(p_lo, begin + timedelta(days=1))
            b = min(p_hi, finish)
            if a > b:
                continue
            days -= int(np.searchsorted(ordinals, b.toordinal(), side="right")
                        - np.searchsorted(ordinals, a.toordinal()))
        return Count(days)

    def left(self, deadline: Deadline, at: date | datetime, pauses: Iterable[Pause] = ()
             ) -> Count:
        """Working days left before ``deadline`` at the moment ``at``: negative when overdue
        (the working days since the deadline passed), 0 on its last day."""
        if deadline.due is None:
            return Count(None, deadline.reason, deadline.unknown_year)
        today = _local_day(at)
        if today <= deadline.due:
            return self.count(today, deadline.due, pauses)
        late = self.count(deadline.due, today, pauses)
        return late if late.days is None else Count(-late.days)

    # ---- internals ----------------------------------------------------------------------

    def _require(self, *years: int) -> None:
        unknown = self._unknown_in(min(years), max(years))
        if unknown is not None:
            raise LookupError(_no_calendar(unknown))

    def _unknown_in(self, first: int, last: int) -> int | None:
        for year in range(first, last + 1):
            if year not in self.notices:
                return year
        return None

    def _first_unknown_after(self, day: date) -> int:
        year = day.year
        while year in self.notices:
            year += 1
        return year

    def _covered(self, begin: date, due: date, n: int) -> Deadline | None:
        unknown = self._unknown_in(begin.year, due.year)
        return None if unknown is None else _unknown(unknown, n)


def _unknown(year: int, n: int) -> Deadline:
    return Deadline(None, n, _no_calendar(year), year)


def _no_calendar(year: int) -> str:
    return f"no calendar for {year}"


def _years_known(first: np.ndarray, last: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Whether every year from ``first`` to ``last`` is in ``known`` (sorted), elementwise."""
    if known.size == 0:
        return np.zeros(first.shape, dtype=bool)
    # Years are known when both ends are known and no gap of the known years lies between.
    idx_first = np.searchsorted(known, first)
    idx_last = np.searchsorted(known, last)
    in_first = (idx_first < known.size) & (known[np.minimum(idx_first, known.size - 1)] == first)
    in_last = (idx_last < known.size) & (known[np.minimum(idx_last, known.size - 1)] == last)
    return in_first & in_last & ((idx_last - idx_first) == (last - first))


def _local_day(moment: date | datetime) -> date:
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("a moment needs its time zone (Asia/Shanghai)")
        return moment.astimezone(SHANGHAI).date()
    return moment


def _merged(pauses: Iterable[Pause]) -> list[Pause]:
    """Pauses sorted and merged where they touch or overlap."""
    out: list[Pause] = []
    for lo, hi in sorted(pauses):
        if hi < lo:
            raise ValueError(f"a pause ends before it starts: {lo} to {hi}")
        if out and lo <= out[-1][1] + timedelta(days=1):
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _year_working_days(notice: YearNotice) -> list[date]:
    day, out = date(notice.year, 1, 1), []
    while day.year == notice.year:
        if day in notice.workdays or (day.weekday() < 5 and day not in notice.holidays):
            out.append(day)
        day += timedelta(days=1)
    return out


# ---- shipped years and loaded notices ------------------------------------------------------


_HOLIDAY_NAMES = {"new_years_day": "元旦", "spring_festival": "春节", "tomb_sweeping_day": "清明节",
                  "labour_day": "劳动节", "dragon_boat_festival": "端午节",
                  "national_day": "国庆节", "mid_autumn_festival": "中秋节",
                  "anti_fascist_70th_day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日"}


@cache
def _shipped() -> dict[int, YearNotice]:
    return _read_package()


def shipped_notices() -> dict[int, YearNotice]:
    """The years the ``chinesecalendar`` package knows, one notice each."""
    return dict(_shipped())


def _read_package() -> dict[int, YearNotice]:
    from importlib.metadata import version

    import chinese_calendar

    names = {h.value: _HOLIDAY_NAMES.get(h.name, h.value) for h in chinese_calendar.Holiday}
    holidays: dict[int, dict[date, str]] = {}
    workdays: dict[int, dict[date, str]] = {}
    for day, name in chinese_calendar.holidays.items():
        holidays.setdefault(day.year, {})[day] = names.get(name, str(name))
    for day, name in chinese_calendar.workdays.items():
        workdays.setdefault(day.year, {})[day] = names.get(name, str(name))
    source = f"chinesecalendar {version('chinesecalendar')}"
    return {year: YearNotice(year, holidays[year], workdays.get(year, {}), source)
            for year in sorted(holidays)}


def shipped_calendar(extra: Iterable[YearNotice] = ()) -> Calendar:
    """The shipped years, with ``extra`` notices added (a later notice replaces a year)."""
    notices = shipped_notices()
    for notice in extra:
        notices[notice.year] = notice
    return Calendar(notices)


NOTICE_HEADERS = ("日期", "类型", "名称")


def parse_notice(content: bytes, source: str) -> YearNotice:
    """One year's notice from a small CSV file (UTF-8, with or without BOM).

    Columns ``日期,类型,名称`` (or ``date,kind,name``): one row per day off (类型 休) and per
    weekend day made a working day (类型 班); every date in the same year. Lines starting with
    ``#`` are comments; ``# 来源：国办发明电〔…〕…号`` names the notice (else ``source``).
    Refused whole with (row, column, reason) when anything is wrong.
    """
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NoticeError([(1, "文件", "不是 UTF-8 编码的 CSV 文件")]) from None
    lines = text.splitlines()
    for line in lines:
        if line.startswith("#") and "来源" in line:
            source = line.split("来源", 1)[1].lstrip("：: ").strip() or source
    # Comment lines are read as blank so that row numbers are the file's line numbers.
    rows = list(csv.reader("" if line.startswith("#") else line for line in lines))
    head = next((i for i, row in enumerate(rows) if any(c.strip() for c in row)), None)
    if head is None:
        raise NoticeError([(1, "文件", "文件是空的")])
    header = [c.strip().lower() for c in rows[head]]
    wanted = [("日期", "date"), ("类型", "kind"), ("名称", "name")]
    cols: list[int] = []
    errors: list[tuple[int, str, str]] = []
    for zh, en in wanted:
        where = [i for i, h in enumerate(header) if h in (zh, en)]
        if not where:
            errors.append((head + 1, zh, f"缺少“{zh}”列"))
        else:
            cols.append(where[0])
    if errors:
        raise NoticeError(errors)
    holidays: dict[date, str] = {}
    workdays: dict[date, str] = {}
    years: set[int] = set()
    for number, row in enumerate(rows, start=1):
        if number <= head + 1 or not any(c.strip() for c in row):
            continue
        cells = [row[i].strip() if i < len(row) else "" for i in cols]
        raw_day, raw_kind, name = cells
        try:
            day = date.fromisoformat(raw_day)
        except ValueError:
            errors.append((number, "日期", f"不是日期（应为 2027-01-01 这样的格式）：{raw_day}"))
            continue
        kind = _KIND_WORDS.get(raw_kind.lower())
        if kind is None:
            errors.append((number, "类型", f"应为“休”或“班”：{raw_kind}"))
            continue
        if day in holidays or day in workdays:
            errors.append((number, "日期", f"同一天出现两次：{day}"))
            continue
        if kind == WORKDAY and day.weekday() < 5:
            errors.append((number, "类型", f"{day} 是周一至周五，本来就是工作日，不需要调休上班"))
            continue
        years.add(day.year)
        (holidays if kind == HOLIDAY else workdays)[day] = name
    if len(years) > 1:
        errors.append((head + 2, "日期", f"一个文件只能是一年的安排，这里有：{sorted(years)}"))
    if not errors and not holidays:
        errors.append((head + 2, "类型", "没有任何放假日"))
    if errors:
        raise NoticeError(errors)
    return YearNotice(years.pop(), holidays, workdays, source)


def notice_csv(notice: YearNotice) -> str:
    """A notice written in the file format :func:`parse_notice` reads."""
    out = io.StringIO()
    out.write(f"# 来源：{notice.source}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(NOTICE_HEADERS)
    rows = [(d, "休", n) for d, n in notice.holidays.items()]
    rows += [(d, "班", n) for d, n in notice.workdays.items()]
    for day, kind, name in sorted(rows):
        writer.writerow((day.isoformat(), kind, name))
    return out.getvalue()
