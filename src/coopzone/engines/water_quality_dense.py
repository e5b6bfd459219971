"""Monthly sums of readings by counting into dense arrays (the fast path of ``evaluate``).

The one pass over the raw readings is a group-by on (section, item, month). When the
section and item columns are dictionary-coded (Categorical/Enum, as Parquet stores them)
or plain strings, the group keys are small integers already: the section code, the item
code and the day number. Within one chunk of readings they span a small box, so
``numpy.bincount`` sums a chunk with no hashing at all (a "perfect hash" aggregate, as
analytic databases use for small key ranges); days are then folded into months on the
small per-chunk result. A chunk whose keys are spread too widely (for example every
section at one hour) is grouped by Polars instead.

Below-detection-limit readings count as half their limit (环办监测函〔2020〕82号 point 7),
as in the general path; the sums agree with it up to floating-point rounding (the order
of additions differs), which the evaluation's rounding to 6 decimals absorbs.
``monthly_sums`` returns ``None`` for inputs it does not handle (times that are not dates
or datetimes, key columns of other types); the caller then uses the general path. An
aware time counts in its own zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import polars as pl

_FIRST_DAY = dt.date(1900, 1, 1)
_LAST_DAY = dt.date(2199, 12, 31)
_EPOCH = dt.date(1970, 1, 1)
FIRST_DAY_NUMBER = (_FIRST_DAY - _EPOCH).days
_LAST_DAY_NUMBER = (_LAST_DAY - _EPOCH).days
_TIME_RANGE_ERROR = "reading times must lie in 1900-01-01 .. 2199-12-31"
_PER_DAY = {"ns": 86_400_000_000_000, "us": 86_400_000_000, "ms": 86_400_000}
# A chunk is counted densely when its key range is at most this many times its length
# (or this small in absolute terms); wider chunks go to a hash group-by.
_SPARSE_FACTOR = 4
_SMALL_RANGE = 1 << 16
_KEY_TYPES = (pl.Categorical, pl.Enum, pl.String)
_BATCH_ROWS = 1_000_000  # about 20 MiB of selected columns


def _month_of_day() -> np.ndarray:
    """Month index (year * 12 + month - 1) of every day 1900-01-01 .. 2199-12-31."""
    days = pl.date_range(_FIRST_DAY, _LAST_DAY, "1d", eager=True)
    return (days.dt.year() * 12 + days.dt.month() - 1).cast(pl.Int32).to_numpy()


MONTH_OF_DAY = _month_of_day()  # indexed by day number - FIRST_DAY_NUMBER


def _day_number(dtype: pl.DataType) -> pl.Expr | None:
    """Days since 1970-01-01 of the local date (an aware time counts in its own zone)."""
    time = pl.col("time")
    if dtype == pl.Date:
        return time.to_physical().cast(pl.Int32)
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is not None:
            time = time.dt.replace_time_zone(None)
        return (time.to_physical() // _PER_DAY[dtype.time_unit]).cast(pl.Int32)
    return None


def _code(name: str, dtype: pl.DataType) -> pl.Expr | None:
    if not isinstance(dtype, _KEY_TYPES):
        return None
    col = pl.col(name).cast(pl.Categorical) if dtype == pl.String else pl.col(name)
    return col.to_physical().cast(pl.UInt32).alias(name)


def _labels(dtype: pl.DataType) -> pl.Series:
    """The strings behind the physical codes, indexed by code."""
    if isinstance(dtype, pl.Enum):
        return dtype.categories
    cats = dtype.categories if isinstance(dtype, pl.Categorical) else pl.Categorical().categories
    return cats.to_series()


@dataclass
class _Partials:
    """Per-chunk results at month level; summed once at the end."""

    columns: dict[str, list[np.ndarray]] = field(
        default_factory=lambda: {k: [] for k in ("s", "i", "m", "n", "sum", "nb", "dl")})

    def add(self, **arrays: np.ndarray) -> None:
        for key, values in arrays.items():
            self.columns[key].append(values)

    def frame(self) -> pl.DataFrame:
        def joined(key: str, dtype: type[np.generic]) -> np.ndarray:
            parts = self.columns[key]
            return np.concatenate(parts).astype(dtype) if parts else np.empty(0, dtype)

        return pl.DataFrame({
            "s": joined("s", np.uint32), "i": joined("i", np.uint32),
            "m": joined("m", np.int32), "n": joined("n", np.int64),
            "sum": joined("sum", np.float64), "nb": joined("nb", np.int64),
            "dl": joined("dl", np.float64),
        })


WATER_BODY_CODES = ("river", "lake")
_OTHER_BODY = len(WATER_BODY_CODES)  # code of a water body that is neither


ChunkPath = Literal["auto", "dense", "hash"]


def monthly_sums(readings: pl.DataFrame | pl.LazyFrame,
                 water_body: str = "river", *, chunks: ChunkPath = "auto"
                 ) -> pl.DataFrame | None:
    """Per section, water body, item and month: ``n``, ``_sum`` (½DL applied),
    ``_n_below`` and ``detection_limit`` (largest limit among below-DL readings).

    Columns out: section, water_body, item (String), _m (Int32 month index), n, _n_below
    (UInt32), _sum, detection_limit (Float64). A row's ``water_body`` (when the column is
    there and not null) overrides the argument; a below-DL row's ``detection_limit`` (when
    given) overrides its value. ``None`` when the input does not suit this path.

    ``chunks`` picks how each chunk is counted: ``"auto"`` counts into a dense box when the
    chunk's keys are compact enough and by hash group-by otherwise; ``"dense"`` refuses
    (``ValueError``) a chunk too sparse for a box; ``"hash"`` groups every chunk by hash.
    All three give the same sums.
    """
    if chunks not in ("auto", "dense", "hash"):
        raise ValueError(f"chunks must be auto, dense or hash, not {chunks!r}")
    lf = readings.lazy()
    schema = lf.collect_schema()
    section, item = _code("section", schema["section"]), _code("item", schema["item"])
    day = _day_number(schema["time"])
    if section is None or item is None or day is None:
        return None
    below = pl.col("below_dl").fill_null(False)
    value = pl.col("value").cast(pl.Float64)
    if "detection_limit" in schema:
        value = pl.when(below).then(pl.coalesce("detection_limit", value)).otherwise(value)
    bodies = "water_body" in schema
    if bodies:  # the water body rides in the item code: item * 3 + body
        body = pl.col("water_body").cast(pl.String).fill_null(water_body).replace_strict(
            WATER_BODY_CODES, range(_OTHER_BODY), default=_OTHER_BODY, return_dtype=pl.UInt32)
        item = item * (_OTHER_BODY + 1) + body
    query = lf.select(section.alias("s"), item.alias("i"), day.alias("d"), value.alias("v"),
                      below.cast(pl.UInt8).alias("b"))
    # A frame already in memory is selected at once; a lazy one (a file scan) is streamed in
    # batches large enough for the scan to run ahead while a batch is being counted.
    batches = ([query.collect()] if isinstance(readings, pl.DataFrame)
               else query.collect_batches(chunk_size=_BATCH_ROWS, maintain_order=False))
    partials = _Partials()
    for batch in batches:
        for chunk in _aligned_chunks(batch):
            _count_chunk(chunk, partials, chunks)
    out = _finish(partials.frame(), _labels(schema["section"]), _labels(schema["item"]),
                  bodies)
    if not bodies:
        return out.with_columns(pl.lit(water_body).alias("water_body"))
    if out.height and (out["water_body"].is_null()).any():
        other = lf.select(pl.col("water_body").cast(pl.String).drop_nulls().unique())
        unknown = set(other.collect().to_series().to_list()) - set(WATER_BODY_CODES)
        raise ValueError(f"unknown item codes or water bodies: {sorted(unknown)}")
    return out


Chunk = dict[str, pl.Series]


def _aligned_chunks(batch: pl.DataFrame) -> list[Chunk]:
    """The batch's chunks column by column, without copying when the columns are aligned."""
    columns = batch.get_columns()
    if len({tuple(s.chunk_lengths()) for s in columns}) != 1:
        columns = batch.rechunk().get_columns()
    per_column = [s.get_chunks() for s in columns]
    return [dict(zip(batch.columns, parts, strict=True)) for parts in zip(*per_column, strict=True)]


def _count_chunk(chunk: Chunk, partials: _Partials, path: ChunkPath = "auto") -> None:
    if any(chunk[c].null_count() for c in ("s", "i", "d")):
        raise ValueError("readings need a section, an item and a time on every row")
    if chunk["v"].null_count():
        kept = pl.DataFrame(chunk).filter(pl.col("v").is_not_null())
        chunk = {c: kept[c] for c in kept.columns}
    rows = chunk["v"].len()
    if rows == 0:
        return
    s, i, d = (chunk[c].to_numpy() for c in ("s", "i", "d"))
    s_lo, i_lo, d_lo = int(s.min()), int(i.min()), int(d.min())
    d_hi = int(d.max())
    if d_lo < FIRST_DAY_NUMBER or d_hi > _LAST_DAY_NUMBER:
        raise ValueError(_TIME_RANGE_ERROR)
    shape = (int(s.max()) - s_lo + 1, d_hi - d_lo + 1, int(i.max()) - i_lo + 1)
    sparse = shape[0] * shape[1] * shape[2] > max(_SPARSE_FACTOR * rows, _SMALL_RANGE)
    if sparse and path == "dense":
        raise ValueError("a chunk's keys are spread too widely to be counted densely")
    if sparse or path == "hash":
        _group_chunk(pl.DataFrame(chunk), partials)
        return
    # Flat index into the (section, day, item) box of this chunk.
    key = np.multiply(s, shape[1] * shape[2], dtype=np.int64)
    key += np.multiply(d, shape[2], dtype=np.int64)
    key += i
    key -= s_lo * shape[1] * shape[2] + d_lo * shape[2] + i_lo
    _count_box(key, chunk, shape, (s_lo, d_lo, i_lo), partials)


def _count_box(key: np.ndarray, chunk: Chunk, shape: tuple[int, int, int],
               origin: tuple[int, int, int], partials: _Partials) -> None:
    size = shape[0] * shape[1] * shape[2]
    v = chunk["v"].to_numpy()
    n = np.bincount(key, minlength=size).reshape(shape)
    total = np.bincount(key, weights=v, minlength=size).reshape(shape)
    # Fold the day axis into months.
    s_lo, d_lo, i_lo = origin
    months = MONTH_OF_DAY[d_lo - FIRST_DAY_NUMBER: d_lo - FIRST_DAY_NUMBER + shape[1]]
    starts = np.flatnonzero(np.diff(months, prepend=months[0] - 1))
    n_m = np.add.reduceat(n, starts, axis=1)
    hit = np.nonzero(n_m)
    zeros = np.zeros(len(hit[0]))
    partials.add(s=hit[0] + s_lo, m=months[starts][hit[1]], i=hit[2] + i_lo, n=n_m[hit],
                 sum=np.add.reduceat(total, starts, axis=1)[hit], nb=zeros, dl=zeros)
    _add_below(chunk, v, partials)


def _add_below(chunk: Chunk, v: np.ndarray, partials: _Partials) -> None:
    """Below-DL readings (rare) add a row each: the half limit they do not count, and the
    limit itself (the largest one of a month is reported)."""
    below = np.flatnonzero(chunk["b"].to_numpy().view(np.bool_))
    if below.size == 0:
        return
    limit = v[below]
    d = chunk["d"].to_numpy()[below]
    partials.add(s=chunk["s"].to_numpy()[below], i=chunk["i"].to_numpy()[below],
                 m=MONTH_OF_DAY[d - FIRST_DAY_NUMBER], n=np.zeros(below.size, np.int64),
                 sum=-0.5 * limit, nb=np.ones(below.size, np.int64), dl=limit)


def _group_chunk(chunk: pl.DataFrame, partials: _Partials) -> None:
    """Hash group-by for a chunk whose keys are spread too widely for a dense box."""
    month = pl.Series(MONTH_OF_DAY).gather(chunk["d"].cast(pl.Int64) - FIRST_DAY_NUMBER)
    b, v = pl.col("b").cast(pl.Boolean), pl.col("v")
    out = chunk.with_columns(month.alias("m")).group_by("s", "i", "m").agg(
        pl.len().alias("n"), pl.when(b).then(v * 0.5).otherwise(v).sum().alias("sum"),
        b.sum().alias("nb"), pl.when(b).then(v).max().fill_null(0.0).alias("dl"),
    )
    partials.add(**{c: out[c].to_numpy() for c in out.columns})


def _finish(parts: pl.DataFrame, sections: pl.Series, items: pl.Series,
            bodies: bool) -> pl.DataFrame:
    summed = parts.group_by("s", "i", "m").agg(
        pl.col("n").sum(), pl.col("sum").sum(), pl.col("nb").sum(), pl.col("dl").max())
    item = pl.col("i") // (_OTHER_BODY + 1) if bodies else pl.col("i")
    body = (pl.col("i") % (_OTHER_BODY + 1)).replace_strict(
        range(_OTHER_BODY), WATER_BODY_CODES, default=None, return_dtype=pl.String)
    summed = summed.with_columns(item.alias("i"), body.alias("water_body"))
    for codes, labels in ((summed["s"], sections), (summed["i"], items)):
        if codes.len() and int(codes.max()) >= labels.len():  # type: ignore[arg-type]
            raise RuntimeError("categorical codes changed during the evaluation")
    return summed.select(
        pl.lit(sections).gather(pl.col("s")).cast(pl.String).alias("section"),
        *(["water_body"] if bodies else []),
        pl.lit(items).gather(pl.col("i")).cast(pl.String).alias("item"),
        pl.col("m").cast(pl.Int32).alias("_m"),
        pl.col("n").cast(pl.UInt32),
        pl.col("sum").alias("_sum"),
        pl.col("nb").cast(pl.UInt32).alias("_n_below"),
        pl.when(pl.col("nb") > 0).then(pl.col("dl")).alias("detection_limit"),
    )
