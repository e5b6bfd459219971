"""Local times in Asia/Shanghai: the 1986–91 daylight-saving gaps and folds are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from coopzone.kit.times import LocalTimeError, localize, to_utc


def test_an_ordinary_local_time_is_utc_plus_eight() -> None:
    assert localize(datetime(2025, 9, 30, 8)).utcoffset() == timedelta(hours=8)
    assert to_utc(datetime(2025, 9, 30, 8)) == datetime(2025, 9, 30, 0, tzinfo=UTC)


def test_summer_time_of_1988_is_utc_plus_nine() -> None:
    assert localize(datetime(1988, 7, 1, 12)).utcoffset() == timedelta(hours=9)


@pytest.mark.parametrize("wall", [datetime(1986, 5, 4, 2, 0), datetime(1988, 4, 17, 2, 30),
                                  datetime(1991, 4, 14, 2, 59)])
def test_a_time_skipped_in_spring_is_refused(wall: datetime) -> None:
    with pytest.raises(LocalTimeError) as info:
        localize(wall)
    assert "不存在" in info.value.zh and "does not exist" in info.value.en


@pytest.mark.parametrize("wall", [datetime(1988, 9, 11, 1, 30), datetime(1991, 9, 15, 1, 0)])
def test_a_time_that_happened_twice_is_refused(wall: datetime) -> None:
    with pytest.raises(LocalTimeError) as info:
        localize(wall)
    assert "歧义" in info.value.reason() and "ambiguous" in info.value.reason("en")


def test_an_aware_time_in_the_fold_is_fine() -> None:
    aware = datetime(1988, 9, 11, 1, 30, tzinfo=timezone(timedelta(hours=9)))
    assert localize(aware).utcoffset() == timedelta(hours=9)


@pytest.mark.parametrize("value", [datetime.min, datetime.max,
                                   datetime.max.replace(tzinfo=UTC),
                                   datetime.min.replace(tzinfo=UTC), datetime(1899, 12, 31)])
def test_the_ends_of_the_calendar_are_refused_not_overflowed(value: datetime) -> None:
    with pytest.raises(LocalTimeError):
        to_utc(value)
