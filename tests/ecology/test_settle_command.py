"""``settle`` as a Typer command: files in, settlement out, no database."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import polars as pl
import typer
from typer.testing import CliRunner

from coopzone.ecology.agreement_files import BUILTIN_DIR, load_agreement
from coopzone.ecology.settle_command import period_results, settle
from coopzone.ecology.water_files import read_water_files

DATA = Path(__file__).parent / "data"
CLASS_II = DATA / "settle_jinyushi_2019_2024_class2.csv"
GAP = DATA / "settle_jinyushi_2019_gap.csv"
LIUZHUANG = DATA / "settle_liuzhuang_2020_2021.csv"

app = typer.Typer()
app.command()(settle)
# Typer runs a single-command app without its name; a callback keeps "settle" explicit.
app.callback()(lambda: None)


def run(*args: str) -> Any:
    return CliRunner().invoke(app, ["settle", *args])


def as_json(*args: str) -> dict[str, Any]:
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_lushui_both_rounds_hunan_pays_66_million() -> None:
    out = as_json("--agreement", "lushui", str(CLASS_II), "--from", "2019-07", "--to", "2024-12")
    assert [a["id"] for a in out["agreements"]] == ["lushui-2019", "lushui-2022"]
    assert len(out["lines"]) == 66
    assert {(ln["payer"], ln["payee"], ln["amount"]) for ln in out["lines"]} == {
        ("hunan", "jiangxi", "1000000"),
    }
    assert [(n["year"], n["payer"], n["payee"], n["amount"], n["due"]) for n in out["net"]] == [
        (2019, "hunan", "jiangxi", "6000000", "2020-04-30"),
        *((y, "hunan", "jiangxi", "12000000", f"{y + 1}-04-30") for y in range(2020, 2025)),
    ]
    assert sum(D(n["amount"]) for n in out["net"]) == D(66_000_000)
    first = out["lines"][0]
    assert (first["period"], first["agreement"], first["rule"]) == (
        "2019-07", "lushui-2019", "class_bet")
    assert first["steps"][-1]["text"] == (
        "2019-07 金鱼石 类别 II ≤ 目标 III → 湖南省 付 江西省 1,000,000 元")


def test_comma_list_is_the_same_as_the_series_and_window_defaults_to_data() -> None:
    out = as_json("-a", "lushui-2019,lushui-2022", str(CLASS_II))
    assert (out["from"], out["to"]) == ("2019-07", "2024-12")
    assert sum(D(n["amount"]) for n in out["net"]) == D(66_000_000)


def test_missing_month_is_held_and_alias_section_matches() -> None:
    # 金鱼石(王坊镇) in the file; 2019-09 has no data; 2019-11 is Class IV (NH3-N 1.2).
    out = as_json("-a", "lushui-2019", str(GAP))
    status = {ln["period"]: (ln["status"], ln["payer"]) for ln in out["lines"]}
    assert status == {
        "2019-07": ("accrued", "hunan"), "2019-08": ("accrued", "hunan"),
        "2019-09": ("held", None), "2019-10": ("accrued", "hunan"),
        "2019-11": ("accrued", "jiangxi"), "2019-12": ("accrued", "hunan"),
    }
    assert [(n["payer"], n["amount"]) for n in out["net"]] == [("hunan", "3000000")]
    assert out["years"] == [{"year": 2019, "due": "2020-04-30", "held": 1, "skipped": 0}]


def test_huanghe_annual_with_previous_year() -> None:
    # 2021: class III (TP 0.11) → no step payment; index 0.6667 → 0.5833 = 12.5 % → 12 M.
    out = as_json("-a", "huanghe-2021", str(LIUZHUANG), "--from", "2021-01", "--to", "2021-12")
    assert [(ln["rule_id"], ln["payer"], ln["amount"]) for ln in out["lines"]] == [
        ("class-steps", None, "0"), ("key-pollutant-index", "shandong", "12000000"),
    ]
    assert [(n["payer"], n["payee"], n["amount"]) for n in out["net"]] == [
        ("shandong", "henan", "12000000"),
    ]


def test_csv_output() -> None:
    result = run("-a", "lushui-2019", str(GAP), "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["record"] for r in rows] == ["line"] * 6 + ["net"]
    assert rows[2]["status"] == "held" and rows[2]["amount"] == "0"
    assert (rows[-1]["period"], rows[-1]["payer"], rows[-1]["amount"]) == (
        "2019", "hunan", "3000000")


def test_table_output() -> None:
    result = run("-a", "lushui-2019", str(GAP))
    assert result.exit_code == 0, result.output
    assert "Net per settlement year" in result.stdout
    assert "3,000,000" in result.stdout


def test_bad_agreement_file_exits_2_with_line_field_reason(tmp_path: Path) -> None:
    text = (BUILTIN_DIR / "lushui-2019.toml").read_text("utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('amount = "1000000"', "amount = 1e6"), "utf-8")
    result = run("-a", str(bad), str(GAP))
    assert result.exit_code == 2
    line = next(i for i, ln in enumerate(bad.read_text("utf-8").splitlines(), 1)
                if "amount = 1e6" in ln)
    assert f"line {line}, rules[0].amount: money must be an integer or a string" in result.output


def test_unknown_agreement_and_bad_options_exit_2() -> None:
    result = run("-a", "nosuch", str(GAP))
    assert result.exit_code == 2
    assert "unknown agreement 'nosuch'" in result.output
    assert run("-a", "lushui-2019", str(GAP), "--from", "2019/07").exit_code == 2
    assert run("-a", "lushui-2019", str(GAP), "--format", "xml").exit_code == 2


def test_refused_data_file_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("section,time,item,value\n金鱼石,2019-07-01,nh3n,abc\n", "utf-8")
    result = run("-a", "lushui-2019", str(bad))
    assert result.exit_code == 2
    assert "Refused: nothing was settled." in result.output


def test_adapter_takes_class_from_agreement_items_and_keeps_all_means() -> None:
    # 赤水河 classes on CODMn, NH3-N, TP only: DO 2.5 (Class V) must not decide the class.
    readings = pl.DataFrame({
        "section": ["清水铺"] * 4,
        "time": [datetime(2019, 6, 1)] * 4,
        "item": ["codmn", "nh3n", "tp", "do"],
        "value": [3.5, 0.4, 0.09, 2.5],
        "below_dl": [False] * 4,
    })
    chishui = load_agreement(BUILTIN_DIR / "chishui-2018.toml")
    [result] = period_results(readings, chishui)
    assert (result.section, result.period, result.water_class) == ("清水铺", "2019", 2)
    assert result.means == {"codmn": D("3.5"), "nh3n": D("0.4"), "tp": D("0.09"),
                            "do": D("2.5")}


def test_adapter_on_reader_output() -> None:
    readings = read_water_files([GAP]).drop("source_file", "row")
    lushui = load_agreement(BUILTIN_DIR / "lushui-2019.toml")
    results = period_results(readings, lushui)
    assert [(r.period, r.water_class) for r in results] == [
        ("2019-07", 2), ("2019-08", 2), ("2019-10", 2), ("2019-11", 4), ("2019-12", 2),
    ]
    assert results[0].means["nh3n"] == D("0.32")
