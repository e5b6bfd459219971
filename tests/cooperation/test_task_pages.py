"""The task page and its forms, the task API, and the notifications page and header count:
in Chinese, with refusals that write nothing."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from coopzone.api.app import create_app
from coopzone.cooperation import service
from coopzone.cooperation.models import TaskAttachment, TaskExtension, TaskReply
from coopzone.cooperation.schemas import TaskCreate
from coopzone.notifications.models import Notification
from tests.accounts.test_access import csrf_of, login
from tests.helpers import PASSWORD, Coop, count, make_settings, token_for


def log_in(client: TestClient, username: str) -> str:
    assert login(client, username, PASSWORD) == 303
    return csrf_of(client.get("/cooperation").text)


def joint(session: Session, coop: Coop) -> int:
    task = service.create_task(session, coop.office, TaskCreate(
        title="报送跨省联合监测方案", owner_org_id=coop.people.jiangxi_county_org.id,
        assignee_org_ids=[coop.people.hunan_county_org.id], deadline=date(2030, 1, 1),
        description="两地分别报送 <b>监测方案</b>"))
    session.commit()
    return task.id


def test_the_task_page_in_chinese_with_each_assignee_and_the_forms_of_an_editor(
        files_client: TestClient, session: Session, coop: Coop) -> None:
    task_id = joint(session, coop)
    client = files_client
    token = log_in(client, "xiangdong")
    page = client.get(f"/cooperation/tasks/{task_id}").text
    assert "各承办单位办理情况" in page and "答复与佐证材料" in page and "延期申请" in page
    assert "两地分别报送 &lt;b&gt;监测方案&lt;/b&gt;" in page
    for org in (coop.people.jiangxi_county_org, coop.people.hunan_county_org):
        assert f'id="assignee-{org.id}" data-state="open"' in page
    assert 'id="reply-form"' in page and 'id="extension-form"' in page
    assert 'id="attach-form"' not in page
    # The header counts the unread notification of the assignment.
    assert 'id="unread-count" data-count="1"' in page
    replied = client.post(f"/cooperation/tasks/{task_id}/replies",
                          data={"csrf_token": token, "text": "方案已编制"},
                          files={"evidence": ("方案.pdf", b"%PDF-1.4 plan")},
                          follow_redirects=False)
    assert replied.status_code == 303
    assert replied.headers["location"] == f"/cooperation/tasks/{task_id}#replies"
    asked = client.post(f"/cooperation/tasks/{task_id}/extensions", data={
        "csrf_token": token, "new_deadline": "2029-12-01", "reason": "等数据"})
    assert asked.status_code == 422
    assert "延期申请不完整" in asked.text and "应晚于当前办理时限 2030-01-01" in asked.text
    assert count(session, TaskExtension) == 0
    moved = client.post(f"/cooperation/tasks/{task_id}/start", data={
        "csrf_token": token, "org_id": str(coop.people.hunan_county_org.id)})
    assert moved.status_code == 403 and "只有承办单位的编辑可以办理此事项" in moved.text
    page = client.get(f"/cooperation/tasks/{task_id}").text
    assert "方案已编制" in page and "方案.pdf" in page
    assert (count(session, TaskReply), count(session, TaskAttachment)) == (1, 1)


def test_the_office_grants_an_extension_on_the_page_and_the_assignee_is_told(
        client: TestClient, session: Session, coop: Coop) -> None:
    task_id = joint(session, coop)
    extension = service.request_extension(session, coop.jiangxi, task_id, date(2030, 2, 1),
                                          "等待统计数据")
    session.commit()
    token = log_in(client, "coop")
    page = client.get(f"/cooperation/tasks/{task_id}").text
    assert "等待统计数据" in page and "待审批" in page and 'id="attach-form"' in page
    assert 'id="reply-form"' not in page
    granted = client.post(f"/cooperation/tasks/{task_id}/extensions/{extension.id}/grant",
                          data={"csrf_token": token}, follow_redirects=False)
    assert granted.status_code == 303
    session.refresh(extension)
    assert extension.state == "granted"
    client.post("/logout", data={"csrf_token": token})
    token = log_in(client, "xiangdong")
    listed = client.get("/notifications").text
    assert "本单位的延期申请已同意" in listed and "有新的督办事项交办给本单位" in listed
    assert 'id="unread-count" data-count="2"' in listed
    first = max(n.id for n in session.query(Notification).filter(
        Notification.user_id == coop.people.jiangxi_editor.id))
    opened = client.post(f"/notifications/{first}/read", data={"csrf_token": token},
                         follow_redirects=False)
    assert opened.headers["location"] == f"/cooperation/tasks/{task_id}"
    assert 'id="unread-count" data-count="1"' in client.get("/notifications").text


def test_the_task_api_detail_reply_and_extension(client: TestClient, session: Session,
                                                 coop: Coop) -> None:
    task_id = joint(session, coop)
    county = token_for(session, coop.people.jiangxi_editor)
    office = token_for(session, coop.office_editor)
    detail = client.get(f"/api/v1/cooperation/tasks/{task_id}", headers=county).json()
    assert [(a["org_id"], a["state"]) for a in detail["assignees"]] == [
        (coop.people.jiangxi_county_org.id, "open"), (coop.people.hunan_county_org.id, "open")]
    asked = client.post(f"/api/v1/cooperation/tasks/{task_id}/extensions", headers=county,
                        json={"new_deadline": "2030-03-01", "reason": "等待数据"})
    assert asked.status_code == 201, asked.text
    ext = asked.json()["id"]
    refused = client.post(f"/api/v1/cooperation/tasks/{task_id}/extensions/{ext}/refuse",
                          headers=office, json={"note": ""})
    assert refused.status_code == 422 and refused.json()["error"] == "invalid_input"
    done = client.post(f"/api/v1/cooperation/tasks/{task_id}/extensions/{ext}/refuse",
                       headers=office, json={"note": "请按期完成"})
    assert done.json()["state"] == "refused"
    unread = client.get("/api/v1/notifications/unread", headers=county).json()
    assert unread == {"unread": 2}
    kinds = [n["kind"] for n in client.get("/api/v1/notifications", headers=county).json()]
    assert kinds == ["extension_refused", "task_assigned"]
    events = client.get(f"/api/v1/cooperation/tasks/{task_id}", headers=county).json()["events"]
    assert [e["action"] for e in events] == ["create", "ask_extension", "refuse_extension"]


def test_the_lists_count_from_the_platform_today_and_the_due_soon_setting(
        engine: Engine, session_factory: sessionmaker[Session], session: Session,
        coop: Coop) -> None:
    """One clock: the API's overdue and due-soon lists use settings.as_of and due_soon_days,
    whatever the server's date."""
    for title, deadline in (("九月底到期", date(2025, 9, 29)), ("十月二日到期", date(2025, 10, 2)),
                            ("十月五日到期", date(2025, 10, 5))):
        service.create_task(session, coop.office, TaskCreate(
            title=title, owner_org_id=coop.people.jiangxi_county_org.id, deadline=deadline))
    session.commit()
    app = create_app(make_settings(str(engine.url), as_of=date(2025, 9, 30), due_soon_days=3),
                     session_factory)
    county = token_for(session, coop.people.jiangxi_editor)
    with TestClient(app) as client:
        def titles(**params: str) -> list[str]:
            return [t["title"] for t in client.get("/api/v1/cooperation/tasks", params=params,
                                                   headers=county).json()]

        assert titles(overdue="true") == ["九月底到期"]
        assert titles(due_soon="true") == ["十月二日到期"]
