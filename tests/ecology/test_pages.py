"""The ecology pages show figures computed from the demo readings (as of 2025-09-30)."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from coopzone.api.app import create_app
from coopzone.config import Settings
from coopzone.ecology.demo import load_ecology_demo
from coopzone.ecology.evaluation import headline_figures


@pytest.fixture
def demo_client(session: Session, settings: Settings,
                session_factory: sessionmaker[Session]) -> TestClient:
    load_ecology_demo(session)
    session.commit()
    app: FastAPI = create_app(settings.model_copy(update={"as_of": date(2025, 9, 30)}),
                              session_factory)
    return TestClient(app)


def test_the_article_figures_come_out_of_the_readings(session: Session) -> None:
    load_ecology_demo(session)
    figures = headline_figures(session, date(2025, 9, 30))
    assert figures["jinyushi_streak_months"] == 74  # 2019-07 .. 2025-08
    assert (figures["basin_sections"], figures["basin_sections_good"]) == (12, 12)
    # A month earlier the streak was one shorter; data from 2019-06 breaks it.
    assert headline_figures(session, date(2025, 8, 15))["jinyushi_streak_months"] == 73


def test_sections_page_lists_the_basin_with_classes_and_streaks(demo_client: TestClient) -> None:
    html = demo_client.get("/ecology").text
    rows = re.findall(r'<tr data-code="([^"]+)">', html)
    assert len(rows) == 12 and "jinyushi" in rows
    jinyushi = html[html.index('data-code="jinyushi"'):]
    jinyushi = jinyushi[:jinyushi.index("</tr>")]
    assert "2025-08" in jinyushi and '<td class="num">74</td>' in jinyushi


def test_section_page_shows_the_months_that_failed(demo_client: TestClient) -> None:
    html = demo_client.get("/ecology/sections/jinyushi").text
    assert '<div class="figure" id="streak">74</div>' in html
    june = html[html.index("<td>2019-06</td>"):]
    june = june[:june.index("</tr>")]
    assert "IV" in june and "轻度污染" in june and "氨氮" in june and "✘" in june
    assert demo_client.get("/ecology/sections/nowhere").status_code == 404


def test_monthly_export_is_a_real_workbook(demo_client: TestClient) -> None:
    response = demo_client.get("/ecology/sections/jinyushi/monthly.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("断面", "月份", "类别", "水质状况", "是否达标", "主要污染物")
    assert len(rows) == 1 + 80  # 2019-01 .. 2025-08
    june = next(r for r in rows if r[1] == "2019-06")
    assert june[2:6] == ("IV", "轻度污染", "不达标", "氨氮")


def test_basin_page_shows_every_section_good(demo_client: TestClient) -> None:
    html = demo_client.get("/ecology/basins/渌水").text
    assert '<div class="figure" id="good-share">100%</div>' in html
    assert "12 / 12 · 2025-08" in html
