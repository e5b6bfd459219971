"""The dense (bincount) path of the monthly sums agrees with the general hash path.

``evaluate`` takes the dense path whenever it applies (``sums="auto"``); ``sums="general"``
takes the general path and ``sums="dense"`` requires the dense one, so evaluating the same
readings both ways must give identical results. Within the dense path, ``monthly_sums``'s
``chunks`` parameter picks dense boxes or the hash fallback per chunk the same way.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from coopzone.engines.water_quality import Evaluation, evaluate
from coopzone.engines.water_quality_dense import monthly_sums

ITEMS = ["ph", "do", "codmn", "nh3n", "tp", "cod", "bod5", "cd", "temperature", "tn"]
RANGE = {"ph": (5.5, 9.5), "do": (1.5, 9.0), "codmn": (1.0, 16.0), "nh3n": (0.05, 2.5),
         "tp": (0.01, 0.5), "cod": (8.0, 45.0), "bod5": (1.0, 11.0), "cd": (0.0005, 0.012),
         "temperature": (2.0, 30.0), "tn": (0.2, 3.0)}


def readings(n: int, *, seed: int, start: datetime, hours: int, sections: int,
             nulls: bool = True, time_sorted: bool = False) -> pl.DataFrame:
    rnd = random.Random(seed)
    rows = []
    for _ in range(n):
        item = rnd.choice(ITEMS)
        lo, hi = RANGE[item]
        below = rnd.random() < 0.05
        value = round(rnd.uniform(lo, hi), 4)
        if nulls and rnd.random() < 0.03:
            value = None  # type: ignore[assignment]
        rows.append((f"S{rnd.randrange(sections):03d}",
                     start + timedelta(hours=rnd.randrange(hours)), item, value,
                     below if rnd.random() > 0.02 else None))
    df = pl.DataFrame(rows, schema={"section": pl.String, "time": pl.Datetime("us"),
                                    "item": pl.String, "value": pl.Float64,
                                    "below_dl": pl.Boolean}, orient="row")
    return df.sort("time") if time_sorted else df.sort("section", "time")


def general(df: pl.DataFrame, **kwargs: object) -> Evaluation:
    """``evaluate`` by the general (hash group-by) path."""
    return evaluate(df, sums="general", **kwargs)  # type: ignore[arg-type]


def both_ways(df: pl.DataFrame, **kwargs: object) -> None:
    assert monthly_sums(df) is not None  # the dense path applies
    dense = evaluate(df, sums="dense", **kwargs)  # type: ignore[arg-type]
    assert_frame_equal(evaluate(df, **kwargs).items, dense.items)  # type: ignore[arg-type]
    hashed = general(df, **kwargs)
    assert dense.items.height > 0
    assert_frame_equal(dense.items, hashed.items)
    assert_frame_equal(dense.sections, hashed.sections)


@pytest.mark.parametrize("period", ["month", "quarter", "year", "all"])
def test_dense_equals_general_by_period(period: str) -> None:
    df = readings(20_000, seed=1, start=datetime(2018, 11, 20), hours=24 * 500, sections=12)
    both_ways(df, period=period, target=3)


def _sums(df: pl.DataFrame, chunks: str) -> pl.DataFrame:
    out = monthly_sums(df, chunks=chunks)  # type: ignore[arg-type]
    assert out is not None
    return out.sort("section", "item", "_m")


def test_keys_spread_too_widely_take_the_hash_fallback() -> None:
    """900 sections x 100 days x 10 items is far wider than 30,000 readings."""
    df = readings(30_000, seed=2, start=datetime(2020, 1, 31, 20), hours=24 * 100,
                  sections=900, time_sorted=True)
    with pytest.raises(ValueError, match="too widely"):
        monthly_sums(df, chunks="dense")  # no dense box fits: auto must fall back
    assert_frame_equal(_sums(df, "auto"), _sums(df, "hash"))
    both_ways(df)


def test_compact_chunks_are_counted_densely() -> None:
    df = readings(20_000, seed=6, start=datetime(2019, 12, 1), hours=24 * 70, sections=20)
    dense = _sums(df, "dense")  # refuses if any chunk needed the hash fallback
    assert_frame_equal(_sums(df, "auto"), dense)
    assert_frame_equal(_sums(df, "hash"), dense, check_exact=False)
    both_ways(df)


def test_path_choices_are_checked() -> None:
    df = readings(100, seed=7, start=datetime(2020, 1, 1), hours=24, sections=2)
    with pytest.raises(ValueError, match="chunks"):
        monthly_sums(df, chunks="sometimes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="sums"):
        evaluate(df, sums="sometimes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="dense path"):
        evaluate(df, sums="dense", ph_mean="hydrogen_ion")


def test_months_far_apart_and_midnight_boundaries() -> None:
    base = pl.DataFrame({
        "section": ["A", "A", "A", "A", "B", "B"],
        "time": [datetime(1900, 1, 1), datetime(1999, 12, 31, 23, 59, 59),
                 datetime(2000, 1, 1), datetime(2199, 12, 31, 23), datetime(2024, 2, 29),
                 datetime(2024, 3, 1)],
        "item": ["nh3n", "nh3n", "nh3n", "nh3n", "tp", "tp"],
        "value": [0.4, 1.2, 1.6, 0.1, 0.02, 0.3],
        "below_dl": [False, False, False, True, False, False],
    })
    both_ways(base)
    months = evaluate(base).items.select("section", "period", "mean")
    assert months.rows() == [
        ("A", "1900-01", 0.4), ("A", "1999-12", 1.2), ("A", "2000-01", 1.6),
        ("A", "2199-12", 0.05), ("B", "2024-02", 0.02), ("B", "2024-03", 0.3),
    ]


@pytest.mark.parametrize("dtype", [pl.Categorical, pl.Enum])
def test_dictionary_coded_keys(dtype: type[pl.DataType]) -> None:
    df = readings(5_000, seed=3, start=datetime(2021, 6, 1), hours=24 * 90, sections=7)
    if dtype == pl.Enum:
        keyed = df.with_columns(
            pl.col("section").cast(pl.Enum(sorted(df["section"].unique()))),
            pl.col("item").cast(pl.Enum(ITEMS)))
    else:
        keyed = df.with_columns(pl.col("section", "item").cast(pl.Categorical))
    assert_frame_equal(evaluate(keyed).items, evaluate(df).items)
    both_ways(df)


def test_lazy_input_and_date_times() -> None:
    df = readings(3_000, seed=4, start=datetime(2022, 1, 1), hours=24 * 60, sections=3,
                  nulls=False)
    by_date = df.with_columns(pl.col("time").dt.date())
    assert_frame_equal(evaluate(by_date.lazy()).items, evaluate(df).items)


def test_aware_times_count_in_their_own_zone() -> None:
    """00:30 on 1 July in Shanghai is July there, though still June in UTC."""
    df = pl.DataFrame({
        "section": ["S", "S"], "item": ["nh3n", "nh3n"], "value": [0.2, 1.8],
        "below_dl": [False, False],
        "time": [datetime(2019, 6, 30, 23, 30), datetime(2019, 7, 1, 0, 30)],
    }).with_columns(pl.col("time").dt.replace_time_zone("Asia/Shanghai"))
    assert evaluate(df).items.select("period", "mean").rows() == [
        ("2019-06", 0.2), ("2019-07", 1.8)]
    both_ways(df)


def test_below_limit_sums_and_largest_limit() -> None:
    df = pl.DataFrame({
        "section": ["S"] * 4, "item": ["cd"] * 4,
        "time": [datetime(2019, 7, d) for d in (1, 2, 3, 4)],
        "value": [0.002, 0.004, 0.003, None], "below_dl": [True, True, False, True],
    })
    sums = monthly_sums(df)
    assert sums is not None
    row = sums.row(0, named=True)
    assert (row["n"], row["_n_below"], row["detection_limit"]) == (3, 2, 0.004)
    assert row["_sum"] == pytest.approx(0.001 + 0.002 + 0.003)


def test_rows_without_a_key_are_refused() -> None:
    df = pl.DataFrame({"section": ["S", None], "item": ["ph", "ph"],
                       "time": [datetime(2019, 7, 1)] * 2, "value": [7.0, 7.1],
                       "below_dl": [False, False]})
    with pytest.raises(ValueError, match="section, an item and a time"):
        evaluate(df)


def test_times_outside_the_calendar_are_refused() -> None:
    df = pl.DataFrame({"section": ["S"], "item": ["ph"], "time": [date(1899, 12, 31)],
                       "value": [7.0], "below_dl": [False]})
    with pytest.raises(ValueError, match="1900-01-01"):
        evaluate(df)


def test_per_row_water_bodies_and_detection_limits() -> None:
    df = readings(8_000, seed=7, start=datetime(2023, 3, 1), hours=24 * 120, sections=6)
    rnd = random.Random(7)
    bodies = [rnd.choice(["river", "lake", None]) for _ in range(df.height)]
    limits = [rnd.choice([None, 0.01, 0.005]) for _ in range(df.height)]
    mixed = df.with_columns(pl.Series("water_body", bodies), pl.Series("detection_limit", limits))
    for water_body in ("river", "lake"):
        both_ways(mixed, water_body=water_body, target=3)
    unnamed = mixed.with_columns(pl.lit(None, pl.String).alias("water_body"))
    tn = evaluate(unnamed, water_body="lake").items.filter(pl.col("item") == "tn")
    assert tn.height and tn["item_class"].null_count() == 0  # lakes grade TN


def test_unknown_water_bodies_are_named_both_ways() -> None:
    df = readings(200, seed=8, start=datetime(2019, 1, 1), hours=100, sections=2)
    odd = df.with_columns(pl.when(pl.col("item") == "tp").then(pl.lit("sea"))
                          .otherwise(pl.lit("river")).alias("water_body"))
    for way in (evaluate, general):
        with pytest.raises(ValueError, match=r"water bodies: .*'sea'"):
            way(odd)


def test_unsuited_inputs_take_the_general_path() -> None:
    df = readings(100, seed=5, start=datetime(2019, 1, 1), hours=100, sections=2)
    assert monthly_sums(df) is not None
    assert monthly_sums(df.with_columns(pl.col("time").dt.to_string())) is None
    assert monthly_sums(df.with_columns(pl.col("section").str.len_chars())) is None
