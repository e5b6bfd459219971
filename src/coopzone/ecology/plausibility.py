"""Is a monitoring reading plausible? Finite numbers, per-item bounds, times in a window.

Checked at every edge that takes readings (the file reader, the station push and the
import service), so that a typo is a refusal with row, column and reason rather than a
劣V month; the engine stays pure and never sees an implausible value.

* Bounds are data: ``data/plausibility.csv`` (item code, name, unit, lower, upper and a
  note saying where each bound comes from or what it assumes). Bounds are inclusive:
  pH 14 is accepted, 14.01 refused. Every Table-1 item has a row (checked on loading).
* Values must be finite: ``1e309`` (read as +∞), ``Infinity`` and ``NaN`` are refused.
* Times: naive times are Asia/Shanghai wall-clock times read as :func:`coopzone.kit.times.
  localize` reads them (a time skipped or repeated by the 1986–91 daylight-saving changes is
  refused, so are years outside 1900–2199); a reading must not be dated before the
  platform's earliest year, before its section started, nor more than a tolerance after
  the platform's clock (:class:`ReadingWindow`).

Reasons are in Chinese unless the locale asks for English (``en``).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from importlib import resources

import polars as pl

from coopzone.engines.water_quality_gb3838 import ITEM_CODES
from coopzone.kit.times import EARLIEST_YEAR, LATEST_YEAR, SHANGHAI, LocalTimeError, localize

__all__ = [
    "Bound",
    "ReadingWindow",
    "bounds",
    "bounds_columns",
    "english",
    "load_bounds",
    "local_time_reason",
    "local_time_suspect",
    "number_text",
    "out_of_bounds",
    "say",
    "value_reason",
    "window_problems",
]

_DIMENSIONLESS = "无量纲"
# Texts that Python's float() reads as a non-finite number; refused as such, not as "not a
# number", so the user sees why.
NON_FINITE_TEXT = r"^[+-]?(?i:inf|infinity|nan)$"


def english(locale: str | None) -> bool:
    """Whether ``locale`` asks for English (``en``, ``en_US``, ``en-GB``); else Chinese."""
    return (locale or "").strip().lower().replace("-", "_").split("_")[0] == "en"


def say(locale: str | None, zh: str, en: str) -> str:
    return en if english(locale) else zh


def number_text(x: float) -> str:
    """A number as a person would write it: ``15``, ``0.25``, ``1e+300``, ``inf``."""
    if x.is_integer() and abs(x) < 1e16:
        return str(int(x))
    return repr(x) if math.isfinite(x) and abs(x) >= 1e-4 and abs(x) < 1e16 else f"{x:g}"


# --------------------------------------------------------------------------------------
# Bounds (data/plausibility.csv)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bound:
    """Plausible range of one item, inclusive at both ends."""

    item: str
    name: str
    unit: str
    lower: float
    upper: float
    note: str

    def range_text(self) -> str:
        unit = "" if self.unit == _DIMENSIONLESS else f" {self.unit}"
        return f"{number_text(self.lower)}–{number_text(self.upper)}{unit}"

    def reason(self, value: float, text: str, locale: str | None) -> str | None:
        """Why ``value`` (written ``text``) is implausible for this item; None if it is not."""
        if not math.isfinite(value):
            return say(locale, f"不是有限数字：{text}", f"not a finite number: {text}")
        if self.lower <= value <= self.upper:
            return None
        if value < 0 <= self.lower:
            return say(locale, f"{self.name}为负值：{text}（不能小于 0）",
                       f"negative value: {text}")
        return say(locale, f"{self.name} {text} 超出合理范围 {self.range_text()}",
                   f"{self.item} {text} is outside the plausible range {self.range_text()}")


def load_bounds(text: str | None = None) -> dict[str, Bound]:
    """Bounds by item code from CSV text (default: the packaged table). Refuses a table that
    misses an item, names an unknown one, or has a bound that is not a finite number or a
    lower bound that is not below the upper one."""
    if text is None:
        text = resources.files("coopzone.ecology").joinpath("data/plausibility.csv").read_text(
            "utf-8")
    out: dict[str, Bound] = {}
    for line, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        try:
            lower, upper = float(row["lower"]), float(row["upper"])
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"plausibility line {line}: bounds are not numbers") from None
        code = row["item"]
        if code not in ITEM_CODES or code in out:
            raise ValueError(f"plausibility line {line}: unknown or repeated item {code!r}")
        if not (math.isfinite(lower) and math.isfinite(upper) and lower < upper):
            raise ValueError(f"plausibility line {line}: need finite lower < upper")
        out[code] = Bound(code, row["name"], row["unit"], lower, upper, row.get("note") or "")
    missing = [c for c in ITEM_CODES if c not in out]
    if missing:
        raise ValueError(f"plausibility table lacks items: {missing}")
    return out


@lru_cache(maxsize=1)
def bounds() -> dict[str, Bound]:
    return load_bounds()


def value_reason(item: str, value: float, text: str, locale: str | None = None) -> str | None:
    """Why one value of ``item`` is refused (non-finite or out of bounds); None if plausible."""
    return bounds()[item].reason(value, text, locale)


def bounds_columns(item: pl.Expr) -> list[pl.Expr]:
    """_lower, _upper, _name and _range of each row's item code (null for unknown codes),
    element-wise so the frame keeps its order; :func:`bounds_reason` reads them."""
    rows = list(bounds().values())
    codes = [b.item for b in rows]

    def column(values: list[object], dtype: pl.DataType, name: str) -> pl.Expr:
        return item.replace_strict(codes, values, default=None, return_dtype=dtype).alias(name)

    return [
        column([b.lower for b in rows], pl.Float64(), "_lower"),
        column([b.upper for b in rows], pl.Float64(), "_upper"),
        column([b.name for b in rows], pl.String(), "_name"),
        column([b.range_text() for b in rows], pl.String(), "_range"),
    ]


def out_of_bounds(value: pl.Expr) -> pl.Expr:
    """True where a (finite) value lies outside its item's bounds, on a frame with
    :func:`bounds_columns`; cheap, so that reasons are formatted only for those rows."""
    lower, upper = pl.col("_lower"), pl.col("_upper")
    return value.is_not_null() & lower.is_not_null() & ~value.is_between(lower, upper)


def bounds_reason(value: pl.Expr, text: pl.Expr, locale: str | None) -> pl.Expr:
    """Vectorised :meth:`Bound.reason` for finite values, on a frame with
    :func:`bounds_columns` (null where the value is plausible or missing)."""
    lower, upper, item = pl.col("_lower"), pl.col("_upper"), pl.col("item")
    if english(locale):
        negative = pl.format("negative value: {}", text)
        outside = pl.format("{} {} is outside the plausible range {}", item, text, pl.col("_range"))
    else:
        negative = pl.format("{}为负值：{}（不能小于 0）", pl.col("_name"), text)
        outside = pl.format("{} {} 超出合理范围 {}", pl.col("_name"), text, pl.col("_range"))
    return (
        pl.when(value.is_null() | lower.is_null() | value.is_between(lower, upper)).then(None)
        .when((value < 0) & (lower >= 0)).then(negative)
        .otherwise(outside)
    )


# --------------------------------------------------------------------------------------
# Times
# --------------------------------------------------------------------------------------


def local_time_suspect(time: pl.Expr) -> pl.Expr:
    """True where a naive local time cannot be read: outside 1900–2199, or skipped or
    repeated by a daylight-saving change in Asia/Shanghai (reasons from
    :func:`local_time_reason`)."""
    local = time.dt.replace_time_zone("Asia/Shanghai", ambiguous="null", non_existent="null")
    return time.is_not_null() & (
        ~time.dt.year().is_between(EARLIEST_YEAR, LATEST_YEAR) | local.is_null())


def local_time_reason(moment: datetime, locale: str | None = None) -> str | None:
    """Why :func:`coopzone.kit.times.localize` refuses ``moment``; None if it reads it."""
    try:
        localize(moment)
    except LocalTimeError as exc:
        return exc.reason("en" if english(locale) else "zh_CN")
    return None


@dataclass(frozen=True)
class ReadingWindow:
    """When a reading may be dated: from 1 January of ``earliest_year`` (or the first day
    of its section, ``starts`` by section name or code, whichever is later) up to
    ``future_tolerance`` after ``now``, the platform's clock."""

    now: datetime
    earliest_year: int
    future_tolerance: timedelta
    starts: Mapping[str, date] = field(default_factory=dict)

    @property
    def earliest(self) -> datetime:
        """First allowed local time (naive, Asia/Shanghai)."""
        return datetime(self.earliest_year, 1, 1)

    @property
    def latest(self) -> datetime:
        """Last allowed local time (naive, Asia/Shanghai)."""
        return (self.now.astimezone(SHANGHAI) + self.future_tolerance).replace(tzinfo=None)

    def tolerance_text(self, locale: str | None) -> str:
        hours = number_text(round(self.future_tolerance.total_seconds() / 3600, 2))
        return say(locale, f"{hours} 小时", f"{hours} h")


def _inside(frame: pl.DataFrame, window: ReadingWindow) -> bool:
    """True when every time of ``frame`` is plainly inside ``window``: none before the
    earliest year, after the latest time, or before the latest start of the sections in
    the frame (a conservative test: False sends the frame to the full check)."""
    first, last, sections = frame.select(
        pl.col("time").min().alias("first"), pl.col("time").max().alias("last"),
        pl.col("section").unique().implode().alias("sections")).row(0)
    if first is None:
        return True  # no dated reading: nothing is outside
    starts = [window.starts[s] for s in sections if s in window.starts]
    start = datetime.combine(max(starts), time()) if starts else window.earliest
    return first >= max(window.earliest, start) and last <= window.latest


def window_problems(frame: pl.DataFrame, window: ReadingWindow, column: pl.Expr,
                    locale: str | None = None, row: str = "row") -> pl.DataFrame:
    """One row per reading dated outside ``window``: ``_row``, ``column``, ``reason``.

    ``frame`` has ``section``, ``time`` (naive local) and the row number column ``row``;
    ``column`` names the time column the user sees."""
    if _inside(frame, window):  # the usual case, told by one cheap pass
        return pl.DataFrame(schema={"_row": pl.Int64, "column": pl.String,
                                    "reason": pl.String})
    starts = pl.DataFrame(
        {"section": list(window.starts), "_start": list(window.starts.values())},
        schema={"section": pl.String, "_start": pl.Date},
    )
    earliest, latest = window.earliest, window.latest
    df = frame.select(pl.col(row).alias("_row"), "section", "time").filter(
        pl.col("time").is_not_null())
    if window.starts:
        df = df.join(starts, on="section", how="left")
    else:
        df = df.with_columns(pl.lit(None, pl.Date).alias("_start"))
    start = pl.col("_start").cast(pl.Datetime("us"))
    t = pl.col("time").dt.strftime("%Y-%m-%d %H:%M")
    now = window.now.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    tolerance = window.tolerance_text(locale)
    if english(locale):
        too_early = pl.format("time {} is before the platform's earliest year {}", t,
                              pl.lit(str(window.earliest_year)))
        before_start = pl.format("time {} is before section {} started ({})", t,
                                 pl.col("section"), pl.col("_start").dt.strftime("%Y-%m-%d"))
        too_late = pl.format("time {} is more than {} ahead of the platform's clock ({})", t,
                             pl.lit(tolerance), pl.lit(now))
    else:
        too_early = pl.format("时间 {} 早于平台最早年份 {} 年", t,
                              pl.lit(str(window.earliest_year)))
        before_start = pl.format("时间 {} 早于断面 {} 的启用日期 {}", t, pl.col("section"),
                                 pl.col("_start").dt.strftime("%Y-%m-%d"))
        too_late = pl.format("时间 {} 晚于平台当前时间 {} 超过 {}", t, pl.lit(now),
                             pl.lit(tolerance))
    time = pl.col("time")
    early = time < earliest
    before = start.is_not_null() & (time < start)
    late = time > latest
    reason = pl.when(early).then(too_early).when(before).then(before_start).otherwise(too_late)
    # Filter first: the reasons are formatted only for the (few) rows outside the window.
    return (df.filter(early | before | late)
            .select(pl.col("_row").cast(pl.Int64), column.cast(pl.String).alias("column"),
                    reason.alias("reason")))
