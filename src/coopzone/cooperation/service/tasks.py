"""Leading-group tasks (督办): assignment, moves and reminders.

Services take the Session first and never commit; the edge owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from coopzone.accounts.models import Organisation
from coopzone.accounts.service import WRITE_ROLES, Principal
from coopzone.cooperation.models import (
    Task,
    TaskEvent,
)
from coopzone.cooperation.schemas import (
    TaskCreate,
)
from coopzone.cooperation.service.meetings import get_resolution
from coopzone.cooperation.service.permissions import is_office, require_office
from coopzone.db import now
from coopzone.errors import Conflict, Forbidden, InvalidInput, NotFound, RowError, found

DUE_SOON_DAYS = 7

# ---- leading-group tasks (督办) ---------------------------------------------------------------

# action -> (allowed from-states, to-state, who)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "start": (("open",), "in_progress", "owner"),
    "submit": (("in_progress",), "submitted", "owner"),
    "accept": (("submitted",), "accepted", "office"),
    "return": (("submitted",), "in_progress", "office"),
}


def get_task(session: Session, task_id: int, lock: bool = False) -> Task:
    query = select(Task).where(Task.id == task_id).options(selectinload(Task.events))
    if lock:  # a state change: row locked (PostgreSQL) and read afresh
        query = query.with_for_update(of=Task).execution_options(populate_existing=True)
    return found(session.scalar(query), "督办事项", "task", task_id)


def create_task(session: Session, principal: Principal, data: TaskCreate) -> Task:
    require_office(principal, "交办督办事项")
    if session.get(Organisation, data.owner_org_id) is None:
        raise NotFound(f"没有编号为 {data.owner_org_id} 的机构", detail="unknown organisation")
    if data.resolution_id is not None:
        get_resolution(session, data.resolution_id)
    if session.scalar(select(Task.id).where(Task.title == data.title)) is not None:
        raise Conflict(f"督办事项《{data.title}》已存在", detail="task title exists")
    task = Task(**data.model_dump(), state="open", created_by=principal.label)
    task.events = [TaskEvent(action="create", from_state="", to_state="open",
                             actor=principal.label, note="")]
    session.add(task)
    session.flush()
    return task


def may_move(principal: Principal, task: Task, action: str) -> bool:
    _states, _to, who = TRANSITIONS[action]
    if not principal.may_write_scope():
        return False
    if who == "owner":
        return principal.is_member(task.owner_org_id, WRITE_ROLES)
    # The office accepts or returns, but never its own work.
    return is_office(principal) and (
        principal.is_platform_admin or not principal.is_member(task.owner_org_id))


def move_task(session: Session, principal: Principal, task_id: int, action: str,
              note: str = "") -> Task:
    """open → in_progress → submitted → accepted, or submitted → in_progress (returned)."""
    if action not in TRANSITIONS:
        raise InvalidInput(f"未知的操作 {action}",
                           [RowError(None, "action", f"one of {', '.join(TRANSITIONS)}")])
    task = get_task(session, task_id, lock=True)
    states, to_state, who = TRANSITIONS[action]
    if not may_move(principal, task, action):
        if who == "owner":
            raise Forbidden("只有承办单位的编辑可以办理此事项",
                            detail=f"only editors of organisation {task.owner_org_id} may "
                                   f"{action} task {task.id}")
        raise Forbidden("只有湘赣边区域合作发展事务中心可以验收或退回，且不能验收本单位的事项",
                        detail=f"{principal.username} may not {action} task {task.id}")
    if task.state not in states:
        raise Conflict(f"事项当前状态为 {task.state}，不能执行 {action}",
                       detail=f"cannot {action} a task in state {task.state}")
    if action == "return" and not note.strip():
        raise InvalidInput("退回时请说明理由", [RowError(None, "note", "a reason is required")])
    at = now()
    task.events.append(TaskEvent(action=action, from_state=task.state, to_state=to_state,
                                 actor=principal.label, note=note.strip(), at=at))
    task.state = to_state
    if action == "submit":
        task.submitted_at = at
    elif action == "accept":
        task.accepted_at = at
    elif action == "return":
        task.returned_count += 1
        task.submitted_at = None
    session.flush()
    return task


OPEN_STATES = ("open", "in_progress")


@dataclass(frozen=True)
class TaskFilter:
    state: str | None = None
    org_ids: tuple[int, ...] | None = None
    overdue: bool = False
    due_soon: bool = False
    today: date | None = None


def _task_query(f: TaskFilter) -> Select[Task]:
    today = f.today or now().date()
    query = select(Task)
    if f.state:
        query = query.where(Task.state == f.state)
    if f.org_ids is not None:
        query = query.where(Task.owner_org_id.in_(f.org_ids))
    if f.overdue:
        query = query.where(Task.state.in_(OPEN_STATES), Task.deadline < today)
    if f.due_soon:
        query = query.where(Task.state.in_(OPEN_STATES), Task.deadline >= today,
                            Task.deadline <= today + timedelta(days=DUE_SOON_DAYS))
    return query


def tasks_by_resolution(session: Session) -> dict[int, Task]:
    return {t.resolution_id: t for t in session.scalars(
        select(Task).where(Task.resolution_id.is_not(None))) if t.resolution_id is not None}


def list_tasks(session: Session, f: TaskFilter | None = None) -> list[Task]:
    query = _task_query(f or TaskFilter()).order_by(Task.deadline, Task.id)
    return list(session.scalars(query))


def organisation_names(session: Session, ids: Iterable[int] | None = None) -> dict[int, str]:
    query = select(Organisation.id, Organisation.name)
    if ids is not None:
        query = query.where(Organisation.id.in_(list(ids)))
    return dict(session.execute(query).all())


def is_overdue(task: Task, today: date) -> bool:
    return task.state in OPEN_STATES and task.deadline < today


def is_due_soon(task: Task, today: date) -> bool:
    return task.state in OPEN_STATES and today <= task.deadline <= today + timedelta(
        days=DUE_SOON_DAYS)


@dataclass(frozen=True)
class Reminders:
    org_ids: tuple[int, ...]
    overdue: int
    due_soon: int
    to_accept: int  # submitted tasks waiting for the office

    @property
    def any(self) -> bool:
        return bool(self.overdue or self.due_soon or self.to_accept)


def reminders_for(session: Session, principal: Principal | None,
                  today: date | None = None) -> Reminders | None:
    """What the user's organisations have to do: overdue and due-soon tasks, and for the
    office the submitted tasks waiting to be accepted."""
    if principal is None:
        return None
    today = today or now().date()
    org_ids = tuple(sorted({r.organisation_id for r in principal.roles}))
    count = func.count(Task.id)

    def n(query: Select[Any]) -> int:
        return int(session.scalar(query) or 0)

    overdue = n(_task_query(TaskFilter(org_ids=org_ids, overdue=True, today=today))
                .with_only_columns(count))
    soon = n(_task_query(TaskFilter(org_ids=org_ids, due_soon=True, today=today))
             .with_only_columns(count))
    to_accept = 0
    if is_office(principal):
        to_accept = n(select(count).where(Task.state == "submitted"))
    return Reminders(org_ids, overdue, soon, to_accept)


def on_time(task: Task) -> bool:
    return task.submitted_at is not None and task.submitted_at.date() <= task.deadline




def resolution_to_task(session: Session, principal: Principal, resolution_id: int,
                       owner_org_id: int, deadline: date, title: str | None = None) -> Task:
    """Turn a meeting resolution into a leading-group task."""
    resolution = get_resolution(session, resolution_id)
    return create_task(session, principal, TaskCreate(
        title=title or resolution.text[:200], description=resolution.text,
        owner_org_id=owner_org_id, deadline=deadline, resolution_id=resolution.id))
