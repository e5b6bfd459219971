"""The task page (督办事项): description, attachments, deadline, each assignee's progress,
replies with evidence, extension requests and the history; and its forms. A refused form
comes back as the page with the message, the reasons and what was typed, with the refusal's
status.

Included after ``office_forms`` (so ``/cooperation/tasks/new`` is matched first); the
specific routes here come before the generic ``/cooperation/tasks/{task_id}/{action}``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from coopzone.accounts.service import Principal
from coopzone.api.deps import CurrentUser, SessionDep, SettingsDep
from coopzone.config import Settings
from coopzone.cooperation import service
from coopzone.cooperation.form_pages import parse, refusal, upload
from coopzone.cooperation.presentation_web import page_context
from coopzone.cooperation.schemas import ExtensionCreate, TaskReplyCreate
from coopzone.errors import CoopzoneError, NotFound
from coopzone.kit.validation import Id, Key
from coopzone.web.pages import CsrfChecked
from coopzone.web.templating import N_, render

router = APIRouter(include_in_schema=False)

LABELS = {"text": N_("Reply"), "evidence": N_("Evidence files"), "org_id": N_("Organisation"),
          "new_deadline": N_("New deadline"), "reason": N_("Reason"), "note": N_("Reason"),
          "files": N_("Attachments"), "action": N_("Action")}
EXTENSION_STATE_NAMES = {"requested": N_("Waiting for a decision"), "granted": N_("Granted"),
                         "refused": N_("Refused")}
EVENT_NAMES = {"ask_extension": N_("Extension requested"),
               "grant_extension": N_("Extension granted"),
               "refuse_extension": N_("Extension refused")}


def _uploads(files: list[UploadFile] | None, settings: Settings) -> list[service.Upload]:
    out = []
    for file in files or []:
        received = upload(file, settings)
        if received is not None:
            out.append(received)
    return out


def task_page(request: Request, session: Session, principal: Principal, settings: Settings,
              task_id: int, form: str = "", values: dict[str, Any] | None = None,
              refused: CoopzoneError | None = None) -> Response:
    detail = service.task_detail(session, task_id, principal)
    task = detail.task
    today = settings.today()
    orgs = service.organisation_names(session)
    mine = [a.org_id for a in task.assignees if principal.is_member(a.org_id, ("editor",))
            and principal.may_write_scope()]
    return render(request, "cooperation/task.html", page_context(
        session, principal, d=detail, t=task, today=today, orgs=orgs,
        moves=service.moves_for(principal, task), my_orgs=mine,
        extension_moves={e.id: service.EXTENSION_FLOW.available(principal, e)
                         for e in detail.extensions},
        may_attach=service.is_office(principal), soon_days=settings.due_soon_days,
        is_overdue=service.is_overdue, is_due_soon=service.is_due_soon,
        on_time=service.on_time, extension_state_names=EXTENSION_STATE_NAMES,
        event_names=EVENT_NAMES, form=form, values=values or {}, labels=LABELS,
        **refusal(refused)), status_code=refused.status_code if refused else 200)


@router.get("/cooperation/tasks/{task_id}", response_class=HTMLResponse)
def task(request: Request, session: SessionDep, settings: SettingsDep, principal: CurrentUser,
         task_id: Id) -> Response:
    return task_page(request, session, principal, settings, task_id)


def _org(raw: str) -> int | None:
    return int(raw) if raw.strip().isdigit() else None


@router.post("/cooperation/tasks/{task_id}/replies", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def reply(request: Request, session: SessionDep, settings: SettingsDep,
          principal: CurrentUser, task_id: Id, text: Annotated[str, Form()] = "",
          org_id: Annotated[str, Form()] = "",
          evidence: Annotated[list[UploadFile] | None, File()] = None) -> Response:
    """An assignee's answer with evidence files."""
    values = {"text": text, "org_id": org_id}
    try:
        data = parse(request, TaskReplyCreate, values)
        service.add_reply(session, principal, task_id, data.text, settings.data_dir / "files",
                          _uploads(evidence, settings), data.org_id)
    except CoopzoneError as exc:
        session.rollback()
        return task_page(request, session, principal, settings, task_id, "reply", values, exc)
    return RedirectResponse(f"/cooperation/tasks/{task_id}#replies", status_code=303)


@router.post("/cooperation/tasks/{task_id}/attachments", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def attach(request: Request, session: SessionDep, settings: SettingsDep,
           principal: CurrentUser, task_id: Id,
           files: Annotated[list[UploadFile] | None, File()] = None) -> Response:
    """The office adds files to the task."""
    try:
        service.require_office(principal, "为督办事项添加附件")
        service.attach_to_task(session, principal, task_id, settings.data_dir / "files",
                               _uploads(files, settings))
    except CoopzoneError as exc:
        session.rollback()
        return task_page(request, session, principal, settings, task_id, "attach", {}, exc)
    return RedirectResponse(f"/cooperation/tasks/{task_id}#attachments", status_code=303)


@router.post("/cooperation/tasks/{task_id}/extensions", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def ask_extension(request: Request, session: SessionDep, settings: SettingsDep,
                  principal: CurrentUser, task_id: Id,
                  new_deadline: Annotated[str, Form()] = "",
                  reason: Annotated[str, Form()] = "",
                  org_id: Annotated[str, Form()] = "") -> Response:
    values = {"new_deadline": new_deadline, "reason": reason, "org_id": org_id}
    try:
        data = parse(request, ExtensionCreate, values)
        service.request_extension(session, principal, task_id, data.new_deadline, data.reason,
                                  data.org_id)
    except CoopzoneError as exc:
        session.rollback()
        return task_page(request, session, principal, settings, task_id, "extension", values,
                         exc)
    return RedirectResponse(f"/cooperation/tasks/{task_id}#extensions", status_code=303)


@router.post("/cooperation/tasks/{task_id}/extensions/{extension_id}/{decision}",
             response_class=HTMLResponse, dependencies=[CsrfChecked])
def decide_extension(request: Request, session: SessionDep, settings: SettingsDep,
                     principal: CurrentUser, task_id: Id, extension_id: Id, decision: Key,
                     note: Annotated[str, Form()] = "") -> Response:
    try:
        if service.get_extension(session, extension_id).task_id != task_id:
            raise NotFound("没有这份延期申请", detail=f"extension {extension_id} is not of "
                                              f"task {task_id}")
        service.decide_extension(session, principal, extension_id, decision, note)
    except CoopzoneError as exc:
        session.rollback()
        return task_page(request, session, principal, settings, task_id,
                         f"decide-{extension_id}", {"note": note}, exc)
    return RedirectResponse(f"/cooperation/tasks/{task_id}#extensions", status_code=303)


@router.post("/cooperation/tasks/{task_id}/{action}", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def move_task(request: Request, session: SessionDep, settings: SettingsDep,
              principal: CurrentUser, task_id: Id, action: Key,
              note: Annotated[str, Form()] = "", org_id: Annotated[str, Form()] = "",
              back: Annotated[str, Form()] = "") -> Response:
    """start / submit / accept / return for one assignee (``org_id`` when several)."""
    try:
        service.move_task(session, principal, task_id, action, note, _org(org_id))
    except CoopzoneError as exc:
        session.rollback()
        return task_page(request, session, principal, settings, task_id,
                         f"move-{org_id}", {"note": note}, exc)
    if back == "list":
        return RedirectResponse(f"/cooperation/tasks#task-{task_id}", status_code=303)
    return RedirectResponse(f"/cooperation/tasks/{task_id}#progress", status_code=303)
