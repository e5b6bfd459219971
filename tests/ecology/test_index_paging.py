"""The ecology index and the compensation index are paged like every list (kit.listing:
200 a page by default, up to 500; sort keys and a keyword search), and a bad list parameter
is a Chinese message on the page (English on request), never pydantic's text or a 500."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from coopzone.api.app import create_app
from coopzone.config import Settings
from coopzone.ecology.demo import load_ecology_demo
from coopzone.ecology.ledger_demo import load_ledger_demo
from coopzone.web.reasons import request_errors_text
from tests.ecology.ledger_support import make_finance


@pytest.fixture
def demo_client(session: Session, settings: Settings,
                session_factory: sessionmaker[Session]) -> TestClient:
    load_ecology_demo(session)
    make_finance(session)
    load_ledger_demo(session)
    session.commit()
    app: FastAPI = create_app(settings.model_copy(update={"as_of": date(2025, 9, 30)}),
                              session_factory)
    client = TestClient(app)
    client.cookies.set("lang", "zh_CN")
    return client


def _codes(html: str) -> list[str]:
    return re.findall(r'<tr data-code="([^"]+)">', html)


def test_the_ecology_index_is_paged_sorted_and_searched(demo_client: TestClient) -> None:
    every = demo_client.get("/ecology").text
    assert len(_codes(every)) == 12 and 'data-count="12"' in every  # 200 a page: one page
    first = demo_client.get("/ecology?per_page=5&sort=name").text
    third = demo_client.get("/ecology?per_page=5&sort=name&page=3").text
    names = sorted(_codes(every), key=lambda c: re.findall(
        rf'data-code="{c}"><td><a href="/ecology/sections/{c}">([^<]+)<', every)[0])
    assert _codes(first) == names[:5] and _codes(third) == names[10:]
    assert 'data-pages="3"' in first and 'rel="next" href="/ecology?per_page=5&amp;sort=name' \
        '&amp;page=2"' in first
    # The map still shows every section; the streak of a row comes from the one evaluation.
    assert first.count('"code":') == every.count('"code":') == 12
    assert '<td class="num">74</td>' in demo_client.get("/ecology?q=金鱼石").text
    assert _codes(demo_client.get("/ecology?q=金鱼石").text) == ["jinyushi"]
    assert demo_client.get("/ecology?per_page=500").status_code == 200
    refused = demo_client.get("/ecology?per_page=501")
    assert refused.status_code == 422 and "每页条数应在 1 到 500 之间" in refused.text


def test_the_compensation_index_pages_the_statements_in_their_series(
    demo_client: TestClient
) -> None:
    html = demo_client.get("/ecology/compensation").text
    years = re.findall(r'<tr data-year="(\d{4})">', html)
    total = int(re.findall(r'id="result-count" data-count="(\d+)"', html)[0])
    assert total == len(years) >= 3
    first = demo_client.get("/ecology/compensation?per_page=2&sort=year").text
    assert re.findall(r'<tr data-year="(\d{4})">', first) == sorted(years)[:2]
    assert f'data-pages="{(total + 1) // 2}"' in first and 'rel="next"' in first
    assert 'id="series-lushui"' in first  # each series keeps its figures on every page
    year = sorted(years)[0]
    one = demo_client.get(f"/ecology/compensation?year={year}").text
    assert re.findall(r'<tr data-year="(\d{4})">', one) == [year]
    api = demo_client.get("/api/v1/ecology/compensation/statements?per_page=2")
    assert api.headers["X-Total-Count"] == str(total) and 'rel="next"' in api.headers["Link"]


@pytest.mark.parametrize("path", ["/ecology", "/ecology/compensation",
                                  "/cooperation/meetings"])
@pytest.mark.parametrize(("query", "zh", "en"), [
    ("page=abc", "页码：应为整数（收到“abc”）", "page: must be a whole number (got 'abc')"),
    ("per_page=1.5", "每页条数：应为整数（收到“1.5”）", "per page: must be a whole number"),
    ("page=0", "页码应在 1 到 100000 之间", "页码应在 1 到 100000 之间"),
])
def test_a_bad_list_parameter_is_explained_in_the_readers_language(
    demo_client: TestClient, path: str, query: str, zh: str, en: str
) -> None:
    chinese = demo_client.get(f"{path}?{query}")
    assert chinese.status_code == 422 and zh in chinese.text
    assert "Input should" not in chinese.text and "valid integer" not in chinese.text
    english = demo_client.get(f"{path}?{query}&lang=en")
    assert english.status_code == 422 and en in english.text.replace("&#39;", "'")


def test_other_bad_query_parameters_on_pages_speak_chinese(demo_client: TestClient) -> None:
    year = demo_client.get("/ecology/compensation?year=abc")
    assert year.status_code == 422 and "年份：应为整数（收到“abc”）" in year.text
    early = demo_client.get("/ecology/compensation?year=1800")
    assert early.status_code == 422 and "年份：应不小于" in early.text
    # Every pydantic error type a page parameter can give has its words (a yes/no filter).
    bad_flag = [{"type": "bool_parsing", "loc": ("query", "overdue"), "input": "perhaps",
                 "msg": "Input should be a valid boolean, unable to interpret input"}]
    assert request_errors_text(bad_flag, "zh_CN") == (
        "请求参数有误：逾期：应为 true 或 false（是或否）（收到“perhaps”）")
    assert request_errors_text(bad_flag, "en") == (
        "Invalid request parameters: overdue: must be true or false (got 'perhaps')")
    unknown = [{"type": "something_new", "loc": ("query", "q"), "input": "x" * 90, "msg": ""}]
    assert request_errors_text(unknown, "zh_CN") == (
        f"请求参数有误：关键词：取值无效（收到“{'x' * 40}…”）")
    # The API keeps its documented body (the one error body, Chinese detail).
    api = demo_client.get("/api/v1/ecology/sections?page=abc")
    assert api.status_code == 422 and api.json()["error"] == "invalid_input"
