"""Read the water-quality files bureaus send into the long readings the engine takes.

Layouts
-------
* wide: the national automatic-monitoring publication (省份, 流域, 断面名称, 监测时间,
  水质类别, 水温(℃), pH(无量纲), 溶解氧(mg/L), …, 站点情况) and any other Table-1 item
  by its Chinese name. Columns that are not Table-1 items (电导率, 浊度, 叶绿素α, 藻密度,
  站点情况, 水质类别, …) are ignored.
* long: section, time, item, value (English or Chinese headers; item as code or name).

Formats: CSV in UTF-8, UTF-8 with BOM or GBK/GB18030; Excel .xlsx/.xls via python-calamine,
both read through :mod:`coopzone.kit.importing` (the decoding and the workbook reader,
with the upload limits). The columns are defined once (:data:`WIDE_COLUMNS`); the
downloadable template (:func:`template`) is written from them.
Values: numbers, ``--``/empty (missing), ``0.002L``, ``<0.002``, ``ND(0.002)`` (below the
detection limit; full-width characters allowed), see
:func:`coopzone.engines.water_quality.parse_value` for the same rules on one value. A value
must be finite (``1e309``, ``Infinity``, ``NaN`` are refused) and within the item's
plausible range (``data/plausibility.csv``); a naive time must be a real, unambiguous
Asia/Shanghai wall-clock time (:mod:`coopzone.ecology.plausibility`).

A file with any bad cell is refused whole: :class:`FileRejected` carries every
``(row, column, reason)``; ``row`` is the line number the user sees (header = 1). Reasons are
Chinese unless the caller passes an English locale (``locale="en"``).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from coopzone.ecology.plausibility import (
    NON_FINITE_TEXT,
    ReadingWindow,
    bounds_columns,
    bounds_reason,
    english,
    local_time_reason,
    local_time_suspect,
    out_of_bounds,
    window_problems,
)
from coopzone.engines.water_quality_gb3838 import ITEM_ALIASES
from coopzone.errors import InvalidInput
from coopzone.kit.importing import (
    EXCEL_FORMATS,
    Column,
    decode_text,
    read_table,
    template_workbook,
)
from coopzone.kit.language import say
from coopzone.kit.uploads import UNLIMITED, Limits, check_rows

__all__ = ["OUTPUT_SCHEMA", "WIDE_COLUMNS", "FileRejected", "read_water_file", "read_water_files",
           "template"]

OUTPUT_SCHEMA = pl.Schema({
    "section": pl.String(),
    "time": pl.Datetime("us"),
    "item": pl.String(),
    "value": pl.Float64(),
    "below_dl": pl.Boolean(),
    "detection_limit": pl.Float64(),
    "source_file": pl.String(),
    "row": pl.Int64(),
})

# The columns, defined once (coopzone.kit.importing.Column): the reader finds its columns by
# these names and the downloadable template (:func:`template`) is written from them.
SECTION = Column("section", "断面名称", "section",
                 ("断面", "站点名称", "点位名称", "测站名称", "监测断面"), True, "金鱼石",
                 "已登记的断面名称或代码", "a registered section's name or code")
TIME = Column("time", "监测时间", "time",
              ("datetime", "date", "时间", "采样时间", "日期", "监测日期"), True,
              "2025-09-01 08:00", "年-月-日 时:分，北京时间", "year-month-day hour:minute, "
              "Beijing time")
ITEM = Column("item", "监测项目", "item", ("项目", "指标", "监测指标"), False, "溶解氧",
              "长表：项目名称", "long layout: the item's name")
VALUE = Column("value", "监测值", "value", ("值", "浓度", "结果", "监测结果", "数值"), False, 7.6,
               "长表：数值；低于检出限写 0.002L 或 ND(0.002)",
               "long layout: the value; below the detection limit write 0.002L or ND(0.002)")
# The wide layout of the national automatic-monitoring publication: one column per item.
TEMPLATE_ITEMS: tuple[Column, ...] = (
    Column("temperature", "水温(℃)", "temperature (°C)", example=27.1),
    Column("ph", "pH(无量纲)", "ph", example=7.52),
    Column("do", "溶解氧(mg/L)", "do (mg/L)", example=7.8),
    Column("codmn", "高锰酸盐指数(mg/L)", "codmn (mg/L)", example=2.6),
    Column("nh3n", "氨氮(mg/L)", "nh3n (mg/L)", example=0.21),
    Column("tp", "总磷(mg/L)", "tp (mg/L)", example="0.01L",
           note_zh="低于检出限写 0.01L 或 ND(0.01)", note_en="below the limit: 0.01L"),
    Column("tn", "总氮(mg/L)", "tn (mg/L)", example=1.52),
)
WIDE_COLUMNS: tuple[Column, ...] = (SECTION, TIME, *TEMPLATE_ITEMS)


def _names(column: Column) -> set[str]:
    return {_norm(n) for n in (column.zh, *column.aliases, column.key)}


def template(locale: str | None = None) -> bytes:
    """The downloadable water-readings template: the national publication's wide layout
    (断面名称, 监测时间, one column per item) with one example row; it imports as it is.
    The example's time carries its year, so a filled template needs no ``--year``."""
    # English headers are the item codes the reader also takes (do (mg/L), tp (mg/L), …).
    return template_workbook("监测数据" if not english(locale) else "Readings", WIDE_COLUMNS,
                             locale)


# "nan" is not a missing marker: NaN is refused as not a finite number.
_MISSING = ["", "--", "-", "—", "——", "/", "na", "n/a", "null", "none"]
_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"


class FileRejected(Exception):
    """A file was refused; ``errors`` lists every ``(row, column, reason)``."""

    def __init__(
        self,
        source: str,
        errors: list[tuple[int, str, str]],
        per_file: dict[str, list[tuple[int, str, str]]] | None = None,
    ) -> None:
        self.source = source
        self.errors = errors
        # File name -> its own errors, when several files were read together.
        self.per_file = per_file if per_file is not None else {source: errors}
        super().__init__(f"{source}: {len(errors)} problem(s), file refused")


# --------------------------------------------------------------------------------------
# Loading: every cell as text, whatever the container
# --------------------------------------------------------------------------------------


def _decode(data: bytes, locale: str | None = None) -> str:
    try:
        return decode_text(data)
    except InvalidInput:
        raise FileRejected("?", [(1, "", say(locale, "文件编码不是 UTF-8 或 GBK/GB18030",
                                             "cannot decode: not UTF-8 or GBK text"))]) from None


def _load_csv(path: Path, limits: Limits, locale: str | None = None) -> pl.DataFrame:
    text = _decode(path.read_bytes(), locale)
    check_rows(max(text.count("\n") - 1, 0), limits, locale=locale)
    return pl.read_csv(
        io.BytesIO(text.encode("utf-8")), infer_schema=False, truncate_ragged_lines=False,
        raise_if_empty=False,
    )


def _cell_text(cell: object) -> str | None:
    if cell is None or cell == "":
        return None
    if isinstance(cell, dt.datetime):
        return cell.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(cell, dt.date):
        return cell.strftime("%Y-%m-%d")
    if isinstance(cell, float):
        return repr(cell)
    return str(cell)


def _load_excel(path: Path, limits: Limits, locale: str | None = None) -> pl.DataFrame:
    # The kit reads the workbook (zip directory and row limits checked before calamine
    # inflates anything); a damaged or zip-bomb workbook raises InvalidInput.
    table = read_table(path.read_bytes(), path.name, limits=limits, formats=EXCEL_FORMATS,
                       locale=locale)
    if not table.header and not table.rows:
        return pl.DataFrame()
    header = [str(h).strip() for h in table.header]
    body = [[_cell_text(c) for c in r] + [None] * (len(header) - len(r)) for r in table.rows]
    return pl.DataFrame(body, schema=dict.fromkeys(header, pl.String), orient="row")


def _load(path: Path, limits: Limits, locale: str | None = None) -> pl.DataFrame:
    if path.suffix.lower() in {".xlsx", ".xlsm", ".xls", ".ods"}:
        return _load_excel(path, limits, locale)
    return _load_csv(path, limits, locale)


# --------------------------------------------------------------------------------------
# Headers
# --------------------------------------------------------------------------------------


def _norm(header: str) -> str:
    return unicodedata.normalize("NFKC", header).strip().lower().replace(" ", "")


def _item_code(header: str) -> str | None:
    """Item code for a header such as ``溶解氧(mg/L)`` or ``铬(六价)``; None if not an item."""
    h = _norm(header)
    while True:
        if h in ITEM_ALIASES:
            return ITEM_ALIASES[h]
        stripped = re.sub(r"[(\[][^()\[\]]*[)\]]$", "", h)
        if stripped == h:
            return None
        h = stripped


def _find(headers: Sequence[str], names: set[str]) -> str | None:
    for h in headers:
        if re.sub(r"[(\[].*$", "", _norm(h)) in names:
            return h
    return None


# --------------------------------------------------------------------------------------
# Vectorised cell parsing
# --------------------------------------------------------------------------------------


def _say(locale: str | None, zh: str, en: str) -> pl.Expr:
    return pl.lit(en if english(locale) else zh)


def _fmt(locale: str | None, zh: str, en: str, *args: pl.Expr) -> pl.Expr:
    return pl.format(en if english(locale) else zh, *args)


def _value_columns(text: pl.Expr, locale: str | None) -> list[pl.Expr]:
    """value, below_dl, detection_limit and a problem text for each raw value cell."""
    s = text.str.normalize("NFKC").str.strip_chars().str.replace_all(" ", "")
    missing = s.is_null() | s.str.to_lowercase().is_in(_MISSING)
    dl_text = pl.coalesce(
        s.str.extract(rf"^({_NUMBER})[lL]$"),
        s.str.extract(rf"^<({_NUMBER})$"),
        s.str.extract(rf"^(?i:nd)\(({_NUMBER})\)$"),
    )
    bare_nd = s.str.to_lowercase() == "nd"
    dl = dl_text.cast(pl.Float64, strict=False)
    number = s.str.extract(rf"^({_NUMBER})$").cast(pl.Float64, strict=False)
    value = pl.when(missing).then(None).when(dl.is_not_null()).then(dl).otherwise(number)
    # 1e309 reads as +inf; Infinity and NaN are words float() would take: all refused.
    non_finite = s.str.contains(NON_FINITE_TEXT) | (value.is_not_null() & ~value.is_finite())
    problem = (
        pl.when(missing).then(None)
        .when(bare_nd).then(_say(locale, "低于检出限但未给出检出限，请写成 ND(0.002)",
                                 "below detection limit without the limit, write ND(0.002)"))
        .when(non_finite).then(_fmt(locale, "不是有限数字：{}", "not a finite number: {}", text))
        .when(dl.is_not_null() & (dl <= 0)).then(_say(locale, "检出限必须大于 0",
                                                      "detection limit must be positive"))
        .when(value.is_null()).then(_fmt(locale, "不是数字：{}", "not a number: {}", text))
    )
    return [
        value.alias("value"),
        dl.is_not_null().alias("below_dl"),
        dl.alias("detection_limit"),
        problem.alias("_value_problem"),
    ]


_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")


def _time_columns(text: pl.Expr, year: int | None, locale: str | None) -> list[pl.Expr]:
    s = text.str.normalize("NFKC").str.strip_chars().str.replace_all("/", "-")
    yearless = s.str.contains(r"^\d{1,2}-\d{1,2}(\s+\d{1,2}:\d{2}(:\d{2})?)?$")
    month_only = s.str.contains(r"^\d{4}-\d{1,2}$")
    full = (
        pl.when(yearless & (year is not None)).then(pl.lit(f"{year}-") + s)
        .when(month_only).then(s + "-01")
        .otherwise(s)
    )
    # chrono accepts unpadded fields such as 2019-7-1 8:00 with these formats.
    parsed = pl.coalesce([full.str.to_datetime(f, strict=False, time_unit="us") for f in _FORMATS])
    problem = (
        pl.when(s.is_null() | (s == "")).then(_say(locale, "时间为空", "time is empty"))
        .when(yearless & (year is None))
        .then(_fmt(locale, "时间 {} 没有年份：请给出年份（--year）",
                   "time {} has no year: give the year (--year)", text))
        .when(parsed.is_null()).then(_fmt(locale, "不是时间：{}", "not a time: {}", text))
    )
    return [parsed.alias("time"), problem.alias("_time_problem")]


# --------------------------------------------------------------------------------------
# Layouts to one long frame with raw text plus source column names
# --------------------------------------------------------------------------------------


def _to_long(raw: pl.DataFrame, locale: str | None = None
             ) -> tuple[pl.DataFrame, str, str, str, str]:
    """Long frame (_row, section, time, item, raw value, value column) plus headers."""
    headers = raw.columns
    section = _find(headers, _names(SECTION))
    time = _find(headers, _names(TIME))
    not_found = "column not found" if english(locale) else "找不到该列"
    errors = [(1, name, not_found) for name, h in
              (("断面名称/section", section), ("监测时间/time", time)) if h is None]
    if section is None or time is None:
        raise FileRejected("?", errors)
    numbered = raw.with_row_index("_row", offset=2).with_columns(pl.col("_row").cast(pl.Int64))
    item_col, value_col = _find(headers, _names(ITEM)), _find(headers, _names(VALUE))
    if item_col is not None and value_col is not None:
        long = numbered.select(
            "_row", pl.col(section).alias("section"), pl.col(time).alias("_time"),
            pl.col(item_col).alias("_item_text"), pl.col(value_col).alias("_value_text"),
            pl.lit(value_col).alias("_value_col"),
        )
        return long, section, time, item_col, value_col
    items = {h: code for h in headers if h not in (section, time) and (code := _item_code(h))}
    if not items:
        raise FileRejected("?", [(1, "", "no Table-1 item columns and no item/value columns"
                                  if english(locale) else
                                  "没有《地表水环境质量标准》表 1 的项目列，也没有项目/数值列")])
    long = numbered.select(
        "_row", pl.col(section).alias("section"), pl.col(time).alias("_time"), *items
    ).unpivot(index=["_row", "section", "_time"], variable_name="_value_col",
              value_name="_value_text")
    long = long.with_columns(pl.col("_value_col").alias("_item_text"))
    return long, section, time, "", ""


def _parse(long: pl.DataFrame, year: int | None, locale: str | None = None) -> pl.DataFrame:
    texts = long["_item_text"].drop_nulls().unique().to_list()
    codes = pl.LazyFrame(
        {"_item_text": texts, "item": [_item_code(t) for t in texts]},
        schema={"_item_text": pl.String, "item": pl.String},
    )
    # One query (collected once): a small file's cost is mostly per step, not per row.
    return (
        long.lazy().with_columns(pl.col("_value_text").cast(pl.String))
        .join(codes, on="_item_text", how="left", maintain_order="left")
        .with_columns(
            *bounds_columns(pl.col("item")),
            pl.col("section").str.strip_chars(),
            *_time_columns(pl.col("_time"), year, locale),
            *_value_columns(pl.col("_value_text"), locale),
        )
        .with_columns(local_time_suspect(pl.col("time")).alias("_local_bad"))
        .collect()
    )


def _collect_errors(df: pl.DataFrame, section: str, time: str, item_col: str,
                    locale: str | None = None,
                    window: ReadingWindow | None = None) -> pl.DataFrame:
    """One row per problem: _row, column, reason."""
    value = pl.col("value")
    plausible = pl.col("_value_problem").is_null() & pl.col("item").is_not_null()
    checks: list[tuple[pl.Expr, pl.Expr, pl.Expr]] = [
        (pl.col("section").is_null() | (pl.col("section") == ""), pl.lit(section),
         _say(locale, "断面为空", "section is empty")),
        (pl.col("_time_problem").is_not_null(), pl.lit(time), pl.col("_time_problem")),
        (pl.col("item").is_null(), pl.lit(item_col),
         _fmt(locale, "未知项目：{}", "unknown item: {}", pl.col("_item_text"))),
        (pl.col("_value_problem").is_not_null(), pl.col("_value_col"), pl.col("_value_problem")),
        (plausible & out_of_bounds(value), pl.col("_value_col"),
         bounds_reason(value, pl.col("_value_text"), locale)),
    ]
    lf = df.lazy()
    # The cell checks and the duplicates as one query (collected once).
    found = pl.concat([
        *(lf.filter(cond).select("_row", col.alias("column"), reason.alias("reason"))
          for cond, col, reason in checks),
        _duplicates(lf, locale),
    ], how="vertical_relaxed").collect()
    parts = [found, _local_time_errors(df, time, locale)]
    if window is not None:
        dated = df.filter(~pl.col("_local_bad"))
        parts.append(window_problems(dated, window, pl.lit(time), locale, row="_row"))
    return pl.concat(parts, how="vertical_relaxed")


def _local_time_errors(df: pl.DataFrame, time: str, locale: str | None) -> pl.DataFrame:
    """Times that cannot be read as Asia/Shanghai wall-clock times (DST gap or fold, years
    outside 1900–2199), each with :func:`coopzone.kit.times.localize`'s reason."""
    schema = {"_row": pl.Int64, "column": pl.String, "reason": pl.String}
    if not df["_local_bad"].any():
        return pl.DataFrame(schema=schema)
    suspect = df.filter(pl.col("_local_bad")).select("_row", "time")
    reasons = {t: local_time_reason(t, locale) for t in suspect["time"].unique().to_list()}
    rows = [(int(r), time, reasons[t]) for r, t in suspect.iter_rows() if reasons[t]]
    return pl.DataFrame(rows, schema=schema, orient="row")


def _duplicates(df: pl.LazyFrame, locale: str | None = None) -> pl.LazyFrame:
    """Rows repeating (section, time, item) of an earlier row with a different value."""
    keyed = df.filter(pl.col("time").is_not_null() & pl.col("item").is_not_null()
                      & pl.col("value").is_not_null())
    first = keyed.group_by("section", "time", "item").agg(
        pl.col("_row").min().alias("_first"),
        pl.col("value").sort_by("_row").first().alias("_first_value"),
    )
    return (
        keyed.join(first, on=["section", "time", "item"])
        .filter((pl.col("_row") != pl.col("_first")) & (pl.col("value") != pl.col("_first_value")))
        .select(
            "_row", pl.col("_value_col").alias("column"),
            _fmt(locale, "与第 {} 行重复（断面、时间、项目相同）但数值不同",
                 "duplicate of row {} (same section, time and item) with a different value",
                 pl.col("_first")).alias("reason"),
        )
    )


def read_water_file(path: str | Path, *, year: int | None = None, locale: str | None = None,
                    window: ReadingWindow | None = None,
                    limits: Limits = UNLIMITED) -> pl.DataFrame:
    """Read one file into long readings (:data:`OUTPUT_SCHEMA`), or raise FileRejected.

    ``year`` completes times published without a year (``07-01 20:00``); such times are
    refused when it is not given. Values must be finite and within the item's plausible
    range, times readable as Asia/Shanghai wall-clock times and, with ``window``, inside it
    (see :mod:`coopzone.ecology.plausibility`). Reasons are Chinese unless ``locale`` is
    English (``en``). ``limits`` bound an upload's rows and unzipped size; a damaged or
    zip-bomb spreadsheet raises InvalidInput with its reason in Chinese.
    """
    path = Path(path)
    try:
        raw = _load(path, limits, locale)
        long, section, time, item_col, _ = _to_long(raw, locale)
    except FileRejected as exc:
        raise FileRejected(str(path), exc.errors) from None
    except (pl.exceptions.ComputeError, OSError, ValueError) as exc:
        raise FileRejected(str(path), [(1, "", say(locale, "文件内容无法读取",
                                                   f"cannot read file: {exc}"))]) from None
    df = _parse(long, year, locale)
    errors = (_collect_errors(df, section, time, item_col, locale, window)
              .unique().sort("_row", "column", "reason"))
    if errors.height:
        rows = [(int(r), str(c), str(m)) for r, c, m in errors.iter_rows()]
        raise FileRejected(str(path), rows)
    good = df.lazy().filter(pl.col("value").is_not_null() | pl.col("below_dl"))
    good = good.unique(["section", "time", "item"], keep="first", maintain_order=True)
    return good.select(
        "section", "time", "item", "value", "below_dl", "detection_limit",
        pl.lit(str(path)).alias("source_file"), pl.col("_row").alias("row"),
    ).cast(OUTPUT_SCHEMA).collect()


def read_water_files(paths: Sequence[str | Path], *, year: int | None = None,
                     locale: str | None = None) -> pl.DataFrame:
    """Read several files; every bad file is reported, none is partly accepted.

    Raises FileRejected whose ``errors`` hold the problems of all files in order and whose
    ``per_file`` maps each refused file to its own problems.
    """
    frames: list[pl.DataFrame] = []
    per_file: dict[str, list[tuple[int, str, str]]] = {}
    for p in paths:
        try:
            frames.append(read_water_file(p, year=year, locale=locale))
        except FileRejected as exc:
            per_file[str(p)] = exc.errors
    if per_file:
        errors = [e for errs in per_file.values() for e in errs]
        raise FileRejected(", ".join(per_file), errors, per_file)
    if not frames:
        return pl.DataFrame(schema=OUTPUT_SCHEMA)
    return pl.concat(frames)
