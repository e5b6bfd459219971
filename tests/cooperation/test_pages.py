"""Pages: the dashboard is public, tasks and import need a login, reminders show."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from coopzone.cooperation.models import Agreement
from coopzone.db import now
from tests.accounts.test_access import login
from tests.helpers import (
    GOOD_ROWS,
    HEADER,
    PASSWORD,
    Coop,
    count,
    new_task,
    xiangdong_agreement,
    xlsx,
)


def test_dashboard_is_public_and_hides_tasks(client: TestClient, session: Session,
                                             coop: Coop) -> None:
    xiangdong_agreement(session, coop.office)
    new_task(session, coop, deadline=now().date() - timedelta(days=2))
    session.commit()
    page = client.get("/dashboard?lang=en")
    assert page.status_code == 200
    assert 'id="dashboard-map"' in page.text and "/static/vendor/echarts/echarts.min.js" in (
        page.text)
    assert "overdue-tasks" not in page.text and "http://" not in page.text.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    panel = client.get("/dashboard/unit/360313")
    assert "湘东区" in panel.text and "/cooperation/agreements?county=360313" in panel.text
    assert client.get("/cooperation/tasks", follow_redirects=False).status_code == 303


def test_the_owner_sees_a_reminder_and_can_act(client: TestClient, session: Session,
                                               coop: Coop) -> None:
    task_id = new_task(session, coop, deadline=now().date() - timedelta(days=2))
    session.commit()
    assert login(client, "xiangdong", PASSWORD) == 303
    dashboard = client.get("/dashboard?lang=en").text
    assert "1 overdue tasks" in dashboard and 'id="overdue-tasks"' in dashboard
    tasks = client.get("/cooperation/tasks?mine=1&lang=en").text
    assert f'action="/cooperation/tasks/{task_id}/start"' in tasks
    assert "/accept" not in tasks
    token = re.search(r'name="csrf_token" value="([^"]+)"', tasks)
    assert token
    moved = client.post(f"/cooperation/tasks/{task_id}/start",
                        data={"csrf_token": token.group(1)}, follow_redirects=False)
    assert moved.status_code == 303
    assert 'data-state="in_progress"' in client.get("/cooperation/tasks").text


def test_import_page_previews_then_confirms(files_client: TestClient, session: Session,
                                            coop: Coop) -> None:
    assert login(files_client, "coop", PASSWORD) == 303
    form = files_client.get("/cooperation/agreements/import?lang=en").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token
    content = xlsx([HEADER, *GOOD_ROWS])
    preview = files_client.post("/cooperation/agreements/import?lang=en",
                                data={"csrf_token": token.group(1)},
                                files={"file": ("a.xlsx", content)})
    assert preview.status_code == 200 and "New: 3" in preview.text
    assert count(session, Agreement) == 0
    sha = re.search(r'name="sha256" value="([0-9a-f]{64})"', preview.text)
    assert sha
    done = files_client.post("/cooperation/agreements/import/confirm?lang=en",
                             data={"csrf_token": token.group(1), "sha256": sha.group(1)})
    assert done.status_code == 200 and "3 new" in done.text
    assert count(session, Agreement) == 3
    bad_book = xlsx([HEADER, (1, "某协议", "", "", "", "")])
    bad = files_client.post("/cooperation/agreements/import?lang=en",
                            data={"csrf_token": token.group(1)},
                            files={"file": ("b.xlsx", bad_book)})
    assert bad.status_code == 422 and 'id="import-errors"' in bad.text
    assert count(session, Agreement) == 3


def test_lists_export_to_excel(client: TestClient, session: Session, coop: Coop) -> None:
    xiangdong_agreement(session, coop.office)
    session.commit()
    for kind in ("agreements", "meetings", "projects", "indicators"):
        response = client.get(f"/cooperation/export/{kind}.xlsx")
        assert response.status_code == 200 and response.content[:2] == b"PK", kind
    assert client.get("/cooperation/export/tasks.xlsx",
                      follow_redirects=False).status_code == 303
    assert client.get("/cooperation/export/nothing.xlsx").status_code == 404
