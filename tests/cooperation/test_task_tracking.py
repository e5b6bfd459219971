"""Task tracking a clerk can work with: several assignees, replies with evidence, extension
requests, per-assignee overdue and due-soon lists, notifications; and the history rows the
workflow kit writes for tasks and agreement status."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from coopzone.cooperation import service
from coopzone.cooperation.models import (
    AgreementEvent,
    Task,
    TaskAttachment,
    TaskEvent,
    TaskExtension,
    TaskReply,
)
from coopzone.cooperation.schemas import AgreementStatusChange, TaskCreate
from coopzone.errors import Conflict, Forbidden, InvalidInput
from coopzone.notifications import service as notifications
from coopzone.notifications.models import Notification
from tests.helpers import Coop, count, xiangdong_agreement

TODAY = date(2025, 9, 30)


def joint_task(session: Session, coop: Coop, deadline: date = date(2025, 10, 20)) -> Task:
    """One task for 湘东 (lead) and 醴陵 at once."""
    return service.create_task(session, coop.office, TaskCreate(
        title="报送跨省联合监测方案", owner_org_id=coop.people.jiangxi_county_org.id,
        assignee_org_ids=[coop.people.hunan_county_org.id], deadline=deadline,
        description="两地分别报送本辖区监测方案"))


def kinds(session: Session, user_id: int) -> list[tuple[str, str]]:
    return [(n.kind, n.subject) for n in session.scalars(
        select(Notification).where(Notification.user_id == user_id).order_by(Notification.id))]


def test_a_task_for_two_organisations_shows_each_ones_progress(session: Session,
                                                               coop: Coop) -> None:
    task = joint_task(session, coop)
    jx, hn = coop.people.jiangxi_county_org.id, coop.people.hunan_county_org.id
    assert [(a.org_id, a.state) for a in task.assignees] == [(jx, "open"), (hn, "open")]
    service.move_task(session, coop.jiangxi, task.id, "start")
    service.move_task(session, coop.jiangxi, task.id, "submit")
    task = service.get_task(session, task.id)
    assert [(a.org_id, a.state) for a in task.assignees] == [(jx, "submitted"), (hn, "open")]
    assert (task.state, task.submitted_at) == ("in_progress", None)
    # 湘东's editor cannot move 醴陵's part; the office names whose part it accepts.
    with pytest.raises(Forbidden):
        service.move_task(session, coop.jiangxi, task.id, "start", org_id=hn)
    service.move_task(session, coop.hunan, task.id, "start")
    service.move_task(session, coop.hunan, task.id, "submit")
    assert service.get_task(session, task.id).state == "submitted"
    with pytest.raises(InvalidInput):  # whose part? both wait for the office
        service.move_task(session, coop.office, task.id, "accept")
    for who in (coop.viewer, coop.jiangxi):  # not theirs to accept: refused before asking
        with pytest.raises(Forbidden):
            service.move_task(session, who, task.id, "accept")
    service.move_task(session, coop.office, task.id, "accept", org_id=jx)
    done = service.move_task(session, coop.office, task.id, "return", "缺少监测点位图", org_id=hn)
    assert [(a.org_id, a.state, a.returned_count) for a in done.assignees] == [
        (jx, "accepted", 0), (hn, "in_progress", 1)]
    assert (done.state, done.returned_count, done.accepted_at) == ("in_progress", 1, None)
    assert [(e.action, e.org_id, e.from_state, e.to_state, e.actor, e.note)
            for e in done.events] == [
        ("create", None, "", "open", "coop", ""),
        ("start", jx, "open", "in_progress", "xiangdong", ""),
        ("submit", jx, "in_progress", "submitted", "xiangdong", ""),
        ("start", hn, "open", "in_progress", "liling", ""),
        ("submit", hn, "in_progress", "submitted", "liling", ""),
        ("accept", jx, "submitted", "accepted", "coop", ""),
        ("return", hn, "submitted", "in_progress", "coop", "缺少监测点位图")]
    service.move_task(session, coop.hunan, task.id, "submit")
    final = service.move_task(session, coop.office, task.id, "accept", org_id=hn)
    assert final.state == "accepted" and final.accepted_at is not None


def test_replies_carry_evidence_and_only_assignee_editors_reply(
        session: Session, coop: Coop, tmp_path: Path) -> None:
    task = joint_task(session, coop)
    files = tmp_path / "files"
    for who in (coop.viewer, coop.office):
        with pytest.raises(Forbidden):
            service.add_reply(session, who, task.id, "已办理", files,
                              [service.Upload("a.pdf", b"%PDF a")])
    with pytest.raises(InvalidInput):
        service.add_reply(session, coop.jiangxi, task.id, "  ", files, [])
    assert (count(session, TaskReply), count(session, TaskAttachment)) == (0, 0)
    assert not files.exists()
    reply = service.add_reply(session, coop.jiangxi, task.id, "方案已编制，见附件", files,
                              [service.Upload("方案.pdf", b"%PDF plan"),
                               service.Upload("点位.xlsx", b"PK points")])
    service.attach_to_task(session, coop.office, task.id, files,
                           [service.Upload("通知.pdf", b"%PDF notice")])
    with pytest.raises(Forbidden):
        service.attach_to_task(session, coop.jiangxi, task.id, files,
                               [service.Upload("x.pdf", b"%PDF x")])
    d = service.task_detail(session, task.id)
    assert [(r.org_id, r.text, r.by) for r in d.replies] == [
        (coop.people.jiangxi_county_org.id, "方案已编制，见附件", "xiangdong")]
    assert [a.document.filename for a in d.files_of(reply.id)] == ["方案.pdf", "点位.xlsx"]
    assert [a.document.filename for a in d.files_of(None)] == ["通知.pdf"]
    assert len(list(files.iterdir())) == 3


def test_an_extension_is_asked_with_a_reason_and_granted_or_refused_by_the_office(
        session: Session, coop: Coop) -> None:
    task = joint_task(session, coop)
    jx, hn = coop.people.jiangxi_county_org.id, coop.people.hunan_county_org.id
    with pytest.raises(InvalidInput) as bad:
        service.request_extension(session, coop.jiangxi, task.id, date(2025, 10, 1), " ")
    assert [e.column for e in bad.value.errors] == ["reason", "new_deadline"]
    with pytest.raises(Forbidden):
        service.request_extension(session, coop.viewer, task.id, date(2025, 11, 1), "理由")
    assert count(session, TaskExtension) == 0
    asked = service.request_extension(session, coop.jiangxi, task.id, date(2025, 11, 15),
                                      "需等待三季度统计数据")
    with pytest.raises(Conflict):
        service.request_extension(session, coop.jiangxi, task.id, date(2025, 11, 20), "再延")
    events = count(session, TaskEvent)
    for who in (coop.jiangxi, coop.hunan, coop.viewer):
        with pytest.raises(Forbidden):
            service.decide_extension(session, who, asked.id, "grant")
    with pytest.raises(InvalidInput):
        service.decide_extension(session, coop.office, asked.id, "refuse", "")
    assert count(session, TaskEvent) == events
    granted = service.decide_extension(session, coop.office, asked.id, "grant", "同意")
    assert (granted.state, granted.decided_by, granted.decision_note) == (
        "granted", "coop", "同意")
    with pytest.raises(Conflict):
        service.decide_extension(session, coop.office, asked.id, "refuse", "改主意")
    task = service.get_task(session, task.id)
    assert [(a.org_id, a.deadline) for a in task.assignees] == [
        (jx, date(2025, 11, 15)), (hn, date(2025, 10, 20))]
    assert task.deadline == date(2025, 11, 15)  # the latest of its assignees'
    refused = service.request_extension(session, coop.hunan, task.id, date(2025, 12, 1),
                                        "人手不足")
    service.decide_extension(session, coop.office, refused.id, "refuse", "请按期完成")
    task = service.get_task(session, task.id)
    assert [(e.action, e.org_id, e.from_state, e.to_state, e.note) for e in task.events[1:]] == [
        ("ask_extension", jx, "", "requested", "2025-11-15：需等待三季度统计数据"),
        ("grant_extension", jx, "requested", "granted", "同意"),
        ("ask_extension", hn, "", "requested", "2025-12-01：人手不足"),
        ("refuse_extension", hn, "requested", "refused", "请按期完成")]
    assert task.assignees[1].deadline == date(2025, 10, 20)


def test_overdue_and_due_soon_are_per_assignee_and_from_the_platform_today(
        session: Session, coop: Coop) -> None:
    task = joint_task(session, coop, deadline=TODAY + timedelta(days=3))
    f = service.TaskFilter
    assert [t.id for t in service.list_tasks(session, f(due_soon=True, today=TODAY))] == [
        task.id]
    assert service.list_tasks(session, f(due_soon=True, today=TODAY, soon_days=2)) == []
    late = TODAY + timedelta(days=4)
    assert [t.id for t in service.list_tasks(session, f(overdue=True, today=late))] == [task.id]
    # 湘东 submits: still overdue for 醴陵, no longer for 湘东.
    service.move_task(session, coop.jiangxi, task.id, "start")
    service.move_task(session, coop.jiangxi, task.id, "submit")
    jx, hn = (coop.people.jiangxi_county_org.id,), (coop.people.hunan_county_org.id,)
    assert service.list_tasks(session, f(org_ids=jx, overdue=True, today=late)) == []
    assert [t.id for t in service.list_tasks(session, f(org_ids=hn, overdue=True,
                                                        today=late))] == [task.id]
    reminders = service.reminders_for(session, coop.hunan, today=late)
    assert reminders is not None and (reminders.overdue, reminders.due_soon) == (1, 0)
    stored = service.get_task(session, task.id)
    assert service.is_overdue(stored, late) and not service.is_overdue(stored.assignees[0], late)


def test_notifications_for_new_returned_extension_decisions_and_due_soon(
        session: Session, coop: Coop) -> None:
    people = coop.people
    task = joint_task(session, coop, deadline=TODAY + timedelta(days=5))
    title = "报送跨省联合监测方案"
    # Every user of both organisations (the viewer too), not the office that assigned it.
    assert kinds(session, people.jiangxi_editor.id) == [("task_assigned", title)]
    assert kinds(session, people.viewer.id) == [("task_assigned", title)]
    assert kinds(session, people.hunan_editor.id) == [("task_assigned", title)]
    assert kinds(session, coop.office_editor.id) == []
    service.move_task(session, coop.hunan, task.id, "start")
    service.move_task(session, coop.hunan, task.id, "submit")
    service.move_task(session, coop.office, task.id, "return", "缺少附件",
                      org_id=people.hunan_county_org.id)
    asked = service.request_extension(session, coop.jiangxi, task.id, TODAY + timedelta(30),
                                      "等待数据")
    assert kinds(session, coop.office_editor.id) == [("extension_requested", title)]
    service.decide_extension(session, coop.office, asked.id, "grant")
    assert kinds(session, people.hunan_editor.id) == [
        ("task_assigned", title), ("task_returned", title)]
    assert kinds(session, people.jiangxi_editor.id) == [
        ("task_assigned", title), ("extension_granted", title)]
    # Due soon: 醴陵's deadline is 5 days off; 湘东's was moved 30 days on. Once per deadline.
    assert service.notify_due_soon(session, TODAY, 7) == 1
    assert service.notify_due_soon(session, TODAY, 7) == 0
    assert kinds(session, people.hunan_editor.id)[-1] == ("task_due_soon", title)
    assert kinds(session, people.jiangxi_editor.id)[-1] == ("extension_granted", title)
    assert notifications.unread_count(session, people.hunan_editor.id) == 3
    first = session.scalars(select(Notification).where(
        Notification.user_id == people.hunan_editor.id).order_by(Notification.id)).first()
    assert first is not None
    with pytest.raises(Forbidden):
        notifications.mark_read(session, coop.jiangxi, first.id)
    assert notifications.unread_count(session, people.hunan_editor.id) == 3
    notifications.mark_read(session, coop.hunan, first.id)
    assert notifications.unread_count(session, people.hunan_editor.id) == 2
    assert notifications.mark_all_read(session, coop.hunan) == 2
    assert notifications.unread_count(session, people.hunan_editor.id) == 0


def test_an_agreement_status_change_leaves_a_history_row(session: Session, coop: Coop) -> None:
    agreement_id = xiangdong_agreement(session, coop.office)
    service.change_agreement_status(session, coop.jiangxi, agreement_id, AgreementStatusChange(
        status="terminated", effective_on=date(2025, 6, 30)), reason="双方协商一致提前终止")
    rows = service.agreement_history(session, agreement_id)
    assert [(e.action, e.from_state, e.to_state, e.actor, e.note, e.effective_on)
            for e in rows] == [("terminated", "in_force", "terminated", "xiangdong",
                                "双方协商一致提前终止", date(2025, 6, 30))]
    with pytest.raises(Forbidden):
        service.change_agreement_status(session, coop.hunan, agreement_id,
                                        AgreementStatusChange(status="expired",
                                                              effective_on=date(2030, 1, 1)))
    assert count(session, AgreementEvent) == 1
    assert service.later_statuses("signed") == ("in_force", "expired", "terminated")
