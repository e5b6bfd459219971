"""Import templates (written from the reader's columns; a filled one imports) and list
exports (the page's filters, Chinese headers, CSV as well as Excel)."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from coopzone.cooperation import service
from coopzone.cooperation.importers import COLUMNS, read_agreements
from coopzone.cooperation.models import Agreement
from coopzone.errors import InvalidInput
from tests.helpers import GOOD_ROWS, HEADER, Coop, count, token_for, xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIELD_ZH = "产业"
TEMPLATE = "/api/v1/cooperation/agreements/import/template.xlsx"


def sheet_rows(content: bytes, sheet: int = 0) -> list[tuple[object, ...]]:
    book = load_workbook(io.BytesIO(content))
    return [tuple(r) for r in book.worksheets[sheet].iter_rows(values_only=True)]


def test_the_agreements_template_has_the_readers_headers_and_imports(
        files_client: TestClient, session: Session, coop: Coop) -> None:
    for url in (TEMPLATE, "/cooperation/agreements/import/template.xlsx"):
        response = files_client.get(url)
        assert response.status_code == 200 and response.headers["content-type"] == XLSX
        assert "filename*=UTF-8''%E5%90%88%E4%BD%9C" in response.headers["content-disposition"]
        header, example = sheet_rows(response.content)
        assert header == tuple(c.zh for c in COLUMNS)
        assert example[1] == "萍乡市—醴陵市生态环境保护合作协议"
    english = files_client.get(TEMPLATE + "?lang=en")
    assert sheet_rows(english.content)[0][:3] == ("No.", "Title", "Signatories")
    assert "agreements-template.xlsx" in english.headers["content-disposition"]
    # A filled template (the example row, and the English one) imports as it is.
    [row] = read_agreements(english.content, "t.xlsx")
    assert (row.title, row.field, row.status) == ("萍乡市—醴陵市生态环境保护合作协议", "ecology",
                                                  "in_force")
    headers = token_for(session, coop.office_editor)
    done = files_client.post("/api/v1/cooperation/agreements/import?confirm=true",
                             files={"file": ("t.xlsx", response.content, XLSX)},
                             headers=headers)
    assert done.status_code == 200, done.text
    assert (done.json()["new"], done.json()["applied"]) == (1, True)
    assert count(session, Agreement) == 1


def test_a_repeated_file_says_it_adds_nothing_in_chinese(
        files_client: TestClient, session: Session, coop: Coop) -> None:
    content = xlsx([HEADER, *GOOD_ROWS])
    service.import_agreements(session, coop.office, read_agreements(content))
    session.commit()
    from tests.cooperation.test_forms import log_in
    token = log_in(files_client, "coop")
    page = files_client.post("/cooperation/agreements/import?lang=zh_CN",
                             data={"csrf_token": token},
                             files={"file": ("协议.xlsx", content, XLSX)})
    assert page.status_code == 200
    assert "文件中的 3 条记录与已保存的完全相同，导入不会增加或修改任何记录" in page.text


def test_chinese_reasons_by_default(session: Session) -> None:
    content = xlsx([HEADER, (1, "某协议", "萍乡市人民政府", "昨天", "航天", "履行中")])
    with pytest.raises(InvalidInput) as refused:
        read_agreements(content, "协议.xlsx")
    fields = "交通、产业、生态、公共服务、文旅、信用、人才、科技、农业、商贸、其他"
    assert [(e.column, e.reason) for e in refused.value.errors] == [
        ("签署日期", "不是日期：「昨天」"), ("领域", f"未知领域「航天」，应为{fields}之一")]


def test_the_agreement_export_carries_the_pages_filters(
        files_client: TestClient, session: Session, coop: Coop) -> None:
    service.import_agreements(session, coop.office, read_agreements(xlsx([HEADER, *GOOD_ROWS])))
    session.commit()
    response = files_client.get("/cooperation/agreements.xlsx?field=industry&q=园区")
    rows = sheet_rows(response.content)
    assert [r[1] for r in rows[1:]] == ["湘东区—醴陵市共建省际合作产业园区协议"]
    assert sheet_rows(response.content, 1) == [("领域", "产业"), ("关键词", "园区")]
    assert load_workbook(io.BytesIO(response.content)).sheetnames == ["合作协议", "筛选条件"]
    assert len(read_agreements(response.content)) == 1  # the first sheet still imports
    api = files_client.get("/api/v1/cooperation/agreements.xlsx?field=industry&q=园区")
    assert sheet_rows(api.content, 1) == [("领域", "产业"), ("关键词", "园区")]
    english = files_client.get("/api/v1/cooperation/agreements.xlsx?field=industry&lang=en")
    assert sheet_rows(english.content, 1) == [("Field", "Industry")]
    text = files_client.get("/cooperation/agreements.csv?field=industry").content
    assert text.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert lines[0] == list(service.AGREEMENT_HEADERS)
    assert [line[1] for line in lines[1:]] == ["湘东区—醴陵市共建省际合作产业园区协议"]


def test_the_agreement_export_follows_the_pages_sort(
        files_client: TestClient, session: Session, coop: Coop) -> None:
    service.import_agreements(session, coop.office, read_agreements(xlsx([HEADER, *GOOD_ROWS])))
    session.commit()
    newest_first = ["萍乡市—浏阳市红色文旅融合发展合作协议",
                    "湘东区—醴陵市共建省际合作产业园区协议",
                    "萍乡市—醴陵市毗邻地区交通基础设施互联互通合作协议"]

    def titles(url: str) -> list[object]:
        response = files_client.get(url)
        assert response.status_code == 200, response.text
        if url.split("?")[0].endswith(".csv"):
            lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
            return [line[1] for line in lines[1:]]
        return [r[1] for r in sheet_rows(response.content)[1:]]

    # No sort: the page's default order, newest signing first.
    assert titles("/cooperation/agreements.xlsx") == newest_first
    assert titles("/api/v1/cooperation/agreements.xlsx") == newest_first
    # The page sorted by signing date, oldest first: its exports list that order.
    page = files_client.get("/cooperation/agreements?sort=signed_on&order=asc&per_page=2")
    assert [f">{t}</a>" in page.text for t in newest_first] == [False, True, True]
    assert 'href="/cooperation/agreements.xlsx?sort=signed_on&amp;order=asc"' in page.text
    assert 'href="/cooperation/agreements.csv?sort=signed_on&amp;order=asc"' in page.text
    for url in ("/cooperation/agreements.xlsx?sort=signed_on&order=asc",
                "/cooperation/agreements.csv?sort=signed_on&order=asc",
                "/api/v1/cooperation/agreements.xlsx?sort=signed_on&order=asc"):
        assert titles(url) == newest_first[::-1], url  # every page of it, not just the first
    by_title = sorted(newest_first)
    assert titles("/cooperation/agreements.xlsx?sort=title") == by_title
    assert titles("/cooperation/agreements.csv?sort=title&order=desc") == by_title[::-1]
    # The filters and the sort together; the link keeps both.
    filtered = files_client.get("/cooperation/agreements?status=in_force&sort=title")
    assert 'href="/cooperation/agreements.xlsx?status=in_force&amp;sort=title"' in filtered.text
    assert titles("/cooperation/agreements.xlsx?status=in_force&sort=title") == sorted(
        newest_first[1:])
    # A sort the list does not offer is refused, as on the page, with no file.
    for url in ("/cooperation/agreements.xlsx?sort=summary",
                "/api/v1/cooperation/agreements.xlsx?sort=summary",
                "/cooperation/agreements.csv?order=sideways"):
        refused = files_client.get(url)
        assert refused.status_code == 422, url
        assert "content-disposition" not in refused.headers


def test_the_project_export_uses_the_pages_county_and_chinese_labels(
        files_client: TestClient, session: Session, coop: Coop) -> None:
    from tests.cooperation.test_forms import xiangdong_project
    xiangdong_project(session, coop)
    session.commit()
    everything = sheet_rows(files_client.get("/cooperation/export/projects.xlsx").content)
    assert everything[0][:4] == ("序号", "代码", "项目名称", "领域")
    assert everything[1][1:3] == ("XD-01", "湘东—醴陵共建产业园道路")
    assert everything[1][3] == FIELD_ZH and everything[1][6] == "谋划中"
    elsewhere = files_client.get("/cooperation/export/projects.xlsx?county=430281")
    assert sheet_rows(elsewhere.content)[1:] == []
    assert sheet_rows(elsewhere.content, 1) == [("县（市、区）", "醴陵市")]
    as_csv = files_client.get("/cooperation/export/projects.csv")
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert len(as_csv.content.decode("utf-8-sig").strip().splitlines()) == 2
    assert files_client.get("/cooperation/export/projects.pdf").status_code == 404


def test_the_project_export_uses_the_pages_keyword_and_order(
        files_client: TestClient, session: Session, coop: Coop) -> None:
    from coopzone.cooperation.schemas import ProjectCreate
    from tests.cooperation.test_forms import xiangdong_project
    xiangdong_project(session, coop)
    service.create_project(session, coop.jiangxi, ProjectCreate(
        code="XD-02", name="湘东污水处理厂扩建", field="ecology", owner="湘东区人民政府",
        owner_place_code="360313"))
    session.commit()
    page = files_client.get("/cooperation/projects?q=道路&sort=name").text
    assert 'href="/cooperation/export/projects.xlsx?q=%E9%81%93%E8%B7%AF&amp;sort=name"' in page
    found = files_client.get("/cooperation/export/projects.xlsx?q=道路")
    assert [r[1] for r in sheet_rows(found.content)[1:]] == ["XD-01"]
    assert sheet_rows(found.content, 1) == [("关键词", "道路")]
    as_csv = files_client.get("/cooperation/export/projects.csv?q=污水").content
    assert [line[1] for line in csv.reader(io.StringIO(as_csv.decode("utf-8-sig")))][1:] == [
        "XD-02"]
    ordered = files_client.get("/cooperation/export/projects.xlsx?sort=name&order=desc")
    names = [r[2] for r in sheet_rows(ordered.content)[1:]]
    assert names == sorted(names, reverse=True) and len(names) == 2


def test_the_generic_agreements_export_keeps_the_pages_filters(
        files_client: TestClient, session: Session, coop: Coop) -> None:
    service.import_agreements(session, coop.office, read_agreements(xlsx([HEADER, *GOOD_ROWS])))
    session.commit()
    moved = files_client.get("/cooperation/export/agreements.xlsx?field=industry&q=园区",
                             follow_redirects=False)
    assert moved.status_code == 307
    assert moved.headers["location"].startswith("/cooperation/agreements.xlsx?field=industry")
    response = files_client.get("/cooperation/export/agreements.xlsx?field=industry&q=园区")
    titles = [r[1] for r in sheet_rows(response.content)[1:]]
    assert titles == ["湘东区—醴陵市共建省际合作产业园区协议"]
    assert sheet_rows(response.content, 1) == [("领域", "产业"), ("关键词", "园区")]
    assert files_client.get("/cooperation/export/nothing.xlsx").status_code == 404
