"""Implausible monitoring data is refused at every edge (station push, web upload, CLI
import) with row, column and reason, and nothing is written: non-finite numbers, values
outside the item's plausible bounds, times before the platform's earliest year or the
section's start, too far in the future, or skipped/repeated by the 1986–91 daylight-saving
changes. Stored non-finite values (older data) break neither the section page nor the chart.

The platform's clock is fixed with ``as_of = 2025-09-30`` (its now is the end of that day;
the future tolerance is the default 2 hours), except where the real clock is the point."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from coopzone.accounts import service as accounts
from coopzone.api.app import create_app
from coopzone.config import Settings
from coopzone.db import SHANGHAI, make_engine, now
from coopzone.ecology import readings
from coopzone.ecology.demo import load_ecology_demo
from coopzone.ecology.evaluation import headline_figures
from coopzone.ecology.models import ImportBatch, Reading, Section
from coopzone.ecology.plausibility import bounds, load_bounds
from coopzone.engines.water_quality_gb3838 import ITEM_CODES
from coopzone.errors import InvalidInput
from coopzone.migrate import upgrade
from coopzone.places.service import load_places
from tests.helpers import PASSWORD, People, database_url, token_for

AS_OF = date(2025, 9, 30)
NOW_TEXT = "2025-09-30 23:59"
PUSH_URL = "/api/v1/ecology/readings"
HEADER = "断面名称,监测时间,项目,浓度"
GOOD_ROW = "金鱼石,2025-08-01 08:00,氨氮,0.2"


@dataclass(frozen=True)
class Case:
    """One implausible reading: as pushed (a JSON fragment for the value), as written in a
    file, and the refusal each edge must give (column is "value"/"time" for the push, the
    file's header for a file)."""

    id: str
    item: str
    json_value: str
    file_value: str
    time: str  # "YYYY-MM-DD HH:MM", naive Asia/Shanghai
    push_reason: str
    file_reason: str

    @property
    def field(self) -> str:
        return "value" if "时间" not in self.push_reason else "time"

    @property
    def file_column(self) -> str:
        return "浓度" if self.field == "value" else "监测时间"


T = "2025-08-15 08:00"
CASES = [
    Case("1e309", "nh3n", "1e309", "1e309", T, "不是有限数字：inf", "不是有限数字：1e309"),
    Case("Infinity", "nh3n", "Infinity", "Infinity", T, "不是有限数字：inf",
         "不是有限数字：Infinity"),
    Case("NaN", "nh3n", "NaN", "NaN", T, "不是有限数字：nan", "不是有限数字：NaN"),
    Case("1e300", "nh3n", "1e300", "1e300", T, "氨氮 1e+300 超出合理范围 0–1000 mg/L",
         "氨氮 1e300 超出合理范围 0–1000 mg/L"),
    Case("pH 15", "ph", "15", "15", T, "pH 15 超出合理范围 0–14", "pH 15 超出合理范围 0–14"),
    Case("negative", "nh3n", "-0.2", "-0.2", T, "氨氮为负值：-0.2（不能小于 0）",
         "氨氮为负值：-0.2（不能小于 0）"),
    Case("DO 25", "do", "25", "25", T, "溶解氧 25 超出合理范围 0–20 mg/L",
         "溶解氧 25 超出合理范围 0–20 mg/L"),
    Case("year 2099", "nh3n", "0.2", "0.2", "2099-01-01 08:00",
         f"时间 2099-01-01 08:00 晚于平台当前时间 {NOW_TEXT} 超过 2 小时",
         f"时间 2099-01-01 08:00 晚于平台当前时间 {NOW_TEXT} 超过 2 小时"),
    # Tomorrow, past the 2-hour tolerance (01:59 is still inside it, see the boundary test).
    Case("tomorrow", "nh3n", "0.2", "0.2", "2025-10-01 02:01",
         f"时间 2025-10-01 02:01 晚于平台当前时间 {NOW_TEXT} 超过 2 小时",
         f"时间 2025-10-01 02:01 晚于平台当前时间 {NOW_TEXT} 超过 2 小时"),
    Case("before 1980", "nh3n", "0.2", "0.2", "1979-12-31 08:00",
         "时间 1979-12-31 08:00 早于平台最早年份 1980 年",
         "时间 1979-12-31 08:00 早于平台最早年份 1980 年"),
    Case("DST gap", "nh3n", "0.2", "0.2", "1988-04-17 02:30",
         "当地时间 1988-04-17 02:30 不存在（夏令时拨快时跳过）",
         "当地时间 1988-04-17 02:30 不存在（夏令时拨快时跳过）"),
    Case("DST fold", "nh3n", "0.2", "0.2", "1988-09-11 01:30",
         "当地时间 1988-09-11 01:30 有歧义（夏令时结束时出现两次），请注明时区",
         "当地时间 1988-09-11 01:30 有歧义（夏令时结束时出现两次），请注明时区"),
]


def push_body(rows: list[tuple[str, str, str]]) -> str:
    """A push as raw JSON text, so that ``Infinity``/``NaN``/``1e309`` go as JSON literals
    (``(time, item, json value)``; the time as ISO 8601 without an offset)."""
    readings_json = ", ".join(
        f'{{"section": "jinyushi", "time": "{t.replace(" ", "T")}:00", "item": "{item}", '
        f'"value": {value}}}' for t, item, value in rows)
    return f'{{"source": "auto", "readings": [{readings_json}]}}'


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def csv_file(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def jinyushi(**extra: object) -> Section:
    return Section(code="jinyushi", name="金鱼石", river="萍水河", basin="渌水",
                   province_code="360000", county_code="360313", level="national",
                   target_class=3, is_border=True, **extra)


@pytest.fixture
def section(session: Session) -> Section:
    made = jinyushi()
    session.add(made)
    session.commit()
    return made


@pytest.fixture
def as_of_client(settings: Settings, session_factory: sessionmaker[Session]
                 ) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"as_of": AS_OF}), session_factory)
    with TestClient(app) as c:
        yield c


def post_push(client: TestClient, body: str, headers: dict[str, str],
              query: str = "") -> tuple[int, dict[str, Any]]:
    response = client.post(PUSH_URL + query, content=body,
                           headers={**headers, "Content-Type": "application/json"})
    return response.status_code, response.json()


# --------------------------------------------------------------------------------------
# Station push API
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_push_refuses_implausible_readings(
    as_of_client: TestClient, session: Session, people: People, section: Section, case: Case
) -> None:
    headers = token_for(session, people.jiangxi_editor)
    body = push_body([(GOOD_ROW.split(",")[1], "nh3n", "0.2"),
                      (case.time, case.item, case.json_value)])
    status, answer = post_push(as_of_client, body, headers)
    assert status == 422, answer
    assert answer["error"] == "invalid_input"
    assert answer["errors"] == [{"row": 2, "column": case.field, "reason": case.push_reason}]
    assert count(session, Reading) == 0 and count(session, ImportBatch) == 0


def test_push_reasons_in_english_on_request(
    as_of_client: TestClient, session: Session, people: People, section: Section
) -> None:
    headers = token_for(session, people.jiangxi_editor)
    body = push_body([(T, "ph", "15"), (T, "nh3n", "Infinity"), ("1988-04-17 02:30", "tp", "0.1")])
    expected = [
        {"row": 1, "column": "value", "reason": "ph 15 is outside the plausible range 0–14"},
        {"row": 2, "column": "value", "reason": "not a finite number: inf"},
        {"row": 3, "column": "time", "reason": "local time 1988-04-17 02:30 does not exist "
                                               "(skipped by daylight saving time)"},
    ]
    status, answer = post_push(as_of_client, body, headers, "?lang=en")
    assert status == 422 and answer["errors"] == expected
    status, answer = post_push(as_of_client, body, {**headers, "Accept-Language": "en-GB,en"})
    assert status == 422 and answer["errors"] == expected
    status, answer = post_push(as_of_client, body, headers)
    assert answer["errors"][0]["reason"] == "pH 15 超出合理范围 0–14"
    assert count(session, Reading) == 0


def test_push_in_string_form_is_refused_too(
    as_of_client: TestClient, session: Session, people: People, section: Section
) -> None:
    """Values sent as strings ("1e309", "Infinity", "NaN", "1e309L") are not missing
    values: each is refused as not finite."""
    headers = token_for(session, people.jiangxi_editor)
    body = push_body([(T, "nh3n", '"1e309"'), (T, "tp", '"Infinity"'), (T, "cod", '"NaN"'),
                      (T, "cd", '"1e309L"'), (T, "hg", '"-inf"')])
    status, answer = post_push(as_of_client, body, headers)
    assert status == 422
    assert [(e["row"], e["reason"]) for e in answer["errors"]] == [
        (1, "不是有限数字：1e309"), (2, "不是有限数字：Infinity"), (3, "不是有限数字：NaN"),
        (4, "不是有限数字：1e309L"), (5, "不是有限数字：-inf")]
    assert count(session, Reading) == 0


def test_push_refuses_booleans_and_a_bare_nd(
    as_of_client: TestClient, session: Session, people: People, section: Section
) -> None:
    headers = token_for(session, people.jiangxi_editor)
    status, answer = post_push(as_of_client, push_body([(T, "nh3n", "true")]), headers)
    assert status == 422  # refused by the schema: true is not a number
    assert [e["column"] for e in answer["errors"]] == [
        "readings.0.value.str", "readings.0.value.float"]
    status, answer = post_push(as_of_client, push_body([(T, "cd", '"ND"')]), headers)
    assert status == 422 and answer["errors"] == [
        {"row": 1, "column": "value", "reason": "低于检出限但未给出检出限，请写成 ND(0.002)"}]
    assert count(session, Reading) == 0


def test_file_upload_through_the_api_refuses_implausible_values(
    as_of_client: TestClient, session: Session, people: People, section: Section,
    tmp_path: Path
) -> None:
    headers = token_for(session, people.jiangxi_editor)
    path = csv_file(tmp_path / "x.csv", [GOOD_ROW, "金鱼石,2025-08-02 08:00,pH,15",
                                         "金鱼石,1988-04-17 02:30,氨氮,0.2"])
    for query, reasons in (
        ("", ["pH 15 超出合理范围 0–14", "当地时间 1988-04-17 02:30 不存在（夏令时拨快时跳过）"]),
        ("?lang=en", ["ph 15 is outside the plausible range 0–14",
                      "local time 1988-04-17 02:30 does not exist (skipped by daylight "
                      "saving time)"]),
    ):
        response = as_of_client.post("/api/v1/ecology/imports" + query, headers=headers,
                                     files={"file": ("x.csv", path.read_bytes(), "text/csv")})
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {"row": 3, "column": "浓度", "reason": reasons[0]},
            {"row": 4, "column": "监测时间", "reason": reasons[1]}]
    assert count(session, Reading) == 0 and count(session, ImportBatch) == 0


def test_push_with_an_offset_in_the_autumn_hour_is_unambiguous(
    as_of_client: TestClient, session: Session, people: People, section: Section
) -> None:
    """1988-09-11 01:30 happened twice; with its offset it names one moment and is kept."""
    headers = token_for(session, people.jiangxi_editor)
    body = ('{"readings": [{"section": "jinyushi", "time": "1988-09-11T01:30:00+09:00", '
            '"item": "nh3n", "value": 0.2}, {"section": "jinyushi", "time": '
            '"1988-09-11T01:30:00+08:00", "item": "nh3n", "value": 0.3}]}')
    status, answer = post_push(as_of_client, body, headers)
    assert status == 200, answer
    assert answer["added"] == 2
    stored = session.scalars(select(Reading).order_by(Reading.measured_at)).all()
    assert [r.measured_at.utcoffset() for r in stored] == [timedelta(hours=9),
                                                           timedelta(hours=8)]
    assert [r.measured_at.astimezone(UTC).isoformat() for r in stored] == [
        "1988-09-10T16:30:00+00:00", "1988-09-10T17:30:00+00:00"]


def test_push_against_the_real_clock(
    client: TestClient, session: Session, people: People, section: Section
) -> None:
    """Without ``as_of`` the platform's clock is coopzone.db.now()."""
    headers = token_for(session, people.jiangxi_editor)
    soon = (now() + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    late = (now() + timedelta(hours=3)).strftime("%Y-%m-%d %H:%M")
    status, answer = post_push(client, push_body([(late, "nh3n", "0.2")]), headers)
    assert status == 422 and answer["errors"][0]["column"] == "time"
    assert "超过 2 小时" in str(answer["errors"][0]["reason"])
    assert count(session, Reading) == 0
    status, answer = post_push(client, push_body([(soon, "nh3n", "0.2")]), headers)
    assert status == 200 and answer["added"] == 1


def test_plausibility_bounds_are_inclusive(
    as_of_client: TestClient, session: Session, people: People, section: Section,
    settings: Settings, tmp_path: Path
) -> None:
    replay = settings.model_copy(update={"as_of": AS_OF})
    headers = token_for(session, people.jiangxi_editor)
    edge = [(T, "ph", "14"), (T, "do", "20"), (T, "nh3n", "0"), (T, "temperature", "-2"),
            ("1980-01-01 00:00", "tp", "0.1"), ("2025-10-01 01:59", "tp", "0.1")]
    status, answer = post_push(as_of_client, push_body(edge), headers)
    assert status == 200, answer
    assert answer["added"] == 6
    ph = session.scalars(select(Reading).where(Reading.item == "ph")).one()
    assert ph.value == 14.0
    over = [(T, "ph", "14.01"), (T, "do", "20.1"), (T, "temperature", "-2.5")]
    status, answer = post_push(as_of_client, push_body(over), headers)
    assert status == 422
    assert [e["reason"] for e in answer["errors"]] == [
        "pH 14.01 超出合理范围 0–14", "溶解氧 20.1 超出合理范围 0–20 mg/L",
        "水温 -2.5 超出合理范围 -2–50 ℃"]
    assert count(session, Reading) == 6
    # The same bounds hold in a file: pH 14 is accepted, 14.01 refused.
    admin = accounts.principal_for(session, people.admin.id)
    ok = csv_file(tmp_path / "ok.csv", ["金鱼石,2025-08-02 08:00,pH,14"])
    assert readings.import_file(session, admin, ok, settings=replay).added == 1
    bad = csv_file(tmp_path / "bad.csv", ["金鱼石,2025-08-03 08:00,pH,14.01"])
    with pytest.raises(InvalidInput) as refused:
        readings.import_file(session, admin, bad, settings=replay)
    assert [(e.row, e.column, e.reason) for e in refused.value.errors] == [
        (2, "浓度", "pH 14.01 超出合理范围 0–14")]
    assert count(session, Reading) == 7


def test_readings_before_the_section_started_are_refused(
    as_of_client: TestClient, session: Session, people: People, tmp_path: Path
) -> None:
    session.add(jinyushi(started_on=date(2020, 1, 1)))
    session.commit()
    headers = token_for(session, people.jiangxi_editor)
    body = push_body([("2019-12-31 23:00", "nh3n", "0.2"), ("2020-01-01 00:00", "nh3n", "0.2")])
    status, answer = post_push(as_of_client, body, headers)
    assert status == 422
    assert answer["errors"] == [{"row": 1, "column": "time", "reason":
                                 "时间 2019-12-31 23:00 早于断面 jinyushi 的启用日期 2020-01-01"}]
    editor = accounts.principal_for(session, people.jiangxi_editor.id)
    path = csv_file(tmp_path / "a.csv", ["金鱼石,2020-01-01,氨氮,0.2",
                                         "金鱼石,2019-12-31,氨氮,0.2"])
    with pytest.raises(InvalidInput) as refused:
        readings.import_file(session, editor, path)
    assert [(e.row, e.column, e.reason) for e in refused.value.errors] == [
        (3, "监测时间", "时间 2019-12-31 00:00 早于断面 金鱼石 的启用日期 2020-01-01")]
    assert count(session, Reading) == 0 and count(session, ImportBatch) == 0


def test_a_refused_push_leaves_the_jinyushi_streak_at_74(
    session: Session, people: People, settings: Settings,
    session_factory: sessionmaker[Session]
) -> None:
    load_ecology_demo(session)
    session.commit()
    before = count(session, Reading)
    client = TestClient(create_app(settings.model_copy(update={"as_of": AS_OF}),
                                   session_factory))
    headers = token_for(session, people.jiangxi_editor)
    for value in ("1e309", "Infinity", "NaN"):
        body = push_body([("2025-08-20 09:30", "nh3n", value),
                          ("2025-09-05 09:30", "nh3n", value)])
        status, answer = post_push(client, body, headers)
        assert status == 422 and [e["row"] for e in answer["errors"]] == [1, 2]
    assert count(session, Reading) == before
    assert headline_figures(session, AS_OF)["jinyushi_streak_months"] == 74
    assert '<div class="figure" id="streak">74</div>' in client.get(
        "/ecology/sections/jinyushi").text


# --------------------------------------------------------------------------------------
# Stored non-finite values (older data): the pages and the chart keep working
# --------------------------------------------------------------------------------------


def test_stored_non_finite_values_are_left_out_of_evaluation_and_chart(
    session: Session, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    load_ecology_demo(session)
    jys = session.scalars(select(Section).where(Section.code == "jinyushi")).one()
    at = datetime(2025, 8, 20, 9, 30, tzinfo=SHANGHAI)
    # Written as an older import would have (Core insert, no audit row), before the checks.
    session.execute(insert(Reading), [
        {"section_id": jys.id, "measured_at": at, "item": item, "value": value}
        for item, value in (("nh3n", float("inf")), ("tp", float("-inf")),
                            ("codmn", float("nan")))])
    session.commit()
    assert headline_figures(session, AS_OF)["jinyushi_streak_months"] == 74
    client = TestClient(create_app(settings.model_copy(update={"as_of": AS_OF}),
                                   session_factory))
    page = client.get("/ecology/sections/jinyushi?item=nh3n")
    assert page.status_code == 200
    assert '<div class="figure" id="streak">74</div>' in page.text
    # SQLite stores NaN as NULL (a missing value); PostgreSQL keeps it: 2 or 3 left out.
    skipped = re.search(r'id="skipped-readings">[^<]*?(\d+)</p>', page.text)
    assert skipped is not None and int(skipped.group(1)) in (2, 3)
    data = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>',
                     page.text, re.S)
    assert data is not None

    def strict(constant: str) -> None:
        raise AssertionError(f"chart data holds {constant}")

    chart = json.loads(data.group(1), parse_constant=strict)
    assert chart["points"] and all(v is None or v < 10 for _t, v in chart["points"])
    assert client.get("/ecology").status_code == 200
    assert client.get("/ecology/sections/jinyushi/monthly.xlsx").status_code == 200


# --------------------------------------------------------------------------------------
# Web upload
# --------------------------------------------------------------------------------------


def _upload(client: TestClient, path: Path, query: str = "") -> tuple[int, str]:
    from tests.accounts.test_access import csrf_of

    token = csrf_of(client.get("/ecology/import" + query).text)
    r = client.post("/ecology/import" + query, data={"csrf_token": token},
                    files={"file": (path.name, path.read_bytes(), "text/csv")})
    return r.status_code, r.text


def _error_row(row: int, column: str, reason: str) -> str:
    return f"<tr><td>{row}</td><td>{html.escape(column)}</td><td>{html.escape(reason)}</td></tr>"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_web_upload_refuses_implausible_readings(
    as_of_client: TestClient, session: Session, people: People, section: Section,
    tmp_path: Path, case: Case
) -> None:
    from tests.accounts.test_access import login

    assert login(as_of_client, "xiangdong", PASSWORD) == 303
    name = {"nh3n": "氨氮", "ph": "pH", "do": "溶解氧"}[case.item]
    path = csv_file(tmp_path / "x.csv", [GOOD_ROW, f"金鱼石,{case.time},{name},{case.file_value}"])
    status, text = _upload(as_of_client, path)
    assert status == 422
    assert 'id="import-errors"' in text
    assert _error_row(3, case.file_column, case.file_reason) in text
    assert text.count("<tr><td>") == 1  # the good row 2 is not listed
    assert count(session, Reading) == 0 and count(session, ImportBatch) == 0
    status, _ = _upload(as_of_client, path)  # the same file again: still refused, no batch
    assert status == 422 and count(session, ImportBatch) == 0


def test_web_upload_in_english_and_a_bad_year(
    as_of_client: TestClient, session: Session, people: People, section: Section,
    tmp_path: Path
) -> None:
    from tests.accounts.test_access import csrf_of, login

    assert login(as_of_client, "xiangdong", PASSWORD) == 303
    path = csv_file(tmp_path / "x.csv", ["金鱼石,2025-08-01 08:00,溶解氧,25"])
    status, text = _upload(as_of_client, path, "?lang=en")
    assert status == 422
    assert _error_row(2, "浓度", "do 25 is outside the plausible range 0–20 mg/L") in text
    token = csrf_of(as_of_client.get("/ecology/import").text)
    r = as_of_client.post("/ecology/import", data={"csrf_token": token, "year": "abc"},
                          files={"file": ("y.csv", path.read_bytes(), "text/csv")})
    assert r.status_code == 422 and "年份必须是 1900–2199 之间的整数" in r.text
    assert count(session, Reading) == 0


# --------------------------------------------------------------------------------------
# CLI: `coopzone ecology import` on its own database (SQLite file or PostgreSQL)
# --------------------------------------------------------------------------------------


@dataclass
class Cli:
    engine: Engine

    def readings(self) -> int:
        with Session(self.engine) as s:
            return count(s, Reading) + count(s, ImportBatch)


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    from coopzone.config import get_settings

    url = database_url(tmp_path_factory, "coopzone_cli_readings")
    engine = make_engine(url)
    upgrade(url, engine=engine)
    with Session(engine) as s:
        load_places(s)
        org = accounts.create_organisation(s, "湘东区生态环境分局", "ecology_bureau", "360313")
        user = accounts.create_user(s, "xiangdong", PASSWORD, "湘东编辑")
        accounts.grant_role(s, user, org, "editor")
        s.add(jinyushi())
        s.commit()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COOPZONE_DATABASE_URL", url)
        mp.setenv("COOPZONE_DATA_DIR", str(tmp_path_factory.mktemp("cli_data")))
        mp.setenv("COOPZONE_AS_OF", AS_OF.isoformat())
        get_settings.cache_clear()
        yield Cli(engine)
    get_settings.cache_clear()
    engine.dispose()


def run_import(path: Path, *extra: str) -> tuple[int, str]:
    from typer.testing import CliRunner

    from coopzone.cli.main import app

    result = CliRunner().invoke(app, ["ecology", "import", str(path), "--as", "xiangdong",
                                      *extra])
    return result.exit_code, result.output


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_cli_import_refuses_implausible_readings(cli: Cli, tmp_path: Path, case: Case) -> None:
    name = {"nh3n": "氨氮", "ph": "pH", "do": "溶解氧"}[case.item]
    path = csv_file(tmp_path / "x.csv", [GOOD_ROW, f"金鱼石,{case.time},{name},{case.file_value}"])
    code, output = run_import(path)
    assert code == 2
    assert flat(f"row 3, column {case.file_column}: {case.file_reason}") in flat(output)
    assert flat("row 2,") not in flat(output)
    assert cli.readings() == 0


def flat(text: str) -> str:
    """Text without white space: rich wraps long lines, anywhere in Chinese."""
    return "".join(text.split())


def test_cli_import_in_english_then_a_good_file(cli: Cli, tmp_path: Path) -> None:
    bad = csv_file(tmp_path / "bad.csv", [GOOD_ROW, "金鱼石,2025-08-02 08:00,pH,15"])
    code, output = run_import(bad, "--lang", "en")
    assert code == 2 and flat("ph 15 is outside the plausible range 0–14") in flat(output)
    assert cli.readings() == 0
    good = csv_file(tmp_path / "good.csv", [GOOD_ROW, "金鱼石,2025-08-02 08:00,pH,14"])
    code, output = run_import(good)
    assert code == 0 and "added 2" in output
    code, output = run_import(good)
    assert code == 0 and "already imported" in output
    with Session(cli.engine) as s:
        assert count(s, Reading) == 2 and count(s, ImportBatch) == 1


# --------------------------------------------------------------------------------------
# The bounds table itself
# --------------------------------------------------------------------------------------


def test_the_bounds_table_covers_every_item_with_a_note() -> None:
    table = bounds()
    assert list(table) == list(ITEM_CODES)
    assert (table["ph"].lower, table["ph"].upper) == (0, 14)
    assert (table["do"].lower, table["do"].upper) == (0, 20)
    for b in table.values():
        assert b.note and b.lower < b.upper
        if b.item != "temperature":
            assert b.lower == 0
    with pytest.raises(ValueError, match="lacks items"):
        load_bounds("item,name,unit,lower,upper,note\nph,pH,无量纲,0,14,x\n")
    with pytest.raises(ValueError, match="finite"):
        load_bounds("item,name,unit,lower,upper,note\nph,pH,无量纲,0,inf,x\n")
