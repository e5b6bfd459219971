"""coopzone.engines.water_quality: GB 3838-2002 Table 1 and 环办〔2011〕22号 evaluation."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime

import polars as pl
import pytest

from coopzone.engines.water_quality import (
    BasinRule,
    classify,
    consecutive_compliant_months,
    evaluate,
    evaluate_basin,
    parse_value,
)
from coopzone.engines.water_quality_gb3838 import ITEM_CODES, ITEMS

T0 = datetime(2019, 7, 1, 8)


def frame(rows: list[tuple], detection_limit: bool = False) -> pl.DataFrame:
    """rows: (section, time, item, value, below_dl[, detection_limit])."""
    cols = ["section", "time", "item", "value", "below_dl"]
    schema = {"section": pl.String, "time": pl.Datetime("us"), "item": pl.String,
              "value": pl.Float64, "below_dl": pl.Boolean}
    if detection_limit:
        cols.append("detection_limit")
        schema["detection_limit"] = pl.Float64
    return pl.DataFrame(rows, schema=schema, orient="row").select(cols)


def one(item: str, value: float, *, below_dl: bool = False) -> tuple:
    return ("S", T0, item, value, below_dl)


# --------------------------------------------------------------------------------------
# Table 1 as data
# --------------------------------------------------------------------------------------


def test_table_has_the_24_items_in_order() -> None:
    assert ITEM_CODES == (
        "temperature", "ph", "do", "codmn", "cod", "bod5", "nh3n", "tp", "tn", "cu", "zn",
        "f", "se", "as", "hg", "cd", "cr6", "pb", "cn", "phenol", "petroleum", "las",
        "sulfide", "fecal_coliform",
    )
    names = {i.code: i.name_zh for i in ITEMS}
    assert names["codmn"] == "高锰酸盐指数"
    assert names["cr6"] == "铬(六价)"
    assert names["las"] == "阴离子表面活性剂"
    assert names["fecal_coliform"] == "粪大肠菌群"
    assert [i.code for i in ITEMS if i.graded("river")] == [
        "ph", "do", "codmn", "cod", "bod5", "nh3n", "tp", "cu", "zn", "f", "se", "as", "hg",
        "cd", "cr6", "pb", "cn", "phenol", "petroleum", "las", "sulfide",
    ]
    assert len([i for i in ITEMS if i.graded("lake")]) == 22


# item, water body, limits I..V, one unit of the last decimal place,
# class when equal to each limit, class when one unit worse than each limit.
BOUNDARIES: list[tuple[str, str, tuple[float, ...], float, tuple[int, ...], tuple[int, ...]]] = [
    ("codmn", "river", (2, 4, 6, 10, 15), 0.1, (1, 2, 3, 4, 5), (2, 3, 4, 5, 6)),
    ("cod", "river", (15, 15, 20, 30, 40), 0.1, (1, 1, 3, 4, 5), (3, 3, 4, 5, 6)),
    ("bod5", "river", (3, 3, 4, 6, 10), 0.1, (1, 1, 3, 4, 5), (3, 3, 4, 5, 6)),
    ("nh3n", "river", (0.15, 0.5, 1.0, 1.5, 2.0), 0.01, (1, 2, 3, 4, 5), (2, 3, 4, 5, 6)),
    ("tp", "river", (0.02, 0.1, 0.2, 0.3, 0.4), 0.001, (1, 2, 3, 4, 5), (2, 3, 4, 5, 6)),
    ("tp", "lake", (0.01, 0.025, 0.05, 0.1, 0.2), 0.001, (1, 2, 3, 4, 5), (2, 3, 4, 5, 6)),
    ("tn", "lake", (0.2, 0.5, 1.0, 1.5, 2.0), 0.01, (1, 2, 3, 4, 5), (2, 3, 4, 5, 6)),
    ("cu", "river", (0.01, 1.0, 1.0, 1.0, 1.0), 0.001, (1, 2, 2, 2, 2), (2, 6, 6, 6, 6)),
    ("zn", "river", (0.05, 1.0, 1.0, 2.0, 2.0), 0.001, (1, 2, 2, 4, 4), (2, 4, 4, 6, 6)),
    ("f", "river", (1.0, 1.0, 1.0, 1.5, 1.5), 0.001, (1, 1, 1, 4, 4), (4, 4, 4, 6, 6)),
    ("se", "river", (0.01, 0.01, 0.01, 0.02, 0.02), 0.0001, (1, 1, 1, 4, 4), (4, 4, 4, 6, 6)),
    ("as", "river", (0.05, 0.05, 0.05, 0.1, 0.1), 0.0001, (1, 1, 1, 4, 4), (4, 4, 4, 6, 6)),
    ("hg", "river", (0.00005, 0.00005, 0.0001, 0.001, 0.001), 0.00001,
     (1, 1, 3, 4, 4), (3, 3, 4, 6, 6)),
    ("cd", "river", (0.001, 0.005, 0.005, 0.005, 0.01), 0.00001,
     (1, 2, 2, 2, 5), (2, 5, 5, 5, 6)),
    ("cr6", "river", (0.01, 0.05, 0.05, 0.05, 0.1), 0.001, (1, 2, 2, 2, 5), (2, 5, 5, 5, 6)),
    ("pb", "river", (0.01, 0.01, 0.05, 0.05, 0.1), 0.001, (1, 1, 3, 3, 5), (3, 3, 5, 5, 6)),
    ("cn", "river", (0.005, 0.05, 0.2, 0.2, 0.2), 0.001, (1, 2, 3, 3, 3), (2, 3, 6, 6, 6)),
    ("phenol", "river", (0.002, 0.002, 0.005, 0.01, 0.1), 0.0001,
     (1, 1, 3, 4, 5), (3, 3, 4, 5, 6)),
    ("petroleum", "river", (0.05, 0.05, 0.05, 0.5, 1.0), 0.01, (1, 1, 1, 4, 5), (4, 4, 4, 5, 6)),
    ("las", "river", (0.2, 0.2, 0.2, 0.3, 0.3), 0.01, (1, 1, 1, 4, 4), (4, 4, 4, 6, 6)),
    ("sulfide", "river", (0.05, 0.1, 0.2, 0.5, 1.0), 0.001, (1, 2, 3, 4, 5), (2, 3, 4, 5, 6)),
    # DO is a lower bound: "worse" is one unit below the limit.
    ("do", "river", (7.5, 6, 5, 3, 2), -0.1, (1, 2, 3, 4, 5), (2, 3, 4, 5, 6)),
]


def _boundary_cases() -> list[tuple[str, str, float, int]]:
    cases = []
    for item, body, limits, step, at, worse in BOUNDARIES:
        for k, limit in enumerate(limits):
            cases.append((item, body, limit, at[k]))
            cases.append((item, body, round(limit + step, 6), worse[k]))
    return cases


def test_every_item_every_class_boundary_through_evaluate() -> None:
    cases = _boundary_cases()
    rows = [(f"{i}", T0, item, value, False) for i, (item, _, value, _) in enumerate(cases)]
    readings = frame(rows).with_columns(
        pl.Series("water_body", [body for _, body, _, _ in cases])
    )
    items = evaluate(readings).items
    got = dict(zip(items["section"].to_list(), items["item_class"].to_list(), strict=True))
    wrong = [
        (item, body, value, expected, got[str(i)])
        for i, (item, body, value, expected) in enumerate(cases)
        if got[str(i)] != expected
    ]
    assert wrong == []
    assert len(cases) == 220


@pytest.mark.parametrize(("item", "body", "value", "expected"), _boundary_cases()[::7])
def test_classify_agrees(item: str, body: str, value: float, expected: int) -> None:
    assert classify(item, value, body) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(6.0, 1), (9.0, 1), (7.2, 1), (5.4, 6), (9.6, 6), (5.5, 1), (9.5, 6), (8.5, 1), (4.0, 6)],
)
def test_ph_range_after_rounding_to_whole_units(value: float, expected: int) -> None:
    # pH is rounded to 0 decimals (2020 rules), half-even: 5.5 → 6 (I), 9.5 → 10 (劣V).
    assert classify("ph", value) == expected


def test_shared_limit_gives_best_class() -> None:
    assert classify("cod", 14) == 1
    assert classify("cod", 15) == 1
    assert classify("f", 1.0) == 1


def test_reference_items_are_reported_not_classed() -> None:
    ev = evaluate(frame([one("temperature", 31.0), one("tn", 3.5), one("fecal_coliform", 50000),
                         one("codmn", 3.0)]))
    items = ev.items.select("item", "mean", "item_class", "graded", "exceedance").rows()
    assert items == [
        ("temperature", 31.0, None, False, None),
        ("codmn", 3.0, 2, True, None),
        ("tn", 3.5, None, False, None),
        ("fecal_coliform", 50000.0, None, False, None),
    ]
    assert ev.sections["water_class"].to_list() == [2]
    assert ev.sections["n_items"].to_list() == [1]


def test_lake_grades_tn_and_uses_lake_tp() -> None:
    ev = evaluate(frame([one("tn", 1.2), one("tp", 0.06)]), water_body="lake")
    assert ev.items.select("item", "item_class").rows() == [("tp", 4), ("tn", 4)]
    river = evaluate(frame([one("tn", 1.2), one("tp", 0.06)]), water_body="river")
    assert river.items.select("item", "item_class").rows() == [("tp", 2), ("tn", None)]


def test_section_with_only_reference_items_has_no_class() -> None:
    ev = evaluate(frame([one("temperature", 20.0)]), target=3)
    assert ev.sections.row(0, named=True) == {
        "section": "S", "period": "2019-07", "water_class": None, "class_name": None,
        "status": None, "compliant": None, "main_pollutants": [], "deciding_item": None,
        "n_items": 0,
    }


# --------------------------------------------------------------------------------------
# Detection limits (环办监测函〔2020〕82号 point 7)
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.002L", (0.002, True, 0.002)),
        ("0.002l", (0.002, True, 0.002)),
        ("<0.002", (0.002, True, 0.002)),
        ("＜０．００２", (0.002, True, 0.002)),
        ("０.００２Ｌ", (0.002, True, 0.002)),
        ("ND(0.002)", (0.002, True, 0.002)),
        ("ND（0.002）", (0.002, True, 0.002)),
        ("nd", (None, True, None)),
        ("--", (None, False, None)),
        ("", (None, False, None)),
        ("  ", (None, False, None)),
        (None, (None, False, None)),
        (" 1.25 ", (1.25, False, None)),
        ("-0.5", (-0.5, False, None)),
        (3, (3.0, False, None)),
    ],
)
def test_parse_value(text: str | None, expected: tuple) -> None:
    assert parse_value(text) == expected


@pytest.mark.parametrize("text", ["abc", "0.002LL", "ND(x)", "<-1", "1,5", "inf"])
def test_parse_value_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_value(text)


def test_cd_below_detection_limit_is_not_class_i() -> None:
    ev = evaluate(frame([one("cd", 0.002, below_dl=True)]))
    row = ev.items.row(0, named=True)
    assert (row["mean"], row["item_class"], row["below_dl"], row["detection_limit"]) == (
        0.001, 2, True, 0.002,
    )


def test_detection_limit_column_takes_precedence() -> None:
    readings = frame([("S", T0, "cd", None, True, 0.002)], detection_limit=True)
    assert evaluate(readings).items.select("mean", "item_class").row(0) == (0.001, 2)


def test_mixed_detected_and_below_dl_is_not_floored() -> None:
    # (0.003 + 0.002/2) / 2 = 0.002 → Class II by its mean; below_dl is False.
    ev = evaluate(frame([one("cd", 0.003), ("S", T0.replace(hour=9), "cd", 0.002, True)]))
    assert ev.items.select("n", "mean", "item_class", "below_dl").row(0) == (2, 0.002, 2, False)


@pytest.mark.parametrize(
    ("item", "dl", "expected"),
    [("hg", 0.00004, 1), ("pb", 0.01, 1), ("hg", 0.0002, 4), ("cd", 0.02, 6), ("tp", 0.01, 1)],
)
def test_detection_limit_floor(item: str, dl: float, expected: int) -> None:
    assert evaluate(frame([one(item, dl, below_dl=True)])).items["item_class"][0] == expected


# --------------------------------------------------------------------------------------
# Means and rounding
# --------------------------------------------------------------------------------------


def _hours(item: str, values: list[float]) -> pl.DataFrame:
    return frame([("S", T0.replace(hour=h), item, v, False) for h, v in enumerate(values)])


def test_binary_noise_does_not_cross_a_boundary() -> None:
    assert sum([0.1, 0.1, 0.4]) / 3 == 0.20000000000000004
    ev = evaluate(_hours("tp", [0.1, 0.1, 0.4]))
    assert ev.items.select("mean", "item_class").row(0) == (0.2, 3)


@pytest.mark.parametrize(
    ("values", "mean", "klass"),
    [
        ([1.00, 1.01], 1.0, 3),  # 1.005 → 1.00 (五成双: 0 is even) → III
        ([1.01, 1.02], 1.02, 4),  # 1.015 → 1.02 → IV
        ([1.00, 1.02], 1.01, 4),
        ([0.995, 1.005], 1.0, 3),
    ],
)
def test_half_even_rounding_before_classification(
    values: list[float], mean: float, klass: int
) -> None:
    ev = evaluate(_hours("nh3n", values))
    assert ev.items.select("mean", "item_class").row(0) == (mean, klass)


def test_mean_that_rounds_to_zero_keeps_one_significant_figure() -> None:
    assert evaluate(_hours("tp", [0.0004])).items.select("mean", "item_class").row(0) == (
        0.0004, 1,
    )


def test_ph_mean_arithmetic_by_default_and_hydrogen_ion_on_request() -> None:
    readings = _hours("ph", [6.0, 8.0])
    assert evaluate(readings).items["mean"].to_list() == [7.0]
    # −log10((1e-6 + 1e-8) / 2) = 6.297 → 6 (0 decimals)
    assert evaluate(readings, ph_mean="hydrogen_ion").items["mean"].to_list() == [6.0]


# --------------------------------------------------------------------------------------
# Periods, status, exceedance, main pollutants, compliance
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "labels"),
    [
        ("month", ["2019-07", "2019-11", "2020-01"]),
        ("quarter", ["2019-Q3", "2019-Q4", "2020-Q1"]),
        ("year", ["2019", "2020"]),
        ("all", ["all"]),
    ],
)
def test_period_labels(period: str, labels: list[str]) -> None:
    rows = [("S", datetime(2019, 7, 31, 23), "codmn", 3.0, False),
            ("S", datetime(2019, 11, 1), "codmn", 5.0, False),
            ("S", datetime(2020, 1, 15), "codmn", 7.0, False)]
    ev = evaluate(frame(rows), period=period)  # type: ignore[arg-type]
    assert ev.sections["period"].to_list() == labels


def test_year_mean_and_n() -> None:
    pairs = [(1, 3.0), (6, 5.0), (6, 6.0), (12, 7.0)]
    rows = [("S", datetime(2019, m, 1, i), "codmn", v, False) for i, (m, v) in enumerate(pairs)]
    ev = evaluate(frame(rows).lazy(), period="year")
    # Plain mean of the readings, months combined exactly: 21 / 4 = 5.25 → 5.2 (五成双).
    assert ev.items.select("period", "n", "mean", "item_class").row(0) == ("2019", 4, 5.2, 3)


def test_times_outside_supported_range_are_refused() -> None:
    with pytest.raises(ValueError, match="1900"):
        evaluate(frame([("S", datetime(1850, 1, 1), "tp", 0.1, False)]))


@pytest.mark.parametrize(
    ("codmn", "klass", "name", "status"),
    [(1.0, 1, "I", "优"), (3.0, 2, "II", "优"), (5.0, 3, "III", "良好"),
     (8.0, 4, "IV", "轻度污染"), (12.0, 5, "V", "中度污染"), (20.0, 6, "劣V", "重度污染")],
)
def test_status_words(codmn: float, klass: int, name: str, status: str) -> None:
    s = evaluate(frame([one("codmn", codmn)])).sections.row(0, named=True)
    assert (s["water_class"], s["class_name"], s["status"]) == (klass, name, status)


def test_exceedance_and_main_pollutants_order() -> None:
    # 龙岗河 西湖村, 2016-04: 劣V, 主要超标项目 "氨氮/1.3、总磷/0.6、化学需氧量/0.2"
    # (http://swhqglq.gov.cn/swhqglq/zdly/hjbh/szhj/content/post_434417.html); the
    # concentrations are the ones those multiples imply against the river Class III limits.
    readings = frame([one("nh3n", 2.3), one("tp", 0.32), one("cod", 24.0), one("do", 4.0),
                      one("codmn", 5.0), one("ph", 7.0)])
    ev = evaluate(readings, target=3)
    s = ev.sections.row(0, named=True)
    assert (s["class_name"], s["main_pollutants"], s["deciding_item"], s["compliant"]) == (
        "劣V", ["氨氮", "总磷", "化学需氧量"], "nh3n", False,
    )
    exceed = dict(ev.items.select("item", "exceedance").iter_rows())
    assert exceed == {"ph": None, "do": None, "codmn": None, "cod": 0.2, "nh3n": 1.3,
                      "tp": 0.6}


def test_main_pollutant_ties_broken_by_exceedance_and_do_last() -> None:
    ev = evaluate(frame([one("do", 4.0), one("codmn", 7.0), one("cod", 28.0), one("bod5", 5.0)]))
    # All Class IV: COD 0.4, BOD5 0.25, CODMn 0.17, DO has no multiple → dropped (top 3).
    assert ev.sections["main_pollutants"].to_list() == [["化学需氧量", "五日生化需氧量",
                                                         "高锰酸盐指数"]]


def test_no_main_pollutants_when_section_meets_iii() -> None:
    s = evaluate(frame([one("codmn", 6.0), one("nh3n", 1.0)]), target=2).sections
    assert s.select("water_class", "main_pollutants", "compliant").row(0) == (3, [], False)


@pytest.mark.parametrize(("target", "compliant"), [(1, False), (2, False), (3, True), (5, True)])
def test_compliance_is_class_not_worse_than_target(target: int, compliant: bool) -> None:
    s = evaluate(frame([one("nh3n", 0.8)]), target=target).sections
    assert s["compliant"].to_list() == [compliant]


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="period"):
        evaluate(frame([one("tp", 0.1)]), period="week")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="target"):
        evaluate(frame([one("tp", 0.1)]), target=6)
    with pytest.raises(ValueError, match="unknown item"):
        evaluate(frame([one("antimony", 0.1)]))


# --------------------------------------------------------------------------------------
# Published results
# --------------------------------------------------------------------------------------

# 全国主要流域重点断面水质自动监测周报 2007年第2周 (pH, DO, CODMn, NH3-N; class; main
# pollutants), https://www.gov.cn/ztzl/zfjcrz/content_502095.htm
GOV_CN_2007_W2 = [
    ("黑龙江肇源", 6.97, 5.85, 6.3, 0.32, "IV", {"高锰酸盐指数"}),
    ("黑龙江同江", 7.66, 6.03, 13.3, 1.77, "V", {"氨氮", "高锰酸盐指数"}),
    ("吉林长春松花江村", 6.59, 7.1, 3.9, 0.57, "III", set()),
    ("吉林白城白沙滩", 7.6, 9.03, 5.7, 0.75, "III", set()),
    ("黑龙江黑河", 6.53, 9.65, 3.9, 0.26, "II", set()),
    ("内蒙古呼伦贝尔黑山头", 7.25, 0.03, 4.5, 0.63, "劣V", {"溶解氧"}),
]


def test_published_weekly_results_gov_cn_2007_w2() -> None:
    rows = []
    for name, ph, do, codmn, nh3n, _, _ in GOV_CN_2007_W2:
        rows += [(name, T0, "ph", ph, False), (name, T0, "do", do, False),
                 (name, T0, "codmn", codmn, False), (name, T0, "nh3n", nh3n, False)]
    s = evaluate(frame(rows), period="all").sections
    got = {r["section"]: (r["class_name"], set(r["main_pollutants"]))
           for r in s.iter_rows(named=True)}
    assert got == {name: (klass, main) for name, *_, klass, main in GOV_CN_2007_W2}


@pytest.mark.parametrize(
    ("section", "tp", "exceedance"),
    [
        # 南昌县水环境质量月报2024年6月: 鄱阳湖南湖村 Ⅳ类, 污染因子总磷, 超标0.7倍
        # https://saintpaulhem.com/ncx/ncxrmzf/hjbhs/202407/11f3f28102f1420ead224eb93a7ff318.shtml
        ("南湖村", 0.085, 0.7),
        # 2020年2月湘潭市水环境质量监测简报: 九华湖公园 Ⅳ类, 总磷(0.60)
        # https://ttnews.xyz/a/5e85aaeddc9b5e49b58b4eac
        ("九华湖公园", 0.08, 0.6),
        # 2024年3月进贤县地表水水质状况: 金溪咀刘家 湖泊 Ⅳ类 TP(0.8); 青岚湖 Ⅳ类 TP(0.6)
        # https://saintpaulhem.com/jxx/jxxrmzf/hjbh/202406/af5f983873da407f96b7aac892c8c42c.shtml
        ("金溪咀刘家", 0.09, 0.8),
        ("青岚湖", 0.08, 0.6),
    ],
)
def test_published_lake_tp_results(section: str, tp: float, exceedance: float) -> None:
    # The bulletins give class and multiple; the TP concentration is the one the multiple
    # implies against the lake Class III limit 0.05 mg/L.
    ev = evaluate(frame([(section, T0, "tp", tp, False), (section, T0, "codmn", 4.5, False)]),
                  water_body="lake", target=3)
    s = ev.sections.row(0, named=True)
    assert (s["class_name"], s["status"], s["main_pollutants"], s["compliant"]) == (
        "IV", "轻度污染", ["总磷"], False,
    )
    assert ev.items.filter(pl.col("item") == "tp")["exceedance"].to_list() == [exceedance]


# --------------------------------------------------------------------------------------
# River / basin (环办〔2011〕22号 二(二))
# --------------------------------------------------------------------------------------


def test_basin_with_few_sections_averages_items() -> None:
    rows = [("A", T0, "nh3n", 0.8, False), ("B", T0, "nh3n", 1.4, False),
            ("C", T0, "nh3n", 1.1, False), ("A", T0, "codmn", 3.0, False)]
    out = evaluate_basin(frame(rows), basin="渌水")
    assert out.select("basin", "period", "method", "n_sections", "water_class", "status",
                      "main_pollutants").rows() == [
        ("渌水", "2019-07", "mean", 3, 4, "轻度污染", ["氨氮"]),
    ]


def _basin_sections(classes: list[int]) -> pl.DataFrame:
    # CODMn values in the middle of each class.
    value = {1: 1.0, 2: 3.0, 3: 5.0, 4: 8.0, 5: 12.0, 6: 20.0}
    return frame([(f"S{i}", T0, "codmn", value[c], False) for i, c in enumerate(classes)])


@pytest.mark.parametrize(
    ("classes", "status"),
    [
        ([1] * 9 + [4], "优"),  # I–III 90 %
        ([2] * 8 + [4, 4], "良好"),  # 80 %
        ([3] * 3 + [4] + [5], "轻度污染"),  # 60 %, 劣V 0 %
        ([3] * 3 + [6, 4], "中度污染"),  # 60 %, 劣V 20 %
        ([3] * 3 + [6, 6], "重度污染"),  # 劣V 40 %
    ],
)
def test_basin_share_method(classes: list[int], status: str) -> None:
    out = evaluate_basin(_basin_sections(classes)).row(0, named=True)
    assert (out["method"], out["water_class"], out["status"]) == ("shares", None, status)
    assert out["share_i_iii"] == sum(c <= 3 for c in classes) / len(classes)
    assert out["share_worse_v"] == classes.count(6) / len(classes)


def test_basin_share_main_pollutants_and_threshold() -> None:
    classes = [3, 3, 3, 6, 4]
    out = evaluate_basin(_basin_sections(classes)).row(0, named=True)
    assert out["main_pollutants"] == ["高锰酸盐指数"]
    assert (out["share_iv"], out["share_v"]) == (0.2, 0.0)
    # "大于5个" reading: five sections still use the mean method.
    strict = evaluate_basin(_basin_sections(classes), rule=BasinRule(min_sections_for_shares=6))
    assert strict.select("method", "water_class").row(0) == ("mean", 4)


# --------------------------------------------------------------------------------------
# Consecutive compliant months
# --------------------------------------------------------------------------------------


def _monthly(pattern: dict[str, float]) -> pl.DataFrame:
    rows = [("金鱼石", datetime(int(m[:4]), int(m[5:]), 1), "nh3n", v, False)
            for m, v in pattern.items()]
    return evaluate(frame(rows), target=3).sections


def test_streaks_missing_month_breaks() -> None:
    good, bad = 0.5, 1.8
    months = {f"2019-{m:02d}": good for m in range(1, 13)}
    months["2019-07"] = bad
    del months["2019-11"]
    secs = _monthly(months)
    out = consecutive_compliant_months(secs, target=3)
    assert out.row(0, named=True) == {
        "section": "金鱼石", "as_of": "2019-12", "current_streak": 1, "longest_streak": 6,
        "longest_start": "2019-01", "longest_end": "2019-06",
    }
    at_oct = consecutive_compliant_months(secs, target=3, as_of="2019-10").row(0, named=True)
    assert (at_oct["current_streak"], at_oct["longest_streak"]) == (3, 6)
    at_jul = consecutive_compliant_months(secs, target=3, as_of="2019-07").row(0, named=True)
    assert (at_jul["current_streak"], at_jul["longest_streak"]) == (0, 6)


def test_streak_across_year_end() -> None:
    months = {"2019-11": 0.5, "2019-12": 0.5, "2020-01": 0.5, "2020-02": 1.2}
    out = consecutive_compliant_months(_monthly(months), target=3, as_of="2020-01")
    assert out.select("current_streak", "longest_streak", "longest_start").row(0) == (
        3, 3, "2019-11",
    )


# --------------------------------------------------------------------------------------
# Purity
# --------------------------------------------------------------------------------------


def test_engine_import_is_pure() -> None:
    code = (
        "import sys, coopzone.engines.water_quality as w\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('sqlalchemy', 'fastapi', 'starlette', 'pydantic_settings') "
        "or m.startswith('coopzone.db') or m == 'coopzone.config']\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == ""
