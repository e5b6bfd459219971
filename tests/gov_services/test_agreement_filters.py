"""The 跨省通办 agreements list: every filter (signing days both inclusive, a place within
another on either or one side, an item covered, a title fragment) selects the same
agreements on the page, in its Excel export (the filters named on sheet two) and in the API;
a bad filter is a Chinese 422, never a 500. The dashboard's figure links here with
``signed_to`` and the page counts what the figure counts."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from coopzone.cooperation.models import Agreement
from coopzone.gov_services import service
from coopzone.gov_services.schemas import ItemCreate, KstbAgreementCreate
from coopzone.gov_services.service.figures import kstb_agreements
from tests.gov_services.conftest import World

API = "/api/v1/services/agreements"


@pytest.fixture
def three(session: Session, world: World) -> dict[str, int]:
    """A (2021-03-01, 湘东区 → 醴陵市, every item), B (2023-06-15, 莲花县 → 长沙市, the
    world's item), C (2025-09-30, 浏阳市 → 安源区, another item)."""
    w = world
    other = service.create_item(session, w.office, ItemCreate(
        code="T-002", name="社保转移（测试）", department_kind="other", modes=["online"]))
    ids: dict[str, int] = {"item": w.item.id, "other": other.id}
    for key, title, signed, collect, handle, items in (
            ("A", "湘东—醴陵跨省通办合作协议", date(2021, 3, 1), "360313", "430281", []),
            ("B", "莲花—长沙跨省通办合作协议", date(2023, 6, 15), "360321", "430100",
             [w.item.id]),
            ("C", "浏阳—安源跨省通办合作协议", date(2025, 9, 30), "430181", "360302",
             [other.id])):
        agreement = Agreement(title=title, field="public_services", signed_on=signed,
                              status="in_force")
        session.add(agreement)
        session.flush()
        row = service.create_kstb_agreement(session, w.office, KstbAgreementCreate(
            agreement_id=agreement.id, collect_place_codes=[collect],
            handle_place_codes=[handle], item_ids=items))
        ids[key] = row.id
    session.commit()
    return ids


def on_page(client: TestClient, query: str) -> set[int]:
    page = client.get(f"/services/agreements?{query}")
    assert page.status_code == 200, page.text[:300]
    found = {int(i) for i in re.findall(r'<tr id="kstb-(\d+)"', page.text)}
    assert f'data-count="{len(found)}"' in page.text
    return found


def in_export(client: TestClient, query: str) -> tuple[set[str], list[list[object]]]:
    answer = client.get(f"/services/agreements.xlsx?{query}")
    assert answer.status_code == 200
    book = load_workbook(io.BytesIO(answer.content), read_only=True)
    rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    filters = ([list(r) for r in book.worksheets[1].iter_rows(values_only=True)]
               if len(book.worksheets) > 1 else [])
    return {str(r[1]) for r in rows[1:]}, filters


def in_api(client: TestClient, query: str) -> set[int]:
    answer = client.get(f"{API}?{query}")
    assert answer.status_code == 200, answer.text
    return {r["id"] for r in answer.json()}


TITLES = {"A": "湘东—醴陵跨省通办合作协议", "B": "莲花—长沙跨省通办合作协议",
          "C": "浏阳—安源跨省通办合作协议"}


@pytest.mark.parametrize(("page_query", "api_query", "expected"), [
    ("", "", "ABC"),
    ("signed_to=2023-06-15", "signed_to=2023-06-15", "AB"),
    ("signed_to=2023-06-14", "signed_to=2023-06-14", "A"),
    ("signed_from=2023-06-15", "signed_from=2023-06-15", "BC"),
    ("signed_from=2021-03-02&signed_to=2025-09-29", "signed_from=2021-03-02&signed_to=2025-09-29",
     "B"),
    ("signed_from=2026-01-01", "signed_from=2026-01-01", ""),
    ("place=360300", "place_code=360300", "ABC"),
    ("place=360300&side=collect", "place_code=360300&side=collect", "AB"),
    ("place=360300&side=handle", "place_code=360300&side=handle", "C"),
    ("place=430200", "place_code=430200", "A"),
    ("place=430000&side=handle", "place_code=430000&side=handle", "AB"),
    ("place=360313", "place_code=360313", "A"),
    ("q=长沙", "q=长沙", "B"),
    ("q=%25", "q=%25", ""),  # a LIKE wildcard is a character like any other
    ("signed_to=2025-09-30&place=360300&side=collect&q=跨省通办",
     "signed_to=2025-09-30&place_code=360300&side=collect&q=跨省通办", "AB"),
], ids=["all", "to", "to-before", "from", "between", "none", "place", "collect", "handle",
        "city", "province", "county", "title", "wildcard", "combined"])
def test_every_filter_selects_the_same_agreements_on_page_export_and_api(
        client: TestClient, three: dict[str, int], page_query: str, api_query: str,
        expected: str) -> None:
    wanted = {three[k] for k in expected}
    assert on_page(client, page_query) == wanted
    assert in_api(client, api_query) == wanted
    titles, _filters = in_export(client, page_query)
    assert titles == {TITLES[k] for k in expected}


def test_the_item_filter_keeps_agreements_listing_it_or_none(
        client: TestClient, three: dict[str, int]) -> None:
    for item, expected in ((three["item"], "AB"), (three["other"], "AC")):
        wanted = {three[k] for k in expected}
        assert on_page(client, f"item={item}") == wanted
        assert in_api(client, f"item_id={item}") == wanted
        assert in_export(client, f"item={item}")[0] == {TITLES[k] for k in expected}


def test_the_page_keeps_its_filters_and_the_export_names_them_in_chinese(
        client: TestClient, three: dict[str, int]) -> None:
    query = f"signed_from=2021-01-01&signed_to=2023-06-15&place=360300&side=collect" \
            f"&item={three['item']}&q=跨省"
    page = client.get(f"/services/agreements?{query}").text
    assert 'name="signed_to" type="date" value="2023-06-15"' in page
    assert 'name="signed_from" type="date" value="2021-01-01"' in page
    assert '<option value="360300" selected>萍乡市</option>' in page
    assert '<option value="collect" selected>收件地</option>' in page
    assert f'<option value="{three["item"]}" selected>' in page
    assert 'value="跨省"' in page and "共 3 项" in page  # 2 shown of 3 in all
    assert "/services/agreements.xlsx?signed_from=2021-01-01&amp;signed_to=2023-06-15" in page
    titles, filters = in_export(client, query)
    assert titles == {TITLES["A"], TITLES["B"]}
    assert ["签署日期不早于", "2021-01-01"] in filters
    assert ["签署日期不晚于", "2023-06-15"] in filters
    assert ["地点", "萍乡市"] in filters and ["协议一方", "收件地"] in filters
    assert ["事项", "户口迁移（测试）"] in filters and ["关键词", "跨省"] in filters


@pytest.mark.parametrize(("query", "reason"), [
    ("signed_to=2023-13-01", "签署日期止"),
    ("signed_from=yesterday", "签署日期起"),
    ("signed_from=2024-01-01&signed_to=2023-01-01", "结束日期不能早于开始日期"),
    ("place=3603", "6 位地区代码"),
    ("side=both", "协议一方"),
    ("item=abc", "事项"),
    ("item=0", "事项"),
    ("q=" + "长" * 121, "关键词"),
], ids=["month", "word", "reversed", "place", "side", "item", "zero", "long"])
def test_a_bad_filter_is_a_chinese_refusal_on_page_and_export(
        client: TestClient, three: dict[str, int], query: str, reason: str) -> None:
    for path in ("/services/agreements", "/services/agreements.xlsx"):
        answer = client.get(f"{path}?{query}")
        assert answer.status_code == 422, (path, answer.status_code)
        assert reason in answer.text


@pytest.mark.parametrize("query", [
    "signed_to=2023-13-01", "side=both", "place_code=3603", "item_id=x",
    "signed_from=2024-01-01&signed_to=2023-01-01"])
def test_a_bad_filter_is_a_422_in_the_api(client: TestClient, three: dict[str, int],
                                          query: str) -> None:
    assert client.get(f"{API}?{query}").status_code == 422


def test_the_dashboard_figure_counts_what_its_link_lists(
        client: TestClient, session: Session, three: dict[str, int]) -> None:
    figure = kstb_agreements(session, date(2023, 6, 15))
    assert figure.params == (("signed_to", "2023-06-15"),)
    assert on_page(client, "signed_to=2023-06-15") == set(figure.ids)
    assert len(figure.ids) == 2
