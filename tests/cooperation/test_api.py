"""The JSON API: tokens, refusals in the one error body, import preview and confirm."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from coopzone.cooperation.models import Agreement, Document, Task
from tests.helpers import GOOD_ROWS, HEADER, Coop, count, new_task, token_for, xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_task_flow_over_the_api(client: TestClient, session: Session, coop: Coop) -> None:
    office = token_for(session, coop.office_editor)
    county = token_for(session, coop.people.jiangxi_editor)
    body = {"title": "报送方案", "owner_org_id": coop.people.jiangxi_county_org.id,
            "deadline": "2030-01-01"}
    assert client.post("/api/v1/cooperation/tasks", json=body, headers=county).status_code == 403
    created = client.post("/api/v1/cooperation/tasks", json=body, headers=office)
    assert created.status_code == 201, created.text
    task_id = created.json()["id"]
    assert client.post(f"/api/v1/cooperation/tasks/{task_id}/start",
                       headers=county).json()["state"] == "in_progress"
    assert client.post(f"/api/v1/cooperation/tasks/{task_id}/submit",
                       headers=county).json()["state"] == "submitted"
    refused = client.post(f"/api/v1/cooperation/tasks/{task_id}/accept", headers=county)
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    returned = client.post(f"/api/v1/cooperation/tasks/{task_id}/return", headers=office,
                           json={"note": "补充材料"})
    assert returned.json()["returned_count"] == 1
    events = client.get(f"/api/v1/cooperation/tasks/{task_id}/events", headers=office).json()
    assert [e["action"] for e in events] == ["create", "start", "submit", "return"]
    mine = client.get("/api/v1/cooperation/tasks?mine=true", headers=county).json()
    assert [t["id"] for t in mine] == [task_id]


def test_tasks_need_a_login(client: TestClient, session: Session, coop: Coop) -> None:
    new_task(session, coop)
    session.commit()
    assert client.get("/api/v1/cooperation/tasks").status_code == 401
    assert client.post("/api/v1/cooperation/tasks/1/start").status_code == 401


def test_import_preview_then_confirm_then_again(files_client: TestClient, session: Session,
                                                coop: Coop) -> None:
    headers = token_for(session, coop.office_editor)
    files = {"file": ("协议清单.xlsx", xlsx([HEADER, *GOOD_ROWS]), XLSX)}
    preview = files_client.post("/api/v1/cooperation/agreements/import", files=files,
                                headers=headers)
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert (body["applied"], body["new"], body["changed"], body["unchanged"]) == (False, 3, 0, 0)
    assert count(session, Agreement) == 0
    done = files_client.post("/api/v1/cooperation/agreements/import?confirm=true",
                             files=files, headers=headers).json()
    assert (done["applied"], done["new"]) == (True, 3)
    assert count(session, Agreement) == 3 and count(session, Document) == 1
    again = files_client.post("/api/v1/cooperation/agreements/import?confirm=true",
                              files=files, headers=headers).json()
    assert (again["new"], again["changed"], again["unchanged"]) == (0, 0, 3)
    assert count(session, Agreement) == 3


def test_a_bad_workbook_is_refused_with_every_row(files_client: TestClient, session: Session,
                                                  coop: Coop) -> None:
    headers = token_for(session, coop.office_editor)
    content = xlsx([HEADER, GOOD_ROWS[0],
                    (2, "某协议", "萍乡市人民政府", "昨天", "交通", "履行中")])
    response = files_client.post("/api/v1/cooperation/agreements/import?confirm=true&lang=en",
                                 files={"file": ("bad.xlsx", content, XLSX)}, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"row": 3, "column": "签署日期", "reason": "not a date: '昨天'"}]
    assert count(session, Agreement) == 0 and count(session, Document) == 0


def test_export_is_a_workbook_that_imports_unchanged(files_client: TestClient,
                                                     session: Session, coop: Coop) -> None:
    headers = token_for(session, coop.office_editor)
    files_client.post("/api/v1/cooperation/agreements/import?confirm=true", headers=headers,
                      files={"file": ("a.xlsx", xlsx([HEADER, *GOOD_ROWS]), XLSX)})
    exported = files_client.get("/api/v1/cooperation/agreements.xlsx")
    assert exported.headers["content-type"] == XLSX
    again = files_client.post("/api/v1/cooperation/agreements/import", headers=headers,
                              files={"file": ("export.xlsx", exported.content, XLSX)}).json()
    assert (again["new"], again["changed"], again["unchanged"]) == (0, 0, 3)


def test_public_dashboard_figures_link_to_their_records(client: TestClient, session: Session,
                                                        coop: Coop) -> None:
    headers = token_for(session, coop.office_editor)
    client.post("/api/v1/cooperation/agreements", headers=headers, json={
        "title": "萍乡—醴陵合作协议", "field": "transport", "signed_on": "2024-01-02",
        "status": "in_force", "parties": [{"name": "萍乡市人民政府"}, {"name": "醴陵市人民政府"}]})
    body = client.get("/api/v1/cooperation/dashboard").json()
    assert body["as_of"] == "2024-01-31"
    assert body["totals"]["agreements"] == 1
    liling = next(c for c in body["by_county"] if c["code"] == "430281")
    assert liling == {"code": "430281", "name": "醴陵市", "count": 1,
                      "link": "/cooperation/agreements?county=430281"}
    listed = client.get("/api/v1/cooperation/agreements?county=430281").json()
    assert [a["title"] for a in listed] == ["萍乡—醴陵合作协议"]
    assert count(session, Task) == 0
