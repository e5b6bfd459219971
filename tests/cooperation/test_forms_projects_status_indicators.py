"""The entry forms for platform projects and milestones, an agreement's status and reported
indicator values: each writes its record (with an audit row); a post without the CSRF token, by
someone without the right or with bad input writes nothing and names why."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from coopzone.accounts.models import AuditLog
from coopzone.cooperation import service
from coopzone.cooperation.models import (
    Agreement,
    Document,
    IndicatorValue,
    Milestone,
    Project,
)
from coopzone.cooperation.schemas import (
    AgreementCreate,
    AgreementStatusChange,
    MilestoneDone,
    MilestoneIn,
    PartyIn,
    ProjectCreate,
    ReportedValueIn,
)
from coopzone.db import Base
from coopzone.errors import Conflict, Forbidden, InvalidInput
from tests.cooperation.test_forms import audit, log_in, only, xiangdong_project
from tests.helpers import Coop, count

WATCHED: tuple[type[Base], ...] = (Project, Milestone, Agreement, IndicatorValue, Document,
                                   AuditLog)


def counts(session: Session) -> dict[str, int]:
    return {m.__tablename__: count(session, m) for m in WATCHED}


# ---- platform projects ------------------------------------------------------------------------

PROJECT_FORM = {"name": "湘东—醴陵跨省公交线路", "field": "transport",
                "owner": "萍乡市湘东区交通运输局", "owner_place_code": "360313",
                "budget": "1,250,000.50", "started_on": "2025-10-01",
                "summary": "开通湘东至醴陵的城际公交"}


def test_a_county_editor_creates_a_project(client: TestClient, session: Session,
                                           coop: Coop) -> None:
    token = log_in(client, "xiangdong")
    assert 'id="new-project" href="/cooperation/projects/new"' in client.get(
        "/cooperation/projects").text
    form = client.get("/cooperation/projects/new?lang=en")
    assert form.status_code == 200
    assert '<option value="360313" >湘东区</option>' in form.text
    assert '<option value="360300" >萍乡市</option>' in form.text
    response = client.post("/cooperation/projects/new", data={"csrf_token": token,
                                                               **PROJECT_FORM},
                           follow_redirects=False)
    assert response.status_code == 303
    p = only(session, Project)
    assert response.headers["location"] == f"/cooperation/projects/{p.id}"
    assert (p.code, p.name, p.field, p.owner, p.owner_place_code, p.budget, p.status,
            p.started_on, p.summary) == (
        "360313-001", "湘东—醴陵跨省公交线路", "transport", "萍乡市湘东区交通运输局", "360313",
        Decimal("1250000.50"), "planned", date(2025, 10, 1), "开通湘东至醴陵的城际公交")
    assert audit(session, "cooperation_project", p.id) == [("insert", "xiangdong")]
    page = client.get(f"/cooperation/projects/{p.id}").text
    assert "1,250,000.5" in page and 'id="milestone-form"' in page


def test_a_project_post_without_csrf_writes_nothing(client: TestClient, session: Session,
                                                    coop: Coop) -> None:
    log_in(client, "xiangdong")
    before = counts(session)
    response = client.post("/cooperation/projects/new", data=PROJECT_FORM)
    assert response.status_code == 403 and "表单已失效" in response.text
    assert counts(session) == before


def test_a_viewer_or_another_county_may_not_create_the_project(
        client: TestClient, session: Session, coop: Coop) -> None:
    token = log_in(client, "viewer")
    assert 'href="/cooperation/projects/new"' not in client.get("/cooperation/projects").text
    refused_form = client.get("/cooperation/projects/new")
    assert refused_form.status_code == 403
    assert "只有有编辑权限的单位可以登记平台项目" in refused_form.text
    before = counts(session)
    response = client.post("/cooperation/projects/new", data={"csrf_token": token,
                                                               **PROJECT_FORM})
    assert response.status_code == 403
    assert "无权修改辖区 360313 的平台项目" in response.text
    assert counts(session) == before

    client.post("/logout", data={"csrf_token": token})
    token = log_in(client, "liling")
    response = client.post("/cooperation/projects/new", data={"csrf_token": token,
                                                               **PROJECT_FORM})
    assert response.status_code == 403
    assert "无权修改辖区 360313 的平台项目" in response.text
    assert 'value="湘东—醴陵跨省公交线路"' in response.text
    assert counts(session) == before


def test_a_bad_project_form_names_the_fields_and_keeps_the_input(
        client: TestClient, session: Session, coop: Coop) -> None:
    token = log_in(client, "xiangdong")
    before = counts(session)
    response = client.post("/cooperation/projects/new?lang=en", data={
        "csrf_token": token, **PROJECT_FORM, "name": "", "budget": "一百万",
        "started_on": "2025-10-32", "field": ""})
    assert response.status_code == 422
    for field, label, reason in (
            ("name", "Project name", "Required"),
            ("field", "Field", "Required"),
            ("budget", "Budget (yuan)", "A number such as 1250000.50"),
            ("started_on", "Start date", "A date such as 2025-09-30")):
        assert (f'<li data-field="{field}"><a href="#f-{field}">{label}</a>: {reason}</li>'
                in response.text), field
    assert 'id="f-budget" name="budget" type="text" value="一百万"' in response.text
    assert '<option value="360313" selected>' in response.text
    assert ">开通湘东至醴陵的城际公交</textarea>" in response.text
    negative = client.post("/cooperation/projects/new?lang=en", data={
        "csrf_token": token, **PROJECT_FORM, "budget": "-5"})
    assert negative.status_code == 422
    assert '<a href="#f-budget">Budget (yuan)</a>: At least 0</li>' in negative.text
    assert counts(session) == before


# ---- milestones ---------------------------------------------------------------------------------


def test_a_county_editor_adds_and_completes_a_milestone(
        client: TestClient, session: Session, coop: Coop) -> None:
    project_id = xiangdong_project(session, coop)
    token = log_in(client, "xiangdong")
    page = client.get(f"/cooperation/projects/{project_id}?lang=en").text
    assert 'id="milestone-form"' in page
    added = client.post(f"/cooperation/projects/{project_id}/milestones", data={
        "csrf_token": token, "name": " 路面铺设完成 ", "due_on": "2025-12-31"},
        follow_redirects=False)
    assert added.status_code == 303
    m = only(session, Milestone)
    assert added.headers["location"] == f"/cooperation/projects/{project_id}#milestone-{m.id}"
    assert (m.project_id, m.name, m.due_on, m.done_on) == (
        project_id, "路面铺设完成", date(2025, 12, 31), None)
    assert f'id="milestone-done-{m.id}"' in client.get(f"/cooperation/projects/{project_id}").text

    done = client.post(f"/cooperation/milestones/{m.id}/done", data={
        "csrf_token": token, "done_on": "2025-11-20"}, follow_redirects=False)
    assert done.status_code == 303
    session.refresh(m)
    assert m.done_on == date(2025, 11, 20)
    assert audit(session, "cooperation_milestone", m.id) == [
        ("insert", "xiangdong"), ("update", "xiangdong")]
    page = client.get(f"/cooperation/projects/{project_id}").text
    assert f'id="milestone-done-{m.id}"' not in page

    before = counts(session)
    again = client.post(f"/cooperation/milestones/{m.id}/done?lang=en", data={
        "csrf_token": token, "done_on": "2025-11-21"})
    assert again.status_code == 409
    assert "里程碑“路面铺设完成”已于 2025-11-20 完成" in again.text
    assert counts(session) == before


def test_milestone_forms_refuse_bad_input_strangers_and_no_csrf(
        client: TestClient, session: Session, coop: Coop) -> None:
    project_id = xiangdong_project(session, coop)
    milestone = service.add_milestone(session, coop.jiangxi, project_id, MilestoneIn(
        name="通车", due_on=date(2026, 6, 30)))
    session.commit()
    token = log_in(client, "xiangdong")
    before = counts(session)
    assert client.post(f"/cooperation/projects/{project_id}/milestones",
                       data={"name": "x", "due_on": "2025-12-31"}).status_code == 403
    assert client.post(f"/cooperation/milestones/{milestone.id}/done",
                       data={"done_on": "2025-12-31"}).status_code == 403
    bad = client.post(f"/cooperation/projects/{project_id}/milestones?lang=en", data={
        "csrf_token": token, "name": "", "due_on": "明年"})
    assert bad.status_code == 422
    assert '<li data-field="name"><a href="#new-f-name">Milestone</a>: Required</li>' in bad.text
    assert ('<li data-field="due_on"><a href="#new-f-due_on">Due</a>: A date such as '
            '2025-09-30</li>') in bad.text
    assert '<details class="inline-form" id="add-milestone" open>' in bad.text
    bad_done = client.post(f"/cooperation/milestones/{milestone.id}/done?lang=en", data={
        "csrf_token": token, "done_on": ""})
    assert bad_done.status_code == 422
    prefix = f"m{milestone.id}-"
    assert (f'<li data-field="done_on"><a href="#{prefix}f-done_on">Done on</a>: Required</li>'
            in bad_done.text)
    assert counts(session) == before

    client.post("/logout", data={"csrf_token": token})
    stranger = log_in(client, "liling")
    page = client.get(f"/cooperation/projects/{project_id}").text
    assert 'id="milestone-form"' not in page and f'id="milestone-done-{milestone.id}"' not in page
    refused = client.post(f"/cooperation/projects/{project_id}/milestones", data={
        "csrf_token": stranger, "name": "醴陵代填", "due_on": "2025-12-31"})
    assert refused.status_code == 403 and "无权修改辖区 360313 的平台项目" in refused.text
    refused = client.post(f"/cooperation/milestones/{milestone.id}/done", data={
        "csrf_token": stranger, "done_on": "2025-12-31"})
    assert refused.status_code == 403 and "无权修改辖区 360313 的平台项目" in refused.text
    assert counts(session) == before


# ---- an agreement's status ----------------------------------------------------------------------


def signed_agreement(session: Session, coop: Coop) -> int:
    """Signed 2023-04-01 by 湘东区 and 萍乡市, not yet in force, a five-year term."""
    agreement = service.create_agreement(session, coop.office, AgreementCreate(
        title="湘东—萍乡协议", parties=[PartyIn(name="萍乡市湘东区人民政府"),
                                        PartyIn(name="萍乡市人民政府")],
        field="ecology", signed_on=date(2023, 4, 1), status="signed", term_years=5,
        expires_on=date(2028, 3, 31)))
    session.commit()
    return agreement.id


def test_a_party_puts_an_agreement_in_force_and_terminates_it(
        client: TestClient, session: Session, coop: Coop) -> None:
    agreement_id = signed_agreement(session, coop)
    token = log_in(client, "xiangdong")
    page = client.get(f"/cooperation/agreements/{agreement_id}?lang=en").text
    assert 'id="status-form"' in page
    assert '<option value="in_force" >In force</option>' in page
    assert '<option value="expired"' not in page
    moved = client.post(f"/cooperation/agreements/{agreement_id}/status", data={
        "csrf_token": token, "status": "in_force", "effective_on": "2023-05-01"},
        follow_redirects=False)
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/cooperation/agreements/{agreement_id}"
    a = only(session, Agreement)
    session.refresh(a)
    assert (a.status, a.expires_on) == ("in_force", date(2028, 3, 31))
    page = client.get(f"/cooperation/agreements/{agreement_id}?lang=en").text
    assert '<option value="expired" >Expired</option>' in page
    assert '<option value="terminated" >Terminated</option>' in page

    ended = client.post(f"/cooperation/agreements/{agreement_id}/status", data={
        "csrf_token": token, "status": "terminated", "effective_on": "2025-06-30"},
        follow_redirects=False)
    assert ended.status_code == 303
    session.refresh(a)
    assert (a.status, a.expires_on) == ("terminated", date(2025, 6, 30))
    assert audit(session, "cooperation_agreement", agreement_id) == [
        ("insert", "test"), ("update", "xiangdong"), ("update", "xiangdong")]
    assert 'id="status-form"' not in client.get(f"/cooperation/agreements/{agreement_id}").text


def test_a_status_change_is_refused_without_csrf_by_a_stranger_or_with_bad_input(
        client: TestClient, session: Session, coop: Coop) -> None:
    agreement_id = signed_agreement(session, coop)
    token = log_in(client, "xiangdong")
    before = counts(session)
    assert client.post(f"/cooperation/agreements/{agreement_id}/status", data={
        "status": "in_force", "effective_on": "2023-05-01"}).status_code == 403
    blank = client.post(f"/cooperation/agreements/{agreement_id}/status?lang=en", data={
        "csrf_token": token, "status": "in_force", "effective_on": ""})
    assert blank.status_code == 422
    assert ('<li data-field="effective_on"><a href="#status-f-effective_on">Date of the change'
            '</a>: Required</li>') in blank.text
    assert '<details class="inline-form" id="change-status" open>' in blank.text
    early = client.post(f"/cooperation/agreements/{agreement_id}/status?lang=en", data={
        "csrf_token": token, "status": "in_force", "effective_on": "2023-03-01"})
    assert early.status_code == 422
    assert "日期不能早于签署日期" in early.text
    assert "not before the signing date 2023-04-01" in early.text
    assert 'id="status-f-effective_on" name="effective_on" type="date" value="2023-03-01"' \
        in early.text
    skipped = client.post(f"/cooperation/agreements/{agreement_id}/status?lang=en", data={
        "csrf_token": token, "status": "expired", "effective_on": "2028-03-31"})
    assert skipped.status_code == 409
    assert "协议当前状态为“已签署”，不能改为“已到期”" in skipped.text
    assert counts(session) == before

    client.post("/logout", data={"csrf_token": token})
    stranger = log_in(client, "liling")
    assert 'id="status-form"' not in client.get(f"/cooperation/agreements/{agreement_id}").text
    refused = client.post(f"/cooperation/agreements/{agreement_id}/status", data={
        "csrf_token": stranger, "status": "in_force", "effective_on": "2023-05-01"})
    assert refused.status_code == 403
    assert "不是协议《湘东—萍乡协议》的签署方，无权修改" in refused.text
    assert counts(session) == before
    assert only(session, Agreement).status == "signed"


# ---- reported indicator values ------------------------------------------------------------------


def reported_indicator(session: Session, coop: Coop, period: str = "year") -> str:
    """An indicator reported by 湘东区生态环境分局 (the ``xiangdong`` user's organisation)."""
    service.define_indicator(session, "eco_licensees", "生态产品授权企业", "家", "reported",
                             Decimal(50), period, reporter=coop.people.jiangxi_county_org.name)
    service.define_indicator(session, "agreements_signed", "合作协议", "项", "computed")
    session.commit()
    return "eco_licensees"


def test_the_reporting_organisation_reports_a_value_with_evidence(
        files_client: TestClient, session: Session, coop: Coop, tmp_path: Path) -> None:
    code = reported_indicator(session, coop)
    token = log_in(files_client, "xiangdong")
    page = files_client.get(f"/cooperation/indicators/{code}?lang=en").text
    assert page.count('id="indicator-value-form"') == 1 and "A year, e.g. 2025" in page
    content = "2025 年授权企业名单".encode()
    response = files_client.post(
        f"/cooperation/indicators/{code}/values",
        data={"csrf_token": token, "period": " 2025 ", "value": "1,234.5"},
        files={"evidence": ("授权名单.xlsx", content, "application/octet-stream")},
        follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/cooperation/indicators/{code}#history"
    v = only(session, IndicatorValue)
    doc = session.get(Document, v.evidence_id)
    assert doc is not None
    assert (v.period, v.value, v.source, v.recorded_by, v.provenance) == (
        "2025", Decimal("1234.5000"), "reported", "xiangdong",
        {"reported_by": "xiangdong", "organisations": ["湘东区生态环境分局"],
         "evidence": "授权名单.xlsx"})
    assert (doc.filename, doc.size) == ("授权名单.xlsx", len(content))
    assert (tmp_path / "files" / doc.sha256).read_bytes() == content
    assert audit(session, "cooperation_indicator_value", v.id) == [("insert", "xiangdong")]
    page = files_client.get(f"/cooperation/indicators/{code}").text
    assert f'<a href="/cooperation/files/{doc.sha256}">授权名单.xlsx</a>' in page


def test_an_indicator_value_is_refused_to_others_without_csrf_or_when_bad(
        files_client: TestClient, session: Session, coop: Coop, tmp_path: Path) -> None:
    code = reported_indicator(session, coop, period="quarter")
    token = log_in(files_client, "xiangdong")
    before = counts(session)
    assert files_client.post(f"/cooperation/indicators/{code}/values", data={
        "period": "2025-Q3", "value": "12"}).status_code == 403
    bad = files_client.post(f"/cooperation/indicators/{code}/values?lang=en", data={
        "csrf_token": token, "period": "2025-09", "value": "12"},
        files={"evidence": ("e.pdf", b"%PDF", "application/pdf")})
    assert bad.status_code == 422
    assert ('<li data-field="period"><a href="#f-period">Period</a>: a quarter such as 2025-Q3'
            '</li>') in bad.text
    assert 'id="f-period" name="period" type="text" value="2025-09"' in bad.text
    not_a_number = files_client.post(f"/cooperation/indicators/{code}/values?lang=en", data={
        "csrf_token": token, "period": "2025-Q3", "value": "十二"})
    assert not_a_number.status_code == 422
    assert ('<li data-field="value"><a href="#f-value">Value</a>: A number such as 1250000.50'
            '</li>') in not_a_number.text
    computed = files_client.post("/cooperation/indicators/agreements_signed/values", data={
        "csrf_token": token, "period": "2025", "value": "3"})
    assert computed.status_code == 409 and "由平台计算，不能填报" in computed.text
    assert 'id="indicator-value-form"' not in files_client.get(
        "/cooperation/indicators/agreements_signed").text
    assert counts(session) == before
    assert not (tmp_path / "files").exists()

    files_client.post("/logout", data={"csrf_token": token})
    office = log_in(files_client, "coop")
    assert 'id="indicator-value-form"' not in files_client.get(
        f"/cooperation/indicators/{code}").text
    refused = files_client.post(
        f"/cooperation/indicators/{code}/values",
        data={"csrf_token": office, "period": "2025-Q3", "value": "12"},
        files={"evidence": ("e.pdf", b"%PDF", "application/pdf")})
    assert refused.status_code == 403
    assert "只有湘东区生态环境分局的编辑可以填报此指标" in refused.text
    assert counts(session) == before
    assert not (tmp_path / "files").exists()


# ---- the service functions behind the forms -----------------------------------------------------


def test_agreement_status_moves_one_way(session: Session, coop: Coop) -> None:
    agreement_id = signed_agreement(session, coop)
    with pytest.raises(Forbidden):
        service.change_agreement_status(session, coop.hunan, agreement_id, AgreementStatusChange(
            status="in_force", effective_on=date(2023, 5, 1)))
    a = service.change_agreement_status(session, coop.jiangxi, agreement_id,
                                        AgreementStatusChange(status="in_force",
                                                              effective_on=date(2023, 5, 1)))
    assert (a.status, a.expires_on) == ("in_force", date(2028, 3, 31))
    with pytest.raises(InvalidInput) as early:
        service.change_agreement_status(session, coop.jiangxi, agreement_id,
                                        AgreementStatusChange(status="expired",
                                                              effective_on=date(2028, 3, 30)))
    assert [(e.column, e.reason) for e in early.value.errors] == [
        ("effective_on", "not before the end of its term 2028-03-31")]
    a = service.change_agreement_status(session, coop.jiangxi, agreement_id,
                                        AgreementStatusChange(status="expired",
                                                              effective_on=date(2028, 4, 1)))
    assert (a.status, a.expires_on) == ("expired", date(2028, 4, 1))
    for status in ("signed", "in_force", "terminated", "expired"):
        with pytest.raises(Conflict):
            service.change_agreement_status(session, coop.jiangxi, agreement_id,
                                            AgreementStatusChange(status=status,
                                                                  effective_on=date(2029, 1, 1)))
    assert service.NEXT_STATUSES == {"signed": ("in_force",),
                                     "in_force": ("expired", "terminated"),
                                     "expired": (), "terminated": ()}


def test_projects_are_numbered_per_place_and_milestones_kept_by_the_owner(
        session: Session, coop: Coop) -> None:
    data = ProjectCreate(name="项目甲", field="industry", owner="湘东区人民政府",
                         owner_place_code="360313")
    first = service.create_project(session, coop.jiangxi, data)
    second = service.create_project(session, coop.jiangxi, data.model_copy(
        update={"name": "项目乙"}))
    named = service.create_project(session, coop.jiangxi, data.model_copy(
        update={"code": "XD-LINE"}))
    assert [first.code, second.code, named.code] == ["360313-001", "360313-002", "XD-LINE"]
    with pytest.raises(Conflict):
        service.create_project(session, coop.jiangxi, data.model_copy(update={"code": "XD-LINE"}))
    with pytest.raises(Forbidden):
        service.create_project(session, coop.hunan, data)
    with pytest.raises(Forbidden) as no_role:
        service.require_write_role(coop.viewer, "登记平台项目")
    assert no_role.value.message == "只有有编辑权限的单位可以登记平台项目"

    with pytest.raises(Forbidden):
        service.add_milestone(session, coop.hunan, first.id,
                              MilestoneIn(name="开工", due_on=date(2025, 1, 1)))
    m = service.add_milestone(session, coop.office, first.id,
                              MilestoneIn(name="开工", due_on=date(2025, 1, 1)))
    with pytest.raises(Forbidden):
        service.complete_milestone(session, coop.hunan, m.id,
                                   MilestoneDone(done_on=date(2025, 1, 2)))
    assert service.complete_milestone(session, coop.jiangxi, m.id, MilestoneDone(
        done_on=date(2025, 1, 2))).done_on == date(2025, 1, 2)
    with pytest.raises(Conflict):
        service.complete_milestone(session, coop.jiangxi, m.id,
                                   MilestoneDone(done_on=date(2025, 1, 3)))
    places = service.project_places(session)
    assert places["360313"] == "湘东区" and places["360300"] == "萍乡市"
    assert places["430281"] == "醴陵市" and "360000" not in places
    assert len([c for c in places if c[4:] != "00"]) == 24


def test_an_evidence_file_is_kept_only_when_the_value_may_be_reported(
        session: Session, coop: Coop, tmp_path: Path) -> None:
    code = reported_indicator(session, coop)
    upload = service.Upload("e.pdf", b"%PDF evidence")
    with pytest.raises(Forbidden):
        service.report_value_with_evidence(session, coop.office, code, ReportedValueIn(
            period="2025", value=Decimal(3)), tmp_path, upload)
    with pytest.raises(InvalidInput):
        service.report_value_with_evidence(session, coop.jiangxi, code, ReportedValueIn(
            period="2025-Q1", value=Decimal(3)), tmp_path, upload)
    assert list(tmp_path.iterdir()) == []
    v = service.report_value_with_evidence(session, coop.jiangxi, code, ReportedValueIn(
        period="2025", value=Decimal(3)), tmp_path, upload)
    assert v.evidence_id is not None and v.provenance["evidence"] == "e.pdf"
    again = service.report_value_with_evidence(session, coop.jiangxi, code, ReportedValueIn(
        period="2025", value=Decimal(4)), tmp_path)
    assert (again.id, again.value, again.evidence_id) == (v.id, Decimal(4), None)
    assert count(session, IndicatorValue) == 1
