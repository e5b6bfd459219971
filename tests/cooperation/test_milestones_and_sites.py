"""Correcting and deleting a project's milestones, and choosing the counties a project touches
(its sites): each form writes its change (with an audit row); a post without the CSRF token, by
an editor of another county, by a viewer or with bad input writes nothing and names why. A done
milestone is not deleted until it is reopened."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from coopzone.accounts.models import AuditLog
from coopzone.cooperation import service
from coopzone.cooperation.models import Milestone, Project, ProjectSite
from coopzone.cooperation.schemas import (
    MilestoneDone,
    MilestoneIn,
    ProjectCreate,
    SiteIn,
    SitesChoice,
)
from coopzone.db import Base
from coopzone.errors import Conflict, Forbidden, InvalidInput
from tests.cooperation.test_forms import audit, log_in, only, xiangdong_project
from tests.cooperation.test_forms_projects_status_indicators import PROJECT_FORM
from tests.helpers import Coop, count, token_for

WATCHED: tuple[type[Base], ...] = (Project, ProjectSite, Milestone, AuditLog)


def counts(session: Session) -> dict[str, int]:
    return {m.__tablename__: count(session, m) for m in WATCHED}


def milestone(session: Session, coop: Coop, project_id: int, name: str = "通车",
              done_on: date | None = None) -> Milestone:
    m = service.add_milestone(session, coop.jiangxi, project_id, MilestoneIn(
        name=name, due_on=date(2026, 6, 30), done_on=done_on))
    session.commit()
    return m


def sites(session: Session, project_id: int) -> list[tuple[str, str, int]]:
    return [(s.name, s.county_code, s.position) for s in session.scalars(
        select(ProjectSite).where(ProjectSite.project_id == project_id)
        .order_by(ProjectSite.position))]


# ---- milestones: the service -------------------------------------------------------------------


def test_an_editor_of_the_owner_corrects_a_milestone_and_may_reopen_it(
        session: Session, coop: Coop) -> None:
    m = milestone(session, coop, xiangdong_project(session, coop))
    service.update_milestone(session, coop.jiangxi, m.id, MilestoneIn(
        name="全线通车", due_on=date(2026, 9, 30), done_on=date(2026, 9, 28)))
    assert (m.name, m.due_on, m.done_on) == ("全线通车", date(2026, 9, 30), date(2026, 9, 28))
    service.update_milestone(session, coop.jiangxi, m.id, MilestoneIn(
        name="全线通车", due_on=date(2026, 9, 30)))
    assert m.done_on is None
    for stranger in (coop.hunan, coop.viewer):
        with pytest.raises(Forbidden, match="无权修改辖区 360313 的平台项目"):
            service.update_milestone(session, stranger, m.id, MilestoneIn(
                name="醴陵代改", due_on=date(2027, 1, 1)))
    session.refresh(m)
    assert (m.name, m.due_on, m.done_on) == ("全线通车", date(2026, 9, 30), None)


def test_a_done_milestone_is_deleted_only_once_reopened(session: Session, coop: Coop) -> None:
    project_id = xiangdong_project(session, coop)
    m = milestone(session, coop, project_id, done_on=date(2025, 9, 1))
    with pytest.raises(Conflict, match="已于 2025-09-01 完成，不能删除"):
        service.delete_milestone(session, coop.jiangxi, m.id)
    with pytest.raises(Forbidden):
        service.delete_milestone(session, coop.hunan, m.id)
    assert session.get(Milestone, m.id) is not None
    service.update_milestone(session, coop.jiangxi, m.id, MilestoneIn(
        name=m.name, due_on=m.due_on))
    assert service.delete_milestone(session, coop.jiangxi, m.id) == project_id
    assert count(session, Milestone) == 0
    assert audit(session, "cooperation_milestone", m.id) == [
        ("insert", "test"), ("update", "test"), ("delete", "test")]


# ---- milestones: the forms ---------------------------------------------------------------------


def test_a_county_editor_edits_and_deletes_a_milestone(
        client: TestClient, session: Session, coop: Coop) -> None:
    project_id = xiangdong_project(session, coop)
    m = milestone(session, coop, project_id)
    token = log_in(client, "xiangdong")
    page = client.get(f"/cooperation/projects/{project_id}?lang=en").text
    assert f'id="milestone-edit-{m.id}"' in page and f'id="milestone-delete-{m.id}"' in page
    assert (f'id="m{m.id}-edit-f-name" name="name" type="text" value="通车"' in page)

    edited = client.post(f"/cooperation/milestones/{m.id}/edit", data={
        "csrf_token": token, "name": " 全线通车 ", "due_on": "2026-09-30", "done_on": ""},
        follow_redirects=False)
    assert edited.status_code == 303
    assert edited.headers["location"] == f"/cooperation/projects/{project_id}#milestone-{m.id}"
    session.refresh(m)
    assert (m.name, m.due_on, m.done_on) == ("全线通车", date(2026, 9, 30), None)

    deleted = client.post(f"/cooperation/milestones/{m.id}/delete", data={
        "csrf_token": token}, follow_redirects=False)
    assert deleted.status_code == 303
    assert deleted.headers["location"] == f"/cooperation/projects/{project_id}#milestones"
    assert count(session, Milestone) == 0
    assert audit(session, "cooperation_milestone", m.id) == [
        ("insert", "test"), ("update", "xiangdong"), ("delete", "xiangdong")]
    assert f'id="milestone-{m.id}"' not in client.get(f"/cooperation/projects/{project_id}").text


def test_a_done_milestone_is_corrected_but_not_deleted_from_the_page(
        client: TestClient, session: Session, coop: Coop) -> None:
    project_id = xiangdong_project(session, coop)
    m = milestone(session, coop, project_id)
    service.complete_milestone(session, coop.jiangxi, m.id, MilestoneDone(
        done_on=date(2025, 11, 20)))
    session.commit()
    token = log_in(client, "xiangdong")
    page = client.get(f"/cooperation/projects/{project_id}?lang=en").text
    assert f'id="milestone-delete-{m.id}"' not in page
    assert "A done milestone cannot be deleted: clear its done date first." in page
    assert f'id="m{m.id}-edit-f-done_on" name="done_on" type="date" value="2025-11-20"' in page

    before = counts(session)
    refused = client.post(f"/cooperation/milestones/{m.id}/delete?lang=en",
                          data={"csrf_token": token})
    assert refused.status_code == 409
    assert "里程碑“通车”已于 2025-11-20 完成，不能删除" in refused.text
    assert f'<details class="inline-form" id="milestone-change-{m.id}" open>' in refused.text
    assert counts(session) == before

    corrected = client.post(f"/cooperation/milestones/{m.id}/edit", data={
        "csrf_token": token, "name": "通车", "due_on": "2026-06-30", "done_on": "2025-11-19"},
        follow_redirects=False)
    assert corrected.status_code == 303
    session.refresh(m)
    assert m.done_on == date(2025, 11, 19)


def test_milestone_edit_and_delete_refuse_bad_input_strangers_and_no_csrf(
        client: TestClient, session: Session, coop: Coop) -> None:
    project_id = xiangdong_project(session, coop)
    m = milestone(session, coop, project_id)
    token = log_in(client, "xiangdong")
    before = counts(session)
    assert client.post(f"/cooperation/milestones/{m.id}/edit", data={
        "name": "x", "due_on": "2025-12-31"}).status_code == 403
    assert client.post(f"/cooperation/milestones/{m.id}/delete").status_code == 403

    bad = client.post(f"/cooperation/milestones/{m.id}/edit?lang=en", data={
        "csrf_token": token, "name": "", "due_on": "明年", "done_on": "2025-13-01"})
    assert bad.status_code == 422
    prefix = f"m{m.id}-edit-"
    for field, label, reason in (("name", "Milestone", "Required"),
                                 ("due_on", "Due", "A date such as 2025-09-30"),
                                 ("done_on", "Done on", "A date such as 2025-09-30")):
        assert (f'<li data-field="{field}"><a href="#{prefix}f-{field}">{label}</a>: {reason}'
                '</li>') in bad.text, field
    assert f'id="{prefix}f-due_on" name="due_on" type="date" value="明年"' in bad.text
    assert f'<details class="inline-form" id="milestone-change-{m.id}" open>' in bad.text
    assert counts(session) == before

    for user in ("liling", "viewer"):
        client.post("/logout", data={"csrf_token": token})
        token = log_in(client, user)
        page = client.get(f"/cooperation/projects/{project_id}").text
        assert f'id="milestone-edit-{m.id}"' not in page
        assert f'id="milestone-delete-{m.id}"' not in page
        refused = client.post(f"/cooperation/milestones/{m.id}/edit", data={
            "csrf_token": token, "name": "代改", "due_on": "2025-12-31"})
        assert refused.status_code == 403 and "无权修改辖区 360313 的平台项目" in refused.text
        refused = client.post(f"/cooperation/milestones/{m.id}/delete",
                              data={"csrf_token": token})
        assert refused.status_code == 403 and "无权修改辖区 360313 的平台项目" in refused.text
    assert counts(session) == before
    session.refresh(m)
    assert (m.name, m.due_on) == ("通车", date(2026, 6, 30))


def test_an_unknown_milestone_is_not_found(client: TestClient, session: Session,
                                           coop: Coop) -> None:
    token = log_in(client, "xiangdong")
    assert client.post("/cooperation/milestones/999999/delete",
                       data={"csrf_token": token}).status_code == 404


# ---- sites of a new project ---------------------------------------------------------------------


def test_a_new_project_gets_the_counties_chosen_as_its_sites(
        client: TestClient, session: Session, coop: Coop) -> None:
    token = log_in(client, "xiangdong")
    form = client.get("/cooperation/projects/new?lang=en").text
    assert '<legend>Sites</legend>' in form
    assert '<input type="checkbox" name="sites" value="430281" > 醴陵市</label>' in form
    assert 'value="360300"' in form and 'name="sites" value="360300"' not in form
    response = client.post("/cooperation/projects/new", data={
        "csrf_token": token, **PROJECT_FORM, "sites": ["360313", "430281"]},
        follow_redirects=False)
    assert response.status_code == 303
    p = only(session, Project)
    assert sites(session, p.id) == [("湘东区", "360313", 0), ("醴陵市", "430281", 1)]
    page = client.get(f"/cooperation/projects/{p.id}").text
    assert ('<td id="site-list"><a class="note" href="/cooperation/projects?county=360313">'
            '湘东区</a>、<a class="note" href="/cooperation/projects?county=430281">醴陵市</a>'
            '</td>') in page
    listed = client.get("/cooperation/projects?county=430281").text
    assert "湘东—醴陵跨省公交线路" in listed


def test_a_site_outside_the_zone_refuses_the_new_project(
        client: TestClient, session: Session, coop: Coop) -> None:
    token = log_in(client, "xiangdong")
    before = counts(session)
    # 360300 is the city, not a county; 110101 is a real code outside the zone.
    response = client.post("/cooperation/projects/new?lang=en", data={
        "csrf_token": token, **PROJECT_FORM, "sites": ["360313", "360300", "110101"]})
    assert response.status_code == 422
    assert "项目地点须为示范区的县级单位，360300、110101 不是" in response.text
    assert ('<li data-field="sites"><a href="#f-sites">Sites</a>: 360300 is not a county of the '
            'zone; 110101 is not a county of the zone</li>') in response.text
    assert '<input type="checkbox" name="sites" value="360313" checked>' in response.text
    assert 'id="f-name" name="name" type="text" value="湘东—醴陵跨省公交线路"' in response.text
    malformed = client.post("/cooperation/projects/new?lang=en", data={
        "csrf_token": token, **PROJECT_FORM, "sites": ["湘东"]})
    assert malformed.status_code == 422
    assert ('<li data-field="sites"><a href="#f-sites">Sites</a>: line 1: Choose one of the '
            'options</li>') in malformed.text
    assert counts(session) == before


def test_the_api_names_sites_after_their_county_and_refuses_one_outside_the_zone(
        client: TestClient, session: Session, coop: Coop) -> None:
    headers = token_for(session, coop.people.jiangxi_editor)
    body = {"name": "湘东—醴陵公交", "field": "transport", "owner": "湘东区交通运输局",
            "owner_place_code": "360313"}
    before = counts(session)
    refused = client.post("/api/v1/cooperation/projects", headers=headers, json=body | {
        "sites": [{"name": "北京站", "county_code": "110101"}]})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"row": None, "column": "sites", "reason": "110101 is not a county of the zone"}]
    assert counts(session) == before
    created = client.post("/api/v1/cooperation/projects", headers=headers, json=body | {
        "sites": [{"name": "湘东站", "county_code": "360313"}, {"county_code": "430281"}]})
    assert created.status_code == 201
    assert created.json()["sites"] == [{"name": "湘东站", "county_code": "360313"},
                                       {"name": "醴陵市", "county_code": "430281"}]


# ---- sites on the project's page ----------------------------------------------------------------


def named_sites_project(session: Session, coop: Coop) -> int:
    project = service.create_project(session, coop.jiangxi, ProjectCreate(
        code="XD-02", name="湘东—醴陵绿道", field="culture_tourism", owner="湘东区人民政府",
        owner_place_code="360313", sites=[SiteIn(name="湘东段", county_code="360313"),
                                          SiteIn(name="醴陵段", county_code="430281")]))
    session.commit()
    return project.id


def test_choosing_sites_keeps_names_adds_and_removes(session: Session, coop: Coop) -> None:
    project_id = named_sites_project(session, coop)
    removed = session.scalars(select(ProjectSite.id).where(
        ProjectSite.county_code == "430281")).one()
    service.choose_sites(session, coop.jiangxi, project_id,
                         SitesChoice(sites=["360322", "360313", "360322"]))
    assert sites(session, project_id) == [("湘东段", "360313", 0), ("上栗县", "360322", 1)]
    assert audit(session, "cooperation_project_site", removed) == [
        ("insert", "test"), ("delete", "test")]
    for stranger in (coop.hunan, coop.viewer):
        with pytest.raises(Forbidden):
            service.choose_sites(session, stranger, project_id, SitesChoice(sites=[]))
    with pytest.raises(InvalidInput) as refused:
        service.choose_sites(session, coop.jiangxi, project_id,
                             SitesChoice(sites=["360302", "999999"]))
    assert [(e.column, e.reason) for e in refused.value.errors] == [
        ("sites", "999999 is not a county of the zone")]
    assert sites(session, project_id) == [("湘东段", "360313", 0), ("上栗县", "360322", 1)]


def test_an_editor_chooses_the_sites_on_the_project_page(
        client: TestClient, session: Session, coop: Coop) -> None:
    project_id = named_sites_project(session, coop)
    token = log_in(client, "xiangdong")
    page = client.get(f"/cooperation/projects/{project_id}?lang=en").text
    assert '<input type="checkbox" name="sites" value="360313" checked> 湘东区</label>' in page
    assert '<input type="checkbox" name="sites" value="360322" > 上栗县</label>' in page
    assert ('湘东段 <a class="note" href="/cooperation/projects?county=360313">湘东区</a>'
            in page)
    moved = client.post(f"/cooperation/projects/{project_id}/sites", data={
        "csrf_token": token, "sites": ["360313", "360322"]}, follow_redirects=False)
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/cooperation/projects/{project_id}"
    assert sites(session, project_id) == [("湘东段", "360313", 0), ("上栗县", "360322", 1)]

    cleared = client.post(f"/cooperation/projects/{project_id}/sites",
                          data={"csrf_token": token}, follow_redirects=False)
    assert cleared.status_code == 303
    assert sites(session, project_id) == []


def test_the_sites_form_refuses_bad_codes_strangers_and_no_csrf(
        client: TestClient, session: Session, coop: Coop) -> None:
    project_id = named_sites_project(session, coop)
    token = log_in(client, "xiangdong")
    before = counts(session)
    assert client.post(f"/cooperation/projects/{project_id}/sites",
                       data={"sites": ["360322"]}).status_code == 403
    bad = client.post(f"/cooperation/projects/{project_id}/sites?lang=en", data={
        "csrf_token": token, "sites": ["360322", "360300"]})
    assert bad.status_code == 422
    assert ('<li data-field="sites"><a href="#sites-f-sites">Sites</a>: 360300 is not a county '
            'of the zone</li>') in bad.text
    assert '<details class="inline-form" id="choose-sites" open>' in bad.text
    assert '<input type="checkbox" name="sites" value="360322" checked>' in bad.text
    assert '<input type="checkbox" name="sites" value="430281" >' in bad.text

    for user in ("liling", "viewer"):
        client.post("/logout", data={"csrf_token": token})
        token = log_in(client, user)
        assert 'id="sites-form"' not in client.get(f"/cooperation/projects/{project_id}").text
        refused = client.post(f"/cooperation/projects/{project_id}/sites", data={
            "csrf_token": token, "sites": ["430281"]})
        assert refused.status_code == 403 and "无权修改辖区 360313 的平台项目" in refused.text
    assert counts(session) == before
    assert sites(session, project_id) == [("湘东段", "360313", 0), ("醴陵段", "430281", 1)]
