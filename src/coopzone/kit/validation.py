"""Bounded inputs for every edge (API bodies, query and path parameters, page forms).

Each type here is an ``Annotated`` alias that pydantic (and so FastAPI) enforces and writes
into the OpenAPI schema, so a value that the database, the calendar or ``Decimal`` arithmetic
cannot hold is refused as a 422 at the edge rather than failing as a 500 deep inside:

* ids: 1 .. 2**63-1 (a PostgreSQL ``bigint`` and SQLite's ``INTEGER``);
* years and dates: ``EARLIEST_YEAR`` .. ``LATEST_YEAR``;
* strings: at most as long as their column, never a NUL character (PostgreSQL refuses it);
* numbers: finite only (no NaN, Infinity or ``1e309``); money with at most two decimals and
  at most ``MONEY_MAX`` yuan, so its fen fit a ``BIGINT`` with room for sums;
* datetimes: read as Asia/Shanghai wall time by :func:`coopzone.kit.times.localize`, which
  refuses times skipped or repeated by the 1986–91 daylight-saving changes.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from annotated_types import Ge, Le
from pydantic import AfterValidator, Field, StringConstraints

from coopzone.kit.times import LATEST_YEAR as TIMES_LATEST_YEAR
from coopzone.kit.times import LocalTimeError, localize

# The largest id a BIGINT (and SQLite's INTEGER) holds.
ID_MAX = 2**63 - 1
# No record of the platform is older than the People's Republic, none is planned past the
# last year that kit.times reads safely.
EARLIEST_YEAR = 1949
LATEST_YEAR = TIMES_LATEST_YEAR
# Below 10**15 yuan: 10**17 fen, ninety such amounts still add up within a BIGINT.
MONEY_MAX = Decimal("999999999999999.99")
# Scaled by 10**4 this still fits a BIGINT (9.2 * 10**18).
QUANTITY_MAX = Decimal("99999999999999.9999")
# Free text stored in a Text column (summaries, reports, notes).
TEXT_MAX = 20_000


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("不能包含 NUL 字符 (must not contain a NUL character)")
    return value


def _day_in_window(value: date) -> date:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"日期应在 {EARLIEST_YEAR}–{LATEST_YEAR} 年之间 "
                         f"(a date in the years {EARLIEST_YEAR}–{LATEST_YEAR})")
    return value


def _local_time(value: datetime) -> datetime:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"时间应在 {EARLIEST_YEAR}–{LATEST_YEAR} 年之间 "
                         f"(a time in the years {EARLIEST_YEAR}–{LATEST_YEAR})")
    try:
        return localize(value)
    except LocalTimeError as exc:
        raise ValueError(f"{exc.zh} ({exc.en})") from None


Id = Annotated[int, Ge(1), Le(ID_MAX)]
Year = Annotated[int, Ge(EARLIEST_YEAR), Le(LATEST_YEAR)]
Day = Annotated[date, AfterValidator(_day_in_window)]
LocalDateTime = Annotated[datetime, AfterValidator(_local_time)]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
FiniteDecimal = Annotated[Decimal, Field(allow_inf_nan=False)]
# An exact quantity stored as a BIGINT scaled by 10**4 (indicator values and targets).
Quantity = Annotated[Decimal, Field(allow_inf_nan=False, ge=-QUANTITY_MAX, le=QUANTITY_MAX)]
Money = Annotated[Decimal, Field(allow_inf_nan=False, ge=0, le=MONEY_MAX, decimal_places=2)]
PlaceCode = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
# A string without NUL; give its length with Field(min_length=..., max_length=...).
Str = Annotated[str, AfterValidator(_no_nul)]
# A code or short name in a path or query (sections, indicators, series, counties, filters).
Key = Annotated[str, StringConstraints(max_length=120), AfterValidator(_no_nul)]
# Free text stored in a Text column.
LongText = Annotated[str, StringConstraints(max_length=TEXT_MAX), AfterValidator(_no_nul)]

__all__ = [
    "EARLIEST_YEAR",
    "ID_MAX",
    "LATEST_YEAR",
    "MONEY_MAX",
    "QUANTITY_MAX",
    "TEXT_MAX",
    "Day",
    "FiniteDecimal",
    "FiniteFloat",
    "Id",
    "Key",
    "LocalDateTime",
    "LongText",
    "Money",
    "PlaceCode",
    "Quantity",
    "Str",
    "Year",
]
