"""Leading-group tasks (督办): assignment to one or several organisations, each assignee's
progress (kit.workflow), replies with evidence, extension requests, lists and reminders.

A task is assigned by the cooperation office to one or more organisations of the zone; each
assignee (``TaskAssignee``) has its own state open → in_progress → submitted → accepted (or
returned: submitted → in_progress) and its own deadline, moved by a granted extension. The
task's own state, dates and counter sum its assignees up (:func:`_sum_up`), so a task with one
assignee reads exactly as before.

Services take the Session first and never commit; the edge owns the transaction. "Today" is
the platform's (settings ``as_of``, else Asia/Shanghai today): edges pass it; the services'
default reads the same setting.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from coopzone.accounts.models import Organisation
from coopzone.accounts.roles import place_filter
from coopzone.accounts.service import WRITE_ROLES, Principal
from coopzone.config import get_settings
from coopzone.cooperation.models import (
    Agreement,
    IndicatorValue,
    ObligationReport,
    ProjectReport,
    Task,
    TaskAssignee,
    TaskAttachment,
    TaskEvent,
    TaskExtension,
    TaskReply,
)
from coopzone.cooperation.schemas import TaskCreate
from coopzone.cooperation.service.documents import (
    Document,
    Upload,
    _store_upload,
    get_document,
)
from coopzone.cooperation.service.meetings import get_resolution
from coopzone.cooperation.service.permissions import (
    COOPERATION_OFFICE,
    is_office,
    require_office,
)
from coopzone.errors import (
    Conflict,
    CoopzoneError,
    Forbidden,
    InvalidInput,
    NotFound,
    RowError,
    found,
)
from coopzone.kit.importing import may_read_staged
from coopzone.kit.workflow import Moved, Rule, Transition, Workflow
from coopzone.notifications import service as notifications
from coopzone.notifications.service import Event

DUE_SOON_DAYS = 7  # the default of the ``due_soon_days`` setting
OPEN_STATES = ("open", "in_progress")
STATE_LABELS = {"open": "待办理", "in_progress": "办理中", "submitted": "已报送",
                "accepted": "已验收"}
ACTION_LABELS = {"start": "开始办理", "submit": "报送", "accept": "验收通过", "return": "退回"}
EXTENSION_STATE_LABELS = {"requested": "待审批", "granted": "已同意", "refused": "未同意"}
EXTENSION_ACTION_LABELS = {"grant": "同意延期", "refuse": "不同意延期"}


def today_default() -> date:
    return get_settings().today()


def due_soon_days_default() -> int:
    return get_settings().due_soon_days


# ---- the state machine of one assignee ----------------------------------------------------------


def _may_work(principal: Principal, assignee: TaskAssignee) -> bool:
    return principal.may_write_scope() and principal.is_member(assignee.org_id, WRITE_ROLES)


def _refuse_work(principal: Principal, assignee: TaskAssignee, action: str) -> CoopzoneError:
    return Forbidden("只有承办单位的编辑可以办理此事项",
                     detail=f"only editors of organisation {assignee.org_id} may {action} "
                            f"task {assignee.task_id}")


def _may_review(principal: Principal, assignee: TaskAssignee) -> bool:
    # The office accepts or returns, but never its own work.
    return is_office(principal) and (
        principal.is_platform_admin or not principal.is_member(assignee.org_id))


def _refuse_review(principal: Principal, assignee: TaskAssignee, action: str) -> CoopzoneError:
    return Forbidden("只有湘赣边区域合作发展事务中心可以验收或退回，且不能验收本单位的事项",
                     detail=f"{principal.username} may not {action} task {assignee.task_id}")


def _task_event(assignee: TaskAssignee, moved: Moved[TaskAssignee]) -> TaskEvent:
    return TaskEvent(task_id=assignee.task_id, org_id=assignee.org_id, **moved.history())


TASK_FLOW: Workflow[Principal, TaskAssignee] = Workflow(
    name="督办事项",
    transitions=(
        Transition("start", ("open",), "in_progress", "owner"),
        Transition("submit", ("in_progress",), "submitted", "owner"),
        Transition("accept", ("submitted",), "accepted", "office"),
        Transition("return", ("submitted",), "in_progress", "office", reason_required=True),
    ),
    rules={"owner": Rule(_may_work, _refuse_work), "office": Rule(_may_review, _refuse_review)},
    history=_task_event, state_labels=STATE_LABELS, action_labels=ACTION_LABELS,
)

# action -> (allowed from-states, to-state, who): the machine as it was declared before the
# workflow kit, kept for callers that read it.
TRANSITIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    t.action: (t.sources, t.target, t.who) for t in TASK_FLOW.transitions}


def _may_decide(principal: Principal, extension: TaskExtension) -> bool:
    return is_office(principal) and (
        principal.is_platform_admin or not principal.is_member(extension.org_id))


def _refuse_decide(principal: Principal, extension: TaskExtension, action: str
                   ) -> CoopzoneError:
    return Forbidden("只有湘赣边区域合作发展事务中心可以审批延期申请，且不能审批本单位的申请",
                     detail=f"{principal.username} may not {action} extension {extension.id}")


EXTENSION_FLOW: Workflow[Principal, TaskExtension] = Workflow(
    name="延期申请",
    transitions=(
        Transition("grant", ("requested",), "granted", "office"),
        Transition("refuse", ("requested",), "refused", "office", reason_required=True),
    ),
    rules={"office": Rule(_may_decide, _refuse_decide)},
    history=lambda e, moved: TaskEvent(task_id=e.task_id, org_id=e.org_id, **(
        moved.history() | {"action": f"{moved.action}_extension"})),
    state_labels=EXTENSION_STATE_LABELS, action_labels=EXTENSION_ACTION_LABELS,
)


# ---- reading ----------------------------------------------------------------------------------


def get_task(session: Session, task_id: int, lock: bool = False) -> Task:
    query = select(Task).where(Task.id == task_id).options(
        selectinload(Task.events), selectinload(Task.assignees))
    if lock:  # a state change: row locked (PostgreSQL) and read afresh
        query = query.with_for_update(of=Task).execution_options(populate_existing=True)
    return found(session.scalar(query), "督办事项", "task", task_id)


@dataclass(frozen=True)
class TaskDetail:
    """Everything the task page shows."""

    task: Task
    replies: list[TaskReply]
    attachments: list[TaskAttachment]  # the office's (reply_id unset) and the evidence
    extensions: list[TaskExtension]

    def files_of(self, reply_id: int | None) -> list[TaskAttachment]:
        return [a for a in self.attachments if a.reply_id == reply_id]


def require_task_read(session: Session, principal: Principal, task_id: int) -> None:
    """A task outside the reader's scope (:func:`readable_by`) is answered as unknown, as
    its list does not show it (404, naming nothing about it)."""
    scope = readable_by(principal)
    if scope is None:
        return
    if session.scalar(select(Task.id).where(Task.id == task_id, scope)) is None:
        raise NotFound(f"没有编号为 {task_id} 的督办事项", detail=f"unknown task {task_id}")


def task_detail(session: Session, task_id: int, reader: Principal | None = None) -> TaskDetail:
    """Everything the task page shows; with ``reader``, only a task they may read."""
    if reader is not None:
        require_task_read(session, reader, task_id)
    task = get_task(session, task_id)
    replies = list(session.scalars(select(TaskReply).where(TaskReply.task_id == task_id)
                                   .order_by(TaskReply.id)))
    attachments = list(session.scalars(
        select(TaskAttachment).where(TaskAttachment.task_id == task_id)
        .options(selectinload(TaskAttachment.document)).order_by(TaskAttachment.id)))
    extensions = list(session.scalars(select(TaskExtension).where(
        TaskExtension.task_id == task_id).order_by(TaskExtension.id)))
    return TaskDetail(task, replies, attachments, extensions)


def _assignee_for(task: Task, principal: Principal, org_id: int | None,
                  action: str | None = None) -> TaskAssignee:
    """The assignee a principal acts on: the one named, else the only one, else the one the
    principal works for, else the only one the action can leave from."""
    if org_id is not None:
        for a in task.assignees:
            if a.org_id == org_id:
                return a
        raise NotFound(f"该事项没有交办给编号为 {org_id} 的机构",
                       detail=f"organisation {org_id} is not an assignee of task {task.id}")
    if len(task.assignees) == 1:
        return task.assignees[0]
    if action in TRANSITIONS:
        candidates = [a for a in task.assignees if TASK_FLOW.may(principal, a, action)]
    else:  # a reply or an extension request: the principal's own organisation's part
        candidates = [a for a in task.assignees if _may_work(principal, a)]
    if not candidates:
        return task.assignees[0]  # refused by the rule, with its message (403 before 422)
    if len(candidates) == 1:
        return candidates[0]
    if action in TRANSITIONS:
        ready = [a for a in candidates if a.state in TRANSITIONS[action][0]]
        if len(ready) == 1:
            return ready[0]
    raise InvalidInput("该事项交办给了多个单位，请指明承办单位",
                       [RowError(None, "org_id", "请选择承办单位")],
                       detail="several assignees: org_id is required")


def may_move(principal: Principal, task: Task, action: str, org_id: int | None = None) -> bool:
    """Whether the principal may make ``action`` on the task (on the assignee named, or on
    any of its assignees)."""
    assignees = [a for a in task.assignees if org_id is None or a.org_id == org_id]
    return any(TASK_FLOW.may(principal, a, action) for a in assignees)


def moves_for(principal: Principal, task: Task) -> dict[int, list[str]]:
    """Per assignee organisation, the actions the principal may make now: the page's buttons."""
    return {a.org_id: TASK_FLOW.available(principal, a) for a in task.assignees}


# ---- writing ----------------------------------------------------------------------------------


def _organisations(session: Session, ids: Sequence[int]) -> list[int]:
    wanted = list(dict.fromkeys(ids))
    known = set(session.scalars(select(Organisation.id).where(Organisation.id.in_(wanted))))
    for org_id in wanted:
        if org_id not in known:
            raise NotFound(f"没有编号为 {org_id} 的机构", detail="unknown organisation")
    return wanted


def create_task(session: Session, principal: Principal, data: TaskCreate,
                files_dir: Path | None = None, attachments: Sequence[Upload] = ()) -> Task:
    """The office assigns a task to ``owner_org_id`` and, at once, to every organisation of
    ``assignee_org_ids``; each gets a notification. Files are stored only once the task has
    been accepted."""
    require_office(principal, "交办督办事项")
    org_ids = _organisations(session, [data.owner_org_id, *data.assignee_org_ids])
    if data.resolution_id is not None:
        get_resolution(session, data.resolution_id)
    if session.scalar(select(Task.id).where(Task.title == data.title)) is not None:
        raise Conflict(f"督办事项《{data.title}》已存在", detail="task title exists")
    if attachments and files_dir is None:
        raise ValueError("files_dir is needed to store attachments")
    store = files_dir or Path()
    task = Task(**data.model_dump(exclude={"assignee_org_ids"}), state="open",
                created_by=principal.label)
    task.assignees = [TaskAssignee(org_id=o, state="open", deadline=data.deadline,
                                   returned_count=0) for o in org_ids]
    task.events = [TaskEvent(action="create", from_state="", to_state="open",
                             actor=principal.label, note="")]
    session.add(task)
    session.flush()
    for upload in attachments:
        _attach(session, task, None, store, upload, principal.label)
    notifications.notify_organisations(session, org_ids, Event(
        "task_assigned", "task", task.id, task.title, f"task:{task.id}:assigned"),
        exclude_user_id=principal.user_id)
    return task


def _sum_up(task: Task) -> None:
    """The task's state, dates and counter from its assignees'."""
    states = [a.state for a in task.assignees]
    if not states:
        return
    if all(s == "accepted" for s in states):
        task.state = "accepted"
    elif all(s in ("submitted", "accepted") for s in states):
        task.state = "submitted"
    elif all(s == "open" for s in states):
        task.state = "open"
    else:
        task.state = "in_progress"
    submitted = [a.submitted_at for a in task.assignees if a.submitted_at is not None]
    task.submitted_at = max(submitted) if len(submitted) == len(states) else None
    accepted = [a.accepted_at for a in task.assignees if a.accepted_at is not None]
    task.accepted_at = max(accepted) if len(accepted) == len(states) else None
    task.returned_count = sum(a.returned_count for a in task.assignees)
    task.deadline = max(a.deadline for a in task.assignees)


def _move_effects(assignee: TaskAssignee, moved: Moved[TaskAssignee]) -> None:
    if moved.action == "submit":
        assignee.submitted_at = moved.at
    elif moved.action == "accept":
        assignee.accepted_at = moved.at
    elif moved.action == "return":
        assignee.returned_count += 1
        assignee.submitted_at = None


def move_task(session: Session, principal: Principal, task_id: int, action: str,
              note: str = "", org_id: int | None = None) -> Task:
    """open → in_progress → submitted → accepted, or submitted → in_progress (returned), for
    one assignee (``org_id``; it may be left out when the task has one, or when the principal
    works for exactly one of them)."""
    TASK_FLOW.transition(action)
    task = get_task(session, task_id, lock=True)
    assignee = _assignee_for(task, principal, org_id, action)
    moved = TASK_FLOW.move(session, principal, assignee, action, note, effects=_move_effects)
    if isinstance(moved.row, TaskEvent):
        task.events.append(moved.row)
    _sum_up(task)
    session.flush()
    if action == "return":
        notifications.notify_organisations(session, [assignee.org_id], Event(
            "task_returned", "task", task.id, task.title,
            f"task:{task.id}:returned:{assignee.id}:{assignee.returned_count}", moved.reason),
            exclude_user_id=principal.user_id)
    return task


def _attach(session: Session, task: Task, reply: TaskReply | None, files_dir: Path,
            upload: Upload, by: str) -> TaskAttachment:
    doc = _store_upload(session, files_dir, upload, by)
    assert doc is not None
    row = TaskAttachment(task_id=task.id, reply_id=reply.id if reply else None,
                         document_id=doc.id, document=doc, added_by=by)
    session.add(row)
    session.flush()
    return row


def attach_to_task(session: Session, principal: Principal, task_id: int, files_dir: Path,
                   uploads: Sequence[Upload]) -> list[TaskAttachment]:
    """The office adds files to a task's description (a notice, a form to fill in)."""
    task = get_task(session, task_id)
    require_office(principal, "为督办事项添加附件")
    if not uploads:
        raise InvalidInput("请选择要上传的文件", [RowError(None, "file", "没有文件")])
    return [_attach(session, task, None, files_dir, u, principal.label) for u in uploads]


def _require_worker(principal: Principal, task: Task, org_id: int | None,
                    what: str) -> TaskAssignee:
    assignee = _assignee_for(task, principal, org_id)
    if not _may_work(principal, assignee):
        raise Forbidden(f"只有承办单位的编辑可以{what}",
                        detail=f"only editors of organisation {assignee.org_id} may {what} "
                               f"on task {task.id}")
    return assignee


def add_reply(session: Session, principal: Principal, task_id: int, text: str,
              files_dir: Path, evidence: Sequence[Upload] = (),
              org_id: int | None = None) -> TaskReply:
    """An assignee's editors answer with text and evidence files (until their part is
    accepted)."""
    task = get_task(session, task_id)
    assignee = _require_worker(principal, task, org_id, "答复")
    if assignee.state == "accepted":
        raise Conflict("该单位的办理情况已验收，不能再答复",
                       detail=f"assignee {assignee.org_id} of task {task.id} is accepted")
    if not text.strip() and not evidence:
        raise InvalidInput("请填写答复内容或上传佐证材料",
                           [RowError(None, "text", "答复内容和佐证材料不能都为空")])
    reply = TaskReply(task_id=task.id, org_id=assignee.org_id, text=text.strip(),
                      by=principal.label)
    session.add(reply)
    session.flush()
    for upload in evidence:
        _attach(session, task, reply, files_dir, upload, principal.label)
    return reply


def request_extension(session: Session, principal: Principal, task_id: int,
                      new_deadline: date, reason: str, org_id: int | None = None
                      ) -> TaskExtension:
    """An assignee's editors ask for a later deadline, with a reason; one request at a time."""
    task = get_task(session, task_id, lock=True)
    assignee = _require_worker(principal, task, org_id, "申请延期")
    if assignee.state not in OPEN_STATES:
        raise Conflict(f"该单位的事项{STATE_LABELS[assignee.state]}，不能申请延期",
                       detail=f"cannot ask an extension in state {assignee.state}")
    errors = []
    if not reason.strip():
        errors.append(RowError(None, "reason", "请说明延期理由"))
    if new_deadline <= assignee.deadline:
        errors.append(RowError(None, "new_deadline",
                               f"应晚于当前办理时限 {assignee.deadline.isoformat()}"))
    if errors:
        raise InvalidInput("延期申请不完整", errors)
    pending = session.scalar(select(TaskExtension.id).where(
        TaskExtension.task_id == task.id, TaskExtension.org_id == assignee.org_id,
        TaskExtension.state == "requested"))
    if pending is not None:
        raise Conflict("已有一份待审批的延期申请", detail=f"extension {pending} is pending")
    extension = TaskExtension(task_id=task.id, org_id=assignee.org_id,
                              old_deadline=assignee.deadline, new_deadline=new_deadline,
                              reason=reason.strip(), state="requested", asked_by=principal.label)
    session.add(extension)
    task.events.append(TaskEvent(task_id=task.id, org_id=assignee.org_id,
                                 action="ask_extension", from_state="", to_state="requested",
                                 actor=principal.label,
                                 note=f"{new_deadline.isoformat()}：{reason.strip()}"))
    session.flush()
    notifications.notify(session, notifications.users_of_kind(session, COOPERATION_OFFICE),
                         Event("extension_requested", "task", task.id, task.title,
                               f"extension:{extension.id}:requested", reason.strip()),
                         exclude_user_id=principal.user_id)
    return extension


def get_extension(session: Session, extension_id: int) -> TaskExtension:
    return found(session.get(TaskExtension, extension_id), "延期申请", "extension", extension_id)


def decide_extension(session: Session, principal: Principal, extension_id: int, action: str,
                     note: str = "") -> TaskExtension:
    """The office grants (the assignee's deadline moves to the date asked) or refuses (with a
    reason) an extension request."""
    EXTENSION_FLOW.transition(action)
    extension = get_extension(session, extension_id)
    task = get_task(session, extension.task_id, lock=True)
    assignee = _assignee_for(task, principal, extension.org_id)

    def effects(e: TaskExtension, moved: Moved[TaskExtension]) -> None:
        e.decided_at, e.decided_by, e.decision_note = moved.at, moved.by, moved.reason

    moved = EXTENSION_FLOW.move(session, principal, extension, action, note, effects=effects)
    if isinstance(moved.row, TaskEvent):
        task.events.append(moved.row)
    if action == "grant":
        assignee.deadline = extension.new_deadline
        _sum_up(task)
    session.flush()
    notifications.notify_organisations(session, [extension.org_id], Event(
        f"extension_{moved.to_state}", "task", task.id, task.title,
        f"extension:{extension.id}:{moved.to_state}", moved.reason),
        exclude_user_id=principal.user_id)
    return extension


def notify_due_soon(session: Session, today: date | None = None, days: int | None = None
                    ) -> int:
    """Remind each assignee organisation whose open task is due within ``days`` (once per
    assignee and deadline: a granted extension reminds again). Returns notifications made."""
    today = today or today_default()
    days = due_soon_days_default() if days is None else days
    rows = session.execute(
        select(TaskAssignee, Task.title).join(Task, Task.id == TaskAssignee.task_id).where(
            TaskAssignee.state.in_(OPEN_STATES), TaskAssignee.deadline >= today,
            TaskAssignee.deadline <= today + timedelta(days=days))).all()
    made = 0
    for assignee, title in rows:
        made += notifications.notify_organisations(session, [assignee.org_id], Event(
            "task_due_soon", "task", assignee.task_id, title,
            f"task:{assignee.task_id}:due:{assignee.org_id}:{assignee.deadline.isoformat()}",
            assignee.deadline.isoformat()))
    return made


# ---- lists ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskFilter:
    state: str | None = None
    org_ids: tuple[int, ...] | None = None  # tasks assigned to any of these organisations
    overdue: bool = False
    due_soon: bool = False
    today: date | None = None
    soon_days: int | None = None  # unset: the ``due_soon_days`` setting
    # Who reads the list: only the tasks they may read (:func:`readable_by`); None (the
    # services' own use: reminders, the dashboard's counts) reads every task.
    reader: Principal | None = None


def readable_by(principal: Principal) -> ColumnElement[bool] | None:
    """The SQL condition selecting the tasks ``principal`` may read (None: every task).

    Tasks are not public (their lists, pages and exports need a login), so their reads are
    scoped by the one policy table (``task.read`` in :mod:`coopzone.accounts.roles`, through
    :func:`~coopzone.accounts.roles.place_filter`) over the places of the organisations a task
    concerns (its lead and every assignee). The policy lets every member of an organisation of
    the zone read every task (the leading group's tasks are shared across the zone: issue 10
    assigns them to any organisation in the zone), so today the condition is "none" for a
    logged-in user who belongs to no organisation and "every task" otherwise; a narrower
    scope in the table narrows every task list at once.

    Agreements, meetings, projects and indicators are not scoped: they are public (the
    dashboard and their pages show them without a login), and issue 10 scopes reads only
    "where a record is not public"."""
    condition = place_filter(principal, "task.read", Organisation.place_code)
    if condition is None:
        return None
    concerned = select(Organisation.id).where(condition)
    return or_(Task.owner_org_id.in_(concerned),
               _assignee_exists(TaskAssignee.org_id.in_(concerned)))


def readable_document(session: Session, principal: Principal, sha256: str) -> Document:
    """The stored document ``sha256`` if ``principal`` may read it, else NotFound (the same
    answer as for a file that does not exist, so a hash reveals nothing).

    A file attached to tasks (by the office or as a reply's evidence) is read like those tasks
    (:func:`readable_by`): by a reader of at least one of them. The same bytes kept for a
    public record (an agreement's text, a report's evidence, an indicator's proof) stay
    readable, as that record's page links them. A file no record keeps is an upload an
    import preview staged for its confirmation: read only by the user who staged it or one
    who may import into the same target (:func:`coopzone.kit.importing.may_read_staged`),
    and, staged by an import that records no target, by its uploader alone."""
    doc = get_document(session, sha256)
    on_tasks = select(TaskAttachment.task_id).where(TaskAttachment.document_id == doc.id)
    if session.scalar(select(exists(on_tasks))):
        scope = readable_by(principal)
        if scope is None or session.scalar(select(exists(
                select(Task.id).where(Task.id.in_(on_tasks), scope)))):
            return doc
        if _public_document(session, doc.id):
            return doc
        raise NotFound("没有这个文件", detail=f"unknown document {sha256}")
    if _public_document(session, doc.id):
        return doc
    staged = may_read_staged(session, doc, principal)
    if staged or (staged is None and doc.uploaded_by == principal.label):
        return doc
    raise NotFound("没有这个文件", detail=f"unknown document {sha256}")


def _public_document(session: Session, document_id: int) -> bool:
    """Whether a public record (agreement, obligation or project report, indicator value)
    keeps this document."""
    uses = (select(Agreement.id).where(Agreement.document_id == document_id),
            select(ObligationReport.id).where(ObligationReport.evidence_id == document_id),
            select(ProjectReport.id).where(ProjectReport.attachment_id == document_id),
            select(IndicatorValue.id).where(IndicatorValue.evidence_id == document_id))
    return any(session.scalar(select(exists(use))) for use in uses)


def _assignee_exists(*conditions: Any) -> Any:
    return exists(select(TaskAssignee.id).where(TaskAssignee.task_id == Task.id, *conditions))


def _task_query(f: TaskFilter) -> Select[Task]:
    """Overdue and due soon are per assignee: a task is listed when one of its assignees (of
    ``org_ids``, if given) has not submitted and its own deadline is past or near."""
    today = f.today or today_default()
    soon = f.soon_days if f.soon_days is not None else due_soon_days_default()
    query = select(Task)
    if f.reader is not None:
        scope = readable_by(f.reader)
        if scope is not None:
            query = query.where(scope)
    if f.state:
        query = query.where(Task.state == f.state)
    mine = (TaskAssignee.org_id.in_(f.org_ids),) if f.org_ids is not None else ()
    if f.org_ids is not None:
        query = query.where(_assignee_exists(*mine))
    if f.overdue:
        query = query.where(_assignee_exists(
            *mine, TaskAssignee.state.in_(OPEN_STATES), TaskAssignee.deadline < today))
    if f.due_soon:
        query = query.where(_assignee_exists(
            *mine, TaskAssignee.state.in_(OPEN_STATES), TaskAssignee.deadline >= today,
            TaskAssignee.deadline <= today + timedelta(days=soon)))
    return query


def tasks_by_resolution(session: Session) -> dict[int, Task]:
    return {t.resolution_id: t for t in session.scalars(
        select(Task).where(Task.resolution_id.is_not(None))) if t.resolution_id is not None}


def list_tasks(session: Session, f: TaskFilter | None = None) -> list[Task]:
    query = (_task_query(f or TaskFilter()).order_by(Task.deadline, Task.id)
             .options(selectinload(Task.assignees)))
    return list(session.scalars(query))


def organisation_names(session: Session, ids: Iterable[int] | None = None) -> dict[int, str]:
    query = select(Organisation.id, Organisation.name)
    if ids is not None:
        query = query.where(Organisation.id.in_(list(ids)))
    return dict(session.execute(query).all())


def is_overdue(task: Task | TaskAssignee, today: date) -> bool:
    """An assignee that has not submitted by its deadline; a task with one such assignee
    (the task's assignees loaded, as the lists and the task page load them)."""
    if isinstance(task, Task):
        return any(is_overdue(a, today) for a in task.assignees)
    return task.state in OPEN_STATES and task.deadline < today


def is_due_soon(task: Task | TaskAssignee, today: date, days: int | None = None) -> bool:
    days = due_soon_days_default() if days is None else days
    if isinstance(task, Task):
        return any(is_due_soon(a, today, days) for a in task.assignees)
    return task.state in OPEN_STATES and today <= task.deadline <= today + timedelta(days=days)


@dataclass(frozen=True)
class Reminders:
    org_ids: tuple[int, ...]
    overdue: int
    due_soon: int
    to_accept: int  # submitted tasks waiting for the office
    soon_days: int = DUE_SOON_DAYS
    extensions: int = 0  # extension requests waiting for the office

    @property
    def any(self) -> bool:
        return bool(self.overdue or self.due_soon or self.to_accept or self.extensions)


def reminders_for(session: Session, principal: Principal | None,
                  today: date | None = None, soon_days: int | None = None
                  ) -> Reminders | None:
    """What the user's organisations have to do: overdue and due-soon tasks, and for the
    office the submitted tasks waiting to be accepted and the extension requests."""
    if principal is None:
        return None
    today = today or today_default()
    soon_days = due_soon_days_default() if soon_days is None else soon_days
    org_ids = tuple(sorted({r.organisation_id for r in principal.roles}))
    count = func.count(Task.id)

    def n(query: Select[Any]) -> int:
        return int(session.scalar(query) or 0)

    overdue = n(_task_query(TaskFilter(org_ids=org_ids, overdue=True, today=today))
                .with_only_columns(count))
    soon = n(_task_query(TaskFilter(org_ids=org_ids, due_soon=True, today=today,
                                    soon_days=soon_days)).with_only_columns(count))
    to_accept = extensions = 0
    if is_office(principal):
        to_accept = n(select(count).where(Task.state == "submitted"))
        extensions = n(select(func.count(TaskExtension.id)).where(
            TaskExtension.state == "requested"))
    return Reminders(org_ids, overdue, soon, to_accept, soon_days, extensions)


def on_time(task: Task | TaskAssignee) -> bool:
    return task.submitted_at is not None and task.submitted_at.date() <= task.deadline


def resolution_to_task(session: Session, principal: Principal, resolution_id: int,
                       owner_org_id: int, deadline: date, title: str | None = None) -> Task:
    """Turn a meeting resolution into a leading-group task."""
    resolution = get_resolution(session, resolution_id)
    return create_task(session, principal, TaskCreate(
        title=title or resolution.text[:200], description=resolution.text,
        owner_org_id=owner_org_id, deadline=deadline, resolution_id=resolution.id))
