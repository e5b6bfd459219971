"""Entry forms of the cooperation pages: each creates its record (with an audit row), a post
without the CSRF token or by someone without the right writes nothing, and a bad form comes
back with the fields named and what was typed."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import TypeVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from coopzone.accounts.models import AuditLog
from coopzone.cooperation import service
from coopzone.cooperation.models import (
    Agreement,
    Document,
    Meeting,
    MeetingMember,
    Obligation,
    ObligationReport,
    Party,
    Project,
    ProjectReport,
    Resolution,
    Task,
    TaskEvent,
)
from coopzone.cooperation.schemas import (
    AgreementCreate,
    MeetingCreate,
    ObligationCreate,
    ObligationReportCreate,
    PartyIn,
    ProjectCreate,
    ProjectReportCreate,
    TaskCreate,
)
from coopzone.db import Base
from coopzone.errors import Forbidden, InvalidInput, NotFound
from tests.accounts.test_access import csrf_of, login
from tests.helpers import PASSWORD, Coop, count, xiangdong_agreement

B = TypeVar("B", bound=Base)
WATCHED: tuple[type[Base], ...] = (
    Task, TaskEvent, Meeting, MeetingMember, Resolution, Agreement, Party, Document, Project,
    ProjectReport, Obligation, ObligationReport, AuditLog)


def counts(session: Session) -> dict[str, int]:
    return {m.__tablename__: count(session, m) for m in WATCHED}


def log_in(client: TestClient, username: str) -> str:
    """Log in and return the session's CSRF token."""
    assert login(client, username, PASSWORD) == 303
    return csrf_of(client.get("/cooperation?lang=en").text)


def audit(session: Session, entity: str, entity_id: int) -> list[tuple[str, str]]:
    return [(a.action, a.actor) for a in session.scalars(
        select(AuditLog).where(AuditLog.entity == entity, AuditLog.entity_id == str(entity_id))
        .order_by(AuditLog.id))]


def only(session: Session, model: type[B]) -> B:
    rows = list(session.scalars(select(model)))
    assert len(rows) == 1
    return rows[0]


# ---- leading-group tasks ------------------------------------------------------------------------


def test_the_office_assigns_a_task(client: TestClient, session: Session, coop: Coop) -> None:
    token = log_in(client, "coop")
    tasks = client.get("/cooperation/tasks?lang=en").text
    assert 'href="/cooperation/tasks/new"' in tasks
    form = client.get("/cooperation/tasks/new?lang=en")
    assert form.status_code == 200
    org = coop.people.jiangxi_county_org
    assert f'<option value="{org.id}" >{org.name}</option>' in form.text
    response = client.post("/cooperation/tasks/new", data={
        "csrf_token": token, "title": "  编制萍乡—醴陵跨界河流联合监测方案 ",
        "description": "会同醴陵市完成方案并报送领导小组办公室", "owner_org_id": str(org.id),
        "deadline": "2030-06-30", "resolution_id": ""}, follow_redirects=False)
    assert response.status_code == 303
    task = only(session, Task)
    assert response.headers["location"] == f"/cooperation/tasks#task-{task.id}"
    assert (task.title, task.description, task.owner_org_id, task.deadline, task.state,
            task.resolution_id, task.created_by) == (
        "编制萍乡—醴陵跨界河流联合监测方案", "会同醴陵市完成方案并报送领导小组办公室", org.id,
        date(2030, 6, 30), "open", None, "coop")
    assert audit(session, "cooperation_task", task.id) == [("insert", "coop")]
    listed = client.get("/cooperation/tasks?lang=en").text
    assert f'id="task-{task.id}" data-state="open"' in listed and org.name in listed


def test_a_task_post_without_csrf_writes_nothing(client: TestClient, session: Session,
                                                 coop: Coop) -> None:
    log_in(client, "coop")
    before = counts(session)
    response = client.post("/cooperation/tasks/new", data={
        "title": "无令牌的事项", "owner_org_id": str(coop.office_org.id),
        "deadline": "2030-06-30"})
    assert response.status_code == 403
    assert "表单已失效" in response.text
    assert counts(session) == before


def test_a_county_editor_may_not_assign_a_task(client: TestClient, session: Session,
                                               coop: Coop) -> None:
    token = log_in(client, "xiangdong")
    assert 'href="/cooperation/tasks/new"' not in client.get("/cooperation/tasks").text
    refused_form = client.get("/cooperation/tasks/new")
    assert refused_form.status_code == 403
    assert "只有湘赣边区域合作发展事务中心可以交办督办事项" in refused_form.text
    before = counts(session)
    response = client.post("/cooperation/tasks/new?lang=en", data={
        "csrf_token": token, "title": "县区自己交办的事项",
        "owner_org_id": str(coop.people.jiangxi_county_org.id), "deadline": "2030-06-30"})
    assert response.status_code == 403
    assert "只有湘赣边区域合作发展事务中心可以交办督办事项" in response.text
    assert 'value="县区自己交办的事项"' in response.text
    assert counts(session) == before


def test_a_bad_task_form_names_the_fields_and_keeps_the_input(
        client: TestClient, session: Session, coop: Coop) -> None:
    token = log_in(client, "coop")
    before = counts(session)
    response = client.post("/cooperation/tasks/new?lang=en", data={
        "csrf_token": token, "title": "", "description": "保留这段说明",
        "owner_org_id": str(coop.office_org.id), "deadline": "2030-02-30"})
    assert response.status_code == 422
    assert "Nothing was saved: correct the fields marked below." in response.text
    assert '<li data-field="title"><a href="#f-title">Title</a>: Required</li>' in response.text
    assert ('<li data-field="deadline"><a href="#f-deadline">Deadline</a>: '
            'A date such as 2025-09-30</li>') in response.text
    assert 'id="f-deadline" name="deadline" type="date" value="2030-02-30"' in response.text
    assert ">保留这段说明</textarea>" in response.text
    assert f'<option value="{coop.office_org.id}" selected>' in response.text
    assert counts(session) == before


def test_the_same_title_twice_is_a_conflict_shown_on_the_form(
        client: TestClient, session: Session, coop: Coop) -> None:
    token = log_in(client, "coop")
    data = {"csrf_token": token, "title": "重复的事项",
            "owner_org_id": str(coop.office_org.id), "deadline": "2030-06-30"}
    assert client.post("/cooperation/tasks/new", data=data,
                       follow_redirects=False).status_code == 303
    before = counts(session)
    again = client.post("/cooperation/tasks/new", data=data)
    assert again.status_code == 409 and "督办事项《重复的事项》已存在" in again.text
    assert counts(session) == before


# ---- meetings and their resolutions ------------------------------------------------------------


MEETING_FORM = {
    "title": "湘赣边区域合作示范区联席会议第五次会议", "kind": "joint_meeting",
    "series": "湘赣边联席会议", "held_on": "2025-09-18", "place": "萍乡市",
    "host": "萍乡市人民政府", "our_role": "host",
    "members": "萍乡市人民政府\n\n 醴陵市人民政府 \n",
    "resolutions": "共建萍醴跨界河流联合监测体系\n  \n推进湘赣边红色旅游线路互认\n",
}


def test_the_office_records_a_meeting_and_turns_a_resolution_into_a_task(
        client: TestClient, session: Session, coop: Coop) -> None:
    token = log_in(client, "coop")
    assert 'href="/cooperation/meetings/new"' in client.get("/cooperation/meetings").text
    assert client.get("/cooperation/meetings/new?lang=en").status_code == 200
    response = client.post("/cooperation/meetings/new", data={"csrf_token": token,
                                                                 **MEETING_FORM},
                           follow_redirects=False)
    assert response.status_code == 303
    meeting = service.get_meeting(session, only(session, Meeting).id)
    assert response.headers["location"] == f"/cooperation/meetings#meeting-{meeting.id}"
    assert (meeting.title, meeting.kind, meeting.series, meeting.held_on, meeting.place,
            meeting.host, meeting.our_role) == (
        "湘赣边区域合作示范区联席会议第五次会议", "joint_meeting", "湘赣边联席会议",
        date(2025, 9, 18), "萍乡市", "萍乡市人民政府", "host")
    assert [(m.party.name, m.role) for m in meeting.members] == [
        ("萍乡市人民政府", "member"), ("醴陵市人民政府", "member")]
    assert [(r.number, r.text) for r in meeting.resolutions] == [
        (1, "共建萍醴跨界河流联合监测体系"), (2, "推进湘赣边红色旅游线路互认")]
    assert audit(session, "cooperation_meeting", meeting.id) == [("insert", "coop")]
    first = meeting.resolutions[0]
    assert audit(session, "cooperation_resolution", first.id) == [("insert", "coop")]

    # The button on the resolution opens the task form filled in from the resolution.
    listed = client.get("/cooperation/meetings?lang=en").text
    assert f'<input type="hidden" name="resolution" value="{first.id}">' in listed
    form = client.get(f"/cooperation/tasks/new?resolution={first.id}&lang=en").text
    assert 'value="共建萍醴跨界河流联合监测体系"' in form
    assert f'<option value="{first.id}" selected>' in form
    org = coop.people.jiangxi_county_org
    made = client.post("/cooperation/tasks/new", data={
        "csrf_token": token, "title": "共建萍醴跨界河流联合监测体系",
        "description": "共建萍醴跨界河流联合监测体系", "owner_org_id": str(org.id),
        "deadline": "2025-12-31", "resolution_id": str(first.id)}, follow_redirects=False)
    assert made.status_code == 303
    task = only(session, Task)
    assert (task.resolution_id, task.owner_org_id, task.deadline) == (
        first.id, org.id, date(2025, 12, 31))
    listed = client.get("/cooperation/meetings?lang=en").text
    assert f'<input type="hidden" name="resolution" value="{first.id}">' not in listed
    assert f'href="/cooperation/tasks#task-{task.id}">Open</a>' in listed


def test_a_viewer_may_not_record_a_meeting(client: TestClient, session: Session,
                                           coop: Coop) -> None:
    token = log_in(client, "viewer")
    assert 'href="/cooperation/meetings/new"' not in client.get("/cooperation/meetings").text
    assert client.get("/cooperation/meetings/new").status_code == 403
    before = counts(session)
    response = client.post("/cooperation/meetings/new", data={"csrf_token": token,
                                                                 **MEETING_FORM})
    assert response.status_code == 403
    assert "只有湘赣边区域合作发展事务中心可以登记联席会议" in response.text
    assert counts(session) == before


def test_a_meeting_without_csrf_or_with_a_bad_date_writes_nothing(
        client: TestClient, session: Session, coop: Coop) -> None:
    token = log_in(client, "coop")
    before = counts(session)
    assert client.post("/cooperation/meetings/new", data=MEETING_FORM).status_code == 403
    bad = client.post("/cooperation/meetings/new?lang=en", data={
        "csrf_token": token, **MEETING_FORM, "held_on": "18/09/2025", "host": ""})
    assert bad.status_code == 422
    assert '<li data-field="held_on"><a href="#f-held_on">Date</a>: A date such as 2025-09-30' \
        in bad.text
    assert '<li data-field="host"><a href="#f-host">Host</a>: Required</li>' in bad.text
    assert "推进湘赣边红色旅游线路互认\n</textarea>" in bad.text
    assert counts(session) == before


# ---- project progress reports ------------------------------------------------------------------


def xiangdong_project(session: Session, coop: Coop) -> int:
    project = service.create_project(session, coop.jiangxi, ProjectCreate(
        code="XD-01", name="湘东—醴陵共建产业园道路", field="industry", owner="湘东区人民政府",
        owner_place_code="360313"))
    service.report_project(session, coop.jiangxi, project.id, ProjectReportCreate(
        reported_on=date(2025, 6, 30), percent_complete=30, text="路基完成"))
    session.commit()
    return project.id


def test_a_county_editor_reports_project_progress_with_an_attachment(
        files_client: TestClient, session: Session, coop: Coop, tmp_path: Path) -> None:
    project_id = xiangdong_project(session, coop)
    token = log_in(files_client, "xiangdong")
    page = files_client.get(f"/cooperation/projects/{project_id}?lang=en").text
    assert 'id="project-report-form"' in page
    content = "九月进度：路面铺设完成".encode()
    response = files_client.post(
        f"/cooperation/projects/{project_id}/reports",
        data={"csrf_token": token, "reported_on": "2025-09-30", "percent_complete": "65",
              "text": "路面铺设完成"},
        files={"attachment": ("进度照片.txt", content, "text/plain")}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/cooperation/projects/{project_id}#reports"
    report = session.scalars(select(ProjectReport).order_by(ProjectReport.id.desc())).first()
    assert report is not None
    doc = session.get(Document, report.attachment_id)
    assert doc is not None
    digest = hashlib.sha256(content).hexdigest()
    assert (report.project_id, report.reported_on, report.percent_complete, report.text,
            report.reported_by) == (project_id, date(2025, 9, 30), 65, "路面铺设完成",
                                    "xiangdong")
    assert (doc.filename, doc.sha256, doc.size) == ("进度照片.txt", digest, len(content))
    assert (tmp_path / "files" / digest).read_bytes() == content
    assert audit(session, "cooperation_project_report", report.id) == [
        ("insert", "xiangdong"), ("update", "xiangdong")]
    page = files_client.get(f"/cooperation/projects/{project_id}?lang=en").text
    assert f'<a href="/cooperation/files/{digest}">进度照片.txt</a>' in page
    assert 'id="percent-complete"><div class="bar"><span style="width: 65%">' in page


def test_percent_over_100_is_refused_with_the_field_named(
        files_client: TestClient, session: Session, coop: Coop, tmp_path: Path) -> None:
    project_id = xiangdong_project(session, coop)
    token = log_in(files_client, "xiangdong")
    before = counts(session)
    response = files_client.post(
        f"/cooperation/projects/{project_id}/reports?lang=en",
        data={"csrf_token": token, "reported_on": "2025-09-30", "percent_complete": "120",
              "text": "填错了"},
        files={"attachment": ("a.txt", b"evidence", "text/plain")})
    assert response.status_code == 422
    assert ('<li data-field="percent_complete"><a href="#f-percent_complete">Percent complete'
            '</a>: At most 100</li>') in response.text
    assert 'name="percent_complete" type="number" value="120"' in response.text
    assert ">填错了</textarea>" in response.text
    assert counts(session) == before
    assert not (tmp_path / "files").exists()


def test_a_lower_percent_is_refused_by_the_service_and_shown(
        files_client: TestClient, session: Session, coop: Coop) -> None:
    project_id = xiangdong_project(session, coop)
    token = log_in(files_client, "xiangdong")
    before = counts(session)
    response = files_client.post(
        f"/cooperation/projects/{project_id}/reports?lang=en",
        data={"csrf_token": token, "reported_on": "2025-09-30", "percent_complete": "20"})
    assert response.status_code == 422
    assert "完成率不能比上一次报告低" in response.text
    assert "below the last report (30%)" in response.text
    assert counts(session) == before


def test_another_county_may_not_report_on_the_project(
        files_client: TestClient, session: Session, coop: Coop, tmp_path: Path) -> None:
    project_id = xiangdong_project(session, coop)
    token = log_in(files_client, "liling")
    page = files_client.get(f"/cooperation/projects/{project_id}").text
    assert 'id="project-report-form"' not in page
    before = counts(session)
    no_csrf = files_client.post(f"/cooperation/projects/{project_id}/reports",
                                data={"reported_on": "2025-09-30", "percent_complete": "50"})
    assert no_csrf.status_code == 403
    response = files_client.post(
        f"/cooperation/projects/{project_id}/reports",
        data={"csrf_token": token, "reported_on": "2025-09-30", "percent_complete": "50"},
        files={"attachment": ("a.txt", b"evidence", "text/plain")})
    assert response.status_code == 403
    assert "无权修改辖区 360313 的平台项目" in response.text
    assert counts(session) == before
    assert not (tmp_path / "files").exists()


# ---- obligation progress reports ---------------------------------------------------------------


def obligation(session: Session, coop: Coop) -> tuple[int, int]:
    agreement_id = xiangdong_agreement(session, coop.office)
    ob = service.add_obligation(session, coop.office, agreement_id, ObligationCreate(
        description="湘东区牵头建设联合监测站", owner="萍乡市湘东区人民政府",
        due_on=date(2025, 12, 31)))
    session.commit()
    return agreement_id, ob.id


def test_a_party_reports_an_obligation_with_evidence(
        files_client: TestClient, session: Session, coop: Coop, tmp_path: Path) -> None:
    agreement_id, obligation_id = obligation(session, coop)
    token = log_in(files_client, "xiangdong")
    page = files_client.get(f"/cooperation/agreements/{agreement_id}?lang=en").text
    assert f'id="obligation-report-{obligation_id}"' in page
    content = b"%PDF-1.4 acceptance record"
    response = files_client.post(
        f"/cooperation/obligations/{obligation_id}/reports",
        data={"csrf_token": token, "reported_on": "2025-09-20", "text": "监测站已建成并验收",
              "done": "yes"},
        files={"evidence": ("验收报告.pdf", content, "application/pdf")},
        follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == (
        f"/cooperation/agreements/{agreement_id}#obligation-{obligation_id}")
    report = only(session, ObligationReport)
    doc = session.get(Document, report.evidence_id)
    ob = session.get(Obligation, obligation_id)
    assert doc is not None and ob is not None
    session.refresh(ob)
    assert (report.obligation_id, report.reported_on, report.text, report.reported_by) == (
        obligation_id, date(2025, 9, 20), "监测站已建成并验收", "xiangdong")
    assert ob.done_on == date(2025, 9, 20)
    assert (doc.filename, doc.size) == ("验收报告.pdf", len(content))
    assert (tmp_path / "files" / doc.sha256).read_bytes() == content
    assert audit(session, "cooperation_obligation_report", report.id) == [
        ("insert", "xiangdong"), ("update", "xiangdong")]
    page = files_client.get(f"/cooperation/agreements/{agreement_id}").text
    assert f'<a href="/cooperation/files/{doc.sha256}">验收报告.pdf</a>' in page


def test_an_obligation_report_without_text_or_by_a_stranger_writes_nothing(
        files_client: TestClient, session: Session, coop: Coop) -> None:
    agreement_id, obligation_id = obligation(session, coop)
    token = log_in(files_client, "xiangdong")
    before = counts(session)
    assert files_client.post(f"/cooperation/obligations/{obligation_id}/reports",
                             data={"reported_on": "2025-09-20",
                                   "text": "x"}).status_code == 403
    bad = files_client.post(f"/cooperation/obligations/{obligation_id}/reports?lang=en",
                            data={"csrf_token": token, "reported_on": "2025-09-20",
                                  "text": "  ", "done": "yes"})
    assert bad.status_code == 422
    prefix = f"o{obligation_id}-"
    assert (f'<li data-field="text"><a href="#{prefix}f-text">Report</a>: Required</li>'
            in bad.text)
    assert '<details class="inline-form" open>' in bad.text
    assert 'name="done" value="yes" style="display:inline;width:auto" checked' in bad.text
    assert counts(session) == before

    files_client.post("/logout", data={"csrf_token": token})
    stranger = log_in(files_client, "liling")
    page = files_client.get(f"/cooperation/agreements/{agreement_id}").text
    assert f'id="obligation-report-{obligation_id}"' not in page
    before = counts(session)
    refused = files_client.post(f"/cooperation/obligations/{obligation_id}/reports",
                                data={"csrf_token": stranger, "reported_on": "2025-09-20",
                                      "text": "代为报告"})
    assert refused.status_code == 403
    assert "不是协议《湘东—醴陵协议》的签署方，无权修改" in refused.text
    assert counts(session) == before


def test_a_party_adds_an_obligation_from_the_agreement_page(
        client: TestClient, session: Session, coop: Coop) -> None:
    agreement_id = xiangdong_agreement(session, coop.office)
    session.commit()
    token = log_in(client, "xiangdong")
    page = client.get(f"/cooperation/agreements/{agreement_id}?lang=en").text
    assert '<option value="萍乡市湘东区人民政府" >萍乡市湘东区人民政府</option>' in page
    before = counts(session)
    bad = client.post(f"/cooperation/agreements/{agreement_id}/obligations?lang=en", data={
        "csrf_token": token, "description": "", "owner": "萍乡市湘东区人民政府",
        "due_on": "2025-13-01"})
    assert bad.status_code == 422
    assert ('<li data-field="description"><a href="#new-f-description">Obligation</a>: '
            'Required</li>') in bad.text
    assert '<li data-field="due_on"><a href="#new-f-due_on">Due</a>: A date such as' in bad.text
    assert '<details class="inline-form" id="add-obligation" open>' in bad.text
    assert counts(session) == before
    response = client.post(f"/cooperation/agreements/{agreement_id}/obligations", data={
        "csrf_token": token, "description": "湘东区牵头建设联合监测站",
        "owner": "萍乡市湘东区人民政府", "due_on": "2025-12-31"}, follow_redirects=False)
    assert response.status_code == 303
    ob = only(session, Obligation)
    assert response.headers["location"] == (
        f"/cooperation/agreements/{agreement_id}#obligation-{ob.id}")
    owner = session.get(Party, ob.owner_party_id)
    assert owner is not None
    assert (ob.agreement_id, ob.description, owner.name, ob.due_on, ob.done_on) == (
        agreement_id, "湘东区牵头建设联合监测站", "萍乡市湘东区人民政府", date(2025, 12, 31),
        None)
    assert audit(session, "cooperation_obligation", ob.id) == [("insert", "xiangdong")]

    client.post("/logout", data={"csrf_token": token})
    stranger = log_in(client, "liling")
    assert 'id="obligation-form"' not in client.get(f"/cooperation/agreements/{agreement_id}").text
    before = counts(session)
    refused = client.post(f"/cooperation/agreements/{agreement_id}/obligations", data={
        "csrf_token": stranger, "description": "醴陵代为承诺", "owner": "萍乡市人民政府"})
    assert refused.status_code == 403
    assert "不是协议《湘东—醴陵协议》的签署方，无权修改" in refused.text
    assert counts(session) == before


# ---- agreements ---------------------------------------------------------------------------------


AGREEMENT_FORM = {
    "title": "湘东区—醴陵市共建跨省产业园补充协议",
    "parties": "萍乡市湘东区人民政府\n\n醴陵市人民政府\n", "field": "industry",
    "signed_on": "2025-08-08", "signed_at": "醴陵市", "term_years": "5",
    "expires_on": "2030-08-07", "status": "in_force", "summary": "共建园区的税收分成与招商",
}


def test_a_county_editor_registers_an_agreement_with_its_document(
        files_client: TestClient, session: Session, coop: Coop, tmp_path: Path) -> None:
    token = log_in(files_client, "xiangdong")
    assert 'href="/cooperation/agreements/new"' in files_client.get(
        "/cooperation/agreements").text
    assert files_client.get("/cooperation/agreements/new?lang=en").status_code == 200
    content = b"PK\x03\x04 signed agreement"
    response = files_client.post(
        "/cooperation/agreements/new", data={"csrf_token": token, **AGREEMENT_FORM},
        files={"document": ("补充协议.pdf", content, "application/pdf")},
        follow_redirects=False)
    assert response.status_code == 303
    a = service.get_agreement(session, only(session, Agreement).id)
    assert response.headers["location"] == f"/cooperation/agreements/{a.id}"
    assert (a.title, [ap.party.name for ap in a.parties], a.field, a.signed_on, a.signed_at,
            a.term_years, a.expires_on, a.status, a.summary) == (
        "湘东区—醴陵市共建跨省产业园补充协议", ["萍乡市湘东区人民政府", "醴陵市人民政府"],
        "industry", date(2025, 8, 8), "醴陵市", 5, date(2030, 8, 7), "in_force",
        "共建园区的税收分成与招商")
    assert [ap.party.place_code for ap in a.parties] == ["360313", "430281"]
    assert a.document is not None
    assert (a.document.filename, a.document.size) == ("补充协议.pdf", len(content))
    assert (tmp_path / "files" / a.document.sha256).read_bytes() == content
    assert audit(session, "cooperation_agreement", a.id) == [
        ("insert", "xiangdong"), ("update", "xiangdong")]


def test_an_agreement_without_a_document_is_fine(
        files_client: TestClient, session: Session, coop: Coop) -> None:
    token = log_in(files_client, "xiangdong")
    response = files_client.post(
        "/cooperation/agreements/new",
        data={"csrf_token": token, **AGREEMENT_FORM, "term_years": "", "expires_on": ""},
        files={"document": ("", b"", "application/octet-stream")}, follow_redirects=False)
    assert response.status_code == 303
    a = only(session, Agreement)
    assert (a.document_id, a.term_years, a.expires_on) == (None, None, None)
    assert count(session, Document) == 0


def test_a_viewer_may_not_register_an_agreement(
        files_client: TestClient, session: Session, coop: Coop, tmp_path: Path) -> None:
    token = log_in(files_client, "viewer")
    assert 'href="/cooperation/agreements/new"' not in files_client.get(
        "/cooperation/agreements").text
    assert files_client.get("/cooperation/agreements/new").status_code == 403
    before = counts(session)
    response = files_client.post(
        "/cooperation/agreements/new", data={"csrf_token": token, **AGREEMENT_FORM},
        files={"document": ("a.pdf", b"%PDF", "application/pdf")})
    assert response.status_code == 403
    assert "无权修改辖区 360313 的合作协议" in response.text
    assert counts(session) == before
    assert not (tmp_path / "files").exists()


def test_a_county_editor_may_not_register_other_peoples_agreement(
        files_client: TestClient, session: Session, coop: Coop) -> None:
    token = log_in(files_client, "liling")
    before = counts(session)
    response = files_client.post("/cooperation/agreements/new", data={
        "csrf_token": token, **AGREEMENT_FORM, "parties": "萍乡市湘东区人民政府\n萍乡市人民政府"})
    assert response.status_code == 403
    assert counts(session) == before


def test_a_bad_agreement_form_names_every_field(
        files_client: TestClient, session: Session, coop: Coop) -> None:
    token = log_in(files_client, "xiangdong")
    before = counts(session)
    assert files_client.post("/cooperation/agreements/new",
                             data=AGREEMENT_FORM).status_code == 403
    response = files_client.post("/cooperation/agreements/new?lang=en", data={
        "csrf_token": token, **AGREEMENT_FORM, "title": "", "signed_on": "2025-8-8x",
        "term_years": "five", "parties": "萍乡市湘东区人民政府\n甲"})
    assert response.status_code == 422
    for field, label, reason in (
            ("title", "Title", "Required"),
            ("parties", "Parties", "line 2: At least 2 characters"),
            ("signed_on", "Signed on", "A date such as 2025-09-30"),
            ("term_years", "Term (years)", "A whole number")):
        assert (f'<li data-field="{field}"><a href="#f-{field}">{label}</a>: {reason}</li>'
                in response.text), field
    assert ">萍乡市湘东区人民政府\n甲</textarea>" in response.text
    assert '<option value="industry" selected>' in response.text
    assert counts(session) == before


# ---- the small service functions behind the forms ----------------------------------------------


def test_services_store_a_file_only_once_the_record_is_accepted(
        session: Session, coop: Coop, tmp_path: Path) -> None:
    data = AgreementCreate(title="湘东—醴陵协议", field="ecology", signed_on=date(2025, 1, 1),
                           parties=[PartyIn(name="萍乡市湘东区人民政府")])
    upload = service.Upload("a.pdf", b"%PDF agreement")
    with pytest.raises(Forbidden):
        service.create_agreement_with_document(session, coop.hunan, data, tmp_path, upload)
    assert list(tmp_path.iterdir()) == []
    session.rollback()
    a = service.create_agreement_with_document(session, coop.jiangxi, data, tmp_path, upload)
    assert a.document is not None and a.document.filename == "a.pdf"
    assert (tmp_path / a.document.sha256).read_bytes() == b"%PDF agreement"
    with pytest.raises(InvalidInput) as empty:
        service.create_agreement_with_document(
            session, coop.jiangxi, data.model_copy(update={"title": "另一份协议"}), tmp_path,
            service.Upload("empty.pdf", b""))
    assert [e.column for e in empty.value.errors] == ["file"]


def test_report_services_attach_their_file(session: Session, coop: Coop,
                                           tmp_path: Path) -> None:
    project_id = xiangdong_project(session, coop)
    with pytest.raises(Forbidden):
        service.report_project_with_attachment(
            session, coop.hunan, project_id,
            ProjectReportCreate(reported_on=date(2025, 9, 1), percent_complete=50), tmp_path,
            service.Upload("p.txt", b"photo"))
    assert list(tmp_path.iterdir()) == []
    report = service.report_project_with_attachment(
        session, coop.jiangxi, project_id,
        ProjectReportCreate(reported_on=date(2025, 9, 1), percent_complete=50), tmp_path,
        service.Upload("p.txt", b"photo"))
    assert report.attachment_id is not None
    docs = service.documents_by_id(session, [report.attachment_id, None])
    assert [d.filename for d in docs.values()] == ["p.txt"]
    assert service.documents_by_id(session, [None]) == {}

    _agreement_id, obligation_id = obligation(session, coop)
    plain = service.report_obligation_with_evidence(
        session, coop.jiangxi, obligation_id,
        ObligationReportCreate(reported_on=date(2025, 9, 2), text="进展"), tmp_path)
    assert plain.evidence_id is None
    with_file = service.report_obligation_with_evidence(
        session, coop.jiangxi, obligation_id,
        ObligationReportCreate(reported_on=date(2025, 9, 3), text="完成", done=True), tmp_path,
        service.Upload("e.pdf", b"evidence"))
    assert with_file.evidence_id is not None
    assert service.get_obligation(session, obligation_id).done_on == date(2025, 9, 3)
    with pytest.raises(NotFound):
        service.get_obligation(session, 999999)


def test_tasks_refuse_an_unknown_resolution_and_resolutions_list_newest_first(
        session: Session, coop: Coop) -> None:
    with pytest.raises(NotFound):
        service.create_task(session, coop.office, TaskCreate(
            title="无来源", owner_org_id=coop.office_org.id, deadline=date(2030, 1, 1),
            resolution_id=999999))
    older = service.create_meeting(session, coop.office, MeetingCreate(
        title="第一次会议", kind="joint_meeting", held_on=date(2024, 3, 1), host="萍乡市人民政府",
        resolutions=["甲", "乙"]))
    newer = service.create_meeting(session, coop.office, MeetingCreate(
        title="第二次会议", kind="forum", held_on=date(2025, 3, 1), host="醴陵市人民政府",
        resolutions=["丙"]))
    assert [(r.meeting.title, r.number, r.text) for r in service.list_resolutions(session)] == [
        (newer.title, 1, "丙"), (older.title, 1, "甲"), (older.title, 2, "乙")]
    assert service.get_resolution(session, older.resolutions[1].id).text == "乙"


def test_who_may_create_an_agreement(coop: Coop) -> None:
    assert [service.may_create_agreement(p) for p in (
        coop.office, coop.hunan, coop.jiangxi, coop.viewer, coop.admin)] == [
        True, True, True, False, True]
    with pytest.raises(Forbidden):
        service.require_may_create_agreement(coop.viewer)
