"""Loading a later year's holiday notice, and the clock on the command line (no database)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coopzone.cli.main import app
from coopzone.config import get_settings
from coopzone.errors import InvalidInput
from coopzone.kit.calendar import calendar_dir, load_notice, loaded_notices, platform_calendar
from tests.helpers import SECRET, make_settings

runner = CliRunner()
NOTICE_2027 = ("# 来源：示例通知\n日期,类型,名称\n2027-01-01,休,元旦\n2027-02-13,班,春节\n"
               + "".join(f"2027-02-{d:02d},休,春节\n" for d in range(6, 13)))


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("COOPZONE_ENV", "test")
    monkeypatch.setenv("COOPZONE_SECRET_KEY", SECRET)
    monkeypatch.setenv("COOPZONE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COOPZONE_DATABASE_URL", "sqlite:////nonexistent/never-opened.sqlite3")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def deadline(*args: str) -> dict[str, object]:
    result = runner.invoke(app, ["services", "deadline", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    out: dict[str, object] = json.loads(result.stdout)
    return out


def test_the_clock_from_the_command_line(data_dir: Path) -> None:
    assert deadline("2026-09-30", "5") == {
        "start": "2026-09-30", "working_days": 5, "pauses": [], "deadline": "2026-10-13",
        "ends_at": "2026-10-14T00:00:00+08:00", "reason": None}
    paused = deadline("2026-03-02", "10", "--pause", "2026-03-05", "2026-03-09")
    assert paused["deadline"] == "2026-03-19"
    assert paused["pauses"] == [["2026-03-05", "2026-03-09"]]
    two = deadline("2026-03-02", "10", "--pause", "2026-03-05", "2026-03-09",
                   "--pause", "2026-03-18", "2026-03-18")
    assert two["deadline"] == "2026-03-20"
    moment = deadline("2026-09-30T23:30", "1")
    assert moment["start"] == "2026-09-30T23:30:00+08:00" and moment["deadline"] == "2026-10-08"
    unknown = deadline("2026-12-28", "5")
    assert unknown["deadline"] is None and unknown["reason"] == "no calendar for 2027"
    assert not (data_dir / "coopzone.sqlite3").exists()  # no database was touched


@pytest.mark.parametrize(("args", "reason"), [
    (["2026-13-01", "5"], "不是日期"),
    (["2026-03-02", "10", "--pause", "2026-03-05"], "两个日期"),
    (["2026-03-02", "10", "--pause", "2026-03-09", "2026-03-05"], "早于"),
    (["2026-03-02", "10", "--pause", "2026-03-05T10:00", "2026-03-09"], "应为日期"),
    (["2026-03-02", "10", "--later"], "不认识"),
    (["2026-03-02", "10", "--format", "xml"], "table 或 json"),
])
def test_bad_arguments_are_refused_with_a_reason(data_dir: Path, args: list[str], reason: str
                                                 ) -> None:
    result = runner.invoke(app, ["services", "deadline", *args])
    assert result.exit_code == 2
    assert reason in result.output.replace("\n", "")


def test_a_loaded_notice_is_used_by_the_clock(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "2027.csv"
    path.write_text(NOTICE_2027, encoding="utf-8")
    loaded = runner.invoke(app, ["calendar", "load", str(path)])
    assert loaded.exit_code == 0, loaded.output
    assert "2027: loaded" in loaded.output and "示例通知" in loaded.output
    assert deadline("2026-12-28", "5")["deadline"] == "2027-01-05"
    assert deadline("2027-02-05", "1")["deadline"] == "2027-02-13"
    shown = runner.invoke(app, ["calendar", "show", "2027"])
    assert shown.exit_code == 0 and "2027-02-13" in shown.output
    again = runner.invoke(app, ["calendar", "load", str(path)])
    assert "2027: replaced" in again.output
    assert [n.year for n in loaded_notices(get_settings())] == [2027]


def test_a_bad_notice_is_refused_whole_and_nothing_is_kept(data_dir: Path, tmp_path: Path
                                                           ) -> None:
    settings = make_settings("sqlite://", data_dir=data_dir)
    bad = NOTICE_2027 + "2027-03-01,班,错误\n"  # a Monday made a working day
    with pytest.raises(InvalidInput) as refused:
        load_notice(settings, bad.encode(), "2027.csv")
    assert [(e.row, e.column) for e in refused.value.errors] == [(12, "类型")]
    assert not calendar_dir(settings).exists() or not list(calendar_dir(settings).iterdir())
    assert platform_calendar(settings).add(date(2026, 12, 28), 5).due is None
    path = tmp_path / "bad.csv"
    path.write_text(bad, encoding="utf-8")
    result = runner.invoke(app, ["calendar", "load", str(path)])
    assert result.exit_code == 2 and "row 12, column 类型" in result.output
    with pytest.raises(InvalidInput, match="太大"):
        load_notice(settings, b"x" * (65 * 1024), "big.csv")


def test_a_loaded_year_replaces_a_shipped_one(data_dir: Path) -> None:
    settings = make_settings("sqlite://", data_dir=data_dir)
    assert platform_calendar(settings).is_working_day(date(2026, 10, 9))
    correction = "日期,类型,名称\n" + "".join(f"2026-10-{d:02d},休,国庆节\n" for d in range(1, 10))
    notice, replaced = load_notice(settings, correction.encode(), "2026.csv", "更正")
    assert notice.year == 2026 and not replaced
    calendar = platform_calendar(settings)
    assert not calendar.is_working_day(date(2026, 10, 9))
    assert calendar.notices[2026].source == "更正"
