"""coopzone.ecology.water_files: bureau files to long readings, refused whole when bad."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from coopzone.ecology.water_files import FileRejected, read_water_file, read_water_files

DATA = Path(__file__).parent / "data"


def test_wide_publication_needs_a_year() -> None:
    with pytest.raises(FileRejected) as exc:
        read_water_file(DATA / "wide_publication.csv", locale="en")
    assert exc.value.errors[0] == (
        2, "监测时间", "time 07-01 08:00 has no year: give the year (--year)",
    )
    assert [e[0] for e in exc.value.errors] == [2, 3, 4, 5, 6]


def test_wide_publication_with_year() -> None:
    df = read_water_file(DATA / "wide_publication.csv", year=2019)
    # 7 Table-1 columns x 4 rows with data; the maintenance row is all "--".
    assert df.height == 28
    assert sorted(set(df["item"])) == ["codmn", "do", "nh3n", "ph", "temperature", "tn", "tp"]
    first = df.filter((pl.col("section") == "金鱼石") & (pl.col("item") == "tp")).sort("time")
    assert first.select("time", "value", "row").rows() == [
        (datetime(2019, 7, 1, 8), 0.08, 2),
        (datetime(2019, 7, 1, 12), 0.09, 3),
        (datetime(2019, 7, 2, 8), 0.13, 4),
    ]
    assert df.columns == ["section", "time", "item", "value", "below_dl", "detection_limit",
                          "source_file", "row"]


def test_long_layout_with_chinese_headers_and_detection_limits() -> None:
    df = read_water_file(DATA / "long_readings.csv")
    rows = {r[0]: r[1:] for r in df.select("item", "value", "below_dl", "detection_limit",
                                            "row").rows()}
    assert rows["cd"] == (0.002, True, 0.002, 7)
    assert rows["hg"] == (0.00004, True, 0.00004, 8)
    assert rows["pb"] == (0.01, True, 0.01, 9)
    assert rows["tp"] == (0.085, False, None, 2)
    assert rows["tn"] == (0.92, False, None, 10)
    assert set(df["time"]) == {datetime(2024, 6, 5)}


def test_gbk_csv_and_month_times() -> None:
    df = read_water_file(DATA / "gbk_wide.csv")
    assert df.filter(pl.col("item") == "cod").select("time", "value").rows() == [
        (datetime(2019, 7, 1), 14.0), (datetime(2019, 8, 1), 16.0),
    ]


def test_bad_file_reports_every_cell() -> None:
    with pytest.raises(FileRejected) as exc:
        read_water_file(DATA / "bad.csv", locale="en")
    assert exc.value.errors == [
        (3, "section", "section is empty"),
        (4, "time", "not a time: 2019-13-01"),
        (5, "value", "not a number: abc"),
        (6, "value", "negative value: -0.2"),
        (7, "item", "unknown item: 锑"),
        (8, "value", "duplicate of row 2 (same section, time and item) with a different value"),
    ]


def test_several_files_all_refused_together() -> None:
    with pytest.raises(FileRejected) as exc:
        read_water_files([DATA / "gbk_wide.csv", DATA / "bad.csv", DATA / "wide_publication.csv"])
    assert list(exc.value.per_file) == [str(DATA / "bad.csv"), str(DATA / "wide_publication.csv")]
    assert len(exc.value.errors) == 6 + 5


def test_same_value_duplicates_are_merged_and_negative_temperature_allowed(tmp_path: Path) -> None:
    p = tmp_path / "dup.csv"
    p.write_text("section,time,item,value\nA,2019-07-01,tp,0.1\nA,2019-07-01,tp,0.1\n"
                 "A,2019-07-01,temperature,-0.5\n", encoding="utf-8-sig")
    df = read_water_file(p)
    assert df.select("item", "value", "row").rows() == [("tp", 0.1, 2), ("temperature", -0.5, 4)]


def test_bare_nd_and_missing_columns(tmp_path: Path) -> None:
    p = tmp_path / "nd.csv"
    p.write_text("断面,时间,指标,值\nA,2019/7/1 8:00,镉,ND\n", encoding="utf-8")
    with pytest.raises(FileRejected) as exc:
        read_water_file(p, locale="en")
    assert exc.value.errors == [
        (2, "值", "below detection limit without the limit, write ND(0.002)"),
    ]
    q = tmp_path / "nosection.csv"
    q.write_text("时间,总磷\n2019-07-01,0.1\n", encoding="utf-8")
    with pytest.raises(FileRejected) as exc2:
        read_water_file(q, locale="en")
    assert exc2.value.errors == [(1, "断面名称/section", "column not found")]


def test_xlsx_with_excel_datetimes(tmp_path: Path) -> None:
    p = tmp_path / "readings.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["断面名称", "监测时间", "化学需氧量(mg/L)", "镉(mg/L)", "电导率(μS/cm)"])
    ws.append(["萍水河桥", datetime(2019, 7, 1, 8), 14, "0.002L", 300])
    ws.append(["萍水河桥", datetime(2019, 7, 2, 8), 16.5, "--", 310])
    wb.save(p)
    df = read_water_file(p)
    assert df.select("time", "item", "value", "below_dl", "row").rows() == [
        (datetime(2019, 7, 1, 8), "cod", 14.0, False, 2),
        (datetime(2019, 7, 2, 8), "cod", 16.5, False, 3),
        (datetime(2019, 7, 1, 8), "cd", 0.002, True, 2),
    ]
