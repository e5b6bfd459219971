"""Local wall-clock times in Asia/Shanghai, read safely.

China observed daylight saving time from 1986 to 1991 (clocks forward at 02:00 on a Sunday
in April, 4 May in 1986, back at 02:00 on a Sunday in September; tz database
``Asia/Shanghai``).
A naive time in a spring-forward gap never existed and one in the autumn hour happened twice:
both are refused with a reason rather than guessed. Times outside ``EARLIEST_YEAR`` ..
``LATEST_YEAR`` are refused too, so no conversion can overflow at the ends of the calendar.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
EARLIEST_YEAR = 1900
LATEST_YEAR = 2199


class LocalTimeError(ValueError):
    """A time that cannot be read unambiguously; ``zh`` and ``en`` say why."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(zh)
        self.zh = zh
        self.en = en

    def reason(self, locale: str = "zh_CN") -> str:
        return self.en if locale == "en" else self.zh


def _check_year(value: datetime) -> None:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise LocalTimeError(
            f"时间 {value.date().isoformat()} 超出 {EARLIEST_YEAR}–{LATEST_YEAR} 年的范围",
            f"time {value.date().isoformat()} is outside the years {EARLIEST_YEAR}–{LATEST_YEAR}")


def localize(value: datetime, zone: ZoneInfo = SHANGHAI) -> datetime:
    """An aware time for ``value``: a naive one is read as wall-clock time in ``zone``
    (refused when it fell in a daylight-saving gap or fold); an aware one is converted."""
    _check_year(value)
    if value.tzinfo is not None and value.utcoffset() is not None:
        aware = value.astimezone(zone)
        _check_year(aware)
        return aware
    first = value.replace(tzinfo=zone, fold=0)
    second = value.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        # The two folds disagree: either the wall time was skipped or it happened twice.
        round_trip = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        if round_trip != value.replace(tzinfo=None, fold=0):
            raise LocalTimeError(
                f"当地时间 {value:%Y-%m-%d %H:%M} 不存在（夏令时拨快时跳过）",
                f"local time {value:%Y-%m-%d %H:%M} does not exist (skipped by daylight "
                "saving time)")
        raise LocalTimeError(
            f"当地时间 {value:%Y-%m-%d %H:%M} 有歧义（夏令时结束时出现两次），请注明时区",
            f"local time {value:%Y-%m-%d %H:%M} is ambiguous (it happened twice when daylight "
            "saving time ended); give the UTC offset")
    return first


def to_utc(value: datetime) -> datetime:
    """``value`` (aware) in UTC, refused when outside the supported years."""
    return localize(value).astimezone(UTC)
