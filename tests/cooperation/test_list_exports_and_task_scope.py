"""The meetings, tasks and indicators exports go through kit.exporting.export_list: the page's
filters and order, Chinese headers (English on request), formula-like text as text; the
task lists, exports and pages are scoped to the tasks the user may read."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from coopzone.accounts import service as accounts
from coopzone.cooperation import service
from coopzone.cooperation.schemas import MeetingCreate
from coopzone.errors import NotFound
from coopzone.kit.listing import ListParams
from tests.accounts.test_access import login
from tests.helpers import PASSWORD, Coop, new_task, token_for

FORMULA = '=HYPERLINK("http://evil.example/","点此")'


def sheets(content: bytes) -> list[list[tuple[object, ...]]]:
    book = load_workbook(io.BytesIO(content))
    return [[tuple(r) for r in s.iter_rows(values_only=True)] for s in book.worksheets]


def meetings(session: Session, coop: Coop) -> None:
    for title, kind, held_on in ((FORMULA, "forum", date(2024, 5, 1)),
                                 ("湘赣边区域合作联席会议第五次会议", "joint_meeting",
                                  date(2025, 4, 20))):
        service.create_meeting(session, coop.office, MeetingCreate(
            title=title, kind=kind, held_on=held_on, place="萍乡", host="萍乡市人民政府",
            resolutions=["共建产业园"]))
    session.commit()


def test_the_meetings_export_has_the_pages_filters_and_order(
        client: TestClient, session: Session, coop: Coop) -> None:
    meetings(session, coop)
    everything = client.get("/cooperation/export/meetings.xlsx")
    assert everything.status_code == 200
    [rows] = sheets(everything.content)  # no filter, no second sheet
    assert rows[0] == ("序号", "会议名称", "类型", "系列", "日期", "地点", "主办", "我方身份",
                       "决议")
    # The page's default order: newest first.
    assert [r[1] for r in rows[1:]] == ["湘赣边区域合作联席会议第五次会议", FORMULA]
    assert rows[1][2] == "联席会议" and rows[1][7] == "成员"
    sheet = load_workbook(io.BytesIO(everything.content)).active
    assert sheet is not None
    cell = sheet.cell(3, 2)
    assert (cell.value, cell.data_type, cell.quotePrefix) == (FORMULA, "s", True)
    by_kind = client.get("/cooperation/export/meetings.xlsx?kind=forum&sort=title&order=asc")
    rows, filters = sheets(by_kind.content)
    assert [r[1] for r in rows[1:]] == [FORMULA]
    assert filters == [("类型", "论坛")]
    keyword = sheets(client.get("/cooperation/export/meetings.xlsx?q=联席会议").content)
    assert [r[1] for r in keyword[0][1:]] == ["湘赣边区域合作联席会议第五次会议"]
    assert keyword[1] == [("关键词", "联席会议")]
    english = sheets(client.get("/cooperation/export/meetings.xlsx?lang=en&kind=forum").content)
    assert english[0][0][:3] == ("No.", "Meeting", "Kind")
    assert english[0][1][2] == "Forum" and english[1] == [("Kind", "Forum")]
    as_csv = client.get("/cooperation/export/meetings.csv?year=2024")
    assert as_csv.headers["content-type"].startswith("text/csv")
    lines = as_csv.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith('1,"\'=HYPERLINK(')
    assert client.get("/cooperation/export/meetings.pdf").status_code == 404
    # The page links the export with its filters.
    page = client.get("/cooperation/meetings?kind=forum&sort=title").text
    assert 'href="/cooperation/export/meetings.xlsx?kind=forum&amp;sort=title"' in page


def test_the_tasks_export_needs_a_login_and_keeps_the_filters(
        client: TestClient, session: Session, coop: Coop) -> None:
    new_task(session, coop, title=FORMULA, deadline=date(2025, 10, 3))
    new_task(session, coop, owner=coop.people.hunan_county_org, title="醴陵报送方案",
             deadline=date(2030, 1, 1))
    session.commit()
    assert client.get("/cooperation/export/tasks.xlsx",
                      follow_redirects=False).status_code == 303
    assert login(client, "xiangdong", PASSWORD) == 303
    rows = sheets(client.get("/cooperation/export/tasks.xlsx").content)[0]
    assert rows[0] == ("序号", "事项", "承办单位", "办理时限", "状态", "退回次数", "提交时间",
                       "验收时间")
    assert [(r[1], r[2], r[4]) for r in rows[1:]] == [
        (FORMULA, "湘东区生态环境分局", "待办理"), ("醴陵报送方案", "醴陵市生态环境分局", "待办理")]
    mine = sheets(client.get("/cooperation/export/tasks.xlsx?mine=1").content)
    assert [r[1] for r in mine[0][1:]] == [FORMULA]
    assert mine[1] == [("本单位的", "是")]
    english = sheets(client.get("/cooperation/export/tasks.xlsx?lang=en").content)
    assert english[0][0][1:3] == ("Task", "Assignees") and english[0][1][4] == "Open"
    searched = client.get("/cooperation/export/tasks.csv?q=醴陵").content.decode("utf-8-sig")
    assert searched.strip().splitlines()[1].startswith("1,醴陵报送方案,")


def test_the_indicators_export_keeps_the_pages_as_of(
        client: TestClient, session: Session, coop: Coop) -> None:
    service.define_indicator(session, "agreements_in_force", "履行中的合作协议", "项",
                             "computed", Decimal(150))
    service.snapshot(session, "2023")
    service.snapshot(session, "2024")
    session.commit()
    rows = sheets(client.get("/cooperation/export/indicators.xlsx").content)[0]
    assert rows[0] == ("指标", "单位", "目标", "期间", "数值", "来源", "依据")
    assert [r[3] for r in rows[1:]] == ["2023", "2024"]
    assert rows[1][5] == "平台计算" and rows[1][6] == "0 条记录，截至 2023-12-31"
    until = sheets(client.get("/cooperation/export/indicators.xlsx?as_of=2023-06-30").content)
    assert [r[3] for r in until[0][1:]] == ["2023"] and until[1] == [("数据截至", "2023-06-30")]
    english = sheets(client.get("/cooperation/export/indicators.xlsx?lang=en").content)
    assert english[0][0][:2] == ("Indicator", "Unit")
    assert english[0][1][6] == "0 records, as of 2023-12-31"
    page = client.get("/cooperation/indicators?as_of=2023-06-30").text
    assert 'href="/cooperation/export/indicators.xlsx?as_of=2023-06-30"' in page


def test_tasks_are_read_only_by_members_of_an_organisation(
        client: TestClient, session: Session, coop: Coop) -> None:
    """``task.read``: every member of an organisation of the zone reads every task; a user who
    belongs to no organisation reads none (list, API, export, page)."""
    task_id = new_task(session, coop)
    loner = accounts.create_user(session, "loner", PASSWORD, "无单位用户")
    session.commit()
    nobody = accounts.principal_for(session, loner.id)
    everyone = service.TaskFilter()
    assert [t.id for t in service.task_list(session, everyone, ListParams())] == [task_id]
    for reader, seen in ((coop.hunan, [task_id]), (coop.viewer, [task_id]),
                         (coop.admin, [task_id]), (nobody, [])):
        f = service.TaskFilter(reader=reader)
        assert [t.id for t in service.task_list(session, f)] == seen, reader.username
        assert service.page_tasks(session, f, ListParams()).total == len(seen)
    headers = token_for(session, loner)
    assert client.get("/api/v1/cooperation/tasks", headers=headers).json() == []
    assert client.get(f"/api/v1/cooperation/tasks/{task_id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/cooperation/tasks/{task_id}/events",
                      headers=headers).status_code == 404
    member = token_for(session, coop.people.hunan_editor)
    assert [t["id"] for t in client.get("/api/v1/cooperation/tasks", headers=member).json()] \
        == [task_id]
    assert client.get(f"/api/v1/cooperation/tasks/{task_id}", headers=member).status_code == 200
    assert login(client, "loner", PASSWORD) == 303
    assert 'data-count="0"' in client.get("/cooperation/tasks").text
    assert client.get(f"/cooperation/tasks/{task_id}").status_code == 404
    assert sheets(client.get("/cooperation/export/tasks.xlsx").content)[0][1:] == []


def test_a_task_attachment_is_downloaded_only_by_a_reader_of_its_task(
        files_client: TestClient, session: Session, coop: Coop, tmp_path: Path) -> None:
    """``/cooperation/files/{sha256}``: a file attached to a task is read like the task (404,
    as for no file, outside its readers); an agreement's document stays public."""
    from coopzone.cooperation.schemas import AgreementCreate, PartyIn

    task_id = new_task(session, coop)
    files = tmp_path / "files"
    [notice] = service.attach_to_task(session, coop.office, task_id, files,
                                      [service.Upload("通知.txt", "督办通知".encode())])
    loner = accounts.create_user(session, "loner", PASSWORD, "无单位用户")
    session.commit()
    sha = notice.document.sha256
    nobody = accounts.principal_for(session, loner.id)
    with pytest.raises(NotFound):
        service.readable_document(session, nobody, sha)
    assert service.readable_document(session, coop.viewer, sha).id == notice.document_id
    assert login(files_client, "loner", PASSWORD) == 303
    assert files_client.get(f"/cooperation/files/{sha}").status_code == 404
    assert files_client.get(f"/cooperation/files/{'0' * 64}").status_code == 404
    # The same bytes kept for a public record (an agreement's text) are public anyway.
    service.create_agreement_with_document(session, coop.office, AgreementCreate(
        title="湘东—醴陵协议", parties=[PartyIn(name="萍乡市湘东区人民政府"),
                                       PartyIn(name="萍乡市人民政府")],
        field="ecology", signed_on=date(2023, 4, 1), status="in_force"), files,
        service.Upload("协议.txt", "督办通知".encode()))
    session.commit()
    assert files_client.get(f"/cooperation/files/{sha}").status_code == 200
    other = service.attach_to_task(session, coop.office, task_id, files,
                                   [service.Upload("回执.txt", "回执".encode())])[0]
    session.commit()
    assert files_client.get(f"/cooperation/files/{other.document.sha256}").status_code == 404
    files_client.cookies.clear()
    assert login(files_client, "xiangdong", PASSWORD) == 303  # a member of the zone
    got = files_client.get(f"/cooperation/files/{other.document.sha256}")
    assert got.status_code == 200 and got.content == "回执".encode()
