"""The 跨省通办 pages: the work list and its tabs, the case page with its clock, timeline and
forms, the full view of the applicant (audited), search, statistics and the exports, all in
Chinese with the applicant masked; refused forms write nothing."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coopzone.accounts.models import AuditLog
from coopzone.cooperation.models import Agreement
from coopzone.gov_services.models import (
    Case,
    CaseEvent,
    Evaluation,
    FollowUp,
    KstbAgreement,
    Window,
)
from tests.accounts.test_access import csrf_of, login
from tests.gov_services.conftest import World, resident_id
from tests.helpers import PASSWORD, count

FULL_ID = resident_id()
MASKED_ID = FULL_ID[:4] + "*" * 10 + FULL_ID[-4:]


def log_in(client: TestClient, username: str) -> str:
    assert login(client, username, PASSWORD) == 303
    return csrf_of(client.get("/services/items").text)


def events(session: Session, case_id: int) -> int:
    return int(session.scalar(select(func.count(CaseEvent.id)).where(
        CaseEvent.case_id == case_id)) or 0)


def state(session: Session, case_id: int) -> str:
    session.expire_all()
    return str(session.scalar(select(Case.state).where(Case.id == case_id)))


def audits(session: Session) -> int:
    return int(session.scalar(select(func.count(AuditLog.id)).where(
        AuditLog.action == "view", AuditLog.entity == "gov_services_case")) or 0)


def sheets(body: bytes) -> list[list[list[object]]]:
    book = load_workbook(io.BytesIO(body), read_only=True)
    return [[list(r) for r in s.iter_rows(values_only=True)] for s in book.worksheets]


def test_the_work_list_in_chinese_with_tabs_masked_applicants_and_its_export(
        client: TestClient, session: Session, world: World) -> None:
    w = world
    running = w.accepted(session)  # deadline 14 October 2025: overdue on the real clock
    paused = w.accepted(session)
    w.move(session, w.hn_dept_clerk, paused, "request_correction", date(2025, 9, 25), "缺材料")
    session.commit()
    log_in(client, "jxwin")
    page = client.get("/services").text
    assert "跨省通办工作台" in page and "我的办件" in page and "待补正" in page
    assert f'id="case-{running.id}"' in page and f'id="case-{paused.id}"' in page
    assert "张*三" in page and MASKED_ID in page
    assert "张小三" not in page and FULL_ID not in page and "13812345678" not in page
    overdue = client.get("/services?tab=overdue").text
    assert f'id="case-{running.id}" data-state="accepted" data-overdue="1"' in overdue
    assert f'id="case-{paused.id}"' not in overdue
    correction = client.get("/services?tab=correction").text
    assert f'id="case-{paused.id}"' in correction and f'id="case-{running.id}"' not in correction
    assert "未知：计时暂停（补正中）" in correction
    # Filters narrow the list, and the export applies the same ones.
    narrowed = client.get(f"/services?tab=mine&state=correction&item={w.item.id}").text
    assert 'data-count="1"' in narrowed
    export = client.get("/services/work.xlsx?tab=mine&state=correction")
    assert export.status_code == 200
    rows, filters = sheets(export.content)
    assert rows[0][:4] == ["序号", "业务协同编号", "申请人", "证件号码"]
    assert [r[2:4] for r in rows[1:]] == [["张*三", MASKED_ID]]
    assert "待补正" in rows[1] and "张小三" not in str(rows)
    assert ["列表", "我的办件"] in filters and ["状态", "待补正"] in filters


def test_the_department_sees_its_incoming_cases(client: TestClient, session: Session,
                                                world: World) -> None:
    w = world
    case = w.apply(session)
    w.move(session, w.jx_window_clerk, case, "collect", date(2025, 9, 22),
           formal_check_ok=True, identity_checked=True)
    w.move(session, w.jx_window_clerk, case, "send", date(2025, 9, 23))
    session.commit()
    log_in(client, "hndept")
    page = client.get("/services?tab=incoming").text
    assert f'id="case-{case.id}" data-state="sent"' in page and "已流转" in page
    log_in(client, "jxdept")
    assert f'id="case-{case.id}"' not in client.get("/services?tab=incoming").text


@pytest.mark.parametrize("query", [
    "/services?tab=everything", "/services?page=abc", "/services?page=0",
    "/services?per_page=100000", "/services?sort=applicant", "/services?order=up",
    "/services?applied_from=2025-13-01", "/services?item=x", "/services?state=lost",
    "/services?mode=fax", "/services?handling_place=abc",
    "/services/search?applied_from=2025-09-30&applied_to=2025-09-01",
    "/services/search?item=-1", "/services/statistics?by=colour",
    "/services/statistics?month_from=2025-13", "/services/statistics?month_from=2025-09&"
    "month_to=2025-01", "/services/work.xlsx?tab=nope", "/services/items?kind=space",
    "/services/cases/abc", "/services/cases/99999999",
])
def test_odd_query_parameters_get_a_clear_chinese_message(
        client: TestClient, session: Session, world: World, query: str) -> None:
    log_in(client, "jxwin")
    response = client.get(query)
    assert 400 <= response.status_code < 500, response.text[:300]
    assert re.search(r"[\u4e00-\u9fff]", response.text)
    assert "Traceback" not in response.text


def test_the_case_page_offers_each_side_only_its_own_steps(
        client: TestClient, session: Session, world: World) -> None:
    w = world
    case = w.apply(session)
    session.commit()
    token = log_in(client, "hndept")
    page = client.get(f"/services/cases/{case.id}").text
    assert 'id="step-collect"' not in page and 'id="steps"' not in page
    # The Hunan department may not collect at the Jiangxi window: refused, nothing written.
    before = events(session, case.id)
    refused = client.post(f"/services/cases/{case.id}/steps",
                          data={"csrf_token": token, "action": "collect",
                                "formal_check_ok": "1", "identity_checked": "1"})
    assert refused.status_code == 403 and "只有收件窗口的工作人员" in refused.text
    assert (state(session, case.id), events(session, case.id)) == ("applied", before)
    # Nor accept before the window has collected and sent it (wrong state: 409).
    early = client.post(f"/services/cases/{case.id}/steps",
                        data={"csrf_token": token, "action": "accept"})
    assert early.status_code == 409 and "须先由收件窗口收件" in early.text
    assert (state(session, case.id), events(session, case.id)) == ("applied", before)
    token = log_in(client, "jxwin")
    page = client.get(f"/services/cases/{case.id}").text
    assert 'id="step-collect"' in page and 'id="step-accept"' not in page
    # Collecting without the formal and identity checks is refused field by field.
    unchecked = client.post(f"/services/cases/{case.id}/steps",
                            data={"csrf_token": token, "action": "collect"})
    assert unchecked.status_code == 422
    assert "形式审查未通过" in unchecked.text and "未完成身份核验" in unchecked.text
    assert (state(session, case.id), events(session, case.id)) == ("applied", before)
    # The window may not accept (the department's step), nor send before collecting.
    for action, status in (("accept", 403), ("send", 409), ("archive", 403)):
        response = client.post(f"/services/cases/{case.id}/steps",
                               data={"csrf_token": token, "action": action})
        assert response.status_code == status, (action, response.status_code)
    unknown = client.post(f"/services/cases/{case.id}/steps",
                          data={"csrf_token": token, "action": "teleport"})
    assert unknown.status_code == 422
    forged = client.post(f"/services/cases/{case.id}/steps",
                         data={"csrf_token": "forged", "action": "collect",
                               "formal_check_ok": "1", "identity_checked": "1"})
    assert forged.status_code == 403
    assert (state(session, case.id), events(session, case.id)) == ("applied", before)
    done = client.post(f"/services/cases/{case.id}/steps", follow_redirects=False, data={
        "csrf_token": token, "action": "collect", "formal_check_ok": "1",
        "identity_checked": "1", "materials": "户口簿\n居民身份证"})
    assert done.status_code == 303
    assert done.headers["location"] == f"/services/cases/{case.id}#timeline"
    assert state(session, case.id) == "collected"


def test_the_clock_stops_for_correction_and_the_flow_runs_to_the_evaluation(
        client: TestClient, session: Session, world: World) -> None:
    w = world
    case = w.accepted(session)
    session.commit()
    token = log_in(client, "hndept")
    page = client.get(f"/services/cases/{case.id}").text
    assert 'id="clock" data-paused="0"' in page and "10 个工作日" in page
    asked = client.post(f"/services/cases/{case.id}/steps", data={
        "csrf_token": token, "action": "request_correction", "note": ""})
    assert asked.status_code == 422 and state(session, case.id) == "accepted"
    client.post(f"/services/cases/{case.id}/steps", data={
        "csrf_token": token, "action": "request_correction",
        "note": "缺少<script>alert(1)</script>户口簿"})
    page = client.get(f"/services/cases/{case.id}").text
    assert 'data-paused="1"' in page and "计时暂停：等待补正" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    # The department does not complete the window's correction.
    refused = client.post(f"/services/cases/{case.id}/steps", data={
        "csrf_token": token, "action": "complete_correction", "materials": "户口簿"})
    assert refused.status_code == 403 and state(session, case.id) == "correction"
    token = log_in(client, "jxwin")
    empty = client.post(f"/services/cases/{case.id}/steps", data={
        "csrf_token": token, "action": "complete_correction"})
    assert empty.status_code == 422 and "补正材料不能为空" in empty.text
    client.post(f"/services/cases/{case.id}/steps", data={
        "csrf_token": token, "action": "complete_correction", "materials": "户口簿"})
    assert state(session, case.id) == "accepted"
    token = log_in(client, "hndept")
    page = client.get(f"/services/cases/{case.id}").text
    assert 'id="step-decide"' in page and 'data-paused="0"' in page
    unreasoned = client.post(f"/services/cases/{case.id}/steps", data={
        "csrf_token": token, "action": "decide", "outcome": "denied"})
    assert unreasoned.status_code == 422 and state(session, case.id) == "accepted"
    no_outcome = client.post(f"/services/cases/{case.id}/steps", data={
        "csrf_token": token, "action": "decide"})
    assert no_outcome.status_code == 422
    client.post(f"/services/cases/{case.id}/steps", data={
        "csrf_token": token, "action": "decide", "outcome": "granted"})
    assert state(session, case.id) == "decided"
    client.post(f"/services/cases/{case.id}/steps", data={
        "csrf_token": token, "action": "deliver", "tracking_number": "EMS123"})
    assert state(session, case.id) == "delivered"
    # The department is not the front of a window case: it does not record the evaluation.
    assert 'id="evaluation-form"' not in client.get(f"/services/cases/{case.id}").text
    refused = client.post(f"/services/cases/{case.id}/evaluation",
                          data={"csrf_token": token, "grade": "satisfied"})
    assert refused.status_code == 403 and count(session, Evaluation) == 0
    token = log_in(client, "jxwin")
    assert 'id="evaluation-form"' in client.get(f"/services/cases/{case.id}").text
    bad = client.post(f"/services/cases/{case.id}/evaluation",
                      data={"csrf_token": token, "grade": "superb"})
    assert bad.status_code == 422 and count(session, Evaluation) == 0
    client.post(f"/services/cases/{case.id}/evaluation",
                data={"csrf_token": token, "grade": "very_dissatisfied", "comment": "等太久"})
    assert state(session, case.id) == "evaluated" and count(session, FollowUp) == 1
    page = client.get(f"/services/cases/{case.id}").text
    assert 'data-grade="very_dissatisfied"' in page and "非常不满意" in page
    assert 'id="followup" data-state="open"' in page and 'id="followup-form"' in page
    followup = session.scalars(select(FollowUp)).one()
    missing = client.post(f"/services/followups/{followup.id}/answer",
                          data={"csrf_token": token, "rectification": "已整改"})
    assert missing.status_code == 422
    answered = client.post(f"/services/followups/{followup.id}/answer", follow_redirects=False,
                           data={"csrf_token": token, "rectification": "增设帮办岗",
                                 "reply": "已电话回访"})
    assert answered.status_code == 303
    page = client.get(f"/services/cases/{case.id}").text
    assert 'data-state="answered"' in page and "增设帮办岗" in page
    timeline = page[page.index('id="case-timeline"'):]
    for label in ("申请", "收件", "流转", "受理", "要求补正", "补正完成", "办结（准予）", "送达",
                  "评价"):
        assert label in timeline


def test_the_deadline_beyond_the_calendar_is_shown_as_unknown_in_chinese(
        client: TestClient, session: Session, world: World) -> None:
    case = world.accepted(session, day=date(2026, 12, 28))
    session.commit()
    log_in(client, "hndept")
    page = client.get(f"/services/cases/{case.id}").text
    assert "未知：尚无 2027 年的节假日安排" in page
    english = client.get(f"/services/cases/{case.id}?lang=en").text
    assert "unknown: no calendar for 2027" in english


def test_the_applicant_in_full_only_with_the_permission_and_audited(
        client: TestClient, session: Session, world: World) -> None:
    case = world.accepted(session)
    session.commit()
    token = log_in(client, "hndept")  # an editor: no personal-data permission
    page = client.get(f"/services/cases/{case.id}").text
    assert 'id="show-full"' not in page and "张*三" in page and FULL_ID not in page
    refused = client.post(f"/services/cases/{case.id}/full", data={"csrf_token": token})
    assert refused.status_code == 403 and audits(session) == 0
    token = log_in(client, "hnhead")  # the department's administrator
    page = client.get(f"/services/cases/{case.id}").text
    assert 'id="show-full"' in page and FULL_ID not in page
    assert audits(session) == 0
    shown = client.post(f"/services/cases/{case.id}/full", data={"csrf_token": token})
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    assert "张小三" in shown.text and FULL_ID in shown.text and "13812345678" in shown.text
    assert audits(session) == 1
    # The next page is masked again.
    assert FULL_ID not in client.get(f"/services/cases/{case.id}").text


def test_a_case_from_the_window_form(client: TestClient, session: Session,
                                     world: World) -> None:
    w = world
    log_in(client, "hnview")
    assert client.get("/services/cases/new").status_code == 403
    token = log_in(client, "jxwin")
    page = client.get("/services/cases/new").text
    assert 'id="case-form"' in page and w.jx_window.name in page
    assert w.hn_window.name not in page  # only the windows the clerk works at
    form = {"csrf_token": token, "applicant_kind": "person", "applicant_name": "李四",
            "id_number": FULL_ID[:-1] + ("0" if FULL_ID[-1] != "0" else "1"),
            "item_id": str(w.item.id), "mode": "proxy", "window_id": str(w.jx_window.id),
            "department_id": str(w.hn_dept.id), "materials_received": "身份证复印件"}
    bad = client.post("/services/cases/new", data=form)
    assert bad.status_code == 422 and 'data-field="id_number"' in bad.text
    assert "李四" in bad.text and count(session, Case) == 0
    online = client.post("/services/cases/new", data={**form, "id_number": FULL_ID,
                                                     "mode": "online"})
    assert online.status_code == 422 and count(session, Case) == 0
    made = client.post("/services/cases/new", data={**form, "id_number": FULL_ID},
                       follow_redirects=False)
    assert made.status_code == 303 and count(session, Case) == 1
    case = session.scalars(select(Case)).one()
    assert made.headers["location"] == f"/services/cases/{case.id}"
    assert (case.applicant_name, case.handling_place_code, case.state) == (
        "李四", "430281", "applied")


def test_search_and_its_export_mask_the_applicant(client: TestClient, session: Session,
                                                   world: World) -> None:
    w = world
    case = w.accepted(session)
    w.apply(session, day=date(2025, 8, 1), applicant_name="王五",
            id_number=resident_id(seq="456"))
    session.commit()
    log_in(client, "pxoffice")
    page = client.get(f"/services/search?applicant={FULL_ID}").text
    table = page[page.index("<tbody>"):page.index("</tbody>")]
    assert 'data-count="1"' in page and f'id="case-{case.id}"' in table
    assert FULL_ID not in table and MASKED_ID in table
    assert 'data-count="1"' in client.get("/services/search?tracking_number=SF1234567890").text
    assert 'data-count="1"' in client.get(
        "/services/search?applied_from=2025-08-01&applied_to=2025-08-31").text
    export = client.get(f"/services/search.xlsx?applicant={FULL_ID}")
    rows, filters = sheets(export.content)
    assert len(rows) == 2 and rows[1][2:4] == ["张*三", MASKED_ID]
    assert FULL_ID not in str(rows) and FULL_ID not in str(filters[0][1])
    assert filters[0][0] == "申请人或证件号码"


def test_statistics_by_item_and_month_and_evaluations_by_window(
        client: TestClient, session: Session, world: World) -> None:
    w = world
    case = w.accepted(session)
    w.move(session, w.hn_dept_clerk, case, "approve", date(2025, 10, 10))
    session.commit()
    log_in(client, "pxoffice")
    page = client.get("/services/statistics").text
    assert "按时办结率" in page and w.item.name in page and "100.0%" in page
    month = client.get("/services/statistics?by=month&month_from=2025-09&month_to=2025-09")
    assert 'data-key="2025-09"' in month.text
    assert 'data-key="proxy"' in client.get("/services/statistics?by=mode").text
    assert "异地代收代办" in client.get("/services/statistics?by=mode").text
    rows, filters = sheets(client.get("/services/statistics.xlsx?by=item").content)
    assert rows[1][1] == w.item.name and rows[1][5] == "100.0%"
    assert ["分组", "事项"] in filters


def test_statistics_show_no_on_time_count_for_items_without_a_time_limit(
        client: TestClient, session: Session, world: World) -> None:
    w = world
    w.item.promised_days = w.item.statutory_days = None
    case = w.accepted(session)
    w.move(session, w.hn_dept_clerk, case, "approve", date(2025, 10, 10))
    session.commit()
    log_in(client, "pxoffice")
    page = client.get("/services/statistics").text
    row = page.split(f'data-key="{w.item.id}"', 1)[1].split("</tr>", 1)[0]
    assert row.count("<td>—</td>") == 1 and '<td class="rate">—</td>' in row
    assert "只计有办理时限事项" in page
    rows, _ = sheets(client.get("/services/statistics.xlsx?by=item").content)
    assert rows[1][1] == w.item.name and rows[1][3] == 1 and rows[1][4] in (None, "")


def test_catalogue_lists_and_the_item_form_for_the_office_only(
        client: TestClient, session: Session, world: World) -> None:
    w = world
    page = client.get("/services/items").text
    assert w.item.name in page and "异地代收代办" in page and 'id="new-item"' not in page
    assert w.jx_window.name in client.get("/services/windows").text
    assert client.get("/services/agreements").status_code == 200
    token = log_in(client, "jxwin")
    assert client.get("/services/items/new").status_code == 403
    refused = client.post("/services/items/new", data={
        "csrf_token": token, "code": "T-9", "name": "某事项", "department_kind": "other",
        "modes": ["online"]})
    assert refused.status_code == 403
    token = log_in(client, "pxoffice")
    assert 'id="new-item"' in client.get("/services/items").text
    bad = client.post("/services/items/new", data={
        "csrf_token": token, "code": "T-9", "name": "某事项", "department_kind": "other",
        "modes": ["online"], "statutory_days": "5", "promised_days": "8"})
    assert bad.status_code == 422 and "承诺时限不能长于法定时限" in bad.text
    made = client.post("/services/items/new", follow_redirects=False, data={
        "csrf_token": token, "code": "T-9", "name": "某事项", "department_kind": "other",
        "modes": ["online", "proxy"], "statutory_days": "5", "materials": "申请表\n身份证"})
    assert made.status_code == 303
    assert "某事项" in client.get("/services/items?q=T-9").text


def test_english_on_request(client: TestClient, session: Session, world: World) -> None:
    case = world.accepted(session)
    session.commit()
    log_in(client, "hndept")
    page = client.get(f"/services/cases/{case.id}?lang=en").text
    assert "Working days used" in page and "Accepted for handling" in page
    assert "Work list" in client.get("/services?lang=en").text


def test_windows_and_agreements_are_set_up_by_the_supervising_office_only(
        client: TestClient, session: Session, world: World) -> None:
    w = world
    agreement = Agreement(title="湘东—醴陵跨省通办合作协议", field="public_services",
                          signed_on=date(2023, 5, 1), status="in_force")
    session.add(agreement)
    session.commit()
    windows_before = count(session, Window)
    token = log_in(client, "jxwin")
    assert 'id="new-window"' not in client.get("/services/windows").text
    assert client.get("/services/windows/new").status_code == 403
    refused = client.post("/services/windows/new", data={
        "csrf_token": token, "name": "越权窗口", "place_code": "360313",
        "organisation_id": str(w.jx_window.organisation_id)})
    assert refused.status_code == 403 and count(session, Window) == windows_before
    token = log_in(client, "pxoffice")
    assert 'id="new-window"' in client.get("/services/windows").text
    outside = client.post("/services/windows/new", data={
        "csrf_token": token, "name": "醴陵第二窗口", "place_code": "430281",
        "organisation_id": str(w.hn_window.organisation_id)})
    assert outside.status_code == 403 and count(session, Window) == windows_before
    made = client.post("/services/windows/new", follow_redirects=False, data={
        "csrf_token": token, "name": "湘东区第二窗口", "place_code": "360313",
        "organisation_id": str(w.jx_window.organisation_id),
        "item_ids": [str(w.item.id)]})
    assert made.status_code == 303 and count(session, Window) == windows_before + 1
    assert "湘东区第二窗口" in client.get("/services/windows").text
    one_side = client.post("/services/agreements/new", data={
        "csrf_token": token, "agreement_id": str(agreement.id),
        "collect_place_codes": "360313", "handle_place_codes": "360313"})
    assert one_side.status_code == 422 and count(session, KstbAgreement) == 0
    done = client.post("/services/agreements/new", follow_redirects=False, data={
        "csrf_token": token, "agreement_id": str(agreement.id),
        "collect_place_codes": "360313", "handle_place_codes": "430281"})
    assert done.status_code == 303 and count(session, KstbAgreement) == 1
    page = client.get("/services/agreements").text
    assert "湘东—醴陵跨省通办合作协议" in page and 'data-count="1"' in page


def test_items_and_windows_lists_export_what_the_page_lists(
        client: TestClient, session: Session, world: World) -> None:
    w = world
    page = client.get("/services/items?mode=proxy").text
    assert 'href="/services/items.xlsx?mode=proxy"' in page
    rows, filters = sheets(client.get("/services/items.xlsx?mode=proxy").content)
    assert rows[0][:3] == ["序号", "事项编码", "事项名称"]
    assert [r[2] for r in rows[1:]] == [w.item.name]
    assert "异地代收代办" in rows[1][5] and rows[1][7] == 10
    assert ["办理方式", "异地代收代办"] in filters
    none = sheets(client.get("/services/items.xlsx?q=没有这个事项").content)[0]
    assert none[1:] == []
    assert client.get("/services/items.xlsx?mode=colour").status_code == 422
    english = sheets(client.get("/services/items.xlsx?lang=en").content)[0]
    assert english[0][:3] == ["No.", "Code", "Service item"]
    assert 'href="/services/windows.xlsx"' in client.get("/services/windows").text
    windows = sheets(client.get("/services/windows.xlsx").content)[0]
    assert windows[0][1] == "窗口"
    names = {r[1]: r for r in windows[1:]}
    assert set(names) == {w.jx_window.name, w.hn_window.name}
    assert names[w.jx_window.name][3] == "360313"
