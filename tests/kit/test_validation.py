"""The bounded input types: what each accepts at its ends and what it refuses, with why."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import TypeAdapter, ValidationError

from coopzone.kit.validation import (
    EARLIEST_YEAR,
    ID_MAX,
    LATEST_YEAR,
    MONEY_MAX,
    QUANTITY_MAX,
    Day,
    FiniteFloat,
    Id,
    Key,
    LocalDateTime,
    Money,
    Quantity,
    Year,
)


def refusal(adapter: TypeAdapter[object], value: object) -> str:
    with pytest.raises(ValidationError) as info:
        adapter.validate_python(value)
    return str(info.value)


def test_ids_fit_a_bigint() -> None:
    ids = TypeAdapter(Id)
    assert ids.validate_python(1) == 1 and ids.validate_python(ID_MAX) == 2**63 - 1
    for bad in (0, -1, ID_MAX + 1, 10**30):
        refusal(ids, bad)


def test_years_and_days_are_within_the_platforms_window() -> None:
    years, days = TypeAdapter(Year), TypeAdapter(Day)
    assert (EARLIEST_YEAR, LATEST_YEAR) == (1949, 2199)
    assert years.validate_python(1949) == 1949 and years.validate_python(2199) == 2199
    for bad in (-1, 1948, 2200, 10000):
        refusal(years, bad)
    assert days.validate_python("1949-01-01") == date(1949, 1, 1)
    assert "1949–2199" in refusal(days, "0001-01-01")
    assert "1949–2199" in refusal(days, "9999-12-31")


def test_money_is_finite_at_most_two_decimals_and_fits_a_bigint_of_fen() -> None:
    money = TypeAdapter(Money)
    assert money.validate_python("1250000.50") == Decimal("1250000.50")
    assert money.validate_python(str(MONEY_MAX)) == MONEY_MAX
    assert MONEY_MAX * 100 * 90 < 2**63 - 1  # ninety such amounts still add up in fen
    for bad in ("1e30", "1000000000000000", "0.001", "-0.01", "NaN", "Infinity", "-Infinity",
                float("inf")):
        refusal(money, bad)


def test_quantities_and_floats_are_finite() -> None:
    quantity, floats = TypeAdapter(Quantity), TypeAdapter(FiniteFloat)
    assert quantity.validate_python("-12.5") == Decimal("-12.5")
    assert QUANTITY_MAX * 10000 < 2**63 - 1
    for bad in ("1e30", "NaN", "Infinity"):
        refusal(quantity, bad)
    assert floats.validate_python(1e300) == 1e300
    for bad_float in (float("inf"), float("-inf"), float("nan")):
        refusal(floats, bad_float)
    assert "finite" in refusal(floats, float("inf"))


def test_local_times_are_read_in_asia_shanghai_and_gaps_are_refused() -> None:
    times = TypeAdapter(LocalDateTime)
    assert times.validate_python("2025-09-30T08:00").utcoffset() == timedelta(hours=8)
    assert times.validate_python("1988-07-01T12:00").utcoffset() == timedelta(hours=9)
    aware = times.validate_python("2025-09-30T00:00:00Z")
    assert aware == datetime.fromisoformat("2025-09-30T08:00:00+08:00")
    assert "不存在" in refusal(times, "1988-04-17T02:30")
    assert "歧义" in refusal(times, "1988-09-11T01:30")
    assert "1949–2199" in refusal(times, "0001-01-01T00:00:00+14:00")
    assert "1949–2199" in refusal(times, "9999-12-31T23:59:59")


def test_keys_are_short_and_never_hold_a_nul() -> None:
    keys = TypeAdapter(Key)
    assert keys.validate_python("金鱼石") == "金鱼石"
    assert "NUL" in refusal(keys, "a\x00b")
    refusal(keys, "x" * 121)
