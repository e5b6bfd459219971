"""``coopzone ecology evaluate``: files in, evaluation out, no database."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from coopzone.ecology.cli import app

DATA = Path(__file__).parent / "data"
runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["evaluate", *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_for_the_wide_publication() -> None:
    code, out, _ = run(str(DATA / "wide_publication.csv"), "--year", "2019", "--target", "III",
                       "--format", "json")
    assert code == 0
    records = {r["section"]: r for r in json.loads(out)}
    jt = records["枧头镇"]
    assert (jt["period"], jt["class"], jt["status"], jt["compliant"], jt["main_pollutants"]) == (
        "2019-07", "IV", "轻度污染", False, ["总磷"],
    )
    assert jt["items"]["tp"] == {"mean": 0.25, "class": "IV", "exceedance": 0.25}
    assert jt["items"]["tn"] == {"mean": 2.1, "class": None, "exceedance": None}
    jys = records["金鱼石"]
    # TP (0.08 + 0.09 + 0.13) / 3 = 0.1 → Class II; DO mean 7.37 → 7.4 → II.
    assert jys["items"]["tp"] == {"mean": 0.1, "class": "II", "exceedance": None}
    assert (jys["class"], jys["status"], jys["compliant"]) == ("II", "优", True)


def test_compliant_absent_without_target() -> None:
    code, out, _ = run(str(DATA / "gbk_wide.csv"), "--format", "json")
    assert code == 0
    assert all("compliant" not in r for r in json.loads(out))


def test_csv_flattens_items() -> None:
    code, out, _ = run(str(DATA / "gbk_wide.csv"), "--format", "csv", "--target", "3")
    assert code == 0
    assert out.splitlines() == [
        "section,period,class,status,compliant,main_pollutants,cod_mean,cod_class,"
        "cod_exceedance,bod5_mean,bod5_class,bod5_exceedance,nh3n_mean,nh3n_class,"
        "nh3n_exceedance",
        "萍水河桥,2019-07,II,优,True,,14.0,I,,3.0,I,,0.5,II,",
        "萍水河桥,2019-08,V,中度污染,False,氨氮、五日生化需氧量,16.0,III,,4.2,IV,0.05,1.6,V,0.6",
    ]


def test_quarter_and_lake_table() -> None:
    code, out, _ = run(str(DATA / "long_readings.csv"), "--water-body", "lake", "--period",
                       "quarter", "--target", "Ⅲ", "--format", "table")
    assert code == 0
    assert "南湖村" in out and "2024-Q2" in out and "轻度污染" in out and "总磷" in out


def test_xlsx_and_year_period(tmp_path: Path) -> None:
    p = tmp_path / "sections.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["section", "time", "item", "value"])
    ws.append(["A", datetime(2019, 1, 5), "nh3n", 0.4])
    ws.append(["A", datetime(2019, 6, 5), "氨氮", 0.7])
    wb.save(p)
    code, out, _ = run(str(p), "--period", "year", "--format", "json")
    assert code == 0
    assert json.loads(out) == [{
        "section": "A", "period": "2019", "class": "III", "status": "良好",
        "main_pollutants": [], "items": {"nh3n": {"mean": 0.55, "class": "III",
                                                  "exceedance": None}},
    }]


def test_bad_file_exits_2_with_every_problem() -> None:
    code, out, err = run(str(DATA / "gbk_wide.csv"), str(DATA / "bad.csv"), "--format", "json",
                         "--lang", "en")
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert lines[0] == "Refused: 6 problem(s); nothing was evaluated."
    assert lines[1] == f"{DATA / 'bad.csv'}: row 3, column section: section is empty"
    assert lines[5] == f"{DATA / 'bad.csv'}: row 7, column item: unknown item: 锑"
    assert len(lines) == 7


@pytest.mark.parametrize("target", ["VI", "劣V", "0", "x"])
def test_bad_target(target: str) -> None:
    code, _, err = run(str(DATA / "gbk_wide.csv"), "--target", target)
    assert code == 2
    assert "target must be I–V or 1–5" in err
