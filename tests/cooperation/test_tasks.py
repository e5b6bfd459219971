"""Leading-group tasks: every state change, and who may make it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from coopzone.accounts.service import Principal
from coopzone.cooperation import service
from coopzone.cooperation.models import Task, TaskEvent
from coopzone.cooperation.schemas import TaskCreate
from coopzone.db import now
from coopzone.errors import Conflict, Forbidden, InvalidInput
from tests.helpers import Coop, count, new_task


def state(session: Session, task_id: int) -> str:
    task = session.get(Task, task_id)
    assert task is not None
    session.refresh(task)
    return task.state


def test_open_in_progress_submitted_accepted(session: Session, coop: Coop) -> None:
    task_id = new_task(session, coop)
    assert state(session, task_id) == "open"
    service.move_task(session, coop.jiangxi, task_id, "start")
    assert state(session, task_id) == "in_progress"
    task = service.move_task(session, coop.jiangxi, task_id, "submit")
    assert task.state == "submitted" and task.submitted_at is not None
    task = service.move_task(session, coop.office, task_id, "accept")
    assert task.state == "accepted" and task.accepted_at is not None
    assert [(e.action, e.from_state, e.to_state, e.actor) for e in task.events] == [
        ("create", "", "open", "coop"), ("start", "open", "in_progress", "xiangdong"),
        ("submit", "in_progress", "submitted", "xiangdong"),
        ("accept", "submitted", "accepted", "coop")]
    assert service.on_time(task)


def test_returned_goes_back_to_in_progress_with_a_reason(session: Session, coop: Coop) -> None:
    task_id = new_task(session, coop)
    service.move_task(session, coop.jiangxi, task_id, "start")
    service.move_task(session, coop.jiangxi, task_id, "submit")
    with pytest.raises(InvalidInput):
        service.move_task(session, coop.office, task_id, "return", "  ")
    assert state(session, task_id) == "submitted"
    task = service.move_task(session, coop.office, task_id, "return", "缺少佐证材料")
    assert (task.state, task.returned_count, task.submitted_at) == ("in_progress", 1, None)
    assert task.events[-1].note == "缺少佐证材料"
    service.move_task(session, coop.jiangxi, task_id, "submit")
    assert service.move_task(session, coop.office, task_id, "accept").state == "accepted"


def test_a_county_editor_cannot_accept_their_own_task(session: Session, coop: Coop) -> None:
    task_id = new_task(session, coop)
    service.move_task(session, coop.jiangxi, task_id, "start")
    service.move_task(session, coop.jiangxi, task_id, "submit")
    events = count(session, TaskEvent)
    for action in ("accept", "return"):
        with pytest.raises(Forbidden):
            service.move_task(session, coop.jiangxi, task_id, action, "ok")
    assert state(session, task_id) == "submitted"
    assert count(session, TaskEvent) == events


def test_only_the_owner_organisations_editors_start_and_submit(session: Session,
                                                               coop: Coop) -> None:
    task_id = new_task(session, coop)
    for who in (coop.hunan, coop.office, coop.viewer):
        with pytest.raises(Forbidden):
            service.move_task(session, who, task_id, "start")
    assert state(session, task_id) == "open"
    service.move_task(session, coop.jiangxi, task_id, "start")
    with pytest.raises(Forbidden):
        service.move_task(session, coop.hunan, task_id, "submit")
    assert state(session, task_id) == "in_progress"


def test_a_read_only_token_moves_nothing(session: Session, coop: Coop) -> None:
    task_id = new_task(session, coop)
    read_only = Principal(coop.jiangxi.user_id, coop.jiangxi.username, "", False,
                          coop.jiangxi.roles, frozenset({"read"}))
    with pytest.raises(Forbidden):
        service.move_task(session, read_only, task_id, "start")
    assert state(session, task_id) == "open"


def test_the_office_cannot_accept_its_own_task_but_a_platform_admin_can(
    session: Session, coop: Coop
) -> None:
    task_id = new_task(session, coop, owner=coop.office_org)
    service.move_task(session, coop.office, task_id, "start")
    service.move_task(session, coop.office, task_id, "submit")
    with pytest.raises(Forbidden):
        service.move_task(session, coop.office, task_id, "accept")
    assert service.move_task(session, coop.admin, task_id, "accept").state == "accepted"


def test_states_are_followed_in_order(session: Session, coop: Coop) -> None:
    task_id = new_task(session, coop)
    with pytest.raises(Conflict):
        service.move_task(session, coop.jiangxi, task_id, "submit")
    with pytest.raises(Conflict):
        service.move_task(session, coop.office, task_id, "accept")
    with pytest.raises(InvalidInput):
        service.move_task(session, coop.office, task_id, "archive")
    service.move_task(session, coop.jiangxi, task_id, "start")
    with pytest.raises(Conflict):
        service.move_task(session, coop.jiangxi, task_id, "start")
    assert state(session, task_id) == "in_progress"


def test_only_the_office_assigns_tasks(session: Session, coop: Coop) -> None:
    with pytest.raises(Forbidden):
        service.create_task(session, coop.jiangxi, TaskCreate(
            title="自拟事项", owner_org_id=coop.people.jiangxi_county_org.id,
            deadline=date(2030, 1, 1)))
    assert count(session, Task) == 0


def test_overdue_and_due_soon_lists_and_reminders(session: Session, coop: Coop) -> None:
    today = now().date()
    late = new_task(session, coop, deadline=today - timedelta(days=1), title="逾期事项")
    soon = new_task(session, coop, deadline=today + timedelta(days=3), title="临期事项")
    new_task(session, coop, deadline=today + timedelta(days=30), title="远期事项")
    hunan_late = new_task(session, coop, owner=coop.people.hunan_county_org,
                          deadline=today - timedelta(days=5), title="醴陵逾期事项")
    overdue = service.list_tasks(session, service.TaskFilter(overdue=True))
    assert [t.id for t in overdue] == [hunan_late, late]
    assert [t.id for t in service.list_tasks(session, service.TaskFilter(due_soon=True))] == [
        soon]
    reminders = service.reminders_for(session, coop.jiangxi)
    assert reminders is not None
    assert (reminders.overdue, reminders.due_soon, reminders.to_accept) == (1, 1, 0)
    # Submitted work is no longer overdue: it waits for the office.
    service.move_task(session, coop.jiangxi, late, "start")
    service.move_task(session, coop.jiangxi, late, "submit")
    reminders = service.reminders_for(session, coop.jiangxi)
    assert reminders is not None and reminders.overdue == 0
    office = service.reminders_for(session, coop.office)
    assert office is not None and office.to_accept == 1
    assert service.reminders_for(session, None) is None


def test_a_resolution_becomes_a_task(session: Session, coop: Coop) -> None:
    from coopzone.cooperation.schemas import MeetingCreate, MemberIn

    meeting = service.create_meeting(session, coop.office, MeetingCreate(
        title="湘赣边区域人才联席会议", kind="joint_meeting", held_on=date(2024, 5, 1),
        host="萍乡市人民政府", members=[MemberIn(name="醴陵市人民政府")],
        resolutions=["建立人才互认清单"]))
    resolution = service.get_meeting(session, meeting.id).resolutions[0]
    task = service.resolution_to_task(session, coop.office, resolution.id,
                                      coop.people.jiangxi_county_org.id, date(2024, 12, 31))
    assert (task.title, task.resolution_id, task.state) == ("建立人才互认清单", resolution.id,
                                                             "open")
    assert service.tasks_by_resolution(session) == {resolution.id: task}
