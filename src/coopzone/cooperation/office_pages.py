"""Forms of the leading group's office: assign a task (from a meeting resolution or not, to one
or several organisations), record a meeting with its members and resolutions. The task page
and the buttons that move a task along are in ``task_forms``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from coopzone.accounts.service import Principal
from coopzone.api.deps import CurrentUser, SessionDep, SettingsDep
from coopzone.cooperation import service
from coopzone.cooperation.form_pages import lines, parse, render_form, upload
from coopzone.cooperation.schemas import MeetingCreate, TaskCreate
from coopzone.errors import CoopzoneError
from coopzone.kit.validation import Id
from coopzone.web.pages import CsrfChecked
from coopzone.web.templating import N_

router = APIRouter(include_in_schema=False)

TASK_LABELS = {"title": N_("Title"), "description": N_("Description"),
               "owner_org_id": N_("Owner organisation"), "deadline": N_("Deadline"),
               "resolution_id": N_("Source"),
               "assignee_org_ids": N_("Also assigned to"), "attachments": N_("Attachments")}
MEETING_LABELS = {"title": N_("Title"), "kind": N_("Kind"), "series": N_("Series"),
                  "held_on": N_("Date"), "place": N_("Place"), "host": N_("Host"),
                  "our_role": N_("Our role"), "members": N_("Members"),
                  "resolutions": N_("Resolutions")}


def _task_form(request: Request, session: Session, principal: Principal,
               values: dict[str, Any], refused: CoopzoneError | None = None) -> Response:
    orgs = sorted(service.organisation_names(session).items(), key=lambda t: t[1])
    return render_form(request, session, principal, "task_form.html", values, TASK_LABELS,
                       refused, orgs=orgs, resolutions=service.list_resolutions(session))


@router.get("/cooperation/tasks/new", response_class=HTMLResponse)
def task_new(request: Request, session: SessionDep, principal: CurrentUser,
             resolution: Id | None = None) -> Response:
    """The assignment form; from a resolution's button it comes filled in from the resolution."""
    service.require_office(principal, "交办督办事项")
    values: dict[str, Any] = {}
    if resolution is not None:
        r = service.get_resolution(session, resolution)
        values = {"title": r.text[:200], "description": r.text, "resolution_id": str(r.id)}
    return _task_form(request, session, principal, values)


@router.post("/cooperation/tasks/new", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def task_create(request: Request, session: SessionDep, settings: SettingsDep,
                principal: CurrentUser,
                title: Annotated[str, Form()] = "", description: Annotated[str, Form()] = "",
                owner_org_id: Annotated[str, Form()] = "", deadline: Annotated[str, Form()] = "",
                resolution_id: Annotated[str, Form()] = "",
                assignee_org_ids: Annotated[list[str] | None, Form()] = None,
                attachments: Annotated[list[UploadFile] | None, File()] = None) -> Response:
    """Assign a task to the lead organisation and, at once, to the others chosen; files go
    with it."""
    values: dict[str, Any] = {
        "title": title, "description": description, "owner_org_id": owner_org_id,
        "deadline": deadline, "resolution_id": resolution_id,
        "assignee_org_ids": [o for o in assignee_org_ids or [] if o.strip()]}
    try:
        data = parse(request, TaskCreate, values)
        files = [u for u in (upload(f, settings) for f in attachments or []) if u is not None]
        task = service.create_task(session, principal, data, settings.data_dir / "files",
                                   files)
    except CoopzoneError as exc:
        session.rollback()
        return _task_form(request, session, principal, values, exc)
    return RedirectResponse(f"/cooperation/tasks#task-{task.id}", status_code=303)


def _meeting_form(request: Request, session: Session, principal: Principal,
                  values: dict[str, Any], refused: CoopzoneError | None = None) -> Response:
    return render_form(request, session, principal, "meeting_form.html", values,
                       MEETING_LABELS, refused)


@router.get("/cooperation/meetings/new", response_class=HTMLResponse)
def meeting_new(request: Request, session: SessionDep, principal: CurrentUser) -> Response:
    service.require_office(principal, "登记联席会议")
    return _meeting_form(request, session, principal,
                         {"kind": "joint_meeting", "our_role": "member"})


@router.post("/cooperation/meetings/new", response_class=HTMLResponse,
             dependencies=[CsrfChecked])
def meeting_create(request: Request, session: SessionDep, principal: CurrentUser,
                   title: Annotated[str, Form()] = "", kind: Annotated[str, Form()] = "",
                   series: Annotated[str, Form()] = "", held_on: Annotated[str, Form()] = "",
                   place: Annotated[str, Form()] = "", host: Annotated[str, Form()] = "",
                   our_role: Annotated[str, Form()] = "", members: Annotated[str, Form()] = "",
                   resolutions: Annotated[str, Form()] = "") -> Response:
    """A meeting with its members (one per line) and resolutions (one per line)."""
    values = {"title": title, "kind": kind, "series": series, "held_on": held_on,
              "place": place, "host": host, "our_role": our_role, "members": members,
              "resolutions": resolutions}
    try:
        data = parse(request, MeetingCreate, values | {
            "members": [{"name": n} for n in lines(members)], "resolutions": lines(resolutions)})
        meeting = service.create_meeting(session, principal, data)
    except CoopzoneError as exc:
        session.rollback()
        return _meeting_form(request, session, principal, values, exc)
    return RedirectResponse(f"/cooperation/meetings#meeting-{meeting.id}", status_code=303)
