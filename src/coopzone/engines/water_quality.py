"""Surface-water quality classification and evaluation (pure, vectorised with Polars).

Standards and clauses implemented
---------------------------------
* GB 3838-2002 《地表水环境质量标准》 Table 1 (basic items, Classes I–V; §4 classes,
  §5 limits): the 24 items live in :mod:`coopzone.engines.water_quality_gb3838`. A value
  equal to a limit belongs to the better class; shared limits give the best class met
  (COD 14 → I); worse than Class V is 劣V (class 6). DO is a lower bound (Class I uses
  7.5 mg/L, not the 90 % saturation alternative); pH inside 6–9 is Class I, outside 劣V.
  TP uses the lake/reservoir column for lakes; TN is graded only for lakes/reservoirs.
* 《地表水环境质量评价办法（试行）》 环办〔2011〕22号:
  - 一(一)1: the 21 evaluation items (Table 1 less 水温, 总氮, 粪大肠菌群; lakes add TN);
    水温, TN (rivers) and 粪大肠菌群 are reported with a mean but no class.
  - 一(二): period values are arithmetic means of the readings in the period.
  - 二(一): single-factor method, the section class is the worst class among its items;
    水质状况 I–II 优, III 良好, IV 轻度污染, V 中度污染, 劣V 重度污染.
  - 二(二): rivers/basins: < 5 sections → mean of each item over the sections, then the
    single-factor method; >= 5 sections → shares of sections by class (configurable).
  - 三: 超标倍数 = (C − C_III) / C_III for items worse than Class III (not for 水温, pH, DO);
    main pollutants are the (up to) three worst items worse than III, ties by larger 超标倍数.
* 《地表水环境质量监测数据统计技术规定（试行）》 环办监测函〔2020〕82号:
  - point 7: a reading below the detection limit takes part in means as 1/2 of the limit;
  - means are rounded to the item's decimal places (四舍六入五成双) before classification,
    and a positive mean that rounds to 0 keeps one significant figure.

Choices documented here
-----------------------
* Rounding and comparisons work in integer units of the item's last decimal place (every
  Table-1 limit is a whole number of such units), so binary noise such as
  0.20000000000000004 cannot cross a class boundary.
* A mean made only of below-detection-limit readings cannot prove a class whose limit is
  below the detection limit: the item's class is at best the best class whose limit is
  >= the largest detection limit (Cd ``0.002L`` → II). A limit above the Class V limit
  therefore gives 劣V: such a method cannot show the water meets any class.
* pH mean: the arithmetic mean of pH values by default. Only secondary sources (a C#
  library's comments) say the 2020 rules average [H+]; ``ph_mean="hydrogen_ion"`` selects
  −log10(mean(10^−pH)) for callers who need that.
* Period means are plain means of all readings in the period (not means of daily means).
* Periods follow the local calendar: naive times are taken as local (Asia/Shanghai in the
  platform); an aware time counts in its own zone.
* The one pass over the raw readings (sums per section, item and month) counts into dense
  arrays when the keys allow it (:mod:`coopzone.engines.water_quality_dense`), else it is
  a Polars hash group-by; both give the same results (tests compare them).

Public API
----------
``parse_value(text) -> (value, below_dl, detection_limit)``
``evaluate(readings, period="month", water_body="river", target=None, ph_mean=...)``
    readings: DataFrame or LazyFrame with ``section`` (str), ``time`` (datetime),
    ``item`` (item code), ``value`` (float, null allowed), ``below_dl`` (bool), optional
    ``detection_limit`` (float) and optional ``water_body`` ("river"/"lake", overrides the
    argument per row). For below-DL rows ``value`` is the detection limit itself (as
    ``parse_value`` returns it) unless ``detection_limit`` is given.
    Returns :class:`Evaluation` with
    ``items``: section, period, item, item_name, n, mean, item_class (Int8), class_name,
    exceedance, below_dl, detection_limit, graded;
    ``sections``: section, period, water_class (Int8, null when nothing graded),
    class_name, status, compliant (null without target), main_pollutants (list[str],
    Chinese names), deciding_item (item code), n_items (graded items).
``evaluate_basin(readings, basin="basin", period=..., water_body=..., rule=BasinRule())``
``consecutive_compliant_months(monthly_sections, target, as_of=None)``
``classify(item, value, water_body="river") -> int | None`` (one value, for forms and tests)
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from typing import Literal

import polars as pl

from coopzone.engines.water_quality_dense import FIRST_DAY_NUMBER, MONTH_OF_DAY, monthly_sums
from coopzone.engines.water_quality_gb3838 import (
    CLASS_NAMES,
    ITEM_BY_CODE,
    ITEMS,
    PH_RANGE,
    STATUS_WORDS,
    WORSE_THAN_V,
    Item,
    WaterBody,
)

__all__ = [
    "CLASS_NAMES",
    "ITEMS",
    "STATUS_WORDS",
    "BasinRule",
    "Evaluation",
    "classify",
    "consecutive_compliant_months",
    "evaluate",
    "evaluate_basin",
    "parse_value",
]

Period = Literal["month", "quarter", "year", "all"]
PhMean = Literal["arithmetic", "hydrogen_ion"]
SumsPath = Literal["auto", "dense", "general"]
PERIODS: tuple[str, ...] = ("month", "quarter", "year", "all")
WATER_BODIES: tuple[str, ...] = ("river", "lake")
_CLASS_III = 3

# --------------------------------------------------------------------------------------
# Value parsing (HJ/T 91-2002 "0.002L", SL 219 "<0.002", lab "ND(0.002)")
# --------------------------------------------------------------------------------------

_MISSING = {"", "--", "-", "—", "——", "/", "na", "n/a", "nan", "null", "none"}


def parse_value(text: str | float | int | None) -> tuple[float | None, bool, float | None]:
    """Parse one reading as written by a laboratory.

    Returns ``(value, below_dl, detection_limit)``. Below-detection-limit forms
    (``0.002L``, ``<0.002``, ``ND(0.002)``; full-width characters allowed) give
    ``(0.002, True, 0.002)``: the value is the limit itself, the engine applies the
    half-limit rule of 环办监测函〔2020〕82号 point 7. Missing markers (``--``, empty)
    give ``(None, False, None)``; a bare ``ND`` gives ``(None, True, None)``.
    Raises ``ValueError`` for anything else that is not a number.
    """
    if text is None:
        return None, False, None
    if isinstance(text, bool):
        raise ValueError(f"not a number: {text!r}")
    if isinstance(text, int | float):
        return (None, False, None) if math.isnan(text) else (float(text), False, None)
    s = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    if s.lower() in _MISSING:
        return None, False, None
    upper = s.upper()
    dl_text: str | None = None
    if upper.endswith("L"):
        dl_text = s[:-1]
    elif s.startswith("<"):
        dl_text = s[1:]
    elif upper.startswith("ND"):
        inner = s[2:]
        if inner == "":
            return None, True, None
        if not (inner.startswith("(") and inner.endswith(")")):
            raise ValueError(f"not a number: {text!r}")
        dl_text = inner[1:-1]
    if dl_text is not None:
        dl = _to_float(dl_text, text)
        if dl <= 0:
            raise ValueError(f"detection limit must be positive: {text!r}")
        return dl, True, dl
    return _to_float(s, text), False, None


def _to_float(s: str, original: object) -> float:
    try:
        value = float(s)
    except ValueError:
        raise ValueError(f"not a number: {original!r}") from None
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"not a number: {original!r}")
    return value


# --------------------------------------------------------------------------------------
# Limits as a small table, in integer units of each item's last decimal place
# --------------------------------------------------------------------------------------


def _units(x: float, decimals: int) -> int:
    return round(x * 10**decimals)


def _limits_frame() -> pl.DataFrame:
    rows = []
    for order, item in enumerate(ITEMS):
        bodies: tuple[WaterBody, ...] = ("river", "lake")
        for body in bodies:
            limits = item.limits_for(body)
            units = [_units(v, item.decimals) for v in limits] if limits else [None] * 5
            rows.append(
                {
                    "item": item.code,
                    "water_body": body,
                    "order": order,
                    "item_name": item.name_zh,
                    "direction": item.direction,
                    "decimals": item.decimals,
                    "graded": item.graded(body),
                    "c3": limits[2] if limits else None,
                    **{f"u{k + 1}": units[k] for k in range(5)},
                }
            )
    return pl.DataFrame(
        rows,
        schema={
            "item": pl.String, "water_body": pl.String, "order": pl.Int32,
            "item_name": pl.String, "direction": pl.String, "decimals": pl.Int32,
            "graded": pl.Boolean, "c3": pl.Float64,
            **{f"u{k}": pl.Int64 for k in range(1, 6)},
        },
    )


_LIMITS = _limits_frame()


def classify(item: str, value: float, water_body: WaterBody = "river") -> int | None:
    """Class (1..6) of one already-averaged value; ``None`` for items not graded.

    Rounds like :func:`evaluate` does. For forms and tests; bulk work uses ``evaluate``.
    """
    spec = ITEM_BY_CODE[item]
    if not spec.graded(water_body):
        return None
    frame = pl.DataFrame(
        {"item": [item], "water_body": [water_body], "mean_raw": [float(value)]},
    ).join(_LIMITS, on=["item", "water_body"])
    out = frame.with_columns(_rounded_units()).with_columns(_class_from_units())
    result = out["mean_class"][0]
    return None if result is None else int(result)


# --------------------------------------------------------------------------------------
# Vectorised pieces
# --------------------------------------------------------------------------------------


def _rounded_units() -> pl.Expr:
    """Mean in integer units of the item's decimals, 四舍六入五成双.

    Rounding to 6 places first removes binary noise (0.0125*1000 = 12.500000000000002)
    so that the half-even step sees the decimal value the user wrote.
    """
    scale = pl.lit(10.0).pow(pl.col("decimals"))
    return (pl.col("mean_raw") * scale).round(6).round(0, mode="half_to_even").alias("units")


def _class_from_units() -> pl.Expr:
    """Best class met by ``units``; ties at shared limits give the best class."""
    u = pl.col("units")
    worse_upper = pl.sum_horizontal([(u > pl.col(f"u{k}")).cast(pl.Int8) for k in range(1, 6)])
    worse_lower = pl.sum_horizontal([(u < pl.col(f"u{k}")).cast(pl.Int8) for k in range(1, 6)])
    lo, hi = PH_RANGE
    in_range = (u >= lo) & (u <= hi)
    direction = pl.col("direction")
    return (
        pl.when(~pl.col("graded") | u.is_null())
        .then(None)
        .when(direction == "upper")
        .then(worse_upper + 1)
        .when(direction == "lower")
        .then(worse_lower + 1)
        .when(direction == "range")
        .then(pl.when(in_range).then(1).otherwise(WORSE_THAN_V))
        .otherwise(None)
        .cast(pl.Int8)
        .alias("mean_class")
    )


def _dl_floor_class() -> pl.Expr:
    """Best class whose limit is >= the detection limit, for all-below-DL means."""
    scale = pl.lit(10.0).pow(pl.col("decimals"))
    dl_units = (pl.col("detection_limit") * scale).round(6)
    below = pl.sum_horizontal(
        [(pl.col(f"u{k}").cast(pl.Float64) < dl_units).cast(pl.Int8) for k in range(1, 6)]
    )
    applies = (
        pl.col("below_dl") & pl.col("detection_limit").is_not_null()
        & (pl.col("direction") == "upper")
    )
    return pl.when(applies).then(below + 1).otherwise(1).cast(pl.Int8).alias("dl_floor")


def _class_name(col: str) -> pl.Expr:
    return pl.col(col).replace_strict(
        list(range(1, 7)), list(CLASS_NAMES), default=None, return_dtype=pl.String
    )


def _status(col: str) -> pl.Expr:
    return pl.col(col).replace_strict(
        list(range(1, 7)), list(STATUS_WORDS), default=None, return_dtype=pl.String
    )


# Month index of every day 1900-01-01..2199-12-31 with a sentinel at both ends: looking a
# day up is several times cheaper than calendar arithmetic on millions of readings.
_OUT_OF_RANGE = -1
_MONTH_OF_DAY = pl.concat([
    pl.Series([_OUT_OF_RANGE], dtype=pl.Int32), pl.Series(MONTH_OF_DAY),
    pl.Series([_OUT_OF_RANGE], dtype=pl.Int32),
])


def _month_key() -> pl.Expr:
    day = pl.col("time").dt.epoch("d").cast(pl.Int32) - (FIRST_DAY_NUMBER - 1)
    index = day.clip(0, _MONTH_OF_DAY.len() - 1)
    return pl.lit(_MONTH_OF_DAY).gather(index).alias("_m")


def _period_of_month(period: str) -> list[pl.Expr]:
    """Integer period keys (_y, _p) from the month index, on the small aggregate."""
    y = (pl.col("_m") // 12).cast(pl.Int32)
    month = (pl.col("_m") % 12 + 1).cast(pl.Int8)
    if period == "month":
        return [y.alias("_y"), month.alias("_p")]
    if period == "quarter":
        return [y.alias("_y"), ((month - 1) // 3 + 1).cast(pl.Int8).alias("_p")]
    if period == "year":
        return [y.alias("_y"), pl.lit(0, pl.Int8).alias("_p")]
    return [pl.lit(0, pl.Int32).alias("_y"), pl.lit(0, pl.Int8).alias("_p")]


def _period_label(period: str) -> pl.Expr:
    y = pl.col("_y").cast(pl.String)
    p = pl.col("_p")
    if period == "month":
        return pl.concat_str([y, pl.lit("-"), p.cast(pl.String).str.zfill(2)])
    if period == "quarter":
        return pl.concat_str([y, pl.lit("-Q"), p.cast(pl.String)])
    if period == "year":
        return y
    return pl.lit("all")


def _aggregate(
    readings: pl.DataFrame | pl.LazyFrame, period: str, water_body: str, ph_mean: str,
    sums: str = "auto",
) -> pl.DataFrame:
    """Sums per section-month-item (the only pass over the raw readings), then per period.

    Sums rather than means are kept so months combine exactly into quarters and years;
    below-DL readings enter the sum as half their limit (½DL).
    """
    lf = readings.lazy()
    schema = lf.collect_schema()
    names = schema.names()
    missing = {"section", "time", "item", "value", "below_dl"} - set(names)
    if missing:
        raise ValueError(f"readings lack columns: {sorted(missing)}")
    dense = (monthly_sums(readings, water_body)
             if ph_mean == "arithmetic" and sums != "general" else None)
    if dense is None and sums == "dense":
        raise ValueError("the dense path does not suit these readings (or the pH mean)")
    if dense is not None:
        return _combine_months(dense, period, ph_mean)
    time = schema["time"]
    if isinstance(time, pl.Datetime) and time.time_zone is not None:
        lf = lf.with_columns(pl.col("time").dt.replace_time_zone(None))  # local wall clock
    if "water_body" in names:  # a row without one is of the argument's kind
        lf = lf.with_columns(pl.col("water_body").cast(pl.String).fill_null(water_body))
    below = pl.col("below_dl")  # null counts as detected: when() treats null as false
    value = pl.col("value")
    if "detection_limit" in names:
        value = pl.when(below).then(pl.coalesce("detection_limit", "value")).otherwise(value)
    v = pl.col("_v")
    keys = ["section", "item", "_m", *(["water_body"] if "water_body" in names else [])]
    # One pass, four aggregates: a below-DL reading enters the sum as ½DL already.
    aggs = [
        v.count().alias("n"),
        pl.when(below).then(v * 0.5).otherwise(v).sum().alias("_sum"),
        (below & v.is_not_null()).sum().alias("_n_below"),
        pl.when(below).then(v).max().alias("detection_limit"),
    ]
    if ph_mean == "hydrogen_ion":
        aggs.append(pl.lit(10.0).pow(-pl.col("_v")).sum().alias("_sum_h"))
    monthly = (
        lf.with_columns(value.alias("_v"), _month_key())
        .group_by(keys)
        .agg(aggs)
        .collect(engine="streaming")
    )
    if monthly.height and (monthly["_m"] == _OUT_OF_RANGE).any():
        raise ValueError("reading times must lie in 1900-01-01 .. 2199-12-31")
    if "water_body" not in names:
        monthly = monthly.with_columns(pl.lit(water_body).alias("water_body"))
    return _combine_months(monthly, period, ph_mean)


def _combine_months(monthly: pl.DataFrame, period: str, ph_mean: str) -> pl.DataFrame:
    sums = [pl.col(c).sum() for c in ("n", "_sum", "_n_below")]
    if ph_mean == "hydrogen_ion":
        sums.append(pl.col("_sum_h").sum())
    per = (
        monthly.with_columns(
            pl.col("section").cast(pl.String), pl.col("item").cast(pl.String),
            pl.col("water_body").cast(pl.String), *_period_of_month(period),
        )
        .filter(pl.col("n") > 0)
        .group_by("section", "water_body", "_y", "_p", "item")
        .agg(*sums, pl.col("detection_limit").max())
    )
    mean = pl.col("_sum") / pl.col("n")
    if ph_mean == "hydrogen_ion":
        mean = pl.when(pl.col("item") == "ph").then(pl.col("_sum_h") / pl.col("n")).otherwise(mean)
    return per.select(
        "section", "water_body", "_y", "_p", "item",
        pl.col("n").cast(pl.UInt32),
        mean.alias("mean_raw"),
        (pl.col("_n_below") == pl.col("n")).alias("below_dl"),
        pl.col("detection_limit").cast(pl.Float64),
    )


def _item_results(agg: pl.DataFrame, period: str, ph_mean: str) -> pl.DataFrame:
    unknown = agg.join(_LIMITS, on=["item", "water_body"], how="anti")
    if unknown.height:
        bad = sorted(set(unknown["item"].to_list()) | set(unknown["water_body"].to_list()))
        raise ValueError(f"unknown item codes or water bodies: {bad}")
    df = agg.join(_LIMITS, on=["item", "water_body"], how="inner")
    if ph_mean == "hydrogen_ion":
        ph = pl.col("item") == "ph"
        df = df.with_columns(
            pl.when(ph).then(-pl.col("mean_raw").log10()).otherwise(pl.col("mean_raw"))
        )
    scale = pl.lit(10.0).pow(pl.col("decimals"))
    df = df.with_columns(_rounded_units()).with_columns(
        # A positive mean that rounds to 0 keeps one significant figure (总站水字〔2018〕87号).
        pl.when((pl.col("units") == 0) & (pl.col("mean_raw") > 0))
        .then(pl.col("mean_raw").round_sig_figs(1))
        .otherwise(pl.col("units") / scale)
        .alias("mean"),
        _class_from_units(),
        _dl_floor_class(),
    )
    item_class = pl.max_horizontal("mean_class", "dl_floor")
    df = df.with_columns(
        pl.when(pl.col("mean_class").is_not_null()).then(item_class).cast(pl.Int8)
        .alias("item_class")
    )
    exceed = ((pl.col("mean") - pl.col("c3")) / pl.col("c3")).round(2)
    df = df.with_columns(
        pl.when(
            (pl.col("item_class") > _CLASS_III) & (pl.col("direction") == "upper") & (exceed > 0)
        ).then(exceed).alias("exceedance"),
        _class_name("item_class").alias("class_name"),
        _period_label(period).alias("period"),
    )
    return df.sort("section", "_y", "_p", "order", "water_body").select(
        "section", "period", "item", "item_name", "n", "mean", "item_class", "class_name",
        "exceedance", "below_dl", "detection_limit", "graded", "_y", "_p", "order",
    )


def _section_results(items: pl.DataFrame, target: int | None) -> pl.DataFrame:
    """Single-factor method over the graded items of each section-period."""
    ranked = items.filter(pl.col("item_class").is_not_null()).sort(
        ["section", "_y", "_p", "item_class", "exceedance", "order"],
        descending=[False, False, False, True, True, False],
        nulls_last=True,
    )
    worse = pl.col("item_class") > _CLASS_III
    graded = (
        ranked.group_by("section", "_y", "_p", maintain_order=True)
        .agg(
            pl.col("item_class").max().alias("water_class"),
            pl.col("item").first().alias("deciding_item"),
            pl.col("item_name").filter(worse).head(3).alias("main_pollutants"),
            pl.len().cast(pl.Int32).alias("n_items"),
        )
    )
    # Keep section-periods that only have reference items (e.g. temperature).
    keys = items.select("section", "period", "_y", "_p").unique()
    out = keys.join(graded, on=["section", "_y", "_p"], how="left").with_columns(
        pl.col("n_items").fill_null(0),
        pl.col("main_pollutants").fill_null(pl.lit([], dtype=pl.List(pl.String))),
    )
    compliant = (
        (pl.col("water_class") <= target) if target is not None else pl.lit(None, pl.Boolean)
    )
    return out.sort("section", "_y", "_p").select(
        "section", "period",
        pl.col("water_class").cast(pl.Int8),
        _class_name("water_class").alias("class_name"),
        _status("water_class").alias("status"),
        compliant.alias("compliant"),
        "main_pollutants", "deciding_item", "n_items",
    )


# --------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evaluation:
    """Result of :func:`evaluate`; both frames carry what they were computed from."""

    sections: pl.DataFrame
    items: pl.DataFrame
    period: str
    water_body: str
    target: int | None


def _check_args(period: str, water_body: str, target: int | None, ph_mean: str) -> None:
    if period not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS}, not {period!r}")
    if water_body not in WATER_BODIES:
        raise ValueError(f"water_body must be one of {WATER_BODIES}, not {water_body!r}")
    if target is not None and not 1 <= target <= 5:
        raise ValueError(f"target class must be 1..5, not {target!r}")
    if ph_mean not in ("arithmetic", "hydrogen_ion"):
        raise ValueError(f"ph_mean must be 'arithmetic' or 'hydrogen_ion', not {ph_mean!r}")


def evaluate(
    readings: pl.DataFrame | pl.LazyFrame,
    period: Period = "month",
    water_body: WaterBody = "river",
    target: int | None = None,
    *,
    ph_mean: PhMean = "arithmetic",
    sums: SumsPath = "auto",
) -> Evaluation:
    """Evaluate sections per period by the single-factor method (环办〔2011〕22号 二(一)).

    Period means use ½DL for below-detection readings (环办监测函〔2020〕82号 point 7),
    are rounded half-even to the item's decimals, then classed against GB 3838-2002
    Table 1. ``target`` (1..5) fills ``compliant`` (class <= target).

    ``sums`` picks the one pass over the raw readings: ``"auto"`` takes the dense path
    (:func:`~coopzone.engines.water_quality_dense.monthly_sums`) whenever it applies, else the
    general hash group-by; ``"general"`` always takes the general path; ``"dense"`` requires
    the dense path (``ValueError`` when the input does not suit it). Results are identical.
    """
    _check_args(period, water_body, target, ph_mean)
    if sums not in ("auto", "dense", "general"):
        raise ValueError(f"sums must be auto, dense or general, not {sums!r}")
    agg = _aggregate(readings, period, water_body, ph_mean, sums)
    items = _item_results(agg, period, ph_mean)
    sections = _section_results(items, target)
    return Evaluation(
        sections=sections,
        items=items.drop("_y", "_p", "order"),
        period=period,
        water_body=water_body,
        target=target,
    )


@dataclass(frozen=True)
class BasinRule:
    """River/basin rule of 环办〔2011〕22号 二(二); thresholds are shares (0..1).

    ``min_sections_for_shares``: with at least this many sections the share method is
    used (the official text reads "5个(含5个)以上"; the Shenzhen FAQ reads "大于5个":
    pass 6 for that reading).
    """

    min_sections_for_shares: int = 5
    excellent: float = 0.90  # I–III share >= → 优
    good: float = 0.75  # I–III share >= → 良好
    moderate_worse_v: float = 0.20  # 劣V share >= → 中度污染 (when I–III < good)
    heavy_worse_v: float = 0.40  # 劣V share >= → 重度污染


def _share_status(rule: BasinRule) -> pl.Expr:
    good = pl.col("share_i_iii")
    bad = pl.col("share_worse_v")
    return (
        pl.when(bad >= rule.heavy_worse_v).then(pl.lit("重度污染"))
        .when(good >= rule.excellent).then(pl.lit("优"))
        .when(good >= rule.good).then(pl.lit("良好"))
        .when(bad >= rule.moderate_worse_v).then(pl.lit("中度污染"))
        .otherwise(pl.lit("轻度污染"))
    )


def evaluate_basin(
    readings: pl.DataFrame | pl.LazyFrame,
    basin: str = "basin",
    period: Period = "month",
    water_body: WaterBody = "river",
    rule: BasinRule | None = None,
) -> pl.DataFrame:
    """Evaluate a river or basin made of the sections in ``readings``, per period.

    Columns: basin, period, method ("mean" or "shares"), n_sections, water_class (Int8,
    mean method only), class_name, status, share_i_iii, share_iv, share_v,
    share_worse_v (shares method only), main_pollutants (list[str]).
    Mean method: the rounded section means of each item are averaged over the sections
    and classed like one section. Shares method: main pollutants are the (up to) three
    items with the highest share of sections worse than Class III.
    """
    rule = rule or BasinRule()
    ev = evaluate(readings, period, water_body)
    counts = ev.sections.group_by("period").agg(pl.col("section").n_unique().alias("n_sections"))
    few = counts.filter(pl.col("n_sections") < rule.min_sections_for_shares)["period"]
    mean_part = _basin_by_mean(ev, few, basin, water_body)
    share_part = _basin_by_shares(ev, few, basin, rule)
    out = pl.concat([mean_part, share_part], how="diagonal_relaxed")
    return out.join(counts, on="period").sort("period").select(
        "basin", "period", "method", "n_sections", "water_class", "class_name", "status",
        "share_i_iii", "share_iv", "share_v", "share_worse_v", "main_pollutants",
    )


def _basin_by_mean(
    ev: Evaluation, periods: pl.Series, basin: str, water_body: str
) -> pl.DataFrame:
    per_item = (
        ev.items.filter(pl.col("period").is_in(periods.implode()))
        .group_by("period", "item")
        .agg(pl.col("mean").mean().alias("_x"), pl.col("below_dl").all(),
             pl.col("detection_limit").max())
    )
    # Re-use the section machinery: one pseudo-reading per basin-period-item.
    pseudo = per_item.select(
        pl.lit(basin).alias("section"), "period", "item", pl.lit(water_body).alias("water_body"),
        pl.col("_x").alias("mean_raw"), pl.lit(1, pl.UInt32).alias("n"), "below_dl",
        "detection_limit",
        pl.col("period").rank("dense").cast(pl.Int32).alias("_y"), pl.lit(0, pl.Int8).alias("_p"),
    )
    items = _item_results(pseudo.drop("period"), "all", "arithmetic")
    labels = pseudo.select("_y", "period").unique()
    items = items.drop("period").join(labels, on="_y")
    sections = _section_results(items, None)
    return sections.select(
        pl.col("section").alias("basin"), "period", pl.lit("mean").alias("method"),
        "water_class", "class_name", "status", "main_pollutants",
    )


def _basin_by_shares(
    ev: Evaluation, few: pl.Series, basin: str, rule: BasinRule
) -> pl.DataFrame:
    secs = ev.sections.filter(
        ~pl.col("period").is_in(few.implode()) & pl.col("water_class").is_not_null()
    )
    c = pl.col("water_class")
    shares = secs.group_by("period").agg(
        (c <= _CLASS_III).mean().alias("share_i_iii"),
        (c == 4).mean().alias("share_iv"),
        (c == 5).mean().alias("share_v"),
        (c == WORSE_THAN_V).mean().alias("share_worse_v"),
        pl.len().alias("_n"),
    )
    over = (
        ev.items.filter(pl.col("period").is_in(shares["period"].implode()))
        .filter(pl.col("item_class") > _CLASS_III)
        .group_by("period", "item", "item_name")
        .agg(pl.col("section").n_unique().alias("_k"))
        .join(ITEM_ORDER, on="item")
        .sort(["period", "_k", "order"], descending=[False, True, False])
        .group_by("period", maintain_order=True)
        .agg(pl.col("item_name").head(3).alias("main_pollutants"))
    )
    return (
        shares.join(over, on="period", how="left")
        .with_columns(
            pl.lit(basin).alias("basin"), pl.lit("shares").alias("method"),
            _share_status(rule).alias("status"),
            pl.col("main_pollutants").fill_null(pl.lit([], dtype=pl.List(pl.String))),
        )
        .drop("_n")
    )


ITEM_ORDER = pl.DataFrame(
    {"item": [i.code for i in ITEMS], "order": list(range(len(ITEMS)))},
    schema={"item": pl.String, "order": pl.Int32},
)


def consecutive_compliant_months(
    monthly_sections: pl.DataFrame, target: int, as_of: str | None = None
) -> pl.DataFrame:
    """Runs of consecutive months with ``water_class <= target``, per section.

    ``monthly_sections`` is ``evaluate(..., period="month").sections`` (``section``,
    ``period`` "YYYY-MM", ``water_class``). A month that is missing, unclassed or not
    compliant breaks the run. Months after ``as_of`` ("YYYY-MM"; default: the latest
    month present) are ignored. Columns: section, as_of, current_streak (the run ending
    at ``as_of``), longest_streak, longest_start, longest_end (null when no compliant month).
    """
    if not 1 <= target <= 5:
        raise ValueError(f"target class must be 1..5, not {target!r}")
    idx = (
        pl.col("period").str.slice(0, 4).cast(pl.Int32) * 12
        + pl.col("period").str.slice(5, 2).cast(pl.Int32) - 1
    )
    df = monthly_sections.select("section", "period", "water_class").with_columns(idx.alias("_m"))
    as_of = as_of or df["period"].max()  # type: ignore[assignment]
    end = int(as_of[:4]) * 12 + int(as_of[5:7]) - 1 if as_of else -1
    ok = (
        df.filter((pl.col("_m") <= end) & (pl.col("water_class") <= target))
        .sort("section", "_m")
        .with_columns(
            (pl.col("_m").diff().over("section").fill_null(0) != 1).cum_sum().alias("_run")
        )
    )
    runs = ok.group_by("section", "_run").agg(
        pl.len().alias("length"),
        pl.col("_m").min().alias("_start"),
        pl.col("_m").max().alias("_end"),
        pl.col("period").first().alias("start"), pl.col("period").last().alias("end"),
    )
    longest = (
        runs.sort(["section", "length", "_start"], descending=[False, True, True])
        .group_by("section", maintain_order=True)
        .agg(
            pl.col("length").first().alias("longest_streak"),
            pl.col("start").first().alias("longest_start"),
            pl.col("end").first().alias("longest_end"),
        )
    )
    current = runs.filter(pl.col("_end") == end).select(
        "section", pl.col("length").alias("current_streak")
    )
    sections = df.select("section").unique()
    return (
        sections.join(longest, on="section", how="left")
        .join(current, on="section", how="left")
        .with_columns(
            pl.lit(as_of).alias("as_of"),
            pl.col("current_streak").fill_null(0).cast(pl.UInt32),
            pl.col("longest_streak").fill_null(0).cast(pl.UInt32),
        )
        .sort("section")
        .select("section", "as_of", "current_streak", "longest_streak",
                "longest_start", "longest_end")
    )


def item_spec(code: str) -> Item:
    """Table-1 entry for an item code (``KeyError`` if unknown)."""
    return ITEM_BY_CODE[code]
